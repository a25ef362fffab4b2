//! Keys in every form, and the external JWT verified by an independent implementation
//! (jsonwebtoken with RustCrypto's p256, not the AWS-LC signer b2c uses).

use crate::scan::Recorded as _;
use std::time::Duration;

use b2c_core::b2copy::{mint_external_token, ExternalTokenParams};
use b2c_core::keys::PrivateKey;
use b2c_core::ErrorKind;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn params() -> ExternalTokenParams {
    ExternalTokenParams {
        admin_id: 42,
        device_ip: "203.0.113.10".into(),
        key_id: "crm-key-1".into(),
        issuer: "my-crm".into(),
        ttl: Duration::from_secs(300),
        kid_header: false,
    }
}

fn verify(token: &str, public_pem: &str) -> serde_json::Value {
    let mut v = Validation::new(Algorithm::ES256);
    v.set_required_spec_claims(&["exp", "iat", "iss"]);
    v.set_issuer(&["my-crm"]);
    let key = DecodingKey::from_ec_pem(public_pem.as_bytes()).unwrap();
    decode::<serde_json::Value>(token, &key, &v).unwrap().claims
}

#[test]
fn openssl_pkcs8_key_signs_tokens_that_verify_independently() {
    let key = PrivateKey::from_pem(&fixture("p256_pkcs8.pem")).unwrap();
    // The derived public key is the one openssl derived.
    assert_eq!(key.public_key_pem().unwrap(), fixture("p256_public.pem"));
    let now = b2c_core::timeutil::unix_now();
    let token = mint_external_token(&key, &params(), now).unwrap();
    let claims = verify(&token, &fixture("p256_public.pem"));
    assert!(
        claims["admin_id"].is_u64(),
        "admin_id must be a JSON number"
    );
    assert_eq!(claims["admin_id"], 42);
    assert_eq!(claims["device_ip"], "203.0.113.10");
    assert_eq!(claims["key_id"], "crm-key-1");
    assert_eq!(claims["iss"], "my-crm");
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 300);
    let header = decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    assert_eq!(header.kid, None, "kid is off by default");
    // Raw r||s: 64 bytes -> 86 base64url characters.
    assert_eq!(token.rsplit('.').next().unwrap().len(), 86);
}

#[test]
fn kid_header_is_optional_and_ttl_configurable() {
    let key = PrivateKey::generate().unwrap();
    let mut p = params();
    p.kid_header = true;
    p.ttl = Duration::from_secs(60);
    let now = b2c_core::timeutil::unix_now();
    let token = mint_external_token(&key, &p, now).unwrap();
    assert_eq!(
        decode_header(&token).unwrap().kid.as_deref(),
        Some("crm-key-1")
    );
    let claims = verify(&token, &key.public_key_pem().unwrap());
    assert_eq!(claims["exp"], now + 60);
}

#[test]
fn token_from_one_key_fails_under_another() {
    let a = PrivateKey::generate().unwrap();
    let b = PrivateKey::generate().unwrap();
    let token = mint_external_token(&a, &params(), b2c_core::timeutil::unix_now()).unwrap();
    let key = DecodingKey::from_ec_pem(b.public_key_pem().unwrap().as_bytes()).unwrap();
    assert!(decode::<serde_json::Value>(&token, &key, &Validation::new(Algorithm::ES256)).is_err());
}

#[test]
fn sec1_forms_load_and_round_trip() {
    let pkcs8 = PrivateKey::from_pem(&fixture("p256_pkcs8.pem")).unwrap();
    let sec1 = PrivateKey::from_pem(&fixture("p256_sec1.pem")).unwrap();
    assert_eq!(
        pkcs8.public_key_pem().unwrap(),
        sec1.public_key_pem().unwrap()
    );
    // `openssl ecparam -genkey` output: an EC PARAMETERS block before the key.
    let with_params = PrivateKey::from_pem(&fixture("p256_sec1_with_params.pem")).unwrap();
    // Export and re-import gives the same key.
    let pem = with_params.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let again = PrivateKey::from_pem(&pem).unwrap();
    assert_eq!(
        again.public_key_pem().unwrap(),
        with_params.public_key_pem().unwrap()
    );
    // CRLF line endings are fine.
    let crlf = fixture("p256_pkcs8.pem").replace('\n', "\r\n");
    assert!(PrivateKey::from_pem(&crlf).is_ok());
}

#[test]
fn generated_keys_are_distinct_and_load_back() {
    let a = PrivateKey::generate().unwrap();
    let b = PrivateKey::generate().unwrap();
    assert_ne!(a.public_key_pem().unwrap(), b.public_key_pem().unwrap());
    let pem = a.to_pkcs8_pem().unwrap();
    assert_eq!(
        PrivateKey::from_pem(&pem)
            .unwrap()
            .public_key_pem()
            .unwrap(),
        a.public_key_pem().unwrap()
    );
    assert!(a
        .public_key_pem()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----\n"));
}

#[test]
fn every_bad_key_form_has_its_own_error() {
    let cases = [
        ("p384_pkcs8.pem", ErrorKind::KeyUnsupportedCurve),
        ("p384_sec1.pem", ErrorKind::KeyUnsupportedCurve),
        ("secp256k1_pkcs8.pem", ErrorKind::KeyUnsupportedCurve),
        ("rsa_pkcs8.pem", ErrorKind::KeyUnsupportedType),
        ("rsa_pkcs1.pem", ErrorKind::KeyUnsupportedType),
        ("ed25519_pkcs8.pem", ErrorKind::KeyUnsupportedType),
        ("p256_encrypted_pkcs8.pem", ErrorKind::KeyEncrypted),
        ("p256_encrypted_sec1.pem", ErrorKind::KeyEncrypted),
        ("garbage_pkcs8.pem", ErrorKind::KeyInvalid),
        ("not_pem.txt", ErrorKind::KeyInvalid),
        ("p256_public.pem", ErrorKind::KeyInvalid),
        // One curve, one answer, whatever the container.
        ("brainpool_sec1.pem", ErrorKind::KeyUnsupportedCurve),
        ("brainpool_pkcs8.pem", ErrorKind::KeyUnsupportedCurve),
        (
            "p256_explicit_params_sec1.pem",
            ErrorKind::KeyUnsupportedCurve,
        ),
    ];
    for (file, kind) in cases {
        let err = PrivateKey::from_pem(&fixture(file)).expect_err_recorded();
        assert_eq!(err.kind(), kind, "{file}: {err}");
        assert!(!err.message().is_empty());
    }
    assert_eq!(
        PrivateKey::from_pem("").expect_err_recorded().kind(),
        ErrorKind::KeyInvalid
    );
    let truncated = fixture("p256_pkcs8.pem").replace("-----END PRIVATE KEY-----", "");
    assert_eq!(
        PrivateKey::from_pem(&truncated)
            .expect_err_recorded()
            .kind(),
        ErrorKind::KeyInvalid
    );
    assert_eq!(
        PrivateKey::from_pem_file(std::path::Path::new("/nonexistent/key.pem"))
            .expect_err_recorded()
            .kind(),
        ErrorKind::Io
    );
}

/// PEM-wrap DER (64-column base64).
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[test]
fn a_sec1_key_naming_no_curve_is_not_taken_for_p256() {
    // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING (32) } and nothing else.
    let mut der = vec![0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20];
    der.extend_from_slice(&[0x11; 32]);
    let e = PrivateKey::from_pem(&pem("EC PRIVATE KEY", &der)).expect_err_recorded();
    assert_eq!(e.kind(), ErrorKind::KeyInvalid, "{e}");
    assert!(e.message().contains("without curve parameters"), "{e}");
    // The same key after an EC PARAMETERS block naming P-256 is fine.
    let params = pem(
        "EC PARAMETERS",
        &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
    );
    let k = PrivateKey::from_pem(&format!("{params}{}", pem("EC PRIVATE KEY", &der))).unwrap();
    assert!(k.public_key_pem().unwrap().contains("PUBLIC KEY"));
    // SEC1 with the curve inside, and after an EC PARAMETERS block: both load.
    PrivateKey::from_pem(&fixture("p256_sec1.pem")).unwrap();
    PrivateKey::from_pem(&fixture("p256_sec1_with_params.pem")).unwrap();
}

#[test]
fn key_files_that_are_not_small_regular_files_are_refused_at_once() {
    // A device that never ends, and a FIFO nobody writes to: refused, never read (the FIFO
    // would block forever if opened for reading the usual way).
    let e = PrivateKey::from_pem_file(std::path::Path::new("/dev/zero")).expect_err_recorded();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    let dir = std::env::temp_dir().join(format!("b2c-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("key.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let e = PrivateKey::from_pem_file(&fifo).expect_err_recorded();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.message().contains("not a regular file"), "{e}");
    // Too big to be a key: refused without reading it all.
    let big = dir.join("big.pem");
    std::fs::write(&big, vec![b'A'; 70 * 1024]).unwrap();
    assert_eq!(
        PrivateKey::from_pem_file(&big).expect_err_recorded().kind(),
        ErrorKind::KeyInvalid
    );
    assert_eq!(
        PrivateKey::from_pem(&"A".repeat(70 * 1024))
            .expect_err_recorded()
            .kind(),
        ErrorKind::KeyInvalid
    );
    // A directory.
    assert_eq!(
        PrivateKey::from_pem_file(&dir).expect_err_recorded().kind(),
        ErrorKind::Io
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debug_output_never_shows_key_material() {
    let key = PrivateKey::from_pem(&fixture("p256_pkcs8.pem")).unwrap();
    let dbg = format!("{key:?}");
    assert!(dbg.contains("redacted"));
    let pem = fixture("p256_pkcs8.pem");
    let body_line = pem.lines().nth(1).unwrap();
    assert!(!dbg.contains(&body_line[..20]));
}

#[test]
fn bad_claims_are_rejected_before_signing() {
    let key = PrivateKey::generate().unwrap();
    let mut p = params();
    p.device_ip = String::new();
    assert_eq!(
        mint_external_token(&key, &p, 0)
            .expect_err_recorded()
            .kind(),
        ErrorKind::InvalidArgument
    );
    let mut p = params();
    p.ttl = Duration::ZERO;
    assert_eq!(
        mint_external_token(&key, &p, 0)
            .expect_err_recorded()
            .kind(),
        ErrorKind::InvalidArgument
    );
}
