//! [`Moderated`]: what the room's owners did that still holds — which messages are
//! removed, who is muted until when, which installations are removed from the room —
//! as the room's log says. Pure bookkeeping: it is rebuilt from the log when the room
//! opens ([`Moderated::load`]) and kept current by every published event, so a relay
//! that restarts enforces what it enforced before. What to tell whom is the room's
//! (`moderate.rs`).
//!
//! A removed message stays in the log (the operator's disk keeps its text); clients get
//! it as [`EventKind::Redacted`] at its seq ([`Moderated::redact`]) in welcomes, history
//! pages and resumes. A removed installation is barred for as long as the room's log
//! lasts: there is no "unremove".

use std::collections::{HashMap, HashSet};

use common::{
    protocol::{EventKind, InstallId, RoomEvent, RoomId, Seq},
    rules::name_key,
};

use crate::log::{LogError, RoomLog, Stored};

/// Events read at once while rebuilding from the log.
const LOAD_PAGE: usize = 4096;

/// A mute in force (or expired, until looked at).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mute {
    /// The member's name key.
    pub key: String,
    /// Relay time it ends, ms since the Unix epoch.
    pub until_ms: u64,
}

/// What the room's owners did that still holds.
#[derive(Debug, Default)]
pub struct Moderated {
    /// Removed messages, with the owner who removed each.
    removed: HashMap<Seq, String>,
    /// Mutes by installation.
    muted: HashMap<InstallId, Mute>,
    /// Installations removed from the room.
    barred: HashSet<InstallId>,
}

impl Moderated {
    /// Reads the whole log of a room and keeps what its moderation events say. Blocks
    /// (call it off the async workers); reads the log in pages.
    pub fn load(log: &dyn RoomLog) -> Result<Self, LogError> {
        let mut moderated = Self::default();
        let upto = log.last_seq()?;
        let mut after = 0;
        while after < upto {
            let page = log.range(after, upto, LOAD_PAGE)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for stored in &page {
                moderated.apply(&stored.event);
            }
        }
        Ok(moderated)
    }

    /// Takes a published event into account; true when it is a moderation event.
    pub fn apply(&mut self, event: &RoomEvent) -> bool {
        match &event.kind {
            EventKind::MessageRemoved { seq, by } => {
                self.removed.insert(*seq, by.clone());
            }
            EventKind::MemberRemoved { install, .. } => {
                self.barred.insert(*install);
                self.muted.remove(install);
            }
            EventKind::Muted {
                name,
                install,
                until_ms,
                ..
            } => {
                let mute = Mute {
                    key: name_key(name),
                    until_ms: *until_ms,
                };
                self.muted.insert(*install, mute);
            }
            EventKind::Unmuted { install, .. } => {
                self.muted.remove(install);
            }
            _ => return false,
        }
        true
    }

    /// Until when `install` is muted, if it is at `now_ms`.
    pub fn muted_until(&self, install: InstallId, now_ms: u64) -> Option<u64> {
        self.muted
            .get(&install)
            .map(|m| m.until_ms)
            .filter(|&until| until > now_ms)
    }

    /// The installation muted under the name key `key` at `now_ms`, if any.
    pub fn muted_by_key(&self, key: &str, now_ms: u64) -> Option<InstallId> {
        self.muted
            .iter()
            .find(|(_, m)| m.key == key && m.until_ms > now_ms)
            .map(|(install, _)| *install)
    }

    /// True when an owner removed `install` from the room.
    pub fn is_barred(&self, install: InstallId) -> bool {
        self.barred.contains(&install)
    }

    /// True when the message at `seq` was removed.
    pub fn is_removed(&self, seq: Seq) -> bool {
        self.removed.contains_key(&seq)
    }

    /// `stored` as clients may get it: a removed message becomes
    /// [`EventKind::Redacted`] (re-encoded); anything else is returned as it is.
    pub fn redact(&self, room: RoomId, stored: Stored) -> Stored {
        let Some(by) = self.removed.get(&stored.seq) else {
            return stored;
        };
        redacted(room, stored, by)
    }

    /// [`Moderated::redact`] over a list.
    pub fn redact_all(&self, room: RoomId, stored: Vec<Stored>) -> Vec<Stored> {
        if self.removed.is_empty() {
            return stored;
        }
        stored.into_iter().map(|s| self.redact(room, s)).collect()
    }
}

/// The redacted form of a stored message removed by `by` (anything else unchanged).
pub fn redacted(room: RoomId, stored: Stored, by: &str) -> Stored {
    let EventKind::Message { sender, id, .. } = &stored.event.kind else {
        return stored;
    };
    let event = RoomEvent {
        seq: stored.seq,
        at_ms: stored.event.at_ms,
        kind: EventKind::Redacted {
            sender: sender.clone(),
            id: *id,
            by: by.to_owned(),
        },
    };
    // A redacted event is smaller than the message it replaces: it always encodes.
    Stored::new(room, event).unwrap_or(stored)
}

#[cfg(test)]
mod tests {
    use common::protocol::ClientMsgId;

    use super::*;

    fn event(seq: Seq, kind: EventKind) -> RoomEvent {
        RoomEvent {
            seq,
            at_ms: seq,
            kind,
        }
    }

    const BRUNO: InstallId = InstallId([2; 16]);

    #[test]
    fn mutes_end_by_time_or_unmute_and_removals_bar_for_good() {
        let mut m = Moderated::default();
        let muted = EventKind::Muted {
            name: "Bruno".into(),
            install: BRUNO,
            by: "Anna".into(),
            until_ms: 1000,
        };
        assert!(m.apply(&event(1, muted)));
        assert_eq!(m.muted_until(BRUNO, 999), Some(1000));
        assert_eq!(m.muted_until(BRUNO, 1000), None, "over at its end");
        assert_eq!(m.muted_by_key("bruno", 10), Some(BRUNO));
        let unmuted = EventKind::Unmuted {
            name: "Bruno".into(),
            install: BRUNO,
            by: "Anna".into(),
        };
        assert!(m.apply(&event(2, unmuted)));
        assert_eq!(m.muted_until(BRUNO, 10), None);
        assert!(!m.is_barred(BRUNO));
        let removed = EventKind::MemberRemoved {
            name: "Bruno".into(),
            install: BRUNO,
            by: "Anna".into(),
            reason: "spam".into(),
        };
        assert!(m.apply(&event(3, removed)));
        assert!(m.is_barred(BRUNO));
        assert!(!m.apply(&event(4, EventKind::Joined { name: "C".into() })));
    }

    #[test]
    fn a_removed_message_is_served_without_its_text() {
        let room = RoomId(7);
        let id = ClientMsgId {
            install: BRUNO,
            counter: 1,
        };
        let message = EventKind::Message {
            sender: "Bruno".into(),
            text: "segreto".into(),
            id,
        };
        let stored = Stored::new(room, event(5, message)).unwrap();
        let mut m = Moderated::default();
        assert_eq!(m.redact(room, stored.clone()), stored, "not removed");
        m.apply(&event(
            6,
            EventKind::MessageRemoved {
                seq: 5,
                by: "Anna".into(),
            },
        ));
        assert!(m.is_removed(5));
        let served = m.redact(room, stored);
        assert_eq!(
            served.event.kind,
            EventKind::Redacted {
                sender: "Bruno".into(),
                id,
                by: "Anna".into()
            }
        );
        assert!(!served.frame.windows(7).any(|w| w == b"segreto"));
        assert_eq!(Stored::decode(5, served.frame.clone()), Some(served));
    }
}
