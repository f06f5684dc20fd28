//! What the app remembers between runs, in the platform's data directory.
//!
//! Two JSON files: `settings.json` ([`Settings`]: name, last invite, whether to rejoin)
//! and `engine.json` (the engine's [`EngineState`]: install id, outbox, last seq).
//! Every write goes to a temporary file that is synced and then renamed over the old
//! one, so a crash leaves either the old or the new file, never half of one.
//! `PIAZZA_DATA_DIR` overrides the directory (tests, two instances on one machine).

use std::{
    fs, io,
    path::{Path, PathBuf},
    sync::mpsc,
    thread,
};

use common::client::EngineState;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// Environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "PIAZZA_DATA_DIR";

const SETTINGS_FILE: &str = "settings.json";
const ENGINE_FILE: &str = "engine.json";

/// The user's choices, remembered for the next start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The display name last used.
    pub name: String,
    /// The invite last used.
    pub invite: String,
    /// The user was in the room when the app closed: rejoin at start.
    pub joined: bool,
}

/// The data directory and the files in it.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `PIAZZA_DATA_DIR`, else the platform's data directory
    /// (e.g. `~/.local/share/piazza` on Linux).
    pub fn open_default() -> io::Result<Self> {
        Self::open(default_dir()?)
    }

    /// A store in `dir`, creating it if needed.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The saved settings; defaults when there are none or they cannot be read.
    pub fn load_settings(&self) -> Settings {
        self.load(SETTINGS_FILE).unwrap_or_default()
    }

    /// Saves the settings atomically.
    pub fn save_settings(&self, settings: &Settings) -> io::Result<()> {
        self.save(SETTINGS_FILE, settings)
    }

    /// The saved engine state, or a fresh one (new install id) when there is none.
    /// An unreadable file is kept aside as `engine.json.bad` rather than overwritten.
    pub fn load_engine_state(&self) -> EngineState {
        match self.load(ENGINE_FILE) {
            Some(state) => state,
            None => {
                let path = self.dir.join(ENGINE_FILE);
                if path.exists() {
                    let _ = fs::rename(&path, self.dir.join("engine.json.bad"));
                }
                EngineState::new()
            }
        }
    }

    /// Saves the engine state atomically.
    pub fn save_engine_state(&self, state: &EngineState) -> io::Result<()> {
        self.save(ENGINE_FILE, state)
    }

    fn load<T: DeserializeOwned>(&self, file: &str) -> Option<T> {
        let bytes = fs::read(self.dir.join(file)).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::warn!(%error, file, "cannot read saved data");
                None
            }
        }
    }

    fn save<T: Serialize>(&self, file: &str, value: &T) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        write_atomic(&self.dir.join(file), &bytes)
    }

    /// A background writer for engine states: the latest state wins, writes never
    /// block the UI, and a burst of states (a long backlog) costs one write.
    pub fn engine_writer(&self) -> EngineWriter {
        let (tx, rx) = mpsc::channel::<EngineState>();
        let store = self.clone();
        let spawned = thread::Builder::new()
            .name("piazza-store".into())
            .spawn(move || {
                while let Ok(mut state) = rx.recv() {
                    while let Ok(newer) = rx.try_recv() {
                        state = newer;
                    }
                    if let Err(error) = store.save_engine_state(&state) {
                        tracing::error!(%error, "cannot save the engine state");
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the store thread");
        }
        EngineWriter { tx }
    }
}

/// Handle to the background writer of [`Store::engine_writer`].
#[derive(Clone, Debug)]
pub struct EngineWriter {
    tx: mpsc::Sender<EngineState>,
}

impl EngineWriter {
    /// Queues a state to be written.
    pub fn save(&self, state: EngineState) {
        let _ = self.tx.send(state);
    }
}

fn default_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dirs) = directories::ProjectDirs::from("org", "piazza", "Piazza") {
        return Ok(dirs.data_dir().to_path_buf());
    }
    #[cfg(target_os = "android")]
    {
        // No HOME on Android: the app's private files directory.
        Ok(PathBuf::from("/data/data/org.piazza.app/files"))
    }
    #[cfg(not(target_os = "android"))]
    {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no data directory: set {DATA_DIR_ENV}"),
        ))
    }
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        // Make the rename itself durable; not every file system allows this.
        if let Ok(dir) = fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use common::{
        client::Outgoing,
        protocol::{ClientMsgId, InstallId},
    };

    use super::*;

    #[test]
    fn settings_round_trip_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("sub")).unwrap();
        assert_eq!(store.load_settings(), Settings::default());
        let settings = Settings {
            name: "Giulia".into(),
            invite: "piazza://127.0.0.1:4433/".into(),
            joined: true,
        };
        store.save_settings(&settings).unwrap();
        assert_eq!(store.load_settings(), settings);
        assert!(!dir.path().join("sub/settings.json.tmp").exists());
    }

    #[test]
    fn engine_state_round_trips_and_survives_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let fresh = store.load_engine_state();
        let mut state = EngineState::new();
        state.install = InstallId([7; 16]);
        state.outbox.push(Outgoing {
            id: ClientMsgId {
                install: state.install,
                counter: 1,
            },
            text: "non perdermi".into(),
        });
        state.last_seq = Some(42);
        store.save_engine_state(&state).unwrap();
        assert_eq!(store.load_engine_state(), state);
        assert_ne!(fresh.install, state.install);

        fs::write(dir.path().join(ENGINE_FILE), b"{not json").unwrap();
        let recovered = store.load_engine_state();
        assert_ne!(recovered.install, state.install);
        assert!(dir.path().join("engine.json.bad").exists());
    }

    #[test]
    fn background_writer_keeps_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let writer = store.engine_writer();
        let mut state = EngineState::new();
        for seq in 1..=50 {
            state.last_seq = Some(seq);
            writer.save(state.clone());
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if store.load_engine_state().last_seq == Some(50) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "state not written");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
