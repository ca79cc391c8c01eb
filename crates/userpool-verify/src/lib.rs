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
//! unknown `kid`s are refused at once. Callers that miss during a fetch wait for it and
//! share its outcome. A JWKS can also be given at start-up ([`Pool::jwks`]) or later
//! ([`Verifier::load_jwks`]), and a verifier can be [`offline`](VerifierBuilder::offline).
//!
//! Once warm, a verification does no I/O and takes no lock: the keys are an immutable
//! snapshot behind an `arc_swap::ArcSwap`, read with one atomic load and replaced whole by
//! a refetch; the refetch's async mutex is taken only on a miss.
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
//!   keys whole: the next [`Verifier::hydrate`] or the next token with a `kid` the cache
//!   lacks. Until then the cache cannot know the key was removed, and its tokens still
//!   verify (as with `aws-jwt-verify`, whose cache also refetches only for an unknown
//!   `kid`). A service that must drop a removed key sooner calls [`Verifier::hydrate`]
//!   periodically (at most one fetch per interval is made) or [`Verifier::load_jwks`].
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
mod verifier;

pub use async_trait::async_trait;
pub use claims::VerifiedClaims;
pub use config::{
    CustomCheck, DEFAULT_FETCH_TIMEOUT, DEFAULT_REFETCH_INTERVAL, Pool, TokenUse, VerifierBuilder,
};
pub use error::{BoxError, ConfigError, EXCERPT_CHARS, JwksError, VerifyError};
pub use fetch::JwksFetcher;
#[cfg(feature = "https")]
pub use https::HttpsFetcher;
pub use jwks::DEFAULT_MAX_JWKS_BYTES;
pub use jwt::DEFAULT_MAX_TOKEN_BYTES;
pub use verifier::Verifier;
