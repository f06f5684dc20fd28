//! The README's bring-up commands, in any order: `scripts/up.sh` opens a relay and a
//! window; running it again says the window is already open and opens nothing; the
//! second-person command opens a second window on the same relay; the last window to
//! close stops the relay.
//!
//! Needs Xvfb, openbox, xdotool, and the binaries built (`cargo test --workspace`).

mod support;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

use support::{serial, temp_dir, wait_until, Display};

const WAIT: Duration = Duration::from_secs(40);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn up(display: &Display, data: &Path, port: u16, app_data: Option<&Path>) -> Command {
    let bin_dir = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf();
    let mut command = Command::new(root().join("scripts/up.sh"));
    command
        .env("DISPLAY", display.name())
        .env("PIAZZA_SKIP_SETUP", "1")
        .env("PIAZZA_SKIP_BUILD", "1")
        .env("PIAZZA_BIN_DIR", bin_dir)
        .env("PIAZZA_LOCAL_DIR", data)
        .env("PIAZZA_PORT", port.to_string())
        .env("PIAZZA_LANG", "en")
        .env("PIAZZA_NOTIFY", "0")
        .env_remove("PIAZZA_APP_DATA")
        .env_remove("PIAZZA_APP_ONLY")
        .env_remove("PIAZZA_INVITE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(app_data) = app_data {
        command.env("PIAZZA_APP_DATA", app_data);
    }
    command
}

fn windows(display: &Display) -> usize {
    Command::new("xdotool")
        .env("DISPLAY", display.name())
        .args(["search", "--onlyvisible", "--name", "^Piazza$"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().count())
        .unwrap_or(0)
}

/// The window of the app an `up.sh` process started.
fn window_of(display: &Display, up: &Child) -> String {
    let mut found = String::new();
    wait_until("the app's window", WAIT, || {
        let app = Command::new("pgrep")
            .args(["-x", "-P", &up.id().to_string(), "piazza"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        if app.is_empty() {
            return false;
        }
        let out = Command::new("xdotool")
            .env("DISPLAY", display.name())
            .args(["search", "--onlyvisible", "--pid", &app])
            .output();
        if let Ok(o) = out {
            if o.status.success() {
                found = String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
            }
        }
        !found.is_empty()
    });
    found
}

fn output_of(child: Child) -> Output {
    child.wait_with_output().expect("up.sh output")
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .unwrap()
        .port()
}

#[test]
fn up_sh_twice_says_what_runs_and_a_second_person_gets_a_second_window() {
    let _serial = serial();
    let display = Display::start(1280, 800);
    let data = temp_dir("piazza-e2e-up");
    let port = free_port();

    // A class's room, as the README shows: the flags go to the relay.
    let first = up(&display, data.path(), port, None)
        .args(["--room", "classe-3b"])
        .spawn()
        .expect("up.sh runs");
    wait_until("the first window", WAIT, || windows(&display) == 1);

    // The same command again: it says so, opens nothing and leaves the window alone.
    let again = up(&display, data.path(), port, None)
        .output()
        .expect("up.sh runs");
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{said}");
    assert!(said.contains("already open"), "{said}");
    assert!(
        said.contains("PIAZZA_APP_DATA="),
        "it says how to open a second window: {said}"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(windows(&display), 1, "no second window, no flapping");

    // The README's command for a second person: a second window on the same relay.
    let app2 = data.path().join("app2");
    let second = up(&display, data.path(), port, Some(&app2))
        .spawn()
        .expect("up.sh runs");
    wait_until("the second window", WAIT, || windows(&display) == 2);
    let relay_pid = std::fs::read_to_string(data.path().join("relay.pid")).unwrap();

    // Closing the first window leaves the relay to the second; closing the last stops it.
    for (n, child) in [first, second].into_iter().enumerate() {
        let window = window_of(&display, &child);
        display.xdotool(&["windowactivate", "--sync", &window, "key", "alt+F4"]);
        let out = output_of(child);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "up.sh {n}: {said}");
        let alive = Command::new("kill")
            .args(["-0", relay_pid.trim()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if n == 0 {
            assert!(alive, "the relay serves the second window");
            assert!(
                said.contains("Closing the last Piazza window stops it"),
                "{said}"
            );
            let room = format!("Room classe-3b: piazza://127.0.0.1:{port}/classe-3b?fp=");
            assert!(
                said.contains(&room),
                "each room's invite is printed: {said}"
            );
        } else {
            assert!(!alive, "the last window closed: the relay stopped");
            assert!(said.contains("Reusing the relay already running"), "{said}");
        }
    }
    assert_eq!(windows(&display), 0);
}

#[test]
fn up_sh_names_a_port_held_by_another_program_instead_of_failing_obscurely() {
    let _serial = serial();
    let display = Display::start(1280, 800);
    let data = temp_dir("piazza-e2e-up");
    let holder = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let out = up(&display, data.path(), port, None)
        .output()
        .expect("up.sh runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains(&format!("UDP port {port} is already used")),
        "{said}"
    );
    assert!(said.contains("PIAZZA_PORT="), "{said}");
    assert_eq!(windows(&display), 0);
}
