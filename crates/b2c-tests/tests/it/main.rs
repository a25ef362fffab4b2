//! The Rust integration tests: the clients of b2c-core against the b2c-sandbox over real
//! sockets, the sandbox's strictness, TLS, and cross-checks with independent
//! implementations (jsonwebtoken, rcgen + rustls, ureq). One test binary (one link).

mod calls;
mod client_b2copy;
mod hardening;
mod keys_jwt;
mod protocols;
mod sandbox_b2copy;
mod sandbox_control;
mod scan;
mod store;
mod tls;
mod transport;
