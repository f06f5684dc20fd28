//! A resume this client cannot decode (issue 12: a welcome over the decoder's limit) is
//! followed by joining that room without resuming, not by failing for ever; the other
//! rooms resume as usual. Against a fake relay (real QUIC and TLS) that answers joins
//! with chosen bytes: the real relay never sends what a client cannot decode.

mod support;

use std::time::Duration;

use bytes::Bytes;
use common::protocol::*;
use engine::{EngineState, Event, Problem, RoomState, Status};
use support::*;

/// A state in these rooms, each with its last seq.
fn resuming(rooms: &[(&str, Seq)]) -> EngineState {
    let mut state = EngineState::new();
    for (room, last_seq) in rooms {
        let room_state = RoomState {
            last_seq: Some(*last_seq),
            ..RoomState::default()
        };
        state.rooms.insert(room.to_string(), room_state);
    }
    state
}

fn failed_protocol(e: &Event) -> bool {
    matches!(e, Event::Status(Status::Failed(Problem::Undecodable(_))))
}

/// The recent backlog of `room` at seq 600: events 501 to 600.
fn recent_backlog(room: &str) -> Vec<Bytes> {
    vec![encoded(&fake_welcome(
        room,
        600,
        (501..=600).map(joined_event).collect(),
    ))]
}

async fn recovers(fake: FakeRelay) {
    let (_anna, mut events) = engine(fake.invite.clone(), "Anna", resuming(&[(ROOM, 10)]));
    let seen = until(&mut events, "the recovering welcome", |e| {
        matches!(e, Event::Welcome { gap: true, .. })
    })
    .await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            Event::Status(Status::Reconnecting {
                problem: Problem::Undecodable(_),
                ..
            })
        )),
        "{seen:#?}"
    );
    assert_eq!(
        seen.last(),
        Some(&Event::Welcome {
            room: ROOM.into(),
            name: "Anna".into(),
            last_seq: 600,
            gap: true,
            archived: false,
            owner: false,
        }),
        "events 11 to 500 were skipped: a visible gap"
    );
    let seen = until(
        &mut events,
        "the backlog",
        |e| matches!(e, Event::Room { event, .. } if event.seq == 600),
    )
    .await;
    assert_eq!(room_seqs(&seen), (501..=600).collect::<Vec<_>>());
    status_stays(&mut events, Duration::from_secs(1), "settled").await;
    assert_eq!(
        fake.joins(),
        vec![(ROOM.into(), Some(10)), (ROOM.into(), None)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_with_a_frame_the_client_cannot_decode_is_followed_by_a_join_with_a_visible_gap() {
    // Resuming: a welcome, then a frame no client can decode. Joining: the recent backlog.
    recovers(FakeRelay::start(|join| match join.resume_after {
        Some(_) => vec![
            encoded(&fake_welcome(ROOM, 600, Vec::new())),
            undecodable_frame(),
        ],
        None => recent_backlog(ROOM),
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_whose_welcome_cannot_be_decoded_is_followed_by_a_join_with_a_visible_gap() {
    recovers(FakeRelay::start(|join| match join.resume_after {
        Some(_) => vec![undecodable_frame()],
        None => recent_backlog(ROOM),
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_room_whose_resume_failed_joins_without_resuming() {
    // "a" is welcomed first and has nothing new; "b"'s resume brings what cannot be read.
    let fake = FakeRelay::start(|join| match (join.room.as_str(), join.resume_after) {
        ("a", _) => vec![encoded(&fake_welcome("a", 20, Vec::new()))],
        (room, Some(_)) => vec![
            encoded(&fake_welcome(room, 600, Vec::new())),
            undecodable_frame(),
        ],
        (room, None) => recent_backlog(room),
    });
    let (_anna, mut events) = engine(
        fake.invite.clone(),
        "Anna",
        resuming(&[("a", 20), ("b", 10)]),
    );
    let seen = until(
        &mut events,
        "b's recovering welcome",
        |e| matches!(e, Event::Welcome { room, gap: true, .. } if room == "b"),
    )
    .await;
    assert!(seen
        .iter()
        .filter(|e| matches!(e, Event::Welcome { room, .. } if room == "a"))
        .all(|e| matches!(e, Event::Welcome { gap: false, .. })));
    until(
        &mut events,
        "b's backlog",
        |e| matches!(e, Event::Room { room, event } if room == "b" && event.seq == 600),
    )
    .await;
    status_stays(&mut events, Duration::from_secs(1), "settled").await;
    assert_eq!(
        fake.joins(),
        vec![
            ("a".into(), Some(20)),
            ("b".into(), Some(10)),
            ("a".into(), Some(20)),
            ("b".into(), None)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_undecodable_join_in_a_row_fails_for_good() {
    let fake = FakeRelay::start(|join| {
        vec![
            encoded(&fake_welcome(&join.room, 600, Vec::new())),
            undecodable_frame(),
        ]
    });
    let (_anna, mut events) = engine(fake.invite.clone(), "Anna", resuming(&[(ROOM, 10)]));
    until(&mut events, "failure", failed_protocol).await;
    nothing_more(&mut events, Duration::from_secs(2), "kept trying").await;
    assert_eq!(
        fake.joins(),
        vec![(ROOM.into(), Some(10)), (ROOM.into(), None)],
        "one recovery, then stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_join_that_cannot_be_decoded_fails_at_once() {
    let fake = FakeRelay::start(|_| vec![undecodable_frame()]);
    let (_anna, mut events) = engine(fake.invite.clone(), "Anna", EngineState::new());
    until(&mut events, "failure", failed_protocol).await;
    nothing_more(&mut events, Duration::from_secs(2), "kept trying").await;
    assert_eq!(fake.joins().len(), 1);
}
