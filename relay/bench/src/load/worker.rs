//! One load thread's side: its own client endpoints, receivers and senders, on the
//! runtime it runs on, doing what the coordinator ([`super::Load`]) asks. While its
//! senders post, a probe records how late the thread wakes for a 1 ms timer: a thread
//! that falls behind on its receivers gets to its timers late too.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use anyhow::Result;
use common::invite::Invite;
use hdrhistogram::Histogram;
use tokio::sync::{mpsc, oneshot};

use crate::{
    client::{all, send_at, split_room, ClientOpts, Sender},
    record::{histogram, record_us, Recorder, StepRecord},
};

/// How often the lateness probe wakes.
const PROBE_PERIOD: Duration = Duration::from_millis(1);

/// What the coordinator asks of a thread.
pub enum Command {
    /// Join `receivers` receivers and `senders` senders (names starting with `prefix`);
    /// replies with how many senders joined.
    Fill {
        invites: Vec<Invite>,
        prefix: String,
        opts: ClientOpts,
        receivers: usize,
        senders: usize,
        reply: oneshot::Sender<Result<usize>>,
    },
    /// Post at `per_sender` messages/s from every sender for `secs` as step `step`.
    Step {
        per_sender: f64,
        secs: f64,
        step: usize,
        reply: oneshot::Sender<Sent>,
    },
    /// What this thread's receivers got of step `step`.
    Received {
        step: usize,
        reply: oneshot::Sender<StepRecord>,
    },
}

/// What a thread's senders did in a step.
pub struct Sent {
    /// Messages written.
    pub sent: u64,
    /// Senders whose connection failed (the relay dropped them).
    pub lost: usize,
    /// The first one's error.
    pub first_error: Option<anyhow::Error>,
    /// How late the thread woke for its timer (µs).
    pub late_us: Histogram<u64>,
}

impl Sent {
    /// Adds another thread's step to this one.
    pub fn merge(&mut self, other: Sent) {
        self.sent += other.sent;
        self.lost += other.lost;
        self.first_error = self.first_error.take().or(other.first_error);
        let _ = self.late_us.add(&other.late_us);
    }
}

/// Serves `commands` until the coordinator goes away; `base` is the clock the texts'
/// send times count from (one for every thread).
pub async fn serve(mut commands: mpsc::UnboundedReceiver<Command>, base: Instant) {
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let mut senders: Vec<Sender> = Vec::new();
    while let Some(command) = commands.recv().await {
        match command {
            Command::Fill {
                invites,
                prefix,
                opts,
                receivers,
                senders: n,
                reply,
            } => {
                let joined = split_room(&invites, &prefix, opts, receivers, n, base, &recorder)
                    .await
                    .map(|s| {
                        let joined = s.len();
                        senders.extend(s);
                        joined
                    });
                let _ = reply.send(joined);
            }
            Command::Step {
                per_sender,
                secs,
                step,
                reply,
            } => {
                let probe = tokio::task::spawn_local(probe(secs));
                let sends: Vec<_> = senders
                    .drain(..)
                    .map(|s| send_at(s, per_sender, secs, step, base))
                    .collect();
                let mut sent = Sent {
                    sent: 0,
                    lost: 0,
                    first_error: None,
                    late_us: histogram(),
                };
                for r in all(sends).await {
                    match r {
                        Ok((s, n)) => {
                            sent.sent += n;
                            senders.push(s);
                        }
                        Err(e) => {
                            sent.lost += 1;
                            sent.first_error.get_or_insert(e);
                        }
                    }
                }
                sent.late_us = probe.await.unwrap_or_else(|_| histogram());
                let _ = reply.send(sent);
            }
            Command::Received { step, reply } => {
                let record = recorder.borrow().steps.get(step).cloned();
                let _ = reply.send(record.unwrap_or_else(StepRecord::empty));
            }
        }
    }
}

/// Wakes every [`PROBE_PERIOD`] for `secs` and records how late each wake-up was.
async fn probe(secs: f64) -> Histogram<u64> {
    let mut late = histogram();
    let end = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        let due = Instant::now() + PROBE_PERIOD;
        if due > end {
            return late;
        }
        tokio::time::sleep_until(due.into()).await;
        record_us(&mut late, due.elapsed());
    }
}
