//! SRP costs, client and server side.
//!
//! `cargo bench -p userpool-bench --bench srp -- --measurement-time 3 --warm-up-time 1`

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use userpool_srp::{
    PasswordClaimRequest, SrpClient, SrpServer, VerifyRequest, check_password, decode_secret_block,
    make_verifier, timestamp,
};

const POOL: &str = "AbCdEfGhI";
const USER: &str = "62eb39c2-3ac8-4e26-b10c-3e76b6e6dfec";
const PASSWORD: &str = "Passw0rd!";
const SECRET_BLOCK: &str = "c2VydmVyLXNpZGUgYXR0ZW1wdCBzdGF0ZSBmb3IgdGhlIGJlbmNobWFyaw==";

fn claim_request<'a>(
    server: &'a SrpServer,
    salt: &'a str,
    ts: &'a str,
) -> PasswordClaimRequest<'a> {
    PasswordClaimRequest {
        pool_name: POOL,
        user_id_for_srp: USER,
        password: PASSWORD,
        salt_hex: salt,
        srp_b_hex: server.srp_b_hex(),
        secret_block_b64: SECRET_BLOCK,
        timestamp: ts,
    }
}

fn bench(c: &mut Criterion) {
    let stored = make_verifier(POOL, USER, PASSWORD);
    let server = SrpServer::new(&stored).unwrap();
    let salt = server.salt_hex();
    let ts = timestamp(SystemTime::now());
    let client = SrpClient::new().unwrap();
    // warm the one-time tables before measuring
    client
        .password_claim(&claim_request(&server, &salt, &ts))
        .unwrap();

    c.bench_function("srp/client_a", |b| b.iter(|| SrpClient::new().unwrap()));
    c.bench_function("srp/client_claim", |b| {
        b.iter(|| {
            client
                .password_claim(black_box(&claim_request(&server, &salt, &ts)))
                .unwrap()
        })
    });
    c.bench_function("srp/client_total", |b| {
        b.iter(|| {
            let client = SrpClient::new().unwrap();
            black_box(client.srp_a_hex());
            client
                .password_claim(&claim_request(&server, &salt, &ts))
                .unwrap()
        })
    });
    c.bench_function("srp/server_challenge", |b| {
        b.iter(|| SrpServer::new(black_box(&stored)).unwrap())
    });
    let signature = client
        .password_claim(&claim_request(&server, &salt, &ts))
        .unwrap();
    let block = decode_secret_block(SECRET_BLOCK).unwrap();
    c.bench_function("srp/server_verify", |b| {
        b.iter(|| {
            let ok = server
                .verify(black_box(&VerifyRequest {
                    pool_name: POOL,
                    user_id_for_srp: USER,
                    srp_a_hex: client.srp_a_hex(),
                    secret_block: &block,
                    timestamp: &ts,
                    signature_b64: &signature,
                }))
                .unwrap();
            assert!(ok);
        })
    });
    c.bench_function("srp/make_verifier", |b| {
        b.iter(|| make_verifier(POOL, USER, black_box(PASSWORD)))
    });
    c.bench_function("srp/check_password", |b| {
        b.iter(|| assert!(check_password(POOL, USER, black_box(PASSWORD), &stored)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
