//! Joining and leaving rooms on one connection, against the real relay in-process:
//! refusals kept and not asked again, leaving while connected, rooms the operator
//! archives or removes, a relay that creates rooms on demand, and a state saved by the one-room engine resuming in the default
//! room.

mod support;

use common::protocol::*;
use engine::{Command, EngineState, Event, RoomStatus};
use relay::{Relay, RelayConfig};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_are_joined_and_left_while_connected_and_refusals_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let configured = [("classe", None), ("segreta", Some("k"))];
    let relay = relay_with_rooms(dir.path(), any_port(), &configured, false).await;
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    until(&mut events, "Anna in the default room", is_joined(ROOM)).await;
    let classe = relay.invite_for("classe").unwrap();
    let (_bruno, mut bruno_events) = engine(classe, "Bruno", EngineState::new());
    until(&mut bruno_events, "Bruno in classe", is_joined("classe")).await;

    let join = |room: &str, key: Option<&str>| Command::JoinRoom {
        room: room.into(),
        key: key.map(Into::into),
    };
    send(&anna, join("classe", None));
    until(&mut events, "Anna in classe", is_joined("classe")).await;
    say(&anna, "classe", "ciao classe");
    until(&mut bruno_events, "Anna's text", is_text("ciao classe")).await;

    send(&anna, join("segreta", None));
    send(&anna, join("nessuna", None));
    until(
        &mut events,
        "no key",
        room_status("segreta", RoomStatus::Refused(JoinRefusal::RoomKeyRequired)),
    )
    .await;
    until(
        &mut events,
        "no such room",
        room_status("nessuna", RoomStatus::Refused(JoinRefusal::NoSuchRoom)),
    )
    .await;
    let seen = until(&mut events, "refusals saved", |e| {
        matches!(e, Event::Saved(s) if s.rooms.get("nessuna").is_some_and(|r| r.refused.is_some()))
    })
    .await;
    let Some(Event::Saved(state)) = seen.last() else {
        unreachable!()
    };
    assert_eq!(state.rooms.len(), 4);

    // A new connection joins the rooms that let us in, not the ones that refused.
    send(&anna, Command::ReconnectNow);
    let mut joined = 0;
    let seen = until(&mut events, "back in two rooms", |e| {
        joined += usize::from(matches!(
            e,
            Event::RoomStatus {
                status: RoomStatus::Joined,
                ..
            }
        ));
        joined == 2
    })
    .await;
    assert!(
        !seen.iter().any(|e| matches!(e, Event::RoomStatus { room, .. } if room == "segreta" || room == "nessuna")),
        "{seen:#?}"
    );
    // Bruno sees her back (after the old session's leave).
    until(&mut bruno_events, "Anna back in classe", |e| {
        matches!(e, Event::Room { event: RoomEvent { kind: EventKind::Joined { name }, .. }, .. } if name == "Anna")
    })
    .await;
    send(&anna, join("segreta", Some("k")));
    until(&mut events, "the key was right", is_joined("segreta")).await;

    // Leaving: the relay logs it in that room, the room leaves the state.
    send(
        &anna,
        Command::LeaveRoom {
            room: "classe".into(),
        },
    );
    until(
        &mut events,
        "left classe",
        room_status("classe", RoomStatus::Left(RoomLeftReason::Left)),
    )
    .await;
    let left = until(&mut bruno_events, "Anna's leave", |e| {
        matches!(e, Event::Room { event: RoomEvent { kind: EventKind::Left { name, .. }, .. }, .. } if name == "Anna")
    })
    .await;
    assert!(matches!(
        left.last(),
        Some(Event::Room { room, event: RoomEvent { kind: EventKind::Left { reason: LeaveReason::Left, .. }, .. } }) if room == "classe"
    ));
    send(
        &anna,
        Command::LeaveRoom {
            room: "nessuna".into(),
        },
    );
    until(
        &mut events,
        "state without them",
        |e| matches!(e, Event::Saved(s) if s.rooms.keys().eq([ROOM, "segreta"])),
    )
    .await;
    // Still connected, still in the other rooms.
    say(&anna, ROOM, "ancora qui");
    let seen = until(&mut events, "ack", acks(1)).await;
    assert!(!seen.iter().any(|e| matches!(e, Event::Status(_))));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_the_operator_archives_stays_readable_and_one_removed_leaves_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let configured = [("aperta", None), ("chiusa", None)];
    let relay = relay_with_rooms(dir.path(), any_port(), &configured, false).await;
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    for room in ["aperta", "chiusa"] {
        send(
            &anna,
            Command::JoinRoom {
                room: room.into(),
                key: None,
            },
        );
    }
    until(&mut events, "in aperta", is_joined("aperta")).await;
    until(&mut events, "in chiusa", is_joined("chiusa")).await;

    let mut archived = rooms(&[("aperta", None)]);
    archived[0].archived = true;
    relay.reload_rooms(archived).await.unwrap();
    until(
        &mut events,
        "aperta archived",
        room_status("aperta", RoomStatus::Archived),
    )
    .await;
    until(
        &mut events,
        "chiusa deleted",
        room_status("chiusa", RoomStatus::Left(RoomLeftReason::Deleted)),
    )
    .await;
    until(
        &mut events,
        "chiusa out of the state",
        |e| matches!(e, Event::Saved(s) if !s.rooms.contains_key("chiusa")),
    )
    .await;
    say(&anna, "aperta", "troppo tardi");
    let seen = until(&mut events, "rejected", |e| {
        matches!(e, Event::Rejected { .. })
    })
    .await;
    assert!(matches!(
        seen.last(),
        Some(Event::Rejected { room, reason: RejectReason::Archived, .. }) if room == "aperta"
    ));
    // Still connected, still reading.
    assert!(!seen.iter().any(|e| matches!(e, Event::Status(_))));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_relay_creates_the_room_a_client_joins() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.open_rooms = true;
    let relay = Relay::start(config).await.unwrap();
    let (anna, mut events) = engine(relay.invite(), "Anna", EngineState::new());
    send(
        &anna,
        Command::JoinRoom {
            room: "nuova-stanza".into(),
            key: None,
        },
    );
    until(&mut events, "in the new room", is_joined("nuova-stanza")).await;
    say(&anna, "nuova-stanza", "prima parola");
    until(&mut events, "echo", is_text("prima parola")).await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_saved_by_the_one_room_engine_resumes_in_the_default_room() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (bruno, mut bruno_events) = engine(relay.invite(), "Bruno", EngineState::new());
    for text in ["visto 1", "visto 2", "nuovo per Anna"] {
        say(&bruno, ROOM, text);
    }
    until(&mut bruno_events, "stored", acks(3)).await;
    let log = relay_log(&relay.invite()).await;
    let seen_up_to = log
        .iter()
        .find(|e| texts_in(std::slice::from_ref(e)) == ["visto 2"])
        .unwrap()
        .seq;
    // What the app of the one-room engine saved: an install, a position, an outbox.
    let install = format!("[{}]", ["9"; 16].join(","));
    let old = format!(
        r#"{{"install":{install},"next_counter":8,"last_seq":{seen_up_to},
            "outbox":[{{"id":{{"install":{install},"counter":7}},"text":"dal vecchio engine"}}]}}"#
    );
    let state: EngineState = serde_json::from_str(&old).unwrap();
    let (_anna, mut events) = engine(relay.invite(), "Anna", state);
    let (mut acked, mut echoed) = (false, false);
    let seen = until(&mut events, "her old text stored and back", |e| {
        acked |= matches!(e, Event::Acked { .. });
        echoed |= is_text("dal vecchio engine")(e);
        acked && echoed
    })
    .await;
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::Welcome { room, gap: false, last_seq, .. } if room == ROOM && *last_seq > seen_up_to
    )));
    assert_eq!(
        texts_of(&seen, ROOM),
        ["nuovo per Anna", "dal vecchio engine"],
        "resumed after what it had seen"
    );
    let log = relay_log(&relay.invite()).await;
    assert_eq!(
        texts_in(&log),
        ["visto 1", "visto 2", "nuovo per Anna", "dal vecchio engine"]
    );
    relay.shutdown().await;
}
