//! B2BINPAY v2 API token authentication (docs/PROTOCOLS.md §3).
//!
//! - `POST {base}/token/` with login/password → access + refresh tokens, their RFC 3339
//!   expiry times, and `meta.{time, sign}`. `meta.sign` is verified in constant time:
//!   hex HMAC-SHA256(key = SHA-256(login ‖ password) as the raw 32-byte digest,
//!   message = meta.time ‖ refresh). A mismatch discards every token and fails with
//!   [`ErrorKind::ResponseSignatureInvalid`].
//! - `POST {base}/token/refresh/` with the refresh token → a new pair. Refresh tokens are
//!   single use, so a refresh token is taken out of the client state *before* it is sent
//!   and is never sent twice (no retry of a refresh; on a transient failure the client logs
//!   in again instead). Refreshes are single-flight: concurrent callers share one.
//! - A refresh token rejected (HTTP 401, code 2007) while not yet expired is *suspicious*
//!   (it may have been stolen and used): every token is dropped, the client logs in again,
//!   the event is counted ([`B2binpayClient::suspicious_events`]), flagged in the returned
//!   [`TokenInfo::suspicious_refresh`] and logged as one line on stderr (without the token).
//!
//! Error kinds: 400 code 2006 → [`ErrorKind::AuthRejected`] ("bad credentials"); 429 →
//! retried after `Retry-After` within the deadline, else [`ErrorKind::Throttled`]; 5xx,
//! network errors and timeouts on `/token/` → retried with capped exponential backoff
//! within the deadline, then [`ErrorKind::HttpStatus`] / [`ErrorKind::Network`] /
//! [`ErrorKind::Timeout`]; malformed answers → [`ErrorKind::Protocol`].

pub mod wire;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::{Mutex, RwLock};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::calls::{self, CallResponse};
use crate::clock::Clock;
use crate::error::{Cause, Error, ErrorKind, Result};
use crate::flight::Flight;
use crate::http::{ErrorBody, HttpClient, Request, Response, Url};
use crate::retry::{RetryPolicy, Retryable};
use crate::signature::{ct_eq, decode_hex32, hex_lower, hmac_sha256_parts};
use crate::store::{identity, Record, Slot, StoreSpec, TokenStore};
use crate::telemetry::{events, Level, Stats, Telemetry};
use crate::timeutil::parse_rfc3339;
use crate::token::{check_token, Schedule};

/// Default: renew the access token this long before it expires.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(10);
/// Default: the whole of one operation (including retries) must finish within this.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// Settings of one B2BINPAY credential.
#[derive(Clone)]
pub struct B2binpayConfig {
    /// e.g. [`wire::BASE_URL_PRODUCTION`] or [`wire::BASE_URL_SANDBOX`]; https (loopback
    /// http allowed for tests).
    pub base_url: String,
    /// The API key ("login").
    pub login: Zeroizing<String>,
    /// The API secret ("password").
    pub password: Zeroizing<String>,
    /// Renew the access token this long before its expiry (capped at half its lifetime).
    pub refresh_margin: Duration,
    /// Per-operation deadline, retries included.
    pub deadline: Duration,
    /// Where the token pair lives besides this handle (the `token_store` key).
    pub token_store: StoreSpec,
    /// The paths of the token endpoints, relative to `base_url` (v2: `/token/` and
    /// `/token/refresh/`; configurable for v3 or a proxy in front of the API).
    pub token_path: String,
    pub refresh_path: String,
}

impl B2binpayConfig {
    /// A configuration with the default margin (10 s) and deadline (30 s).
    pub fn new(base_url: &str, login: &str, password: &str) -> Self {
        B2binpayConfig {
            base_url: base_url.to_string(),
            login: Zeroizing::new(login.to_string()),
            password: Zeroizing::new(password.to_string()),
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            deadline: DEFAULT_DEADLINE,
            token_store: StoreSpec::Memory,
            token_path: wire::PATH_TOKEN.to_string(),
            refresh_path: wire::PATH_REFRESH.to_string(),
        }
    }
}

impl fmt::Debug for B2binpayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("B2binpayConfig")
            .field("base_url", &self.base_url)
            .field("login", &"<redacted>")
            .field("password", &"<redacted>")
            .field("refresh_margin", &self.refresh_margin)
            .field("deadline", &self.deadline)
            .field("token_store", &self.token_store)
            .finish()
    }
}

/// What the client knows about its current token pair (no token values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// `access_expired_at` as the server stated it.
    pub access_expires_at: SystemTime,
    /// `refresh_expired_at` as the server stated it.
    pub refresh_expires_at: SystemTime,
    /// The pair came from `/token/refresh/` (false: from a login).
    pub via_refresh: bool,
    /// An unexpired refresh token was rejected on the way to this pair: all tokens were
    /// dropped and the client logged in again. Treat as a security event.
    pub suspicious_refresh: bool,
}

/// The SHA-256(login ‖ password) raw digest: the HMAC key of `meta.sign` and of deposit
/// callbacks.
pub fn sign_key(login: &str, password: &str) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(login.as_bytes());
    h.update(password.as_bytes());
    Zeroizing::new(h.finalize().into())
}

/// `meta.sign` of a token response: lowercase hex HMAC-SHA256(key, time ‖ refresh).
pub fn token_sign(key: &[u8; 32], time: &str, refresh: &str) -> String {
    hex_lower(&hmac_sha256_parts(
        key,
        &[time.as_bytes(), refresh.as_bytes()],
    ))
}

fn verify_parts(key: &[u8; 32], parts: &[&[u8]], sign: &str) -> bool {
    let Some(given) = decode_hex32(sign.trim()) else {
        return false;
    };
    let expected = Zeroizing::new(hmac_sha256_parts(key, parts));
    ct_eq(expected.as_ref(), &given)
}

/// Constant-time check of a token response's `meta.sign`.
pub fn verify_token_sign(key: &[u8; 32], time: &str, refresh: &str, sign: &str) -> bool {
    verify_parts(key, &[time.as_bytes(), refresh.as_bytes()], sign)
}

/// The signature of a v2 deposit callback: hex HMAC-SHA256(key = SHA-256(login ‖ password),
/// msg = status ‖ amount ‖ tracking_id ‖ meta_time).
pub fn deposit_callback_sign(
    login: &str,
    password: &str,
    status: &str,
    amount: &str,
    tracking_id: &str,
    meta_time: &str,
) -> String {
    let key = sign_key(login, password);
    hex_lower(&hmac_sha256_parts(
        key.as_ref(),
        &[
            status.as_bytes(),
            amount.as_bytes(),
            tracking_id.as_bytes(),
            meta_time.as_bytes(),
        ],
    ))
}

/// Verify a v2 deposit callback's `meta.sign` (constant time; hex in either case). Pass the
/// field values exactly as they appear in the callback JSON (`transfer.status`,
/// `transfer.amount`, `deposit.tracking_id`, `meta.time`).
pub fn verify_deposit_callback(
    login: &str,
    password: &str,
    status: &str,
    amount: &str,
    tracking_id: &str,
    meta_time: &str,
    sign: &str,
) -> bool {
    let key = sign_key(login, password);
    verify_parts(
        &key,
        &[
            status.as_bytes(),
            amount.as_bytes(),
            tracking_id.as_bytes(),
            meta_time.as_bytes(),
        ],
        sign,
    )
}

/// The current token pair.
struct Held {
    access: Zeroizing<String>,
    /// `None` once taken out to be sent.
    refresh: Option<Zeroizing<String>>,
    access_schedule: Schedule,
    /// Do not send the refresh token after this instant (log in instead).
    refresh_usable_until: Instant,
    /// The refresh token's stated expiry, on our monotonic clock.
    refresh_expires: Instant,
    info: TokenInfo,
    /// For the token store: when the pair was obtained (wall clock) and its lifetimes.
    obtained: SystemTime,
    access_life: Duration,
    refresh_life: Duration,
}

#[derive(Default)]
struct State {
    held: Option<Held>,
    /// Bumped by every pair installed.
    generation: u64,
    /// Server clock minus local clock, in nanoseconds, measured at the last login.
    clock_offset_ns: i128,
}

/// A B2BINPAY v2 token client for one credential. `Send + Sync`: share it between threads.
pub struct B2binpayClient {
    cfg: B2binpayConfig,
    http: HttpClient,
    clock: Arc<dyn Clock>,
    key: Zeroizing<[u8; 32]>,
    token_url: Url,
    refresh_url: Url,
    state: Mutex<State>,
    /// At most one renewal (login or refresh) at a time; a waiter never waits past its own
    /// deadline.
    flight: Flight,
    suspicious: AtomicU64,
    logins: AtomicU64,
    refreshes: AtomicU64,
    /// The shared token store, if any.
    store: RwLock<Option<Slot>>,
    /// Set while a renewal runs without the store's lock (the store failed): no single-use
    /// refresh token is sent then.
    store_unlocked: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for B2binpayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("B2binpayClient")
            .field("cfg", &self.cfg)
            .field("token_info", &self.token_info())
            .field("suspicious_events", &self.suspicious_events())
            .finish()
    }
}

enum RefreshFailure {
    /// The server rejected the refresh token (401 / code 2007).
    Rejected,
    Other(Error),
}

const TARGET: &str = "b2binpay";
/// The vendor name in token store records and identities.
const STORE_VENDOR: &str = "b2binpay";

/// The token store identity of one B2BINPAY credential: base URL and login (the API key is
/// an identifier here, hashed with the rest; the password is never part of it).
fn store_identity(base: &Url, login: &str) -> String {
    identity(STORE_VENDOR, &[&base.to_string(), login])
}

impl B2binpayClient {
    /// Validate the configuration (https base URL unless loopback, non-empty credentials).
    /// The client reports to `http`'s telemetry and times with `http`'s clock.
    pub fn new(cfg: B2binpayConfig, http: HttpClient) -> Result<Self> {
        let base = http.check_url(&cfg.base_url)?;
        if cfg.login.is_empty() || cfg.password.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                "B2BINPAY: login and password must not be empty",
            ));
        }
        if cfg.deadline.is_zero() {
            return Err(Error::new(
                ErrorKind::Config,
                "B2BINPAY: deadline must be positive",
            ));
        }
        let key = sign_key(&cfg.login, &cfg.password);
        let store = cfg
            .token_store
            .open()?
            .map(|s| Slot::new(s, STORE_VENDOR, store_identity(&base, &cfg.login)));
        let tel = http.telemetry();
        tel.redactor.add(&cfg.login);
        tel.redactor.add(&cfg.password);
        Ok(B2binpayClient {
            token_url: calls::join_path(&base, &cfg.token_path).map_err(|e| {
                Error::new(ErrorKind::Config, format!("token_path: {}", e.message()))
            })?,
            refresh_url: calls::join_path(&base, &cfg.refresh_path).map_err(|e| {
                Error::new(ErrorKind::Config, format!("refresh_path: {}", e.message()))
            })?,
            clock: http.clock().clone(),
            cfg,
            http,
            key,
            state: Mutex::new(State::default()),
            flight: Flight::new(),
            suspicious: AtomicU64::new(0),
            logins: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            store: RwLock::new(store),
            store_unlocked: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub fn config(&self) -> &B2binpayConfig {
        &self.cfg
    }

    /// The log sink and statistics of this handle.
    pub fn telemetry(&self) -> &Arc<Telemetry> {
        self.http.telemetry()
    }

    /// How many suspicious refresh rejections this client has seen (the history; each
    /// event is reported once, to the call that met it).
    pub fn suspicious_events(&self) -> u64 {
        self.suspicious.load(Ordering::Relaxed)
    }

    /// How many `/token/` requests were answered (any status).
    pub fn login_count(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// How many `/token/refresh/` requests were answered (any status).
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Expiry information of the current pair, if any.
    pub fn token_info(&self) -> Option<TokenInfo> {
        self.state.lock().held.as_ref().map(|h| h.info.clone())
    }

    /// Mark the access token as unusable (e.g. after an API call answered 401); the next
    /// [`access_token`](Self::access_token) refreshes. The refresh token is kept.
    pub fn invalidate_access(&self) {
        if let Some(h) = self.state.lock().held.as_mut() {
            let now = self.clock.now();
            h.access_schedule = Schedule {
                renew_at: now,
                expires_at: now,
            };
        }
    }

    /// Drop every token.
    pub fn clear(&self) {
        self.state.lock().held = None;
    }

    /// Log in now (`POST {base}/token/`), replacing any tokens.
    pub fn login(&self) -> Result<TokenInfo> {
        let deadline = self.clock.now() + self.cfg.deadline;
        self.led(deadline, |d| {
            self.under_store(d, false, || self.do_login(d, false))
        })
        .map(|(_, i)| i)
        .inspect_err(|e| self.telemetry().call_failed(TARGET, "login", e))
    }

    /// Refresh now (`POST {base}/token/refresh/`). With no usable refresh token (none yet,
    /// already used, or about to expire) this logs in instead. A rejected unexpired refresh
    /// token is handled as described in the module docs (suspicious → log in again).
    pub fn refresh(&self) -> Result<TokenInfo> {
        let deadline = self.clock.now() + self.cfg.deadline;
        self.led(deadline, |d| self.under_store(d, true, || self.renew(d)))
            .map(|(_, i)| i)
            .inspect_err(|e| self.telemetry().call_failed(TARGET, "refresh", e))
    }

    /// A valid access token, logging in or refreshing ahead of expiry. Concurrent callers
    /// share a single renewal.
    pub fn access_token(&self) -> Result<Zeroizing<String>> {
        self.access_token_with_info().map(|(t, _)| t)
    }

    /// [`access_token`](Self::access_token) together with the pair's [`TokenInfo`].
    /// `suspicious_refresh` is set only in the answer to the call whose renewal met the
    /// suspicious rejection (an event, reported once; [`Self::suspicious_events`] counts them).
    pub fn access_token_with_info(&self) -> Result<(Zeroizing<String>, TokenInfo)> {
        self.access_token_inner()
            .inspect_err(|e| self.telemetry().call_failed(TARGET, "access_token", e))
    }

    fn access_token_inner(&self) -> Result<(Zeroizing<String>, TokenInfo)> {
        let deadline = self.clock.now() + self.cfg.deadline;
        let quiet = |h: &Held| {
            (
                h.access.clone(),
                TokenInfo {
                    suspicious_refresh: false,
                    ..h.info.clone()
                },
            )
        };
        let start_generation = self.state.lock().generation;
        for _ in 0..3 {
            let now = self.clock.now();
            {
                let st = self.state.lock();
                if let Some(h) = &st.held {
                    // Not due yet; or renewed by someone else since this call began (a pair
                    // the server just issued is used even if its stated lifetime is odd);
                    // or due but still valid while another caller renews.
                    if !h.access_schedule.due(now)
                        || st.generation != start_generation
                        || (!h.access_schedule.expired(now) && self.flight.is_running())
                    {
                        return Ok(quiet(h));
                    }
                }
            }
            let seen = self.state.lock().generation;
            if let Some(Some(led)) = self.flight.run(&*self.clock, deadline, || {
                // Renewed by someone else between our look and the flight?
                if self.state.lock().generation != seen {
                    return Ok(None);
                }
                // A handle without tokens first takes a good stored pair, without the lock.
                if self.state.lock().held.is_none() {
                    let slot = self.store.read().clone();
                    if let Some(rec) = slot.and_then(|s| s.load(self.telemetry(), TARGET)) {
                        if let Some(x) = self.adopt(&rec, false) {
                            return Ok(Some(x));
                        }
                    }
                }
                self.under_store(deadline, true, || self.renew(deadline))
                    .map(Some)
            })? {
                return Ok(led);
            }
        }
        let st = self.state.lock();
        st.held.as_ref().map(quiet).ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "B2BINPAY: no access token after renewing",
            )
        })
    }

    /// Run `op` as a flight leader (waiting, bounded, for any flight in progress first).
    fn led(
        &self,
        deadline: Instant,
        op: impl Fn(Instant) -> Result<(Zeroizing<String>, TokenInfo)>,
    ) -> Result<(Zeroizing<String>, TokenInfo)> {
        loop {
            if let Some(r) = self.flight.run(&*self.clock, deadline, || op(deadline))? {
                return Ok(r);
            }
            // We followed someone else's flight; an explicit login/refresh runs its own.
        }
    }

    /// Refresh if a usable refresh token is held, else log in. Runs inside the flight.
    fn renew(&self, deadline: Instant) -> Result<(Zeroizing<String>, TokenInfo)> {
        let taken = {
            let mut st = self.state.lock();
            let now = self.clock.now();
            match st.held.as_mut() {
                Some(h) if now < h.refresh_usable_until => {
                    h.refresh.take().map(|r| (r, h.refresh_expires))
                }
                _ => None,
            }
        };
        let mut suspicious = false;
        // A single-use refresh token never goes out unless the store (when there is one) has
        // been told first that it is taken: a process that dies after sending it leaves a
        // store without a refresh token (the next process logs in), never one that would be
        // replayed.
        let taken = match (taken, self.store.read().clone()) {
            (Some(t), Some(slot)) => {
                if self.store_unlocked.load(Ordering::Relaxed) {
                    None // no cross-process lock: another process may hold the same token
                } else if let Some(mut rec) = self.held_record() {
                    rec.refresh = None;
                    if slot.save(&rec, self.telemetry(), TARGET) {
                        Some(t)
                    } else {
                        None
                    }
                } else {
                    Some(t)
                }
            }
            (t, None) => t,
            (None, _) => None,
        };
        if let Some((refresh, refresh_expires)) = taken {
            match self.do_refresh(&refresh, deadline) {
                Ok(x) => return Ok(x),
                Err(RefreshFailure::Rejected) => {
                    self.clear();
                    if self.clock.now() < refresh_expires {
                        suspicious = true;
                        self.suspicious.fetch_add(1, Ordering::Relaxed);
                        Stats::inc(&self.telemetry().stats.suspicious);
                        self.telemetry().emit_must_see(
                            Level::Warn,
                            TARGET,
                            events::SUSPICIOUS_REFRESH,
                            format_args!(
                                "SUSPICIOUS: an unexpired refresh token was rejected (401 code \
                                 2007); all tokens dropped, logging in again"
                            ),
                        );
                    }
                }
                Err(RefreshFailure::Other(e)) => {
                    // The refresh token may or may not have been consumed: it is never sent
                    // again. A forged response is not retried.
                    if e.kind() == ErrorKind::ResponseSignatureInvalid
                        || self.clock.remaining(deadline).is_zero()
                    {
                        return Err(e);
                    }
                    Stats::inc(&self.telemetry().stats.reauths);
                    crate::log!(
                        self.telemetry(),
                        Level::Info,
                        TARGET,
                        events::REAUTH,
                        "logging in again: the refresh failed ({})",
                        e.message()
                    );
                }
            }
        }
        self.do_login(deadline, suspicious)
    }

    /// Any other B2BINPAY API request (payouts, deposits, wallets): `method` on `path`
    /// (relative to base_url, with an optional query), `body` sent as JSON:API
    /// (`application/vnd.api+json`) when not empty, `Authorization: Bearer <access token>`
    /// with the token rules of [`Self::access_token`]. A 401 marks the access token unusable,
    /// renews it once (a refresh, or a login) and sends again; a second 401 is
    /// [`ErrorKind::Unauthorized`]. Every other final answer is returned whatever its status
    /// (see [`crate::calls`]); `idempotent` overrides the method's default for retries.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        idempotent: Option<bool>,
    ) -> Result<CallResponse> {
        let r = (|| {
            let m = calls::method(method)?;
            let base = Url::parse(&self.cfg.base_url)?;
            let url = calls::join_path(&base, path)?;
            let idempotent = idempotent.unwrap_or_else(|| calls::idempotent_by_default(m));
            let deadline = self.clock.now() + self.cfg.deadline;
            let body = (!body.is_empty()).then_some((wire::CONTENT_TYPE, body));
            let policy = RetryPolicy {
                base: BACKOFF_BASE,
                max: BACKOFF_CAP,
            };
            calls::send_with_retries(
                &policy,
                &*self.clock,
                self.telemetry(),
                TARGET,
                deadline,
                idempotent,
                || {
                    for attempt in 0..2 {
                        let token = self.access_token_inner().map(|(t, _)| t)?;
                        let auth =
                            Zeroizing::new(format!("{}{}", wire::BEARER_PREFIX, token.as_str()));
                        let resp = self.http.send(
                            &Request {
                                method: m,
                                url: &url,
                                headers: &[
                                    (wire::HEADER_AUTHORIZATION, auth.as_str()),
                                    ("Accept", wire::CONTENT_TYPE),
                                ],
                                body,
                                endpoint: "call",
                                replayable: idempotent,
                            },
                            deadline,
                        )?;
                        if resp.status != 401 {
                            return Ok(resp);
                        }
                        Stats::inc(&self.telemetry().stats.unauthorized);
                        crate::log!(
                            self.telemetry(),
                            if attempt == 0 {
                                Level::Info
                            } else {
                                Level::Warn
                            },
                            TARGET,
                            events::UNAUTHORIZED,
                            "{} {} answered 401{}",
                            m.as_str(),
                            url.path.split('?').next().unwrap_or(""),
                            if attempt == 0 {
                                "; renewing the access token"
                            } else {
                                " on a renewed token"
                            }
                        );
                        if attempt == 0 {
                            self.invalidate_access();
                        }
                    }
                    Err(Error::new(
                        ErrorKind::Unauthorized,
                        "B2BINPAY answered 401 to a renewed access token",
                    )
                    .with_http_status(401))
                },
            )
        })();
        r.inspect_err(|e| self.telemetry().call_failed(TARGET, "call", e))
    }

    /// Use the token store `store` from now on (`None`: tokens live in this handle only).
    pub fn set_token_store(&self, store: Option<Arc<dyn TokenStore>>) {
        let base = Url::parse(&self.cfg.base_url).ok();
        *self.store.write() = match (store, base) {
            (Some(s), Some(base)) => Some(Slot::new(
                s,
                STORE_VENDOR,
                store_identity(&base, &self.cfg.login),
            )),
            _ => None,
        };
    }

    /// Run a renewal `op` (inside the flight) under the token store's lock, when there is a
    /// store: re-read the store first (with `adopt_first`, a pair another process obtained
    /// meanwhile is used instead, and nothing is sent), save the new pair after.
    fn under_store(
        &self,
        deadline: Instant,
        adopt_first: bool,
        op: impl FnOnce() -> Result<(Zeroizing<String>, TokenInfo)>,
    ) -> Result<(Zeroizing<String>, TokenInfo)> {
        let slot = self.store.read().clone();
        let Some(slot) = slot else { return op() };
        let tel = self.telemetry();
        let lock = slot.lock(&*self.clock, deadline, tel, TARGET)?;
        self.store_unlocked.store(lock.is_none(), Ordering::Relaxed);
        if adopt_first {
            let ours = self.state.lock().held.as_ref().map(|h| h.access.clone());
            if let Some(rec) = slot.load(tel, TARGET) {
                if ours.as_deref().map(|s| s.as_str()) != Some(rec.access.as_str()) {
                    if let Some(x) = self.adopt(&rec, false) {
                        return Ok(x);
                    }
                    // Newer than ours but due too: refresh with its refresh token (if any).
                    self.adopt(&rec, true);
                }
            }
        }
        let r = op();
        if r.is_ok() {
            if let Some(rec) = self.held_record() {
                slot.save(&rec, tel, TARGET);
            }
        }
        self.store_unlocked.store(false, Ordering::Relaxed);
        drop(lock);
        r
    }

    /// The record of the pair held, for the store.
    fn held_record(&self) -> Option<Record> {
        let st = self.state.lock();
        st.held.as_ref().map(|h| Record {
            access: h.access.clone(),
            refresh: h.refresh.clone(),
            obtained: h.obtained,
            access_life: Some(h.access_life),
            refresh_life: Some(h.refresh_life),
            access_expires: Some(h.info.access_expires_at),
            refresh_expires: Some(h.info.refresh_expires_at),
        })
    }

    /// Install a stored pair (unless `even_if_due`, only one not due for renewal).
    fn adopt(&self, rec: &Record, even_if_due: bool) -> Option<(Zeroizing<String>, TokenInfo)> {
        let (Some(access_life), Some(refresh_life), Some(access_at), Some(refresh_at)) = (
            rec.access_life,
            rec.refresh_life,
            rec.access_expires,
            rec.refresh_expires,
        ) else {
            return None;
        };
        let now = self.clock.now();
        let obtained = rec.obtained_instant(&*self.clock);
        let access_schedule = Schedule::new(obtained, Some(access_life), self.cfg.refresh_margin)
            .unwrap_or(Schedule {
                renew_at: obtained + access_life,
                expires_at: obtained + access_life,
            });
        let due = access_schedule.due(now);
        if due && !even_if_due {
            return None;
        }
        let tel = self.telemetry();
        tel.redactor.add(&rec.access);
        if let Some(r) = &rec.refresh {
            tel.redactor.add(r);
        }
        let refresh_margin = self.cfg.refresh_margin.min(refresh_life / 5);
        let info = TokenInfo {
            access_expires_at: access_at,
            refresh_expires_at: refresh_at,
            via_refresh: false,
            suspicious_refresh: false,
        };
        let mut st = self.state.lock();
        st.generation += 1;
        st.held = Some(Held {
            access: rec.access.clone(),
            refresh: rec.refresh.clone(),
            access_schedule,
            refresh_usable_until: obtained + refresh_life.saturating_sub(refresh_margin),
            refresh_expires: obtained + refresh_life,
            info: info.clone(),
            obtained: rec.obtained,
            access_life,
            refresh_life,
        });
        drop(st);
        if due {
            return None;
        }
        Stats::inc(&tel.stats.store_adopted);
        crate::log!(
            tel,
            Level::Info,
            TARGET,
            events::STORE,
            "using the token pair from the token store (obtained by another handle or process)"
        );
        Some((rec.access.clone(), info))
    }

    fn do_login(
        &self,
        deadline: Instant,
        suspicious: bool,
    ) -> Result<(Zeroizing<String>, TokenInfo)> {
        let body = Zeroizing::new(
            serde_json::to_vec(&wire::login_body(&self.cfg.login, &self.cfg.password))
                .map_err(|_| Error::protocol("B2BINPAY: could not encode the login request"))?,
        );
        let tel = self.telemetry();
        let resp = RetryPolicy {
            base: BACKOFF_BASE,
            max: BACKOFF_CAP,
        }
        .run(
            &*self.clock,
            tel,
            TARGET,
            deadline,
            Retryable::default(),
            |_| {
                let resp = self.http.post(
                    &self.token_url,
                    &[],
                    wire::CONTENT_TYPE,
                    &body,
                    "token",
                    true,
                    deadline,
                )?;
                self.logins.fetch_add(1, Ordering::Relaxed);
                Stats::inc(&tel.stats.auth_exchanges);
                if resp.is_success() {
                    Ok(resp)
                } else {
                    Err(status_error("token", &resp))
                }
            },
        )?;
        let resp_body = Zeroizing::new(resp.body);
        let parsed: wire::TokenResponse = parse_json(&resp_body, "token")?;
        let attrs = parsed.data.attributes;
        let Some(meta) = parsed.meta else {
            self.clear();
            return Err(Error::new(
                ErrorKind::ResponseSignatureInvalid,
                "B2BINPAY: token response has no meta.sign; the tokens were discarded",
            )
            .with_http_status(resp.status));
        };
        if !verify_token_sign(&self.key, &meta.time, &attrs.refresh, &meta.sign) {
            drop(Zeroizing::new(attrs.access));
            drop(Zeroizing::new(attrs.refresh));
            self.clear();
            return Err(Error::new(
                ErrorKind::ResponseSignatureInvalid,
                "B2BINPAY: token response meta.sign does not verify; the tokens were discarded",
            )
            .with_http_status(resp.status));
        }
        let server_now = parse_rfc3339(&meta.time);
        if let Some(t) = server_now {
            self.state.lock().clock_offset_ns = signed_diff_ns(t, self.clock.wall());
        }
        let stored = self.store(attrs, server_now, false, suspicious)?;
        crate::log!(
            tel,
            Level::Info,
            TARGET,
            events::AUTH,
            "logged in (/token/{})",
            if suspicious {
                ": after a suspicious refresh"
            } else {
                ""
            }
        );
        Ok(stored)
    }

    fn do_refresh(
        &self,
        refresh: &str,
        deadline: Instant,
    ) -> std::result::Result<(Zeroizing<String>, TokenInfo), RefreshFailure> {
        let body = Zeroizing::new(serde_json::to_vec(&wire::refresh_body(refresh)).map_err(
            |_| RefreshFailure::Other(Error::protocol("B2BINPAY: could not encode refresh")),
        )?);
        let tel = self.telemetry();
        // Never retried, never replayed: a refresh token is sent at most once.
        let resp = self
            .http
            .post(
                &self.refresh_url,
                &[],
                wire::CONTENT_TYPE,
                &body,
                "token_refresh",
                false,
                deadline,
            )
            .map_err(RefreshFailure::Other)?;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        Stats::inc(&tel.stats.refreshes);
        if !resp.is_success() {
            let errors = parse_api_errors(&resp.body);
            let code_2007 = errors.iter().any(|e| code_of(e).as_deref() == Some("2007"));
            return Err(if resp.status == 401 || code_2007 {
                RefreshFailure::Rejected
            } else {
                RefreshFailure::Other(status_error("refresh", &resp))
            });
        }
        let resp_body = Zeroizing::new(resp.body);
        let parsed: wire::RefreshResponse =
            parse_json(&resp_body, "refresh").map_err(RefreshFailure::Other)?;
        let (attrs, meta) = parsed.into_parts();
        // Documented without meta; if the server does sign it, check.
        if let Some(meta) = &meta {
            if !verify_token_sign(&self.key, &meta.time, &attrs.refresh, &meta.sign) {
                drop(Zeroizing::new(attrs.access));
                drop(Zeroizing::new(attrs.refresh));
                self.clear();
                return Err(RefreshFailure::Other(
                    Error::new(
                        ErrorKind::ResponseSignatureInvalid,
                        "B2BINPAY: refresh response meta.sign does not verify; the tokens were \
                         discarded",
                    )
                    .with_http_status(resp.status),
                ));
            }
        }
        let server_now = meta.as_ref().and_then(|m| parse_rfc3339(&m.time));
        let stored = self
            .store(attrs, server_now, true, false)
            .map_err(RefreshFailure::Other)?;
        crate::log!(
            tel,
            Level::Info,
            TARGET,
            events::REFRESH,
            "refreshed (/token/refresh/)"
        );
        Ok(stored)
    }

    /// Check and install a new pair. `server_now`: the server's clock at the response, if
    /// stated.
    fn store(
        &self,
        attrs: wire::TokenAttributes,
        server_now: Option<SystemTime>,
        via_refresh: bool,
        suspicious: bool,
    ) -> Result<(Zeroizing<String>, TokenInfo)> {
        let access = Zeroizing::new(attrs.access);
        let refresh = Zeroizing::new(attrs.refresh);
        check_token("B2BINPAY", "access token", &access)?;
        check_token("B2BINPAY", "refresh token", &refresh)?;
        let access_at = parse_rfc3339(&attrs.access_expired_at).ok_or_else(|| {
            Error::protocol("B2BINPAY: access_expired_at is not an RFC 3339 timestamp")
        })?;
        let refresh_at = parse_rfc3339(&attrs.refresh_expired_at).ok_or_else(|| {
            Error::protocol("B2BINPAY: refresh_expired_at is not an RFC 3339 timestamp")
        })?;
        let tel = self.telemetry();
        tel.redactor.add(&access);
        tel.redactor.add(&refresh);
        let mut st = self.state.lock();
        let server_now = server_now.unwrap_or_else(|| shift(self.clock.wall(), st.clock_offset_ns));
        let now = self.clock.now();
        let life = |at: SystemTime| at.duration_since(server_now).unwrap_or(Duration::ZERO);
        let access_life = life(access_at).min(crate::token::MAX_SCHEDULED_LIFETIME);
        let refresh_life = life(refresh_at).min(crate::token::MAX_SCHEDULED_LIFETIME);
        // A stated lifetime too short to schedule is used until it expires by the clock.
        let access_schedule = Schedule::new(now, Some(access_life), self.cfg.refresh_margin)
            .unwrap_or(Schedule {
                renew_at: now + access_life,
                expires_at: now + access_life,
            });
        let refresh_margin = self.cfg.refresh_margin.min(refresh_life / 5);
        let info = TokenInfo {
            access_expires_at: access_at,
            refresh_expires_at: refresh_at,
            via_refresh,
            suspicious_refresh: suspicious,
        };
        st.generation += 1;
        st.held = Some(Held {
            access: access.clone(),
            refresh: Some(refresh),
            access_schedule,
            refresh_usable_until: now + (refresh_life - refresh_margin),
            refresh_expires: now + refresh_life,
            info: TokenInfo {
                suspicious_refresh: false,
                ..info.clone()
            },
            obtained: self.clock.wall(),
            access_life,
            refresh_life,
        });
        Ok((access, info))
    }
}

const BACKOFF_BASE: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(4);

fn signed_diff_ns(a: SystemTime, b: SystemTime) -> i128 {
    match a.duration_since(b) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

fn shift(t: SystemTime, ns: i128) -> SystemTime {
    let d = Duration::from_nanos(ns.unsigned_abs().min(u64::MAX as u128) as u64);
    if ns >= 0 {
        t.checked_add(d).unwrap_or(t)
    } else {
        t.checked_sub(d).unwrap_or(t)
    }
}

/// Parse a response body without letting serde quote any of its values (tokens) into the
/// error message.
fn parse_json<T: for<'de> serde::Deserialize<'de>>(body: &[u8], what: &str) -> Result<T> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Error::protocol(format!("B2BINPAY {what} response is not JSON")))?;
    serde_json::from_value(value).map_err(|e| {
        let msg = e.to_string();
        let hint = if msg.starts_with("missing field") {
            msg
        } else {
            "unexpected shape".to_string()
        };
        Error::protocol(format!("B2BINPAY {what} response: {hint}"))
    })
}

/// JSON:API errors of a body, parsed defensively (empty when the shape is unknown).
pub fn parse_api_errors(body: &[u8]) -> Vec<wire::ApiError> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(arr) = v.get("errors").and_then(|e| e.as_array()) else {
        return Vec::new();
    };
    arr.iter()
        .filter_map(|e| {
            let o = e.as_object()?;
            Some(wire::ApiError {
                code: o.get("code").filter(|c| !c.is_null()).cloned(),
                detail: o.get("detail").and_then(|d| d.as_str()).map(str::to_string),
                status: o.get("status").filter(|c| !c.is_null()).cloned(),
            })
        })
        .collect()
}

/// An error's code as text (`2006`, `"2006"` and `"throttled"` all work).
fn code_of(e: &wire::ApiError) -> Option<String> {
    match e.code.as_ref()? {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

/// "code 2006: No active account ..." from a JSON:API error body, else the raw text.
fn error_detail(body: &[u8]) -> String {
    let errors = parse_api_errors(body);
    if errors.is_empty() {
        return ErrorBody::parse(body).to_string();
    }
    errors
        .iter()
        .map(|e| match (code_of(e), &e.detail) {
            (Some(c), Some(d)) => format!("code {c}: {d}"),
            (Some(c), None) => format!("code {c}"),
            (None, Some(d)) => d.clone(),
            (None, None) => "(no detail)".to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn status_error(what: &str, resp: &Response) -> Error {
    let errors = parse_api_errors(&resp.body);
    let has_code = |c: i64| {
        errors
            .iter()
            .any(|e| code_of(e).as_deref() == Some(c.to_string().as_str()))
    };
    let detail = error_detail(&resp.body);
    let kind = match resp.status {
        400 if has_code(wire::CODE_BAD_CREDENTIALS) => ErrorKind::AuthRejected,
        401 | 403 => ErrorKind::AuthRejected,
        429 => ErrorKind::Throttled,
        _ => ErrorKind::HttpStatus,
    };
    let lead = if kind == ErrorKind::AuthRejected && resp.status == 400 {
        "bad credentials"
    } else if kind == ErrorKind::AuthRejected {
        "rejected"
    } else {
        "failed"
    };
    Error::new(
        kind,
        format!(
            "B2BINPAY {what} request {lead} (HTTP {}): {detail}",
            resp.status
        ),
    )
    .with_http_status(resp.status)
    .with_retry_after(resp.retry_after)
    .with_cause(match resp.status {
        429 => Cause::Throttled,
        s if s >= 500 => Cause::Status5xx,
        _ => Cause::None,
    })
}

#[cfg(test)]
mod tests;
