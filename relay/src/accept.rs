//! Accepting connections: refused when the relay is full, asked to prove their address
//! (QUIC retry) under a handshake flood, else handed to a session task.

use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use tokio::{sync::watch, task::JoinSet};

use crate::{relay::Shared, session};

pub(crate) async fn accept_loop(
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
