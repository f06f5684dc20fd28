//! What limited a step that fell behind, told from who used the CPU in it: the load
//! (its cores busy, one of its threads busy, or its threads late to their timers), the
//! relay (its core busy), the machine (other processes took a share of our cores), or
//! none of them, which leaves latency or losses the relay showed with CPU to spare.
//! The same tests as the school scenario's.

use crate::relay::CpuShares;

/// A share of a core (%) at which a process counts as busy.
pub const BUSY_PCT: f64 = 90.0;
/// How late (p99, ms) the load's threads may wake for a timer before the load counts
/// as behind: its senders and receivers ran late, not the relay.
pub const LATE_MS: f64 = 10.0;
/// A share of a core (%) that other processes took from the relay's core or, on
/// average, from each of the load's cores, at which neither side had its core(s) to
/// itself.
pub const OTHERS_PCT: f64 = 25.0;

/// What limited a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Nothing: the step kept up.
    None,
    /// The load generator.
    Load,
    /// The relay's core.
    Relay,
    /// Other processes on our cores.
    Machine,
    /// The step fell behind with CPU to spare on both sides.
    LatencyLoss,
}

impl Limit {
    /// The name printed and put in the JSON lines (`limited_by`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Load => "load",
            Self::Relay => "relay",
            Self::Machine => "machine",
            Self::LatencyLoss => "latency/loss",
        }
    }
}

/// Who used the CPU in a step, in shares of one core (100 = a whole core).
#[derive(Clone, Debug)]
pub struct Usage {
    /// The relay (a cluster: the whole server side).
    pub relay: f64,
    /// The load, all its threads.
    pub load: f64,
    /// The load's busiest thread.
    pub load_thread: f64,
    /// How many cores the load may use.
    pub load_cores: usize,
    /// What other processes took of the relay's core.
    pub relay_core_others: f64,
    /// What other processes took of the load's cores, per core on average.
    pub load_core_others: f64,
    /// How late the load's threads woke for a timer, p99 in ms.
    pub late_p99_ms: f64,
}

impl Usage {
    /// Usage from a step's shares, with the relay on core `relay_cpu` and the load on
    /// `load_cpus`.
    pub fn new(
        cpu: &CpuShares,
        relay_cpu: usize,
        load_cpus: &[usize],
        load_thread: f64,
        late_p99_ms: f64,
    ) -> Self {
        let load_cores = load_cpus.len().max(1);
        Self {
            relay: cpu.relay,
            load: cpu.load,
            load_thread,
            load_cores,
            relay_core_others: (cpu.core(relay_cpu) - cpu.relay).max(0.0),
            load_core_others: ((cpu.cores_sum(load_cpus) - cpu.load) / load_cores as f64).max(0.0),
            late_p99_ms,
        }
    }

    /// The load used its cores (or one thread its core) to at least [`BUSY_PCT`].
    pub fn load_busy(&self) -> bool {
        self.load >= BUSY_PCT * self.load_cores as f64 || self.load_thread >= BUSY_PCT
    }

    /// What limited a step that fell behind (`behind`); [`Limit::None`] if it did not.
    pub fn limited_by(&self, behind: bool) -> Limit {
        if !behind {
            Limit::None
        } else if self.load_busy() {
            Limit::Load
        } else if self.relay >= BUSY_PCT {
            Limit::Relay
        } else if self.relay_core_others >= OTHERS_PCT || self.load_core_others >= OTHERS_PCT {
            Limit::Machine
        } else if self.late_p99_ms > LATE_MS {
            // Late with CPU to spare and nobody else on the cores: still the load's
            // threads that did not get to their work in time.
            Limit::Load
        } else {
            Limit::LatencyLoss
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> Usage {
        Usage {
            relay: 50.0,
            load: 50.0,
            load_thread: 50.0,
            load_cores: 1,
            relay_core_others: 0.0,
            load_core_others: 0.0,
            late_p99_ms: 1.0,
        }
    }

    #[test]
    fn a_step_that_kept_up_was_limited_by_nothing() {
        let busy = Usage {
            load: 100.0,
            ..usage()
        };
        assert_eq!(busy.limited_by(false), Limit::None);
        assert_eq!(usage().limited_by(true), Limit::LatencyLoss);
    }

    #[test]
    fn the_load_comes_first_then_the_relay_then_the_machine() {
        let all = Usage {
            relay: 95.0,
            load: 95.0,
            relay_core_others: 30.0,
            ..usage()
        };
        assert_eq!(all.limited_by(true), Limit::Load);
        let relay_and_machine = Usage {
            load: 10.0,
            ..all.clone()
        };
        assert_eq!(relay_and_machine.limited_by(true), Limit::Relay);
        let machine = Usage {
            relay: 10.0,
            ..relay_and_machine
        };
        assert_eq!(machine.limited_by(true), Limit::Machine);
        let late = Usage {
            late_p99_ms: 20.0,
            ..usage()
        };
        assert_eq!(late.limited_by(true), Limit::Load);
    }

    #[test]
    fn a_load_on_several_cores_is_busy_when_they_all_are_or_one_thread_is() {
        let two = Usage {
            load: 150.0,
            load_thread: 75.0,
            load_cores: 2,
            ..usage()
        };
        assert!(!two.load_busy());
        assert!(Usage {
            load: 185.0,
            ..two.clone()
        }
        .load_busy());
        assert!(Usage {
            load_thread: 95.0,
            ..two
        }
        .load_busy());
    }
}
