//! The view model: what the chat screen shows, folded from engine events.
//!
//! [`ChatView::apply`] is a pure function of the current view, one [`Event`] and the
//! current time; it never does I/O. The timeline is the room's log in seq order (each
//! seq once, whatever the engine sends), followed by this app's own messages that the
//! relay has not sequenced yet. An own message is recognised by its
//! [`ClientMsgId`]'s install id; it moves from *queued* to *delivered* when the relay
//! acknowledges it or when it comes back in the log, whichever is first.

use std::collections::BTreeMap;

use common::{
    client::{Event, Outgoing, Status},
    protocol::{ClientMsgId, EventKind, InstallId, LeaveReason, RejectReason, RoomEvent, Seq},
};

/// How many log entries the view keeps; older ones scroll away.
pub const MAX_ENTRIES: usize = 2000;

/// Where an own message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// In the outbox, waiting for the relay's acknowledgement.
    Queued,
    /// Stored by the relay.
    Delivered,
    /// Rejected; can be retried.
    Rejected(RejectReason),
}

impl Delivery {
    /// The value of the `data-delivery` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Delivered => "delivered",
            Self::Rejected(_) => "rejected",
        }
    }
}

/// A chat message as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    /// The sender's id of the message.
    pub id: ClientMsgId,
    /// Sender's display name.
    pub sender: String,
    /// The text, as typed.
    pub text: String,
    /// Sent by this installation.
    pub own: bool,
    /// Delivery state (others' messages are always delivered).
    pub delivery: Delivery,
}

/// What one timeline row shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A message.
    Message(MessageView),
    /// Someone joined.
    Joined(String),
    /// Someone left.
    Left(String, LeaveReason),
    /// Events were lost here (the relay no longer had them).
    Gap,
}

/// One row of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Position in the room's log; `None` while an own message is unsequenced.
    pub seq: Option<Seq>,
    /// Milliseconds since the Unix epoch: the relay's time, or for an own message not
    /// yet back from the relay, the time it was typed.
    pub at_ms: u64,
    /// True once `at_ms` is the relay's time.
    pub relay_time: bool,
    /// What happened.
    pub kind: EntryKind,
}

impl Entry {
    /// A key unique within the timeline, for rendering lists.
    pub fn key(&self) -> String {
        match (&self.kind, self.seq) {
            (EntryKind::Message(m), _) => format!("m-{}-{}", m.id.install, m.id.counter),
            (EntryKind::Gap, seq) => format!("gap-{}", seq.unwrap_or(0)),
            (_, seq) => format!("e-{}", seq.unwrap_or(0)),
        }
    }

    /// The message, if this row is one.
    pub fn message(&self) -> Option<&MessageView> {
        match &self.kind {
            EntryKind::Message(m) => Some(m),
            _ => None,
        }
    }
}

/// Connection status as shown, with when it was reported (for countdowns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusView {
    /// The engine's status.
    pub status: Status,
    /// When it was reported, ms since the Unix epoch.
    pub since_ms: u64,
}

impl StatusView {
    /// Whole seconds until the next reconnect attempt (rounded up), if reconnecting.
    pub fn retry_in_secs(&self, now_ms: u64) -> Option<u64> {
        match &self.status {
            Status::Reconnecting { retry_in, .. } => {
                let due = self.since_ms.saturating_add(retry_in.as_millis() as u64);
                Some(due.saturating_sub(now_ms).div_ceil(1000))
            }
            _ => None,
        }
    }
}

/// Something the app should tell the user outside the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Who wrote.
    pub sender: String,
    /// What they wrote.
    pub text: String,
}

/// What [`ChatView::apply`] changed, so the app can react (scroll, notify).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// New rows were added to the timeline.
    pub added_rows: usize,
    /// New live messages from others (not backlog).
    pub new_from_others: usize,
    /// A live message from someone else, for a desktop notification.
    pub notice: Option<Notice>,
}

/// The chat screen's model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatView {
    /// This installation: own messages carry it.
    pub install: InstallId,
    /// Our name: the one we join with, then the one the relay registered.
    pub me: Option<String>,
    /// Connection status.
    pub status: StatusView,
    /// How many are online, oneself included.
    pub online: u32,
    /// Who is online, in name order (the engine's); `None` in a room too large for the
    /// relay to list.
    pub members: Option<Vec<String>>,
    /// The last seq published when we (re)joined: events after it are live.
    live_after: Option<Seq>,
    /// The log, by (seq, 0) for events and (seq, 1) for a gap after seq.
    log: BTreeMap<(Seq, u8), Entry>,
    /// Own messages not yet sequenced, in send order.
    pending: Vec<Entry>,
}

impl ChatView {
    /// An empty view for this installation joining as `name`, with the persisted outbox
    /// shown as queued.
    pub fn new(install: InstallId, name: &str, outbox: &[Outgoing], now_ms: u64) -> Self {
        let mut view = Self {
            install,
            me: Some(name.to_owned()),
            status: StatusView {
                status: Status::Connecting,
                since_ms: now_ms,
            },
            online: 0,
            members: Some(Vec::new()),
            live_after: None,
            log: BTreeMap::new(),
            pending: Vec::new(),
        };
        for out in outbox {
            view.queue(out, now_ms);
        }
        view
    }

    /// The timeline: the log in order, then unsequenced own messages.
    pub fn timeline(&self) -> Vec<Entry> {
        self.log
            .values()
            .chain(self.pending.iter())
            .cloned()
            .collect()
    }

    /// How many own messages wait for the relay.
    pub fn waiting(&self) -> usize {
        self.pending
            .iter()
            .filter(|e| matches!(e.message(), Some(m) if m.delivery == Delivery::Queued))
            .count()
    }

    /// The last seq in the view.
    pub fn last_seq(&self) -> Option<Seq> {
        self.log.keys().next_back().map(|(seq, _)| *seq)
    }

    /// Folds one engine event into the view.
    pub fn apply(&mut self, event: &Event, now_ms: u64) -> Applied {
        let mut applied = Applied::default();
        match event {
            Event::Status(status) => {
                if self.status.status != *status || matches!(status, Status::Reconnecting { .. }) {
                    self.status = StatusView {
                        status: status.clone(),
                        since_ms: now_ms,
                    };
                }
            }
            Event::Welcome {
                name,
                last_seq,
                gap,
            } => {
                self.me = Some(name.clone());
                self.live_after = Some(*last_seq);
                if *gap {
                    let after = self.last_seq().unwrap_or(0);
                    self.log.entry((after, 1)).or_insert_with(|| {
                        applied.added_rows += 1;
                        Entry {
                            seq: Some(after),
                            at_ms: now_ms,
                            relay_time: false,
                            kind: EntryKind::Gap,
                        }
                    });
                }
            }
            Event::Members { online, names } => {
                self.online = *online;
                self.members = names.clone();
            }
            Event::Room(room) => self.room_event(room, &mut applied),
            Event::Queued(out) => {
                if self.queue(out, now_ms) {
                    applied.added_rows += 1;
                }
            }
            Event::Acked { id, seq } => self.acked(*id, *seq),
            Event::Rejected { id, reason } => {
                if let Some(m) = self.pending_message(*id) {
                    m.delivery = Delivery::Rejected(*reason);
                }
            }
            Event::Saved(_) => {}
        }
        self.trim();
        applied
    }

    /// Adds an outgoing message as queued; true when it is a new row (false for a retry).
    fn queue(&mut self, out: &Outgoing, now_ms: u64) -> bool {
        if let Some(m) = self.pending_message(out.id) {
            m.delivery = Delivery::Queued;
            return false;
        }
        if self.logged_message(out.id).is_some() {
            return false;
        }
        self.pending.push(Entry {
            seq: None,
            at_ms: now_ms,
            relay_time: false,
            kind: EntryKind::Message(MessageView {
                id: out.id,
                sender: self.me.clone().unwrap_or_default(),
                text: out.text.clone(),
                own: true,
                delivery: Delivery::Queued,
            }),
        });
        true
    }

    fn acked(&mut self, id: ClientMsgId, seq: Seq) {
        if let Some(pos) = self.pending_pos(id) {
            let mut entry = self.pending.remove(pos);
            if let EntryKind::Message(m) = &mut entry.kind {
                m.delivery = Delivery::Delivered;
            }
            entry.seq = Some(seq);
            self.log.entry((seq, 0)).or_insert(entry);
        } else if let Some(entry) = self.log.get_mut(&(seq, 0)) {
            if let EntryKind::Message(m) = &mut entry.kind {
                if m.id == id {
                    m.delivery = Delivery::Delivered;
                }
            }
        }
    }

    fn room_event(&mut self, room: &RoomEvent, applied: &mut Applied) {
        let key = (room.seq, 0);
        if let Some(existing) = self.log.get_mut(&key) {
            // Seen already; an own message acked first gets the relay's time now.
            if !existing.relay_time {
                existing.at_ms = room.at_ms;
                existing.relay_time = true;
                if let (EntryKind::Message(m), EventKind::Message { sender, .. }) =
                    (&mut existing.kind, &room.kind)
                {
                    m.sender = sender.clone();
                }
            }
            return;
        }
        if self.log.len() >= MAX_ENTRIES
            && self
                .log
                .keys()
                .next()
                .is_some_and(|(first, _)| *first > room.seq)
        {
            return; // older than everything kept
        }
        let kind = match &room.kind {
            EventKind::Message { sender, text, id } => {
                let own = id.install == self.install;
                if own {
                    if let Some(pos) = self.pending_pos(*id) {
                        self.pending.remove(pos);
                    }
                } else if self.live_after.is_some_and(|after| room.seq > after) {
                    applied.new_from_others += 1;
                    applied.notice = Some(Notice {
                        sender: sender.clone(),
                        text: text.clone(),
                    });
                }
                EntryKind::Message(MessageView {
                    id: *id,
                    sender: sender.clone(),
                    text: text.clone(),
                    own,
                    delivery: Delivery::Delivered,
                })
            }
            EventKind::Joined { name } => EntryKind::Joined(name.clone()),
            EventKind::Left { name, reason } => EntryKind::Left(name.clone(), *reason),
        };
        applied.added_rows += 1;
        self.log.insert(
            key,
            Entry {
                seq: Some(room.seq),
                at_ms: room.at_ms,
                relay_time: true,
                kind,
            },
        );
    }

    fn trim(&mut self) {
        while self.log.len() > MAX_ENTRIES {
            self.log.pop_first();
        }
    }

    fn pending_pos(&self, id: ClientMsgId) -> Option<usize> {
        self.pending
            .iter()
            .position(|e| e.message().is_some_and(|m| m.id == id))
    }

    fn pending_message(&mut self, id: ClientMsgId) -> Option<&mut MessageView> {
        self.pending.iter_mut().find_map(|e| match &mut e.kind {
            EntryKind::Message(m) if m.id == id => Some(m),
            _ => None,
        })
    }

    fn logged_message(&self, id: ClientMsgId) -> Option<&MessageView> {
        self.log
            .values()
            .filter_map(Entry::message)
            .find(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use common::client::Problem;

    use super::*;

    const ME: InstallId = InstallId([1; 16]);
    const OTHER: InstallId = InstallId([2; 16]);

    fn id(install: InstallId, counter: u64) -> ClientMsgId {
        ClientMsgId { install, counter }
    }

    fn msg(seq: Seq, sender: &str, text: &str, id: ClientMsgId) -> Event {
        Event::Room(RoomEvent {
            seq,
            at_ms: 1_000 * seq,
            kind: EventKind::Message {
                sender: sender.into(),
                text: text.into(),
                id,
            },
        })
    }

    fn queued(counter: u64, text: &str) -> Event {
        Event::Queued(Outgoing {
            id: id(ME, counter),
            text: text.into(),
        })
    }

    fn welcome(view: &mut ChatView, last_seq: Seq) {
        view.apply(
            &Event::Welcome {
                name: "Anna".into(),
                last_seq,
                gap: false,
            },
            0,
        );
    }

    fn messages(view: &ChatView) -> Vec<MessageView> {
        view.timeline()
            .iter()
            .filter_map(|e| e.message().cloned())
            .collect()
    }

    #[test]
    fn own_message_goes_queued_then_delivered_via_ack_then_echo() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        welcome(&mut view, 0);
        view.apply(&queued(1, "ciao"), 500);
        let m = &messages(&view)[0];
        assert!(m.own);
        assert_eq!(m.delivery, Delivery::Queued);
        assert_eq!(m.sender, "Anna");
        assert_eq!(view.waiting(), 1);

        view.apply(
            &Event::Acked {
                id: id(ME, 1),
                seq: 7,
            },
            600,
        );
        let t = view.timeline();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].seq, Some(7));
        assert!(!t[0].relay_time);
        assert_eq!(t[0].message().unwrap().delivery, Delivery::Delivered);

        let applied = view.apply(&msg(7, "Anna", "ciao", id(ME, 1)), 700);
        assert_eq!(applied.added_rows, 0);
        assert!(applied.notice.is_none());
        let t = view.timeline();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].at_ms, 7_000);
        assert!(t[0].relay_time);
        assert_eq!(view.waiting(), 0);
    }

    #[test]
    fn own_echo_before_ack_delivers_and_ack_is_harmless() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        welcome(&mut view, 0);
        view.apply(&queued(1, "uno"), 0);
        view.apply(&msg(3, "Anna", "uno", id(ME, 1)), 0);
        view.apply(
            &Event::Acked {
                id: id(ME, 1),
                seq: 3,
            },
            0,
        );
        let ms = messages(&view);
        assert_eq!(ms.len(), 1);
        assert!(ms[0].own);
        assert_eq!(ms[0].delivery, Delivery::Delivered);
    }

    #[test]
    fn others_messages_are_not_own_and_notify_only_when_live() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        welcome(&mut view, 5);
        // Backlog (seq <= 5): shown, no notification.
        let applied = view.apply(&msg(4, "Bruno", "vecchio", id(OTHER, 1)), 0);
        assert_eq!(applied.added_rows, 1);
        assert_eq!(applied.notice, None);
        // Live.
        let applied = view.apply(&msg(6, "Bruno", "nuovo", id(OTHER, 2)), 0);
        assert_eq!(applied.new_from_others, 1);
        assert_eq!(
            applied.notice,
            Some(Notice {
                sender: "Bruno".into(),
                text: "nuovo".into()
            })
        );
        let ms = messages(&view);
        assert_eq!(ms.len(), 2);
        assert!(ms.iter().all(|m| !m.own && m.sender == "Bruno"));
    }

    #[test]
    fn room_events_are_deduplicated_and_ordered_by_seq() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        welcome(&mut view, 0);
        view.apply(&msg(2, "B", "due", id(OTHER, 2)), 0);
        view.apply(&msg(1, "B", "uno", id(OTHER, 1)), 0);
        let again = view.apply(&msg(2, "B", "due", id(OTHER, 2)), 0);
        assert_eq!(again.added_rows, 0);
        let texts: Vec<_> = messages(&view).into_iter().map(|m| m.text).collect();
        assert_eq!(texts, ["uno", "due"]);
    }

    #[test]
    fn pending_messages_stay_after_the_log() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        welcome(&mut view, 0);
        view.apply(&queued(1, "mio"), 0);
        view.apply(&msg(1, "B", "suo", id(OTHER, 1)), 0);
        let texts: Vec<_> = messages(&view).into_iter().map(|m| m.text).collect();
        assert_eq!(texts, ["suo", "mio"]);
    }

    #[test]
    fn rejection_and_retry() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        welcome(&mut view, 0);
        view.apply(&queued(1, "spam"), 0);
        view.apply(
            &Event::Rejected {
                id: id(ME, 1),
                reason: RejectReason::RateLimited,
            },
            0,
        );
        assert_eq!(
            messages(&view)[0].delivery,
            Delivery::Rejected(RejectReason::RateLimited)
        );
        assert_eq!(view.waiting(), 0);
        // Retry re-queues the same id: same row, queued again.
        let applied = view.apply(&queued(1, "spam"), 0);
        assert_eq!(applied.added_rows, 0);
        assert_eq!(messages(&view).len(), 1);
        assert_eq!(messages(&view)[0].delivery, Delivery::Queued);
    }

    #[test]
    fn persisted_outbox_shows_as_queued_and_is_not_doubled() {
        let outbox = [Outgoing {
            id: id(ME, 4),
            text: "offline".into(),
        }];
        let mut view = ChatView::new(ME, "Anna", &outbox, 0);
        assert_eq!(view.waiting(), 1);
        view.apply(&queued(4, "offline"), 0);
        assert_eq!(messages(&view).len(), 1);
    }

    #[test]
    fn own_messages_from_backlog_are_own_after_restart() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        welcome(&mut view, 9);
        view.apply(&msg(9, "Anna", "prima del riavvio", id(ME, 1)), 0);
        let m = &messages(&view)[0];
        assert!(m.own);
        assert_eq!(m.delivery, Delivery::Delivered);
    }

    #[test]
    fn joins_leaves_members_and_gap() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        view.apply(
            &Event::Room(RoomEvent {
                seq: 1,
                at_ms: 0,
                kind: EventKind::Joined {
                    name: "Bruno".into(),
                },
            }),
            0,
        );
        view.apply(
            &Event::Room(RoomEvent {
                seq: 2,
                at_ms: 0,
                kind: EventKind::Left {
                    name: "Bruno".into(),
                    reason: LeaveReason::ConnectionLost,
                },
            }),
            0,
        );
        view.apply(
            &Event::Members {
                online: 2,
                // In name order, as the engine gives them.
                names: Some(vec!["Anna".into(), "bruno".into()]),
            },
            0,
        );
        assert_eq!(
            view.members.as_deref(),
            Some(&["Anna".into(), "bruno".into()][..])
        );
        assert_eq!(view.online, 2);
        view.apply(
            &Event::Members {
                online: 1500,
                names: None,
            },
            0,
        );
        assert_eq!((view.online, view.members.is_none()), (1500, true));
        view.apply(
            &Event::Welcome {
                name: "Anna".into(),
                last_seq: 50,
                gap: true,
            },
            0,
        );
        view.apply(&msg(40, "C", "dopo il buco", id(OTHER, 1)), 0);
        let kinds: Vec<_> = view.timeline().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds[0], EntryKind::Joined("Bruno".into()));
        assert_eq!(
            kinds[1],
            EntryKind::Left("Bruno".into(), LeaveReason::ConnectionLost)
        );
        assert_eq!(kinds[2], EntryKind::Gap);
        assert!(matches!(kinds[3], EntryKind::Message(_)));
    }

    #[test]
    fn status_and_countdown() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        assert_eq!(view.status.status, Status::Connecting);
        view.apply(
            &Event::Status(Status::Reconnecting {
                attempt: 1,
                retry_in: Duration::from_millis(4_500),
                problem: Problem::Unreachable,
            }),
            10_000,
        );
        assert_eq!(view.status.retry_in_secs(10_000), Some(5));
        assert_eq!(view.status.retry_in_secs(13_600), Some(1));
        assert_eq!(view.status.retry_in_secs(20_000), Some(0));
        view.apply(&Event::Status(Status::Connected), 20_000);
        assert_eq!(view.status.retry_in_secs(20_000), None);
        assert_eq!(view.status.status, Status::Connected);
    }

    #[test]
    fn the_log_is_bounded() {
        let mut view = ChatView::new(ME, "Anna", &[], 0);
        for seq in 1..=(MAX_ENTRIES as u64 + 10) {
            view.apply(&msg(seq, "B", "x", id(OTHER, seq)), 0);
        }
        let t = view.timeline();
        assert_eq!(t.len(), MAX_ENTRIES);
        assert_eq!(t[0].seq, Some(11));
    }
}
