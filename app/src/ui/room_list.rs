//! The room list: each room with its name, its relay, its last message and unread
//! count, a mark for its state; the room shown highlighted; a button to join another
//! room. A sidebar on desktop, a screen of its own on a phone.

use dioxus::prelude::*;

use super::{initial, name_hue, BellIcon};
use crate::{
    i18n::Lang,
    state::{RoomMark, RoomSummary},
};

/// The rooms the app is in.
#[component]
pub fn RoomList(
    /// Interface language.
    lang: Lang,
    /// The rooms, in order.
    rooms: Vec<RoomSummary>,
    /// A room was chosen (its id).
    on_select: EventHandler<String>,
    /// "Join a room" was clicked.
    on_add: EventHandler<()>,
    /// The name in use.
    #[props(default)]
    me: String,
    /// "Change name" was clicked (leaves every room, back to the join screen).
    #[props(default)]
    on_sign_out: EventHandler<()>,
) -> Element {
    rsx! {
        nav { class: "rooms", id: "rooms", "aria-label": lang.rooms_heading(),
            h2 { class: "rooms-heading", "{lang.rooms_heading()}" }
            ul { class: "room-list",
                for room in rooms {
                    {room_row(lang, room, on_select)}
                }
            }
            button { class: "add-room", id: "add-room", onclick: move |_| on_add.call(()),
                span { "aria-hidden": "true", "+ " }
                "{lang.add_room_button()}"
            }
            if !me.is_empty() {
                div { class: "me-line",
                    span { class: "me-name", "{me}" }
                    button { class: "link-button", id: "sign-out", onclick: move |_| on_sign_out.call(()),
                        "{lang.sign_out()}"
                    }
                }
            }
        }
    }
}

fn room_row(lang: Lang, room: RoomSummary, on_select: EventHandler<String>) -> Element {
    let id = room.id.clone();
    let hue = name_hue(&room.name);
    let mut class = String::from("room");
    if room.active {
        class.push_str(" active");
    }
    if room.unread > 0 {
        class.push_str(" has-unread");
    }
    let mark = match room.state {
        RoomMark::Live => "live",
        RoomMark::Waiting => "waiting",
        RoomMark::Refused => "refused",
        RoomMark::Archived => "archived",
    };
    let last = match &room.last {
        Some((sender, text)) => format!("{sender}: {text}"),
        None => lang.no_messages_yet().to_owned(),
    };
    rsx! {
        li { key: "{room.id}",
            button {
                class: "{class}",
                "data-room": "{room.name}",
                "data-unread": "{room.unread}",
                "aria-current": if room.active { "true" } else { "false" },
                title: "{room.name} · {room.host}",
                onclick: move |_| on_select.call(id.clone()),
                span { class: "room-avatar", style: "--hue: {hue}", "aria-hidden": "true", "{initial(&room.name)}" }
                span { class: "room-text",
                    span { class: "room-name",
                        span { class: "dot {mark}", "aria-hidden": "true" }
                        "{room.name}"
                        if let Some(place) = &room.place {
                            span { class: "room-place", "{place}" }
                        }
                        if room.muted {
                            span { class: "room-muted", title: lang.muted(), "aria-label": lang.muted(), BellIcon { off: true } }
                        }
                    }
                    span { class: "room-last", "{last}" }
                }
                if room.unread > 0 {
                    span { class: "badge", "aria-label": "{lang.unread(room.unread)}", "{room.unread}" }
                }
            }
        }
    }
}
