//! B2BINPAY v2 token-auth emulator: `POST {prefix}/token/` and `POST {prefix}/token/refresh/`
//! (default prefix `/b2binpay`), with the wire types of [`b2c_core::b2binpay::wire`].
//!
//! - signs `meta.sign` like the vendor (HMAC-SHA256, key = SHA-256(login ‖ password));
//! - single-use, rotating refresh tokens; reuse or unknown → 401 code 2007;
//! - bad login → 400 code 2006;
//! - configurable (short) lifetimes, scripted 429/5xx faults, scripted tampered signs;
//! - counters of token and refresh calls.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::server::{HttpReply, HttpRequest};
use super::Emulator;
use b2c_core::b2binpay::{sign_key, token_sign, wire};
use b2c_core::timeutil::format_rfc3339_micros;

/// Default mount point.
pub const DEFAULT_PREFIX: &str = "/b2binpay";

/// Emulator settings.
#[derive(Clone)]
pub struct B2binpayEmulatorConfig {
    /// Path prefix, e.g. `/b2binpay` (the client's base URL is `{server}{prefix}`).
    pub prefix: String,
    pub login: String,
    pub password: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl B2binpayEmulatorConfig {
    pub fn new(login: &str, password: &str) -> Self {
        B2binpayEmulatorConfig {
            prefix: DEFAULT_PREFIX.to_string(),
            login: login.to_string(),
            password: password.to_string(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(3600),
        }
    }
}

impl std::fmt::Debug for B2binpayEmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("B2binpayEmulatorConfig")
            .field("prefix", &self.prefix)
            .field("login", &"<redacted>")
            .field("password", &"<redacted>")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish()
    }
}

/// A scripted fault, served instead of the next answer on the given endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum B2binpayFault {
    /// 429 `throttled`, with `Retry-After` if given.
    Throttled { retry_after_s: Option<u32> },
    /// This 5xx status.
    Status(u16),
    /// Close the connection without answering.
    Drop,
}

/// Which endpoint a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Token,
    Refresh,
}

/// Counters since start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct B2binpayStats {
    /// Requests to `/token/` (faults included).
    pub token_calls: u64,
    pub token_ok: u64,
    /// 400 code 2006.
    pub token_rejected: u64,
    /// Requests to `/token/refresh/` (faults included).
    pub refresh_calls: u64,
    pub refresh_ok: u64,
    /// 401 code 2007.
    pub refresh_rejected: u64,
    /// Refreshes presenting an already-used refresh token.
    pub refresh_replayed: u64,
    pub faults: u64,
}

#[derive(Default)]
struct State {
    seq: u64,
    /// Live refresh token → expiry.
    refresh: HashMap<String, SystemTime>,
    used_refresh: HashSet<String>,
    /// Access token → expiry.
    access: HashMap<String, SystemTime>,
    faults: HashMap<Endpoint, VecDeque<B2binpayFault>>,
    tamper_signs: u32,
    bare_refresh: bool,
    access_ttl: Duration,
    refresh_ttl: Duration,
    stats: B2binpayStats,
}

/// The B2BINPAY emulator. Mount it with [`super::Sandbox::start_with`].
pub struct B2binpayEmulator {
    prefix: String,
    login: String,
    password: String,
    state: Mutex<State>,
}

impl B2binpayEmulator {
    pub fn new(cfg: B2binpayEmulatorConfig) -> Self {
        B2binpayEmulator {
            prefix: cfg.prefix.trim_end_matches('/').to_string(),
            login: cfg.login,
            password: cfg.password,
            state: Mutex::new(State {
                access_ttl: cfg.access_ttl,
                refresh_ttl: cfg.refresh_ttl,
                bare_refresh: true,
                ..State::default()
            }),
        }
    }

    /// The client base URL for a server at `server_base` (`http://127.0.0.1:PORT`).
    pub fn base_url(&self, server_base: &str) -> String {
        format!("{}{}/", server_base.trim_end_matches('/'), self.prefix)
    }

    pub fn stats(&self) -> B2binpayStats {
        self.state.lock().stats.clone()
    }

    /// Change the lifetimes of tokens issued from now on.
    pub fn set_ttls(&self, access: Duration, refresh: Duration) {
        let mut st = self.state.lock();
        st.access_ttl = access;
        st.refresh_ttl = refresh;
    }

    /// Queue `fault` for the next `times` requests to `endpoint`.
    pub fn inject(&self, endpoint: Endpoint, fault: B2binpayFault, times: u32) {
        let mut st = self.state.lock();
        let q = st.faults.entry(endpoint).or_default();
        for _ in 0..times.min(1000) {
            q.push_back(fault.clone());
        }
    }

    /// The next `n` `/token/` answers carry a wrong `meta.sign`.
    pub fn tamper_next_signs(&self, n: u32) {
        self.state.lock().tamper_signs = n;
    }

    /// Answer refreshes with the bare resource (`true`, the vendor example; default) or
    /// wrapped in `{"data": ...}` (`false`).
    pub fn set_bare_refresh(&self, bare: bool) {
        self.state.lock().bare_refresh = bare;
    }

    /// Use up a live refresh token as an attacker would; true if it was live.
    pub fn consume_refresh_token(&self, token: &str) -> bool {
        let mut st = self.state.lock();
        let live = st.refresh.remove(token).is_some();
        if live {
            st.used_refresh.insert(token.to_string());
        }
        live
    }

    /// Every live refresh token (normally one per logged-in client).
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        self.state.lock().refresh.keys().cloned().collect()
    }

    /// Whether `token` is a live access token (for API-call emulation).
    pub fn access_valid(&self, token: &str) -> bool {
        self.state
            .lock()
            .access
            .get(token)
            .is_some_and(|exp| SystemTime::now() < *exp)
    }

    fn issue(&self, st: &mut State) -> (Value, String, String) {
        st.seq += 1;
        let now = SystemTime::now();
        let access = format!("b2b-access-{}-{:016x}", st.seq, fastrand::u64(..));
        let refresh = format!("b2b-refresh-{}-{:016x}", st.seq, fastrand::u64(..));
        let access_exp = now + st.access_ttl;
        let refresh_exp = now + st.refresh_ttl;
        st.access.insert(access.clone(), access_exp);
        st.refresh.insert(refresh.clone(), refresh_exp);
        // forget expired tokens
        st.access.retain(|_, e| *e > now);
        st.refresh.retain(|_, e| *e > now);
        let attrs = serde_json::to_value(wire::TokenAttributes {
            access,
            refresh: refresh.clone(),
            access_expired_at: format_rfc3339_micros(access_exp),
            refresh_expired_at: format_rfc3339_micros(refresh_exp),
            is_2fa_confirmed: false,
        })
        .unwrap_or_default();
        let resource = json!({"type": wire::RESOURCE_TYPE, "id": "0", "attributes": attrs});
        (resource, format_rfc3339_micros(now), refresh)
    }

    fn fault(&self, st: &mut State, ep: Endpoint) -> Option<HttpReply> {
        let f = st.faults.get_mut(&ep)?.pop_front()?;
        st.stats.faults += 1;
        Some(match f {
            B2binpayFault::Throttled { retry_after_s } => {
                let r = error(429, json!(wire::CODE_THROTTLED), "Request was throttled.");
                match retry_after_s {
                    Some(s) => r.with_header("Retry-After", &s.to_string()),
                    None => r,
                }
            }
            B2binpayFault::Status(s) => error(s, json!(s), "Server error"),
            B2binpayFault::Drop => HttpReply::Drop,
        })
    }

    fn token(&self, req: &HttpRequest) -> HttpReply {
        let mut st = self.state.lock();
        st.stats.token_calls += 1;
        if let Some(r) = self.fault(&mut st, Endpoint::Token) {
            return r;
        }
        let v: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let a = &v["data"]["attributes"];
        if v["data"]["type"] != wire::RESOURCE_TYPE
            || a["login"].as_str() != Some(self.login.as_str())
            || a["password"].as_str() != Some(self.password.as_str())
        {
            st.stats.token_rejected += 1;
            return error(
                400,
                json!(wire::CODE_BAD_CREDENTIALS),
                "No active account found with the given credentials",
            );
        }
        let (resource, time, refresh) = self.issue(&mut st);
        let key = sign_key(&self.login, &self.password);
        let mut sign = token_sign(&key, &time, &refresh);
        if st.tamper_signs > 0 {
            st.tamper_signs -= 1;
            let flipped = if sign.starts_with('0') { "1" } else { "0" };
            sign.replace_range(0..1, flipped);
        }
        st.stats.token_ok += 1;
        api_json(
            200,
            &json!({"data": resource, "meta": {"time": time, "sign": sign}}),
        )
    }

    fn refresh(&self, req: &HttpRequest) -> HttpReply {
        let mut st = self.state.lock();
        st.stats.refresh_calls += 1;
        if let Some(r) = self.fault(&mut st, Endpoint::Refresh) {
            return r;
        }
        let v: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let presented = v["data"]["attributes"]["refresh"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let live = st
            .refresh
            .remove(&presented)
            .is_some_and(|exp| SystemTime::now() < exp);
        if !live {
            if st.used_refresh.contains(&presented) {
                st.stats.refresh_replayed += 1;
            }
            st.stats.refresh_rejected += 1;
            return error(
                401,
                json!(wire::CODE_BAD_REFRESH),
                "No active account found with the given credentials",
            );
        }
        st.used_refresh.insert(presented);
        let (resource, _, _) = self.issue(&mut st);
        st.stats.refresh_ok += 1;
        let body = if st.bare_refresh {
            resource
        } else {
            json!({ "data": resource })
        };
        api_json(200, &body)
    }

    /// Answer `req` if its path is ours; `None` otherwise.
    pub fn route(&self, req: &HttpRequest) -> Option<HttpReply> {
        let rest = req.path.strip_prefix(self.prefix.as_str())?;
        let ep = match rest {
            p if p == wire::PATH_TOKEN || p == wire::PATH_TOKEN.trim_end_matches('/') => {
                Endpoint::Token
            }
            p if p == wire::PATH_REFRESH || p == wire::PATH_REFRESH.trim_end_matches('/') => {
                Endpoint::Refresh
            }
            p if p.starts_with('/') => return Some(error(404, json!(404), "Not found")),
            _ => return None,
        };
        if req.method != "POST" {
            return Some(error(405, json!(405), "Method not allowed"));
        }
        if req.media_type().as_deref() != Some(wire::CONTENT_TYPE) {
            return Some(error(415, json!(415), "Unsupported media type"));
        }
        Some(match ep {
            Endpoint::Token => self.token(req),
            Endpoint::Refresh => self.refresh(req),
        })
    }
}

/// A JSON:API answer (`Content-Type: application/vnd.api+json`).
fn api_json(status: u16, v: &Value) -> HttpReply {
    HttpReply::Response {
        status,
        headers: vec![("Content-Type".into(), wire::CONTENT_TYPE.into())],
        body: serde_json::to_vec(v).unwrap_or_default(),
    }
}

fn error(status: u16, code: Value, detail: &str) -> HttpReply {
    let body = serde_json::to_value(wire::error_body(status, code, detail)).unwrap_or_default();
    api_json(status, &body)
}

impl Emulator for B2binpayEmulator {
    fn owns(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix.as_str())
            .is_some_and(|r| r.starts_with('/'))
    }

    fn handle(&self, req: &HttpRequest) -> HttpReply {
        self.route(req)
            .unwrap_or_else(|| error(404, json!(404), "Not found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use b2c_core::b2binpay::verify_token_sign;

    fn req(path: &str, body: Value) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![("content-type".into(), wire::CONTENT_TYPE.into())],
            body: serde_json::to_vec(&body).unwrap(),
            peer: "127.0.0.1:1".parse().unwrap(),
        }
    }

    fn body(r: &HttpReply) -> (u16, Value) {
        match r {
            HttpReply::Response { status, body, .. } => {
                (*status, serde_json::from_slice(body).unwrap())
            }
            HttpReply::Drop | HttpReply::Raw { .. } => panic!("drop"),
        }
    }

    #[test]
    fn token_refresh_rotation() {
        let e = B2binpayEmulator::new(B2binpayEmulatorConfig::new("L", "P"));
        assert!(e.route(&req("/other/token/", json!({}))).is_none());
        let login = serde_json::to_value(wire::login_body("L", "P")).unwrap();
        let (s, v) = body(&e.route(&req("/b2binpay/token/", login.clone())).unwrap());
        assert_eq!(s, 200);
        let refresh = v["data"]["attributes"]["refresh"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(verify_token_sign(
            &sign_key("L", "P"),
            v["meta"]["time"].as_str().unwrap(),
            &refresh,
            v["meta"]["sign"].as_str().unwrap()
        ));
        let rb = serde_json::to_value(wire::refresh_body(&refresh)).unwrap();
        let (s, v) = body(
            &e.route(&req("/b2binpay/token/refresh/", rb.clone()))
                .unwrap(),
        );
        assert_eq!(s, 200);
        assert!(v["attributes"]["access"].is_string() && v.get("meta").is_none());
        let (s, v) = body(&e.route(&req("/b2binpay/token/refresh/", rb)).unwrap());
        assert_eq!((s, v["errors"][0]["code"].as_i64()), (401, Some(2007)));
        let bad = serde_json::to_value(wire::login_body("L", "x")).unwrap();
        let (s, v) = body(&e.route(&req("/b2binpay/token/", bad)).unwrap());
        assert_eq!((s, v["errors"][0]["code"].as_i64()), (400, Some(2006)));
        let st = e.stats();
        assert_eq!((st.token_calls, st.token_ok, st.token_rejected), (2, 1, 1));
        assert_eq!(
            (
                st.refresh_calls,
                st.refresh_ok,
                st.refresh_rejected,
                st.refresh_replayed
            ),
            (2, 1, 1, 1)
        );
        let mut wrong_type = req("/b2binpay/token/", login);
        wrong_type.headers = vec![("content-type".into(), "application/json".into())];
        assert_eq!(e.route(&wrong_type).unwrap().status(), Some(415));
    }
}
