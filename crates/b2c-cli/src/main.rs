//! `b2c`: the command-line tool. See `b2c --help`.
//!
//! The parser is clap (derive): it gives every subcommand its `--help`, `--version`, one
//! error style and one exit code (2) for every usage error, and reads the non-secret
//! `B2C_*` defaults from the environment. Secrets are never clap `env` values: a secret
//! comes from `--x-file FILE` or its `B2C_*` variable, and the literal `--x VALUE` form
//! (visible in `ps`, kept in shell history) is accepted with a warning (see `secret.rs`).
//!
//! Exit codes (every subcommand): 0 ok / SUCCESS / valid, 1 failure, 2 usage error,
//! 3 a signature that does not verify or fee status ERROR, 4 fee still PENDING.

mod cli;
mod secret;

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(cli::run(std::env::args_os().collect()))
}
