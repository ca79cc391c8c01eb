//! Token verification with `userpool_verify`, timed like the peer's script times
//! aws-jwt-verify (`xtask/peers/node-clients/verify.js`), over the same token file.
//!
//! ```text
//! userpool-bench-verify TOKENS.json [ITERATIONS] [RUNS]
//! ```
//!
//! TOKENS.json is what the harness writes (`userpool_bench::verify::TokenSet`): real access
//! tokens of a local pool, its issuer, app client and JWKS. The verifier is built offline
//! with that JWKS (a warm cache: no I/O) and checks what a service checks: RS256 signature,
//! `iss`, `token_use` access, `client_id`, `exp`, `iat`. Every token is verified once
//! before timing and must pass. One operation = one `verify_sync` of the next token, on
//! the calling thread only (one core). Prints one JSON object: verifications per second of
//! each run and their median, and the same for the async `verify` on a current-thread
//! runtime.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde_json::json;
use userpool_bench::stats;
use userpool_bench::verify::TokenSet;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        bail!("usage: userpool-bench-verify TOKENS.json [ITERATIONS] [RUNS]");
    };
    let iterations: usize = args
        .next()
        .map_or(Ok(20_000), |a| a.parse())
        .context("ITERATIONS")?;
    let runs: usize = args.next().map_or(Ok(5), |a| a.parse()).context("RUNS")?;
    let set = TokenSet::read(&PathBuf::from(path))?;
    let verifier = set.verifier()?;
    for (i, token) in set.tokens.iter().enumerate() {
        if let Err(e) = verifier.verify_sync(token) {
            bail!("token {i} does not verify: {e}");
        }
    }
    let tokens = &set.tokens;
    // Warm-up: caches, branch predictors, the allocator.
    for i in 0..iterations.min(1000) {
        black_box(verifier.verify_sync(&tokens[i % tokens.len()]).ok());
    }
    let mut per_sec = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t0 = Instant::now();
        for i in 0..iterations {
            black_box(
                verifier
                    .verify_sync(black_box(&tokens[i % tokens.len()]))
                    .ok(),
            );
        }
        per_sec.push(iterations as f64 / t0.elapsed().as_secs_f64());
    }
    // The async form, as a handler calls it: warm, it never waits.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let mut async_per_sec = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t0 = Instant::now();
        rt.block_on(async {
            for i in 0..iterations {
                black_box(
                    verifier
                        .verify(black_box(&tokens[i % tokens.len()]))
                        .await
                        .ok(),
                );
            }
        });
        async_per_sec.push(iterations as f64 / t0.elapsed().as_secs_f64());
    }
    println!(
        "{}",
        json!({
            "impl": "userpool-verify",
            "version": env!("CARGO_PKG_VERSION"),
            "unit": "verifications/s",
            "api": "Verifier::verify_sync",
            "per_run_per_sec": per_sec,
            "median_per_sec": stats::median(&per_sec),
            "async_per_run_per_sec": async_per_sec,
            "async_median_per_sec": stats::median(&async_per_sec),
            "iterations": iterations,
            "runs": runs,
            "tokens": tokens.len(),
        })
    );
    Ok(())
}
