//! Runs one SRP operation a given number of times, for instruction counts under callgrind
//! (repeatable on a busy machine, where wall times are not).
//!
//! ```text
//! cargo build --release -p userpool-srp --example srp_ops
//! valgrind --tool=callgrind target/release/examples/srp_ops OP COUNT
//! ```
//!
//! Run once with `COUNT = 0` and once with, say, `COUNT = 10`: the difference divided by
//! 10 is the cost of one operation, without the set-up (the inputs, the one-time tables).
//! `OP` is one of `client_a` (g^a: `SrpClient::with_private_key`), `client_claim` (g^x and
//! S: `password_claim`), `server_b` (g^b: `SrpServer::with_private_key`), `server_verify`
//! (v^u and S: `verify`), `verifier` (g^x: `make_verifier_with_salt`). The inputs are fixed,
//! so the counts do not depend on a random draw.

use std::hint::black_box;

use userpool_srp::{
    PasswordClaimRequest, SrpClient, SrpServer, VerifyRequest, make_verifier_with_salt,
};

const POOL: &str = "AbCdEfGhI";
const USER: &str = "62eb39c2-3ac8-4e26-b10c-3e76b6e6dfec";
const PASSWORD: &str = "Passw0rd!";
const TS: &str = "Tue Nov 4 09:05:07 UTC 2025";
const BLOCK: &[u8] = b"server-side attempt state";
const BLOCK_B64: &str = "c2VydmVyLXNpZGUgYXR0ZW1wdCBzdGF0ZQ==";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args.first().map(String::as_str).unwrap_or("client_a");
    let count: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);

    // Fixed private keys of the sizes real sign-ins draw: 128 bytes for a, 32 for b.
    let a: Vec<u8> = (0..128u32).map(|i| (i * 37 + 11) as u8 | 0x80).collect();
    let b: Vec<u8> = (0..userpool_srp::SERVER_KEY_BYTES as u32)
        .map(|i| (i * 53 + 5) as u8 | 0x80)
        .collect();
    let stored = make_verifier_with_salt(&[7; 16], POOL, USER, PASSWORD);
    let server = SrpServer::with_private_key(&stored, &b)?;
    let client = SrpClient::with_private_key(&a)?;
    let salt = server.salt_hex();
    let claim = PasswordClaimRequest {
        pool_name: POOL,
        user_id_for_srp: USER,
        password: PASSWORD,
        salt_hex: &salt,
        srp_b_hex: server.srp_b_hex(),
        secret_block_b64: BLOCK_B64,
        timestamp: TS,
    };
    let signature = client.password_claim(&claim)?;
    let verify = VerifyRequest {
        pool_name: POOL,
        user_id_for_srp: USER,
        srp_a_hex: client.srp_a_hex(),
        secret_block: BLOCK,
        timestamp: TS,
        signature_b64: &signature,
    };
    if !server.verify(&verify)? {
        return Err("the fixed inputs do not verify".into());
    }

    for _ in 0..count {
        match op {
            "client_a" => {
                black_box(SrpClient::with_private_key(black_box(&a))?);
            }
            "client_claim" => {
                black_box(client.password_claim(black_box(&claim))?);
            }
            "server_b" => {
                black_box(SrpServer::with_private_key(black_box(&stored), &b)?);
            }
            "server_verify" => {
                black_box(server.verify(black_box(&verify))?);
            }
            "verifier" => {
                black_box(make_verifier_with_salt(
                    &[7; 16],
                    POOL,
                    USER,
                    black_box(PASSWORD),
                ));
            }
            other => return Err(format!("unknown operation {other}").into()),
        }
    }
    Ok(())
}
