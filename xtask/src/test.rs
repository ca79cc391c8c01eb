//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use anyhow::Result;

use crate::util::{cargo, run as run_step};
use crate::{it, peers};

/// Runs fmt, clippy, rustdoc, the peer set-up, the tests (the local end-to-end flows
/// among them), then the end-to-end flows against moto; `extra` goes to `cargo test`.
pub fn run(extra: &[String]) -> Result<()> {
    run_step("rustfmt", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run_step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // The facade's optional verifier is off in the workspace build: checked on its own.
    run_step(
        "clippy (userpool with the verify feature)",
        cargo().args([
            "clippy",
            "-p",
            "userpool",
            "--features",
            "verify",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
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
            .env("USERPOOL_BOTO3_PYTHON", &peers.boto3_python)
            .env("USERPOOL_NODE_CLIENTS_MODULES", &peers.node_clients_modules)
            .env("USERPOOL_AMPLIFY_V6_MODULES", &peers.amplify_v6_modules)
            .env("USERPOOL_BROWSER_MODULES", &peers.browser_modules),
    )?;
    run_step(
        "tests (userpool with the verify feature)",
        cargo().args([
            "test",
            "-p",
            "userpool",
            "--features",
            "verify",
            "--test",
            "verified_session",
        ]),
    )?;
    // The local flows ran with the tests above; the moto flows need moto's server.
    it::run_backend("moto", &[])?;
    // The criterion benches (in `bench/`) run once each as tests, in the dev profile the
    // tests above already built: they keep compiling and their set-up keeps working, at
    // no release build's cost. Timing them is `cargo bench` and `cargo xtask bench`.
    run_step(
        "benches (once each, test mode)",
        cargo().args(["test", "-p", "userpool-bench", "--benches"]),
    )?;
    eprintln!("\nxtask test: all checks passed");
    Ok(())
}
