//! The engine's vocabulary: what the app configures ([`EngineConfig`]), persists
//! ([`EngineState`]), asks ([`Command`]) and hears ([`Event`], [`Status`]). Data only;
//! the behaviour behind it is in the other modules.

use std::time::Duration;

use common::{
    invite::Invite,
    protocol::{ClientMsgId, InstallId, RejectReason, RoomEvent, Seq},
};
use serde::{Deserialize, Serialize};

use crate::Problem;

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
    /// Its text (as cleaned by `common::rules::clean_text`).
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
    /// How long one connection attempt (lookup, handshake, hello, welcome) may take.
    pub connect_timeout: Duration,
}

impl EngineConfig {
    /// A configuration with the default timings (0.5 s doubling to 30 s; 10 s per
    /// attempt).
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

/// What a UI (or test) asks the engine to do. Every command is accepted in every
/// connection state; what it does offline is said per variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Send a text. It is cleaned (`common::rules::clean_text`) and gets an id:
    /// [`Event::Queued`] tells it. A text the rules refuse is then
    /// [`Event::Rejected`] at once, without going out. Offline, it waits in the
    /// outbox.
    Send(String),
    /// Queue a rejected message again, with the same id.
    Retry(ClientMsgId),
    /// Use this name from the next connection on (reconnect to apply it now).
    SetName(String),
    /// The device's network changed. Connected: move the connection to a new UDP
    /// socket (same session). Connecting: start the attempt again. Waiting to
    /// reconnect: try now. Stopped ([`Status::Failed`], [`Status::Disconnected`]):
    /// nothing.
    NetworkChanged,
    /// Leave the room (the relay logs "left") and stay offline until
    /// [`Command::ReconnectNow`].
    Disconnect,
    /// Connect now, skipping any backoff wait, failure or disconnect; connected, start
    /// a new session.
    ReconnectNow,
    /// Ask the relay for older events, before this seq; answered by [`Event::History`]
    /// (once connected, if asked offline). One request is in flight at a time; a newer
    /// request waits for it.
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
    /// Lost the connection (or an attempt failed); the next attempt starts in
    /// `retry_in`. Nobody's presence is known meanwhile.
    Reconnecting {
        /// Which attempt comes next (1 = first retry).
        attempt: u32,
        /// Delay before it.
        retry_in: Duration,
        /// Why the connection was lost or the last attempt failed.
        problem: Problem,
    },
    /// Stopped on a problem that retrying cannot heal; waits for
    /// [`Command::ReconnectNow`].
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
    /// Backlog events follow as [`Event::Room`].
    Welcome {
        /// Registered display name.
        name: String,
        /// Last seq published when joining.
        last_seq: Seq,
        /// Events after the last one seen may have been missed: the relay no longer had
        /// them, or the engine had to join without resuming (a resume it could not
        /// read). [`Command::LoadHistory`] before the first new event fills it in.
        gap: bool,
    },
    /// Who is online now.
    Members {
        /// How many members are online, this client included.
        online: u32,
        /// Their names in name order (by `common::rules::name_key`, as the relay
        /// compares names); `None` in a room too large for the relay to list them
        /// (then only the count is known).
        names: Option<Vec<String>>,
    },
    /// An event of the room's log: each seq at most once, in increasing order (not
    /// necessarily consecutive).
    Room(RoomEvent),
    /// A text entered the outbox with this id (also for [`Command::Retry`]).
    Queued(Outgoing),
    /// The relay stored a message of ours (its ack arrived, or the message itself came
    /// back in the log). Once per message.
    Acked {
        /// The message.
        id: ClientMsgId,
        /// Its place in the log.
        seq: Seq,
    },
    /// The relay (or the engine, for the rules it knows) rejected a message of ours. It
    /// left the outbox; [`Command::Retry`] queues it again.
    Rejected {
        /// The message.
        id: ClientMsgId,
        /// Why.
        reason: RejectReason,
    },
    /// Older events, answering [`Command::LoadHistory`]: oldest first, each below
    /// `before`. Not de-duplicated against [`Event::Room`]: the app asked for them.
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
