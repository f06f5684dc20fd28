//! The engine against the real relay in-process on 127.0.0.1.

use std::{net::SocketAddr, path::Path, time::Duration};

use common::{
    client::{self, Command, Engine, EngineConfig, EngineState, Event, Problem, Status},
    codec,
    invite::Invite,
    protocol::*,
    tls,
};
use relay::{Relay, RelayConfig};
use tokio::sync::mpsc::UnboundedReceiver;

const WAIT: Duration = Duration::from_secs(20);

async fn relay_at(dir: &Path, listen: SocketAddr) -> Relay {
    let mut config = RelayConfig::for_tests(dir);
    config.listen = listen;
    Relay::start(config).await.unwrap()
}

async fn lossy_relay_at(dir: &Path, listen: SocketAddr) -> Relay {
    let mut config = RelayConfig::for_tests(dir);
    config.listen = listen;
    config.lose_acks = true;
    Relay::start(config).await.unwrap()
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn engine(invite: Invite, name: &str, state: EngineState) -> (Engine, UnboundedReceiver<Event>) {
    let mut config = EngineConfig::new(invite, name, state);
    config.backoff_initial = Duration::from_millis(100);
    config.backoff_max = Duration::from_millis(800);
    config.connect_timeout = Duration::from_secs(2);
    client::start(config)
}

/// Collects events until `pred` matches one; returns everything seen, the match last.
async fn until(
    events: &mut UnboundedReceiver<Event>,
    what: &str,
    mut pred: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let result = tokio::time::timeout(WAIT, async {
        while let Some(event) = events.recv().await {
            let hit = pred(&event);
            seen.push(event);
            if hit {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(result, Ok(true)),
        "waiting for {what}; saw {seen:#?}"
    );
    seen
}

fn room_seqs(events: &[Event]) -> Vec<Seq> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Room(ev) => Some(ev.seq),
            _ => None,
        })
        .collect()
}

/// The relay's whole log, read by a fresh client resuming from 0.
async fn relay_log(invite: &Invite) -> Vec<RoomEvent> {
    let endpoint = quinn::Endpoint::client(any_port()).unwrap();
    let conn = endpoint
        .connect_with(
            tls::client_config(invite.trust()).unwrap(),
            invite.authority().parse().unwrap(),
            &invite.host,
        )
        .unwrap()
        .await
        .unwrap();
    let (mut send, recv) = conn.open_bi().await.unwrap();
    let hello = ClientFrame::Hello(Hello {
        version: PROTOCOL_VERSION,
        name: "Archivio".into(),
        install: InstallId::random(),
        room_key: invite.room_key.clone(),
        resume_after: Some(0),
    });
    send.write_all(&codec::encode(&hello).unwrap())
        .await
        .unwrap();
    let mut recv = codec::FrameReader::new(recv);
    let ServerFrame::Welcome(w) = recv.next().await.unwrap() else {
        panic!("no welcome")
    };
    let mut log = w.backlog;
    // Events beyond the welcome frame follow as frames, up to our own join.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), recv.next::<ServerFrame>()).await {
            Ok(Ok(ServerFrame::Event(e))) => {
                if matches!(&e.kind, EventKind::Joined { name } if name == "Archivio") {
                    break;
                }
                log.push(e);
            }
            Ok(Ok(_)) => {}
            other => panic!("reading the log: {other:?}"),
        }
    }
    conn.close(0u32.into(), b"");
    log
}

fn texts_in(log: &[RoomEvent]) -> Vec<String> {
    log.iter()
        .filter_map(|e| match &e.kind {
            EventKind::Message { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn is_connected(e: &Event) -> bool {
    matches!(e, Event::Status(Status::Connected))
}

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
    bruno.send(Command::Send("prima del riavvio".into()));
    seen.extend(
        until(&mut anna_events, "first message", |e| {
            matches!(
                e,
                Event::Room(RoomEvent {
                    kind: EventKind::Message { .. },
                    ..
                })
            )
        })
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
    anna.send(Command::Send("scritto offline 1".into()));
    anna.send(Command::Send("scritto offline 2".into()));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let relay = relay_at(dir.path(), addr).await;
    seen.extend(until(&mut anna_events, "reconnected", is_connected).await);
    // The outbox goes out on reconnection; once it is stored, Bruno writes again.
    let mut acked = 0;
    seen.extend(
        until(&mut anna_events, "the offline messages stored", |e| {
            acked += usize::from(matches!(e, Event::Acked { .. }));
            acked == 2
        })
        .await,
    );
    until(&mut bruno_events, "bruno reconnected", is_connected).await;
    bruno.send(Command::Send("dopo il riavvio".into()));
    seen.extend(until(&mut anna_events, "message after restart", |e| matches!(e, Event::Room(RoomEvent { kind: EventKind::Message { text, .. }, .. }) if text == "dopo il riavvio")).await);
    let log = relay_log(&relay.invite()).await;
    let last = log.last().unwrap().seq;
    if room_seqs(&seen).last() != Some(&last) {
        // Anna may still be receiving the tail of the log (her own offline messages).
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
    assert_eq!(*anna_seqs.last().unwrap(), *log_seqs.last().unwrap());
    let texts = texts_in(&log);
    assert_eq!(
        texts,
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
        anna.send(Command::Send(format!("una volta sola {i}")));
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
    let mut acked = 0;
    let seen = until(&mut events, "three acks", |e| {
        acked += matches!(e, Event::Acked { .. }) as usize;
        acked == 3
    })
    .await;
    assert!(!seen.iter().any(|e| matches!(e, Event::Rejected { .. })));
    until(
        &mut events,
        "empty outbox saved",
        |e| matches!(e, Event::Saved(s) if s.outbox.is_empty()),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
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
    first.send(Command::Send("salvato 1".into()));
    first.send(Command::Send("salvato 2".into()));
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
    let mut acked = 0;
    until(&mut events, "two acks", |e| {
        acked += matches!(e, Event::Acked { .. }) as usize;
        acked == 2
    })
    .await;
    second.send(Command::Send("nuovo".into()));
    until(&mut events, "third ack", |e| {
        matches!(e, Event::Acked { .. })
    })
    .await;
    let log = relay_log(&relay.invite()).await;
    assert_eq!(texts_in(&log), vec!["salvato 1", "salvato 2", "nuovo"]);
    drop(second);
    relay.shutdown().await;
}

/// The state through serde and back, as the app stores it (JSON).
fn through_serde(state: &EngineState) -> EngineState {
    serde_json::from_slice(&serde_json::to_vec(state).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebinding_keeps_the_same_session() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut events, "connected", is_connected).await;
    anna.send(Command::Send("prima".into()));
    until(&mut events, "ack", |e| matches!(e, Event::Acked { .. })).await;
    assert_eq!(relay.stats().joined, 1);

    anna.send(Command::NetworkChanged);
    anna.send(Command::Send("dopo il cambio di rete".into()));
    let seen = until(&mut events, "ack after rebind", |e| {
        matches!(e, Event::Acked { .. })
    })
    .await;
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

async fn fails_once(invite: Invite, name: &str, expected: Problem) {
    let (_engine, mut events) = engine(invite, name, EngineState::new());
    until(
        &mut events,
        "failure",
        |e| matches!(e, Event::Status(Status::Failed(p)) if *p == expected),
    )
    .await;
    // No retry loop afterwards.
    let more = tokio::time::timeout(Duration::from_secs(2), events.recv()).await;
    assert!(more.is_err(), "engine kept going: {more:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pin_room_key_or_taken_name_fail_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.room_key = Some("segreto".into());
    let relay = Relay::start(config).await.unwrap();
    let invite = relay.invite();

    let mut wrong_pin = invite.clone();
    wrong_pin.fingerprint = Some(tls::Fingerprint([7; 32]));
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
    other.send(Command::SetName("Anna B".into()));
    other.send(Command::ReconnectNow);
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
    anna.send(Command::Send("   ".into()));
    let seen = until(&mut events, "rejected", |e| {
        matches!(e, Event::Rejected { .. })
    })
    .await;
    let Some(Event::Rejected { id, reason }) = seen.last().cloned() else {
        unreachable!()
    };
    assert_eq!(reason, RejectReason::EmptyText);
    anna.send(Command::Send("ciao".into()));
    let seen = until(&mut events, "own message", |e| {
        matches!(
            e,
            Event::Room(RoomEvent {
                kind: EventKind::Message { .. },
                ..
            })
        )
    })
    .await;
    let Some(Event::Room(RoomEvent {
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
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_whose_log_was_reset_is_followed_not_ignored() {
    // A client that saw seq 12 of a relay whose data directory was since emptied: the
    // relay's log starts again from 1.
    let fresh = tempfile::tempdir().unwrap();
    let relay = relay_at(fresh.path(), any_port()).await;
    let state = {
        let mut s = EngineState::new();
        s.last_seq = Some(12);
        s
    };
    let (anna, mut events) = engine(relay.invite(), "Anna", state);
    until(&mut events, "connected", is_connected).await;
    anna.send(Command::Send("nuovo".into()));
    until(&mut events, "the new relay's message", |e| {
        matches!(e, Event::Room(RoomEvent { kind: EventKind::Message { text, .. }, .. }) if text == "nuovo")
    })
    .await;
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
    bruno.send(Command::Disconnect);
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
    relay.shutdown().await;
}
