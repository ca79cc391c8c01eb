//! End-to-end suites of userpool: every flow of the design's behaviour, through the
//! [`userpool::Auth`] facade and its default transport (the AWS SDK) over real HTTP.
//!
//! # Shape
//!
//! - [`flows`]: each flow written once, as an `async fn` over a [`Backend`]. A flow
//!   creates the pool and app client it needs ([`PoolOptions`]), unique users, one or
//!   more [`Auth`](userpool::Auth) clients, and checks results, errors, events, storage
//!   and what the server now accepts. A flow fails when the behaviour is wrong.
//! - [`Backend`]: what a flow needs from a server besides the facade: the endpoint, pools
//!   and app clients, admin-created users, admin sign-out, and the codes it "sent". Each
//!   backend says which flows it supports ([`Backend::supports`]); a flow it does not
//!   support is reported as such, never run and never counted as passed.
//!   - [`LocalBackend`]: the embedded local pool (`userpool-local`), codes from its outbox.
//!   - [`MotoBackend`]: a running `moto_server` (started by `cargo xtask it --backend
//!     moto`), pools in us-east-1, password-reset codes from `/moto-api/data.json`.
//!   - [`AwsBackend`]: a real user pool named by `USERPOOL_IT_*` variables.
//! - [`runner`]: runs every flow against one backend and prints one line per flow
//!   (`PASS`, `FAIL`, `UNSUPPORTED`) and a summary; used by the `it` binary.
//!
//! `tests/local.rs` runs each flow as its own `#[tokio::test]` against a fresh embedded
//! local pool: plain `cargo test` runs them.
//!
//! # Running a backend
//!
//! ```text
//! cargo xtask it --backend local      # the embedded local pool
//! cargo xtask it --backend moto       # installs and starts moto_server, stops it after
//! cargo xtask it --backend aws        # USERPOOL_IT_POOL_ID, _CLIENT_ID, _REGION (else SKIPPED)
//! cargo xtask it --backend moto --flow forgot_password --run-unsupported
//! ```
//!
//! The xtask builds the runner with `cargo test --workspace --no-run`, the build `cargo
//! test --workspace` makes. `cargo run -p userpool-it --bin it -- --backend local` works
//! too, but resolves the dependencies' features for this package alone and so builds
//! them a second time.

mod admin;
mod aws;
mod backend;
mod client;
pub mod flows;
mod http;
mod local;
mod moto;
pub mod runner;

pub use admin::local_sdk;
pub use aws::{AwsBackend, AwsConfig, REQUIRED_VARIABLES as AWS_VARIABLES};
pub use backend::{AppClient, Backend, PoolDevices, PoolMfa, PoolOptions, PoolUserAuth, Purpose};
pub use client::{Client, Ctx, TestClock, TestUser};
pub use flows::Flow;
pub use local::LocalBackend;
pub use moto::MotoBackend;
