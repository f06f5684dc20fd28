//! [`SessionRooms`]: the rooms one session is in, and what its frames about them do:
//! join (checked against the room rules, the relay's rooms and the per-client limit),
//! send (rate-limited over all rooms), history (paced over all rooms), leave, and an
//! owner's moderation (the owner key is checked when joining).
//! Answers about no room the session is in: `Rejected{NotInRoom}` for a send, an empty
//! page for history, `RoomLeft{Left}` for a leave.

use std::{collections::HashMap, sync::Arc};

use common::{
    fingerprint::constant_time_eq,
    protocol::{
        ClientMsgId, Join, JoinRefusal, LeaveReason, Moderation, ModerationRefusal, RejectReason,
        RoomId, RoomLeftReason, Seq, ServerFrame,
    },
    rate::TokenBucket,
    rules::validate_room_name,
};
use tokio::{sync::oneshot, time::timeout};

use super::DRAIN;
use crate::{
    relay::Shared,
    room::{
        pack::{encode, not_in_room, retry_later},
        Close, MemberRef, Room, Submitted,
    },
};

/// The rooms of one session.
pub(super) struct SessionRooms<'a> {
    member: &'a MemberRef,
    shared: &'a Shared,
    rooms: HashMap<RoomId, Arc<Room>>,
    /// Messages, over all rooms.
    tokens: TokenBucket,
    /// History pages, over all rooms.
    pages: TokenBucket,
}

impl<'a> SessionRooms<'a> {
    pub(super) fn new(member: &'a MemberRef, shared: &'a Shared) -> Self {
        let limits = &shared.limits;
        Self {
            member,
            shared,
            rooms: HashMap::new(),
            tokens: TokenBucket::for_limit(limits.rate),
            pages: TokenBucket::new(
                f64::from(limits.history_burst),
                f64::from(limits.history_per_second),
            ),
        }
    }

    /// Queues an answer the client provoked: it counts against the queue, and a client
    /// that keeps asking without reading is evicted.
    fn tell(&self, frame: &ServerFrame) {
        if !self.member.queue.push(encode(frame)) && self.member.queue.close(Close::TooSlow) {
            tracing::warn!(name = %self.member.name, "evicting a client that does not read its answers");
            let evicted = &self.shared.stats.evicted_slow;
            evicted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Joins a room, or tells the client why not.
    pub(super) async fn join(&mut self, join: Join) {
        let refuse = |reason| ServerFrame::JoinRefused {
            room: join.room.clone(),
            reason,
        };
        let name = match validate_room_name(&join.room) {
            Ok(name) => name,
            Err(e) => return self.tell(&refuse(JoinRefusal::BadRoomName(e))),
        };
        let id = RoomId::of(&name);
        let owner = match (join.owner_key.as_deref(), self.shared.owner_key.as_deref()) {
            (None, _) => false,
            (Some(given), Some(key)) if constant_time_eq(given.as_bytes(), key.as_bytes()) => true,
            (Some(_), _) => return self.tell(&refuse(JoinRefusal::OwnerKeyWrong)),
        };
        // Rooms that let the member go (removed by the operator) no longer count.
        self.rooms.retain(|_, room| room.has(self.member));
        let max = self.shared.limits.max_rooms_per_client;
        if !self.rooms.contains_key(&id) && self.rooms.len() >= max {
            return self.tell(&refuse(JoinRefusal::TooManyRooms));
        }
        // A room unloaded while this join reached it is opened again: ask once more.
        for _ in 0..3 {
            let admitted = self.shared.rooms.admit(&name, join.key.as_deref()).await;
            let room = match admitted {
                Ok(room) => room,
                Err(reason) => return self.tell(&refuse(reason)),
            };
            match room.join_as(self.member, join.resume_after, owner).await {
                Ok(()) => {
                    tracing::debug!(name = %self.member.name, room = %name, "joined");
                    self.rooms.insert(id, room);
                    return;
                }
                Err(JoinRefusal::NoSuchRoom) if room.is_closed() => continue,
                Err(reason) => return self.tell(&refuse(reason)),
            }
        }
        self.tell(&refuse(JoinRefusal::NoSuchRoom));
    }

    /// A message to a room.
    pub(super) fn send(&mut self, room: RoomId, id: ClientMsgId, text: String) {
        let not_in_room = ServerFrame::Rejected {
            room,
            id,
            reason: RejectReason::NotInRoom,
        };
        let Some(r) = self.rooms.get(&room) else {
            return self.tell(&not_in_room);
        };
        if r.submit(self.member, id, text, &mut self.tokens) == Submitted::Gone {
            // Removed from the room (it was deleted), or the session is ending.
            self.rooms.remove(&room);
            if self.member.queue.closed_as().is_none() {
                self.tell(&not_in_room);
            }
        }
    }

    /// An owner's action in a room; refused, the client is told why.
    pub(super) async fn moderate(&mut self, room: RoomId, action: Moderation) {
        let outcome = match self.rooms.get(&room) {
            Some(r) => r.moderate(self.member, action.clone()).await,
            None => Err(ModerationRefusal::NotInRoom),
        };
        if let Err(reason) = outcome {
            self.tell(&ServerFrame::ModerationRefused {
                room,
                action,
                reason,
            });
        }
    }

    /// A history page of a room.
    pub(super) async fn history(&mut self, room: RoomId, before: Seq, limit: u32) {
        let page = match self.rooms.get(&room) {
            None => not_in_room(room, before),
            Some(r) if self.pages.take() => r.history(before, limit).await,
            Some(_) => retry_later(room, before),
        };
        if !self.member.queue.push(page) && self.member.queue.close(Close::TooSlow) {
            let evicted = &self.shared.stats.evicted_slow;
            evicted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Leaves a room: the acks of what was sent to it first, then `RoomLeft{Left}`.
    pub(super) async fn leave(&mut self, room: RoomId) {
        let left = ServerFrame::RoomLeft {
            room,
            reason: RoomLeftReason::Left,
        };
        match self.rooms.remove(&room) {
            Some(r) => {
                let _ = timeout(DRAIN, r.leave(self.member, LeaveReason::Left)).await;
                self.member.queue.push_exempt(encode(&left));
            }
            None => self.tell(&left),
        }
    }

    /// Leaves every room (the session ends); each receiver completes once that room
    /// has published what the client sent it.
    pub(super) fn leave_all(&mut self, reason: LeaveReason) -> Vec<oneshot::Receiver<()>> {
        self.rooms
            .drain()
            .map(|(_, room)| room.leave(self.member, reason))
            .collect()
    }
}
