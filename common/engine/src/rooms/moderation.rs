//! The owner's side of moderation: the owner key a join gives ([`crate::EngineConfig::
//! owner_key`], [`crate::Command::SetOwnerKey`]), the app's moderation commands sent to
//! joined rooms, and the relay's refusals of them. What the relay then logs comes back
//! as room events like any other.

use common::protocol::{ClientFrame, Moderation, ModerationRefusal, RoomId};

use super::{normalise, Rooms};
use crate::{effects::Effects, room::Presence, Event};

impl Rooms {
    /// The owner key joins give from now on (rooms joined already keep what they were
    /// welcomed as until their next join).
    pub(crate) fn set_owner_key(&mut self, key: Option<String>) {
        self.owner_key = key;
    }

    /// The owner key joins give.
    pub(super) fn owner_key(&self) -> Option<String> {
        self.owner_key.clone()
    }

    /// [`crate::Command::Moderate`]: goes out at once to a joined room; anything else is
    /// refused here ([`ModerationRefusal::NotInRoom`]).
    pub(crate) fn moderate(&mut self, room: &str, action: Moderation, fx: &mut Effects) {
        let name = normalise(room);
        let connected = self.connected();
        let joined = self
            .rooms
            .get(&name)
            .filter(|r| connected && matches!(r.presence(), Presence::Joined { .. }));
        match joined {
            Some(r) => {
                let room = r.id();
                self.moderations
                    .push_back(ClientFrame::Moderate { room, action });
            }
            None => fx.emit(Event::ModerationRefused {
                room: name,
                action,
                reason: ModerationRefusal::NotInRoom,
            }),
        }
    }

    /// The relay refused a moderation in `room`.
    pub(super) fn moderation_refused(
        &mut self,
        room: RoomId,
        action: Moderation,
        reason: ModerationRefusal,
        fx: &mut Effects,
    ) {
        if let Some(name) = self.ids.get(&room) {
            fx.emit(Event::ModerationRefused {
                room: name.clone(),
                action,
                reason,
            });
        }
    }
}
