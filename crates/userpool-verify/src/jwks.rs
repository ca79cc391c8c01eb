//! A JWKS read into the keys a verifier can use. A key that cannot verify RS256 is kept
//! with the reason, so that a token naming it is refused for that reason (a short key is
//! [`VerifyError::WeakKey`]) rather than sending the verifier to fetch again.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::error::{JwksError, VerifyError, excerpt};

/// The default limit on a JWKS body. Cognito's has two keys, under 1 KiB.
pub const DEFAULT_MAX_JWKS_BYTES: usize = 64 * 1024;

/// The most keys read from one JWKS: a pool publishes two, three during a rotation.
const MAX_KEYS: usize = 32;

/// The shortest RSA modulus accepted.
const MIN_RSA_BITS: usize = 2048;
/// The longest RSA modulus accepted (the limit of `RSA_PKCS1_2048_8192_SHA256`).
const MAX_RSA_BITS: usize = 8192;

/// What a key of the JWKS can do.
#[derive(PartialEq, Eq)]
enum KeyUse {
    /// An RS256 public key of 2048 to 8192 bits.
    Rs256(RsaKey),
    /// An RSA key shorter than 2048 bits.
    Weak { bits: usize },
    /// Anything else, with the reason.
    Unusable(&'static str),
}

/// An RSA public key, parsed once when the JWKS is read: the Montgomery constants of its
/// modulus are computed then, not on every verification (a third of the cost of one
/// RSA-2048 verification when they are recomputed each time).
struct RsaKey {
    /// The modulus and exponent, big-endian without leading zeros: what two snapshots
    /// compare.
    n: Vec<u8>,
    e: Vec<u8>,
    parsed: ParsedPublicKey,
}

impl PartialEq for RsaKey {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n && self.e == other.e
    }
}

impl Eq for RsaKey {}

#[derive(PartialEq, Eq)]
struct Key {
    kid: String,
    key_use: KeyUse,
}

/// The source of [`KeySet::id`]: every set ever made gets the next number, so that two
/// sets (of one issuer or of two) never share one.
static NEXT_SET_ID: AtomicU64 = AtomicU64::new(1);

/// The keys of one JWKS.
pub(crate) struct KeySet {
    keys: Vec<Key>,
    /// This snapshot's number: what a verified-token cache entry remembers, so that the
    /// entry is void once the issuer's keys are replaced.
    id: u64,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| &k.kid))
            .finish()
    }
}

impl KeySet {
    /// No keys: a pool whose JWKS was not loaded yet.
    pub(crate) fn empty() -> Self {
        Self::of(Vec::new())
    }

    fn of(keys: Vec<Key>) -> Self {
        Self {
            keys,
            id: NEXT_SET_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The snapshot's number, unique among the sets of this process.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Whether `other` holds the very same keys (a refetch that changed nothing keeps the
    /// current snapshot, and with it the verified-token cache).
    pub(crate) fn same_keys(&self, other: &Self) -> bool {
        self.keys == other.keys
    }

    /// Reads a JWKS body: a JSON object with a `keys` array. Entries without a string
    /// `kid` are skipped (a token always names its key); the first of two entries with
    /// the same `kid` counts.
    pub(crate) fn parse(body: &[u8], max_bytes: usize) -> Result<Self, JwksError> {
        if body.len() > max_bytes {
            return Err(JwksError::TooLarge { limit: max_bytes });
        }
        let invalid = |reason| JwksError::Invalid { reason };
        let Ok(Value::Object(mut jwks)) = serde_json::from_slice::<Value>(body) else {
            return Err(invalid("not a JSON object"));
        };
        let Some(Value::Array(entries)) = jwks.remove("keys") else {
            return Err(invalid("no keys array"));
        };
        if entries.len() > MAX_KEYS {
            return Err(invalid("more than 32 keys"));
        }
        let mut keys: Vec<Key> = Vec::with_capacity(entries.len());
        for entry in &entries {
            let Some(kid) = entry.get("kid").and_then(Value::as_str) else {
                continue;
            };
            if keys.iter().any(|k| k.kid == kid) {
                continue;
            }
            keys.push(Key {
                kid: kid.to_owned(),
                key_use: read_key(entry),
            });
        }
        Ok(Self::of(keys))
    }

    /// Whether the set has the key `kid`, usable or not.
    pub(crate) fn contains(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid == kid)
    }

    /// Checks an RS256 signature of `signed` with key `kid`; `None` when the set has no
    /// such key.
    pub(crate) fn verify(
        &self,
        kid: &str,
        signed: &[u8],
        signature: &[u8],
        issuer: &str,
    ) -> Option<Result<(), VerifyError>> {
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        Some(match &key.key_use {
            KeyUse::Rs256(key) => key
                .parsed
                .verify_sig(signed, signature)
                .map_err(|_| VerifyError::InvalidSignature),
            KeyUse::Weak { bits } => Err(VerifyError::WeakKey {
                kid: excerpt(kid),
                issuer: issuer.to_owned(),
                bits: *bits,
            }),
            KeyUse::Unusable(reason) => Err(VerifyError::UnusableKey {
                kid: excerpt(kid),
                issuer: issuer.to_owned(),
                reason,
            }),
        })
    }
}

/// One JWK: RSA, `alg` RS256 when given, `use` `sig` when given, `n` and `e` as strict
/// base64url big-endian integers, a modulus of 2048 to 8192 bits and an odd exponent of
/// at least 3 and at most 33 bits (what `aws-lc-rs` accepts).
fn read_key(jwk: &Value) -> KeyUse {
    let text = |name| jwk.get(name).and_then(Value::as_str);
    if text("kty") != Some("RSA") {
        return KeyUse::Unusable("not an RSA key");
    }
    if jwk.get("alg").is_some_and(|alg| alg != "RS256") {
        return KeyUse::Unusable("its alg is not RS256");
    }
    if jwk.get("use").is_some_and(|u| u != "sig") {
        return KeyUse::Unusable("its use is not sig");
    }
    let integer = |name| {
        text(name)
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .map(|bytes| {
                let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
                bytes[first..].to_vec()
            })
    };
    let (Some(n), Some(e)) = (integer("n"), integer("e")) else {
        return KeyUse::Unusable("n or e is not base64url");
    };
    let bits = match n.first() {
        Some(top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    };
    if bits < MIN_RSA_BITS {
        return KeyUse::Weak { bits };
    }
    if bits > MAX_RSA_BITS {
        return KeyUse::Unusable("its modulus is longer than 8192 bits");
    }
    let odd = e.last().is_some_and(|last| last & 1 == 1);
    let at_least_3 = e.len() > 1 || e.first().is_some_and(|&b| b >= 3);
    if !odd || !at_least_3 || e.len() > 5 {
        return KeyUse::Unusable("its exponent is not usable");
    }
    // aws-lc-rs encodes the components (as a SubjectPublicKeyInfo) and parses them back
    // into the key it verifies with.
    let parsed = RsaPublicKeyComponents { n: &n, e: &e }
        .as_der()
        .ok()
        .and_then(|der| ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_ref()).ok());
    match parsed {
        Some(parsed) => KeyUse::Rs256(RsaKey { n, e, parsed }),
        None => KeyUse::Unusable("its modulus or exponent is not usable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn modulus(bits: usize) -> String {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0x80;
        b64(&n)
    }

    fn kinds(jwks: &Value) -> Vec<String> {
        let set = KeySet::parse(jwks.to_string().as_bytes(), DEFAULT_MAX_JWKS_BYTES).unwrap();
        set.keys
            .iter()
            .map(|k| match &k.key_use {
                KeyUse::Rs256(_) => "rs256".to_owned(),
                KeyUse::Weak { bits } => format!("weak {bits}"),
                KeyUse::Unusable(why) => (*why).to_owned(),
            })
            .collect()
    }

    #[test]
    fn reads_keys_and_keeps_the_reason_of_unusable_ones() {
        let e = b64(&[1, 0, 1]);
        let jwks = json!({"keys": [
            {"kid": "ok", "kty": "RSA", "alg": "RS256", "use": "sig", "n": modulus(2048), "e": e},
            {"kid": "bare", "kty": "RSA", "n": modulus(4096), "e": e},
            {"kid": "short", "kty": "RSA", "n": modulus(1024), "e": e},
            {"kid": "zero-padded-short", "kty": "RSA", "n": b64(&[0; 300]), "e": e},
            {"kid": "ec", "kty": "EC", "crv": "P-256"},
            {"kid": "hs", "kty": "RSA", "alg": "HS256", "n": modulus(2048), "e": e},
            {"kid": "enc", "kty": "RSA", "use": "enc", "n": modulus(2048), "e": e},
            {"kid": "huge", "kty": "RSA", "n": modulus(8200), "e": e},
            {"kid": "even", "kty": "RSA", "n": modulus(2048), "e": b64(&[1, 0, 0])},
            {"kid": "one", "kty": "RSA", "n": modulus(2048), "e": b64(&[1])},
            {"kid": "padded", "kty": "RSA", "n": format!("{}=", modulus(2048)), "e": e},
            {"kid": "ok", "kty": "EC"},
            {"kty": "RSA", "n": modulus(2048), "e": e},
        ]});
        assert_eq!(
            kinds(&jwks),
            [
                "rs256",
                "rs256",
                "weak 1024",
                "weak 0",
                "not an RSA key",
                "its alg is not RS256",
                "its use is not sig",
                "its modulus is longer than 8192 bits",
                "its exponent is not usable",
                "its exponent is not usable",
                "n or e is not base64url",
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_a_jwks() {
        for body in [
            "[]",
            "{}",
            r#"{"keys": {}}"#,
            "not json",
            &format!(r#"{{"keys": [{}]}}"#, vec!["{}"; 33].join(",")),
        ] {
            assert!(
                matches!(
                    KeySet::parse(body.as_bytes(), DEFAULT_MAX_JWKS_BYTES),
                    Err(JwksError::Invalid { .. })
                ),
                "{body:.40}"
            );
        }
        assert!(matches!(
            KeySet::parse(&[b' '; 101], 100),
            Err(JwksError::TooLarge { limit: 100 })
        ));
    }
}
