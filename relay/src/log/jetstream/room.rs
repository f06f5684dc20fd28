//! [`JetStreamRoomLog`]: one room's view of the cluster. Its batches go to the room's
//! writer task, one at a time, in the order handed over; each entry is published (and
//! retried with the same `Nats-Msg-Id` until JetStream acks it), then its records are
//! written. Reads run their requests on the connection's runtime from the caller's
//! blocking thread.

use std::{
    collections::HashMap,
    future::Future,
    sync::{atomic::Ordering, Arc, OnceLock},
    time::{Duration, Instant},
};

use async_nats::jetstream::{
    consumer::DeliverPolicy, context::PublishErrorKind, kv::CreateErrorKind,
    message::PublishMessage, stream::DirectGetErrorKind,
};
use bytes::Bytes;
use common::{
    codec,
    protocol::{ClientMsgId, EventKind, InstallId, RoomEvent, RoomId, Seq},
};
use tokio::sync::mpsc;

use super::{
    install_key, refused, room_token, scan, subject, unreachable, Cluster, INSTALLS, PRESENT,
};
use crate::log::{AppendDone, Appended, Claim, Entry, LogError, Resend, RoomLog, Stored};

type Work = (Vec<Entry>, AppendDone);

/// One room's log in a [`super::JetStreamStore`].
pub struct JetStreamRoomLog {
    room: RoomId,
    cluster: Arc<Cluster>,
    /// The room's writer, started by the first append; it ends when this log is dropped.
    writer: OnceLock<mpsc::UnboundedSender<Work>>,
}

impl JetStreamRoomLog {
    pub(super) fn new(room: RoomId, cluster: Arc<Cluster>) -> Self {
        Self {
            room,
            cluster,
            writer: OnceLock::new(),
        }
    }

    fn writer(&self) -> &mpsc::UnboundedSender<Work> {
        self.writer.get_or_init(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<Work>();
            let (room, c) = (self.room, self.cluster.clone());
            self.cluster.rt.spawn(async move {
                while let Some((batch, done)) = rx.recv().await {
                    let outcome = write(&c, room, batch).await;
                    c.commits.fetch_add(1, Ordering::Relaxed);
                    done(outcome);
                    c.busy.fetch_sub(1, Ordering::SeqCst);
                }
            });
            tx
        })
    }

    /// The events of the room from stream seq `from` to `upto`, at most `limit`.
    async fn read(&self, from: Seq, upto: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        let mut out = Vec::new();
        if limit == 0 || from > upto {
            return Ok(out);
        }
        let room = self.room;
        let from = DeliverPolicy::ByStartSequence {
            start_sequence: from.max(1),
        };
        scan::scan(
            &self.cluster.stream,
            subject(room),
            from,
            |seq, _, _, body| {
                if seq > upto {
                    return false;
                }
                out.extend(decode(room, seq, body));
                out.len() < limit
            },
        )
        .await?;
        Ok(out)
    }

    async fn last(&self) -> Result<Seq, LogError> {
        match self
            .cluster
            .stream
            .direct_get_last_for_subject(subject(self.room))
            .await
        {
            Ok(m) => Ok(m.sequence),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(0),
            Err(e) => Err(unreachable(e)),
        }
    }
}

/// A stored event back (its seq is the stream's); `None` (logged) if unreadable.
pub(super) fn decode(room: RoomId, seq: Seq, body: &[u8]) -> Option<Stored> {
    match codec::decode::<RoomEvent>(body) {
        Ok((mut event, _)) => {
            event.seq = seq;
            Stored::new(room, event)
                .map_err(|e| tracing::error!(seq, "re-encoding an event: {e}"))
                .ok()
        }
        Err(e) => {
            tracing::error!(seq, "unreadable event in the stream: {e}");
            None
        }
    }
}

/// `<room>.<install>.<counter>`: the key in `piazza-ids` and the `Nats-Msg-Id`.
fn id_key(room: RoomId, id: ClientMsgId) -> String {
    format!("{}.{}", install_key(room, id.install), id.counter)
}

/// Retries `f` for up to the cluster's `retry_for` (backing off to 1 s between tries).
async fn retrying<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
    c: &Cluster,
    what: &str,
    mut f: impl FnMut() -> F,
) -> Result<T, LogError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() < c.retry_for => {
                tracing::debug!("{what}: {e} (retrying)");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Err(unreachable(format!("{what}: {e}"))),
        }
    }
}

/// The seq `id` was stored under, from `piazza-ids`.
async fn lookup(c: &Cluster, room: RoomId, id: ClientMsgId) -> Result<Option<Seq>, LogError> {
    let key = id_key(room, id);
    let value = retrying(c, "looking a message id up", || c.ids.get(key.clone())).await?;
    Ok(value.and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok()))
}

/// Publishes `body` until JetStream acks it (the same message id every time): its seq,
/// and whether the first try was already a duplicate (stored by an earlier batch).
async fn publish(
    c: &Cluster,
    room: RoomId,
    body: Bytes,
    msg_id: &str,
) -> Result<(Seq, bool), LogError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    let mut first = true;
    loop {
        let message = PublishMessage::build()
            .payload(body.clone())
            .message_id(msg_id);
        let acked = async { c.js.send_publish(subject(room), message).await?.await }.await;
        match acked {
            Ok(ack) => return Ok((ack.sequence, first && ack.duplicate)),
            Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                return Err(refused("an event", e))
            }
            Err(e) if start.elapsed() < c.retry_for => {
                // A stream electing its leader answers "no stream"; an ack lost with a
                // node may still mean stored: the same id again is safe either way.
                tracing::debug!("publishing: {e} (retrying)");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
                first = false;
            }
            Err(e) => return Err(unreachable(e)),
        }
    }
}

/// Appends one room's batch: one [`Appended`] per entry. Fails as a whole only if
/// nothing of it was stored; once something was, entries after a failure are
/// [`Appended::Failed`].
async fn write(c: &Cluster, room: RoomId, batch: Vec<Entry>) -> Result<Vec<Appended>, LogError> {
    let mut out = Vec::with_capacity(batch.len());
    let mut highest: HashMap<InstallId, u64> = HashMap::new();
    let mut failed = false;
    for entry in batch {
        if failed {
            out.push(Appended::Failed);
            continue;
        }
        match write_one(c, room, entry, &mut highest).await {
            Ok(appended) => out.push(appended),
            Err(e) if !out.iter().any(|a| matches!(a, Appended::New(_))) => return Err(e),
            Err(e) => {
                tracing::error!("storing an event failed: {e}");
                out.push(Appended::Failed);
                failed = true;
            }
        }
    }
    for (install, counter) in highest {
        let key = install_key(room, install);
        let recorded = retrying(c, "reading a counter", || c.installs.get(key.clone())).await;
        let old: u64 = match recorded {
            Ok(v) => v
                .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok())
                .unwrap_or(0),
            Err(e) => {
                tracing::error!("{e}");
                continue;
            }
        };
        if counter > old {
            let value = Bytes::from(counter.to_string());
            let put = retrying(c, "recording a counter", || {
                c.installs.put(key.clone(), value.clone())
            });
            if let Err(e) = put.await {
                tracing::error!("{e}");
            }
        }
    }
    Ok(out)
}

async fn write_one(
    c: &Cluster,
    room: RoomId,
    entry: Entry,
    highest: &mut HashMap<InstallId, u64>,
) -> Result<Appended, LogError> {
    let id = match &entry.kind {
        EventKind::Message { id, .. } => Some(*id),
        _ => None,
    };
    if let (Some(id), Resend::Maybe | Resend::OnlyIfStored) = (id, entry.resend) {
        if let Some(seq) = lookup(c, room, id).await? {
            return Ok(Appended::Duplicate(seq));
        }
        if entry.resend == Resend::OnlyIfStored {
            return Ok(Appended::Missing);
        }
    }
    let mut event = RoomEvent {
        seq: 0,
        at_ms: entry.at_ms,
        kind: entry.kind,
    };
    let body = codec::encode(&event).map_err(|e| LogError::Encode(e.to_string()))?;
    let msg_id = match id {
        Some(id) => id_key(room, id),
        None => format!("{}.e.{:032x}", room_token(room), rand::random::<u128>()),
    };
    let (seq, duplicate) = publish(c, room, body, &msg_id).await?;
    if let Some(id) = id {
        let value = Bytes::from(seq.to_string());
        let created = retrying(c, "recording a message id", || async {
            match c.ids.create(msg_id.clone(), value.clone()).await {
                Err(e) if e.kind() == CreateErrorKind::AlreadyExists => Ok(()),
                other => other.map(|_| ()),
            }
        });
        if let Err(e) = created.await {
            tracing::error!("{e} (a resend after the duplicate window may be stored again)");
        }
        let h = highest.entry(id.install).or_insert(0);
        *h = (*h).max(id.counter);
        if duplicate {
            return Ok(Appended::Duplicate(seq));
        }
    }
    event.seq = seq;
    let stored = Stored::new(room, event)?;
    let presence = match &stored.event.kind {
        EventKind::Joined { name } => Some((name, true)),
        EventKind::Left { name, .. } => Some((name, false)),
        _ => None,
    };
    if let Some((name, joined)) = presence {
        let key = format!("{}.{}", room_token(room), hex::encode(name));
        let recorded = retrying(c, "recording presence", || async {
            if joined {
                let put = c.present.put(key.clone(), Bytes::new()).await;
                put.map(|_| ()).map_err(|e| e.to_string())
            } else {
                c.present
                    .delete(key.clone())
                    .await
                    .map_err(|e| e.to_string())
            }
        });
        if let Err(e) = recorded.await {
            tracing::error!("{e}");
        }
    }
    Ok(Appended::New(stored))
}

impl RoomLog for JetStreamRoomLog {
    fn append(&self, batch: Vec<Entry>, done: AppendDone) {
        if self.cluster.closed.load(Ordering::SeqCst) {
            return done(Err(LogError::Closed));
        }
        self.cluster.busy.fetch_add(1, Ordering::SeqCst);
        if let Err(mpsc::error::SendError((_, done))) = self.writer().send((batch, done)) {
            self.cluster.busy.fetch_sub(1, Ordering::SeqCst);
            done(Err(LogError::Closed));
        }
    }

    fn range(&self, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        if after >= upto {
            return Ok(Vec::new());
        }
        self.cluster.block(self.read(after + 1, upto, limit))
    }

    fn before(&self, before: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        self.cluster.block(async {
            let last = self.last().await?;
            let upto = last.min(before.saturating_sub(1));
            if upto == 0 || limit == 0 {
                return Ok(Vec::new());
            }
            // Other rooms' events share the stream: read back in growing windows.
            let mut window = (limit as u64).saturating_mul(2).max(64);
            loop {
                let from = upto.saturating_sub(window - 1).max(1);
                let mut got = self.read(from, upto, usize::MAX).await?;
                if got.len() >= limit || from == 1 {
                    let skip = got.len().saturating_sub(limit);
                    return Ok(got.split_off(skip));
                }
                window = window.saturating_mul(4);
            }
        })
    }

    fn lookup(&self, id: ClientMsgId) -> Result<Option<Seq>, LogError> {
        self.cluster.block(lookup(&self.cluster, self.room, id))
    }

    fn last_seq(&self) -> Result<Seq, LogError> {
        self.cluster.block(self.last())
    }

    fn install_counters(&self) -> Result<HashMap<InstallId, u64>, LogError> {
        let c = &self.cluster;
        c.block(async {
            let kv = c.kv_stream(INSTALLS).await?;
            let mut out = HashMap::new();
            let prefix = room_token(self.room);
            scan::last_per_key(&kv, INSTALLS, &prefix, |key, value, _| {
                let install = hex::decode(key).ok().and_then(|b| b.try_into().ok());
                let counter = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
                if let (Some(install), Some(counter)) = (install, counter) {
                    out.insert(InstallId(install), counter);
                }
            })
            .await?;
            Ok(out)
        })
    }

    fn present(&self) -> Result<Vec<String>, LogError> {
        let c = &self.cluster;
        c.block(async {
            let kv = c.kv_stream(PRESENT).await?;
            let mut out = Vec::new();
            let prefix = room_token(self.room);
            scan::last_per_key(&kv, PRESENT, &prefix, |key, _, _| {
                if let Some(name) = hex::decode(key)
                    .ok()
                    .and_then(|n| String::from_utf8(n).ok())
                {
                    out.push(name);
                }
            })
            .await?;
            out.sort();
            Ok(out)
        })
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn follow(&self, after: Seq) -> Option<mpsc::Receiver<Stored>> {
        Some(super::follow::follow(
            self.cluster.clone(),
            self.room,
            after,
        ))
    }

    fn claim(&self, key: &str, name: &str, install: InstallId) -> Result<Claim, LogError> {
        let c = &self.cluster;
        c.block(super::members::claim(c, self.room, key, name, install))
    }

    fn release(&self, key: &str, install: InstallId) {
        let (c, room, key) = (self.cluster.clone(), self.room, key.to_owned());
        self.cluster.rt.spawn(async move {
            super::members::release(&c, room, &key, install).await;
        });
    }
}
