//! The B2COPY emulator over real sockets (raw `TcpStream` and ureq, not the b2c client),
//! checked against the vendor page's literals (the `wire` module below, copied from the
//! page, not from the client library): the strict profile's strictness, the lenient
//! profile's leniencies, the switches and the generic authenticated endpoints.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use b2c_sandbox::{Fault, Faults, RegisteredKey, Sandbox, SandboxConfig, TokenShape};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{json, Value};

pub(crate) const KEY_ID: &str = "crm-key-1";
pub(crate) const ADMIN: u64 = 42;

/// The vendor page's literals (seed 001), written here by hand.
pub(crate) mod wire {
    pub const PATH_AUTH: &str = "/api/admin/auth/v2/admin/adminservice/authexternalcrm";
    pub const PATH_REFRESH: &str = "/api/admin/auth/v2/admin/adminservice/refreshtoken";
    pub const PATH_PROCESS: &str = "/api/admin/fees/v2/fee/feeservice/processext";
    pub const CONTENT_TYPE_JSON: &str = "application/json";
    pub const HEADER_AUTHORIZATION: &str = "Authorization";
    pub const BEARER_PREFIX: &str = "Bearer ";
    pub const STATUS_ERROR: i64 = 3;
}

pub(crate) fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

pub(crate) fn public_pem(sk: &SigningKey) -> String {
    p256::PublicKey::from(sk.verifying_key())
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub(crate) fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

pub(crate) fn claims() -> Value {
    let t = now();
    json!({"admin_id": ADMIN, "device_ip": "10.0.0.1", "key_id": KEY_ID, "iss": "crm", "iat": t, "exp": t + 300})
}

pub(crate) fn header() -> Value {
    json!({"alg": "ES256", "typ": "JWT"})
}

/// A JWS signed with `sk`, raw r||s.
pub(crate) fn jwt_with(sk: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header).unwrap()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let sig: Signature = sk.sign(input.as_bytes());
    format!("{input}.{}", b64(&sig.to_bytes()))
}

pub(crate) fn good_jwt() -> String {
    jwt_with(&signing_key(7), &header(), &claims())
}

pub(crate) fn sandbox_with(cfg: SandboxConfig) -> Sandbox {
    let sb = Sandbox::start(cfg).unwrap();
    sb.register_key(RegisteredKey {
        key_id: KEY_ID.into(),
        public_key_pem: public_pem(&signing_key(7)),
        admin_id: ADMIN,
        allowed_ips: vec!["10.0.0.1".into(), "10.0.0.2".into()],
    })
    .unwrap();
    sb
}

/// The default (lenient) profile.
pub(crate) fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::default())
}

/// The strict profile.
pub(crate) fn strict() -> Sandbox {
    sandbox_with(SandboxConfig {
        strict: true,
        ..SandboxConfig::default()
    })
}

#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub(crate) fn header(&self, n: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    }
    /// Assert a gRPC-gateway error with this status and code; returns the message.
    pub(crate) fn gw(&self, status: u16, code: i64) -> String {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let e = self.json();
        assert_eq!(e["code"], code, "{e}");
        assert_eq!(e["details"], json!([]), "{e}");
        assert_eq!(e.as_object().unwrap().len(), 3, "{e}");
        e["message"].as_str().unwrap().to_string()
    }
}

pub(crate) fn addr(sb: &Sandbox) -> SocketAddr {
    sb.local_addr()
}

pub(crate) fn connect(a: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(a).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s
}

/// Read one response from `s` (Content-Length framed).
pub(crate) fn read_resp(s: &mut TcpStream) -> std::io::Result<Resp> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "eof in head",
            ));
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let mut lines = head.trim_end().split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub(crate) fn raw(a: SocketAddr, bytes: &[u8]) -> std::io::Result<Resp> {
    let mut s = connect(a);
    s.write_all(bytes)?;
    read_resp(&mut s)
}

pub(crate) fn request(
    a: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(a, &bytes)
}

pub(crate) fn post_json(a: SocketAddr, path: &str, bearer: Option<&str>, body: &Value) -> Resp {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let mut h = vec![("Content-Type", "application/json")];
    if let Some(v) = &auth {
        h.push(("Authorization", v.as_str()));
    }
    request(a, "POST", path, &h, &serde_json::to_vec(body).unwrap()).unwrap()
}

pub(crate) fn auth_with(a: SocketAddr, token: &str) -> Resp {
    post_json(a, wire::PATH_AUTH, None, &json!({"external_token": token}))
}

pub(crate) fn tokens(r: &Resp) -> (String, String) {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let pair = r.json();
    let t = |f: &Value| match f {
        Value::String(s) => s.clone(),
        o => o["token"].as_str().unwrap().to_string(),
    };
    (t(&pair["accessToken"]), t(&pair["refreshToken"]))
}

pub(crate) fn login(a: SocketAddr) -> (String, String) {
    tokens(&auth_with(a, &good_jwt()))
}

pub(crate) fn process(a: SocketAddr, access: &str, login: &str, rid: &str) -> Resp {
    post_json(
        a,
        wire::PATH_PROCESS,
        Some(access),
        &json!({"account_login": login, "request_id": rid}),
    )
}

pub(crate) fn refresh(a: SocketAddr, rt: &str) -> Resp {
    request(
        a,
        "POST",
        wire::PATH_REFRESH,
        &[("Authorization", &format!("Bearer {rt}"))],
        b"",
    )
    .unwrap()
}

// ---------------------------------------------------------------- authentication

#[test]
fn valid_jwt_gives_plain_jwt_shaped_tokens() {
    let sb = sandbox();
    let r = auth_with(addr(&sb), &good_jwt());
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let v = r.json();
    let at = v["accessToken"].as_str().expect("plain string");
    assert!(v["refreshToken"].is_string());
    // Unsigned-but-well-formed JWT whose exp is readable.
    let parts: Vec<&str> = at.split('.').collect();
    assert_eq!(parts.len(), 3);
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let exp = payload["exp"].as_i64().unwrap();
    assert!((exp - (now() + 900)).abs() <= 2);
    assert_eq!(sb.stats().auth_ok, 1);
}

#[test]
fn object_token_shape_and_opaque_tokens() {
    let sb = sandbox_with(SandboxConfig {
        token_shape: TokenShape::Object,
        jwt_tokens: false,
        ..SandboxConfig::default()
    });
    let r = auth_with(addr(&sb), &good_jwt());
    let v = r.json();
    for f in ["accessToken", "refreshToken"] {
        let t = &v[f];
        assert!(t["token"].as_str().unwrap().starts_with("sbx_"));
        let exp = t["expiresAt"].as_str().unwrap();
        let created = t["createdAt"].as_str().unwrap();
        assert!(is_rfc3339_micros(exp) && is_rfc3339_micros(created), "{t}");
        // Same fixed-width format: text order is time order.
        assert!(exp > created);
    }
    // The object token works as a bearer.
    let (at, _) = tokens(&r);
    assert_eq!(process(addr(&sb), &at, "1", "r").status, 200);
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn is_rfc3339_micros(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 27
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            26 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn expect_401(sb: &Sandbox, token: &str, needle: &str) {
    let r = auth_with(addr(sb), token);
    let msg = r.gw(401, 16);
    assert!(msg.contains(needle), "message {msg:?} lacks {needle:?}");
}

#[test]
fn rejects_wrong_alg_and_typ() {
    let sb = strict();
    let sk = signing_key(7);
    expect_401(
        &sb,
        &jwt_with(&sk, &json!({"alg": "none", "typ": "JWT"}), &claims()),
        "alg",
    );
    expect_401(
        &sb,
        &jwt_with(&sk, &json!({"alg": "HS256", "typ": "JWT"}), &claims()),
        "alg",
    );
    expect_401(
        &sb,
        &jwt_with(&sk, &json!({"alg": "ES256", "typ": "JWS"}), &claims()),
        "typ",
    );
    // alg none with an empty signature part.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&serde_json::to_vec(&claims()).unwrap())
    );
    expect_401(&sb, &none, "alg");
    // Header missing typ, or typ in lowercase: strict refuses both.
    expect_401(
        &sb,
        &jwt_with(&sk, &json!({"alg": "ES256"}), &claims()),
        "typ",
    );
    expect_401(
        &sb,
        &jwt_with(&sk, &json!({"alg": "ES256", "typ": "jwt"}), &claims()),
        "typ",
    );
    assert_eq!(sb.stats().auth_rejected, 6);
    // The lenient profile refuses the same wrong alg and typ values.
    let sb = sandbox();
    expect_401(
        &sb,
        &jwt_with(&sk, &json!({"alg": "HS256", "typ": "JWT"}), &claims()),
        "alg",
    );
    expect_401(
        &sb,
        &jwt_with(&sk, &json!({"alg": "ES256", "typ": "JWS"}), &claims()),
        "typ",
    );
    expect_401(&sb, &none, "alg");
    assert!(sb.leniencies().counts().is_empty());
}

#[test]
fn rejects_der_and_bad_signatures() {
    let sb = sandbox();
    let sk = signing_key(7);
    let good = good_jwt();
    let (input, _) = good.rsplit_once('.').unwrap();
    let sig: Signature = sk.sign(input.as_bytes());
    expect_401(
        &sb,
        &format!("{input}.{}", b64(sig.to_der().as_bytes())),
        "DER",
    );
    // Signed by another key.
    expect_401(
        &sb,
        &jwt_with(&signing_key(9), &header(), &claims()),
        "signature verification",
    );
    // Tampered payload.
    let mut c = claims();
    c["iss"] = json!("other");
    let forged = format!(
        "{}.{}.{}",
        good.split('.').next().unwrap(),
        b64(&serde_json::to_vec(&c).unwrap()),
        good.rsplit('.').next().unwrap()
    );
    expect_401(&sb, &forged, "signature verification");
    // Padded base64 / not 3 parts.
    expect_401(&sb, &format!("{good}="), "base64url");
    expect_401(&sb, input, "3 parts");
    expect_401(&sb, "a.b.c.d", "3 parts");
    // A zero signature is not a valid r||s.
    expect_401(&sb, &format!("{input}.{}", b64(&[0u8; 64])), "r||s");
}

#[test]
fn rejects_bad_claims() {
    let sb = sandbox();
    let sk = signing_key(7);
    let with = |k: &str, v: Value| {
        let mut c = claims();
        c[k] = v;
        jwt_with(&sk, &header(), &c)
    };
    let t = now();
    expect_401(&sb, &with("admin_id", json!("42")), "invalid JWT claims");
    expect_401(&sb, &with("admin_id", json!(42.0)), "invalid JWT claims");
    expect_401(&sb, &with("admin_id", json!(-42)), "admin_id");
    expect_401(&sb, &with("iat", json!("now")), "iat");
    expect_401(&sb, &with("admin_id", json!(43)), "admin_id");
    expect_401(&sb, &with("device_ip", json!("10.9.9.9")), "device_ip");
    expect_401(&sb, &with("key_id", json!("nope")), "unknown key_id");
    let mut c = claims();
    c.as_object_mut().unwrap().remove("device_ip");
    expect_401(
        &sb,
        &jwt_with(&sk, &header(), &c),
        "missing claim \"device_ip\"",
    );
    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    expect_401(&sb, &jwt_with(&sk, &header(), &c), "missing claim \"exp\"");
    let mut c = claims();
    c["iat"] = json!(t - 7200);
    c["exp"] = json!(t - 3600);
    expect_401(&sb, &jwt_with(&sk, &header(), &c), "expired");
    let mut c = claims();
    c["iat"] = json!(t + 600);
    c["exp"] = json!(t + 900);
    expect_401(&sb, &jwt_with(&sk, &header(), &c), "future");
    let mut c = claims();
    c["exp"] = json!(t + 7200);
    expect_401(&sb, &jwt_with(&sk, &header(), &c), "lifetime");
    let mut c = claims();
    c["exp"] = c["iat"].clone();
    expect_401(&sb, &jwt_with(&sk, &header(), &c), "after iat");
    // Within clock skew still passes.
    let mut c = claims();
    c["iat"] = json!(t + 30);
    c["exp"] = json!(t + 330);
    assert_eq!(
        auth_with(addr(&sb), &jwt_with(&sk, &header(), &c)).status,
        200
    );
    // Second allowed IP passes.
    assert_eq!(
        auth_with(addr(&sb), &with("device_ip", json!("10.0.0.2"))).status,
        200
    );
}

#[test]
fn kid_header_optional_but_must_match() {
    let sb = sandbox();
    let sk = signing_key(7);
    let ok = jwt_with(
        &sk,
        &json!({"alg":"ES256","typ":"JWT","kid": KEY_ID}),
        &claims(),
    );
    assert_eq!(auth_with(addr(&sb), &ok).status, 200);
    expect_401(
        &sb,
        &jwt_with(
            &sk,
            &json!({"alg":"ES256","typ":"JWT","kid":"other"}),
            &claims(),
        ),
        "kid",
    );
}

#[test]
fn rejects_malformed_auth_bodies() {
    let sb = strict();
    let a = addr(&sb);
    let ct = [("Content-Type", "application/json")];
    let unknown = json!({"external_token": good_jwt(), "extra": 1});
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"[]".to_vec(),
        b"{\"external_token\": 5}".to_vec(),
        b"{\"token\": \"x\"}".to_vec(),
        b"[\"x.y.z\"]".to_vec(),
        b"{\"external_token\": \"\"}".to_vec(),
        serde_json::to_vec(&unknown).unwrap(),
    ];
    for body in cases {
        let r = request(a, "POST", wire::PATH_AUTH, &ct, &body).unwrap();
        r.gw(400, 3);
    }
    // Wrong content type.
    let body = serde_json::to_vec(&json!({"external_token": good_jwt()})).unwrap();
    request(
        a,
        "POST",
        wire::PATH_AUTH,
        &[("Content-Type", "text/plain")],
        &body,
    )
    .unwrap()
    .gw(415, 3);
    request(a, "POST", wire::PATH_AUTH, &[], &body)
        .unwrap()
        .gw(415, 3);
    // Charset parameter is fine.
    let r = request(
        a,
        "POST",
        wire::PATH_AUTH,
        &[("Content-Type", "application/json; charset=utf-8")],
        &body,
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(sb.stats().auth_rejected, 10);
}

#[test]
fn register_key_rejects_non_p256() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let bad = |pem: &str| {
        sb.register_key(RegisteredKey {
            key_id: "k".into(),
            public_key_pem: pem.into(),
            admin_id: 1,
            allowed_ips: vec![],
        })
    };
    assert!(bad("not a pem").is_err());
    // A P-384 SPKI public key.
    let p384 = "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEq4RLSk8xgNC9NX7nUo4n9GOTr2OGN88D\nePGHl6Z4lta9/5yKoQvBFzZL5uVXJRYiM8I/kPMNhyaS62KkFEhidPkBNYU7Vt33\ncwzcNnoqpHpkx2Pdz4/CA9GaoVkUpCxe\n-----END PUBLIC KEY-----\n";
    assert!(bad(p384).is_err());
    assert!(bad(&public_pem(&signing_key(3))).is_ok());
}

// ---------------------------------------------------------------- refresh

#[test]
fn refresh_is_single_use_and_reuse_revokes_family() {
    let sb = sandbox();
    let a = addr(&sb);
    let (at1, rt1) = login(a);
    let (at2, rt2) = tokens(&refresh(a, &rt1));
    assert_ne!(at1, at2);
    // The old access token died with its refresh token.
    process(a, &at1, "1", "r1").gw(401, 16);
    assert_eq!(process(a, &at2, "1", "r1").status, 200);
    // Reuse of rt1: 401 and the whole family is revoked (rt2 and at2 too).
    let msg = refresh(a, &rt1).gw(401, 16);
    assert!(msg.contains("reuse"), "{msg}");
    process(a, &at2, "1", "r1").gw(401, 16);
    refresh(a, &rt2).gw(401, 16);
    // Another login's family is unaffected.
    let (at3, rt3) = login(a);
    assert_eq!(process(a, &at3, "1", "r1").status, 200);
    assert_eq!(refresh(a, &rt3).status, 200);
    let s = sb.stats();
    assert_eq!((s.refresh_ok, s.refresh_rejected), (2, 2));
}

#[test]
fn refresh_rejects_missing_unknown_and_access_tokens() {
    let sb = sandbox();
    let a = addr(&sb);
    let (at, _) = login(a);
    request(a, "POST", wire::PATH_REFRESH, &[], b"")
        .unwrap()
        .gw(401, 16);
    refresh(a, "garbage").gw(401, 16);
    refresh(a, &at).gw(401, 16);
    request(
        a,
        "POST",
        wire::PATH_REFRESH,
        &[("Authorization", "Basic abc")],
        b"",
    )
    .unwrap()
    .gw(401, 16);
}

#[test]
fn refresh_token_expiry_and_revocation() {
    let sb = sandbox_with(SandboxConfig {
        refresh_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    });
    let (_, rt) = login(addr(&sb));
    assert!(refresh(addr(&sb), &rt).gw(401, 16).contains("expired"));

    let sb = sandbox();
    let a = addr(&sb);
    let (_, rt) = login(a);
    sb.revoke_refresh_tokens();
    refresh(a, &rt).gw(401, 16);
    // Re-authentication works.
    let (_, rt) = login(a);
    assert_eq!(refresh(a, &rt).status, 200);
}

#[test]
fn expire_access_tokens_then_refresh() {
    let sb = sandbox();
    let a = addr(&sb);
    let (at, rt) = login(a);
    assert_eq!(process(a, &at, "1", "x").status, 200);
    sb.expire_access_tokens();
    process(a, &at, "1", "x").gw(401, 16);
    let (at2, _) = tokens(&refresh(a, &rt));
    assert_eq!(process(a, &at2, "1", "x").status, 200);
}

#[test]
fn access_token_ttl() {
    let sb = sandbox_with(SandboxConfig {
        access_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    });
    let (at, _) = login(addr(&sb));
    assert!(process(addr(&sb), &at, "1", "x")
        .gw(401, 16)
        .contains("expired"));
}

// ---------------------------------------------------------------- processext

#[test]
fn pending_then_success_then_idempotent() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 3,
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let (at, _) = login(a);
    for _ in 0..3 {
        let v = process(a, &at, "123456", "wd_1").json();
        assert_eq!(
            v,
            json!({"account_login": "123456", "request_id": "wd_1", "status": 1})
        );
    }
    for _ in 0..3 {
        let v = process(a, &at, "123456", "wd_1").json();
        assert_eq!(
            v,
            json!({"account_login": "123456", "request_id": "wd_1", "status": 2})
        );
    }
    assert_eq!(sb.fee_state("wd_1"), Some(("123456".into(), 2, 6)));
    assert_eq!(sb.fee_state("nope"), None);
    assert_eq!(sb.stats().process_calls, 6);
}

#[test]
fn immediate_success_and_pending_for() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 0,
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let (at, _) = login(a);
    assert_eq!(process(a, &at, "1", "now").json()["status"], 2);

    let sb = sandbox_with(SandboxConfig {
        pending_polls: 0,
        pending_for: Duration::from_millis(40),
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let (at, _) = login(a);
    assert_eq!(process(a, &at, "1", "slow").json()["status"], 1);
    assert_eq!(process(a, &at, "1", "slow").json()["status"], 1);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(process(a, &at, "1", "slow").json()["status"], 2);
}

#[test]
fn error_login_with_details() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 1,
        error_logins: vec!["666".into()],
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let (at, _) = login(a);
    assert_eq!(process(a, &at, "666", "e1").json()["status"], 1);
    for _ in 0..2 {
        let v = process(a, &at, "666", "e1").json();
        assert_eq!(v["status"], 3);
        assert_eq!(v["account_login"], "666");
        assert_eq!(v["request_id"], "e1");
        assert_eq!(v["error"]["code"], "INSUFFICIENT_FUNDS");
        assert!(v["error"]["message"].is_string());
        assert_eq!(v["status"].as_i64(), Some(wire::STATUS_ERROR));
    }
}

#[test]
fn request_id_reused_with_other_login_conflicts() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 0,
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let (at, _) = login(a);
    assert_eq!(process(a, &at, "111", "dup").json()["status"], 2);
    let msg = process(a, &at, "222", "dup").gw(409, 6);
    assert!(msg.contains("request_id"));
    assert_eq!(sb.fee_state("dup"), Some(("111".into(), 2, 1)));
    assert_eq!(process(a, &at, "111", "dup").json()["status"], 2);
}

#[test]
fn processext_rejects_bad_auth_and_bodies() {
    let sb = strict();
    let a = addr(&sb);
    let (at, rt) = login(a);
    let body = json!({"account_login": "1", "request_id": "r"});
    post_json(a, wire::PATH_PROCESS, None, &body).gw(401, 16);
    post_json(a, wire::PATH_PROCESS, Some("unknown"), &body).gw(401, 16);
    post_json(a, wire::PATH_PROCESS, Some(&rt), &body).gw(401, 16);
    for bad in [
        json!({"account_login": 123456, "request_id": "r"}),
        json!({"account_login": "1"}),
        json!({"account_login": "1", "request_id": "r", "amount": 5}),
        json!({"account_login": "", "request_id": "r"}),
        json!({"account_login": "1", "request_id": ""}),
        json!(["1", "r"]),
    ] {
        post_json(a, wire::PATH_PROCESS, Some(&at), &bad).gw(400, 3);
    }
    let auth = format!("Bearer {at}");
    request(
        a,
        "POST",
        wire::PATH_PROCESS,
        &[("Authorization", &auth)],
        b"{}",
    )
    .unwrap()
    .gw(415, 3);
    // Nothing was recorded by the rejected calls.
    assert_eq!(sb.fee_state("r"), None);
}

// ---------------------------------------------------------------- routing and HTTP strictness

#[test]
fn unknown_path_404_and_wrong_method_405() {
    let sb = strict();
    let a = addr(&sb);
    request(a, "POST", "/api/nope", &[], b"")
        .unwrap()
        .gw(404, 5);
    request(a, "GET", "/", &[], b"").unwrap().gw(404, 5);
    let r = request(a, "GET", wire::PATH_AUTH, &[], b"").unwrap();
    r.gw(405, 12);
    assert_eq!(r.header("allow"), Some("POST"));
    // The query string does not change routing.
    let r = request(a, "GET", &format!("{}?x=1", wire::PATH_PROCESS), &[], b"").unwrap();
    assert_eq!(r.status, 405);
    // Lenient: outside /api/ still 404; under /api/ an authenticated endpoint (401 here).
    let sb = sandbox();
    let a = addr(&sb);
    request(a, "GET", "/", &[], b"").unwrap().gw(404, 5);
    request(a, "POST", "/apinope", &[], b"").unwrap().gw(404, 5);
    request(a, "POST", "/api/nope", &[], b"")
        .unwrap()
        .gw(401, 16);
    let r = request(a, "GET", wire::PATH_AUTH, &[], b"").unwrap();
    r.gw(405, 12);
}

#[test]
fn http_framing_is_strict() {
    let sb = sandbox();
    let a = addr(&sb);
    let p = wire::PATH_AUTH;
    let chunked =
        format!("POST {p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(raw(a, chunked.as_bytes()).unwrap().status, 411);
    let big = format!(
        "POST {p} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        256 * 1024 + 1
    );
    assert_eq!(raw(a, big.as_bytes()).unwrap().status, 413);
    let no_host = format!("POST {p} HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(raw(a, no_host.as_bytes()).unwrap().status, 400);
    let bad_cl = format!("POST {p} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
    assert_eq!(raw(a, bad_cl.as_bytes()).unwrap().status, 400);
    let two_cl =
        format!("POST {p} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    assert_eq!(raw(a, two_cl.as_bytes()).unwrap().status, 400);
    let bare_lf = format!("POST {p} HTTP/1.1\nHost: x\n\n");
    assert_eq!(raw(a, bare_lf.as_bytes()).unwrap().status, 400);
    assert_eq!(raw(a, b"GARBAGE\r\n\r\n").unwrap().status, 400);
    assert_eq!(
        raw(a, b"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap()
            .status,
        400
    );
    assert_eq!(
        raw(a, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n").unwrap().status,
        505
    );
    let mut many = format!("GET {p} HTTP/1.1\r\nHost: x\r\n");
    for i in 0..70 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    assert_eq!(raw(a, many.as_bytes()).unwrap().status, 431);
    let huge = format!(
        "GET {p} HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    );
    assert_eq!(raw(a, huge.as_bytes()).unwrap().status, 431);
    let folded = format!("GET {p} HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n");
    assert_eq!(raw(a, folded.as_bytes()).unwrap().status, 400);
    // Fuzzy bytes never crash the server: every answer is 4xx/5xx or a close.
    let mut rng = fastrand::Rng::with_seed(1);
    for _ in 0..40 {
        let mut junk: Vec<u8> = (0..rng.usize(1..200)).map(|_| rng.u8(..)).collect();
        junk.extend_from_slice(b"\r\n\r\n");
        if let Ok(r) = raw(a, &junk) {
            assert!(r.status >= 400, "{r:?}");
        }
    }
    // Still serving.
    assert_eq!(auth_with(a, &good_jwt()).status, 200);
}

#[test]
fn keep_alive_and_connection_close() {
    let sb = sandbox();
    let a = addr(&sb);
    let mut s = connect(a);
    let body = serde_json::to_vec(&json!({"external_token": good_jwt()})).unwrap();
    for _ in 0..3 {
        let mut req = format!(
            "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            wire::PATH_AUTH,
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(&body);
        s.write_all(&req).unwrap();
        let r = read_resp(&mut s).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), None);
    }
    // Pipelined: two requests in one write.
    let one = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
    s.write_all(format!("{one}{one}").as_bytes()).unwrap();
    assert_eq!(read_resp(&mut s).unwrap().status, 404);
    assert_eq!(read_resp(&mut s).unwrap().status, 404);
    s.write_all(b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = read_resp(&mut s).unwrap();
    assert_eq!(r.header("connection"), Some("close"));
    let mut rest = Vec::new();
    assert_eq!(
        s.read_to_end(&mut rest).unwrap(),
        0,
        "server closes after Connection: close"
    );
}

// ---------------------------------------------------------------- faults

#[test]
fn fault_5xx_and_429() {
    let sb = sandbox();
    let a = addr(&sb);
    sb.inject(wire::PATH_AUTH, Fault::Status5xx(502), 1);
    sb.inject(wire::PATH_AUTH, Fault::TooMany { retry_after_s: 7 }, 1);
    let r = auth_with(a, &good_jwt());
    assert_eq!(r.gw(502, 14), "unavailable");
    let r = auth_with(a, &good_jwt());
    r.gw(429, 8);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(auth_with(a, &good_jwt()).status, 200);
    // Faults are per path.
    sb.inject(wire::PATH_PROCESS, Fault::Status5xx(503), 1);
    assert_eq!(auth_with(a, &good_jwt()).status, 200);
    let s = sb.stats();
    assert_eq!(s.faults_injected, 2);
    assert_eq!(s.auth_ok, 2);
}

#[test]
fn fault_drop_closes_quickly() {
    let sb = sandbox();
    let a = addr(&sb);
    sb.inject(wire::PATH_AUTH, Fault::Drop, 1);
    let t = Instant::now();
    let body = serde_json::to_vec(&json!({"external_token": good_jwt()})).unwrap();
    let r = request(
        a,
        "POST",
        wire::PATH_AUTH,
        &[("Content-Type", "application/json")],
        &body,
    );
    assert!(r.is_err(), "expected an I/O error, got {r:?}");
    assert!(t.elapsed() < Duration::from_millis(500));
    assert_eq!(sb.stats().faults_injected, 1);
    assert_eq!(sb.stats().auth_ok, 0);
}

#[test]
fn fault_malformed_oversized_latency() {
    let sb = sandbox();
    let a = addr(&sb);
    let (at, _) = login(a);
    sb.inject(wire::PATH_PROCESS, Fault::Malformed, 1);
    let r = process(a, &at, "1", "m");
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert_eq!(sb.fee_state("m"), None, "faulted request not handled");

    sb.inject(wire::PATH_PROCESS, Fault::Oversized(100_000), 1);
    let r = process(a, &at, "1", "m");
    assert_eq!(r.body.len(), 100_000);
    assert!(serde_json::from_slice::<Value>(&r.body).is_ok());

    sb.inject(
        wire::PATH_PROCESS,
        Fault::Latency(Duration::from_millis(60)),
        1,
    );
    let t = Instant::now();
    let r = process(a, &at, "1", "m");
    assert!(t.elapsed() >= Duration::from_millis(60));
    assert_eq!(r.json()["status"], 1, "latency then normal handling");
    assert_eq!(sb.stats().faults_injected, 3);
}

#[test]
fn random_faults_by_rate() {
    let sb = sandbox_with(SandboxConfig {
        faults: Faults {
            rate_429: 1.0,
            retry_after_s: 3,
            ..Faults::default()
        },
        seed: 42,
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let r = auth_with(a, &good_jwt());
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    // Scripted faults take priority over random ones.
    sb.inject(wire::PATH_AUTH, Fault::Status5xx(500), 1);
    assert_eq!(auth_with(a, &good_jwt()).status, 500);
    sb.set_faults(Faults {
        rate_5xx: 0.5,
        ..Faults::default()
    });
    let statuses: Vec<u16> = (0..20).map(|_| auth_with(a, &good_jwt()).status).collect();
    assert!(
        statuses.contains(&503) && statuses.contains(&200),
        "{statuses:?}"
    );
    sb.set_faults(Faults::default());
    assert_eq!(auth_with(a, &good_jwt()).status, 200);
    // Unknown paths are not faulted.
    sb.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(request(a, "GET", "/nope", &[], b"").unwrap().status, 404);
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn shutdown_frees_the_port() {
    let sb = sandbox();
    let a = addr(&sb);
    // An idle keep-alive connection must not keep the server alive.
    let mut idle = connect(a);
    idle.write_all(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_resp(&mut idle).unwrap().status, 404);
    let t = Instant::now();
    sb.shutdown();
    assert!(t.elapsed() < Duration::from_millis(500));
    assert!(TcpStream::connect(a).is_err(), "nothing listens any more");
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);
    let again = Sandbox::start(SandboxConfig {
        port: a.port(),
        ..SandboxConfig::default()
    })
    .unwrap();
    assert_eq!(again.local_addr().port(), a.port());
    assert_eq!(again.base_url(), format!("http://127.0.0.1:{}", a.port()));
}

#[test]
fn concurrent_clients() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 1,
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let (at, _) = login(a);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let at = at.clone();
            std::thread::spawn(move || {
                let rid = format!("c{i}");
                assert_eq!(process(a, &at, "1", &rid).json()["status"], 1);
                assert_eq!(process(a, &at, "1", &rid).json()["status"], 2);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(sb.stats().process_calls, 16);
}

#[test]
fn ureq_agent_interop_keep_alive() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 1,
        ..SandboxConfig::default()
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = |p: &str| format!("{}{p}", sb.base_url());
    let body = serde_json::to_vec(&json!({"external_token": good_jwt()})).unwrap();
    let mut r = agent
        .post(&url(wire::PATH_AUTH))
        .header("Content-Type", wire::CONTENT_TYPE_JSON)
        .send(&body[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let pair: Value = serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
    let (Value::String(at), Value::String(rt)) =
        (pair["accessToken"].clone(), pair["refreshToken"].clone())
    else {
        panic!("plain tokens expected")
    };
    let fee = serde_json::to_vec(&json!({"account_login": "9", "request_id": "u1"})).unwrap();
    for want in [1, 2] {
        let mut r = agent
            .post(&url(wire::PATH_PROCESS))
            .header("Content-Type", wire::CONTENT_TYPE_JSON)
            .header(
                wire::HEADER_AUTHORIZATION,
                &format!("{}{at}", wire::BEARER_PREFIX),
            )
            .send(&fee[..])
            .unwrap();
        let v: Value = serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
        assert_eq!(v["status"].as_i64(), Some(want));
    }
    let r = agent
        .post(&url(wire::PATH_REFRESH))
        .header("Content-Type", wire::CONTENT_TYPE_JSON)
        .header(
            wire::HEADER_AUTHORIZATION,
            &format!("{}{rt}", wire::BEARER_PREFIX),
        )
        .send(&b""[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // A dropped connection surfaces as a transport error, quickly.
    sb.inject(wire::PATH_AUTH, Fault::Drop, 1);
    let t = Instant::now();
    let r = agent
        .post(&url(wire::PATH_AUTH))
        .header("Content-Type", wire::CONTENT_TYPE_JSON)
        .send(&body[..]);
    assert!(r.is_err());
    assert!(t.elapsed() < Duration::from_secs(1));
}

// ---------------------------------------------------------------- profiles and leniencies

/// Authenticate with `token` on a lenient and a strict sandbox: (lenient status, strict
/// status, the lenient sandbox's count of `leniency`).
fn both_profiles(token: &str, leniency: &str) -> (u16, u16, u64) {
    let l = sandbox();
    let s = strict();
    let ls = auth_with(addr(&l), token).status;
    let ss = auth_with(addr(&s), token).status;
    assert!(s.leniencies().counts().is_empty());
    assert!(s.leniencies().is_strict() && !l.leniencies().is_strict());
    (ls, ss, l.leniencies().count(leniency))
}

#[test]
fn jjwt_header_without_typ_and_lowercase_typ() {
    let sk = signing_key(7);
    // What jjwt (the vendor's Java sample) produces: {"alg":"ES256"}.
    let jjwt = jwt_with(&sk, &json!({"alg": "ES256"}), &claims());
    assert_eq!(
        both_profiles(&jjwt, "b2copy_jwt_typ_missing"),
        (200, 401, 1)
    );
    let lower = jwt_with(&sk, &json!({"alg": "ES256", "typ": "jwt"}), &claims());
    assert_eq!(both_profiles(&lower, "b2copy_jwt_typ_case"), (200, 401, 1));
    // The usual header needs no leniency.
    let sb = sandbox();
    assert_eq!(auth_with(addr(&sb), &good_jwt()).status, 200);
    assert!(sb.leniencies().counts().is_empty());
    // A leniency is counted on every use.
    for _ in 0..3 {
        assert_eq!(auth_with(addr(&sb), &jjwt).status, 200);
    }
    assert_eq!(sb.leniencies().count("b2copy_jwt_typ_missing"), 3);
    // A lenient header with a bad signature is still refused (and not counted).
    let forged = format!("{}x", &jjwt[..jjwt.len() - 1]);
    assert_eq!(auth_with(addr(&sb), &forged).status, 401);
    assert_eq!(sb.leniencies().count("b2copy_jwt_typ_missing"), 3);
}

#[test]
fn claims_the_page_does_not_require() {
    let sk = signing_key(7);
    let t = now();
    let without = |k: &str| {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(k);
        jwt_with(&sk, &header(), &c)
    };
    assert_eq!(
        both_profiles(&without("iss"), "b2copy_jwt_iss_missing"),
        (200, 401, 1)
    );
    assert_eq!(
        both_profiles(&without("iat"), "b2copy_jwt_iat_missing"),
        (200, 401, 1)
    );
    let mut c = claims();
    c["iat"] = json!(t as f64 + 0.25);
    c["exp"] = json!(t as f64 + 300.5);
    assert_eq!(
        both_profiles(&jwt_with(&sk, &header(), &c), "b2copy_jwt_fractional_time"),
        (200, 401, 1)
    );
    // Without iat the lifetime is checked from now.
    let mut c = claims();
    c.as_object_mut().unwrap().remove("iat");
    c["exp"] = json!(t + 7200);
    expect_401(&sandbox(), &jwt_with(&sk, &header(), &c), "lifetime");
}

/// What the page's `curl -X POST ... -d '{ "external_token": "..." }'` sends: curl -d
/// sets `Content-Type: application/x-www-form-urlencoded`, the body keeps the newlines.
#[test]
fn the_pages_curl_example_for_authexternalcrm() {
    let body = format!(
        "{{\n           \"external_token\": \"{}\"\n         }}",
        good_jwt()
    );
    let curl_headers = [
        ("User-Agent", "curl/8.5.0"),
        ("Accept", "*/*"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let sb = sandbox();
    let r = request(
        addr(&sb),
        "POST",
        wire::PATH_AUTH,
        &curl_headers,
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let (at, rt) = tokens(&r);
    assert_eq!(sb.leniencies().count("b2copy_content_type_not_json"), 1);
    // No Content-Type at all works the same.
    let r = request(addr(&sb), "POST", wire::PATH_AUTH, &[], body.as_bytes()).unwrap();
    assert_eq!(r.status, 200);
    // The tokens work; the page's refreshtoken curl sends no body and no content type.
    assert_eq!(process(addr(&sb), &at, "1", "c1").status, 200);
    assert_eq!(refresh(addr(&sb), &rt).status, 200);
    // A body that is not JSON under a non-JSON type is still 415.
    request(
        addr(&sb),
        "POST",
        wire::PATH_AUTH,
        &curl_headers,
        b"external_token=x.y.z",
    )
    .unwrap()
    .gw(415, 3);
    // Strict: 415 as before.
    let sb = strict();
    request(
        addr(&sb),
        "POST",
        wire::PATH_AUTH,
        &curl_headers,
        body.as_bytes(),
    )
    .unwrap()
    .gw(415, 3);
}

#[test]
fn missing_fields_are_named_in_both_profiles() {
    for sb in [sandbox(), strict()] {
        let a = addr(&sb);
        let (at, _) = login(a);
        let msg = post_json(a, wire::PATH_AUTH, None, &json!({})).gw(400, 3);
        assert!(msg.contains("missing field \"external_token\""), "{msg}");
        assert!(!msg.contains("not valid JSON"), "{msg}");
        let msg = post_json(
            a,
            wire::PATH_PROCESS,
            Some(&at),
            &json!({"account_login": "1"}),
        )
        .gw(400, 3);
        assert!(msg.contains("missing field \"request_id\""), "{msg}");
        let msg = post_json(
            a,
            wire::PATH_PROCESS,
            Some(&at),
            &json!({"request_id": "r"}),
        )
        .gw(400, 3);
        assert!(msg.contains("missing field \"account_login\""), "{msg}");
        let msg = post_json(
            a,
            wire::PATH_PROCESS,
            Some(&at),
            &json!({"account_login": 5, "request_id": "r"}),
        )
        .gw(400, 3);
        assert!(msg.contains("\"account_login\" must be a string"), "{msg}");
        let msg = request(
            a,
            "POST",
            wire::PATH_AUTH,
            &[("Content-Type", "application/json")],
            b"{\"external_token\": ",
        )
        .unwrap()
        .gw(400, 3);
        assert!(msg.contains("not valid JSON"), "{msg}");
    }
}

#[test]
fn camel_case_and_unknown_fields() {
    let sb = sandbox();
    let a = addr(&sb);
    let r = post_json(
        a,
        wire::PATH_AUTH,
        None,
        &json!({"externalToken": good_jwt()}),
    );
    let (at, _) = tokens(&r);
    let r = post_json(
        a,
        wire::PATH_PROCESS,
        Some(&at),
        &json!({"accountLogin": "1", "requestId": "cc", "comment": "x"}),
    );
    assert_eq!(
        r.json(),
        json!({"account_login": "1", "request_id": "cc", "status": 1})
    );
    assert_eq!(sb.leniencies().count("b2copy_camel_case_field"), 2);
    assert_eq!(sb.leniencies().count("b2copy_unknown_field"), 1);
    // Both spellings at once are ambiguous in either profile.
    let msg = post_json(
        a,
        wire::PATH_AUTH,
        None,
        &json!({"externalToken": good_jwt(), "external_token": good_jwt()}),
    )
    .gw(400, 3);
    assert!(msg.contains("both"), "{msg}");

    let sb = strict();
    let a = addr(&sb);
    let msg = post_json(
        a,
        wire::PATH_AUTH,
        None,
        &json!({"externalToken": good_jwt()}),
    )
    .gw(400, 3);
    assert!(msg.contains("missing field \"external_token\""), "{msg}");
    let (at, _) = login(a);
    let msg = post_json(
        a,
        wire::PATH_PROCESS,
        Some(&at),
        &json!({"account_login": "1", "request_id": "cc", "comment": "x"}),
    )
    .gw(400, 3);
    assert!(msg.contains("unknown field \"comment\""), "{msg}");
}

// ---------------------------------------------------------------- switches

#[test]
fn fee_status_names_switch() {
    let sb = sandbox_with(SandboxConfig {
        pending_polls: 1,
        fee_status_names: true,
        error_logins: vec!["666".into()],
        ..SandboxConfig::default()
    });
    let a = addr(&sb);
    let (at, _) = login(a);
    assert_eq!(
        process(a, &at, "1", "n1").json(),
        json!({"account_login": "1", "request_id": "n1", "status": "FEE_PROCESS_STATUS_PENDING"})
    );
    assert_eq!(
        process(a, &at, "1", "n1").json()["status"],
        "FEE_PROCESS_STATUS_SUCCESS"
    );
    process(a, &at, "666", "n2");
    let v = process(a, &at, "666", "n2").json();
    assert_eq!(v["status"], "FEE_PROCESS_STATUS_ERROR");
    assert_eq!(v["error"]["code"], "INSUFFICIENT_FUNDS");
    // Back to numbers at run time; the state is unchanged.
    sb.b2copy().set_fee_status_names(false);
    assert_eq!(process(a, &at, "1", "n1").json()["status"], 2);
    assert_eq!(sb.fee_state("n1"), Some(("1".into(), 2, 3)));
    // The switch is no leniency.
    assert!(sb.leniencies().counts().is_empty());
}

// ---------------------------------------------------------------- generic endpoints

fn call(
    a: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> Resp {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let mut h = Vec::new();
    if body.is_some() {
        h.push(("Content-Type", "application/json"));
    }
    if let Some(v) = &auth {
        h.push(("Authorization", v.as_str()));
    }
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    request(a, method, path, &h, &bytes).unwrap()
}

#[test]
fn generic_endpoints_need_a_valid_access_token() {
    let sb = sandbox();
    let a = addr(&sb);
    let (at, rt) = login(a);
    let path = "/api/admin/accounts/v2/account/accountservice/list";
    let v = call(a, "GET", &format!("{path}?page=2&size=10"), Some(&at), None).json();
    assert_eq!(
        v,
        json!({"method": "GET", "path": path, "query": "page=2&size=10", "body": null})
    );
    let body = json!({"filter": {"login": "123456"}, "ids": [1, 2]});
    let v = call(a, "POST", path, Some(&at), Some(&body)).json();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["body"], body);
    for m in ["PUT", "PATCH", "DELETE"] {
        assert_eq!(call(a, m, path, Some(&at), Some(&body)).json()["method"], m);
    }
    // 401 exactly as processext answers it: missing, unknown, a refresh token, expired.
    for (bearer, needle) in [
        (None, "missing Authorization"),
        (Some("garbage"), "unknown access token"),
        (Some(rt.as_str()), "unknown access token"),
    ] {
        let got = call(a, "GET", path, bearer, None).gw(401, 16);
        let want = post_json(
            a,
            wire::PATH_PROCESS,
            bearer,
            &json!({"account_login": "1", "request_id": "g"}),
        )
        .gw(401, 16);
        assert_eq!(got, want);
        assert!(got.contains(needle), "{got}");
    }
    sb.expire_access_tokens();
    let msg = call(a, "GET", path, Some(&at), None).gw(401, 16);
    assert!(msg.contains("expired"), "{msg}");
    // 401 -> refresh -> the new access token works.
    let (at2, _) = tokens(&refresh(a, &rt));
    assert_eq!(call(a, "GET", path, Some(&at2), None).status, 200);
    // A body that is not JSON is refused.
    request(
        a,
        "POST",
        path,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &format!("Bearer {at2}")),
        ],
        b"{nope",
    )
    .unwrap()
    .gw(400, 3);
    let s = sb.stats();
    assert_eq!(s.other_calls, 11);
    assert_eq!(s.process_calls, 3);
    assert_eq!(sb.leniencies().count("undocumented_endpoint"), 11);
    // Faults apply to the exact generic path like to any other.
    sb.inject(path, Fault::Status5xx(503), 1);
    call(a, "GET", path, Some(&at2), None).gw(503, 14);
    assert_eq!(call(a, "GET", path, Some(&at2), None).status, 200);
}

#[test]
fn generic_endpoints_are_404_when_strict() {
    let sb = strict();
    let a = addr(&sb);
    let (at, _) = login(a);
    for p in ["/api/admin/accounts/v2/x", "/api/nope"] {
        call(a, "GET", p, Some(&at), None).gw(404, 5);
        call(a, "GET", p, None, None).gw(404, 5);
    }
    assert_eq!(sb.stats().other_calls, 0);
    assert!(sb.leniencies().counts().is_empty());
}
