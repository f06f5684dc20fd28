//! The owner's question before removing a member: the reason everyone will read.

use common::protocol::{validate_reason, MAX_REASON_CHARS};
use dioxus::prelude::*;

use crate::i18n::Lang;

/// Removing `name` from the room: a reason (required, as the protocol bounds it), then
/// confirm or cancel. Enter confirms, Escape cancels.
#[component]
pub fn RemoveMemberDialog(
    /// Interface language.
    lang: Lang,
    /// Who.
    name: String,
    /// Remove, with this reason.
    on_confirm: EventHandler<String>,
    /// Do not.
    on_cancel: EventHandler<()>,
) -> Element {
    let mut reason = use_signal(String::new);
    let valid = validate_reason(reason.read().trim()).is_ok();
    let confirm = move || {
        let text = reason.peek().trim().to_owned();
        if validate_reason(&text).is_ok() {
            on_confirm.call(text);
        }
    };
    rsx! {
        div { class: "dialog-backdrop", onclick: move |_| on_cancel.call(()) }
        div { class: "dialog", id: "remove-member", role: "dialog", "aria-modal": "true",
            h2 { "{lang.remove_member_title(&name)}" }
            p { class: "field-help", "{lang.remove_member_help()}" }
            div { class: "form-field",
                label { r#for: "removal-reason", "{lang.removal_reason()}" }
                input {
                    id: "removal-reason",
                    r#type: "text",
                    maxlength: "{MAX_REASON_CHARS}",
                    oninput: move |e| reason.set(e.value()),
                    onkeydown: move |e: KeyboardEvent| {
                        if e.key() == Key::Enter && !e.is_composing() {
                            e.prevent_default();
                            confirm();
                        } else if e.key() == Key::Escape {
                            on_cancel.call(());
                        }
                    },
                    onmounted: move |e| async move {
                        let _ = e.set_focus(true).await;
                    },
                }
            }
            div { class: "dialog-actions",
                button { id: "remove-member-cancel", onclick: move |_| on_cancel.call(()), "{lang.cancel()}" }
                button {
                    class: "primary danger",
                    id: "remove-member-confirm",
                    "aria-disabled": if valid { "false" } else { "true" },
                    onclick: move |_| confirm(),
                    "{lang.remove_member_confirm()}"
                }
            }
        }
    }
}
