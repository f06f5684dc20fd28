//! Admitting a session (with its welcome, backlog or replay) and serving history pages.
//! Disk reads happen off the async workers and outside the room's lock; packing happens
//! outside the lock too.

use std::sync::{atomic::Ordering, Arc};

use common::{
    protocol::{EventKind, Hello, RefuseReason, Seq, Welcome, MAX_HISTORY_PAGE},
    rules::name_key,
};

use super::{
    blocking,
    members::Member,
    pack::{self, history_page},
    Close, MemberQueue, MemberRef, Resend, Room, Stored,
};

impl Room {
    /// Admits a session named `name` (already validated): takes the name over from an
    /// older session of the same install (whose queue closes as replaced), queues the
    /// welcome and backlog (or the replay after `hello.resume_after`) as its first
    /// frames, and logs the join.
    pub async fn join(&self, name: String, hello: &Hello) -> Result<MemberRef, RefuseReason> {
        let key = name_key(&name);
        let disk = match hello.resume_after {
            Some(after) => self.read_replay(after).await,
            None => None,
        };
        let queue = Arc::new(MemberQueue::new(self.limits.queue_bytes));
        let session = self.next_session.fetch_add(1, Ordering::Relaxed);
        let (base, names, backlog) = {
            let mut s = self.state.lock().unwrap();
            if s.closed {
                return Err(RefuseReason::RelayFull);
            }
            let member = Member {
                name: name.clone(),
                install: hello.install,
                session,
                queue: queue.clone(),
            };
            let replaced = s.members.admit(&key, member, self.limits.max_clients)?;
            // From here on the member is in the room: everything published from now is
            // queued for it, after the welcome (put in front below).
            let online = s.members.len();
            let names: Vec<String> = if online <= self.limits.presence_limit {
                s.members.iter().map(|(_, m)| m.name.clone()).collect()
            } else {
                Vec::new()
            };
            let (backlog, gap) = match hello.resume_after {
                Some(after) => {
                    let (read_upto, disk) = disk.unzip();
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
            if let Some(old) = replaced {
                tracing::info!(name = %old.name, "session replaced by a new connection");
                old.queue.close(Close::Replaced);
                if old.name != name && s.presence.left(&old.name) {
                    self.append(
                        EventKind::Left {
                            name: old.name,
                            reason: common::protocol::LeaveReason::Left,
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
                name: name.clone(),
                members: Vec::new(),
                online: online as u32,
                members_as_of: s.published,
                backlog: Vec::new(),
                last_seq: s.published,
                gap,
                rate: self.limits.rate,
            };
            (base, names, backlog)
        };
        queue.push_front_exempt(pack::welcome(base, names, backlog));
        self.stats.joined.fetch_add(1, Ordering::Relaxed);
        Ok(MemberRef {
            name,
            key,
            install: hello.install,
            session,
            queue,
        })
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
        let read = read.map_err(|e| tracing::error!("reading the log for a resume failed: {e}"));
        Some((published, read))
    }

    /// A history page: the newest events below `before` that fit in one frame, at most
    /// `limit` (and [`MAX_HISTORY_PAGE`]), read off the async workers. A failed read is
    /// answered "retry later".
    pub async fn history(&self, before: Seq, limit: u32) -> bytes::Bytes {
        let limit = limit.clamp(1, MAX_HISTORY_PAGE) as usize;
        let log = self.log.clone();
        match blocking(move || log.before(before, limit + 1)).await {
            Ok(stored) => history_page(before, stored, limit),
            Err(e) => {
                tracing::error!("reading history failed: {e}");
                pack::retry_later(before)
            }
        }
    }
}
