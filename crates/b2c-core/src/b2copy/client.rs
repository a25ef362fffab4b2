//! The B2COPY client: tokens kept per client, renewed single-flight ahead of expiry or on a
//! 401, fee processing with retries and polling.
//!
//! Every wait goes through the injected [`Clock`]; every retry through the one
//! [`RetryPolicy`]; every renewal through the one [`Flight`]. No caller ever waits past its
//! own deadline: not for a renewal another caller started, not for a retry.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use parking_lot::{Mutex, RwLock};
use zeroize::Zeroizing;

use super::jwt::{mint_external_token, ExternalTokenParams};
use super::wire;
use crate::calls::{self, CallResponse};
use crate::clock::{self, Clock};
use crate::error::{Cause, Error, ErrorKind, Result};
use crate::flight::Flight;
use crate::http::{ErrorBody, HttpClient, HttpConfig, Method, Request, Response, Url};
use crate::keys::PrivateKey;
use crate::retry::{RetryPolicy, Retryable};
use crate::store::{identity, Record, Slot, StoreSpec, TokenStore};
use crate::telemetry::{events, Level, Stats, Telemetry};
use crate::timeutil::parse_rfc3339;
use crate::token::{check_token, Schedule};

/// Longest accepted `account_login` / `request_id`, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Most 401 answers one logical call goes through (each with a newer token) before it gives
/// up; a loop guard on top of the deadline.
const MAX_UNAUTHORIZED: u32 = 6;

const TARGET: &str = "b2copy";
/// The vendor name in token store records and identities.
const STORE_VENDOR: &str = "b2copy";

/// The token store identity of one B2COPY credential: base URL, admin and key id.
fn store_identity(base: &Url, jwt: &ExternalTokenParams) -> String {
    identity(
        STORE_VENDOR,
        &[&base.to_string(), &jwt.admin_id.to_string(), &jwt.key_id],
    )
}

/// Everything a [`Client`] needs besides its key.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `https://host` (http only for loopback unless `http.allow_insecure_http`).
    pub base_url: String,
    /// `base_url`, parsed (set by [`ClientConfig::new`]; the configuration parser sets both).
    pub base: Url,
    pub jwt: ExternalTokenParams,
    pub http: HttpConfig,
    /// Base polling interval while PENDING; each wait is jittered to 75–125 % of it
    /// (default 4 s, i.e. 3–5 s).
    pub poll_interval: Duration,
    /// Overall deadline of a one-shot `fee_process` (one logical request with its retries),
    /// and of `authenticate`.
    pub call_deadline: Duration,
    pub retry: RetryPolicy,
    /// Renew this long before a known access-token expiry (at most a fifth of its life).
    pub refresh_margin: Duration,
    /// Where the token pair lives besides this client (the `token_store` key).
    pub token_store: StoreSpec,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, jwt: ExternalTokenParams) -> Self {
        let base_url = base_url.into();
        let base = Url::parse(&base_url).unwrap_or(Url {
            scheme: crate::http::Scheme::Https,
            host: "invalid".into(),
            port: 443,
            path: "/".into(),
        });
        ClientConfig {
            base_url,
            base,
            jwt,
            http: HttpConfig::default(),
            poll_interval: Duration::from_secs(4),
            call_deadline: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            refresh_margin: Duration::from_secs(30),
            token_store: StoreSpec::Memory,
        }
    }
}

/// Final or temporary fee-processing status, with B2COPY's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum FeeStatus {
    Pending = 1,
    Success = 2,
    Error = 3,
}

impl FeeStatus {
    pub fn is_final(self) -> bool {
        self != FeeStatus::Pending
    }

    fn from_wire(code: i64) -> Option<FeeStatus> {
        match code {
            wire::STATUS_PENDING => Some(FeeStatus::Pending),
            wire::STATUS_SUCCESS => Some(FeeStatus::Success),
            wire::STATUS_ERROR => Some(FeeStatus::Error),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FeeStatus::Pending => "PENDING",
            FeeStatus::Success => "SUCCESS",
            FeeStatus::Error => "ERROR",
        }
    }
}

/// The outcome of [`Client::fee_process`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeResult {
    pub status: FeeStatus,
    /// processext answers received (polls), not counting retried failures.
    pub attempts: u32,
    pub elapsed: Duration,
    /// For [`FeeStatus::Error`]: the server's error details (every field besides the three
    /// documented ones, as JSON).
    pub error_details: Option<String>,
    /// True when waiting ended at the deadline with the request still PENDING.
    pub deadline_reached: bool,
}

impl FeeResult {
    /// The error a caller that wanted a final SUCCESS should see: `FeeError` for status 3,
    /// `StillPending` when a wait ran out; `None` for SUCCESS and one-shot PENDING.
    pub fn outcome_error(&self, request_id: &str) -> Option<Error> {
        match self.status {
            FeeStatus::Error => Some(Error::new(
                ErrorKind::FeeError,
                format!(
                    "B2COPY answered FEE_PROCESS_STATUS_ERROR for request_id {request_id}: {}",
                    self.error_details.as_deref().unwrap_or("(no details)")
                ),
            )),
            FeeStatus::Pending if self.deadline_reached => Some(Error::new(
                ErrorKind::StillPending,
                format!(
                    "request_id {request_id} still PENDING after {} polls in {} ms",
                    self.attempts,
                    self.elapsed.as_millis()
                ),
            )),
            _ => None,
        }
    }
}

/// A progress callback: `Break` stops the wait with [`ErrorKind::Cancelled`].
pub type ProgressFn<'a> = &'a mut dyn FnMut(&Progress) -> ControlFlow<()>;

/// What a progress callback sees after each processext answer.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub status: FeeStatus,
    pub attempt: u32,
    pub elapsed: Duration,
}

/// The token pair held.
struct Tokens {
    access: Zeroizing<String>,
    refresh: Zeroizing<String>,
    /// When to renew the access token (None: its lifetime is unknown; renew on 401).
    schedule: Option<Schedule>,
    /// When the refresh token stops being usable (None: unknown).
    refresh_expires: Option<Instant>,
    /// Bumped on every new pair; tells a caller whether the pair it used is still current.
    generation: u64,
    /// When the pair was obtained (wall clock) and the lifetimes it was issued with: what a
    /// token store record carries.
    obtained: SystemTime,
    access_life: Option<Duration>,
    refresh_life: Option<Duration>,
}

#[derive(Default)]
struct State {
    tokens: Option<Tokens>,
    generation: u64,
}

/// Why a renewal happens (logged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    NoTokens,
    AheadOfExpiry,
    Unauthorized,
    Forced,
}

impl Reason {
    fn text(self) -> &'static str {
        match self {
            Reason::NoTokens => "no tokens held",
            Reason::AheadOfExpiry => "ahead of the access token's expiry",
            Reason::Unauthorized => "processext answered 401",
            Reason::Forced => "authenticate() was called",
        }
    }
}

/// A B2COPY client for one service admin.
///
/// Thread safety: `Client` is `Send + Sync`; share one per process. Token renewals are
/// single-flight: callers that need a new token while another caller is fetching one wait for
/// it (never past their own deadline) instead of renewing again; callers whose token is still
/// valid go on with it meanwhile.
pub struct Client {
    cfg: ClientConfig,
    key: PrivateKey,
    http: HttpClient,
    clock: Arc<dyn Clock>,
    telemetry: Arc<Telemetry>,
    state: Mutex<State>,
    flight: Flight,
    /// The shared token store, if any (`token_store` or set at run time).
    store: RwLock<Option<Slot>>,
    auth_url: Url,
    refresh_url: Url,
    process_url: Url,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.cfg.base)
            .field("admin_id", &self.cfg.jwt.admin_id)
            .field("key_id", &self.cfg.jwt.key_id)
            .field("key", &self.key)
            .field("has_tokens", &self.state.lock().tokens.is_some())
            .finish()
    }
}

fn validate_id(what: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid_arg(format!("{what} must not be empty")));
    }
    if v.len() > MAX_ID_LEN {
        return Err(Error::invalid_arg(format!(
            "{what} is {} bytes; at most {MAX_ID_LEN} are accepted",
            v.len()
        )));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid_arg(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(())
}

fn epoch_to_time(v: u64) -> SystemTime {
    // Milliseconds if implausibly large for seconds.
    let d = if v > 100_000_000_000 {
        Duration::from_millis(v.min(u64::MAX / 2))
    } else {
        Duration::from_secs(v)
    };
    UNIX_EPOCH.checked_add(d).unwrap_or(UNIX_EPOCH)
}

fn value_time(v: &serde_json::Value) -> Option<SystemTime> {
    match v {
        serde_json::Value::String(s) => {
            parse_rfc3339(s).or_else(|| s.parse::<u64>().ok().map(epoch_to_time))
        }
        serde_json::Value::Number(n) => n.as_u64().map(epoch_to_time),
        serde_json::Value::Object(o) => o
            .get("seconds")
            .and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()))
            .map(epoch_to_time),
        _ => None,
    }
}

/// The lifetime a token was issued with: `expiresAt - createdAt` (object shape) or
/// `exp - iat` (a JWT, read without verification only to schedule), which no clock skew
/// distorts; else the time left until `expiresAt` / `exp` by our wall clock.
fn token_lifetime(field: &wire::TokenField, wall_now: SystemTime) -> Option<Duration> {
    let (issued, expires) = match field {
        wire::TokenField::Object {
            created_at,
            expires_at: Some(exp),
            ..
        } => (created_at.as_ref().and_then(value_time), value_time(exp)?),
        other => {
            let token = token_str(other);
            let payload = token.split('.').nth(1)?;
            let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?);
            let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
            let exp = v.get("exp").and_then(value_time)?;
            (v.get("iat").and_then(value_time), exp)
        }
    };
    match issued {
        Some(iat) => expires.duration_since(iat).ok(),
        None => expires.duration_since(wall_now).ok(),
    }
}

fn token_str(field: &wire::TokenField) -> &str {
    match field {
        wire::TokenField::Plain(s) => s,
        wire::TokenField::Object { token, .. } => token,
    }
}

/// The pause between two polls: `base` jittered to 75–125 %.
pub fn poll_pause(base: Duration) -> Duration {
    let ms = base.as_millis() as u64;
    let spread = ms / 4;
    Duration::from_millis(ms - spread + fastrand::u64(0..=spread * 2))
}

/// Map a non-2xx response to an error (never quoting a token: the body is summarised and
/// scrubbed).
fn http_error(resp: &Response, what: &str) -> Error {
    let body = ErrorBody::parse(&resp.body);
    let (kind, msg, cause) = match resp.status {
        401 | 403 => (ErrorKind::AuthRejected, "rejected", Cause::None),
        429 => (ErrorKind::Throttled, "throttled", Cause::Throttled),
        s if s >= 500 => (ErrorKind::HttpStatus, "failed", Cause::Status5xx),
        _ => (ErrorKind::HttpStatus, "failed", Cause::None),
    };
    Error::new(
        kind,
        format!("{what} {msg} with HTTP {}: {body}", resp.status),
    )
    .with_http_status(resp.status)
    .with_retry_after(resp.retry_after)
    .with_cause(cause)
}

impl Client {
    /// A client with its key, the system clock and its own telemetry. No network traffic
    /// happens here.
    pub fn new(cfg: ClientConfig, key: PrivateKey) -> Result<Self> {
        Self::with_clock(cfg, key, clock::system())
    }

    /// A client timed by `clock` (tests inject a [`crate::clock::ManualClock`]).
    pub fn with_clock(cfg: ClientConfig, key: PrivateKey, clock: Arc<dyn Clock>) -> Result<Self> {
        cfg.jwt.validate()?;
        let base = Url::parse(&cfg.base_url)?;
        crate::http::check_scheme(&base, cfg.http.allow_insecure_http)?;
        if cfg.poll_interval.is_zero() {
            return Err(Error::new(ErrorKind::Config, "poll interval must be > 0"));
        }
        let telemetry = Telemetry::new();
        let http = HttpClient::with(cfg.http.clone(), telemetry.clone(), clock.clone())?;
        let store = cfg
            .token_store
            .open()?
            .map(|s| Slot::new(s, STORE_VENDOR, store_identity(&base, &cfg.jwt)));
        Ok(Client {
            store: RwLock::new(store),
            auth_url: base.join(wire::PATH_AUTH),
            refresh_url: base.join(wire::PATH_REFRESH),
            process_url: base.join(wire::PATH_PROCESS),
            cfg: ClientConfig { base, ..cfg },
            key,
            http,
            clock,
            telemetry,
            state: Mutex::new(State::default()),
            flight: Flight::new(),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The log sink and statistics of this client.
    pub fn telemetry(&self) -> &Arc<Telemetry> {
        &self.telemetry
    }

    /// The HTTP client (its connection pool) of this client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Mint a fresh external token with this client's key and claims.
    pub fn mint_jwt(&self) -> Result<Zeroizing<String>> {
        mint_external_token(&self.key, &self.cfg.jwt, self.clock.unix_now())
    }

    /// Exchange a fresh external JWT for a token pair, replacing any tokens held.
    pub fn authenticate(&self) -> Result<()> {
        let deadline = self.clock.now() + self.cfg.call_deadline;
        let seen = self.state.lock().generation;
        self.cfg
            .retry
            .run(
                &*self.clock,
                &self.telemetry,
                TARGET,
                deadline,
                Retryable::default(),
                |_| self.renew(seen, Reason::Forced, deadline).map(|_| ()),
            )
            .inspect_err(|e| self.telemetry.call_failed(TARGET, "authenticate", e))
    }

    /// Whether the client currently holds a token pair.
    pub fn has_tokens(&self) -> bool {
        self.state.lock().tokens.is_some()
    }

    /// Drop the tokens held (e.g. on logout). The next call authenticates again.
    pub fn forget_tokens(&self) {
        let mut st = self.state.lock();
        st.tokens = None;
        st.generation += 1;
    }

    /// Install a new pair answered by authexternalcrm or refreshtoken (checked first).
    fn install(&self, resp: &Response, what: &str) -> Result<()> {
        if !resp.is_success() {
            return Err(http_error(resp, what));
        }
        let pair: wire::TokenPair = resp.json(what).map_err(|e| e.with_cause(Cause::None))?;
        let access = token_str(&pair.access_token);
        let refresh = token_str(&pair.refresh_token);
        check_token("B2COPY", "access token", access)?;
        check_token("B2COPY", "refresh token", refresh)?;
        let now = self.clock.now();
        let wall = self.clock.wall();
        let access_life = token_lifetime(&pair.access_token, wall);
        let refresh_life = token_lifetime(&pair.refresh_token, wall);
        self.telemetry.redactor.add(access);
        self.telemetry.redactor.add(refresh);
        let mut st = self.state.lock();
        st.generation += 1;
        st.tokens = Some(Tokens {
            access: Zeroizing::new(access.to_string()),
            refresh: Zeroizing::new(refresh.to_string()),
            schedule: Schedule::new(now, access_life, self.cfg.refresh_margin),
            refresh_expires: refresh_life
                .map(|l| now + l.min(crate::token::MAX_SCHEDULED_LIFETIME)),
            generation: st.generation,
            obtained: wall,
            access_life,
            refresh_life,
        });
        Ok(())
    }

    /// Use the token store `store` from now on (`None`: tokens live in this client only).
    /// Configuration's `token_store` sets one at creation; the C ABI's callback store comes
    /// through here.
    pub fn set_token_store(&self, store: Option<Arc<dyn TokenStore>>) {
        *self.store.write() = store.map(|s| {
            Slot::new(
                s,
                STORE_VENDOR,
                store_identity(&self.cfg.base, &self.cfg.jwt),
            )
        });
    }

    /// The record of the pair held, for the store.
    fn held_record(&self) -> Option<Record> {
        let st = self.state.lock();
        st.tokens.as_ref().map(|t| Record {
            access: t.access.clone(),
            refresh: Some(t.refresh.clone()),
            obtained: t.obtained,
            access_life: t.access_life,
            refresh_life: t.refresh_life,
            access_expires: t.access_life.and_then(|l| t.obtained.checked_add(l)),
            refresh_expires: t.refresh_life.and_then(|l| t.obtained.checked_add(l)),
        })
    }

    /// Install a stored pair. Unless `even_if_due`, only a pair that is not due for renewal
    /// (by its issued lifetime and this client's margin) is taken. Returns whether it was
    /// installed.
    fn adopt(&self, rec: &Record, even_if_due: bool) -> bool {
        let now = self.clock.now();
        let obtained = rec.obtained_instant(&*self.clock);
        let schedule = Schedule::new(obtained, rec.access_life, self.cfg.refresh_margin);
        let due = schedule.is_some_and(|s| s.due(now));
        if due && !even_if_due {
            return false;
        }
        self.telemetry.redactor.add(&rec.access);
        if let Some(r) = &rec.refresh {
            self.telemetry.redactor.add(r);
        }
        let mut st = self.state.lock();
        st.generation += 1;
        st.tokens = Some(Tokens {
            access: rec.access.clone(),
            refresh: rec.refresh.clone().unwrap_or_default(),
            schedule,
            refresh_expires: rec
                .refresh_life
                .map(|l| obtained + l.min(crate::token::MAX_SCHEDULED_LIFETIME)),
            generation: st.generation,
            obtained: rec.obtained,
            access_life: rec.access_life,
            refresh_life: rec.refresh_life,
        });
        drop(st);
        if !due {
            Stats::inc(&self.telemetry.stats.store_adopted);
            crate::log!(
                self.telemetry,
                Level::Info,
                TARGET,
                events::STORE,
                "using the token pair from the token store (obtained by another client or \
                 process)"
            );
        }
        !due
    }

    /// POST authexternalcrm with a fresh JWT.
    fn exchange_jwt(&self, reason: &str, deadline: Instant) -> Result<()> {
        let jwt = self.mint_jwt()?;
        let body = Zeroizing::new(
            serde_json::to_vec(&wire::AuthRequest {
                external_token: jwt.to_string(),
            })
            .map_err(|e| Error::protocol(e.to_string()))?,
        );
        let t0 = self.clock.now();
        let resp = self.http.post(
            &self.auth_url,
            &[],
            wire::CONTENT_TYPE_JSON,
            &body,
            "authexternalcrm",
            true,
            deadline,
        )?;
        Stats::inc(&self.telemetry.stats.auth_exchanges);
        self.install(&resp, "authexternalcrm")?;
        crate::log!(
            self.telemetry,
            Level::Info,
            TARGET,
            events::AUTH,
            "authenticated (authexternalcrm: {reason}) in {} ms",
            self.clock.now().saturating_duration_since(t0).as_millis()
        );
        Ok(())
    }

    /// POST refreshtoken with the refresh token held.
    fn exchange_refresh(&self, refresh: &str, reason: &str, deadline: Instant) -> Result<()> {
        let auth = Zeroizing::new(format!("{}{}", wire::BEARER_PREFIX, refresh));
        // Not replayed on a dead pooled connection: the server may rotate refresh tokens.
        let t0 = self.clock.now();
        let resp = self.http.post(
            &self.refresh_url,
            &[(wire::HEADER_AUTHORIZATION, auth.as_str())],
            wire::CONTENT_TYPE_JSON,
            b"{}",
            "refreshtoken",
            false,
            deadline,
        )?;
        Stats::inc(&self.telemetry.stats.refreshes);
        self.install(&resp, "refreshtoken")?;
        crate::log!(
            self.telemetry,
            Level::Info,
            TARGET,
            events::REFRESH,
            "refreshed (refreshtoken: {reason}) in {} ms",
            self.clock.now().saturating_duration_since(t0).as_millis()
        );
        Ok(())
    }

    /// Replace the pair of generation `seen`: refresh, and when the refresh fails,
    /// authenticate with a new JWT. Single-flight: if another caller is renewing, wait for it
    /// (never past `deadline`); if the pair changed since `seen`, send nothing.
    ///
    /// With a token store, the renewal happens under the store's lock, after re-reading the
    /// store: a pair another process obtained meanwhile is adopted instead (see
    /// [`crate::store`]). Returns whether this call made an exchange.
    fn renew(&self, seen: u64, reason: Reason, deadline: Instant) -> Result<bool> {
        self.flight
            .run(&*self.clock, deadline, || {
                if self.generation() != seen {
                    return Ok(false); // renewed by someone else meanwhile
                }
                let slot = self.store.read().clone();
                let Some(slot) = slot else {
                    return self.renew_here(reason, deadline).map(|_| true);
                };
                // A client without tokens first takes a good stored pair, without the lock.
                if reason == Reason::NoTokens {
                    if let Some(rec) = slot.load(&self.telemetry, TARGET) {
                        if self.adopt(&rec, false) {
                            return Ok(false);
                        }
                    }
                }
                let lock = slot.lock(&*self.clock, deadline, &self.telemetry, TARGET)?;
                // Under the lock: has another process renewed since our pair was issued?
                let ours = self.state.lock().tokens.as_ref().map(|t| t.access.clone());
                if reason != Reason::Forced {
                    if let Some(rec) = slot.load(&self.telemetry, TARGET) {
                        if ours.as_deref().map(|s| s.as_str()) != Some(rec.access.as_str()) {
                            if self.adopt(&rec, false) {
                                return Ok(false);
                            }
                            // Newer than ours but due as well: refresh with its refresh token.
                            self.adopt(&rec, true);
                        }
                    }
                }
                let r = self.renew_here(reason, deadline);
                if r.is_ok() {
                    if let Some(rec) = self.held_record() {
                        let _ = slot.save(&rec, &self.telemetry, TARGET);
                    }
                }
                drop(lock);
                r.map(|_| true)
            })
            .map(|exchanged| exchanged.unwrap_or(false))
    }

    /// The exchange itself: a refresh (or, without a usable refresh token, or when `reason`
    /// is [`Reason::Forced`], a JWT exchange); a failed refresh falls back to a JWT exchange.
    fn renew_here(&self, reason: Reason, deadline: Instant) -> Result<()> {
        let refresh = {
            let st = self.state.lock();
            let now = self.clock.now();
            st.tokens.as_ref().and_then(|t| {
                (!t.refresh.is_empty()
                    && t.refresh_expires
                        .is_none_or(|e| e > now + Duration::from_secs(1)))
                .then(|| t.refresh.clone())
            })
        };
        match (reason, refresh) {
            (Reason::Forced, _) | (_, None) => self.exchange_jwt(reason.text(), deadline),
            (_, Some(refresh)) => match self.exchange_refresh(&refresh, reason.text(), deadline) {
                Ok(()) => Ok(()),
                Err(e) if e.cause() == Cause::Deadline => Err(e),
                Err(e) => {
                    Stats::inc(&self.telemetry.stats.reauths);
                    crate::log!(
                        self.telemetry,
                        Level::Info,
                        TARGET,
                        events::REAUTH,
                        "re-authenticating: the refresh failed ({})",
                        e.message()
                    );
                    {
                        let mut st = self.state.lock();
                        st.tokens = None;
                        st.generation += 1;
                    }
                    self.exchange_jwt("the refresh failed", deadline)
                }
            },
        }
    }

    /// A usable access token and its generation, renewing when none is held or when it is
    /// due. A caller whose token is due but still valid does not wait for a renewal another
    /// caller is doing: it uses the token meanwhile.
    fn access_token_until(&self, deadline: Instant) -> Result<(Zeroizing<String>, u64)> {
        for _ in 0..3 {
            let now = self.clock.now();
            let (snapshot, generation) = {
                let st = self.state.lock();
                (
                    st.tokens.as_ref().map(|t| {
                        let due = t.schedule.is_some_and(|s| s.due(now));
                        let expired = t.schedule.is_some_and(|s| s.expired(now));
                        (t.access.clone(), t.generation, due, expired)
                    }),
                    st.generation,
                )
            };
            match snapshot {
                Some((tok, gen, false, _)) => return Ok((tok, gen)),
                Some((tok, gen, true, false)) if self.flight.is_running() => return Ok((tok, gen)),
                Some((_, gen, _, _)) => {
                    self.renew(gen, Reason::AheadOfExpiry, deadline)?;
                }
                None => {
                    self.renew(generation, Reason::NoTokens, deadline)?;
                }
            }
        }
        let st = self.state.lock();
        st.tokens
            .as_ref()
            .map(|t| (t.access.clone(), t.generation))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Unauthorized,
                    "no access token after authentication",
                )
            })
    }

    fn generation(&self) -> u64 {
        self.state.lock().generation
    }

    /// One processext exchange, answered and parsed. A 401 renews the tokens (a refresh, and
    /// when that fails a new JWT) and sends again; a 401 on a token this call itself just
    /// obtained, with no newer one since, is final ([`ErrorKind::Unauthorized`]): no loop.
    fn process_once(
        &self,
        body: &[u8],
        request_id: &str,
        deadline: Instant,
    ) -> Result<(FeeStatus, wire::FeeResponse)> {
        let resp = self.authorized_send(
            Method::Post,
            &self.process_url,
            Some((wire::CONTENT_TYPE_JSON, body)),
            "processext",
            true,
            deadline,
        )?;
        {
            if !resp.is_success() {
                return Err(http_error(&resp, "processext"));
            }
            let parsed: wire::FeeResponse = resp.json("processext")?;
            if let Some(rid) = &parsed.request_id {
                if rid != request_id {
                    return Err(Error::protocol(format!(
                        "processext answered for request_id {}, expected {request_id}",
                        rid.chars().take(MAX_ID_LEN).collect::<String>()
                    ))
                    .with_cause(Cause::Malformed));
                }
            }
            let status = parsed
                .status_code()
                .and_then(FeeStatus::from_wire)
                .ok_or_else(|| {
                    Error::protocol(format!(
                        "processext: unknown status {}",
                        parsed
                            .status
                            .to_string()
                            .chars()
                            .take(64)
                            .collect::<String>()
                    ))
                    .with_cause(Cause::Malformed)
                })?;
            Ok((status, parsed))
        }
    }

    /// One request with the access token in `Authorization`, answered. A 401 renews the
    /// tokens (a refresh, and when that fails a new JWT; with a token store, after re-reading
    /// it) and sends again; a 401 on a token this call itself just obtained, with no newer
    /// one since, is final ([`ErrorKind::Unauthorized`]): no loop. Every other answer is
    /// returned as it is.
    fn authorized_send(
        &self,
        method: Method,
        url: &Url,
        body: Option<(&str, &[u8])>,
        endpoint: &'static str,
        replayable: bool,
        deadline: Instant,
    ) -> Result<Response> {
        let mut own: Option<u64> = None;
        let mut unauthorized = 0u32;
        loop {
            let (token, gen) = self.access_token_until(deadline)?;
            let auth = Zeroizing::new(format!("{}{}", wire::BEARER_PREFIX, token.as_str()));
            let resp = self.http.send(
                &Request {
                    method,
                    url,
                    headers: &[(wire::HEADER_AUTHORIZATION, auth.as_str())],
                    body,
                    endpoint,
                    replayable,
                },
                deadline,
            )?;
            if resp.status != 401 {
                return Ok(resp);
            }
            Stats::inc(&self.telemetry.stats.unauthorized);
            unauthorized += 1;
            let current = self.generation();
            let bad_credentials = own == Some(gen) && current == gen;
            if bad_credentials || unauthorized >= MAX_UNAUTHORIZED {
                let e = http_error(&resp, endpoint);
                crate::log!(
                    self.telemetry,
                    Level::Warn,
                    TARGET,
                    events::UNAUTHORIZED,
                    "{endpoint} answered 401 on a token just obtained: {}",
                    e.message()
                );
                return Err(Error::new(
                    ErrorKind::Unauthorized,
                    format!("{} (after refresh and re-authentication)", e.message()),
                )
                .with_http_status(401));
            }
            crate::log!(
                self.telemetry,
                Level::Info,
                TARGET,
                events::UNAUTHORIZED,
                "{endpoint} answered 401 ({} of this call); {}",
                unauthorized,
                if current != gen {
                    "another caller has renewed the token: sending again"
                } else {
                    "renewing the token"
                }
            );
            if current != gen {
                continue; // another caller renewed since this token was taken
            }
            // A 401 on a pair this call itself obtained, with nothing newer since, is final
            // (above); a pair adopted from the store or renewed by another caller gets its
            // own chance.
            let exchanged = self.renew(gen, Reason::Unauthorized, deadline)?;
            own = exchanged.then(|| self.generation());
        }
    }

    /// A valid access token (renewed ahead of expiry, as for processext), for a caller that
    /// must make requests with its own HTTP stack. It is a bearer credential: never log it.
    /// After a 401 from such a request, call [`Client::authenticate`] (or this again after
    /// the token's expiry): the library cannot see that answer.
    pub fn access_token(&self) -> Result<Zeroizing<String>> {
        let deadline = self.clock.now() + self.cfg.call_deadline;
        self.access_token_until(deadline)
            .map(|(t, _)| t)
            .inspect_err(|e| self.telemetry.call_failed(TARGET, "access_token", e))
    }

    /// Any other B2COPY request: `method` (GET, POST, PUT, PATCH, DELETE) on `path` (relative
    /// to base_url, with an optional query), `body` sent as `application/json` when not
    /// empty, the access token in `Authorization` with the token rules of processext (renewal
    /// ahead of expiry; 401 → refresh → re-authentication, once). Every final answer is
    /// returned, whatever its status (see [`crate::calls`]); `idempotent` overrides the
    /// method's default for the retry rule (POST and PATCH are not retried unless marked).
    /// The whole call, retries included, ends within `call_deadline`.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        idempotent: Option<bool>,
    ) -> Result<CallResponse> {
        let r = (|| {
            let m = calls::method(method)?;
            let url = calls::join_path(&self.cfg.base, path)?;
            let idempotent = idempotent.unwrap_or_else(|| calls::idempotent_by_default(m));
            let deadline = self.clock.now() + self.cfg.call_deadline;
            let body = (!body.is_empty()).then_some((wire::CONTENT_TYPE_JSON, body));
            calls::send_with_retries(
                &self.cfg.retry,
                &*self.clock,
                &self.telemetry,
                TARGET,
                deadline,
                idempotent,
                || self.authorized_send(m, &url, body, "call", idempotent, deadline),
            )
        })();
        r.inspect_err(|e| self.telemetry.call_failed(TARGET, "call", e))
    }

    /// Ask B2COPY to charge the fees due for `request_id` (the CRM's withdrawal id) on
    /// `account_login`.
    ///
    /// - `wait == None`: one logical request (transient failures, malformed answers
    ///   included, retried within `call_deadline`: the call is idempotent per request_id);
    ///   PENDING is a normal result.
    /// - `wait == Some(d)`: poll every `poll_interval` (±25 %) until SUCCESS or ERROR or until
    ///   `d` has passed (then `deadline_reached` is set and the status is PENDING).
    ///
    /// Every processext attempt of one call carries the same body (the same request_id).
    /// `on_progress` is called on the calling thread after each answer; returning
    /// `ControlFlow::Break(())` stops with [`ErrorKind::Cancelled`].
    pub fn fee_process(
        &self,
        account_login: &str,
        request_id: &str,
        wait: Option<Duration>,
        on_progress: Option<ProgressFn<'_>>,
    ) -> Result<FeeResult> {
        let r = self.fee_process_inner(account_login, request_id, wait, on_progress);
        match &r {
            Err(e) => self.telemetry.call_failed(TARGET, "processext", e),
            Ok(res) if res.deadline_reached => {
                Stats::inc(&self.telemetry.stats.deadline_exceeded);
                crate::log!(
                    self.telemetry,
                    Level::Warn,
                    TARGET,
                    events::STILL_PENDING,
                    "the wait for request_id {request_id} ran out with the fee still PENDING \
                     ({} polls, {} ms)",
                    res.attempts,
                    res.elapsed.as_millis()
                );
            }
            Ok(_) => {}
        }
        r
    }

    fn fee_process_inner(
        &self,
        account_login: &str,
        request_id: &str,
        wait: Option<Duration>,
        mut on_progress: Option<ProgressFn<'_>>,
    ) -> Result<FeeResult> {
        validate_id("account_login", account_login)?;
        validate_id("request_id", request_id)?;
        let body = serde_json::to_vec(&wire::FeeRequest {
            account_login: account_login.to_string(),
            request_id: request_id.to_string(),
        })
        .map_err(|e| Error::protocol(e.to_string()))?;
        let start = self.clock.now();
        let deadline = start + wait.unwrap_or(self.cfg.call_deadline);
        let mut attempts = 0u32;
        let idempotent = Retryable { malformed: true };
        loop {
            let answer = self.cfg.retry.run(
                &*self.clock,
                &self.telemetry,
                TARGET,
                deadline,
                idempotent,
                |_| self.process_once(&body, request_id, deadline),
            );
            let (status, resp) = match answer {
                Ok(r) => r,
                // The wait ran out (during a request, or with retries cut short) after PENDING
                // answers: still pending.
                Err(e) if wait.is_some() && attempts > 0 && e.deadline_ran_out() => {
                    return Ok(FeeResult {
                        status: FeeStatus::Pending,
                        attempts,
                        elapsed: self.clock.now().saturating_duration_since(start),
                        error_details: None,
                        deadline_reached: true,
                    });
                }
                Err(e) => return Err(e),
            };
            attempts += 1;
            let elapsed = self.clock.now().saturating_duration_since(start);
            if let Some(cb) = on_progress.as_mut() {
                if cb(&Progress {
                    status,
                    attempt: attempts,
                    elapsed,
                })
                .is_break()
                {
                    return Err(Error::new(
                        ErrorKind::Cancelled,
                        format!("cancelled by the progress callback after {attempts} polls"),
                    ));
                }
            }
            let mut result = FeeResult {
                status,
                attempts,
                elapsed,
                error_details: None,
                deadline_reached: false,
            };
            if status == FeeStatus::Error {
                result.error_details = Some(if resp.extra.is_empty() {
                    "(no details)".to_string()
                } else {
                    serde_json::Value::Object(resp.extra.clone()).to_string()
                });
            }
            if status.is_final() || wait.is_none() {
                return Ok(result);
            }
            let pause = poll_pause(self.cfg.poll_interval);
            if self.clock.now() + pause >= deadline {
                result.deadline_reached = true;
                result.elapsed = self.clock.now().saturating_duration_since(start);
                return Ok(result);
            }
            self.clock.sleep(pause);
        }
    }
}
