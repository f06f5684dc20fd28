//! The message list: rows, day separators, the history state at the top and the
//! "new messages" marker; local time formatting.

use chrono::{DateTime, Local, NaiveDate, TimeZone};
use common::protocol::{ClientMsgId, Seq};
use dioxus::prelude::*;

use super::message::{message_row, RowActions};
use crate::{
    i18n::Lang,
    state::{rows, Delivery, Entry, Older, Row},
};

/// The key of the row at the top of the list (history state).
const TOP_KEY: &str = "history-top";

fn local(at_ms: u64) -> Option<DateTime<Local>> {
    Local.timestamp_millis_opt(at_ms as i64).single()
}

/// A relay timestamp as local `HH:MM`.
pub fn format_time(at_ms: u64) -> String {
    local(at_ms)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// A day separator: "Today", "Yesterday" or the date.
pub fn format_day(lang: Lang, day: NaiveDate, today: NaiveDate) -> String {
    if day == today {
        lang.today().into()
    } else if today.pred_opt() == Some(day) {
        lang.yesterday().into()
    } else {
        match lang {
            Lang::It => day.format("%d/%m/%Y").to_string(),
            Lang::En => day.format("%b %-d, %Y").to_string(),
        }
    }
}

/// The timeline: messages grouped by sender with local times, own messages marked
/// (class `own`, `data-own="true"`) with their delivery state, runs of joins and leaves
/// summed up in one line, day separators, the state of older history at the top, and a
/// "new messages" marker when messages arrived while the person had scrolled up.
///
/// Scrolling is the page glue's: it follows the newest message while the list is at
/// the bottom and keeps the rows in view in place otherwise; it reports reaching the
/// top (older messages are then shown).
#[component]
pub fn MessageList(
    /// Interface language.
    lang: Lang,
    /// The entries to show, in order.
    entries: Vec<Entry>,
    /// What the relay may have before the first entry.
    #[props(default = Older::None)]
    older: Older,
    /// Older entries are kept here but hidden (scrolling up shows them).
    #[props(default)]
    hides_older: bool,
    /// Not connected: queued messages wait for the connection.
    #[props(default)]
    offline: bool,
    /// Messages that arrived below the visible part (shows the marker when > 0).
    #[props(default)]
    unseen: usize,
    /// Retry a rejected own message.
    on_retry: EventHandler<ClientMsgId>,
    /// The "new messages" marker was clicked.
    on_jump: EventHandler<()>,
    /// The "show older messages" button was clicked.
    on_older: EventHandler<()>,
    /// This person keeps order in the room: messages get a "Remove" button, which
    /// calls this with the message's seq.
    #[props(default)]
    on_remove: Option<EventHandler<Seq>>,
) -> Element {
    let today = Local::now().date_naive();
    let refs: Vec<&Entry> = entries.iter().collect();
    let rows = rows(&refs);
    // "Delivered" is spelled out under the last delivered own message only.
    let last_delivered = rows.iter().rposition(|row| {
        matches!(row, Row::Message { message, .. } if message.own && message.delivery == Delivery::Delivered)
    });
    let mut last_day: Option<NaiveDate> = None;
    let mut items = Vec::with_capacity(rows.len() + 8);
    for (index, row) in rows.iter().enumerate() {
        let mut new_day = false;
        if let Some(day) = local(row.at_ms()).map(|t| t.date_naive()) {
            if last_day != Some(day) {
                new_day = true;
                last_day = Some(day);
                let label = format_day(lang, day, today);
                items.push(rsx! {
                    li { key: "day-{day}", class: "day", role: "separator", "data-key": "day-{day}",
                        span { "{label}" }
                    }
                });
            }
        }
        items.push(match row {
            Row::Message {
                entry,
                message,
                first,
            } => message_row(
                lang,
                entry,
                message,
                *first || new_day,
                last_delivered == Some(index),
                offline,
                RowActions {
                    on_retry,
                    on_remove,
                },
            ),
            Row::Notices { entries, summary } => {
                let key = entries.first().map(|e| e.key()).unwrap_or_default();
                let seq = entries.first().and_then(|e| e.seq).unwrap_or(0);
                let at = entries.last().map_or(0, |e| e.at_ms);
                rsx! {
                    li { key: "{key}", class: "notice", "data-key": "{key}", "data-seq": "{seq}",
                        span { "{lang.notices(summary)}" }
                        time { class: "time", "{format_time(at)}" }
                    }
                }
            }
            Row::Gap(entry) => {
                let key = entry.key();
                rsx! {
                    li { key: "{key}", class: "notice gap", "data-key": "{key}",
                        span { "{lang.gap_notice()}" }
                    }
                }
            }
        });
    }
    let top = match (older, hides_older, entries.is_empty()) {
        (_, _, true) => rsx! {},
        (Older::Loading, _, _) => rsx! {
            li { key: "{TOP_KEY}", class: "history loading", id: "history-top",
                span { class: "icon spinner", "aria-hidden": "true" }
                "{lang.loading_older()}"
            }
        },
        (Older::None, false, _) => rsx! {
            li { key: "{TOP_KEY}", class: "history start", id: "history-top", "{lang.start_of_room()}" }
        },
        _ => rsx! {
            li { key: "{TOP_KEY}", class: "history more", id: "history-top",
                button { id: "load-older", onclick: move |_| on_older.call(()), "{lang.load_older()}" }
            }
        },
    };

    rsx! {
        div { class: "timeline",
            div {
                class: "scroller",
                id: "messages",
                role: "log",
                tabindex: "0",
                "aria-live": "polite",
                if entries.is_empty() {
                    div { class: "empty", "{lang.empty_room()}" }
                }
                ol { class: "messages", {top} {items.into_iter()} }
            }
            if unseen > 0 {
                button {
                    class: "new-marker",
                    id: "new-messages",
                    onclick: move |_| on_jump.call(()),
                    "{lang.new_messages(unseen)}"
                }
            }
        }
    }
}
