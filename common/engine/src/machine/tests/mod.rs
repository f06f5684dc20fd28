//! The state machine driven by hand: no sockets, no clock but the one passed in. The
//! connection here (attempts, quitting, silence); rooms and texts in `rooms`; recovery
//! from a resume that could not be decoded in `recovery`.

mod recovery;
mod rooms;

use std::time::Duration;

use common::{
    invite::Invite,
    protocol::{
        ByeReason, ClientMsgId, EventKind, HistoryPage, NameError, RateLimit, RefuseReason,
        RejectReason, RoomEvent, RoomId, Seq, Welcome, DEFAULT_ROOM,
    },
};

use super::*;
use crate::{save::INTERVAL, RoomState, RoomStatus};

const ROOM: &str = DEFAULT_ROOM;

fn config(state: EngineState) -> EngineConfig {
    let invite = Invite {
        host: "127.0.0.1".into(),
        port: 4433,
        more: Vec::new(),
        fingerprint: None,
        room: None,
        room_key: Some("chiave".into()),
    };
    let mut config = EngineConfig::new(invite, "Anna", state);
    config.backoff_initial = Duration::from_millis(100);
    config.backoff_max = Duration::from_secs(1);
    config
}

/// A state in these rooms, each with its last seq.
fn in_rooms(rooms: &[(&str, Option<Seq>)]) -> EngineState {
    let mut state = EngineState::new();
    for (name, last_seq) in rooms {
        let room = RoomState {
            last_seq: *last_seq,
            ..RoomState::default()
        };
        state.rooms.insert(name.to_string(), room);
    }
    state
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

    /// The joins that went out: room and resume point.
    fn joins(&mut self) -> Vec<(String, Option<Seq>)> {
        self.frames()
            .into_iter()
            .filter_map(|f| match f {
                ClientFrame::Join(j) => Some((j.room, j.resume_after)),
                _ => None,
            })
            .collect()
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.m.poll(self.now);
    }

    fn command(&mut self, command: Command) {
        self.m.command(command, self.now);
        self.m.poll(self.now);
    }

    fn send(&mut self, room: &str, text: &str) {
        self.command(Command::Send {
            room: room.into(),
            text: text.into(),
        });
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

    fn ready(&mut self) {
        let ready = Ready {
            name: "Anna".into(),
            rate: RateLimit {
                per_second: 1000,
                burst: 1000,
            },
            max_rooms: 10,
        };
        assert!(self.m.connected(ready, self.now));
    }

    /// Dials, is let in, and returns the joins that went out.
    fn connect(&mut self) -> Vec<(String, Option<Seq>)> {
        self.dial();
        self.ready();
        self.joins()
    }

    /// A frame from the relay, then what the runner does next (poll).
    fn frame(&mut self, frame: ServerFrame) {
        self.m.frame(frame, self.now);
        self.m.poll(self.now);
    }

    fn welcome(&mut self, room: &str, last_seq: Seq, backlog: Vec<RoomEvent>) {
        self.frame(ServerFrame::Welcome(welcome(room, last_seq, backlog)));
    }

    fn fail(&mut self, failure: Failure) {
        self.m.failed(failure, self.now);
    }
}

fn welcome(room: &str, last_seq: Seq, backlog: Vec<RoomEvent>) -> Welcome {
    Welcome {
        room: RoomId::of(room),
        room_name: room.into(),
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
            Event::Room { event, .. } => Some(event.seq),
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

fn queued(events: &[Event]) -> Vec<ClientMsgId> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Queued { out, .. } => Some(out.id),
            _ => None,
        })
        .collect()
}

#[test]
fn disconnect_quits_then_reports_disconnected_and_stays_offline_in_its_rooms() {
    let mut t = Test::new(in_rooms(&[("a", None), ("b", None)]));
    t.connect();
    t.welcome("a", 0, Vec::new());
    t.welcome("b", 0, Vec::new());
    t.send("a", "ultimo");
    let id = queued(&t.events())[0];
    t.frames();
    t.command(Command::Disconnect);
    assert_eq!(t.io(), vec![Io::Quit]);
    assert!(
        statuses(&t.events()).is_empty(),
        "not before the relay closed"
    );
    // Acks of what was sent before the Quit still count.
    t.frame(ServerFrame::Ack {
        room: RoomId::of("a"),
        id,
        seq: 1,
    });
    t.frame(ServerFrame::Bye(ByeReason::Left));
    t.m.quit();
    let events = t.events();
    assert!(events.iter().any(|e| matches!(e, Event::Acked { .. })));
    assert_eq!(statuses(&events), vec![Status::Disconnected]);
    assert_eq!(t.m.state().rooms.len(), 2, "the rooms stay");
    t.command(Command::NetworkChanged);
    t.advance(Duration::from_secs(60));
    assert!(t.io().is_empty());
    t.command(Command::ReconnectNow);
    assert!(matches!(t.io().as_slice(), [Io::Dial(_)]));
    assert_eq!(statuses(&t.events()), vec![Status::Connecting]);
    t.ready();
    assert_eq!(t.joins().len(), 2);
}

#[test]
fn a_replaced_session_or_a_refused_hello_stops_until_asked_to_reconnect() {
    let mut t = Test::new(EngineState::new());
    t.connect();
    t.welcome(ROOM, 0, Vec::new());
    t.frame(ServerFrame::Bye(ByeReason::Replaced));
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
    let mut t = Test::new(EngineState::new());
    t.dial();
    let bad = Problem::Refused(RefuseReason::BadName(NameError::Empty));
    t.fail(Failure::dial(bad.clone()));
    assert_eq!(statuses(&t.events()).last(), Some(&Status::Failed(bad)));
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
    t.connect();
    t.welcome(ROOM, 0, Vec::new());
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

#[test]
fn after_the_host_closed_the_room_that_stays_the_reason_until_it_is_back() {
    let mut t = Test::new(EngineState::new());
    t.connect();
    t.welcome(ROOM, 0, Vec::new());
    t.frame(ServerFrame::Bye(ByeReason::HostClosed));
    t.dial();
    t.fail(Failure::dial(Problem::Unreachable));
    let problems: Vec<Problem> = statuses(&t.events())
        .into_iter()
        .filter_map(|s| match s {
            Status::Reconnecting { problem, .. } => Some(problem),
            _ => None,
        })
        .collect();
    assert_eq!(
        problems,
        vec![Problem::Bye(ByeReason::HostClosed); 2],
        "not \"unreachable\" while the host is away"
    );
    // Back: a later failure says what it is.
    t.dial();
    t.ready();
    t.fail(Failure::of(Problem::Unreachable));
    assert!(matches!(
        statuses(&t.events()).last(),
        Some(Status::Reconnecting {
            problem: Problem::Unreachable,
            ..
        })
    ));
}
