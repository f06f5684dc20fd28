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
    write_through_tmp(path, bytes, false)
}

/// Reads a key kept in a file of its own (an owner key): trimmed; `None` when the file
/// is missing or blank.
pub fn read_key(path: &Path) -> io::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(key) => Ok(Some(key.trim().to_owned()).filter(|k| !k.is_empty())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes a key to a file of its own, atomically, readable by this user only (mode
/// 0600 on Unix).
pub fn write_key(path: &Path, key: &str) -> io::Result<()> {
    write_through_tmp(path, key.as_bytes(), true)
}

fn write_through_tmp(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&tmp)?;
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

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn a_key_file_is_private_trimmed_and_blank_means_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owner.key");
        assert_eq!(read_key(&path).unwrap(), None, "missing");
        write_key(&path, "  segreto\n").unwrap();
        assert_eq!(read_key(&path).unwrap().as_deref(), Some("segreto"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "readable by this user only");
        }
        write_key(&path, " ").unwrap();
        assert_eq!(read_key(&path).unwrap(), None, "blank");
    }
}
