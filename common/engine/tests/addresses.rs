//! An invite with several addresses (the relays of a cluster share one certificate):
//! the engine gets through the one that answers, and moves to another when the relay
//! it was on goes away, losing and repeating nothing.

mod support;

use std::{net::SocketAddr, time::Duration};

use common::{invite::Address, protocol::*};
use engine::EngineState;
use support::*;

/// A UDP port where nothing will answer: bound, and never read.
fn silent_port() -> (std::net::UdpSocket, u16) {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// A free UDP port on loopback, for a relay started later.
fn free_port() -> u16 {
    silent_port().1
}

fn loopback(port: u16) -> Address {
    Address {
        host: "127.0.0.1".into(),
        port,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_does_not_answer_passes_the_attempt_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_at(dir.path(), any_port()).await;
    let (_silent, dead) = silent_port();
    let mut invite = relay.invite();
    invite.more = vec![invite.first()];
    invite.port = dead;
    assert!(invite.to_string().contains(&format!(
        "127.0.0.1:{dead},127.0.0.1:{}/",
        relay.addr().port()
    )));
    let (_anna, mut events) = engine(invite, "Anna", EngineState::new());
    // One place's share of the attempt (3 s), then the relay: well within one attempt.
    until_within(
        &mut events,
        Duration::from_secs(8),
        "joined",
        is_joined(ROOM),
    )
    .await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_its_relay_goes_away_the_engine_resumes_through_another_address() {
    let dir = tempfile::tempdir().unwrap();
    let first = relay_at(dir.path(), any_port()).await;
    let second_port = free_port();
    let mut invite = first.invite();
    invite.more = vec![loopback(second_port)];
    let (anna, mut anna_events) = engine(invite.clone(), "Anna", EngineState::new());
    let mut seen = until(&mut anna_events, "connected", is_joined(ROOM)).await;
    say(&anna, ROOM, "dal primo relay");
    seen.extend(until(&mut anna_events, "stored", acks(1)).await);

    // The first relay stops; the other one (same certificate, same log, as a
    // cluster's relays share them) serves from the other address.
    first.shutdown().await;
    seen.extend(until(&mut anna_events, "reconnecting", is_reconnecting).await);
    say(&anna, ROOM, "scritto nel frattempo");
    let second = relay_at(dir.path(), SocketAddr::from(([127, 0, 0, 1], second_port))).await;
    seen.extend(until(&mut anna_events, "reconnected", is_connected).await);
    seen.extend(until(&mut anna_events, "the waiting message stored", acks(1)).await);
    say(&anna, ROOM, "dal secondo relay");
    seen.extend(until(&mut anna_events, "stored", acks(1)).await);

    let log = relay_log(&second.invite()).await;
    assert_eq!(
        texts_in(&log),
        [
            "dal primo relay",
            "scritto nel frattempo",
            "dal secondo relay"
        ],
        "each message once, in order"
    );
    // What the engine saw is the log's: every seq once, in order, nothing else.
    let log_seqs: Vec<Seq> = log.iter().map(|e| e.seq).collect();
    let seen_seqs = seqs_in(&seen, ROOM);
    assert!(seen_seqs.windows(2).all(|w| w[0] < w[1]), "{seen_seqs:?}");
    assert!(
        seen_seqs.iter().all(|s| log_seqs.contains(s)),
        "seen {seen_seqs:?} vs log {log_seqs:?}"
    );
    assert_eq!(texts_of(&seen, ROOM), texts_in(&log));
    drop(anna);
    second.shutdown().await;
}
