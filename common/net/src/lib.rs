//! Piazza's network layer, shared by the relay, the engine, the benchmark and the tests:
//! QUIC on rustls (ring), one bidirectional stream per client, frames from `common`.
//!
//! # Layout
//! - [`tls`]: server and client configurations, certificate pinning, the transport
//!   settings both ends use (idle timeout, keep-alive, windows).
//! - [`conn`]: [`Conn`], the connection and its stream read and written as frames
//!   ([`FrameReader`], [`FrameWriter`]); a client opens one, the engine tests' fake relay
//!   accepts one (the relay drives `quinn-proto` itself, with [`tls`]'s settings).
//! - [`dial`]: [`Dialer`] and [`open`]: resolve, handshake, hello, welcome — the one
//!   client handshake.
//! - [`problem`]: [`Problem`], every connection failure classified by type.
//! - [`socket`]: UDP sockets with large buffers and client endpoints.

pub mod conn;
pub mod dial;
pub mod problem;
pub mod socket;
pub mod tls;

pub use conn::{Conn, FrameReader, FrameWriter, WriteError};
pub use dial::{open, resolve, resolve_all, Dialer};
pub use problem::Problem;
