//! What handling one input produces for the app: the events to report, in order, and
//! how soon the state must be saved ([`Saves`]). The machine and the pure parts of each
//! room write here; the machine hands the events out.

use std::collections::VecDeque;

use crate::{save::Saves, Event};

/// Events waiting for the app, and the save schedule.
#[derive(Debug)]
pub(crate) struct Effects {
    events: VecDeque<Event>,
    pub(crate) saves: Saves,
}

impl Effects {
    /// Nothing to report; `saves` is the schedule to keep.
    pub(crate) fn new(saves: Saves) -> Self {
        Self {
            events: VecDeque::new(),
            saves,
        }
    }

    /// Reports `event`.
    pub(crate) fn emit(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// The next event for the app.
    pub(crate) fn next(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The state changed (last seq, acks): save within the interval.
    pub(crate) fn changed(&mut self) {
        self.saves.changed();
    }

    /// A text entered an outbox, or the rooms changed: save now.
    pub(crate) fn urgent(&mut self) {
        self.saves.urgent();
    }
}
