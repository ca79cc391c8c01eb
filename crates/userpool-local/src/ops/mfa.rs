//! MFA: the pool's settings (SetUserPoolMfaConfig, GetUserPoolMfaConfig), authenticator
//! apps (AssociateSoftwareToken, VerifySoftwareToken), the user's choices
//! (SetUserMFAPreference, AdminSetUserMFAPreference) and the sign-in challenges that
//! follow a right password (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE,
//! MFA_SETUP).
//!
//! The challenges reuse the challenge sessions of NEW_PASSWORD_REQUIRED
//! ([`crate::srp_state::Pending`]): the session remembers the user, the credential
//! generation the password was checked under and the code sent by SMS or email. An answer
//! is decided in one write transaction on the user's row as it is then, like a password
//! attempt: a wrong code counts as a sign-in failure (and may lock the user out), a right
//! one inserts the session of the tokens. TOTP codes are RFC 6238 (HMAC-SHA-1, 6 digits,
//! 30-second steps, one step of skew either way), and a code of a step already accepted
//! is refused, so each code works once.

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::{Value, json};

use super::auth::{Checked, lock_until};
use super::session::{self, authenticate};
use super::{challenge_answer, challenge_expired, ensure_enabled, find_user, missing_param};
use crate::config::{MfaConfig, MfaMode};
use crate::error::{ApiError, ExceptionName};
use crate::outbox::{Delivery, Medium, Purpose};
use crate::protocol::{Params, lookup};
use crate::srp_state::{ChallengePurpose, PendingChallenge, SentCode};
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, FACTORS, User, UserMfa, UserStatus};
use crate::util;

fn wrong_code() -> ApiError {
    ApiError::new(
        ExceptionName::CodeMismatch,
        "Invalid code or auth state for the user.",
    )
}

fn no_software_token() -> ApiError {
    ApiError::new(
        ExceptionName::SoftwareTokenMfaNotFound,
        "Software Token MFA does not exist for the user.",
    )
}

// ---------------------------------------------------------------------------------------
// TOTP

/// Bytes of a new authenticator secret: 160 bits, 32 base32 characters as Cognito's.
const SECRET_BYTES: usize = 20;

fn totp(secret: &[u8]) -> Result<totp_rs::Totp, ApiError> {
    // The builder's defaults are RFC 6238's: SHA-1, 6 digits, 30 s, one step of skew.
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .build()
        .map_err(|_| ApiError::internal("a stored authenticator secret is unusable"))
}

/// The time step a code belongs to, if it is right now (±1 step) and of a step later
/// than `last_step`, the last one accepted.
fn totp_step(secret: &[u8], code: &str, last_step: i64) -> Result<Option<i64>, ApiError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let now = u64::try_from(util::now_secs()).unwrap_or(0);
    let step = totp(secret)?
        .check(code, now)
        .and_then(|s| i64::try_from(s).ok());
    Ok(step.filter(|s| *s > last_step))
}

// ---------------------------------------------------------------------------------------
// The pool's settings

fn mfa_config_json(m: &MfaConfig) -> Value {
    let mut v = json!({
        "MfaConfiguration": m.mode.wire(),
        "SoftwareTokenMfaConfiguration": { "Enabled": m.software_token },
    });
    if m.sms {
        let mut sms = json!({});
        if let Some(t) = &m.sms_message {
            sms["SmsAuthenticationMessage"] = json!(t);
        }
        v["SmsMfaConfiguration"] = sms;
    }
    if m.email {
        let mut email = json!({});
        if let Some(t) = &m.email_message {
            email["Message"] = json!(t);
        }
        if let Some(t) = &m.email_subject {
            email["Subject"] = json!(t);
        }
        v["EmailMfaConfiguration"] = email;
    }
    v
}

/// GetUserPoolMfaConfig.
pub(crate) async fn get_user_pool_mfa_config(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    Ok(mfa_config_json(&pool.config.mfa))
}

/// SetUserPoolMfaConfig. A factor whose configuration is left out is turned off, as in
/// Cognito (which is why `ON` alone is refused); `MfaConfiguration` left out keeps the
/// pool's mode.
pub(crate) async fn set_user_pool_mfa_config(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let mut m = MfaConfig {
        mode: match p.str("MfaConfiguration")? {
            Some(mode) => MfaMode::parse(mode)?,
            None => pool.config.mfa.mode,
        },
        ..MfaConfig::default()
    };
    if let Some(sms) = p.obj("SmsMfaConfiguration")? {
        m.sms = true;
        m.sms_message = sms.str("SmsAuthenticationMessage")?.map(str::to_owned);
    }
    if let Some(t) = p.obj("SoftwareTokenMfaConfiguration")? {
        m.software_token = t.bool("Enabled")?.unwrap_or(false);
    }
    if let Some(e) = p.obj("EmailMfaConfiguration")? {
        m.email = true;
        m.email_message = e.str("Message")?.map(str::to_owned);
        m.email_subject = e.str("Subject")?.map(str::to_owned);
    }
    for message in [&m.sms_message, &m.email_message].into_iter().flatten() {
        if !message.contains("{####}") {
            return Err(ApiError::invalid_parameter(
                "The message must contain the {####} placeholder for the code.",
            ));
        }
    }
    m.validate()?;
    let mut config = pool.config.clone();
    config.mfa = m.clone();
    state.replace_pool_config(&pool.id, &config).await?;
    Ok(mfa_config_json(&m))
}

// ---------------------------------------------------------------------------------------
// The user's settings

/// The MFA members of GetUser and AdminGetUser: `UserMFASettingList` and
/// `PreferredMfaSetting` (left out when empty, as Cognito does), and the legacy
/// `MFAOptions` when SMS MFA is on.
pub(crate) fn add_user_mfa_json(out: &mut Value, m: &UserMfa, mfa_options_member: bool) {
    let enabled: Vec<&str> = FACTORS.into_iter().filter(|f| m.enabled(f)).collect();
    if !enabled.is_empty() {
        out["UserMFASettingList"] = json!(enabled);
    }
    if let Some(p) = &m.preferred {
        out["PreferredMfaSetting"] = json!(p);
    }
    if mfa_options_member && m.sms_enabled {
        out["MFAOptions"] = json!([{ "DeliveryMedium": "SMS", "AttributeName": "phone_number" }]);
    }
}

/// Reads a user's MFA settings.
pub(crate) async fn load_user_mfa(state: &State, user: &User) -> Result<UserMfa, ApiError> {
    let (pool_id, sub) = (user.pool_id.clone(), user.sub.clone());
    state
        .store
        .read(move |c| store::user_mfa(c, &pool_id, &sub))
        .await
}

/// The settings of one factor in a preference request.
#[derive(Debug, Clone, Copy)]
struct FactorChoice {
    factor: &'static str,
    enabled: Option<bool>,
    preferred: Option<bool>,
}

fn read_choices(p: &Params<'_>) -> Result<Vec<FactorChoice>, ApiError> {
    let mut out = Vec::new();
    for (member, factor) in [
        ("SMSMfaSettings", "SMS_MFA"),
        ("SoftwareTokenMfaSettings", "SOFTWARE_TOKEN_MFA"),
        ("EmailMfaSettings", "EMAIL_OTP"),
    ] {
        if let Some(s) = p.obj(member)? {
            out.push(FactorChoice {
                factor,
                enabled: s.bool("Enabled")?,
                preferred: s.bool("PreferredMfa")?,
            });
        }
    }
    Ok(out)
}

/// Applies a preference request to a user's settings. A factor can be turned on only
/// with what it needs (a verified authenticator, a phone number, an email address);
/// preferring a factor turns it on; turning the preferred factor off clears the
/// preference; at most one factor is preferred.
fn apply_choices(user: &User, m: &mut UserMfa, choices: &[FactorChoice]) -> Result<(), ApiError> {
    if choices.iter().filter(|c| c.preferred == Some(true)).count() > 1 {
        return Err(ApiError::invalid_parameter(
            "Only one MFA method can be preferred.",
        ));
    }
    for c in choices {
        let on = c.enabled.unwrap_or(m.enabled(c.factor)) || c.preferred == Some(true);
        if on && !deliverable(user, m, c.factor) {
            return Err(ApiError::invalid_parameter(format!(
                "User does not have delivery config set to turn on {}",
                c.factor
            )));
        }
        m.set_enabled(c.factor, on);
        let is_preferred = m.preferred.as_deref() == Some(c.factor);
        if c.preferred == Some(true) {
            m.preferred = Some(c.factor.to_owned());
        } else if is_preferred && (!on || c.preferred == Some(false)) {
            m.preferred = None;
        }
    }
    Ok(())
}

async fn save_choices(
    state: &State,
    pool_id: &str,
    sub: &str,
    choices: Vec<FactorChoice>,
) -> Result<(), ApiError> {
    let (pool_id, sub) = (pool_id.to_owned(), sub.to_owned());
    state
        .store
        .write(move |c| {
            let user =
                store::user_by_sub(c, &pool_id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            let mut m = store::user_mfa(c, &pool_id, &sub)?;
            apply_choices(&user, &mut m, &choices)?;
            store::put_user_mfa(c, &pool_id, &sub, &m)
        })
        .await
}

/// SetUserMFAPreference.
pub(crate) async fn set_user_mfa_preference(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    let choices = read_choices(&p)?;
    save_choices(state, &a.pool.id, &a.user.sub, choices).await?;
    Ok(json!({}))
}

/// AdminSetUserMFAPreference.
pub(crate) async fn admin_set_user_mfa_preference(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let typed = p.req_str("Username")?.to_owned();
    let choices = read_choices(&p)?;
    let pool2 = pool.clone();
    let user = state
        .store
        .read(move |c| find_user(c, &pool2, &typed))
        .await?
        .ok_or_else(ApiError::user_not_found)?;
    save_choices(state, &pool.id, &user.sub, choices).await?;
    Ok(json!({}))
}

// ---------------------------------------------------------------------------------------
// Authenticator apps

/// Whose authenticator a call is about: the signed-in user of an access token, or the
/// user of an MFA_SETUP challenge session.
struct TokenCaller {
    client: Arc<ClientRt>,
    user: User,
    /// The MFA_SETUP session and its challenge, when called with `Session`.
    session: Option<(String, PendingChallenge)>,
}

async fn token_caller(state: &State, p: &Params<'_>) -> Result<TokenCaller, ApiError> {
    match (p.str("AccessToken")?, p.str("Session")?) {
        (Some(token), None) => {
            let a = authenticate(state, token).await?;
            Ok(TokenCaller {
                client: a.client,
                user: a.user,
                session: None,
            })
        }
        (None, Some(session)) => {
            let pending = state
                .pending
                .challenge(session)
                .ok_or_else(challenge_expired)?;
            if pending.challenge != "MFA_SETUP" {
                return Err(challenge_expired());
            }
            let client = state.client(&pending.client_id).await?;
            let (pid, sub) = (pending.pool_id.clone(), pending.sub.clone());
            let user = state
                .store
                .read(move |c| store::user_by_sub(c, &pid, &sub))
                .await?
                .ok_or_else(challenge_expired)?;
            ensure_enabled(&user)?;
            if user.cred_gen != pending.cred_gen {
                return Err(challenge_expired());
            }
            Ok(TokenCaller {
                client,
                user,
                session: Some((session.to_owned(), pending)),
            })
        }
        _ => Err(ApiError::invalid_parameter(
            "Exactly one of AccessToken and Session must be given.",
        )),
    }
}

/// Replaces an MFA_SETUP session by a new one (each step of the setup hands out the
/// session of the next).
fn next_setup_session(
    state: &State,
    client: &ClientRt,
    old: &str,
    pending: PendingChallenge,
) -> Result<String, ApiError> {
    state.pending.close_challenge(old);
    let mut next = pending;
    next.failures = 0;
    state
        .pending
        .open_challenge(next, state.session_validity(&client.config))
}

/// AssociateSoftwareToken: a new secret, kept aside until VerifySoftwareToken confirms it
/// (the authenticator in use, if any, keeps working until then).
pub(crate) async fn associate_software_token(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let caller = token_caller(state, &p).await?;
    let secret = util::random_bytes::<SECRET_BYTES>()?.to_vec();
    let code = totp_rs::Secret::from(secret.clone()).to_base32();
    let (pool_id, sub) = (caller.user.pool_id.clone(), caller.user.sub.clone());
    state
        .store
        .write(move |c| {
            let mut m = store::user_mfa(c, &pool_id, &sub)?;
            m.totp_pending = Some(secret);
            store::put_user_mfa(c, &pool_id, &sub, &m)
        })
        .await?;
    let mut out = json!({ "SecretCode": code });
    if let Some((old, pending)) = caller.session {
        out["Session"] = json!(next_setup_session(state, &caller.client, &old, pending)?);
    }
    Ok(out)
}

/// VerifySoftwareToken: the code of the associated secret makes it the user's
/// authenticator. A wrong code is `EnableSoftwareTokenMFAException`, as Cognito answers.
pub(crate) async fn verify_software_token(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let caller = token_caller(state, &p).await?;
    let code = p.req_str("UserCode")?.to_owned();
    let name = p.str("FriendlyDeviceName")?.map(str::to_owned);
    let (pool_id, sub) = (caller.user.pool_id.clone(), caller.user.sub.clone());
    let verdict = state
        .store
        .write_keep(move |c| {
            let mut m = store::user_mfa(c, &pool_id, &sub)?;
            let Some(pending) = m.totp_pending.clone() else {
                return Ok(Err(no_software_token()));
            };
            // A fresh secret: no step of it was accepted yet.
            let Some(step) = totp_step(&pending, &code, 0)? else {
                return Ok(Err(ApiError::new(
                    ExceptionName::EnableSoftwareTokenMfa,
                    "Code mismatch and fail enable Software Token MFA",
                )));
            };
            m.totp_secret = Some(pending);
            m.totp_pending = None;
            m.totp_last_step = step;
            m.totp_name = name;
            store::put_user_mfa(c, &pool_id, &sub, &m)?;
            Ok(Ok(()))
        })
        .await;
    if let Err(e) = verdict {
        if let Some((session, _)) = &caller.session
            && e.exception() == ExceptionName::EnableSoftwareTokenMfa
        {
            state
                .pending
                .challenge_failed(session, state.limits.mfa_code_attempts);
        }
        return Err(e);
    }
    let mut out = json!({ "Status": "SUCCESS" });
    if let Some((old, pending)) = caller.session {
        out["Session"] = json!(next_setup_session(state, &caller.client, &old, pending)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Sign-in challenges

/// What a sign-in with the right password needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MfaStep {
    /// One factor's code: `SMS_MFA`, `SOFTWARE_TOKEN_MFA` or `EMAIL_OTP`.
    Code(&'static str),
    /// Several factors and none preferred: SELECT_MFA_TYPE.
    Select(Vec<&'static str>),
    /// MFA is required and the user has no factor: MFA_SETUP.
    Setup(Vec<&'static str>),
    /// The sign-in named this confirmed device: DEVICE_SRP_AUTH comes first, MFA (if any)
    /// after it ([`super::devices`]).
    Device(String),
}

/// Whether a user has what a factor needs: a verified authenticator, a phone number, an
/// email address.
fn deliverable(user: &User, m: &UserMfa, factor: &str) -> bool {
    match factor {
        "SMS_MFA" => user.attrs.contains_key("phone_number"),
        "SOFTWARE_TOKEN_MFA" => m.totp_secret.is_some(),
        "EMAIL_OTP" => user.attrs.contains_key("email"),
        _ => false,
    }
}

/// Decides the MFA step of a sign-in: the factors the user enabled that the pool allows
/// and the user can receive; the preferred one, or the only one, or a choice. With MFA
/// required and no such factor, a verified phone number (SMS allowed) or email address
/// (email allowed) is used, as Cognito does with required SMS MFA; otherwise MFA_SETUP.
pub(crate) fn decide(config: &MfaConfig, user: &User, m: &UserMfa) -> Option<MfaStep> {
    if config.mode == MfaMode::Off {
        return None;
    }
    let active: Vec<&'static str> = FACTORS
        .into_iter()
        .filter(|f| config.allows(f) && m.enabled(f) && deliverable(user, m, f))
        .collect();
    if active.is_empty() {
        if config.mode != MfaMode::On {
            return None;
        }
        if config.sms && user.is_verified("phone_number") {
            return Some(MfaStep::Code("SMS_MFA"));
        }
        if config.email && user.is_verified("email") {
            return Some(MfaStep::Code("EMAIL_OTP"));
        }
        let can_setup = FACTORS.into_iter().filter(|f| config.allows(f)).collect();
        return Some(MfaStep::Setup(can_setup));
    }
    if let Some(p) = active.iter().find(|f| m.preferred.as_deref() == Some(**f)) {
        return Some(MfaStep::Code(p));
    }
    if let [only] = active[..] {
        return Some(MfaStep::Code(only));
    }
    Some(MfaStep::Select(active))
}

/// Reads a user's MFA settings and decides the step, inside the sign-in's transaction.
pub(crate) fn decide_in(
    c: &Connection,
    config: &MfaConfig,
    user: &User,
) -> Result<Option<MfaStep>, ApiError> {
    if config.mode == MfaMode::Off || user.status != UserStatus::Confirmed {
        return Ok(None);
    }
    let m = store::user_mfa(c, &user.pool_id, &user.sub)?;
    Ok(decide(config, user, &m))
}

fn factors_json(list: &[&str]) -> Result<String, ApiError> {
    serde_json::to_string(list).map_err(ApiError::internal)
}

/// Opens the challenge of an MFA step: a session, and for SMS and email a code in the
/// outbox.
pub(crate) fn open_step(
    state: &State,
    pool: &PoolRt,
    client: &ClientRt,
    user: &User,
    step: MfaStep,
) -> Result<Value, ApiError> {
    open_step_as(
        state,
        pool,
        client,
        user,
        step,
        ChallengePurpose::AfterPassword,
    )
}

/// [`open_step`] for a session of `purpose`: USER_AUTH opens its one-time-password first
/// factors (`EMAIL_OTP`, `SMS_OTP`) here too, so that their codes are made, sent, expired
/// and counted exactly as the MFA codes are.
pub(crate) fn open_step_as(
    state: &State,
    pool: &PoolRt,
    client: &ClientRt,
    user: &User,
    step: MfaStep,
    purpose: ChallengePurpose,
) -> Result<Value, ApiError> {
    if let MfaStep::Device(device_key) = &step {
        return super::devices::open_device_challenge(state, pool, client, user, device_key);
    }
    let mut pending = PendingChallenge::new(&pool.id, &client.id, &user.sub, "", user.cred_gen);
    pending.purpose = purpose;
    let mut params = json!({ "USER_ID_FOR_SRP": user.username });
    let mut delivery = None;
    match step {
        MfaStep::Code(factor) => {
            pending.challenge = factor;
            if factor != "SOFTWARE_TOKEN_MFA" {
                let (attribute, template) = if factor == "SMS_MFA" || factor == "SMS_OTP" {
                    ("phone_number", pool.config.mfa.sms_message.as_deref())
                } else {
                    ("email", pool.config.mfa.email_message.as_deref())
                };
                let destination = user
                    .attrs
                    .get(attribute)
                    .cloned()
                    .ok_or_else(|| ApiError::internal("an MFA code has no destination"))?;
                let code = super::codes::new_code(&state.limits)?;
                let d = Delivery {
                    attribute: attribute.to_owned(),
                    medium: Medium::for_attribute(attribute),
                    destination,
                    message: template
                        .unwrap_or("Your authentication code is {####}. ")
                        .replace("{####}", &code),
                    code: code.clone(),
                    purpose: Purpose::Mfa,
                };
                params["CODE_DELIVERY_DELIVERY_MEDIUM"] = json!(d.medium.wire());
                params["CODE_DELIVERY_DESTINATION"] = json!(d.masked_destination());
                pending.code = Some(SentCode(code));
                delivery = Some(d);
            }
        }
        MfaStep::Select(choices) => {
            pending.challenge = "SELECT_MFA_TYPE";
            params["MFAS_CAN_CHOOSE"] = json!(factors_json(&choices)?);
            pending.choices = choices;
        }
        MfaStep::Setup(can) => {
            pending.challenge = "MFA_SETUP";
            params["MFAS_CAN_SETUP"] = json!(factors_json(&can)?);
        }
        // Answered above.
        MfaStep::Device(_) => return Err(ApiError::internal("a device step reached MFA")),
    }
    let name = pending.challenge;
    let session = state
        .pending
        .open_challenge(pending, state.session_validity(&client.config))?;
    // Recorded once the session exists: a refused session sends nothing.
    if let Some(d) = delivery {
        state.outbox.record(&pool.id, &user.username, &user.sub, &d);
    }
    Ok(json!({
        "ChallengeName": name,
        "Session": session,
        "ChallengeParameters": params,
    }))
}

/// The `ChallengeResponses` member that carries a challenge's code, by challenge name
/// (the API's RespondToAuthChallenge and the hosted MFA page answer the same way).
pub(crate) fn code_member(challenge: &str) -> &'static str {
    match challenge {
        "SMS_MFA" => "SMS_MFA_CODE",
        "SMS_OTP" => "SMS_OTP_CODE",
        "EMAIL_OTP" => "EMAIL_OTP_CODE",
        _ => "SOFTWARE_TOKEN_MFA_CODE",
    }
}

/// RespondToAuthChallenge for SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE and
/// MFA_SETUP, and for the one-time-password first factors of USER_AUTH (EMAIL_OTP,
/// SMS_OTP): a right code ends the sign-in whichever the session's purpose, as after a
/// second factor nothing else is asked, and after a passwordless first factor no MFA is
/// (docs/local-pool.md, "Choice-based sign-in").
pub(crate) async fn respond(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    challenge: &str,
    session: &str,
    r: &[(String, String)],
) -> Result<Value, ApiError> {
    let (pending, user, _) = challenge_answer(state, &pool, &client, challenge, session, r).await?;
    ensure_enabled(&user)?;
    if user.cred_gen != pending.cred_gen {
        return Err(challenge_expired());
    }
    if challenge == "SELECT_MFA_TYPE" {
        let answer = lookup(r, "ANSWER").ok_or_else(|| missing_param("ANSWER"))?;
        let Some(chosen) = pending.choices.iter().copied().find(|f| *f == answer) else {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid ANSWER: {answer} is not one of MFAS_CAN_CHOOSE."
            )));
        };
        state.pending.close_challenge(session);
        return open_step(state, &pool, &client, &user, MfaStep::Code(chosen));
    }
    let given = if challenge == "MFA_SETUP" {
        String::new()
    } else {
        let member = code_member(challenge);
        lookup(r, member)
            .ok_or_else(|| missing_param(member))?
            .to_owned()
    };
    let new = session::new_session(&client, &user)?;
    let (row, hash) = (new.row.clone(), new.refresh_hash);
    let limits = state.limits.clone();
    let opened_gen = pending.cred_gen;
    let challenge_name = pending.challenge;
    let sent = pending.code.clone();
    let (pool_id, sub) = (pool.id.clone(), user.sub.clone());
    let decided = state
        .store
        .write_keep(move |c| {
            let Some(mut u) = store::user_by_sub(c, &pool_id, &sub)? else {
                return Err(ApiError::user_not_found());
            };
            if let Err(disabled) = ensure_enabled(&u) {
                return Ok(Err(disabled));
            }
            // A new password, a reset, a sign-out or a disabling since the password was
            // checked: what the session stood for is gone.
            if u.cred_gen != opened_gen {
                return Ok(Err(challenge_expired()));
            }
            let now = util::now_ms();
            if u.locked_at(now) {
                return Ok(Err(Checked::SignIn.locked_out()));
            }
            let mut m = store::user_mfa(c, &pool_id, &sub)?;
            let right = match challenge_name {
                "SOFTWARE_TOKEN_MFA" => {
                    let Some(secret) = m.totp_secret.clone() else {
                        return Ok(Err(no_software_token()));
                    };
                    match totp_step(&secret, &given, m.totp_last_step)? {
                        Some(step) => {
                            m.totp_last_step = step;
                            true
                        }
                        None => false,
                    }
                }
                "MFA_SETUP" => {
                    // The authenticator verified with this session's predecessor becomes
                    // the user's factor (and the preferred one when none is).
                    if m.totp_secret.is_none() {
                        return Ok(Err(no_software_token()));
                    }
                    m.totp_enabled = true;
                    if m.preferred.is_none() {
                        m.preferred = Some("SOFTWARE_TOKEN_MFA".to_owned());
                    }
                    true
                }
                _ => sent.as_ref().is_some_and(|s| util::ct_eq(&s.0, &given)),
            };
            if !right {
                let failed = store::add_failure(c, &pool_id, &sub, |failed| {
                    lock_until(&limits, failed, now)
                })?;
                return Ok(Err(if failed > i64::from(limits.lockout_threshold) {
                    Checked::SignIn.locked_out()
                } else {
                    wrong_code()
                }));
            }
            store::put_user_mfa(c, &pool_id, &sub, &m)?;
            if u.failed != 0 || u.locked_until_ms != 0 {
                store::clear_failures(c, &pool_id, &sub)?;
                u.failed = 0;
                u.locked_until_ms = 0;
            }
            store::insert_session(c, &row, &hash)?;
            Ok(Ok(u))
        })
        .await;
    let user = match decided {
        Ok(user) => user,
        Err(e) => {
            if e.exception() == ExceptionName::CodeMismatch {
                state
                    .pending
                    .challenge_failed(session, state.limits.mfa_code_attempts);
            } else {
                state.pending.close_challenge(session);
            }
            return Err(e);
        }
    };
    state.pending.close_challenge(session);
    let signed = session::authentication_result(
        state,
        &pool,
        &client,
        &user,
        &new.row,
        Some(&new.refresh_token),
    )
    .await?;
    // The answer names the device the sign-in came from, if any (the reference client
    // sends DEVICE_KEY with its MFA answers): no new device for it.
    let device_key = lookup(r, "DEVICE_KEY");
    super::devices::with_new_device(state, &pool, &user, &new.row, device_key, signed).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(attrs: &[(&str, &str)]) -> User {
        User {
            pool_id: "p".into(),
            sub: "s".into(),
            username: "u".into(),
            username_key: "u".into(),
            status: UserStatus::Confirmed,
            enabled: true,
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            pending: Default::default(),
            verifier: None,
            temp_expires_ms: None,
            failed: 0,
            locked_until_ms: 0,
            cred_gen: 0,
            created_ms: 0,
            modified_ms: 0,
        }
    }

    fn config(mode: MfaMode) -> MfaConfig {
        MfaConfig {
            mode,
            sms: true,
            software_token: true,
            email: true,
            ..MfaConfig::default()
        }
    }

    #[test]
    fn the_step_follows_the_pool_mode_and_the_users_factors() {
        let u = user(&[("phone_number", "+15550100"), ("email", "a@example.com")]);
        let none = UserMfa::default();
        assert_eq!(decide(&config(MfaMode::Off), &u, &none), None);
        assert_eq!(decide(&config(MfaMode::Optional), &u, &none), None);
        assert_eq!(
            decide(&config(MfaMode::On), &u, &none),
            Some(MfaStep::Setup(vec![
                "SMS_MFA",
                "SOFTWARE_TOKEN_MFA",
                "EMAIL_OTP"
            ]))
        );
        let mut two = UserMfa {
            sms_enabled: true,
            email_enabled: true,
            ..UserMfa::default()
        };
        assert_eq!(
            decide(&config(MfaMode::Optional), &u, &two),
            Some(MfaStep::Select(vec!["SMS_MFA", "EMAIL_OTP"]))
        );
        two.preferred = Some("EMAIL_OTP".into());
        assert_eq!(
            decide(&config(MfaMode::Optional), &u, &two),
            Some(MfaStep::Code("EMAIL_OTP"))
        );
        // A factor the pool does not allow is not offered.
        let sms_only = MfaConfig {
            email: false,
            ..config(MfaMode::Optional)
        };
        assert_eq!(decide(&sms_only, &u, &two), Some(MfaStep::Code("SMS_MFA")));
        // An authenticator enabled but never verified is not a factor.
        let unverified = UserMfa {
            totp_enabled: true,
            ..UserMfa::default()
        };
        assert_eq!(decide(&config(MfaMode::Optional), &u, &unverified), None);
    }

    #[test]
    fn required_mfa_falls_back_on_a_verified_phone_number() {
        let u = user(&[
            ("phone_number", "+15550100"),
            ("phone_number_verified", "true"),
        ]);
        assert_eq!(
            decide(&config(MfaMode::On), &u, &UserMfa::default()),
            Some(MfaStep::Code("SMS_MFA"))
        );
    }

    #[test]
    fn a_totp_code_is_accepted_once_and_only_near_now() {
        let secret = [7u8; SECRET_BYTES];
        let t = totp(&secret).unwrap();
        let now = u64::try_from(util::now_secs()).unwrap();
        let code = t.generate(now).to_string();
        let step = totp_step(&secret, &code, 0).unwrap().unwrap();
        assert_eq!(totp_step(&secret, &code, step).unwrap(), None, "replayed");
        let old = t.generate(now - 300).to_string();
        if old != code {
            assert_eq!(totp_step(&secret, &old, 0).unwrap(), None, "too old");
        }
        assert_eq!(totp_step(&secret, "12345", 0).unwrap(), None);
        assert_eq!(totp_step(&secret, "12345x", 0).unwrap(), None);
    }

    #[test]
    fn preferences_need_a_deliverable_factor_and_one_preferred() {
        let u = user(&[("email", "a@example.com")]);
        let mut m = UserMfa::default();
        let choice = |factor, enabled, preferred| FactorChoice {
            factor,
            enabled,
            preferred,
        };
        let e = apply_choices(&u, &mut m, &[choice("SMS_MFA", Some(true), None)]).unwrap_err();
        assert_eq!(
            e.message(),
            "User does not have delivery config set to turn on SMS_MFA"
        );
        apply_choices(&u, &mut m, &[choice("EMAIL_OTP", None, Some(true))]).unwrap();
        assert!(m.email_enabled);
        assert_eq!(m.preferred.as_deref(), Some("EMAIL_OTP"));
        apply_choices(&u, &mut m, &[choice("EMAIL_OTP", Some(false), None)]).unwrap();
        assert!(!m.email_enabled);
        assert_eq!(m.preferred, None);
        let two = [
            choice("EMAIL_OTP", Some(true), Some(true)),
            choice("SMS_MFA", Some(true), Some(true)),
        ];
        assert!(apply_choices(&u, &mut m, &two).is_err());
    }

    #[test]
    fn debug_hides_the_secrets() {
        let m = UserMfa {
            totp_secret: Some(b"very-secret-bytes!!!".to_vec()),
            totp_pending: Some(b"pending-secret-bytes".to_vec()),
            ..UserMfa::default()
        };
        let text = format!("{m:?}");
        assert!(!text.contains("very-secret"), "{text}");
        assert!(!text.contains("pending-secret"), "{text}");
        let code = SentCode("123456".into());
        assert!(!format!("{code:?}").contains("123456"));
    }
}
