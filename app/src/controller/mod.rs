//! The controller: the one place that owns the engines (one per relay, see
//! [`sessions`]) and the relays' files. Components send it [`Intent`]s; it turns them
//! into engine commands, folds every engine event into the rooms' views ([`fold`]),
//! keeps the list of rooms saved, and raises notifications. Components only read the
//! [`Ui`] signals it writes.
//!
//! - [`startup`]: what the app knows when it starts (settings, lock, invite, rejoin);
//! - [`sessions`]: one engine per relay, and what it saves on its own;
//! - [`fold`]: engine events into the rooms' views, unread counts, notifications;
//! - [`host`]: hosting a room (the relay in this process), what the host shares;
//! - `rooms`: joining, leaving, and keeping the list and the settings saved;
//! - this file: the [`Ui`] signals, [`Intent`]s and the loop.

pub mod fold;
pub mod host;
mod rooms;
pub mod sessions;
pub mod startup;

use common::{invite::Invite, protocol::ClientMsgId};
use dioxus::prelude::*;
use engine::{Command, Problem};
use futures_util::StreamExt;

use crate::{
    i18n::Lang,
    platform::{glue, window},
    state::{RoomKey, Rooms},
    store::{Settings, Store},
};
use rooms::{add_tab, join, keep_owner_key, save_settings, ui_reset_scroll};
pub(crate) use rooms::{leave, save_rooms};
use sessions::{Sessions, Tagged};
pub use startup::Startup;

/// What the UI asks of the controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Join with this name and the invite's room (the join screen, or a rejoin at
    /// start).
    Join {
        /// A valid display name.
        name: String,
        /// The relay and room.
        invite: Invite,
        /// Show the chat at once (a rejoin at start) rather than after the relay
        /// answered.
        at_once: bool,
        /// The owner key of an owner invite: kept for the relay, given in its joins.
        owner_key: Option<String>,
    },
    /// Open the "join another room" form.
    OpenAddRoom,
    /// Close it.
    CloseAddRoom,
    /// Join another room (from the form), with the name in use (and the owner key of an
    /// owner invite).
    AddRoom(Invite, Option<String>),
    /// Show this room.
    Select(RoomKey),
    /// Send a text to the room shown.
    Send(String),
    /// Queue a rejected message of the room shown again.
    Retry(ClientMsgId),
    /// Connect the room shown's relay now (after a failure or during a backoff wait).
    ReconnectNow,
    /// The person reached the top of the list: show older messages of the room shown.
    ShowOlder,
    /// Leave the room shown (it leaves the list); with no room left, the join screen.
    LeaveRoom,
    /// Leave every room and go back to the join screen (to change name).
    SignOut,
    /// Notifications on or off for a room.
    ToggleMute(RoomKey),
    /// Host a room on this computer (start the relay in this process), and join it
    /// with this name (`None`: the room is in the list already, rejoined at start).
    Host {
        /// The name to join with.
        join_as: Option<String>,
    },
    /// Show the hosted room's invite.
    OpenShare,
    /// Hide it.
    CloseShare,
    /// The window is closing: leave, save, close (after asking, when others are in
    /// the room this app hosts).
    Quit,
    /// Close the hosted room and the app, as asked.
    ConfirmClose,
    /// Keep order in the room shown (this app is an owner there).
    Moderate(common::protocol::Moderation),
    /// The app came back from the background, or the network changed: every engine
    /// moves to a new socket or retries at once.
    NetworkChanged,
    /// Keep the app and the hosted room open.
    KeepOpen,
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

/// The "join another room" form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddRoom {
    /// Waiting for the relay to answer this room.
    pub joining: Option<RoomKey>,
    /// Why the last try did not work.
    pub problem: Option<Problem>,
}

/// The signals the controller writes and the components read.
#[derive(Clone, Copy, PartialEq)]
pub struct Ui {
    /// Interface language.
    pub lang: Lang,
    /// The screen.
    pub phase: Signal<Phase>,
    /// The rooms and the one shown.
    pub rooms: Signal<Rooms>,
    /// The form to join another room, while open.
    pub add_room: Signal<Option<AddRoom>>,
    /// Name, invite and rooms as last used.
    pub settings: Signal<Settings>,
    /// The list follows the newest message (the person is at the bottom).
    pub sticky: Signal<bool>,
    /// Messages from others that arrived below the visible part of the list.
    pub unseen: Signal<usize>,
    /// The window has the focus.
    pub focused: Signal<bool>,
    /// A saving problem to show (a full disk, a read-only directory).
    pub storage_error: Signal<Option<String>>,
    /// The room this app hosts, while it does.
    pub hosting: Signal<Option<host::Share>>,
    /// Why hosting did not start.
    pub host_problem: Signal<Option<host::HostProblem>>,
    /// The hosted room's invite is shown.
    pub share_open: Signal<bool>,
    /// Asking whether to close the hosted room: how many others are in it.
    pub closing: Signal<Option<usize>>,
}

enum Step {
    Intent(Option<Intent>),
    Events(Vec<Tagged>),
    Storage(Option<String>),
}

/// The controller's loop: runs for the life of the app.
pub async fn run(mut intents: UnboundedReceiver<Intent>, ui: Ui, store: Option<Store>) {
    let (mut sessions, receivers) = Sessions::new();
    let mut hosted: Option<host::Hosted> = None;
    let (mut events, mut storage) = (receivers.events, receivers.storage);
    loop {
        let step = tokio::select! {
            intent = intents.next() => Step::Intent(intent),
            Some(error) = storage.recv() => Step::Storage(error),
            Some(first) = events.recv() => {
                // A burst (a backlog, a busy room) is folded in one go: one render.
                let mut batch = vec![first];
                while batch.len() < 512 {
                    match events.try_recv() {
                        Ok(more) => batch.push(more),
                        Err(_) => break,
                    }
                }
                Step::Events(batch)
            }
        };
        match step {
            Step::Intent(None) => break,
            Step::Intent(Some(intent)) => {
                if !handle(intent, ui, store.as_ref(), &mut sessions, &mut hosted).await {
                    break;
                }
            }
            Step::Events(batch) => {
                if fold::fold(ui, &mut sessions, &batch) && *ui.phase.peek() == Phase::Chat {
                    save_rooms(ui, store.as_ref());
                }
            }
            Step::Storage(error) => {
                let mut shown = ui.storage_error;
                shown.set(error);
            }
        }
    }
}

/// Handles one intent; false when the app is closing.
async fn handle(
    intent: Intent,
    ui: Ui,
    store: Option<&Store>,
    sessions: &mut Sessions,
    hosted: &mut Option<host::Hosted>,
) -> bool {
    let (mut rooms, mut phase, mut add_room) = (ui.rooms, ui.phase, ui.add_room);
    // The room shown and its relay's engine.
    let active = || {
        let rooms = ui.rooms.peek();
        rooms.active().map(|t| t.key.clone())
    };
    let command = |sessions: &Sessions, key: &RoomKey, command: Command| {
        if let Some(session) = sessions.get(&key.relay) {
            session.engine.send(command);
        }
    };
    match intent {
        Intent::Join {
            name,
            invite,
            at_once,
            owner_key,
        } => {
            keep_owner_key(store, &invite, owner_key.as_deref());
            let owner_key = host::owner_key(hosted, &invite).or(owner_key);
            join(ui, store, sessions, (&name, &invite), at_once, owner_key);
        }
        Intent::Host { join_as } => {
            if let Some(name) = &join_as {
                // The room is advertised nearby under the host's name.
                let mut settings = ui.settings;
                settings.write().name = name.clone();
            }
            let Some(invite) = host::start(ui, store, hosted).await else {
                return true;
            };
            if let Some(name) = join_as {
                let owner_key = host::owner_key(hosted, &invite);
                join(ui, store, sessions, (&name, &invite), false, owner_key);
                let mut share_open = ui.share_open;
                share_open.set(true);
            }
        }
        Intent::OpenShare | Intent::CloseShare => {
            let mut share_open = ui.share_open;
            share_open.set(intent == Intent::OpenShare);
            if intent == Intent::CloseShare {
                glue::focus_composer();
            }
        }
        Intent::Moderate(action) => {
            if let Some(key) = active() {
                command(
                    sessions,
                    &key,
                    Command::Moderate {
                        room: key.room.clone(),
                        action,
                    },
                );
            }
        }
        Intent::NetworkChanged => sessions.each(|engine| {
            engine.send(Command::NetworkChanged);
        }),
        Intent::KeepOpen => {
            let mut closing = ui.closing;
            closing.set(None);
        }
        Intent::OpenAddRoom => add_room.set(Some(AddRoom {
            joining: None,
            problem: None,
        })),
        Intent::CloseAddRoom => {
            add_room.set(None);
            glue::focus_composer();
        }
        Intent::AddRoom(invite, owner_key) => {
            keep_owner_key(store, &invite, owner_key.as_deref());
            let key = RoomKey::of(&invite);
            if rooms.peek().get(&key).is_some() {
                rooms.write().select(&key);
                add_room.set(None);
                glue::focus_composer();
            } else {
                let name = ui.settings.peek().name.clone();
                add_tab(
                    ui,
                    store,
                    sessions,
                    &name,
                    &invite,
                    host::owner_key(hosted, &invite),
                );
                add_room.set(Some(AddRoom {
                    joining: Some(key),
                    problem: None,
                }));
                save_rooms(ui, store);
            }
            ui_reset_scroll(ui);
        }
        Intent::Select(key) => {
            rooms.write().select(&key);
            ui_reset_scroll(ui);
            // As in every chat app: the room chosen takes the typing.
            glue::focus_composer();
            save_rooms(ui, store);
        }
        Intent::Send(text) => {
            if let Some(key) = active() {
                command(
                    sessions,
                    &key,
                    Command::Send {
                        room: key.room.clone(),
                        text,
                    },
                );
                glue::scroll_to_bottom();
            }
        }
        Intent::Retry(id) => {
            if let Some(key) = active() {
                command(
                    sessions,
                    &key,
                    Command::Retry {
                        room: key.room.clone(),
                        id,
                    },
                );
            }
        }
        Intent::ReconnectNow => {
            if let Some(key) = active() {
                command(sessions, &key, Command::ReconnectNow);
            }
        }
        Intent::ShowOlder => {
            let asked = rooms.write().active_mut().and_then(|t| {
                t.view
                    .timeline
                    .show_older()
                    .map(|before| (t.key.clone(), before))
            });
            if let Some((key, before)) = asked {
                command(
                    sessions,
                    &key,
                    Command::LoadHistory {
                        room: key.room.clone(),
                        before,
                    },
                );
            }
        }
        Intent::LeaveRoom => {
            if let Some(key) = active() {
                leave(ui, store, sessions, &key).await;
            }
        }
        Intent::SignOut => {
            sessions.stop_all().await;
            rooms.set(Rooms::default());
            let mut settings = ui.settings;
            {
                let mut s = settings.write();
                s.joined = false;
                s.rooms.clear();
                s.active = None;
            }
            save_settings(ui, store);
            phase.set(Phase::Prompt(None));
        }
        Intent::ToggleMute(key) => {
            if let Some(tab) = rooms.write().get_mut(&key) {
                tab.muted = !tab.muted;
            }
            save_rooms(ui, store);
        }
        Intent::Quit | Intent::ConfirmClose => {
            let others = hosted.as_ref().map_or(0, |h| h.online().saturating_sub(1));
            if intent == Intent::Quit && others > 0 {
                // The window hid on the close request: it comes back to ask.
                window::show();
                let mut closing = ui.closing;
                closing.set(Some(others));
                return true;
            }
            window::hide();
            sessions.stop_all().await;
            if let Some(hosted) = hosted.take() {
                hosted.close().await;
            }
            window::close_now();
            return false;
        }
    }
    true
}
