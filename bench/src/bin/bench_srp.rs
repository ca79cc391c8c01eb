//! The client SRP work of one sign-in with `userpool_srp`, timed like the peers' scripts
//! time theirs (`xtask/peers/node-clients/srp.js`, `xtask/peers/pycognito_srp.py`).
//!
//! ```text
//! userpool-bench-srp VECTORS.jsonl [ITERATIONS] [RUNS]
//! ```
//!
//! One operation = `SrpClient::new()` (a random `a`, A = g^a), reading SRP_A, and
//! `password_claim` (u, x, S, HKDF, the HMAC signature) over a vector's challenge. Inputs
//! cycle through the vectors file; each vector is first replayed with its fixed private
//! `a` and checked against the expected SRP_A and signature. Prints one JSON object with
//! the mean time per operation of each run and their median, in milliseconds.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Value, json};
use userpool_bench::stats;
use userpool_srp::{PasswordClaimRequest, SrpClient};

struct Vector {
    case: String,
    pool_name: String,
    user_id_for_srp: String,
    password: String,
    small_a_hex: String,
    salt_hex: String,
    srp_b_hex: String,
    secret_block_b64: String,
    timestamp: String,
    srp_a_hex: String,
    signature_b64: String,
}

impl Vector {
    fn from_json(v: &Value) -> Option<Vector> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Vector {
            case: s("case")?,
            pool_name: s("pool_name")?,
            user_id_for_srp: s("user_id_for_srp")?,
            password: s("password")?,
            small_a_hex: s("small_a_hex")?,
            salt_hex: s("salt_hex")?,
            srp_b_hex: s("srp_b_hex")?,
            secret_block_b64: s("secret_block_b64")?,
            timestamp: s("timestamp")?,
            srp_a_hex: s("srp_a_hex")?,
            signature_b64: s("signature_b64")?,
        })
    }

    fn request(&self) -> PasswordClaimRequest<'_> {
        PasswordClaimRequest {
            pool_name: &self.pool_name,
            user_id_for_srp: &self.user_id_for_srp,
            password: &self.password,
            salt_hex: &self.salt_hex,
            srp_b_hex: &self.srp_b_hex,
            secret_block_b64: &self.secret_block_b64,
            timestamp: &self.timestamp,
        }
    }
}

fn hex_bytes(h: &str) -> Option<Vec<u8>> {
    let h = if h.len() % 2 == 1 {
        format!("0{h}")
    } else {
        h.to_owned()
    };
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

fn check(v: &Vector) -> bool {
    let Some(a) = hex_bytes(&v.small_a_hex) else {
        return false;
    };
    let Ok(client) = SrpClient::with_private_key(&a) else {
        return false;
    };
    client.srp_a_hex() == v.srp_a_hex
        && client.password_claim(&v.request()).ok().as_deref() == Some(v.signature_b64.as_str())
}

fn one_sign_in(v: &Vector) -> String {
    let client = SrpClient::new().expect("a random a");
    black_box(client.srp_a_hex());
    client
        .password_claim(black_box(&v.request()))
        .expect("a claim")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: userpool-bench-srp VECTORS.jsonl [ITERATIONS] [RUNS]");
        std::process::exit(2);
    };
    let iterations: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let vectors: Vec<Vector> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Vector::from_json(&v))
        .collect();
    let mismatches: Vec<&str> = vectors
        .iter()
        .filter(|v| !check(v))
        .map(|v| v.case.as_str())
        .collect();
    let usable: Vec<&Vector> = vectors
        .iter()
        .filter(|v| !mismatches.contains(&v.case.as_str()))
        .collect();
    if usable.is_empty() {
        eprintln!("no vector verified");
        std::process::exit(1);
    }
    for i in 0..iterations.min(20) {
        black_box(one_sign_in(usable[i % usable.len()]));
    }
    let mut per_op = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        for i in 0..iterations {
            black_box(one_sign_in(usable[i % usable.len()]));
        }
        per_op.push(t0.elapsed().as_secs_f64() * 1000.0 / iterations as f64);
    }
    println!(
        "{}",
        json!({
            "impl": "userpool",
            "version": env!("CARGO_PKG_VERSION"),
            "runtime": "rust (release)",
            "unit": "ms",
            "per_op_ms": per_op,
            "median_ms": stats::median(&per_op),
            "iterations": iterations,
            "runs": runs,
            "vectors": usable.len(),
            "mismatches": mismatches,
        })
    );
}
