//! The generic calls of every handle against the sandbox: the CRM Open API handle (the JSON
//! normal form against node's own JSON.stringify(JSON.parse()), raw mode, rejections),
//! RetailCRM registration for many accounts.

use crate::scan::Recorded as _;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2c_core::crm_openapi::{Crm, CrmCallOptions, CrmConfig};
use b2c_core::http::{HttpClient, HttpConfig, Url};
use b2c_core::json_normal::normalize;
use b2c_core::retailcrm::{self, IntegrationModule};
use b2c_core::ErrorKind;
use b2c_sandbox::crm::CrmEmulator;
use b2c_sandbox::retailcrm::RetailcrmEmulator;
use b2c_sandbox::{Emulator, Handler, HttpReply, HttpRequest, Sandbox, SandboxConfig, Server};
use parking_lot::Mutex;
use serde_json::{json, Value};

const CRM_KEY: &str = "crm-api-key-789";
const RCRM_KEY: &str = "retail-api-key-abc";
const MODULE_SECRET: &str = "module-secret-def";

struct Env {
    sb: Sandbox,
    crm: Arc<CrmEmulator>,
    rcrm: Arc<RetailcrmEmulator>,
}

fn env() -> Env {
    let crm = Arc::new(CrmEmulator::new(&[CRM_KEY]));
    let rcrm = Arc::new(RetailcrmEmulator::new(&[RCRM_KEY]));
    let extra: Vec<Arc<dyn Emulator>> = vec![crm.clone(), rcrm.clone()];
    let sb = Sandbox::start_with(SandboxConfig::default(), extra).unwrap();
    Env { sb, crm, rcrm }
}

fn crm_handle(e: &Env, key: &str, raw_body: bool) -> Crm {
    Crm::new(
        CrmConfig {
            base_url: Url::parse(&e.crm.base_url(&e.sb.base_url())).unwrap(),
            api_key: zeroize::Zeroizing::new(key.to_string()),
            deadline: Duration::from_secs(5),
            raw_body,
            retry: Default::default(),
        },
        HttpClient::new(HttpConfig::default()).unwrap(),
    )
    .unwrap()
}

/// A server that keeps every request it gets (headers and body) and answers `{"ok":1}`.
fn capturing_server() -> (Server, Arc<Mutex<Vec<HttpRequest>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    let handler: Handler = Arc::new(move |req: &HttpRequest| {
        keep.lock().push(req.clone());
        HttpReply::json(200, &json!({"ok": 1}))
    });
    (Server::start(0, handler).unwrap(), seen)
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `sha256=<hex HMAC-SHA256(key, body)>` by the hmac crate, not the library's code.
fn expected_signature(key: &str, body: &[u8]) -> String {
    use hmac::{Mac, SimpleHmac};
    let mut mac = SimpleHmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

#[test]
fn crm_calls_send_the_normal_form_and_sign_what_they_send() {
    let (server, seen) = capturing_server();
    let crm = Crm::new(
        CrmConfig {
            base_url: Url::parse(&format!("{}/crm/", server.base_url())).unwrap(),
            api_key: zeroize::Zeroizing::new(CRM_KEY.to_string()),
            deadline: Duration::from_secs(5),
            raw_body: false,
            retry: Default::default(),
        },
        HttpClient::new(HttpConfig::default()).unwrap(),
    )
    .unwrap();
    let body = r#"{ "name" : "J\u00fcrgen", "amount": 1.50, "2": "second", "1": "first" }"#;
    let r = crm
        .call(
            "POST",
            "/api/clients",
            body.as_bytes(),
            CrmCallOptions::default(),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    // Raw mode: the bytes untouched, signed as they are.
    crm.call(
        "PUT",
        "/api/clients/7",
        body.as_bytes(),
        CrmCallOptions {
            raw_body: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    crm.call("get", "/api/clients?page=2", b"", Default::default())
        .unwrap();
    let seen = seen.lock().clone();
    assert_eq!(seen.len(), 3);
    let node = node_normal_forms(&[body.to_string()]);
    let normal = node[0].clone().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&seen[0].body),
        normal,
        "what node's JSON.stringify gives"
    );
    assert_eq!(
        header(&seen[0], "signature"),
        Some(expected_signature(CRM_KEY, normal.as_bytes()).as_str())
    );
    assert_eq!(header(&seen[0], "key"), Some(CRM_KEY));
    assert_eq!(header(&seen[0], "content-type"), Some("application/json"));
    assert_eq!(
        seen[1].body,
        body.as_bytes(),
        "raw mode sends the bytes as given"
    );
    assert_eq!(
        header(&seen[1], "signature"),
        Some(expected_signature(CRM_KEY, body.as_bytes()).as_str())
    );
    assert_eq!(seen[2].method, "GET");
    assert_eq!(seen[2].query, "page=2");
    assert!(
        header(&seen[2], "signature").is_none(),
        "a GET is not signed"
    );
    assert_eq!(header(&seen[2], "key"), Some(CRM_KEY));
}

#[test]
fn the_crm_emulator_accepts_both_modes() {
    let e = env();
    let crm = crm_handle(&e, CRM_KEY, false);
    let body = br#"{ "name" : "J\u00fcrgen", "amount": 1.50 }"#;
    assert_eq!(
        crm.call("POST", "/api/clients", body, Default::default())
            .unwrap()
            .status,
        200
    );
    let raw = crm_handle(&e, CRM_KEY, true);
    assert_eq!(
        raw.call("PATCH", "/api/x", b"not json at all", Default::default())
            .unwrap()
            .status,
        200
    );
    assert_eq!(e.crm.stats().invalid_signature, 0);
    assert_eq!(e.crm.stats().ok, 2);
}

#[test]
fn crm_calls_refuse_what_the_normal_form_would_change() {
    let e = env();
    let crm = crm_handle(&e, CRM_KEY, false);
    let before = e.crm.stats().requests;
    for body in [
        &br#"{"amount": 12345678901234567890}"#[..],
        br#"{"a": 1, "a": 2}"#,
        br#"{"x": 0.1000000000000000055511151231257827}"#,
        b"not json",
    ] {
        let err = crm
            .call("POST", "/api/x", body, Default::default())
            .expect_err_recorded();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.message().contains("raw mode"), "{err}");
    }
    let err = crm
        .call("GET", "/api/x", b"{}", Default::default())
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    for bad in ["FOO", "POST "] {
        let err = crm
            .call(bad, "/api/x", b"{}", Default::default())
            .expect_err_recorded();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
    for path in ["api/x", "//evil.example/x", "/a b", "/x/../y"] {
        let err = crm
            .call("GET", path, b"", Default::default())
            .expect_err_recorded();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{path}");
    }
    assert_eq!(
        e.crm.stats().requests,
        before,
        "nothing refused reached the wire"
    );
}

#[test]
fn crm_rejections_map_to_their_statuses() {
    let e = env();
    let bad_key = crm_handle(&e, "not-a-registered-key", false);
    let err = bad_key
        .call("GET", "/api/x", b"", Default::default())
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::AuthRejected, "{err}");
    assert_eq!(err.http_status(), Some(403));
    assert!(!format!("{err} {err:?}").contains("not-a-registered-key"));
    // A server refusing the signature: SIGNATURE_INVALID, with its HTTP status.
    let handler: Handler = Arc::new(|_req: &HttpRequest| {
        HttpReply::json(
            403,
            &json!({"success": false, "error": "invalid_signature"}),
        )
    });
    let server = Server::start(0, handler).unwrap();
    let crm = Crm::new(
        CrmConfig {
            base_url: Url::parse(&server.base_url()).unwrap(),
            api_key: zeroize::Zeroizing::new(CRM_KEY.to_string()),
            deadline: Duration::from_secs(5),
            raw_body: false,
            retry: Default::default(),
        },
        HttpClient::new(HttpConfig::default()).unwrap(),
    )
    .unwrap();
    let err = crm
        .call("POST", "/x", b"{}", Default::default())
        .expect_err_recorded();
    assert_eq!(err.kind(), ErrorKind::SignatureInvalid, "{err}");
    assert_eq!(err.http_status(), Some(403));
    // Other answers are results, whatever their status.
    let ok = crm_handle(&e, CRM_KEY, false);
    let r = ok.call("GET", "/api/x", b"", Default::default()).unwrap();
    assert_eq!(r.status, 200);
    let stats = ok.telemetry().stats.to_json();
    assert_eq!(stats["requests"], 1);
    assert_eq!(stats["latency"]["call"]["count"], 1);
}

/// node's `JSON.stringify(JSON.parse(x))` for each input (None where it throws).
fn node_normal_forms(inputs: &[String]) -> Vec<Option<String>> {
    let script = r#"
const inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = inputs.map(s => { try { return JSON.stringify(JSON.parse(s)); } catch (e) { return null; } });
process.stdout.write(JSON.stringify(out));
"#;
    let mut child = Command::new("node")
        .arg("-e")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect(
            "node is needed for this test (Debian: nodejs; scripts/install-deps.sh installs it)",
        );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(inputs).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A random JSON text with the features the normal form must get right.
fn random_json(rng: &mut fastrand::Rng, depth: u32) -> String {
    let ws = |rng: &mut fastrand::Rng| [" ", "", "\n", "\t", "  "][rng.usize(..5)].to_string();
    let string = |rng: &mut fastrand::Rng| {
        let parts = [
            "a",
            "\\u00e9",
            "\\/",
            "\\\"",
            "\\\\",
            "\\n",
            "\\u001f",
            "\\u007f",
            "\u{e9}",
            "\\ud83d\\ude00",
            "\\ud800",
            "\u{2028}",
            "\\b",
            "\\u0000",
            "x y",
        ];
        let n = rng.usize(0..4);
        let s: String = (0..n).map(|_| parts[rng.usize(..parts.len())]).collect();
        format!("\"{s}\"")
    };
    match if depth > 3 {
        rng.usize(0..4)
    } else {
        rng.usize(0..7)
    } {
        0 => string(rng),
        1 => {
            let nums = [
                "0",
                "-0",
                "1",
                "1.0",
                "1.50",
                "-12.25",
                "1e2",
                "1E+2",
                "2.5e-3",
                "1e21",
                "123e18",
                "0.000001",
                "1e-7",
                "9007199254740992",
                "3.14159",
                "100",
                "0.1",
                "5e-324",
                "1.7976931348623157e308",
            ];
            nums[rng.usize(..nums.len())].to_string()
        }
        2 => ["true", "false", "null"][rng.usize(..3)].to_string(),
        3 => format!("{}{}{}", ws(rng), string(rng), ws(rng)),
        4 | 5 => {
            let n = rng.usize(0..5);
            let keys = ["a", "b", "0", "1", "10", "2", "01", "4294967295", "k"];
            let mut used = Vec::new();
            let members: Vec<String> = (0..n)
                .filter_map(|_| {
                    let k = keys[rng.usize(..keys.len())];
                    if used.contains(&k) {
                        return None;
                    }
                    used.push(k);
                    Some(format!(
                        "{}\"{k}\"{}:{}{}",
                        ws(rng),
                        ws(rng),
                        ws(rng),
                        random_json(rng, depth + 1)
                    ))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        _ => {
            let n = rng.usize(0..4);
            let items: Vec<String> = (0..n).map(|_| random_json(rng, depth + 1)).collect();
            format!("[{}{}]", items.join(", "), ws(rng))
        }
    }
}

#[test]
fn the_normal_form_is_what_node_computes() {
    let mut rng = fastrand::Rng::with_seed(20261201);
    let inputs: Vec<String> = (0..3000).map(|_| random_json(&mut rng, 0)).collect();
    let expected = node_normal_forms(&inputs);
    let mut compared = 0;
    for (input, want) in inputs.iter().zip(&expected) {
        let ours = normalize(input.as_bytes());
        match (want, ours) {
            (Some(w), Ok(o)) => {
                assert_eq!(String::from_utf8(o).unwrap(), *w, "input {input:?}");
                compared += 1;
            }
            (None, Err(_)) => {}
            (Some(w), Err(e)) => panic!("node normalises {input:?} to {w:?}; we refused: {e}"),
            (None, Ok(o)) => panic!(
                "node refuses {input:?}; we gave {:?}",
                String::from_utf8_lossy(&o)
            ),
        }
    }
    assert!(compared > 2500, "{compared} compared");
    // Where we refuse to normalise, node's result would indeed change the value.
    for bad in ["12345678901234567890", "9007199254740993", "1e400"] {
        let node = node_normal_forms(&[bad.to_string()]);
        assert_ne!(node[0].as_deref(), Some(bad));
        assert!(normalize(bad.as_bytes()).is_err());
    }
}

fn module() -> IntegrationModule {
    IntegrationModule {
        code: "b2c-fees".into(),
        integration_code: "b2c".into(),
        active: true,
        name: "B2C fees".into(),
        logo: None,
        client_id: "template".into(),
        base_url: "https://module.example".into(),
        account_url: "https://module.example/account/template".into(),
        actions: Value::Null,
        extra: Default::default(),
    }
}

fn register_form(system_url: &str, api_key: &str, token: &str) -> Vec<u8> {
    retailcrm::encode_form(&[
        ("register[systemUrl]", system_url),
        ("register[apiKey]", api_key),
        ("register[token]", token),
    ])
    .into_bytes()
}

#[test]
fn one_module_registers_many_accounts_and_learns_their_keys() {
    let e = env();
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let system = e.rcrm.system_url(&e.sb.base_url());
    let token = retailcrm::register_token(MODULE_SECRET, RCRM_KEY).unwrap();
    for acct in ["acct-1", "acct-2"] {
        let m = retailcrm::module_for_account(
            &module(),
            json!({"clientId": acct, "accountUrl": format!("https://module.example/{acct}")})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = retailcrm::register_account(
            &http,
            MODULE_SECRET,
            &register_form(&system, RCRM_KEY, &token),
            &m,
            deadline,
        );
        assert!(r.registered, "{r:?}");
        assert_eq!(r.system_url.as_deref(), Some(system.as_str()));
        assert_eq!(r.api_key.as_deref().map(|s| s.as_str()), Some(RCRM_KEY));
        let answer: Value = serde_json::from_str(&r.answer).unwrap();
        assert_eq!(
            answer,
            json!({"success": true, "accountUrl": format!("https://module.example/{acct}")})
        );
        assert_eq!(e.rcrm.module("b2c-fees").unwrap().client_id, acct);
        assert!(!format!("{r:?}").contains(RCRM_KEY), "no key in Debug");
    }
    // A wrong token: not registered, no key handed out, no call made.
    let calls = e.rcrm.calls().len();
    let r = retailcrm::register_account(
        &http,
        MODULE_SECRET,
        &register_form(&system, RCRM_KEY, "0".repeat(64).as_str()),
        &module(),
        Instant::now() + Duration::from_secs(5),
    );
    assert!(!r.registered && r.api_key.is_none());
    assert!(r.error.unwrap().contains("token"));
    assert_eq!(e.rcrm.calls().len(), calls);
    // Account fields that do not fit an integrationModule are refused.
    assert!(retailcrm::module_for_account(
        &module(),
        json!({"active": "yes"}).as_object().unwrap()
    )
    .is_err());
}
