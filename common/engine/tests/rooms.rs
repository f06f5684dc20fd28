//! Several rooms over one connection, against the real relay in-process on 127.0.0.1:
//! outboxes filled offline, resuming every room after a restart, joining and leaving,
//! refusals, one rate for all rooms, and a state saved by the one-room engine.

mod support;

use std::time::{Duration, Instant};

use common::protocol::*;
use engine::{Command, EngineState, Event, RoomState, RoomStatus};
use relay::{Relay, RelayConfig};
use support::*;

const ROOMS: [&str; 3] = ["classe-3a", "classe-3b", "docenti"];

/// The operator's rooms of these tests: one of them has a key.
const CONFIGURED: [(&str, Option<&str>); 3] = [
    ("classe-3a", None),
    ("classe-3b", Some("chiave-3b")),
    ("docenti", None),
];

/// Waits until `check` holds, polling.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < WAIT, "waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Collects events until every room in `rooms` has reported the last seq of its log.
async fn until_logs_seen(events: &mut Events, seen: &mut Vec<Event>, logs: &[(&str, Seq)]) {
    for (room, last) in logs {
        if seqs_in(seen, room).last() < Some(last) {
            let more = until(
                events,
                "the end of a room's log",
                |e| matches!(e, Event::Room { room: r, event } if r == room && event.seq >= *last),
            )
            .await;
            seen.extend(more);
        }
    }
}

/// Each room's events came once each, in increasing order, matching its log.
fn assert_each_log_seen_exactly(seen: &[Event], logs: &[(&str, Vec<RoomEvent>)]) {
    for (room, log) in logs {
        let log_seqs: Vec<Seq> = log.iter().map(|e| e.seq).collect();
        let room_seqs = seqs_in(seen, room);
        assert!(
            room_seqs.windows(2).all(|w| w[0] < w[1]),
            "{room}: each seq once, in order: {room_seqs:?}"
        );
        let first = log_seqs.iter().position(|s| Some(s) == room_seqs.first());
        let first = first.unwrap_or_else(|| panic!("{room}: {room_seqs:?} not in {log_seqs:?}"));
        assert_eq!(
            room_seqs,
            log_seqs[first..],
            "{room}: nothing missed or repeated"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_rooms_filled_offline_each_message_delivered_once_in_order_in_its_own_room() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_rooms(dir.path(), any_port(), &CONFIGURED, false).await;
    let addr = relay.addr();
    let invite = relay.invite();
    let key_3b = relay.invite_for("classe-3b").unwrap().room_key;
    assert_eq!(key_3b.as_deref(), Some("chiave-3b"));
    relay.shutdown().await; // Nobody listens: everything waits in the outboxes.

    // Two rooms from a saved state, the third joined by command, all offline.
    let mut state = EngineState::new();
    for room in ["classe-3a", "docenti"] {
        state.rooms.insert(room.into(), RoomState::default());
    }
    let (anna, mut events) = engine(invite, "Anna", state);
    send(
        &anna,
        Command::JoinRoom {
            room: "Classe-3B".into(),
            key: key_3b,
        },
    );
    for i in 1..=10 {
        for room in ROOMS {
            say(&anna, room, format!("{room} {i}"));
        }
    }
    until(&mut events, "thirty texts saved", |e| {
        matches!(e, Event::Saved(s) if s.rooms.len() == 3
            && s.rooms.values().all(|r| r.outbox.len() == 10))
    })
    .await;

    // A relay that stores every message, then "dies" before anyone hears of them.
    let lossy = relay_with_rooms(dir.path(), addr, &CONFIGURED, true).await;
    eventually("thirty messages stored", || lossy.stats().messages == 30).await;
    lossy.shutdown().await;

    // The next one has them: the outboxes go out again, it recognises each.
    let relay = relay_with_rooms(dir.path(), addr, &CONFIGURED, false).await;
    let mut seen = until(&mut events, "thirty acks", acks(30)).await;
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Rejected { .. })),
        "{seen:#?}"
    );
    let mut logs = Vec::new();
    for room in ROOMS {
        logs.push((room, relay_log(&relay.invite_for(room).unwrap()).await));
    }
    let lasts: Vec<(&str, Seq)> = logs
        .iter()
        .map(|(room, log)| (*room, log.last().unwrap().seq))
        .collect();
    until_logs_seen(&mut events, &mut seen, &lasts).await;
    for (room, log) in &logs {
        let expected: Vec<String> = (1..=10).map(|i| format!("{room} {i}")).collect();
        assert_eq!(texts_in(log), expected, "{room}: once each, in order");
        assert_eq!(
            texts_of(&seen, room),
            expected,
            "{room}: as the engine saw it"
        );
    }
    assert_each_log_seen_exactly(&seen, &logs);
    let acked = seen
        .iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .count();
    assert_eq!(acked, 30, "each message acked once");
    let relay_default = relay_log(&relay.invite()).await;
    assert!(
        texts_in(&relay_default).is_empty(),
        "nothing in another room"
    );
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_room_resumes_after_a_relay_restart() {
    let dir = tempfile::tempdir().unwrap();
    let configured = [("uno", None), ("due", Some("chiave"))];
    let relay = relay_with_rooms(dir.path(), any_port(), &configured, false).await;
    let addr = relay.addr();
    let rooms = [ROOM, "uno", "due"];
    let join_all = |engine: &engine::Engine, relay: &Relay| {
        for room in ["uno", "due"] {
            let key = relay.invite_for(room).unwrap().room_key;
            send(
                engine,
                Command::JoinRoom {
                    room: room.into(),
                    key,
                },
            );
        }
    };
    let all_joined = || {
        let mut joined = 0;
        move |e: &Event| {
            joined += usize::from(matches!(
                e,
                Event::RoomStatus {
                    status: RoomStatus::Joined,
                    ..
                }
            ));
            joined == 3
        }
    };
    let (anna, mut anna_events) = engine(relay.invite(), "Anna", EngineState::new());
    join_all(&anna, &relay);
    let mut seen = until(&mut anna_events, "Anna in three rooms", all_joined()).await;
    let (bruno, mut bruno_events) = engine(relay.invite(), "Bruno", EngineState::new());
    join_all(&bruno, &relay);
    until(&mut bruno_events, "Bruno in three rooms", all_joined()).await;
    for room in rooms {
        say(&bruno, room, format!("prima {room}"));
    }
    let firsts: Vec<String> = rooms.iter().map(|r| format!("prima {r}")).collect();
    seen.extend(until_texts(&mut anna_events, "Bruno's first texts", &firsts).await);

    relay.shutdown().await;
    seen.extend(until(&mut anna_events, "reconnecting", is_reconnecting).await);
    for room in rooms {
        say(&anna, room, format!("offline {room}"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let relay = relay_with_rooms(dir.path(), addr, &configured, false).await;
    let back = until(&mut anna_events, "Anna back in three rooms", all_joined()).await;
    assert!(
        back.iter()
            .filter(|e| matches!(e, Event::Welcome { .. }))
            .all(|e| matches!(e, Event::Welcome { gap: false, .. })),
        "resumed, no gap: {back:#?}"
    );
    seen.extend(back);
    seen.extend(until(&mut anna_events, "her texts stored", acks(3)).await);
    until(&mut bruno_events, "Bruno back", all_joined()).await;
    for room in rooms {
        say(&bruno, room, format!("dopo {room}"));
    }
    let lasts: Vec<String> = rooms.iter().map(|r| format!("dopo {r}")).collect();
    seen.extend(until_texts(&mut anna_events, "Bruno's last texts", &lasts).await);
    let mut logs = Vec::new();
    for room in rooms {
        let invite = relay.invite_for(room).unwrap();
        logs.push((room, relay_log(&invite).await));
    }
    let lasts: Vec<(&str, Seq)> = logs
        .iter()
        .map(|(room, log)| (*room, log.last().unwrap().seq))
        .collect();
    until_logs_seen(&mut anna_events, &mut seen, &lasts).await;
    assert_each_log_seen_exactly(&seen, &logs);
    for (room, log) in &logs {
        let expected = [
            format!("prima {room}"),
            format!("offline {room}"),
            format!("dopo {room}"),
        ];
        assert_eq!(texts_in(log), expected);
        assert_eq!(texts_of(&seen, room), expected);
    }
    drop((anna, bruno));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relays_rate_is_shared_by_every_room_and_nothing_is_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.rooms = rooms(&[("a", None), ("b", None)]);
    config.limits.rate = RateLimit {
        per_second: 10,
        burst: 5,
    };
    let relay = Relay::start(config).await.unwrap();
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    for room in ["a", "b"] {
        send(
            &anna,
            Command::JoinRoom {
                room: room.into(),
                key: None,
            },
        );
    }
    // Paced per room at the relay's rate, three rooms would send three times too fast.
    for i in 1..=8 {
        for room in [ROOM, "a", "b"] {
            say(&anna, room, format!("{room} {i}"));
        }
    }
    let start = Instant::now();
    let seen = until(&mut events, "24 acks", acks(24)).await;
    let rejected: Vec<_> = seen
        .iter()
        .filter(|e| matches!(e, Event::Rejected { .. }))
        .collect();
    assert!(rejected.is_empty(), "{rejected:?}");
    // 24 messages at 8 a second after a burst of 3: over 2 s.
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    relay.shutdown().await;
}
