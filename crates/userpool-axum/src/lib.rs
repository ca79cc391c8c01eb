//! axum glue for [`userpool_verify`]: `Authorization: Bearer <token>` to verified claims.
//!
//! Two ways, which mix:
//!
//! - [`VerifyLayer`] on a router (or `route_layer` on some routes): every request is
//!   verified before the handler runs; a refused one is answered by the layer, and a
//!   handler reads the claims with the [`Verified`] extractor.
//! - [`Verified`] alone, with the [`Verifier`] given as an `axum::Extension`: the handlers
//!   that take it are protected, the others are not.
//!
//! ```no_run
//! use axum::{Extension, Router, routing::get};
//! use userpool_axum::{InGroup, Verified, VerifyLayer, group};
//! use userpool_verify::{Pool, TokenUse, Verifier};
//!
//! group!(Admins = "admins");
//!
//! async fn me(Verified(claims): Verified) -> String {
//!     format!("hello {}", claims.sub())
//! }
//!
//! async fn admin(InGroup(claims, ..): InGroup<Admins>) -> String {
//!     format!("{} is an admin", claims.sub())
//! }
//!
//! # fn app() -> Result<Router, Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .pool(Pool::cognito("eu-west-1_AbCdEfGhI")?.token_use(TokenUse::Access).client_id("7abc"))
//!     .build()?;
//! let app = Router::new()
//!     .route("/me", get(me))
//!     .route("/admin", get(admin))
//!     .layer(VerifyLayer::new(verifier));
//! # Ok(app) }
//! ```
//!
//! # Answers
//!
//! A refused request is answered without echoing the token (RFC 6750):
//!
//! - no `Authorization: Bearer` header: `401`, `WWW-Authenticate: Bearer`;
//! - a token refused by the verifier: `401`, `WWW-Authenticate: Bearer
//!   error="invalid_token", error_description="<the check's fixed description>"`;
//! - a valid token without a required group or scope: `403`, `error="insufficient_scope"`;
//! - the issuer's JWKS cannot be fetched: `503` (the service cannot check, the token may
//!   be fine);
//! - no verifier configured: `500`.
//!
//! Refusals are logged at `debug` (target `userpool_axum`), with the check's text.

#![warn(missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use tower::{Layer, Service};
use userpool_verify::{VerifiedClaims, Verifier, VerifyError};

pub use userpool_verify;

/// The verified claims of the request's bearer token.
///
/// Taken from the request's extensions when a [`VerifyLayer`] verified the request;
/// otherwise the token is verified here with the [`Verifier`] of the request's
/// extensions (`axum::Extension(verifier)`). As `Option<Verified>`, a request without an
/// `Authorization` header gives `None`, and a refused token is still refused.
#[derive(Clone, Debug)]
pub struct Verified(pub VerifiedClaims);

impl Verified {
    /// Refuses with 403 unless the user is in group `name`.
    pub fn require_group(&self, name: &str) -> Result<(), AuthRejection> {
        if self.0.has_group(name) {
            Ok(())
        } else {
            Err(AuthRejection::Refused(VerifyError::MissingGroup {
                required: vec![name.to_owned()],
            }))
        }
    }

    /// Refuses with 403 unless the token has scope `name`.
    pub fn require_scope(&self, name: &str) -> Result<(), AuthRejection> {
        if self.0.has_scope(name) {
            Ok(())
        } else {
            Err(AuthRejection::Refused(VerifyError::MissingScope {
                required: vec![name.to_owned()],
            }))
        }
    }
}

/// Why a request was refused; its response is described in the [crate docs](crate).
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No `Authorization: Bearer` header.
    MissingToken,
    /// The verifier refused the token (or could not check it).
    Refused(VerifyError),
    /// Neither a [`VerifyLayer`] nor a [`Verifier`] extension is in front of the handler.
    NoVerifier,
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingToken => f.write_str("no bearer token"),
            Self::Refused(e) => write!(f, "{e}"),
            Self::NoVerifier => f.write_str("no verifier is configured for this route"),
        }
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Refused(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl From<VerifyError> for AuthRejection {
    fn from(error: VerifyError) -> Self {
        Self::Refused(error)
    }
}

/// `Bearer error="<code>", error_description="<text>"`. The description is one of the
/// verifier's fixed texts, so it needs no escaping and holds nothing of the token.
fn challenge(code: &str, description: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "Bearer error=\"{code}\", error_description=\"{description}\""
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let (status, www_authenticate, body) = match &self {
            Self::MissingToken => (
                StatusCode::UNAUTHORIZED,
                Some(HeaderValue::from_static("Bearer")),
                "a bearer token is required",
            ),
            Self::Refused(e) if e.is_unavailable() => (
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "the token cannot be checked now",
            ),
            Self::Refused(e) if e.is_insufficient() => (
                StatusCode::FORBIDDEN,
                Some(challenge("insufficient_scope", e.description())),
                e.description(),
            ),
            Self::Refused(e) => (
                StatusCode::UNAUTHORIZED,
                Some(challenge("invalid_token", e.description())),
                e.description(),
            ),
            Self::NoVerifier => (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "no verifier is configured",
            ),
        };
        tracing::debug!(status = status.as_u16(), reason = %self, "bearer token refused");
        let mut response = (status, body).into_response();
        if let Some(value) = www_authenticate {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 7235);
/// `None` without the header. Another scheme, or a value that is not text, counts as
/// no bearer token.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<S: Send + Sync> FromRequestParts<S> for Verified {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await?
            .ok_or(AuthRejection::MissingToken)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Verified {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if let Some(claims) = parts.extensions.get::<VerifiedClaims>() {
            return Ok(Some(Self(claims.clone())));
        }
        let Some(token) = bearer(&parts.headers) else {
            return Ok(None);
        };
        let verifier = parts
            .extensions
            .get::<Verifier>()
            .ok_or(AuthRejection::NoVerifier)?;
        Ok(Some(Self(verifier.verify(token).await?)))
    }
}

/// A group name known at compile time, for [`InGroup`]: see [`group!`].
pub trait Group {
    /// The group's name in `cognito:groups`.
    const NAME: &'static str;
}

/// A scope known at compile time, for [`WithScope`]: see [`scope!`].
pub trait Scope {
    /// The scope, as in `scope`.
    const NAME: &'static str;
}

/// Declares a [`Group`]: `group!(Admins = "admins");` then `InGroup<Admins>`.
#[macro_export]
macro_rules! group {
    ($(#[$meta:meta])* $vis:vis $name:ident = $group:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug)]
        $vis struct $name;
        impl $crate::Group for $name {
            const NAME: &'static str = $group;
        }
    };
}

/// Declares a [`Scope`]: `scope!(OrdersWrite = "orders/write");` then
/// `WithScope<OrdersWrite>`.
#[macro_export]
macro_rules! scope {
    ($(#[$meta:meta])* $vis:vis $name:ident = $scope:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug)]
        $vis struct $name;
        impl $crate::Scope for $name {
            const NAME: &'static str = $scope;
        }
    };
}

/// The verified claims of a user in group `G` (403 otherwise).
#[derive(Clone, Debug)]
pub struct InGroup<G>(pub VerifiedClaims, pub PhantomData<G>);

impl<S: Send + Sync, G: Group> FromRequestParts<S> for InGroup<G> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verified = <Verified as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        verified.require_group(G::NAME)?;
        Ok(Self(verified.0, PhantomData))
    }
}

/// The verified claims of a token with scope `T` (403 otherwise).
#[derive(Clone, Debug)]
pub struct WithScope<T>(pub VerifiedClaims, pub PhantomData<T>);

impl<S: Send + Sync, T: Scope> FromRequestParts<S> for WithScope<T> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verified = <Verified as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        verified.require_scope(T::NAME)?;
        Ok(Self(verified.0, PhantomData))
    }
}

/// A tower layer that verifies every request's bearer token and puts its
/// [`VerifiedClaims`] in the request's extensions; a refused request gets the
/// [`AuthRejection`] response and never reaches the service.
#[derive(Clone, Debug)]
pub struct VerifyLayer {
    verifier: Verifier,
}

impl VerifyLayer {
    /// Verifies with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }
}

impl<S> Layer<S> for VerifyLayer {
    type Service = VerifyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service of [`VerifyLayer`].
#[derive(Clone, Debug)]
pub struct VerifyService<S> {
    inner: S,
    verifier: Verifier,
}

impl<S, B> Service<Request<B>> for VerifyService<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The service that was polled ready handles this request; the clone waits for the
        // next one (tower's rule for services called from a future).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            let verified = match bearer(request.headers()) {
                None => Err(AuthRejection::MissingToken),
                Some(token) => verifier.verify(token).await.map_err(AuthRejection::from),
            };
            match verified {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    inner.call(request).await
                }
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bearer_token() {
        let headers = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            h
        };
        assert_eq!(bearer(&headers("Bearer abc.def.ghi")), Some("abc.def.ghi"));
        assert_eq!(bearer(&headers("bearer  abc")), Some("abc"));
        assert_eq!(bearer(&headers("Basic YTpi")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&headers("Bearer")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
