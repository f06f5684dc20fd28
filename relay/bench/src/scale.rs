//! The scale scenario: a room with a backlog, then C idle clients join (128 handshakes in
//! flight): time to connect all, relay RSS growth per client, and one message's time to
//! reach every one of them.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use anyhow::Result;
use bytes::BytesMut;
use common::protocol::{ClientFrame, ServerFrame};

use crate::{
    client::{load_text, room, ClientOpts, Endpoints, TEXT_BYTES},
    record::Recorder,
    relay::Target,
};

/// Messages in the room before the clients join, so that each welcome carries a
/// backlog as it does in a room in use.
const HISTORY: usize = 100;

/// Posts `n` messages as one client that then quits, and waits until they are stored.
async fn fill_history(relay: &Target, opts: ClientOpts, n: usize) -> Result<()> {
    let mut eps = Endpoints::new(&relay.invite(), 1, opts)?;
    let mut c = eps.join("storico".into()).await?;
    let mut frames = BytesMut::new();
    for counter in 1..=n as u64 {
        let text = format!("history {counter:04} ");
        frames.extend_from_slice(&common::codec::encode(&ClientFrame::Send {
            room: c.room,
            id: common::protocol::ClientMsgId {
                install: c.install,
                counter,
            },
            text: text.clone() + &".".repeat(TEXT_BYTES - text.len()),
        })?);
    }
    c.writer.write_encoded(&frames).await?;
    let mut acked = 0;
    while acked < n {
        if let ServerFrame::Ack { .. } = c.reader.next::<ServerFrame>().await? {
            acked += 1;
        }
    }
    c.writer.write(&ClientFrame::Quit).await?;
    c.conn.closed().await;
    Ok(())
}

/// Runs the scenario with `clients` clients and prints its result.
/// The relay's memory is read `settle_secs` after the last client joined.
pub async fn run(relay: &Target, opts: ClientOpts, clients: usize, settle_secs: f64) -> Result<()> {
    let invite = relay.invite();
    fill_history(relay, opts, HISTORY).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = relay.rss_bytes();
    let base = Instant::now();
    let recorder = Rc::new(RefCell::new(Recorder::default()));
    let start = Instant::now();
    let (mut senders, failed, error) = room(&invite, "", opts, clients, 1, base, &recorder).await?;
    let connect_secs = start.elapsed().as_secs_f64();
    if let Some(e) = error {
        println!("{failed} of {clients} clients could not join; the first error: {e:#}");
    }
    let clients = clients - failed;
    tokio::time::sleep(Duration::from_secs_f64(settle_secs)).await;
    let after = relay.rss_bytes();
    let probe_start = Instant::now();
    let sender = &mut senders[0];
    let frame = sender.next_send(load_text(0, base))?;
    sender.writer.write_encoded(&frame).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let reached = || recorder.borrow().steps.first().map_or(0, |s| s.received);
    while reached() < clients as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let reach_ms = probe_start.elapsed().as_secs_f64() * 1000.0;
    let reached = reached();
    let per_client = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / clients as f64 / 1024.0),
        _ => None,
    };
    println!("\nscale: {clients} idle clients (each welcomed with {HISTORY} messages of backlog)");
    println!(
        "connected all in {connect_secs:.2} s; relay RSS {} per client ({settle_secs} s after); one message reached {reached}/{clients} in {reach_ms:.1} ms",
        per_client.map_or("n/a".into(), |k| format!("{k:.1} KiB"))
    );
    println!(
        "{{\"bench\":\"scale\",\"clients\":{clients},\"connect_all_s\":{connect_secs:.2},\"rss_per_client_kib\":{},\"settle_s\":{settle_secs},\"reach_all_ms\":{reach_ms:.1},\"reached\":{reached}}}",
        per_client.map_or("null".into(), |k| format!("{k:.1}"))
    );
    Ok(())
}
