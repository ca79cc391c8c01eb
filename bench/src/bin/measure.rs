//! Measures the `userpool-local` server program from the outside: start-up time to the
//! first answered request, creating 10,000 users, resident memory, sign-in throughput
//! (USER_PASSWORD_AUTH and full SRP) with the server's CPU time per sign-in, and the
//! crypto a USER_PASSWORD_AUTH sign-in cannot skip, timed alone.
//!
//! ```text
//! cargo build --release -p userpool-bench --bins -p userpool-local
//! target/release/userpool-measure [USERS]
//! ```
//!
//! Linux only (reads /proc). The server runs as its own process, in memory, on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, MessageActionType};
use userpool_bench::local::{
    ServerProcess, confirmed_user, create_pool_and_client, password_sign_in, sdk, srp_sign_in,
};
use userpool_local::bench_internals::SigningKey;

const PW: &str = "Measure-Passw0rd!";

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
    let signer = SigningKey::generate().expect("key");
    let claims = serde_json::Value::Object(
        userpool_types::ClaimsBuilder::new(
            "0b7c8a8e-0000-4000-8000-000000000000",
            "someone",
            "measure-client",
            1,
        )
        .access_token(1, Some("x")),
    );
    let start = Instant::now();
    for _ in 0..iterations {
        assert!(userpool_srp::check_password(
            "AbCdEfGhI",
            "someone",
            PW,
            &verifier
        ));
        signer.sign(&claims).expect("sign");
        signer.sign(&claims).expect("sign");
    }
    start.elapsed() / iterations
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    // 1. Start-up to the first answered request.
    let server = ServerProcess::start();
    let sdk = sdk(&server.endpoint);
    let t0 = Instant::now();
    sdk.list_user_pools()
        .max_results(1)
        .send()
        .await
        .expect("first request");
    let listening = server.listening_after;
    let first = listening + t0.elapsed();
    println!("start-up: listening after {listening:?}, first answered request after {first:?}");
    let rss0 = server.status_kib("VmRSS:");
    println!("resident memory at start: {} MB", rss0 / 1024);

    // 2. A pool and a client.
    let (pool_id, client_id) = create_pool_and_client(
        &sdk,
        "measure",
        &[
            ExplicitAuthFlowsType::AllowUserPasswordAuth,
            ExplicitAuthFlowsType::AllowUserSrpAuth,
            ExplicitAuthFlowsType::AllowRefreshTokenAuth,
        ],
    )
    .await;

    // 3. Create users with AdminCreateUser (8 requests in flight).
    let cpu0 = server.cpu_seconds();
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
    let cpu = server.cpu_seconds() - cpu0;
    println!(
        "created {users} users (AdminCreateUser, 8 in flight) in {:.2} s = {:.0}/s; server CPU {:.2} s ({:.0} µs/user)",
        took.as_secs_f64(),
        users as f64 / took.as_secs_f64(),
        cpu,
        cpu * 1e6 / users as f64
    );
    let rss = server.status_kib("VmRSS:");
    println!("resident memory with {users} users: {} MB", rss / 1024);

    // 4. Users that can sign in.
    let signers = 32.min(users);
    for i in 0..signers {
        confirmed_user(&sdk, &pool_id, &format!("user{i:05}"), PW, true).await;
    }

    let ceiling = crypto_ceiling(200);
    println!(
        "crypto a USER_PASSWORD_AUTH sign-in cannot skip (verifier check + 2 RS256 signatures), alone: {:.2} ms = {:.0}/s on one core",
        ceiling.as_secs_f64() * 1e3,
        1.0 / ceiling.as_secs_f64()
    );

    for concurrency in [1usize, 2, 4] {
        let cpu0 = server.cpu_seconds();
        let (sdk2, cid) = (sdk.clone(), client_id.clone());
        let (n, secs) = throughput(concurrency, 5.0, move |i| {
            let (sdk, cid) = (sdk2.clone(), cid.clone());
            async move { password_sign_in(&sdk, &cid, &format!("user{:05}", i % signers), PW).await }
        })
        .await;
        let cpu = server.cpu_seconds() - cpu0;
        println!(
            "USER_PASSWORD_AUTH, {concurrency} in flight: {:.0} sign-ins/s ({:.0}% of the one-core crypto ceiling); server CPU {:.2} ms/sign-in",
            n as f64 / secs,
            100.0 * (n as f64 / secs) * ceiling.as_secs_f64(),
            cpu * 1e3 / n as f64
        );
    }
    for concurrency in [1usize, 2, 4] {
        let cpu0 = server.cpu_seconds();
        let (sdk2, cid, pid2) = (sdk.clone(), client_id.clone(), pool_id.clone());
        let (n, secs) =
            throughput(concurrency, 5.0, move |i| {
                let (sdk, cid, pool) = (sdk2.clone(), cid.clone(), pid2.clone());
                async move {
                    srp_sign_in(&sdk, &pool, &cid, &format!("user{:05}", i % signers), PW).await
                }
            })
            .await;
        let cpu = server.cpu_seconds() - cpu0;
        println!(
            "USER_SRP_AUTH (InitiateAuth + RespondToAuthChallenge, client in this process), {concurrency} in flight: {:.0} sign-ins/s; server CPU {:.2} ms/sign-in",
            n as f64 / secs,
            cpu * 1e3 / n as f64
        );
    }
    let rss = server.status_kib("VmRSS:");
    println!("resident memory at the end: {} MB", rss / 1024);
}
