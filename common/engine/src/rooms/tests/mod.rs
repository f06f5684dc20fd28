//! The rooms table driven by hand: joining, refusals, leaving, rejoining after a
//! reconnect; what goes through the rooms is in `traffic`.

use std::time::{Duration, Instant};

use common::{
    invite::Invite,
    protocol::{
        ClientFrame, InstallId, JoinRefusal, RateLimit, Ready, RoomEvent, RoomId, RoomLeftReason,
        Seq, ServerFrame, DEFAULT_ROOM,
    },
};

use super::Rooms;
use crate::room::tests::{drain, fx, id, joined, welcome};
use crate::{effects::Effects, EngineState, Event, RoomState, RoomStatus};

mod traffic;

const FAST: RateLimit = RateLimit {
    per_second: 1000,
    burst: 1000,
};

fn invite(room: Option<&str>, key: Option<&str>) -> Invite {
    Invite {
        host: "127.0.0.1".into(),
        port: 4433,
        more: Vec::new(),
        fingerprint: None,
        room: room.map(Into::into),
        room_key: key.map(Into::into),
    }
}

fn state(rooms: &[(&str, Option<Seq>)]) -> EngineState {
    EngineState {
        install: InstallId([1; 16]),
        next_counter: 1,
        rooms: rooms
            .iter()
            .map(|(n, last_seq)| {
                let room = RoomState {
                    last_seq: *last_seq,
                    ..RoomState::default()
                };
                (n.to_string(), room)
            })
            .collect(),
    }
}

struct T {
    rooms: Rooms,
    fx: Effects,
    now: Instant,
}

impl T {
    fn new(state: EngineState, invite: Invite) -> Self {
        let mut fx = fx();
        let later = (Duration::from_millis(100), Duration::from_secs(1));
        let rooms = Rooms::new(&state, &invite, later, &mut fx);
        Self {
            rooms,
            fx,
            now: Instant::now(),
        }
    }

    fn ready(&mut self, rate: RateLimit) {
        self.rooms.ready(&Ready {
            name: "Anna".into(),
            rate,
            max_rooms: 10,
        });
    }

    fn frames(&mut self) -> Vec<ClientFrame> {
        let (now, fx) = (self.now, &mut self.fx);
        std::iter::from_fn(|| self.rooms.poll_frame(now, fx)).collect()
    }

    /// The rooms whose joins went out, and whether they resumed from where.
    fn joins(&mut self) -> Vec<(String, Option<Seq>)> {
        self.frames()
            .into_iter()
            .map(|f| match f {
                ClientFrame::Join(j) => (j.room, j.resume_after),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn frame(&mut self, frame: ServerFrame) {
        assert_eq!(self.rooms.frame(frame, self.now, &mut self.fx), None);
    }

    fn welcome(&mut self, room: &str, last_seq: Seq, backlog: Vec<RoomEvent>) {
        self.frame(ServerFrame::Welcome(welcome(room, last_seq, backlog)));
    }

    fn events(&mut self) -> Vec<Event> {
        drain(&mut self.fx)
    }

    fn reconnect(&mut self) {
        self.rooms.disconnected(&mut self.fx);
        self.ready(FAST);
    }
}

fn statuses(events: &[Event]) -> Vec<(String, RoomStatus)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::RoomStatus { room, status } => Some((room.clone(), status.clone())),
            _ => None,
        })
        .collect()
}

fn room_seqs(events: &[Event]) -> Vec<(String, Seq)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Room { room, event } => Some((room.clone(), event.seq)),
            _ => None,
        })
        .collect()
}

fn s(x: &str) -> String {
    x.to_owned()
}

#[test]
fn a_fresh_state_joins_the_invites_room_and_a_saved_one_its_own_rooms() {
    let mut t = T::new(EngineState::new(), invite(Some("classe-3b"), Some("k")));
    assert!(t.fx.saves.due(t.now), "the new room is saved at once");
    let saved = t.rooms.state();
    assert_eq!(saved.keys().collect::<Vec<_>>(), vec!["classe-3b"]);
    assert_eq!(saved["classe-3b"].key.as_deref(), Some("k"));

    // A migrated one-room state: the invite's key fills in the key it never stored.
    let t = T::new(state(&[(DEFAULT_ROOM, Some(4))]), invite(None, Some("k")));
    assert_eq!(t.rooms.state()[DEFAULT_ROOM].key.as_deref(), Some("k"));
    // Rooms in the state: the invite's room is not added.
    let t = T::new(state(&[("a", None), ("B", None)]), invite(Some("c"), None));
    assert_eq!(t.rooms.state().keys().collect::<Vec<_>>(), vec!["a", "b"]);
}

#[test]
fn every_room_is_joined_again_after_a_reconnect_resuming_where_it_was() {
    let mut t = T::new(
        state(&[("a", Some(5)), ("b", None), ("c", Some(9))]),
        invite(None, None),
    );
    assert!(t.frames().is_empty(), "offline");
    t.ready(FAST);
    assert_eq!(
        t.joins(),
        vec![(s("a"), Some(5)), (s("b"), None), (s("c"), Some(9))]
    );
    t.welcome("a", 7, vec![joined(6), joined(7)]);
    t.welcome("b", 3, vec![joined(3)]);
    t.welcome("c", 9, vec![]);
    t.reconnect();
    assert_eq!(
        t.joins(),
        vec![(s("a"), Some(7)), (s("b"), Some(3)), (s("c"), Some(9))]
    );
}

#[test]
fn a_room_refused_for_good_is_not_joined_again_until_asked() {
    let mut t = T::new(state(&[("a", None), ("b", None)]), invite(None, None));
    t.ready(FAST);
    t.joins();
    t.events();
    t.frame(ServerFrame::JoinRefused {
        room: s("b"),
        reason: JoinRefusal::RoomKeyWrong,
    });
    t.welcome("a", 0, vec![]);
    assert!(
        statuses(&t.events()).contains(&(s("b"), RoomStatus::Refused(JoinRefusal::RoomKeyWrong)))
    );
    assert_eq!(
        t.rooms.state()["b"].refused,
        Some(JoinRefusal::RoomKeyWrong)
    );
    t.reconnect();
    assert_eq!(t.joins(), vec![(s("a"), None)], "b stays out");
    assert!(
        !statuses(&t.events()).iter().any(|(r, _)| r == "b"),
        "reported once"
    );
    t.rooms.join("B", Some("giusta".into()), &mut t.fx);
    assert_eq!(t.joins(), vec![(s("b"), None)], "joined at once");
    assert_eq!(t.rooms.state()["b"].key.as_deref(), Some("giusta"));
    assert_eq!(t.rooms.state()["b"].refused, None);
}

#[test]
fn a_taken_name_is_tried_again_with_the_next_name() {
    let mut t = T::new(state(&[("a", None)]), invite(None, None));
    t.ready(FAST);
    t.joins();
    t.frame(ServerFrame::JoinRefused {
        room: s("a"),
        reason: JoinRefusal::NameTaken,
    });
    t.rooms.renamed(&mut t.fx);
    assert!(t.joins().is_empty(), "from the next connection on");
    t.reconnect();
    assert_eq!(t.joins(), vec![(s("a"), None)]);
    // Asked to join while it waits for the next connection: joined now.
    t.frame(ServerFrame::JoinRefused {
        room: s("a"),
        reason: JoinRefusal::NameTaken,
    });
    t.rooms.renamed(&mut t.fx);
    t.events();
    t.rooms.join("a", None, &mut t.fx);
    assert_eq!(statuses(&t.events()), vec![(s("a"), RoomStatus::Joining)]);
    assert_eq!(t.joins(), vec![(s("a"), None)]);
}

#[test]
fn joining_leaving_and_joining_again_while_connected() {
    let mut t = T::new(state(&[("a", None)]), invite(None, None));
    t.ready(FAST);
    t.joins();
    t.welcome("a", 0, vec![]);
    t.events();
    t.rooms.join("Nuova", None, &mut t.fx);
    t.rooms.join("bad name!", None, &mut t.fx);
    assert!(t.fx.saves.due(t.now), "a new room is saved at once");
    assert_eq!(t.joins(), vec![(s("nuova"), None)]);
    assert_eq!(
        statuses(&t.events()),
        vec![
            (s("nuova"), RoomStatus::Joining),
            (
                s("bad name!"),
                RoomStatus::Refused(JoinRefusal::BadRoomName(
                    common::protocol::RoomNameError::BadCharacter
                ))
            ),
        ]
    );
    t.welcome("nuova", 0, vec![]);
    // Joining a room one is in answers with where it stands.
    t.rooms.join("a", None, &mut t.fx);
    assert_eq!(
        statuses(&t.events()).last(),
        Some(&(s("a"), RoomStatus::Joined))
    );

    // Leaving: the room leaves the state at once; acks still arrive until the relay
    // confirms.
    t.rooms.send("a", "ultimo", &mut t.fx);
    assert!(matches!(t.frames().as_slice(), [ClientFrame::Send { .. }]));
    t.rooms.leave("a", &mut t.fx);
    assert_eq!(
        t.frames(),
        vec![ClientFrame::Leave {
            room: RoomId::of("a")
        }]
    );
    assert_eq!(t.rooms.state().keys().collect::<Vec<_>>(), vec!["nuova"]);
    t.rooms.join("a", Some("k2".into()), &mut t.fx);
    assert!(t.joins().is_empty(), "not before the relay let us out");
    t.events();
    let a = RoomId::of("a");
    t.frame(ServerFrame::Ack {
        room: a,
        id: id(1),
        seq: 1,
    });
    t.frame(ServerFrame::RoomLeft {
        room: a,
        reason: RoomLeftReason::Left,
    });
    let events = t.events();
    assert!(matches!(events[0], Event::Acked { .. }));
    assert_eq!(
        statuses(&events),
        vec![
            (s("a"), RoomStatus::Left(RoomLeftReason::Left)),
            (s("a"), RoomStatus::Joining)
        ]
    );
    assert_eq!(t.joins(), vec![(s("a"), None)], "a new start in that room");
    assert_eq!(t.rooms.state()["a"].key.as_deref(), Some("k2"));
}

#[test]
fn leaving_offline_or_a_deleted_room_drops_it_at_once() {
    let mut t = T::new(state(&[("a", None), ("b", None)]), invite(None, None));
    t.rooms.send("a", "perso", &mut t.fx);
    t.rooms.leave("a", &mut t.fx);
    t.rooms.leave("mai-vista", &mut t.fx);
    assert_eq!(
        statuses(&t.events()),
        vec![
            (s("a"), RoomStatus::Left(RoomLeftReason::Left)),
            (s("mai-vista"), RoomStatus::Left(RoomLeftReason::Left)),
        ]
    );
    t.ready(FAST);
    assert_eq!(t.joins(), vec![(s("b"), None)]);
    t.welcome("b", 0, vec![]);
    t.frame(ServerFrame::RoomLeft {
        room: RoomId::of("b"),
        reason: RoomLeftReason::Deleted,
    });
    assert_eq!(
        statuses(&t.events()).last(),
        Some(&(s("b"), RoomStatus::Left(RoomLeftReason::Deleted)))
    );
    assert!(t.rooms.state().is_empty());
    t.reconnect();
    assert!(t.joins().is_empty());
}
