//! Honest connection state: when the relay dies (SIGKILL) the window says so within 5 s
//! (banner, dot, presence unknown), messages typed meanwhile wait and are counted, and
//! once the relay is back they arrive exactly once.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick, and the `piazza-relay` binary built
//! (`cargo test --workspace` builds it).

mod support;

use std::time::{Duration, Instant};

use support::{app::Options, serial, temp_dir, wait_until, AppWindow, Person, RelayProcess};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn a_killed_relay_shows_within_five_seconds_and_queued_messages_arrive_once_after_it_returns() {
    let _serial = serial();
    let relay_dir = temp_dir("piazza-e2e-relay");
    let mut relay = RelayProcess::start(relay_dir.path());
    let invite = relay.invite();
    let dir = temp_dir("piazza-e2e-app");
    let mut app = AppWindow::open(Options::new(dir.path()).invite(&invite).lang("it"));
    app.join("Marta");
    {
        let bruno = Person::join(&invite, "Bruno");
        wait_until("two online", WAIT, || app.text("#members .count") == "2");
        bruno.say("ciao Marta");
        wait_until("Bruno's message", WAIT, || app.texts() == ["ciao Marta"]);
    }

    relay.kill();
    let killed = Instant::now();
    wait_until("the banner says the relay cannot be reached", WAIT, || {
        app.status() == "reconnecting"
    });
    let noticed = killed.elapsed();
    assert!(
        noticed <= Duration::from_secs(5),
        "noticed after {noticed:?}"
    );
    assert!(app.text("#status").contains("Il relay non è raggiungibile"));
    assert!(!app.exists("#status-dot.connected"), "the dot is not green");
    assert!(app.exists("#presence-unknown"), "who is online is unknown");

    app.click("#composer-input");
    for text in [
        "scritto offline 1",
        "scritto offline 2",
        "scritto offline 3",
    ] {
        app.type_text(text, 30);
        app.key("Return");
    }
    wait_until("three messages waiting", WAIT, || {
        app.text("#waiting").contains("3 messaggi verranno inviati")
    });
    assert!(app
        .rows()
        .iter()
        .filter(|r| r.own)
        .all(|r| r.delivery == "queued"));
    app.screenshot("screenshot-offline");

    let _relay = RelayProcess::start_on(relay_dir.path(), relay.listen);
    wait_until("connected again", Duration::from_secs(40), || {
        app.status() == "connected"
    });
    wait_until("the queued messages delivered", WAIT, || {
        app.rows()
            .iter()
            .filter(|r| r.own)
            .all(|r| r.delivery == "delivered")
    });
    let watcher = Person::join(&invite, "Osservatore");
    wait_until("the log in the watcher's welcome", WAIT, || {
        watcher.texts().len() >= 4
    });
    let texts = watcher.texts();
    for text in [
        "scritto offline 1",
        "scritto offline 2",
        "scritto offline 3",
    ] {
        assert_eq!(
            texts.iter().filter(|t| *t == text).count(),
            1,
            "{text} once in the log: {texts:?}"
        );
    }
    assert_eq!(
        app.texts(),
        [
            "ciao Marta",
            "scritto offline 1",
            "scritto offline 2",
            "scritto offline 3"
        ]
    );
}
