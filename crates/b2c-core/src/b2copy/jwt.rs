//! The `external_token`: a compact ES256 JWS with the claims B2COPY expects.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::wire::{ExternalClaims, JwtHeader, JWT_ALG, JWT_TYP};
use crate::error::{Error, Result};
use crate::keys::PrivateKey;

/// What goes into an external token besides the key.
#[derive(Clone, Debug)]
pub struct ExternalTokenParams {
    /// The service admin's id (a JSON number in the token).
    pub admin_id: u64,
    /// The IP the CRM calls from, as registered with B2COPY support.
    pub device_ip: String,
    /// The key identifier registered with B2COPY support.
    pub key_id: String,
    /// `iss` claim.
    pub issuer: String,
    /// Lifetime (`exp - iat`). Short: the token is a bearer credential. Default 300 s.
    pub ttl: Duration,
    /// Add `kid` = key_id to the JWS header (off by default: no public source says B2COPY wants it).
    pub kid_header: bool,
}

impl ExternalTokenParams {
    pub fn validate(&self) -> Result<()> {
        if self.device_ip.is_empty() || self.device_ip.len() > 64 {
            return Err(Error::invalid_arg("device_ip must be 1..64 bytes"));
        }
        if self.key_id.is_empty() || self.key_id.len() > 256 {
            return Err(Error::invalid_arg("key_id must be 1..256 bytes"));
        }
        if self.issuer.len() > 256 {
            return Err(Error::invalid_arg("issuer must be at most 256 bytes"));
        }
        if self.ttl.as_secs() == 0 || self.ttl.as_secs() > 86_400 {
            return Err(Error::invalid_arg("JWT lifetime must be 1..86400 seconds"));
        }
        Ok(())
    }
}

/// Mint an external token at Unix time `now`. Returned zeroizing: it is a bearer credential.
pub fn mint_external_token(
    key: &PrivateKey,
    params: &ExternalTokenParams,
    now: u64,
) -> Result<Zeroizing<String>> {
    params.validate()?;
    let header = JwtHeader {
        alg: JWT_ALG.to_string(),
        typ: JWT_TYP.to_string(),
        kid: params.kid_header.then(|| params.key_id.clone()),
    };
    let claims = ExternalClaims {
        admin_id: params.admin_id,
        device_ip: params.device_ip.clone(),
        key_id: params.key_id.clone(),
        iss: params.issuer.clone(),
        iat: now,
        exp: now + params.ttl.as_secs(),
    };
    let header_json = serde_json::to_vec(&header).map_err(|e| Error::protocol(e.to_string()))?;
    let claims_json = serde_json::to_vec(&claims).map_err(|e| Error::protocol(e.to_string()))?;
    let mut out = Zeroizing::new(String::with_capacity(
        (header_json.len() + claims_json.len() + 64) * 4 / 3 + 4,
    ));
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(&claims_json, &mut out);
    let sig = key.sign_es256(out.as_bytes())?;
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut out);
    Ok(out)
}
