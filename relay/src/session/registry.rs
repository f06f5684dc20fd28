//! [`Sessions`]: the relay's sessions by install — one per install (a second connection
//! of the same install takes over, the older one is told `Bye(Replaced)`), at most
//! `max_clients`, and every one closed at shutdown.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use common::protocol::{InstallId, RefuseReason};

use crate::room::{members::SessionId, Close, MemberQueue};

#[derive(Default)]
struct Inner {
    by_install: HashMap<InstallId, (SessionId, Arc<MemberQueue>)>,
    closed: bool,
}

/// The sessions of a relay.
#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<Inner>,
    next: AtomicU64,
}

impl Sessions {
    /// Registers a new session of `install` with its queue: the older session of the same
    /// install is closed as replaced. Refused when the relay is full or shutting down.
    pub(crate) fn admit(
        &self,
        install: InstallId,
        queue: Arc<MemberQueue>,
        max: usize,
    ) -> Result<SessionId, RefuseReason> {
        let mut inner = self.inner.lock().unwrap();
        let replacing = inner.by_install.contains_key(&install);
        if inner.closed || inner.by_install.len() - usize::from(replacing) >= max {
            return Err(RefuseReason::RelayFull);
        }
        let session = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some((_, old)) = inner.by_install.insert(install, (session, queue)) {
            tracing::info!("a session replaced by a new connection of its install");
            old.close(Close::Replaced);
        }
        Ok(session)
    }

    /// Forgets `session` of `install` (if it is still that install's session).
    pub(crate) fn remove(&self, install: InstallId, session: SessionId) {
        let mut inner = self.inner.lock().unwrap();
        if inner
            .by_install
            .get(&install)
            .is_some_and(|(s, _)| *s == session)
        {
            inner.by_install.remove(&install);
        }
    }

    /// Sessions open now.
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().unwrap().by_install.len()
    }

    /// Admits no more sessions and closes every open one with `close`.
    pub(crate) fn close_all(&self, close: Close) {
        let mut inner = self.inner.lock().unwrap();
        inner.closed = true;
        for (_, queue) in inner.by_install.values() {
            queue.close(close);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> Arc<MemberQueue> {
        Arc::new(MemberQueue::new(1024))
    }

    #[test]
    fn a_second_session_of_an_install_replaces_the_first_and_a_full_relay_refuses() {
        let sessions = Sessions::default();
        let first = queue();
        let a = sessions
            .admit(InstallId([1; 16]), first.clone(), 2)
            .unwrap();
        sessions.admit(InstallId([2; 16]), queue(), 2).unwrap();
        assert_eq!(
            sessions.admit(InstallId([3; 16]), queue(), 2),
            Err(RefuseReason::RelayFull)
        );
        let b = sessions.admit(InstallId([1; 16]), queue(), 2).unwrap();
        assert_ne!(a, b);
        assert_eq!(first.closed_as(), Some(Close::Replaced));
        sessions.remove(InstallId([1; 16]), a);
        assert_eq!(
            sessions.len(),
            2,
            "the old session no longer counts for its install"
        );
        sessions.close_all(Close::Shutdown);
        assert_eq!(
            sessions.admit(InstallId([4; 16]), queue(), 10),
            Err(RefuseReason::RelayFull)
        );
    }
}
