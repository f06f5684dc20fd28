//! Counters of a running relay: [`Stats`] (updated as things happen) and
//! [`RelayStats`] (a snapshot for operators, tests and benchmarks).

use std::sync::atomic::AtomicU64;

use common::protocol::Seq;

/// Counters updated by sessions, the room and the committer.
#[derive(Default, Debug)]
pub struct Stats {
    /// Hellos accepted (sessions opened).
    pub joined: AtomicU64,
    /// Messages sequenced.
    pub messages: AtomicU64,
    /// Members evicted as too slow.
    pub evicted_slow: AtomicU64,
    /// Batches rooms handed to the log (a room's group of events).
    pub commits: AtomicU64,
    /// Connections asked to prove their address first (QUIC retry).
    pub retries: AtomicU64,
}

/// Counters of a running relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayStats {
    /// Sessions opened since start (a takeover or reconnect counts again).
    pub joined: u64,
    /// Messages sequenced since start.
    pub messages: u64,
    /// Members evicted as too slow.
    pub evicted_slow: u64,
    /// Batches rooms handed to the log (each a room's group of events).
    pub commits: u64,
    /// Durable writes the log made (each serving the batches of any number of rooms).
    pub log_commits: u64,
    /// Connections asked to prove their address first (QUIC retry) since start.
    pub retries: u64,
    /// Clients connected now (sessions, whatever rooms they are in).
    pub online: usize,
    /// Last seq of the default room's log.
    pub last_seq: Seq,
    /// Rooms open now (in memory: configured ones, and those joined since start).
    pub rooms: usize,
}

/// Counters of one room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomStats {
    /// Members in the room now.
    pub online: usize,
    /// Last seq of its log.
    pub last_seq: Seq,
    /// Archived (read-only).
    pub archived: bool,
}
