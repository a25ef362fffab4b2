//! Token stores and shared handles: several clients (standing for processes) sharing one
//! file store against the sandbox, stale and corrupt records, a lock held elsewhere, single
//! use of B2BINPAY refresh tokens across handles, and the shared-handle registry.

use crate::scan::Recorded as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2c_core::b2binpay::{B2binpayClient, B2binpayConfig};
use b2c_core::b2copy::{Client, ClientConfig, ExternalTokenParams};
use b2c_core::http::{HttpClient, HttpConfig};
use b2c_core::keys::PrivateKey;
use b2c_core::store::{FileStore, StoreSpec, TokenStore};
use b2c_core::ErrorKind;
use b2c_sandbox::{RegisteredKey, Sandbox, SandboxConfig};

const KEY_ID: &str = "store-key";
const ADMIN: u64 = 42;

struct Env {
    sb: Sandbox,
    key_pem: String,
    dir: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn env(cfg: SandboxConfig) -> Env {
    let sb = Sandbox::start(cfg).unwrap();
    let key = PrivateKey::generate().unwrap();
    sb.register_key(RegisteredKey {
        key_id: KEY_ID.into(),
        public_key_pem: key.public_key_pem().unwrap(),
        admin_id: ADMIN,
        allowed_ips: vec!["127.0.0.1".into()],
    })
    .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "b2c-store-it-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    Env {
        sb,
        key_pem: key.to_pkcs8_pem().unwrap().to_string(),
        dir,
    }
}

impl Env {
    fn config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new(
            self.sb.base_url(),
            ExternalTokenParams {
                admin_id: ADMIN,
                device_ip: "127.0.0.1".into(),
                key_id: KEY_ID.into(),
                issuer: "tests".into(),
                ttl: Duration::from_secs(300),
                kid_header: false,
            },
        );
        cfg.call_deadline = Duration::from_secs(5);
        cfg.retry.base = Duration::from_millis(5);
        cfg.token_store = StoreSpec::File(self.dir.clone());
        cfg
    }

    /// A client with the file store: each stands for another process.
    fn client(&self) -> Client {
        Client::new(self.config(), PrivateKey::from_pem(&self.key_pem).unwrap()).unwrap()
    }

    fn fee(&self, c: &Client, rid: &str) {
        c.fee_process("123456", rid, None, None).unwrap();
    }

    fn record_file(&self) -> PathBuf {
        let entries: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        assert_eq!(entries.len(), 1, "one record per credential: {entries:?}");
        entries[0].clone()
    }
}

#[test]
fn clients_sharing_a_file_store_authenticate_once() {
    let e = env(SandboxConfig::default());
    let clients: Vec<Client> = (0..4).map(|_| e.client()).collect();
    for (i, c) in clients.iter().enumerate() {
        e.fee(c, &format!("st-{i}"));
    }
    let s = e.sb.stats();
    assert_eq!(s.auth_ok, 1, "one authexternalcrm for four clients");
    assert_eq!(s.refresh_ok, 0);
    let adopted: u64 = clients
        .iter()
        .map(|c| c.telemetry().stats.store_adopted.load(Ordering::Relaxed))
        .sum();
    assert_eq!(adopted, 3);
    // The record is a secret: 0600 in a 0700 directory, named without any secret.
    use std::os::unix::fs::MetadataExt;
    let f = e.record_file();
    assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&e.dir).unwrap().mode() & 0o777, 0o700);
    let name = f.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("b2copy-") && !name.contains(KEY_ID),
        "{name}"
    );
    // A process started later (a CLI run) adopts it too.
    e.fee(&e.client(), "st-later");
    assert_eq!(e.sb.stats().auth_ok, 1);
}

#[test]
fn a_401_rereads_the_store_before_refreshing() {
    let e = env(SandboxConfig::default());
    let a = e.client();
    let b = e.client();
    e.fee(&a, "r-a1");
    e.fee(&b, "r-b1");
    assert_eq!(e.sb.stats().auth_ok, 1);
    e.sb.expire_access_tokens();
    // a meets the 401 first and refreshes; b's 401 finds a's pair in the store.
    e.fee(&a, "r-a2");
    e.fee(&b, "r-b2");
    let s = e.sb.stats();
    assert_eq!(s.refresh_ok, 1, "one refresh for both");
    assert_eq!(s.refresh_rejected, 0, "b never sent the used refresh token");
    assert_eq!(s.auth_ok, 1);
    assert_eq!(b.telemetry().stats.unauthorized.load(Ordering::Relaxed), 1);
    assert_eq!(b.telemetry().stats.refreshes.load(Ordering::Relaxed), 0);
}

#[test]
fn short_lifetimes_many_clients_few_exchanges() {
    let e = env(SandboxConfig {
        access_ttl: Duration::from_secs(1),
        ..Default::default()
    });
    let clients: Vec<Arc<Client>> = (0..4).map(|_| Arc::new(e.client())).collect();
    let start = Instant::now();
    let run = Duration::from_millis(2500);
    let threads: Vec<_> = clients
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            (0..2).map(move |t| {
                let c = c.clone();
                std::thread::spawn(move || {
                    let mut n = 0;
                    while start.elapsed() < run {
                        c.fee_process("123456", &format!("sl-{i}-{t}-{n}"), None, None)
                            .expect_err_recorded_if_err();
                        n += 1;
                    }
                    n
                })
            })
        })
        .collect();
    let calls: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let s = e.sb.stats();
    let exchanges = s.auth_ok + s.refresh_ok;
    // Renewed at 4/5 of each 1 s life: about run / 0.8 s renewals in all, for every client
    // together (each client alone would need as many).
    assert_eq!(s.auth_ok, 1, "{s:?}");
    assert!(
        (2..=6).contains(&exchanges),
        "{exchanges} exchanges for {calls} calls: {s:?}"
    );
    assert_eq!(s.refresh_rejected + s.auth_rejected, 0, "{s:?}");
}

/// `Result::ok()` that still records an error for the secret scan and fails the test on one.
trait OrFail {
    fn expect_err_recorded_if_err(self);
}
impl<T: std::fmt::Debug> OrFail for b2c_core::Result<T> {
    fn expect_err_recorded_if_err(self) {
        if let Err(e) = self {
            let e = crate::scan::err(e);
            panic!("call failed: {e}");
        }
    }
}

#[test]
fn a_corrupt_or_torn_record_is_ignored_and_replaced() {
    let e = env(SandboxConfig::default());
    e.fee(&e.client(), "c-1");
    let f = e.record_file();
    let good = std::fs::read(&f).unwrap();
    for bad in [
        b"".to_vec(),
        b"{\"v\":1".to_vec(),
        good[..good.len() / 2].to_vec(),
        b"\xff\xfe not json".to_vec(),
        String::from_utf8(good.clone())
            .unwrap()
            .replace("\"v\":1", "\"v\":2")
            .into_bytes(),
    ] {
        std::fs::write(&f, &bad).unwrap();
        let before = e.sb.stats().auth_ok;
        let c = e.client();
        e.fee(&c, &format!("c-{}", bad.len()));
        assert_eq!(e.sb.stats().auth_ok, before + 1, "re-authenticated");
        assert!(c.telemetry().stats.store_errors.load(Ordering::Relaxed) >= 1);
        assert_ne!(std::fs::read(&f).unwrap(), bad, "replaced");
    }
}

#[test]
fn a_lock_held_elsewhere_bounds_the_wait_by_the_deadline() {
    let e = env(SandboxConfig::default());
    e.fee(&e.client(), "l-1");
    e.sb.expire_access_tokens();
    // Another process holds the credential's lock (its own descriptor on the lock file).
    let other = FileStore::open(&e.dir).unwrap();
    let key = e
        .record_file()
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let held = other
        .lock(&key, Duration::from_millis(100), Duration::from_secs(10))
        .unwrap()
        .unwrap();
    let mut cfg = e.config();
    cfg.call_deadline = Duration::from_millis(400);
    let c = Client::new(cfg, PrivateKey::from_pem(&e.key_pem).unwrap()).unwrap();
    let t = Instant::now();
    let err = c
        .fee_process("123456", "l-2", None, None)
        .expect_err_recorded();
    assert!(
        t.elapsed() < Duration::from_millis(400 + 400),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("lock"), "{err}");
    drop(held);
    c.fee_process("123456", "l-3", None, None).unwrap();
    assert_eq!(e.sb.stats().refresh_ok, 1);
}

#[test]
fn an_unsafe_store_directory_is_a_configuration_error() {
    let e = env(SandboxConfig::default());
    std::fs::create_dir_all(&e.dir).unwrap();
    std::fs::set_permissions(&e.dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let err =
        Client::new(e.config(), PrivateKey::from_pem(&e.key_pem).unwrap()).expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    let json = serde_json::json!({
        "base_url": e.sb.base_url(), "admin_id": ADMIN, "device_ip": "127.0.0.1",
        "key_id": KEY_ID, "private_key_pem": e.key_pem,
        "token_store": {"type": "file", "path": "relative/dir"},
    });
    let err = b2c_core::config::client_config_from_json(&json.to_string()).expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::Config);
    for bad in [
        serde_json::json!({"type": "redis"}),
        serde_json::json!({"type": "file"}),
        serde_json::json!({"type": "memory", "path": "/tmp"}),
        serde_json::json!({"type": "file", "path": "/tmp/x", "mode": 1}),
        serde_json::json!("file"),
    ] {
        let mut j = json.clone();
        j["token_store"] = bad.clone();
        let err = b2c_core::config::client_config_from_json(&j.to_string()).expect_err_recorded();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
        assert!(err.message().contains("token_store"), "{err}");
    }
}

fn b2b_handle(sb: &Sandbox, dir: &std::path::Path) -> B2binpayClient {
    let mut cfg = B2binpayConfig::new(
        &sb.b2binpay().base_url(&sb.base_url()),
        "sandbox-login",
        "sandbox-password",
    );
    cfg.refresh_margin = Duration::from_secs(1);
    cfg.token_store = StoreSpec::File(dir.to_path_buf());
    B2binpayClient::new(cfg, HttpClient::new(HttpConfig::default()).unwrap()).unwrap()
}

#[test]
fn b2binpay_refresh_tokens_stay_single_use_across_handles() {
    let e = env(SandboxConfig::default());
    // Access tokens due at once, refresh tokens valid for an hour: every access_token call
    // renews, alternating between two handles standing for two processes.
    e.sb.b2binpay()
        .set_ttls(Duration::ZERO, Duration::from_secs(3600));
    let a = b2b_handle(&e.sb, &e.dir);
    let b = b2b_handle(&e.sb, &e.dir);
    for i in 0..10 {
        let h = if i % 2 == 0 { &a } else { &b };
        h.access_token().unwrap();
    }
    let s = e.sb.b2binpay().stats();
    assert_eq!(s.refresh_replayed, 0, "no refresh token sent twice: {s:?}");
    assert_eq!(s.refresh_rejected, 0, "{s:?}");
    assert_eq!(s.token_ok, 1, "one login for both handles: {s:?}");
    assert_eq!(s.refresh_ok, 9, "{s:?}");
    assert_eq!(a.suspicious_events() + b.suspicious_events(), 0);
}

#[test]
fn shared_handles_are_one_client_per_configuration() {
    let e = env(SandboxConfig::default());
    let json = serde_json::json!({
        "base_url": e.sb.base_url(), "admin_id": ADMIN, "device_ip": "127.0.0.1",
        "key_id": KEY_ID, "private_key_pem": e.key_pem,
    });
    let reordered = serde_json::json!({
        "private_key_pem": e.key_pem, "key_id": KEY_ID, "device_ip": "127.0.0.1",
        "admin_id": ADMIN, "base_url": e.sb.base_url(),
    });
    let a = b2c_core::shared::client(&json.to_string()).unwrap();
    let b = b2c_core::shared::client(&reordered.to_string()).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    a.fee_process("123456", "sh-1", None, None).unwrap();
    drop((a, b));
    // Kept while nobody holds it: the next "request" reuses its tokens and connection.
    let c = b2c_core::shared::client(&json.to_string()).unwrap();
    c.fee_process("123456", "sh-2", None, None).unwrap();
    assert_eq!(e.sb.stats().auth_ok, 1);
    assert_eq!(e.sb.connections_accepted(), 1);
    let mut other = json.clone();
    other["call_deadline_ms"] = 1234.into();
    let d = b2c_core::shared::client(&other.to_string()).unwrap();
    assert!(
        !Arc::ptr_eq(&c, &d),
        "another configuration, another client"
    );
    assert!(b2c_core::shared::client("{not json").is_err());
    drop((c, d));
    assert!(b2c_core::shared::clear_idle() >= 2);
}
