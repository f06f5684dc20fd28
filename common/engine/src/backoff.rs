//! Reconnect delays: exponential from an initial delay, capped, with jitter, and reset
//! once a session has proved stable. Pure: the caller passes the time and the random
//! draw.

use std::time::{Duration, Instant};

/// A session that lasted this long was healthy: the next failure starts the delays from
/// the beginning. A shorter one (a relay that lets clients in and drops them at once)
/// keeps them growing, so it is not hammered at the initial delay.
pub(crate) const STABLE: Duration = Duration::from_secs(10);

/// The reconnect schedule of one engine.
#[derive(Debug)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    /// Retries since the last stable session.
    attempt: u32,
    /// When the current session was welcomed.
    connected_at: Option<Instant>,
}

impl Backoff {
    /// Delays from `initial` doubling up to `max`.
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            attempt: 0,
            connected_at: None,
        }
    }

    /// Retries since the last stable session (0: none, the next attempt is a first).
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// A session was welcomed at `now`.
    pub(crate) fn connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// Starts over (the user asked to connect now).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
        self.connected_at = None;
    }

    /// The next retry after a failure at `now`: its number (1 = first retry) and its
    /// delay. `unit` is a random draw in `[0, 1)`: the delay is spread over the upper
    /// half of the exponential step, so clients of a restarted relay do not all come
    /// back at once.
    pub(crate) fn next(&mut self, now: Instant, unit: f64) -> (u32, Duration) {
        if let Some(since) = self.connected_at.take() {
            if now.saturating_duration_since(since) >= STABLE {
                self.attempt = 0;
            }
        }
        self.attempt = self.attempt.saturating_add(1);
        let doubled = self
            .initial
            .saturating_mul(1u32 << (self.attempt - 1).min(20));
        let step = doubled.min(self.max);
        (self.attempt, step.mul_f64(0.5 + unit.clamp(0.0, 1.0) * 0.5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn delays_double_up_to_the_cap_within_their_jitter() {
        let now = Instant::now();
        let mut b = Backoff::new(ms(100), ms(1000));
        let highs: Vec<_> = (0..6).map(|_| b.next(now, 1.0)).collect();
        assert_eq!(
            highs,
            vec![
                (1, ms(100)),
                (2, ms(200)),
                (3, ms(400)),
                (4, ms(800)),
                (5, ms(1000)),
                (6, ms(1000))
            ]
        );
        let mut b = Backoff::new(ms(100), ms(1000));
        assert_eq!(b.next(now, 0.0), (1, ms(50)), "the lowest draw is half");
        let (_, d) = b.next(now, 0.5);
        assert!(d > ms(100) && d < ms(200), "{d:?}");
    }

    #[test]
    fn many_failures_neither_overflow_nor_pass_the_cap() {
        let now = Instant::now();
        let mut b = Backoff::new(ms(500), Duration::from_secs(30));
        for _ in 0..100 {
            assert!(b.next(now, 1.0).1 <= Duration::from_secs(30));
        }
        assert_eq!(b.attempt(), 100);
    }

    #[test]
    fn only_a_stable_session_starts_the_delays_over() {
        let now = Instant::now();
        let mut b = Backoff::new(ms(100), ms(10_000));
        b.next(now, 1.0);
        b.next(now, 1.0);
        // Welcomed, then dropped at once: the delays keep growing.
        b.connected(now);
        assert_eq!(b.next(now + ms(500), 1.0), (3, ms(400)));
        // Welcomed and healthy for a while: the next failure is a first retry.
        b.connected(now);
        assert_eq!(b.next(now + STABLE, 1.0), (1, ms(100)));
        b.reset();
        assert_eq!(b.attempt(), 0);
    }
}
