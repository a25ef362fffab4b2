//! Where a secret (API key, webhook secret, password, HMAC key) comes from.
//!
//! In order of preference: `--NAME-file FILE` (one line; a trailing newline is dropped), the
//! `B2C_*` environment variable, and last the literal `--NAME VALUE`, which works but warns:
//! a command line is visible to every user of the machine (`ps`, `/proc/PID/cmdline`) and
//! lands in shell history. A literal that names an existing file is refused: that is almost
//! always `--NAME` typed for `--NAME-file`, and signing with the file's *name* as the key
//! would silently produce wrong signatures.

use std::io::Read;
use std::path::Path;

use zeroize::{Zeroize, Zeroizing};

use crate::cli::CliError;

/// A secret file larger than this is refused (a secret is one short line).
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// One secret's three sources, as parsed.
pub struct SecretArg<'a> {
    /// The flag's name without dashes, e.g. `api-key` (its file form is `api-key-file`).
    pub flag: &'a str,
    /// The environment variable, e.g. `B2C_API_KEY`.
    pub env: &'a str,
    pub literal: Option<String>,
    pub file: Option<std::path::PathBuf>,
}

impl SecretArg<'_> {
    /// Resolve the secret (see the module docs). Never echoes the value.
    pub fn resolve(self) -> Result<Zeroizing<String>, CliError> {
        let SecretArg {
            flag,
            env,
            literal,
            file,
        } = self;
        if let Some(path) = file {
            return read_secret_file(&path, flag);
        }
        if let Some(v) = literal {
            let v = Zeroizing::new(v);
            if !v.is_empty() && Path::new(v.as_str()).is_file() {
                return Err(CliError::Usage(format!(
                    "--{flag} takes the secret itself, and its value is the name of an existing \
                     file; to read the secret from that file use --{flag}-file"
                )));
            }
            if v.is_empty() {
                return Err(CliError::Usage(format!("--{flag} must not be empty")));
            }
            eprintln!(
                "warning: --{flag} puts a secret on the command line, where every user of this \
                 machine can read it (ps) and shell history keeps it; prefer --{flag}-file FILE \
                 or {env}"
            );
            return Ok(v);
        }
        match std::env::var(env) {
            Ok(v) if !v.is_empty() => Ok(Zeroizing::new(v)),
            _ => Err(CliError::Usage(format!(
                "a secret is required: --{flag}-file FILE, the {env} environment variable, or \
                 --{flag} VALUE"
            ))),
        }
    }
}

fn read_secret_file(path: &Path, flag: &str) -> Result<Zeroizing<String>, CliError> {
    let shown = path.display();
    let io = |e: std::io::Error| CliError::Failure(format!("--{flag}-file {shown}: {e}"));
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(CliError::Failure(format!(
            "--{flag}-file {shown}: not a regular file"
        )));
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_SECRET_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > MAX_SECRET_FILE {
        return Err(CliError::Failure(format!(
            "--{flag}-file {shown}: larger than {MAX_SECRET_FILE} bytes; a secret file holds one line"
        )));
    }
    let mut text = match String::from_utf8(std::mem::take(&mut *buf)) {
        Ok(s) => Zeroizing::new(s),
        Err(e) => {
            e.into_bytes().zeroize();
            return Err(CliError::Failure(format!(
                "--{flag}-file {shown}: not UTF-8 text"
            )));
        }
    };
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(CliError::Failure(format!("--{flag}-file {shown}: empty")));
    }
    Ok(text)
}
