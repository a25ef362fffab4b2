//! Unit tests of the B2BINPAY client, with a small scripted HTTP server on loopback.

use super::*;
use crate::clock::ManualClock;
use crate::http::HttpConfig;
use crate::timeutil::format_rfc3339_micros;
use hmac::{Hmac, Mac};
use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

const LOGIN: &str = "api-login-LLL";
const PASSWORD: &str = "api-password-PPP";

#[test]
fn sign_key_is_raw_sha256_digest() {
    // Independent computation with the sha2/hmac crates.
    let digest = Sha256::digest(format!("{LOGIN}{PASSWORD}").as_bytes());
    let mut mac = Hmac::<Sha256>::new_from_slice(&digest).unwrap();
    mac.update(b"2020-12-29T05:27:11.925654Z");
    mac.update(b"REFRESH");
    let want = hex_lower(&mac.finalize().into_bytes());
    let key = sign_key(LOGIN, PASSWORD);
    assert_eq!(key.as_slice(), &digest[..]);
    let got = token_sign(&key, "2020-12-29T05:27:11.925654Z", "REFRESH");
    assert_eq!(got, want);
    assert!(verify_token_sign(
        &key,
        "2020-12-29T05:27:11.925654Z",
        "REFRESH",
        &got
    ));
    assert!(verify_token_sign(
        &key,
        "2020-12-29T05:27:11.925654Z",
        "REFRESH",
        &got.to_uppercase()
    ));
    assert!(!verify_token_sign(
        &key,
        "2020-12-29T05:27:11.925655Z",
        "REFRESH",
        &got
    ));
    assert!(!verify_token_sign(
        &key,
        "2020-12-29T05:27:11.925654Z",
        "REFRESh",
        &got
    ));
    assert!(!verify_token_sign(&key, "x", "y", ""));
    // The hex-digest-as-key reading gives a different answer.
    let hex_key = hex_lower(&digest);
    let mut mac = Hmac::<Sha256>::new_from_slice(hex_key.as_bytes()).unwrap();
    mac.update(b"2020-12-29T05:27:11.925654ZREFRESH");
    assert_ne!(hex_lower(&mac.finalize().into_bytes()), got);
}

#[test]
fn deposit_callback() {
    let s = deposit_callback_sign(
        LOGIN,
        PASSWORD,
        "2",
        "0.01000000",
        "tr-42",
        "2021-01-01T00:00:00.000000Z",
    );
    let key = sign_key(LOGIN, PASSWORD);
    assert_eq!(
        s,
        hex_lower(&crate::signature::hmac_sha256(
            key.as_ref(),
            b"20.01000000tr-422021-01-01T00:00:00.000000Z"
        ))
    );
    let ok = |st: &str, am: &str, tr: &str, t: &str, sg: &str| {
        verify_deposit_callback(LOGIN, PASSWORD, st, am, tr, t, sg)
    };
    assert!(ok(
        "2",
        "0.01000000",
        "tr-42",
        "2021-01-01T00:00:00.000000Z",
        &s
    ));
    assert!(ok(
        "2",
        "0.01000000",
        "tr-42",
        "2021-01-01T00:00:00.000000Z",
        &s.to_uppercase()
    ));
    assert!(!ok(
        "2",
        "0.0100000",
        "tr-42",
        "2021-01-01T00:00:00.000000Z",
        &s
    ));
    assert!(!ok(
        "3",
        "0.01000000",
        "tr-42",
        "2021-01-01T00:00:00.000000Z",
        &s
    ));
    assert!(!ok(
        "2",
        "0.01000000",
        "tr-43",
        "2021-01-01T00:00:00.000000Z",
        &s
    ));
    assert!(!ok(
        "2",
        "0.01000000",
        "tr-42",
        "2021-01-01T00:00:01.000000Z",
        &s
    ));
    assert!(!ok(
        "2",
        "0.01000000",
        "tr-42",
        "2021-01-01T00:00:00.000000Z",
        ""
    ));
    assert!(!verify_deposit_callback(
        LOGIN,
        "other",
        "2",
        "0.01000000",
        "tr-42",
        "2021-01-01T00:00:00.000000Z",
        &s
    ));
}

#[test]
fn config_and_client_debug_redact() {
    let cfg = B2binpayConfig::new("https://api.b2binpay.com/", LOGIN, PASSWORD);
    assert_eq!(cfg.refresh_margin, Duration::from_secs(10));
    assert_eq!(cfg.deadline, Duration::from_secs(30));
    let d = format!("{cfg:?}");
    assert!(!d.contains(LOGIN) && !d.contains(PASSWORD), "{d}");
    let c = B2binpayClient::new(cfg, HttpClient::new(HttpConfig::default()).unwrap()).unwrap();
    let d = format!("{c:?}");
    assert!(!d.contains(LOGIN) && !d.contains(PASSWORD), "{d}");
    let body = wire::login_body(LOGIN, PASSWORD);
    assert!(!format!("{body:?}").contains(PASSWORD));
    assert!(!format!("{:?}", wire::refresh_body("RTOKEN")).contains("RTOKEN"));
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<B2binpayClient>();
}

#[test]
fn new_validates() {
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let e = B2binpayClient::new(
        B2binpayConfig::new("http://api.b2binpay.com/", LOGIN, PASSWORD),
        http.clone(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureUrl);
    let e = B2binpayClient::new(
        B2binpayConfig::new("https://x/", "", PASSWORD),
        http.clone(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(B2binpayClient::new(
        B2binpayConfig::new("http://127.0.0.1:1/", LOGIN, PASSWORD),
        http
    )
    .is_ok());
}

#[test]
fn wire_shapes() {
    let v = serde_json::to_value(wire::login_body("l", "p")).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"data":{"type":"auth-token","attributes":{"login":"l","password":"p"}}})
    );
    let v = serde_json::to_value(wire::refresh_body("r")).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"data":{"type":"auth-token","attributes":{"refresh":"r"}}})
    );
    let attrs = r#"{"refresh":"R","access":"A","access_expired_at":"2020-12-29T05:42:11.925654Z","refresh_expired_at":"2020-12-29T11:27:11.925654Z","is_2fa_confirmed":false}"#;
    let bare = format!(r#"{{"type":"auth-token","id":"0","attributes":{attrs}}}"#);
    let wrapped = format!(r#"{{"data":{bare}}}"#);
    let with_meta = format!(r#"{{"data":{bare},"meta":{{"time":"t","sign":"s"}}}}"#);
    for (s, has_meta) in [(&bare, false), (&wrapped, false), (&with_meta, true)] {
        let r: wire::RefreshResponse = parse_json(s.as_bytes(), "refresh").unwrap();
        let (a, m) = r.into_parts();
        assert_eq!((a.access.as_str(), a.refresh.as_str()), ("A", "R"));
        assert_eq!(m.is_some(), has_meta);
    }
    // parse errors never quote values
    let e = parse_json::<wire::TokenResponse>(
        br#"{"data":{"type":"auth-token","attributes":{"access":5,"refresh":"SECRETREFRESH"}}}"#,
        "token",
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(!e.message().contains("SECRETREFRESH"));
    let e = parse_json::<wire::TokenResponse>(b"not json SECRET", "token").unwrap_err();
    assert!(!e.message().contains("SECRET"));
}

fn resp(status: u16, body: &str) -> Response {
    Response {
        status,
        content_type: None,
        retry_after: None,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn error_bodies() {
    let e = status_error(
        "token",
        &resp(
            400,
            r#"{"errors":[{"code":2006,"detail":"No active account found with the given credentials","status":"400"}]}"#,
        ),
    );
    assert_eq!(e.kind(), ErrorKind::AuthRejected);
    assert!(e.message().contains("bad credentials") && e.message().contains("code 2006"));
    let e = status_error("token", &resp(400, r#"{"errors":[{"code":"2006"}]}"#));
    assert_eq!(e.kind(), ErrorKind::AuthRejected);
    let e = status_error(
        "token",
        &resp(400, r#"{"errors":[{"code":1000,"detail":"x"}]}"#),
    );
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    let e = status_error("token", &resp(502, "<html>Bad gateway</html>"));
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    assert!(e.message().contains("Bad gateway"));
    assert_eq!(e.http_status(), Some(502));
    let e = status_error(
        "refresh",
        &resp(
            401,
            r#"{"errors":[{"code":2007,"detail":"d","status":"401"}]}"#,
        ),
    );
    assert_eq!(e.kind(), ErrorKind::AuthRejected);
    let errs = parse_api_errors(
        br#"{"errors":[{"code":"throttled","detail":"Request was throttled."}, 5, {"code":null}]}"#,
    );
    assert_eq!(errs.len(), 2);
    assert_eq!(code_of(&errs[0]).as_deref(), Some("throttled"));
    assert_eq!(code_of(&errs[1]), None);
    assert!(parse_api_errors(b"[]").is_empty());
    assert!(parse_api_errors(br#"{"errors":{}}"#).is_empty());
}

#[test]
fn clock_offset_helpers() {
    let a = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
    let b = SystemTime::UNIX_EPOCH + Duration::from_secs(40);
    assert_eq!(signed_diff_ns(a, b), 60_000_000_000);
    assert_eq!(shift(b, signed_diff_ns(a, b)), a);
    assert_eq!(shift(a, signed_diff_ns(b, a)), b);
}

// ---------------------------------------------------------------------------------------
// A scripted B2BINPAY on loopback.

#[derive(Default)]
struct Fake {
    access_ttl: Duration,
    refresh_ttl: Duration,
    live_refresh: HashSet<String>,
    used_refresh: HashSet<String>,
    /// Faults served before normal handling: (status, Retry-After).
    faults: VecDeque<(u16, Option<u64>)>,
    tamper_sign: bool,
    bare_refresh: bool,
    token_calls: u64,
    refresh_calls: u64,
    refresh_bodies: Vec<String>,
    seq: u64,
    refresh_delay: Duration,
}

struct Server {
    base: String,
    fake: Arc<parking_lot::Mutex<Fake>>,
}

fn serve(fake: Fake) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/b2binpay", listener.local_addr().unwrap());
    let fake = Arc::new(parking_lot::Mutex::new(fake));
    let f2 = fake.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let f = f2.clone();
            std::thread::spawn(move || {
                let _ = handle_conn(stream, &f);
            });
        }
    });
    Server { base, fake }
}

fn handle_conn(
    stream: std::net::TcpStream,
    fake: &parking_lot::Mutex<Fake>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let (status, extra, reply) = route(fake, &path, &body);
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/vnd.api+json\r\nContent-Length: {}\r\n{extra}\r\n",
            reply.len()
        );
        out.write_all(head.as_bytes())?;
        out.write_all(reply.as_bytes())?;
        out.flush()?;
    }
}

fn route(fake: &parking_lot::Mutex<Fake>, path: &str, body: &[u8]) -> (u16, String, String) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let attrs = &v["data"]["attributes"];
    let delay = {
        let mut f = fake.lock();
        if path.ends_with("/token/refresh/") {
            f.refresh_calls += 1;
        } else {
            f.token_calls += 1;
        }
        if let Some((st, ra)) = f.faults.pop_front() {
            let extra = ra
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            let body =
                serde_json::to_string(&wire::error_body(st, "throttled".into(), "fault")).unwrap();
            return (st, extra, body);
        }
        f.refresh_delay
    };
    if path.ends_with("/token/refresh/") {
        std::thread::sleep(delay);
        let mut f = fake.lock();
        let r = attrs["refresh"].as_str().unwrap_or("").to_string();
        f.refresh_bodies.push(r.clone());
        if !f.live_refresh.remove(&r) {
            let body = serde_json::to_string(&wire::error_body(
                401,
                2007.into(),
                "No active account found with the given credentials",
            ))
            .unwrap();
            return (401, String::new(), body);
        }
        f.used_refresh.insert(r);
        let (attrs, _, _) = issue(&mut f);
        let res = serde_json::json!({"type":"auth-token","id":"0","attributes":attrs});
        let body = if f.bare_refresh {
            res
        } else {
            serde_json::json!({"data": res})
        };
        return (200, String::new(), body.to_string());
    }
    if path.ends_with("/token/") {
        let mut f = fake.lock();
        if attrs["login"] != LOGIN || attrs["password"] != PASSWORD {
            let body = serde_json::to_string(&wire::error_body(
                400,
                2006.into(),
                "No active account found with the given credentials",
            ))
            .unwrap();
            return (400, String::new(), body);
        }
        let (attrs, time, refresh) = issue(&mut f);
        let mut sign = token_sign(&sign_key(LOGIN, PASSWORD), &time, &refresh);
        if f.tamper_sign {
            sign.replace_range(0..1, if sign.starts_with('0') { "1" } else { "0" });
        }
        let body = serde_json::json!({"data":{"type":"auth-token","id":"0","attributes":attrs},"meta":{"time":time,"sign":sign}});
        return (200, String::new(), body.to_string());
    }
    (404, String::new(), "{}".into())
}

fn issue(f: &mut Fake) -> (serde_json::Value, String, String) {
    f.seq += 1;
    let now = SystemTime::now();
    let refresh = format!("refresh-{}", f.seq);
    f.live_refresh.insert(refresh.clone());
    let attrs = serde_json::json!({
        "access": format!("access-{}", f.seq),
        "refresh": refresh,
        "access_expired_at": format_rfc3339_micros(now + f.access_ttl),
        "refresh_expired_at": format_rfc3339_micros(now + f.refresh_ttl),
        "is_2fa_confirmed": false,
    });
    (attrs, format_rfc3339_micros(now), refresh)
}

fn fake(access_ttl: u64, refresh_ttl: u64) -> Fake {
    Fake {
        access_ttl: Duration::from_secs(access_ttl),
        refresh_ttl: Duration::from_secs(refresh_ttl),
        ..Fake::default()
    }
}

fn client_with(s: &Server, login: &str, margin_ms: u64, clock: Arc<ManualClock>) -> B2binpayClient {
    let mut cfg = B2binpayConfig::new(&s.base, login, PASSWORD);
    cfg.refresh_margin = Duration::from_millis(margin_ms);
    cfg.deadline = Duration::from_secs(10);
    let http = HttpClient::with(HttpConfig::default(), Telemetry::new(), clock).unwrap();
    B2binpayClient::new(cfg, http).unwrap()
}

fn client(s: &Server, login: &str, margin_ms: u64) -> B2binpayClient {
    client_with(s, login, margin_ms, ManualClock::new())
}

#[test]
fn login_verifies_and_caches() {
    let s = serve(fake(900, 3600));
    let c = client(&s, LOGIN, 10_000);
    let info = c.login().unwrap();
    assert!(!info.via_refresh && !info.suspicious_refresh);
    assert!(info.access_expires_at > SystemTime::now() + Duration::from_secs(800));
    assert_eq!(c.access_token().unwrap().as_str(), "access-1");
    assert_eq!(c.access_token().unwrap().as_str(), "access-1");
    assert_eq!(s.fake.lock().token_calls, 1);
    assert_eq!(c.login_count(), 1);
}

#[test]
fn tampered_sign_discards_tokens() {
    let s = serve(fake(900, 3600));
    let c = client(&s, LOGIN, 0);
    c.login().unwrap();
    s.fake.lock().tamper_sign = true;
    let e = c.login().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseSignatureInvalid);
    assert!(c.token_info().is_none());
    assert_eq!(
        c.access_token().unwrap_err().kind(),
        ErrorKind::ResponseSignatureInvalid
    );
    s.fake.lock().tamper_sign = false;
    assert_eq!(c.access_token().unwrap().as_str(), "access-4");
}

#[test]
fn bad_credentials() {
    let s = serve(fake(900, 3600));
    let c = client(&s, "wrong-login", 0);
    let e = c.access_token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AuthRejected);
    assert_eq!(e.http_status(), Some(400));
    assert!(!e.message().contains(PASSWORD));
    assert_eq!(s.fake.lock().token_calls, 1, "2006 is not retried");
}

#[test]
fn refresh_rotates_and_never_resends() {
    let mut f = fake(1, 3600);
    f.bare_refresh = true;
    let s = serve(f);
    let clock = ManualClock::new();
    let c = client_with(&s, LOGIN, 10_000, clock.clone());
    assert_eq!(c.access_token().unwrap().as_str(), "access-1");
    clock.advance(Duration::from_millis(850)); // past the renewal point of the 1 s lifetime
    let (t, info) = c.access_token_with_info().unwrap();
    assert_eq!(t.as_str(), "access-2");
    assert!(info.via_refresh);
    let info = c.refresh().unwrap();
    assert!(info.via_refresh && !info.suspicious_refresh);
    let f = s.fake.lock();
    assert_eq!(f.refresh_bodies, vec!["refresh-1", "refresh-2"]);
    assert_eq!((f.token_calls, f.refresh_calls), (1, 2));
}

#[test]
fn replayed_refresh_is_suspicious() {
    let s = serve(fake(900, 3600));
    let c = client(&s, LOGIN, 0);
    c.login().unwrap();
    // Someone else uses our refresh token first.
    s.fake.lock().live_refresh.remove("refresh-1");
    let info = c.refresh().unwrap();
    assert!(info.suspicious_refresh && !info.via_refresh);
    assert_eq!(c.suspicious_events(), 1);
    // An event, reported once: later calls answered from the cache do not repeat it.
    let (t, info) = c.access_token_with_info().unwrap();
    assert_eq!(t.as_str(), "access-2");
    assert!(!info.suspicious_refresh);
    assert!(!c.token_info().unwrap().suspicious_refresh);
    assert_eq!(c.suspicious_events(), 1, "the counter is the history");
    let f = s.fake.lock();
    assert_eq!((f.token_calls, f.refresh_calls), (2, 1));
}

#[test]
fn concurrent_callers_share_one_refresh() {
    let mut f = fake(1, 3600);
    f.refresh_delay = Duration::from_millis(200);
    let s = serve(f);
    let clock = ManualClock::new();
    let c = Arc::new(client_with(&s, LOGIN, 0, clock.clone()));
    c.login().unwrap();
    clock.advance(Duration::from_millis(1100));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || c.access_token().unwrap().to_string())
        })
        .collect();
    let tokens: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(tokens.iter().all(|t| t == "access-2"), "{tokens:?}");
    let f = s.fake.lock();
    assert_eq!((f.token_calls, f.refresh_calls), (1, 1));
    assert_eq!(c.suspicious_events(), 0);
}

#[test]
fn throttled_then_retry_after() {
    let mut f = fake(900, 3600);
    f.faults.push_back((429, Some(1)));
    f.faults.push_back((503, None));
    let s = serve(f);
    let clock = ManualClock::new();
    let c = client_with(&s, LOGIN, 0, clock.clone());
    c.login().unwrap();
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 2, "{sleeps:?}");
    assert_eq!(sleeps[0], Duration::from_secs(1), "Retry-After honoured");
    assert!(sleeps[1] <= BACKOFF_CAP, "then backoff");
    assert_eq!(s.fake.lock().token_calls, 3);
    assert_eq!(c.telemetry().stats.retries_by_cause()["throttled"], 1);
}

#[test]
fn throttled_beyond_deadline() {
    let mut f = fake(900, 3600);
    f.faults.push_back((429, Some(60)));
    let s = serve(f);
    let mut cfg = B2binpayConfig::new(&s.base, LOGIN, PASSWORD);
    cfg.deadline = Duration::from_secs(2);
    let clock = ManualClock::new();
    let http = HttpClient::with(HttpConfig::default(), Telemetry::new(), clock.clone()).unwrap();
    let c = B2binpayClient::new(cfg, http).unwrap();
    let e = c.login().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
    assert!(
        clock.sleeps().is_empty(),
        "a Retry-After past the deadline is not waited for"
    );
}

#[test]
fn transient_refresh_failure_falls_back_to_login() {
    let s = serve(fake(900, 3600));
    let c = client(&s, LOGIN, 0);
    c.login().unwrap();
    s.fake.lock().faults.push_back((502, None));
    let info = c.refresh().unwrap();
    assert!(!info.via_refresh && !info.suspicious_refresh);
    let f = s.fake.lock();
    // the refresh token was sent once (502), then a login
    assert_eq!((f.token_calls, f.refresh_calls), (2, 1));
}

#[test]
fn network_error_within_deadline() {
    // Nothing listens on the port: connection refused, retried until the deadline.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", l.local_addr().unwrap());
    drop(l);
    let mut cfg = B2binpayConfig::new(&base, LOGIN, PASSWORD);
    cfg.deadline = Duration::from_millis(800);
    let clock = ManualClock::new();
    let http = HttpClient::with(HttpConfig::default(), Telemetry::new(), clock.clone()).unwrap();
    let c = B2binpayClient::new(cfg, http).unwrap();
    let e = c.access_token().unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Network | ErrorKind::Timeout),
        "{e:?}"
    );
    assert!(
        c.telemetry().stats.retries_total() >= 1,
        "connection refused is retried"
    );
    assert!(
        clock.elapsed() < Duration::from_millis(800),
        "never past the deadline"
    );
}
