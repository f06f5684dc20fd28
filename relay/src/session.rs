//! One task per connection: handshake, hello, then a reader loop feeding the room while a
//! writer task drains the member's queue, writing whatever is queued in one go.

use std::{sync::Arc, time::Duration};

use common::{
    codec::{self, CodecError},
    protocol::{
        ByeReason, ClientFrame, Hello, HistoryPage, LeaveReason, RefuseReason, Seq, ServerFrame,
        MAX_FRAME_BYTES, MAX_HISTORY_PAGE, MAX_ROOM_KEY_CHARS, PROTOCOL_VERSION,
    },
    rules::{validate_name, validate_text},
    rate::TokenBucket,
};
use net::FrameReader;
use tokio::time::{timeout, timeout_at, Instant};

use crate::{
    room::{encode, MemberRef, Outq},
    Shared,
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
    let conn = match handshake {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            tracing::debug!("handshake failed: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!("handshake timed out");
            return;
        }
    };
    let remote = conn.remote_address();
    let (send, recv) = match timeout_at(deadline, conn.accept_bi()).await {
        Ok(Ok(streams)) => streams,
        Ok(Err(e)) => {
            tracing::debug!(%remote, "no stream opened: {e}");
            return;
        }
        Err(_) => {
            conn.close(
                ByeReason::ProtocolError.close_code().into(),
                b"no hello in time",
            );
            return;
        }
    };
    let mut reader = FrameReader::new(recv);
    let hello = match timeout_at(deadline, reader.next::<ClientFrame>()).await {
        Ok(Ok(ClientFrame::Hello(hello))) => hello,
        Ok(Ok(_))
        | Ok(Err(
            CodecError::Malformed(_) | CodecError::Oversized { .. } | CodecError::Truncated { .. },
        )) => {
            return refuse(conn, send, RefuseReason::ProtocolError).await;
        }
        Ok(Err(e)) => {
            tracing::debug!(%remote, "stream ended before hello: {e}");
            return;
        }
        Err(_) => return refuse(conn, send, RefuseReason::HelloTimeout).await,
    };
    let name = match admit(&hello, &shared) {
        Ok(name) => name,
        Err(reason) => return refuse(conn, send, reason).await,
    };
    let member = match shared.room.join(name, &hello, &conn) {
        Ok(member) => member,
        Err(reason) => return refuse(conn, send, reason).await,
    };
    tracing::info!(%remote, name = %member.name, "joined");

    let writer = tokio::spawn(write_loop(send, member.queue.clone()));
    let reason = read_loop(&mut reader, &hello, &member, &shared).await;
    tracing::info!(%remote, name = %member.name, ?reason, "session ended");
    shared.room.leave(&member, reason);
    let bye = match reason {
        LeaveReason::ProtocolError => Some(ByeReason::ProtocolError),
        LeaveReason::TooSlow => Some(ByeReason::TooSlow),
        _ => None,
    };
    member
        .queue
        .close(bye.map(|b| encode(&ServerFrame::Bye(b))));
    let _ = timeout(DRAIN, writer).await;
    let code = bye.unwrap_or(ByeReason::Left).close_code();
    conn.close(code.into(), b"");
}

/// Checks a hello against the relay's rules; the trimmed name on success.
fn admit(hello: &Hello, shared: &Shared) -> Result<String, RefuseReason> {
    if hello.version != PROTOCOL_VERSION {
        return Err(RefuseReason::VersionMismatch {
            relay: PROTOCOL_VERSION,
        });
    }
    if let Some(key) = &shared.room_key {
        match &hello.room_key {
            None => return Err(RefuseReason::RoomKeyRequired),
            Some(given) if given.chars().count() > MAX_ROOM_KEY_CHARS => {
                return Err(RefuseReason::RoomKeyWrong)
            }
            Some(given) if !common::fingerprint::constant_time_eq(given.as_bytes(), key.as_bytes()) => {
                return Err(RefuseReason::RoomKeyWrong)
            }
            Some(_) => {}
        }
    }
    validate_name(&hello.name).map_err(RefuseReason::BadName)
}

/// Reads the member's frames until the session ends; returns why it ended.
async fn read_loop(
    reader: &mut FrameReader,
    hello: &Hello,
    member: &MemberRef,
    shared: &Shared,
) -> LeaveReason {
    let mut bucket = TokenBucket::for_limit(shared.limits.rate);
    let mut history = TokenBucket::new(HISTORY_BURST, HISTORY_PER_SECOND);
    loop {
        let frame = match reader.next::<ClientFrame>().await {
            Ok(frame) => frame,
            Err(CodecError::Closed) | Err(CodecError::Stream(_)) => {
                return LeaveReason::ConnectionLost
            }
            Err(e) => {
                tracing::warn!(name = %member.name, "unreadable frame: {e}");
                return LeaveReason::ProtocolError;
            }
        };
        match frame {
            ClientFrame::Send { id, text } => {
                if id.install != hello.install {
                    tracing::warn!(name = %member.name, "message id of another install");
                    return LeaveReason::ProtocolError;
                }
                // Answers to the client's own frames count against its queue: a client
                // that keeps sending and never reads is evicted, not buffered forever.
                let answer = |frame: ServerFrame| member.queue.push(encode(&frame));
                let reject = |reason| answer(ServerFrame::Rejected { id, reason });
                if let Err(reason) = validate_text(&text) {
                    if !reject(reason) {
                        return LeaveReason::TooSlow;
                    }
                    continue;
                }
                if shared.room.maybe_seen(id) {
                    if let Some(seq) = shared.room.stored_seq(id) {
                        // A resend of a stored message: ack again, publish nothing.
                        if !answer(ServerFrame::Ack { id, seq }) {
                            return LeaveReason::TooSlow;
                        }
                        continue;
                    }
                }
                if !bucket.take() {
                    if !reject(common::protocol::RejectReason::RateLimited) {
                        return LeaveReason::TooSlow;
                    }
                    continue;
                }
                shared.room.submit(member, id, text);
            }
            ClientFrame::Leave => return LeaveReason::Left,
            ClientFrame::History { before, limit } => {
                let page = if history.take() {
                    let store = shared.room.store().clone();
                    let read = tokio::task::spawn_blocking(move || {
                        history_page(&store, before, limit)
                    })
                    .await;
                    match read {
                        Ok(Ok(page)) => page,
                        Ok(Err(e)) => {
                            tracing::error!("reading history failed: {e}");
                            retry_later(before)
                        }
                        Err(e) => {
                            tracing::error!("reading history failed: {e}");
                            retry_later(before)
                        }
                    }
                } else {
                    retry_later(before)
                };
                if !member.queue.push(encode(&ServerFrame::History(page))) {
                    return LeaveReason::TooSlow;
                }
            }
            ClientFrame::Hello(_) => {
                tracing::warn!(name = %member.name, "second hello");
                return LeaveReason::ProtocolError;
            }
        }
    }
}

/// History pages a client may ask for at once, and per second after that.
const HISTORY_BURST: f64 = 20.0;
const HISTORY_PER_SECOND: f64 = 5.0;

fn retry_later(before: Seq) -> HistoryPage {
    HistoryPage {
        before,
        events: Vec::new(),
        more: true,
        retry_later: true,
    }
}

/// The newest events before `before` that fit in one frame, at most `limit` (and at most
/// [`MAX_HISTORY_PAGE`]). Blocking: disk reads.
fn history_page(
    store: &crate::store::Store,
    before: Seq,
    limit: u32,
) -> Result<HistoryPage, crate::store::StoreError> {
    let limit = limit.clamp(1, MAX_HISTORY_PAGE) as usize;
    let stored = store.before(before, limit + 1)?;
    let mut more = stored.len() > limit;
    // Each stored frame is `ServerFrame::Event`: prefix and variant tag, then the event,
    // which goes into the page as it is.
    let budget = MAX_FRAME_BYTES - 64;
    let mut used = 0;
    let mut events = Vec::new();
    for (frame, event) in crate::room::decode_stored(stored).rev().take(limit) {
        let size = frame.len() - codec::PREFIX_BYTES - 1;
        if used + size > budget {
            more = true;
            break;
        }
        used += size;
        events.push(event);
    }
    events.reverse();
    Ok(HistoryPage {
        before,
        events,
        more,
        retry_later: false,
    })
}

/// Writes queued frames, all that are queued in one write, until the queue closes.
async fn write_loop(send: quinn::SendStream, queue: Arc<Outq>) {
    write_all(send, &queue).await;
    queue.set_finished();
}

async fn write_all(mut send: quinn::SendStream, queue: &Outq) {
    let mut batch = Vec::new();
    loop {
        let open = queue.next_batch(&mut batch).await;
        if !batch.is_empty() {
            if let Err(e) = send.write_all_chunks(&mut batch).await {
                tracing::debug!("writing to a member failed: {e}");
                return;
            }
            batch.clear();
        }
        if !open {
            let _ = send.finish();
            // Wait until the client has the last frames (or gives up on them).
            let _ = timeout(DRAIN, send.stopped()).await;
            return;
        }
    }
}

/// Tells the client why it cannot join, then closes.
async fn refuse(conn: quinn::Connection, mut send: quinn::SendStream, reason: RefuseReason) {
    tracing::info!(remote = %conn.remote_address(), %reason, "refused");
    if let Ok(frame) = codec::encode(&ServerFrame::Refused(reason)) {
        let _ = send.write_all(&frame).await;
        let _ = send.finish();
    }
    // The client closes once it has read the refusal; do not wait forever.
    let _ = timeout(DRAIN, conn.closed()).await;
    conn.close(ByeReason::Left.close_code().into(), b"refused");
}
