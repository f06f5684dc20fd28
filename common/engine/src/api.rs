//! The engine's vocabulary: what the app configures ([`EngineConfig`]), asks
//! ([`Command`]) and hears ([`Event`], [`Status`] of the connection, [`RoomStatus`] of
//! each room). What it persists is in `state`. Data only; the behaviour behind it is in
//! the other modules.

use std::time::Duration;

use common::{
    invite::Invite,
    protocol::{
        ClientMsgId, JoinRefusal, Moderation, ModerationRefusal, RejectReason, RoomEvent,
        RoomLeftReason, Seq,
    },
};

use crate::{EngineState, Outgoing, Problem};

/// How the engine starts.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The relay: its address and how to trust it. Its room (with its key) is joined at
    /// start when the state has no rooms; when the state has that room without a key,
    /// the invite's key is used.
    pub invite: Invite,
    /// The display name to connect with.
    pub name: String,
    /// Persisted state (or [`EngineState::new`]).
    pub state: EngineState,
    /// First reconnect delay; doubles up to `backoff_max`. Also the first delay before
    /// joining again a room that was full.
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// How long one connection attempt (lookup, handshake, hello, ready) may take.
    pub connect_timeout: Duration,
    /// The relay's owner key (the app hosting the relay knows it): every join gives it,
    /// making this client an owner of the rooms it joins ([`Event::Welcome`]'s `owner`;
    /// [`Command::Moderate`]). A wrong key is refused per room
    /// (`JoinRefusal::OwnerKeyWrong`).
    pub owner_key: Option<String>,
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
            owner_key: None,
        }
    }
}

/// What a UI (or test) asks the engine to do. Every command is accepted in every
/// connection state; what it does offline is said per variant. Rooms are named as in
/// their invites (`common::rules::validate_room_name` applies: `Classe-3B` is
/// `classe-3b`); events name them the normalised way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Join a room (or keep it, with this key). It enters the state at once
    /// ([`Event::Saved`]) and is joined now if connected, else on connecting. A room
    /// refused before is tried again. A name that breaks the rule for room names is
    /// [`RoomStatus::Refused`] at once and not kept.
    JoinRoom {
        /// The room's name.
        room: String,
        /// Its key, if it has one.
        key: Option<String>,
    },
    /// Leave a room: what was sent to it before is still acknowledged, then
    /// [`RoomStatus::Left`]. The room leaves the state at once, its outbox with it.
    LeaveRoom {
        /// The room's name.
        room: String,
    },
    /// Send a text to a room. It is cleaned (`common::rules::clean_text`) and gets an
    /// id: [`Event::Queued`] tells it. A text the rules refuse (or to a room this client
    /// is not in, or an archived one) is then [`Event::Rejected`] at once, without going
    /// out. Offline, it waits in the room's outbox.
    Send {
        /// The room's name.
        room: String,
        /// The text.
        text: String,
    },
    /// Queue a rejected message again, with the same id.
    Retry {
        /// The room's name.
        room: String,
        /// The message.
        id: ClientMsgId,
    },
    /// Ask the relay for older events of a room, before this seq; answered by
    /// [`Event::History`] (once the room is joined, if asked before). One request per
    /// room is in flight at a time; a newer request waits for it.
    LoadHistory {
        /// The room's name.
        room: String,
        /// Events before this seq.
        before: Seq,
    },
    /// An owner's action in a room ([`Moderation`]): sent at once if the room is joined,
    /// else refused at once ([`Event::ModerationRefused`] with `NotInRoom`). Done, the
    /// relay logs it: it comes back as an [`Event::Room`] like every event; refused,
    /// [`Event::ModerationRefused`] says why.
    Moderate {
        /// The room's name.
        room: String,
        /// What to do.
        action: Moderation,
    },
    /// Give this owner key (or none) in every join from now on (reconnect to apply it
    /// to rooms joined already), like [`EngineConfig::owner_key`].
    SetOwnerKey(Option<String>),
    /// Use this name from the next connection on (reconnect to apply it now). Rooms
    /// that refused the old name as taken are joined again then.
    SetName(String),
    /// The device's network changed. Connected: move the connection to a new UDP
    /// socket (same session). Connecting: start the attempt again. Waiting to
    /// reconnect: try now. Stopped ([`Status::Failed`], [`Status::Disconnected`]):
    /// nothing.
    NetworkChanged,
    /// Leave every room for now (the relay logs "left" in each) and stay offline until
    /// [`Command::ReconnectNow`]. The rooms stay in the state.
    Disconnect,
    /// Connect now, skipping any backoff wait, failure or disconnect; connected, start
    /// a new session.
    ReconnectNow,
}

/// The connection's state, for a status banner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Connecting (first attempt, or after [`Command::ReconnectNow`]).
    Connecting,
    /// Connected to the relay; rooms are being joined (see [`RoomStatus`]).
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

/// One room's state, reported by [`Event::RoomStatus`] when it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomStatus {
    /// To be joined: waiting for the connection, or its join went out.
    Joining,
    /// In the room.
    Joined,
    /// The room did not let this client in. Reported once per refusal. `RoomFull` and
    /// `TooManyRoomsOnRelay` are tried again later by themselves (the room then goes
    /// back to [`RoomStatus::Joining`]); any other refusal is kept in the state
    /// ([`crate::RoomState::refused`]) and the room is not joined again until
    /// [`Command::JoinRoom`] (a taken name: also after [`Command::SetName`]).
    Refused(JoinRefusal),
    /// Not in the room any more, and the room left the state: this client left
    /// ([`RoomLeftReason::Left`]), the operator deleted the room, or an owner removed
    /// this client from it ([`RoomLeftReason::Removed`], with the owner's reason; a join
    /// again is refused, `JoinRefusal::Removed`).
    Left(RoomLeftReason),
    /// In the room, which is archived: it can be read, not written to.
    Archived,
}

/// What the engine reports. Every event about a room names it (as in the state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The connection state changed.
    Status(Status),
    /// A room's state changed.
    RoomStatus {
        /// The room.
        room: String,
        /// Its state now.
        status: RoomStatus,
    },
    /// Joined a room: the name the relay registered and the log position at joining.
    /// Backlog events follow as [`Event::Room`].
    Welcome {
        /// The room.
        room: String,
        /// Registered display name.
        name: String,
        /// Last seq published in the room when joining.
        last_seq: Seq,
        /// Events after the last one seen may have been missed: the relay no longer had
        /// them, or the engine had to join without resuming (a resume it could not
        /// read). [`Command::LoadHistory`] before the first new event fills it in.
        gap: bool,
        /// The room is archived (read-only).
        archived: bool,
        /// This client joined as an owner of the room (it gave the relay's owner key).
        owner: bool,
    },
    /// Who is online in a room now.
    Members {
        /// The room.
        room: String,
        /// How many members are online, this client included.
        online: u32,
        /// Their names in name order (by `common::rules::name_key`, as the relay
        /// compares names); `None` in a room too large for the relay to list them
        /// (then only the count is known).
        names: Option<Vec<String>>,
    },
    /// An event of a room's log: each seq at most once, in increasing order (not
    /// necessarily consecutive).
    Room {
        /// The room.
        room: String,
        /// The event.
        event: RoomEvent,
    },
    /// A text entered a room's outbox with this id (also for [`Command::Retry`]).
    Queued {
        /// The room.
        room: String,
        /// The message.
        out: Outgoing,
    },
    /// The relay stored a message of ours (its ack arrived, or the message itself came
    /// back in the log). Once per message.
    Acked {
        /// The room.
        room: String,
        /// The message.
        id: ClientMsgId,
        /// Its place in the room's log.
        seq: Seq,
    },
    /// The relay (or the engine, for the rules it knows) rejected a message of ours. It
    /// left the outbox; [`Command::Retry`] queues it again.
    Rejected {
        /// The room.
        room: String,
        /// The message.
        id: ClientMsgId,
        /// Why.
        reason: RejectReason,
    },
    /// Older events of a room, answering [`Command::LoadHistory`]: oldest first, each
    /// below `before`. Not de-duplicated against [`Event::Room`]: the app asked for
    /// them.
    History {
        /// The room.
        room: String,
        /// The request's `before`.
        before: Seq,
        /// The events.
        events: Vec<RoomEvent>,
        /// Older events exist than the first one here.
        more: bool,
    },
    /// An owner's action ([`Command::Moderate`]) was not carried out.
    ModerationRefused {
        /// The room.
        room: String,
        /// What was asked.
        action: Moderation,
        /// Why not.
        reason: ModerationRefusal,
    },
    /// The state to persist changed (rooms, outboxes, counter or last seqs).
    Saved(EngineState),
}
