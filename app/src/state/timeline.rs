//! The timeline of one room: the room's log as far as this app knows it (kept on disk,
//! from the relay live, and older pages fetched on demand), gaps where events were
//! lost, and this app's own messages the relay has not sequenced yet.
//!
//! The engine delivers each live event once and in order; history pages and the saved
//! timeline may overlap what is already here, so entries are kept by seq and merged.
//! Only the newest [`Timeline::window`] entries are shown; scrolling to the top shows
//! more, and asks the relay for older pages once the local ones run out.

use std::collections::BTreeMap;

use common::protocol::{
    ClientMsgId, EventKind, InstallId, LeaveReason, RejectReason, RoomEvent, Seq,
};

use super::moderation::{redact, ModerationNotice};

/// Entries shown at first (the newest ones).
pub const FIRST_WINDOW: usize = 150;
/// Entries added to the window each time the user reaches the top.
pub const PAGE: usize = 100;

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
    /// The text, as sent.
    pub text: String,
    /// Sent by this installation.
    pub own: bool,
    /// Delivery state (others' messages are always delivered).
    pub delivery: Delivery,
    /// Removed by this owner of the room: the text is gone (empty), the row shows
    /// that it was removed.
    pub removed_by: Option<String>,
}

/// What one timeline entry shows.
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
    /// An owner kept order (shown with joins and leaves).
    Moderation(ModerationNotice),
}

/// One entry of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Position in the room's log; `None` while an own message is unsequenced. A gap
    /// carries the seq it follows.
    pub seq: Option<Seq>,
    /// Milliseconds since the Unix epoch: the relay's time, or for an own message not
    /// yet back from the relay, the time it was typed.
    pub at_ms: u64,
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

    /// The message, if this entry is one.
    pub fn message(&self) -> Option<&MessageView> {
        match &self.kind {
            EntryKind::Message(m) => Some(m),
            _ => None,
        }
    }

    fn from_event(event: &RoomEvent, install: InstallId) -> Self {
        let kind = match &event.kind {
            EventKind::Message { sender, text, id } => EntryKind::Message(MessageView {
                id: *id,
                sender: sender.clone(),
                text: text.clone(),
                own: id.install == install,
                delivery: Delivery::Delivered,
                removed_by: None,
            }),
            EventKind::Redacted { sender, id, by } => EntryKind::Message(MessageView {
                id: *id,
                sender: sender.clone(),
                text: String::new(),
                own: id.install == install,
                delivery: Delivery::Delivered,
                removed_by: Some(by.clone()),
            }),
            EventKind::Joined { name } => EntryKind::Joined(name.clone()),
            EventKind::Left { name, reason } => EntryKind::Left(name.clone(), *reason),
            _ => match ModerationNotice::of(event) {
                Some(notice) => EntryKind::Moderation(notice),
                None => EntryKind::Gap,
            },
        };
        Self {
            seq: Some(event.seq),
            at_ms: event.at_ms,
            kind,
        }
    }
}

/// What the relay may still have before the oldest entry here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Older {
    /// Not asked yet.
    Unknown,
    /// A page was asked for and has not come.
    Loading,
    /// The relay said there is more.
    More,
    /// The oldest entry here is the room's first.
    None,
}

/// The timeline of one room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    install: InstallId,
    log: BTreeMap<Seq, Entry>,
    /// Gap entries, by the seq they follow.
    gaps: BTreeMap<Seq, Entry>,
    pending: Vec<Entry>,
    older: Older,
    window: usize,
    /// Removed messages by seq, with the owner who removed each (a removal may come
    /// before the message, in pages read out of order).
    removed: BTreeMap<Seq, String>,
}

impl Timeline {
    /// An empty timeline for this installation.
    pub fn new(install: InstallId) -> Self {
        Self {
            install,
            log: BTreeMap::new(),
            gaps: BTreeMap::new(),
            pending: Vec::new(),
            older: Older::Unknown,
            window: FIRST_WINDOW,
            removed: BTreeMap::new(),
        }
    }

    /// Adds a logged event; true when it was new here. A removal (or a message served
    /// removed) takes the text out of the message's row.
    pub fn insert(&mut self, event: &RoomEvent) -> bool {
        let removal = match &event.kind {
            EventKind::MessageRemoved { seq, by } => Some((*seq, by)),
            EventKind::Redacted { by, .. } => Some((event.seq, by)),
            _ => None,
        };
        if let Some((seq, by)) = removal {
            self.removed.insert(seq, by.clone());
            if let Some(entry) = self.log.get_mut(&seq) {
                redact(entry, by);
            }
        }
        let new = self.insert_event(event);
        if let Some(by) = self.removed.get(&event.seq) {
            if let Some(entry) = self.log.get_mut(&event.seq) {
                redact(entry, by);
            }
        }
        new
    }

    fn insert_event(&mut self, event: &RoomEvent) -> bool {
        if let EventKind::Message { id, .. } = &event.kind {
            if id.install == self.install {
                // An own message: it leaves the pending list, if it is still there.
                self.pending
                    .retain(|e| e.message().is_none_or(|m| m.id != *id));
            }
        }
        if let Some(existing) = self.log.get_mut(&event.seq) {
            // Known already (an own message moved here by its ack): take the relay's
            // time and the name it registered.
            existing.at_ms = event.at_ms;
            if let (EntryKind::Message(m), EventKind::Message { sender, .. }) =
                (&mut existing.kind, &event.kind)
            {
                m.sender.clone_from(sender);
            }
            return false;
        }
        self.log
            .insert(event.seq, Entry::from_event(event, self.install));
        true
    }

    /// Adds an older page (from the relay or the disk); returns how many were new.
    pub fn insert_page(&mut self, events: &[RoomEvent], more: bool) -> usize {
        let added = events.iter().filter(|e| self.insert(e)).count();
        self.older = if more { Older::More } else { Older::None };
        added
    }

    /// Events were lost after `after` (the relay no longer had them); true if new.
    pub fn mark_gap(&mut self, after: Seq, now_ms: u64) -> bool {
        if self.gaps.contains_key(&after) {
            return false;
        }
        self.gaps.insert(
            after,
            Entry {
                seq: Some(after),
                at_ms: now_ms,
                kind: EntryKind::Gap,
            },
        );
        true
    }

    /// An own message entered the outbox; false if it is already shown (a retry).
    pub fn queue(&mut self, id: ClientMsgId, sender: &str, text: &str, now_ms: u64) -> bool {
        if let Some(m) = self.pending_message(id) {
            m.delivery = Delivery::Queued;
            return false;
        }
        if self
            .log
            .values()
            .rev()
            .take(PAGE)
            .any(|e| e.message().is_some_and(|m| m.id == id))
        {
            return false;
        }
        self.pending.push(Entry {
            seq: None,
            at_ms: now_ms,
            kind: EntryKind::Message(MessageView {
                id,
                sender: sender.to_owned(),
                text: text.to_owned(),
                own: true,
                delivery: Delivery::Queued,
                removed_by: None,
            }),
        });
        true
    }

    /// The relay stored an own message as `seq`. Its row moves into the log now (the
    /// event itself may come later, or may have come already).
    pub fn acked(&mut self, id: ClientMsgId, seq: Seq) {
        let at = self
            .pending
            .iter()
            .position(|e| e.message().is_some_and(|m| m.id == id));
        if let Some(at) = at {
            let mut entry = self.pending.remove(at);
            if let EntryKind::Message(m) = &mut entry.kind {
                m.delivery = Delivery::Delivered;
            }
            entry.seq = Some(seq);
            self.log.entry(seq).or_insert(entry);
        }
    }

    /// The relay (or the engine) rejected an own message.
    pub fn rejected(&mut self, id: ClientMsgId, reason: RejectReason) {
        if let Some(m) = self.pending_message(id) {
            m.delivery = Delivery::Rejected(reason);
        }
    }

    /// Own messages waiting for the relay.
    pub fn waiting(&self) -> usize {
        self.pending
            .iter()
            .filter(|e| e.message().is_some_and(|m| m.delivery == Delivery::Queued))
            .count()
    }

    /// The newest seq known.
    pub fn last_seq(&self) -> Option<Seq> {
        self.log.keys().next_back().copied()
    }

    /// The oldest seq known.
    pub fn first_seq(&self) -> Option<Seq> {
        self.log.keys().next().copied()
    }

    /// What the relay may have before the oldest entry. A log that starts at seq 1
    /// (the first event of every room) has nothing older.
    pub fn older(&self) -> Older {
        match (self.older, self.first_seq()) {
            (Older::Unknown | Older::More, Some(1)) => Older::None,
            (older, _) => older,
        }
    }

    /// How many of the newest log entries are shown.
    pub fn window(&self) -> usize {
        self.window
    }

    /// The user reached the top: show a page more. Returns the seq to ask the relay for
    /// a page before, when the entries here run out and the relay may have more.
    pub fn show_older(&mut self) -> Option<Seq> {
        let had_hidden = self.log.len() > self.window;
        if had_hidden {
            self.window = (self.window + PAGE).min(self.log.len());
        }
        let short = self.log.len() < self.window + PAGE;
        match (self.older(), self.first_seq()) {
            (Older::Unknown | Older::More, Some(first)) if short && first > 1 => {
                self.older = Older::Loading;
                Some(first)
            }
            (Older::Unknown | Older::More, Some(_)) if short => {
                self.older = Older::None;
                None
            }
            _ => None,
        }
    }

    /// A page the relay could not serve yet: ask again later.
    pub fn page_failed(&mut self) {
        if self.older == Older::Loading {
            self.older = Older::More;
        }
    }

    /// A page arrived: show it as part of the window.
    pub fn grow_window(&mut self, by: usize) {
        self.window = (self.window + by).min(self.log.len().max(FIRST_WINDOW));
    }

    /// The user is back at the bottom: show the newest entries only, so the list stays
    /// light.
    pub fn reset_window(&mut self) {
        self.window = FIRST_WINDOW;
    }

    /// Whether entries older than the window are hidden here.
    pub fn hides_older(&self) -> bool {
        self.log.len() > self.window
    }

    /// The entries shown, oldest first: the window of the log with the gaps inside it,
    /// then the own messages not yet sequenced.
    pub fn visible(&self) -> Vec<&Entry> {
        let skip = self.log.len().saturating_sub(self.window);
        let mut out = Vec::with_capacity(self.window.min(self.log.len()) + self.pending.len());
        let mut shown = self.log.iter().skip(skip).peekable();
        let from = shown.peek().map_or(0, |(seq, _)| **seq);
        let mut gaps = self.gaps.range(from..).peekable();
        for (seq, entry) in shown {
            while let Some((_, gap)) = gaps.next_if(|(after, _)| **after < *seq) {
                out.push(gap);
            }
            out.push(entry);
        }
        out.extend(gaps.map(|(_, gap)| gap));
        out.extend(self.pending.iter());
        out
    }

    fn pending_message(&mut self, id: ClientMsgId) -> Option<&mut MessageView> {
        self.pending.iter_mut().find_map(|e| match &mut e.kind {
            EntryKind::Message(m) if m.id == id => Some(m),
            _ => None,
        })
    }
}
