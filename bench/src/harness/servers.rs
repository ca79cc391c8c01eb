//! The servers: starting each kind (userpool-local on disk and in memory, moto,
//! cognito-local) in its own process group, waiting until it answers, its memory, and the
//! sign-ins-per-second measurement with the load generator.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use super::peers::BenchPeers;
use super::process::{json_of, num, pinned, pinned_to};
use super::{COGNITO_LOCAL, LOCAL, LOCAL_MEM, MOTO, Params, Programs, median, program};
use crate::local::{clock_ticks, process_cpu_seconds, stat_fields};

/// A server we started, in its own process group; stopped on drop.
pub(super) struct Server {
    name: String,
    child: Child,
    port: u16,
}

impl Server {
    pub(super) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(super) fn stop(&mut self) {
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

pub(super) fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// How to start each server.
#[derive(Clone)]
pub(super) enum ServerKind {
    Local(PathBuf),
    Moto(PathBuf),
    CognitoLocal(PathBuf),
    LocalInMemory(PathBuf),
}

impl ServerKind {
    pub(super) fn name(&self) -> &'static str {
        match self {
            ServerKind::Local(_) => LOCAL,
            ServerKind::Moto(_) => MOTO,
            ServerKind::CognitoLocal(_) => COGNITO_LOCAL,
            ServerKind::LocalInMemory(_) => LOCAL_MEM,
        }
    }

    /// Spawns the server on a fresh port and data folder, pinned to core 1.
    pub(super) fn spawn(&self, out_dir: &Path, tag: &str) -> Result<Server> {
        self.spawn_on(out_dir, tag, "1")
    }

    /// As [`spawn`](Self::spawn), pinned to the cores of a taskset list.
    pub(super) fn spawn_on(&self, out_dir: &Path, tag: &str, cores: &str) -> Result<Server> {
        let port = free_port()?;
        let data = out_dir.join("data").join(format!("{}-{tag}", self.name()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data)?;
        let mut cmd = match self {
            ServerKind::Local(bin) => {
                let mut c = pinned_to(cores, bin);
                c.args(["--host", "127.0.0.1", "--port", &port.to_string(), "--data"])
                    .arg(&data);
                c
            }
            ServerKind::LocalInMemory(bin) => {
                let mut c = pinned_to(cores, bin);
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
                let mut c = pinned_to(cores, bin);
                c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
                c
            }
            ServerKind::CognitoLocal(start_js) => {
                let mut c = pinned_to(cores, "node");
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
pub(super) fn wait_ready(
    server: &mut Server,
    since: Instant,
    timeout: Duration,
) -> Result<Duration> {
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

/// `pid` and all its descendants (a server may be a launcher and its child: npx, a
/// shell script).
fn process_tree(pid: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            let ppid = stat_fields(&stat)
                .get(1)
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
    tree
}

/// The crypto-bound ceiling (`userpool-bench-ceiling`) on one thread, pinned to the
/// servers' core, and on two threads unpinned, with the scaling from one to two.
fn crypto_ceiling(p: &Params, programs: &Programs) -> Result<Value> {
    let bin = program(&programs.bench_ceiling, "userpool-bench-ceiling")?;
    let iterations = if p.quick { "10" } else { "60" };
    let runs = p.runs.to_string();
    let one = json_of(
        "crypto ceiling, one thread",
        pinned(1, &bin).args(["1", iterations, &runs]),
    )?;
    let two = json_of(
        "crypto ceiling, two threads",
        Command::new(&bin).args(["2", iterations, &runs]),
    )?;
    let scale = |k: &str| {
        let f = |v: &Value| v.get(k).and_then(Value::as_f64);
        f(&two).zip(f(&one)).map(|(t, o)| t / o)
    };
    Ok(json!({
        "unit": "the cryptography a sign-in cannot skip, alone, operations per second",
        "one_thread": one,
        "two_threads": two,
        "scaling_two_vs_one": {
            "password": scale("password_median_per_sec"),
            "srp": scale("srp_median_per_sec"),
            "min_ratio": 1.8,
        },
    }))
}

/// Server CPU milliseconds per sign-in served in one load generator call (its warm-up and
/// all its runs, failed sign-ins included), or null when nothing was served.
fn cpu_ms_per_signin(loadgen: &Value, cpu_s: f64) -> Value {
    let runs: u64 = loadgen
        .get("runs")
        .and_then(Value::as_array)
        .map(|runs| {
            runs.iter()
                .map(|r| {
                    r.get("signins").and_then(Value::as_u64).unwrap_or(0)
                        + r.get("errors").and_then(Value::as_u64).unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0);
    let served = runs
        + loadgen
            .get("warmup_signins")
            .and_then(Value::as_u64)
            .unwrap_or(0);
    if served == 0 || cpu_s <= 0.0 {
        Value::Null
    } else {
        json!(cpu_s * 1000.0 / served as f64)
    }
}

/// CPU time (user + system, seconds) of `pid` and all its descendants so far.
pub(super) fn tree_cpu_seconds(pid: u32) -> f64 {
    let ticks = clock_ticks();
    process_tree(pid)
        .into_iter()
        .map(|p| process_cpu_seconds(p, ticks))
        .sum()
}

/// VmRSS and VmHWM (KiB) of `pid` and all its descendants.
pub(super) fn tree_memory_kib(pid: u32) -> (u64, u64) {
    let tree = process_tree(pid);
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

pub(super) fn mib(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

pub(super) fn loadgen_setup(loadgen: &Path, url: &str, users: usize) -> Result<Value> {
    json_of(
        "set up a pool and users",
        pinned(0, loadgen).args(["setup", "--endpoint", url, "--users", &users.to_string()]),
    )
}

/// Starts userpool-countproxy in front of `upstream` (pinned with the server, core 1).
pub(super) fn spawn_proxy(bin: &Path, upstream: &str, out_dir: &Path) -> Result<Server> {
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

pub(super) fn server_sign_ins(
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
    let ceiling = crypto_ceiling(p, programs);
    let scaling = program(&programs.local, LOCAL)
        .and_then(|local| server_scaling(p, &local, &loadgen, out_dir));
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
            // Issue 13's SRP target: our full SRP sign-ins against the peer's password
            // sign-ins, by rate (same load generator) and by the server's CPU per sign-in.
            out.insert(
                format!("srp_vs_{peer}_password"),
                json!({
                    "by_rate": f(&ours, "srp_signins_per_sec") / f(theirs, "signins_per_sec"),
                    "by_server_cpu": f(theirs, "server_cpu_ms_per_signin") / f(&ours, "srp_server_cpu_ms_per_signin"),
                    "min_ratio": 1.0,
                }),
            );
            out.insert(
                format!("ratios_by_metric_vs_{peer}"),
                json!({
                    "signins_per_sec": higher("signins_per_sec"),
                    "server_cpu_ms_per_signin": lower("server_cpu_ms_per_signin"),
                    "p50_ms": lower("p50_ms"),
                    "p99_ms": lower("p99_ms"),
                    "startup_ms": lower("startup_ms"),
                    "rss_after_load_mib": lower("rss_after_load_mib"),
                }),
            );
        }
    }
    match ceiling {
        Ok(c) => {
            // How close the server comes to the crypto it cannot skip: the ceiling's CPU
            // per sign-in (one thread) over the server's measured CPU per sign-in.
            if let Some(ours) = medians.get(LOCAL) {
                let per_op = |k: &str| {
                    c["one_thread"]
                        .get(k)
                        .and_then(Value::as_f64)
                        .map(|r| 1000.0 / r)
                };
                let cpu = |k: &str| ours.get(k).and_then(Value::as_f64);
                let fraction = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
                let pw = fraction(
                    per_op("password_median_per_sec"),
                    cpu("server_cpu_ms_per_signin"),
                );
                let srp = fraction(
                    per_op("srp_median_per_sec"),
                    cpu("srp_server_cpu_ms_per_signin"),
                );
                out.insert(
                    "fraction_of_ceiling".into(),
                    json!({
                        "password": pw,
                        "srp": srp,
                        "password_target": {"min": 0.8, "met": pw.map(|f| f >= 0.8)},
                    }),
                );
            }
            out.insert("crypto_ceiling".into(), c);
        }
        Err(e) => {
            errors.insert("crypto_ceiling".into(), json!(format!("{e:#}")));
        }
    }
    match scaling {
        Ok(v) => {
            out.insert("server_scaling".into(), v);
        }
        Err(e) => {
            errors.insert("server_scaling".into(), json!(format!("{e:#}")));
        }
    }
    // Issue 13's password target: at least 2.5x moto's rate.
    let password_ratio = out.get(&format!("ratio_vs_{MOTO}")).and_then(Value::as_f64);
    out.insert(
        "target".into(),
        json!({ "vs": MOTO, "min_ratio": 2.5, "ratio": password_ratio, "met": password_ratio.map(|r| r >= 2.5) }),
    );
    out.insert("medians".into(), Value::Object(medians));
    if !errors.is_empty() {
        out.insert("errors".into(), Value::Object(errors));
    }
    out.insert(
        "notes".into(),
        json!([
            "moto's USER_SRP_AUTH is fake (it accepts any signature) and cognito-local has no SRP: the SRP row is userpool-local alone",
            "userpool-local runs with --data (durable SQLite) and is the row the ratios use; userpool-local-in-memory is the same server with --in-memory; moto keeps state in memory; cognito-local writes JSON files",
            "the SRP rate includes the client's own SRP work on the load generator's core; server_cpu_ms_per_signin is the server process tree's user + system CPU (from /proc) over the sign-ins it served, warm-up included, and is the server's cost alone",
            "every run of a server goes on with the state of the runs before it (the per-run figures are in details); cognito-local slows down run after run as its JSON files grow with every sign-in's refresh token, and a run stops at max_secs_per_run",
        ]),
    );
    out.insert("details".into(), Value::Object(details));
    Ok(Value::Object(out))
}

/// The server's scaling from one core to two (issue 13): userpool-local (durable, the
/// row the ratios use) under password sign-ins, once pinned to core 1 with the load
/// generator on core 0, once on cores 0 and 1 with the load generator beside it on the
/// same two cores (this machine has no third core to give it).
///
/// Two figures: `by_rate`, the sign-in rates on two cores over one (the load generator's
/// own CPU is taken out of the two cores, so this is a floor of what the server could
/// do), and `by_capacity`, two cores' worth of the server's CPU per sign-in on two cores
/// over one core's worth on one (the same as `by_rate` when the server uses its cores
/// fully; a lock, a single writer or any other contention raises the CPU per sign-in on
/// two cores or leaves a core idle, and lowers one or both). Password sign-ins, because
/// the client's SRP work would make the load generator, not the server, the bound.
pub(super) fn server_scaling(
    p: &Params,
    local: &Path,
    loadgen: &Path,
    out_dir: &Path,
) -> Result<Value> {
    eprintln!("\n-- {LOCAL}: one core and two");
    let kind = ServerKind::Local(local.to_path_buf());
    let mut side = Map::new();
    for (key, server_cores, loadgen_cores) in [("one_core", "1", "0"), ("two_cores", "0,1", "0,1")]
    {
        let t0 = Instant::now();
        let mut server = kind.spawn_on(out_dir, &format!("scaling-{key}"), server_cores)?;
        wait_ready(&mut server, t0, Duration::from_secs(120))?;
        let setup = loadgen_setup(loadgen, &server.url(), p.server_users)?;
        let cpu0 = tree_cpu_seconds(server.pid());
        let v = json_of(
            &format!("{LOCAL} on {key}: password sign-ins"),
            &mut signin_command(
                p,
                loadgen,
                loadgen_cores,
                &server.url(),
                &setup,
                "password",
                p.server_count,
            ),
        )?;
        let cpu = tree_cpu_seconds(server.pid()) - cpu0;
        server.stop();
        side.insert(
            key.into(),
            json!({
                "server_cores": server_cores,
                "loadgen_cores": loadgen_cores,
                "signins_per_sec": num(&v, "signins_per_sec")?,
                "server_cpu_ms_per_signin": cpu_ms_per_signin(&v, cpu),
                "loadgen": v,
            }),
        );
    }
    let (by_rate, by_capacity) = scaling_ratios(&side["one_core"], &side["two_cores"]);
    side.insert("by_rate".into(), json!(by_rate));
    side.insert("by_capacity".into(), json!(by_capacity));
    side.insert(
        "target".into(),
        json!({"min": 1.8, "met_by_rate": by_rate.map(|r| r >= 1.8), "met_by_capacity": by_capacity.map(|r| r >= 1.8)}),
    );
    Ok(Value::Object(side))
}

/// The load generator's `signin` for the pool and client of `setup` (what
/// `loadgen_setup` printed), pinned to `cores`, with the load of `p`.
fn signin_command(
    p: &Params,
    loadgen: &Path,
    cores: &str,
    url: &str,
    setup: &Value,
    flow: &str,
    count: usize,
) -> Command {
    let id = |k: &str| setup[k].as_str().unwrap_or_default().to_owned();
    let mut c = pinned_to(cores, loadgen);
    c.args(["signin", "--endpoint", url, "--flow", flow])
        .args(["--pool-id", &id("pool_id"), "--client-id", &id("client_id")])
        .args(["--users", &p.server_users.to_string()])
        .args(["--workers", &p.server_workers.to_string()])
        .args(["--count", &count.to_string()])
        .args(["--max-secs", &p.server_max_secs.to_string()])
        .args(["--runs", &p.runs.to_string()]);
    c
}

/// `(by_rate, by_capacity)` of [`server_scaling`] from its one-core and two-core figures:
/// the rates' ratio, and twice the one-core CPU per sign-in over the two-core one.
fn scaling_ratios(one: &Value, two: &Value) -> (Option<f64>, Option<f64>) {
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).filter(|x| *x > 0.0);
    let by_rate = f(two, "signins_per_sec")
        .zip(f(one, "signins_per_sec"))
        .map(|(two, one)| two / one);
    let by_capacity = f(one, "server_cpu_ms_per_signin")
        .zip(f(two, "server_cpu_ms_per_signin"))
        .map(|(one, two)| 2.0 * one / two);
    (by_rate, by_capacity)
}

/// Start-up over several spawns, then one server under load: returns the medians and the
/// raw figures.
pub(super) fn measure_server(
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
    let signin = |flow: &str, count: usize| {
        json_of(
            &format!("{name}: {flow} sign-ins"),
            &mut signin_command(p, loadgen, "0", &server.url(), &setup, flow, count),
        )
    };
    // The server's own CPU time per sign-in, beside the rate: on this 2-core machine the
    // load generator's core also does the client's SRP work, which can bound the SRP rate
    // before the server does; CPU per sign-in is the server's cost alone.
    let server_pid = server.pid();
    let timed = |flow: &str, count: usize| -> Result<(Value, f64)> {
        let cpu0 = tree_cpu_seconds(server_pid);
        let v = signin(flow, count)?;
        let cpu = tree_cpu_seconds(server_pid) - cpu0;
        Ok((v, cpu))
    };
    let password = timed("password", p.server_count)?;
    let srp = if matches!(kind, ServerKind::Local(_)) {
        Some(timed("srp", p.server_srp_count))
    } else {
        None
    };
    let (rss_after, hwm) = tree_memory_kib(server.pid());
    server.stop();

    let (password, password_cpu_s) = password;
    let mut summary = json!({
        "signins_per_sec": num(&password, "signins_per_sec")?,
        "server_cpu_ms_per_signin": cpu_ms_per_signin(&password, password_cpu_s),
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
        Some(Ok((v, cpu_s))) => {
            summary["srp_signins_per_sec"] = json!(num(&v, "signins_per_sec")?);
            summary["srp_server_cpu_ms_per_signin"] = json!(cpu_ms_per_signin(&v, cpu_s));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_per_sign_in_counts_the_warm_up_and_failures() {
        let loadgen = json!({
            "warmup_signins": 100,
            "runs": [{"signins": 400, "errors": 0}, {"signins": 480, "errors": 20}],
        });
        // 2 s of CPU over 100 + 400 + 500 sign-ins served
        assert_eq!(cpu_ms_per_signin(&loadgen, 2.0), json!(2.0));
        assert_eq!(cpu_ms_per_signin(&json!({"runs": []}), 2.0), Value::Null);
        assert_eq!(cpu_ms_per_signin(&loadgen, 0.0), Value::Null);
    }

    #[test]
    fn scaling_is_the_rate_ratio_and_the_cpu_capacity_ratio() {
        let one = json!({"signins_per_sec": 800.0, "server_cpu_ms_per_signin": 1.2});
        let two = json!({"signins_per_sec": 1200.0, "server_cpu_ms_per_signin": 1.5});
        let (by_rate, by_capacity) = scaling_ratios(&one, &two);
        assert_eq!(by_rate, Some(1.5));
        assert!((by_capacity.unwrap() - 1.6).abs() < 1e-12);
        // a failed run's missing or zero CPU gives no figure rather than infinity
        let broken = json!({"signins_per_sec": 0.0, "server_cpu_ms_per_signin": null});
        assert_eq!(scaling_ratios(&broken, &two), (None, None));
    }

    #[test]
    fn the_tree_of_this_process_has_used_cpu() {
        let pid = std::process::id();
        assert!(process_tree(pid).contains(&pid));
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_millis(30) {
            std::hint::black_box(spin.elapsed());
        }
        assert!(tree_cpu_seconds(pid) > 0.0);
    }
}
