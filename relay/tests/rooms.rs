//! Many rooms on one relay, in-process over real QUIC: rooms kept apart (messages,
//! presence, keys), a client in three rooms, resume per room across a restart, history
//! per room, open rooms and their limits, archived rooms, reloads.

mod support;

use common::{invite::Invite, protocol::*};
use relay::{RelayConfig, RoomConfig};
use support::*;

fn fast(dir: &std::path::Path) -> RelayConfig {
    let mut config = RelayConfig::for_tests(dir);
    config.limits.rate = RateLimit {
        per_second: 10_000,
        burst: 10_000,
    };
    config
}

fn keyed(name: &str, key: &str) -> RoomConfig {
    RoomConfig {
        key: Some(key.into()),
        ..RoomConfig::new(name)
    }
}

/// The texts of `room`'s messages among `events`.
fn texts(events: &[RoomEvent]) -> Vec<String> {
    messages_in(events).into_iter().map(|(_, t)| t).collect()
}

/// The names whose joins `events` log.
fn joined(events: &[RoomEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Joined { name } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn messages_presence_and_keys_stay_in_their_own_room_after_a_restart_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![keyed("classe-3a", "chiave-a"), RoomConfig::new("classe-3b")];
    let relay = start_with(config.clone()).await;
    let a_invite = relay.invite_for("classe-3a").unwrap();
    let b_invite = relay.invite_for("classe-3b").unwrap();
    assert_eq!(a_invite.room.as_deref(), Some("classe-3a"));
    assert_eq!(a_invite.room_key.as_deref(), Some("chiave-a"));
    assert_eq!(b_invite.room_key, None);
    assert!(relay.invite_for("nessuna").is_none());

    let (mut anna, wa) = join(&a_invite, "Anna").await;
    let (mut bruno, wb) = join(&b_invite, "Bruno").await;
    assert_ne!(wa.room, wb.room);
    assert_eq!(wb.members, ["Bruno"], "Anna is in another room");
    // A key opens its own room only; a keyless room does not need one.
    let wrong = a_invite.for_room(Some("classe-3a".into()), Some("altra".into()));
    assert_eq!(
        join_refused(&wrong, "Carla", InstallId::random()).await,
        JoinRefusal::RoomKeyWrong
    );
    let id = anna.say("solo per la 3a").await;
    anna.ack_of(id).await.unwrap();
    let id = bruno.say("solo per la 3b").await;
    bruno.ack_of(id).await.unwrap();
    // Bruno's stream carries nothing about classe-3a: not its id, not its text.
    let frames = bruno.drain_for(std::time::Duration::from_millis(300)).await;
    let other = format!("{:?}", RoomId::of("classe-3a"));
    assert!(
        frames.iter().all(|f| {
            let f = format!("{f:?}");
            !f.contains(&other) && !f.contains("solo per la 3a")
        }),
        "{frames:?}"
    );

    let check = |invite: Invite, text: &'static str, name: &'static str| async move {
        let log = read_log(&invite).await;
        assert_eq!(texts(&log), [text]);
        assert_eq!(joined(&log).first().map(String::as_str), Some(name));
        assert!(!joined(&log)
            .iter()
            .any(|n| n == if name == "Anna" { "Bruno" } else { "Anna" }));
    };
    check(a_invite.clone(), "solo per la 3a", "Anna").await;
    check(b_invite.clone(), "solo per la 3b", "Bruno").await;
    assert!(
        texts(&read_log(&relay.invite()).await).is_empty(),
        "the default room too"
    );

    let addr = relay.addr();
    relay.shutdown().await;
    config.listen = addr;
    let relay = start_with(config).await;
    check(a_invite, "solo per la 3a", "Anna").await;
    check(b_invite, "solo per la 3b", "Bruno").await;
    relay.shutdown().await;
}

#[tokio::test]
async fn a_client_in_three_rooms_gets_each_message_once_in_its_own_room() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("a"), keyed("b", "kb")];
    let relay = start_with(config).await;
    let invite = relay.invite();
    let (mut anna, piazza) = join(&invite, "Anna").await;
    let a = anna.join_room("a", None, None).await.unwrap();
    let b = anna.join_room("b", Some("kb"), None).await.unwrap();
    let rooms = [piazza.room, a.room, b.room];
    let (mut bruno, _) = join(&relay.invite_for("b").unwrap(), "Bruno").await;
    let mut ids = Vec::new();
    for i in 0..10 {
        for room in rooms {
            ids.push((room, anna.say_in(room, &format!("{room} n. {i}")).await));
        }
    }
    let id = bruno.say("da Bruno in b").await;
    bruno.ack_of(id).await.unwrap();
    // Read Anna's stream until every ack and Bruno's message arrived.
    let mut got: Vec<(RoomId, String)> = Vec::new();
    let mut acks = Vec::new();
    while acks.len() < ids.len() || !got.iter().any(|(_, t)| t == "da Bruno in b") {
        match anna.next().await {
            Some(ServerFrame::Event {
                room,
                event:
                    RoomEvent {
                        kind: EventKind::Message { text, .. },
                        ..
                    },
            }) => got.push((room, text)),
            Some(ServerFrame::Ack { room, id, .. }) => acks.push((room, id)),
            Some(_) => {}
            None => panic!("Anna's stream ended: {got:?}"),
        }
    }
    for room in rooms {
        let sent: Vec<_> = ids.iter().filter(|(r, _)| *r == room).collect();
        let acked: Vec<_> = acks.iter().filter(|(r, _)| *r == room).collect();
        assert_eq!(acked, sent, "every ack, in order in its room, naming it");
    }
    assert_eq!(acks.len(), ids.len());
    for room in rooms {
        let mine: Vec<String> = got
            .iter()
            .filter(|(r, t)| *r == room && t.starts_with(&room.to_string()))
            .map(|(_, t)| t.clone())
            .collect();
        let want: Vec<String> = (0..10).map(|i| format!("{room} n. {i}")).collect();
        assert_eq!(mine, want, "once each, in order, in {room}");
    }
    assert_eq!(got.len(), 31, "nothing doubled or crossed: {got:?}");
    assert!(got.contains(&(b.room, "da Bruno in b".into())));
    relay.shutdown().await;
}

#[tokio::test]
async fn each_room_resumes_from_its_own_seq_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("a"), RoomConfig::new("b")];
    let relay = start_with(config.clone()).await;
    let (mut anna, _) = join(&relay.invite_for("a").unwrap(), "Anna").await;
    let b = anna.join_room("b", None, None).await.unwrap().room;
    let a = anna.room;
    let mut seen = std::collections::HashMap::new();
    for room in [a, b] {
        let id = anna.say_in(room, "visto").await;
        seen.insert(room, anna.ack_of(id).await.unwrap());
    }
    let (mut bruno, _) = join(&relay.invite_for("a").unwrap(), "Bruno").await;
    bruno.join_room("b", None, None).await.unwrap();
    let mut missed: std::collections::HashMap<RoomId, Vec<(Seq, String)>> = Default::default();
    for i in 0..5 {
        for room in [a, b] {
            let text = format!("perso {i} in {room}");
            let id = bruno.say_in(room, &text).await;
            let seq = bruno.ack_of(id).await.unwrap();
            missed.entry(room).or_default().push((seq, text));
        }
    }
    let addr = relay.addr();
    relay.shutdown().await;
    config.listen = addr;
    let relay = start_with(config).await;
    let mut back = connect(&relay.invite(), "Anna").await;
    for (room, name) in [(a, "a"), (b, "b")] {
        let w = back.join_room(name, None, Some(seen[&room])).await.unwrap();
        assert!(!w.gap);
        assert_eq!(w.backlog.first().map(|e| e.seq), Some(seen[&room] + 1));
        assert_eq!(
            messages_in(&w.backlog),
            missed[&room],
            "exactly what {name} missed"
        );
    }
    relay.shutdown().await;
}

#[tokio::test]
async fn history_pages_come_from_the_room_asked_about_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("a"), RoomConfig::new("b")];
    let relay = start_with(config).await;
    let (mut anna, _) = join(&relay.invite_for("a").unwrap(), "Anna").await;
    let b = anna.join_room("b", None, None).await.unwrap().room;
    let a = anna.room;
    let mut ids = Vec::new();
    for i in 0..300 {
        ids.push(anna.say_in(a, &format!("a {i}")).await);
        ids.push(anna.say_in(b, &format!("b {i}")).await);
    }
    let outcomes = anna.outcomes(&ids).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(
        outcomes.last(),
        Some(&Ok(301)),
        "b's join, then its 300 messages"
    );
    let mut texts_a = Vec::new();
    let mut before = Seq::MAX;
    loop {
        anna.send_frame(&ClientFrame::History {
            room: a,
            before,
            limit: MAX_HISTORY_PAGE,
        })
        .await;
        let page = loop {
            match anna.next().await {
                Some(ServerFrame::History { room, page }) => {
                    assert_eq!(room, a);
                    break page;
                }
                Some(_) => {}
                None => panic!("no page"),
            }
        };
        texts_a.splice(0..0, texts(&page.events));
        match page.events.first() {
            Some(first) if page.more => before = first.seq,
            _ => break,
        }
    }
    let want: Vec<String> = (0..300).map(|i| format!("a {i}")).collect();
    assert_eq!(texts_a, want, "every message of a, none of b");
    // A room the client is not in has no history for it.
    let elsewhere = RoomId::of("piazza");
    anna.send_frame(&ClientFrame::History {
        room: elsewhere,
        before: Seq::MAX,
        limit: 10,
    })
    .await;
    loop {
        match anna.next().await {
            Some(ServerFrame::History { room, page }) => {
                assert_eq!(room, elsewhere);
                assert!(page.events.is_empty() && !page.more && !page.retry_later);
                break;
            }
            Some(_) => {}
            None => panic!("no page for a room the client is not in"),
        }
    }
    relay.shutdown().await;
}

#[tokio::test]
async fn open_rooms_are_created_by_joining_within_the_relays_and_each_clients_limits() {
    let dir = tempfile::tempdir().unwrap();
    // Without open rooms an unknown room is refused.
    let relay = start(dir.path()).await;
    let mut c = connect(&relay.invite(), "Anna").await;
    assert_eq!(
        c.join_room("nuova", None, None).await,
        Err(JoinRefusal::NoSuchRoom)
    );
    relay.shutdown().await;

    let mut config = fast(dir.path());
    config.open_rooms = true;
    config.limits.max_rooms = 3; // piazza and two more
    config.limits.max_rooms_per_client = 2;
    let relay = start_with(config.clone()).await;
    let invite = relay.invite();
    let mut anna = connect(&invite, "Anna").await;
    assert_eq!(anna.ready.max_rooms, 2);
    let x = anna.join_room("Gita-2025", None, None).await.unwrap();
    assert_eq!(x.room_name, "gita-2025", "names are folded");
    let id = anna.say_in(x.room, "la prima").await;
    anna.ack_of(id).await.unwrap();
    anna.join_room("coro", None, None).await.unwrap();
    assert_eq!(
        anna.join_room("piazza", None, None).await,
        Err(JoinRefusal::TooManyRooms),
        "two rooms per client"
    );
    anna.join_room("coro", None, None)
        .await
        .expect("joining again is no new room");
    let mut bruno = connect(&invite, "Bruno").await;
    assert_eq!(
        bruno.join_room("terza", None, None).await,
        Err(JoinRefusal::TooManyRoomsOnRelay)
    );
    assert_eq!(
        bruno.join_room("-no", None, None).await,
        Err(JoinRefusal::BadRoomName(RoomNameError::BadCharacter))
    );
    bruno.join_room("gita-2025", None, None).await.unwrap();
    // Leaving frees a place for the client, not for the relay.
    anna.room = x.room;
    anna.leave().await;
    anna.join_room("piazza", None, None).await.unwrap();

    // After a restart with open rooms, the rooms clients made are still there.
    let addr = relay.addr();
    relay.shutdown().await;
    config.listen = addr;
    let relay = start_with(config).await;
    let gita = relay.invite().for_room(Some("gita-2025".into()), None);
    assert_eq!(texts(&read_log(&gita).await), ["la prima"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn an_archived_room_welcomes_readers_and_rejects_writers() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("gita")];
    let relay = start_with(config).await;
    let gita = relay.invite_for("gita").unwrap();
    let (mut anna, w) = join(&gita, "Anna").await;
    assert!(!w.archived);
    let id = anna.say("prima dell'archivio").await;
    anna.ack_of(id).await.unwrap();
    let archived = RoomConfig {
        archived: true,
        ..RoomConfig::new("gita")
    };
    let plan = relay.reload_rooms(vec![archived]).await.unwrap();
    assert_eq!(plan.changed.len(), 1);
    loop {
        match anna.next().await {
            Some(ServerFrame::Archived { room, archived }) => {
                assert!(archived);
                break assert_eq!(room, anna.room);
            }
            Some(_) => {}
            None => panic!("no Archived frame"),
        }
    }
    let id = anna.say("dopo").await;
    assert_eq!(anna.ack_of(id).await, Err(RejectReason::Archived));
    let (_bruno, w) = join(&gita, "Bruno").await;
    assert!(w.archived, "joins are still welcome, read-only");
    assert_eq!(texts(&w.backlog), ["prima dell'archivio"]);
    assert!(relay.room_stats("gita").unwrap().archived);
    // The session's other rooms are not archived.
    let piazza = anna.join_room("piazza", None, None).await.unwrap();
    let id = anna.say_in(piazza.room, "qui si scrive").await;
    assert!(anna.ack_of(id).await.is_ok());
    // Opened for writing again: its members are told, and their texts go through.
    let gita_room = RoomId::of("gita");
    relay
        .reload_rooms(vec![RoomConfig::new("gita")])
        .await
        .unwrap();
    loop {
        match anna.next().await {
            Some(ServerFrame::Archived { room, archived }) if room == gita_room => {
                break assert!(!archived);
            }
            Some(_) => {}
            None => panic!("no Archived frame"),
        }
    }
    let id = anna.say_in(gita_room, "di nuovo aperta").await;
    assert!(anna.ack_of(id).await.is_ok());
    relay.shutdown().await;
}

#[tokio::test]
async fn a_reload_adds_and_removes_rooms_without_dropping_anyone() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("vecchia")];
    let relay = start_with(config).await;
    let (mut anna, _) = join(&relay.invite(), "Anna").await;
    let old = anna.join_room("vecchia", None, None).await.unwrap().room;
    let id = anna.say_in(old, "nella vecchia").await;
    anna.ack_of(id).await.unwrap();
    let plan = relay
        .reload_rooms(vec![keyed("nuova", "kn")])
        .await
        .unwrap();
    assert_eq!(plan.removed, ["vecchia"]);
    assert_eq!(plan.added, [keyed("nuova", "kn")]);
    loop {
        match anna.next().await {
            Some(ServerFrame::RoomLeft { room, reason }) => {
                break assert_eq!((room, reason), (old, RoomLeftReason::Deleted))
            }
            Some(_) => {}
            None => panic!("no RoomLeft"),
        }
    }
    let id = anna.say_in(old, "c'è ancora?").await;
    assert_eq!(anna.ack_of(id).await, Err(RejectReason::NotInRoom));
    assert_eq!(
        anna.join_room("vecchia", None, None).await,
        Err(JoinRefusal::NoSuchRoom)
    );
    let new = anna.join_room("nuova", Some("kn"), None).await.unwrap();
    let id = anna.say_in(new.room, "nella nuova").await;
    assert!(anna.ack_of(id).await.is_ok());
    let id = anna.say("sempre in piazza").await;
    assert!(
        anna.ack_of(id).await.is_ok(),
        "the session went on throughout"
    );
    assert_eq!(relay.stats().online, 1);
    // Brought back, the removed room has its history.
    relay
        .reload_rooms(vec![RoomConfig::new("vecchia")])
        .await
        .unwrap();
    let w = anna.join_room("vecchia", None, None).await.unwrap();
    assert_eq!(texts(&w.backlog), ["nella vecchia"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_hello_of_protocol_v3_is_refused_with_the_relays_version() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    // A v3 hello, written out byte by byte: variant 0 (Hello), version 3, name "Anna",
    // the install's 16 bytes, room key None, resume None (bincode 2, standard config).
    let mut payload = vec![0u8, 3, 4];
    payload.extend_from_slice(b"Anna");
    payload.extend_from_slice(&[7; 16]);
    payload.extend_from_slice(&[0, 0]);
    let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&payload);
    let mut v3 = Hello::new("Anna", InstallId([7; 16]));
    v3.version = 3;
    assert_eq!(
        frame,
        bytes(&ClientFrame::Hello(v3)).to_vec(),
        "the layout v4 keeps"
    );
    let mut conn = bare(&relay.invite()).await;
    conn.write_encoded(&frame).await.unwrap();
    let answer: ServerFrame = conn.read().await.unwrap();
    assert_eq!(
        answer,
        ServerFrame::Refused(RefuseReason::VersionMismatch {
            relay: PROTOCOL_VERSION
        })
    );
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_rooms_chatting_at_once_stay_apart_and_share_the_logs_commits() {
    const ROOMS: usize = 200;
    const CLIENTS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = (0..ROOMS)
        .map(|r| RoomConfig::new(format!("r{r}")))
        .collect();
    let relay = start_with(config).await;
    let invite = relay.invite();
    // Room r has two members: clients r % 20 and (r + 1) % 20.
    let members = |r: usize| [r % CLIENTS, (r + 1) % CLIENTS];
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let mut c = connect(&invite, &format!("utente{i}")).await;
        for r in (0..ROOMS).filter(|r| members(*r).contains(&i)) {
            c.join_room(&format!("r{r}"), None, None).await.unwrap();
        }
        clients.push(c);
    }
    let before = relay.stats();
    let mut tasks = Vec::new();
    for (i, mut c) in clients.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mine: Vec<usize> = (0..ROOMS).filter(|r| r % CLIENTS == i).collect();
            let mut ids = Vec::new();
            for r in &mine {
                ids.push(
                    c.say_in(RoomId::of(&format!("r{r}")), &format!("in r{r}"))
                        .await,
                );
            }
            // Every message of its 20 rooms: its own 10 and its neighbour's 10.
            let mut got = Vec::new();
            let mut acked = 0;
            while got.len() < 20 || acked < ids.len() {
                match c.next().await {
                    Some(ServerFrame::Event {
                        room,
                        event:
                            RoomEvent {
                                kind: EventKind::Message { text, .. },
                                ..
                            },
                    }) => got.push((room, text)),
                    Some(ServerFrame::Ack { .. }) => acked += 1,
                    Some(ServerFrame::Rejected { reason, .. }) => panic!("{reason:?}"),
                    Some(_) => {}
                    None => panic!("utente{i}: stream ended after {got:?}"),
                }
            }
            (i, got)
        }));
    }
    for task in tasks {
        let (i, mut got) = task.await.unwrap();
        got.sort();
        let mut want: Vec<(RoomId, String)> = (0..ROOMS)
            .filter(|r| members(*r).contains(&i))
            .map(|r| (RoomId::of(&format!("r{r}")), format!("in r{r}")))
            .collect();
        want.sort();
        assert_eq!(got, want, "utente{i}: each message once, in its own room");
    }
    let after = relay.stats();
    let batches = after.commits - before.commits;
    let writes = after.log_commits - before.log_commits;
    assert!(
        writes * 2 < ROOMS as u64,
        "rooms share commits: {writes} writes ({batches} room batches) for {ROOMS} messages"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn a_shutdown_logs_every_member_as_left_once_in_each_of_its_rooms() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("a"), RoomConfig::new("b")];
    let relay = start_with(config.clone()).await;
    let (mut anna, _) = join(&relay.invite_for("a").unwrap(), "Anna").await;
    anna.join_room("b", None, None).await.unwrap();
    let (_bruno, _) = join(&relay.invite_for("b").unwrap(), "Bruno").await;
    let addr = relay.addr();
    relay.shutdown().await;
    let frames = anna.drain().await;
    assert_eq!(frames.last(), Some(&ServerFrame::Bye(ByeReason::Shutdown)));
    config.listen = addr;
    let relay = start_with(config).await;
    let shutdown_leaves = |log: Vec<RoomEvent>| {
        let mut names: Vec<String> = log
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::Left {
                    name,
                    reason: LeaveReason::Shutdown,
                } => Some(name),
                _ => None,
            })
            .collect();
        names.sort();
        names
    };
    let a = read_log(&relay.invite_for("a").unwrap()).await;
    assert_eq!(shutdown_leaves(a), ["Anna"]);
    let b = read_log(&relay.invite_for("b").unwrap()).await;
    assert_eq!(shutdown_leaves(b), ["Anna", "Bruno"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn an_empty_room_leaves_memory_after_a_while_and_opens_again_with_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("a")];
    config.open_rooms = true;
    config.limits.max_rooms = 2;
    config.limits.room_idle = std::time::Duration::from_millis(300);
    let relay = start_with(config).await;
    let mut anna = connect(&relay.invite(), "Anna").await;
    anna.room = anna.join_room("a", None, None).await.unwrap().room;
    let id = anna.say("prima").await;
    let first = anna.ack_of(id).await.unwrap();
    let mut bruno = connect(&relay.invite(), "Bruno").await;
    assert_eq!(
        bruno.join_room("b", None, None).await,
        Err(JoinRefusal::TooManyRoomsOnRelay),
        "piazza and a are open"
    );
    anna.leave().await;
    let until = std::time::Instant::now() + WAIT;
    while relay.room_stats("a").is_some() {
        assert!(std::time::Instant::now() < until, "a stayed in memory");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(relay.stats().rooms, 1, "the default room stays");
    bruno
        .join_room("b", None, None)
        .await
        .expect("a's place is free");
    // Joined again, a opens from its log, and its seqs go on.
    let w = anna.join_room("a", None, None).await.unwrap();
    assert_eq!(texts(&w.backlog), ["prima"]);
    let id = anna.say("dopo").await;
    assert!(anna.ack_of(id).await.unwrap() > first);
    let log = read_log(&relay.invite_for("a").unwrap()).await;
    assert_eq!(texts(&log), ["prima", "dopo"]);
    relay.shutdown().await;
}

#[tokio::test]
async fn joins_racing_the_unloading_of_a_room_all_get_in_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![RoomConfig::new("a")];
    config.limits.room_idle = std::time::Duration::ZERO; // every empty room, every tick
    let relay = start_with(config).await;
    let mut anna = connect(&relay.invite(), "Anna").await;
    let mut seqs = Vec::new();
    for i in 0..40 {
        let w = anna
            .join_room("a", None, None)
            .await
            .expect("every join gets in");
        anna.room = w.room;
        let id = anna.say(&format!("giro {i}")).await;
        seqs.push(anna.ack_of(id).await.unwrap());
        anna.leave().await;
        // Now and then, let the room be unloaded before the next join.
        tokio::time::sleep(std::time::Duration::from_millis(if i % 3 == 0 {
            150
        } else {
            5
        }))
        .await;
    }
    assert!(seqs.windows(2).all(|s| s[0] < s[1]), "{seqs:?}");
    let log = read_log(&relay.invite_for("a").unwrap()).await;
    let want: Vec<String> = (0..40).map(|i| format!("giro {i}")).collect();
    assert_eq!(texts(&log), want, "every message once, in order");
    relay.shutdown().await;
}
