//! A resume this client cannot decode (issue 12: a welcome over the decoder's limit) is
//! followed by a join without resuming, not by failing for ever. Against a fake relay
//! (real QUIC and TLS) that sends chosen bytes.

mod support;

use std::time::Duration;

use bytes::Bytes;
use common::protocol::*;
use engine::{EngineState, Event, Problem, Status};
use support::*;

fn resuming_from(last_seq: Seq) -> EngineState {
    EngineState {
        last_seq: Some(last_seq),
        ..EngineState::new()
    }
}

fn failed_protocol(e: &Event) -> bool {
    matches!(e, Event::Status(Status::Failed(Problem::Undecodable(_))))
}

/// The recent backlog of a room at seq 600: events 501 to 600.
fn recent_backlog() -> Vec<Bytes> {
    vec![encoded(&fake_welcome(
        600,
        (501..=600).map(joined_event).collect(),
    ))]
}

async fn recovers(fake: FakeRelay) {
    let (_anna, mut events) = engine(fake.invite.clone(), "Anna", resuming_from(10));
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
            name: "Anna".into(),
            last_seq: 600,
            gap: true
        }),
        "events 11 to 500 were skipped: a visible gap"
    );
    let seen = until(
        &mut events,
        "the backlog",
        |e| matches!(e, Event::Room(r) if r.seq == 600),
    )
    .await;
    assert_eq!(room_seqs(&seen), (501..=600).collect::<Vec<_>>());
    status_stays(&mut events, Duration::from_secs(1), "settled").await;
    let resumes: Vec<Option<Seq>> = fake.hellos().iter().map(|h| h.resume_after).collect();
    assert_eq!(resumes, vec![Some(10), None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_with_a_frame_the_client_cannot_decode_is_followed_by_a_join_with_a_visible_gap() {
    // Resuming: a welcome, then a frame no client can decode. Joining: the recent backlog.
    recovers(FakeRelay::start(|hello| match hello.resume_after {
        Some(_) => vec![encoded(&fake_welcome(600, Vec::new())), undecodable_frame()],
        None => recent_backlog(),
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_whose_welcome_cannot_be_decoded_is_followed_by_a_join_with_a_visible_gap() {
    recovers(FakeRelay::start(|hello| match hello.resume_after {
        Some(_) => vec![undecodable_frame()],
        None => recent_backlog(),
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_undecodable_join_in_a_row_fails_for_good() {
    let fake =
        FakeRelay::start(|_| vec![encoded(&fake_welcome(600, Vec::new())), undecodable_frame()]);
    let (_anna, mut events) = engine(fake.invite.clone(), "Anna", resuming_from(10));
    until(&mut events, "failure", failed_protocol).await;
    nothing_more(&mut events, Duration::from_secs(2), "kept trying").await;
    let resumes: Vec<Option<Seq>> = fake.hellos().iter().map(|h| h.resume_after).collect();
    assert_eq!(resumes, vec![Some(10), None], "one recovery, then stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_join_that_cannot_be_decoded_fails_at_once() {
    let fake = FakeRelay::start(|_| vec![undecodable_frame()]);
    let (_anna, mut events) = engine(fake.invite.clone(), "Anna", EngineState::new());
    until(&mut events, "failure", failed_protocol).await;
    nothing_more(&mut events, Duration::from_secs(2), "kept trying").await;
    assert_eq!(fake.hellos().len(), 1);
}
