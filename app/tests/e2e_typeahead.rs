//! Typing on right after Enter on the join screen and in the add-room form, as people
//! do: the join takes a moment (the relay answers), and what is typed meanwhile must
//! reach the room whole, in order, or wait in the composer — never vanish with the form.
//! A name the app refuses at once gets back the keys typed after Enter; a name the relay
//! refuses keeps them for the next join.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::time::Duration;

use support::{app::Options, serial, temp_dir, wait_until, AppWindow, LocalRelay, Person};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn messages_typed_right_after_the_name_and_enter_arrive_whole_at_a_calm_and_a_fast_pace() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let watcher = Person::join(&relay.invite(), "Osservatore");

    // One xdotool run: the name, Enter, two messages and a draft, with no pause at all
    // after Enter. 120 ms per key is a calm typist, 8 ms a very fast one.
    for (name, delay) in [("Giulia", 120), ("Nicola", 8)] {
        let dir = temp_dir("piazza-e2e-app");
        let mut app = AppWindow::open(Options::new(dir.path()).invite(relay.invite()));
        wait_until("the join screen", WAIT, || app.exists("#name-input"));
        app.click("#name-input");
        let first = format!("ciao da {name}");
        let second = format!("sono {name}, eccomi");
        app.type_lines(&format!("{name}\n{first}\n{second}\nancora una"), delay);

        wait_until("both messages in the room", WAIT, || {
            watcher.texts().contains(&second)
        });
        let theirs: Vec<String> = watcher
            .texts()
            .into_iter()
            .filter(|t| t.contains(name))
            .collect();
        assert_eq!(
            theirs,
            [first.clone(), second.clone()],
            "{name}, at {delay} ms"
        );
        assert!(
            watcher.members().contains(&name.to_owned()),
            "the name is exactly what was typed before Enter: {:?}",
            watcher.members()
        );
        wait_until("the draft in the composer", WAIT, || {
            app.value("#composer-input") == "ancora una"
        });
        // The composer has the focus: the draft goes on and is sent with Enter.
        app.type_text(" cosa", delay);
        app.key("Return");
        wait_until("the draft sent", WAIT, || {
            watcher.texts().contains(&"ancora una cosa".to_owned())
        });
        wait_until("shown as delivered", WAIT, || {
            app.rows()
                .iter()
                .any(|r| r.text == "ancora una cosa" && r.delivery == "delivered")
        });
        if delay == 8 {
            app.screenshot("e2e-typeahead");
        }
    }
}

#[test]
fn keys_after_a_refused_enter_go_back_to_the_name_or_wait_for_the_next_join() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let _giulia = Person::join(&relay.invite(), "Giulia");
    let dir = temp_dir("piazza-e2e-app");
    let mut app = AppWindow::open(Options::new(dir.path()).invite(relay.invite()));
    wait_until("the join screen", WAIT, || app.exists("#name-input"));
    app.click("#name-input");

    // Enter with no name: refused at once, so the keys after it are the name.
    app.type_lines("\nGiulia", 8);
    wait_until("the keys typed after Enter in the name field", WAIT, || {
        app.value("#name-input") == "Giulia"
    });

    // A name in use: the relay refuses. Keys typed while it answers are a message; keys
    // typed after the refusal shows go into the name field, where the person is.
    let message = "ciao a tutti";
    app.type_lines(&format!("\n{message}"), 8);
    wait_until("the reason under the name field", WAIT, || {
        app.text("#name-error").contains("already uses this name")
    });
    std::thread::sleep(Duration::from_millis(300));
    let name_field = app.value("#name-input");
    let after = name_field
        .strip_prefix("Giulia")
        .unwrap_or_else(|| panic!("the name kept: {name_field:?}"))
        .to_owned();
    assert!(
        message.ends_with(&after),
        "only keys typed after the refusal in the name field: {name_field:?}"
    );

    // Another name: the message typed during the refused join waits in the composer.
    app.key("ctrl+a");
    app.type_lines("Giulia Verdi\n", 30);
    wait_until("the chat", WAIT, || app.exists("#composer-input"));
    let draft = app.value("#composer-input");
    assert_eq!(
        format!("{draft}{after}"),
        message,
        "every key typed once: in the composer {draft:?}, in the name field {after:?}"
    );
}
