//! Unloading rooms nobody has been in for [`Limits::room_idle`](crate::Limits): the
//! room closes (decided under its lock, so no join slips in) and its slot is replaced
//! by one that opens it again, from its log, on the next join — once the closed room's
//! last events are durable. The default room stays.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
    time::{Duration, Instant},
};

use common::protocol::{RoomId, DEFAULT_ROOM};
use tokio::sync::OnceCell;

use super::{Rooms, Slot};
use crate::room::Room;

impl Slot {
    /// A slot for the same room, to open again after `room`.
    fn after(&self, room: &Arc<Room>) -> Self {
        Self {
            name: self.name.clone(),
            by_client: self.by_client,
            settings: Mutex::new(self.settings.lock().unwrap().clone()),
            room: OnceCell::new(),
            after: Arc::downgrade(room),
        }
    }
}

/// Unloads rooms nobody has been in for [`crate::Limits::room_idle`], while the relay
/// runs.
pub(crate) async fn unload_idle(relay: Weak<crate::relay::Shared>) {
    let idle = match relay.upgrade() {
        Some(shared) => shared.rooms.limits.room_idle,
        None => return,
    };
    let every = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(60));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut empty_since: HashMap<RoomId, Instant> = HashMap::new();
    loop {
        tick.tick().await;
        let Some(shared) = relay.upgrade() else {
            return;
        };
        shared.rooms.unload(&mut empty_since, idle);
    }
}

impl Rooms {
    /// One round of unloading: rooms empty for `idle` (noted in `empty_since`) close,
    /// and their slots are replaced by ones that open them again on the next join.
    fn unload(&self, empty_since: &mut HashMap<RoomId, Instant>, idle: Duration) {
        let now = Instant::now();
        let mut inner = self.inner.lock().unwrap();
        let mut unloaded = Vec::new();
        for (id, slot) in &inner.slots {
            let Some(room) = slot.room.get() else {
                empty_since.remove(id);
                continue;
            };
            if slot.name == DEFAULT_ROOM || room.member_count() > 0 {
                empty_since.remove(id);
                continue;
            }
            let since = *empty_since.entry(*id).or_insert(now);
            if now.duration_since(since) >= idle && room.close_if_idle() {
                unloaded.push((*id, slot.after(room)));
            }
        }
        for (id, slot) in unloaded {
            tracing::info!(room = %slot.name, "unloaded (nobody in it)");
            empty_since.remove(&id);
            inner.slots.insert(id, Arc::new(slot));
        }
    }
}
