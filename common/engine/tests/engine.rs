//! The engine against the real relay in-process on 127.0.0.1.

mod support;

use std::time::Duration;

use common::{fingerprint::Fingerprint, protocol::*};
use engine::{Command, EngineState, Event, Problem, Status};
use relay::{Relay, RelayConfig};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_across_a_relay_restart_and_sees_the_log_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let addr = relay.addr();
    let invite = relay.invite();
    let (anna, mut anna_events) = engine(invite.clone(), "Anna", EngineState::new());
    let mut seen = until(&mut anna_events, "connected", is_connected).await;
    let (bruno, mut bruno_events) = engine(invite.clone(), "Bruno", EngineState::new());
    until(&mut bruno_events, "bruno connected", is_connected).await;
    send(&bruno, Command::Send("prima del riavvio".into()));
    seen.extend(
        until(
            &mut anna_events,
            "first message",
            is_text("prima del riavvio"),
        )
        .await,
    );

    relay.shutdown().await;
    seen.extend(
        until(&mut anna_events, "reconnecting", |e| {
            matches!(e, Event::Status(Status::Reconnecting { .. }))
        })
        .await,
    );
    // Anna types while the relay is down.
    send(&anna, Command::Send("scritto offline 1".into()));
    send(&anna, Command::Send("scritto offline 2".into()));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let relay = relay_at(dir.path(), addr).await;
    seen.extend(until(&mut anna_events, "reconnected", is_connected).await);
    // The outbox goes out on reconnection; once it is stored, Bruno writes again.
    seen.extend(until(&mut anna_events, "the offline messages stored", acks(2)).await);
    until(&mut bruno_events, "bruno reconnected", is_connected).await;
    send(&bruno, Command::Send("dopo il riavvio".into()));
    seen.extend(
        until(
            &mut anna_events,
            "message after restart",
            is_text("dopo il riavvio"),
        )
        .await,
    );
    let log = relay_log(&relay.invite()).await;
    let last = log.last().unwrap().seq;
    if room_seqs(&seen).last() != Some(&last) {
        // Anna may still be receiving the tail of the log.
        seen.extend(
            until(
                &mut anna_events,
                "the end of the log",
                |e| matches!(e, Event::Room(ev) if ev.seq == last),
            )
            .await,
        );
    }
    let log_seqs: Vec<Seq> = log.iter().map(|e| e.seq).collect();
    let anna_seqs = room_seqs(&seen);
    assert_eq!(
        anna_seqs,
        log_seqs[..anna_seqs.len()],
        "no gap, no duplicate"
    );
    assert_eq!(anna_seqs.last(), log_seqs.last());
    assert_eq!(
        texts_in(&log),
        vec![
            "prima del riavvio",
            "scritto offline 1",
            "scritto offline 2",
            "dopo il riavvio"
        ]
    );
    drop((anna, bruno));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_ack_does_not_duplicate_the_message() {
    let dir = tempfile::tempdir().unwrap();
    // This relay stores messages and then "dies" before publishing or acking them.
    let relay = lossy_relay_at(dir.path(), any_port()).await;
    let addr = relay.addr();
    let invite = relay.invite();
    let (anna, mut events) = engine(invite.clone(), "Anna", EngineState::new());
    until(&mut events, "connected", is_connected).await;
    for i in 1..=3 {
        send(&anna, Command::Send(format!("una volta sola {i}")));
    }
    until(
        &mut events,
        "outbox saved",
        |e| matches!(e, Event::Saved(s) if s.outbox.len() == 3),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.shutdown().await;

    let relay = relay_at(dir.path(), addr).await;
    let seen = until(&mut events, "three acks", acks(3)).await;
    assert!(!seen.iter().any(|e| matches!(e, Event::Rejected { .. })));
    until(
        &mut events,
        "empty outbox saved",
        |e| matches!(e, Event::Saved(s) if s.outbox.is_empty()),
    )
    .await;
    let log = relay_log(&relay.invite()).await;
    assert_eq!(
        texts_in(&log),
        vec!["una volta sola 1", "una volta sola 2", "una volta sola 3"],
        "each message exactly once, in order"
    );
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persisted_outbox_is_delivered_once_by_a_new_engine() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let addr = relay.addr();
    let invite = relay.invite();
    relay.shutdown().await; // Nobody listens: everything stays in the outbox.

    let (first, mut events) = engine(invite.clone(), "Anna", EngineState::new());
    send(&first, Command::Send("salvato 1".into()));
    send(&first, Command::Send("salvato 2".into()));
    let seen = until(
        &mut events,
        "saved outbox",
        |e| matches!(e, Event::Saved(s) if s.outbox.len() == 2),
    )
    .await;
    let Some(Event::Saved(state)) = seen.last().cloned() else {
        unreachable!()
    };
    // Through serde, as the app stores it.
    let stored = through_serde(&state);
    drop(first);
    drop(events);

    let relay = relay_at(dir.path(), addr).await;
    let (second, mut events) = engine(invite, "Anna", stored);
    until(&mut events, "two acks", acks(2)).await;
    send(&second, Command::Send("nuovo".into()));
    until(&mut events, "third ack", acks(1)).await;
    let log = relay_log(&relay.invite()).await;
    assert_eq!(texts_in(&log), vec!["salvato 1", "salvato 2", "nuovo"]);
    drop(second);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebinding_keeps_the_same_session() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut events, "connected", is_connected).await;
    send(&anna, Command::Send("prima".into()));
    until(&mut events, "ack", acks(1)).await;
    assert_eq!(relay.stats().joined, 1);

    send(&anna, Command::NetworkChanged);
    send(&anna, Command::Send("dopo il cambio di rete".into()));
    let seen = until(&mut events, "ack after rebind", acks(1)).await;
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::Status(_) | Event::Welcome { .. })),
        "no reconnect: {seen:?}"
    );
    assert_eq!(relay.stats().joined, 1, "no second hello on the relay");
    drop(anna);
    relay.shutdown().await;
}

async fn fails_once(invite: common::invite::Invite, name: &str, expected: Problem) {
    let (_engine, mut events) = engine(invite, name, EngineState::new());
    until(
        &mut events,
        "failure",
        |e| matches!(e, Event::Status(Status::Failed(p)) if *p == expected),
    )
    .await;
    nothing_more(&mut events, Duration::from_secs(2), "engine kept going").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pin_room_key_or_taken_name_fail_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.room_key = Some("segreto".into());
    let relay = Relay::start(config).await.unwrap();
    let invite = relay.invite();

    let mut wrong_pin = invite.clone();
    wrong_pin.fingerprint = Some(Fingerprint([7; 32]));
    fails_once(wrong_pin, "Anna", Problem::PinMismatch).await;

    let mut wrong_key = invite.clone();
    wrong_key.room_key = Some("sbagliato".into());
    fails_once(
        wrong_key,
        "Anna",
        Problem::Refused(RefuseReason::RoomKeyWrong),
    )
    .await;

    let (_anna, mut events) = engine(invite.clone(), "Anna", EngineState::new());
    until(&mut events, "connected", is_connected).await;
    fails_once(
        invite.clone(),
        "ANNA",
        Problem::Refused(RefuseReason::NameTaken),
    )
    .await;

    // A failed engine recovers on request with a new name.
    let (other, mut events) = engine(invite, "Anna", EngineState::new());
    until(&mut events, "name taken", |e| {
        matches!(e, Event::Status(Status::Failed(_)))
    })
    .await;
    send(&other, Command::SetName("Anna B".into()));
    send(&other, Command::ReconnectNow);
    let seen = until(&mut events, "welcome", |e| {
        matches!(e, Event::Welcome { .. })
    })
    .await;
    assert!(matches!(seen.last(), Some(Event::Welcome { name, .. }) if name == "Anna B"));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_messages_come_back_in_the_room_and_invalid_ones_are_rejected_locally() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut events, "connected", is_connected).await;
    send(&anna, Command::Send("   ".into()));
    let seen = until(&mut events, "rejected", |e| {
        matches!(e, Event::Rejected { .. })
    })
    .await;
    let Some(Event::Rejected { id, reason }) = seen.last().cloned() else {
        unreachable!()
    };
    assert_eq!(reason, RejectReason::EmptyText);
    // Cleaned before it goes out: no NUL, no escape, no surrounding blanks.
    send(&anna, Command::Send(" ciao\u{0}\u{1b}[31m \r\n".into()));
    let seen = until(&mut events, "own message", is_text("ciao[31m")).await;
    let Some(Event::Room(RoomEvent {
        seq,
        kind: EventKind::Message {
            sender, id: mid, ..
        },
        ..
    })) = seen.last().cloned()
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
    assert_eq!(acked, vec![&Event::Acked { id: mid, seq }]);
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_whose_log_was_reset_is_followed_not_ignored() {
    // A client that saw seq 12 of a relay whose data directory was since emptied: the
    // relay's log starts again from 1.
    let fresh = tempfile::tempdir().unwrap();
    let relay = relay_at(fresh.path(), any_port()).await;
    let state = EngineState {
        last_seq: Some(12),
        ..EngineState::new()
    };
    let (anna, mut events) = engine(relay.invite(), "Anna", state);
    until(&mut events, "connected", is_connected).await;
    send(&anna, Command::Send("nuovo".into()));
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
        move |e: &Event| matches!(e, Event::Members { online: o, names: n } if *o == online && *n == names)
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
async fn disconnecting_is_logged_as_leaving_not_as_a_lost_connection() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (_anna, mut anna_events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut anna_events, "connected", is_connected).await;
    let (bruno, mut bruno_events) = engine(relay.invite(), "Bruno", EngineState::new());
    until(&mut bruno_events, "bruno connected", is_connected).await;
    send(&bruno, Command::Disconnect);
    let seen = until(&mut anna_events, "Bruno's leave", |e| {
        matches!(e, Event::Room(RoomEvent { kind: EventKind::Left { name, .. }, .. }) if name == "Bruno")
    })
    .await;
    let Some(Event::Room(RoomEvent {
        kind: EventKind::Left { reason, .. },
        ..
    })) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!(*reason, LeaveReason::Left);
    until(&mut bruno_events, "Bruno disconnected", |e| {
        matches!(e, Event::Status(Status::Disconnected))
    })
    .await;
    nothing_more(&mut bruno_events, Duration::from_secs(1), "stays offline").await;
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
    until(&mut writer_events, "writer connected", is_connected).await;
    for i in 1..=500 {
        send(&writer, Command::Send(format!("storico {i}")));
    }
    until(&mut writer_events, "500 acks", acks(500)).await;
    drop(writer);

    let (reader, mut events) = engine(relay.invite(), "Lettrice", EngineState::new());
    // The welcome brings the recent backlog as room events, then our own join.
    let seen = until(&mut events, "own join", |e| {
        matches!(e, Event::Room(RoomEvent { kind: EventKind::Joined { name }, .. }) if name == "Lettrice")
    })
    .await;
    let recent: Vec<RoomEvent> = seen
        .into_iter()
        .filter_map(|e| match e {
            Event::Room(r) => Some(r),
            _ => None,
        })
        .collect();
    assert!(recent.len() < 200, "a recent backlog, not the whole log");
    // Page back from the first event shown until the relay says there is no more.
    let mut older: Vec<RoomEvent> = Vec::new();
    let mut before = recent[0].seq;
    let mut pages = 0;
    loop {
        send(&reader, Command::LoadHistory { before });
        let answer = until(&mut events, "a history page", |e| {
            matches!(e, Event::History { .. })
        })
        .await;
        let Some(Event::History {
            before: answered,
            events: page,
            more,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_session_stops_and_does_not_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let state = EngineState::new();
    let (_first, mut first_events) = engine(relay.invite(), "Anna", state.clone());
    until(&mut first_events, "first connected", is_connected).await;
    // The same install from a second window.
    let (_second, mut second_events) = engine(relay.invite(), "Anna", state);
    until(&mut second_events, "second connected", is_connected).await;
    until(&mut first_events, "first replaced", |e| {
        *e == Event::Status(Status::Failed(Problem::Bye(ByeReason::Replaced)))
    })
    .await;
    // No ping-pong: neither window hears anything more for a while.
    let quiet = Duration::from_secs(3);
    tokio::join!(
        nothing_more(&mut first_events, quiet, "the replaced one came back"),
        status_stays(&mut second_events, quiet, "the second was disturbed"),
    );
    assert_eq!(relay.stats().joined, 2);
    assert_eq!(relay.stats().online, 1);
    relay.shutdown().await;
}
