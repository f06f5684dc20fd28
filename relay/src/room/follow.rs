//! A room shared by several relays fans out from its log's feed: every event stored by
//! any relay, in the log's one order, so every relay's members see the same room. What
//! the feed brings also tells this relay what the others did: message ids (resends
//! through here are recognised), joins and leaves (who is present), and which of this
//! relay's own senders can now be acked.

use std::{sync::Weak, time::Duration};

use common::protocol::EventKind;
use tokio::sync::mpsc;

use super::{Resend, Room, ServerFrame};
use crate::log::Stored;

/// Events taken from the feed at once (one push per member for all of them).
const BATCH: usize = 1024;

/// How often a quiet feed checks that its room still exists.
const CHECK: Duration = Duration::from_secs(5);

/// Delivers `feed` to `room` until the room is gone.
pub(super) async fn run(room: Weak<Room>, mut feed: mpsc::Receiver<Stored>) {
    let mut batch = Vec::new();
    loop {
        let got = tokio::select! {
            n = feed.recv_many(&mut batch, BATCH) => n,
            () = tokio::time::sleep(CHECK) => {
                match room.upgrade() {
                    Some(r) if !r.is_closed() || r.has_awaiting() => continue,
                    _ => return,
                }
            }
        };
        if got == 0 {
            return;
        }
        let Some(room) = room.upgrade() else { return };
        room.followed(std::mem::take(&mut batch));
    }
}

impl Room {
    /// True while acks wait for the feed.
    fn has_awaiting(&self) -> bool {
        !self.state.lock().unwrap().awaiting.is_empty()
    }

    /// Events from the feed: published to this relay's members, then the acks they
    /// make due; a member of this relay the log says left (another relay lost track of
    /// it) is logged as joined again.
    fn followed(&self, events: Vec<Stored>) {
        let mut s = self.state.lock().unwrap();
        let events: Vec<Stored> = events.into_iter().filter(|e| e.seq > s.published).collect();
        let Some(last) = events.last().map(|e| e.seq) else {
            return;
        };
        let mut left_here = Vec::new();
        for e in &events {
            match &e.event.kind {
                EventKind::Message { id, .. } => {
                    s.seq.seen(*id);
                    s.seq.remember(*id, e.seq);
                }
                EventKind::Joined { name } => s.presence.seen(name, true),
                EventKind::Left { name, .. } => {
                    s.presence.seen(name, false);
                    if s.members.iter().any(|(_, m)| &m.name == name) {
                        left_here.push(name.clone());
                    }
                }
                _ => {}
            }
        }
        let mut slow = Vec::new();
        self.deliver(&mut s, events, &mut slow);
        let later = s.awaiting.split_off(&(last + 1));
        let due = std::mem::replace(&mut s.awaiting, later);
        for (seq, ids) in due {
            for (id, published) in ids {
                let frame = ServerFrame::Ack {
                    room: self.id,
                    id,
                    seq,
                };
                self.settle(&mut s, id, frame, published, &mut slow);
            }
        }
        let online = s.members.len();
        for name in left_here {
            if !s.closed && s.presence.joined(&name, online) {
                tracing::info!(room = %self.name, %name, "logged as gone elsewhere, but here: joined again");
                self.append(EventKind::Joined { name }, Resend::Fresh);
            }
        }
        for (key, session) in slow {
            self.evict(&mut s, &key, session);
        }
    }
}
