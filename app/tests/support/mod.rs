//! Shared machinery of the end-to-end tests: a real relay on its own tokio runtime,
//! the real app in a hidden desktop window, and a driver that reads and pokes the DOM
//! through `document::eval` (the approach Dioxus uses for its own desktop tests).
//!
//! Each test binary runs one scenario (one event loop per process) and ends the
//! process itself: `exit(0)` on success, `exit(1)` with a message and a DOM snapshot
//! on failure, `exit(2)` from the watchdog when it hangs.

#![allow(dead_code)]

use std::{
    future::Future,
    path::PathBuf,
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use common::{
    client::{self, Command, Engine, EngineConfig, EngineState, Event, Status},
    invite::Invite,
};
use dioxus::prelude::*;
use relay::{Relay, RelayConfig};
use serde::Deserialize;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
static RELAY: Mutex<Option<Relay>> = Mutex::new(None);
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static RELAY_DIR: OnceLock<PathBuf> = OnceLock::new();
static INVITE: OnceLock<Invite> = OnceLock::new();
static SCENARIO: OnceLock<Scenario> = OnceLock::new();

/// A scenario: the steps of one test, run beside the app in its window.
pub type Scenario = fn() -> std::pin::Pin<Box<dyn Future<Output = ()>>>;

/// The runtime the relay and the test's other clients run on.
pub fn rt() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

fn temp_dir(prefix: &str) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("temp dir")
        .keep();
    DIRS.lock().unwrap().push(dir.clone());
    dir
}

/// Ends the process after `secs` seconds, whatever happens.
pub fn watchdog(secs: u64) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        eprintln!("WATCHDOG: the scenario did not finish in {secs} s");
        cleanup();
        std::process::exit(2);
    });
}

fn cleanup() {
    for dir in DIRS.lock().unwrap().drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Starts a relay, points the app at it (`PIAZZA_INVITE`, fresh `PIAZZA_DATA_DIR`,
/// `PIAZZA_LANG`), and opens the app in a hidden window with `scenario` running beside it.
pub fn run(lang: &str, scenario: Scenario) {
    run_with(lang, scenario, false);
}

/// The root component: the app, and the scenario as a future of its own.
fn root() -> Element {
    use_future(|| async {
        (SCENARIO.get().expect("set before the launch"))().await;
    });
    rsx! { app::App {} }
}

/// [`run`] with a visible window (for screenshots and real keystrokes).
pub fn run_with(lang: &str, scenario: Scenario, visible: bool) {
    SCENARIO.set(scenario).expect("one scenario per process");
    let relay_dir = temp_dir("piazza-e2e-relay");
    RELAY_DIR.set(relay_dir.clone()).unwrap();
    let relay = rt()
        .block_on(Relay::start(RelayConfig::for_tests(&relay_dir)))
        .expect("relay starts");
    let invite = relay.invite();
    INVITE.set(invite.clone()).unwrap();
    *RELAY.lock().unwrap() = Some(relay);

    let data_dir = temp_dir("piazza-e2e-app");
    // Set before the window (and any other thread that reads the environment) starts.
    std::env::set_var(app::store::DATA_DIR_ENV, &data_dir);
    std::env::set_var(app::app::INVITE_ENV, invite.to_string());
    std::env::set_var(app::i18n::LANG_ENV, lang);
    std::env::set_var(app::notify::NOTIFY_ENV, "0");

    let mut config = app::desktop_config(visible);
    // SCREENSHOT_SIZE=400x780 opens a window of that size (phone-width screenshots).
    if let Some((w, h)) = std::env::var("SCREENSHOT_SIZE")
        .ok()
        .and_then(|s| s.split_once('x').map(|(w, h)| (w.parse(), h.parse())))
        .and_then(|(w, h)| Some((w.ok()?, h.ok()?)))
    {
        use dioxus::desktop::{LogicalSize, WindowBuilder};
        config = config.with_window(
            WindowBuilder::new()
                .with_title("Piazza")
                .with_inner_size(LogicalSize::<f64>::new(w, h))
                .with_visible(visible),
        );
    }
    dioxus::LaunchBuilder::desktop()
        .with_cfg(config)
        .launch(root);
    fail("the window closed before the scenario ended");
}

/// The relay's invite.
pub fn invite() -> Invite {
    INVITE.get().expect("relay started").clone()
}

/// Stops the relay (gracefully, as on SIGTERM).
pub async fn stop_relay() -> std::net::SocketAddr {
    let relay = RELAY.lock().unwrap().take().expect("relay running");
    let addr = relay.addr();
    rt().spawn(relay.shutdown()).await.expect("shutdown");
    addr
}

/// Starts the relay again on the same address and data directory.
pub async fn restart_relay(addr: std::net::SocketAddr) {
    let dir = RELAY_DIR.get().unwrap().clone();
    let config = RelayConfig {
        listen: addr,
        ..RelayConfig::for_tests(&dir)
    };
    let relay = rt()
        .spawn(Relay::start(config))
        .await
        .expect("join")
        .expect("relay restarts on the same port");
    *RELAY.lock().unwrap() = Some(relay);
}

/// Another client in the room: a plain engine on the test runtime.
pub struct OtherClient {
    /// Its engine.
    pub engine: Engine,
    events: tokio::sync::mpsc::UnboundedReceiver<Event>,
}

impl OtherClient {
    /// Joins the room as `name` and waits until connected.
    pub async fn join(name: &str) -> Self {
        let config = EngineConfig::new(invite(), name, EngineState::new());
        let (engine, mut events) = rt()
            .spawn(async move { client::start(config) })
            .await
            .unwrap();
        let connected = within(Duration::from_secs(15), async {
            while let Some(event) = events.recv().await {
                if event == Event::Status(Status::Connected) {
                    return true;
                }
            }
            false
        })
        .await;
        if connected != Some(true) {
            fail(&format!("the second client {name} did not connect"));
        }
        Self { engine, events }
    }

    /// Sends a text and waits for the relay's acknowledgement.
    pub async fn say(&mut self, text: &str) {
        self.engine.send(Command::Send(text.to_owned()));
        let acked = within(Duration::from_secs(10), async {
            while let Some(event) = self.events.recv().await {
                if matches!(event, Event::Acked { .. }) {
                    return true;
                }
            }
            false
        })
        .await;
        if acked != Some(true) {
            fail(&format!(
                "the second client's message {text:?} was not acknowledged"
            ));
        }
    }
}

/// Runs `future` with a timeout (on any executor).
pub async fn within<T>(timeout: Duration, future: impl Future<Output = T>) -> Option<T> {
    let sleep = rt().spawn(tokio::time::sleep(timeout));
    tokio::select! {
        value = future => Some(value),
        _ = sleep => None,
    }
}

/// Sleeps (on the test runtime's timer, usable from the UI thread).
pub async fn pause(ms: u64) {
    let _ = rt()
        .spawn(tokio::time::sleep(Duration::from_millis(ms)))
        .await;
}

/// Runs read-only JavaScript in the window and returns its result. An eval's result is
/// occasionally lost while the webview handles input events ("Finished"); a query is
/// safe to repeat, so it is retried.
pub async fn js<T: serde::de::DeserializeOwned>(code: &str) -> T {
    let mut attempt = 0;
    loop {
        match document::eval(code).join::<T>().await {
            Ok(value) => return value,
            Err(error) if attempt < 5 => {
                attempt += 1;
                eprintln!("eval retried after {error:?}");
                pause(50).await;
            }
            Err(error) => fail(&format!("eval failed: {error:?}\n{code}")),
        }
    }
}

/// Runs JavaScript that acts (types, clicks). It is not repeated: if its result is
/// lost, the action most likely ran, and the scenario checks its effects anyway.
async fn act(code: &str, what: &str) {
    match document::eval(code).join::<bool>().await {
        Ok(true) => {}
        Ok(false) => fail(&format!("no element for: {what}")),
        Err(error) => eprintln!("result of {what} lost ({error:?}); checking its effect"),
    }
}

/// Polls `check` until it is true or `secs` pass.
pub async fn wait_until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if check().await {
            return;
        }
        if Instant::now() > deadline {
            dump().await;
            fail(&format!("timed out waiting for: {what}"));
        }
        pause(100).await;
    }
}

/// True when `selector` matches an element.
pub async fn exists(selector: &str) -> bool {
    js(&format!(
        "return document.querySelector({}) !== null;",
        serde_json::to_string(selector).unwrap()
    ))
    .await
}

// Events are dispatched from a timer, after the eval has returned: dispatching them
// inside the eval runs the app's (synchronous) event handling within it, and the
// eval's own result was then sometimes lost ("Finished").

/// Types into an (uncontrolled) input or textarea: sets its value and fires `input`.
pub async fn type_into(selector: &str, text: &str) {
    act(
        &format!(
            r##"const el = document.querySelector({sel});
           if (!el) return false;
           el.focus();
           el.value = {text};
           setTimeout(() => el.dispatchEvent(new Event("input", {{ bubbles: true }})), 0);
           return true;"##,
            sel = serde_json::to_string(selector).unwrap(),
            text = serde_json::to_string(text).unwrap(),
        ),
        &format!("typing into {selector}"),
    )
    .await;
}

/// Clicks an element.
pub async fn click(selector: &str) {
    act(
        &format!(
            r##"const el = document.querySelector({});
           if (!el) return false;
           setTimeout(() => el.click(), 0);
           return true;"##,
            serde_json::to_string(selector).unwrap()
        ),
        &format!("clicking {selector}"),
    )
    .await;
}

/// Presses a key in an element (keydown, as a user's keyboard would fire it).
pub async fn press_key(selector: &str, key: &str, shift: bool) {
    act(
        &format!(
            r##"const el = document.querySelector({sel});
           if (!el) return false;
           setTimeout(() => el.dispatchEvent(new KeyboardEvent("keydown", {{
               key: {key}, code: {key}, shiftKey: {shift}, bubbles: true, cancelable: true }})), 0);
           return true;"##,
            sel = serde_json::to_string(selector).unwrap(),
            key = serde_json::to_string(key).unwrap(),
        ),
        &format!("pressing {key} in {selector}"),
    )
    .await;
}

/// The value of an input.
pub async fn value_of(selector: &str) -> String {
    js(&format!(
        r##"const el = document.querySelector({});
           return el ? el.value : "";"##,
        serde_json::to_string(selector).unwrap()
    ))
    .await
}

/// The `data-status` of the status banner ("" when there is none).
pub async fn status() -> String {
    js(r##"const el = document.querySelector("#status");
          return el ? el.dataset.status : "";"##)
    .await
}

/// One message row as the DOM shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Row {
    /// Sender name shown.
    pub sender: String,
    /// Text shown.
    pub text: String,
    /// `data-own`.
    pub own: bool,
    /// `data-delivery`.
    pub delivery: String,
    /// The `own` class is present.
    pub own_class: bool,
    /// The time shown.
    pub time: String,
}

/// Every message row in the list, in order.
pub async fn rows() -> Vec<Row> {
    js(
        r##"return Array.from(document.querySelectorAll("#messages li.msg")).map(li => ({
            sender: li.querySelector(".sender")?.textContent ?? "",
            text: li.querySelector(".text")?.textContent ?? "",
            own: li.dataset.own === "true",
            delivery: li.dataset.delivery ?? "",
            own_class: li.classList.contains("own"),
            time: li.querySelector(".time")?.textContent ?? "",
          }));"##,
    )
    .await
}

/// The row with this text, if shown.
pub async fn row(text: &str) -> Option<Row> {
    rows().await.into_iter().find(|r| r.text == text)
}

/// Ends the test successfully.
pub fn pass(what: &str) -> ! {
    println!("PASS: {what}");
    println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    cleanup();
    std::process::exit(0);
}

/// Ends the test with a failure (and a snapshot of what the window shows).
pub fn fail(message: &str) -> ! {
    eprintln!("FAIL: {message}");
    println!("test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out");
    cleanup();
    std::process::exit(1);
}

/// Prints the visible text of the window (for diagnosing failures).
pub async fn dump() {
    let text: String = js("return document.body.innerText;").await;
    eprintln!("---- window text ----\n{text}\n---------------------");
}
