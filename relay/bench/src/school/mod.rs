//! The school scenario (issue 13): one relay of many rooms. `--classes` class rooms of
//! `--class-size` members each chat at a human rate (each member posts once every
//! `--member-period-secs` on average), and one large room of `--big-room` members chats
//! at `--big-room-rate` messages/s in total. Every member is its own client and
//! connection ([`fill`]); posting is a Poisson process per room ([`chat`]).
//!
//! After the school has filled and settled, an idle period measures what the
//! connections alone cost (keep-alives), then steps of `--school-step-secs` run at the
//! human rate × `--school-start` × `--school-ramp`^k for `--school-steps` steps (by
//! default one step at the human rate),
//! stopping at the first step that falls behind (a loss, a member dropped, or p99 over
//! 100 ms in either kind of room). Per step: deliveries/s and latency p50/p99/max per
//! kind of room (send → receive, the sender's own copy included, as it is a delivery),
//! losses, the relay's and the load's CPU share of their cores, what else ran on each
//! of those two cores, the relay's RSS, and how late the load posted. A step that falls
//! behind is put down to the load (its core ≥ 90% or its posts late), the relay (its
//! core ≥ 90%) or the machine (other processes took ≥ 25% of either core).

pub mod chat;
pub mod fill;

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use anyhow::Result;
use hdrhistogram::Histogram;

use crate::{
    record::{max_ms, ms, Recorder},
    relay::{loadavg, CpuMark, Target},
    Cli,
};

/// Latency over which a step counts as falling behind.
const P99_LIMIT_MS: f64 = 100.0;
/// Seconds between the last join and the idle measurement (presence fan-out settles).
const SETTLE_SECS: f64 = 3.0;
/// Seconds of the idle measurement.
const IDLE_SECS: f64 = 5.0;
/// Seconds after a step for its last messages to arrive.
const DRAIN_SECS: f64 = 2.0;
/// A step in which the load's CPU share reaches this (%) or posts are this late at
/// p99 (ms) is called load-limited.
const LOAD_BUSY_PCT: f64 = 90.0;
const LOAD_LATE_MS: f64 = 10.0;
/// A step that falls behind while other processes (not the relay, not the load) took
/// this much (%) of the relay's or the load's core is called machine-limited: neither
/// of ours had its core to itself.
const OTHERS_ON_CORE_PCT: f64 = 25.0;

/// The kind of a room; indexes the recorders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Class = 0,
    Big = 1,
}

/// The school's shape, from the command line.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub classes: usize,
    pub class_size: usize,
    pub big: usize,
    pub member_period: f64,
    pub big_rate: f64,
    pub step_secs: f64,
    pub steps: usize,
    pub ramp: f64,
    pub start: f64,
}

impl Shape {
    /// Rooms the relay must allow (the default room counts too).
    pub fn rooms(&self) -> usize {
        self.classes + usize::from(self.big > 0) + 1
    }
}

/// One kind of room's result in a step.
#[derive(Default)]
struct KindResult {
    sent: u64,
    expected: u64,
    received: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl KindResult {
    fn losses(&self) -> u64 {
        self.expected.saturating_sub(self.received)
    }

    fn json(&self, secs: f64) -> String {
        format!(
            "{{\"msgs_per_s\":{:.0},\"delivered_per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"losses\":{}}}",
            self.sent as f64 / secs,
            self.received as f64 / secs,
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            self.losses()
        )
    }
}

/// Runs the school and prints each step and its JSON line.
pub async fn run(cli: &Cli, relay: &Target) -> Result<()> {
    let shape = cli.school_shape();
    let invite = relay.invite();
    let base = Instant::now();
    let recorders = [
        Rc::new(RefCell::new(Recorder::default())),
        Rc::new(RefCell::new(Recorder::default())),
    ];
    let members = shape.classes * shape.class_size + shape.big;
    println!(
        "\nschool: {} rooms × {} members (one post per member every {} s on average) + one room of {} ({} msgs/s); {members} clients, one connection each; load average {}",
        shape.classes, shape.class_size, shape.member_period, shape.big, shape.big_rate, loadavg()
    );
    let rss_before = relay.rss_bytes();
    let filled = fill::fill(&invite, cli.client_opts(), &shape, base, &recorders).await?;
    tokio::time::sleep(Duration::from_secs_f64(SETTLE_SECS)).await;
    let rss_filled = relay.rss_bytes();
    let per_client_kib = match (rss_before, rss_filled) {
        (Some(b), Some(a)) if filled.joined > 0 => {
            a.saturating_sub(b) as f64 / filled.joined as f64 / 1024.0
        }
        _ => f64::NAN,
    };
    println!(
        "joined {} of {members} in {:.1} s ({} failed{}); relay RSS {:.0} MiB ({per_client_kib:.1} KiB per client)",
        filled.joined,
        filled.secs,
        filled.failed,
        filled
            .first_error
            .as_ref()
            .map_or(String::new(), |e| format!(", first: {e}")),
        rss_filled.unwrap_or(0) as f64 / MIB,
    );
    let mark = CpuMark::now(relay);
    tokio::time::sleep(Duration::from_secs_f64(IDLE_SECS)).await;
    let idle = mark.since(relay);
    println!(
        "idle (connections only, {IDLE_SECS} s): relay CPU {:.0}%, load CPU {:.0}%, others {:.0}%",
        idle.relay, idle.load, idle.others
    );
    println!(
        "{:>6} {:>9} {:>12} {:>17} {:>17} {:>8} {:>6} {:>6} {:>6} {:>9} {:>8}",
        "factor",
        "msgs/s in",
        "delivered/s",
        "class p50/p99 ms",
        "big p50/p99 ms",
        "losses",
        "relay",
        "load",
        "others",
        "late p99",
        "RSS MiB"
    );
    let mut rooms = filled.rooms;
    for step in 0..shape.steps.max(1) {
        let factor = shape.start * shape.ramp.max(1.01).powi(step as i32);
        let late = Rc::new(RefCell::new(
            Histogram::new_with_bounds(1, 60_000_000, 3).expect("bounds"),
        ));
        let mark = CpuMark::now(relay);
        let timing = chat::Step {
            start: Instant::now() + Duration::from_millis(10),
            secs: shape.step_secs,
            index: step,
            base,
            late: late.clone(),
        };
        let chats: Vec<_> = rooms
            .drain(..)
            .enumerate()
            .map(|(i, room)| {
                let rate = factor
                    * match room.kind {
                        Kind::Class => room.members.len() as f64 / shape.member_period,
                        Kind::Big => shape.big_rate,
                    };
                let seed = (step as u64) << 32 | i as u64;
                chat::chat(room, rate, timing.clone(), seed)
            })
            .collect();
        let mut kinds = [KindResult::default(), KindResult::default()];
        let (mut dropped, mut first_error) = (0, None);
        for posted in crate::client::all(chats).await {
            let k = &mut kinds[posted.room.kind as usize];
            k.sent += posted.sent;
            k.expected += posted.expected;
            dropped += posted.dropped;
            first_error = first_error.or(posted.first_error);
            rooms.push(posted.room);
        }
        let cpu = mark.since(relay);
        let (relay_cpu, load_cpu) = (cpu.relay, cpu.load);
        tokio::time::sleep(Duration::from_secs_f64(DRAIN_SECS)).await;
        for (k, rec) in kinds.iter_mut().zip(&recorders) {
            if let Some(s) = rec.borrow().steps.get(step) {
                k.received = s.received;
                (k.p50_ms, k.p99_ms, k.max_ms) = (
                    ms(&s.latency_us, 0.5),
                    ms(&s.latency_us, 0.99),
                    max_ms(&s.latency_us),
                );
            }
        }
        let late_p99 = ms(&late.borrow(), 0.99);
        let rss = relay.rss_bytes().unwrap_or(0) as f64 / MIB;
        let secs = shape.step_secs;
        let [class, big] = &kinds;
        let sent = class.sent + big.sent;
        let received = class.received + big.received;
        let losses = class.losses() + big.losses();
        println!(
            "{factor:>6.2} {:>9.0} {:>12.0} {:>17} {:>17} {losses:>8} {relay_cpu:>5.0}% {load_cpu:>5.0}% {:>5.0}% {late_p99:>9.2} {rss:>8.0}",
            sent as f64 / secs,
            received as f64 / secs,
            format!("{:.2} / {:.2}", class.p50_ms, class.p99_ms),
            format!("{:.2} / {:.2}", big.p50_ms, big.p99_ms),
            cpu.others,
        );
        let behind =
            losses > 0 || dropped > 0 || class.p99_ms > P99_LIMIT_MS || big.p99_ms > P99_LIMIT_MS;
        let load_limited = load_cpu >= LOAD_BUSY_PCT || late_p99 > LOAD_LATE_MS;
        // What else ran on each of our two cores (other engineers' builds and tests).
        // On several load cores (`--load-cpus`): what others took per core on average.
        let load_cpus = &cli.load_cpus.0;
        let (relay_core, load_core) = (cpu.core(cli.relay_cpu), cpu.cores_sum(load_cpus));
        let relay_core_others = (relay_core - relay_cpu).max(0.0);
        let load_core_others = ((load_core - load_cpu) / cli.load_cpus.count() as f64).max(0.0);
        let limited_by = if !behind && !load_limited {
            "none"
        } else if load_cpu >= LOAD_BUSY_PCT {
            "load"
        } else if behind && relay_cpu >= LOAD_BUSY_PCT {
            "relay"
        } else if relay_core_others >= OTHERS_ON_CORE_PCT || load_core_others >= OTHERS_ON_CORE_PCT
        {
            "machine"
        } else if load_limited {
            "load"
        } else {
            "unclear"
        };
        println!(
            "        relay's core {relay_core:.0}% busy ({relay_core_others:.0}% others), load's core {load_core:.0}% busy ({load_core_others:.0}% others): limited by {limited_by}"
        );
        if let Some(e) = &first_error {
            println!("{dropped} members could not post (the relay ended them); first: {e}");
        }
        println!(
            "{{\"bench\":\"school\",\"classes\":{},\"class_size\":{},\"big\":{},\"joined\":{},\"factor\":{factor:.2},\"secs\":{secs},\"input_msgs_per_s\":{:.0},\"delivered_per_s\":{:.0},\"class\":{},\"big_room\":{},\"dropped\":{dropped},\"relay_cpu_pct\":{relay_cpu:.0},\"load_cpu_pct\":{load_cpu:.0},\"others_cpu_pct\":{:.0},\"steal_pct\":{:.0},\"relay_core_busy_pct\":{relay_core:.0},\"load_core_busy_pct\":{load_core:.0},\"idle_relay_cpu_pct\":{:.0},\"idle_load_cpu_pct\":{:.0},\"send_late_p99_ms\":{late_p99:.2},\"relay_rss_mib\":{rss:.0},\"rss_per_client_kib\":{per_client_kib:.1},\"fill_s\":{:.1},\"behind\":{behind},\"limited_by\":\"{limited_by}\"}}",
            shape.classes,
            shape.class_size,
            shape.big,
            filled.joined,
            sent as f64 / secs,
            received as f64 / secs,
            class.json(secs),
            big.json(secs),
            cpu.others,
            cpu.steal,
            idle.relay,
            idle.load,
            filled.secs,
        );
        if behind {
            break;
        }
    }
    Ok(())
}

const MIB: f64 = 1024.0 * 1024.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(classes: usize, big: usize) -> Shape {
        Shape {
            classes,
            class_size: 10,
            big,
            member_period: 5.0,
            big_rate: 2.0,
            step_secs: 20.0,
            steps: 1,
            ramp: 2.0,
            start: 1.0,
        }
    }

    #[test]
    fn rooms_count_the_default_room_and_the_large_one() {
        assert_eq!(shape(1000, 1000).rooms(), 1002);
        assert_eq!(shape(1000, 0).rooms(), 1001);
        assert_eq!(fill::class_room(7), "class-0007");
        assert_ne!(fill::class_room(7), fill::BIG_ROOM);
    }

    #[test]
    fn losses_never_go_negative() {
        let k = KindResult {
            expected: 10,
            received: 12,
            ..KindResult::default()
        };
        assert_eq!(k.losses(), 0);
        let k = KindResult {
            expected: 10,
            received: 7,
            ..KindResult::default()
        };
        assert_eq!(k.losses(), 3);
    }
}
