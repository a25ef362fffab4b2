//! The sandbox's `/_sandbox/` control surface, as other processes' tests use it.

use crate::scan::Recorded as _;
use std::time::{Duration, Instant};

use b2c_core::b2binpay::{B2binpayClient, B2binpayConfig};
use b2c_core::http::{HttpClient, HttpConfig, Url};
use b2c_core::ErrorKind;
use b2c_sandbox::{Faults, Sandbox, SandboxConfig};
use serde_json::Value;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

fn stats(http: &HttpClient, base: &str) -> Value {
    let r = http
        .get(
            &url(&format!("{base}/_sandbox/stats")),
            &[],
            "stats",
            soon(),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    serde_json::from_slice(&r.body).unwrap()
}

fn post(http: &HttpClient, base: &str, action: &str, body: &str) -> u16 {
    http.post(
        &url(&format!("{base}/_sandbox/{action}")),
        &[],
        "application/json",
        body.as_bytes(),
        "control",
        true,
        soon(),
    )
    .unwrap()
    .status
}

#[test]
fn control_surface_drives_b2binpay_situations_and_reports_counters() {
    let sb = Sandbox::start(SandboxConfig {
        // Random faults everywhere must not touch the control surface.
        faults: Faults {
            rate_5xx: 0.0,
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let base = sb.base_url();
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let mut cfg = B2binpayConfig::new(
        &format!("{base}/b2binpay"),
        "sandbox-login",
        "sandbox-password",
    );
    cfg.deadline = Duration::from_secs(5);
    let client = B2binpayClient::new(cfg.clone(), http.clone()).unwrap();

    // Tampered meta.sign.
    assert_eq!(
        post(&http, &base, "b2binpay/tamper-signs", r#"{"count":1}"#),
        200
    );
    assert_eq!(
        client.login().expect_err_recorded().kind(),
        ErrorKind::ResponseSignatureInvalid
    );

    // Replayed refresh token: suspicious, logs in again.
    client.login().unwrap();
    assert_eq!(post(&http, &base, "b2binpay/consume-refresh", ""), 200);
    let info = client.refresh().unwrap();
    assert!(info.suspicious_refresh);
    assert_eq!(client.suspicious_events(), 1);

    let s = stats(&http, &base);
    assert_eq!(s["b2binpay"]["refresh_replayed"], 1);
    assert_eq!(s["b2binpay"]["token_ok"], 3);
    assert_eq!(s["retailcrm"]["edit_calls"], 0);
    assert_eq!(s["b2copy"]["auth_ok"], 0);

    assert_eq!(
        post(
            &http,
            &base,
            "b2binpay/ttls",
            r#"{"access_s":1,"refresh_s":60}"#
        ),
        200
    );
    assert_eq!(
        post(&http, &base, "b2binpay/ttls", r#"{"access_s":1}"#),
        400
    );
    assert_eq!(post(&http, &base, "nope", ""), 404);
    sb.shutdown();
}

#[test]
fn control_surface_is_exempt_from_faults() {
    let sb = Sandbox::start(SandboxConfig {
        faults: Faults {
            rate_5xx: 1.0,
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let s = stats(&http, &sb.base_url());
    assert_eq!(s["b2copy"]["process_calls"], 0);
    assert_eq!(post(&http, &sb.base_url(), "b2copy/expire-access", ""), 200);
    sb.shutdown();
}
