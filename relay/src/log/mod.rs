//! The rooms' logs: the seam between a room and where its events are kept.
//!
//! [`RoomLog`] is everything one room needs from its log: append a batch durably and
//! learn each event's seq (the log assigns them, in submission order; they increase but
//! need not be consecutive), read a range, read the page before a seq, look a client
//! message id up, the last seq, each install's highest counter, and who the log records
//! as present. [`Store`] is where every room's log lives: it hands out one [`RoomLog`]
//! per room and keeps the catalogue of rooms that have data ([`RoomRecord`]).
//! [`redb::RedbStore`] is the embedded implementation (one database for every room, one
//! group commit serving every room's pending batch); a clustered store (NATS JetStream,
//! say) is one more module implementing the same two traits.
//!
//! Appending does not block: [`RoomLog::append`] takes the batch and a callback the log
//! calls once the batch is durable (from its own writer), so a relay of a thousand
//! rooms needs no thread per room waiting for its commit. Every other method blocks
//! (disk, network): the room calls them from `spawn_blocking`, never on the async
//! workers.

pub mod jetstream;
pub mod redb;

#[cfg(test)]
pub(crate) mod memory;

use std::{collections::HashMap, sync::Arc};

use bytes::Bytes;
use common::{
    codec,
    protocol::{ClientMsgId, EventKind, InstallId, RoomEvent, RoomId, Seq, ServerFrame},
};

/// One event to append; the log gives it its seq.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Relay time of the event, ms since the Unix epoch.
    pub at_ms: u64,
    /// What happened.
    pub kind: EventKind,
    /// For a message: whether its id may already be in the log.
    pub resend: Resend,
}

/// How the log treats a message's client id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resend {
    /// The id is new for sure (its counter is above every counter of its install):
    /// append without looking.
    Fresh,
    /// The id may be stored already: if so, answer [`Appended::Duplicate`], else append.
    Maybe,
    /// The id may be stored already: if so, [`Appended::Duplicate`], else
    /// [`Appended::Missing`] without appending (a resend the client may not afford now).
    OnlyIfStored,
}

/// What became of one [`Entry`].
#[derive(Clone, Debug)]
pub enum Appended {
    /// Stored under a new seq.
    New(Stored),
    /// A message whose id the log already holds, under this seq.
    Duplicate(Seq),
    /// [`Resend::OnlyIfStored`] and not stored: nothing appended.
    Missing,
    /// Not stored: an earlier entry of the batch was, then the log failed (a clustered
    /// log cannot take back what it stored; the embedded one never answers this).
    Failed,
}

/// One stored event: its encoded frame (`ServerFrame::Event` naming its room, prefix
/// included), as sent to clients, and the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    /// Its seq.
    pub seq: Seq,
    /// The encoded `ServerFrame::Event`.
    pub frame: Bytes,
    /// The event.
    pub event: RoomEvent,
}

impl Stored {
    /// Makes the stored form of an event of `room` (encodes it).
    pub fn new(room: RoomId, event: RoomEvent) -> Result<Self, LogError> {
        // Encoded in place: the event goes into the frame and back, uncopied.
        let wrapped = ServerFrame::Event { room, event };
        let frame = codec::encode(&wrapped).map_err(|e| LogError::Encode(e.to_string()))?;
        let ServerFrame::Event { event, .. } = wrapped else {
            unreachable!("wrapped above")
        };
        Ok(Self {
            seq: event.seq,
            frame,
            event,
        })
    }

    /// Reads a stored frame back; `None` (logged) when it is not an event.
    pub fn decode(seq: Seq, frame: Bytes) -> Option<Self> {
        match codec::decode::<ServerFrame>(&frame) {
            Ok((ServerFrame::Event { event, .. }, _)) => Some(Self {
                seq: event.seq,
                frame,
                event,
            }),
            Ok((other, _)) => {
                tracing::error!(seq, "the log holds a {other:?} frame, not an event");
                None
            }
            Err(e) => {
                tracing::error!(seq, "unreadable event in the log: {e}");
                None
            }
        }
    }

    /// The client id, for a message.
    pub fn id(&self) -> Option<ClientMsgId> {
        match &self.event.kind {
            EventKind::Message { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// A log failure.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The embedded database failed (boxed: redb's errors are large).
    #[error("{0}")]
    Redb(Box<::redb::Error>),
    /// An event could not be encoded.
    #[error("encoding an event: {0}")]
    Encode(String),
    /// The blocking task running the read or write failed.
    #[error("log task: {0}")]
    Task(String),
    /// A group commit failed; every batch in it is lost (none of it is stored).
    #[error("storing failed: {0}")]
    Write(String),
    /// The store is closed (the relay is stopping).
    #[error("the log is closed")]
    Closed,
    /// A log written by an earlier version could not be upgraded.
    #[error("upgrading the log: {0}")]
    Upgrade(String),
    /// The cluster (NATS JetStream) failed, in plain words.
    #[error("{0}")]
    Cluster(String),
}

impl LogError {
    /// True when another process (or a relay still stopping) holds the log open.
    pub fn is_locked(&self) -> bool {
        matches!(self, Self::Redb(e) if matches!(**e, ::redb::Error::DatabaseAlreadyOpen))
    }
}

/// What a log calls once a batch handed to [`RoomLog::append`] is durable (or failed):
/// one [`Appended`] per entry, in order.
pub type AppendDone = Box<dyn FnOnce(Result<Vec<Appended>, LogError>) + Send>;

/// A room's durable, sequenced log.
pub trait RoomLog: Send + Sync + 'static {
    /// Hands a batch over to be appended durably (in one commit, possibly shared with
    /// other rooms' batches), assigning seqs in batch order; `done` gets one
    /// [`Appended`] per entry once the batch is durable. Does not block; batches of one
    /// room are stored in the order they were handed over. Joins and leaves also update
    /// the present set.
    fn append(&self, batch: Vec<Entry>, done: AppendDone);
    /// Events with `after < seq <= upto`, oldest first, at most `limit`.
    fn range(&self, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Stored>, LogError>;
    /// The newest `limit` events with `seq < before`, oldest first.
    fn before(&self, before: Seq, limit: usize) -> Result<Vec<Stored>, LogError>;
    /// The seq a client message id was stored under.
    fn lookup(&self, id: ClientMsgId) -> Result<Option<Seq>, LogError>;
    /// The last seq (0 for an empty log).
    fn last_seq(&self) -> Result<Seq, LogError>;
    /// Each install's highest stored counter.
    fn install_counters(&self) -> Result<HashMap<InstallId, u64>, LogError>;
    /// Names whose last logged presence event is a join: who the log's readers believe
    /// online. After a crash these never got their leave.
    fn present(&self) -> Result<Vec<String>, LogError>;
    /// For a log shared by several relays: every event of the room stored after `after`
    /// (by any relay, this one included), in the log's order, as it is stored — the room
    /// fans out from here instead of from its own appends. `None` (the default): the
    /// log is this relay's alone. The feed ends when the receiver is dropped.
    fn follow(&self, _after: Seq) -> Option<tokio::sync::mpsc::Receiver<Stored>> {
        None
    }
    /// True for a log shared by several relays (then [`RoomLog::follow`] is `Some`).
    fn is_shared(&self) -> bool {
        false
    }
    /// For a shared log: claims the name key `key` (display name `name`) for `install`
    /// on this relay, so names stay unique across relays. [`Claim::Taken`] when another
    /// install holds it on a relay that is alive; an install takes its own name over
    /// from another relay. Always granted for a log of one relay. Blocks.
    fn claim(&self, _key: &str, _name: &str, _install: InstallId) -> Result<Claim, LogError> {
        Ok(Claim::Granted)
    }
    /// Gives up a claim made by [`RoomLog::claim`] (if it is still this relay's and
    /// `install`'s). Does not block.
    fn release(&self, _key: &str, _install: InstallId) {}
}

/// The answer to [`RoomLog::claim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The name is the install's on this relay now.
    Granted,
    /// Another install uses the name on a relay that is alive.
    Taken,
}

/// A room the store has a record of (it has been opened, or created by a client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomRecord {
    /// The room's name (as `common::rules::validate_room_name` returns it).
    pub name: String,
    /// Archived by the operator: readable, not writable.
    pub archived: bool,
    /// Created by a client joining it on a relay with open rooms (not by the operator).
    pub by_client: bool,
}

/// Where every room's log lives.
pub trait Store: Send + Sync + 'static {
    /// The log of `room` (cheap: nothing is read until it is used).
    fn log(&self, room: RoomId) -> Arc<dyn RoomLog>;
    /// Every room on record, in name order. Blocks.
    fn rooms(&self) -> Result<Vec<RoomRecord>, LogError>;
    /// Records rooms (or updates their records), in one write. Blocks.
    fn put_rooms(&self, records: &[RoomRecord]) -> Result<(), LogError>;
    /// Erases a room: its record and every event, id and presence of its log. False if
    /// there was nothing to erase. Blocks.
    fn delete_room(&self, name: &str) -> Result<bool, LogError>;
    /// Durable writes of batches made so far (each may serve many rooms), for stats.
    fn commits(&self) -> u64;
    /// Stops taking batches once those handed over are durable, and waits (a few
    /// seconds at most) until the writer is done. Blocks.
    fn close(&self);
}

/// Runs a blocking log call off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LogError> + Send + 'static,
) -> Result<T, LogError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| LogError::Task(e.to_string()))?
}

/// Appends `batch` to `log` and waits for the outcome (without blocking a worker).
pub async fn append(log: &dyn RoomLog, batch: Vec<Entry>) -> Result<Vec<Appended>, LogError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    log.append(
        batch,
        Box::new(move |outcome| {
            let _ = tx.send(outcome);
        }),
    );
    rx.await
        .map_err(|_| LogError::Task("the log dropped the batch".into()))?
}
