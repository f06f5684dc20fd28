//! The human scenario (issue 16): a room of `--human-receivers` (100) receivers and
//! `--senders` (4) senders at a fixed offered rate of `--human-rate` deliveries/s
//! (20,000: 200 messages/s in, a busy room of people) for `--human-secs` (10 s). Prints
//! deliveries/s, latency p50/p99/max, losses, the relay's CPU per delivery against the
//! goal (≤ 3 µs at this rate), and the relay's and the load's CPU shares.

use std::time::Duration;

use anyhow::{bail, Result};

use crate::{load::Load, relay::Target, step, Cli};

/// The goal: the relay's CPU per delivery at a human rate, in µs.
pub const GOAL_US_PER_DELIVERY: f64 = 3.0;
/// Seconds after the step for its last messages to arrive.
const DRAIN: Duration = Duration::from_secs(2);

/// Runs the scenario and prints its result.
pub async fn run(cli: &Cli, relay: &Target) -> Result<()> {
    let receivers = cli.human_receivers;
    let rate = cli.human_rate / receivers as f64;
    let load = Load::for_room(cli, relay, receivers, cli.senders).await?;
    let m = step::run(cli, &load, relay, rate, cli.human_secs, 0, DRAIN).await?;
    if m.received == 0 {
        bail!("no message reached a receiver");
    }
    let us = m.relay_us_per_delivery();
    let met = us <= GOAL_US_PER_DELIVERY;
    println!(
        "\nhuman rate: {receivers} receivers, {} senders, {rate:.0} msgs/s in ({:.0} deliveries/s offered) for {} s; load: {} thread(s) on core(s) {}",
        load.senders(),
        cli.human_rate,
        cli.human_secs,
        load.threads(),
        cli.load_cpus
    );
    println!(
        "sent {} messages, delivered {:.0}/s, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, losses {}",
        m.sent,
        m.delivered_per_s(),
        m.p50_ms,
        m.p99_ms,
        m.max_ms,
        m.losses
    );
    println!(
        "relay {us:.2} µs per delivery (goal ≤ {GOAL_US_PER_DELIVERY} µs: {}), relay CPU {:.1}%, load CPU {:.1}% ({:.2} µs per delivery), others {:.0}% (of one core)",
        if met { "met" } else { "not met" },
        m.cpu.relay,
        m.cpu.load,
        m.load_us_per_delivery(),
        m.cpu.others
    );
    if let Some(e) = &m.first_error {
        println!("{} sender(s) lost their connection: {e:#}", m.senders_lost);
    }
    m.say_if_behind();
    println!(
        "{{\"bench\":\"human\",\"receivers\":{receivers},\"senders\":{},\"offered_delivered_per_s\":{:.0},\"secs\":{},{},\"relay_us_goal\":{GOAL_US_PER_DELIVERY},\"relay_us_goal_met\":{}}}",
        load.senders(),
        cli.human_rate,
        cli.human_secs,
        m.json_fields(&load, m.limited_by()),
        if !us.is_finite() { "null" } else if met { "true" } else { "false" }
    );
    Ok(())
}
