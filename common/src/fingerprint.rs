//! Certificate fingerprints: what an invite pins, what `piazza-certs` prints, and how a
//! client decides to trust a relay ([`Trust`]). Pure: the TLS verifier that applies it
//! lives in the `net` crate.

use std::{fmt, str::FromStr};

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

    /// A short form people can read aloud and compare: the first 16 hex digits in four
    /// groups (`3F1C-08AB-77D2-19E0`).
    pub fn short(&self) -> String {
        let hex = hex::encode_upper(&self.0[..8]);
        hex.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
            .collect::<Vec<_>>()
            .join("-")
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

    #[test]
    fn the_short_form_is_four_groups_of_the_first_digits() {
        let fp = Fingerprint([0x3f; 32]);
        assert_eq!(fp.short(), "3F3F-3F3F-3F3F-3F3F");
        assert!(fp.to_string().to_uppercase().starts_with("3F3F3F3F"));
    }
}
