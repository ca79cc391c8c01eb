//! Device SRP known answers from the JavaScript reference client
//! (amazon-cognito-identity-js 6.3.21), through the public API only: the ConfirmDevice
//! verifier config, SRP_A, PASSWORD_CLAIM_SIGNATURE, SRP_B and the server's check of every
//! vector; then a client↔server round trip with fresh randomness.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use userpool_srp::{
    DevicePassword, DevicePasswordClaimRequest, DeviceRegistration, DeviceSecretVerifierConfig,
    DeviceSrpClient, DeviceSrpServer, DeviceVerifyRequest, decode_secret_block,
    device_verifier_config, timestamp_from_unix,
};

use common::{Vector, bytes};

const VECTORS: &str = include_str!("vectors/device-srp.jsonl");
const EXPECTED_VECTORS: usize = 10;

fn vectors() -> Vec<Vector> {
    common::vectors(VECTORS, EXPECTED_VECTORS)
}

fn claim<'a>(v: &'a Vector, random_password: &'a str) -> DevicePasswordClaimRequest<'a> {
    DevicePasswordClaimRequest {
        device_group_key: v.s("device_group_key"),
        device_key: v.s("device_key"),
        random_password,
        salt_hex: v.s("salt_hex"),
        srp_b_hex: v.s("srp_b_hex"),
        secret_block_b64: v.s("secret_block_b64"),
        timestamp: v.s("timestamp"),
    }
}

#[test]
fn confirm_device_config_matches_every_vector() {
    let mut checked = 0;
    for v in vectors() {
        let case = v.s("case");
        let password = DevicePassword::from_random_bytes(&bytes(v.s("random_password_bytes_hex")));
        assert_eq!(
            password.as_str(),
            v.s("random_password"),
            "{case}: password"
        );
        let config = device_verifier_config(
            v.s("device_group_key"),
            v.s("device_key"),
            &password,
            &bytes(v.s("salt_random_hex")),
        );
        assert_eq!(config.salt, v.s("salt_b64"), "{case}: Salt");
        assert_eq!(
            STANDARD.decode(&config.salt).unwrap(),
            bytes(v.s("salt_padhex")),
            "{case}"
        );
        assert_eq!(
            config.password_verifier,
            v.s("verifier_b64"),
            "{case}: PasswordVerifier"
        );
        // what a server stores reads back as the same integers
        let stored = config.to_password_verifier().unwrap();
        assert_eq!(stored.verifier_hex(), v.s("verifier_hex"), "{case}");
        checked += 1;
    }
    assert_eq!(checked, EXPECTED_VECTORS);
}

#[test]
fn client_matches_every_vector() {
    let mut checked = 0;
    for v in vectors() {
        let case = v.s("case");
        let client = DeviceSrpClient::with_private_key(&bytes(v.s("a_hex"))).unwrap();
        assert_eq!(client.srp_a_hex(), v.s("srp_a_hex"), "{case}: SRP_A");
        let sig = client
            .password_claim(&claim(&v, v.s("random_password")))
            .unwrap();
        assert_eq!(sig, v.s("signature_b64"), "{case}: signature");
        assert_eq!(sig.len(), 44);
        let ms = v.json()["timestamp_epoch_ms"].as_i64().expect("epoch ms");
        assert_eq!(timestamp_from_unix(ms / 1000), v.s("timestamp"), "{case}");
        checked += 1;
    }
    assert_eq!(checked, EXPECTED_VECTORS);
}

#[test]
fn server_matches_every_vector() {
    let mut checked = 0;
    for v in vectors() {
        let case = v.s("case");
        // the server starts from what ConfirmDevice sent, not from the vector's hex
        let stored = DeviceSecretVerifierConfig {
            password_verifier: v.s("verifier_b64").to_owned(),
            salt: v.s("salt_b64").to_owned(),
        }
        .to_password_verifier()
        .unwrap();
        let server = DeviceSrpServer::with_private_key(&stored, &bytes(v.s("b_hex"))).unwrap();
        assert_eq!(server.srp_b_hex(), v.s("srp_b_hex"), "{case}: SRP_B");
        if v.s("salt_hex_form") == "tostring16" {
            assert_eq!(server.salt_hex(), v.s("salt_hex"), "{case}: SALT");
        } else {
            assert!(
                v.s("salt_hex")
                    .trim_start_matches('0')
                    .eq_ignore_ascii_case(&server.salt_hex()),
                "{case}: SALT spells the same integer"
            );
        }

        let block = decode_secret_block(v.s("secret_block_b64")).unwrap();
        let request = |signature: &str| -> bool {
            server
                .verify(&DeviceVerifyRequest {
                    device_group_key: v.s("device_group_key"),
                    device_key: v.s("device_key"),
                    srp_a_hex: v.s("srp_a_hex"),
                    secret_block: &block,
                    timestamp: v.s("timestamp"),
                    signature_b64: signature,
                })
                .unwrap()
        };
        assert!(request(v.s("signature_b64")), "{case}: accepts");
        // the same sign-in with a wrong random password is refused
        let client = DeviceSrpClient::with_private_key(&bytes(v.s("a_hex"))).unwrap();
        let wrong_password = format!("{}x", v.s("random_password"));
        let wrong = client.password_claim(&claim(&v, &wrong_password)).unwrap();
        assert_ne!(wrong, v.s("signature_b64"));
        assert!(!request(&wrong), "{case}: refuses a wrong password");
        checked += 1;
    }
    assert_eq!(checked, EXPECTED_VECTORS);
}

const GROUP: &str = "-wt2ha1Zd";
const DEVICE: &str = "us-east-1_6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";

/// One full device sign-in with fresh randomness; returns whether the server accepted.
fn sign_in(registration: &DeviceRegistration, password_used: &str, device_key: &str) -> bool {
    let stored = registration.verifier_config.to_password_verifier().unwrap();
    let client = DeviceSrpClient::new().unwrap();
    let server = DeviceSrpServer::new(&stored).unwrap();
    let block = [0x42u8; 64];
    let block_b64 = STANDARD.encode(block);
    let ts = timestamp_from_unix(1_793_709_296);
    let signature = client
        .password_claim(&DevicePasswordClaimRequest {
            device_group_key: GROUP,
            device_key,
            random_password: password_used,
            salt_hex: &server.salt_hex(),
            srp_b_hex: server.srp_b_hex(),
            secret_block_b64: &block_b64,
            timestamp: &ts,
        })
        .unwrap();
    server
        .verify(&DeviceVerifyRequest {
            device_group_key: GROUP,
            device_key: DEVICE,
            srp_a_hex: client.srp_a_hex(),
            secret_block: &block,
            timestamp: &ts,
            signature_b64: &signature,
        })
        .unwrap()
}

#[test]
fn round_trip_with_a_fresh_registration() {
    let registration = DeviceRegistration::generate(GROUP, DEVICE).unwrap();
    let password = registration.random_password.as_str();
    assert_eq!(password.len(), 56);
    assert!(password.ends_with("=="));
    assert!(sign_in(&registration, password, DEVICE));
    // a registration draws its own password and salt
    let other = DeviceRegistration::generate(GROUP, DEVICE).unwrap();
    assert_ne!(other.random_password, registration.random_password);
    assert_ne!(
        other.verifier_config.salt,
        registration.verifier_config.salt
    );
}

#[test]
fn wrong_password_or_device_is_refused() {
    let registration = DeviceRegistration::generate(GROUP, DEVICE).unwrap();
    let other = DeviceRegistration::generate(GROUP, DEVICE).unwrap();
    assert!(!sign_in(
        &registration,
        other.random_password.as_str(),
        DEVICE
    ));
    let password = registration.random_password.as_str();
    let other_device = DEVICE.replace("6f1c", "6f1d");
    assert!(!sign_in(&registration, password, &other_device));
}
