//! What the room's owners did, as the timeline shows it: a notice per moderation event
//! ([`ModerationNotice`], grouped with joins and leaves into notice rows), and removed
//! messages, whose rows keep their place and sender but lose their text
//! ([`redact`]). Translated only at render (`i18n`).

use common::protocol::{EventKind, RoomEvent};

use super::timeline::{Entry, EntryKind};

/// One moderation event, as a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModerationNotice {
    /// `by` removed a message.
    MessageRemoved {
        /// The owner.
        by: String,
    },
    /// `by` removed `name` from the room, for `reason`.
    MemberRemoved {
        /// The member.
        name: String,
        /// The owner.
        by: String,
        /// The owner's reason.
        reason: String,
    },
    /// `by` muted `name` for `minutes`, until `until_ms`.
    Muted {
        /// The member.
        name: String,
        /// The owner.
        by: String,
        /// How long, in whole minutes (at least 1).
        minutes: u64,
        /// When it ends, ms since the Unix epoch (relay time).
        until_ms: u64,
    },
    /// `by` ended `name`'s mute.
    Unmuted {
        /// The member.
        name: String,
        /// The owner.
        by: String,
    },
}

impl ModerationNotice {
    /// The notice of a moderation event; `None` for any other event.
    pub fn of(event: &RoomEvent) -> Option<Self> {
        Some(match &event.kind {
            EventKind::MessageRemoved { by, .. } => Self::MessageRemoved { by: by.clone() },
            EventKind::MemberRemoved {
                name, by, reason, ..
            } => Self::MemberRemoved {
                name: name.clone(),
                by: by.clone(),
                reason: reason.clone(),
            },
            EventKind::Muted {
                name, by, until_ms, ..
            } => Self::Muted {
                name: name.clone(),
                by: by.clone(),
                minutes: (until_ms.saturating_sub(event.at_ms) + 30_000) / 60_000,
                until_ms: *until_ms,
            }
            .at_least_a_minute(),
            EventKind::Unmuted { name, by, .. } => Self::Unmuted {
                name: name.clone(),
                by: by.clone(),
            },
            _ => return None,
        })
    }

    fn at_least_a_minute(self) -> Self {
        match self {
            Self::Muted {
                name,
                by,
                minutes,
                until_ms,
            } => Self::Muted {
                name,
                by,
                minutes: minutes.max(1),
                until_ms,
            },
            other => other,
        }
    }
}

/// Marks a message entry as removed by `by`: its text is dropped. Anything else is left
/// as it is.
pub fn redact(entry: &mut Entry, by: &str) {
    if let EntryKind::Message(m) = &mut entry.kind {
        m.text.clear();
        m.removed_by = Some(by.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::{ClientMsgId, InstallId, Seq};

    use super::*;
    use crate::state::{rows, Row, Timeline};

    fn event(seq: Seq, kind: EventKind) -> RoomEvent {
        RoomEvent {
            seq,
            at_ms: 60_000 * seq,
            kind,
        }
    }

    fn message(seq: Seq, text: &str) -> RoomEvent {
        let id = ClientMsgId {
            install: InstallId([2; 16]),
            counter: seq,
        };
        let sender = "Bruno".into();
        event(
            seq,
            EventKind::Message {
                sender,
                text: text.into(),
                id,
            },
        )
    }

    fn removal(seq: Seq, of: Seq) -> RoomEvent {
        event(
            seq,
            EventKind::MessageRemoved {
                seq: of,
                by: "Anna".into(),
            },
        )
    }

    #[test]
    fn a_removed_message_loses_its_text_whatever_comes_first() {
        let mut t = Timeline::new(InstallId([1; 16]));
        t.insert(&message(1, "brutto"));
        t.insert(&removal(2, 1));
        // A page read later: the removal of a message not here yet.
        t.insert(&removal(4, 3));
        t.insert(&message(3, "anche questo"));
        for seq in [1, 3] {
            let m = t
                .visible()
                .into_iter()
                .find(|e| e.seq == Some(seq))
                .unwrap();
            let m = m.message().unwrap();
            assert_eq!(
                (m.text.as_str(), m.removed_by.as_deref()),
                ("", Some("Anna"))
            );
        }
    }

    #[test]
    fn owners_actions_join_the_notice_rows() {
        let mut t = Timeline::new(InstallId([1; 16]));
        let install = InstallId([2; 16]);
        let by = || "Anna".to_string();
        let name = || "Bruno".to_string();
        t.insert(&event(
            1,
            EventKind::Muted {
                name: name(),
                install,
                by: by(),
                until_ms: 60_000 * 11,
            },
        ));
        t.insert(&event(
            2,
            EventKind::Unmuted {
                name: name(),
                install,
                by: by(),
            },
        ));
        let shown = t.visible();
        let rows = rows(&shown);
        let [Row::Notices { summary, .. }] = rows.as_slice() else {
            panic!("one notice row: {rows:?}");
        };
        assert_eq!(
            summary.moderation,
            [
                ModerationNotice::Muted {
                    name: name(),
                    by: by(),
                    minutes: 10,
                    until_ms: 660_000
                },
                ModerationNotice::Unmuted {
                    name: name(),
                    by: by()
                },
            ]
        );
    }
}
