//! Where this client is in one room's log: the last seq seen (persisted), the resume
//! point a join asks for, de-duplication of events (each seq at most once, in
//! increasing order), whether the join's backlog is still coming, a relay whose log was
//! reset, and the recovery from a resume the client could not decode (join without
//! resuming, still skip what was seen, report the gap). Pure.

use common::protocol::{Seq, Welcome};

/// What joining meant for the log position.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Joined {
    /// Events after the last one seen may have been missed.
    pub(crate) gap: bool,
    /// The relay's log was reset: the position starts over (persist it).
    pub(crate) reset: bool,
}

/// The log position in one room.
#[derive(Debug)]
pub(crate) struct Cursor {
    last_seq: Option<Seq>,
    /// The next join does not resume: a resume could not be decoded.
    recovering: bool,
    /// The welcome's last seq while the backlog up to it is still coming.
    catching_up_to: Option<Seq>,
}

impl Cursor {
    /// From the persisted last seq.
    pub(crate) fn new(last_seq: Option<Seq>) -> Self {
        Self {
            last_seq,
            recovering: false,
            catching_up_to: None,
        }
    }

    /// The last seq seen.
    pub(crate) fn last_seq(&self) -> Option<Seq> {
        self.last_seq
    }

    /// What the next join asks to resume after: `None` (the recent backlog) for a
    /// first join or while recovering.
    pub(crate) fn resume_after(&self) -> Option<Seq> {
        if self.recovering {
            None
        } else {
            self.last_seq
        }
    }

    /// A resumed session failed on a frame this client could not decode: the relay
    /// would send the same frames again, so the next join takes the recent backlog
    /// instead. Seqs up to the last seen still count as seen.
    pub(crate) fn recover(&mut self) {
        self.recovering = true;
    }

    /// Whether the backlog of the last welcome is still coming (events up to the
    /// welcome's last seq).
    pub(crate) fn catching_up(&self) -> bool {
        self.catching_up_to.is_some()
    }

    /// The join is over (the connection ended, the room was left): no backlog comes.
    pub(crate) fn parted(&mut self) {
        self.catching_up_to = None;
    }

    /// Joined: adjusts to the relay's log and tells whether events may have been
    /// missed (the relay's own `gap`, or a recovering join whose backlog starts after
    /// the event following the last one seen). The caller emits the backlog through
    /// [`Cursor::accept`].
    pub(crate) fn welcome(&mut self, welcome: &Welcome) -> Joined {
        let recovering = std::mem::take(&mut self.recovering);
        let joined = self.joined(welcome, recovering);
        self.catching_up_to =
            (welcome.last_seq > self.last_seq.unwrap_or(0)).then_some(welcome.last_seq);
        joined
    }

    fn joined(&mut self, welcome: &Welcome, recovering: bool) -> Joined {
        let Some(last) = self.last_seq else {
            return Joined {
                gap: welcome.gap,
                reset: false,
            };
        };
        if welcome.last_seq < last {
            // The relay's log is behind what we saw: it is a new log (its data was
            // reset). Take its events as they come rather than skip them as seen.
            tracing::warn!("the relay's log restarted; accepting its history anew");
            self.last_seq = None;
            return Joined {
                gap: welcome.gap,
                reset: true,
            };
        }
        let skipped = recovering
            && match welcome.backlog.first() {
                // Seqs need not be consecutive (a clustered log): a backlog that does
                // not reach back to the next seq may have missed events.
                Some(first) => first.seq > last + 1,
                None => welcome.last_seq > last,
            };
        Joined {
            gap: welcome.gap || skipped,
            reset: false,
        }
    }

    /// A room event arrived: true if it is new (and now the last seen), false if it
    /// was seen already (a resume's overlap, a recovering join's backlog).
    pub(crate) fn accept(&mut self, seq: Seq) -> bool {
        if self.catching_up_to.is_some_and(|to| seq >= to) {
            self.catching_up_to = None;
        }
        if self.last_seq.is_some_and(|last| seq <= last) {
            return false;
        }
        self.last_seq = Some(seq);
        true
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::{EventKind, RoomEvent};

    use super::*;

    fn joined(gap: bool, reset: bool) -> Joined {
        Joined { gap, reset }
    }

    fn welcome(last_seq: Seq, backlog: &[Seq], gap: bool) -> Welcome {
        Welcome {
            room: common::protocol::RoomId(1),
            room_name: "piazza".into(),
            members: vec!["Anna".into()],
            online: 1,
            members_as_of: last_seq,
            backlog: backlog
                .iter()
                .map(|&seq| RoomEvent {
                    seq,
                    at_ms: 0,
                    kind: EventKind::Joined { name: "x".into() },
                })
                .collect(),
            last_seq,
            gap,
            archived: false,
            owner: false,
        }
    }

    #[test]
    fn each_seq_is_accepted_once_in_increasing_order_even_with_holes() {
        let mut c = Cursor::new(Some(10));
        assert!(!c.accept(9));
        assert!(!c.accept(10));
        assert!(c.accept(11));
        assert!(c.accept(15), "seqs need not be consecutive");
        assert!(!c.accept(12), "never back");
        assert_eq!(c.last_seq(), Some(15));
        assert_eq!(c.resume_after(), Some(15));
    }

    #[test]
    fn a_relay_whose_log_restarted_is_followed_from_its_start() {
        let mut c = Cursor::new(Some(12));
        assert_eq!(
            c.welcome(&welcome(3, &[1, 2, 3], false)),
            joined(false, true)
        );
        assert!(c.accept(1));
        let mut fresh = Cursor::new(None);
        assert_eq!(fresh.resume_after(), None);
        assert_eq!(fresh.welcome(&welcome(3, &[1], true)), joined(true, false));
    }

    #[test]
    fn a_recovering_join_does_not_resume_but_skips_what_was_seen() {
        let mut c = Cursor::new(Some(10));
        c.recover();
        assert_eq!(c.resume_after(), None);
        // The recent backlog overlaps what was seen: nothing missed.
        assert_eq!(
            c.welcome(&welcome(14, &[8, 9, 10, 11, 12], false)),
            joined(false, false)
        );
        assert_eq!(c.resume_after(), Some(10), "the next join resumes again");
        assert!(!c.accept(9) && !c.accept(10) && c.accept(11));
    }

    #[test]
    fn a_recovering_join_whose_backlog_starts_later_reports_a_gap() {
        let mut c = Cursor::new(Some(10));
        c.recover();
        assert_eq!(
            c.welcome(&welcome(500, &[400, 401], false)),
            joined(true, false)
        );
        let mut c = Cursor::new(Some(10));
        c.recover();
        assert_eq!(c.welcome(&welcome(11, &[11], false)), joined(false, false));
        let mut c = Cursor::new(Some(10));
        c.recover();
        assert_eq!(c.welcome(&welcome(30, &[], false)), joined(true, false));
        // Not recovering: only the relay says whether there is a gap.
        let mut c = Cursor::new(Some(10));
        assert_eq!(
            c.welcome(&welcome(500, &[400], false)),
            joined(false, false)
        );
    }

    #[test]
    fn a_join_catches_up_until_the_welcomes_last_seq_arrives() {
        let mut c = Cursor::new(Some(10));
        assert!(!c.catching_up());
        c.welcome(&welcome(14, &[11, 12], false));
        assert!(c.catching_up());
        assert!(c.accept(11) && c.accept(12) && c.catching_up());
        // Seqs need not be consecutive: 15 is past the welcome's 14.
        assert!(c.accept(15) && !c.catching_up());
        // Nothing new since the last seen: nothing to catch up.
        c.welcome(&welcome(15, &[], false));
        assert!(!c.catching_up());
        c.welcome(&welcome(20, &[], false));
        c.parted();
        assert!(!c.catching_up(), "no backlog after the join ended");
    }
}
