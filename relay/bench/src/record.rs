//! What receivers saw: per rate step, how many load messages arrived and their latency
//! (send → receive, same clock) in an HDR histogram.

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
pub struct StepRecord {
    pub received: u64,
    pub latency_us: Histogram<u64>,
}

impl Recorder {
    /// Records one message of `step` that took `latency`.
    pub fn record(&mut self, step: usize, latency: Duration) {
        while self.steps.len() <= step {
            self.steps.push(StepRecord {
                received: 0,
                latency_us: Histogram::new_with_bounds(1, MAX_US, 3).expect("bounds"),
            });
        }
        let s = &mut self.steps[step];
        s.received += 1;
        let _ = s
            .latency_us
            .record((latency.as_micros() as u64).clamp(1, MAX_US));
    }
}

/// A quantile of a µs histogram, in ms.
pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// The largest value of a µs histogram, in ms.
pub fn max_ms(h: &Histogram<u64>) -> f64 {
    h.max() as f64 / 1000.0
}
