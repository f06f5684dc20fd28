//! End-to-end machinery: the real `piazza` binary in real windows, driven by real X
//! input, against a real relay.
//!
//! - [`Display`]: an Xvfb server with the Openbox window manager (focus, Alt+F4, window
//!   decorations as a person has them). Each app instance gets its own display, so two
//!   people can type at the same time (one keyboard per display).
//! - [`AppWindow`]: the `piazza` binary (as built by cargo for this test) with its own
//!   data directory. Everything done to it is real input through `xdotool` — typing at
//!   a given delay per key, Return, clicks at an element's position, Alt+F4. What it
//!   shows is read through the app's read-only test probe (`PIAZZA_TEST_PROBE=1`):
//!   JavaScript queries of the page, never writes.
//! - [`LocalRelay`] / [`RelayProcess`]: the relay in-process, or the `piazza-relay`
//!   binary as a process that can be SIGKILLed.
//! - [`Person`]: another member of the room, as an engine (no window), for traffic.
//! - [`hosting`]: hosting a room and joining it by its typed invite, as people do.
//!
//! A missing tool (Xvfb, openbox, xdotool, import) is a test failure, never a skip.

#![allow(dead_code, unused_imports)]

pub mod app;
pub mod display;
pub mod hosting;
pub mod people;

use std::{
    path::PathBuf,
    sync::{Mutex, MutexGuard, OnceLock},
    time::{Duration, Instant},
};

pub use app::{AppWindow, Row};
pub use display::Display;
pub use people::{LocalRelay, Person, RelayProcess};

/// One scenario at a time in a test binary: app windows are heavy, and two at once
/// on two cores make timings meaningless.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The tokio runtime relays and people run on.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

/// A fresh temporary directory, removed when the value is dropped.
pub fn temp_dir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("temp dir")
}

/// Polls `check` every 100 ms until it holds; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where screenshots go: `target/e2e-shots/`, and also `docs/` when
/// `PIAZZA_UPDATE_SCREENSHOTS=1`.
pub fn shot_paths(name: &str) -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths = vec![root.join("target/e2e-shots").join(format!("{name}.png"))];
    if std::env::var("PIAZZA_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        paths.push(root.join("docs").join(format!("{name}.png")));
    }
    paths
}

/// Runs a command to completion; panics (naming it) if it cannot run or fails.
pub fn run(display: Option<&str>, program: &str, args: &[&str]) -> String {
    let mut command = std::process::Command::new(program);
    command.args(args);
    if let Some(display) = display {
        command.env("DISPLAY", display);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot run ({e}): is it installed?"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
