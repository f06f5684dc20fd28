//! History that stays: closing the window (Alt+F4) leaves the room politely, and the
//! reopened app shows the same timeline at once, then what was said meanwhile; Leave
//! and Join keep it too; scrolling to the top of a room of 2,000 messages loads every
//! older page, nothing missing or repeated.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::time::Duration;

use common::protocol::{EventKind, LeaveReason, RateLimit};
use support::{app::Options, serial, temp_dir, wait_until, AppWindow, LocalRelay, Person};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn a_closed_and_reopened_app_shows_its_timeline_at_once_and_what_was_said_meanwhile() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let bruno = Person::join(&relay.invite(), "Bruno");
    let dir = temp_dir("piazza-e2e-app");
    let options = Options::new(dir.path()).invite(relay.invite());

    let mut anna = AppWindow::open(options.clone());
    anna.join("Anna");
    for i in 1..=3 {
        anna.type_text(&format!("da Anna {i}"), 20);
        anna.key("Return");
        bruno.say(&format!("da Bruno {i}"));
    }
    wait_until("six messages", WAIT, || anna.texts().len() == 6);
    wait_until("all delivered", WAIT, || {
        anna.rows().iter().all(|r| r.delivery == "delivered")
    });
    let before = anna.texts();

    // Closing the window is leaving, not losing the connection.
    anna.close();
    wait_until("Bruno sees Anna leave", WAIT, || {
        bruno.room().iter().any(|e| {
            matches!(&e.kind, EventKind::Left { name, reason: LeaveReason::Left } if name == "Anna")
        })
    });
    bruno.say("mentre eri via");
    bruno.say("ancora una cosa");
    wait_until("Bruno's messages stored", WAIT, || bruno.acked() == 5);

    // Reopened: the saved timeline shows before anything else, then the rest comes.
    let mut anna = AppWindow::open(options.clone());
    wait_until("the saved timeline", WAIT, || {
        anna.texts().len() >= before.len()
    });
    assert_eq!(anna.texts()[..before.len()], before[..]);
    wait_until("connected", WAIT, || anna.status() == "connected");
    let mut expected = before.clone();
    expected.extend(["mentre eri via".to_owned(), "ancora una cosa".to_owned()]);
    wait_until("what was said meanwhile", WAIT, || anna.texts() == expected);
    anna.screenshot("screenshot");

    // Leave, then Join again: the timeline is still there.
    anna.click("#leave-button");
    wait_until("the join screen", WAIT, || anna.exists("#join-button"));
    anna.click("#join-button");
    wait_until("connected again", WAIT, || anna.status() == "connected");
    assert_eq!(anna.texts(), expected);
}

#[test]
fn scrolling_to_the_top_of_a_room_of_two_thousand_messages_loads_every_page_once() {
    let _serial = serial();
    let relay = LocalRelay::start_with(|config| {
        // Filling the room quickly is not what is tested.
        config.limits.rate = RateLimit {
            per_second: 5000,
            burst: 5000,
        };
    });
    let bruno = Person::join(&relay.invite(), "Bruno");
    let texts: Vec<String> = (1..=2000).map(|i| format!("storia {i:04}")).collect();
    for text in &texts {
        bruno.say(text);
    }
    wait_until("2,000 messages stored", Duration::from_secs(120), || {
        bruno.acked() == 2000
    });

    let dir = temp_dir("piazza-e2e-app");
    let mut anna = AppWindow::open(Options::new(dir.path()).invite(relay.invite()));
    anna.join("Anna");
    wait_until("the newest messages", WAIT, || {
        anna.texts().last().map(String::as_str) == Some("storia 2000")
    });
    // The Home key in the list, as a person would, until the start of the room.
    anna.click("#messages");
    let mut presses = 0;
    wait_until("the start of the room", Duration::from_secs(180), || {
        anna.key("Home");
        presses += 1;
        std::thread::sleep(Duration::from_millis(250));
        anna.exists("#history-top.start")
    });
    let shown = anna.texts();
    assert_eq!(shown.len(), 2000, "every message once ({presses} presses)");
    assert_eq!(shown, texts, "in order, nothing missing or repeated");
    anna.screenshot("e2e-history-top");
}
