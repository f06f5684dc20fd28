//! The committer: hands the room's events to the log in batches (whatever queued up
//! while the previous batch was being stored; the log may commit batches of many rooms
//! together) and publishes each batch once it is durable.
//!
//! Publishing is paced: in a large room every published batch costs one datagram per
//! member, so a bucket of `PUBLISH_BURST` publishes is refilled at one per
//! [`publish_pause`] (which grows with the room). A quiet room publishes every message
//! at once; under load batches are spaced by the pause and each datagram carries several
//! messages.
//!
//! What publishing does is a [`Publisher`] chosen when the room opens: [`Fanout`]
//! (history, every member's queue, acks); [`Answer`] for a room shared by several
//! relays, whose fan-out comes from the log's feed (`follow.rs`) — only the senders are
//! answered here, each ack once the feed has delivered its message; or, for fault
//! injection, [`LoseAcks`] (stored, then nobody hears of it, as if the relay died
//! between storing and acknowledging). The hot path never asks which.

use std::{
    sync::{atomic::Ordering, Arc, Weak},
    time::Duration,
};

use bytes::Bytes;
use common::{
    protocol::{ClientMsgId, EventKind, RejectReason, ServerFrame},
    rate::TokenBucket,
};
use tokio::sync::mpsc;

use super::{members::SessionId, pack::encode, Room, State};
use crate::log::{self, Appended, Entry, LogError, Stored};

/// Work for the committer, in the order the room queued it.
pub(crate) enum Job {
    /// An event to append.
    Append(Entry),
    /// Runs once everything queued before is published (a member that left gets the
    /// acks of what it sent first; a closing room waits for its last events).
    Then(Box<dyn FnOnce() + Send>),
}

/// One appended entry: its message id, if a message, and what the log did.
pub struct Done {
    /// The client id, for a message.
    pub id: Option<ClientMsgId>,
    /// The log's answer; `None` when the batch could not be stored.
    pub outcome: Option<Appended>,
}

/// What happens to a durable batch.
pub trait Publisher: Send + Sync + 'static {
    /// Publishes `batch` in `room`.
    fn publish(&self, room: &Room, batch: Vec<Done>);
}

/// Publishes: history, fan-out, acks.
pub struct Fanout;

/// Answers the senders; the fan-out is the feed's (a room shared by several relays).
pub struct Answer;

/// Fault injection: stores, then neither publishes nor acknowledges.
pub struct LoseAcks;

/// Which [`Publisher`] a room's committer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// [`Fanout`].
    Fanout,
    /// [`Answer`].
    Answer,
    /// [`LoseAcks`].
    LoseAcks,
}

impl Publisher for Fanout {
    fn publish(&self, room: &Room, batch: Vec<Done>) {
        room.publish(batch, true);
    }
}

impl Publisher for Answer {
    fn publish(&self, room: &Room, batch: Vec<Done>) {
        room.publish(batch, false);
    }
}

impl Publisher for LoseAcks {
    fn publish(&self, room: &Room, batch: Vec<Done>) {
        let mut s = room.state.lock().unwrap();
        for id in batch.into_iter().filter_map(|d| d.id) {
            // Stored, then "died" before anyone heard of it; a resend is looked up.
            s.seq.settle(id);
        }
    }
}

/// Publishes a room may make at once before [`publish_pause`] spaces them.
const PUBLISH_BURST: f64 = 4.0;

/// The least time between two published batches for a room of `members`: none below
/// 64 members, then 20 µs a member, at most 25 ms.
pub fn publish_pause(members: usize) -> Duration {
    if members < 64 {
        return Duration::ZERO;
    }
    Duration::from_micros((members as u64 * 20).min(25_000))
}

/// Starts the committer of `room` with the publisher `publish` names.
pub(crate) fn start(room: Weak<Room>, jobs: mpsc::UnboundedReceiver<Job>, publish: Publish) {
    match publish {
        Publish::Fanout => tokio::spawn(run(room, jobs, Fanout)),
        Publish::Answer => tokio::spawn(run(room, jobs, Answer)),
        Publish::LoseAcks => tokio::spawn(run(room, jobs, LoseAcks)),
    };
}

async fn run<P: Publisher>(room: Weak<Room>, mut jobs: mpsc::UnboundedReceiver<Job>, publisher: P) {
    let mut batch = Vec::new();
    let mut publishes = TokenBucket::new(PUBLISH_BURST, 1.0);
    while jobs.recv_many(&mut batch, 4096).await > 0 {
        let Some(room) = room.upgrade() else { return };
        let pause = publish_pause(room.member_count());
        if !pause.is_zero() {
            publishes.set_rate(1.0 / pause.as_secs_f64());
            if !publishes.take() {
                tokio::time::sleep_until(publishes.next_token().into()).await;
                while let Ok(job) = jobs.try_recv() {
                    batch.push(job);
                }
                publishes.take();
            }
        }
        let mut entries = Vec::new();
        let mut after = Vec::new();
        for job in batch.drain(..) {
            match job {
                Job::Append(entry) => entries.push(entry),
                other => after.push(other),
            }
        }
        if !entries.is_empty() {
            let done = append(&room, entries).await;
            room.stats.commits.fetch_add(1, Ordering::Relaxed);
            publisher.publish(&room, done);
        }
        for job in after {
            match job {
                Job::Then(then) => then(),
                Job::Append(_) => unreachable!("separated above"),
            }
        }
    }
}

/// Appends a batch and waits until it is durable; on failure nothing of it is stored.
async fn append(room: &Room, entries: Vec<Entry>) -> Vec<Done> {
    let ids: Vec<Option<ClientMsgId>> = entries
        .iter()
        .map(|e| match &e.kind {
            EventKind::Message { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    let result: Result<Vec<Appended>, LogError> = log::append(&*room.log, entries).await;
    let outcomes: Vec<Option<Appended>> = match result {
        Ok(outcomes) => {
            let new_messages = ids
                .iter()
                .zip(&outcomes)
                .filter(|(id, o)| id.is_some() && matches!(o, Appended::New(_)))
                .count();
            let stats = &room.stats.messages;
            stats.fetch_add(new_messages as u64, Ordering::Relaxed);
            outcomes.into_iter().map(Some).collect()
        }
        Err(e) => {
            tracing::error!(room = %room.name, "storing events failed: {e}");
            ids.iter().map(|_| None).collect()
        }
    };
    ids.into_iter()
        .zip(outcomes)
        .map(|(id, outcome)| Done { id, outcome })
        .collect()
}

impl Room {
    /// Publishes a durable batch: history and fan-out when `deliver` (each member gets
    /// the batch's events in one push; a shared room's come from its feed instead), then
    /// the senders' acks (and the answers to resends); evicts members that cannot keep
    /// up.
    pub(crate) fn publish(&self, batch: Vec<Done>, deliver: bool) {
        let failed = match self.shared {
            true => RejectReason::Unavailable,
            false => RejectReason::StorageFailed,
        };
        // The stored events move out of the batch (into history), uncopied; the
        // answers keep only what they need.
        let mut events = Vec::new();
        let mut answers = Vec::new();
        for done in batch {
            let outcome = match done.outcome {
                Some(Appended::New(stored)) => {
                    let seq = stored.seq;
                    events.push(stored);
                    (Ok(seq), true)
                }
                Some(Appended::Duplicate(seq)) => (Ok(seq), false),
                Some(Appended::Missing) => (Err(RejectReason::RateLimited), false),
                Some(Appended::Failed) | None => (Err(failed), false),
            };
            if let Some(id) = done.id {
                answers.push((id, outcome));
            }
        }
        let mut s = self.state.lock().unwrap();
        let mut slow = Vec::new();
        if deliver {
            self.deliver(&mut s, events, &mut slow);
        }
        let room = self.id;
        for (id, (frame, published)) in answers {
            match frame {
                Ok(seq) => {
                    s.seq.remember(id, seq);
                    if seq > s.published {
                        // Not delivered by the feed yet: acked once it is.
                        s.awaiting.entry(seq).or_default().push((id, published));
                    } else {
                        self.settle(
                            &mut s,
                            id,
                            ServerFrame::Ack { room, id, seq },
                            published,
                            &mut slow,
                        );
                    }
                }
                Err(reason) => {
                    let frame = ServerFrame::Rejected { room, id, reason };
                    self.settle(&mut s, id, frame, false, &mut slow);
                }
            }
        }
        for (key, session) in slow {
            self.evict(&mut s, &key, session);
        }
    }

    /// Records events as published, fans them out to every member, and enforces the
    /// owners' actions among them (`moderate.rs`).
    pub(super) fn deliver(
        &self,
        s: &mut State,
        events: Vec<Stored>,
        slow: &mut Vec<(String, SessionId)>,
    ) {
        if events.is_empty() {
            return;
        }
        let fanout: Vec<Bytes> = events.iter().map(|e| e.frame.clone()).collect();
        for (key, m) in s.members.iter() {
            if !m.queue.push_all(&fanout) {
                slow.push((key.clone(), m.session));
            }
        }
        self.enforce(s, &events);
        for stored in events {
            s.published = stored.seq;
            s.history.push_back(stored);
            if s.history.len() > self.limits.history {
                if let Some(old) = s.history.pop_front() {
                    s.forgotten = old.seq;
                }
            }
        }
    }

    /// Tells everyone waiting for `id` the outcome `frame`. The ack of a published
    /// message to its sender is bounded by the rate limit; answers to resends (the later
    /// waiters) are what a client can provoke, so they count.
    pub(super) fn settle(
        &self,
        s: &mut State,
        id: ClientMsgId,
        frame: ServerFrame,
        published: bool,
        slow: &mut Vec<(String, SessionId)>,
    ) {
        let waiters = s.seq.settle(id);
        if waiters.is_empty() {
            return;
        }
        let frame = encode(&frame);
        for (i, queue) in waiters.into_iter().enumerate() {
            if published && i == 0 {
                queue.push_exempt(frame.clone());
            } else if !queue.push(frame.clone()) {
                if let Some((key, m)) = s
                    .members
                    .iter()
                    .find(|(_, m)| Arc::ptr_eq(&m.queue, &queue))
                {
                    slow.push((key.clone(), m.session));
                }
            }
        }
    }
}
