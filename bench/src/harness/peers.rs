//! The peers the harness measures against, as `cargo xtask bench` installed them under
//! `target/peers` (from the pins in `xtask/peers/`): it passes their paths in the
//! environment variables below, and this module reads them back.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, anyhow};

/// What the benchmarks run from the peers.
#[derive(Debug, Clone)]
pub struct BenchPeers {
    /// `node_modules` of amazon-cognito-identity-js, aws-amplify and aws-jwt-verify.
    pub node_clients: PathBuf,
    /// The scripts that drive them (`xtask/peers/node-clients`).
    pub node_scripts: PathBuf,
    /// cognito-local's entry point (`lib/bin/start.js`).
    pub cognito_local_start: PathBuf,
    /// The interpreter of the venv with pycognito.
    pub pycognito_python: PathBuf,
    /// pycognito's driver script (`xtask/peers/pycognito_srp.py`).
    pub pycognito_script: PathBuf,
    /// The `moto_server` program of the venv with `moto[server]`.
    pub moto_server: PathBuf,
    /// The interpreter of that venv.
    pub moto_python: PathBuf,
}

/// The environment variables `cargo xtask bench` sets, in the order of [`BenchPeers`]'s
/// fields (`xtask/src/peers.rs` sets them from the same names).
pub const ENV: [&str; 7] = [
    "USERPOOL_BENCH_NODE_CLIENTS",
    "USERPOOL_BENCH_NODE_SCRIPTS",
    "USERPOOL_BENCH_COGNITO_LOCAL",
    "USERPOOL_BENCH_PYCOGNITO_PYTHON",
    "USERPOOL_BENCH_PYCOGNITO_SCRIPT",
    "USERPOOL_BENCH_MOTO_SERVER",
    "USERPOOL_BENCH_MOTO_PYTHON",
];

impl BenchPeers {
    /// Reads the peers' paths from the environment; fails, naming what is missing, when the
    /// harness was not started by `cargo xtask bench`.
    pub fn from_env() -> Result<Self> {
        let [a, b, c, d, e, f, g] = ENV.map(|name| {
            std::env::var_os(name).map(PathBuf::from).ok_or_else(|| {
                anyhow!("{name} is not set: run the benchmarks with `cargo xtask bench`")
            })
        });
        Ok(Self {
            node_clients: a?,
            node_scripts: b?,
            cognito_local_start: c?,
            pycognito_python: d?,
            pycognito_script: e?,
            moto_server: f?,
            moto_python: g?,
        })
    }
}

/// The version of an installed npm package, from its package.json.
pub fn npm_version(node_modules: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(node_modules.join(package).join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("version")?.as_str().map(str::to_owned)
}

/// The version of a distribution installed in a venv.
pub fn pip_version(python: &Path, dist: &str) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            &format!("from importlib.metadata import version; print(version({dist:?}))"),
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
