//! `b2c-sandbox` / `b2c sandbox`: flag parsing and the run loop.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::{RegisteredKey, Sandbox, SandboxConfig, TokenShape};

/// Usage text of `b2c-sandbox`.
pub const USAGE: &str = "\
Usage: b2c-sandbox [FLAGS]

An offline emulator of the B2COPY, B2BINPAY, CRM Open API and RetailCRM APIs on
127.0.0.1, written from the vendors' documentation (independent of the b2c library).

Profiles:
  (default)                lenient: also accepts what the vendor docs allow or are silent
                           on, their own samples included; each such acceptance is a named
                           leniency, counted in GET /_sandbox/stats \"leniencies\" and
                           announced once on stderr. Leniencies:
                             b2copy_jwt_typ_missing, b2copy_jwt_typ_case,
                             b2copy_jwt_iss_missing, b2copy_jwt_iat_missing,
                             b2copy_jwt_fractional_time, b2copy_content_type_not_json,
                             b2copy_camel_case_field, b2copy_unknown_field,
                             undocumented_endpoint, b2binpay_no_trailing_slash,
                             crm_signature_normalized, crm_signature_php_normalized,
                             crm_signature_uppercase_hex, retailcrm_api_key_param
  --strict                 refuse every leniency (only what the docs show)

  --port N                 listen port (default 8080; 0 = ephemeral)
  --register KEY_ID:ADMIN_ID:PUBLIC_PEM_PATH[:IP,IP...]
                           register a P-256 SPKI public key (repeatable)
  --access-ttl S           access token lifetime in seconds (default 900)
  --refresh-ttl S          refresh token lifetime in seconds (default 86400)
  --pending-polls N        PENDING answers before the final status (default 2)
  --pending-ms MS          minimum time a request stays PENDING (default 0)
  --error-login LOGIN      account_login that ends in ERROR (repeatable)
  --token-shape plain|object
                           token fields as strings or {token,createdAt,expiresAt}
  --fee-status-names       processext status as the enum name (\"FEE_PROCESS_STATUS_SUCCESS\")
                           instead of the number
  --rate-5xx F             probability of a 503 answer (0..1)
  --rate-429 F             probability of a 429 answer (0..1)
  --retry-after S          Retry-After of 429 answers (default 1)
  --latency-ms MS          latency added to every request
  --drop-rate F            probability of closing without an answer (0..1)
  --malformed-rate F       probability of a truncated JSON answer (0..1)
  --seed N                 seed of the random faults (default 0)

Other vendors, mounted on the same port:
  B2BINPAY at /b2binpay, CRM Open API at /crm, RetailCRM system at /retailcrm
  --b2binpay-login L       accepted B2BINPAY login (default sandbox-login)
  --b2binpay-password P    accepted B2BINPAY password (default sandbox-password)
  --b2binpay-access-ttl S  B2BINPAY access token lifetime (default 900)
  --b2binpay-refresh-ttl S B2BINPAY refresh token lifetime (default 3600)
  --b2binpay-refresh-wrapped
                           answer /token/refresh/ wrapped in {\"data\": ...} like /token/
                           (default: the bare resource of the vendor's example)
  --crm-api-key KEY        API key the CRM Open API accepts (repeatable; default sandbox-api-key)
  --retailcrm-api-key KEY  API key the RetailCRM system accepts (repeatable; default sandbox-api-key)
  --retailcrm-field-errors answer every integration-modules edit with HTTP 400
                           {\"success\": false, \"errorMsg\": ..., \"errors\":
                           {\"integrationModule[clientId]\": ...}}
  --help                   this text

Control surface for tests in other processes (never faulted):
  GET  /_sandbox/stats                     counters of every emulator (JSON)
  POST /_sandbox/b2copy/expire-access      every B2COPY access token now answers 401
  POST /_sandbox/b2copy/revoke-refresh     every B2COPY refresh token now answers 401
  POST /_sandbox/b2binpay/tamper-signs     {\"count\": N}: next N meta.sign are wrong
  POST /_sandbox/b2binpay/consume-refresh  use up live refresh tokens (next refresh = replay)
  POST /_sandbox/b2binpay/ttls             {\"access_s\": N, \"refresh_s\": M}
  POST /_sandbox/faults                    {\"path\": P, \"fault\": NAME, \"times\": N, \"ms\": M}
                                           NAME: 5xx status, 429, drop, malformed, oversized,
                                           latency, truncated, head_only, reset_mid_body,
                                           slow_drip, endless, silent
  POST /_sandbox/faults/clear              forget queued faults
  POST /_sandbox/retailcrm/field-errors    {\"errors\": {\"integrationModule[F]\": MSG}, \"times\": N}:
                                           next N RetailCRM edits answer 400 with those errors
  POST /_sandbox/switches                  {\"fee_status_names\": B, \"b2binpay_refresh_wrapped\": B,
                                           \"token_shape\": \"plain\"|\"object\"} (GET: current values)

Lenient only: any other B2COPY path under /api/ and B2BINPAY path under /b2binpay/ with
a valid access token (Authorization: Bearer) answers 200 {\"method\", \"path\", \"query\",
\"body\"}; a missing, unknown or expired token answers 401 as processext does.

Prints `b2c-sandbox listening on http://127.0.0.1:PORT` once ready, then serves until killed.
Set B2C_SANDBOX_LOG=1 to log one line per request (method, path, status) to stderr.
";

fn parse_num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag}: invalid number {v:?}"))
}

fn parse_rate(flag: &str, v: &str) -> Result<f64, String> {
    let f: f64 = parse_num(flag, v)?;
    if !(0.0..=1.0).contains(&f) {
        return Err(format!("{flag}: rate must be between 0 and 1, got {v}"));
    }
    Ok(f)
}

/// Parse `KEY_ID:ADMIN_ID:PUBLIC_PEM_PATH[:IP,IP...]` and read the PEM file.
fn parse_register(v: &str) -> Result<RegisteredKey, String> {
    let err =
        || format!("--register: expected KEY_ID:ADMIN_ID:PUBLIC_PEM_PATH[:IP,IP...], got {v:?}");
    let (key_id, rest) = v.split_once(':').ok_or_else(err)?;
    let (admin, rest) = rest.split_once(':').ok_or_else(err)?;
    if key_id.is_empty() || rest.is_empty() {
        return Err(err());
    }
    let admin_id: u64 = admin
        .parse()
        .map_err(|_| format!("--register: ADMIN_ID must be a number, got {admin:?}"))?;
    // The path is the whole rest if such a file exists (paths may contain ':'); otherwise
    // the IP list follows the first ':' after the path (a Windows drive letter is skipped).
    let (path, ips) = if Path::new(rest).is_file() {
        (rest, "")
    } else {
        let skip = if rest.len() > 2 && rest.as_bytes()[1] == b':' {
            2
        } else {
            0
        };
        match rest[skip..].find(':') {
            Some(i) => (&rest[..skip + i], &rest[skip + i + 1..]),
            None => (rest, ""),
        }
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|e| format!("--register: cannot read {path}: {e}"))?;
    let allowed_ips = ips
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    Ok(RegisteredKey {
        key_id: key_id.to_string(),
        public_key_pem: pem,
        admin_id,
        allowed_ips,
    })
}

enum Parsed {
    Help,
    Run(Box<SandboxConfig>, Vec<RegisteredKey>),
}

fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut cfg = SandboxConfig {
        port: 8080,
        ..SandboxConfig::default()
    };
    cfg.faults.retry_after_s = 1;
    let mut keys = Vec::new();
    let (mut crm_keys_given, mut retailcrm_keys_given) = (false, false);
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg, None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Parsed::Help);
        }
        const SWITCHES: [&str; 4] = [
            "--strict",
            "--fee-status-names",
            "--b2binpay-refresh-wrapped",
            "--retailcrm-field-errors",
        ];
        if SWITCHES.contains(&flag) {
            if inline.is_some() {
                return Err(format!("{flag} takes no value"));
            }
            match flag {
                "--strict" => cfg.strict = true,
                "--fee-status-names" => cfg.fee_status_names = true,
                "--b2binpay-refresh-wrapped" => cfg.vendors.b2binpay_refresh_wrapped = true,
                _ => cfg.vendors.retailcrm_field_errors = true,
            }
            i += 1;
            continue;
        }
        const FLAGS: [&str; 22] = [
            "--port",
            "--register",
            "--access-ttl",
            "--refresh-ttl",
            "--pending-polls",
            "--pending-ms",
            "--error-login",
            "--token-shape",
            "--rate-5xx",
            "--rate-429",
            "--retry-after",
            "--latency-ms",
            "--drop-rate",
            "--malformed-rate",
            "--seed",
            "--b2binpay-login",
            "--b2binpay-password",
            "--b2binpay-access-ttl",
            "--b2binpay-refresh-ttl",
            "--crm-api-key",
            "--retailcrm-api-key",
            "--help",
        ];
        if !FLAGS.contains(&flag) {
            return Err(format!("unknown argument {arg:?} (see --help)"));
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i)
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))?
            }
        };
        let v = value.as_str();
        match flag {
            "--port" => cfg.port = parse_num(flag, v)?,
            "--register" => keys.push(parse_register(v)?),
            "--access-ttl" => cfg.access_ttl = Duration::from_secs(parse_num(flag, v)?),
            "--refresh-ttl" => cfg.refresh_ttl = Duration::from_secs(parse_num(flag, v)?),
            "--pending-polls" => cfg.pending_polls = parse_num(flag, v)?,
            "--pending-ms" => cfg.pending_for = Duration::from_millis(parse_num(flag, v)?),
            "--error-login" => cfg.error_logins.push(v.to_string()),
            "--b2binpay-login" => cfg.vendors.b2binpay_login = v.to_string(),
            "--b2binpay-password" => cfg.vendors.b2binpay_password = v.to_string(),
            "--b2binpay-access-ttl" => {
                cfg.vendors.b2binpay_access_ttl = Duration::from_secs(parse_num(flag, v)?)
            }
            "--b2binpay-refresh-ttl" => {
                cfg.vendors.b2binpay_refresh_ttl = Duration::from_secs(parse_num(flag, v)?)
            }
            "--crm-api-key" => {
                if !crm_keys_given {
                    cfg.vendors.crm_api_keys.clear();
                    crm_keys_given = true;
                }
                cfg.vendors.crm_api_keys.push(v.to_string())
            }
            "--retailcrm-api-key" => {
                if !retailcrm_keys_given {
                    cfg.vendors.retailcrm_api_keys.clear();
                    retailcrm_keys_given = true;
                }
                cfg.vendors.retailcrm_api_keys.push(v.to_string())
            }
            "--token-shape" => {
                cfg.token_shape = match v {
                    "plain" => TokenShape::Plain,
                    "object" => TokenShape::Object,
                    _ => {
                        return Err(format!(
                            "--token-shape: expected plain or object, got {v:?}"
                        ))
                    }
                }
            }
            "--rate-5xx" => cfg.faults.rate_5xx = parse_rate(flag, v)?,
            "--rate-429" => cfg.faults.rate_429 = parse_rate(flag, v)?,
            "--retry-after" => cfg.faults.retry_after_s = parse_num(flag, v)?,
            "--latency-ms" => cfg.faults.latency = Duration::from_millis(parse_num(flag, v)?),
            "--drop-rate" => cfg.faults.drop_rate = parse_rate(flag, v)?,
            "--malformed-rate" => cfg.faults.malformed_rate = parse_rate(flag, v)?,
            "--seed" => cfg.seed = parse_num(flag, v)?,
            _ => return Err(format!("unknown argument {arg:?} (see --help)")),
        }
        i += 1;
    }
    Ok(Parsed::Run(Box::new(cfg), keys))
}

/// Run the sandbox from command-line flags. `args` are the flags only (no program name,
/// no subcommand). Returns 0 for `--help`, 2 for a usage error, 1 if the sandbox cannot
/// start; otherwise it serves forever (stop it with a signal).
pub fn cli_main(args: Vec<String>) -> i32 {
    let (cfg, keys) = match parse(&args) {
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            let _ = std::io::stdout().flush();
            return 0;
        }
        Ok(Parsed::Run(cfg, keys)) => (*cfg, keys),
        Err(msg) => {
            eprintln!("b2c-sandbox: {msg}");
            return 2;
        }
    };
    let sandbox = match Sandbox::start(cfg.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("b2c-sandbox: cannot listen on 127.0.0.1:{}: {e}", cfg.port);
            return 1;
        }
    };
    for k in keys {
        let id = k.key_id.clone();
        if let Err(e) = sandbox.register_key(k) {
            eprintln!("b2c-sandbox: --register {id}: {e}");
            return 2;
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "b2c-sandbox listening on {}", sandbox.base_url());
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_flags() {
        let Ok(Parsed::Run(cfg, keys)) = parse(&args(&[
            "--port",
            "0",
            "--pending-polls=5",
            "--error-login",
            "a",
            "--error-login",
            "b",
            "--token-shape",
            "object",
            "--rate-429",
            "0.5",
            "--latency-ms",
            "20",
        ])) else {
            panic!("parse failed")
        };
        assert_eq!(cfg.port, 0);
        assert_eq!(cfg.pending_polls, 5);
        assert_eq!(cfg.error_logins, vec!["a", "b"]);
        assert_eq!(cfg.token_shape, TokenShape::Object);
        assert_eq!(cfg.faults.rate_429, 0.5);
        assert_eq!(cfg.faults.latency, Duration::from_millis(20));
        assert!(keys.is_empty());
        assert!(!cfg.strict && !cfg.fee_status_names);
        assert!(!cfg.vendors.b2binpay_refresh_wrapped && !cfg.vendors.retailcrm_field_errors);
    }

    #[test]
    fn parses_switches() {
        let Ok(Parsed::Run(cfg, _)) = parse(&args(&[
            "--strict",
            "--fee-status-names",
            "--port=0",
            "--b2binpay-refresh-wrapped",
            "--retailcrm-field-errors",
            "--token-shape",
            "object",
        ])) else {
            panic!("parse failed")
        };
        assert!(cfg.strict && cfg.fee_status_names);
        assert!(cfg.vendors.b2binpay_refresh_wrapped && cfg.vendors.retailcrm_field_errors);
        assert_eq!(cfg.token_shape, TokenShape::Object);
        for flag in [
            "--strict",
            "--fee-status-names",
            "--b2binpay-refresh-wrapped",
            "--retailcrm-field-errors",
            "--token-shape",
            "--register",
        ] {
            assert!(USAGE.contains(flag), "--help lacks {flag}");
        }
    }

    #[test]
    fn rejects_bad_flags() {
        assert!(parse(&args(&["--bogus"])).is_err());
        assert!(parse(&args(&["--port"])).is_err());
        assert!(parse(&args(&["--port", "x"])).is_err());
        assert!(parse(&args(&["--drop-rate", "2"])).is_err());
        assert!(parse(&args(&["--token-shape", "jwt"])).is_err());
        assert!(parse(&args(&["--register", "k:notnum:/x"])).is_err());
        assert!(matches!(parse(&args(&["--help"])), Ok(Parsed::Help)));
        assert!(parse(&args(&["--strict=yes"])).is_err());
        assert_eq!(cli_main(args(&["--nope"])), 2);
    }
}
