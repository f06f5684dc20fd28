//! The light-load scenario: 100 receivers, 200 messages/s in total from 4 senders for
//! 5 s; latency p50/p99/max and losses, the relay's and the load's CPU (shares of a
//! core and µs per delivery).

use std::time::Duration;

use anyhow::Result;

use crate::{load::Load, relay::Target, step, Cli};

const RECEIVERS: usize = 100;
const SENDERS: usize = 4;
const RATE: f64 = 200.0;
const SECS: f64 = 5.0;

/// Runs the scenario and prints its result.
pub async fn run(cli: &Cli, relay: &Target) -> Result<()> {
    let load = Load::for_room(cli, relay, RECEIVERS, SENDERS).await?;
    let m = step::run(cli, &load, relay, RATE, SECS, 0, Duration::from_secs(1)).await?;
    if m.received == 0 {
        anyhow::bail!("no message reached a receiver");
    }
    if let Some(e) = &m.first_error {
        anyhow::bail!("a sender lost its connection: {e:#}");
    }
    println!("\nlight load: {RECEIVERS} receivers, {RATE} msgs/s for {SECS} s");
    println!(
        "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, losses {}",
        m.p50_ms, m.p99_ms, m.max_ms, m.losses
    );
    println!(
        "relay CPU {:.0}% (of it nats-server {:.0}%), load CPU {:.0}%, others {:.0}% (of one core); relay {:.2} µs per delivery, load {:.2} µs per delivery",
        m.cpu.relay,
        m.cpu.nats,
        m.cpu.load,
        m.cpu.others,
        m.relay_us_per_delivery(),
        m.load_us_per_delivery()
    );
    m.say_if_behind();
    println!(
        "{{\"bench\":\"light\",\"receivers\":{RECEIVERS},{},\"relays\":{}}}",
        m.json_fields(&load, m.limited_by()),
        relay.invites().len()
    );
    Ok(())
}
