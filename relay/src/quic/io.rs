//! [`Socket`]: the endpoint's UDP socket, read and written in batches. In: `recvmmsg`
//! with GRO through `quinn-udp`, each datagram split out for the endpoint. Out: the
//! packets of every connection driven in a pass, collected in an [`Outbox`] and sent
//! at the end of the pass (or when it is full), a connection's consecutive datagrams as
//! one GSO send (`send.rs`).

use std::{
    io::{self, IoSliceMut},
    net::{IpAddr, SocketAddr},
};

use bytes::BytesMut;
use quinn_proto::{EcnCodepoint, Transmit};
use quinn_udp::{RecvMeta, UdpSockRef, UdpSocketState, BATCH_SIZE};
use tokio::io::Interest;

/// Datagrams a connection hands over in one GSO send at most.
const MAX_GSO: usize = 10;

/// Packets collected before they are sent, unless the pass ends first.
const OUTBOX_SLOTS: usize = 64;

/// Batches read in one pass of the loop, so that sending is not starved by a flood.
const RECV_BATCHES_PER_PASS: usize = 16;

/// One datagram received.
pub(super) struct Received {
    pub(super) remote: SocketAddr,
    pub(super) local_ip: Option<IpAddr>,
    pub(super) ecn: Option<EcnCodepoint>,
    pub(super) data: BytesMut,
}

/// One packet (or GSO batch of packets) to send.
pub(super) struct Slot {
    pub(super) buf: Vec<u8>,
    pub(super) destination: SocketAddr,
    pub(super) ecn: Option<EcnCodepoint>,
    pub(super) segment_size: Option<usize>,
    pub(super) src_ip: Option<IpAddr>,
}

/// Packets to send, in order.
#[derive(Default)]
pub(super) struct Outbox {
    pub(super) slots: Vec<Slot>,
    /// Slots filled.
    pub(super) used: usize,
    /// Slots already sent (a send stopped by a full socket buffer resumes here).
    pub(super) sent: usize,
}

/// The socket and its batches.
pub(super) struct Socket {
    io: tokio::net::UdpSocket,
    state: UdpSocketState,
    recv_buf: Box<[u8]>,
    /// Scratch for the datagrams of a receive batch.
    pub(super) received: Vec<Received>,
    outbox: Outbox,
    /// Batches read in this pass.
    batches: usize,
    blocked: bool,
}

impl Socket {
    pub(super) fn new(socket: std::net::UdpSocket) -> io::Result<Self> {
        let state = UdpSocketState::new(UdpSockRef::from(&socket))?;
        socket.set_nonblocking(true)?;
        let io = tokio::net::UdpSocket::from_std(socket)?;
        // A GRO batch is at most 64 KiB.
        let recv_buf = vec![0; 64 * 1024 * BATCH_SIZE].into_boxed_slice();
        Ok(Self {
            io,
            state,
            recv_buf,
            received: Vec::new(),
            outbox: Outbox::default(),
            batches: 0,
            blocked: false,
        })
    }

    /// True when the OS may fragment outgoing datagrams (then no path MTU discovery).
    pub(super) fn may_fragment(&self) -> bool {
        self.state.may_fragment()
    }

    /// Datagrams one transmit may carry.
    pub(super) fn max_gso(&self) -> usize {
        self.state.max_gso_segments().clamp(1, MAX_GSO)
    }

    /// Reads one batch into `into`; false when nothing more is waiting (or this pass
    /// has read enough).
    pub(super) fn recv(&mut self, into: &mut Vec<Received>) -> bool {
        if self.batches >= RECV_BATCHES_PER_PASS {
            self.batches = 0;
            return false;
        }
        self.batches += 1;
        let mut metas = [RecvMeta::default(); BATCH_SIZE];
        let chunk = self.recv_buf.len() / BATCH_SIZE;
        let mut chunks = self.recv_buf.chunks_mut(chunk).map(IoSliceMut::new);
        let mut iovs: [IoSliceMut; BATCH_SIZE] =
            std::array::from_fn(|_| chunks.next().expect("BATCH_SIZE chunks"));
        let (io, state) = (&self.io, &self.state);
        let read = io.try_io(Interest::READABLE, || {
            state.recv(UdpSockRef::from(io), &mut iovs, &mut metas)
        });
        match read {
            Ok(count) => {
                for (meta, iov) in metas.iter().zip(iovs.iter()).take(count) {
                    let mut data = BytesMut::from(&iov[..meta.len]);
                    let ecn = meta.ecn.and_then(|e| EcnCodepoint::from_bits(e as u8));
                    while !data.is_empty() {
                        let datagram = data.split_to(meta.stride.min(data.len()));
                        into.push(Received {
                            remote: meta.addr,
                            local_ip: meta.dst_ip,
                            ecn,
                            data: datagram,
                        });
                    }
                }
                true
            }
            // Undefined in QUIC and may be injected by an attacker: read on.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => true,
            Err(e) => {
                if e.kind() != io::ErrorKind::WouldBlock {
                    tracing::warn!("receiving failed: {e}");
                }
                self.batches = 0;
                false
            }
        }
    }

    /// A cleared buffer for the next packet.
    pub(super) fn buf(&mut self) -> &mut Vec<u8> {
        let outbox = &mut self.outbox;
        if outbox.used == outbox.slots.len() {
            outbox.slots.push(Slot {
                buf: Vec::new(),
                destination: SocketAddr::from(([0, 0, 0, 0], 0)),
                ecn: None,
                segment_size: None,
                src_ip: None,
            });
        }
        let buf = &mut outbox.slots[outbox.used].buf;
        buf.clear();
        buf
    }

    /// Takes the packet written into the last [`Socket::buf`]; sends the outbox once
    /// it is full.
    pub(super) fn commit(&mut self, transmit: &Transmit) {
        let outbox = &mut self.outbox;
        let slot = &mut outbox.slots[outbox.used];
        slot.buf.truncate(transmit.size);
        slot.destination = transmit.destination;
        slot.ecn = transmit.ecn;
        slot.segment_size = transmit.segment_size.filter(|s| *s < transmit.size);
        slot.src_ip = transmit.src_ip;
        outbox.used += 1;
        if outbox.used - outbox.sent >= OUTBOX_SLOTS && !self.blocked {
            self.flush();
        }
    }

    /// True when the socket's buffer is full: no more packets until it is writable.
    pub(super) fn blocked(&self) -> bool {
        self.blocked
    }

    /// Sends what the outbox holds.
    pub(super) fn flush(&mut self) {
        let (io, state) = (&self.io, &self.state);
        let outbox = &mut self.outbox;
        while outbox.sent < outbox.used {
            let sent = io.try_io(Interest::WRITABLE, || {
                super::send::send(io, state, &outbox.slots[outbox.sent..outbox.used])
            });
            match sent {
                Ok(count) => outbox.sent += count,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked = true;
                    return;
                }
                Err(e) => {
                    // This one packet is lost (QUIC resends it); the rest go on.
                    tracing::debug!("sending failed: {e}");
                    outbox.sent += 1;
                }
            }
        }
        outbox.used = 0;
        outbox.sent = 0;
        self.blocked = false;
    }

    /// Waits until datagrams may be waiting.
    pub(super) async fn readable(&self) {
        let _ = self.io.readable().await;
    }

    /// Waits until the socket takes packets again.
    pub(super) async fn writable(&self) {
        let _ = self.io.writable().await;
    }
}
