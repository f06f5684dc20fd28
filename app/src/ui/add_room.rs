//! The form to join another room: its invite (typed or pasted), checked as it is typed,
//! and why the relay refused the last try.

use common::invite::{owner_key_in, Invite};
use dioxus::prelude::*;
use engine::Problem;

use crate::i18n::Lang;

/// Joining another room. The field is uncontrolled (what the person types stays); the
/// relay's verdict shows under it until it is edited.
#[component]
pub fn AddRoomForm(
    /// Interface language.
    lang: Lang,
    /// Waiting for the relay's answer.
    joining: bool,
    /// Why the last try did not work.
    #[props(default)]
    problem: Option<Problem>,
    /// Join the room of this invite.
    on_join: EventHandler<(Invite, Option<String>)>,
    /// Close the form.
    on_cancel: EventHandler<()>,
) -> Element {
    let mut invite = use_signal(String::new);
    let mut edited = use_signal(|| false);
    let mut relay_problem = use_signal(|| problem.clone());
    use_effect(use_reactive!(|problem| relay_problem.set(problem)));
    let parsed = invite.read().parse::<Invite>();
    let error = match (&parsed, edited()) {
        (Err(e), true) => Some(lang.invite_error(e)),
        _ => relay_problem.read().as_ref().map(|p| lang.problem(p)),
    };
    let ready = parsed.is_ok() && !joining;
    // Join requests handled, for the page's typing ahead (`platform/typeahead.js`).
    let mut attempts = use_signal(|| 0u64);
    let mut submit = move || {
        attempts += 1;
        if let (Ok(parsed), false) = (invite.peek().parse::<Invite>(), joining) {
            relay_problem.set(None);
            on_join.call((parsed, owner_key_in(&invite.peek())));
        } else {
            edited.set(true);
        }
    };
    rsx! {
        div { class: "dialog-backdrop", onclick: move |_| on_cancel.call(()) }
        div {
            class: "dialog",
            id: "add-room-form",
            role: "dialog",
            "aria-modal": "true",
            "data-attempt": "{attempts}",
            "data-joining": if joining { "true" } else { "false" },
            h2 { "{lang.add_room_title()}" }
            div { class: if error.is_some() { "form-field invalid" } else { "form-field" },
                label { r#for: "room-invite-input", "{lang.invite_label()}" }
                input {
                    id: "room-invite-input",
                    r#type: "text",
                    autocomplete: "off",
                    spellcheck: "false",
                    placeholder: lang.invite_placeholder(),
                    oninput: move |e| {
                        invite.set(e.value());
                        edited.set(!e.value().trim().is_empty());
                        relay_problem.set(None);
                    },
                    onkeydown: move |e: KeyboardEvent| {
                        if e.key() == Key::Enter && !e.is_composing() {
                            e.prevent_default();
                            submit();
                        } else if e.key() == Key::Escape {
                            on_cancel.call(());
                        }
                    },
                    onmounted: move |e| async move {
                        let _ = e.set_focus(true).await;
                    },
                }
                div { class: "field-foot",
                    if let Some(error) = &error {
                        span { class: "field-error", id: "room-invite-error", role: "alert", "{error}" }
                    } else {
                        span { class: "field-help", "{lang.add_room_help()}" }
                    }
                }
            }
            div { class: "dialog-actions",
                button { id: "add-room-cancel", onclick: move |_| on_cancel.call(()), "{lang.cancel()}" }
                button {
                    class: "primary",
                    id: "add-room-join",
                    "data-submit": "true",
                    "aria-disabled": if ready { "false" } else { "true" },
                    onclick: move |_| submit(),
                    if joining { "{lang.joining()}" } else { "{lang.join_button()}" }
                }
            }
        }
    }
}
