//! The relay's QUIC loop under what a client can do to it: send far more than the relay
//! reads ahead of its session in one go, and many clients answered from one socket.

mod support;

use std::time::Duration;

use common::{codec, protocol::*};
use relay::RelayConfig;
use support::*;

/// More than the loop reads ahead of a session (64 KiB): the loop must stop reading
/// the stream, let the session catch up and read on — losing nothing, in order.
#[tokio::test]
async fn a_client_that_sends_far_ahead_of_its_session_gets_every_answer_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(RelayConfig::for_tests(dir.path())).await;
    let (mut anna, _) = join(&relay.invite(), "Anna").await;
    let room = anna.room;
    let text = "parole ".repeat(500);
    let mut ids = Vec::new();
    let mut burst = Vec::new();
    for _ in 0..400 {
        let id = anna.next_id();
        ids.push(id);
        let frame = ClientFrame::Send {
            room,
            id,
            text: text.clone(),
        };
        burst.extend_from_slice(&codec::encode(&frame).unwrap());
    }
    assert!(
        burst.len() > 1024 * 1024,
        "{} bytes in one write",
        burst.len()
    );
    anna.write_raw(&burst).await;
    let outcomes = anna.outcomes_within(&ids, Duration::from_secs(20)).await;
    assert_eq!(outcomes.len(), ids.len(), "an answer for every message");
    assert!(
        outcomes[0].is_ok(),
        "the first is stored: {:?}",
        outcomes[0]
    );
    assert!(
        outcomes
            .iter()
            .all(|o| o.is_ok() || *o == Err(RejectReason::RateLimited)),
        "each is stored or refused by the rate limit, nothing else: {outcomes:?}"
    );
    // The session is still whole: a message after a pause is stored and delivered.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let id = anna.say("dopo la raffica").await;
    assert!(anna.ack_of(id).await.is_ok());
    relay.shutdown().await;
}
