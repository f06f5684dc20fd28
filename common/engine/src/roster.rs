//! Who is online in one room, as the engine knows it: the welcome's snapshot, then the
//! joins and leaves logged after it, or the relay's counts in a room too large to list.
//! Owns the member list and the [`Event::Members`] it shows as. Pure.

use std::collections::BTreeMap;

use common::{
    protocol::{EventKind, RoomEvent, Seq, Welcome},
    rules::name_key,
};

use crate::Event;

/// Who is online, as the engine knows it: the welcome's snapshot, then the joins and
/// leaves logged after it, or the relay's counts in a room too large to list.
#[derive(Debug, Default)]
pub(crate) struct Roster {
    /// The names by [`name_key`], or `None` when only the count is known.
    names: Option<BTreeMap<String, String>>,
    online: u32,
    /// The log position the roster describes.
    as_of: Seq,
}

impl Roster {
    /// The snapshot of a welcome.
    pub(crate) fn welcome(welcome: &Welcome) -> Self {
        // A listed room always lists at least the joiner.
        let listed = !welcome.members.is_empty();
        Self {
            names: listed.then(|| by_key(welcome.members.iter().cloned())),
            online: welcome.online,
            as_of: welcome.members_as_of,
        }
    }

    /// More names of the welcome's list.
    pub(crate) fn more(&mut self, names: Vec<String>) {
        if let Some(known) = &mut self.names {
            known.extend(by_key(names));
            self.online = self.online.max(known.len() as u32);
        }
    }

    /// The relay's count; true if it changed anything.
    pub(crate) fn online(&mut self, count: u32, as_of: Seq) -> bool {
        if as_of < self.as_of {
            return false; // Older than what the roster already shows.
        }
        self.as_of = as_of;
        let stale = self
            .names
            .as_ref()
            .is_some_and(|names| names.len() != count as usize);
        if stale {
            // The room grew too large to log joins and leaves: the list is out of date.
            self.names = None;
        }
        let changed = stale || self.online != count;
        self.online = count;
        changed
    }

    /// A logged event; true if it changed the roster.
    pub(crate) fn change(&mut self, event: &RoomEvent) -> bool {
        if event.seq <= self.as_of {
            return false; // Already in the snapshot.
        }
        match (&event.kind, &mut self.names) {
            (EventKind::Joined { name }, Some(names)) => {
                if names.insert(name_key(name), name.clone()).is_none() {
                    self.online += 1;
                }
            }
            (EventKind::Left { name, .. }, Some(names)) => {
                if names.remove(&name_key(name)).is_some() {
                    self.online = self.online.saturating_sub(1);
                }
            }
            (EventKind::Joined { .. }, None) => self.online += 1,
            (EventKind::Left { .. }, None) => self.online = self.online.saturating_sub(1).max(1),
            _ => return false,
        }
        true
    }

    /// How the roster shows, for the room named `room`.
    pub(crate) fn event(&self, room: &str) -> Event {
        Event::Members {
            room: room.to_owned(),
            online: self.online,
            names: self.names.as_ref().map(|n| n.values().cloned().collect()),
        }
    }
}

/// Names keyed the way the relay tells them apart.
fn by_key(names: impl IntoIterator<Item = String>) -> BTreeMap<String, String> {
    names.into_iter().map(|n| (name_key(&n), n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::protocol::{LeaveReason, RoomId};

    fn welcome(members: &[&str], online: u32, as_of: Seq) -> Welcome {
        Welcome {
            room: RoomId(1),
            room_name: "piazza".into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            online,
            members_as_of: as_of,
            backlog: Vec::new(),
            last_seq: as_of,
            gap: false,
            archived: false,
            owner: false,
        }
    }

    fn joined(seq: Seq, name: &str) -> RoomEvent {
        RoomEvent {
            seq,
            at_ms: 0,
            kind: EventKind::Joined { name: name.into() },
        }
    }

    fn left(seq: Seq, name: &str) -> RoomEvent {
        RoomEvent {
            seq,
            at_ms: 0,
            kind: EventKind::Left {
                name: name.into(),
                reason: LeaveReason::Left,
            },
        }
    }

    fn shown(roster: &Roster) -> (u32, Option<Vec<String>>) {
        match roster.event("piazza") {
            Event::Members { online, names, .. } => (online, names),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_listed_roster_follows_joins_and_leaves_after_its_snapshot() {
        let mut r = Roster::welcome(&welcome(&["Anna", "Bruno"], 2, 10));
        // Already in the snapshot (in flight when we joined): no change.
        assert!(!r.change(&joined(9, "Bruno")));
        assert!(!r.change(&left(10, "Carla")));
        assert!(r.change(&joined(11, "Carla")));
        assert!(r.change(&left(12, "Bruno")));
        assert_eq!(shown(&r), (2, Some(vec!["Anna".into(), "Carla".into()])));
        // The room grew past the relay's presence limit: the names are out of date.
        assert!(r.online(1500, 20));
        assert_eq!(shown(&r), (1500, None));
    }

    #[test]
    fn a_counted_roster_takes_the_newest_count_and_later_changes() {
        let mut r = Roster::welcome(&welcome(&[], 1200, 10));
        assert_eq!(shown(&r), (1200, None));
        assert!(!r.online(1100, 5), "an older count is ignored");
        assert!(r.online(1000, 30));
        assert!(!r.change(&left(30, "Bruno")), "counted already");
        assert!(r.change(&left(31, "Carla")));
        assert!(r.change(&joined(32, "Dario")));
        assert_eq!(shown(&r), (1000, None));
        assert!(!r.online(1000, 40), "same count, nothing to show");
    }
}
