//! The frames Piazza's client and relay exchange, and the limits they obey.
//!
//! A client opens one bidirectional QUIC stream and sends [`ClientFrame::Hello`] (who it
//! is), answered by [`ServerFrame::Ready`]; then it joins rooms ([`ClientFrame::Join`],
//! one [`ServerFrame::Welcome`] each) and sends to them, over the same stream: every
//! frame about a room names it ([`RoomId`]). Everything that happens in a room is a
//! [`RoomEvent`] with a sequence number: the room's log. Seqs increase but need not be
//! consecutive.
//! Reasons are enums so that a UI can translate them; their `Display` is plain English
//! for logs and command-line tools. The rules for names and texts are in
//! [`crate::rules`]; the encoding in [`crate::codec`].

use std::fmt;

use serde::{Deserialize, Serialize};

mod moderation;
mod reasons;
pub use moderation::*;
pub use reasons::*;

/// Version of the frame layout; a relay refuses a hello with another version.
pub const PROTOCOL_VERSION: u16 = 5;
/// The ALPN protocol id both sides require in the TLS handshake.
pub const ALPN: &[u8] = b"piazza/1";
/// Largest frame on the wire (the payload after the 4-byte length prefix), in bytes.
/// Both ends count it the same way: the encoder refuses longer frames, the decoder
/// refuses a longer announced length, and every frame up to it decodes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Most events one history page asks for; the relay may send fewer (frame size).
pub const MAX_HISTORY_PAGE: u32 = 200;
/// The room an invite without a room names: the one every relay has.
pub const DEFAULT_ROOM: &str = "piazza";
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

/// A room on a relay: a fixed number derived from the room's name ([`RoomId::of`]), so
/// that every relay (and every restart) names a room the same way, and frames about it
/// stay small. Frames about a room carry it; the room's name travels only in
/// [`ClientFrame::Join`] and [`Welcome`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoomId(pub u64);

impl RoomId {
    /// The id of the room named `name` (a name as [`crate::rules::validate_room_name`]
    /// returns it): the first 8 bytes of a SHA-256 of it.
    pub fn of(name: &str) -> Self {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(b"piazza room\0");
        ctx.update(name.as_bytes());
        let digest = ctx.finish();
        Self(u64::from_be_bytes(
            digest.as_ref()[..8].try_into().expect("8 bytes"),
        ))
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoomId({self})")
    }
}

/// First frame on every stream: who is connecting. Rooms are joined afterwards, one
/// [`ClientFrame::Join`] each (they may follow the hello at once).
///
/// The layout is the one earlier versions used (`room_key` and `resume_after` were
/// per-connection then), so that a relay of an earlier version reads the version and
/// refuses with [`RefuseReason::VersionMismatch`] instead of a protocol error. Both
/// fields are `None` from this version on; a relay ignores them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Hello {
    /// Must equal [`PROTOCOL_VERSION`].
    pub version: u16,
    /// Requested display name (validated by [`crate::rules::validate_name`]); unique per
    /// room, checked when joining each room.
    pub name: String,
    /// The client's installation; a second connection of the same install takes over.
    pub install: InstallId,
    /// Unused since version 4 (kept for the layout); `None`.
    pub room_key: Option<String>,
    /// Unused since version 4 (kept for the layout); `None`.
    pub resume_after: Option<Seq>,
}

impl Hello {
    /// A hello of this version.
    pub fn new(name: impl Into<String>, install: InstallId) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            name: name.into(),
            install,
            room_key: None,
            resume_after: None,
        }
    }
}

/// Joining one room.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Join {
    /// The room's name, as in its invite (validated by
    /// [`crate::rules::validate_room_name`]; the default room is [`DEFAULT_ROOM`]).
    pub room: String,
    /// The room key from the invite, if the room has one.
    pub key: Option<String>,
    /// Replay every event after this seq instead of the recent backlog.
    pub resume_after: Option<Seq>,
    /// The relay's owner key, to join as an owner of the room (see [`Moderation`]); a
    /// wrong key is refused ([`JoinRefusal::OwnerKeyWrong`]).
    pub owner_key: Option<String>,
}

/// Frames a client sends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum ClientFrame {
    /// Who is connecting. Must be the first frame.
    Hello(Hello),
    /// Post a message in a room the client is in.
    Send {
        /// The room.
        room: RoomId,
        /// Id for acknowledgement and de-duplication.
        id: ClientMsgId,
        /// The text (see [`crate::rules::validate_text`]).
        text: String,
    },
    /// Leave one room: the relay acknowledges what was sent to it before, then answers
    /// [`ServerFrame::RoomLeft`]. The connection and the other rooms stay.
    Leave {
        /// The room.
        room: RoomId,
    },
    /// Ask for older events of a room: up to `limit` (at most [`MAX_HISTORY_PAGE`])
    /// events with a seq below `before`, answered by [`ServerFrame::History`].
    History {
        /// The room.
        room: RoomId,
        /// Events before this seq.
        before: Seq,
        /// How many at most.
        limit: u32,
    },
    /// Join a room, answered by [`ServerFrame::Welcome`] or [`ServerFrame::JoinRefused`].
    Join(Join),
    /// Leave every room and end the session: the relay acknowledges what was sent
    /// before, then closes. Finishing the stream means the same.
    Quit,
    /// An owner keeps order in a room: done, the relay logs it as an event of the room;
    /// refused, it answers [`ServerFrame::ModerationRefused`].
    Moderate {
        /// The room.
        room: RoomId,
        /// What to do.
        action: Moderation,
    },
}

/// The relay's answer to an accepted hello.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Ready {
    /// The display name the relay registered (normalised).
    pub name: String,
    /// The relay's per-client rate limit (over all rooms), so a client can pace itself.
    pub rate: RateLimit,
    /// How many rooms one client may be in at once.
    pub max_rooms: u32,
}

/// The relay's answer to an accepted join: the room as it is now.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Welcome {
    /// The room.
    pub room: RoomId,
    /// Its name.
    pub room_name: String,
    /// Members online now, this client included, when the room is small enough for the
    /// relay to list them (its presence limit); when they do not all fit in one frame,
    /// the rest follow in [`ServerFrame::Members`] frames. Empty in a larger room: there
    /// only [`Welcome::online`] is known, joins and leaves are not logged and
    /// [`ServerFrame::Online`] keeps the count current.
    pub members: Vec<String>,
    /// How many members are online now, this client included.
    pub online: u32,
    /// The log position `members` and `online` describe: joins and leaves up to this
    /// seq are in them (later ones, even in the backlog, change them; applying one that
    /// is already reflected changes nothing).
    pub members_as_of: Seq,
    /// The start of the backlog: recent events (or every event after `resume_after`).
    /// Events that do not fit follow as [`ServerFrame::Event`] frames, in order.
    pub backlog: Vec<RoomEvent>,
    /// The last seq published in the room when the client joined.
    pub last_seq: Seq,
    /// True when `resume_after` was older than the relay's log, so events were lost.
    pub gap: bool,
    /// The room is archived: it can be read, not written to.
    pub archived: bool,
    /// This client joined as an owner of the room (it may send
    /// [`ClientFrame::Moderate`]).
    pub owner: bool,
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
/// New variants only ever go at the end: a client of another version must still read
/// [`ServerFrame::Refused`] (index 5, with [`RefuseReason::VersionMismatch`] first).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum ServerFrame {
    /// A room was joined.
    Welcome(Welcome),
    /// More members online in a room, continuing [`Welcome::members`].
    Members {
        /// The room.
        room: RoomId,
        /// The names.
        names: Vec<String>,
    },
    /// Something happened in a room.
    Event {
        /// The room.
        room: RoomId,
        /// What.
        event: RoomEvent,
    },
    /// A message of this client is durable and has this seq.
    Ack {
        /// The room.
        room: RoomId,
        /// The client's id of the message.
        id: ClientMsgId,
        /// Where it stands in the room's log.
        seq: Seq,
    },
    /// One message was not accepted; the session goes on.
    Rejected {
        /// The room.
        room: RoomId,
        /// The client's id of the message.
        id: ClientMsgId,
        /// Why.
        reason: RejectReason,
    },
    /// The session was not accepted (or is being ended); the relay closes it.
    Refused(RefuseReason),
    /// The relay ends the session.
    Bye(ByeReason),
    /// How many members are online in a room, sent every few seconds while it changes
    /// in a room too large to log joins and leaves (and once when it shrinks back under
    /// that size). A client then knows the count, not the names.
    Online {
        /// The room.
        room: RoomId,
        /// Members online, the receiver included.
        count: u32,
        /// The log position the count describes: joins and leaves after it change it.
        as_of: Seq,
    },
    /// The answer to a [`ClientFrame::History`] request.
    History {
        /// The room.
        room: RoomId,
        /// The page.
        page: HistoryPage,
    },
    /// The hello was accepted: rooms can be joined.
    Ready(Ready),
    /// A join was not accepted; the session and its other rooms go on.
    JoinRefused {
        /// The room's name, as the join gave it.
        room: String,
        /// Why.
        reason: JoinRefusal,
    },
    /// This client is no longer in the room (it left, or the operator removed the room);
    /// the session and its other rooms go on.
    RoomLeft {
        /// The room.
        room: RoomId,
        /// Why.
        reason: RoomLeftReason,
    },
    /// The operator archived a room this client is in (it can be read, no longer
    /// written to), or opened it for writing again.
    Archived {
        /// The room.
        room: RoomId,
        /// Archived now (true), or writable again (false).
        archived: bool,
    },
    /// A [`ClientFrame::Moderate`] was not carried out; the session goes on.
    ModerationRefused {
        /// The room.
        room: RoomId,
        /// What was asked.
        action: Moderation,
        /// Why not.
        reason: ModerationRefusal,
    },
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
    /// An owner removed the message at `seq`. The message itself is served as
    /// [`EventKind::Redacted`] from then on.
    MessageRemoved {
        /// The removed message.
        seq: Seq,
        /// The owner's display name.
        by: String,
    },
    /// An owner removed a member: its session left the room and its installation may
    /// not join it again for as long as the room's log lasts.
    MemberRemoved {
        /// The member's display name.
        name: String,
        /// Its installation (the one barred).
        install: InstallId,
        /// The owner's display name.
        by: String,
        /// Why, as the owner wrote it.
        reason: String,
    },
    /// An owner muted a member: its messages are rejected until `until_ms`.
    Muted {
        /// The member's display name.
        name: String,
        /// Its installation (the one muted).
        install: InstallId,
        /// The owner's display name.
        by: String,
        /// Relay time the mute ends, milliseconds since the Unix epoch.
        until_ms: u64,
    },
    /// An owner ended a member's mute early.
    Unmuted {
        /// The member's display name.
        name: String,
        /// Its installation.
        install: InstallId,
        /// The owner's display name.
        by: String,
    },
    /// A message an owner removed, as the relay serves it (at the message's seq, in
    /// welcomes, history pages and resumes): who sent it, its id, no text. Never stored:
    /// the log keeps the [`EventKind::Message`] and the [`EventKind::MessageRemoved`].
    Redacted {
        /// The sender's display name.
        sender: String,
        /// The sender's id of the message.
        id: ClientMsgId,
        /// The owner who removed it.
        by: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_ids_are_the_same_everywhere_and_differ_between_rooms() {
        assert_eq!(RoomId::of("classe-3b"), RoomId::of("classe-3b"));
        assert_ne!(RoomId::of("classe-3b"), RoomId::of("classe-3a"));
        assert_ne!(RoomId::of(DEFAULT_ROOM), RoomId::of("classe-3a"));
        assert_eq!(RoomId(0xab).to_string(), "00000000000000ab");
    }

    #[test]
    fn install_id_prints_as_hex() {
        let id = InstallId([0xab; 16]);
        assert_eq!(id.to_string(), "ab".repeat(16));
    }
}
