//! The room's durable log, in a redb database in the data directory.
//!
//! Each event is stored as its encoded wire frame (`ServerFrame::Event`), so replaying
//! history sends stored bytes as they are. Beside the events the store keeps, for
//! de-duplication, the seq of every client message id and each install's highest
//! counter. Writes come in groups: one transaction (one fsync) per batch.

use std::{collections::HashMap, path::Path, sync::Arc};

use bytes::Bytes;
use common::protocol::{ClientMsgId, InstallId, Seq};
use redb::{Database, ReadableTable, TableDefinition};

/// seq → encoded `ServerFrame::Event` frame (prefix included).
const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
/// (install, counter) → seq of that message.
const IDS: TableDefinition<(u128, u64), u64> = TableDefinition::new("client_ids");
/// install → highest counter stored.
const INSTALLS: TableDefinition<u128, u64> = TableDefinition::new("installs");

/// A storage error (boxed: redb's errors are large).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(Box<redb::Error>);

impl StoreError {
    /// True when another process (or a relay still stopping) holds the log open.
    pub fn is_locked(&self) -> bool {
        matches!(*self.0, redb::Error::DatabaseAlreadyOpen)
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                Self(Box::new(e.into()))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// One event to append.
pub struct Record {
    /// Its seq.
    pub seq: Seq,
    /// Its encoded frame.
    pub frame: Bytes,
    /// The client id, for messages.
    pub id: Option<ClientMsgId>,
}

/// Handle to the log; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
}

fn install_key(install: InstallId) -> u128 {
    u128::from_be_bytes(install.0)
}

impl Store {
    /// Opens (or creates) the log at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(EVENTS)?;
        txn.open_table(IDS)?;
        txn.open_table(INSTALLS)?;
        txn.commit()?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Appends a batch durably, in one transaction.
    pub fn append(&self, records: &[Record]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut events = txn.open_table(EVENTS)?;
            let mut ids = txn.open_table(IDS)?;
            let mut installs = txn.open_table(INSTALLS)?;
            let mut highest: HashMap<u128, u64> = HashMap::new();
            for r in records {
                events.insert(r.seq, r.frame.as_ref())?;
                if let Some(id) = r.id {
                    let key = install_key(id.install);
                    ids.insert((key, id.counter), r.seq)?;
                    let h = highest.entry(key).or_insert(0);
                    *h = (*h).max(id.counter);
                }
            }
            for (key, counter) in highest {
                let old = installs.get(key)?.map(|g| g.value()).unwrap_or(0);
                if counter > old {
                    installs.insert(key, counter)?;
                }
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// The last stored seq (0 for an empty log).
    pub fn last_seq(&self) -> Result<Seq, StoreError> {
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let last = events.last()?.map(|(k, _)| k.value()).unwrap_or(0);
        Ok(last)
    }

    /// The last `n` events, oldest first.
    pub fn recent(&self, n: usize) -> Result<Vec<(Seq, Bytes)>, StoreError> {
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let mut out = Vec::with_capacity(n);
        for entry in events.iter()?.rev().take(n) {
            let (k, v) = entry?;
            out.push((k.value(), Bytes::copy_from_slice(v.value())));
        }
        out.reverse();
        Ok(out)
    }

    /// Events with `after < seq <= upto`, oldest first, at most `limit`.
    pub fn range(
        &self,
        after: Seq,
        upto: Seq,
        limit: usize,
    ) -> Result<Vec<(Seq, Bytes)>, StoreError> {
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let mut out = Vec::new();
        if after >= upto {
            return Ok(out);
        }
        for entry in events.range(after + 1..=upto)?.take(limit) {
            let (k, v) = entry?;
            out.push((k.value(), Bytes::copy_from_slice(v.value())));
        }
        Ok(out)
    }

    /// Up to `limit` events with `seq < before`, the newest of them, oldest first.
    pub fn before(&self, before: Seq, limit: usize) -> Result<Vec<(Seq, Bytes)>, StoreError> {
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let mut out = Vec::new();
        for entry in events.range(..before)?.rev().take(limit) {
            let (k, v) = entry?;
            out.push((k.value(), Bytes::copy_from_slice(v.value())));
        }
        out.reverse();
        Ok(out)
    }

    /// The seq a client message id was stored under.
    pub fn lookup(&self, id: ClientMsgId) -> Result<Option<Seq>, StoreError> {
        let txn = self.db.begin_read()?;
        let ids = txn.open_table(IDS)?;
        Ok(ids
            .get((install_key(id.install), id.counter))?
            .map(|g| g.value()))
    }

    /// Each install's highest stored counter.
    pub fn install_counters(&self) -> Result<HashMap<InstallId, u64>, StoreError> {
        let txn = self.db.begin_read()?;
        let installs = txn.open_table(INSTALLS)?;
        let mut out = HashMap::new();
        for entry in installs.iter()? {
            let (k, v) = entry?;
            out.insert(InstallId(k.value().to_be_bytes()), v.value());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_open_elsewhere_reports_that_it_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let _first = Store::open(&path).unwrap();
        let err = Store::open(&path).err().expect("second open must fail");
        assert!(err.is_locked(), "{err}");
    }

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let id = ClientMsgId {
            install: InstallId([3; 16]),
            counter: 7,
        };
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.last_seq().unwrap(), 0);
            let records: Vec<Record> = (1..=5)
                .map(|seq| Record {
                    seq,
                    frame: Bytes::from(vec![seq as u8; 3]),
                    id: (seq == 4).then_some(id),
                })
                .collect();
            store.append(&records).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_seq().unwrap(), 5);
        let recent: Vec<Seq> = store.recent(2).unwrap().into_iter().map(|r| r.0).collect();
        assert_eq!(recent, vec![4, 5]);
        let range: Vec<Seq> = store
            .range(1, 4, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(range, vec![2, 3, 4]);
        assert_eq!(store.lookup(id).unwrap(), Some(4));
        assert_eq!(store.install_counters().unwrap()[&id.install], 7);
    }
}
