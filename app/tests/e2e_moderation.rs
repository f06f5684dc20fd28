//! Keeping order in a hosted room, with real clicks: the teacher (window A, the host and
//! so the room's owner) removes a pupil's message, mutes the pupil, then removes the
//! pupil with a reason. The pupil (window B) and a third member (an engine) see each
//! effect; after the teacher's app restarts, the teacher's timeline and a newcomer agree
//! that the message is gone.
//!
//! Needs Xvfb, openbox, xdotool and ImageMagick (`scripts/setup.sh` installs them).

mod support;

use std::time::Duration;

use common::{invite::Invite, protocol::EventKind};
use engine::Event;
use support::{
    app::Options,
    hosting::{host, join_by_typing, sends},
    serial, temp_dir, wait_until, AppWindow, LocalRelay, Person,
};

const WAIT: Duration = Duration::from_secs(30);

fn room_event(person: &Person, f: impl Fn(&EventKind) -> bool) -> bool {
    person.saw(|e| matches!(e, Event::Room { event, .. } if f(&event.kind)))
}

#[test]
fn the_host_removes_a_message_mutes_and_removes_a_member_and_everyone_sees_it_even_after_a_restart()
{
    let _serial = serial();
    let (dir_a, dir_b) = (temp_dir("piazza-e2e-host"), temp_dir("piazza-e2e-pupil"));
    let mut teacher = host(dir_a.path(), "Prof Rossi");
    let link = teacher.value("#share-link");
    teacher.click("#share-done");
    let invite: Invite = link.parse().unwrap();
    let mut pupil = join_by_typing(dir_b.path(), "Bruno", &link);
    let watcher = Person::join(&invite, "Osservatore");

    // A message removed: the pupil's row says so, the third member hears it.
    sends(&mut pupil, "messaggio sbagliato");
    wait_until("the teacher reads it", WAIT, || {
        teacher.texts().contains(&"messaggio sbagliato".to_owned())
    });
    let seq = teacher
        .rows()
        .into_iter()
        .find(|r| r.text == "messaggio sbagliato")
        .map(|r| r.seq)
        .unwrap();
    teacher.click(&format!("li.msg[data-seq=\"{seq}\"] .msg-remove"));
    wait_until("removed on the pupil's screen", WAIT, || {
        pupil
            .rows()
            .iter()
            .any(|r| r.seq == seq && r.text == "Message removed by the host")
    });
    assert!(!pupil.texts().contains(&"messaggio sbagliato".to_owned()));
    wait_until("the third member hears of it", WAIT, || {
        room_event(&watcher, |k| matches!(k, EventKind::MessageRemoved { .. }))
    });

    // Muted for 10 minutes: the pupil's next message is refused, with until when.
    let bruno = "#members li.member[data-name=\"Bruno\"]";
    wait_until("the pupil in the teacher's list", WAIT, || {
        teacher.exists(bruno)
    });
    teacher.click(&format!("{bruno} .member-mute"));
    wait_until("the third member hears of the mute", WAIT, || {
        room_event(
            &watcher,
            |k| matches!(k, EventKind::Muted { name, .. } if name == "Bruno"),
        )
    });
    pupil.click("#composer-input");
    pupil.type_text("posso parlare?", 20);
    pupil.key("Return");
    wait_until("refused while muted", WAIT, || {
        pupil
            .rows()
            .iter()
            .any(|r| r.text == "posso parlare?" && r.delivery == "rejected")
    });
    assert!(
        pupil
            .text("li.msg[data-delivery=\"rejected\"]")
            .contains("muted until"),
        "{}",
        pupil.text("li.msg[data-delivery=\"rejected\"]")
    );

    // Removed, with a reason everyone reads.
    teacher.click(&format!("{bruno} .member-remove"));
    wait_until("the question", WAIT, || teacher.exists("#remove-member"));
    teacher.click("#removal-reason");
    teacher.type_text("disturba la lezione", 20);
    teacher.click("#remove-member-confirm");
    wait_until("the pupil reads why", WAIT, || {
        pupil.text("#room-note")
            == "You were removed from this room by Prof Rossi: disturba la lezione"
    });
    pupil.screenshot("e2e-removed");
    wait_until("the third member hears of it", WAIT, || {
        room_event(&watcher, |k| {
            matches!(k, EventKind::MemberRemoved { name, reason, .. }
                if name == "Bruno" && reason == "disturba la lezione")
        })
    });
    wait_until("gone from the teacher's list", WAIT, || {
        !teacher.exists(bruno)
    });

    // The teacher's app closes and hosts again: its timeline and a newcomer agree.
    teacher.key("alt+F4");
    wait_until("the question", WAIT, || teacher.exists("#close-hosted"));
    teacher.click("#close-hosted-confirm");
    wait_until("the host's app exited", WAIT, || teacher.exited().is_some());
    drop(teacher);
    let mut teacher = AppWindow::open(Options::new(dir_a.path()));
    wait_until("hosting again", WAIT, || teacher.status() == "connected");
    wait_until("the removed message still removed", WAIT, || {
        teacher
            .rows()
            .iter()
            .any(|r| r.seq == seq && r.text == "Message removed by the host")
    });
    let newcomer = Person::join(&invite, "Nuova");
    wait_until("the newcomer's backlog", WAIT, || {
        room_event(
            &newcomer,
            |k| matches!(k, EventKind::Redacted { sender, .. } if sender == "Bruno"),
        )
    });
    assert!(
        !newcomer.texts().contains(&"messaggio sbagliato".to_owned()),
        "the text is never served again"
    );
}

#[test]
fn an_owner_invite_of_a_deployed_relay_makes_the_app_an_owner_and_stays_so_after_a_restart() {
    let _serial = serial();
    let relay = LocalRelay::start_with(|config| config.owner_key = Some("chiave del prof".into()));
    let invite = relay.invite();
    let owner_link = common::invite::owner_invite(&invite, "chiave del prof");
    let bruno = Person::join(&invite, "Bruno");
    bruno.say("fuori tema");

    // The teacher types the owner invite the operator gave them.
    let dir = temp_dir("piazza-e2e-owner");
    let mut teacher = join_by_typing(dir.path(), "Prof Rossi", &owner_link);
    wait_until("Bruno's message", WAIT, || {
        teacher.texts().contains(&"fuori tema".to_owned())
    });
    let seq = teacher
        .rows()
        .into_iter()
        .find(|r| r.text == "fuori tema")
        .map(|r| r.seq)
        .unwrap();
    teacher.click(&format!("li.msg[data-seq=\"{seq}\"] .msg-remove"));
    wait_until("Bruno hears it was removed", WAIT, || {
        room_event(&bruno, |k| matches!(k, EventKind::MessageRemoved { .. }))
    });

    // Closed and opened again: it rejoins as the owner (the key was kept).
    let dir_kept = teacher.close();
    let mut teacher = AppWindow::open(Options::new(&dir_kept));
    wait_until("rejoined", WAIT, || teacher.status() == "connected");
    bruno.say("di nuovo fuori tema");
    wait_until("Bruno's new message, removable", WAIT, || {
        teacher.exists("li.msg .msg-remove")
    });
    // A plain member never gets the buttons: Bruno's invite is not an owner's.
    assert!(common::invite::owner_key_in(&invite.to_string()).is_none());
}
