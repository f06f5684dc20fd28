//! One app instance per data directory: a lock on `app.lock` held for the life of the
//! process (released by the operating system when the process ends, even on a crash).
//! Where the platform has no file locks (Android, which runs one process per app
//! anyway) the app goes on without one.
//! Two windows on one directory would share an install id and take the session from
//! each other, and would write the same files.

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::{self, Write},
    path::{Path, PathBuf},
};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "app.lock";

/// The held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Why the directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("another Piazza window uses {0}")]
    Held(PathBuf),
    /// The lock file could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl DirLock {
    /// Locks `dir` for this process, or says who has it.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(LockError::Held(dir.to_path_buf())),
            // Android (std before 1.98): no file locks; the system runs one process per
            // app there, so a second window on this directory cannot exist anyway.
            Err(TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                tracing::debug!("file locks are not supported here; going on without one");
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // For people looking at the directory: which process holds it.
        let _ = file.set_len(0);
        let _ = writeln!(file, "{}", std::process::id());
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_directory_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).unwrap();
        match DirLock::acquire(dir.path()) {
            Err(LockError::Held(held)) => assert_eq!(held, dir.path()),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        DirLock::acquire(dir.path()).expect("free again");
    }
}
