//! What the report says of the machine and of the peers' versions.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::client::{AWS_COGNITO_SRP, GMP};
use super::peers::{self, BenchPeers};
use super::{AMPLIFY, AWS_JWT_VERIFY, COGNITO_LOCAL, JS_CLIENT, MOTO, PYCOGNITO};

pub(super) fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let output = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    json!({
        "nproc": nproc,
        "cpu": cpu,
        "memory_gib": (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "kernel": output("uname", &["-r"]),
        "rustc": output("rustc", &["--version"]),
        "node": output("node", &["--version"]),
        "python": output("python3", &["--version"]),
        "loadavg_at_start": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    })
}

pub(super) fn peer_versions(peers: &BenchPeers) -> Value {
    let cl_modules = peers
        .cognito_local_start
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    json!({
        JS_CLIENT: peers::npm_version(&peers.node_clients, JS_CLIENT),
        AMPLIFY: peers::npm_version(&peers.node_clients, AMPLIFY),
        AWS_JWT_VERIFY: peers::npm_version(&peers.node_clients, AWS_JWT_VERIFY),
        PYCOGNITO: peers::pip_version(&peers.pycognito_python, "pycognito"),
        MOTO: peers::pip_version(&peers.moto_python, "moto"),
        COGNITO_LOCAL: peers::npm_version(&cl_modules, COGNITO_LOCAL),
        AWS_COGNITO_SRP: crate::AWS_COGNITO_SRP_VERSION,
        GMP: peers::pip_version(&peers.pycognito_python, "gmpy2"),
    })
}
