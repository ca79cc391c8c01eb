//! Known answers from the JavaScript reference client (amazon-cognito-identity-js 6.3.21),
//! through the public API only: SRP_A, PASSWORD_CLAIM_SIGNATURE, SRP_B, the server's check,
//! the verifier and the TIMESTAMP of every vector.

mod common;

use userpool_srp::{
    PasswordClaimRequest, PasswordVerifier, SrpClient, SrpServer, VerifyRequest,
    decode_secret_block, make_verifier_with_salt, parse_timestamp, timestamp_from_unix,
};

use common::{Vector, bytes};

const VECTORS: &str = include_str!("vectors/srp.jsonl");
const EXPECTED_VECTORS: usize = 20;

fn vectors() -> Vec<Vector> {
    common::vectors(VECTORS, EXPECTED_VECTORS)
}

/// The canonical `toString(16)` form of a non-negative hex integer.
fn canonical(hex: &str) -> String {
    let t = hex.trim_start_matches('0').to_ascii_lowercase();
    if t.is_empty() { "0".into() } else { t }
}

fn claim<'a>(v: &'a Vector, password: &'a str) -> PasswordClaimRequest<'a> {
    PasswordClaimRequest {
        pool_name: v.s("pool_name"),
        user_id_for_srp: v.s("user_id_for_srp"),
        password,
        salt_hex: v.s("salt_hex"),
        srp_b_hex: v.s("srp_b_hex"),
        secret_block_b64: v.s("secret_block_b64"),
        timestamp: v.s("timestamp"),
    }
}

#[test]
fn client_matches_every_vector() {
    let mut checked = 0;
    for v in vectors() {
        let case = v.s("case");
        assert_eq!(
            userpool_srp::pool_name(v.s("pool_id")).unwrap(),
            v.s("pool_name"),
            "{case}"
        );
        let client = SrpClient::with_private_key(&bytes(v.s("small_a_hex"))).unwrap();
        assert_eq!(client.srp_a_hex(), v.s("srp_a_hex"), "{case}: SRP_A");
        let sig = client.password_claim(&claim(&v, v.s("password"))).unwrap();
        assert_eq!(sig, v.s("signature_b64"), "{case}: signature");
        assert_eq!(sig.len(), 44);
        checked += 1;
    }
    assert_eq!(checked, EXPECTED_VECTORS);
}

#[test]
fn timestamps_match_every_vector() {
    let mut checked = 0;
    for v in vectors() {
        let ms = v.json()["timestamp_epoch_ms"].as_i64().expect("epoch ms");
        assert_eq!(
            timestamp_from_unix(ms / 1000),
            v.s("timestamp"),
            "{}",
            v.s("case")
        );
        assert_eq!(parse_timestamp(v.s("timestamp")), Ok(ms / 1000));
        checked += 1;
    }
    assert_eq!(checked, EXPECTED_VECTORS);
}

#[test]
fn server_matches_every_vector() {
    let mut checked = 0;
    for v in vectors() {
        let case = v.s("case");
        let verifier = if v.s("salt_hex").starts_with('-') {
            // a server never emits a negative salt; the check does not use the salt
            PasswordVerifier::from_hex("1", v.s("verifier_hex")).unwrap()
        } else {
            let pv = PasswordVerifier::from_hex(v.s("salt_hex"), v.s("verifier_hex")).unwrap();
            assert_eq!(pv.salt_hex(), canonical(v.s("salt_hex")), "{case}");
            assert_eq!(pv.verifier_hex(), canonical(v.s("verifier_hex")), "{case}");
            // the verifier is g^x for this salt and password
            let made = make_verifier_with_salt(
                &pv.salt,
                v.s("pool_name"),
                v.s("user_id_for_srp"),
                v.s("password"),
            );
            assert_eq!(made.verifier, pv.verifier, "{case}: verifier");
            assert!(
                userpool_srp::check_password(
                    v.s("pool_name"),
                    v.s("user_id_for_srp"),
                    v.s("password"),
                    &pv
                ),
                "{case}"
            );
            pv
        };
        let server = SrpServer::with_private_key(&verifier, &bytes(v.s("small_b_hex"))).unwrap();
        // the exact string this implementation emits, and the same integer as the vector
        assert_eq!(
            server.srp_b_hex(),
            canonical(v.s("srp_b_hex")),
            "{case}: SRP_B"
        );
        assert!(
            server
                .srp_b_hex()
                .eq_ignore_ascii_case(v.s("srp_b_hex").trim_start_matches('0')),
            "{case}"
        );

        let block = decode_secret_block(v.s("secret_block_b64")).unwrap();
        let request = |signature: &str| -> bool {
            server
                .verify(&VerifyRequest {
                    pool_name: v.s("pool_name"),
                    user_id_for_srp: v.s("user_id_for_srp"),
                    srp_a_hex: v.s("srp_a_hex"),
                    secret_block: &block,
                    timestamp: v.s("timestamp"),
                    signature_b64: signature,
                })
                .unwrap()
        };
        // the reference client's signature is accepted
        assert!(request(v.s("signature_b64")), "{case}: accepts");
        // a signature made with a wrong password is refused
        let client = SrpClient::with_private_key(&bytes(v.s("small_a_hex"))).unwrap();
        let wrong_password = format!("{}x", v.s("password"));
        let wrong = client.password_claim(&claim(&v, &wrong_password)).unwrap();
        assert_ne!(wrong, v.s("signature_b64"));
        assert!(!request(&wrong), "{case}: refuses a wrong password");
        checked += 1;
    }
    assert_eq!(checked, EXPECTED_VECTORS);
}
