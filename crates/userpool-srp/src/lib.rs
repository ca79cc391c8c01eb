//! Amazon Cognito's SRP-6a (`USER_SRP_AUTH` / `PASSWORD_VERIFIER`), client and server
//! side, byte-exact with the JavaScript reference client (amazon-cognito-identity-js).
//!
//! Pure computation: no IO, no clock (callers pass the time), no async.
//!
//! # The protocol in brief
//!
//! Group: the 3072-bit prime N of RFC 3526 / RFC 5054, g = 2, H = SHA-256. Every integer
//! that is hashed is first encoded like Java's `BigInteger.toByteArray()` ("PAD": minimal
//! big-endian two's complement, so a value whose top bit is set gets a `00` sign byte and
//! lengths vary).
//!
//! 1. `k = H(PAD(N) || PAD(g))`, a constant.
//! 2. The client draws 128 random bytes `a` and sends `SRP_A = g^a mod N` as lowercase hex
//!    ([`SrpClient::new`], [`SrpClient::srp_a_hex`]).
//! 3. The server (which stored `salt` and the verifier `v = g^x mod N` at sign-up, see
//!    [`make_verifier`]) draws `b`, answers `SRP_B = k·v + g^b mod N`, `SALT` and an
//!    opaque `SECRET_BLOCK` ([`SrpServer`]).
//! 4. Both sides compute `u = H(PAD(A) || PAD(B))` and
//!    `x = H(PAD(salt) || H(poolName || USER_ID_FOR_SRP || ":" || password))`.
//!    The client computes `S = (B − k·g^x)^(a + u·x) mod N`, the server
//!    `S = (A·v^u)^b mod N`; both are the same number.
//! 5. `key = HKDF-SHA256(salt = PAD(u), ikm = PAD(S), info = "Caldera Derived Key", 16)`.
//! 6. `PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(key, poolName || USER_ID_FOR_SRP ||
//!    SECRET_BLOCK bytes || TIMESTAMP))` ([`SrpClient::password_claim`]), which the server
//!    recomputes and compares in constant time ([`SrpServer::verify`]).
//!
//! `TIMESTAMP` is `EEE MMM d HH:mm:ss UTC yyyy` with the day of the month *not*
//! zero-padded ([`timestamp`], [`parse_timestamp`]). App clients with a secret also send
//! `SECRET_HASH` ([`secret_hash`]).
//!
//! [`SrpSignIn`] is the whole client side of one sign-in (SRP_A, then the four
//! `PASSWORD_VERIFIER` responses from the challenge parameters) for code that sends the two
//! calls itself. [`calendar`] is the workspace's one UTC calendar, which the TIMESTAMP,
//! SigV4's `X-Amz-Date` and readable times share.
//!
//! Remembered devices (`ConfirmDevice`, `DEVICE_SRP_AUTH` → `DEVICE_PASSWORD_VERIFIER`)
//! run the same SRP with the device's keys and random password: [`DeviceRegistration`],
//! [`DeviceSrpClient`] and [`DeviceSrpServer`].
//!
//! # Example: a client and a server
//!
//! ```
//! use std::time::SystemTime;
//! use userpool_srp::{
//!     decode_secret_block, make_verifier, pool_name, timestamp, PasswordClaimRequest,
//!     SrpClient, SrpServer, VerifyRequest,
//! };
//!
//! # fn main() -> Result<(), userpool_srp::SrpError> {
//! let pool = pool_name("us-east-1_AbCdEfGhI")?; // "AbCdEfGhI"
//! let user_id = "62eb39c2-3ac8-4e26-b10c-3e76b6e6dfec"; // USER_ID_FOR_SRP (the sub)
//!
//! // Sign-up, on the server: keep the salt and the verifier, never the password.
//! let stored = make_verifier(pool, user_id, "Passw0rd!");
//!
//! // InitiateAuth(USER_SRP_AUTH): the client sends SRP_A ...
//! let client = SrpClient::new()?;
//! // ... and the server answers with SALT, SRP_B and a SECRET_BLOCK.
//! let server = SrpServer::new(&stored)?;
//! let secret_block_b64 = "c2VydmVyLXNpZGUgYXR0ZW1wdCBzdGF0ZQ==";
//!
//! // RespondToAuthChallenge(PASSWORD_VERIFIER): the client proves it knows the password.
//! let ts = timestamp(SystemTime::now());
//! let signature = client.password_claim(&PasswordClaimRequest {
//!     pool_name: pool,
//!     user_id_for_srp: user_id,
//!     password: "Passw0rd!",
//!     salt_hex: &server.salt_hex(),
//!     srp_b_hex: server.srp_b_hex(),
//!     secret_block_b64,
//!     timestamp: &ts,
//! })?;
//! assert_eq!(signature.len(), 44);
//!
//! // The server checks the claim.
//! let accepted = server.verify(&VerifyRequest {
//!     pool_name: pool,
//!     user_id_for_srp: user_id,
//!     srp_a_hex: client.srp_a_hex(),
//!     secret_block: &decode_secret_block(secret_block_b64)?,
//!     timestamp: &ts,
//!     signature_b64: &signature,
//! })?;
//! assert!(accepted);
//! # Ok(())
//! # }
//! ```
//!
//! # Security notes
//!
//! - The private exponents `a` and `b`, and everything derived from the password, are
//!   wiped on drop (`zeroize`) and never printed: the `Debug` output of [`SrpClient`],
//!   [`SrpServer`], [`PasswordClaimRequest`] and [`PasswordVerifier`] is redacted.
//! - Modular exponentiations, table look-ups and the signature comparison are constant
//!   time in secret values. Only public sizes (exponent bit bounds, input lengths) shape
//!   the running time.
//! - Untrusted integers are bounded ([`MAX_HEX_DIGITS`]) and checked: `B ≡ 0 (mod N)`,
//!   `A ≡ 0 (mod N)` and `u = 0` are rejected with [`SrpError::IllegalParameter`].
//! - [`SrpServer::verify`] accepts only a canonical TIMESTAMP but does not read a clock;
//!   a server should also bound the clock difference with [`timestamp_is_fresh`].
//!
//! # Performance
//!
//! The cost is three (client) or three-and-a-bit (server) 3072-bit exponentiations.
//! Montgomery arithmetic is specialised for N; `g^e` uses cheap modular doublings for
//! g = 2, and `g^x` (256-bit x) a fixed-base table of 360 KiB that is built once per
//! process, on the second use or by [`precompute`] (about 3 ms). See `bench/benches/srp.rs` in the workspace.

#![warn(missing_docs)]

pub mod calendar;
mod client;
mod device;
mod encoding;
mod field;
mod hash;
mod server;
mod sign_in;
mod time;

#[cfg(test)]
mod kat_tests;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub use client::{PasswordClaimRequest, SERVER_KEY_BYTES, SrpClient};
pub use device::{
    DEVICE_PASSWORD_BYTES, DEVICE_SALT_BYTES, DevicePassword, DevicePasswordClaimRequest,
    DeviceRegistration, DeviceSecretVerifierConfig, DeviceSrpClient, DeviceSrpServer,
    DeviceVerifyRequest, device_verifier_config,
};
pub use encoding::MAX_HEX_DIGITS;
pub use server::{
    PasswordVerifier, SrpServer, VerifyRequest, check_password, make_verifier,
    make_verifier_with_salt, try_make_verifier,
};
pub use sign_in::{DeviceSrpSignIn, PasswordVerifierAnswer, SrpSignIn};
pub use time::{parse_timestamp, timestamp, timestamp_from_unix, timestamp_is_fresh};

/// What went wrong. Each variant names what the caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SrpError {
    /// The user pool id is not `<region>_<name>`.
    #[error("invalid user pool id (expected <region>_<name>)")]
    InvalidPoolId,
    /// A hex integer field is empty or has a character that is not a hex digit.
    #[error("{field} is not a hex integer")]
    InvalidHex {
        /// The protocol field (`SALT`, `SRP_B`, `SRP_A`, ...).
        field: &'static str,
    },
    /// A base64 field could not be decoded.
    #[error("{field} is not valid base64")]
    InvalidBase64 {
        /// The protocol field.
        field: &'static str,
    },
    /// A value that SRP forbids: `B ≡ 0 (mod N)`, `A ≡ 0 (mod N)`, `u = 0`, a negative
    /// `SRP_A`/`SRP_B`, a zero private key, a verifier not below N.
    #[error("illegal SRP parameter: {what}")]
    IllegalParameter {
        /// What was wrong.
        what: &'static str,
    },
    /// A value is longer than this implementation accepts (see [`MAX_HEX_DIGITS`]).
    #[error("{field} is too large")]
    ValueTooLarge {
        /// The protocol field.
        field: &'static str,
    },
    /// A challenge parameter the answer needs is missing.
    #[error("the challenge has no {field}")]
    MissingParameter {
        /// The parameter (`SALT`, `SRP_B`, `SECRET_BLOCK`, `USER_ID_FOR_SRP`).
        field: &'static str,
    },
    /// The TIMESTAMP is not in the canonical `EEE MMM d HH:mm:ss UTC yyyy` form.
    #[error("TIMESTAMP is not in the form \"EEE MMM d HH:mm:ss UTC yyyy\"")]
    InvalidTimestamp,
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {reason}")]
    RandomUnavailable {
        /// The generator's own description of the failure.
        reason: String,
    },
}

/// Builds the one-time fixed-base table for `g^x` now (about 3 ms, 360 KiB).
///
/// Optional: without this call the table is built the second time a process needs `g^x`
/// (a second sign-in, a second verifier), so a process that signs in once never pays for
/// it. A server may call this at start-up to keep the cost out of its first requests.
pub fn precompute() {
    field::precompute();
}

/// Fills `buf` from the operating system's generator.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), SrpError> {
    getrandom::fill(buf).map_err(|e| SrpError::RandomUnavailable {
        reason: e.to_string(),
    })
}

/// The pool name that SRP hashes: the part of a user pool id after `_`
/// (`us-east-1_AbC` → `AbC`).
///
/// The id must be a region (lowercase ASCII letters, digits and `-`), one `_`, and a
/// non-empty name of ASCII letters and digits.
pub fn pool_name(user_pool_id: &str) -> Result<&str, SrpError> {
    let (region, name) = user_pool_id
        .split_once('_')
        .ok_or(SrpError::InvalidPoolId)?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric());
    if region_ok && name_ok {
        Ok(name)
    } else {
        Err(SrpError::InvalidPoolId)
    }
}

/// `SECRET_HASH` for app clients with a secret:
/// `base64(HMAC-SHA256(client_secret, username || client_id))`.
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    let mac = hash::hmac_sha256(
        client_secret.as_bytes(),
        &[username.as_bytes(), client_id.as_bytes()],
    );
    STANDARD.encode(mac)
}

/// Lenient base64 for SECRET_BLOCK: the standard alphabet (`+/`) or the URL-safe one
/// (`-_`), with or without `=` padding, trailing bits ignored. Anything else is
/// [`SrpError::InvalidBase64`]. Cognito sends standard base64; other servers have been
/// seen sending, for instance, a UUID.
pub fn decode_secret_block(b64: &str) -> Result<Vec<u8>, SrpError> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let err = SrpError::InvalidBase64 {
        field: "SECRET_BLOCK",
    };
    let has_std = b64.bytes().any(|c| c == b'+' || c == b'/');
    let has_url = b64.bytes().any(|c| c == b'-' || c == b'_');
    if has_std && has_url {
        return Err(err);
    }
    if has_url {
        let mapped: String = b64
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                other => other,
            })
            .collect();
        LENIENT.decode(mapped).map_err(|_| err)
    } else {
        LENIENT.decode(b64).map_err(|_| err)
    }
}

/// Rejects `u = 0` (RFC 5054 §2.6; the JavaScript client throws "U cannot be zero.").
///
/// `u` is a SHA-256 output, so a zero `u` would need a preimage of zero: no test can
/// construct one through the protocol, which is why this check is a separate function
/// with its own unit test.
pub(crate) fn check_u(u: &[u8; 32]) -> Result<(), SrpError> {
    let acc = u.iter().fold(0u8, |acc, &b| acc | b);
    if acc == 0 {
        Err(SrpError::IllegalParameter { what: "u is zero" })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_names() {
        assert_eq!(pool_name("us-east-1_AbC"), Ok("AbC"));
        assert_eq!(pool_name("eu-central-1_x"), Ok("x"));
        for bad in [
            "",
            "_",
            "us-east-1",
            "us-east-1_",
            "_abc",
            "US_abc",
            "us-east-1_a-b",
            "us-east-1_a_b",
            "us east_1",
            "us-east-1_ä",
        ] {
            assert_eq!(pool_name(bad), Err(SrpError::InvalidPoolId), "{bad:?}");
        }
    }

    #[test]
    fn secret_hash_known_answer() {
        // HMAC-SHA256(key = "secret", "alice" || "client123"), computed independently with
        // Python's hmac module.
        assert_eq!(
            secret_hash("secret", "alice", "client123"),
            "oKHO337pkuh1r3zUNCZ1oCL3YgM0Yi2nkcAZsKQTIH8="
        );
    }

    #[test]
    fn secret_block_decoding_is_lenient_but_not_careless() {
        assert_eq!(decode_secret_block("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_secret_block("aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_secret_block("").unwrap(), b"");
        assert_eq!(decode_secret_block("-_8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_secret_block("+/8=").unwrap(), vec![0xfb, 0xff]);
        // trailing bits set (a canonical encoder would write aGVsbG8=)
        assert_eq!(decode_secret_block("aGVsbG9").unwrap(), b"hello");
        let uuid = "62eb39c2-3ac8-4e26-b10c-3e76b6e6dfec";
        assert_eq!(decode_secret_block(uuid).unwrap().len(), 27);
        for bad in ["a", "aGVs*G8=", "aGVsbG8=a", "a=b=", "+-", "aGVs bG8=", "é"] {
            assert!(
                matches!(
                    decode_secret_block(bad),
                    Err(SrpError::InvalidBase64 { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn u_zero_is_rejected() {
        assert_eq!(
            check_u(&[0u8; 32]),
            Err(SrpError::IllegalParameter { what: "u is zero" })
        );
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(check_u(&one), Ok(()));
        let mut high = [0u8; 32];
        high[0] = 0x80;
        assert_eq!(check_u(&high), Ok(()));
    }
}
