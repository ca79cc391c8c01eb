//! Measures the `userpool-local` server program from the outside: start-up time to the
//! first answered request, creating 10,000 users, resident memory, sign-in throughput
//! (USER_PASSWORD_AUTH and full SRP) with the server's CPU time per sign-in, and the
//! crypto a USER_PASSWORD_AUTH sign-in cannot skip, timed alone.
//!
//! ```text
//! cargo build --release -p userpool-local --bins --examples
//! target/release/examples/measure [USERS]
//! ```
//!
//! Linux only (reads /proc). The server runs as its own process, in memory, on loopback.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, MessageActionType};

#[path = "../benches/support/mod.rs"]
mod support;

use support::{Rs256Signer, sdk, srp_sign_in};

const PW: &str = "Measure-Passw0rd!";

fn proc_field(pid: u32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32, ticks: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // After the ")" field 3 is index 0: utime is field 14, stime field 15.
    let utime: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let stime: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (utime + stime) / ticks
}

async fn password_sign_in(sdk: &cip::Client, client_id: &str, user: &str) {
    let out = sdk
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("PASSWORD", PW)
        .send()
        .await
        .expect("password auth");
    assert!(out.authentication_result().is_some());
}

/// Runs `concurrency` loops of `f` for `secs` seconds; returns (count, wall seconds).
async fn throughput<F, Fut>(concurrency: usize, secs: f64, f: F) -> (u64, f64)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (f, count) = (f.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < deadline {
                f(w * 1000 + i).await;
                count.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    (count.load(Ordering::Relaxed), start.elapsed().as_secs_f64())
}

fn crypto_ceiling(iterations: u32) -> Duration {
    let verifier = userpool_srp::make_verifier("AbCdEfGhI", "someone", PW);
    let signer = Rs256Signer::generate();
    let claims = br#"{"sub":"0b7c8a8e-0000-4000-8000-000000000000","token_use":"access","scope":"aws.cognito.signin.user.admin","exp":1,"iat":1,"jti":"x","username":"someone"}"#;
    let start = Instant::now();
    for _ in 0..iterations {
        assert!(userpool_srp::check_password(
            "AbCdEfGhI",
            "someone",
            PW,
            &verifier
        ));
        signer.sign(claims);
        signer.sign(claims);
    }
    start.elapsed() / iterations
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let exe = std::env::current_exe().expect("exe");
    let server_bin = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("userpool-local"))
        .expect("server path");
    let ticks: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);

    // 1. Start-up to the first answered request.
    let t0 = Instant::now();
    let mut child = Command::new(&server_bin)
        .args(["--port", "0", "--in-memory"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn server (build it with --release first)");
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let listening = t0.elapsed();
    let endpoint = line.trim().rsplit(' ').next().expect("endpoint").to_owned();
    let sdk = sdk(&endpoint);
    sdk.list_user_pools()
        .max_results(1)
        .send()
        .await
        .expect("first request");
    let first = t0.elapsed();
    println!("start-up: listening after {listening:?}, first answered request after {first:?}");
    let rss0 = proc_field(pid, "status", "VmRSS:").unwrap_or(0);
    println!("resident memory at start: {} MB", rss0 / 1024);

    // 2. A pool and a client.
    let pool = sdk
        .create_user_pool()
        .pool_name("measure")
        .send()
        .await
        .expect("pool");
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .expect("id")
        .to_owned();
    let client = sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("measure")
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(cip::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("client");
    let client_id = client
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("client id")
        .to_owned();

    // 3. Create users with AdminCreateUser (8 requests in flight).
    let cpu0 = cpu_seconds(pid, ticks);
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (sdk, pool_id, next) = (sdk.clone(), pool_id.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= users {
                    break;
                }
                sdk.admin_create_user()
                    .user_pool_id(&pool_id)
                    .username(format!("user{i:05}"))
                    .temporary_password(PW)
                    .user_attributes(
                        cip::types::AttributeType::builder()
                            .name("email")
                            .value(format!("user{i:05}@example.com"))
                            .build()
                            .expect("attr"),
                    )
                    .message_action(MessageActionType::Suppress)
                    .send()
                    .await
                    .expect("create user");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let took = start.elapsed();
    let cpu = cpu_seconds(pid, ticks) - cpu0;
    println!(
        "created {users} users (AdminCreateUser, 8 in flight) in {:.2} s = {:.0}/s; server CPU {:.2} s ({:.0} µs/user)",
        took.as_secs_f64(),
        users as f64 / took.as_secs_f64(),
        cpu,
        cpu * 1e6 / users as f64
    );
    let rss = proc_field(pid, "status", "VmRSS:").unwrap_or(0);
    println!("resident memory with {users} users: {} MB", rss / 1024);

    // 4. Users that can sign in.
    let signers = 32.min(users);
    for i in 0..signers {
        sdk.admin_set_user_password()
            .user_pool_id(&pool_id)
            .username(format!("user{i:05}"))
            .password(PW)
            .permanent(true)
            .send()
            .await
            .expect("set password");
    }

    let ceiling = crypto_ceiling(200);
    println!(
        "crypto a USER_PASSWORD_AUTH sign-in cannot skip (verifier check + 2 RS256 signatures), alone: {:.2} ms = {:.0}/s on one core",
        ceiling.as_secs_f64() * 1e3,
        1.0 / ceiling.as_secs_f64()
    );

    for concurrency in [1usize, 2, 4] {
        let cpu0 = cpu_seconds(pid, ticks);
        let (sdk2, cid) = (sdk.clone(), client_id.clone());
        let (n, secs) = throughput(concurrency, 5.0, move |i| {
            let (sdk, cid) = (sdk2.clone(), cid.clone());
            async move { password_sign_in(&sdk, &cid, &format!("user{:05}", i % signers)).await }
        })
        .await;
        let cpu = cpu_seconds(pid, ticks) - cpu0;
        println!(
            "USER_PASSWORD_AUTH, {concurrency} in flight: {:.0} sign-ins/s ({:.0}% of the one-core crypto ceiling); server CPU {:.2} ms/sign-in",
            n as f64 / secs,
            100.0 * (n as f64 / secs) * ceiling.as_secs_f64(),
            cpu * 1e3 / n as f64
        );
    }
    for concurrency in [1usize, 2, 4] {
        let cpu0 = cpu_seconds(pid, ticks);
        let (sdk2, cid, pid2) = (sdk.clone(), client_id.clone(), pool_id.clone());
        let (n, secs) =
            throughput(concurrency, 5.0, move |i| {
                let (sdk, cid, pool) = (sdk2.clone(), cid.clone(), pid2.clone());
                async move {
                    srp_sign_in(&sdk, &pool, &cid, &format!("user{:05}", i % signers), PW).await
                }
            })
            .await;
        let cpu = cpu_seconds(pid, ticks) - cpu0;
        println!(
            "USER_SRP_AUTH (InitiateAuth + RespondToAuthChallenge, client in this process), {concurrency} in flight: {:.0} sign-ins/s; server CPU {:.2} ms/sign-in",
            n as f64 / secs,
            cpu * 1e3 / n as f64
        );
    }
    let rss = proc_field(pid, "status", "VmRSS:").unwrap_or(0);
    println!("resident memory at the end: {} MB", rss / 1024);
    let _ = child.kill();
    let _ = child.wait();
}
