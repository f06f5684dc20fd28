//! The operator's commands on a relay's data directory (`piazza-relay rooms …`): list
//! the rooms on record, archive or unarchive one, delete one with all its data. They
//! open the log, which a running relay holds locked: then they refuse and say what to
//! do instead (the rooms file and a reload, see [`RUNNING`]).

use std::path::{Path, PathBuf};

use common::{protocol::RoomId, rules::validate_room_name};

use crate::{
    log::{redb::RedbStore, LogError, RoomRecord, Store},
    LOG_FILE,
};

/// What a command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomsCommand {
    /// Every room on record, with its last seq and flags.
    List,
    /// Make a room read-only (joins welcome, sends rejected).
    Archive(String),
    /// Make an archived room writable again.
    Unarchive(String),
    /// Erase a room: every message, id and presence record, and the record itself.
    Delete(String),
}

/// What to do instead while a relay runs on the data directory.
pub const RUNNING: &str = "a relay is running on this data directory (its log is locked). \
To archive a room now, set `archived = true` for it in the rooms file and reload the relay \
(kill -HUP <pid>, or systemctl reload piazza-relay); to close a room now, remove it from \
the rooms file and reload (its members are told it is gone, its messages stay on disk). \
To erase a room's messages or change a client's room, stop the relay and run this command \
again.";

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A relay holds the log.
    #[error("{path}: {RUNNING}")]
    Running {
        /// The log file.
        path: PathBuf,
    },
    /// There is no log in the data directory.
    #[error("no relay data in {0} (no {LOG_FILE})")]
    NoData(PathBuf),
    /// The room's name breaks the rule.
    #[error("{0}")]
    BadName(common::protocol::RoomNameError),
    /// The log has no such room.
    #[error("no room {0} in this relay's data")]
    NoSuchRoom(String),
    /// The log failed.
    #[error("{0}")]
    Log(#[from] LogError),
}

/// Runs `command` on the data in `data_dir`; what to print.
pub fn run(data_dir: &Path, command: &RoomsCommand) -> Result<String, AdminError> {
    let path = data_dir.join(LOG_FILE);
    if !path.exists() {
        return Err(AdminError::NoData(data_dir.to_owned()));
    }
    let store = match RedbStore::open(&path) {
        Ok(store) => store,
        Err(e) if e.is_locked() => return Err(AdminError::Running { path }),
        Err(e) => return Err(e.into()),
    };
    let result = run_on(&store, command);
    store.close();
    result
}

fn checked(name: &str) -> Result<String, AdminError> {
    validate_room_name(name).map_err(AdminError::BadName)
}

/// Runs `command` on an open store (the cluster's, for `--cluster`). Blocks.
pub fn run_on(store: &dyn Store, command: &RoomsCommand) -> Result<String, AdminError> {
    let find = |name: &str| -> Result<RoomRecord, AdminError> {
        let rooms = store.rooms()?;
        let known = rooms.into_iter().find(|r| r.name == name);
        known.ok_or_else(|| AdminError::NoSuchRoom(name.to_owned()))
    };
    match command {
        RoomsCommand::List => {
            let mut out = String::new();
            for room in store.rooms()? {
                let last = store.log(RoomId::of(&room.name)).last_seq()?;
                out.push_str(&format!("{:<40} last seq {last}", room.name));
                if room.archived {
                    out.push_str(", archived");
                }
                if room.by_client {
                    out.push_str(", created by a client");
                }
                out.push('\n');
            }
            if out.is_empty() {
                out.push_str("no rooms on record\n");
            }
            Ok(out)
        }
        RoomsCommand::Archive(name) | RoomsCommand::Unarchive(name) => {
            let name = checked(name)?;
            let mut record = find(&name)?;
            record.archived = matches!(command, RoomsCommand::Archive(_));
            store.put_rooms(std::slice::from_ref(&record))?;
            let state = if record.archived {
                "archived (read-only)"
            } else {
                "writable again"
            };
            Ok(format!(
                "room {name} is {state} from the relay's next start\n"
            ))
        }
        RoomsCommand::Delete(name) => {
            let name = checked(name)?;
            if !store.delete_room(&name)? {
                return Err(AdminError::NoSuchRoom(name));
            }
            Ok(format!(
                "room {name} deleted with all its messages; if the relay's configuration \
                 still names it, it starts again empty\n"
            ))
        }
    }
}
