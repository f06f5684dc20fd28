//! Room logs in NATS JetStream (`--cluster`): a real 3-node nats-server cluster
//! (`support::nats`), the relay on it. Chatting, a restart on a fresh data directory,
//! a resend after the duplicate window, a node killed while a client sends.

mod support;

use std::{collections::HashMap, time::Duration};

use async_nats::jetstream;
use common::protocol::*;
use support::{cluster::*, nats::NatsCluster, process, *};

/// The (seq, text) of every message in the invite's room, as a fresh client reads it.
async fn logged(invite: &common::invite::Invite) -> Vec<(Seq, String)> {
    messages_in(&read_log(invite).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_chat_through_a_relay_process_on_the_cluster_in_one_order() {
    let cluster = NatsCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let urls = cluster.urls().join(",");
    let mut relay = process::spawn(
        dir.path(),
        "127.0.0.1:0",
        &["--cluster", &urls, "--rate", "1000", "--burst", "1000"],
    );
    let (mut anna, _) = join(&relay.invite, "Anna").await;
    let (mut bruno, _) = join(&relay.invite, "Bruno").await;
    let (mut from_anna, mut from_bruno) = (Vec::new(), Vec::new());
    for i in 0..20 {
        from_anna.push(anna.say(&format!("anna {i}")).await);
        from_bruno.push(bruno.say(&format!("bruno {i}")).await);
    }
    let mut acked = HashMap::new();
    let mut seen = Vec::new();
    for (client, ids) in [(&mut anna, &from_anna), (&mut bruno, &from_bruno)] {
        let (acks, got) = acks_and_messages(client, ids, 40).await;
        acked.extend(
            ids.iter()
                .copied()
                .zip(acks.into_iter().map(Result::unwrap)),
        );
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1], "both got every message in one order");
    let seqs: Vec<Seq> = seen[0].iter().map(|m| m.0).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seqs increase: {seqs:?}"
    );
    let mut acked_seqs: Vec<Seq> = acked.values().copied().collect();
    acked_seqs.sort();
    assert_eq!(
        acked_seqs, seqs,
        "each ack names the seq the message was delivered with"
    );
    let _ = relay.child.kill();
    let _ = relay.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restarted_on_a_fresh_data_dir_serves_history_and_resumes_from_the_cluster() {
    let cluster = NatsCluster::start().await;
    let first_dir = tempfile::tempdir().unwrap();
    let relay = start_with(on(&cluster, first_dir.path())).await;
    let (mut anna, _) = join(&relay.invite(), "Anna").await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(anna.say(&format!("prima {i}")).await);
    }
    let seqs = anna.acked_seqs(&ids).await;
    let before = logged(&relay.invite()).await;
    assert_eq!(before.len(), 30);
    drop(anna);
    relay.shutdown().await;

    let second_dir = tempfile::tempdir().unwrap();
    let relay = start_with(on(&cluster, second_dir.path())).await;
    let invite = relay.invite();
    assert_eq!(
        logged(&invite).await,
        before,
        "the history is the cluster's"
    );
    // A resume after the 10th message replays exactly the 20 after it.
    let (mut bruno, w) = join_as(&invite, "Bruno", InstallId::random(), Some(seqs[9])).await;
    let mut replay = messages_in(&w.backlog);
    while replay.last().is_none_or(|m| m.0 < seqs[29]) {
        let (seq, _, text) = bruno.next_message().await;
        replay.push((seq, text));
    }
    assert_eq!(replay, before[10..].to_vec());
    // New messages come after the old ones.
    let id = bruno.say("dopo").await;
    let seq = bruno.ack_of(id).await.unwrap();
    assert!(seq > seqs[29]);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_after_the_duplicate_window_is_acked_with_its_first_seq_and_stored_once() {
    let cluster = NatsCluster::start().await;
    let config = |dir: &std::path::Path| {
        let mut config = on(&cluster, dir);
        let c = config.cluster.as_mut().unwrap();
        c.duplicate_window = Duration::from_secs(1);
        // Only the last event in memory: the resend must go to the log.
        config.limits.history = 1;
        config
    };
    let first_dir = tempfile::tempdir().unwrap();
    let relay = start_with(config(first_dir.path())).await;
    let install = InstallId::random();
    let (mut anna, _) = join_as(&relay.invite(), "Anna", install, None).await;
    let ids = [
        anna.say("una").await,
        anna.say("due").await,
        anna.say("tre").await,
    ];
    let seqs = anna.acked_seqs(&ids).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // On this relay (the id known to the log's records, not to memory).
    let room = anna.room;
    let resend = ClientFrame::Send {
        room,
        id: ids[0],
        text: "una".into(),
    };
    anna.send_frame(&resend).await;
    assert_eq!(anna.ack_of(ids[0]).await, Ok(seqs[0]));
    drop(anna);
    relay.shutdown().await;

    // On a relay with a fresh data dir: its install counters come from the cluster too.
    let second_dir = tempfile::tempdir().unwrap();
    let relay = start_with(config(second_dir.path())).await;
    let invite = relay.invite();
    let (mut anna, _) = join_as(&invite, "Anna", install, None).await;
    anna.send_frame(&resend).await;
    assert_eq!(anna.ack_of(ids[0]).await, Ok(seqs[0]));
    let texts: Vec<String> = logged(&invite).await.into_iter().map(|m| m.1).collect();
    assert_eq!(texts, ["una", "due", "tre"], "stored once");
    // And in the stream itself: three messages in the room.
    let js = jetstream::new(cluster.client().await);
    let mut stream = js.get_stream("PIAZZA").await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(info.config.duplicate_window, Duration::from_secs(1));
    let subject = format!("piazza.room.{:016x}", room.0);
    let last = stream.direct_get_last_for_subject(&subject).await.unwrap();
    assert!(
        last.sequence > seqs[2],
        "joins and leaves only after the three"
    );
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_stream_leader_while_a_client_sends_loses_no_acked_message() {
    let mut cluster = NatsCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(on(&cluster, dir.path())).await;
    let invite = relay.invite();
    let (mut anna, _) = join(&invite, "Anna").await;
    let acked = say_while_the_leader_dies(&mut cluster, &mut anna).await;
    let log = logged(&invite).await;
    for m in &acked {
        assert!(log.contains(m), "acked {m:?} is in the log");
    }
    let mut texts: Vec<&String> = log.iter().map(|m| &m.1).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), log.len(), "no message stored twice");
    drop(anna);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rooms_command_lists_a_clusters_rooms_and_says_how_to_change_them() {
    let cluster = NatsCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = on(&cluster, dir.path());
    config.rooms = vec![relay::RoomConfig::parse_flag("classe-3b").unwrap()];
    let relay = start_with(config).await;
    let urls = cluster.urls().join(",");
    let rooms = |action: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_piazza-relay"))
            .args(["rooms", "--cluster", &urls, action])
            .args((action != "list").then_some("classe-3b"))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let list = rooms("list");
    let out = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert!(out.contains("classe-3b"), "{out}");
    let archive = rooms("archive");
    assert!(!archive.status.success());
    let err = String::from_utf8_lossy(&archive.stderr);
    assert!(err.contains("rooms file and a reload"), "{err}");
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_reaches_a_cluster_that_wants_a_user_and_password() {
    let auth = "authorization {\n  user: piazza\n  password: \"segreta lunga\"\n}";
    let cluster = NatsCluster::start_with(auth, Some(("piazza", "segreta lunga"))).await;
    let dir = tempfile::tempdir().unwrap();
    let urls = cluster.urls().join(",");
    // The password from the environment, as the systemd unit's EnvironmentFile gives it.
    let relay = process::spawn_with_env(
        dir.path(),
        "127.0.0.1:0",
        &["--cluster", &urls, "--nats-user", "piazza"],
        &[("PIAZZA_NATS_PASSWORD", "segreta lunga")],
    );
    let (mut anna, _) = join(&relay.invite, "Anna").await;
    let id = anna.say("con la password").await;
    assert!(anna.ack_of(id).await.is_ok());
    relay.kill();
}
