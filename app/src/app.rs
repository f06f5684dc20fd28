//! The root component and the coroutine that owns the engine.
//!
//! The UI never touches the engine: components send [`Intent`]s to one coroutine,
//! which starts and stops the engine, forwards commands, folds every engine event into
//! the [`ChatView`] signal, persists the engine state and raises notifications.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{
    client::{self, Command, Engine, EngineConfig, EngineState, Event, Status},
    invite::Invite,
    protocol::{validate_name, ClientMsgId},
};
use dioxus::prelude::*;
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver as EventReceiver;

use crate::{
    i18n::Lang,
    notify,
    state::ChatView,
    store::{Settings, Store},
    ui::{Composer, MemberList, MessageList, NamePrompt, StatusBanner},
};

/// The stylesheet, compiled in so that a binary started directly is styled too.
pub const CSS: &str = include_str!("../assets/style.css");

/// Environment variable that pre-fills the invite field.
pub const INVITE_ENV: &str = "PIAZZA_INVITE";

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What the app knows when it starts: language, saved settings, pre-filled invite.
#[derive(Clone, Debug)]
pub struct Startup {
    /// Interface language.
    pub lang: Lang,
    /// The data directory, if one could be opened.
    pub store: Option<Store>,
    /// Saved settings (name, last invite).
    pub settings: Settings,
    /// The invite to put in the invite field.
    pub invite: String,
    /// Join right away with these (the app was in the room when it was closed).
    pub autojoin: Option<(String, Invite)>,
}

impl Startup {
    /// Reads the environment (`PIAZZA_LANG`, `PIAZZA_DATA_DIR`, `PIAZZA_INVITE`) and the
    /// saved settings.
    pub fn from_env() -> Self {
        let lang = Lang::detect();
        let store = match Store::open_default() {
            Ok(store) => Some(store),
            Err(error) => {
                tracing::error!(%error, "no data directory: nothing will be remembered");
                None
            }
        };
        let settings = store.as_ref().map(Store::load_settings).unwrap_or_default();
        let env_invite = std::env::var(INVITE_ENV)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let invite = env_invite
            .clone()
            .unwrap_or_else(|| settings.invite.clone());
        let same_relay = env_invite
            .as_deref()
            .is_none_or(|env| env.parse::<Invite>().ok() == settings.invite.parse::<Invite>().ok());
        let autojoin = if settings.joined && same_relay {
            match (
                validate_name(&settings.name),
                settings.invite.parse::<Invite>(),
            ) {
                (Ok(name), Ok(invite)) => Some((name, invite)),
                _ => None,
            }
        } else {
            None
        };
        Self {
            lang,
            store,
            settings,
            invite,
            autojoin,
        }
    }
}

/// What the UI asks of the engine coroutine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Start (or restart) the engine with this name and invite.
    Join {
        /// Validated display name.
        name: String,
        /// The relay.
        invite: Invite,
    },
    /// Send a text.
    Send(String),
    /// Queue a rejected message again.
    Retry(ClientMsgId),
    /// Connect now (after a failure or during a backoff wait).
    ReconnectNow,
    /// Leave the room and go back to the join screen, showing `error` there.
    Leave {
        /// Why (e.g. the name was taken), shown on the join screen.
        error: Option<String>,
    },
}

/// Which screen is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The join screen, with an optional problem to show.
    Prompt(Option<String>),
    /// The chat, connected (or connecting) to this relay address.
    Chat(String),
}

/// The signals the coroutine writes.
#[derive(Clone, Copy)]
struct Shared {
    lang: Lang,
    phase: Signal<Phase>,
    chat: Signal<Option<ChatView>>,
    settings: Signal<Settings>,
    at_bottom: Signal<bool>,
    unseen: Signal<usize>,
    scroll_requests: Signal<u64>,
    focused: Signal<bool>,
}

impl Shared {
    fn scroll_to_bottom(mut self) {
        self.at_bottom.set(true);
        self.unseen.set(0);
        self.scroll_requests += 1;
    }
}

/// JavaScript that reports whether the window has the focus, now and on every change.
const FOCUS_JS: &str = r#"
const report = () => dioxus.send(document.hasFocus() && document.visibilityState === "visible");
window.addEventListener("focus", report);
window.addEventListener("blur", report);
document.addEventListener("visibilitychange", report);
report();
await new Promise(() => {});
"#;

/// JavaScript that grows the composer with its text (up to its CSS max-height); a new
/// (cleared) composer starts at one line again.
const AUTOSIZE_JS: &str = r#"
document.addEventListener("input", (event) => {
  const el = event.target;
  if (!el.classList || !el.classList.contains("composer-input")) return;
  el.style.height = "auto";
  el.style.height = el.scrollHeight + 2 + "px";
}, true);
"#;

/// JavaScript that scrolls the message list to its end once the DOM is updated.
const SCROLL_JS: &str = r#"
requestAnimationFrame(() => {
  const list = document.getElementById("messages");
  if (list) list.scrollTop = list.scrollHeight;
});
"#;

/// The whole app: the join screen or the chat screen.
#[component]
pub fn App() -> Element {
    let startup = use_hook(Startup::from_env);
    let lang = startup.lang;
    let phase = use_signal(|| Phase::Prompt(None));
    let chat = use_signal(|| None::<ChatView>);
    let settings = use_signal(|| startup.settings.clone());
    let mut at_bottom = use_signal(|| true);
    let mut unseen = use_signal(|| 0_usize);
    let scroll_requests = use_signal(|| 0_u64);
    let mut focused = use_signal(|| true);
    let mut now = use_signal(now_ms);
    let mut show_members = use_signal(|| false);
    let shared = Shared {
        lang,
        phase,
        chat,
        settings,
        at_bottom,
        unseen,
        scroll_requests,
        focused,
    };

    let store = startup.store.clone();
    let intents = use_coroutine(move |rx| engine_loop(rx, shared, store.clone()));
    use_hook(|| {
        if let Some((name, invite)) = startup.autojoin.clone() {
            intents.send(Intent::Join { name, invite });
        }
    });

    // Window focus, for notifications.
    use_future(move || async move {
        let mut eval = document::eval(FOCUS_JS);
        while let Ok(has_focus) = eval.recv::<bool>().await {
            focused.set(has_focus);
        }
    });

    use_effect(|| {
        document::eval(AUTOSIZE_JS);
    });

    // A clock for the reconnect countdown; ticks only while it is shown.
    use_future(move || async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let counting = chat
                .peek()
                .as_ref()
                .is_some_and(|c| matches!(c.status.status, Status::Reconnecting { .. }));
            if counting {
                now.set(now_ms());
            }
        }
    });

    use_effect(move || {
        let _ = scroll_requests();
        document::eval(SCROLL_JS);
    });

    let screen = match phase() {
        Phase::Prompt(error) => {
            // The invite used in this run if any, else the start-up one (argument,
            // PIAZZA_INVITE or the saved one).
            let initial_invite = if settings.read().invite != startup.settings.invite {
                settings.read().invite.clone()
            } else {
                startup.invite.clone()
            };
            rsx! {
                NamePrompt {
                    lang,
                    initial_name: settings.read().name.clone(),
                    initial_invite,
                    error,
                    on_join: move |(name, invite)| intents.send(Intent::Join { name, invite }),
                }
            }
        }
        Phase::Chat(host) => {
            let chat = chat.read();
            let Some(view) = chat.as_ref() else {
                return rsx! { style { {CSS} } };
            };
            let status_text = match &view.status.status {
                Status::Connected => lang.connected(),
                Status::Connecting | Status::Reconnecting { .. } => lang.connecting(),
                _ => lang.disconnected(),
            };
            let status_kind = match &view.status.status {
                Status::Connected => "connected",
                Status::Connecting | Status::Reconnecting { .. } => "connecting",
                _ => "offline",
            };
            let failed_problem = match &view.status.status {
                Status::Failed(problem) => Some(lang.problem(problem)),
                _ => None,
            };
            let members_open = show_members();
            rsx! {
                div { class: "chat-screen",
                    header { class: "topbar",
                        div { class: "brand small",
                            span { class: "logo", "aria-hidden": "true", "P" }
                            div { class: "brand-text",
                                h1 { "{lang.app_name()}" }
                                span { class: "host", title: "{host}",
                                    span { class: "dot {status_kind}", title: status_text }
                                    "{host}"
                                }
                            }
                        }
                        div { class: "top-actions",
                            button {
                                class: if members_open { "members-toggle active" } else { "members-toggle" },
                                id: "members-toggle",
                                onclick: move |_| show_members.toggle(),
                                "{lang.members_toggle(view.online as usize)}"
                            }
                            button {
                                class: "leave",
                                id: "leave-button",
                                title: lang.leave_title(),
                                onclick: move |_| intents.send(Intent::Leave { error: None }),
                                "{lang.leave_button()}"
                            }
                        }
                    }
                    div { class: "chat-body",
                        main { class: "chat-main",
                            StatusBanner {
                                lang,
                                status: view.status.clone(),
                                now_ms: now(),
                                waiting: view.waiting(),
                                on_reconnect: move |_| intents.send(Intent::ReconnectNow),
                                on_change: move |_| intents.send(Intent::Leave { error: failed_problem.clone() }),
                            }
                            MessageList {
                                lang,
                                entries: view.timeline(),
                                unseen: unseen(),
                                on_retry: move |id| intents.send(Intent::Retry(id)),
                                on_scroll: move |bottom: bool| {
                                    if *at_bottom.peek() != bottom {
                                        at_bottom.set(bottom);
                                    }
                                    if bottom && *unseen.peek() != 0 {
                                        unseen.set(0);
                                    }
                                },
                                on_jump: move |_| shared.scroll_to_bottom(),
                            }
                            Composer {
                                lang,
                                on_send: move |text| intents.send(Intent::Send(text)),
                            }
                        }
                        aside { class: if members_open { "sidebar open" } else { "sidebar" },
                            MemberList { lang, online: view.online, members: view.members.clone(), me: view.me.clone() }
                        }
                    }
                }
            }
        }
    };

    rsx! {
        style { {CSS} }
        div { class: "app", lang: lang.code(), {screen} }
    }
}

enum Step {
    Intent(Option<Intent>),
    Event(Option<Event>),
}

/// The coroutine: owns the engine, folds its events, persists its state.
async fn engine_loop(mut intents: UnboundedReceiver<Intent>, shared: Shared, store: Option<Store>) {
    let writer = store.as_ref().map(Store::engine_writer);
    let mut engine_state = store
        .as_ref()
        .map(Store::load_engine_state)
        .unwrap_or_default();
    if let Some(writer) = &writer {
        // Make sure the install id is on disk before anything is sent with it.
        writer.save(engine_state.clone());
    }
    let mut running: Option<(Engine, EventReceiver<Event>)> = None;

    loop {
        let step = match running.as_mut() {
            Some((_, events)) => tokio::select! {
                intent = intents.next() => Step::Intent(intent),
                event = events.recv() => Step::Event(event),
            },
            None => Step::Intent(intents.next().await),
        };
        match step {
            Step::Intent(None) => break,
            Step::Event(None) => {
                tracing::warn!("the engine stopped");
                running = None;
            }
            Step::Event(Some(event)) => {
                if let Event::Saved(state) = &event {
                    engine_state = state.clone();
                    if let Some(writer) = &writer {
                        writer.save(state.clone());
                    }
                }
                fold(shared, &event);
            }
            Step::Intent(Some(intent)) => match intent {
                Intent::Join { name, invite } => {
                    if let Some((engine, events)) = running.take() {
                        stop(engine, events, &mut engine_state, writer.as_ref()).await;
                    }
                    let mut settings = shared.settings;
                    let new_settings = Settings {
                        name: name.clone(),
                        invite: invite.to_string(),
                        joined: true,
                    };
                    if let Some(store) = &store {
                        if let Err(error) = store.save_settings(&new_settings) {
                            tracing::error!(%error, "cannot save the settings");
                        }
                    }
                    settings.set(new_settings);
                    let mut chat = shared.chat;
                    chat.set(Some(ChatView::new(
                        engine_state.install,
                        &name,
                        &engine_state.outbox,
                        now_ms(),
                    )));
                    shared.scroll_to_bottom();
                    let mut phase = shared.phase;
                    phase.set(Phase::Chat(invite.authority()));
                    let config = EngineConfig::new(invite, name, engine_state.clone());
                    running = Some(client::start(config));
                }
                Intent::Send(text) => {
                    // The engine checks the text and reports a rejection in plain words.
                    if let Some((engine, _)) = &running {
                        engine.send(Command::Send(text));
                    }
                    shared.scroll_to_bottom();
                }
                Intent::Retry(id) => {
                    if let Some((engine, _)) = &running {
                        engine.send(Command::Retry(id));
                    }
                }
                Intent::ReconnectNow => {
                    if let Some((engine, _)) = &running {
                        engine.send(Command::ReconnectNow);
                    }
                }
                Intent::Leave { error } => {
                    if let Some((engine, events)) = running.take() {
                        stop(engine, events, &mut engine_state, writer.as_ref()).await;
                    }
                    let mut settings = shared.settings;
                    settings.write().joined = false;
                    if let Some(store) = &store {
                        if let Err(error) = store.save_settings(&settings.peek()) {
                            tracing::error!(%error, "cannot save the settings");
                        }
                    }
                    let mut chat = shared.chat;
                    chat.set(None);
                    let mut phase = shared.phase;
                    phase.set(Phase::Prompt(error));
                }
            },
        }
    }
}

/// Folds one engine event into the view and reacts to what changed.
fn fold(shared: Shared, event: &Event) {
    if matches!(event, Event::Saved(_)) {
        return; // Nothing on screen changes: do not wake the chat screen for it.
    }
    let mut chat = shared.chat;
    let applied = match chat.write().as_mut() {
        Some(view) => view.apply(event, now_ms()),
        None => return,
    };
    if applied.added_rows > 0 {
        if *shared.at_bottom.peek() {
            let mut requests = shared.scroll_requests;
            requests += 1;
        } else if applied.new_from_others > 0 {
            let mut unseen = shared.unseen;
            unseen += applied.new_from_others;
        }
    }
    if let Some(notice) = applied.notice {
        if !*shared.focused.peek() {
            notify::show(shared.lang.notification_title(&notice.sender), &notice.text);
        }
    }
}

/// Leaves the room politely and keeps the engine's last state.
async fn stop(
    engine: Engine,
    mut events: EventReceiver<Event>,
    engine_state: &mut EngineState,
    writer: Option<&crate::store::EngineWriter>,
) {
    engine.send(Command::Disconnect);
    let deadline = tokio::time::sleep(Duration::from_secs(1));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(Event::Saved(state)) => {
                    *engine_state = state.clone();
                    if let Some(writer) = writer {
                        writer.save(state);
                    }
                }
                Some(Event::Status(Status::Disconnected)) | None => break,
                Some(_) => {}
            },
            _ = &mut deadline => break,
        }
    }
}
