//! The load's clients. Every client opens its session through `net::Dialer` (the one
//! client handshake) and joins one room with `Dialer::open_room` (the invite's room
//! unless told another); a few hundred share a client endpoint, each endpoint on its own
//! big-buffer UDP socket. Also what the scenarios do with clients: fill a room with
//! silent receivers, read frames, send timed messages at a fixed rate.

use std::{
    cell::RefCell,
    future::Future,
    net::SocketAddr,
    rc::Rc,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{anyhow, Context, Result};
use bytes::BytesMut;
use common::{
    codec,
    invite::Invite,
    protocol::{
        ClientFrame, ClientMsgId, EventKind, Hello, InstallId, Join, RoomEvent, RoomId, ServerFrame,
    },
};
use net::{Dialer, FrameReader, FrameWriter};

use crate::{blackhole, record::Recorder};

/// Bytes of the text every load message carries (a send timestamp, then padding).
pub const TEXT_BYTES: usize = 100;

/// How the load's clients present themselves.
#[derive(Clone, Copy, Debug)]
pub struct ClientOpts {
    /// A QUIC idle timeout other than `net`'s (the relay uses the shorter of the two).
    pub idle_timeout: Option<Duration>,
}

/// One client session in one room, split for a reader task and a writer.
pub struct Client {
    pub conn: quinn::Connection,
    pub room: RoomId,
    pub reader: FrameReader,
    pub writer: FrameWriter,
    pub install: InstallId,
    pub counter: u64,
}

/// Dialers over a few client endpoints, used in turn.
pub struct Endpoints {
    dialers: Vec<Dialer>,
    next: usize,
    room: String,
    room_key: Option<String>,
}

fn relay_addr(invite: &Invite) -> Result<SocketAddr> {
    invite
        .authority()
        .parse()
        .context("the benchmark needs an invite with an IP address")
}

impl Endpoints {
    /// `count` endpoints on sockets with large buffers (with the default of ~200 KiB, a
    /// fan-out burst to hundreds of receivers overflows and QUIC has to recover the
    /// drops, which shows as latency that is the load's, not the relay's).
    pub fn new(invite: &Invite, count: usize, opts: ClientOpts) -> Result<Self> {
        let addr = relay_addr(invite)?;
        let endpoints = (0..count.max(1))
            .map(|_| net::socket::client_endpoint(addr))
            .collect::<std::io::Result<Vec<_>>>()?;
        Self::over(invite, addr, endpoints, opts)
    }

    /// One endpoint that `switch` can cut off (clients that will vanish silently).
    pub fn holed(invite: &Invite, switch: blackhole::Switch, opts: ClientOpts) -> Result<Self> {
        let addr = relay_addr(invite)?;
        Self::over(invite, addr, vec![blackhole::endpoint(addr, switch)?], opts)
    }

    fn over(
        invite: &Invite,
        addr: SocketAddr,
        endpoints: Vec<quinn::Endpoint>,
        opts: ClientOpts,
    ) -> Result<Self> {
        let tls = match opts.idle_timeout {
            None => None,
            Some(idle) => {
                let mut tls = net::tls::client_config(invite.trust())?;
                let mut transport = net::tls::transport_config(true);
                transport.max_idle_timeout(Some(idle.try_into()?));
                tls.config.transport_config(Arc::new(transport));
                Some(tls)
            }
        };
        let dialers = endpoints
            .into_iter()
            .map(|endpoint| {
                let dialer = Dialer::to_addr(endpoint, invite, addr).map_err(|p| anyhow!("{p}"))?;
                Ok(match &tls {
                    Some(tls) => dialer.with_tls(tls.clone()),
                    None => dialer,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            dialers,
            next: 0,
            room: invite.room_name().to_owned(),
            room_key: invite.room_key.clone(),
        })
    }

    /// Opens a session on the next endpoint, in the invite's room.
    pub fn join(&mut self, name: String) -> impl Future<Output = Result<Client>> + 'static {
        let join = Join {
            room: self.room.clone(),
            key: self.room_key.clone(),
            resume_after: None,
            owner_key: None,
        };
        self.join_room(name, join)
    }

    /// Opens a session on the next endpoint, in the room `join` names.
    pub fn join_room(
        &mut self,
        name: String,
        join: Join,
    ) -> impl Future<Output = Result<Client>> + 'static {
        let dialer = self.dialers[self.next % self.dialers.len()].clone();
        self.next += 1;
        let install = InstallId::random();
        let hello = Hello::new(name, install);
        async move {
            let (conn, _ready, welcome) = dialer
                .open_room(hello, join)
                .await
                .map_err(|p| anyhow!("{p}"))?;
            let (conn, reader, writer) = conn.into_parts();
            Ok(Client {
                conn,
                room: welcome.room,
                reader,
                writer,
                install,
                counter: 0,
            })
        }
    }
}

/// The sending half of a client.
pub struct Sender {
    pub room: RoomId,
    pub writer: FrameWriter,
    pub install: InstallId,
    pub counter: u64,
}

impl Sender {
    /// The encoded `Send` of the next message with `text`.
    pub fn next_send(&mut self, text: String) -> Result<bytes::Bytes> {
        self.counter += 1;
        Ok(codec::encode(&ClientFrame::Send {
            room: self.room,
            id: ClientMsgId {
                install: self.install,
                counter: self.counter,
            },
            text,
        })?)
    }
}

/// Message text: step (4 digits), send time in µs since `base` (16 digits), padding.
pub fn load_text(step: usize, base: Instant) -> String {
    let mut text = format!("{step:04}{:016}", base.elapsed().as_micros());
    text.extend(std::iter::repeat_n('.', TEXT_BYTES - text.len()));
    text
}

fn parse_text(text: &str, base: Instant) -> Option<(usize, Duration)> {
    let step = text.get(0..4)?.parse().ok()?;
    let sent_us: u64 = text.get(4..20)?.parse().ok()?;
    let now = base.elapsed();
    Some((step, now.saturating_sub(Duration::from_micros(sent_us))))
}

/// Reads frames until the connection ends, recording load messages.
pub async fn receive(
    mut reader: FrameReader,
    _conn: quinn::Connection,
    base: Instant,
    recorder: Option<Rc<RefCell<Recorder>>>,
) {
    while let Ok(frame) = reader.next::<ServerFrame>().await {
        if let (
            Some(rec),
            ServerFrame::Event {
                event:
                    RoomEvent {
                        kind: EventKind::Message { text, .. },
                        ..
                    },
                ..
            },
        ) = (&recorder, frame)
        {
            if let Some((step, latency)) = parse_text(&text, base) {
                rec.borrow_mut().record(step, latency);
            }
        }
    }
}

/// Sends `rate` messages per second (open loop) for `secs`, in ~1 ms ticks, batching the
/// messages due in a tick into one write. Returns how many it sent.
pub async fn send_at(
    mut client: Sender,
    rate: f64,
    secs: f64,
    step: usize,
    base: Instant,
) -> Result<(Sender, u64)> {
    let start = Instant::now();
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut buf = BytesMut::new();
    loop {
        tick.tick().await;
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= secs {
            return Ok((client, sent));
        }
        let due = (elapsed * rate) as u64;
        while sent < due {
            let frame = client.next_send(load_text(step, base))?;
            buf.extend_from_slice(&frame);
            sent += 1;
        }
        if !buf.is_empty() {
            client.writer.write_encoded(&buf).await?;
            buf.clear();
        }
    }
}

/// Handshakes in flight at once while a room fills.
pub const JOINS_IN_FLIGHT: usize = 128;

/// Joins `receivers` silent receivers (at most 128 handshakes at once) and `senders`
/// senders; returns the senders, whose own copies are drained in the background, and how
/// many receivers failed to join (with the first error).
pub async fn room(
    invite: &Invite,
    prefix: &str,
    opts: ClientOpts,
    receivers: usize,
    senders: usize,
    base: Instant,
    recorder: &Rc<RefCell<Recorder>>,
) -> Result<(Vec<Sender>, usize, Option<anyhow::Error>)> {
    let mut eps = Endpoints::new(invite, receivers.div_ceil(500), opts)?;
    let mut joins = tokio::task::JoinSet::new();
    let mut failed = 0;
    let mut first_error = None;
    let mut settle = |joined: Result<Client>, failed: &mut usize| match joined {
        Ok(c) => spawn_receiver(c, base, Some(recorder.clone())),
        Err(e) => {
            *failed += 1;
            first_error.get_or_insert(e);
        }
    };
    for i in 0..receivers {
        if joins.len() >= JOINS_IN_FLIGHT {
            let joined = joins.join_next().await.expect("running")?;
            settle(joined, &mut failed);
        }
        joins.spawn_local(eps.join(format!("{prefix}r{i}")));
    }
    while let Some(joined) = joins.join_next().await {
        settle(joined?, &mut failed);
    }
    let mut out = Vec::new();
    for i in 0..senders {
        out.push(sender(&mut eps, format!("{prefix}s{i}"), base).await?);
    }
    Ok((out, failed, first_error))
}

/// Joins a sender whose own copies are drained in the background.
pub async fn sender(eps: &mut Endpoints, name: String, base: Instant) -> Result<Sender> {
    let Client {
        conn,
        room,
        reader,
        writer,
        install,
        counter,
    } = eps.join(name).await?;
    tokio::task::spawn_local(receive(reader, conn, base, None));
    Ok(Sender {
        room,
        writer,
        install,
        counter,
    })
}

/// Like [`room`], but every receiver must join.
pub async fn full_room(
    invite: &Invite,
    prefix: &str,
    opts: ClientOpts,
    receivers: usize,
    senders: usize,
    base: Instant,
    recorder: &Rc<RefCell<Recorder>>,
) -> Result<Vec<Sender>> {
    let (senders, failed, error) =
        room(invite, prefix, opts, receivers, senders, base, recorder).await?;
    match error {
        Some(e) => Err(e.context(format!("{failed} of {receivers} receivers could not join"))),
        None => Ok(senders),
    }
}

/// Like [`full_room`] on several relays sharing the room (a cluster): the receivers
/// split evenly between `invites`, the senders on the first. Names start with `prefix`
/// (each load thread has its own).
pub async fn split_room(
    invites: &[Invite],
    prefix: &str,
    opts: ClientOpts,
    receivers: usize,
    senders: usize,
    base: Instant,
    recorder: &Rc<RefCell<Recorder>>,
) -> Result<Vec<Sender>> {
    let share = receivers / invites.len().max(1);
    let mut out = Vec::new();
    for (i, invite) in invites.iter().enumerate() {
        let (mine, senders) = match i {
            0 => (receivers - share * (invites.len() - 1), senders),
            _ => (share, 0),
        };
        // Names are unique across a cluster's relays: each relay's clients get their own.
        let prefix = format!("{prefix}n{i}");
        out.extend(full_room(invite, &prefix, opts, mine, senders, base, recorder).await?);
    }
    Ok(out)
}

fn spawn_receiver(c: Client, base: Instant, recorder: Option<Rc<RefCell<Recorder>>>) {
    let Client {
        conn,
        reader,
        writer,
        ..
    } = c;
    tokio::task::spawn_local(async move {
        // Dropping the send half would finish it, which tells the relay we left.
        let _writer = writer;
        receive(reader, conn, base, recorder).await;
    });
}

/// Runs every future concurrently on this thread; results in order.
pub async fn all<T: 'static>(futs: Vec<impl Future<Output = T> + 'static>) -> Vec<T> {
    let handles: Vec<_> = futs.into_iter().map(tokio::task::spawn_local).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
