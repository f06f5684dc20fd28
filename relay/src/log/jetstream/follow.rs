//! Following a room: the events every relay stores in it, in the stream's order, from
//! an ephemeral pull consumer filtered on the room's subject (what async-nats calls an
//! ordered consumer, kept by hand). Each pull waits up to [`PULL`] for news and must be
//! answered within [`ANSWER`]; a consumer that fails, stops answering (its node was
//! killed: the library's own ordered consumer was seen to stall silently then) or
//! skips a consumer seq is made again from the seq after the last one delivered — so
//! the feed has no holes and no repeats.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::consumer::DeliverPolicy;
use common::protocol::{RoomId, Seq};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{room::decode, scan::reader, subject, Cluster};
use crate::log::Stored;

/// Events buffered between the consumer and the room (the consumer waits beyond).
const BUFFER: usize = 1024;
/// Messages asked for per pull.
const BATCH: usize = 256;
/// How long a pull waits for news in a quiet room.
const PULL: Duration = Duration::from_secs(2);
/// How long a pull may take to be answered in full before the consumer is given up.
const ANSWER: Duration = Duration::from_secs(5);

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
    let from = DeliverPolicy::ByStartSequence {
        start_sequence: *next,
    };
    let made = c.stream.create_consumer(reader(subject(room), from)).await;
    let consumer = match made {
        Ok(consumer) => consumer,
        Err(e) => return format!("no consumer: {e}"),
    };
    let mut delivered = 0;
    loop {
        let pull = async {
            let mut batch = consumer
                .batch()
                .max_messages(BATCH)
                .expires(PULL)
                .messages()
                .await
                .map_err(|e| e.to_string())?;
            while let Some(message) = batch.next().await {
                let message = message.map_err(|e| e.to_string())?;
                let info = message.info().map_err(|e| e.to_string())?;
                if info.consumer_sequence != delivered + 1 {
                    return Err(format!(
                        "consumer seq {} after {delivered}",
                        info.consumer_sequence
                    ));
                }
                delivered = info.consumer_sequence;
                let seq = info.stream_sequence;
                if seq < *next {
                    continue;
                }
                *next = seq + 1;
                if let Some(stored) = decode(room, seq, &message.payload) {
                    if tx.send(stored).await.is_err() {
                        return Err("nobody follows".into());
                    }
                }
            }
            Ok(())
        };
        match tokio::time::timeout(ANSWER, pull).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return e,
            Err(_) => return format!("no answer in {ANSWER:?}"),
        }
    }
}
