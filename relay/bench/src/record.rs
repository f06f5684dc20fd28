//! What receivers saw: per rate step, how many load messages arrived and their latency
//! (send → receive, same clock) in an HDR histogram. Each load thread keeps its own;
//! their steps add up ([`StepRecord::merge`]).

use std::time::Duration;

use hdrhistogram::Histogram;

/// Largest latency recorded, in µs (a minute).
const MAX_US: u64 = 60_000_000;

/// Per-step counts and latencies.
#[derive(Default)]
pub struct Recorder {
    pub steps: Vec<StepRecord>,
}

/// One step's receipts.
#[derive(Clone)]
pub struct StepRecord {
    pub received: u64,
    pub latency_us: Histogram<u64>,
}

impl Recorder {
    /// Records one message of `step` that took `latency`.
    pub fn record(&mut self, step: usize, latency: Duration) {
        while self.steps.len() <= step {
            self.steps.push(StepRecord::empty());
        }
        let s = &mut self.steps[step];
        s.received += 1;
        record_us(&mut s.latency_us, latency);
    }
}

impl StepRecord {
    /// No receipts.
    pub fn empty() -> Self {
        Self {
            received: 0,
            latency_us: histogram(),
        }
    }

    /// Adds `other`'s receipts (another load thread's, same step) to these.
    pub fn merge(&mut self, other: &StepRecord) {
        self.received += other.received;
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
    }
}

/// An empty µs histogram over the range every recorder uses (1 µs to a minute).
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("bounds")
}

/// Records `latency` in a µs histogram (clamped to its range).
pub fn record_us(h: &mut Histogram<u64>, latency: Duration) {
    let _ = h.record((latency.as_micros() as u64).clamp(1, MAX_US));
}

/// A quantile of a µs histogram, in ms.
pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// The largest value of a µs histogram, in ms.
pub fn max_ms(h: &Histogram<u64>) -> f64 {
    h.max() as f64 / 1000.0
}
