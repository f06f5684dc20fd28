//! What goes through the rooms table: each room's own log, texts and their ids, the
//! outboxes paced in turns, the rooms to blame for an undecodable frame.

use common::protocol::{ClientFrame, RateLimit, RejectReason, RoomId, ServerFrame};

use super::{invite, room_seqs, s, state, FAST, T};
use crate::{
    room::tests::{id, joined, own},
    Event, Outgoing,
};

#[test]
fn each_room_has_its_own_log_and_the_same_seq_in_two_rooms_is_two_events() {
    let mut t = T::new(state(&[("a", None), ("b", None)]), invite(None, None));
    t.ready(FAST);
    t.joins();
    t.welcome("a", 2, vec![joined(1), joined(2)]);
    t.welcome("b", 1, vec![joined(1)]);
    let (a, b) = (RoomId::of("a"), RoomId::of("b"));
    for (room, seq) in [(a, 2), (b, 2), (a, 3), (b, 1), (a, 3), (b, 3)] {
        t.frame(ServerFrame::Event {
            room,
            event: joined(seq),
        });
    }
    // A frame about a room this client is not in is dropped.
    t.frame(ServerFrame::Event {
        room: RoomId::of("z"),
        event: joined(1),
    });
    let seen = room_seqs(&t.events());
    let expected = [("a", 1), ("a", 2), ("b", 1), ("b", 2), ("a", 3), ("b", 3)];
    assert_eq!(seen, expected.map(|(r, s)| (r.to_owned(), s)));
}

#[test]
fn texts_to_a_room_one_is_not_in_are_rejected_and_ids_never_repeat_across_rooms() {
    let mut st = state(&[("a", None), ("b", None)]);
    st.rooms.get_mut("b").unwrap().outbox.push(Outgoing {
        id: id(41),
        text: "salvato".into(),
    });
    let mut t = T::new(st, invite(None, None));
    assert_eq!(t.rooms.next_counter(), 42);
    t.rooms.send("a", "uno", &mut t.fx);
    t.rooms.send("altrove", "due", &mut t.fx);
    let events = t.events();
    assert!(matches!(&events[0], Event::Queued { room, out } if room == "a" && out.id == id(42)));
    assert_eq!(
        events.last(),
        Some(&Event::Rejected {
            room: s("altrove"),
            id: id(43),
            reason: RejectReason::NotInRoom
        })
    );
    assert_eq!(t.rooms.next_counter(), 44);
}

#[test]
fn outboxes_filled_offline_go_out_in_turns_each_in_order_once_its_room_is_joined() {
    let mut t = T::new(
        state(&[("a", None), ("b", None), ("c", None)]),
        invite(None, None),
    );
    for i in 1..=3 {
        for room in ["a", "b", "c"] {
            t.rooms.send(room, &format!("{room}{i}"), &mut t.fx);
        }
    }
    t.rooms.send("a", "a4", &mut t.fx);
    t.ready(FAST);
    t.joins();
    t.welcome("b", 0, vec![]);
    t.welcome("c", 0, vec![]);
    let sent = |frames: Vec<ClientFrame>| -> Vec<String> {
        frames
            .into_iter()
            .map(|f| match f {
                ClientFrame::Send { room, text, .. } => {
                    assert_eq!(room, RoomId::of(&text[..1]), "in its own room");
                    text
                }
                other => panic!("{other:?}"),
            })
            .collect()
    };
    // a is not joined yet: b and c take turns.
    assert_eq!(sent(t.frames()), ["b1", "c1", "b2", "c2", "b3", "c3"]);
    t.welcome("a", 0, vec![]);
    assert_eq!(sent(t.frames()), ["a1", "a2", "a3", "a4"]);

    // Under a tight rate, the rooms share it.
    let mut t = T::new(
        state(&[("a", None), ("b", None), ("c", None)]),
        invite(None, None),
    );
    for i in 1..=5 {
        for room in ["a", "b", "c"] {
            t.rooms.send(room, &format!("{room}{i}"), &mut t.fx);
        }
    }
    t.ready(RateLimit {
        per_second: 10,
        burst: 8,
    });
    t.joins();
    for room in ["a", "b", "c"] {
        t.welcome(room, 0, vec![]);
    }
    assert_eq!(sent(t.frames()), ["a1", "b1", "c1", "a2", "b2", "c2"]);
    let next = t.rooms.deadline().unwrap();
    t.now = next;
    assert_eq!(sent(t.frames()), ["a3"]);
}

#[test]
fn the_rooms_to_blame_for_an_undecodable_frame_are_the_resuming_ones() {
    let mut t = T::new(
        state(&[("a", Some(5)), ("b", Some(5)), ("c", None)]),
        invite(None, None),
    );
    t.ready(FAST);
    t.joins();
    // b's resume is still coming; c (fresh) too; a is done.
    t.welcome("a", 5, vec![]);
    t.welcome("b", 900, vec![joined(6)]);
    t.welcome("c", 3, vec![joined(2)]);
    assert_eq!(t.rooms.suspects(), vec![s("b")]);
    t.frame(ServerFrame::Event {
        room: RoomId::of("b"),
        event: joined(900),
    });
    t.frame(ServerFrame::Event {
        room: RoomId::of("c"),
        event: joined(3),
    });
    // Nothing is coming any more: any room that resumed may be the one.
    assert_eq!(t.rooms.suspects(), vec![s("a"), s("b")]);
    t.rooms.recover(&[s("b")]);
    t.reconnect();
    assert_eq!(
        t.joins(),
        vec![(s("a"), Some(5)), (s("b"), None), (s("c"), Some(3))]
    );
    // Only a fresh or recovering join's backlog is coming: no resume to blame.
    t.welcome("a", 5, vec![]);
    t.welcome("c", 3, vec![]);
    t.welcome("b", 950, vec![joined(901)]);
    assert_eq!(t.rooms.suspects(), Vec::<String>::new());
    let events = t.events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Welcome { room, gap: false, .. } if room == "b")));
    // b's own messages, seen before, are still skipped.
    t.frame(ServerFrame::Event {
        room: RoomId::of("b"),
        event: own(900, 1),
    });
    assert!(t.events().is_empty());
}
