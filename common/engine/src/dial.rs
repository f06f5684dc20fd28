//! One connection attempt over every address of the relay: the invite's addresses and
//! each record their names resolve to, the one that worked last time first. A place
//! that fails in a way another relay of the same cluster could heal (no answer, full,
//! shutting down, another certificate) passes the attempt to the next; a refusal that
//! would be the same everywhere (this client's version or name) ends it at once.

use std::{net::SocketAddr, time::Duration};

use common::{
    invite::Invite,
    protocol::{Hello, Ready},
};
use net::{socket, Conn, Dialer};

use crate::Problem;

/// How long one of several places gets before the next is tried (one place alone gets
/// the whole attempt's time).
pub(crate) const PER_PLACE: Duration = Duration::from_secs(3);

/// An attempt's outcome, the endpoint it used (kept for the next attempts) and the
/// address that answered (tried first next time).
pub(crate) struct Dialed {
    pub(crate) endpoint: Option<quinn::Endpoint>,
    pub(crate) result: Result<(Conn, Ready), Problem>,
    pub(crate) addr: Option<SocketAddr>,
}

/// One attempt: resolve every address, then the one handshake (`net::Dialer::open`:
/// hello, ready) with each place in turn until one answers, within `timeout` for one
/// place and [`PER_PLACE`] each for several (so an attempt over several places may take
/// longer than `timeout`: a silent first place must not starve the others). The lookup
/// has its own `timeout`. Rooms are joined afterwards, over the session.
pub(crate) async fn dial(
    invite: Invite,
    hello: Hello,
    mut endpoint: Option<quinn::Endpoint>,
    timeout: Duration,
    preferred: Option<SocketAddr>,
) -> Dialed {
    let places = match tokio::time::timeout(timeout, net::resolve_all(&invite)).await {
        Ok(Ok(places)) => first_the(preferred, places),
        Ok(Err(problem)) => return failed(endpoint, problem),
        Err(_) => return failed(endpoint, Problem::Unreachable),
    };
    let each = if places.len() == 1 {
        timeout
    } else {
        timeout.min(PER_PLACE)
    };
    let mut problems = Vec::new();
    for (via, addr) in places {
        let ep = match endpoint.take() {
            Some(ep) if ep.local_addr().is_ok_and(|l| l.is_ipv4() == addr.is_ipv4()) => ep,
            _ => match socket::client_endpoint(addr) {
                Ok(ep) => ep,
                Err(e) => {
                    problems.push(Problem::Local(e.to_string()));
                    continue;
                }
            },
        };
        endpoint = Some(ep.clone());
        let attempt = async { Dialer::to_addr(ep, &via, addr)?.open(hello.clone()).await };
        let result = tokio::time::timeout(each, attempt)
            .await
            .unwrap_or(Err(Problem::Unreachable));
        match result {
            Ok(session) => {
                return Dialed {
                    endpoint,
                    result: Ok(session),
                    addr: Some(addr),
                }
            }
            Err(problem) if same_everywhere(&problem) => return failed(endpoint, problem),
            Err(problem) => {
                tracing::debug!(%addr, "no session there: {problem}");
                problems.push(problem);
            }
        }
    }
    failed(endpoint, worst_to_retry(problems))
}

fn failed(endpoint: Option<quinn::Endpoint>, problem: Problem) -> Dialed {
    Dialed {
        endpoint,
        result: Err(problem),
        addr: None,
    }
}

/// The places in order, the one that answered last time first.
fn first_the(
    preferred: Option<SocketAddr>,
    mut places: Vec<(Invite, SocketAddr)>,
) -> Vec<(Invite, SocketAddr)> {
    if let Some(i) = places.iter().position(|(_, a)| Some(*a) == preferred) {
        let place = places.remove(i);
        places.insert(0, place);
    }
    places
}

/// A refusal every relay of the cluster would give: this client's version or name, or
/// this install connected elsewhere.
fn same_everywhere(problem: &Problem) -> bool {
    problem.is_permanent() && matches!(problem, Problem::Refused(_) | Problem::Bye(_))
}

/// What the attempt failed with, when every place failed: a problem retrying could heal
/// if any place had one (another relay may be back soon), else the first (say, a pin
/// that no place matches).
fn worst_to_retry(mut problems: Vec<Problem>) -> Problem {
    match problems.iter().rposition(|p| !p.is_permanent()) {
        Some(i) => problems.swap_remove(i),
        None if !problems.is_empty() => problems.swap_remove(0),
        None => Problem::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use common::protocol::RefuseReason;

    use super::*;

    fn place(port: u16) -> (Invite, SocketAddr) {
        let invite: Invite = format!("127.0.0.1:{port}").parse().unwrap();
        (invite, SocketAddr::from(([127, 0, 0, 1], port)))
    }

    #[test]
    fn the_place_that_answered_last_time_is_tried_first() {
        let places = vec![place(1), place(2), place(3)];
        let ports =
            |p: Vec<(Invite, SocketAddr)>| p.iter().map(|(_, a)| a.port()).collect::<Vec<_>>();
        assert_eq!(ports(first_the(None, places.clone())), [1, 2, 3]);
        assert_eq!(
            ports(first_the(Some(place(3).1), places.clone())),
            [3, 1, 2]
        );
        assert_eq!(ports(first_the(Some(place(9).1), places)), [1, 2, 3]);
    }

    #[test]
    fn only_refusals_of_this_client_end_the_attempt_at_once() {
        assert!(same_everywhere(&Problem::Refused(
            RefuseReason::VersionMismatch { relay: 3 }
        )));
        assert!(!same_everywhere(&Problem::Refused(RefuseReason::RelayFull)));
        assert!(!same_everywhere(&Problem::Unreachable));
        assert!(!same_everywhere(&Problem::PinMismatch));
    }

    #[test]
    fn a_failed_attempt_reports_what_retrying_could_heal_if_anything() {
        assert_eq!(
            worst_to_retry(vec![Problem::PinMismatch, Problem::Unreachable]),
            Problem::Unreachable
        );
        assert_eq!(
            worst_to_retry(vec![Problem::PinMismatch, Problem::Untrusted("x".into())]),
            Problem::PinMismatch
        );
        assert_eq!(worst_to_retry(Vec::new()), Problem::Unreachable);
    }
}
