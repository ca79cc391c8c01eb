//! Running the programs and peers: pinning to cores, Node.js scripts, reading the one JSON
//! object a program prints last.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use super::peers::BenchPeers;

/// Whether to pin with taskset: it exists and there are at least two cores.
pub(super) fn pinning() -> bool {
    std::thread::available_parallelism()
        .map(|n| n.get() >= 2)
        .unwrap_or(false)
        && Command::new("taskset")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
}

/// `program` pinned to `core` when pinning is possible.
pub(super) fn pinned(core: u32, program: impl AsRef<std::ffi::OsStr>) -> Command {
    pinned_to(&core.to_string(), program)
}

/// `program` pinned to the cores of a taskset list (`"0,1"`) when pinning is possible.
pub(super) fn pinned_to(cores: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    if pinning() {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(cores).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// `node script` with the clients' node_modules on NODE_PATH, pinned when `core` is given.
pub(super) fn node(peers: &BenchPeers, script: &str, core: Option<u32>) -> Command {
    let mut c = match core {
        Some(core) => pinned(core, "node"),
        None => Command::new("node"),
    };
    c.arg(peers.node_scripts.join(script))
        .env("NODE_PATH", &peers.node_clients)
        .env("NODE_NO_WARNINGS", "1");
    c
}

/// Runs a program that prints one JSON object (its last line) and returns the object.
pub(super) fn json_of(step: &str, cmd: &mut Command) -> Result<Value> {
    eprintln!("--> {step}");
    let t0 = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{step}: could not start {cmd:?}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("{step}: {} — {}", out.status, tail(&stderr, 1500));
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| anyhow!("{step}: no JSON in the output: {}", tail(&stdout, 500)))?;
    let v: Value =
        serde_json::from_str(line).with_context(|| format!("{step}: bad JSON {line}"))?;
    eprintln!("<-- {step}: {:.1} s", t0.elapsed().as_secs_f64());
    Ok(v)
}

pub(super) fn tail(s: &str, n: usize) -> String {
    let s = s.trim();
    let start = s.len().saturating_sub(n);
    let start = (start..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    s[start..].to_owned()
}

pub(super) fn num(v: &Value, key: &str) -> Result<f64> {
    v.get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| anyhow!("no number {key:?} in {}", tail(&v.to_string(), 300)))
}
