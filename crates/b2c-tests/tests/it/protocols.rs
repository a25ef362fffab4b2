//! CRM Open API, B2BINPAY and RetailCRM clients against the sandbox emulators, over real
//! loopback sockets.

use crate::scan::Recorded as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2c_core::b2binpay::{B2binpayClient, B2binpayConfig};
use b2c_core::clock::ManualClock;
use b2c_core::http::{HttpClient, HttpConfig, Url};
use b2c_core::retailcrm::{self, IntegrationModule};
use b2c_core::telemetry::Telemetry;
use b2c_core::{crm_openapi, ErrorKind};
use b2c_sandbox::b2binpay::{B2binpayEmulator, B2binpayEmulatorConfig, B2binpayFault, Endpoint};
use b2c_sandbox::crm::CrmEmulator;
use b2c_sandbox::retailcrm::{post_register_form, RetailcrmEmulator};
use b2c_sandbox::{Emulator, Handler, HttpReply, HttpRequest, Sandbox, SandboxConfig, Server};
use serde_json::{json, Value};

const LOGIN: &str = "b2b-login-123";
const PASSWORD: &str = "b2b-password-456";
const CRM_KEY: &str = "crm-api-key-789";
const RCRM_KEY: &str = "retail-api-key-abc";
const MODULE_SECRET: &str = "module-secret-def";

struct Env {
    sb: Sandbox,
    b2b: Arc<B2binpayEmulator>,
    crm: Arc<CrmEmulator>,
    rcrm: Arc<RetailcrmEmulator>,
    http: HttpClient,
}

fn env() -> Env {
    let b2b = Arc::new(B2binpayEmulator::new(B2binpayEmulatorConfig::new(
        LOGIN, PASSWORD,
    )));
    let crm = Arc::new(CrmEmulator::new(&[CRM_KEY]));
    let rcrm = Arc::new(RetailcrmEmulator::new(&[RCRM_KEY]));
    let extra: Vec<Arc<dyn Emulator>> = vec![b2b.clone(), crm.clone(), rcrm.clone()];
    let sb = Sandbox::start_with(SandboxConfig::default(), extra).unwrap();
    Env {
        sb,
        b2b,
        crm,
        rcrm,
        http: HttpClient::new(HttpConfig::default()).unwrap(),
    }
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

// ---------------------------------------------------------------- CRM Open API

#[test]
fn crm_signed_post_and_get() {
    let e = env();
    let base = Url::parse(&e.crm.base_url(&e.sb.base_url())).unwrap();
    // exact bytes, with spacing and a unicode escape a re-encoder would change
    let body = br#"{"name": "J\u00fcrgen", "amount":1.50}"#;
    let r = crm_openapi::send(
        &e.http,
        &base,
        CRM_KEY,
        "POST",
        "api/clients",
        body,
        deadline(),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["body"]["name"], "Jürgen");
    let r = crm_openapi::send(
        &e.http,
        &base,
        CRM_KEY,
        "get",
        "api/clients?page=2",
        b"",
        deadline(),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["query"], "page=2");
    // PUT and PATCH are signed too, over the exact bytes.
    for method in ["PUT", "PATCH"] {
        let r = crm_openapi::send(
            &e.http,
            &base,
            CRM_KEY,
            method,
            "api/clients/7",
            body,
            deadline(),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{method}");
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["method"], method);
    }
    assert_eq!(e.crm.stats().ok, 4);
}

#[test]
fn crm_tampered_signature_and_wrong_key() {
    let e = env();
    let base = Url::parse(&e.crm.base_url(&e.sb.base_url())).unwrap();
    // Signed over a re-encoded body, sent as the original bytes.
    let sent = br#"{"b": 1, "a": 2}"#;
    let headers = crm_openapi::sign_request(CRM_KEY, "POST", br#"{"a":2,"b":1}"#).unwrap();
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = base.join("api/clients");
    let r = e
        .http
        .post(
            &url,
            &refs,
            "application/json",
            sent,
            "crm",
            false,
            deadline(),
        )
        .unwrap();
    assert_eq!(r.status, 403);
    let err = crm_openapi::classify_auth_error(&r).unwrap();
    assert_eq!(err.kind(), ErrorKind::SignatureInvalid);

    let err = crm_openapi::send(
        &e.http,
        &base,
        "wrong-key",
        "POST",
        "api/clients",
        sent,
        deadline(),
    )
    .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::AuthRejected);
    assert_eq!(err.http_status(), Some(403));
    assert!(!err.message().contains("wrong-key"));
    let s = e.crm.stats();
    assert_eq!((s.invalid_signature, s.invalid_api_key, s.ok), (1, 1, 0));
}

// ---------------------------------------------------------------- B2BINPAY

fn b2b_client(e: &Env, margin: Duration, deadline: Duration) -> B2binpayClient {
    b2b_client_at(e, margin, deadline, ManualClock::new())
}

/// A handle timed by a virtual clock (its waits are recorded, not slept).
fn b2b_client_at(
    e: &Env,
    margin: Duration,
    deadline: Duration,
    clock: Arc<ManualClock>,
) -> B2binpayClient {
    let mut cfg = B2binpayConfig::new(&e.b2b.base_url(&e.sb.base_url()), LOGIN, PASSWORD);
    cfg.refresh_margin = margin;
    cfg.deadline = deadline;
    let http = HttpClient::with(HttpConfig::default(), Telemetry::new(), clock).unwrap();
    B2binpayClient::new(cfg, http).unwrap()
}

#[test]
fn b2binpay_login_verifies_sign_and_caches() {
    let e = env();
    let c = b2b_client(&e, Duration::from_secs(10), Duration::from_secs(10));
    let info = c.login().unwrap();
    assert!(!info.via_refresh && !info.suspicious_refresh);
    let t = c.access_token().unwrap();
    assert!(e.b2b.access_valid(&t));
    assert_eq!(c.access_token().unwrap(), t);
    let s = e.b2b.stats();
    assert_eq!((s.token_calls, s.token_ok, s.refresh_calls), (1, 1, 0));
}

#[test]
fn b2binpay_tampered_sign_discards_tokens() {
    let e = env();
    let c = b2b_client(&e, Duration::from_secs(10), Duration::from_secs(10));
    c.login().unwrap();
    e.b2b.tamper_next_signs(1);
    let err = c.login().expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::ResponseSignatureInvalid);
    assert!(c.token_info().is_none(), "tokens discarded");
    // the next call logs in again (the sign verifies this time)
    let t = c.access_token().unwrap();
    assert!(e.b2b.access_valid(&t));
    assert_eq!(e.b2b.stats().token_ok, 3);
}

#[test]
fn b2binpay_refresh_rotation() {
    let e = env();
    e.b2b
        .set_ttls(Duration::from_secs(1), Duration::from_secs(3600));
    let clock = ManualClock::new();
    let c = b2b_client_at(
        &e,
        Duration::from_secs(10),
        Duration::from_secs(10),
        clock.clone(),
    );
    let t1 = c.access_token().unwrap();
    clock.advance(Duration::from_millis(850)); // the margin is capped at a fifth of 1 s
    let (t2, info) = c.access_token_with_info().unwrap();
    assert_ne!(t1, t2);
    assert!(info.via_refresh && !info.suspicious_refresh);
    e.b2b.set_bare_refresh(false); // the {"data": ...} shape works too
    let info = c.refresh().unwrap();
    assert!(info.via_refresh);
    let s = e.b2b.stats();
    assert_eq!((s.token_calls, s.refresh_ok, s.refresh_rejected), (1, 2, 0));
    assert_eq!(
        e.b2b.live_refresh_tokens().len(),
        1,
        "old refresh tokens are dead"
    );
}

#[test]
fn b2binpay_replayed_refresh_is_suspicious() {
    let e = env();
    let c = b2b_client(&e, Duration::from_secs(10), Duration::from_secs(10));
    c.login().unwrap();
    // An attacker uses our refresh token first.
    let live = e.b2b.live_refresh_tokens();
    assert_eq!(live.len(), 1);
    assert!(e.b2b.consume_refresh_token(&live[0]));
    let info = c.refresh().unwrap();
    assert!(info.suspicious_refresh);
    assert!(!info.via_refresh, "re-logged in");
    assert_eq!(c.suspicious_events(), 1);
    let t = c.access_token().unwrap();
    assert!(e.b2b.access_valid(&t));
    let s = e.b2b.stats();
    assert_eq!(
        (
            s.token_ok,
            s.refresh_calls,
            s.refresh_rejected,
            s.refresh_replayed
        ),
        (2, 1, 1, 1)
    );
}

#[test]
fn b2binpay_concurrent_callers_one_refresh() {
    let e = env();
    e.b2b
        .set_ttls(Duration::from_secs(1), Duration::from_secs(3600));
    let clock = ManualClock::new();
    let c = Arc::new(b2b_client_at(
        &e,
        Duration::ZERO,
        Duration::from_secs(10),
        clock.clone(),
    ));
    c.login().unwrap();
    clock.advance(Duration::from_millis(1100));
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (c, b) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                c.access_token().unwrap().to_string()
            })
        })
        .collect();
    let tokens: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "{tokens:?}");
    let s = e.b2b.stats();
    assert_eq!(
        (s.token_calls, s.refresh_calls),
        (1, 1),
        "exactly one refresh on the wire"
    );
    assert_eq!(c.suspicious_events(), 0);
}

#[test]
fn b2binpay_bad_credentials() {
    let e = env();
    let cfg = B2binpayConfig::new(&e.b2b.base_url(&e.sb.base_url()), LOGIN, "wrong-password");
    let c = B2binpayClient::new(cfg, e.http.clone()).unwrap();
    let err = c.access_token().expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::AuthRejected);
    assert_eq!(err.http_status(), Some(400));
    assert!(err.message().contains("2006"));
    assert!(!err.message().contains("wrong-password"));
    assert_eq!(e.b2b.stats().token_rejected, 1);
}

#[test]
fn b2binpay_throttled_and_5xx() {
    let e = env();
    let clock = ManualClock::new();
    let c = b2b_client_at(
        &e,
        Duration::from_secs(10),
        Duration::from_secs(10),
        clock.clone(),
    );
    e.b2b.inject(
        Endpoint::Token,
        B2binpayFault::Throttled {
            retry_after_s: Some(1),
        },
        1,
    );
    e.b2b.inject(Endpoint::Token, B2binpayFault::Status(503), 1);
    c.login().unwrap();
    assert_eq!(
        clock.sleeps()[0],
        Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(clock.sleeps().len(), 2);
    assert_eq!(e.b2b.stats().token_calls, 3);

    // Retry-After beyond the deadline: Throttled at once.
    let clock = ManualClock::new();
    let c = b2b_client_at(
        &e,
        Duration::from_secs(10),
        Duration::from_secs(2),
        clock.clone(),
    );
    e.b2b.inject(
        Endpoint::Token,
        B2binpayFault::Throttled {
            retry_after_s: Some(30),
        },
        1,
    );
    let err = c.login().expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert!(clock.sleeps().is_empty(), "not waited for");
}

// ---------------------------------------------------------------- RetailCRM

fn module() -> IntegrationModule {
    IntegrationModule {
        code: "b2c-fees".into(),
        integration_code: "b2c".into(),
        active: true,
        name: "B2C \"fees\" ✓".into(),
        logo: Some("https://module.example/logo.svg".into()),
        client_id: "client-42".into(),
        base_url: "https://module.example".into(),
        account_url: "https://module.example/account/42".into(),
        actions: json!({"activity": "/activity"}),
        extra: Default::default(),
    }
}

/// The integrator's module web app: `/register` runs `retailcrm::handle_register`.
fn module_server(http: HttpClient) -> Server {
    let handler: Handler = Arc::new(move |req: &HttpRequest| {
        if req.path == "/register" && req.method == "POST" {
            let deadline = Instant::now() + Duration::from_secs(5);
            let ans =
                retailcrm::handle_register(&http, MODULE_SECRET, &req.body, &module(), deadline);
            HttpReply::json_bytes(200, ans.into_bytes())
        } else {
            HttpReply::json(404, &json!({}))
        }
    });
    Server::start(0, handler).unwrap()
}

#[test]
fn retailcrm_register_happy_path() {
    let e = env();
    let m = module_server(e.http.clone());
    let system = e.rcrm.system_url(&e.sb.base_url());
    let reg = format!("{}/register", m.base_url());
    let (status, v) = post_register_form(
        &e.http,
        &reg,
        &system,
        RCRM_KEY,
        MODULE_SECRET,
        None,
        Some(deadline()),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        v,
        json!({"success": true, "accountUrl": "https://module.example/account/42"})
    );
    assert_eq!(e.rcrm.module("b2c-fees").unwrap(), module());
    assert_eq!(e.rcrm.calls().len(), 1);
}

#[test]
fn retailcrm_wrong_token_makes_no_call() {
    let e = env();
    let m = module_server(e.http.clone());
    let system = e.rcrm.system_url(&e.sb.base_url());
    let reg = format!("{}/register", m.base_url());
    let wrong = retailcrm::register_token("another-secret", RCRM_KEY).unwrap();
    let (status, v) = post_register_form(
        &e.http,
        &reg,
        &system,
        RCRM_KEY,
        MODULE_SECRET,
        Some(&wrong),
        Some(deadline()),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(v["success"], false);
    let msg = v["errorMsg"].as_str().unwrap();
    assert!(
        !msg.contains(RCRM_KEY) && !msg.contains(MODULE_SECRET),
        "{msg}"
    );
    assert!(
        e.rcrm.calls().is_empty(),
        "no outgoing call on a wrong token"
    );
}

#[test]
fn retailcrm_system_error_surfaced() {
    let e = env();
    let m = module_server(e.http.clone());
    let system = e.rcrm.system_url(&e.sb.base_url());
    let reg = format!("{}/register", m.base_url());
    let msg = "Module \"b2c-fees\" is blocked\nby the administrator ✗";
    e.rcrm.fail_next_edit(400, msg);
    let (status, v) = post_register_form(
        &e.http,
        &reg,
        &system,
        RCRM_KEY,
        MODULE_SECRET,
        None,
        Some(deadline()),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(v, json!({"success": false, "errorMsg": msg}));

    // The same through edit_module directly, and a wrong API key.
    e.rcrm.fail_next_edit(400, "blocked");
    let err = retailcrm::edit_module(&e.http, &system, RCRM_KEY, &module(), deadline())
        .expect_err_recorded();
    assert_eq!(
        (err.kind(), err.message(), err.http_status()),
        (ErrorKind::Remote, "blocked", Some(400))
    );
    let err = retailcrm::edit_module(&e.http, &system, "not-a-key", &module(), deadline())
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Remote);
    assert_eq!(err.http_status(), Some(403));
    assert!(!err.message().contains("not-a-key"));
    retailcrm::edit_module(&e.http, &system, RCRM_KEY, &module(), deadline()).unwrap();
}
