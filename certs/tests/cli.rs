//! The `piazza-certs` binary as a user runs it.

use std::process::Command;

fn certs_cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_piazza-certs"))
}

#[test]
fn new_prints_fingerprint_and_invite_then_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = certs_cli()
        .args([
            "new",
            "--host",
            "chat.example.org",
            "--host",
            "127.0.0.1",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let fp_line = stdout
        .lines()
        .find(|l| l.starts_with("fingerprint:"))
        .unwrap();
    let fp = fp_line.split_whitespace().last().unwrap();
    let invite_line = stdout.lines().find(|l| l.starts_with("invite:")).unwrap();
    let invite: common::invite::Invite = invite_line
        .split_whitespace()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(invite.host, "chat.example.org");
    assert_eq!(invite.fingerprint.unwrap().to_string(), fp);

    let printed = certs_cli()
        .arg("fingerprint")
        .arg(dir.path().join("cert.pem"))
        .output()
        .unwrap();
    assert!(printed.status.success());
    assert_eq!(String::from_utf8(printed.stdout).unwrap().trim(), fp);

    let again = certs_cli()
        .args(["new", "--host", "localhost", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
    let err = String::from_utf8(again.stderr).unwrap();
    assert!(err.contains("already exists"), "{err}");
    let still = certs_cli()
        .arg("fingerprint")
        .arg(dir.path().join("cert.pem"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(still.stdout).unwrap().trim(),
        fp,
        "file kept"
    );

    let forced = certs_cli()
        .args(["new", "--host", "localhost", "--force", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(forced.status.success());
}

#[test]
fn help_lists_the_commands() {
    let out = certs_cli().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        commands.contains(&"new") && commands.contains(&"fingerprint"),
        "{text}"
    );
}

#[test]
fn a_host_that_cannot_stand_in_an_invite_is_a_clear_error_before_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = certs_cli()
        .args(["new", "--host", "a b", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"a b\" is not a host name or IP address"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
