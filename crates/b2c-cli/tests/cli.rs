//! The `b2c` binary, run as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use b2c_core::keys::PrivateKey;
use b2c_sandbox::{RegisteredKey, Sandbox, SandboxConfig};

fn b2c(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_b2c"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "B2C_BASE_URL",
        "B2C_ADMIN_ID",
        "B2C_DEVICE_IP",
        "B2C_KEY_ID",
        "B2C_PRIVATE_KEY",
        "B2C_API_KEY",
        "B2C_WEBHOOK_SECRET",
        "B2C_RETAILCRM_SECRET",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // The program may exit before reading its input (e.g. a missing flag): a broken pipe
    // here is not a failure; the exit status and output are what the tests check.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

/// Verify a compact ES256 JWS with `p256` (independently of b2c's signer) and return its
/// claims.
fn verify_es256(token: &str, public_pem: &str) -> serde_json::Value {
    use base64::Engine as _;
    use p256::ecdsa::signature::Verifier;
    use p256::pkcs8::DecodePublicKey;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS");
    let header: serde_json::Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let vk = p256::ecdsa::VerifyingKey::from_public_key_pem(public_pem).unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&b64.decode(parts[2]).unwrap()).unwrap();
    vk.verify(
        &token.as_bytes()[..parts[0].len() + 1 + parts[1].len()],
        &sig,
    )
    .expect("ES256 signature verifies");
    serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("b2c-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn keygen_pubkey_jwt() {
    let d = tmpdir("keys");
    let (private, public) = (d.join("k.pem"), d.join("k.pub"));
    let o = b2c(
        &[
            "keygen",
            "--private",
            private.to_str().unwrap(),
            "--public",
            public.to_str().unwrap(),
        ],
        &[],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // keygen never overwrites an existing key.
    let again = b2c(
        &[
            "keygen",
            "--private",
            private.to_str().unwrap(),
            "--public",
            public.to_str().unwrap(),
        ],
        &[],
        b"",
    );
    assert_eq!(again.status.code(), Some(1));
    let o = b2c(
        &["pubkey", "--private", private.to_str().unwrap()],
        &[],
        b"",
    );
    assert_eq!(stdout(&o), std::fs::read_to_string(&public).unwrap());
    // jwt with flags from the environment, verified independently.
    let o = b2c(
        &["jwt", "--ttl", "60", "--issuer", "cli"],
        &[
            ("B2C_PRIVATE_KEY", private.to_str().unwrap()),
            ("B2C_ADMIN_ID", "42"),
            ("B2C_DEVICE_IP", "203.0.113.10"),
            ("B2C_KEY_ID", "k1"),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let token = stdout(&o).trim().to_string();
    let claims = verify_es256(&token, &std::fs::read_to_string(&public).unwrap());
    assert_eq!(claims["iss"], "cli");
    assert_eq!(claims["admin_id"], 42);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        60
    );
    // Missing flags: a usage error (exit 2) naming the flag.
    let o = b2c(&["jwt", "--private", private.to_str().unwrap()], &[], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--admin-id"), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
}

#[test]
fn sign_from_stdin_and_file() {
    let o = b2c(
        &["sign", "--key", "Jefe"],
        &[],
        b"what do ya want for nothing?",
    );
    assert_eq!(
        stdout(&o).trim(),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let d = tmpdir("sign");
    let f = d.join("body");
    std::fs::write(&f, b"what do ya want for nothing?").unwrap();
    let o = b2c(
        &["sign", "--key", "Jefe", "--file", f.to_str().unwrap()],
        &[],
        b"",
    );
    assert_eq!(
        stdout(&o).trim(),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let o = b2c(&["sign", "--key", "k", "--bogus"], &[], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error: unexpected argument '--bogus'"));
    // The key from a file (one line) or the environment: no warning.
    let kf = d.join("key");
    std::fs::write(&kf, b"Jefe\n").unwrap();
    for (args, env) in [
        (vec!["sign", "--key-file", kf.to_str().unwrap()], vec![]),
        (vec!["sign"], vec![("B2C_SIGN_KEY", "Jefe")]),
    ] {
        let o = b2c(&args, &env, b"what do ya want for nothing?");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            stdout(&o).trim(),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(stderr(&o), "", "no warning for {args:?}");
    }
    // The literal works but warns; a literal naming a file is refused (it is --key-file
    // mistyped, and the file name would silently become the key).
    let o = b2c(&["sign", "--key", "Jefe"], &[], b"x");
    assert!(stderr(&o).contains("warning: --key puts a secret on the command line"));
    assert!(!stderr(&o).contains("Jefe"), "the secret is not echoed");
    let o = b2c(&["sign", "--key", kf.to_str().unwrap()], &[], b"x");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--key-file"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing signed");
    // No key at all: a usage error naming every source.
    let o = b2c(&["sign"], &[], b"x");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--key-file FILE, the B2C_SIGN_KEY environment variable"));
    // Both forms at once: refused.
    let o = b2c(
        &["sign", "--key", "a", "--key-file", kf.to_str().unwrap()],
        &[],
        b"x",
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn fee_exit_codes_against_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig {
        pending_polls: 2,
        error_logins: vec!["999999".into()],
        ..Default::default()
    })
    .unwrap();
    let key = PrivateKey::generate().unwrap();
    sandbox
        .register_key(RegisteredKey {
            key_id: "k1".into(),
            public_key_pem: key.public_key_pem().unwrap(),
            admin_id: 42,
            allowed_ips: vec![],
        })
        .unwrap();
    let d = tmpdir("fee");
    let kp = d.join("k.pem");
    std::fs::write(&kp, key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let url = sandbox.base_url();
    let env = [
        ("B2C_BASE_URL", url.as_str()),
        ("B2C_PRIVATE_KEY", kp.to_str().unwrap()),
        ("B2C_ADMIN_ID", "42"),
        ("B2C_DEVICE_IP", "127.0.0.1"),
        ("B2C_KEY_ID", "k1"),
    ];

    let o = b2c(
        &[
            "fee",
            "--account",
            "123456",
            "--request-id",
            "r1",
            "--wait",
            "10",
            "--poll-interval-ms",
            "10",
        ],
        &env,
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("status: PENDING (poll 1"), "{out}");
    assert!(out.contains("status: SUCCESS (poll 3"), "{out}");
    assert!(out.trim_end().ends_with("final: SUCCESS"), "{out}");

    let o = b2c(
        &[
            "fee",
            "--account",
            "999999",
            "--request-id",
            "r2",
            "--wait",
            "10",
            "--poll-interval-ms",
            "10",
        ],
        &env,
        b"",
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("INSUFFICIENT_FUNDS"),
        "details surfaced: {}",
        stderr(&o)
    );

    // One-shot: still PENDING -> 4.
    let o = b2c(
        &["fee", "--account", "123456", "--request-id", "r3"],
        &env,
        b"",
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stdout(&o).contains("final: PENDING"));

    // Unregistered key id: 1 with the server's reason.
    let mut bad = env;
    bad[4] = ("B2C_KEY_ID", "nope");
    let o = b2c(
        &["fee", "--account", "123456", "--request-id", "r4"],
        &bad,
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("rejected"), "{}", stderr(&o));
    sandbox.shutdown();
}

#[test]
fn crm_and_webhook_signatures() {
    let o = b2c(
        &["crm-sign", "--api-key", "Jefe"],
        &[],
        b"what do ya want for nothing?",
    );
    assert_eq!(stdout(&o), "key: Jefe\nsignature: sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843\n");
    // GET and empty bodies carry no signature; the key may come from the environment.
    let o = b2c(
        &["crm-sign", "--method", "GET"],
        &[("B2C_API_KEY", "Jefe")],
        b"",
    );
    assert_eq!(stdout(&o), "key: Jefe\n");
    let o = b2c(
        &["crm-sign", "--method", "PATCH"],
        &[("B2C_API_KEY", "Jefe")],
        b"",
    );
    assert_eq!(stdout(&o), "key: Jefe\n");
    let good = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    let o = b2c(
        &["crm-verify", "--api-key", "Jefe", "--signature", good],
        &[],
        b"what do ya want for nothing?",
    );
    assert_eq!(o.status.code(), Some(0));
    let o = b2c(
        &["crm-verify", "--api-key", "Jefe", "--signature", good],
        &[],
        b"what do ya want for nothing!",
    );
    assert_eq!(o.status.code(), Some(3));

    let vector = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    for sig in [vector.to_string(), format!("sha256={vector}")] {
        let o = b2c(
            &["webhook-verify", "--signature", &sig],
            &[("B2C_WEBHOOK_SECRET", "It's a Secret to Everybody")],
            b"Hello, World!",
        );
        assert_eq!(o.status.code(), Some(0), "{sig}");
    }
    let o = b2c(
        &["webhook-verify", "--secret", "wrong", "--signature", vector],
        &[],
        b"Hello, World!",
    );
    assert_eq!(o.status.code(), Some(3));
    let o = b2c(
        &["webhook-verify", "--signature", vector],
        &[],
        b"Hello, World!",
    );
    assert_eq!(o.status.code(), Some(2), "no secret at all");
    assert!(stderr(&o).contains("B2C_WEBHOOK_SECRET"));
}

#[test]
fn retailcrm_token_and_help() {
    let o = b2c(
        &["retailcrm-token", "--secret", "s", "--api-key", "a"],
        &[],
        b"",
    );
    let token = stdout(&o).trim().to_string();
    assert_eq!(
        token,
        b2c_core::signature::hex_lower(&b2c_core::signature::hmac_sha256(b"s", b"a"))
    );
    let o = b2c(
        &["retailcrm-token", "--api-key", "a", "--verify", &token],
        &[("B2C_RETAILCRM_SECRET", "s")],
        b"",
    );
    assert_eq!(o.status.code(), Some(0));
    let o = b2c(
        &[
            "retailcrm-token",
            "--secret",
            "s",
            "--api-key",
            "b",
            "--verify",
            &token,
        ],
        &[],
        b"",
    );
    assert_eq!(o.status.code(), Some(3));
    let o = b2c(&["--help"], &[], b"");
    assert!(
        stdout(&o).contains("shell history"),
        "help explains why env vars are safer"
    );
    assert_eq!(b2c(&["nope"], &[], b"").status.code(), Some(2));
}

#[test]
fn help_and_version_on_every_subcommand() {
    let o = b2c(&["--version"], &[], b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o).trim(),
        format!("b2c {}", env!("CARGO_PKG_VERSION"))
    );
    for cmd in [
        "keygen",
        "pubkey",
        "jwt",
        "sign",
        "fee",
        "crm-sign",
        "crm-verify",
        "webhook-verify",
        "b2binpay-token",
        "retailcrm-token",
    ] {
        let o = b2c(&[cmd, "--help"], &[], b"");
        assert_eq!(o.status.code(), Some(0), "{cmd} --help: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains(&format!("Usage: b2c {cmd}")), "{cmd}: {out}");
        let o = b2c(&[cmd, "--version"], &[], b"");
        assert_eq!(o.status.code(), Some(0), "{cmd} --version");
        // One error style and one exit code for every usage error.
        let o = b2c(&[cmd, "--no-such-flag"], &[], b"");
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(stderr(&o).starts_with("error: "), "{cmd}: {}", stderr(&o));
    }
    let o = b2c(&["sandbox", "--help"], &[], b"");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("b2c-sandbox"));
    let o = b2c(&["--help"], &[], b"");
    assert!(
        stdout(&o).contains("Exit codes"),
        "the exit-code table is in --help"
    );
}

#[test]
fn b2binpay_token_against_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let base = format!("{}/b2binpay", sandbox.base_url());
    let env = [
        ("B2C_B2BINPAY_LOGIN", "sandbox-login"),
        ("B2C_B2BINPAY_PASSWORD", "sandbox-password"),
    ];
    let o = b2c(
        &["b2binpay-token", "--base-url", &base, "--refresh"],
        &env,
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_ne!(lines[0], lines[1], "the refresh rotated the access token");
    let st = sandbox.b2binpay().stats();
    assert_eq!((st.token_ok, st.refresh_ok, st.refresh_replayed), (1, 1, 0));

    let o = b2c(
        &[
            "b2binpay-token",
            "--base-url",
            &base,
            "--login",
            "sandbox-login",
            "--password",
            "wrong",
        ],
        &[],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        !stderr(&o).contains("wrong"),
        "the password is not echoed: {}",
        stderr(&o)
    );
    // A meta.sign that does not verify is a signature failure like any other: exit 3.
    sandbox.b2binpay().tamper_next_signs(1);
    let o = b2c(&["b2binpay-token", "--base-url", &base], &env, b"");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "no token printed");
    sandbox.shutdown();
}
