//! A virtual X display (Xvfb) with a window manager (Openbox), stopped on drop.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::{run, wait_until};

/// An Xvfb server and the Openbox window manager on it.
pub struct Display {
    name: String,
    xvfb: Child,
    wm: Child,
}

impl Display {
    /// Starts a display of `width`×`height` on a free display number.
    pub fn start(width: u32, height: u32) -> Self {
        let (name, xvfb) = start_xvfb(width, height);
        let log = std::env::temp_dir().join(format!("piazza-e2e-openbox{}.log", &name[1..]));
        for attempt in 1..=3 {
            let mut wm = Command::new("openbox")
                .env("DISPLAY", &name)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(
                    std::fs::File::create(&log)
                        .map(Stdio::from)
                        .unwrap_or(Stdio::null()),
                )
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("openbox cannot start ({e}): install the openbox package")
                });
            // The window manager is up once it has made its own (hidden) window.
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Ok(Some(status)) = wm.try_wait() {
                    let said = std::fs::read_to_string(&log).unwrap_or_default();
                    eprintln!("openbox exited at start ({status}, attempt {attempt}): {said}");
                    break;
                }
                let up = Command::new("xdotool")
                    .env("DISPLAY", &name)
                    .args(["search", "--class", "openbox"])
                    .output()
                    .is_ok_and(|o| o.status.success());
                if up {
                    return Self { name, xvfb, wm };
                }
                assert!(Instant::now() < deadline, "openbox did not start on {name}");
                std::thread::sleep(Duration::from_millis(100));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("openbox would not start on {name}");
    }

    /// The display name, for `DISPLAY`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `xdotool` on this display.
    pub fn xdotool(&self, args: &[&str]) -> String {
        run(Some(&self.name), "xdotool", args)
    }

    /// Saves a screenshot of the whole display (see [`super::shot_paths`]).
    pub fn screenshot(&self, name: &str) {
        // Let the web view paint what the last change showed.
        std::thread::sleep(Duration::from_millis(400));
        for path in super::shot_paths(name) {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            run(
                Some(&self.name),
                "import",
                &["-window", "root", path.to_str().expect("utf-8 path")],
            );
        }
    }
}

/// Starts Xvfb on the first free display number from a random start, retrying if
/// another process took the number meanwhile.
fn start_xvfb(width: u32, height: u32) -> (String, Child) {
    let first = 100 + (std::process::id() % 400);
    for number in (first..first + 200).filter(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
    {
        let name = format!(":{number}");
        let mut child = Command::new("Xvfb")
            .args([
                &name,
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("Xvfb cannot start ({e}): install the xvfb package"));
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break; // the number was taken: try the next
            }
            // Ours once the lock file names our process (a socket alone may be another
            // server's).
            let ours = std::fs::read_to_string(format!("/tmp/.X{number}-lock"))
                .is_ok_and(|pid| pid.trim() == child.id().to_string());
            if ours
                && Path::new(&socket).exists()
                && Command::new("xdotool")
                    .env("DISPLAY", &name)
                    .arg("getdisplaygeometry")
                    .output()
                    .is_ok_and(|o| o.status.success())
            {
                return (name, child);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("no free X display number for Xvfb");
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.wm.kill();
        let _ = self.wm.wait();
        // SIGTERM lets Xvfb remove its lock file and socket.
        let _ = Command::new("kill")
            .arg(self.xvfb.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.xvfb.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}
