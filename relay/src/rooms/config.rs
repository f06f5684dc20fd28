//! The rooms an operator defines: [`RoomConfig`], read from `--room NAME[:KEY]` flags
//! ([`RoomConfig::parse_flag`]) and from a rooms file ([`read_rooms_file`], TOML), checked
//! into one list with the default room first ([`configured`]), and what changes between
//! two such lists ([`Plan`]). Pure, apart from reading files.
//!
//! A rooms file:
//!
//! ```toml
//! [[room]]
//! name = "classe-3b"
//! key = "segreto"                 # optional: a private room
//!
//! [[room]]
//! name = "prof"
//! key_file = "prof.key"           # optional: the key in a file (relative to this one)
//!
//! [[room]]
//! name = "gita-2025"
//! archived = true                 # optional: read-only
//! ```

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use common::{
    protocol::{DEFAULT_ROOM, MAX_ROOM_KEY_CHARS},
    rules::validate_room_name,
};
use serde::Deserialize;

/// One room as the operator defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomConfig {
    /// Its name (checked and folded by `common::rules::validate_room_name`).
    pub name: String,
    /// The key its invites carry and joins must give; `None`: anyone with the relay's
    /// address may join.
    pub key: Option<String>,
    /// Read-only: joins are welcome, sends are rejected.
    pub archived: bool,
}

/// What is wrong with the rooms an operator defined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomsError {
    /// A room's name breaks the rule.
    #[error("room {name:?}: {reason}")]
    BadName {
        /// The name as given.
        name: String,
        /// Why.
        reason: common::protocol::RoomNameError,
    },
    /// A key is empty or too long.
    #[error("room {0}: the room key must have 1 to {MAX_ROOM_KEY_CHARS} characters")]
    BadKey(String),
    /// Two definitions of one room disagree.
    #[error("room {0} is defined twice, differently")]
    Twice(String),
    /// The rooms file cannot be read or parsed.
    #[error("rooms file {path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
}

impl RoomConfig {
    /// A public room named `name` (checked later, by [`configured`]).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            key: None,
            archived: false,
        }
    }

    /// Reads a `--room` flag: `NAME`, `NAME:KEY`, or `NAME:@FILE` (the key is the
    /// file's content, trimmed).
    pub fn parse_flag(flag: &str) -> Result<Self, RoomsError> {
        let (name, key) = match flag.split_once(':') {
            None => (flag, None),
            Some((name, key)) => match key.strip_prefix('@') {
                Some(file) => (name, Some(read_key(name, Path::new(file))?)),
                None => (name, Some(key.to_owned())),
            },
        };
        Ok(Self {
            name: name.to_owned(),
            key,
            archived: false,
        })
    }
}

fn read_key(room: &str, path: &Path) -> Result<String, RoomsError> {
    std::fs::read_to_string(path)
        .map(|k| k.trim().to_owned())
        .map_err(|e| RoomsError::File {
            path: path.to_owned(),
            why: format!("the key of room {room}: {e}"),
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomsFile {
    #[serde(default)]
    room: Vec<FileRoom>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoom {
    name: String,
    key: Option<String>,
    key_file: Option<PathBuf>,
    #[serde(default)]
    archived: bool,
}

/// Reads a rooms file (format in the module's doc). Key files are relative to it.
pub fn read_rooms_file(path: &Path) -> Result<Vec<RoomConfig>, RoomsError> {
    let error = |why: String| RoomsError::File {
        path: path.to_owned(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let file: RoomsFile = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for room in file.room {
        let key = match (room.key, room.key_file) {
            (Some(_), Some(_)) => {
                return Err(error(format!(
                    "room {}: key or key_file, not both",
                    room.name
                )))
            }
            (key, None) => key,
            (None, Some(file)) => Some(read_key(&room.name, &base.join(file))?),
        };
        out.push(RoomConfig {
            name: room.name,
            key,
            archived: room.archived,
        });
    }
    Ok(out)
}

/// The rooms of a relay: the default room (keyed `default_key`) first, then `rooms`,
/// names checked and folded, keys checked, duplicates merged when they agree. An entry
/// for the default room may archive it or give its key when `default_key` does not.
pub fn configured(
    default_key: Option<&str>,
    rooms: &[RoomConfig],
) -> Result<Vec<RoomConfig>, RoomsError> {
    let mut by_name: BTreeMap<String, RoomConfig> = BTreeMap::new();
    let default = RoomConfig {
        name: DEFAULT_ROOM.into(),
        key: default_key.map(Into::into),
        archived: false,
    };
    check_key(&default)?;
    for room in rooms {
        let name = validate_room_name(&room.name).map_err(|reason| RoomsError::BadName {
            name: room.name.clone(),
            reason,
        })?;
        let room = RoomConfig {
            name: name.clone(),
            ..room.clone()
        };
        check_key(&room)?;
        match by_name.get(&name) {
            Some(known) if *known != room => return Err(RoomsError::Twice(name)),
            _ => {
                by_name.insert(name, room);
            }
        }
    }
    let mut default = default;
    if let Some(entry) = by_name.remove(DEFAULT_ROOM) {
        match (&default.key, entry.key) {
            (Some(a), Some(b)) if *a != b => return Err(RoomsError::Twice(DEFAULT_ROOM.into())),
            (None, key) => default.key = key,
            _ => {}
        }
        default.archived = entry.archived;
    }
    Ok(std::iter::once(default)
        .chain(by_name.into_values())
        .collect())
}

fn check_key(room: &RoomConfig) -> Result<(), RoomsError> {
    match &room.key {
        Some(k) if k.is_empty() || k.chars().count() > MAX_ROOM_KEY_CHARS => {
            Err(RoomsError::BadKey(room.name.clone()))
        }
        _ => Ok(()),
    }
}

/// What a new list of configured rooms changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Rooms that are new.
    pub added: Vec<RoomConfig>,
    /// Rooms no longer configured (the default room never is).
    pub removed: Vec<String>,
    /// Rooms whose key or archived flag changed, as they are now.
    pub changed: Vec<RoomConfig>,
}

impl Plan {
    /// From the configured rooms `old` to `new` (both as [`configured`] returns them).
    pub fn between(old: &[RoomConfig], new: &[RoomConfig]) -> Self {
        let find = |list: &[RoomConfig], name: &str| list.iter().find(|r| r.name == name).cloned();
        let mut plan = Self::default();
        for room in new {
            match find(old, &room.name) {
                None => plan.added.push(room.clone()),
                Some(was) if was != *room => plan.changed.push(room.clone()),
                Some(_) => {}
            }
        }
        for room in old {
            if room.name != DEFAULT_ROOM && find(new, &room.name).is_none() {
                plan.removed.push(room.name.clone());
            }
        }
        plan
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
