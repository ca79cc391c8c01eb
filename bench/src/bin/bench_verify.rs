//! Token verification with `userpool_verify`, timed like the peer's script times
//! aws-jwt-verify (`xtask/peers/node-clients/verify.js`), over the same token file.
//!
//! ```text
//! userpool-bench-verify TOKENS.json [ITERATIONS] [RUNS]
//! ```
//!
//! TOKENS.json is what the harness writes (`userpool_bench::verify::TokenSet`): N real
//! access tokens of a local pool (each from its own sign-in), its issuer, app client and
//! JWKS. The verifiers are built offline with that JWKS (a warm JWKS cache: no I/O) and
//! check what a service checks: RS256 signature, `iss`, `token_use` access, `client_id`,
//! `exp`, `iat`. Every token is verified once before timing and must pass. One operation
//! = one `verify_sync` of the next token (the N tokens in turn), on the calling thread only
//! (one core). Two measurements, their runs alternating so that both see the same
//! machine:
//!
//! - `signature`: the verified-token cache off, so every verification checks the RS256
//!   signature and decodes the token: what a service pays for a token it has not seen.
//! - `token_cache_hits`: the default verifier, its token cache warm with the N tokens
//!   (the check pass above filled it), so every verification is a hit: the claim checks
//!   run again, the signature check and the decoding are skipped. What a service pays for
//!   the token of a session it has seen before (every request after the first).
//!
//! Prints one JSON object with, for each: verifications per second of each run and their
//! median, and the same for the async `verify` on a current-thread runtime.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};
use userpool_bench::stats;
use userpool_bench::verify::{TokenCache, TokenSet};
use userpool_verify::Verifier;

/// Verifications per second of `iterations` `verify_sync` calls over `tokens` in turn.
fn sync_run(verifier: &Verifier, tokens: &[String], iterations: usize) -> f64 {
    let t0 = Instant::now();
    for i in 0..iterations {
        black_box(
            verifier
                .verify_sync(black_box(&tokens[i % tokens.len()]))
                .ok(),
        );
    }
    iterations as f64 / t0.elapsed().as_secs_f64()
}

/// The same through the async `verify`, as a handler calls it: warm, it never waits.
fn async_run(
    rt: &tokio::runtime::Runtime,
    verifier: &Verifier,
    tokens: &[String],
    iterations: usize,
) -> f64 {
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
    iterations as f64 / t0.elapsed().as_secs_f64()
}

#[derive(Default)]
struct Rates {
    sync: Vec<f64>,
    asynchronous: Vec<f64>,
}

impl Rates {
    fn to_json(&self, api: &str) -> Value {
        json!({
            "api": api,
            "per_run_per_sec": self.sync,
            "median_per_sec": stats::median(&self.sync),
            "async_per_run_per_sec": self.asynchronous,
            "async_median_per_sec": stats::median(&self.asynchronous),
        })
    }
}

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
    let signature = set.verifier(TokenCache::Off)?;
    let cached = set.verifier(TokenCache::On)?;
    for (i, token) in set.tokens.iter().enumerate() {
        if let Err(e) = signature.verify_sync(token) {
            bail!("token {i} does not verify: {e}");
        }
        cached
            .verify_sync(token)
            .with_context(|| format!("token {i} (token cache on)"))?;
    }
    let tokens = &set.tokens;
    if let Some(i) = tokens.iter().position(|t| !cached.is_cached(t)) {
        bail!(
            "token {i} is not in the token cache after its verification (capacity {} < {} tokens?)",
            userpool_verify::DEFAULT_TOKEN_CACHE_CAPACITY,
            tokens.len()
        );
    }
    // Warm-up: caches, branch predictors, the allocator.
    for v in [&signature, &cached] {
        for i in 0..iterations.min(1000) {
            black_box(v.verify_sync(&tokens[i % tokens.len()]).ok());
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let (mut sig, mut hit) = (Rates::default(), Rates::default());
    for _ in 0..runs.max(1) {
        sig.sync.push(sync_run(&signature, tokens, iterations));
        hit.sync.push(sync_run(&cached, tokens, iterations));
        sig.asynchronous
            .push(async_run(&rt, &signature, tokens, iterations));
        hit.asynchronous
            .push(async_run(&rt, &cached, tokens, iterations));
    }
    println!(
        "{}",
        json!({
            "impl": "userpool-verify",
            "version": env!("CARGO_PKG_VERSION"),
            "unit": "verifications/s",
            "signature": sig.to_json("Verifier::verify_sync, token cache off (every token's signature checked)"),
            "token_cache_hits": hit.to_json("Verifier::verify_sync, token cache on and warm (every verification a hit)"),
            "iterations": iterations,
            "runs": runs,
            "tokens": tokens.len(),
        })
    );
    Ok(())
}
