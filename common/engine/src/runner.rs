//! The async shell around [`Machine`]: one select loop over the app's commands, the
//! connection (an attempt or a session) and the machine's next deadline. It owns the QUIC
//! endpoint and the connection, performs the machine's [`Io`] orders, writes the frames
//! the machine hands out and reports what happened back to it. No decisions are made here.

use std::{
    future::Future,
    pin::Pin,
    time::{Duration, Instant},
};

use common::{
    codec::CodecError,
    invite::Invite,
    protocol::{ByeReason, ClientFrame, ServerFrame},
};
use net::{socket, FrameReader, FrameWriter};
use tokio::sync::mpsc;

use crate::{
    dial::{dial, Dialed},
    liveness,
    machine::{Io, Machine},
    verdict::Failure,
    Command, EngineConfig, Event, Problem,
};

/// How long a quitting client waits for the relay to close after its Quit.
const QUIT_WAIT: Duration = Duration::from_secs(1);

/// Commands handled in one go before the machine's outputs are acted on (so a burst of
/// sends is saved once, not once per text).
const COMMAND_BATCH: usize = 64;

/// Frames read ahead of the loop.
const READ_AHEAD: usize = 256;

type Dialing = Pin<Box<dyn Future<Output = Dialed> + Send>>;

/// An open session: the connection, its writer, the frames a reader task decodes, and
/// the clock of liveness probes.
struct Session {
    conn: quinn::Connection,
    writer: FrameWriter,
    frames: mpsc::Receiver<Result<ServerFrame, CodecError>>,
    reader: tokio::task::JoinHandle<()>,
    probe: tokio::time::Interval,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.reader.abort();
        self.conn.close(ByeReason::Left.close_code().into(), b"bye");
    }
}

/// The connection, as far as the runner has it.
enum Link {
    Offline,
    Dialing(Dialing),
    Open(Session),
}

/// What woke the loop.
enum Wake {
    Commands,
    Dialed(Dialed),
    Frame(Option<Result<ServerFrame, CodecError>>),
    /// Datagrams the connection has received so far.
    Probe(u64),
    Timer,
}

/// One engine's task.
pub(crate) struct Runner {
    machine: Machine,
    invite: Invite,
    connect_timeout: Duration,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    endpoint: Option<quinn::Endpoint>,
    /// The address that answered last (tried first next time).
    answered: Option<std::net::SocketAddr>,
    link: Link,
    /// Every command handle was dropped.
    gone: bool,
}

impl Runner {
    pub(crate) fn new(
        config: EngineConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        Self {
            machine: Machine::new(&config, Instant::now()),
            invite: config.invite,
            connect_timeout: config.connect_timeout,
            commands,
            events,
            endpoint: None,
            answered: None,
            link: Link::Offline,
            gone: false,
        }
    }

    /// Runs until every [`crate::Engine`] handle is dropped.
    pub(crate) async fn run(mut self) {
        while !self.gone {
            self.settle().await;
            let deadline = self.machine.deadline().map(tokio::time::Instant::from_std);
            let wake = tokio::select! {
                biased;
                cmd = self.commands.recv() => match cmd {
                    Some(cmd) => {
                        self.machine.command(cmd, Instant::now());
                        Wake::Commands
                    }
                    None => {
                        self.gone = true;
                        Wake::Commands
                    }
                },
                wake = next(&mut self.link) => wake,
                _ = sleep_until(deadline) => Wake::Timer,
            };
            let now = Instant::now();
            match wake {
                Wake::Commands => self.more_commands(now),
                Wake::Dialed(dialed) => self.dialed(dialed, now),
                Wake::Frame(Some(Ok(frame))) => self.machine.frame(frame, now),
                Wake::Frame(Some(Err(e))) => {
                    let failure = match &self.link {
                        Link::Open(s) => Failure::read(&s.conn, &e),
                        _ => Failure::of(Problem::ConnectionLost(e.to_string())),
                    };
                    self.link = Link::Offline;
                    self.machine.failed(failure, now);
                }
                Wake::Frame(None) => {
                    let lost = Problem::ConnectionLost("the reader stopped".into());
                    self.machine.failed(Failure::of(lost), now);
                }
                Wake::Probe(datagrams) => self.machine.probe(datagrams, now),
                Wake::Timer => {}
            }
        }
        // What the last commands asked for still happens: a Disconnect sent just
        // before the handle was dropped says Quit (else the rooms would log a lost
        // connection).
        self.settle().await;
        self.machine.finish();
        self.forward();
        self.link = Link::Offline;
    }

    /// Takes commands that are already waiting, up to a batch.
    fn more_commands(&mut self, now: Instant) {
        for _ in 0..COMMAND_BATCH {
            match self.commands.try_recv() {
                Ok(cmd) => self.machine.command(cmd, now),
                Err(mpsc::error::TryRecvError::Empty) => return,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    self.gone = true;
                    return;
                }
            }
        }
    }

    fn dialed(&mut self, dialed: Dialed, now: Instant) {
        self.link = Link::Offline;
        if dialed.endpoint.is_some() {
            self.endpoint = dialed.endpoint;
        }
        if dialed.addr.is_some() {
            self.answered = dialed.addr;
        }
        match dialed.result {
            Ok((conn, ready)) => {
                let (conn, reader, writer) = conn.into_parts();
                let (tx, frames) = mpsc::channel(READ_AHEAD);
                let reader = tokio::spawn(read_loop(reader, tx));
                let mut probe = tokio::time::interval(liveness::PROBE);
                probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let session = Session {
                    conn,
                    writer,
                    frames,
                    reader,
                    probe,
                };
                if self.machine.connected(ready, now) {
                    self.link = Link::Open(session);
                }
            }
            Err(problem) => self.machine.failed(Failure::dial(problem), now),
        }
    }

    /// Acts on the machine's outputs until it has nothing more to say right now.
    async fn settle(&mut self) {
        loop {
            let now = Instant::now();
            self.machine.poll(now);
            // Events first: a text's save reaches the app before the text goes out.
            self.forward();
            let mut busy = false;
            while let Some(io) = self.machine.poll_io() {
                busy = true;
                self.perform(io).await;
            }
            if let Link::Open(session) = &mut self.link {
                while let Some(frame) = self.machine.poll_frame(now) {
                    busy = true;
                    if let Err(e) = session.writer.write(&frame).await {
                        self.machine.failed(Failure::of(Problem::of_write(&e)), now);
                        break;
                    }
                }
            }
            self.forward();
            if !busy {
                return;
            }
        }
    }

    async fn perform(&mut self, io: Io) {
        match io {
            Io::Dial(hello) => {
                let attempt = dial(
                    self.invite.clone(),
                    hello,
                    self.endpoint.clone(),
                    self.connect_timeout,
                    self.answered,
                );
                self.link = Link::Dialing(Box::pin(attempt));
            }
            Io::Drop => self.link = Link::Offline,
            Io::Quit => {
                if let Link::Open(session) = std::mem::replace(&mut self.link, Link::Offline) {
                    self.quit(session).await;
                }
                self.machine.quit();
            }
            Io::Rebind => {
                if let Err(problem) = self.rebind() {
                    tracing::warn!("rebind failed: {problem}");
                    self.machine.failed(Failure::of(problem), Instant::now());
                }
            }
        }
    }

    /// Says Quit and takes the relay's last frames (acks of what was sent before)
    /// until it closes, for at most [`QUIT_WAIT`]. Closing at once could drop the
    /// Quit, and the rooms would log a lost connection.
    async fn quit(&mut self, mut session: Session) {
        if session.writer.write(&ClientFrame::Quit).await.is_err() {
            return;
        }
        session.writer.finish();
        let deadline = tokio::time::Instant::now() + QUIT_WAIT;
        while let Ok(Some(Ok(frame))) =
            tokio::time::timeout_at(deadline, session.frames.recv()).await
        {
            self.machine.frame(frame, Instant::now());
        }
    }

    fn rebind(&mut self) -> Result<(), Problem> {
        let Some(endpoint) = &self.endpoint else {
            return Ok(());
        };
        let local = endpoint
            .local_addr()
            .map_err(|e| Problem::Local(e.to_string()))?;
        let socket = socket::udp_socket(socket::unspecified(local))
            .map_err(|e| Problem::Local(e.to_string()))?;
        endpoint
            .rebind(socket)
            .map_err(|e| Problem::Local(e.to_string()))
    }

    fn forward(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            // The receiver may be gone while handles remain; not an error here.
            let _ = self.events.send(event);
        }
    }
}

/// What the connection brings next; never, when offline.
async fn next(link: &mut Link) -> Wake {
    match link {
        Link::Offline => std::future::pending().await,
        Link::Dialing(attempt) => Wake::Dialed(attempt.await),
        Link::Open(session) => tokio::select! {
            frame = session.frames.recv() => Wake::Frame(frame),
            _ = session.probe.tick() => Wake::Probe(session.conn.stats().udp_rx.datagrams),
        },
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn read_loop(mut recv: FrameReader, frames: mpsc::Sender<Result<ServerFrame, CodecError>>) {
    loop {
        let frame = recv.next::<ServerFrame>().await;
        let done = frame.is_err();
        if frames.send(frame).await.is_err() || done {
            return;
        }
    }
}
