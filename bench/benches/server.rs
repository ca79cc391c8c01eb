//! Sign-in cost with client and server in one process over loopback, beside the crypto a
//! sign-in cannot skip.
//!
//! `cargo bench -p userpool-bench --bench server`
//!
//! - `sign_in/user_srp_auth`: InitiateAuth + RespondToAuthChallenge with userpool-srp's
//!   client (three client modexps) and the server (SRP and two RS256 signatures).
//! - `sign_in/user_password_auth`: one InitiateAuth.
//! - `crypto/verifier_check_and_two_rs256`: userpool-srp's check_password and two RS256
//!   signatures with a 2048-bit key, alone: the ceiling of USER_PASSWORD_AUTH.
//!
//! The server's own CPU per sign-in is measured by the program `userpool-measure`.

use criterion::{Criterion, criterion_group, criterion_main};
use userpool_bench::local::{password_sign_in, sdk, srp_sign_in};
use userpool_local::bench_internals::SigningKey;
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

const PW: &str = "Bench-Passw0rd!";

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (server, pool_id, client_id) = rt.block_on(async {
        let server = LocalPool::builder().start().await.expect("server");
        let pool = server
            .create_pool(PoolConfig::new("bench"))
            .await
            .expect("pool");
        let client = server
            .create_client(
                &pool.pool_id,
                ClientConfig::new("bench").with_password_auth(),
            )
            .await
            .expect("client");
        server
            .create_user(&pool.pool_id, "bench", PW, &[])
            .await
            .expect("user");
        (server, pool.pool_id, client.client_id)
    });
    let sdk = sdk(server.endpoint());

    let mut group = c.benchmark_group("sign_in");
    group.sample_size(50);
    group.bench_function("user_srp_auth", |b| {
        b.iter(|| rt.block_on(srp_sign_in(&sdk, &pool_id, &client_id, "bench", PW)))
    });
    group.bench_function("user_password_auth", |b| {
        b.iter(|| rt.block_on(password_sign_in(&sdk, &client_id, "bench", PW)))
    });
    group.finish();

    let mut group = c.benchmark_group("crypto");
    group.sample_size(50);
    let verifier = userpool_srp::make_verifier("AbCdEfGhI", "bench", PW);
    // The server's own signing path: header, claims, RS256 and encoding.
    let signer = SigningKey::generate().expect("key");
    let sign = |claims: &serde_json::Value| signer.sign(claims).expect("sign");
    // An access token's claims as the server issues them (the shared builder).
    let claims = serde_json::Value::Object(
        userpool_types::ClaimsBuilder::new(
            "0b7c8a8e-0000-4000-8000-000000000000",
            "bench",
            "bench-client",
            1,
        )
        .access_token(1, Some("x")),
    );
    let claims = &claims;
    group.bench_function("verifier_check_and_two_rs256", |b| {
        b.iter(|| {
            assert!(userpool_srp::check_password(
                "AbCdEfGhI",
                "bench",
                PW,
                &verifier
            ));
            sign(claims);
            sign(claims);
        })
    });
    group.bench_function("verifier_check", |b| {
        b.iter(|| userpool_srp::check_password("AbCdEfGhI", "bench", PW, &verifier))
    });
    group.bench_function("rs256_sign", |b| b.iter(|| sign(claims)));
    group.finish();
    drop(sdk);
    rt.block_on(server.shutdown()).expect("shutdown");
}

criterion_group!(server, benches);
criterion_main!(server);
