//! The load of one room (fan-out, light, human), spread over `--load-threads` threads.
//! Each thread runs its own current-thread tokio runtime with its own client endpoints,
//! receivers and senders ([`worker`]); the receivers and the senders are dealt out
//! evenly. The coordinator (the scenario, on the caller's runtime) tells every thread
//! to fill, to post a step, and to hand over what its receivers got, and adds the
//! threads' counts and histograms up. With one thread (the default) the worker runs as
//! a task on the caller's runtime, as the load always did, and no thread is started.
//! Every thread inherits the process's pinning (`--load-cpus`); each one's CPU time is
//! read from `/proc/self/task/<tid>/stat`, to tell a thread that is busy on its own.

pub mod worker;

use std::{
    thread::JoinHandle,
    time::{Duration, Instant},
};

use anyhow::{anyhow, Context, Result};
use common::invite::Invite;
use tokio::sync::{mpsc, oneshot};
use worker::{Command, Sent};

use crate::{
    client::ClientOpts,
    record::{histogram, StepRecord},
    relay::process_cpu_time,
};

/// The load's threads, each with its share of one room.
pub struct Load {
    workers: Vec<Worker>,
    threads: Vec<JoinHandle<()>>,
    receivers: usize,
    senders: usize,
}

struct Worker {
    commands: mpsc::UnboundedSender<Command>,
    /// Its OS thread's id, for its CPU time.
    tid: Option<u32>,
}

/// `n` dealt out over `parts`: part `k`'s share.
fn share(n: usize, parts: usize, k: usize) -> usize {
    n / parts + usize::from(k < n % parts)
}

/// This thread's id, from `/proc/thread-self/stat`.
fn own_tid() -> Option<u32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

impl Load {
    /// The load of a one-room scenario: `receivers` and `senders` in the room of
    /// `relay`'s invites, on `--load-threads` threads, once the relay has settled.
    pub async fn for_room(
        cli: &crate::Cli,
        relay: &crate::relay::Target,
        receivers: usize,
        senders: usize,
    ) -> Result<Self> {
        let invites = relay.invites();
        let load = Self::fill(
            cli.load_threads,
            &invites,
            cli.client_opts(),
            receivers,
            senders,
            Instant::now(),
        )
        .await?;
        crate::relay::settle(relay).await;
        Ok(load)
    }

    /// Starts `threads` threads (one: a task here) and fills the room of `invites`
    /// with `receivers` receivers and `senders` senders dealt out over them.
    pub async fn fill(
        threads: usize,
        invites: &[Invite],
        opts: ClientOpts,
        receivers: usize,
        senders: usize,
        base: Instant,
    ) -> Result<Self> {
        let mut load = Self::start(threads.max(1), base).await?;
        load.receivers = receivers;
        let parts = load.workers.len();
        // One thread after the other: the relay sees at most one thread's handshakes
        // in flight (128), as with one thread.
        for (k, w) in load.workers.iter().enumerate() {
            let (reply, joined) = oneshot::channel();
            w.send(Command::Fill {
                invites: invites.to_vec(),
                // Names are unique across threads; the first thread's are as they were.
                prefix: if k == 0 {
                    String::new()
                } else {
                    format!("t{k}")
                },
                opts,
                receivers: share(receivers, parts, k),
                senders: share(senders, parts, k),
                reply,
            })?;
            load.senders += joined.await.map_err(|_| ended())??;
        }
        Ok(load)
    }

    async fn start(threads: usize, base: Instant) -> Result<Self> {
        let mut load = Self {
            workers: Vec::new(),
            threads: Vec::new(),
            receivers: 0,
            senders: 0,
        };
        if threads == 1 {
            let (commands, rx) = mpsc::unbounded_channel();
            tokio::task::spawn_local(worker::serve(rx, base));
            load.workers.push(Worker {
                commands,
                tid: own_tid(),
            });
            return Ok(load);
        }
        for k in 0..threads {
            let (commands, rx) = mpsc::unbounded_channel();
            let (tid_tx, tid) = oneshot::channel();
            let thread = std::thread::Builder::new()
                .name(format!("load-{k}"))
                .spawn(move || {
                    let _ = tid_tx.send(own_tid());
                    let rt = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt,
                        Err(e) => return eprintln!("load thread {k}: no runtime: {e}"),
                    };
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&rt, worker::serve(rx, base));
                    // Its clients go with it.
                    drop(local);
                    rt.shutdown_timeout(Duration::from_secs(1));
                })
                .context("starting a load thread")?;
            load.threads.push(thread);
            load.workers.push(Worker {
                commands,
                tid: tid.await.ok().flatten(),
            });
        }
        Ok(load)
    }

    /// Threads.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// Receivers in the room (every one joined).
    pub fn receivers(&self) -> usize {
        self.receivers
    }

    /// Senders that joined.
    pub fn senders(&self) -> usize {
        self.senders
    }

    /// Every sender posts its share of `rate` messages/s for `secs`, as step `step`;
    /// the threads' counts added up.
    pub async fn step(&self, rate: f64, secs: f64, step: usize) -> Result<Sent> {
        let per_sender = rate / self.senders.max(1) as f64;
        let mut replies = Vec::new();
        for w in &self.workers {
            let (reply, sent) = oneshot::channel();
            w.send(Command::Step {
                per_sender,
                secs,
                step,
                reply,
            })?;
            replies.push(sent);
        }
        let mut total = Sent {
            sent: 0,
            lost: 0,
            first_error: None,
            late_us: histogram(),
        };
        for sent in replies {
            total.merge(sent.await.map_err(|_| ended())?);
        }
        Ok(total)
    }

    /// What every thread's receivers got of step `step`, added up.
    pub async fn received(&self, step: usize) -> Result<StepRecord> {
        let mut total = StepRecord::empty();
        for w in &self.workers {
            let (reply, record) = oneshot::channel();
            w.send(Command::Received { step, reply })?;
            total.merge(&record.await.map_err(|_| ended())?);
        }
        Ok(total)
    }

    /// Each thread's CPU time so far (None where unknown).
    fn cpu_times(&self) -> Vec<Option<Duration>> {
        self.workers
            .iter()
            .map(|w| process_cpu_time(&format!("self/task/{}", w.tid?)))
            .collect()
    }

    /// The threads' CPU times now, for [`ThreadMark::busiest_since`].
    pub fn mark(&self) -> ThreadMark {
        ThreadMark {
            times: self.cpu_times(),
            at: Instant::now(),
        }
    }
}

impl Worker {
    fn send(&self, command: Command) -> Result<()> {
        self.commands.send(command).map_err(|_| ended())
    }
}

fn ended() -> anyhow::Error {
    anyhow!("a load thread ended")
}

impl Drop for Load {
    fn drop(&mut self) {
        // Closing the command channels ends the threads (and their clients).
        self.workers.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The load's threads' CPU times at one moment.
pub struct ThreadMark {
    times: Vec<Option<Duration>>,
    at: Instant,
}

impl ThreadMark {
    /// The busiest thread's share of a core since the mark (%; NaN if unknown).
    pub fn busiest_since(&self, load: &Load) -> f64 {
        let secs = self.at.elapsed().as_secs_f64().max(1e-3);
        self.times
            .iter()
            .zip(load.cpu_times())
            .filter_map(|(a, b)| Some(b?.saturating_sub((*a)?).as_secs_f64() / secs * 100.0))
            .fold(f64::NAN, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_differ_by_one_at_most() {
        for (n, parts) in [(100, 1), (100, 3), (4, 3), (1, 4), (0, 2), (1000, 7)] {
            let shares: Vec<_> = (0..parts).map(|k| share(n, parts, k)).collect();
            assert_eq!(shares.iter().sum::<usize>(), n);
            assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
        }
    }
}
