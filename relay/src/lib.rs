//! Piazza's relay: a QUIC room server. Every client opens one bidirectional stream; every
//! message goes to every member of the room, the sender included, in one order for all.
//!
//! # Layout
//! - [`relay`]: [`Relay`] / [`RelayConfig`]: start on an address with a data directory,
//!   accept connections (refusing or retrying under floods), shut down gracefully. Tests,
//!   the benchmark and the app (hosting) start it in-process.
//! - [`identity`]: certificate, stateless-reset secret, connection-id key.
//! - `session/`: the only owner of a connection: hello deadline, admission, reader,
//!   writer draining the member's queue, every close.
//! - [`room`]: members, sequencer and dedup, member queues, welcome/backlog/history
//!   packing, the committer (group commit and publish pacing), presence — with no QUIC
//!   type in it; it answers through queues and returns outcomes.
//! - [`log`]: the [`RoomLog`](log::RoomLog) seam (append a batch and get seqs, read,
//!   look up ids, present set) and its redb implementation.
//! - [`limits`], [`stats`]: configurable limits, counters.
//!
//! The `piazza-relay` binary (`src/main.rs`) wraps this with a CLI, logs and signals.

pub mod identity;
pub mod limits;
pub mod log;
pub mod relay;
pub mod room;
mod session;
pub mod stats;

pub use identity::RESET_KEY_FILE;
pub use limits::Limits;
pub use net::socket::udp_socket;
pub use relay::{Relay, RelayConfig, RelayError, LOG_FILE};
pub use stats::RelayStats;
