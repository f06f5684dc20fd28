//! The real `piazza` binary in a window of its own display: real X input in, read-only
//! page queries out (the app's test probe).

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;

use super::{wait_until, Display};

/// How an app window starts.
#[derive(Clone, Debug)]
pub struct Options {
    /// `it` or `en`.
    pub lang: &'static str,
    /// `PIAZZA_INVITE`, if any.
    pub invite: Option<String>,
    /// The data directory (`PIAZZA_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Window size.
    pub size: (u32, u32),
}

impl Options {
    /// English, 980×720, no invite given.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            lang: "en",
            invite: None,
            data_dir: data_dir.to_path_buf(),
            size: (980, 720),
        }
    }

    /// With this invite in `PIAZZA_INVITE`.
    pub fn invite(mut self, invite: impl ToString) -> Self {
        self.invite = Some(invite.to_string());
        self
    }

    /// In this language.
    pub fn lang(mut self, lang: &'static str) -> Self {
        self.lang = lang;
        self
    }

    /// With this window size.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
}

/// One message row as the page shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Row {
    /// The sender shown at the start of its group ("" inside a group).
    pub sender: String,
    /// The text shown.
    pub text: String,
    /// `data-own`.
    pub own: bool,
    /// `data-delivery`.
    pub delivery: String,
    /// `data-seq` (empty while unsequenced).
    pub seq: String,
}

/// Real key presses into one window, usable from another thread (two people typing at
/// once, each on their own display).
#[derive(Clone, Debug)]
pub struct Keyboard {
    display: String,
    window: String,
}

impl Keyboard {
    fn xdotool(&self, args: &[&str]) {
        super::run(Some(&self.display), "xdotool", args);
    }

    /// Gives the window the keyboard focus.
    pub fn focus(&self) {
        self.xdotool(&["windowactivate", "--sync", &self.window]);
    }

    /// Types `text`, `delay_ms` between keys.
    pub fn type_text(&self, text: &str, delay_ms: u32) {
        self.focus();
        self.xdotool(&["type", "--delay", &delay_ms.to_string(), "--", text]);
    }

    /// Types `lines` with Return between them, with nothing but the next xdotool's
    /// start (a few ms) between a Return and the next key, as a person typing on does.
    /// `delay_ms` between keys. (xdotool cannot chain after `type`, and types `\n` as a
    /// Linefeed key that the webview ignores.)
    pub fn type_lines(&self, lines: &str, delay_ms: u32) {
        self.focus();
        let delay = delay_ms.to_string();
        for (i, line) in lines.split('\n').enumerate() {
            if i > 0 {
                self.xdotool(&["key", "Return"]);
            }
            if !line.is_empty() {
                self.xdotool(&["type", "--delay", &delay, "--", line]);
            }
        }
    }

    /// Presses keys (`Return`, `shift+Return`, `dead_grave e`, …).
    pub fn key(&self, keys: &str) {
        self.focus();
        let mut args = vec!["key", "--delay", "30", "--"];
        args.extend(keys.split_whitespace());
        self.xdotool(&args);
    }
}

/// The app in a window.
pub struct AppWindow {
    /// The display it is on.
    pub display: Display,
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::Receiver<(u64, Result<Value, String>)>,
    next_id: u64,
    window: String,
    /// Its data directory.
    pub data_dir: PathBuf,
}

impl AppWindow {
    /// Starts the app on a display of its own and waits for its page.
    pub fn open(options: Options) -> Self {
        Self::open_with_env(options, &[])
    }

    /// [`AppWindow::open`] with more environment variables.
    pub fn open_with_env(options: Options, env: &[(&str, &str)]) -> Self {
        let (width, height) = options.size;
        let display = Display::start(width + 40, height + 60);
        let mut command = Command::new(env!("CARGO_BIN_EXE_piazza"));
        command
            .env("DISPLAY", display.name())
            .env("PIAZZA_DATA_DIR", &options.data_dir)
            .env("PIAZZA_LANG", options.lang)
            .env("PIAZZA_NOTIFY", "0")
            .env("PIAZZA_TEST_PROBE", "1")
            .env_remove("PIAZZA_INVITE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(invite) = &options.invite {
            command.env("PIAZZA_INVITE", invite);
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("the piazza binary starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let Some(json) = line.strip_prefix("PIAZZA-PROBE ") else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(json) else {
                    continue;
                };
                let id = value["id"].as_u64().unwrap_or(0);
                let answer = match value.get("ok") {
                    Some(ok) => Ok(ok.clone()),
                    None => Err(value["err"].to_string()),
                };
                if tx.send((id, answer)).is_err() {
                    return;
                }
            }
        });
        let pid = child.id().to_string();
        let mut window = String::new();
        wait_until("the app's window", Duration::from_secs(30), || {
            let out = std::process::Command::new("xdotool")
                .env("DISPLAY", display.name())
                .args(["search", "--onlyvisible", "--pid", &pid])
                .output();
            match out {
                Ok(o) if o.status.success() => {
                    window = String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    !window.is_empty()
                }
                _ => false,
            }
        });
        let mut app = Self {
            display,
            child,
            stdin,
            answers,
            next_id: 1,
            window,
            data_dir: options.data_dir.clone(),
        };
        app.place(width, height);
        app.focus();
        // The page is there once the probe answers.
        let deadline = Instant::now() + Duration::from_secs(30);
        while app.try_js("return document.readyState;").is_err() {
            assert!(Instant::now() < deadline, "the app's page did not load");
            std::thread::sleep(Duration::from_millis(200));
        }
        app
    }

    /// Moves the window to the top left corner at this size, and checks that it got
    /// there: a window manager still placing a new window can undo a first move.
    fn place(&self, width: u32, height: u32) {
        wait_until(
            "the window in the top left corner",
            Duration::from_secs(15),
            || {
                let _ = Command::new("xdotool")
                    .env("DISPLAY", self.display.name())
                    .args(["windowmove", &self.window, "0", "0"])
                    .args([
                        "windowsize",
                        &self.window,
                        &width.to_string(),
                        &height.to_string(),
                    ])
                    .status();
                std::thread::sleep(Duration::from_millis(150));
                let geometry = Command::new("xdotool")
                    .env("DISPLAY", self.display.name())
                    .args(["getwindowgeometry", "--shell", &self.window])
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                let value = |key: &str| {
                    geometry
                        .lines()
                        .find_map(|l| l.strip_prefix(key))
                        .and_then(|v| v.trim().parse::<i64>().ok())
                };
                matches!(
                    (value("X="), value("Y="), value("WIDTH=")),
                    (Some(x), Some(y), Some(w)) if x < 20 && y < 60 && w == i64::from(width)
                )
            },
        );
    }

    /// The X window id.
    pub fn window(&self) -> &str {
        &self.window
    }

    /// Its keyboard, for typing from another thread.
    pub fn keyboard(&self) -> Keyboard {
        Keyboard {
            display: self.display.name().to_owned(),
            window: self.window.clone(),
        }
    }

    /// Gives the window the keyboard focus (as clicking its title bar would).
    pub fn focus(&self) {
        self.keyboard().focus();
    }

    fn try_js(&mut self, code: &str) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let request = serde_json::json!({ "id": id, "js": code });
        writeln!(self.stdin, "{request}").map_err(|e| format!("the app is gone: {e}"))?;
        self.stdin.flush().map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.answers.recv_timeout(left) {
                Ok((got, answer)) if got == id => return answer,
                Ok(_) => continue, // an answer to an earlier, timed-out query
                Err(mpsc::RecvTimeoutError::Timeout) => return Err("no answer".into()),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err("the app exited".into()),
            }
        }
    }

    /// Evaluates read-only JavaScript in the page (it must `return` its result). A
    /// query whose answer was lost is asked again (it only reads).
    pub fn js<T: DeserializeOwned>(&mut self, code: &str) -> T {
        let mut last = String::new();
        for _ in 0..5 {
            match self.try_js(code) {
                Ok(value) => {
                    return serde_json::from_value(value.clone())
                        .unwrap_or_else(|e| panic!("unexpected answer {value} ({e}) to {code}"))
                }
                Err(error) if error == "the app exited" => panic!("the app exited during: {code}"),
                Err(error) => last = error,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the page did not answer ({last}): {code}");
    }

    /// True when `selector` matches an element.
    pub fn exists(&mut self, selector: &str) -> bool {
        self.js(&format!(
            "return document.querySelector({}) !== null;",
            serde_json::to_string(selector).unwrap()
        ))
    }

    /// The text of the first element matching `selector` ("" if none).
    pub fn text(&mut self, selector: &str) -> String {
        self.js(&format!(
            "const el = document.querySelector({}); return el ? el.innerText : \"\";",
            serde_json::to_string(selector).unwrap()
        ))
    }

    /// The value of an input or textarea ("" if none).
    pub fn value(&mut self, selector: &str) -> String {
        self.js(&format!(
            "const el = document.querySelector({}); return el ? el.value : \"\";",
            serde_json::to_string(selector).unwrap()
        ))
    }

    /// The status banner's `data-status` ("" when there is none).
    pub fn status(&mut self) -> String {
        self.js(
            "const el = document.querySelector(\"#status\"); return el ? el.dataset.status : \"\";",
        )
    }

    /// Every message row shown, in order.
    pub fn rows(&mut self) -> Vec<Row> {
        self.js(
            r##"return Array.from(document.querySelectorAll("#messages li.msg")).map(li => ({
                sender: li.querySelector(".sender")?.textContent ?? "",
                text: li.querySelector(".text")?.textContent ?? "",
                own: li.dataset.own === "true",
                delivery: li.dataset.delivery ?? "",
                seq: li.dataset.seq ?? "",
            }));"##,
        )
    }

    /// The texts of the message rows shown.
    pub fn texts(&mut self) -> Vec<String> {
        self.rows().into_iter().map(|r| r.text).collect()
    }

    /// Types `text` with real key presses, `delay_ms` between keys.
    pub fn type_text(&self, text: &str, delay_ms: u32) {
        self.keyboard().type_text(text, delay_ms);
    }

    /// Types `lines` with Return between them, in one run of xdotool (no pause after a
    /// Return), `delay_ms` between keys.
    pub fn type_lines(&self, lines: &str, delay_ms: u32) {
        self.keyboard().type_lines(lines, delay_ms);
    }

    /// Presses keys (`Return`, `shift+Return`, `Tab`, `alt+F4`, `dead_grave e`, …).
    pub fn key(&self, keys: &str) {
        self.keyboard().key(keys);
    }

    /// Clicks the middle of the first element matching `selector` with the mouse.
    pub fn click(&mut self, selector: &str) {
        let (x, y): (i64, i64) = self.js(&format!(
            r#"const el = document.querySelector({});
               if (!el) return [-1, -1];
               el.scrollIntoView({{ block: "nearest" }});
               const r = el.getBoundingClientRect();
               return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)];"#,
            serde_json::to_string(selector).unwrap()
        ));
        assert!(x >= 0, "nothing to click: {selector}");
        self.click_at(x, y);
    }

    /// Clicks at a point of the window (page coordinates).
    pub fn click_at(&self, x: i64, y: i64) {
        self.focus();
        self.display.xdotool(&[
            "mousemove",
            "--window",
            &self.window,
            &x.to_string(),
            &y.to_string(),
            "click",
            "1",
        ]);
    }

    /// Joins from the join screen as a person does: clicks the name field, types `name`
    /// (30 ms per key), presses Return, and waits until connected with the composer
    /// focused.
    pub fn join(&mut self, name: &str) {
        let wait = Duration::from_secs(30);
        wait_until("the join screen", wait, || self.exists("#name-input"));
        self.click("#name-input");
        self.type_text(name, 30);
        self.key("Return");
        wait_until("connected", wait, || self.status() == "connected");
        self.click("#composer-input");
    }

    /// The window's title (as the window manager shows it).
    pub fn title(&self) -> String {
        self.display
            .xdotool(&["getwindowname", &self.window])
            .trim()
            .to_owned()
    }

    /// A screenshot of the display.
    pub fn screenshot(&self, name: &str) {
        self.display.screenshot(name);
    }

    /// Closes the window as a person does (Alt+F4) and waits for the app to exit;
    /// returns its data directory.
    pub fn close(mut self) -> PathBuf {
        self.key("alt+F4");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "the app exited with {status}");
                return self.data_dir.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the app did not exit after Alt+F4"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The process has exited (with its status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for AppWindow {
    fn drop(&mut self) {
        if std::thread::panicking() && self.child.try_wait().ok().flatten().is_none() {
            // What the window showed when the scenario failed.
            let name = format!("failure-{}-{}", std::process::id(), self.window);
            self.display.screenshot(&name);
            if let Ok(text) = self.try_js("return document.body.innerText;") {
                eprintln!(
                    "---- window text ({name}.png) ----\n{}\n----",
                    text.as_str().unwrap_or("")
                );
            }
        }
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
