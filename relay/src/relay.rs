//! [`Relay`] and [`RelayConfig`]: start on an address with a data directory, accept
//! connections (refusing or asking for a QUIC retry under floods), shut down gracefully.

use std::{
    fs,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use common::{fingerprint::Fingerprint, invite::Invite, protocol::ByeReason};
use tokio::{sync::watch, task::JoinSet};

use crate::{
    identity,
    limits::Limits,
    log::{redb::RedbLog, LogError},
    room::Room,
    session,
    stats::{RelayStats, Stats},
    udp_socket,
};

/// File name of the log inside the data directory.
pub const LOG_FILE: &str = "piazza.redb";

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
    /// A secret the invite must carry to join.
    pub room_key: Option<String>,
    /// Limits.
    pub limits: Limits,
    /// Fault injection for tests: store events but neither publish nor acknowledge
    /// them, as if the relay died between storing and acknowledging.
    #[doc(hidden)]
    pub lose_acks: bool,
}

impl RelayConfig {
    /// Defaults: `0.0.0.0:4433`, a certificate for localhost, no room key.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], common::invite::DEFAULT_PORT)),
            data_dir: data_dir.into(),
            cert: None,
            hosts: vec!["127.0.0.1".into(), "localhost".into()],
            room_key: None,
            limits: Limits::default(),
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
    /// TLS configuration failed.
    #[error("{0}")]
    Tls(#[from] net::tls::TlsError),
    /// The configured room key is empty or longer than the protocol allows.
    #[error("the room key must have 1 to {max} characters", max = common::protocol::MAX_ROOM_KEY_CHARS)]
    RoomKey,
    /// A configured host name cannot be written into an invite.
    #[error("host: {0}")]
    Host(#[from] common::invite::InviteError),
    /// Files or sockets.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

/// What every session shares.
pub(crate) struct Shared {
    pub(crate) room: Arc<Room>,
    /// Connections accepted whose handshake has not finished yet.
    pub(crate) handshaking: std::sync::atomic::AtomicUsize,
    pub(crate) limits: Limits,
    pub(crate) room_key: Option<String>,
    pub(crate) stats: Arc<Stats>,
}

/// A running relay.
pub struct Relay {
    endpoint: quinn::Endpoint,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<JoinSet<()>>,
    invite: Invite,
    fingerprint: Fingerprint,
}

impl Relay {
    /// Opens the data directory (creating certificate and secrets on first start) and
    /// starts listening.
    pub async fn start(config: RelayConfig) -> Result<Relay, RelayError> {
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| RelayError::Io { what, source }
        };
        for host in &config.hosts {
            Invite::check_host(host)?;
        }
        if config.room_key.as_ref().is_some_and(|k| {
            k.is_empty() || k.chars().count() > common::protocol::MAX_ROOM_KEY_CHARS
        }) {
            return Err(RelayError::RoomKey);
        }
        fs::create_dir_all(&config.data_dir)
            .map_err(io(&format!("creating {}", config.data_dir.display())))?;
        let cert = match &config.cert {
            Some((cert, key)) => certs::RelayCert::load_files(cert, key)?,
            None => identity::load_or_generate_cert(&config.data_dir, &config.hosts)?,
        };
        let fingerprint = cert.fingerprint();
        let server_config = net::tls::server_config(cert.chain.clone(), cert.key())?;

        let log_path = config.data_dir.join(LOG_FILE);
        let store_error = |source| RelayError::Store {
            path: log_path.clone(),
            source,
        };
        // Opening may repair the log after a crash: off the async workers.
        let path = log_path.clone();
        let log = tokio::task::spawn_blocking(move || {
            for _ in 0..30 {
                match RedbLog::open(&path) {
                    Err(e) if e.is_locked() => std::thread::sleep(Duration::from_millis(100)),
                    other => return other,
                }
            }
            RedbLog::open(&path)
        })
        .await
        .map_err(|e| LogError::Task(e.to_string()))
        .and_then(|r| r)
        .map_err(|e| {
            if e.is_locked() {
                RelayError::LogInUse(log_path.clone())
            } else {
                store_error(e)
            }
        })?;
        let stats = Arc::new(Stats::default());
        let room = Room::open(
            Arc::new(log),
            config.limits.clone(),
            stats.clone(),
            config.lose_acks,
        )
        .await
        .map_err(store_error)?;

        let endpoint_config = identity::endpoint_config(&config.data_dir)?;
        let listen = config.listen;
        let socket = while_busy(
            || udp_socket(listen),
            |e| e.kind() == std::io::ErrorKind::AddrInUse && listen.port() != 0,
        )
        .await
        .map_err(io(&format!("listening on {}", config.listen)))?;
        let endpoint = quinn::Endpoint::new(
            endpoint_config,
            Some(server_config),
            socket,
            Arc::new(quinn::TokioRuntime),
        )
        .map_err(io("starting QUIC"))?;
        let addr = endpoint
            .local_addr()
            .map_err(io("reading the local address"))?;
        let host = if addr.ip().is_unspecified() {
            let first = config.hosts.first().cloned();
            first.unwrap_or_else(|| "127.0.0.1".into())
        } else {
            addr.ip().to_string()
        };
        let invite = Invite {
            host,
            port: addr.port(),
            fingerprint: Some(fingerprint),
            room_key: config.room_key.clone(),
        };
        let shared = Arc::new(Shared {
            room,
            handshaking: std::sync::atomic::AtomicUsize::new(0),
            limits: config.limits.clone(),
            room_key: config.room_key.clone(),
            stats,
        });
        let (stop, stopped) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(endpoint.clone(), shared.clone(), stopped));
        tracing::info!(%addr, %fingerprint, "relay listening");
        Ok(Relay {
            endpoint,
            shared,
            stop,
            accept,
            invite,
            fingerprint,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.endpoint.local_addr().expect("bound socket")
    }

    /// The invite for this relay (pinned certificate, room key if any).
    pub fn invite(&self) -> Invite {
        self.invite.clone()
    }

    /// The certificate fingerprint clients pin.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Current counters.
    pub fn stats(&self) -> RelayStats {
        let stats = &self.shared.stats;
        RelayStats {
            joined: stats.joined.load(Ordering::Relaxed),
            messages: stats.messages.load(Ordering::Relaxed),
            evicted_slow: stats.evicted_slow.load(Ordering::Relaxed),
            commits: stats.commits.load(Ordering::Relaxed),
            retries: stats.retries.load(Ordering::Relaxed),
            online: self.shared.room.member_count(),
            last_seq: self.shared.room.last_seq(),
        }
    }

    /// Graceful shutdown: stop accepting, log everyone as left and make everything
    /// sequenced durable, say bye to every client, let their sessions drain and close.
    /// Takes at most a few seconds.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let mut sessions = self.accept.await.unwrap_or_default();
        self.shared.room.shutdown().await;
        // Sessions send their bye, wait for the client to have it, and close.
        let drained = tokio::time::timeout(Duration::from_secs(4), async {
            while sessions.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("some clients did not take their last frames in time");
        }
        self.endpoint.close(
            ByeReason::Shutdown.close_code().into(),
            b"relay shutting down",
        );
        sessions.abort_all();
        // Aborted sessions let go of the room (and so the log) once they are dropped.
        while sessions.join_next().await.is_some() {}
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
        let room = Arc::downgrade(&self.shared.room);
        drop(self.shared);
        // The committer may hold the room for a moment while it finishes a batch.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while room.strong_count() > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        tracing::info!("relay stopped");
    }
}

async fn accept_loop(
    endpoint: quinn::Endpoint,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut sessions = JoinSet::new();
    loop {
        let incoming = tokio::select! {
            incoming = endpoint.accept() => incoming,
            _ = stop.changed() => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
        };
        let Some(incoming) = incoming else { break };
        let open = sessions.len();
        if open >= shared.limits.max_clients + shared.limits.handshake_flood {
            tracing::warn!(open, "connection refused: relay full");
            incoming.refuse();
        } else if shared.handshaking.load(Ordering::Relaxed) >= shared.limits.handshake_flood
            && !incoming.remote_address_validated()
        {
            // Under a flood, make clients prove their address before spending a handshake.
            match incoming.retry() {
                Ok(()) => {
                    shared.stats.retries.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => e.into_incoming().ignore(),
            }
        } else {
            shared.handshaking.fetch_add(1, Ordering::Relaxed);
            sessions.spawn(session::serve(incoming, shared.clone()));
        }
    }
    sessions
}

/// Runs `op` until it succeeds or fails other than `busy`, for about 3 s at most: a
/// relay restarting on the same address or data directory waits while the old one still
/// lets go of its socket or its log's lock.
async fn while_busy<T, E>(
    mut op: impl FnMut() -> Result<T, E>,
    busy: impl Fn(&E) -> bool,
) -> Result<T, E> {
    let mut tries = 0;
    loop {
        match op() {
            Err(e) if busy(&e) && tries < 30 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}
