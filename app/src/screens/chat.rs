//! The chat screen: top bar (relay, connection dot, people, leave), the status banner,
//! the message list, the composer, and the member list (a sidebar on desktop, a
//! popover on a phone that closes on any click outside it).

use dioxus::prelude::*;
use engine::Status;

use crate::{
    controller::{Intent, Ui},
    platform::glue,
    ui::{Composer, MemberList, MessageList, StatusBanner},
};

/// The chat screen for the view in `ui.chat`.
#[component]
pub fn ChatScreen(
    /// The controller's signals.
    ui: Ui,
    /// Where intents go.
    intents: Coroutine<Intent>,
    /// Now, ms since the Unix epoch (ticks while a countdown shows).
    now_ms: u64,
) -> Element {
    let lang = ui.lang;
    let mut show_members = use_signal(|| false);
    let chat = ui.chat.read();
    let Some(view) = chat.as_ref() else {
        return rsx! {};
    };
    let host = ui
        .settings
        .read()
        .invite
        .parse::<common::invite::Invite>()
        .map(|i| i.authority())
        .unwrap_or_default();
    let (status_text, status_kind) = match &view.status.status {
        Status::Connected => (lang.connected(), "connected"),
        Status::Connecting | Status::Reconnecting { .. } => (lang.connecting(), "connecting"),
        _ => (lang.disconnected(), "offline"),
    };
    let connected = view.status.connected();
    let failed = view.status.failed();
    let members_open = show_members() && !failed;
    let toggle = if connected {
        lang.members_toggle(view.online as usize)
    } else {
        lang.members_unknown_toggle().to_owned()
    };
    let entries: Vec<_> = view.timeline.visible().into_iter().cloned().collect();

    rsx! {
        div { class: "chat-screen",
            header { class: "topbar",
                div { class: "brand small",
                    span { class: "logo", "aria-hidden": "true", "P" }
                    div { class: "brand-text",
                        h1 { "{lang.app_name()}" }
                        span { class: "host", title: "{host}",
                            span { class: "dot {status_kind}", id: "status-dot", title: status_text }
                            "{host}"
                        }
                    }
                }
                div { class: "top-actions",
                    button {
                        class: if members_open { "members-toggle active" } else { "members-toggle" },
                        id: "members-toggle",
                        "aria-expanded": if members_open { "true" } else { "false" },
                        onclick: move |_| show_members.toggle(),
                        "{toggle}"
                    }
                    button {
                        class: "leave",
                        id: "leave-button",
                        title: lang.leave_title(),
                        onclick: move |_| intents.send(Intent::Leave),
                        "{lang.leave_button()}"
                    }
                }
            }
            div { class: "chat-body",
                main { class: "chat-main",
                    StatusBanner {
                        lang,
                        status: view.status.clone(),
                        now_ms,
                        waiting: view.waiting(),
                        storage_error: ui.storage_error.read().clone(),
                        on_reconnect: move |_| intents.send(Intent::ReconnectNow),
                        on_change: move |_| intents.send(Intent::Leave),
                    }
                    MessageList {
                        lang,
                        entries,
                        older: view.timeline.older(),
                        hides_older: view.timeline.hides_older(),
                        offline: !connected,
                        unseen: *ui.unseen.read(),
                        on_retry: move |id| intents.send(Intent::Retry(id)),
                        on_jump: move |_| glue::scroll_to_bottom(),
                        on_older: move |_| intents.send(Intent::ShowOlder),
                    }
                    Composer { lang, stopped: failed }
                }
                if members_open {
                    div {
                        class: "backdrop",
                        id: "members-backdrop",
                        onclick: move |_| show_members.set(false),
                    }
                }
                aside { class: if members_open { "sidebar open" } else { "sidebar" },
                    MemberList {
                        lang,
                        online: view.online,
                        members: view.members.clone(),
                        me: Some(view.me.clone()),
                        known: connected,
                    }
                }
            }
        }
    }
}
