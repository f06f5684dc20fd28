//! The relay's QUIC event loop: one task drives `quinn-proto` (quinn's sans-I/O core)
//! for every connection of the endpoint — no task, mutex, channel or timer per
//! connection, as quinn's own driver has.
//!
//! One pass of the loop receives every datagram waiting on the socket (`recvmmsg`, GRO,
//! through `quinn-udp`), runs expired timers, takes what the sessions asked for, then for
//! each connection that has something to do moves what its member's queue holds straight
//! into its stream, reads what its stream received, and collects its packets; the pass
//! ends by sending them all (`io.rs`; a connection's consecutive datagrams in one GSO
//! send). Rooms publishing while a pass runs are picked up by the next one, so a busy
//! relay writes each member's frames in few, full packets.
//!
//! Sessions stay tasks (joining and history await the log): each holds a [`Link`], the
//! connection's side that a session sees — the frames its stream brought, the queue the
//! driver drains, and the requests (close, read more) it sends back.
//!
//! - `driver.rs`: the loop and the endpoint.
//! - `conn.rs`: one connection inside the driver: events, stream reads and writes.
//! - `link.rs`: [`Link`], what the session holds.
//! - `io.rs`: the socket: batches in and out; `send.rs`: one outbox slot through
//!   `quinn-udp` (GSO, ECN, source address).
//! - `gate.rs`: which new connections are accepted, retried or refused.

mod conn;
mod driver;
mod gate;
mod io;
mod link;
mod send;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::sync::mpsc;

pub(crate) use gate::Gate;
pub(crate) use link::{CloseOnDrop, Link};

use driver::{Command, Wakeup};

/// The relay's QUIC endpoint: its driver task and the connections it accepts.
pub(crate) struct Endpoint {
    addr: SocketAddr,
    wakeup: Arc<Wakeup>,
    driver: tokio::task::JoinHandle<()>,
}

impl Endpoint {
    /// Starts the driver on `socket`; accepted connections arrive on the receiver.
    pub(crate) fn start(
        socket: std::net::UdpSocket,
        config: quinn_proto::EndpointConfig,
        server: quinn_proto::ServerConfig,
        gate: Gate,
    ) -> std::io::Result<(Self, mpsc::UnboundedReceiver<Arc<Link>>)> {
        let addr = socket.local_addr()?;
        let (accepted, incoming) = mpsc::unbounded_channel();
        let wakeup = Arc::new(Wakeup::default());
        let driver = driver::Driver::new(socket, config, server, gate, accepted, wakeup.clone())?;
        let driver = tokio::spawn(driver.run());
        Ok((
            Self {
                addr,
                wakeup,
                driver,
            },
            incoming,
        ))
    }

    /// The address the socket is bound to.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and closes every connection with `code` and `reason`.
    pub(crate) fn close(&self, code: u32, reason: &[u8]) {
        self.wakeup.send(Command::CloseAll {
            code,
            reason: bytes::Bytes::copy_from_slice(reason),
        });
    }

    /// Waits (at most `limit`) until every connection has drained, then stops the driver.
    pub(crate) async fn wait_idle(self, limit: Duration) {
        let mut driver = self.driver;
        if tokio::time::timeout(limit, &mut driver).await.is_err() {
            driver.abort();
        }
    }
}
