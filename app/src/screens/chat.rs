//! The chat screen: the room list (a sidebar on desktop; on a phone a screen of its own,
//! behind the "Rooms" button), and the room shown: top bar (room, relay, connection
//! dot, mute, people, leave), status banner, message list, composer, and the member
//! list (a sidebar on desktop, a popover on a phone that closes on any click outside
//! it). The form to join another room opens over it.

use common::protocol::Moderation;
use dioxus::prelude::*;
use engine::{RoomStatus, Status};

use crate::{
    controller::{Intent, Ui},
    platform::glue,
    state::RoomKey,
    ui::{
        AddRoomForm, BellIcon, Composer, MemberList, MessageList, RemoveMemberDialog, RoomList,
        StatusBanner,
    },
};

/// The chat screen for the rooms in `ui.rooms`.
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
    let mut show_rooms = use_signal(|| false);
    // The member an owner is about to remove (the dialog asks the reason).
    let mut removing = use_signal(|| None::<String>);
    let rooms = ui.rooms.read();
    let summaries = rooms.summaries();
    let keys: Vec<RoomKey> = rooms.tabs.iter().map(|t| t.key.clone()).collect();
    let form = ui.add_room.read().clone();
    let form_view = form.map(|form| {
        rsx! {
            AddRoomForm {
                lang,
                joining: form.joining.is_some(),
                problem: form.problem.clone(),
                on_join: move |(invite, owner_key): (common::invite::Invite, Option<String>)| {
                    // Joining from this very event (see `PromptScreen`).
                    let mut form = ui.add_room;
                    if let Some(form) = form.write().as_mut() {
                        form.joining = Some(RoomKey::of(&invite));
                    }
                    intents.send(Intent::AddRoom(invite, owner_key));
                },
                on_cancel: move |_| intents.send(Intent::CloseAddRoom),
            }
        }
    });
    let room_list = rsx! {
        RoomList {
            lang,
            rooms: summaries,
            on_select: move |id: String| {
                if let Some(key) = keys.iter().find(|k| k.id() == id) {
                    intents.send(Intent::Select(key.clone()));
                }
                show_rooms.set(false);
            },
            on_add: move |_| {
                show_rooms.set(false);
                intents.send(Intent::OpenAddRoom);
            },
            me: ui.settings.read().name.clone(),
            on_sign_out: move |_| intents.send(Intent::SignOut),
        }
    };
    let Some(tab) = rooms.active() else {
        return rsx! {
            div { class: "chat-screen",
                div { class: "chat-body", aside { class: "rooms-side open", {room_list} } }
                {form_view}
            }
        };
    };
    let view = &tab.view;
    let key = tab.key.clone();
    // Every address in the tooltip; the first and how many more on screen.
    let all_hosts = tab.invite.authorities();
    let host = tab.invite.place_label();
    // The certificate's check code, to compare with the host's screen.
    let code = tab.invite.fingerprint.map(|fp| fp.short());
    let hosted_here = ui
        .hosting
        .read()
        .as_ref()
        .is_some_and(|share| share.own_invite == tab.invite);
    let (status_text, status_kind) = match &view.status.status {
        Status::Connected => (lang.connected(), "connected"),
        Status::Connecting | Status::Reconnecting { .. } => (lang.connecting(), "connecting"),
        _ => (lang.disconnected(), "offline"),
    };
    let connected = view.status.connected();
    // Removed from the room, or the room deleted: nothing more to write or see there.
    let left = matches!(tab.status, RoomStatus::Left(_));
    let stopped = view.status.failed() || view.archived || left;
    let members_open = show_members() && !view.status.failed();
    let toggle = if connected {
        lang.members_toggle(view.online as usize)
    } else {
        lang.members_unknown_toggle().to_owned()
    };
    let room_note = match &tab.status {
        RoomStatus::Left(common::protocol::RoomLeftReason::Deleted) => {
            Some(lang.room_deleted().to_owned())
        }
        RoomStatus::Left(common::protocol::RoomLeftReason::Removed { by, reason }) => {
            Some(lang.room_removed(by, reason))
        }
        _ if view.archived => Some(lang.archived_room().to_owned()),
        _ => None,
    };
    // An owner's action the relay did not carry out.
    let refused = view
        .moderation_refused
        .as_ref()
        .map(|(_, reason)| lang.moderation_refusal(*reason));
    let owner = view.owner && connected;
    let on_remove_message = owner.then(|| {
        EventHandler::new(move |seq| {
            intents.send(Intent::Moderate(Moderation::RemoveMessage { seq }));
        })
    });
    let entries: Vec<_> = view.timeline.visible().into_iter().cloned().collect();
    let unread_elsewhere: usize = rooms
        .tabs
        .iter()
        .filter(|t| t.key != key)
        .map(|t| t.unread)
        .sum();
    let mute_key = key.clone();

    rsx! {
        div { class: if show_rooms() { "chat-screen rooms-open" } else { "chat-screen" },
            div { class: "chat-body",
                aside { class: "rooms-side", {room_list} }
                div { class: "room-pane",
                    header { class: "topbar",
                        button {
                            class: "rooms-toggle",
                            id: "rooms-toggle",
                            onclick: move |_| show_rooms.set(true),
                            title: lang.rooms_button(),
                            "‹"
                            span { class: "label", "{lang.rooms_button()}" }
                            if unread_elsewhere > 0 {
                                span { class: "badge", "{unread_elsewhere}" }
                            }
                        }
                        div { class: "brand small",
                            div { class: "brand-text",
                                h1 { id: "room-title", "{key.room}" }
                                span { class: "host", title: "{all_hosts}",
                                    span { class: "dot {status_kind}", id: "status-dot", title: status_text }
                                    "{host}"
                                    if let Some(code) = &code {
                                        span { class: "code", id: "room-code", title: lang.check_code_title(),
                                            " · {lang.check_code()} {code}"
                                        }
                                    }
                                }
                            }
                        }
                        div { class: "top-actions",
                            if hosted_here {
                                button {
                                    class: "share primary",
                                    id: "share-button",
                                    onclick: move |_| intents.send(Intent::OpenShare),
                                    "{lang.share_button()}"
                                }
                            }
                            button {
                                class: "mute",
                                id: "mute-button",
                                "aria-pressed": if tab.muted { "true" } else { "false" },
                                title: if tab.muted { lang.unmute() } else { lang.mute() },
                                onclick: move |_| intents.send(Intent::ToggleMute(mute_key.clone())),
                                BellIcon { off: tab.muted }
                                span { class: "label", if tab.muted { "{lang.unmute()}" } else { "{lang.mute()}" } }
                            }
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
                                title: lang.leave_room_title(),
                                onclick: move |_| intents.send(Intent::LeaveRoom),
                                span { class: "label long", "{lang.leave_room()}" }
                                span { class: "label short", "{lang.leave_button()}" }
                            }
                        }
                    }
                    div { class: "room-body",
                        main { class: "chat-main",
                            StatusBanner {
                                lang,
                                status: view.status.clone(),
                                now_ms,
                                waiting: view.waiting(),
                                storage_error: ui.storage_error.read().clone(),
                                on_reconnect: move |_| intents.send(Intent::ReconnectNow),
                                on_change: move |_| intents.send(Intent::SignOut),
                            }
                            if let Some(note) = room_note {
                                div { class: "banner disconnected", id: "room-note", role: "status", "{note}" }
                            }
                            if let Some(refused) = refused {
                                div { class: "banner disconnected", id: "moderation-refused", role: "alert", "{refused}" }
                            }
                            MessageList {
                                lang,
                                entries,
                                older: view.timeline.older(),
                                hides_older: view.timeline.hides_older(),
                                offline: !connected,
                                unseen: *ui.unseen.read(),
                                on_retry: move |id| intents.send(Intent::Retry(id)),
                                on_remove: on_remove_message,
                                on_jump: move |_| glue::scroll_to_bottom(),
                                on_older: move |_| intents.send(Intent::ShowOlder),
                            }
                            Composer { key: "{key.id()}", lang, stopped, room: key.id() }
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
                                known: connected && !left,
                                owner,
                                on_mute: move |name| {
                                    intents.send(Intent::Moderate(Moderation::Mute { name, minutes: 10 }));
                                },
                                on_remove: move |name| removing.set(Some(name)),
                            }
                        }
                    }
                }
            }
            {form_view}
            if let Some(name) = removing() {
                RemoveMemberDialog {
                    lang,
                    name: name.clone(),
                    on_confirm: move |reason| {
                        intents.send(Intent::Moderate(Moderation::RemoveMember { name: name.clone(), reason }));
                        removing.set(None);
                    },
                    on_cancel: move |_| removing.set(None),
                }
            }
        }
    }
}
