//! One room: members, the sequencer, recent history and fan-out, behind one lock, with
//! no connection in sight. A relay has many ([`crate::rooms`] keeps them); each has its
//! own log, seqs, presence and committer.
//!
//! Sessions call [`Room::join`], [`Room::submit`], [`Room::history`] and
//! [`Room::leave`]; the room answers through each member's [`MemberQueue`] (one per
//! session, shared by all the rooms it is in) and ends a session by closing that queue
//! with a [`Close`] (eviction), which the session, the owner of the connection, acts
//! on. Events go to the committer ([`committer`]), which appends them to the
//! [`RoomLog`] and only then publishes them: the same encoded bytes queued for every
//! member, acks to the senders.
//!
//! # Layout
//! - [`members`]: who is in, by name key and install.
//! - [`sequencer`]: new, duplicate or in-flight message ids, and who waits for acks.
//! - [`queue`]: a member's outgoing frames, bounded in bytes, and how it closes.
//! - [`pack`]: welcome, backlog and history pages packed by wire size.
//! - [`committer`]: appends, publish pacing, publishing (or, for fault injection, not).
//! - `follow.rs`: a room shared by several relays fans out from its log's feed.
//! - [`presence`]: which joins and leaves are logged; online counts.
//! - `join.rs`: admitting a member and its welcome; history pages.
//! - `close.rs`: leaving, archiving, closing the room (relay shutdown, deleted room).
//! - [`moderation`]: what the owners did that still holds (removed messages, mutes,
//!   removed installations), rebuilt from the log; `moderate.rs`: owners' actions and
//!   their enforcement once published.

mod close;
pub mod committer;
mod follow;
mod join;
pub mod members;
mod moderate;
pub mod moderation;
pub mod pack;
pub mod presence;
pub mod queue;
pub mod sequencer;

pub use close::Closing;

#[cfg(test)]
mod tests;

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use common::{
    protocol::{
        ClientMsgId, EventKind, InstallId, LeaveReason, RejectReason, RoomId, Seq, ServerFrame,
    },
    rate::TokenBucket,
    rules::validate_text,
};
use tokio::sync::{mpsc, watch};

use crate::{
    limits::Limits,
    log::{self, blocking, Entry, LogError, Resend, RoomLog, Stored},
    stats::Stats,
};
use committer::{Job, Publish};
use members::{Members, SessionId};
use moderation::Moderated;
use pack::encode;
use presence::Presence;
pub use queue::{Close, MemberQueue};
use sequencer::{Check, Sequencer};

/// Who a session is, as every room it is in knows it.
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
    /// The session is not (or no longer) a member: evicted, replaced, or the room is
    /// closed. Nothing was queued for it.
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
    /// Shared room: acks of messages stored past `published`, sent once the feed
    /// delivers them (a sender sees its message before its ack, as on one relay).
    awaiting: BTreeMap<Seq, Vec<(ClientMsgId, bool)>>,
    /// What the owners did that still holds.
    moderated: Moderated,
}

/// One room of the relay, shared by the sessions of its members.
pub struct Room {
    id: RoomId,
    name: String,
    archived: AtomicBool,
    /// True once closed with everything it logged durable.
    finished: watch::Sender<bool>,
    state: Mutex<State>,
    /// Shared by several relays: fans out from the log's feed ([`follow`]).
    shared: bool,
    jobs: mpsc::UnboundedSender<Job>,
    log: Arc<dyn RoomLog>,
    limits: Limits,
    stats: Arc<Stats>,
}

/// Relay time, ms since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// How a room is set up when it opens.
pub struct Setup {
    /// Its name (as `common::rules::validate_room_name` returns it).
    pub name: String,
    /// Its log.
    pub log: Arc<dyn RoomLog>,
    /// Archived: readable, not writable.
    pub archived: bool,
    /// Fault injection: store but neither publish nor acknowledge (see [`committer`]);
    /// not for a shared log.
    pub lose_acks: bool,
}

impl Room {
    /// Opens the room over its log (reading it off the async workers), logs
    /// `Left{Shutdown}` for whoever the log still records as present (a relay that
    /// stopped without shutting down), and starts the committer and presence ticker.
    pub async fn open(
        setup: Setup,
        limits: Limits,
        stats: Arc<Stats>,
    ) -> Result<Arc<Self>, LogError> {
        let Setup {
            name,
            log,
            archived,
            lose_acks,
        } = setup;
        let shared = log.is_shared();
        let reader = log.clone();
        // A shared log's present members may be on other relays: the cluster reaps
        // those of relays that died (`log::jetstream::members`).
        let stale = match shared {
            true => Vec::new(),
            false => blocking(move || reader.present()).await?,
        };
        if !stale.is_empty() {
            tracing::info!(
                room = %name,
                count = stale.len(),
                "logging members of the last run as left (it stopped without shutting down)"
            );
            let at_ms = now_ms();
            let entries = stale
                .into_iter()
                .map(|name| Entry {
                    at_ms,
                    kind: EventKind::Left {
                        name,
                        reason: LeaveReason::Shutdown,
                    },
                    resend: Resend::Fresh,
                })
                .collect();
            log::append(&*log, entries).await?;
        }
        let reader = log.clone();
        let cap = limits.history;
        let (history, counters, present, moderated) = blocking(move || {
            Ok((
                reader.before(Seq::MAX, cap)?,
                reader.install_counters()?,
                reader.present()?,
                Moderated::load(&*reader)?,
            ))
        })
        .await?;
        let history = moderated.redact_all(RoomId::of(&name), history);
        let published = history.last().map_or(0, |e| e.seq);
        let mut seq = Sequencer::new(counters, limits.history);
        for (id, seq_of) in history.iter().filter_map(|e| Some((e.id()?, e.seq))) {
            seq.remember(id, seq_of);
        }
        let feed = if shared { log.follow(published) } else { None };
        let presence = match feed {
            Some(_) => Presence::shared(limits.presence_limit, present),
            None => Presence::new(limits.presence_limit, present),
        };
        let (jobs, rx) = mpsc::unbounded_channel();
        let room = Arc::new(Self {
            id: RoomId::of(&name),
            name,
            archived: AtomicBool::new(archived),
            finished: watch::Sender::new(false),
            state: Mutex::new(State {
                members: Members::default(),
                seq,
                presence,
                history: history.into(),
                published,
                forgotten: 0,
                closed: false,
                awaiting: BTreeMap::new(),
                moderated,
            }),
            shared: feed.is_some(),
            jobs,
            log,
            limits,
            stats,
        });
        let publish = match (feed, lose_acks) {
            (Some(feed), _) => {
                tokio::spawn(follow::run(Arc::downgrade(&room), feed));
                Publish::Answer
            }
            (None, true) => Publish::LoseAcks,
            (None, false) => Publish::Fanout,
        };
        committer::start(Arc::downgrade(&room), rx, publish);
        tokio::spawn(presence::run_ticker(Arc::downgrade(&room)));
        Ok(room)
    }

    /// The room's id.
    pub fn id(&self) -> RoomId {
        self.id
    }

    /// The room's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True while the room is archived (read-only).
    pub fn is_archived(&self) -> bool {
        self.archived.load(Ordering::Relaxed)
    }

    /// The last published seq.
    pub fn last_seq(&self) -> Seq {
        self.state.lock().unwrap().published
    }

    /// Members online now.
    pub fn member_count(&self) -> usize {
        self.state.lock().unwrap().members.len()
    }

    /// True while `member`'s session is in the room.
    pub fn has(&self, member: &MemberRef) -> bool {
        let s = self.state.lock().unwrap();
        !s.closed && s.members.get(&member.key, member.session).is_some()
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

    /// Removes a member that cannot keep up, logs its leave, and closes its queue: the
    /// session ends, and leaves its other rooms.
    fn evict(&self, s: &mut State, key: &str, session: SessionId) {
        if let Some(m) = s.members.remove(key, session) {
            tracing::warn!(room = %self.name, name = %m.name, "evicting a member that cannot keep up");
            if m.queue.close(Close::TooSlow) {
                self.stats.evicted_slow.fetch_add(1, Ordering::Relaxed);
            }
            self.log.release(key, m.install);
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
        let owner = match s.members.get(&member.key, member.session) {
            Some(m) if !s.closed => m.owner,
            _ => return Submitted::Gone,
        };
        let room = self.id;
        let reject = |s: &mut State, reason| {
            let frame = ServerFrame::Rejected { room, id, reason };
            self.answer(s, member, encode(&frame));
            Submitted::Rejected(reason)
        };
        if self.is_archived() {
            return reject(&mut s, RejectReason::Archived);
        }
        if let Err(reason) = valid {
            return reject(&mut s, reason);
        }
        let muted = s.moderated.muted_until(member.install, now_ms());
        if let Some(until_ms) = muted.filter(|_| !owner) {
            return reject(&mut s, RejectReason::Muted { until_ms });
        }
        let resend = match s.seq.check(id, member.queue.clone()) {
            Check::Duplicate(seq) => {
                self.answer(&mut s, member, encode(&ServerFrame::Ack { room, id, seq }));
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
}
