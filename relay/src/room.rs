//! The room: members, the sequencer, the recent history, and fan-out.
//!
//! Every change to the room is an event in one log. Events are sequenced under the
//! room's lock, written to the [`Store`] in groups by the committer task, and only then
//! published: encoded once and the same bytes queued for every member, the sender
//! included, in seq order. A message is acknowledged after it is durable. Publishing
//! never waits for a client: a member whose queue is full is evicted as too slow.
//!
//! This module is the seam for the room's log: sequencing, persistence and fan-out live
//! behind [`Room::submit`] and the committer, so a shared log between relays could
//! replace them without touching sessions.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use common::{
    codec,
    protocol::{
        ByeReason, ClientMsgId, EventKind, Hello, InstallId, LeaveReason, RefuseReason,
        RoomEvent, Seq, ServerFrame, Welcome, MAX_FRAME_BYTES,
    },
    rules::name_key,
    rate::TokenBucket,
};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::{
    limits::Limits,
    store::{Record, Store},
};

/// Bytes of a welcome frame given to member names before they spill into
/// `Members` frames.
const WELCOME_MEMBERS_BYTES: usize = 16 * 1024;
/// Bytes of a welcome frame given to backlog events before they follow as frames.
const WELCOME_BACKLOG_BYTES: usize = MAX_FRAME_BYTES - WELCOME_MEMBERS_BYTES - 1024;

/// A member's queue of encoded frames, drained by its connection's writer.
pub struct Outq {
    state: Mutex<OutqState>,
    notify: Notify,
    cap: usize,
    finished: std::sync::atomic::AtomicBool,
}

struct OutqState {
    frames: Vec<Bytes>,
    /// Frames queued past the limit ([`Outq::push_always`]) and not yet taken: they do
    /// not count against it, so a welcome with a long replay does not make the member
    /// look slow.
    exempt: usize,
    closed: bool,
}

impl Outq {
    /// A queue holding at most `cap` frames.
    pub fn new(cap: usize) -> Self {
        Self {
            state: Mutex::new(OutqState {
                frames: Vec::new(),
                exempt: 0,
                closed: false,
            }),
            notify: Notify::new(),
            cap,
            finished: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Marks the queue's writer as done (everything written, or the stream failed).
    pub fn set_finished(&self) {
        self.finished.store(true, Ordering::Release);
    }

    /// True once the writer is done.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Queues a frame; false when the queue is full or closed.
    pub fn push(&self, frame: Bytes) -> bool {
        self.push_all(std::slice::from_ref(&frame))
    }

    /// Queues frames, all or none (one lock and one wake-up for a published batch);
    /// false when they do not fit or the queue is closed.
    pub fn push_all(&self, frames: &[Bytes]) -> bool {
        let mut s = self.state.lock().unwrap();
        if s.closed || s.frames.len() - s.exempt + frames.len() > self.cap {
            return false;
        }
        s.frames.extend_from_slice(frames);
        drop(s);
        self.notify.notify_one();
        true
    }

    /// Queues a frame whatever the limit (welcome, backlog, acks of published messages):
    /// for frames whose number the relay bounds, never for answers a client can provoke.
    pub fn push_always(&self, frame: Bytes) {
        let mut s = self.state.lock().unwrap();
        if !s.closed {
            s.frames.push(frame);
            s.exempt += 1;
        }
        drop(s);
        self.notify.notify_one();
    }

    /// Closes the queue after an optional last frame; the writer finishes the stream
    /// once what is queued is written.
    pub fn close(&self, last: Option<Bytes>) {
        let mut s = self.state.lock().unwrap();
        if !s.closed {
            s.frames.extend(last);
            s.closed = true;
        }
        drop(s);
        self.notify.notify_one();
    }

    /// Moves every queued frame into `into`, waiting for one if there is none. Returns
    /// false when the queue is closed (after its last frames).
    pub async fn next_batch(&self, into: &mut Vec<Bytes>) -> bool {
        loop {
            {
                let mut s = self.state.lock().unwrap();
                if !s.frames.is_empty() || s.closed {
                    std::mem::swap(into, &mut s.frames);
                    s.exempt = 0;
                    return !s.closed;
                }
            }
            self.notify.notified().await;
        }
    }
}

/// A member of the room: one session.
struct Member {
    name: String,
    install: InstallId,
    conn_id: u64,
    queue: Arc<Outq>,
    conn: quinn::Connection,
}

/// Who a session is, as the room knows it.
#[derive(Clone)]
pub struct MemberRef {
    /// Display name.
    pub name: String,
    /// Uniqueness key of the name.
    pub key: String,
    /// The connection.
    pub conn_id: u64,
    /// The session's outgoing queue.
    pub queue: Arc<Outq>,
}

/// One event kept in memory: its frame for fan-out and replay, the event for welcomes.
struct Stored {
    seq: Seq,
    frame: Bytes,
    event: RoomEvent,
}

enum Job {
    Append {
        event: RoomEvent,
        reply: Option<(Arc<Outq>, ClientMsgId)>,
    },
    Ack {
        queue: Arc<Outq>,
        id: ClientMsgId,
        seq: Seq,
    },
    Flush(oneshot::Sender<()>),
}

/// Counters for operators, tests and benchmarks.
#[derive(Default, Debug)]
pub struct Stats {
    /// Hellos accepted (sessions that joined).
    pub joined: AtomicU64,
    /// Messages sequenced.
    pub messages: AtomicU64,
    /// Members evicted as too slow.
    pub evicted_slow: AtomicU64,
    /// Group commits made.
    pub commits: AtomicU64,
    /// Connections asked to prove their address first (QUIC retry).
    pub retries: AtomicU64,
}

struct State {
    /// By name key, so welcomes list members in name order without sorting.
    members: BTreeMap<String, Member>,
    by_install: HashMap<InstallId, String>,
    next_seq: Seq,
    published: Seq,
    history: VecDeque<Stored>,
    counters: HashMap<InstallId, u64>,
    pending: HashMap<ClientMsgId, Seq>,
    closed: bool,
}

/// The room. Shared by every session of the relay.
pub struct Room {
    state: Mutex<State>,
    jobs: mpsc::UnboundedSender<Job>,
    store: Store,
    limits: Limits,
    stats: Arc<Stats>,
    /// Fault injection for tests: store events but neither publish nor acknowledge them.
    lose_acks: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Encodes a frame of the relay's. Every relay frame is built within the frame limit
/// (texts and names are checked, welcomes and member lists are split by size).
pub(crate) fn encode(frame: &ServerFrame) -> Bytes {
    codec::encode(frame).expect("relay frames stay within the frame limit")
}

impl Room {
    /// Opens the room over a store and starts its committer task.
    pub fn open(
        store: Store,
        limits: Limits,
        stats: Arc<Stats>,
        lose_acks: bool,
    ) -> Result<Arc<Self>, crate::store::StoreError> {
        let history: VecDeque<Stored> = decode_stored(store.recent(limits.history)?)
            .map(|(frame, event)| Stored {
                seq: event.seq,
                frame,
                event,
            })
            .collect();
        let last = store.last_seq()?;
        let counters = store.install_counters()?;
        let (jobs, rx) = mpsc::unbounded_channel();
        let room = Arc::new(Self {
            state: Mutex::new(State {
                members: BTreeMap::new(),
                by_install: HashMap::new(),
                next_seq: last + 1,
                published: last,
                history,
                counters,
                pending: HashMap::new(),
                closed: false,
            }),
            jobs,
            store,
            limits,
            stats,
            lose_acks,
        });
        tokio::spawn(committer(Arc::downgrade(&room), rx));
        tokio::spawn(online_counts(Arc::downgrade(&room)));
        Ok(room)
    }

    /// Tells every member how many are online, if the room is over the presence limit
    /// (or just came back under it) and the count changed since `sent`, the count last
    /// told.
    fn tell_online(&self, sent: &mut Option<usize>) {
        let s = self.state.lock().unwrap();
        let count = s.members.len();
        let large = count > self.limits.presence_limit;
        if s.closed || !(large || sent.is_some()) || *sent == Some(count) {
            return;
        }
        let frame = encode(&ServerFrame::Online {
            count: count as u32,
            as_of: s.next_seq - 1,
        });
        for m in s.members.values() {
            // A full queue is evicted by the next publish; the count is not worth more.
            m.queue.push(frame.clone());
        }
        let limit = self.limits.presence_limit;
        match (sent.is_some(), large) {
            (false, true) => tracing::info!(
                "{count} members online, over the presence limit of {limit}: joins and \
                 leaves are no longer logged, members get the count"
            ),
            (true, false) => tracing::info!(
                "{count} members online, within the presence limit of {limit} again: joins \
                 and leaves are logged"
            ),
            _ => {}
        }
        *sent = large.then_some(count);
    }

    /// The durable log.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The last published seq.
    pub fn last_seq(&self) -> Seq {
        self.state.lock().unwrap().published
    }

    /// Members online now.
    pub fn member_count(&self) -> usize {
        self.state.lock().unwrap().members.len()
    }

    /// Appends an event to the log (under the state lock, so seqs follow lock order).
    fn append(
        &self,
        s: &mut State,
        kind: EventKind,
        reply: Option<(Arc<Outq>, ClientMsgId)>,
    ) -> Seq {
        let seq = s.next_seq;
        s.next_seq += 1;
        let event = RoomEvent {
            seq,
            at_ms: now_ms(),
            kind,
        };
        // The committer lives as long as the room; a send fails only at teardown.
        let _ = self.jobs.send(Job::Append { event, reply });
        seq
    }

    /// Admits a session: takes over the name from an older session of the same install,
    /// sends the welcome and backlog, and announces the join.
    pub fn join(
        &self,
        name: String,
        hello: &Hello,
        conn: &quinn::Connection,
    ) -> Result<MemberRef, RefuseReason> {
        let key = name_key(&name);
        let queue = Arc::new(Outq::new(self.limits.queue_frames));
        // Events older than memory come from disk, read before taking the lock.
        let disk = match hello.resume_after {
            Some(after) => self.read_disk(after),
            None => Ok(Vec::new()),
        };
        let mut s = self.state.lock().unwrap();
        if s.closed {
            return Err(RefuseReason::RelayFull);
        }
        // The name must be free (or this install's own) before an older session of this
        // install is replaced: a refused hello leaves the room as it was.
        if s.members
            .get(&key)
            .is_some_and(|m| m.install != hello.install)
        {
            return Err(RefuseReason::NameTaken);
        }
        let mut replaced_name = None;
        if let Some(old_key) = s.by_install.remove(&hello.install) {
            if let Some(old) = s.members.remove(&old_key) {
                tracing::info!(name = %old.name, "session replaced by a new connection");
                old.queue
                    .close(Some(encode(&ServerFrame::Bye(ByeReason::Replaced))));
                old.conn
                    .close(ByeReason::Replaced.close_code().into(), b"replaced");
                replaced_name = Some(old.name);
            }
        }
        if s.members.len() >= self.limits.max_clients {
            return Err(RefuseReason::RelayFull);
        }

        // The new member is in the room from here on (nothing is published until the
        // lock is released, so its welcome is the first frame it gets).
        let conn_id = conn.stable_id() as u64;
        s.members.insert(
            key.clone(),
            Member {
                name: name.clone(),
                install: hello.install,
                conn_id,
                queue: queue.clone(),
                conn: conn.clone(),
            },
        );
        s.by_install.insert(hello.install, key.clone());

        // Welcome: members (in a room small enough to list them), then backlog as far
        // as it fits; the rest follows as frames.
        let online = s.members.len();
        let names: Vec<String> = if online <= self.limits.presence_limit {
            s.members.values().map(|m| m.name.clone()).collect()
        } else {
            Vec::new()
        };
        let (backlog, gap) = self.backlog(&s, hello.resume_after, disk);
        let mut members = Vec::new();
        let mut used = 0;
        let mut rest = names.into_iter().peekable();
        while let Some(n) = rest.next_if(|n| used + n.len() + 2 <= WELCOME_MEMBERS_BYTES) {
            used += n.len() + 2;
            members.push(n);
        }
        let mut inline = Vec::new();
        let mut used = 0;
        let mut later = backlog.into_iter().peekable();
        while let Some((frame, event)) =
            later.next_if(|(f, _)| used + f.len() <= WELCOME_BACKLOG_BYTES)
        {
            used += frame.len();
            inline.push(event);
        }
        queue.push_always(encode(&ServerFrame::Welcome(Welcome {
            name: name.clone(),
            members,
            online: online as u32,
            members_as_of: s.next_seq - 1,
            backlog: inline,
            last_seq: s.published,
            gap,
            rate: self.limits.rate,
        })));
        let mut chunk = Vec::new();
        let mut used = 0;
        for n in rest {
            if used + n.len() + 2 > WELCOME_MEMBERS_BYTES * 2 {
                queue.push_always(encode(&ServerFrame::Members(std::mem::take(&mut chunk))));
                used = 0;
            }
            used += n.len() + 2;
            chunk.push(n);
        }
        if !chunk.is_empty() {
            queue.push_always(encode(&ServerFrame::Members(chunk)));
        }
        for (frame, _) in later {
            queue.push_always(frame);
        }

        match replaced_name {
            Some(old) if old == name => {}
            Some(old) => {
                self.announce(
                    &mut s,
                    EventKind::Left {
                        name: old,
                        reason: LeaveReason::Left,
                    },
                );
                self.announce(&mut s, EventKind::Joined { name: name.clone() });
            }
            None => self.announce(&mut s, EventKind::Joined { name: name.clone() }),
        }
        self.stats.joined.fetch_add(1, Ordering::Relaxed);
        Ok(MemberRef {
            name,
            key,
            conn_id,
            queue,
        })
    }

    /// Events after `after` from disk, when memory does not reach back that far. Reads
    /// up to the last published seq, not just to memory's oldest event: events may leave
    /// memory before the caller takes the lock again ([`Room::backlog`] drops the overlap).
    fn read_disk(&self, after: Seq) -> Result<Vec<(Bytes, RoomEvent)>, crate::store::StoreError> {
        let (oldest_in_memory, published) = {
            let s = self.state.lock().unwrap();
            (s.history.front().map(|e| e.seq), s.published)
        };
        if oldest_in_memory.is_some_and(|o| o <= after.saturating_add(1)) {
            return Ok(Vec::new());
        }
        let events = self.store.range(after, published, self.limits.max_replay)?;
        Ok(decode_stored(events).collect())
    }

    /// The events a joining session gets, as (frame, event), and whether some are lost.
    fn backlog(
        &self,
        s: &State,
        resume_after: Option<Seq>,
        disk: Result<Vec<(Bytes, RoomEvent)>, crate::store::StoreError>,
    ) -> (Vec<(Bytes, RoomEvent)>, bool) {
        let Some(after) = resume_after else {
            let skip = s.history.len().saturating_sub(self.limits.backlog);
            let recent = s.history.iter().skip(skip);
            return (
                recent.map(|e| (e.frame.clone(), e.event.clone())).collect(),
                false,
            );
        };
        let mut out = disk.unwrap_or_else(|e| {
            tracing::error!("reading the log for a resume failed: {e}");
            Vec::new()
        });
        let last_from_disk = out.last().map_or(after, |(_, e)| e.seq);
        out.extend(
            s.history
                .iter()
                .filter(|e| e.seq > last_from_disk)
                .map(|e| (e.frame.clone(), e.event.clone())),
        );
        // Any hole between the resume point and the replay means events were lost.
        let mut gap = false;
        let mut expected = after.saturating_add(1);
        for (_, e) in &out {
            gap |= e.seq != expected;
            expected = e.seq + 1;
        }
        // A client that saw more than this relay has: the relay's log was reset.
        gap |= after > s.published;
        (out, gap)
    }

    /// True when `id` may already be in the log (its counter is not new), so the caller
    /// should look it up before submitting.
    pub fn maybe_seen(&self, id: ClientMsgId) -> bool {
        let s = self.state.lock().unwrap();
        s.counters
            .get(&id.install)
            .is_some_and(|c| id.counter <= *c)
    }

    /// Looks a client id up in the durable log.
    pub fn stored_seq(&self, id: ClientMsgId) -> Option<Seq> {
        self.store.lookup(id).unwrap_or_else(|e| {
            tracing::error!("looking up a message id failed: {e}");
            None
        })
    }

    /// Sequences a message from `member`. The member gets an ack once it is durable; a
    /// resend of an id still being stored is acked once, after it is.
    pub fn submit(&self, member: &MemberRef, id: ClientMsgId, text: String) {
        let mut s = self.state.lock().unwrap();
        if s.closed
            || s.members
                .get(&member.key)
                .is_none_or(|m| m.conn_id != member.conn_id)
        {
            return; // Evicted or replaced meanwhile.
        }
        // A resend: of a message still being stored (acked once it is), or of one whose
        // commit finished after the caller looked it up (acked from the log, rarely, so
        // the read under the lock is acceptable). Either way it is not sequenced twice.
        let seen = s
            .counters
            .get(&id.install)
            .is_some_and(|c| id.counter <= *c);
        let earlier = match s.pending.get(&id) {
            Some(&seq) => Some(seq),
            None if seen => self.stored_seq(id),
            None => None,
        };
        if let Some(seq) = earlier {
            let _ = self.jobs.send(Job::Ack {
                queue: member.queue.clone(),
                id,
                seq,
            });
            return;
        }
        let counter = s.counters.entry(id.install).or_insert(0);
        *counter = (*counter).max(id.counter);
        let seq = self.append(
            &mut s,
            EventKind::Message {
                sender: member.name.clone(),
                text,
                id,
            },
            Some((member.queue.clone(), id)),
        );
        s.pending.insert(id, seq);
        self.stats.messages.fetch_add(1, Ordering::Relaxed);
    }

    /// Removes a session if it is still the member under its name, and logs the leave.
    pub fn leave(&self, member: &MemberRef, reason: LeaveReason) {
        let mut s = self.state.lock().unwrap();
        if s.closed
            || s.members
                .get(&member.key)
                .is_none_or(|m| m.conn_id != member.conn_id)
        {
            return;
        }
        if let Some(m) = s.members.remove(&member.key) {
            s.by_install.remove(&m.install);
            self.announce(
                &mut s,
                EventKind::Left {
                    name: m.name,
                    reason,
                },
            );
        }
    }

    /// Logs a join or leave, unless the room is larger than the presence limit: there,
    /// announcing every arrival to everyone would cost more than the chat itself.
    fn announce(&self, s: &mut State, kind: EventKind) {
        if s.members.len() <= self.limits.presence_limit {
            self.append(s, kind, None);
        }
    }

    /// Publishes a durable batch: history, fan-out (each member gets the batch's events
    /// in one push), then acks; evicts members that cannot keep up.
    fn publish(&self, batch: Vec<(Job, Option<Bytes>)>) {
        let mut s = self.state.lock().unwrap();
        let mut slow = Vec::new();
        let fanout: Vec<Bytes> = batch
            .iter()
            .filter(|(job, _)| matches!(job, Job::Append { .. }) && !self.lose_acks)
            .filter_map(|(_, frame)| frame.clone())
            .collect();
        if !fanout.is_empty() {
            for (key, m) in &s.members {
                if !m.queue.push_all(&fanout) {
                    slow.push(key.clone());
                }
            }
        }
        for (job, frame) in batch {
            match (job, frame) {
                (Job::Append { reply, .. }, Some(_)) if self.lose_acks => {
                    // Fault injection: stored, then "died" before anyone heard of it.
                    if let Some((_, id)) = reply {
                        s.pending.remove(&id);
                    }
                }
                (Job::Append { event, reply }, Some(frame)) => {
                    // Already queued for every member above.
                    let seq = event.seq;
                    s.published = seq;
                    s.history.push_back(Stored { seq, frame, event });
                    if s.history.len() > self.limits.history {
                        s.history.pop_front();
                    }
                    if let Some((queue, id)) = reply {
                        s.pending.remove(&id);
                        queue.push_always(encode(&ServerFrame::Ack { id, seq }));
                    }
                }
                (Job::Append { event, reply }, None) => {
                    // Not durable: the message is rejected, nothing is published.
                    if let Some((queue, id)) = reply {
                        s.pending.remove(&id);
                        queue.push_always(encode(&ServerFrame::Rejected {
                            id,
                            reason: common::protocol::RejectReason::StorageFailed,
                        }));
                    }
                    s.published = s.published.max(event.seq);
                }
                (Job::Ack { queue, id, seq }, _) => {
                    if !self.lose_acks {
                        queue.push_always(encode(&ServerFrame::Ack { id, seq }));
                    }
                }
                (Job::Flush(done), _) => {
                    let _ = done.send(());
                }
            }
        }
        for key in slow {
            if let Some(m) = s.members.remove(&key) {
                tracing::warn!(name = %m.name, "evicting a member that cannot keep up");
                self.stats.evicted_slow.fetch_add(1, Ordering::Relaxed);
                s.by_install.remove(&m.install);
                m.queue.close(None);
                m.conn
                    .close(ByeReason::TooSlow.close_code().into(), b"too slow");
                self.announce(
                    &mut s,
                    EventKind::Left {
                        name: m.name,
                        reason: LeaveReason::TooSlow,
                    },
                );
            }
        }
    }

    /// Stops admitting and sequencing, says bye to every member and waits until every
    /// event sequenced so far is durable and published. Returns the members' queues, whose
    /// writers are now draining.
    pub async fn shutdown(&self) -> Vec<Arc<Outq>> {
        let (done_tx, done_rx) = oneshot::channel();
        {
            let mut s = self.state.lock().unwrap();
            // Flush is queued behind every event sequenced so far.
            let _ = self.jobs.send(Job::Flush(done_tx));
            s.closed = true;
        }
        let _ = done_rx.await;
        let mut s = self.state.lock().unwrap();
        let bye = encode(&ServerFrame::Bye(ByeReason::Shutdown));
        s.by_install.clear();
        std::mem::take(&mut s.members)
            .into_values()
            .map(|m| {
                m.queue.close(Some(bye.clone()));
                m.queue
            })
            .collect()
    }
}

/// Writes events to the store in groups and publishes each group once it is durable.
///
/// In a large room every published batch costs one datagram per member, so publishing is
/// paced: a bucket of [`PUBLISH_BURST`] publishes refilled at one per
/// [`publish_pause`] (which grows with the room). A quiet room publishes every message at
/// once; under load the bucket runs dry, batches are spaced by the pause and each
/// datagram carries several messages.
async fn committer(room: std::sync::Weak<Room>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::new();
    let mut publishes = TokenBucket::new(PUBLISH_BURST, 1.0);
    while jobs.recv_many(&mut batch, 4096).await > 0 {
        let Some(room) = room.upgrade() else { return };
        let pause = publish_pause(room.member_count());
        if !pause.is_zero() {
            publishes.set_rate(1.0 / pause.as_secs_f64());
            if !publishes.take() {
                tokio::time::sleep_until(publishes.next_token().into()).await;
                while let Ok(job) = jobs.try_recv() {
                    batch.push(job);
                }
                publishes.take();
            }
        }
        let mut records = Vec::new();
        let mut framed = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            framed.push(match job {
                Job::Append { event, reply } => {
                    // Encoded in place: the event goes into the frame and back, uncopied.
                    let wrapped = ServerFrame::Event(event);
                    let frame = encode(&wrapped);
                    let ServerFrame::Event(event) = wrapped else {
                        unreachable!("wrapped above")
                    };
                    records.push(Record {
                        seq: event.seq,
                        frame: frame.clone(),
                        id: reply.as_ref().map(|(_, id)| *id),
                    });
                    (Job::Append { event, reply }, Some(frame))
                }
                other => (other, None),
            });
        }
        if !records.is_empty() {
            let store = room.store.clone();
            let result = tokio::task::spawn_blocking(move || store.append(&records))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            room.stats.commits.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = result {
                tracing::error!("storing events failed: {e}");
                for (job, frame) in &mut framed {
                    if matches!(job, Job::Append { .. }) {
                        *frame = None;
                    }
                }
            }
        }
        room.publish(framed);
    }
}

/// Publishes a room may make at once before [`publish_pause`] spaces them.
const PUBLISH_BURST: f64 = 4.0;

/// Stored frames with their events; an entry that does not decode as an event is
/// logged and skipped (the resume that needed it reports a gap).
pub(crate) fn decode_stored(
    frames: Vec<(Seq, Bytes)>,
) -> impl DoubleEndedIterator<Item = (Bytes, RoomEvent)> {
    frames
        .into_iter()
        .filter_map(|(seq, frame)| match codec::decode::<ServerFrame>(&frame) {
            Ok((ServerFrame::Event(event), _)) => Some((frame, event)),
            Ok((other, _)) => {
                tracing::error!(seq, "the log holds a {other:?} frame, not an event");
                None
            }
            Err(e) => {
                tracing::error!(seq, "unreadable event in the log: {e}");
                None
            }
        })
}

/// How often a room over the presence limit tells its members the online count.
const ONLINE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Keeps the online count current in rooms too large to log joins and leaves.
async fn online_counts(room: std::sync::Weak<Room>) {
    let mut tick = tokio::time::interval(ONLINE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = None;
    loop {
        tick.tick().await;
        let Some(room) = room.upgrade() else { return };
        room.tell_online(&mut sent);
    }
}

/// The least time between two published batches for a room of `members`: none below
/// 64 members, then 20 µs a member, at most 25 ms.
fn publish_pause(members: usize) -> std::time::Duration {
    if members < 64 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::from_micros((members as u64 * 20).min(25_000))
}
