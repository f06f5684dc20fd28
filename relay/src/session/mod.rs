//! Sessions: the only owner of a connection ([`net::Conn`]). One task per connection:
//! the handshake and hello within the hello deadline, admission (`Ready`), then the
//! reader ([`reader`]) joining, leaving and feeding the session's rooms while a writer
//! task ([`writer`]) drains the session's one queue — and every close, with the close
//! code (and `Bye` frame) the ending calls for.
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
mod writer;

use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use common::{
    protocol::{ByeReason, ClientFrame, Hello, Ready, RefuseReason, ServerFrame},
    rules::name_key,
};
use net::Conn;
use tokio::time::{timeout, timeout_at, Instant};

use crate::{
    relay::Shared,
    room::{pack::encode, MemberQueue, MemberRef},
};

/// How long a closing session may take to get its last frames out.
const DRAIN: Duration = Duration::from_secs(3);

/// Serves one incoming connection to its end.
pub(crate) async fn serve(incoming: quinn::Incoming, shared: Arc<Shared>) {
    let deadline = Instant::now() + shared.limits.hello_timeout;
    let handshake = timeout_at(deadline, incoming).await;
    shared
        .handshaking
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    let connection = match handshake {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => return tracing::debug!("handshake failed: {e}"),
        Err(_) => return tracing::debug!("handshake timed out"),
    };
    let remote = connection.remote_address();
    let mut conn = match timeout_at(deadline, Conn::accept(connection.clone())).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return tracing::debug!(%remote, "no stream opened: {e}"),
        Err(_) => {
            let code = ByeReason::ProtocolError.close_code();
            return connection.close(code.into(), b"no hello in time");
        }
    };
    let hello = match timeout_at(deadline, conn.read::<ClientFrame>()).await {
        Ok(Ok(ClientFrame::Hello(hello))) => hello,
        Ok(Ok(_)) => return refuse(conn, RefuseReason::ProtocolError).await,
        Ok(Err(e)) if e.is_malformed() => return refuse(conn, RefuseReason::ProtocolError).await,
        Ok(Err(e)) => return tracing::debug!(%remote, "stream ended before hello: {e}"),
        Err(_) => return refuse(conn, RefuseReason::HelloTimeout).await,
    };
    let name = match hello::admit(&hello) {
        Ok(name) => name,
        Err(reason) => return refuse(conn, reason).await,
    };
    let queue = Arc::new(MemberQueue::new(shared.limits.queue_bytes));
    let max = shared.limits.max_clients;
    let session = match shared.sessions.admit(hello.install, queue.clone(), max) {
        Ok(session) => session,
        Err(reason) => return refuse(conn, reason).await,
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
    run(conn, &member, &hello, &shared).await;
    shared.sessions.remove(hello.install, session);
}

/// Runs an admitted session: writer task, reader, then the close the ending calls for.
async fn run(conn: Conn, member: &MemberRef, hello: &Hello, shared: &Shared) {
    let (connection, mut frames, out) = conn.into_parts();
    let mut writer = tokio::spawn(writer::run(out, member.queue.clone()));
    let close = reader::run(&mut frames, member, hello, shared).await;
    tracing::info!(
        remote = %connection.remote_address(),
        name = %member.name,
        ?close,
        "session ended"
    );
    if !close.discards() {
        // The last frames (acks, a bye) reach the client before the connection closes.
        let _ = timeout(DRAIN, &mut writer).await;
    }
    writer.abort();
    let reason = close.reason();
    connection.close(reason.close_code().into(), reason.to_string().as_bytes());
}

/// Tells the client why it cannot join, then closes.
async fn refuse(conn: Conn, reason: RefuseReason) {
    let (connection, _frames, mut out) = conn.into_parts();
    tracing::info!(remote = %connection.remote_address(), %reason, "refused");
    if out.write(&ServerFrame::Refused(reason)).await.is_ok() {
        out.finish();
    }
    // The client closes once it has read the refusal; do not wait forever.
    let _ = timeout(DRAIN, connection.closed()).await;
    connection.close(ByeReason::Left.close_code().into(), b"refused");
}
