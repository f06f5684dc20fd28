//! Requests for older events of one room
//! ([`Command::LoadHistory`](crate::Command::LoadHistory)): at most one in flight; a request made offline (or lost with a connection) goes out
//! once the room is joined; a page the relay could not serve now (`retry_later`) is asked for
//! again after a short delay. Pure: the caller passes the time.

use std::time::{Duration, Instant};

use common::protocol::{ClientFrame, HistoryPage, RoomId, Seq};

use crate::Event;

/// Events asked for per page (the relay may send fewer to fit a frame).
pub(crate) const PAGE: u32 = 100;

/// How long to wait before asking again for a page the relay deferred.
pub(crate) const RETRY_LATER: Duration = Duration::from_secs(1);

/// The history requests of one room.
#[derive(Debug, Default)]
pub(crate) struct History {
    /// Asked for, not sent yet (the newest request wins).
    wanted: Option<Seq>,
    /// Sent on the current connection, not answered yet.
    in_flight: Option<Seq>,
    /// Do not send `wanted` before this (the relay asked to retry later).
    not_before: Option<Instant>,
}

impl History {
    /// The app wants events before `before`.
    pub(crate) fn request(&mut self, before: Seq) {
        if self.in_flight != Some(before) {
            self.wanted = Some(before);
        }
    }

    /// The request to send now to `room`, if joined (the caller asks only then).
    pub(crate) fn poll_send(&mut self, room: RoomId, now: Instant) -> Option<ClientFrame> {
        if self.in_flight.is_some() || self.not_before.is_some_and(|t| now < t) {
            return None;
        }
        let before = self.wanted.take()?;
        self.in_flight = Some(before);
        self.not_before = None;
        Some(ClientFrame::History {
            room,
            before,
            limit: PAGE,
        })
    }

    /// When a deferred request may go out.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match (self.in_flight, self.wanted) {
            (None, Some(_)) => self.not_before,
            _ => None,
        }
    }

    /// The relay answered for the room named `room`; the event to report, if any.
    pub(crate) fn page(&mut self, room: &str, page: HistoryPage, now: Instant) -> Option<Event> {
        if self.in_flight != Some(page.before) {
            return None; // Not what is being waited for (cannot happen with one relay).
        }
        self.in_flight = None;
        if page.retry_later {
            // Ask again, unless a newer request came meanwhile.
            self.wanted.get_or_insert(page.before);
            self.not_before = Some(now + RETRY_LATER);
            return None;
        }
        Some(Event::History {
            room: room.to_owned(),
            before: page.before,
            events: page.events,
            more: page.more,
        })
    }

    /// The join ended (the connection was lost): an unanswered request is asked again
    /// on the next one.
    pub(crate) fn disconnected(&mut self) {
        if let Some(before) = self.in_flight.take() {
            self.wanted.get_or_insert(before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: RoomId = RoomId(3);

    fn page(before: Seq, retry_later: bool) -> HistoryPage {
        HistoryPage {
            before,
            events: Vec::new(),
            more: true,
            retry_later,
        }
    }

    fn asked(frame: Option<ClientFrame>) -> Option<Seq> {
        match frame {
            Some(ClientFrame::History {
                room: ROOM,
                before,
                limit,
            }) => {
                assert_eq!(limit, PAGE);
                Some(before)
            }
            None => None,
            Some(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_request_is_in_flight_and_the_next_waits_for_its_page() {
        let now = Instant::now();
        let mut h = History::default();
        h.request(500);
        assert_eq!(asked(h.poll_send(ROOM, now)), Some(500));
        h.request(500);
        assert_eq!(
            asked(h.poll_send(ROOM, now)),
            None,
            "the same request is in flight"
        );
        h.request(400);
        assert_eq!(asked(h.poll_send(ROOM, now)), None, "one at a time");
        assert!(matches!(
            h.page("piazza", page(500, false), now),
            Some(Event::History { before: 500, .. })
        ));
        assert_eq!(asked(h.poll_send(ROOM, now)), Some(400));
        assert!(
            h.page("piazza", page(123, false), now).is_none(),
            "not asked for"
        );
    }

    #[test]
    fn a_request_made_offline_or_lost_with_the_connection_goes_out_on_the_next() {
        let now = Instant::now();
        let mut h = History::default();
        h.request(50);
        // Offline the caller does not poll; after connecting it does.
        assert_eq!(asked(h.poll_send(ROOM, now)), Some(50));
        h.disconnected();
        assert_eq!(asked(h.poll_send(ROOM, now)), Some(50), "asked again");
    }

    #[test]
    fn a_deferred_page_is_asked_for_again_after_a_short_delay() {
        let now = Instant::now();
        let mut h = History::default();
        h.request(50);
        h.poll_send(ROOM, now);
        assert!(h.page("piazza", page(50, true), now).is_none());
        assert_eq!(h.deadline(), Some(now + RETRY_LATER));
        assert_eq!(asked(h.poll_send(ROOM, now)), None, "too early");
        assert_eq!(asked(h.poll_send(ROOM, now + RETRY_LATER)), Some(50));
        assert_eq!(h.deadline(), None);
    }
}
