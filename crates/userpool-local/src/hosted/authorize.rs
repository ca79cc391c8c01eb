//! `GET /{domain}/oauth2/authorize`: the authorization request checked (client, redirect
//! URI, response type, scopes, PKCE, prompt), then answered at once from a hosted session
//! or sent on to the sign-in page at `/{domain}/login` with the same parameters, as
//! Cognito redirects to its login endpoint. [`complete`] is the end of every sign-in: the
//! code (or, for the implicit flow, the tokens) in a redirect to the app.
//!
//! Errors follow RFC 6749 §4.1.2.1: an unknown client or a redirect URI that is not one of
//! the client's `CallbackURLs` (compared exactly, as Cognito does) is an error page, never
//! a redirect; the other errors go back to the redirect URI with `error`,
//! `error_description` and `state` (in the fragment for `response_type=token`).

use std::sync::Arc;

use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::cookie::HostedSession;
use super::domain::{self, Hosted, HostedError};
use super::grants::{CodeChallenge, CodeGrant};
use super::{issue, pages};
use crate::state::{ClientRt, State};
use crate::store::{self, UserStatus};
use crate::util;

/// Longest value of a parameter the pages carry along (state, nonce, login_hint...).
const MAX_PARAM: usize = 2048;

/// `response_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseType {
    /// The authorization code flow.
    Code,
    /// The implicit flow: tokens in the redirect's fragment.
    Token,
}

/// `prompt` (OpenID Connect Core §3.1.2.1), as Cognito's managed login reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prompt {
    /// No `prompt`, `consent` or `select_account`: a hosted session answers at once, else
    /// the sign-in form. (There is no consent page, and a session has one account.)
    Default,
    /// `login`: the sign-in form even with a session.
    Login,
    /// `none`: a session answers at once, else `error=login_required`.
    None,
}

/// A checked authorization request.
#[derive(Clone)]
pub(crate) struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub state: Option<String>,
    /// The scopes granted (requested ∩ the client's allowed ones).
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub challenge: Option<CodeChallenge>,
    pub prompt: Prompt,
    pub login_hint: Option<String>,
}

// By hand: the nonce, state and PKCE challenge stay out of logs.
impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("response_type", &self.response_type)
            .field("scopes", &self.scopes)
            .field("prompt", &self.prompt)
            .finish_non_exhaustive()
    }
}

/// Why an authorization request is refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// An error page (status, error code, description).
    Page(StatusCode, &'static str, String),
    /// Back to the app's redirect URI with an error.
    Redirect {
        redirect_uri: String,
        fragment: bool,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

impl Refusal {
    pub(crate) fn answer(self) -> Response {
        match self {
            Refusal::Page(status, error, description) => {
                pages::error_answer(status, error, &description)
            }
            Refusal::Redirect {
                redirect_uri,
                fragment,
                error,
                description,
                state,
            } => {
                let mut params = vec![("error", error.to_owned())];
                params.push(("error_description", description));
                if let Some(s) = state {
                    params.push(("state", s));
                }
                pages::redirect(&with_params(&redirect_uri, fragment, &params), &[])
            }
        }
    }
}

/// The answer for a domain that resolves to nothing, or a store failure.
pub(crate) fn hosted_error_answer(e: HostedError) -> Response {
    match e {
        HostedError::UnknownDomain => pages::error_answer(
            StatusCode::NOT_FOUND,
            "not_found",
            "No user pool has this domain.",
        ),
        HostedError::UnknownClient => pages::error_answer(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The client_id is not an app client of this user pool.",
        ),
        HostedError::NotOAuthClient => pages::error_answer(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "The app client is not allowed OAuth flows (AllowedOAuthFlowsUserPoolClient).",
        ),
        HostedError::Internal(e) => internal_answer(&e),
    }
}

/// An internal failure as an error page (the cause logged, not shown).
pub(crate) fn internal_answer(e: &crate::error::ApiError) -> Response {
    tracing::warn!(error = %e.message(), "hosted sign-in failed");
    pages::error_answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "The local user pool could not answer this request.",
    )
}

/// `url` with `params` appended to its query (`?`/`&`) or, with `fragment`, as its
/// fragment.
pub(crate) fn with_params(url: &str, fragment: bool, params: &[(&str, String)]) -> String {
    let encoded = params
        .iter()
        .map(|(n, v)| format!("{n}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let sep = if fragment {
        '#'
    } else if url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{url}{sep}{encoded}")
}

/// Percent-encodes all but the unreserved characters (RFC 3986 §2.3).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What every `GET` of a hosted page starts from: the domain the path names and the
/// query's pairs; the error page (404 for an unknown domain) when there is no such domain.
pub(crate) async fn resolve_get(
    state: &State,
    domain_name: &str,
    uri: &Uri,
) -> Result<(Hosted, Vec<(String, String)>), Response> {
    let hosted = domain::resolve(state, domain_name)
        .await
        .map_err(hosted_error_answer)?;
    Ok((hosted, parse_pairs(uri.query().unwrap_or(""))))
}

/// Decodes `application/x-www-form-urlencoded` text (a query string or a form body): the
/// pairs in order, `+` a space, bad escapes kept as they are.
pub(crate) fn parse_pairs(text: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'+' {
                out.push(b' ');
            } else if b == b'%'
                && let Some(v) = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 2;
            } else {
                out.push(b);
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    text.split('&')
        .filter(|p| !p.is_empty())
        .take(64)
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (decode(n), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// The first value of `name` among `pairs`.
pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The PKCE challenge of the request (RFC 7636 §4.3): none, or a challenge of 43 to 128
/// unreserved characters with the method `S256` or `plain` (the default).
fn challenge_of(pairs: &[(String, String)]) -> Result<Option<CodeChallenge>, String> {
    let method = param(pairs, "code_challenge_method");
    let Some(challenge) = param(pairs, "code_challenge") else {
        return match method {
            None => Ok(None),
            Some(_) => Err("code_challenge_method without code_challenge".to_owned()),
        };
    };
    let shaped = (43..=128).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !shaped {
        return Err("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]".to_owned());
    }
    match method {
        Some("S256") => Ok(Some(CodeChallenge::S256(challenge.to_owned()))),
        Some("plain") | None => Ok(Some(CodeChallenge::Plain(challenge.to_owned()))),
        Some(_) => Err("code_challenge_method must be S256 or plain".to_owned()),
    }
}

fn prompt_of(value: Option<&str>) -> Result<Prompt, String> {
    let words: Vec<&str> = value
        .unwrap_or("")
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(&"none") {
        return if words.len() == 1 {
            Ok(Prompt::None)
        } else {
            Err("prompt=none cannot be combined with other values".to_owned())
        };
    }
    for w in &words {
        if !matches!(*w, "login" | "consent" | "select_account") {
            return Err(format!(
                "prompt must be login, none, consent or select_account, not '{}'",
                w.chars().take(32).collect::<String>()
            ));
        }
    }
    Ok(if words.contains(&"login") {
        Prompt::Login
    } else {
        Prompt::Default
    })
}

fn page(error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal::Page(StatusCode::BAD_REQUEST, error, description.into())
}

/// Checks an authorization request (the query of `/oauth2/authorize` or `/login`) against
/// the domain's pool and the client's settings.
pub(crate) async fn check(
    state: &State,
    hosted: &Hosted,
    pairs: &[(String, String)],
) -> Result<(AuthRequest, Arc<ClientRt>), Refusal> {
    let Some(client_id) = param(pairs, "client_id") else {
        return Err(page(
            "invalid_request",
            "The client_id parameter is missing.",
        ));
    };
    let client = match domain::oauth_client(state, &hosted.pool, client_id).await {
        Ok(c) => c,
        Err(HostedError::UnknownClient) => {
            return Err(page(
                "invalid_request",
                "The client_id is not an app client of this user pool.",
            ));
        }
        Err(HostedError::NotOAuthClient) => {
            return Err(page(
                "unauthorized_client",
                "The app client is not allowed OAuth flows (AllowedOAuthFlowsUserPoolClient).",
            ));
        }
        Err(HostedError::UnknownDomain) => {
            return Err(page("not_found", "No user pool has this domain."));
        }
        Err(HostedError::Internal(e)) => {
            tracing::warn!(error = %e.message(), "client lookup failed");
            return Err(Refusal::Page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "The local user pool could not answer this request.".to_owned(),
            ));
        }
    };
    let callbacks = &client.config.callback_urls;
    let redirect_uri = match param(pairs, "redirect_uri") {
        // Exactly one of the registered URLs: no prefix, no other port, no extra query.
        Some(uri) if callbacks.iter().any(|c| c == uri) => uri.to_owned(),
        Some(_) => {
            return Err(page(
                "redirect_mismatch",
                "The redirect_uri is not one of the app client's callback URLs.",
            ));
        }
        // No redirect_uri: the client's DefaultRedirectURI (always a callback URL) stands
        // in for it, as it does in Cognito.
        None => match &client.config.default_redirect_uri {
            Some(d) if callbacks.iter().any(|c| c == d) => d.clone(),
            _ => {
                return Err(page(
                    "invalid_request",
                    "The redirect_uri parameter is missing.",
                ));
            }
        },
    };
    let state_param = param(pairs, "state").map(str::to_owned);
    let refuse = |fragment: bool, error: &'static str, description: String| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        fragment,
        error,
        description,
        state: state_param.clone(),
    };
    let response_type = match param(pairs, "response_type") {
        Some("code") => ResponseType::Code,
        Some("token") => ResponseType::Token,
        Some(_) => {
            return Err(refuse(
                false,
                "unsupported_response_type",
                "response_type must be code or token".to_owned(),
            ));
        }
        None => {
            return Err(refuse(
                false,
                "invalid_request",
                "The response_type parameter is missing.".to_owned(),
            ));
        }
    };
    let fragment = response_type == ResponseType::Token;
    let flow = match response_type {
        ResponseType::Code => "code",
        ResponseType::Token => "implicit",
    };
    if !domain::allows_flow(&client, flow) {
        return Err(refuse(
            fragment,
            "unauthorized_client",
            format!("The app client does not allow the {flow} flow."),
        ));
    }
    if !domain::signs_in_with_cognito(&client) {
        return Err(refuse(
            fragment,
            "unauthorized_client",
            "The app client does not allow the user pool's own users (COGNITO) to sign in."
                .to_owned(),
        ));
    }
    if let Some(idp) = param(pairs, "identity_provider")
        && idp != domain::COGNITO_PROVIDER
    {
        return Err(refuse(
            fragment,
            "invalid_request",
            "The local user pool has no identity provider but COGNITO.".to_owned(),
        ));
    }
    for (name, value) in pairs {
        if value.len() > MAX_PARAM {
            return Err(refuse(
                fragment,
                "invalid_request",
                format!(
                    "The {} parameter is longer than {MAX_PARAM} characters.",
                    name.chars().take(32).collect::<String>()
                ),
            ));
        }
    }
    let scopes = domain::grant_scopes(&client, param(pairs, "scope")).map_err(|_| {
        refuse(
            fragment,
            "invalid_scope",
            "A requested scope is not one of the app client's allowed scopes.".to_owned(),
        )
    })?;
    let challenge = challenge_of(pairs).map_err(|d| refuse(fragment, "invalid_request", d))?;
    let prompt =
        prompt_of(param(pairs, "prompt")).map_err(|d| refuse(fragment, "invalid_request", d))?;
    let request = AuthRequest {
        client_id: client.id.clone(),
        redirect_uri,
        response_type,
        state: state_param.clone(),
        scopes,
        nonce: param(pairs, "nonce").map(str::to_owned),
        challenge,
        prompt,
        login_hint: param(pairs, "login_hint")
            .filter(|h| !h.is_empty())
            .map(str::to_owned),
    };
    Ok((request, client))
}

/// Whether a hosted session still stands for a sign-in: its user exists, is enabled and
/// confirmed.
pub(crate) async fn session_stands(state: &State, session: &HostedSession) -> bool {
    let (pool_id, sub) = (session.pool_id.clone(), session.sub.clone());
    match state
        .store
        .read(move |c| store::user_by_sub(c, &pool_id, &sub))
        .await
    {
        Ok(Some(user)) => user.enabled && user.status == UserStatus::Confirmed,
        _ => false,
    }
}

/// `GET /{domain}/oauth2/authorize`.
pub(crate) async fn authorize(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (hosted, pairs) = match resolve_get(&state, &domain_name, &uri).await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    let query = uri.query().unwrap_or("");
    let (request, client) = match check(&state, &hosted, &pairs).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal.answer(),
    };
    let session = match state.hosted.session_of(&headers, &hosted.domain.domain) {
        Some(s) if s.pool_id == hosted.pool.id && session_stands(&state, &s).await => Some(s),
        _ => None,
    };
    match (request.prompt, session) {
        (Prompt::Login, _) | (Prompt::Default, None) => {
            pages::redirect(&format!("/{}/login?{query}", hosted.domain.domain), &[])
        }
        (Prompt::None, None) => Refusal::Redirect {
            fragment: request.response_type == ResponseType::Token,
            redirect_uri: request.redirect_uri,
            error: "login_required",
            description: "The user is not signed in.".to_owned(),
            state: request.state,
        }
        .answer(),
        (_, Some(session)) => {
            complete(
                &state,
                &hosted,
                &client,
                &request,
                &session.sub,
                session.auth_time,
                &[],
            )
            .await
        }
    }
}

/// The end of a sign-in (or of an authorization request answered from a session): a code
/// for `code`, the tokens for `token`, in a redirect to the request's redirect URI with
/// its `state`. `cookies` are set on the way (the new hosted session).
pub(crate) async fn complete(
    state: &State,
    hosted: &Hosted,
    client: &ClientRt,
    request: &AuthRequest,
    sub: &str,
    auth_time: i64,
    cookies: &[axum::http::HeaderValue],
) -> Response {
    let mut params: Vec<(&str, String)> = Vec::new();
    let fragment = match request.response_type {
        ResponseType::Code => {
            let grant = CodeGrant {
                pool_id: hosted.pool.id.clone(),
                client_id: client.id.clone(),
                sub: sub.to_owned(),
                redirect_uri: request.redirect_uri.clone(),
                scopes: request.scopes.clone(),
                nonce: request.nonce.clone(),
                challenge: request.challenge.clone(),
                auth_time,
            };
            match state.grants.issue(grant) {
                Ok(code) => params.push(("code", code)),
                Err(e) => return internal_answer(&e),
            }
            false
        }
        ResponseType::Token => {
            let tokens = issue::issue(
                state,
                issue::IssueRequest {
                    pool: &hosted.pool,
                    client,
                    sub,
                    scopes: &request.scopes,
                    nonce: request.nonce.as_deref(),
                    auth_time,
                    with_refresh: false,
                },
            )
            .await;
            let tokens = match tokens {
                Ok(t) => t,
                Err(e) if e.status() < 500 => {
                    return Refusal::Redirect {
                        redirect_uri: request.redirect_uri.clone(),
                        fragment: true,
                        error: "access_denied",
                        description: e.message().to_owned(),
                        state: request.state.clone(),
                    }
                    .answer();
                }
                Err(e) => return internal_answer(&e),
            };
            params.push(("access_token", tokens.access_token.clone()));
            if let Some(id) = &tokens.id_token {
                params.push(("id_token", id.clone()));
            }
            params.push(("token_type", "Bearer".to_owned()));
            params.push(("expires_in", tokens.expires_in.to_string()));
            true
        }
    };
    if let Some(s) = &request.state {
        params.push(("state", s.clone()));
    }
    pages::redirect(
        &with_params(&request.redirect_uri, fragment, &params),
        cookies,
    )
}

/// Seconds since the epoch, for `auth_time`.
pub(crate) fn now_secs() -> i64 {
    util::now_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_text_is_decoded_and_urls_get_their_parameters() {
        let pairs = parse_pairs("a=1+2&b=%3D%26&c&bad=%zz");
        assert_eq!(param(&pairs, "a"), Some("1 2"));
        assert_eq!(param(&pairs, "b"), Some("=&"));
        assert_eq!(param(&pairs, "c"), Some(""));
        assert_eq!(param(&pairs, "bad"), Some("%zz"));
        let p = [("code", "x y".to_owned())];
        assert_eq!(
            with_params("http://a/cb", false, &p),
            "http://a/cb?code=x%20y"
        );
        assert_eq!(
            with_params("http://a/cb?k=v", false, &p),
            "http://a/cb?k=v&code=x%20y"
        );
        assert_eq!(
            with_params("http://a/cb", true, &p),
            "http://a/cb#code=x%20y"
        );
    }

    #[test]
    fn prompt_values_are_read_as_cognito_reads_them() {
        assert_eq!(prompt_of(None), Ok(Prompt::Default));
        assert_eq!(prompt_of(Some("login")), Ok(Prompt::Login));
        assert_eq!(
            prompt_of(Some("consent select_account")),
            Ok(Prompt::Default)
        );
        assert_eq!(prompt_of(Some("none")), Ok(Prompt::None));
        assert!(prompt_of(Some("none login")).is_err());
        assert!(prompt_of(Some("bogus")).is_err());
    }

    #[test]
    fn pkce_challenges_are_checked() {
        let ok = "a".repeat(43);
        let pairs = |m: Option<&str>, c: Option<&str>| {
            let mut v = Vec::new();
            if let Some(m) = m {
                v.push(("code_challenge_method".to_owned(), m.to_owned()));
            }
            if let Some(c) = c {
                v.push(("code_challenge".to_owned(), c.to_owned()));
            }
            v
        };
        assert!(matches!(challenge_of(&pairs(None, None)), Ok(None)));
        assert!(matches!(
            challenge_of(&pairs(None, Some(&ok))),
            Ok(Some(CodeChallenge::Plain(c))) if c == ok
        ));
        assert!(matches!(
            challenge_of(&pairs(Some("S256"), Some(&ok))),
            Ok(Some(CodeChallenge::S256(c))) if c == ok
        ));
        assert!(challenge_of(&pairs(Some("S512"), Some(&ok))).is_err());
        assert!(challenge_of(&pairs(Some("S256"), None)).is_err());
        assert!(challenge_of(&pairs(Some("S256"), Some("short"))).is_err());
    }
}
