//! Tokens: a 2048-bit RSA signing key per pool (and the earlier keys still published after
//! a rotation), RS256 JWTs with a `kid`, the JWKS, and the checks an access token must pass
//! (signature, expiry, `token_use`).
//!
//! # Key rotation
//!
//! [`rotate`] makes a fresh key the one new tokens are signed with and keeps the one it
//! replaces in the JWKS, so that tokens already issued still verify (here and in every
//! verifier that fetched the JWKS). [`retire`] then stops publishing an earlier key: the
//! pool's own access-token checks refuse the tokens signed with it from then on, as
//! Cognito refuses a token whose key is not in the pool's JWKS (`NotAuthorizedException`,
//! "Invalid Access Token"). Refresh tokens are opaque and not signed, so they survive both
//! steps and get tokens signed with the new key. Both steps are written to the store
//! (`pools.key_der` is the signing key, `pool_keys` the earlier published ones) before
//! they answer, so they survive a restart with a data directory.

use std::fmt;

use aws_lc_rs::encoding::{AsDer as _, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaKeyPair};
use serde_json::{Value, json};
use userpool_types::claims as claim;

use crate::error::{ApiError, ExceptionName};
use crate::state::State;
use crate::{store, util};

/// Most keys a pool publishes at once (the signing key included): a rotation beyond it is
/// refused until an earlier key is retired. Cognito publishes two.
pub const MAX_PUBLISHED_KEYS: usize = 5;

/// A pool's signing key. Debug never shows the private part.
///
/// `aws-lc-rs` generates, encodes (PKCS#8 for storage), signs and verifies. The public
/// key is parsed once, so that checking an access token does not recompute its
/// modulus's constants.
pub(crate) struct PoolKey {
    signer: RsaKeyPair,
    public: ParsedPublicKey,
    rng: SystemRandom,
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

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Malformed,
    BadSignature,
    Expired,
    WrongUse,
}

impl PoolKey {
    /// Generates a fresh 2048-bit key (tens of milliseconds: run it off the async
    /// threads).
    pub(crate) fn generate() -> Result<Self, ApiError> {
        let signer = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| ApiError::internal("RSA key generation failed"))?;
        Self::from_signer(signer)
    }

    /// Loads a key stored as PKCS#8 DER.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, ApiError> {
        let signer = RsaKeyPair::from_pkcs8(der)
            .map_err(|e| ApiError::internal(format!("signing key rejected: {e}")))?;
        Self::from_signer(signer)
    }

    /// The key as PKCS#8 DER, for storage.
    pub(crate) fn to_der(&self) -> Result<Vec<u8>, ApiError> {
        let der: Pkcs8V1Der<'static> = self
            .signer
            .as_der()
            .map_err(|_| ApiError::internal("the signing key could not be encoded"))?;
        Ok(der.as_ref().to_vec())
    }

    fn from_signer(signer: RsaKeyPair) -> Result<Self, ApiError> {
        let public_key = signer.public_key();
        let n = public_key
            .modulus()
            .big_endian_without_leading_zero()
            .to_vec();
        let e = public_key
            .exponent()
            .big_endian_without_leading_zero()
            .to_vec();
        let public =
            ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public_key.as_ref())
                .map_err(|e| ApiError::internal(format!("public key rejected: {e}")))?;
        // Cognito's kids are base64 (standard alphabet) of a SHA-256: do the same over n||e.
        let mut material = n.clone();
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
            signer,
            public,
            rng: SystemRandom::new(),
            kid,
            jwk,
        })
    }

    /// The key's id, as in the JWT header and the JWKS.
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
        let mut sig = vec![0; self.signer.public_modulus_len()];
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
    #[cfg(test)]
    pub(crate) fn verify(&self, token: &str) -> Result<Value, TokenError> {
        let jws = Jws::parse(token)?;
        if jws.kid != self.kid {
            return Err(TokenError::BadSignature);
        }
        self.verify_parsed(&jws)
    }

    fn verify_parsed(&self, jws: &Jws<'_>) -> Result<Value, TokenError> {
        self.public
            .verify_sig(jws.signed, &jws.signature)
            .map_err(|_| TokenError::BadSignature)?;
        util::b64url_decode(jws.claims)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)
    }
}

/// A compact RS256 JWT taken apart; nothing verified yet.
struct Jws<'a> {
    kid: String,
    /// `header.claims`, the signed bytes.
    signed: &'a [u8],
    /// The claims part, base64url.
    claims: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits a token; anything but `alg: RS256` with a string `kid` is a bad signature.
    fn parse(token: &'a str) -> Result<Self, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Value = util::b64url_decode(h)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(TokenError::BadSignature);
        }
        let Some(kid) = header.get("kid").and_then(Value::as_str) else {
            return Err(TokenError::BadSignature);
        };
        let signature = util::b64url_decode(s).ok_or(TokenError::Malformed)?;
        // `header.claims`: the token up to its second dot (both parts came from `split`).
        let signed = token
            .as_bytes()
            .get(..h.len() + 1 + c.len())
            .ok_or(TokenError::Malformed)?;
        Ok(Self {
            kid: kid.to_owned(),
            signed,
            claims: c,
            signature,
        })
    }
}

/// A pool's keys: the one new tokens are signed with and the earlier ones still published
/// (newest first), with the JWKS that lists them all.
#[derive(Debug)]
pub(crate) struct PoolKeys {
    signing: PoolKey,
    previous: Vec<PoolKey>,
    /// The JWKS document, made once: it is served on every fetch.
    jwks: String,
}

impl From<PoolKey> for PoolKeys {
    fn from(signing: PoolKey) -> Self {
        Self::single(signing)
    }
}

impl PoolKeys {
    /// The keys of a pool that was never rotated.
    pub(crate) fn single(signing: PoolKey) -> Self {
        Self::new(signing, Vec::new())
    }

    pub(crate) fn new(signing: PoolKey, previous: Vec<PoolKey>) -> Self {
        let keys: Vec<&Value> = std::iter::once(&signing)
            .chain(&previous)
            .map(PoolKey::jwk)
            .collect();
        let jwks = json!({ "keys": keys }).to_string();
        Self {
            signing,
            previous,
            jwks,
        }
    }

    /// Loads the keys of a pool from the store: `signing_der` is its `pools.key_der`.
    pub(crate) fn load(
        c: &rusqlite::Connection,
        pool_id: &str,
        signing_der: &[u8],
    ) -> Result<Self, ApiError> {
        let signing = PoolKey::from_der(signing_der)?;
        let previous = store::previous_keys(c, pool_id)?
            .iter()
            .map(|(_, der)| PoolKey::from_der(der))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(signing, previous))
    }

    /// Signs claims with the signing key (see [`PoolKey::sign`]).
    pub(crate) fn sign(&self, claims: &Value) -> Result<String, ApiError> {
        self.signing.sign(claims)
    }

    /// Verifies a JWT made with any published key (the one its `kid` names) and returns its
    /// claims. A `kid` that is not published (a retired key, another pool's) is a bad
    /// signature.
    pub(crate) fn verify(&self, token: &str) -> Result<Value, TokenError> {
        let jws = Jws::parse(token)?;
        std::iter::once(&self.signing)
            .chain(&self.previous)
            .find(|k| k.kid == jws.kid)
            .ok_or(TokenError::BadSignature)?
            .verify_parsed(&jws)
    }

    /// The JWKS document (`{"keys": [...]}`), signing key first.
    pub(crate) fn jwks(&self) -> &str {
        &self.jwks
    }

    /// The kids, for the API.
    pub(crate) fn summary(&self) -> SigningKeys {
        SigningKeys {
            signing_kid: self.signing.kid.clone(),
            published_kids: std::iter::once(&self.signing)
                .chain(&self.previous)
                .map(|k| k.kid.clone())
                .collect(),
        }
    }
}

/// The signing keys a pool publishes, by `kid` (the answer of
/// [`LocalPool::rotate_signing_key`](crate::LocalPool::rotate_signing_key) and
/// [`LocalPool::retire_signing_key`](crate::LocalPool::retire_signing_key)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeys {
    /// The key new tokens are signed with.
    pub signing_kid: String,
    /// Every key in the pool's JWKS: the signing key first, then the earlier ones still
    /// published, newest first. Tokens signed with any of them verify.
    pub published_kids: Vec<String>,
}

impl SigningKeys {
    /// The answer of the HTTP endpoints.
    pub(crate) fn to_json(&self) -> Value {
        json!({ "SigningKid": self.signing_kid, "PublishedKids": self.published_kids })
    }
}

/// The kids a pool publishes.
pub(crate) async fn signing_keys(state: &State, pool_id: &str) -> Result<SigningKeys, ApiError> {
    Ok(state.pool(pool_id).await?.key.summary())
}

/// Rotates a pool's signing key: a fresh key signs the tokens issued from now on, and the
/// one it replaces stays published until [`retire`]d. Refused with
/// `LimitExceededException` when the pool already publishes [`MAX_PUBLISHED_KEYS`].
pub(crate) async fn rotate(state: &State, pool_id: &str) -> Result<SigningKeys, ApiError> {
    // Refuses an unknown pool before the (slow) key generation.
    state.pool(pool_id).await?;
    let fresh = crate::ops::crypto::run(PoolKey::generate).await?;
    let fresh_der = fresh.to_der()?;
    let id = pool_id.to_owned();
    let written = state
        .store
        .write(move |c| {
            // The signing key is read in the transaction that replaces it, so that two
            // rotations at once each keep the key the other replaced.
            let Some(old_der) = store::active_key(c, &id)? else {
                return Err(ApiError::pool_not_found(&id));
            };
            if store::previous_keys(c, &id)?.len() + 1 >= MAX_PUBLISHED_KEYS {
                return Err(too_many_keys());
            }
            let old = PoolKey::from_der(&old_der)?;
            store::rotate_key(c, &id, (old.kid(), &old_der), &fresh_der, util::now_ms())?;
            Ok(old.kid)
        })
        .await;
    // Dropped whatever the outcome: a failed write changed nothing, and a re-read is cheap.
    state.uncache_pool(pool_id);
    let replaced_kid = written?;
    tracing::info!(pool_id, new_kid = %fresh.kid, %replaced_kid, "signing key rotated");
    signing_keys(state, pool_id).await
}

fn too_many_keys() -> ApiError {
    ApiError::new(
        ExceptionName::LimitExceeded,
        format!(
            "The pool already publishes {MAX_PUBLISHED_KEYS} signing keys: retire an earlier one before rotating again."
        ),
    )
}

/// Stops publishing an earlier signing key of a pool: tokens signed with it no longer
/// verify. The signing key itself cannot be retired (rotate first):
/// `InvalidParameterException`; a kid the pool does not publish is
/// `ResourceNotFoundException`.
pub(crate) async fn retire(
    state: &State,
    pool_id: &str,
    kid: &str,
) -> Result<SigningKeys, ApiError> {
    let pool = state.pool(pool_id).await?;
    if pool.key.signing.kid == kid {
        return Err(ApiError::invalid_parameter(
            "That kid is the key new tokens are signed with: rotate the pool's key before retiring it.",
        ));
    }
    let (id, owned_kid) = (pool_id.to_owned(), kid.to_owned());
    let found = state
        .store
        .write(move |c| store::delete_previous_key(c, &id, &owned_kid))
        .await;
    state.uncache_pool(pool_id);
    if !found? {
        return Err(ApiError::new(
            ExceptionName::ResourceNotFound,
            format!(
                "The pool {pool_id} publishes no earlier key with kid '{}'.",
                kid.chars()
                    .filter(|c| !c.is_control())
                    .take(100)
                    .collect::<String>()
            ),
        ));
    }
    tracing::info!(pool_id, kid, "signing key retired");
    signing_keys(state, pool_id).await
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

    #[test]
    fn loads_a_pkcs8_key_another_encoder_wrote() {
        // Data directories written before the switch to aws-lc-rs hold keys the `rsa`
        // crate encoded; this one is OpenSSL's (`openssl genpkey`), the verifier's test key.
        let der = include_bytes!("../../userpool-verify/src/test_keys/a.pk8");
        let key = PoolKey::from_der(der).unwrap();
        let jwk = key.jwk();
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(
            util::b64url_decode(jwk["n"].as_str().unwrap())
                .unwrap()
                .len(),
            256
        );
        let token = key.sign(&json!({"sub": "x"})).unwrap();
        assert_eq!(key.verify(&token).unwrap(), json!({"sub": "x"}));
        // stored again, it is the same key
        let again = PoolKey::from_der(&key.to_der().unwrap()).unwrap();
        assert_eq!(again.kid(), key.kid());
    }
}
