//! [`RedbStore`]: every room's log in one redb database in the data directory, the
//! embedded default.
//!
//! Each event is stored as its encoded wire frame (`ServerFrame::Event`, naming its
//! room), so replaying history sends stored bytes as they are. Every table is keyed by
//! the room's [`RoomId`] first, so a room is one contiguous range in each (reading a
//! room never touches another's keys, and erasing one is a range deletion):
//!
//! | table | key | value |
//! |---|---|---|
//! | `room_events` | (room, seq) | encoded `ServerFrame::Event` (prefix included) |
//! | `room_client_ids` | (room, install, counter) | seq of that message |
//! | `room_installs` | (room, install) | highest counter stored |
//! | `room_present` | (room, name) | — (joined and not left since) |
//! | `rooms` | name | flags: archived, created by a client |
//!
//! One writer thread owns every write: it takes whatever batches the rooms have handed
//! over meanwhile, from any number of rooms, and stores them in one transaction — one
//! fsync for all (group commit across rooms). Reads go straight to the database from
//! the caller's (blocking) thread. A database written by the relay of protocol v3 (one
//! room, unkeyed tables) becomes the default room's log when it is opened
//! (`upgrade.rs`).

mod room;
#[cfg(test)]
mod tests;
mod upgrade;

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        mpsc, Arc, Mutex,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use ::redb::{Database, ReadableTable, Table, TableDefinition, WriteTransaction};
use common::protocol::{EventKind, RoomEvent, RoomId, Seq};

use super::{AppendDone, Appended, Entry, LogError, Resend, RoomLog, RoomRecord, Store, Stored};
pub use room::RedbRoomLog;

/// (room, seq) → encoded `ServerFrame::Event` frame (prefix included).
const EVENTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("room_events");
/// (room, install, counter) → seq of that message.
const IDS: TableDefinition<(u64, u128, u64), u64> = TableDefinition::new("room_client_ids");
/// (room, install) → highest counter stored.
const INSTALLS: TableDefinition<(u64, u128), u64> = TableDefinition::new("room_installs");
/// (room, name) of names joined and not left since.
const PRESENT: TableDefinition<(u64, &str), ()> = TableDefinition::new("room_present");
/// Room name → flags ([`ARCHIVED`], [`BY_CLIENT`]).
const ROOMS: TableDefinition<&str, u8> = TableDefinition::new("rooms");

/// Flag of [`ROOMS`]: archived.
const ARCHIVED: u8 = 1;
/// Flag of [`ROOMS`]: created by a client.
const BY_CLIENT: u8 = 2;

/// Most batches one group commit takes.
const MAX_GROUP: usize = 1024;

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for LogError {
            fn from(e: $t) -> Self {
                Self::Redb(Box::new(e.into()))
            }
        }
    )*};
}
from_redb!(
    ::redb::Error,
    ::redb::DatabaseError,
    ::redb::TransactionError,
    ::redb::TableError,
    ::redb::StorageError,
    ::redb::CommitError
);

/// Work for the writer thread.
enum Work {
    /// A room's batch.
    Append {
        room: RoomId,
        batch: Vec<Entry>,
        done: AppendDone,
    },
    /// Finish what was handed over before, then exit.
    Stop,
}

/// The redb store: one database, one writer thread.
pub struct RedbStore {
    db: Arc<Database>,
    work: mpsc::Sender<Work>,
    writer: Mutex<Option<JoinHandle<()>>>,
    commits: Arc<AtomicU64>,
}

fn install_key(install: common::protocol::InstallId) -> u128 {
    u128::from_be_bytes(install.0)
}

impl RedbStore {
    /// Opens (or creates) the database at `path`, upgrading a log of the one-room relay
    /// (protocol v3) to the default room's log, and starts the writer.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(EVENTS)?;
        txn.open_table(IDS)?;
        txn.open_table(INSTALLS)?;
        txn.open_table(PRESENT)?;
        txn.open_table(ROOMS)?;
        txn.commit()?;
        if let Some(moved) = upgrade::from_v3(&db)? {
            tracing::info!(
                events = moved,
                "upgraded the one-room log of protocol v3: it is now the default room's"
            );
        }
        let db = Arc::new(db);
        let (work, rx) = mpsc::channel();
        let writer_db = db.clone();
        let commits = Arc::new(AtomicU64::new(0));
        let counted = commits.clone();
        let writer = std::thread::Builder::new()
            .name("piazza-log-writer".into())
            .spawn(move || write_loop(&writer_db, &rx, &counted))
            .map_err(|e| LogError::Task(format!("starting the log writer: {e}")))?;
        Ok(Self {
            db,
            work,
            writer: Mutex::new(Some(writer)),
            commits,
        })
    }

    /// Group commits made since the store opened (each serving any number of rooms).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

impl Store for RedbStore {
    fn log(&self, room: RoomId) -> Arc<dyn RoomLog> {
        Arc::new(RedbRoomLog::new(room, self.db.clone(), self.work.clone()))
    }

    fn rooms(&self) -> Result<Vec<RoomRecord>, LogError> {
        let txn = self.db.begin_read()?;
        let rooms = txn.open_table(ROOMS)?;
        let mut out = Vec::new();
        for entry in rooms.iter()? {
            let (name, flags) = entry?;
            out.push(RoomRecord {
                name: name.value().to_owned(),
                archived: flags.value() & ARCHIVED != 0,
                by_client: flags.value() & BY_CLIENT != 0,
            });
        }
        Ok(out)
    }

    fn put_rooms(&self, records: &[RoomRecord]) -> Result<(), LogError> {
        let txn = self.db.begin_write()?;
        {
            let mut rooms = txn.open_table(ROOMS)?;
            for record in records {
                let flags =
                    u8::from(record.archived) * ARCHIVED + u8::from(record.by_client) * BY_CLIENT;
                rooms.insert(record.name.as_str(), flags)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    fn commits(&self) -> u64 {
        RedbStore::commits(self)
    }

    fn delete_room(&self, name: &str) -> Result<bool, LogError> {
        let r = RoomId::of(name).0;
        let txn = self.db.begin_write()?;
        let mut erased = false;
        {
            let mut rooms = txn.open_table(ROOMS)?;
            erased |= rooms.remove(name)?.is_some();
            let mut events = txn.open_table(EVENTS)?;
            events.retain_in((r, 0)..=(r, u64::MAX), |_, _| {
                erased = true;
                false
            })?;
            let mut ids = txn.open_table(IDS)?;
            ids.retain_in((r, 0, 0)..=(r, u128::MAX, u64::MAX), |_, _| false)?;
            let mut installs = txn.open_table(INSTALLS)?;
            installs.retain_in((r, 0)..=(r, u128::MAX), |_, _| false)?;
            let mut present = txn.open_table(PRESENT)?;
            let names: Vec<String> = present
                .range((r, "")..)?
                .map_while(|e| e.ok().filter(|(k, _)| k.value().0 == r))
                .map(|(k, _)| k.value().1.to_owned())
                .collect();
            for n in names {
                present.remove((r, n.as_str()))?;
            }
        }
        txn.commit()?;
        Ok(erased)
    }

    fn close(&self) {
        let _ = self.work.send(Work::Stop);
        let Some(writer) = self.writer.lock().unwrap().take() else {
            return;
        };
        let until = Instant::now() + Duration::from_secs(5);
        while !writer.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        if writer.is_finished() {
            let _ = writer.join();
        } else {
            tracing::warn!("the log writer did not finish in time");
        }
    }
}

/// The writer thread: one transaction for everything handed over since the last.
fn write_loop(db: &Database, rx: &mpsc::Receiver<Work>, commits: &AtomicU64) {
    // The next seq of each room written to (read from the log on first use).
    let mut next: HashMap<u64, Seq> = HashMap::new();
    let mut group = Vec::new();
    loop {
        let mut stop = false;
        match rx.recv() {
            Ok(Work::Append { room, batch, done }) => group.push((room, batch, done)),
            Ok(Work::Stop) | Err(_) => return,
        }
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(Work::Append { room, batch, done }) => group.push((room, batch, done)),
                Ok(Work::Stop) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        commit_group(db, &mut next, &mut group);
        commits.fetch_add(1, Ordering::Relaxed);
        if stop {
            return;
        }
    }
}

/// The tables a group commit writes.
struct Tables<'t> {
    events: Table<'t, (u64, u64), &'static [u8]>,
    ids: Table<'t, (u64, u128, u64), u64>,
    installs: Table<'t, (u64, u128), u64>,
    present: Table<'t, (u64, &'static str), ()>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self, LogError> {
        Ok(Self {
            events: txn.open_table(EVENTS)?,
            ids: txn.open_table(IDS)?,
            installs: txn.open_table(INSTALLS)?,
            present: txn.open_table(PRESENT)?,
        })
    }
}

/// Stores every batch of `group` in one transaction and tells each its outcome.
fn commit_group(
    db: &Database,
    next: &mut HashMap<u64, Seq>,
    group: &mut Vec<(RoomId, Vec<Entry>, AppendDone)>,
) {
    let mut result = (|| -> Result<Vec<Vec<Appended>>, LogError> {
        let txn = db.begin_write()?;
        let mut outs = Vec::with_capacity(group.len());
        {
            let mut tables = Tables::open(&txn)?;
            for (room, batch, _) in group.iter_mut() {
                outs.push(append_in(&mut tables, next, *room, std::mem::take(batch))?);
            }
        }
        txn.commit()?;
        Ok(outs)
    })();
    if let Err(e) = &result {
        tracing::error!("a group commit of {} batches failed: {e}", group.len());
        // Nothing of it is stored: seqs are read from the log again.
        next.clear();
    }
    for (i, (_, _, done)) in group.drain(..).enumerate() {
        match &mut result {
            Ok(outs) => done(Ok(std::mem::take(&mut outs[i]))),
            Err(e) => done(Err(LogError::Write(e.to_string()))),
        }
    }
}

/// Appends one room's batch inside the group's transaction.
fn append_in(
    t: &mut Tables<'_>,
    next: &mut HashMap<u64, Seq>,
    room: RoomId,
    batch: Vec<Entry>,
) -> Result<Vec<Appended>, LogError> {
    let r = room.0;
    let next_seq = match next.get(&r) {
        Some(n) => *n,
        None => {
            let last = t.events.range((r, 0)..=(r, u64::MAX))?.next_back();
            last.transpose()?.map_or(1, |(k, _)| k.value().1 + 1)
        }
    };
    let mut seq = next_seq;
    let mut out = Vec::with_capacity(batch.len());
    let mut highest: HashMap<u128, u64> = HashMap::new();
    for entry in batch {
        if let (EventKind::Message { id, .. }, Resend::Maybe | Resend::OnlyIfStored) =
            (&entry.kind, entry.resend)
        {
            let key = (r, install_key(id.install), id.counter);
            if let Some(stored) = t.ids.get(key)?.map(|g| g.value()) {
                out.push(Appended::Duplicate(stored));
                continue;
            }
            if entry.resend == Resend::OnlyIfStored {
                out.push(Appended::Missing);
                continue;
            }
        }
        let stored = Stored::new(
            room,
            RoomEvent {
                seq,
                at_ms: entry.at_ms,
                kind: entry.kind,
            },
        )?;
        t.events.insert((r, seq), stored.frame.as_ref())?;
        match &stored.event.kind {
            EventKind::Message { id, .. } => {
                let key = install_key(id.install);
                t.ids.insert((r, key, id.counter), seq)?;
                let h = highest.entry(key).or_insert(0);
                *h = (*h).max(id.counter);
            }
            EventKind::Joined { name } => {
                t.present.insert((r, name.as_str()), ())?;
            }
            EventKind::Left { name, .. } => {
                t.present.remove((r, name.as_str()))?;
            }
            _ => {}
        }
        seq += 1;
        out.push(Appended::New(stored));
    }
    for (key, counter) in highest {
        let old = t.installs.get((r, key))?.map(|g| g.value()).unwrap_or(0);
        if counter > old {
            t.installs.insert((r, key), counter)?;
        }
    }
    next.insert(r, seq);
    Ok(out)
}
