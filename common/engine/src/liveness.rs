//! Whether the relay still answers. QUIC alone notices a silent relay late: the client
//! sends a keep-alive 2 s (`net::tls::KEEP_ALIVE`) after the last packet it received,
//! and sending it restarts the 5 s idle timer (`net::tls::IDLE_TIMEOUT`), so silence is
//! noticed 5 to 7 s after the relay's last packet. A live relay answers every keep-alive
//! at once, so a client that received no datagram for [`SILENCE`] is talking to nobody.
//! The runner reports the connection's count of received datagrams every [`PROBE`];
//! this decides. Pure: the caller passes the time.

use std::time::{Duration, Instant};

/// No datagram for this long: the relay is unreachable. A keep-alive and its answer
/// (one keep-alive interval and a round trip) fit twice over.
pub(crate) const SILENCE: Duration = Duration::from_secs(4);

/// How often the runner reports what the connection received.
pub(crate) const PROBE: Duration = Duration::from_millis(250);

/// What was last heard from the relay on one connection.
#[derive(Debug)]
pub(crate) struct Liveness {
    datagrams: u64,
    heard_at: Instant,
}

impl Liveness {
    /// A connection that was just welcomed (heard from at `now`).
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            datagrams: 0,
            heard_at: now,
        }
    }

    /// The connection has received `datagrams` so far; true when nothing came for
    /// [`SILENCE`].
    pub(crate) fn silent(&mut self, datagrams: u64, now: Instant) -> bool {
        if datagrams != self.datagrams {
            self.datagrams = datagrams;
            self.heard_at = now;
            return false;
        }
        now.saturating_duration_since(self.heard_at) >= SILENCE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relay_that_sends_nothing_for_the_silence_is_unreachable() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0);
        assert!(
            !l.silent(12, t0 + Duration::from_secs(3)),
            "heard: the count moved"
        );
        let heard = t0 + Duration::from_secs(3);
        assert!(!l.silent(12, heard + SILENCE - PROBE));
        assert!(l.silent(12, heard + SILENCE));
        assert!(!l.silent(13, heard + SILENCE * 2), "heard again");
    }
}
