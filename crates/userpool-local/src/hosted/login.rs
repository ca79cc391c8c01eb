//! The sign-in form and the pages after it: `/{domain}/login` (GET: the form, POST: the
//! password), `/newPassword` (a user with a temporary password), `/mfa` (the MFA code),
//! `/confirm` (a user who signed up and is not confirmed), `/forgotPassword` and
//! `/confirmForgotPassword` (a code sent, then the new password).
//!
//! Nothing here decides a sign-in by itself. The password is checked as the API's
//! USER_PASSWORD_AUTH checks it: the verifier check on the crypto pool, then
//! `ops::auth::settle_attempt` in one write transaction (so failures count towards the
//! same lockout, a disabled or locked-out user is refused the same way, a sign-in that
//! raced a password change is refused) and the pool's MFA decided there by
//! `ops::mfa::decide_in`. The steps after it are the API's own operations, called in
//! process (RespondToAuthChallenge for NEW_PASSWORD_REQUIRED and the MFA codes,
//! ConfirmSignUp and ResendConfirmationCode, ForgotPassword and ConfirmForgotPassword),
//! with the client's SECRET_HASH computed here since the server knows the secret. The
//! API session such a step ends with is revoked at once: the hosted sign-in's tokens are
//! minted by `/oauth2/token` (or the implicit redirect) from the code, never these.
//!
//! The authorization request and the step reached live in a server-side record
//! ([`Pending`], bounded and expiring, see `cookie`); the pages carry its id and the CSRF
//! token only.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};

use super::authorize::{
    self, AuthRequest, hosted_error_answer, internal_answer, param, parse_pairs, resolve_get,
};
use super::cookie::{self, CSRF_FIELD, HostedSession};
use super::domain::{self, Hosted};
use super::pages::{self, FormCtx, Notice};
use crate::error::{ApiError, ExceptionName};
use crate::ops::auth::{Checked, settle_attempt};
use crate::ops::mfa::{self, MfaStep};
use crate::ops::{self, crypto};
use crate::state::{ClientRt, State};
use crate::store::{User, UserStatus};
use crate::util;

/// Largest form body read.
const MAX_FORM: usize = 16 * 1024;

/// Where a sign-in in progress is.
#[derive(Clone)]
pub(crate) enum Stage {
    /// The sign-in form.
    SignIn,
    /// A temporary password was right: a new one is asked (the API's
    /// NEW_PASSWORD_REQUIRED challenge session).
    NewPassword { username: String, session: String },
    /// A password was right and the pool asks a second factor (the API's challenge).
    Mfa {
        username: String,
        challenge: String,
        session: String,
        destination: Option<String>,
    },
    /// The user signed up and is not confirmed: a code was sent.
    Confirm {
        username: String,
        destination: Option<String>,
    },
    /// A code to reset the password was sent (or, for an unknown user, pretended to be).
    Reset {
        username: String,
        destination: Option<String>,
    },
}

/// A sign-in in progress: the checked authorization request and the step reached.
#[derive(Clone)]
pub(crate) struct Pending {
    pub pool_id: String,
    pub domain: String,
    pub request: AuthRequest,
    pub stage: Stage,
}

// By hand: the challenge sessions are secrets.
impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match &self.stage {
            Stage::SignIn => "SignIn",
            Stage::NewPassword { .. } => "NewPassword",
            Stage::Mfa { .. } => "Mfa",
            Stage::Confirm { .. } => "Confirm",
            Stage::Reset { .. } => "Reset",
        };
        f.debug_struct("Pending")
            .field("pool_id", &self.pool_id)
            .field("domain", &self.domain)
            .field("request", &self.request)
            .field("stage", &stage)
            .finish()
    }
}

/// An API operation called in process.
async fn api(state: &Arc<State>, op: &str, body: Value) -> Result<Value, ApiError> {
    ops::call(state, op, &body, None).await
}

/// The client's SECRET_HASH for `username`, when it has a secret.
fn secret_hash(client: &ClientRt, username: &str) -> Option<String> {
    client
        .secret
        .as_deref()
        .map(|s| userpool_srp::secret_hash(s, username, &client.id))
}

/// Revokes the API session a step ended with: its refresh token is nobody's.
async fn drop_api_session(state: &Arc<State>, client: &ClientRt, answer: &Value) {
    let Some(refresh) = answer["AuthenticationResult"]["RefreshToken"].as_str() else {
        return;
    };
    let mut body = json!({ "Token": refresh, "ClientId": client.id });
    if let Some(s) = &client.secret {
        body["ClientSecret"] = json!(s);
    }
    if let Err(e) = api(state, "RevokeToken", body).await {
        tracing::debug!(error = %e.message(), "revoking the hosted step's API session failed");
    }
}

/// What a POST to one of the pages has, once checked.
struct Posted {
    state: Arc<State>,
    hosted: Hosted,
    client: Arc<ClientRt>,
    pending_id: String,
    pending: Pending,
    fields: Vec<(String, String)>,
    csrf: String,
    headers: HeaderMap,
}

impl Posted {
    fn field(&self, name: &str) -> &str {
        param(&self.fields, name).unwrap_or("")
    }

    fn ctx(&self) -> FormCtx<'_> {
        FormCtx {
            domain: &self.hosted.domain.domain,
            csrf: &self.csrf,
            pending: &self.pending_id,
        }
    }

    /// Moves the sign-in to `stage` and renders `page` for it.
    fn show(&self, stage: Stage, page: impl FnOnce(FormCtx<'_>) -> maud::Markup) -> Response {
        let next = Pending {
            stage,
            ..self.pending.clone()
        };
        if !self.state.hosted.pending.replace(&self.pending_id, next) {
            return expired_answer();
        }
        pages::answer(StatusCode::OK, page(self.ctx()), &[])
    }

    /// The sign-in form again, with `notice`.
    fn sign_in_again(&self, username: Option<&str>, notice: &Notice) -> Response {
        self.show(Stage::SignIn, |ctx| pages::sign_in(ctx, username, notice))
    }
}

fn expired_answer() -> Response {
    pages::error_answer(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "This sign-in has expired or is unknown. Start again from the app.",
    )
}

/// Reads a form body: at most [`MAX_FORM`] bytes within the server's body timeout.
async fn read_form(body: Body, timeout: Duration) -> Result<Vec<(String, String)>, Response> {
    let read = async move {
        let mut buf = Vec::new();
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(StatusCode::BAD_REQUEST);
            };
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > MAX_FORM {
                    return Err(StatusCode::PAYLOAD_TOO_LARGE);
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(buf)
    };
    let bytes = match tokio::time::timeout(timeout, read).await {
        Ok(Ok(b)) => b,
        Ok(Err(status)) => {
            return Err(pages::error_answer(
                status,
                "invalid_request",
                "The form could not be read.",
            ));
        }
        Err(_) => {
            return Err(pages::error_answer(
                StatusCode::REQUEST_TIMEOUT,
                "invalid_request",
                "The form was not received in time.",
            ));
        }
    };
    Ok(parse_pairs(&String::from_utf8_lossy(&bytes)))
}

/// The checks every POST makes: the domain, the form, the CSRF token (403 without a
/// valid one), the sign-in in progress, the client (its settings may have changed).
async fn posted(
    state: &Arc<State>,
    domain_name: &str,
    headers: HeaderMap,
    body: Body,
) -> Result<Posted, Response> {
    let hosted = domain::resolve(state, domain_name)
        .await
        .map_err(hosted_error_answer)?;
    let fields = read_form(body, state.access.body_timeout).await?;
    if !cookie::csrf_ok(&headers, param(&fields, CSRF_FIELD)) {
        return Err(pages::error_answer(
            StatusCode::FORBIDDEN,
            "invalid_request",
            "The form's CSRF token is missing or wrong. Reload the page and try again.",
        ));
    }
    let csrf = param(&fields, CSRF_FIELD).unwrap_or("").to_owned();
    let pending_id = param(&fields, "pending").unwrap_or("").to_owned();
    let pending = state
        .hosted
        .pending
        .get(&pending_id)
        .filter(|p| p.domain == hosted.domain.domain && p.pool_id == hosted.pool.id)
        .ok_or_else(expired_answer)?;
    let client = domain::oauth_client(state, &hosted.pool, &pending.request.client_id)
        .await
        .map_err(hosted_error_answer)?;
    Ok(Posted {
        state: state.clone(),
        hosted,
        client,
        pending_id,
        pending,
        fields,
        csrf,
        headers,
    })
}

/// `GET /{domain}/login`: the authorization request checked as `/oauth2/authorize`
/// checks it, then the sign-in form.
pub(crate) async fn login_page(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (hosted, pairs) = match resolve_get(&state, &domain_name, &uri).await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    let (request, _client) = match authorize::check(&state, &hosted, &pairs).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal.answer(),
    };
    let (csrf, set_csrf) = match cookie::csrf_token(&headers, &hosted.domain.domain) {
        Ok(t) => t,
        Err(e) => return internal_answer(&e),
    };
    let hint = request.login_hint.clone();
    let pending = Pending {
        pool_id: hosted.pool.id.clone(),
        domain: hosted.domain.domain.clone(),
        request,
        stage: Stage::SignIn,
    };
    let id = match state.hosted.pending.insert(pending) {
        Ok(id) => id,
        Err(e) => return internal_answer(&e),
    };
    let ctx = FormCtx {
        domain: &hosted.domain.domain,
        csrf: &csrf,
        pending: &id,
    };
    let cookies: Vec<_> = set_csrf.into_iter().collect();
    pages::answer(
        StatusCode::OK,
        pages::sign_in(ctx, hint.as_deref(), &Notice::default()),
        &cookies,
    )
}

/// Where a right password leads.
enum Outcome {
    /// Refused, with the message to show.
    Refused(String),
    SignedIn(String),
    NewPassword {
        username: String,
        session: String,
    },
    Mfa {
        username: String,
        challenge: String,
        session: String,
        destination: Option<String>,
    },
    Unconfirmed(User),
    ResetRequired(User),
    /// A step the pages do not offer (choosing or setting up MFA).
    Unsupported(String),
}

/// The password check of the sign-in form (see the module's notes).
async fn check_password(
    state: &Arc<State>,
    hosted: &Hosted,
    client: &ClientRt,
    typed: &str,
    password: &str,
) -> Result<Outcome, ApiError> {
    let pool = hosted.pool.clone();
    let (p2, name) = (pool.clone(), typed.to_owned());
    let user = state
        .store
        .read(move |c| ops::find_user(c, &p2, &name))
        .await?;
    let Some(user) = user else {
        // The same work as for a real user, against a throwaway verifier, and the same
        // answer: the page does not tell whether the user exists.
        let fake = state.pending.fake_verifier(&pool.id, &pool.key_of(typed));
        let _ = crypto::check_password(&pool.id, typed, password, fake).await?;
        return Ok(Outcome::Refused(
            ApiError::bad_credentials().message().to_owned(),
        ));
    };
    let right = match user.verifier.clone() {
        Some(v) => crypto::check_password(&pool.id, &user.username, password, v).await?,
        None => false,
    };
    let limits = state.limits.clone();
    let mfa_config = pool.config.mfa.clone();
    let (pool_id, sub, seen_gen) = (pool.id.clone(), user.sub.clone(), user.cred_gen);
    let decided = state
        .store
        .write_keep(move |c| {
            match settle_attempt(c, &limits, &pool_id, &sub, seen_gen, right, Checked::SignIn)? {
                Ok(user) => {
                    let step = mfa::decide_in(c, &mfa_config, &user)?;
                    Ok(Ok((user, step)))
                }
                Err(refusal) => Ok(Err(refusal)),
            }
        })
        .await;
    let (user, step) = match decided {
        Ok(ok) => ok,
        Err(e) if e.status() < 500 => return Ok(Outcome::Refused(e.message().to_owned())),
        Err(e) => return Err(e),
    };
    match user.status {
        UserStatus::Confirmed => match step {
            None => Ok(Outcome::SignedIn(user.sub)),
            Some(step @ MfaStep::Code(_)) => {
                let opened = mfa::open_step(state, &pool, client, &user, step)?;
                Ok(Outcome::Mfa {
                    username: user.username.clone(),
                    challenge: opened["ChallengeName"].as_str().unwrap_or("").to_owned(),
                    session: opened["Session"].as_str().unwrap_or("").to_owned(),
                    destination: opened["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"]
                        .as_str()
                        .map(str::to_owned),
                })
            }
            Some(_) => Ok(Outcome::Unsupported(
                "This user must choose or set up an MFA method, which the local hosted pages \
                 do not offer: set the user's MFA preference through the API first."
                    .to_owned(),
            )),
        },
        UserStatus::ForceChangePassword => {
            if user.temp_expires_ms.is_some_and(|t| t <= util::now_ms()) {
                return Ok(Outcome::Refused(
                    "Temporary password has expired and must be reset by an administrator."
                        .to_owned(),
                ));
            }
            let session = state.pending.add_challenge(
                &pool.id,
                &client.id,
                &user.sub,
                "NEW_PASSWORD_REQUIRED",
                user.cred_gen,
                state.session_validity(&client.config),
            )?;
            Ok(Outcome::NewPassword {
                username: user.username,
                session,
            })
        }
        UserStatus::Unconfirmed => Ok(Outcome::Unconfirmed(user)),
        UserStatus::ResetRequired => Ok(Outcome::ResetRequired(user)),
    }
}

/// The end of a sign-in: the hosted session (cookie and record) and the redirect to the
/// app ([`authorize::complete`]).
async fn finish(state: &Arc<State>, p: &Posted, sub: &str) -> Response {
    state.hosted.pending.remove(&p.pending_id);
    // A sign-in replaces the browser's earlier session on this domain.
    state.hosted.end_session(&p.headers);
    let auth_time = authorize::now_secs();
    let session = HostedSession {
        pool_id: p.hosted.pool.id.clone(),
        domain: p.hosted.domain.domain.clone(),
        sub: sub.to_owned(),
        auth_time,
    };
    let id = match state.hosted.sessions.insert(session) {
        Ok(id) => id,
        Err(e) => return internal_answer(&e),
    };
    let cookies: Vec<_> = cookie::session_cookie(&p.hosted.domain.domain, &id)
        .into_iter()
        .collect();
    authorize::complete(
        state,
        &p.hosted,
        &p.client,
        &p.pending.request,
        sub,
        auth_time,
        &cookies,
    )
    .await
}

/// Shows the page of an outcome.
async fn after_password(state: &Arc<State>, p: &Posted, typed: &str, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Refused(message) => p.sign_in_again(Some(typed), &Notice::error(message)),
        Outcome::SignedIn(sub) => finish(state, p, &sub).await,
        Outcome::NewPassword { username, session } => p
            .show(Stage::NewPassword { username, session }, |ctx| {
                pages::new_password(ctx, &Notice::default())
            }),
        Outcome::Mfa {
            username,
            challenge,
            session,
            destination,
        } => {
            let page_challenge = challenge.clone();
            let page_destination = destination.clone();
            p.show(
                Stage::Mfa {
                    username,
                    challenge,
                    session,
                    destination,
                },
                |ctx| {
                    pages::mfa(
                        ctx,
                        &page_challenge,
                        page_destination.as_deref(),
                        &Notice::default(),
                    )
                },
            )
        }
        Outcome::Unconfirmed(user) => {
            let mut body = json!({ "ClientId": p.client.id, "Username": user.username });
            if let Some(h) = secret_hash(&p.client, &user.username) {
                body["SecretHash"] = json!(h);
            }
            match api(state, "ResendConfirmationCode", body).await {
                Ok(sent) => {
                    let destination = sent["CodeDeliveryDetails"]["Destination"]
                        .as_str()
                        .map(str::to_owned);
                    let shown = destination.clone();
                    p.show(
                        Stage::Confirm {
                            username: user.username,
                            destination,
                        },
                        |ctx| pages::confirm(ctx, shown.as_deref(), &Notice::default()),
                    )
                }
                Err(e) if e.status() < 500 => pages::error_answer(
                    StatusCode::BAD_REQUEST,
                    "unconfirmed",
                    &format!(
                        "User is not confirmed, and no confirmation code could be sent: {}",
                        e.message()
                    ),
                ),
                Err(e) => internal_answer(&e),
            }
        }
        Outcome::ResetRequired(user) => send_reset_code(state, p, &user.username).await,
        Outcome::Unsupported(message) => {
            pages::error_answer(StatusCode::BAD_REQUEST, "unsupported", &message)
        }
    }
}

/// `POST /{domain}/login`.
pub(crate) async fn login_submit(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let p = match posted(&state, &domain_name, headers, body).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let typed = p.field("username").trim().to_owned();
    let password = p.field("password").to_owned();
    if typed.is_empty() || password.is_empty() {
        return p.sign_in_again(
            Some(&typed),
            &Notice::error("Please enter your username and password."),
        );
    }
    match check_password(&state, &p.hosted, &p.client, &typed, &password).await {
        Ok(outcome) => after_password(&state, &p, &typed, outcome).await,
        Err(e) => internal_answer(&e),
    }
}

/// Answers the challenge `challenge` of `session` with `answer` (its ChallengeResponses
/// member and value) as RespondToAuthChallenge, with USERNAME and the SECRET_HASH of a
/// client with a secret: the one place the pages build that request.
async fn respond(
    state: &Arc<State>,
    p: &Posted,
    challenge: &str,
    session: &str,
    username: &str,
    answer: (&str, &str),
) -> Result<Value, ApiError> {
    let (member, value) = answer;
    let mut responses = json!({ "USERNAME": username });
    responses[member] = json!(value);
    if let Some(h) = secret_hash(&p.client, username) {
        responses["SECRET_HASH"] = json!(h);
    }
    api(
        state,
        "RespondToAuthChallenge",
        json!({
            "ClientId": p.client.id,
            "ChallengeName": challenge,
            "Session": session,
            "ChallengeResponses": responses,
        }),
    )
    .await
}

/// The answer of a challenge step (RespondToAuthChallenge) as a page: tokens end the
/// sign-in, an MFA challenge shows its page, a refusal the page again (`again`) or, for an
/// expired session, the sign-in form.
async fn after_challenge(
    state: &Arc<State>,
    p: &Posted,
    username: &str,
    answer: Result<Value, ApiError>,
    again: impl FnOnce(&Posted, &Notice) -> Response,
) -> Response {
    match answer {
        Ok(v) if v.get("AuthenticationResult").is_some() => {
            drop_api_session(state, &p.client, &v).await;
            let (pool_id, name) = (p.hosted.pool.clone(), username.to_owned());
            let user = state
                .store
                .read(move |c| ops::find_user(c, &pool_id, &name))
                .await;
            match user {
                Ok(Some(u)) => finish(state, p, &u.sub).await,
                Ok(None) => p.sign_in_again(None, &Notice::error("User does not exist.")),
                Err(e) => internal_answer(&e),
            }
        }
        Ok(v) => {
            let challenge = v["ChallengeName"].as_str().unwrap_or("").to_owned();
            if !matches!(
                challenge.as_str(),
                "SMS_MFA" | "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP"
            ) {
                return pages::error_answer(
                    StatusCode::BAD_REQUEST,
                    "unsupported",
                    "This user must choose or set up an MFA method, which the local hosted \
                     pages do not offer: set the user's MFA preference through the API first.",
                );
            }
            let destination = v["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"]
                .as_str()
                .map(str::to_owned);
            let (shown_c, shown_d) = (challenge.clone(), destination.clone());
            p.show(
                Stage::Mfa {
                    username: username.to_owned(),
                    challenge,
                    session: v["Session"].as_str().unwrap_or("").to_owned(),
                    destination,
                },
                |ctx| pages::mfa(ctx, &shown_c, shown_d.as_deref(), &Notice::default()),
            )
        }
        // The challenge session is over (expired, used up, or the user changed): from the
        // start.
        Err(e)
            if e.exception() == ExceptionName::NotAuthorized
                || e.exception() == ExceptionName::ExpiredCode =>
        {
            p.sign_in_again(None, &Notice::error(e.message()))
        }
        Err(e) if e.status() < 500 => again(p, &Notice::error(e.message())),
        Err(e) => internal_answer(&e),
    }
}

/// `POST /{domain}/newPassword`.
pub(crate) async fn new_password_submit(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let p = match posted(&state, &domain_name, headers, body).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let Stage::NewPassword { username, session } = p.pending.stage.clone() else {
        return expired_answer();
    };
    let again = |p: &Posted, n: &Notice| {
        pages::answer(StatusCode::OK, pages::new_password(p.ctx(), n), &[])
    };
    let new = p.field("new_password");
    if new != p.field("confirm_password") {
        return again(&p, &Notice::error("Passwords do not match."));
    }
    let answer = respond(
        &state,
        &p,
        "NEW_PASSWORD_REQUIRED",
        &session,
        &username,
        ("NEW_PASSWORD", new),
    )
    .await;
    after_challenge(&state, &p, &username, answer, again).await
}

/// `POST /{domain}/mfa`.
pub(crate) async fn mfa_submit(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let p = match posted(&state, &domain_name, headers, body).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let Stage::Mfa {
        username,
        challenge,
        session,
        destination,
    } = p.pending.stage.clone()
    else {
        return expired_answer();
    };
    let member = mfa::code_member(&challenge);
    let answer = respond(
        &state,
        &p,
        &challenge,
        &session,
        &username,
        (member, p.field("code").trim()),
    )
    .await;
    let again = |p: &Posted, n: &Notice| {
        pages::answer(
            StatusCode::OK,
            pages::mfa(p.ctx(), &challenge, destination.as_deref(), n),
            &[],
        )
    };
    after_challenge(&state, &p, &username, answer, again).await
}

/// `POST /{domain}/confirm`: the sign-up confirmation code, then the sign-in form.
pub(crate) async fn confirm_submit(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let p = match posted(&state, &domain_name, headers, body).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let Stage::Confirm {
        username,
        destination,
    } = p.pending.stage.clone()
    else {
        return expired_answer();
    };
    let mut body = json!({
        "ClientId": p.client.id,
        "Username": username,
        "ConfirmationCode": p.field("code").trim(),
    });
    if let Some(h) = secret_hash(&p.client, &username) {
        body["SecretHash"] = json!(h);
    }
    match api(&state, "ConfirmSignUp", body).await {
        Ok(_) => p.sign_in_again(
            Some(&username),
            &Notice::info("Your account is confirmed. Sign in to continue."),
        ),
        Err(e) if e.status() < 500 => pages::answer(
            StatusCode::OK,
            pages::confirm(p.ctx(), destination.as_deref(), &Notice::error(e.message())),
            &[],
        ),
        Err(e) => internal_answer(&e),
    }
}

/// `GET /{domain}/forgotPassword?pending=ID` (the sign-in form's link).
pub(crate) async fn forgot_page(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (hosted, pairs) = match resolve_get(&state, &domain_name, &uri).await {
        Ok(ok) => ok,
        Err(page) => return page,
    };
    let id = param(&pairs, "pending").unwrap_or("").to_owned();
    let Some(pending) = state
        .hosted
        .pending
        .get(&id)
        .filter(|p| p.domain == hosted.domain.domain && p.pool_id == hosted.pool.id)
    else {
        return expired_answer();
    };
    let (csrf, set_csrf) = match cookie::csrf_token(&headers, &hosted.domain.domain) {
        Ok(t) => t,
        Err(e) => return internal_answer(&e),
    };
    state.hosted.pending.replace(
        &id,
        Pending {
            stage: Stage::SignIn,
            ..pending
        },
    );
    let ctx = FormCtx {
        domain: &hosted.domain.domain,
        csrf: &csrf,
        pending: &id,
    };
    let cookies: Vec<_> = set_csrf.into_iter().collect();
    pages::answer(
        StatusCode::OK,
        pages::forgot_password(ctx, &Notice::default()),
        &cookies,
    )
}

/// Sends a reset code as ForgotPassword does and shows the reset page. An unknown user
/// gets the same page (no code is sent): the page does not tell who exists.
async fn send_reset_code(state: &Arc<State>, p: &Posted, username: &str) -> Response {
    let mut body = json!({ "ClientId": p.client.id, "Username": username });
    if let Some(h) = secret_hash(&p.client, username) {
        body["SecretHash"] = json!(h);
    }
    let destination = match api(state, "ForgotPassword", body).await {
        Ok(sent) => sent["CodeDeliveryDetails"]["Destination"]
            .as_str()
            .map(str::to_owned),
        Err(e) if e.exception() == ExceptionName::UserNotFound => None,
        Err(e) if e.status() < 500 => {
            return p.show(Stage::SignIn, |ctx| {
                pages::forgot_password(ctx, &Notice::error(e.message()))
            });
        }
        Err(e) => return internal_answer(&e),
    };
    let shown = destination.clone();
    p.show(
        Stage::Reset {
            username: username.to_owned(),
            destination,
        },
        |ctx| pages::reset_password(ctx, shown.as_deref(), &Notice::default()),
    )
}

/// `POST /{domain}/forgotPassword`.
pub(crate) async fn forgot_submit(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let p = match posted(&state, &domain_name, headers, body).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let username = p.field("username").trim().to_owned();
    if username.is_empty() {
        return pages::answer(
            StatusCode::OK,
            pages::forgot_password(p.ctx(), &Notice::error("Please enter your username.")),
            &[],
        );
    }
    send_reset_code(&state, &p, &username).await
}

/// `POST /{domain}/confirmForgotPassword`: the code and the new password (checked against
/// the pool's policy by ConfirmForgotPassword), then the sign-in form.
pub(crate) async fn reset_submit(
    AxState(state): AxState<Arc<State>>,
    Path(domain_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let p = match posted(&state, &domain_name, headers, body).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let Stage::Reset {
        username,
        destination,
    } = p.pending.stage.clone()
    else {
        return expired_answer();
    };
    let again = |n: &Notice| {
        pages::answer(
            StatusCode::OK,
            pages::reset_password(p.ctx(), destination.as_deref(), n),
            &[],
        )
    };
    let password = p.field("password");
    if password != p.field("confirm_password") {
        return again(&Notice::error("Passwords do not match."));
    }
    let mut body = json!({
        "ClientId": p.client.id,
        "Username": username,
        "ConfirmationCode": p.field("code").trim(),
        "Password": password,
    });
    if let Some(h) = secret_hash(&p.client, &username) {
        body["SecretHash"] = json!(h);
    }
    match api(&state, "ConfirmForgotPassword", body).await {
        Ok(_) => p.sign_in_again(
            Some(&username),
            &Notice::info("Your password has been reset. Sign in with your new password."),
        ),
        // An unknown user's "code" never matches: the same answer as a wrong code.
        Err(e) if e.exception() == ExceptionName::UserNotFound => {
            again(&Notice::error(ApiError::code_mismatch().message()))
        }
        Err(e) if e.status() < 500 => again(&Notice::error(e.message())),
        Err(e) => internal_answer(&e),
    }
}
