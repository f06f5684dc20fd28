//! [`Sequencer`]: the one place that decides whether a client message is new, a resend
//! of one already stored, or a resend of one still on its way to the log, and who waits
//! for each message's ack.
//!
//! It knows each install's highest counter (an id above it is new for sure), the ids in
//! flight (sequenced, not yet durable) with everyone waiting for their ack, and the ids
//! of recent events (a resend of those is acked at once). Any other id at or below its
//! install's counter may be in the log: the log looks it up as it appends
//! ([`crate::log::Resend`]). Generic over the waiter so it is tested without queues.

use std::collections::{HashMap, VecDeque};

use common::protocol::{ClientMsgId, InstallId, Seq};

/// What to do with a message id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Never seen: sequence it.
    New,
    /// Stored under this seq (recently): ack it again, publish nothing.
    Duplicate(Seq),
    /// Already on its way to the log: the waiter is acked when it is durable.
    InFlight,
    /// Not recent and not new: the log must look it up.
    MaybeStored,
}

/// Message ids and who waits for their outcome.
pub struct Sequencer<W> {
    counters: HashMap<InstallId, u64>,
    in_flight: HashMap<ClientMsgId, Vec<W>>,
    recent: HashMap<ClientMsgId, Seq>,
    recent_order: VecDeque<ClientMsgId>,
    recent_cap: usize,
}

impl<W> Sequencer<W> {
    /// A sequencer that knows each install's highest stored counter and remembers the
    /// ids of the last `recent_cap` published messages.
    pub fn new(counters: HashMap<InstallId, u64>, recent_cap: usize) -> Self {
        Self {
            counters,
            in_flight: HashMap::new(),
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
            recent_cap,
        }
    }

    /// Classifies `id`. For [`Check::InFlight`] the waiter is added to the message's.
    pub fn check(&mut self, id: ClientMsgId, waiter: W) -> Check {
        if let Some(waiters) = self.in_flight.get_mut(&id) {
            waiters.push(waiter);
            return Check::InFlight;
        }
        if let Some(&seq) = self.recent.get(&id) {
            return Check::Duplicate(seq);
        }
        match self.counters.get(&id.install) {
            Some(&highest) if id.counter <= highest => Check::MaybeStored,
            _ => Check::New,
        }
    }

    /// The message goes to the log; `waiter` waits for its outcome.
    pub fn start(&mut self, id: ClientMsgId, waiter: W) {
        let counter = self.counters.entry(id.install).or_insert(0);
        *counter = (*counter).max(id.counter);
        self.in_flight.entry(id).or_default().push(waiter);
    }

    /// `id` is in the log (stored by any relay): its install's counter covers it.
    pub fn seen(&mut self, id: ClientMsgId) {
        let counter = self.counters.entry(id.install).or_insert(0);
        *counter = (*counter).max(id.counter);
    }

    /// The log has answered for `id` (stored, duplicate, missing or failed): everyone
    /// waiting for it.
    pub fn settle(&mut self, id: ClientMsgId) -> Vec<W> {
        self.in_flight.remove(&id).unwrap_or_default()
    }

    /// `id` is stored under `seq`: resends are acked from memory for a while.
    pub fn remember(&mut self, id: ClientMsgId, seq: Seq) {
        if self.recent_cap == 0 || self.recent.insert(id, seq).is_some() {
            return;
        }
        self.recent_order.push_back(id);
        if self.recent_order.len() > self.recent_cap {
            if let Some(old) = self.recent_order.pop_front() {
                self.recent.remove(&old);
            }
        }
    }

    /// Messages on their way to the log.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(install: u8, counter: u64) -> ClientMsgId {
        ClientMsgId {
            install: InstallId([install; 16]),
            counter,
        }
    }

    #[test]
    fn a_new_id_then_its_resends_in_flight_and_after_storing() {
        let mut s: Sequencer<&str> = Sequencer::new(HashMap::new(), 10);
        assert_eq!(s.check(id(1, 1), "first"), Check::New);
        s.start(id(1, 1), "first");
        assert_eq!(s.check(id(1, 1), "resend"), Check::InFlight);
        assert_eq!(s.in_flight(), 1);
        assert_eq!(s.settle(id(1, 1)), ["first", "resend"], "both are acked");
        s.remember(id(1, 1), 42);
        assert_eq!(s.check(id(1, 1), "again"), Check::Duplicate(42));
        assert_eq!(s.check(id(1, 2), "next"), Check::New);
    }

    #[test]
    fn an_old_id_not_in_memory_may_be_stored_and_the_log_must_say() {
        let counters = HashMap::from([(InstallId([1; 16]), 5)]);
        let mut s: Sequencer<()> = Sequencer::new(counters, 2);
        assert_eq!(s.check(id(1, 3), ()), Check::MaybeStored);
        assert_eq!(s.check(id(1, 6), ()), Check::New);
        assert_eq!(s.check(id(2, 1), ()), Check::New, "another install");
        // The recent window is bounded: the oldest id falls out of it.
        s.remember(id(1, 1), 10);
        s.remember(id(1, 2), 20);
        s.remember(id(1, 3), 30);
        assert_eq!(s.check(id(1, 1), ()), Check::MaybeStored);
        assert_eq!(s.check(id(1, 3), ()), Check::Duplicate(30));
    }

    #[test]
    fn a_started_id_raises_its_installs_counter() {
        let mut s: Sequencer<()> = Sequencer::new(HashMap::new(), 0);
        s.start(id(1, 7), ());
        s.settle(id(1, 7));
        assert_eq!(s.check(id(1, 7), ()), Check::MaybeStored);
        assert_eq!(s.check(id(1, 4), ()), Check::MaybeStored);
    }
}
