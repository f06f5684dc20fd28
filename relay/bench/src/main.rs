//! `piazza-bench`: load a Piazza relay over real QUIC and print what it sustains.
//!
//! By default it starts the `piazza-relay` binary next to it, pinned to one core with
//! `taskset`, with rate limits raised by flags (persistence, acks after durability and
//! slow-consumer eviction stay on), and runs the load pinned to the other core
//! (`--load-cpus`). Each scenario gets a fresh relay. Results print as a table and as
//! one JSON line each (`{"bench":…}`). The one-room scenarios (fan-out, light, human)
//! can spread their load over several threads (`--load-threads`), report the relay's
//! and the load's CPU per delivery, and say what limited a step that fell behind (the
//! load, the relay, the machine, or latency/loss: `limited_by`).
//!
//! # Layout
//! - [`relay`]: starting the relay, or the one given; CPU and memory from `/proc`.
//! - [`cpus`]: the load's cores (`--load-cpus`) and pinning the load to them.
//! - [`client`]: the load's clients (sessions opened through `net::Dialer`), filling a
//!   room, reading, sending at a rate.
//! - [`load`]: one room's load spread over threads, each with its own runtime and
//!   clients; their counts and histograms added up.
//! - [`step`]: one measured step at a fixed rate (deliveries, latency, CPU per
//!   delivery), shared by fan-out, light and human.
//! - [`limit`]: what limited a step that fell behind.
//! - [`blackhole`]: client sockets that can be cut off, for clients that vanish silently.
//! - [`record`]: receipts and latency histograms.
//! - [`cluster`]: relays sharing rooms through a 3-node NATS JetStream cluster
//!   (`--cluster-relays`), loaded like one relay.
//! - [`fanout`], [`light`], [`human`], [`scale`], [`churn`], [`school`]: one module per
//!   scenario.

mod blackhole;
mod churn;
mod client;
mod cluster;
mod cpus;
mod fanout;
mod human;
mod light;
mod limit;
mod load;
mod record;
mod relay;
mod scale;
mod school;
mod step;

use std::{path::PathBuf, time::Duration};

use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};
use client::ClientOpts;
use relay::{RelayProcess, StartOpts, Target};

/// Load a Piazza relay: fan-out, light-load latency, one room at a human rate (human),
/// connection scale, memory through churn with clients that vanish silently, many rooms
/// at a human rate (school).
#[derive(Parser, Debug)]
#[command(name = "piazza-bench", version)]
pub struct Cli {
    /// Load this relay instead of starting one (an invite with an IP address).
    #[arg(long)]
    invite: Option<String>,
    /// With --invite: the relay's pid, so its CPU and memory can be read.
    #[arg(long, requires = "invite")]
    relay_pid: Option<u32>,
    /// Scenarios to run (human, churn and school are not in the default set).
    #[arg(long, value_delimiter = ',', default_value = "fanout,light,scale")]
    scenarios: Vec<Scenario>,
    /// Receivers in the room for the fan-out scenario.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    receivers: Vec<usize>,
    /// Senders in the fan-out and human scenarios.
    #[arg(long, default_value_t = 4)]
    senders: usize,
    /// Seconds each fan-out rate step lasts.
    #[arg(long, default_value_t = 3.0)]
    step_secs: f64,
    /// Delivered messages/s of the first fan-out step.
    #[arg(long, default_value_t = 100_000.0)]
    start_delivered: f64,
    /// Factor between fan-out steps (a smaller one finds the limit more finely).
    #[arg(long, default_value_t = 1.4)]
    ramp: f64,
    /// Human: deliveries/s offered (messages/s in × receivers).
    #[arg(long, default_value_t = 20_000.0)]
    human_rate: f64,
    /// Human: seconds the rate lasts.
    #[arg(long, default_value_t = 10.0)]
    human_secs: f64,
    /// Human: receivers in the room.
    #[arg(long, default_value_t = 100)]
    human_receivers: usize,
    /// Idle clients for the scale scenario.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    clients: Vec<usize>,
    /// Scale: seconds after the last client joined before the relay's memory is read
    /// (1: the join storm's queues and buffers may still be held; 15: past jemalloc's
    /// 10 s decay, what idle clients cost).
    #[arg(long, default_value_t = 1.0)]
    scale_settle_secs: f64,
    /// Churn: rounds of clients.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Churn: clients per round.
    #[arg(long, default_value_t = 300)]
    round_clients: usize,
    /// Churn: seconds between rounds, and how long a round's clients stay.
    #[arg(long, default_value_t = 3.0)]
    round_secs: f64,
    /// Churn: the fraction of each round that vanishes silently.
    #[arg(long, default_value_t = 0.2)]
    silent_fraction: f64,
    /// Churn: seconds of quiet after the last round.
    #[arg(long, default_value_t = 40.0)]
    quiet_secs: f64,
    /// Churn: messages per second in the room during the churn (all senders together).
    #[arg(long, default_value_t = 100.0)]
    churn_rate: f64,
    /// Churn: senders that post during the churn.
    #[arg(long, default_value_t = 4)]
    churn_senders: usize,
    /// School: class rooms.
    #[arg(long, default_value_t = 1000)]
    classes: usize,
    /// School: members of each class room.
    #[arg(long, default_value_t = 10)]
    class_size: usize,
    /// School: members of the one large room (0: none).
    #[arg(long, default_value_t = 1000)]
    big_room: usize,
    /// School: each class member posts once every this many seconds on average.
    #[arg(long, default_value_t = 5.0)]
    member_period_secs: f64,
    /// School: messages per second in the large room, all members together.
    #[arg(long, default_value_t = 2.0)]
    big_room_rate: f64,
    /// School: seconds each step lasts.
    #[arg(long, default_value_t = 20.0)]
    school_step_secs: f64,
    /// School: steps (1: the human rate only; more: a ramp to find the limit).
    #[arg(long, default_value_t = 1)]
    school_steps: usize,
    /// School: factor on every room's rate between steps.
    #[arg(long, default_value_t = 2.0)]
    school_ramp: f64,
    /// School: the first step's rates as a factor of the human rate (below 1 finds a
    /// limit under it).
    #[arg(long, default_value_t = 1.0)]
    school_start: f64,
    /// Core the started relay is pinned to.
    #[arg(long, default_value_t = 0)]
    relay_cpu: usize,
    /// Load a cluster of this many relays sharing rooms through a 3-node NATS
    /// JetStream cluster this tool starts (0: one relay with its embedded log). The
    /// fan-out and light scenarios split their receivers between the relays, senders
    /// on the first.
    #[arg(long, default_value_t = 0)]
    cluster_relays: usize,
    /// Core the nats-server nodes are pinned to [default: --relay-cpu].
    #[arg(long)]
    nats_cpu: Option<usize>,
    /// Cores the load runs on, as taskset takes them (`1`, `1,2`, `2-5`); its threads
    /// share them.
    #[arg(long, alias = "load-cpu", default_value = "1", value_parser = cpus::parse)]
    load_cpus: cpus::CpuList,
    /// Threads the fan-out, light and human load runs on, each with its own runtime and
    /// clients (receivers and senders dealt out evenly); 1 runs it as before.
    #[arg(long, default_value_t = 1)]
    load_threads: usize,
    /// The relay binary to start (default: piazza-relay next to this binary).
    #[arg(long)]
    relay_bin: Option<PathBuf>,
    /// Environment for the started relay only, as KEY=VALUE (repeatable), e.g.
    /// MALLOC_ARENA_MAX=2.
    #[arg(long = "relay-env", value_parser = parse_env)]
    relay_env: Vec<(String, String)>,
    /// An extra argument for the started relay (repeatable), after the bench's own.
    #[arg(long = "relay-arg", allow_hyphen_values = true)]
    relay_args: Vec<String>,
    /// The clients' QUIC idle timeout in seconds instead of `net`'s (the relay uses the
    /// shorter of its own and the client's).
    #[arg(long)]
    client_idle_secs: Option<u64>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Scenario {
    Fanout,
    Light,
    Human,
    Scale,
    Churn,
    School,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

impl Cli {
    fn client_opts(&self) -> ClientOpts {
        ClientOpts {
            idle_timeout: self.client_idle_secs.map(Duration::from_secs),
        }
    }

    fn churn_shape(&self) -> churn::Shape {
        churn::Shape {
            rounds: self.rounds,
            clients: self.round_clients,
            round_secs: self.round_secs,
            silent_fraction: self.silent_fraction.clamp(0.0, 1.0),
            quiet_secs: self.quiet_secs,
            rate: self.churn_rate,
            senders: self.churn_senders,
        }
    }

    fn school_shape(&self) -> school::Shape {
        school::Shape {
            classes: self.classes,
            class_size: self.class_size,
            big: self.big_room,
            member_period: self.member_period_secs,
            big_rate: self.big_room_rate,
            step_secs: self.school_step_secs,
            steps: self.school_steps,
            ramp: self.school_ramp,
            start: self.school_start,
        }
    }

    /// A fresh relay for one measurement, or the one given.
    fn target(&self) -> Result<Target> {
        self.target_with(&[])
    }

    /// Like [`Cli::target`], the started relay given `args` too.
    fn target_with(&self, args: &[String]) -> Result<Target> {
        let opts = StartOpts {
            bin: self.relay_bin.clone(),
            cpu: self.relay_cpu,
            env: self.relay_env.clone(),
            args: args.iter().chain(&self.relay_args).cloned().collect(),
        };
        Ok(match &self.invite {
            Some(i) => Target::Given(i.parse()?, self.relay_pid),
            None if self.cluster_relays > 0 => {
                let nats_cpu = self.nats_cpu.unwrap_or(self.relay_cpu);
                let start = cluster::Cluster::start(self.cluster_relays, &opts, nats_cpu);
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                Target::Cluster(rt.block_on(start)?)
            }
            None => Target::Started(RelayProcess::start(&opts)?),
        })
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if cli.invite.is_none() {
        cpus::pin_self(&cli.load_cpus);
    }
    if cli.load_threads == 0 {
        bail!("--load-threads must be at least 1");
    }
    if !(cli.human_rate > 0.0 && cli.human_secs > 0.0) || cli.human_receivers == 0 {
        bail!("--human-rate, --human-secs and --human-receivers must be positive");
    }
    if cli.round_clients == 0 || cli.round_secs <= 0.0 {
        bail!("--round-clients and --round-secs must be positive");
    }
    if cli.member_period_secs <= 0.0 || cli.school_step_secs <= 0.0 {
        bail!("--member-period-secs and --school-step-secs must be positive");
    }
    println!(
        "piazza-bench {} (load average {}) — relay {}, load on core {}{}",
        utc_minute(),
        relay::loadavg(),
        match &cli.invite {
            Some(i) => format!("at {i}"),
            None if cli.cluster_relays > 0 => format!(
                "cluster of {} relays on core {} and 3 nats-server nodes on core {} (taskset)",
                cli.cluster_relays,
                cli.relay_cpu,
                cli.nats_cpu.unwrap_or(cli.relay_cpu)
            ),
            None => format!("started on core {} (taskset)", cli.relay_cpu),
        },
        cli.load_cpus,
        match cli.load_threads {
            1 => String::new(),
            n => format!(" ({n} threads)"),
        }
    );
    for scenario in cli.scenarios.clone() {
        match scenario {
            Scenario::Fanout => {
                for &r in &cli.receivers {
                    let relay = cli.target()?;
                    measure(fanout::run(&cli, &relay, r))?;
                }
            }
            Scenario::Light => {
                let relay = cli.target()?;
                measure(light::run(&cli, &relay))?;
            }
            Scenario::Human => {
                let relay = cli.target()?;
                measure(human::run(&cli, &relay))?;
            }
            Scenario::Scale => {
                for &c in &cli.clients {
                    let relay = cli.target()?;
                    measure(scale::run(
                        &relay,
                        cli.client_opts(),
                        c,
                        cli.scale_settle_secs,
                    ))?;
                }
            }
            Scenario::Churn => {
                let relay = cli.target()?;
                measure(churn::run(&cli, &relay))?;
            }
            Scenario::School => {
                // Clients create the rooms by joining them.
                let rooms = cli.school_shape().rooms().to_string();
                let relay =
                    cli.target_with(&["--open-rooms".into(), "--max-rooms".into(), rooms])?;
                measure(school::run(&cli, &relay))?;
            }
        }
    }
    Ok(())
}

/// Runs one measurement on a fresh single-threaded runtime, so that nothing left from an
/// earlier one (connections, tasks) competes with it.
fn measure<F: std::future::Future<Output = Result<()>>>(fut: F) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&rt, fut);
    drop(local);
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

fn utc_minute() -> String {
    std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%dT%H:%MZ")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn relay_env_is_key_equals_value() {
        assert_eq!(
            parse_env("MALLOC_ARENA_MAX=2"),
            Ok(("MALLOC_ARENA_MAX".into(), "2".into()))
        );
        assert_eq!(parse_env("A=b=c"), Ok(("A".into(), "b=c".into())));
        assert!(parse_env("NOEQUALS").is_err());
    }

    #[test]
    fn the_school_asks_the_relay_for_open_rooms() {
        let cli = Cli::parse_from(["piazza-bench", "--scenarios", "school", "--big-room", "0"]);
        assert_eq!(cli.scenarios, vec![Scenario::School]);
        assert_eq!(cli.school_shape().rooms(), 1001);
        Cli::command().debug_assert();
    }

    #[test]
    fn the_load_defaults_to_one_thread_on_core_1() {
        let cli = Cli::parse_from(["piazza-bench"]);
        assert_eq!((cli.load_threads, cli.load_cpus.0), (1, vec![1]));
        assert!(!cli.scenarios.contains(&Scenario::Human));
        let cli = Cli::parse_from(["piazza-bench", "--load-cpu", "3"]);
        assert_eq!(cli.load_cpus.0, vec![3]);
        let cli = Cli::parse_from([
            "piazza-bench",
            "--scenarios",
            "human",
            "--load-cpus",
            "1-3",
            "--load-threads",
            "3",
        ]);
        assert_eq!(cli.scenarios, vec![Scenario::Human]);
        assert_eq!((cli.load_threads, cli.load_cpus.0), (3, vec![1, 2, 3]));
    }
}
