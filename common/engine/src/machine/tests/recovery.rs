//! Recovery from a frame that could not be decoded: the rooms whose resume may have
//! brought it join again without resuming, with a visible gap; when no resume can
//! explain it, the engine stops.

use super::*;

#[test]
fn an_undecodable_resume_is_followed_by_a_join_without_resume_that_reports_the_gap() {
    let mut t = Test::new(in_rooms(&[("a", Some(10)), ("b", Some(20))]));
    t.connect();
    t.welcome("b", 20, Vec::new());
    // a's resumed backlog is still coming when a frame cannot be decoded.
    t.welcome("a", 500, vec![joined(11)]);
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
    assert_eq!(
        t.connect(),
        vec![("a".into(), None), ("b".into(), Some(20))],
        "a takes the recent backlog instead; b resumes"
    );
    // The recent backlog starts long after what was seen.
    t.welcome("a", 500, (490..=500).map(joined).collect());
    let events = t.events();
    assert!(events.contains(&Event::Welcome {
        room: "a".into(),
        name: "Anna".into(),
        last_seq: 500,
        gap: true,
        archived: false,
        owner: false,
    }));
    assert_eq!(seqs(&events), (490..=500).collect::<Vec<_>>());
    // A later ordinary failure: the next join resumes again, from where it is now.
    t.fail(Failure::of(Problem::Unreachable));
    assert_eq!(
        t.connect(),
        vec![("a".into(), Some(500)), ("b".into(), Some(20))]
    );
}

#[test]
fn an_undecodable_frame_no_resume_can_explain_is_permanent() {
    // The relay's ready itself.
    let mut t = Test::new(in_rooms(&[(ROOM, Some(10))]));
    t.dial();
    t.fail(Failure::dial(Problem::Undecodable(
        "malformed frame".into(),
    )));
    assert!(matches!(
        statuses(&t.events()).last(),
        Some(Status::Failed(Problem::Undecodable(_)))
    ));
    t.advance(Duration::from_secs(60));
    assert_eq!(t.attempts(), 0, "no further attempt");

    // A resume's welcome, then the recovering join's: one recovery, then the end.
    let mut t = Test::new(in_rooms(&[(ROOM, Some(10))]));
    t.connect();
    t.fail(undecodable());
    assert_eq!(t.connect(), vec![(ROOM.into(), None)]);
    t.fail(undecodable());
    assert!(matches!(
        statuses(&t.events()).last(),
        Some(Status::Failed(Problem::Undecodable(_)))
    ));

    // The recovering join welcomed, its backlog reaching back over what was seen.
    let mut t = Test::new(in_rooms(&[(ROOM, Some(10))]));
    t.connect();
    t.fail(undecodable());
    t.connect();
    t.welcome(ROOM, 13, (8..=13).map(joined).collect());
    let events = t.events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Welcome { gap: false, .. })));
    assert_eq!(seqs(&events), vec![11, 12, 13], "no repeat");
    t.fail(undecodable());
    assert!(matches!(
        statuses(&t.events()).last(),
        Some(Status::Failed(Problem::Undecodable(_)))
    ));
}
