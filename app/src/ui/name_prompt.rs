use common::{
    invite::Invite,
    protocol::{validate_name, MAX_NAME_CHARS},
};
use dioxus::prelude::*;

use crate::i18n::Lang;

/// Show the name's character counter once this few characters are left.
const NAME_COUNTER_FROM: usize = 8;

/// The join screen: display name and relay invite (both pre-filled with what was
/// used last), validated against the protocol's limits, and the join button.
///
/// The inputs are uncontrolled: their initial values are set once and `oninput`
/// copies what is typed into signals.
#[component]
pub fn NamePrompt(
    /// Interface language.
    lang: Lang,
    /// Name to start with (the last one used).
    initial_name: String,
    /// Invite to start with (from the command line, `PIAZZA_INVITE` or the last one).
    initial_invite: String,
    /// A problem to show above the button (e.g. the name was taken).
    #[props(default)]
    error: Option<String>,
    /// Join with a valid (trimmed) name and a parsed invite.
    on_join: EventHandler<(String, Invite)>,
) -> Element {
    let mut name = use_signal(|| initial_name.clone());
    let mut invite = use_signal(|| initial_invite.clone());
    // A pre-filled value that is wrong shows its problem right away.
    let mut name_touched = use_signal(|| !initial_name.is_empty());
    let mut invite_touched = use_signal(|| !initial_invite.is_empty());
    let mut attempted = use_signal(|| false);

    let name_result = validate_name(&name.read());
    let invite_result = invite.read().parse::<Invite>();
    let name_error = match &name_result {
        Err(e) if name_touched() || attempted() => Some(lang.name_error(*e)),
        _ => None,
    };
    let invite_error = match &invite_result {
        Err(e) if invite_touched() || attempted() => Some(lang.invite_error(e)),
        _ => None,
    };
    let name_len = name.read().trim().chars().count();
    let ready = name_result.is_ok() && invite_result.is_ok();

    let mut submit = move || {
        attempted.set(true);
        if let (Ok(name), Ok(invite)) =
            (validate_name(&name.peek()), invite.peek().parse::<Invite>())
        {
            on_join.call((name, invite));
        }
    };
    let on_enter = move |e: KeyboardEvent| {
        if e.key() == Key::Enter {
            e.prevent_default();
            submit();
        }
    };

    rsx! {
        main { class: "prompt-screen",
            div { class: "prompt-card",
                div { class: "brand",
                    span { class: "logo", "aria-hidden": "true", "P" }
                    h1 { "{lang.app_name()}" }
                }
                p { class: "tagline", "{lang.tagline()}" }

                div { class: if name_error.is_some() { "form-field invalid" } else { "form-field" },
                    label { r#for: "name-input", "{lang.name_label()}" }
                    input {
                        id: "name-input",
                        r#type: "text",
                        autocomplete: "nickname",
                        spellcheck: "false",
                        placeholder: lang.name_placeholder(),
                        value: "{initial_name}",
                        "aria-invalid": if name_error.is_some() { "true" } else { "false" },
                        oninput: move |e| name.set(e.value()),
                        onblur: move |_| name_touched.set(true),
                        onkeydown: on_enter,
                        onmounted: move |e| async move {
                            let _ = e.set_focus(true).await;
                        },
                    }
                    div { class: "field-foot",
                        if let Some(error) = &name_error {
                            span { class: "field-error", id: "name-error", role: "alert", "{error}" }
                        }
                        if name_len + NAME_COUNTER_FROM > MAX_NAME_CHARS {
                            span {
                                class: if name_len > MAX_NAME_CHARS { "counter over" } else { "counter" },
                                "{name_len}/{MAX_NAME_CHARS}"
                            }
                        }
                    }
                }

                div { class: if invite_error.is_some() { "form-field invalid" } else { "form-field" },
                    label { r#for: "invite-input", "{lang.invite_label()}" }
                    input {
                        id: "invite-input",
                        r#type: "text",
                        autocomplete: "off",
                        spellcheck: "false",
                        placeholder: lang.invite_placeholder(),
                        value: "{initial_invite}",
                        "aria-invalid": if invite_error.is_some() { "true" } else { "false" },
                        oninput: move |e| {
                            invite.set(e.value());
                            invite_touched.set(true);
                        },
                        onkeydown: on_enter,
                    }
                    div { class: "field-foot",
                        if let Some(error) = &invite_error {
                            span { class: "field-error", id: "invite-error", role: "alert", "{error}" }
                        } else {
                            span { class: "field-help", "{lang.invite_help()}" }
                        }
                    }
                }

                if let Some(error) = &error {
                    div { class: "prompt-error", id: "prompt-error", role: "alert", "{error}" }
                }

                button {
                    class: "join primary",
                    id: "join-button",
                    r#type: "button",
                    "aria-disabled": if ready { "false" } else { "true" },
                    onclick: move |_| submit(),
                    "{lang.join_button()}"
                }
            }
        }
    }
}
