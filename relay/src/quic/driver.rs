//! The loop: the endpoint, every connection, the socket and the timers, in one task.

use std::{
    cmp::Reverse,
    collections::{BinaryHeap, HashMap},
    mem,
    sync::{Arc, Mutex},
    time::Instant,
};

use bytes::Bytes;
use quinn_proto::{DatagramEvent, EndpointConfig, ServerConfig};
use tokio::sync::{mpsc, Notify};

use super::{
    conn::Conn,
    gate::{Gate, Verdict},
    io::{Received, Socket},
    Link,
};
use crate::room::MemberQueue;

/// What sessions ask of the driver.
#[derive(Debug)]
pub(crate) enum Command {
    /// Read the stream again (the session has decoded what was read ahead).
    Read(usize),
    /// Close one connection.
    Close {
        handle: usize,
        code: u32,
        reason: Bytes,
    },
    /// Stop accepting, close every connection, stop once all have drained.
    CloseAll { code: u32, reason: Bytes },
}

#[derive(Default)]
struct Pending {
    /// Connections whose queue has something new.
    ready: Vec<usize>,
    commands: Vec<Command>,
}

/// How sessions and queues reach the driver: what they want, and a wake-up.
#[derive(Default)]
pub(crate) struct Wakeup {
    pending: Mutex<Pending>,
    notify: Notify,
}

impl Wakeup {
    /// Asks the driver for `command`.
    pub(crate) fn send(&self, command: Command) {
        self.pending.lock().unwrap().commands.push(command);
        self.notify.notify_one();
    }

    /// Tells the driver that connection `handle`'s queue has something new.
    fn ready(&self, handle: usize) {
        self.pending.lock().unwrap().ready.push(handle);
        self.notify.notify_one();
    }
}

/// The endpoint's driver.
pub(super) struct Driver {
    endpoint: quinn_proto::Endpoint,
    server: Arc<ServerConfig>,
    /// Boxed: the table's spare slots then cost a pointer, not a whole connection.
    conns: HashMap<usize, Box<Conn>>,
    /// Connection timers, earliest first; an entry is stale when the connection's
    /// timer has moved since.
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    /// Connections to drive in this pass.
    dirty: Vec<usize>,
    socket: Socket,
    gate: Gate,
    accepted: mpsc::UnboundedSender<Arc<Link>>,
    wakeup: Arc<Wakeup>,
    /// Set by `CloseAll`: new connections are refused, the loop ends once all drained.
    closing: bool,
    /// Scratch: the pending work taken from the wake-up.
    taken: Pending,
}

impl Driver {
    pub(super) fn new(
        socket: std::net::UdpSocket,
        config: EndpointConfig,
        server: ServerConfig,
        gate: Gate,
        accepted: mpsc::UnboundedSender<Arc<Link>>,
        wakeup: Arc<Wakeup>,
    ) -> std::io::Result<Self> {
        let socket = Socket::new(socket)?;
        let server = Arc::new(server);
        let endpoint = quinn_proto::Endpoint::new(
            Arc::new(config),
            Some(server.clone()),
            !socket.may_fragment(),
            None,
        );
        Ok(Self {
            endpoint,
            server,
            conns: HashMap::new(),
            timers: BinaryHeap::new(),
            dirty: Vec::new(),
            socket,
            gate,
            accepted,
            wakeup,
            closing: false,
            taken: Pending::default(),
        })
    }

    /// Runs until `CloseAll` and every connection has drained.
    pub(super) async fn run(mut self) {
        loop {
            let now = Instant::now();
            self.receive(now);
            self.take_pending(now);
            self.expire_timers(now);
            self.drive_dirty(now);
            self.socket.flush();
            if self.closing && self.conns.is_empty() {
                break;
            }
            if !self.dirty.is_empty() && !self.socket.blocked() {
                // More to send than one pass takes: the next pass goes on at once.
                tokio::task::yield_now().await;
                continue;
            }
            let next_timer = self.timers.peek().map(|Reverse((at, _))| *at);
            let sleep = async {
                match next_timer {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = self.wakeup.notify.notified() => {}
                _ = self.socket.readable() => {}
                _ = self.socket.writable(), if self.socket.blocked() => {}
                _ = sleep => {}
            }
        }
        tracing::debug!("QUIC driver stopped");
    }

    /// Every datagram waiting on the socket, handed to the endpoint.
    fn receive(&mut self, now: Instant) {
        let mut received = mem::take(&mut self.socket.received);
        while self.socket.recv(&mut received) {
            for Received {
                remote,
                local_ip,
                ecn,
                data,
            } in received.drain(..)
            {
                let buf = self.socket.buf();
                match self.endpoint.handle(now, remote, local_ip, ecn, data, buf) {
                    Some(DatagramEvent::ConnectionEvent(handle, event)) => {
                        if let Some(conn) = self.conns.get_mut(&handle.0) {
                            conn.proto.handle_event(event);
                            self.dirty.push(handle.0);
                        }
                    }
                    Some(DatagramEvent::NewConnection(incoming)) => self.incoming(now, incoming),
                    Some(DatagramEvent::Response(transmit)) => self.socket.commit(&transmit),
                    None => {}
                }
            }
        }
        self.socket.received = received;
    }

    /// A new connection: accepted (a session starts), retried or refused.
    fn incoming(&mut self, now: Instant, incoming: quinn_proto::Incoming) {
        let verdict = match self.closing {
            true => Verdict::Refuse,
            false => self
                .gate
                .judge(self.conns.len(), incoming.remote_address_validated()),
        };
        let buf = self.socket.buf();
        match verdict {
            Verdict::Refuse => {
                let transmit = self.endpoint.refuse(incoming, buf);
                self.socket.commit(&transmit);
            }
            Verdict::Retry => match self.endpoint.retry(incoming, buf) {
                Ok(transmit) => {
                    self.gate.retried();
                    self.socket.commit(&transmit);
                }
                Err(e) => self.endpoint.ignore(e.into_incoming()),
            },
            Verdict::Accept => {
                let remote = incoming.remote_address();
                match self
                    .endpoint
                    .accept(incoming, now, buf, Some(self.server.clone()))
                {
                    Ok((handle, proto)) => {
                        let queue = Arc::new(MemberQueue::new(self.gate.queue_bytes));
                        let wakeup = self.wakeup.clone();
                        let id = handle.0;
                        queue.set_waker(Box::new(move || wakeup.ready(id)));
                        let link = Arc::new(Link::new(id, remote, queue, self.wakeup.clone()));
                        self.conns
                            .insert(id, Box::new(Conn::new(proto, link.clone())));
                        self.dirty.push(id);
                        if self.accepted.send(link).is_err() {
                            tracing::debug!("no accept loop: connection dropped");
                        }
                    }
                    Err(e) => {
                        self.gate.handshake_failed();
                        tracing::debug!("accepting failed: {}", e.cause);
                        if let Some(transmit) = e.response {
                            self.socket.commit(&transmit);
                        }
                    }
                }
            }
        }
    }

    /// What queues and sessions asked for since the last pass.
    fn take_pending(&mut self, now: Instant) {
        {
            let mut pending = self.wakeup.pending.lock().unwrap();
            mem::swap(&mut *pending, &mut self.taken);
        }
        self.dirty.append(&mut self.taken.ready);
        for command in self.taken.commands.drain(..) {
            match command {
                Command::Read(handle) => {
                    if let Some(conn) = self.conns.get_mut(&handle) {
                        conn.read();
                        self.dirty.push(handle);
                    }
                }
                Command::Close {
                    handle,
                    code,
                    reason,
                } => {
                    if let Some(conn) = self.conns.get_mut(&handle) {
                        conn.proto.close(now, code.into(), reason);
                        self.dirty.push(handle);
                    }
                }
                Command::CloseAll { code, reason } => {
                    for (handle, conn) in &mut self.conns {
                        conn.proto.close(now, code.into(), reason.clone());
                        self.dirty.push(*handle);
                    }
                    self.closing = true;
                }
            }
        }
    }

    /// Runs the timers that are due.
    fn expire_timers(&mut self, now: Instant) {
        while let Some(Reverse((at, handle))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if let Some(conn) = self.conns.get_mut(&handle) {
                if conn.timer == Some(at) {
                    conn.timer = None;
                    conn.proto.handle_timeout(now);
                    self.dirty.push(handle);
                }
            }
        }
        if self.timers.len() > 64 + 4 * self.conns.len() {
            // Stale entries outnumber live ones: rebuild from the connections.
            self.timers = self
                .conns
                .iter()
                .filter_map(|(handle, conn)| conn.timer.map(|at| Reverse((at, *handle))))
                .collect();
        }
    }

    /// Drives every connection that has something to do: its events, its stream, its
    /// packets; forgets those that have drained. Those with more to send stay dirty.
    fn drive_dirty(&mut self, now: Instant) {
        let mut dirty = mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        for handle in dirty.drain(..) {
            let Some(conn) = self.conns.get_mut(&handle) else {
                continue;
            };
            let driven = conn.drive(now, &mut self.endpoint, &mut self.socket);
            match conn.proto.poll_timeout() {
                Some(at) if conn.timer != Some(at) => {
                    conn.timer = Some(at);
                    self.timers.push(Reverse((at, handle)));
                }
                Some(_) => {}
                None => conn.timer = None,
            }
            if driven.drained {
                if let Some(conn) = self.conns.remove(&handle) {
                    conn.gone("closed");
                }
            } else if driven.more {
                self.dirty.push(handle);
            }
        }
        // The vector's capacity is kept for the next pass.
        dirty.append(&mut self.dirty);
        self.dirty = dirty;
    }
}
