//! TLS: rustls with the AWS-LC provider (the same library that signs the JWTs), the Mozilla
//! roots (webpki-roots, compiled in: no parsing at start-up) plus any `extra_ca_pem`
//! anchors. Verification is never switched off.
//!
//! One `rustls::ClientConfig` per distinct set of extra anchors, shared by every client in
//! the process: its session cache is then shared too, so a reconnect (a new PHP request's
//! client, a connection the pool let go) resumes the TLS session instead of a full
//! handshake.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};

/// Extra trust anchors from `extra_ca_pem`, checked when the configuration is read.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExtraRoots {
    certs: Vec<CertificateDer<'static>>,
    /// SHA-256 over the DER of every certificate (the key of the shared config).
    id: [u8; 32],
}

impl std::fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExtraRoots({} certificates)", self.certs.len())
    }
}

impl ExtraRoots {
    /// Parse PEM certificates; every one must be a usable X.509 trust anchor (a broken
    /// certificate is a configuration error now, not an "unknown issuer" later).
    pub fn from_pem(pem: &str) -> Result<ExtraRoots> {
        let cfg = |m: String| Error::new(ErrorKind::Config, format!("extra_ca_pem: {m}"));
        let mut certs = Vec::new();
        for (i, item) in CertificateDer::pem_slice_iter(pem.as_bytes()).enumerate() {
            let cert = item.map_err(|_| cfg(format!("certificate {} is not valid PEM", i + 1)))?;
            let mut probe = RootCertStore::empty();
            probe.add(cert.clone()).map_err(|_| {
                cfg(format!(
                    "certificate {} is not a valid X.509 certificate",
                    i + 1
                ))
            })?;
            certs.push(cert);
        }
        if certs.is_empty() {
            return Err(cfg("no CERTIFICATE block found".into()));
        }
        let mut h = Sha256::new();
        for c in &certs {
            h.update((c.len() as u64).to_be_bytes());
            h.update(c.as_ref());
        }
        Ok(ExtraRoots {
            certs,
            id: h.finalize().into(),
        })
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static P: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .clone()
}

fn build(extra: Option<&ExtraRoots>) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(extra) = extra {
        for c in &extra.certs {
            roots
                .add(c.clone())
                .map_err(|_| Error::new(ErrorKind::Config, "extra_ca_pem: invalid certificate"))?;
        }
    }
    let mut cfg = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Tls, format!("TLS configuration: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The shared client configuration for these extra anchors (built on first use).
pub fn client_config(extra: Option<&ExtraRoots>) -> Result<Arc<ClientConfig>> {
    static CONFIGS: OnceLock<Mutex<HashMap<[u8; 32], Arc<ClientConfig>>>> = OnceLock::new();
    let key = extra.map(|e| e.id).unwrap_or([0; 32]);
    let map = CONFIGS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(c) = map.lock().get(&key) {
        return Ok(c.clone());
    }
    let cfg = build(extra)?;
    let mut m = map.lock();
    // A process rarely has more than a few distinct anchor sets; bound a misuse.
    if m.len() >= 64 {
        m.clear();
    }
    Ok(m.entry(key).or_insert(cfg).clone())
}
