//! What the cluster tests share: a relay's config on a [`NatsCluster`], the relays' logs
//! for a failing test, reading acks and messages together, and sending while the
//! stream's leader is killed.

use std::{path::Path, time::Duration};

use common::protocol::*;
use relay::{log::jetstream::ClusterConfig, RelayConfig};

use super::{nats::NatsCluster, Client};

/// The relays' logs, shown for a test that fails.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("relay=info,async_nats=warn")
        .with_test_writer()
        .try_init();
}

/// A relay on `cluster` with its data in `dir`, rate limits out of the way.
pub fn on(cluster: &NatsCluster, dir: &Path) -> RelayConfig {
    logs();
    let mut config = RelayConfig::for_tests(dir);
    config.limits.rate = RateLimit {
        per_second: 100_000,
        burst: 100_000,
    };
    config.cluster = Some(ClusterConfig::new(cluster.urls()));
    config
}

/// Reads until every id in `ids` is answered and `n` messages arrived: the answers in
/// the order of `ids`, and the (seq, text) of the messages in order.
pub async fn acks_and_messages(
    client: &mut Client,
    ids: &[ClientMsgId],
    n: usize,
) -> (Vec<Result<Seq, RejectReason>>, Vec<(Seq, String)>) {
    let mut answers = vec![None; ids.len()];
    let mut out = Vec::new();
    while out.len() < n || answers.iter().any(Option::is_none) {
        let (id, answer) = match client.next().await {
            Some(ServerFrame::Event { event, .. }) => {
                if let EventKind::Message { text, .. } = event.kind {
                    out.push((event.seq, text));
                }
                continue;
            }
            Some(ServerFrame::Ack { id, seq, .. }) => (id, Ok(seq)),
            Some(ServerFrame::Rejected { id, reason, .. }) => (id, Err(reason)),
            Some(_) => continue,
            None => panic!(
                "{}: {} messages, answers {answers:?}",
                client.name,
                out.len()
            ),
        };
        if let Some(at) = ids.iter().position(|i| *i == id) {
            answers[at] = Some(answer);
        }
    }
    (answers.into_iter().map(Option::unwrap).collect(), out)
}

/// `client` sends "messaggio 0" … "messaggio 119", 10 ms apart, and the node leading
/// the stream is killed before the 30th. Returns the (seq, text) of those acked —
/// most of them, asserted — waiting out the election (longer on a busy 2-core machine).
pub async fn say_while_the_leader_dies(
    cluster: &mut NatsCluster,
    client: &mut Client,
) -> Vec<(Seq, String)> {
    let leader = cluster.stream_leader("PIAZZA").await;
    let mut ids = Vec::new();
    for i in 0..120 {
        if i == 30 {
            cluster.kill(leader);
        }
        ids.push(client.say(&format!("messaggio {i}")).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let outcomes = client.outcomes_within(&ids, Duration::from_secs(60)).await;
    let acked: Vec<(Seq, String)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((*o.as_ref().ok()?, format!("messaggio {i}"))))
        .collect();
    assert!(acked.len() >= 100, "most messages acked: {outcomes:?}");
    acked
}
