//! Packing what the relay sends in bulk into frames, by exact wire size: the welcome
//! with the member list and backlog (the rest following as `Members` and `Event`
//! frames), history pages, and which events a joining client gets. Pure functions: every
//! frame built here decodes on the client (property-tested below).

use std::collections::VecDeque;

use bytes::Bytes;
use common::{
    codec::{self, PREFIX_BYTES},
    protocol::{HistoryPage, RoomId, Seq, ServerFrame, Welcome, MAX_FRAME_BYTES},
};
use serde::Serialize;

use crate::log::Stored;

/// Bytes of a welcome given to member names before they spill into `Members` frames:
/// the backlog gets the rest.
pub const WELCOME_MEMBERS_BYTES: usize = 16 * 1024;

/// Most bytes the length of a list takes on the wire (a varint of a `u64`). Each list in
/// a frame is packed as if its length took this much.
const LIST_LEN_BYTES: usize = 9;

/// Bytes of the variant tag in front of an event in a `ServerFrame::Event` frame.
const EVENT_TAG_BYTES: usize = 1;

/// Encodes a frame the relay packed. Frames are packed within the limit, so a failure
/// is a bug in the packing.
pub fn encode(frame: &ServerFrame) -> Bytes {
    codec::encode(frame).expect("relay frames are packed within the frame limit")
}

/// Wire size of a value (the payload, without prefix).
fn wire_len<T: Serialize>(value: &T) -> usize {
    codec::encode(value).map_or(usize::MAX, |b| b.len() - PREFIX_BYTES)
}

/// What a stored event's frame holds besides the event: prefix, tag and room id.
fn overhead(room: RoomId) -> usize {
    PREFIX_BYTES + EVENT_TAG_BYTES + wire_len(&room)
}

/// Wire size of a stored event inside a list, given its frame's [`overhead`].
fn event_len(stored: &Stored, overhead: usize) -> usize {
    stored.frame.len() - overhead
}

/// The welcome (`base` with its member list and backlog left empty) and what follows
/// it: as many `members` as fit in [`WELCOME_MEMBERS_BYTES`], as much `backlog` as fits
/// in the rest, then `Members` frames and the remaining events' frames, in order.
pub fn welcome(base: Welcome, members: Vec<String>, backlog: Vec<Stored>) -> Vec<Bytes> {
    let room = base.room;
    let overhead = overhead(room);
    let mut welcome = base;
    welcome.members.clear();
    welcome.backlog.clear();
    let frame = ServerFrame::Welcome(welcome);
    let space = MAX_FRAME_BYTES - wire_len(&frame) - 2 * LIST_LEN_BYTES;
    let ServerFrame::Welcome(mut welcome) = frame else {
        unreachable!("built above")
    };

    let mut names = members.into_iter().peekable();
    let mut used = 0;
    let members_room = WELCOME_MEMBERS_BYTES.min(space);
    while let Some(n) = names.next_if(|n| used + wire_len(n) <= members_room) {
        used += wire_len(&n);
        welcome.members.push(n);
    }
    let mut events = backlog.into_iter().peekable();
    while let Some(e) = events.next_if(|e| used + event_len(e, overhead) <= space) {
        used += event_len(&e, overhead);
        welcome.backlog.push(e.event);
    }

    let mut out = vec![encode(&ServerFrame::Welcome(welcome))];
    let members = |names| ServerFrame::Members { room, names };
    let members_frame_room = MAX_FRAME_BYTES - wire_len(&members(Vec::new())) - LIST_LEN_BYTES;
    let mut chunk = Vec::new();
    let mut used = 0;
    for n in names {
        let len = wire_len(&n);
        if used + len > members_frame_room {
            out.push(encode(&members(std::mem::take(&mut chunk))));
            used = 0;
        }
        used += len;
        chunk.push(n);
    }
    if !chunk.is_empty() {
        out.push(encode(&members(chunk)));
    }
    out.extend(events.map(|e| e.frame));
    out
}

/// The events a client resuming after `after` gets, and whether some are lost: those
/// read from `disk` (the newest up to `max + 1` at or below `published`; `None` when
/// memory reaches back far enough, `Some(Err)` when the read failed), then those in
/// `memory` after them. More than `max` events: only the newest `max`, with a gap. A
/// resume point past `published` means the relay's log was reset: a gap too.
pub fn replay(
    after: Seq,
    disk: Option<Result<Vec<Stored>, ()>>,
    memory: &VecDeque<Stored>,
    published: Seq,
    max: usize,
) -> (Vec<Stored>, bool) {
    let mut gap = after > published;
    let mut out: Vec<Stored> = match disk {
        Some(Ok(events)) => events.into_iter().filter(|e| e.seq > after).collect(),
        Some(Err(())) => {
            gap = true;
            Vec::new()
        }
        None => Vec::new(),
    };
    let last = out.last().map_or(after, |e| e.seq);
    out.extend(memory.iter().filter(|e| e.seq > last).cloned());
    if out.len() > max {
        out.drain(..out.len() - max);
        gap = true;
    }
    (out, gap)
}

/// A history page of `room` answering `History { before, .. }`: the newest of `stored`
/// (events below `before`, oldest first, as read from the log: up to `limit + 1`) that
/// fit in one frame, at most `limit`, oldest first; `more` when older ones exist.
pub fn history_page(room: RoomId, before: Seq, stored: Vec<Stored>, limit: usize) -> Bytes {
    let mut more = stored.len() > limit;
    let overhead = overhead(room);
    let page = |events, more, retry_later| ServerFrame::History {
        room,
        page: HistoryPage {
            before,
            events,
            more,
            retry_later,
        },
    };
    let space = MAX_FRAME_BYTES - wire_len(&page(Vec::new(), true, false)) - LIST_LEN_BYTES;
    let mut used = 0;
    let mut events = Vec::new();
    for e in stored.into_iter().rev().take(limit) {
        if used + event_len(&e, overhead) > space {
            more = true;
            break;
        }
        used += event_len(&e, overhead);
        events.push(e.event);
    }
    events.reverse();
    encode(&page(events, more, false))
}

/// The answer to a history request the client may not make now.
pub fn retry_later(room: RoomId, before: Seq) -> Bytes {
    encode(&ServerFrame::History {
        room,
        page: HistoryPage {
            before,
            events: Vec::new(),
            more: true,
            retry_later: true,
        },
    })
}

/// The answer to a history request about a room the client is not in: no events, none
/// older.
pub fn not_in_room(room: RoomId, before: Seq) -> Bytes {
    encode(&ServerFrame::History {
        room,
        page: HistoryPage {
            before,
            events: Vec::new(),
            more: false,
            retry_later: false,
        },
    })
}

#[cfg(test)]
#[path = "pack_tests.rs"]
mod tests;
