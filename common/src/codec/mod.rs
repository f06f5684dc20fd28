//! Frames on the wire: a big-endian `u32` length prefix, then the frame encoded with
//! bincode 2 (serde, standard config).
//!
//! The frame limit ([`MAX_FRAME_BYTES`]) counts bytes on the wire, the same on both
//! sides: [`encode`] refuses a longer frame, [`payload_len`] a longer announced length,
//! and every frame up to the limit decodes. (bincode's own limit counts in-memory sizes,
//! up to 8 bytes for a one-byte integer; it is kept only as an allocation guard, far
//! above what any frame within the wire limit needs.)
//!
//! This is the only module that names bincode, so the encoding can be swapped here.
//! Encoding happens once into [`Bytes`], which the relay hands to every recipient as is.
//! Decoding never panics: every bad input is a [`CodecError`]. Reading frames from a
//! stream is the `net` crate's `FrameReader`; this module does no I/O.

use bytes::{BufMut, Bytes, BytesMut};
use serde::{de::DeserializeOwned, Serialize};

use crate::protocol::MAX_FRAME_BYTES;

/// Bytes of the length prefix in front of every frame.
pub const PREFIX_BYTES: usize = 4;

/// What went wrong reading or writing a frame.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The length prefix announces more than the limit.
    #[error("frame of {len} bytes exceeds the limit of {MAX_FRAME_BYTES} bytes")]
    Oversized {
        /// Announced (or, encoding, actual) payload length.
        len: usize,
    },
    /// The input ended inside a frame.
    #[error("the stream ended inside a frame ({got} of {want} bytes)")]
    Truncated {
        /// Bytes that arrived.
        got: usize,
        /// Bytes the frame needed.
        want: usize,
    },
    /// The payload is not a valid frame.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// The stream ended cleanly between frames.
    #[error("the stream was closed")]
    Closed,
    /// The QUIC stream failed (connection lost, reset, …).
    #[error("stream error: {0}")]
    Stream(String),
}

impl CodecError {
    /// True when the bytes were wrong (not the stream): the peer sent something that is
    /// not a frame of this protocol.
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            Self::Oversized { .. } | Self::Truncated { .. } | Self::Malformed(_)
        )
    }
}

/// bincode's decoding limit: what a frame may claim in memory while it is decoded.
/// bincode counts every integer at its in-memory size and every container at its
/// element size times its length, so a frame of `n` wire bytes claims up to about 32n
/// (a list of empty strings); frames the relay builds stay under 17n. This only bounds
/// what a hostile length can make the decoder allocate.
const DECODE_GUARD_BYTES: usize = 32 * MAX_FRAME_BYTES;

fn decode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_GUARD_BYTES>()
}

fn encode_config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// Encodes a frame, prefix included, into one buffer.
pub fn encode<T: Serialize>(frame: &T) -> Result<Bytes, CodecError> {
    let mut buf = BytesMut::with_capacity(128);
    buf.put_u32(0);
    let mut writer = buf.writer();
    bincode::serde::encode_into_std_write(frame, &mut writer, encode_config())
        .map_err(|e| CodecError::Malformed(e.to_string()))?;
    let mut buf = writer.into_inner();
    let len = buf.len() - PREFIX_BYTES;
    if len > MAX_FRAME_BYTES {
        return Err(CodecError::Oversized { len });
    }
    buf[..PREFIX_BYTES].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(buf.freeze())
}

/// Reads a length prefix and checks it against the limit.
pub fn payload_len(prefix: [u8; PREFIX_BYTES]) -> Result<usize, CodecError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_FRAME_BYTES {
        return Err(CodecError::Oversized { len });
    }
    if len == 0 {
        return Err(CodecError::Malformed("empty frame".into()));
    }
    Ok(len)
}

/// Decodes one payload (without prefix). Trailing bytes are an error.
pub fn decode_payload<T: DeserializeOwned>(payload: &[u8]) -> Result<T, CodecError> {
    let (frame, used) = bincode::serde::decode_from_slice(payload, decode_config())
        .map_err(|e| CodecError::Malformed(e.to_string()))?;
    if used != payload.len() {
        return Err(CodecError::Malformed(format!(
            "{} trailing bytes after the frame",
            payload.len() - used
        )));
    }
    Ok(frame)
}

/// Decodes the first frame of `buf` (prefix included), returning it and the bytes used.
pub fn decode<T: DeserializeOwned>(buf: &[u8]) -> Result<(T, usize), CodecError> {
    if buf.is_empty() {
        return Err(CodecError::Closed);
    }
    let Some(prefix) = buf.get(..PREFIX_BYTES) else {
        return Err(CodecError::Truncated {
            got: buf.len(),
            want: PREFIX_BYTES,
        });
    };
    let len = payload_len(prefix.try_into().expect("four bytes"))?;
    let end = PREFIX_BYTES + len;
    let Some(payload) = buf.get(PREFIX_BYTES..end) else {
        return Err(CodecError::Truncated {
            got: buf.len(),
            want: end,
        });
    };
    Ok((decode_payload(payload)?, end))
}

#[cfg(test)]
mod tests;
