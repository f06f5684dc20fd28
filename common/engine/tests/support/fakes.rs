//! Stand-ins for what the real relay and network cannot be made to do on demand: a
//! loopback UDP forwarder that drops datagrams, and a fake relay (real QUIC and TLS
//! from `net::tls::server_config`) that answers joins with chosen bytes.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU8, Ordering},
        Arc, Mutex,
    },
};

use bytes::Bytes;
use common::{invite::Invite, protocol::*};
use tokio::{net::UdpSocket, task::JoinSet};

use super::any_port;

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
/// answers each hello with `Ready`, records each join and answers it with the frames
/// (raw bytes) `script` returns for it, then keeps reading.
pub struct FakeRelay {
    pub invite: Invite,
    pub joins: Arc<Mutex<Vec<Join>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeRelay {
    pub fn start(script: impl Fn(&Join) -> Vec<Bytes> + Send + Sync + 'static) -> Self {
        let cert = certs::generate(&["127.0.0.1".into()]).unwrap();
        let config = net::tls::server_config(cert.chain.clone(), cert.key()).unwrap();
        let endpoint = quinn::Endpoint::server(config, any_port()).unwrap();
        let invite = Invite {
            host: "127.0.0.1".into(),
            port: endpoint.local_addr().unwrap().port(),
            more: Vec::new(),
            fingerprint: Some(cert.fingerprint()),
            room: None,
            room_key: None,
        };
        let joins = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let recorded = joins.clone();
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
                    let ready = ServerFrame::Ready(Ready {
                        name: hello.name,
                        rate: RateLimit::default(),
                        max_rooms: 10,
                    });
                    if conn.write(&ready).await.is_err() {
                        return;
                    }
                    while let Ok(frame) = conn.read::<ClientFrame>().await {
                        let ClientFrame::Join(join) = frame else {
                            continue;
                        };
                        recorded.lock().unwrap().push(join.clone());
                        for frame in script(&join) {
                            if conn.write_encoded(&frame).await.is_err() {
                                return;
                            }
                        }
                    }
                    connection.closed().await;
                });
            }
        });
        Self {
            invite,
            joins,
            task,
        }
    }

    /// Every join received so far: room and resume point.
    pub fn joins(&self) -> Vec<(String, Option<Seq>)> {
        let joins = self.joins.lock().unwrap();
        joins
            .iter()
            .map(|j| (j.room.clone(), j.resume_after))
            .collect()
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

pub fn fake_welcome(room: &str, last_seq: Seq, backlog: Vec<RoomEvent>) -> ServerFrame {
    ServerFrame::Welcome(Welcome {
        room: RoomId::of(room),
        room_name: room.into(),
        members: vec!["Anna".into()],
        online: 1,
        members_as_of: last_seq,
        backlog,
        last_seq,
        gap: false,
        archived: false,
        owner: false,
    })
}
