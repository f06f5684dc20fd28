//! [`RedbLog`]: the room's log in a redb database in the data directory, the embedded
//! default.
//!
//! Each event is stored as its encoded wire frame (`ServerFrame::Event`), so replaying
//! history sends stored bytes as they are. Beside the events: the seq of every client
//! message id and each install's highest counter (de-duplication), and the present set
//! (names joined and not yet left). One write transaction, one fsync, per batch.

use std::{collections::HashMap, path::Path, sync::Arc};

use ::redb::{Database, ReadableTable, TableDefinition};
use bytes::Bytes;
use common::protocol::{ClientMsgId, EventKind, InstallId, RoomEvent, Seq};

use super::{Appended, Entry, LogError, Resend, RoomLog, Stored};

/// seq → encoded `ServerFrame::Event` frame (prefix included).
const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
/// (install, counter) → seq of that message.
const IDS: TableDefinition<(u128, u64), u64> = TableDefinition::new("client_ids");
/// install → highest counter stored.
const INSTALLS: TableDefinition<u128, u64> = TableDefinition::new("installs");
/// Names joined and not left since.
const PRESENT: TableDefinition<&str, ()> = TableDefinition::new("present");

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

/// The redb log; cheap to clone.
#[derive(Clone)]
pub struct RedbLog {
    db: Arc<Database>,
}

fn install_key(install: InstallId) -> u128 {
    u128::from_be_bytes(install.0)
}

impl RedbLog {
    /// Opens (or creates) the log at `path`.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(EVENTS)?;
        txn.open_table(IDS)?;
        txn.open_table(INSTALLS)?;
        txn.open_table(PRESENT)?;
        txn.commit()?;
        Ok(Self { db: Arc::new(db) })
    }
}

fn read_entries<'a>(
    entries: impl Iterator<
        Item = Result<
            (
                ::redb::AccessGuard<'a, u64>,
                ::redb::AccessGuard<'a, &'static [u8]>,
            ),
            ::redb::StorageError,
        >,
    >,
) -> Result<Vec<Stored>, LogError> {
    let mut out = Vec::new();
    for entry in entries {
        let (k, v) = entry?;
        out.extend(Stored::decode(k.value(), Bytes::copy_from_slice(v.value())));
    }
    Ok(out)
}

impl RoomLog for RedbLog {
    fn append(&self, batch: Vec<Entry>) -> Result<Vec<Appended>, LogError> {
        let txn = self.db.begin_write()?;
        let mut out = Vec::with_capacity(batch.len());
        {
            let mut events = txn.open_table(EVENTS)?;
            let mut ids = txn.open_table(IDS)?;
            let mut installs = txn.open_table(INSTALLS)?;
            let mut present = txn.open_table(PRESENT)?;
            let mut next = events.last()?.map_or(1, |(k, _)| k.value() + 1);
            let mut highest: HashMap<u128, u64> = HashMap::new();
            for entry in batch {
                if let (EventKind::Message { id, .. }, Resend::Maybe | Resend::OnlyIfStored) =
                    (&entry.kind, entry.resend)
                {
                    let key = (install_key(id.install), id.counter);
                    if let Some(seq) = ids.get(key)?.map(|g| g.value()) {
                        out.push(Appended::Duplicate(seq));
                        continue;
                    }
                    if entry.resend == Resend::OnlyIfStored {
                        out.push(Appended::Missing);
                        continue;
                    }
                }
                let seq = next;
                next += 1;
                let stored = Stored::new(RoomEvent {
                    seq,
                    at_ms: entry.at_ms,
                    kind: entry.kind,
                })?;
                events.insert(seq, stored.frame.as_ref())?;
                match &stored.event.kind {
                    EventKind::Message { id, .. } => {
                        let key = install_key(id.install);
                        ids.insert((key, id.counter), seq)?;
                        let h = highest.entry(key).or_insert(0);
                        *h = (*h).max(id.counter);
                    }
                    EventKind::Joined { name } => {
                        present.insert(name.as_str(), ())?;
                    }
                    EventKind::Left { name, .. } => {
                        present.remove(name.as_str())?;
                    }
                }
                out.push(Appended::New(stored));
            }
            for (key, counter) in highest {
                let old = installs.get(key)?.map(|g| g.value()).unwrap_or(0);
                if counter > old {
                    installs.insert(key, counter)?;
                }
            }
        }
        txn.commit()?;
        Ok(out)
    }

    fn range(&self, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        if after >= upto {
            return Ok(Vec::new());
        }
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        read_entries(events.range(after + 1..=upto)?.take(limit))
    }

    fn before(&self, before: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let mut out = read_entries(events.range(..before)?.rev().take(limit))?;
        out.reverse();
        Ok(out)
    }

    fn lookup(&self, id: ClientMsgId) -> Result<Option<Seq>, LogError> {
        let txn = self.db.begin_read()?;
        let ids = txn.open_table(IDS)?;
        Ok(ids
            .get((install_key(id.install), id.counter))?
            .map(|g| g.value()))
    }

    fn last_seq(&self) -> Result<Seq, LogError> {
        let txn = self.db.begin_read()?;
        let events = txn.open_table(EVENTS)?;
        let last = events.last()?.map(|(k, _)| k.value()).unwrap_or(0);
        Ok(last)
    }

    fn install_counters(&self) -> Result<HashMap<InstallId, u64>, LogError> {
        let txn = self.db.begin_read()?;
        let installs = txn.open_table(INSTALLS)?;
        let mut out = HashMap::new();
        for entry in installs.iter()? {
            let (k, v) = entry?;
            out.insert(InstallId(k.value().to_be_bytes()), v.value());
        }
        Ok(out)
    }

    fn present(&self) -> Result<Vec<String>, LogError> {
        let txn = self.db.begin_read()?;
        let present = txn.open_table(PRESENT)?;
        let mut out = Vec::new();
        for entry in present.iter()? {
            out.push(entry?.0.value().to_owned());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::LeaveReason;

    use super::*;

    fn message(counter: u64, resend: Resend) -> Entry {
        Entry {
            at_ms: 1,
            kind: EventKind::Message {
                sender: "Anna".into(),
                text: format!("n. {counter}"),
                id: ClientMsgId {
                    install: InstallId([3; 16]),
                    counter,
                },
            },
            resend,
        }
    }

    fn presence(kind: EventKind) -> Entry {
        Entry {
            at_ms: 1,
            kind,
            resend: Resend::Fresh,
        }
    }

    #[test]
    fn a_log_open_elsewhere_reports_that_it_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let _first = RedbLog::open(&path).unwrap();
        let err = RedbLog::open(&path).err().expect("second open must fail");
        assert!(err.is_locked(), "{err}");
    }

    #[test]
    fn appends_get_increasing_seqs_and_read_back_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        {
            let log = RedbLog::open(&path).unwrap();
            assert_eq!(log.last_seq().unwrap(), 0);
            let out = log
                .append((1..=5).map(|c| message(c, Resend::Fresh)).collect())
                .unwrap();
            let seqs: Vec<Seq> = out
                .iter()
                .map(|a| match a {
                    Appended::New(s) => s.seq,
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(seqs, [1, 2, 3, 4, 5]);
        }
        let log = RedbLog::open(&path).unwrap();
        assert_eq!(log.last_seq().unwrap(), 5);
        let seqs = |v: Vec<Stored>| v.into_iter().map(|s| s.seq).collect::<Vec<_>>();
        assert_eq!(seqs(log.before(Seq::MAX, 2).unwrap()), [4, 5]);
        assert_eq!(seqs(log.before(4, 10).unwrap()), [1, 2, 3]);
        assert_eq!(seqs(log.range(1, 4, 10).unwrap()), [2, 3, 4]);
        let id = message(4, Resend::Fresh);
        let EventKind::Message { id, .. } = id.kind else {
            unreachable!()
        };
        assert_eq!(log.lookup(id).unwrap(), Some(4));
        assert_eq!(log.install_counters().unwrap()[&id.install], 5);
    }

    #[test]
    fn a_stored_id_is_a_duplicate_and_an_unknown_one_is_appended_or_missing() {
        let dir = tempfile::tempdir().unwrap();
        let log = RedbLog::open(&dir.path().join("log.redb")).unwrap();
        log.append(vec![message(1, Resend::Fresh), message(3, Resend::Fresh)])
            .unwrap();
        let out = log
            .append(vec![
                message(1, Resend::Maybe),
                message(3, Resend::OnlyIfStored),
                message(2, Resend::OnlyIfStored),
                message(2, Resend::Maybe),
            ])
            .unwrap();
        assert!(matches!(out[0], Appended::Duplicate(1)));
        assert!(matches!(out[1], Appended::Duplicate(2)));
        assert!(matches!(out[2], Appended::Missing));
        assert!(matches!(&out[3], Appended::New(s) if s.seq == 3));
    }

    #[test]
    fn the_present_set_follows_joins_and_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let log = RedbLog::open(&dir.path().join("log.redb")).unwrap();
        let joined = |n: &str| presence(EventKind::Joined { name: n.into() });
        log.append(vec![joined("Anna"), joined("Bruno"), joined("Carla")])
            .unwrap();
        log.append(vec![presence(EventKind::Left {
            name: "Bruno".into(),
            reason: LeaveReason::Left,
        })])
        .unwrap();
        assert_eq!(log.present().unwrap(), ["Anna", "Carla"]);
    }
}
