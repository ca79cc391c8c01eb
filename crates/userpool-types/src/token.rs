//! The three Cognito tokens and their decoded claims.
//!
//! Decoding reads the claims of a JWT without checking its signature: the client got the
//! token from the server over TLS and only needs to know what it says (who, until when).
//! Servers that accept a token check it themselves.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

use crate::{Error, SecretString, claims};

/// Largest token accepted for decoding (Cognito tokens are a few KiB).
const MAX_TOKEN_LEN: usize = 64 * 1024;

/// The decoded payload of a JWT.
#[derive(Clone, PartialEq)]
pub struct Claims {
    map: Map<String, Value>,
    exp: i64,
    iat: Option<i64>,
    /// `cognito:groups`, read once at decoding so it can be lent out as a slice.
    groups: Vec<String>,
    /// `cognito:roles`, likewise.
    roles: Vec<String>,
}

impl Claims {
    /// Decodes the payload (the middle part) of a compact JWT. The header must be JSON and
    /// the payload a JSON object with a numeric `exp`.
    pub fn decode(token: &str) -> Result<Self, Error> {
        let malformed = |reason: &str| Error::MalformedToken {
            reason: reason.to_owned(),
        };
        if token.len() > MAX_TOKEN_LEN {
            return Err(malformed("longer than 64 KiB"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("not three dot-separated parts"));
        };
        let header = decode_part(header).ok_or_else(|| malformed("header is not base64url"))?;
        if !matches!(
            serde_json::from_slice::<Value>(&header),
            Ok(Value::Object(_))
        ) {
            return Err(malformed("header is not a JSON object"));
        }
        let payload = decode_part(payload).ok_or_else(|| malformed("payload is not base64url"))?;
        match serde_json::from_slice::<Value>(&payload) {
            Ok(Value::Object(map)) => Self::from_map(map),
            _ => Err(malformed("payload is not a JSON object")),
        }
    }

    /// The claims of a payload already decoded (by a verifier that checked its signature):
    /// the same reading as [`decode`](Self::decode), which needs a numeric `exp`.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, Error> {
        let malformed = |reason: &str| Error::MalformedToken {
            reason: reason.to_owned(),
        };
        let exp = map
            .get(claims::EXP)
            .and_then(as_seconds)
            .ok_or_else(|| malformed("no numeric exp claim"))?;
        let iat = map.get(claims::IAT).and_then(as_seconds);
        let groups = string_list(map.get(claims::COGNITO_GROUPS));
        let roles = string_list(map.get(claims::COGNITO_ROLES));
        Ok(Self {
            map,
            exp,
            iat,
            groups,
            roles,
        })
    }

    /// Expiry, in seconds since the Unix epoch (server clock).
    pub fn exp(&self) -> i64 {
        self.exp
    }

    /// Issue time, in seconds since the Unix epoch (server clock), when present.
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }

    /// A claim as a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(Value::as_str)
    }

    /// A claim as a boolean; accepts JSON booleans and the strings `"true"`/`"false"`
    /// (some servers send the latter).
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.map.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// A claim as a number of seconds.
    pub fn seconds(&self, name: &str) -> Option<i64> {
        self.map.get(name).and_then(as_seconds)
    }

    /// Any claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// All claims.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// `sub`.
    pub fn sub(&self) -> Option<&str> {
        self.str(claims::SUB)
    }

    /// `token_use` (`id` or `access`).
    pub fn token_use(&self) -> Option<&str> {
        self.str(claims::TOKEN_USE)
    }

    /// `origin_jti`: present on tokens that can be revoked with RevokeToken.
    pub fn origin_jti(&self) -> Option<&str> {
        self.str(claims::ORIGIN_JTI)
    }

    /// `cognito:groups`: the names of the user's groups, in the token's order; empty when
    /// the user is in no group (Cognito then leaves the claim out).
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// `cognito:roles` (id token): the IAM role ARNs of the user's groups; empty when none.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// `cognito:preferred_role` (id token): the role of the group that takes precedence,
    /// when Cognito could choose one.
    pub fn preferred_role(&self) -> Option<&str> {
        self.str(claims::COGNITO_PREFERRED_ROLE)
    }
}

/// A claim that holds a list of strings. A single string counts as a list of one (some
/// gateways flatten one-element lists); entries that are not strings are skipped, and
/// anything else reads as empty, so a strange claim never fails the whole token.
fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Claims are not credentials, but keep Debug short: the shape, not the payload.
        f.debug_struct("Claims")
            .field("token_use", &self.token_use())
            .field("sub", &self.sub())
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

fn decode_part(part: &str) -> Option<Vec<u8>> {
    if part.is_empty() {
        return None;
    }
    URL_SAFE_NO_PAD
        .decode(part)
        .or_else(|_| URL_SAFE.decode(part))
        .ok()
}

fn as_seconds(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}

macro_rules! jwt_token {
    ($(#[$meta:meta])* $name:ident, $use:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        pub struct $name {
            raw: SecretString,
            claims: Claims,
        }

        impl $name {
            /// Decodes a token (no signature check). A token whose `token_use` claim names
            /// another kind of token is rejected.
            pub fn parse(raw: impl Into<SecretString>) -> Result<Self, Error> {
                let raw = raw.into();
                let claims = Claims::decode(raw.expose())?;
                match claims.token_use() {
                    Some(u) if u != $use => Err(Error::MalformedToken {
                        reason: format!(concat!("token_use is {:?}, expected \"", $use, "\""), u),
                    }),
                    _ => Ok(Self { raw, claims }),
                }
            }

            /// The encoded token, to send to a server. Never log it.
            pub fn raw(&self) -> &SecretString {
                &self.raw
            }

            /// The decoded claims.
            pub fn claims(&self) -> &Claims {
                &self.claims
            }

            /// Expiry (server clock, seconds since the epoch).
            pub fn exp(&self) -> i64 {
                self.claims.exp
            }

            /// Issue time (server clock, seconds since the epoch), when present.
            pub fn iat(&self) -> Option<i64> {
                self.claims.iat
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("claims", &self.claims)
                    .field("raw", &"[redacted]")
                    .finish()
            }
        }
    };
}

jwt_token!(
    /// The ID token: who the user is (`sub`, `cognito:username`, the readable attributes).
    IdToken,
    "id"
);
jwt_token!(
    /// The access token: what the user may call (sent with GetUser, ChangePassword, …).
    AccessToken,
    "access"
);

impl IdToken {
    /// `cognito:username`.
    pub fn username(&self) -> Option<&str> {
        self.claims.str(claims::COGNITO_USERNAME)
    }

    /// `cognito:groups`: see [`Claims::groups`].
    pub fn groups(&self) -> &[String] {
        self.claims.groups()
    }

    /// `cognito:roles`: see [`Claims::roles`].
    pub fn roles(&self) -> &[String] {
        self.claims.roles()
    }

    /// `cognito:preferred_role`: see [`Claims::preferred_role`].
    pub fn preferred_role(&self) -> Option<&str> {
        self.claims.preferred_role()
    }
}

impl AccessToken {
    /// `username`.
    pub fn username(&self) -> Option<&str> {
        self.claims.str(claims::USERNAME)
    }

    /// `client_id`.
    pub fn client_id(&self) -> Option<&str> {
        self.claims.str(claims::CLIENT_ID)
    }

    /// `cognito:groups`: see [`Claims::groups`].
    pub fn groups(&self) -> &[String] {
        self.claims.groups()
    }
}

/// The refresh token. Cognito's refresh tokens are encrypted and opaque to clients.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(SecretString);

impl RefreshToken {
    /// Wraps a token; an empty one is rejected.
    pub fn new(raw: impl Into<SecretString>) -> Result<Self, Error> {
        let raw = raw.into();
        if raw.is_empty() {
            return Err(Error::MalformedToken {
                reason: "empty refresh token".into(),
            });
        }
        if raw.len() > MAX_TOKEN_LEN {
            return Err(Error::MalformedToken {
                reason: "longer than 64 KiB".into(),
            });
        }
        Ok(Self(raw))
    }

    /// The token, to send to a server. Never log it.
    pub fn raw(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken([redacted])")
    }
}

/// Builds an unsigned JWT with the given claims, for tests and examples.
#[doc(hidden)]
pub fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2ln")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_claims() {
        let raw = unsigned_jwt(&json!({
            "sub": "abc", "token_use": "id", "exp": 2000, "iat": 1000,
            "cognito:username": "ada", "email_verified": "true"
        }));
        let t = IdToken::parse(raw.as_str()).unwrap();
        assert_eq!(t.exp(), 2000);
        assert_eq!(t.iat(), Some(1000));
        assert_eq!(t.username(), Some("ada"));
        assert_eq!(t.claims().bool("email_verified"), Some(true));
        assert!(!format!("{t:?}").contains(&raw));
        assert!(
            AccessToken::parse(raw.as_str()).is_err(),
            "token_use id is not an access token"
        );
    }

    #[test]
    fn reads_group_claims() {
        let raw = unsigned_jwt(&json!({
            "token_use": "id", "exp": 2000,
            "cognito:groups": ["admins", "staff"],
            "cognito:roles": ["arn:aws:iam::1:role/a"],
            "cognito:preferred_role": "arn:aws:iam::1:role/a",
        }));
        let t = IdToken::parse(raw.as_str()).unwrap();
        assert_eq!(t.groups(), ["admins", "staff"]);
        assert_eq!(t.roles(), ["arn:aws:iam::1:role/a"]);
        assert_eq!(t.preferred_role(), Some("arn:aws:iam::1:role/a"));

        let raw = unsigned_jwt(&json!({"token_use": "access", "exp": 2000}));
        let t = AccessToken::parse(raw.as_str()).unwrap();
        assert!(t.groups().is_empty(), "no claim: no groups");

        // Odd shapes do not fail the token: one string, mixed entries, a number.
        let raw = unsigned_jwt(&json!({
            "token_use": "access", "exp": 2000, "cognito:groups": "solo",
        }));
        assert_eq!(AccessToken::parse(raw.as_str()).unwrap().groups(), ["solo"]);
        let raw = unsigned_jwt(&json!({
            "token_use": "id", "exp": 2000, "cognito:groups": ["a", 1, null, "b"],
            "cognito:roles": 7, "cognito:preferred_role": 7,
        }));
        let t = IdToken::parse(raw.as_str()).unwrap();
        assert_eq!(t.groups(), ["a", "b"]);
        assert!(t.roles().is_empty());
        assert_eq!(t.preferred_role(), None);
    }

    #[test]
    fn rejects_malformed() {
        let ok_header = URL_SAFE_NO_PAD.encode("{}");
        let cases = [
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            "!!!.!!!.x".into(),
            format!("{ok_header}.{}.x", URL_SAFE_NO_PAD.encode("[1]")),
            format!("{ok_header}.{}.x", URL_SAFE_NO_PAD.encode("{}")),
            format!(
                "{ok_header}.{}.x",
                URL_SAFE_NO_PAD.encode(r#"{"exp":"soon"}"#)
            ),
            format!("{ok_header}.{}.x", URL_SAFE_NO_PAD.encode("not json")),
            format!(
                "{}.{}.x",
                URL_SAFE_NO_PAD.encode("nope"),
                URL_SAFE_NO_PAD.encode(r#"{"exp":1}"#)
            ),
            "x".repeat(MAX_TOKEN_LEN + 1),
        ];
        for case in cases {
            assert!(
                matches!(
                    IdToken::parse(case.as_str()),
                    Err(Error::MalformedToken { .. })
                ),
                "{case:.40}"
            );
        }
        assert!(RefreshToken::new("").is_err());
    }
}
