//! The claims of a token that passed every check.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};
use userpool_types::{Claims, claims};

use crate::TokenUse;

/// The claims of a verified token, with typed access to what a service asks of them.
///
/// Reading goes through [`userpool_types::Claims`] (the workspace's one reading of
/// Cognito's claims: groups, numbers of seconds); [`decoded`](Self::decoded) gives it.
/// `Debug` shows the kind, `sub`, client and expiry, not every claim.
///
/// Cheap to clone: the claims are shared (one `Arc`), so that a hit of the verified-token
/// cache hands them out without copying them.
#[derive(Clone, PartialEq)]
pub struct VerifiedClaims {
    inner: Arc<Inner>,
}

#[derive(PartialEq)]
struct Inner {
    claims: Claims,
    token_use: TokenUse,
    scopes: Vec<String>,
}

impl VerifiedClaims {
    /// Claims the verifier checked: `sub` is a string, `token_use` is `id` or `access`,
    /// `exp` a number.
    pub(crate) fn new(claims: Claims, token_use: TokenUse) -> Self {
        // `scope` is a space-separated list (RFC 8693, 4.2), in access tokens only.
        let scopes = claims
            .str(claims::SCOPE)
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                claims,
                token_use,
                scopes,
            }),
        }
    }

    /// `sub`: the user's immutable id.
    pub fn sub(&self) -> &str {
        self.inner.claims.sub().unwrap_or_default()
    }

    /// The username: `cognito:username` of an id token, `username` of an access token.
    pub fn username(&self) -> Option<&str> {
        match self.inner.token_use {
            TokenUse::Id => self.inner.claims.str(claims::COGNITO_USERNAME),
            _ => self.inner.claims.str(claims::USERNAME),
        }
    }

    /// [`TokenUse::Id`] or [`TokenUse::Access`].
    pub fn token_use(&self) -> TokenUse {
        self.inner.token_use
    }

    /// The app client: `aud` of an id token (the first, were it a list), `client_id` of
    /// an access token.
    pub fn client_id(&self) -> Option<&str> {
        match self.inner.token_use {
            TokenUse::Id => match self.inner.claims.get(claims::AUD)? {
                Value::String(aud) => Some(aud),
                Value::Array(auds) => auds.first().and_then(Value::as_str),
                _ => None,
            },
            _ => self.inner.claims.str(claims::CLIENT_ID),
        }
    }

    /// `iss`.
    pub fn issuer(&self) -> &str {
        self.inner.claims.str(claims::ISS).unwrap_or_default()
    }

    /// `cognito:groups`: the user's groups, empty when none.
    pub fn groups(&self) -> &[String] {
        self.inner.claims.groups()
    }

    /// Whether the user is in group `name`.
    pub fn has_group(&self, name: &str) -> bool {
        self.groups().iter().any(|g| g == name)
    }

    /// `scope` split at spaces; empty for an id token.
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// Whether the token has scope `name`.
    pub fn has_scope(&self, name: &str) -> bool {
        self.inner.scopes.iter().any(|s| s == name)
    }

    /// `exp`, in seconds since the Unix epoch.
    pub fn exp(&self) -> i64 {
        self.inner.claims.exp()
    }

    /// `iat`, in seconds since the Unix epoch.
    pub fn iat(&self) -> Option<i64> {
        self.inner.claims.iat()
    }

    /// `auth_time`, in seconds since the Unix epoch, when present.
    pub fn auth_time(&self) -> Option<i64> {
        self.inner.claims.seconds(claims::AUTH_TIME)
    }

    /// Any claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.inner.claims.get(name)
    }

    /// Every claim, as in the token.
    pub fn claims(&self) -> &Map<String, Value> {
        self.inner.claims.as_map()
    }

    /// The claims as `userpool-types` reads them.
    pub fn decoded(&self) -> &Claims {
        &self.inner.claims
    }
}

impl fmt::Debug for VerifiedClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedClaims")
            .field("token_use", &self.inner.token_use)
            .field("sub", &self.sub())
            .field("client_id", &self.client_id())
            .field("exp", &self.exp())
            .finish_non_exhaustive()
    }
}
