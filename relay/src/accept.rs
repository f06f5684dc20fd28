//! Accepting: every connection the QUIC driver accepted (`quic::Gate` judged it) gets
//! a session task, until the relay stops.

use std::{sync::Arc, time::Duration};

use tokio::{
    sync::{mpsc, watch},
    task::JoinSet,
};

use crate::{quic::Link, relay::Shared, session};

pub(crate) async fn accept_loop(
    mut accepted: mpsc::UnboundedReceiver<Arc<Link>>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut sessions = JoinSet::new();
    loop {
        let link = tokio::select! {
            link = accepted.recv() => link,
            _ = stop.changed() => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
        };
        let Some(link) = link else { break };
        sessions.spawn(session::serve(link, shared.clone()));
    }
    sessions
}

/// Runs `op` until it succeeds or fails other than `busy`, for about 3 s at most: a
/// relay restarting on the same address or data directory waits while the old one still
/// lets go of its socket or its log's lock.
pub(crate) async fn while_busy<T, E>(
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
