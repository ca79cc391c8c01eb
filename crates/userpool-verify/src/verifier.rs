//! [`Verifier`]: the checks, in order.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use userpool_types::{Claims, claims};

use crate::cache::{IssuerKeys, Refetch};
use crate::claims::VerifiedClaims;
use crate::config::{CustomCheck, TokenUse, VerifierBuilder};
use crate::error::{ConfigError, VerifyError, excerpt};
use crate::jwks::KeySet;
use crate::jwt;
use crate::token_cache::TokenCache;

/// What a pool accepts besides its issuer.
pub(crate) struct PoolRules {
    pub token_use: TokenUse,
    /// `None`: any client of the pool.
    pub clients: Option<Vec<String>>,
}

pub(crate) struct Inner {
    /// The pools, by issuer. A verifier has a handful: a list is searched as fast as a
    /// map, and is never changed after `build`, so it is read without a lock. The keys
    /// are shared with the fetch tasks.
    pub pools: Vec<(Arc<IssuerKeys>, PoolRules)>,
    pub groups: Vec<Vec<String>>,
    pub scopes: Vec<Vec<String>>,
    /// Whole seconds.
    pub leeway: i64,
    pub custom: Option<CustomCheck>,
    /// How keys are fetched; `None`: offline.
    pub refetch: Option<Refetch>,
    pub max_token_bytes: usize,
    pub max_jwks_bytes: usize,
    /// How long fetched keys stay fresh (`VerifierBuilder::jwks_max_age`).
    pub max_age: Option<Duration>,
    /// `None`: off.
    pub token_cache: Option<TokenCache>,
}

/// Verifies the id and access tokens of one or several user pools.
///
/// Cheap to clone (one `Arc`); share one per service, so that the JWKS cache is shared.
/// The checks run in this order, and the first that fails is the error
/// ([`VerifyError`]): length, form, `alg` (RS256 only), `crit`, `kid`, `iss` (one of the
/// pools), the key (in the issuer's JWKS, RSA of at least 2048 bits), the signature, then
/// the claims: `token_use`, the client (`aud` or `client_id`), `exp`, `nbf` when present,
/// `iat`, `auth_time` when present, `sub`, the required groups, the required scopes, the
/// custom check.
///
/// Once an issuer's keys are cached, a verification does no I/O and takes no lock.
///
/// ```no_run
/// # async fn demo(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use userpool_verify::{Pool, TokenUse, Verifier};
///
/// let verifier = Verifier::builder()
///     .pool(Pool::cognito("eu-west-1_AbCdEfGhI")?.token_use(TokenUse::Access).client_id("7abc123"))
///     .require_group("admins")
///     .build()?;
/// verifier.hydrate().await?; // fetch the JWKS now rather than on the first token
/// let claims = verifier.verify(token).await?;
/// println!("{} is in {:?}", claims.sub(), claims.groups());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers: Vec<&str> = self
            .inner
            .pools
            .iter()
            .map(|(keys, _)| keys.issuer.as_str())
            .collect();
        f.debug_struct("Verifier")
            .field("issuers", &issuers)
            .field("offline", &self.inner.refetch.is_none())
            .field("token_cache", &self.inner.token_cache)
            .finish_non_exhaustive()
    }
}

/// Now, in seconds since the Unix epoch (0 for a clock before it, which then fails `exp`
/// of no token but every `iat`: a broken clock refuses rather than accepts too much).
fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Verifier {
    /// A builder.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Verifies `token` at the system clock's time, fetching the issuer's JWKS when its
    /// keys are not cached or lack the token's `kid`.
    pub async fn verify(&self, token: &str) -> Result<VerifiedClaims, VerifyError> {
        self.verify_at(token, now_secs()).await
    }

    /// [`verify`](Self::verify) at `now` (seconds since the Unix epoch).
    pub async fn verify_at(&self, token: &str, now: i64) -> Result<VerifiedClaims, VerifyError> {
        if let Some(outcome) = self.token_cache_hit(token, now) {
            return outcome;
        }
        let jws = jwt::parse(token, self.inner.max_token_bytes)?;
        let (index, keys, rules) = self.pool_of(&jws.payload)?;
        let refetch = self.inner.refetch.as_ref();
        if let Some(refetch) = refetch {
            keys.revalidate_if_stale(refetch);
        }
        let snapshot = keys
            .verify(&jws.kid, jws.signed, &jws.signature, refetch)
            .await?;
        let verified = self.check_claims(jws.payload, rules, now)?;
        self.remember(token, index, snapshot, &verified, now);
        Ok(verified)
    }

    /// Verifies `token` with the cached keys only (no fetch, no await): a `kid` they lack
    /// is [`VerifyError::UnknownKid`]. For code that cannot await, after
    /// [`hydrate`](Self::hydrate).
    pub fn verify_sync(&self, token: &str) -> Result<VerifiedClaims, VerifyError> {
        self.verify_sync_at(token, now_secs())
    }

    /// [`verify_sync`](Self::verify_sync) at `now` (seconds since the Unix epoch).
    pub fn verify_sync_at(&self, token: &str, now: i64) -> Result<VerifiedClaims, VerifyError> {
        if let Some(outcome) = self.token_cache_hit(token, now) {
            return outcome;
        }
        let jws = jwt::parse(token, self.inner.max_token_bytes)?;
        let (index, keys, rules) = self.pool_of(&jws.payload)?;
        if let Some(refetch) = &self.inner.refetch {
            keys.revalidate_if_stale(refetch);
        }
        let snapshot = keys
            .verify_cached(&jws.kid, jws.signed, &jws.signature)
            .unwrap_or_else(|| Err(keys.unknown(&jws.kid)))?;
        let verified = self.check_claims(jws.payload, rules, now)?;
        self.remember(token, index, snapshot, &verified, now);
        Ok(verified)
    }

    /// Whether a verification of `token` now would be a hit of the verified-token cache:
    /// the very token verified before, under the issuer's current keys. (The claims are
    /// still checked on a hit; this says nothing of them.) For tests and metrics.
    pub fn is_cached(&self, token: &str) -> bool {
        self.inner.token_cache.as_ref().is_some_and(|cache| {
            cache
                .get(token, |entry| {
                    self.inner
                        .pools
                        .get(entry.pool)
                        .is_some_and(|(keys, _)| keys.snapshot() == entry.snapshot)
                })
                .unwrap_or(false)
        })
    }

    /// The tokens the verified-token cache holds now (some may be void: made under keys
    /// since replaced, or expired). 0 when it is off.
    pub fn cached_tokens(&self) -> usize {
        self.inner.token_cache.as_ref().map_or(0, TokenCache::len)
    }

    /// A hit of the verified-token cache: the signature and the decoding are skipped,
    /// every claim check runs again. `None`: a miss (no entry, or one made under keys
    /// since replaced).
    fn token_cache_hit(
        &self,
        token: &str,
        now: i64,
    ) -> Option<Result<VerifiedClaims, VerifyError>> {
        let cache = self.inner.token_cache.as_ref()?;
        cache
            .get(token, |entry| {
                let (keys, rules) = self.inner.pools.get(entry.pool)?;
                if keys.snapshot() != entry.snapshot {
                    return None;
                }
                if let Some(refetch) = &self.inner.refetch {
                    keys.revalidate_if_stale(refetch);
                }
                Some(
                    self.check_payload(entry.claims.claims(), rules, now)
                        .and_then(|_| self.check_requirements(&entry.claims))
                        .map(|()| entry.claims.clone()),
                )
            })
            .flatten()
    }

    /// Stores a token that passed every check (never one that failed any).
    fn remember(
        &self,
        token: &str,
        pool: usize,
        snapshot: u64,
        verified: &VerifiedClaims,
        now: i64,
    ) {
        let Some(cache) = &self.inner.token_cache else {
            return;
        };
        cache.insert(token, pool, snapshot, verified, |entry| {
            entry.claims.exp() > now
                && self
                    .inner
                    .pools
                    .get(entry.pool)
                    .is_some_and(|(keys, _)| keys.snapshot() == entry.snapshot)
        });
    }

    /// Fetches every pool's JWKS now (unless fetched less than the refetch interval
    /// ago), so that the first tokens do not wait for it. The first failure is returned;
    /// the other pools are still fetched. Offline, it does nothing.
    pub async fn hydrate(&self) -> Result<(), VerifyError> {
        let Some(refetch) = &self.inner.refetch else {
            return Ok(());
        };
        let mut first_error = None;
        for (keys, _) in &self.inner.pools {
            let seen = keys.fetches();
            if let Err(source) = keys.refresh(seen, refetch, |_| false).await {
                first_error.get_or_insert(VerifyError::Jwks {
                    issuer: keys.issuer.clone(),
                    source,
                });
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Replaces the cached keys of `issuer` with a JWKS (its JSON text): for a service
    /// that gets the keys its own way, or an offline verifier that follows a rotation.
    pub fn load_jwks(&self, issuer: &str, jwks: &str) -> Result<(), ConfigError> {
        let Some((keys, _)) = self.inner.pools.iter().find(|(k, _)| k.issuer == issuer) else {
            return Err(ConfigError::InvalidIssuer {
                issuer: issuer.to_owned(),
                reason: "not one of the verifier's pools",
            });
        };
        let set = KeySet::parse(jwks.as_bytes(), self.inner.max_jwks_bytes).map_err(|source| {
            ConfigError::Jwks {
                issuer: issuer.to_owned(),
                source,
            }
        })?;
        keys.replace(set, self.inner.max_age);
        Ok(())
    }

    /// The issuers of the verifier's pools.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.inner.pools.iter().map(|(k, _)| k.issuer.as_str())
    }

    /// The pool of the token's `iss`. Only configured issuers are looked up, so a token
    /// never chooses where keys are fetched from.
    fn pool_of(
        &self,
        payload: &Map<String, Value>,
    ) -> Result<(usize, &Arc<IssuerKeys>, &PoolRules), VerifyError> {
        let iss = match payload.get(claims::ISS) {
            Some(Value::String(iss)) => iss,
            Some(_) => {
                return Err(VerifyError::InvalidClaim {
                    claim: claims::ISS,
                    expected: "a string",
                });
            }
            None => return Err(VerifyError::MissingClaim { claim: claims::ISS }),
        };
        self.inner
            .pools
            .iter()
            .enumerate()
            .find(|(_, (keys, _))| keys.issuer == *iss)
            .map(|(index, (keys, rules))| (index, keys, rules))
            .ok_or_else(|| VerifyError::UnknownIssuer { iss: excerpt(iss) })
    }

    /// The claim checks, on a payload whose signature verified.
    fn check_claims(
        &self,
        payload: Map<String, Value>,
        rules: &PoolRules,
        now: i64,
    ) -> Result<VerifiedClaims, VerifyError> {
        let token_use = self.check_payload(&payload, rules, now)?;
        // `exp` was read above, so the types crate's reading cannot fail; were it to, the
        // token is refused, not accepted.
        let decoded = Claims::from_map(payload).map_err(|_| VerifyError::InvalidClaim {
            claim: claims::EXP,
            expected: "a number of seconds",
        })?;
        let verified = VerifiedClaims::new(decoded, token_use);
        self.check_requirements(&verified)?;
        Ok(verified)
    }

    /// The checks of the payload itself, in order: `token_use` (its kind is the answer),
    /// the client, `exp`, `nbf`, `iat`, `auth_time`, `sub`, the type of `scope`. Run on
    /// every verification, a hit of the token cache included (the time has moved on).
    fn check_payload(
        &self,
        payload: &Map<String, Value>,
        rules: &PoolRules,
        now: i64,
    ) -> Result<TokenUse, VerifyError> {
        let leeway = self.inner.leeway;
        let token_use = match string_claim(payload, claims::TOKEN_USE)? {
            Some(found) => match TokenUse::of_claim(found) {
                Some(kind) if rules.token_use.accepts(kind) => kind,
                _ => {
                    return Err(VerifyError::WrongTokenUse {
                        expected: rules.token_use,
                        found: excerpt(found),
                    });
                }
            },
            None => {
                return Err(VerifyError::MissingClaim {
                    claim: claims::TOKEN_USE,
                });
            }
        };
        check_client(payload, token_use, rules)?;
        let exp = seconds_claim(payload, claims::EXP)?
            .ok_or(VerifyError::MissingClaim { claim: claims::EXP })?;
        if now >= exp.saturating_add(leeway) {
            return Err(VerifyError::Expired { exp, now, leeway });
        }
        if let Some(nbf) = seconds_claim(payload, claims::NBF)?
            && nbf > now.saturating_add(leeway)
        {
            return Err(VerifyError::NotYetValid { nbf, now, leeway });
        }
        let iat = seconds_claim(payload, claims::IAT)?
            .ok_or(VerifyError::MissingClaim { claim: claims::IAT })?;
        if iat > now.saturating_add(leeway) {
            return Err(VerifyError::IssuedInFuture { iat, now, leeway });
        }
        if let Some(auth_time) = seconds_claim(payload, claims::AUTH_TIME)?
            && auth_time > now.saturating_add(leeway)
        {
            return Err(VerifyError::AuthTimeInFuture {
                auth_time,
                now,
                leeway,
            });
        }
        if string_claim(payload, claims::SUB)?.is_none() {
            return Err(VerifyError::MissingClaim { claim: claims::SUB });
        }
        if payload
            .get(claims::SCOPE)
            .is_some_and(|scope| !scope.is_string())
        {
            return Err(VerifyError::InvalidClaim {
                claim: claims::SCOPE,
                expected: "a string",
            });
        }
        Ok(token_use)
    }

    /// The service's requirements, on claims that passed [`Self::check_payload`]: the
    /// groups, the scopes, the custom check.
    fn check_requirements(&self, verified: &VerifiedClaims) -> Result<(), VerifyError> {
        for required in &self.inner.groups {
            if !required.iter().any(|g| verified.has_group(g)) {
                return Err(VerifyError::MissingGroup {
                    required: required.clone(),
                });
            }
        }
        for required in &self.inner.scopes {
            if !required.iter().any(|s| verified.has_scope(s)) {
                return Err(VerifyError::MissingScope {
                    required: required.clone(),
                });
            }
        }
        if let Some(check) = &self.inner.custom {
            check(verified).map_err(VerifyError::CustomCheck)?;
        }
        Ok(())
    }
}

/// The client check: `aud` (a string, or a list of which one must be allowed) of an id
/// token, `client_id` of an access token.
fn check_client(
    payload: &Map<String, Value>,
    token_use: TokenUse,
    rules: &PoolRules,
) -> Result<(), VerifyError> {
    let Some(allowed) = &rules.clients else {
        return Ok(());
    };
    let name = match token_use {
        TokenUse::Id => claims::AUD,
        _ => claims::CLIENT_ID,
    };
    let found: Vec<&str> = match payload.get(name) {
        None => return Err(VerifyError::MissingClaim { claim: name }),
        Some(Value::String(one)) => vec![one],
        Some(Value::Array(many)) if token_use == TokenUse::Id => {
            many.iter().filter_map(Value::as_str).collect()
        }
        Some(_) => {
            return Err(VerifyError::InvalidClaim {
                claim: name,
                expected: "a string",
            });
        }
    };
    if found.iter().any(|c| allowed.iter().any(|a| a == c)) {
        Ok(())
    } else {
        Err(VerifyError::WrongClient {
            client_id: excerpt(found.first().copied().unwrap_or_default()),
        })
    }
}

fn string_claim<'a>(
    payload: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, VerifyError> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(VerifyError::InvalidClaim {
            claim: name,
            expected: "a string",
        }),
    }
}

/// A NumericDate claim: an integer, or a finite number within ±10^15 (read as the types
/// crate reads it).
fn seconds_claim(
    payload: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, VerifyError> {
    let invalid = VerifyError::InvalidClaim {
        claim: name,
        expected: "a number of seconds",
    };
    match payload.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(s) => Ok(Some(s)),
            None => n
                .as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| Some(f as i64))
                .ok_or(invalid),
        },
        Some(_) => Err(invalid),
    }
}
