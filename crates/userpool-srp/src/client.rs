//! The client side: SRP_A and PASSWORD_CLAIM_SIGNATURE.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_bigint::{U256, U512};
use zeroize::{Zeroize, Zeroizing};

use crate::encoding::{SignedInt, pad_unsigned_secret, parse_signed_hex};
use crate::field::{self, Fe};
use crate::hash;
use crate::{SrpError, check_u, decode_secret_block};

/// Limbs of a private exponent (a or b, at most 384 bytes) and of `a + u·x` (one bit
/// more).
pub(crate) const EXP_LIMBS: usize = field::LIMBS + 1;

/// Bytes of a freshly drawn client exponent `a`, as the JavaScript client draws them.
pub(crate) const PRIVATE_KEY_BYTES: usize = 128;

/// Bytes of a freshly drawn server exponent `b`: 256 bits. The group is RFC 3526's 3072-bit
/// MODP group, of 128-bit strength (NIST SP 800-57 Part 1, Table 2, for 3072-bit
/// finite-field groups). NIST SP 800-56A Rev. 3 §5.6.1.1.4, which approves this very
/// group (Appendix D, "MODP-3072"), sets the private key of a safe-prime group to at least
/// `2s` bits for strength `s`: 256 bits here. The best attack on a short exponent
/// (Pollard's kangaroo, or baby-step giant-step) costs about `2^(bits/2)`, so a 256-bit
/// `b` keeps the discrete logarithm of `g^b` at the group's 128 bits. (RFC 3526 §8 and
/// RFC 7919 §5.2 arrive at 260–275 bits from slightly higher estimates of the group's
/// strength; NIST's rule is the one the validated implementations follow.) Only the
/// server's exponent is short: `a` stays 128 bytes, as the reference client draws it and
/// the known-answer vectors use it. Both of the server's exponentiations (`g^b` for
/// SRP_B, `(A·v^u)^b` for S) are about four times cheaper than with 1024 bits.
pub const SERVER_KEY_BYTES: usize = 32;

/// A private exponent: limbs plus a public bit bound (8 × its byte length).
pub(crate) struct PrivateExp {
    pub(crate) limbs: Zeroizing<[u64; EXP_LIMBS]>,
    pub(crate) bits: u32,
}

impl PrivateExp {
    /// Reads a big-endian private key of 1..=384 bytes; zero is refused.
    pub(crate) fn from_be(bytes: &[u8], field: &'static str) -> Result<Self, SrpError> {
        if bytes.is_empty() {
            return Err(SrpError::IllegalParameter {
                what: "private key is empty",
            });
        }
        if bytes.len() > field::BYTES {
            return Err(SrpError::ValueTooLarge { field });
        }
        let limbs = Zeroizing::new(
            field::limbs_from_be::<EXP_LIMBS>(bytes).ok_or(SrpError::ValueTooLarge { field })?,
        );
        if limbs.iter().fold(0u64, |acc, &l| acc | l) == 0 {
            return Err(SrpError::IllegalParameter {
                what: "private key is zero",
            });
        }
        Ok(PrivateExp {
            limbs,
            bits: 8 * bytes.len() as u32,
        })
    }

    /// Draws a fresh private key of `len` bytes (at most 384).
    pub(crate) fn random(len: usize, name: &'static str) -> Result<Self, SrpError> {
        let mut buf = Zeroizing::new([0u8; field::BYTES]);
        let bytes = buf
            .get_mut(..len)
            .ok_or(SrpError::ValueTooLarge { field: name })?;
        loop {
            crate::random_bytes(&mut bytes[..])?;
            match Self::from_be(&bytes[..], name) {
                // a zero key (probability 2^-(8·len)) is drawn again
                Err(SrpError::IllegalParameter { .. }) => continue,
                other => return other,
            }
        }
    }
}

/// The client of one sign-in attempt: holds the private `a` (wiped on drop, never
/// printed) and the public `A` that goes out as SRP_A.
pub struct SrpClient {
    a: PrivateExp,
    /// A as a non-negative integer (for PAD(A) in u).
    big_a: SignedInt,
    /// SRP_A exactly as sent.
    a_hex: String,
}

impl fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.a_hex.get(..16).unwrap_or(&self.a_hex);
        f.debug_struct("SrpClient")
            .field("srp_a", &format_args!("{shown}…"))
            .field("a", &format_args!("[redacted]"))
            .finish()
    }
}

/// What PASSWORD_VERIFIER needs from the challenge, plus the password. `Debug` redacts the
/// password.
#[derive(Clone, Copy)]
pub struct PasswordClaimRequest<'a> {
    /// The pool name: the part of the user pool id after `_` (see [`crate::pool_name`]).
    pub pool_name: &'a str,
    /// USER_ID_FOR_SRP from the challenge parameters (not what the user typed).
    pub user_id_for_srp: &'a str,
    /// The password, UTF-8 exactly as typed (no normalisation).
    pub password: &'a str,
    /// SALT from the challenge (signed hex, any case, any length).
    pub salt_hex: &'a str,
    /// SRP_B from the challenge (hex).
    pub srp_b_hex: &'a str,
    /// SECRET_BLOCK from the challenge (base64, decoded leniently).
    pub secret_block_b64: &'a str,
    /// The TIMESTAMP that will be sent with the answer (see [`crate::timestamp`]). It is
    /// signed as given.
    pub timestamp: &'a str,
}

impl fmt::Debug for PasswordClaimRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordClaimRequest")
            .field("pool_name", &self.pool_name)
            .field("user_id_for_srp", &self.user_id_for_srp)
            .field("password", &format_args!("[redacted]"))
            .field("salt_hex", &self.salt_hex)
            .field("srp_b_hex", &self.srp_b_hex)
            .field("secret_block_b64", &self.secret_block_b64)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// The values of one claim computation, kept for tests of the intermediates.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the intermediates are read by the known-answer unit tests"
    )
)]
pub(crate) struct ClaimParts {
    pub(crate) u: [u8; 32],
    pub(crate) x: Zeroizing<[u8; 32]>,
    pub(crate) salt_pad: Vec<u8>,
    pub(crate) s: Zeroizing<Vec<u8>>,
    pub(crate) key: Zeroizing<[u8; 16]>,
    pub(crate) signature: [u8; 32],
}

/// `a + u·x` as little-endian limbs (constant time: fixed-length carry chain).
fn exponent(a: &[u64; EXP_LIMBS], u: &[u8; 32], x: &[u8; 32]) -> Zeroizing<[u64; EXP_LIMBS]> {
    let u = U256::from_be_slice(u);
    let mut x = U256::from_be_slice(x);
    let mut ux: U512 = u.concatenating_mul(&x);
    x.zeroize();
    let ux_bytes = Zeroizing::new(ux.to_be_bytes());
    ux.zeroize();
    let ux_limbs =
        Zeroizing::new(field::limbs_from_be::<8>(ux_bytes.as_ref()).unwrap_or([0u64; 8]));
    let mut e = Zeroizing::new([0u64; EXP_LIMBS]);
    let mut carry = false;
    for (i, (out, &ai)) in e.iter_mut().zip(a.iter()).enumerate() {
        let addend = ux_limbs.get(i).copied().unwrap_or(0);
        let (v, c) = ai.carrying_add(addend, carry);
        *out = v;
        carry = c;
    }
    // a < 2^3072 and u·x < 2^512: the sum fits in EXP_LIMBS limbs, no carry out.
    e
}

impl SrpClient {
    /// A client with a fresh random 128-byte `a` from the operating system.
    pub fn new() -> Result<SrpClient, SrpError> {
        Self::from_exp(PrivateExp::random(PRIVATE_KEY_BYTES, "a")?)
    }

    /// A client with a given private `a` (big-endian, 1 to 384 bytes, not zero), for
    /// known-answer tests. Real sign-ins use [`SrpClient::new`].
    pub fn with_private_key(a: &[u8]) -> Result<SrpClient, SrpError> {
        Self::from_exp(PrivateExp::from_be(a, "a")?)
    }

    fn from_exp(a: PrivateExp) -> Result<SrpClient, SrpError> {
        let big_a_fe = Zeroizing::new(field::from_mont(&field::pow_g(&a.limbs[..], a.bits)));
        if field::is_zero(&big_a_fe) {
            // g^a is never 0 mod a prime; kept as the protocol demands the check.
            return Err(SrpError::IllegalParameter {
                what: "A mod N is zero",
            });
        }
        let big_a = SignedInt::from_unsigned_be(&field::fe_to_minimal_be(&big_a_fe));
        let a_hex = big_a.to_hex();
        Ok(SrpClient { a, big_a, a_hex })
    }

    /// SRP_A as sent: lowercase hex, no leading zeros (so possibly of odd length).
    pub fn srp_a_hex(&self) -> &str {
        &self.a_hex
    }

    /// PASSWORD_CLAIM_SIGNATURE for the challenge: standard base64 with padding, 44
    /// characters.
    ///
    /// Errors: [`SrpError::InvalidHex`] / [`SrpError::ValueTooLarge`] for a malformed
    /// SALT or SRP_B, [`SrpError::InvalidBase64`] for SECRET_BLOCK,
    /// [`SrpError::IllegalParameter`] for a negative SRP_B, `B ≡ 0 (mod N)` or `u = 0`.
    pub fn password_claim(&self, req: &PasswordClaimRequest<'_>) -> Result<String, SrpError> {
        let parts = self.claim_parts(req)?;
        Ok(STANDARD.encode(parts.signature))
    }

    pub(crate) fn claim_parts(
        &self,
        req: &PasswordClaimRequest<'_>,
    ) -> Result<ClaimParts, SrpError> {
        let salt = parse_signed_hex(req.salt_hex, "SALT")?;
        let big_b = parse_signed_hex(req.srp_b_hex, "SRP_B")?;
        if big_b.negative {
            return Err(SrpError::IllegalParameter {
                what: "SRP_B is negative",
            });
        }
        let secret_block = decode_secret_block(req.secret_block_b64)?;
        let b_red = field::reduce_public(&big_b.magnitude)
            .ok_or(SrpError::ValueTooLarge { field: "SRP_B" })?;
        if field::is_zero(&b_red) {
            return Err(SrpError::IllegalParameter {
                what: "B mod N is zero",
            });
        }
        let u = hash::compute_u(&self.big_a, &big_b);
        check_u(&u)?;

        let x = hash::compute_x(&salt, req.pool_name, req.user_id_for_srp, req.password);
        let x_limbs = Zeroizing::new(hash::hash_to_limbs(&x));
        // base = B − k·g^x (mod N), in Montgomery form
        let gx = Zeroizing::new(field::pow_g(&x_limbs[..], 256));
        let kgx = Zeroizing::new(field::mul(hash::k_mont(), &gx));
        let base = Zeroizing::new(field::sub(&field::to_mont(&b_red), &kgx));
        // S = base^(a + u·x), the exponent not reduced
        let e = exponent(&self.a.limbs, &u, &x);
        let bits = self.a.bits.max(512) + 1;
        let s_mont = Zeroizing::new(field::pow(&base, &e[..], bits));
        let s: Zeroizing<Fe> = Zeroizing::new(field::from_mont(&s_mont));
        let s_bytes = Zeroizing::new(field::fe_to_be_bytes(&s));
        let s_pad = pad_unsigned_secret(&s_bytes[..]);
        let u_pad = SignedInt::from_unsigned_be(&u).pad();
        let key = hash::hkdf_key(&u_pad, &s_pad);
        let signature = hash::claim_signature(
            &key[..],
            req.pool_name,
            req.user_id_for_srp,
            &secret_block,
            req.timestamp,
        );
        Ok(ClaimParts {
            u,
            x,
            salt_pad: salt.pad(),
            s: s_pad,
            key,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_adds_without_reduction() {
        let mut a = [0u64; EXP_LIMBS];
        a[..4].copy_from_slice(&[u64::MAX; 4]);
        a[7] = u64::MAX;
        let mut u = [0u8; 32];
        u[31] = 2;
        let mut x = [0u8; 32];
        x[31] = 3;
        let e = exponent(&a, &u, &x);
        // (2^256 - 1) + 6 = 2^256 + 5
        assert_eq!(e[0], 5);
        assert_eq!(&e[1..4], &[0, 0, 0]);
        assert_eq!(e[4], 1);
        assert_eq!(e[7], u64::MAX);
        // the top limb of u·x reaches limb 7
        let e2 = exponent(&[0u64; EXP_LIMBS], &[0xff; 32], &[0xff; 32]);
        assert_eq!(e2[7], u64::MAX);
        assert_eq!(e2[0], 1);
    }

    #[test]
    fn private_keys_are_checked() {
        assert!(matches!(
            SrpClient::with_private_key(&[]),
            Err(SrpError::IllegalParameter { .. })
        ));
        assert!(matches!(
            SrpClient::with_private_key(&[0; 128]),
            Err(SrpError::IllegalParameter { .. })
        ));
        assert!(matches!(
            SrpClient::with_private_key(&[1; 385]),
            Err(SrpError::ValueTooLarge { .. })
        ));
        // a = 1: A = g = 2
        assert_eq!(SrpClient::with_private_key(&[1]).unwrap().srp_a_hex(), "2");
        assert_eq!(
            SrpClient::with_private_key(&[0, 0, 10])
                .unwrap()
                .srp_a_hex(),
            "400"
        );
        assert!(SrpClient::with_private_key(&[0xff; 384]).is_ok());
    }
}
