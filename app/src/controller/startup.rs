//! What the app knows when it starts: language, data directory (locked for this
//! window), saved settings, the invite to pre-fill, and whether to rejoin at once.

use std::sync::Arc;

use common::{invite::Invite, rules::validate_name};

use crate::{
    i18n::Lang,
    store::{DirLock, LockError, Settings, Store},
};

/// Environment variable that pre-fills the invite field.
pub const INVITE_ENV: &str = "PIAZZA_INVITE";

/// Why the data directory cannot be used by this window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreProblem {
    /// Another window holds it.
    Locked(String),
    /// It cannot be created or locked: nothing will be remembered.
    Unusable {
        /// The directory (or where it was looked for).
        dir: String,
        /// The error, for the message.
        error: String,
    },
}

/// What the app knows when it starts.
#[derive(Clone, Debug)]
pub struct Startup {
    /// Interface language.
    pub lang: Lang,
    /// The data directory, locked for this window (`None`: not usable).
    pub store: Option<Store>,
    /// Holds the directory's lock for the life of the window.
    pub lock: Option<Arc<DirLock>>,
    /// What is wrong with the data directory, if anything.
    pub store_problem: Option<StoreProblem>,
    /// Saved settings (name, last invite).
    pub settings: Settings,
    /// The invite to put in the invite field.
    pub invite: String,
    /// Rejoin right away (the app was in rooms when it was closed).
    pub rejoin: Option<Rejoin>,
}

/// The rooms to rejoin at start, as the app was when it closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejoin {
    /// The name to join with.
    pub name: String,
    /// The rooms, in list order.
    pub rooms: Vec<Invite>,
    /// The room that was shown.
    pub active: Option<Invite>,
}

impl Startup {
    /// Reads the environment (`PIAZZA_LANG`, `PIAZZA_DATA_DIR`, `PIAZZA_INVITE`), locks
    /// the data directory and reads the saved settings.
    pub fn from_env() -> Self {
        let lang = Lang::detect();
        let (store, lock, store_problem) = match Store::open_default() {
            Ok(store) => match store.lock() {
                Ok(lock) => (Some(store), Some(Arc::new(lock)), None),
                Err(LockError::Held(dir)) => {
                    let dir = dir.display().to_string();
                    eprintln!(
                        "piazza: another Piazza window uses {dir}; set PIAZZA_DATA_DIR to \
                         another folder for a second window"
                    );
                    (None, None, Some(StoreProblem::Locked(dir)))
                }
                Err(error @ LockError::Io { .. }) => {
                    tracing::error!(%error, "cannot lock the data directory");
                    let dir = store.dir().display().to_string();
                    let problem = StoreProblem::Unusable {
                        dir,
                        error: error.to_string(),
                    };
                    (None, None, Some(problem))
                }
            },
            Err(error) => {
                tracing::error!(%error, "no data directory: nothing will be remembered");
                let dir = std::env::var(crate::store::DATA_DIR_ENV).unwrap_or_default();
                let problem = StoreProblem::Unusable {
                    dir,
                    error: error.to_string(),
                };
                (None, None, Some(problem))
            }
        };
        let settings = store.as_ref().map(Store::load_settings).unwrap_or_default();
        let env_invite = std::env::var(INVITE_ENV)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let invite = env_invite
            .clone()
            .unwrap_or_else(|| settings.invite.clone());
        let rooms: Vec<Invite> = settings
            .saved_rooms()
            .iter()
            .filter_map(|r| r.invite.parse::<Invite>().ok())
            .collect();
        // An invite given at start that is not one of the saved rooms means "join
        // this": the join screen shows it instead of rejoining.
        let given_is_saved = env_invite
            .as_deref()
            .is_none_or(|env| env.parse::<Invite>().is_ok_and(|i| rooms.contains(&i)));
        let rejoin = match validate_name(&settings.name) {
            Ok(name) if settings.joined && given_is_saved && !rooms.is_empty() => Some(Rejoin {
                name,
                active: settings.active.as_deref().and_then(|a| a.parse().ok()),
                rooms,
            }),
            _ => None,
        };
        Self {
            lang,
            store,
            lock,
            store_problem,
            settings,
            invite,
            rejoin,
        }
    }
}
