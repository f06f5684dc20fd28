//! Small file helpers: JSON files written atomically (a synced temporary file renamed
//! over the old one, so a crash leaves the old or the new file, never half of one).

use std::{
    fs,
    io::{self, Write},
    path::Path,
};

use serde::{de::DeserializeOwned, Serialize};

/// Reads a JSON file; `None` when it is missing. A file that cannot be read as JSON is
/// kept aside as `<name>.bad` (never overwritten silently) and reported as missing.
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "cannot read saved data");
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "saved data is damaged; kept aside");
            let mut bad = path.as_os_str().to_owned();
            bad.push(".bad");
            let _ = fs::rename(path, bad);
            None
        }
    }
}

/// Writes a value as JSON, atomically.
pub fn save_json<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(path);
    Ok(())
}

/// Makes a rename or a new file in `path`'s directory durable (not every file system
/// allows this; failures are ignored).
pub fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        if let Ok(dir) = fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
