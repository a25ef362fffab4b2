//! B2COPY external-CRM integration: ES256 external JWT, token exchange and refresh, and fee
//! processing with polling. Protocol facts and decisions: `docs/PROTOCOLS.md` §1.

mod client;
pub mod jwt;
pub mod wire;

pub use crate::retry::RetryPolicy;
pub use client::{poll_pause, Client, ClientConfig, FeeResult, FeeStatus, Progress, ProgressFn};
pub use jwt::{mint_external_token, ExternalTokenParams};
