//! The subcommands. Each returns an [`Exit`] or a [`CliError`]; [`run`] prints errors in one
//! style (`error: ...` on stderr, like clap's own) and maps them to the exit-code table.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use zeroize::Zeroizing;

use b2c_core::b2copy::{
    mint_external_token, Client, ClientConfig, ExternalTokenParams, FeeStatus, Progress,
};
use b2c_core::keys::PrivateKey;
use b2c_core::{Error, ErrorKind};

use crate::secret::SecretArg;

/// The exit-code table shared by every subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// ok, fee SUCCESS, signature valid
    Ok = 0,
    /// any failure (network, credentials rejected, I/O, ...)
    Failure = 1,
    /// a usage error (unknown flag, missing argument, bad value)
    Usage = 2,
    /// a signature that does not verify, or fee status ERROR
    Invalid = 3,
    /// fee processing still PENDING
    Pending = 4,
}

/// A failure of a subcommand.
#[derive(Debug)]
pub enum CliError {
    /// Wrong use of the command line (exit 2).
    Usage(String),
    /// A local failure described in words (exit 1).
    Failure(String),
    /// A failure of the library (exit 1, or 3 for signatures, 4 for PENDING).
    Lib(Error),
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Lib(e)
    }
}

impl CliError {
    fn exit(&self) -> Exit {
        match self {
            CliError::Usage(_) => Exit::Usage,
            CliError::Failure(_) => Exit::Failure,
            CliError::Lib(e) => match e.kind() {
                ErrorKind::SignatureInvalid
                | ErrorKind::ResponseSignatureInvalid
                | ErrorKind::FeeError => Exit::Invalid,
                ErrorKind::StillPending => Exit::Pending,
                _ => Exit::Failure,
            },
        }
    }

    fn message(&self) -> &str {
        match self {
            CliError::Usage(m) | CliError::Failure(m) => m,
            CliError::Lib(e) => e.message(),
        }
    }
}

type CmdResult = Result<Exit, CliError>;

const EXIT_CODES: &str = "\
Exit codes (every subcommand):
  0  ok: fee SUCCESS, signature valid
  1  failure (network, credentials rejected, I/O, ...); the message is on stderr
  2  usage error (unknown flag, missing or bad argument)
  3  a signature that does not verify (crm-verify, webhook-verify, retailcrm-token --verify,
     B2BINPAY meta.sign), or fee status ERROR
  4  fee processing still PENDING

Secrets (API keys, webhook secrets, passwords, HMAC keys) come from --NAME-file FILE or their
B2C_* environment variable. --NAME VALUE works too but warns: a command line is visible to
every user of the machine (ps) and is kept in shell history.";

#[derive(Parser)]
#[command(
    name = "b2c",
    version,
    about = "B2COPY and its neighbours (CRM Open API, B2BINPAY, RetailCRM) from the command line",
    after_help = EXIT_CODES,
    propagate_version = true,
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print the library's log events to stderr: -v token exchanges, retries and warnings
    /// (info), -vv also every HTTP exchange and connection (debug). Secrets are redacted.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// The same with a level name (overrides -v).
    #[arg(
        long,
        global = true,
        value_name = "LEVEL",
        value_parser = ["error", "warn", "info", "debug", "trace"]
    )]
    log_level: Option<String>,
}

/// Route the library's events to stderr at the level the flags ask for (none: only the
/// must-see events, as the library writes them itself).
fn install_logging(verbose: u8, log_level: Option<&str>) {
    use b2c_core::telemetry::{set_global_sink, Level, StderrSink};
    let level = match (log_level.and_then(Level::parse), verbose) {
        (Some(l), _) => l,
        (None, 0) => return,
        (None, 1) => Level::Info,
        (None, 2) => Level::Debug,
        (None, _) => Level::Trace,
    };
    set_global_sink(Some(std::sync::Arc::new(StderrSink)), level);
}

#[derive(Subcommand)]
enum Command {
    /// Make a P-256 key pair: the private key (PKCS#8 PEM, mode 600) and the public key to
    /// send to B2COPY support. Never overwrites a file.
    Keygen {
        /// Where to write the private key.
        #[arg(long, value_name = "PATH")]
        private: PathBuf,
        /// Where to write the public key (SPKI PEM).
        #[arg(long, value_name = "PATH")]
        public: PathBuf,
    },
    /// Print the public key (SPKI PEM) of a private key.
    Pubkey {
        #[command(flatten)]
        key: KeyArg,
    },
    /// Mint a B2COPY external JWT (ES256) and print it.
    Jwt {
        #[command(flatten)]
        key: KeyArg,
        #[command(flatten)]
        claims: ClaimArgs,
    },
    /// Print sha256=<hex HMAC-SHA256(key, body)> of a body (stdin, or --file).
    Sign {
        #[command(flatten)]
        key: HmacKeyArgs,
        #[command(flatten)]
        body: BodyArg,
    },
    /// Charge the fees due for a withdrawal (B2COPY processext), optionally waiting for the
    /// final status. Prints each status seen and ends with `final: <STATUS>`.
    Fee(FeeArgs),
    /// Any other B2COPY request with the client's access token (refreshed and renewed as
    /// for `fee`); prints the response body; exit 0 for a 2xx answer, 1 otherwise.
    Call(CallArgs),
    /// A signed CRM Open API call (key + signature over the bytes sent; JSON bodies go in
    /// their normal form unless --raw); prints the response body; exit 3 on
    /// invalid_signature, 1 on another non-2xx answer.
    CrmCall {
        /// GET, POST, PUT, PATCH or DELETE.
        method: String,
        /// The path relative to --base-url, with an optional query.
        path: String,
        /// The CRM's base URL.
        #[arg(long, value_name = "URL")]
        base_url: String,
        #[command(flatten)]
        key: ApiKeyArgs,
        /// Send the contents of this file as the body.
        #[arg(long, value_name = "FILE")]
        data_file: Option<PathBuf>,
        /// Send and sign the body's bytes untouched (not in the JSON normal form).
        #[arg(long)]
        raw: bool,
    },
    /// Run the offline sandbox (the same flags as b2c-sandbox; `b2c sandbox --help`).
    #[command(disable_help_flag = true)]
    Sandbox {
        /// Flags for the sandbox.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "FLAGS"
        )]
        args: Vec<String>,
    },
    /// Print the CRM Open API headers for a request: `key: ...` and, for POST/PATCH/PUT with a
    /// non-empty body, `signature: sha256=<hex>`. Sign the exact bytes you send.
    CrmSign {
        #[command(flatten)]
        key: ApiKeyArgs,
        /// The HTTP method of the request (GET, POST, PUT, PATCH, DELETE).
        #[arg(long, default_value = "POST")]
        method: String,
        #[command(flatten)]
        body: BodyArg,
    },
    /// Check a CRM Open API `signature` header against a body (exit 3 when it does not match).
    CrmVerify {
        #[command(flatten)]
        key: ApiKeyArgs,
        /// The `signature` header value (sha256=<hex>).
        #[arg(long)]
        signature: String,
        #[command(flatten)]
        body: BodyArg,
    },
    /// Check a webhook's X-Crm-Signature (with or without sha256=) against its raw body, keyed
    /// with the webhook secret (exit 3 when it does not match).
    WebhookVerify {
        #[command(flatten)]
        secret: WebhookSecretArgs,
        /// The X-Crm-Signature header value.
        #[arg(long)]
        signature: String,
        #[command(flatten)]
        body: BodyArg,
    },
    /// Obtain a B2BINPAY token pair (meta.sign verified; exit 3 when it does not verify) and
    /// print the access token; with --refresh, refresh once and print the new one too.
    B2binpayToken {
        /// The B2BINPAY API base URL, e.g. https://api.b2binpay.com/
        #[arg(long, env = "B2C_BASE_URL", hide_env_values = true, value_name = "URL")]
        base_url: String,
        #[command(flatten)]
        login: B2binpayLoginArgs,
        #[command(flatten)]
        password: B2binpayPasswordArgs,
        /// Refresh once after logging in.
        #[arg(long)]
        refresh: bool,
    },
    /// Print the RetailCRM register token for an apiKey, or check one with --verify (exit 3
    /// when it does not match).
    RetailcrmToken {
        #[command(flatten)]
        secret: RetailcrmSecretArgs,
        #[command(flatten)]
        api_key: ApiKeyArgs,
        /// A register[token] to check instead of printing one.
        #[arg(long, value_name = "TOKEN")]
        verify: Option<String>,
    },
}

/// `--private PATH` (or B2C_PRIVATE_KEY).
#[derive(Args)]
struct KeyArg {
    /// The private key PEM file (PKCS#8 or SEC1).
    #[arg(
        long = "private",
        env = "B2C_PRIVATE_KEY",
        hide_env_values = true,
        value_name = "PATH"
    )]
    path: PathBuf,
}

#[derive(Args)]
struct ClaimArgs {
    /// The service admin's id (the JWT admin_id claim, a number).
    #[arg(long, env = "B2C_ADMIN_ID", hide_env_values = true, value_name = "N")]
    admin_id: u64,
    /// The IP registered with B2COPY (the device_ip claim).
    #[arg(long, env = "B2C_DEVICE_IP", hide_env_values = true, value_name = "IP")]
    device_ip: String,
    /// The key identifier registered with B2COPY (the key_id claim).
    #[arg(long, env = "B2C_KEY_ID", hide_env_values = true, value_name = "ID")]
    key_id: String,
    /// JWT lifetime in seconds.
    #[arg(long, value_name = "S", default_value_t = 300)]
    ttl: u64,
    /// The JWT iss claim.
    #[arg(long, value_name = "S", default_value = "b2c")]
    issuer: String,
}

/// What makes a B2COPY client: base URL, key, claims, token store.
#[derive(Args)]
struct ClientArgs {
    /// The B2COPY base URL (https; http only for loopback).
    #[arg(long, env = "B2C_BASE_URL", hide_env_values = true, value_name = "URL")]
    base_url: String,
    #[command(flatten)]
    key: KeyArg,
    #[command(flatten)]
    claims: ClaimArgs,
    /// Keep the token pair in this directory (mode 0700, created if missing) and share it with
    /// every other process using it: runs one after another authenticate once.
    #[arg(long, env = "B2C_TOKEN_STORE", value_name = "DIR")]
    token_store: Option<PathBuf>,
}

#[derive(Args)]
struct CallArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// GET, POST, PUT, PATCH or DELETE.
    method: String,
    /// The path relative to the base URL, with an optional query (e.g. /api/admin/...?x=1).
    path: String,
    /// Send the contents of this file as the JSON body.
    #[arg(long, value_name = "FILE")]
    data_file: Option<PathBuf>,
    /// Retry a POST or PATCH like an idempotent call.
    #[arg(long)]
    idempotent: bool,
}

#[derive(Args)]
struct FeeArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The investment account's login.
    #[arg(
        long,
        env = "B2C_ACCOUNT",
        hide_env_values = true,
        value_name = "LOGIN"
    )]
    account: String,
    /// The CRM's withdrawal id (the idempotency key of processext).
    #[arg(
        long,
        env = "B2C_REQUEST_ID",
        hide_env_values = true,
        value_name = "ID"
    )]
    request_id: String,
    /// Wait up to S seconds for a final status (0 or absent: one request).
    #[arg(long, value_name = "S")]
    wait: Option<u64>,
    /// Polling interval while PENDING, jittered to 75-125 % (default 4000).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    poll_interval_ms: Option<u64>,
}

/// The body to sign or check: `--file PATH`, else stdin.
#[derive(Args)]
struct BodyArg {
    /// Read the body from this file instead of stdin.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
}

/// Declares a secret's three forms: `--NAME VALUE`, `--NAME-file FILE`, and its variable.
macro_rules! secret_args {
    ($ty:ident, $field:ident, $flag:literal, $file_flag:literal, $env:literal, $what:literal) => {
        #[derive(Args)]
        struct $ty {
            #[doc = concat!("The ", $what, " itself (warned: visible in ps and shell history; prefer --", $file_flag, " or ", $env, ").")]
            #[arg(id = $flag, long = $flag, value_name = "VALUE", conflicts_with = $file_flag)]
            $field: Option<String>,
            #[doc = concat!("Read the ", $what, " from this file (one line).")]
            #[arg(id = $file_flag, long = $file_flag, value_name = "FILE")]
            file: Option<PathBuf>,
        }

        impl $ty {
            fn resolve(self) -> Result<Zeroizing<String>, CliError> {
                SecretArg {
                    flag: $flag,
                    env: $env,
                    literal: self.$field,
                    file: self.file,
                }
                .resolve()
            }
        }
    };
}

secret_args!(
    HmacKeyArgs,
    key,
    "key",
    "key-file",
    "B2C_SIGN_KEY",
    "HMAC key"
);
secret_args!(
    ApiKeyArgs,
    api_key,
    "api-key",
    "api-key-file",
    "B2C_API_KEY",
    "API key"
);
secret_args!(
    WebhookSecretArgs,
    secret,
    "secret",
    "secret-file",
    "B2C_WEBHOOK_SECRET",
    "webhook secret"
);
secret_args!(
    B2binpayLoginArgs,
    login,
    "login",
    "login-file",
    "B2C_B2BINPAY_LOGIN",
    "B2BINPAY login (API key)"
);
secret_args!(
    B2binpayPasswordArgs,
    password,
    "password",
    "password-file",
    "B2C_B2BINPAY_PASSWORD",
    "B2BINPAY password (API secret)"
);
secret_args!(
    RetailcrmSecretArgs,
    secret,
    "secret",
    "secret-file",
    "B2C_RETAILCRM_SECRET",
    "RetailCRM module secret"
);

/// Parse `args` (with the program name first), run the subcommand, print any error, and
/// return the exit code.
pub fn run(args: Vec<OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are "errors" that print to stdout and exit 0.
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code as u8;
        }
    };
    install_logging(cli.verbose, cli.log_level.as_deref());
    let result = match cli.command {
        Command::Keygen { private, public } => keygen(&private, &public),
        Command::Pubkey { key } => pubkey(&key),
        Command::Jwt { key, claims } => jwt(&key, &claims),
        Command::Sign { key, body } => sign(key, &body),
        Command::Fee(a) => fee(a),
        Command::Call(a) => call(a),
        Command::CrmCall {
            method,
            path,
            base_url,
            key,
            data_file,
            raw,
        } => crm_call(&method, &path, &base_url, key, &data_file, raw),
        Command::Sandbox { args } => {
            return u8::try_from(b2c_sandbox::cli_main(args)).unwrap_or(Exit::Failure as u8)
        }
        Command::CrmSign { key, method, body } => crm_sign(key, &method, &body),
        Command::CrmVerify {
            key,
            signature,
            body,
        } => crm_verify(key, &signature, &body),
        Command::WebhookVerify {
            secret,
            signature,
            body,
        } => webhook_verify(secret, &signature, &body),
        Command::B2binpayToken {
            base_url,
            login,
            password,
            refresh,
        } => b2binpay_token(&base_url, login, password, refresh),
        Command::RetailcrmToken {
            secret,
            api_key,
            verify,
        } => retailcrm_token(secret, api_key, verify),
    };
    match result {
        Ok(code) => code as u8,
        Err(e) => {
            eprintln!("error: {}", e.message());
            if matches!(e, CliError::Usage(_)) {
                eprintln!("\nFor more information, try '--help'.");
            }
            e.exit() as u8
        }
    }
}

fn load_key(k: &KeyArg) -> Result<PrivateKey, CliError> {
    Ok(PrivateKey::from_pem_file(&k.path)?)
}

fn jwt_params(c: &ClaimArgs) -> ExternalTokenParams {
    ExternalTokenParams {
        admin_id: c.admin_id,
        device_ip: c.device_ip.clone(),
        key_id: c.key_id.clone(),
        issuer: c.issuer.clone(),
        ttl: Duration::from_secs(c.ttl),
        kid_header: false,
    }
}

fn io_fail(what: &Path, e: std::io::Error) -> CliError {
    CliError::Failure(format!("cannot write {}: {e}", what.display()))
}

fn write_new_file(path: &Path, data: &[u8], private: bool) -> Result<(), CliError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(path).map_err(|e| io_fail(path, e))?;
    f.write_all(data).map_err(|e| io_fail(path, e))
}

fn keygen(private: &Path, public: &Path) -> CmdResult {
    let key = PrivateKey::generate()?;
    let pem = key.to_pkcs8_pem()?;
    let public_pem = key.public_key_pem()?;
    write_new_file(private, pem.as_bytes(), true)?;
    write_new_file(public, public_pem.as_bytes(), false)?;
    eprintln!(
        "wrote {} (mode 600) and {}; send the public key to B2COPY support",
        private.display(),
        public.display()
    );
    Ok(Exit::Ok)
}

fn pubkey(k: &KeyArg) -> CmdResult {
    print!("{}", load_key(k)?.public_key_pem()?);
    Ok(Exit::Ok)
}

fn jwt(k: &KeyArg, c: &ClaimArgs) -> CmdResult {
    let key = load_key(k)?;
    let token = mint_external_token(&key, &jwt_params(c), b2c_core::timeutil::unix_now())?;
    println!("{}", token.as_str());
    Ok(Exit::Ok)
}

/// Largest body read from stdin or a file (the sandbox and the vendors take far less).
const MAX_BODY: u64 = 64 * 1024 * 1024;

fn read_body(b: &BodyArg) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    let r = match &b.file {
        Some(p) => std::fs::File::open(p)
            .and_then(|f| f.take(MAX_BODY + 1).read_to_end(&mut buf))
            .map_err(|e| CliError::Failure(format!("cannot read {}: {e}", p.display()))),
        None => std::io::stdin()
            .take(MAX_BODY + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CliError::Failure(format!("cannot read stdin: {e}"))),
    };
    r?;
    if buf.len() as u64 > MAX_BODY {
        return Err(CliError::Failure(format!(
            "the body is larger than {MAX_BODY} bytes"
        )));
    }
    Ok(buf)
}

fn sign(key: HmacKeyArgs, body: &BodyArg) -> CmdResult {
    let key = key.resolve()?;
    let body = read_body(body)?;
    println!(
        "{}",
        b2c_core::signature::sign_payload(key.as_bytes(), &body)
    );
    Ok(Exit::Ok)
}

/// The client configuration and key the client flags describe.
fn client_config(a: &ClientArgs) -> Result<(ClientConfig, PrivateKey), CliError> {
    let key = load_key(&a.key)?;
    let mut cfg = ClientConfig::new(a.base_url.clone(), jwt_params(&a.claims));
    if let Some(dir) = &a.token_store {
        let dir = if dir.is_absolute() {
            dir.clone()
        } else {
            std::env::current_dir()
                .map_err(|e| CliError::Failure(format!("cannot resolve --token-store: {e}")))?
                .join(dir)
        };
        cfg.token_store = b2c_core::store::StoreSpec::File(dir);
    }
    Ok((cfg, key))
}

/// Print an answer's body; exit 0 for 2xx, 1 otherwise (the status on stderr).
fn print_answer(resp: &b2c_core::calls::CallResponse) -> CmdResult {
    let mut out = std::io::stdout();
    let _ = out.write_all(&resp.body);
    if !resp.body.ends_with(b"\n") && !resp.body.is_empty() {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
    if (200..300).contains(&resp.status) {
        Ok(Exit::Ok)
    } else {
        eprintln!("error: HTTP {}", resp.status);
        Ok(Exit::Failure)
    }
}

fn read_data_file(p: &Option<PathBuf>) -> Result<Vec<u8>, CliError> {
    match p {
        None => Ok(Vec::new()),
        Some(p) => read_body(&BodyArg {
            file: Some(p.clone()),
        }),
    }
}

fn call(a: CallArgs) -> CmdResult {
    let (cfg, key) = client_config(&a.client)?;
    let body = read_data_file(&a.data_file)?;
    let client = Client::new(cfg, key)?;
    let resp = client.call(&a.method, &a.path, &body, a.idempotent.then_some(true))?;
    print_answer(&resp)
}

fn fee(a: FeeArgs) -> CmdResult {
    let (mut cfg, key) = client_config(&a.client)?;
    if let Some(ms) = a.poll_interval_ms {
        cfg.poll_interval = Duration::from_millis(ms);
    }
    let wait = a.wait.filter(|s| *s > 0).map(Duration::from_secs);
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
    let result = client.fee_process(&a.account, &a.request_id, wait, Some(&mut on_progress))?;
    println!("final: {}", result.status.name());
    match result.outcome_error(&a.request_id) {
        Some(e) => Err(e.into()),
        None if result.status == FeeStatus::Pending => Ok(Exit::Pending),
        None => Ok(Exit::Ok),
    }
}

/// Print the verdict of a check and map it to the exit code.
fn verdict(valid: bool, what: &str) -> CmdResult {
    if valid {
        println!("valid");
        Ok(Exit::Ok)
    } else {
        println!("invalid");
        Err(Error::new(
            ErrorKind::SignatureInvalid,
            format!("{what} does not match"),
        )
        .into())
    }
}

fn crm_call(
    method: &str,
    path: &str,
    base_url: &str,
    key: ApiKeyArgs,
    data_file: &Option<PathBuf>,
    raw: bool,
) -> CmdResult {
    let api_key = key.resolve()?;
    let body = read_data_file(data_file)?;
    let cfg = b2c_core::crm_openapi::CrmConfig {
        base_url: b2c_core::http::Url::parse(base_url)?,
        api_key,
        deadline: Duration::from_secs(30),
        raw_body: raw,
        retry: Default::default(),
    };
    let http = b2c_core::http::HttpClient::new(b2c_core::http::HttpConfig::default())?;
    let crm = b2c_core::crm_openapi::Crm::new(cfg, http)?;
    let resp = crm.call(method, path, &body, Default::default())?;
    print_answer(&resp)
}

fn crm_sign(key: ApiKeyArgs, method: &str, body: &BodyArg) -> CmdResult {
    let key = key.resolve()?;
    b2c_core::crm_openapi::parse_method(method).map_err(|e| CliError::Usage(e.message().into()))?;
    let body = read_body(body)?;
    for (name, value) in b2c_core::crm_openapi::sign_request(&key, method, &body)? {
        println!("{name}: {value}");
    }
    Ok(Exit::Ok)
}

fn crm_verify(key: ApiKeyArgs, signature: &str, body: &BodyArg) -> CmdResult {
    let key = key.resolve()?;
    let body = read_body(body)?;
    verdict(
        b2c_core::crm_openapi::verify_signature(&key, &body, signature)?,
        "signature",
    )
}

fn webhook_verify(secret: WebhookSecretArgs, signature: &str, body: &BodyArg) -> CmdResult {
    let secret = secret.resolve()?;
    let body = read_body(body)?;
    verdict(
        b2c_core::crm_openapi::verify_webhook(secret.as_bytes(), &body, signature)?,
        "X-Crm-Signature",
    )
}

fn b2binpay_token(
    base_url: &str,
    login: B2binpayLoginArgs,
    password: B2binpayPasswordArgs,
    refresh: bool,
) -> CmdResult {
    let login = login.resolve()?;
    let password = password.resolve()?;
    let cfg = b2c_core::b2binpay::B2binpayConfig::new(base_url, &login, &password);
    let http = b2c_core::http::HttpClient::new(b2c_core::http::HttpConfig::default())?;
    let client = b2c_core::b2binpay::B2binpayClient::new(cfg, http)?;
    client.login()?;
    println!("{}", client.access_token()?.as_str());
    if refresh {
        client.refresh()?;
        println!("{}", client.access_token()?.as_str());
    }
    Ok(Exit::Ok)
}

fn retailcrm_token(
    secret: RetailcrmSecretArgs,
    api_key: ApiKeyArgs,
    verify: Option<String>,
) -> CmdResult {
    let secret = secret.resolve()?;
    let api_key = api_key.resolve()?;
    match verify {
        Some(token) => verdict(
            b2c_core::retailcrm::verify_register_token(&secret, &api_key, &token),
            "register token",
        ),
        None => {
            println!(
                "{}",
                b2c_core::retailcrm::register_token(&secret, &api_key)?
            );
            Ok(Exit::Ok)
        }
    }
}
