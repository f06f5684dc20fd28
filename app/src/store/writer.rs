//! The background writer of one relay's files: engine states and the timeline events of
//! its rooms are written on their own thread, in the order they were handed over, so the UI never
//! waits for the disk. A burst (a long backlog) costs one write: events queued together
//! are appended together, and of several engine states only the newest is written.
//! Events are written before a later engine state, so the saved resume point never runs
//! ahead of the saved timeline. Write failures (a full disk) are reported through a
//! watch channel, in plain words for the banner, and cleared by the next success.

use std::{collections::HashMap, sync::mpsc, thread, time::Duration};

use common::protocol::RoomEvent;
use engine::EngineState;
use tokio::sync::watch;

use super::{files::save_json, timeline::TimelineFile, RelayStore};

enum Write {
    Events(String, Vec<RoomEvent>),
    State(EngineState),
    Forget(String),
    Flush(mpsc::Sender<()>),
}

/// Handle to a relay's background writer. Dropping every handle ends the thread after
/// it has written what it was given.
#[derive(Clone, Debug)]
pub struct RelayWriter {
    tx: mpsc::Sender<Write>,
    errors: watch::Receiver<Option<String>>,
}

impl RelayWriter {
    pub(super) fn start(store: RelayStore) -> Self {
        let (tx, rx) = mpsc::channel::<Write>();
        let (error_tx, errors) = watch::channel(None);
        let spawned = thread::Builder::new()
            .name("piazza-store".into())
            .spawn(move || run(store, rx, error_tx));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the store thread");
        }
        Self { tx, errors }
    }

    /// Queues logged events of `room` to append to its timeline.
    pub fn events(&self, room: &str, events: Vec<RoomEvent>) {
        if !events.is_empty() {
            let _ = self.tx.send(Write::Events(room.to_owned(), events));
        }
    }

    /// Queues the removal of `room`'s timeline (the person left the room).
    pub fn forget(&self, room: &str) {
        let _ = self.tx.send(Write::Forget(room.to_owned()));
    }

    /// Queues an engine state to save.
    pub fn state(&self, state: EngineState) {
        let _ = self.tx.send(Write::State(state));
    }

    /// Waits (up to `timeout`) until everything queued so far is written.
    pub fn flush(&self, timeout: Duration) {
        let (done, wait) = mpsc::channel();
        if self.tx.send(Write::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(timeout);
        }
    }

    /// The last write failure, `None` after a success.
    pub fn errors(&self) -> watch::Receiver<Option<String>> {
        self.errors.clone()
    }
}

fn run(store: RelayStore, rx: mpsc::Receiver<Write>, errors: watch::Sender<Option<String>>) {
    let mut timelines: HashMap<String, TimelineFile> = HashMap::new();
    let report = |result: std::io::Result<()>, what: &str| match result {
        Ok(()) => {
            errors.send_if_modified(|e| e.take().is_some());
        }
        Err(error) => {
            tracing::error!(%error, "cannot save the {what}");
            errors.send_replace(Some(error.to_string()));
        }
    };
    while let Ok(first) = rx.recv() {
        // Take everything queued now: events in order per room, and of the engine
        // states only the last, written after the events queued before it.
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let mut events: Vec<(String, Vec<RoomEvent>)> = Vec::new();
        let mut state = None;
        let mut flushes = Vec::new();
        for write in batch {
            match write {
                Write::Events(room, e) => {
                    if let Some(s) = state.take() {
                        // A state queued before these events: write it first.
                        write_events(&store, &mut timelines, &mut events, &report);
                        report(save_json(&store.engine_path(), &s), "engine state");
                    }
                    match events.last_mut() {
                        Some((last, list)) if *last == room => list.extend(e),
                        _ => events.push((room, e)),
                    }
                }
                Write::State(s) => state = Some(s),
                Write::Forget(room) => {
                    write_events(&store, &mut timelines, &mut events, &report);
                    timelines.remove(&room);
                    report(store.forget_room(&room), "timeline");
                }
                Write::Flush(done) => flushes.push(done),
            }
        }
        write_events(&store, &mut timelines, &mut events, &report);
        if let Some(s) = state {
            report(save_json(&store.engine_path(), &s), "engine state");
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Appends queued events to their rooms' timeline files (opened on first use).
fn write_events(
    store: &RelayStore,
    timelines: &mut HashMap<String, TimelineFile>,
    events: &mut Vec<(String, Vec<RoomEvent>)>,
    report: &impl Fn(std::io::Result<()>, &str),
) {
    for (room, list) in events.drain(..) {
        let file = timelines.entry(room.clone()).or_insert_with(|| {
            let mut file = TimelineFile::new(store.timeline_path(&room));
            file.load();
            file
        });
        let result = store
            .ensure_room_dir(&room)
            .and_then(|()| file.append(&list));
        report(result, "timeline");
    }
}
