//! Presence: which joins and leaves the room logs, and online counts for rooms too
//! large to log them.
//!
//! A join is logged while the room is within its presence limit; a leave is logged for
//! exactly the names whose join was logged (the log's present set), so that every
//! "joined" a client saw is followed by a "left" — also across restarts: a graceful
//! shutdown logs `Left{Shutdown}` for everyone present, and a relay starting after a
//! crash does it for whoever the log still records as present. In a room over the limit
//! members get [`ServerFrame::Online`] counts instead, from the ticker
//! ([`run_ticker`]).
//!
//! In a room shared by several relays ([`Presence::shared`]) the logged set follows the
//! log: every relay's joins and leaves come back through the room's feed
//! ([`Presence::seen`]); this relay's own decisions are applied at once and their echo
//! skipped.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Weak,
    time::Duration,
};

use common::protocol::ServerFrame;

use super::{pack::encode, Room};

/// How often a room over the presence limit tells its members the online count.
pub const ONLINE_EVERY: Duration = Duration::from_secs(2);

/// The presence rules of one room.
pub struct Presence {
    /// Names whose join is logged and whose leave is not (yet).
    logged: BTreeSet<String>,
    limit: usize,
    /// The count last told, while the room is (or just was) over the limit.
    told: Option<usize>,
    /// Shared room: this relay's joins and leaves per name not yet back from the log.
    echoes: Option<HashMap<String, usize>>,
}

impl Presence {
    /// Presence for a room with `limit`, whose log records `present` as present.
    pub fn new(limit: usize, present: impl IntoIterator<Item = String>) -> Self {
        Self {
            logged: present.into_iter().collect(),
            limit,
            told: None,
            echoes: None,
        }
    }

    /// The same, for a room shared by several relays.
    pub fn shared(limit: usize, present: impl IntoIterator<Item = String>) -> Self {
        Self {
            echoes: Some(HashMap::new()),
            ..Self::new(limit, present)
        }
    }

    /// `name` joined, making `online` members: true when the join is to be logged.
    pub fn joined(&mut self, name: &str, online: usize) -> bool {
        let log = online <= self.limit && self.logged.insert(name.to_owned());
        self.logging(name, log)
    }

    /// `name` left: true when the leave is to be logged (its join was).
    pub fn left(&mut self, name: &str) -> bool {
        let log = self.logged.remove(name);
        self.logging(name, log)
    }

    fn logging(&mut self, name: &str, log: bool) -> bool {
        if let (true, Some(echoes)) = (log, self.echoes.as_mut()) {
            *echoes.entry(name.to_owned()).or_default() += 1;
        }
        log
    }

    /// Shared room: the log holds a join (or leave) of `name`, by any relay. One of this
    /// relay's own is skipped (applied already); another relay's is applied.
    pub fn seen(&mut self, name: &str, joined: bool) {
        if let Some(echoes) = self.echoes.as_mut() {
            if let Some(n) = echoes.get_mut(name) {
                *n -= 1;
                if *n == 0 {
                    echoes.remove(name);
                }
                return;
            }
        }
        if joined {
            self.logged.insert(name.to_owned());
        } else {
            self.logged.remove(name);
        }
    }

    /// True if `name`'s join is logged and its leave is not.
    pub fn is_logged(&self, name: &str) -> bool {
        self.logged.contains(name)
    }

    /// The names logged as present, in name order.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.logged.iter()
    }

    /// Everyone logged as present, forgotten: their `Left{Shutdown}` is to be logged.
    pub fn take_all(&mut self) -> Vec<String> {
        std::mem::take(&mut self.logged).into_iter().collect()
    }

    /// With `online` members now: the count to tell everyone, if the room is over the
    /// limit (or just came back under it) and the count changed since last told.
    pub fn tick(&mut self, online: usize) -> Option<u32> {
        let large = online > self.limit;
        if !(large || self.told.is_some()) || self.told == Some(online) {
            return None;
        }
        match (self.told.is_some(), large) {
            (false, true) => tracing::info!(
                "{online} members online, over the presence limit of {}: joins are no \
                 longer logged, members get the count",
                self.limit
            ),
            (true, false) => tracing::info!(
                "{online} members online, within the presence limit of {} again",
                self.limit
            ),
            _ => {}
        }
        self.told = large.then_some(online);
        Some(online as u32)
    }
}

/// Tells the members of a large room how many are online, every [`ONLINE_EVERY`].
pub async fn run_ticker(room: Weak<Room>) {
    let mut tick = tokio::time::interval(ONLINE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(room) = room.upgrade() else { return };
        let mut s = room.state.lock().unwrap();
        if s.closed {
            return;
        }
        let online = s.members.len();
        if let Some(count) = s.presence.tick(online) {
            let frame = encode(&ServerFrame::Online {
                room: room.id,
                count,
                as_of: s.published,
            });
            for (_, m) in s.members.iter() {
                // A full queue is evicted by the next publish; a count is not worth more.
                m.queue.push(frame.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_logged_for_exactly_the_joins_that_were() {
        let mut p = Presence::new(2, ["Dario".to_string()]);
        assert!(p.joined("Anna", 1));
        assert!(p.joined("Bruno", 2));
        assert!(!p.joined("Carla", 3), "over the limit: not logged");
        assert!(!p.left("Carla"));
        assert!(
            p.left("Anna"),
            "logged when the room was small: its leave is too"
        );
        assert!(
            !p.joined("Bruno", 2),
            "a replaced session of a present name: no second join"
        );
        let mut all = p.take_all();
        all.sort();
        assert_eq!(
            all,
            ["Bruno", "Dario"],
            "a crashed relay's members included"
        );
        assert!(p.take_all().is_empty());
    }

    #[test]
    fn a_shared_room_applies_other_relays_presence_and_skips_its_own_echo() {
        let mut p = Presence::shared(10, ["Dario".to_string()]);
        assert!(p.joined("Anna", 1));
        assert!(p.left("Anna"));
        p.seen("Bruno", true);
        p.seen("Anna", true);
        assert!(
            !p.is_logged("Anna"),
            "the echo of our own join is not applied again"
        );
        p.seen("Anna", false);
        assert!(!p.is_logged("Anna"));
        p.seen("Dario", false);
        assert_eq!(p.names().collect::<Vec<_>>(), ["Bruno"]);
        p.seen("Anna", true);
        assert!(
            p.is_logged("Anna"),
            "echoes used up: a join from elsewhere counts"
        );
    }

    #[test]
    fn counts_are_told_over_the_limit_when_they_change_and_once_back_under() {
        let mut p = Presence::new(2, []);
        assert_eq!(p.tick(2), None);
        assert_eq!(p.tick(3), Some(3));
        assert_eq!(p.tick(3), None);
        assert_eq!(p.tick(4), Some(4));
        assert_eq!(p.tick(2), Some(2), "back under: one last count");
        assert_eq!(p.tick(1), None);
    }
}
