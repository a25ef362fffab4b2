//! The `b2c` command-line tool (the binary in `src/bin/b2c.rs` is a one-line wrapper).
//!
//! Exit codes: 0 ok (SUCCESS / valid), 3 fee ERROR or signature invalid, 4 still PENDING,
//! 1 any other failure (message on stderr).

use std::io::{Read, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::args::Args;
use b2c_core::b2copy::{
    mint_external_token, Client, ClientConfig, ExternalTokenParams, FeeStatus, Progress,
};
use b2c_core::keys::PrivateKey;
use b2c_core::{Error, ErrorKind};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILURE: i32 = 1;
pub const EXIT_FEE_ERROR: i32 = 3;
pub const EXIT_INVALID: i32 = 3;
pub const EXIT_PENDING: i32 = 4;

const USAGE: &str = "\
b2c — B2COPY and neighbours from the command line

USAGE:
  b2c keygen --private PATH --public PATH
  b2c pubkey --private PATH
  b2c jwt --private PATH --admin-id N --device-ip IP --key-id ID [--ttl S] [--issuer S]
  b2c sign --key KEY [--file PATH]
  b2c fee --base-url URL --private PATH --admin-id N --device-ip IP --key-id ID
          --account LOGIN --request-id ID [--wait S] [--poll-interval-ms MS]
  b2c sandbox [--port N] ...           (b2c sandbox --help for its flags)

  b2c crm-sign --api-key KEY [--method POST] [--file PATH]
        prints the CRM Open API headers to send: `key: KEY` and, for POST/PATCH/PUT with a
        non-empty body, `signature: sha256=<hex>`. Sign the exact bytes you send.
  b2c crm-verify --api-key KEY --signature VALUE [--file PATH]
  b2c webhook-verify --secret SECRET --signature VALUE [--file PATH]   (VALUE with or without sha256=)
  b2c b2binpay-token --base-url URL --login LOGIN --password PASSWORD [--refresh]
        obtains a token pair, verifies meta.sign, prints the access token; with --refresh,
        refreshes once and prints the new access token on a second line.
  b2c retailcrm-token --secret SECRET --api-key KEY [--verify TOKEN]

  Bodies come from --file PATH, or stdin without --file.

Environment variables give defaults for the same flags:
  B2C_BASE_URL (--base-url), B2C_ADMIN_ID (--admin-id), B2C_DEVICE_IP (--device-ip),
  B2C_KEY_ID (--key-id), B2C_PRIVATE_KEY (--private, a path),
  B2C_API_KEY (--api-key), B2C_WEBHOOK_SECRET (webhook-verify --secret),
  B2C_B2BINPAY_LOGIN (--login), B2C_B2BINPAY_PASSWORD (--password),
  B2C_RETAILCRM_SECRET (retailcrm-token --secret).
  Prefer the variables for secrets: a command line is visible to every user of the
  machine (ps, /proc/PID/cmdline) and is kept in shell history; the environment of a
  process is readable only by its owner and root.

Exit codes: 0 ok/SUCCESS/valid, 3 fee ERROR or signature invalid, 4 still PENDING,
1 any other failure (message on stderr).
";

/// Run the CLI with `args` (without the program name); returns the exit code.
pub fn main(args: Vec<String>) -> i32 {
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return EXIT_FAILURE;
    };
    let rest = rest.to_vec();
    let result = match cmd.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return EXIT_OK;
        }
        "-V" | "--version" => {
            println!("b2c {}", b2c_core::VERSION);
            return EXIT_OK;
        }
        "sandbox" => return b2c_sandbox::cli_main(rest),
        "keygen" => keygen(rest),
        "pubkey" => pubkey(rest),
        "jwt" => jwt(rest),
        "sign" => sign(rest),
        "fee" => return fee(rest),
        "crm-sign" => crm_sign(rest),
        "crm-verify" => crm_verify(rest),
        "webhook-verify" => webhook_verify(rest),
        "b2binpay-token" => b2binpay_token(rest),
        "retailcrm-token" => retailcrm_token(rest),
        other => Err(Error::invalid_arg(format!(
            "unknown command `{other}`; see b2c --help"
        ))),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("b2c {cmd}: {e}");
            EXIT_FAILURE
        }
    }
}

fn load_key(a: &Args) -> Result<PrivateKey, Error> {
    let path = a.required("private", Some("B2C_PRIVATE_KEY"))?;
    PrivateKey::from_pem_file(Path::new(&path))
}

fn jwt_params(a: &Args) -> Result<ExternalTokenParams, Error> {
    let admin_id = a.required("admin-id", Some("B2C_ADMIN_ID"))?;
    let admin_id = admin_id
        .parse::<u64>()
        .map_err(|_| Error::invalid_arg("--admin-id must be a non-negative integer"))?;
    Ok(ExternalTokenParams {
        admin_id,
        device_ip: a.required("device-ip", Some("B2C_DEVICE_IP"))?,
        key_id: a.required("key-id", Some("B2C_KEY_ID"))?,
        issuer: a.optional("issuer", None).unwrap_or_else(|| "b2c".into()),
        ttl: Duration::from_secs(a.number("ttl")?.unwrap_or(300)),
        kid_header: false,
    })
}

fn write_private(path: &str, pem: &str) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::new(ErrorKind::Io, format!("cannot write {path}: {e}"));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(pem.as_bytes()).map_err(io)
}

fn keygen(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["private", "public"], &[])?;
    let private = a.required("private", None)?;
    let public = a.required("public", None)?;
    let key = PrivateKey::generate()?;
    write_private(&private, &key.to_pkcs8_pem()?)?;
    std::fs::write(&public, key.public_key_pem()?)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write {public}: {e}")))?;
    eprintln!("wrote {private} (mode 600) and {public}; send the public key to B2COPY support");
    Ok(EXIT_OK)
}

fn pubkey(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["private"], &[])?;
    print!("{}", load_key(&a)?.public_key_pem()?);
    Ok(EXIT_OK)
}

fn jwt(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(
        rest,
        &[
            "private",
            "admin-id",
            "device-ip",
            "key-id",
            "ttl",
            "issuer",
        ],
        &[],
    )?;
    let key = load_key(&a)?;
    let token = mint_external_token(&key, &jwt_params(&a)?, b2c_core::timeutil::unix_now())?;
    println!("{}", token.as_str());
    Ok(EXIT_OK)
}

/// The body to sign: `--file PATH`, or stdin.
fn read_body(a: &Args) -> Result<Vec<u8>, Error> {
    match a.optional("file", None) {
        Some(p) => std::fs::read(&p)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read {p}: {e}"))),
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read stdin: {e}")))?;
            Ok(buf)
        }
    }
}

fn sign(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["key", "file"], &[])?;
    let key = Zeroizing::new(a.required("key", None)?);
    let body = read_body(&a)?;
    println!(
        "{}",
        b2c_core::signature::sign_payload(key.as_bytes(), &body)
    );
    Ok(EXIT_OK)
}

fn fee(rest: Vec<String>) -> i32 {
    match fee_inner(rest) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("b2c fee: {e}");
            EXIT_FAILURE
        }
    }
}

fn fee_inner(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(
        rest,
        &[
            "base-url",
            "private",
            "admin-id",
            "device-ip",
            "key-id",
            "account",
            "request-id",
            "wait",
            "poll-interval-ms",
        ],
        &[],
    )?;
    let key = load_key(&a)?;
    let mut cfg = ClientConfig::new(
        a.required("base-url", Some("B2C_BASE_URL"))?,
        jwt_params(&a)?,
    );
    if let Some(ms) = a.number("poll-interval-ms")? {
        if ms == 0 {
            return Err(Error::invalid_arg("--poll-interval-ms must be > 0"));
        }
        cfg.poll_interval = Duration::from_millis(ms);
    }
    let wait = a.number("wait")?.map(Duration::from_secs);
    let account = a.required("account", None)?;
    let request_id = a.required("request-id", None)?;
    let client = Client::new(cfg, key)?;
    let mut out = std::io::stdout();
    let mut on_progress = |p: &Progress| {
        let _ = writeln!(
            out,
            "status: {} (poll {}, {} ms)",
            p.status.name(),
            p.attempt,
            p.elapsed.as_millis()
        );
        let _ = out.flush();
        ControlFlow::Continue(())
    };
    let result = client.fee_process(&account, &request_id, wait, Some(&mut on_progress))?;
    match result.status {
        FeeStatus::Success => {
            println!("final: SUCCESS");
            Ok(EXIT_OK)
        }
        FeeStatus::Error => {
            println!("final: ERROR");
            eprintln!(
                "b2c fee: {}",
                result
                    .outcome_error(&request_id)
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            );
            Ok(EXIT_FEE_ERROR)
        }
        FeeStatus::Pending => {
            println!("final: PENDING");
            if wait.is_some() {
                eprintln!("b2c fee: still PENDING when the wait ended");
            }
            Ok(EXIT_PENDING)
        }
    }
}

fn verdict(valid: bool, what: &str) -> i32 {
    if valid {
        println!("valid");
        EXIT_OK
    } else {
        println!("invalid");
        eprintln!("{what} does not match");
        EXIT_INVALID
    }
}

fn crm_sign(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["api-key", "method", "file"], &[])?;
    let key = Zeroizing::new(a.required("api-key", Some("B2C_API_KEY"))?);
    let method = a.optional("method", None).unwrap_or_else(|| "POST".into());
    let body = read_body(&a)?;
    for (name, value) in b2c_core::crm_openapi::sign_request(&key, &method, &body) {
        println!("{name}: {value}");
    }
    Ok(EXIT_OK)
}

fn crm_verify(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["api-key", "signature", "file"], &[])?;
    let key = Zeroizing::new(a.required("api-key", Some("B2C_API_KEY"))?);
    let sig = a.required("signature", None)?;
    let body = read_body(&a)?;
    Ok(verdict(
        b2c_core::crm_openapi::verify_signature(&key, &body, &sig),
        "signature",
    ))
}

fn webhook_verify(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["secret", "signature", "file"], &[])?;
    let secret = Zeroizing::new(a.required("secret", Some("B2C_WEBHOOK_SECRET"))?);
    let sig = a.required("signature", None)?;
    let body = read_body(&a)?;
    Ok(verdict(
        b2c_core::crm_openapi::verify_webhook(secret.as_bytes(), &body, &sig),
        "X-Crm-Signature",
    ))
}

fn b2binpay_token(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["base-url", "login", "password"], &["refresh"])?;
    let login = Zeroizing::new(a.required("login", Some("B2C_B2BINPAY_LOGIN"))?);
    let password = Zeroizing::new(a.required("password", Some("B2C_B2BINPAY_PASSWORD"))?);
    let base = a.required("base-url", Some("B2C_BASE_URL"))?;
    let cfg = b2c_core::b2binpay::B2binpayConfig::new(&base, &login, &password);
    let http = b2c_core::http::HttpClient::new(b2c_core::http::HttpConfig::default())?;
    let client = b2c_core::b2binpay::B2binpayClient::new(cfg, http)?;
    client.login()?;
    println!("{}", client.access_token()?.as_str());
    if a.switch("refresh") {
        client.refresh()?;
        println!("{}", client.access_token()?.as_str());
    }
    Ok(EXIT_OK)
}

fn retailcrm_token(rest: Vec<String>) -> Result<i32, Error> {
    let a = Args::parse(rest, &["secret", "api-key", "verify"], &[])?;
    let secret = Zeroizing::new(a.required("secret", Some("B2C_RETAILCRM_SECRET"))?);
    let api_key = Zeroizing::new(a.required("api-key", Some("B2C_API_KEY"))?);
    match a.optional("verify", None) {
        Some(token) => Ok(verdict(
            b2c_core::retailcrm::verify_register_token(&secret, &api_key, &token),
            "register token",
        )),
        None => {
            println!("{}", b2c_core::retailcrm::register_token(&secret, &api_key));
            Ok(EXIT_OK)
        }
    }
}
