//! Opening a session as a client: resolve the invite, handshake with the right trust,
//! send the hello, read the relay's ready (and, for a one-room client, join the room). The engine, the benchmark and every test open
//! sessions through [`Dialer`] (or the one-shot [`open`]), so there is one handshake.

use std::net::SocketAddr;

use common::{
    codec::CodecError,
    invite::Invite,
    protocol::{ClientFrame, Hello, Join, Ready, ServerFrame, Welcome},
};

use crate::{
    conn::Conn,
    problem::Problem,
    socket,
    tls::{self, ClientTls},
};

/// Connects to one relay: its address, its TLS trust and the QUIC endpoint to use.
/// Cheap to clone; one dialer can open many sessions (the benchmark's clients).
#[derive(Clone)]
pub struct Dialer {
    endpoint: quinn::Endpoint,
    tls: ClientTls,
    addr: SocketAddr,
    server_name: String,
}

impl Dialer {
    /// A dialer for `invite`, resolving its host (off the runtime's threads).
    pub async fn resolve(endpoint: quinn::Endpoint, invite: &Invite) -> Result<Self, Problem> {
        let addr = resolve(invite).await?;
        Self::to_addr(endpoint, invite, addr)
    }

    /// A dialer for `invite` at a known address (no lookup).
    pub fn to_addr(
        endpoint: quinn::Endpoint,
        invite: &Invite,
        addr: SocketAddr,
    ) -> Result<Self, Problem> {
        let tls = tls::client_config(invite.trust()).map_err(|e| Problem::Local(e.to_string()))?;
        Ok(Self {
            endpoint,
            tls,
            addr,
            server_name: invite.server_name().to_owned(),
        })
    }

    /// Uses another TLS configuration (tests of ALPN and trust).
    pub fn with_tls(mut self, tls: ClientTls) -> Self {
        self.tls = tls;
        self
    }

    /// The relay's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint connections are made from.
    pub fn endpoint(&self) -> &quinn::Endpoint {
        &self.endpoint
    }

    /// A QUIC connection with the relay (handshake done, no stream yet).
    pub async fn connect(&self) -> Result<quinn::Connection, Problem> {
        self.tls.reset();
        let connecting = self
            .endpoint
            .connect_with(self.tls.config.clone(), self.addr, &self.server_name)
            .map_err(|e| Problem::Local(e.to_string()))?;
        connecting
            .await
            .map_err(|e| Problem::of_connection(&e, self.tls.pin_failed()))
    }

    /// Opens a session: connection, stream, hello, and the relay's [`Ready`]. A refusal
    /// or a bye is a [`Problem`] with its reason. Rooms are joined afterwards.
    pub async fn open(&self, hello: Hello) -> Result<(Conn, Ready), Problem> {
        let connection = self.connect().await?;
        let mut conn = Conn::open(connection)
            .await
            .map_err(|e| Problem::of_connection(&e, false))?;
        conn.write(&ClientFrame::Hello(hello))
            .await
            .map_err(|e| Problem::of_write(&e))?;
        match read_answer(&mut conn).await? {
            ServerFrame::Ready(ready) => Ok((conn, ready)),
            other => {
                conn.close(0, b"protocol error");
                Err(Problem::Protocol(format!("expected ready, got {other:?}")))
            }
        }
    }

    /// Opens a session in one room: hello, join, and that room's [`Welcome`]. For
    /// clients in one room (tests, the benchmark): frames read before the welcome are
    /// not kept. A refused join is [`Problem::JoinRefused`].
    pub async fn open_room(
        &self,
        hello: Hello,
        join: Join,
    ) -> Result<(Conn, Ready, Welcome), Problem> {
        let (mut conn, ready) = self.open(hello).await?;
        conn.write(&ClientFrame::Join(join))
            .await
            .map_err(|e| Problem::of_write(&e))?;
        loop {
            match read_answer(&mut conn).await? {
                ServerFrame::Welcome(welcome) => return Ok((conn, ready, welcome)),
                ServerFrame::JoinRefused { reason, .. } => {
                    conn.close(0, b"refused");
                    return Err(Problem::JoinRefused(reason));
                }
                _ => {}
            }
        }
    }
}

/// Reads the relay's next frame while opening a session: a refusal or a bye becomes the
/// [`Problem`] it is.
async fn read_answer(conn: &mut Conn) -> Result<ServerFrame, Problem> {
    match conn.read::<ServerFrame>().await {
        Ok(ServerFrame::Refused(reason)) => {
            conn.close(0, b"refused");
            Err(Problem::Refused(reason))
        }
        Ok(ServerFrame::Bye(reason)) => Err(Problem::Bye(reason)),
        Ok(frame) => Ok(frame),
        Err(e @ (CodecError::Closed | CodecError::Stream(_))) => {
            Err(Problem::of_lost(conn.connection(), &e))
        }
        Err(e) => {
            conn.close(0, b"protocol error");
            Err(Problem::Undecodable(e.to_string()))
        }
    }
}

/// Opens a session in the invite's room from a fresh client endpoint: what a test or
/// tool needs when it does not manage endpoints itself. `resume_after` as in
/// [`Join::resume_after`].
pub async fn open(
    invite: &Invite,
    hello: Hello,
    resume_after: Option<common::protocol::Seq>,
) -> Result<(Conn, Ready, Welcome), Problem> {
    let addr = resolve(invite).await?;
    let endpoint = socket::client_endpoint(addr).map_err(|e| Problem::Local(e.to_string()))?;
    let join = Join {
        room: invite.room_name().to_owned(),
        key: invite.room_key.clone(),
        resume_after,
        owner_key: None,
    };
    Dialer::to_addr(endpoint, invite, addr)?
        .open_room(hello, join)
        .await
}

/// Every place the relay can be reached, in the invite's order: each of its addresses
/// with every record its name has, paired with the invite for that address (its host is
/// the name the handshake asks for). An address that does not resolve is skipped; if
/// none does, the first one's problem.
pub async fn resolve_all(invite: &Invite) -> Result<Vec<(Invite, SocketAddr)>, Problem> {
    let mut found: Vec<(Invite, SocketAddr)> = Vec::new();
    let mut first_problem = None;
    for address in invite.addresses() {
        match tokio::net::lookup_host(address.authority()).await {
            Ok(addrs) => {
                let via = invite.via(&address);
                for addr in addrs {
                    if !found.iter().any(|(_, a)| *a == addr) {
                        found.push((via.clone(), addr));
                    }
                }
            }
            Err(e) => {
                first_problem.get_or_insert(Problem::Resolve(e.to_string()));
            }
        }
    }
    if found.is_empty() {
        return Err(first_problem
            .unwrap_or_else(|| Problem::Resolve(format!("no address for {}", invite.host))));
    }
    Ok(found)
}

/// The relay's first address. Literal addresses need no lookup; names are looked up off
/// the runtime's threads (`lookup_host`), so a slow resolver cannot stall a client.
pub async fn resolve(invite: &Invite) -> Result<SocketAddr, Problem> {
    let found = tokio::net::lookup_host(invite.authority())
        .await
        .map_err(|e| Problem::Resolve(e.to_string()))?
        .next();
    found.ok_or_else(|| Problem::Resolve(format!("no address for {}", invite.host)))
}
