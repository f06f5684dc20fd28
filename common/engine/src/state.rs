//! What the app persists between runs ([`EngineState`]): the install, the message counter
//! and, per room, its key, its place in the log, its outbox and a refusal that keeps it
//! from being joined ([`RoomState`]). Also loads a state saved by the one-room engine
//! (`{install, next_counter, last_seq, outbox}`) as a state in the default room.

use std::collections::BTreeMap;

use common::protocol::{ClientMsgId, InstallId, JoinRefusal, Seq, DEFAULT_ROOM};
use serde::{Deserialize, Serialize};

/// What the app keeps between runs so that nothing typed is lost or sent twice.
///
/// Serialised with serde (the app uses JSON). A state saved by the one-room engine
/// (`{install, next_counter, last_seq, outbox}`) loads as a state with one room, the
/// default room ([`DEFAULT_ROOM`]), keeping its `last_seq` and `outbox`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored")]
pub struct EngineState {
    /// This installation's id.
    pub install: InstallId,
    /// The counter the next message gets (one counter for every room: a message id is
    /// never reused, whatever the room).
    pub next_counter: u64,
    /// The rooms this client is in (or wants to be in), by name (as
    /// `common::rules::validate_room_name` returns it).
    pub rooms: BTreeMap<String, RoomState>,
}

/// One room of an [`EngineState`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    /// The room key, if the room has one.
    #[serde(default)]
    pub key: Option<String>,
    /// The last event of the room's log seen; a join resumes after it.
    #[serde(default)]
    pub last_seq: Option<Seq>,
    /// Messages to this room not yet acknowledged, in send order.
    #[serde(default)]
    pub outbox: Vec<Outgoing>,
    /// The room refused this client for good (no such room, wrong or missing key, name
    /// taken there, …): it is not joined again until
    /// [`Command::JoinRoom`](crate::Command::JoinRoom) (or, for a taken name,
    /// [`Command::SetName`](crate::Command::SetName)). Its outbox is kept meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<JoinRefusal>,
}

/// A message in an outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Its id.
    pub id: ClientMsgId,
    /// Its text (as cleaned by `common::rules::clean_text`).
    pub text: String,
}

impl EngineState {
    /// A fresh state with a new random install id and no room (the engine joins its
    /// invite's room).
    pub fn new() -> Self {
        Self {
            install: InstallId::random(),
            next_counter: 1,
            rooms: BTreeMap::new(),
        }
    }
}

impl Default for EngineState {
    fn default() -> Self {
        Self::new()
    }
}

/// Either shape a state was saved in: with `rooms` (this version) or with the one room's
/// `last_seq` and `outbox` at the top (the one-room engine).
#[derive(Deserialize)]
struct Stored {
    install: InstallId,
    next_counter: u64,
    #[serde(default)]
    rooms: Option<BTreeMap<String, RoomState>>,
    #[serde(default)]
    last_seq: Option<Seq>,
    #[serde(default)]
    outbox: Vec<Outgoing>,
}

impl From<Stored> for EngineState {
    fn from(stored: Stored) -> Self {
        let rooms = stored.rooms.unwrap_or_else(|| {
            let room = RoomState {
                key: None,
                last_seq: stored.last_seq,
                outbox: stored.outbox,
                refused: None,
            };
            BTreeMap::from([(DEFAULT_ROOM.to_owned(), room)])
        });
        Self {
            install: stored.install,
            next_counter: stored.next_counter,
            rooms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_of_the_one_room_engine_loads_in_the_default_room() {
        let ones = format!("[{}]", ["1"; 16].join(","));
        let old = format!(
            r#"{{"install":{ones},"next_counter":9,"last_seq":42,
                "outbox":[{{"id":{{"install":{ones},"counter":8}},"text":"ciao"}}]}}"#
        );
        let state: EngineState = serde_json::from_str(&old).unwrap();
        assert_eq!(state.install, InstallId([1; 16]));
        assert_eq!(state.next_counter, 9);
        let rooms: Vec<_> = state.rooms.keys().cloned().collect();
        assert_eq!(rooms, vec![DEFAULT_ROOM.to_owned()]);
        let room = &state.rooms[DEFAULT_ROOM];
        assert_eq!((room.key.as_deref(), room.last_seq), (None, Some(42)));
        assert_eq!(room.outbox.len(), 1);
        assert_eq!(room.outbox[0].id.counter, 8);
        assert_eq!(room.outbox[0].text, "ciao");
        assert_eq!(room.refused, None);

        // A one-room state that never connected: still the default room.
        let fresh = format!(r#"{{"install":{ones},"next_counter":1,"last_seq":null,"outbox":[]}}"#);
        let state: EngineState = serde_json::from_str(&fresh).unwrap();
        assert_eq!(state.rooms[DEFAULT_ROOM], RoomState::default());
    }

    #[test]
    fn a_state_with_rooms_goes_through_json_unchanged() {
        let mut state = EngineState::new();
        state.rooms.insert(
            "classe-3b".into(),
            RoomState {
                key: Some("segreto".into()),
                last_seq: Some(7),
                outbox: vec![Outgoing {
                    id: ClientMsgId {
                        install: state.install,
                        counter: 3,
                    },
                    text: "compiti".into(),
                }],
                refused: None,
            },
        );
        state.rooms.insert(
            "chiusa".into(),
            RoomState {
                refused: Some(JoinRefusal::RoomKeyWrong),
                ..RoomState::default()
            },
        );
        state
            .rooms
            .insert(DEFAULT_ROOM.into(), RoomState::default());
        let json = serde_json::to_string(&state).unwrap();
        assert!(
            json.contains(r#""piazza":{"key":null,"last_seq":null,"outbox":[]}"#),
            "no refusal written for a room without one: {json}"
        );
        let back: EngineState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        // A state without rooms stays without rooms.
        let empty = EngineState::new();
        let back: EngineState =
            serde_json::from_str(&serde_json::to_string(&empty).unwrap()).unwrap();
        assert_eq!(back, empty);
    }
}
