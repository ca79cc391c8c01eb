//! The benchmarks of userpool, kept apart from the product.
//!
//! Nothing in the product depends on this crate, and it is not a default member of the
//! workspace: a plain `cargo build` or `cargo test` never compiles it.
//!
//! - `benches/`: criterion benches of the hot paths (`cargo bench -p userpool-bench`):
//!   the client's SRP work, `current_session` with a valid session, a sign-in with
//!   client and server in one process, and token verification (`verify`).
//! - `src/bin/`: the programs that `cargo xtask bench` runs, each printing one JSON object
//!   (the load generator, the counting proxy, the userpool sides of the peer comparisons),
//!   and two server measurements to run by hand (`userpool-measure`,
//!   `userpool-srp-flood`).
//! - [`harness`]: the program `userpool-bench`, which runs the measurements against the
//!   peers and writes `target/bench/report.{txt,json,png}`.
//!
//! The library holds what those programs share, so that each is written once.

pub mod args;
pub mod cognito;
pub mod harness;
pub mod http;
pub mod jwt;
pub mod local;
pub mod stats;
pub mod verify;

/// The version of `aws-cognito-srp` that bench/Cargo.toml pins exactly (`=`), as the
/// report names it.
pub const AWS_COGNITO_SRP_VERSION: &str = "0.2.6";
