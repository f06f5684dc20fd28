//! The outbox: the texts this client sends, from the moment they are typed until the
//! relay has stored them. Owns message ids (install + counter), the cursor of what went
//! out on the current connection, acks, rejects, retries, and pacing under the relay's
//! rate limit. Pure: the caller passes the time.

use std::{collections::VecDeque, time::Instant};

use common::{
    protocol::{ClientFrame, ClientMsgId, InstallId, RateLimit, RejectReason},
    rate::TokenBucket,
    rules::{clean_text, validate_text},
};

use crate::Outgoing;

/// Messages on their way to the relay, and those it (or the rules) refused.
#[derive(Debug)]
pub(crate) struct Outbox {
    install: InstallId,
    next_counter: u64,
    /// Waiting for an ack, in send order (persisted).
    pending: VecDeque<Outgoing>,
    /// How many of `pending`, from the front, went out on this connection.
    sent: usize,
    /// Refused; kept (in memory only) for [`Outbox::retry`].
    rejected: Vec<Outgoing>,
    /// Connected: paces sends under the relay's limit.
    pacer: Option<TokenBucket>,
}

impl Outbox {
    /// The outbox of a persisted state.
    pub(crate) fn new(install: InstallId, next_counter: u64, pending: Vec<Outgoing>) -> Self {
        // A counter behind the outbox would reuse an id the relay may have stored.
        let next_counter = pending
            .iter()
            .filter(|o| o.id.install == install)
            .map(|o| o.id.counter + 1)
            .fold(next_counter.max(1), u64::max);
        Self {
            install,
            next_counter,
            pending: pending.into(),
            sent: 0,
            rejected: Vec::new(),
            pacer: None,
        }
    }

    /// The counter the next message gets.
    pub(crate) fn next_counter(&self) -> u64 {
        self.next_counter
    }

    /// Messages waiting for an ack, in send order.
    pub(crate) fn pending(&self) -> impl Iterator<Item = &Outgoing> {
        self.pending.iter()
    }

    /// Gives a typed text an id. `Ok`: it waits in the outbox; `Err`: the rules refuse
    /// it and it went straight to the rejected ones.
    pub(crate) fn queue(&mut self, text: &str) -> (Outgoing, Result<(), RejectReason>) {
        let out = Outgoing {
            id: ClientMsgId {
                install: self.install,
                counter: self.next_counter,
            },
            text: clean_text(text),
        };
        self.next_counter += 1;
        let verdict = self.admit(out.clone());
        (out, verdict)
    }

    /// Queues a rejected message again, same id; `None` if it is not a rejected one.
    pub(crate) fn retry(
        &mut self,
        id: ClientMsgId,
    ) -> Option<(Outgoing, Result<(), RejectReason>)> {
        let at = self.rejected.iter().position(|o| o.id == id)?;
        let out = self.rejected.remove(at);
        let verdict = self.admit(out.clone());
        Some((out, verdict))
    }

    fn admit(&mut self, out: Outgoing) -> Result<(), RejectReason> {
        match validate_text(&out.text) {
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

    /// A new connection under `rate`: everything waiting goes out again (the relay
    /// recognises what it already stored), paced a little under the limit.
    pub(crate) fn connected(&mut self, rate: RateLimit) {
        self.sent = 0;
        self.pacer = Some(TokenBucket::new(
            f64::from(rate.burst.saturating_sub(2).max(1)),
            f64::from(rate.per_second.max(1)) * 0.8,
        ));
    }

    /// The connection ended: nothing goes out until the next one.
    pub(crate) fn disconnected(&mut self) {
        self.sent = 0;
        self.pacer = None;
    }

    /// The next frame to send now, if connected, a message waits and the pacer allows.
    pub(crate) fn poll_send(&mut self, now: Instant) -> Option<ClientFrame> {
        let out = self.pending.get(self.sent)?;
        if !self.pacer.as_mut()?.take_at(now) {
            return None;
        }
        self.sent += 1;
        Some(ClientFrame::Send {
            id: out.id,
            text: out.text.clone(),
        })
    }

    /// When the pacer allows the next send, if one waits.
    pub(crate) fn next_send_at(&self) -> Option<Instant> {
        if self.sent < self.pending.len() {
            self.pacer.as_ref().map(TokenBucket::next_token)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn outbox() -> Outbox {
        Outbox::new(InstallId([1; 16]), 1, Vec::new())
    }

    fn sent_ids(frames: &[ClientFrame]) -> Vec<u64> {
        frames
            .iter()
            .map(|f| match f {
                ClientFrame::Send { id, .. } => id.counter,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn drain(o: &mut Outbox, now: Instant) -> Vec<ClientFrame> {
        std::iter::from_fn(|| o.poll_send(now)).collect()
    }

    const FAST: RateLimit = RateLimit {
        per_second: 1000,
        burst: 1000,
    };

    #[test]
    fn texts_get_increasing_ids_are_cleaned_and_bad_ones_are_rejected_locally() {
        let mut o = outbox();
        let (a, ok) = o.queue("  ciao\r\n ");
        assert_eq!((a.id.counter, a.text.as_str(), ok), (1, "ciao", Ok(())));
        let (b, refused) = o.queue(" \u{200b} ");
        assert_eq!((b.id.counter, refused), (2, Err(RejectReason::EmptyText)));
        assert_eq!(o.next_counter(), 3);
        assert_eq!(o.pending().count(), 1, "the refused text does not wait");
    }

    #[test]
    fn nothing_goes_out_offline_and_everything_again_on_each_connection() {
        let now = Instant::now();
        let mut o = outbox();
        let _ = o.queue("uno");
        let _ = o.queue("due");
        assert!(o.poll_send(now).is_none());
        assert_eq!(o.next_send_at(), None);
        o.connected(FAST);
        assert_eq!(sent_ids(&drain(&mut o, now)), vec![1, 2]);
        assert_eq!(o.next_send_at(), None, "all sent");
        o.disconnected();
        o.connected(FAST);
        assert_eq!(sent_ids(&drain(&mut o, now)), vec![1, 2], "resent");
    }

    #[test]
    fn acks_and_rejects_take_a_message_out_once_and_keep_the_cursor() {
        let now = Instant::now();
        let mut o = outbox();
        for t in ["a", "b", "c"] {
            let _ = o.queue(t);
        }
        o.connected(FAST);
        assert_eq!(o.poll_send(now).map(|_| ()), Some(()));
        assert_eq!(o.poll_send(now).map(|_| ()), Some(()));
        let id = |n| ClientMsgId {
            install: InstallId([1; 16]),
            counter: n,
        };
        assert!(o.ack(id(1)));
        assert!(!o.ack(id(1)), "a second ack (the echo) is not news");
        assert!(o.reject(id(2)));
        // "c" was not sent yet: it is the next one.
        assert_eq!(sent_ids(&drain(&mut o, now)), vec![3]);
        // A retried message goes to the back with its id.
        let (again, ok) = o.retry(id(2)).unwrap();
        assert_eq!((again.id, ok), (id(2), Ok(())));
        assert!(o.retry(id(2)).is_none(), "not rejected any more");
        assert_eq!(sent_ids(&drain(&mut o, now)), vec![2]);
        let pending: Vec<_> = o.pending().map(|o| o.id.counter).collect();
        assert_eq!(pending, vec![3, 2]);
    }

    #[test]
    fn sends_are_paced_under_the_relays_rate() {
        let start = Instant::now();
        let mut o = outbox();
        for i in 0..20 {
            let _ = o.queue(&format!("m{i}"));
        }
        o.connected(RateLimit {
            per_second: 10,
            burst: 6,
        });
        // A burst of four (two under the relay's), then 8 a second (under its 10).
        assert_eq!(drain(&mut o, start).len(), 4);
        let next = o.next_send_at().unwrap();
        assert!(next > start && next <= start + Duration::from_millis(130));
        // Resting does not earn more than the burst.
        assert_eq!(drain(&mut o, start + Duration::from_secs(1)).len(), 4);
        assert_eq!(drain(&mut o, start + Duration::from_millis(1500)).len(), 4);
    }

    #[test]
    fn a_persisted_outbox_keeps_its_ids_and_the_counter_never_goes_back() {
        let install = InstallId([1; 16]);
        let saved = vec![Outgoing {
            id: ClientMsgId {
                install,
                counter: 7,
            },
            text: "salvato".into(),
        }];
        let mut o = Outbox::new(install, 3, saved.clone());
        assert_eq!(o.pending().cloned().collect::<Vec<_>>(), saved);
        assert_eq!(o.queue("nuovo").0.id.counter, 8);
    }
}
