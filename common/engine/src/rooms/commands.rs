//! The room commands of the app: join, leave, send, retry, history, a new name. Each
//! acts on the rooms table at once, whatever the connection; what must reach the relay
//! goes out with the table's next frames.

use common::{
    protocol::{ClientMsgId, JoinRefusal, RejectReason, RoomLeftReason, Seq},
    rules::{clean_text, validate_room_name},
};

use super::{normalise, Rooms};
use crate::{effects::Effects, room::Presence, Event, Outgoing, RoomState, RoomStatus};

impl Rooms {
    /// [`crate::Command::JoinRoom`].
    pub(crate) fn join(&mut self, room: &str, key: Option<String>, fx: &mut Effects) {
        let name = match validate_room_name(room) {
            Ok(name) => name,
            Err(e) => {
                fx.emit(Event::RoomStatus {
                    room: room.to_owned(),
                    status: RoomStatus::Refused(JoinRefusal::BadRoomName(e)),
                });
                return;
            }
        };
        let Some(existing) = self.rooms.get_mut(&name) else {
            self.insert(
                name.clone(),
                RoomState {
                    key,
                    ..RoomState::default()
                },
            );
            fx.urgent();
            self.queue_join(name, fx);
            return;
        };
        if *existing.presence() == Presence::Leaving {
            self.rejoin.insert(name, key);
            return;
        }
        if existing.set_key(key) {
            fx.urgent();
        }
        if existing.unrefuse() {
            fx.urgent();
        }
        self.queue_join(name, fx);
    }

    /// Asked to join: tells where the room stands (even if that is no news), and a
    /// room not on the connection yet is joined next, if connected.
    fn queue_join(&mut self, name: String, fx: &mut Effects) {
        if let Some(room) = self.rooms.get_mut(&name) {
            room.report_again(fx);
            if *room.presence() == Presence::Out && self.registered.is_some() {
                self.to_join.push_back(name);
            }
        }
    }

    /// [`crate::Command::LeaveRoom`].
    pub(crate) fn leave(&mut self, room: &str, fx: &mut Effects) {
        let name = normalise(room);
        self.rejoin.remove(&name);
        let Some(existing) = self.rooms.get_mut(&name) else {
            fx.emit(Event::RoomStatus {
                room: name,
                status: RoomStatus::Left(RoomLeftReason::Left),
            });
            return;
        };
        if *existing.presence() == Presence::Leaving {
            return;
        }
        fx.urgent();
        match existing.leave() {
            Some(frame) if self.registered.is_some() => self.leaves.push_back(frame),
            _ => self.left(&name, RoomLeftReason::Left, fx),
        }
    }

    /// [`crate::Command::Send`]: the text gets the next id and enters the room's
    /// outbox (or is rejected: the rules, a room this client is not in).
    pub(crate) fn send(&mut self, room: &str, text: &str, fx: &mut Effects) {
        let name = normalise(room);
        let out = Outgoing {
            id: ClientMsgId {
                install: self.install,
                counter: self.next_counter,
            },
            text: clean_text(text),
        };
        self.next_counter += 1;
        match self.rooms.get_mut(&name) {
            Some(room) => room.queue(out, fx),
            None => {
                let id = out.id;
                fx.emit(Event::Queued {
                    room: name.clone(),
                    out,
                });
                fx.emit(Event::Rejected {
                    room: name,
                    id,
                    reason: RejectReason::NotInRoom,
                });
                fx.changed();
            }
        }
    }

    /// [`crate::Command::Retry`].
    pub(crate) fn retry(&mut self, room: &str, id: ClientMsgId, fx: &mut Effects) {
        if let Some(room) = self.room(&normalise(room)) {
            room.retry(id, fx);
        }
    }

    /// [`crate::Command::LoadHistory`].
    pub(crate) fn load_history(&mut self, room: &str, before: Seq) {
        if let Some(room) = self.room(&normalise(room)) {
            room.load_history(before);
        }
    }

    /// A new name: rooms that refused the old one as taken are joined again on the
    /// next connection.
    pub(crate) fn renamed(&mut self, fx: &mut Effects) {
        for room in self.rooms.values_mut() {
            if *room.presence() == Presence::Refused(JoinRefusal::NameTaken) {
                room.unrefuse();
                room.report(RoomStatus::Joining, false, fx);
                fx.urgent();
            }
        }
    }
}
