//! Error messages for the secret scan: when `B2C_SCAN_DIR` is set (scripts/test-all.sh sets
//! it), the tests append the text of every error they inspect to
//! `$B2C_SCAN_DIR/rust-errors.log`, which scripts/secret-scan.py searches for keys, tokens,
//! passwords and URL credentials.

use std::fmt::{Debug, Display};
use std::io::Write;

/// Record `e` (Display and Debug) and pass it on.
pub fn err<E: Display + Debug>(e: E) -> E {
    if let Some(dir) = std::env::var_os("B2C_SCAN_DIR") {
        let path = std::path::Path::new(&dir).join("rust-errors.log");
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{e} | {e:?}");
        }
    }
    e
}

/// `unwrap_err` that records the error first.
pub trait Recorded<E> {
    fn expect_err_recorded(self) -> E;
}

impl<T: Debug, E: Display + Debug> Recorded<E> for Result<T, E> {
    #[track_caller]
    fn expect_err_recorded(self) -> E {
        err(self.unwrap_err())
    }
}
