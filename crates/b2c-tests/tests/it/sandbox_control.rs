//! The sandbox's `/_sandbox/` control surface, as other processes' tests use it, and the
//! B2BINPAY, CRM Open API and RetailCRM emulators over real sockets (raw `TcpStream`, not
//! the b2c client), checked against the vendor pages' literals and against fixed vectors
//! (HMACs computed with Node.js, PHP and Python; the B2BINPAY `meta.sign` recomputed with
//! jsonwebtoken's HMAC): profiles, leniencies, switches, generic endpoints.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2c_sandbox::{Faults, Handler, HttpReply, HttpRequest, Sandbox, SandboxConfig, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::sandbox_b2copy::{
    addr, auth_with, good_jwt, login, process, request, sandbox_with, tokens, Resp,
};

/// The B2BINPAY page's literals (seed 003).
const JSON_API: &str = "application/vnd.api+json";
const B2B_TOKEN: &str = "/b2binpay/token/";
const B2B_REFRESH: &str = "/b2binpay/token/refresh/";
/// SHA-256("sandbox-login" ‖ "sandbox-password"), the default credential's `meta.sign`
/// key: `python3 -c 'import hashlib; print(hashlib.sha256(b"sandbox-loginsandbox-password").hexdigest())'`.
const SIGN_KEY_HEX: &str = "64cb07237c1cd8c89cae74483eed09e0bc7fe5989ff8a4d2c713d624dc2d9b82";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// HMAC-SHA256 through jsonwebtoken's HS256 (an implementation the sandbox does not use).
fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    let sig = jsonwebtoken::crypto::sign(
        msg,
        &jsonwebtoken::EncodingKey::from_secret(key),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    hex(&URL_SAFE_NO_PAD.decode(sig).unwrap())
}

fn get(a: SocketAddr, path: &str) -> Resp {
    request(a, "GET", path, &[], b"").unwrap()
}

fn ctl(a: SocketAddr, action: &str, body: &str) -> Resp {
    request(
        a,
        "POST",
        &format!("/_sandbox/{action}"),
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap()
}

fn stats(a: SocketAddr) -> Value {
    let r = get(a, "/_sandbox/stats");
    assert_eq!(r.status, 200);
    r.json()
}

fn b2b_post(a: SocketAddr, path: &str, body: &Value) -> Resp {
    request(
        a,
        "POST",
        path,
        &[("Content-Type", JSON_API)],
        &serde_json::to_vec(body).unwrap(),
    )
    .unwrap()
}

fn b2b_login(a: SocketAddr) -> Value {
    let r = b2b_post(
        a,
        B2B_TOKEN,
        &json!({"data": {"type": "auth-token", "attributes": {"login": "sandbox-login", "password": "sandbox-password"}}}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some(JSON_API));
    r.json()
}

fn b2b_refresh(a: SocketAddr, refresh: &str) -> Resp {
    b2b_post(
        a,
        B2B_REFRESH,
        &json!({"data": {"type": "auth-token", "attributes": {"refresh": refresh}}}),
    )
}

/// `meta.sign` recomputed independently.
fn expected_sign(v: &Value) -> String {
    let time = v["meta"]["time"].as_str().unwrap();
    let refresh = v["data"]["attributes"]["refresh"].as_str().unwrap();
    hmac_hex(&unhex(SIGN_KEY_HEX), format!("{time}{refresh}").as_bytes())
}

fn lenient() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).unwrap()
}

fn strict() -> Sandbox {
    Sandbox::start(SandboxConfig {
        strict: true,
        ..SandboxConfig::default()
    })
    .unwrap()
}

// ---------------------------------------------------------------- control surface

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
    let a = addr(&sb);

    // Tampered meta.sign, then a correct one.
    assert_eq!(
        ctl(a, "b2binpay/tamper-signs", r#"{"count":1}"#).status,
        200
    );
    let v = b2b_login(a);
    assert_ne!(v["meta"]["sign"].as_str().unwrap(), expected_sign(&v));
    let v = b2b_login(a);
    assert_eq!(v["meta"]["sign"].as_str().unwrap(), expected_sign(&v));
    let refresh = v["data"]["attributes"]["refresh"]
        .as_str()
        .unwrap()
        .to_string();

    // Consumed refresh tokens: the client's next refresh is a replay.
    let r = ctl(a, "b2binpay/consume-refresh", "");
    assert_eq!((r.status, &r.json()["consumed"]), (200, &json!(2)));
    let r = b2b_refresh(a, &refresh);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errors"][0]["code"], 2007);

    let s = stats(a);
    assert_eq!(s["b2binpay"]["refresh_replayed"], 1);
    assert_eq!(s["b2binpay"]["token_ok"], 2);
    assert_eq!(s["b2binpay"]["other_calls"], 0);
    assert_eq!(s["retailcrm"]["edit_calls"], 0);
    assert_eq!(s["b2copy"]["auth_ok"], 0);
    assert_eq!(s["b2copy"]["other_calls"], 0);
    assert_eq!(s["profile"], "lenient");
    assert_eq!(s["leniencies"], json!({}));

    assert_eq!(
        ctl(a, "b2binpay/ttls", r#"{"access_s":1,"refresh_s":60}"#).status,
        200
    );
    assert_eq!(ctl(a, "b2binpay/ttls", r#"{"access_s":1}"#).status, 400);
    assert_eq!(ctl(a, "nope", "").status, 404);
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
    let a = addr(&sb);
    let s = stats(a);
    assert_eq!(s["b2copy"]["process_calls"], 0);
    assert_eq!(ctl(a, "b2copy/expire-access", "").status, 200);
    assert_eq!(ctl(a, "switches", "{}").status, 200);
    sb.shutdown();
}

#[test]
fn stats_carry_the_profile_and_the_leniencies() {
    let sb = lenient();
    let a = addr(&sb);
    // Two leniencies: a normalized CRM signature (twice) and an undocumented B2COPY path.
    for _ in 0..2 {
        assert_eq!(crm_post(a, CRM_BODY, CRM_SIG_NORMALIZED).status, 200);
    }
    assert_eq!(get(a, "/api/anything").status, 401);
    let s = stats(a);
    assert_eq!(s["profile"], "lenient");
    assert_eq!(
        s["leniencies"],
        json!({"crm_signature_normalized": 2, "undocumented_endpoint": 1})
    );
    assert_eq!(s["b2copy"]["other_calls"], 1);
    assert_eq!(
        sb.leniencies().counts().get("crm_signature_normalized"),
        Some(&2)
    );

    let sb = strict();
    let a = addr(&sb);
    assert_eq!(crm_post(a, CRM_BODY, CRM_SIG_NORMALIZED).status, 403);
    assert_eq!(get(a, "/api/anything").status, 404);
    let s = stats(a);
    assert_eq!(s["profile"], "strict");
    assert_eq!(s["leniencies"], json!({}));
    assert_eq!(s["b2copy"]["other_calls"], 0);
}

#[test]
fn switches_change_answer_shapes_at_run_time() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 0,
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let r = get(a, "/_sandbox/switches");
    assert_eq!(
        r.json(),
        json!({"ok": true, "fee_status_names": false, "b2binpay_refresh_wrapped": false, "token_shape": "plain"})
    );
    let (at, _) = login(a);
    assert_eq!(process(a, &at, "1", "s1").json()["status"], 2);
    let r = ctl(
        a,
        "switches",
        r#"{"fee_status_names": true, "token_shape": "object", "b2binpay_refresh_wrapped": true}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"ok": true, "fee_status_names": true, "b2binpay_refresh_wrapped": true, "token_shape": "object"})
    );
    assert_eq!(
        process(a, &at, "1", "s1").json()["status"],
        "FEE_PROCESS_STATUS_SUCCESS"
    );
    let v = auth_with(a, &good_jwt()).json();
    assert!(v["accessToken"]["token"].is_string(), "{v}");
    let (at2, _) = tokens(&auth_with(a, &good_jwt()));
    assert_eq!(process(a, &at2, "1", "s2").status, 200);
    let v = b2b_login(a);
    let r = b2b_refresh(a, v["data"]["attributes"]["refresh"].as_str().unwrap());
    assert_eq!(r.json()["data"]["type"], "auth-token");
    for bad in [
        r#"{"fee_status_names": "yes"}"#,
        r#"{"token_shape": "jwt"}"#,
        r#"{"other": true}"#,
        "[]",
    ] {
        assert_eq!(ctl(a, "switches", bad).status, 400, "{bad}");
    }
    assert!(sb.leniencies().counts().is_empty());
}

// ---------------------------------------------------------------- B2BINPAY

#[test]
fn b2binpay_refresh_shape_bare_by_default_wrapped_by_switch() {
    let is_micros = |s: &str| s.len() == 27 && s.ends_with('Z') && s.as_bytes()[19] == b'.';
    for wrapped in [false, true] {
        let mut cfg = SandboxConfig::default();
        cfg.vendors.b2binpay_refresh_wrapped = wrapped;
        let sb = Sandbox::start(cfg).unwrap();
        let a = addr(&sb);
        let v = b2b_login(a);
        // /token/ is always wrapped, with meta.
        assert_eq!(v["data"]["id"], "0");
        let attrs = &v["data"]["attributes"];
        assert!(is_micros(attrs["access_expired_at"].as_str().unwrap()));
        assert!(is_micros(attrs["refresh_expired_at"].as_str().unwrap()));
        assert!(is_micros(v["meta"]["time"].as_str().unwrap()));
        assert_eq!(attrs["is_2fa_confirmed"], false);
        let r = b2b_refresh(a, attrs["refresh"].as_str().unwrap());
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(JSON_API));
        let v = r.json();
        assert!(
            v.get("meta").is_none(),
            "refresh answers carry no meta: {v}"
        );
        let resource = if wrapped {
            assert!(v.get("type").is_none());
            &v["data"]
        } else {
            assert!(v.get("data").is_none());
            &v
        };
        assert_eq!(resource["type"], "auth-token");
        assert!(resource["attributes"]["access"].is_string());
        assert!(resource["attributes"]["refresh"].is_string());
    }
}

#[test]
fn b2binpay_generic_endpoints() {
    let sb = lenient();
    let a = addr(&sb);
    let access = b2b_login(a)["data"]["attributes"]["access"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {access}");
    let r = request(
        a,
        "GET",
        "/b2binpay/v1/pay/wallets/?page=1",
        &[("Authorization", &bearer)],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(JSON_API));
    assert_eq!(
        r.json(),
        json!({"method": "GET", "path": "/b2binpay/v1/pay/wallets/", "query": "page=1", "body": null})
    );
    let body = json!({"data": {"type": "deposit", "attributes": {"label": "x"}}});
    let r = request(
        a,
        "POST",
        "/b2binpay/v1/pay/deposits/",
        &[("Authorization", &bearer), ("Content-Type", JSON_API)],
        &serde_json::to_vec(&body).unwrap(),
    )
    .unwrap();
    assert_eq!(r.json()["body"], body);
    // A JSON body under another content type is refused (JSON:API).
    let r = request(
        a,
        "POST",
        "/b2binpay/v1/pay/deposits/",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    )
    .unwrap();
    assert_eq!(r.status, 415);
    // 401 without a token, with a bad one, with an expired one.
    let r = get(a, "/b2binpay/v1/pay/wallets/");
    assert_eq!(
        (r.status, &r.json()["errors"][0]["code"]),
        (401, &json!("not_authenticated"))
    );
    let r = request(
        a,
        "GET",
        "/b2binpay/v1/pay/wallets/",
        &[("Authorization", "Bearer nope")],
        b"",
    )
    .unwrap();
    assert_eq!(
        (r.status, &r.json()["errors"][0]["code"]),
        (401, &json!("token_not_valid"))
    );
    assert_eq!(
        ctl(a, "b2binpay/ttls", r#"{"access_s":0,"refresh_s":60}"#).status,
        200
    );
    let short = b2b_login(a)["data"]["attributes"]["access"]
        .as_str()
        .unwrap()
        .to_string();
    let r = request(
        a,
        "GET",
        "/b2binpay/v1/pay/wallets/",
        &[("Authorization", &format!("Bearer {short}"))],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(stats(a)["b2binpay"]["other_calls"], 6);
    assert_eq!(sb.leniencies().count("undocumented_endpoint"), 6);
    // Strict: 404 whatever the token.
    let sb = strict();
    let a = addr(&sb);
    let access = b2b_login(a)["data"]["attributes"]["access"]
        .as_str()
        .unwrap()
        .to_string();
    let r = request(
        a,
        "GET",
        "/b2binpay/v1/pay/wallets/",
        &[("Authorization", &format!("Bearer {access}"))],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(stats(a)["b2binpay"]["other_calls"], 0);
}

#[test]
fn b2binpay_missing_fields_are_named() {
    for sb in [lenient(), strict()] {
        let a = addr(&sb);
        let r = b2b_post(
            a,
            B2B_TOKEN,
            &json!({"data": {"type": "auth-token", "attributes": {"login": "sandbox-login"}}}),
        );
        assert_eq!(r.status, 400);
        let e = &r.json()["errors"][0];
        assert_eq!(e["source"]["pointer"], "/data/attributes/password");
        assert!(e["detail"].as_str().unwrap().contains("password"), "{e}");
        let r = b2b_post(a, B2B_REFRESH, &json!({"data": {"type": "auth-token"}}));
        assert_eq!(
            r.json()["errors"][0]["source"]["pointer"],
            "/data/attributes"
        );
        let r = request(a, "POST", B2B_TOKEN, &[("Content-Type", JSON_API)], b"{").unwrap();
        assert_eq!(r.json()["errors"][0]["code"], "parse_error");
        // Wrong credentials stay 2006.
        let r = b2b_post(
            a,
            B2B_TOKEN,
            &json!({"data": {"type": "auth-token", "attributes": {"login": "sandbox-login", "password": "x"}}}),
        );
        assert_eq!(
            (r.status, &r.json()["errors"][0]["code"]),
            (400, &json!(2006))
        );
    }
}

// ---------------------------------------------------------------- CRM Open API

/// Fixed vectors, key `sandbox-api-key` (the default CRM key). Node.js:
/// `crypto.createHmac('sha256', key).update(body).digest('hex')` over the raw body and over
/// `JSON.stringify(JSON.parse(body))`.
const CRM_BODY: &str = r#"{"name": "J\u00fcrgen", "amount":1.50}"#;
const CRM_SIG_RAW: &str = "sha256=7a06ab4cb65af5851ede180edfdce5aca8c57879f3babbf5c7248e6ebcba9709";
const CRM_SIG_NORMALIZED: &str =
    "sha256=b451d2011b8348bc27304474d0985cc87a1328c10e864b2e6f841e2faa2f541e";
/// Integer-like keys first, a duplicate key, numbers and escapes JSON.stringify rewrites.
const CRM_BODY_2: &str =
    r#"{"b":1,"2":2,"1":3,"01":4,"a":1e2,"c":100.0,"d":"\u2028/\ud800\n\u0001\"","b":5}"#;
const CRM_SIG_2_RAW: &str =
    "sha256=96f0d63b309e6c6375c9bb72d209d9b503c6807d58213cdb0f011b5c769a54ff";
const CRM_SIG_2_NORMALIZED: &str =
    "sha256=121e7be2835835a946756c59877371eacb87a1a077a088a409e1e8415b539d9d";

fn crm_post(a: SocketAddr, body: &str, signature: &str) -> Resp {
    request(
        a,
        "POST",
        "/crm/api/clients",
        &[
            ("key", "sandbox-api-key"),
            ("signature", signature),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .unwrap()
}

#[test]
fn crm_fixed_vectors_match_an_independent_hmac() {
    assert_eq!(
        format!(
            "sha256={}",
            hmac_hex(b"sandbox-api-key", CRM_BODY.as_bytes())
        ),
        CRM_SIG_RAW
    );
    assert_eq!(
        format!(
            "sha256={}",
            hmac_hex(
                b"sandbox-api-key",
                "{\"name\":\"J\u{fc}rgen\",\"amount\":1.5}".as_bytes()
            )
        ),
        CRM_SIG_NORMALIZED
    );
}

#[test]
fn crm_signature_over_raw_bytes_and_normalized_json() {
    let sb = lenient();
    let a = addr(&sb);
    for (body, sig, signed) in [
        (CRM_BODY, CRM_SIG_RAW, "raw"),
        (CRM_BODY, CRM_SIG_NORMALIZED, "normalized"),
        (CRM_BODY_2, CRM_SIG_2_RAW, "raw"),
        (CRM_BODY_2, CRM_SIG_2_NORMALIZED, "normalized"),
    ] {
        let r = crm_post(a, body, sig);
        assert_eq!(r.status, 200, "{body} {sig}");
        assert_eq!(r.json()["signed"], signed);
    }
    assert_eq!(sb.leniencies().count("crm_signature_normalized"), 2);
    // A signature over other bytes, and one without the sha256= prefix, are refused.
    let r = crm_post(a, CRM_BODY, CRM_SIG_2_RAW);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "invalid_signature");
    let r = crm_post(a, CRM_BODY, &CRM_SIG_RAW["sha256=".len()..]);
    assert_eq!(r.status, 403);
    // The key is checked first; GET needs no signature.
    let r = request(a, "GET", "/crm/api/clients", &[("key", "nope")], b"").unwrap();
    assert_eq!(
        (r.status, &r.json()["error"]),
        (403, &json!("invalid_api_key"))
    );
    let r = request(
        a,
        "GET",
        "/crm/api/clients?page=2",
        &[("key", "sandbox-api-key")],
        b"",
    )
    .unwrap();
    assert_eq!(r.json()["query"], "page=2");

    let sb = strict();
    let a = addr(&sb);
    assert_eq!(crm_post(a, CRM_BODY, CRM_SIG_RAW).status, 200);
    assert_eq!(crm_post(a, CRM_BODY_2, CRM_SIG_2_RAW).status, 200);
    assert_eq!(crm_post(a, CRM_BODY, CRM_SIG_NORMALIZED).status, 403);
    assert_eq!(crm_post(a, CRM_BODY_2, CRM_SIG_2_NORMALIZED).status, 403);
    assert_eq!(stats(a)["crm"]["invalid_signature"], 2);
}

// ---------------------------------------------------------------- RetailCRM

/// WHATWG form encoding of one component, written here (not the sandbox's).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn module_json(code: &str) -> Value {
    json!({"code": code, "integrationCode": "b2c", "active": true, "name": "B2C",
        "clientId": "client-1", "baseUrl": "https://module.example",
        "accountUrl": "https://module.example/account", "actions": {"activity": "/a"}})
}

const EDIT: &str = "/retailcrm/api/v5/integration-modules/b2c-fees/edit";

fn edit(a: SocketAddr, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
    h.extend_from_slice(headers);
    request(a, "POST", path, &h, body.as_bytes()).unwrap()
}

fn module_form(m: &Value) -> String {
    format!("integrationModule={}", enc(&m.to_string()))
}

#[test]
fn retailcrm_api_key_header_or_parameter() {
    let form = module_form(&module_json("b2c-fees"));
    let key = [("X-API-KEY", "sandbox-api-key")];
    let sb = lenient();
    let a = addr(&sb);
    assert_eq!(edit(a, EDIT, &key, &form).status, 201);
    assert!(sb.leniencies().counts().is_empty());
    let by_query = format!("{EDIT}?apiKey=sandbox-api-key");
    assert_eq!(edit(a, &by_query, &[], &form).status, 200);
    let by_field = format!("apiKey=sandbox-api-key&{form}");
    assert_eq!(edit(a, EDIT, &[], &by_field).status, 200);
    assert_eq!(sb.leniencies().count("retailcrm_api_key_param"), 2);
    let r = edit(a, &format!("{EDIT}?apiKey=wrong"), &[], &form);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["success"], false);
    assert_eq!(
        sb.retailcrm().module("b2c-fees").unwrap(),
        module_json("b2c-fees")
    );

    let sb = strict();
    let a = addr(&sb);
    let r = edit(a, &by_query, &[], &form);
    assert_eq!(r.status, 403);
    assert!(r.json()["errorMsg"].as_str().unwrap().contains("X-API-KEY"));
    assert_eq!(edit(a, EDIT, &[], &by_field).status, 403);
    assert_eq!(edit(a, EDIT, &key, &form).status, 201);
    assert_eq!(stats(a)["retailcrm"]["edit_calls"], 3);
}

#[test]
fn retailcrm_missing_field_is_named() {
    for sb in [lenient(), strict()] {
        let a = addr(&sb);
        let mut m = module_json("b2c-fees");
        m.as_object_mut().unwrap().remove("clientId");
        let r = edit(
            a,
            EDIT,
            &[("X-API-KEY", "sandbox-api-key")],
            &module_form(&m),
        );
        assert_eq!(r.status, 400);
        let v = r.json();
        let msg = v["errorMsg"].as_str().unwrap();
        assert!(
            msg.contains("clientId") && !msg.contains("not valid JSON"),
            "{v}"
        );
        assert!(
            v["errors"]["integrationModule[clientId]"].is_string(),
            "{v}"
        );
        // Real malformed JSON is still called that.
        let r = edit(
            a,
            EDIT,
            &[("X-API-KEY", "sandbox-api-key")],
            "integrationModule=%7B",
        );
        assert!(r.json()["errorMsg"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"));
    }
}

#[test]
fn retailcrm_field_errors_by_control_surface_and_switch() {
    let form = module_form(&module_json("b2c-fees"));
    let key = [("X-API-KEY", "sandbox-api-key")];
    let sb = lenient();
    let a = addr(&sb);
    let r = ctl(
        a,
        "retailcrm/field-errors",
        r#"{"errors": {"integrationModule[clientId]": "Client id is taken", "integrationModule[baseUrl]": "Bad URL"}, "times": 2}"#,
    );
    assert_eq!(r.status, 200);
    for _ in 0..2 {
        let r = edit(a, EDIT, &key, &form);
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json(),
            json!({"success": false, "errorMsg": "Errors in the entity format",
                "errors": {"integrationModule[clientId]": "Client id is taken", "integrationModule[baseUrl]": "Bad URL"}})
        );
    }
    assert_eq!(edit(a, EDIT, &key, &form).status, 201);
    // Default errors, once; then times 0 clears.
    assert_eq!(ctl(a, "retailcrm/field-errors", "{}").status, 200);
    let r = edit(a, EDIT, &key, &form);
    assert!(r.json()["errors"]["integrationModule[clientId]"].is_string());
    assert_eq!(
        ctl(a, "retailcrm/field-errors", r#"{"times": 3}"#).status,
        200
    );
    assert_eq!(
        ctl(a, "retailcrm/field-errors", r#"{"times": 0}"#).status,
        200
    );
    assert_eq!(edit(a, EDIT, &key, &form).status, 200);
    for bad in [
        r#"{"errors": []}"#,
        r#"{"errors": {"a": 1}}"#,
        r#"{"times": -1}"#,
        "[",
    ] {
        assert_eq!(ctl(a, "retailcrm/field-errors", bad).status, 400, "{bad}");
    }

    // --retailcrm-field-errors: every edit.
    let mut cfg = SandboxConfig::default();
    cfg.vendors.retailcrm_field_errors = true;
    let sb = Sandbox::start(cfg).unwrap();
    let a = addr(&sb);
    for _ in 0..3 {
        let r = edit(a, EDIT, &key, &form);
        assert_eq!(r.status, 400);
        let v = r.json();
        assert_eq!(v["success"], false);
        assert!(v["errorMsg"].is_string());
        assert!(
            v["errors"]["integrationModule[clientId]"].is_string(),
            "{v}"
        );
    }
    assert!(sb.retailcrm().module("b2c-fees").is_none());
    assert_eq!(stats(a)["retailcrm"]["edit_ok"], 0);
}

#[test]
fn post_register_form_sends_the_documented_form() {
    /// (Content-Type, body) of each request the module received.
    type Seen = Arc<parking_lot::Mutex<Vec<(Option<String>, Vec<u8>)>>>;
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let handler: Handler = Arc::new(move |req: &HttpRequest| {
        s.lock().push((
            req.header("content-type").map(String::from),
            req.body.clone(),
        ));
        HttpReply::json(200, &json!({"success": true, "accountUrl": "https://m/a"}))
    });
    let module = Server::start(0, handler).unwrap();
    let url = format!("{}/register?x=1", module.base_url());
    let (status, v) = b2c_sandbox::retailcrm::post_register(
        &url,
        "http://127.0.0.1:1/retailcrm",
        "retail-api-key-abc",
        "module-secret-def",
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        (status, v),
        (200, json!({"success": true, "accountUrl": "https://m/a"}))
    );
    // The token: php -r 'echo hash_hmac("sha256", "retail-api-key-abc", "module-secret-def");'
    let (ct, body) = seen.lock()[0].clone();
    assert_eq!(ct.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "register%5BsystemUrl%5D=http%3A%2F%2F127.0.0.1%3A1%2Fretailcrm\
         &register%5BapiKey%5D=retail-api-key-abc\
         &register%5Btoken%5D=f6269eeb9d46f0b52449a3139e27481894ead8d2156f7349cb4a21c1a68566df"
    );
    // The old signature (an ignored transport first) still works; a token override is sent as is.
    let (status, _) = b2c_sandbox::retailcrm::post_register_form(
        &(),
        &url,
        "http://s",
        "k",
        "s",
        Some("forged"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&seen.lock()[1].1).ends_with("register%5Btoken%5D=forged"));
    // Only http; the deadline bounds a silent module.
    assert!(
        b2c_sandbox::retailcrm::post_register("https://x/", "s", "k", "s", None, None).is_err()
    );
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let t = Instant::now();
    let r = b2c_sandbox::retailcrm::post_register(
        &format!("http://{}/register", silent.local_addr().unwrap()),
        "http://s",
        "k",
        "s",
        None,
        Some(Instant::now() + Duration::from_millis(200)),
    );
    assert!(r.is_err());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let mut sink = Vec::new();
    let _ = silent.set_nonblocking(true);
    if let Ok((mut c, _)) = silent.accept() {
        let _ = c.set_read_timeout(Some(Duration::from_millis(50)));
        let _ = c.read_to_end(&mut sink);
    }
}
