//! Tests of the data directory: settings, identity, per-relay files, the writer.

use std::time::Duration;

use common::{
    fingerprint::Fingerprint,
    protocol::{ClientMsgId, EventKind, Seq},
};
use engine::Outgoing;

use super::*;

fn invite(port: u16, fp: u8) -> Invite {
    Invite {
        host: "127.0.0.1".into(),
        port,
        fingerprint: Some(Fingerprint([fp; 32])),
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
    let mut old = EngineState::new();
    old.last_seq = Some(42);
    old.outbox.push(Outgoing {
        id: ClientMsgId {
            install: old.install,
            counter: 1,
        },
        text: "non perdermi".into(),
    });
    save_json(&dir.path().join(OLD_ENGINE_FILE), &old).unwrap();
    store
        .save_settings(&Settings {
            invite: invite(4433, 1).to_string(),
            ..Settings::default()
        })
        .unwrap();
    assert_eq!(store.install().unwrap(), old.install);
    let relay = store.relay(&invite(4433, 1)).unwrap();
    assert_eq!(relay.load_engine_state(old.install), old);
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
    state.last_seq = Some(3);
    writer.events(vec![joined(1), joined(2), joined(3)]);
    writer.state(state.clone());
    writer.flush(Duration::from_secs(5));
    assert_eq!(a.load_engine_state(install), state);
    assert_eq!(a.load_timeline().len(), 3);
    assert_eq!(b.load_engine_state(install).last_seq, None);
    assert!(b.load_timeline().is_empty());
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
        writer.events(vec![joined(seq)]);
        state.last_seq = Some(seq);
        writer.state(state.clone());
    }
    writer.flush(Duration::from_secs(5));
    assert_eq!(relay.load_engine_state(install).last_seq, Some(50));
    assert_eq!(relay.load_timeline().len(), 50);
    assert_eq!(*writer.errors().borrow(), None);
}

#[test]
fn a_write_failure_is_reported_in_words_and_cleared_by_the_next_success() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let relay = store.relay(&invite(4433, 1)).unwrap();
    // A directory where the timeline file should be: appending fails (even as root).
    fs::create_dir(relay.timeline_path()).unwrap();
    let writer = relay.writer();
    writer.events(vec![joined(1)]);
    writer.flush(Duration::from_secs(5));
    let error = writer.errors().borrow().clone();
    assert!(error.is_some_and(|e| !e.is_empty()));
    fs::remove_dir(relay.timeline_path()).unwrap();
    writer.events(vec![joined(2)]);
    writer.flush(Duration::from_secs(5));
    assert_eq!(*writer.errors().borrow(), None);
    assert_eq!(relay.load_timeline().len(), 1);
}
