//! A bare protocol client for relay tests: real QUIC through `net` (the one handshake,
//! [`net::open`] / [`net::Dialer`]), frames from `common`, no engine. A [`Client`] is a
//! session with a current room (the invite's), which `say` sends to; it can join more.

#![allow(dead_code)]

pub mod cluster;
pub mod nats;
pub mod process;

use std::{path::Path, time::Duration};

use bytes::Bytes;
use common::{codec, invite::Invite, protocol::*};
use net::{Conn, Dialer, FrameReader, FrameWriter, Problem};
use relay::{Relay, RelayConfig};

pub const WAIT: Duration = Duration::from_secs(10);

pub async fn start(dir: &Path) -> Relay {
    Relay::start(RelayConfig::for_tests(dir)).await.unwrap()
}

pub async fn start_with(config: RelayConfig) -> Relay {
    Relay::start(config).await.unwrap()
}

/// A dialer for `invite` from a fresh client endpoint.
pub async fn dialer(invite: &Invite) -> Dialer {
    let addr = net::resolve(invite).await.unwrap();
    let endpoint = net::socket::client_endpoint(addr).unwrap();
    Dialer::to_addr(endpoint, invite, addr).unwrap()
}

/// A connection with its stream open and nothing sent: for tests of what a client sends
/// before (or instead of) a hello.
pub async fn bare(invite: &Invite) -> Conn {
    let connection = dialer(invite).await.connect().await.unwrap();
    Conn::open(connection).await.unwrap()
}

/// One session: the connection and its stream, split so a test can read and write.
pub struct Client {
    pub connection: quinn::Connection,
    pub reader: FrameReader,
    pub writer: FrameWriter,
    pub install: InstallId,
    pub name: String,
    pub counter: u64,
    /// What the relay answered the hello.
    pub ready: Ready,
    /// The room `say` sends to (the one the client joined first).
    pub room: RoomId,
}

pub fn hello(name: &str, install: InstallId) -> Hello {
    Hello::new(name, install)
}

/// Opens a session with `hello` and joins the invite's room (after `resume`): the
/// client and its welcome, or why not.
pub async fn open(
    invite: &Invite,
    hello: Hello,
    resume: Option<Seq>,
) -> Result<(Client, Welcome), Problem> {
    let install = hello.install;
    let name = hello.name.clone();
    let (conn, ready, welcome) = net::open(invite, hello, resume).await?;
    let (connection, reader, writer) = conn.into_parts();
    Ok((
        Client {
            connection,
            reader,
            writer,
            install,
            name,
            counter: 0,
            ready,
            room: welcome.room,
        },
        welcome,
    ))
}

/// Opens a session without joining a room.
pub async fn connect(invite: &Invite, name: &str) -> Client {
    let install = InstallId::random();
    let (conn, ready) = dialer(invite)
        .await
        .open(hello(name, install))
        .await
        .unwrap();
    let (connection, reader, writer) = conn.into_parts();
    Client {
        connection,
        reader,
        writer,
        install,
        name: name.into(),
        counter: 0,
        ready,
        room: RoomId::of(DEFAULT_ROOM),
    }
}

/// The reason the relay refuses `hello` (panics if it is accepted).
pub async fn refused(invite: &Invite, hello: Hello) -> RefuseReason {
    match open(invite, hello, None).await {
        Err(Problem::Refused(reason)) => reason,
        Err(other) => panic!("expected a refusal, got {other:?}"),
        Ok((_, w)) => panic!("expected a refusal, got welcome {w:?}"),
    }
}

/// The reason the invite's room refuses `name` (panics if it lets them in).
pub async fn join_refused(invite: &Invite, name: &str, install: InstallId) -> JoinRefusal {
    match open(invite, hello(name, install), None).await {
        Err(Problem::JoinRefused(reason)) => reason,
        Err(other) => panic!("expected a refused join, got {other:?}"),
        Ok((_, w)) => panic!("expected a refused join, got welcome {w:?}"),
    }
}

/// Connects and expects a welcome.
pub async fn join(invite: &Invite, name: &str) -> (Client, Welcome) {
    join_as(invite, name, InstallId::random(), None).await
}

pub async fn join_as(
    invite: &Invite,
    name: &str,
    install: InstallId,
    resume: Option<Seq>,
) -> (Client, Welcome) {
    match open(invite, hello(name, install), resume).await {
        Ok(joined) => joined,
        Err(e) => panic!("{name}: expected a welcome: {e}"),
    }
}

impl Client {
    pub fn next_id(&mut self) -> ClientMsgId {
        self.counter += 1;
        ClientMsgId {
            install: self.install,
            counter: self.counter,
        }
    }

    pub async fn send_frame(&mut self, frame: &ClientFrame) {
        self.writer.write(frame).await.unwrap();
    }

    /// Sends `text` to the current room.
    pub async fn say(&mut self, text: &str) -> ClientMsgId {
        let room = self.room;
        self.say_in(room, text).await
    }

    /// Sends `text` to `room`.
    pub async fn say_in(&mut self, room: RoomId, text: &str) -> ClientMsgId {
        let id = self.next_id();
        self.send_frame(&ClientFrame::Send {
            room,
            id,
            text: text.into(),
        })
        .await;
        id
    }

    /// Asks to join `room` (with `key`, after `resume`); the answer comes as a frame.
    pub async fn send_join(&mut self, room: &str, key: Option<&str>, resume: Option<Seq>) {
        self.send_frame(&ClientFrame::Join(Join {
            room: room.into(),
            key: key.map(Into::into),
            resume_after: resume,
            owner_key: None,
        }))
        .await;
    }

    /// Joins `room` and reads until its welcome (frames before it are dropped), or the
    /// refusal.
    pub async fn join_room(
        &mut self,
        room: &str,
        key: Option<&str>,
        resume: Option<Seq>,
    ) -> Result<Welcome, JoinRefusal> {
        self.send_join(room, key, resume).await;
        let folded = common::rules::validate_room_name(room).unwrap_or_default();
        loop {
            match self.next().await {
                Some(ServerFrame::Welcome(w)) if w.room_name == folded => return Ok(w),
                Some(ServerFrame::JoinRefused { room: r, reason }) if r == room => {
                    return Err(reason)
                }
                Some(_) => continue,
                None => panic!("{}: no answer to joining {room}", self.name),
            }
        }
    }

    /// Leaves the current room.
    pub async fn leave(&mut self) {
        let room = self.room;
        self.send_frame(&ClientFrame::Leave { room }).await;
    }

    /// Ends the session (acks first).
    pub async fn quit(&mut self) {
        self.send_frame(&ClientFrame::Quit).await;
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) {
        self.writer.write_encoded(bytes).await.unwrap();
    }

    /// The next frame, or `None` when the stream/connection ended or nothing came in time.
    pub async fn next(&mut self) -> Option<ServerFrame> {
        self.next_within(WAIT).await.ok()
    }

    pub async fn next_within(&mut self, wait: Duration) -> Result<ServerFrame, String> {
        match tokio::time::timeout(wait, self.reader.next()).await {
            Ok(Ok(frame)) => Ok(frame),
            Ok(Err(codec::CodecError::Closed)) => Err("closed".into()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timeout".into()),
        }
    }

    /// Skips frames until a message of the current room arrives; returns (seq,
    /// sender, text).
    pub async fn next_message(&mut self) -> (Seq, String, String) {
        let room = self.room;
        self.next_message_in(room).await
    }

    /// Skips frames until a message of `room` arrives; returns (seq, sender, text).
    pub async fn next_message_in(&mut self, room: RoomId) -> (Seq, String, String) {
        loop {
            match self.next().await {
                Some(ServerFrame::Event {
                    room: r,
                    event:
                        RoomEvent {
                            seq,
                            kind: EventKind::Message { sender, text, .. },
                            ..
                        },
                }) if r == room => return (seq, sender, text),
                Some(_) => continue,
                None => panic!("{}: no message arrived", self.name),
            }
        }
    }

    /// Skips frames until the ack (or rejection) of `id`.
    pub async fn ack_of(&mut self, id: ClientMsgId) -> Result<Seq, RejectReason> {
        loop {
            match self.next().await {
                Some(ServerFrame::Ack { id: got, seq, .. }) if got == id => return Ok(seq),
                Some(ServerFrame::Rejected {
                    id: got, reason, ..
                }) if got == id => return Err(reason),
                Some(_) => continue,
                None => panic!("{}: no ack for {id:?}", self.name),
            }
        }
    }

    /// The seqs `ids` were stored under, in their order (each must be acked).
    pub async fn acked_seqs(&mut self, ids: &[ClientMsgId]) -> Vec<Seq> {
        let outcomes = self.outcomes(ids).await;
        outcomes.into_iter().map(Result::unwrap).collect()
    }

    /// Reads until every id in `ids` is acked or rejected; outcomes in the order of `ids`.
    pub async fn outcomes(&mut self, ids: &[ClientMsgId]) -> Vec<Result<Seq, RejectReason>> {
        self.outcomes_within(ids, WAIT).await
    }

    /// [`Client::outcomes`], waiting up to `wait` for each next frame (a cluster
    /// recovering from a lost node takes longer than a relay on its own disk).
    pub async fn outcomes_within(
        &mut self,
        ids: &[ClientMsgId],
        wait: Duration,
    ) -> Vec<Result<Seq, RejectReason>> {
        let mut out: Vec<Option<Result<Seq, RejectReason>>> = vec![None; ids.len()];
        while out.iter().any(Option::is_none) {
            let (id, outcome) = match self.next_within(wait).await {
                Ok(ServerFrame::Ack { id, seq, .. }) => (id, Ok(seq)),
                Ok(ServerFrame::Rejected { id, reason, .. }) => (id, Err(reason)),
                Ok(_) => continue,
                Err(e) => panic!("{}: outcomes missing ({e}): {out:?}", self.name),
            };
            if let Some(at) = ids.iter().position(|i| *i == id) {
                out[at] = Some(outcome);
            }
        }
        out.into_iter().map(Option::unwrap).collect()
    }

    /// Every frame that arrives within `wait`.
    pub async fn drain_for(&mut self, wait: Duration) -> Vec<ServerFrame> {
        let mut frames = Vec::new();
        while let Ok(frame) = self.next_within(wait).await {
            frames.push(frame);
        }
        frames
    }

    /// Reads until the stream ends; returns the frames seen.
    pub async fn drain(&mut self) -> Vec<ServerFrame> {
        let mut frames = Vec::new();
        while let Ok(frame) = self.next_within(WAIT).await {
            frames.push(frame);
        }
        frames
    }

    /// Why the relay closed the connection, as its close code's reason.
    pub async fn closed_with(&self) -> Option<ByeReason> {
        match tokio::time::timeout(WAIT, self.connection.closed()).await {
            Ok(quinn::ConnectionError::ApplicationClosed(c)) => {
                ByeReason::from_close_code(c.error_code.into_inner())
            }
            Ok(other) => panic!("{}: closed by {other:?}", self.name),
            Err(_) => panic!("{}: the connection stayed open", self.name),
        }
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

/// Every event of the invite's room's log: a fresh observer resumes from 0 and reads
/// the welcome and the events after it until `last_seq`.
pub async fn read_log(invite: &Invite) -> Vec<RoomEvent> {
    let (mut c, w) = join_as(invite, "Registro", InstallId::random(), Some(0)).await;
    let mut events = w.backlog;
    while events.last().is_some_and(|e| e.seq < w.last_seq) {
        match c.next().await {
            Some(ServerFrame::Event { room, event }) if room == w.room => events.push(event),
            Some(_) => {}
            None => panic!("the log ended early at {:?}", events.last()),
        }
    }
    events.retain(|e| e.seq <= w.last_seq);
    events
}
