//! CRM Open API (Broctagon, Authentication V2) emulator under `/crm/`.
//!
//! Every request must carry `key: <a registered API key>` (else 403 `invalid_api_key`);
//! POST/PATCH/PUT with a non-empty body must carry `signature: sha256=<hex HMAC-SHA256(key =
//! API key, msg = body bytes)>` (else 403 `invalid_signature`). Anything else is answered
//! 200 with an echo of the request.

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::server::{HttpReply, HttpRequest};
use super::Emulator;
use b2c_core::crm_openapi::{verify_signature, wire};

/// Default mount point.
pub const DEFAULT_PREFIX: &str = "/crm/";

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
}

impl CrmEmulator {
    /// An emulator accepting `api_keys`, mounted at [`DEFAULT_PREFIX`].
    pub fn new(api_keys: &[&str]) -> Self {
        CrmEmulator {
            prefix: DEFAULT_PREFIX.to_string(),
            api_keys: Mutex::new(api_keys.iter().map(|k| k.to_string()).collect()),
            stats: Mutex::new(CrmStats::default()),
        }
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

    /// Answer `req` if its path is ours; `None` otherwise.
    pub fn route(&self, req: &HttpRequest) -> Option<HttpReply> {
        if !req.path.starts_with(self.prefix.as_str()) {
            return None;
        }
        let mut stats = self.stats.lock();
        stats.requests += 1;
        let key = req.header(wire::HEADER_KEY).unwrap_or("");
        let known = !key.is_empty() && self.api_keys.lock().iter().any(|k| k == key);
        if !known {
            stats.invalid_api_key += 1;
            return Some(auth_error(
                wire::ERR_INVALID_API_KEY,
                "API key is not exist or invalid",
            ));
        }
        let signed = ["POST", "PATCH", "PUT"]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&req.method));
        if signed && !req.body.is_empty() {
            let sig = req.header(wire::HEADER_SIGNATURE).unwrap_or("");
            if !verify_signature(key, &req.body, sig).unwrap_or(false) {
                stats.invalid_signature += 1;
                return Some(auth_error(
                    wire::ERR_INVALID_SIGNATURE,
                    "Signature does not match",
                ));
            }
        }
        stats.ok += 1;
        let body = serde_json::from_slice::<Value>(&req.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&req.body).into_owned()));
        Some(HttpReply::json(
            200,
            &json!({
                "success": true,
                "method": req.method,
                "path": req.path,
                "query": req.query,
                "body": body,
            }),
        ))
    }
}

fn auth_error(kind: &str, message: &str) -> HttpReply {
    HttpReply::json(
        wire::AUTH_ERROR_STATUS,
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
    use b2c_core::crm_openapi::sign_request;

    fn req(method: &str, headers: Vec<(String, String)>, body: &[u8]) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: "/crm/api/clients".into(),
            query: String::new(),
            headers,
            body: body.to_vec(),
            peer: "127.0.0.1:1".parse().unwrap(),
        }
    }

    #[test]
    fn checks_key_and_signature() {
        let e = CrmEmulator::new(&["K1"]);
        let body = br#"{"x":1}"#;
        let ok = e
            .route(&req(
                "POST",
                sign_request("K1", "POST", body).unwrap(),
                body,
            ))
            .unwrap();
        assert_eq!(ok.status(), Some(200));
        let get = e
            .route(&req("GET", sign_request("K1", "GET", b"").unwrap(), b""))
            .unwrap();
        assert_eq!(get.status(), Some(200));
        let wrong_key = e
            .route(&req(
                "POST",
                sign_request("K2", "POST", body).unwrap(),
                body,
            ))
            .unwrap();
        assert_eq!(wrong_key.status(), Some(403));
        let mut h = sign_request("K1", "POST", body).unwrap();
        h.pop();
        let unsigned = e.route(&req("POST", h, body)).unwrap();
        assert_eq!(unsigned.status(), Some(403));
        let tampered = e
            .route(&req(
                "POST",
                sign_request("K1", "POST", body).unwrap(),
                br#"{"x":2}"#,
            ))
            .unwrap();
        assert_eq!(tampered.status(), Some(403));
        let mut other = req("GET", vec![], b"");
        other.path = "/b2binpay/token/".into();
        assert!(e.route(&other).is_none());
        assert_eq!(
            e.stats(),
            CrmStats {
                requests: 5,
                ok: 2,
                invalid_api_key: 1,
                invalid_signature: 2
            }
        );
    }
}
