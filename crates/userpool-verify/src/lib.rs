//! Verifies the id and access tokens of Amazon Cognito user pools (and of
//! `userpool-local`): RS256 signatures against the pool's JWKS, then the claims.
//!
//! ```no_run
//! # async fn demo(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use userpool_verify::{Pool, TokenUse, Verifier};
//!
//! let verifier = Verifier::builder()
//!     .pool(
//!         Pool::cognito("eu-west-1_AbCdEfGhI")?
//!             .token_use(TokenUse::Access)
//!             .client_id("7abc123clientid"),
//!     )
//!     .require_scope("aws.cognito.signin.user.admin")
//!     .build()?;
//! let claims = verifier.verify(token).await?;
//! println!("{} ({:?})", claims.sub(), claims.username());
//! # Ok(()) }
//! ```
//!
//! # What is refused
//!
//! Every check has its own [`VerifyError`] variant, and an error's text never holds the
//! token. Only `alg: RS256` is accepted (`none`, HMAC and every other algorithm are refused
//! before anything else is read), with a `kid` that is in the issuer's JWKS and names an
//! RSA key of 2048 to 8192 bits; `iss` must be a configured pool's (keys are fetched only
//! from configured pools); then `token_use`, the app client, `exp`, `nbf`, `iat`,
//! `auth_time` (with an optional leeway), `sub`, the required groups and scopes, and a
//! custom check. Tokens over 16 KiB and JWKS over 64 KiB are refused unread, and no input
//! makes the verifier panic.
//!
//! # The JWKS cache
//!
//! Each issuer's keys are cached. They are fetched through a [`JwksFetcher`] (by default
//! [`HttpsFetcher`], feature `https`): at [`Verifier::hydrate`], on an issuer's first
//! token, and again when a token names a `kid` the cache lacks (a key rotation), at most
//! once per [`refetch_interval`](VerifierBuilder::refetch_interval) per issuer: in between,
//! unknown `kid`s are refused at once. A fetch runs in a task of its own: callers that miss
//! during it wait for it and share its outcome, and a caller that is cancelled cancels
//! neither the fetch nor the others' wait. Keys older than the
//! [`jwks_max_age`](VerifierBuilder::jwks_max_age) (default one hour) are refetched in the
//! background by the next verification, which goes on with the keys it has. A JWKS can
//! also be given at start-up ([`Pool::jwks`]) or later ([`Verifier::load_jwks`]), and a
//! verifier can be [`offline`](VerifierBuilder::offline).
//!
//! Once warm, a verification does no I/O and takes no lock: the keys are an immutable
//! snapshot behind an `arc_swap::ArcSwap`, read with one atomic load and replaced whole by
//! a refetch; the refetch's state is locked only on a miss or once the keys are stale.
//!
//! # The verified-token cache
//!
//! A token that passed every check is remembered with its claims, keyed by its exact
//! bytes ([`token_cache`](VerifierBuilder::token_cache), 4096 entries by default). The
//! same token again skips the signature and the decoding; every claim check (`exp` and
//! the other times, the client, groups, scopes, the custom check) runs again. An entry
//! is void once its issuer's key snapshot is replaced (a refetch that changed the keys,
//! [`Verifier::load_jwks`]), so a removed key takes its cached tokens with it.
//!
//! # Key rotation
//!
//! A pool that rotates publishes its new key beside the old one, then removes the old one
//! (`userpool-local` does both on request: `LocalPool::rotate_signing_key`,
//! `retire_signing_key`). A running verifier follows without a restart:
//!
//! - The first token signed with the new key names a `kid` the cache lacks: the JWKS is
//!   fetched again and the token verifies, unless the issuer's JWKS was fetched less than
//!   the refetch interval ago (then it is [`VerifyError::UnknownKid`] until the interval
//!   has passed).
//! - While both keys are published, tokens of either verify from the cache.
//! - A removed key is forgotten at the next fetch of that JWKS, which replaces the cached
//!   keys whole: the background refetch once the keys are older than the max age, the
//!   next [`Verifier::hydrate`], or the next token with a `kid` the cache lacks. Until
//!   then the cache cannot know the key was removed, and its tokens still verify. A
//!   service that must drop a removed key sooner sets a shorter max age or calls
//!   [`Verifier::load_jwks`]. With `jwks_max_age(None)` keys are refetched for an unknown
//!   `kid` only, as `aws-jwt-verify` does.
//!
//! # Features
//!
//! - `https` (default): [`HttpsFetcher`].
//! - `test-util`: `test_util::TestKey`, fixed keys that sign test tokens.

#![warn(missing_docs)]

mod cache;
mod claims;
mod config;
mod error;
mod fetch;
#[cfg(feature = "https")]
mod https;
mod jwks;
mod jwt;
#[cfg(feature = "test-util")]
pub mod test_util;
mod token_cache;
mod verifier;

pub use async_trait::async_trait;
pub use claims::VerifiedClaims;
pub use config::{
    CustomCheck, DEFAULT_FETCH_TIMEOUT, DEFAULT_JWKS_MAX_AGE, DEFAULT_REFETCH_INTERVAL,
    DEFAULT_TOKEN_CACHE_CAPACITY, Pool, TokenUse, VerifierBuilder,
};
pub use error::{BoxError, ConfigError, EXCERPT_CHARS, JwksError, VerifyError};
pub use fetch::JwksFetcher;
#[cfg(feature = "https")]
pub use https::HttpsFetcher;
pub use jwks::DEFAULT_MAX_JWKS_BYTES;
pub use jwt::DEFAULT_MAX_TOKEN_BYTES;
pub use verifier::Verifier;
