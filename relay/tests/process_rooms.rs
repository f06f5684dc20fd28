//! Rooms in the `piazza-relay` binary as an operator runs it: invites printed per room,
//! SIGHUP re-reading the rooms file while clients chat, presence per room across a
//! SIGKILL, and the `rooms` commands on a stopped (and a running) relay's data.

mod support;

use std::time::{Duration, Instant};

use common::protocol::*;
use support::{process::*, *};

#[tokio::test]
async fn start_up_prints_one_invite_per_room_after_the_default_rooms_line() {
    let dir = tempfile::tempdir().unwrap();
    let relay = spawn(
        dir.path(),
        "127.0.0.1:0",
        &["--room", "Classe-3B:segreto", "--room", "gita"],
    );
    assert_eq!(
        relay.invite.room, None,
        "the first invite is the default room's"
    );
    let classe = relay.invite_of("classe-3b");
    assert_eq!(classe.room.as_deref(), Some("classe-3b"));
    assert_eq!(classe.room_key.as_deref(), Some("segreto"));
    assert_eq!(classe.fingerprint, relay.invite.fingerprint);
    assert!(classe.to_string().contains("/classe-3b?fp="), "{classe}");
    let gita = relay.invite_of("gita");
    let (_a, w) = join(&classe, "Anna").await;
    assert_eq!(w.room_name, "classe-3b");
    let (_b, w) = join(&gita, "Bruno").await;
    assert_eq!(w.room_name, "gita");
    relay.kill();
}

#[tokio::test]
async fn sighup_adds_and_removes_rooms_from_the_rooms_file_while_clients_chat() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rooms.toml");
    std::fs::write(&file, "[[room]]\nname = \"vecchia\"\n").unwrap();
    let data = dir.path().join("data");
    let file_arg = file.to_str().unwrap();
    let args = [
        "--rooms-file",
        file_arg,
        "--rate",
        "1000",
        "--burst",
        "1000",
    ];
    let relay = spawn(&data, "127.0.0.1:0", &args);
    let vecchia = relay.invite_of("vecchia");
    let (mut bruno, _) = join(&vecchia, "Bruno").await;
    let id = bruno.say("prima del cambio").await;
    bruno.ack_of(id).await.unwrap();

    // Anna chats in the default room all along.
    let (mut anna, _) = join(&relay.invite, "Anna").await;
    assert_eq!(anna.ready.rate.per_second, 1000);
    let chat = tokio::spawn(async move {
        let mut acked = 0;
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            let id = anna.say(&format!("n. {acked}")).await;
            anna.ack_of(id).await.expect("every message acked");
            acked += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (anna, acked)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(&file, "[[room]]\nname = \"nuova\"\nkey = \"kn\"\n").unwrap();
    relay.signal("-HUP");
    let nuova = relay.invite_of("nuova");
    assert_eq!(nuova.room_key.as_deref(), Some("kn"));
    loop {
        match bruno.next().await {
            Some(ServerFrame::RoomLeft { reason, .. }) => {
                break assert_eq!(reason, RoomLeftReason::Deleted)
            }
            Some(_) => {}
            None => panic!("Bruno was dropped instead of told"),
        }
    }
    let w = bruno.join_room("nuova", Some("kn"), None).await.unwrap();
    let id = bruno.say_in(w.room, "nella nuova").await;
    assert!(bruno.ack_of(id).await.is_ok(), "Bruno's session went on");
    let (mut anna, acked) = chat.await.unwrap();
    assert!(acked > 20, "Anna chatted throughout: {acked}");
    assert!(anna.connection.close_reason().is_none());

    // A broken rooms file changes nothing.
    std::fs::write(&file, "[[room]\n").unwrap();
    relay.signal("-HUP");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut carla = connect(&relay.invite, "Carla").await;
    carla.join_room("nuova", Some("kn"), None).await.unwrap();
    let id = anna.say("ancora qui").await;
    assert!(anna.ack_of(id).await.is_ok());
    relay.kill();
}

/// The members the log shows as left for `reason`, sorted.
fn left_for(events: &[RoomEvent], reason: LeaveReason) -> Vec<String> {
    let mut names: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Left { name, reason: r } if *r == reason => Some(name.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn members_online_at_a_sigkill_are_logged_as_left_in_each_of_their_rooms() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--room", "a", "--room", "b"];
    let relay = spawn(dir.path(), "127.0.0.1:0", &args);
    let a = relay.invite_of("a");
    let b = relay.invite_of("b");
    let (mut anna, _) = join(&a, "Anna").await;
    anna.join_room("b", None, None).await.unwrap();
    let (mut bruno, _) = join(&b, "Bruno").await;
    let (mut carla, _) = join(&relay.invite, "Carla").await;
    // Each one's message acked: the joins before them are durable.
    for c in [&mut anna, &mut bruno, &mut carla] {
        let id = c.say("ciao").await;
        c.ack_of(id).await.unwrap();
    }
    let id = anna.say_in(RoomId::of("b"), "ciao anche a b").await;
    anna.ack_of(id).await.unwrap();
    let authority = relay.invite.authority();
    relay.kill();

    let relay = spawn(dir.path(), &authority, &args);
    let a = relay.invite_of("a");
    let b = relay.invite_of("b");
    assert_eq!(
        left_for(&read_log(&a).await, LeaveReason::Shutdown),
        ["Anna"]
    );
    assert_eq!(
        left_for(&read_log(&b).await, LeaveReason::Shutdown),
        ["Anna", "Bruno"]
    );
    assert_eq!(
        left_for(&read_log(&relay.invite).await, LeaveReason::Shutdown),
        ["Carla"]
    );
    relay.kill();
}

#[tokio::test]
async fn the_rooms_command_archives_lists_and_deletes_the_rooms_of_a_stopped_relay() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--room", "a", "--room", "b"];
    let mut relay = spawn(dir.path(), "127.0.0.1:0", &args);
    let a = relay.invite_of("a");
    let b = relay.invite_of("b");
    for invite in [&a, &b] {
        let (mut c, _) = join(invite, "Anna").await;
        let id = c.say("da tenere?").await;
        c.ack_of(id).await.unwrap();
    }
    // While it runs the log is locked: the command says what to do instead.
    let (ok, _, err) = rooms_command(dir.path(), &["delete", "b"]);
    assert!(!ok);
    assert!(
        err.contains("rooms file") && err.contains("kill -HUP"),
        "{err}"
    );
    let authority = relay.invite.authority();
    relay.signal("-TERM");
    assert!(relay.child.wait().unwrap().success());

    let (ok, out, err) = rooms_command(dir.path(), &["list"]);
    assert!(ok, "{err}");
    for name in ["piazza", "a", "b"] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{out}"
        );
    }
    let (ok, _, err) = rooms_command(dir.path(), &["archive", "A"]);
    assert!(ok, "{err}");
    let (ok, _, err) = rooms_command(dir.path(), &["delete", "b"]);
    assert!(ok, "{err}");
    let (ok, _, err) = rooms_command(dir.path(), &["delete", "b"]);
    assert!(!ok && err.contains("no room b"), "{err}");
    let (_, out, _) = rooms_command(dir.path(), &["list"]);
    assert!(
        out.contains("archived") && !out.lines().any(|l| l.starts_with("b ")),
        "{out}"
    );

    let relay = spawn(dir.path(), &authority, &args);
    let a = relay.invite_of("a");
    let b = relay.invite_of("b");
    let (mut c, w) = join(&a, "Bruno").await;
    assert!(w.archived, "archived while stopped");
    assert_eq!(messages_in(&w.backlog).len(), 1);
    let id = c.say("si può?").await;
    assert_eq!(c.ack_of(id).await, Err(RejectReason::Archived));
    let (_d, w) = join(&b, "Carla").await;
    assert!(messages_in(&w.backlog).is_empty(), "b starts again empty");
    relay.kill();
    let (ok, _, err) = rooms_command(&dir.path().join("nessuna"), &["list"]);
    assert!(!ok && err.contains("no relay data"), "{err}");
}
