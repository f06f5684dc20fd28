//! The `piazza-relay` binary as an operator runs it: first start, SIGKILL, SIGTERM.

mod support;

use std::{
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use common::{invite::Invite, protocol::*};
use support::*;

/// Starts the binary on a free loopback port; returns it and the invite it printed.
fn spawn_relay(dir: &Path, listen: &str) -> (Child, Invite) {
    let (child, invite, _) = support::process::start(dir, listen, &[]);
    (child, invite)
}

fn kill(child: &mut Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn every_acked_message_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, invite) = spawn_relay(dir.path(), "127.0.0.1:0");
    assert!(invite.fingerprint.is_some());
    let (mut a, _) = join(&invite, "Anna").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(a.say(&format!("durevole {i}")).await);
    }
    let acked = a.outcomes(&ids).await;
    // Killed right after the last ack: no chance to flush anything more.
    kill(&mut child, "-KILL");
    child.wait().unwrap();

    let (mut child, invite2) = spawn_relay(dir.path(), &invite.authority());
    assert_eq!(
        invite2.fingerprint, invite.fingerprint,
        "the certificate is kept"
    );
    let (_b, w) = join_as(&invite2, "Bruno", InstallId::random(), Some(0)).await;
    let stored: Vec<(Seq, String)> = messages_in(&w.backlog);
    let expected: Vec<(Seq, String)> = acked
        .iter()
        .enumerate()
        .map(|(i, r)| (*r.as_ref().unwrap(), format!("durevole {i}")))
        .collect();
    assert_eq!(stored, expected);
    kill(&mut child, "-KILL");
    child.wait().unwrap();
}

#[tokio::test]
async fn sigterm_says_bye_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, invite) = spawn_relay(dir.path(), "127.0.0.1:0");
    let (mut a, _) = join(&invite, "Anna").await;
    let id = a.say("prima di chiudere").await;
    a.ack_of(id).await.unwrap();
    let start = Instant::now();
    kill(&mut child, "-TERM");
    let frames = a.drain().await;
    assert!(
        frames.contains(&ServerFrame::Bye(ByeReason::Shutdown)),
        "{frames:?}"
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "relay did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn help_and_clear_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_piazza-relay"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--data-dir",
        "--cert",
        "--room-key",
        "--max-clients",
        "--rate",
        "--queue-bytes",
        "--history-burst",
        "--room ",
        "--rooms-file",
        "--open-rooms",
        "--max-rooms ",
        "--max-rooms-per-client",
        "--room-members",
        "--room-idle",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_piazza-relay"))
        .args(["rooms", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for command in ["list", "archive", "unarchive", "delete", "--data-dir"] {
        assert!(
            text.contains(command),
            "{command} missing from rooms --help"
        );
    }
    // A data dir that cannot be created is reported with the path.
    let out = Command::new(env!("CARGO_BIN_EXE_piazza-relay"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "/proc/piazza-cannot-exist",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/proc/piazza-cannot-exist"), "{err}");
}

#[test]
fn a_second_relay_on_the_same_data_directory_says_the_log_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, _) = spawn_relay(dir.path(), "127.0.0.1:0");
    let out = Command::new(env!("CARGO_BIN_EXE_piazza-relay"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    kill(&mut first, "-KILL");
    let _ = first.wait();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is in use by another relay"), "{err}");
}

#[test]
fn the_systemd_units_verify() {
    // A missing tool is a failure, not a skip: scripts/setup.sh installs systemd.
    let out = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .expect("systemd-analyze is not installed (scripts/setup.sh installs systemd)");
    assert!(out.status.success());
    for file in ["piazza-relay.service", "piazza-relay-cluster.service"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let unit = std::fs::read_to_string(path).unwrap();
        assert!(unit.contains("DynamicUser=yes") && unit.contains("StateDirectory=piazza-relay"));
        assert!(unit.contains("Restart=on-failure"));
        // Point the unit at the binary just built, as an installed copy would be.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("piazza-relay.service");
        let here = unit.replace(
            "/usr/local/bin/piazza-relay",
            env!("CARGO_BIN_EXE_piazza-relay"),
        );
        std::fs::write(&path, here).unwrap();
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{file}: systemd-analyze verify: {stderr}"
        );
        assert!(
            !stderr.contains("piazza-relay.service:"),
            "{file}: warnings about the unit: {stderr}"
        );
    }
}

#[tokio::test]
async fn clients_of_a_relay_killed_and_restarted_get_a_stateless_reset_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, invite) = spawn_relay(dir.path(), "127.0.0.1:0");
    let (mut conn, _, _) = net::open(&invite, hello("Anna", InstallId::random()), None)
        .await
        .unwrap();
    kill(&mut child, "-KILL");
    child.wait().unwrap();
    let (mut child, _) = spawn_relay(dir.path(), &invite.authority());
    let restarted = Instant::now();
    // Anything the client sends now reaches the new process, which cannot know the
    // connection and must answer with a stateless reset.
    let _ = conn
        .write(&ClientFrame::Send {
            room: RoomId::of(DEFAULT_ROOM),
            id: ClientMsgId {
                install: InstallId::random(),
                counter: 1,
            },
            text: "ci sei?".into(),
        })
        .await;
    let ended = tokio::time::timeout(Duration::from_secs(3), conn.connection().closed())
        .await
        .expect("the old connection ends within seconds, not after the idle timeout");
    assert_eq!(ended, quinn::ConnectionError::Reset, "{ended:?}");
    assert_eq!(
        net::Problem::of_connection(&ended, false),
        net::Problem::RelayRestarted
    );
    assert!(restarted.elapsed() < Duration::from_secs(3));
    kill(&mut child, "-KILL");
    child.wait().unwrap();
}

/// The members the log shows as left for `reason`, in log order.
fn left_for(events: &[RoomEvent], reason: LeaveReason) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Left { name, reason: r } if *r == reason => Some(name.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn members_online_at_a_sigkill_are_logged_as_left_when_the_relay_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, invite) = spawn_relay(dir.path(), "127.0.0.1:0");
    let (mut a, _) = join(&invite, "Anna").await;
    let (_b, _) = join(&invite, "Bruno").await;
    let id = a.say("ciao").await;
    a.ack_of(id).await.unwrap();
    kill(&mut child, "-KILL");
    child.wait().unwrap();

    let (mut child, invite) = spawn_relay(dir.path(), &invite.authority());
    let log = read_log(&invite).await;
    let mut left = left_for(&log, LeaveReason::Shutdown);
    left.sort();
    assert_eq!(left, ["Anna", "Bruno"], "{log:?}");
    // Logged once: a second start does not log them again.
    kill(&mut child, "-TERM");
    child.wait().unwrap();
    let (mut child, invite) = spawn_relay(dir.path(), &invite.authority());
    let log = read_log(&invite).await;
    let mut left = left_for(&log, LeaveReason::Shutdown);
    left.sort();
    assert_eq!(left, ["Anna", "Bruno", "Registro"], "{log:?}");
    kill(&mut child, "-KILL");
    child.wait().unwrap();
}

#[tokio::test]
async fn a_sigterm_logs_every_member_as_left_before_saying_bye() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, invite) = spawn_relay(dir.path(), "127.0.0.1:0");
    let (mut a, _) = join(&invite, "Anna").await;
    let (_b, _) = join(&invite, "Bruno").await;
    kill(&mut child, "-TERM");
    let frames = a.drain().await;
    assert_eq!(
        frames.last(),
        Some(&ServerFrame::Bye(ByeReason::Shutdown)),
        "{frames:?}"
    );
    assert!(child.wait().unwrap().success());

    let (mut child, invite) = spawn_relay(dir.path(), &invite.authority());
    let log = read_log(&invite).await;
    let mut left = left_for(&log, LeaveReason::Shutdown);
    left.sort();
    assert_eq!(left, ["Anna", "Bruno"], "once each: {log:?}");
    kill(&mut child, "-KILL");
    child.wait().unwrap();
}
