//! Choice-based sign-in (`USER_AUTH`): InitiateAuth / AdminInitiateAuth with a preferred
//! first factor (`PREFERRED_CHALLENGE`) or a choice (`SELECT_CHALLENGE` with
//! `AvailableChallenges`); the first factors `PASSWORD`, `PASSWORD_SRP`, `EMAIL_OTP` and
//! `SMS_OTP`; the sign-in after sign-up (`Session` of ConfirmSignUp); GetUserAuthFactors
//! and AdminGetUserAuthFactors.
//!
//! Nothing is checked twice over: a password goes through the password core of
//! [`super::auth`] (lockout, credential generations, the MFA that follows a password), an
//! SRP start through its SRP core (the PASSWORD_VERIFIER answer is the one USER_SRP_AUTH
//! gets), and a one-time password is made, sent, expired and counted by the MFA code
//! machinery of [`super::mfa`] (a session of its own, the outbox, wrong codes counted as
//! failed sign-ins). What is decided here is only which first factors a user has and
//! which session leads where. WebAuthn (passkeys) is not served: asking for it is an
//! `UnsupportedOperationException`, and as no user can register a passkey here it is
//! never among the available challenges (docs/local-pool.md, "Choice-based sign-in").

use std::sync::Arc;

use serde_json::{Value, json};

use super::auth::{self, attempts_exceeded, flow_disabled, load_user, locked};
use super::mfa::{self, MfaStep};
use super::session::{self, authenticate};
use super::{
    challenge_answer, challenge_expired, check_secret_hash, ensure_enabled, find_user,
    missing_param, names_user,
};
use crate::config::MfaMode;
use crate::error::{ApiError, ExceptionName};
use crate::protocol::{Params, lookup};
use crate::srp_state::{ChallengePurpose, PendingChallenge};
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, User, UserStatus};
use crate::util;

/// The challenges USER_AUTH can name as `PREFERRED_CHALLENGE` or `ANSWER`.
const FIRST_CHALLENGES: [&str; 5] = [
    "PASSWORD",
    "PASSWORD_SRP",
    "EMAIL_OTP",
    "SMS_OTP",
    "WEB_AUTHN",
];

fn web_authn_unsupported() -> ApiError {
    ApiError::new(
        ExceptionName::UnsupportedOperation,
        "WEB_AUTHN (passkey) sign-in is not supported by the local user pool.",
    )
}

fn not_available(answer: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "Invalid ANSWER: {answer} is not one of AvailableChallenges."
    ))
}

/// The USER_AUTH first factors a user has (`ConfiguredUserAuthFactors`): `PASSWORD` with a
/// password; `EMAIL_OTP` / `SMS_OTP` when the pool's sign-in policy allows them and the
/// user is confirmed with a verified email address / phone number (a code is only sent
/// where it proves something). A pool that requires MFA offers no passwordless factor, as
/// a passwordless sign-in is not followed by MFA.
pub(crate) fn user_factors(pool: &PoolRt, user: &User) -> Vec<&'static str> {
    let mut out = Vec::new();
    if user.verifier.is_some() && pool.config.allows_first_factor("PASSWORD") {
        out.push("PASSWORD");
    }
    let passwordless = user.status == UserStatus::Confirmed && pool.config.mfa.mode != MfaMode::On;
    for (factor, attribute) in [("EMAIL_OTP", "email"), ("SMS_OTP", "phone_number")] {
        if passwordless
            && pool.config.allows_first_factor(factor)
            && user.attrs.contains_key(attribute)
            && user.is_verified(attribute)
        {
            out.push(factor);
        }
    }
    out
}

/// The `AvailableChallenges` of a user's factors: a password can be given as it is or
/// through SRP.
fn available_challenges(factors: &[&'static str]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in factors {
        if *f == "PASSWORD" {
            out.extend(["PASSWORD", "PASSWORD_SRP"]);
        } else {
            out.push(*f);
        }
    }
    out
}

/// A `Session` that names nothing: what an unknown user gets with PreventUserExistenceErrors
/// instead of an error, looking like a real one; any answer to it is an expired session.
fn throwaway_session() -> Result<String, ApiError> {
    Ok(util::b64(&util::random_bytes::<96>()?))
}

fn select_json(session: &str, available: &[&str]) -> Value {
    json!({
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": session,
        "ChallengeParameters": {},
        "AvailableChallenges": available,
    })
}

fn challenge_json(name: &str, session: &str, username: &str) -> Value {
    json!({
        "ChallengeName": name,
        "Session": session,
        "ChallengeParameters": { "USER_ID_FOR_SRP": username },
    })
}

/// Opens a USER_AUTH challenge session (`SELECT_CHALLENGE`, or `PASSWORD` / `PASSWORD_SRP`
/// asked for without their parameter).
fn open_first_factor(
    state: &State,
    pool: &PoolRt,
    client: &ClientRt,
    user: &User,
    challenge: &'static str,
    choices: Vec<&'static str>,
) -> Result<String, ApiError> {
    let mut pending =
        PendingChallenge::new(&pool.id, &client.id, &user.sub, challenge, user.cred_gen);
    pending.purpose = ChallengePurpose::FirstFactor;
    pending.choices = choices;
    state
        .pending
        .open_challenge(pending, state.session_validity(&client.config))
}

/// InitiateAuth / AdminInitiateAuth with `AuthFlow` `USER_AUTH`. `session` is the request's
/// `Session` (the sign-in after sign-up).
pub(crate) async fn initiate(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    params: &[(String, String)],
    session: Option<&str>,
) -> Result<Value, ApiError> {
    if !client.config.flows().user_auth {
        return Err(flow_disabled("USER_AUTH"));
    }
    let username = lookup(params, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    if let Some(session) = session {
        return sign_in_after_sign_up(state, &pool, &client, username, params, session).await;
    }
    let preferred = match lookup(params, "PREFERRED_CHALLENGE") {
        None => None,
        Some(name) => Some(
            FIRST_CHALLENGES
                .into_iter()
                .find(|c| *c == name)
                .ok_or_else(|| {
                    ApiError::invalid_parameter(format!(
                        "Invalid PREFERRED_CHALLENGE: {name} is not one of PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP, WEB_AUTHN."
                    ))
                })?,
        ),
    };
    if preferred == Some("WEB_AUTHN") {
        return Err(web_authn_unsupported());
    }
    let secret_hash = lookup(params, "SECRET_HASH");
    let Some(user) = load_user(state, &pool, username).await? else {
        check_secret_hash(&client, secret_hash, &[username])?;
        if !client.config.prevent_user_existence_errors {
            return Err(ApiError::user_not_found());
        }
        // Answered as a user with a password only would be: the password cores answer
        // unknown users themselves (a refused password, a challenge that never verifies).
        return match preferred {
            Some("PASSWORD") if lookup(params, "PASSWORD").is_some() => {
                auth::password_auth(state, pool, client, params).await
            }
            Some("PASSWORD_SRP") if lookup(params, "SRP_A").is_some() => {
                auth::start_srp(state, pool, client, params).await
            }
            Some(c @ ("PASSWORD" | "PASSWORD_SRP")) => {
                Ok(challenge_json(c, &throwaway_session()?, username))
            }
            _ => Ok(select_json(
                &throwaway_session()?,
                &available_challenges(&["PASSWORD"]),
            )),
        };
    };
    check_secret_hash(&client, secret_hash, &[username, &user.username, &user.sub])?;
    ensure_enabled(&user)?;
    if locked(&user) {
        return Err(attempts_exceeded());
    }
    let available = available_challenges(&user_factors(&pool, &user));
    // A preferred challenge the user cannot take is not an error: the user gets the
    // choice of what they can take, as Cognito answers.
    if let Some(chosen) = preferred.filter(|c| available.contains(c)) {
        return start_factor(state, pool, client, &user, chosen, params).await;
    }
    if available.is_empty() {
        return Err(ApiError::not_authorized(
            "The user has no sign-in method that this user pool allows.",
        ));
    }
    let session = open_first_factor(
        state,
        &pool,
        &client,
        &user,
        "SELECT_CHALLENGE",
        available.clone(),
    )?;
    Ok(select_json(&session, &available))
}

/// Starts a chosen first factor. `params` are the request's parameters (InitiateAuth's
/// AuthParameters or the SELECT_CHALLENGE answer): `PASSWORD` / `SRP_A` given there go
/// straight to the password or SRP core.
async fn start_factor(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    user: &User,
    chosen: &'static str,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    match chosen {
        "PASSWORD" if lookup(params, "PASSWORD").is_some() => {
            auth::password_auth(state, pool, client, params).await
        }
        "PASSWORD_SRP" if lookup(params, "SRP_A").is_some() => {
            auth::start_srp(state, pool, client, params).await
        }
        "PASSWORD" | "PASSWORD_SRP" => {
            let session = open_first_factor(state, &pool, &client, user, chosen, Vec::new())?;
            Ok(challenge_json(chosen, &session, &user.username))
        }
        "EMAIL_OTP" | "SMS_OTP" => mfa::open_step_as(
            state,
            &pool,
            &client,
            user,
            MfaStep::Code(chosen),
            ChallengePurpose::FirstFactor,
        ),
        _ => Err(web_authn_unsupported()),
    }
}

/// RespondToAuthChallenge / AdminRespondToAuthChallenge for `SELECT_CHALLENGE`, `PASSWORD`,
/// `PASSWORD_SRP` and `WEB_AUTHN` (the one-time-password answers go to [`mfa::respond`]).
pub(crate) async fn respond(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    challenge: &str,
    session: &str,
    r: &[(String, String)],
) -> Result<Value, ApiError> {
    if challenge == "WEB_AUTHN" {
        return Err(web_authn_unsupported());
    }
    let (pending, user, _) = challenge_answer(state, &pool, &client, challenge, session, r).await?;
    if pending.purpose != ChallengePurpose::FirstFactor {
        return Err(challenge_expired());
    }
    ensure_enabled(&user)?;
    // A new password, a reset or a sign-out since the session was opened.
    if user.cred_gen != pending.cred_gen {
        return Err(challenge_expired());
    }
    let chosen = if challenge == "SELECT_CHALLENGE" {
        let answer = lookup(r, "ANSWER").ok_or_else(|| missing_param("ANSWER"))?;
        if answer == "WEB_AUTHN" {
            return Err(web_authn_unsupported());
        }
        pending
            .choices
            .iter()
            .copied()
            .find(|c| *c == answer)
            .ok_or_else(|| not_available(answer))?
    } else {
        pending.challenge
    };
    // Read again: the pool's policy or the user's attributes may have changed since.
    if !available_challenges(&user_factors(&pool, &user)).contains(&chosen) {
        return Err(not_available(chosen));
    }
    // An answer that lacks what it needs leaves the session open for a corrected one.
    match chosen {
        "PASSWORD" => {
            lookup(r, "PASSWORD").ok_or_else(|| missing_param("PASSWORD"))?;
        }
        "PASSWORD_SRP" => {
            lookup(r, "SRP_A").ok_or_else(|| missing_param("SRP_A"))?;
        }
        _ => {}
    }
    // The session is spent whatever comes next: a refused password starts over with a new
    // InitiateAuth, as after USER_PASSWORD_AUTH.
    state.pending.close_challenge(session);
    start_factor(state, pool, client, &user, chosen, r).await
}

/// InitiateAuth USER_AUTH with the `Session` of ConfirmSignUp: tokens for the user just
/// confirmed, with no password or code (the confirmation code was the proof), once, within
/// the session's lifetime. The session is taken out on its first use, whatever the use,
/// so it never signs in twice; no MFA follows, as Cognito's first sign-in after the
/// confirmation gets tokens even where MFA is required.
async fn sign_in_after_sign_up(
    state: &Arc<State>,
    pool: &Arc<PoolRt>,
    client: &Arc<ClientRt>,
    username: &str,
    params: &[(String, String)],
    session: &str,
) -> Result<Value, ApiError> {
    let pending = state
        .pending
        .take_challenge(session)
        .ok_or_else(challenge_expired)?;
    if pending.purpose != ChallengePurpose::SignInAfterSignUp
        || pending.client_id != client.id
        || pending.pool_id != pool.id
    {
        return Err(challenge_expired());
    }
    let (pid, sub) = (pool.id.clone(), pending.sub.clone());
    let user = state
        .store
        .read(move |c| store::user_by_sub(c, &pid, &sub))
        .await?
        .ok_or_else(challenge_expired)?;
    if !names_user(pool, &user, username) {
        return Err(challenge_expired());
    }
    check_secret_hash(
        client,
        lookup(params, "SECRET_HASH"),
        &[username, &user.username, &user.sub],
    )?;
    ensure_enabled(&user)?;
    let new = session::new_session(client, &user)?;
    let (row, hash) = (new.row.clone(), new.refresh_hash);
    let (pid, sub, opened_gen) = (pool.id.clone(), user.sub.clone(), pending.cred_gen);
    let user = state
        .store
        .write(move |c| {
            let u = store::user_by_sub(c, &pid, &sub)?.ok_or_else(challenge_expired)?;
            ensure_enabled(&u)?;
            // Confirmed by this session's ConfirmSignUp and untouched since: a reset, an
            // administrator's password or a sign-out in between ends the offer.
            if u.status != UserStatus::Confirmed || u.cred_gen != opened_gen {
                return Err(challenge_expired());
            }
            store::insert_session(c, &row, &hash)?;
            Ok(u)
        })
        .await?;
    let signed = session::authentication_result(
        state,
        pool,
        client,
        &user,
        &new.row,
        Some(&new.refresh_token),
    )
    .await?;
    // A sign-in like any other: a pool that tracks devices hands out a new one.
    super::devices::with_new_device(state, pool, &user, &new.row, None, signed).await
}

/// Opens the `Session` ConfirmSignUp answers (the client allows USER_AUTH): one sign-in of
/// the user, within the client's auth session validity.
pub(crate) fn open_sign_in_after_sign_up(
    state: &State,
    client: &ClientRt,
    user: &User,
) -> Result<String, ApiError> {
    let mut pending = PendingChallenge::new(
        &user.pool_id,
        &client.id,
        &user.sub,
        "SIGN_IN_AFTER_SIGN_UP",
        user.cred_gen,
    );
    pending.purpose = ChallengePurpose::SignInAfterSignUp;
    state
        .pending
        .open_challenge(pending, state.session_validity(&client.config))
}

/// GetUserAuthFactors.
pub(crate) async fn get_user_auth_factors(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    factors_json(state, &a.pool, &a.user).await
}

/// AdminGetUserAuthFactors.
pub(crate) async fn admin_get_user_auth_factors(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let typed = p.req_str("Username")?.to_owned();
    let pool2 = pool.clone();
    let user = state
        .store
        .read(move |c| find_user(c, &pool2, &typed))
        .await?
        .ok_or_else(ApiError::user_not_found)?;
    factors_json(state, &pool, &user).await
}

/// `Username`, the MFA settings as GetUser answers them, and `ConfiguredUserAuthFactors`.
async fn factors_json(state: &State, pool: &PoolRt, user: &User) -> Result<Value, ApiError> {
    let m = mfa::load_user_mfa(state, user).await?;
    let mut out = json!({
        "Username": user.username,
        "ConfiguredUserAuthFactors": user_factors(pool, user),
    });
    mfa::add_user_mfa_json(&mut out, &m, false);
    Ok(out)
}
