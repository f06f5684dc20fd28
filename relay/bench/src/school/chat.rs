//! Chatting at a human rate: one task per room posts as a Poisson process (exponential
//! gaps at the room's mean rate), each message from a member picked at random, so that
//! every member posts at the same mean rate and rooms are not in step with each other.
//! How late the load's thread got to each due message is recorded: when it is late, the
//! load (not the relay) is what limits the run.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;

use super::fill::RoomLoad;
use crate::client::load_text;

/// What one room's task did in a step.
pub struct Posted {
    /// The room, with the members that can still post.
    pub room: RoomLoad,
    /// Messages written.
    pub sent: u64,
    /// Deliveries expected: each message × the members in the room when it was sent.
    pub expected: u64,
    /// Members whose writes failed (the relay ended their session), and the first error.
    pub dropped: usize,
    pub first_error: Option<String>,
}

/// One step's timing, shared by every room's task.
#[derive(Clone)]
pub struct Step {
    /// When posting starts, and for how long.
    pub start: Instant,
    pub secs: f64,
    /// The step's number, stamped in the texts.
    pub index: usize,
    /// The clock the texts' send times count from.
    pub base: Instant,
    /// How late each post was (µs).
    pub late: Rc<RefCell<Histogram<u64>>>,
}

/// Posts in `room` at `rate` messages/s on average during `step`.
pub async fn chat(mut room: RoomLoad, rate: f64, step: Step, seed: u64) -> Posted {
    let mut rng = SplitMix(seed);
    let end = step.start + Duration::from_secs_f64(step.secs);
    let mut posted = Posted {
        room: RoomLoad {
            kind: room.kind,
            members: Vec::new(),
        },
        sent: 0,
        expected: 0,
        dropped: 0,
        first_error: None,
    };
    let gap = |rng: &mut SplitMix| Duration::from_secs_f64(-(1.0 - rng.unit()).ln() / rate);
    let mut due = step.start + gap(&mut rng);
    while due < end && rate > 0.0 && !room.members.is_empty() {
        tokio::time::sleep_until(due.into()).await;
        let lateness = due.elapsed().as_micros() as u64;
        let _ = step.late.borrow_mut().record(lateness.max(1));
        let in_room = room.members.len() as u64;
        let i = (rng.unit() * room.members.len() as f64) as usize % room.members.len();
        let member = &mut room.members[i];
        let written = match member.next_send(load_text(step.index, step.base)) {
            Ok(frame) => member
                .writer
                .write_encoded(&frame)
                .await
                .map_err(Into::into),
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => {
                posted.sent += 1;
                posted.expected += in_room;
            }
            Err(e) => {
                room.members.swap_remove(i);
                posted.dropped += 1;
                posted.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
        due += gap(&mut rng);
    }
    posted.room = room;
    posted
}

/// SplitMix64: enough randomness for gaps and picks, reproducible from a seed, no
/// dependency.
struct SplitMix(u64);

impl SplitMix {
    /// A uniform number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix;

    #[test]
    fn units_are_in_range_and_reproducible() {
        let (mut a, mut b) = (SplitMix(7), SplitMix(7));
        for _ in 0..10_000 {
            let u = a.unit();
            assert!((0.0..1.0).contains(&u));
            assert_eq!(u.to_bits(), b.unit().to_bits());
        }
        assert_ne!(SplitMix(7).unit().to_bits(), SplitMix(8).unit().to_bits());
    }

    /// The gaps `chat` draws average 1 / rate, so a room posts at its rate.
    #[test]
    fn exponential_gaps_average_the_rate() {
        let mut rng = SplitMix(42);
        let (rate, n) = (2.0, 200_000);
        let mean = (0..n).map(|_| -(1.0 - rng.unit()).ln() / rate).sum::<f64>() / n as f64;
        assert!((mean - 1.0 / rate).abs() < 0.01 / rate, "mean gap {mean}");
    }
}
