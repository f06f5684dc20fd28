//! [`MemberQueue`]: the frames waiting for one member's writer, bounded in bytes, and
//! how the member's session is to end ([`Close`]).
//!
//! The room pushes; the session's writer drains everything queued in one write. A push
//! that would take the queue over its byte limit fails and the room evicts the member:
//! a peer that stops reading (a phone that vanished) costs at most the limit, not the
//! room's traffic until its idle timeout. Frames the relay bounds itself (welcome,
//! backlog, acks of published messages) are queued past the limit and do not count.
//! One queue serves a session's every room: a member too slow for one room is evicted
//! from the connection, so from all of them.
//!
//! A room admits a member under its lock and packs the welcome after releasing it; a
//! [`Hole`] reserved under the lock keeps the welcome's place, so the room's events
//! published meanwhile follow it (the writer waits at an unfilled hole).
//! The room never touches a connection: it closes the queue with a [`Close`] and the
//! session, which owns the connection, acts on it.

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex, OnceLock,
    },
};

use bytes::Bytes;
use common::{
    codec,
    protocol::{ByeReason, ServerFrame},
};
use tokio::sync::Notify;

/// Frame slots a queue keeps between batches; a larger burst's are freed.
const SLOTS_KEPT: usize = 32;

/// How a member's session ends, as the room decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// The client left (`Leave` or a finished stream): what is queued goes out first.
    Left,
    /// The connection is gone: nothing more can be delivered.
    Lost,
    /// Another session of the same install took over: `Bye(Replaced)`, then close.
    Replaced,
    /// The client does not read fast enough: queued frames are dropped, close at once.
    TooSlow,
    /// The relay shuts down: `Bye(Shutdown)` after what is queued.
    Shutdown,
    /// The relay's host (the app hosting it) closes it: `Bye(HostClosed)` after what is
    /// queued.
    HostClosed,
    /// The client sent something unreadable: `Bye(ProtocolError)`, then close.
    ProtocolError,
}

impl Close {
    /// The reason the close code carries.
    pub fn reason(self) -> ByeReason {
        match self {
            Self::Left | Self::Lost => ByeReason::Left,
            Self::Replaced => ByeReason::Replaced,
            Self::TooSlow => ByeReason::TooSlow,
            Self::Shutdown => ByeReason::Shutdown,
            Self::HostClosed => ByeReason::HostClosed,
            Self::ProtocolError => ByeReason::ProtocolError,
        }
    }

    /// The `Bye` frame sent after what is queued, if any.
    pub fn bye(self) -> Option<ByeReason> {
        match self {
            Self::Replaced | Self::Shutdown | Self::HostClosed | Self::ProtocolError => {
                Some(self.reason())
            }
            Self::Left | Self::Lost | Self::TooSlow => None,
        }
    }

    /// True when what is queued is dropped rather than delivered.
    pub fn discards(self) -> bool {
        matches!(self, Self::Lost | Self::TooSlow)
    }
}

/// The place of frames to come (a welcome), reserved with [`MemberQueue::reserve`].
#[must_use = "a hole holds the queue until it is filled"]
#[derive(Debug)]
pub struct Hole(u64);

/// One place in the queue.
enum Slot {
    /// A frame; `counted` when it counts against the limit.
    Frame { bytes: Bytes, counted: bool },
    /// Frames to come: the writer stops here until it is filled.
    Hole(u64),
}

/// Called when a queue has something new for its writer (the QUIC driver's hook).
pub type Waker = Box<dyn Fn() + Send + Sync>;

/// A member's outgoing frames, bounded in bytes.
pub struct MemberQueue {
    state: Mutex<State>,
    /// Wakes an async writer ([`MemberQueue::next_batch`]).
    wake: Notify,
    /// Tells the QUIC driver, once per batch taken ([`MemberQueue::take_batch`]).
    waker: OnceLock<Waker>,
    /// Set once the waker has been called and the writer has not taken since.
    signalled: AtomicBool,
    /// Wakes whoever waits for the close.
    closing: Notify,
    cap: usize,
    finished: AtomicBool,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Slot>,
    /// Bytes queued that count against the limit.
    counted: usize,
    closed: Option<Close>,
    next_hole: u64,
}

impl State {
    fn push(&mut self, bytes: Bytes, counted: bool) {
        if counted {
            self.counted += bytes.len();
        }
        self.frames.push_back(Slot::Frame { bytes, counted });
    }
}

impl MemberQueue {
    /// A queue holding at most `cap_bytes` of counted frames.
    pub fn new(cap_bytes: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            waker: OnceLock::new(),
            signalled: AtomicBool::new(false),
            closing: Notify::new(),
            cap: cap_bytes,
            finished: AtomicBool::new(false),
        }
    }

    /// Has `waker` called (once until the next [`MemberQueue::take_batch`]) whenever
    /// something is queued, a hole filled or the queue closed, instead of waking
    /// [`MemberQueue::next_batch`]. Set once, before anything is queued.
    pub fn set_waker(&self, waker: Waker) {
        let _ = self.waker.set(waker);
    }

    fn wake(&self) {
        match self.waker.get() {
            Some(waker) => {
                if !self.signalled.swap(true, Ordering::AcqRel) {
                    waker();
                }
            }
            None => self.wake.notify_one(),
        }
    }

    /// Queues frames, all or none (one lock and one wake-up for a published batch);
    /// false when they would take a queue that still holds counted frames over its
    /// limit, or it is closed. An empty queue takes any batch: the limit bounds what a
    /// member has not taken yet, not the size of the relay's own batches (a group
    /// commit may publish more than the limit at once to members that keep up).
    pub fn push_all(&self, frames: &[Bytes]) -> bool {
        let size: usize = frames.iter().map(Bytes::len).sum();
        let mut s = self.state.lock().unwrap();
        if s.closed.is_some() || (s.counted > 0 && s.counted + size > self.cap) {
            return false;
        }
        for frame in frames {
            s.push(frame.clone(), true);
        }
        drop(s);
        self.wake();
        true
    }

    /// Queues one frame; false when over the limit or closed.
    pub fn push(&self, frame: Bytes) -> bool {
        self.push_all(std::slice::from_ref(&frame))
    }

    /// Queues a frame whatever the limit: for frames whose number the relay bounds
    /// (acks of published messages), never for answers a client can provoke at will.
    pub fn push_exempt(&self, frame: Bytes) {
        let mut s = self.state.lock().unwrap();
        if s.closed.is_none() {
            s.push(frame, false);
        }
        drop(s);
        self.wake();
    }

    /// Reserves the place of frames to come (a welcome packed after the member joined,
    /// while the room goes on publishing behind it). The writer stops at it until it
    /// is [filled](MemberQueue::fill).
    pub fn reserve(&self) -> Hole {
        let mut s = self.state.lock().unwrap();
        s.next_hole += 1;
        let id = s.next_hole;
        if s.closed.is_none() {
            s.frames.push_back(Slot::Hole(id));
        }
        Hole(id)
    }

    /// Puts `frames` in the place `hole` kept, whatever the limit.
    pub fn fill(&self, hole: Hole, frames: Vec<Bytes>) {
        let mut s = self.state.lock().unwrap();
        let at = s
            .frames
            .iter()
            .position(|slot| matches!(slot, Slot::Hole(id) if *id == hole.0));
        if let Some(at) = at {
            let mut rest = s.frames.split_off(at);
            rest.pop_front();
            s.frames.extend(frames.into_iter().map(|bytes| Slot::Frame {
                bytes,
                counted: false,
            }));
            s.frames.append(&mut rest);
        }
        drop(s);
        self.wake();
    }

    /// Closes the queue (the first close wins; false for later ones). A `Bye` goes after
    /// what is queued, or what is queued is dropped, as `close` says.
    pub fn close(&self, close: Close) -> bool {
        let mut s = self.state.lock().unwrap();
        if s.closed.is_some() {
            return false;
        }
        s.closed = Some(close);
        if close.discards() {
            // Given back at once: an evicted member stops costing memory now.
            s.frames = VecDeque::new();
            s.counted = 0;
        }
        if let Some(bye) = close.bye() {
            let bye = codec::encode(&ServerFrame::Bye(bye)).expect("a bye is a small frame");
            s.push(bye, false);
        }
        drop(s);
        self.wake();
        self.closing.notify_waiters();
        true
    }

    /// How it was closed, if it was.
    pub fn closed_as(&self) -> Option<Close> {
        self.state.lock().unwrap().closed
    }

    /// Waits until the queue is closed.
    pub async fn closed(&self) -> Close {
        loop {
            let notified = self.closing.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(close) = self.closed_as() {
                return close;
            }
            notified.await;
        }
    }

    /// Moves every queued frame up to the first unfilled hole into `into` (waiting for
    /// one if there is none). Returns the close once the queue is closed and its last
    /// frames are taken.
    pub async fn next_batch(&self, into: &mut Vec<Bytes>) -> Option<Close> {
        loop {
            let notified = self.wake.notified();
            let before = into.len();
            let closed = self.take_batch(into);
            if into.len() > before || closed.is_some() {
                return closed;
            }
            notified.await;
        }
    }

    /// [`MemberQueue::next_batch`] without waiting: takes what is there (maybe nothing).
    /// Returns the close once the queue is closed and its last frames are taken.
    pub fn take_batch(&self, into: &mut Vec<Bytes>) -> Option<Close> {
        self.signalled.store(false, Ordering::Release);
        let mut s = self.state.lock().unwrap();
        let mut taken = 0;
        while let Some(Slot::Frame { .. }) = s.frames.front() {
            let Some(Slot::Frame { bytes, counted }) = s.frames.pop_front() else {
                unreachable!("looked at above")
            };
            if counted {
                taken += bytes.len();
            }
            into.push(bytes);
        }
        s.counted -= taken;
        if s.frames.is_empty() && s.frames.capacity() > SLOTS_KEPT {
            // A burst's slots are given back, not kept per member.
            s.frames = VecDeque::new();
        }
        s.closed.filter(|_| s.frames.is_empty())
    }

    /// Bytes queued that count against the limit.
    pub fn counted_bytes(&self) -> usize {
        self.state.lock().unwrap().counted
    }

    /// Marks the queue's writer as done (everything written, or the stream failed).
    pub fn set_finished(&self) {
        self.finished.store(true, Ordering::Release);
    }

    /// True once the writer is done.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Bytes {
        Bytes::from(vec![0u8; n])
    }

    #[tokio::test]
    async fn the_limit_counts_bytes_and_exempt_frames_do_not_count() {
        let q = MemberQueue::new(100);
        assert!(q.push_all(&[frame(40), frame(40)]));
        assert!(!q.push(frame(30)), "110 bytes would be over 100");
        assert!(q.push(frame(20)));
        q.push_exempt(frame(1000));
        assert_eq!(q.counted_bytes(), 100);
        let mut batch = Vec::new();
        assert_eq!(q.next_batch(&mut batch).await, None);
        let sizes: Vec<usize> = batch.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [40, 40, 20, 1000]);
        assert!(q.push(frame(100)), "taken frames no longer count");
        q.next_batch(&mut batch).await;
        assert!(
            q.push(frame(500)),
            "an empty queue takes a batch over the limit"
        );
        assert!(!q.push(frame(1)), "but nothing more until it is taken");
    }

    #[tokio::test]
    async fn a_welcome_keeps_its_place_and_the_writer_waits_for_it() {
        let q = MemberQueue::new(100);
        q.push(frame(1));
        let hole = q.reserve();
        assert!(q.push(frame(2)), "published behind the welcome");
        let mut batch = Vec::new();
        assert_eq!(q.next_batch(&mut batch).await, None);
        assert_eq!(batch.len(), 1, "the writer stops at the hole");
        batch.clear();
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            q.next_batch(&mut batch),
        );
        assert!(
            waiting.await.is_err(),
            "nothing to take before the hole is filled"
        );
        q.fill(hole, vec![frame(5000), frame(3000)]);
        q.next_batch(&mut batch).await;
        let sizes: Vec<usize> = batch.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [5000, 3000, 2]);
        assert_eq!(q.counted_bytes(), 0);
    }

    #[tokio::test]
    async fn closing_too_slow_drops_what_is_queued_and_a_bye_follows_the_rest() {
        let slow = MemberQueue::new(1000);
        slow.push(frame(500));
        assert!(slow.close(Close::TooSlow));
        assert!(!slow.close(Close::Shutdown), "the first close wins");
        let mut batch = Vec::new();
        assert_eq!(slow.next_batch(&mut batch).await, Some(Close::TooSlow));
        assert!(batch.is_empty());
        assert!(!slow.push(frame(1)), "a closed queue takes nothing");

        let replaced = MemberQueue::new(1000);
        replaced.push(frame(10));
        replaced.close(Close::Replaced);
        assert_eq!(replaced.closed().await, Close::Replaced);
        replaced.next_batch(&mut batch).await;
        assert_eq!(batch.len(), 2);
        let (bye, _) = codec::decode::<ServerFrame>(&batch[1]).unwrap();
        assert_eq!(bye, ServerFrame::Bye(ByeReason::Replaced));
    }
}
