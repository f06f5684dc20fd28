//! The engine's state machine, without I/O: commands, the relay's frames, connection
//! outcomes and the clock go in; events for the app, frames for the relay and
//! connection orders ([`Io`]) come out. It owns the connection phase and composes the
//! pure parts ([`Outbox`], [`Cursor`], [`Roster`], [`History`], [`Backoff`],
//! [`Saves`]); every command is handled here once, whatever the phase. The runner
//! performs the I/O it asks for and reports back.

use std::{collections::VecDeque, time::Instant};

use common::protocol::{
    ClientFrame, EventKind, Hello, InstallId, RejectReason, RoomEvent, ServerFrame, Welcome,
    PROTOCOL_VERSION,
};

use crate::{
    backoff::Backoff,
    cursor::Cursor,
    history::History,
    liveness::Liveness,
    outbox::Outbox,
    roster::Roster,
    save::Saves,
    verdict::{verdict, Failure, Verdict},
    Command, EngineConfig, EngineState, Event, Outgoing, Problem, Status,
};

#[cfg(test)]
mod tests;

/// What the runner must do with the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Io {
    /// Start a connection attempt with this hello; report with [`Machine::connected`] or
    /// [`Machine::failed`].
    Dial(Hello),
    /// Drop the attempt or the connection, if any.
    Drop,
    /// Send Leave, let the relay close (taking its last frames), then call
    /// [`Machine::left`].
    Leave,
    /// Move the connection to a new UDP socket; report a failure with
    /// [`Machine::failed`].
    Rebind,
}

/// Where the connection stands.
#[derive(Debug)]
enum Phase {
    /// No connection; the next attempt starts at this time.
    Waiting(Instant),
    /// An attempt is under way; `resumed`: its hello asked for a resume.
    Dialing { resumed: bool },
    /// In the room.
    Connected { resumed: bool, liveness: Liveness },
    /// Saying goodbye after [`Command::Disconnect`].
    Leaving,
    /// Stopped with this status until [`Command::ReconnectNow`].
    Halted(Status),
}

/// The state machine of one engine.
pub(crate) struct Machine {
    name: String,
    install: InstallId,
    room_key: Option<String>,
    outbox: Outbox,
    cursor: Cursor,
    roster: Roster,
    history: History,
    backoff: Backoff,
    saves: Saves,
    phase: Phase,
    events: VecDeque<Event>,
    io: VecDeque<Io>,
}

impl Machine {
    /// An engine about to make its first attempt.
    pub(crate) fn new(config: &EngineConfig, now: Instant) -> Self {
        let state = &config.state;
        Self {
            name: config.name.clone(),
            install: state.install,
            room_key: config.invite.room_key.clone(),
            outbox: Outbox::new(state.install, state.next_counter, state.outbox.clone()),
            cursor: Cursor::new(state.last_seq),
            roster: Roster::default(),
            history: History::default(),
            backoff: Backoff::new(config.backoff_initial, config.backoff_max),
            saves: Saves::new(now),
            phase: Phase::Waiting(now),
            events: VecDeque::new(),
            io: VecDeque::new(),
        }
    }

    /// The next event for the app.
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next order for the connection.
    pub(crate) fn poll_io(&mut self) -> Option<Io> {
        self.io.pop_front()
    }

    /// The next frame to write now, when connected: a history request, then the
    /// outbox as pacing allows.
    pub(crate) fn poll_frame(&mut self, now: Instant) -> Option<ClientFrame> {
        if !matches!(self.phase, Phase::Connected { .. }) {
            return None;
        }
        self.history
            .poll_send(now)
            .or_else(|| self.outbox.poll_send(now))
    }

    /// When [`Machine::poll`] has something to do next (a save, an attempt) or a frame
    /// may go out (pacing, a deferred history request).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let phase = match self.phase {
            Phase::Waiting(at) => Some(at),
            Phase::Connected { .. } => [self.outbox.next_send_at(), self.history.deadline()]
                .into_iter()
                .flatten()
                .min(),
            _ => None,
        };
        phase.into_iter().chain(self.saves.deadline()).min()
    }

    /// Time passed: starts a due attempt, emits a due save.
    pub(crate) fn poll(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Waiting(at) if at <= now) {
            self.dial();
        }
        if self.saves.due(now) {
            self.emit(Event::Saved(self.state()));
        }
    }

    /// The engine stops (every handle dropped): a last save if anything changed.
    pub(crate) fn finish(&mut self) {
        if self.saves.dirty() {
            self.emit(Event::Saved(self.state()));
        }
    }

    /// What the app persists.
    pub(crate) fn state(&self) -> EngineState {
        EngineState {
            install: self.install,
            next_counter: self.outbox.next_counter(),
            last_seq: self.cursor.last_seq(),
            outbox: self.outbox.pending().cloned().collect(),
        }
    }

    /// A command from the app.
    pub(crate) fn command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Send(text) => {
                let (out, admitted) = self.outbox.queue(&text);
                self.queued(out, admitted);
            }
            Command::Retry(id) => {
                if let Some((out, admitted)) = self.outbox.retry(id) {
                    self.queued(out, admitted);
                }
            }
            Command::SetName(name) => self.name = name,
            Command::LoadHistory { before } => self.history.request(before),
            Command::NetworkChanged => match self.phase {
                Phase::Connected { .. } => self.io.push_back(Io::Rebind),
                Phase::Waiting(_) => self.phase = Phase::Waiting(now),
                // The attempt's packets may be lost on the old route: start again.
                Phase::Dialing { .. } => {
                    self.io.push_back(Io::Drop);
                    self.dial();
                }
                Phase::Leaving | Phase::Halted(_) => {}
            },
            Command::Disconnect => match &self.phase {
                Phase::Connected { .. } => {
                    self.end_session();
                    self.phase = Phase::Leaving;
                    self.io.push_back(Io::Leave);
                }
                Phase::Leaving | Phase::Halted(Status::Disconnected) => {}
                _ => {
                    self.io.push_back(Io::Drop);
                    self.halt(Status::Disconnected);
                }
            },
            Command::ReconnectNow => match self.phase {
                Phase::Dialing { .. } | Phase::Leaving => {}
                Phase::Connected { .. } | Phase::Waiting(_) | Phase::Halted(_) => {
                    if matches!(self.phase, Phase::Connected { .. }) {
                        self.io.push_back(Io::Drop);
                        self.end_session();
                    }
                    self.backoff.reset();
                    self.dial();
                }
            },
        }
    }

    /// A text entered the outbox (or was refused by the rules on its way in).
    fn queued(&mut self, out: Outgoing, admitted: Result<(), RejectReason>) {
        let id = out.id;
        self.emit(Event::Queued(out));
        match admitted {
            Ok(()) => self.saves.urgent(),
            Err(reason) => {
                self.emit(Event::Rejected { id, reason });
                self.saves.changed();
            }
        }
    }

    fn dial(&mut self) {
        let again = matches!(self.phase, Phase::Dialing { .. });
        if self.backoff.attempt() == 0 && !again {
            self.emit(Event::Status(Status::Connecting));
        }
        let hello = Hello {
            version: PROTOCOL_VERSION,
            name: self.name.clone(),
            install: self.install,
            room_key: self.room_key.clone(),
            resume_after: self.cursor.resume_after(),
        };
        self.phase = Phase::Dialing {
            resumed: hello.resume_after.is_some(),
        };
        self.io.push_back(Io::Dial(hello));
    }

    /// The attempt was welcomed; false if no attempt was expected (drop it).
    pub(crate) fn connected(&mut self, welcome: Welcome, now: Instant) -> bool {
        let Phase::Dialing { resumed } = self.phase else {
            return false;
        };
        let joined = self.cursor.welcome(&welcome);
        if joined.reset {
            self.saves.changed();
        }
        self.roster = Roster::welcome(&welcome);
        self.outbox.connected(welcome.rate);
        self.backoff.connected(now);
        self.phase = Phase::Connected {
            resumed,
            liveness: Liveness::new(now),
        };
        self.emit(Event::Welcome {
            name: welcome.name,
            last_seq: welcome.last_seq,
            gap: joined.gap,
        });
        self.emit(self.roster.event());
        self.emit(Event::Status(Status::Connected));
        for event in welcome.backlog {
            self.room_event(event);
        }
        true
    }

    /// A frame from the relay (also while leaving: the acks before the relay closes).
    pub(crate) fn frame(&mut self, frame: ServerFrame, now: Instant) {
        let leaving = match self.phase {
            Phase::Connected { .. } => false,
            Phase::Leaving => true,
            _ => return,
        };
        match frame {
            ServerFrame::Event(event) => self.room_event(event),
            ServerFrame::Members(names) => {
                self.roster.more(names);
                self.emit(self.roster.event());
            }
            ServerFrame::Online { count, as_of } => {
                if self.roster.online(count, as_of) {
                    self.emit(self.roster.event());
                }
            }
            ServerFrame::Ack { id, seq } => self.acked(id, seq),
            ServerFrame::Rejected { id, reason } => {
                if self.outbox.reject(id) {
                    self.emit(Event::Rejected { id, reason });
                    self.saves.changed();
                }
            }
            ServerFrame::History(page) => {
                if let Some(event) = self.history.page(page, now) {
                    self.emit(event);
                }
            }
            _ if leaving => {}
            ServerFrame::Refused(reason) => self.failed(Failure::of(Problem::Refused(reason)), now),
            ServerFrame::Bye(reason) => self.failed(Failure::of(Problem::Bye(reason)), now),
            ServerFrame::Welcome(_) => {
                let problem = Problem::Protocol("a second welcome".into());
                self.failed(Failure::of(problem), now);
            }
        }
    }

    fn acked(&mut self, id: common::protocol::ClientMsgId, seq: common::protocol::Seq) {
        if self.outbox.ack(id) {
            self.emit(Event::Acked { id, seq });
            self.saves.changed();
        }
    }

    fn room_event(&mut self, event: RoomEvent) {
        if !self.cursor.accept(event.seq) {
            return; // Seen already.
        }
        self.saves.changed();
        if self.roster.change(&event) {
            self.emit(self.roster.event());
        }
        let own = match &event.kind {
            EventKind::Message { id, .. } if id.install == self.install => Some(*id),
            _ => None,
        };
        let seq = event.seq;
        self.emit(Event::Room(event));
        // Our own message is in the log: stored, even if its ack is still on its way
        // (or was lost with an earlier connection).
        if let Some(id) = own {
            self.acked(id, seq);
        }
    }

    /// The attempt failed or the session was lost.
    pub(crate) fn failed(&mut self, failure: Failure, now: Instant) {
        let resumed = match self.phase {
            Phase::Dialing { resumed } | Phase::Connected { resumed, .. } => resumed,
            _ => return, // Already over.
        };
        self.io.push_back(Io::Drop);
        self.end_session();
        match verdict(failure, resumed) {
            Verdict::Recover(problem) => {
                tracing::warn!("a resume could not be decoded; joining without resuming");
                self.cursor.recover();
                self.retry(problem, now);
            }
            Verdict::Retry(problem) => self.retry(problem, now),
            Verdict::Stop(status) => self.halt(status),
        }
    }

    /// The connection has received `datagrams` so far (reported every
    /// `liveness::PROBE`): a relay silent too long is unreachable.
    pub(crate) fn probe(&mut self, datagrams: u64, now: Instant) {
        if let Phase::Connected { liveness, .. } = &mut self.phase {
            if liveness.silent(datagrams, now) {
                self.failed(Failure::of(Problem::Unreachable), now);
            }
        }
    }

    /// The Leave is done: offline on request.
    pub(crate) fn left(&mut self) {
        if matches!(self.phase, Phase::Leaving) {
            self.halt(Status::Disconnected);
        }
    }

    fn end_session(&mut self) {
        self.outbox.disconnected();
        self.history.disconnected();
    }

    fn retry(&mut self, problem: Problem, now: Instant) {
        let (attempt, retry_in) = self.backoff.next(now, rand::random());
        self.phase = Phase::Waiting(now + retry_in);
        self.emit(Event::Status(Status::Reconnecting {
            attempt,
            retry_in,
            problem,
        }));
    }

    fn halt(&mut self, status: Status) {
        self.phase = Phase::Halted(status.clone());
        self.emit(Event::Status(status));
    }

    fn emit(&mut self, event: Event) {
        self.events.push_back(event);
    }
}
