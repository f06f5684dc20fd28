//! The reader: the client's frames, one at a time, turned into room calls, until the
//! client leaves, the connection fails, or the room closes the member's queue.
//!
//! A client that sends `Leave` or finishes its stream has left on purpose: both get the
//! acks of everything sent before, then the stream ends, and the room logs
//! `Left{reason: Left}`.

use common::{
    codec::CodecError,
    protocol::{ClientFrame, Hello, LeaveReason},
    rate::TokenBucket,
};
use net::FrameReader;
use tokio::time::timeout;

use super::DRAIN;
use crate::{
    relay::Shared,
    room::{pack::retry_later, Close, MemberRef, Submitted},
};

/// Reads until the session ends; returns how it ends.
pub(super) async fn run(
    frames: &mut FrameReader,
    member: &MemberRef,
    hello: &Hello,
    shared: &Shared,
) -> Close {
    let limits = &shared.limits;
    let mut tokens = TokenBucket::for_limit(limits.rate);
    let mut pages = TokenBucket::new(
        f64::from(limits.history_burst),
        f64::from(limits.history_per_second),
    );
    let reason = loop {
        let frame = tokio::select! {
            biased;
            close = member.queue.closed() => return close,
            frame = frames.next::<ClientFrame>() => frame,
        };
        match frame {
            Ok(ClientFrame::Send { id, text }) => {
                if id.install != hello.install {
                    tracing::warn!(name = %member.name, "message id of another install");
                    break LeaveReason::ProtocolError;
                }
                if shared.room.submit(member, id, text, &mut tokens) == Submitted::Gone {
                    // Evicted, replaced or shutting down: the queue is (being) closed.
                    return timeout(DRAIN, member.queue.closed())
                        .await
                        .unwrap_or(Close::Lost);
                }
            }
            Ok(ClientFrame::History { before, limit }) => {
                let page = if pages.take() {
                    shared.room.history(before, limit).await
                } else {
                    retry_later(before)
                };
                shared.room.reply(member, page);
            }
            Ok(ClientFrame::Leave) | Err(CodecError::Closed) => break LeaveReason::Left,
            Ok(ClientFrame::Hello(_)) => {
                tracing::warn!(name = %member.name, "second hello");
                break LeaveReason::ProtocolError;
            }
            Err(CodecError::Stream(_)) => break LeaveReason::ConnectionLost,
            Err(e) => {
                tracing::warn!(name = %member.name, "unreadable frame: {e}");
                break LeaveReason::ProtocolError;
            }
        }
    };
    shared.room.leave(member, reason);
    // The room closes the queue: at once for a lost connection, else once everything
    // the client sent before is acked.
    timeout(DRAIN, member.queue.closed())
        .await
        .unwrap_or(Close::Lost)
}
