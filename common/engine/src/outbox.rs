//! One room's outbox: the texts sent to it, from the moment they are typed until the
//! relay has stored them. Owns the cursor of what went out on the current join, acks,
//! rejects and retries. Message ids come from the rooms table (one counter for every
//! room); pacing under the relay's rate is shared by every room (`pacing`). Pure.

use std::collections::VecDeque;

use common::{
    protocol::{ClientFrame, ClientMsgId, RejectReason, RoomId},
    rules::validate_text,
};

use crate::Outgoing;

/// Messages on their way to the relay, and those it (or the rules) refused.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Waiting for an ack, in send order (persisted).
    pending: VecDeque<Outgoing>,
    /// How many of `pending`, from the front, went out on the current join.
    sent: usize,
    /// Refused; kept (in memory only) for [`Outbox::unreject`].
    rejected: Vec<Outgoing>,
}

impl Outbox {
    /// The outbox of a persisted state.
    pub(crate) fn new(pending: Vec<Outgoing>) -> Self {
        Self {
            pending: pending.into(),
            ..Self::default()
        }
    }

    /// Messages waiting for an ack, in send order.
    pub(crate) fn pending(&self) -> impl Iterator<Item = &Outgoing> {
        self.pending.iter()
    }

    /// A message with its id and cleaned text enters the outbox. `Ok`: it waits there;
    /// `Err`: the rules (or `refuse`, what the engine knows of the room) refuse it and
    /// it went straight to the rejected ones.
    pub(crate) fn queue(
        &mut self,
        out: Outgoing,
        refuse: Option<RejectReason>,
    ) -> Result<(), RejectReason> {
        match refuse.map_or_else(|| validate_text(&out.text), Err) {
            Ok(()) => {
                self.pending.push_back(out);
                Ok(())
            }
            Err(reason) => {
                self.rejected.push(out);
                Err(reason)
            }
        }
    }

    /// Takes a rejected message back out for a retry; `None` if it is not a rejected
    /// one. The caller queues it again.
    pub(crate) fn unreject(&mut self, id: ClientMsgId) -> Option<Outgoing> {
        let at = self.rejected.iter().position(|o| o.id == id)?;
        Some(self.rejected.remove(at))
    }

    /// The relay stored `id`: true if it was waiting (each id is acked once).
    pub(crate) fn ack(&mut self, id: ClientMsgId) -> bool {
        self.take(id).is_some()
    }

    /// The relay refused `id`: true if it was waiting; it moves to the rejected ones.
    pub(crate) fn reject(&mut self, id: ClientMsgId) -> bool {
        match self.take(id) {
            Some(out) => {
                self.rejected.push(out);
                true
            }
            None => false,
        }
    }

    fn take(&mut self, id: ClientMsgId) -> Option<Outgoing> {
        let at = self.pending.iter().position(|o| o.id == id)?;
        if at < self.sent {
            self.sent -= 1;
        }
        self.pending.remove(at)
    }

    /// A new join (or none): everything waiting goes out again on the next one (the
    /// relay recognises what it already stored).
    pub(crate) fn restart(&mut self) {
        self.sent = 0;
    }

    /// Whether a message waits to go out on this join.
    pub(crate) fn has_unsent(&self) -> bool {
        self.sent < self.pending.len()
    }

    /// The next message to go out, as a frame to `room`; the caller paces.
    pub(crate) fn send_next(&mut self, room: RoomId) -> Option<ClientFrame> {
        let out = self.pending.get(self.sent)?;
        self.sent += 1;
        Some(ClientFrame::Send {
            room,
            id: out.id,
            text: out.text.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::InstallId;

    use super::*;

    const ROOM: RoomId = RoomId(7);

    fn out(counter: u64, text: &str) -> Outgoing {
        Outgoing {
            id: id(counter),
            text: text.into(),
        }
    }

    fn id(counter: u64) -> ClientMsgId {
        ClientMsgId {
            install: InstallId([1; 16]),
            counter,
        }
    }

    fn drain(o: &mut Outbox) -> Vec<u64> {
        std::iter::from_fn(|| o.send_next(ROOM))
            .map(|f| match f {
                ClientFrame::Send { room, id, .. } => {
                    assert_eq!(room, ROOM);
                    id.counter
                }
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn texts_the_rules_or_the_room_refuse_do_not_wait() {
        let mut o = Outbox::default();
        assert_eq!(o.queue(out(1, "ciao"), None), Ok(()));
        assert_eq!(o.queue(out(2, ""), None), Err(RejectReason::EmptyText));
        assert_eq!(
            o.queue(out(3, "ok"), Some(RejectReason::Archived)),
            Err(RejectReason::Archived)
        );
        assert_eq!(o.pending().count(), 1);
        assert!(o.unreject(id(2)).is_some());
        assert!(o.unreject(id(2)).is_none(), "taken back once");
    }

    #[test]
    fn everything_goes_out_again_on_each_join() {
        let mut o = Outbox::new(vec![out(1, "uno"), out(2, "due")]);
        assert!(o.has_unsent());
        assert_eq!(drain(&mut o), vec![1, 2]);
        assert!(!o.has_unsent());
        o.restart();
        assert_eq!(drain(&mut o), vec![1, 2], "resent");
    }

    #[test]
    fn acks_and_rejects_take_a_message_out_once_and_keep_the_cursor() {
        let mut o = Outbox::default();
        for (n, t) in [(1, "a"), (2, "b"), (3, "c")] {
            o.queue(out(n, t), None).unwrap();
        }
        assert!(o.send_next(ROOM).is_some());
        assert!(o.send_next(ROOM).is_some());
        assert!(o.ack(id(1)));
        assert!(!o.ack(id(1)), "a second ack (the echo) is not news");
        assert!(o.reject(id(2)));
        // "c" was not sent yet: it is the next one.
        assert_eq!(drain(&mut o), vec![3]);
        // A retried message goes to the back with its id.
        let again = o.unreject(id(2)).unwrap();
        assert_eq!(o.queue(again, None), Ok(()));
        assert_eq!(drain(&mut o), vec![2]);
        let pending: Vec<_> = o.pending().map(|o| o.id.counter).collect();
        assert_eq!(pending, vec![3, 2]);
    }
}
