use super::*;
use crate::protocol::*;

fn id(counter: u64) -> ClientMsgId {
    ClientMsgId {
        install: InstallId([7; 16]),
        counter,
    }
}

fn event(seq: Seq) -> RoomEvent {
    RoomEvent {
        seq,
        at_ms: 1_700_000_000_000 + seq,
        kind: EventKind::Message {
            sender: "Anna".into(),
            text: "ciao a tutti".into(),
            id: id(seq),
        },
    }
}

const ROOM: RoomId = RoomId(0x3b);

fn client_frames() -> Vec<ClientFrame> {
    vec![
        ClientFrame::Hello(Hello::new("Anna", InstallId([1; 16]))),
        ClientFrame::Join(Join {
            room: "classe-3b".into(),
            key: Some("segreto".into()),
            resume_after: Some(41),
            owner_key: Some("chiave del padrone".into()),
        }),
        ClientFrame::Join(Join {
            room: DEFAULT_ROOM.into(),
            key: None,
            resume_after: None,
            owner_key: None,
        }),
        ClientFrame::Send {
            room: ROOM,
            id: id(3),
            text: "Invia! ✓".into(),
        },
        ClientFrame::Leave { room: ROOM },
        ClientFrame::History {
            room: ROOM,
            before: 120,
            limit: MAX_HISTORY_PAGE,
        },
        ClientFrame::Quit,
    ]
    .into_iter()
    .chain(
        moderations()
            .into_iter()
            .map(|action| ClientFrame::Moderate { room: ROOM, action }),
    )
    .collect()
}

fn moderations() -> Vec<Moderation> {
    vec![
        Moderation::RemoveMessage { seq: 12 },
        Moderation::RemoveMember {
            name: "Bruno".into(),
            reason: "insulti, più volte".into(),
        },
        Moderation::Mute {
            name: "Bruno".into(),
            minutes: MAX_MUTE_MINUTES,
        },
        Moderation::Unmute {
            name: "Bruno".into(),
        },
    ]
}

/// Every moderation event, a refusal of every moderation, and the reasons it adds.
fn moderation_frames() -> Vec<ServerFrame> {
    let install = InstallId([2; 16]);
    let kinds = [
        EventKind::MessageRemoved {
            seq: 12,
            by: "Anna".into(),
        },
        EventKind::MemberRemoved {
            name: "Bruno".into(),
            install,
            by: "Anna".into(),
            reason: "spam".into(),
        },
        EventKind::Muted {
            name: "Bruno".into(),
            install,
            by: "Anna".into(),
            until_ms: 1_700_000_600_000,
        },
        EventKind::Unmuted {
            name: "Bruno".into(),
            install,
            by: "Anna".into(),
        },
        EventKind::Redacted {
            sender: "Bruno".into(),
            id: id(4),
            by: "Anna".into(),
        },
        EventKind::Left {
            name: "Bruno".into(),
            reason: LeaveReason::Removed,
        },
    ];
    let mut frames: Vec<ServerFrame> = kinds
        .into_iter()
        .map(|kind| ServerFrame::Event {
            room: ROOM,
            event: RoomEvent {
                seq: 13,
                at_ms: 13,
                kind,
            },
        })
        .collect();
    let refusals = [
        ModerationRefusal::NotOwner,
        ModerationRefusal::NotInRoom,
        ModerationRefusal::Archived,
        ModerationRefusal::NoSuchMessage,
        ModerationRefusal::NoSuchMember,
        ModerationRefusal::NotMuted,
        ModerationRefusal::OwnerProtected,
        ModerationRefusal::BadReason,
        ModerationRefusal::ReasonTooLong,
        ModerationRefusal::BadDuration,
    ];
    for (reason, action) in refusals.into_iter().zip(moderations().into_iter().cycle()) {
        frames.push(ServerFrame::ModerationRefused {
            room: ROOM,
            action,
            reason,
        });
    }
    frames.push(ServerFrame::Rejected {
        room: ROOM,
        id: id(1),
        reason: RejectReason::Muted {
            until_ms: 1_700_000_600_000,
        },
    });
    frames.push(ServerFrame::RoomLeft {
        room: ROOM,
        reason: RoomLeftReason::Removed {
            by: "Anna".into(),
            reason: "spam".into(),
        },
    });
    for reason in [JoinRefusal::Removed, JoinRefusal::OwnerKeyWrong] {
        frames.push(ServerFrame::JoinRefused {
            room: "classe-3b".into(),
            reason,
        });
    }
    frames
}

#[test]
fn moderation_reasons_read_as_plain_english() {
    let muted = RejectReason::Muted {
        until_ms: (13 * 60 + 5) * 60_000,
    };
    assert_eq!(
        muted.to_string(),
        "the room's owner muted you until 13:05 UTC"
    );
    let removed = RoomLeftReason::Removed {
        by: "Anna".into(),
        reason: "spam".into(),
    };
    assert_eq!(removed.to_string(), "removed from the room by Anna: spam");
    assert_eq!(
        ModerationRefusal::NotOwner.to_string(),
        "only the room's owner can do that"
    );
}

fn server_frames() -> Vec<ServerFrame> {
    let mut frames = vec![
        ServerFrame::Ready(Ready {
            name: "Anna".into(),
            rate: RateLimit::default(),
            max_rooms: 20,
        }),
        ServerFrame::Welcome(Welcome {
            room: ROOM,
            room_name: "classe-3b".into(),
            members: vec!["Anna".into(), "Bruno".into()],
            online: 2,
            members_as_of: 2,
            backlog: vec![
                event(1),
                RoomEvent {
                    seq: 2,
                    at_ms: 5,
                    kind: EventKind::Joined {
                        name: "Bruno".into(),
                    },
                },
            ],
            last_seq: 2,
            gap: false,
            archived: true,
            owner: true,
        }),
        ServerFrame::Members {
            room: ROOM,
            names: vec!["Carla".into()],
        },
        ServerFrame::Online {
            room: ROOM,
            count: 1234,
            as_of: 8,
        },
        ServerFrame::Event {
            room: ROOM,
            event: event(9),
        },
        ServerFrame::Ack {
            room: ROOM,
            id: id(9),
            seq: 9,
        },
        ServerFrame::History {
            room: ROOM,
            page: HistoryPage {
                before: 9,
                events: vec![event(3), event(5)],
                more: true,
                retry_later: false,
            },
        },
        ServerFrame::Archived {
            room: ROOM,
            archived: true,
        },
        ServerFrame::Archived {
            room: ROOM,
            archived: false,
        },
    ];
    for reason in [RoomLeftReason::Left, RoomLeftReason::Deleted] {
        frames.push(ServerFrame::RoomLeft { room: ROOM, reason });
    }
    for reason in [
        JoinRefusal::NoSuchRoom,
        JoinRefusal::BadRoomName(RoomNameError::Empty),
        JoinRefusal::BadRoomName(RoomNameError::TooLong),
        JoinRefusal::BadRoomName(RoomNameError::BadCharacter),
        JoinRefusal::RoomKeyRequired,
        JoinRefusal::RoomKeyWrong,
        JoinRefusal::NameTaken,
        JoinRefusal::TooManyRooms,
        JoinRefusal::RoomFull,
        JoinRefusal::TooManyRoomsOnRelay,
    ] {
        frames.push(ServerFrame::JoinRefused {
            room: "classe-3b".into(),
            reason,
        });
    }
    for reason in [
        LeaveReason::Left,
        LeaveReason::ConnectionLost,
        LeaveReason::TooSlow,
        LeaveReason::ProtocolError,
        LeaveReason::Shutdown,
    ] {
        frames.push(ServerFrame::Event {
            room: ROOM,
            event: RoomEvent {
                seq: 10,
                at_ms: 10,
                kind: EventKind::Left {
                    name: "Bruno".into(),
                    reason,
                },
            },
        });
    }
    for reason in [
        RejectReason::EmptyText,
        RejectReason::TextTooLong,
        RejectReason::RateLimited,
        RejectReason::StorageFailed,
        RejectReason::ControlCharacter,
        RejectReason::Archived,
        RejectReason::NotInRoom,
        RejectReason::Unavailable,
    ] {
        frames.push(ServerFrame::Rejected {
            room: ROOM,
            id: id(1),
            reason,
        });
    }
    for reason in [
        RefuseReason::VersionMismatch { relay: 1 },
        RefuseReason::BadName(NameError::Empty),
        RefuseReason::BadName(NameError::TooLong),
        RefuseReason::BadName(NameError::ControlCharacter),
        RefuseReason::BadName(NameError::InvisibleCharacter),
        RefuseReason::BadName(NameError::UnsupportedCharacter),
        RefuseReason::BadName(NameError::NothingVisible),
        RefuseReason::RelayFull,
        RefuseReason::HelloTimeout,
        RefuseReason::ProtocolError,
    ] {
        frames.push(ServerFrame::Refused(reason));
    }
    for reason in [
        ByeReason::Shutdown,
        ByeReason::Replaced,
        ByeReason::TooSlow,
        ByeReason::ProtocolError,
        ByeReason::Left,
        ByeReason::HostClosed,
    ] {
        assert_eq!(
            ByeReason::from_close_code(reason.close_code().into()),
            Some(reason)
        );
        frames.push(ServerFrame::Bye(reason));
    }
    frames.extend(moderation_frames());
    frames
}

#[test]
fn every_frame_round_trips() {
    for frame in client_frames() {
        let bytes = encode(&frame).unwrap();
        let (back, used) = decode::<ClientFrame>(&bytes).unwrap();
        assert_eq!(back, frame);
        assert_eq!(used, bytes.len());
    }
    for frame in server_frames() {
        let bytes = encode(&frame).unwrap();
        let (back, used) = decode::<ServerFrame>(&bytes).unwrap();
        assert_eq!(back, frame);
        assert_eq!(used, bytes.len());
    }
}

/// A client of another version must read a refusal of its version: `Refused` keeps
/// its place (the first payload byte) and `VersionMismatch` its (the second); and a
/// relay of an earlier version must read this version's hello, whose layout is theirs.
#[test]
fn refusals_of_the_version_and_the_hello_keep_their_layout() {
    let refused = encode(&ServerFrame::Refused(RefuseReason::VersionMismatch {
        relay: 9,
    }))
    .unwrap();
    assert_eq!(&refused[PREFIX_BYTES..PREFIX_BYTES + 2], &[5, 0]);
    /// The hello of protocol versions 2 and 3.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    enum OldClientFrame {
        Hello {
            version: u16,
            name: String,
            install: InstallId,
            room_key: Option<String>,
            resume_after: Option<Seq>,
        },
    }
    let hello = encode(&ClientFrame::Hello(Hello::new("Anna", InstallId([1; 16])))).unwrap();
    match decode::<OldClientFrame>(&hello) {
        Ok((OldClientFrame::Hello { version, .. }, _)) => assert_eq!(version, PROTOCOL_VERSION),
        Err(e) => panic!("an older relay cannot read the hello: {e}"),
    }
}

/// A frame of exactly `target` wire bytes: a `Send` whose text fills it.
fn send_of_wire_len(target: usize) -> Bytes {
    let mut text_len = target as i64 - 40;
    for _ in 0..10 {
        let frame = ClientFrame::Send {
            room: ROOM,
            id: id(u64::MAX),
            text: "x".repeat(text_len as usize),
        };
        let bytes = encode_unchecked(&frame);
        let len = (bytes.len() - PREFIX_BYTES) as i64;
        if len == target as i64 {
            return bytes;
        }
        text_len += target as i64 - len;
    }
    panic!("no text makes a frame of {target} bytes");
}

fn encode_unchecked<T: Serialize>(frame: &T) -> Bytes {
    let payload = bincode::serde::encode_to_vec(frame, encode_config()).unwrap();
    let mut buf = BytesMut::new();
    buf.put_u32(payload.len() as u32);
    buf.extend_from_slice(&payload);
    buf.freeze()
}

#[test]
fn a_frame_of_exactly_the_limit_decodes_and_one_byte_more_is_refused() {
    let max = send_of_wire_len(MAX_FRAME_BYTES);
    assert_eq!(max.len(), PREFIX_BYTES + MAX_FRAME_BYTES);
    let (frame, _) = decode::<ClientFrame>(&max).expect("the documented maximum decodes");
    assert!(matches!(&frame, ClientFrame::Send { text, .. } if text.len() > 65_000));
    assert!(encode(&frame).is_ok());
    let over = send_of_wire_len(MAX_FRAME_BYTES + 1);
    assert!(matches!(
        decode::<ClientFrame>(&over),
        Err(CodecError::Oversized { len }) if len == MAX_FRAME_BYTES + 1
    ));
}

/// The frames with the most in-memory size per wire byte that the relay builds:
/// a welcome whose backlog is only joins and leaves of one-letter names, a member
/// list of one-letter names, a history page of one-letter messages.
#[test]
fn the_densest_frames_within_the_limit_decode() {
    let fill = |make: &dyn Fn(usize) -> ServerFrame| {
        let mut n = 1;
        while encode(&make(n * 2)).is_ok() {
            n *= 2;
        }
        let (mut lo, mut hi) = (n, n * 2);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if encode(&make(mid)).is_ok() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        make(lo)
    };
    let joined = |seq: u64| RoomEvent {
        seq,
        at_ms: u64::from(u32::MAX) + 1,
        kind: EventKind::Joined { name: "a".into() },
    };
    let frames: Vec<ServerFrame> = vec![
        fill(&|n| {
            ServerFrame::Welcome(Welcome {
                room: ROOM,
                room_name: "a".into(),
                members: vec![],
                online: 1,
                members_as_of: 1,
                backlog: (0..n as u64).map(joined).collect(),
                last_seq: n as u64,
                gap: false,
                archived: false,
                owner: false,
            })
        }),
        fill(&|n| ServerFrame::Members {
            room: ROOM,
            names: vec!["a".into(); n],
        }),
        fill(&|n| ServerFrame::History {
            room: ROOM,
            page: HistoryPage {
                before: u64::MAX,
                events: (0..n as u64)
                    .map(|seq| RoomEvent {
                        seq,
                        at_ms: 1,
                        kind: EventKind::Message {
                            sender: "a".into(),
                            text: "a".into(),
                            id: id(seq),
                        },
                    })
                    .collect(),
                more: true,
                retry_later: false,
            },
        }),
    ];
    for frame in frames {
        let bytes = encode(&frame).unwrap();
        assert!(bytes.len() > MAX_FRAME_BYTES * 9 / 10, "{}", bytes.len());
        let (back, _) = decode::<ServerFrame>(&bytes).expect("a full frame decodes");
        assert_eq!(back, frame);
    }
}

#[test]
fn frames_decode_back_to_back() {
    let mut buf = Vec::new();
    for frame in server_frames() {
        buf.extend_from_slice(&encode(&frame).unwrap());
    }
    let mut at = 0;
    let mut n = 0;
    while at < buf.len() {
        let (_, used) = decode::<ServerFrame>(&buf[at..]).unwrap();
        at += used;
        n += 1;
    }
    assert_eq!(n, server_frames().len());
}

#[test]
fn truncated_input_is_a_typed_error() {
    let bytes = encode(&client_frames()[0]).unwrap();
    for cut in 1..bytes.len() {
        match decode::<ClientFrame>(&bytes[..cut]) {
            Err(CodecError::Truncated { got, .. }) => assert_eq!(got, cut),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    assert!(matches!(
        decode::<ClientFrame>(&[]),
        Err(CodecError::Closed)
    ));
}

#[test]
fn oversized_prefix_is_rejected_before_reading() {
    let mut buf = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes().to_vec();
    buf.extend_from_slice(&[0; 16]);
    assert!(matches!(
        decode::<ClientFrame>(&buf),
        Err(CodecError::Oversized { len }) if len == MAX_FRAME_BYTES + 1
    ));
    assert!(matches!(
        decode::<ClientFrame>(&u32::MAX.to_be_bytes()),
        Err(CodecError::Oversized { .. })
    ));
}

#[test]
fn oversized_frame_is_not_encoded() {
    let frame = ClientFrame::Send {
        room: ROOM,
        id: id(1),
        text: "x".repeat(MAX_FRAME_BYTES + 10),
    };
    assert!(matches!(encode(&frame), Err(CodecError::Oversized { .. })));
}

#[test]
fn garbage_and_trailing_bytes_are_malformed() {
    let mut buf = 3u32.to_be_bytes().to_vec();
    buf.extend_from_slice(&[0xff, 0xff, 0xff]);
    assert!(matches!(
        decode::<ClientFrame>(&buf),
        Err(CodecError::Malformed(_))
    ));
    let frame = encode(&ClientFrame::Quit).unwrap();
    let mut padded = ((frame.len() - PREFIX_BYTES + 1) as u32)
        .to_be_bytes()
        .to_vec();
    padded.extend_from_slice(&frame[PREFIX_BYTES..]);
    padded.push(0);
    assert!(matches!(
        decode::<ClientFrame>(&padded),
        Err(CodecError::Malformed(m)) if m.contains("trailing")
    ));
    assert!(matches!(
        decode::<ClientFrame>(&0u32.to_be_bytes()),
        Err(CodecError::Malformed(_))
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        // Either a frame (rarely) or a typed error; never a panic.
        let _ = decode::<ClientFrame>(&bytes);
        let _ = decode::<ServerFrame>(&bytes);
    }

    #[test]
    fn random_payloads_behind_a_valid_prefix_never_panic(
        payload in proptest::collection::vec(proptest::num::u8::ANY, 1..512)
    ) {
        let mut buf = (payload.len() as u32).to_be_bytes().to_vec();
        buf.extend_from_slice(&payload);
        match decode::<ServerFrame>(&buf) {
            Ok((_, used)) => proptest::prop_assert_eq!(used, buf.len()),
            Err(CodecError::Malformed(_)) => {}
            Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn any_text_round_trips(text in ".{0,200}", counter in 0u64..u64::MAX) {
        let frame = ClientFrame::Send { room: ROOM, id: id(counter), text };
        let bytes = encode(&frame).unwrap();
        proptest::prop_assert_eq!(decode::<ClientFrame>(&bytes).unwrap().0, frame);
    }
}
