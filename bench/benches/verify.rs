//! Token verification with `userpool_verify`, warm cache, over real access tokens of an
//! embedded local pool: the figure `cargo xtask bench` compares with aws-jwt-verify
//! (`verify` in the report), here under criterion.
//!
//! `cargo bench -p userpool-bench --bench verify`
//!
//! - `verify/verify_sync`: one verification (signature, `iss`, `token_use`, `client_id`,
//!   `exp`, `iat`) with the keys cached and the verified-token cache off: the signature
//!   path, no I/O, no lock.
//! - `verify/verify_async`: the same through the async `verify`, on a current-thread
//!   runtime.
//! - `verify/verify_sync_token_cache_hit`: the default verifier, its token cache warm
//!   with the same tokens: the claim checks only (the signature and the decoding are
//!   skipped).
//! - `verify/unknown_issuer_refused`: a token of a pool the verifier does not know, refused
//!   before any signature work (what a flood of forged tokens costs).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use userpool_bench::verify::{TokenCache, TokenSet};
use userpool_local::LocalPool;
use userpool_verify::{Pool, TokenUse, Verifier};

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let set = rt.block_on(async {
        let server = LocalPool::builder().start().await.expect("server");
        let set = TokenSet::from_sign_ins(server.endpoint(), 2, 2)
            .await
            .expect("tokens");
        server.shutdown().await.expect("shutdown");
        set
    });
    let verifier = set.verifier(TokenCache::Off).expect("verifier");
    let cached = set.verifier(TokenCache::On).expect("verifier");
    let tokens = &set.tokens;
    for t in tokens {
        verifier.verify_sync(t).expect("a real token verifies");
        cached.verify_sync(t).expect("a real token verifies");
        assert!(cached.is_cached(t));
    }
    let stranger = Verifier::builder()
        .pool(
            Pool::with_issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")
                .expect("issuer")
                .token_use(TokenUse::Access)
                .any_client()
                .jwks(&set.jwks),
        )
        .offline()
        .build()
        .expect("verifier");

    let mut group = c.benchmark_group("verify");
    let mut i = 0usize;
    group.bench_function("verify_sync", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(verifier.verify_sync(black_box(&tokens[i % tokens.len()]))).expect("verifies")
        })
    });
    group.bench_function("verify_async", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            rt.block_on(verifier.verify(black_box(&tokens[i % tokens.len()])))
                .expect("verifies")
        })
    });
    group.bench_function("verify_sync_token_cache_hit", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(cached.verify_sync(black_box(&tokens[i % tokens.len()]))).expect("verifies")
        })
    });
    group.bench_function("unknown_issuer_refused", |b| {
        b.iter(|| {
            black_box(stranger.verify_sync(black_box(&tokens[0])))
                .expect_err("another pool's token")
        })
    });
    group.finish();
}

criterion_group!(verify, benches);
criterion_main!(verify);
