//! `piazza-relay`: run a Piazza relay (its rooms) on a host, or manage a stopped relay's
//! rooms (`piazza-relay rooms …`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use common::protocol::RateLimit;
use relay::{
    admin::{self, RoomsCommand},
    config::read_owner_key,
    log::{
        jetstream::{ClusterConfig, JetStreamStore, NatsAccess},
        Store,
    },
    rooms::read_rooms_file,
    LanConfig, Limits, Relay, RelayConfig, RoomConfig,
};
use tracing_subscriber::EnvFilter;

// The allocator: jemalloc, because memory freed after clients vanish (their
// connections and queues) must go back to the system. Under churn with silent clients
// it returns to 18 MiB after 40 s of quiet where glibc stays at 62 MiB, at no visible
// CPU cost (BENCHMARKS.md, "churn"). `--no-default-features` builds with the system's.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A Piazza chat relay: rooms over QUIC, each with a durable history.
#[derive(Parser, Debug)]
#[command(
    name = "piazza-relay",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: Run,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Manage the rooms of a stopped relay's data directory.
    Rooms {
        /// The relay's data directory.
        #[arg(long, env = "PIAZZA_DATA_DIR", default_value_os_t = default_data_dir())]
        data_dir: PathBuf,
        /// The rooms of a cluster (its NATS servers' URLs): `list` only; archive a
        /// cluster's room with the rooms file and a reload of every relay.
        #[arg(
            long,
            env = "PIAZZA_CLUSTER",
            value_delimiter = ',',
            value_name = "URL[,URL…]"
        )]
        cluster: Vec<String>,
        #[command(subcommand)]
        action: RoomsAction,
    },
}

#[derive(Subcommand, Debug)]
enum RoomsAction {
    /// List the rooms on record (with their last seq, archived or created by a client).
    List,
    /// Make a room read-only: members can read it and join it, not write to it.
    Archive {
        /// The room's name.
        name: String,
    },
    /// Make an archived room writable again.
    Unarchive {
        /// The room's name.
        name: String,
    },
    /// Erase a room and all its messages.
    Delete {
        /// The room's name.
        name: String,
    },
}

#[derive(Args, Debug)]
struct Run {
    /// UDP address to listen on.
    #[arg(long, default_value = "0.0.0.0:4433", env = "PIAZZA_LISTEN")]
    listen: SocketAddr,
    /// Directory for the message log, the certificate and secrets.
    #[arg(long, env = "PIAZZA_DATA_DIR", default_value_os_t = default_data_dir())]
    data_dir: PathBuf,
    /// PEM certificate chain to use instead of a generated self-signed one.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key for --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Name or address clients reach this relay at (repeatable). Goes into a generated
    /// certificate and the printed invites.
    #[arg(long = "host", default_values_t = ["127.0.0.1".to_string(), "localhost".to_string()])]
    hosts: Vec<String>,
    /// Secret that invites to the default room must carry to join it.
    #[arg(long, env = "PIAZZA_ROOM_KEY")]
    room_key: Option<String>,
    /// A file holding the owner key (surrounding white space trimmed): an app that
    /// presents it when joining a room is an owner there (removes messages and members,
    /// mutes and unmutes).
    #[arg(long, env = "PIAZZA_OWNER_KEY_FILE", value_name = "PATH")]
    owner_key_file: Option<PathBuf>,
    /// A room besides the default one (repeatable): NAME, NAME:KEY for a private room,
    /// or NAME:@FILE with the key in FILE.
    #[arg(long = "room", value_name = "NAME[:KEY]")]
    rooms: Vec<String>,
    /// A TOML file of rooms (tables `[[room]]` with name, key or key_file, archived), read again on
    /// SIGHUP: rooms added open, rooms removed close (their data stays).
    #[arg(long, env = "PIAZZA_ROOMS_FILE")]
    rooms_file: Option<PathBuf>,
    /// Clients may create rooms by joining a name the relay does not know.
    #[arg(long)]
    open_rooms: bool,
    /// Most rooms open at once (configured ones included): clients cannot create more.
    #[arg(long, default_value_t = Limits::default().max_rooms)]
    max_rooms: usize,
    /// Most rooms one client may be in at once.
    #[arg(long, default_value_t = Limits::default().max_rooms_per_client)]
    max_rooms_per_client: usize,
    /// Seconds a room may stay empty before it is unloaded from memory (its log stays;
    /// the next join opens it again).
    #[arg(long, default_value_t = Limits::default().room_idle.as_secs())]
    room_idle: u64,
    /// Most members of one room.
    #[arg(long, default_value_t = Limits::default().room_members)]
    room_members: usize,
    /// Most clients connected at once.
    #[arg(long, default_value_t = Limits::default().max_clients)]
    max_clients: usize,
    /// Events a joining client gets as backlog.
    #[arg(long, default_value_t = Limits::default().backlog)]
    backlog: usize,
    /// Messages per second each client may send (sustained, over all its rooms).
    #[arg(long, default_value_t = RateLimit::default().per_second)]
    rate: u32,
    /// Messages each client may send at once.
    #[arg(long, default_value_t = RateLimit::default().burst)]
    burst: u32,
    /// Bytes of room traffic queued for one client before it is evicted as too slow.
    #[arg(long, default_value_t = Limits::default().queue_bytes)]
    queue_bytes: usize,
    /// History pages a client may ask for at once (then --history-per-second).
    #[arg(long, default_value_t = Limits::default().history_burst)]
    history_burst: u32,
    /// History pages per second a client may ask for after the burst.
    #[arg(long, default_value_t = Limits::default().history_per_second)]
    history_per_second: u32,
    /// Rooms larger than this stop announcing joins and leaves and listing members;
    /// their members get the online count instead.
    #[arg(long, default_value_t = Limits::default().presence_limit)]
    presence_limit: usize,
    /// Keep the room logs in NATS JetStream instead of the data directory: the
    /// servers' URLs, comma-separated (every node's). The data directory still holds
    /// the certificate and secrets.
    #[arg(
        long,
        env = "PIAZZA_CLUSTER",
        value_delimiter = ',',
        value_name = "URL[,URL…]"
    )]
    cluster: Vec<String>,
    /// Replicas of the cluster's stream and buckets [default: min(3, number of
    /// --cluster URLs)].
    #[arg(long, requires = "cluster")]
    cluster_replicas: Option<usize>,
    /// Seconds the cluster remembers a message id (later resends are answered from
    /// the ids bucket).
    #[arg(long, requires = "cluster", default_value_t = 120)]
    cluster_duplicate_window: u64,
    /// NATS user (the password comes from PIAZZA_NATS_PASSWORD).
    #[arg(long, requires = "cluster", env = "PIAZZA_NATS_USER")]
    nats_user: Option<String>,
    /// NATS password, for --nats-user (better in the environment than on the command
    /// line).
    #[arg(
        long,
        requires = "nats_user",
        env = "PIAZZA_NATS_PASSWORD",
        hide_env_values = true
    )]
    nats_password: Option<String>,
    /// NATS authentication token.
    #[arg(
        long,
        requires = "cluster",
        env = "PIAZZA_NATS_TOKEN",
        hide_env_values = true
    )]
    nats_token: Option<String>,
    /// NATS credentials file (JWT and NKey seed, as `nsc` makes them).
    #[arg(long, requires = "cluster")]
    nats_creds: Option<PathBuf>,
    /// CA certificate of the NATS servers: the connection then requires TLS.
    #[arg(long, requires = "cluster")]
    nats_ca: Option<PathBuf>,
    /// Client certificate for NATS servers that verify clients (with --nats-key).
    #[arg(long, requires_all = ["cluster", "nats_key"])]
    nats_cert: Option<PathBuf>,
    /// Key of --nats-cert.
    #[arg(long, requires = "nats_cert")]
    nats_key: Option<PathBuf>,
    /// The addresses invites list, in the order clients try them: every relay of a
    /// cluster (`a.example:4433,b.example:4433`), or one DNS name with a record per
    /// relay [default: this relay's --listen address, or its first --host].
    #[arg(long, value_delimiter = ',', value_name = "HOST:PORT[,HOST:PORT…]")]
    advertise: Vec<String>,
    /// Advertise a room on the LAN under this name (DNS-SD over mDNS,
    /// `_piazza._udp.local.`): apps on the same network list it in "rooms nearby".
    /// Unauthenticated: apps show the fingerprint's short form; invites stay the
    /// verified path.
    #[arg(long, env = "PIAZZA_LAN_NAME", value_name = "NAME")]
    lan_name: Option<String>,
    /// The room --lan-name advertises [default: the default room].
    #[arg(long, requires = "lan_name", value_name = "ROOM")]
    lan_room: Option<String>,
    /// Seconds a new connection has to say hello.
    #[arg(long, default_value_t = Limits::default().hello_timeout.as_secs())]
    hello_timeout: u64,
}

fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("org", "Piazza", "piazza-relay")
        .map(|d| d.data_dir().to_owned())
        .unwrap_or_else(|| PathBuf::from("piazza-data"))
}

impl Run {
    /// The operator's rooms: the `--room` flags, then the rooms file (read now).
    fn rooms(&self) -> Result<Vec<RoomConfig>> {
        let mut rooms = Vec::new();
        for flag in &self.rooms {
            rooms.push(RoomConfig::parse_flag(flag)?);
        }
        if let Some(file) = &self.rooms_file {
            rooms.extend(read_rooms_file(file)?);
        }
        Ok(rooms)
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    // Logs go to stderr (journald under systemd), colored only on a terminal; stdout
    // carries the address, fingerprint and invites.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Rooms {
            data_dir,
            cluster,
            action,
        }) => {
            let command = match action {
                RoomsAction::List => RoomsCommand::List,
                RoomsAction::Archive { name } => RoomsCommand::Archive(name),
                RoomsAction::Unarchive { name } => RoomsCommand::Unarchive(name),
                RoomsAction::Delete { name } => RoomsCommand::Delete(name),
            };
            if cluster.is_empty() {
                print!("{}", admin::run(&data_dir, &command)?);
                return Ok(());
            }
            if command != RoomsCommand::List {
                anyhow::bail!(
                    "with --cluster, `piazza-relay rooms` only lists: the relays of a cluster \
                     run while it is changed, so archive or close a room with the rooms file \
                     and a reload of every relay (kill -HUP, or systemctl reload)"
                );
            }
            let store = JetStreamStore::open_for_admin(&ClusterConfig::new(cluster)).await?;
            let listed = tokio::task::spawn_blocking(move || {
                let out = admin::run_on(&store, &command);
                store.close();
                out
            });
            print!("{}", listed.await??);
            Ok(())
        }
        None => run(cli.run).await,
    }
}

async fn run(cli: Run) -> Result<()> {
    let config = RelayConfig {
        listen: cli.listen,
        data_dir: cli.data_dir.clone(),
        cert: cli.cert.clone().zip(cli.key.clone()),
        hosts: cli.hosts.clone(),
        room_key: cli.room_key.clone(),
        rooms: cli.rooms()?,
        open_rooms: cli.open_rooms,
        limits: Limits {
            max_clients: cli.max_clients,
            room_members: cli.room_members,
            max_rooms: cli.max_rooms,
            max_rooms_per_client: cli.max_rooms_per_client,
            room_idle: Duration::from_secs(cli.room_idle),
            backlog: cli.backlog,
            rate: RateLimit {
                per_second: cli.rate,
                burst: cli.burst,
            },
            queue_bytes: cli.queue_bytes,
            history_burst: cli.history_burst,
            history_per_second: cli.history_per_second,
            hello_timeout: Duration::from_secs(cli.hello_timeout),
            presence_limit: cli.presence_limit,
            ..Limits::default()
        },
        cluster: (!cli.cluster.is_empty()).then(|| ClusterConfig {
            replicas: cli.cluster_replicas,
            duplicate_window: Duration::from_secs(cli.cluster_duplicate_window),
            access: NatsAccess {
                user: cli.nats_user.clone().map(|u| {
                    let password = cli.nats_password.clone().unwrap_or_default();
                    (u, password)
                }),
                token: cli.nats_token.clone(),
                creds: cli.nats_creds.clone(),
                ca: cli.nats_ca.clone(),
                client_cert: cli.nats_cert.clone().zip(cli.nats_key.clone()),
            },
            ..ClusterConfig::new(cli.cluster.clone())
        }),
        advertise: advertised(&cli.advertise)?,
        lan: cli.lan_name.clone().map(|name| LanConfig {
            name,
            room: cli.lan_room.clone(),
        }),
        owner_key: match &cli.owner_key_file {
            Some(path) => Some(read_owner_key(path)?),
            None => None,
        },
        lose_acks: false,
    };
    let relay = Relay::start(config).await.with_context(|| {
        format!(
            "cannot start the relay (data dir {})",
            cli.data_dir.display()
        )
    })?;
    println!("Piazza relay listening on {} (UDP)", relay.addr());
    println!("data dir:    {}", cli.data_dir.display());
    let owner_key = match &cli.owner_key_file {
        Some(path) => Some(read_owner_key(path)?),
        None => None,
    };
    if owner_key.is_some() {
        println!("owner key:   set (apps that present it are owners of the rooms they join)");
    }
    if !cli.cluster.is_empty() {
        println!("room logs:   NATS JetStream at {}", cli.cluster.join(","));
    }
    println!("fingerprint: {}", relay.fingerprint());
    // Scripts read this line: the default room's invite, as before rooms.
    println!("invite:      {}", relay.invite());
    if let Some(key) = &owner_key {
        // Whoever joins with this link keeps order in the room: give it to the teacher
        // or moderator only.
        println!(
            "owner invite (keep it private): {}",
            common::invite::owner_invite(&relay.invite(), key)
        );
    }
    print_invites(&relay, &[]);
    serve(&relay, &cli).await?;
    tracing::info!("shutting down");
    relay.shutdown().await;
    Ok(())
}

/// The `--advertise` addresses, read the way an invite's are.
fn advertised(list: &[String]) -> Result<Vec<common::invite::Address>> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let invite: common::invite::Invite = format!("piazza://{}/", list.join(","))
        .parse()
        .with_context(|| format!("--advertise {}", list.join(",")))?;
    Ok(invite.addresses())
}

/// Prints `invite NAME: …` for every configured room but the default one and `skip`.
fn print_invites(relay: &Relay, skip: &[String]) {
    for room in relay.rooms().iter().skip(1) {
        if skip.contains(&room.name) {
            continue;
        }
        if let Some(invite) = relay.invite_for(&room.name) {
            println!("invite {}: {invite}", room.name);
        }
    }
}

/// Serves until SIGINT or SIGTERM; on SIGHUP, reads the rooms again and applies them.
async fn serve(relay: &Relay, cli: &Run) -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
        let mut hup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
        loop {
            tokio::select! {
                r = tokio::signal::ctrl_c() => return r.context("SIGINT handler"),
                _ = term.recv() => return Ok(()),
                _ = hup.recv() => reload(relay, cli).await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (relay, cli);
        tokio::signal::ctrl_c().await.context("Ctrl-C handler")
    }
}

/// Applies the rooms as the flags and the rooms file define them now; a file that
/// cannot be read or is wrong changes nothing (and says why).
async fn reload(relay: &Relay, cli: &Run) {
    tracing::info!("SIGHUP: reading the rooms again");
    let before: Vec<String> = relay.rooms().into_iter().map(|r| r.name).collect();
    let rooms = match cli.rooms() {
        Ok(rooms) => rooms,
        Err(e) => return tracing::error!("rooms unchanged: {e:#}"),
    };
    match relay.reload_rooms(rooms).await {
        Ok(plan) => {
            for name in &plan.removed {
                tracing::info!(room = %name, "room closed (its data stays on disk)");
            }
            print_invites(relay, &before);
        }
        Err(e) => tracing::error!("rooms unchanged: {e}"),
    }
}
