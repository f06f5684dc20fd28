//! Hosting as people do it: typing a name and clicking "Host a room"; joining a hosted
//! room by typing its invite.

use std::{path::Path, time::Duration};

use super::{app::Options, wait_until, AppWindow};

const WAIT: Duration = Duration::from_secs(30);

/// Opens a window on `dir`, types `name` and clicks "Host a room"; waits for the invite
/// dialog and the room.
pub fn host(dir: &Path, name: &str) -> AppWindow {
    let mut app = AppWindow::open(Options::new(dir));
    wait_until("the join screen", WAIT, || app.exists("#name-input"));
    app.click("#name-input");
    app.type_text(name, 30);
    app.click("#host-button");
    wait_until("the invite dialog", WAIT, || app.exists("#share-dialog"));
    wait_until("connected to the hosted room", WAIT, || {
        app.status() == "connected"
    });
    app
}

/// Opens a window on `dir` and joins with `invite` typed into the join screen.
pub fn join_by_typing(dir: &Path, name: &str, invite: &str) -> AppWindow {
    let mut app = AppWindow::open(Options::new(dir));
    wait_until("the join screen", WAIT, || app.exists("#name-input"));
    app.click("#name-input");
    app.type_text(name, 30);
    app.key("Tab");
    app.type_text(invite, 5);
    app.key("Return");
    wait_until("connected", WAIT, || app.status() == "connected");
    app
}

/// Types `text` into the composer, sends it with Return and waits until delivered.
pub fn sends(app: &mut AppWindow, text: &str) {
    app.click("#composer-input");
    app.type_text(text, 20);
    app.key("Return");
    wait_until("delivered", WAIT, || {
        app.rows()
            .iter()
            .any(|r| r.text == text && r.delivery == "delivered")
    });
}
