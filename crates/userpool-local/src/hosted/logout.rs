//! `GET /{domain}/logout`: ends the hosted session (the record and the cookie), then
//! either goes to `logout_uri` (one of the client's `LogoutURLs`, compared exactly) or,
//! in the other form Cognito documents (`redirect_uri`, `response_type`, and optionally
//! `state` and `scope` instead of `logout_uri`), to a new sign-in with those parameters.
//! An unknown client or a `logout_uri` that is not registered is an error page, never a
//! redirect.

use std::sync::Arc;

use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::authorize::{encode, hosted_error_answer, param, resolve_get};
use super::cookie;
use super::domain;
use super::pages;
use crate::state::State;

/// `GET /{domain}/logout`.
pub(crate) async fn logout(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (hosted, pairs) = match resolve_get(&state, &domain_name, &uri).await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    let Some(client_id) = param(&pairs, "client_id") else {
        return pages::error_answer(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The client_id parameter is missing.",
        );
    };
    let client = match domain::oauth_client(&state, &hosted.pool, client_id).await {
        Ok(c) => c,
        Err(e) => return hosted_error_answer(e),
    };
    let target = match (param(&pairs, "logout_uri"), param(&pairs, "redirect_uri")) {
        (Some(logout_uri), _) => {
            if !client.config.logout_urls.iter().any(|u| u == logout_uri) {
                return pages::error_answer(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The logout_uri is not one of the app client's sign-out URLs (LogoutURLs).",
                );
            }
            logout_uri.to_owned()
        }
        (None, Some(_)) => {
            // A new sign-in: the login endpoint checks these as the authorize endpoint does.
            let query = [
                "client_id",
                "redirect_uri",
                "response_type",
                "state",
                "scope",
            ]
            .iter()
            .filter_map(|n| param(&pairs, n).map(|v| format!("{n}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&");
            format!("/{}/login?{query}", hosted.domain.domain)
        }
        (None, None) => {
            return pages::error_answer(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The logout endpoint needs logout_uri, or redirect_uri and response_type.",
            );
        }
    };
    state.hosted.end_session(&headers);
    let cookies: Vec<_> = cookie::clear_session_cookie(&hosted.domain.domain)
        .into_iter()
        .collect();
    pages::redirect(&target, &cookies)
}
