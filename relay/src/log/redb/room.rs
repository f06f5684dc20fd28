//! [`RedbRoomLog`]: one room's view of the shared database: appends go to the store's
//! writer thread, reads read the room's key range directly.

use std::{
    collections::HashMap,
    sync::{mpsc, Arc},
};

use ::redb::Database;
use bytes::Bytes;
use common::protocol::{ClientMsgId, InstallId, RoomId, Seq};

use super::{install_key, Work, EVENTS, IDS, INSTALLS, PRESENT};
use crate::log::{AppendDone, Entry, LogError, RoomLog, Stored};

/// One room's log in a [`super::RedbStore`].
pub struct RedbRoomLog {
    room: RoomId,
    db: Arc<Database>,
    work: mpsc::Sender<Work>,
}

impl RedbRoomLog {
    pub(super) fn new(room: RoomId, db: Arc<Database>, work: mpsc::Sender<Work>) -> Self {
        Self { room, db, work }
    }
}

type EventEntry<'a> = Result<
    (
        ::redb::AccessGuard<'a, (u64, u64)>,
        ::redb::AccessGuard<'a, &'static [u8]>,
    ),
    ::redb::StorageError,
>;

fn read_entries<'a>(
    entries: impl Iterator<Item = EventEntry<'a>>,
) -> Result<Vec<Stored>, LogError> {
    let mut out = Vec::new();
    for entry in entries {
        let (k, v) = entry?;
        out.extend(Stored::decode(
            k.value().1,
            Bytes::copy_from_slice(v.value()),
        ));
    }
    Ok(out)
}

impl RoomLog for RedbRoomLog {
    fn append(&self, batch: Vec<Entry>, done: AppendDone) {
        let work = Work::Append {
            room: self.room,
            batch,
            done,
        };
        if let Err(mpsc::SendError(Work::Append { done, .. })) = self.work.send(work) {
            done(Err(LogError::Closed));
        }
    }

    fn range(&self, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        if after >= upto {
            return Ok(Vec::new());
        }
        let r = self.room.0;
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        read_entries(events.range((r, after + 1)..=(r, upto))?.take(limit))
    }

    fn before(&self, before: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        let r = self.room.0;
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let mut out = read_entries(events.range((r, 0)..(r, before))?.rev().take(limit))?;
        out.reverse();
        Ok(out)
    }

    fn lookup(&self, id: ClientMsgId) -> Result<Option<Seq>, LogError> {
        let txn = self.db.begin_read()?;
        let ids = txn.open_table(IDS)?;
        let key = (self.room.0, install_key(id.install), id.counter);
        Ok(ids.get(key)?.map(|g| g.value()))
    }

    fn last_seq(&self) -> Result<Seq, LogError> {
        let r = self.room.0;
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let last = events
            .range((r, 0)..=(r, u64::MAX))?
            .next_back()
            .transpose()?;
        Ok(last.map_or(0, |(k, _)| k.value().1))
    }

    fn install_counters(&self) -> Result<HashMap<InstallId, u64>, LogError> {
        let r = self.room.0;
        let txn = self.db.begin_read()?;
        let installs = txn.open_table(INSTALLS)?;
        let mut out = HashMap::new();
        for entry in installs.range((r, 0)..=(r, u128::MAX))? {
            let (k, v) = entry?;
            out.insert(InstallId(k.value().1.to_be_bytes()), v.value());
        }
        Ok(out)
    }

    fn present(&self) -> Result<Vec<String>, LogError> {
        let r = self.room.0;
        let txn = self.db.begin_read()?;
        let present = txn.open_table(PRESENT)?;
        let mut out = Vec::new();
        for entry in present.range((r, "")..)? {
            let (k, _) = entry?;
            let (room, name) = k.value();
            if room != r {
                break;
            }
            out.push(name.to_owned());
        }
        Ok(out)
    }
}
