use chrono::{DateTime, Local, NaiveDate, TimeZone};
use common::protocol::ClientMsgId;
use dioxus::prelude::*;

use super::{initial, name_hue};
use crate::{
    i18n::Lang,
    state::{Delivery, Entry, EntryKind, MessageView},
};

/// How close to the bottom (in pixels) still counts as "at the bottom".
const BOTTOM_SLACK: f64 = 48.0;

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

/// The timeline: every message with its sender and local time, own messages marked
/// (class `own`, `data-own="true"`) with their delivery state, join and leave notices,
/// and a "new messages" marker when messages arrived while the user scrolled up.
#[component]
pub fn MessageList(
    /// Interface language.
    lang: Lang,
    /// The rows to show, in order.
    entries: Vec<Entry>,
    /// Messages that arrived below the visible part (shows the marker when > 0).
    #[props(default)]
    unseen: usize,
    /// Retry a rejected own message.
    on_retry: EventHandler<ClientMsgId>,
    /// The user scrolled; true when the list is at the bottom.
    on_scroll: EventHandler<bool>,
    /// The "new messages" marker was clicked.
    on_jump: EventHandler<()>,
) -> Element {
    let today = Local::now().date_naive();
    // The word "Delivered" goes under the last delivered own message only; the others
    // keep the tick.
    let last_delivered = entries.iter().rposition(|e| {
        e.message()
            .is_some_and(|m| m.own && m.delivery == Delivery::Delivered)
    });
    let mut last_day: Option<NaiveDate> = None;
    let mut rows = Vec::with_capacity(entries.len() + 4);
    for (index, entry) in entries.iter().enumerate() {
        if let Some(day) = local(entry.at_ms).map(|t| t.date_naive()) {
            if last_day != Some(day) {
                last_day = Some(day);
                let label = format_day(lang, day, today);
                rows.push(rsx! {
                    li { key: "day-{day}", class: "day", role: "separator",
                        span { "{label}" }
                    }
                });
            }
        }
        rows.push(entry_row(
            lang,
            entry,
            last_delivered == Some(index),
            on_retry,
        ));
    }

    rsx! {
        div { class: "timeline",
            div {
                class: "scroller",
                id: "messages",
                role: "log",
                "aria-live": "polite",
                onscroll: move |e| {
                    let bottom = e.scroll_top() + f64::from(e.client_height()) + BOTTOM_SLACK
                        >= f64::from(e.scroll_height());
                    on_scroll.call(bottom);
                },
                if entries.is_empty() {
                    div { class: "empty", "{lang.empty_room()}" }
                }
                ol { class: "messages", {rows.into_iter()} }
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

fn entry_row(
    lang: Lang,
    entry: &Entry,
    last_delivered: bool,
    on_retry: EventHandler<ClientMsgId>,
) -> Element {
    let key = entry.key();
    let seq = entry.seq.map(|s| s.to_string()).unwrap_or_default();
    match &entry.kind {
        EntryKind::Message(message) => {
            message_row(lang, entry, message, (key, seq), last_delivered, on_retry)
        }
        EntryKind::Joined(name) => rsx! {
            li { key: "{key}", class: "notice joined", "data-seq": "{seq}",
                span { "{lang.joined(name)}" }
                time { class: "time", "{format_time(entry.at_ms)}" }
            }
        },
        EntryKind::Left(name, reason) => rsx! {
            li { key: "{key}", class: "notice left", "data-seq": "{seq}",
                span { "{lang.left(name, *reason)}" }
                time { class: "time", "{format_time(entry.at_ms)}" }
            }
        },
        EntryKind::Gap => rsx! {
            li { key: "{key}", class: "notice gap", span { "{lang.gap_notice()}" } }
        },
    }
}

fn message_row(
    lang: Lang,
    entry: &Entry,
    message: &MessageView,
    (key, seq): (String, String),
    last_delivered: bool,
    on_retry: EventHandler<ClientMsgId>,
) -> Element {
    let own = message.own;
    let class = if own { "msg own" } else { "msg" };
    let hue = name_hue(&message.sender);
    let time = format_time(entry.at_ms);
    let id = message.id;
    let delivery = if own {
        match message.delivery {
            Delivery::Queued => rsx! {
                span { class: "delivery queued", title: lang.queued(),
                    span { class: "icon spinner", "aria-hidden": "true" }
                    "{lang.queued()}"
                }
            },
            Delivery::Delivered => rsx! {
                span { class: "delivery delivered", title: lang.delivered(),
                    span { class: "icon", "aria-hidden": "true", "✓" }
                    if last_delivered {
                        span { class: "label", "{lang.delivered()}" }
                    }
                }
            },
            Delivery::Rejected(reason) => rsx! {
                span { class: "delivery rejected",
                    span { class: "icon", "aria-hidden": "true", "!" }
                    span { class: "label", "{lang.not_sent(reason)}" }
                    button {
                        class: "retry",
                        onclick: move |_| on_retry.call(id),
                        "{lang.retry_button()}"
                    }
                }
            },
        }
    } else {
        rsx! {}
    };
    rsx! {
        li {
            key: "{key}",
            class: "{class}",
            "data-own": if own { "true" } else { "false" },
            "data-delivery": message.delivery.as_str(),
            "data-seq": "{seq}",
            if !own {
                span { class: "avatar", style: "--hue: {hue}", "aria-hidden": "true", "{initial(&message.sender)}" }
            }
            div { class: "bubble", style: "--hue: {hue}",
                div { class: "meta",
                    span { class: "sender", "{message.sender}" }
                    time { class: "time", "{time}" }
                }
                div { class: "text", "{message.text}" }
                {delivery}
            }
        }
    }
}
