//! The answers of the endpoints an app calls directly (`/oauth2/token`, `/oauth2/revoke`,
//! `/oauth2/userInfo`): RFC 6749 §5.2 error bodies, RFC 6750 §3 bearer challenges, the
//! headers RFC 6749 §5.1 asks of token answers, and CORS.
//!
//! Cognito answers these endpoints to pages of any origin (single-page apps redeem their
//! codes from the browser), without credentials: every answer here carries
//! `Access-Control-Allow-Origin: *`, and [`preflight`] answers their `OPTIONS`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An RFC 6749 §5.2 error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// RFC 7009 §2.2.1: the revocation endpoint's answer to a token it cannot revoke.
    UnsupportedTokenType,
    /// Something failed on our side.
    ServerError,
}

impl OAuthCode {
    /// The code as the `error` member spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::UnauthorizedClient => "unauthorized_client",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::InvalidScope => "invalid_scope",
            OAuthCode::UnsupportedTokenType => "unsupported_token_type",
            OAuthCode::ServerError => "server_error",
        }
    }
}

/// An error answer of the token or revocation endpoint. The description never repeats a
/// secret the request carried (a code, a token, a secret, a verifier).
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub code: OAuthCode,
    pub description: Option<&'static str>,
    /// The client authenticated with HTTP Basic: an `invalid_client` answer is then 401 with
    /// `WWW-Authenticate: Basic` (RFC 6749 §5.2 "MUST").
    pub basic: bool,
}

impl OAuthError {
    pub(crate) fn new(code: OAuthCode) -> Self {
        Self {
            code,
            description: None,
            basic: false,
        }
    }

    pub(crate) fn described(code: OAuthCode, description: &'static str) -> Self {
        Self {
            code,
            description: Some(description),
            basic: false,
        }
    }

    /// The same error, answered to a client that used HTTP Basic.
    pub(crate) fn via_basic(mut self, basic: bool) -> Self {
        self.basic = basic;
        self
    }

    /// The HTTP status: 401 for `invalid_client` (RFC 6749 §5.2 allows it always and
    /// requires it after Basic; Cognito documents 401 for the revocation endpoint's), 500
    /// for `server_error`, 400 otherwise.
    pub(crate) fn status(&self) -> StatusCode {
        match self.code {
            OAuthCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn body(&self) -> Value {
        let mut body = json!({ "error": self.code.as_str() });
        if let Some(d) = self.description {
            body["error_description"] = json!(d);
        }
        body
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut resp = json_answer(self.status(), &self.body());
        if self.code == OAuthCode::InvalidClient && self.basic {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth2\""),
            );
        }
        resp
    }
}

/// A failure of ours, as the token endpoint answers it (the cause is logged, not told).
pub(crate) fn server_error(e: &crate::error::ApiError) -> OAuthError {
    tracing::warn!(error = %e.message(), "hosted token endpoint failed");
    OAuthError::new(OAuthCode::ServerError)
}

/// A JSON answer with the headers every answer of these endpoints carries: no caching
/// (RFC 6749 §5.1: `Cache-Control: no-store`, `Pragma: no-cache`), any origin.
pub(crate) fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    no_store(h);
    resp
}

/// An empty 200 answer (the revocation endpoint's success), with the same headers.
pub(crate) fn empty_answer() -> Response {
    let mut resp = StatusCode::OK.into_response();
    no_store(resp.headers_mut());
    resp
}

fn no_store(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// The CORS preflight of the token, userInfo and revocation endpoints: any origin, the
/// headers those requests need (`Authorization` for Basic and Bearer, `Content-Type` for
/// the form), no credentials.
pub(crate) async fn preflight() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    resp
}

/// A refusal of the userInfo endpoint (RFC 6750 §3): `WWW-Authenticate: Bearer` with the
/// error, as Cognito documents it; `error` is `None` when the request carried no token at
/// all (RFC 6750 §3.1: no error code then).
pub(crate) fn bearer_error(
    status: StatusCode,
    error: Option<&'static str>,
    description: Option<&'static str>,
) -> Response {
    let mut challenge = String::from("Bearer realm=\"oauth2\"");
    if let Some(e) = error {
        challenge.push_str(&format!(", error=\"{e}\""));
    }
    if let Some(d) = description {
        challenge.push_str(&format!(", error_description=\"{d}\""));
    }
    let mut body = json!({});
    if let Some(e) = error {
        body["error"] = json!(e);
    }
    if let Some(d) = description {
        body["error_description"] = json!(d);
    }
    let mut resp = json_answer(status, &body);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_401_and_challenges_basic_only_after_basic() {
        let plain = OAuthError::new(OAuthCode::InvalidClient).into_response();
        assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
        assert!(plain.headers().get(header::WWW_AUTHENTICATE).is_none());
        let basic = OAuthError::new(OAuthCode::InvalidClient)
            .via_basic(true)
            .into_response();
        let challenge = basic.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert!(challenge.to_str().unwrap().starts_with("Basic"));
        let grant = OAuthError::new(OAuthCode::InvalidGrant)
            .via_basic(true)
            .into_response();
        assert_eq!(grant.status(), StatusCode::BAD_REQUEST);
        assert!(grant.headers().get(header::WWW_AUTHENTICATE).is_none());
        assert_eq!(
            grant.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
        assert_eq!(grant.headers().get(header::PRAGMA).unwrap(), "no-cache");
    }
}
