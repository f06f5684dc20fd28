//! The status banner: the connection state and its problem in plain words.

use common::protocol::{ByeReason, JoinRefusal, RefuseReason};
use dioxus::prelude::*;
use engine::{Problem, Status};

use crate::{i18n::Lang, state::StatusView};

/// Which way out a failure offers besides trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fix {
    Name,
    Invite,
    None,
}

fn fix_for(problem: &Problem) -> Fix {
    match problem {
        Problem::Refused(RefuseReason::BadName(_))
        | Problem::JoinRefused(JoinRefusal::NameTaken)
        | Problem::Bye(ByeReason::Replaced) => Fix::Name,
        Problem::JoinRefused(JoinRefusal::RoomKeyRequired | JoinRefusal::RoomKeyWrong)
        | Problem::PinMismatch
        | Problem::Untrusted(_)
        | Problem::Resolve(_) => Fix::Invite,
        _ => Fix::None,
    }
}

/// The connection state in plain words: connecting, connected, reconnecting in N s
/// (with the reason: the relay cannot be reached, it restarted, …, and how many of
/// one's messages wait), or failed with the reason and a way out (try again, change
/// name, change invite). A problem saving on this device shows too. Carries
/// `data-status` for tests and styling.
#[component]
pub fn StatusBanner(
    /// Interface language.
    lang: Lang,
    /// The status and when it was reported.
    status: StatusView,
    /// Now, ms since the Unix epoch (for the countdown).
    now_ms: u64,
    /// Own messages waiting for the connection.
    #[props(default)]
    waiting: usize,
    /// Messages cannot be saved on this device (the error).
    #[props(default)]
    storage_error: Option<String>,
    /// Connect now.
    on_reconnect: EventHandler<()>,
    /// Go back to the join screen to change name or invite.
    on_change: EventHandler<()>,
) -> Element {
    let (kind, text, fix, button) = match &status.status {
        Status::Connecting => ("connecting", lang.connecting().to_owned(), Fix::None, None),
        Status::Connected => ("connected", lang.connected().to_owned(), Fix::None, None),
        Status::Reconnecting { problem, .. } => (
            "reconnecting",
            lang.reconnecting(problem, status.retry_in_secs(now_ms).unwrap_or(0)),
            Fix::None,
            Some(lang.reconnect_now()),
        ),
        Status::Failed(problem) => (
            "failed",
            lang.problem(problem),
            fix_for(problem),
            Some(lang.try_again()),
        ),
        Status::Disconnected => (
            "disconnected",
            lang.disconnected().to_owned(),
            Fix::None,
            Some(lang.reconnect_now()),
        ),
    };
    let busy = kind == "connecting" || kind == "reconnecting";
    rsx! {
        div {
            class: "banner {kind}",
            id: "status",
            role: "status",
            "data-status": kind,
            div { class: "banner-text",
                if busy {
                    span { class: "icon spinner", "aria-hidden": "true" }
                }
                span { class: "banner-message", "{text}" }
                if waiting > 0 && kind != "connected" {
                    span { class: "banner-waiting", id: "waiting", "{lang.waiting_messages(waiting)}" }
                }
                if let Some(error) = &storage_error {
                    span { class: "banner-storage", id: "storage-error", "{lang.storage_error(error)}" }
                }
            }
            div { class: "banner-actions",
                match fix {
                    Fix::Name => rsx! {
                        button { class: "primary", id: "change-name",
                            onclick: move |_| on_change.call(()), "{lang.change_name()}" }
                    },
                    Fix::Invite => rsx! {
                        button { class: "primary", id: "change-invite",
                            onclick: move |_| on_change.call(()), "{lang.change_relay()}" }
                    },
                    Fix::None => rsx! {},
                }
                if let Some(label) = button {
                    button { id: "reconnect", onclick: move |_| on_reconnect.call(()), "{label}" }
                }
            }
        }
    }
}
