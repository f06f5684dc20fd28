//! When to emit [`Event::Saved`](crate::Event::Saved): at once when a text entered an
//! outbox (the app persists it before anything else can happen to it) or the set of
//! rooms changed, otherwise at most about once per [`INTERVAL`] while something changed — never once per ack or
//! event, which would copy the whole state each time. Pure: the caller passes the time.

use std::time::{Duration, Instant};

/// The least time between two saves that are not urgent.
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);

/// The save schedule.
#[derive(Debug)]
pub(crate) struct Saves {
    /// Something changed since the last save.
    dirty: bool,
    /// A text entered an outbox or the rooms changed: save before anything else.
    urgent: bool,
    last: Instant,
}

impl Saves {
    /// Nothing to save yet; the first routine save comes an interval after `now`.
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            dirty: false,
            urgent: false,
            last: now,
        }
    }

    /// The state changed (last seq, acks): save within the interval.
    pub(crate) fn changed(&mut self) {
        self.dirty = true;
    }

    /// A text entered an outbox or the rooms changed: save now.
    pub(crate) fn urgent(&mut self) {
        self.dirty = true;
        self.urgent = true;
    }

    /// Whether to save at `now`; if so, the save counts as done.
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        let due = self.urgent || (self.dirty && now >= self.last + INTERVAL);
        if due {
            self.dirty = false;
            self.urgent = false;
            self.last = now;
        }
        due
    }

    /// Whether anything changed since the last save (saved when the engine stops).
    pub(crate) fn dirty(&self) -> bool {
        self.dirty
    }

    /// When the next save is due, if something changed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match (self.urgent, self.dirty) {
            (true, _) => Some(self.last),
            (false, true) => Some(self.last + INTERVAL),
            (false, false) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbox_change_is_saved_at_once_others_once_an_interval() {
        let t0 = Instant::now();
        let mut s = Saves::new(t0);
        assert!(!s.due(t0) && s.deadline().is_none(), "nothing changed");
        s.urgent();
        assert!(s.due(t0), "a queued text is saved at once");
        // A thousand acks and events in the next second: one save, an interval later.
        for _ in 0..1000 {
            s.changed();
            assert!(!s.due(t0 + INTERVAL / 2));
        }
        assert_eq!(s.deadline(), Some(t0 + INTERVAL));
        assert!(s.due(t0 + INTERVAL));
        assert!(!s.due(t0 + INTERVAL * 3), "nothing more changed");
        s.changed();
        assert!(s.dirty());
        s.urgent();
        assert!(
            s.due(t0 + INTERVAL * 3),
            "urgent does not wait for the interval"
        );
    }
}
