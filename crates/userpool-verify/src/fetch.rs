//! How a JWKS is fetched: the [`JwksFetcher`] trait. The verifier knows no HTTP client;
//! [`HttpsFetcher`](crate::HttpsFetcher) (feature `https`) is the default one, and a
//! service can bring its own (its HTTP client, a proxy, a file, a test's fake).

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::JwksError;

/// Fetches a JWKS document.
///
/// The verifier calls it only when an issuer's keys are needed and not cached (at
/// [`Verifier::hydrate`](crate::Verifier::hydrate), on the first token of an issuer, on an
/// unknown `kid`), at most once per
/// [`refetch_interval`](crate::VerifierBuilder::refetch_interval) per issuer, one call at a
/// time per issuer (concurrent callers wait for that call and share its outcome), and
/// bounded by [`fetch_timeout`](crate::VerifierBuilder::fetch_timeout). The URL is always
/// one of the configured pools', never one read from a token.
///
/// ```
/// use userpool_verify::{JwksError, JwksFetcher, async_trait};
///
/// /// Serves one JWKS, whatever the URL.
/// #[derive(Debug)]
/// struct Fixed(String);
///
/// #[async_trait]
/// impl JwksFetcher for Fixed {
///     async fn fetch(&self, _jwks_uri: &str, max_bytes: usize) -> Result<Vec<u8>, JwksError> {
///         if self.0.len() > max_bytes {
///             return Err(JwksError::TooLarge { limit: max_bytes });
///         }
///         Ok(self.0.clone().into_bytes())
///     }
/// }
/// ```
#[async_trait]
pub trait JwksFetcher: Send + Sync + std::fmt::Debug {
    /// The body of `jwks_uri` (an answer of status 200), at most `max_bytes` long: stop
    /// reading past it and answer [`JwksError::TooLarge`].
    async fn fetch(&self, jwks_uri: &str, max_bytes: usize) -> Result<Vec<u8>, JwksError>;
}

#[async_trait]
impl<T: JwksFetcher + ?Sized> JwksFetcher for Arc<T> {
    async fn fetch(&self, jwks_uri: &str, max_bytes: usize) -> Result<Vec<u8>, JwksError> {
        (**self).fetch(jwks_uri, max_bytes).await
    }
}
