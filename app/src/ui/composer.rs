use common::protocol::{validate_text, MAX_TEXT_CHARS};
use dioxus::prelude::*;

use crate::i18n::Lang;

/// Show the character counter once this few characters are left.
const COUNTER_FROM: usize = 500;

/// The message field and the "Invia" button. Enter sends, Shift+Enter adds a line.
///
/// The textarea is uncontrolled (no `value:`): `oninput` copies the text into a
/// signal, and sending clears the field by giving it a new `key`, which replaces the
/// element. A controlled textarea drops keystrokes when typing fast.
#[component]
pub fn Composer(
    /// Interface language.
    lang: Lang,
    /// A valid text to send.
    on_send: EventHandler<String>,
) -> Element {
    let mut draft = use_signal(String::new);
    let mut generation = use_signal(|| 0_u64);

    let mut send = move || {
        let text = draft.peek().clone();
        if validate_text(&text).is_ok() {
            on_send.call(text);
            draft.set(String::new());
            generation += 1;
        }
    };

    let text = draft.read();
    let count = text.chars().count();
    let valid = validate_text(&text).is_ok();
    let left = MAX_TEXT_CHARS as i64 - count as i64;
    let counter_class = if left < 0 { "counter over" } else { "counter" };
    let generation = generation();

    rsx! {
        div { class: "composer",
            div { class: "field",
                for g in std::iter::once(generation) {
                    textarea {
                        key: "{g}",
                        id: "composer-input",
                        class: "composer-input",
                        rows: "1",
                        placeholder: lang.composer_placeholder(),
                        title: lang.composer_hint(),
                        "aria-label": lang.composer_placeholder(),
                        oninput: move |e| draft.set(e.value()),
                        onkeydown: move |e| {
                            if e.key() == Key::Enter && !e.modifiers().shift() && !e.is_composing() {
                                e.prevent_default();
                                send();
                            }
                        },
                        onmounted: move |e| async move {
                            let _ = e.set_focus(true).await;
                        },
                    }
                }
                if count + COUNTER_FROM > MAX_TEXT_CHARS {
                    span { class: counter_class, id: "char-counter", "{lang.chars_left(left)}" }
                }
            }
            button {
                class: "send",
                id: "send-button",
                r#type: "button",
                disabled: !valid,
                onclick: move |_| send(),
                "{lang.send_button()}"
            }
        }
    }
}
