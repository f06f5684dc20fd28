//! The rooms the app is in: one [`ChatView`] each, which room is shown, unread counts
//! and mutes, and the summaries the room list shows. Rooms on one relay share that
//! relay's connection (and its status); rooms on different relays are independent.

use common::invite::Invite;
use engine::RoomStatus;

use super::{ChatView, EntryKind};

/// A room, as the app knows it: its relay's directory name and its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey {
    /// The relay (see `store::relay_dir_name`).
    pub relay: String,
    /// The room's name.
    pub room: String,
}

impl RoomKey {
    /// The room an invite names.
    pub fn of(invite: &Invite) -> Self {
        Self {
            relay: crate::store::relay_dir_name(invite),
            room: invite.room_name().to_owned(),
        }
    }

    /// A string naming it (for element ids and keys).
    pub fn id(&self) -> String {
        format!("{}/{}", self.relay, self.room)
    }
}

/// One room in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomTab {
    /// Which room.
    pub key: RoomKey,
    /// Its invite (relay, room, key).
    pub invite: Invite,
    /// What it shows.
    pub view: ChatView,
    /// How the relay answered the join.
    pub status: RoomStatus,
    /// Messages from others not seen yet.
    pub unread: usize,
    /// No notifications for it.
    pub muted: bool,
}

/// How a room's entry in the list looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomSummary {
    /// [`RoomKey::id`].
    pub id: String,
    /// The room's name.
    pub name: String,
    /// The relay's addresses.
    pub host: String,
    /// Where the room is, shown beside its name when another room in the list has the
    /// same name (on another relay).
    pub place: Option<String>,
    /// The last message: sender and text.
    pub last: Option<(String, String)>,
    /// Unread messages.
    pub unread: usize,
    /// Muted.
    pub muted: bool,
    /// Shown now.
    pub active: bool,
    /// The room's state, for a mark next to it.
    pub state: RoomMark,
}

/// A mark next to a room in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomMark {
    /// In the room, connected.
    Live,
    /// Joining, or the relay cannot be reached.
    Waiting,
    /// The relay refused the join, or the room is gone.
    Refused,
    /// Archived: read-only.
    Archived,
}

/// The rooms the app is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rooms {
    /// In list order.
    pub tabs: Vec<RoomTab>,
    /// The room shown.
    pub active: Option<RoomKey>,
}

impl Rooms {
    /// The room shown.
    pub fn active(&self) -> Option<&RoomTab> {
        let key = self.active.as_ref()?;
        self.tabs.iter().find(|t| &t.key == key)
    }

    /// The room shown, to change.
    pub fn active_mut(&mut self) -> Option<&mut RoomTab> {
        let key = self.active.clone()?;
        self.get_mut(&key)
    }

    /// A room.
    pub fn get(&self, key: &RoomKey) -> Option<&RoomTab> {
        self.tabs.iter().find(|t| &t.key == key)
    }

    /// A room, to change.
    pub fn get_mut(&mut self, key: &RoomKey) -> Option<&mut RoomTab> {
        self.tabs.iter_mut().find(|t| &t.key == key)
    }

    /// The rooms on one relay, to change.
    pub fn on_relay(&mut self, relay: &str) -> impl Iterator<Item = &mut RoomTab> {
        let relay = relay.to_owned();
        self.tabs.iter_mut().filter(move |t| t.key.relay == relay)
    }

    /// Shows a room (and marks its messages read).
    pub fn select(&mut self, key: &RoomKey) {
        if self.get(key).is_some() {
            self.active = Some(key.clone());
            if let Some(tab) = self.get_mut(key) {
                tab.unread = 0;
            }
        }
    }

    /// Removes a room; the next one (or the previous) is shown if it was.
    pub fn remove(&mut self, key: &RoomKey) -> Option<RoomTab> {
        let at = self.tabs.iter().position(|t| &t.key == key)?;
        let tab = self.tabs.remove(at);
        if self.active.as_ref() == Some(key) {
            self.active = self
                .tabs
                .get(at)
                .or_else(|| self.tabs.last())
                .map(|t| t.key.clone());
        }
        Some(tab)
    }

    /// Unread messages in every room.
    pub fn total_unread(&self) -> usize {
        self.tabs.iter().map(|t| t.unread).sum()
    }

    /// The list's entries.
    pub fn summaries(&self) -> Vec<RoomSummary> {
        self.tabs
            .iter()
            .map(|t| RoomSummary {
                id: t.key.id(),
                name: t.key.room.clone(),
                place: (self
                    .tabs
                    .iter()
                    .filter(|o| o.key.room == t.key.room)
                    .count()
                    > 1)
                .then(|| t.invite.place_label()),
                host: t.invite.authorities(),
                last: t
                    .view
                    .timeline
                    .visible()
                    .iter()
                    .rev()
                    .find_map(|e| match &e.kind {
                        EntryKind::Message(m) => Some((m.sender.clone(), m.text.clone())),
                        _ => None,
                    }),
                unread: t.unread,
                muted: t.muted,
                active: self.active.as_ref() == Some(&t.key),
                state: match &t.status {
                    RoomStatus::Refused(_) | RoomStatus::Left(_) => RoomMark::Refused,
                    RoomStatus::Archived => RoomMark::Archived,
                    RoomStatus::Joined if t.view.status.connected() => RoomMark::Live,
                    _ => RoomMark::Waiting,
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::InstallId;

    use super::*;

    fn tab(room: &str, unread: usize) -> RoomTab {
        let invite: Invite = format!("piazza://127.0.0.1:4433/{room}").parse().unwrap();
        RoomTab {
            key: RoomKey::of(&invite),
            invite,
            view: ChatView::new(InstallId([1; 16]), "Anna", &[], &[], 0),
            status: RoomStatus::Joined,
            unread,
            muted: false,
        }
    }

    #[test]
    fn selecting_a_room_reads_it_and_removing_the_shown_one_shows_the_next() {
        let mut rooms = Rooms {
            tabs: vec![tab("a", 0), tab("b", 3), tab("c", 2)],
            active: None,
        };
        assert_eq!(rooms.total_unread(), 5);
        let b = rooms.tabs[1].key.clone();
        rooms.select(&b);
        assert_eq!(rooms.active().unwrap().key.room, "b");
        assert_eq!(rooms.total_unread(), 2);
        rooms.remove(&b);
        assert_eq!(rooms.active().unwrap().key.room, "c");
        let c = rooms.tabs[1].key.clone();
        rooms.remove(&c);
        assert_eq!(rooms.active().unwrap().key.room, "a");
        let summaries = rooms.summaries();
        assert_eq!(summaries.len(), 1);
        assert!(summaries[0].active);
        assert_eq!(summaries[0].last, None);
    }

    #[test]
    fn rooms_of_one_name_on_two_relays_say_where_they_are() {
        let mut elsewhere = tab("a", 0);
        elsewhere.invite = "piazza://chat.example.org:4433/a".parse().unwrap();
        elsewhere.key = RoomKey::of(&elsewhere.invite);
        let rooms = Rooms {
            tabs: vec![tab("a", 0), elsewhere, tab("b", 0)],
            active: None,
        };
        let places: Vec<Option<String>> = rooms.summaries().into_iter().map(|s| s.place).collect();
        assert_eq!(
            places,
            [
                Some("127.0.0.1:4433".to_owned()),
                Some("chat.example.org:4433".to_owned()),
                None
            ]
        );
    }

    #[test]
    fn the_default_room_and_a_named_room_of_one_relay_are_two_rooms() {
        let default: Invite = "piazza://127.0.0.1:4433/".parse().unwrap();
        let named: Invite = "piazza://127.0.0.1:4433/piazza".parse().unwrap();
        let other: Invite = "piazza://127.0.0.1:4433/classe-3b".parse().unwrap();
        assert_eq!(RoomKey::of(&default), RoomKey::of(&named));
        assert_ne!(RoomKey::of(&default), RoomKey::of(&other));
        assert_eq!(RoomKey::of(&default).relay, RoomKey::of(&other).relay);
    }
}
