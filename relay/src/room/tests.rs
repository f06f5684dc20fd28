//! The room without sockets: an in-memory log (whose seqs go 10, 20, 30, …) and member
//! queues read directly.

use std::{sync::Arc, time::Duration};

use common::{
    codec,
    protocol::{
        ClientMsgId, EventKind, Hello, InstallId, LeaveReason, RateLimit, RejectReason, RoomEvent,
        Seq, ServerFrame, PROTOCOL_VERSION,
    },
    rate::TokenBucket,
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
    Room::open(log, limits, Arc::new(Stats::default()), lose_acks)
        .await
        .unwrap()
}

fn hello(name: &str, install: u8, resume_after: Option<Seq>) -> Hello {
    Hello {
        version: PROTOCOL_VERSION,
        name: name.into(),
        install: InstallId([install; 16]),
        room_key: None,
        resume_after,
    }
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
            ServerFrame::Ack { id, seq } => Some((id.counter, *seq)),
            _ => None,
        })
        .collect()
}

fn texts(frames: &[ServerFrame]) -> Vec<(Seq, String)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event(RoomEvent {
                seq,
                kind: EventKind::Message { text, .. },
                ..
            }) => Some((*seq, text.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn messages_get_the_logs_seqs_in_submission_order_and_acks_once_durable() {
    let room = room_with(Arc::default(), limits(), false).await;
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    let b = room
        .join("Bruno".into(), &hello("Bruno", 2, None))
        .await
        .unwrap();
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
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
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
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
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
        id: gap,
        reason: RejectReason::RateLimited
    }));
    assert_eq!(log.last_seq().unwrap(), 60, "nothing appended for resends");
}

#[tokio::test]
async fn texts_against_the_rules_are_rejected_with_their_reason() {
    let room = room_with(Arc::default(), limits(), false).await;
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
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
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    let slow = room
        .join("Lento".into(), &hello("Lento", 2, None))
        .await
        .unwrap();
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
        ServerFrame::Event(RoomEvent { kind: EventKind::Left { name, reason: LeaveReason::TooSlow }, .. })
        if name == "Lento")));
}

#[tokio::test]
async fn a_client_that_leaves_gets_its_acks_before_its_queue_closes() {
    let log = Arc::new(MemoryLog::default());
    let room = room_with(log.clone(), limits(), false).await;
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    for c in 1..=10 {
        room.submit(&a, id(&a, c), format!("{c}"), &mut tokens());
    }
    room.leave(&a, LeaveReason::Left);
    let f = frames(&a).await;
    assert_eq!(acks(&f).len(), 10);
    assert_eq!(a.queue.closed_as(), Some(Close::Left));
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
    let old = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    let new = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
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
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    for c in 1..=20 {
        room.submit(&a, id(&a, c), format!("{c}"), &mut tokens());
    }
    frames(&a).await;
    let b = room
        .join("Bruno".into(), &hello("Bruno", 2, Some(50)))
        .await
        .unwrap();
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
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    for c in 1..=25 {
        room.submit(&a, id(&a, c), format!("{c}"), &mut tokens());
    }
    frames(&a).await;
    let mut before = Seq::MAX;
    let mut seen = Vec::new();
    loop {
        let (page, _) = codec::decode::<ServerFrame>(&room.history(before, 10).await).unwrap();
        let ServerFrame::History(page) = page else {
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
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    room.shutdown().await;
    let f = frames(&a).await;
    assert!(matches!(
        f.get(f.len() - 2),
        Some(ServerFrame::Event(RoomEvent {
            kind: EventKind::Left {
                reason: LeaveReason::Shutdown,
                ..
            },
            ..
        }))
    ));
    assert_eq!(
        f.last(),
        Some(&ServerFrame::Bye(common::protocol::ByeReason::Shutdown))
    );
    assert!(log.present().unwrap().is_empty());

    // A room that "crashed" with Bruno present: the next start logs his leave.
    let crashed = Arc::new(MemoryLog::default());
    crashed
        .append(vec![Entry {
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
    let a = room
        .join("Anna".into(), &hello("Anna", 1, None))
        .await
        .unwrap();
    room.submit(&a, id(&a, 1), "perso".into(), &mut tokens());
    let f = frames(&a).await;
    assert!(acks(&f).is_empty() && texts(&f).is_empty());
    assert_eq!(log.lookup(id(&a, 1)).unwrap(), Some(20));
}
