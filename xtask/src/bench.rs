//! `cargo xtask bench [--quick] [--only LIST] [--runs N]`: userpool against its peers.
//!
//! Installs the peers (see [`crate::bench_peers`]), builds the benchmark programs in
//! release mode (crate `userpool-loadgen`, the `userpool-local` server), runs four
//! measurements and reports medians over several runs, with the ratio of userpool to each
//! peer (above 1 means userpool is better):
//!
//! | key | what | userpool | peers |
//! |---|---|---|---|
//! | `srp_sign_in` | client SRP work of one sign-in, no network | `userpool-bench-srp` | amazon-cognito-identity-js (Node), pycognito |
//! | `current_session` | `current_session` with a valid session, no network | `userpool-bench-client session` | Amplify JS v5 |
//! | `concurrent_refresh` | 1,000 concurrent session requests at expiry: refresh calls at the server, time until all have tokens | `userpool-bench-client refresh` | Amplify JS v5 |
//! | `server_sign_ins` | sign-ins per second on loopback, start-up time, resident memory | userpool-local | moto, cognito-local |
//!
//! Servers run pinned to core 1 and the load generator to core 0 (`taskset`), when the
//! machine has two cores or more. The table is printed and written to
//! `target/bench/report.{txt,json,png}`. A measurement that cannot run (a crate that does
//! not build yet, a peer that fails) is reported with its error; the others still run.
//! Nothing here asserts on timings.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value, json};

use crate::bench_peers::{self, BenchPeers};
use crate::chart::{self, Bar, Panel};
use crate::util::{cargo, root};

/// Names used in the report.
const JS_CLIENT: &str = "amazon-cognito-identity-js";
const PYCOGNITO: &str = "pycognito";
const AMPLIFY: &str = "aws-amplify";
const LOCAL: &str = "userpool-local";
/// The same server without a data directory (state in memory, like moto).
const LOCAL_MEM: &str = "userpool-local-in-memory";
const MOTO: &str = "moto";
const COGNITO_LOCAL: &str = "cognito-local";

const USAGE: &str = "\
cargo xtask bench [--quick] [--only srp,session,refresh,servers] [--runs N]

  --quick   fewer iterations and runs (a couple of minutes)
  --only    run only these measurements
  --runs    runs per measurement (default 5, quick 3); medians are over the runs
";

/// How much work each measurement does.
#[derive(Debug, Clone)]
struct Params {
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
            }
        }
    }
}

/// The programs built for the benchmarks; each one may have failed to build.
struct Programs {
    loadgen: Result<PathBuf>,
    countproxy: Result<PathBuf>,
    bench_srp: Result<PathBuf>,
    bench_client: Result<PathBuf>,
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
        if !["srp", "session", "refresh", "servers"].contains(&name.as_str()) {
            bail!("--only: unknown measurement {name:?}\n\n{USAGE}");
        }
    }

    let out_dir = target_dir().join("bench");
    std::fs::create_dir_all(out_dir.join("logs"))?;
    let started = Instant::now();

    let peers = bench_peers::setup()?;
    let programs = build_programs(
        wanted("servers") || wanted("refresh"),
        wanted("session") || wanted("refresh"),
    );

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

// ---------------------------------------------------------------------------------------
// Building and running programs

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

fn cargo_build(step: &str, args: &[&str]) -> Result<()> {
    eprintln!("\n==> {step}: cargo {}", args.join(" "));
    let t0 = Instant::now();
    let status = cargo().args(args).status().context("running cargo")?;
    eprintln!(
        "<== {step}: {status} in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn release_bin(name: &str) -> PathBuf {
    target_dir().join("release").join(name)
}

fn build_programs(need_local: bool, need_client: bool) -> Programs {
    let base = cargo_build(
        "build the load generator",
        &[
            "build",
            "--release",
            "-p",
            "userpool-loadgen",
            "--no-default-features",
            "--features",
            "srp",
            "--bins",
        ],
    );
    let from_base = |name: &str| match &base {
        Ok(()) => Ok(release_bin(name)),
        Err(e) => Err(anyhow!("{e:#}")),
    };
    let local = if need_local {
        cargo_build(
            "build userpool-local",
            &[
                "build",
                "--release",
                "-p",
                "userpool-local",
                "--bin",
                "userpool-local",
            ],
        )
        .map(|()| release_bin("userpool-local"))
    } else {
        Err(anyhow!("not needed"))
    };
    let bench_client = if need_client {
        cargo_build(
            "build the userpool client benchmarks",
            &[
                "build",
                "--release",
                "-p",
                "userpool-loadgen",
                "--bin",
                "userpool-bench-client",
            ],
        )
        .map(|()| release_bin("userpool-bench-client"))
    } else {
        Err(anyhow!("not needed"))
    };
    Programs {
        loadgen: from_base("userpool-loadgen"),
        countproxy: from_base("userpool-countproxy"),
        bench_srp: from_base("userpool-bench-srp"),
        bench_client,
        local,
    }
}

fn program(p: &Result<PathBuf>, what: &str) -> Result<PathBuf> {
    p.as_ref()
        .cloned()
        .map_err(|e| anyhow!("{what} is not available: {e:#}"))
}

/// Whether to pin with taskset: it exists and there are at least two cores.
fn pinning() -> bool {
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
fn pinned(core: u32, program: impl AsRef<std::ffi::OsStr>) -> Command {
    if pinning() {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(core.to_string()).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// `node script` with the clients' node_modules on NODE_PATH, pinned when `core` is given.
fn node(peers: &BenchPeers, script: &str, core: Option<u32>) -> Command {
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
fn json_of(step: &str, cmd: &mut Command) -> Result<Value> {
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

fn tail(s: &str, n: usize) -> String {
    let s = s.trim();
    let start = s.len().saturating_sub(n);
    let start = (start..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    s[start..].to_owned()
}

fn num(v: &Value, key: &str) -> Result<f64> {
    v.get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| anyhow!("no number {key:?} in {}", tail(&v.to_string(), 300)))
}

fn median(xs: &[f64]) -> f64 {
    let mut s: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

// ---------------------------------------------------------------------------------------
// Machine and versions

fn machine() -> Value {
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

fn peer_versions(peers: &BenchPeers) -> Value {
    let cl_modules = peers
        .cognito_local_start
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    json!({
        JS_CLIENT: bench_peers::npm_version(&peers.node_clients, JS_CLIENT),
        AMPLIFY: bench_peers::npm_version(&peers.node_clients, AMPLIFY),
        PYCOGNITO: bench_peers::pip_version(&peers.pycognito_python, "pycognito"),
        MOTO: bench_peers::pip_version(&peers.moto_python, "moto"),
        COGNITO_LOCAL: bench_peers::npm_version(&cl_modules, COGNITO_LOCAL),
    })
}

// ---------------------------------------------------------------------------------------
// 1. Client SRP work per sign-in

fn srp_sign_in(p: &Params, peers: &BenchPeers, programs: &Programs) -> Result<Value> {
    eprintln!("\n== srp_sign_in: client SRP work per sign-in");
    let vectors = root().join("crates/userpool-srp/tests/vectors/srp.jsonl");
    if !vectors.exists() {
        bail!("{} is missing", vectors.display());
    }
    let runs = p.runs.to_string();
    let ours = program(&programs.bench_srp, "userpool-bench-srp").and_then(|bin| {
        json_of(
            "userpool (userpool-bench-srp)",
            Command::new(bin)
                .arg(&vectors)
                .arg(p.srp_iters_rust.to_string())
                .arg(&runs),
        )
    });
    let js = json_of(
        JS_CLIENT,
        node(peers, "srp.js", None)
            .arg(&vectors)
            .arg(p.srp_iters_js.to_string())
            .arg(&runs),
    );
    let py = json_of(
        PYCOGNITO,
        Command::new(&peers.pycognito_python)
            .arg(root().join("xtask/peers/pycognito_srp.py"))
            .arg(&vectors)
            .arg(p.srp_iters_py.to_string())
            .arg(&runs),
    );
    ratios_lower_is_better(
        "ms per sign-in (A, then the password claim signature)",
        "userpool",
        ours,
        vec![(JS_CLIENT, js), (PYCOGNITO, py)],
        "median_ms",
        Some((JS_CLIENT, 20.0)),
    )
}

/// Builds `{unit, medians, ratio_vs_<peer>, target, details}` for a time where lower is
/// better: the ratio is peer / userpool.
fn ratios_lower_is_better(
    unit: &str,
    ours_name: &str,
    ours: Result<Value>,
    peers: Vec<(&str, Result<Value>)>,
    key: &str,
    target: Option<(&str, f64)>,
) -> Result<Value> {
    let mut medians = Map::new();
    let mut details = Map::new();
    let mut errors = Map::new();
    let ours_value = match &ours {
        Ok(v) => {
            details.insert(ours_name.into(), v.clone());
            let m = num(v, key)?;
            medians.insert(ours_name.into(), json!(m));
            Some(m)
        }
        Err(e) => {
            errors.insert(ours_name.into(), json!(format!("{e:#}")));
            None
        }
    };
    let mut out = Map::new();
    out.insert("unit".into(), json!(unit));
    out.insert("lower_is_better".into(), json!(true));
    for (name, r) in peers {
        match r {
            Ok(v) => {
                let m = num(&v, key)?;
                medians.insert(name.into(), json!(m));
                details.insert(name.into(), v);
                if let Some(o) = ours_value {
                    out.insert(format!("ratio_vs_{name}"), json!(m / o));
                }
            }
            Err(e) => {
                errors.insert(name.into(), json!(format!("{e:#}")));
            }
        }
    }
    if let Some((peer, min)) = target {
        let ratio = out.get(&format!("ratio_vs_{peer}")).and_then(Value::as_f64);
        out.insert(
            "target".into(),
            json!({ "vs": peer, "min_ratio": min, "ratio": ratio, "met": ratio.map(|r| r >= min) }),
        );
    }
    out.insert("medians".into(), Value::Object(medians));
    if !errors.is_empty() {
        out.insert("errors".into(), Value::Object(errors));
    }
    out.insert("details".into(), Value::Object(details));
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------------------
// 2. current_session with a valid session

fn current_session(p: &Params, peers: &BenchPeers, programs: &Programs) -> Result<Value> {
    eprintln!("\n== current_session: a valid session, no network");
    let runs = p.runs.to_string();
    let ours = program(&programs.bench_client, "userpool-bench-client").and_then(|bin| {
        json_of(
            "userpool (userpool-bench-client session)",
            Command::new(bin)
                .arg("session")
                .arg(p.session_iters_rust.to_string())
                .arg(&runs),
        )
    });
    let amplify = json_of(
        AMPLIFY,
        node(peers, "current_session.js", None)
            .arg(p.session_iters_js.to_string())
            .arg(&runs),
    );
    ratios_lower_is_better(
        "µs per call",
        "userpool",
        ours,
        vec![(AMPLIFY, amplify)],
        "median_us",
        Some((AMPLIFY, 100.0)),
    )
}

// ---------------------------------------------------------------------------------------
// Servers

/// A server we started, in its own process group; stopped on drop.
struct Server {
    name: String,
    child: Child,
    port: u16,
}

impl Server {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let pgid = self.child.id();
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .arg(format!("-{sig}"))
                .arg("--")
                .arg(format!("-{pgid}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        if matches!(self.child.try_wait(), Ok(None)) {
            signal("TERM");
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(5) {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // whatever is left of the group (children of wrappers)
        signal("KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// How to start each server.
#[derive(Clone)]
enum ServerKind {
    Local(PathBuf),
    Moto(PathBuf),
    CognitoLocal(PathBuf),
    LocalInMemory(PathBuf),
}

impl ServerKind {
    fn name(&self) -> &'static str {
        match self {
            ServerKind::Local(_) => LOCAL,
            ServerKind::Moto(_) => MOTO,
            ServerKind::CognitoLocal(_) => COGNITO_LOCAL,
            ServerKind::LocalInMemory(_) => LOCAL_MEM,
        }
    }

    /// Spawns the server on a fresh port and data folder, pinned to core 1.
    fn spawn(&self, out_dir: &Path, tag: &str) -> Result<Server> {
        let port = free_port()?;
        let data = out_dir.join("data").join(format!("{}-{tag}", self.name()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data)?;
        let mut cmd = match self {
            ServerKind::Local(bin) => {
                let mut c = pinned(1, bin);
                c.args(["--host", "127.0.0.1", "--port", &port.to_string(), "--data"])
                    .arg(&data);
                c
            }
            ServerKind::LocalInMemory(bin) => {
                let mut c = pinned(1, bin);
                c.args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--in-memory",
                ]);
                c
            }
            ServerKind::Moto(bin) => {
                let mut c = pinned(1, bin);
                c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
                c
            }
            ServerKind::CognitoLocal(start_js) => {
                let mut c = pinned(1, "node");
                c.arg(start_js)
                    .env("PORT", port.to_string())
                    .env("HOST", "127.0.0.1")
                    .env("NODE_NO_WARNINGS", "1");
                c
            }
        };
        let log = std::fs::File::create(
            out_dir
                .join("logs")
                .join(format!("{}-{tag}.log", self.name())),
        )?;
        cmd.current_dir(&data)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}: {cmd:?}", self.name()))?;
        Ok(Server {
            name: self.name().to_owned(),
            child,
            port,
        })
    }
}

/// Polls until the server answers an HTTP request (any status); returns the time taken.
fn wait_ready(server: &mut Server, since: Instant, timeout: Duration) -> Result<Duration> {
    let body = br#"{"MaxResults":1}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        server.port,
        body.len()
    );
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            bail!("{} exited before answering ({status})", server.name);
        }
        if since.elapsed() > timeout {
            bail!("{} did not answer within {timeout:?}", server.name);
        }
        let addr = ([127, 0, 0, 1], server.port).into();
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            if s.write_all(request.as_bytes())
                .and_then(|()| s.write_all(body))
                .is_ok()
            {
                let mut buf = [0u8; 12];
                if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                    return Ok(since.elapsed());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// VmRSS and VmHWM (KiB) of `pid` and all its descendants.
fn tree_memory_kib(pid: u32) -> (u64, u64) {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            // the command name is in parentheses and may hold spaces: parse after the last ')'
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|s| s.parse::<u32>().ok());
            if let Some(pp) = ppid {
                parent_of.push((p, pp));
            }
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let cur = tree[i];
        for &(p, pp) in &parent_of {
            if pp == cur && !tree.contains(&p) {
                tree.push(p);
            }
        }
        i += 1;
    }
    let (mut rss, mut hwm) = (0, 0);
    for p in tree {
        let status = std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        rss += field("VmRSS:");
        hwm += field("VmHWM:");
    }
    (rss, hwm)
}

fn mib(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

fn loadgen_setup(loadgen: &Path, url: &str, users: usize) -> Result<Value> {
    json_of(
        "set up a pool and users",
        pinned(0, loadgen).args(["setup", "--endpoint", url, "--users", &users.to_string()]),
    )
}

// ---------------------------------------------------------------------------------------
// 3. Concurrent refresh

fn concurrent_refresh(
    p: &Params,
    peers: &BenchPeers,
    programs: &Programs,
    out_dir: &Path,
) -> Result<Value> {
    eprintln!(
        "\n== concurrent_refresh: {} concurrent session requests at expiry",
        p.refresh_concurrency
    );
    let loadgen = program(&programs.loadgen, "userpool-loadgen")?;
    let proxy_bin = program(&programs.countproxy, "userpool-countproxy")?;
    let mut notes = Vec::new();
    let kind = match program(&programs.local, LOCAL) {
        Ok(bin) => ServerKind::Local(bin),
        Err(e) => {
            notes.push(format!(
                "userpool-local is not available ({e:#}); the refresh server is moto instead"
            ));
            ServerKind::Moto(peers.moto_server.clone())
        }
    };
    let mut server = kind.spawn(out_dir, "refresh")?;
    wait_ready(&mut server, Instant::now(), Duration::from_secs(60))?;
    let mut proxy = spawn_proxy(&proxy_bin, &server.url(), out_dir)?;
    let proxy_url = proxy.url();
    let counts_url = format!("{proxy_url}/__counts");
    let setup = loadgen_setup(&loadgen, &server.url(), 2)?;
    let s = |k: &str| {
        setup
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let user = |i: usize| {
        setup["usernames"]
            .get(i)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (pool_id, client_id, password) = (s("pool_id"), s("client_id"), s("password"));
    let common = |c: &mut Command, username: String| {
        c.args([
            "--endpoint",
            &proxy_url,
            "--pool-id",
            &pool_id,
            "--client-id",
            &client_id,
        ])
        .args([
            "--username",
            &username,
            "--password",
            &password,
            "--counts",
            &counts_url,
        ])
        .args([
            "--concurrency",
            &p.refresh_concurrency.to_string(),
            "--runs",
            &p.runs.to_string(),
        ]);
    };
    let ours = program(&programs.bench_client, "userpool-bench-client").and_then(|bin| {
        let mut c = pinned(0, bin);
        c.arg("refresh");
        common(&mut c, user(0));
        json_of("userpool (userpool-bench-client refresh)", &mut c)
    });
    let amplify = {
        let mut c = node(peers, "concurrent_refresh.js", Some(0));
        common(&mut c, user(1));
        json_of(AMPLIFY, &mut c)
    };
    proxy.stop();
    server.stop();

    let mut medians = Map::new();
    let mut details = Map::new();
    let mut errors = Map::new();
    let mut out = Map::new();
    out.insert(
        "unit".into(),
        json!("refresh calls that reached the server; ms until every request had its tokens"),
    );
    out.insert("server".into(), json!(kind.name()));
    out.insert("concurrency".into(), json!(p.refresh_concurrency));
    let summary = |v: &Value| -> Result<Value> {
        Ok(json!({
            "refresh_calls": num(v, "refresh_calls")?,
            "refresh_calls_max": v.get("refresh_calls_max").cloned().unwrap_or(Value::Null),
            "all_done_ms": num(v, "all_done_ms")?,
            "errors": v.get("errors").cloned().unwrap_or(Value::Null),
        }))
    };
    let ours_summary = match &ours {
        Ok(v) => {
            let sm = summary(v)?;
            out.insert(
                "userpool_exactly_one_refresh".into(),
                json!(
                    v.get("refresh_calls_max").and_then(Value::as_f64) == Some(1.0)
                        && v.get("errors").and_then(Value::as_u64) == Some(0)
                ),
            );
            medians.insert("userpool".into(), sm.clone());
            details.insert("userpool".into(), v.clone());
            Some(sm)
        }
        Err(e) => {
            errors.insert("userpool".into(), json!(format!("{e:#}")));
            None
        }
    };
    match &amplify {
        Ok(v) => {
            let sm = summary(v)?;
            if let Some(o) = &ours_summary {
                let t = sm["all_done_ms"].as_f64().unwrap_or(f64::NAN)
                    / o["all_done_ms"].as_f64().unwrap_or(f64::NAN);
                let c = sm["refresh_calls"].as_f64().unwrap_or(f64::NAN)
                    / o["refresh_calls"].as_f64().unwrap_or(f64::NAN);
                out.insert(format!("ratio_vs_{AMPLIFY}"), json!(t));
                out.insert(
                    format!("ratios_by_metric_vs_{AMPLIFY}"),
                    json!({ "all_done_ms": t, "refresh_calls": c }),
                );
            }
            medians.insert(AMPLIFY.into(), sm);
            details.insert(AMPLIFY.into(), v.clone());
        }
        Err(e) => {
            errors.insert(AMPLIFY.into(), json!(format!("{e:#}")));
        }
    }
    out.insert("medians".into(), Value::Object(medians));
    if !errors.is_empty() {
        out.insert("errors".into(), Value::Object(errors));
    }
    if !notes.is_empty() {
        out.insert("notes".into(), json!(notes));
    }
    out.insert("details".into(), Value::Object(details));
    Ok(Value::Object(out))
}

/// Starts userpool-countproxy in front of `upstream` (pinned with the server, core 1).
fn spawn_proxy(bin: &Path, upstream: &str, out_dir: &Path) -> Result<Server> {
    let port = free_port()?;
    let log = std::fs::File::create(out_dir.join("logs").join("countproxy.log"))?;
    let child = pinned(1, bin)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--upstream",
            upstream,
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .context("starting userpool-countproxy")?;
    let mut s = Server {
        name: "userpool-countproxy".into(),
        child,
        port,
    };
    wait_ready(&mut s, Instant::now(), Duration::from_secs(10))?;
    Ok(s)
}

// ---------------------------------------------------------------------------------------
// 4. Server sign-ins per second, start-up time, memory

fn server_sign_ins(
    p: &Params,
    peers: &BenchPeers,
    programs: &Programs,
    out_dir: &Path,
) -> Result<Value> {
    eprintln!("\n== server_sign_ins: sign-ins per second on loopback, start-up, memory");
    let loadgen = program(&programs.loadgen, "userpool-loadgen")?;
    let mut servers: Vec<(String, Result<ServerKind>)> = vec![
        (
            LOCAL.into(),
            program(&programs.local, LOCAL).map(ServerKind::Local),
        ),
        (
            LOCAL_MEM.into(),
            program(&programs.local, LOCAL).map(ServerKind::LocalInMemory),
        ),
        (MOTO.into(), Ok(ServerKind::Moto(peers.moto_server.clone()))),
        (
            COGNITO_LOCAL.into(),
            Ok(ServerKind::CognitoLocal(peers.cognito_local_start.clone())),
        ),
    ];
    let mut medians = Map::new();
    let mut details = Map::new();
    let mut errors = Map::new();
    for (name, kind) in servers.drain(..) {
        let r = kind.and_then(|k| measure_server(p, &k, &loadgen, out_dir));
        match r {
            Ok((summary, detail)) => {
                medians.insert(name.clone(), summary);
                details.insert(name, detail);
            }
            Err(e) => {
                eprintln!("!! {name}: {e:#}");
                errors.insert(name, json!(format!("{e:#}")));
            }
        }
    }
    let mut out = Map::new();
    out.insert(
        "unit".into(),
        json!("USER_PASSWORD_AUTH sign-ins per second (higher is better); p50/p99 latency ms; start-up ms; resident MiB"),
    );
    out.insert(
        "load".into(),
        json!({
            "users": p.server_users, "workers": p.server_workers,
            "sign_ins_per_run": p.server_count, "srp_sign_ins_per_run": p.server_srp_count,
            "max_secs_per_run": p.server_max_secs, "runs": p.runs,
            "client": "userpool-loadgen (raw HTTP/1.1, keep-alive where the server allows it, one thread)",
        }),
    );
    if let Some(ours) = medians.get(LOCAL).cloned() {
        for peer in [MOTO, COGNITO_LOCAL] {
            let Some(theirs) = medians.get(peer) else {
                continue;
            };
            let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
            let higher = |k: &str| f(&ours, k) / f(theirs, k);
            let lower = |k: &str| f(theirs, k) / f(&ours, k);
            out.insert(format!("ratio_vs_{peer}"), json!(higher("signins_per_sec")));
            out.insert(
                format!("ratios_by_metric_vs_{peer}"),
                json!({
                    "signins_per_sec": higher("signins_per_sec"),
                    "p50_ms": lower("p50_ms"),
                    "p99_ms": lower("p99_ms"),
                    "startup_ms": lower("startup_ms"),
                    "rss_after_load_mib": lower("rss_after_load_mib"),
                }),
            );
        }
    }
    out.insert("medians".into(), Value::Object(medians));
    if !errors.is_empty() {
        out.insert("errors".into(), Value::Object(errors));
    }
    out.insert(
        "notes".into(),
        json!([
            "moto's USER_SRP_AUTH is fake (it accepts any signature) and cognito-local has no SRP: the SRP row is userpool-local alone",
            "userpool-local runs with --data (durable SQLite) and is the row the ratios use; userpool-local-in-memory is the same server with --in-memory; moto keeps state in memory; cognito-local writes JSON files",
            "the SRP rate includes the client's own SRP work on the load generator's core",
            "every run of a server goes on with the state of the runs before it (the per-run figures are in details); cognito-local slows down run after run as its JSON files grow with every sign-in's refresh token, and a run stops at max_secs_per_run",
        ]),
    );
    out.insert("details".into(), Value::Object(details));
    Ok(Value::Object(out))
}

/// Start-up over several spawns, then one server under load: returns the medians and the
/// raw figures.
fn measure_server(
    p: &Params,
    kind: &ServerKind,
    loadgen: &Path,
    out_dir: &Path,
) -> Result<(Value, Value)> {
    let name = kind.name();
    eprintln!("\n-- {name}");
    let mut startups = Vec::new();
    let mut idle_rss = Vec::new();
    for i in 0..p.startup_spawns {
        let t0 = Instant::now();
        let mut s = kind.spawn(out_dir, &format!("startup{i}"))?;
        let d = wait_ready(&mut s, t0, Duration::from_secs(120))?;
        startups.push(d.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(300));
        idle_rss.push(tree_memory_kib(s.pid()).0 as f64);
        s.stop();
    }
    eprintln!("    start-up ms: {startups:.0?}");

    let t0 = Instant::now();
    let mut server = kind.spawn(out_dir, "load")?;
    wait_ready(&mut server, t0, Duration::from_secs(120))?;
    let setup = json_of(
        &format!("{name}: create {} users", p.server_users),
        pinned(0, loadgen).args([
            "setup",
            "--endpoint",
            &server.url(),
            "--users",
            &p.server_users.to_string(),
        ]),
    )?;
    let pool_id = setup["pool_id"].as_str().unwrap_or_default().to_owned();
    let client_id = setup["client_id"].as_str().unwrap_or_default().to_owned();
    let signin = |flow: &str, count: usize| {
        json_of(
            &format!("{name}: {flow} sign-ins"),
            pinned(0, loadgen)
                .args(["signin", "--endpoint", &server.url(), "--flow", flow])
                .args(["--pool-id", &pool_id, "--client-id", &client_id])
                .args([
                    "--users",
                    &p.server_users.to_string(),
                    "--workers",
                    &p.server_workers.to_string(),
                ])
                .args([
                    "--count",
                    &count.to_string(),
                    "--max-secs",
                    &p.server_max_secs.to_string(),
                ])
                .args(["--runs", &p.runs.to_string()]),
        )
    };
    let password = signin("password", p.server_count)?;
    let srp = if matches!(kind, ServerKind::Local(_)) {
        Some(signin("srp", p.server_srp_count))
    } else {
        None
    };
    let (rss_after, hwm) = tree_memory_kib(server.pid());
    server.stop();

    let mut summary = json!({
        "signins_per_sec": num(&password, "signins_per_sec")?,
        "p50_ms": num(&password, "p50_ms")?,
        "p99_ms": num(&password, "p99_ms")?,
        "errors": password.get("errors").cloned().unwrap_or(Value::Null),
        "startup_ms": median(&startups),
        "rss_idle_mib": mib(median(&idle_rss) as u64),
        "rss_after_load_mib": mib(rss_after),
        "rss_peak_mib": mib(hwm),
    });
    let mut detail = json!({
        "startup_ms": startups,
        "rss_idle_kib": idle_rss,
        "setup_s": setup.get("setup_s"),
        "password": password,
    });
    match srp {
        Some(Ok(v)) => {
            summary["srp_signins_per_sec"] = json!(num(&v, "signins_per_sec")?);
            summary["srp_p50_ms"] = json!(num(&v, "p50_ms")?);
            summary["srp_p99_ms"] = json!(num(&v, "p99_ms")?);
            summary["srp_errors"] = v.get("errors").cloned().unwrap_or(Value::Null);
            detail["srp"] = v;
        }
        Some(Err(e)) => {
            summary["srp_error"] = json!(format!("{e:#}"));
        }
        None => {}
    }
    Ok((summary, detail))
}

// ---------------------------------------------------------------------------------------
// The table and the chart

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 100.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A count: no decimals when whole.
fn fmt_count(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        fmt_num(v)
    }
}

/// "userpool 3.2x better" or, below 1, "userpool 1.9x worse".
fn better_or_worse(r: f64) -> String {
    if r >= 1.0 {
        format!("userpool {}x better", fmt_num(r))
    } else {
        format!("userpool {}x worse", fmt_num(1.0 / r))
    }
}

fn fmt_ratio(v: Option<f64>) -> String {
    match v {
        Some(r) if r.is_finite() => format!("{}x", fmt_num(r)),
        _ => "-".into(),
    }
}

fn version_of(report: &Value, name: &str) -> String {
    report["peers"]
        .get(name)
        .and_then(Value::as_str)
        .map(|v| format!("{name} {v}"))
        .unwrap_or_else(|| name.to_owned())
}

fn header_lines(report: &Value) -> Vec<String> {
    let m = &report["machine"];
    vec![
        format!(
            "machine: {} cores ({}), {} GiB; load at start {}; {}",
            m["nproc"],
            m["cpu"].as_str().unwrap_or("?"),
            m["memory_gib"],
            m["loadavg_at_start"].as_str().unwrap_or("?"),
            m["rustc"].as_str().unwrap_or("?"),
        ),
        format!(
            "peers: {}",
            [JS_CLIENT, AMPLIFY, PYCOGNITO, MOTO, COGNITO_LOCAL]
                .iter()
                .map(|n| version_of(report, n))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "medians over {} runs{}; ratio = how many times better userpool is (>1: userpool better)",
            report["settings"]["runs"],
            if report["settings"]["quick"].as_bool() == Some(true) {
                " (--quick)"
            } else {
                ""
            }
        ),
    ]
}

/// The entries of a `medians` object, userpool first.
fn ordered(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<(&String, &Value)> = m.iter().collect();
    v.sort_by_key(|(k, _)| (k.as_str() != "userpool", k.as_str()));
    v
}

fn table(report: &Value) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut push = |a: &str, b: String, c: String, d: String| rows.push([a.to_owned(), b, c, d]);
    let error_rows =
        |push: &mut dyn FnMut(&str, String, String, String), section: &str, v: &Value| {
            if let Some(e) = v.get("error").and_then(Value::as_str) {
                push(section, "(failed)".into(), tail(e, 90), String::new());
            }
            if let Some(errs) = v.get("errors").and_then(Value::as_object) {
                for (k, e) in errs {
                    push(
                        section,
                        k.clone(),
                        "(failed)".into(),
                        tail(e.as_str().unwrap_or(""), 70),
                    );
                }
            }
        };

    for (key, title, unit, target_peer) in [
        (
            "srp_sign_in",
            "srp_sign_in (client SRP per sign-in)",
            "ms",
            Some(JS_CLIENT),
        ),
        (
            "current_session",
            "current_session (valid session)",
            "µs",
            Some(AMPLIFY),
        ),
    ] {
        let v = &report[key];
        if v.is_null() {
            continue;
        }
        error_rows(&mut push, title, v);
        if let Some(m) = v.get("medians").and_then(Value::as_object) {
            for (name, val) in ordered(m) {
                let ratio = if name == "userpool" {
                    String::new()
                } else {
                    let r = v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64);
                    let mut s = fmt_ratio(r);
                    if Some(name.as_str()) == target_peer
                        && let Some(t) = v.get("target")
                    {
                        let met = match t["met"].as_bool() {
                            Some(true) => "met",
                            Some(false) => "NOT met",
                            None => "?",
                        };
                        s = format!("{s} (target ≥{}x: {met})", t["min_ratio"]);
                    }
                    s
                };
                let label = if name == "userpool" {
                    name.clone()
                } else {
                    version_of(report, name)
                };
                push(
                    title,
                    label,
                    format!("{} {unit}", fmt_num(val.as_f64().unwrap_or(f64::NAN))),
                    ratio,
                );
            }
        }
    }

    let v = &report["concurrent_refresh"];
    if !v.is_null() {
        let title = format!(
            "concurrent_refresh ({} at expiry, server {})",
            v["concurrency"],
            v["server"].as_str().unwrap_or("?")
        );
        error_rows(&mut push, &title, v);
        if let Some(m) = v.get("medians").and_then(Value::as_object) {
            for (name, val) in ordered(m) {
                let ratio = if name == "userpool" {
                    match v
                        .get("userpool_exactly_one_refresh")
                        .and_then(Value::as_bool)
                    {
                        Some(true) => "exactly 1 refresh: yes".into(),
                        Some(false) => "exactly 1 refresh: NO".into(),
                        None => String::new(),
                    }
                } else {
                    fmt_ratio(v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64))
                };
                let label = if name == "userpool" {
                    name.clone()
                } else {
                    version_of(report, name)
                };
                push(
                    &title,
                    label,
                    format!(
                        "{} refresh call(s), all done in {} ms",
                        fmt_count(val["refresh_calls"].as_f64().unwrap_or(f64::NAN)),
                        fmt_num(val["all_done_ms"].as_f64().unwrap_or(f64::NAN))
                    ),
                    ratio,
                );
            }
        }
    }

    let v = &report["server_sign_ins"];
    if !v.is_null() {
        let title = "server_sign_ins (loopback)";
        error_rows(&mut push, title, v);
        if let Some(m) = v.get("medians").and_then(Value::as_object) {
            for name in [LOCAL, LOCAL_MEM, MOTO, COGNITO_LOCAL] {
                let Some(val) = m.get(name) else { continue };
                let f = |k: &str| val.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
                let label = if name == LOCAL || name == LOCAL_MEM {
                    name.to_owned()
                } else {
                    version_of(report, name)
                };
                push(
                    title,
                    label,
                    format!(
                        "{} sign-ins/s, p50 {} ms, p99 {} ms; start {} ms; RSS {} MiB",
                        fmt_num(f("signins_per_sec")),
                        fmt_num(f("p50_ms")),
                        fmt_num(f("p99_ms")),
                        fmt_num(f("startup_ms")),
                        fmt_num(f("rss_after_load_mib")),
                    ),
                    if name == LOCAL {
                        String::new()
                    } else if name == LOCAL_MEM {
                        "(variant: --in-memory)".into()
                    } else {
                        let r = |k: &str| {
                            v.get(format!("ratios_by_metric_vs_{name}"))
                                .and_then(|o| o.get(k))
                                .and_then(Value::as_f64)
                        };
                        format!(
                            "{} throughput, {} start-up, {} memory",
                            fmt_ratio(r("signins_per_sec")),
                            fmt_ratio(r("startup_ms")),
                            fmt_ratio(r("rss_after_load_mib"))
                        )
                    },
                );
                if name == LOCAL {
                    if val.get("srp_signins_per_sec").is_some() {
                        push(
                            title,
                            format!("{LOCAL} (USER_SRP_AUTH)"),
                            format!(
                                "{} sign-ins/s, p50 {} ms, p99 {} ms",
                                fmt_num(f("srp_signins_per_sec")),
                                fmt_num(f("srp_p50_ms")),
                                fmt_num(f("srp_p99_ms")),
                            ),
                            "(no peer has real SRP)".into(),
                        );
                    } else if let Some(e) = val.get("srp_error").and_then(Value::as_str) {
                        push(
                            title,
                            format!("{LOCAL} (USER_SRP_AUTH)"),
                            "(failed)".into(),
                            tail(e, 70),
                        );
                    }
                }
            }
        }
    }

    let mut widths = [0usize; 4];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::from("userpool peer benchmarks\n");
    for l in header_lines(report) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let heads = [
        "measurement",
        "implementation",
        "median",
        "ratio (userpool vs peer)",
    ];
    let line: Vec<String> = heads
        .iter()
        .zip(widths)
        .map(|(h, w)| pad(h, w.max(h.len())))
        .collect();
    out.push_str(line.join("  ").trim_end());
    out.push('\n');
    let mut last = String::new();
    for r in &rows {
        let first = if r[0] == last {
            String::new()
        } else {
            r[0].clone()
        };
        last = r[0].clone();
        let cells = [first, r[1].clone(), r[2].clone(), r[3].clone()];
        let line: Vec<String> = cells
            .iter()
            .zip(widths)
            .zip(heads)
            .map(|((c, w), h)| pad(c, w.max(h.len())))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn write_chart(report: &Value, path: &Path) -> Result<()> {
    let mut panels = Vec::new();
    let bars_of = |v: &Value, unit: &str, order: &[&str]| -> Vec<Bar> {
        let mut bars = Vec::new();
        for name in order {
            let val = v["medians"].get(*name).and_then(Value::as_f64);
            let failed = v.get("errors").and_then(|e| e.get(*name)).is_some();
            if val.is_none() && !failed {
                continue;
            }
            let ratio = v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64);
            let text = match (val, ratio) {
                (Some(x), Some(r)) => {
                    format!("{} {unit} ({})", fmt_num(x), better_or_worse(r))
                }
                (Some(x), None) => format!("{} {unit}", fmt_num(x)),
                (None, _) => "failed".into(),
            };
            bars.push(Bar {
                label: if *name == "userpool" {
                    (*name).to_owned()
                } else {
                    version_of(report, name)
                },
                value: val,
                text,
                ours: *name == "userpool",
            });
        }
        bars
    };
    let v = &report["srp_sign_in"];
    if v.get("medians").is_some() {
        panels.push(Panel {
            title: "Client SRP work per sign-in - ms, lower is better".into(),
            bars: bars_of(v, "ms", &["userpool", JS_CLIENT, PYCOGNITO]),
        });
    }
    let v = &report["current_session"];
    if v.get("medians").is_some() {
        panels.push(Panel {
            title: "current_session with a valid session - us per call, lower is better".into(),
            bars: bars_of(v, "us", &["userpool", AMPLIFY]),
        });
    }
    let v = &report["concurrent_refresh"];
    if let Some(m) = v.get("medians").and_then(Value::as_object) {
        let mut bars = Vec::new();
        for name in ["userpool", AMPLIFY] {
            let Some(x) = m.get(name) else { continue };
            let ms = x["all_done_ms"].as_f64();
            bars.push(Bar {
                label: if name == "userpool" {
                    name.to_owned()
                } else {
                    version_of(report, name)
                },
                value: ms,
                text: {
                    let mut t = format!(
                        "{} ms, {} refresh call(s)",
                        fmt_num(ms.unwrap_or(f64::NAN)),
                        fmt_count(x["refresh_calls"].as_f64().unwrap_or(f64::NAN))
                    );
                    if let Some(r) = v.get(format!("ratio_vs_{name}")).and_then(Value::as_f64) {
                        t.push_str(&format!(" ({})", better_or_worse(r)));
                    }
                    t
                },
                ours: name == "userpool",
            });
        }
        panels.push(Panel {
            title: format!(
                "{} concurrent session requests at expiry - ms until all have tokens, lower is better",
                v["concurrency"]
            ),
            bars,
        });
    }
    let v = &report["server_sign_ins"];
    if let Some(m) = v.get("medians").and_then(Value::as_object) {
        let metric = |key: &str, unit: &str, higher: bool| -> Vec<Bar> {
            let mut bars = Vec::new();
            for name in [LOCAL, LOCAL_MEM, MOTO, COGNITO_LOCAL] {
                let Some(x) = m.get(name).and_then(|x| x.get(key)).and_then(Value::as_f64) else {
                    continue;
                };
                let ours = name == LOCAL || name == LOCAL_MEM;
                let ratio = if ours {
                    None
                } else {
                    m.get(LOCAL)
                        .and_then(|o| o.get(key))
                        .and_then(Value::as_f64)
                        .map(|o| if higher { o / x } else { x / o })
                };
                bars.push(Bar {
                    label: if ours {
                        name.to_owned()
                    } else {
                        version_of(report, name)
                    },
                    value: Some(x),
                    text: match ratio {
                        Some(r) => {
                            format!("{} {unit} ({})", fmt_num(x), better_or_worse(r))
                        }
                        None => format!("{} {unit}", fmt_num(x)),
                    },
                    ours,
                });
            }
            bars
        };
        let mut throughput = metric("signins_per_sec", "/s", true);
        if let Some(x) = m
            .get(LOCAL)
            .and_then(|x| x.get("srp_signins_per_sec"))
            .and_then(Value::as_f64)
        {
            throughput.push(Bar {
                label: format!("{LOCAL} SRP"),
                value: Some(x),
                text: format!("{} /s (USER_SRP_AUTH, no peer)", fmt_num(x)),
                ours: true,
            });
        }
        panels.push(Panel {
            title: "Server sign-ins per second on loopback (USER_PASSWORD_AUTH) - higher is better"
                .into(),
            bars: throughput,
        });
        panels.push(Panel {
            title: "Server start-up, spawn to first answer - ms, lower is better".into(),
            bars: metric("startup_ms", "ms", false),
        });
        panels.push(Panel {
            title: "Server resident memory after the load - MiB, lower is better".into(),
            bars: metric("rss_after_load_mib", "MiB", false),
        });
    }
    let mut footer = Vec::new();
    for (key, v) in report.as_object().into_iter().flatten() {
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            footer.push(format!("{key}: failed: {}", tail(e, 150)));
        }
        if let Some(errs) = v.get("errors").and_then(Value::as_object) {
            for (k, e) in errs {
                footer.push(format!(
                    "{key} / {k}: failed: {}",
                    tail(e.as_str().unwrap_or(""), 150)
                ));
            }
        }
    }
    chart::write_png(
        path,
        "userpool vs peers",
        &header_lines(report),
        &panels,
        &footer,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn table_and_chart_render_a_report() {
        let mut peers = BTreeMap::new();
        peers.insert(JS_CLIENT, "6.3.21");
        let report = json!({
            "machine": {"nproc": 2, "cpu": "X", "memory_gib": 24.0, "loadavg_at_start": "0 0 0", "rustc": "r"},
            "peers": peers,
            "settings": {"runs": 3, "quick": true},
            "srp_sign_in": {
                "medians": {"userpool": 2.0, JS_CLIENT: 180.0},
                format!("ratio_vs_{JS_CLIENT}"): 90.0,
                "target": {"min_ratio": 20.0, "met": true},
            },
            "server_sign_ins": {"error": "boom"},
        });
        let t = table(&report);
        assert!(t.contains("90.00x (target ≥20.0x: met)"), "{t}");
        assert!(t.contains("boom"), "{t}");
        let dir = std::env::temp_dir().join(format!("xtask-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write_chart(&report, &dir.join("r.png")).unwrap();
        let png = std::fs::read(dir.join("r.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
