//! TLS and QUIC configuration for both ends, on rustls with the ring provider.
//!
//! The relay presents a certificate chain (usually self-signed, see the `certs` crate).
//! A client trusts it either by a pinned SHA-256 [`Fingerprint`] of the leaf certificate
//! ([`Trust::Pinned`]) or through the web PKI roots ([`Trust::WebPki`]). Pinning replaces
//! only the chain check: handshake signatures are still verified. A pin that does not
//! match is reported by type ([`ClientTls::pin_failed`]), not by error text.
//!
//! Liveness: clients send a keep-alive every [`KEEP_ALIVE`] and both ends give up on a
//! silent peer after [`IDLE_TIMEOUT`], so a relay that stops answering is noticed within
//! seconds and a phone that vanished stops costing the relay anything soon after.

use std::{
    fmt,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use common::fingerprint::{Fingerprint, Trust};

use rustls::{
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{ring as provider, CryptoProvider, WebPkiSupportedAlgorithms},
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime},
    DigitallySignedStruct, SignatureScheme,
};

use common::protocol::ALPN;

/// QUIC idle timeout on both ends (the shorter of the two sides' applies): a peer
/// silent this long is gone. quinn restarts the timer when it sends the first packet
/// after receiving one, so a relay that falls silent right after answering is noticed
/// by QUIC only after up to [`IDLE_TIMEOUT`] + [`KEEP_ALIVE`] (about 7 s); the engine
/// therefore also watches for silence itself (4 s) to keep its 5 s promise.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a client sends a keep-alive when it has nothing else to send: two and a
/// half per [`IDLE_TIMEOUT`], so one lost packet does not end a connection. About one
/// small packet each way every 2 s per idle client.
pub const KEEP_ALIVE: Duration = Duration::from_secs(2);

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
    t.max_idle_timeout(Some(IDLE_TIMEOUT.try_into().expect("5 s fits")));
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

/// A client's QUIC configuration, and what its certificate check saw.
#[derive(Clone)]
pub struct ClientTls {
    /// The configuration to connect with.
    pub config: quinn::ClientConfig,
    pin_failed: Arc<AtomicBool>,
}

impl ClientTls {
    /// True once a relay presented a certificate other than the pinned one.
    pub fn pin_failed(&self) -> bool {
        self.pin_failed.load(Ordering::Relaxed)
    }

    /// Forgets earlier pin failures (before a new attempt).
    pub fn reset(&self) {
        self.pin_failed.store(false, Ordering::Relaxed);
    }
}

/// A client's QUIC configuration for the given trust, with Piazza's ALPN.
pub fn client_config(trust: Trust) -> Result<ClientTls, TlsError> {
    client_config_with_alpn(trust, ALPN)
}

/// Like [`client_config`] with another ALPN; for tests of ALPN mismatch.
pub fn client_config_with_alpn(trust: Trust, alpn: &[u8]) -> Result<ClientTls, TlsError> {
    let pin_failed = Arc::new(AtomicBool::new(false));
    let provider = crypto_provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?;
    let mut tls = match trust {
        Trust::Pinned(fingerprint) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier {
                fingerprint,
                algorithms: provider.signature_verification_algorithms,
                failed: pin_failed.clone(),
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
    Ok(ClientTls { config, pin_failed })
}

/// Accepts exactly the certificate with the pinned fingerprint, whatever names it holds
/// or who signed it, and verifies the handshake signatures made with its key.
#[derive(Debug)]
struct PinnedVerifier {
    fingerprint: Fingerprint,
    algorithms: WebPkiSupportedAlgorithms,
    failed: Arc<AtomicBool>,
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
            self.failed.store(true, Ordering::Relaxed);
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
