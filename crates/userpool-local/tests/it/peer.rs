//! Tests that need a program from outside Rust (a peer: Python with boto3, Node with the
//! JavaScript reference client or Amplify JS v6).
//!
//! A plain `cargo test` on a fresh clone must pass, so a test whose peer is missing says on
//! stderr that it is skipped and why, and returns. Under CI (`CI` set to any value, as CI
//! services do with `CI=true`) a missing peer fails the test instead: there a skip would
//! hide that the test never ran. `cargo xtask test` creates the peers under
//! `target/peers` and sets their variables, so there the tests run.
//!
//! By hand: `python3 -m venv target/peers/boto3-venv &&
//! target/peers/boto3-venv/bin/pip install -r xtask/peers/boto3.txt &&
//! export USERPOOL_BOTO3_PYTHON=$PWD/target/peers/boto3-venv/bin/python`. The Node peers:
//! `cargo xtask peers && export
//! USERPOOL_NODE_CLIENTS_MODULES=$PWD/target/peers/node-clients/node_modules
//! USERPOOL_AMPLIFY_V6_MODULES=$PWD/target/peers/amplify-v6/node_modules
//! USERPOOL_BROWSER_MODULES=$PWD/target/peers/browser/node_modules`, and Debian's Chromium
//! (`apt-get install chromium`) for the browser tests.

use std::io::Write as _;
use std::process::Command;

/// Names a Python interpreter with boto3 (and pyotp) installed.
pub const BOTO3_PYTHON: &str = "USERPOOL_BOTO3_PYTHON";

/// Names a `node_modules` folder with amazon-cognito-identity-js (`xtask/peers/node-clients`).
pub const NODE_CLIENTS_MODULES: &str = "USERPOOL_NODE_CLIENTS_MODULES";

/// Names a `node_modules` folder with aws-amplify 6 (`xtask/peers/amplify-v6`).
pub const AMPLIFY_V6_MODULES: &str = "USERPOOL_AMPLIFY_V6_MODULES";

/// Names a `node_modules` folder with playwright-core (`xtask/peers/browser`).
pub const BROWSER_MODULES: &str = "USERPOOL_BROWSER_MODULES";

/// Names the Chromium program the browser tests drive; `/usr/bin/chromium` (Debian's
/// package, which `.ci/run` installs) when unset.
pub const CHROMIUM: &str = "USERPOOL_CHROMIUM";

/// What a browser test needs: playwright-core's `node_modules` and a Chromium program.
pub struct Browser {
    pub node_modules: String,
    pub chromium: String,
}

/// The browser peer, or `None` (reported as a skip, or under CI a failure, as for every
/// peer) when playwright-core is not installed or Chromium is not there.
pub fn browser(test: &str) -> Option<Browser> {
    let node_modules = from_env(
        test,
        BROWSER_MODULES,
        "a node_modules folder with playwright-core",
    )?;
    let chromium = std::env::var(CHROMIUM).unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if !std::path::Path::new(&chromium).exists() {
        missing(
            test,
            &format!("no Chromium at {chromium} (apt-get install chromium)"),
            CHROMIUM,
        );
        return None;
    }
    Some(Browser {
        node_modules,
        chromium,
    })
}

/// Runs the Node script `tests/peer/<script>` with playwright-core and Chromium: the script
/// reads Chromium's path from `USERPOOL_CHROMIUM` and launches it headless with the flags
/// of `tests/peer/browser_common.js`.
pub async fn run_browser_script(browser: &Browser, script: &str, args: &[&str]) -> String {
    let mut command = Command::new("node");
    command
        .env("NODE_PATH", &browser.node_modules)
        .env(CHROMIUM, &browser.chromium);
    run(command, "node", script, args).await
}

/// Runs the peer script `tests/peer/<script>` with `interpreter` and `args`, and returns
/// what it wrote on stdout. A script that cannot start or exits unsuccessfully fails the
/// test, with both of its outputs in the message.
pub async fn run_script(interpreter: &str, script: &str, args: &[&str]) -> String {
    run(Command::new(interpreter), interpreter, script, args).await
}

/// Runs the Node script `tests/peer/<script>` with `node` (from `PATH`), resolving its
/// packages from `node_modules`, as [`run_script`] runs a Python one.
pub async fn run_node_script(node_modules: &str, script: &str, args: &[&str]) -> String {
    let mut command = Command::new("node");
    command.env("NODE_PATH", node_modules);
    run(command, "node", script, args).await
}

async fn run(mut command: Command, interpreter: &str, script: &str, args: &[&str]) -> String {
    let path = format!("{}/tests/peer/{script}", env!("CARGO_MANIFEST_DIR"));
    command.arg(&path).args(args);
    // On a blocking thread: the server the script talks to runs on this test's runtime,
    // which waiting here would stall.
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the thread running the peer script")
        .unwrap_or_else(|e| panic!("running {interpreter} {path}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stdout
}

/// An empty folder for the files a peer script and its test share, under Cargo's scratch
/// folder for integration tests (one per test and process, so parallel runs never meet).
pub fn scratch_dir(test: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("peer-{test}-{}", std::process::id()));
    // Left over from an earlier run of this process id: start empty.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// The value of the peer variable `var`, or `None` when it is not set: then the skip is
/// reported (or, under CI, the test fails) and the caller returns.
pub fn from_env(test: &str, var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) => Some(value),
        Err(_) => {
            missing(test, &format!("{var} is not set ({what})"), var);
            None
        }
    }
}

/// Reports that `test` cannot run for `why`: one `SKIPPED` line on stderr, or a failure
/// when `CI` is set. `var` is the variable that would provide the peer.
pub fn missing(test: &str, why: &str, var: &str) {
    match verdict(test, why, var, std::env::var_os("CI").is_some()) {
        // Written to the process's stderr, not with `eprintln!`: the test harness captures
        // what the print macros write in a passing test, and the skip must be seen.
        Ok(skipped) => {
            let _ = writeln!(std::io::stderr(), "{skipped}");
        }
        Err(failure) => panic!("{failure}"),
    }
}

/// The `SKIPPED` line to print, or (under CI) the failure message.
fn verdict(test: &str, why: &str, var: &str, ci: bool) -> Result<String, String> {
    let how = format!("set {var} or run cargo xtask test");
    if ci {
        Err(format!(
            "{test} cannot run: {why}; CI is set, so a missing peer fails the test ({how})"
        ))
    } else {
        Ok(format!("SKIPPED {test}: {why} ({how})"))
    }
}

#[test]
fn a_missing_peer_skips_loudly_and_fails_under_ci() {
    let skipped = verdict("t", "X is not set (a peer)", "X", false);
    assert_eq!(
        skipped.as_deref(),
        Ok("SKIPPED t: X is not set (a peer) (set X or run cargo xtask test)")
    );
    let failure = verdict("t", "X is not set (a peer)", "X", true).unwrap_err();
    assert!(
        failure.starts_with("t cannot run: X is not set (a peer)"),
        "{failure}"
    );
    assert!(
        failure.contains("set X or run cargo xtask test"),
        "{failure}"
    );
}
