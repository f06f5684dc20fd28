//! [`Gate`]: which new connections the relay takes. Refused when the relay is full,
//! asked to prove their address (QUIC retry) under a handshake flood, else accepted.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use crate::stats::Stats;

/// What the driver does with a new connection.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Accept,
    Retry,
    Refuse,
}

/// The limits and counters new connections are judged by.
pub(crate) struct Gate {
    /// Sessions the relay serves at most.
    pub(crate) max_clients: usize,
    /// Handshakes in progress from which on clients must prove their address; also the
    /// headroom over `max_clients` for connections still handshaking.
    pub(crate) flood: usize,
    /// Handshakes in progress (the session counts its own down when it ends).
    pub(crate) handshaking: Arc<AtomicUsize>,
    /// The relay's counters (retries).
    pub(crate) stats: Arc<Stats>,
    /// Bytes a member's queue may hold.
    pub(crate) queue_bytes: usize,
}

impl Gate {
    /// The verdict on a new connection while `open` connections exist.
    pub(super) fn judge(&self, open: usize, address_validated: bool) -> Verdict {
        if open >= self.max_clients + self.flood {
            tracing::warn!(open, "connection refused: relay full");
            Verdict::Refuse
        } else if self.handshaking.load(Ordering::Relaxed) >= self.flood && !address_validated {
            // Under a flood, make clients prove their address before spending a handshake.
            Verdict::Retry
        } else {
            self.handshaking.fetch_add(1, Ordering::Relaxed);
            Verdict::Accept
        }
    }

    /// Counts down a handshake that failed before its session started.
    pub(super) fn handshake_failed(&self) {
        self.handshaking.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a retry sent.
    pub(super) fn retried(&self) {
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_relays_refuse_and_floods_are_asked_to_retry() {
        let gate = Gate {
            max_clients: 10,
            flood: 2,
            handshaking: Arc::default(),
            stats: Arc::default(),
            queue_bytes: 1024,
        };
        assert_eq!(gate.judge(12, true), Verdict::Refuse);
        assert_eq!(gate.judge(0, false), Verdict::Accept);
        assert_eq!(gate.judge(1, false), Verdict::Accept);
        assert_eq!(
            gate.judge(2, false),
            Verdict::Retry,
            "two handshakes in flight"
        );
        assert_eq!(gate.judge(2, true), Verdict::Accept, "a validated address");
        assert_eq!(gate.handshaking.load(Ordering::Relaxed), 3);
    }
}
