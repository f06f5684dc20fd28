//! The page glue (`glue.js`): composer, message-list following and window focus, done
//! inside the page so nothing races the person typing; and the messages it sends back.
//! With it, `typeahead.js` keeps what is typed between the Enter that joins and the
//! relay's answer, and hands it to the composer.
//!
//! [`run`] installs the script once and turns its messages into [`PageEvent`]s; the
//! `window.piazza.*` calls go the other way.

use dioxus::prelude::*;
use serde::Deserialize;

/// The script, compiled in.
const GLUE_JS: &str = include_str!("glue.js");

/// Typing ahead of a join, compiled in.
const TYPEAHEAD_JS: &str = include_str!("typeahead.js");

/// What the page tells the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageEvent {
    /// Send this text (Enter or the send button; the field is already cleared).
    Send(String),
    /// The list is (or is no longer) at the bottom, following new messages.
    Sticky(bool),
    /// The person reached the top of the list: show older messages.
    Top,
    /// The window gained or lost the focus.
    Focus(bool),
}

#[derive(Deserialize)]
struct Raw {
    send: Option<String>,
    sticky: Option<bool>,
    top: Option<bool>,
    focus: Option<bool>,
}

/// Installs the glue and calls `on_event` for every message of the page, until the page
/// goes away.
pub async fn run(mut on_event: impl FnMut(PageEvent)) {
    let mut eval = document::eval(&format!(
        "{GLUE_JS}\n{TYPEAHEAD_JS}\nawait new Promise(() => {{}});"
    ));
    while let Ok(raw) = eval.recv::<Raw>().await {
        let event = match raw {
            Raw {
                send: Some(text), ..
            } => PageEvent::Send(text),
            Raw {
                sticky: Some(s), ..
            } => PageEvent::Sticky(s),
            Raw {
                top: Some(true), ..
            } => PageEvent::Top,
            Raw { focus: Some(f), .. } => PageEvent::Focus(f),
            _ => continue,
        };
        on_event(event);
    }
}

/// Scrolls the list to the newest message and follows it again.
pub fn scroll_to_bottom() {
    document::eval("window.piazza && window.piazza.toBottom();");
}

/// Lets the list ask for older messages again if it is still at the top (after a page
/// that added nothing to show).
pub fn rearm_top() {
    document::eval("window.piazza && window.piazza.rearmTop();");
}

/// Puts the keyboard focus in the composer.
pub fn focus_composer() {
    document::eval("window.piazza && window.piazza.focusComposer(false);");
}

/// Puts the keyboard focus in a composer just shown, unless something else has it.
pub fn focus_new_composer() {
    document::eval("window.piazza && window.piazza.focusComposer(true);");
}
