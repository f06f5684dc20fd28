//! A bare protocol client for relay tests: real QUIC, frames from `common`, no engine.

#![allow(dead_code)]

use std::{net::SocketAddr, path::Path, time::Duration};

use bytes::Bytes;
use common::{
    codec::{self, CodecError, FrameReader},
    invite::Invite,
    protocol::*,
    tls,
};
use relay::{Relay, RelayConfig};

pub const WAIT: Duration = Duration::from_secs(10);

pub async fn start(dir: &Path) -> Relay {
    Relay::start(RelayConfig::for_tests(dir)).await.unwrap()
}

pub async fn start_with(config: RelayConfig) -> Relay {
    Relay::start(config).await.unwrap()
}

pub fn endpoint() -> quinn::Endpoint {
    quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap()
}

pub struct Raw {
    pub conn: quinn::Connection,
    pub send: quinn::SendStream,
    pub recv: FrameReader,
    pub install: InstallId,
    pub name: String,
    pub counter: u64,
    pub endpoint: quinn::Endpoint,
}

pub fn hello(name: &str, install: InstallId, key: Option<&str>, resume: Option<Seq>) -> Hello {
    Hello {
        version: PROTOCOL_VERSION,
        name: name.into(),
        install,
        room_key: key.map(Into::into),
        resume_after: resume,
    }
}

/// Connects and sends a hello; returns the client and the first frame.
pub async fn connect_with(invite: &Invite, hello: Hello) -> (Raw, ServerFrame) {
    let endpoint = endpoint();
    let config = tls::client_config(invite.trust()).unwrap();
    let addr: SocketAddr = invite.authority().parse().unwrap();
    let conn = endpoint
        .connect_with(config, addr, &invite.host)
        .unwrap()
        .await
        .unwrap();
    let (mut send, recv) = conn.open_bi().await.unwrap();
    send.write_all(&codec::encode(&ClientFrame::Hello(hello.clone())).unwrap())
        .await
        .unwrap();
    let mut raw = Raw {
        conn,
        send,
        recv: FrameReader::new(recv),
        install: hello.install,
        name: hello.name,
        counter: 0,
        endpoint,
    };
    let first = raw.next().await.expect("a first frame");
    (raw, first)
}

/// Connects and expects a welcome.
pub async fn join(invite: &Invite, name: &str) -> (Raw, Welcome) {
    join_as(invite, name, InstallId::random(), None).await
}

pub async fn join_as(
    invite: &Invite,
    name: &str,
    install: InstallId,
    resume: Option<Seq>,
) -> (Raw, Welcome) {
    let (raw, first) = connect_with(
        invite,
        hello(name, install, invite.room_key.as_deref(), resume),
    )
    .await;
    match first {
        ServerFrame::Welcome(w) => (raw, w),
        other => panic!("{name}: expected welcome, got {other:?}"),
    }
}

impl Raw {
    pub fn next_id(&mut self) -> ClientMsgId {
        self.counter += 1;
        ClientMsgId {
            install: self.install,
            counter: self.counter,
        }
    }

    pub async fn send_frame(&mut self, frame: &ClientFrame) {
        self.send
            .write_all(&codec::encode(frame).unwrap())
            .await
            .unwrap();
    }

    pub async fn say(&mut self, text: &str) -> ClientMsgId {
        let id = self.next_id();
        self.send_frame(&ClientFrame::Send {
            id,
            text: text.into(),
        })
        .await;
        id
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) {
        self.send.write_all(bytes).await.unwrap();
    }

    /// The next frame, or `None` when the stream/connection ended or nothing came in time.
    pub async fn next(&mut self) -> Option<ServerFrame> {
        self.next_within(WAIT).await.ok()
    }

    pub async fn next_within(&mut self, wait: Duration) -> Result<ServerFrame, String> {
        match tokio::time::timeout(wait, self.recv.next()).await {
            Ok(Ok(frame)) => Ok(frame),
            Ok(Err(CodecError::Closed)) => Err("closed".into()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timeout".into()),
        }
    }

    /// Skips frames until a room message arrives; returns (seq, sender, text).
    pub async fn next_message(&mut self) -> (Seq, String, String) {
        loop {
            match self.next().await {
                Some(ServerFrame::Event(RoomEvent {
                    seq,
                    kind: EventKind::Message { sender, text, .. },
                    ..
                })) => return (seq, sender, text),
                Some(_) => continue,
                None => panic!("{}: no message arrived", self.name),
            }
        }
    }

    /// Skips frames until the ack (or rejection) of `id`.
    pub async fn ack_of(&mut self, id: ClientMsgId) -> Result<Seq, RejectReason> {
        loop {
            match self.next().await {
                Some(ServerFrame::Ack { id: got, seq }) if got == id => return Ok(seq),
                Some(ServerFrame::Rejected { id: got, reason }) if got == id => return Err(reason),
                Some(_) => continue,
                None => panic!("{}: no ack for {id:?}", self.name),
            }
        }
    }

    /// Reads until every id in `ids` is acked or rejected; outcomes in the order of `ids`.
    pub async fn outcomes(&mut self, ids: &[ClientMsgId]) -> Vec<Result<Seq, RejectReason>> {
        let mut out: Vec<Option<Result<Seq, RejectReason>>> = vec![None; ids.len()];
        while out.iter().any(Option::is_none) {
            let (id, outcome) = match self.next().await {
                Some(ServerFrame::Ack { id, seq }) => (id, Ok(seq)),
                Some(ServerFrame::Rejected { id, reason }) => (id, Err(reason)),
                Some(_) => continue,
                None => panic!("{}: outcomes missing: {out:?}", self.name),
            };
            if let Some(at) = ids.iter().position(|i| *i == id) {
                out[at] = Some(outcome);
            }
        }
        out.into_iter().map(Option::unwrap).collect()
    }

    /// Reads until the stream ends; returns the frames seen.
    pub async fn drain(&mut self) -> Vec<ServerFrame> {
        let mut frames = Vec::new();
        while let Ok(frame) = self.next_within(WAIT).await {
            frames.push(frame);
        }
        frames
    }
}

pub fn bytes(frame: &ClientFrame) -> Bytes {
    codec::encode(frame).unwrap()
}

/// The (seq, text) of every message among `events`.
pub fn messages_in(events: &[RoomEvent]) -> Vec<(Seq, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Message { text, .. } => Some((e.seq, text.clone())),
            _ => None,
        })
        .collect()
}
