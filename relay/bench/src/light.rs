//! The light-load scenario: 100 receivers, 200 messages/s in total from 4 senders for
//! 5 s; latency p50/p99/max and losses.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use anyhow::Result;

use crate::{
    client::{all, send_at, split_room, ClientOpts},
    record::{max_ms, ms, Recorder},
    relay::{settle, CpuMark, Target},
};

const RECEIVERS: usize = 100;
const SENDERS: usize = 4;
const RATE: f64 = 200.0;
const SECS: f64 = 5.0;

/// Runs the scenario and prints its result.
pub async fn run(relay: &Target, opts: ClientOpts) -> Result<()> {
    let invites = relay.invites();
    let base = Instant::now();
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let mut senders = split_room(&invites, opts, RECEIVERS, SENDERS, base, &recorder).await?;
    settle(relay).await;
    let mark = CpuMark::now(relay);
    let sends: Vec<_> = senders
        .drain(..)
        .map(|s| send_at(s, RATE / SENDERS as f64, SECS, 0, base))
        .collect();
    let mut sent = 0;
    for r in all(sends).await {
        sent += r?.1;
    }
    let cpu = mark.since(relay);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rec = recorder.borrow();
    let Some(s) = rec.steps.first() else {
        anyhow::bail!("no message reached a receiver");
    };
    let losses = (sent * RECEIVERS as u64).saturating_sub(s.received);
    let (p50, p99, max) = (
        ms(&s.latency_us, 0.5),
        ms(&s.latency_us, 0.99),
        max_ms(&s.latency_us),
    );
    println!("\nlight load: {RECEIVERS} receivers, {RATE} msgs/s for {SECS} s");
    println!("p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms, losses {losses}");
    println!(
        "relay CPU {:.0}% (of it nats-server {:.0}%), load CPU {:.0}%, others {:.0}% (of one core)",
        cpu.relay, cpu.nats, cpu.load, cpu.others
    );
    println!(
        "{{\"bench\":\"light\",\"receivers\":{RECEIVERS},\"input_msgs_per_s\":{RATE},\"p50_ms\":{p50:.3},\"p99_ms\":{p99:.3},\"max_ms\":{max:.3},\"losses\":{losses},\"relay_cpu_pct\":{:.0},\"load_cpu_pct\":{:.0},\"others_cpu_pct\":{:.0},\"nats_cpu_pct\":{:.0},\"relays\":{}}}",
        cpu.relay, cpu.load, cpu.others, cpu.nats, relay.invites().len()
    );
    Ok(())
}
