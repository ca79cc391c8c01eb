//! What a verifier accepts: its pools ([`Pool`]), and the checks of [`VerifierBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use userpool_types::{UserPoolId, claims};

use crate::cache::{IssuerKeys, Refetch};
use crate::claims::VerifiedClaims;
use crate::error::{BoxError, ConfigError};
use crate::fetch::JwksFetcher;
use crate::jwks::{DEFAULT_MAX_JWKS_BYTES, KeySet};
use crate::jwt::DEFAULT_MAX_TOKEN_BYTES;
use crate::token_cache::TokenCache;
use crate::verifier::{Inner, PoolRules, Verifier};

/// Which tokens a pool accepts (`token_use`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// Id tokens (`token_use: id`, the client in `aud`).
    Id,
    /// Access tokens (`token_use: access`, the client in `client_id`).
    Access,
    /// Either kind. A verified token is always [`Id`](Self::Id) or [`Access`](Self::Access).
    Either,
}

impl TokenUse {
    /// The kind a `token_use` claim names.
    pub(crate) fn of_claim(value: &str) -> Option<Self> {
        match value {
            claims::TOKEN_USE_ID => Some(Self::Id),
            claims::TOKEN_USE_ACCESS => Some(Self::Access),
            _ => None,
        }
    }

    /// Whether a token of kind `kind` is accepted.
    pub(crate) fn accepts(self, kind: Self) -> bool {
        self == Self::Either || self == kind
    }
}

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Id => claims::TOKEN_USE_ID,
            Self::Access => claims::TOKEN_USE_ACCESS,
            Self::Either => "id or access",
        })
    }
}

/// One user pool a verifier accepts tokens of: its issuer, the kind of token, the app
/// clients.
///
/// ```
/// use userpool_verify::{Pool, TokenUse};
///
/// let pool = Pool::cognito("eu-west-1_AbCdEfGhI")?
///     .token_use(TokenUse::Access)
///     .client_id("7abc123clientid");
/// assert_eq!(pool.issuer(), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI");
/// # Ok::<(), userpool_verify::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pool {
    issuer: String,
    jwks_uri: String,
    token_use: Option<TokenUse>,
    clients: Vec<String>,
    any_client: bool,
    jwks: Option<String>,
}

impl Pool {
    /// An Amazon Cognito user pool: the issuer is
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`, the region being the pool
    /// id's own (`eu-west-1` of `eu-west-1_AbCdEfGhI`).
    pub fn cognito(user_pool_id: &str) -> Result<Self, ConfigError> {
        let id = UserPoolId::parse(user_pool_id).map_err(ConfigError::InvalidPoolId)?;
        Self::with_issuer(claims::cognito_issuer(id.region(), id.as_str()))
    }

    /// A pool known by its issuer, such as `userpool-local`'s
    /// (`LocalPool::issuer(pool_id)`: `http://127.0.0.1:<port>/<pool id>`). It must be an
    /// `https://` or `http://` URL with a host, without query, fragment or trailing slash;
    /// the default fetcher fetches plain `http` only from loopback.
    pub fn with_issuer(issuer: impl Into<String>) -> Result<Self, ConfigError> {
        let issuer = issuer.into();
        let invalid = |reason| ConfigError::InvalidIssuer {
            issuer: issuer.clone(),
            reason,
        };
        let rest = issuer
            .strip_prefix("https://")
            .or_else(|| issuer.strip_prefix("http://"))
            .ok_or_else(|| invalid("not an https:// or http:// URL"))?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(invalid("no host"));
        }
        if rest.contains(['?', '#']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("a query, fragment, space or control character"));
        }
        if issuer.ends_with('/') {
            return Err(invalid("a trailing slash (the iss claim has none)"));
        }
        let jwks_uri = format!("{issuer}{}", claims::JWKS_PATH);
        Ok(Self {
            issuer,
            jwks_uri,
            token_use: None,
            clients: Vec::new(),
            any_client: false,
            jwks: None,
        })
    }

    /// The issuer (`iss`) of the pool's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The kind of token accepted (required).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.token_use = Some(token_use);
        self
    }

    /// An app client whose tokens are accepted (`aud` of id tokens, `client_id` of access
    /// tokens). Several may be given.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.clients.push(client_id.into());
        self
    }

    /// Several app clients whose tokens are accepted.
    pub fn client_ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.clients.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Accepts the tokens of every app client of the pool: a choice to make explicitly,
    /// since any app client of the pool (one made for another service too) then passes.
    pub fn any_client(mut self) -> Self {
        self.any_client = true;
        self
    }

    /// Another URL for the JWKS than `<issuer>/.well-known/jwks.json`.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = uri.into();
        self
    }

    /// The pool's JWKS (its JSON text), known at start-up: no fetch is needed for the
    /// keys it has (an offline verifier needs it).
    pub fn jwks(mut self, json: impl Into<String>) -> Self {
        self.jwks = Some(json.into());
        self
    }
}

/// A check of the service's own, run last on a token that passed every other.
pub type CustomCheck = Arc<dyn Fn(&VerifiedClaims) -> Result<(), BoxError> + Send + Sync>;

/// Builder of a [`Verifier`]: [`Verifier::builder`].
pub struct VerifierBuilder {
    pools: Vec<Pool>,
    groups: Vec<Vec<String>>,
    scopes: Vec<Vec<String>>,
    leeway: Duration,
    custom: Option<CustomCheck>,
    fetcher: Option<Arc<dyn JwksFetcher>>,
    offline: bool,
    refetch_interval: Duration,
    fetch_timeout: Duration,
    max_token_bytes: usize,
    max_jwks_bytes: usize,
    jwks_max_age: Option<Duration>,
    token_cache: usize,
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("pools", &self.pools)
            .field("groups", &self.groups)
            .field("scopes", &self.scopes)
            .field("leeway", &self.leeway)
            .field("custom", &self.custom.is_some())
            .field("fetcher", &self.fetcher)
            .field("offline", &self.offline)
            .field("refetch_interval", &self.refetch_interval)
            .field("jwks_max_age", &self.jwks_max_age)
            .field("token_cache", &self.token_cache)
            .finish_non_exhaustive()
    }
}

/// The default least time between two fetches of one issuer's JWKS.
pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// The default limit on one JWKS fetch.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The default maximum age of fetched keys: one hour. A key a pool removed from its JWKS
/// is then trusted at most about an hour longer, at the cost of one fetch per hour per
/// issuer, made in the background.
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(3600);
/// The default number of entries of the verified-token cache.
pub const DEFAULT_TOKEN_CACHE_CAPACITY: usize = 4096;

impl Default for VerifierBuilder {
    fn default() -> Self {
        Self {
            pools: Vec::new(),
            groups: Vec::new(),
            scopes: Vec::new(),
            leeway: Duration::ZERO,
            custom: None,
            fetcher: None,
            offline: false,
            refetch_interval: DEFAULT_REFETCH_INTERVAL,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            max_jwks_bytes: DEFAULT_MAX_JWKS_BYTES,
            jwks_max_age: Some(DEFAULT_JWKS_MAX_AGE),
            token_cache: DEFAULT_TOKEN_CACHE_CAPACITY,
        }
    }
}

impl VerifierBuilder {
    /// A pool whose tokens are accepted. Several may be given (each with its own issuer).
    pub fn pool(mut self, pool: Pool) -> Self {
        self.pools.push(pool);
        self
    }

    /// Requires the user to be in group `name` (`cognito:groups`). Each call adds a
    /// requirement; all must hold.
    pub fn require_group(self, name: impl Into<String>) -> Self {
        self.require_any_group([name])
    }

    /// Requires the user to be in at least one of `names`.
    pub fn require_any_group<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        self.groups
            .push(names.into_iter().map(Into::into).collect());
        self
    }

    /// Requires scope `name` (`scope`, access tokens; an id token has none). Each call
    /// adds a requirement; all must hold.
    pub fn require_scope(self, name: impl Into<String>) -> Self {
        self.require_any_scope([name])
    }

    /// Requires at least one of `names` among the scopes.
    pub fn require_any_scope<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        self.scopes
            .push(names.into_iter().map(Into::into).collect());
        self
    }

    /// How far the clocks of the pool and of the service may disagree: `exp` is accepted
    /// this much after it passed, `nbf`, `iat` and `auth_time` this much before they come.
    /// Default none, as Cognito's clock and a service's are both kept by NTP. Whole
    /// seconds count.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// A check of the service's own, run on a token that passed every other; an `Err` is
    /// [`VerifyError::CustomCheck`](crate::VerifyError::CustomCheck) with it as source.
    pub fn custom_check(
        mut self,
        check: impl Fn(&VerifiedClaims) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.custom = Some(Arc::new(check));
        self
    }

    /// The JWKS fetcher (default: [`HttpsFetcher`](crate::HttpsFetcher), feature `https`).
    pub fn fetcher(mut self, fetcher: impl JwksFetcher + 'static) -> Self {
        self.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// No fetching at all: every pool's JWKS is given ([`Pool::jwks`]) or loaded later
    /// ([`Verifier::load_jwks`]), and an unknown `kid` is refused at once.
    pub fn offline(mut self) -> Self {
        self.offline = true;
        self
    }

    /// The least time between two fetches of one issuer's JWKS (default 10 s): a token
    /// with an unknown `kid` in between is refused without a fetch. Zero refetches on
    /// every miss (concurrent misses still share one fetch).
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// The longest one JWKS fetch may take (default 10 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// The longest token decoded (default 16 KiB).
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// The longest JWKS body read (default 64 KiB).
    pub fn max_jwks_bytes(mut self, max: usize) -> Self {
        self.max_jwks_bytes = max;
        self
    }

    /// How long fetched keys are trusted without a refetch (default one hour,
    /// [`DEFAULT_JWKS_MAX_AGE`]; `None`: until a token names an unknown `kid`, as
    /// `aws-jwt-verify` does). Once the keys are older, the next verification starts a
    /// refetch in the background and goes on with the keys it has (it never waits for
    /// the fetch); the new keys replace them when it ends, so that a key the pool removed
    /// stops verifying. A failed refetch keeps the keys and is retried after the
    /// [`refetch_interval`](Self::refetch_interval), which also bounds how often it runs.
    /// Keys given at start-up ([`Pool::jwks`]) age from the build; an offline verifier
    /// never refetches.
    pub fn jwks_max_age(mut self, max_age: Option<Duration>) -> Self {
        self.jwks_max_age = max_age;
        self
    }

    /// The verified-token cache's number of entries (default
    /// [`DEFAULT_TOKEN_CACHE_CAPACITY`]; 0 turns it off, as
    /// [`no_token_cache`](Self::no_token_cache) does).
    ///
    /// A token whose verification succeeded is remembered with its claims, keyed by its
    /// exact bytes; when the very same token comes again (each request of a session
    /// carries it), the signature check and the decoding are skipped, and every claim
    /// check (`token_use`, client, `exp`, `nbf`, `iat`, `auth_time`, leeway, groups,
    /// scopes, the custom check) runs again on the remembered claims, so an expired token
    /// is refused even when cached. An entry is void once the issuer's keys are replaced
    /// (a refetch that changed them, [`Verifier::load_jwks`]). Failed verifications are
    /// never remembered. Each entry holds the token and its decoded claims: about three
    /// times the token's length (some 3 KiB for a Cognito access token of 1 KiB), so
    /// the default holds at most about 12 MiB, and only tokens the pool signed.
    pub fn token_cache(mut self, capacity: usize) -> Self {
        self.token_cache = capacity;
        self
    }

    /// No verified-token cache: every verification checks the signature.
    pub fn no_token_cache(self) -> Self {
        self.token_cache(0)
    }

    /// The verifier. Refused: no pool, two pools with one issuer, a pool without
    /// `token_use` or client, a JWKS given that does not parse, an offline pool without a
    /// JWKS, no fetcher (feature `https` off and none given, not offline).
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.pools.is_empty() {
            return Err(ConfigError::NoPool);
        }
        let fetcher = match (self.offline, self.fetcher) {
            (true, _) => None,
            (false, Some(fetcher)) => Some(fetcher),
            (false, None) => Some(default_fetcher()?),
        };
        let mut pools: Vec<(Arc<IssuerKeys>, PoolRules)> = Vec::with_capacity(self.pools.len());
        for pool in self.pools {
            if pools.iter().any(|(keys, _)| keys.issuer == pool.issuer) {
                return Err(ConfigError::DuplicateIssuer {
                    issuer: pool.issuer,
                });
            }
            let Some(token_use) = pool.token_use else {
                return Err(ConfigError::NoTokenUse {
                    issuer: pool.issuer,
                });
            };
            if pool.clients.is_empty() && !pool.any_client {
                return Err(ConfigError::NoClient {
                    issuer: pool.issuer,
                });
            }
            let keys = match &pool.jwks {
                Some(json) => Some(KeySet::parse(json.as_bytes(), self.max_jwks_bytes).map_err(
                    |source| ConfigError::Jwks {
                        issuer: pool.issuer.clone(),
                        source,
                    },
                )?),
                None if fetcher.is_none() => {
                    return Err(ConfigError::NoJwks {
                        issuer: pool.issuer,
                    });
                }
                None => None,
            };
            let rules = PoolRules {
                token_use,
                clients: (!pool.any_client).then_some(pool.clients),
            };
            let keys = IssuerKeys::new(pool.issuer, pool.jwks_uri, keys, self.jwks_max_age);
            pools.push((Arc::new(keys), rules));
        }
        Ok(Verifier::from_inner(Inner {
            pools,
            groups: self.groups,
            scopes: self.scopes,
            leeway: i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX),
            custom: self.custom,
            refetch: fetcher.map(|fetcher| Refetch {
                fetcher,
                interval: self.refetch_interval,
                timeout: self.fetch_timeout,
                max_bytes: self.max_jwks_bytes,
                max_age: self.jwks_max_age,
            }),
            max_token_bytes: self.max_token_bytes,
            max_jwks_bytes: self.max_jwks_bytes,
            max_age: self.jwks_max_age,
            token_cache: TokenCache::new(self.token_cache),
        }))
    }
}

#[cfg(feature = "https")]
fn default_fetcher() -> Result<Arc<dyn JwksFetcher>, ConfigError> {
    Ok(Arc::new(
        crate::HttpsFetcher::new().map_err(ConfigError::Https)?,
    ))
}

#[cfg(not(feature = "https"))]
fn default_fetcher() -> Result<Arc<dyn JwksFetcher>, ConfigError> {
    Err(ConfigError::NoFetcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_checked() {
        let pool = Pool::cognito("us-east-1_AbC").unwrap();
        assert_eq!(
            pool.issuer(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC"
        );
        assert_eq!(
            pool.jwks_uri,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC/.well-known/jwks.json"
        );
        assert!(matches!(
            Pool::cognito("nope"),
            Err(ConfigError::InvalidPoolId(_))
        ));
        assert!(Pool::with_issuer("http://127.0.0.1:9229/us-east-1_x").is_ok());
        for bad in [
            "ftp://x/y",
            "https://",
            "https:///path",
            "https://x/y/",
            "https://x/y?z",
            "https://x/y#z",
            "https://x/ y",
            "cognito",
        ] {
            assert!(
                matches!(
                    Pool::with_issuer(bad),
                    Err(ConfigError::InvalidIssuer { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_pool_needs_a_token_use_and_a_client() {
        let jwks = r#"{"keys": []}"#;
        let pool = || Pool::with_issuer("https://x/p").unwrap().jwks(jwks);
        let build = |p: Pool| Verifier::builder().offline().pool(p).build();
        assert!(matches!(
            Verifier::builder().offline().build(),
            Err(ConfigError::NoPool)
        ));
        assert!(matches!(
            build(pool().client_id("c")),
            Err(ConfigError::NoTokenUse { .. })
        ));
        assert!(matches!(
            build(pool().token_use(TokenUse::Id)),
            Err(ConfigError::NoClient { .. })
        ));
        assert!(build(pool().token_use(TokenUse::Id).any_client()).is_ok());
        assert!(matches!(
            build(
                Pool::with_issuer("https://x/p")
                    .unwrap()
                    .token_use(TokenUse::Id)
                    .any_client()
            ),
            Err(ConfigError::NoJwks { .. })
        ));
        assert!(matches!(
            build(pool().jwks("[]").token_use(TokenUse::Id).any_client()),
            Err(ConfigError::Jwks { .. })
        ));
        let twice = Verifier::builder()
            .offline()
            .pool(pool().token_use(TokenUse::Id).any_client())
            .pool(pool().token_use(TokenUse::Access).any_client())
            .build();
        assert!(matches!(twice, Err(ConfigError::DuplicateIssuer { .. })));
    }
}
