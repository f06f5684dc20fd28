//! A relay that goes silent (a network that black-holes datagrams, a relay that hangs)
//! is noticed within 5 s, and the session resumes afterwards with nothing missed,
//! repeated or sent twice. Through a loopback UDP forwarder that can drop datagrams.

mod support;

use std::time::{Duration, Instant};

use common::protocol::*;
use engine::{EngineState, Event, Problem, Status};
use support::*;

/// What the app's banner promises: a silent relay is reported within 5 s.
const NOTICE: Duration = Duration::from_millis(5500);

fn unreachable(e: &Event) -> bool {
    matches!(
        e,
        Event::Status(Status::Reconnecting {
            problem: Problem::Unreachable,
            ..
        })
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_relay_is_noticed_within_5_s_and_the_session_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let forwarder = Forwarder::start(relay.addr()).await;
    let (anna, mut anna_events) = engine(
        forwarder.invite(&relay.invite()),
        "Anna",
        EngineState::new(),
    );
    let mut seen = until(&mut anna_events, "Anna in the room", is_joined(ROOM)).await;
    let (bruno, mut bruno_events) = engine(relay.invite(), "Bruno", EngineState::new());
    until(&mut bruno_events, "Bruno in the room", is_joined(ROOM)).await;
    say(&bruno, ROOM, "prima");
    seen.extend(until(&mut anna_events, "Bruno's first", is_text("prima")).await);

    // 1. Nothing gets through, right after Anna last heard from the relay and with
    // nothing for her to send: QUIC alone would notice only after its keep-alive plus
    // its idle timeout (7 s). Anna types and Bruno talks while she is cut off.
    forwarder.pass(Pass::Neither);
    let silent_at = Instant::now();
    seen.extend(
        until_within(
            &mut anna_events,
            NOTICE,
            "the relay unreachable",
            unreachable,
        )
        .await,
    );
    let noticed = silent_at.elapsed();
    say(&anna, ROOM, "scritto al buio");
    say(&bruno, ROOM, "mentre Anna non sente");
    until(
        &mut bruno_events,
        "Bruno's own",
        is_text("mentre Anna non sente"),
    )
    .await;
    forwarder.pass(Pass::Both);
    seen.extend(until(&mut anna_events, "Anna back", is_connected).await);
    seen.extend(
        until(
            &mut anna_events,
            "her text stored",
            is_text("scritto al buio"),
        )
        .await,
    );

    // 2. Anna's datagrams reach the relay, its answers (acks) are lost: her texts are
    // stored, she cannot know, and sends them again after reconnecting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    forwarder.pass(Pass::ToRelayOnly);
    let silent_at = Instant::now();
    for i in 1..=3 {
        say(&anna, ROOM, format!("ack perso {i}"));
    }
    until(
        &mut bruno_events,
        "Anna's texts arrive",
        is_text("ack perso 3"),
    )
    .await;
    seen.extend(
        until_within(
            &mut anna_events,
            NOTICE,
            "the relay unreachable again",
            unreachable,
        )
        .await,
    );
    let noticed_again = silent_at.elapsed();
    forwarder.pass(Pass::Both);
    seen.extend(until(&mut anna_events, "Anna back again", is_connected).await);
    let mut acked = seen
        .iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .count();
    while acked < 4 {
        let e = until(&mut anna_events, "every text acked", |e| {
            matches!(e, Event::Acked { .. })
        })
        .await;
        acked += 1;
        seen.extend(e);
    }
    say(&bruno, ROOM, "fine");
    seen.extend(until(&mut anna_events, "the last message", is_text("fine")).await);

    assert!(
        noticed <= NOTICE && noticed_again <= NOTICE,
        "{noticed:?} {noticed_again:?}"
    );
    eprintln!("silence noticed after {noticed:?}, then {noticed_again:?}");
    let log = relay_log(&relay.invite()).await;
    let anna_seqs = room_seqs(&seen);
    let log_seqs: Vec<Seq> = log.iter().map(|e| e.seq).collect();
    assert_eq!(
        anna_seqs,
        log_seqs[..anna_seqs.len()],
        "nothing missed or repeated"
    );
    assert_eq!(
        texts_in(&log),
        vec![
            "prima",
            // Anna's text waited in her outbox until she was back.
            "mentre Anna non sente",
            "scritto al buio",
            "ack perso 1",
            "ack perso 2",
            "ack perso 3",
            "fine"
        ],
        "each text exactly once"
    );
    let acks: Vec<_> = seen
        .iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .collect();
    assert_eq!(acks.len(), 4, "each text acked once: {acks:?}");
    drop((anna, bruno));
    relay.shutdown().await;
}
