//! [`Link`]: the side of a connection its session holds. The driver fills it (handshake
//! done, stream opened, bytes read, everything sent, connection gone) and wakes the
//! session; the session decodes frames from it and asks the driver (through the
//! [`Wakeup`]) to read more or to close. What the session sends goes through the
//! member's queue, which the driver drains.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
};

use bytes::{Bytes, BytesMut};
use common::codec::{self, CodecError, PREFIX_BYTES};
use serde::de::DeserializeOwned;
use tokio::sync::Notify;

use super::driver::{Command, Wakeup};
use crate::room::MemberQueue;

/// Bytes read ahead of the session: the driver stops reading the stream above this (the
/// client's flow-control window then fills) until the session has decoded them.
pub(super) const READ_AHEAD: usize = 64 * 1024;

/// What the driver has told the session so far.
#[derive(Default)]
pub(super) struct State {
    /// The handshake has finished.
    pub(super) connected: bool,
    /// The client's stream is open.
    pub(super) stream: bool,
    /// Bytes read from the stream, not yet decoded.
    pub(super) inbound: BytesMut,
    /// The client finished its stream.
    pub(super) finished: bool,
    /// The driver stopped reading: `inbound` is over [`READ_AHEAD`].
    pub(super) paused: bool,
    /// The connection is gone (closed by either side, lost, timed out), and why.
    pub(super) gone: Option<String>,
}

/// A connection as its session sees it.
pub(crate) struct Link {
    pub(super) handle: usize,
    remote: SocketAddr,
    /// The member's outgoing frames (the driver writes them to the stream).
    pub(crate) queue: Arc<MemberQueue>,
    pub(super) state: Mutex<State>,
    /// Wakes the session.
    pub(super) notify: Notify,
    wakeup: Arc<Wakeup>,
    /// The session has asked for the close.
    closed: AtomicBool,
}

impl Link {
    pub(super) fn new(
        handle: usize,
        remote: SocketAddr,
        queue: Arc<MemberQueue>,
        wakeup: Arc<Wakeup>,
    ) -> Self {
        Self {
            handle,
            remote,
            queue,
            state: Mutex::default(),
            notify: Notify::new(),
            wakeup,
            closed: AtomicBool::new(false),
        }
    }

    /// The client's address.
    pub(crate) fn remote_address(&self) -> SocketAddr {
        self.remote
    }

    /// Waits until `ready` says the state is what the session waits for.
    async fn until<T>(&self, mut ready: impl FnMut(&mut State) -> Option<T>) -> T {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(value) = ready(&mut self.state.lock().unwrap()) {
                return value;
            }
            notified.await;
        }
    }

    /// Waits for the handshake; the reason when the connection is gone before.
    pub(crate) async fn established(&self) -> Result<(), String> {
        self.until(|s| match (&s.gone, s.connected) {
            (Some(why), _) => Some(Err(why.clone())),
            (None, true) => Some(Ok(())),
            (None, false) => None,
        })
        .await
    }

    /// Waits until the client has opened its stream.
    pub(crate) async fn stream(&self) -> Result<(), String> {
        self.until(|s| match (&s.gone, s.stream) {
            (_, true) => Some(Ok(())),
            (Some(why), false) => Some(Err(why.clone())),
            (None, false) => None,
        })
        .await
    }

    /// The next frame from the client; [`CodecError::Closed`] when the stream ended
    /// between frames. An announced length over the limit is refused before anything
    /// more is read.
    pub(crate) async fn next<T: DeserializeOwned>(&self) -> Result<T, CodecError> {
        let mut resume = false;
        let frame = self
            .until(|s| {
                let mut want = PREFIX_BYTES;
                if let Some(prefix) = s.inbound.get(..PREFIX_BYTES) {
                    let len = match codec::payload_len(prefix.try_into().expect("four bytes")) {
                        Ok(len) => len,
                        Err(e) => return Some(Err(e)),
                    };
                    want += len;
                    if s.inbound.len() >= want {
                        let frame = s.inbound.split_to(want).freeze();
                        if s.paused && s.inbound.len() < READ_AHEAD {
                            s.paused = false;
                            resume = true;
                        }
                        return Some(Ok(frame));
                    }
                }
                if s.finished {
                    return Some(Err(match s.inbound.len() {
                        0 => CodecError::Closed,
                        got => CodecError::Truncated { got, want },
                    }));
                }
                if let Some(why) = &s.gone {
                    return Some(Err(CodecError::Stream(why.clone())));
                }
                if s.paused {
                    s.paused = false;
                    resume = true;
                }
                if resume {
                    self.wakeup.send(Command::Read(self.handle));
                    resume = false;
                }
                None
            })
            .await;
        if resume {
            self.wakeup.send(Command::Read(self.handle));
        }
        // Frames read ahead decode without waiting: yield after each so the loop (and
        // the rest of the runtime) runs between them, or a burst from this client could
        // fill its own queue with the room's echoes before the loop writes any of it.
        tokio::task::yield_now().await;
        let frame: Bytes = frame?;
        codec::decode_payload(&frame[PREFIX_BYTES..])
    }

    /// Waits until the driver has written everything the queue held when it closed
    /// and the client has it (or stopped reading, or is gone).
    pub(crate) async fn sent_all(&self) {
        self.until(|s| (self.queue.is_finished() || s.gone.is_some()).then_some(()))
            .await
    }

    /// Waits until the connection is gone (the client closed it, or it timed out).
    pub(crate) async fn gone(&self) {
        self.until(|s| s.gone.as_ref().map(|_| ())).await
    }

    /// Closes the connection with `code` and `reason` (the first close counts).
    pub(crate) fn close(&self, code: u32, reason: &[u8]) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.wakeup.send(Command::Close {
            handle: self.handle,
            code,
            reason: Bytes::copy_from_slice(reason),
        });
    }
}

/// Closes the connection (code 0, no reason) when its session ends without closing it
/// (an early return, or a task aborted at shutdown).
pub(crate) struct CloseOnDrop(pub(crate) Arc<Link>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close(0, b"");
    }
}
