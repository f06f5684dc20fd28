//! The state machine driven by hand: no sockets, no clock but the one passed in.

use std::time::Duration;

use common::{
    invite::Invite,
    protocol::{ByeReason, ClientMsgId, HistoryPage, RateLimit, Seq},
};

use super::*;
use crate::save::INTERVAL;

fn config(state: EngineState) -> EngineConfig {
    let invite = Invite {
        host: "127.0.0.1".into(),
        port: 4433,
        fingerprint: None,
        room_key: Some("chiave".into()),
    };
    let mut config = EngineConfig::new(invite, "Anna", state);
    config.backoff_initial = Duration::from_millis(100);
    config.backoff_max = Duration::from_secs(1);
    config
}

struct Test {
    m: Machine,
    now: Instant,
}

impl Test {
    fn new(state: EngineState) -> Self {
        let now = Instant::now();
        Self {
            m: Machine::new(&config(state), now),
            now,
        }
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.m.poll_event()).collect()
    }

    fn io(&mut self) -> Vec<Io> {
        std::iter::from_fn(|| self.m.poll_io()).collect()
    }

    /// Attempts started (drops of the connection before them left out).
    fn attempts(&mut self) -> usize {
        self.io()
            .iter()
            .filter(|io| matches!(io, Io::Dial(_)))
            .count()
    }

    fn frames(&mut self) -> Vec<ClientFrame> {
        let now = self.now;
        std::iter::from_fn(|| self.m.poll_frame(now)).collect()
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.m.poll(self.now);
    }

    fn command(&mut self, command: Command) {
        self.m.command(command, self.now);
        self.m.poll(self.now);
    }

    /// Lets the next attempt start and returns its hello.
    fn dial(&mut self) -> Hello {
        if let Some(at) = self.m.deadline() {
            self.now = self.now.max(at);
        }
        self.m.poll(self.now);
        let mut io = self.io();
        // The failure before (if any) dropped the connection.
        io.retain(|io| *io != Io::Drop);
        match io.as_slice() {
            [Io::Dial(hello)] => hello.clone(),
            other => panic!("expected an attempt, got {other:?}"),
        }
    }

    fn welcome(&mut self, welcome: Welcome) {
        assert!(self.m.connected(welcome, self.now));
    }

    fn fail(&mut self, failure: Failure) {
        self.m.failed(failure, self.now);
    }
}

fn welcome(last_seq: Seq, backlog: Vec<RoomEvent>) -> Welcome {
    Welcome {
        name: "Anna".into(),
        members: vec!["Anna".into()],
        online: 1,
        members_as_of: last_seq,
        backlog,
        last_seq,
        gap: false,
        rate: RateLimit {
            per_second: 1000,
            burst: 1000,
        },
    }
}

fn joined(seq: Seq) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 0,
        kind: EventKind::Joined {
            name: format!("n{seq}"),
        },
    }
}

fn message(seq: Seq, id: ClientMsgId) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 0,
        kind: EventKind::Message {
            sender: "Anna".into(),
            text: "t".into(),
            id,
        },
    }
}

fn undecodable() -> Failure {
    Failure {
        problem: Problem::Undecodable("malformed frame".into()),
        undecodable: true,
    }
}

fn seqs(events: &[Event]) -> Vec<Seq> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Room(r) => Some(r.seq),
            _ => None,
        })
        .collect()
}

fn statuses(events: &[Event]) -> Vec<Status> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Status(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_text_sent_offline_is_saved_at_once_and_goes_out_after_the_welcome() {
    let mut t = Test::new(EngineState::new());
    let hello = t.dial();
    assert_eq!((hello.name.as_str(), hello.resume_after), ("Anna", None));
    assert_eq!(hello.room_key.as_deref(), Some("chiave"));
    t.command(Command::Send("  ciao  ".into()));
    let events = t.events();
    assert!(matches!(&events[0], Event::Status(Status::Connecting)));
    assert!(matches!(&events[1], Event::Queued(o) if o.text == "ciao"));
    assert!(matches!(&events[2], Event::Saved(s) if s.outbox.len() == 1 && s.next_counter == 2));
    assert!(t.frames().is_empty(), "not connected yet");
    t.welcome(welcome(0, Vec::new()));
    assert!(matches!(t.frames().as_slice(), [ClientFrame::Send { text, .. }] if text == "ciao"));
}

#[test]
fn each_message_is_acked_once_whether_the_ack_or_its_echo_comes_first() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.welcome(welcome(0, Vec::new()));
    t.command(Command::Send("uno".into()));
    t.command(Command::Send("due".into()));
    let ids: Vec<ClientMsgId> = t
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Queued(o) => Some(o.id),
            _ => None,
        })
        .collect();
    t.m.frame(ServerFrame::Ack { id: ids[0], seq: 1 }, t.now);
    t.m.frame(ServerFrame::Event(message(1, ids[0])), t.now);
    t.m.frame(ServerFrame::Event(message(2, ids[1])), t.now);
    t.m.frame(ServerFrame::Ack { id: ids[1], seq: 2 }, t.now);
    let acks: Vec<_> = t
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Acked { .. }))
        .collect();
    assert_eq!(
        acks,
        vec![
            Event::Acked { id: ids[0], seq: 1 },
            Event::Acked { id: ids[1], seq: 2 }
        ]
    );
}

#[test]
fn acks_and_events_are_saved_once_an_interval_not_each() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.welcome(welcome(0, (1..=300).map(joined).collect()));
    t.advance(INTERVAL / 2);
    let saves = |events: Vec<Event>| {
        events
            .iter()
            .filter(|e| matches!(e, Event::Saved(_)))
            .count()
    };
    assert_eq!(saves(t.events()), 0);
    assert_eq!(t.m.deadline(), Some(t.now - INTERVAL / 2 + INTERVAL));
    t.advance(INTERVAL / 2);
    let events = t.events();
    assert_eq!(saves(events.clone()), 1);
    assert!(matches!(events.last(), Some(Event::Saved(s)) if s.last_seq == Some(300)));
}

#[test]
fn commands_given_offline_apply_on_the_next_connection() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.fail(Failure::dial(Problem::Unreachable));
    t.command(Command::SetName("Anna B".into()));
    t.command(Command::LoadHistory { before: 40 });
    t.command(Command::Send("   ".into()));
    let events = t.events();
    let Some(Event::Rejected { id, reason }) = events.last().cloned() else {
        panic!("{events:?}")
    };
    assert_eq!(reason, RejectReason::EmptyText);
    t.command(Command::Retry(id));
    assert!(matches!(
        t.events().as_slice(),
        [Event::Queued(_), Event::Rejected { .. }]
    ));
    assert_eq!(t.dial().name, "Anna B");
    t.welcome(welcome(50, Vec::new()));
    assert_eq!(
        t.frames(),
        vec![ClientFrame::History {
            before: 40,
            limit: crate::history::PAGE
        }]
    );
    t.m.frame(
        ServerFrame::History(HistoryPage {
            before: 40,
            events: vec![joined(39)],
            more: true,
            retry_later: false,
        }),
        t.now,
    );
    assert!(t.events().iter().any(|e| matches!(
        e,
        Event::History {
            before: 40,
            more: true,
            ..
        }
    )));
}

#[test]
fn an_undecodable_resume_is_followed_by_a_join_without_resume_that_reports_the_gap() {
    let mut state = EngineState::new();
    state.last_seq = Some(10);
    let mut t = Test::new(state);
    assert_eq!(t.dial().resume_after, Some(10));
    t.welcome(welcome(500, vec![joined(11)]));
    t.fail(undecodable());
    let events = t.events();
    assert!(matches!(
        statuses(&events).last(),
        Some(Status::Reconnecting {
            attempt: 1,
            problem: Problem::Undecodable(_),
            ..
        })
    ));
    let hello = t.dial();
    assert_eq!(hello.resume_after, None, "the recent backlog instead");
    // The recent backlog starts long after what was seen.
    t.welcome(welcome(500, (490..=500).map(joined).collect()));
    let events = t.events();
    assert!(events.contains(&Event::Welcome {
        name: "Anna".into(),
        last_seq: 500,
        gap: true
    }));
    assert_eq!(seqs(&events), (490..=500).collect::<Vec<_>>());
    // A later ordinary failure: the next join resumes again, from where it is now.
    t.fail(Failure::of(Problem::Unreachable));
    assert_eq!(t.dial().resume_after, Some(500));
}

#[test]
fn a_second_undecodable_failure_in_a_row_is_permanent() {
    let mut state = EngineState::new();
    state.last_seq = Some(10);
    let mut t = Test::new(state);
    t.dial();
    // The welcome itself could not be decoded (the dial says Undecodable).
    t.fail(Failure::dial(Problem::Undecodable(
        "malformed frame".into(),
    )));
    assert_eq!(t.dial().resume_after, None);
    t.fail(Failure::dial(Problem::Undecodable(
        "malformed frame".into(),
    )));
    let events = t.events();
    assert!(matches!(
        statuses(&events).last(),
        Some(Status::Failed(Problem::Undecodable(_)))
    ));
    t.advance(Duration::from_secs(60));
    assert_eq!(t.attempts(), 0, "no further attempt");
    // The recovering join, welcomed, then meeting an undecodable frame: also the end.
    let mut t = Test::new(EngineState {
        last_seq: Some(10),
        ..EngineState::new()
    });
    t.dial();
    t.fail(undecodable());
    t.dial();
    // This recent backlog reaches back over what was seen: no gap, no repeat.
    t.welcome(welcome(13, (8..=13).map(joined).collect()));
    let events = t.events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Welcome { gap: false, .. })));
    assert_eq!(seqs(&events), vec![11, 12, 13]);
    t.fail(undecodable());
    assert!(matches!(
        statuses(&t.events()).last(),
        Some(Status::Failed(Problem::Undecodable(_)))
    ));
}

#[test]
fn disconnect_leaves_then_reports_disconnected_and_stays_offline() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.welcome(welcome(0, Vec::new()));
    t.events();
    t.command(Command::Disconnect);
    assert_eq!(t.io(), vec![Io::Leave]);
    assert!(
        statuses(&t.events()).is_empty(),
        "not before the relay closed"
    );
    // Acks of what was sent before the Leave still count.
    t.m.frame(ServerFrame::Bye(ByeReason::Left), t.now);
    t.m.left();
    assert_eq!(statuses(&t.events()), vec![Status::Disconnected]);
    t.command(Command::NetworkChanged);
    t.advance(Duration::from_secs(60));
    assert!(t.io().is_empty());
    t.command(Command::ReconnectNow);
    assert!(matches!(t.io().as_slice(), [Io::Dial(_)]));
    assert_eq!(statuses(&t.events()), vec![Status::Connecting]);
}

#[test]
fn a_replaced_session_stops_until_asked_to_reconnect() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.welcome(welcome(0, Vec::new()));
    t.m.frame(ServerFrame::Bye(ByeReason::Replaced), t.now);
    assert_eq!(t.io(), vec![Io::Drop]);
    assert_eq!(
        statuses(&t.events()),
        vec![
            Status::Connecting,
            Status::Connected,
            Status::Failed(Problem::Bye(ByeReason::Replaced))
        ]
    );
    t.command(Command::NetworkChanged);
    t.advance(Duration::from_secs(60));
    assert!(
        t.io().is_empty(),
        "no ping-pong with the session that replaced it"
    );
}

#[test]
fn a_lost_connection_is_retried_with_growing_delays_and_network_change_skips_the_wait() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.fail(Failure::dial(Problem::Unreachable));
    t.dial();
    t.fail(Failure::dial(Problem::RelayRestarted));
    let waits: Vec<(u32, Duration)> = statuses(&t.events())
        .into_iter()
        .filter_map(|s| match s {
            Status::Reconnecting {
                attempt, retry_in, ..
            } => Some((attempt, retry_in)),
            _ => None,
        })
        .collect();
    assert_eq!(waits.len(), 2);
    assert!(waits[0].1 <= Duration::from_millis(100) && waits[1].1 >= Duration::from_millis(100));
    assert_eq!((waits[0].0, waits[1].0), (1, 2));
    t.m.command(Command::NetworkChanged, t.now);
    t.m.poll(t.now);
    assert_eq!(t.attempts(), 1, "at once");
    // An attempt under way starts again, without a second "connecting".
    t.events();
    t.command(Command::NetworkChanged);
    assert!(matches!(t.io().as_slice(), [Io::Drop, Io::Dial(_)]));
    assert!(t.events().is_empty());
}

#[test]
fn a_relay_that_sends_nothing_for_4_s_is_unreachable() {
    let mut t = Test::new(EngineState::new());
    t.dial();
    t.welcome(welcome(0, Vec::new()));
    t.m.probe(7, t.now);
    t.now += crate::liveness::SILENCE - Duration::from_millis(1);
    t.m.probe(7, t.now);
    assert!(!statuses(&t.events())
        .iter()
        .any(|s| matches!(s, Status::Reconnecting { .. })));
    t.now += Duration::from_millis(1);
    t.m.probe(7, t.now);
    assert!(matches!(
        statuses(&t.events()).as_slice(),
        [Status::Reconnecting {
            problem: Problem::Unreachable,
            ..
        }]
    ));
    assert_eq!(t.io(), vec![Io::Drop]);
}
