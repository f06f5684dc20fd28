//! The chat engine: everything a Piazza client does, without any UI, in many rooms over
//! one connection.
//!
//! [`start`] spawns the engine on the current tokio runtime and returns an [`Engine`]
//! handle for [`Command`]s and a receiver of [`Event`]s. The app, the tests and the
//! benchmark all drive this same code.
//!
//! # Layout
//! - `api`: the types the app sees — config, commands, connection and room statuses,
//!   events; `state`: what it persists ([`EngineState`], [`RoomState`]) and loading a
//!   state of the one-room engine.
//! - `machine`: the state machine without I/O. Commands, frames, connection outcomes and
//!   the clock go in; events, frames and connection orders come out. It owns the
//!   connection's phase and handles every command once, whatever the phase. It composes
//!   the pure parts:
//!   - `rooms`: the rooms table — rooms by name and id, the one message counter, joins
//!     and leaves to send, routing of the relay's frames, which rooms a frame that could
//!     not be decoded may belong to; `rooms::commands`: the app's room commands;
//!     `rooms::moderation`: the owner key joins give, owners' actions and refusals;
//!   - `room`: one room — its place on the connection (joining, joined, refused,
//!     leaving) and the status reported; `room::traffic`: what goes through it (texts,
//!     acks, its log, members, history). Its parts:
//!     - `outbox`: what is waiting for an ack, acks, rejects, retries;
//!     - `cursor`: the last seq seen, resume points, de-duplication, a reset relay log,
//!       whether the backlog is still coming, recovery from an undecodable resume;
//!     - `roster`: who is online;
//!     - `history`: older pages, one request in flight;
//!   - `pacing`: every outbox paced together under the relay's rate, round-robin by room;
//!   - `liveness`: whether the relay still answers;
//!   - `backoff`: reconnect delays (and delays before joining a full room again);
//!   - `effects` and `save`: the events produced and when to emit [`Event::Saved`];
//!   - `verdict`: a failure, classified by type, to retry / recover / stop.
//! - `runner`: the async select loop around the machine: the QUIC endpoint, the
//!   session's reader and writer.
//! - [`nearby`]: rooms nearby, apart from the engine: [`nearby::NearbyBrowser`] browses
//!   the LAN (DNS-SD over mDNS) and keeps a watch of the sorted list; `nearby::list`,
//!   the list without I/O (records read, merged by instance, removed, sorted), each
//!   [`nearby::NearbyRoom`] turning into an invite.
//! - `dial`: one connection attempt over every address of the relay (the one
//!   handshake, `net::Dialer::open`: hello, ready, with each place in turn).
//!
//! # What the app can rely on
//! Everything about messages holds per room; rooms never mix.
//! - **Room events**: in each room, [`Event::Room`] carries each seq at most once and in
//!   increasing order. Seqs need not be consecutive; never assume they are.
//! - **Outbox**: [`Command::Send`] cleans the text (`common::rules::clean_text`), gives
//!   it a [`ClientMsgId`](common::protocol::ClientMsgId) ([`Event::Queued`]) and checks
//!   it (`validate_text`); a text that fails (or is for a room this client is not in,
//!   or an archived room) is [`Event::Rejected`] at once, locally. Otherwise it stays
//!   in its room's outbox until the relay stores it, across reconnects and restarts of
//!   the engine ([`EngineState`]); the relay recognises resends, so each message lands
//!   exactly once, in its room, in the order sent. [`Event::Acked`] comes once per
//!   message: from the relay's ack, or when the message itself comes back in the log.
//! - **Pacing**: the relay's rate limit is per client over all rooms: the outboxes go
//!   out together just under it, taking turns room by room.
//! - **Saving**: [`Event::Saved`] comes at once when a text entered an outbox or the set
//!   of rooms changed (persist it before anything else), otherwise at most about once a
//!   second while something changed — never once per ack or event.
//! - **Rooms**: [`Command::JoinRoom`] adds a room; [`Command::LeaveRoom`] leaves it
//!   (what was sent before is still acked), removes it and its outbox from the state
//!   and reports [`RoomStatus::Left`]. Every room of the state is joined again after
//!   every reconnect, resuming after its last seq. A room that refuses for good (no
//!   such room, key missing or wrong, name taken there, bad name, too many rooms) is
//!   reported once ([`RoomStatus::Refused`]), stays in the state marked
//!   ([`RoomState::refused`], its outbox kept) and is not joined again until
//!   [`Command::JoinRoom`] (a taken name: also [`Command::SetName`]). A full room
//!   (`RoomFull`, `TooManyRoomsOnRelay`) is tried again by itself after a delay. A room
//!   the operator deletes is [`RoomStatus::Left`] and leaves the state; one archived is
//!   [`RoomStatus::Archived`] (readable, texts to it are rejected).
//! - **Reconnecting**: exponential backoff with jitter (capped). A relay that goes
//!   silent is noticed within about 4 s (no datagram while QUIC keep-alives go out
//!   every 2 s) as [`Problem::Unreachable`]. A problem retrying cannot heal (wrong pin,
//!   a refused hello, this install connected elsewhere: [`Status::Failed`]) stops until
//!   [`Command::ReconnectNow`]; a replaced session never reconnects by itself. An
//!   invite with several addresses (a cluster's relays) is tried address by address
//!   within one attempt, the one that answered last first.
//! - **Resume recovery**: a connection that fails on a frame this client cannot decode
//!   while rooms resume is followed by joining those rooms without resuming (their
//!   recent backlog); events seen before are still skipped and [`Event::Welcome`] says
//!   `gap: true` when some were missed. The rooms blamed are those whose resumed backlog
//!   was still coming (or, if none was, every room that resumed): a frame that cannot be
//!   decoded does not say its room. When no resumed room can be blamed (a second such
//!   failure in a row), it is [`Status::Failed`].
//! - **Quitting**: [`Command::Disconnect`] sends Quit (the relay acks what came before
//!   and logs "left" in every room), waits at most 1 s for it to close, then reports
//!   [`Status::Disconnected`]. The rooms stay in the state.
//! - **Network change**: [`Command::NetworkChanged`] rebinds the UDP socket; QUIC
//!   migration keeps the same connection and session.
//! - **Owners**: with the relay's owner key ([`EngineConfig::owner_key`],
//!   [`Command::SetOwnerKey`]) every join asks to be an owner ([`Event::Welcome`] says
//!   `owner`). [`Command::Moderate`] goes to a joined room at once (else it is
//!   [`Event::ModerationRefused`] at once); what the relay does comes back as room
//!   events (`MessageRemoved`, `MemberRemoved`, `Muted`, `Unmuted`; a removed message
//!   as `Redacted` from then on), what it refuses as [`Event::ModerationRefused`]. A
//!   muted client's messages are [`Event::Rejected`] with `Muted { until_ms }`; a
//!   removed one's room is [`RoomStatus::Left`] with `Removed { by, reason }` and leaves
//!   the state (joining it again is refused: `JoinRefusal::Removed`).
//! - **History**: [`Command::LoadHistory`] pages back in a room; one request in flight
//!   per room, a request made before the room is joined goes out once it is, a page the
//!   relay defers is asked again.

mod api;
mod backoff;
mod cursor;
mod dial;
mod effects;
mod history;
mod liveness;
mod machine;
pub mod nearby;
mod outbox;
mod pacing;
mod room;
mod rooms;
mod roster;
mod runner;
mod save;
mod state;
mod verdict;

pub use api::{Command, EngineConfig, Event, RoomStatus, Status};
pub use net::Problem;
pub use state::{EngineState, Outgoing, RoomState};
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
