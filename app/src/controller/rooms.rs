//! The rooms in the list: joining (from the join screen, the form, or at start),
//! leaving, and keeping the list and the settings saved.

use common::invite::Invite;
use dioxus::prelude::*;
use engine::RoomStatus;

use super::{sessions::Sessions, Phase, Ui};
use crate::{
    platform::glue,
    state::{RoomKey, RoomTab},
    store::{SavedRoom, Store},
};

/// Keeps the owner key of an owner invite with its relay's files.
pub(crate) fn keep_owner_key(store: Option<&Store>, invite: &Invite, owner_key: Option<&str>) {
    let (Some(store), Some(key)) = (store, owner_key) else {
        return;
    };
    if let Err(error) = store
        .relay(invite)
        .and_then(|relay| relay.save_owner_key(key))
    {
        tracing::error!(%error, "cannot keep the owner key");
    }
}

/// Joins the invite's room with `name` from the join screen (or at start, `at_once`).
pub(crate) fn join(
    ui: Ui,
    store: Option<&Store>,
    sessions: &mut Sessions,
    (name, invite): (&str, &Invite),
    at_once: bool,
    owner_key: Option<String>,
) {
    let mut settings = ui.settings;
    {
        let mut s = settings.write();
        s.name = name.to_owned();
        s.invite = invite.to_string();
        s.joined = true;
    }
    add_tab(ui, store, sessions, name, invite, owner_key);
    let mut phase = ui.phase;
    phase.set(if at_once { Phase::Chat } else { Phase::Joining });
    // Rooms rejoined at start are already saved (with their mute): saving after each
    // would drop the ones not rejoined yet.
    if !at_once {
        save_rooms(ui, store);
    }
}

/// Adds the invite's room to the list (or shows it, if it is there) and joins it.
pub(crate) fn add_tab(
    ui: Ui,
    store: Option<&Store>,
    sessions: &mut Sessions,
    name: &str,
    invite: &Invite,
    owner_key: Option<String>,
) {
    let mut rooms = ui.rooms;
    let key = RoomKey::of(invite);
    if rooms.peek().get(&key).is_none() {
        let view = sessions.join(store, name, invite, owner_key);
        let muted = ui.settings.peek().rooms.iter().any(|r| {
            r.muted
                && r.invite.parse::<Invite>().ok().as_ref().map(RoomKey::of) == Some(key.clone())
        });
        rooms.write().tabs.push(RoomTab {
            key: key.clone(),
            invite: invite.clone(),
            view,
            status: RoomStatus::Joining,
            unread: 0,
            muted,
        });
    }
    let mut guard = rooms.write();
    if guard.active.is_none() || ui.add_room.peek().is_some() || *ui.phase.peek() != Phase::Chat {
        guard.select(&key);
    }
}

/// Leaves a room: tells its relay, forgets its files, drops it from the list.
pub(crate) async fn leave(ui: Ui, store: Option<&Store>, sessions: &mut Sessions, key: &RoomKey) {
    let mut rooms = ui.rooms;
    rooms.write().remove(key);
    let left_on_relay = rooms
        .peek()
        .tabs
        .iter()
        .filter(|t| t.key.relay == key.relay)
        .count();
    sessions.leave(&key.relay, &key.room, left_on_relay).await;
    save_rooms(ui, store);
    if rooms.peek().tabs.is_empty() {
        let mut settings = ui.settings;
        settings.write().joined = false;
        save_settings(ui, store);
        let mut phase = ui.phase;
        phase.set(Phase::Prompt(None));
    }
    ui_reset_scroll(ui);
}

/// A room was shown: it starts at its newest message.
pub(crate) fn ui_reset_scroll(ui: Ui) {
    let (mut sticky, mut unseen) = (ui.sticky, ui.unseen);
    sticky.set(true);
    unseen.set(0);
    glue::scroll_to_bottom();
}

/// Saves the list of rooms (and which is shown) in the settings.
pub(crate) fn save_rooms(ui: Ui, store: Option<&Store>) {
    let mut settings = ui.settings;
    {
        let rooms = ui.rooms.peek();
        let mut s = settings.write();
        s.rooms = rooms
            .tabs
            .iter()
            .map(|t| SavedRoom {
                invite: t.invite.to_string(),
                muted: t.muted,
            })
            .collect();
        s.active = rooms.active().map(|t| t.invite.to_string());
        s.joined = !rooms.tabs.is_empty();
        s.hosting = ui
            .hosting
            .peek()
            .as_ref()
            .is_some_and(|share| rooms.tabs.iter().any(|t| t.invite == share.own_invite));
    }
    save_settings(ui, store);
}

pub(crate) fn save_settings(ui: Ui, store: Option<&Store>) {
    if let Some(store) = store {
        if let Err(error) = store.save_settings(&ui.settings.peek()) {
            tracing::error!(%error, "cannot save the settings");
        }
    }
}
