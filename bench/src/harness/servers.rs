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
use super::process::{json_of, num, pinned};
use super::{COGNITO_LOCAL, LOCAL, LOCAL_MEM, MOTO, Params, Programs, median, program};

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

/// VmRSS and VmHWM (KiB) of `pid` and all its descendants.
pub(super) fn tree_memory_kib(pid: u32) -> (u64, u64) {
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
