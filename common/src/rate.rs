//! The token bucket both ends use: the relay to enforce [`RateLimit`], the engine to
//! pace its outbox just under it.

use std::time::{Duration, Instant};

use crate::protocol::RateLimit;

/// `burst` tokens at once, refilled continuously at `per_second`.
#[derive(Debug)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_second: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket. With a zero rate it never refills.
    pub fn new(burst: f64, per_second: f64) -> Self {
        Self {
            tokens: burst,
            burst,
            per_second: per_second.max(f64::MIN_POSITIVE),
            at: Instant::now(),
        }
    }

    /// A full bucket for a relay's announced limit.
    pub fn for_limit(limit: RateLimit) -> Self {
        Self::new(f64::from(limit.burst), f64::from(limit.per_second))
    }

    /// Changes the refill rate from now on (what accrued so far is kept).
    pub fn set_rate(&mut self, per_second: f64) {
        self.refill(Instant::now());
        self.per_second = per_second.max(f64::MIN_POSITIVE);
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.at = self.at.max(now);
    }

    /// Takes a token if there is one.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    /// Like [`TokenBucket::take`] at a given time.
    pub fn take_at(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// When the next token will be there.
    pub fn next_token(&self) -> Instant {
        // A bucket that never refills has no next token: "far away", not a panic.
        let wait = Duration::try_from_secs_f64((1.0 - self.tokens).max(0.0) / self.per_second)
            .unwrap_or(Duration::MAX);
        self.at
            .checked_add(wait)
            .unwrap_or(self.at + Duration::from_secs(86_400 * 365))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refills() {
        let start = Instant::now();
        let mut b = TokenBucket::new(3.0, 2.0);
        b.at = start;
        assert!((0..3).all(|_| b.take_at(start)));
        assert!(!b.take_at(start));
        assert_eq!(b.next_token(), start + Duration::from_millis(500));
        assert!(b.take_at(start + Duration::from_millis(500)));
        assert!(!b.take_at(start + Duration::from_millis(500)));
        // Never more than the burst, however long it rests.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| b.take_at(later)).count(), 3);
    }

    #[test]
    fn a_new_rate_applies_from_now_on() {
        let mut b = TokenBucket::new(1.0, 1.0);
        assert!(b.take());
        b.set_rate(1000.0);
        let at = b.at;
        assert!(b.next_token() <= at + Duration::from_millis(1));
        assert!(b.take_at(at + Duration::from_millis(2)));
        b.set_rate(0.5);
        let at = b.at;
        assert!(!b.take_at(at + Duration::from_secs(1)));
        assert!(b.take_at(at + Duration::from_secs(2)));
        let mut empty = TokenBucket::new(1.0, 0.0);
        assert!(empty.take());
        assert!(empty.next_token() > Instant::now() + Duration::from_secs(86_400));
    }
}
