//! Rooms found on the local network (DNS-SD over mDNS), each with its check code.

use common::invite::Invite;
use dioxus::prelude::*;
use engine::nearby::NearbyRoom;

use crate::i18n::Lang;

/// The rooms nearby, joined with a click. mDNS is unauthenticated, so each shows the
/// check code of the certificate it announces, and the text says the host's QR code or
/// invite is the sure way in. A room that needs its key cannot be joined from here.
#[component]
pub fn NearbyRooms(
    /// Interface language.
    lang: Lang,
    /// The rooms found, sorted by name.
    rooms: Vec<NearbyRoom>,
    /// Join the room of this invite.
    on_pick: EventHandler<Invite>,
) -> Element {
    if rooms.is_empty() {
        return rsx! {};
    }
    rsx! {
        section { class: "nearby", id: "nearby",
            h2 { "{lang.nearby_title()}" }
            p { class: "field-help", "{lang.nearby_help()}" }
            ul {
                for room in rooms {
                    li { key: "{room.instance}",
                        button {
                            class: "nearby-room",
                            r#type: "button",
                            "data-submit": "true",
                            "data-room": "{room.name}",
                            "aria-disabled": if room.key_required { "true" } else { "false" },
                            onclick: {
                                let room = room.clone();
                                move |_| {
                                    if !room.key_required {
                                        on_pick.call(room.invite(None));
                                    }
                                }
                            },
                            span { class: "nearby-name", "{room.name}" }
                            span { class: "nearby-code", title: lang.check_code_title(),
                                "{lang.check_code()} {room.short_fingerprint()}"
                            }
                            if room.key_required {
                                span { class: "nearby-key", "{lang.nearby_needs_invite()}" }
                            }
                        }
                    }
                }
            }
        }
    }
}
