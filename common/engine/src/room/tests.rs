//! One room driven by hand: joins, welcomes, refusals, leaving, its outbox and log.

use std::time::Duration;

use common::protocol::{ClientMsgId, EventKind, RejectReason, RoomEvent, Seq};

use super::*;
use crate::{save::Saves, Outgoing};

const INSTALL: InstallId = InstallId([1; 16]);

pub(crate) fn fx() -> Effects {
    Effects::new(Saves::new(Instant::now()))
}

pub(crate) fn drain(fx: &mut Effects) -> Vec<Event> {
    std::iter::from_fn(|| fx.next()).collect()
}

fn room(name: &str, state: RoomState) -> Room {
    let later = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
    Room::new(name.into(), state, INSTALL, later)
}

pub(crate) fn welcome(name: &str, last_seq: Seq, backlog: Vec<RoomEvent>) -> Welcome {
    Welcome {
        room: RoomId::of(name),
        room_name: name.into(),
        members: vec!["Anna".into()],
        online: 1,
        members_as_of: last_seq,
        backlog,
        last_seq,
        gap: false,
        archived: false,
        owner: false,
    }
}

pub(crate) fn joined(seq: Seq) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 0,
        kind: EventKind::Joined {
            name: format!("n{seq}"),
        },
    }
}

pub(crate) fn own(seq: Seq, counter: u64) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 0,
        kind: EventKind::Message {
            sender: "Anna".into(),
            text: "t".into(),
            id: id(counter),
        },
    }
}

pub(crate) fn id(counter: u64) -> ClientMsgId {
    ClientMsgId {
        install: INSTALL,
        counter,
    }
}

fn out(counter: u64, text: &str) -> Outgoing {
    Outgoing {
        id: id(counter),
        text: text.into(),
    }
}

fn statuses(events: &[Event]) -> Vec<RoomStatus> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::RoomStatus { status, .. } => Some(status.clone()),
            _ => None,
        })
        .collect()
}

fn seqs(events: &[Event]) -> Vec<Seq> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Room { event, .. } => Some(event.seq),
            _ => None,
        })
        .collect()
}

#[test]
fn a_join_resumes_after_the_last_seq_and_the_welcome_brings_the_room() {
    let mut fx = fx();
    let mut r = room(
        "classe",
        RoomState {
            key: Some("k".into()),
            last_seq: Some(10),
            ..RoomState::default()
        },
    );
    let ClientFrame::Join(join) = r.join(None, &mut fx) else {
        panic!()
    };
    assert_eq!(
        join,
        Join {
            room: "classe".into(),
            key: Some("k".into()),
            resume_after: Some(10),
            owner_key: None,
        }
    );
    assert!(r.resumed() && r.catching_up());
    // The resume overlaps what was seen: 9 and 10 are skipped, 11 and 12 reported.
    r.welcome(
        welcome(
            "classe",
            13,
            vec![joined(9), joined(10), joined(11), joined(12)],
        ),
        "Anna",
        &mut fx,
    );
    let events = drain(&mut fx);
    assert_eq!(
        events[..3],
        [
            Event::RoomStatus {
                room: "classe".into(),
                status: RoomStatus::Joining
            },
            Event::Welcome {
                room: "classe".into(),
                name: "Anna".into(),
                last_seq: 13,
                gap: false,
                archived: false,
                owner: false,
            },
            Event::Members {
                room: "classe".into(),
                online: 1,
                names: Some(vec!["Anna".into()])
            },
        ]
    );
    assert_eq!(
        statuses(&events),
        vec![RoomStatus::Joining, RoomStatus::Joined]
    );
    assert_eq!(seqs(&events), vec![11, 12]);
    assert!(r.catching_up(), "13 is still to come");
    r.event(joined(13), &mut fx);
    assert!(!r.catching_up());
    r.event(joined(13), &mut fx);
    assert_eq!(seqs(&drain(&mut fx)), vec![13], "once");
    assert_eq!(r.state().unwrap().last_seq, Some(13));
    // A second welcome nobody asked for changes nothing.
    r.welcome(welcome("classe", 20, vec![joined(20)]), "Anna", &mut fx);
    assert!(drain(&mut fx).is_empty());
}

#[test]
fn the_outbox_goes_out_only_once_joined_and_each_message_is_acked_once() {
    let mut fx = fx();
    let mut r = room(
        "classe",
        RoomState {
            outbox: vec![out(1, "uno")],
            ..RoomState::default()
        },
    );
    r.queue(out(2, "due"), &mut fx);
    assert!(!r.ready_to_send(), "not joined");
    r.join(None, &mut fx);
    assert!(!r.ready_to_send(), "not welcomed yet");
    r.welcome(welcome("classe", 0, Vec::new()), "Anna", &mut fx);
    let sent: Vec<_> = std::iter::from_fn(|| r.send_next()).collect();
    assert!(matches!(
        sent.as_slice(),
        [ClientFrame::Send { room, .. }, ClientFrame::Send { .. }] if *room == RoomId::of("classe")
    ));
    drain(&mut fx);
    r.ack(id(1), 1, &mut fx);
    r.event(own(1, 1), &mut fx);
    r.event(own(2, 2), &mut fx);
    r.ack(id(2), 2, &mut fx);
    let acks: Vec<_> = drain(&mut fx)
        .into_iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .collect();
    assert_eq!(
        acks,
        vec![
            Event::Acked {
                room: "classe".into(),
                id: id(1),
                seq: 1
            },
            Event::Acked {
                room: "classe".into(),
                id: id(2),
                seq: 2
            }
        ]
    );
    assert!(r.state().unwrap().outbox.is_empty());
}

#[test]
fn a_refusal_for_good_is_kept_in_the_state_and_a_full_room_is_tried_again_later() {
    let now = Instant::now();
    let mut fx = fx();
    let mut r = room("chiusa", RoomState::default());
    assert!(
        !r.refused(JoinRefusal::RoomKeyWrong, now, &mut fx),
        "not joining"
    );
    r.join(None, &mut fx);
    assert!(r.refused(JoinRefusal::RoomKeyWrong, now, &mut fx));
    assert_eq!(r.state().unwrap().refused, Some(JoinRefusal::RoomKeyWrong));
    assert_eq!(*r.presence(), Presence::Refused(JoinRefusal::RoomKeyWrong));
    r.parted();
    assert_eq!(
        *r.presence(),
        Presence::Refused(JoinRefusal::RoomKeyWrong),
        "a reconnect does not clear it"
    );
    assert!(r.unrefuse());
    assert_eq!(*r.presence(), Presence::Out);
    assert_eq!(r.state().unwrap().refused, None);

    let mut full = room("piena", RoomState::default());
    full.join(None, &mut fx);
    drain(&mut fx);
    assert!(full.refused(JoinRefusal::RoomFull, now, &mut fx));
    assert_eq!(
        statuses(&drain(&mut fx)),
        vec![RoomStatus::Refused(JoinRefusal::RoomFull)]
    );
    assert_eq!(full.state().unwrap().refused, None, "passing: not kept");
    let at = full.deadline().unwrap();
    assert!(at > now && at <= now + Duration::from_millis(100));
    assert!(!full.due(at - Duration::from_millis(1)));
    assert!(full.due(at));
    assert!(matches!(full.join(None, &mut fx), ClientFrame::Join(_)));
    assert_eq!(statuses(&drain(&mut fx)), vec![RoomStatus::Joining]);
}

#[test]
fn leaving_tells_the_relay_only_if_it_has_the_room_and_drops_the_room_from_the_state() {
    let mut fx = fx();
    let mut r = room("classe", RoomState::default());
    assert_eq!(r.leave(), None, "never joined: nothing to say");
    assert_eq!(r.state(), None);
    let mut r = room("classe", RoomState::default());
    r.join(None, &mut fx);
    assert_eq!(
        r.leave(),
        Some(ClientFrame::Leave {
            room: RoomId::of("classe")
        })
    );
    assert_eq!(r.state(), None);
    r.queue(out(3, "troppo tardi"), &mut fx);
    assert!(drain(&mut fx).contains(&Event::Rejected {
        room: "classe".into(),
        id: id(3),
        reason: RejectReason::NotInRoom
    }));
}

#[test]
fn an_archived_room_is_readable_and_rejects_new_texts_locally() {
    let mut fx = fx();
    let mut r = room("vecchia", RoomState::default());
    r.join(None, &mut fx);
    let mut w = welcome("vecchia", 5, vec![joined(5)]);
    w.archived = true;
    r.welcome(w, "Anna", &mut fx);
    let events = drain(&mut fx);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Welcome { archived: true, .. })));
    assert_eq!(
        statuses(&events),
        vec![RoomStatus::Joining, RoomStatus::Archived]
    );
    assert_eq!(seqs(&events), vec![5]);
    r.queue(out(1, "ciao"), &mut fx);
    assert!(drain(&mut fx).contains(&Event::Rejected {
        room: "vecchia".into(),
        id: id(1),
        reason: RejectReason::Archived
    }));
    // Archived while in it.
    let mut r = room("attiva", RoomState::default());
    r.join(None, &mut fx);
    r.welcome(welcome("attiva", 0, Vec::new()), "Anna", &mut fx);
    drain(&mut fx);
    r.archive(true, &mut fx);
    assert_eq!(statuses(&drain(&mut fx)), vec![RoomStatus::Archived]);
    // Opened again: writable, said once.
    r.archive(false, &mut fx);
    r.archive(false, &mut fx);
    assert_eq!(statuses(&drain(&mut fx)), vec![RoomStatus::Joined]);
    r.queue(out(1, "di nuovo"), &mut fx);
    assert!(!drain(&mut fx)
        .iter()
        .any(|e| matches!(e, Event::Rejected { .. })));
}

#[test]
fn a_lost_connection_resends_the_outbox_and_asks_history_again_on_the_next_join() {
    let now = Instant::now();
    let mut fx = fx();
    let mut r = room("classe", RoomState::default());
    r.queue(out(1, "uno"), &mut fx);
    r.load_history(40);
    assert_eq!(r.poll_history(now), None, "not joined");
    r.join(None, &mut fx);
    r.welcome(welcome("classe", 50, Vec::new()), "Anna", &mut fx);
    assert!(matches!(
        r.poll_history(now),
        Some(ClientFrame::History { before: 40, .. })
    ));
    assert!(r.send_next().is_some());
    r.parted();
    assert_eq!(*r.presence(), Presence::Out);
    assert!(!r.catching_up() && !r.resumed());
    r.join(None, &mut fx);
    r.welcome(welcome("classe", 50, Vec::new()), "Anna", &mut fx);
    assert!(r.poll_history(now).is_some(), "asked again");
    assert!(r.send_next().is_some(), "sent again");
}
