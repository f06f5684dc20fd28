//! Members leaving one room, the operator archiving it, and the room closing (the relay
//! shutting down, the operator removing the room, or nobody having been in it for a
//! while).

use std::sync::Arc;

use common::protocol::{EventKind, LeaveReason, RoomLeftReason, ServerFrame};
use tokio::sync::oneshot;

use super::{committer::Job, pack::encode, MemberRef, Resend, Room, State};

/// Why a room closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    /// The relay shuts down: the relay then says bye to every session.
    Shutdown,
    /// The operator removed the room: its members get `RoomLeft{Deleted}` and their
    /// sessions go on.
    Deleted,
}

impl Room {
    /// `member` leaves the room: removed (if its session is still the member) and its
    /// leave logged. The receiver completes once everything queued before — the acks of
    /// what it sent to this room — is published (at once if the room is gone).
    pub fn leave(&self, member: &MemberRef, reason: LeaveReason) -> oneshot::Receiver<()> {
        let (done, rx) = oneshot::channel();
        let mut s = self.state.lock().unwrap();
        if let Some(m) = s.members.remove(&member.key, member.session) {
            self.log.release(&member.key, m.install);
            if s.presence.left(&m.name) {
                self.append(
                    EventKind::Left {
                        name: m.name,
                        reason,
                    },
                    Resend::Fresh,
                );
            }
        }
        let _ = self.jobs.send(Job::Then(Box::new(move || {
            let _ = done.send(());
        })));
        rx
    }

    /// Archives the room (read-only: sends are rejected, joins still welcome) or
    /// opens it for writing again. Members are told of either change.
    pub fn set_archived(&self, archived: bool) {
        let s = self.state.lock().unwrap();
        let was = self
            .archived
            .swap(archived, std::sync::atomic::Ordering::Relaxed);
        if was == archived {
            return;
        }
        if archived {
            tracing::info!(room = %self.name, "archived");
        } else {
            tracing::info!(room = %self.name, "no longer archived");
        }
        let frame = encode(&ServerFrame::Archived {
            room: self.id,
            archived,
        });
        for (_, m) in s.members.iter() {
            // One frame per operator action: bounded, not counted.
            m.queue.push_exempt(frame.clone());
        }
    }

    /// Stops admitting and sequencing and logs `Left{Shutdown}` for everyone present;
    /// the receiver completes once every event so far is durable and published.
    fn mark_closed(&self, s: &mut State) -> oneshot::Receiver<()> {
        let (done, rx) = oneshot::channel();
        s.closed = true;
        let present = if self.shared {
            // Only this relay's members: the others' are present on their relays.
            let mut here = Vec::new();
            for (key, m) in s.members.iter() {
                self.log.release(key, m.install);
                here.push(m.name.clone());
            }
            here.retain(|name| s.presence.left(name));
            here
        } else {
            s.presence.take_all()
        };
        for name in present {
            self.append(
                EventKind::Left {
                    name,
                    reason: LeaveReason::Shutdown,
                },
                Resend::Fresh,
            );
        }
        let _ = self.jobs.send(Job::Then(Box::new(move || {
            let _ = done.send(());
        })));
        rx
    }

    /// Closes the room if nobody is in it — decided under its lock, so no join slips
    /// in (a join after it is refused as if the room did not exist, and the session
    /// asks again). True when it closes; [`Room::finished`] tells when its last events
    /// are durable.
    pub fn close_if_idle(self: &Arc<Self>) -> bool {
        let rx = {
            let mut s = self.state.lock().unwrap();
            if s.closed || !s.members.is_empty() {
                return false;
            }
            self.mark_closed(&mut s)
        };
        let room = self.clone();
        tokio::spawn(async move {
            let _ = rx.await;
            room.finished.send_replace(true);
        });
        true
    }

    /// True once the room is closed (or closing).
    pub fn is_closed(&self) -> bool {
        self.state.lock().unwrap().closed
    }

    /// Waits until the room is closed and everything it logged is durable.
    pub async fn finished(&self) {
        let mut done = self.finished.subscribe();
        let _ = done.wait_for(|finished| *finished).await;
    }

    /// Closes the room: stops admitting and sequencing, logs `Left{Shutdown}` for
    /// everyone present, waits until every event so far is durable and published, and
    /// lets the members go — told `RoomLeft{Deleted}` when the room was removed.
    pub async fn close(&self, how: Closing) {
        let rx = {
            let mut s = self.state.lock().unwrap();
            if s.closed {
                None
            } else {
                Some(self.mark_closed(&mut s))
            }
        };
        let Some(rx) = rx else {
            return self.finished().await;
        };
        let _ = rx.await;
        let mut s = self.state.lock().unwrap();
        let members = s.members.drain();
        if how == Closing::Deleted {
            tracing::info!(room = %self.name, members = members.len(), "room removed");
            let frame = encode(&ServerFrame::RoomLeft {
                room: self.id,
                reason: RoomLeftReason::Deleted,
            });
            for m in members {
                m.queue.push_exempt(frame.clone());
            }
        }
        drop(s);
        self.finished.send_replace(true);
    }
}
