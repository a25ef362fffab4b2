//! Fault injection shared by all emulators.
//!
//! A [`FaultInjector`] holds scripted faults (queued per exact request path, consumed first)
//! and random faults by rate (drawn from a seeded `fastrand::Rng`, so a run is repeatable).
//! An emulator calls [`FaultInjector::intercept`] before its normal handling: `Some(reply)`
//! is the faulty answer to send; `None` means handle normally (after any injected latency).
//!
//! Wire shapes of the faults:
//! - `Status5xx(s)`: HTTP `s`, `{"code":14,"message":"unavailable","details":[]}`
//! - `TooMany`: HTTP 429, header `Retry-After: N`,
//!   `{"code":8,"message":"too many requests","details":[]}`
//! - `Drop`: the connection is closed without any response (the client sees EOF/reset).
//! - `Malformed`: HTTP 200, `Content-Type: application/json`, body `{"status": ` (truncated).
//! - `Latency(d)`: sleep `d`, then handle normally.
//! - `Oversized(n)`: HTTP 200 with a syntactically valid JSON object of exactly `n` bytes
//!   (`{"status":2,"padding":"xxxx..."}`; at least 32 bytes).
//!
//! Byte-level faults (the answer is broken on the wire, not in its content):
//! - `Truncated`: a 200 head announcing a 64-byte body, 10 bytes of it, then FIN.
//! - `HeadOnly`: a 200 head announcing a body, no body, then FIN.
//! - `ResetMidBody`: a 200 head and half the body, then RST.
//! - `SlowDrip(d)`: a valid 200 answer written one byte every `d`.
//! - `Endless`: a 200 head without length (`Connection: close`) and a body that never ends.
//! - `Silent`: the request is read, nothing is ever answered; the connection stays open.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use parking_lot::Mutex;

use super::server::{HttpReply, RawEnd};

/// Random fault rates (each in `0.0..=1.0`) and a baseline latency. Default: no faults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Probability of answering 503 `{"code":14,...}`.
    pub rate_5xx: f64,
    /// Probability of answering 429 with `Retry-After: retry_after_s`.
    pub rate_429: f64,
    pub retry_after_s: u32,
    /// Added to every request before handling (not counted as an injected fault).
    pub latency: Duration,
    /// Probability of closing the connection without an answer.
    pub drop_rate: f64,
    /// Probability of answering 200 with truncated JSON.
    pub malformed_rate: f64,
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// This 5xx status with a gRPC-gateway UNAVAILABLE body.
    Status5xx(u16),
    /// 429 with `Retry-After`.
    TooMany { retry_after_s: u32 },
    /// Close the connection without answering.
    Drop,
    /// 200 with truncated JSON.
    Malformed,
    /// Sleep, then handle normally.
    Latency(Duration),
    /// 200 with a valid-looking JSON body of this many bytes.
    Oversized(usize),
    /// A head announcing more body than is sent, then FIN.
    Truncated,
    /// A head announcing a body, and no body, then FIN.
    HeadOnly,
    /// Half the body, then RST.
    ResetMidBody,
    /// A valid answer, one byte every so often.
    SlowDrip(Duration),
    /// A body that never ends.
    Endless,
    /// Never answer; keep the connection open.
    Silent,
}

impl Fault {
    /// Parse a fault name as the control surface takes it (`{"fault": "truncated", ...}`):
    /// 503 (or any 5xx), 429, drop, malformed, oversized, truncated, head_only,
    /// reset_mid_body, slow_drip, endless, silent; `ms` is the latency / drip interval.
    pub fn from_name(name: &str, ms: u64) -> Option<Fault> {
        Some(match name {
            "429" => Fault::TooMany {
                retry_after_s: (ms / 1000) as u32,
            },
            "drop" => Fault::Drop,
            "malformed" => Fault::Malformed,
            "oversized" => Fault::Oversized(8 * 1024 * 1024),
            "latency" => Fault::Latency(Duration::from_millis(ms)),
            "truncated" => Fault::Truncated,
            "head_only" => Fault::HeadOnly,
            "reset_mid_body" => Fault::ResetMidBody,
            "slow_drip" => Fault::SlowDrip(Duration::from_millis(ms.max(1))),
            "endless" => Fault::Endless,
            "silent" => Fault::Silent,
            s => match s.parse::<u16>() {
                Ok(code @ 500..=599) => Fault::Status5xx(code),
                _ => return None,
            },
        })
    }
}

/// A valid 200 JSON answer head for a body of `len` bytes.
fn head(len: usize, close: bool) -> Vec<u8> {
    let mut h =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n");
    if close {
        h.push_str("Connection: close\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}

struct Inner {
    scripted: HashMap<String, VecDeque<Fault>>,
    faults: Faults,
    rng: fastrand::Rng,
    injected: u64,
}

/// Scripted + random faults; thread-safe.
pub struct FaultInjector {
    inner: Mutex<Inner>,
}

/// Most scripted faults queued per path (a typo'd huge `times` must not eat memory).
const MAX_SCRIPTED: u32 = 1_000_000;

impl FaultInjector {
    pub fn new(faults: Faults, seed: u64) -> Self {
        FaultInjector {
            inner: Mutex::new(Inner {
                scripted: HashMap::new(),
                faults,
                rng: fastrand::Rng::with_seed(seed),
                injected: 0,
            }),
        }
    }

    /// Queue `fault` for the next `times` requests whose path equals `path` exactly.
    pub fn inject(&self, path: &str, fault: Fault, times: u32) {
        let mut g = self.inner.lock();
        let q = g.scripted.entry(path.to_string()).or_default();
        for _ in 0..times.min(MAX_SCRIPTED) {
            q.push_back(fault.clone());
        }
    }

    /// Replace the random fault rates.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.lock().faults = faults;
    }

    /// Forget all scripted faults.
    pub fn clear_scripted(&self) {
        self.inner.lock().scripted.clear();
    }

    /// How many faults have been applied (latency from [`Faults::latency`] excluded).
    pub fn injected(&self) -> u64 {
        self.inner.lock().injected
    }

    /// The fault to apply to a request on `path`, if any, counted as injected. Scripted
    /// faults come first; otherwise one random draw per rate, in the order drop, 5xx, 429,
    /// malformed. Returns also the baseline latency to sleep before anything else.
    pub fn next_fault(&self, path: &str) -> (Duration, Option<Fault>) {
        let mut g = self.inner.lock();
        let latency = g.faults.latency;
        if let Some(q) = g.scripted.get_mut(path) {
            if let Some(f) = q.pop_front() {
                if q.is_empty() {
                    g.scripted.remove(path);
                }
                g.injected += 1;
                return (latency, Some(f));
            }
        }
        let f = g.faults.clone();
        let pick = |rng: &mut fastrand::Rng, rate: f64| rate > 0.0 && rng.f64() < rate;
        let fault = if pick(&mut g.rng, f.drop_rate) {
            Some(Fault::Drop)
        } else if pick(&mut g.rng, f.rate_5xx) {
            Some(Fault::Status5xx(503))
        } else if pick(&mut g.rng, f.rate_429) {
            Some(Fault::TooMany {
                retry_after_s: f.retry_after_s,
            })
        } else if pick(&mut g.rng, f.malformed_rate) {
            Some(Fault::Malformed)
        } else {
            None
        };
        if fault.is_some() {
            g.injected += 1;
        }
        (latency, fault)
    }

    /// Apply faults for a request on `path`: sleeps for latency, and returns the faulty
    /// reply to send instead of normal handling, if any.
    pub fn intercept(&self, path: &str) -> Option<HttpReply> {
        let (latency, fault) = self.next_fault(path);
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        fault.and_then(|f| fault_reply(&f))
    }
}

/// The reply for a fault; `None` for [`Fault::Latency`] (after sleeping): handle normally.
pub fn fault_reply(fault: &Fault) -> Option<HttpReply> {
    match fault {
        Fault::Status5xx(s) => {
            let status = if (500..=599).contains(s) { *s } else { 503 };
            Some(HttpReply::json(
                status,
                &serde_json::json!({"code": 14, "message": "unavailable", "details": []}),
            ))
        }
        Fault::TooMany { retry_after_s } => Some(
            HttpReply::json(
                429,
                &serde_json::json!({"code": 8, "message": "too many requests", "details": []}),
            )
            .with_header("Retry-After", &retry_after_s.to_string()),
        ),
        Fault::Drop => Some(HttpReply::Drop),
        Fault::Malformed => Some(HttpReply::json_bytes(200, b"{\"status\": ".to_vec())),
        Fault::Latency(d) => {
            std::thread::sleep(*d);
            None
        }
        Fault::Oversized(n) => Some(HttpReply::json_bytes(200, oversized_body(*n))),
        Fault::Truncated => {
            let mut b = head(64, false);
            b.extend_from_slice(b"{\"status\":");
            Some(HttpReply::Raw {
                bytes: b,
                per_byte: Duration::ZERO,
                end: RawEnd::Close,
            })
        }
        Fault::HeadOnly => Some(HttpReply::Raw {
            bytes: head(64, false),
            per_byte: Duration::ZERO,
            end: RawEnd::Close,
        }),
        Fault::ResetMidBody => {
            let mut b = head(64, false);
            b.extend_from_slice(&[b' '; 32]);
            Some(HttpReply::Raw {
                bytes: b,
                per_byte: Duration::ZERO,
                end: RawEnd::Reset,
            })
        }
        Fault::SlowDrip(d) => {
            let body = br#"{"status":1}"#;
            let mut b = head(body.len(), true);
            b.extend_from_slice(body);
            Some(HttpReply::Raw {
                bytes: b,
                per_byte: *d,
                end: RawEnd::Close,
            })
        }
        Fault::Endless => Some(HttpReply::Raw {
            bytes: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"status\":\"".to_vec(),
            per_byte: Duration::ZERO,
            end: RawEnd::Endless,
        }),
        Fault::Silent => Some(HttpReply::Raw {
            bytes: Vec::new(),
            per_byte: Duration::ZERO,
            end: RawEnd::Hold,
        }),
    }
}

/// A valid JSON object of exactly `max(n, 32)` bytes.
pub fn oversized_body(n: usize) -> Vec<u8> {
    const PREFIX: &[u8] = b"{\"status\":2,\"padding\":\"";
    const SUFFIX: &[u8] = b"\"}";
    let n = n.max(32);
    let mut v = Vec::with_capacity(n);
    v.extend_from_slice(PREFIX);
    v.resize(n - SUFFIX.len(), b'x');
    v.extend_from_slice(SUFFIX);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_is_exact_valid_json() {
        for n in [0, 32, 33, 1000, 70_000] {
            let b = oversized_body(n);
            assert_eq!(b.len(), n.max(32));
            let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(v["status"], 2);
        }
    }

    #[test]
    fn scripted_before_random_and_counted() {
        let f = FaultInjector::new(
            Faults {
                rate_5xx: 1.0,
                ..Faults::default()
            },
            7,
        );
        f.inject("/a", Fault::Malformed, 2);
        assert_eq!(f.next_fault("/a").1, Some(Fault::Malformed));
        assert_eq!(f.next_fault("/a").1, Some(Fault::Malformed));
        assert_eq!(f.next_fault("/a").1, Some(Fault::Status5xx(503)));
        assert_eq!(f.injected(), 3);
        f.set_faults(Faults::default());
        assert_eq!(f.next_fault("/a").1, None);
        assert_eq!(f.injected(), 3);
    }
}
