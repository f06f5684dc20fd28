//! Several relays sharing rooms through a real 3-node nats-server cluster: one order
//! for everyone, exactly once, names unique and presence seen across relays, a relay
//! killed under load, the whole cluster down and back.

mod support;

use std::{collections::HashSet, path::Path, time::Duration};

use common::protocol::*;
use relay::{Relay, RelayConfig};
use support::{cluster::*, nats::NatsCluster, process, *};

/// A second relay's config: the first one's certificate (one for the cluster).
fn sharing_cert(mut config: RelayConfig, first: &Path) -> RelayConfig {
    config.cert = Some((first.join(certs::CERT_FILE), first.join(certs::KEY_FILE)));
    config
}

/// Two relays on `cluster`, the second with the first one's certificate.
async fn two_relays(
    cluster: &NatsCluster,
    tune: impl Fn(&mut RelayConfig),
) -> (Relay, Relay, [tempfile::TempDir; 2]) {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut a = on(cluster, dirs[0].path());
    tune(&mut a);
    let a = start_with(a).await;
    let mut b = sharing_cert(on(cluster, dirs[1].path()), dirs[0].path());
    tune(&mut b);
    let b = start_with(b).await;
    assert_eq!(
        a.fingerprint(),
        b.fingerprint(),
        "one certificate for the cluster"
    );
    (a, b, dirs)
}

/// Reads until `n` messages arrived: their (seq, text), in order (acks and other
/// events skipped).
async fn messages(client: &mut Client, n: usize) -> Vec<(Seq, String)> {
    acks_and_messages(client, &[], n).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_of_two_relays_see_one_room_in_one_order_exactly_once() {
    let cluster = NatsCluster::start().await;
    let (a, b, _dirs) = two_relays(&cluster, |_| {}).await;
    let (mut anna, _) = join(&a.invite(), "Anna").await;
    let (mut bruno, welcome) = join(&b.invite(), "Bruno").await;
    assert!(
        welcome.members.contains(&"Anna".to_string()),
        "a member of the other relay is online: {:?}",
        welcome.members
    );
    let (mut from_anna, mut from_bruno) = (Vec::new(), Vec::new());
    for i in 0..25 {
        from_anna.push(anna.say(&format!("anna {i}")).await);
        from_bruno.push(bruno.say(&format!("bruno {i}")).await);
    }
    let (anna_acks, seen_by_anna) = acks_and_messages(&mut anna, &from_anna, 50).await;
    let (bruno_acks, seen_by_bruno) = acks_and_messages(&mut bruno, &from_bruno, 50).await;
    assert_eq!(seen_by_anna, seen_by_bruno, "one order on both relays");
    let texts: HashSet<&String> = seen_by_anna.iter().map(|m| &m.1).collect();
    assert_eq!(texts.len(), 50, "each message once");
    let seqs: Vec<Seq> = seen_by_anna.iter().map(|m| m.0).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seqs increase");
    let mut acked: Vec<Seq> = anna_acks
        .into_iter()
        .chain(bruno_acks)
        .map(Result::unwrap)
        .collect();
    acked.sort();
    assert_eq!(acked, seqs, "each ack names its message's seq");
    // What a newcomer reads, from either relay, is the same.
    let from_a = messages_in(&read_log(&a.invite()).await);
    assert_eq!(from_a, messages_in(&read_log(&b.invite()).await));
    assert_eq!(from_a, seen_by_anna);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_is_unique_across_relays_and_its_install_takes_it_along() {
    let cluster = NatsCluster::start().await;
    let (a, b, _dirs) = two_relays(&cluster, |_| {}).await;
    let install = InstallId::random();
    let (anna, _) = join_as(&a.invite(), "Anna", install, None).await;
    assert_eq!(
        join_refused(&b.invite(), "anna", InstallId::random()).await,
        JoinRefusal::NameTaken,
        "another install cannot use the name through the other relay"
    );
    // The same install (moving to relay B) can.
    let (mut again, _) = join_as(&b.invite(), "Anna", install, None).await;
    let id = again.say("da B").await;
    assert!(again.ack_of(id).await.is_ok());
    anna.connection.close(0u32.into(), b"bye");
    drop(again);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_through_another_relay_after_the_duplicate_window_gets_its_first_seq() {
    let cluster = NatsCluster::start().await;
    let (a, b, _dirs) = two_relays(&cluster, |c| {
        c.cluster.as_mut().unwrap().duplicate_window = Duration::from_secs(1);
        c.limits.history = 1;
    })
    .await;
    let install = InstallId::random();
    let (mut anna, _) = join_as(&a.invite(), "Anna", install, None).await;
    let ids = [anna.say("una").await, anna.say("due").await];
    let seqs = anna.acked_seqs(&ids).await;
    let room = anna.room;
    anna.connection.close(0u32.into(), b"moving");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (mut moved, _) = join_as(&b.invite(), "Anna", install, None).await;
    let resend = ClientFrame::Send {
        room,
        id: ids[0],
        text: "una".into(),
    };
    moved.send_frame(&resend).await;
    assert_eq!(moved.ack_of(ids[0]).await, Ok(seqs[0]));
    let texts: Vec<String> = messages_in(&read_log(&b.invite()).await)
        .into_iter()
        .map(|m| m.1)
        .collect();
    assert_eq!(texts, ["una", "due"], "stored once");
    a.shutdown().await;
    b.shutdown().await;
}

/// The answer to `id`, however long the cluster takes to give up or come back (each
/// write is retried for `retry_for`, each try waits up to 5 s).
async fn answer(client: &mut Client, id: ClientMsgId) -> Result<Seq, RejectReason> {
    loop {
        match client.next_within(Duration::from_secs(60)).await {
            Ok(ServerFrame::Ack { id: got, seq, .. }) if got == id => return Ok(seq),
            Ok(ServerFrame::Rejected {
                id: got, reason, ..
            }) if got == id => return Err(reason),
            Ok(_) => {}
            Err(e) => panic!("no answer for {id:?}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_whole_cluster_down_sends_are_refused_and_everything_recovers_after() {
    let mut cluster = NatsCluster::start().await;
    let (a, b, _dirs) = two_relays(&cluster, |c| {
        c.cluster.as_mut().unwrap().retry_for = Duration::from_secs(2);
    })
    .await;
    let (mut anna, _) = join(&a.invite(), "Anna").await;
    let (mut bruno, _) = join(&b.invite(), "Bruno").await;
    let first = anna.say("prima").await;
    assert!(anna.ack_of(first).await.is_ok());
    assert_eq!(messages(&mut bruno, 1).await[0].1, "prima");
    for i in 0..3 {
        cluster.kill(i);
    }
    let lost = anna.say("durante").await;
    assert_eq!(
        answer(&mut anna, lost).await,
        Err(RejectReason::Unavailable),
        "refused with a reason the app shows"
    );
    for i in 0..3 {
        cluster.start_node(i);
    }
    // Sent again (the app's retry: the same id) once the cluster is back.
    let resend = ClientFrame::Send {
        room: anna.room,
        id: lost,
        text: "durante".into(),
    };
    let mut acked = None;
    for _ in 0..60 {
        anna.send_frame(&resend).await;
        match answer(&mut anna, lost).await {
            Ok(seq) => {
                acked = Some(seq);
                break;
            }
            Err(RejectReason::Unavailable) => tokio::time::sleep(Duration::from_millis(500)).await,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(acked.is_some(), "the cluster came back");
    let after = anna.say("dopo").await;
    assert!(anna.ack_of(after).await.is_ok());
    let texts: Vec<String> = messages(&mut bruno, 2)
        .await
        .into_iter()
        .map(|m| m.1)
        .collect();
    assert_eq!(texts, ["durante", "dopo"], "the other relay follows again");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_under_load_its_client_resumes_on_another_and_nothing_is_lost_or_doubled() {
    let cluster = NatsCluster::start().await;
    let urls = cluster.urls().join(",");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ports = [process::free_udp_port(), process::free_udp_port()];
    let listen: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let advertise = listen.join(",");
    let flags = [
        "--cluster",
        &urls,
        "--rate",
        "1000",
        "--burst",
        "1000",
        "--advertise",
        &advertise,
    ];
    let relay_a = process::spawn(dir_a.path(), &listen[0], &flags);
    let (cert, key) = (
        dir_a.path().join(certs::CERT_FILE),
        dir_a.path().join(certs::KEY_FILE),
    );
    let mut with_cert = flags.to_vec();
    with_cert.extend([
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    let relay_b = process::spawn(dir_b.path(), &listen[1], &with_cert);
    // The invite either relay prints lists both, in the order given.
    let addresses = relay_a.invite.addresses();
    assert_eq!(addresses.len(), 2, "{}", relay_a.invite);
    assert_eq!(relay_b.invite.to_string(), relay_a.invite.to_string());
    let second = relay_a.invite.via(&addresses[1]);
    let install = InstallId::random();
    let (mut anna, _) = join_as(&relay_a.invite, "Anna", install, None).await;
    let (mut bruno, _) = join(&second, "Bruno").await;
    let texts: Vec<String> = (0..150).map(|i| format!("messaggio {i}")).collect();
    let mut sent = Vec::new();
    for text in &texts[..60] {
        sent.push(anna.say(text).await);
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    relay_a.kill();
    // What Anna saw acked before the relay died.
    let mut acked = HashSet::new();
    let mut last_seen = 0;
    while let Ok(frame) = anna.next_within(Duration::from_millis(200)).await {
        match frame {
            ServerFrame::Ack { id, .. } => {
                acked.insert(id);
            }
            ServerFrame::Event { event, .. } => last_seen = event.seq,
            _ => {}
        }
    }
    // Her app moves to relay B, resumes after what it saw, and sends again what was
    // not acked (the same ids), then the rest.
    let counter = anna.counter;
    let (mut anna, _) = join_as(&second, "Anna", install, Some(last_seen)).await;
    anna.counter = counter;
    let room = anna.room;
    let mut waiting = Vec::new();
    for (i, id) in sent.iter().enumerate() {
        if !acked.contains(id) {
            let text = texts[i].clone();
            anna.send_frame(&ClientFrame::Send {
                room,
                id: *id,
                text,
            })
            .await;
            waiting.push(*id);
        }
    }
    for text in &texts[60..] {
        waiting.push(anna.say(text).await);
    }
    let outcomes = anna
        .outcomes_within(&waiting, Duration::from_secs(60))
        .await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let seen = messages(&mut bruno, 150).await;
    let mut got: Vec<&String> = seen.iter().map(|m| &m.1).collect();
    got.sort();
    let mut want: Vec<&String> = texts.iter().collect();
    want.sort();
    assert_eq!(got, want, "every message once, on the relay that lived");
    let log = messages_in(&read_log(&second).await);
    assert_eq!(log, seen, "the log holds them once, in the order seen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_members_of_a_killed_relay_are_shown_gone_within_ten_seconds() {
    let cluster = NatsCluster::start().await;
    let urls = cluster.urls().join(",");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let relay_a = process::spawn(dir_a.path(), "127.0.0.1:0", &["--cluster", &urls]);
    let (cert, key) = (
        dir_a.path().join(certs::CERT_FILE),
        dir_a.path().join(certs::KEY_FILE),
    );
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let relay_b = process::spawn(
        dir_b.path(),
        "127.0.0.1:0",
        &["--cluster", &urls, "--cert", cert, "--key", key],
    );
    let (_anna, _) = join(&relay_a.invite, "Anna").await;
    let (mut bruno, welcome) = join(&relay_b.invite, "Bruno").await;
    assert!(welcome.members.contains(&"Anna".to_string()), "{welcome:?}");
    relay_a.kill();
    let killed = std::time::Instant::now();
    loop {
        let left = match bruno.next_within(Duration::from_secs(12)).await {
            Ok(ServerFrame::Event { event, .. }) => event.kind,
            Ok(_) => continue,
            Err(e) => panic!("no leave for Anna: {e}"),
        };
        if let EventKind::Left { name, reason } = left {
            assert_eq!(name, "Anna");
            assert_eq!(reason, LeaveReason::ConnectionLost);
            break;
        }
    }
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(10), "shown gone after {took:?}");
    // Her name is free again for anyone.
    let (_carla, _) = join(&relay_b.invite, "Anna").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_node_killed_under_load_loses_no_acked_message_and_both_relays_go_on() {
    let mut cluster = NatsCluster::start().await;
    let (a, b, _dirs) = two_relays(&cluster, |_| {}).await;
    let (mut anna, _) = join(&a.invite(), "Anna").await;
    let (mut bruno, _) = join(&b.invite(), "Bruno").await;
    let acked = say_while_the_leader_dies(&mut cluster, &mut anna).await;
    // Relay B delivered every acked message once, in seq order.
    let mut seen = Vec::new();
    while seen.last() != acked.last() {
        match bruno.next_within(Duration::from_secs(30)).await {
            Ok(ServerFrame::Event { event, .. }) => {
                if let EventKind::Message { text, .. } = event.kind {
                    seen.push((event.seq, text));
                }
            }
            Ok(_) => {}
            Err(e) => panic!("Bruno got {} messages: {e}", seen.len()),
        }
    }
    for m in &acked {
        assert_eq!(seen.iter().filter(|s| *s == m).count(), 1, "{m:?} once");
    }
    let texts: HashSet<&String> = seen.iter().map(|m| &m.1).collect();
    assert_eq!(texts.len(), seen.len(), "nothing delivered twice");
    // Both relays go on serving.
    let id = bruno.say("ancora qui").await;
    assert!(answer(&mut bruno, id).await.is_ok());
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_logged_as_left_by_its_old_relay_is_logged_back_by_its_new_one() {
    let cluster = NatsCluster::start().await;
    let (a, b, _dirs) = two_relays(&cluster, |_| {}).await;
    let install = InstallId::random();
    let (old, _) = join_as(&a.invite(), "Anna", install, None).await;
    let (mut bruno, _) = join(&b.invite(), "Bruno").await;
    // Anna's app moves to relay B while relay A still holds her old session.
    let (_anna, _) = join_as(&b.invite(), "Anna", install, None).await;
    // Then relay A loses that session and logs her leave.
    old.connection.close(0u32.into(), b"gone");
    let mut seen = Vec::new();
    while !seen.contains(&"joined Anna".to_string()) {
        match bruno.next_within(Duration::from_secs(15)).await {
            Ok(ServerFrame::Event { event, .. }) => match event.kind {
                EventKind::Left { name, .. } if name == "Anna" => seen.push(format!("left {name}")),
                EventKind::Joined { name } if name == "Anna" => seen.push(format!("joined {name}")),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => panic!("Bruno saw {seen:?}, then {e}"),
        }
    }
    assert_eq!(
        seen,
        ["left Anna", "joined Anna"],
        "she is still here, on relay B"
    );
    // A newcomer is told she is online.
    let (_carla, welcome) = join(&b.invite(), "Carla").await;
    assert!(welcome.members.contains(&"Anna".to_string()), "{welcome:?}");
    a.shutdown().await;
    b.shutdown().await;
}
