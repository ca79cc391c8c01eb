//! Why a token was refused ([`VerifyError`], one variant per check), why a JWKS could not
//! be had ([`JwksError`]), and why a verifier could not be built ([`ConfigError`]).
//!
//! No error holds the token or its signature. The few strings copied from a token (its
//! `alg`, `kid`, `iss`, `token_use`, client id) are cut to [`EXCERPT_CHARS`] characters and
//! shown with `{:?}`, so that a hostile value cannot forge a log line.

use std::sync::Arc;

use crate::TokenUse;

/// A boxed error, the source of a refusal by a custom check or of a failed fetch.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The most characters of a value read from a token that an error keeps.
pub const EXCERPT_CHARS: usize = 64;

/// At most [`EXCERPT_CHARS`] characters of `value`.
pub(crate) fn excerpt(value: &str) -> String {
    match value.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// Why a token was refused: one variant per check, in the order the checks run.
///
/// [`description`](Self::description) gives a fixed text for each variant (for an HTTP
/// header); `Display` adds the values involved, never the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is longer than the verifier's limit (checked before anything is decoded).
    #[error("the token is {len} bytes long, more than the {max} accepted")]
    TooLarge {
        /// The token's length in bytes.
        len: usize,
        /// The limit ([`VerifierBuilder::max_token_bytes`](crate::VerifierBuilder::max_token_bytes)).
        max: usize,
    },
    /// Not a compact JWS: not three base64url parts, a header or payload that is not a JSON
    /// object.
    #[error("the token is malformed: {reason}")]
    Malformed {
        /// What is wrong, in words fixed by the verifier.
        reason: &'static str,
    },
    /// The header's `alg` is not `RS256` (`none`, `HS256`, `RS512`…, or missing).
    #[error("the token's algorithm {alg:?} is not RS256")]
    UnsupportedAlgorithm {
        /// The `alg` of the header (cut), empty when there is none.
        alg: String,
    },
    /// The header names a critical extension (`crit`), which this verifier does not
    /// implement and so must refuse (RFC 7515, 4.1.11).
    #[error("the token's header has critical extensions")]
    CriticalHeader,
    /// The header has no `kid`: Cognito always names the key.
    #[error("the token's header has no kid")]
    MissingKid,
    /// `iss` is not the issuer of a configured pool (checked before any key is fetched, so
    /// that a token cannot make the verifier fetch from an address of its choosing).
    #[error("the token's issuer {iss:?} is not one of the configured pools")]
    UnknownIssuer {
        /// The `iss` of the token (cut).
        iss: String,
    },
    /// The `kid` is not in the issuer's JWKS, even after a refetch (or a refetch was not
    /// allowed yet: see [`VerifierBuilder::refetch_interval`](crate::VerifierBuilder::refetch_interval)).
    #[error("the token's key {kid:?} is not in the JWKS of {issuer}")]
    UnknownKid {
        /// The `kid` of the token (cut).
        kid: String,
        /// The issuer whose JWKS was searched.
        issuer: String,
    },
    /// The JWKS's key is an RSA key shorter than 2048 bits.
    #[error("the key {kid:?} of {issuer} has {bits} bits, fewer than 2048")]
    WeakKey {
        /// The `kid`.
        kid: String,
        /// The issuer.
        issuer: String,
        /// The length of the modulus.
        bits: usize,
    },
    /// The JWKS's key cannot verify an RS256 signature: not RSA, another `alg`, a `use`
    /// other than `sig`, an exponent or modulus that is not usable.
    #[error("the key {kid:?} of {issuer} is refused: {reason}")]
    UnusableKey {
        /// The `kid`.
        kid: String,
        /// The issuer.
        issuer: String,
        /// Why, in words fixed by the verifier.
        reason: &'static str,
    },
    /// The RS256 signature does not verify with the key.
    #[error("the token's signature does not verify")]
    InvalidSignature,
    /// A claim every Cognito token has is missing (`token_use`, `exp`, `iat`, `sub`, `aud`
    /// or `client_id`).
    #[error("the token has no {claim} claim")]
    MissingClaim {
        /// The claim's name.
        claim: &'static str,
    },
    /// A claim has the wrong JSON type.
    #[error("the token's {claim} claim is not {expected}")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// `token_use` is not the one the pool accepts.
    #[error("the token's token_use is {found:?}, expected {expected}")]
    WrongTokenUse {
        /// What the pool accepts.
        expected: TokenUse,
        /// The `token_use` of the token (cut).
        found: String,
    },
    /// The app client (`aud` of an id token, `client_id` of an access token) is not one of
    /// the pool's allowed clients.
    #[error("the token's app client {client_id:?} is not allowed")]
    WrongClient {
        /// The client id of the token (cut; the first, when `aud` is a list).
        client_id: String,
    },
    /// `exp` has passed, leeway included.
    #[error("the token expired at {exp} (now {now}, leeway {leeway} s)")]
    Expired {
        /// `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
        /// The leeway allowed.
        leeway: i64,
    },
    /// `nbf` has not come yet, leeway included.
    #[error("the token is not valid before {nbf} (now {now}, leeway {leeway} s)")]
    NotYetValid {
        /// `nbf`.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
        /// The leeway allowed.
        leeway: i64,
    },
    /// `iat` is in the future, leeway included.
    #[error("the token was issued at {iat}, in the future (now {now}, leeway {leeway} s)")]
    IssuedInFuture {
        /// `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// The leeway allowed.
        leeway: i64,
    },
    /// `auth_time` is in the future, leeway included.
    #[error("the token's sign-in time {auth_time} is in the future (now {now}, leeway {leeway} s)")]
    AuthTimeInFuture {
        /// `auth_time`.
        auth_time: i64,
        /// The verifier's clock.
        now: i64,
        /// The leeway allowed.
        leeway: i64,
    },
    /// The user is in none of the groups of a requirement.
    #[error("the token's user is in none of the groups {required:?}")]
    MissingGroup {
        /// The groups of the requirement (any one would do).
        required: Vec<String>,
    },
    /// The token has none of the scopes of a requirement.
    #[error("the token has none of the scopes {required:?}")]
    MissingScope {
        /// The scopes of the requirement (any one would do).
        required: Vec<String>,
    },
    /// The custom check refused the token; its reason is the source.
    #[error("the custom check refused the token")]
    CustomCheck(#[source] BoxError),
    /// The issuer's JWKS could not be fetched: the token could not be checked at all.
    #[error("the JWKS of {issuer} could not be loaded")]
    Jwks {
        /// The issuer.
        issuer: String,
        /// Why.
        #[source]
        source: JwksError,
    },
}

impl VerifyError {
    /// A short fixed text for the failed check, without any value from the token: what an
    /// HTTP `error_description` can carry.
    pub fn description(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "the token is too large",
            Self::Malformed { .. } => "the token is malformed",
            Self::UnsupportedAlgorithm { .. } => "the token's algorithm is not RS256",
            Self::CriticalHeader => "the token's header has critical extensions",
            Self::MissingKid => "the token names no key",
            Self::UnknownIssuer { .. } => "the token's issuer is not accepted",
            Self::UnknownKid { .. } => "the token's key is unknown",
            Self::WeakKey { .. } => "the token's key is too short",
            Self::UnusableKey { .. } => "the token's key cannot verify RS256",
            Self::InvalidSignature => "the token's signature is invalid",
            Self::MissingClaim { .. } => "the token lacks a required claim",
            Self::InvalidClaim { .. } => "the token has a claim of the wrong type",
            Self::WrongTokenUse { .. } => "the token is not of the accepted kind",
            Self::WrongClient { .. } => "the token's app client is not accepted",
            Self::Expired { .. } => "the token has expired",
            Self::NotYetValid { .. } => "the token is not valid yet",
            Self::IssuedInFuture { .. } => "the token was issued in the future",
            Self::AuthTimeInFuture { .. } => "the token's sign-in time is in the future",
            Self::MissingGroup { .. } => "the user is not in a required group",
            Self::MissingScope { .. } => "the token lacks a required scope",
            Self::CustomCheck(_) => "the token was refused by the service",
            Self::Jwks { .. } => "the issuer's keys could not be loaded",
        }
    }

    /// Whether the token was valid but lacks a group or a scope (HTTP 403
    /// `insufficient_scope` rather than 401 `invalid_token`).
    pub fn is_insufficient(&self) -> bool {
        matches!(self, Self::MissingGroup { .. } | Self::MissingScope { .. })
    }

    /// Whether the verifier could not check the token because the JWKS could not be had:
    /// the service's problem (HTTP 503), not the token's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Jwks { .. })
    }
}

/// Why a JWKS could not be fetched or read. `Clone` (its source is shared), so that every
/// caller waiting on one fetch gets its outcome.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The request failed (connection, TLS, HTTP protocol); the cause is the source.
    #[error("the JWKS request failed")]
    Transport(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The server answered with another status than 200.
    #[error("the JWKS request was answered with HTTP {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The body is longer than the limit.
    #[error("the JWKS is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body is not a JWKS (`{"keys": [...]}`), or has too many keys.
    #[error("the JWKS is not valid: {reason}")]
    Invalid {
        /// What is wrong, in words fixed by the verifier.
        reason: &'static str,
    },
    /// The fetcher refuses the URL (not `https`, and not plain `http` to loopback).
    #[error("the JWKS URL {url:?} is refused: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// The fetch took longer than [`VerifierBuilder::fetch_timeout`](crate::VerifierBuilder::fetch_timeout).
    #[error("the JWKS request timed out")]
    Timeout,
    /// There is no Tokio runtime to run the fetch on (a fetch runs in a task of its own,
    /// so that a cancelled caller does not cancel it), or the runtime shut down before it
    /// ended.
    #[error("the JWKS fetch needs a running Tokio runtime")]
    NoRuntime,
}

impl JwksError {
    /// A transport failure with its cause (for [`JwksFetcher`](crate::JwksFetcher)
    /// implementations).
    pub fn transport(cause: impl Into<BoxError>) -> Self {
        Self::Transport(Arc::from(cause.into()))
    }
}

/// Why a verifier could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No pool was given.
    #[error("a verifier needs at least one pool")]
    NoPool,
    /// Two pools have the same issuer.
    #[error("the issuer {issuer} is configured twice")]
    DuplicateIssuer {
        /// The issuer.
        issuer: String,
    },
    /// The pool id is not `<region>_<name>`.
    #[error("the user pool id is not valid")]
    InvalidPoolId(#[source] userpool_types::Error),
    /// The issuer is not an `https://` (or `http://`) URL without query, fragment or
    /// trailing slash.
    #[error("the issuer {issuer:?} is not valid: {reason}")]
    InvalidIssuer {
        /// The issuer.
        issuer: String,
        /// Why.
        reason: &'static str,
    },
    /// A pool has no `token_use` ([`Pool::token_use`](crate::Pool::token_use)): the choice
    /// between id and access tokens is the service's to make.
    #[error("the pool {issuer} accepts no token_use: choose id, access or either")]
    NoTokenUse {
        /// The issuer.
        issuer: String,
    },
    /// A pool has no client ids and was not told to accept any client
    /// ([`Pool::any_client`](crate::Pool::any_client)).
    #[error("the pool {issuer} has no allowed app client (or any_client)")]
    NoClient {
        /// The issuer.
        issuer: String,
    },
    /// An offline verifier has a pool without a JWKS.
    #[error("the pool {issuer} has no JWKS, and the verifier is offline")]
    NoJwks {
        /// The issuer.
        issuer: String,
    },
    /// A JWKS given at start-up is not valid.
    #[error("the JWKS given for {issuer} is not valid")]
    Jwks {
        /// The issuer.
        issuer: String,
        /// Why.
        #[source]
        source: JwksError,
    },
    /// No fetcher was given, the verifier is not offline, and the `https` feature (the
    /// default fetcher) is off.
    #[error("no JWKS fetcher: enable the `https` feature, give a fetcher, or build offline")]
    NoFetcher,
    /// The default HTTPS fetcher could not be built (no system root certificates).
    #[error("the HTTPS JWKS fetcher could not be built")]
    Https(#[source] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_cut_on_a_character_boundary() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(EXCERPT_CHARS + 10);
        let cut = excerpt(&long);
        assert_eq!(
            cut.chars().count(),
            EXCERPT_CHARS + 1,
            "the cut and an ellipsis"
        );
        assert!(cut.ends_with('…'));
    }
}
