//! Pacing every outbox together under the relay's rate limit, which is per client over
//! all rooms (`Ready::rate`): one token bucket a little under the limit, and turns taken
//! round-robin by room name, so a room with a long outbox does not hold back the others.
//! Pure: the caller passes the time.

use std::{collections::BTreeMap, ops::Bound, time::Instant};

use common::{protocol::RateLimit, rate::TokenBucket};

/// The pace of one connection's sends, and whose turn is next.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    /// Connected: the bucket sends are paced with.
    bucket: Option<TokenBucket>,
    /// The room that sent last; the next turn goes to the room after it.
    last: Option<String>,
}

impl Pacer {
    /// A new connection under `rate`: a burst two under the relay's, 80 % of its rate.
    pub(crate) fn connected(&mut self, rate: RateLimit) {
        self.bucket = Some(TokenBucket::new(
            f64::from(rate.burst.saturating_sub(2).max(1)),
            f64::from(rate.per_second.max(1)) * 0.8,
        ));
    }

    /// The connection ended: nothing goes out until the next one.
    pub(crate) fn disconnected(&mut self) {
        self.bucket = None;
    }

    /// The room whose message goes out now, if connected, the pace allows and a room
    /// in `rooms` is `ready` to send: the first ready one after the last that sent (in
    /// name order, wrapping around). It takes the turn (and a token).
    pub(crate) fn turn<V>(
        &mut self,
        rooms: &BTreeMap<String, V>,
        now: Instant,
        ready: impl Fn(&V) -> bool,
    ) -> Option<String> {
        let bucket = self.bucket.as_mut()?;
        let next = next_after(rooms, self.last.as_deref(), ready)?;
        if !bucket.take_at(now) {
            return None;
        }
        self.last = Some(next.clone());
        Some(next)
    }

    /// When the pace allows the next send (the caller asks only if one waits).
    pub(crate) fn next_send_at(&self) -> Option<Instant> {
        self.bucket.as_ref().map(TokenBucket::next_token)
    }
}

/// The first key after `last` (wrapping around, `last` itself coming last) whose value
/// is `ready`.
fn next_after<V>(
    rooms: &BTreeMap<String, V>,
    last: Option<&str>,
    ready: impl Fn(&V) -> bool,
) -> Option<String> {
    let after = match last {
        Some(last) => rooms.range::<str, _>((Bound::Excluded(last), Bound::Unbounded)),
        None => rooms.range::<str, _>(..),
    };
    let up_to = last
        .map(|last| rooms.range::<str, _>((Bound::Unbounded, Bound::Included(last))))
        .into_iter()
        .flatten();
    after
        .chain(up_to)
        .find(|(_, v)| ready(v))
        .map(|(k, _)| k.clone())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const FAST: RateLimit = RateLimit {
        per_second: 1000,
        burst: 1000,
    };

    /// Rooms with this many messages waiting each.
    fn rooms(waiting: &[(&str, usize)]) -> BTreeMap<String, usize> {
        waiting.iter().map(|(n, w)| (n.to_string(), *w)).collect()
    }

    /// Takes turns until nothing is ready, sending one message per turn.
    fn turns(p: &mut Pacer, rooms: &mut BTreeMap<String, usize>, now: Instant) -> Vec<String> {
        let mut order = Vec::new();
        while let Some(room) = p.turn(rooms, now, |w| *w > 0) {
            *rooms.get_mut(&room).unwrap() -= 1;
            order.push(room);
        }
        order
    }

    #[test]
    fn rooms_take_turns_whatever_their_outboxes_hold() {
        let now = Instant::now();
        let mut p = Pacer::default();
        let mut r = rooms(&[("a", 3), ("b", 1), ("c", 2), ("d", 0)]);
        assert_eq!(p.turn(&r, now, |w| *w > 0), None, "offline: nothing");
        p.connected(FAST);
        assert_eq!(
            turns(&mut p, &mut r, now),
            vec!["a", "b", "c", "a", "c", "a"]
        );
        // A room that fills up later joins the rotation after the last one served.
        let mut r = rooms(&[("a", 2), ("b", 2), ("c", 0)]);
        assert_eq!(p.turn(&r, now, |w| *w > 0).as_deref(), Some("b"), "after a");
        r.insert("c".into(), 1);
        r.insert("b".into(), 1);
        assert_eq!(turns(&mut p, &mut r, now), vec!["c", "a", "b", "a"]);
        p.disconnected();
        assert_eq!(p.next_send_at(), None);
    }

    #[test]
    fn all_rooms_together_stay_under_the_relays_rate() {
        let start = Instant::now();
        let mut p = Pacer::default();
        p.connected(RateLimit {
            per_second: 10,
            burst: 6,
        });
        let mut r = rooms(&[("a", 20), ("b", 20), ("c", 20)]);
        // A burst of four (two under the relay's) for all rooms, then 8 a second.
        assert_eq!(turns(&mut p, &mut r, start), vec!["a", "b", "c", "a"]);
        let next = p.next_send_at().unwrap();
        assert!(next > start && next <= start + Duration::from_millis(130));
        // Resting does not earn more than the burst.
        let later = start + Duration::from_secs(1);
        assert_eq!(turns(&mut p, &mut r, later), vec!["b", "c", "a", "b"]);
        let sent: usize = r.values().map(|w| 20 - w).sum();
        assert_eq!(sent, 8);
    }
}
