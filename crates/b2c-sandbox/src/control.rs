//! `/_sandbox/...`: the sandbox's own control surface, so that tests in another process (the
//! Python, PHP, Java, C# and C suites) can read counters and trigger the situations the
//! Rust tests set up in-process. Like the rest of the sandbox it listens on loopback only.
//!
//! - `GET  /_sandbox/stats` — counters of every emulator and `server.connections` (TCP
//!   connections accepted since start) (JSON, see [`stats_json`]).
//! - `POST /_sandbox/b2copy/expire-access` — every B2COPY access token now answers 401.
//! - `POST /_sandbox/b2copy/revoke-refresh` — every B2COPY refresh token now answers 401.
//! - `POST /_sandbox/b2binpay/tamper-signs` `{"count": N}` — the next N `/token/` answers
//!   carry a wrong `meta.sign`.
//! - `POST /_sandbox/b2binpay/consume-refresh` — use up every live refresh token as an
//!   attacker would (the client's next refresh is a replay: 401 code 2007).
//! - `POST /_sandbox/b2binpay/ttls` `{"access_s": N, "refresh_s": M}` — lifetimes of tokens
//!   issued from now on.
//! - `POST /_sandbox/faults` `{"path": "/api/...", "fault": NAME, "times": N, "ms": M}` —
//!   queue a fault for the next N requests on that exact path (names: a 5xx status, `429`
//!   (Retry-After = ms / 1000 s), `drop`, `malformed`, `oversized`, `latency`, `truncated`,
//!   `head_only`, `reset_mid_body`, `slow_drip` (one byte every `ms`), `endless`, `silent`).
//! - `POST /_sandbox/faults/clear` — forget every queued fault.
//! - `POST /_sandbox/retailcrm/field-errors` `{"errors": {"integrationModule[clientId]":
//!   "..."}, "times": N}` — the next N RetailCRM edits that pass every check answer HTTP 400
//!   `{"success": false, "errorMsg": "Errors in the entity format", "errors": {...}}`
//!   (`errors` defaults to [`crate::retailcrm::DEFAULT_FIELD_ERRORS`], `times` to 1; 0
//!   clears).
//! - `POST /_sandbox/switches` `{"fee_status_names": bool, "b2binpay_refresh_wrapped": bool,
//!   "token_shape": "plain"|"object"}` — change those answer shapes at run time (each key
//!   optional); answers the current values.
//!
//! `stats` also carries `"profile": "lenient"|"strict"` and `"leniencies": {"name": count}`
//! (see [`crate::profile`]).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::b2binpay::B2binpayEmulator;
use super::b2copy::B2copyEmulator;
use super::crm::CrmEmulator;
use super::profile::Leniencies;
use super::retailcrm::RetailcrmEmulator;
use super::server::{HttpReply, HttpRequest};
use super::{Emulator, FaultInjector, TokenShape};

pub const PREFIX: &str = "/_sandbox/";

pub struct ControlEmulator {
    pub(super) b2copy: Arc<B2copyEmulator>,
    pub(super) b2binpay: Arc<B2binpayEmulator>,
    pub(super) crm: Arc<CrmEmulator>,
    pub(super) retailcrm: Arc<RetailcrmEmulator>,
    pub(super) faults: Arc<FaultInjector>,
    /// Set once the server is up.
    pub(super) connections: Arc<parking_lot::Mutex<Option<super::server::ConnectionCounter>>>,
    pub(super) leniencies: Arc<Leniencies>,
}

/// Counters of every emulator.
pub fn stats_json(c: &ControlEmulator) -> Value {
    let b = c.b2copy.stats();
    let p = c.b2binpay.stats();
    let m = c.crm.stats();
    let calls = c.retailcrm.calls();
    json!({
        "b2copy": {
            "auth_ok": b.auth_ok, "auth_rejected": b.auth_rejected,
            "refresh_ok": b.refresh_ok, "refresh_rejected": b.refresh_rejected,
            "process_calls": b.process_calls, "faults_injected": c.faults.injected(),
            "exchanges_concurrent_max": b.exchanges_concurrent_max,
            "other_calls": b.other_calls,
        },
        "b2binpay": {
            "token_calls": p.token_calls, "token_ok": p.token_ok, "token_rejected": p.token_rejected,
            "refresh_calls": p.refresh_calls, "refresh_ok": p.refresh_ok,
            "refresh_rejected": p.refresh_rejected, "refresh_replayed": p.refresh_replayed,
            "faults": p.faults, "other_calls": p.other_calls,
        },
        "crm": {
            "requests": m.requests, "ok": m.ok,
            "invalid_api_key": m.invalid_api_key, "invalid_signature": m.invalid_signature,
        },
        "retailcrm": {
            "edit_calls": calls.len(),
            "edit_ok": calls.iter().filter(|c| (200..300).contains(&c.status)).count(),
        },
        "server": {
            "connections": c.connections.lock().as_ref().map_or(0, |k| k.get()),
        },
        "profile": c.leniencies.profile_name(),
        "leniencies": c.leniencies.counts(),
    })
}

fn body_u64(req: &HttpRequest, field: &str) -> Option<u64> {
    let v: Value = serde_json::from_slice(&req.body).ok()?;
    v.get(field)?.as_u64()
}

fn ok() -> HttpReply {
    HttpReply::json(200, &json!({"ok": true}))
}

fn bad(message: &str) -> HttpReply {
    HttpReply::json(400, &json!({"code": 3, "message": message, "details": []}))
}

/// The current answer-shape switches.
fn switches_json(c: &ControlEmulator) -> Value {
    let (names, shape) = c.b2copy.switches();
    json!({
        "ok": true,
        "fee_status_names": names,
        "b2binpay_refresh_wrapped": !c.b2binpay.bare_refresh(),
        "token_shape": match shape {
            TokenShape::Plain => "plain",
            TokenShape::Object => "object",
        },
    })
}

fn field_errors(c: &ControlEmulator, req: &HttpRequest) -> HttpReply {
    const USAGE: &str =
        "body must be {\"errors\": {\"integrationModule[field]\": \"message\", ...}, \"times\": N}";
    let v: Value = if req.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return bad(USAGE),
        }
    };
    let errors = match v.get("errors") {
        None => RetailcrmEmulator::default_field_errors(),
        Some(Value::Object(m)) if !m.is_empty() && m.values().all(Value::is_string) => m.clone(),
        Some(_) => return bad(USAGE),
    };
    let times = match v.get("times") {
        None => 1,
        Some(t) => match t.as_u64() {
            Some(n) => n.min(1_000_000) as u32,
            None => return bad(USAGE),
        },
    };
    c.retailcrm.set_field_errors(errors, Some(times));
    ok()
}

fn switches(c: &ControlEmulator, req: &HttpRequest) -> HttpReply {
    const USAGE: &str = "body must be {\"fee_status_names\": bool, \"b2binpay_refresh_wrapped\": bool, \"token_shape\": \"plain\"|\"object\"} (each optional)";
    let v: Value = if req.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return bad(USAGE),
        }
    };
    let known = [
        "fee_status_names",
        "b2binpay_refresh_wrapped",
        "token_shape",
    ];
    if v.as_object()
        .is_some_and(|o| o.keys().any(|k| !known.contains(&k.as_str())))
    {
        return bad(USAGE);
    }
    let flag = |k: &str| match v.get(k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(()),
    };
    let (Ok(names), Ok(wrapped)) = (flag("fee_status_names"), flag("b2binpay_refresh_wrapped"))
    else {
        return bad(USAGE);
    };
    let shape = match v.get("token_shape").map(Value::as_str) {
        None => None,
        Some(Some("plain")) => Some(TokenShape::Plain),
        Some(Some("object")) => Some(TokenShape::Object),
        Some(_) => return bad(USAGE),
    };
    if let Some(n) = names {
        c.b2copy.set_fee_status_names(n);
    }
    if let Some(w) = wrapped {
        c.b2binpay.set_bare_refresh(!w);
    }
    if let Some(s) = shape {
        c.b2copy.set_token_shape(s);
    }
    HttpReply::json(200, &switches_json(c))
}

impl Emulator for ControlEmulator {
    fn owns(&self, path: &str) -> bool {
        path.starts_with(PREFIX)
    }

    fn handle(&self, req: &HttpRequest) -> HttpReply {
        let action = &req.path[PREFIX.len()..];
        match (req.method.as_str(), action) {
            ("GET", "stats") => HttpReply::json(200, &stats_json(self)),
            ("POST", "b2copy/expire-access") => {
                self.b2copy.expire_access_tokens();
                ok()
            }
            ("POST", "b2copy/revoke-refresh") => {
                self.b2copy.revoke_refresh_tokens();
                ok()
            }
            ("POST", "b2binpay/tamper-signs") => {
                let n = body_u64(req, "count").unwrap_or(1).min(1000) as u32;
                self.b2binpay.tamper_next_signs(n);
                ok()
            }
            ("POST", "b2binpay/consume-refresh") => {
                let tokens = self.b2binpay.live_refresh_tokens();
                let consumed = tokens
                    .iter()
                    .filter(|t| self.b2binpay.consume_refresh_token(t))
                    .count();
                HttpReply::json(200, &json!({"ok": true, "consumed": consumed}))
            }
            ("POST", "b2binpay/ttls") => {
                match (body_u64(req, "access_s"), body_u64(req, "refresh_s")) {
                    (Some(a), Some(r)) => {
                        self.b2binpay
                            .set_ttls(Duration::from_secs(a), Duration::from_secs(r));
                        ok()
                    }
                    _ => HttpReply::json(
                        400,
                        &json!({"code": 3, "message": "body must be {\"access_s\": N, \"refresh_s\": M}", "details": []}),
                    ),
                }
            }
            ("POST", "faults") => {
                let v: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let path = v.get("path").and_then(Value::as_str);
                let ms = v.get("ms").and_then(Value::as_u64).unwrap_or(0);
                let fault = v
                    .get("fault")
                    .and_then(Value::as_str)
                    .and_then(|f| super::Fault::from_name(f, ms));
                let times = v
                    .get("times")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .min(100_000) as u32;
                match (path, fault) {
                    (Some(p), Some(f)) => {
                        self.faults.inject(p, f, times);
                        ok()
                    }
                    _ => HttpReply::json(
                        400,
                        &json!({"code": 3, "message": "body must be {\"path\": P, \"fault\": NAME, \"times\": N, \"ms\": M}", "details": []}),
                    ),
                }
            }
            ("POST", "faults/clear") => {
                self.faults.clear_scripted();
                ok()
            }
            ("POST", "retailcrm/field-errors") => field_errors(self, req),
            ("POST", "switches") => switches(self, req),
            ("GET", "switches") => HttpReply::json(200, &switches_json(self)),
            _ => HttpReply::json(
                404,
                &json!({"code": 5, "message": "unknown sandbox control action", "details": []}),
            ),
        }
    }
}
