//! The relay's identity in its data directory: the certificate (generated on first
//! start unless one is given), the stateless-reset secret, and the connection-id key
//! derived from it, so that a relay restarted after a crash recognises its
//! predecessor's connection ids and answers them with a stateless reset.

use std::{fs, path::Path, sync::Arc};

use crate::RelayError;

/// File name of the stateless-reset secret inside the data directory.
pub const RESET_KEY_FILE: &str = "reset.key";

/// The certificate in `dir`, or a new one for `hosts` saved there.
pub fn load_or_generate_cert(dir: &Path, hosts: &[String]) -> Result<certs::RelayCert, RelayError> {
    if dir.join(certs::CERT_FILE).exists() {
        return Ok(certs::RelayCert::load(dir)?);
    }
    let cert = certs::generate(hosts)?;
    cert.save(dir, false)?;
    tracing::info!(fingerprint = %cert.fingerprint(), "generated a self-signed certificate");
    Ok(cert)
}

/// QUIC endpoint settings keyed by the persisted secret in `dir`: stateless-reset
/// tokens and connection ids both survive a restart, crash or not.
pub fn endpoint_config(dir: &Path) -> Result<quinn::EndpointConfig, RelayError> {
    let secret = load_or_create_secret(&dir.join(RESET_KEY_FILE))?;
    let mut config = quinn::EndpointConfig::new(Arc::new(ring::hmac::Key::new(
        ring::hmac::HMAC_SHA256,
        &secret,
    )));
    // quinn's default connection-id key is random per process: a restarted relay drops
    // packets with ids it did not sign, without a reset, and clients wait for their idle
    // timeout. Signed with a key derived from the secret, they are recognised.
    let key = cid_key(&secret);
    config.cid_generator(move || Box::new(quinn_proto::HashedConnectionIdGenerator::from_key(key)));
    Ok(config)
}

/// The connection-id signing key: an HMAC of the secret with a fixed label, so it is
/// independent of the reset tokens made from the same secret.
fn cid_key(secret: &[u8]) -> u64 {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, b"piazza connection id key");
    u64::from_le_bytes(tag.as_ref()[..8].try_into().expect("8 bytes"))
}

fn load_or_create_secret(path: &Path) -> Result<Vec<u8>, RelayError> {
    match fs::read(path) {
        Ok(bytes) if bytes.len() == 32 => return Ok(bytes),
        Ok(_) => tracing::warn!("{} is malformed; making a new one", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(RelayError::Io {
                what: format!("reading {}", path.display()),
                source,
            })
        }
    }
    let secret: [u8; 32] = rand::random();
    certs::write_private(path, &secret)?;
    Ok(secret.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_and_so_the_connection_id_key_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RESET_KEY_FILE);
        let first = load_or_create_secret(&path).unwrap();
        let again = load_or_create_secret(&path).unwrap();
        assert_eq!(first, again);
        assert_eq!(cid_key(&first), cid_key(&again));
        assert_ne!(cid_key(&first), cid_key(&[0; 32]));
    }
}
