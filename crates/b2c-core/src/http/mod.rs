//! The transport of every vendor handle: a small, strict HTTP/1.1 client on `std::net` and
//! rustls, built for many small JSON calls to one or two hosts.
//!
//! - **No thread per request.** Names are resolved only when a connection is opened, and
//!   cached (`dns_cache_s`); see [`dns`].
//! - **Connections that last.** A pool per client keeps up to `max_idle_connections` idle
//!   connections per host for `idle_timeout_s`; a pooled connection is checked with one
//!   non-blocking peek before reuse. TLS sessions are resumed on reconnect ([`tls`]).
//! - **One write per request**: head and body leave in a single buffer.
//! - **Every call has a deadline**: each socket operation is bounded by the read timeout and
//!   by the time left; the caller's deadline is never passed.
//! - Proxies (`proxy`, curl's environment variables) in [`proxy`].
//! - https is required except for loopback (unless `allow_insecure_http`), redirects are
//!   never followed, response bodies are capped (`max_response_bytes`).
//! - Any HTTP status comes back as a [`Response`]; only transport failures are errors.

mod conn;
pub mod dns;
pub mod proxy;
pub mod tls;
pub mod url;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Deserialize;

pub use self::proxy::{Proxy, ProxySetting};
pub use self::tls::ExtraRoots;
pub use self::url::{check_scheme, check_url, is_loopback_host, Scheme, Url};
use crate::clock::{self, Clock};
use crate::error::{Cause, Error, ErrorKind, Result};
use crate::telemetry::{events, Level, Telemetry};

/// Transport settings shared by every vendor handle.
#[derive(Clone)]
pub struct HttpConfig {
    /// TCP connection setup (per address tried), and the TLS handshake.
    pub connect_timeout: Duration,
    /// Longest wait for any data (response head, each part of the body).
    pub read_timeout: Duration,
    /// One HTTP exchange, connection included (further bounded by the caller's deadline).
    pub request_timeout: Duration,
    /// Larger response bodies fail with [`ErrorKind::ResponseTooLarge`].
    pub max_response_bytes: u64,
    /// Trust anchors added to the bundled Mozilla roots.
    pub extra_ca: Option<ExtraRoots>,
    /// Allow plain http to non-loopback hosts. Off by default; never turn this on in production.
    pub allow_insecure_http: bool,
    pub user_agent: String,
    /// Idle connections kept per host.
    pub max_idle_connections: usize,
    /// An idle connection older than this is closed instead of reused.
    pub idle_timeout: Duration,
    /// How long a resolved name is reused (zero: resolve for every new connection).
    pub dns_cache: Duration,
    pub proxy: ProxySetting,
    /// Hosts that bypass the proxy (`None`: the `no_proxy`/`NO_PROXY` environment).
    pub no_proxy: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 1024 * 1024,
            extra_ca: None,
            allow_insecure_http: false,
            user_agent: format!("b2c/{}", env!("CARGO_PKG_VERSION")),
            max_idle_connections: 16,
            idle_timeout: Duration::from_secs(90),
            dns_cache: Duration::from_secs(60),
            proxy: ProxySetting::FromEnv,
            no_proxy: None,
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
            .field("extra_ca", &self.extra_ca)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("idle_timeout", &self.idle_timeout)
            .field("dns_cache", &self.dns_cache)
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// An HTTP response with its body read (and capped).
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    /// `Retry-After`, in seconds or as an HTTP date.
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parse the body as JSON into `T`, or a [`ErrorKind::Protocol`] error naming `what`. The
    /// message never quotes the body (it may hold a token).
    pub fn json<T: for<'de> Deserialize<'de>>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let why = if e.is_data() {
                // "missing field `x`" / "invalid type ..." name fields, not values.
                let m = e.to_string();
                m.split(" at line")
                    .next()
                    .unwrap_or("unexpected shape")
                    .to_string()
            } else {
                format!("not JSON (line {}, column {})", e.line(), e.column())
            };
            Error::protocol(format!(
                "{what}: malformed response (HTTP {}): {why}",
                self.status
            ))
            .with_http_status(self.status)
            .with_cause(Cause::Malformed)
        })
    }

    /// The body summarised for an error message (gRPC-gateway shape when present).
    pub fn error_summary(&self) -> String {
        ErrorBody::parse(&self.body).to_string()
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
    /// Parse a method name: exactly `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (any case, no
    /// surrounding space).
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

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// GET, PUT and DELETE are idempotent by definition (RFC 9110).
    pub fn is_idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }
}

/// A request header: name and value. Values may be secrets: they are never logged.
pub type Header<'a> = (&'a str, &'a str);

/// One request.
pub struct Request<'a> {
    pub method: Method,
    pub url: &'a Url,
    pub headers: &'a [Header<'a>],
    /// `(content type, bytes)`, sent exactly as given.
    pub body: Option<(&'a str, &'a [u8])>,
    /// A stable name for statistics and logs (`processext`, `token`, ...).
    pub endpoint: &'static str,
    /// Whether the request may be sent again when a reused connection turns out dead before
    /// any answer (false for single-use credentials such as a B2BINPAY refresh token).
    pub replayable: bool,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    scheme: Scheme,
    host: String,
    port: u16,
    proxy: Option<String>,
}

struct Idle {
    conn: conn::Conn,
    since: Instant,
}

struct Inner {
    config: HttpConfig,
    proxies: proxy::ProxyRules,
    resolver: dns::Resolver,
    pool: Mutex<HashMap<PoolKey, Vec<Idle>>>,
    tls: OnceLock<Arc<rustls::ClientConfig>>,
    telemetry: Arc<Telemetry>,
    clock: Arc<dyn Clock>,
}

/// The HTTP client of one vendor handle. Cheap to clone and share between threads.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.inner.config)
            .finish()
    }
}

/// Check a header value for what HTTP/1.1 forbids (CR, LF, NUL and other controls but TAB).
pub fn valid_header_value(v: &str) -> bool {
    v.bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80)
}

impl HttpClient {
    /// A client with its own statistics and the system clock.
    pub fn new(config: HttpConfig) -> Result<Self> {
        Self::with(config, Telemetry::new(), clock::system())
    }

    /// A client reporting to `telemetry` and timing with `clock`.
    pub fn with(
        config: HttpConfig,
        telemetry: Arc<Telemetry>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        if !valid_header_value(&config.user_agent) || config.user_agent.len() > 1024 {
            return Err(Error::new(
                ErrorKind::Config,
                "config key `user_agent` has characters an HTTP header cannot carry",
            ));
        }
        let proxies = proxy::ProxyRules::new(&config.proxy, config.no_proxy.as_deref())?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                resolver: dns::Resolver::new(config.dns_cache),
                proxies,
                config,
                pool: Mutex::new(HashMap::new()),
                tls: OnceLock::new(),
                telemetry,
                clock,
            }),
        })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    pub fn telemetry(&self) -> &Arc<Telemetry> {
        &self.inner.telemetry
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Parse `url` and apply the https-except-loopback rule.
    pub fn check_url(&self, url: &str) -> Result<Url> {
        check_url(url, self.inner.config.allow_insecure_http)
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>> {
        if let Some(c) = self.inner.tls.get() {
            return Ok(c.clone());
        }
        let c = tls::client_config(self.inner.config.extra_ca.as_ref())?;
        Ok(self.inner.tls.get_or_init(|| c).clone())
    }

    /// Idle connections currently pooled (all hosts).
    pub fn idle_connections(&self) -> usize {
        self.inner.pool.lock().values().map(Vec::len).sum()
    }

    fn take(&self, key: &PoolKey, now: Instant) -> Option<conn::Conn> {
        let mut pool = self.inner.pool.lock();
        let idle = pool.get_mut(key)?;
        while let Some(i) = idle.pop() {
            if now.saturating_duration_since(i.since) < self.inner.config.idle_timeout
                && i.conn.alive()
            {
                return Some(i.conn);
            }
        }
        None
    }

    fn put(&self, key: PoolKey, c: conn::Conn, now: Instant) {
        let max = self.inner.config.max_idle_connections;
        if max == 0 || !c.reusable() {
            return;
        }
        let mut pool = self.inner.pool.lock();
        let idle = pool.entry(key).or_default();
        idle.push(Idle {
            conn: c,
            since: now,
        });
        if idle.len() > max {
            idle.remove(0); // the longest idle goes
        }
    }

    /// Send `req`, never past `deadline` (and at most `request_timeout` from now).
    pub fn send(&self, req: &Request<'_>, deadline: Instant) -> Result<Response> {
        let inner = &*self.inner;
        let clock = &*inner.clock;
        let tel = &*inner.telemetry;
        check_scheme(req.url, inner.config.allow_insecure_http)?;
        for (k, v) in req.headers {
            if k.is_empty() || !k.bytes().all(conn::is_tchar) || !valid_header_value(v) {
                return Err(Error::invalid_arg(format!(
                    "the {k:?} header has characters HTTP does not allow"
                )));
            }
        }
        if let Some((ct, _)) = req.body {
            if !valid_header_value(ct) {
                return Err(Error::invalid_arg("invalid Content-Type"));
            }
        }
        let start = clock.now();
        let deadline = deadline.min(start + inner.config.request_timeout);
        let proxy = inner.proxies.for_url(req.url);
        let key = PoolKey {
            scheme: req.url.scheme,
            host: req.url.host.clone(),
            port: req.url.port,
            proxy: proxy.map(Proxy::pool_id),
        };
        let mut replays = 0;
        loop {
            let (mut c, reused) = match self.take(&key, clock.now()) {
                Some(c) => (c, true),
                None => {
                    let tls = || self.tls_config();
                    (
                        conn::open(
                            req.url,
                            proxy,
                            &inner.config,
                            &inner.resolver,
                            &tls,
                            deadline,
                            clock,
                            tel,
                        )?,
                        false,
                    )
                }
            };
            let bytes = self.encode(req, &c);
            let result = c
                .write_all(&bytes, deadline, clock)
                .map_err(|error| conn::Failed {
                    error,
                    nothing_received: true,
                })
                .and_then(|_| {
                    c.read_response(false, inner.config.max_response_bytes, deadline, clock)
                });
            match result {
                Ok(resp) => {
                    let took = clock.now().saturating_duration_since(start);
                    tel.stats.request(req.endpoint, took);
                    crate::log!(
                        tel,
                        Level::Debug,
                        "http",
                        events::REQUEST,
                        "{} {}{} -> {} ({} us{})",
                        req.method.as_str(),
                        req.url.authority(),
                        req.url.path.split('?').next().unwrap_or(""),
                        resp.status,
                        took.as_micros(),
                        if reused { ", reused connection" } else { "" }
                    );
                    self.put(key, c, clock.now());
                    return Ok(resp);
                }
                Err(conn::Failed {
                    error,
                    nothing_received,
                }) => {
                    // A pooled connection the server had already closed: nothing was
                    // processed, so a fresh connection may carry the request again.
                    if reused
                        && nothing_received
                        && req.replayable
                        && replays < 1
                        && error.cause() == Cause::Reset
                    {
                        replays += 1;
                        continue;
                    }
                    crate::log!(
                        tel,
                        Level::Debug,
                        "http",
                        events::REQUEST_FAILED,
                        "{} {}{} failed: {}",
                        req.method.as_str(),
                        req.url.authority(),
                        req.url.path.split('?').next().unwrap_or(""),
                        error.message()
                    );
                    return Err(error);
                }
            }
        }
    }

    /// The request head and body in one buffer.
    fn encode(&self, req: &Request<'_>, c: &conn::Conn) -> zeroize::Zeroizing<Vec<u8>> {
        use std::io::Write as _;
        let body_len = req.body.map_or(0, |(_, b)| b.len());
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(256 + body_len));
        let target = if c.absolute_form {
            format!("{}", req.url)
        } else {
            req.url.path.clone()
        };
        let _ = write!(
            out,
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: application/json\r\n",
            req.method.as_str(),
            target,
            req.url.authority(),
            self.inner.config.user_agent
        );
        if let Some(auth) = &c.proxy_auth {
            let _ = write!(out, "Proxy-Authorization: {}\r\n", auth.as_str());
        }
        for (k, v) in req.headers {
            let _ = write!(out, "{k}: {v}\r\n");
        }
        match req.body {
            Some((ct, body)) => {
                let _ = write!(
                    out,
                    "Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                out.extend_from_slice(body);
            }
            None if matches!(req.method, Method::Post | Method::Put | Method::Patch) => {
                out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
            }
            None => out.extend_from_slice(b"\r\n"),
        }
        out
    }

    /// GET `url` (a convenience over [`HttpClient::send`]).
    pub fn get(
        &self,
        url: &Url,
        headers: &[Header<'_>],
        endpoint: &'static str,
        deadline: Instant,
    ) -> Result<Response> {
        self.send(
            &Request {
                method: Method::Get,
                url,
                headers,
                body: None,
                endpoint,
                replayable: true,
            },
            deadline,
        )
    }

    /// POST `body` with `content_type` to `url` (a convenience over [`HttpClient::send`]).
    #[allow(clippy::too_many_arguments)]
    pub fn post(
        &self,
        url: &Url,
        headers: &[Header<'_>],
        content_type: &str,
        body: &[u8],
        endpoint: &'static str,
        replayable: bool,
        deadline: Instant,
    ) -> Result<Response> {
        self.send(
            &Request {
                method: Method::Post,
                url,
                headers,
                body: Some((content_type, body)),
                endpoint,
                replayable,
            },
            deadline,
        )
    }
}

/// What a response head says: status, body framing, and the headers the clients read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    pub content_length: Option<u64>,
    pub chunked: bool,
    pub close: bool,
    pub content_type: Option<String>,
    pub retry_after: Option<Duration>,
}

/// Parse a response head (up to and including the blank line) as the transport does. Public
/// for the fuzz targets and tests; the transport itself reads responses from the socket.
pub fn parse_response_head(raw: &[u8]) -> Result<ResponseHead> {
    let h = conn::parse_head(raw)?;
    Ok(ResponseHead {
        status: h.status,
        content_length: h.content_length,
        chunked: h.chunked,
        close: h.close,
        content_type: h.content_type,
        retry_after: h.retry_after,
    })
}

/// `Retry-After` as seconds or as an HTTP date (IMF-fixdate), capped at one hour.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s.min(3600)));
    }
    let at = crate::timeutil::parse_http_date(v)?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(3600)),
    )
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
                .map(|s| truncate_lossy(s.as_bytes(), 512));
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
    crate::telemetry::scrub_shapes(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let leak = ErrorBody::parse(b"{\"message\":\"bad token Bearer abc.def.ghi\"}");
        assert!(!leak.to_string().contains("abc.def.ghi"), "{leak}");
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("999999"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn methods() {
        assert_eq!(Method::parse("post"), Some(Method::Post));
        assert_eq!(Method::parse("POST "), None);
        assert_eq!(Method::parse("FOO"), None);
        assert!(Method::Get.is_idempotent() && !Method::Post.is_idempotent());
    }
}
