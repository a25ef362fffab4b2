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
//! The API key is a secret: it is never formatted into an error message.

use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{join_url, HttpClient, Method, Response};
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

/// Whether requests with this method carry a signed body.
fn method_is_signed(method: &str) -> bool {
    ["POST", "PATCH", "PUT"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// The authentication headers of one request, as `(name, value)` pairs:
/// `key: <api_key>` always, and `signature: sha256=<hex>` when `method` is POST, PATCH or
/// PUT (any case) and `body` is non-empty.
///
/// **`body` must be the exact bytes that will be sent.** Do not re-encode JSON after
/// signing: serialise once, sign, send the same buffer.
///
/// The returned values contain the API key: do not log them.
pub fn sign_request(api_key: &str, method: &str, body: &[u8]) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(2);
    headers.push((wire::HEADER_KEY.to_string(), api_key.to_string()));
    if method_is_signed(method) && !body.is_empty() {
        headers.push((
            wire::HEADER_SIGNATURE.to_string(),
            sign_payload(api_key.as_bytes(), body),
        ));
    }
    headers
}

/// Check a request `signature` header (`sha256=<hex>`, prefix required, hex in either case)
/// against `body` under `api_key`, in constant time. This is the check the CRM performs;
/// the sandbox uses it.
pub fn verify_signature(api_key: &str, body: &[u8], signature_header: &str) -> bool {
    verify_hex_mac(
        api_key.as_bytes(),
        body,
        signature_header,
        PrefixRule::Required,
    )
}

/// Check a webhook's `X-Crm-Signature` header against the raw request body, keyed with the
/// webhook secret (not the API key). Accepts `sha256=<hex>` and bare `<hex>`, hex in either
/// case; constant time. Pass the body exactly as received, before any JSON parsing.
pub fn verify_webhook(secret: &[u8], raw_body: &[u8], x_crm_signature: &str) -> bool {
    verify_hex_mac(secret, raw_body, x_crm_signature, PrefixRule::Optional)
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
    base_url: &str,
    api_key: &str,
    method: &str,
    path: &str,
    body: &[u8],
    deadline: Option<Instant>,
) -> Result<Response> {
    if api_key.is_empty() || !api_key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(Error::invalid_arg(
            "CRM Open API: the API key is empty or contains characters not allowed in a header",
        ));
    }
    let url = join_url(base_url, path);
    let headers = sign_request(api_key, method, body);
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let m = Method::parse(method).ok_or_else(|| {
        Error::invalid_arg(format!("CRM Open API: unsupported method {method:?}"))
    })?;
    let body = match m {
        Method::Get | Method::Delete if !body.is_empty() => {
            return Err(Error::invalid_arg(format!(
                "CRM Open API: a {method} request has no body"
            )))
        }
        Method::Get | Method::Delete => None,
        _ => Some((wire::CONTENT_TYPE_JSON, body)),
    };
    let resp = http.send(m, &url, &refs, body, deadline)?;
    match classify_auth_error(&resp) {
        Some(e) => Err(e),
        None => Ok(resp),
    }
}

/// Map a vendor 403 authentication error to a distinct [`Error`]; `None` otherwise.
pub fn classify_auth_error(resp: &Response) -> Option<Error> {
    if resp.status != wire::AUTH_ERROR_STATUS {
        return None;
    }
    let body = String::from_utf8_lossy(&resp.body);
    if body.contains(wire::ERR_INVALID_API_KEY) {
        Some(
            Error::new(
                ErrorKind::AuthRejected,
                "CRM Open API rejected the API key (403 invalid_api_key)",
            )
            .with_http_status(resp.status),
        )
    } else if body.contains(wire::ERR_INVALID_SIGNATURE) {
        Some(
            Error::new(
                ErrorKind::SignatureInvalid,
                "CRM Open API rejected the request signature (403 invalid_signature): \
                 the signed bytes must be exactly the bytes sent",
            )
            .with_http_status(resp.status),
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{hex_lower, hmac_sha256};

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const PAYLOAD: &[u8] = b"Hello, World!";
    const VECTOR: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn webhook_vendor_vector() {
        assert!(verify_webhook(SECRET, PAYLOAD, VECTOR));
        assert!(verify_webhook(SECRET, PAYLOAD, &format!("sha256={VECTOR}")));
        assert!(verify_webhook(SECRET, PAYLOAD, &VECTOR.to_uppercase()));
        assert!(verify_webhook(
            SECRET,
            PAYLOAD,
            &format!("sha256={}", VECTOR.to_uppercase())
        ));
        // tampered signature, payload, secret
        let mut t = VECTOR.to_string();
        t.replace_range(63..64, "8");
        assert!(!verify_webhook(SECRET, PAYLOAD, &t));
        assert!(!verify_webhook(SECRET, b"Hello, World?", VECTOR));
        assert!(!verify_webhook(
            b"It's a secret to everybody",
            PAYLOAD,
            VECTOR
        ));
        // empty / malformed
        assert!(!verify_webhook(SECRET, PAYLOAD, ""));
        assert!(!verify_webhook(SECRET, PAYLOAD, "sha256="));
        assert!(!verify_webhook(SECRET, PAYLOAD, &VECTOR[..63]));
        assert!(!verify_webhook(SECRET, PAYLOAD, &format!("{VECTOR}0")));
        assert!(!verify_webhook(SECRET, PAYLOAD, &format!("sha1={VECTOR}")));
    }

    #[test]
    fn sign_request_headers() {
        let body = br#"{"a":1}"#;
        for m in ["POST", "post", "Patch", "PUT"] {
            let h = sign_request("k3y", m, body);
            assert_eq!(h.len(), 2, "{m}");
            assert_eq!(h[0], ("key".to_string(), "k3y".to_string()));
            assert_eq!(h[1].0, "signature");
            let want = format!("sha256={}", hex_lower(&hmac_sha256(b"k3y", body)));
            assert_eq!(h[1].1, want);
            assert!(verify_signature("k3y", body, &h[1].1));
        }
        // no signature without a body or for GET/DELETE
        assert_eq!(sign_request("k3y", "POST", b"").len(), 1);
        assert_eq!(sign_request("k3y", "GET", body).len(), 1);
        assert_eq!(sign_request("k3y", "DELETE", body).len(), 1);
    }

    #[test]
    fn signature_is_over_exact_bytes() {
        let sent = br#"{"b":2, "a":"\u00e9"}"#;
        let reencoded = br#"{"a":"\u00e9","b":2}"#;
        let h = sign_request("key", "POST", sent);
        assert!(verify_signature("key", sent, &h[1].1));
        assert!(!verify_signature("key", reencoded, &h[1].1));
    }

    #[test]
    fn verify_signature_requires_prefix() {
        let body = b"{}";
        let hex = hex_lower(&hmac_sha256(b"key", body));
        assert!(!verify_signature("key", body, &hex));
        assert!(verify_signature("key", body, &format!("sha256={hex}")));
        assert!(verify_signature(
            "key",
            body,
            &format!("sha256={}", hex.to_uppercase())
        ));
        assert!(!verify_signature("other", body, &format!("sha256={hex}")));
        assert!(!verify_signature("key", b"{ }", &format!("sha256={hex}")));
        assert!(!verify_signature("key", body, ""));
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
        let e = send(&http, "https://example.invalid", "", "GET", "/x", b"", None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = send(
            &http,
            "https://example.invalid",
            "sec\nret",
            "GET",
            "/x",
            b"",
            None,
        )
        .unwrap_err();
        assert!(!e.message().contains("sec"));
        let e = send(
            &http,
            "https://example.invalid",
            "supersecret",
            "TRACE",
            "/x",
            b"",
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(!format!("{e:?}").contains("supersecret"));
        let e = send(
            &http,
            "https://example.invalid",
            "k",
            "GET",
            "/x",
            b"{}",
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = send(&http, "http://example.com", "k", "POST", "/x", b"{}", None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InsecureUrl);
    }
}
