//! The rooms table: every [`Room`] by name and by id, the one message counter, the joins
//! and leaves to send on the connection, and which room's message goes out next
//! ([`Pacer`]). Routes the relay's frames about rooms, and says which rooms a frame that
//! could not be decoded may belong to; the app's room commands are in `commands`, the
//! owner key and moderation in `moderation`. Pure: the caller passes the time.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    time::{Duration, Instant},
};

use common::{
    invite::Invite,
    protocol::{ClientFrame, InstallId, Ready, RoomId, RoomLeftReason, ServerFrame},
    rules::validate_room_name,
};

use crate::{
    backoff::Backoff,
    effects::Effects,
    pacing::Pacer,
    room::{Presence, Room},
    EngineState, RoomState, RoomStatus,
};

mod commands;
mod moderation;
#[cfg(test)]
mod tests;

/// Every room of one engine.
#[derive(Debug)]
pub(crate) struct Rooms {
    install: InstallId,
    next_counter: u64,
    rooms: BTreeMap<String, Room>,
    ids: HashMap<RoomId, String>,
    /// Rooms asked to be joined while they were being left: their keys.
    rejoin: HashMap<String, Option<String>>,
    /// Connected: rooms whose join goes out next, in order.
    to_join: VecDeque<String>,
    /// Connected: leaves to send.
    leaves: VecDeque<ClientFrame>,
    /// Connected: moderations to send.
    moderations: VecDeque<ClientFrame>,
    /// The owner key joins give.
    owner_key: Option<String>,
    pacer: Pacer,
    /// Connected: the name the relay registered.
    registered: Option<String>,
    /// The first and longest delay before joining again a full room.
    later: (Duration, Duration),
}

/// A room's name as the relay keeps it (or as given, if it breaks the rule: no room
/// has that name).
fn normalise(room: &str) -> String {
    validate_room_name(room).unwrap_or_else(|_| room.to_owned())
}

impl Rooms {
    /// The rooms of a persisted state; the invite's room (with its key) when the state
    /// has none, and its key for the invite's room if the state has none.
    pub(crate) fn new(
        state: &EngineState,
        invite: &Invite,
        later: (Duration, Duration),
        fx: &mut Effects,
    ) -> Self {
        let mut rooms = Self {
            install: state.install,
            next_counter: state.next_counter.max(1),
            rooms: BTreeMap::new(),
            ids: HashMap::new(),
            rejoin: HashMap::new(),
            to_join: VecDeque::new(),
            leaves: VecDeque::new(),
            moderations: VecDeque::new(),
            owner_key: None,
            pacer: Pacer::default(),
            registered: None,
            later,
        };
        for (name, room) in &state.rooms {
            // A counter behind an outbox would reuse an id the relay may have stored.
            for out in room.outbox.iter().filter(|o| o.id.install == state.install) {
                rooms.next_counter = rooms.next_counter.max(out.id.counter + 1);
            }
            rooms.insert(normalise(name), room.clone());
        }
        let invited = normalise(invite.room_name());
        let key = invite.room_key.clone();
        if rooms.rooms.is_empty() {
            rooms.insert(
                invited,
                RoomState {
                    key,
                    ..RoomState::default()
                },
            );
            fx.urgent();
        } else if let Some(room) = rooms.rooms.get_mut(&invited) {
            if room.state().is_some_and(|s| s.key.is_none()) && key.is_some() {
                room.set_key(key);
                fx.changed();
            }
        }
        rooms
    }

    fn insert(&mut self, name: String, state: RoomState) {
        let later = Backoff::new(self.later.0, self.later.1);
        let room = Room::new(name.clone(), state, self.install, later);
        self.ids.insert(room.id(), name.clone());
        self.rooms.insert(name, room);
    }

    /// The room of this name, if it is in the table.
    fn room(&mut self, name: &str) -> Option<&mut Room> {
        self.rooms.get_mut(name)
    }

    /// Does `f` with the room of this id, if it is in the table.
    fn with(&mut self, id: RoomId, f: impl FnOnce(&mut Room)) {
        if let Some(room) = self.ids.get(&id).and_then(|n| self.rooms.get_mut(n)) {
            f(room);
        }
    }

    fn connected(&self) -> bool {
        self.registered.is_some()
    }

    /// The counter the next message gets.
    pub(crate) fn next_counter(&self) -> u64 {
        self.next_counter
    }

    /// What the app persists of the rooms (those being left are gone already).
    pub(crate) fn state(&self) -> BTreeMap<String, RoomState> {
        self.rooms
            .iter()
            .filter_map(|(name, room)| Some((name.clone(), room.state()?)))
            .collect()
    }

    /// The relay accepted the hello: every room not refused is to be joined, and the
    /// outboxes go out under its rate.
    pub(crate) fn ready(&mut self, ready: &Ready) {
        self.registered = Some(ready.name.clone());
        self.pacer.connected(ready.rate);
        self.to_join = self
            .rooms
            .values()
            .filter(|r| *r.presence() == Presence::Out)
            .map(|r| r.name().to_owned())
            .collect();
    }

    /// The connection ended: no room is joined; rooms being left are gone.
    pub(crate) fn disconnected(&mut self, fx: &mut Effects) {
        self.registered = None;
        self.pacer.disconnected();
        self.to_join.clear();
        self.leaves.clear();
        let leaving: Vec<String> = self
            .rooms
            .values()
            .filter(|r| *r.presence() == Presence::Leaving)
            .map(|r| r.name().to_owned())
            .collect();
        for name in leaving {
            self.left(&name, RoomLeftReason::Left, fx);
        }
        self.rooms.values_mut().for_each(Room::parted);
    }

    /// The room is gone: reported, out of the table (then joined again if asked
    /// meanwhile).
    fn left(&mut self, name: &str, reason: RoomLeftReason, fx: &mut Effects) {
        if let Some(mut room) = self.rooms.remove(name) {
            self.ids.remove(&room.id());
            room.report(RoomStatus::Left(reason), false, fx);
            fx.urgent();
        }
        if let Some(key) = self.rejoin.remove(name) {
            self.join(name, key, fx);
        }
    }

    /// A frame from the relay: handled if it is about a room; otherwise handed back.
    pub(crate) fn frame(
        &mut self,
        frame: ServerFrame,
        now: Instant,
        fx: &mut Effects,
    ) -> Option<ServerFrame> {
        match frame {
            ServerFrame::Welcome(welcome) => {
                let name = self.registered.clone().unwrap_or_default();
                self.with(welcome.room, |r| r.welcome(welcome, &name, fx));
            }
            ServerFrame::Event { room, event } => {
                self.with(room, |r| r.event(event, fx));
            }
            ServerFrame::Ack { room, id, seq } => {
                self.with(room, |r| r.ack(id, seq, fx));
            }
            ServerFrame::Rejected { room, id, reason } => {
                self.with(room, |r| r.rejected(id, reason, fx));
            }
            ServerFrame::Members { room, names } => {
                self.with(room, |r| r.members(names, fx));
            }
            ServerFrame::Online { room, count, as_of } => {
                self.with(room, |r| r.online(count, as_of, fx));
            }
            ServerFrame::History { room, page } => {
                self.with(room, |r| r.history(page, now, fx));
            }
            ServerFrame::Archived { room, archived } => {
                self.with(room, |r| r.archive(archived, fx));
            }
            ServerFrame::ModerationRefused {
                room,
                action,
                reason,
            } => self.moderation_refused(room, action, reason, fx),
            ServerFrame::JoinRefused { room, reason } => {
                let name = normalise(&room);
                match self.rooms.get_mut(&name) {
                    Some(r) if *r.presence() == Presence::Leaving => {
                        self.left(&name, RoomLeftReason::Left, fx);
                    }
                    Some(r) => {
                        r.refused(reason, now, fx);
                    }
                    None => {}
                }
            }
            ServerFrame::RoomLeft { room, reason } => {
                let name = self.ids.get(&room).cloned().unwrap_or_default();
                let leaving = self
                    .rooms
                    .get(&name)
                    .is_some_and(|r| *r.presence() == Presence::Leaving);
                // A room leaves the table when we left it, it was deleted, or an owner
                // removed us from it (it would refuse us).
                let gone = matches!(
                    reason,
                    RoomLeftReason::Deleted | RoomLeftReason::Removed { .. }
                );
                if leaving || (gone && self.rooms.contains_key(&name)) {
                    self.left(&name, reason, fx);
                }
            }
            other @ (ServerFrame::Ready(_) | ServerFrame::Refused(_) | ServerFrame::Bye(_)) => {
                return Some(other)
            }
        }
        None
    }

    /// The next frame to write now, if connected: leaves, joins, history requests,
    /// then messages, one room at a time, as the pace allows.
    pub(crate) fn poll_frame(&mut self, now: Instant, fx: &mut Effects) -> Option<ClientFrame> {
        if !self.connected() {
            return None;
        }
        if let Some(leave) = self.leaves.pop_front() {
            return Some(leave);
        }
        if let Some(moderation) = self.moderations.pop_front() {
            return Some(moderation);
        }
        let owner_key = self.owner_key();
        while let Some(name) = self.to_join.pop_front() {
            if let Some(room) = self.rooms.get_mut(&name) {
                if *room.presence() == Presence::Out {
                    return Some(room.join(owner_key, fx));
                }
            }
        }
        if let Some(request) = self.rooms.values_mut().find_map(|r| r.poll_history(now)) {
            return Some(request);
        }
        let turn = self.pacer.turn(&self.rooms, now, Room::ready_to_send)?;
        self.room(&turn)?.send_next()
    }

    /// When a frame may go out (the pace, a deferred history request) or a room is to
    /// be joined again after a passing refusal; `None` when offline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        if !self.connected() {
            return None;
        }
        let pace = self
            .rooms
            .values()
            .any(Room::ready_to_send)
            .then(|| self.pacer.next_send_at())
            .flatten();
        self.rooms
            .values()
            .filter_map(Room::deadline)
            .chain(pace)
            .min()
    }

    /// Time passed: rooms whose passing refusal is over are joined again.
    pub(crate) fn poll(&mut self, now: Instant) {
        if !self.connected() {
            return;
        }
        for room in self.rooms.values_mut() {
            if room.due(now) {
                self.to_join.push_back(room.name().to_owned());
            }
        }
    }

    /// The rooms a frame that could not be decoded may belong to, if it may be a
    /// resume's: among the rooms whose backlog is coming (or, if none is, every room
    /// joined), those whose join resumed. Empty: a resume is not to blame.
    pub(crate) fn suspects(&self) -> Vec<String> {
        let catching: Vec<&Room> = self.rooms.values().filter(|r| r.catching_up()).collect();
        let pool = if catching.is_empty() {
            self.rooms.values().collect()
        } else {
            catching
        };
        pool.into_iter()
            .filter(|r| r.resumed())
            .map(|r| r.name().to_owned())
            .collect()
    }

    /// These rooms join next without resuming (the caller reconnects).
    pub(crate) fn recover(&mut self, names: &[String]) {
        for name in names {
            if let Some(room) = self.rooms.get_mut(name) {
                room.recover();
            }
        }
    }
}
