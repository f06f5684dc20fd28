//! Packing what the relay sends in bulk into frames, by exact wire size: the welcome
//! with the member list and backlog (the rest following as `Members` and `Event`
//! frames), history pages, and which events a joining client gets. Pure functions: every
//! frame built here decodes on the client (property-tested below).

use std::collections::VecDeque;

use bytes::Bytes;
use common::{
    codec::{self, PREFIX_BYTES},
    protocol::{HistoryPage, Seq, ServerFrame, Welcome, MAX_FRAME_BYTES},
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

/// Wire size of a stored event inside a list.
fn event_len(stored: &Stored) -> usize {
    stored.frame.len() - PREFIX_BYTES - EVENT_TAG_BYTES
}

/// The welcome (`base` with its member list and backlog left empty) and what follows
/// it: as many `members` as fit in [`WELCOME_MEMBERS_BYTES`], as much `backlog` as fits
/// in the rest, then `Members` frames and the remaining events' frames, in order.
pub fn welcome(base: Welcome, members: Vec<String>, backlog: Vec<Stored>) -> Vec<Bytes> {
    let mut welcome = base;
    welcome.members.clear();
    welcome.backlog.clear();
    let frame = ServerFrame::Welcome(welcome);
    let room = MAX_FRAME_BYTES - wire_len(&frame) - 2 * LIST_LEN_BYTES;
    let ServerFrame::Welcome(mut welcome) = frame else {
        unreachable!("built above")
    };

    let mut names = members.into_iter().peekable();
    let mut used = 0;
    let members_room = WELCOME_MEMBERS_BYTES.min(room);
    while let Some(n) = names.next_if(|n| used + wire_len(n) <= members_room) {
        used += wire_len(&n);
        welcome.members.push(n);
    }
    let mut events = backlog.into_iter().peekable();
    while let Some(e) = events.next_if(|e| used + event_len(e) <= room) {
        used += event_len(&e);
        welcome.backlog.push(e.event);
    }

    let mut out = vec![encode(&ServerFrame::Welcome(welcome))];
    let members_frame_room =
        MAX_FRAME_BYTES - wire_len(&ServerFrame::Members(Vec::new())) - LIST_LEN_BYTES;
    let mut chunk = Vec::new();
    let mut used = 0;
    for n in names {
        let len = wire_len(&n);
        if used + len > members_frame_room {
            out.push(encode(&ServerFrame::Members(std::mem::take(&mut chunk))));
            used = 0;
        }
        used += len;
        chunk.push(n);
    }
    if !chunk.is_empty() {
        out.push(encode(&ServerFrame::Members(chunk)));
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

/// A history page answering `History { before, .. }`: the newest of `stored` (events
/// below `before`, oldest first, as read from the log: up to `limit + 1`) that fit in
/// one frame, at most `limit`, oldest first; `more` when older ones exist.
pub fn history_page(before: Seq, stored: Vec<Stored>, limit: usize) -> Bytes {
    let mut more = stored.len() > limit;
    let empty = ServerFrame::History(HistoryPage {
        before,
        events: Vec::new(),
        more: true,
        retry_later: false,
    });
    let room = MAX_FRAME_BYTES - wire_len(&empty) - LIST_LEN_BYTES;
    let mut used = 0;
    let mut events = Vec::new();
    for e in stored.into_iter().rev().take(limit) {
        if used + event_len(&e) > room {
            more = true;
            break;
        }
        used += event_len(&e);
        events.push(e.event);
    }
    events.reverse();
    encode(&ServerFrame::History(HistoryPage {
        before,
        events,
        more,
        retry_later: false,
    }))
}

/// The answer to a history request the client may not make now.
pub fn retry_later(before: Seq) -> Bytes {
    encode(&ServerFrame::History(HistoryPage {
        before,
        events: Vec::new(),
        more: true,
        retry_later: true,
    }))
}

#[cfg(test)]
#[path = "pack_tests.rs"]
mod tests;
