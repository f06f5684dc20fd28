//! An in-memory [`RoomLog`] for unit tests of the room: no disk, same contract (its
//! appends are durable at once: `done` is called before `append` returns).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Mutex,
};

use common::protocol::{ClientMsgId, EventKind, InstallId, RoomEvent, RoomId, Seq, DEFAULT_ROOM};

use super::{AppendDone, Appended, Entry, LogError, Resend, RoomLog, Stored};

/// The log of one room in a mutex. Seqs step by [`STRIDE`], so tests see seqs that are
/// not consecutive (as a clustered log's may be).
pub struct MemoryLog {
    room: RoomId,
    state: Mutex<State>,
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::of(RoomId::of(DEFAULT_ROOM))
    }
}

impl MemoryLog {
    /// An empty log of `room`.
    pub fn of(room: RoomId) -> Self {
        Self {
            room,
            state: Mutex::default(),
        }
    }

    /// Appends and returns the outcome (the test's view of [`RoomLog::append`]).
    pub fn append_now(&self, batch: Vec<Entry>) -> Result<Vec<Appended>, LogError> {
        self.store(batch)
    }
}

#[derive(Default)]
struct State {
    events: BTreeMap<Seq, Stored>,
    ids: HashMap<ClientMsgId, Seq>,
    present: BTreeSet<String>,
}

impl MemoryLog {
    fn store(&self, batch: Vec<Entry>) -> Result<Vec<Appended>, LogError> {
        let mut s = self.state.lock().unwrap();
        let mut out = Vec::new();
        for entry in batch {
            if let EventKind::Message { id, .. } = &entry.kind {
                if entry.resend != Resend::Fresh {
                    if let Some(seq) = s.ids.get(id) {
                        out.push(Appended::Duplicate(*seq));
                        continue;
                    }
                    if entry.resend == Resend::OnlyIfStored {
                        out.push(Appended::Missing);
                        continue;
                    }
                }
            }
            let seq = s.events.keys().next_back().copied().unwrap_or(0) + STRIDE;
            let stored = Stored::new(
                self.room,
                RoomEvent {
                    seq,
                    at_ms: entry.at_ms,
                    kind: entry.kind,
                },
            )?;
            match &stored.event.kind {
                EventKind::Message { id, .. } => {
                    s.ids.insert(*id, seq);
                }
                EventKind::Joined { name } => {
                    s.present.insert(name.clone());
                }
                EventKind::Left { name, .. } => {
                    s.present.remove(name);
                }
                _ => {}
            }
            s.events.insert(seq, stored.clone());
            out.push(Appended::New(stored));
        }
        Ok(out)
    }
}

/// Seqs of the memory log go 10, 20, 30, …
pub const STRIDE: Seq = 10;

impl RoomLog for MemoryLog {
    fn append(&self, batch: Vec<Entry>, done: AppendDone) {
        done(self.store(batch));
    }

    fn range(&self, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        let s = self.state.lock().unwrap();
        if after >= upto {
            return Ok(Vec::new());
        }
        Ok(s.events
            .range(after + 1..=upto)
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn before(&self, before: Seq, limit: usize) -> Result<Vec<Stored>, LogError> {
        let s = self.state.lock().unwrap();
        let mut out: Vec<Stored> = s
            .events
            .range(..before)
            .rev()
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect();
        out.reverse();
        Ok(out)
    }

    fn lookup(&self, id: ClientMsgId) -> Result<Option<Seq>, LogError> {
        Ok(self.state.lock().unwrap().ids.get(&id).copied())
    }

    fn last_seq(&self) -> Result<Seq, LogError> {
        let s = self.state.lock().unwrap();
        Ok(s.events.keys().next_back().copied().unwrap_or(0))
    }

    fn install_counters(&self) -> Result<HashMap<InstallId, u64>, LogError> {
        let s = self.state.lock().unwrap();
        let mut out: HashMap<InstallId, u64> = HashMap::new();
        for id in s.ids.keys() {
            let c = out.entry(id.install).or_insert(0);
            *c = (*c).max(id.counter);
        }
        Ok(out)
    }

    fn present(&self) -> Result<Vec<String>, LogError> {
        Ok(self.state.lock().unwrap().present.iter().cloned().collect())
    }
}
