//! The crypto-bound ceiling of the local pool's sign-ins: the cryptography one sign-in
//! cannot skip, alone, on a given number of threads.
//!
//! ```text
//! userpool-bench-ceiling THREADS ITERATIONS RUNS
//! ```
//!
//! - password: `check_password` (x and g^x against the stored verifier) and two RS256
//!   signatures (the id and access tokens), what a USER_PASSWORD_AUTH sign-in costs the
//!   server at the least;
//! - srp: `SrpServer` (B = k·v + g^b), `verify` of a real client's answer (S = (A·v^u)^b,
//!   HKDF, HMAC) and the same two signatures, what USER_SRP_AUTH costs the server at the
//!   least. The server's `b` is fixed so that the client's answer can be computed once,
//!   outside the timing; the server does the same work as with a fresh `b`.
//!
//! Each of THREADS threads does ITERATIONS operations; a run's rate is all operations over
//! its wall time. Prints one JSON object with each run's rates and their medians, so the
//! harness can put the server's measured CPU per sign-in beside the ceiling, and the
//! ceiling on two threads beside one.

use std::hint::black_box;
use std::time::Instant;

use serde_json::json;
use userpool_bench::stats;
use userpool_local::bench_internals::SigningKey;
use userpool_srp::{PasswordClaimRequest, SrpClient, SrpServer, VerifyRequest};

const POOL: &str = "AbCdEfGhI";
const USER: &str = "0b7c8a8e-0000-4000-8000-000000000000";
const PW: &str = "Ceiling-Passw0rd!";
const SECRET_BLOCK: &[u8] = b"the secret block of one sign-in attempt";
const TIMESTAMP: &str = "Tue Dec 1 12:34:56 UTC 2026";

fn fail(what: &str) -> ! {
    eprintln!("userpool-bench-ceiling: {what}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: usize| {
        args.get(i)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(default)
            .max(1)
    };
    let (threads, iterations, runs) = (num(0, 1), num(1, 50), num(2, 5));

    let verifier = userpool_srp::make_verifier(POOL, USER, PW);
    let signer = SigningKey::generate().unwrap_or_else(|e| fail(&format!("key: {e}")));
    let claims = serde_json::Value::Object(
        userpool_types::ClaimsBuilder::new(USER, "bench", "bench-client", 1)
            .access_token(1, Some("x")),
    );
    // One client answer for a fixed server b of the size the server draws.
    let b = [0x5au8; userpool_srp::SERVER_KEY_BYTES];
    let client = SrpClient::new().unwrap_or_else(|e| fail(&format!("client: {e}")));
    let server = SrpServer::with_private_key(&verifier, &b)
        .unwrap_or_else(|e| fail(&format!("server: {e}")));
    let block_b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(SECRET_BLOCK)
    };
    let salt_hex = server.salt_hex();
    let signature = client
        .password_claim(&PasswordClaimRequest {
            pool_name: POOL,
            user_id_for_srp: USER,
            password: PW,
            salt_hex: &salt_hex,
            srp_b_hex: server.srp_b_hex(),
            secret_block_b64: &block_b64,
            timestamp: TIMESTAMP,
        })
        .unwrap_or_else(|e| fail(&format!("claim: {e}")));
    let srp_a_hex = client.srp_a_hex().to_owned();

    let password_op = || {
        if !userpool_srp::check_password(POOL, USER, PW, &verifier) {
            fail("the password check failed");
        }
        black_box(signer.sign(&claims).ok());
        black_box(signer.sign(&claims).ok());
    };
    let srp_op = || {
        let server = SrpServer::with_private_key(&verifier, black_box(&b))
            .unwrap_or_else(|e| fail(&format!("server: {e}")));
        black_box(server.srp_b_hex());
        let ok = server.verify(&VerifyRequest {
            pool_name: POOL,
            user_id_for_srp: USER,
            srp_a_hex: &srp_a_hex,
            secret_block: SECRET_BLOCK,
            timestamp: TIMESTAMP,
            signature_b64: &signature,
        });
        if !matches!(ok, Ok(true)) {
            fail("the SRP answer did not verify");
        }
        black_box(signer.sign(&claims).ok());
        black_box(signer.sign(&claims).ok());
    };
    // Warm-up: the fixed-base table and the caches, outside the timing.
    for _ in 0..3 {
        password_op();
        srp_op();
    }
    let rate = |op: &(dyn Fn() + Sync)| -> Vec<f64> {
        (0..runs)
            .map(|_| {
                let t0 = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(|| {
                            for _ in 0..iterations {
                                op();
                            }
                        });
                    }
                });
                (threads * iterations) as f64 / t0.elapsed().as_secs_f64()
            })
            .collect()
    };
    let password = rate(&password_op);
    let srp = rate(&srp_op);
    println!(
        "{}",
        json!({
            "threads": threads,
            "iterations_per_thread": iterations,
            "runs": runs,
            "unit": "operations per second (all threads)",
            "password_per_sec": password,
            "srp_per_sec": srp,
            "password_median_per_sec": stats::median(&password),
            "srp_median_per_sec": stats::median(&srp),
        })
    );
}
