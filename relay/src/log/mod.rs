//! The room's log: the seam between the room and where its events are kept.
//!
//! [`RoomLog`] is everything the room needs from a log: append a batch durably and learn
//! each event's seq (the log assigns them, in submission order; they increase but need
//! not be consecutive), read a range, read the page before a seq, look a client message
//! id up, the last seq, each install's highest counter, and who the log records as
//! present. [`redb::RedbLog`] is the embedded implementation; a clustered log (NATS
//! JetStream, say) is one more module implementing the same trait.
//!
//! Every method blocks (disk, network): the room calls them from `spawn_blocking` or the
//! committer's blocking section, never on the async workers.

pub mod redb;

#[cfg(test)]
pub(crate) mod memory;

use std::collections::HashMap;

use bytes::Bytes;
use common::{
    codec,
    protocol::{ClientMsgId, EventKind, InstallId, RoomEvent, Seq, ServerFrame},
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
}

/// One stored event: its encoded frame (`ServerFrame::Event`, prefix included), as sent
/// to clients, and the event.
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
    /// Makes the stored form of an event (encodes it).
    pub fn new(event: RoomEvent) -> Result<Self, LogError> {
        // Encoded in place: the event goes into the frame and back, uncopied.
        let wrapped = ServerFrame::Event(event);
        let frame = codec::encode(&wrapped).map_err(|e| LogError::Encode(e.to_string()))?;
        let ServerFrame::Event(event) = wrapped else {
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
            Ok((ServerFrame::Event(event), _)) => Some(Self {
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
}

impl LogError {
    /// True when another process (or a relay still stopping) holds the log open.
    pub fn is_locked(&self) -> bool {
        matches!(self, Self::Redb(e) if matches!(**e, ::redb::Error::DatabaseAlreadyOpen))
    }
}

/// A room's durable, sequenced log. Every method blocks.
pub trait RoomLog: Send + Sync + 'static {
    /// Appends a batch durably (one commit), assigning seqs in batch order; one
    /// [`Appended`] per entry, in order. Joins and leaves also update the present set.
    fn append(&self, batch: Vec<Entry>) -> Result<Vec<Appended>, LogError>;
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
}
