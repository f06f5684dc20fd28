//! What a failure leads to: retry after a backoff, recover a resume this client could
//! not decode, or stop with a [`Status`]. Failures are classified by type (the
//! [`Problem`] variant, the codec error's kind, the connection's close reason), never by
//! message text.

use common::codec::CodecError;

use crate::{Problem, Status};

/// A failed attempt or a lost session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// Why, as the app sees it.
    pub(crate) problem: Problem,
    /// A frame from the relay could not be decoded (retrying the same resume would
    /// meet the same frame).
    pub(crate) undecodable: bool,
}

impl Failure {
    /// A failure that is not about decoding.
    pub(crate) fn of(problem: Problem) -> Self {
        Self {
            problem,
            undecodable: false,
        }
    }

    /// An attempt that failed before the relay's ready: undecodable when `net` says the
    /// ready (or what came instead) could not be decoded.
    pub(crate) fn dial(problem: Problem) -> Self {
        let undecodable = matches!(problem, Problem::Undecodable(_));
        Self {
            problem,
            undecodable,
        }
    }

    /// The session's stream ended or failed (`read` is what reading said). A frame
    /// that could not be decoded on a connection that is still open is this client's
    /// decoding failure; anything else is what the connection's close says.
    pub(crate) fn read(conn: &quinn::Connection, read: &CodecError) -> Self {
        Self {
            problem: Problem::of_lost(conn, read),
            undecodable: conn.close_reason().is_none() && read.is_malformed(),
        }
    }
}

/// What to do after a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Connect again after a backoff.
    Retry(Problem),
    /// Connect again after a backoff, joining without resuming.
    Recover(Problem),
    /// Stop and show this status until told otherwise.
    Stop(Status),
}

/// Decides after `failure` of a connection (or attempt). `resumed`: a room's resume may
/// have brought the frame that could not be decoded (the rooms table says which). Such a
/// failure is recovered, those rooms joining without resuming; a recovering join does
/// not resume, so a second such failure stops like any protocol failure.
pub(crate) fn verdict(failure: Failure, resumed: bool) -> Verdict {
    let Failure {
        problem,
        undecodable,
    } = failure;
    if undecodable && resumed {
        return Verdict::Recover(problem);
    }
    match problem {
        // The relay says we left (our Quit crossed a reconnect): stay out.
        Problem::Bye(common::protocol::ByeReason::Left) => Verdict::Stop(Status::Disconnected),
        p if p.is_permanent() => Verdict::Stop(Status::Failed(p)),
        p => Verdict::Retry(p),
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::{ByeReason, RefuseReason};

    use super::*;

    fn undecodable() -> Failure {
        Failure {
            problem: Problem::Undecodable("malformed frame".into()),
            undecodable: true,
        }
    }

    #[test]
    fn an_undecodable_resume_is_recovered_but_not_an_undecodable_fresh_join() {
        assert!(matches!(
            verdict(undecodable(), true),
            Verdict::Recover(Problem::Undecodable(_))
        ));
        assert!(matches!(
            verdict(undecodable(), false),
            Verdict::Stop(Status::Failed(Problem::Undecodable(_)))
        ));
    }

    #[test]
    fn refusals_and_failures_known_not_to_be_decoding_stop_even_when_resuming() {
        let violation = Failure::of(Problem::Protocol("protocol violation".into()));
        assert!(matches!(
            verdict(violation, true),
            Verdict::Stop(Status::Failed(_))
        ));
        let version = Failure::dial(Problem::Refused(RefuseReason::VersionMismatch { relay: 9 }));
        assert!(
            !version.undecodable,
            "a version refusal was read, not undecodable"
        );
        assert!(matches!(
            verdict(version, true),
            Verdict::Stop(Status::Failed(_))
        ));
    }

    #[test]
    fn before_the_ready_only_an_undecodable_answer_is_recovered() {
        let dial = Failure::dial(Problem::Undecodable("malformed frame".into()));
        assert!(dial.undecodable);
        assert!(matches!(verdict(dial.clone(), true), Verdict::Recover(_)));
        assert!(matches!(
            verdict(dial, false),
            Verdict::Stop(Status::Failed(_))
        ));
        // An ALPN mismatch is another protocol: no recovery attempt.
        let alpn = Failure::dial(Problem::Protocol("no application protocol".into()));
        assert!(!alpn.undecodable);
        assert!(matches!(
            verdict(alpn, true),
            Verdict::Stop(Status::Failed(_))
        ));
    }

    #[test]
    fn problems_map_to_retry_or_stop_by_type() {
        let stop =
            |p: Problem| verdict(Failure::of(p.clone()), true) == Verdict::Stop(Status::Failed(p));
        let retry = |p: Problem| verdict(Failure::of(p.clone()), true) == Verdict::Retry(p);
        assert!(stop(Problem::PinMismatch));
        assert!(stop(Problem::Untrusted("unknown issuer".into())));
        assert!(stop(Problem::Refused(RefuseReason::BadName(
            common::protocol::NameError::Empty
        ))));
        assert!(stop(Problem::Refused(RefuseReason::ProtocolError)));
        assert!(
            stop(Problem::Bye(ByeReason::Replaced)),
            "no ping-pong between two windows"
        );
        assert!(retry(Problem::Unreachable));
        assert!(retry(Problem::RelayRestarted));
        assert!(retry(Problem::Refused(RefuseReason::RelayFull)));
        assert!(retry(Problem::Bye(ByeReason::Shutdown)));
        assert!(retry(Problem::Bye(ByeReason::TooSlow)));
        assert!(retry(Problem::ConnectionLost("reset".into())));
        assert_eq!(
            verdict(Failure::of(Problem::Bye(ByeReason::Left)), false),
            Verdict::Stop(Status::Disconnected)
        );
    }
}
