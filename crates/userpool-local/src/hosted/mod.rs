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
//! - [`domain`]: the `{domain}` segment to its pool, the domain base URL, the OAuth client
//!   checks and the granted scopes, shared by every endpoint.
//! - [`issue`]: the tokens of a hosted sign-in, minted as the API's are.
//! - [`authorize`]: `/oauth2/authorize`, and the redirect that ends every sign-in.
//! - [`login`]: the sign-in form and the pages after it; [`pages`]: their HTML.
//! - [`cookie`]: the hosted session, the sign-ins in progress, the CSRF token.
//! - [`logout`] serves `/logout`.
//! - [`token`]: `/oauth2/token` (with the form and client authentication the direct
//!   endpoints share); [`userinfo`]: `/oauth2/userInfo`; [`revoke`]: `/oauth2/revoke`;
//!   [`oauth_error`]: their RFC 6749 / RFC 6750 answers and CORS.
//! - [`discovery`]: the OpenID configuration document of a pool.

pub(crate) mod authorize;
pub(crate) mod cookie;
pub(crate) mod discovery;
pub(crate) mod domain;
pub(crate) mod grants;
pub(crate) mod issue;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod oauth_error;
pub(crate) mod pages;
pub(crate) mod revoke;
pub(crate) mod token;
pub(crate) mod userinfo;

use std::sync::Arc;

use axum::Router;

use crate::state::State;

/// The routes of the hosted endpoints, merged into the server's router.
pub(crate) fn routes() -> Router<Arc<State>> {
    use axum::routing::get;
    Router::new()
        // The browser side: authorize, the sign-in pages, logout.
        .route("/{domain}/oauth2/authorize", get(authorize::authorize))
        .route(
            "/{domain}/login",
            get(login::login_page).post(login::login_submit),
        )
        .route(
            "/{domain}/newPassword",
            axum::routing::post(login::new_password_submit),
        )
        .route("/{domain}/mfa", axum::routing::post(login::mfa_submit))
        .route(
            "/{domain}/confirm",
            axum::routing::post(login::confirm_submit),
        )
        .route(
            "/{domain}/forgotPassword",
            get(login::forgot_page).post(login::forgot_submit),
        )
        .route(
            "/{domain}/confirmForgotPassword",
            axum::routing::post(login::reset_submit),
        )
        .route("/{domain}/logout", get(logout::logout))
        // The endpoints an app calls directly, from any origin (see `oauth_error`).
        .route(
            "/{domain}/oauth2/token",
            axum::routing::post(token::token).options(oauth_error::preflight),
        )
        .route(
            "/{domain}/oauth2/userInfo",
            get(userinfo::user_info_endpoint)
                .post(userinfo::user_info_endpoint)
                .options(oauth_error::preflight),
        )
        .route(
            "/{domain}/oauth2/revoke",
            axum::routing::post(revoke::revoke).options(oauth_error::preflight),
        )
}
