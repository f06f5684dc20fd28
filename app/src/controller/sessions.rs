//! One engine per relay: the rooms on a relay share its connection. A session owns the
//! engine, the relay's background writer, and a task that takes the engine's events:
//! it hands what must be saved (room events, history pages, the engine's state) to the
//! writer, in the order they came, and forwards the rest, tagged with the relay, into
//! the controller's one channel. Saving so never waits for the window.

use std::{collections::HashMap, time::Duration};

use common::invite::Invite;
use engine::{Command, Engine, EngineConfig, EngineState, Event};
use tokio::sync::{mpsc, watch};

use crate::{
    state::ChatView,
    store::{RelayStore, RelayWriter, Store},
};

/// How long closing or leaving waits for the relay to take the Quit.
const QUIT_WAIT: Duration = Duration::from_millis(1500);

/// An engine event, with the relay it came from.
pub type Tagged = (String, Event);

/// A relay's engine and files.
pub struct Session {
    /// The engine.
    pub engine: Engine,
    /// The relay's files (none when the data directory is not usable).
    pub store: Option<RelayStore>,
    /// Their background writer.
    pub writer: Option<RelayWriter>,
    /// A welcome arrived on this relay in this run.
    pub welcomed: bool,
    /// The connection's last status (a room added later starts from it).
    pub status: engine::Status,
    /// Forwards the engine's events; the last one is `None` (the engine stopped).
    stopped: watch::Receiver<bool>,
}

/// Every relay's session, and the channel their events arrive on.
pub struct Sessions {
    by_relay: HashMap<String, Session>,
    tx: mpsc::UnboundedSender<Tagged>,
    storage: mpsc::UnboundedSender<Option<String>>,
}

/// Where a session's events and its files' write failures arrive.
pub struct Receivers {
    /// Engine events, tagged with their relay.
    pub events: mpsc::UnboundedReceiver<Tagged>,
    /// The last write failure of a relay's files (`None` after a success).
    pub storage: mpsc::UnboundedReceiver<Option<String>>,
}

impl Sessions {
    /// No sessions yet; events and write failures will arrive on the receivers.
    pub fn new() -> (Self, Receivers) {
        let (tx, events) = mpsc::unbounded_channel();
        let (storage, storage_rx) = mpsc::unbounded_channel();
        (
            Self {
                by_relay: HashMap::new(),
                tx,
                storage,
            },
            Receivers {
                events,
                storage: storage_rx,
            },
        )
    }

    /// The session of a relay.
    pub fn get(&self, relay: &str) -> Option<&Session> {
        self.by_relay.get(relay)
    }

    /// Calls `f` with every relay's engine.
    pub fn each(&self, mut f: impl FnMut(&Engine)) {
        for session in self.by_relay.values() {
            f(&session.engine);
        }
    }

    /// The session of a relay, to change it.
    pub fn get_mut(&mut self, relay: &str) -> Option<&mut Session> {
        self.by_relay.get_mut(relay)
    }

    /// The session of `invite`'s relay, started (as `name`, from the relay's saved
    /// state) if there is none; joins the invite's room. Returns the view to show for
    /// that room: its saved timeline and waiting messages.
    /// `owner_key`: the relay's owner key, given in the joins (the room this app hosts).
    pub fn join(
        &mut self,
        store: Option<&Store>,
        name: &str,
        invite: &Invite,
        owner_key: Option<String>,
    ) -> ChatView {
        let relay = crate::store::relay_dir_name(invite);
        let room = invite.room_name().to_owned();
        let install = store
            .and_then(|s| s.install().ok())
            .unwrap_or_else(common::protocol::InstallId::random);
        if let Some(session) = self.by_relay.get(&relay) {
            if owner_key.is_some() {
                session.engine.send(Command::SetOwnerKey(owner_key));
            }
        } else {
            let session = self.start(store, name, invite, install, &relay, owner_key);
            self.by_relay.insert(relay.clone(), session);
        }
        let session = self.by_relay.get(&relay).expect("just started");
        session.engine.send(Command::JoinRoom {
            room: room.clone(),
            key: invite.room_key.clone(),
        });
        let saved = session
            .store
            .as_ref()
            .map(|s| s.load_timeline(&room))
            .unwrap_or_default();
        let outbox = session
            .store
            .as_ref()
            .map(|s| s.load_engine_state(install))
            .and_then(|state| state.rooms.get(&room).map(|r| r.outbox.clone()))
            .unwrap_or_default();
        let now = crate::app::now_ms();
        let mut view = ChatView::new(install, name, &saved, &outbox, now);
        view.apply(&Event::Status(session.status.clone()), now);
        view
    }

    fn start(
        &self,
        store: Option<&Store>,
        name: &str,
        invite: &Invite,
        install: common::protocol::InstallId,
        relay: &str,
        owner_key: Option<String>,
    ) -> Session {
        let relay_store = store.and_then(|s| match s.relay(invite) {
            Ok(relay) => Some(relay),
            Err(error) => {
                tracing::error!(%error, "cannot open the relay's files");
                None
            }
        });
        let state = relay_store
            .as_ref()
            .map(|r| r.load_engine_state(install))
            .unwrap_or_else(|| EngineState {
                install,
                ..EngineState::new()
            });
        let writer = relay_store.as_ref().map(RelayStore::writer);
        // An owner key given now, or kept from an owner invite joined before.
        let owner_key = owner_key.or_else(|| relay_store.as_ref().and_then(RelayStore::owner_key));
        if let Some(writer) = &writer {
            // The install id and resume points are on disk before anything is sent.
            writer.state(state.clone());
            // A full disk reaches the banner (and a later success clears it).
            let (mut errors, storage) = (writer.errors(), self.storage.clone());
            tokio::spawn(async move {
                while errors.changed().await.is_ok() {
                    let error = errors.borrow_and_update().clone();
                    if storage.send(error).is_err() {
                        return;
                    }
                }
            });
        }
        let config = EngineConfig {
            owner_key,
            ..EngineConfig::new(invite.clone(), name, state)
        };
        let (engine, mut events) = engine::start(config);
        let (done, stopped) = watch::channel(false);
        let (tx, relay, saver) = (self.tx.clone(), relay.to_owned(), writer.clone());
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let Some(writer) = &saver {
                    match &event {
                        Event::Room { room, event } => writer.events(room, vec![event.clone()]),
                        Event::History { room, events, .. } => writer.events(room, events.clone()),
                        Event::Saved(state) => {
                            writer.state(state.clone());
                            continue;
                        }
                        _ => {}
                    }
                }
                // The window may be gone while the engine finishes: keep saving.
                let _ = tx.send((relay.clone(), event));
            }
            let _ = done.send(true);
        });
        Session {
            engine,
            store: relay_store,
            writer,
            welcomed: false,
            status: engine::Status::Connecting,
            stopped,
        }
    }

    /// Leaves one room of a relay; stops the relay's session when it was its last room
    /// (`rooms_left` says how many the app still shows there).
    pub async fn leave(&mut self, relay: &str, room: &str, rooms_left: usize) {
        let Some(session) = self.by_relay.get(relay) else {
            return;
        };
        session.engine.send(Command::LeaveRoom {
            room: room.to_owned(),
        });
        // The room's timeline stays on disk: joining it again shows it at once.
        if rooms_left == 0 {
            if let Some(session) = self.by_relay.remove(relay) {
                stop(session).await;
            }
        }
    }

    /// Ends one relay's session without waiting (a relay the app could not use).
    pub fn drop_one(&mut self, relay: &str) {
        if let Some(session) = self.by_relay.remove(relay) {
            session.engine.send(Command::Disconnect);
        }
    }

    /// Ends every session without waiting (the relays hear Quit; files finish on
    /// their own): after a refused first join, the next try starts afresh, with the
    /// name then typed.
    pub fn drop_all(&mut self) {
        for (_, session) in self.by_relay.drain() {
            session.engine.send(Command::Disconnect);
        }
    }

    /// Stops every session politely (each relay hears Quit and logs its rooms' leaves).
    pub async fn stop_all(&mut self) {
        let all: Vec<Session> = self.by_relay.drain().map(|(_, s)| s).collect();
        futures_util::future::join_all(all.into_iter().map(stop)).await;
    }
}

/// Disconnects a session (the relay hears Quit), lets the engine finish (it stops once
/// it has reported, its handle gone), and waits until every file is written.
async fn stop(mut session: Session) {
    session.engine.send(Command::Disconnect);
    drop(session.engine);
    let _ = tokio::time::timeout(QUIT_WAIT * 2, session.stopped.wait_for(|s| *s)).await;
    if let Some(writer) = session.writer {
        let _ = tokio::task::spawn_blocking(move || writer.flush(Duration::from_secs(2))).await;
    }
}
