//! The server side: verifiers, SRP_B and the check of PASSWORD_CLAIM_SIGNATURE.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::client::{PrivateExp, SERVER_KEY_BYTES};
use crate::encoding::{
    SignedInt, hex_minimal, pad_unsigned_secret, parse_signed_hex, parse_unsigned_hex,
};
use crate::field::{self, Fe};
use crate::hash;
use crate::{SrpError, check_u, parse_timestamp};

/// Bytes of a fresh salt.
const SALT_BYTES: usize = 16;

/// What a user pool stores for a password: the salt and the verifier `v = g^x mod N`.
///
/// `salt` is read as a non-negative big-endian integer, as the client will read the SALT
/// hex that [`PasswordVerifier::salt_hex`] produces: a leading `00` byte vanishes, a top
/// bit set means a `00` sign byte in PAD(salt). `Debug` shows the salt but not the
/// verifier (which allows an offline password search).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordVerifier {
    /// The salt bytes (16 random bytes from [`make_verifier`]).
    pub salt: Vec<u8>,
    /// The verifier v, big-endian.
    pub verifier: Vec<u8>,
}

impl fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordVerifier")
            .field("salt", &self.salt_hex())
            .field("verifier", &format_args!("[redacted]"))
            .finish()
    }
}

impl PasswordVerifier {
    /// The salt as a challenge sends it: Java `BigInteger.toString(16)` of the
    /// (non-negative) salt, lowercase without leading zeros.
    pub fn salt_hex(&self) -> String {
        hex_minimal(&self.salt)
    }

    /// The verifier as lowercase hex without leading zeros.
    pub fn verifier_hex(&self) -> String {
        hex_minimal(&self.verifier)
    }

    /// Reads a stored salt and verifier from hex (non-negative, either case, odd length
    /// allowed). The verifier must be in `1..N`.
    pub fn from_hex(salt_hex: &str, verifier_hex: &str) -> Result<PasswordVerifier, SrpError> {
        let salt = parse_unsigned_hex(salt_hex, "salt")?;
        let verifier = parse_unsigned_hex(verifier_hex, "verifier")?;
        let pv = PasswordVerifier { salt, verifier };
        pv.verifier_fe()?;
        Ok(pv)
    }

    /// The verifier as a field element, checked to be in `1..N`.
    fn verifier_fe(&self) -> Result<Zeroizing<Fe>, SrpError> {
        let v = Zeroizing::new(
            field::fe_from_be_bytes(&self.verifier)
                .ok_or(SrpError::ValueTooLarge { field: "verifier" })?,
        );
        if !field::is_below_n(&v) {
            return Err(SrpError::IllegalParameter {
                what: "verifier is not below N",
            });
        }
        if field::is_zero(&v) {
            return Err(SrpError::IllegalParameter {
                what: "verifier is zero",
            });
        }
        Ok(v)
    }
}

/// `g^x mod N` (plain, not Montgomery) for a salt and password.
fn verifier_for(
    salt: &[u8],
    pool_name: &str,
    user_id_for_srp: &str,
    password: &str,
) -> Zeroizing<Fe> {
    let salt = SignedInt::from_unsigned_be(salt);
    let x = hash::compute_x(&salt, pool_name, user_id_for_srp, password);
    let x_limbs = Zeroizing::new(hash::hash_to_limbs(&x));
    let gx = Zeroizing::new(field::pow_g(&x_limbs[..], 256));
    Zeroizing::new(field::from_mont(&gx))
}

/// Makes the stored form of a password: a random 16-byte salt and `v = g^x mod N`.
///
/// # Panics
///
/// If the operating system's random number generator fails (see
/// [`try_make_verifier`] for a version that returns the error).
pub fn make_verifier(pool_name: &str, user_id_for_srp: &str, password: &str) -> PasswordVerifier {
    match try_make_verifier(pool_name, user_id_for_srp, password) {
        Ok(v) => v,
        Err(e) => panic!("cannot make a password verifier: {e}"),
    }
}

/// [`make_verifier`] that reports a failure of the random number generator.
pub fn try_make_verifier(
    pool_name: &str,
    user_id_for_srp: &str,
    password: &str,
) -> Result<PasswordVerifier, SrpError> {
    let mut salt = vec![0u8; SALT_BYTES];
    crate::random_bytes(&mut salt)?;
    Ok(make_verifier_with_salt(
        &salt,
        pool_name,
        user_id_for_srp,
        password,
    ))
}

/// [`make_verifier`] with a given salt (for tests and imports).
pub fn make_verifier_with_salt(
    salt: &[u8],
    pool_name: &str,
    user_id_for_srp: &str,
    password: &str,
) -> PasswordVerifier {
    let v = verifier_for(salt, pool_name, user_id_for_srp, password);
    PasswordVerifier {
        salt: salt.to_vec(),
        verifier: field::fe_to_minimal_be(&v),
    }
}

/// Checks a password against a stored verifier (for USER_PASSWORD_AUTH): recomputes
/// `g^x` and compares in constant time. A malformed stored verifier never matches.
pub fn check_password(
    pool_name: &str,
    user_id_for_srp: &str,
    password: &str,
    v: &PasswordVerifier,
) -> bool {
    let Ok(stored) = v.verifier_fe() else {
        return false;
    };
    let computed = verifier_for(&v.salt, pool_name, user_id_for_srp, password);
    bool::from(field::ct_eq(&computed, &stored))
}

/// What the server needs to check a PASSWORD_VERIFIER answer.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// The pool name (the part of the user pool id after `_`).
    pub pool_name: &'a str,
    /// USER_ID_FOR_SRP that the challenge sent (the answer's USERNAME).
    pub user_id_for_srp: &'a str,
    /// SRP_A from InitiateAuth (hex).
    pub srp_a_hex: &'a str,
    /// The SECRET_BLOCK bytes this server issued for the attempt (decoded).
    pub secret_block: &'a [u8],
    /// TIMESTAMP from the answer; must be canonical.
    pub timestamp: &'a str,
    /// PASSWORD_CLAIM_SIGNATURE from the answer (standard base64).
    pub signature_b64: &'a str,
}

/// The server of one sign-in attempt: holds the private `b` (wiped on drop, never printed),
/// the verifier and SRP_B.
pub struct SrpServer {
    b: PrivateExp,
    /// v in Montgomery form.
    v_mont: Zeroizing<Fe>,
    big_b: SignedInt,
    b_hex: String,
    salt: Vec<u8>,
}

impl fmt::Debug for SrpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.b_hex.get(..16).unwrap_or(&self.b_hex);
        f.debug_struct("SrpServer")
            .field("srp_b", &format_args!("{shown}…"))
            .field("salt", &self.salt_hex())
            .field("b", &format_args!("[redacted]"))
            .field("verifier", &format_args!("[redacted]"))
            .finish()
    }
}

impl SrpServer {
    /// Starts an attempt with a fresh random 256-bit `b`: `B = (k·v + g^b) mod N`. The
    /// client's `a` is 1024 bits, as the reference client draws it; the server's may be
    /// short: twice the group's 128-bit strength, as NIST SP 800-56A sets for this group
    /// ([`SERVER_KEY_BYTES`](crate::SERVER_KEY_BYTES) says why).
    pub fn new(v: &PasswordVerifier) -> Result<SrpServer, SrpError> {
        Self::from_exp(v, PrivateExp::random(SERVER_KEY_BYTES, "b")?)
    }

    /// Starts an attempt with a given private `b` (big-endian, 1 to 384 bytes, not zero),
    /// for known-answer tests.
    pub fn with_private_key(v: &PasswordVerifier, b: &[u8]) -> Result<SrpServer, SrpError> {
        Self::from_exp(v, PrivateExp::from_be(b, "b")?)
    }

    fn from_exp(v: &PasswordVerifier, b: PrivateExp) -> Result<SrpServer, SrpError> {
        let v_fe = v.verifier_fe()?;
        let v_mont = Zeroizing::new(field::to_mont(&v_fe));
        let kv = Zeroizing::new(field::mul(hash::k_mont(), &v_mont));
        let gb = Zeroizing::new(field::pow_g(&b.limbs[..], b.bits));
        let big_b_fe = field::from_mont(&field::add(&kv, &gb));
        if field::is_zero(&big_b_fe) {
            return Err(SrpError::IllegalParameter {
                what: "B mod N is zero",
            });
        }
        let big_b = SignedInt::from_unsigned_be(&field::fe_to_minimal_be(&big_b_fe));
        let b_hex = big_b.to_hex();
        Ok(SrpServer {
            b,
            v_mont,
            big_b,
            b_hex,
            salt: v.salt.clone(),
        })
    }

    /// SRP_B as sent: lowercase hex without leading zeros, like Java
    /// `BigInteger.toString(16)`.
    pub fn srp_b_hex(&self) -> &str {
        &self.b_hex
    }

    /// SALT as sent: the `toString(16)` form of the (non-negative) salt, which a client
    /// parses back to the same integer.
    pub fn salt_hex(&self) -> String {
        hex_minimal(&self.salt)
    }

    /// Checks PASSWORD_CLAIM_SIGNATURE: `S = (A·v^u)^b mod N`, the same HKDF and HMAC as the
    /// client, and a constant-time comparison. `Ok(false)` means a wrong password (or a
    /// tampered message); errors mean malformed input.
    ///
    /// The TIMESTAMP must be canonical ([`SrpError::InvalidTimestamp`] otherwise); its
    /// distance from the server clock is for the caller to bound
    /// ([`crate::timestamp_is_fresh`]).
    pub fn verify(&self, req: &VerifyRequest<'_>) -> Result<bool, SrpError> {
        parse_timestamp(req.timestamp)?;
        let big_a = parse_signed_hex(req.srp_a_hex, "SRP_A")?;
        if big_a.negative {
            return Err(SrpError::IllegalParameter {
                what: "SRP_A is negative",
            });
        }
        let a_red = field::reduce_public(&big_a.magnitude)
            .ok_or(SrpError::ValueTooLarge { field: "SRP_A" })?;
        if field::is_zero(&a_red) {
            return Err(SrpError::IllegalParameter {
                what: "A mod N is zero",
            });
        }
        // a base64 SHA-256 HMAC is 44 characters; refuse to decode anything much longer
        let claimed = if req.signature_b64.len() <= 64 {
            STANDARD.decode(req.signature_b64).ok()
        } else {
            None
        }
        .ok_or(SrpError::InvalidBase64 {
            field: "PASSWORD_CLAIM_SIGNATURE",
        })?;
        let u = hash::compute_u(&big_a, &self.big_b);
        check_u(&u)?;
        let u_limbs = hash::hash_to_limbs(&u);

        let vu = Zeroizing::new(field::pow(&self.v_mont, &u_limbs, 256));
        let base = Zeroizing::new(field::mul(&field::to_mont(&a_red), &vu));
        let s_mont = Zeroizing::new(field::pow(&base, &self.b.limbs[..], self.b.bits));
        let s = Zeroizing::new(field::from_mont(&s_mont));
        let s_bytes = Zeroizing::new(field::fe_to_be_bytes(&s));
        let s_pad = pad_unsigned_secret(&s_bytes[..]);
        let u_pad = SignedInt::from_unsigned_be(&u).pad();
        let key = hash::hkdf_key(&u_pad, &s_pad);
        let expected = hash::claim_signature(
            &key[..],
            req.pool_name,
            req.user_id_for_srp,
            req.secret_block,
            req.timestamp,
        );
        if claimed.len() != expected.len() {
            return Ok(false);
        }
        Ok(bool::from(expected.ct_eq(&claimed[..])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server draws a 256-bit `b` (the client 1024 bits), and a fresh attempt still
    /// answers a real client: the round trips in `tests/api.rs` and the device tests run
    /// on fresh servers too.
    #[test]
    fn a_fresh_server_exponent_is_256_bits_and_random() {
        let v = crate::make_verifier("us-east-1_AbCdEfGhI", "alice", "Corr3ct-Horse");
        let one = SrpServer::new(&v).unwrap();
        let two = SrpServer::new(&v).unwrap();
        assert_eq!(one.b.bits, 256);
        assert!(one.b.limbs[4..].iter().all(|&l| l == 0));
        assert_ne!(*one.b.limbs, *two.b.limbs);
        assert_ne!(one.srp_b_hex(), two.srp_b_hex());
    }

    #[test]
    fn verifier_hex_forms() {
        let pv = PasswordVerifier {
            salt: vec![0, 0x0a, 0xbc],
            verifier: vec![0, 1, 2],
        };
        assert_eq!(pv.salt_hex(), "abc");
        assert_eq!(pv.verifier_hex(), "102");
        let back = PasswordVerifier::from_hex("ABC", "0102").unwrap();
        assert_eq!(back.salt, vec![0x0a, 0xbc]);
        assert_eq!(back.verifier, vec![1, 2]);
        assert!(matches!(
            PasswordVerifier::from_hex("-1", "2"),
            Err(SrpError::InvalidHex { .. })
        ));
        assert!(matches!(
            PasswordVerifier::from_hex("1", "0"),
            Err(SrpError::IllegalParameter { .. })
        ));
        let n_hex = crate::field::N_HEX;
        assert!(matches!(
            PasswordVerifier::from_hex("1", n_hex),
            Err(SrpError::IllegalParameter { .. })
        ));
        assert!(matches!(
            PasswordVerifier::from_hex("1", &format!("1{n_hex}")),
            Err(SrpError::ValueTooLarge { .. })
        ));
    }

    #[test]
    fn malformed_stored_verifiers() {
        let mut pv = make_verifier_with_salt(&[1; 16], "p", "u", "pw");
        assert!(check_password("p", "u", "pw", &pv));
        pv.verifier = vec![0xff; 385];
        assert!(!check_password("p", "u", "pw", &pv));
        assert!(SrpServer::new(&pv).is_err());
        pv.verifier = vec![];
        assert!(!check_password("p", "u", "pw", &pv));
        assert!(matches!(
            SrpServer::new(&pv),
            Err(SrpError::IllegalParameter { .. })
        ));
    }
}
