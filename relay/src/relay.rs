//! [`Relay`]: start on an address with a data directory (its store, its rooms, its
//! identity), hand out invites, apply a new room configuration, shut down gracefully.
//! Accepting connections is `accept.rs`'s.

use std::{
    fs,
    net::SocketAddr,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use common::{fingerprint::Fingerprint, invite::Invite, protocol::DEFAULT_ROOM};
use tokio::{sync::watch, task::JoinSet};

use crate::{
    accept::{accept_loop, while_busy},
    identity,
    lan::Advertisement,
    limits::Limits,
    log::{jetstream::JetStreamStore, redb::RedbStore, LogError, Store},
    quic::{Endpoint, Gate},
    room::Close,
    rooms::{configured, Plan, RoomConfig, Rooms, RoomsSetup},
    session::registry::Sessions,
    stats::{RelayStats, RoomStats, Stats},
    udp_socket,
};

pub use crate::config::{RelayConfig, RelayError};

/// File name of the log (every room's) inside the data directory.
pub const LOG_FILE: &str = "piazza.redb";

/// What every session shares.
pub(crate) struct Shared {
    pub(crate) rooms: Rooms,
    pub(crate) sessions: Sessions,
    /// Connections accepted whose handshake has not finished yet.
    pub(crate) handshaking: Arc<std::sync::atomic::AtomicUsize>,
    pub(crate) limits: Limits,
    pub(crate) stats: Arc<Stats>,
    /// The owner key: a join that gives it makes its member an owner of the room.
    pub(crate) owner_key: Option<String>,
}

/// A running relay.
pub struct Relay {
    endpoint: Endpoint,
    shared: Arc<Shared>,
    store: Arc<dyn Store>,
    stop: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<JoinSet<()>>,
    /// The relay's address and trust, no room.
    base: Invite,
    fingerprint: Fingerprint,
    /// The LAN advertisement, if configured.
    lan: Option<Advertisement>,
}

/// Opens the store at `path`, waiting (3 s at most) for a relay still stopping to let go
/// of it; off the async workers (opening may repair the log after a crash, or upgrade
/// it).
async fn open_store(path: std::path::PathBuf) -> Result<RedbStore, RelayError> {
    let opening = path.clone();
    tokio::task::spawn_blocking(move || {
        for _ in 0..30 {
            match RedbStore::open(&opening) {
                Err(e) if e.is_locked() => std::thread::sleep(Duration::from_millis(100)),
                other => return other,
            }
        }
        RedbStore::open(&opening)
    })
    .await
    .map_err(|e| LogError::Task(e.to_string()))
    .and_then(|r| r)
    .map_err(|e| {
        if e.is_locked() {
            RelayError::LogInUse(path.clone())
        } else {
            RelayError::Store { path, source: e }
        }
    })
}

impl Relay {
    /// Opens the data directory (creating certificate and secrets on first start),
    /// opens the configured rooms and starts listening.
    pub async fn start(config: RelayConfig) -> Result<Relay, RelayError> {
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| RelayError::Io { what, source }
        };
        for host in &config.hosts {
            Invite::check_host(host)?;
        }
        let rooms = configured(config.room_key.as_deref(), &config.rooms)?;
        fs::create_dir_all(&config.data_dir)
            .map_err(io(&format!("creating {}", config.data_dir.display())))?;
        let cert = match &config.cert {
            Some((cert, key)) => certs::RelayCert::load_files(cert, key)?,
            None => identity::load_or_generate_cert(&config.data_dir, &config.hosts)?,
        };
        let fingerprint = cert.fingerprint();
        let mut lan = match &config.lan {
            Some(lan) => Some(Advertisement::prepare(
                lan,
                &rooms,
                config.open_rooms,
                fingerprint,
            )?),
            None => None,
        };
        let server_config = net::tls::server_config(cert.chain.clone(), cert.key())?;

        let log_path = config.data_dir.join(LOG_FILE);
        let store: Arc<dyn Store> = match &config.cluster {
            Some(cluster) => Arc::new(
                JetStreamStore::open(cluster)
                    .await
                    .map_err(RelayError::Cluster)?,
            ),
            None => Arc::new(open_store(log_path.clone()).await?),
        };
        let stats = Arc::new(Stats::default());
        let setup = RoomsSetup {
            store: store.clone(),
            configured: rooms,
            open_rooms: config.open_rooms,
            limits: config.limits.clone(),
            stats: stats.clone(),
            lose_acks: config.lose_acks,
        };
        let rooms = match Rooms::start(setup).await {
            Ok(rooms) => rooms,
            Err(source) => {
                // Closing waits for the store's writers: off the async workers.
                let closing = store.clone();
                let _ = tokio::task::spawn_blocking(move || closing.close()).await;
                if config.cluster.is_some() {
                    return Err(RelayError::Cluster(source));
                }
                return Err(RelayError::Store {
                    path: log_path,
                    source,
                });
            }
        };

        let endpoint_config = identity::endpoint_config(&config.data_dir)?;
        let listen = config.listen;
        let socket = while_busy(
            || udp_socket(listen),
            |e| e.kind() == std::io::ErrorKind::AddrInUse && listen.port() != 0,
        )
        .await
        .map_err(io(&format!("listening on {}", config.listen)))?;
        let handshaking = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let gate = Gate {
            max_clients: config.limits.max_clients,
            flood: config.limits.handshake_flood,
            handshaking: handshaking.clone(),
            stats: stats.clone(),
            queue_bytes: config.limits.queue_bytes,
        };
        let (endpoint, accepted) = Endpoint::start(socket, endpoint_config, server_config, gate)
            .map_err(io("starting QUIC"))?;
        let addr = endpoint.local_addr();
        let host = if addr.ip().is_unspecified() {
            let first = config.hosts.first().cloned();
            first.unwrap_or_else(|| "127.0.0.1".into())
        } else {
            addr.ip().to_string()
        };
        let (host, port, more) = match config.advertise.split_first() {
            Some((first, more)) => (first.host.clone(), first.port, more.to_vec()),
            None => (host, addr.port(), Vec::new()),
        };
        let base = Invite {
            host,
            port,
            more,
            fingerprint: Some(fingerprint),
            room: None,
            room_key: None,
        };
        let shared = Arc::new(Shared {
            rooms,
            sessions: Sessions::default(),
            handshaking,
            limits: config.limits.clone(),
            stats,
            owner_key: config.owner_key.clone(),
        });
        if let Some(lan) = &mut lan {
            lan.register(addr);
        }
        let (stop, stopped) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(accepted, shared.clone(), stopped));
        tokio::spawn(crate::rooms::unload_idle(Arc::downgrade(&shared)));
        tracing::info!(%addr, %fingerprint, "relay listening");
        Ok(Relay {
            endpoint,
            shared,
            store,
            stop,
            accept,
            base,
            fingerprint,
            lan,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.endpoint.local_addr()
    }

    /// The invite to the default room (pinned certificate, its key if any). It names
    /// no room, like every invite before rooms.
    pub fn invite(&self) -> Invite {
        let key = self.shared.rooms.key_of(DEFAULT_ROOM).flatten();
        self.base.for_room(None, key)
    }

    /// The invite to room `name` (with its key, if it has one), if the relay knows the
    /// room; the default room's is [`Relay::invite`].
    pub fn invite_for(&self, name: &str) -> Option<Invite> {
        let name = common::rules::validate_room_name(name).ok()?;
        let key = self.shared.rooms.key_of(&name)?;
        let room = (name != DEFAULT_ROOM).then_some(name);
        Some(self.base.for_room(room, key))
    }

    /// The rooms the operator configured (the default room first), as in force now.
    pub fn rooms(&self) -> Vec<RoomConfig> {
        self.shared.rooms.configured()
    }

    /// Applies a new set of operator rooms (what a SIGHUP does with the rooms file),
    /// without dropping anyone: added rooms open, removed ones close (their members
    /// get `RoomLeft{Deleted}`; the data stays on disk), keys apply to later joins, and
    /// members of newly archived rooms get `Archived`. The default room's key stays.
    pub async fn reload_rooms(&self, rooms: Vec<RoomConfig>) -> Result<Plan, RelayError> {
        let default_key = self.shared.rooms.key_of(DEFAULT_ROOM).flatten();
        let rooms = configured(default_key.as_deref(), &rooms)?;
        Ok(self.shared.rooms.reload(rooms).await)
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
            log_commits: self.store.commits(),
            retries: stats.retries.load(Ordering::Relaxed),
            online: self.shared.sessions.len(),
            last_seq: self.shared.rooms.default_room().last_seq(),
            rooms: self.shared.rooms.open_count(),
        }
    }

    /// Counters of room `name`, if it is open.
    pub fn room_stats(&self, name: &str) -> Option<RoomStats> {
        let room = self.shared.rooms.room(name)?;
        Some(RoomStats {
            online: room.member_count(),
            last_seq: room.last_seq(),
            archived: room.is_archived(),
        })
    }

    /// Graceful shutdown: stop accepting, log everyone as left in every room and make
    /// everything sequenced durable, say bye to every client, let their sessions drain
    /// and close, close the log. Takes at most a few seconds.
    pub async fn shutdown(self) {
        self.stop_as(Close::Shutdown).await;
    }

    /// [`Relay::shutdown`] for a relay hosted in an app whose host closes it: members
    /// are told the host closed the room (`Bye(HostClosed)`), not that the relay is
    /// restarting.
    pub async fn close_hosted(self) {
        self.stop_as(Close::HostClosed).await;
    }

    async fn stop_as(mut self, close: Close) {
        if let Some(lan) = self.lan.take() {
            lan.stop().await;
        }
        let _ = self.stop.send(true);
        let mut sessions = self.accept.await.unwrap_or_default();
        self.shared.rooms.close_all().await;
        self.shared.sessions.close_all(close);
        // Sessions send their bye, wait for the client to have it, and close.
        let drained = tokio::time::timeout(Duration::from_secs(4), async {
            while sessions.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("some clients did not take their last frames in time");
        }
        self.endpoint
            .close(close.reason().close_code(), b"relay shutting down");
        sessions.abort_all();
        // Aborted sessions let go of their rooms (and so the logs) once they are dropped.
        while sessions.join_next().await.is_some() {}
        self.endpoint.wait_idle(Duration::from_secs(2)).await;
        let rooms = self.shared.rooms.clear();
        drop(self.shared);
        // A committer may hold its room for a moment while it finishes a batch.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while rooms.iter().any(|room| room.strong_count() > 0) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        let store = self.store;
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        tracing::info!("relay stopped");
    }
}
