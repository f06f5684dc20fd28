//! What the engine shows of one room, against the real relay in-process: its own
//! messages coming back, a relay whose log was reset, who is online, paging back
//! through history.

mod support;

use std::time::Duration;

use common::protocol::*;
use engine::{Command, EngineState, Event, RoomState};
use relay::{Relay, RelayConfig};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_messages_come_back_in_the_room_and_invalid_ones_are_rejected_locally() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut events, "in the room", is_joined(ROOM)).await;
    say(&anna, ROOM, "   ");
    let seen = until(&mut events, "rejected", |e| {
        matches!(e, Event::Rejected { .. })
    })
    .await;
    let Some(Event::Rejected { id, reason, .. }) = seen.last().cloned() else {
        unreachable!()
    };
    assert_eq!(reason, RejectReason::EmptyText);
    // Cleaned before it goes out: no NUL, no escape, no surrounding blanks.
    say(&anna, ROOM, " ciao\u{0}\u{1b}[31m \r\n");
    let seen = until(&mut events, "own message", is_text("ciao[31m")).await;
    let Some(Event::Room {
        event:
            RoomEvent {
                seq,
                kind: EventKind::Message {
                    sender, id: mid, ..
                },
                ..
            },
        ..
    }) = seen.last().cloned()
    else {
        unreachable!()
    };
    assert_eq!(sender, "Anna");
    assert_eq!(mid.install, id.install);
    assert!(mid.counter > id.counter);
    // Acked exactly once, by the ack or by the echo, whichever came first.
    let mut all = seen;
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(e) = events.try_recv() {
        all.push(e);
    }
    let acked: Vec<_> = all
        .iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .collect();
    let expected = Event::Acked {
        room: ROOM.into(),
        id: mid,
        seq,
    };
    assert_eq!(acked, vec![&expected]);
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_whose_log_was_reset_is_followed_not_ignored() {
    // A client that saw seq 12 of a relay whose data directory was since emptied: the
    // relay's log starts again from 1.
    let fresh = tempfile::tempdir().unwrap();
    let relay = relay_at(fresh.path(), any_port()).await;
    let mut state = EngineState::new();
    state.rooms.insert(
        ROOM.into(),
        RoomState {
            last_seq: Some(12),
            ..RoomState::default()
        },
    );
    let (anna, mut events) = engine(relay.invite(), "Anna", state);
    until(&mut events, "in the room", is_joined(ROOM)).await;
    say(&anna, ROOM, "nuovo");
    until(&mut events, "the new relay's message", is_text("nuovo")).await;
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_follows_the_room_and_becomes_a_count_above_the_presence_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.presence_limit = 2;
    let relay = Relay::start(config).await.unwrap();
    let members = |online: u32, names: Option<&[&str]>| {
        let names = names.map(|n| n.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        move |e: &Event| matches!(e, Event::Members { online: o, names: n, .. } if *o == online && *n == names)
    };
    let (_anna, mut anna_events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut anna_events, "Anna alone", members(1, Some(&["Anna"]))).await;
    let (bruno, mut bruno_events) = engine(relay.invite(), "Bruno", EngineState::new());
    until(
        &mut bruno_events,
        "both listed",
        members(2, Some(&["Anna", "Bruno"])),
    )
    .await;
    until(
        &mut anna_events,
        "Bruno's join",
        members(2, Some(&["Anna", "Bruno"])),
    )
    .await;

    // A third member takes the room over the limit: counts, not names, for everyone.
    let (carla, mut carla_events) = engine(relay.invite(), "Carla", EngineState::new());
    until(
        &mut carla_events,
        "a count in the welcome",
        members(3, None),
    )
    .await;
    until(&mut anna_events, "the relay's count", members(3, None)).await;

    // Back under the limit, leaves are logged again and the count follows them.
    drop(carla);
    until(&mut anna_events, "Carla gone", members(2, None)).await;
    drop(bruno);
    until(&mut anna_events, "Bruno gone", members(1, None)).await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_engine_pages_back_through_500_messages_and_sees_each_seq_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.rate = RateLimit {
        per_second: 5000,
        burst: 1000,
    };
    let relay = Relay::start(config).await.unwrap();
    let (writer, mut writer_events) = engine(relay.invite(), "Scrittore", EngineState::new());
    until(&mut writer_events, "writer in the room", is_joined(ROOM)).await;
    for i in 1..=500 {
        say(&writer, ROOM, format!("storico {i}"));
    }
    until(&mut writer_events, "500 acks", acks(500)).await;
    drop(writer);

    let (reader, mut events) = engine(relay.invite(), "Lettrice", EngineState::new());
    // The welcome brings the recent backlog as room events, then our own join.
    let seen = until(&mut events, "own join", |e| {
        matches!(e, Event::Room { event: RoomEvent { kind: EventKind::Joined { name }, .. }, .. } if name == "Lettrice")
    })
    .await;
    let recent: Vec<RoomEvent> = seen
        .into_iter()
        .filter_map(|e| match e {
            Event::Room { event, .. } => Some(event),
            _ => None,
        })
        .collect();
    assert!(recent.len() < 200, "a recent backlog, not the whole log");
    // Page back from the first event shown until the relay says there is no more.
    let mut older: Vec<RoomEvent> = Vec::new();
    let mut before = recent[0].seq;
    let mut pages = 0;
    loop {
        send(
            &reader,
            Command::LoadHistory {
                room: ROOM.into(),
                before,
            },
        );
        let answer = until(&mut events, "a history page", |e| {
            matches!(e, Event::History { .. })
        })
        .await;
        let Some(Event::History {
            before: answered,
            events: page,
            more,
            ..
        }) = answer.last().cloned()
        else {
            unreachable!()
        };
        pages += 1;
        assert_eq!(answered, before);
        assert!(
            page.iter().all(|e| e.seq < before),
            "every event before the request"
        );
        older.splice(0..0, page);
        if !more {
            break;
        }
        before = older.first().expect("a page with more has events").seq;
    }
    let all: Vec<RoomEvent> = older.into_iter().chain(recent).collect();
    let seqs: Vec<Seq> = all.iter().map(|e| e.seq).collect();
    let last = *seqs.last().unwrap();
    // One relay: its seqs are 1, 2, 3, … (the engine does not assume it).
    assert_eq!(
        seqs,
        (1..=last).collect::<Vec<_>>(),
        "each seq exactly once, in order"
    );
    let texts = texts_in(&all);
    let expected: Vec<String> = (1..=500).map(|i| format!("storico {i}")).collect();
    assert_eq!(texts, expected);
    assert!(pages >= 4, "{pages} pages of at most 100");
    drop(reader);
    relay.shutdown().await;
}
