//! Keeping order: an owner (joined with the relay's owner key) removes a message, mutes,
//! unmutes and removes a member; the member and a third client see each effect; a
//! non-owner and a wrong owner key are refused; after a restart a fresh join, a resume
//! and a history page agree (the message redacted, the removed member barred, a mute
//! still in force).

mod support;

use common::protocol::*;
use relay::RelayConfig;
use support::*;

const OWNER_KEY: &str = "la chiave del padrone";

fn config(dir: &std::path::Path) -> RelayConfig {
    let mut config = RelayConfig::for_tests(dir);
    config.owner_key = Some(OWNER_KEY.into());
    config
}

/// Reads frames until one `pick` accepts; panics if none comes.
async fn until<T>(client: &mut Client, mut pick: impl FnMut(&ServerFrame) -> Option<T>) -> T {
    loop {
        match client.next().await {
            Some(frame) => {
                if let Some(found) = pick(&frame) {
                    return found;
                }
            }
            None => panic!("{}: the frame waited for did not come", client.name),
        }
    }
}

/// The next event of the client's room matching `pick`.
async fn event<T>(client: &mut Client, pick: impl Fn(&EventKind) -> Option<T>) -> T {
    until(client, |f| match f {
        ServerFrame::Event { event, .. } => pick(&event.kind),
        _ => None,
    })
    .await
}

/// Connects and joins the default room giving `owner_key`: the welcome, or why not.
async fn join_with_key(
    invite: &common::invite::Invite,
    name: &str,
    owner_key: &str,
) -> (Client, Result<Welcome, JoinRefusal>) {
    let mut client = connect(invite, name).await;
    client
        .send_frame(&ClientFrame::Join(Join {
            room: DEFAULT_ROOM.into(),
            key: None,
            resume_after: None,
            owner_key: Some(owner_key.into()),
        }))
        .await;
    let answer = until(&mut client, |f| match f {
        ServerFrame::Welcome(w) => Some(Ok(w.clone())),
        ServerFrame::JoinRefused { reason, .. } => Some(Err(*reason)),
        _ => None,
    })
    .await;
    (client, answer)
}

async fn moderate(client: &mut Client, action: Moderation) {
    let room = client.room;
    client
        .send_frame(&ClientFrame::Moderate { room, action })
        .await;
}

/// The refusal of the next moderation sent.
async fn refused(client: &mut Client, action: Moderation) -> ModerationRefusal {
    moderate(client, action).await;
    until(client, |f| match f {
        ServerFrame::ModerationRefused { reason, .. } => Some(*reason),
        _ => None,
    })
    .await
}

/// True when no event of `events` carries the removed text.
fn text_gone(events: &[RoomEvent]) -> bool {
    !format!("{events:?}").contains("brutto")
}

fn redacted_at(events: &[RoomEvent], seq: Seq) -> bool {
    events
        .iter()
        .any(|e| e.seq == seq && matches!(&e.kind, EventKind::Redacted { sender, by, .. } if sender == "Bruno" && by == "Anna"))
}

#[tokio::test]
async fn an_owner_removes_a_message_mutes_and_removes_a_member_and_a_restart_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_with(config(dir.path())).await;
    let invite = relay.invite();

    let (mut anna, welcome) = join_with_key(&invite, "Anna", OWNER_KEY).await;
    assert!(welcome.unwrap().owner, "the owner key makes an owner");
    let bruno_install = InstallId::random();
    let (mut bruno, w) = join_as(&invite, "Bruno", bruno_install, None).await;
    assert!(!w.owner);
    let carla_install = InstallId::random();
    let (mut carla, _) = join_as(&invite, "Carla", carla_install, None).await;
    let (_, wrong) = join_with_key(&invite, "Dario", "not the key").await;
    assert_eq!(wrong, Err(JoinRefusal::OwnerKeyWrong));

    // A message to remove; everyone has it.
    let id = bruno.say("un messaggio brutto").await;
    let bad = bruno.ack_of(id).await.unwrap();
    assert_eq!(carla.next_message().await.0, bad);
    assert_eq!(anna.next_message().await.0, bad);

    // A non-owner may not; an owner may not act on what is not there, or on an owner.
    let remove = Moderation::RemoveMessage { seq: bad };
    assert_eq!(
        refused(&mut bruno, remove.clone()).await,
        ModerationRefusal::NotOwner
    );
    let nothing = Moderation::RemoveMessage { seq: bad + 1000 };
    assert_eq!(
        refused(&mut anna, nothing).await,
        ModerationRefusal::NoSuchMessage
    );
    let nobody = Moderation::Mute {
        name: "Nessuno".into(),
        minutes: 5,
    };
    assert_eq!(
        refused(&mut anna, nobody).await,
        ModerationRefusal::NoSuchMember
    );
    let owner = Moderation::RemoveMember {
        name: "anna".into(),
        reason: "prova".into(),
    };
    assert_eq!(
        refused(&mut anna, owner).await,
        ModerationRefusal::OwnerProtected
    );
    let forever = Moderation::Mute {
        name: "Bruno".into(),
        minutes: MAX_MUTE_MINUTES + 1,
    };
    assert_eq!(
        refused(&mut anna, forever).await,
        ModerationRefusal::BadDuration
    );

    // The message is removed: everyone is told.
    moderate(&mut anna, remove.clone()).await;
    let removed = |k: &EventKind| match k {
        EventKind::MessageRemoved { seq, by } => Some((*seq, by.clone())),
        _ => None,
    };
    for client in [&mut anna, &mut bruno, &mut carla] {
        assert_eq!(event(client, removed).await, (bad, "Anna".to_string()));
    }
    assert_eq!(
        refused(&mut anna, remove).await,
        ModerationRefusal::NoSuchMessage
    );

    // Muted: Bruno's messages are rejected until the time everyone was told.
    let mute = Moderation::Mute {
        name: "bruno".into(),
        minutes: 5,
    };
    moderate(&mut anna, mute).await;
    let muted = |k: &EventKind| match k {
        EventKind::Muted { name, until_ms, .. } if name == "Bruno" => Some(*until_ms),
        _ => None,
    };
    let until_ms = event(&mut carla, muted).await;
    assert_eq!(event(&mut bruno, muted).await, until_ms);
    let id = bruno.say("posso parlare?").await;
    assert_eq!(
        bruno.ack_of(id).await,
        Err(RejectReason::Muted { until_ms })
    );

    // Unmuted: he may speak again.
    moderate(
        &mut anna,
        Moderation::Unmute {
            name: "Bruno".into(),
        },
    )
    .await;
    let unmuted = |k: &EventKind| {
        matches!(k, EventKind::Unmuted { name, .. } if name == "Bruno").then_some(())
    };
    event(&mut carla, unmuted).await;
    event(&mut bruno, unmuted).await;
    let id = bruno.say("scusate").await;
    assert!(bruno.ack_of(id).await.is_ok());
    let again = Moderation::Unmute {
        name: "Bruno".into(),
    };
    assert_eq!(refused(&mut anna, again).await, ModerationRefusal::NotMuted);

    // Removed, with a reason: Carla sees it and his leave; Bruno is out and barred.
    let out = Moderation::RemoveMember {
        name: "Bruno".into(),
        reason: "spam, più volte".into(),
    };
    moderate(&mut anna, out).await;
    let member_removed = |k: &EventKind| match k {
        EventKind::MemberRemoved { name, reason, .. } if name == "Bruno" => Some(reason.clone()),
        _ => None,
    };
    assert_eq!(event(&mut carla, member_removed).await, "spam, più volte");
    let left = |k: &EventKind| match k {
        EventKind::Left { name, reason } if name == "Bruno" => Some(*reason),
        _ => None,
    };
    assert_eq!(event(&mut carla, left).await, LeaveReason::Removed);
    assert_eq!(event(&mut bruno, member_removed).await, "spam, più volte");
    let room_left = until(&mut bruno, |f| match f {
        ServerFrame::RoomLeft { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        room_left,
        RoomLeftReason::Removed {
            by: "Anna".into(),
            reason: "spam, più volte".into()
        }
    );
    let id = bruno.say("ci sono ancora?").await;
    assert_eq!(bruno.ack_of(id).await, Err(RejectReason::NotInRoom));
    let rejoin = bruno.join_room(DEFAULT_ROOM, None, None).await;
    assert_eq!(rejoin, Err(JoinRefusal::Removed));
    assert_eq!(
        join_refused(&invite, "Bruno2", bruno_install).await,
        JoinRefusal::Removed
    );

    // Carla muted for ten minutes, to outlive the restart.
    let mute = Moderation::Mute {
        name: "Carla".into(),
        minutes: 10,
    };
    moderate(&mut anna, mute).await;
    let carla_until = event(&mut carla, |k| match k {
        EventKind::Muted { name, until_ms, .. } if name == "Carla" => Some(*until_ms),
        _ => None,
    })
    .await;

    // A newcomer and a history page get the message redacted.
    let (mut eva, w) = join(&invite, "Eva").await;
    assert!(redacted_at(&w.backlog, bad), "{:?}", w.backlog);
    assert!(text_gone(&w.backlog));
    eva.send_frame(&ClientFrame::History {
        room: eva.room,
        before: w.last_seq + 1,
        limit: MAX_HISTORY_PAGE,
    })
    .await;
    let page = until(&mut eva, |f| match f {
        ServerFrame::History { page, .. } => Some(page.clone()),
        _ => None,
    })
    .await;
    assert!(redacted_at(&page.events, bad) && text_gone(&page.events));
    let last = w.last_seq;
    drop((anna, bruno, carla, eva));
    relay.shutdown().await;

    // After a restart: the same state, from the log.
    let relay = start_with(config(dir.path())).await;
    let invite = relay.invite();
    let (_, w) = join(&invite, "Fabio").await;
    assert!(
        redacted_at(&w.backlog, bad) && text_gone(&w.backlog),
        "{:?}",
        w.backlog
    );
    let (mut carla, w) = join_as(&invite, "Carla", carla_install, Some(bad - 1)).await;
    assert!(
        redacted_at(&w.backlog, bad) && text_gone(&w.backlog),
        "resume: {:?}",
        w.backlog
    );
    assert!(
        w.backlog.iter().any(|e| e.seq >= last),
        "the resume reaches what was logged before the restart"
    );
    let id = carla.say("e adesso?").await;
    assert_eq!(
        carla.ack_of(id).await,
        Err(RejectReason::Muted {
            until_ms: carla_until
        })
    );
    assert_eq!(
        join_refused(&invite, "Bruno", bruno_install).await,
        JoinRefusal::Removed
    );
    let (mut anna, welcome) = join_with_key(&invite, "Anna", OWNER_KEY).await;
    assert!(welcome.unwrap().owner);
    moderate(
        &mut anna,
        Moderation::Unmute {
            name: "Carla".into(),
        },
    )
    .await;
    event(&mut carla, |k| {
        matches!(k, EventKind::Unmuted { .. }).then_some(())
    })
    .await;
    let id = carla.say("grazie").await;
    assert!(carla.ack_of(id).await.is_ok());
    relay.shutdown().await;
}

#[tokio::test]
async fn a_relay_without_an_owner_key_has_no_owners() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start(dir.path()).await;
    let invite = relay.invite();
    let (_, refused_join) = join_with_key(&invite, "Anna", OWNER_KEY).await;
    assert_eq!(refused_join, Err(JoinRefusal::OwnerKeyWrong));
    let (mut anna, w) = join(&invite, "Anna").await;
    assert!(!w.owner);
    let action = Moderation::Mute {
        name: "Anna".into(),
        minutes: 1,
    };
    assert_eq!(
        refused(&mut anna, action).await,
        ModerationRefusal::NotOwner
    );
    relay.shutdown().await;
}
