//! One measured step at a fixed offered rate, shared by the fan-out, light and human
//! scenarios: the load's senders post for a while, the last messages drain, then what
//! arrived (deliveries, latency, losses), the CPU each side used (shares of a core and
//! µs per delivery), how late the load's threads were, and what limited the step.

use std::time::Duration;

use anyhow::Result;

use crate::{
    limit::{Limit, Usage},
    load::Load,
    record::{max_ms, ms},
    relay::{CpuMark, CpuShares, Target},
    Cli,
};

/// Latency over which a step counts as falling behind.
pub const P99_LIMIT_MS: f64 = 100.0;

/// What one step did.
pub struct Measured {
    /// Messages/s in (offered, all senders together).
    pub rate: f64,
    /// Seconds the senders posted.
    pub secs: f64,
    /// Messages written.
    pub sent: u64,
    /// Deliveries counted at the receivers.
    pub received: u64,
    /// Deliveries missing: sent × receivers − received.
    pub losses: u64,
    /// Latency (send → receive) median, p99 and max, in ms.
    pub p50_ms: f64,
    /// See `p50_ms`.
    pub p99_ms: f64,
    /// See `p50_ms`.
    pub max_ms: f64,
    /// CPU shares while the senders posted.
    pub cpu: CpuShares,
    /// Who used the CPU, for what limited the step.
    pub usage: Usage,
    /// Senders the relay dropped.
    pub senders_lost: usize,
    /// The first dropped sender's error.
    pub first_error: Option<anyhow::Error>,
}

impl Measured {
    /// Deliveries per second.
    pub fn delivered_per_s(&self) -> f64 {
        self.received as f64 / self.secs
    }

    /// The relay's CPU time per delivery in the step, in µs (its CPU seconds / the
    /// deliveries).
    pub fn relay_us_per_delivery(&self) -> f64 {
        self.cpu.cpu_secs(self.cpu.relay) * 1e6 / self.received as f64
    }

    /// The load's CPU time per delivery in the step, in µs (its senders' and
    /// receivers' work together).
    pub fn load_us_per_delivery(&self) -> f64 {
        self.cpu.cpu_secs(self.cpu.load) * 1e6 / self.received as f64
    }

    /// A loss, a dropped sender, or p99 over [`P99_LIMIT_MS`].
    pub fn behind(&self) -> bool {
        self.losses > 0 || self.senders_lost > 0 || self.p99_ms > P99_LIMIT_MS
    }

    /// What limited the step ([`Limit::None`] if it kept up).
    pub fn limited_by(&self) -> Limit {
        self.usage.limited_by(self.behind())
    }

    /// Prints what limited the step, if it fell behind.
    pub fn say_if_behind(&self) {
        if self.behind() {
            println!(
                "fell behind, limited by {}: {}",
                self.limited_by().as_str(),
                self.load_words()
            );
        }
    }

    /// The load's usage in words: its CPU, busiest thread and lateness.
    pub fn load_words(&self) -> String {
        format!(
            "load CPU {:.0}% on {} core(s) (busiest thread {:.0}%), late p99 {:.1} ms, others on its cores {:.0}%/core; relay CPU {:.0}%, others on its core {:.0}%",
            self.cpu.load,
            self.usage.load_cores,
            self.usage.load_thread,
            self.usage.late_p99_ms,
            self.usage.load_core_others,
            self.cpu.relay,
            self.usage.relay_core_others
        )
    }

    /// The fields every scenario's JSON line shares (after `"bench"` and its shape),
    /// `limited_by` given (a ramp's result reports what stopped the ramp).
    pub fn json_fields(&self, load: &Load, limited_by: Limit) -> String {
        format!(
            "\"delivered_per_s\":{:.0},\"input_msgs_per_s\":{:.0},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"losses\":{},\"relay_cpu_pct\":{},\"load_cpu_pct\":{},\"others_cpu_pct\":{},\"nats_cpu_pct\":{},\"relay_us_per_delivery\":{},\"load_us_per_delivery\":{},\"load_threads\":{},\"load_busiest_thread_pct\":{},\"load_late_p99_ms\":{},\"limited_by\":\"{}\"",
            self.delivered_per_s(),
            self.rate,
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            self.losses,
            num(self.cpu.relay, 0),
            num(self.cpu.load, 0),
            num(self.cpu.others, 0),
            num(self.cpu.nats, 0),
            num(self.relay_us_per_delivery(), 3),
            num(self.load_us_per_delivery(), 3),
            load.threads(),
            num(self.usage.load_thread, 0),
            num(self.usage.late_p99_ms, 2),
            limited_by.as_str(),
        )
    }
}

/// A number for a JSON line: `null` when unknown (NaN) or infinite.
pub fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "null".into()
    }
}

/// Posts `rate` messages/s in for `secs` from every sender of `load` as step `step`,
/// waits `drain` for the last messages, and measures.
pub async fn run(
    cli: &Cli,
    load: &Load,
    relay: &Target,
    rate: f64,
    secs: f64,
    step: usize,
    drain: Duration,
) -> Result<Measured> {
    let mark = CpuMark::now(relay);
    let threads = load.mark();
    let sent = load.step(rate, secs, step).await?;
    let cpu = mark.since(relay);
    let busiest = threads.busiest_since(load);
    tokio::time::sleep(drain).await;
    let record = load.received(step).await?;
    let h = &record.latency_us;
    let usage = Usage::new(
        &cpu,
        cli.relay_cpu,
        &cli.load_cpus.0,
        busiest,
        ms(&sent.late_us, 0.99),
    );
    Ok(Measured {
        rate,
        secs,
        sent: sent.sent,
        received: record.received,
        losses: (sent.sent * load.receivers() as u64).saturating_sub(record.received),
        p50_ms: ms(h, 0.5),
        p99_ms: ms(h, 0.99),
        max_ms: max_ms(h),
        cpu,
        usage,
        senders_lost: sent.lost,
        first_error: sent.first_error,
    })
}
