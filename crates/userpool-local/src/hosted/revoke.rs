//! `POST /{domain}/oauth2/revoke` (RFC 7009): ends a refresh token's session, the refresh
//! token and every access token issued with it, through RevokeToken's own logic.
//!
//! Cognito's documented answers: 200 with an empty body when the token was revoked and
//! also when it is unknown or another client's (RFC 7009 §2.2); `invalid_request` (400)
//! without a `token` or when the app client has token revocation off
//! (`EnableTokenRevocation`); `unsupported_token_type` (400) for a token that is not a
//! refresh token (a JWT); `invalid_client` (401) for bad client credentials. The client
//! authenticates as at the token endpoint.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::oauth_error::{OAuthCode, OAuthError, empty_answer, server_error};
use super::token::{authenticate_client, read_form, resolve_domain};
use crate::error::ExceptionName;
use crate::ops;
use crate::state::State;

/// The revocation endpoint.
pub(crate) async fn revoke(
    AxState(state): AxState<Arc<State>>,
    domain: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let hosted = match resolve_domain(&state, domain).await {
        Ok(h) => h,
        Err(resp) => return resp,
    };
    let answer = async {
        let form = read_form(&state, &headers, body).await?;
        let authed = authenticate_client(&state, &hosted, &headers, &form).await?;
        let basic = authed.basic;
        let token = form.get("token").ok_or_else(|| {
            OAuthError::described(OAuthCode::InvalidRequest, "token is missing").via_basic(basic)
        })?;
        if !authed.client.config.enable_token_revocation {
            return Err(OAuthError::described(
                OAuthCode::InvalidRequest,
                "Token revocation is not enabled for the client",
            )
            .via_basic(basic));
        }
        ops::user::revoke_refresh_token(&state, &authed.client, token)
            .await
            .map_err(|e| {
                if e.exception() == ExceptionName::UnsupportedTokenType {
                    OAuthError::new(OAuthCode::UnsupportedTokenType)
                } else {
                    server_error(&e)
                }
            })
    }
    .await;
    match answer {
        Ok(()) => empty_answer(),
        Err(e) => e.into_response(),
    }
}
