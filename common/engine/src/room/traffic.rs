//! What goes through a room: texts into its outbox and out (only once it is joined),
//! acks and rejects, its log's events (each seq once; our own messages in it acked),
//! members online, history requests and pages. Pure: the caller passes the time.

use std::time::Instant;

use common::protocol::{
    ClientFrame, ClientMsgId, EventKind, HistoryPage, RejectReason, RoomEvent, Seq,
};

use super::{Presence, Room};
use crate::{effects::Effects, Event, Outgoing};

impl Room {
    /// A text with its id enters the outbox (or is rejected at once: the rules, an
    /// archived room, a room being left).
    pub(crate) fn queue(&mut self, out: Outgoing, fx: &mut Effects) {
        let refuse = match self.presence {
            Presence::Leaving => Some(RejectReason::NotInRoom),
            _ if self.archived => Some(RejectReason::Archived),
            _ => None,
        };
        let id = out.id;
        fx.emit(Event::Queued {
            room: self.name.clone(),
            out: out.clone(),
        });
        match self.outbox.queue(out, refuse) {
            Ok(()) => fx.urgent(),
            Err(reason) => {
                fx.emit(Event::Rejected {
                    room: self.name.clone(),
                    id,
                    reason,
                });
                fx.changed();
            }
        }
    }

    /// Queues a rejected message again, same id; nothing if it is not a rejected one.
    pub(crate) fn retry(&mut self, id: ClientMsgId, fx: &mut Effects) {
        if let Some(out) = self.outbox.unreject(id) {
            self.queue(out, fx);
        }
    }

    /// Whether a message waits to go out now.
    pub(crate) fn ready_to_send(&self) -> bool {
        matches!(self.presence, Presence::Joined { .. }) && self.outbox.has_unsent()
    }

    /// The next message to go out (the caller paces).
    pub(crate) fn send_next(&mut self) -> Option<ClientFrame> {
        self.outbox.send_next(self.id)
    }

    /// The app wants events before `before`.
    pub(crate) fn load_history(&mut self, before: Seq) {
        self.history.request(before);
    }

    /// A history request to send now, if joined.
    pub(crate) fn poll_history(&mut self, now: Instant) -> Option<ClientFrame> {
        match self.presence {
            Presence::Joined { .. } => self.history.poll_send(self.id, now),
            _ => None,
        }
    }

    /// A page of older events.
    pub(crate) fn history(&mut self, page: HistoryPage, now: Instant, fx: &mut Effects) {
        if let Some(event) = self.history.page(&self.name, page, now) {
            fx.emit(event);
        }
    }

    /// More names of the welcome's list.
    pub(crate) fn members(&mut self, names: Vec<String>, fx: &mut Effects) {
        self.roster.more(names);
        fx.emit(self.roster.event(&self.name));
    }

    /// The relay's count of members online.
    pub(crate) fn online(&mut self, count: u32, as_of: Seq, fx: &mut Effects) {
        if self.roster.online(count, as_of) {
            fx.emit(self.roster.event(&self.name));
        }
    }

    /// An event of the room's log: reported if new; our own message in it is acked.
    pub(crate) fn event(&mut self, event: RoomEvent, fx: &mut Effects) {
        if !self.cursor.accept(event.seq) {
            return; // Seen already.
        }
        fx.changed();
        if self.roster.change(&event) {
            fx.emit(self.roster.event(&self.name));
        }
        let own = match &event.kind {
            EventKind::Message { id, .. } | EventKind::Redacted { id, .. }
                if id.install == self.install =>
            {
                Some(*id)
            }
            _ => None,
        };
        let seq = event.seq;
        fx.emit(Event::Room {
            room: self.name.clone(),
            event,
        });
        // Our own message is in the log: stored, even if its ack is still on its way
        // (or was lost with an earlier connection).
        if let Some(id) = own {
            self.ack(id, seq, fx);
        }
    }

    /// The relay stored a message of ours.
    pub(crate) fn ack(&mut self, id: ClientMsgId, seq: Seq, fx: &mut Effects) {
        if self.outbox.ack(id) {
            fx.emit(Event::Acked {
                room: self.name.clone(),
                id,
                seq,
            });
            fx.changed();
        }
    }

    /// The relay refused a message of ours.
    pub(crate) fn rejected(&mut self, id: ClientMsgId, reason: RejectReason, fx: &mut Effects) {
        if self.outbox.reject(id) {
            fx.emit(Event::Rejected {
                room: self.name.clone(),
                id,
                reason,
            });
            fx.changed();
        }
    }
}
