//! `piazza-relay`: run a Piazza room on a host.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, Result};
use clap::Parser;
use common::protocol::RateLimit;
use relay::{Limits, Relay, RelayConfig};
use tracing_subscriber::EnvFilter;

// The allocator: jemalloc, because memory freed after clients vanish (their
// connections and queues) must go back to the system. Under churn with silent clients
// it returns to 18 MiB after 40 s of quiet where glibc stays at 62 MiB, at no visible
// CPU cost (BENCHMARKS.md, "churn"). `--no-default-features` builds with the system's.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A Piazza chat relay: one room over QUIC, with a durable history.
#[derive(Parser, Debug)]
#[command(name = "piazza-relay", version, about)]
struct Cli {
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
    /// certificate and the printed invite.
    #[arg(long = "host", default_values_t = ["127.0.0.1".to_string(), "localhost".to_string()])]
    hosts: Vec<String>,
    /// Secret that invites must carry to join.
    #[arg(long, env = "PIAZZA_ROOM_KEY")]
    room_key: Option<String>,
    /// Most members online at once.
    #[arg(long, default_value_t = Limits::default().max_clients)]
    max_clients: usize,
    /// Events a joining client gets as backlog.
    #[arg(long, default_value_t = Limits::default().backlog)]
    backlog: usize,
    /// Messages per second each client may send (sustained).
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
    /// Seconds a new connection has to say hello.
    #[arg(long, default_value_t = Limits::default().hello_timeout.as_secs())]
    hello_timeout: u64,
}

fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("org", "Piazza", "piazza-relay")
        .map(|d| d.data_dir().to_owned())
        .unwrap_or_else(|| PathBuf::from("piazza-data"))
}

#[tokio::main]
async fn main() -> Result<()> {
    // Logs go to stderr (journald under systemd), colored only on a terminal; stdout
    // carries the address, fingerprint and invite.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let config = RelayConfig {
        listen: cli.listen,
        data_dir: cli.data_dir.clone(),
        cert: cli.cert.zip(cli.key),
        hosts: cli.hosts,
        room_key: cli.room_key,
        limits: Limits {
            max_clients: cli.max_clients,
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
    println!("fingerprint: {}", relay.fingerprint());
    println!("invite:      {}", relay.invite());
    shutdown_signal().await?;
    tracing::info!("shutting down");
    relay.shutdown().await;
    Ok(())
}

async fn shutdown_signal() -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("SIGINT handler")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.context("Ctrl-C handler")?;
    Ok(())
}
