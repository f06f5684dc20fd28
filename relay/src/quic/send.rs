//! Sending an outbox's packets: one `sendmsg` (with GSO, through `quinn-udp`) per slot.

use std::io;

use quinn_udp::{UdpSockRef, UdpSocketState};

use super::io::Slot;

/// Sends the first of `slots` (more when the platform batches); how many were sent.
pub(super) fn send(
    io: &tokio::net::UdpSocket,
    state: &UdpSocketState,
    slots: &[Slot],
) -> io::Result<usize> {
    let slot = &slots[0];
    let transmit = quinn_udp::Transmit {
        destination: slot.destination,
        ecn: slot
            .ecn
            .and_then(|e| quinn_udp::EcnCodepoint::from_bits(e as u8)),
        contents: &slot.buf,
        segment_size: slot.segment_size,
        src_ip: slot.src_ip,
    };
    state.send(UdpSockRef::from(io), &transmit)?;
    Ok(1)
}
