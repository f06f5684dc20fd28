//! The reasons the protocol carries (why someone left, why a message or a session was
//! refused, why the relay ended a session, what is wrong with a name), as enums a UI
//! translates, with plain-English `Display` for logs and tools. New variants go at the
//! end: stored logs and other versions' refusals depend on the order.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::PROTOCOL_VERSION;

/// Why a member left the room.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum LeaveReason {
    /// They left on purpose.
    Left,
    /// Their connection was lost or timed out.
    ConnectionLost,
    /// They could not keep up with the room and were removed.
    TooSlow,
    /// They sent frames the relay could not read.
    ProtocolError,
    /// The relay shut down, or stopped without shutting down (logged when it starts
    /// again, for whoever was online).
    Shutdown,
    /// An owner removed them (the `MemberRemoved` event before says why).
    Removed,
}

/// Why one message was rejected.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum RejectReason {
    /// The text was empty or only white space.
    EmptyText,
    /// The text was longer than [`crate::rules::MAX_TEXT_CHARS`].
    TextTooLong,
    /// The client sent faster than the relay's rate limit.
    RateLimited,
    /// The relay could not store the message.
    StorageFailed,
    /// The text contains control characters (NUL, terminal escapes, …).
    ControlCharacter,
    /// The room is archived: it can be read, not written to.
    Archived,
    /// The client is not in that room.
    NotInRoom,
    /// The relay's cluster (where rooms are stored) cannot be reached now; sending
    /// again later works.
    Unavailable,
    /// An owner of the room muted this client until then.
    Muted {
        /// Relay time the mute ends, milliseconds since the Unix epoch.
        until_ms: u64,
    },
}

/// Why a session was refused (rooms refuse joins with a [`JoinRefusal`]).
/// [`RefuseReason::VersionMismatch`] stays the first variant: clients of every version
/// must read it.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum RefuseReason {
    /// The client speaks another protocol version.
    VersionMismatch {
        /// The relay's version.
        relay: u16,
    },
    /// The display name is not acceptable.
    BadName(NameError),
    /// The relay serves its maximum number of clients.
    RelayFull,
    /// No hello arrived in time.
    HelloTimeout,
    /// The first frame was not a hello, or could not be read.
    ProtocolError,
}

/// Why a room did not let a client in (the session and its other rooms go on).
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum JoinRefusal {
    /// The relay has no room of that name (and does not create rooms on demand).
    NoSuchRoom,
    /// The room's name breaks the rule for room names.
    BadRoomName(RoomNameError),
    /// The room needs a key and none was given.
    RoomKeyRequired,
    /// The room key is wrong.
    RoomKeyWrong,
    /// Someone in the room already uses this name (or one that looks the same).
    NameTaken,
    /// This client is in as many rooms as the relay allows.
    TooManyRooms,
    /// The room has as many members as the relay allows.
    RoomFull,
    /// The relay has as many rooms as it allows and cannot create this one.
    TooManyRoomsOnRelay,
    /// An owner removed this installation from the room: it may not join again (for as
    /// long as the room's log lasts).
    Removed,
    /// The owner key given is not the relay's (or the relay has none).
    OwnerKeyWrong,
}

impl JoinRefusal {
    /// A refusal that may pass by itself (the room or the relay is full for now): worth
    /// joining again later. The others need the person to change something.
    pub fn is_passing(self) -> bool {
        matches!(self, Self::RoomFull | Self::TooManyRoomsOnRelay)
    }
}

/// Why a client is no longer in a room.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum RoomLeftReason {
    /// It asked to leave ([`crate::protocol::ClientFrame::Leave`]).
    Left,
    /// The operator deleted the room.
    Deleted,
    /// An owner removed this client from the room; it may not join again.
    Removed {
        /// The owner's display name.
        by: String,
        /// Why, as the owner wrote it.
        reason: String,
    },
}

/// What is wrong with a room's name (see [`crate::rules::validate_room_name`]).
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum RoomNameError {
    /// No name.
    Empty,
    /// More than [`crate::rules::MAX_ROOM_NAME_CHARS`] characters.
    TooLong,
    /// A character other than a letter a–z, a digit, `-` or `_` (or it starts with
    /// `-` or `_`).
    BadCharacter,
}

/// Why the relay ended a session.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum ByeReason {
    /// The relay is shutting down.
    Shutdown,
    /// The same installation connected again; this older session ends.
    Replaced,
    /// The client did not read fast enough and its queue overflowed.
    TooSlow,
    /// The client sent a frame that could not be read.
    ProtocolError,
    /// The client asked to leave.
    Left,
    /// The relay was hosted in someone's app, and they closed it (the room comes back
    /// with the same invite when they host again).
    HostClosed,
}

impl ByeReason {
    /// The QUIC application close code carrying this reason, for sessions the relay
    /// ends by closing the connection (a client that does not read cannot get a frame).
    pub fn close_code(self) -> u32 {
        match self {
            Self::Left => 0,
            Self::Shutdown => 1,
            Self::Replaced => 2,
            Self::TooSlow => 3,
            Self::ProtocolError => 4,
            Self::HostClosed => 5,
        }
    }

    /// The reason behind a close code, if it is one of [`ByeReason::close_code`]'s.
    pub fn from_close_code(code: u64) -> Option<Self> {
        Some(match code {
            0 => Self::Left,
            1 => Self::Shutdown,
            2 => Self::Replaced,
            3 => Self::TooSlow,
            4 => Self::ProtocolError,
            5 => Self::HostClosed,
            _ => return None,
        })
    }
}

/// What is wrong with a display name (see [`crate::rules::validate_name`]).
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum NameError {
    /// Nothing left after trimming.
    Empty,
    /// More than [`crate::rules::MAX_NAME_CHARS`] characters.
    TooLong,
    /// Contains control characters (new lines, tabs, …).
    ControlCharacter,
    /// Contains invisible or formatting characters (zero-width spaces and joiners,
    /// direction overrides, variation selectors, …).
    InvisibleCharacter,
    /// Contains characters that cannot be shown reliably (unassigned or private-use
    /// code points, stacks of accents).
    UnsupportedCharacter,
    /// Has no visible character at all.
    NothingVisible,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the name is empty"),
            Self::TooLong => write!(
                f,
                "the name is longer than {} characters",
                crate::rules::MAX_NAME_CHARS
            ),
            Self::ControlCharacter => f.write_str("the name contains control characters"),
            Self::InvisibleCharacter => {
                f.write_str("the name contains invisible or formatting characters")
            }
            Self::UnsupportedCharacter => {
                f.write_str("the name contains characters that cannot be shown reliably")
            }
            Self::NothingVisible => f.write_str("the name has no visible character"),
        }
    }
}

impl fmt::Display for JoinRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchRoom => f.write_str("the relay has no room of that name"),
            Self::BadRoomName(e) => write!(f, "{e}"),
            Self::RoomKeyRequired => f.write_str("this room needs a room key"),
            Self::RoomKeyWrong => f.write_str("the room key is wrong"),
            Self::NameTaken => f.write_str("someone in the room already uses this name"),
            Self::TooManyRooms => f.write_str("this client is in as many rooms as allowed"),
            Self::RoomFull => f.write_str("the room is full"),
            Self::TooManyRoomsOnRelay => f.write_str("the relay has as many rooms as allowed"),
            Self::Removed => f.write_str("the room's owner removed you from this room"),
            Self::OwnerKeyWrong => f.write_str("the owner key is wrong"),
        }
    }
}

impl fmt::Display for RoomNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the room name is empty"),
            Self::TooLong => write!(
                f,
                "the room name is longer than {} characters",
                crate::rules::MAX_ROOM_NAME_CHARS
            ),
            Self::BadCharacter => f.write_str(
                "a room name has letters a-z, digits, - and _ (and starts with a letter or digit)",
            ),
        }
    }
}

impl fmt::Display for RoomLeftReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Left => f.write_str("left the room"),
            Self::Deleted => f.write_str("the room was deleted"),
            Self::Removed { by, reason } => write!(f, "removed from the room by {by}: {reason}"),
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::EmptyText => "the message is empty",
            Self::TextTooLong => "the message is too long",
            Self::RateLimited => "sending too fast; wait a moment",
            Self::StorageFailed => "the relay could not store the message",
            Self::ControlCharacter => "the message contains control characters",
            Self::Archived => "the room is archived (read-only)",
            Self::NotInRoom => "not in that room",
            Self::Unavailable => "the relay cannot reach its storage right now; try again shortly",
            Self::Muted { until_ms } => {
                let minutes = until_ms / 60_000;
                let (h, m) = ((minutes / 60) % 24, minutes % 60);
                return write!(f, "the room's owner muted you until {h:02}:{m:02} UTC");
            }
        };
        f.write_str(text)
    }
}

impl fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VersionMismatch { relay } => {
                write!(
                    f,
                    "the relay speaks protocol version {relay}, this app {PROTOCOL_VERSION}"
                )
            }
            Self::BadName(e) => write!(f, "{e}"),
            Self::RelayFull => f.write_str("the relay is full"),
            Self::HelloTimeout => f.write_str("the client did not introduce itself in time"),
            Self::ProtocolError => f.write_str("the client sent something the relay cannot read"),
        }
    }
}

impl fmt::Display for ByeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Shutdown => "the relay is shutting down",
            Self::Replaced => "this account connected again from elsewhere",
            Self::TooSlow => "the connection was too slow to keep up with the room",
            Self::ProtocolError => "the relay could not read what was sent",
            Self::Left => "left the room",
            Self::HostClosed => "the host closed the room",
        })
    }
}

impl fmt::Display for LeaveReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Left => "left",
            Self::ConnectionLost => "connection lost",
            Self::TooSlow => "too slow",
            Self::ProtocolError => "protocol error",
            Self::Shutdown => "relay shut down",
            Self::Removed => "removed by an owner",
        })
    }
}
