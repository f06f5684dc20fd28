//! The root component: starts the controller and the page glue, tracks focus and the
//! unread count for the window title, and shows the screen for the current phase.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dioxus::prelude::*;
use engine::Status;

use crate::{
    controller::{self, Intent, Phase, Startup, Ui},
    platform::{glue, glue::PageEvent, lifecycle, probe, window},
    screens::{ChatScreen, LockedScreen, PromptScreen},
    state::{RoomKey, Rooms},
    ui::{CloseHostedDialog, ShareDialog},
};

/// The stylesheet, compiled in so that a binary started directly is styled too.
pub const CSS: &str = include_str!("../assets/style.css");

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The whole app. It reads its [`Startup`] from the root context ([`crate::launch`]
/// provides it, with the data directory already locked), or makes one.
#[component]
pub fn App() -> Element {
    let startup = use_hook(|| try_consume_context::<Startup>().unwrap_or_else(Startup::from_env));
    let lang = startup.lang;
    let first_phase = match &startup.store_problem {
        Some(controller::startup::StoreProblem::Locked(dir)) => Phase::Locked(dir.clone()),
        _ => Phase::Prompt(None),
    };
    let ui = Ui {
        lang,
        phase: use_signal(|| first_phase),
        rooms: use_signal(Rooms::default),
        add_room: use_signal(|| None),
        settings: use_signal(|| startup.settings.clone()),
        sticky: use_signal(|| true),
        unseen: use_signal(|| 0),
        focused: use_signal(|| true),
        storage_error: use_signal(|| match &startup.store_problem {
            Some(controller::startup::StoreProblem::Unusable { dir, error }) => {
                Some(format!("{dir}: {error}"))
            }
            _ => None,
        }),
        hosting: use_signal(|| None),
        host_problem: use_signal(|| None),
        share_open: use_signal(|| false),
        closing: use_signal(|| None),
    };
    let mut now = use_signal(now_ms);

    let store = startup.store.clone();
    let _lock = startup.lock.clone();
    let intents = use_coroutine(move |rx| controller::run(rx, ui, store.clone()));
    use_hook(|| {
        if let (Some(rejoin), Phase::Prompt(None)) =
            (startup.rejoin.clone(), ui.phase.peek().clone())
        {
            // The room this app hosted is in the list: host it again first.
            if startup.settings.hosting {
                intents.send(Intent::Host { join_as: None });
            }
            for invite in rejoin.rooms {
                intents.send(Intent::Join {
                    name: rejoin.name.clone(),
                    invite,
                    at_once: true,
                    owner_key: None,
                });
            }
            if let Some(active) = rejoin.active {
                intents.send(Intent::Select(RoomKey::of(&active)));
            }
        }
    });
    window::use_close_request(move || {
        intents.send(Intent::Quit);
        // Hosting, the app may ask first (others in the room): no deadline yet.
        ui.hosting.peek().is_none()
    });
    lifecycle::use_lifecycle(move |change| {
        tracing::info!(?change, "resuming the connections");
        intents.send(Intent::NetworkChanged);
    });

    // What the page reports: texts to send, list position, window focus.
    use_future(move || async move {
        let (mut sticky, mut unseen, mut focused, mut rooms) =
            (ui.sticky, ui.unseen, ui.focused, ui.rooms);
        glue::run(move |event| match event {
            PageEvent::Send(text) => intents.send(Intent::Send(text)),
            PageEvent::Sticky(at_bottom) => {
                sticky.set(at_bottom);
                if at_bottom {
                    unseen.set(0);
                    if let Some(tab) = rooms.write().active_mut() {
                        tab.view.timeline.reset_window();
                    }
                }
            }
            PageEvent::Top => intents.send(Intent::ShowOlder),
            PageEvent::Focus(has_focus) => {
                focused.set(has_focus);
                if has_focus {
                    if let Some(tab) = rooms.write().active_mut() {
                        tab.unread = 0;
                    }
                }
            }
        })
        .await;
    });
    if probe::enabled() {
        use_future(probe::run);
    }

    // A clock for the reconnect countdown; ticks only while it is shown.
    use_future(move || async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let counting = ui
                .rooms
                .peek()
                .active()
                .is_some_and(|t| matches!(t.view.status.status, Status::Reconnecting { .. }));
            if counting {
                now.set(now_ms());
            }
        }
    });

    let initial_invite = {
        let settings = ui.settings.read();
        if settings.invite != startup.settings.invite {
            settings.invite.clone()
        } else {
            startup.invite.clone()
        }
    };
    let screen = match &*ui.phase.read() {
        Phase::Locked(dir) => rsx! { LockedScreen { ui, dir: dir.clone() } },
        Phase::Prompt(_) | Phase::Joining => rsx! {
            PromptScreen { ui, intents, initial_invite }
        },
        Phase::Chat => rsx! { ChatScreen { ui, intents, now_ms: now() } },
    };
    let title = lang.window_title(ui.rooms.read().total_unread());
    let share = ui.hosting.read().clone().filter(|_| *ui.share_open.read());
    let closing = *ui.closing.read();

    rsx! {
        document::Title { "{title}" }
        style { {CSS} }
        div { class: "app", lang: lang.code(),
            {screen}
            if let Some(share) = share {
                ShareDialog { lang, share, on_close: move |_| intents.send(Intent::CloseShare) }
            }
            if let Some(others) = closing {
                CloseHostedDialog {
                    lang,
                    others,
                    on_close: move |_| intents.send(Intent::ConfirmClose),
                    on_keep: move |_| intents.send(Intent::KeepOpen),
                }
            }
        }
    }
}
