//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use anyhow::Result;

use crate::peers;
use crate::util::{cargo, run as run_step};

/// Runs fmt, clippy, rustdoc, the peer set-up and the tests; `extra` goes to `cargo test`.
pub fn run(extra: &[String]) -> Result<()> {
    run_step("rustfmt", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run_step(
        "clippy",
        cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
    )?;
    run_step(
        "rustdoc",
        cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    let peers = peers::setup_all()?;
    run_step(
        "tests",
        cargo()
            .args(["test", "--workspace"])
            .args(extra)
            .env("USERPOOL_BOTO3_PYTHON", &peers.boto3_python),
    )?;
    eprintln!("\nxtask test: all checks passed");
    Ok(())
}
