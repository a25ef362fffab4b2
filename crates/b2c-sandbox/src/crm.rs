//! CRM Open API (Broctagon, Authentication V2) emulator under `/crm/`, written from the
//! vendor page (seed 002, docs/PROTOCOLS.md §2) with its own HMAC:
//!
//! - every request must carry `key: <a registered API key>` (else 403 `invalid_api_key`);
//! - POST/PATCH/PUT with a non-empty body must carry `signature: sha256=<lowercase hex
//!   HMAC-SHA256(key = API key, msg = body)>` (else 403 `invalid_signature`). The signature
//!   is checked over the raw body bytes; the lenient profile also accepts one over
//!   `JSON.stringify(JSON.parse(body))`, what the vendor's JavaScript/TypeScript samples
//!   sign (leniency `crm_signature_normalized`), one over `json_encode(json_decode(body))`,
//!   what its PHP sample means to sign (`crm_signature_php_normalized`), and uppercase hex
//!   digits (`crm_signature_uppercase_hex`);
//! - anything else is answered 200 with an echo of the request.

use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::jsnorm::js_normalize;
use super::phpnorm::php_normalize;
use super::profile::Leniencies;
use super::server::{HttpReply, HttpRequest};
use super::util::{ct_eq, hex_lower, hmac_sha256};
use super::Emulator;

/// Default mount point.
pub const DEFAULT_PREFIX: &str = "/crm/";
/// Request header carrying the API key.
pub const HEADER_KEY: &str = "key";
/// Request header carrying `sha256=<hex>` over the body.
pub const HEADER_SIGNATURE: &str = "signature";
/// The prefix of the signature value (`'sha256=' + hexdigest` in every sample).
pub const SIGNATURE_PREFIX: &str = "sha256=";
/// HTTP status of both authentication errors.
pub const AUTH_ERROR_STATUS: u16 = 403;
pub const ERR_INVALID_API_KEY: &str = "invalid_api_key";
pub const ERR_INVALID_SIGNATURE: &str = "invalid_signature";

/// Counters since start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrmStats {
    pub requests: u64,
    pub ok: u64,
    pub invalid_api_key: u64,
    pub invalid_signature: u64,
}

/// The CRM Open API emulator.
pub struct CrmEmulator {
    prefix: String,
    api_keys: Mutex<Vec<String>>,
    stats: Mutex<CrmStats>,
    leniencies: Arc<Leniencies>,
}

/// `sha256=<lowercase hex HMAC-SHA256(key = api_key, msg = body)>`.
pub fn signature(api_key: &str, body: &[u8]) -> String {
    format!(
        "{SIGNATURE_PREFIX}{}",
        hex_lower(&hmac_sha256(api_key.as_bytes(), &[body]))
    )
}

/// What a signature header was computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signed {
    Raw,
    /// Over `JSON.stringify(JSON.parse(body))`.
    Normalized,
    /// Over `json_encode(json_decode(body))`.
    PhpNormalized,
}

impl CrmEmulator {
    /// An emulator accepting `api_keys`, mounted at [`DEFAULT_PREFIX`], lenient.
    pub fn new(api_keys: &[&str]) -> Self {
        Self::with_leniencies(api_keys, Arc::new(Leniencies::new(false)))
    }

    /// The same, recording its leniencies (and taking its profile) in `leniencies`.
    pub fn with_leniencies(api_keys: &[&str], leniencies: Arc<Leniencies>) -> Self {
        CrmEmulator {
            prefix: DEFAULT_PREFIX.to_string(),
            api_keys: Mutex::new(api_keys.iter().map(|k| k.to_string()).collect()),
            stats: Mutex::new(CrmStats::default()),
            leniencies,
        }
    }

    /// The profile and the leniencies granted.
    pub fn leniencies(&self) -> &Arc<Leniencies> {
        &self.leniencies
    }

    /// The client base URL for a server at `server_base`.
    pub fn base_url(&self, server_base: &str) -> String {
        format!("{}{}", server_base.trim_end_matches('/'), self.prefix)
    }

    pub fn add_api_key(&self, key: &str) {
        self.api_keys.lock().push(key.to_string());
    }

    pub fn revoke_api_key(&self, key: &str) {
        self.api_keys.lock().retain(|k| k != key);
    }

    pub fn stats(&self) -> CrmStats {
        self.stats.lock().clone()
    }

    /// Which bytes `header` signs under `key`, if it matches: the raw body, else (lenient)
    /// its `JSON.stringify` or its PHP `json_encode` normal form. Uppercase hex needs the
    /// lenient profile.
    fn check_signature(&self, key: &str, body: &[u8], header: &str) -> Option<Signed> {
        let hex = header.strip_prefix(SIGNATURE_PREFIX)?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let upper = hex.bytes().any(|b| b.is_ascii_uppercase());
        if upper && self.leniencies.is_strict() {
            return None;
        }
        let given = hex.to_ascii_lowercase();
        let matches = |msg: &[u8]| {
            let want = hex_lower(&hmac_sha256(key.as_bytes(), &[msg]));
            ct_eq(want.as_bytes(), given.as_bytes())
        };
        let signed = if matches(body) {
            Signed::Raw
        } else if self.leniencies.is_strict() {
            return None;
        } else {
            let differs = |normal: &Option<Vec<u8>>| {
                normal.as_deref().is_some_and(|n| n != body && matches(n))
            };
            if differs(&js_normalize(body)) {
                Signed::Normalized
            } else if differs(&php_normalize(body)) {
                Signed::PhpNormalized
            } else {
                return None;
            }
        };
        if upper {
            self.leniencies.allow("crm_signature_uppercase_hex");
        }
        match signed {
            Signed::Normalized => {
                self.leniencies.allow("crm_signature_normalized");
            }
            Signed::PhpNormalized => {
                self.leniencies.allow("crm_signature_php_normalized");
            }
            Signed::Raw => {}
        }
        Some(signed)
    }

    /// Answer `req` if its path is ours; `None` otherwise.
    pub fn route(&self, req: &HttpRequest) -> Option<HttpReply> {
        if !req.path.starts_with(self.prefix.as_str()) {
            return None;
        }
        let mut stats = self.stats.lock();
        stats.requests += 1;
        let key = req.header(HEADER_KEY).unwrap_or("");
        let known = !key.is_empty() && self.api_keys.lock().iter().any(|k| k == key);
        if !known {
            stats.invalid_api_key += 1;
            return Some(auth_error(
                ERR_INVALID_API_KEY,
                "API key is not exist or invalid",
            ));
        }
        let signed = ["POST", "PATCH", "PUT"]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&req.method));
        let mut signed_over = None;
        if signed && !req.body.is_empty() {
            let sig = req.header(HEADER_SIGNATURE).unwrap_or("");
            match self.check_signature(key, &req.body, sig) {
                Some(s) => signed_over = Some(s),
                None => {
                    stats.invalid_signature += 1;
                    return Some(auth_error(
                        ERR_INVALID_SIGNATURE,
                        "Signature does not match",
                    ));
                }
            }
        }
        stats.ok += 1;
        let body = serde_json::from_slice::<Value>(&req.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&req.body).into_owned()));
        let mut answer = json!({
            "success": true,
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "body": body,
        });
        if let Some(s) = signed_over {
            answer["signed"] = json!(match s {
                Signed::Raw => "raw",
                Signed::Normalized => "normalized",
                Signed::PhpNormalized => "php_normalized",
            });
        }
        Some(HttpReply::json(200, &answer))
    }
}

fn auth_error(kind: &str, message: &str) -> HttpReply {
    HttpReply::json(
        AUTH_ERROR_STATUS,
        &json!({"success": false, "error": kind, "message": message}),
    )
}

impl Emulator for CrmEmulator {
    fn owns(&self, path: &str) -> bool {
        path.starts_with(self.prefix.as_str())
    }

    fn handle(&self, req: &HttpRequest) -> HttpReply {
        self.route(req)
            .unwrap_or_else(|| HttpReply::json(404, &json!({"error": "not_found"})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: "/crm/api/clients".into(),
            query: String::new(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
            peer: "127.0.0.1:1".parse().unwrap(),
        }
    }

    const KEY: &str = "sandbox-api-key";
    /// Node.js: crypto.createHmac('sha256', 'sandbox-api-key').update(body).digest('hex')
    const BODY: &[u8] = br#"{"name": "J\u00fcrgen", "amount":1.50}"#;
    const SIG_RAW: &str = "sha256=7a06ab4cb65af5851ede180edfdce5aca8c57879f3babbf5c7248e6ebcba9709";
    /// ... over JSON.stringify(JSON.parse(body)) = {"name":"Jürgen","amount":1.5}
    const SIG_NORMALIZED: &str =
        "sha256=b451d2011b8348bc27304474d0985cc87a1328c10e864b2e6f841e2faa2f541e";
    /// PHP: hash_hmac('sha256', json_encode(json_decode($body)), 'sandbox-api-key'), over
    /// {"name":"J\u00fcrgen","amount":1.5}
    const SIG_PHP: &str = "sha256=8ae661f526859bb127f88502bdfe094bf79efcb1b37b3677023fb2f09b5e813e";

    #[test]
    fn signature_fixed_vectors() {
        assert_eq!(signature(KEY, BODY), SIG_RAW);
        assert_eq!(
            signature(KEY, "{\"name\":\"J\u{fc}rgen\",\"amount\":1.5}".as_bytes()),
            SIG_NORMALIZED
        );
        assert_eq!(
            signature(KEY, br#"{"name":"J\u00fcrgen","amount":1.5}"#),
            SIG_PHP
        );
    }

    #[test]
    fn php_normalized_signature_is_a_leniency() {
        let lenient = emulator(false);
        let headers = [("key", KEY), ("signature", SIG_PHP)];
        let r = lenient.route(&req("POST", &headers, BODY)).unwrap();
        assert_eq!(r.status(), Some(200));
        let HttpReply::Response { body, .. } = r else {
            panic!()
        };
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["signed"], "php_normalized");
        assert_eq!(
            lenient.leniencies().count("crm_signature_php_normalized"),
            1
        );
        assert_eq!(lenient.leniencies().count("crm_signature_normalized"), 0);
        // A slash: the PHP form escapes it, so only that reading matches.
        let body = br#"{"callback": "https://crm.example/hook"}"#;
        let php_form = br#"{"callback":"https:\/\/crm.example\/hook"}"#;
        let sig = signature(KEY, php_form);
        let r = lenient
            .route(&req("POST", &[("key", KEY), ("signature", &sig)], body))
            .unwrap();
        assert_eq!(r.status(), Some(200));
        assert_eq!(
            lenient.leniencies().count("crm_signature_php_normalized"),
            2
        );
        // The strict profile takes the raw body only.
        let strict = emulator(true);
        assert_eq!(
            strict.route(&req("POST", &headers, BODY)).unwrap().status(),
            Some(403)
        );
        // A signature over the PHP form of another body does not pass.
        let r = lenient
            .route(&req(
                "POST",
                &headers,
                br#"{"name": "J\u00fcrgen", "amount":1.51}"#,
            ))
            .unwrap();
        assert_eq!(r.status(), Some(403));
    }

    fn emulator(strict: bool) -> CrmEmulator {
        CrmEmulator::with_leniencies(&["K1", KEY], Arc::new(Leniencies::quiet(strict)))
    }

    #[test]
    fn checks_key_and_signature() {
        let e = emulator(false);
        let body = br#"{"x":1}"#;
        let sig = signature("K1", body);
        let ok = e
            .route(&req("POST", &[("key", "K1"), ("signature", &sig)], body))
            .unwrap();
        assert_eq!(ok.status(), Some(200));
        let get = e.route(&req("GET", &[("key", "K1")], b"")).unwrap();
        assert_eq!(get.status(), Some(200));
        let wrong_key = e
            .route(&req("POST", &[("key", "K2"), ("signature", &sig)], body))
            .unwrap();
        assert_eq!(wrong_key.status(), Some(403));
        let unsigned = e.route(&req("POST", &[("key", "K1")], body)).unwrap();
        assert_eq!(unsigned.status(), Some(403));
        let tampered = e
            .route(&req(
                "POST",
                &[("key", "K1"), ("signature", &sig)],
                br#"{"x":2}"#,
            ))
            .unwrap();
        assert_eq!(tampered.status(), Some(403));
        let bare_hex = e
            .route(&req(
                "POST",
                &[("key", "K1"), ("signature", &sig["sha256=".len()..])],
                body,
            ))
            .unwrap();
        assert_eq!(bare_hex.status(), Some(403));
        let mut other = req("GET", &[], b"");
        other.path = "/b2binpay/token/".into();
        assert!(e.route(&other).is_none());
        assert_eq!(
            e.stats(),
            CrmStats {
                requests: 6,
                ok: 2,
                invalid_api_key: 1,
                invalid_signature: 3
            }
        );
        assert!(e.leniencies().counts().is_empty());
    }

    #[test]
    fn normalized_signature_is_a_leniency() {
        let lenient = emulator(false);
        let headers = |sig: &'static str| [("key", KEY), ("signature", sig)];
        let r = lenient
            .route(&req("POST", &headers(SIG_RAW), BODY))
            .unwrap();
        assert_eq!(r.status(), Some(200));
        let r = lenient
            .route(&req("POST", &headers(SIG_NORMALIZED), BODY))
            .unwrap();
        assert_eq!(r.status(), Some(200));
        let HttpReply::Response { body, .. } = r else {
            panic!()
        };
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["signed"], "normalized");
        assert_eq!(lenient.leniencies().count("crm_signature_normalized"), 1);
        let upper = SIG_RAW.replace("7a06ab", "7A06AB");
        let r = lenient
            .route(&req("POST", &[("key", KEY), ("signature", &upper)], BODY))
            .unwrap();
        assert_eq!(r.status(), Some(200));
        assert_eq!(lenient.leniencies().count("crm_signature_uppercase_hex"), 1);

        let strict = emulator(true);
        assert_eq!(
            strict
                .route(&req("POST", &headers(SIG_RAW), BODY))
                .unwrap()
                .status(),
            Some(200)
        );
        assert_eq!(
            strict
                .route(&req("POST", &headers(SIG_NORMALIZED), BODY))
                .unwrap()
                .status(),
            Some(403)
        );
        assert_eq!(
            strict
                .route(&req("POST", &[("key", KEY), ("signature", &upper)], BODY))
                .unwrap()
                .status(),
            Some(403)
        );
        // Garbage signed "normalized" never passes: a body with no JSON normal form.
        let lenient = emulator(false);
        let sig = signature(KEY, b"not json");
        assert_eq!(
            lenient
                .route(&req(
                    "POST",
                    &[("key", KEY), ("signature", &sig)],
                    b"not json"
                ))
                .unwrap()
                .status(),
            Some(200)
        );
        assert_eq!(
            lenient
                .route(&req(
                    "POST",
                    &[("key", KEY), ("signature", SIG_NORMALIZED)],
                    b"not json"
                ))
                .unwrap()
                .status(),
            Some(403)
        );
    }
}
