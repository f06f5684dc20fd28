//! The chat engine: everything a Piazza client does, without any UI.
//!
//! # Layout
//! (being split: see the architecture issue) this file holds the commands, events,
//! state and the runner.
//!
//! [`start`] spawns the engine on the current tokio runtime and returns an [`Engine`]
//! handle for [`Command`]s and a receiver of [`Event`]s. The app, the tests and the
//! benchmark all drive this same code.
//!
//! What the engine guarantees:
//! - **Outbox**: every text sent gets a [`ClientMsgId`] and stays in the outbox until the
//!   relay acknowledges it (after storing it). Texts sent while offline wait there and
//!   go out in order after reconnecting; the relay recognises resends, so each message
//!   lands exactly once. [`EngineState`] (outbox, counter, last seq) is serde data the
//!   app persists; a new engine started from it continues where the old one stopped.
//! - **Reconnect** with exponential backoff and jitter (capped at 30 s), resuming after
//!   the last seq seen, so no room event is missed or repeated. A refusal that retrying
//!   cannot heal (wrong pin, wrong room key, bad or taken name) stops with
//!   [`Status::Failed`] instead of looping.
//! - **Network change**: [`Command::NetworkChanged`] rebinds the UDP socket; QUIC
//!   migration keeps the same connection and session.
//! - **Pacing**: the outbox is sent under the relay's announced rate limit, so a burst of
//!   queued messages is not rejected on reconnect.

use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

use common::{
    codec::{self, CodecError},
    invite::Invite,
    protocol::*,
    rate::TokenBucket,
    rules::{name_key, validate_text},
};
use net::{socket, Conn, Dialer, FrameReader, FrameWriter};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub use net::Problem;

/// What the app keeps between runs so that nothing typed is lost or sent twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineState {
    /// This installation's id.
    pub install: InstallId,
    /// The counter the next message gets.
    pub next_counter: u64,
    /// The last room event seen; a reconnect resumes after it.
    pub last_seq: Option<Seq>,
    /// Messages not yet acknowledged, in send order.
    pub outbox: Vec<Outgoing>,
}

impl EngineState {
    /// A fresh state with a new random install id.
    pub fn new() -> Self {
        Self {
            install: InstallId::random(),
            next_counter: 1,
            last_seq: None,
            outbox: Vec::new(),
        }
    }
}

impl Default for EngineState {
    fn default() -> Self {
        Self::new()
    }
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Its id.
    pub id: ClientMsgId,
    /// Its text.
    pub text: String,
}

/// How the engine starts.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Where the relay is and how to trust it.
    pub invite: Invite,
    /// The display name to join with.
    pub name: String,
    /// Persisted state (or [`EngineState::new`]).
    pub state: EngineState,
    /// First reconnect delay; doubles up to `backoff_max`.
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// How long one connection attempt (handshake, hello, welcome) may take.
    pub connect_timeout: Duration,
}

impl EngineConfig {
    /// A configuration with the default timings.
    pub fn new(invite: Invite, name: impl Into<String>, state: EngineState) -> Self {
        Self {
            invite,
            name: name.into(),
            state,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// What a UI (or test) asks the engine to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Send a text; it is queued in the outbox and an [`Event::Queued`] tells its id.
    Send(String),
    /// Queue a rejected message again, with the same id.
    Retry(ClientMsgId),
    /// Use this name from the next connection on (reconnect to apply it now).
    SetName(String),
    /// The device's network changed: move the connection to a new UDP socket.
    NetworkChanged,
    /// Leave the room and stay offline until [`Command::ReconnectNow`].
    Disconnect,
    /// Connect now, skipping any backoff wait or failure.
    ReconnectNow,
    /// Ask the relay for older events, before this seq; answered by [`Event::History`].
    LoadHistory {
        /// Events before this seq.
        before: Seq,
    },
}

/// Connection state, for a status banner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Connecting (first attempt, or after [`Command::ReconnectNow`]).
    Connecting,
    /// In the room.
    Connected,
    /// Lost the connection; the next attempt starts in `retry_in`.
    Reconnecting {
        /// Which attempt comes next (1 = first retry).
        attempt: u32,
        /// Delay before it.
        retry_in: Duration,
        /// Why the connection was lost or the last attempt failed.
        problem: Problem,
    },
    /// Stopped on a problem that retrying cannot heal; waits for a command.
    Failed(Problem),
    /// Offline on request ([`Command::Disconnect`]).
    Disconnected,
}

/// What the engine reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The connection state changed.
    Status(Status),
    /// Joined the room: the name the relay registered and the log position at joining.
    /// Backlog events follow as [`Event::Room`]. `gap` means events were missed because
    /// the relay no longer had them.
    Welcome {
        /// Registered display name.
        name: String,
        /// Last seq published when joining.
        last_seq: Seq,
        /// Events between the last seen seq and the backlog are lost.
        gap: bool,
    },
    /// Who is online now.
    Members {
        /// How many members are online, this client included.
        online: u32,
        /// Their names in name order (by [`name_key`], as the relay compares names);
        /// `None` in a room too large for the relay to list them
        /// (then only the count is known).
        names: Option<Vec<String>>,
    },
    /// An event of the room's log, in order, each seq once.
    Room(RoomEvent),
    /// A text entered the outbox with this id (also for [`Command::Retry`]).
    Queued(Outgoing),
    /// The relay stored a message of ours.
    Acked {
        /// The message.
        id: ClientMsgId,
        /// Its place in the log.
        seq: Seq,
    },
    /// The relay (or the engine, for limits it knows) rejected a message of ours. It left
    /// the outbox; [`Command::Retry`] queues it again.
    Rejected {
        /// The message.
        id: ClientMsgId,
        /// Why.
        reason: RejectReason,
    },
    /// Older events, answering [`Command::LoadHistory`]: oldest first, each below
    /// `before`.
    History {
        /// The request's `before`.
        before: Seq,
        /// The events.
        events: Vec<RoomEvent>,
        /// Older events exist than the first one here.
        more: bool,
    },
    /// The state to persist changed (outbox, counter or last seq).
    Saved(EngineState),
}

/// Handle to a running engine. Dropping every handle stops the engine.
#[derive(Clone, Debug)]
pub struct Engine {
    commands: mpsc::UnboundedSender<Command>,
}

impl Engine {
    /// Sends a command; false when the engine has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }
}

/// Starts an engine on the current tokio runtime.
pub fn start(config: EngineConfig) -> (Engine, mpsc::UnboundedReceiver<Event>) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let runner = Runner::new(config, cmd_rx, ev_tx);
    tokio::spawn(runner.run());
    (Engine { commands: cmd_tx }, ev_rx)
}

/// How a connected session ended.
enum End {
    /// Connect again after a backoff.
    Retry(Problem),
    /// Connect again at once (a user request).
    Now,
    /// Stop until told otherwise, showing this status.
    Halt(Status),
    /// Every handle was dropped.
    Gone,
}

impl End {
    /// Stop on a problem retrying cannot fix, retry on any other.
    fn on(problem: Problem) -> Self {
        if problem.is_permanent() {
            End::Halt(Status::Failed(problem))
        } else {
            End::Retry(problem)
        }
    }
}

/// What a command asks of the connection loop while not connected.
enum Wake {
    /// Nothing changes.
    Stay,
    /// Try to connect now.
    Connect,
    /// Go offline.
    Disconnect,
    /// Every handle was dropped.
    Gone,
}

struct Connected {
    conn: Conn,
    welcome: Welcome,
}

/// Events asked for per history page.
const HISTORY_PAGE: u32 = 100;

/// How long a leaving client waits for the relay to close after its Leave.
const LEAVE_WAIT: Duration = Duration::from_secs(1);

/// A local mirror of the relay's token bucket, a little smaller and slower, so that the
/// outbox goes out without hitting the relay's limit.
fn pacer(rate: RateLimit) -> TokenBucket {
    TokenBucket::new(
        f64::from(rate.burst.saturating_sub(2).max(1)),
        f64::from(rate.per_second.max(1)) * 0.8,
    )
}

/// Who is online, as the engine knows it: the welcome's snapshot, then the joins and
/// leaves logged after it, or the relay's counts in a room too large to list.
#[derive(Default)]
struct Roster {
    /// The names by [`name_key`], or `None` when only the count is known.
    names: Option<BTreeMap<String, String>>,
    online: u32,
    /// The log position the roster describes.
    as_of: Seq,
}

impl Roster {
    fn welcome(welcome: &Welcome) -> Self {
        // A listed room always lists at least the joiner.
        let listed = !welcome.members.is_empty();
        Self {
            names: listed.then(|| by_key(welcome.members.iter().cloned())),
            online: welcome.online,
            as_of: welcome.members_as_of,
        }
    }

    /// More names of the welcome's list.
    fn more(&mut self, names: Vec<String>) {
        if let Some(known) = &mut self.names {
            known.extend(by_key(names));
            self.online = self.online.max(known.len() as u32);
        }
    }

    /// The relay's count; true if it changed anything.
    fn online(&mut self, count: u32, as_of: Seq) -> bool {
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
    fn change(&mut self, event: &RoomEvent) -> bool {
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
            (EventKind::Message { .. }, _) => return false,
        }
        true
    }

    fn event(&self) -> Event {
        Event::Members {
            online: self.online,
            names: self.names.as_ref().map(|n| n.values().cloned().collect()),
        }
    }
}

/// Names keyed the way the relay tells them apart.
fn by_key(names: impl IntoIterator<Item = String>) -> BTreeMap<String, String> {
    names.into_iter().map(|n| (name_key(&n), n)).collect()
}

struct Runner {
    config: EngineConfig,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    endpoint: Option<quinn::Endpoint>,
    /// Texts of rejected messages, for [`Command::Retry`].
    rejected: Vec<Outgoing>,
    roster: Roster,
    /// How many outbox entries (from the front) went out on this connection.
    sent: usize,
    /// The state (last_seq, outbox) changed since the last [`Event::Saved`].
    dirty: bool,
}

impl Runner {
    fn new(
        config: EngineConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        Self {
            config,
            commands,
            events,
            endpoint: None,
            rejected: Vec::new(),
            roster: Roster::default(),
            sent: 0,
            dirty: false,
        }
    }

    fn emit(&self, event: Event) {
        // The receiver may be gone while handles remain; that is not an error here.
        let _ = self.events.send(event);
    }

    fn save(&mut self) {
        self.dirty = false;
        self.emit(Event::Saved(self.config.state.clone()));
    }

    async fn run(mut self) {
        let mut attempt = 0u32;
        let mut problem: Option<Problem> = None;
        loop {
            if let Some(p) = problem.take() {
                attempt += 1;
                let exp = self
                    .config
                    .backoff_initial
                    .saturating_mul(1u32 << (attempt - 1).min(16));
                let capped = exp.min(self.config.backoff_max);
                // Full jitter on the upper half: spreads clients after a relay restart.
                let delay = capped.mul_f64(0.5 + rand::random::<f64>() * 0.5);
                self.emit(Event::Status(Status::Reconnecting {
                    attempt,
                    retry_in: delay,
                    problem: p,
                }));
                let sleep = tokio::time::sleep(delay);
                tokio::pin!(sleep);
                let wake = loop {
                    tokio::select! {
                        _ = &mut sleep => break Wake::Connect,
                        cmd = self.commands.recv() => match self.offline_command(cmd) {
                            Wake::Stay => continue,
                            other => break other,
                        },
                    }
                };
                match wake {
                    Wake::Gone => return,
                    Wake::Disconnect => {
                        if !self.halt(Status::Disconnected).await {
                            return;
                        }
                        attempt = 0;
                    }
                    Wake::Connect | Wake::Stay => {}
                }
            }
            if attempt == 0 {
                self.emit(Event::Status(Status::Connecting));
            }
            let end = match self.connect().await {
                Ok(Some(connected)) => {
                    attempt = 0;
                    self.session(connected).await
                }
                Ok(None) => End::Halt(Status::Disconnected),
                Err(None) => End::Gone,
                Err(Some(p)) => End::on(p),
            };
            if self.dirty {
                self.save();
            }
            match end {
                End::Retry(p) => problem = Some(p),
                End::Now => attempt = 0,
                End::Halt(status) => {
                    if !self.halt(status).await {
                        return;
                    }
                    attempt = 0;
                }
                End::Gone => return,
            }
        }
    }

    /// Stays offline with `status` until a command asks to connect. False: handles gone.
    async fn halt(&mut self, status: Status) -> bool {
        self.emit(Event::Status(status));
        loop {
            let cmd = self.commands.recv().await;
            match self.offline_command(cmd) {
                Wake::Gone => return false,
                Wake::Connect => return true,
                Wake::Stay | Wake::Disconnect => {}
            }
        }
    }

    /// Applies a command that needs no connection; tells what the loop should do.
    fn offline_command(&mut self, cmd: Option<Command>) -> Wake {
        match cmd {
            None => Wake::Gone,
            Some(Command::Send(text)) => {
                self.queue(text);
                Wake::Stay
            }
            Some(Command::Retry(id)) => {
                self.retry(id);
                Wake::Stay
            }
            Some(Command::SetName(name)) => {
                self.config.name = name;
                Wake::Stay
            }
            // Pages are asked for again once connected (the view knows what it lacks).
            Some(Command::LoadHistory { .. }) => Wake::Stay,
            Some(Command::Disconnect) => Wake::Disconnect,
            Some(Command::ReconnectNow) | Some(Command::NetworkChanged) => Wake::Connect,
        }
    }

    fn queue(&mut self, text: String) {
        let state = &mut self.config.state;
        let out = Outgoing {
            id: ClientMsgId {
                install: state.install,
                counter: state.next_counter,
            },
            text,
        };
        state.next_counter += 1;
        self.emit(Event::Queued(out.clone()));
        if let Err(reason) = validate_text(&out.text) {
            self.emit(Event::Rejected { id: out.id, reason });
            self.rejected.push(out);
        } else {
            self.config.state.outbox.push(out);
        }
        self.save();
    }

    fn retry(&mut self, id: ClientMsgId) {
        if let Some(at) = self.rejected.iter().position(|o| o.id == id) {
            let out = self.rejected.remove(at);
            self.emit(Event::Queued(out.clone()));
            if let Err(reason) = validate_text(&out.text) {
                self.emit(Event::Rejected { id, reason });
                self.rejected.push(out);
                return;
            }
            self.config.state.outbox.push(out);
            self.save();
        }
    }

    /// Removes an outbox entry; returns it when it was there.
    fn take_from_outbox(&mut self, id: ClientMsgId) -> Option<Outgoing> {
        let at = self.config.state.outbox.iter().position(|o| o.id == id)?;
        if at < self.sent {
            self.sent -= 1;
        }
        Some(self.config.state.outbox.remove(at))
    }

    fn endpoint_for(&mut self, addr: SocketAddr) -> Result<quinn::Endpoint, Problem> {
        if let Some(ep) = &self.endpoint {
            let same_family = ep
                .local_addr()
                .map(|l| l.is_ipv4() == addr.is_ipv4())
                .unwrap_or(false);
            if same_family {
                return Ok(ep.clone());
            }
        }
        let ep = socket::client_endpoint(addr).map_err(|e| Problem::Local(e.to_string()))?;
        self.endpoint = Some(ep.clone());
        Ok(ep)
    }

    /// One connection attempt, while still obeying commands. `Ok(None)`: the user
    /// disconnected; `Err(None)`: every handle was dropped.
    async fn connect(&mut self) -> Result<Option<Connected>, Option<Problem>> {
        let invite = self.config.invite.clone();
        let hello = Hello {
            version: PROTOCOL_VERSION,
            name: self.config.name.clone(),
            install: self.config.state.install,
            room_key: invite.room_key.clone(),
            resume_after: self.config.state.last_seq,
        };
        let addr = tokio::time::timeout(self.config.connect_timeout, net::resolve(&invite))
            .await
            .map_err(|_| Some(Problem::Unreachable))?
            .map_err(Some)?;
        let endpoint = self.endpoint_for(addr).map_err(Some)?;
        let dialer = Dialer::to_addr(endpoint, &invite, addr).map_err(Some)?;
        let attempt = tokio::time::timeout(self.config.connect_timeout, async move {
            dialer
                .open(hello)
                .await
                .map(|(conn, welcome)| Connected { conn, welcome })
        });
        tokio::pin!(attempt);
        loop {
            tokio::select! {
                result = &mut attempt => {
                    return match result {
                        Ok(Ok(c)) => Ok(Some(c)),
                        Ok(Err(p)) => Err(Some(p)),
                        Err(_) => Err(Some(Problem::Unreachable)),
                    };
                }
                cmd = self.commands.recv() => match self.offline_command(cmd) {
                    Wake::Gone => return Err(None),
                    Wake::Disconnect => return Ok(None),
                    Wake::Stay | Wake::Connect => {}
                },
            }
        }
    }

    async fn session(&mut self, c: Connected) -> End {
        let Connected { conn, welcome } = c;
        let (conn, recv, mut send) = conn.into_parts();
        let (frames_tx, mut frames) = mpsc::channel(256);
        let reader = tokio::spawn(read_loop(recv, frames_tx));
        let mut pacer = pacer(welcome.rate);
        self.sent = 0;
        if self
            .config
            .state
            .last_seq
            .is_some_and(|last| welcome.last_seq < last)
        {
            // The relay's log is behind what we saw: it is a new log (its data was
            // reset). Take its events as they come rather than skip them as seen.
            tracing::warn!("the relay's log restarted; accepting its history anew");
            self.config.state.last_seq = None;
        }
        self.roster = Roster::welcome(&welcome);
        self.emit(Event::Welcome {
            name: welcome.name.clone(),
            last_seq: welcome.last_seq,
            gap: welcome.gap,
        });
        self.emit(self.roster.event());
        self.emit(Event::Status(Status::Connected));
        for event in welcome.backlog {
            self.room_event(event);
        }
        let mut save_tick = tokio::time::interval(Duration::from_secs(1));
        let end = loop {
            if let Err(p) = self.flush(&mut send, &mut pacer).await {
                break End::Retry(p);
            }
            let pacing = self.sent < self.config.state.outbox.len();
            let next_token = tokio::time::Instant::from_std(pacer.next_token());
            tokio::select! {
                frame = frames.recv() => match frame {
                    Some(Ok(frame)) => {
                        if let Some(end) = self.server_frame(frame) {
                            break end;
                        }
                    }
                    Some(Err(e)) => break End::on(Problem::of_lost(&conn, &e)),
                    None => break End::Retry(Problem::ConnectionLost("reader stopped".into())),
                },
                cmd = self.commands.recv() => match cmd {
                    None => break End::Gone,
                    Some(Command::Disconnect) => {
                        if send.write(&ClientFrame::Leave).await.is_ok() {
                            send.finish();
                            // Closing at once could drop the Leave (the room would log
                            // a lost connection): the relay closes once it has it.
                            let _ = tokio::time::timeout(LEAVE_WAIT, conn.closed()).await;
                        }
                        break End::Halt(Status::Disconnected);
                    }
                    Some(Command::ReconnectNow) => break End::Now,
                    Some(Command::NetworkChanged) => {
                        if let Err(p) = self.rebind() {
                            tracing::warn!("rebind failed: {p}");
                            break End::Retry(p);
                        }
                    }
                    Some(Command::Send(text)) => self.queue(text),
                    Some(Command::Retry(id)) => self.retry(id),
                    Some(Command::SetName(name)) => self.config.name = name,
                    Some(Command::LoadHistory { before }) => {
                        let request = ClientFrame::History { before, limit: HISTORY_PAGE };
                        if let Err(e) = send.write(&request).await {
                            break End::Retry(Problem::of_write(&e));
                        }
                    }
                },
                _ = tokio::time::sleep_until(next_token), if pacing => {}
                _ = save_tick.tick() => {
                    if self.dirty {
                        self.save();
                    }
                }
            }
        };
        reader.abort();
        conn.close(ByeReason::Left.close_code().into(), b"bye");
        end
    }

    /// Writes outbox entries not yet sent on this connection, as the pacer allows.
    async fn flush(
        &mut self,
        send: &mut FrameWriter,
        pacer: &mut TokenBucket,
    ) -> Result<(), Problem> {
        while self.sent < self.config.state.outbox.len() && pacer.take() {
            let out = &self.config.state.outbox[self.sent];
            let frame = codec::encode(&ClientFrame::Send {
                id: out.id,
                text: out.text.clone(),
            })
            .map_err(|e| Problem::Protocol(e.to_string()))?;
            send.write_encoded(&frame)
                .await
                .map_err(|e| Problem::of_write(&e))?;
            self.sent += 1;
        }
        Ok(())
    }

    fn rebind(&mut self) -> Result<(), Problem> {
        let Some(endpoint) = &self.endpoint else {
            return Ok(());
        };
        let local = endpoint
            .local_addr()
            .map_err(|e| Problem::Local(e.to_string()))?;
        let socket = std::net::UdpSocket::bind(socket::unspecified(local))
            .map_err(|e| Problem::Local(e.to_string()))?;
        endpoint
            .rebind(socket)
            .map_err(|e| Problem::Local(e.to_string()))
    }

    /// Handles one frame; `Some` ends the session.
    fn server_frame(&mut self, frame: ServerFrame) -> Option<End> {
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
            ServerFrame::Ack { id, seq } => {
                if self.take_from_outbox(id).is_some() {
                    self.emit(Event::Acked { id, seq });
                    // Saved by the next tick: a copy of the whole state per ack would
                    // cost O(n²) draining an outbox, and a resend is acked, not re-sent.
                    self.dirty = true;
                }
            }
            ServerFrame::Rejected { id, reason } => {
                if let Some(out) = self.take_from_outbox(id) {
                    self.rejected.push(out);
                    self.emit(Event::Rejected { id, reason });
                    self.dirty = true;
                }
            }
            ServerFrame::Refused(reason) => return Some(End::on(Problem::Refused(reason))),
            ServerFrame::Bye(ByeReason::Left) => return Some(End::Halt(Status::Disconnected)),
            ServerFrame::Bye(reason) => return Some(End::on(Problem::Bye(reason))),
            ServerFrame::Welcome(_) => {
                return Some(End::Retry(Problem::Protocol("a second welcome".into())))
            }
            ServerFrame::History(page) => self.emit(Event::History {
                before: page.before,
                events: page.events,
                more: page.more,
            }),
        }
        None
    }

    fn room_event(&mut self, event: RoomEvent) {
        if self
            .config
            .state
            .last_seq
            .is_some_and(|last| event.seq <= last)
        {
            return; // Already seen (resume overlap).
        }
        self.config.state.last_seq = Some(event.seq);
        self.dirty = true;
        if self.roster.change(&event) {
            self.emit(self.roster.event());
        }
        let own = match &event.kind {
            EventKind::Message { id, .. } if id.install == self.config.state.install => Some(*id),
            _ => None,
        };
        let seq = event.seq;
        self.emit(Event::Room(event));
        // Our own message came back: it is stored even if the ack is still on its way
        // (or was lost with an earlier connection).
        if let Some(id) = own {
            if self.take_from_outbox(id).is_some() {
                self.emit(Event::Acked { id, seq });
                self.dirty = true;
            }
        }
    }
}

async fn read_loop(mut recv: FrameReader, frames: mpsc::Sender<Result<ServerFrame, CodecError>>) {
    loop {
        let frame = recv.next::<ServerFrame>().await;
        let done = frame.is_err();
        if frames.send(frame).await.is_err() || done {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::protocol::{LeaveReason, RateLimit};

    fn welcome(members: &[&str], online: u32, as_of: Seq) -> Welcome {
        Welcome {
            name: "Anna".into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            online,
            members_as_of: as_of,
            backlog: Vec::new(),
            last_seq: as_of,
            gap: false,
            rate: RateLimit::default(),
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
        match roster.event() {
            Event::Members { online, names } => (online, names),
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
