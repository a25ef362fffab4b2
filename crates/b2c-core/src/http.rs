//! The HTTP layer: one keep-alive `ureq` agent per client, timeouts, a response size cap, the
//! https-except-loopback rule, extra CA certificates, and defensive error-body parsing.
//!
//! Redirects are never followed (a redirect could downgrade to http or leave the host).
//! Any HTTP status comes back as a [`Response`]; only transport failures are errors.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use ureq::http::Uri;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::error::{Error, ErrorKind, Result};

/// Transport settings shared by every vendor client.
#[derive(Clone)]
pub struct HttpConfig {
    /// TCP + TLS connection setup.
    pub connect_timeout: Duration,
    /// Waiting for the response head, and for the body.
    pub read_timeout: Duration,
    /// The whole exchange (connect, send, receive).
    pub request_timeout: Duration,
    /// Larger response bodies fail with [`ErrorKind::ResponseTooLarge`].
    pub max_response_bytes: u64,
    /// PEM certificates trusted in addition to the bundled Mozilla roots.
    pub extra_ca_pem: Option<String>,
    /// Allow plain http to non-loopback hosts. Off by default; never turn this on in production.
    pub allow_insecure_http: bool,
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 1024 * 1024,
            extra_ca_pem: None,
            allow_insecure_http: false,
            user_agent: format!("b2c/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(|_| "<pem>"))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// An HTTP response with its body read (and capped).
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    /// Parsed `Retry-After` (seconds form or HTTP date is not supported; seconds only).
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parse the body as JSON into `T`, or a [`ErrorKind::Protocol`] error naming `what`.
    pub fn json<T: for<'de> Deserialize<'de>>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::protocol(format!(
                "{what}: malformed JSON response (HTTP {}): {e}",
                self.status
            ))
            .with_http_status(self.status)
        })
    }

    /// The body summarised for an error message (gRPC-gateway shape when present).
    pub fn error_summary(&self) -> String {
        ErrorBody::parse(&self.body).to_string()
    }
}

/// The HTTP client of one vendor handle. Cheap to share between threads (`ureq::Agent` pools
/// keep-alive connections internally).
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    config: Arc<HttpConfig>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.config)
            .finish()
    }
}

/// The HTTP methods the vendor APIs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// Parse a method name, case-insensitively.
    pub fn parse(name: &str) -> Option<Method> {
        Some(match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

/// A request header: name and value. Values may be secrets: they are never logged.
pub type Header<'a> = (&'a str, &'a str);

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self> {
        let mut tls = TlsConfig::builder();
        if let Some(pem) = &config.extra_ca_pem {
            let mut certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|c| Certificate::from_der(c.as_ref()).to_owned())
                .collect();
            let mut extra = 0;
            for item in ureq::tls::parse_pem(pem.as_bytes()) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => {
                        certs.push(c);
                        extra += 1;
                    }
                    Ok(_) => {}
                    Err(_) => {
                        return Err(Error::new(
                            ErrorKind::Config,
                            "extra_ca_pem: malformed PEM certificate",
                        ))
                    }
                }
            }
            if extra == 0 {
                return Err(Error::new(
                    ErrorKind::Config,
                    "extra_ca_pem: no CERTIFICATE block found",
                ));
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .https_only(false) // enforced per URL by check_url, which allows loopback http
            .user_agent(config.user_agent.as_str())
            .timeout_connect(Some(config.connect_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .timeout_recv_body(Some(config.read_timeout))
            .timeout_global(Some(config.request_timeout))
            .tls_config(tls.build())
            .build()
            .into();
        Ok(HttpClient {
            agent,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Enforce https except for loopback hosts (unless `allow_insecure_http`).
    pub fn check_url(&self, url: &str) -> Result<()> {
        check_url(url, self.config.allow_insecure_http).map(|_| ())
    }

    /// POST `body` with `content_type`. `deadline` bounds the whole exchange further.
    pub fn post(
        &self,
        url: &str,
        headers: &[Header<'_>],
        content_type: &str,
        body: &[u8],
        deadline: Option<Instant>,
    ) -> Result<Response> {
        self.send(
            Method::Post,
            url,
            headers,
            Some((content_type, body)),
            deadline,
        )
    }

    /// GET `url`.
    pub fn get(
        &self,
        url: &str,
        headers: &[Header<'_>],
        deadline: Option<Instant>,
    ) -> Result<Response> {
        self.send(Method::Get, url, headers, None, deadline)
    }

    /// Any method; `body` is `(content type, bytes)`, sent exactly as given. GET and DELETE
    /// take no body.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[Header<'_>],
        body: Option<(&str, &[u8])>,
        deadline: Option<Instant>,
    ) -> Result<Response> {
        self.check_url(url)?;
        let timeout = self.remaining(deadline)?;
        macro_rules! finish_with_body {
            ($req:expr) => {{
                let (content_type, bytes) = body.unwrap_or(("application/json", &[]));
                let mut req = $req
                    .header("Content-Type", content_type)
                    .header("Accept", "application/json");
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.config()
                    .timeout_global(Some(timeout))
                    .build()
                    .send(bytes)
            }};
        }
        macro_rules! finish_without_body {
            ($req:expr) => {{
                if body.is_some_and(|(_, b)| !b.is_empty()) {
                    return Err(Error::invalid_arg(format!(
                        "{method:?} requests carry no body"
                    )));
                }
                let mut req = $req.header("Accept", "application/json");
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.config().timeout_global(Some(timeout)).build().call()
            }};
        }
        let result = match method {
            Method::Post => finish_with_body!(self.agent.post(url)),
            Method::Put => finish_with_body!(self.agent.put(url)),
            Method::Patch => finish_with_body!(self.agent.patch(url)),
            Method::Get => finish_without_body!(self.agent.get(url)),
            Method::Delete => finish_without_body!(self.agent.delete(url)),
        };
        self.finish(result)
    }

    fn remaining(&self, deadline: Option<Instant>) -> Result<Duration> {
        let mut t = self.config.request_timeout;
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::new(ErrorKind::Timeout, "deadline exceeded"));
            }
            t = t.min(left);
        }
        Ok(t)
    }

    fn finish(
        &self,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Response> {
        let mut resp = result.map_err(map_transport)?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type");
        let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v));
        let limit = self.config.max_response_bytes;
        let body = resp
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Error::new(
                    ErrorKind::ResponseTooLarge,
                    format!("response body exceeds the {limit}-byte limit (HTTP {status})"),
                )
                .with_http_status(status),
                other => map_transport(other).with_http_status(status),
            })?;
        Ok(Response {
            status,
            content_type,
            retry_after,
            body,
        })
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare for APIs and treated as absent).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim()
        .parse::<u64>()
        .ok()
        .map(|s| Duration::from_secs(s.min(3600)))
}

fn map_transport(e: ureq::Error) -> Error {
    use ureq::Error as U;
    match e {
        U::Timeout(t) => Error::new(ErrorKind::Timeout, format!("timed out ({t:?})")),
        U::HostNotFound => Error::new(ErrorKind::Network, "host not found"),
        U::ConnectionFailed => Error::new(ErrorKind::Network, "connection failed"),
        // Certificate and handshake failures arrive as I/O errors wrapping a rustls error:
        // they are TLS errors (never retried as network errors).
        U::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => {
            Error::new(ErrorKind::Tls, format!("TLS error: {io}"))
        }
        U::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                Error::new(ErrorKind::Timeout, format!("timed out: {io}"))
            }
            _ => Error::new(ErrorKind::Network, format!("network error: {io}")),
        },
        U::Tls(m) => Error::new(ErrorKind::Tls, format!("TLS error: {m}")),
        U::Rustls(r) => Error::new(ErrorKind::Tls, format!("TLS error: {r}")),
        U::BadUri(u) => Error::new(ErrorKind::InvalidArgument, format!("bad URL: {u}")),
        U::Protocol(p) => Error::new(ErrorKind::Network, format!("HTTP protocol error: {p}")),
        other => Error::new(ErrorKind::Network, format!("HTTP error: {other}")),
    }
}

/// Whether `host` (as it appears in a URL authority) is a loopback address.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match h.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// The https-except-loopback rule. Returns the parsed URI.
pub fn check_url(url: &str, allow_insecure_http: bool) -> Result<Uri> {
    let uri: Uri = url
        .parse()
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("invalid URL: {url}")))?;
    let host = uri.host().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("URL has no host: {url}"),
        )
    })?;
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if allow_insecure_http || is_loopback_host(host) => Ok(uri),
        Some("http") => Err(Error::new(
            ErrorKind::InsecureUrl,
            format!("refusing plain http to non-loopback host {host}: use https"),
        )),
        _ => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("URL must start with https:// : {url}"),
        )),
    }
}

/// Join a base URL and a path with exactly one slash between them.
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// An error body as much as we understand of it: the gRPC-gateway shape
/// `{"code": int, "message": "...", "details": [...]}` when present, raw text otherwise.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorBody {
    pub code: Option<i64>,
    pub message: Option<String>,
    pub details: Option<serde_json::Value>,
    /// The raw body, truncated to 512 bytes, lossily decoded.
    pub raw: String,
}

impl ErrorBody {
    pub fn parse(body: &[u8]) -> ErrorBody {
        let raw = truncate_lossy(body, 512);
        let mut out = ErrorBody {
            raw,
            ..ErrorBody::default()
        };
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) {
            out.code = map.get("code").and_then(|v| v.as_i64());
            out.message = map
                .get("message")
                .or_else(|| map.get("error"))
                .and_then(|v| v.as_str())
                .map(str::to_string);
            out.details = map.get("details").filter(|d| !d.is_null()).cloned();
        }
        out
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.message) {
            (None, None) if self.raw.is_empty() => f.write_str("(empty body)"),
            (None, None) => write!(f, "{}", self.raw),
            (code, msg) => {
                if let Some(c) = code {
                    write!(f, "code {c}")?;
                    if msg.is_some() {
                        f.write_str(": ")?;
                    }
                }
                if let Some(m) = msg {
                    f.write_str(m)?;
                }
                if let Some(d) = &self.details {
                    let d = d.to_string();
                    write!(f, " (details: {})", truncate_lossy(d.as_bytes(), 512))?;
                }
                Ok(())
            }
        }
    }
}

fn truncate_lossy(body: &[u8], max: usize) -> String {
    let cut = &body[..body.len().min(max)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    s.retain(|c| !c.is_control() || c == ' ');
    if body.len() > max {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rule() {
        assert!(check_url("https://example.com/x", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080/", false).is_ok());
        assert!(check_url("http://localhost:1/", false).is_ok());
        assert!(check_url("http://[::1]:1/", false).is_ok());
        assert_eq!(
            check_url("http://example.com/", false).unwrap_err().kind(),
            ErrorKind::InsecureUrl
        );
        assert!(check_url("http://example.com/", true).is_ok());
        assert_eq!(
            check_url("ftp://example.com/", true).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            check_url("http://127.0.0.1.evil.com/", false)
                .unwrap_err()
                .kind(),
            ErrorKind::InsecureUrl
        );
    }

    #[test]
    fn error_body_shapes() {
        let g = ErrorBody::parse(br#"{"code":16,"message":"token expired","details":[{"a":1}]}"#);
        assert_eq!(g.code, Some(16));
        assert_eq!(
            g.to_string(),
            r#"code 16: token expired (details: [{"a":1}])"#
        );
        let raw = ErrorBody::parse(b"<html>bad gateway</html>");
        assert_eq!(raw.code, None);
        assert_eq!(raw.to_string(), "<html>bad gateway</html>");
        assert_eq!(ErrorBody::parse(b"").to_string(), "(empty body)");
        assert_eq!(ErrorBody::parse(b"[1,2]").to_string(), "[1,2]");
    }
}
