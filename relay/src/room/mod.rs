//! The room: members, the sequencer, recent history and fan-out, behind one lock, with
//! no connection in sight.
//!
//! Sessions call [`Room::join`], [`Room::submit`], [`Room::history`] and
//! [`Room::leave`]; the room answers through each member's [`MemberQueue`] and ends a
//! session by closing its queue with a [`Close`] (eviction, replacement, shutdown),
//! which the session, the owner of the connection, acts on. Events go to the committer
//! ([`committer`]), which appends them to the [`RoomLog`] in group commits and only then
//! publishes them: the same encoded bytes queued for every member, acks to the senders.
//!
//! # Layout
//! - [`members`]: who is in, by name key and install.
//! - [`sequencer`]: new, duplicate or in-flight message ids, and who waits for acks.
//! - [`queue`]: a member's outgoing frames, bounded in bytes, and how it closes.
//! - [`pack`]: welcome, backlog and history pages packed by wire size.
//! - [`committer`]: group commit, publish pacing, publishing (or, for fault injection,
//!   not).
//! - [`presence`]: which joins and leaves are logged; online counts.
//! - `join.rs`: admitting a session and its welcome; history pages.

pub mod committer;
mod join;
pub mod members;
pub mod pack;
pub mod presence;
pub mod queue;
pub mod sequencer;

#[cfg(test)]
mod tests;

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use common::{
    protocol::{ClientMsgId, EventKind, InstallId, LeaveReason, RejectReason, Seq, ServerFrame},
    rate::TokenBucket,
    rules::validate_text,
};
use tokio::sync::{mpsc, oneshot};

use crate::{
    limits::Limits,
    log::{Entry, LogError, Resend, RoomLog, Stored},
    stats::Stats,
};
use committer::Job;
use members::{Members, SessionId};
use pack::encode;
use presence::Presence;
pub use queue::{Close, MemberQueue};
use sequencer::{Check, Sequencer};

/// Who a session is, as the room knows it.
#[derive(Clone)]
pub struct MemberRef {
    /// Display name.
    pub name: String,
    /// Uniqueness key of the name.
    pub key: String,
    /// Its installation.
    pub install: InstallId,
    /// The session.
    pub session: SessionId,
    /// The session's outgoing queue.
    pub queue: Arc<MemberQueue>,
}

/// What became of a message a member sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// Handed to the log, which gives it its seq; acked once durable.
    Sequenced,
    /// Stored already under this seq: acked again, not published twice.
    Duplicate(Seq),
    /// A resend of a message on its way to the log: acked once that is durable.
    InFlight,
    /// Not accepted, with the reason the client was told.
    Rejected(RejectReason),
    /// The session is no longer a member (evicted, replaced, or the relay is stopping).
    Gone,
}

struct State {
    members: Members,
    seq: Sequencer<Arc<MemberQueue>>,
    presence: Presence,
    /// The last events published, oldest first, for welcomes and resumes.
    history: VecDeque<Stored>,
    /// The last seq published.
    published: Seq,
    /// The seq of the last event dropped from `history` (0: none yet).
    forgotten: Seq,
    closed: bool,
}

/// The room. Shared by every session of the relay.
pub struct Room {
    state: Mutex<State>,
    jobs: mpsc::UnboundedSender<Job>,
    log: Arc<dyn RoomLog>,
    limits: Limits,
    stats: Arc<Stats>,
    next_session: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Runs a blocking log call off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LogError> + Send + 'static,
) -> Result<T, LogError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| LogError::Task(e.to_string()))?
}

impl Room {
    /// Opens the room over `log` (reading it off the async workers), logs
    /// `Left{Shutdown}` for whoever the log still records as present (a relay that
    /// stopped without shutting down), and starts the committer and presence ticker.
    /// `lose_acks` selects the fault-injecting publisher (see [`committer`]).
    pub async fn open(
        log: Arc<dyn RoomLog>,
        limits: Limits,
        stats: Arc<Stats>,
        lose_acks: bool,
    ) -> Result<Arc<Self>, LogError> {
        let reader = log.clone();
        let cap = limits.history;
        let (history, counters, present) = blocking(move || {
            let present = reader.present()?;
            if !present.is_empty() {
                tracing::info!(
                    count = present.len(),
                    "logging members of the last run as left (it stopped without shutting down)"
                );
                let at_ms = now_ms();
                reader.append(
                    present
                        .iter()
                        .map(|name| Entry {
                            at_ms,
                            kind: EventKind::Left {
                                name: name.clone(),
                                reason: LeaveReason::Shutdown,
                            },
                            resend: Resend::Fresh,
                        })
                        .collect(),
                )?;
            }
            Ok((
                reader.before(Seq::MAX, cap)?,
                reader.install_counters()?,
                reader.present()?,
            ))
        })
        .await?;
        let published = history.last().map_or(0, |e| e.seq);
        let mut seq = Sequencer::new(counters, limits.history);
        for (id, seq_of) in history.iter().filter_map(|e| Some((e.id()?, e.seq))) {
            seq.remember(id, seq_of);
        }
        let (jobs, rx) = mpsc::unbounded_channel();
        let room = Arc::new(Self {
            state: Mutex::new(State {
                members: Members::default(),
                seq,
                presence: Presence::new(limits.presence_limit, present),
                history: history.into(),
                published,
                forgotten: 0,
                closed: false,
            }),
            jobs,
            log,
            limits,
            stats,
            next_session: AtomicU64::new(1),
        });
        committer::start(Arc::downgrade(&room), rx, lose_acks);
        tokio::spawn(presence::run_ticker(Arc::downgrade(&room)));
        Ok(room)
    }

    /// The last published seq.
    pub fn last_seq(&self) -> Seq {
        self.state.lock().unwrap().published
    }

    /// Members online now.
    pub fn member_count(&self) -> usize {
        self.state.lock().unwrap().members.len()
    }

    /// Queues an event for the log (under the state lock, so events go to the log in
    /// lock order).
    fn append(&self, kind: EventKind, resend: Resend) {
        let entry = Entry {
            at_ms: now_ms(),
            kind,
            resend,
        };
        // The committer lives as long as the room; a send fails only at teardown.
        let _ = self.jobs.send(Job::Append(entry));
    }

    /// Removes a member that cannot keep up and logs its leave.
    fn evict(&self, s: &mut State, key: &str, session: SessionId) {
        if let Some(m) = s.members.remove(key, session) {
            tracing::warn!(name = %m.name, "evicting a member that cannot keep up");
            self.stats.evicted_slow.fetch_add(1, Ordering::Relaxed);
            m.queue.close(Close::TooSlow);
            if s.presence.left(&m.name) {
                self.append(
                    EventKind::Left {
                        name: m.name,
                        reason: LeaveReason::TooSlow,
                    },
                    Resend::Fresh,
                );
            }
        }
    }

    /// Queues an answer to a member's own request. Answers count against its queue: a
    /// client that keeps asking and never reads is evicted, not buffered for ever.
    fn answer(&self, s: &mut State, member: &MemberRef, frame: Bytes) {
        if !member.queue.push(frame) {
            self.evict(s, &member.key, member.session);
        }
    }

    /// Answers a member's request with `frame` (a history page).
    pub fn reply(&self, member: &MemberRef, frame: Bytes) {
        let mut s = self.state.lock().unwrap();
        self.answer(&mut s, member, frame);
    }

    /// A message from `member`. Checked against the text rules, de-duplicated (the one
    /// place that does it) and rate-limited with `tokens` (resends of stored messages
    /// are free); the member is told the outcome — the ack once the message is durable.
    pub fn submit(
        &self,
        member: &MemberRef,
        id: ClientMsgId,
        text: String,
        tokens: &mut TokenBucket,
    ) -> Submitted {
        let valid = validate_text(&text);
        let mut s = self.state.lock().unwrap();
        if s.closed || s.members.get(&member.key, member.session).is_none() {
            return Submitted::Gone;
        }
        let reject = |s: &mut State, reason| {
            self.answer(s, member, encode(&ServerFrame::Rejected { id, reason }));
            Submitted::Rejected(reason)
        };
        if let Err(reason) = valid {
            return reject(&mut s, reason);
        }
        let resend = match s.seq.check(id, member.queue.clone()) {
            Check::Duplicate(seq) => {
                self.answer(&mut s, member, encode(&ServerFrame::Ack { id, seq }));
                return Submitted::Duplicate(seq);
            }
            Check::InFlight => return Submitted::InFlight,
            Check::New if !tokens.take() => return reject(&mut s, RejectReason::RateLimited),
            Check::New => Resend::Fresh,
            // A resend the log may hold: free if it does; if it does not, it is a new
            // message and costs a token, which the client may not have.
            Check::MaybeStored if tokens.take() => Resend::Maybe,
            Check::MaybeStored => Resend::OnlyIfStored,
        };
        s.seq.start(id, member.queue.clone());
        self.append(
            EventKind::Message {
                sender: member.name.clone(),
                text,
                id,
            },
            resend,
        );
        Submitted::Sequenced
    }

    /// Ends a member's session: removes it (if it is still the member), logs its leave,
    /// and closes its queue — for a client that left, after the acks of everything it
    /// sent before (the close goes through the committer behind its messages).
    pub fn leave(&self, member: &MemberRef, reason: LeaveReason) {
        let close = match reason {
            LeaveReason::Left => Close::Left,
            LeaveReason::ProtocolError => Close::ProtocolError,
            LeaveReason::TooSlow => Close::TooSlow,
            LeaveReason::Shutdown => Close::Shutdown,
            LeaveReason::ConnectionLost => Close::Lost,
        };
        let mut s = self.state.lock().unwrap();
        if let Some(m) = s.members.remove(&member.key, member.session) {
            if s.presence.left(&m.name) {
                self.append(
                    EventKind::Left {
                        name: m.name,
                        reason,
                    },
                    Resend::Fresh,
                );
            }
        }
        if close.discards() {
            member.queue.close(close);
        } else {
            let _ = self.jobs.send(Job::Close(member.queue.clone(), close));
        }
    }

    /// Stops admitting and sequencing, logs `Left{Shutdown}` for everyone present and
    /// waits until every event so far is durable and published; then closes every
    /// member's queue with a bye.
    pub async fn shutdown(&self) {
        let (done_tx, done_rx) = oneshot::channel();
        {
            let mut s = self.state.lock().unwrap();
            s.closed = true;
            for name in s.presence.take_all() {
                self.append(
                    EventKind::Left {
                        name,
                        reason: LeaveReason::Shutdown,
                    },
                    Resend::Fresh,
                );
            }
            let _ = self.jobs.send(Job::Flush(done_tx));
        }
        let _ = done_rx.await;
        let mut s = self.state.lock().unwrap();
        for m in s.members.drain() {
            m.queue.close(Close::Shutdown);
        }
    }
}
