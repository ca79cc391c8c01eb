//! The HTTP side: `POST /` with `X-Amz-Target`, the JWKS and OpenID configuration, the
//! outbox endpoint; request checks (content type, target, size, JSON) and Cognito-style
//! error answers, including for panics.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::ops;
use crate::protocol::{CONTENT_TYPE, TARGET_PREFIX};
use crate::state::State;
use crate::util;

/// Largest request body accepted.
pub(crate) const MAX_BODY: usize = 256 * 1024;

/// The router of the local pool.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", post(api).get(index).options(preflight))
        .route("/_local/outbox", get(outbox))
        .route("/{pool_id}/.well-known/jwks.json", get(jwks))
        .route(
            "/{pool_id}/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .fallback(not_found)
        .with_state(state)
}

fn json_response(status: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&util::uuid_v4().unwrap_or_default()) {
        h.insert("x-amzn-requestid", v);
    }
    cors(h);
    resp
}

/// Browsers (Amplify, amazon-cognito-identity-js in a page) call Cognito cross-origin.
fn cors(h: &mut HeaderMap) {
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
    );
}

/// The CORS preflight of `POST /`.
async fn preflight() -> Response {
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    cors(h);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, GET, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    resp
}

/// The answer for an error: JSON body, `x-amzn-ErrorType` header.
pub(crate) fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = json_response(status, e.body(), CONTENT_TYPE);
    if let Ok(v) = HeaderValue::from_str(e.kind()) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

fn content_type_ok(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        // Some hand-written clients send none; the target header is what matters.
        return true;
    };
    let Ok(ct) = ct.to_str() else {
        return false;
    };
    let base = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    base == CONTENT_TYPE || base == "application/x-amz-json-1.0" || base == "application/json"
}

async fn api(AxState(state): AxState<Arc<State>>, headers: HeaderMap, body: Body) -> Response {
    match api_inner(state, headers, body).await {
        Ok(v) => json_response(StatusCode::OK, v.to_string(), CONTENT_TYPE),
        Err(e) => error_response(&e),
    }
}

async fn api_inner(state: Arc<State>, headers: HeaderMap, body: Body) -> Result<Value, ApiError> {
    let Some(target) = headers.get("x-amz-target") else {
        return Err(ApiError::new(
            "UnknownOperationException",
            "Missing X-Amz-Target header: expected AWSCognitoIdentityProviderService.<Operation>",
        ));
    };
    let op = target
        .to_str()
        .ok()
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .filter(|op| !op.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(
                "UnknownOperationException",
                "X-Amz-Target must be AWSCognitoIdentityProviderService.<Operation>",
            )
        })?;
    if !content_type_ok(&headers) {
        return Err(ApiError::serialization(format!(
            "Unsupported content type: expected {CONTENT_TYPE}"
        )));
    }
    let too_large = || {
        ApiError::with_status(
            "RequestEntityTooLargeException",
            format!("Request body larger than {MAX_BODY} bytes."),
            413,
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > MAX_BODY
    {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| too_large())?;
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::serialization(format!("The request body is not valid JSON: {e}"))
        })?
    };
    run_catching(async move { ops::call(&state, &op, &value).await }).await
}

/// Runs an operation in its own task so that a panic becomes a JSON 500
/// (`InternalErrorException`), not a dropped connection.
async fn run_catching<F>(operation: F) -> Result<Value, ApiError>
where
    F: std::future::Future<Output = Result<Value, ApiError>> + Send + 'static,
{
    match tokio::spawn(operation).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => {
            tracing::error!("operation panicked");
            Err(ApiError::with_status(
                "InternalErrorException",
                "An internal error occurred in the local user pool.",
                500,
            ))
        }
        Err(_) => Err(ApiError::internal("operation cancelled")),
    }
}

async fn index() -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "service": "userpool-local",
            "protocol": "POST / with X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>",
            "outbox": "/_local/outbox",
        })
        .to_string(),
        "application/json",
    )
}

async fn jwks(AxState(state): AxState<Arc<State>>, Path(pool_id): Path<String>) -> Response {
    match state.pool(&pool_id).await {
        Ok(pool) => json_response(
            StatusCode::OK,
            json!({ "keys": [pool.key.jwk()] }).to_string(),
            "application/json",
        ),
        Err(e) => error_response(&e),
    }
}

async fn openid_configuration(
    AxState(state): AxState<Arc<State>>,
    Path(pool_id): Path<String>,
) -> Response {
    match state.pool(&pool_id).await {
        Ok(pool) => {
            let iss = state.issuer(&pool.id);
            json_response(
                StatusCode::OK,
                json!({
                    "issuer": iss,
                    "jwks_uri": format!("{iss}/.well-known/jwks.json"),
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "subject_types_supported": ["public"],
                    "response_types_supported": ["code", "token"],
                    "scopes_supported": ["openid", "email", "phone", "profile"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "email", "email_verified", "phone_number", "phone_number_verified", "cognito:username"],
                })
                .to_string(),
                "application/json",
            )
        }
        Err(e) => error_response(&e),
    }
}

#[derive(serde::Deserialize)]
struct OutboxQuery {
    pool: Option<String>,
    username: Option<String>,
}

async fn outbox(AxState(state): AxState<Arc<State>>, Query(q): Query<OutboxQuery>) -> Response {
    let records: Vec<Value> = state
        .outbox
        .filtered(q.pool.as_deref(), q.username.as_deref())
        .iter()
        .map(|r| r.to_json())
        .collect();
    json_response(
        StatusCode::OK,
        json!({ "records": records }).to_string(),
        "application/json",
    )
}

async fn not_found() -> Response {
    error_response(&ApiError::with_status(
        "ResourceNotFoundException",
        "No such path on the local user pool. The API is POST / with X-Amz-Target.",
        404,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_operation_answers_a_json_500() {
        let result = run_catching(async {
            let v: Option<Value> = None;
            #[allow(clippy::unnecessary_literal_unwrap)]
            Ok(v.expect("boom"))
        })
        .await;
        let e = result.unwrap_err();
        assert_eq!(e.status(), 500);
        let resp = error_response(&e);
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers().get("x-amzn-errortype").unwrap(),
            "InternalErrorException"
        );
        assert_eq!(
            resp.headers().get(header::CONTENT_TYPE).unwrap(),
            CONTENT_TYPE
        );
        let body: Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(body["__type"], "InternalErrorException");
    }
}
