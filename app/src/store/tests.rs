//! Tests of the data directory: settings, identity, per-relay files, the writer.

use std::time::Duration;

use common::protocol::InstallId;
use common::{
    fingerprint::Fingerprint,
    protocol::{ClientMsgId, EventKind, Seq},
};

use super::*;

fn invite(port: u16, fp: u8) -> Invite {
    Invite {
        host: "127.0.0.1".into(),
        port,
        more: Vec::new(),
        fingerprint: Some(Fingerprint([fp; 32])),
        room: None,
        room_key: None,
    }
}

fn joined(seq: Seq) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: seq,
        kind: EventKind::Joined {
            name: format!("p{seq}"),
        },
    }
}

#[test]
fn settings_round_trip_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("sub")).unwrap();
    assert_eq!(store.load_settings(), Settings::default());
    let settings = Settings {
        name: "Giulia".into(),
        invite: "piazza://127.0.0.1:4433/".into(),
        joined: true,
        rooms: vec![SavedRoom {
            invite: "piazza://127.0.0.1:4433/classe-3b".into(),
            muted: true,
        }],
        active: Some("piazza://127.0.0.1:4433/classe-3b".into()),
        hosting: true,
    };
    store.save_settings(&settings).unwrap();
    assert_eq!(store.load_settings(), settings);
    assert!(!dir.path().join("sub/settings.json.tmp").exists());
}

#[test]
fn the_install_id_is_made_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = store.install().unwrap();
    assert_eq!(Store::open(dir.path()).unwrap().install().unwrap(), first);
}

#[test]
fn an_older_versions_engine_state_moves_to_its_relay_and_keeps_its_install() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // A state of the version before rooms: one room's resume point and outbox.
    let install = InstallId([9; 16]);
    let old = serde_json::json!({
        "install": install,
        "next_counter": 2,
        "last_seq": 42,
        "outbox": [{ "id": { "install": install, "counter": 1 }, "text": "non perdermi" }],
    });
    save_json(&dir.path().join(OLD_ENGINE_FILE), &old).unwrap();
    store
        .save_settings(&Settings {
            invite: invite(4433, 1).to_string(),
            ..Settings::default()
        })
        .unwrap();
    assert_eq!(store.install().unwrap(), install);
    let relay = store.relay(&invite(4433, 1)).unwrap();
    let state = relay.load_engine_state(install);
    let room = &state.rooms[common::protocol::DEFAULT_ROOM];
    assert_eq!(room.last_seq, Some(42));
    assert_eq!(room.outbox[0].text, "non perdermi");
    assert_eq!(
        room.outbox[0].id,
        ClientMsgId {
            install,
            counter: 1
        }
    );
    assert!(!dir.path().join(OLD_ENGINE_FILE).exists());
}

#[test]
fn each_relay_has_its_own_state_and_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let install = store.install().unwrap();
    let a = store.relay(&invite(4433, 1)).unwrap();
    let b = store.relay(&invite(4433, 2)).unwrap();
    let writer = a.writer();
    let mut state = a.load_engine_state(install);
    state.rooms.entry("piazza".into()).or_default().last_seq = Some(3);
    writer.events("piazza", vec![joined(1), joined(2), joined(3)]);
    writer.state(state.clone());
    writer.flush(Duration::from_secs(5));
    assert_eq!(a.load_engine_state(install), state);
    assert_eq!(a.load_timeline("piazza").len(), 3);
    assert!(b.load_engine_state(install).rooms.is_empty());
    assert!(b.load_timeline("piazza").is_empty());
}

#[test]
fn the_writer_keeps_the_latest_state_and_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let install = store.install().unwrap();
    let relay = store.relay(&invite(4433, 1)).unwrap();
    let writer = relay.writer();
    let mut state = relay.load_engine_state(install);
    for seq in 1..=50 {
        writer.events("piazza", vec![joined(seq)]);
        state.rooms.entry("piazza".into()).or_default().last_seq = Some(seq);
        writer.state(state.clone());
    }
    writer.flush(Duration::from_secs(5));
    assert_eq!(
        relay.load_engine_state(install).rooms["piazza"].last_seq,
        Some(50)
    );
    assert_eq!(relay.load_timeline("piazza").len(), 50);
    assert_eq!(*writer.errors().borrow(), None);
}

#[test]
fn settings_of_the_version_before_rooms_rejoin_their_one_room() {
    let old: Settings = serde_json::from_str(
        r#"{"name":"Giulia","invite":"piazza://127.0.0.1:4433/","joined":true}"#,
    )
    .unwrap();
    let rooms = old.saved_rooms();
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].invite, "piazza://127.0.0.1:4433/");
    let left = Settings {
        joined: false,
        ..old
    };
    assert!(left.saved_rooms().is_empty());
}

#[test]
fn a_relays_single_timeline_becomes_its_default_rooms() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let relay_dir = dir
        .path()
        .join("relays")
        .join(relay_dir_name(&invite(4433, 1)));
    fs::create_dir_all(&relay_dir).unwrap();
    let line = serde_json::to_string(&joined(7)).unwrap();
    fs::write(relay_dir.join("timeline.jsonl"), format!("{line}\n")).unwrap();
    let relay = store.relay(&invite(4433, 1)).unwrap();
    assert_eq!(relay.load_timeline(common::protocol::DEFAULT_ROOM).len(), 1);
    assert!(!relay_dir.join("timeline.jsonl").exists());
}

#[test]
fn a_write_failure_is_reported_in_words_and_cleared_by_the_next_success() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let relay = store.relay(&invite(4433, 1)).unwrap();
    // A directory where the timeline file should be: appending fails (even as root).
    fs::create_dir_all(relay.timeline_path("piazza")).unwrap();
    let writer = relay.writer();
    writer.events("piazza", vec![joined(1)]);
    writer.flush(Duration::from_secs(5));
    let error = writer.errors().borrow().clone();
    assert!(error.is_some_and(|e| !e.is_empty()));
    fs::remove_dir(relay.timeline_path("piazza")).unwrap();
    writer.events("piazza", vec![joined(2)]);
    writer.flush(Duration::from_secs(5));
    assert_eq!(*writer.errors().borrow(), None);
    assert_eq!(relay.load_timeline("piazza").len(), 1);
}
