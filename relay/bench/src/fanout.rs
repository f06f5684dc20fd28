//! The fan-out scenario: R silent receivers and a few senders in one room; the senders'
//! total rate grows by a factor each step until a step falls behind (a loss, a dropped
//! sender, or p99 over the limit). Reports the last step that kept up.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use anyhow::Result;
use hdrhistogram::Histogram;

use crate::{
    client::{all, send_at, split_room, TEXT_BYTES},
    record::{max_ms, ms, Recorder},
    relay::{settle, CpuMark, CpuShares, Target},
    Cli,
};

/// Latency over which a step counts as falling behind.
const P99_LIMIT_MS: f64 = 100.0;
/// Most steps of one ramp.
const MAX_STEPS: usize = 40;

struct StepResult {
    rate: f64,
    delivered_per_s: f64,
    losses: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    cpu: CpuShares,
}

impl StepResult {
    fn behind(&self) -> bool {
        self.losses > 0 || self.p99_ms > P99_LIMIT_MS
    }
}

/// Runs the ramp with `receivers` receivers and prints each step and the result.
pub async fn run(cli: &Cli, relay: &Target, receivers: usize) -> Result<()> {
    let invites = relay.invites();
    let base = Instant::now();
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let mut senders = split_room(
        &invites,
        cli.client_opts(),
        receivers,
        cli.senders,
        base,
        &recorder,
    )
    .await?;
    settle(relay).await;
    println!(
        "\nfan-out: {receivers} receivers, {} senders, {TEXT_BYTES}-byte texts",
        cli.senders
    );
    println!(
        "{:>10} {:>14} {:>8} {:>9} {:>9} {:>9} {:>10} {:>9} {:>7} {:>9}",
        "msgs/s in",
        "delivered/s",
        "losses",
        "p50 ms",
        "p99 ms",
        "max ms",
        "relay CPU",
        "load CPU",
        "others",
        "of: nats"
    );
    let mut rate = (cli.start_delivered / receivers as f64).max(10.0);
    let mut best: Option<StepResult> = None;
    for step in 0..MAX_STEPS {
        let per_sender = rate / senders.len() as f64;
        let mark = CpuMark::now(relay);
        let mut sent = 0;
        let sends: Vec<_> = senders
            .drain(..)
            .map(|s| send_at(s, per_sender, cli.step_secs, step, base))
            .collect();
        // A sender the relay dropped (evicted as too slow) ends the ramp: that step fell
        // behind whatever its counts say.
        let mut sender_lost = None;
        for r in all(sends).await {
            match r {
                Ok((s, n)) => {
                    sent += n;
                    senders.push(s);
                }
                Err(e) => {
                    sender_lost.get_or_insert(e);
                }
            }
        }
        let cpu = mark.since(relay);
        // Let the step's last messages arrive.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let result = {
            let rec = recorder.borrow();
            let empty = Histogram::new(3).expect("histogram");
            let (received, h) = rec
                .steps
                .get(step)
                .map(|s| (s.received, &s.latency_us))
                .unwrap_or((0, &empty));
            StepResult {
                rate,
                delivered_per_s: received as f64 / cli.step_secs,
                losses: (sent * receivers as u64).saturating_sub(received),
                p50_ms: ms(h, 0.5),
                p99_ms: ms(h, 0.99),
                max_ms: max_ms(h),
                cpu,
            }
        };
        println!(
            "{:>10.0} {:>14.0} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.0}% {:>8.0}% {:>6.0}% {:>8.0}%",
            result.rate,
            result.delivered_per_s,
            result.losses,
            result.p50_ms,
            result.p99_ms,
            result.max_ms,
            result.cpu.relay,
            result.cpu.load,
            result.cpu.others,
            result.cpu.nats
        );
        if let Some(e) = sender_lost {
            println!("a sender lost its connection ({e:#}): the relay fell behind");
            break;
        }
        if result.behind() {
            break;
        }
        rate *= cli.ramp.max(1.01);
        best = Some(result);
    }
    match best {
        Some(b) => println!(
            "{{\"bench\":\"fanout\",\"receivers\":{receivers},\"senders\":{},\"delivered_per_s\":{:.0},\"input_msgs_per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"losses\":{},\"relay_cpu_pct\":{:.0},\"load_cpu_pct\":{:.0},\"others_cpu_pct\":{:.0},\"nats_cpu_pct\":{:.0},\"nats_us_per_msg\":{:.1}}}",
            cli.senders, b.delivered_per_s, b.rate, b.p50_ms, b.p99_ms, b.max_ms, b.losses, b.cpu.relay, b.cpu.load, b.cpu.others, b.cpu.nats, b.cpu.nats * 1e4 / b.rate
        ),
        None => println!("{{\"bench\":\"fanout\",\"receivers\":{receivers},\"error\":\"fell behind at the first step\"}}"),
    }
    Ok(())
}
