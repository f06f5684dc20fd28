//! Members across relays: each relay's heartbeat, the name claims that keep names
//! unique in a room whichever relay its members use, and reaping the members of a relay
//! that died.
//!
//! | where | key | value |
//! |---|---|---|
//! | KV `piazza-relays` (max age [`RELAY_TTL`]) | `<relay id>` | — (alive) |
//! | KV `piazza-members` | `<room>.<name key hex>` | `<relay id>.<install hex>.<name hex>` |
//!
//! nats-server 2.9 has no per-key expiry, and a KV watcher hears nothing when a message
//! ages out, so liveness is a bucket whose messages age out as a whole: each relay puts
//! its key every [`BEAT`], and polls the bucket as often. When a relay's key is gone
//! (it died, or lost the cluster for longer than [`RELAY_TTL`]), the first relay to
//! delete one of its claims (compare-and-set on the revision) logs that member's
//! `Left{ConnectionLost}` — once, whoever reaps. A member shown gone that is in fact
//! still connected somewhere is logged as joined again by its relay (see
//! `Room::deliver`).

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use async_nats::jetstream::kv::Operation;
use bytes::Bytes;
use common::protocol::{EventKind, InstallId, LeaveReason, RoomId};

use super::{room::JetStreamRoomLog, room_token, scan, unreachable, Cluster, MEMBERS, RELAYS};
use crate::log::{self, Claim, Entry, LogError, Resend};

/// How often a relay says it is alive, and looks for relays that are not.
pub const BEAT: Duration = Duration::from_secs(1);
/// How long a relay's heartbeat lasts: a relay silent this long is dead to the others.
pub const RELAY_TTL: Duration = Duration::from_secs(5);
/// How often every claim is checked even when no relay went away (a relay that died
/// before this one started).
const FULL_SCAN: Duration = Duration::from_secs(10);

fn member_key(room: RoomId, key: &str) -> String {
    format!("{}.{}", room_token(room), hex::encode(key))
}

/// A claim's value, read back: (relay, install hex, name).
fn parse(value: &[u8]) -> Option<(String, String, String)> {
    let text = std::str::from_utf8(value).ok()?;
    let mut parts = text.splitn(3, '.');
    let relay = parts.next()?.to_owned();
    let install = parts.next()?.to_owned();
    let name = String::from_utf8(hex::decode(parts.next()?).ok()?).ok()?;
    Some((relay, install, name))
}

/// Claims the name `key` in `room` for `install` on this relay (see
/// [`crate::log::RoomLog::claim`]).
pub(super) async fn claim(
    c: &Cluster,
    room: RoomId,
    key: &str,
    name: &str,
    install: InstallId,
) -> Result<Claim, LogError> {
    let k = member_key(room, key);
    let ours = hex::encode(install.0);
    let value = Bytes::from(format!("{}.{ours}.{}", c.relay, hex::encode(name)));
    // Another relay may be claiming at the same moment: the loser reads again.
    for _ in 0..5 {
        let entry = c.members.entry(&k).await.map_err(unreachable)?;
        let held = entry.filter(|e| e.operation == Operation::Put);
        let written = match held {
            None => c
                .members
                .create(&k, value.clone())
                .await
                .err()
                .map(|e| e.to_string()),
            Some(e) => {
                // An unreadable claim is nobody's: it is taken over like a dead one.
                if let Some((relay, install, _)) = parse(&e.value) {
                    if install == ours && relay == c.relay {
                        return Ok(Claim::Granted);
                    }
                    if install != ours && alive(c, &relay).await? {
                        return Ok(Claim::Taken);
                    }
                }
                // Its own name from another relay, or a name a dead relay held.
                let update = c.members.update(&k, value.clone(), e.revision).await;
                update.err().map(|e| e.to_string())
            }
        };
        match written {
            None => return Ok(Claim::Granted),
            Some(e) => tracing::debug!("claiming a name: {e} (reading it again)"),
        }
    }
    Err(unreachable("a name claim kept changing under us"))
}

/// Gives a claim up if it is still this relay's and `install`'s.
pub(super) async fn release(c: &Cluster, room: RoomId, key: &str, install: InstallId) {
    let k = member_key(room, key);
    let Ok(Some(e)) = c.members.entry(&k).await else {
        return;
    };
    let ours = hex::encode(install.0);
    match parse(&e.value) {
        Some((relay, install, _)) if relay == c.relay && install == ours => {
            if let Err(err) = c.members.delete_expect_revision(&k, Some(e.revision)).await {
                tracing::debug!("releasing a name: {err}");
            }
        }
        _ => {}
    }
}

/// True if `relay` is this one or its heartbeat is fresh.
async fn alive(c: &Cluster, relay: &str) -> Result<bool, LogError> {
    if relay == c.relay {
        return Ok(true);
    }
    let beat = c.relays.get(relay).await.map_err(unreachable)?;
    Ok(beat.is_some())
}

/// Starts this relay's heartbeat and the reaper of dead relays' members; they stop when
/// the store closes (and the heartbeat is deleted then, so others reap at once).
pub(super) fn start(c: Arc<Cluster>) {
    c.rt.clone().spawn(async move {
        let mut tick = tokio::time::interval(BEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen: HashSet<String> = HashSet::new();
        let mut last_full: Option<Instant> = None;
        let mut failing = false;
        loop {
            tick.tick().await;
            if c.closed.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = c.relays.delete(&c.relay).await;
                return;
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let beat = c.relays.put(&c.relay, Bytes::from(now.to_string())).await;
            match (&beat, failing) {
                (Err(e), false) => {
                    tracing::warn!("the cluster did not take this relay's heartbeat: {e}")
                }
                (Ok(_), true) => tracing::info!("the cluster takes this relay's heartbeat again"),
                _ => {}
            }
            failing = beat.is_err();
            let alive = match relays(&c).await {
                Ok(alive) => alive,
                Err(e) => {
                    tracing::debug!("reading the relays: {e}");
                    continue;
                }
            };
            let vanished = seen.iter().any(|r| !alive.contains(r));
            let due = last_full.is_none_or(|t| t.elapsed() >= FULL_SCAN);
            seen = alive.clone();
            if vanished || due {
                last_full = Some(Instant::now());
                if let Err(e) = reap(&c, &alive).await {
                    tracing::warn!("reaping the members of relays that went away: {e}");
                }
            }
        }
    });
}

/// The relays whose heartbeat is fresh.
async fn relays(c: &Cluster) -> Result<HashSet<String>, LogError> {
    let kv = c.kv_stream(RELAYS).await?;
    let mut out = HashSet::new();
    scan::last_per_key(&kv, RELAYS, "", |key, _, _| {
        out.insert(key.to_owned());
    })
    .await?;
    out.insert(c.relay.clone());
    Ok(out)
}

/// Deletes the claims of relays not in `alive` and logs those members as gone.
async fn reap(c: &Arc<Cluster>, alive: &HashSet<String>) -> Result<(), LogError> {
    let kv = c.kv_stream(MEMBERS).await?;
    let mut dead = Vec::new();
    scan::last_per_key(&kv, MEMBERS, "", |key, value, revision| {
        if let Some((relay, _, name)) = parse(value) {
            if !alive.contains(&relay) {
                dead.push((key.to_owned(), name, revision));
            }
        }
    })
    .await?;
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut leaves: BTreeMap<u64, Vec<Entry>> = BTreeMap::new();
    for (key, name, revision) in dead {
        let Some(room) = key
            .split('.')
            .next()
            .and_then(|t| u64::from_str_radix(t, 16).ok())
            .map(RoomId)
        else {
            continue;
        };
        // Whoever deletes it first logs the leave; the others' deletes fail here.
        if c.members
            .delete_expect_revision(&key, Some(revision))
            .await
            .is_err()
        {
            continue;
        }
        let present = format!("{}.{}", room_token(room), hex::encode(&name));
        let logged = c.present.get(&present).await.map_err(unreachable)?;
        if logged.is_none() {
            continue;
        }
        tracing::info!(%name, room = %room_token(room), "a relay went away: its member is gone");
        leaves.entry(room.0).or_default().push(Entry {
            at_ms,
            kind: EventKind::Left {
                name,
                reason: LeaveReason::ConnectionLost,
            },
            resend: Resend::Fresh,
        });
    }
    // One batch per room.
    for (room, entries) in leaves {
        let log = JetStreamRoomLog::new(RoomId(room), c.clone());
        log::append(&log, entries).await?;
    }
    Ok(())
}
