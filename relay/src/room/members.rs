//! [`Members`]: who is in the room, by name key (so lists come in name order) and by
//! install (so a second session of an install replaces the first). Pure bookkeeping:
//! admitting, replacing and removing; what to log and whom to tell is the room's.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use common::protocol::{InstallId, JoinRefusal};

use super::queue::MemberQueue;

/// Identifies one session of the relay (unique for the relay's lifetime).
pub type SessionId = u64;

/// A member: one session.
pub struct Member {
    /// Display name.
    pub name: String,
    /// Its installation.
    pub install: InstallId,
    /// Its session.
    pub session: SessionId,
    /// Its outgoing queue.
    pub queue: Arc<MemberQueue>,
    /// Joined with the relay's owner key: an owner of the room.
    pub owner: bool,
}

/// The members of a room.
#[derive(Default)]
pub struct Members {
    by_key: BTreeMap<String, Member>,
    by_install: HashMap<InstallId, String>,
}

impl Members {
    /// Admits `member` under the name key `key`, replacing an older session of the same
    /// install (returned; the same session joining again is returned too). Refused —
    /// leaving the room as it was — when another install has the name or the room
    /// already has `max` members.
    pub fn admit(
        &mut self,
        key: &str,
        member: Member,
        max: usize,
    ) -> Result<Option<Member>, JoinRefusal> {
        if self
            .by_key
            .get(key)
            .is_some_and(|m| m.install != member.install)
        {
            return Err(JoinRefusal::NameTaken);
        }
        let replacing = self.by_install.contains_key(&member.install);
        if self.by_key.len() - usize::from(replacing) >= max {
            return Err(JoinRefusal::RoomFull);
        }
        let replaced = self
            .by_install
            .remove(&member.install)
            .and_then(|old_key| self.by_key.remove(&old_key));
        self.by_install.insert(member.install, key.to_owned());
        self.by_key.insert(key.to_owned(), member);
        Ok(replaced)
    }

    /// The member under `key` if it is still session `session`.
    pub fn get(&self, key: &str, session: SessionId) -> Option<&Member> {
        self.by_key.get(key).filter(|m| m.session == session)
    }

    /// Removes the member under `key` if it is still session `session`.
    pub fn remove(&mut self, key: &str, session: SessionId) -> Option<Member> {
        self.get(key, session)?;
        let member = self.by_key.remove(key)?;
        self.by_install.remove(&member.install);
        Some(member)
    }

    /// The name key and session of `install`'s member, if it is in.
    pub fn of_install(&self, install: InstallId) -> Option<(String, SessionId)> {
        let key = self.by_install.get(&install)?;
        Some((key.clone(), self.by_key.get(key)?.session))
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when nobody is in.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Members in name-key order, with their keys.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Member)> {
        self.by_key.iter()
    }

    /// Removes everyone.
    pub fn drain(&mut self) -> Vec<Member> {
        self.by_install.clear();
        std::mem::take(&mut self.by_key).into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, install: u8, session: SessionId) -> Member {
        Member {
            name: name.into(),
            install: InstallId([install; 16]),
            session,
            queue: Arc::new(MemberQueue::new(1024)),
            owner: false,
        }
    }

    #[test]
    fn a_second_session_of_an_install_replaces_the_first_and_others_are_refused() {
        let mut m = Members::default();
        assert!(m.admit("anna", member("Anna", 1, 1), 10).unwrap().is_none());
        assert_eq!(
            m.admit("anna", member("ANNA", 2, 2), 10).err(),
            Some(JoinRefusal::NameTaken)
        );
        let old = m.admit("anna", member("Anna", 1, 3), 10).unwrap().unwrap();
        assert_eq!(old.session, 1);
        assert!(
            m.remove("anna", 1).is_none(),
            "the old session is not the member"
        );
        assert!(m.get("anna", 3).is_some());
        // The same install under another name: the old name is freed.
        let old = m
            .admit("bruno", member("Bruno", 1, 4), 10)
            .unwrap()
            .unwrap();
        assert_eq!(old.name, "Anna");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn a_full_room_refuses_newcomers_but_not_a_replacement() {
        let mut m = Members::default();
        m.admit("a", member("a", 1, 1), 2).unwrap();
        m.admit("b", member("b", 2, 2), 2).unwrap();
        assert_eq!(
            m.admit("c", member("c", 3, 3), 2).err(),
            Some(JoinRefusal::RoomFull)
        );
        assert!(m.admit("a", member("a", 1, 4), 2).unwrap().is_some());
        // A refused takeover under a taken name leaves the old session in place.
        assert_eq!(
            m.admit("b", member("b", 1, 5), 2).err(),
            Some(JoinRefusal::NameTaken)
        );
        assert!(m.get("a", 4).is_some());
    }
}
