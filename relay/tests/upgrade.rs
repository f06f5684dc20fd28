//! A data directory written by the relay of protocol v3 (one room, the fixture in
//! `tests/fixtures/v3-single-room`) opened by this relay: the default room's log with
//! its whole history — every event under its seq (resumed from 0 and paged back), the
//! client ids (a resend is acked with its first seq), the present set — and the same
//! certificate.

mod support;

use std::{collections::BTreeSet, path::Path};

use common::{codec, protocol::*};
use relay::{RelayConfig, LOG_FILE};
use support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v3-single-room");

/// The events of the v3 log, read from its table with the v3 frame layout (the event
/// after the tag of `ServerFrame::Event`, variant 2 in v3).
fn v3_events(path: &Path) -> Vec<RoomEvent> {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn
        .open_table(redb::TableDefinition::<u64, &[u8]>::new("events"))
        .unwrap();
    let mut out = Vec::new();
    for entry in redb::ReadableTable::iter(&table).unwrap() {
        let (seq, frame) = entry.unwrap();
        let payload = &frame.value()[codec::PREFIX_BYTES..];
        assert_eq!(payload[0], 2, "a v3 event frame");
        let event: RoomEvent = codec::decode_payload(&payload[1..]).unwrap();
        assert_eq!(event.seq, seq.value());
        out.push(event);
    }
    out
}

/// Names joined and not left at the end of `events`.
fn present(events: &[RoomEvent]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for e in events {
        match &e.kind {
            EventKind::Joined { name } => {
                names.insert(name.clone());
            }
            EventKind::Left { name, .. } => {
                names.remove(name);
            }
            _ => {}
        }
    }
    names
}

#[tokio::test]
async fn a_v3_data_directory_opens_as_the_default_room_with_its_whole_history() {
    let dir = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(FIXTURE).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), dir.path().join(file.file_name())).unwrap();
    }
    let v3 = v3_events(&dir.path().join(LOG_FILE));
    let last_v3 = v3.last().unwrap().seq;
    assert!(v3.len() > 100, "the fixture has a history: {}", v3.len());
    let cert = std::fs::read_to_string(dir.path().join("cert.pem")).unwrap();

    let relay = start_with(RelayConfig::for_tests(dir.path())).await;
    assert_eq!(
        relay.fingerprint(),
        certs::RelayCert::load(dir.path()).unwrap().fingerprint()
    );
    assert_eq!(
        cert,
        std::fs::read_to_string(dir.path().join("cert.pem")).unwrap()
    );
    let invite = relay.invite();

    // Resumed from 0: every v3 event under its seq, then the leaves of whoever the v3
    // log still showed present (it stopped without logging them).
    let log = read_log(&invite).await;
    assert_eq!(log[..v3.len()], v3[..], "every event, under its seq");
    let caught_up: BTreeSet<String> = log[v3.len()..]
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Left {
                name,
                reason: LeaveReason::Shutdown,
            } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(caught_up, present(&v3), "the present set came along");

    // Paged back from the end: the same events.
    let (mut reader, w) = join(&invite, "Lettore").await;
    let mut paged = Vec::new();
    let mut before = last_v3 + 1;
    loop {
        reader
            .send_frame(&ClientFrame::History {
                room: w.room,
                before,
                limit: MAX_HISTORY_PAGE,
            })
            .await;
        let page = loop {
            match reader.next().await {
                Some(ServerFrame::History { page, .. }) => break page,
                Some(_) => {}
                None => panic!("no page"),
            }
        };
        paged.splice(0..0, page.events.iter().cloned());
        match page.events.first() {
            Some(first) if page.more => before = first.seq,
            _ => break,
        }
    }
    assert_eq!(paged, v3, "history pages give the v3 log too");

    // A message of the v3 log sent again by its install: acked with its first seq,
    // published nothing.
    let (seq, sender, text, id) = v3
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Message { sender, text, id } => {
                Some((e.seq, sender.clone(), text.clone(), *id))
            }
            _ => None,
        })
        .unwrap();
    let (conn, _, _) = net::open(&invite, hello(&sender, id.install), Some(Seq::MAX))
        .await
        .unwrap();
    let (_c, mut frames_in, mut out) = conn.into_parts();
    out.write(&ClientFrame::Send {
        room: RoomId::of(DEFAULT_ROOM),
        id,
        text,
    })
    .await
    .unwrap();
    loop {
        match frames_in.next::<ServerFrame>().await.unwrap() {
            ServerFrame::Ack {
                id: got, seq: s, ..
            } if got == id => break assert_eq!(s, seq),
            ServerFrame::Rejected { reason, .. } => panic!("{reason:?}"),
            _ => {}
        }
    }
    let after = read_log(&invite).await;
    let copies = after
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Message { id: i, .. } if *i == id))
        .count();
    assert_eq!(copies, 1, "not published twice");
    relay.shutdown().await;
}
