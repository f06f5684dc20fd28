//! An owner keeps order through the engine, against the real relay on 127.0.0.1: the
//! owner key in the engine's config makes an owner, a non-owner's action is refused, a
//! removed message, a mute and a removal reach the others as events and problems.

mod support;

use common::protocol::*;
use engine::{Command, EngineConfig, EngineState, Event, RoomStatus};
use relay::{Relay, RelayConfig};
use support::*;

const OWNER_KEY: &str = "chiave-del-padrone";

fn welcomed_as(owner: bool) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Welcome { owner: o, .. } if *o == owner)
}

fn room_event(pick: impl Fn(&EventKind) -> bool) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Room { event, .. } if pick(&event.kind))
}

fn moderate(engine: &engine::Engine, action: Moderation) {
    send(
        engine,
        Command::Moderate {
            room: ROOM.into(),
            action,
        },
    );
}

#[tokio::test]
async fn an_owner_removes_a_message_mutes_and_removes_a_member() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.owner_key = Some(OWNER_KEY.into());
    let relay = Relay::start(config).await.unwrap();
    let invite = relay.invite();

    let mut owner = EngineConfig::new(invite.clone(), "Anna", EngineState::new());
    owner.owner_key = Some(OWNER_KEY.into());
    let (anna, mut anna_events) = engine::start(owner);
    until(&mut anna_events, "Anna an owner", welcomed_as(true)).await;
    let (bruno, mut bruno_events) = engine(invite.clone(), "Bruno", EngineState::new());
    until(&mut bruno_events, "Bruno not an owner", welcomed_as(false)).await;
    let (_carla, mut carla_events) = engine(invite.clone(), "Carla", EngineState::new());
    until(&mut carla_events, "Carla joined", welcomed_as(false)).await;

    say(&bruno, ROOM, "un messaggio brutto");
    let seen = until(
        &mut carla_events,
        "Bruno's message",
        is_text("un messaggio brutto"),
    )
    .await;
    let bad = *seqs_in(&seen, ROOM).last().unwrap();

    moderate(&bruno, Moderation::RemoveMessage { seq: bad });
    until(&mut bruno_events, "Bruno refused", |e| {
        matches!(
            e,
            Event::ModerationRefused {
                reason: ModerationRefusal::NotOwner,
                ..
            }
        )
    })
    .await;

    moderate(&anna, Moderation::RemoveMessage { seq: bad });
    let removed = |k: &EventKind| matches!(k, EventKind::MessageRemoved { seq, .. } if *seq == bad);
    until(&mut carla_events, "the removal", room_event(removed)).await;

    let mute = Moderation::Mute {
        name: "Bruno".into(),
        minutes: 5,
    };
    moderate(&anna, mute);
    let muted = |k: &EventKind| matches!(k, EventKind::Muted { name, .. } if name == "Bruno");
    until(&mut carla_events, "the mute", room_event(muted)).await;
    until(&mut bruno_events, "the mute", room_event(muted)).await;
    say(&bruno, ROOM, "posso?");
    until(&mut bruno_events, "Bruno's message rejected", |e| {
        matches!(
            e,
            Event::Rejected {
                reason: RejectReason::Muted { .. },
                ..
            }
        )
    })
    .await;

    let out = Moderation::RemoveMember {
        name: "Bruno".into(),
        reason: "spam".into(),
    };
    moderate(&anna, out);
    let left = RoomStatus::Left(RoomLeftReason::Removed {
        by: "Anna".into(),
        reason: "spam".into(),
    });
    until(&mut bruno_events, "Bruno removed", room_status(ROOM, left)).await;
    let member_removed =
        |k: &EventKind| matches!(k, EventKind::MemberRemoved { name, .. } if name == "Bruno");
    until(
        &mut carla_events,
        "Bruno's removal",
        room_event(member_removed),
    )
    .await;

    // A newcomer gets the message without its text.
    let (_dario, mut dario_events) = engine(invite, "Dario", EngineState::new());
    let seen = until(
        &mut dario_events,
        "the redacted message",
        |e| matches!(e, Event::Room { event, .. } if event.seq == bad),
    )
    .await;
    let event = seen.iter().find_map(|e| match e {
        Event::Room { event, .. } if event.seq == bad => Some(event.kind.clone()),
        _ => None,
    });
    assert!(
        matches!(event, Some(EventKind::Redacted { .. })),
        "{event:?}"
    );
    assert!(!format!("{seen:?}").contains("brutto"));
    relay.shutdown().await;
}
