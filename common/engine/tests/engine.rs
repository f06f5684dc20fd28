//! The engine against the real relay in-process on 127.0.0.1, in the default room: the
//! connection (restarts, lost acks, persisted outboxes, rebinding, trust, refusals,
//! quitting, a replaced session). What it shows of a room is in `log.rs`.

mod support;

use std::time::Duration;

use common::{fingerprint::Fingerprint, protocol::*};
use engine::{Command, EngineState, Event, Problem, RoomStatus, Status};
use relay::{Relay, RelayConfig};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_across_a_relay_restart_and_sees_the_log_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let addr = relay.addr();
    let invite = relay.invite();
    let (anna, mut anna_events) = engine(invite.clone(), "Anna", EngineState::new());
    let mut seen = until(&mut anna_events, "connected", is_joined(ROOM)).await;
    let (bruno, mut bruno_events) = engine(invite.clone(), "Bruno", EngineState::new());
    until(&mut bruno_events, "bruno in the room", is_joined(ROOM)).await;
    say(&bruno, ROOM, "prima del riavvio");
    seen.extend(
        until(
            &mut anna_events,
            "first message",
            is_text("prima del riavvio"),
        )
        .await,
    );

    relay.shutdown().await;
    seen.extend(until(&mut anna_events, "reconnecting", is_reconnecting).await);
    // Anna types while the relay is down.
    say(&anna, ROOM, "scritto offline 1");
    say(&anna, ROOM, "scritto offline 2");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let relay = relay_at(dir.path(), addr).await;
    seen.extend(until(&mut anna_events, "reconnected", is_connected).await);
    // The outbox goes out on reconnection; once it is stored, Bruno writes again.
    seen.extend(until(&mut anna_events, "the offline messages stored", acks(2)).await);
    until(&mut bruno_events, "bruno reconnected", is_connected).await;
    say(&bruno, ROOM, "dopo il riavvio");
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
                |e| matches!(e, Event::Room { event, .. } if event.seq == last),
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
    until(&mut events, "in the room", is_joined(ROOM)).await;
    for i in 1..=3 {
        say(&anna, ROOM, format!("una volta sola {i}"));
    }
    until(
        &mut events,
        "outbox saved",
        |e| matches!(e, Event::Saved(s) if s.rooms[ROOM].outbox.len() == 3),
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
        |e| matches!(e, Event::Saved(s) if s.rooms[ROOM].outbox.is_empty()),
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
    say(&first, ROOM, "salvato 1");
    say(&first, ROOM, "salvato 2");
    let seen = until(
        &mut events,
        "saved outbox",
        |e| matches!(e, Event::Saved(s) if s.rooms[ROOM].outbox.len() == 2),
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
    say(&second, ROOM, "nuovo");
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
    until(&mut events, "in the room", is_joined(ROOM)).await;
    say(&anna, ROOM, "prima");
    until(&mut events, "ack", acks(1)).await;
    assert_eq!(relay.stats().joined, 1);

    send(&anna, Command::NetworkChanged);
    say(&anna, ROOM, "dopo il cambio di rete");
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

/// The room refuses once; the engine stays connected and does not ask again.
async fn refused_once(invite: common::invite::Invite, name: &str, expected: JoinRefusal) {
    let (_engine, mut events) = engine(invite, name, EngineState::new());
    let seen = until(
        &mut events,
        "refusal",
        room_status(ROOM, RoomStatus::Refused(expected)),
    )
    .await;
    assert!(seen.iter().any(is_connected));
    nothing_more(&mut events, Duration::from_secs(2), "engine kept going").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_fails_and_a_wrong_room_key_or_taken_name_is_refused_once() {
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
    refused_once(wrong_key, "Anna", JoinRefusal::RoomKeyWrong).await;

    let (_anna, mut events) = engine(invite.clone(), "Anna", EngineState::new());
    until(&mut events, "in the room", is_joined(ROOM)).await;
    refused_once(invite.clone(), "ANNA", JoinRefusal::NameTaken).await;

    // A refused engine gets in on request with a new name, its refusal kept meanwhile.
    let (other, mut events) = engine(invite, "Anna", EngineState::new());
    let seen = until(
        &mut events,
        "name taken",
        |e| matches!(e, Event::Saved(s) if s.rooms[ROOM].refused == Some(JoinRefusal::NameTaken)),
    )
    .await;
    assert!(seen.contains(&Event::RoomStatus {
        room: ROOM.into(),
        status: RoomStatus::Refused(JoinRefusal::NameTaken)
    }));
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
async fn disconnecting_is_logged_as_leaving_not_as_a_lost_connection() {
    bruno_disconnects(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handle_dropped_right_after_disconnect_still_says_quit() {
    // As an app closing its window does: the last command, then the handle is gone.
    bruno_disconnects(true).await;
}

/// Anna and Bruno in the room; Bruno disconnects (and drops his engine at once, with
/// `drop_handle`); Anna must read that he left, not that his connection was lost.
async fn bruno_disconnects(drop_handle: bool) {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (_anna, mut anna_events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut anna_events, "connected", is_joined(ROOM)).await;
    let (bruno, mut bruno_events) = engine(relay.invite(), "Bruno", EngineState::new());
    until(&mut bruno_events, "bruno in the room", is_joined(ROOM)).await;
    send(&bruno, Command::Disconnect);
    if drop_handle {
        drop(bruno);
    }
    assert_left(&mut anna_events).await;
    until(&mut bruno_events, "Bruno disconnected", |e| {
        matches!(e, Event::Status(Status::Disconnected))
    })
    .await;
    if !drop_handle {
        nothing_more(&mut bruno_events, Duration::from_secs(1), "stays offline").await;
    }
    relay.shutdown().await;
}

/// Waits for Bruno's leave and checks it was logged as leaving, not as a lost
/// connection.
async fn assert_left(anna_events: &mut Events) {
    let seen = until(anna_events, "Bruno's leave", |e| {
        matches!(e, Event::Room { event: RoomEvent { kind: EventKind::Left { name, .. }, .. }, .. } if name == "Bruno")
    })
    .await;
    let Some(Event::Room {
        event:
            RoomEvent {
                kind: EventKind::Left { reason, .. },
                ..
            },
        ..
    }) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!(*reason, LeaveReason::Left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_session_stops_and_does_not_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let state = EngineState::new();
    let (_first, mut first_events) = engine(relay.invite(), "Anna", state.clone());
    until(&mut first_events, "first in the room", is_joined(ROOM)).await;
    // The same install from a second window.
    let (_second, mut second_events) = engine(relay.invite(), "Anna", state);
    until(&mut second_events, "second in the room", is_joined(ROOM)).await;
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
