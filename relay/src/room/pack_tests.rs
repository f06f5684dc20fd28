//! Every frame the packing builds decodes, whatever the texts and names; nothing is lost
//! or repeated between a welcome and what follows it.

use common::{
    codec,
    protocol::{ClientMsgId, EventKind, InstallId, RoomEvent, ServerFrame},
    rules::{MAX_NAME_CHARS, MAX_TEXT_CHARS},
};
use proptest::prelude::*;

use super::*;

fn room() -> RoomId {
    RoomId(u64::MAX)
}

fn stored(seq: Seq, sender: &str, text: &str) -> Stored {
    Stored::new(
        room(),
        RoomEvent {
            seq,
            at_ms: 1_800_000_000_000 + seq,
            kind: EventKind::Message {
                sender: sender.into(),
                text: text.into(),
                id: ClientMsgId {
                    install: InstallId([9; 16]),
                    counter: u64::MAX - seq,
                },
            },
        },
    )
    .unwrap()
}

fn base(_member: &str) -> Welcome {
    Welcome {
        room: room(),
        room_name: "r".repeat(common::rules::MAX_ROOM_NAME_CHARS),
        members: Vec::new(),
        online: u32::MAX,
        members_as_of: Seq::MAX,
        backlog: Vec::new(),
        last_seq: Seq::MAX,
        gap: false,
        archived: true,
        owner: true,
    }
}

/// Decodes a welcome and what follows it back into the members and events it carries.
fn unpack(frames: &[Bytes]) -> (Vec<String>, Vec<RoomEvent>) {
    let mut members = Vec::new();
    let mut events = Vec::new();
    let mut event_frames = false;
    for (i, frame) in frames.iter().enumerate() {
        assert!(frame.len() <= PREFIX_BYTES + MAX_FRAME_BYTES);
        let (decoded, used) = codec::decode::<ServerFrame>(frame).expect("every frame decodes");
        assert_eq!(used, frame.len());
        match decoded {
            ServerFrame::Welcome(w) if i == 0 => {
                members.extend(w.members);
                events.extend(w.backlog);
            }
            ServerFrame::Members { room: r, names } => {
                assert_eq!(r, room());
                assert!(!event_frames, "members come before events");
                members.extend(names);
            }
            ServerFrame::Event { room: r, event: e } => {
                assert_eq!(r, room());
                event_frames = true;
                events.push(e);
            }
            other => panic!("frame {i}: {other:?}"),
        }
    }
    (members, events)
}

/// A string of `chars` characters cycling through `alphabet`.
fn text(alphabet: &[char], chars: usize) -> String {
    alphabet.iter().cycle().take(chars).collect()
}

#[test]
fn an_events_size_in_a_list_is_its_frame_without_prefix_and_tag() {
    for t in ["a", "ciao", &"è".repeat(4000)] {
        let s = stored(7, "Anna", t);
        assert_eq!(event_len(&s, overhead(room())), wire_len(&s.event));
        let small = Stored::new(RoomId(1), s.event.clone()).unwrap();
        assert_eq!(event_len(&small, overhead(RoomId(1))), wire_len(&s.event));
    }
}

#[test]
fn members_and_backlog_split_across_frames_each_within_the_limit() {
    let names: Vec<String> = (0..3000).map(|i| format!("{i:0>32}")).collect();
    let backlog: Vec<Stored> = (1..=400)
        .map(|s| stored(s, "Anna", &"x".repeat(1000)))
        .collect();
    let frames = welcome(base("Anna"), names.clone(), backlog.clone());
    let (first, _) = codec::decode::<ServerFrame>(&frames[0]).unwrap();
    let ServerFrame::Welcome(w) = first else {
        panic!("a welcome first")
    };
    let members_bytes: usize = w.members.iter().map(|n| n.len() + 1).sum();
    assert!(members_bytes <= WELCOME_MEMBERS_BYTES && members_bytes > WELCOME_MEMBERS_BYTES - 40);
    assert!(!w.backlog.is_empty() && w.backlog.len() < 400);
    assert!(frames.len() > 2, "the rest follows");
    let (members, events) = unpack(&frames);
    assert_eq!(members, names, "every member once, in order");
    let want: Vec<RoomEvent> = backlog.into_iter().map(|s| s.event).collect();
    assert_eq!(events, want, "every event once, in order");
}

#[test]
fn a_resume_replays_from_disk_then_memory_without_repeats_and_flags_losses() {
    let ev = |seq| stored(seq, "a", "b");
    // Seqs need not be consecutive.
    let disk: Vec<Stored> = [10, 20, 30, 40].map(ev).to_vec();
    let memory: VecDeque<Stored> = [30, 40, 50, 60].map(ev).into();
    let seqs = |v: &[Stored]| v.iter().map(|s| s.seq).collect::<Vec<_>>();
    let (out, gap) = replay(10, Some(Ok(disk.clone())), &memory, 60, 100);
    assert_eq!((seqs(&out), gap), (vec![20, 30, 40, 50, 60], false));
    let (out, gap) = replay(30, None, &memory, 60, 100);
    assert_eq!((seqs(&out), gap), (vec![40, 50, 60], false));
    let (out, gap) = replay(0, Some(Ok(disk)), &memory, 60, 3);
    assert_eq!(
        (seqs(&out), gap),
        (vec![40, 50, 60], true),
        "only the newest"
    );
    let (out, gap) = replay(0, Some(Err(())), &memory, 60, 100);
    assert!(gap && !out.is_empty(), "a failed read is a gap");
    let (out, gap) = replay(999, None, &memory, 60, 100);
    assert_eq!((out.len(), gap), (0, true), "past the log: it was reset");
}

#[test]
fn a_history_page_holds_the_newest_events_that_fit_oldest_first() {
    let events: Vec<Stored> = (1..=201).map(|s| stored(s * 2, "a", "ok")).collect();
    let (page, _) = codec::decode::<ServerFrame>(&history_page(room(), 500, events, 200)).unwrap();
    let ServerFrame::History { page, .. } = page else {
        panic!()
    };
    assert_eq!(page.events.len(), 200);
    assert_eq!(page.events.first().unwrap().seq, 4);
    assert_eq!(page.events.last().unwrap().seq, 402);
    assert!(page.more && !page.retry_later);

    let big: Vec<Stored> = (1..=50)
        .map(|s| stored(s, "a", &"€".repeat(4000)))
        .collect();
    let (page, _) = codec::decode::<ServerFrame>(&history_page(room(), 51, big, 50)).unwrap();
    let ServerFrame::History { page, .. } = page else {
        panic!()
    };
    assert_eq!(page.events.len(), 5, "12 KB each: five fit in 64 KiB");
    assert_eq!(page.events.last().unwrap().seq, 50);
    assert!(page.more);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Across text lengths from 1 to the maximum and names from 1 to the maximum, in
    /// one-, two-, three- and four-byte characters: the welcome, the member lists, the
    /// events after them and a history page all decode, with nothing lost or repeated.
    #[test]
    fn every_frame_packed_decodes_for_any_text_and_name_length(
        text_chars in 1..=MAX_TEXT_CHARS,
        name_chars in 1..=MAX_NAME_CHARS,
        alphabet in prop::sample::select(vec![
            vec!['a'], vec!['o', 'k'], vec!['è', 'à'], vec!['€', '中'], vec!['🎸', 'a'],
        ]),
        events in 1usize..600,
        members in 0usize..1500,
    ) {
        let name = text(&alphabet, name_chars);
        let names: Vec<String> = (0..members).map(|i| format!("{i}{name}")).collect();
        let backlog: Vec<Stored> = (1..=events as Seq)
            .map(|s| stored(s, &name, &text(&alphabet, 1 + (text_chars * s as usize) % MAX_TEXT_CHARS)))
            .collect();
        let frames = welcome(base(&name), names.clone(), backlog.clone());
        let (got_members, got_events) = unpack(&frames);
        prop_assert_eq!(got_members, names);
        let want: Vec<RoomEvent> = backlog.iter().map(|s| s.event.clone()).collect();
        prop_assert_eq!(got_events, want);

        let page = history_page(room(), Seq::MAX, backlog, 200);
        let (decoded, _) = codec::decode::<ServerFrame>(&page).expect("the page decodes");
        let ServerFrame::History { page, .. } = decoded else { panic!("a page") };
        prop_assert!(!page.events.is_empty());
        prop_assert_eq!(page.events.last().map(|e| e.seq), Some(events as Seq));
    }
}
