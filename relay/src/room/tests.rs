//! The room without sockets: an in-memory log (whose seqs go 10, 20, 30, …) and member
//! queues read directly.

use std::{sync::Arc, time::Duration};

use std::sync::atomic::AtomicU64;

use common::{
    codec,
    protocol::{
        ClientMsgId, EventKind, InstallId, JoinRefusal, LeaveReason, RateLimit, RejectReason,
        RoomEvent, RoomLeftReason, Seq, ServerFrame, DEFAULT_ROOM,
    },
    rate::TokenBucket,
    rules::name_key,
};

use super::*;
use crate::log::{memory::MemoryLog, RoomLog};

fn limits() -> Limits {
    Limits {
        rate: RateLimit {
            per_second: 1000,
            burst: 1000,
        },
        ..Limits::default()
    }
}

async fn room_with(log: Arc<MemoryLog>, limits: Limits, lose_acks: bool) -> Arc<Room> {
    let setup = Setup {
        name: DEFAULT_ROOM.into(),
        log,
        archived: false,
        lose_acks,
    };
    Room::open(setup, limits, Arc::new(Stats::default()))
        .await
        .unwrap()
}

static SESSIONS: AtomicU64 = AtomicU64::new(1);

/// A session of `name` (install `install`), with its own queue.
fn session(name: &str, install: u8) -> MemberRef {
    MemberRef {
        name: name.into(),
        key: name_key(name),
        install: InstallId([install; 16]),
        session: SESSIONS.fetch_add(1, Ordering::Relaxed),
        queue: Arc::new(MemberQueue::new(limits().queue_bytes)),
    }
}

/// `name` joins `room` in a new session (its queue as large as the room's limits say).
async fn join(room: &Room, name: &str, install: u8, resume_after: Option<Seq>) -> MemberRef {
    let mut m = session(name, install);
    m.queue = Arc::new(MemberQueue::new(room.limits.queue_bytes));
    join_with(room, m, resume_after).await
}

async fn join_with(room: &Room, m: MemberRef, resume_after: Option<Seq>) -> MemberRef {
    room.join(&m, resume_after).await.unwrap();
    m
}

fn id(m: &MemberRef, counter: u64) -> ClientMsgId {
    ClientMsgId {
        install: m.install,
        counter,
    }
}

fn tokens() -> TokenBucket {
    TokenBucket::new(1000.0, 1000.0)
}

/// Every frame queued for `m` within a moment, decoded.
async fn frames(m: &MemberRef) -> Vec<ServerFrame> {
    let mut out = Vec::new();
    let mut batch = Vec::new();
    while let Ok(closed) =
        tokio::time::timeout(Duration::from_millis(100), m.queue.next_batch(&mut batch)).await
    {
        for frame in batch.drain(..) {
            out.push(codec::decode::<ServerFrame>(&frame).unwrap().0);
        }
        if closed.is_some() {
            break;
        }
    }
    out
}

fn acks(frames: &[ServerFrame]) -> Vec<(u64, Seq)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Ack { id, seq, .. } => Some((id.counter, *seq)),
            _ => None,
        })
        .collect()
}

fn texts(frames: &[ServerFrame]) -> Vec<(Seq, String)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event {
                event:
                    RoomEvent {
                        seq,
                        kind: EventKind::Message { text, .. },
                        ..
                    },
                ..
            } => Some((*seq, text.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn messages_get_the_logs_seqs_in_submission_order_and_acks_once_durable() {
    let room = room_with(Arc::default(), limits(), false).await;
    let a = join(&room, "Anna", 1, None).await;
    let b = join(&room, "Bruno", 2, None).await;
    assert_eq!(
        room.submit(&a, id(&a, 1), "uno".into(), &mut tokens()),
        Submitted::Sequenced
    );
    assert_eq!(
        room.submit(&b, id(&b, 1), "due".into(), &mut tokens()),
        Submitted::Sequenced
    );
    let fa = frames(&a).await;
    let fb = frames(&b).await;
    assert!(
        matches!(fa[0], ServerFrame::Welcome(_)),
        "the welcome comes first"
    );
    assert_eq!(
        texts(&fa),
        [(30, "uno".into()), (40, "due".into())],
        "joins were 10, 20"
    );
    assert_eq!(texts(&fa), texts(&fb), "one order for everyone");
    assert_eq!(acks(&fa), [(1, 30)]);
    assert_eq!(acks(&fb), [(1, 40)]);
    assert_eq!(room.last_seq(), 40);
}

#[tokio::test]
async fn a_resend_in_flight_or_stored_is_acked_with_the_first_seq_and_published_once() {
    let log = Arc::new(MemoryLog::default());
    let room = room_with(log.clone(), limits(), false).await;
    let a = join(&room, "Anna", 1, None).await;
    let first = id(&a, 1);
    assert_eq!(
        room.submit(&a, first, "ciao".into(), &mut tokens()),
        Submitted::Sequenced
    );
    assert_eq!(
        room.submit(&a, first, "ciao".into(), &mut tokens()),
        Submitted::InFlight
    );
    let f = frames(&a).await;
    assert_eq!(acks(&f), [(1, 20), (1, 20)], "both copies acked");
    assert_eq!(texts(&f).len(), 1, "published once");
    assert_eq!(
        room.submit(&a, first, "ciao".into(), &mut tokens()),
        Submitted::Duplicate(20)
    );
    assert_eq!(acks(&frames(&a).await), [(1, 20)]);
    assert_eq!(log.last_seq().unwrap(), 20);
}

#[tokio::test]
async fn a_resend_of_an_id_only_the_log_remembers_is_looked_up_there() {
    let log = Arc::new(MemoryLog::default());
    let mut small = limits();
    small.history = 2;
    let room = room_with(log.clone(), small, false).await;
    let a = join(&room, "Anna", 1, None).await;
    for c in 1..=5 {
        room.submit(&a, id(&a, c), format!("n. {c}"), &mut tokens());
    }
    frames(&a).await;
    // Counter 1 left memory long ago: the log finds it, nothing is appended.
    assert_eq!(
        room.submit(&a, id(&a, 1), "n. 1".into(), &mut tokens()),
        Submitted::Sequenced
    );
    let f = frames(&a).await;
    assert_eq!(acks(&f), [(1, 20)]);
    assert!(texts(&f).is_empty());
    // Without a token, an old id is acked if stored and refused if not.
    let mut empty = TokenBucket::new(1.0, 0.0001);
    empty.take();
    room.submit(&a, id(&a, 2), "n. 2".into(), &mut empty);
    assert_eq!(
        acks(&frames(&a).await),
        [(2, 30)],
        "a stored resend is free"
    );
    let gap = ClientMsgId {
        install: a.install,
        counter: 0,
    };
    room.submit(&a, gap, "mai inviato".into(), &mut empty);
    let f = frames(&a).await;
    assert!(f.contains(&ServerFrame::Rejected {
        room: room.id(),
        id: gap,
        reason: RejectReason::RateLimited
    }));
    assert_eq!(log.last_seq().unwrap(), 60, "nothing appended for resends");
}

#[tokio::test]
async fn texts_against_the_rules_are_rejected_with_their_reason() {
    let room = room_with(Arc::default(), limits(), false).await;
    let a = join(&room, "Anna", 1, None).await;
    assert_eq!(
        room.submit(&a, id(&a, 1), "\u{1b}[2J".into(), &mut tokens()),
        Submitted::Rejected(RejectReason::ControlCharacter)
    );
    assert_eq!(
        room.submit(&a, id(&a, 2), "\u{200b}".into(), &mut tokens()),
        Submitted::Rejected(RejectReason::EmptyText)
    );
}

#[tokio::test]
async fn a_member_that_does_not_read_is_evicted_and_logged_as_too_slow() {
    let mut small = limits();
    small.queue_bytes = 4096;
    let room = room_with(Arc::default(), small, false).await;
    let a = join(&room, "Anna", 1, None).await;
    let slow = join(&room, "Lento", 2, None).await;
    let mut seen = Vec::new();
    for c in 1..=40 {
        room.submit(&a, id(&a, c), "x".repeat(200), &mut tokens());
        // Anna reads; Lento never does.
        seen.extend(frames(&a).await);
    }
    assert_eq!(slow.queue.closed().await, Close::TooSlow);
    assert_eq!(room.member_count(), 1);
    assert_eq!(room.stats.evicted_slow.load(Ordering::Relaxed), 1);
    assert_eq!(
        room.submit(&slow, id(&slow, 1), "ci sono".into(), &mut tokens()),
        Submitted::Gone
    );
    seen.extend(frames(&a).await);
    assert!(seen.iter().any(|f| matches!(f,
        ServerFrame::Event { event: RoomEvent { kind: EventKind::Left { name, reason: LeaveReason::TooSlow }, .. }, .. }
        if name == "Lento")));
}

#[tokio::test]
async fn a_client_that_leaves_gets_its_acks_before_its_queue_closes() {
    let log = Arc::new(MemoryLog::default());
    let room = room_with(log.clone(), limits(), false).await;
    let a = join(&room, "Anna", 1, None).await;
    for c in 1..=10 {
        room.submit(&a, id(&a, c), format!("{c}"), &mut tokens());
    }
    room.leave(&a, LeaveReason::Left).await.unwrap();
    let f = frames(&a).await;
    assert_eq!(acks(&f).len(), 10, "acked before the leave completes");
    assert!(!room.has(&a));
    let last = log.before(Seq::MAX, 1).unwrap().remove(0).event.kind;
    assert_eq!(
        last,
        EventKind::Left {
            name: "Anna".into(),
            reason: LeaveReason::Left
        }
    );
}

#[tokio::test]
async fn a_second_session_of_an_install_replaces_the_first_which_gets_a_bye() {
    let room = room_with(Arc::default(), limits(), false).await;
    let old = join(&room, "Anna", 1, None).await;
    let new = join(&room, "Anna", 1, None).await;
    let f = frames(&old).await;
    assert_eq!(
        f.last(),
        Some(&ServerFrame::Bye(common::protocol::ByeReason::Replaced))
    );
    assert_eq!(old.queue.closed_as(), Some(Close::Replaced));
    assert_eq!(
        room.submit(&old, id(&old, 1), "io".into(), &mut tokens()),
        Submitted::Gone
    );
    assert_eq!(
        room.submit(&new, id(&new, 1), "io".into(), &mut tokens()),
        Submitted::Sequenced
    );
    assert_eq!(room.member_count(), 1);
}

#[tokio::test]
async fn a_resume_replays_from_the_log_what_memory_no_longer_has() {
    let log = Arc::new(MemoryLog::default());
    let mut small = limits();
    small.history = 3;
    let room = room_with(log.clone(), small, false).await;
    let a = join(&room, "Anna", 1, None).await;
    for c in 1..=20 {
        room.submit(&a, id(&a, c), format!("{c}"), &mut tokens());
    }
    frames(&a).await;
    let b = join(&room, "Bruno", 2, Some(50)).await;
    let f = frames(&b).await;
    let ServerFrame::Welcome(w) = &f[0] else {
        panic!("{f:?}")
    };
    assert!(!w.gap);
    let seqs: Vec<Seq> = w.backlog.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (6..=21).map(|n| n * 10).collect::<Vec<_>>(),
        "after 50, to the last"
    );
}

#[tokio::test]
async fn history_pages_walk_back_through_the_log() {
    let room = room_with(Arc::default(), limits(), false).await;
    let a = join(&room, "Anna", 1, None).await;
    for c in 1..=25 {
        room.submit(&a, id(&a, c), format!("{c}"), &mut tokens());
    }
    frames(&a).await;
    let mut before = Seq::MAX;
    let mut seen = Vec::new();
    loop {
        let (page, _) = codec::decode::<ServerFrame>(&room.history(before, 10).await).unwrap();
        let ServerFrame::History { page, .. } = page else {
            panic!()
        };
        seen.splice(0..0, page.events.iter().map(|e| e.seq));
        match page.events.first() {
            Some(first) if page.more => before = first.seq,
            _ => break,
        }
    }
    assert_eq!(seen, (1..=26).map(|n| n * 10).collect::<Vec<_>>());
}

#[tokio::test]
async fn shutdown_logs_everyone_as_left_before_the_bye_and_a_crash_is_caught_up_at_start() {
    let log = Arc::new(MemoryLog::default());
    let room = room_with(log.clone(), limits(), false).await;
    let a = join(&room, "Anna", 1, None).await;
    room.close(Closing::Shutdown).await;
    let f = frames(&a).await;
    assert!(matches!(
        f.last(),
        Some(ServerFrame::Event {
            event: RoomEvent {
                kind: EventKind::Left {
                    reason: LeaveReason::Shutdown,
                    ..
                },
                ..
            },
            ..
        })
    ));
    assert!(!room.has(&a));
    assert!(log.present().unwrap().is_empty());

    // A room that "crashed" with Bruno present: the next start logs his leave.
    let crashed = Arc::new(MemoryLog::default());
    crashed
        .append_now(vec![Entry {
            at_ms: 1,
            kind: EventKind::Joined {
                name: "Bruno".into(),
            },
            resend: Resend::Fresh,
        }])
        .unwrap();
    let _room = room_with(crashed.clone(), limits(), false).await;
    let last = crashed.before(Seq::MAX, 1).unwrap().remove(0).event.kind;
    assert_eq!(
        last,
        EventKind::Left {
            name: "Bruno".into(),
            reason: LeaveReason::Shutdown
        }
    );
    assert!(crashed.present().unwrap().is_empty());
}

#[tokio::test]
async fn with_lose_acks_messages_are_stored_but_nobody_hears_of_them() {
    let log = Arc::new(MemoryLog::default());
    let room = room_with(log.clone(), limits(), true).await;
    let a = join(&room, "Anna", 1, None).await;
    room.submit(&a, id(&a, 1), "perso".into(), &mut tokens());
    let f = frames(&a).await;
    assert!(acks(&f).is_empty() && texts(&f).is_empty());
    assert_eq!(log.lookup(id(&a, 1)).unwrap(), Some(20));
}

/// A room named `name` over its own memory log.
async fn named_room(name: &str) -> Arc<Room> {
    let setup = Setup {
        name: name.into(),
        log: Arc::new(MemoryLog::of(RoomId::of(name))),
        archived: false,
        lose_acks: false,
    };
    Room::open(setup, limits(), Arc::new(Stats::default()))
        .await
        .unwrap()
}

#[tokio::test]
async fn one_session_in_two_rooms_gets_each_rooms_frames_naming_their_room() {
    let a = named_room("a").await;
    let b = named_room("b").await;
    let anna = join(&a, "Anna", 1, None).await;
    join_with(&b, anna.clone(), None).await;
    let bruno = join(&b, "Bruno", 2, None).await;
    a.submit(&anna, id(&anna, 1), "in a".into(), &mut tokens());
    b.submit(&bruno, id(&bruno, 1), "in b".into(), &mut tokens());
    let f = frames(&anna).await;
    let welcomes: Vec<RoomId> = f
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Welcome(w) => Some(w.room),
            _ => None,
        })
        .collect();
    assert_eq!(welcomes, [a.id(), b.id()]);
    let mut texts: Vec<(RoomId, String)> = f
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event {
                room,
                event:
                    RoomEvent {
                        kind: EventKind::Message { text, .. },
                        ..
                    },
            } => Some((*room, text.clone())),
            _ => None,
        })
        .collect();
    texts.sort();
    let mut want = vec![(a.id(), "in a".to_string()), (b.id(), "in b".to_string())];
    want.sort();
    assert_eq!(texts, want, "each message once, in its own room");
    assert!(
        f.iter()
            .any(|f| matches!(f, ServerFrame::Ack { room, .. } if *room == a.id())),
        "the ack names the room"
    );
    assert!(frames(&bruno).await.iter().all(|f| !matches!(f,
        ServerFrame::Event { event: RoomEvent { kind: EventKind::Message { text, .. }, .. }, .. } if text == "in a")));
}

#[tokio::test]
async fn joining_again_in_the_same_session_gets_a_new_welcome_and_replaces_nothing() {
    let room = named_room("a").await;
    let anna = join(&room, "Anna", 1, None).await;
    join_with(&room, anna.clone(), None).await;
    let f = frames(&anna).await;
    assert_eq!(
        f.iter()
            .filter(|f| matches!(f, ServerFrame::Welcome(_)))
            .count(),
        2
    );
    assert_eq!(anna.queue.closed_as(), None);
    assert_eq!(room.member_count(), 1);
    // Another install under the same name is refused in this room only.
    let other = session("ANNA", 9);
    assert_eq!(room.join(&other, None).await, Err(JoinRefusal::NameTaken));
    let elsewhere = named_room("b").await;
    assert_eq!(elsewhere.join(&other, None).await, Ok(()));
}

#[tokio::test]
async fn an_archived_room_is_read_only_and_tells_its_members() {
    let room = named_room("a").await;
    let anna = join(&room, "Anna", 1, None).await;
    room.submit(&anna, id(&anna, 1), "prima".into(), &mut tokens());
    frames(&anna).await;
    room.set_archived(true);
    assert!(frames(&anna)
        .await
        .contains(&ServerFrame::Archived { room: room.id() }));
    assert_eq!(
        room.submit(&anna, id(&anna, 2), "dopo".into(), &mut tokens()),
        Submitted::Rejected(RejectReason::Archived)
    );
    let bruno = join(&room, "Bruno", 2, None).await;
    let f = frames(&bruno).await;
    let ServerFrame::Welcome(w) = &f[0] else {
        panic!("{f:?}")
    };
    assert!(w.archived, "joins are welcome, read-only");
    assert_eq!(texts(&f).len(), 0, "the backlog has no message in it");
    assert_eq!(messages_in_backlog(w), ["prima"]);
    room.set_archived(false);
    assert_eq!(
        room.submit(&anna, id(&anna, 3), "di nuovo".into(), &mut tokens()),
        Submitted::Sequenced
    );
}

fn messages_in_backlog(w: &common::protocol::Welcome) -> Vec<String> {
    w.backlog
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Message { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_deleted_room_logs_its_members_as_left_and_tells_them_their_session_goes_on() {
    let log = Arc::new(MemoryLog::of(RoomId::of("a")));
    let setup = Setup {
        name: "a".into(),
        log: log.clone(),
        archived: false,
        lose_acks: false,
    };
    let room = Room::open(setup, limits(), Arc::new(Stats::default()))
        .await
        .unwrap();
    let anna = join(&room, "Anna", 1, None).await;
    frames(&anna).await;
    room.close(Closing::Deleted).await;
    let f = frames(&anna).await;
    assert_eq!(
        f.last(),
        Some(&ServerFrame::RoomLeft {
            room: room.id(),
            reason: RoomLeftReason::Deleted
        })
    );
    assert_eq!(anna.queue.closed_as(), None, "the session goes on");
    assert!(!room.has(&anna));
    assert!(
        log.present().unwrap().is_empty(),
        "left, for the log's readers"
    );
    assert_eq!(
        room.submit(&anna, id(&anna, 1), "c'è qualcuno?".into(), &mut tokens()),
        Submitted::Gone
    );
    assert_eq!(room.join(&anna, None).await, Err(JoinRefusal::NoSuchRoom));
}

#[tokio::test]
async fn a_member_too_slow_for_one_room_is_evicted_from_its_session() {
    let mut small = limits();
    small.queue_bytes = 4096;
    let a = room_with(Arc::default(), small, false).await;
    let b = named_room("b").await;
    let sender = join(&a, "Anna", 1, None).await;
    let slow = join(&a, "Lento", 2, None).await;
    join_with(&b, slow.clone(), None).await;
    for c in 1..=40 {
        a.submit(&sender, id(&sender, c), "x".repeat(200), &mut tokens());
        frames(&sender).await;
    }
    assert_eq!(slow.queue.closed().await, Close::TooSlow);
    assert!(!a.has(&slow));
    // Its session's queue is closed: the other room publishes nothing more to it.
    assert!(!slow.queue.push(bytes::Bytes::from_static(b"x")));
}
