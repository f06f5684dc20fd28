//! Limits that keep one client from hurting the others, all configurable. The per-client
//! token bucket itself is `common::rate::TokenBucket`, shared with the engine.

use std::time::Duration;

use common::protocol::RateLimit;

/// The relay's limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Most members online at once (connections beyond it are refused).
    pub max_clients: usize,
    /// Per-client message rate.
    pub rate: RateLimit,
    /// Frames queued for one client before it counts as too slow and is evicted.
    pub queue_frames: usize,
    /// Time from connection to hello.
    pub hello_timeout: Duration,
    /// Events a welcome carries when the client does not resume.
    pub backlog: usize,
    /// Events kept in memory for welcomes and resumes (older ones come from disk).
    pub history: usize,
    /// Most events replayed on one resume; older ones are reported as a gap.
    pub max_replay: usize,
    /// Rooms with more members than this do not log joins and leaves (each would go to
    /// every member) nor list members in welcomes (each would be O(members)): their
    /// members get the online count instead, every few seconds while it changes.
    pub presence_limit: usize,
    /// Handshakes in progress above which new connections must prove their address
    /// (QUIC retry) first.
    pub handshake_flood: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_clients: 10_000,
            rate: RateLimit::default(),
            queue_frames: 4096,
            hello_timeout: Duration::from_secs(10),
            backlog: 100,
            history: 1000,
            max_replay: 10_000,
            handshake_flood: 512,
            presence_limit: 1000,
        }
    }
}
