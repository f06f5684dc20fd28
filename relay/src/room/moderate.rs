//! What the room's owners do ([`Room::moderate`]) and how the room enforces it once the
//! event is published (`Room::enforce`, called for every published batch, from this
//! relay's appends or a shared log's feed): a removed message's text is no longer
//! served, a removed member's session leaves the room with `RoomLeft{Removed}` and its
//! leave is logged. Mutes and bars are checked where members send and join
//! ([`super::moderation::Moderated`] keeps them).

use common::protocol::{
    EventKind, LeaveReason, Moderation, ModerationRefusal, RoomLeftReason, Seq, ServerFrame,
};
use common::rules::name_key;

use super::{blocking, moderation::redacted, now_ms, pack::encode, MemberRef, Resend, Room, State};
use crate::log::Stored;

impl Room {
    /// Carries out `action` for `member` if it is an owner of the room: the event is
    /// logged, then published (and enforced) like any other. Refused with the reason
    /// the client is told otherwise.
    pub async fn moderate(
        &self,
        member: &MemberRef,
        action: Moderation,
    ) -> Result<(), ModerationRefusal> {
        action.validate()?;
        let message = match &action {
            Moderation::RemoveMessage { seq } => Some(self.find_message(*seq).await),
            _ => None,
        };
        let s = self.state.lock().unwrap();
        let by = match s.members.get(&member.key, member.session) {
            _ if s.closed => return Err(ModerationRefusal::NotInRoom),
            None => return Err(ModerationRefusal::NotInRoom),
            Some(m) if !m.owner => return Err(ModerationRefusal::NotOwner),
            Some(m) => m.name.clone(),
        };
        if self.is_archived() {
            return Err(ModerationRefusal::Archived);
        }
        let now = now_ms();
        let kind = match action {
            Moderation::RemoveMessage { seq } => {
                if message != Some(true) || s.moderated.is_removed(seq) {
                    return Err(ModerationRefusal::NoSuchMessage);
                }
                EventKind::MessageRemoved { seq, by }
            }
            Moderation::RemoveMember { name, reason } => {
                let (name, install) = target(&s, &name)?;
                EventKind::MemberRemoved {
                    name,
                    install,
                    by,
                    reason,
                }
            }
            Moderation::Mute { name, minutes } => {
                let (name, install) = target(&s, &name)?;
                let until_ms = now + u64::from(minutes) * 60_000;
                EventKind::Muted {
                    name,
                    install,
                    by,
                    until_ms,
                }
            }
            Moderation::Unmute { name } => {
                let install = s
                    .moderated
                    .muted_by_key(&name_key(&name), now)
                    .ok_or(ModerationRefusal::NotMuted)?;
                EventKind::Unmuted { name, install, by }
            }
        };
        tracing::info!(room = %self.name, ?kind, "moderation");
        self.append(kind, Resend::Fresh);
        Ok(())
    }

    /// True when the room's log has a message at `seq` (from memory, else the log).
    async fn find_message(&self, seq: Seq) -> bool {
        let is_message = |e: &Stored| matches!(e.event.kind, EventKind::Message { .. });
        {
            let s = self.state.lock().unwrap();
            let in_memory = s.history.front().is_some_and(|e| e.seq <= seq);
            if in_memory || seq > s.published {
                return s.history.iter().any(|e| e.seq == seq && is_message(e));
            }
        }
        let log = self.log.clone();
        let read = blocking(move || log.range(seq.saturating_sub(1), seq, 1)).await;
        read.is_ok_and(|found| found.iter().any(|e| e.seq == seq && is_message(e)))
    }

    /// Published events take effect: each moderation event is recorded; a removed
    /// message is redacted in memory; a removed member (after it got the event) leaves
    /// the room with `RoomLeft{Removed}` and its leave is logged.
    pub(super) fn enforce(&self, s: &mut State, events: &[Stored]) {
        for stored in events {
            if !s.moderated.apply(&stored.event) {
                continue;
            }
            match &stored.event.kind {
                EventKind::MessageRemoved { seq, by } => {
                    if let Some(e) = s.history.iter_mut().find(|e| e.seq == *seq) {
                        *e = redacted(self.id, e.clone(), by);
                    }
                }
                EventKind::MemberRemoved {
                    install,
                    by,
                    reason,
                    ..
                } => {
                    let Some((key, session)) = s.members.of_install(*install) else {
                        continue;
                    };
                    let Some(m) = s.members.remove(&key, session) else {
                        continue;
                    };
                    tracing::info!(room = %self.name, name = %m.name, "removed by an owner");
                    let left = ServerFrame::RoomLeft {
                        room: self.id,
                        reason: RoomLeftReason::Removed {
                            by: by.clone(),
                            reason: reason.clone(),
                        },
                    };
                    // One frame per owner action: bounded, not counted.
                    m.queue.push_exempt(encode(&left));
                    self.log.release(&key, m.install);
                    if s.presence.left(&m.name) {
                        let reason = LeaveReason::Removed;
                        let name = m.name;
                        self.append(EventKind::Left { name, reason }, Resend::Fresh);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The member of the room named `name` that an owner may remove or mute: its name and
/// installation.
fn target(
    s: &State,
    name: &str,
) -> Result<(String, common::protocol::InstallId), ModerationRefusal> {
    let key = name_key(name);
    let m = s
        .members
        .iter()
        .find(|(k, _)| **k == key)
        .map(|(_, m)| m)
        .ok_or(ModerationRefusal::NoSuchMember)?;
    if m.owner {
        return Err(ModerationRefusal::OwnerProtected);
    }
    Ok((m.name.clone(), m.install))
}
