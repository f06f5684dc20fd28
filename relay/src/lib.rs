//! Piazza's relay: a QUIC room server. Every client opens one bidirectional stream and
//! joins any number of rooms over it; every message goes to every member of its room,
//! the sender included, in one order for all.
//!
//! # Layout
//! - [`relay`]: [`Relay`]: start on an address with a data directory, invites per
//!   room, applying a new room configuration, graceful shutdown. Tests, the benchmark
//!   and the app (hosting) start it in-process. [`config`]: [`RelayConfig`],
//!   [`RelayError`]. `quic::Gate`: refusing connections when full, retries under
//!   floods.
//! - [`lan`]: [`LanConfig`]: advertising a room on the LAN with DNS-SD over mDNS
//!   (`_piazza._udp.local.`, the record of `common::lan`), from start to shutdown
//!   (a goodbye).
//! - `quic/`: the QUIC event loop — one task drives `quinn-proto` for every connection
//!   (datagrams in by batch, member queues written straight into streams, every
//!   connection's packets out together, one timer heap); a session holds its
//!   connection's `Link`. `accept.rs` gives each accepted connection its session.
//! - [`identity`]: certificate, stateless-reset secret, connection-id key.
//! - `session/`: the only owner of a connection: hello deadline, admission (`Ready`),
//!   sessions by install, the session's rooms (join, send, history, leave), reader,
//!   every close (the QUIC loop drains the session's one queue into its stream).
//! - [`rooms`]: which rooms exist (default, the operator's, clients' with open rooms),
//!   their keys and archived flags, admission to them, reloads; [`rooms::config`]: the
//!   operator's room definitions (flags, rooms file).
//! - [`room`]: one room: members, sequencer and dedup, member queues, welcome/backlog/
//!   history packing, the committer (appends and publish pacing), presence, closing,
//!   owners' moderation (removed messages served redacted, mutes, removed installations,
//!   rebuilt from the log) — with no QUIC type in it; it answers through queues and
//!   returns outcomes. [`RelayConfig::owner_key`] makes owners.
//! - [`log`]: the seams — [`RoomLog`](log::RoomLog) (one room's log: append a batch
//!   and get seqs, read, look up ids, present set) and [`Store`](log::Store) (every
//!   room's log, the catalogue of rooms) — and their redb implementation (one
//!   database, group commit across rooms, the upgrade from the one-room log), and the
//!   JetStream one (`--cluster`: every room in one NATS stream, ids and presence in KV).
//! - [`admin`]: the operator's commands on a stopped relay's data (`rooms list`,
//!   `archive`, `unarchive`, `delete`).
//! - [`limits`], [`stats`]: configurable limits, counters.
//!
//! The `piazza-relay` binary (`src/main.rs`) wraps this with a CLI, logs and signals
//! (SIGHUP re-reads the rooms).

mod accept;
pub mod admin;
pub mod config;
pub mod identity;
pub mod lan;
pub mod limits;
pub mod log;
mod quic;
pub mod relay;
pub mod room;
pub mod rooms;
mod session;
pub mod stats;

pub use config::{RelayConfig, RelayError};
pub use identity::RESET_KEY_FILE;
pub use lan::LanConfig;
pub use limits::Limits;
pub use net::socket::udp_socket;
pub use relay::{Relay, LOG_FILE};
pub use rooms::{Plan, RoomConfig, RoomsError};
pub use stats::{RelayStats, RoomStats};
