//! The relay's rooms: which exist (the default room, the operator's, and — with open
//! rooms — those clients created), their keys and archived flags, who may join which,
//! and applying a new configuration (SIGHUP) without dropping anyone. Each room is
//! opened once, on first use (configured rooms at start), over its log from the
//! [`Store`]. No connection in sight: sessions ask `Rooms::admit` for a room, then
//! join it themselves.
//!
//! - [`config`]: the operator's definitions (flags, rooms file) and the plan of a
//!   reload. Pure.
//! - `unload.rs`: rooms nobody has been in for a while leave memory.

pub mod config;
mod unload;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
};

use common::{
    fingerprint::constant_time_eq,
    protocol::{JoinRefusal, RoomId, DEFAULT_ROOM, MAX_ROOM_KEY_CHARS},
};
use tokio::sync::OnceCell;

use crate::{
    limits::Limits,
    log::{blocking, LogError, RoomRecord, Store},
    room::{Closing, Room, Setup},
    stats::Stats,
};
pub use config::{configured, read_rooms_file, Plan, RoomConfig, RoomsError};
pub(crate) use unload::unload_idle;

/// One room the relay knows, opened or not.
struct Slot {
    name: String,
    /// Created by a client (open rooms), not by the operator.
    by_client: bool,
    settings: Mutex<Settings>,
    room: OnceCell<Arc<Room>>,
    /// The room this slot's replaces (unloaded when idle): it opens once that one's
    /// last events are durable (while it closes, its closing task holds it).
    after: Weak<Room>,
}

#[derive(Clone, Default)]
struct Settings {
    key: Option<String>,
    /// Archived by the configuration.
    archived: bool,
}

/// Whether a join's key opens a room keyed `key`.
pub fn key_admits(key: Option<&str>, given: Option<&str>) -> Result<(), JoinRefusal> {
    match (key, given) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(JoinRefusal::RoomKeyRequired),
        (Some(_), Some(g)) if g.chars().count() > MAX_ROOM_KEY_CHARS => {
            Err(JoinRefusal::RoomKeyWrong)
        }
        (Some(k), Some(g)) if constant_time_eq(g.as_bytes(), k.as_bytes()) => Ok(()),
        (Some(_), Some(_)) => Err(JoinRefusal::RoomKeyWrong),
    }
}

struct Inner {
    slots: HashMap<RoomId, Arc<Slot>>,
    /// The configuration in force (default room first).
    configured: Vec<RoomConfig>,
    /// The store's catalogue, kept current.
    records: HashMap<String, RoomRecord>,
}

/// The rooms of a relay.
pub(crate) struct Rooms {
    store: Arc<dyn Store>,
    limits: Limits,
    stats: Arc<Stats>,
    lose_acks: bool,
    open_rooms: bool,
    inner: Mutex<Inner>,
}

/// What the relay needs to set its rooms up.
pub(crate) struct RoomsSetup {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) configured: Vec<RoomConfig>,
    pub(crate) open_rooms: bool,
    pub(crate) limits: Limits,
    pub(crate) stats: Arc<Stats>,
    pub(crate) lose_acks: bool,
}

impl Rooms {
    /// The rooms of `setup` (configured ones opened now; with open rooms, those clients
    /// created before are known and open on first use).
    pub(crate) async fn start(setup: RoomsSetup) -> Result<Self, LogError> {
        let store = setup.store.clone();
        let records = blocking(move || store.rooms()).await?;
        let records: HashMap<String, RoomRecord> =
            records.into_iter().map(|r| (r.name.clone(), r)).collect();
        let mut slots = HashMap::new();
        for room in &setup.configured {
            slots.insert(RoomId::of(&room.name), Arc::new(Slot::of(room, false)));
        }
        if setup.open_rooms {
            for record in records.values().filter(|r| r.by_client) {
                let id = RoomId::of(&record.name);
                slots
                    .entry(id)
                    .or_insert_with(|| Arc::new(Slot::of(&RoomConfig::new(&record.name), true)));
            }
        }
        let rooms = Self {
            store: setup.store,
            limits: setup.limits,
            stats: setup.stats,
            lose_acks: setup.lose_acks,
            open_rooms: setup.open_rooms,
            inner: Mutex::new(Inner {
                slots,
                configured: setup.configured.clone(),
                records,
            }),
        };
        // Every configured room on record in one write; opening each then writes nothing.
        rooms
            .record(
                setup
                    .configured
                    .iter()
                    .map(|r| (r.name.clone(), false))
                    .collect(),
            )
            .await?;
        for room in &setup.configured {
            rooms
                .open(&rooms.slot(&room.name).expect("just added"))
                .await?;
        }
        Ok(rooms)
    }

    fn slot(&self, name: &str) -> Option<Arc<Slot>> {
        let inner = self.inner.lock().unwrap();
        inner
            .slots
            .get(&RoomId::of(name))
            .filter(|s| s.name == name)
            .cloned()
    }

    /// The room `name` (a checked name) for a join with `key`: known and opened, or
    /// created when rooms are open. Refused with the reason the client is told.
    pub(crate) async fn admit(
        &self,
        name: &str,
        key: Option<&str>,
    ) -> Result<Arc<Room>, JoinRefusal> {
        let slot = {
            let mut inner = self.inner.lock().unwrap();
            let id = RoomId::of(name);
            match inner.slots.get(&id) {
                Some(slot) if slot.name == name => slot.clone(),
                Some(other) => {
                    tracing::warn!(room = name, other = %other.name, "two room names with one id");
                    return Err(JoinRefusal::NoSuchRoom);
                }
                None => {
                    // An operator's room no longer configured is not for clients to take.
                    let operators = inner.records.get(name).is_some_and(|r| !r.by_client);
                    if !self.open_rooms || operators {
                        return Err(JoinRefusal::NoSuchRoom);
                    }
                    let open = inner
                        .slots
                        .values()
                        .filter(|s| s.room.get().is_some())
                        .count();
                    if open >= self.limits.max_rooms {
                        return Err(JoinRefusal::TooManyRoomsOnRelay);
                    }
                    tracing::info!(room = name, "a client creates a room");
                    let slot = Arc::new(Slot::of(&RoomConfig::new(name), true));
                    inner.slots.insert(id, slot.clone());
                    slot
                }
            }
        };
        let settings = slot.settings.lock().unwrap().clone();
        key_admits(settings.key.as_deref(), key)?;
        let room = self.open(&slot).await.map_err(|e| {
            tracing::error!(room = name, "opening the room failed: {e}");
            JoinRefusal::NoSuchRoom
        })?;
        if self.slot(name).is_none() {
            // Removed by a reload while it opened.
            room.close(Closing::Deleted).await;
            return Err(JoinRefusal::NoSuchRoom);
        }
        // (Replaced since, because it was unloaded: joining the closed room fails and
        // the session asks again, getting the room opened anew.)
        Ok(room)
    }

    /// Brings the store's catalogue in line with `rooms` (name, created by a client):
    /// one write for every record that differs (an archived flag on record stays).
    async fn record(&self, rooms: Vec<(String, bool)>) -> Result<(), LogError> {
        let wanted: Vec<RoomRecord> = {
            let inner = self.inner.lock().unwrap();
            rooms
                .into_iter()
                .filter_map(|(name, by_client)| {
                    let known = inner.records.get(&name);
                    let want = RoomRecord {
                        archived: known.is_some_and(|r| r.archived),
                        by_client,
                        name,
                    };
                    (known != Some(&want)).then_some(want)
                })
                .collect()
        };
        if wanted.is_empty() {
            return Ok(());
        }
        let store = self.store.clone();
        let put = wanted.clone();
        blocking(move || store.put_rooms(&put)).await?;
        let mut inner = self.inner.lock().unwrap();
        for record in wanted {
            inner.records.insert(record.name.clone(), record);
        }
        Ok(())
    }

    /// Opens `slot`'s room once (recording it in the store's catalogue).
    async fn open(&self, slot: &Slot) -> Result<Arc<Room>, LogError> {
        slot.room
            .get_or_try_init(|| async {
                if let Some(before) = slot.after.upgrade() {
                    before.finished().await;
                }
                self.record(vec![(slot.name.clone(), slot.by_client)])
                    .await?;
                let on_record_archived = {
                    let inner = self.inner.lock().unwrap();
                    inner.records.get(&slot.name).is_some_and(|r| r.archived)
                };
                let settings = slot.settings.lock().unwrap().clone();
                let setup = Setup {
                    name: slot.name.clone(),
                    log: self.store.log(RoomId::of(&slot.name)),
                    archived: settings.archived || on_record_archived,
                    lose_acks: self.lose_acks,
                };
                Room::open(setup, self.limits.clone(), self.stats.clone()).await
            })
            .await
            .cloned()
    }

    /// The room `name`, if it is known and open.
    pub(crate) fn room(&self, name: &str) -> Option<Arc<Room>> {
        self.slot(name)?.room.get().cloned()
    }

    /// The default room (always known, opened at start).
    pub(crate) fn default_room(&self) -> Arc<Room> {
        self.room(DEFAULT_ROOM)
            .expect("the default room is opened at start")
    }

    /// The configured rooms in force (the default room first).
    pub(crate) fn configured(&self) -> Vec<RoomConfig> {
        self.inner.lock().unwrap().configured.clone()
    }

    /// The key of room `name`, if it is known (`Some(None)`: no key).
    pub(crate) fn key_of(&self, name: &str) -> Option<Option<String>> {
        let slot = self.slot(name)?;
        let key = slot.settings.lock().unwrap().key.clone();
        Some(key)
    }

    /// Rooms opened now.
    pub(crate) fn open_count(&self) -> usize {
        let inner = self.inner.lock().unwrap();
        inner
            .slots
            .values()
            .filter(|s| s.room.get().is_some())
            .count()
    }

    /// Applies a new configuration (as [`configured`] returns it): added rooms open,
    /// removed ones close (their members are told `RoomLeft{Deleted}`; their data stays
    /// in the store), changed keys apply to later joins, archiving applies at once.
    pub(crate) async fn reload(&self, rooms: Vec<RoomConfig>) -> Plan {
        let mut closing = Vec::new();
        let mut archiving = Vec::new();
        let plan = {
            let mut inner = self.inner.lock().unwrap();
            let plan = Plan::between(&inner.configured, &rooms);
            for room in &plan.added {
                let id = RoomId::of(&room.name);
                let slot = Slot::of(room, false);
                if let Some(open) = inner.slots.get(&id).and_then(|s| s.room.get()) {
                    // A client's room the operator now defines: the same room, theirs.
                    let _ = slot.room.set(open.clone());
                    archiving.push((open.clone(), room.archived));
                }
                inner.slots.insert(id, Arc::new(slot));
            }
            for name in &plan.removed {
                if let Some(slot) = inner.slots.remove(&RoomId::of(name)) {
                    closing.extend(slot.room.get().cloned());
                }
            }
            for room in &plan.changed {
                if let Some(slot) = inner.slots.get(&RoomId::of(&room.name)) {
                    *slot.settings.lock().unwrap() = Settings {
                        key: room.key.clone(),
                        archived: room.archived,
                    };
                    let on_record = inner.records.get(&room.name).is_some_and(|r| r.archived);
                    if let Some(open) = slot.room.get() {
                        archiving.push((open.clone(), room.archived || on_record));
                    }
                }
            }
            inner.configured = rooms;
            plan
        };
        for (room, archived) in archiving {
            room.set_archived(archived);
        }
        for room in closing {
            room.close(Closing::Deleted).await;
        }
        let added = plan.added.iter().map(|r| (r.name.clone(), false));
        if let Err(e) = self.record(added.collect()).await {
            tracing::error!("recording the added rooms failed: {e}");
        }
        for room in &plan.added {
            if let Some(slot) = self.slot(&room.name) {
                if let Err(e) = self.open(&slot).await {
                    tracing::error!(room = %room.name, "opening the room failed: {e}");
                }
            }
        }
        tracing::info!(
            added = plan.added.len(),
            removed = plan.removed.len(),
            changed = plan.changed.len(),
            "rooms reloaded"
        );
        plan
    }

    /// Closes every open room (the relay shuts down): leaves logged, everything durable.
    pub(crate) async fn close_all(&self) {
        let open: Vec<Arc<Room>> = {
            let inner = self.inner.lock().unwrap();
            inner
                .slots
                .values()
                .filter_map(|s| s.room.get().cloned())
                .collect()
        };
        let mut closing = tokio::task::JoinSet::new();
        for room in open {
            closing.spawn(async move { room.close(Closing::Shutdown).await });
        }
        while closing.join_next().await.is_some() {}
    }

    /// Lets go of every room (after [`Rooms::close_all`]), so their logs can close once
    /// nobody else holds them; the rooms, to wait for that.
    pub(crate) fn clear(&self) -> Vec<std::sync::Weak<Room>> {
        let mut inner = self.inner.lock().unwrap();
        let rooms = inner
            .slots
            .values()
            .filter_map(|s| s.room.get().map(Arc::downgrade))
            .collect();
        inner.slots.clear();
        rooms
    }
}

impl Slot {
    fn of(room: &RoomConfig, by_client: bool) -> Self {
        Self {
            name: room.name.clone(),
            by_client,
            settings: Mutex::new(Settings {
                key: room.key.clone(),
                archived: room.archived,
            }),
            room: OnceCell::new(),
            after: Weak::new(),
        }
    }
}
