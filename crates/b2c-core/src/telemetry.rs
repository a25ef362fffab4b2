//! Logs and numbers of one handle.
//!
//! Every vendor handle owns one [`Telemetry`]: its log sink (a callback the host installs, or
//! stderr for the few events that must never go unseen, or nothing) and its [`Stats`]
//! (requests, retries by cause, exchanges, 401s, suspicious events, connections, latency
//! percentiles per endpoint).
//!
//! **Redaction happens here, before any sink sees a message**: the messages the core writes
//! never contain a secret by construction, and [`Redactor`] scrubs every message again for
//! the secrets the handle knows (API key, password, the tokens it holds) and for the shapes
//! a secret takes (URL userinfo, `Bearer ...`, JWTs, PEM blocks).
//!
//! Cost: with no sink installed, a log call is one relaxed atomic load (`enabled`), and the
//! message is never formatted (see the [`log!`](crate::log) macro).

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use zeroize::Zeroizing;

use crate::error::Cause;

/// Severity of a log event (the numbers are the C ABI's `b2c_log_level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    pub fn from_u8(v: u8) -> Option<Level> {
        Some(match v {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => return None,
        })
    }

    /// Parse `error`, `warn`, `info`, `debug`, `trace` (case-insensitive).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

/// One log event, as a sink receives it.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub level: Level,
    /// The part of the library: `b2copy`, `b2binpay`, `retailcrm`, `crm`, `http`, `dns`.
    pub target: &'a str,
    /// A stable name for what happened (see [`events`]); the message says it for people.
    pub event: &'a str,
    /// Already redacted.
    pub message: &'a str,
}

/// The stable event names (a sink may match on them; messages may change wording).
pub mod events {
    /// A token exchange with credentials (B2COPY authexternalcrm, B2BINPAY /token/).
    pub const AUTH: &str = "auth";
    /// A refresh-token exchange.
    pub const REFRESH: &str = "refresh";
    /// A failed refresh replaced by a fresh authentication.
    pub const REAUTH: &str = "reauth";
    /// A 401 from the vendor on a request that carried an access token.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// B2BINPAY rejected an unexpired refresh token (someone else may hold it).
    pub const SUSPICIOUS_REFRESH: &str = "suspicious_refresh";
    /// A transient failure about to be retried (cause, attempt, backoff in the message).
    pub const RETRY: &str = "retry";
    /// A call's deadline ran out (a wait for a token, a retry, a request, a fee wait).
    pub const DEADLINE: &str = "deadline";
    /// A call failed (the message is the error's).
    pub const CALL_FAILED: &str = "call_failed";
    /// A fee is still PENDING when the caller's wait ran out.
    pub const STILL_PENDING: &str = "still_pending";
    /// One HTTP exchange (debug).
    pub const REQUEST: &str = "request";
    /// One HTTP exchange that failed at the transport (debug).
    pub const REQUEST_FAILED: &str = "request_failed";
    /// A new connection (debug).
    pub const CONNECT: &str = "connect";
    /// A TLS session resumed on a new connection (debug).
    pub const TLS_RESUMED: &str = "tls_resumed";
    /// A name resolution (debug), or its failure (warn).
    pub const DNS: &str = "dns";
    /// The token store: a pair adopted from it (info), a record unreadable or the store
    /// failing (warn).
    pub const STORE: &str = "store";
}

/// Where log events go. Called on the thread that made the library call (several threads
/// at once when a handle is shared); must not call back into the same handle.
pub trait LogSink: Send + Sync {
    fn log(&self, record: &Record<'_>);
}

/// A sink writing `b2c: LEVEL target event: message` lines to stderr (the CLI's `-v`).
#[derive(Debug, Default)]
pub struct StderrSink;

impl LogSink for StderrSink {
    fn log(&self, r: &Record<'_>) {
        eprintln!(
            "b2c: {} {} {}: {}",
            r.level.name(),
            r.target,
            r.event,
            r.message
        );
    }
}

/// The process-wide sink: it receives the events of every handle that has no sink of its
/// own (the C ABI's `b2c_set_log_callback`, the CLI's `-v`).
static GLOBAL_SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);
static GLOBAL_LEVEL: AtomicU8 = AtomicU8::new(0);
/// Events that must reach someone (a suspicious refresh) go to stderr when no sink at all
/// would receive them, unless this is switched off.
static STDERR_FALLBACK: AtomicBool = AtomicBool::new(true);

/// Install (or with `None` remove) the process-wide sink, delivering events up to
/// `max_level` from every handle without a sink of its own.
pub fn set_global_sink(sink: Option<Arc<dyn LogSink>>, max_level: Level) {
    let level = if sink.is_some() { max_level as u8 } else { 0 };
    *GLOBAL_SINK.write() = sink;
    GLOBAL_LEVEL.store(level, Ordering::Release);
}

/// Switch the stderr line for must-see events (when no sink receives them) on or off
/// (default on). Process-wide.
pub fn set_stderr_fallback(on: bool) {
    STDERR_FALLBACK.store(on, Ordering::Relaxed);
}

/// Scrubs secrets from messages. Known secrets (the handle's API key, password, tokens) are
/// replaced by `<redacted>`; the shapes secrets take are replaced whatever their value.
#[derive(Default)]
pub struct Redactor {
    known: RwLock<Vec<Zeroizing<String>>>,
}

/// Shortest known secret that is scrubbed by value (shorter ones would blank out ordinary
/// words; they are still never formatted into a message).
const MIN_KNOWN_SECRET: usize = 4;
/// Most known secrets kept (old tokens are dropped first).
const MAX_KNOWN_SECRETS: usize = 16;

impl Redactor {
    /// Add a secret to scrub by value (credentials at creation, tokens as they arrive).
    pub fn add(&self, secret: &str) {
        if secret.len() < MIN_KNOWN_SECRET {
            return;
        }
        let mut known = self.known.write();
        if known.iter().any(|k| k.as_str() == secret) {
            return;
        }
        if known.len() >= MAX_KNOWN_SECRETS {
            // Keep the first entries (credentials, added at creation); drop the oldest token.
            let first_token = known.len().min(4);
            if first_token < known.len() {
                known.remove(first_token);
            }
        }
        known.push(Zeroizing::new(secret.to_string()));
    }

    /// The message with every secret replaced.
    pub fn scrub(&self, message: &str) -> String {
        let mut out = scrub_shapes(message);
        for k in self.known.read().iter() {
            if out.contains(k.as_str()) {
                out = out.replace(k.as_str(), "<redacted>");
            }
        }
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} known secrets)", self.known.read().len())
    }
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '='
}

/// Replace URL userinfo, `Bearer <token>`, JWT-shaped strings and PEM blocks.
pub fn scrub_shapes(message: &str) -> String {
    let mut s = message.to_string();
    // PEM blocks.
    while let Some(start) = s.find("-----BEGIN ") {
        let end = s[start..]
            .find("-----END ")
            .and_then(|e| {
                s[start + e..]
                    .find("-----\n")
                    .map(|n| start + e + n + 6)
                    .or_else(|| {
                        s[start + e + 9..]
                            .find("-----")
                            .map(|n| start + e + 9 + n + 5)
                    })
            })
            .unwrap_or(s.len());
        s.replace_range(start..end, "<pem>");
    }
    // URL userinfo: scheme://user:pass@host -> scheme://<redacted>@host
    let mut i = 0;
    while let Some(p) = s[i..].find("://") {
        let auth_start = i + p + 3;
        let rest = &s[auth_start..];
        let auth_end = rest
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            s.replace_range(auth_start..auth_start + at, "<redacted>");
            i = auth_start + "<redacted>".len() + 1;
        } else {
            i = auth_start;
        }
    }
    // Bearer tokens.
    let lower = s.to_ascii_lowercase();
    if let Some(p) = lower.find("bearer ") {
        let start = p + 7;
        let end = s[start..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .map_or(s.len(), |e| start + e);
        if end > start {
            s.replace_range(start..end, "<redacted>");
        }
    }
    // JWT-shaped strings: three base64url segments, the first starting with "eyJ".
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(p) = rest.find("eyJ") {
        let (before, cand) = rest.split_at(p);
        out.push_str(before);
        let len = cand
            .find(|c: char| !(is_b64url(c) || c == '.'))
            .unwrap_or(cand.len());
        let token = &cand[..len];
        if token.split('.').count() >= 3 && len >= 20 {
            out.push_str("<jwt>");
        } else {
            out.push_str(token);
        }
        rest = &cand[len..];
    }
    out.push_str(rest);
    out
}

/// A latency histogram: log-linear buckets (8 per power of two), from 1 µs to ~70 min.
/// Percentiles are accurate to about 9 %.
#[derive(Clone)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    sum_us: u64,
    max_us: u64,
}

const SUB_BUCKETS: u32 = 8;
const MAX_POW: u32 = 32;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: vec![0; (MAX_POW * SUB_BUCKETS) as usize + 1],
            count: 0,
            sum_us: 0,
            max_us: 0,
        }
    }
}

impl Histogram {
    fn index(us: u64) -> usize {
        if us < SUB_BUCKETS as u64 {
            return us as usize;
        }
        let pow = 63 - us.leading_zeros(); // floor(log2(us)) >= 3
        let sub = ((us >> (pow - 3)) & (SUB_BUCKETS as u64 - 1)) as u32;
        let idx = (pow - 2) * SUB_BUCKETS + sub;
        (idx as usize).min((MAX_POW * SUB_BUCKETS) as usize)
    }

    /// The upper bound (µs) of bucket `i`.
    fn upper(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB_BUCKETS as u64 {
            return i;
        }
        let pow = i / SUB_BUCKETS as u64 + 2;
        let sub = i % SUB_BUCKETS as u64;
        ((SUB_BUCKETS as u64 + sub + 1) << (pow - 3)) - 1
    }

    pub fn record(&mut self, d: Duration) {
        let us = d.as_micros().min(u64::MAX as u128) as u64;
        self.buckets[Self::index(us)] += 1;
        self.count += 1;
        self.sum_us = self.sum_us.saturating_add(us);
        self.max_us = self.max_us.max(us);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q`-quantile (0..=1) in µs (0 when empty).
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::upper(i).min(self.max_us);
            }
        }
        self.max_us
    }
}

/// Counters and latencies of one handle. All methods take `&self`; cheap enough for the
/// fee-call path (relaxed atomics, one short lock for the latency histogram).
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub auth_exchanges: AtomicU64,
    pub refreshes: AtomicU64,
    pub reauths: AtomicU64,
    pub unauthorized: AtomicU64,
    pub suspicious: AtomicU64,
    pub connections_opened: AtomicU64,
    pub tls_handshakes: AtomicU64,
    pub tls_resumed: AtomicU64,
    pub dns_lookups: AtomicU64,
    pub deadline_exceeded: AtomicU64,
    pub store_loads: AtomicU64,
    pub store_adopted: AtomicU64,
    pub store_saves: AtomicU64,
    pub store_errors: AtomicU64,
    retries: Mutex<BTreeMap<&'static str, u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

impl Stats {
    pub fn inc(a: &AtomicU64) {
        a.fetch_add(1, Ordering::Relaxed);
    }

    pub fn retry(&self, cause: Cause) {
        *self.retries.lock().entry(cause.name()).or_insert(0) += 1;
    }

    /// Record one HTTP exchange on `endpoint` (a stable name such as `processext`).
    pub fn request(&self, endpoint: &'static str, took: Duration) {
        Stats::inc(&self.requests);
        self.latency
            .lock()
            .entry(endpoint)
            .or_default()
            .record(took);
    }

    pub fn retries_total(&self) -> u64 {
        self.retries.lock().values().sum()
    }

    pub fn retries_by_cause(&self) -> BTreeMap<&'static str, u64> {
        self.retries.lock().clone()
    }

    /// Everything as one JSON object (the `b2c_*_stats` functions return this).
    pub fn to_json(&self) -> serde_json::Value {
        let latency: serde_json::Map<String, serde_json::Value> = self
            .latency
            .lock()
            .iter()
            .map(|(k, h)| {
                (
                    k.to_string(),
                    serde_json::json!({
                        "count": h.count(),
                        "p50_us": h.quantile_us(0.50),
                        "p90_us": h.quantile_us(0.90),
                        "p99_us": h.quantile_us(0.99),
                        "max_us": h.max_us,
                    }),
                )
            })
            .collect();
        let retries: serde_json::Map<String, serde_json::Value> = self
            .retries
            .lock()
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        serde_json::json!({
            "requests": get(&self.requests),
            "retries": self.retries_total(),
            "retries_by_cause": retries,
            "auth_exchanges": get(&self.auth_exchanges),
            "refreshes": get(&self.refreshes),
            "reauths": get(&self.reauths),
            "unauthorized": get(&self.unauthorized),
            "suspicious": get(&self.suspicious),
            "connections_opened": get(&self.connections_opened),
            "tls_handshakes": get(&self.tls_handshakes),
            "tls_resumed": get(&self.tls_resumed),
            "dns_lookups": get(&self.dns_lookups),
            "deadline_exceeded": get(&self.deadline_exceeded),
            "store_loads": get(&self.store_loads),
            "store_adopted": get(&self.store_adopted),
            "store_saves": get(&self.store_saves),
            "store_errors": get(&self.store_errors),
            "latency": latency,
        })
    }
}

/// The log sink and statistics of one handle.
pub struct Telemetry {
    sink: RwLock<Option<Arc<dyn LogSink>>>,
    /// The most verbose level delivered to the handle's own sink (0 = no own sink: the
    /// process-wide one applies).
    max_level: AtomicU8,
    pub redactor: Redactor,
    pub stats: Stats,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            sink: RwLock::new(None),
            max_level: AtomicU8::new(0),
            redactor: Redactor::default(),
            stats: Stats::default(),
        }
    }
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("max_level", &self.max_level.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Telemetry {
    pub fn new() -> Arc<Telemetry> {
        Arc::new(Telemetry::default())
    }

    /// Install (or with `None` remove) this handle's own sink, delivering events up to
    /// `max_level`. Without one, the process-wide sink ([`set_global_sink`]) applies.
    pub fn set_sink(&self, sink: Option<Arc<dyn LogSink>>, max_level: Level) {
        let level = if sink.is_some() { max_level as u8 } else { 0 };
        *self.sink.write() = sink;
        self.max_level.store(level, Ordering::Release);
    }

    /// Whether an event at `level` would be delivered: two relaxed loads, nothing else.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        let own = self.max_level.load(Ordering::Relaxed);
        let max = if own != 0 {
            own
        } else {
            GLOBAL_LEVEL.load(Ordering::Relaxed)
        };
        level as u8 <= max
    }

    fn current_sink(&self) -> Option<Arc<dyn LogSink>> {
        if let Some(s) = self.sink.read().clone() {
            return Some(s);
        }
        GLOBAL_SINK.read().clone()
    }

    /// Deliver an event (call through [`log!`](crate::log), which checks `enabled` first).
    pub fn emit(&self, level: Level, target: &str, event: &str, args: fmt::Arguments<'_>) {
        if let Some(sink) = self.current_sink() {
            let mut raw = String::new();
            let _ = raw.write_fmt(args);
            let message = self.redactor.scrub(&raw);
            sink.log(&Record {
                level,
                target,
                event,
                message: &message,
            });
        }
    }

    /// An event that must reach someone: the sink if one takes it, else one stderr line
    /// (unless switched off with [`set_stderr_fallback`]) when no sink is installed at all.
    pub fn emit_must_see(&self, level: Level, target: &str, event: &str, args: fmt::Arguments<'_>) {
        if self.enabled(level) {
            self.emit(level, target, event, args);
        } else if self.current_sink().is_none() && STDERR_FALLBACK.load(Ordering::Relaxed) {
            let mut raw = String::new();
            let _ = raw.write_fmt(args);
            eprintln!(
                "b2c: {} {target} {event}: {}",
                level.name(),
                self.redactor.scrub(&raw)
            );
        }
    }

    /// Log the end of a public call that failed: [`events::DEADLINE`] when its deadline
    /// ran out (also counted in `deadline_exceeded`), else [`events::CALL_FAILED`] (both at
    /// warn).
    pub fn call_failed(&self, target: &str, op: &str, e: &crate::Error) {
        let deadline = e.deadline_ran_out() || e.kind() == crate::ErrorKind::Timeout;
        if deadline {
            Stats::inc(&self.stats.deadline_exceeded);
        }
        if !self.enabled(Level::Warn) {
            return;
        }
        let event = if deadline {
            events::DEADLINE
        } else {
            events::CALL_FAILED
        };
        self.emit(
            Level::Warn,
            target,
            event,
            format_args!("{op} failed ({:?}): {}", e.kind(), e.message()),
        );
    }
}

/// `log!(telemetry, Level::Info, "b2copy", events::AUTH, "format {}", args)`: formats and
/// delivers only when a sink wants that level.
#[macro_export]
macro_rules! log {
    ($tel:expr, $level:expr, $target:expr, $event:expr, $($arg:tt)+) => {{
        let tel: &$crate::telemetry::Telemetry = &$tel;
        if tel.enabled($level) {
            tel.emit($level, $target, $event, format_args!($($arg)+));
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_scrubbed() {
        let s = scrub_shapes(
            "GET https://user:pa55@host.example/x failed; Authorization: Bearer abc.def.ghi; \
             token eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.c2lnbmF0dXJl end",
        );
        assert!(!s.contains("pa55") && !s.contains("user:"), "{s}");
        assert!(s.contains("https://<redacted>@host.example/x"), "{s}");
        assert!(!s.contains("abc.def.ghi"), "{s}");
        assert!(!s.contains("c2lnbmF0dXJl"), "{s}");
        let pem =
            scrub_shapes("k -----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n after");
        assert_eq!(pem, "k <pem> after");
        assert_eq!(scrub_shapes("plain text"), "plain text");
    }

    #[test]
    fn known_secrets_are_scrubbed() {
        let r = Redactor::default();
        r.add("s3cret-api-key");
        r.add("ab"); // too short to scrub by value
        assert_eq!(r.scrub("key s3cret-api-key used"), "key <redacted> used");
        for i in 0..40 {
            r.add(&format!("token-number-{i}"));
        }
        assert_eq!(
            r.scrub("s3cret-api-key"),
            "<redacted>",
            "credentials stay known"
        );
        assert_eq!(r.scrub("token-number-39"), "<redacted>");
    }

    #[test]
    fn histogram_quantiles() {
        let mut h = Histogram::default();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let p50 = h.quantile_us(0.5);
        let p99 = h.quantile_us(0.99);
        assert!((460..=560).contains(&p50), "{p50}");
        assert!((900..=1000).contains(&p99), "{p99}");
        assert_eq!(Histogram::default().quantile_us(0.5), 0);
        for i in 0..200 {
            assert!(Histogram::upper(i) < Histogram::upper(i + 1));
            assert_eq!(Histogram::index(Histogram::upper(i)), i);
        }
    }

    #[test]
    fn disabled_logging_formats_nothing() {
        struct Panics;
        impl fmt::Display for Panics {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                panic!("formatted although disabled")
            }
        }
        let t = Telemetry::default();
        crate::log!(t, Level::Error, "test", "test", "{}", Panics);
    }
}
