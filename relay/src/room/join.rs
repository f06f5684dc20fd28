//! Admitting a member (with its welcome, backlog or replay) and serving history pages.
//! Disk reads happen off the async workers and outside the room's lock; packing happens
//! outside the lock too (the welcome's place in the member's queue is kept meanwhile).

use common::protocol::{EventKind, JoinRefusal, LeaveReason, Seq, Welcome, MAX_HISTORY_PAGE};

use super::{
    blocking,
    log::Claim,
    members::Member,
    pack::{self, history_page},
    Close, MemberRef, Resend, Room, Stored,
};

impl Room {
    /// [`Room::join_as`] a member that is not an owner.
    pub async fn join(
        &self,
        member: &MemberRef,
        resume_after: Option<Seq>,
    ) -> Result<(), JoinRefusal> {
        self.join_as(member, resume_after, false).await
    }

    /// Admits `member`'s session (as an owner of the room if `owner`: its join gave the
    /// relay's owner key): takes the name over from an older session of the same
    /// install (whose queue closes as replaced), queues the welcome and backlog (or the
    /// replay after `resume_after`) before anything the room publishes afterwards, and
    /// logs the join. Joining a room the session is in already sends a new welcome. An
    /// installation an owner removed is refused ([`JoinRefusal::Removed`]) unless it
    /// joins as an owner.
    pub async fn join_as(
        &self,
        member: &MemberRef,
        resume_after: Option<Seq>,
        owner: bool,
    ) -> Result<(), JoinRefusal> {
        let disk = match resume_after {
            Some(after) => self.read_replay(after).await,
            None => None,
        };
        let claimed = self.claim(member).await?;
        let name = member.name.clone();
        let (base, names, backlog, hole) = {
            let mut s = self.state.lock().unwrap();
            if s.closed {
                return Err(JoinRefusal::NoSuchRoom);
            }
            if !owner && s.moderated.is_barred(member.install) {
                if claimed {
                    self.log.release(&member.key, member.install);
                }
                return Err(JoinRefusal::Removed);
            }
            let admitted = Member {
                name: name.clone(),
                install: member.install,
                session: member.session,
                queue: member.queue.clone(),
                owner,
            };
            let max = self.limits.room_members;
            let replaced = match s.members.admit(&member.key, admitted, max) {
                Ok(replaced) => replaced,
                Err(refusal) => {
                    if claimed && refusal == JoinRefusal::RoomFull {
                        self.log.release(&member.key, member.install);
                    }
                    return Err(refusal);
                }
            };
            // From here on the member is in the room: everything published from now is
            // queued for it, after the welcome (put in front below).
            let online = s.members.len();
            let names: Vec<String> = if online > self.limits.presence_limit {
                Vec::new()
            } else if self.shared {
                // Members of other relays too: who the log says is present.
                let mut names: Vec<String> = s.presence.names().cloned().collect();
                names.extend(s.members.iter().map(|(_, m)| m.name.clone()));
                names.sort();
                names.dedup();
                names
            } else {
                s.members.iter().map(|(_, m)| m.name.clone()).collect()
            };
            let (backlog, gap) = match resume_after {
                Some(after) => {
                    let (read_upto, disk) = disk.unzip();
                    let disk = disk.map(|d| d.map(|d| s.moderated.redact_all(self.id, d)));
                    let max = self.limits.max_replay;
                    let (events, gap) = pack::replay(after, disk, &s.history, s.published, max);
                    // Memory moved on past what the disk read reached while it ran:
                    // events in between may be in neither.
                    let hole = read_upto.is_some_and(|upto| s.forgotten > upto);
                    (events, gap || hole)
                }
                None => {
                    let skip = s.history.len().saturating_sub(self.limits.backlog);
                    (s.history.iter().skip(skip).cloned().collect(), false)
                }
            };
            if let Some(old) = replaced.filter(|old| old.session != member.session) {
                tracing::info!(room = %self.name, name = %old.name, "session replaced by a new connection");
                old.queue.close(Close::Replaced);
                if old.name != name && s.presence.left(&old.name) {
                    self.append(
                        EventKind::Left {
                            name: old.name,
                            reason: LeaveReason::Left,
                        },
                        Resend::Fresh,
                    );
                }
            }
            if s.presence.joined(&name, online) {
                self.append(EventKind::Joined { name: name.clone() }, Resend::Fresh);
            }
            // Joins and leaves up to the last published event are in the list; the
            // ones still on their way to the log come after it, as events.
            let base = Welcome {
                room: self.id,
                room_name: self.name.clone(),
                members: Vec::new(),
                online: online as u32,
                members_as_of: s.published,
                backlog: Vec::new(),
                last_seq: s.published,
                gap,
                archived: self.is_archived(),
                owner,
            };
            // Everything published from here on is queued for the member behind it.
            (base, names, backlog, member.queue.reserve())
        };
        member.queue.fill(hole, pack::welcome(base, names, backlog));
        Ok(())
    }

    /// A shared room: claims the member's name across relays (true when the claim is
    /// made), refused when another install uses it on another relay. A cluster that
    /// cannot be asked does not keep anyone out (the name is checked on this relay).
    async fn claim(&self, member: &MemberRef) -> Result<bool, JoinRefusal> {
        if !self.shared {
            return Ok(false);
        }
        let (log, key, name, install) = (
            self.log.clone(),
            member.key.clone(),
            member.name.clone(),
            member.install,
        );
        match blocking(move || log.claim(&key, &name, install)).await {
            Ok(Claim::Granted) => Ok(true),
            Ok(Claim::Taken) => Err(JoinRefusal::NameTaken),
            Err(e) => {
                tracing::warn!(room = %self.name, "names could not be checked across relays: {e}");
                Ok(false)
            }
        }
    }

    /// The events after `after` from the log, when memory does not reach back that far
    /// (`None` then): the newest up to one more than a replay may hold, up to the last
    /// published seq, returned with them ([`pack::replay`] drops what memory also has).
    async fn read_replay(&self, after: Seq) -> Option<(Seq, Result<Vec<Stored>, ()>)> {
        let (oldest, published) = {
            let s = self.state.lock().unwrap();
            (s.history.front().map(|e| e.seq), s.published)
        };
        if oldest.is_some_and(|o| o <= after) || after >= published {
            return None;
        }
        let log = self.log.clone();
        let max = self.limits.max_replay + 1;
        let read = blocking(move || log.before(published.saturating_add(1), max)).await;
        let read = read.map_err(
            |e| tracing::error!(room = %self.name, "reading the log for a resume failed: {e}"),
        );
        Some((published, read))
    }

    /// A history page: the newest events below `before` that fit in one frame, at most
    /// `limit` (and [`MAX_HISTORY_PAGE`]), read off the async workers. A failed read is
    /// answered "retry later".
    pub async fn history(&self, before: Seq, limit: u32) -> bytes::Bytes {
        let limit = limit.clamp(1, MAX_HISTORY_PAGE) as usize;
        let log = self.log.clone();
        match blocking(move || log.before(before, limit + 1)).await {
            Ok(stored) => {
                let stored = self
                    .state
                    .lock()
                    .unwrap()
                    .moderated
                    .redact_all(self.id, stored);
                history_page(self.id, before, stored, limit)
            }
            Err(e) => {
                tracing::error!(room = %self.name, "reading history failed: {e}");
                pack::retry_later(self.id, before)
            }
        }
    }
}
