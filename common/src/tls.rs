//! TLS and QUIC configuration for both ends, on rustls with the ring provider.
//!
//! The relay presents a certificate chain (usually self-signed, see the `certs` crate).
//! A client trusts it either by a pinned SHA-256 [`Fingerprint`] of the leaf certificate
//! ([`Trust::Pinned`]) or through the web PKI roots ([`Trust::WebPki`]). Pinning replaces
//! only the chain check: handshake signatures are still verified.

use std::{fmt, str::FromStr, sync::Arc, time::Duration};

use rustls::{
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{ring as provider, CryptoProvider, WebPkiSupportedAlgorithms},
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime},
    DigitallySignedStruct, SignatureScheme,
};

use crate::protocol::ALPN;

/// QUIC idle timeout on both ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a client sends keep-alives, well inside [`IDLE_TIMEOUT`].
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// SHA-256 of a DER certificate, as pinned in invites.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of(cert_der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, cert_der);
        Self(digest.as_ref().try_into().expect("SHA-256 is 32 bytes"))
    }

    /// Compares in time independent of where the fingerprints differ.
    pub fn matches(&self, other: &Fingerprint) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

/// Compares secrets (fingerprints, room keys) in time independent of where they differ
/// (only their lengths leak).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Why a fingerprint string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    /// Not 64 hex digits.
    #[error("a fingerprint has 64 hex digits, this one has {0}")]
    Length(usize),
    /// Contains something other than hex digits (and optional colons).
    #[error("a fingerprint is written in hex digits (0-9, a-f)")]
    Encoding,
}

impl FromStr for Fingerprint {
    type Err = FingerprintError;

    /// Accepts 64 hex digits, optionally in colon-separated pairs as `openssl` prints them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s.trim().chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(FingerprintError::Encoding);
        }
        if digits.len() != 64 {
            return Err(FingerprintError::Length(digits.len()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(&digits, &mut out).map_err(|_| FingerprintError::Encoding)?;
        Ok(Self(out))
    }
}

/// How a client decides to trust the relay's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The leaf certificate must have this SHA-256 fingerprint (self-signed relays).
    Pinned(Fingerprint),
    /// The certificate must chain to a web PKI root and name the host.
    WebPki,
}

/// A certificate whose fingerprint is not the pinned one. Shown to users, so it says
/// both values; its `Debug` is its message too, because rustls reports it with `Debug`.
#[derive(thiserror::Error)]
#[error("the relay's certificate fingerprint {presented} is not the pinned {expected}")]
pub struct PinMismatch {
    /// The pinned fingerprint.
    pub expected: Fingerprint,
    /// What the relay presented.
    pub presented: Fingerprint,
}

impl fmt::Debug for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Marker text in the connection error when a pin did not match, so that a client can
/// tell this failure apart from others (quinn reports TLS errors as text).
pub const PIN_MISMATCH_MARKER: &str = "certificate fingerprint";

/// Errors building TLS configurations.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rustls refused the certificate, key or settings.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The rustls config does not suit QUIC.
    #[error("QUIC TLS configuration: {0}")]
    Quic(String),
}

fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(provider::default_provider())
}

/// The transport settings both ends use: one bidirectional stream, idle timeout, windows
/// sized for chat traffic rather than bulk transfer.
pub fn transport_config(client: bool) -> quinn::TransportConfig {
    let mut t = quinn::TransportConfig::default();
    t.max_idle_timeout(Some(IDLE_TIMEOUT.try_into().expect("30 s fits")));
    t.max_concurrent_uni_streams(0u8.into());
    // Piazza speaks over one stream and never uses QUIC datagrams: not accepting them
    // keeps a peer from parking datagrams in a buffer nobody reads (1.25 MB by default).
    t.datagram_receive_buffer_size(None);
    if client {
        // The relay never opens streams towards a client.
        t.max_concurrent_bidi_streams(0u8.into());
        t.keep_alive_interval(Some(KEEP_ALIVE));
        // Backlog and fan-out arrive here: room for a burst of the room's traffic.
        t.stream_receive_window((1024u32 * 1024).into());
        t.receive_window((2u32 * 1024 * 1024).into());
        t.send_window(256 * 1024);
    } else {
        t.max_concurrent_bidi_streams(1u8.into());
        // Fan-out is one-way: ask clients to acknowledge every tenth packet (or after
        // 25 ms) instead of every other one, which halves what the relay receives.
        let mut acks = quinn::AckFrequencyConfig::default();
        acks.ack_eliciting_threshold(9u32.into())
            .max_ack_delay(Some(Duration::from_millis(25)));
        t.ack_frequency_config(Some(acks));
        // A client sends small frames; one maximal frame plus slack is enough.
        t.stream_receive_window((128u32 * 1024).into());
        t.receive_window((256u32 * 1024).into());
        t.send_window(512 * 1024);
    }
    t
}

/// The relay's QUIC server configuration for a certificate chain and its key.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<quinn::ServerConfig, TlsError> {
    let mut tls = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.max_early_data_size = 0;
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(Arc::new(transport_config(false)));
    Ok(config)
}

/// A client's QUIC configuration for the given trust, with Piazza's ALPN.
pub fn client_config(trust: Trust) -> Result<quinn::ClientConfig, TlsError> {
    client_config_with_alpn(trust, ALPN)
}

/// Like [`client_config`] with another ALPN; for tests of ALPN mismatch.
pub fn client_config_with_alpn(trust: Trust, alpn: &[u8]) -> Result<quinn::ClientConfig, TlsError> {
    let provider = crypto_provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?;
    let mut tls = match trust {
        Trust::Pinned(fingerprint) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier {
                fingerprint,
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        Trust::WebPki => {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    tls.alpn_protocols = vec![alpn.to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(Arc::new(transport_config(true)));
    Ok(config)
}

/// Accepts exactly the certificate with the pinned fingerprint, whatever names it holds
/// or who signed it, and verifies the handshake signatures made with its key.
#[derive(Debug)]
struct PinnedVerifier {
    fingerprint: Fingerprint,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of(end_entity);
        if presented.matches(&self.fingerprint) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                    expected: self.fingerprint,
                    presented,
                }))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_parses_plain_and_colon_forms() {
        let fp = Fingerprint::of(b"certificate");
        let plain = fp.to_string();
        assert_eq!(plain.len(), 64);
        assert_eq!(plain.parse::<Fingerprint>().unwrap(), fp);
        let colons =
            fp.0.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":");
        assert_eq!(colons.parse::<Fingerprint>().unwrap(), fp);
        assert_eq!(
            "abcd".parse::<Fingerprint>(),
            Err(FingerprintError::Length(4))
        );
        assert_eq!(
            "zz".repeat(32).parse::<Fingerprint>(),
            Err(FingerprintError::Encoding)
        );
    }

    #[test]
    fn matches_compares_every_byte() {
        let a = Fingerprint([1; 32]);
        let mut b = a;
        assert!(a.matches(&b));
        b.0[31] = 2;
        assert!(!a.matches(&b));
    }
}
