//! The join screen's form: name and invite, checked with the protocol's rules.

use common::{
    invite::{owner_key_in, Invite},
    protocol::{JoinRefusal, RefuseReason},
    rules::{validate_name, MAX_NAME_CHARS},
};
use dioxus::prelude::*;
use engine::Problem;

use crate::{i18n::Lang, ui::NearbyRooms};

/// Show the name's character counter once this few characters are left.
const NAME_COUNTER_FROM: usize = 8;

/// Which field a problem from the relay belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Name,
    Invite,
    Neither,
}

fn field_of(problem: &Problem) -> Field {
    match problem {
        Problem::Refused(RefuseReason::BadName(_))
        | Problem::JoinRefused(JoinRefusal::NameTaken) => Field::Name,
        Problem::JoinRefused(
            JoinRefusal::RoomKeyRequired
            | JoinRefusal::RoomKeyWrong
            | JoinRefusal::NoSuchRoom
            | JoinRefusal::BadRoomName(_),
        )
        | Problem::PinMismatch
        | Problem::Untrusted(_)
        | Problem::Resolve(_) => Field::Invite,
        _ => Field::Neither,
    }
}

/// The join screen: display name and relay invite, validated with the protocol's rules,
/// and the join button.
///
/// The inputs belong to the person typing: they are uncontrolled, their initial values
/// (the last name used, the invite from the command line, `PIAZZA_INVITE` or the last
/// one) are set once as `initial_value` and never imposed again; `oninput` copies what
/// is typed into signals for validation. A field shows its problem only once the person
/// has typed in it and moved on, or tried to join; a problem the relay reported (name
/// taken, wrong room key) shows under the field it is about.
#[component]
pub fn NamePrompt(
    /// Interface language.
    lang: Lang,
    /// Name to start with.
    initial_name: String,
    /// Invite to start with.
    initial_invite: String,
    /// The problem that brought the person back here, if any.
    #[props(default)]
    problem: Option<Problem>,
    /// Waiting for the relay's answer.
    #[props(default)]
    joining: bool,
    /// Join with a valid name, a parsed invite and, for an owner invite, its owner key.
    on_join: EventHandler<(String, Invite, Option<String>)>,
    /// Host a room on this computer, joining it with a valid name.
    on_host: EventHandler<String>,
    /// Why hosting did not start, if it did not.
    #[props(default)]
    host_problem: Option<String>,
    /// Rooms found on the network.
    #[props(default)]
    nearby: Vec<engine::nearby::NearbyRoom>,
) -> Element {
    let mut name = use_signal(|| initial_name.clone());
    let mut invite = use_signal(|| initial_invite.clone());
    let mut name_edited = use_signal(|| false);
    let mut name_left = use_signal(|| false);
    let mut invite_edited = use_signal(|| false);
    let mut attempted = use_signal(|| false);
    let mut host_attempted = use_signal(|| false);
    // Join requests handled, for the page's typing ahead (`platform/typeahead.js`).
    let mut attempts = use_signal(|| 0u64);
    // The relay's verdict is about the values it was given: editing a field clears it.
    let mut relay_problem = use_signal(|| problem.clone());
    use_effect(use_reactive!(|problem| relay_problem.set(problem)));

    let name_result = validate_name(&name.read());
    let invite_result = invite.read().parse::<Invite>();
    // A pre-filled name that no longer passes says so at once; a typed one once the
    // person moves on.
    let show_name = attempted()
        || host_attempted()
        || (name_edited() && name_left())
        || (!name_edited() && !initial_name.is_empty());
    // A pre-filled invite that is wrong says so at once; a typed one once it is edited.
    let show_invite = attempted() || invite_edited() || !initial_invite.is_empty();
    let relay_field = relay_problem.read().as_ref().map(field_of);
    let name_error = match &name_result {
        Err(e) if show_name => Some(lang.name_error(*e)),
        _ if relay_field == Some(Field::Name) => {
            relay_problem.read().as_ref().map(|p| lang.problem(p))
        }
        _ => None,
    };
    let invite_error = match &invite_result {
        Err(e) if show_invite => Some(lang.invite_error(e)),
        _ if relay_field == Some(Field::Invite) => {
            relay_problem.read().as_ref().map(|p| lang.problem(p))
        }
        _ => None,
    };
    let general_error = match relay_field {
        Some(Field::Neither) => relay_problem.read().as_ref().map(|p| lang.problem(p)),
        _ => None,
    };
    let name_len = name.read().trim().chars().count();
    let ready = name_result.is_ok() && invite_result.is_ok() && !joining;

    let mut submit = move || {
        attempted.set(true);
        attempts += 1;
        if joining {
            return;
        }
        if let (Ok(name), Ok(parsed)) =
            (validate_name(&name.peek()), invite.peek().parse::<Invite>())
        {
            relay_problem.set(None);
            on_join.call((name, parsed, owner_key_in(&invite.peek())));
        }
    };
    // Hosting, or a room nearby: only the name is needed (the invite field is not
    // used), so only the name's problem shows. Gives the name once it is valid.
    let mut name_only = move || {
        host_attempted.set(true);
        attempts += 1;
        if joining {
            return None;
        }
        let valid = validate_name(&name.peek()).ok();
        if valid.is_some() {
            relay_problem.set(None);
        }
        valid
    };
    let mut host = move || {
        if let Some(name) = name_only() {
            on_host.call(name);
        }
    };
    // A room nearby, picked: joined with the name typed.
    let pick = move |invite: Invite| {
        if let Some(name) = name_only() {
            on_join.call((name, invite, None));
        }
    };
    let on_enter = move |e: KeyboardEvent| {
        if e.key() == Key::Enter && !e.is_composing() {
            e.prevent_default();
            submit();
        }
    };

    rsx! {
        main {
            class: "prompt-screen",
            id: "join-form",
            "data-attempt": "{attempts}",
            "data-joining": if joining { "true" } else { "false" },
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
                        initial_value: "{initial_name}",
                        "aria-invalid": if name_error.is_some() { "true" } else { "false" },
                        oninput: move |e| {
                            name.set(e.value());
                            name_edited.set(true);
                            if relay_field == Some(Field::Name) {
                                relay_problem.set(None);
                            }
                        },
                        onblur: move |_| name_left.set(true),
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
                        initial_value: "{initial_invite}",
                        "aria-invalid": if invite_error.is_some() { "true" } else { "false" },
                        oninput: move |e| {
                            invite.set(e.value());
                            invite_edited.set(true);
                            if relay_field == Some(Field::Invite) {
                                relay_problem.set(None);
                            }
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

                if let Some(error) = &general_error {
                    div { class: "prompt-error", id: "prompt-error", role: "alert", "{error}" }
                }

                button {
                    class: "join primary",
                    id: "join-button",
                    r#type: "button",
                    "data-submit": "true",
                    "aria-disabled": if ready { "false" } else { "true" },
                    onclick: move |_| submit(),
                    if joining { "{lang.joining()}" } else { "{lang.join_button()}" }
                }

                NearbyRooms { lang, rooms: nearby, on_pick: pick }

                div { class: "host-choice",
                    button {
                        class: "host",
                        id: "host-button",
                        r#type: "button",
                        "data-submit": "true",
                        "aria-disabled": if name_result.is_ok() && !joining { "false" } else { "true" },
                        onclick: move |_| host(),
                        "{lang.host_button()}"
                    }
                    p { class: "field-help", "{lang.host_help()}" }
                    if let Some(problem) = &host_problem {
                        div { class: "prompt-error", id: "host-error", role: "alert", "{problem}" }
                    }
                }
            }
        }
    }
}
