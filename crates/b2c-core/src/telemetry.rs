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
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
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

/// Where log events go. Called on the thread that made the library call; must not call
/// back into the same handle.
pub trait LogSink: Send + Sync {
    /// `message` is already redacted.
    fn log(&self, level: Level, target: &str, message: &str);
}

/// A sink writing `b2c: LEVEL target: message` lines to stderr (the CLI's `-v`).
#[derive(Debug, Default)]
pub struct StderrSink;

impl LogSink for StderrSink {
    fn log(&self, level: Level, target: &str, message: &str) {
        eprintln!("b2c: {} {target}: {message}", level.name());
    }
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
            "latency": latency,
        })
    }
}

/// The log sink and statistics of one handle.
pub struct Telemetry {
    sink: RwLock<Option<Arc<dyn LogSink>>>,
    /// The most verbose level delivered (0 = nothing).
    max_level: AtomicU8,
    /// Events that must reach someone (a suspicious refresh) go to stderr when no sink is
    /// installed, unless this is off.
    stderr_fallback: std::sync::atomic::AtomicBool,
    pub redactor: Redactor,
    pub stats: Stats,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            sink: RwLock::new(None),
            max_level: AtomicU8::new(0),
            stderr_fallback: std::sync::atomic::AtomicBool::new(true),
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

    /// Install (or with `None` remove) the sink, delivering events up to `max_level`.
    pub fn set_sink(&self, sink: Option<Arc<dyn LogSink>>, max_level: Level) {
        let level = if sink.is_some() { max_level as u8 } else { 0 };
        *self.sink.write() = sink;
        self.max_level.store(level, Ordering::Release);
    }

    /// Whether the fallback stderr line for must-see events is on (default on).
    pub fn set_stderr_fallback(&self, on: bool) {
        self.stderr_fallback.store(on, Ordering::Relaxed);
    }

    /// Whether an event at `level` would be delivered. One relaxed load.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        level as u8 <= self.max_level.load(Ordering::Relaxed)
    }

    /// Deliver an event (call through [`log!`](crate::log), which checks `enabled` first).
    pub fn emit(&self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        let sink = self.sink.read().clone();
        if let Some(sink) = sink {
            let mut raw = String::new();
            let _ = raw.write_fmt(args);
            sink.log(level, target, &self.redactor.scrub(&raw));
        }
    }

    /// An event that must reach someone: the sink if installed, else one stderr line
    /// (unless switched off).
    pub fn emit_must_see(&self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        if self.enabled(level) {
            self.emit(level, target, args);
        } else if self.sink.read().is_none() && self.stderr_fallback.load(Ordering::Relaxed) {
            let mut raw = String::new();
            let _ = raw.write_fmt(args);
            eprintln!(
                "b2c: {} {target}: {}",
                level.name(),
                self.redactor.scrub(&raw)
            );
        }
    }
}

/// `log!(telemetry, Level::Info, "b2copy", "format {}", args)`: formats and delivers only when
/// a sink wants that level.
#[macro_export]
macro_rules! log {
    ($tel:expr, $level:expr, $target:expr, $($arg:tt)+) => {{
        let tel: &$crate::telemetry::Telemetry = &$tel;
        if tel.enabled($level) {
            tel.emit($level, $target, format_args!($($arg)+));
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
        crate::log!(t, Level::Error, "test", "{}", Panics);
    }
}
