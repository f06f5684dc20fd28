//! One message row: avatar and sender at the start of a group, the text with clickable
//! links, the time, and for one's own messages the delivery state.

use common::protocol::{ClientMsgId, Seq};
use dioxus::prelude::*;
use linkify::{LinkFinder, LinkKind};

use super::{format_time, initial, name_hue};
use crate::{
    i18n::Lang,
    state::{Delivery, Entry, MessageView},
};

/// A piece of a message text: plain, or a link with the address to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Plain text.
    Text(&'a str),
    /// A web address as written, and the URL it opens.
    Link(&'a str, String),
}

/// Splits a text into plain pieces and web links (`https://…`, `http://…`, `www.…`).
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
    let mut out = Vec::new();
    for span in finder.spans(text) {
        match span.kind() {
            Some(LinkKind::Url) => {
                let shown = span.as_str();
                let lower = shown.to_ascii_lowercase();
                let url = if lower.starts_with("https://") || lower.starts_with("http://") {
                    Some(shown.to_owned())
                } else if lower.starts_with("www.") {
                    Some(format!("https://{shown}"))
                } else {
                    None // other schemes (and bare names) stay text
                };
                match url {
                    Some(url) => out.push(Piece::Link(shown, url)),
                    None => out.push(Piece::Text(shown)),
                }
            }
            _ => out.push(Piece::Text(span.as_str())),
        }
    }
    out
}

/// What a person can do to a message row.
#[derive(Clone, Copy)]
pub struct RowActions {
    /// Retry a rejected own message.
    pub on_retry: EventHandler<ClientMsgId>,
    /// Remove a message for everyone (an owner of the room only).
    pub on_remove: Option<EventHandler<Seq>>,
}

/// A message row.
pub fn message_row(
    lang: Lang,
    entry: &Entry,
    message: &MessageView,
    first: bool,
    last_delivered: bool,
    offline: bool,
    actions: RowActions,
) -> Element {
    let RowActions {
        on_retry,
        on_remove: remove,
    } = actions;
    let key = entry.key();
    let seq = entry.seq.map(|s| s.to_string()).unwrap_or_default();
    let own = message.own;
    let mut class = String::from(if own { "msg own" } else { "msg" });
    if !first {
        class.push_str(" cont");
    }
    let hue = name_hue(&message.sender);
    let time = format_time(entry.at_ms);
    let id = message.id;
    let delivery = if own {
        delivery(
            lang,
            message.delivery,
            last_delivered,
            offline,
            id,
            on_retry,
        )
    } else {
        rsx! {}
    };
    let text = pieces(&message.text).into_iter().map(|piece| match piece {
        Piece::Text(t) => rsx! { "{t}" },
        Piece::Link(shown, url) => rsx! {
            a { class: "link", href: "{url}", rel: "noopener noreferrer", title: "{url}", "{shown}" }
        },
    });
    let removed = message.removed_by.is_some();
    let body = if removed {
        rsx! { div { class: "text removed", "{lang.message_removed()}" } }
    } else {
        rsx! { div { class: "text", dir: "auto", {text} } }
    };
    // An owner may remove any message the relay has numbered.
    let remove_button = match (remove, entry.seq) {
        (Some(on_remove), Some(seq)) if !removed => rsx! {
            button {
                class: "msg-remove",
                r#type: "button",
                title: lang.remove_message_title(),
                onclick: move |_| on_remove.call(seq),
                "{lang.remove_message()}"
            }
        },
        _ => rsx! {},
    };
    rsx! {
        li {
            key: "{key}",
            class: "{class}",
            "data-removed": if removed { "true" } else { "false" },
            "data-key": "{key}",
            "data-own": if own { "true" } else { "false" },
            "data-delivery": message.delivery.as_str(),
            "data-seq": "{seq}",
            if !own {
                if first {
                    span { class: "avatar", style: "--hue: {hue}", "aria-hidden": "true", "{initial(&message.sender)}" }
                } else {
                    span { class: "avatar-space", "aria-hidden": "true" }
                }
            }
            div { class: "bubble", style: "--hue: {hue}",
                if first {
                    div { class: "meta",
                        span { class: "sender", "{message.sender}" }
                    }
                }
                {body}
                div { class: "foot",
                    time { class: "time", "{time}" }
                    {delivery}
                    {remove_button}
                }
            }
        }
    }
}

fn delivery(
    lang: Lang,
    state: Delivery,
    last_delivered: bool,
    offline: bool,
    id: ClientMsgId,
    on_retry: EventHandler<ClientMsgId>,
) -> Element {
    match state {
        Delivery::Queued => {
            let label = if offline {
                lang.waiting()
            } else {
                lang.queued()
            };
            rsx! {
                span { class: "delivery queued", title: label,
                    span { class: if offline { "icon clock" } else { "icon spinner" }, "aria-hidden": "true" }
                    span { class: "label", "{label}" }
                }
            }
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_become_links_and_the_rest_stays_text() {
        assert_eq!(
            pieces("see https://example.org/a?b=1, ok"),
            [
                Piece::Text("see "),
                Piece::Link(
                    "https://example.org/a?b=1",
                    "https://example.org/a?b=1".into()
                ),
                Piece::Text(", ok"),
            ]
        );
        assert_eq!(
            pieces("(www.comune.roma.it)"),
            [
                Piece::Text("("),
                Piece::Link("www.comune.roma.it", "https://www.comune.roma.it".into()),
                Piece::Text(")"),
            ]
        );
        assert_eq!(pieces("ciao a tutti"), [Piece::Text("ciao a tutti")]);
        assert!(pieces("javascript:alert(1)")
            .iter()
            .all(|p| matches!(p, Piece::Text(_))));
    }
}
