//! The engine on two relays sharing a room through a real 3-node NATS JetStream cluster
//! (the relay's test helper starts it): people on different relays talk in one order;
//! when a relay stops, the engine on it moves to the other address of its invite and
//! resumes, losing and repeating nothing.

#[allow(dead_code)]
#[path = "../../../relay/tests/support/nats.rs"]
mod nats;
mod support;

use std::{net::SocketAddr, time::Duration};

use common::invite::Address;
use engine::EngineState;
use relay::{log::jetstream::ClusterConfig, Relay, RelayConfig};
use support::*;

fn free_port() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// A relay on the cluster at `port`, advertising `ports`; `cert_of` lends it another
/// relay's certificate (one for the cluster).
async fn relay_on(
    cluster: &nats::NatsCluster,
    dir: &std::path::Path,
    port: u16,
    ports: &[u16],
    cert_of: Option<&std::path::Path>,
) -> Relay {
    let mut config = RelayConfig::for_tests(dir);
    config.listen = SocketAddr::from(([127, 0, 0, 1], port));
    config.cluster = Some(ClusterConfig::new(cluster.urls()));
    config.advertise = ports
        .iter()
        .map(|port| Address {
            host: "127.0.0.1".into(),
            port: *port,
        })
        .collect();
    config.cert = cert_of.map(|d| (d.join(certs::CERT_FILE), d.join(certs::KEY_FILE)));
    Relay::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_on_two_relays_talk_and_one_moves_when_its_relay_stops() {
    let cluster = nats::NatsCluster::start().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ports = [free_port(), free_port()];
    let a = relay_on(&cluster, dir_a.path(), ports[0], &ports, None).await;
    let b = relay_on(&cluster, dir_b.path(), ports[1], &ports, Some(dir_a.path())).await;
    let invite = a.invite();
    assert_eq!(invite.addresses().len(), 2, "{invite}");
    // Anna's app tries relay A first; Bruno's, relay B.
    let (anna, mut anna_events) = engine(invite.clone(), "Anna", EngineState::new());
    let via_b = invite.via(&invite.addresses()[1]);
    let (bruno, mut bruno_events) = engine(via_b.clone(), "Bruno", EngineState::new());
    until(&mut anna_events, "Anna in", is_joined(ROOM)).await;
    until(&mut bruno_events, "Bruno in", is_joined(ROOM)).await;
    say(&anna, ROOM, "ciao da A");
    say(&bruno, ROOM, "ciao da B");
    let texts = ["ciao da A".to_string(), "ciao da B".to_string()];
    let mut anna_seen = until_texts(&mut anna_events, "both, for Anna", &texts).await;
    let mut bruno_seen = until_texts(&mut bruno_events, "both, for Bruno", &texts).await;
    assert_eq!(
        texts_of(&anna_seen, ROOM),
        texts_of(&bruno_seen, ROOM),
        "one order on both relays"
    );

    // Relay A stops: Anna's engine goes to B (the invite's other address) and resumes.
    a.shutdown().await;
    anna_seen.extend(until(&mut anna_events, "reconnecting", is_reconnecting).await);
    say(&anna, ROOM, "scritto mentre A si ferma");
    anna_seen.extend(until(&mut anna_events, "on relay B", is_connected).await);
    let more = ["scritto mentre A si ferma".to_string()];
    anna_seen.extend(until_texts(&mut anna_events, "stored via B", &more).await);
    bruno_seen.extend(until_texts(&mut bruno_events, "Bruno sees it", &more).await);

    let log = relay_log(&via_b).await;
    let mut stored = texts_in(&log);
    assert_eq!(
        stored.pop().as_deref(),
        Some("scritto mentre A si ferma"),
        "the message written while A stopped comes last"
    );
    stored.sort();
    assert_eq!(
        stored, texts,
        "each message once (A's and B's in the stream's order)"
    );
    assert_eq!(texts_of(&anna_seen, ROOM), texts_in(&log));
    assert_eq!(texts_of(&bruno_seen, ROOM), texts_in(&log));
    let seqs = seqs_in(&anna_seen, ROOM);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    drop((anna, bruno));
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.shutdown().await;
}
