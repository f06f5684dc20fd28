//! Rooms as a person uses them: joining a second room by pasting (typing) its invite,
//! chatting in both, unread counts in the list and the title while another room is
//! shown, switching, a room that refuses, leaving a room, and the phone's room list.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::time::Duration;

use support::{app::Options, serial, temp_dir, wait_until, AppWindow, LocalRelay, Person};

const WAIT: Duration = Duration::from_secs(30);

/// The texts shown in the room list's entry for `room` (its last message line).
fn last_line(app: &mut AppWindow, room: &str) -> String {
    app.text(&format!("#rooms button[data-room=\"{room}\"] .room-last"))
}

fn unread(app: &mut AppWindow, room: &str) -> String {
    app.js(&format!(
        "const b = document.querySelector('#rooms button[data-room=\"{room}\"]'); \
         return b ? b.dataset.unread : \"missing\";"
    ))
}

#[test]
fn a_second_room_joined_by_its_invite_keeps_its_own_messages_and_unread_count() {
    let _serial = serial();
    let relay = LocalRelay::start_with(|config| config.open_rooms = true);
    let lobby = relay.invite();
    let class = lobby.for_room(Some("classe-3b".into()), None);
    let bruno = Person::join(&class, "Bruno");

    let dir = temp_dir("piazza-e2e-app");
    let mut anna = AppWindow::open(Options::new(dir.path()).invite(&lobby));
    anna.join("Anna");
    wait_until("the room's name on top", WAIT, || {
        anna.text("#room-title") == "piazza"
    });

    // The second room: its invite typed into the form.
    anna.click("#add-room");
    wait_until("the form", WAIT, || anna.exists("#room-invite-input"));
    // Enter, and a message typed on at once, while the relay answers: no click needed,
    // the room just joined takes the typing.
    anna.type_lines(&format!("{class}\nciao terza B\n"), 5);
    wait_until("the new room shown", WAIT, || {
        anna.text("#room-title") == "classe-3b"
    });
    assert!(!anna.exists("#add-room-form"), "the form closed");
    wait_until("Bruno reads it in classe-3b", WAIT, || {
        bruno.texts() == ["ciao terza B"]
    });

    // Back to the lobby: Bruno writes in classe-3b meanwhile.
    anna.click("#rooms button[data-room=\"piazza\"]");
    wait_until("the lobby shown", WAIT, || {
        anna.text("#room-title") == "piazza"
    });
    assert!(
        anna.texts().is_empty(),
        "classe-3b's message is not in the lobby"
    );
    // The room chosen in the list takes the typing too.
    anna.type_text("di nuovo in piazza", 30);
    anna.key("Return");
    wait_until("the lobby's message", WAIT, || {
        anna.texts() == ["di nuovo in piazza"]
    });
    bruno.say("compiti per domani: pagina 12");
    bruno.say("e pagina 13");
    wait_until("two unread in classe-3b", WAIT, || {
        unread(&mut anna, "classe-3b") == "2"
    });
    assert!(last_line(&mut anna, "classe-3b").contains("e pagina 13"));
    wait_until("the title counts them", WAIT, || {
        anna.title() == "(2) Piazza"
    });
    anna.screenshot("screenshot-rooms");

    // Switching reads them.
    anna.click("#rooms button[data-room=\"classe-3b\"]");
    wait_until("classe-3b's messages", WAIT, || {
        anna.texts()
            == [
                "ciao terza B",
                "compiti per domani: pagina 12",
                "e pagina 13",
            ]
    });
    wait_until("nothing unread", WAIT, || {
        unread(&mut anna, "classe-3b") == "0" && anna.title() == "Piazza"
    });

    // Leaving a room: it leaves the list, the other is shown.
    anna.click("#leave-button");
    wait_until("classe-3b gone from the list", WAIT, || {
        !anna.exists("#rooms button[data-room=\"classe-3b\"]")
    });
    wait_until("the lobby shown", WAIT, || {
        anna.text("#room-title") == "piazza"
    });
}

#[test]
fn a_room_the_relay_does_not_have_is_refused_in_the_form_and_the_phone_lists_rooms() {
    let _serial = serial();
    let relay = LocalRelay::start();
    let lobby = relay.invite();
    let dir = temp_dir("piazza-e2e-app");
    let mut sara = AppWindow::open(
        Options::new(dir.path())
            .invite(&lobby)
            .lang("it")
            .size(400, 760),
    );
    sara.join("Sara");
    sara.click("#rooms-toggle");
    wait_until("the room list screen", WAIT, || {
        sara.exists(".chat-screen.rooms-open")
    });
    sara.screenshot("screenshot-phone-rooms");
    sara.click("#add-room");
    wait_until("the form", WAIT, || sara.exists("#room-invite-input"));
    sara.type_text(
        &lobby.for_room(Some("inesistente".into()), None).to_string(),
        5,
    );
    sara.key("Return");
    wait_until("the reason in the form", WAIT, || {
        sara.text("#room-invite-error")
            .contains("non ha una stanza con quel nome")
    });

    // A relay that does not answer: the form says so instead of waiting forever, and
    // the room does not stay in the list (nor in the saved one).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut nowhere = lobby.for_room(Some("altrove".into()), None);
    nowhere.port = silent.local_addr().unwrap().port();
    sara.click("#room-invite-input");
    sara.key("ctrl+a");
    sara.type_lines(&format!("{nowhere}\n"), 5);
    wait_until("the reason in the form", WAIT, || {
        sara.text("#room-invite-error")
            .contains("non è raggiungibile")
    });
    assert!(
        sara.exists("#add-room-form"),
        "the form stays, to fix the invite"
    );
    sara.key("Escape");
    wait_until("the form closed", WAIT, || !sara.exists("#add-room-form"));
    assert!(!sara.exists("#rooms button[data-room=\"inesistente\"]"));
    assert!(!sara.exists("#rooms button[data-room=\"altrove\"]"));
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(
        !settings.contains("altrove") && !settings.contains("inesistente"),
        "refused rooms are not saved: {settings}"
    );
    sara.click("#rooms button[data-room=\"piazza\"]");
    wait_until("the room shown", WAIT, || {
        sara.exists("#composer-input") && !sara.exists(".chat-screen.rooms-open")
    });
}
