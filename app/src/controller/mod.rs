//! The controller: the one place that owns the engine and the relay's files. Components
//! send it [`Intent`]s; it turns them into engine commands, folds every engine event
//! into the view ([`crate::state::ChatView`]), saves what must survive a restart, and
//! raises notifications. Components only read the [`Ui`] signals it writes.
//!
//! - [`startup`]: what the app knows when it starts (settings, lock, invite, rejoin);
//! - this file: the [`Ui`] signals, [`Intent`]s and the engine loop.

pub mod startup;

use std::time::Duration;

use common::{invite::Invite, protocol::ClientMsgId};
use dioxus::prelude::*;
use engine::{Command, Engine, EngineConfig, Event, Problem, Status};
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver as EventReceiver;

use crate::{
    i18n::Lang,
    platform::{glue, notify, window},
    state::ChatView,
    store::{RelayWriter, Settings, Store},
};
pub use startup::Startup;

/// How long closing or leaving waits for the relay to take the Leave.
const LEAVE_WAIT: Duration = Duration::from_millis(1500);

/// What the UI asks of the controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Join with this name and invite (from the join screen, or at start).
    Join {
        /// A valid display name.
        name: String,
        /// The relay.
        invite: Invite,
        /// Show the chat at once (a rejoin at start) rather than after the relay
        /// answered.
        at_once: bool,
    },
    /// Send a text.
    Send(String),
    /// Queue a rejected message again.
    Retry(ClientMsgId),
    /// Connect now (after a failure or during a backoff wait).
    ReconnectNow,
    /// Leave the room and go back to the join screen.
    Leave,
    /// The person reached the top of the list: show older messages.
    ShowOlder,
    /// The window is closing: leave, save, close.
    Quit,
}

/// Which screen is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The join screen, with the problem that sent the person back to it, if any.
    Prompt(Option<Problem>),
    /// Joining from the join screen: waiting for the relay's first answer.
    Joining,
    /// The chat.
    Chat,
    /// Another window uses the data directory.
    Locked(String),
}

/// The signals the controller writes and the components read.
#[derive(Clone, Copy, PartialEq)]
pub struct Ui {
    /// Interface language.
    pub lang: Lang,
    /// The screen.
    pub phase: Signal<Phase>,
    /// The chat's model (while in the chat or joining).
    pub chat: Signal<Option<ChatView>>,
    /// Name and invite as last used.
    pub settings: Signal<Settings>,
    /// The list follows the newest message (the person is at the bottom).
    pub sticky: Signal<bool>,
    /// Messages from others that arrived below the visible part of the list.
    pub unseen: Signal<usize>,
    /// The window has the focus.
    pub focused: Signal<bool>,
    /// Messages from others that arrived while the window was not focused.
    pub unread: Signal<usize>,
    /// A saving problem to show (a full disk, a read-only directory).
    pub storage_error: Signal<Option<String>>,
}

/// The engine of the current session and what belongs to it.
struct Session {
    engine: Engine,
    events: EventReceiver<Event>,
    writer: Option<RelayWriter>,
    errors: Option<tokio::sync::watch::Receiver<Option<String>>>,
    /// Switch to the chat once the relay answers (joined from the join screen).
    pending_join: bool,
}

enum Step {
    Intent(Option<Intent>),
    Events(Vec<Event>),
    EngineGone,
    StorageError(Option<String>),
}

/// The controller's loop: runs for the life of the app.
pub async fn run(mut intents: UnboundedReceiver<Intent>, ui: Ui, store: Option<Store>) {
    let mut session: Option<Session> = None;
    loop {
        let step = match session.as_mut() {
            Some(s) => next_step(&mut intents, s).await,
            None => Step::Intent(intents.next().await),
        };
        match step {
            Step::Intent(None) => break,
            Step::Intent(Some(intent)) => {
                if !handle(intent, ui, store.as_ref(), &mut session).await {
                    break;
                }
            }
            Step::Events(events) => {
                if let Some(s) = session.as_mut() {
                    fold(ui, s, &events);
                }
            }
            Step::EngineGone => {
                tracing::error!("the engine stopped");
                session = None;
            }
            Step::StorageError(error) => {
                let mut slot = ui.storage_error;
                slot.set(error);
            }
        }
    }
}

async fn next_step(intents: &mut UnboundedReceiver<Intent>, s: &mut Session) -> Step {
    let errors = async {
        match s.errors.as_mut() {
            Some(rx) => match rx.changed().await {
                Ok(()) => rx.borrow_and_update().clone(),
                Err(_) => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        intent = intents.next() => Step::Intent(intent),
        first = s.events.recv() => match first {
            // A burst (a backlog, a busy room) is folded in one go: one render.
            Some(first) => {
                let mut events = vec![first];
                while let Ok(more) = s.events.try_recv() {
                    events.push(more);
                    if events.len() >= 512 {
                        break;
                    }
                }
                Step::Events(events)
            }
            None => Step::EngineGone,
        },
        error = errors => Step::StorageError(error),
    }
}

/// Handles one intent; false when the app is closing.
async fn handle(
    intent: Intent,
    ui: Ui,
    store: Option<&Store>,
    session: &mut Option<Session>,
) -> bool {
    let send = |command: Command| {
        if let Some(s) = session.as_ref() {
            s.engine.send(command);
        }
    };
    match intent {
        Intent::Join {
            name,
            invite,
            at_once,
        } => {
            if let Some(old) = session.take() {
                stop(old).await;
            }
            *session = Some(join(ui, store, name, invite, at_once));
        }
        Intent::Send(text) => {
            send(Command::Send(text));
            glue::scroll_to_bottom();
        }
        Intent::Retry(id) => send(Command::Retry(id)),
        Intent::ReconnectNow => send(Command::ReconnectNow),
        Intent::ShowOlder => {
            let mut chat = ui.chat;
            let before = chat.write().as_mut().and_then(|c| c.timeline.show_older());
            if let Some(before) = before {
                send(Command::LoadHistory { before });
            }
        }
        Intent::Leave => {
            if let Some(old) = session.take() {
                stop(old).await;
            }
            remember_joined(ui, store, false);
            let (mut chat, mut phase) = (ui.chat, ui.phase);
            chat.set(None);
            phase.set(Phase::Prompt(None));
        }
        Intent::Quit => {
            window::hide();
            if let Some(old) = session.take() {
                stop(old).await;
            }
            window::close_now();
            return false;
        }
    }
    true
}

/// Starts an engine for `name` on `invite`, with this relay's saved timeline and state.
fn join(ui: Ui, store: Option<&Store>, name: String, invite: Invite, at_once: bool) -> Session {
    let install = store
        .and_then(|s| s.install().ok())
        .unwrap_or_else(common::protocol::InstallId::random);
    let relay = store.and_then(|s| match s.relay(&invite) {
        Ok(relay) => Some(relay),
        Err(error) => {
            tracing::error!(%error, "cannot open the relay's files");
            None
        }
    });
    let state = relay
        .as_ref()
        .map(|r| r.load_engine_state(install))
        .unwrap_or_else(|| engine::EngineState {
            install,
            ..engine::EngineState::new()
        });
    let saved = relay
        .as_ref()
        .map(|r| r.load_timeline())
        .unwrap_or_default();
    let writer = relay.as_ref().map(|r| r.writer());
    if let Some(writer) = &writer {
        // The install id and resume point are on disk before anything is sent.
        writer.state(state.clone());
    }
    let settings = Settings {
        name: name.clone(),
        invite: invite.to_string(),
        joined: true,
    };
    if let Some(store) = store {
        if let Err(error) = store.save_settings(&settings) {
            tracing::error!(%error, "cannot save the settings");
        }
    }
    let (mut settings_signal, mut chat, mut phase, mut sticky, mut unseen) =
        (ui.settings, ui.chat, ui.phase, ui.sticky, ui.unseen);
    settings_signal.set(settings);
    chat.set(Some(ChatView::new(
        install,
        &name,
        &saved,
        &state.outbox,
        crate::app::now_ms(),
    )));
    sticky.set(true);
    unseen.set(0);
    phase.set(if at_once { Phase::Chat } else { Phase::Joining });
    let (engine, events) = engine::start(EngineConfig::new(invite, name, state));
    let errors = writer.as_ref().map(RelayWriter::errors);
    Session {
        engine,
        events,
        writer,
        errors,
        pending_join: !at_once,
    }
}

/// Folds a batch of engine events into the view, then saves, scrolls and notifies.
fn fold(ui: Ui, session: &mut Session, events: &[Event]) {
    let mut chat = ui.chat;
    let mut to_save = Vec::new();
    let mut new_from_others = 0;
    let mut notice = None;
    let mut failed_before_welcome = None;
    {
        let mut guard = chat.write();
        let Some(view) = guard.as_mut() else { return };
        for event in events {
            if let Event::Saved(state) = event {
                if let Some(writer) = &session.writer {
                    writer.events(std::mem::take(&mut to_save));
                    writer.state(state.clone());
                }
                continue;
            }
            let applied = view.apply(event, crate::app::now_ms());
            to_save.extend(applied.to_save);
            new_from_others += applied.new_from_others;
            notice = applied.notice.or(notice);
            match event {
                Event::Status(Status::Failed(problem)) if !view.welcomed => {
                    failed_before_welcome = Some(problem.clone());
                }
                Event::Status(Status::Connected | Status::Reconnecting { .. })
                    if session.pending_join =>
                {
                    session.pending_join = false;
                    let mut phase = ui.phase;
                    phase.set(Phase::Chat);
                }
                Event::History { .. } => glue::rearm_top(),
                _ => {}
            }
        }
    }
    if let Some(writer) = &session.writer {
        writer.events(to_save);
    }
    if let Some(problem) = failed_before_welcome {
        // Refused before ever getting in (name taken, wrong key, another server):
        // back to the join screen, with the problem next to what can fix it.
        let (mut phase, mut chat) = (ui.phase, ui.chat);
        phase.set(Phase::Prompt(Some(problem)));
        chat.set(None);
        session.engine.send(Command::Disconnect);
        return;
    }
    if new_from_others > 0 {
        if !*ui.sticky.peek() {
            let mut unseen = ui.unseen;
            unseen += new_from_others;
        }
        if !*ui.focused.peek() {
            let mut unread = ui.unread;
            unread += new_from_others;
            if let Some(notice) = notice {
                notify::show(ui.lang.notification_title(&notice.sender), &notice.text);
            }
        }
    }
}

/// Leaves the room politely (the relay logs "left", not a lost connection) and waits
/// until everything is saved.
async fn stop(mut session: Session) {
    session.engine.send(Command::Disconnect);
    let deadline = tokio::time::sleep(LEAVE_WAIT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            event = session.events.recv() => match event {
                Some(Event::Saved(state)) => {
                    if let Some(writer) = &session.writer {
                        writer.state(state);
                    }
                }
                Some(Event::Status(Status::Disconnected)) | None => break,
                Some(_) => {}
            },
            _ = &mut deadline => break,
        }
    }
    if let Some(writer) = session.writer {
        let _ = tokio::task::spawn_blocking(move || writer.flush(Duration::from_secs(2))).await;
    }
}

fn remember_joined(ui: Ui, store: Option<&Store>, joined: bool) {
    let mut settings = ui.settings;
    settings.write().joined = joined;
    if let Some(store) = store {
        if let Err(error) = store.save_settings(&settings.peek()) {
            tracing::error!(%error, "cannot save the settings");
        }
    }
}
