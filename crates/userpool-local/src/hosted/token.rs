//! `POST /{domain}/oauth2/token`: the `authorization_code`, `refresh_token` and
//! `client_credentials` grants (RFC 6749 §4.1.3, §6, §4.4; PKCE, RFC 7636 §4.5–4.6).
//!
//! The request is an `application/x-www-form-urlencoded` body (anything else is
//! `invalid_request`); a parameter given twice is `invalid_request` (RFC 6749 §3.2), one
//! given empty counts as absent (§3.1). The client authenticates with HTTP Basic
//! (`client_id:client_secret`, each form-urlencoded first, §2.3.1) or with `client_id` and
//! `client_secret` in the body; a client without a secret names itself with `client_id`.
//! Failures are RFC 6749 §5.2 answers (see [`super::oauth_error`]).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use userpool_types::claims;

use super::domain::{self, Hosted, HostedError};
use super::grants::{CodeChallenge, CodeGrant};
use super::issue::{self, IssueRequest};
use super::oauth_error::{OAuthCode, OAuthError, json_answer, server_error};
use crate::error::{ApiError, ExceptionName};
use crate::ops;
use crate::state::{ClientRt, State};
use crate::store;
use crate::util;

/// Largest form body read: token requests are a few hundred bytes.
const MAX_FORM: usize = 64 * 1024;

/// A form body, decoded: each name at most once, empty values dropped.
pub(crate) struct Form(Vec<(String, String)>);

// By hand: the form carries codes, tokens, secrets and verifiers.
impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_tuple("Form").field(&names).finish()
    }
}

impl Form {
    /// Decodes `application/x-www-form-urlencoded` text. Undecodable text (not UTF-8 after
    /// percent-decoding) and repeated parameters are `invalid_request`.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let bad = || OAuthError::described(OAuthCode::InvalidRequest, "Malformed request body");
        let text = std::str::from_utf8(body).map_err(|_| bad())?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = form_decode(name).ok_or_else(bad)?;
            let value = form_decode(value).ok_or_else(bad)?;
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(OAuthError::described(
                    OAuthCode::InvalidRequest,
                    "A parameter is repeated",
                ));
            }
            pairs.push((name, value));
        }
        pairs.retain(|(_, v)| !v.is_empty());
        Ok(Self(pairs))
    }

    /// A parameter's value, if given (and not empty).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-decodes one form component (`+` is a space); `None` when it is not UTF-8 or a
/// `%` is not followed by two hexadecimal digits.
pub(crate) fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Reads the form of a request to an endpoint an app calls directly: the content type
/// must be `application/x-www-form-urlencoded` (parameters such as `charset` allowed), the
/// body at most [`MAX_FORM`] bytes, read within the server's body timeout.
pub(crate) async fn read_form(
    state: &State,
    headers: &HeaderMap,
    body: Body,
) -> Result<Form, OAuthError> {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(OAuthError::described(
            OAuthCode::InvalidRequest,
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let read = axum::body::to_bytes(body, MAX_FORM);
    let bytes = match tokio::time::timeout(state.access.body_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        // Too large, broken or too slow: the request is not one we can answer.
        _ => {
            return Err(OAuthError::described(
                OAuthCode::InvalidRequest,
                "The request body could not be read",
            ));
        }
    };
    Form::parse(&bytes)
}

/// The domain of the path, or the 404 answer of an unknown one.
pub(crate) async fn resolve_domain(
    state: &State,
    domain: Result<Path<String>, PathRejection>,
) -> Result<Hosted, Response> {
    let not_found = || {
        json_answer(
            StatusCode::NOT_FOUND,
            &json!({ "error": "invalid_request", "error_description": "Unknown domain" }),
        )
    };
    let Ok(Path(domain)) = domain else {
        return Err(not_found());
    };
    match domain::resolve(state, &domain).await {
        Ok(h) => Ok(h),
        Err(HostedError::Internal(e)) => Err(server_error(&e).into_response()),
        Err(_) => Err(not_found()),
    }
}

/// An app client that proved who it is.
pub(crate) struct AuthedClient {
    pub client: Arc<ClientRt>,
    /// It used HTTP Basic (so `invalid_client` answers carry `WWW-Authenticate`).
    pub basic: bool,
}

/// The `client_id` and `client_secret` of a Basic `Authorization` header; `Ok(None)` when
/// the request has no Basic header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::new(OAuthCode::InvalidClient).via_basic(true);
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    // RFC 6749 §2.3.1: both are form-urlencoded before they are joined.
    let id = form_decode(id).ok_or_else(bad)?;
    let secret = form_decode(secret).ok_or_else(bad)?;
    Ok(Some((id, secret)))
}

/// Authenticates the client of a token or revocation request: Basic, or the body's
/// `client_id` (+ `client_secret`). Both mechanisms at once is `invalid_request` (RFC 6749
/// §2.3: "MUST NOT use more than one"); an unknown client, a client of another pool, a
/// missing or wrong secret, and a secret sent for a client that has none are
/// `invalid_client`; a client that is not an OAuth client (`AllowedOAuthFlowsUserPoolClient`
/// off) is `unauthorized_client`, once it has authenticated.
pub(crate) async fn authenticate_client(
    state: &State,
    hosted: &Hosted,
    headers: &HeaderMap,
    form: &Form,
) -> Result<AuthedClient, OAuthError> {
    let (id, secret, basic) = match basic_credentials(headers)? {
        Some((id, secret)) => {
            if form.get("client_secret").is_some() {
                return Err(OAuthError::described(
                    OAuthCode::InvalidRequest,
                    "More than one client authentication method",
                ));
            }
            if form.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::new(OAuthCode::InvalidClient).via_basic(true));
            }
            (id, Some(secret), true)
        }
        None => {
            let id = form
                .get("client_id")
                .ok_or_else(|| OAuthError::new(OAuthCode::InvalidClient))?;
            (
                id.to_owned(),
                form.get("client_secret").map(str::to_owned),
                false,
            )
        }
    };
    let invalid = || OAuthError::new(OAuthCode::InvalidClient).via_basic(basic);
    let (client, oauth) = match domain::oauth_client(state, &hosted.pool, &id).await {
        Ok(c) => (c, true),
        Err(HostedError::NotOAuthClient) => {
            // Known and in this pool: it still has to prove itself before it is told more.
            let c = state.client(&id).await.map_err(|e| server_error(&e))?;
            (c, false)
        }
        Err(HostedError::Internal(e)) => return Err(server_error(&e)),
        Err(_) => return Err(invalid()),
    };
    match (client.secret.as_deref(), secret.as_deref()) {
        (Some(expected), Some(given)) if util::ct_eq(expected, given) => {}
        (None, None) => {}
        _ => return Err(invalid()),
    }
    if !oauth {
        return Err(OAuthError::described(
            OAuthCode::UnauthorizedClient,
            "The client is not enabled for OAuth",
        )
        .via_basic(basic));
    }
    Ok(AuthedClient { client, basic })
}

/// The token endpoint.
pub(crate) async fn token(
    AxState(state): AxState<Arc<State>>,
    domain: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let hosted = match resolve_domain(&state, domain).await {
        Ok(h) => h,
        Err(resp) => return resp,
    };
    match token_answer(&state, &hosted, &headers, body).await {
        Ok(body) => json_answer(StatusCode::OK, &body),
        Err(e) => e.into_response(),
    }
}

async fn token_answer(
    state: &Arc<State>,
    hosted: &Hosted,
    headers: &HeaderMap,
    body: Body,
) -> Result<Value, OAuthError> {
    let form = read_form(state, headers, body).await?;
    let authed = authenticate_client(state, hosted, headers, &form).await?;
    let basic = authed.basic;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::described(OAuthCode::InvalidRequest, "grant_type is missing"))?;
    let answer = match grant_type {
        "authorization_code" => code_grant(state, hosted, &authed.client, &form).await,
        "refresh_token" => refresh_grant(state, hosted, &authed.client, &form).await,
        "client_credentials" => {
            client_credentials_grant(state, hosted, &authed.client, &form).await
        }
        _ => Err(OAuthError::new(OAuthCode::UnsupportedGrantType)),
    };
    answer.map_err(|e| e.via_basic(basic))
}

/// RFC 7636 §4.1: `code_verifier` is 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub(crate) fn verifier_syntax_ok(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Whether `verifier` answers `challenge` (RFC 7636 §4.6), compared in constant time.
pub(crate) fn pkce_matches(challenge: &CodeChallenge, verifier: &str) -> bool {
    match challenge {
        CodeChallenge::S256(c) => util::ct_eq(&util::b64url(&util::sha256(verifier.as_bytes())), c),
        CodeChallenge::Plain(c) => util::ct_eq(verifier, c),
    }
}

/// Checks a redeemed code against the token request: the client it was issued to, the
/// same `redirect_uri`, and PKCE. A verifier sent for a code issued without a challenge
/// is refused too (OAuth 2.1 §4.1.3 asks it, against a stripped challenge); Cognito does
/// not document that case.
fn check_code(
    grant: &CodeGrant,
    pool_id: &str,
    client_id: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<(), OAuthError> {
    let invalid = |d| OAuthError::described(OAuthCode::InvalidGrant, d);
    if grant.pool_id != pool_id || grant.client_id != client_id {
        return Err(OAuthError::new(OAuthCode::InvalidGrant));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(invalid(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.challenge, verifier) {
        (Some(challenge), Some(v)) if pkce_matches(challenge, v) => Ok(()),
        (Some(_), Some(_)) => Err(invalid("code_verifier does not match the code_challenge")),
        (Some(_), None) => Err(invalid("code_verifier is required")),
        (None, Some(_)) => Err(invalid("The code was issued without a code_challenge")),
        (None, None) => Ok(()),
    }
}

/// What a failure of issuing or refreshing says to the app: the user or the session is
/// gone or refused (`invalid_grant`), or we failed (`server_error`).
fn grant_failure(e: &ApiError) -> OAuthError {
    match e.exception() {
        ExceptionName::NotAuthorized
        | ExceptionName::UserNotFound
        | ExceptionName::RefreshTokenReuse => OAuthError::new(OAuthCode::InvalidGrant),
        _ => server_error(e),
    }
}

async fn code_grant(
    state: &Arc<State>,
    hosted: &Hosted,
    client: &Arc<ClientRt>,
    form: &Form,
) -> Result<Value, OAuthError> {
    if !domain::allows_flow(client, "code") {
        return Err(OAuthError::new(OAuthCode::UnauthorizedClient));
    }
    let missing = |d| OAuthError::described(OAuthCode::InvalidRequest, d);
    let code = form.get("code").ok_or_else(|| missing("code is missing"))?;
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or_else(|| missing("redirect_uri is missing"))?;
    let verifier = form.get("code_verifier");
    if verifier.is_some_and(|v| !verifier_syntax_ok(v)) {
        return Err(missing("code_verifier is malformed"));
    }
    // Redeemed before anything else is judged: a code is good for one attempt (RFC 6749
    // §4.1.2), whatever that attempt's fate.
    let grant = state
        .grants
        .redeem(code)
        .ok_or_else(|| OAuthError::new(OAuthCode::InvalidGrant))?;
    check_code(&grant, &hosted.pool.id, &client.id, redirect_uri, verifier)?;
    let tokens = issue::issue(
        state,
        IssueRequest {
            pool: &hosted.pool,
            client,
            sub: &grant.sub,
            scopes: &grant.scopes,
            nonce: grant.nonce.as_deref(),
            auth_time: grant.auth_time,
            with_refresh: true,
        },
    )
    .await
    .map_err(|e| grant_failure(&e))?;
    Ok(tokens.token_response())
}

async fn refresh_grant(
    state: &Arc<State>,
    hosted: &Hosted,
    client: &Arc<ClientRt>,
    form: &Form,
) -> Result<Value, OAuthError> {
    let token = form.get("refresh_token").ok_or_else(|| {
        OAuthError::described(OAuthCode::InvalidRequest, "refresh_token is missing")
    })?;
    let answer = ops::refresh::oauth_refresh(state, &hosted.pool, client, token)
        .await
        .map_err(|e| {
            if e.exception() == ExceptionName::InvalidParameter {
                // The client may not refresh (ALLOW_REFRESH_TOKEN_AUTH off, no rotation).
                OAuthError::new(OAuthCode::UnauthorizedClient)
            } else {
                grant_failure(&e)
            }
        })?;
    let result = &answer["AuthenticationResult"];
    let mut body = json!({
        "access_token": result["AccessToken"],
        "token_type": "Bearer",
        "expires_in": result["ExpiresIn"],
    });
    if let Some(id) = result.get("IdToken") {
        body["id_token"] = id.clone();
    }
    // Present only when the client rotates its refresh tokens.
    if let Some(refresh) = result.get("RefreshToken") {
        body["refresh_token"] = refresh.clone();
    }
    Ok(body)
}

/// The scopes of a `client_credentials` request: only resource-server scopes
/// (`<identifier>/<name>`) the client allows and the pool still has; no `scope` means all
/// of those. A standard scope, one the client does not allow, one whose resource server
/// or scope is gone, or nothing to grant at all is `invalid_scope`.
async fn machine_scopes(
    state: &State,
    pool_id: &str,
    client: &ClientRt,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let invalid = || OAuthError::new(OAuthCode::InvalidScope);
    let explicit = requested.is_some_and(|s| s.split(' ').any(|w| !w.is_empty()));
    let granted = domain::grant_scopes(client, requested).map_err(|_| invalid())?;
    let mut custom = Vec::with_capacity(granted.len());
    for scope in granted {
        if domain::is_standard_scope(&scope) {
            if explicit {
                return Err(invalid());
            }
            continue;
        }
        custom.push(scope);
    }
    let pool_id = pool_id.to_owned();
    let wanted = custom.clone();
    let existing = state
        .store
        .read(move |c| {
            let mut existing = Vec::with_capacity(wanted.len());
            for scope in wanted {
                let Some((identifier, name)) = scope.rsplit_once('/') else {
                    continue;
                };
                if store::resource_server(c, &pool_id, identifier)?
                    .is_some_and(|s| s.scopes.iter().any(|s| s.name == name))
                {
                    existing.push(scope);
                }
            }
            Ok(existing)
        })
        .await
        .map_err(|e| server_error(&e))?;
    if (explicit && existing.len() != custom.len()) || existing.is_empty() {
        return Err(invalid());
    }
    Ok(existing)
}

async fn client_credentials_grant(
    state: &Arc<State>,
    hosted: &Hosted,
    client: &Arc<ClientRt>,
    form: &Form,
) -> Result<Value, OAuthError> {
    if client.secret.is_none() || !domain::allows_flow(client, "client_credentials") {
        return Err(OAuthError::new(OAuthCode::UnauthorizedClient));
    }
    let scopes = machine_scopes(state, &hosted.pool.id, client, form.get("scope")).await?;
    let now = util::now_secs();
    let validity =
        i64::try_from(client.config.access_validity().duration().as_secs()).unwrap_or(i64::MAX);
    let jti = util::uuid_v4().map_err(|e| server_error(&e))?;
    let claims = claims::machine_access_token(
        &client.id,
        &state.issuer(&hosted.pool.id),
        now,
        now.saturating_add(validity),
        &jti,
        &scopes,
    );
    let signer = hosted.pool.clone();
    let access_token = ops::crypto::run(move || signer.key.sign(&Value::Object(claims)))
        .await
        .map_err(|e| server_error(&e))?;
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": validity,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_and_refuse_repeats() {
        let f = Form::parse(b"a=1+2&b=%2Fx%3D&c=&d").unwrap();
        assert_eq!(f.get("a"), Some("1 2"));
        assert_eq!(f.get("b"), Some("/x="));
        assert_eq!(f.get("c"), None, "empty is absent");
        assert_eq!(f.get("d"), None);
        assert!(Form::parse(b"a=1&a=2").is_err());
        assert!(Form::parse(b"a=%zz").is_err());
        assert!(Form::parse(b"a=%ff").is_err(), "not UTF-8");
        assert!(!format!("{:?}", Form::parse(b"code=secret").unwrap()).contains("secret"));
    }

    #[test]
    fn verifier_syntax_is_rfc_7636s() {
        assert!(verifier_syntax_ok(&"a".repeat(43)));
        assert!(verifier_syntax_ok(&"-._~9Z".repeat(22)[..128]));
        assert!(!verifier_syntax_ok(&"a".repeat(42)));
        assert!(!verifier_syntax_ok(&"a".repeat(129)));
        assert!(!verifier_syntax_ok(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn pkce_s256_and_plain() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let s256 = CodeChallenge::S256("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into());
        assert!(pkce_matches(&s256, verifier));
        assert!(!pkce_matches(&s256, &verifier.replace('d', "e")));
        let plain = CodeChallenge::Plain(verifier.into());
        assert!(pkce_matches(&plain, verifier));
        assert!(!pkce_matches(&plain, "other"));
    }
}
