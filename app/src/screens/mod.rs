//! The screens: shared components put together and wired to the controller.
//!
//! - [`ChatScreen`]: the room.
//! - [`PromptScreen`]: joining (name and invite).
//! - [`LockedScreen`]: another window uses the data directory.

mod chat;

pub use chat::ChatScreen;

use dioxus::prelude::*;
use engine::nearby::{NearbyBrowser, NearbyRoom};

use crate::{
    controller::{Intent, Phase, Ui},
    ui::NamePrompt,
};

/// The join screen, pre-filled with what was used last (or the start-up invite).
#[component]
pub fn PromptScreen(
    /// The controller's signals.
    ui: Ui,
    /// Where intents go.
    intents: Coroutine<Intent>,
    /// The invite to start with: the one used in this run, else the one given at
    /// start (argument or `PIAZZA_INVITE`) or saved.
    initial_invite: String,
) -> Element {
    let (problem, joining) = match &*ui.phase.read() {
        Phase::Prompt(problem) => (problem.clone(), false),
        _ => (None, true),
    };
    let initial_name = ui.settings.read().name.clone();
    let found = use_nearby();
    // This app's own hosted room is not "nearby".
    let own = ui
        .hosting
        .read()
        .as_ref()
        .and_then(|s| s.invite.fingerprint);
    let nearby: Vec<NearbyRoom> = found
        .read()
        .iter()
        .filter(|room| Some(room.fingerprint) != own)
        .cloned()
        .collect();
    let host_problem = ui
        .host_problem
        .read()
        .as_ref()
        .map(|p| ui.lang.host_problem(p));
    rsx! {
        NamePrompt {
            lang: ui.lang,
            initial_name,
            initial_invite,
            problem,
            joining,
            on_join: move |(name, invite, owner_key)| {
                // Joining from this very event, so that the page, which keeps what is
                // typed until the relay answers, never sees the request as refused.
                let mut phase = ui.phase;
                phase.set(Phase::Joining);
                intents.send(Intent::Join { name, invite, at_once: false, owner_key });
            },
            on_host: move |name| {
                let mut phase = ui.phase;
                phase.set(Phase::Joining);
                intents.send(Intent::Host { join_as: Some(name) });
            },
            host_problem,
            nearby,
        }
    }
}

/// The rooms found on the network while the join screen shows (browsing stops when it
/// goes). Where mDNS cannot run, the list stays empty and the log says why.
fn use_nearby() -> Signal<Vec<NearbyRoom>> {
    let mut rooms = use_signal(Vec::new);
    use_future(move || async move {
        let browser = match NearbyBrowser::start() {
            Ok(browser) => browser,
            Err(error) => {
                tracing::warn!(%error, "no rooms nearby");
                return;
            }
        };
        let mut found = browser.rooms();
        loop {
            let list = found.borrow_and_update().clone();
            rooms.set(list);
            if found.changed().await.is_err() {
                break;
            }
        }
    });
    rooms
}

/// Another window uses the data directory: say which, and how to open a second one.
#[component]
pub fn LockedScreen(
    /// The controller's signals.
    ui: Ui,
    /// The directory.
    dir: String,
) -> Element {
    let lang = ui.lang;
    rsx! {
        main { class: "prompt-screen",
            div { class: "prompt-card", id: "locked",
                div { class: "brand",
                    span { class: "logo", "aria-hidden": "true", "P" }
                    h1 { "{lang.already_open_title()}" }
                }
                p { class: "locked-text", "{lang.already_open(&dir)}" }
            }
        }
    }
}
