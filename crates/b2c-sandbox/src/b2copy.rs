//! The B2COPY emulator: external-CRM authorization, token refresh and fee processing,
//! written from the vendor's page (seeds 000/001, docs/PROTOCOLS.md §1) with its own
//! literals: nothing here comes from the client library.
//!
//! Every error is a gRPC-gateway body `{"code": <int>, "message": "<specific reason>",
//! "details": []}` with
//!
//! | HTTP | code | when |
//! |------|------|------|
//! | 400  | 3 (INVALID_ARGUMENT) | malformed JSON, a missing field (named), a wrong type, an empty field; unknown fields (strict) |
//! | 415  | 3 | `Content-Type` is not `application/json` (lenient: only if the body is not JSON either) |
//! | 401  | 16 (UNAUTHENTICATED) | any JWT, access- or refresh-token failure (message names the reason) |
//! | 409  | 6 (ALREADY_EXISTS) | a `request_id` reused with a different `account_login` (state unchanged) |
//! | 404  | 5 (NOT_FOUND) | unknown path (lenient: only outside `/api/`) |
//! | 405  | 12 (UNIMPLEMENTED) | method other than `POST` on the three documented paths (header `Allow: POST`) |
//!
//! Fee responses (HTTP 200): `{"account_login": "...", "request_id": "...", "status": 1|2|3}`
//! (`"status": "FEE_PROCESS_STATUS_PENDING"` etc. with `fee_status_names`); status 3 adds
//! `"error": {"code": "INSUFFICIENT_FUNDS", "message": "insufficient funds on account <login> to charge the fee"}`.
//!
//! Lenient only: any other path under `/api/` with a valid access token answers 200
//! `{"method", "path", "query", "body"}` (leniency `undocumented_endpoint`); without one it
//! answers 401 exactly as processext does.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};

use super::profile::Leniencies;
use super::server::{HttpReply, HttpRequest};
use super::util::{rfc3339_micros, unix_now};
use super::{Emulator, RegisteredKey, SandboxConfig, Stats, TokenShape};

/// `POST` — exchange an external JWT for a token pair (the vendor page).
pub const PATH_AUTH: &str = "/api/admin/auth/v2/admin/adminservice/authexternalcrm";
/// `POST` with `Authorization: Bearer <refreshToken>` — a new token pair.
pub const PATH_REFRESH: &str = "/api/admin/auth/v2/admin/adminservice/refreshtoken";
/// `POST` with `Authorization: Bearer <accessToken>` — charge the fees for a withdrawal.
pub const PATH_PROCESS: &str = "/api/admin/fees/v2/fee/feeservice/processext";
/// Every path the vendor page documents ("All other API requests to B2COPY must include the
/// obtained access token": other paths under [`API_PREFIX`] exist but are not documented).
pub const PATHS: [&str; 3] = [PATH_AUTH, PATH_REFRESH, PATH_PROCESS];
/// Where B2COPY's API lives.
pub const API_PREFIX: &str = "/api/";

const CONTENT_TYPE_JSON: &str = "application/json";

/// gRPC status codes used in error bodies.
pub const CODE_INVALID_ARGUMENT: i64 = 3;
pub const CODE_NOT_FOUND: i64 = 5;
pub const CODE_ALREADY_EXISTS: i64 = 6;
pub const CODE_UNIMPLEMENTED: i64 = 12;
pub const CODE_UNAVAILABLE: i64 = 14;
pub const CODE_UNAUTHENTICATED: i64 = 16;

/// Fee statuses (the page's "Possible statuses").
pub const STATUS_PENDING: i64 = 1;
pub const STATUS_SUCCESS: i64 = 2;
pub const STATUS_ERROR: i64 = 3;
/// The enum names of the statuses, as a gRPC gateway may emit them.
pub const STATUS_NAMES: [(i64, &str); 3] = [
    (STATUS_PENDING, "FEE_PROCESS_STATUS_PENDING"),
    (STATUS_SUCCESS, "FEE_PROCESS_STATUS_SUCCESS"),
    (STATUS_ERROR, "FEE_PROCESS_STATUS_ERROR"),
];

/// Key of the error details object added to a status-3 fee response (sandbox extension).
pub const FEE_ERROR_FIELD: &str = "error";
/// `error.code` of a status-3 fee response.
pub const FEE_ERROR_CODE: &str = "INSUFFICIENT_FUNDS";

/// The JWS algorithm the page prescribes, and the `typ` of the usual JWT header.
const JWT_ALG: &str = "ES256";
const JWT_TYP: &str = "JWT";
/// `admin_id` is a Java `long` in the vendor's sample.
const ADMIN_ID_MAX: u64 = i64::MAX as u64;

/// A gRPC-gateway error reply.
pub fn gateway_error(status: u16, code: i64, message: &str) -> HttpReply {
    HttpReply::json(
        status,
        &json!({"code": code, "message": message, "details": []}),
    )
}

fn unauthenticated(message: &str) -> HttpReply {
    gateway_error(401, CODE_UNAUTHENTICATED, message)
}

fn bad_request(message: &str) -> HttpReply {
    gateway_error(400, CODE_INVALID_ARGUMENT, message)
}

struct KeyEntry {
    admin_id: u64,
    allowed_ips: Vec<String>,
    vk: VerifyingKey,
}

struct AccessRec {
    family: u64,
    expires: Instant,
    dead: bool,
}

struct RefreshRec {
    family: u64,
    admin_id: u64,
    expires: Instant,
    used: bool,
    dead: bool,
    access: String,
}

struct FeeRec {
    login: String,
    first_seen: Instant,
    pending_answers: u32,
    calls: u32,
    status: i64,
}

struct State {
    keys: HashMap<String, KeyEntry>,
    access: HashMap<String, AccessRec>,
    refresh: HashMap<String, RefreshRec>,
    revoked_families: HashSet<u64>,
    next_family: u64,
    fees: HashMap<String, FeeRec>,
    stats: Stats,
    rng: fastrand::Rng,
}

/// The B2COPY emulator (state + handler). Thread-safe.
pub struct B2copyEmulator {
    cfg: SandboxConfig,
    state: Mutex<State>,
    /// Token exchanges (authexternalcrm, refreshtoken) being answered right now.
    exchanges_in_flight: AtomicU64,
    leniencies: Arc<Leniencies>,
    fee_status_names: AtomicBool,
    object_tokens: AtomicBool,
}

/// Tokens kept before expired ones are pruned.
const PRUNE_AT: usize = 100_000;

/// The fields of a JSON request body: (snake_case name, camelCase alias).
type FieldNames = [(&'static str, &'static str)];

impl B2copyEmulator {
    /// An emulator with its own profile (`cfg.strict`).
    pub fn new(cfg: &SandboxConfig) -> Self {
        Self::with_leniencies(cfg, Arc::new(Leniencies::new(cfg.strict)))
    }

    /// An emulator recording its leniencies in `leniencies` (whose profile wins over
    /// `cfg.strict`).
    pub fn with_leniencies(cfg: &SandboxConfig, leniencies: Arc<Leniencies>) -> Self {
        B2copyEmulator {
            cfg: cfg.clone(),
            state: Mutex::new(State {
                keys: HashMap::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                revoked_families: HashSet::new(),
                next_family: 1,
                fees: HashMap::new(),
                stats: Stats::default(),
                rng: fastrand::Rng::new(),
            }),
            exchanges_in_flight: AtomicU64::new(0),
            leniencies,
            fee_status_names: AtomicBool::new(cfg.fee_status_names),
            object_tokens: AtomicBool::new(cfg.token_shape == TokenShape::Object),
        }
    }

    /// The profile and the leniencies granted.
    pub fn leniencies(&self) -> &Arc<Leniencies> {
        &self.leniencies
    }

    /// Answer processext's `status` as the enum name (`"FEE_PROCESS_STATUS_SUCCESS"`)
    /// instead of the number, from now on.
    pub fn set_fee_status_names(&self, names: bool) {
        self.fee_status_names.store(names, Ordering::SeqCst);
    }

    /// Shape of the tokens issued from now on.
    pub fn set_token_shape(&self, shape: TokenShape) {
        self.object_tokens
            .store(shape == TokenShape::Object, Ordering::SeqCst);
    }

    /// The current switches: (fee status names, token shape).
    pub fn switches(&self) -> (bool, TokenShape) {
        let shape = if self.object_tokens.load(Ordering::SeqCst) {
            TokenShape::Object
        } else {
            TokenShape::Plain
        };
        (self.fee_status_names.load(Ordering::SeqCst), shape)
    }

    /// Register (or replace) a public key. Errors if the PEM is not an SPKI P-256 key.
    pub fn register_key(&self, key: RegisteredKey) -> Result<(), String> {
        if key.key_id.is_empty() {
            return Err("key_id must not be empty".into());
        }
        let pk = p256::PublicKey::from_public_key_pem(key.public_key_pem.trim()).map_err(|e| {
            format!("not an SPKI PEM P-256 public key (BEGIN PUBLIC KEY, curve prime256v1): {e}")
        })?;
        self.state.lock().keys.insert(
            key.key_id,
            KeyEntry {
                admin_id: key.admin_id,
                allowed_ips: key.allowed_ips,
                vk: VerifyingKey::from(pk),
            },
        );
        Ok(())
    }

    /// Every access token issued so far answers 401 from now on.
    pub fn expire_access_tokens(&self) {
        for r in self.state.lock().access.values_mut() {
            r.dead = true;
        }
    }

    /// Every refresh token issued so far answers 401 from now on.
    pub fn revoke_refresh_tokens(&self) {
        for r in self.state.lock().refresh.values_mut() {
            r.dead = true;
        }
    }

    /// Counters (`faults_injected` is filled in by the caller).
    pub fn stats(&self) -> Stats {
        self.state.lock().stats.clone()
    }

    /// `(account_login, status, calls seen for this request_id)`.
    pub fn fee_state(&self, request_id: &str) -> Option<(String, i64, u32)> {
        self.state
            .lock()
            .fees
            .get(request_id)
            .map(|f| (f.login.clone(), f.status, f.calls))
    }

    fn auth(&self, req: &HttpRequest) -> HttpReply {
        let reply = match self.check_auth(req) {
            Ok(admin_id) => {
                let mut st = self.state.lock();
                let family = st.next_family;
                st.next_family += 1;
                let pair = self.issue_pair(&mut st, family, admin_id);
                st.stats.auth_ok += 1;
                return pair;
            }
            Err(r) => r,
        };
        self.state.lock().stats.auth_rejected += 1;
        reply
    }

    fn check_auth(&self, req: &HttpRequest) -> Result<u64, HttpReply> {
        let Some(body) = self.json_body(req)? else {
            return Err(bad_request("malformed request body: empty"));
        };
        let fields = self.fields(&body, &[("external_token", "externalToken")])?;
        let token = &fields[0];
        if token.is_empty() {
            return Err(bad_request("external_token must not be empty"));
        }
        let (admin_id, used) = self
            .verify_external(token, unix_now())
            .map_err(|m| unauthenticated(&m))?;
        for name in used {
            self.leniencies.allow(name);
        }
        Ok(admin_id)
    }

    /// The JSON body of `req`: `None` if empty. `Content-Type` must be `application/json`
    /// (parameters allowed); the lenient profile also takes a JSON body under another type
    /// (leniency `b2copy_content_type_not_json`), else 415.
    fn json_body(&self, req: &HttpRequest) -> Result<Option<Value>, HttpReply> {
        let parsed = if req.body.is_empty() {
            None
        } else {
            Some(serde_json::from_slice::<Value>(&req.body))
        };
        if req.media_type().as_deref() == Some(CONTENT_TYPE_JSON) {
            return match parsed {
                None => Ok(None),
                Some(Ok(v)) => Ok(Some(v)),
                Some(Err(e)) => Err(bad_request(&format!(
                    "malformed request body: not valid JSON: {e}"
                ))),
            };
        }
        match parsed {
            Some(Ok(v)) if self.leniencies.allow("b2copy_content_type_not_json") => Ok(Some(v)),
            None if !self.leniencies.is_strict() => Ok(None),
            _ => Err(gateway_error(
                415,
                CODE_INVALID_ARGUMENT,
                "Content-Type must be application/json",
            )),
        }
    }

    /// The string values of `names` in a JSON-object body, each under its snake_case name
    /// (or, lenient, its camelCase alias). A missing field is named in the answer.
    fn fields(&self, body: &Value, names: &FieldNames) -> Result<Vec<String>, HttpReply> {
        let Some(obj) = body.as_object() else {
            return Err(bad_request(
                "malformed request body: expected a JSON object",
            ));
        };
        let strict = self.leniencies.is_strict();
        let mut used: Vec<&'static str> = Vec::new();
        let mut out = Vec::with_capacity(names.len());
        for (snake, camel) in names {
            let v = match (obj.get(*snake), obj.get(*camel)) {
                (Some(_), Some(_)) => {
                    return Err(bad_request(&format!(
                        "malformed request body: both {snake:?} and {camel:?} given"
                    )))
                }
                (Some(v), None) => v,
                (None, Some(v)) if !strict => {
                    used.push("b2copy_camel_case_field");
                    v
                }
                (None, Some(_)) => {
                    return Err(bad_request(&format!(
                        "malformed request body: missing field {snake:?} (the camelCase {camel:?} is accepted only by the lenient profile)"
                    )))
                }
                (None, None) => {
                    return Err(bad_request(&format!(
                        "malformed request body: missing field {snake:?}"
                    )))
                }
            };
            let Some(s) = v.as_str() else {
                return Err(bad_request(&format!(
                    "malformed request body: field {snake:?} must be a string"
                )));
            };
            out.push(s.to_string());
        }
        if let Some(k) = obj
            .keys()
            .find(|k| !names.iter().any(|(s, c)| k == s || k == c))
        {
            if strict {
                return Err(bad_request(&format!(
                    "malformed request body: unknown field {:?}",
                    truncate(k)
                )));
            }
            used.push("b2copy_unknown_field");
        }
        used.dedup();
        for name in used {
            self.leniencies.allow(name);
        }
        Ok(out)
    }

    /// Verify an external JWT at time `now` (Unix seconds): `Ok((admin_id, leniencies it
    /// needs))` or the specific reason.
    fn verify_external(&self, token: &str, now: u64) -> Result<(u64, Vec<&'static str>), String> {
        let strict = self.leniencies.is_strict();
        let mut used: Vec<&'static str> = Vec::new();
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(format!(
                "external_token must be a compact JWS with 3 parts, got {}",
                parts.len()
            ));
        }
        let dec = |what: &str, s: &str| {
            URL_SAFE_NO_PAD
                .decode(s)
                .map_err(|_| format!("JWT {what} is not unpadded base64url"))
        };
        let header: Value = serde_json::from_slice(&dec("header", parts[0])?)
            .map_err(|e| format!("malformed JWT header: {e}"))?;
        let Some(header) = header.as_object() else {
            return Err("malformed JWT header: expected a JSON object".into());
        };
        let alg = header.get("alg").and_then(Value::as_str);
        if alg != Some(JWT_ALG) {
            return Err(format!(
                "unsupported JWT alg {:?}; expected {JWT_ALG:?}",
                truncate(alg.unwrap_or(""))
            ));
        }
        match header.get("typ") {
            None if strict => {
                return Err(
                    "malformed JWT header: missing \"typ\" (expected \"JWT\"; the lenient profile accepts a header without it)"
                        .into(),
                )
            }
            None => used.push("b2copy_jwt_typ_missing"),
            Some(Value::String(t)) if t == JWT_TYP => {}
            Some(Value::String(t)) if t.eq_ignore_ascii_case(JWT_TYP) && !strict => {
                used.push("b2copy_jwt_typ_case")
            }
            Some(t) => {
                return Err(format!(
                    "unsupported JWT typ {:?}; expected {JWT_TYP:?}",
                    truncate(&t.as_str().map_or_else(|| t.to_string(), str::to_string))
                ))
            }
        }
        if header.contains_key("crit") {
            return Err("JWT header \"crit\" is not supported".into());
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => return Err("malformed JWT header: \"kid\" must be a string".into()),
        };
        let payload = dec("payload", parts[1])?;
        let sig = dec("signature", parts[2])?;
        if sig.len() != 64 {
            return Err(format!(
                "ES256 signature must be 64 bytes raw r||s (JOSE form, not DER), got {} bytes",
                sig.len()
            ));
        }
        let claims = self.claims(&payload, &mut used)?;
        let st = self.state.lock();
        let Some(key) = st.keys.get(&claims.key_id) else {
            return Err("unknown key_id".into());
        };
        if let Some(kid) = &kid {
            if *kid != claims.key_id {
                return Err("JWT header kid does not match the key_id claim".into());
            }
        }
        let signing_input = &token[..parts[0].len() + 1 + parts[1].len()];
        if !verify_es256(&key.vk, signing_input.as_bytes(), &sig)? {
            return Err("JWT signature verification failed".into());
        }
        if claims.admin_id != key.admin_id {
            return Err("admin_id does not match the admin registered for this key_id".into());
        }
        if !key.allowed_ips.is_empty() && !key.allowed_ips.contains(&claims.device_ip) {
            return Err("device_ip is not among the allowed IPs for this key_id".into());
        }
        drop(st);
        let skew = self.cfg.clock_skew.as_secs_f64();
        let now = now as f64;
        let max_ttl = self.cfg.max_jwt_ttl.as_secs_f64();
        let exp = claims.exp;
        if let Some(iat) = claims.iat {
            if iat > now + skew {
                return Err("JWT iat is in the future".into());
            }
            if exp <= iat {
                return Err("JWT exp must be after iat".into());
            }
        }
        if exp + skew <= now {
            return Err("JWT has expired".into());
        }
        let lifetime = exp - claims.iat.unwrap_or(now);
        if lifetime > max_ttl {
            return Err(format!(
                "JWT lifetime exp - iat = {lifetime} s exceeds the maximum of {max_ttl} s"
            ));
        }
        used.sort_unstable();
        used.dedup();
        Ok((claims.admin_id, used))
    }

    /// The claims of an external JWT; each problem names the claim.
    fn claims(&self, payload: &[u8], used: &mut Vec<&'static str>) -> Result<Claims, String> {
        let strict = self.leniencies.is_strict();
        let v: Value = serde_json::from_slice(payload)
            .map_err(|e| format!("invalid JWT claims: not valid JSON: {e}"))?;
        let Some(c) = v.as_object() else {
            return Err("invalid JWT claims: expected a JSON object".into());
        };
        let missing = |n: &str| format!("invalid JWT claims: missing claim {n:?}");
        let string = |n: &str| -> Result<String, String> {
            match c.get(n) {
                None => Err(missing(n)),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!("invalid JWT claims: {n:?} must be a string")),
            }
        };
        let admin_id =
            match c.get("admin_id") {
                None => return Err(missing("admin_id")),
                Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or(0),
                Some(_) => return Err(
                    "invalid JWT claims: \"admin_id\" must be a non-negative integer JSON number"
                        .into(),
                ),
            };
        if admin_id > ADMIN_ID_MAX {
            return Err("invalid JWT claims: \"admin_id\" exceeds a Java long".into());
        }
        let device_ip = string("device_ip")?;
        let key_id = string("key_id")?;
        match c.get("iss") {
            Some(Value::String(_)) => {}
            Some(_) => return Err("invalid JWT claims: \"iss\" must be a string".into()),
            None if strict => return Err(missing("iss")),
            None => used.push("b2copy_jwt_iss_missing"),
        }
        let mut time = |n: &str| -> Result<Option<f64>, String> {
            match c.get(n) {
                None => Ok(None),
                Some(Value::Number(x)) => {
                    if let Some(i) = x.as_u64() {
                        return Ok(Some(i as f64));
                    }
                    match x.as_f64() {
                        Some(f) if f >= 0.0 && f.is_finite() && !strict => {
                            used.push("b2copy_jwt_fractional_time");
                            Ok(Some(f))
                        }
                        _ => Err(format!(
                            "invalid JWT claims: {n:?} must be a non-negative integer NumericDate"
                        )),
                    }
                }
                Some(_) => Err(format!("invalid JWT claims: {n:?} must be a number")),
            }
        };
        let iat = time("iat")?;
        let exp = time("exp")?;
        let Some(exp) = exp else {
            return Err(missing("exp"));
        };
        if iat.is_none() {
            if strict {
                return Err(missing("iat"));
            }
            used.push("b2copy_jwt_iat_missing");
        }
        Ok(Claims {
            admin_id,
            device_ip,
            key_id,
            iat,
            exp,
        })
    }

    fn refresh(&self, req: &HttpRequest) -> HttpReply {
        let reply = self.do_refresh(req);
        let mut st = self.state.lock();
        if reply.status() == Some(200) {
            st.stats.refresh_ok += 1;
        } else {
            st.stats.refresh_rejected += 1;
        }
        reply
    }

    fn do_refresh(&self, req: &HttpRequest) -> HttpReply {
        let Some(token) = req.bearer() else {
            return unauthenticated("missing Authorization: Bearer <refreshToken>");
        };
        if !req.body.is_empty() {
            match self.json_body(req) {
                Err(r) => return r,
                Ok(Some(Value::Object(_))) | Ok(None) => {}
                Ok(Some(_)) => return bad_request("request body must be empty or a JSON object"),
            }
        }
        let now = Instant::now();
        let mut st = self.state.lock();
        let Some(rec) = st.refresh.get(token) else {
            return unauthenticated("unknown refresh token");
        };
        let family = rec.family;
        let admin_id = rec.admin_id;
        if rec.used {
            // Reuse of a rotated refresh token: revoke everything descended from this login.
            st.revoked_families.insert(family);
            return unauthenticated("refresh token reuse detected; token family revoked");
        }
        if rec.dead || st.revoked_families.contains(&family) {
            return unauthenticated("refresh token revoked");
        }
        if now >= rec.expires {
            return unauthenticated("refresh token expired");
        }
        let old_access = rec.access.clone();
        if let Some(r) = st.refresh.get_mut(token) {
            r.used = true;
        }
        if let Some(a) = st.access.get_mut(&old_access) {
            a.dead = true;
        }
        self.issue_pair(&mut st, family, admin_id)
    }

    /// A valid access token in `Authorization: Bearer`, else the 401 processext answers.
    fn check_access(&self, req: &HttpRequest) -> Result<(), HttpReply> {
        let Some(token) = req.bearer() else {
            return Err(unauthenticated(
                "missing Authorization: Bearer <accessToken>",
            ));
        };
        let st = self.state.lock();
        let Some(rec) = st.access.get(token) else {
            return Err(unauthenticated("unknown access token"));
        };
        if rec.dead || st.revoked_families.contains(&rec.family) {
            return Err(unauthenticated("access token revoked or expired"));
        }
        if Instant::now() >= rec.expires {
            return Err(unauthenticated("access token expired"));
        }
        Ok(())
    }

    fn process(&self, req: &HttpRequest) -> HttpReply {
        self.state.lock().stats.process_calls += 1;
        if let Err(r) = self.check_access(req) {
            return r;
        }
        let body = match self.json_body(req) {
            Ok(Some(b)) => b,
            Ok(None) => return bad_request("malformed request body: empty"),
            Err(r) => return r,
        };
        let fields = match self.fields(
            &body,
            &[
                ("account_login", "accountLogin"),
                ("request_id", "requestId"),
            ],
        ) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let (account_login, request_id) = (fields[0].clone(), fields[1].clone());
        if account_login.is_empty() || request_id.is_empty() {
            return bad_request("account_login and request_id must be non-empty strings");
        }
        let now = Instant::now();
        let mut st = self.state.lock();
        let rec = st.fees.entry(request_id.clone()).or_insert_with(|| FeeRec {
            login: account_login.clone(),
            first_seen: now,
            pending_answers: 0,
            calls: 0,
            status: STATUS_PENDING,
        });
        if rec.login != account_login {
            return gateway_error(
                409,
                CODE_ALREADY_EXISTS,
                "request_id already used with a different account_login",
            );
        }
        rec.calls = rec.calls.saturating_add(1);
        if rec.status == STATUS_PENDING {
            let polls_done = rec.pending_answers >= self.cfg.pending_polls;
            let time_done = now.duration_since(rec.first_seen) >= self.cfg.pending_for;
            if polls_done && time_done {
                rec.status = if self.cfg.error_logins.contains(&rec.login) {
                    STATUS_ERROR
                } else {
                    STATUS_SUCCESS
                };
            } else {
                rec.pending_answers += 1;
            }
        }
        let status = rec.status;
        drop(st);
        let error = (status == STATUS_ERROR).then(|| {
            json!({
                "code": FEE_ERROR_CODE,
                "message": format!("insufficient funds on account {account_login} to charge the fee"),
            })
        });
        let status = if self.fee_status_names.load(Ordering::SeqCst) {
            Value::from(status_name(status))
        } else {
            Value::from(status)
        };
        let resp = FeeAnswer {
            account_login,
            request_id,
            status,
            error,
        };
        HttpReply::json_bytes(200, serde_json::to_vec(&resp).unwrap_or_default())
    }

    /// Any other path under `/api/` (lenient only): a valid access token, then an echo.
    fn other(&self, req: &HttpRequest) -> HttpReply {
        if !self.leniencies.allow("undocumented_endpoint") {
            return gateway_error(404, CODE_NOT_FOUND, "not found");
        }
        self.state.lock().stats.other_calls += 1;
        if let Err(r) = self.check_access(req) {
            return r;
        }
        let body = match self.json_body(req) {
            Ok(b) => b.unwrap_or(Value::Null),
            Err(r) => return r,
        };
        HttpReply::json(
            200,
            &json!({
                "method": req.method,
                "path": req.path,
                "query": req.query,
                "body": body,
            }),
        )
    }

    /// Issue a fresh access/refresh pair in `family` and answer it.
    fn issue_pair(&self, st: &mut State, family: u64, admin_id: u64) -> HttpReply {
        if st.access.len() + st.refresh.len() > PRUNE_AT {
            let now = Instant::now();
            st.access.retain(|_, r| r.expires > now);
            st.refresh.retain(|_, r| r.expires > now);
        }
        let now = Instant::now();
        let wall = SystemTime::now();
        let access = self.mint(st, "access", admin_id, family, self.cfg.access_ttl);
        let refresh = self.mint(st, "refresh", admin_id, family, self.cfg.refresh_ttl);
        st.access.insert(
            access.clone(),
            AccessRec {
                family,
                expires: now + self.cfg.access_ttl,
                dead: false,
            },
        );
        st.refresh.insert(
            refresh.clone(),
            RefreshRec {
                family,
                admin_id,
                expires: now + self.cfg.refresh_ttl,
                used: false,
                dead: false,
                access: access.clone(),
            },
        );
        let object = self.object_tokens.load(Ordering::SeqCst);
        let field = |t: String, ttl: Duration| {
            if object {
                json!({
                    "token": t,
                    "createdAt": rfc3339_micros(wall),
                    "expiresAt": rfc3339_micros(wall + ttl),
                })
            } else {
                Value::String(t)
            }
        };
        let pair = TokenPair {
            access_token: field(access, self.cfg.access_ttl),
            refresh_token: field(refresh, self.cfg.refresh_ttl),
        };
        HttpReply::json_bytes(200, serde_json::to_vec(&pair).unwrap_or_default())
    }

    /// A fresh random token: an unsigned-but-well-formed JWT (`exp` readable) or an opaque
    /// string, per config.
    fn mint(
        &self,
        st: &mut State,
        kind: &str,
        admin_id: u64,
        family: u64,
        ttl: Duration,
    ) -> String {
        let mut rand = [0u8; 32];
        st.rng.fill(&mut rand);
        if !self.cfg.jwt_tokens {
            return format!("sbx_{kind}_{}", super::util::hex_lower(&rand));
        }
        let iat = unix_now();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = json!({
            "sub": admin_id.to_string(),
            "typ": kind,
            "fam": family,
            "iat": iat,
            "exp": iat + ttl.as_secs(),
            "jti": super::util::hex_lower(&rand[..16]),
        });
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let sig = URL_SAFE_NO_PAD.encode(&rand[16..]);
        format!("{header}.{payload}.{sig}")
    }
}

/// The claims the emulator reads.
struct Claims {
    admin_id: u64,
    device_ip: String,
    key_id: String,
    iat: Option<f64>,
    exp: f64,
}

/// `{"accessToken": ..., "refreshToken": ...}` (the page's response example).
#[derive(Serialize)]
struct TokenPair {
    #[serde(rename = "accessToken")]
    access_token: Value,
    #[serde(rename = "refreshToken")]
    refresh_token: Value,
}

/// processext's answer, fields in the page's order.
#[derive(Serialize)]
struct FeeAnswer {
    account_login: String,
    request_id: String,
    status: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Value>,
}

/// The enum name of a fee status.
pub fn status_name(status: i64) -> &'static str {
    STATUS_NAMES
        .iter()
        .find(|(n, _)| *n == status)
        .map_or("FEE_PROCESS_STATUS_UNSPECIFIED", |(_, s)| *s)
}

/// ES256 (RFC 7518 §3.4): ECDSA P-256 with SHA-256 over `input`, `sig` the 64-byte `r‖s`.
/// `Err` if `sig` is not a valid pair of scalars, `Ok(false)` if it does not verify.
pub fn verify_es256(vk: &VerifyingKey, input: &[u8], sig: &[u8]) -> Result<bool, String> {
    let signature = Signature::from_slice(sig)
        .map_err(|_| "ES256 signature is not a valid P-256 r||s pair".to_string())?;
    Ok(vk.verify(input, &signature).is_ok())
}

fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

/// Serves what the B2COPY emulator does not own: every other path under `/api/`. Mounted
/// after every other emulator, so an emulator added with [`super::Sandbox::start_with`]
/// keeps the paths it owns. Strict: 404 as for any unknown path.
pub(crate) struct B2copyOther(pub(crate) Arc<B2copyEmulator>);

impl Emulator for B2copyOther {
    fn owns(&self, path: &str) -> bool {
        path.starts_with(API_PREFIX) && !self.0.leniencies.is_strict()
    }

    fn handle(&self, req: &HttpRequest) -> HttpReply {
        self.0.other(req)
    }
}

impl Emulator for B2copyEmulator {
    fn owns(&self, path: &str) -> bool {
        PATHS.contains(&path)
    }

    fn handle(&self, req: &HttpRequest) -> HttpReply {
        if !PATHS.contains(&req.path.as_str()) {
            return self.other(req);
        }
        if req.method != "POST" {
            return gateway_error(405, CODE_UNIMPLEMENTED, "method not allowed; use POST")
                .with_header("Allow", "POST");
        }
        match req.path.as_str() {
            PATH_AUTH | PATH_REFRESH => {
                let now = self.exchanges_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                {
                    let mut st = self.state.lock();
                    st.stats.exchanges_concurrent_max = st.stats.exchanges_concurrent_max.max(now);
                }
                let reply = if req.path == PATH_AUTH {
                    self.auth(req)
                } else {
                    self.refresh(req)
                };
                self.exchanges_in_flight.fetch_sub(1, Ordering::SeqCst);
                reply
            }
            _ => self.process(req),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixed vectors: a P-256 key made with `openssl genpkey -algorithm EC -pkeyopt
    /// ec_paramgen_curve:P-256`, JWTs signed with `openssl dgst -sha256 -sign` over
    /// `header.payload` and the DER signature converted to raw r||s (README.md, "Fixed
    /// vectors"). Claims: iss your-service, iat 1700000000, exp 1700001800, admin_id 42,
    /// device_ip 203.0.113.10, key_id crm-key-1.
    const VEC_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgYL64sLqs4MwKq0w+fL8SdtOpGhp
LL/AAKVbMAnw5m2PWmUFiPU0jtyGDJN77O0iHdBMvekC+I8Ym7JvtB88jg==
-----END PUBLIC KEY-----
";
    /// Header `{"alg":"ES256"}` (no typ: jjwt's output).
    const VEC_JWT_NO_TYP: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ5b3VyLXNlcnZpY2UiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMTgwMCwiYWRtaW5faWQiOjQyLCJkZXZpY2VfaXAiOiIyMDMuMC4xMTMuMTAiLCJrZXlfaWQiOiJjcm0ta2V5LTEifQ.TL9BbSpqR_98nya6y45Tiv_zNWm7mefMZpWu2RaKZAxQ9oJE25gLrhFVDYJQQcecLvaa5WHi9R6nOcUq483lIw";
    /// Header `{"alg":"ES256","typ":"JWT"}`.
    const VEC_JWT: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ5b3VyLXNlcnZpY2UiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMTgwMCwiYWRtaW5faWQiOjQyLCJkZXZpY2VfaXAiOiIyMDMuMC4xMTMuMTAiLCJrZXlfaWQiOiJjcm0ta2V5LTEifQ.VXec-2x5fYpWvh7cZIyX2uXfRS9O6MDECJjnOy-4xF9ZHChIRxhJ5v0bzrbjVTuzwRjTlYVC3RZPqNYjFpA6Mw";
    /// Header `{"alg":"ES256","typ":"jwt"}`.
    const VEC_JWT_LOWER_TYP: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6Imp3dCJ9.eyJpc3MiOiJ5b3VyLXNlcnZpY2UiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMTgwMCwiYWRtaW5faWQiOjQyLCJkZXZpY2VfaXAiOiIyMDMuMC4xMTMuMTAiLCJrZXlfaWQiOiJjcm0ta2V5LTEifQ.DzNvReSceu4RdS1SLcILx3av93nqpmz1dgedMQtvH8VduqbKZZUBKtmw1RZy_nWOV3W-G1TmO8NAbheRxhO48g";
    const VEC_NOW: u64 = 1_700_000_100;

    fn emulator(strict: bool) -> B2copyEmulator {
        let cfg = SandboxConfig {
            strict,
            max_jwt_ttl: Duration::from_secs(1800),
            ..SandboxConfig::default()
        };
        let e = B2copyEmulator::with_leniencies(&cfg, Arc::new(Leniencies::quiet(strict)));
        e.register_key(RegisteredKey {
            key_id: "crm-key-1".into(),
            public_key_pem: VEC_PUBLIC_PEM.into(),
            admin_id: 42,
            allowed_ips: vec!["203.0.113.10".into()],
        })
        .unwrap();
        e
    }

    #[test]
    fn es256_fixed_vectors_verify() {
        let e = emulator(true);
        assert_eq!(e.verify_external(VEC_JWT, VEC_NOW).unwrap(), (42, vec![]));
        // One flipped bit in the signature, or in the payload, fails.
        let mut bad = VEC_JWT.to_string();
        let last = bad.pop().unwrap();
        bad.push(if last == 'w' { 'x' } else { 'w' });
        assert!(e.verify_external(&bad, VEC_NOW).is_err());
        let forged = VEC_JWT.replacen(".eyJpc3MiOiJ5", ".eyJpc3MiOiJ6", 1);
        assert!(e
            .verify_external(&forged, VEC_NOW)
            .unwrap_err()
            .contains("signature"));
        // Expired at a later now; not yet valid at an earlier one.
        assert!(e
            .verify_external(VEC_JWT, 1_700_001_800 + 61)
            .unwrap_err()
            .contains("expired"));
        assert!(e
            .verify_external(VEC_JWT, 1_700_000_000 - 61)
            .unwrap_err()
            .contains("future"));
    }

    #[test]
    fn typ_leniencies_by_profile() {
        let strict = emulator(true);
        let msg = strict.verify_external(VEC_JWT_NO_TYP, VEC_NOW).unwrap_err();
        assert!(msg.contains("typ"), "{msg}");
        let msg = strict
            .verify_external(VEC_JWT_LOWER_TYP, VEC_NOW)
            .unwrap_err();
        assert!(msg.contains("typ"), "{msg}");
        let lenient = emulator(false);
        assert_eq!(
            lenient.verify_external(VEC_JWT_NO_TYP, VEC_NOW).unwrap(),
            (42, vec!["b2copy_jwt_typ_missing"])
        );
        assert_eq!(
            lenient.verify_external(VEC_JWT_LOWER_TYP, VEC_NOW).unwrap(),
            (42, vec!["b2copy_jwt_typ_case"])
        );
        assert_eq!(
            lenient.verify_external(VEC_JWT, VEC_NOW).unwrap(),
            (42, vec![])
        );
    }

    #[test]
    fn status_names() {
        assert_eq!(status_name(1), "FEE_PROCESS_STATUS_PENDING");
        assert_eq!(status_name(2), "FEE_PROCESS_STATUS_SUCCESS");
        assert_eq!(status_name(3), "FEE_PROCESS_STATUS_ERROR");
    }

    #[test]
    fn body_fields_name_what_is_missing() {
        for strict in [false, true] {
            let e = emulator(strict);
            let names: &FieldNames = &[
                ("account_login", "accountLogin"),
                ("request_id", "requestId"),
            ];
            let err = e.fields(&json!({"account_login": "1"}), names).unwrap_err();
            let HttpReply::Response { status, body, .. } = err else {
                panic!()
            };
            assert_eq!(status, 400);
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert!(
                v["message"]
                    .as_str()
                    .unwrap()
                    .contains("missing field \"request_id\""),
                "{v}"
            );
        }
        let lenient = emulator(false);
        let names: &FieldNames = &[("external_token", "externalToken")];
        assert_eq!(
            lenient
                .fields(&json!({"externalToken": "t", "x": 1}), names)
                .unwrap(),
            vec!["t"]
        );
        assert_eq!(lenient.leniencies().count("b2copy_camel_case_field"), 1);
        assert_eq!(lenient.leniencies().count("b2copy_unknown_field"), 1);
        let strict = emulator(true);
        assert!(strict
            .fields(&json!({"externalToken": "t"}), names)
            .is_err());
        assert!(strict
            .fields(&json!({"external_token": "t", "x": 1}), names)
            .is_err());
    }
}
