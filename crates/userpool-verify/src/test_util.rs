//! Fixed RSA keys that sign tokens, for the tests of services that verify them (feature
//! `test-util`). The private keys are in this crate's source: never trust their JWKS
//! outside a test.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// A 2048-bit RSA test key with its `kid`.
pub struct TestKey {
    pair: RsaKeyPair,
    kid: &'static str,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    fn load(der: &[u8], kid: &'static str) -> Self {
        #[allow(clippy::expect_used)]
        let pair = RsaKeyPair::from_pkcs8(der).expect("the built-in test key is PKCS#8 RSA");
        Self { pair, kid }
    }

    /// Key `a` (`kid` `test-key-a`).
    pub fn a() -> Self {
        Self::load(include_bytes!("test_keys/a.pk8"), "test-key-a")
    }

    /// Key `b` (`kid` `test-key-b`), the key a rotation moves to.
    pub fn b() -> Self {
        Self::load(include_bytes!("test_keys/b.pk8"), "test-key-b")
    }

    /// The `kid`.
    pub fn kid(&self) -> &str {
        self.kid
    }

    /// The modulus and exponent, big-endian.
    pub fn public_components(&self) -> (Vec<u8>, Vec<u8>) {
        let c: RsaPublicKeyComponents<Vec<u8>> = self.pair.public_key().into();
        (c.n, c.e)
    }

    /// The public key as a JWK, as Cognito publishes one.
    pub fn jwk(&self) -> Value {
        let (n, e) = self.public_components();
        json!({
            "alg": "RS256",
            "e": URL_SAFE_NO_PAD.encode(e),
            "kid": self.kid,
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(n),
            "use": "sig",
        })
    }

    /// A JWKS of `keys`, as JSON text.
    pub fn jwks(keys: &[&TestKey]) -> String {
        json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() }).to_string()
    }

    /// An RS256 token of `claims` with header `{"alg":"RS256","kid":<kid>}`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&json!({"alg": "RS256", "kid": self.kid}), claims)
    }

    /// An RS256 signature, by this key, over any header and claims.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let mut token = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.pair.public_modulus_len()];
        #[allow(clippy::expect_used)]
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing with a valid key");
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        token
    }
}
