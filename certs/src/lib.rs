//! Certificates for Piazza relays: generate a self-signed certificate with rcgen, keep it
//! as PEM files, load it back for rustls, and compute the SHA-256 fingerprint that
//! invites pin.
//!
//! # Layout
//! - [`generate`]: a new self-signed certificate for DNS names and IP addresses.
//! - [`RelayCert`]: a certificate with its key; [`RelayCert::save`] and [`RelayCert::load`]
//!   move it to and from `cert.pem` / `key.pem` (the key readable by its owner only).
//! - [`fingerprint_file`]: the pin of a PEM certificate file.
//! - [`write_private`]: a secret file only its owner can read (the relay's other secrets).
//!
//! The `piazza-certs` binary (`src/main.rs`) is a small CLI over these functions.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use common::fingerprint::Fingerprint;
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};

/// File name of the certificate inside a certificate directory.
pub const CERT_FILE: &str = "cert.pem";
/// File name of the private key inside a certificate directory.
pub const KEY_FILE: &str = "key.pem";

/// What can go wrong with certificates.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// No names were given to put in the certificate.
    #[error("a certificate needs at least one host name or IP address")]
    NoHosts,
    /// rcgen could not build the certificate.
    #[error("could not generate the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A file exists and overwriting was not asked for.
    #[error("{0} already exists (use --force to replace it)")]
    Exists(PathBuf),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file holds no usable PEM certificate or key.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// A relay certificate chain and its private key, in DER and PEM.
pub struct RelayCert {
    /// The certificate chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key (PKCS#8).
    pub key: PrivateKeyDer<'static>,
    cert_pem: String,
    key_pem: String,
}

impl std::fmt::Debug for RelayCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayCert")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

/// Generates a self-signed certificate (ECDSA P-256) valid for `hosts`: DNS names and IP
/// addresses, as text.
pub fn generate(hosts: &[String]) -> Result<RelayCert, CertError> {
    if hosts.is_empty() {
        return Err(CertError::NoHosts);
    }
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(hosts.to_vec())?;
    Ok(RelayCert {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(signing_key.serialize_der().into()),
        cert_pem: cert.pem(),
        key_pem: signing_key.serialize_pem(),
    })
}

impl RelayCert {
    /// SHA-256 fingerprint of the leaf certificate, as pinned in invites.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.chain[0])
    }

    /// The key again, for a second TLS configuration.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }

    /// Writes `cert.pem` and `key.pem` into `dir` (created if missing). The key file is
    /// readable by its owner only. Refuses to replace existing files unless `force`.
    pub fn save(&self, dir: &Path, force: bool) -> Result<(PathBuf, PathBuf), CertError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        if !force {
            for path in [&cert_path, &key_path] {
                if path.exists() {
                    return Err(CertError::Exists(path.clone()));
                }
            }
        }
        fs::create_dir_all(dir).map_err(|source| CertError::Io {
            path: dir.to_owned(),
            source,
        })?;
        write_private(&key_path, self.key_pem.as_bytes())?;
        write_file(&cert_path, self.cert_pem.as_bytes(), false)?;
        Ok((cert_path, key_path))
    }

    /// Loads `cert.pem` and `key.pem` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, CertError> {
        Self::load_files(&dir.join(CERT_FILE), &dir.join(KEY_FILE))
    }

    /// Loads a PEM certificate chain and a PEM private key.
    pub fn load_files(cert_path: &Path, key_path: &Path) -> Result<Self, CertError> {
        let cert_pem = read(cert_path)?;
        let key_pem = read(key_path)?;
        let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(cert_path, e.to_string()))?;
        if chain.is_empty() {
            return Err(pem_error(cert_path, "no certificate found".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| pem_error(key_path, format!("no private key found ({e})")))?;
        Ok(Self {
            chain,
            key,
            cert_pem,
            key_pem,
        })
    }
}

/// The fingerprint of the first certificate in a PEM file.
pub fn fingerprint_file(path: &Path) -> Result<Fingerprint, CertError> {
    let pem = read(path)?;
    let cert = CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| pem_error(path, "no certificate found".into()))?
        .map_err(|e| pem_error(path, e.to_string()))?;
    Ok(Fingerprint::of(&cert))
}

fn pem_error(path: &Path, what: String) -> CertError {
    CertError::Pem {
        path: path.to_owned(),
        what,
    }
}

fn read(path: &Path) -> Result<String, CertError> {
    fs::read_to_string(path).map_err(|source| CertError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Writes a secret (a key, a token) readable by its owner only, replacing the file and
/// syncing it to disk.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), CertError> {
    write_file(path, contents, true)
}

fn write_file(path: &Path, contents: &[u8], private: bool) -> Result<(), CertError> {
    let io = |source| CertError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(io)?;
    #[cfg(unix)]
    if private {
        // The mode above applies only to new files; tighten a replaced one too.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(contents).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_cert_loads_back_with_the_same_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let cert = generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        let fp = cert.fingerprint();
        let (cert_path, key_path) = cert.save(dir.path(), false).unwrap();
        let loaded = RelayCert::load(dir.path()).unwrap();
        assert_eq!(loaded.fingerprint(), fp);
        assert_eq!(loaded.chain, cert.chain);
        assert_eq!(fingerprint_file(&cert_path).unwrap(), fp);
        assert_eq!(fingerprint_file(&cert_path).unwrap(), fp, "stable");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&key_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let first = generate(&["localhost".into()]).unwrap();
        first.save(dir.path(), false).unwrap();
        let second = generate(&["localhost".into()]).unwrap();
        assert!(matches!(
            second.save(dir.path(), false),
            Err(CertError::Exists(_))
        ));
        assert_eq!(
            RelayCert::load(dir.path()).unwrap().fingerprint(),
            first.fingerprint()
        );
        second.save(dir.path(), true).unwrap();
        assert_eq!(
            RelayCert::load(dir.path()).unwrap().fingerprint(),
            second.fingerprint()
        );
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(generate(&[]), Err(CertError::NoHosts)));
        let missing = RelayCert::load(dir.path()).unwrap_err().to_string();
        assert!(missing.contains("cert.pem"), "{missing}");
        fs::write(dir.path().join(CERT_FILE), "not a certificate").unwrap();
        fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        let err = RelayCert::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no certificate found"), "{err}");
    }
}
