//! Piazza's protocol core: everything the relay and the app must agree on, and nothing
//! that does I/O (no tokio, no quinn), so that every crate can depend on it.
//!
//! # Layout
//! - [`protocol`]: the frames, reasons and limits (protocol version, ALPN).
//! - [`codec`]: length-prefixed bincode framing with a wire-byte limit; the only user of
//!   bincode.
//! - [`rules`]: what a display name and a message text may be, and when two names are
//!   the same (Unicode normalisation and confusable skeletons).
//! - [`invite`]: the `piazza://host:port/?fp=…&key=…` string people share.
//! - [`fingerprint`]: certificate fingerprints and how a client trusts a relay.
//! - [`lan`]: rooms nearby: the DNS-SD service type and the TXT record a relay hosting
//!   a room on the LAN advertises over mDNS (unauthenticated: the invite stays the
//!   verified path).
//! - [`rate`]: the token bucket behind rate limits and publish pacing (relay) and outbox
//!   pacing (engine).
//!
//! Beside this crate, under `common/`: `net` (TLS/QUIC settings and the one connection
//! type, `Conn`) and `engine` (the UI-free chat client).

pub mod codec;
pub mod fingerprint;
pub mod invite;
pub mod lan;
pub mod protocol;
pub mod rate;
pub mod rules;
