//! The redb store on real files: rooms kept apart (after reopening too), group commits
//! across rooms, erasing a room, the catalogue, and the upgrade of a v3 relay's log
//! (the fixture in `tests/fixtures/v3-single-room`).

use std::{collections::HashMap, path::PathBuf, sync::mpsc as std_mpsc};

use common::protocol::{ClientMsgId, InstallId, LeaveReason, DEFAULT_ROOM};

use super::*;
use crate::log::RoomLog;

fn message(counter: u64, resend: Resend) -> Entry {
    Entry {
        at_ms: 1,
        kind: EventKind::Message {
            sender: "Anna".into(),
            text: format!("n. {counter}"),
            id: ClientMsgId {
                install: InstallId([3; 16]),
                counter,
            },
        },
        resend,
    }
}

fn presence(kind: EventKind) -> Entry {
    Entry {
        at_ms: 1,
        kind,
        resend: Resend::Fresh,
    }
}

/// Appends and waits (the test's thread may block).
fn append(log: &dyn RoomLog, batch: Vec<Entry>) -> Vec<Appended> {
    let (tx, rx) = std_mpsc::channel();
    log.append(batch, Box::new(move |r| tx.send(r).unwrap()));
    rx.recv().unwrap().unwrap()
}

fn seqs(out: &[Appended]) -> Vec<Seq> {
    out.iter()
        .map(|a| match a {
            Appended::New(s) => s.seq,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn room(name: &str) -> RoomId {
    RoomId::of(name)
}

#[test]
fn a_log_open_elsewhere_reports_that_it_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    let _first = RedbStore::open(&path).unwrap();
    let err = RedbStore::open(&path).err().expect("second open must fail");
    assert!(err.is_locked(), "{err}");
}

#[test]
fn appends_get_increasing_seqs_per_room_and_read_back_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    {
        let store = RedbStore::open(&path).unwrap();
        let a = store.log(room("a"));
        let b = store.log(room("b"));
        assert_eq!(a.last_seq().unwrap(), 0);
        let batch = |n| (1..=n).map(|c| message(c, Resend::Fresh)).collect();
        assert_eq!(seqs(&append(&*a, batch(5))), [1, 2, 3, 4, 5]);
        assert_eq!(
            seqs(&append(&*b, batch(2))),
            [1, 2],
            "each room its own seqs"
        );
        drop((a, b));
        store.close();
    }
    let store = RedbStore::open(&path).unwrap();
    let a = store.log(room("a"));
    let b = store.log(room("b"));
    assert_eq!((a.last_seq().unwrap(), b.last_seq().unwrap()), (5, 2));
    let seqs_of = |v: Vec<Stored>| v.into_iter().map(|s| s.seq).collect::<Vec<_>>();
    assert_eq!(seqs_of(a.before(Seq::MAX, 2).unwrap()), [4, 5]);
    assert_eq!(seqs_of(a.before(4, 10).unwrap()), [1, 2, 3]);
    assert_eq!(seqs_of(a.range(1, 4, 10).unwrap()), [2, 3, 4]);
    assert_eq!(seqs_of(b.range(0, Seq::MAX, 10).unwrap()), [1, 2]);
    let EventKind::Message { id, .. } = message(4, Resend::Fresh).kind else {
        unreachable!()
    };
    assert_eq!(a.lookup(id).unwrap(), Some(4));
    assert_eq!(b.lookup(id).unwrap(), None, "ids are per room");
    assert_eq!(a.install_counters().unwrap()[&id.install], 5);
    assert_eq!(b.install_counters().unwrap()[&id.install], 2);
    // Every stored frame names its room.
    for (log, name) in [(&a, "a"), (&b, "b")] {
        for stored in log.before(Seq::MAX, 10).unwrap() {
            let frame = common::codec::decode::<common::protocol::ServerFrame>(&stored.frame);
            assert!(matches!(
                frame.unwrap().0,
                common::protocol::ServerFrame::Event { room: r, .. } if r == room(name)
            ));
        }
    }
    store.close();
}

#[test]
fn a_stored_id_is_a_duplicate_and_an_unknown_one_is_appended_or_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("log.redb")).unwrap();
    let log = store.log(room(DEFAULT_ROOM));
    append(
        &*log,
        vec![message(1, Resend::Fresh), message(3, Resend::Fresh)],
    );
    let out = append(
        &*log,
        vec![
            message(1, Resend::Maybe),
            message(3, Resend::OnlyIfStored),
            message(2, Resend::OnlyIfStored),
            message(2, Resend::Maybe),
        ],
    );
    assert!(matches!(out[0], Appended::Duplicate(1)));
    assert!(matches!(out[1], Appended::Duplicate(2)));
    assert!(matches!(out[2], Appended::Missing));
    assert!(matches!(&out[3], Appended::New(s) if s.seq == 3));
    // The same id in another room is another message.
    let other = store.log(room("altra"));
    assert_eq!(seqs(&append(&*other, vec![message(1, Resend::Maybe)])), [1]);
    store.close();
}

#[test]
fn the_present_set_follows_joins_and_leaves_in_each_room() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("log.redb")).unwrap();
    let a = store.log(room("a"));
    let b = store.log(room("b"));
    let joined = |n: &str| presence(EventKind::Joined { name: n.into() });
    append(&*a, vec![joined("Anna"), joined("Bruno"), joined("Carla")]);
    append(&*b, vec![joined("Bruno")]);
    let left = presence(EventKind::Left {
        name: "Bruno".into(),
        reason: LeaveReason::Left,
    });
    append(&*a, vec![left]);
    assert_eq!(a.present().unwrap(), ["Anna", "Carla"]);
    assert_eq!(b.present().unwrap(), ["Bruno"], "still in the other room");
    store.close();
}

#[test]
fn batches_of_many_rooms_handed_over_together_share_a_few_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("log.redb")).unwrap();
    const ROOMS: usize = 300;
    let (tx, rx) = std_mpsc::channel();
    for r in 0..ROOMS {
        let tx = tx.clone();
        let log = store.log(room(&format!("classe-{r}")));
        log.append(
            vec![message(1, Resend::Fresh), message(2, Resend::Fresh)],
            Box::new(move |out| tx.send((r, out)).unwrap()),
        );
    }
    let mut done = HashMap::new();
    for _ in 0..ROOMS {
        let (r, out) = rx.recv().unwrap();
        done.insert(r, seqs(&out.unwrap()));
    }
    assert!(
        done.values().all(|s| *s == [1, 2]),
        "every room its own seqs"
    );
    assert!(
        store.commits() <= 10,
        "{ROOMS} rooms' batches in {} commits",
        store.commits()
    );
    store.close();
}

#[test]
fn deleting_a_room_erases_it_and_nothing_of_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("log.redb")).unwrap();
    let record = |name: &str| RoomRecord {
        name: name.into(),
        archived: false,
        by_client: true,
    };
    for name in ["a", "b"] {
        store.put_rooms(&[record(name)]).unwrap();
        let log = store.log(room(name));
        let joined = presence(EventKind::Joined {
            name: "Anna".into(),
        });
        append(&*log, vec![joined, message(1, Resend::Fresh)]);
    }
    assert!(store.delete_room("a").unwrap());
    assert!(!store.delete_room("a").unwrap(), "nothing left to erase");
    let a = store.log(room("a"));
    assert_eq!(a.last_seq().unwrap(), 0);
    assert!(a.present().unwrap().is_empty() && a.install_counters().unwrap().is_empty());
    let b = store.log(room("b"));
    assert_eq!(b.last_seq().unwrap(), 2);
    assert_eq!(b.present().unwrap(), ["Anna"]);
    assert_eq!(store.rooms().unwrap(), [record("b")]);
    store.close();
}

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v3-single-room/piazza.redb")
}

/// The v3 log's events, read from its own tables with the v3 frame layout.
fn v3_events(path: &std::path::Path) -> Vec<RoomEvent> {
    let db = Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn
        .open_table(TableDefinition::<u64, &[u8]>::new("events"))
        .unwrap();
    let events = table
        .iter()
        .unwrap()
        .map(|e| {
            let (k, v) = e.unwrap();
            upgrade::v3_event(k.value(), v.value()).unwrap()
        })
        .collect();
    events
}

#[test]
fn a_v3_log_becomes_the_default_rooms_log_with_everything_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("piazza.redb");
    std::fs::copy(fixture(), &path).unwrap();
    let before = v3_events(&path);
    assert!(before.len() > 10, "the fixture has a history");
    let store = RedbStore::open(&path).unwrap();
    let log = store.log(room(DEFAULT_ROOM));
    let after: Vec<RoomEvent> = log
        .range(0, Seq::MAX, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|s| s.event)
        .collect();
    assert_eq!(after, before, "every event, under its seq");
    for event in &after {
        if let EventKind::Message { id, .. } = &event.kind {
            assert_eq!(log.lookup(*id).unwrap(), Some(event.seq), "dedup goes on");
            assert!(log.install_counters().unwrap()[&id.install] >= id.counter);
        }
    }
    let rooms = store.rooms().unwrap();
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].name, DEFAULT_ROOM);
    drop(log);
    store.close();
    drop(store);
    // Opened again: nothing to upgrade, nothing doubled.
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(
        store.log(room(DEFAULT_ROOM)).last_seq().unwrap(),
        after.last().unwrap().seq
    );
    store.close();
}
