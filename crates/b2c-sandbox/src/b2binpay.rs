//! B2BINPAY v2 token-auth emulator: `POST {prefix}/token/` and `POST {prefix}/token/refresh/`
//! (default prefix `/b2binpay`), written from the vendor page (seed 003, docs/PROTOCOLS.md
//! §3) with its own literals and its own HMAC:
//!
//! - signs `meta.sign` like the vendor: lowercase hex HMAC-SHA256(key = SHA-256(login ‖
//!   password) as the raw 32-byte digest, message = meta.time ‖ refresh);
//! - single-use, rotating refresh tokens; reuse or unknown → 401 code 2007;
//! - bad login → 400 code 2006; a body lacking a field → 400 naming it (`source.pointer`);
//! - the refresh answer is the bare resource, as the page's example shows; wrapped in
//!   `{"data": ...}` (as the page's prose and the community client read it) with
//!   `refresh_wrapped` / `--b2binpay-refresh-wrapped`;
//! - configurable (short) lifetimes, scripted 429/5xx faults, scripted tampered signs;
//! - lenient profile: any other path under the prefix with `Authorization: Bearer <access>`
//!   answers 200 with an echo (JSON:API content type), 401 with a bad token;
//! - counters of token, refresh and other calls.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::profile::Leniencies;
use super::server::{HttpReply, HttpRequest};
use super::util::{hex_lower, hmac_sha256, rfc3339_micros, sha256};
use super::Emulator;

/// Default mount point.
pub const DEFAULT_PREFIX: &str = "/b2binpay";
/// The token endpoint (the page writes both `[base]/token` and `[base]/token/`).
pub const PATH_TOKEN: &str = "/token/";
/// The refresh endpoint.
pub const PATH_REFRESH: &str = "/token/refresh/";
/// Content type of every request and answer body (JSON:API).
pub const CONTENT_TYPE: &str = "application/vnd.api+json";
/// JSON:API type of the token resource.
pub const RESOURCE_TYPE: &str = "auth-token";
/// 400: no active account found with the given credentials.
pub const CODE_BAD_CREDENTIALS: i64 = 2006;
/// 401: bad refresh token.
pub const CODE_BAD_REFRESH: i64 = 2007;
/// 429.
pub const CODE_THROTTLED: &str = "throttled";

/// Emulator settings.
#[derive(Clone)]
pub struct B2binpayEmulatorConfig {
    /// Path prefix, e.g. `/b2binpay` (the client's base URL is `{server}{prefix}`).
    pub prefix: String,
    pub login: String,
    pub password: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Answer `/token/refresh/` wrapped in `{"data": ...}` instead of the bare resource.
    pub refresh_wrapped: bool,
    /// The strict profile (no leniencies).
    pub strict: bool,
}

impl B2binpayEmulatorConfig {
    pub fn new(login: &str, password: &str) -> Self {
        B2binpayEmulatorConfig {
            prefix: DEFAULT_PREFIX.to_string(),
            login: login.to_string(),
            password: password.to_string(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(3600),
            refresh_wrapped: false,
            strict: false,
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
            .field("refresh_wrapped", &self.refresh_wrapped)
            .field("strict", &self.strict)
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
    /// Requests to other paths under the prefix (lenient profile; any outcome).
    pub other_calls: u64,
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
    leniencies: Arc<Leniencies>,
}

/// `meta.sign`: lowercase hex HMAC-SHA256(key = SHA-256(login ‖ password), msg = time ‖
/// refresh).
pub fn meta_sign(login: &str, password: &str, time: &str, refresh: &str) -> String {
    let key = sha256(&[login.as_bytes(), password.as_bytes()]);
    hex_lower(&hmac_sha256(&key, &[time.as_bytes(), refresh.as_bytes()]))
}

impl B2binpayEmulator {
    pub fn new(cfg: B2binpayEmulatorConfig) -> Self {
        let l = Arc::new(Leniencies::new(cfg.strict));
        Self::with_leniencies(cfg, l)
    }

    /// An emulator recording its leniencies in `leniencies` (whose profile wins over
    /// `cfg.strict`).
    pub fn with_leniencies(cfg: B2binpayEmulatorConfig, leniencies: Arc<Leniencies>) -> Self {
        B2binpayEmulator {
            prefix: cfg.prefix.trim_end_matches('/').to_string(),
            login: cfg.login,
            password: cfg.password,
            state: Mutex::new(State {
                access_ttl: cfg.access_ttl,
                refresh_ttl: cfg.refresh_ttl,
                bare_refresh: !cfg.refresh_wrapped,
                ..State::default()
            }),
            leniencies,
        }
    }

    /// The profile and the leniencies granted.
    pub fn leniencies(&self) -> &Arc<Leniencies> {
        &self.leniencies
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

    /// Whether refreshes are answered with the bare resource.
    pub fn bare_refresh(&self) -> bool {
        self.state.lock().bare_refresh
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
        let resource = json!({
            "type": RESOURCE_TYPE,
            "id": "0",
            "attributes": {
                "refresh": refresh,
                "access": access,
                "access_expired_at": rfc3339_micros(access_exp),
                "refresh_expired_at": rfc3339_micros(refresh_exp),
                "is_2fa_confirmed": false,
            },
        });
        (resource, rfc3339_micros(now), refresh)
    }

    fn fault(&self, st: &mut State, ep: Endpoint) -> Option<HttpReply> {
        let f = st.faults.get_mut(&ep)?.pop_front()?;
        st.stats.faults += 1;
        Some(match f {
            B2binpayFault::Throttled { retry_after_s } => {
                let r = error(429, json!(CODE_THROTTLED), "Request was throttled.");
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
        let attrs = match read_attributes(&req.body, &["login", "password"]) {
            Ok(a) => a,
            Err(r) => {
                st.stats.token_rejected += 1;
                return r;
            }
        };
        if attrs[0] != self.login || attrs[1] != self.password {
            st.stats.token_rejected += 1;
            return error(
                400,
                json!(CODE_BAD_CREDENTIALS),
                "No active account found with the given credentials",
            );
        }
        let (resource, time, refresh) = self.issue(&mut st);
        let mut sign = meta_sign(&self.login, &self.password, &time, &refresh);
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
        let presented = match read_attributes(&req.body, &["refresh"]) {
            Ok(mut a) => a.remove(0),
            Err(r) => {
                st.stats.refresh_rejected += 1;
                return r;
            }
        };
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
                json!(CODE_BAD_REFRESH),
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

    /// Any other path under the prefix (lenient only): a live access token, then an echo.
    fn other(&self, req: &HttpRequest) -> HttpReply {
        if !self.leniencies.allow("undocumented_endpoint") {
            return error(404, json!(404), "Not found");
        }
        self.state.lock().stats.other_calls += 1;
        let token = req.bearer();
        let Some(token) = token else {
            return error(
                401,
                json!("not_authenticated"),
                "Authentication credentials were not provided.",
            );
        };
        if !self.access_valid(token) {
            return error(
                401,
                json!("token_not_valid"),
                "Given token not valid for any token type",
            );
        }
        let body = if req.body.is_empty() {
            Value::Null
        } else {
            if req.media_type().as_deref() != Some(CONTENT_TYPE) {
                return error(415, json!(415), "Unsupported media type");
            }
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v) => v,
                Err(e) => {
                    return error(
                        400,
                        json!("parse_error"),
                        &format!("JSON parse error - {e}"),
                    )
                }
            }
        };
        api_json(
            200,
            &json!({
                "method": req.method,
                "path": req.path,
                "query": req.query,
                "body": body,
            }),
        )
    }

    /// Answer `req` if its path is ours; `None` otherwise.
    pub fn route(&self, req: &HttpRequest) -> Option<HttpReply> {
        let rest = req.path.strip_prefix(self.prefix.as_str())?;
        let ep = match rest {
            // The page writes `[base]/token` in the heading and `[base]/token/` in curl.
            "/token/" | "/token" => Endpoint::Token,
            "/token/refresh/" => Endpoint::Refresh,
            "/token/refresh" if self.leniencies.allow("b2binpay_no_trailing_slash") => {
                Endpoint::Refresh
            }
            p if p.starts_with('/') => return Some(self.other(req)),
            _ => return None,
        };
        if req.method != "POST" {
            return Some(error(405, json!(405), "Method not allowed"));
        }
        if req.media_type().as_deref() != Some(CONTENT_TYPE) {
            return Some(error(415, json!(415), "Unsupported media type"));
        }
        Some(match ep {
            Endpoint::Token => self.token(req),
            Endpoint::Refresh => self.refresh(req),
        })
    }
}

/// `data.attributes.<names>` of a JSON:API request body (`data.type` must be
/// `auth-token`), all strings; else 400 naming the field (`source.pointer`).
fn read_attributes(body: &[u8], names: &[&str]) -> Result<Vec<String>, HttpReply> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        error(
            400,
            json!("parse_error"),
            &format!("JSON parse error - {e}"),
        )
    })?;
    let field_error = |pointer: &str, detail: &str| {
        let body = json!({"errors": [{
            "code": "invalid",
            "detail": format!("{}: {detail}", pointer.trim_start_matches('/').replace('/', ".")),
            "status": "400",
            "source": {"pointer": pointer},
        }]});
        api_json(400, &body)
    };
    let data = match v.get("data") {
        Some(d) if d.is_object() => d,
        Some(_) => return Err(field_error("/data", "Must be an object.")),
        None => return Err(field_error("/data", "This field is required.")),
    };
    match data.get("type") {
        Some(Value::String(t)) if t == RESOURCE_TYPE => {}
        Some(_) => {
            return Err(field_error(
                "/data/type",
                &format!("Must be {RESOURCE_TYPE:?}."),
            ))
        }
        None => return Err(field_error("/data/type", "This field is required.")),
    }
    let attrs = match data.get("attributes") {
        Some(a) if a.is_object() => a,
        Some(_) => return Err(field_error("/data/attributes", "Must be an object.")),
        None => return Err(field_error("/data/attributes", "This field is required.")),
    };
    names
        .iter()
        .map(|n| match attrs.get(*n) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(field_error(
                &format!("/data/attributes/{n}"),
                "Not a valid string.",
            )),
            None => Err(field_error(
                &format!("/data/attributes/{n}"),
                "This field is required.",
            )),
        })
        .collect()
}

/// A JSON:API answer (`Content-Type: application/vnd.api+json`).
fn api_json(status: u16, v: &Value) -> HttpReply {
    HttpReply::Response {
        status,
        headers: vec![("Content-Type".into(), CONTENT_TYPE.into())],
        body: serde_json::to_vec(v).unwrap_or_default(),
    }
}

/// `{"errors": [{"code": code, "detail": detail, "status": "<status>"}]}`.
fn error(status: u16, code: Value, detail: &str) -> HttpReply {
    api_json(
        status,
        &json!({"errors": [{"code": code, "detail": detail, "status": status.to_string()}]}),
    )
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

    fn req(path: &str, body: Value) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![("content-type".into(), CONTENT_TYPE.into())],
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

    fn emulator(strict: bool) -> B2binpayEmulator {
        B2binpayEmulator::with_leniencies(
            B2binpayEmulatorConfig::new("L", "P"),
            Arc::new(Leniencies::quiet(strict)),
        )
    }

    fn login_body(login: &str, password: &str) -> Value {
        json!({"data": {"type": "auth-token", "attributes": {"login": login, "password": password}}})
    }

    fn refresh_body(refresh: &str) -> Value {
        json!({"data": {"type": "auth-token", "attributes": {"refresh": refresh}}})
    }

    #[test]
    fn meta_sign_fixed_vector() {
        // python3: key = hashlib.sha256(b"sandbox-login" + b"sandbox-password").digest();
        // hmac.new(key, (time + refresh).encode(), hashlib.sha256).hexdigest()
        assert_eq!(
            meta_sign(
                "sandbox-login",
                "sandbox-password",
                "2020-12-29T05:27:11.925654Z",
                "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.refresh"
            ),
            "5a4e1e9628ef43a5eb43a070be3288d48a6b6013ca23b8426366dec31ffe459b"
        );
    }

    #[test]
    fn token_refresh_rotation() {
        let e = emulator(false);
        assert!(e.route(&req("/other/token/", json!({}))).is_none());
        let (s, v) = body(
            &e.route(&req("/b2binpay/token/", login_body("L", "P")))
                .unwrap(),
        );
        assert_eq!(s, 200);
        let refresh = v["data"]["attributes"]["refresh"]
            .as_str()
            .unwrap()
            .to_string();
        let time = v["meta"]["time"].as_str().unwrap();
        assert_eq!(
            v["meta"]["sign"].as_str().unwrap(),
            meta_sign("L", "P", time, &refresh)
        );
        assert_eq!(v["data"]["type"], "auth-token");
        assert_eq!(v["data"]["attributes"]["is_2fa_confirmed"], false);
        let rb = refresh_body(&refresh);
        let (s, v) = body(
            &e.route(&req("/b2binpay/token/refresh/", rb.clone()))
                .unwrap(),
        );
        assert_eq!(s, 200);
        assert!(v["attributes"]["access"].is_string() && v.get("meta").is_none());
        let (s, v) = body(&e.route(&req("/b2binpay/token/refresh/", rb)).unwrap());
        assert_eq!((s, v["errors"][0]["code"].as_i64()), (401, Some(2007)));
        let (s, v) = body(
            &e.route(&req("/b2binpay/token/", login_body("L", "x")))
                .unwrap(),
        );
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
        let mut wrong_type = req("/b2binpay/token/", login_body("L", "P"));
        wrong_type.headers = vec![("content-type".into(), "application/json".into())];
        assert_eq!(e.route(&wrong_type).unwrap().status(), Some(415));
    }

    #[test]
    fn wrapped_refresh_switch() {
        let mut cfg = B2binpayEmulatorConfig::new("L", "P");
        cfg.refresh_wrapped = true;
        let e = B2binpayEmulator::with_leniencies(cfg, Arc::new(Leniencies::quiet(false)));
        assert!(!e.bare_refresh());
        let (_, v) = body(
            &e.route(&req("/b2binpay/token/", login_body("L", "P")))
                .unwrap(),
        );
        let rb = refresh_body(v["data"]["attributes"]["refresh"].as_str().unwrap());
        let (s, v) = body(&e.route(&req("/b2binpay/token/refresh/", rb)).unwrap());
        assert_eq!(s, 200);
        assert_eq!(v["data"]["type"], "auth-token");
        assert!(v["data"]["attributes"]["refresh"].is_string());
        assert!(v.get("meta").is_none());
    }

    #[test]
    fn missing_fields_are_named() {
        for strict in [false, true] {
            let e = emulator(strict);
            let (s, v) = body(
                &e.route(&req(
                    "/b2binpay/token/",
                    json!({"data": {"type": "auth-token", "attributes": {"login": "L"}}}),
                ))
                .unwrap(),
            );
            assert_eq!(s, 400);
            assert_eq!(
                v["errors"][0]["source"]["pointer"],
                "/data/attributes/password"
            );
            assert!(v["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("password"));
            let (s, v) = body(
                &e.route(&req("/b2binpay/token/refresh/", json!({"data": {}})))
                    .unwrap(),
            );
            assert_eq!(
                (s, &v["errors"][0]["source"]["pointer"]),
                (400, &json!("/data/type"))
            );
        }
    }

    #[test]
    fn other_paths_by_profile() {
        let e = emulator(false);
        let (_, v) = body(
            &e.route(&req("/b2binpay/token/", login_body("L", "P")))
                .unwrap(),
        );
        let access = v["data"]["attributes"]["access"].as_str().unwrap();
        let mut call = req("/b2binpay/v1/wallet/", json!({"data": {"type": "x"}}));
        assert_eq!(e.route(&call).unwrap().status(), Some(401));
        call.headers
            .push(("authorization".into(), format!("Bearer {access}")));
        call.query = "page=2".into();
        let (s, v) = body(&e.route(&call).unwrap());
        assert_eq!(s, 200);
        assert_eq!(
            v,
            json!({"method": "POST", "path": "/b2binpay/v1/wallet/", "query": "page=2", "body": {"data": {"type": "x"}}})
        );
        assert_eq!(e.stats().other_calls, 2);
        assert_eq!(e.leniencies().count("undocumented_endpoint"), 2);
        // Without the slash, refresh is a leniency.
        let r = e
            .route(&req("/b2binpay/token/refresh", refresh_body("nope")))
            .unwrap();
        assert_eq!(r.status(), Some(401));
        assert_eq!(e.leniencies().count("b2binpay_no_trailing_slash"), 1);

        let s = emulator(true);
        assert_eq!(s.route(&call).unwrap().status(), Some(404));
        let r = s
            .route(&req("/b2binpay/token/refresh", refresh_body("nope")))
            .unwrap();
        assert_eq!(r.status(), Some(404));
        assert_eq!(s.stats().other_calls, 0);
    }
}
