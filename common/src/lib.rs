//! Piazza's shared core: everything both the relay and the app must agree on.
//!
//! # Layout
//! - [`protocol`]: the frames, reasons and limits (protocol version, ALPN).
//! - [`codec`]: length-prefixed bincode framing with size limits; the only user of bincode.
//! - [`tls`]: rustls/quinn configuration for relay and client, certificate pinning.
//! - [`rate`]: the token bucket behind rate limits and publish pacing (relay) and outbox
//!   pacing (engine).
//! - [`invite`]: the `piazza://host:port/?fp=…&key=…` string people share.
//! - [`client`]: the UI-free chat engine (connect, outbox, reconnect, resume, migration).

pub mod client;
pub mod codec;
pub mod invite;
pub mod protocol;
pub mod rate;
pub mod tls;
