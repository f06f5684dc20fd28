//! The engine's state machine, without I/O: commands, the relay's frames, connection
//! outcomes and the clock go in; events for the app, frames for the relay and
//! connection orders ([`Io`]) come out. It owns the connection's phase (dialing,
//! connected, quitting, waiting, stopped) with its [`Backoff`] and [`Liveness`], and
//! hands everything about rooms to the rooms table ([`Rooms`]); every command is handled
//! here once, whatever the phase. The runner performs the I/O it asks for and reports
//! back.

use std::{collections::VecDeque, time::Instant};

use common::protocol::{ByeReason, ClientFrame, Hello, InstallId, Ready, ServerFrame};

use crate::{
    backoff::Backoff,
    effects::Effects,
    liveness::Liveness,
    rooms::Rooms,
    save::Saves,
    verdict::{verdict, Failure, Verdict},
    Command, EngineConfig, EngineState, Event, Problem, Status,
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
    /// Send Quit, let the relay close (taking its last frames), then call
    /// [`Machine::quit`].
    Quit,
    /// Move the connection to a new UDP socket; report a failure with
    /// [`Machine::failed`].
    Rebind,
}

/// Where the connection stands.
#[derive(Debug)]
enum Phase {
    /// No connection; the next attempt starts at this time.
    Waiting(Instant),
    /// An attempt is under way.
    Dialing,
    /// The relay accepted the hello; rooms are joined over this connection.
    Connected(Liveness),
    /// Saying goodbye after [`Command::Disconnect`].
    Quitting,
    /// Stopped with this status until [`Command::ReconnectNow`].
    Halted(Status),
}

/// The state machine of one engine.
pub(crate) struct Machine {
    name: String,
    install: InstallId,
    rooms: Rooms,
    backoff: Backoff,
    phase: Phase,
    fx: Effects,
    io: VecDeque<Io>,
    /// The host closed the relay (an app hosting it): while it stays away, that is the
    /// reason shown, not that it cannot be reached.
    host_closed: bool,
}

impl Machine {
    /// An engine about to make its first attempt.
    pub(crate) fn new(config: &EngineConfig, now: Instant) -> Self {
        let mut fx = Effects::new(Saves::new(now));
        let later = (config.backoff_initial, config.backoff_max);
        let mut rooms = Rooms::new(&config.state, &config.invite, later, &mut fx);
        rooms.set_owner_key(config.owner_key.clone());
        Self {
            name: config.name.clone(),
            install: config.state.install,
            rooms,
            backoff: Backoff::new(config.backoff_initial, config.backoff_max),
            phase: Phase::Waiting(now),
            fx,
            io: VecDeque::new(),
            host_closed: false,
        }
    }

    /// The next event for the app.
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.fx.next()
    }

    /// The next order for the connection.
    pub(crate) fn poll_io(&mut self) -> Option<Io> {
        self.io.pop_front()
    }

    /// The next frame to write now, when connected: leaves, joins, history requests,
    /// then the outboxes as pacing allows.
    pub(crate) fn poll_frame(&mut self, now: Instant) -> Option<ClientFrame> {
        if !matches!(self.phase, Phase::Connected(_)) {
            return None;
        }
        self.rooms.poll_frame(now, &mut self.fx)
    }

    /// When [`Machine::poll`] has something to do next (a save, an attempt, a room to
    /// join again) or a frame may go out (pacing, a deferred history request).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let phase = match self.phase {
            Phase::Waiting(at) => Some(at),
            Phase::Connected(_) => self.rooms.deadline(),
            _ => None,
        };
        phase.into_iter().chain(self.fx.saves.deadline()).min()
    }

    /// Time passed: starts a due attempt, a due join, emits a due save.
    pub(crate) fn poll(&mut self, now: Instant) {
        match self.phase {
            Phase::Waiting(at) if at <= now => self.dial(),
            Phase::Connected(_) => self.rooms.poll(now),
            _ => {}
        }
        if self.fx.saves.due(now) {
            let state = self.state();
            self.fx.emit(Event::Saved(state));
        }
    }

    /// The engine stops (every handle dropped): a last save if anything changed.
    pub(crate) fn finish(&mut self) {
        if self.fx.saves.dirty() {
            let state = self.state();
            self.fx.emit(Event::Saved(state));
        }
    }

    /// What the app persists.
    pub(crate) fn state(&self) -> EngineState {
        EngineState {
            install: self.install,
            next_counter: self.rooms.next_counter(),
            rooms: self.rooms.state(),
        }
    }

    /// A command from the app.
    pub(crate) fn command(&mut self, command: Command, now: Instant) {
        let fx = &mut self.fx;
        match command {
            Command::JoinRoom { room, key } => self.rooms.join(&room, key, fx),
            Command::LeaveRoom { room } => self.rooms.leave(&room, fx),
            Command::Send { room, text } => self.rooms.send(&room, &text, fx),
            Command::Retry { room, id } => self.rooms.retry(&room, id, fx),
            Command::LoadHistory { room, before } => self.rooms.load_history(&room, before),
            Command::Moderate { room, action } => self.rooms.moderate(&room, action, fx),
            Command::SetOwnerKey(key) => self.rooms.set_owner_key(key),
            Command::SetName(name) => {
                self.name = name;
                self.rooms.renamed(fx);
            }
            Command::NetworkChanged => match self.phase {
                Phase::Connected(_) => self.io.push_back(Io::Rebind),
                Phase::Waiting(_) => self.phase = Phase::Waiting(now),
                // The attempt's packets may be lost on the old route: start again.
                Phase::Dialing => {
                    self.io.push_back(Io::Drop);
                    self.dial();
                }
                Phase::Quitting | Phase::Halted(_) => {}
            },
            Command::Disconnect => match &self.phase {
                Phase::Connected(_) => {
                    self.end_session();
                    self.phase = Phase::Quitting;
                    self.io.push_back(Io::Quit);
                }
                Phase::Quitting | Phase::Halted(Status::Disconnected) => {}
                _ => {
                    self.io.push_back(Io::Drop);
                    self.halt(Status::Disconnected);
                }
            },
            Command::ReconnectNow => match self.phase {
                Phase::Dialing | Phase::Quitting => {}
                Phase::Connected(_) | Phase::Waiting(_) | Phase::Halted(_) => {
                    if matches!(self.phase, Phase::Connected(_)) {
                        self.io.push_back(Io::Drop);
                        self.end_session();
                    }
                    self.backoff.reset();
                    self.dial();
                }
            },
        }
    }

    fn dial(&mut self) {
        let again = matches!(self.phase, Phase::Dialing);
        if self.backoff.attempt() == 0 && !again {
            self.fx.emit(Event::Status(Status::Connecting));
        }
        self.phase = Phase::Dialing;
        self.io
            .push_back(Io::Dial(Hello::new(self.name.clone(), self.install)));
    }

    /// The relay accepted the attempt's hello; false if no attempt was expected (drop
    /// it). The rooms' joins follow as frames.
    pub(crate) fn connected(&mut self, ready: Ready, now: Instant) -> bool {
        if !matches!(self.phase, Phase::Dialing) {
            return false;
        }
        self.rooms.ready(&ready);
        self.backoff.connected(now);
        self.phase = Phase::Connected(Liveness::new(now));
        self.host_closed = false;
        self.fx.emit(Event::Status(Status::Connected));
        true
    }

    /// A frame from the relay (also while quitting: the acks before the relay closes).
    pub(crate) fn frame(&mut self, frame: ServerFrame, now: Instant) {
        let quitting = match self.phase {
            Phase::Connected(_) => false,
            Phase::Quitting => true,
            _ => return,
        };
        let Some(frame) = self.rooms.frame(frame, now, &mut self.fx) else {
            return;
        };
        if quitting {
            return;
        }
        let problem = match frame {
            ServerFrame::Refused(reason) => Problem::Refused(reason),
            ServerFrame::Bye(reason) => Problem::Bye(reason),
            other => Problem::Protocol(format!("unexpected {other:?}")),
        };
        self.failed(Failure::of(problem), now);
    }

    /// The attempt failed or the connection was lost.
    pub(crate) fn failed(&mut self, failure: Failure, now: Instant) {
        if !matches!(self.phase, Phase::Dialing | Phase::Connected(_)) {
            return; // Already over.
        }
        // Which rooms' resumes may have brought what could not be decoded.
        let suspects = if failure.undecodable {
            self.rooms.suspects()
        } else {
            Vec::new()
        };
        self.io.push_back(Io::Drop);
        self.end_session();
        match verdict(failure, !suspects.is_empty()) {
            Verdict::Recover(problem) => {
                tracing::warn!(
                    "a resume could not be decoded; joining {suspects:?} without resuming"
                );
                self.rooms.recover(&suspects);
                self.retry(problem, now);
            }
            Verdict::Retry(problem) => self.retry(problem, now),
            Verdict::Stop(status) => self.halt(status),
        }
    }

    /// The connection has received `datagrams` so far (reported every
    /// `liveness::PROBE`): a relay silent too long is unreachable.
    pub(crate) fn probe(&mut self, datagrams: u64, now: Instant) {
        if let Phase::Connected(liveness) = &mut self.phase {
            if liveness.silent(datagrams, now) {
                self.failed(Failure::of(Problem::Unreachable), now);
            }
        }
    }

    /// The Quit is done: offline on request.
    pub(crate) fn quit(&mut self) {
        if matches!(self.phase, Phase::Quitting) {
            self.halt(Status::Disconnected);
        }
    }

    fn end_session(&mut self) {
        self.rooms.disconnected(&mut self.fx);
    }

    fn retry(&mut self, problem: Problem, now: Instant) {
        let problem = match problem {
            Problem::Bye(ByeReason::HostClosed) => {
                self.host_closed = true;
                problem
            }
            Problem::Unreachable | Problem::ConnectionLost(_) | Problem::RelayRestarted
                if self.host_closed =>
            {
                Problem::Bye(ByeReason::HostClosed)
            }
            problem => problem,
        };
        let (attempt, retry_in) = self.backoff.next(now, rand::random());
        self.phase = Phase::Waiting(now + retry_in);
        self.fx.emit(Event::Status(Status::Reconnecting {
            attempt,
            retry_in,
            problem,
        }));
    }

    fn halt(&mut self, status: Status) {
        self.phase = Phase::Halted(status.clone());
        self.fx.emit(Event::Status(status));
    }
}
