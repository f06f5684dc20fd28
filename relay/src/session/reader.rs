//! The reader: the client's frames, one at a time, turned into calls on the session's
//! rooms ([`super::rooms`]), until the client quits, the connection fails, or the queue
//! is closed (evicted, replaced, shutdown).
//!
//! A client that sends `Quit` or finishes its stream has left on purpose: it gets the
//! acks of everything it sent to any room, then the stream ends, and each room logs
//! `Left{reason: Left}`.

use common::{
    codec::CodecError,
    protocol::{ClientFrame, Hello, LeaveReason},
};
use tokio::time::timeout;

use super::{rooms::SessionRooms, DRAIN};
use crate::{
    quic::Link,
    relay::Shared,
    room::{Close, MemberRef},
};

/// Reads until the session ends; returns how it ends.
pub(super) async fn run(link: &Link, member: &MemberRef, hello: &Hello, shared: &Shared) -> Close {
    let mut rooms = SessionRooms::new(member, shared);
    let reason = loop {
        let frame = tokio::select! {
            biased;
            close = member.queue.closed() => {
                // Evicted, replaced or shutting down: the other rooms are left too.
                let reason = match close {
                    Close::TooSlow => LeaveReason::TooSlow,
                    Close::Shutdown | Close::HostClosed => LeaveReason::Shutdown,
                    Close::Lost => LeaveReason::ConnectionLost,
                    Close::ProtocolError => LeaveReason::ProtocolError,
                    Close::Left | Close::Replaced => LeaveReason::Left,
                };
                drop(rooms.leave_all(reason));
                return close;
            }
            frame = link.next::<ClientFrame>() => frame,
        };
        match frame {
            Ok(ClientFrame::Join(join)) => rooms.join(join).await,
            Ok(ClientFrame::Send { room, id, text }) => {
                if id.install != hello.install {
                    tracing::warn!(name = %member.name, "message id of another install");
                    break LeaveReason::ProtocolError;
                }
                rooms.send(room, id, text);
            }
            Ok(ClientFrame::History {
                room,
                before,
                limit,
            }) => rooms.history(room, before, limit).await,
            Ok(ClientFrame::Leave { room }) => rooms.leave(room).await,
            Ok(ClientFrame::Moderate { room, action }) => rooms.moderate(room, action).await,
            Ok(ClientFrame::Quit) | Err(CodecError::Closed) => break LeaveReason::Left,
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
    let close = match reason {
        LeaveReason::Left | LeaveReason::Removed => Close::Left,
        LeaveReason::ProtocolError => Close::ProtocolError,
        LeaveReason::TooSlow => Close::TooSlow,
        LeaveReason::Shutdown => Close::Shutdown,
        LeaveReason::ConnectionLost => Close::Lost,
    };
    if close.discards() {
        member.queue.close(close);
        drop(rooms.leave_all(reason));
    } else {
        // Each room publishes what the client sent it before (the acks), then the
        // queue closes behind them.
        let left = rooms.leave_all(reason);
        let _ = timeout(DRAIN, async {
            for done in left {
                let _ = done.await;
            }
        })
        .await;
        member.queue.close(close);
    }
    timeout(DRAIN, member.queue.closed())
        .await
        .unwrap_or(Close::Lost)
}
