//! A room's timeline on disk: `timeline.jsonl`, one logged event per line (JSON), in the
//! order they arrived. Appending is cheap; reading keeps the newest [`KEEP`] events by
//! seq (duplicates and a torn last line after a crash are skipped); when the file holds
//! more than twice that, it is rewritten with the newest [`KEEP`] (atomically).

use std::{
    collections::BTreeMap,
    fs::{self, OpenOptions},
    io::{self, BufRead, BufReader, Write},
    path::{Path, PathBuf},
};

use common::protocol::{RoomEvent, Seq};

use super::files::{sync_dir, write_atomic};

/// Events kept on disk per room (the newest ones).
pub const KEEP: usize = 5000;

/// The timeline file of one room.
#[derive(Clone, Debug)]
pub struct TimelineFile {
    path: PathBuf,
    /// Lines in the file (known after `load` or counted by appends).
    lines: usize,
}

impl TimelineFile {
    /// The file at `path` (it need not exist).
    pub fn new(path: PathBuf) -> Self {
        Self { path, lines: 0 }
    }

    /// The newest [`KEEP`] events, oldest first.
    pub fn load(&mut self) -> Vec<RoomEvent> {
        let file = match fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Vec::new(),
            Err(error) => {
                tracing::warn!(%error, path = %self.path.display(), "cannot read the timeline");
                return Vec::new();
            }
        };
        let mut events: BTreeMap<Seq, RoomEvent> = BTreeMap::new();
        let mut lines = 0;
        let mut bad = 0;
        for line in BufReader::new(file).lines() {
            let Ok(line) = line else {
                bad += 1;
                break;
            };
            lines += 1;
            match serde_json::from_str::<RoomEvent>(&line) {
                Ok(event) => {
                    events.insert(event.seq, event);
                }
                Err(_) => bad += 1,
            }
        }
        if bad > 0 {
            tracing::warn!(bad, path = %self.path.display(), "skipped damaged timeline lines");
        }
        self.lines = lines;
        let skip = events.len().saturating_sub(KEEP);
        events.into_values().skip(skip).collect()
    }

    /// Appends events (one write, then a sync). Compacts the file when it has grown to
    /// twice what is kept.
    pub fn append(&mut self, events: &[RoomEvent]) -> io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(events.len() * 96);
        for event in events {
            serde_json::to_writer(&mut buf, event).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        let new = !self.path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(&buf)?;
        file.sync_data()?;
        if new {
            sync_dir(&self.path);
        }
        self.lines += events.len();
        if self.lines > 2 * KEEP {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the file with the newest [`KEEP`] events.
    pub fn compact(&mut self) -> io::Result<()> {
        let kept = self.load();
        let mut buf = Vec::with_capacity(kept.len() * 96);
        for event in &kept {
            serde_json::to_writer(&mut buf, event).map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        write_atomic(&self.path, &buf)?;
        self.lines = kept.len();
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::{ClientMsgId, EventKind, InstallId};

    use super::*;

    fn message(seq: Seq) -> RoomEvent {
        RoomEvent {
            seq,
            at_ms: seq * 1000,
            kind: EventKind::Message {
                sender: "Anna".into(),
                text: format!("messaggio {seq}"),
                id: ClientMsgId {
                    install: InstallId([4; 16]),
                    counter: seq,
                },
            },
        }
    }

    #[test]
    fn events_come_back_in_seq_order_once_each_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = TimelineFile::new(dir.path().join("timeline.jsonl"));
        assert!(file.load().is_empty());
        file.append(&[message(2), message(1)]).unwrap();
        file.append(&[message(2), message(3)]).unwrap();
        // A crash in the middle of a write.
        let mut raw = OpenOptions::new().append(true).open(file.path()).unwrap();
        raw.write_all(b"{\"seq\":4,\"at_").unwrap();
        let seqs: Vec<Seq> = file.load().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn the_file_keeps_the_newest_events_and_is_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeline.jsonl");
        let mut file = TimelineFile::new(path.clone());
        let all: Vec<RoomEvent> = (1..=(2 * KEEP as u64 + 10)).map(message).collect();
        for chunk in all.chunks(700) {
            file.append(chunk).unwrap();
        }
        let lines = fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines <= 2 * KEEP, "compacted: {lines} lines");
        let loaded = TimelineFile::new(path).load();
        assert_eq!(loaded.len(), KEEP);
        assert_eq!(loaded.last().unwrap().seq, 2 * KEEP as u64 + 10);
        assert_eq!(loaded.first().unwrap().seq, KEEP as u64 + 11);
    }
}
