//! What the engine's integration tests share: the real relay in-process (with rooms),
//! engines with short timings, waiting for events, reading a room's whole log; in
//! `fakes`, a UDP forwarder that can go silent and a fake relay that answers joins with
//! chosen bytes.

#![allow(dead_code)]

mod fakes;
#[allow(unused_imports)] // Not every test uses the fakes.
pub use fakes::*;

use std::{net::SocketAddr, path::Path, time::Duration};

use common::{invite::Invite, protocol::*};
use engine::{Command, Engine, EngineConfig, EngineState, Event, RoomStatus, Status};
use relay::{Relay, RelayConfig, RoomConfig};
use tokio::sync::mpsc::UnboundedReceiver;

pub const WAIT: Duration = Duration::from_secs(20);

/// The room an invite without a room names.
pub const ROOM: &str = DEFAULT_ROOM;

pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub async fn relay_at(dir: &Path, listen: SocketAddr) -> Relay {
    let mut config = RelayConfig::for_tests(dir);
    config.listen = listen;
    Relay::start(config).await.unwrap()
}

pub async fn lossy_relay_at(dir: &Path, listen: SocketAddr) -> Relay {
    let mut config = RelayConfig::for_tests(dir);
    config.listen = listen;
    config.lose_acks = true;
    Relay::start(config).await.unwrap()
}

/// The operator's rooms: names, with a key or none.
pub fn rooms(rooms: &[(&str, Option<&str>)]) -> Vec<RoomConfig> {
    rooms
        .iter()
        .map(|(name, key)| RoomConfig {
            name: name.to_string(),
            key: key.map(Into::into),
            archived: false,
        })
        .collect()
}

/// A relay with these operator rooms (besides the default room).
pub async fn relay_with_rooms(
    dir: &Path,
    listen: SocketAddr,
    configured: &[(&str, Option<&str>)],
    lose_acks: bool,
) -> Relay {
    let mut config = RelayConfig::for_tests(dir);
    config.listen = listen;
    config.rooms = rooms(configured);
    config.lose_acks = lose_acks;
    Relay::start(config).await.unwrap()
}

pub type Events = UnboundedReceiver<Event>;

pub fn engine(invite: Invite, name: &str, state: EngineState) -> (Engine, Events) {
    let mut config = EngineConfig::new(invite, name, state);
    config.backoff_initial = Duration::from_millis(100);
    config.backoff_max = Duration::from_millis(800);
    config.connect_timeout = Duration::from_secs(2);
    engine::start(config)
}

/// Collects events until `pred` matches one; returns everything seen, the match last.
pub async fn until(
    events: &mut Events,
    what: &str,
    pred: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    until_within(events, WAIT, what, pred).await
}

/// [`until`] with another time limit.
pub async fn until_within(
    events: &mut Events,
    limit: Duration,
    what: &str,
    mut pred: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let result = tokio::time::timeout(limit, async {
        while let Some(event) = events.recv().await {
            let hit = pred(&event);
            seen.push(event);
            if hit {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(result, Ok(true)),
        "waiting {limit:?} for {what}; saw {seen:#?}"
    );
    seen
}

/// Asserts that nothing happens within `quiet` but saving what already happened.
pub async fn nothing_more(events: &mut Events, quiet: Duration, what: &str) {
    let more = tokio::time::timeout(quiet, async {
        loop {
            match events.recv().await {
                Some(Event::Saved(_)) => {}
                other => return other,
            }
        }
    })
    .await;
    assert!(more.is_err(), "{what}: {more:?}");
}

/// Asserts that the connection state does not change within `quiet`, and no room is
/// welcomed again.
pub async fn status_stays(events: &mut Events, quiet: Duration, what: &str) {
    let change = tokio::time::timeout(quiet, async {
        loop {
            match events.recv().await {
                Some(e @ (Event::Status(_) | Event::Welcome { .. })) => return Some(e),
                Some(_) => {}
                None => return None,
            }
        }
    })
    .await;
    assert!(change.is_err(), "{what}: {change:?}");
}

pub fn is_connected(e: &Event) -> bool {
    matches!(e, Event::Status(Status::Connected))
}

/// The engine lost its relay and is trying to get back.
pub fn is_reconnecting(e: &Event) -> bool {
    matches!(e, Event::Status(Status::Reconnecting { .. }))
}

/// The room reached this status.
pub fn room_status(room: &str, status: RoomStatus) -> impl Fn(&Event) -> bool + '_ {
    move |e| matches!(e, Event::RoomStatus { room: r, status: s } if r == room && *s == status)
}

/// The room was joined.
pub fn is_joined(room: &str) -> impl Fn(&Event) -> bool + '_ {
    room_status(room, RoomStatus::Joined)
}

pub fn acks(n: usize) -> impl FnMut(&Event) -> bool {
    let mut seen = 0;
    move |e| {
        seen += usize::from(matches!(e, Event::Acked { .. }));
        seen == n
    }
}

/// A message with this text, in any room.
pub fn is_text(text: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e| matches!(e, Event::Room { event: RoomEvent { kind: EventKind::Message { text: t, .. }, .. }, .. } if t == text)
}

/// Collects events until a message with each of `texts` has been seen (in any order,
/// in any room).
pub async fn until_texts(events: &mut Events, what: &str, texts: &[String]) -> Vec<Event> {
    let mut missing: Vec<String> = texts.to_vec();
    until(events, what, |e| {
        missing.retain(|t| !is_text(t)(e));
        missing.is_empty()
    })
    .await
}

/// The seqs of the room events reported for `room`, in the order reported.
pub fn seqs_in(events: &[Event], room: &str) -> Vec<Seq> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Room { room: r, event } if r == room => Some(event.seq),
            _ => None,
        })
        .collect()
}

/// The seqs reported for the default room.
pub fn room_seqs(events: &[Event]) -> Vec<Seq> {
    seqs_in(events, ROOM)
}

/// The texts of messages reported for `room`, in the order reported.
pub fn texts_of(events: &[Event], room: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Room {
                room: r,
                event:
                    RoomEvent {
                        kind: EventKind::Message { text, .. },
                        ..
                    },
            } if r == room => Some(text.clone()),
            _ => None,
        })
        .collect()
}

pub fn texts_in(log: &[RoomEvent]) -> Vec<String> {
    log.iter()
        .filter_map(|e| match &e.kind {
            EventKind::Message { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The state through serde and back, as the app stores it (JSON).
pub fn through_serde(state: &EngineState) -> EngineState {
    serde_json::from_slice(&serde_json::to_vec(state).unwrap()).unwrap()
}

pub fn hello(name: &str) -> Hello {
    Hello::new(name, InstallId::random())
}

/// The whole log of the invite's room, read by a fresh client resuming from 0.
pub async fn relay_log(invite: &Invite) -> Vec<RoomEvent> {
    let (mut conn, _, welcome) = net::open(invite, hello("Archivio"), Some(0)).await.unwrap();
    let mut log = welcome.backlog;
    // Events beyond the welcome frame follow as frames, up to our own join.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), conn.read::<ServerFrame>()).await {
            Ok(Ok(ServerFrame::Event { event, .. })) => {
                if matches!(&event.kind, EventKind::Joined { name } if name == "Archivio") {
                    break;
                }
                log.push(event);
            }
            Ok(Ok(_)) => {}
            other => panic!("reading the log: {other:?}"),
        }
    }
    let _ = conn.write(&ClientFrame::Quit).await;
    log
}

/// Sends a command; the engine must be running.
pub fn send(engine: &Engine, command: Command) {
    assert!(engine.send(command), "the engine stopped");
}

/// Sends a text to a room.
pub fn say(engine: &Engine, room: &str, text: impl Into<String>) {
    send(
        engine,
        Command::Send {
            room: room.into(),
            text: text.into(),
        },
    );
}
