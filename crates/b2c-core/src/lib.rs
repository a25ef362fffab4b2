//! b2c: B2COPY and its neighbours for CRM back offices.
//!
//! The core is synchronous Rust and knows nothing of C: the `b2c-ffi` crate is the thin
//! `extern "C"` surface over it (libb2c.so, header `include/b2c.h`), `b2c-sandbox` the
//! offline emulator, `b2c-cli` the `b2c` tool.
//!
//! - [`b2copy`]: external-CRM authorization (ES256 JWT), tokens, fee processing with polling.
//! - [`keys`]: P-256 key generation and PEM loading.
//! - [`signature`]: HMAC-SHA256 `sha256=<hex>` signing and constant-time verification.
//! - [`http`]: the transport shared by every vendor client.

pub mod b2binpay;
pub mod b2copy;
pub mod calls;
pub mod clock;
pub mod config;
pub mod crm_openapi;
pub mod error;
pub mod flight;
pub mod http;
pub mod json_normal;
pub mod keys;
pub mod retailcrm;
pub mod retry;
pub mod shared;
pub mod signature;
pub mod store;
pub mod telemetry;
pub mod timeutil;
pub mod token;

pub use error::{Error, ErrorKind, Result};

/// The library version (from Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
