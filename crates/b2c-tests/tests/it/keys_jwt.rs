//! Keys in every form, and the external JWT verified by an independent implementation
//! (jsonwebtoken with RustCrypto's p256, not the AWS-LC signer b2c uses).

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
    ];
    for (file, kind) in cases {
        let err = PrivateKey::from_pem(&fixture(file)).unwrap_err();
        assert_eq!(err.kind(), kind, "{file}: {err}");
        assert!(!err.message().is_empty());
    }
    assert_eq!(
        PrivateKey::from_pem("").unwrap_err().kind(),
        ErrorKind::KeyInvalid
    );
    let truncated = fixture("p256_pkcs8.pem").replace("-----END PRIVATE KEY-----", "");
    assert_eq!(
        PrivateKey::from_pem(&truncated).unwrap_err().kind(),
        ErrorKind::KeyInvalid
    );
    assert_eq!(
        PrivateKey::from_pem_file(std::path::Path::new("/nonexistent/key.pem"))
            .unwrap_err()
            .kind(),
        ErrorKind::Io
    );
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
        mint_external_token(&key, &p, 0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let mut p = params();
    p.ttl = Duration::ZERO;
    assert_eq!(
        mint_external_token(&key, &p, 0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}
