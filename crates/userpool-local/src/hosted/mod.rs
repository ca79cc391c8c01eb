//! Hosted sign-in (OAuth 2.0 and OpenID Connect), on the local pool's own address.
//!
//! Cognito serves these endpoints on the pool's domain
//! (`https://<prefix>.auth.<region>.amazoncognito.com/oauth2/authorize`). One local server
//! serves every pool, and a name such as `my-app.localhost` does not resolve for most HTTP
//! clients, so the domain is the first segment of the path instead: the pool with the
//! domain `my-app` answers `http://127.0.0.1:9229/my-app/oauth2/authorize`, and
//! `http://127.0.0.1:9229/my-app` is its **domain base URL** (what an app configures where
//! it would configure `https://my-app.auth.<region>.amazoncognito.com`). A custom domain
//! (`auth.example.com`) is a path segment too. Domain prefixes have no `_` and pool ids
//! always do, so `/<domain>/oauth2/...` never meets `/<pool id>/.well-known/...`.
//!
//! - [`grants`]: authorization codes, single use and short-lived.

pub(crate) mod grants;

use std::sync::Arc;

use axum::Router;

use crate::state::State;

/// The routes of the hosted endpoints, merged into the server's router.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
}
