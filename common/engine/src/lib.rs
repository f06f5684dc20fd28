//! The chat engine: everything a Piazza client does, without any UI.
//!
//! [`start`] spawns the engine on the current tokio runtime and returns an [`Engine`]
//! handle for [`Command`]s and a receiver of [`Event`]s. The app, the tests and the
//! benchmark all drive this same code.
//!
//! # Layout
//! - `api`: the types the app sees — config, persisted state,
//!   commands, status, events.
//! - `machine`: the state machine without I/O. Commands, frames, connection outcomes and
//!   the clock go in; events, frames and connection orders come out. Every command is
//!   handled there once, whatever the connection state. It composes the pure parts:
//!   - `outbox`: message ids, what went out on this connection, acks, rejects, retries,
//!     pacing under the relay's rate limit;
//!   - `cursor`: the last seq seen, resume points, de-duplication, a reset relay log,
//!     recovery from a resume that could not be decoded;
//!   - `roster`: who is online;
//!   - `history`: older pages, one request in flight;
//!   - `liveness`: whether the relay still answers;
//!   - `liveness`: whether the relay still answers;
//!   - `backoff`: reconnect delays;
//!   - `save`: when to emit [`Event::Saved`];
//!   - `verdict`: a failure, classified by type, to retry / recover / stop.
//! - `runner`: the async select loop around the machine: the QUIC endpoint, the one
//!   handshake (`net::Dialer::open`), the session's reader and writer.
//!
//! # What the app can rely on
//! - **Room events**: [`Event::Room`] carries each seq at most once and in increasing
//!   order. Seqs need not be consecutive; never assume they are.
//! - **Outbox**: [`Command::Send`] cleans the text (`common::rules::clean_text`), gives
//!   it a [`ClientMsgId`](common::protocol::ClientMsgId) ([`Event::Queued`]) and checks
//!   it (`validate_text`); a text that fails is [`Event::Rejected`] at once, locally.
//!   Otherwise it stays in the outbox until the relay stores it, across reconnects and
//!   restarts of the engine ([`EngineState`]); the relay recognises resends, so each
//!   message lands exactly once. [`Event::Acked`] comes once per message: from the
//!   relay's ack, or when the message itself comes back in the log (the app need not
//!   check its own echoes).
//! - **Saving**: [`Event::Saved`] comes at once when a text entered the outbox (persist
//!   it before anything else), otherwise at most about once a second while something
//!   changed — never once per ack or event.
//! - **Reconnecting**: exponential backoff with jitter (capped), resuming after the last
//!   seq seen, so nothing is missed or repeated. A relay that goes silent is noticed
//!   within about 4 s (no datagram while QUIC keep-alives go out every 2 s) as
//!   [`Problem::Unreachable`]. A problem retrying cannot heal (wrong pin or room key,
//!   refused name, this install connected elsewhere: [`Status::Failed`]) stops until
//!   [`Command::ReconnectNow`]; a replaced session never reconnects by itself.
//! - **Resume recovery**: a resumed session that fails on a frame this client cannot
//!   decode is followed by one join without resuming (the recent backlog); events seen
//!   before are still skipped and [`Event::Welcome`] says `gap: true` when some were
//!   missed. A second such failure in a row is [`Status::Failed`].
//! - **Leaving**: [`Command::Disconnect`] sends Leave, waits (at most 1 s) for the relay
//!   to close, then reports [`Status::Disconnected`].
//! - **Network change**: [`Command::NetworkChanged`] rebinds the UDP socket; QUIC
//!   migration keeps the same connection and session.
//! - **History**: [`Command::LoadHistory`] pages back; one request in flight, a request
//!   made offline goes out after connecting, a page the relay defers is asked again.

mod api;
mod backoff;
mod cursor;
mod history;
mod liveness;
mod machine;
mod outbox;
mod roster;
mod runner;
mod save;
mod verdict;

pub use api::{Command, EngineConfig, EngineState, Event, Outgoing, Status};
pub use net::Problem;
use tokio::sync::mpsc;

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
    tokio::spawn(runner::Runner::new(config, cmd_rx, ev_tx).run());
    (Engine { commands: cmd_tx }, ev_rx)
}
