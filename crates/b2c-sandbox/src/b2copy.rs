//! The B2COPY emulator: external-CRM authorization, token refresh and fee processing, as
//! strict as the protocol allows (the point is to catch client bugs).
//!
//! Every error is a gRPC-gateway body ([`wire::GatewayError`]):
//! `{"code": <int>, "message": "<specific reason>", "details": []}` with
//!
//! | HTTP | code | when |
//! |------|------|------|
//! | 400  | 3 (INVALID_ARGUMENT) | malformed/unknown-field JSON body, empty fields |
//! | 415  | 3 | `Content-Type` is not `application/json` |
//! | 401  | 16 (UNAUTHENTICATED) | any JWT, access- or refresh-token failure (message names the reason) |
//! | 409  | 6 (ALREADY_EXISTS) | a `request_id` reused with a different `account_login` (state unchanged) |
//! | 404  | 5 (NOT_FOUND) | unknown path |
//! | 405  | 12 (UNIMPLEMENTED) | method other than `POST` (header `Allow: POST`) |
//!
//! Fee responses (HTTP 200) are [`wire::FeeResponse`]:
//! `{"account_login": "...", "request_id": "...", "status": 1|2|3}`; status 3 (ERROR) adds
//! `"error": {"code": "INSUFFICIENT_FUNDS", "message": "insufficient funds on account <login> to charge the fee"}`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use parking_lot::Mutex;

use super::server::{HttpReply, HttpRequest};
use super::{Emulator, RegisteredKey, SandboxConfig, Stats, TokenShape};
use b2c_core::b2copy::wire;
use b2c_core::timeutil::{format_rfc3339_micros, unix_now};

/// gRPC status codes used in error bodies.
pub const CODE_INVALID_ARGUMENT: i64 = 3;
pub const CODE_NOT_FOUND: i64 = 5;
pub const CODE_ALREADY_EXISTS: i64 = 6;
pub const CODE_UNIMPLEMENTED: i64 = 12;
pub const CODE_UNAVAILABLE: i64 = 14;
pub const CODE_UNAUTHENTICATED: i64 = 16;

/// Key of the error details object added to a status-3 fee response (sandbox extension).
pub const FEE_ERROR_FIELD: &str = "error";
/// `error.code` of a status-3 fee response.
pub const FEE_ERROR_CODE: &str = "INSUFFICIENT_FUNDS";

/// Every path the B2COPY emulator answers.
pub const PATHS: [&str; 3] = [wire::PATH_AUTH, wire::PATH_REFRESH, wire::PATH_PROCESS];

/// A gRPC-gateway error reply.
pub fn gateway_error(status: u16, code: i64, message: &str) -> HttpReply {
    let e = wire::GatewayError {
        code,
        message: message.to_string(),
        details: Vec::new(),
    };
    HttpReply::json_bytes(status, serde_json::to_vec(&e).unwrap_or_default())
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
    exchanges_in_flight: std::sync::atomic::AtomicU64,
}

/// Tokens kept before expired ones are pruned.
const PRUNE_AT: usize = 100_000;

impl B2copyEmulator {
    pub fn new(cfg: &SandboxConfig) -> Self {
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
            exchanges_in_flight: std::sync::atomic::AtomicU64::new(0),
        }
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
        require_json(req)?;
        let body: wire::AuthRequest = parse_object(&req.body)?;
        if body.external_token.is_empty() {
            return Err(bad_request("external_token must not be empty"));
        }
        self.verify_external(&body.external_token)
            .map_err(|m| unauthenticated(&m))
    }

    /// Verify an external JWT; `Ok(admin_id)` or the specific reason.
    fn verify_external(&self, token: &str) -> Result<u64, String> {
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
        let header_bytes = dec("header", parts[0])?;
        let header: wire::JwtHeader = serde_json::from_slice(&header_bytes)
            .map_err(|e| format!("malformed JWT header: {e}"))?;
        if header.alg != wire::JWT_ALG {
            return Err(format!(
                "unsupported JWT alg {:?}; expected {:?}",
                truncate(&header.alg),
                wire::JWT_ALG
            ));
        }
        if header.typ != wire::JWT_TYP {
            return Err(format!(
                "unsupported JWT typ {:?}; expected {:?}",
                truncate(&header.typ),
                wire::JWT_TYP
            ));
        }
        let payload = dec("payload", parts[1])?;
        let sig = dec("signature", parts[2])?;
        if sig.len() != 64 {
            return Err(format!(
                "ES256 signature must be 64 bytes raw r||s (JOSE form, not DER), got {} bytes",
                sig.len()
            ));
        }
        let claims: wire::ExternalClaims =
            serde_json::from_slice(&payload).map_err(|e| format!("invalid JWT claims: {e}"))?;
        let now = unix_now();
        let st = self.state.lock();
        let Some(key) = st.keys.get(&claims.key_id) else {
            return Err("unknown key_id".into());
        };
        if let Some(kid) = &header.kid {
            if *kid != claims.key_id {
                return Err("JWT header kid does not match the key_id claim".into());
            }
        }
        let signature = Signature::from_slice(&sig)
            .map_err(|_| "ES256 signature is not a valid P-256 r||s pair".to_string())?;
        let signing_input = &token[..parts[0].len() + 1 + parts[1].len()];
        key.vk
            .verify(signing_input.as_bytes(), &signature)
            .map_err(|_| "JWT signature verification failed".to_string())?;
        if claims.admin_id != key.admin_id {
            return Err("admin_id does not match the admin registered for this key_id".into());
        }
        if !key.allowed_ips.is_empty() && !key.allowed_ips.contains(&claims.device_ip) {
            return Err("device_ip is not among the allowed IPs for this key_id".into());
        }
        drop(st);
        let skew = self.cfg.clock_skew.as_secs();
        if claims.iat > now.saturating_add(skew) {
            return Err("JWT iat is in the future".into());
        }
        if claims.exp <= claims.iat {
            return Err("JWT exp must be after iat".into());
        }
        if claims.exp.saturating_add(skew) <= now {
            return Err("JWT has expired".into());
        }
        if claims.exp - claims.iat > self.cfg.max_jwt_ttl.as_secs() {
            return Err(format!(
                "JWT lifetime exp - iat = {} s exceeds the maximum of {} s",
                claims.exp - claims.iat,
                self.cfg.max_jwt_ttl.as_secs()
            ));
        }
        Ok(claims.admin_id)
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
            if let Err(r) = require_json(req) {
                return r;
            }
            match serde_json::from_slice::<serde_json::Value>(&req.body) {
                Ok(serde_json::Value::Object(_)) => {}
                _ => return bad_request("request body must be empty or a JSON object"),
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

    fn process(&self, req: &HttpRequest) -> HttpReply {
        self.state.lock().stats.process_calls += 1;
        let Some(token) = req.bearer() else {
            return unauthenticated("missing Authorization: Bearer <accessToken>");
        };
        {
            let st = self.state.lock();
            let Some(rec) = st.access.get(token) else {
                return unauthenticated("unknown access token");
            };
            if rec.dead || st.revoked_families.contains(&rec.family) {
                return unauthenticated("access token revoked or expired");
            }
            if Instant::now() >= rec.expires {
                return unauthenticated("access token expired");
            }
        }
        if let Err(r) = require_json(req) {
            return r;
        }
        let body: wire::FeeRequest = match parse_object(&req.body) {
            Ok(b) => b,
            Err(r) => return r,
        };
        if body.account_login.is_empty() || body.request_id.is_empty() {
            return bad_request("account_login and request_id must be non-empty strings");
        }
        let now = Instant::now();
        let mut st = self.state.lock();
        let rec = st
            .fees
            .entry(body.request_id.clone())
            .or_insert_with(|| FeeRec {
                login: body.account_login.clone(),
                first_seen: now,
                pending_answers: 0,
                calls: 0,
                status: wire::STATUS_PENDING,
            });
        if rec.login != body.account_login {
            return gateway_error(
                409,
                CODE_ALREADY_EXISTS,
                "request_id already used with a different account_login",
            );
        }
        rec.calls = rec.calls.saturating_add(1);
        if rec.status == wire::STATUS_PENDING {
            let polls_done = rec.pending_answers >= self.cfg.pending_polls;
            let time_done = now.duration_since(rec.first_seen) >= self.cfg.pending_for;
            if polls_done && time_done {
                rec.status = if self.cfg.error_logins.contains(&rec.login) {
                    wire::STATUS_ERROR
                } else {
                    wire::STATUS_SUCCESS
                };
            } else {
                rec.pending_answers += 1;
            }
        }
        let status = rec.status;
        drop(st);
        let mut extra = serde_json::Map::new();
        if status == wire::STATUS_ERROR {
            extra.insert(
                FEE_ERROR_FIELD.to_string(),
                serde_json::json!({
                    "code": FEE_ERROR_CODE,
                    "message": format!(
                        "insufficient funds on account {} to charge the fee",
                        body.account_login
                    ),
                }),
            );
        }
        let resp = wire::FeeResponse {
            account_login: Some(body.account_login),
            request_id: Some(body.request_id),
            status: serde_json::Value::from(status),
            extra,
        };
        HttpReply::json_bytes(200, serde_json::to_vec(&resp).unwrap_or_default())
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
        let field = |t: String, ttl: Duration| match self.cfg.token_shape {
            TokenShape::Plain => wire::TokenField::Plain(t),
            TokenShape::Object => wire::TokenField::Object {
                token: t,
                created_at: Some(format_rfc3339_micros(wall).into()),
                expires_at: Some(format_rfc3339_micros(wall + ttl).into()),
            },
        };
        let pair = wire::TokenPair {
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
            let hex: String = rand.iter().map(|b| format!("{b:02x}")).collect();
            return format!("sbx_{kind}_{hex}");
        }
        let iat = unix_now();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "sub": admin_id.to_string(),
            "typ": kind,
            "fam": family,
            "iat": iat,
            "exp": iat + ttl.as_secs(),
            "jti": rand[..16].iter().map(|b| format!("{b:02x}")).collect::<String>(),
        });
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let sig = URL_SAFE_NO_PAD.encode(&rand[16..]);
        format!("{header}.{payload}.{sig}")
    }
}

/// Parse a request body that must be a JSON object (serde would also accept an array for a
/// struct) into `T`; else 400 code 3.
fn parse_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpReply> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| bad_request(&format!("malformed request body: {e}")))?;
    if !v.is_object() {
        return Err(bad_request(
            "malformed request body: expected a JSON object",
        ));
    }
    serde_json::from_value(v).map_err(|e| bad_request(&format!("malformed request body: {e}")))
}

fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

/// `Content-Type` must be `application/json` (parameters allowed): else 415 code 3.
fn require_json(req: &HttpRequest) -> Result<(), HttpReply> {
    if req.media_type().as_deref() == Some(wire::CONTENT_TYPE_JSON) {
        Ok(())
    } else {
        Err(gateway_error(
            415,
            CODE_INVALID_ARGUMENT,
            "Content-Type must be application/json",
        ))
    }
}

impl Emulator for B2copyEmulator {
    fn owns(&self, path: &str) -> bool {
        PATHS.contains(&path)
    }

    fn handle(&self, req: &HttpRequest) -> HttpReply {
        if req.method != "POST" {
            return gateway_error(405, CODE_UNIMPLEMENTED, "method not allowed; use POST")
                .with_header("Allow", "POST");
        }
        match req.path.as_str() {
            wire::PATH_AUTH | wire::PATH_REFRESH => {
                use std::sync::atomic::Ordering;
                let now = self.exchanges_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                {
                    let mut st = self.state.lock();
                    st.stats.exchanges_concurrent_max = st.stats.exchanges_concurrent_max.max(now);
                }
                let reply = if req.path == wire::PATH_AUTH {
                    self.auth(req)
                } else {
                    self.refresh(req)
                };
                self.exchanges_in_flight.fetch_sub(1, Ordering::SeqCst);
                reply
            }
            wire::PATH_PROCESS => self.process(req),
            _ => gateway_error(404, CODE_NOT_FOUND, "not found"),
        }
    }
}
