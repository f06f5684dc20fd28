//! The one connection type both ends use: a QUIC connection with its one bidirectional
//! stream, read and written as frames.
//!
//! [`Conn`] owns the connection and the stream; [`Conn::into_parts`] splits it so that a
//! reader task and a writer task can run side by side (the engine, the bench; the relay
//! drives `quinn-proto` itself, see `relay::quic`).
//! [`FrameReader`] takes whatever a stream read brings and decodes every complete frame
//! in it; [`FrameWriter`] writes encoded frames, many in one call.

use bytes::{Bytes, BytesMut};
use common::codec::{self, CodecError, PREFIX_BYTES};
use serde::{de::DeserializeOwned, Serialize};

/// Reads frames from a QUIC stream. Each stream read takes whatever has arrived (a
/// datagram's worth or more) and every complete frame in it is decoded from the buffer:
/// one stream read per chunk instead of two per frame. The buffer holds at most one
/// frame's worth beyond what the last read brought; an announced length over the limit
/// is refused before anything more is read.
pub struct FrameReader {
    recv: quinn::RecvStream,
    buf: BytesMut,
}

impl FrameReader {
    /// Reads frames from `recv`.
    pub fn new(recv: quinn::RecvStream) -> Self {
        Self {
            recv,
            buf: BytesMut::new(),
        }
    }

    /// The next frame; [`CodecError::Closed`] when the stream ended between frames.
    pub async fn next<T: DeserializeOwned>(&mut self) -> Result<T, CodecError> {
        loop {
            let mut want = PREFIX_BYTES;
            if let Some(prefix) = self.buf.get(..PREFIX_BYTES) {
                let len = codec::payload_len(prefix.try_into().expect("four bytes"))?;
                want += len;
                if self.buf.len() >= want {
                    let frame = self.buf.split_to(want);
                    return codec::decode_payload(&frame[PREFIX_BYTES..]);
                }
            }
            match self.recv.read_chunk(usize::MAX, true).await {
                Ok(Some(chunk)) => self.buf.extend_from_slice(&chunk.bytes),
                Ok(None) if self.buf.is_empty() => return Err(CodecError::Closed),
                Ok(None) => {
                    return Err(CodecError::Truncated {
                        got: self.buf.len(),
                        want,
                    })
                }
                Err(e) => return Err(CodecError::Stream(e.to_string())),
            }
        }
    }

    /// Tells the peer to stop sending (nothing more will be read).
    pub fn stop(&mut self) {
        let _ = self.recv.stop(0u32.into());
    }
}

/// Why a frame could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The frame could not be encoded (too large).
    #[error("{0}")]
    Encode(#[from] CodecError),
    /// The stream or connection failed.
    #[error("{0}")]
    Stream(#[from] quinn::WriteError),
}

/// Writes frames to a QUIC stream.
pub struct FrameWriter {
    send: quinn::SendStream,
}

impl FrameWriter {
    /// Writes frames to `send`.
    pub fn new(send: quinn::SendStream) -> Self {
        Self { send }
    }

    /// Encodes and writes one frame.
    pub async fn write<T: Serialize>(&mut self, frame: &T) -> Result<(), WriteError> {
        let bytes = codec::encode(frame)?;
        self.write_encoded(&bytes).await
    }

    /// Writes one encoded frame (prefix included).
    pub async fn write_encoded(&mut self, frame: &[u8]) -> Result<(), WriteError> {
        Ok(self.send.write_all(frame).await?)
    }

    /// Writes encoded frames in one call (the relay's batched fan-out).
    pub async fn write_batch(&mut self, frames: &mut [Bytes]) -> Result<(), WriteError> {
        Ok(self.send.write_all_chunks(frames).await?)
    }

    /// Ends the stream after what was written.
    pub fn finish(&mut self) {
        let _ = self.send.finish();
    }

    /// Waits until the peer has everything written (or stopped reading, or is gone).
    pub async fn stopped(&mut self) {
        let _ = self.send.stopped().await;
    }
}

/// A connection and its one bidirectional stream, read and written as frames.
pub struct Conn {
    connection: quinn::Connection,
    reader: FrameReader,
    writer: FrameWriter,
}

impl Conn {
    /// A connection over an opened (or accepted) stream.
    pub fn new(
        connection: quinn::Connection,
        send: quinn::SendStream,
        recv: quinn::RecvStream,
    ) -> Self {
        Self {
            connection,
            reader: FrameReader::new(recv),
            writer: FrameWriter::new(send),
        }
    }

    /// The client side: opens the stream on an established connection.
    pub async fn open(connection: quinn::Connection) -> Result<Self, quinn::ConnectionError> {
        let (send, recv) = connection.open_bi().await?;
        Ok(Self::new(connection, send, recv))
    }

    /// The accepting side: takes the client's stream (the engine tests' fake relay).
    pub async fn accept(connection: quinn::Connection) -> Result<Self, quinn::ConnectionError> {
        let (send, recv) = connection.accept_bi().await?;
        Ok(Self::new(connection, send, recv))
    }

    /// The QUIC connection (addresses, stats, close reason).
    pub fn connection(&self) -> &quinn::Connection {
        &self.connection
    }

    /// Reads the next frame.
    pub async fn read<T: DeserializeOwned>(&mut self) -> Result<T, CodecError> {
        self.reader.next().await
    }

    /// Writes one frame.
    pub async fn write<T: Serialize>(&mut self, frame: &T) -> Result<(), WriteError> {
        self.writer.write(frame).await
    }

    /// Writes one encoded frame.
    pub async fn write_encoded(&mut self, frame: &[u8]) -> Result<(), WriteError> {
        self.writer.write_encoded(frame).await
    }

    /// Closes the connection with an application code and reason.
    pub fn close(&self, code: u32, reason: &[u8]) {
        self.connection.close(code.into(), reason);
    }

    /// The connection, the reader and the writer, to use from separate tasks.
    pub fn into_parts(self) -> (quinn::Connection, FrameReader, FrameWriter) {
        (self.connection, self.reader, self.writer)
    }
}
