//! The relay in-process on 127.0.0.1:0 with real QUIC clients speaking the protocol.

mod support;

use std::time::{Duration, Instant};

use common::{protocol::*, rules::MAX_TEXT_CHARS};
use relay::{Limits, Relay, RelayConfig};
use support::*;

#[tokio::test]
async fn every_message_reaches_everyone_in_one_order() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (mut a, wa) = join(&invite, "Anna").await;
    let (mut b, _) = join(&invite, "Bruno").await;
    let (mut c, wc) = join(&invite, "Carla").await;
    assert_eq!(a.ready.name, "Anna");
    assert_eq!(
        (wa.room, wa.room_name.as_str()),
        (RoomId::of(DEFAULT_ROOM), DEFAULT_ROOM)
    );
    assert_eq!(wc.members, vec!["Anna", "Bruno", "Carla"]);
    assert_eq!(c.ready.rate, RateLimit::default());
    assert_eq!(c.ready.max_rooms, 32);

    // Interleave senders; everyone, senders included, sees the same sequence.
    a.say("ciao da Anna").await;
    b.say("ciao da Bruno").await;
    c.say("ciao da Carla").await;
    a.say("di nuovo Anna").await;
    let mut seen = Vec::new();
    for client in [&mut a, &mut b, &mut c] {
        let mut got = Vec::new();
        while got.len() < 4 {
            got.push(client.next_message().await);
        }
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[1], seen[2]);
    let texts: Vec<&str> = seen[0].iter().map(|m| m.2.as_str()).collect();
    assert!(texts.contains(&"ciao da Bruno") && texts.contains(&"di nuovo Anna"));
    for (seq, sender, text) in &seen[0] {
        assert!(
            text.contains(sender.as_str()) || sender == "Anna",
            "{seq} {sender} {text}"
        );
    }
    let seqs: Vec<Seq> = seen[0].iter().map(|m| m.0).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Senders get acks with the seq everyone saw.
    let (mut d, w) = join(&invite, "Dario").await;
    let backlog = messages_in(&w.backlog);
    assert_eq!(backlog.len(), 4, "a newcomer gets the recent history");
    let id = d.say("sono arrivato").await;
    let seq = d.ack_of(id).await.unwrap();
    let (seen_seq, sender, _) = a.next_message().await;
    assert_eq!((seen_seq, sender.as_str()), (seq, "Dario"));
    relay.shutdown().await;
}

#[tokio::test]
async fn names_room_keys_and_takeover() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.room_key = Some("segreto".into());
    let relay = start_with(config).await;
    let invite = relay.invite();
    assert_eq!(invite.room_key.as_deref(), Some("segreto"));

    let install = InstallId::random();
    let (anna, _) = join_as(&invite, "Anna", install, None).await;

    let f = join_refused(&invite, "anna", InstallId::random()).await;
    assert_eq!(f, JoinRefusal::NameTaken, "names are unique ignoring case");
    let wrong = invite.for_room(None, Some("sbagliato".into()));
    let f = join_refused(&wrong, "Bruno", InstallId::random()).await;
    assert_eq!(f, JoinRefusal::RoomKeyWrong);
    let none = invite.for_room(None, None);
    let f = join_refused(&none, "Bruno", InstallId::random()).await;
    assert_eq!(f, JoinRefusal::RoomKeyRequired);
    let f = refused(&invite, hello("  ", InstallId::random())).await;
    assert_eq!(f, (RefuseReason::BadName(NameError::Empty)));
    let f = refused(&invite, hello("a\u{7}b", InstallId::random())).await;
    assert_eq!(f, (RefuseReason::BadName(NameError::ControlCharacter)));
    let mut old = hello("Vecchio", InstallId::random());
    old.version = 0;
    assert_eq!(
        refused(&invite, old).await,
        RefuseReason::VersionMismatch {
            relay: PROTOCOL_VERSION
        }
    );

    // The same install connecting again takes the name over at once.
    let (mut anna2, w) = join_as(&invite, "Anna", install, None).await;
    assert_eq!(w.members, vec!["Anna"]);
    assert_eq!(anna.closed_with().await, Some(ByeReason::Replaced));
    let id = anna2.say("ancora qui").await;
    assert!(anna2.ack_of(id).await.is_ok());
    assert_eq!(relay.stats().online, 1);
    relay.shutdown().await;
}

#[tokio::test]
async fn garbage_oversize_and_vanishing_clients_leave_others_served() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    let (mut b, _) = join(&invite, "Bruno").await;

    // Garbage behind a valid length prefix.
    let (mut g, _) = join(&invite, "Garbage").await;
    g.write_raw(&[0, 0, 0, 5, 0xff, 0xfe, 0xfd, 0xfc, 0xfb])
        .await;
    let frames = g.drain().await;
    assert!(
        frames.contains(&ServerFrame::Bye(ByeReason::ProtocolError)),
        "{frames:?}"
    );

    // A length prefix beyond the limit.
    let (mut o, _) = join(&invite, "Oversize").await;
    o.write_raw(&((MAX_FRAME_BYTES as u32) + 1).to_be_bytes())
        .await;
    let frames = o.drain().await;
    assert!(frames.contains(&ServerFrame::Bye(ByeReason::ProtocolError)));

    // Half a frame, then the client vanishes without closing anything.
    let (mut v, _) = join(&invite, "Vanish").await;
    let frame = bytes(&ClientFrame::Send {
        room: v.room,
        id: v.next_id(),
        text: "a metà".into(),
    });
    v.write_raw(&frame[..frame.len() / 2]).await;
    drop(v);

    // Garbage as the very first frame is refused.
    let mut conn = bare(&invite).await;
    conn.write_encoded(&[0, 0, 0, 3, 9, 9, 9]).await.unwrap();
    let f: ServerFrame = conn.read().await.unwrap();
    assert_eq!(f, ServerFrame::Refused(RefuseReason::ProtocolError));

    // The others keep chatting.
    let id = a.say("siete ancora lì?").await;
    assert!(a.ack_of(id).await.is_ok());
    assert_eq!(b.next_message().await.2, "siete ancora lì?");
    let id = b.say("sì").await;
    assert!(b.ack_of(id).await.is_ok());
    assert_eq!(a.next_message().await.2, "sì");
    // The bad ones are gone from the room.
    let deadline = Instant::now() + WAIT;
    while relay.stats().online != 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(relay.stats().online, 2);
    relay.shutdown().await;
}

#[tokio::test]
async fn rate_limit_rejects_the_excess_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.rate = RateLimit {
        per_second: 2,
        burst: 3,
    };
    let relay = start_with(config).await;
    let (mut a, _) = join(&relay.invite(), "Anna").await;
    assert_eq!(a.ready.rate.burst, 3);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(a.say(&format!("messaggio {i}")).await);
    }
    let results = a.outcomes(&ids).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        3,
        "{results:?}"
    );
    assert!(results[3..]
        .iter()
        .all(|r| *r == Err(RejectReason::RateLimited)));
    // Empty and oversized texts are rejected with their reasons.
    let id = a.say("   ").await;
    assert_eq!(a.ack_of(id).await, Err(RejectReason::EmptyText));
    let id = a.say(&"x".repeat(MAX_TEXT_CHARS + 1)).await;
    assert_eq!(a.ack_of(id).await, Err(RejectReason::TextTooLong));
    tokio::time::sleep(Duration::from_millis(600)).await;
    let id = a.say("dopo una pausa").await;
    assert!(a.ack_of(id).await.is_ok(), "the session stays usable");
    relay.shutdown().await;
}

#[tokio::test]
async fn resending_a_stored_id_acks_again_without_a_second_broadcast() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    let (mut b, _) = join(&invite, "Bruno").await;
    let (mut observer, _) = join(&invite, "Osservatore").await;
    let id = a.say("una volta sola").await;
    let seq = a.ack_of(id).await.unwrap();
    a.send_frame(&ClientFrame::Send {
        room: a.room,
        id,
        text: "una volta sola".into(),
    })
    .await;
    assert_eq!(a.ack_of(id).await, Ok(seq));
    let next = b.say("dopo").await;
    b.ack_of(next).await.unwrap();
    let mut texts = Vec::new();
    loop {
        let (_, _, text) = observer.next_message().await;
        texts.push(text.clone());
        if text == "dopo" {
            break;
        }
    }
    assert_eq!(texts, vec!["una volta sola", "dopo"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn restart_keeps_history_and_continues_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    let mut acked = Vec::new();
    for i in 0..5 {
        let id = a.say(&format!("prima {i}")).await;
        acked.push(a.ack_of(id).await.unwrap());
    }
    let addr = relay.addr();
    relay.shutdown().await;
    let rest = a.drain().await;
    assert!(
        rest.contains(&ServerFrame::Bye(ByeReason::Shutdown)),
        "{rest:?}"
    );

    let mut config = RelayConfig::for_tests(dir.path());
    config.listen = addr;
    let relay = start_with(config).await;
    assert_eq!(
        relay.fingerprint(),
        invite.fingerprint.unwrap(),
        "same certificate"
    );
    let (mut b, w) = join(&relay.invite(), "Bruno").await;
    let texts: Vec<(Seq, String)> = messages_in(&w.backlog);
    assert_eq!(texts.iter().map(|t| t.0).collect::<Vec<_>>(), acked);
    let id = b.say("dopo il riavvio").await;
    let seq = b.ack_of(id).await.unwrap();
    assert!(seq > *acked.last().unwrap());
    relay.shutdown().await;
}

#[tokio::test]
async fn resume_replays_exactly_the_missed_events_from_memory_and_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.history = 5; // Most of the replay must come from disk.
    config.limits.rate = RateLimit {
        per_second: 1000,
        burst: 1000,
    };
    let relay = start_with(config).await;
    let invite = relay.invite();
    let install = InstallId::random();
    let (mut a, wa) = join_as(&invite, "Anna", install, None).await;
    let (mut b, _) = join(&invite, "Bruno").await;
    let id = b.say("visto").await;
    let seen = b.ack_of(id).await.unwrap();
    while a.next_message().await.0 != seen {}
    assert!(seen > wa.last_seq);
    a.quit().await;
    a.drain().await;

    let mut missed = Vec::new();
    for i in 0..20 {
        let id = b.say(&format!("perso {i}")).await;
        missed.push(b.ack_of(id).await.unwrap());
    }
    let (_back, w) = join_as(&invite, "Anna", install, Some(seen)).await;
    assert!(!w.gap);
    let events: Vec<&RoomEvent> = w.backlog.iter().collect();
    let seqs: Vec<Seq> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs.first(),
        Some(&(seen + 1)),
        "starts right after the resume point"
    );
    assert!(
        seqs.windows(2).all(|p| p[1] == p[0] + 1),
        "no gap, no repeat: {seqs:?}"
    );
    let texts: Vec<Seq> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Message { .. }))
        .map(|e| e.seq)
        .collect();
    assert_eq!(texts, missed, "exactly the missed messages");
    assert!(events.iter().any(
        |e| matches!(&e.kind, EventKind::Left { name, reason: LeaveReason::Left } if name == "Anna")
    ));
    relay.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_evicted_and_others_keep_their_rate() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.queue_bytes = 512 * 1024;
    config.limits.rate = RateLimit {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    let relay = start_with(config).await;
    let invite = relay.invite();
    let text = "x".repeat(1000);
    const N: usize = 4000;
    const CHUNK: usize = 100;

    // Sender and a normal reader; the sender drains its own copies concurrently.
    let (sender, _) = join(&invite, "Mittente").await;
    let (mut reader, _) = join(&invite, "Lettore").await;
    let room = sender.room;
    let Client {
        writer: mut sender_send,
        reader: mut sender_recv,
        install,
        connection: _sender_conn,
        ..
    } = sender;
    let drain_sender =
        tokio::spawn(async move { while sender_recv.next::<ServerFrame>().await.is_ok() {} });
    let mut counter = 0;
    let mut send_all = async |send: &mut net::FrameWriter, n: usize| {
        for _ in 0..n {
            counter += 1;
            let frame = bytes(&ClientFrame::Send {
                room,
                id: ClientMsgId { install, counter },
                text: text.clone(),
            });
            send.write_encoded(&frame).await.unwrap();
        }
    };

    async fn receive(reader: &mut Client, n: usize) {
        let mut got = 0;
        while got < n {
            match reader.next().await {
                Some(ServerFrame::Event {
                    event:
                        RoomEvent {
                            kind: EventKind::Message { .. },
                            ..
                        },
                    ..
                }) => got += 1,
                Some(_) => {}
                None => panic!("the reader stopped receiving after {got}"),
            }
        }
    }

    // The sender sends in chunks and waits for the reader to have each chunk: the
    // reader's rate is the room's rate.
    let mut phase = async |sender_send: &mut net::FrameWriter, reader: &mut Client| {
        let start = Instant::now();
        for _ in 0..N / CHUNK {
            send_all(sender_send, CHUNK).await;
            receive(reader, CHUNK).await;
        }
        start.elapsed()
    };
    let alone = phase(&mut sender_send, &mut reader).await;
    // Now someone joins and never reads a byte.
    let (slow, _) = join(&invite, "Lento").await;
    let with_slow = phase(&mut sender_send, &mut reader).await;
    assert_eq!(slow.closed_with().await, Some(ByeReason::TooSlow));
    assert_eq!(relay.stats().evicted_slow, 1);
    // The reader's rate did not collapse: at most 3x slower (noisy machines), usually ~1x.
    assert!(
        with_slow < alone * 3 + Duration::from_millis(500),
        "alone {alone:?}, with a slow member {with_slow:?}"
    );
    println!("{N} messages: alone {alone:?}, with a slow member {with_slow:?}");
    drain_sender.abort();
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_each_receive_every_message() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let mut joins = Vec::new();
    for i in 0..200 {
        let invite = invite.clone();
        joins.push(tokio::spawn(async move {
            join(&invite, &format!("utente{i}")).await.0
        }));
    }
    let mut clients = Vec::new();
    for j in joins {
        clients.push(j.await.unwrap());
    }
    assert_eq!(relay.stats().online, 200);
    let mut sender = clients.pop().unwrap();
    for i in 0..5 {
        sender.say(&format!("a tutti {i}")).await;
    }
    let mut checks = Vec::new();
    for mut c in clients {
        checks.push(tokio::spawn(async move {
            let mut texts = Vec::new();
            while texts.len() < 5 {
                texts.push(c.next_message().await.2);
            }
            texts
        }));
    }
    for check in checks {
        let texts = check.await.unwrap();
        assert_eq!(
            texts,
            (0..5).map(|i| format!("a tutti {i}")).collect::<Vec<_>>()
        );
    }
    relay.shutdown().await;
}

#[tokio::test]
async fn limits_are_configurable_and_full_relay_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits = Limits {
        max_clients: 2,
        ..Limits::default()
    };
    let relay = start_with(config).await;
    let invite = relay.invite();
    let _a = join(&invite, "Anna").await;
    let _b = join(&invite, "Bruno").await;
    let f = refused(&invite, hello("Carla", InstallId::random())).await;
    assert_eq!(f, (RefuseReason::RelayFull));
    relay.shutdown().await;
}

#[tokio::test]
async fn a_silent_connection_is_refused_after_the_hello_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.hello_timeout = Duration::from_millis(300);
    let relay = start_with(config).await;
    let mut conn = bare(&relay.invite()).await;
    // Opening a stream sends nothing until data flows: send an incomplete prefix.
    conn.write_encoded(&[0, 0]).await.unwrap();
    let f: ServerFrame = tokio::time::timeout(WAIT, conn.read())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f, ServerFrame::Refused(RefuseReason::HelloTimeout));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_handshake_flood_clients_prove_their_address_and_still_join() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    // Every connection counts as part of a flood: all must pass a QUIC retry first.
    config.limits.handshake_flood = 0;
    let relay = start_with(config).await;
    let invite = relay.invite();
    let mut joins = Vec::new();
    for i in 0..50 {
        let invite = invite.clone();
        joins.push(tokio::spawn(async move {
            join(&invite, &format!("ospite{i}")).await.0
        }));
    }
    let mut clients = Vec::new();
    for j in joins {
        clients.push(j.await.unwrap());
    }
    assert_eq!(relay.stats().online, 50);
    assert!(
        relay.stats().retries >= 50,
        "every client had to pass a retry: {:?}",
        relay.stats()
    );
    let id = clients[0].say("tutti dentro").await;
    assert!(clients[0].ack_of(id).await.is_ok());
    assert_eq!(clients[49].next_message().await.2, "tutti dentro");
    relay.shutdown().await;
}

/// Reads frames until an online count arrives; `None` if none comes within `wait`.
async fn next_online(client: &mut Client, wait: Duration) -> Option<(u32, Seq)> {
    let until = Instant::now() + wait;
    loop {
        let left = until.checked_duration_since(Instant::now())?;
        match client.next_within(left).await {
            Ok(ServerFrame::Online { count, as_of, .. }) => return Some((count, as_of)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// Reads counts until `count` (or the last one seen, when the counts stop).
async fn online_reaches(client: &mut Client, count: u32) -> Option<u32> {
    let mut last = None;
    while let Some((got, _)) = next_online(client, Duration::from_secs(5)).await {
        last = Some(got);
        if got == count {
            break;
        }
    }
    last
}

#[tokio::test]
async fn rooms_over_the_presence_limit_get_counts_instead_of_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.limits.presence_limit = 2;
    let relay = start_with(config).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    let (_b, wb) = join(&invite, "Bruno").await;
    assert_eq!(
        (wb.members.len(), wb.online),
        (2, 2),
        "a small room is listed"
    );

    // Over the limit: the welcome has the count, not the names, and joins are not logged.
    let (mut c, wc) = join(&invite, "Carla").await;
    assert!(wc.members.is_empty(), "{:?}", wc.members);
    assert_eq!(wc.online, 3);
    assert!(wc.members_as_of >= wb.members_as_of);
    let mut count_seen = None;
    let until = Instant::now() + Duration::from_secs(5);
    while count_seen.is_none() {
        let left = until.saturating_duration_since(Instant::now());
        match a.next_within(left).await {
            Ok(ServerFrame::Online { count, as_of, .. }) => count_seen = Some((count, as_of)),
            Ok(ServerFrame::Event {
                event:
                    RoomEvent {
                        kind: EventKind::Joined { name },
                        ..
                    },
                ..
            }) => assert_ne!(name, "Carla", "a join over the limit is not logged"),
            Ok(_) => {}
            Err(e) => panic!("members of a large room are told the count: {e}"),
        }
    }
    let (count, as_of) = count_seen.unwrap();
    assert_eq!(count, 3);
    assert!(as_of >= wc.members_as_of);

    // The count follows the room; coming back under the limit, one last count.
    let (mut d, _) = join(&invite, "Dario").await;
    assert_eq!(online_reaches(&mut c, 4).await, Some(4));
    d.quit().await;
    c.leave().await;
    assert_eq!(online_reaches(&mut a, 2).await, Some(2));
    // Under the limit the relay is silent about counts again (joins and leaves are logged).
    assert_eq!(
        next_online(&mut a, Duration::from_millis(2_500)).await,
        None
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn the_relay_accepts_no_quic_datagrams() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let (a, _) = join(&relay.invite(), "Anna").await;
    // Nothing reads datagrams, so the relay does not offer to buffer them: its transport
    // parameters carry no datagram frame size (what the client may send it).
    assert_eq!(a.connection.max_datagram_size(), None);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_resume_point_beyond_any_log_is_a_gap_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    let (_b, w) = join_as(&invite, "Bruno", InstallId::random(), Some(Seq::MAX)).await;
    assert!(
        w.gap,
        "a client that saw more than the relay has lost events"
    );
    // The room still works for everyone.
    let id = a.say("ancora qui").await;
    assert!(a.ack_of(id).await.is_ok());
    let (_c, wc) = join(&invite, "Carla").await;
    assert_eq!(wc.members, ["Anna", "Bruno", "Carla"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_refused_join_in_one_room_leaves_the_session_in_its_other_rooms() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayConfig::for_tests(dir.path());
    config.rooms = vec![relay::RoomConfig::new("classe-3b")];
    let relay = start_with(config).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    let (mut b, _) = join(&invite, "Bruno").await;
    b.join_room("classe-3b", None, None).await.unwrap();
    // Someone else is Anna in classe-3b: her join there is refused, nothing else.
    let mut other = connect(&invite, "Anna").await;
    other.join_room("classe-3b", None, None).await.unwrap();
    assert_eq!(
        a.join_room("classe-3b", None, None).await,
        Err(JoinRefusal::NameTaken)
    );
    let id = a.say("ci sono ancora").await;
    assert!(a.ack_of(id).await.is_ok());
    let (_c, wc) = join(&invite, "Carla").await;
    assert_eq!(wc.members, ["Anna", "Bruno", "Carla"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_second_connection_of_an_install_replaces_the_first_at_hello() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let install = InstallId::random();
    let (a, _) = join_as(&invite, "Anna", install, None).await;
    // The install connects again (its app restarted) and joins nothing yet.
    let (conn, _) = dialer(&invite)
        .await
        .open(hello("Anna", install))
        .await
        .unwrap();
    assert_eq!(a.closed_with().await, Some(ByeReason::Replaced));
    assert_eq!(relay.stats().online, 1);
    drop(conn);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_bad_room_key_or_host_in_the_configuration_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    for key in [String::new(), "k".repeat(MAX_ROOM_KEY_CHARS + 1)] {
        let mut config = RelayConfig::for_tests(dir.path());
        config.room_key = Some(key);
        let err = Relay::start(config).await.err().expect("refused");
        assert!(err.to_string().contains("room key"), "{err}");
    }
    let mut config = RelayConfig::for_tests(dir.path());
    config.hosts = vec!["a b".into()];
    let err = Relay::start(config).await.err().expect("refused");
    assert!(err.to_string().contains("not a host name"), "{err}");
}
