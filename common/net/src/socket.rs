//! UDP sockets and QUIC endpoints with buffers sized for chat fan-out.

use std::{net::SocketAddr, sync::Arc};

/// Socket buffer asked for: bursts of thousands of clients (a restart, a crowded room)
/// must not overflow the kernel's default of a few hundred KiB.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// A UDP socket bound to `addr` with buffers of 4 MiB (the kernel caps them at
/// `net.core.rmem_max` and `wmem_max`; a smaller buffer is a warning, not an error).
/// The relay's socket, and the benchmark's client sockets, which would otherwise drop
/// fan-out bursts.
pub fn udp_socket(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    for (what, result) in [
        ("receive", socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES)),
        ("send", socket.set_send_buffer_size(SOCKET_BUFFER_BYTES)),
    ] {
        if let Err(e) = result {
            tracing::warn!("could not enlarge the UDP {what} buffer: {e}");
        }
    }
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// The unspecified address (port 0) of `like`'s family.
pub fn unspecified(like: SocketAddr) -> SocketAddr {
    if like.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    }
}

/// A client endpoint that can reach `remote` (same address family), on a socket with
/// large buffers.
pub fn client_endpoint(remote: SocketAddr) -> std::io::Result<quinn::Endpoint> {
    quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        None,
        udp_socket(unspecified(remote))?,
        Arc::new(quinn::TokioRuntime),
    )
}
