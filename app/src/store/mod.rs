//! What the app remembers between runs, in the platform's data directory
//! (`PIAZZA_DATA_DIR` overrides it: tests, a second person on one machine).
//!
//! ```text
//! app.lock                       held while a window uses the directory (lock)
//! settings.json                  name, last invite, whether to rejoin
//! identity.json                  this installation's id
//! relays/<relay>/engine.json     the engine's state for that relay (its rooms: outboxes,
//!                                resume points)
//! relays/<relay>/rooms/<room>/timeline.jsonl   each room's newest events (timeline)
//! ```
//!
//! JSON files are written atomically (files); the per-relay files by a background
//! writer (writer). A relay is named by its address and certificate fingerprint, so
//! switching relays never mixes their histories or resume points.

pub mod files;
pub mod lock;
pub mod timeline;
pub mod writer;

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use common::{
    invite::Invite,
    protocol::{InstallId, RoomEvent, DEFAULT_ROOM},
};
use engine::EngineState;
use serde::{Deserialize, Serialize};

use files::{load_json, save_json};
pub use lock::{DirLock, LockError};
pub use writer::RelayWriter;

/// Environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "PIAZZA_DATA_DIR";

const SETTINGS_FILE: &str = "settings.json";
/// A relay's owner key, from an owner invite (per relay, beside its engine state).
const OWNER_KEY_FILE: &str = "owner.key";
const IDENTITY_FILE: &str = "identity.json";
/// Where versions before per-relay storage kept the engine state.
const OLD_ENGINE_FILE: &str = "engine.json";

/// The user's choices, remembered for the next start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The display name last used.
    pub name: String,
    /// The invite last typed on the join screen.
    pub invite: String,
    /// The person was in their rooms when the app closed: rejoin them at start.
    pub joined: bool,
    /// The rooms in the list, in order (a file of an older version has none: its
    /// `invite` is the one room).
    pub rooms: Vec<SavedRoom>,
    /// The room shown (its invite), if any.
    pub active: Option<String>,
    /// This app hosts one of the rooms in the list: host it again at start.
    pub hosting: bool,
}

/// A room in the list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedRoom {
    /// Its invite (relay, room, key).
    pub invite: String,
    /// No notifications for it.
    pub muted: bool,
}

impl Settings {
    /// The rooms to rejoin: the list, or for a file of an older version the one room of
    /// its invite.
    pub fn saved_rooms(&self) -> Vec<SavedRoom> {
        if self.rooms.is_empty() && self.joined && !self.invite.is_empty() {
            return vec![SavedRoom {
                invite: self.invite.clone(),
                muted: false,
            }];
        }
        self.rooms.clone()
    }
}

#[derive(Serialize, Deserialize)]
struct Identity {
    install: InstallId,
}

/// The data directory.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `PIAZZA_DATA_DIR`, else the platform's data directory
    /// (e.g. `~/.local/share/piazza` on Linux), created if needed.
    pub fn open_default() -> io::Result<Self> {
        Self::open(default_dir()?)
    }

    /// A store in `dir`, creating it if needed.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Locks the directory for this process (one window per directory).
    pub fn lock(&self) -> Result<DirLock, LockError> {
        DirLock::acquire(&self.dir)
    }

    /// The saved settings; defaults when there are none or they cannot be read.
    pub fn load_settings(&self) -> Settings {
        load_json(&self.dir.join(SETTINGS_FILE)).unwrap_or_default()
    }

    /// Saves the settings atomically.
    pub fn save_settings(&self, settings: &Settings) -> io::Result<()> {
        save_json(&self.dir.join(SETTINGS_FILE), settings)
    }

    /// This installation's id, made (and saved) on first use. An id found in a state
    /// file of an older version is kept.
    pub fn install(&self) -> io::Result<InstallId> {
        let path = self.dir.join(IDENTITY_FILE);
        if let Some(identity) = load_json::<Identity>(&path) {
            return Ok(identity.install);
        }
        let install = load_json::<EngineState>(&self.dir.join(OLD_ENGINE_FILE))
            .map(|old| old.install)
            .unwrap_or_else(InstallId::random);
        save_json(&path, &Identity { install })?;
        Ok(install)
    }

    /// The files of one relay.
    pub fn relay(&self, invite: &Invite) -> io::Result<RelayStore> {
        let dir = self.dir.join("relays").join(relay_dir_name(invite));
        fs::create_dir_all(&dir)?;
        let store = RelayStore { dir };
        // Before rooms, a relay had one timeline: it is the default room's.
        let single = store.dir.join("timeline.jsonl");
        if single.exists() {
            store.ensure_room_dir(DEFAULT_ROOM)?;
            fs::rename(&single, store.timeline_path(DEFAULT_ROOM))?;
        }
        // An older version's state belongs to the relay of the saved invite.
        let old = self.dir.join(OLD_ENGINE_FILE);
        if old.exists() && !store.engine_path().exists() {
            let saved_invite = self.load_settings().invite.parse::<Invite>().ok();
            if saved_invite
                .as_ref()
                .is_some_and(|i| relay_dir_name(i) == relay_dir_name(invite))
            {
                fs::rename(&old, store.engine_path())?;
            }
        }
        Ok(store)
    }
}

/// A directory name for a relay: its address and the start of its pinned fingerprint
/// (not the room: one relay, one directory, its rooms inside).
pub fn relay_dir_name(invite: &Invite) -> String {
    let host: String = invite
        .host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trust = match &invite.fingerprint {
        Some(fp) => fp.to_string()[..16].to_owned(),
        None => "webpki".to_owned(),
    };
    format!("{host}-{}-{trust}", invite.port)
}

/// The files of one relay: engine state and timeline.
#[derive(Clone, Debug)]
pub struct RelayStore {
    dir: PathBuf,
}

impl RelayStore {
    /// The relay's owner key, from an owner invite joined earlier, if any.
    pub fn owner_key(&self) -> Option<String> {
        match files::read_key(&self.dir.join(OWNER_KEY_FILE)) {
            Ok(key) => key,
            Err(error) => {
                tracing::warn!(%error, "cannot read the relay's owner key");
                None
            }
        }
    }

    /// Keeps the relay's owner key (from an owner invite), readable by this user only.
    pub fn save_owner_key(&self, key: &str) -> io::Result<()> {
        files::write_key(&self.dir.join(OWNER_KEY_FILE), key)
    }

    fn engine_path(&self) -> PathBuf {
        self.dir.join("engine.json")
    }

    fn room_dir(&self, room: &str) -> PathBuf {
        // Room names are a–z, 0–9, `-` and `_` (the protocol's rule): safe as a path.
        self.dir.join("rooms").join(room)
    }

    fn timeline_path(&self, room: &str) -> PathBuf {
        self.room_dir(room).join("timeline.jsonl")
    }

    fn ensure_room_dir(&self, room: &str) -> io::Result<()> {
        fs::create_dir_all(self.room_dir(room))
    }

    fn forget_room(&self, room: &str) -> io::Result<()> {
        match fs::remove_dir_all(self.room_dir(room)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The saved engine state, or a fresh one for `install`.
    pub fn load_engine_state(&self, install: InstallId) -> EngineState {
        match load_json::<EngineState>(&self.engine_path()) {
            Some(state) if state.install == install => state,
            _ => EngineState {
                install,
                ..EngineState::new()
            },
        }
    }

    /// A room's saved timeline (the newest events, oldest first).
    pub fn load_timeline(&self, room: &str) -> Vec<RoomEvent> {
        timeline::TimelineFile::new(self.timeline_path(room)).load()
    }

    /// Starts this relay's background writer.
    pub fn writer(&self) -> RelayWriter {
        RelayWriter::start(self.clone())
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

#[cfg(test)]
mod tests;
