//! The view model: what the chat screen shows, folded from engine events. Free of
//! Dioxus types and of translated text: reasons stay enums until a component renders
//! them.
//!
//! [`ChatView::apply`] is a pure function of the current view, one engine [`Event`] and
//! the current time; it never does I/O, and says what changed ([`Applied`]) so the
//! controller can scroll, notify and persist. The engine guarantees each logged event
//! once and in order, and reports an own message coming back as `Acked`; the view does
//! not check either again. What the view merges itself is what comes from elsewhere:
//! the saved timeline and older pages.
//!
//! - [`rooms`]: the rooms the app is in, which one is shown, unread counts;
//! - [`timeline`]: a room's entries (log, gaps, unsequenced own messages, paging);
//! - [`rows`]: entries grouped into rows (sender groups, notice summaries);
//! - [`moderation`]: owners' actions as notices, removed messages' rows.

pub mod moderation;
pub mod rooms;
pub mod rows;
pub mod timeline;

use common::protocol::{InstallId, Moderation, ModerationRefusal, RoomEvent, Seq};
use engine::{Event, Outgoing, Status};

pub use moderation::ModerationNotice;
pub use rooms::{RoomKey, RoomMark, RoomSummary, RoomTab, Rooms};
pub use rows::{rows, NoticeSummary, Row};
pub use timeline::{Delivery, Entry, EntryKind, MessageView, Older, Timeline};

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

    /// In the room now.
    pub fn connected(&self) -> bool {
        self.status == Status::Connected
    }

    /// Stopped on a problem retrying cannot heal: sending is pointless.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed(_))
    }
}

/// A message to tell the user about outside the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Who wrote.
    pub sender: String,
    /// What they wrote.
    pub text: String,
}

/// What [`ChatView::apply`] changed, so the controller can react.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// New entries were added to the timeline.
    pub added: usize,
    /// New live messages from others (not backlog, not history).
    pub new_from_others: usize,
    /// The last live message from someone else, for a notification.
    pub notice: Option<Notice>,
    /// Logged events to keep on disk.
    pub to_save: Vec<RoomEvent>,
}

/// The chat screen's model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatView {
    /// This installation: own messages carry it.
    pub install: InstallId,
    /// Our name: the one we join with, then the one the relay registered.
    pub me: String,
    /// Connection status.
    pub status: StatusView,
    /// How many are online, oneself included (as last known).
    pub online: u32,
    /// Who is online, in name order; `None` in a room too large for the relay to list.
    pub members: Option<Vec<String>>,
    /// True once a welcome arrived in this run: the relay accepted us at least once.
    pub welcomed: bool,
    /// The room is archived: it can be read, not written to.
    pub archived: bool,
    /// We joined as an owner of the room (we may remove messages and members, mute).
    pub owner: bool,
    /// The last moderation the relay refused us, until the next welcome.
    pub moderation_refused: Option<(Moderation, ModerationRefusal)>,
    /// The last seq published when we (re)joined: events after it are live.
    live_after: Option<Seq>,
    /// The room's entries.
    pub timeline: Timeline,
}

impl ChatView {
    /// A view for this installation joining as `name`, starting from the saved timeline
    /// and showing the persisted outbox as queued.
    pub fn new(
        install: InstallId,
        name: &str,
        saved: &[RoomEvent],
        outbox: &[Outgoing],
        now_ms: u64,
    ) -> Self {
        let mut timeline = Timeline::new(install);
        for event in saved {
            timeline.insert(event);
        }
        for out in outbox {
            timeline.queue(out.id, name, &out.text, now_ms);
        }
        Self {
            install,
            me: name.to_owned(),
            status: StatusView {
                status: Status::Connecting,
                since_ms: now_ms,
            },
            online: 0,
            members: Some(Vec::new()),
            welcomed: false,
            archived: false,
            owner: false,
            moderation_refused: None,
            live_after: None,
            timeline,
        }
    }

    /// Folds one engine event into the view: the connection's status, or an event of
    /// this room (the controller routes events by room).
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
                archived,
                owner,
                ..
            } => {
                self.me = name.clone();
                self.welcomed = true;
                self.archived = *archived;
                self.owner = *owner;
                self.moderation_refused = None;
                self.live_after = Some(*last_seq);
                if *gap {
                    let after = self.timeline.last_seq().unwrap_or(0);
                    if self.timeline.mark_gap(after, now_ms) {
                        applied.added += 1;
                    }
                }
            }
            Event::Members { online, names, .. } => {
                self.online = *online;
                self.members = names.clone();
            }
            Event::Room { event: room, .. } => {
                if self.timeline.insert(room) {
                    applied.added += 1;
                    applied.to_save.push(room.clone());
                    self.live_message(room, &mut applied);
                }
            }
            Event::History { events, more, .. } => {
                let added = self.timeline.insert_page(events, *more);
                self.timeline.grow_window(added);
                applied.added += added;
                applied.to_save.extend(events.iter().cloned());
            }
            Event::Queued { out, .. } => {
                if self.timeline.queue(out.id, &self.me, &out.text, now_ms) {
                    applied.added += 1;
                }
            }
            Event::Acked { id, seq, .. } => self.timeline.acked(*id, *seq),
            Event::Rejected { id, reason, .. } => self.timeline.rejected(*id, *reason),
            Event::RoomStatus {
                status: engine::RoomStatus::Archived,
                ..
            } => self.archived = true,
            Event::ModerationRefused { action, reason, .. } => {
                self.moderation_refused = Some((action.clone(), *reason));
            }
            Event::RoomStatus { .. } | Event::Saved(_) => {}
        }
        applied
    }

    /// Counts a live message from someone else, for the unread marker and notifications.
    fn live_message(&self, room: &RoomEvent, applied: &mut Applied) {
        if let common::protocol::EventKind::Message { sender, text, id } = &room.kind {
            let live = self.live_after.is_some_and(|after| room.seq > after);
            if live && id.install != self.install {
                applied.new_from_others += 1;
                applied.notice = Some(Notice {
                    sender: sender.clone(),
                    text: text.clone(),
                });
            }
        }
    }

    /// How many own messages wait for the relay.
    pub fn waiting(&self) -> usize {
        self.timeline.waiting()
    }
}

#[cfg(test)]
mod tests;
