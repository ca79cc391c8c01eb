//! Known-answer tests of the intermediates (k, x, u, S, the HKDF key, PAD(salt)) against
//! the vectors of the JavaScript reference client. The public outputs are checked again,
//! through the public API only, by `tests/vectors.rs`.

use serde_json::Value;

use crate::SrpClient;
use crate::client::PasswordClaimRequest;
use crate::encoding::{hex_bytes, hex_minimal};
use crate::hash;

const VECTORS: &str = include_str!("../tests/vectors/srp.jsonl");

fn hex_to_bytes(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "{s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn intermediates_match_the_reference_client() {
    let mut count = 0;
    for line in VECTORS.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("field {k}"));
        let case = s("case");
        assert_eq!(hex_bytes(hash::k()), s("k_hex"), "{case}: k");
        let client = SrpClient::with_private_key(&hex_to_bytes(s("small_a_hex"))).unwrap();
        assert_eq!(client.srp_a_hex(), s("srp_a_hex"), "{case}: A");
        let parts = client
            .claim_parts(&PasswordClaimRequest {
                pool_name: s("pool_name"),
                user_id_for_srp: s("user_id_for_srp"),
                password: s("password"),
                salt_hex: s("salt_hex"),
                srp_b_hex: s("srp_b_hex"),
                secret_block_b64: s("secret_block_b64"),
                timestamp: s("timestamp"),
            })
            .unwrap();
        assert_eq!(
            hex_bytes(&parts.salt_pad),
            s("salt_padhex"),
            "{case}: PAD(salt)"
        );
        assert_eq!(hex_minimal(&parts.x[..]), s("x_hex"), "{case}: x");
        assert_eq!(hex_minimal(&parts.u), s("u_hex"), "{case}: u");
        assert_eq!(hex_minimal(&parts.s), s("s_hex"), "{case}: S");
        assert_eq!(hex_bytes(&parts.key[..]), s("hkdf_hex"), "{case}: HKDF key");
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(parts.signature),
            s("signature_b64"),
            "{case}: signature"
        );
        count += 1;
    }
    assert_eq!(count, 20, "every vector line must be read");
}
