//! The hashes of the protocol: k, u, x, the HKDF key and the HMAC signature.

use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::encoding::SignedInt;
use crate::field::{self, Fe};

type HmacSha256 = Hmac<Sha256>;

/// SHA-256 block size, the HMAC key block.
const BLOCK: usize = 64;

/// SHA-256 over the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// HMAC-SHA256(key, parts...).
///
/// The key is first brought to one block exactly as RFC 2104 says (hashed if longer than a
/// block, zero-padded), so that the infallible fixed-size constructor applies; the result
/// is identical to `new_from_slice(key)`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        let mut digest = sha256(&[key]);
        block[..32].copy_from_slice(&digest);
        digest.zeroize();
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut mac = HmacSha256::new(&(*block).into());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// `HKDF-SHA256(salt, ikm, info = "Caldera Derived Key", L = 16)`.
pub(crate) fn hkdf_key(salt: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 16]> {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut key = Zeroizing::new([0u8; 16]);
    // HKDF-SHA256 can produce up to 255 * 32 bytes; 16 is a constant well inside that, so
    // this cannot fail.
    hk.expand(b"Caldera Derived Key", &mut key[..])
        .expect("HKDF-SHA256 output of 16 bytes is always valid");
    key
}

/// k = H(PAD(N) || PAD(g)).
pub(crate) fn k() -> &'static [u8; 32] {
    static K: OnceLock<[u8; 32]> = OnceLock::new();
    K.get_or_init(|| {
        let n = SignedInt::from_unsigned_be(&field::fe_to_be_bytes(&field::N));
        sha256(&[&n.pad(), &[2u8]])
    })
}

/// k as a field element in Montgomery form.
pub(crate) fn k_mont() -> &'static Fe {
    static KM: OnceLock<Fe> = OnceLock::new();
    KM.get_or_init(|| {
        // k < 2^256 < N, so this cannot fail.
        let k = field::fe_from_be_bytes(k()).unwrap_or([0; field::LIMBS]);
        field::to_mont(&k)
    })
}

/// u = H(PAD(A) || PAD(B)).
pub(crate) fn compute_u(a: &SignedInt, b: &SignedInt) -> [u8; 32] {
    sha256(&[&a.pad(), &b.pad()])
}

/// x = H(PAD(salt) || H(poolName || userId || ":" || password)).
pub(crate) fn compute_x(
    salt: &SignedInt,
    pool_name: &str,
    user_id_for_srp: &str,
    password: &str,
) -> Zeroizing<[u8; 32]> {
    let mut inner = sha256(&[
        pool_name.as_bytes(),
        user_id_for_srp.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    let x = Zeroizing::new(sha256(&[&salt.pad(), &inner]));
    inner.zeroize();
    x
}

/// The PASSWORD_CLAIM_SIGNATURE bytes:
/// HMAC(key, poolName || userId || secretBlock || timestamp).
pub(crate) fn claim_signature(
    key: &[u8],
    pool_name: &str,
    user_id_for_srp: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> [u8; 32] {
    hmac_sha256(
        key,
        &[
            pool_name.as_bytes(),
            user_id_for_srp.as_bytes(),
            secret_block,
            timestamp.as_bytes(),
        ],
    )
}

/// Big-endian 32-byte hash to 4 little-endian limbs.
pub(crate) fn hash_to_limbs(h: &[u8; 32]) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, limb) in out.iter_mut().enumerate() {
        let at = 32 - 8 * (i + 1);
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[at..at + 8]);
        *limb = u64::from_be_bytes(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hex_bytes;

    #[test]
    fn k_constant() {
        assert_eq!(
            hex_bytes(k()),
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
    }

    #[test]
    fn hmac_matches_the_hmac_crate_for_all_key_lengths() {
        for len in [0usize, 1, 16, 32, 63, 64, 65, 100, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
            let mut reference = <HmacSha256 as KeyInit>::new_from_slice(&key).unwrap();
            reference.update(b"hello ");
            reference.update(b"world");
            let expect: [u8; 32] = reference.finalize().into_bytes().into();
            assert_eq!(hmac_sha256(&key, &[b"hello ", b"world"]), expect, "{len}");
        }
    }

    #[test]
    fn hkdf_is_two_hmacs() {
        // RFC 5869 with L <= 32: PRK = HMAC(salt, ikm), T(1) = HMAC(PRK, info || 0x01).
        let salt = [7u8; 31];
        let ikm = [9u8; 385];
        let prk = hmac_sha256(&salt, &[&ikm]);
        let t1 = hmac_sha256(&prk, &[b"Caldera Derived Key", &[1u8]]);
        assert_eq!(*hkdf_key(&salt, &ikm), t1[..16]);
    }

    #[test]
    fn rfc4231_case_2() {
        // HMAC-SHA256 test case 2 of RFC 4231.
        assert_eq!(
            hex_bytes(&hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
