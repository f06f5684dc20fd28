//! Strings about keeping order in a room: removed messages, the owners' actions as
//! notices, a mute or a removal as the person affected sees it, and why the relay
//! refused an owner's action.

use chrono::{Local, TimeZone};
use common::protocol::{ModerationRefusal, MAX_MUTE_MINUTES, MAX_REASON_CHARS};

use super::Lang;
use crate::state::ModerationNotice;

/// A relay time as local `HH:MM`.
fn clock(at_ms: u64) -> String {
    Local
        .timestamp_millis_opt(at_ms as i64)
        .single()
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

impl Lang {
    /// In place of a message an owner removed.
    pub fn message_removed(self) -> &'static str {
        self.pick("Message removed by the host", "Messaggio rimosso dall'host")
    }

    /// One owner's action, as a notice line.
    pub fn moderation_notice(self, notice: &ModerationNotice) -> String {
        match (self, notice) {
            (Self::En, ModerationNotice::MessageRemoved { by }) => {
                format!("{by} removed a message")
            }
            (Self::It, ModerationNotice::MessageRemoved { by }) => {
                format!("{by} ha rimosso un messaggio")
            }
            (Self::En, ModerationNotice::MemberRemoved { name, by, reason }) => {
                format!("{name} was removed by {by}: {reason}")
            }
            (Self::It, ModerationNotice::MemberRemoved { name, by, reason }) => {
                format!("{by} ha rimosso {name} dalla stanza: {reason}")
            }
            (Self::En, ModerationNotice::Muted { name, minutes, .. }) => match minutes {
                1 => format!("{name} is muted for 1 minute"),
                n => format!("{name} is muted for {n} minutes"),
            },
            (Self::It, ModerationNotice::Muted { name, minutes, .. }) => match minutes {
                1 => format!("{name} non può scrivere per 1 minuto"),
                n => format!("{name} non può scrivere per {n} minuti"),
            },
            (Self::En, ModerationNotice::Unmuted { name, .. }) => {
                format!("{name} can write again")
            }
            (Self::It, ModerationNotice::Unmuted { name, .. }) => {
                format!("{name} può di nuovo scrivere")
            }
        }
    }

    /// This client's message was rejected: it is muted until `until_ms` (relay time).
    pub fn muted_until(self, until_ms: u64) -> String {
        let at = clock(until_ms);
        match self {
            Self::En => format!("you are muted until {at}"),
            Self::It => format!("non puoi scrivere fino alle {at}"),
        }
    }

    /// This client was removed from the room by `by`, for `reason`.
    pub fn room_removed(self, by: &str, reason: &str) -> String {
        match self {
            Self::En => format!("You were removed from this room by {by}: {reason}"),
            Self::It => format!("{by} ti ha rimosso da questa stanza: {reason}"),
        }
    }

    /// Why the relay did not carry out an owner's action.
    pub fn moderation_refusal(self, reason: ModerationRefusal) -> String {
        use ModerationRefusal as R;
        match reason {
            R::NotOwner => self
                .pick(
                    "Only the room's host can do that.",
                    "Solo l'host della stanza può farlo.",
                )
                .into(),
            R::NotInRoom => self
                .pick("You are not in this room.", "Non sei in questa stanza.")
                .into(),
            R::Archived => self
                .pick("The room is archived.", "La stanza è archiviata.")
                .into(),
            R::NoSuchMessage => self
                .pick(
                    "That message is not there (or was removed already).",
                    "Quel messaggio non c'è (o è già stato rimosso).",
                )
                .into(),
            R::NoSuchMember => self
                .pick(
                    "Nobody of that name is in the room now.",
                    "Nessuno con quel nome è nella stanza ora.",
                )
                .into(),
            R::NotMuted => self
                .pick(
                    "That person can already write.",
                    "Quella persona può già scrivere.",
                )
                .into(),
            R::OwnerProtected => self
                .pick(
                    "A host cannot be removed or muted.",
                    "Un host non può essere rimosso o zittito.",
                )
                .into(),
            R::BadReason => self.pick("Write a reason.", "Scrivi un motivo.").into(),
            R::ReasonTooLong => match self {
                Self::En => format!("The reason is longer than {MAX_REASON_CHARS} characters."),
                Self::It => format!("Il motivo supera i {MAX_REASON_CHARS} caratteri."),
            },
            R::BadDuration => match self {
                Self::En => format!("A mute lasts from 1 to {MAX_MUTE_MINUTES} minutes."),
                Self::It => format!("Il silenzio dura da 1 a {MAX_MUTE_MINUTES} minuti."),
            },
        }
    }
}

impl Lang {
    /// An owner's button on a message: remove it for everyone.
    pub fn remove_message(self) -> &'static str {
        self.pick("Remove", "Rimuovi")
    }

    /// Its tooltip.
    pub fn remove_message_title(self) -> &'static str {
        self.pick(
            "Remove this message for everyone",
            "Rimuovi questo messaggio per tutti",
        )
    }

    /// An owner's button on a member: mute for ten minutes.
    pub fn mute_member(self) -> &'static str {
        self.pick("Mute 10 min", "Silenzia 10 min")
    }

    /// An owner's button on a member: remove from the room.
    pub fn remove_member(self) -> &'static str {
        self.pick("Remove…", "Allontana…")
    }

    /// The removal dialog's title.
    pub fn remove_member_title(self, name: &str) -> String {
        match self {
            Self::En => format!("Remove {name} from the room?"),
            Self::It => format!("Allontanare {name} dalla stanza?"),
        }
    }

    /// What removal does.
    pub fn remove_member_help(self) -> &'static str {
        self.pick(
            "They leave the room and cannot join it again from this device. Everyone reads the reason.",
            "Esce dalla stanza e non può rientrarci da questo dispositivo. Tutti leggono il motivo.",
        )
    }

    /// The reason field's label.
    pub fn removal_reason(self) -> &'static str {
        self.pick("Reason", "Motivo")
    }

    /// Confirms the removal.
    pub fn remove_member_confirm(self) -> &'static str {
        self.pick("Remove", "Allontana")
    }

    /// Marks the owner in the room's bar.
    pub fn you_own(self) -> &'static str {
        self.pick("You keep order here", "Qui tieni tu l'ordine")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_actions_read_in_both_languages() {
        let removed = ModerationNotice::MemberRemoved {
            name: "Bruno".into(),
            by: "Anna".into(),
            reason: "spam".into(),
        };
        assert_eq!(
            Lang::En.moderation_notice(&removed),
            "Bruno was removed by Anna: spam"
        );
        assert_eq!(
            Lang::It.moderation_notice(&removed),
            "Anna ha rimosso Bruno dalla stanza: spam"
        );
        let muted = ModerationNotice::Muted {
            name: "Bruno".into(),
            by: "Anna".into(),
            minutes: 5,
            until_ms: 0,
        };
        assert_eq!(
            Lang::En.moderation_notice(&muted),
            "Bruno is muted for 5 minutes"
        );
        assert_eq!(Lang::It.message_removed(), "Messaggio rimosso dall'host");
        assert!(Lang::En.muted_until(0).starts_with("you are muted until "));
    }
}
