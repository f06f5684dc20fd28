//! [`JetStreamStore`]: every room's log in NATS JetStream (`--cluster`), the first step
//! of the cluster: one relay keeps its rooms in a replicated stream instead of the
//! embedded redb, so a relay restarted anywhere (a fresh data directory) finds them.
//!
//! Layout (made so that several relays can share it next):
//!
//! | where | key | value |
//! |---|---|---|
//! | stream `PIAZZA`, subject `piazza.room.<room hex>` | stream seq = event seq | `RoomEvent` (codec, seq 0) |
//! | KV `piazza-ids` | `<room>.<install hex>.<counter>` | seq of that message |
//! | KV `piazza-installs` | `<room>.<install hex>` | highest counter stored |
//! | KV `piazza-present` | `<room>.<name hex>` | — (joined, not left since) |
//! | KV `piazza-rooms` | `<name hex>` | flags: archived 1, created by a client 2 |
//!
//! One stream for every room: its seqs are the events' seqs, so a room's seqs increase
//! with gaps (other rooms' events in between). Messages are published with
//! `Nats-Msg-Id` = room and client id, so JetStream drops a resend within its duplicate
//! window; `piazza-ids` (put-if-absent) answers resends after it. The present set, the
//! install counters and the catalogue are KV records rather than derived from the
//! stream: opening a room reads a few keys instead of scanning its whole history.
//!
//! Works with nats-server 2.9: `create_key_value` is not used (see [`kv_compat`]).

mod follow;
mod members;
mod room;
mod scan;

use std::{
    fmt::Display,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use async_nats::jetstream::{self, kv, stream};
use bytes::Bytes;
use common::protocol::{InstallId, RoomId};
use tokio::runtime::Handle;

use super::{LogError, RoomLog, RoomRecord, Store};
pub use room::JetStreamRoomLog;

/// The stream of every room's events.
pub const STREAM: &str = "PIAZZA";
/// KV bucket: client message id → seq.
pub const IDS: &str = "piazza-ids";
/// KV bucket: (room, install) → highest counter stored.
pub const INSTALLS: &str = "piazza-installs";
/// KV bucket: (room, name) of names joined and not left since.
pub const PRESENT: &str = "piazza-present";
/// KV bucket: room name → flags.
pub const ROOMS: &str = "piazza-rooms";
/// KV bucket: the relays alive (see [`members`]).
pub const RELAYS: &str = "piazza-relays";
/// KV bucket: (room, name key) → the relay and install using the name.
pub const MEMBERS: &str = "piazza-members";

/// Flag of [`ROOMS`]: archived.
const ARCHIVED: u8 = 1;
/// Flag of [`ROOMS`]: created by a client.
const BY_CLIENT: u8 = 2;

/// How a relay reaches its cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `nats://host:port` of the servers (every node's, ideally).
    pub urls: Vec<String>,
    /// Replicas of the stream and buckets; `None`: min(3, number of urls).
    pub replicas: Option<usize>,
    /// How long JetStream remembers a message id (resends later are answered from
    /// `piazza-ids`).
    pub duplicate_window: Duration,
    /// How long one write is retried (same message id) before it is given up.
    pub retry_for: Duration,
    /// How the relay proves who it is to the servers, and checks who they are.
    pub access: NatsAccess,
}

/// Credentials and TLS for the NATS connection (all optional: a cluster on a private
/// network may need none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NatsAccess {
    /// User and password.
    pub user: Option<(String, String)>,
    /// An authentication token.
    pub token: Option<String>,
    /// A `.creds` file (JWT and NKey seed, for accounts set up with `nsc`).
    pub creds: Option<std::path::PathBuf>,
    /// The CA that signed the servers' certificates: the connection requires TLS.
    pub ca: Option<std::path::PathBuf>,
    /// A client certificate and its key, for servers that verify clients.
    pub client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl NatsAccess {
    /// `options` with these credentials and TLS settings.
    async fn apply(
        &self,
        mut options: async_nats::ConnectOptions,
    ) -> Result<async_nats::ConnectOptions, LogError> {
        if let Some((user, password)) = &self.user {
            options = options.user_and_password(user.clone(), password.clone());
        }
        if let Some(token) = &self.token {
            options = options.token(token.clone());
        }
        if let Some(creds) = &self.creds {
            options = options.credentials_file(creds).await.map_err(|e| {
                LogError::Cluster(format!("the NATS credentials {}: {e}", creds.display()))
            })?;
        }
        if let Some(ca) = &self.ca {
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        if let Some((cert, key)) = &self.client_cert {
            options = options
                .add_client_certificate(cert.clone(), key.clone())
                .require_tls(true);
        }
        Ok(options)
    }
}

impl ClusterConfig {
    /// The servers at `urls`, defaults otherwise: replicas min(3, servers), duplicate
    /// window 2 min, writes retried for 20 s.
    pub fn new(urls: Vec<String>) -> Self {
        Self {
            urls,
            replicas: None,
            duplicate_window: Duration::from_secs(120),
            retry_for: Duration::from_secs(20),
            access: NatsAccess::default(),
        }
    }

    /// The replicas asked for, or min(3, number of urls).
    pub fn replicas(&self) -> usize {
        self.replicas.unwrap_or(self.urls.len().clamp(1, 3))
    }
}

/// A failure to reach the cluster, in plain words.
pub(crate) fn unreachable(e: impl Display) -> LogError {
    LogError::Cluster(format!("the cluster is unreachable: {e}"))
}

/// A request the cluster answered with an error.
pub(crate) fn refused(what: &str, e: impl Display) -> LogError {
    LogError::Cluster(format!("the cluster refused {what}: {e}"))
}

/// `<room hex>`: a room's token in subjects and keys.
pub(crate) fn room_token(room: RoomId) -> String {
    format!("{:016x}", room.0)
}

/// The subject of a room's events.
pub(crate) fn subject(room: RoomId) -> String {
    format!("piazza.room.{}", room_token(room))
}

/// `<room>.<install hex>`.
pub(crate) fn install_key(room: RoomId, install: InstallId) -> String {
    format!("{}.{}", room_token(room), hex::encode(install.0))
}

/// What the handles of one store share: the connection, the stream, the buckets.
pub(crate) struct Cluster {
    pub(crate) js: jetstream::Context,
    pub(crate) stream: stream::Stream,
    pub(crate) ids: kv::Store,
    pub(crate) installs: kv::Store,
    pub(crate) present: kv::Store,
    pub(crate) rooms: kv::Store,
    pub(crate) relays: kv::Store,
    pub(crate) members: kv::Store,
    /// This relay's id in the cluster (new each time it starts).
    pub(crate) relay: String,
    pub(crate) retry_for: Duration,
    /// The runtime the connection lives on: blocking reads run their requests on it.
    pub(crate) rt: Handle,
    pub(crate) closed: AtomicBool,
    /// Batches handed over and not answered yet.
    pub(crate) busy: AtomicUsize,
    pub(crate) commits: AtomicU64,
}

/// Longest a blocking read waits for the cluster.
const READ_TIMEOUT: Duration = Duration::from_secs(15);

impl Cluster {
    /// Runs `f` on the connection's runtime and waits for it: from a blocking thread
    /// (`log::blocking`), never on an async worker.
    pub(crate) fn block<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, LogError>>,
    ) -> Result<T, LogError> {
        self.rt
            .block_on(async { tokio::time::timeout(READ_TIMEOUT, f).await })
            .unwrap_or_else(|_| Err(unreachable("no answer in 15 s")))
    }

    /// The KV stream behind `bucket`.
    pub(crate) async fn kv_stream(&self, bucket: &str) -> Result<stream::Stream, LogError> {
        self.js
            .get_stream(format!("KV_{bucket}"))
            .await
            .map_err(unreachable)
    }
}

/// The JetStream store: one connection to the cluster for every room.
pub struct JetStreamStore {
    cluster: Arc<Cluster>,
}

impl JetStreamStore {
    /// Connects to the cluster (retrying while its servers start), waits until JetStream
    /// answers (60 s at most), makes or checks the stream and the buckets, and starts
    /// this relay's heartbeat. Call from inside the runtime the store will live on.
    pub async fn open(config: &ClusterConfig) -> Result<Self, LogError> {
        let store = Self::connect(config).await?;
        members::start(store.cluster.clone());
        Ok(store)
    }

    /// Like [`JetStreamStore::open`], for a command that reads the cluster (no
    /// heartbeat: it is not a relay).
    pub async fn open_for_admin(config: &ClusterConfig) -> Result<Self, LogError> {
        Self::connect(config).await
    }

    async fn connect(config: &ClusterConfig) -> Result<Self, LogError> {
        let addrs = config
            .urls
            .iter()
            .map(|u| u.parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LogError::Cluster(format!("a --cluster address is wrong: {e}")))?;
        if addrs.is_empty() {
            return Err(LogError::Cluster("no cluster address given".into()));
        }
        let options = config
            .access
            .apply(async_nats::ConnectOptions::new())
            .await?;
        let client = options
            .name("piazza-relay")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(2))
            // A server that stops answering (not just closing) is left within seconds.
            .ping_interval(Duration::from_secs(2))
            .event_callback(|event| async move { tracing::info!("cluster connection: {event}") })
            .connect(addrs)
            .await
            .map_err(unreachable)?;
        let js = jetstream::new(client);
        ready(&js).await?;
        let replicas = config.replicas();
        let stream = ensure_stream(&js, config, replicas).await?;
        let bucket = |name: &str| kv::Config {
            bucket: name.into(),
            history: 1,
            num_replicas: replicas,
            storage: stream::StorageType::File,
            ..Default::default()
        };
        let ids = kv_compat(&js, bucket(IDS)).await?;
        let installs = kv_compat(&js, bucket(INSTALLS)).await?;
        let present = kv_compat(&js, bucket(PRESENT)).await?;
        let rooms = kv_compat(&js, bucket(ROOMS)).await?;
        let relays = kv_compat(
            &js,
            kv::Config {
                max_age: members::RELAY_TTL,
                ..bucket(RELAYS)
            },
        )
        .await?;
        let members = kv_compat(&js, bucket(MEMBERS)).await?;
        let relay = format!("{:016x}", rand::random::<u64>());
        tracing::info!(replicas, relay = %relay, "room logs in NATS JetStream (stream {STREAM})");
        let cluster = Arc::new(Cluster {
            js,
            stream,
            ids,
            installs,
            present,
            rooms,
            relays,
            members,
            relay,
            retry_for: config.retry_for,
            rt: Handle::current(),
            closed: AtomicBool::new(false),
            busy: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
        });
        Ok(Self { cluster })
    }
}

/// Waits until JetStream answers `$JS.API.INFO` without an error (a fresh cluster
/// takes about 10 s to elect its meta leader), 60 s at most.
async fn ready(js: &jetstream::Context) -> Result<(), LogError> {
    let start = Instant::now();
    loop {
        // Not `query_account`: async-nats 0.51 cannot read a 2.9 server's answer.
        let last = match js.client().request("$JS.API.INFO", "".into()).await {
            Ok(m) if !String::from_utf8_lossy(&m.payload).contains("\"error\"") => return Ok(()),
            Ok(m) => String::from_utf8_lossy(&m.payload).into_owned(),
            Err(e) => e.to_string(),
        };
        if start.elapsed() > Duration::from_secs(60) {
            return Err(unreachable(format!(
                "JetStream is not ready after 60 s ({last})"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Retries `f` while the cluster is still electing leaders (30 s at most).
async fn settling<T, E: Display, F: std::future::Future<Output = Result<T, E>>>(
    what: &str,
    mut f: impl FnMut() -> F,
) -> Result<T, LogError> {
    let start = Instant::now();
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() < Duration::from_secs(30) => {
                tracing::debug!("{what}: {e} (retrying)");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => return Err(refused(what, e)),
        }
    }
}

/// Gets the stream, or makes it; a duplicate window or replica count that differs from
/// the config is updated.
async fn ensure_stream(
    js: &jetstream::Context,
    config: &ClusterConfig,
    replicas: usize,
) -> Result<stream::Stream, LogError> {
    let wanted = stream::Config {
        name: STREAM.into(),
        subjects: vec!["piazza.room.>".into()],
        num_replicas: replicas,
        storage: stream::StorageType::File,
        duplicate_window: config.duplicate_window,
        allow_direct: true,
        ..Default::default()
    };
    if let Ok(mut stream) = js.get_stream(STREAM).await {
        let info = stream.info().await.map_err(unreachable)?;
        let have = &info.config;
        if have.duplicate_window != wanted.duplicate_window || have.num_replicas != replicas {
            let mut update = have.clone();
            update.duplicate_window = wanted.duplicate_window;
            update.num_replicas = replicas;
            if let Err(e) = js.update_stream(&update).await {
                tracing::warn!("the stream {STREAM} keeps its settings: {e}");
            }
        }
        return Ok(stream);
    }
    settling("creating the stream", || {
        js.get_or_create_stream(wanted.clone())
    })
    .await
}

/// Makes a KV bucket (or binds to it) the way nats-server 2.9 accepts: async-nats
/// 0.51's `create_key_value` asks for account fields that 2.9 does not report, so the
/// bucket's stream is made here (the config async-nats would make) and bound with
/// `get_key_value`.
async fn kv_compat(js: &jetstream::Context, c: kv::Config) -> Result<kv::Store, LogError> {
    let name = format!("KV_{}", c.bucket);
    if js.get_stream(&name).await.is_err() {
        let config = stream::Config {
            name,
            subjects: vec![format!("$KV.{}.>", c.bucket)],
            max_messages_per_subject: c.history.max(1),
            max_bytes: c.max_bytes,
            max_age: c.max_age,
            // At most the age (nats-server refuses a longer window).
            duplicate_window: if c.max_age.is_zero() {
                Duration::from_secs(120)
            } else {
                c.max_age
            },
            max_message_size: c.max_value_size,
            storage: c.storage,
            num_replicas: c.num_replicas.max(1),
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        };
        let what = format!("creating the bucket {}", c.bucket);
        settling(&what, || js.get_or_create_stream(config.clone())).await?;
    }
    js.get_key_value(&c.bucket).await.map_err(unreachable)
}

impl Store for JetStreamStore {
    fn log(&self, room: RoomId) -> Arc<dyn RoomLog> {
        Arc::new(JetStreamRoomLog::new(room, self.cluster.clone()))
    }

    fn rooms(&self) -> Result<Vec<RoomRecord>, LogError> {
        let c = &self.cluster;
        let mut out = c.block(async {
            let kv = c.kv_stream(ROOMS).await?;
            let mut out = Vec::new();
            scan::last_per_key(&kv, ROOMS, "", |key, value, _| {
                let Some(name) = hex::decode(key)
                    .ok()
                    .and_then(|n| String::from_utf8(n).ok())
                else {
                    return;
                };
                let flags: u8 = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                out.push(RoomRecord {
                    name,
                    archived: flags & ARCHIVED != 0,
                    by_client: flags & BY_CLIENT != 0,
                });
            })
            .await?;
            Ok(out)
        })?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn put_rooms(&self, records: &[RoomRecord]) -> Result<(), LogError> {
        let c = &self.cluster;
        c.block(async {
            for r in records {
                let flags = u8::from(r.archived) * ARCHIVED + u8::from(r.by_client) * BY_CLIENT;
                let value = Bytes::from(flags.to_string());
                c.rooms
                    .put(hex::encode(&r.name), value)
                    .await
                    .map_err(unreachable)?;
            }
            Ok(())
        })
    }

    fn delete_room(&self, name: &str) -> Result<bool, LogError> {
        let c = &self.cluster;
        let room = RoomId::of(name);
        let log = JetStreamRoomLog::new(room, c.clone());
        let had_events = log.last_seq()? > 0;
        c.block(async {
            let key = hex::encode(name);
            let had_record = c.rooms.get(&key).await.map_err(unreachable)?.is_some();
            c.stream
                .purge()
                .filter(subject(room))
                .await
                .map_err(unreachable)?;
            for bucket in [IDS, INSTALLS, PRESENT] {
                let kv = c.kv_stream(bucket).await?;
                let filter = format!("$KV.{bucket}.{}.>", room_token(room));
                kv.purge().filter(filter).await.map_err(unreachable)?;
            }
            if had_record {
                c.rooms.purge(&key).await.map_err(unreachable)?;
            }
            Ok(had_record || had_events)
        })
    }

    fn commits(&self) -> u64 {
        self.cluster.commits.load(Ordering::Relaxed)
    }

    fn close(&self) {
        let c = &self.cluster;
        c.closed.store(true, Ordering::SeqCst);
        let until = Instant::now() + Duration::from_secs(5);
        while c.busy.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        if c.busy.load(Ordering::SeqCst) > 0 {
            tracing::warn!("some batches were not stored in the cluster in time");
        }
    }
}
