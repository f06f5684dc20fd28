//! Sessions: the only owner of a connection (a [`Link`] to the QUIC driver). One task
//! per connection: the handshake and hello within the hello deadline, admission
//! (`Ready`), then the reader ([`reader`]) joining, leaving and feeding the session's
//! rooms while the driver drains the session's one queue into its stream — and every
//! close, with the close code (and `Bye` frame) the ending calls for.
//!
//! Rooms never close a connection: they close the session's queue with a
//! [`Close`](crate::room::Close) (evicted), as the registry does (replaced, shutdown),
//! and the session acts on it here, leaving every room it is in.
//!
//! - `hello.rs`: the version and name rules of a hello.
//! - `registry.rs`: sessions by install (takeover, max clients, shutdown).
//! - `rooms.rs`: the session's rooms: join, send, history, leave.

mod hello;
mod reader;
pub(crate) mod registry;
mod rooms;

use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use common::{
    protocol::{ByeReason, ClientFrame, Hello, Ready, RefuseReason, ServerFrame},
    rules::name_key,
};
use tokio::time::{timeout, timeout_at, Instant};

use crate::{
    quic::{CloseOnDrop, Link},
    relay::Shared,
    room::{pack::encode, Close, MemberRef},
};

/// How long a closing session may take to get its last frames out.
const DRAIN: Duration = Duration::from_secs(3);

/// Serves one accepted connection to its end.
pub(crate) async fn serve(link: Arc<Link>, shared: Arc<Shared>) {
    let _close = CloseOnDrop(link.clone());
    let deadline = Instant::now() + shared.limits.hello_timeout;
    let handshake = timeout_at(deadline, link.established()).await;
    shared.handshaking.fetch_sub(1, Ordering::Relaxed);
    let remote = link.remote_address();
    match handshake {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return tracing::debug!(%remote, "handshake failed: {e}"),
        Err(_) => return tracing::debug!(%remote, "handshake timed out"),
    }
    match timeout_at(deadline, link.stream()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return tracing::debug!(%remote, "no stream opened: {e}"),
        Err(_) => {
            let code = ByeReason::ProtocolError.close_code();
            return link.close(code, b"no hello in time");
        }
    }
    let hello = match timeout_at(deadline, link.next::<ClientFrame>()).await {
        Ok(Ok(ClientFrame::Hello(hello))) => hello,
        Ok(Ok(_)) => return refuse(&link, RefuseReason::ProtocolError).await,
        Ok(Err(e)) if e.is_malformed() => return refuse(&link, RefuseReason::ProtocolError).await,
        Ok(Err(e)) => return tracing::debug!(%remote, "stream ended before hello: {e}"),
        Err(_) => return refuse(&link, RefuseReason::HelloTimeout).await,
    };
    let name = match hello::admit(&hello) {
        Ok(name) => name,
        Err(reason) => return refuse(&link, reason).await,
    };
    let queue = link.queue.clone();
    let max = shared.limits.max_clients;
    let session = match shared.sessions.admit(hello.install, queue.clone(), max) {
        Ok(session) => session,
        Err(reason) => return refuse(&link, reason).await,
    };
    shared.stats.joined.fetch_add(1, Ordering::Relaxed);
    queue.push_exempt(encode(&ServerFrame::Ready(Ready {
        name: name.clone(),
        rate: shared.limits.rate,
        max_rooms: shared.limits.max_rooms_per_client as u32,
    })));
    let member = MemberRef {
        key: name_key(&name),
        name,
        install: hello.install,
        session,
        queue,
    };
    tracing::info!(%remote, name = %member.name, "session opened");
    run(&link, &member, &hello, &shared).await;
    shared.sessions.remove(hello.install, session);
}

/// Runs an admitted session: the reader, then the close the ending calls for.
async fn run(link: &Link, member: &MemberRef, hello: &Hello, shared: &Shared) {
    let close = reader::run(link, member, hello, shared).await;
    tracing::info!(
        remote = %link.remote_address(),
        name = %member.name,
        ?close,
        "session ended"
    );
    if !close.discards() {
        // The last frames (acks, a bye) reach the client before the connection closes.
        let _ = timeout(DRAIN, link.sent_all()).await;
    }
    let reason = close.reason();
    link.close(reason.close_code(), reason.to_string().as_bytes());
}

/// Tells the client why it cannot join, then closes.
async fn refuse(link: &Link, reason: RefuseReason) {
    tracing::info!(remote = %link.remote_address(), %reason, "refused");
    link.queue
        .push_exempt(encode(&ServerFrame::Refused(reason)));
    link.queue.close(Close::Left);
    // The client closes once it has read the refusal; do not wait forever.
    let _ = timeout(DRAIN, link.gone()).await;
    link.close(ByeReason::Left.close_code(), b"refused");
}
