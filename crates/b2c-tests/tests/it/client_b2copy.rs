//! The B2COPY client against the sandbox over real sockets.

use crate::scan::Recorded as _;
use std::ops::ControlFlow;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use b2c_core::b2copy::wire::{PATH_AUTH, PATH_PROCESS, PATH_REFRESH};
use b2c_core::b2copy::{Client, ClientConfig, ExternalTokenParams, FeeStatus, Progress};
use b2c_core::clock::ManualClock;
use b2c_core::keys::PrivateKey;
use b2c_core::ErrorKind;
use b2c_sandbox::{Fault, Faults, RegisteredKey, Sandbox, SandboxConfig, TokenShape};

const KEY_ID: &str = "crm-key-1";
const ADMIN: u64 = 42;

struct Env {
    sandbox: Sandbox,
    key_pem: String,
}

fn env(cfg: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(cfg).unwrap();
    let key = PrivateKey::generate().unwrap();
    sandbox
        .register_key(RegisteredKey {
            key_id: KEY_ID.into(),
            public_key_pem: key.public_key_pem().unwrap(),
            admin_id: ADMIN,
            allowed_ips: vec!["127.0.0.1".into()],
        })
        .unwrap();
    Env {
        sandbox,
        key_pem: key.to_pkcs8_pem().unwrap().to_string(),
    }
}

impl Env {
    fn config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new(
            self.sandbox.base_url(),
            ExternalTokenParams {
                admin_id: ADMIN,
                device_ip: "127.0.0.1".into(),
                key_id: KEY_ID.into(),
                issuer: "tests".into(),
                ttl: Duration::from_secs(300),
                kid_header: false,
            },
        );
        cfg.poll_interval = Duration::from_millis(10);
        cfg.retry.base = Duration::from_millis(5);
        cfg.retry.max = Duration::from_millis(50);
        cfg.call_deadline = Duration::from_secs(5);
        cfg
    }

    /// The configuration with the library's default polling interval.
    fn config_default_poll(&self) -> ClientConfig {
        let mut cfg = self.config();
        cfg.poll_interval = ClientConfig::new(String::new(), cfg.jwt.clone()).poll_interval;
        cfg
    }

    fn client_with(&self, cfg: ClientConfig) -> Client {
        Client::new(cfg, PrivateKey::from_pem(&self.key_pem).unwrap()).unwrap()
    }

    fn client(&self) -> Client {
        self.client_with(self.config())
    }

    /// A client timed by a virtual clock: its waits (backoff, Retry-After, polling) are
    /// recorded instead of slept, and the token schedule moves only when the test says so.
    fn client_at(&self, cfg: ClientConfig, clock: Arc<ManualClock>) -> Client {
        Client::with_clock(cfg, PrivateKey::from_pem(&self.key_pem).unwrap(), clock).unwrap()
    }
}

#[test]
fn pending_then_success_with_both_token_shapes() {
    for shape in [TokenShape::Plain, TokenShape::Object] {
        let e = env(SandboxConfig {
            pending_polls: 2,
            token_shape: shape,
            ..Default::default()
        });
        let c = e.client();
        c.authenticate().unwrap();
        let one = c.fee_process("123456", "wd-1", None, None).unwrap();
        assert_eq!(
            one.status,
            FeeStatus::Pending,
            "{shape:?}: one-shot returns PENDING as a result"
        );
        assert!(one.outcome_error("wd-1").is_none());
        let mut seen = Vec::new();
        let mut cb = |p: &Progress| {
            seen.push((p.status, p.attempt));
            ControlFlow::Continue(())
        };
        let r = c
            .fee_process(
                "123456",
                "wd-1",
                Some(Duration::from_secs(5)),
                Some(&mut cb),
            )
            .unwrap();
        assert_eq!(r.status, FeeStatus::Success);
        assert_eq!(seen, vec![(FeeStatus::Pending, 1), (FeeStatus::Success, 2)]);
        // Idempotent once final.
        assert_eq!(
            c.fee_process("123456", "wd-1", None, None).unwrap().status,
            FeeStatus::Success
        );
        let st = e.sandbox.stats();
        assert_eq!((st.auth_ok, st.process_calls), (1, 4), "{shape:?}");
    }
}

#[test]
fn first_call_authenticates_lazily() {
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    let c = e.client();
    assert!(!c.has_tokens());
    assert_eq!(
        c.fee_process("1", "r", None, None).unwrap().status,
        FeeStatus::Success
    );
    assert_eq!(e.sandbox.stats().auth_ok, 1);
}

#[test]
fn refreshes_once_on_401() {
    let e = env(SandboxConfig::default());
    let c = e.client();
    c.authenticate().unwrap();
    e.sandbox.expire_access_tokens();
    c.fee_process("123456", "wd-401", None, None).unwrap();
    let st = e.sandbox.stats();
    assert_eq!((st.auth_ok, st.refresh_ok, st.process_calls), (1, 1, 2));
}

#[test]
fn reauthenticates_when_refresh_fails() {
    let e = env(SandboxConfig::default());
    let c = e.client();
    c.authenticate().unwrap();
    e.sandbox.expire_access_tokens();
    e.sandbox.revoke_refresh_tokens();
    c.fee_process("123456", "wd-reauth", None, None).unwrap();
    let st = e.sandbox.stats();
    assert_eq!((st.auth_ok, st.refresh_rejected, st.refresh_ok), (2, 1, 0));
}

#[test]
fn persistent_401_is_final_and_never_loops() {
    // Access tokens are dead on arrival and carry no readable expiry.
    let e = env(SandboxConfig {
        access_ttl: Duration::ZERO,
        jwt_tokens: false,
        ..Default::default()
    });
    let c = e.client();
    let err = c
        .fee_process("123456", "wd-dead", None, None)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.http_status(), Some(401));
    let st = e.sandbox.stats();
    assert_eq!((st.auth_ok, st.refresh_ok, st.process_calls), (1, 1, 2));
}

#[test]
fn refreshes_ahead_of_a_known_expiry() {
    let e = env(SandboxConfig {
        access_ttl: Duration::from_secs(2),
        ..Default::default()
    });
    let clock = ManualClock::new();
    let c = e.client_at(e.config(), clock.clone());
    c.authenticate().unwrap();
    c.fee_process("123456", "wd-early", None, None).unwrap();
    assert_eq!(e.sandbox.stats().refresh_ok, 0, "not yet due");
    // Past four fifths of the token's 2 s life the client refreshes before calling.
    clock.advance(Duration::from_millis(1700));
    c.fee_process("123456", "wd-ahead", None, None).unwrap();
    let st = e.sandbox.stats();
    assert_eq!(
        (st.refresh_ok, st.process_calls),
        (1, 2),
        "no 401 round trip"
    );
}

#[test]
fn eight_threads_share_one_refresh() {
    let e = env(SandboxConfig::default());
    let c = Arc::new(e.client());
    c.authenticate().unwrap();
    e.sandbox.expire_access_tokens();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (c, b) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                c.fee_process("123456", &format!("wd-thread-{i}"), None, None)
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let st = e.sandbox.stats();
    assert_eq!(st.refresh_ok, 1, "single-flight: exactly one refresh");
    assert_eq!(st.refresh_rejected, 0);
    assert_eq!(st.auth_ok, 1);
}

#[test]
fn retries_5xx_and_drops_with_the_same_request_id() {
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    let c = e.client();
    c.authenticate().unwrap();
    e.sandbox.inject(PATH_PROCESS, Fault::Status5xx(503), 2);
    e.sandbox.inject(PATH_PROCESS, Fault::Drop, 1);
    let r = c.fee_process("123456", "wd-retry", None, None).unwrap();
    assert_eq!(r.status, FeeStatus::Success);
    let st = e.sandbox.stats();
    assert_eq!(st.faults_injected, 3);
    assert_eq!(
        st.process_calls, 1,
        "only the retry that got through reached the handler"
    );
    let (login, status, polls) = e.sandbox.fee_state("wd-retry").unwrap();
    assert_eq!((login.as_str(), status, polls), ("123456", 2, 1));
}

#[test]
fn transient_auth_failures_are_retried_too() {
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    let c = e.client();
    e.sandbox.inject(PATH_AUTH, Fault::Status5xx(502), 1);
    e.sandbox.inject(PATH_AUTH, Fault::Drop, 1);
    c.authenticate().unwrap();
    assert_eq!(e.sandbox.stats().auth_ok, 1);
}

#[test]
fn honours_retry_after_on_429() {
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    let clock = ManualClock::new();
    let c = e.client_at(e.config(), clock.clone());
    c.authenticate().unwrap();
    e.sandbox
        .inject(PATH_PROCESS, Fault::TooMany { retry_after_s: 1 }, 1);
    c.fee_process("123456", "wd-429", None, None).unwrap();
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(1)],
        "waited as Retry-After asked"
    );
}

#[test]
fn retry_after_beyond_the_deadline_gives_throttled_at_once() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.call_deadline = Duration::from_secs(2);
    let clock = ManualClock::new();
    let c = e.client_at(cfg, clock.clone());
    c.authenticate().unwrap();
    e.sandbox
        .inject(PATH_PROCESS, Fault::TooMany { retry_after_s: 30 }, 1);
    let err = c
        .fee_process("123456", "wd-429b", None, None)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert_eq!(err.http_status(), Some(429));
    assert!(
        clock.sleeps().is_empty(),
        "a Retry-After past the deadline is not waited for"
    );
}

#[test]
fn deadline_is_honoured_under_persistent_5xx() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.call_deadline = Duration::from_millis(600);
    let clock = ManualClock::new();
    let c = e.client_at(cfg, clock.clone());
    c.authenticate().unwrap();
    e.sandbox.set_faults(Faults {
        rate_5xx: 1.0,
        ..Default::default()
    });
    let err = c
        .fee_process("123456", "wd-5xx", None, None)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::HttpStatus, "{err}");
    assert!(err.http_status().unwrap() >= 500);
    assert!(err.message().contains("gave up"), "{err}");
    let waited: Duration = clock.sleeps().iter().sum();
    assert!(
        waited < Duration::from_millis(600),
        "backoff stayed inside the deadline: {waited:?}"
    );
    assert!(e.sandbox.stats().faults_injected >= 2, "it did retry");
    assert!(c.telemetry().stats.retries_by_cause()["status_5xx"] >= 1);
}

#[test]
fn wait_ends_still_pending_at_the_deadline() {
    let e = env(SandboxConfig {
        pending_polls: 1_000_000,
        ..Default::default()
    });
    let clock = ManualClock::new();
    // The default polling interval: 4 s, jittered to 3-5 s.
    let c = e.client_at(e.config_default_poll(), clock.clone());
    let r = c
        .fee_process("123456", "wd-slow", Some(Duration::from_secs(60)), None)
        .unwrap();
    assert_eq!(r.status, FeeStatus::Pending);
    assert!(r.deadline_reached);
    let polls = clock.sleeps();
    assert!(
        polls.len() >= 11 && polls.len() <= 20,
        "{} pauses in 60 s",
        polls.len()
    );
    for p in &polls {
        assert!(
            *p >= Duration::from_secs(3) && *p <= Duration::from_secs(5),
            "pause {p:?}"
        );
    }
    assert!(
        polls.iter().any(|p| *p != polls[0]),
        "the pauses are jittered"
    );
    assert_eq!(r.attempts as usize, polls.len() + 1);
    assert!(
        clock.elapsed() < Duration::from_secs(60),
        "never past the wait"
    );
    assert_eq!(e.sandbox.fee_state("wd-slow").unwrap().2, r.attempts);
    assert_eq!(
        r.outcome_error("wd-slow").unwrap().kind(),
        ErrorKind::StillPending
    );
}

#[test]
fn error_status_surfaces_the_details() {
    let e = env(SandboxConfig {
        pending_polls: 1,
        error_logins: vec!["999999".into()],
        ..Default::default()
    });
    let c = e.client();
    let r = c
        .fee_process("999999", "wd-err", Some(Duration::from_secs(5)), None)
        .unwrap();
    assert_eq!(r.status, FeeStatus::Error);
    let details = r.error_details.clone().unwrap();
    assert!(details.contains("error"), "{details}");
    let err = r.outcome_error("wd-err").unwrap();
    assert_eq!(err.kind(), ErrorKind::FeeError);
    assert!(err.message().contains(&details));
}

#[test]
fn progress_callback_can_cancel() {
    let e = env(SandboxConfig {
        pending_polls: 100,
        ..Default::default()
    });
    let c = e.client();
    let mut cb = |p: &Progress| {
        if p.attempt >= 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let err = c
        .fee_process(
            "123456",
            "wd-cancel",
            Some(Duration::from_secs(5)),
            Some(&mut cb),
        )
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(e.sandbox.fee_state("wd-cancel").unwrap().2, 2);
}

#[test]
fn malformed_and_oversized_bodies_are_errors() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.http.max_response_bytes = 64 * 1024;
    let c = e.client_with(cfg);
    c.authenticate().unwrap();
    // A malformed answer is retried (processext is idempotent per request_id).
    e.sandbox.inject(PATH_PROCESS, Fault::Malformed, 1);
    let r = c.fee_process("123456", "wd-m", None, None).unwrap();
    assert_eq!(r.status, FeeStatus::Pending);
    assert_eq!(c.telemetry().stats.retries_by_cause()["malformed"], 1);
    e.sandbox
        .inject(PATH_PROCESS, Fault::Oversized(1024 * 1024), 1);
    let err = c
        .fee_process("123456", "wd-m", None, None)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    // And the client still works afterwards.
    c.fee_process("123456", "wd-m", None, None).unwrap();
}

#[test]
fn bad_ids_are_rejected_before_any_request() {
    let e = env(SandboxConfig::default());
    let c = e.client();
    let long = "x".repeat(257);
    for (login, rid) in [
        ("", "r"),
        ("1", ""),
        (long.as_str(), "r"),
        ("1", long.as_str()),
        ("1\n", "r"),
    ] {
        let err = c.fee_process(login, rid, None, None).expect_err_recorded();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
    let st = e.sandbox.stats();
    assert_eq!((st.auth_ok, st.auth_rejected, st.process_calls), (0, 0, 0));
}

#[test]
fn rejected_credentials_are_not_retried() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.jwt.admin_id = 7; // not the registered admin
    let c = e.client_with(cfg);
    let err = c.authenticate().expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::AuthRejected);
    assert_eq!(err.http_status(), Some(401));
    assert!(
        err.message().contains("code 16"),
        "gateway body parsed: {err}"
    );
    assert_eq!(e.sandbox.stats().auth_rejected, 1);
    // A JWT signed with another key.
    let other = Client::new(e.config(), PrivateKey::generate().unwrap()).unwrap();
    assert_eq!(
        other.authenticate().expect_err_recorded().kind(),
        ErrorKind::AuthRejected
    );
    // Wrong device IP.
    let mut cfg = e.config();
    cfg.jwt.device_ip = "10.9.9.9".into();
    assert_eq!(
        e.client_with(cfg)
            .authenticate()
            .expect_err_recorded()
            .kind(),
        ErrorKind::AuthRejected
    );
}

#[test]
fn request_id_reused_with_another_login_is_an_error() {
    let e = env(SandboxConfig::default());
    let c = e.client();
    c.fee_process("111", "wd-dup", None, None).unwrap();
    let err = c
        .fee_process("222", "wd-dup", None, None)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::HttpStatus, "{err}");
    assert!(matches!(err.http_status(), Some(400 | 409)));
}

#[test]
fn a_failed_refresh_falls_back_to_a_new_jwt() {
    let e = env(SandboxConfig::default());
    let c = e.client();
    c.authenticate().unwrap();
    e.sandbox.expire_access_tokens();
    e.sandbox.inject(PATH_REFRESH, Fault::Status5xx(503), 1);
    c.fee_process("123456", "wd-rf", None, None).unwrap();
    // The refresh failed; the client authenticated again with a new JWT instead.
    let st = e.sandbox.stats();
    assert_eq!((st.refresh_ok, st.auth_ok), (0, 2));
    assert_eq!(
        c.telemetry()
            .stats
            .reauths
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.base_url = "http://b2copy.example.com".into();
    let err = Client::new(cfg, PrivateKey::generate().unwrap()).expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::InsecureUrl);
}

#[test]
fn connection_refused_is_a_network_error_within_the_deadline() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.base_url = format!("http://127.0.0.1:{port}");
    cfg.call_deadline = Duration::from_millis(300);
    let clock = ManualClock::new();
    let c = e.client_at(cfg, clock.clone());
    let err = c.authenticate().expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(
        c.telemetry().stats.retries_by_cause()["connect"] >= 1,
        "refused is retried"
    );
    assert!(
        clock.elapsed() < Duration::from_millis(300),
        "within the deadline"
    );
}

#[test]
fn debug_output_has_no_secrets() {
    let e = env(SandboxConfig::default());
    let c = e.client();
    c.authenticate().unwrap();
    let dbg = format!("{c:?}");
    assert!(dbg.contains("redacted"));
    assert!(!dbg.contains(e.key_pem.lines().nth(1).unwrap()));
    assert!(!dbg.contains("eyJ"), "no token in Debug: {dbg}");
}

#[test]
fn read_timeout_and_deadline_bound_a_slow_server() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.http.read_timeout = Duration::from_millis(100);
    cfg.call_deadline = Duration::from_millis(700);
    let c = e.client_with(cfg);
    c.authenticate().unwrap();
    e.sandbox
        .inject(PATH_PROCESS, Fault::Latency(Duration::from_secs(3)), 20);
    // The deadline on real sockets: the one thing only wall time can show (slack stated).
    let t = Instant::now();
    let err = c
        .fee_process("123456", "wd-slow-server", None, None)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn wait_running_out_mid_request_after_pending_is_still_pending() {
    let e = env(SandboxConfig {
        pending_polls: 1_000_000,
        ..Default::default()
    });
    let c = e.client();
    c.authenticate().unwrap();
    // After a few PENDING polls the server becomes very slow.
    let injector = e.sandbox.fault_injector();
    let slow = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        injector.inject(PATH_PROCESS, Fault::Latency(Duration::from_secs(2)), 1000);
    });
    // Real sockets and a real slow server: wall time, with the slack stated.
    let t = Instant::now();
    let r = c
        .fee_process("123456", "wd-mid", Some(Duration::from_millis(600)), None)
        .unwrap();
    slow.join().unwrap();
    assert_eq!(r.status, FeeStatus::Pending);
    assert!(r.deadline_reached && r.attempts >= 1);
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
}
