//! How the visible entries become rows: consecutive messages of one sender form a group
//! (the name and avatar show once), and a run of joins and leaves becomes one notice
//! line that says what changed ("Anna and Bruno joined · Carla is back").

use common::protocol::LeaveReason;

use super::{
    moderation::ModerationNotice,
    timeline::{Entry, EntryKind, MessageView},
};

/// Messages of one sender closer than this in time belong to one group.
const GROUP_MS: u64 = 5 * 60 * 1000;

/// One row of the message list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row<'a> {
    /// A message; `first` when it starts a group (shows the sender).
    Message {
        /// The entry.
        entry: &'a Entry,
        /// Its message.
        message: &'a MessageView,
        /// Starts a group of the sender's consecutive messages.
        first: bool,
    },
    /// A run of joins and leaves.
    Notices {
        /// The entries, in order.
        entries: Vec<&'a Entry>,
        /// What they add up to.
        summary: NoticeSummary,
    },
    /// Events were lost here.
    Gap(&'a Entry),
}

impl Row<'_> {
    /// The time of the row (its first entry).
    pub fn at_ms(&self) -> u64 {
        match self {
            Row::Message { entry, .. } | Row::Gap(entry) => entry.at_ms,
            Row::Notices { entries, .. } => entries.first().map_or(0, |e| e.at_ms),
        }
    }
}

/// What a run of joins and leaves adds up to, per person: who joined, who left (by
/// reason) and who left and came back (a restart, a reconnection).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoticeSummary {
    /// Joined (and did not leave again within the run).
    pub joined: Vec<String>,
    /// Left and joined again within the run.
    pub back: Vec<String>,
    /// Left, grouped by reason, in order of first appearance.
    pub left: Vec<(LeaveReason, Vec<String>)>,
    /// What owners did, in order.
    pub moderation: Vec<ModerationNotice>,
}

impl NoticeSummary {
    /// Sums up a run of join and leave entries.
    pub fn of(entries: &[&Entry]) -> Self {
        // Per name (in order of first appearance): did it start by leaving, and what
        // was its last change.
        let mut people: Vec<(String, bool, Option<LeaveReason>)> = Vec::new();
        let mut moderation = Vec::new();
        for entry in entries {
            let (name, left) = match &entry.kind {
                EntryKind::Joined(name) => (name, None),
                EntryKind::Left(name, reason) => (name, Some(*reason)),
                EntryKind::Moderation(notice) => {
                    moderation.push(notice.clone());
                    continue;
                }
                _ => continue,
            };
            match people.iter_mut().find(|(n, _, _)| n == name) {
                Some(person) => person.2 = left,
                None => people.push((name.clone(), left.is_some(), left)),
            }
        }
        let mut summary = Self {
            moderation,
            ..Self::default()
        };
        for (name, left_first, last) in people {
            match (left_first, last) {
                (true, None) => summary.back.push(name),
                (false, None) => summary.joined.push(name),
                (_, Some(reason)) => match summary.left.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, names)) => names.push(name),
                    None => summary.left.push((reason, vec![name])),
                },
            }
        }
        summary
    }

    /// True when nothing changed (e.g. someone joined and left within the run).
    pub fn is_empty(&self) -> bool {
        self.joined.is_empty()
            && self.back.is_empty()
            && self.left.is_empty()
            && self.moderation.is_empty()
    }
}

/// Groups the visible entries into rows.
pub fn rows<'a>(entries: &[&'a Entry]) -> Vec<Row<'a>> {
    let mut rows: Vec<Row<'a>> = Vec::with_capacity(entries.len());
    for entry in entries {
        match &entry.kind {
            EntryKind::Message(message) => {
                let first = !matches!(
                    rows.last(),
                    Some(Row::Message { entry: prev, message: before, .. })
                        if before.sender == message.sender
                            && before.own == message.own
                            && entry.at_ms.saturating_sub(prev.at_ms) < GROUP_MS
                );
                rows.push(Row::Message {
                    entry,
                    message,
                    first,
                });
            }
            EntryKind::Joined(_) | EntryKind::Left(..) | EntryKind::Moderation(_) => {
                match rows.last_mut() {
                    Some(Row::Notices { entries, .. }) => entries.push(entry),
                    _ => rows.push(Row::Notices {
                        entries: vec![entry],
                        summary: NoticeSummary::default(),
                    }),
                }
            }
            EntryKind::Gap => rows.push(Row::Gap(entry)),
        }
    }
    for row in &mut rows {
        if let Row::Notices { entries, summary } = row {
            *summary = NoticeSummary::of(entries);
        }
    }
    rows
}
