//! Typing messages as people do: back to back with Enter at once, fast and calm, with
//! dead keys, Shift+Enter and blank drafts — while another window floods the room.
//! Every message must arrive intact, once, in the relay's order, in both windows.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::time::Duration;

use support::{
    app::{Keyboard, Options},
    serial, temp_dir, wait_until, AppWindow, LocalRelay, Person,
};

const WAIT: Duration = Duration::from_secs(30);

/// Opens a window and joins as `name` by typing.
fn open_and_join(relay: &LocalRelay, name: &str, dir: &std::path::Path) -> AppWindow {
    let mut app = AppWindow::open(Options::new(dir).invite(relay.invite()));
    app.join(name);
    app
}

/// Every message text the window has, oldest first: scrolls to the top of the list
/// with the Home key until the start of the room shows.
fn all_texts(app: &mut AppWindow) -> Vec<String> {
    app.click("#messages");
    wait_until("the start of the room", Duration::from_secs(60), || {
        app.key("Home");
        std::thread::sleep(Duration::from_millis(300));
        app.exists("#history-top.start")
    });
    app.texts()
}

/// The message list shows its end.
fn at_bottom(app: &mut AppWindow) -> bool {
    app.js(r##"const l = document.getElementById("messages");
            return l.scrollHeight - l.scrollTop - l.clientHeight <= 48;"##)
}

/// Types `text` and presses Return at once.
fn send(keyboard: &Keyboard, text: &str, delay_ms: u32) {
    keyboard.type_text(text, delay_ms);
    keyboard.key("Return");
}

#[test]
fn twenty_messages_typed_back_to_back_during_a_burst_of_two_hundred_arrive_intact_once_in_order() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let watcher = Person::join(&relay.invite(), "Osservatore");
    let (dir_a, dir_b) = (temp_dir("piazza-e2e-a"), temp_dir("piazza-e2e-b"));
    let mut anna = open_and_join(&relay, "Anna", dir_a.path());
    let mut bruno = open_and_join(&relay, "Bruno", dir_b.path());

    let anna_texts: Vec<String> = (1..=20).map(|i| format!("messaggio numero {i}")).collect();
    let bruno_texts: Vec<String> = (1..=200).map(|i| format!("raffica {i:03}")).collect();
    std::thread::scope(|scope| {
        let (keys, texts) = (anna.keyboard(), &anna_texts);
        scope.spawn(move || {
            for text in texts {
                send(&keys, text, 30);
            }
        });
        let (keys, texts) = (bruno.keyboard(), &bruno_texts);
        scope.spawn(move || {
            for text in texts {
                send(&keys, text, 8);
            }
        });
    });
    // The relay's order, as a third member saw it.
    wait_until(
        "all 220 messages in the room",
        Duration::from_secs(90),
        || watcher.texts().len() >= 220,
    );
    let order = watcher.texts();
    assert_eq!(order.len(), 220, "nothing doubled in the room: {order:?}");
    let mut sorted = order.clone();
    sorted.sort();
    let mut expected: Vec<String> = anna_texts.iter().chain(&bruno_texts).cloned().collect();
    expected.sort();
    assert_eq!(sorted, expected, "every message intact, once");
    let of = |who: &[String]| {
        order
            .iter()
            .filter(|t| who.contains(t))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(&anna_texts),
        anna_texts,
        "Anna's messages in typing order"
    );
    assert_eq!(
        of(&bruno_texts),
        bruno_texts,
        "Bruno's messages in typing order"
    );

    for app in [&mut anna, &mut bruno] {
        wait_until(
            "every own message delivered",
            Duration::from_secs(60),
            || {
                app.rows()
                    .iter()
                    .all(|r| !r.own || r.delivery == "delivered")
            },
        );
        // Nobody scrolled: the list still follows the newest message.
        assert!(
            at_bottom(app),
            "the list stopped following during the burst"
        );
        assert!(!app.exists("#new-messages"), "no 'new messages' marker");
        assert_eq!(
            app.value("#composer-input"),
            "",
            "nothing left behind in the field"
        );
        assert_eq!(all_texts(app), order, "the window shows the relay's order");
    }
}

#[test]
fn the_composer_keeps_every_keystroke_at_a_calm_pace_with_dead_keys_and_new_lines() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let dir = temp_dir("piazza-e2e-app");
    let mut app = open_and_join(&relay, "Chiara", dir.path());

    // A blank draft and Return: nothing is sent and the spaces do not stay.
    app.type_text("   ", 120);
    app.key("Return");
    // A calm typist, a composed "è" and "à", Shift+Return for a second line.
    app.type_text("Perch", 120);
    app.key("dead_grave e");
    app.type_text(" no? Andiamo l", 120);
    app.key("dead_grave a");
    app.key("shift+Return");
    app.type_text("alle 5", 120);
    let expected = "Perchè no? Andiamo là\nalle 5";
    let deadline = std::time::Instant::now() + WAIT;
    while app.value("#composer-input") != expected && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(app.value("#composer-input"), expected, "the draft as typed");
    assert!(
        app.rows().is_empty(),
        "Shift+Return and a blank draft sent nothing"
    );
    app.key("Return");
    wait_until("the message delivered", WAIT, || {
        app.rows()
            .iter()
            .any(|r| r.text == expected && r.own && r.delivery == "delivered")
    });
    // A draft that grows to several lines keeps the newest messages in view.
    for i in 1..=12 {
        app.type_text(&format!("riempio {i}"), 5);
        app.key("Return");
    }
    wait_until("the list full", WAIT, || app.texts().len() == 13);
    for line in ["prima riga", "seconda riga", "terza riga", "quarta riga"] {
        app.type_text(line, 10);
        app.key("shift+Return");
    }
    // The growing composer must not hide the newest messages.
    wait_until("the newest messages in view", WAIT, || at_bottom(&mut app));
    app.key("ctrl+a BackSpace");
    // The send button takes what is typed, too.
    app.type_text("con il pulsante", 60);
    app.click("#send-button");
    wait_until("the last message delivered", WAIT, || {
        app.texts().last().map(String::as_str) == Some("con il pulsante")
    });
    assert_eq!(app.value("#composer-input"), "");
}
