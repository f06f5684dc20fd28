//! Real QUIC handshakes on 127.0.0.1: pinning, web PKI and ALPN, each failure classified
//! as its own `Problem`.

use std::net::SocketAddr;

use common::{
    fingerprint::{Fingerprint, Trust},
    invite::Invite,
};
use net::{socket, tls, Dialer, Problem};

struct Server {
    endpoint: quinn::Endpoint,
    fingerprint: Fingerprint,
}

fn server() -> Server {
    let cert = certs::generate(&["localhost".into()]).unwrap();
    let config = tls::server_config(cert.chain.clone(), cert.key()).unwrap();
    let endpoint = quinn::Endpoint::server(config, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let accepting = endpoint.clone();
    tokio::spawn(async move {
        while let Some(incoming) = accepting.accept().await {
            tokio::spawn(async move {
                if let Ok(conn) = incoming.await {
                    conn.closed().await;
                }
            });
        }
    });
    Server {
        fingerprint: cert.fingerprint(),
        endpoint,
    }
}

fn dialer(server: &Server, fingerprint: Option<Fingerprint>) -> Dialer {
    let addr = server.endpoint.local_addr().unwrap();
    let invite = Invite {
        host: "localhost".into(),
        port: addr.port(),
        more: Vec::new(),
        fingerprint,
        room: None,
        room_key: None,
    };
    let endpoint = socket::client_endpoint(addr).unwrap();
    Dialer::to_addr(endpoint, &invite, addr).unwrap()
}

#[tokio::test]
async fn the_right_pin_connects() {
    let server = server();
    let conn = dialer(&server, Some(server.fingerprint))
        .connect()
        .await
        .expect("pinned handshake");
    let alpn = conn
        .handshake_data()
        .unwrap()
        .downcast::<quinn::crypto::rustls::HandshakeData>()
        .unwrap()
        .protocol
        .unwrap();
    assert_eq!(alpn, common::protocol::ALPN);
}

#[tokio::test]
async fn a_wrong_pin_is_a_pin_mismatch_and_the_error_names_both_fingerprints() {
    let server = server();
    let mut wrong = server.fingerprint;
    wrong.0[0] ^= 1;
    let problem = dialer(&server, Some(wrong)).connect().await.unwrap_err();
    assert_eq!(problem, Problem::PinMismatch);

    // The TLS error itself says which fingerprints differ (for logs).
    let config = tls::client_config(Trust::Pinned(wrong)).unwrap();
    let client = socket::client_endpoint(server.endpoint.local_addr().unwrap()).unwrap();
    let err = client
        .connect_with(
            config.config.clone(),
            server.endpoint.local_addr().unwrap(),
            "localhost",
        )
        .unwrap()
        .await
        .expect_err("wrong pin must fail");
    assert!(config.pin_failed());
    let text = err.to_string();
    assert!(text.contains(&wrong.to_string()), "names the pin: {text}");
    assert!(
        text.contains(&server.fingerprint.to_string()),
        "names what was presented: {text}"
    );
}

#[tokio::test]
async fn a_self_signed_relay_is_not_trusted_through_web_pki() {
    let server = server();
    let problem = dialer(&server, None).connect().await.unwrap_err();
    assert!(matches!(problem, Problem::Untrusted(_)), "{problem:?}");
}

#[tokio::test]
async fn an_alpn_mismatch_is_a_protocol_problem() {
    let server = server();
    let tls = tls::client_config_with_alpn(Trust::Pinned(server.fingerprint), b"other/1").unwrap();
    let problem = dialer(&server, Some(server.fingerprint))
        .with_tls(tls)
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(problem, Problem::Protocol(_)), "{problem:?}");
}
