//! Reading a stream by subject on nats-server 2.9 (no batch get, no "previous message
//! for subject"): a short-lived pull consumer filtered on the subject, read with
//! `fetch` (no wait) up to the messages it had pending when it was made, then deleted.

use async_nats::{
    jetstream::{
        consumer::{self, DeliverPolicy},
        stream::Stream,
    },
    HeaderMap,
};
use futures_util::StreamExt;

use super::unreachable;
use crate::log::LogError;

/// Messages fetched per request.
const FETCH: usize = 256;

/// An ephemeral pull consumer that only reads `filter` from `deliver` on: no acks, in
/// memory, one replica, dropped by the server after 30 s unused.
pub(super) fn reader(filter: String, deliver: DeliverPolicy) -> consumer::pull::Config {
    consumer::pull::Config {
        filter_subject: filter,
        deliver_policy: deliver,
        ack_policy: consumer::AckPolicy::None,
        inactive_threshold: std::time::Duration::from_secs(30),
        memory_storage: true,
        num_replicas: 1,
        ..Default::default()
    }
}

/// Calls `each(seq, subject, headers, payload)` for the messages of `stream` on `filter`
/// from `deliver` on, oldest first, until it returns false or nothing more was pending
/// when the scan began.
pub(super) async fn scan(
    stream: &Stream,
    filter: String,
    deliver: DeliverPolicy,
    mut each: impl FnMut(u64, &str, Option<&HeaderMap>, &[u8]) -> bool,
) -> Result<(), LogError> {
    let consumer = stream
        .create_consumer(reader(filter, deliver))
        .await
        .map_err(unreachable)?;
    let name = consumer.cached_info().name.clone();
    let mut left = consumer.cached_info().num_pending as usize;
    let result = async {
        'fetching: while left > 0 {
            let mut batch = consumer
                .fetch()
                .max_messages(left.min(FETCH))
                .messages()
                .await
                .map_err(unreachable)?;
            let mut got = 0;
            while let Some(message) = batch.next().await {
                let message = message.map_err(unreachable)?;
                let seq = message.info().map_err(unreachable)?.stream_sequence;
                got += 1;
                left = left.saturating_sub(1);
                let m = &message.message;
                if !each(seq, m.subject.as_str(), m.headers.as_ref(), &m.payload) {
                    break 'fetching;
                }
            }
            if got == 0 {
                // A read that stops short would look complete (a history page, the
                // install counters that recognise resends): say so instead.
                return Err(unreachable(format!(
                    "{left} messages were pending on {}, none came",
                    consumer.cached_info().config.filter_subject
                )));
            }
        }
        Ok(())
    }
    .await;
    // Best effort: the server drops it after `inactive_threshold` anyway.
    let _ = stream.delete_consumer(&name).await;
    result
}

/// Calls `each(key, value, revision)` for the live keys of KV `bucket` under `prefix`
/// (`""`: all; else keys `<prefix>.…`), `key` without the prefix.
pub(super) async fn last_per_key(
    kv_stream: &Stream,
    bucket: &str,
    prefix: &str,
    mut each: impl FnMut(&str, &[u8], u64),
) -> Result<(), LogError> {
    let (filter, strip) = if prefix.is_empty() {
        (format!("$KV.{bucket}.>"), format!("$KV.{bucket}."))
    } else {
        (
            format!("$KV.{bucket}.{prefix}.>"),
            format!("$KV.{bucket}.{prefix}."),
        )
    };
    scan(
        kv_stream,
        filter,
        DeliverPolicy::LastPerSubject,
        |seq, subject, headers, payload| {
            let deleted = headers
                .and_then(|h| h.get("KV-Operation"))
                .is_some_and(|op| matches!(op.as_str(), "DEL" | "PURGE"));
            if let (false, Some(key)) = (deleted, subject.strip_prefix(&strip)) {
                each(key, payload, seq);
            }
            true
        },
    )
    .await
}
