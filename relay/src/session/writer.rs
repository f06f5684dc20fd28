//! The writer task: drains the member's queue, everything queued in one write, until
//! the queue closes; then finishes the stream and waits (briefly) for the client to have
//! it all — unless the close drops what is queued.

use std::sync::Arc;

use net::FrameWriter;
use tokio::time::timeout;

use super::DRAIN;
use crate::room::MemberQueue;

/// Slots of the write batch kept between writes; a burst's larger batch is given back.
const BATCH_KEEP: usize = 256;

pub(super) async fn run(mut out: FrameWriter, queue: Arc<MemberQueue>) {
    let mut batch = Vec::new();
    loop {
        let closed = queue.next_batch(&mut batch).await;
        if !batch.is_empty() {
            if let Err(e) = out.write_batch(&mut batch).await {
                tracing::debug!("writing to a member failed: {e}");
                break;
            }
            batch.clear();
            if batch.capacity() > BATCH_KEEP {
                batch = Vec::new();
            }
        }
        if let Some(close) = closed {
            if !close.discards() {
                out.finish();
                let _ = timeout(DRAIN, out.stopped()).await;
            }
            break;
        }
    }
    queue.set_finished();
}
