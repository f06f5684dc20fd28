//! The composer: the message field and the "Invia" button (the page glue sends).

use common::rules::{clean_text, validate_text, MAX_TEXT_CHARS};
use dioxus::prelude::*;

use crate::i18n::Lang;

/// Show the character counter once this few characters are left.
const COUNTER_FROM: usize = 500;

/// The message field and the "Invia" button. Enter sends, Shift+Enter adds a line.
///
/// The field belongs to the person typing: it is uncontrolled and never replaced, and
/// taking the text to send and clearing the field happen inside the page, in the same
/// event as the Enter key or the button click (`platform::glue`). So the keystrokes of
/// the next message, typed right after Enter, land in the cleared field and none is
/// lost or merged. The app only mirrors the draft (`oninput`) for the counter and the
/// button's state.
#[component]
pub fn Composer(
    /// Interface language.
    lang: Lang,
    /// Sending is impossible (the session stopped on a problem shown above).
    #[props(default)]
    stopped: bool,
    /// The room it writes to (the page keeps a draft per room).
    #[props(default)]
    room: String,
) -> Element {
    let mut draft = use_signal(String::new);
    let text = draft.read();
    let count = text.chars().count();
    let valid = validate_text(&clean_text(&text)).is_ok() && !stopped;
    let left = MAX_TEXT_CHARS as i64 - count as i64;
    let counter_class = if left < 0 { "counter over" } else { "counter" };
    let placeholder = if stopped {
        lang.composer_stopped()
    } else {
        lang.composer_placeholder()
    };

    rsx! {
        div { class: if stopped { "composer stopped" } else { "composer" },
            div { class: "field",
                textarea {
                    id: "composer-input",
                    class: "composer-input",
                    rows: "1",
                    placeholder,
                    title: lang.composer_hint(),
                    "aria-label": lang.composer_placeholder(),
                    "data-stopped": if stopped { "true" } else { "false" },
                    "data-room": "{room}",
                    oninput: move |e| draft.set(e.value()),
                    // A new room's composer takes the typing, unless a dialog is open or
                    // the person has put the focus elsewhere meanwhile.
                    onmounted: move |_| crate::platform::glue::focus_new_composer(),
                }
                if count + COUNTER_FROM > MAX_TEXT_CHARS {
                    span { class: counter_class, id: "char-counter", "{lang.chars_left(left)}" }
                }
            }
            button {
                class: "send",
                id: "send-button",
                r#type: "button",
                // Not `disabled`: the page takes the click and ignores a blank draft, so a
                // click never depends on the mirror having caught up with the typing.
                "aria-disabled": if valid { "false" } else { "true" },
                "{lang.send_button()}"
            }
        }
    }
}
