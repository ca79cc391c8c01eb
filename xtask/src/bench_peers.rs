//! The peers of `cargo xtask bench`, installed under `target/peers` from the pinned files in
//! `xtask/peers/`: two npm projects (the JavaScript clients; cognito-local) installed with
//! `npm ci` from their package-lock.json, and two Python virtual environments (pycognito;
//! moto's server) installed from hash-pinned requirement files. Each is reinstalled only
//! when its pin files change.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::peers;
use crate::util::{root, run};

/// What the benchmarks run from the peers.
#[derive(Debug, Clone)]
pub struct BenchPeers {
    /// `node_modules` of amazon-cognito-identity-js and aws-amplify.
    pub node_clients: PathBuf,
    /// The scripts that drive them (`xtask/peers/node-clients`).
    pub node_scripts: PathBuf,
    /// cognito-local's entry point (`lib/bin/start.js`).
    pub cognito_local_start: PathBuf,
    /// The interpreter of the venv with pycognito.
    pub pycognito_python: PathBuf,
    /// The `moto_server` program of the venv with `moto[server]`.
    pub moto_server: PathBuf,
    /// The interpreter of that venv.
    pub moto_python: PathBuf,
}

fn pins() -> PathBuf {
    root().join("xtask").join("peers")
}

/// Installs (or reuses) every bench peer.
pub fn setup() -> Result<BenchPeers> {
    let node_clients = npm_project("node-clients")?;
    let cognito_local = npm_project("cognito-local")?;
    let pycognito = peers::venv("bench-pycognito-venv", "bench-pycognito.txt")?;
    let moto = peers::venv("moto-venv", "moto.txt")?;
    let cognito_local_start = cognito_local
        .join("node_modules")
        .join("cognito-local")
        .join("lib")
        .join("bin")
        .join("start.js");
    if !cognito_local_start.exists() {
        bail!("{} is missing after npm ci", cognito_local_start.display());
    }
    Ok(BenchPeers {
        node_clients: node_clients.join("node_modules"),
        node_scripts: pins().join("node-clients"),
        cognito_local_start,
        pycognito_python: pycognito.join("bin").join("python"),
        moto_server: moto.join("bin").join("moto_server"),
        moto_python: moto.join("bin").join("python"),
    })
}

/// `npm ci` of `xtask/peers/<name>/package{,-lock}.json` into `target/peers/<name>`.
fn npm_project(name: &str) -> Result<PathBuf> {
    let src = pins().join(name);
    let dst = peers::dir().join(name);
    let manifest = std::fs::read_to_string(src.join("package.json"))
        .with_context(|| format!("reading {}", src.join("package.json").display()))?;
    let lock = std::fs::read_to_string(src.join("package-lock.json"))
        .with_context(|| format!("reading {}", src.join("package-lock.json").display()))?;
    let wanted = format!("{manifest}\n{lock}");
    let stamp = dst.join(".userpool-pins");
    if dst.join("node_modules").is_dir()
        && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
    {
        return Ok(dst);
    }
    std::fs::create_dir_all(&dst)?;
    std::fs::write(dst.join("package.json"), &manifest)?;
    std::fs::write(dst.join("package-lock.json"), &lock)?;
    run(
        &format!("npm ci ({name})"),
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dst),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(dst)
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
