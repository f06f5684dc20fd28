//! How sessions end and what they may say: leaving with acks delivered, replaced
//! sessions told why, the name and text rules as the relay enforces them.

mod support;

use common::protocol::*;
use relay::RelayConfig;
use support::*;

fn fast(dir: &std::path::Path) -> RelayConfig {
    let mut config = RelayConfig::for_tests(dir);
    config.limits.rate = RateLimit {
        per_second: 10_000,
        burst: 10_000,
    };
    config
}

/// Sends `n` messages and ends the session at once with `end`; returns the outcomes the
/// client read before the stream ended and every frame it saw.
async fn send_then_end(client: &mut Client, n: usize, leave: bool) -> Vec<ServerFrame> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(client.say(&format!("ultimo {i}")).await);
    }
    if leave {
        client.quit().await;
    } else {
        client.writer.finish();
    }
    let frames = client.drain().await;
    let acked: Vec<ClientMsgId> = frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Ack { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(acked.len(), ids.len(), "every message acked before the end");
    assert!(acked == ids, "acked in order");
    frames
}

async fn left_reasons(invite: &common::invite::Invite, name: &str) -> Vec<LeaveReason> {
    read_log(invite)
        .await
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Left { name: n, reason } if n == name => Some(reason),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_client_that_quits_gets_every_ack_first_and_the_log_says_it_left() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(fast(dir.path())).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    send_then_end(&mut a, 60, true).await;
    assert_eq!(a.closed_with().await, Some(ByeReason::Left));
    assert_eq!(left_reasons(&invite, "Anna").await, [LeaveReason::Left]);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_client_that_finishes_its_stream_has_left_on_purpose_with_every_ack_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(fast(dir.path())).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    send_then_end(&mut a, 60, false).await;
    assert_eq!(left_reasons(&invite, "Anna").await, [LeaveReason::Left]);
    relay.shutdown().await;
}

#[tokio::test]
async fn a_replaced_session_gets_a_bye_frame_then_the_close_code() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let install = InstallId::random();
    let (mut old, _) = join_as(&invite, "Anna", install, None).await;
    let (mut new, _) = join_as(&invite, "Anna", install, None).await;
    let frames = old.drain().await;
    assert_eq!(
        frames.last(),
        Some(&ServerFrame::Bye(ByeReason::Replaced)),
        "{frames:?}"
    );
    assert_eq!(old.closed_with().await, Some(ByeReason::Replaced));
    let id = new.say("sono io").await;
    assert!(new.ack_of(id).await.is_ok());
    relay.shutdown().await;
}

#[tokio::test]
async fn impostor_names_are_taken_or_bad_and_control_characters_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (mut andre, _) = join(&invite, "André").await;
    assert_eq!(andre.ready.name, "André");
    for impostor in ["Andre\u{301}", "ANDRÉ", "  andré "] {
        assert_eq!(
            join_refused(&invite, impostor, InstallId::random()).await,
            JoinRefusal::NameTaken,
            "{impostor:?}"
        );
    }
    let (_anna, _) = join(&invite, "Anna").await;
    // Cyrillic А looks like Latin A: the same name.
    assert_eq!(
        join_refused(&invite, "\u{410}nna", InstallId::random()).await,
        JoinRefusal::NameTaken
    );
    assert_eq!(
        refused(&invite, hello("Anna\u{200b}", InstallId::random())).await,
        RefuseReason::BadName(NameError::InvisibleCharacter)
    );
    assert_eq!(
        refused(&invite, hello("\u{2800}", InstallId::random())).await,
        RefuseReason::BadName(NameError::NothingVisible)
    );
    // A name is registered in its normal form.
    let (z, _) = join(&invite, "Zoe\u{308}").await;
    assert_eq!(z.ready.name, "Zo\u{eb}");

    let id = andre.say("\u{1b}[2J").await;
    assert_eq!(andre.ack_of(id).await, Err(RejectReason::ControlCharacter));
    let id = andre.say("\u{200b}\u{2060}").await;
    assert_eq!(andre.ack_of(id).await, Err(RejectReason::EmptyText));
    let id = andre.say("ciao").await;
    assert!(andre.ack_of(id).await.is_ok(), "the session goes on");
    relay.shutdown().await;
}

#[tokio::test]
async fn leaving_one_room_acks_what_was_sent_to_it_then_says_so_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast(dir.path());
    config.rooms = vec![relay::RoomConfig::new("classe-3b")];
    let relay = start_with(config).await;
    let invite = relay.invite();
    let (mut a, _) = join(&invite, "Anna").await;
    let other = a.join_room("classe-3b", None, None).await.unwrap().room;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(a.say(&format!("ultimo {i}")).await);
    }
    a.leave().await;
    let piazza = a.room;
    let mut acked = Vec::new();
    loop {
        match a.next().await {
            Some(ServerFrame::Ack { id, .. }) => acked.push(id),
            Some(ServerFrame::RoomLeft { room, reason }) => {
                assert_eq!((room, reason), (piazza, RoomLeftReason::Left));
                break;
            }
            Some(_) => {}
            None => panic!("no RoomLeft"),
        }
    }
    assert_eq!(acked, ids, "every ack, in order, before the room is left");
    // Sends to the room left are rejected; the other room goes on.
    let id = a.say("ancora?").await;
    assert_eq!(a.ack_of(id).await, Err(RejectReason::NotInRoom));
    let id = a.say_in(other, "nell'altra").await;
    assert!(a.ack_of(id).await.is_ok());
    assert_eq!(left_reasons(&invite, "Anna").await, [LeaveReason::Left]);
    relay.shutdown().await;
}
