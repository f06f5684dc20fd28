//! [`Limits`]: what keeps one client from hurting the others, all configurable (the
//! `piazza-relay` flags). The per-client token bucket itself is `common::rate`.

use std::time::Duration;

use common::protocol::RateLimit;

/// The relay's limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Most clients connected at once (connections beyond it are refused).
    pub max_clients: usize,
    /// Most members of one room at once (joins beyond it: `JoinRefusal::RoomFull`).
    pub room_members: usize,
    /// Most rooms one client may be in at once (announced in `Ready::max_rooms`).
    pub max_rooms_per_client: usize,
    /// Most rooms open at once (in memory; configured ones included): a client cannot
    /// create a room beyond it (`JoinRefusal::TooManyRoomsOnRelay`).
    pub max_rooms: usize,
    /// A room nobody has been in for this long is unloaded from memory (its log stays;
    /// the next join opens it again). The default room stays.
    pub room_idle: Duration,
    /// Per-client message rate, over all its rooms.
    pub rate: RateLimit,
    /// Bytes of room traffic and answers queued for one member before it counts as too
    /// slow and is evicted (its welcome, backlog and the acks of its published messages
    /// do not count).
    ///
    /// The default, 256 KiB, is about the 4,096 frames of the old frame-counted limit at
    /// a typical chat frame of ~60 bytes: minutes of a busy classroom, seconds of a
    /// benchmark's fan-out, and four frames of the largest size. It bounds what a peer
    /// that stops acknowledging (a phone that vanished) costs until it is evicted or its
    /// idle timeout ends it, on top of QUIC's own send window: 3,000 silent clients
    /// cost at most ~750 MiB of queues, instead of the room's whole traffic each.
    pub queue_bytes: usize,
    /// Time from connection to hello.
    pub hello_timeout: Duration,
    /// Events a welcome carries when the client does not resume.
    pub backlog: usize,
    /// Events kept in memory for welcomes and resumes (older ones come from the log).
    pub history: usize,
    /// Most events replayed on one resume; older ones are reported as a gap.
    pub max_replay: usize,
    /// History pages a client may ask for at once (over all its rooms), then [`Limits::history_per_second`]:
    /// more are answered "retry later".
    pub history_burst: u32,
    /// History pages per second a client may ask for after the burst.
    pub history_per_second: u32,
    /// Rooms with more members than this do not log joins (each would go to every
    /// member) nor list members in welcomes (each would be O(members)): their members
    /// get the online count instead, every few seconds while it changes.
    pub presence_limit: usize,
    /// Handshakes in progress above which new connections must prove their address
    /// (QUIC retry) first.
    pub handshake_flood: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_clients: 10_000,
            room_members: 10_000,
            max_rooms_per_client: 32,
            max_rooms: 10_000,
            room_idle: Duration::from_secs(600),
            rate: RateLimit::default(),
            queue_bytes: 256 * 1024,
            hello_timeout: Duration::from_secs(10),
            backlog: 100,
            history: 1000,
            max_replay: 10_000,
            history_burst: 20,
            history_per_second: 5,
            handshake_flood: 512,
            presence_limit: 1000,
        }
    }
}
