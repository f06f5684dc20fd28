//! Limits that keep one client from hurting the others, all configurable.

use std::time::{Duration, Instant};

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
    /// every member); their welcomes still list who is online.
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

/// A token bucket: `burst` at once, refilled continuously at `per_second`.
#[derive(Debug)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_second: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: RateLimit) -> Self {
        Self {
            tokens: f64::from(rate.burst),
            burst: f64::from(rate.burst),
            per_second: f64::from(rate.per_second),
            at: Instant::now(),
        }
    }

    /// Takes a token if there is one.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let start = Instant::now();
        let mut b = TokenBucket::new(RateLimit {
            per_second: 2,
            burst: 3,
        });
        b.at = start;
        assert!((0..3).all(|_| b.take_at(start)));
        assert!(!b.take_at(start));
        assert!(b.take_at(start + Duration::from_millis(500)));
        assert!(!b.take_at(start + Duration::from_millis(500)));
        // Never more than the burst, however long it rests.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| b.take_at(later)).count(), 3);
    }
}
