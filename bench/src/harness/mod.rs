//! `cargo xtask bench [--quick] [--only LIST] [--runs N]`: userpool against its peers.
//!
//! `cargo xtask bench` installs the peers ([`peers`]), builds the programs of this package
//! and the `userpool-local` server in release mode, and starts this harness, which runs five
//! measurements and reports medians over several runs, with the ratio of userpool to each
//! peer (above 1 means userpool is better):
//!
//! | key | what | userpool | peers |
//! |---|---|---|---|
//! | `srp_sign_in` | client SRP work of one sign-in, no network | `userpool-bench-srp` | amazon-cognito-identity-js (Node), pycognito, aws-cognito-srp (Rust), GMP (gmpy2) |
//! | `current_session` | `current_session` with a valid session, no network | `userpool-bench-client session` | Amplify JS v5 |
//! | `concurrent_refresh` | 1,000 concurrent session requests at expiry: refresh calls at the server, time until all have tokens | `userpool-bench-client refresh` | Amplify JS v5 |
//! | `server_sign_ins` | sign-ins per second on loopback, the server's CPU per sign-in, start-up time, resident memory; the crypto-bound ceiling on one and two threads (`userpool-bench-ceiling`); the server on one core and on two (`server_scaling`) | userpool-local | moto, cognito-local |
//! | `verify` | access-token verifications per second, one core, warm JWKS cache, the same real tokens, userpool's token cache off (every signature checked) | `userpool-bench-verify` (userpool-verify) | aws-jwt-verify (Node) |
//! | `verify_token_cache` | the same, userpool's verified-token cache on and warm (the same tokens again: claims re-checked, signature skipped) | `userpool-bench-verify` | aws-jwt-verify (Node), the same run as `verify` |
//!
//! Servers run pinned to core 1 and the load generator to core 0 (`taskset`), when the
//! machine has two cores or more. The table is printed and written to
//! `target/bench/report.{txt,json,png}`. A measurement that cannot run (a program that is
//! missing, a peer that fails) is reported with its error; the others still run.
//! Nothing here asserts on timings.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value, json};

use self::client::{current_session, srp_sign_in};
use self::machine::{machine, peer_versions};
use self::peers::BenchPeers;
use self::process::pinning;
use self::refresh::concurrent_refresh;
use self::report::{table, write_chart};
use self::servers::server_sign_ins;
use self::verify::verify;
pub(crate) use crate::stats::median;

pub mod chart;
mod client;
mod machine;
pub mod peers;
mod process;
mod refresh;
mod report;
mod servers;
mod verify;

/// Names used in the report.
pub(crate) const JS_CLIENT: &str = "amazon-cognito-identity-js";
pub(crate) const PYCOGNITO: &str = "pycognito";
pub(crate) const AMPLIFY: &str = "aws-amplify";
pub(crate) const LOCAL: &str = "userpool-local";
/// The same server without a data directory (state in memory, like moto).
pub(crate) const LOCAL_MEM: &str = "userpool-local-in-memory";
pub(crate) const MOTO: &str = "moto";
pub(crate) const COGNITO_LOCAL: &str = "cognito-local";
pub(crate) const AWS_JWT_VERIFY: &str = "aws-jwt-verify";

pub(crate) const USAGE: &str = "\
cargo xtask bench [--quick] [--only srp,session,refresh,servers,verify] [--runs N]

  --quick   fewer iterations and runs (a couple of minutes)
  --only    run only these measurements
  --runs    runs per measurement (default 5, quick 3); medians are over the runs
";

/// How much work each measurement does.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    quick: bool,
    runs: usize,
    srp_iters_rust: usize,
    srp_iters_js: usize,
    srp_iters_py: usize,
    session_iters_rust: usize,
    session_iters_js: usize,
    refresh_concurrency: usize,
    server_users: usize,
    server_workers: usize,
    server_count: usize,
    server_srp_count: usize,
    server_max_secs: f64,
    startup_spawns: usize,
    verify_users: usize,
    verify_sign_ins_per_user: usize,
    verify_iters: usize,
}

impl Params {
    fn new(quick: bool) -> Params {
        if quick {
            Params {
                quick,
                runs: 3,
                srp_iters_rust: 50,
                srp_iters_js: 5,
                srp_iters_py: 10,
                session_iters_rust: 500_000,
                session_iters_js: 5_000,
                refresh_concurrency: 1000,
                server_users: 20,
                server_workers: 16,
                server_count: 500,
                server_srp_count: 200,
                server_max_secs: 20.0,
                startup_spawns: 3,
                verify_users: 4,
                verify_sign_ins_per_user: 4,
                verify_iters: 5_000,
            }
        } else {
            Params {
                quick,
                runs: 5,
                srp_iters_rust: 200,
                srp_iters_js: 20,
                srp_iters_py: 40,
                session_iters_rust: 2_000_000,
                session_iters_js: 20_000,
                refresh_concurrency: 1000,
                server_users: 100,
                server_workers: 16,
                server_count: 3000,
                server_srp_count: 1000,
                server_max_secs: 60.0,
                startup_spawns: 5,
                verify_users: 10,
                verify_sign_ins_per_user: 10,
                verify_iters: 20_000,
            }
        }
    }
}

/// The programs the measurements run; each may be missing.
pub(crate) struct Programs {
    /// Where they are (`target/release`).
    dir: PathBuf,
    loadgen: Result<PathBuf>,
    countproxy: Result<PathBuf>,
    bench_srp: Result<PathBuf>,
    bench_ceiling: Result<PathBuf>,
    bench_client: Result<PathBuf>,
    bench_verify: Result<PathBuf>,
    local: Result<PathBuf>,
}

/// Entry point.
pub fn run(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut only: Option<Vec<String>> = None;
    let mut runs: Option<usize> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--only" => {
                let v = it
                    .next()
                    .ok_or_else(|| anyhow!("--only needs a list\n\n{USAGE}"))?;
                only = Some(v.split(',').map(|s| s.trim().to_owned()).collect());
            }
            "--runs" => {
                let v = it
                    .next()
                    .ok_or_else(|| anyhow!("--runs needs a number\n\n{USAGE}"))?;
                runs = Some(v.parse().context("--runs")?);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    let mut params = Params::new(quick);
    if let Some(r) = runs {
        params.runs = r.max(1);
    }
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == name));
    for name in only.iter().flatten() {
        if !["srp", "session", "refresh", "servers", "verify"].contains(&name.as_str()) {
            bail!("--only: unknown measurement {name:?}\n\n{USAGE}");
        }
    }

    let started = Instant::now();

    let peers = BenchPeers::from_env()?;
    let programs = Programs::beside_this_one()?;
    let out_dir = target_dir(&programs).join("bench");
    std::fs::create_dir_all(out_dir.join("logs"))?;

    let mut report = Map::new();
    report.insert("machine".into(), machine());
    report.insert("peers".into(), peer_versions(&peers));
    report.insert(
        "settings".into(),
        json!({
            "quick": params.quick,
            "runs": params.runs,
            "pinning": if pinning() { "servers and the counting proxy on core 1; the load generator and the refresh clients on core 0 (taskset); the micro-benchmarks unpinned" } else { "none (taskset missing or one core)" },
        }),
    );
    if wanted("srp") {
        let v = record("srp_sign_in", srp_sign_in(&params, &peers, &programs));
        report.insert("srp_sign_in".into(), v);
    }
    if wanted("session") {
        let v = record(
            "current_session",
            current_session(&params, &peers, &programs),
        );
        report.insert("current_session".into(), v);
    }
    if wanted("refresh") {
        let v = record(
            "concurrent_refresh",
            concurrent_refresh(&params, &peers, &programs, &out_dir),
        );
        report.insert("concurrent_refresh".into(), v);
    }
    if wanted("servers") {
        let v = record(
            "server_sign_ins",
            server_sign_ins(&params, &peers, &programs, &out_dir),
        );
        report.insert("server_sign_ins".into(), v);
    }
    if wanted("verify") {
        // Two rows (harness/verify.rs): the signature path, and the token cache's hits.
        let v = record("verify", verify(&params, &peers, &programs, &out_dir));
        let row = |key: &str| v.get(key).cloned().unwrap_or_else(|| v.clone());
        report.insert("verify_token_cache".into(), row("token_cache_hits"));
        report.insert("verify".into(), row("signature"));
    }
    report.insert("elapsed_s".into(), json!(started.elapsed().as_secs_f64()));
    let report = Value::Object(report);

    let table = table(&report);
    println!("\n{table}");
    std::fs::write(out_dir.join("report.txt"), &table)?;
    std::fs::write(
        out_dir.join("report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    write_chart(&report, &out_dir.join("report.png"))?;
    println!(
        "written: {} (.json, .png, .txt) in {:.0} s",
        out_dir.join("report").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A measurement's result, or its error as `{"error": ...}`.
fn record(name: &str, r: Result<Value>) -> Value {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("\n!! {name}: {e:#}");
            json!({ "error": format!("{e:#}") })
        }
    }
}

/// The workspace root, where the pins and vectors are read from (the harness runs in the
/// tree it was built from).
pub(crate) fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The target directory the programs were built into (`target/release/<program>`).
fn target_dir(programs: &Programs) -> PathBuf {
    let release = programs.dir.as_path();
    release.parent().unwrap_or(release).to_path_buf()
}

impl Programs {
    /// The programs of this package and the server, built beside the running harness by
    /// `cargo xtask bench`.
    fn beside_this_one() -> Result<Self> {
        let exe = std::env::current_exe().context("the harness's own path")?;
        let dir = exe
            .parent()
            .ok_or_else(|| anyhow!("{} has no folder", exe.display()))?
            .to_path_buf();
        let find = |name: &str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(anyhow!(
                    "{} is missing: build it with `cargo xtask bench`",
                    path.display()
                ))
            }
        };
        Ok(Self {
            loadgen: find("userpool-loadgen"),
            countproxy: find("userpool-countproxy"),
            bench_srp: find("userpool-bench-srp"),
            bench_ceiling: find("userpool-bench-ceiling"),
            bench_client: find("userpool-bench-client"),
            bench_verify: find("userpool-bench-verify"),
            local: find("userpool-local"),
            dir,
        })
    }
}

pub(crate) fn program(p: &Result<PathBuf>, what: &str) -> Result<PathBuf> {
    p.as_ref()
        .cloned()
        .map_err(|e| anyhow!("{what} is not available: {e:#}"))
}
