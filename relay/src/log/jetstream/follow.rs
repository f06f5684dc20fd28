//! Following a room: the events every relay stores in it, in the stream's order, from
//! an ordered consumer filtered on the room's subject. The consumer is made again (from
//! the seq after the last one delivered) whenever it fails — a node lost, the whole
//! cluster down and back — so the feed has no holes and no repeats.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::consumer::{self, DeliverPolicy};
use common::protocol::{RoomId, Seq};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{room::decode, subject, Cluster};
use crate::log::Stored;

/// Events buffered between the consumer and the room (the consumer waits beyond).
const BUFFER: usize = 1024;

/// Starts following `room` after seq `after`; the feed ends when the receiver is
/// dropped.
pub(super) fn follow(c: Arc<Cluster>, room: RoomId, after: Seq) -> mpsc::Receiver<Stored> {
    let (tx, rx) = mpsc::channel(BUFFER);
    c.rt.clone().spawn(async move {
        let mut next = after + 1;
        let mut pause = Duration::from_millis(100);
        loop {
            let before = next;
            let ended = tokio::select! {
                _ = tx.closed() => return,
                ended = run(&c, room, &mut next, &tx) => ended,
            };
            if tx.is_closed() {
                return;
            }
            if next > before {
                pause = Duration::from_millis(100);
            }
            tracing::warn!(room = %super::room_token(room), "following the room: {ended}; again from seq {next}");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    });
    rx
}

/// One consumer's life: delivers from `next` on until it fails (the reason).
async fn run(c: &Cluster, room: RoomId, next: &mut Seq, tx: &mpsc::Sender<Stored>) -> String {
    let made = c
        .stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: subject(room),
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: *next,
            },
            ..Default::default()
        })
        .await;
    let consumer = match made {
        Ok(consumer) => consumer,
        Err(e) => return format!("no consumer: {e}"),
    };
    let mut messages = match consumer.messages().await {
        Ok(messages) => messages,
        Err(e) => return format!("no messages: {e}"),
    };
    while let Some(message) = messages.next().await {
        let message = match message {
            Ok(message) => message,
            Err(e) => return e.to_string(),
        };
        let seq = match message.info() {
            Ok(info) => info.stream_sequence,
            Err(e) => return format!("a message without its seq: {e}"),
        };
        if seq < *next {
            continue;
        }
        *next = seq + 1;
        if let Some(stored) = decode(room, seq, &message.payload) {
            if tx.send(stored).await.is_err() {
                return "nobody follows".into();
            }
        }
    }
    "the consumer ended".into()
}
