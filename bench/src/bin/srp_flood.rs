//! A flood of unanswered `InitiateAuth` (USER_SRP_AUTH) calls aimed at one user, against the
//! `userpool-local` server program: the server's resident memory during and after the
//! flood, and whether other users still sign in (full SRP) while it runs.
//!
//! ```text
//! cargo build --release -p userpool-bench --bins -p userpool-local
//! target/release/userpool-srp-flood [CALLS] [CONNECTIONS]     # default 100000 16
//! ```
//!
//! Linux only (reads /proc). The server runs as its own process, in memory, on loopback;
//! the flood uses raw HTTP/1.1 keep-alive connections (cheap for the flooder) and one
//! valid SRP_A for every call (the server cannot tell until the challenge is answered).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

use userpool_bench::local::{
    ServerProcess, confirmed_user, create_pool_and_client, sdk, srp_sign_in,
};

const PW: &str = "Flood-Passw0rd!";

/// Sends InitiateAuth calls over one keep-alive connection until `remaining` runs out.
async fn flood_connection(
    addr: String,
    body: Arc<String>,
    remaining: Arc<AtomicU64>,
    ok: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
) {
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let (r, mut w) = stream.into_split();
    let mut r = tokio::io::BufReader::new(r);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let request = format!("{head}{body}");
    let mut line = String::new();
    while remaining
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
    {
        w.write_all(request.as_bytes()).await.expect("write");
        line.clear();
        r.read_line(&mut line).await.expect("status line");
        let status_ok = line.starts_with("HTTP/1.1 200");
        let mut length = 0usize;
        loop {
            line.clear();
            r.read_line(&mut line).await.expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0u8; length];
        r.read_exact(&mut buf).await.expect("body");
        if status_ok {
            ok.fetch_add(1, Ordering::Relaxed);
        } else {
            refused.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let calls: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let server = ServerProcess::start();
    let addr = server.addr().to_owned();
    let client = sdk(&server.endpoint);
    let (pool_id, client_id) = create_pool_and_client(&client, "flood", &[]).await;
    let bystanders = 20;
    for name in
        std::iter::once("victim".to_owned()).chain((0..bystanders).map(|i| format!("other-{i}")))
    {
        confirmed_user(&client, &pool_id, &name, PW, false).await;
    }
    let rss_before = server.status_kib("VmRSS:");
    let srp_a = userpool_srp::SrpClient::new()
        .expect("srp")
        .srp_a_hex()
        .to_owned();
    let body = Arc::new(format!(
        r#"{{"AuthFlow":"USER_SRP_AUTH","ClientId":"{client_id}","AuthParameters":{{"USERNAME":"victim","SRP_A":"{srp_a}"}}}}"#
    ));
    let remaining = Arc::new(AtomicU64::new(calls));
    let ok = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut flooders = Vec::new();
    for _ in 0..connections {
        flooders.push(tokio::spawn(flood_connection(
            addr.clone(),
            body.clone(),
            remaining.clone(),
            ok.clone(),
            refused.clone(),
        )));
    }
    // Other users sign in (full SRP) while the flood runs; memory is sampled meanwhile.
    let (mut signed_in, mut tried, mut rss_peak) = (0u32, 0u32, 0u64);
    let mut worst_sign_in = Duration::ZERO;
    while remaining.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let who = format!("other-{}", tried % bystanders);
        let (sdk2, pool_id2, client_id2) = (client.clone(), pool_id.clone(), client_id.clone());
        let t = Instant::now();
        let result = tokio::spawn(async move {
            srp_sign_in(&sdk2, &pool_id2, &client_id2, &who, PW).await;
        })
        .await;
        tried += 1;
        if result.is_ok() {
            signed_in += 1;
            worst_sign_in = worst_sign_in.max(t.elapsed());
        }
        rss_peak = rss_peak.max(server.status_kib("VmRSS:"));
    }
    for f in flooders {
        f.await.expect("flooder");
    }
    let flood_secs = started.elapsed().as_secs_f64();
    let rss_after = server.status_kib("VmRSS:");
    let hwm = server.status_kib("VmHWM:");
    // The flooded user's own sign-in still works after the flood.
    let victim_ok = tokio::spawn({
        let (c, p, i) = (client.clone(), pool_id.clone(), client_id.clone());
        async move { srp_sign_in(&c, &p, &i, "victim", PW).await }
    })
    .await
    .is_ok();
    println!(
        "flood: {calls} unanswered InitiateAuth (USER_SRP_AUTH) for one user over {connections} connections"
    );
    println!(
        "  answered with a challenge: {}, refused: {}, in {flood_secs:.1} s ({:.0}/s)",
        ok.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        calls as f64 / flood_secs
    );
    println!(
        "  server RSS: {} MiB before, peak sampled {} MiB, {} MiB after (VmHWM {} MiB)",
        rss_before / 1024,
        rss_peak / 1024,
        rss_after / 1024,
        hwm / 1024
    );
    println!(
        "  other users signing in during the flood: {signed_in}/{tried} succeeded (slowest {:.0} ms)",
        worst_sign_in.as_secs_f64() * 1000.0
    );
    println!("  the flooded user signs in afterwards: {victim_ok}");
}
