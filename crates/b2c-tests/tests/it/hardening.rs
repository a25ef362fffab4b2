//! Deadlines under every fault the sandbox can inject, short token lifetimes under load, and
//! the transport's promises (no thread per request, bounded connections, one lookup for a
//! name that does not exist).
//!
//! The fault matrix measures elapsed wall time: a deadline on real sockets is the one thing
//! only wall time can show. Every bound is the call's deadline plus [`SLACK`].

use crate::scan::Recorded as _;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use b2c_core::b2copy::wire::{PATH_AUTH, PATH_PROCESS};
use b2c_core::b2copy::{Client, ClientConfig, ExternalTokenParams, FeeStatus};
use b2c_core::keys::PrivateKey;
use b2c_core::ErrorKind;
use b2c_sandbox::{Fault, Faults, RegisteredKey, Sandbox, SandboxConfig, TokenShape};

const KEY_ID: &str = "hard-key";
const ADMIN: u64 = 7;
/// What a call may take beyond its deadline: one scheduling quantum of a loaded 2-core CI
/// machine plus the last syscall returning.
const SLACK: Duration = Duration::from_millis(400);

struct Env {
    sandbox: Sandbox,
    key: String,
}

fn env(cfg: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(cfg).unwrap();
    let key = PrivateKey::generate().unwrap();
    sandbox
        .register_key(RegisteredKey {
            key_id: KEY_ID.into(),
            public_key_pem: key.public_key_pem().unwrap(),
            admin_id: ADMIN,
            allowed_ips: vec![],
        })
        .unwrap();
    Env {
        sandbox,
        key: key.to_pkcs8_pem().unwrap().to_string(),
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
                issuer: "hardening".into(),
                ttl: Duration::from_secs(300),
                kid_header: false,
            },
        );
        cfg.poll_interval = Duration::from_millis(50);
        cfg.retry.base = Duration::from_millis(20);
        cfg.retry.max = Duration::from_millis(200);
        cfg
    }

    fn client(&self, cfg: ClientConfig) -> Arc<Client> {
        Arc::new(Client::new(cfg, PrivateKey::from_pem(&self.key).unwrap()).unwrap())
    }
}

/// The status a binding would see, by name (the table in docs/FAULTS.md).
fn outcome(r: &b2c_core::Result<b2c_core::b2copy::FeeResult>, rid: &str) -> String {
    match r {
        Ok(res) => match res.outcome_error(rid) {
            None => "OK".into(),
            Some(e) => format!("{:?}", crate::scan::err(e).kind()),
        },
        Err(e) => format!("{:?}", crate::scan::err(e).kind()),
    }
}

/// One row of the matrix: the fault, injected on every processext request, and the status
/// the call ends with once its deadline has run out.
struct Row {
    name: &'static str,
    fault: Fault,
    expect: &'static [&'static str],
}

#[test]
fn fault_matrix_every_call_ends_by_its_deadline_with_the_documented_status() {
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    let deadline = Duration::from_millis(900);
    let mut cfg = e.config();
    cfg.call_deadline = deadline;
    cfg.http.read_timeout = Duration::from_millis(200);
    cfg.http.max_response_bytes = 64 * 1024;
    let client = e.client(cfg);
    client.authenticate().unwrap();
    let rows = [
        Row {
            name: "5xx",
            fault: Fault::Status5xx(503),
            expect: &["HttpStatus"],
        },
        Row {
            name: "429 Retry-After 1 s",
            fault: Fault::TooMany { retry_after_s: 1 },
            expect: &["Throttled"],
        },
        Row {
            name: "latency beyond the read timeout",
            fault: Fault::Latency(Duration::from_secs(2)),
            expect: &["Timeout"],
        },
        Row {
            name: "drop",
            fault: Fault::Drop,
            expect: &["Network"],
        },
        Row {
            name: "malformed body",
            fault: Fault::Malformed,
            expect: &["Protocol"],
        },
        Row {
            name: "truncated body",
            fault: Fault::Truncated,
            expect: &["Network"],
        },
        Row {
            name: "header without body",
            fault: Fault::HeadOnly,
            expect: &["Network"],
        },
        Row {
            name: "reset mid-body",
            fault: Fault::ResetMidBody,
            expect: &["Network"],
        },
        Row {
            name: "slow drip",
            fault: Fault::SlowDrip(Duration::from_millis(40)),
            expect: &["Timeout"],
        },
        Row {
            name: "oversized body",
            fault: Fault::Oversized(1024 * 1024),
            expect: &["ResponseTooLarge"],
        },
        Row {
            name: "endless body",
            fault: Fault::Endless,
            expect: &["ResponseTooLarge"],
        },
        Row {
            name: "silent server",
            fault: Fault::Silent,
            expect: &["Timeout"],
        },
    ];
    let mut table = Vec::new();
    for row in &rows {
        for waiting in [false, true] {
            e.sandbox.clear_requests();
            e.sandbox.inject(PATH_PROCESS, row.fault.clone(), 100_000);
            let barrier = Arc::new(Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|i| {
                    let (c, b) = (client.clone(), barrier.clone());
                    let rid = format!("fm-{}-{}-{i}", row.name.replace(' ', "_"), waiting);
                    std::thread::spawn(move || {
                        b.wait();
                        let t = Instant::now();
                        let wait = waiting.then_some(deadline);
                        let r = c.fee_process("123456", &rid, wait, None);
                        (rid.clone(), outcome(&r, &rid), t.elapsed())
                    })
                })
                .collect();
            let results: Vec<(String, String, Duration)> =
                threads.into_iter().map(|t| t.join().unwrap()).collect();
            e.sandbox.fault_injector().clear_scripted();
            let mut worst = Duration::ZERO;
            for (rid, status, took) in &results {
                assert!(
                    row.expect.contains(&status.as_str()),
                    "{} ({}): {rid} ended {status}, documented {:?}",
                    row.name,
                    if waiting { "waiting" } else { "one-shot" },
                    row.expect
                );
                assert!(
                    *took <= deadline + SLACK,
                    "{} ({}): {rid} took {took:?}, deadline {deadline:?} + {SLACK:?}",
                    row.name,
                    if waiting { "waiting" } else { "one-shot" }
                );
                worst = worst.max(*took);
            }
            // Every processext attempt of one logical call carried its own request_id: the
            // sandbox saw no request_id but the eight sent.
            let ours: HashSet<String> = results.iter().map(|r| r.0.clone()).collect();
            let seen: Vec<_> = e
                .sandbox
                .requests()
                .into_iter()
                .filter(|r| r.path == PATH_PROCESS)
                .collect();
            assert!(!seen.is_empty());
            for r in &seen {
                let rid = r.request_id.clone().unwrap_or_default();
                assert!(
                    ours.contains(&rid),
                    "{}: an attempt carried {rid:?}",
                    row.name
                );
            }
            table.push(format!(
                "{:32} {:9} -> {:16} attempts {:3}  worst {:4} ms",
                row.name,
                if waiting { "waiting" } else { "one-shot" },
                results[0].1,
                seen.len(),
                worst.as_millis()
            ));
        }
    }
    // A summary for the log (docs/FAULTS.md has the table this test enforces).
    for line in table {
        eprintln!("{line}");
    }
    // And the client recovered from all of it.
    let r = client
        .fee_process("123456", "fm-after", None, None)
        .unwrap();
    assert_eq!(r.status, FeeStatus::Success);
}

#[test]
fn transient_faults_recover_within_the_deadline() {
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    let client = e.client(e.config());
    client.authenticate().unwrap();
    for fault in [
        Fault::Status5xx(502),
        Fault::TooMany { retry_after_s: 0 },
        Fault::Drop,
        Fault::Malformed,
        Fault::Truncated,
        Fault::HeadOnly,
        Fault::ResetMidBody,
    ] {
        e.sandbox.inject(PATH_PROCESS, fault.clone(), 2);
        let r = client.fee_process("123456", "recover", None, None);
        assert_eq!(
            r.map(|r| r.status).ok(),
            Some(FeeStatus::Success),
            "{fault:?}"
        );
    }
}

#[test]
fn a_shared_client_keeps_every_callers_deadline_when_the_token_endpoint_is_slow() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    let deadline = Duration::from_secs(1);
    cfg.call_deadline = deadline;
    cfg.http.read_timeout = Duration::from_secs(5);
    let client = e.client(cfg);
    e.sandbox
        .inject(PATH_AUTH, Fault::Latency(Duration::from_secs(3)), 1000);
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (c, b) = (client.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let t = Instant::now();
                let r = c.fee_process("123456", &format!("slow-auth-{i}"), None, None);
                (r.map(|_| ()).map_err(|e| e.kind()), t.elapsed())
            })
        })
        .collect();
    for t in threads {
        let (r, took) = t.join().unwrap();
        assert_eq!(r, Err(ErrorKind::Timeout));
        assert!(took <= deadline + SLACK, "a caller waited {took:?}");
    }
    e.sandbox.fault_injector().clear_scripted();
}

/// 16 threads x 1,000 calls on one client whose tokens live 1 s: no auth error surfaces, and
/// the tokens are renewed about once per lifetime (no storm).
#[test]
fn one_second_tokens_sixteen_threads_no_auth_error_no_storm() {
    for shape in [TokenShape::Plain, TokenShape::Object] {
        let e = env(SandboxConfig {
            access_ttl: Duration::from_secs(1),
            pending_polls: 0,
            token_shape: shape,
            ..Default::default()
        });
        let client = e.client(e.config());
        let t0 = Instant::now();
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let c = client.clone();
                std::thread::spawn(move || {
                    let mut errors = Vec::new();
                    for i in 0..1000 {
                        if let Err(err) = c.fee_process("123456", &format!("c-{t}-{i}"), None, None)
                        {
                            errors.push(format!("{:?}: {}", err.kind(), err.message()));
                        }
                    }
                    errors
                })
            })
            .collect();
        let errors: Vec<String> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let took = t0.elapsed();
        assert!(
            errors.is_empty(),
            "{shape:?}: {} errors, first: {:?}",
            errors.len(),
            errors.first()
        );
        let st = e.sandbox.stats();
        let renewals = st.refresh_ok + st.auth_ok;
        // A renewal per 0.8 s of a 1 s lifetime, the first authentication, and a little room
        // for a 401 on a token replaced while in flight.
        let expected = (took.as_secs_f64() / 0.8).ceil() as u64 + 1;
        assert!(
            renewals <= expected + 2,
            "{shape:?}: {renewals} renewals in {took:?} (about {expected} expected)"
        );
        assert_eq!(st.refresh_rejected + st.auth_rejected, 0, "{shape:?}");
        eprintln!(
            "{shape:?}: 16,000 calls in {took:?}, {renewals} renewals, {} 401s",
            client
                .telemetry()
                .stats
                .unauthorized
                .load(Ordering::Relaxed)
        );
    }
}

/// Reads /proc/self/task: the threads alive now.
fn live_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn no_thread_no_lookup_no_connection_per_request() {
    // /proc/self/task counts every thread of the process, and other tests run beside this
    // one: the check runs in a process of its own (this test binary, this test only).
    if std::env::var_os("B2C_ISOLATED_TEST").is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "hardening::no_thread_no_lookup_no_connection_per_request",
                "--exact",
                "--test-threads=1",
            ])
            .env("B2C_ISOLATED_TEST", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    // By name, so a lookup per request would show.
    let mut cfg = e.config();
    cfg.base_url = format!("http://localhost:{}", e.sandbox.local_addr().port());
    let client = e.client(cfg);
    client.fee_process("123456", "warm", None, None).unwrap();
    let stats = &client.telemetry().stats;
    let before = (
        stats.dns_lookups.load(Ordering::Relaxed),
        stats.connections_opened.load(Ordering::Relaxed),
        live_threads(),
        e.sandbox.connections_accepted(),
    );
    for i in 0..1000 {
        client
            .fee_process("123456", &format!("nt-{i}"), None, None)
            .unwrap();
    }
    let after = (
        stats.dns_lookups.load(Ordering::Relaxed),
        stats.connections_opened.load(Ordering::Relaxed),
        live_threads(),
        e.sandbox.connections_accepted(),
    );
    assert_eq!(
        before, after,
        "(dns lookups, connections opened, live threads, sandbox connections)"
    );
    assert_eq!(
        stats.dns_lookups.load(Ordering::Relaxed),
        1,
        "localhost was resolved once"
    );
}

#[test]
fn sixteen_threads_share_at_most_sixteen_connections() {
    let e = env(SandboxConfig {
        pending_polls: 0,
        ..Default::default()
    });
    let client = e.client(e.config());
    client.authenticate().unwrap();
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (c, b) = (client.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                for i in 0..200 {
                    c.fee_process("123456", &format!("sh-{t}-{i}"), None, None)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let accepted = e.sandbox.connections_accepted();
    assert!(accepted <= 16, "{accepted} connections for 16 threads");
    assert!(client.http().idle_connections() <= 16);
}

#[test]
fn a_host_that_does_not_exist_fails_at_once_after_one_lookup() {
    let e = env(SandboxConfig::default());
    let mut cfg = e.config();
    cfg.base_url = "https://no-such-host.invalid".into();
    cfg.call_deadline = Duration::from_secs(30);
    let client = e.client(cfg);
    let err = client
        .fee_process("123456", "nx", None, None)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    let stats = &client.telemetry().stats;
    assert_eq!(
        stats.dns_lookups.load(Ordering::Relaxed),
        1,
        "exactly one resolution"
    );
    assert_eq!(
        stats.retries_total(),
        0,
        "no such name is not retried: {err}"
    );
    assert!(err.message().contains("no-such-host.invalid"), "{err}");
}

#[test]
fn retailcrm_edit_has_a_deadline() {
    let e = env(SandboxConfig::default());
    let system = format!("{}/retailcrm", e.sandbox.base_url());
    let calls = b2c_core::retailcrm::Calls::from_json(Some(
        r#"{"deadline_ms": 500, "read_timeout_ms": 5000}"#,
    ))
    .unwrap();
    e.sandbox.inject(
        "/retailcrm/api/v5/integration-modules/b2c-fees/edit",
        Fault::Latency(Duration::from_secs(3)),
        10,
    );
    let module = b2c_core::retailcrm::IntegrationModule {
        code: "b2c-fees".into(),
        integration_code: "b2c".into(),
        name: "B2C".into(),
        client_id: "c".into(),
        base_url: "https://m".into(),
        account_url: "https://m/a".into(),
        ..Default::default()
    };
    let t = Instant::now();
    let err = calls
        .edit_module(&system, "sandbox-api-key", &module)
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        t.elapsed() <= Duration::from_millis(500) + SLACK,
        "{:?}",
        t.elapsed()
    );
    e.sandbox.fault_injector().clear_scripted();
    let _ = Faults::default();
}
