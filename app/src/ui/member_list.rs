//! The member list: who is online, one's own name marked; the last known list,
//! greyed, while offline.

use dioxus::prelude::*;

use super::{initial, name_hue};
use crate::i18n::Lang;
use common::rules::name_key;

/// Who is online, with one's own name marked. While offline the list is the last one
/// known, greyed, under a line saying that who is there now is unknown.
#[component]
pub fn MemberList(
    /// Interface language.
    lang: Lang,
    /// How many are online.
    online: u32,
    /// Names online, sorted; `None` when the room is too large to list.
    members: Option<Vec<String>>,
    /// One's own registered name.
    me: Option<String>,
    /// Connected: the list is current.
    #[props(default = true)]
    known: bool,
    /// This person keeps order in the room: others get "Mute 10 min" (calls `on_mute`
    /// with the name) and "Remove…" (`on_remove`).
    #[props(default)]
    owner: bool,
    /// Mute a member for ten minutes.
    #[props(default)]
    on_mute: EventHandler<String>,
    /// Ask to remove a member.
    #[props(default)]
    on_remove: EventHandler<String>,
) -> Element {
    let me_key = me.as_deref().map(name_key);
    rsx! {
        section {
            class: if known { "members" } else { "members unknown" },
            id: "members",
            "data-known": if known { "true" } else { "false" },
            "aria-label": lang.members_heading(),
            h2 { class: "members-heading",
                "{lang.members_heading()}"
                if known {
                    span { class: "count", "{online}" }
                } else {
                    span { class: "count", "?" }
                }
            }
            if !known {
                p { class: "members-unknown", id: "presence-unknown", "{lang.presence_unknown()}" }
            }
            if members.is_none() {
                p { class: "members-unlisted", "{lang.too_many_to_list()}" }
            } else if online == 0 && known {
                p { class: "members-empty", "{lang.nobody_online()}" }
            }
            ul { class: "member-list",
                for name in members.iter().flatten() {
                    {
                        let is_me = me_key.as_deref() == Some(name_key(name).as_str());
                        let hue = name_hue(name);
                        rsx! {
                            li {
                                key: "{name}",
                                class: if is_me { "member me" } else { "member" },
                                "data-name": "{name}",
                                "data-me": if is_me { "true" } else { "false" },
                                span { class: "avatar", style: "--hue: {hue}", "{initial(name)}" }
                                span { class: "member-name", "{name}" }
                                if is_me {
                                    span { class: "you", "({lang.you()})" }
                                } else if owner && known {
                                    span { class: "member-actions",
                                        button {
                                            class: "member-mute",
                                            r#type: "button",
                                            onclick: {
                                                let name = name.clone();
                                                move |_| on_mute.call(name.clone())
                                            },
                                            "{lang.mute_member()}"
                                        }
                                        button {
                                            class: "member-remove",
                                            r#type: "button",
                                            onclick: {
                                                let name = name.clone();
                                                move |_| on_remove.call(name.clone())
                                            },
                                            "{lang.remove_member()}"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
