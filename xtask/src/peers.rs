//! Peers: independent implementations the suites and the benchmarks run against,
//! installed under `target/peers` from the package registries, at the versions pinned in
//! `xtask/peers/` (Python virtual environments from hash-pinned requirement files, npm
//! projects with `npm ci` from their lock files). Each is reinstalled only when its pins
//! change.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{root, run, target_dir};

/// Where the peers live.
pub fn dir() -> PathBuf {
    target_dir().join("peers")
}

/// The pins and driver scripts.
fn pins() -> PathBuf {
    root().join("xtask").join("peers")
}

/// Paths to what the suites need from the peers.
#[derive(Debug)]
pub struct Peers {
    /// The Python interpreter of the virtual environment that has boto3.
    pub boto3_python: PathBuf,
    /// The `node_modules` with amazon-cognito-identity-js (the benches' node-clients).
    pub node_clients_modules: PathBuf,
    /// The `node_modules` with aws-amplify 6.
    pub amplify_v6_modules: PathBuf,
    /// The `node_modules` with playwright-core, which drives Debian's Chromium.
    pub browser_modules: PathBuf,
}

/// Sets up every peer (idempotent: a venv whose requirements did not change is reused, an
/// npm project whose pins did not change too).
pub fn setup_all() -> Result<Peers> {
    let boto3_python = venv("boto3-venv", "boto3.txt")?.join("bin").join("python");
    let node_clients_modules = npm_project("node-clients")?.join("node_modules");
    let amplify_v6_modules = npm_project("amplify-v6")?.join("node_modules");
    let browser_modules = npm_project("browser")?.join("node_modules");
    Ok(Peers {
        boto3_python,
        node_clients_modules,
        amplify_v6_modules,
        browser_modules,
    })
}

/// Creates (or reuses) the virtual environment `target/peers/<name>` with the pinned
/// requirements of `xtask/peers/<requirements>`, and returns its folder. A venv whose
/// requirements file did not change since it was made is reused as it is.
pub fn venv(name: &str, requirements: &str) -> Result<PathBuf> {
    let venv = dir().join(name);
    let python = venv.join("bin").join("python");
    let req_path = pins().join(requirements);
    let wanted = std::fs::read_to_string(&req_path)
        .with_context(|| format!("reading {}", req_path.display()))?;
    let stamp = venv.join(".userpool-requirements");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    let system_python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    run(
        &format!("create venv {name}"),
        Command::new(&system_python)
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )?;
    let mut install = Command::new(&python);
    install.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
    ]);
    if wanted.contains("--hash=") {
        install.arg("--require-hashes");
    }
    run(
        &format!("install xtask/peers/{requirements}"),
        install.arg("-r").arg(&req_path),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(venv)
}

/// Installs (or reuses) every peer of the benchmarks and returns their paths as the
/// environment variables the harness reads (`bench/src/harness/peers.rs` names the same
/// variables, in the same order).
pub fn setup_bench() -> Result<Vec<(&'static str, OsString)>> {
    let node_clients = npm_project("node-clients")?;
    let cognito_local = npm_project("cognito-local")?;
    let pycognito = venv("bench-pycognito-venv", "bench-pycognito.txt")?;
    let moto = venv("moto-venv", "moto.txt")?;
    let cognito_local_start = cognito_local.join("node_modules/cognito-local/lib/bin/start.js");
    if !cognito_local_start.exists() {
        bail!("{} is missing after npm ci", cognito_local_start.display());
    }
    Ok(vec![
        (
            "USERPOOL_BENCH_NODE_CLIENTS",
            node_clients.join("node_modules").into(),
        ),
        (
            "USERPOOL_BENCH_NODE_SCRIPTS",
            pins().join("node-clients").into(),
        ),
        ("USERPOOL_BENCH_COGNITO_LOCAL", cognito_local_start.into()),
        (
            "USERPOOL_BENCH_PYCOGNITO_PYTHON",
            pycognito.join("bin/python").into(),
        ),
        (
            "USERPOOL_BENCH_PYCOGNITO_SCRIPT",
            pins().join("pycognito_srp.py").into(),
        ),
        (
            "USERPOOL_BENCH_MOTO_SERVER",
            moto.join("bin/moto_server").into(),
        ),
        ("USERPOOL_BENCH_MOTO_PYTHON", moto.join("bin/python").into()),
    ])
}

/// `npm ci` of `xtask/peers/<name>/package{,-lock}.json` into `target/peers/<name>`.
fn npm_project(name: &str) -> Result<PathBuf> {
    let src = pins().join(name);
    let dst = dir().join(name);
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
