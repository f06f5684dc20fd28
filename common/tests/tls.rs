//! Real QUIC handshakes on 127.0.0.1: pinning and ALPN.

use std::net::SocketAddr;

use common::tls::{self, Fingerprint, Trust};

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

async fn connect(
    server: &Server,
    config: quinn::ClientConfig,
) -> Result<quinn::Connection, quinn::ConnectionError> {
    let client = quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    client
        .connect_with(config, server.endpoint.local_addr().unwrap(), "localhost")
        .unwrap()
        .await
}

#[tokio::test]
async fn the_right_pin_connects() {
    let server = server();
    let conn = connect(
        &server,
        tls::client_config(Trust::Pinned(server.fingerprint)).unwrap(),
    )
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
async fn a_wrong_pin_fails_with_a_clear_error() {
    let server = server();
    let mut wrong = server.fingerprint;
    wrong.0[0] ^= 1;
    let err = connect(&server, tls::client_config(Trust::Pinned(wrong)).unwrap())
        .await
        .expect_err("wrong pin must fail");
    let text = err.to_string();
    assert!(text.contains(tls::PIN_MISMATCH_MARKER), "{text}");
    assert!(text.contains(&wrong.to_string()), "names the pin: {text}");
    assert!(
        text.contains(&server.fingerprint.to_string()),
        "names what was presented: {text}"
    );
}

#[tokio::test]
async fn a_self_signed_relay_is_not_trusted_through_web_pki() {
    let server = server();
    let err = connect(&server, tls::client_config(Trust::WebPki).unwrap())
        .await
        .expect_err("self-signed is not a web PKI certificate");
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[tokio::test]
async fn an_alpn_mismatch_fails() {
    let server = server();
    let config =
        tls::client_config_with_alpn(Trust::Pinned(server.fingerprint), b"other/1").unwrap();
    let err = connect(&server, config)
        .await
        .expect_err("ALPN mismatch must fail");
    assert!(err.to_string().contains("protocol"), "{err}");
}
