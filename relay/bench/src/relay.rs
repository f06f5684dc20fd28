//! The relay under load: starting `piazza-relay` (pinned with `taskset`, rate limits
//! raised, a fresh data directory, extra flags a scenario needs), or a relay given by
//! invite, and reading what a process uses from `/proc` (CPU time, resident memory) and
//! how busy the machine is.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{bail, Context, Result};
use common::invite::Invite;

/// How to start a relay.
pub struct StartOpts {
    /// The binary (default: `piazza-relay` next to this one).
    pub bin: Option<PathBuf>,
    /// Core to pin it to.
    pub cpu: usize,
    /// Extra environment for the relay only (allocator tuning, logging).
    pub env: Vec<(String, String)>,
    /// Extra arguments after the bench's own (`--open-rooms`, limits).
    pub args: Vec<String>,
}

/// A relay process this tool started; killed when dropped.
pub struct RelayProcess {
    child: Child,
    invite: Invite,
    _dir: tempfile::TempDir,
}

impl RelayProcess {
    /// Starts a relay on a free loopback port and waits for its invite.
    pub fn start(opts: &StartOpts) -> Result<Self> {
        let bin = match &opts.bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()?.with_file_name("piazza-relay"),
        };
        let dir = tempfile::tempdir()?;
        // `taskset -c N cmd` execs `cmd`: the child's pid is the relay's.
        let mut child = Command::new("taskset")
            .args(["-c", &opts.cpu.to_string()])
            .arg(&bin)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--rate",
                "10000000",
                "--burst",
                "10000000",
                "--max-clients",
                "20000",
                "--room-members",
                "20000",
                "--data-dir",
            ])
            .arg(dir.path())
            .args(&opts.args)
            .env(
                "RUST_LOG",
                std::env::var("BENCH_RELAY_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(opts.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} under taskset", bin.display()))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let invite = loop {
            let Some(line) = lines.next() else {
                bail!("the relay exited before printing its invite")
            };
            if let Some(rest) = line?.strip_prefix("invite:") {
                break rest.trim().parse::<Invite>()?;
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(Self {
            child,
            invite,
            _dir: dir,
        })
    }

    /// The relay's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its data directory (the certificate other relays of a cluster share).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay a scenario loads: one it started, one given by invite (and maybe pid), or
/// a cluster it started (relays sharing rooms through NATS JetStream).
pub enum Target {
    /// Started by this tool.
    Started(RelayProcess),
    /// Given on the command line; its pid (if given) lets CPU and memory be read.
    Given(Invite, Option<u32>),
    /// Several relays and the nats-server nodes under them, started by this tool.
    Cluster(crate::cluster::Cluster),
}

impl Target {
    /// The (first) relay's pid, when known.
    pub fn pid(&self) -> Option<u32> {
        match self {
            Self::Started(r) => Some(r.pid()),
            Self::Given(_, pid) => *pid,
            Self::Cluster(c) => c.relays.first().map(RelayProcess::pid),
        }
    }

    /// CPU time (user + system) the relay has used so far; for a cluster, every relay's
    /// and every nats-server's together (the whole server side).
    pub fn cpu_time(&self) -> Option<Duration> {
        match self {
            Self::Cluster(c) => {
                let relays = c.relays.iter().map(|r| r.pid());
                relays
                    .chain(c.nats_pids())
                    .map(|pid| process_cpu_time(&pid.to_string()))
                    .sum()
            }
            _ => process_cpu_time(&self.pid()?.to_string()),
        }
    }

    /// CPU time the nats-server nodes have used so far (a cluster only).
    pub fn nats_cpu_time(&self) -> Option<Duration> {
        match self {
            Self::Cluster(c) => c
                .nats_pids()
                .map(|pid| process_cpu_time(&pid.to_string()))
                .sum(),
            _ => None,
        }
    }

    /// One invite per relay (a cluster's relays serve the same rooms).
    pub fn invites(&self) -> Vec<Invite> {
        match self {
            Self::Cluster(c) => c.relays.iter().map(|r| r.invite.clone()).collect(),
            _ => vec![self.invite()],
        }
    }

    /// The relay's resident memory, in bytes.
    pub fn rss_bytes(&self) -> Option<u64> {
        rss_bytes(self.pid()?)
    }

    /// The invite to join it with.
    pub fn invite(&self) -> Invite {
        match self {
            Self::Started(r) => r.invite.clone(),
            Self::Given(i, _) => i.clone(),
            Self::Cluster(c) => c.relays[0].invite.clone(),
        }
    }
}

/// `VmRSS` of a process, in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time (user + system) a process (a pid, or `self`) has used so far.
pub fn process_cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses): utime is the 12th,
    // stime the 13th, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time the machine spent busy (user, nice, system, irq, softirq) and the time the
/// hypervisor stole from it, from `/proc/stat`: all cores together first, then each
/// core (`cpu0`, `cpu1`, …) in order.
pub fn machine_cpu() -> Option<Vec<(Duration, Duration)>> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let readings: Vec<_> = stat
        .lines()
        .take_while(|l| l.starts_with("cpu"))
        .filter_map(|line| {
            let f: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .map(|v| v.parse().unwrap_or(0))
                .collect();
            // user nice system idle iowait irq softirq steal, in ticks of 1/100 s.
            let busy = f.first()? + f.get(1)? + f.get(2)? + f.get(5)? + f.get(6)?;
            Some((
                Duration::from_millis(busy * 10),
                Duration::from_millis(f.get(7)? * 10),
            ))
        })
        .collect();
    (!readings.is_empty()).then_some(readings)
}

/// CPU readings at one moment: the relay's, the load's, the machine's.
#[derive(Clone)]
pub struct CpuMark {
    relay: Option<Duration>,
    nats: Option<Duration>,
    load: Option<Duration>,
    machine: Option<Vec<(Duration, Duration)>>,
    at: std::time::Instant,
}

/// Shares of one core (100 = a whole core) between two marks.
#[derive(Clone, Debug)]
pub struct CpuShares {
    /// The relay (a cluster: every relay and nats-server).
    pub relay: f64,
    /// A cluster's nats-server nodes (NaN for one relay).
    pub nats: f64,
    pub load: f64,
    /// Everything else on the machine (other engineers' builds and tests), all cores.
    pub others: f64,
    /// Time the hypervisor ran someone else on our cores.
    pub steal: f64,
    /// How busy each core was (anything on it, ours included), `cpu0` first.
    pub cores: Vec<f64>,
    /// Seconds between the two marks.
    pub secs: f64,
}

impl CpuShares {
    /// How busy core `n` was (NaN if unknown).
    pub fn core(&self, n: usize) -> f64 {
        self.cores.get(n).copied().unwrap_or(f64::NAN)
    }

    /// How busy the cores `ns` were together (NaN if any is unknown).
    pub fn cores_sum(&self, ns: &[usize]) -> f64 {
        ns.iter().map(|&n| self.core(n)).sum()
    }

    /// CPU seconds that a share of `pct` (% of one core) came to between the marks.
    pub fn cpu_secs(&self, pct: f64) -> f64 {
        pct / 100.0 * self.secs
    }
}

impl CpuMark {
    /// Reads the relay's (if its pid is known), the load's and the machine's CPU now.
    pub fn now(relay: &Target) -> Self {
        Self {
            relay: relay.cpu_time(),
            nats: relay.nats_cpu_time(),
            load: process_cpu_time("self"),
            machine: machine_cpu(),
            at: std::time::Instant::now(),
        }
    }

    /// The shares used since `self`.
    pub fn since(&self, relay: &Target) -> CpuShares {
        let now = Self::now(relay);
        let secs = (now.at - self.at).as_secs_f64().max(1e-3);
        let pct = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64() / secs * 100.0,
            _ => f64::NAN,
        };
        let (relay_pct, load) = (pct(self.relay, now.relay), pct(self.load, now.load));
        let reading = |m: &Option<Vec<(Duration, Duration)>>, i: usize| {
            m.as_ref().and_then(|m| m.get(i).copied())
        };
        let busy = |i| {
            pct(
                reading(&self.machine, i).map(|m| m.0),
                reading(&now.machine, i).map(|m| m.0),
            )
        };
        let others = busy(0) - relay_pct.max(0.0) - load;
        let cores = now
            .machine
            .as_ref()
            .map_or(0, |m| m.len().saturating_sub(1));
        CpuShares {
            relay: relay_pct,
            nats: pct(self.nats, now.nats),
            load,
            others: others.max(0.0),
            steal: pct(
                reading(&self.machine, 0).map(|m| m.1),
                reading(&now.machine, 0).map(|m| m.1),
            ),
            cores: (1..=cores).map(busy).collect(),
            secs,
        }
    }
}

/// Waits until the server side is quiet (under a tenth of a core for half a second,
/// a minute at most): a cluster logs the joins of a freshly filled room one by one
/// after the clients are in, and a step measured meanwhile would measure that.
pub async fn settle(relay: &Target) {
    let start = std::time::Instant::now();
    let mut last = relay.cpu_time();
    while start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = relay.cpu_time();
        match (last, now) {
            (Some(a), Some(b)) if b.saturating_sub(a) > Duration::from_millis(50) => last = now,
            _ => return,
        }
    }
}

/// The machine's load averages (1, 5, 15 min) as `/proc/loadavg` gives them.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}
