//! Keeping order in a room: what its owner may do ([`Moderation`]), why the relay may
//! refuse it ([`ModerationRefusal`]), and the bounds on a removal's reason and a mute's
//! length. A member is an owner of a room when its join presented the relay's owner key
//! ([`super::Join::owner_key`]); the relay logs every action it takes as a room event
//! ([`super::EventKind`]), so welcomes, history pages and resumes all carry it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Seq;
use crate::rules::validate_text;

/// Longest reason for removing a member, in characters.
pub const MAX_REASON_CHARS: usize = 200;
/// Longest mute, in minutes (a day).
pub const MAX_MUTE_MINUTES: u32 = 24 * 60;

/// What an owner does to a room ([`super::ClientFrame::Moderate`]). Members are named
/// by display name (compared as the relay compares names).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum Moderation {
    /// Remove a message: from now on every client gets it as
    /// [`super::EventKind::Redacted`], its text never again.
    RemoveMessage {
        /// The message's seq.
        seq: Seq,
    },
    /// Remove a member (online in the room now): its session leaves the room, and its
    /// installation may not join the room again for as long as the room's log lasts.
    RemoveMember {
        /// The member's display name.
        name: String,
        /// Why, as the owner wrote it ([`validate_reason`]).
        reason: String,
    },
    /// Mute a member (online in the room now) for `minutes` (1 to
    /// [`MAX_MUTE_MINUTES`]): its messages to the room are rejected until then.
    Mute {
        /// The member's display name.
        name: String,
        /// For how long.
        minutes: u32,
    },
    /// End a member's mute early.
    Unmute {
        /// The member's display name.
        name: String,
    },
}

/// Why the relay did not carry out a [`Moderation`]. New variants go at the end.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub enum ModerationRefusal {
    /// This client is not an owner of the room (it joined without the owner key).
    NotOwner,
    /// This client is not in that room.
    NotInRoom,
    /// The room is archived: nothing in it changes.
    Archived,
    /// The room has no message with that seq (or it was removed already).
    NoSuchMessage,
    /// Nobody of that name is in the room now.
    NoSuchMember,
    /// That member is muted by nobody now.
    NotMuted,
    /// Owners cannot be removed or muted (not even by themselves).
    OwnerProtected,
    /// The reason is empty or contains control characters.
    BadReason,
    /// The reason is longer than [`MAX_REASON_CHARS`].
    ReasonTooLong,
    /// A mute lasts from 1 to [`MAX_MUTE_MINUTES`] minutes.
    BadDuration,
}

/// Checks a removal's reason: like a message's text (visible, no control characters but
/// new lines and tabs), at most [`MAX_REASON_CHARS`] characters.
pub fn validate_reason(reason: &str) -> Result<(), ModerationRefusal> {
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ModerationRefusal::ReasonTooLong);
    }
    validate_text(reason).map_err(|_| ModerationRefusal::BadReason)
}

impl Moderation {
    /// Checks what can be checked without the room: the reason and the duration.
    pub fn validate(&self) -> Result<(), ModerationRefusal> {
        match self {
            Self::RemoveMember { reason, .. } => validate_reason(reason),
            Self::Mute { minutes, .. } if !(1..=MAX_MUTE_MINUTES).contains(minutes) => {
                Err(ModerationRefusal::BadDuration)
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for ModerationRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOwner => f.write_str("only the room's owner can do that"),
            Self::NotInRoom => f.write_str("not in that room"),
            Self::Archived => f.write_str("the room is archived (read-only)"),
            Self::NoSuchMessage => f.write_str("the room has no such message"),
            Self::NoSuchMember => f.write_str("nobody of that name is in the room"),
            Self::NotMuted => f.write_str("that member is not muted"),
            Self::OwnerProtected => f.write_str("an owner cannot be removed or muted"),
            Self::BadReason => f.write_str("the reason is empty or contains control characters"),
            Self::ReasonTooLong => {
                write!(f, "the reason is longer than {MAX_REASON_CHARS} characters")
            }
            Self::BadDuration => {
                write!(f, "a mute lasts from 1 to {MAX_MUTE_MINUTES} minutes")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_durations_are_bounded() {
        assert_eq!(validate_reason("spam"), Ok(()));
        assert_eq!(validate_reason("  "), Err(ModerationRefusal::BadReason));
        assert_eq!(
            validate_reason("a\u{1b}b"),
            Err(ModerationRefusal::BadReason)
        );
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            validate_reason(&long),
            Err(ModerationRefusal::ReasonTooLong)
        );
        let mute = |minutes| Moderation::Mute {
            name: "B".into(),
            minutes,
        };
        assert_eq!(mute(0).validate(), Err(ModerationRefusal::BadDuration));
        assert_eq!(mute(1).validate(), Ok(()));
        assert_eq!(mute(MAX_MUTE_MINUTES).validate(), Ok(()));
        assert_eq!(
            mute(MAX_MUTE_MINUTES + 1).validate(),
            Err(ModerationRefusal::BadDuration)
        );
    }
}
