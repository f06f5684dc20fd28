//! Clients that vanish without a word (a phone that lost the network): they stop
//! costing the relay quickly — evicted once their queue holds `queue_bytes` of room
//! traffic, and gone after QUIC's idle timeout (5 s) in a quiet room.

mod support;

use std::time::{Duration, Instant};

use common::{invite::Invite, protocol::*};
use relay::{Relay, RelayConfig};
use support::*;

/// Joins `name` on a runtime of its own and then freezes it: the client neither reads,
/// acknowledges nor sends keep-alives, and never closes — as if its device vanished.
async fn vanish(invite: &Invite, name: &str) {
    let (joined_tx, joined_rx) = tokio::sync::oneshot::channel();
    let invite = invite.clone();
    let name = name.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(async { join(&invite, &name).await });
        joined_tx.send(()).unwrap();
        // Nothing drives the runtime any more; keep it (and the client) alive, silent.
        let _keep = (rt, client);
        loop {
            std::thread::park();
        }
    });
    joined_rx.await.unwrap();
}

async fn online_becomes(relay: &Relay, n: usize, within: Duration) -> Duration {
    let start = Instant::now();
    while relay.stats().online != n {
        assert!(
            start.elapsed() < within,
            "still {} online after {within:?}",
            relay.stats().online
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

#[tokio::test]
async fn a_silent_client_in_a_quiet_room_is_gone_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (_a, _) = join(&invite, "Anna").await;
    vanish(&invite, "Fantasma").await;
    assert_eq!(relay.stats().online, 2);
    let took = online_becomes(&relay, 1, Duration::from_secs(9)).await;
    assert!(
        took > Duration::from_secs(3),
        "not before the idle timeout: {took:?}"
    );
    let log = read_log(&invite).await;
    assert!(log.iter().any(|e| matches!(&e.kind,
        EventKind::Left { name, reason: LeaveReason::ConnectionLost } if name == "Fantasma")));
    relay.shutdown().await;
}

#[tokio::test]
async fn a_silent_client_in_a_busy_room_is_evicted_once_its_queue_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.queue_bytes = 64 * 1024;
    config.limits.rate = RateLimit {
        per_second: 100_000,
        burst: 100_000,
    };
    let relay = start_with(config).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    vanish(&invite, "Fantasma").await;
    let start = Instant::now();
    let text = "x".repeat(1000);
    // About 2 MB of room traffic: more than QUIC's windows and the queue together.
    for _ in 0..20 {
        let ids = {
            let mut ids = Vec::new();
            for _ in 0..100 {
                ids.push(a.say(&text).await);
            }
            ids
        };
        a.outcomes(&ids).await;
        if relay.stats().evicted_slow == 1 {
            break;
        }
    }
    online_becomes(&relay, 1, Duration::from_secs(3)).await;
    assert_eq!(relay.stats().evicted_slow, 1);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "evicted for its queue, before the idle timeout: {:?}",
        start.elapsed()
    );
    relay.shutdown().await;
}
