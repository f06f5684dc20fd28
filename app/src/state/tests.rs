//! Tests of the view model: folding engine events, paging, gaps, rows.

use std::time::Duration;

use common::protocol::{ClientMsgId, EventKind, LeaveReason, RejectReason};
use engine::Problem;

use super::*;

const ME: InstallId = InstallId([1; 16]);
const OTHER: InstallId = InstallId([2; 16]);

fn id(install: InstallId, counter: u64) -> ClientMsgId {
    ClientMsgId { install, counter }
}

fn message(seq: Seq, sender: &str, text: &str, id: ClientMsgId) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 1_000 * seq,
        kind: EventKind::Message {
            sender: sender.into(),
            text: text.into(),
            id,
        },
    }
}

const ROOM: &str = "piazza";

fn msg(seq: Seq, sender: &str, text: &str, id: ClientMsgId) -> Event {
    Event::Room {
        room: ROOM.into(),
        event: message(seq, sender, text, id),
    }
}

fn joined(seq: Seq, name: &str) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 1_000 * seq,
        kind: EventKind::Joined { name: name.into() },
    }
}

fn left(seq: Seq, name: &str, reason: LeaveReason) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 1_000 * seq,
        kind: EventKind::Left {
            name: name.into(),
            reason,
        },
    }
}

fn queued(counter: u64, text: &str) -> Event {
    Event::Queued {
        room: ROOM.into(),
        out: Outgoing {
            id: id(ME, counter),
            text: text.into(),
        },
    }
}

fn view() -> ChatView {
    ChatView::new(ME, "Anna", &[], &[], 0)
}

fn welcome(view: &mut ChatView, last_seq: Seq) {
    view.apply(
        &Event::Welcome {
            room: ROOM.into(),
            name: "Anna".into(),
            last_seq,
            gap: false,
            archived: false,
            owner: false,
        },
        0,
    );
}

fn messages(view: &ChatView) -> Vec<MessageView> {
    view.timeline
        .visible()
        .iter()
        .filter_map(|e| e.message().cloned())
        .collect()
}

fn texts(view: &ChatView) -> Vec<String> {
    messages(view).into_iter().map(|m| m.text).collect()
}

#[test]
fn own_message_goes_queued_then_delivered_by_its_ack_and_its_echo_is_not_doubled() {
    let mut view = view();
    welcome(&mut view, 0);
    view.apply(&queued(1, "ciao"), 500);
    let m = &messages(&view)[0];
    assert!(m.own);
    assert_eq!(m.delivery, Delivery::Queued);
    assert_eq!(view.waiting(), 1);
    view.apply(
        &Event::Acked {
            room: ROOM.into(),
            id: id(ME, 1),
            seq: 7,
        },
        600,
    );
    assert_eq!(messages(&view)[0].delivery, Delivery::Delivered);
    assert_eq!(view.waiting(), 0);
    let applied = view.apply(&msg(7, "Anna", "ciao", id(ME, 1)), 700);
    assert_eq!(applied.added, 0, "the echo of an acked message adds no row");
    assert_eq!(texts(&view), ["ciao"]);
}

#[test]
fn an_own_message_from_the_log_after_a_restart_is_own_and_delivered() {
    let mut view = view();
    welcome(&mut view, 9);
    view.apply(&msg(9, "Anna", "prima del riavvio", id(ME, 1)), 0);
    let m = &messages(&view)[0];
    assert!(m.own);
    assert_eq!(m.delivery, Delivery::Delivered);
}

#[test]
fn others_messages_notify_only_when_live() {
    let mut view = view();
    welcome(&mut view, 5);
    let applied = view.apply(&msg(4, "Bruno", "vecchio", id(OTHER, 1)), 0);
    assert_eq!((applied.added, applied.new_from_others), (1, 0));
    assert_eq!(applied.notice, None);
    let applied = view.apply(&msg(6, "Bruno", "nuovo", id(OTHER, 2)), 0);
    assert_eq!(applied.new_from_others, 1);
    assert_eq!(applied.notice.unwrap().text, "nuovo");
    assert_eq!(applied.to_save.len(), 1);
}

#[test]
fn the_saved_timeline_shows_at_once_and_history_pages_merge_without_repeats() {
    let saved: Vec<RoomEvent> = (101..=300)
        .map(|seq| message(seq, "Bruno", &format!("m{seq}"), id(OTHER, seq)))
        .collect();
    let mut view = ChatView::new(ME, "Anna", &saved, &[], 0);
    assert_eq!(messages(&view).len(), timeline::FIRST_WINDOW);
    assert_eq!(texts(&view).last().unwrap(), "m300");
    // Scrolling up shows the rest of what is saved before asking the relay.
    assert_eq!(view.timeline.show_older(), Some(101));
    assert_eq!(view.timeline.older(), Older::Loading);
    assert_eq!(messages(&view).len(), 200);
    // The relay's page overlaps what is here: nothing is repeated.
    let page: Vec<RoomEvent> = (51..=110)
        .map(|seq| message(seq, "Bruno", &format!("m{seq}"), id(OTHER, seq)))
        .collect();
    let applied = view.apply(
        &Event::History {
            room: ROOM.into(),
            before: 101,
            events: page,
            more: true,
        },
        0,
    );
    assert_eq!(applied.added, 50);
    assert_eq!(view.timeline.older(), Older::More);
    let shown = texts(&view);
    let mut unique = shown.clone();
    unique.dedup();
    assert_eq!(shown, unique);
    assert_eq!(shown.first().unwrap(), "m51");
    assert_eq!(shown.len(), 250);
    // The last page.
    view.timeline.show_older();
    view.apply(
        &Event::History {
            room: ROOM.into(),
            before: 51,
            events: (1..=50)
                .map(|seq| message(seq, "Bruno", &format!("m{seq}"), id(OTHER, seq)))
                .collect(),
            more: false,
        },
        0,
    );
    assert_eq!(view.timeline.older(), Older::None);
    assert_eq!(texts(&view).len(), 300);
    assert_eq!(view.timeline.show_older(), None);
}

#[test]
fn a_gap_shows_where_events_were_lost() {
    let mut view = view();
    view.apply(&msg(1, "B", "prima", id(OTHER, 1)), 0);
    view.apply(
        &Event::Welcome {
            room: ROOM.into(),
            name: "Anna".into(),
            last_seq: 50,
            gap: true,
            archived: false,
            owner: false,
        },
        0,
    );
    view.apply(&msg(40, "B", "dopo il buco", id(OTHER, 2)), 0);
    let kinds: Vec<_> = view
        .timeline
        .visible()
        .into_iter()
        .map(|e| e.kind.clone())
        .collect();
    assert!(matches!(kinds[0], EntryKind::Message(_)));
    assert_eq!(kinds[1], EntryKind::Gap);
    assert!(matches!(kinds[2], EntryKind::Message(_)));
}

#[test]
fn pending_messages_stay_after_the_log_and_rejections_can_be_retried() {
    let mut view = view();
    welcome(&mut view, 0);
    view.apply(&queued(1, "mio"), 0);
    view.apply(&msg(1, "B", "suo", id(OTHER, 1)), 0);
    assert_eq!(texts(&view), ["suo", "mio"]);
    view.apply(
        &Event::Rejected {
            room: ROOM.into(),
            id: id(ME, 1),
            reason: RejectReason::RateLimited,
        },
        0,
    );
    assert_eq!(
        messages(&view)[1].delivery,
        Delivery::Rejected(RejectReason::RateLimited)
    );
    let again = view.apply(&queued(1, "mio"), 0);
    assert_eq!(again.added, 0);
    assert_eq!(messages(&view)[1].delivery, Delivery::Queued);
}

#[test]
fn a_persisted_outbox_shows_as_queued_and_is_not_doubled() {
    let outbox = [Outgoing {
        id: id(ME, 4),
        text: "offline".into(),
    }];
    let mut view = ChatView::new(ME, "Anna", &[], &outbox, 0);
    assert_eq!(view.waiting(), 1);
    view.apply(&queued(4, "offline"), 0);
    assert_eq!(messages(&view).len(), 1);
}

#[test]
fn consecutive_messages_of_one_sender_form_a_group() {
    let mut view = view();
    for (seq, sender) in [(1, "Bruno"), (2, "Bruno"), (3, "Carla"), (4, "Bruno")] {
        view.apply(&msg(seq, sender, "x", id(OTHER, seq)), 0);
    }
    let entries = view.timeline.visible();
    let firsts: Vec<bool> = rows(&entries)
        .iter()
        .map(|r| matches!(r, Row::Message { first: true, .. }))
        .collect();
    assert_eq!(firsts, [true, false, true, true]);
}

#[test]
fn a_run_of_joins_and_leaves_is_summed_up_per_person() {
    let mut view = view();
    for event in [
        left(1, "Anna", LeaveReason::Shutdown),
        left(2, "Bruno", LeaveReason::Shutdown),
        joined(3, "Anna"),
        joined(4, "Carla"),
        joined(5, "Bruno"),
        joined(6, "Dario"),
        left(7, "Dario", LeaveReason::ConnectionLost),
    ] {
        view.apply(
            &Event::Room {
                room: ROOM.into(),
                event,
            },
            0,
        );
    }
    let entries = view.timeline.visible();
    let rows = rows(&entries);
    assert_eq!(rows.len(), 1);
    let Row::Notices { summary, .. } = &rows[0] else {
        panic!("{rows:?}")
    };
    assert_eq!(summary.back, ["Anna", "Bruno"]);
    assert_eq!(summary.joined, ["Carla"]);
    assert_eq!(
        summary.left,
        [(LeaveReason::ConnectionLost, vec!["Dario".to_string()])]
    );
}

#[test]
fn members_and_counts() {
    let mut view = view();
    view.apply(
        &Event::Members {
            room: ROOM.into(),
            online: 2,
            names: Some(vec!["Anna".into(), "bruno".into()]),
        },
        0,
    );
    assert_eq!(view.online, 2);
    view.apply(
        &Event::Members {
            room: ROOM.into(),
            online: 1500,
            names: None,
        },
        0,
    );
    assert_eq!((view.online, view.members.is_none()), (1500, true));
}

#[test]
fn status_and_countdown() {
    let mut view = view();
    assert_eq!(view.status.status, Status::Connecting);
    view.apply(
        &Event::Status(Status::Reconnecting {
            attempt: 1,
            retry_in: Duration::from_millis(4_500),
            problem: Problem::Unreachable,
        }),
        10_000,
    );
    assert_eq!(view.status.retry_in_secs(10_000), Some(5));
    assert_eq!(view.status.retry_in_secs(13_600), Some(1));
    assert!(!view.status.connected());
    view.apply(&Event::Status(Status::Connected), 20_000);
    assert!(view.status.connected());
    view.apply(&Event::Status(Status::Failed(Problem::PinMismatch)), 20_000);
    assert!(view.status.failed());
}
