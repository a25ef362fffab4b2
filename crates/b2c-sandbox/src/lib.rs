//! An offline sandbox emulating the vendor APIs on `127.0.0.1`, for tests and integrators.
//!
//! One [`server::Server`] serves every emulator; a dispatcher routes each request to the
//! first [`Emulator`] that [`owns`](Emulator::owns) its path (else 404), after applying the
//! shared [`faults::FaultInjector`] for that path: [`b2copy::B2copyEmulator`], then any
//! emulators given to [`Sandbox::start_with`], then [`b2binpay::B2binpayEmulator`],
//! [`crm::CrmEmulator`], [`retailcrm::RetailcrmEmulator`], the lenient profile's
//! catch-all for other B2COPY `/api/` paths, and the `/_sandbox/` control surface.
//!
//! **Independence.** The emulators are written from the vendors' documentation with their
//! own literals (paths, field and header names), their own HMAC-SHA256, SHA-256, RFC 3339,
//! form codec, ES256 verification and HTTP client, checked against fixed vectors computed
//! with other tools. The crate does not depend on the client library (`b2c-core`): a wrong
//! field name or signature layout in the client cannot be mirrored here. A test fails if
//! the manifest or a source file ever refers to it again.
//!
//! **Profiles.** Lenient by default: what the documentation allows or is silent on (the
//! vendors' own samples included) is accepted, each such acceptance a named leniency
//! counted in [`Sandbox::leniencies`] / `/_sandbox/stats` and announced once on stderr.
//! [`SandboxConfig::strict`] refuses all of them (see [`profile`]).
//!
//! ```no_run
//! use b2c_sandbox::{Sandbox, SandboxConfig};
//! let sb = Sandbox::start(SandboxConfig::default()).unwrap();
//! println!("{}", sb.base_url());
//! ```

pub mod b2binpay;
pub mod b2copy;
mod cli;
pub mod control;
pub mod crm;
pub mod faults;
mod jsnorm;
mod phpnorm;
pub mod profile;
pub mod retailcrm;
pub mod server;
mod util;

use std::sync::Arc;
use std::time::Duration;

pub use cli::{cli_main, USAGE};
pub use faults::{Fault, FaultInjector, Faults};
pub use profile::{Leniencies, LENIENCIES};
pub use server::{Handler, HttpReply, HttpRequest, Server};

/// How token fields are shaped in token responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenShape {
    /// `"accessToken": "<token>"` (the external-CRM documentation).
    #[default]
    Plain,
    /// `"accessToken": {"token": "...", "createdAt": "<RFC 3339>", "expiresAt": "<RFC 3339>"}`.
    Object,
}

/// Sandbox settings.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// 0 = ephemeral.
    pub port: u16,
    /// Default 900 s.
    pub access_ttl: Duration,
    /// Default 86400 s.
    pub refresh_ttl: Duration,
    /// Default [`TokenShape::Plain`].
    pub token_shape: TokenShape,
    /// Issue access/refresh tokens as unsigned-but-well-formed JWTs (`header.payload.sig`,
    /// payload has `exp`), so a client can read `exp`. Default true.
    pub jwt_tokens: bool,
    /// A request_id answers PENDING this many times before its final status. Default 2.
    pub pending_polls: u32,
    /// ...and stays PENDING at least this long after first seen. Default 0.
    pub pending_for: Duration,
    /// `account_login`s that end in ERROR (status 3) instead of SUCCESS.
    pub error_logins: Vec<String>,
    /// Tolerance for external-JWT `iat`/`exp` checks. Default 60 s.
    pub clock_skew: Duration,
    /// External JWTs with `exp - iat` above this are rejected. Default 3600 s.
    pub max_jwt_ttl: Duration,
    pub faults: Faults,
    /// Seed of the random fault draws.
    pub seed: u64,
    /// The B2BINPAY, CRM Open API and RetailCRM emulators mounted beside B2COPY.
    pub vendors: VendorConfig,
    /// The strict profile: refuse every leniency (`--strict`). Default false (lenient).
    pub strict: bool,
    /// processext answers `"status"` as the enum name (`"FEE_PROCESS_STATUS_SUCCESS"`)
    /// instead of the number (`--fee-status-names`). Default false.
    pub fee_status_names: bool,
}

/// Settings of the emulators of the other three vendors, mounted by [`Sandbox::start`] at
/// `/b2binpay`, `/crm` and `/retailcrm`.
#[derive(Clone)]
pub struct VendorConfig {
    /// B2BINPAY credential accepted by `/b2binpay/token/` (default `sandbox-login` /
    /// `sandbox-password`).
    pub b2binpay_login: String,
    pub b2binpay_password: String,
    /// B2BINPAY token lifetimes (default 900 s / 3600 s).
    pub b2binpay_access_ttl: Duration,
    pub b2binpay_refresh_ttl: Duration,
    /// API keys the CRM Open API emulator accepts (default `sandbox-api-key`).
    pub crm_api_keys: Vec<String>,
    /// API keys the RetailCRM system emulator accepts (default `sandbox-api-key`).
    pub retailcrm_api_keys: Vec<String>,
    /// Answer B2BINPAY `/token/refresh/` wrapped in `{"data": ...}` like `/token/`
    /// (`--b2binpay-refresh-wrapped`); default the bare resource of the page's example.
    pub b2binpay_refresh_wrapped: bool,
    /// Answer every RetailCRM integration-modules edit with HTTP 400 and field errors
    /// (`--retailcrm-field-errors`; see [`retailcrm::DEFAULT_FIELD_ERRORS`]).
    pub retailcrm_field_errors: bool,
}

impl Default for VendorConfig {
    fn default() -> Self {
        VendorConfig {
            b2binpay_login: "sandbox-login".into(),
            b2binpay_password: "sandbox-password".into(),
            b2binpay_access_ttl: Duration::from_secs(900),
            b2binpay_refresh_ttl: Duration::from_secs(3600),
            crm_api_keys: vec!["sandbox-api-key".into()],
            retailcrm_api_keys: vec!["sandbox-api-key".into()],
            b2binpay_refresh_wrapped: false,
            retailcrm_field_errors: false,
        }
    }
}

impl std::fmt::Debug for VendorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorConfig")
            .field("b2binpay_access_ttl", &self.b2binpay_access_ttl)
            .field("b2binpay_refresh_ttl", &self.b2binpay_refresh_ttl)
            .field("b2binpay_refresh_wrapped", &self.b2binpay_refresh_wrapped)
            .field("retailcrm_field_errors", &self.retailcrm_field_errors)
            .field("credentials", &"<redacted>")
            .finish()
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(86400),
            token_shape: TokenShape::Plain,
            jwt_tokens: true,
            pending_polls: 2,
            pending_for: Duration::ZERO,
            error_logins: Vec::new(),
            clock_skew: Duration::from_secs(60),
            max_jwt_ttl: Duration::from_secs(3600),
            faults: Faults::default(),
            seed: 0,
            vendors: VendorConfig::default(),
            strict: false,
            fee_status_names: false,
        }
    }
}

/// A public key as registered with B2COPY support.
#[derive(Debug, Clone)]
pub struct RegisteredKey {
    pub key_id: String,
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), P-256.
    pub public_key_pem: String,
    pub admin_id: u64,
    /// Allowed `device_ip` claims; empty = any.
    pub allowed_ips: Vec<String>,
}

/// Counters since start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// External-JWT exchanges answered 200.
    pub auth_ok: u64,
    /// External-JWT exchanges answered 400/401/415.
    pub auth_rejected: u64,
    pub refresh_ok: u64,
    pub refresh_rejected: u64,
    /// Every POST to processext that reached the handler (after faults), whatever the outcome.
    pub process_calls: u64,
    /// Faults applied (scripted or random; the baseline `Faults::latency` is not counted).
    pub faults_injected: u64,
    /// Most token exchanges (authexternalcrm + refreshtoken) answered at the same time.
    pub exchanges_concurrent_max: u64,
    /// Calls to undocumented paths under `/api/` (lenient profile), whatever the outcome.
    pub other_calls: u64,
}

/// One vendor emulator mounted on the shared server.
pub trait Emulator: Send + Sync {
    /// Whether this emulator answers `path` (exact path, no query).
    fn owns(&self, path: &str) -> bool;
    /// Answer a request whose path this emulator owns (faults already applied).
    fn handle(&self, req: &HttpRequest) -> HttpReply;
}

/// One request as the sandbox received it (the control surface is not logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    /// The `request_id` field of a JSON body, if it has one (processext).
    pub request_id: Option<String>,
}

/// The last [`RequestLog::MAX`] requests, recorded before any fault is applied: what the
/// client sent, whatever the sandbox answered.
#[derive(Default)]
pub struct RequestLog {
    entries: parking_lot::Mutex<std::collections::VecDeque<LoggedRequest>>,
}

impl RequestLog {
    pub const MAX: usize = 100_000;

    fn record(&self, req: &HttpRequest) {
        if req.path.starts_with(control::PREFIX) {
            return;
        }
        let request_id = serde_json::from_slice::<serde_json::Value>(&req.body)
            .ok()
            .and_then(|v| v.get("request_id")?.as_str().map(str::to_string));
        let mut e = self.entries.lock();
        if e.len() >= Self::MAX {
            e.pop_front();
        }
        e.push_back(LoggedRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            request_id,
        });
    }

    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.entries.lock().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

/// Route `req` to the first emulator owning its path, applying faults first; 404 otherwise.
pub fn dispatch(
    emulators: &[Arc<dyn Emulator>],
    faults: &FaultInjector,
    req: &HttpRequest,
) -> HttpReply {
    match emulators.iter().find(|e| e.owns(&req.path)) {
        // The control surface is never faulted.
        Some(e) if req.path.starts_with(control::PREFIX) => e.handle(req),
        Some(e) => match faults.intercept(&req.path) {
            Some(faulty) => faulty,
            None => e.handle(req),
        },
        None => b2copy::gateway_error(404, b2copy::CODE_NOT_FOUND, "not found"),
    }
}

/// A running sandbox. Dropping it shuts the server down.
pub struct Sandbox {
    server: Server,
    leniencies: Arc<Leniencies>,
    requests: Arc<RequestLog>,
    b2copy: Arc<b2copy::B2copyEmulator>,
    faults: Arc<FaultInjector>,
    b2binpay: Arc<b2binpay::B2binpayEmulator>,
    crm: Arc<crm::CrmEmulator>,
    retailcrm: Arc<retailcrm::RetailcrmEmulator>,
}

impl Sandbox {
    /// Start the sandbox with the B2COPY emulator on `127.0.0.1:cfg.port`.
    pub fn start(cfg: SandboxConfig) -> std::io::Result<Sandbox> {
        Self::start_with(cfg, Vec::new())
    }

    /// Start with the B2COPY emulator followed by `extra` emulators (tried in order).
    pub fn start_with(
        cfg: SandboxConfig,
        extra: Vec<Arc<dyn Emulator>>,
    ) -> std::io::Result<Sandbox> {
        let faults = Arc::new(FaultInjector::new(cfg.faults.clone(), cfg.seed));
        let leniencies = Arc::new(Leniencies::new(cfg.strict));
        let b2copy = Arc::new(b2copy::B2copyEmulator::with_leniencies(
            &cfg,
            leniencies.clone(),
        ));
        let v = &cfg.vendors;
        let mut b2b_cfg =
            b2binpay::B2binpayEmulatorConfig::new(&v.b2binpay_login, &v.b2binpay_password);
        b2b_cfg.access_ttl = v.b2binpay_access_ttl;
        b2b_cfg.refresh_ttl = v.b2binpay_refresh_ttl;
        b2b_cfg.refresh_wrapped = v.b2binpay_refresh_wrapped;
        b2b_cfg.strict = cfg.strict;
        let b2binpay = Arc::new(b2binpay::B2binpayEmulator::with_leniencies(
            b2b_cfg,
            leniencies.clone(),
        ));
        let crm_keys: Vec<&str> = v.crm_api_keys.iter().map(String::as_str).collect();
        let crm = Arc::new(crm::CrmEmulator::with_leniencies(
            &crm_keys,
            leniencies.clone(),
        ));
        let rcrm_keys: Vec<&str> = v.retailcrm_api_keys.iter().map(String::as_str).collect();
        let retailcrm = Arc::new(retailcrm::RetailcrmEmulator::with_leniencies(
            &rcrm_keys,
            leniencies.clone(),
        ));
        if v.retailcrm_field_errors {
            retailcrm.set_field_errors(retailcrm::RetailcrmEmulator::default_field_errors(), None);
        }
        // B2COPY first, then caller-supplied emulators (which win over the defaults below
        // for the paths they own), then the default vendor emulators.
        let mut emulators: Vec<Arc<dyn Emulator>> = vec![b2copy.clone()];
        emulators.extend(extra);
        emulators.push(b2binpay.clone());
        emulators.push(crm.clone());
        emulators.push(retailcrm.clone());
        // Other B2COPY paths under /api/ (lenient), after every emulator that owns paths.
        emulators.push(Arc::new(b2copy::B2copyOther(b2copy.clone())));
        let connections = Arc::new(parking_lot::Mutex::new(None));
        emulators.push(Arc::new(control::ControlEmulator {
            b2copy: b2copy.clone(),
            b2binpay: b2binpay.clone(),
            crm: crm.clone(),
            retailcrm: retailcrm.clone(),
            faults: faults.clone(),
            connections: connections.clone(),
            leniencies: leniencies.clone(),
        }));
        let f = faults.clone();
        let requests = Arc::new(RequestLog::default());
        let log = requests.clone();
        let handler: Handler = Arc::new(move |req: &HttpRequest| {
            log.record(req);
            dispatch(&emulators, &f, req)
        });
        let server = Server::start(cfg.port, handler)?;
        *connections.lock() = Some(server.connection_counter());
        Ok(Sandbox {
            server,
            leniencies,
            requests,
            b2copy,
            faults,
            b2binpay,
            crm,
            retailcrm,
        })
    }

    /// The profile and every leniency granted so far (shared by the mounted emulators; an
    /// emulator passed to [`Sandbox::start_with`] keeps its own).
    pub fn leniencies(&self) -> &Arc<Leniencies> {
        &self.leniencies
    }

    /// The mounted B2COPY emulator.
    pub fn b2copy(&self) -> &Arc<b2copy::B2copyEmulator> {
        &self.b2copy
    }

    /// The mounted B2BINPAY emulator (its client base URL is `{base_url}/b2binpay`).
    pub fn b2binpay(&self) -> &Arc<b2binpay::B2binpayEmulator> {
        &self.b2binpay
    }

    /// The mounted CRM Open API emulator (client base URL `{base_url}/crm`).
    pub fn crm(&self) -> &Arc<crm::CrmEmulator> {
        &self.crm
    }

    /// The mounted RetailCRM system emulator (systemUrl `{base_url}/retailcrm`).
    pub fn retailcrm(&self) -> &Arc<retailcrm::RetailcrmEmulator> {
        &self.retailcrm
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.server.local_addr()
    }

    /// TCP connections accepted since start.
    pub fn connections_accepted(&self) -> u64 {
        self.server.connections_accepted()
    }

    /// Every request received (before faults), oldest first; see [`RequestLog`].
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.requests.entries()
    }

    /// Forget the logged requests.
    pub fn clear_requests(&self) {
        self.requests.clear()
    }

    /// Register (or replace) a B2COPY public key. Errors if the PEM is not SPKI P-256.
    pub fn register_key(&self, key: RegisteredKey) -> Result<(), String> {
        self.b2copy.register_key(key)
    }

    /// Queue `fault` for the next `times` requests whose path equals `path` (e.g.
    /// [`b2copy::PATH_PROCESS`]). Scripted faults take priority over random ones.
    pub fn inject(&self, path: &str, fault: Fault, times: u32) {
        self.faults.inject(path, fault, times)
    }

    /// Replace the random fault rates.
    pub fn set_faults(&self, faults: Faults) {
        self.faults.set_faults(faults)
    }

    /// The shared fault injector (for emulators added with [`Sandbox::start_with`]).
    pub fn fault_injector(&self) -> Arc<FaultInjector> {
        self.faults.clone()
    }

    /// All access tokens issued so far answer 401 (to test refresh-on-401).
    pub fn expire_access_tokens(&self) {
        self.b2copy.expire_access_tokens()
    }

    /// All refresh tokens issued so far answer 401 (to test re-authentication).
    pub fn revoke_refresh_tokens(&self) {
        self.b2copy.revoke_refresh_tokens()
    }

    pub fn stats(&self) -> Stats {
        let mut s = self.b2copy.stats();
        s.faults_injected = self.faults.injected();
        s
    }

    /// `(account_login, status, calls seen)` for a request_id seen by processext.
    pub fn fee_state(&self, request_id: &str) -> Option<(String, i64, u32)> {
        self.b2copy.fee_state(request_id)
    }

    /// Stop the server; the port is free when this returns.
    pub fn shutdown(mut self) {
        self.server.shutdown();
    }
}
