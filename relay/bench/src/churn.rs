//! The churn scenario (issue 12, item 4): what the relay's memory does when clients come
//! and go and some vanish silently, as phones that lose the network do.
//!
//! A few senders post at a modest rate for the whole churn, so that every member's queue
//! sees traffic. Every `--round-secs` a round of `--round-clients` clients joins and reads
//! the room; one `--round-secs` after the round started, a fraction of them
//! (`--silent-fraction`) vanish silently (their UDP socket is cut: no close, no Quit, no
//! ack ever again, see [`crate::blackhole`]) and the rest send Quit and close. After
//! `--rounds` rounds the senders leave and the relay is left alone for `--quiet-secs`.
//! The relay's `VmRSS` is sampled every second throughout: start, peak, end of the quiet
//! period and a timeline are printed as a table and a JSON line.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use common::{invite::Invite, protocol::ClientFrame};

use crate::{
    blackhole::Switch,
    client::{self, all, receive, send_at, ClientOpts, Endpoints, JOINS_IN_FLIGHT},
    relay::{process_cpu_time, rss_bytes, Target},
    Cli,
};

/// The churn's shape, from the command line.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub rounds: usize,
    pub clients: usize,
    pub round_secs: f64,
    pub silent_fraction: f64,
    pub quiet_secs: f64,
    pub rate: f64,
    pub senders: usize,
}

/// What one round's clients did.
#[derive(Default)]
struct RoundStats {
    joined: usize,
    failed: usize,
    vanished: usize,
    left: usize,
    first_error: Option<String>,
    /// The latest a round started after its time (the load's thread was busy).
    late_s: f64,
    /// The load's CPU share during the churn (100 = one core).
    load_cpu_pct: f64,
}

impl RoundStats {
    /// The client side could not keep to the schedule: then slow (not only silent)
    /// clients make the relay queue, and the memory shows that too.
    fn load_behind(&self) -> bool {
        self.failed > 0 || self.late_s > 0.5
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// Runs the churn and prints its result.
pub async fn run(cli: &Cli, relay: &Target) -> Result<()> {
    let shape = cli.churn_shape();
    let pid = relay
        .pid()
        .context("churn reads the relay's memory: let it start the relay or give --relay-pid")?;
    let invite = relay.invite();
    let opts = cli.client_opts();
    let silent =
        ((shape.clients as f64 * shape.silent_fraction).round() as usize).min(shape.clients);
    let base = Instant::now();

    let mut eps = Endpoints::new(&invite, 1, opts)?;
    let mut senders = Vec::new();
    for i in 0..shape.senders {
        senders.push(client::sender(&mut eps, format!("s{i}"), base).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let start = Instant::now();
    let samples = Rc::new(RefCell::new(Vec::<u64>::new()));
    let sampler = tokio::task::spawn_local(sample_rss(pid, samples.clone()));
    let cpu_start = process_cpu_time(&pid.to_string());
    let load_start = process_cpu_time("self");

    // Traffic for the whole churn, including the last round's life.
    let churn_secs = shape.rounds as f64 * shape.round_secs;
    let traffic_secs = churn_secs + shape.round_secs;
    let per_sender = shape.rate / shape.senders.max(1) as f64;
    let sends: Vec<_> = senders
        .drain(..)
        .map(|s| send_at(s, per_sender, traffic_secs, 0, base))
        .collect();
    let sends = tokio::task::spawn_local(all(sends));

    let mut rounds = Vec::new();
    let mut late = Duration::ZERO;
    for k in 0..shape.rounds {
        let at = start + Duration::from_secs_f64(k as f64 * shape.round_secs);
        tokio::time::sleep_until(at.into()).await;
        late = late.max(at.elapsed());
        let life = Duration::from_secs_f64(shape.round_secs);
        rounds.push(tokio::task::spawn_local(round(
            k,
            invite.clone(),
            opts,
            shape.clients,
            silent,
            life,
            base,
        )));
    }
    let mut total = RoundStats::default();
    for r in rounds {
        let r = r.await.expect("round task")?;
        total.joined += r.joined;
        total.failed += r.failed;
        total.vanished += r.vanished;
        total.left += r.left;
        if total.first_error.is_none() {
            total.first_error = r.first_error;
        }
    }
    let mut sent = 0;
    for r in sends.await.expect("senders") {
        match r {
            Ok((mut s, n)) => {
                sent += n;
                let _ = s.writer.write(&ClientFrame::Quit).await;
                s.writer.finish();
            }
            Err(e) => println!("a sender was lost during the churn: {e:#}"),
        }
    }
    let churn_end = start.elapsed().as_secs_f64();
    let cpu_churn = process_cpu_time(&pid.to_string());
    let load_churn = process_cpu_time("self");
    total.late_s = late.as_secs_f64();
    total.load_cpu_pct = match (load_start, load_churn) {
        (Some(a), Some(b)) => (b - a).as_secs_f64() / churn_end * 100.0,
        _ => f64::NAN,
    };

    tokio::time::sleep(Duration::from_secs_f64(shape.quiet_secs)).await;
    let cpu_end = process_cpu_time(&pid.to_string());
    sampler.abort();
    let mut samples = samples.borrow().clone();
    if let Some(rss) = rss_bytes(pid) {
        samples.push(rss);
    }
    report(
        shape,
        silent,
        &samples,
        churn_end,
        start.elapsed().as_secs_f64(),
        [cpu_start, cpu_churn, cpu_end],
        sent,
        &total,
    );
    Ok(())
}

/// Appends the relay's RSS every second (the first at once).
async fn sample_rss(pid: u32, samples: Rc<RefCell<Vec<u64>>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        match rss_bytes(pid) {
            Some(rss) => samples.borrow_mut().push(rss),
            None => return,
        }
    }
}

/// One round: `clients` join (of whom `silent` will vanish), read the room for `life`
/// from the round's start, then vanish or leave.
async fn round(
    k: usize,
    invite: Invite,
    opts: ClientOpts,
    clients: usize,
    silent: usize,
    life: Duration,
    base: Instant,
) -> Result<RoundStats> {
    let start = Instant::now();
    let switch = Switch::default();
    let mut holed = Endpoints::holed(&invite, switch.clone(), opts)?;
    let mut clean = Endpoints::new(&invite, 1, opts)?;
    let mut stats = RoundStats::default();
    let mut joins = tokio::task::JoinSet::new();
    let mut joined = Vec::new();
    let mut settle = |r: (bool, Result<client::Client>), stats: &mut RoundStats| match r {
        (is_silent, Ok(c)) => {
            let reader = tokio::task::spawn_local(receive(c.reader, c.conn.clone(), base, None));
            joined.push((is_silent, c.conn, c.writer, reader));
            stats.joined += 1;
        }
        (_, Err(e)) => {
            stats.failed += 1;
            stats.first_error.get_or_insert_with(|| format!("{e:#}"));
        }
    };
    for i in 0..clients {
        if joins.len() >= JOINS_IN_FLIGHT {
            let r = joins.join_next().await.expect("running")?;
            settle(r, &mut stats);
        }
        // Spread the silent ones evenly over the round.
        let is_silent = (i + 1) * silent / clients > i * silent / clients;
        let name = format!("c{k}x{i}");
        let join = if is_silent {
            holed.join(name)
        } else {
            clean.join(name)
        };
        joins.spawn_local(async move { (is_silent, join.await) });
    }
    while let Some(r) = joins.join_next().await {
        settle(r?, &mut stats);
    }
    tokio::time::sleep_until((start + life).into()).await;

    // The silent ones: nothing leaves or enters their socket from now on; their local
    // state goes (whatever it sends on the way out goes nowhere).
    switch.cut();
    let mut leaving = Vec::new();
    for (is_silent, conn, mut writer, reader) in joined {
        if is_silent {
            reader.abort();
            stats.vanished += 1;
            continue;
        }
        leaving.push(async move {
            let _ = writer.write(&ClientFrame::Quit).await;
            writer.finish();
            // The relay acknowledges what was sent and closes; the reader ends then.
            let left = tokio::time::timeout(Duration::from_secs(3), reader).await;
            conn.close(0u32.into(), b"left");
            left.is_ok()
        });
    }
    stats.left = all(leaving).await.into_iter().filter(|ok| *ok).count();
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn report(
    shape: Shape,
    silent: usize,
    samples: &[u64],
    churn_end: f64,
    total_secs: f64,
    [cpu_start, cpu_churn, cpu_end]: [Option<Duration>; 3],
    sent: u64,
    total: &RoundStats,
) {
    let mib: Vec<f64> = samples.iter().map(|&b| b as f64 / MIB).collect();
    let start = mib.first().copied().unwrap_or(f64::NAN);
    let end = mib.last().copied().unwrap_or(f64::NAN);
    let (peak_at, peak) = mib
        .iter()
        .copied()
        .enumerate()
        .fold((0, f64::NAN), |(i, m), (j, v)| {
            if m.is_nan() || v > m {
                (j, v)
            } else {
                (i, m)
            }
        });
    let share = |a: Option<Duration>, b: Option<Duration>, secs: f64| match (a, b) {
        (Some(a), Some(b)) if secs > 0.0 => (b - a).as_secs_f64() / secs * 100.0,
        _ => f64::NAN,
    };
    let cpu_churn_pct = share(cpu_start, cpu_churn, churn_end);
    let cpu_quiet_pct = share(cpu_churn, cpu_end, total_secs - churn_end);
    println!(
        "\nchurn: {} rounds of {} clients every {} s ({silent} vanish silently, the rest leave), {} msgs/s from {} senders, then {} s quiet",
        shape.rounds, shape.clients, shape.round_secs, shape.rate, shape.senders, shape.quiet_secs
    );
    println!("relay RSS (MiB), every 5 s from the first round:");
    let every: Vec<(usize, f64)> = mib.iter().copied().enumerate().step_by(5).collect();
    for row in every.chunks(12) {
        let secs: Vec<String> = row.iter().map(|(s, _)| format!("{s:>6}")).collect();
        let vals: Vec<String> = row.iter().map(|(_, v)| format!("{v:>6.0}")).collect();
        println!("  s   {}", secs.join(""));
        println!("  MiB {}", vals.join(""));
    }
    println!(
        "{:>10} {:>10} {:>12} {:>14} {:>12} {:>11}",
        "start MiB", "peak MiB", "peak at s", "end quiet MiB", "relay CPU", "quiet CPU"
    );
    println!(
        "{start:>10.1} {peak:>10.1} {peak_at:>12} {end:>14.1} {cpu_churn_pct:>11.0}% {cpu_quiet_pct:>10.1}%"
    );
    println!(
        "joined {} (failed {}), vanished {}, left {} cleanly; {sent} messages sent; churn ended at {churn_end:.0} s",
        total.joined, total.failed, total.vanished, total.left
    );
    println!(
        "load CPU during churn {:.0}%, latest round start {:.2} s late",
        total.load_cpu_pct, total.late_s
    );
    if let Some(e) = &total.first_error {
        println!("first join error: {e}");
    }
    if total.load_behind() {
        println!(
            "the LOAD FELL BEHIND (failed joins or late rounds): its slow readers also made the relay queue; compare such runs only with each other"
        );
    }
    let timeline: Vec<String> = mib.iter().map(|v| format!("{v:.1}")).collect();
    println!(
        "{{\"bench\":\"churn\",\"rounds\":{},\"clients_per_round\":{},\"round_s\":{},\"silent_per_round\":{silent},\"quiet_s\":{},\"msgs_per_s\":{},\"rss_start_mib\":{start:.1},\"rss_peak_mib\":{peak:.1},\"peak_at_s\":{peak_at},\"rss_end_mib\":{end:.1},\"churn_end_s\":{churn_end:.0},\"relay_cpu_churn_pct\":{cpu_churn_pct:.0},\"relay_cpu_quiet_pct\":{cpu_quiet_pct:.1},\"load_cpu_pct\":{:.0},\"late_s\":{:.2},\"load_behind\":{},\"joined\":{},\"failed\":{},\"vanished\":{},\"timeline_mib\":[{}]}}",
        shape.rounds,
        shape.clients,
        shape.round_secs,
        shape.quiet_secs,
        shape.rate,
        total.load_cpu_pct,
        total.late_s,
        total.load_behind(),
        total.joined,
        total.failed,
        total.vanished,
        timeline.join(",")
    );
}
