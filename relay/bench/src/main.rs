//! `piazza-bench`: load a Piazza relay over real QUIC and print what it sustains.
//!
//! By default it starts the `piazza-relay` binary next to it, pinned to one core with
//! `taskset`, with rate limits raised by flags (persistence, acks after durability and
//! slow-consumer eviction stay on), and runs the load pinned to the other core. Results
//! print as a table and as one JSON line each (`{"bench":…}`).

use std::{
    cell::RefCell,
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    rc::Rc,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use bytes::BytesMut;
use clap::{Parser, ValueEnum};
use common::{
    codec::{self, FrameReader},
    invite::Invite,
    protocol::{
        ClientFrame, ClientMsgId, EventKind, Hello, InstallId, RoomEvent, ServerFrame,
        PROTOCOL_VERSION,
    },
    tls,
};
use hdrhistogram::Histogram;

/// Load a Piazza relay: fan-out, light-load latency, connection scale.
#[derive(Parser, Debug)]
#[command(name = "piazza-bench", version)]
struct Cli {
    /// Load this relay instead of starting one (an invite or host:port).
    #[arg(long)]
    invite: Option<String>,
    /// Scenarios to run.
    #[arg(long, value_delimiter = ',', default_value = "fanout,light,scale")]
    scenarios: Vec<Scenario>,
    /// Receivers in the room for the fan-out scenario.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    receivers: Vec<usize>,
    /// Senders in the fan-out scenario.
    #[arg(long, default_value_t = 4)]
    senders: usize,
    /// Seconds each fan-out rate step lasts.
    #[arg(long, default_value_t = 3.0)]
    step_secs: f64,
    /// Delivered messages/s of the first fan-out step.
    #[arg(long, default_value_t = 100_000.0)]
    start_delivered: f64,
    /// Factor between fan-out steps (a smaller one finds the limit more finely).
    #[arg(long, default_value_t = 1.4)]
    ramp: f64,
    /// Idle clients for the scale scenario.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    clients: Vec<usize>,
    /// Core the started relay is pinned to.
    #[arg(long, default_value_t = 0)]
    relay_cpu: usize,
    /// Core the load runs on.
    #[arg(long, default_value_t = 1)]
    load_cpu: usize,
    /// The relay binary to start (default: piazza-relay next to this binary).
    #[arg(long)]
    relay_bin: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Scenario {
    Fanout,
    Light,
    Scale,
}

/// Bytes of the text every load message carries (a send timestamp, then padding).
const TEXT_BYTES: usize = 100;
/// Latency over which a step counts as falling behind.
const P99_LIMIT_MS: f64 = 100.0;

fn main() -> Result<()> {
    let cli = Cli::parse();
    if cli.invite.is_none() {
        pin_self(cli.load_cpu);
    }
    run(cli)
}

/// Runs one measurement on a fresh single-threaded runtime, so that nothing left from an
/// earlier one (connections, tasks) competes with it.
fn measure<F: std::future::Future<Output = Result<()>>>(fut: F) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&rt, fut);
    drop(local);
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

/// Pins every thread of this process to one core (new threads inherit it).
fn pin_self(cpu: usize) {
    let ok = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &cpu.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("warning: could not pin the load to core {cpu} (taskset missing?)");
    }
}

struct RelayProcess {
    child: Child,
    invite: Invite,
    _dir: tempfile::TempDir,
}

impl RelayProcess {
    fn start(cli: &Cli) -> Result<Self> {
        let bin = match &cli.relay_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()?.with_file_name("piazza-relay"),
        };
        let dir = tempfile::tempdir()?;
        let mut child = Command::new("taskset")
            .args(["-c", &cli.relay_cpu.to_string()])
            .arg(&bin)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--rate",
                "10000000",
                "--burst",
                "10000000",
                "--max-clients",
                "20000",
                "--data-dir",
            ])
            .arg(dir.path())
            .env(
                "RUST_LOG",
                std::env::var("BENCH_RELAY_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} under taskset", bin.display()))?;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let invite = loop {
            let Some(line) = lines.next() else {
                bail!("the relay exited before printing its invite")
            };
            if let Some(rest) = line?.strip_prefix("invite:") {
                break rest.trim().parse::<Invite>()?;
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(Self {
            child,
            invite,
            _dir: dir,
        })
    }

    /// CPU time (user + system) the relay has used so far.
    fn cpu_time(&self) -> Option<Duration> {
        process_cpu_time(&self.child.id().to_string())
    }

    fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}

/// CPU time (user + system) a process (a pid, or `self`) has used so far.
fn process_cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses): utime is the 12th,
    // stime the 13th, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// A share of one core over `secs`, from CPU times before and after.
fn cpu_share(before: Option<Duration>, after: Option<Duration>, secs: f64) -> String {
    match (before, after) {
        (Some(a), Some(b)) => format!("{:.0}%", (b - a).as_secs_f64() / secs * 100.0),
        _ => "n/a".into(),
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cli: Cli) -> Result<()> {
    println!(
        "piazza-bench {} — relay {}, load on core {}",
        utc_minute(),
        match &cli.invite {
            Some(i) => format!("at {i}"),
            None => format!("started on core {} (taskset)", cli.relay_cpu),
        },
        cli.load_cpu
    );
    for scenario in cli.scenarios.clone() {
        match scenario {
            Scenario::Fanout => {
                for &r in &cli.receivers {
                    let relay = target(&cli)?;
                    measure(fanout(&cli, &relay, r))?;
                }
            }
            Scenario::Light => {
                let relay = target(&cli)?;
                measure(light(relay.invite()))?;
            }
            Scenario::Scale => {
                for &c in &cli.clients {
                    let relay = target(&cli)?;
                    measure(scale(&relay, c))?;
                }
            }
        }
    }
    Ok(())
}

fn utc_minute() -> String {
    Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%dT%H:%MZ")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

enum Target {
    Started(RelayProcess),
    Given(Invite),
}

impl Target {
    fn cpu_time(&self) -> Option<Duration> {
        match self {
            Self::Started(r) => r.cpu_time(),
            Self::Given(_) => None,
        }
    }

    fn invite(&self) -> Invite {
        match self {
            Self::Started(r) => r.invite.clone(),
            Self::Given(i) => i.clone(),
        }
    }
}

fn target(cli: &Cli) -> Result<Target> {
    Ok(match &cli.invite {
        Some(i) => Target::Given(i.parse()?),
        None => Target::Started(RelayProcess::start(cli)?),
    })
}

/// One benchmark client connection.
struct Client {
    send: quinn::SendStream,
    recv: FrameReader,
    install: InstallId,
    counter: u64,
    conn: quinn::Connection,
}

struct Endpoints {
    endpoints: Vec<quinn::Endpoint>,
    next: usize,
    config: quinn::ClientConfig,
    addr: SocketAddr,
    invite: Invite,
}

impl Endpoints {
    fn new(invite: &Invite, count: usize) -> Result<Self> {
        let addr: SocketAddr = invite
            .authority()
            .parse()
            .context("benchmark needs an IP invite")?;
        let bind = if addr.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        // Large socket buffers (as the relay has): with the default of ~200 KiB, a
        // fan-out burst to hundreds of receivers overflows and QUIC has to recover the
        // drops, which shows as latency that is the load's, not the relay's.
        let endpoints = (0..count.max(1))
            .map(|_| {
                quinn::Endpoint::new(
                    quinn::EndpointConfig::default(),
                    None,
                    relay::udp_socket(bind)?,
                    Arc::new(quinn::TokioRuntime),
                )
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self {
            endpoints,
            next: 0,
            config: tls::client_config(invite.trust())?,
            addr,
            invite: invite.clone(),
        })
    }

    fn join(
        &mut self,
        name: String,
    ) -> impl std::future::Future<Output = Result<Client>> + 'static {
        let endpoint = self.endpoints[self.next % self.endpoints.len()].clone();
        self.next += 1;
        join(
            endpoint,
            self.config.clone(),
            self.addr,
            self.invite.clone(),
            name,
        )
    }
}

async fn join(
    endpoint: quinn::Endpoint,
    config: quinn::ClientConfig,
    addr: SocketAddr,
    invite: Invite,
    name: String,
) -> Result<Client> {
    let conn = endpoint
        .connect_with(config, addr, &invite.host)?
        .await
        .context("handshake")?;
    let (mut send, recv) = conn.open_bi().await.context("opening the stream")?;
    let install = InstallId::random();
    let hello = ClientFrame::Hello(Hello {
        version: PROTOCOL_VERSION,
        name,
        install,
        room_key: invite.room_key.clone(),
        resume_after: None,
    });
    send.write_all(&codec::encode(&hello)?).await?;
    let mut recv = FrameReader::new(recv);
    match recv
        .next::<ServerFrame>()
        .await
        .context("waiting for the welcome")?
    {
        ServerFrame::Welcome(_) => {}
        other => bail!("not welcomed: {other:?}"),
    }
    Ok(Client {
        send,
        recv,
        install,
        counter: 0,
        conn,
    })
}

/// What receivers saw, per rate step.
#[derive(Default)]
struct Recorder {
    steps: Vec<StepRecord>,
}

struct StepRecord {
    received: u64,
    latency_us: Histogram<u64>,
}

impl Recorder {
    fn record(&mut self, step: usize, latency: Duration) {
        while self.steps.len() <= step {
            self.steps.push(StepRecord {
                received: 0,
                latency_us: Histogram::new_with_bounds(1, 60_000_000, 3).expect("bounds"),
            });
        }
        let s = &mut self.steps[step];
        s.received += 1;
        let _ = s
            .latency_us
            .record((latency.as_micros() as u64).clamp(1, 60_000_000));
    }
}

/// Message text: step (4 digits), send time in µs since `base` (16 digits), padding.
fn load_text(step: usize, base: Instant) -> String {
    let mut text = format!("{step:04}{:016}", base.elapsed().as_micros());
    text.extend(std::iter::repeat_n('.', TEXT_BYTES - text.len()));
    text
}

fn parse_text(text: &str, base: Instant) -> Option<(usize, Duration)> {
    let step = text.get(0..4)?.parse().ok()?;
    let sent_us: u64 = text.get(4..20)?.parse().ok()?;
    let now = base.elapsed();
    Some((step, now.saturating_sub(Duration::from_micros(sent_us))))
}

/// Reads frames until the connection ends, recording load messages.
async fn receive(
    mut recv: FrameReader,
    _conn: quinn::Connection,
    base: Instant,
    recorder: Option<Rc<RefCell<Recorder>>>,
) {
    loop {
        let frame = match recv.next::<ServerFrame>().await {
            Ok(f) => f,
            Err(_) => break,
        };
        if let (
            Some(rec),
            ServerFrame::Event(RoomEvent {
                kind: EventKind::Message { text, .. },
                ..
            }),
        ) = (&recorder, frame)
        {
            if let Some((step, latency)) = parse_text(&text, base) {
                rec.borrow_mut().record(step, latency);
            }
        }
    }
}

/// Sends `rate` messages per second (open loop) for `secs`, in ~1 ms ticks, batching the
/// messages due in a tick into one write. Returns how many it sent.
async fn send_at(
    mut client: Sender,
    rate: f64,
    secs: f64,
    step: usize,
    base: Instant,
) -> Result<(Sender, u64)> {
    let start = Instant::now();
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut buf = BytesMut::new();
    loop {
        tick.tick().await;
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= secs {
            return Ok((client, sent));
        }
        let due = (elapsed * rate) as u64;
        while sent < due {
            client.counter += 1;
            let frame = codec::encode(&ClientFrame::Send {
                id: ClientMsgId {
                    install: client.install,
                    counter: client.counter,
                },
                text: load_text(step, base),
            })?;
            buf.extend_from_slice(&frame);
            sent += 1;
        }
        if !buf.is_empty() {
            client.send.write_all(&buf).await?;
            buf.clear();
        }
    }
}

struct StepResult {
    rate: f64,
    delivered_per_s: f64,
    losses: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl StepResult {
    fn behind(&self) -> bool {
        self.losses > 0 || self.p99_ms > P99_LIMIT_MS
    }
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// Joins `receivers` silent receivers (at most 128 handshakes at once) and `senders`
/// senders; returns the senders, whose own copies are drained in the background, and how
/// many receivers failed to join (with the first error).
async fn room(
    invite: &Invite,
    receivers: usize,
    senders: usize,
    base: Instant,
    recorder: &Rc<RefCell<Recorder>>,
) -> Result<(Vec<Sender>, usize, Option<anyhow::Error>)> {
    let mut eps = Endpoints::new(invite, receivers.div_ceil(500))?;
    let mut joins = tokio::task::JoinSet::new();
    let mut failed = 0;
    let mut first_error = None;
    let mut settle = |joined: Result<Client>, failed: &mut usize| match joined {
        Ok(c) => spawn_receiver(c, base, Some(recorder.clone())),
        Err(e) => {
            *failed += 1;
            first_error.get_or_insert(e);
        }
    };
    for i in 0..receivers {
        if joins.len() >= 128 {
            let joined = joins.join_next().await.expect("running")?;
            settle(joined, &mut failed);
        }
        joins.spawn_local(eps.join(format!("r{i}")));
    }
    while let Some(joined) = joins.join_next().await {
        settle(joined?, &mut failed);
    }
    let mut out = Vec::new();
    for i in 0..senders {
        let Client {
            send,
            recv,
            install,
            counter,
            conn,
        } = eps.join(format!("s{i}")).await?;
        tokio::task::spawn_local(receive(recv, conn, base, None));
        out.push(Sender {
            send,
            install,
            counter,
        });
    }
    Ok((out, failed, first_error))
}

/// Like [`room`], but every receiver must join.
async fn full_room(
    invite: &Invite,
    receivers: usize,
    senders: usize,
    base: Instant,
    recorder: &Rc<RefCell<Recorder>>,
) -> Result<Vec<Sender>> {
    let (senders, failed, error) = room(invite, receivers, senders, base, recorder).await?;
    match error {
        Some(e) => Err(e.context(format!("{failed} of {receivers} receivers could not join"))),
        None => Ok(senders),
    }
}

fn spawn_receiver(c: Client, base: Instant, recorder: Option<Rc<RefCell<Recorder>>>) {
    let Client {
        recv, conn, send, ..
    } = c;
    tokio::task::spawn_local(async move {
        // Finishing the send half would tell the relay we left: keep it open.
        let _send = send;
        receive(recv, conn, base, recorder).await;
    });
}

/// The sending half of a client.
struct Sender {
    send: quinn::SendStream,
    install: InstallId,
    counter: u64,
}

/// Runs every future concurrently on this thread; results in order.
async fn all<T: 'static>(futs: Vec<impl std::future::Future<Output = T> + 'static>) -> Vec<T> {
    let handles: Vec<_> = futs.into_iter().map(tokio::task::spawn_local).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

async fn fanout(cli: &Cli, relay: &Target, receivers: usize) -> Result<()> {
    let invite = relay.invite();
    let base = Instant::now();
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let mut senders = full_room(&invite, receivers, cli.senders, base, &recorder).await?;
    println!(
        "\nfan-out: {receivers} receivers, {} senders, {TEXT_BYTES}-byte texts",
        cli.senders
    );
    println!(
        "{:>10} {:>14} {:>8} {:>9} {:>9} {:>9} {:>10} {:>9}",
        "msgs/s in", "delivered/s", "losses", "p50 ms", "p99 ms", "max ms", "relay CPU", "load CPU"
    );
    let mut rate = (cli.start_delivered / receivers as f64).max(10.0);
    let mut best: Option<StepResult> = None;
    for step in 0..40 {
        let per_sender = rate / senders.len() as f64;
        let cpu_before = relay.cpu_time();
        let load_before = process_cpu_time("self");
        let mut sent = 0;
        let sends: Vec<_> = senders
            .drain(..)
            .map(|s| send_at(s, per_sender, cli.step_secs, step, base))
            .collect();
        // A sender the relay dropped (evicted as too slow) ends the ramp: that step fell
        // behind whatever its counts say.
        let mut sender_lost = None;
        for r in all(sends).await {
            match r {
                Ok((s, n)) => {
                    sent += n;
                    senders.push(s);
                }
                Err(e) => {
                    sender_lost.get_or_insert(e);
                }
            }
        }
        let relay_cpu = cpu_share(cpu_before, relay.cpu_time(), cli.step_secs);
        let load_cpu = cpu_share(load_before, process_cpu_time("self"), cli.step_secs);
        // Let the step's last messages arrive.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let result = {
            let rec = recorder.borrow();
            let empty = Histogram::new(3).unwrap();
            let (received, h) = rec
                .steps
                .get(step)
                .map(|s| (s.received, &s.latency_us))
                .unwrap_or((0, &empty));
            StepResult {
                rate,

                delivered_per_s: received as f64 / cli.step_secs,
                losses: (sent * receivers as u64).saturating_sub(received),
                p50_ms: ms(h, 0.5),
                p99_ms: ms(h, 0.99),
                max_ms: h.max() as f64 / 1000.0,
            }
        };
        println!(
            "{:>10.0} {:>14.0} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>10} {:>9}",
            result.rate,
            result.delivered_per_s,
            result.losses,
            result.p50_ms,
            result.p99_ms,
            result.max_ms,
            relay_cpu,
            load_cpu
        );
        if let Some(e) = sender_lost {
            println!("a sender lost its connection ({e:#}): the relay fell behind");
            break;
        }
        if result.behind() {
            break;
        }
        rate *= cli.ramp.max(1.01);
        best = Some(result);
    }
    match best {
        Some(b) => println!(
            "{{\"bench\":\"fanout\",\"receivers\":{receivers},\"senders\":{},\"delivered_per_s\":{:.0},\"input_msgs_per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"losses\":{}}}",
            cli.senders, b.delivered_per_s, b.rate, b.p50_ms, b.p99_ms, b.max_ms, b.losses
        ),
        None => println!("{{\"bench\":\"fanout\",\"receivers\":{receivers},\"error\":\"fell behind at the first step\"}}"),
    }
    Ok(())
}

async fn light(invite: Invite) -> Result<()> {
    const RECEIVERS: usize = 100;
    const RATE: f64 = 200.0;
    const SECS: f64 = 5.0;
    let base = Instant::now();
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let mut senders = full_room(&invite, RECEIVERS, 4, base, &recorder).await?;
    let sends: Vec<_> = senders
        .drain(..)
        .map(|s| send_at(s, RATE / 4.0, SECS, 0, base))
        .collect();
    let mut sent = 0;
    for r in all(sends).await {
        sent += r?.1;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rec = recorder.borrow();
    let s = &rec.steps[0];
    let losses = (sent * RECEIVERS as u64).saturating_sub(s.received);
    println!("\nlight load: {RECEIVERS} receivers, {RATE} msgs/s for {SECS} s");
    println!(
        "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, losses {losses}",
        ms(&s.latency_us, 0.5),
        ms(&s.latency_us, 0.99),
        s.latency_us.max() as f64 / 1000.0
    );
    println!(
        "{{\"bench\":\"light\",\"receivers\":{RECEIVERS},\"input_msgs_per_s\":{RATE},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"losses\":{losses}}}",
        ms(&s.latency_us, 0.5),
        ms(&s.latency_us, 0.99),
        s.latency_us.max() as f64 / 1000.0
    );
    Ok(())
}

/// Messages in the room before the scale scenario's clients join, so that each welcome
/// carries a backlog as it does in a room in use.
const SCALE_HISTORY: usize = 100;

/// Posts `n` messages as one client that then leaves, and waits until they are stored.
async fn fill_history(invite: &Invite, n: usize) -> Result<()> {
    let mut eps = Endpoints::new(invite, 1)?;
    let mut c = eps.join("storico".into()).await?;
    let mut frames = BytesMut::new();
    for counter in 1..=n as u64 {
        let text = format!("history {counter:04} ");
        frames.extend_from_slice(&codec::encode(&ClientFrame::Send {
            id: ClientMsgId {
                install: c.install,
                counter,
            },
            text: text.clone() + &".".repeat(TEXT_BYTES - text.len()),
        })?);
    }
    c.send.write_all(&frames).await?;
    let mut acked = 0;
    while acked < n {
        if let ServerFrame::Ack { .. } = c.recv.next::<ServerFrame>().await? {
            acked += 1;
        }
    }
    c.send
        .write_all(&codec::encode(&ClientFrame::Leave)?)
        .await?;
    c.conn.closed().await;
    Ok(())
}

async fn scale(relay: &Target, clients: usize) -> Result<()> {
    let invite = relay.invite();
    let rss = || match relay {
        Target::Started(r) => r.rss_bytes(),
        Target::Given(_) => None,
    };
    fill_history(&invite, SCALE_HISTORY).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss();
    let base = Instant::now();
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let start = Instant::now();
    let (mut senders, failed, error) = room(&invite, clients, 1, base, &recorder).await?;
    let connect_secs = start.elapsed().as_secs_f64();
    if let Some(e) = error {
        println!("{failed} of {clients} clients could not join; the first error: {e:#}");
    }
    let clients = clients - failed;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss();
    let probe_start = Instant::now();
    let sender = &mut senders[0];
    sender.counter += 1;
    let frame = codec::encode(&ClientFrame::Send {
        id: ClientMsgId {
            install: sender.install,
            counter: sender.counter,
        },
        text: load_text(0, base),
    })?;
    sender.send.write_all(&frame).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while recorder.borrow().steps.first().map_or(0, |s| s.received) < clients as u64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let reach_ms = probe_start.elapsed().as_secs_f64() * 1000.0;
    let reached = recorder.borrow().steps.first().map_or(0, |s| s.received);
    let per_client = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / clients as f64 / 1024.0),
        _ => None,
    };
    println!(
        "\nscale: {clients} idle clients (each welcomed with {SCALE_HISTORY} messages of backlog)"
    );
    println!(
        "connected all in {connect_secs:.2} s; relay RSS {} per client; one message reached {reached}/{clients} in {reach_ms:.1} ms",
        per_client.map_or("n/a".into(), |k| format!("{k:.1} KiB"))
    );
    println!(
        "{{\"bench\":\"scale\",\"clients\":{clients},\"connect_all_s\":{connect_secs:.2},\"rss_per_client_kib\":{},\"reach_all_ms\":{reach_ms:.1},\"reached\":{reached}}}",
        per_client.map_or("null".into(), |k| format!("{k:.1}"))
    );
    Ok(())
}
