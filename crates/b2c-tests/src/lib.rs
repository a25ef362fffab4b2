//! Test-only crate: the integration tests live in `tests/it/`. It is a workspace member but
//! not a default member, so its dev-dependencies (independent implementations used only
//! as cross-checks) never change the features the shipped library is built with: `cargo
//! build --release` and `cargo test --workspace` do not rebuild each other's artifacts.
