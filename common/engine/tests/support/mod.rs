//! What the engine's integration tests share: the real relay in-process, engines with
//! short timings, waiting for events, reading the relay's whole log, a UDP forwarder
//! that can go silent, and a fake relay that answers with chosen bytes.

#![allow(dead_code)]

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::Path,
    sync::{
        atomic::{AtomicU8, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use bytes::Bytes;
use common::{invite::Invite, protocol::*};
use engine::{Command, Engine, EngineConfig, EngineState, Event, Status};
use relay::{Relay, RelayConfig};
use tokio::{net::UdpSocket, sync::mpsc::UnboundedReceiver, task::JoinSet};

pub const WAIT: Duration = Duration::from_secs(20);

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

/// Asserts that the connection state does not change within `quiet`.
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

pub fn acks(n: usize) -> impl FnMut(&Event) -> bool {
    let mut seen = 0;
    move |e| {
        seen += usize::from(matches!(e, Event::Acked { .. }));
        seen == n
    }
}

pub fn is_text(text: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e| matches!(e, Event::Room(RoomEvent { kind: EventKind::Message { text: t, .. }, .. }) if t == text)
}

pub fn room_seqs(events: &[Event]) -> Vec<Seq> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Room(ev) => Some(ev.seq),
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

pub fn hello(name: &str, resume_after: Option<Seq>) -> Hello {
    Hello {
        version: PROTOCOL_VERSION,
        name: name.into(),
        install: InstallId::random(),
        room_key: None,
        resume_after,
    }
}

/// The relay's whole log, read by a fresh client resuming from 0.
pub async fn relay_log(invite: &Invite) -> Vec<RoomEvent> {
    let mut hello = hello("Archivio", Some(0));
    hello.room_key = invite.room_key.clone();
    let (mut conn, welcome) = net::open(invite, hello).await.unwrap();
    let mut log = welcome.backlog;
    // Events beyond the welcome frame follow as frames, up to our own join.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), conn.read::<ServerFrame>()).await {
            Ok(Ok(ServerFrame::Event(e))) => {
                if matches!(&e.kind, EventKind::Joined { name } if name == "Archivio") {
                    break;
                }
                log.push(e);
            }
            Ok(Ok(_)) => {}
            other => panic!("reading the log: {other:?}"),
        }
    }
    let _ = conn.write(&ClientFrame::Leave).await;
    log
}

/// Which datagrams a [`Forwarder`] lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Pass {
    /// Everything.
    Both = 0,
    /// Nothing: the relay went silent and hears nothing.
    Neither = 1,
    /// Only the client's datagrams: the relay gets them, its answers are lost.
    ToRelayOnly = 2,
}

/// A loopback UDP forwarder between clients and a relay, which can drop datagrams.
pub struct Forwarder {
    pub addr: SocketAddr,
    pass: Arc<AtomicU8>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    pub async fn start(relay: SocketAddr) -> Self {
        let front = Arc::new(UdpSocket::bind(any_port()).await.unwrap());
        let addr = front.local_addr().unwrap();
        let pass = Arc::new(AtomicU8::new(Pass::Both as u8));
        let task = tokio::spawn(forward(front, relay, pass.clone()));
        Self { addr, pass, task }
    }

    pub fn pass(&self, pass: Pass) {
        self.pass.store(pass as u8, Ordering::SeqCst);
    }

    /// The relay's invite, pointing at the forwarder.
    pub fn invite(&self, relay: &Invite) -> Invite {
        Invite {
            port: self.addr.port(),
            ..relay.clone()
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(front: Arc<UdpSocket>, relay: SocketAddr, pass: Arc<AtomicU8>) {
    let mut upstream: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut returns = JoinSet::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, client)) = front.recv_from(&mut buf).await else {
            return;
        };
        if pass.load(Ordering::SeqCst) == Pass::Neither as u8 {
            continue;
        }
        let socket = match upstream.get(&client) {
            Some(s) => s.clone(),
            None => {
                let s = Arc::new(UdpSocket::bind(any_port()).await.unwrap());
                s.connect(relay).await.unwrap();
                upstream.insert(client, s.clone());
                let (front, pass, back) = (front.clone(), pass.clone(), s.clone());
                returns.spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    while let Ok(n) = back.recv(&mut buf).await {
                        if pass.load(Ordering::SeqCst) == Pass::Both as u8 {
                            let _ = front.send_to(&buf[..n], client).await;
                        }
                    }
                });
                s
            }
        };
        let _ = socket.send(&buf[..n]).await;
    }
}

/// A QUIC server that speaks just enough of the protocol to test the engine: it
/// records each hello and answers with the frames (raw bytes) `script` returns for it,
/// then keeps the connection open.
pub struct FakeRelay {
    pub invite: Invite,
    pub hellos: Arc<Mutex<Vec<Hello>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeRelay {
    pub fn start(script: impl Fn(&Hello) -> Vec<Bytes> + Send + Sync + 'static) -> Self {
        let cert = certs::generate(&["127.0.0.1".into()]).unwrap();
        let config = net::tls::server_config(cert.chain.clone(), cert.key()).unwrap();
        let endpoint = quinn::Endpoint::server(config, any_port()).unwrap();
        let invite = Invite {
            host: "127.0.0.1".into(),
            port: endpoint.local_addr().unwrap().port(),
            fingerprint: Some(cert.fingerprint()),
            room_key: None,
        };
        let hellos = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let recorded = hellos.clone();
        let task = tokio::spawn(async move {
            let mut sessions = JoinSet::new();
            while let Some(incoming) = endpoint.accept().await {
                let (script, recorded) = (script.clone(), recorded.clone());
                sessions.spawn(async move {
                    let Ok(connection) = incoming.await else {
                        return;
                    };
                    let Ok(mut conn) = net::Conn::accept(connection.clone()).await else {
                        return;
                    };
                    let Ok(ClientFrame::Hello(hello)) = conn.read::<ClientFrame>().await else {
                        return;
                    };
                    recorded.lock().unwrap().push(hello.clone());
                    for frame in script(&hello) {
                        if conn.write_encoded(&frame).await.is_err() {
                            return;
                        }
                    }
                    connection.closed().await;
                });
            }
        });
        Self {
            invite,
            hellos,
            task,
        }
    }

    pub fn hellos(&self) -> Vec<Hello> {
        self.hellos.lock().unwrap().clone()
    }
}

impl Drop for FakeRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A frame no client can decode: a variant tag no `ServerFrame` has.
pub fn undecodable_frame() -> Bytes {
    Bytes::from_static(&[0, 0, 0, 1, 200])
}

pub fn encoded(frame: &ServerFrame) -> Bytes {
    common::codec::encode(frame).unwrap()
}

pub fn joined_event(seq: Seq) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 0,
        kind: EventKind::Joined {
            name: format!("n{seq}"),
        },
    }
}

pub fn fake_welcome(last_seq: Seq, backlog: Vec<RoomEvent>) -> ServerFrame {
    ServerFrame::Welcome(Welcome {
        name: "Anna".into(),
        members: vec!["Anna".into()],
        online: 1,
        members_as_of: last_seq,
        backlog,
        last_seq,
        gap: false,
        rate: RateLimit::default(),
    })
}

/// Sends a command; the engine must be running.
pub fn send(engine: &Engine, command: Command) {
    assert!(engine.send(command), "the engine stopped");
}
