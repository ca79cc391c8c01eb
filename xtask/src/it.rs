//! `cargo xtask it [--backend local|moto|aws] [ARGS…]`: the end-to-end flows against one
//! backend (default `local`), through the `it` runner of `userpool-it` (`tests/`).
//!
//! - The runner is built by `cargo test --workspace --no-run`: the very build that
//!   `cargo test --workspace` makes (same profile, same features), so `cargo xtask test`
//!   builds the workspace once.
//! - `moto`: moto's server is installed in `target/peers/moto-venv` from the pins of
//!   `xtask/peers/moto.txt` (reinstalled only when they change), started on a free port
//!   of 127.0.0.1, waited for, and stopped when the run ends, failed or not. Its log is
//!   `target/peers/moto-server.log`.
//! - `aws`: the runner reads `USERPOOL_IT_*` (see `tests/src/aws.rs`) and says SKIPPED
//!   when they are unset.
//!
//! Other arguments (`--flow NAME`, `--run-unsupported`) go to the runner.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::peers;
use crate::util::{cargo, root, run};

/// The pinned requirements of the moto venv, in `xtask/peers/`.
const MOTO_REQUIREMENTS: &str = "moto.txt";
/// The venv, in `target/peers/`.
const MOTO_VENV: &str = "moto-venv";
/// How long moto may take to answer after it was started.
const MOTO_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Parses `--backend NAME` (default `local`); every other argument goes to the runner.
pub fn run_cli(args: &[String]) -> Result<()> {
    let mut backend = "local".to_owned();
    let mut rest = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--backend=") {
            backend = value.to_owned();
        } else if arg == "--backend" {
            backend = args.next().context("--backend needs a value")?.clone();
        } else {
            rest.push(arg.clone());
        }
    }
    run_backend(&backend, &rest)
}

/// Runs every flow against `backend` (`local`, `moto` or `aws`); fails when a flow
/// failed or the backend could not be set up.
pub fn run_backend(backend: &str, extra: &[String]) -> Result<()> {
    if !matches!(backend, "local" | "moto" | "aws") {
        bail!("unknown backend {backend:?} (local, moto or aws)");
    }
    // Install moto before building: a broken Python set-up fails fast.
    let moto_server = if backend == "moto" {
        Some(moto_venv()?.join("bin").join("moto_server"))
    } else {
        None
    };
    let runner = build_runner()?;
    let mut cmd = Command::new(&runner);
    cmd.current_dir(root())
        .args(["--backend", backend])
        .args(extra);
    let _server = match moto_server {
        Some(program) => {
            let server = MotoServer::start(&program)?;
            cmd.args(["--endpoint", &server.endpoint()]);
            Some(server)
        }
        None => None,
    };
    run(&format!("end-to-end flows against {backend}"), &mut cmd)
}

/// Builds the `it` runner with the workspace's test build and returns its path.
fn build_runner() -> Result<PathBuf> {
    eprintln!("\n==> build the `it` runner: cargo test --workspace --no-run");
    let started = Instant::now();
    let output = cargo()
        .args([
            "test",
            "--workspace",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("could not start cargo")?;
    eprintln!(
        "<== build: {} in {:.1} s",
        output.status,
        started.elapsed().as_secs_f64()
    );
    if !output.status.success() {
        bail!("building the workspace's tests failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter(|line| {
            line.contains(r#""reason":"compiler-artifact""#)
                && line.contains(r#""kind":["bin"]"#)
                && line.contains(r#"/tests/src/bin/it.rs""#)
        })
        .find_map(|line| json_string_field(line, "executable"))
        .map(PathBuf::from)
        .context("cargo built no `it` executable (package userpool-it, tests/src/bin/it.rs)")
}

/// The value of `"field":"…"` in one line of cargo's JSON output.
fn json_string_field(line: &str, field: &str) -> Option<String> {
    let start = line.find(&format!(r#""{field}":""#))? + field.len() + 4;
    let mut value = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

// ---------------------------------------------------------------- moto

/// Creates (or reuses) `target/peers/moto-venv` with the pins of `xtask/peers/moto.txt`.
fn moto_venv() -> Result<PathBuf> {
    peers::venv(MOTO_VENV, MOTO_REQUIREMENTS)
}

/// A running `moto_server`, stopped (killed) when dropped: at the end of the run, after a
/// failure, or when the xtask panics.
struct MotoServer {
    child: Child,
    addr: SocketAddr,
}

impl MotoServer {
    /// Starts moto on a free port of 127.0.0.1 and waits until it answers HTTP.
    fn start(program: &Path) -> Result<Self> {
        let log_path = peers::dir().join("moto-server.log");
        let mut last_error = None;
        // A port found free may be taken before moto binds it: try a few.
        for _ in 0..3 {
            let port = free_port()?;
            let log = std::fs::File::create(&log_path)
                .with_context(|| format!("creating {}", log_path.display()))?;
            eprintln!(
                "\n==> start moto_server on 127.0.0.1:{port} (log: {})",
                log_path.display()
            );
            let child = Command::new(program)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", program.display()))?;
            let mut server = MotoServer {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
            };
            match server.wait_ready() {
                Ok(()) => return Ok(server),
                Err(e) => last_error = Some(e),
            }
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(last_error
            .unwrap_or_else(|| anyhow::anyhow!("moto did not start"))
            .context(format!(
                "moto_server did not start; its log ends with:\n{}",
                tail.join("\n")
            )))
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until moto answers an HTTP request, or fails when it exits or times out.
    fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("moto_server exited at start ({status})");
            }
            if answers_http(self.addr) {
                eprintln!(
                    "<== moto_server ready in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            if started.elapsed() > MOTO_START_TIMEOUT {
                bail!(
                    "moto_server did not answer within {} s",
                    MOTO_START_TIMEOUT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// True when something at `addr` answers an HTTP request with a status line.
fn answers_http(addr: SocketAddr) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut head = [0u8; 5];
        stream.read_exact(&mut head)?;
        Ok(&head == b"HTTP/")
    };
    attempt().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::json_string_field;

    #[test]
    fn reads_string_fields_of_cargo_messages() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"it","src_path":"/w/tests/src/bin/it.rs"},"executable":"/w/target/debug/it","fresh":true}"#;
        assert_eq!(
            json_string_field(line, "executable").as_deref(),
            Some("/w/target/debug/it")
        );
        assert_eq!(
            json_string_field(r#"{"executable":"C:\\t\\it.exe"}"#, "executable").as_deref(),
            Some(r"C:\t\it.exe")
        );
        assert_eq!(
            json_string_field(r#"{"executable":null}"#, "executable"),
            None
        );
    }
}
