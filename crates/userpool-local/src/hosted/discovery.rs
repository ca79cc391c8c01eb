//! `GET /{pool_id}/.well-known/openid-configuration`: the pool's OpenID Provider metadata
//! (OpenID Connect Discovery 1.0 §3), where Cognito serves it, under the issuer.
//!
//! Every pool has the issuer, the JWKS and what its tokens are; a pool with a domain also
//! has the hosted endpoints under its domain base URL, the members Cognito's document
//! lists for them: `authorization_endpoint`, `token_endpoint`, `userinfo_endpoint`,
//! `revocation_endpoint` and `end_session_endpoint` (the `/logout` endpoint).

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use userpool_types::claims as claim;

use crate::error::ApiError;
use crate::server::error_response;
use crate::state::State;
use crate::store;

/// The document for pool `pool_id`, issued by `issuer`, with the endpoints under
/// `domain_base` when the pool has a domain.
pub(crate) fn document(issuer: &str, domain_base: Option<&str>) -> Value {
    let mut doc = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}{}", claim::JWKS_PATH),
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "email", "email_verified", "phone_number", "phone_number_verified", "cognito:username"],
    });
    if let Some(base) = domain_base {
        let endpoints = [
            ("authorization_endpoint", "/oauth2/authorize"),
            ("token_endpoint", "/oauth2/token"),
            ("userinfo_endpoint", "/oauth2/userInfo"),
            ("revocation_endpoint", "/oauth2/revoke"),
            ("end_session_endpoint", "/logout"),
        ];
        for (name, path) in endpoints {
            doc[name] = json!(format!("{base}{path}"));
        }
    }
    doc
}

/// Token verifiers and OIDC libraries in pages fetch the document cross-origin, as from
/// Cognito: every answer allows any origin.
fn any_origin(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// The discovery endpoint.
pub(crate) async fn openid_configuration(
    AxState(state): AxState<Arc<State>>,
    pool_id: Result<Path<String>, PathRejection>,
) -> Response {
    let pool_id = match pool_id {
        Ok(Path(id)) => id,
        Err(e) => {
            let text: String = e
                .to_string()
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            return any_origin(error_response(&ApiError::invalid_parameter(format!(
                "The user pool id could not be read: {text}"
            ))));
        }
    };
    let answer = async {
        let pool = state.pool(&pool_id).await?;
        let id = pool.id.clone();
        let domain = state
            .store
            .read(move |c| store::domain_of_pool(c, &id))
            .await?;
        let base = domain.map(|d| super::domain::base_url(&state, &d.domain));
        Ok::<_, ApiError>(document(&state.issuer(&pool.id), base.as_deref()))
    }
    .await;
    any_origin(match answer {
        Ok(doc) => {
            let mut resp = (StatusCode::OK, doc.to_string()).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Err(e) => error_response(&e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoints_come_with_a_domain() {
        let bare = document("http://h/p_1", None);
        assert_eq!(bare["jwks_uri"], "http://h/p_1/.well-known/jwks.json");
        assert!(bare.get("token_endpoint").is_none());
        let hosted = document("http://h/p_1", Some("http://h/my-app"));
        assert_eq!(
            hosted["authorization_endpoint"],
            "http://h/my-app/oauth2/authorize"
        );
        assert_eq!(hosted["token_endpoint"], "http://h/my-app/oauth2/token");
        assert_eq!(
            hosted["userinfo_endpoint"],
            "http://h/my-app/oauth2/userInfo"
        );
        assert_eq!(
            hosted["revocation_endpoint"],
            "http://h/my-app/oauth2/revoke"
        );
        assert_eq!(hosted["end_session_endpoint"], "http://h/my-app/logout");
    }
}
