//! The machine with rooms and texts: outboxes filled offline, acks, saves, commands
//! given offline, several rooms on one connection, a room that refuses.

use super::*;

#[test]
fn a_text_sent_offline_is_saved_at_once_and_goes_out_after_the_rooms_welcome() {
    let mut t = Test::new(EngineState::new());
    let hello = t.dial();
    assert_eq!(hello, Hello::new("Anna", t.m.install));
    let events = t.events();
    assert_eq!(events[0], Event::Status(Status::Connecting));
    // The invite's room, with its key, entered the state: saved at once.
    assert!(
        matches!(&events[1], Event::Saved(s) if s.rooms[ROOM].key.as_deref() == Some("chiave"))
    );
    t.send(ROOM, "  ciao  ");
    let events = t.events();
    assert!(
        matches!(&events[0], Event::Queued { room, out } if room == ROOM && out.text == "ciao")
    );
    assert!(
        matches!(&events[1], Event::Saved(s) if s.rooms[ROOM].outbox.len() == 1 && s.next_counter == 2)
    );
    assert!(t.frames().is_empty(), "not connected yet");
    t.ready();
    assert_eq!(
        t.frames(),
        vec![ClientFrame::Join(common::protocol::Join {
            room: ROOM.into(),
            key: Some("chiave".into()),
            resume_after: None,
            owner_key: None,
        })],
        "the join, not the text: the room has not let us in yet"
    );
    t.welcome(ROOM, 0, Vec::new());
    assert!(matches!(t.frames().as_slice(), [ClientFrame::Send { text, .. }] if text == "ciao"));
}

#[test]
fn each_message_is_acked_once_whether_the_ack_or_its_echo_comes_first() {
    let mut t = Test::new(EngineState::new());
    t.connect();
    t.welcome(ROOM, 0, Vec::new());
    t.send(ROOM, "uno");
    t.send(ROOM, "due");
    let ids = queued(&t.events());
    let room = RoomId::of(ROOM);
    t.frame(ServerFrame::Ack {
        room,
        id: ids[0],
        seq: 1,
    });
    t.frame(ServerFrame::Event {
        room,
        event: message(1, ids[0]),
    });
    t.frame(ServerFrame::Event {
        room,
        event: message(2, ids[1]),
    });
    t.frame(ServerFrame::Ack {
        room,
        id: ids[1],
        seq: 2,
    });
    let acks: Vec<_> = t
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .collect();
    let acked = |id, seq| Event::Acked {
        room: ROOM.into(),
        id,
        seq,
    };
    assert_eq!(acks, vec![acked(ids[0], 1), acked(ids[1], 2)]);
}

#[test]
fn acks_and_events_are_saved_once_an_interval_not_each() {
    let mut t = Test::new(in_rooms(&[(ROOM, None)]));
    t.connect();
    t.welcome(ROOM, 0, (1..=300).map(joined).collect());
    t.advance(INTERVAL / 2);
    let saves = |events: Vec<Event>| {
        events
            .iter()
            .filter(|e| matches!(e, Event::Saved(_)))
            .count()
    };
    assert_eq!(saves(t.events()), 0);
    assert_eq!(t.m.deadline(), Some(t.now - INTERVAL / 2 + INTERVAL));
    t.advance(INTERVAL / 2);
    let events = t.events();
    assert_eq!(saves(events.clone()), 1);
    assert!(matches!(events.last(), Some(Event::Saved(s)) if s.rooms[ROOM].last_seq == Some(300)));
}

#[test]
fn commands_given_offline_apply_on_the_next_connection() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.fail(Failure::dial(Problem::Unreachable));
    t.command(Command::SetName("Anna B".into()));
    t.command(Command::LoadHistory {
        room: ROOM.into(),
        before: 40,
    });
    t.send(ROOM, "   ");
    let events = t.events();
    let Some(Event::Rejected { id, reason, .. }) = events.last().cloned() else {
        panic!("{events:?}")
    };
    assert_eq!(reason, RejectReason::EmptyText);
    t.command(Command::Retry {
        room: ROOM.into(),
        id,
    });
    assert!(matches!(
        t.events().as_slice(),
        [Event::Queued { .. }, Event::Rejected { .. }]
    ));
    assert_eq!(t.dial().name, "Anna B");
    t.ready();
    assert_eq!(t.joins(), vec![(ROOM.into(), None)]);
    t.welcome(ROOM, 50, Vec::new());
    assert_eq!(
        t.frames(),
        vec![ClientFrame::History {
            room: RoomId::of(ROOM),
            before: 40,
            limit: crate::history::PAGE
        }]
    );
    t.frame(ServerFrame::History {
        room: RoomId::of(ROOM),
        page: HistoryPage {
            before: 40,
            events: vec![joined(39)],
            more: true,
            retry_later: false,
        },
    });
    assert!(t.events().iter().any(|e| matches!(
        e,
        Event::History {
            before: 40,
            more: true,
            ..
        }
    )));
}

#[test]
fn three_rooms_filled_offline_are_joined_and_their_outboxes_sent_in_turns() {
    let mut t = Test::new(in_rooms(&[("a", Some(3)), ("b", None), ("c", Some(8))]));
    for i in 1..=2 {
        for room in ["a", "b", "c"] {
            t.send(room, &format!("{room}{i}"));
        }
    }
    assert_eq!(
        t.connect(),
        vec![
            ("a".into(), Some(3)),
            ("b".into(), None),
            ("c".into(), Some(8))
        ]
    );
    for room in ["c", "a", "b"] {
        t.welcome(room, 9, Vec::new());
    }
    let sent: Vec<(RoomId, String)> = t
        .frames()
        .into_iter()
        .map(|f| match f {
            ClientFrame::Send { room, text, .. } => (room, text),
            other => panic!("{other:?}"),
        })
        .collect();
    let expected: Vec<(RoomId, String)> = ["a1", "b1", "c1", "a2", "b2", "c2"]
        .iter()
        .map(|t| (RoomId::of(&t[..1]), t.to_string()))
        .collect();
    assert_eq!(sent, expected);
    // The connection drops before any ack: every room is joined again, resuming, and
    // its outbox goes out again (the relay recognises resends).
    t.fail(Failure::of(Problem::Unreachable));
    t.events();
    assert_eq!(
        t.connect(),
        vec![
            ("a".into(), Some(3)),
            ("b".into(), None),
            ("c".into(), Some(8))
        ]
    );
    for room in ["a", "b", "c"] {
        t.welcome(room, 9, Vec::new());
    }
    assert_eq!(t.frames().len(), 6);
}

#[test]
fn a_room_that_refuses_does_not_stop_the_others_or_the_connection() {
    let mut t = Test::new(in_rooms(&[("a", None), ("b", None)]));
    t.connect();
    t.frame(ServerFrame::JoinRefused {
        room: "a".into(),
        reason: common::protocol::JoinRefusal::NoSuchRoom,
    });
    t.welcome("b", 0, Vec::new());
    let events = t.events();
    assert!(events.contains(&Event::RoomStatus {
        room: "a".into(),
        status: RoomStatus::Refused(common::protocol::JoinRefusal::NoSuchRoom)
    }));
    assert_eq!(statuses(&events).last(), Some(&Status::Connected));
    assert!(t.io().is_empty());
    // Saved at once, marked.
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Saved(s) if s.rooms["a"].refused.is_some())));
}
