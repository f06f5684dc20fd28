//! The upgrade from the one-room relay (protocol v3): its log had unkeyed tables
//! (`events`, `client_ids`, `installs`, `present`) holding v3 `ServerFrame::Event`
//! frames. In one transaction they become the default room's: every event re-encoded
//! as a v4 frame naming the room under its old seq, every client id (de-duplication
//! goes on), every install's counter and the present set (presence across the upgrade);
//! then the old tables are dropped. A crash in between leaves the v3 tables as they
//! were, and the next start upgrades again.

use ::redb::{Database, ReadableTable, TableDefinition, TableHandle};
use common::{
    codec::{self, PREFIX_BYTES},
    protocol::{RoomEvent, RoomId, DEFAULT_ROOM},
};

use super::{EVENTS, IDS, INSTALLS, PRESENT, ROOMS};
use crate::log::{LogError, Stored};

const V3_EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
const V3_IDS: TableDefinition<(u128, u64), u64> = TableDefinition::new("client_ids");
const V3_INSTALLS: TableDefinition<u128, u64> = TableDefinition::new("installs");
const V3_PRESENT: TableDefinition<&str, ()> = TableDefinition::new("present");

/// The variant index of `ServerFrame::Event` in protocol v3 (bincode's varint: one
/// byte), in front of the `RoomEvent`, whose layout v4 keeps.
const V3_EVENT_TAG: u8 = 2;

/// Reads a v3 event frame.
pub(super) fn v3_event(seq: u64, frame: &[u8]) -> Result<RoomEvent, LogError> {
    let bad = |why: String| LogError::Upgrade(format!("event {seq} of the v3 log: {why}"));
    let payload = frame.get(PREFIX_BYTES..).unwrap_or_default();
    match payload.split_first() {
        Some((&V3_EVENT_TAG, event)) => {
            let event: RoomEvent = codec::decode_payload(event).map_err(|e| bad(e.to_string()))?;
            if event.seq != seq {
                return Err(bad(format!("it says it is event {}", event.seq)));
            }
            Ok(event)
        }
        _ => Err(bad("not an event frame".into())),
    }
}

/// Moves a v3 log into the default room; the number of events moved, or `None` when
/// there was no v3 log.
pub(super) fn from_v3(db: &Database) -> Result<Option<u64>, LogError> {
    let txn = db.begin_write()?;
    if !txn.list_tables()?.any(|t| t.name() == V3_EVENTS.name()) {
        return Ok(None);
    }
    let room = RoomId::of(DEFAULT_ROOM);
    let r = room.0;
    let mut moved = 0;
    {
        let old = txn.open_table(V3_EVENTS)?;
        let mut events = txn.open_table(EVENTS)?;
        for entry in old.iter()? {
            let (seq, frame) = entry?;
            let seq = seq.value();
            let stored = Stored::new(room, v3_event(seq, frame.value())?)?;
            events.insert((r, seq), stored.frame.as_ref())?;
            moved += 1;
        }
        let old = txn.open_table(V3_IDS)?;
        let mut ids = txn.open_table(IDS)?;
        for entry in old.iter()? {
            let (k, v) = entry?;
            let (install, counter) = k.value();
            ids.insert((r, install, counter), v.value())?;
        }
        let old = txn.open_table(V3_INSTALLS)?;
        let mut installs = txn.open_table(INSTALLS)?;
        for entry in old.iter()? {
            let (k, v) = entry?;
            installs.insert((r, k.value()), v.value())?;
        }
        let old = txn.open_table(V3_PRESENT)?;
        let mut present = txn.open_table(PRESENT)?;
        for entry in old.iter()? {
            present.insert((r, entry?.0.value()), ())?;
        }
        txn.open_table(ROOMS)?.insert(DEFAULT_ROOM, 0)?;
    }
    txn.delete_table(V3_EVENTS)?;
    txn.delete_table(V3_IDS)?;
    txn.delete_table(V3_INSTALLS)?;
    txn.delete_table(V3_PRESENT)?;
    txn.commit()?;
    Ok(Some(moved))
}
