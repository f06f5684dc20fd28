//! [`RelayConfig`], everything a relay needs to start, and [`RelayError`], why it could
//! not.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use crate::{
    lan::{LanConfig, LanError},
    limits::Limits,
    log::{jetstream::ClusterConfig, LogError},
    rooms::{RoomConfig, RoomsError},
};

/// Everything a relay needs to start.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// Where the log, certificate and secrets live.
    pub data_dir: PathBuf,
    /// A certificate chain and key (PEM) to use instead of the generated one.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// Names and addresses for a generated certificate; the first goes in the invite
    /// when listening on an unspecified address.
    pub hosts: Vec<String>,
    /// The default room's key: invites to it carry it, joins must give it.
    pub room_key: Option<String>,
    /// The operator's rooms besides the default room (which always exists; an entry
    /// named like it may archive it).
    pub rooms: Vec<RoomConfig>,
    /// Clients may create rooms by joining a valid name the relay does not know (up to
    /// [`Limits::max_rooms`]).
    pub open_rooms: bool,
    /// Limits.
    pub limits: Limits,
    /// Keep the room logs in this NATS JetStream cluster instead of the data
    /// directory's redb (`None`, the default).
    pub cluster: Option<ClusterConfig>,
    /// The addresses invites list, in order (every relay of a cluster, or a DNS name
    /// with a record per relay); empty: this relay's own address.
    pub advertise: Vec<common::invite::Address>,
    /// Advertise a room on the LAN with DNS-SD over mDNS ("rooms nearby"); `None`, the
    /// default: no advertisement.
    pub lan: Option<LanConfig>,
    /// The owner key: a client whose join gives it is an owner of the room it joins
    /// (may remove messages and members, mute and unmute). `None`: nobody is.
    pub owner_key: Option<String>,
    /// Fault injection for tests: store events but neither publish nor acknowledge
    /// them, as if the relay died between storing and acknowledging.
    #[doc(hidden)]
    pub lose_acks: bool,
}

impl RelayConfig {
    /// Defaults: `0.0.0.0:4433`, a certificate for localhost, the default room only, no
    /// room key.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], common::invite::DEFAULT_PORT)),
            data_dir: data_dir.into(),
            cert: None,
            hosts: vec!["127.0.0.1".into(), "localhost".into()],
            room_key: None,
            rooms: Vec::new(),
            open_rooms: false,
            limits: Limits::default(),
            cluster: None,
            advertise: Vec::new(),
            lan: None,
            owner_key: None,
            lose_acks: false,
        }
    }

    /// Like [`RelayConfig::new`] on `127.0.0.1:0`, for tests.
    pub fn for_tests(data_dir: &Path) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Self::new(data_dir)
        }
    }
}

/// Reads the owner key from `path`: the file's content, surrounding white space
/// trimmed. An unreadable file, or one with nothing but white space, is an error that
/// says which file.
pub fn read_owner_key(path: &Path) -> Result<String, RelayError> {
    let text = std::fs::read_to_string(path).map_err(|source| RelayError::Io {
        what: format!("reading the owner key file {}", path.display()),
        source,
    })?;
    let key = text.trim();
    if key.is_empty() {
        return Err(RelayError::OwnerKeyEmpty(path.to_owned()));
    }
    Ok(key.to_owned())
}

/// Why a relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The certificate could not be made or loaded.
    #[error("certificate: {0}")]
    Cert(#[from] certs::CertError),
    /// The log could not be opened (is another relay using this data directory?).
    #[error(
        "the message log {0} is in use by another relay: stop it first, or give this \
         relay another --data-dir"
    )]
    LogInUse(PathBuf),
    /// The log could not be opened or read.
    #[error("the message log {path}: {source}")]
    Store {
        /// The log file.
        path: PathBuf,
        /// What the log said.
        source: LogError,
    },
    /// The cluster's room logs could not be opened.
    #[error("the room logs in the cluster: {0}")]
    Cluster(LogError),
    /// TLS configuration failed.
    #[error("{0}")]
    Tls(#[from] net::tls::TlsError),
    /// The rooms (or the default room's key) are not configured right.
    #[error("{0}")]
    Rooms(#[from] RoomsError),
    /// A configured host name cannot be written into an invite.
    #[error("host: {0}")]
    Host(#[from] common::invite::InviteError),
    /// The LAN advertisement (mDNS) could not start.
    #[error("advertising on the LAN: {0}")]
    Lan(#[from] LanError),
    /// The owner key file holds no key.
    #[error("the owner key file {0} is empty: write the key in it")]
    OwnerKeyEmpty(PathBuf),
    /// Files or sockets.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_key_file_is_read_trimmed_and_must_hold_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owner.key");
        std::fs::write(&path, "  la chiave \n").unwrap();
        assert_eq!(read_owner_key(&path).unwrap(), "la chiave");
        std::fs::write(&path, " \n").unwrap();
        let empty = read_owner_key(&path).unwrap_err();
        assert!(matches!(empty, RelayError::OwnerKeyEmpty(_)));
        assert!(empty.to_string().contains("owner.key"));
        let missing = read_owner_key(&dir.path().join("nope")).unwrap_err();
        assert!(missing.to_string().contains("reading the owner key file"));
    }
}
