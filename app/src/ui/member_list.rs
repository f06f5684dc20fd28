use dioxus::prelude::*;

use super::{initial, name_hue};
use crate::i18n::Lang;

/// Who is online, with one's own name marked.
#[component]
pub fn MemberList(
    /// Interface language.
    lang: Lang,
    /// Names online, sorted.
    members: Vec<String>,
    /// One's own registered name.
    me: Option<String>,
) -> Element {
    let me_key = me.as_deref().map(str::to_lowercase);
    rsx! {
        section { class: "members", id: "members", "aria-label": lang.members_heading(),
            h2 { class: "members-heading",
                "{lang.members_heading()}"
                span { class: "count", "{members.len()}" }
            }
            if members.is_empty() {
                p { class: "members-empty", "{lang.nobody_online()}" }
            }
            ul { class: "member-list",
                for name in members.iter() {
                    {
                        let is_me = me_key.as_deref() == Some(name.to_lowercase().as_str());
                        let hue = name_hue(name);
                        rsx! {
                            li {
                                key: "{name}",
                                class: if is_me { "member me" } else { "member" },
                                "data-me": if is_me { "true" } else { "false" },
                                span { class: "avatar", style: "--hue: {hue}", "{initial(name)}" }
                                span { class: "member-name", "{name}" }
                                if is_me {
                                    span { class: "you", "({lang.you()})" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
