//! The window around the chat: its title counts messages that arrived while it was not
//! in use, and a link in a message opens in the system's browser, never inside the app.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::{os::unix::fs::PermissionsExt, time::Duration};

use support::{app::Options, serial, temp_dir, wait_until, AppWindow, LocalRelay, Person};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn the_title_counts_messages_that_arrive_while_the_window_is_away() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let bruno = Person::join(&relay.invite(), "Bruno");
    let dir = temp_dir("piazza-e2e-app");
    let mut app = AppWindow::open(Options::new(dir.path()).invite(relay.invite()));
    app.join("Anna");
    assert_eq!(app.title(), "Piazza");

    // The person switches to another window (here a second Piazza, in another data
    // directory): two messages come.
    let other_dir = temp_dir("piazza-e2e-other");
    let mut other = std::process::Command::new(env!("CARGO_BIN_EXE_piazza"))
        .env("DISPLAY", app.display.name())
        .env("PIAZZA_DATA_DIR", other_dir.path())
        .env("PIAZZA_NOTIFY", "0")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("a second window");
    let pid = other.id().to_string();
    wait_until("the other window has the focus", WAIT, || {
        let active = app.display.xdotool(&["getactivewindow"]);
        let of_other = std::process::Command::new("xdotool")
            .env("DISPLAY", app.display.name())
            .args(["search", "--onlyvisible", "--pid", &pid])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        !of_other.is_empty() && of_other.lines().any(|w| w.trim() == active.trim())
    });
    bruno.say("ci sei?");
    bruno.say("rispondi quando puoi");
    wait_until("the unread count in the title", WAIT, || {
        app.title() == "(2) Piazza"
    });
    let _ = other.kill();
    let _ = other.wait();

    // Back to the window: the count goes.
    app.focus();
    wait_until("the plain title", WAIT, || app.title() == "Piazza");
}

#[test]
fn a_link_opens_in_the_system_browser_and_the_chat_stays() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let bruno = Person::join(&relay.invite(), "Bruno");
    let dir = temp_dir("piazza-e2e-app");
    // A stand-in for the system's browser: it writes down what it was asked to open.
    let opened = dir.path().join("opened.txt");
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" >> {}\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let app_dir = dir.path().join("app");
    let mut app = AppWindow::open_with_env(
        Options::new(&app_dir).invite(relay.invite()),
        &[("BROWSER", browser.to_str().unwrap())],
    );
    app.join("Anna");
    bruno.say("il programma è su https://scuola.example.org/orario oggi");
    wait_until("the link in the list", WAIT, || {
        app.exists("#messages a.link")
    });
    app.click("#messages a.link");
    wait_until("the browser asked to open the link", WAIT, || {
        std::fs::read_to_string(&opened)
            .is_ok_and(|s| s.contains("https://scuola.example.org/orario"))
    });
    // The app did not navigate away from the chat.
    assert!(app.exists("#composer-input"));
    assert_eq!(
        app.texts(),
        ["il programma è su https://scuola.example.org/orario oggi"]
    );
}
