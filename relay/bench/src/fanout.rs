//! The fan-out scenario: R silent receivers and a few senders in one room; the senders'
//! total rate grows by a factor each step until a step falls behind (a loss, a dropped
//! sender, or p99 over the limit). Reports the last step that kept up, with the relay's
//! and the load's CPU per delivery, and what limited the step that fell behind (the
//! load, the relay, the machine, or latency/loss with CPU to spare: [`crate::limit`]).
//! The load may run on several threads (`--load-threads`, [`crate::load`]).

use std::time::Duration;

use anyhow::Result;

use crate::{
    client::TEXT_BYTES,
    limit::Limit,
    load::Load,
    relay::Target,
    step::{self, num, Measured},
    Cli,
};

/// Most steps of one ramp.
const MAX_STEPS: usize = 40;
/// Seconds after a step for its last messages to arrive.
const DRAIN: Duration = Duration::from_secs(2);

/// Runs the ramp with `receivers` receivers and prints each step and the result.
pub async fn run(cli: &Cli, relay: &Target, receivers: usize) -> Result<()> {
    let load = Load::for_room(cli, relay, receivers, cli.senders).await?;
    println!(
        "\nfan-out: {receivers} receivers, {} senders, {TEXT_BYTES}-byte texts; load: {} thread(s) on core(s) {}",
        cli.senders,
        load.threads(),
        cli.load_cpus
    );
    println!(
        "{:>10} {:>14} {:>8} {:>9} {:>9} {:>9} {:>10} {:>9} {:>7} {:>9} {:>10} {:>9} {:>8}  limited by",
        "msgs/s in",
        "delivered/s",
        "losses",
        "p50 ms",
        "p99 ms",
        "max ms",
        "relay CPU",
        "load CPU",
        "others",
        "of: nats",
        "relay µs/d",
        "load µs/d",
        "late ms",
    );
    let mut rate = (cli.start_delivered / receivers as f64).max(10.0);
    let mut best: Option<Measured> = None;
    let mut stopped: Option<Measured> = None;
    for step in 0..MAX_STEPS {
        let m = step::run(cli, &load, relay, rate, cli.step_secs, step, DRAIN).await?;
        println!(
            "{:>10.0} {:>14.0} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.0}% {:>8.0}% {:>6.0}% {:>8.0}% {:>10.2} {:>9.2} {:>8.1}  {}",
            m.rate,
            m.delivered_per_s(),
            m.losses,
            m.p50_ms,
            m.p99_ms,
            m.max_ms,
            m.cpu.relay,
            m.cpu.load,
            m.cpu.others,
            m.cpu.nats,
            m.relay_us_per_delivery(),
            m.load_us_per_delivery(),
            m.usage.late_p99_ms,
            if m.behind() { m.limited_by().as_str() } else { "-" }
        );
        if let Some(e) = &m.first_error {
            println!(
                "{} sender(s) lost their connection ({e:#}): the relay fell behind",
                m.senders_lost
            );
        }
        if m.behind() {
            stopped = Some(m);
            break;
        }
        rate *= cli.ramp.max(1.01);
        best = Some(m);
    }
    let limit = stopped.as_ref().map_or(Limit::None, Measured::limited_by);
    let why = match &stopped {
        None => format!("no step fell behind in {MAX_STEPS} steps"),
        Some(s) => format!(
            "the next step ({:.0} msgs/s in) fell behind, limited by {}: {}",
            s.rate,
            limit.as_str(),
            s.load_words()
        ),
    };
    match best {
        Some(b) => {
            println!(
                "result: {:.0} delivered/s (p99 {:.2} ms), relay {:.2} µs per delivery, load {:.2} µs per delivery; {why}",
                b.delivered_per_s(),
                b.p99_ms,
                b.relay_us_per_delivery(),
                b.load_us_per_delivery()
            );
            if limit == Limit::Load {
                println!(
                    "the load, not the relay, set this result: it is a lower bound for the relay"
                );
            }
            println!(
                "{{\"bench\":\"fanout\",\"receivers\":{receivers},\"senders\":{},{},\"nats_us_per_msg\":{}}}",
                cli.senders,
                b.json_fields(&load, limit),
                num(b.cpu.nats * 1e4 / b.rate, 1)
            );
        }
        None => {
            println!("result: none, {why}");
            println!(
                "{{\"bench\":\"fanout\",\"receivers\":{receivers},\"error\":\"fell behind at the first step\",\"limited_by\":\"{}\"}}",
                limit.as_str()
            );
        }
    }
    Ok(())
}
