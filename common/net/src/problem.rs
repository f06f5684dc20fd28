//! Why a client is not connected, as a type: every connection error is classified here
//! by its kind and code (never by its message text), so that a UI can translate it and
//! the engine can decide whether retrying can help.

use std::fmt;

use common::{
    codec::CodecError,
    protocol::{ByeReason, JoinRefusal, RefuseReason},
};

/// Why a client is not connected. `Display` gives plain English; a UI matches the
/// variants to translate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The relay's address could not be resolved.
    Resolve(String),
    /// The relay does not answer (no handshake, or it went silent).
    Unreachable,
    /// The relay's certificate is not the pinned one: maybe another server.
    PinMismatch,
    /// The relay's certificate is not trusted (web PKI).
    Untrusted(String),
    /// The relay refused the session.
    Refused(RefuseReason),
    /// A room refused to let this client in (for one-room clients: the bench, tests).
    JoinRefused(JoinRefusal),
    /// The relay ended the session.
    Bye(ByeReason),
    /// The relay restarted and no longer knows the connection (QUIC stateless reset).
    RelayRestarted,
    /// The connection broke.
    ConnectionLost(String),
    /// The relay speaks another protocol (ALPN, QUIC violation, an unexpected frame).
    Protocol(String),
    /// A frame from the relay could not be decoded.
    Undecodable(String),
    /// Local networking failed (no socket could be opened).
    Local(String),
}

impl Problem {
    /// True when retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::PinMismatch | Self::Untrusted(_) | Self::Protocol(_) | Self::Undecodable(_) => {
                true
            }
            Self::Refused(reason) => {
                !matches!(reason, RefuseReason::RelayFull | RefuseReason::HelloTimeout)
            }
            Self::JoinRefused(reason) => !reason.is_passing(),
            Self::Bye(ByeReason::Replaced) => true,
            _ => false,
        }
    }

    /// Classifies a QUIC connection error. `pin_failed` says whether the certificate
    /// check saw a fingerprint other than the pinned one.
    pub fn of_connection(e: &quinn::ConnectionError, pin_failed: bool) -> Self {
        use quinn::ConnectionError as E;
        if pin_failed {
            return Self::PinMismatch;
        }
        match e {
            E::TimedOut => Self::Unreachable,
            E::Reset => Self::RelayRestarted,
            E::TransportError(t) if is_protocol_error(t.code) => Self::Protocol(t.to_string()),
            E::TransportError(t) if is_certificate_error(t.code) => {
                Self::Untrusted(t.reason.clone())
            }
            E::TransportError(t) => Self::ConnectionLost(t.to_string()),
            E::ConnectionClosed(close) if is_protocol_error(close.error_code) => {
                Self::Protocol(close.to_string())
            }
            E::ApplicationClosed(close) => {
                match ByeReason::from_close_code(close.error_code.into_inner()) {
                    Some(ByeReason::Left) | None => {
                        Self::ConnectionLost(String::from_utf8_lossy(&close.reason).into_owned())
                    }
                    Some(reason) => Self::Bye(reason),
                }
            }
            E::VersionMismatch => Self::Protocol("QUIC version mismatch".into()),
            E::LocallyClosed => Self::ConnectionLost("closed".into()),
            other => Self::ConnectionLost(other.to_string()),
        }
    }

    /// Why a connection that was working is no longer, once its stream ended or failed
    /// (`read` is what reading said).
    pub fn of_lost(conn: &quinn::Connection, read: &CodecError) -> Self {
        match conn.close_reason() {
            Some(e) => Self::of_connection(&e, false),
            None if read.is_malformed() => Self::Undecodable(read.to_string()),
            None => Self::ConnectionLost("the relay closed the stream".into()),
        }
    }

    /// Classifies a failed write.
    pub fn of_write(e: &crate::conn::WriteError) -> Self {
        match e {
            crate::conn::WriteError::Encode(e) => Self::Protocol(e.to_string()),
            crate::conn::WriteError::Stream(quinn::WriteError::ConnectionLost(e)) => {
                Self::of_connection(e, false)
            }
            crate::conn::WriteError::Stream(other) => Self::ConnectionLost(other.to_string()),
        }
    }
}

impl std::error::Error for Problem {}

/// The peer speaks another protocol: TLS alert 120 (no application protocol, an ALPN
/// mismatch) or a QUIC protocol violation.
fn is_protocol_error(code: quinn::TransportErrorCode) -> bool {
    code == quinn::TransportErrorCode::crypto(120)
        || code == quinn::TransportErrorCode::PROTOCOL_VIOLATION
}

/// A TLS alert about the certificate: bad, unsupported, revoked, expired or unknown
/// certificate (42–46) or unknown CA (48).
fn is_certificate_error(code: quinn::TransportErrorCode) -> bool {
    (42..=46)
        .chain([48])
        .any(|alert| code == quinn::TransportErrorCode::crypto(alert))
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resolve(e) => write!(f, "cannot find the relay's address: {e}"),
            Self::Unreachable => f.write_str("the relay cannot be reached"),
            Self::PinMismatch => f.write_str(
                "the relay's certificate does not match the invite: it may be another server",
            ),
            Self::Untrusted(e) => write!(f, "the relay's certificate is not trusted: {e}"),
            Self::Refused(r) => write!(f, "the relay refused to let you in: {r}"),
            Self::JoinRefused(r) => write!(f, "the room refused to let you in: {r}"),
            Self::Bye(r) => write!(f, "the relay ended the session: {r}"),
            Self::RelayRestarted => f.write_str("the relay restarted"),
            Self::ConnectionLost(e) => write!(f, "the connection was lost: {e}"),
            Self::Protocol(e) => write!(f, "the relay speaks differently: {e}"),
            Self::Undecodable(e) => write!(f, "a frame from the relay could not be read: {e}"),
            Self::Local(e) => write!(f, "networking on this device failed: {e}"),
        }
    }
}
