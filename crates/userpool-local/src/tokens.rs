//! Tokens: one 2048-bit RSA key per pool, RS256 JWTs with a `kid`, the JWKS, and the
//! checks an access token must pass (signature, expiry, `token_use`).

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, RsaPublicKeyComponents};
use rsa::PrivateKey;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};
use userpool_types::claims as claim;

use crate::error::ApiError;
use crate::util;

/// A pool's signing key. Debug never shows the private part.
///
/// The `rsa` crate generates the key and encodes it (PKCS#8 for storage, the JWK);
/// `ring` signs and verifies, several times faster.
pub(crate) struct PoolKey {
    private: PrivateKey,
    signer: RsaKeyPair,
    rng: SystemRandom,
    n: Vec<u8>,
    e: Vec<u8>,
    kid: String,
    jwk: Value,
}

impl fmt::Debug for PoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The operating system's random source, as the RNG the `rsa` crate asks for.
struct OsRng;

impl rsa::rand_core::TryRng for OsRng {
    type Error = getrandom::Error;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        getrandom::u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        getrandom::u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst)
    }
}

impl rsa::rand_core::TryCryptoRng for OsRng {}

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Malformed,
    BadSignature,
    Expired,
    WrongUse,
}

impl PoolKey {
    /// Generates a fresh 2048-bit key (slow: run it off the async threads).
    pub(crate) fn generate() -> Result<Self, ApiError> {
        let private = PrivateKey::new(&mut OsRng, 2048).map_err(ApiError::internal)?;
        Self::from_private(private)
    }

    /// Loads a key stored as PKCS#8 DER.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, ApiError> {
        let private = PrivateKey::from_pkcs8_der(der).map_err(ApiError::internal)?;
        Self::from_private(private)
    }

    /// The key as PKCS#8 DER, for storage.
    pub(crate) fn to_der(&self) -> Result<Vec<u8>, ApiError> {
        let doc = self.private.to_pkcs8_der().map_err(ApiError::internal)?;
        Ok(doc.as_bytes().to_vec())
    }

    fn from_private(private: PrivateKey) -> Result<Self, ApiError> {
        let public = private.to_public_key();
        let n = public.n().to_be_bytes_trimmed_vartime().to_vec();
        let e = public.e().to_be_bytes_trimmed_vartime().to_vec();
        let der = private.to_pkcs8_der().map_err(ApiError::internal)?;
        let signer = RsaKeyPair::from_pkcs8(der.as_bytes())
            .map_err(|e| ApiError::internal(format!("signing key rejected: {e}")))?;
        // Cognito's kids are base64 (standard alphabet) of a SHA-256: do the same over n||e.
        let mut material = n.to_vec();
        material.extend_from_slice(&e);
        let kid = util::b64(&util::sha256(&material));
        let jwk = json!({
            "alg": "RS256",
            "e": util::b64url(&e),
            "kid": kid,
            "kty": "RSA",
            "n": util::b64url(&n),
            "use": "sig",
        });
        Ok(Self {
            private,
            signer,
            rng: SystemRandom::new(),
            n,
            e,
            kid,
            jwk,
        })
    }

    /// The key's id, as in the JWT header and the JWKS.
    #[cfg(test)]
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub(crate) fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// Signs claims into a compact RS256 JWT.
    pub(crate) fn sign(&self, claims: &Value) -> Result<String, ApiError> {
        let header = json!({ "kid": self.kid, "alg": "RS256" });
        let mut token = util::b64url(header.to_string().as_bytes());
        token.push('.');
        token.push_str(&util::b64url(claims.to_string().as_bytes()));
        let mut sig = vec![0; self.signer.public().modulus_len()];
        self.signer
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut sig,
            )
            .map_err(|_| ApiError::internal("RS256 signing failed"))?;
        token.push('.');
        token.push_str(&util::b64url(&sig));
        Ok(token)
    }

    /// Verifies the signature of a JWT made with this key and returns its claims.
    /// Expiry and use are checked by [`check_claims`].
    pub(crate) fn verify(&self, token: &str) -> Result<Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Value = util::b64url_decode(h)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256")
            || header.get("kid").and_then(Value::as_str) != Some(self.kid.as_str())
        {
            return Err(TokenError::BadSignature);
        }
        let sig = util::b64url_decode(s).ok_or(TokenError::Malformed)?;
        // `header.claims`: the token up to its second dot (both parts came from `split`).
        let signed = token
            .as_bytes()
            .get(..h.len() + 1 + c.len())
            .ok_or(TokenError::Malformed)?;
        RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, signed, &sig)
        .map_err(|_| TokenError::BadSignature)?;
        util::b64url_decode(c)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)
    }
}

/// Reads the claims of a JWT without checking anything (to find its pool).
pub(crate) fn peek_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let _header = parts.next()?;
    let claims = parts.next()?;
    parts.next()?;
    util::b64url_decode(claims).and_then(|b| serde_json::from_slice(&b).ok())
}

/// Checks `exp` and `token_use` of verified claims.
pub(crate) fn check_claims(
    claims: &Value,
    token_use: &str,
    now_secs: i64,
) -> Result<(), TokenError> {
    if claims.get(claim::TOKEN_USE).and_then(Value::as_str) != Some(token_use) {
        return Err(TokenError::WrongUse);
    }
    match claims.get(claim::EXP).and_then(Value::as_i64) {
        Some(exp) if exp > now_secs => Ok(()),
        Some(_) => Err(TokenError::Expired),
        None => Err(TokenError::Malformed),
    }
}

/// A new opaque refresh token (random, URL-safe) and the SHA-256 hash that is stored.
pub(crate) fn new_refresh_token() -> Result<(String, [u8; 32]), ApiError> {
    let raw = util::random_bytes::<48>()?;
    let token = util::b64url(&raw);
    let hash = util::sha256(token.as_bytes());
    Ok((token, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_roundtrip() {
        let key = PoolKey::generate().unwrap();
        let der = key.to_der().unwrap();
        let again = PoolKey::from_der(&der).unwrap();
        assert_eq!(key.kid(), again.kid());
        let claims = json!({"token_use": "access", "exp": util::now_secs() + 60, "sub": "x"});
        let t = key.sign(&claims).unwrap();
        let back = again.verify(&t).unwrap();
        assert_eq!(back, claims);
        assert!(check_claims(&back, "access", util::now_secs()).is_ok());
        assert_eq!(
            check_claims(&back, "id", util::now_secs()),
            Err(TokenError::WrongUse)
        );
        let mut tampered = t.clone();
        tampered.insert(t.find('.').unwrap() + 2, 'x');
        assert!(key.verify(&tampered).is_err());
    }
}
