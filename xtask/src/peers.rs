//! Peers: independent implementations the suites run against, installed under
//! `target/peers` from the package registries with pinned versions.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::util::{root, run};

/// Where the peers live.
pub fn dir() -> PathBuf {
    root().join("target").join("peers")
}

/// Paths to what the suites need from the peers.
#[derive(Debug)]
pub struct Peers {
    /// The Python interpreter of the virtual environment that has boto3.
    pub boto3_python: PathBuf,
}

/// Sets up every peer (idempotent: a venv whose requirements did not change is reused).
pub fn setup_all() -> Result<Peers> {
    let boto3_python = venv("boto3-venv", "boto3.txt")?.join("bin").join("python");
    Ok(Peers { boto3_python })
}

/// Creates (or reuses) the virtual environment `target/peers/<name>` with the pinned
/// requirements of `xtask/peers/<requirements>`, and returns its folder. A venv whose
/// requirements file did not change since it was made is reused as it is.
pub fn venv(name: &str, requirements: &str) -> Result<PathBuf> {
    let venv = dir().join(name);
    let python = venv.join("bin").join("python");
    let req_path = root().join("xtask").join("peers").join(requirements);
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
