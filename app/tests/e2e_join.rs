//! Joining as a person does it: the name and the invite typed with real keystrokes at a
//! calm and at a fast pace (with a dead key for "ò"), a name that is taken (or only
//! looks different) sending the person back with the reason under the name field, and
//! the phone layout's member popover.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::time::Duration;

use support::{app::Options, serial, temp_dir, wait_until, AppWindow, LocalRelay, Person};

const WAIT: Duration = Duration::from_secs(20);

/// Types a name and an invite into the join screen, at the given speeds, and joins.
fn join_by_typing(app: &mut AppWindow, name: &[&str], invite: &str, name_ms: u32, invite_ms: u32) {
    wait_until("the join screen", WAIT, || app.exists("#name-input"));
    app.click("#name-input");
    for part in name {
        if part.starts_with("dead_") {
            app.key(part); // a dead key, then the letter it composes with
        } else {
            app.type_text(part, name_ms);
        }
    }
    app.key("Tab");
    app.type_text(invite, invite_ms);
    wait_until("the typed invite in its field", WAIT, || {
        app.value("#invite-input") == invite
    });
}

#[test]
fn typed_names_and_invites_are_kept_exactly_at_a_calm_and_a_fast_pace() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let invite = relay.invite().to_string();
    let watcher = Person::join(&relay.invite(), "Osservatore");

    // A calm typist: 120 ms per key for the name, 30 ms for the invite.
    let dir = temp_dir("piazza-e2e-app");
    let mut giulia = AppWindow::open(Options::new(dir.path()));
    wait_until("the join screen", WAIT, || giulia.exists("#name-input"));
    assert!(
        !giulia.exists("#name-error") && !giulia.exists("#invite-error"),
        "nothing is red before anything was typed"
    );
    join_by_typing(&mut giulia, &["Giulia Rossi"], &invite, 120, 30);
    assert_eq!(giulia.value("#name-input"), "Giulia Rossi");
    giulia.screenshot("screenshot-prompt");
    giulia.key("Return");
    wait_until("the chat", WAIT, || giulia.exists("#composer-input"));
    wait_until("connected", WAIT, || giulia.status() == "connected");
    wait_until("my name in the member list", WAIT, || {
        giulia.text("#members li.member.me .member-name") == "Giulia Rossi"
    });
    wait_until("the relay registered the typed name", WAIT, || {
        watcher.members().contains(&"Giulia Rossi".to_owned())
    });

    // A fast typist, in Italian, with a dead key: 30 ms per key for the name (and the
    // composed "ò"), 120 ms for the invite.
    let dir = temp_dir("piazza-e2e-app");
    let mut nicolo = AppWindow::open(Options::new(dir.path()).lang("it"));
    join_by_typing(
        &mut nicolo,
        &["Nicol", "dead_grave o", " Bianchi"],
        &invite,
        30,
        120,
    );
    assert_eq!(nicolo.value("#name-input"), "Nicolò Bianchi");
    nicolo.key("Return");
    wait_until("the chat", WAIT, || nicolo.exists("#composer-input"));
    wait_until("the relay registered the typed name", WAIT, || {
        watcher.members().contains(&"Nicolò Bianchi".to_owned())
    });
    wait_until("both names in the member list", WAIT, || {
        let names = nicolo.text("#members");
        names.contains("Giulia Rossi") && names.contains("Nicolò Bianchi")
    });
}

#[test]
fn a_name_that_is_taken_or_only_looks_different_returns_to_the_prompt_with_the_reason() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let invite = relay.invite().to_string();
    let _giulia = Person::join(&relay.invite(), "Giulia Rossi");

    let dir = temp_dir("piazza-e2e-app");
    let mut app = AppWindow::open(Options::new(dir.path()).invite(&invite));
    wait_until("the join screen", WAIT, || app.exists("#name-input"));
    assert_eq!(
        app.value("#invite-input"),
        invite,
        "the invite is pre-filled"
    );
    // "Rоssi" with a Cyrillic о: it looks the same, so it is the same name.
    app.click("#name-input");
    // xdotool types a letter the keyboard map lacks by mapping a spare key for it a
    // moment before: the Cyrillic letter gets its own key press, with time around it.
    app.type_text("giulia R", 40);
    std::thread::sleep(std::time::Duration::from_millis(200));
    app.key("Cyrillic_o");
    std::thread::sleep(std::time::Duration::from_millis(200));
    app.type_text("ssi", 40);
    wait_until("the name as typed", WAIT, || {
        app.value("#name-input") == "giulia Rоssi"
    });
    app.key("Return");
    wait_until("the reason under the name field", WAIT, || {
        app.text("#name-error").contains("already uses this name")
    });
    assert!(
        !app.exists("#composer-input"),
        "no chat screen after a refusal"
    );
    app.screenshot("e2e-name-taken");

    // Correcting the name: the error goes with the edit, and the join works.
    app.click("#name-input");
    app.key("ctrl+a");
    app.type_text("Giulia Verdi", 40);
    assert!(
        !app.exists("#name-error"),
        "the relay's verdict was about the old name"
    );
    app.key("Return");
    wait_until("the chat", WAIT, || app.exists("#composer-input"));
    wait_until("connected", WAIT, || app.status() == "connected");
}

#[test]
fn the_phone_layouts_member_popover_closes_on_a_click_outside_it() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let _bruno = Person::join(&relay.invite(), "Bruno");
    let dir = temp_dir("piazza-e2e-app");
    let mut app = AppWindow::open(
        Options::new(dir.path())
            .invite(relay.invite())
            .lang("it")
            .size(400, 760),
    );
    app.join("Sara");
    wait_until("two people", WAIT, || {
        app.text("#members-toggle") == "2 persone"
    });
    app.click("#members-toggle");
    wait_until("the popover open", WAIT, || app.exists(".sidebar.open"));
    app.screenshot("screenshot-phone");
    // A click on the messages, outside the popover.
    app.click_at(60, 500);
    wait_until("the popover closed", WAIT, || !app.exists(".sidebar.open"));
    // The composer still takes what is typed.
    app.click("#composer-input");
    app.type_text("ciao dal telefono", 40);
    app.key("Return");
    wait_until("the message delivered", WAIT, || {
        app.rows()
            .iter()
            .any(|r| r.text == "ciao dal telefono" && r.delivery == "delivered")
    });
}
