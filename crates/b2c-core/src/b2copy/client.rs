//! The B2COPY client: tokens kept per client, single-flight refresh, fee processing with
//! retries and polling.

use std::fmt;
use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use parking_lot::Mutex;
use zeroize::Zeroizing;

use super::jwt::{mint_external_token, ExternalTokenParams};
use super::wire;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{join_url, ErrorBody, HttpClient, HttpConfig, Response};
use crate::keys::PrivateKey;
use crate::timeutil::{parse_rfc3339, unix_now};

/// Longest accepted `account_login` / `request_id`, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Capped exponential backoff for transient failures (connect errors, timeouts, 5xx, 429).
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// First backoff; doubled per retry, with full jitter.
    pub base: Duration,
    /// Backoff cap.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(250),
            max: Duration::from_secs(8),
        }
    }
}

/// Everything a [`Client`] needs besides its key.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `https://host` (http only for loopback unless `http.allow_insecure_http`).
    pub base_url: String,
    pub jwt: ExternalTokenParams,
    pub http: HttpConfig,
    /// Base polling interval while PENDING; each wait is jittered to 75–125 % of it
    /// (default 4 s, i.e. 3–5 s).
    pub poll_interval: Duration,
    /// Overall deadline of a one-shot `fee_process` (one logical request with its retries),
    /// and of `authenticate`.
    pub call_deadline: Duration,
    pub retry: RetryPolicy,
    /// Refresh this long before a known access-token expiry.
    pub refresh_margin: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, jwt: ExternalTokenParams) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            jwt,
            http: HttpConfig::default(),
            poll_interval: Duration::from_secs(4),
            call_deadline: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            refresh_margin: Duration::from_secs(30),
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

struct Tokens {
    access: Zeroizing<String>,
    refresh: Zeroizing<String>,
    access_exp: Option<SystemTime>,
    refresh_exp: Option<SystemTime>,
    received: SystemTime,
    /// Bumped on every new pair; lets concurrent callers see that someone else refreshed.
    generation: u64,
}

/// A B2COPY client for one service admin.
///
/// Thread safety: `Client` is `Send + Sync`; share one per process. Token refreshes are
/// single-flight: callers that need a new token while another caller is fetching one wait
/// for it instead of refreshing again.
pub struct Client {
    cfg: ClientConfig,
    key: PrivateKey,
    http: HttpClient,
    tokens: Mutex<Option<Tokens>>,
    /// Held for the duration of an authenticate/refresh exchange (the single flight).
    auth_flight: Mutex<()>,
    generation: Mutex<u64>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.cfg.base_url)
            .field("admin_id", &self.cfg.jwt.admin_id)
            .field("key_id", &self.cfg.jwt.key_id)
            .field("key", &self.key)
            .field("has_tokens", &self.tokens.lock().is_some())
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

/// Expiry of a token: from the object shape's `expiresAt`, else from a JWT's `exp` claim
/// (read without verification, only to schedule a refresh).
fn token_expiry(field: &wire::TokenField) -> Option<SystemTime> {
    match field {
        wire::TokenField::Object {
            expires_at: Some(v),
            ..
        } => match v {
            serde_json::Value::String(s) => {
                parse_rfc3339(s).or_else(|| s.parse::<u64>().ok().map(epoch_to_time))
            }
            serde_json::Value::Number(n) => n.as_u64().map(epoch_to_time),
            serde_json::Value::Object(o) => o
                .get("seconds")
                .and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()))
                .map(epoch_to_time),
            _ => None,
        },
        other => jwt_exp(token_str(other)),
    }
}

fn epoch_to_time(v: u64) -> SystemTime {
    // Milliseconds if implausibly large for seconds.
    if v > 100_000_000_000 {
        UNIX_EPOCH + Duration::from_millis(v)
    } else {
        UNIX_EPOCH + Duration::from_secs(v)
    }
}

fn jwt_exp(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?);
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("exp")?.as_u64().map(epoch_to_time)
}

fn token_str(field: &wire::TokenField) -> &str {
    match field {
        wire::TokenField::Plain(s) => s,
        wire::TokenField::Object { token, .. } => token,
    }
}

fn is_retryable(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Throttled => true,
        ErrorKind::HttpStatus => e.http_status().is_some_and(|s| s >= 500),
        _ => false,
    }
}

fn jittered(base: Duration) -> Duration {
    // 75 %..125 % of base.
    let ms = base.as_millis() as u64;
    let spread = ms / 4;
    Duration::from_millis(ms - spread + fastrand::u64(0..=spread * 2))
}

impl Client {
    /// A client with its key. No network traffic happens here.
    pub fn new(cfg: ClientConfig, key: PrivateKey) -> Result<Self> {
        cfg.jwt.validate()?;
        crate::http::check_url(&cfg.base_url, cfg.http.allow_insecure_http)?;
        if cfg.poll_interval.is_zero() {
            return Err(Error::new(ErrorKind::Config, "poll interval must be > 0"));
        }
        let http = HttpClient::new(cfg.http.clone())?;
        Ok(Client {
            cfg,
            key,
            http,
            tokens: Mutex::new(None),
            auth_flight: Mutex::new(()),
            generation: Mutex::new(0),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Mint a fresh external token with this client's key and claims.
    pub fn mint_jwt(&self) -> Result<Zeroizing<String>> {
        mint_external_token(&self.key, &self.cfg.jwt, unix_now())
    }

    /// Exchange a fresh external JWT for a token pair, replacing any tokens held.
    pub fn authenticate(&self) -> Result<()> {
        let deadline = Instant::now() + self.cfg.call_deadline;
        self.with_retries(deadline, || {
            let _flight = self.auth_flight.lock();
            self.authenticate_locked(deadline)
        })
    }

    /// Whether the client currently holds a token pair.
    pub fn has_tokens(&self) -> bool {
        self.tokens.lock().is_some()
    }

    /// Drop the tokens held (e.g. on logout). The next call authenticates again.
    pub fn forget_tokens(&self) {
        *self.tokens.lock() = None;
    }

    fn url(&self, path: &str) -> String {
        join_url(&self.cfg.base_url, path)
    }

    fn store(&self, pair: &wire::TokenPair) -> Result<()> {
        let access = token_str(&pair.access_token);
        let refresh = token_str(&pair.refresh_token);
        if access.is_empty() || refresh.is_empty() {
            return Err(Error::protocol("B2COPY returned an empty token"));
        }
        let mut gen = self.generation.lock();
        *gen += 1;
        *self.tokens.lock() = Some(Tokens {
            access: Zeroizing::new(access.to_string()),
            refresh: Zeroizing::new(refresh.to_string()),
            access_exp: token_expiry(&pair.access_token),
            refresh_exp: token_expiry(&pair.refresh_token),
            received: SystemTime::now(),
            generation: *gen,
        });
        Ok(())
    }

    fn token_response(&self, resp: &Response, what: &str) -> Result<()> {
        if resp.is_success() {
            let pair: wire::TokenPair = resp.json(what)?;
            return self.store(&pair);
        }
        Err(self.http_error(resp, what))
    }

    /// Map a non-2xx response to an error.
    fn http_error(&self, resp: &Response, what: &str) -> Error {
        let body = ErrorBody::parse(&resp.body);
        let (kind, msg) = match resp.status {
            401 | 403 => (ErrorKind::AuthRejected, "rejected"),
            429 => (ErrorKind::Throttled, "throttled"),
            _ => (ErrorKind::HttpStatus, "failed"),
        };
        Error::new(
            kind,
            format!("{what} {msg} with HTTP {}: {body}", resp.status),
        )
        .with_http_status(resp.status)
        .with_retry_after(resp.retry_after)
    }

    /// Caller holds `auth_flight`.
    fn authenticate_locked(&self, deadline: Instant) -> Result<()> {
        let jwt = self.mint_jwt()?;
        let body = Zeroizing::new(
            serde_json::to_vec(&wire::AuthRequest {
                external_token: jwt.to_string(),
            })
            .map_err(|e| Error::protocol(e.to_string()))?,
        );
        let resp = self.http.post(
            &self.url(wire::PATH_AUTH),
            &[],
            wire::CONTENT_TYPE_JSON,
            &body,
            Some(deadline),
        )?;
        self.token_response(&resp, "authexternalcrm")
    }

    /// Caller holds `auth_flight`. Refresh with the current refresh token.
    fn refresh_locked(&self, deadline: Instant) -> Result<()> {
        let refresh = {
            let guard = self.tokens.lock();
            match guard.as_ref() {
                Some(t) => t.refresh.clone(),
                None => return Err(Error::new(ErrorKind::Unauthorized, "no refresh token held")),
            }
        };
        let auth = Zeroizing::new(format!("{}{}", wire::BEARER_PREFIX, refresh.as_str()));
        let resp = self.http.post(
            &self.url(wire::PATH_REFRESH),
            &[(wire::HEADER_AUTHORIZATION, auth.as_str())],
            wire::CONTENT_TYPE_JSON,
            b"{}",
            Some(deadline),
        )?;
        self.token_response(&resp, "refreshtoken")
    }

    /// Replace the pair of generation `seen` (None: no tokens seen): refresh, and when
    /// the refresh is rejected, authenticate with a new JWT. Single-flight: if another
    /// caller already replaced that pair, nothing is sent.
    fn renew(&self, seen: Option<u64>, deadline: Instant) -> Result<()> {
        let _flight = self.auth_flight.lock();
        let (current, refresh_usable) = {
            let guard = self.tokens.lock();
            match guard.as_ref() {
                Some(t) => (
                    Some(t.generation),
                    t.refresh_exp
                        .is_none_or(|e| e > SystemTime::now() + Duration::from_secs(1)),
                ),
                None => (None, false),
            }
        };
        if current.is_some() && current != seen {
            return Ok(()); // someone else renewed while we waited
        }
        if current.is_none() || !refresh_usable {
            return self.authenticate_locked(deadline);
        }
        match self.refresh_locked(deadline) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AuthRejected || e.kind() == ErrorKind::Protocol => {
                *self.tokens.lock() = None;
                self.authenticate_locked(deadline)
            }
            Err(e) => Err(e),
        }
    }

    /// A usable access token and its generation, authenticating or refreshing ahead of
    /// a known expiry.
    fn access_token(&self, deadline: Instant) -> Result<(Zeroizing<String>, u64)> {
        for _ in 0..2 {
            let snapshot = {
                let guard = self.tokens.lock();
                guard.as_ref().map(|t| {
                    let fresh = t.access_exp.is_none_or(|exp| {
                        // Refresh `refresh_margin` ahead, but never earlier than half-way
                        // through the token's life (short-lived tokens would otherwise be
                        // refreshed on every call).
                        let life = exp.duration_since(t.received).unwrap_or_default();
                        let margin = self.cfg.refresh_margin.min(life / 2);
                        exp > SystemTime::now() + margin
                    });
                    (t.access.clone(), t.generation, fresh)
                })
            };
            match snapshot {
                Some((tok, gen, true)) => return Ok((tok, gen)),
                Some((_, gen, false)) => self.renew(Some(gen), deadline)?,
                None => self.renew(None, deadline)?,
            }
        }
        let guard = self.tokens.lock();
        guard
            .as_ref()
            .map(|t| (t.access.clone(), t.generation))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Unauthorized,
                    "no access token after authentication",
                )
            })
    }

    /// One processext exchange: refresh once on 401 and, when that fails, re-authenticate
    /// (inside `renew`); a second 401 is final.
    fn process_once(
        &self,
        body: &[u8],
        request_id: &str,
        deadline: Instant,
    ) -> Result<wire::FeeResponse> {
        let mut renewed = false;
        loop {
            let (token, gen) = self.access_token(deadline)?;
            let auth = Zeroizing::new(format!("{}{}", wire::BEARER_PREFIX, token.as_str()));
            let resp = self.http.post(
                &self.url(wire::PATH_PROCESS),
                &[(wire::HEADER_AUTHORIZATION, auth.as_str())],
                wire::CONTENT_TYPE_JSON,
                body,
                Some(deadline),
            )?;
            if resp.status == 401 {
                if renewed {
                    let e = self.http_error(&resp, "processext");
                    return Err(Error::new(
                        ErrorKind::Unauthorized,
                        format!("{} (after refresh and re-authentication)", e.message()),
                    )
                    .with_http_status(401));
                }
                renewed = true;
                self.renew(Some(gen), deadline)?;
                continue;
            }
            if !resp.is_success() {
                return Err(self.http_error(&resp, "processext"));
            }
            let parsed: wire::FeeResponse = resp.json("processext")?;
            if let Some(rid) = &parsed.request_id {
                if rid != request_id {
                    return Err(Error::protocol(format!(
                        "processext answered for request_id {rid}, expected {request_id}"
                    )));
                }
            }
            return Ok(parsed);
        }
    }

    /// Run `op`, retrying transient failures with capped exponential backoff (full jitter),
    /// honouring `Retry-After`, never past `deadline`.
    fn with_retries<T>(&self, deadline: Instant, mut op: impl FnMut() -> Result<T>) -> Result<T> {
        let mut retry = 0u32;
        loop {
            match op() {
                Ok(v) => return Ok(v),
                Err(e) if is_retryable(&e) => {
                    let cap = self
                        .cfg
                        .retry
                        .base
                        .saturating_mul(1u32 << retry.min(16))
                        .min(self.cfg.retry.max);
                    let backoff = Duration::from_millis(fastrand::u64(
                        cap.as_millis() as u64 / 2..=cap.as_millis() as u64,
                    ));
                    let wait = e
                        .retry_after()
                        .map_or(backoff, |ra| ra.max(backoff.min(ra)));
                    let now = Instant::now();
                    if now + wait >= deadline {
                        return Err(
                            e.context(&format!("gave up after {} retries (deadline)", retry))
                        );
                    }
                    std::thread::sleep(wait);
                    retry += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Ask B2COPY to charge the fees due for `request_id` (the CRM's withdrawal id) on
    /// `account_login`.
    ///
    /// - `wait == None`: one logical request (transient failures retried within
    ///   `call_deadline`); PENDING is a normal result.
    /// - `wait == Some(d)`: poll every `poll_interval` (±25 %) until SUCCESS or ERROR or
    ///   until `d` has passed (then `deadline_reached` is set and the status is PENDING).
    ///
    /// `on_progress` is called on the calling thread after each answer; returning
    /// `ControlFlow::Break(())` stops with [`ErrorKind::Cancelled`].
    pub fn fee_process(
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
        let start = Instant::now();
        let deadline = start + wait.unwrap_or(self.cfg.call_deadline);
        let mut attempts = 0u32;
        loop {
            let resp = match self
                .with_retries(deadline, || self.process_once(&body, request_id, deadline))
            {
                Ok(r) => r,
                // The wait ran out during a request after PENDING answers: still pending.
                Err(e) if wait.is_some() && attempts > 0 && e.kind() == ErrorKind::Timeout => {
                    return Ok(FeeResult {
                        status: FeeStatus::Pending,
                        attempts,
                        elapsed: start.elapsed(),
                        error_details: None,
                        deadline_reached: true,
                    });
                }
                Err(e) => return Err(e),
            };
            attempts += 1;
            let code = resp.status_code().ok_or_else(|| {
                Error::protocol(format!("processext: unknown status {}", resp.status))
            })?;
            let status = FeeStatus::from_wire(code)
                .ok_or_else(|| Error::protocol(format!("processext: unknown status {code}")))?;
            let elapsed = start.elapsed();
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
            let pause = jittered(self.cfg.poll_interval);
            if Instant::now() + pause >= deadline {
                result.deadline_reached = true;
                result.elapsed = start.elapsed();
                return Ok(result);
            }
            std::thread::sleep(pause);
        }
    }
}
