//! `cargo xtask bench`: installs the bench peers, builds the benchmark programs and the
//! server in release mode, and hands over to the harness (`bench/src/harness`), which
//! measures and writes `target/bench/report.{txt,json,png}`.

use anyhow::Result;

use crate::peers;
use crate::util::{cargo, root, run, target_dir};

/// Runs the harness with `args` (`--quick`, `--only`, `--runs`; see `--help`).
pub fn run_cli(args: &[String]) -> Result<()> {
    let peers = peers::setup_bench()?;
    run(
        "build the benchmark programs",
        cargo().args([
            "build",
            "--release",
            "-p",
            "userpool-bench",
            "--bins",
            "-p",
            "userpool-local",
            "--bin",
            "userpool-local",
        ]),
    )?;
    let harness = target_dir().join("release").join("userpool-bench");
    let mut cmd = std::process::Command::new(harness);
    cmd.args(args).current_dir(root()).envs(peers);
    run("userpool-bench", &mut cmd)
}
