//! The other side of a scenario: a relay (in-process, or the `piazza-relay` binary that
//! can be SIGKILLed) and people in the room without a window (engines).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{
    invite::Invite,
    protocol::{EventKind, RoomEvent},
};
use engine::{Command as EngineCommand, Engine, EngineConfig, EngineState, Event, RoomStatus};
use relay::{Relay, RelayConfig};

use super::{rt, wait_until};

/// A relay in this process.
pub struct LocalRelay {
    relay: Option<Relay>,
    /// Its data directory.
    pub dir: tempfile::TempDir,
}

impl LocalRelay {
    /// Starts a relay on a free loopback port.
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// Starts a relay on a free loopback port, with its configuration adjusted.
    pub fn start_with(adjust: impl FnOnce(&mut RelayConfig)) -> Self {
        let dir = super::temp_dir("piazza-e2e-relay");
        let mut config = RelayConfig::for_tests(dir.path());
        adjust(&mut config);
        let relay = rt()
            .block_on(Relay::start(config))
            .expect("the relay starts");
        Self {
            relay: Some(relay),
            dir,
        }
    }

    /// Its invite.
    pub fn invite(&self) -> Invite {
        self.relay.as_ref().expect("running").invite()
    }
}

impl Drop for LocalRelay {
    fn drop(&mut self) {
        if let Some(relay) = self.relay.take() {
            rt().block_on(relay.shutdown());
        }
    }
}

/// The `piazza-relay` binary as a process.
pub struct RelayProcess {
    child: Option<Child>,
    /// Its data directory.
    pub dir: PathBuf,
    /// The address it listens on.
    pub listen: SocketAddr,
    invite: Invite,
}

impl RelayProcess {
    /// The binary, built next to this test (`cargo test --workspace` builds it).
    fn binary() -> PathBuf {
        let exe = std::env::current_exe().expect("test binary path");
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("piazza-relay");
        assert!(
            bin.exists(),
            "{} is missing: build the relay first (cargo build -p relay)",
            bin.display()
        );
        bin
    }

    /// Starts the relay on a free loopback port with its data in `dir`.
    pub fn start(dir: &Path) -> Self {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("a free port")
            .port();
        Self::start_on(dir, SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// Starts the relay on `listen` with its data in `dir`.
    pub fn start_on(dir: &Path, listen: SocketAddr) -> Self {
        let mut child = Command::new(Self::binary())
            .args(["--listen", &listen.to_string(), "--data-dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("piazza-relay starts");
        let stdout = child.stdout.take().expect("stdout");
        let invite = std::io::BufRead::lines(std::io::BufReader::new(stdout))
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("invite:").map(|i| i.trim().to_owned()))
            .expect("the relay prints its invite")
            .parse()
            .expect("a valid invite");
        Self {
            child: Some(child),
            dir: dir.to_path_buf(),
            listen,
            invite,
        }
    }

    /// Its invite.
    pub fn invite(&self) -> Invite {
        self.invite.clone()
    }

    /// Kills it without warning (SIGKILL), as a crash or a pulled plug would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Someone in a room without a window: an engine, with everything it saw.
pub struct Person {
    /// Its engine.
    pub engine: Engine,
    /// The room it joined (its invite's).
    pub room: String,
    seen: Arc<Mutex<Vec<Event>>>,
}

impl Person {
    /// Joins as `name` and waits until connected.
    pub fn join(invite: &Invite, name: &str) -> Self {
        let mut config = EngineConfig::new(invite.clone(), name, EngineState::new());
        config.backoff_initial = Duration::from_millis(200);
        config.backoff_max = Duration::from_secs(1);
        let (engine, mut events) = rt().block_on(async move { engine::start(config) });
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        rt().spawn(async move {
            while let Some(event) = events.recv().await {
                sink.lock().unwrap().push(event);
            }
        });
        let person = Self {
            engine,
            room: invite.room_name().to_owned(),
            seen,
        };
        wait_until(
            &format!("{name} in the room"),
            Duration::from_secs(20),
            || {
                person.saw(|e| {
                    matches!(
                        e,
                        Event::RoomStatus {
                            status: RoomStatus::Joined,
                            ..
                        }
                    )
                })
            },
        );
        person
    }

    /// True when some event seen so far satisfies `f`.
    pub fn saw(&self, f: impl Fn(&Event) -> bool) -> bool {
        self.seen.lock().unwrap().iter().any(f)
    }

    /// The room events seen so far, in order.
    pub fn room(&self) -> Vec<RoomEvent> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Room { event, .. } => Some(event.clone()),
                _ => None,
            })
            .collect()
    }

    /// The texts of the messages seen, in log order.
    pub fn texts(&self) -> Vec<String> {
        self.room()
            .into_iter()
            .filter_map(|r| match r.kind {
                EventKind::Message { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    /// The names online, as last reported.
    pub fn members(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::Members { names, .. } => Some(names.clone().unwrap_or_default()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Sends `text` to its room (queued; the engine paces and resends).
    pub fn say(&self, text: &str) {
        self.engine.send(EngineCommand::Send {
            room: self.room.clone(),
            text: text.to_owned(),
        });
    }

    /// How many of its messages the relay acknowledged.
    pub fn acked(&self) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, Event::Acked { .. }))
            .count()
    }

    /// Leaves the room.
    pub fn leave(&self) {
        self.engine.send(EngineCommand::Disconnect);
    }
}
