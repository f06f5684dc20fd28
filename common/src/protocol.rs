//! The frames Piazza's client and relay exchange, and the limits they obey.
//!
//! A client opens one bidirectional QUIC stream, sends [`ClientFrame::Hello`], and from
//! then on sends [`ClientFrame::Send`] and [`ClientFrame::History`] frames and receives
//! [`ServerFrame`]s. Everything that happens in a room is a [`RoomEvent`] with a
//! sequence number: the room's log. Seqs increase but need not be consecutive.
//! Reasons are enums so that a UI can translate them; their `Display` is plain English
//! for logs and command-line tools. The rules for names and texts are in
//! [`crate::rules`]; the encoding in [`crate::codec`].

use std::fmt;

use serde::{Deserialize, Serialize};

mod reasons;
pub use reasons::*;

/// Version of the frame layout; a relay refuses a hello with another version.
pub const PROTOCOL_VERSION: u16 = 3;
/// The ALPN protocol id both sides require in the TLS handshake.
pub const ALPN: &[u8] = b"piazza/1";
/// Largest frame on the wire (the payload after the 4-byte length prefix), in bytes.
/// Both ends count it the same way: the encoder refuses longer frames, the decoder
/// refuses a longer announced length, and every frame up to it decodes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Most events one history page asks for; the relay may send fewer (frame size).
pub const MAX_HISTORY_PAGE: u32 = 200;
/// Longest room key, in characters.
pub const MAX_ROOM_KEY_CHARS: usize = 256;

/// Position of an event in a room's log. The first event has seq 1.
pub type Seq = u64;

/// A random identifier of one app installation, kept across restarts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InstallId(pub [u8; 16]);

impl InstallId {
    /// A fresh random install id.
    pub fn random() -> Self {
        Self(rand::random())
    }
}

impl fmt::Display for InstallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for InstallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstallId({self})")
    }
}

/// Identifies one message a client sent: its install plus a counter that install never
/// reuses. The relay recognises a resend of an id it already sequenced.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Debug)]
pub struct ClientMsgId {
    /// The sending installation.
    pub install: InstallId,
    /// Per-install counter, increasing with every new message.
    pub counter: u64,
}

/// First frame on every stream: who is joining and from where to resume.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Hello {
    /// Must equal [`PROTOCOL_VERSION`].
    pub version: u16,
    /// Requested display name (validated by [`crate::rules::validate_name`]).
    pub name: String,
    /// The client's installation; a second session of the same install takes over.
    pub install: InstallId,
    /// The room key from the invite, if the relay requires one.
    pub room_key: Option<String>,
    /// Replay every event after this seq instead of the recent backlog.
    pub resume_after: Option<Seq>,
}

/// Frames a client sends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum ClientFrame {
    /// Join the room. Must be the first frame.
    Hello(Hello),
    /// Post a message.
    Send {
        /// Id for acknowledgement and de-duplication.
        id: ClientMsgId,
        /// The text (see [`crate::rules::validate_text`]).
        text: String,
    },
    /// Leave the room: the relay acknowledges what was sent before, then closes the
    /// session. Finishing the stream means the same.
    Leave,
    /// Ask for older events: up to `limit` (at most [`MAX_HISTORY_PAGE`]) events with
    /// a seq below `before`, answered by [`ServerFrame::History`].
    History {
        /// Events before this seq.
        before: Seq,
        /// How many at most.
        limit: u32,
    },
}

/// The relay's answer to an accepted hello.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Welcome {
    /// The display name the relay registered (trimmed).
    pub name: String,
    /// Members online now, this client included, when the room is small enough for the
    /// relay to list them (its presence limit); when they do not all fit in one frame,
    /// the rest follow in [`ServerFrame::Members`] frames. Empty in a larger room: there
    /// only [`Welcome::online`] is known, joins and leaves are not logged and
    /// [`ServerFrame::Online`] keeps the count current.
    pub members: Vec<String>,
    /// How many members are online now, this client included.
    pub online: u32,
    /// The log position `members` and `online` describe: joins and leaves up to this
    /// seq are in them (later ones, even in the backlog, change them).
    pub members_as_of: Seq,
    /// The start of the backlog: recent events (or every event after `resume_after`).
    /// Events that do not fit follow as [`ServerFrame::Event`] frames, in order.
    pub backlog: Vec<RoomEvent>,
    /// The last seq published in the room when the client joined.
    pub last_seq: Seq,
    /// True when `resume_after` was older than the relay's log, so events were lost.
    pub gap: bool,
    /// The relay's per-client rate limit, so a client can pace itself under it.
    pub rate: RateLimit,
}

/// A token bucket: `burst` messages at once, refilled at `per_second`.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct RateLimit {
    /// Messages refilled per second.
    pub per_second: u32,
    /// Most messages accepted at once.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: 10,
            burst: 30,
        }
    }
}

/// Frames the relay sends.
///
/// New variants only ever go at the end: the relay's log stores encoded
/// [`ServerFrame::Event`]s, and a client of another version must still read
/// [`ServerFrame::Refused`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum ServerFrame {
    /// The hello was accepted.
    Welcome(Welcome),
    /// More members online, continuing [`Welcome::members`].
    Members(Vec<String>),
    /// Something happened in the room.
    Event(RoomEvent),
    /// A message of this client is durable and has this seq.
    Ack {
        /// The client's id of the message.
        id: ClientMsgId,
        /// Where it stands in the room's log.
        seq: Seq,
    },
    /// One message was not accepted; the session goes on.
    Rejected {
        /// The client's id of the message.
        id: ClientMsgId,
        /// Why.
        reason: RejectReason,
    },
    /// The session was not accepted (or is being ended); the relay closes it.
    Refused(RefuseReason),
    /// The relay ends the session.
    Bye(ByeReason),
    /// How many members are online, sent every few seconds while it changes in a room
    /// too large to log joins and leaves (and once when it shrinks back under that
    /// size). A client then knows the count, not the names.
    Online {
        /// Members online, the receiver included.
        count: u32,
        /// The log position the count describes: joins and leaves after it change it.
        as_of: Seq,
    },
    /// The answer to a [`ClientFrame::History`] request.
    History(HistoryPage),
}

/// Older events of the room, answering [`ClientFrame::History`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct HistoryPage {
    /// The request's `before`.
    pub before: Seq,
    /// Events with a seq below `before`, oldest first: the newest of them, as many as
    /// were asked for and fit in one frame.
    pub events: Vec<RoomEvent>,
    /// Older events exist than the first one here (with no events: before `before`).
    pub more: bool,
    /// The relay did not serve the request now (too many requests): ask again later.
    pub retry_later: bool,
}

/// One entry of a room's log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct RoomEvent {
    /// Position in the log.
    pub seq: Seq,
    /// Relay time, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What a [`RoomEvent`] records.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum EventKind {
    /// A message.
    Message {
        /// The sender's display name.
        sender: String,
        /// The text.
        text: String,
        /// The sender's id of the message.
        id: ClientMsgId,
    },
    /// Someone joined.
    Joined {
        /// Their display name.
        name: String,
    },
    /// Someone left.
    Left {
        /// Their display name.
        name: String,
        /// Why they left.
        reason: LeaveReason,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_id_prints_as_hex() {
        let id = InstallId([0xab; 16]);
        assert_eq!(id.to_string(), "ab".repeat(16));
    }
}
