//! `GET|POST /{domain}/oauth2/userInfo`: the signed-in user's attributes, as far as the
//! access token's scopes allow (OpenID Connect Core §5.3).
//!
//! Cognito's rules (its userInfo endpoint documentation): the token must carry `openid`
//! (the API's tokens carry only `aws.cognito.signin.user.admin`, and are refused);
//! `openid` alone answers every attribute the app client may read; otherwise `sub` and
//! `username` plus, per scope, `email` → `email`, `email_verified`; `phone` →
//! `phone_number`, `phone_number_verified`; `profile` → the OIDC profile claims and the
//! custom attributes. `aws.cognito.signin.user.admin` changes nothing here. Every value
//! is a string, Booleans too (`"email_verified": "true"`), as Cognito answers them.
//! Attributes the client may not read are never answered.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::oauth_error::{bearer_error, json_answer};
use super::token::resolve_domain;
use crate::attributes;
use crate::ops::session;
use crate::state::State;
use crate::store::User;

/// The standard claims the `profile` scope answers (OpenID Connect Core §5.4, as Cognito
/// lists them for its userInfo endpoint).
const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];

/// Cognito's description of a refused token.
const INVALID_TOKEN: &str =
    "Access token is expired, disabled, or deleted, or the user has globally signed out.";

/// Whether attribute `name` is answered for `scopes` (which include `openid`).
fn scope_allows(scopes: &[String], name: &str) -> bool {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let narrowing = ["email", "phone", "profile"];
    if !narrowing.iter().any(|s| has(s)) {
        return true;
    }
    match name {
        "sub" => true,
        "email" | "email_verified" => has("email"),
        "phone_number" | "phone_number_verified" => has("phone"),
        n if n.starts_with("custom:") || PROFILE_CLAIMS.contains(&n) => has("profile"),
        _ => false,
    }
}

/// The answer's members for `user`, readable by the client and allowed by `scopes`.
pub(crate) fn user_info(
    user: &User,
    client: &crate::config::ClientConfig,
    scopes: &[String],
) -> Map<String, Value> {
    let mut info = Map::new();
    for (name, value) in user.all_attrs() {
        if attributes::client_may_read(Some(client), name) && scope_allows(scopes, name) {
            info.insert(name.to_owned(), json!(value));
        }
    }
    info.insert("username".into(), json!(user.username));
    info
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The userInfo endpoint.
pub(crate) async fn user_info_endpoint(
    AxState(state): AxState<Arc<State>>,
    domain: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let hosted = match resolve_domain(&state, domain).await {
        Ok(h) => h,
        Err(resp) => return resp,
    };
    let Some(token) = bearer_token(&headers) else {
        // RFC 6750 §3.1: a request without a token is told how to authenticate, with no
        // error code.
        return bearer_error(StatusCode::UNAUTHORIZED, None, None);
    };
    let refused = || {
        bearer_error(
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            Some(INVALID_TOKEN),
        )
    };
    let Ok(authed) = session::authenticate_any_scope(&state, token).await else {
        return refused();
    };
    // A token of another pool is not one this domain issued.
    if authed.pool.id != hosted.pool.id || !authed.scopes.iter().any(|s| s == session::OPENID_SCOPE)
    {
        return refused();
    }
    let info = user_info(&authed.user, &authed.client.config, &authed.scopes);
    json_answer(StatusCode::OK, &Value::Object(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn openid_alone_answers_everything_and_other_scopes_narrow() {
        let all = scopes("openid");
        assert!(scope_allows(&all, "address"));
        assert!(scope_allows(&all, "custom:tier"));
        let email = scopes("openid email aws.cognito.signin.user.admin");
        assert!(scope_allows(&email, "sub"));
        assert!(scope_allows(&email, "email_verified"));
        assert!(!scope_allows(&email, "phone_number"));
        assert!(!scope_allows(&email, "given_name"));
        let profile = scopes("openid profile");
        assert!(scope_allows(&profile, "given_name"));
        assert!(scope_allows(&profile, "custom:tier"));
        assert!(!scope_allows(&profile, "email"));
        let phone = scopes("openid phone");
        assert!(scope_allows(&phone, "phone_number_verified"));
        assert!(!scope_allows(&phone, "address"));
    }
}
