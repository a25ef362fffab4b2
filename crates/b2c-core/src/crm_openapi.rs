//! Broctagon CRM Open API — Authentication V2 (docs/PROTOCOLS.md §2).
//!
//! - Every request carries the header `key: <API key>`.
//! - Every POST/PATCH/PUT with a non-empty body also carries
//!   `signature: sha256=<lowercase hex HMAC-SHA256(key = API key, message = body bytes)>`.
//! - Webhooks from the CRM carry `X-Crm-Signature`: HMAC-SHA256 hex of the raw body keyed
//!   with the *webhook secret*, with or without a `sha256=` prefix.
//!
//! # Sign the bytes you send
//!
//! **The bytes signed must be exactly the bytes sent on the wire.** Never parse and
//! re-encode JSON between signing and sending (the vendor's PHP and JavaScript samples do,
//! and break whenever the encoder's output differs from the body actually sent: key order,
//! whitespace, `\/` escaping, unicode escaping, number formatting). Serialise once, sign
//! that buffer, send that buffer. The payload is treated as UTF-8 bytes as-is.
//!
//! # The handle: [`Crm`]
//!
//! [`Crm::call`] adds `key`, signs exactly the bytes it sends, and maps 403
//! `invalid_api_key` / `invalid_signature` to their errors. Which bytes it sends: the vendor's
//! samples sign `JSON.stringify(JSON.parse(body))`, not the raw body, so a server that
//! verifies the same way refuses a body not already in that form. By default `call` therefore
//! sends JSON bodies in that normal form ([`crate::json_normal`]): it is the body, and what
//! is signed, under either reading. The normal form never changes a value; where it would
//! (a number a double cannot hold, a duplicate key) the call fails with an error naming raw
//! mode. Raw mode (`raw_body`) sends and signs the caller's bytes untouched.
//!
//! The API key is a secret: it is never formatted into an error message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::calls::{self, CallResponse};
use crate::clock::Clock;
use crate::retry::RetryPolicy;
use crate::telemetry::Telemetry;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpClient, Method, Request, Response, Url};
use crate::signature::{sign_payload, verify_hex_mac, PrefixRule};

/// Every CRM Open API wire name (headers, error codes) is named here and nowhere else.
pub mod wire {
    /// Request header carrying the API key.
    pub const HEADER_KEY: &str = "key";
    /// Request header carrying `sha256=<hex>` over the body.
    pub const HEADER_SIGNATURE: &str = "signature";
    /// Webhook header carrying the HMAC of the raw body (webhook secret).
    pub const HEADER_WEBHOOK_SIGNATURE: &str = "X-Crm-Signature";
    /// Content type of request bodies.
    pub const CONTENT_TYPE_JSON: &str = "application/json";
    /// HTTP status of both authentication errors.
    pub const AUTH_ERROR_STATUS: u16 = 403;
    /// 403 error type: the API key does not exist or is invalid.
    pub const ERR_INVALID_API_KEY: &str = "invalid_api_key";
    /// 403 error type: the body signature does not match.
    pub const ERR_INVALID_SIGNATURE: &str = "invalid_signature";
}

/// Check an API key: 1..1024 visible ASCII characters (it travels in the `key` header).
pub fn check_api_key(api_key: &str) -> Result<()> {
    if api_key.is_empty()
        || api_key.len() > 1024
        || !api_key.bytes().all(|b| (0x21..0x7f).contains(&b))
    {
        return Err(Error::invalid_arg(
            "CRM Open API: the API key is empty or contains characters not allowed in a header",
        ));
    }
    Ok(())
}

/// The method of a request: exactly GET, POST, PUT, PATCH or DELETE (any case). Anything
/// else (`FOO`, `POST `) is an error: a typo must never produce an unsigned request.
pub fn parse_method(method: &str) -> Result<Method> {
    Method::parse(method).ok_or_else(|| {
        let shown: String = method
            .chars()
            .filter(|c| !c.is_control())
            .take(16)
            .collect();
        Error::invalid_arg(format!(
            "CRM Open API: unsupported method {shown:?}: use GET, POST, PUT, PATCH or DELETE"
        ))
    })
}

/// Whether requests with this method carry a signed body.
fn method_is_signed(m: Method) -> bool {
    matches!(m, Method::Post | Method::Patch | Method::Put)
}

/// The authentication headers of one request, as `(name, value)` pairs:
/// `key: <api_key>` always, and `signature: sha256=<hex>` when `method` is POST, PATCH or
/// PUT (any case) and `body` is non-empty.
///
/// **`body` must be the exact bytes that will be sent.** Do not re-encode JSON after
/// signing: serialise once, sign, send the same buffer.
///
/// An unknown method or an empty/invalid API key is an error. The returned values contain
/// the API key: do not log them.
pub fn sign_request(api_key: &str, method: &str, body: &[u8]) -> Result<Vec<(String, String)>> {
    check_api_key(api_key)?;
    let m = parse_method(method)?;
    let mut headers = Vec::with_capacity(2);
    headers.push((wire::HEADER_KEY.to_string(), api_key.to_string()));
    if method_is_signed(m) && !body.is_empty() {
        headers.push((
            wire::HEADER_SIGNATURE.to_string(),
            sign_payload(api_key.as_bytes(), body),
        ));
    }
    Ok(headers)
}

/// Check a request `signature` header (`sha256=<hex>`, prefix required, hex in either case)
/// against `body` under `api_key`, in constant time. This is the check the CRM performs;
/// the sandbox uses it.
///
/// An empty or header-unsafe API key is an error, not a "does not match".
pub fn verify_signature(api_key: &str, body: &[u8], signature_header: &str) -> Result<bool> {
    check_api_key(api_key)?;
    Ok(verify_hex_mac(
        api_key.as_bytes(),
        body,
        signature_header,
        PrefixRule::Required,
    ))
}

/// Check a webhook's `X-Crm-Signature` header against the raw request body, keyed with the
/// webhook secret (not the API key). Accepts `sha256=<hex>` and bare `<hex>`, hex in either
/// case; constant time. Pass the body exactly as received, before any JSON parsing.
///
/// An empty secret is an error: anyone can compute an HMAC under an empty key, so a webhook
/// "verified" with one proves nothing.
pub fn verify_webhook(secret: &[u8], raw_body: &[u8], x_crm_signature: &str) -> Result<bool> {
    if secret.is_empty() {
        return Err(Error::invalid_arg("the webhook secret must not be empty"));
    }
    Ok(verify_hex_mac(
        secret,
        raw_body,
        x_crm_signature,
        PrefixRule::Optional,
    ))
}

/// Send one signed request to the CRM Open API: `{base_url}/{path}` with the `key` header,
/// and for POST/PATCH/PUT with a body a `signature` header over `body` (`Content-Type:
/// application/json`).
///
/// GET, POST, PUT, PATCH and DELETE are supported; any other method is
/// [`ErrorKind::InvalidArgument`], as is a GET or DELETE with a body.
///
/// Error mapping (the vendor answers authentication failures with HTTP 403):
/// - 403 whose body names `invalid_api_key` → [`ErrorKind::AuthRejected`];
/// - 403 whose body names `invalid_signature` → [`ErrorKind::SignatureInvalid`];
/// - every other status (including other 403s) is returned as the [`Response`] for the
///   caller to interpret; transport failures are errors as usual.
///
/// **`body` is sent exactly as given and the signature is computed over those bytes.**
pub fn send(
    http: &HttpClient,
    base_url: &Url,
    api_key: &str,
    method: &str,
    path: &str,
    body: &[u8],
    deadline: Instant,
) -> Result<Response> {
    let m = parse_method(method)?;
    let headers = sign_request(api_key, method, body)?;
    let url = base_url.join(path);
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = match m {
        Method::Get | Method::Delete if !body.is_empty() => {
            return Err(Error::invalid_arg(format!(
                "CRM Open API: a {} request has no body",
                m.as_str()
            )))
        }
        Method::Get | Method::Delete => None,
        _ => Some((wire::CONTENT_TYPE_JSON, body)),
    };
    let resp = http.send(
        &Request {
            method: m,
            url: &url,
            headers: &refs,
            body,
            endpoint: "crm_openapi",
            replayable: m.is_idempotent(),
        },
        deadline,
    )?;
    match classify_auth_error(&resp) {
        Some(e) => Err(e),
        None => Ok(resp),
    }
}

/// Map a vendor 403 authentication error to a distinct [`Error`]; `None` otherwise.
pub fn classify_auth_error(resp: &Response) -> Option<Error> {
    auth_error(resp.status, &resp.body)
}

fn auth_error(status: u16, body: &[u8]) -> Option<Error> {
    if status != wire::AUTH_ERROR_STATUS {
        return None;
    }
    let body = String::from_utf8_lossy(body);
    if body.contains(wire::ERR_INVALID_API_KEY) {
        Some(
            Error::new(
                ErrorKind::AuthRejected,
                "CRM Open API rejected the API key (403 invalid_api_key)",
            )
            .with_http_status(status),
        )
    } else if body.contains(wire::ERR_INVALID_SIGNATURE) {
        Some(
            Error::new(
                ErrorKind::SignatureInvalid,
                "CRM Open API rejected the request signature (403 invalid_signature): \
                 the signed bytes must be exactly the bytes sent",
            )
            .with_http_status(status),
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vw(secret: &[u8], body: &[u8], sig: &str) -> bool {
        verify_webhook(secret, body, sig).unwrap()
    }

    fn vs(key: &str, body: &[u8], sig: &str) -> bool {
        verify_signature(key, body, sig).unwrap()
    }
    use crate::signature::{hex_lower, hmac_sha256};

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const PAYLOAD: &[u8] = b"Hello, World!";
    const VECTOR: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn webhook_vendor_vector() {
        assert!(vw(SECRET, PAYLOAD, VECTOR));
        assert!(vw(SECRET, PAYLOAD, &format!("sha256={VECTOR}")));
        assert!(vw(SECRET, PAYLOAD, &VECTOR.to_uppercase()));
        assert!(vw(
            SECRET,
            PAYLOAD,
            &format!("sha256={}", VECTOR.to_uppercase())
        ));
        // tampered signature, payload, secret
        let mut t = VECTOR.to_string();
        t.replace_range(63..64, "8");
        assert!(!vw(SECRET, PAYLOAD, &t));
        assert!(!vw(SECRET, b"Hello, World?", VECTOR));
        assert!(!vw(b"It's a secret to everybody", PAYLOAD, VECTOR));
        // empty / malformed
        assert!(!vw(SECRET, PAYLOAD, ""));
        assert!(!vw(SECRET, PAYLOAD, "sha256="));
        assert!(!vw(SECRET, PAYLOAD, &VECTOR[..63]));
        assert!(!vw(SECRET, PAYLOAD, &format!("{VECTOR}0")));
        assert!(!vw(SECRET, PAYLOAD, &format!("sha1={VECTOR}")));
    }

    #[test]
    fn sign_request_headers() {
        let body = br#"{"a":1}"#;
        for m in ["POST", "post", "Patch", "PUT"] {
            let h = sign_request("k3y", m, body).unwrap();
            assert_eq!(h.len(), 2, "{m}");
            assert_eq!(h[0], ("key".to_string(), "k3y".to_string()));
            assert_eq!(h[1].0, "signature");
            let want = format!("sha256={}", hex_lower(&hmac_sha256(b"k3y", body)));
            assert_eq!(h[1].1, want);
            assert!(vs("k3y", body, &h[1].1));
        }
        // no signature without a body or for GET/DELETE
        assert_eq!(sign_request("k3y", "POST", b"").unwrap().len(), 1);
        assert_eq!(sign_request("k3y", "GET", body).unwrap().len(), 1);
        assert_eq!(sign_request("k3y", "DELETE", body).unwrap().len(), 1);
        // an unknown method or an empty key never yields an unsigned request
        for m in ["FOO", "POST ", " POST", "", "GE T"] {
            assert_eq!(
                sign_request("k3y", m, body).unwrap_err().kind(),
                ErrorKind::InvalidArgument,
                "{m:?}"
            );
        }
        for k in ["", "a b", "k\n"] {
            assert_eq!(
                sign_request(k, "POST", body).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
        assert!(verify_signature("", body, "sha256=00").is_err());
        assert!(
            verify_webhook(b"", body, "00").is_err(),
            "an empty webhook secret proves nothing"
        );
    }

    #[test]
    fn signature_is_over_exact_bytes() {
        let sent = br#"{"b":2, "a":"\u00e9"}"#;
        let reencoded = br#"{"a":"\u00e9","b":2}"#;
        let h = sign_request("key", "POST", sent).unwrap();
        assert!(vs("key", sent, &h[1].1));
        assert!(!vs("key", reencoded, &h[1].1));
    }

    #[test]
    fn verify_signature_requires_prefix() {
        let body = b"{}";
        let hex = hex_lower(&hmac_sha256(b"key", body));
        assert!(!vs("key", body, &hex));
        assert!(vs("key", body, &format!("sha256={hex}")));
        assert!(vs("key", body, &format!("sha256={}", hex.to_uppercase())));
        assert!(!vs("other", body, &format!("sha256={hex}")));
        assert!(!vs("key", b"{ }", &format!("sha256={hex}")));
        assert!(!vs("key", body, ""));
    }

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            content_type: Some("application/json".into()),
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn auth_error_mapping() {
        let e = classify_auth_error(&resp(403, r#"{"error":"invalid_api_key"}"#)).unwrap();
        assert_eq!(e.kind(), ErrorKind::AuthRejected);
        assert_eq!(e.http_status(), Some(403));
        let e = classify_auth_error(&resp(403, r#"{"code":"invalid_signature"}"#)).unwrap();
        assert_eq!(e.kind(), ErrorKind::SignatureInvalid);
        assert!(classify_auth_error(&resp(403, "forbidden")).is_none());
        assert!(classify_auth_error(&resp(200, "invalid_api_key")).is_none());
        assert!(classify_auth_error(&resp(401, "invalid_signature")).is_none());
    }

    #[test]
    fn send_rejects_bad_inputs_without_leaking_key() {
        let http = HttpClient::new(Default::default()).unwrap();
        let base = Url::parse("https://example.invalid").unwrap();
        let dl = Instant::now() + std::time::Duration::from_secs(5);
        let e = send(&http, &base, "", "GET", "/x", b"", dl).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = send(&http, &base, "sec\nret", "GET", "/x", b"", dl).unwrap_err();
        assert!(!e.message().contains("sec"));
        let e = send(&http, &base, "supersecret", "TRACE", "/x", b"", dl).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(!format!("{e:?}").contains("supersecret"));
        let e = send(&http, &base, "k", "GET", "/x", b"{}", dl).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let plain = Url::parse("http://example.com").unwrap();
        let e = send(&http, &plain, "k", "POST", "/x", b"{}", dl).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InsecureUrl);
    }
}

/// Settings of a [`Crm`] handle.
#[derive(Clone)]
pub struct CrmConfig {
    pub base_url: Url,
    pub api_key: Zeroizing<String>,
    /// One call with its retries.
    pub deadline: Duration,
    /// Send and sign bodies exactly as given (default: the JSON normal form).
    pub raw_body: bool,
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for CrmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrmConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("deadline", &self.deadline)
            .field("raw_body", &self.raw_body)
            .finish()
    }
}

/// A CRM Open API client for one API key: signed calls over one keep-alive pool.
pub struct Crm {
    cfg: CrmConfig,
    http: HttpClient,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm").field("cfg", &self.cfg).finish()
    }
}

/// Per-call choices of [`Crm::call`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CrmCallOptions {
    /// Override the method's idempotency for retries (POST and PATCH are not retried).
    pub idempotent: Option<bool>,
    /// Override the handle's `raw_body`.
    pub raw_body: Option<bool>,
}

const TARGET: &str = "crm";

impl Crm {
    pub fn new(cfg: CrmConfig, http: HttpClient) -> Result<Crm> {
        check_api_key(&cfg.api_key)?;
        crate::http::check_scheme(&cfg.base_url, http.config().allow_insecure_http)?;
        http.telemetry().redactor.add(&cfg.api_key);
        Ok(Crm {
            clock: http.clock().clone(),
            cfg,
            http,
        })
    }

    /// The handle's log sink and statistics.
    pub fn telemetry(&self) -> &Arc<Telemetry> {
        self.http.telemetry()
    }

    /// `method` on `path` (relative to base_url, with an optional query) with `body`:
    /// `key` always, `signature` over the bytes sent for POST, PUT and PATCH with a body.
    /// A GET or DELETE takes no body. Every final answer is returned whatever its status
    /// (see [`crate::calls`]), except 403 `invalid_api_key` ([`ErrorKind::AuthRejected`])
    /// and 403 `invalid_signature` ([`ErrorKind::SignatureInvalid`]).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        opts: CrmCallOptions,
    ) -> Result<CallResponse> {
        let r = (|| {
            let m = parse_method(method)?;
            let url = calls::join_path(&self.cfg.base_url, path)?;
            if matches!(m, Method::Get | Method::Delete) && !body.is_empty() {
                return Err(Error::invalid_arg(format!(
                    "CRM Open API: a {} request has no body",
                    m.as_str()
                )));
            }
            let raw = opts.raw_body.unwrap_or(self.cfg.raw_body);
            let sent: Zeroizing<Vec<u8>> = Zeroizing::new(if body.is_empty() || raw {
                body.to_vec()
            } else {
                crate::json_normal::normalize(body)?
            });
            let headers = sign_request(&self.cfg.api_key, m.as_str(), &sent)?;
            let refs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let idempotent = opts
                .idempotent
                .unwrap_or_else(|| calls::idempotent_by_default(m));
            let deadline = self.clock.now() + self.cfg.deadline;
            let body = (!sent.is_empty()).then_some((wire::CONTENT_TYPE_JSON, sent.as_slice()));
            let resp = calls::send_with_retries(
                &self.cfg.retry,
                &*self.clock,
                self.telemetry(),
                TARGET,
                deadline,
                idempotent,
                || {
                    self.http.send(
                        &Request {
                            method: m,
                            url: &url,
                            headers: &refs,
                            body,
                            endpoint: "call",
                            replayable: idempotent,
                        },
                        deadline,
                    )
                },
            )?;
            match auth_error(resp.status, &resp.body) {
                Some(e) => Err(e),
                None => Ok(resp),
            }
        })();
        r.inspect_err(|e| self.telemetry().call_failed(TARGET, "call", e))
    }
}
