//! Sign-in cost with client and server in one process over loopback, beside the crypto a
//! sign-in cannot skip.
//!
//! `cargo bench -p userpool-local --bench server`
//!
//! - `sign_in/user_srp_auth`: InitiateAuth + RespondToAuthChallenge with userpool-srp's
//!   client (three client modexps) and the server (SRP and two RS256 signatures).
//! - `sign_in/user_password_auth`: one InitiateAuth.
//! - `crypto/verifier_check_and_two_rs256`: userpool-srp's check_password and two RS256
//!   signatures with a 2048-bit key, alone: the ceiling of USER_PASSWORD_AUTH.
//!
//! The server's own CPU per sign-in is measured by `examples/measure.rs`.

use std::time::SystemTime;

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use criterion::{Criterion, criterion_group, criterion_main};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

const PW: &str = "Bench-Passw0rd!";

fn sdk(endpoint: &str) -> cip::Client {
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    cip::Client::from_conf(config)
}

async fn srp_sign_in(sdk: &cip::Client, pool_id: &str, client_id: &str) {
    let client = userpool_srp::SrpClient::new().expect("srp");
    let out = sdk
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "bench")
        .auth_parameters("SRP_A", client.srp_a_hex())
        .send()
        .await
        .expect("initiate");
    let p = out.challenge_parameters().expect("params");
    let ts = userpool_srp::timestamp(SystemTime::now());
    let sig = client
        .password_claim(&userpool_srp::PasswordClaimRequest {
            pool_name: userpool_srp::pool_name(pool_id).expect("pool"),
            user_id_for_srp: &p["USER_ID_FOR_SRP"],
            password: PW,
            salt_hex: &p["SALT"],
            srp_b_hex: &p["SRP_B"],
            secret_block_b64: &p["SECRET_BLOCK"],
            timestamp: &ts,
        })
        .expect("claim");
    let out = sdk
        .respond_to_auth_challenge()
        .client_id(client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", &p["USERNAME"])
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &p["SECRET_BLOCK"])
        .challenge_responses("TIMESTAMP", &ts)
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", sig)
        .send()
        .await
        .expect("respond");
    assert!(out.authentication_result().is_some());
}

async fn password_sign_in(sdk: &cip::Client, client_id: &str) {
    let out = sdk
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "bench")
        .auth_parameters("PASSWORD", PW)
        .send()
        .await
        .expect("password auth");
    assert!(out.authentication_result().is_some());
}

struct OsRng;
impl rsa::rand_core::TryRng for OsRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(getrandom::u32().unwrap_or(4))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(getrandom::u64().unwrap_or(4))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst).unwrap_or(());
        Ok(())
    }
}
impl rsa::rand_core::TryCryptoRng for OsRng {}

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
        b.iter(|| rt.block_on(srp_sign_in(&sdk, &pool_id, &client_id)))
    });
    group.bench_function("user_password_auth", |b| {
        b.iter(|| rt.block_on(password_sign_in(&sdk, &client_id)))
    });
    group.finish();

    let mut group = c.benchmark_group("crypto");
    group.sample_size(50);
    let verifier = userpool_srp::make_verifier("AbCdEfGhI", "bench", PW);
    // The same signing path as the server: an `rsa`-generated key, signed with ring.
    let key = rsa::PrivateKey::new(&mut rsa::rand_core::UnwrapErr(OsRng), 2048).expect("key");
    let der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).expect("der");
    let key = ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes()).expect("ring key");
    let ring_rng = ring::rand::SystemRandom::new();
    let sign = |msg: &[u8]| {
        let mut sig = vec![0; key.public().modulus_len()];
        key.sign(&ring::signature::RSA_PKCS1_SHA256, &ring_rng, msg, &mut sig)
            .expect("sign");
        sig
    };
    let claims = br#"{"sub":"0b7c8a8e-0000-4000-8000-000000000000","token_use":"access","scope":"aws.cognito.signin.user.admin","exp":1,"iat":1,"jti":"x","username":"bench"}"#;
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
