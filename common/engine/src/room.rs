//! One room the client is in, or wants to be in: its name, id and key, where it stands
//! on the current connection ([`Presence`]: joining, joined, refused, leaving), the
//! [`RoomStatus`] last reported, and its pure parts ([`Outbox`], [`Cursor`], [`Roster`],
//! [`History`]). Joining, welcomes, refusals and leaving are here; what goes through a
//! joined room (texts, acks, the log's events, members, history) is in `traffic`. Pure:
//! the caller passes the time.

use std::time::Instant;

use common::protocol::{ClientFrame, InstallId, Join, JoinRefusal, RoomId, Welcome};

use crate::{
    backoff::Backoff, cursor::Cursor, effects::Effects, history::History, outbox::Outbox,
    roster::Roster, Event, RoomState, RoomStatus,
};

#[cfg(test)]
pub(crate) mod tests;
mod traffic;

/// Where a room stands on the current connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    /// Not in it on this connection: offline, or its join is still to go out.
    Out,
    /// Its join went out; `resumed`: it asked for the events after a seq.
    Joining { resumed: bool },
    /// Welcomed; `resumed` as for the join.
    Joined { resumed: bool },
    /// Its leave went out (the room has left the state); waiting for the relay.
    Leaving,
    /// Refused for good, until asked to join again.
    Refused(JoinRefusal),
    /// Refused for now (full): joined again from this time on, if connected.
    Later(Instant),
}

/// One room.
#[derive(Debug)]
pub(crate) struct Room {
    name: String,
    id: RoomId,
    key: Option<String>,
    install: InstallId,
    presence: Presence,
    archived: bool,
    outbox: Outbox,
    cursor: Cursor,
    roster: Roster,
    history: History,
    /// Delays before joining again after a passing refusal.
    later: Backoff,
    /// What the app was last told.
    status: Option<RoomStatus>,
}

impl Room {
    /// The room `name` (as the relay keeps names) of a persisted state, for `install`.
    pub(crate) fn new(name: String, state: RoomState, install: InstallId, later: Backoff) -> Self {
        Self {
            id: RoomId::of(&name),
            name,
            key: state.key,
            install,
            presence: match state.refused {
                Some(reason) => Presence::Refused(reason),
                None => Presence::Out,
            },
            archived: false,
            outbox: Outbox::new(state.outbox),
            cursor: Cursor::new(state.last_seq),
            roster: Roster::default(),
            history: History::default(),
            later,
            status: None,
        }
    }

    /// Its name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Its id on the wire.
    pub(crate) fn id(&self) -> RoomId {
        self.id
    }

    /// Where it stands.
    pub(crate) fn presence(&self) -> &Presence {
        &self.presence
    }

    /// What the app persists of it; `None` once it is being left.
    pub(crate) fn state(&self) -> Option<RoomState> {
        (self.presence != Presence::Leaving).then(|| RoomState {
            key: self.key.clone(),
            last_seq: self.cursor.last_seq(),
            outbox: self.outbox.pending().cloned().collect(),
            refused: match self.presence {
                Presence::Refused(reason) => Some(reason),
                _ => None,
            },
        })
    }

    /// Uses this key from the next join on; true if it changed.
    pub(crate) fn set_key(&mut self, key: Option<String>) -> bool {
        let changed = self.key != key;
        self.key = key;
        changed
    }

    /// Asked to join (again): a refused room is joined again. True if it was refused
    /// (it is now [`Presence::Out`], to be joined).
    pub(crate) fn unrefuse(&mut self) -> bool {
        let refused = matches!(self.presence, Presence::Refused(_) | Presence::Later(_));
        if refused {
            self.presence = Presence::Out;
            self.later.reset();
        }
        refused
    }

    /// Reports `status` if it is news (or always, with `again`).
    pub(crate) fn report(&mut self, status: RoomStatus, again: bool, fx: &mut Effects) {
        if again || self.status.as_ref() != Some(&status) {
            self.status = Some(status.clone());
            fx.emit(Event::RoomStatus {
                room: self.name.clone(),
                status,
            });
        }
    }

    /// Reports where it stands again (a join asked for a room it is in).
    pub(crate) fn report_again(&mut self, fx: &mut Effects) {
        let status = match self.presence {
            Presence::Joined { .. } if self.archived => RoomStatus::Archived,
            Presence::Joined { .. } => RoomStatus::Joined,
            Presence::Refused(reason) => RoomStatus::Refused(reason),
            _ => RoomStatus::Joining,
        };
        self.report(status, true, fx);
    }

    /// The join to send now (the room is [`Presence::Out`], the connection open), giving
    /// `owner_key` if the app has one.
    pub(crate) fn join(&mut self, owner_key: Option<String>, fx: &mut Effects) -> ClientFrame {
        let resume_after = self.cursor.resume_after();
        self.presence = Presence::Joining {
            resumed: resume_after.is_some(),
        };
        self.report(RoomStatus::Joining, false, fx);
        ClientFrame::Join(Join {
            room: self.name.clone(),
            key: self.key.clone(),
            resume_after,
            owner_key,
        })
    }

    /// The relay let us in, under the registered `name`.
    pub(crate) fn welcome(&mut self, welcome: Welcome, name: &str, fx: &mut Effects) {
        let Presence::Joining { resumed } = self.presence else {
            return; // Being left, or not asked for.
        };
        self.presence = Presence::Joined { resumed };
        self.later.reset();
        let joined = self.cursor.welcome(&welcome);
        if joined.reset {
            fx.changed();
        }
        self.roster = Roster::welcome(&welcome);
        self.archived = welcome.archived;
        fx.emit(Event::Welcome {
            room: self.name.clone(),
            name: name.to_owned(),
            last_seq: welcome.last_seq,
            gap: joined.gap,
            archived: welcome.archived,
            owner: welcome.owner,
        });
        fx.emit(self.roster.event(&self.name));
        let status = if self.archived {
            RoomStatus::Archived
        } else {
            RoomStatus::Joined
        };
        self.report(status, false, fx);
        for event in welcome.backlog {
            self.event(event, fx);
        }
    }

    /// The room refused the join. False if none was waiting for an answer.
    pub(crate) fn refused(&mut self, reason: JoinRefusal, now: Instant, fx: &mut Effects) -> bool {
        if !matches!(self.presence, Presence::Joining { .. }) {
            return false;
        }
        self.cursor.parted();
        if reason.is_passing() {
            let (_, wait) = self.later.next(now, rand::random());
            self.presence = Presence::Later(now + wait);
        } else {
            self.presence = Presence::Refused(reason);
            fx.urgent();
        }
        self.report(RoomStatus::Refused(reason), true, fx);
        true
    }

    /// A passing refusal's wait is over at `now`: true if the room is to be joined
    /// again (it is [`Presence::Out`]).
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        let due = matches!(self.presence, Presence::Later(at) if at <= now);
        if due {
            self.presence = Presence::Out;
        }
        due
    }

    /// The leave to send, if the relay has the room (joined, or its join went out);
    /// `None`: nothing to tell the relay. The room leaves the state either way.
    pub(crate) fn leave(&mut self) -> Option<ClientFrame> {
        let on_relay = matches!(
            self.presence,
            Presence::Joining { .. } | Presence::Joined { .. }
        );
        self.presence = Presence::Leaving;
        on_relay.then_some(ClientFrame::Leave { room: self.id })
    }

    /// The operator archived the room (`archived`), or opened it for writing again.
    pub(crate) fn archive(&mut self, archived: bool, fx: &mut Effects) {
        if self.archived == archived {
            return;
        }
        self.archived = archived;
        if matches!(self.presence, Presence::Joined { .. }) {
            let status = if archived {
                RoomStatus::Archived
            } else {
                RoomStatus::Joined
            };
            self.report(status, false, fx);
        }
    }

    /// The connection ended: not in the room any more (the caller handles a room being
    /// left). A passing refusal is tried again on the next connection.
    pub(crate) fn parted(&mut self) {
        if matches!(
            self.presence,
            Presence::Joining { .. } | Presence::Joined { .. } | Presence::Later(_)
        ) {
            self.presence = Presence::Out;
        }
        self.cursor.parted();
        self.outbox.restart();
        self.history.disconnected();
    }

    /// Its join went out or it is joined and its backlog is still coming.
    pub(crate) fn catching_up(&self) -> bool {
        match self.presence {
            Presence::Joining { .. } => true,
            Presence::Joined { .. } => self.cursor.catching_up(),
            _ => false,
        }
    }

    /// Its join (on this connection) asked for the events after a seq.
    pub(crate) fn resumed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Joining { resumed: true } | Presence::Joined { resumed: true }
        )
    }

    /// A resume of this room could not be decoded: the next join takes the recent
    /// backlog instead.
    pub(crate) fn recover(&mut self) {
        self.cursor.recover();
    }

    /// When this room has something to do: a deferred history request when joined, a
    /// join after a passing refusal.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.presence {
            Presence::Joined { .. } => self.history.deadline(),
            Presence::Later(at) => Some(at),
            _ => None,
        }
    }
}
