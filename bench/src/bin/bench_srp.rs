//! The client SRP work of one sign-in with `userpool_srp`, timed like the peers' scripts
//! time theirs (`xtask/peers/node-clients/srp.js`, `xtask/peers/pycognito_srp.py`,
//! `xtask/peers/gmp_srp.py`), or with the other Rust crate, `aws-cognito-srp`.
//!
//! ```text
//! userpool-bench-srp VECTORS.jsonl [ITERATIONS] [RUNS] [userpool|aws-cognito-srp]
//! ```
//!
//! One operation = `SrpClient::new()` (a random `a`, A = g^a), reading SRP_A, and
//! `password_claim` (u, x, S, HKDF, the HMAC signature) over a vector's challenge. Inputs
//! cycle through the vectors file; each vector is first replayed with its fixed private
//! `a` and checked against the expected SRP_A and signature. Prints one JSON object with
//! the mean time per operation of each run and their median, in milliseconds.
//!
//! With `aws-cognito-srp`, one operation is that crate's equivalent: `SrpClient::new` (its
//! random `a`), `get_auth_parameters` (A) and `verify` (the signature) on the same
//! challenges. It draws `a` inside and stamps the clock's time, so its answers cannot be
//! checked against the vectors; vectors it refuses (it reads a salt as unsigned hex, so a
//! negative salt is an error) are reported in `unsupported` and left out.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Value, json};
use userpool_bench::{AWS_COGNITO_SRP_VERSION, stats};
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

/// One sign-in's client work with `aws-cognito-srp`, or its error on this vector.
fn aws_cognito_srp_sign_in(v: &Vector) -> Result<String, aws_cognito_srp::SrpError> {
    let pool_id = format!("us-east-1_{}", v.pool_name);
    let user = aws_cognito_srp::User::new(&pool_id, &v.user_id_for_srp, &v.password);
    let client = aws_cognito_srp::SrpClient::new(user, "bench-client", None);
    let srp_a = client.get_auth_parameters();
    black_box(&srp_a);
    let claim = client.verify(
        black_box(&v.secret_block_b64),
        &v.user_id_for_srp,
        &v.salt_hex,
        &v.srp_b_hex,
    )?;
    Ok(claim.password_claim_signature)
}

/// Mean milliseconds per operation of each run, after a warm-up.
fn time_runs(iterations: usize, runs: usize, mut op: impl FnMut(usize)) -> Vec<f64> {
    for i in 0..iterations.min(20) {
        op(i);
    }
    let mut per_op = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        for i in 0..iterations {
            op(i);
        }
        per_op.push(t0.elapsed().as_secs_f64() * 1000.0 / iterations as f64);
    }
    per_op
}

/// The vectors `usable` accepts, and the cases of those it refuses (reported, not timed).
fn usable_vectors(
    vectors: &[Vector],
    usable: impl Fn(&Vector) -> bool,
) -> (Vec<&Vector>, Vec<&str>) {
    let (ok, refused): (Vec<&Vector>, Vec<&Vector>) = vectors.iter().partition(|v| usable(v));
    (ok, refused.iter().map(|v| v.case.as_str()).collect())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!(
            "usage: userpool-bench-srp VECTORS.jsonl [ITERATIONS] [RUNS] [userpool|aws-cognito-srp]"
        );
        std::process::exit(2);
    };
    let iterations: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let implementation = args.get(3).map(String::as_str).unwrap_or("userpool");
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
    if implementation == "aws-cognito-srp" {
        let (usable, unsupported) =
            usable_vectors(&vectors, |v| aws_cognito_srp_sign_in(v).is_ok());
        if usable.is_empty() {
            eprintln!("aws-cognito-srp accepted no vector");
            std::process::exit(1);
        }
        let per_op = time_runs(iterations, runs, |i| {
            black_box(aws_cognito_srp_sign_in(usable[i % usable.len()]).ok());
        });
        println!(
            "{}",
            json!({
                "impl": "aws-cognito-srp",
                "version": AWS_COGNITO_SRP_VERSION,
                "runtime": "rust (release)",
                "unit": "ms",
                "per_op_ms": per_op,
                "median_ms": stats::median(&per_op),
                "iterations": iterations,
                "runs": runs,
                "vectors": usable.len(),
                "unsupported": unsupported,
            })
        );
        return;
    }
    if implementation != "userpool" {
        eprintln!("unknown implementation {implementation:?}: userpool or aws-cognito-srp");
        std::process::exit(2);
    }
    let (usable, mismatches) = usable_vectors(&vectors, check);
    if usable.is_empty() {
        eprintln!("no vector verified");
        std::process::exit(1);
    }
    let per_op = time_runs(iterations, runs, |i| {
        black_box(one_sign_in(usable[i % usable.len()]));
    });
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
