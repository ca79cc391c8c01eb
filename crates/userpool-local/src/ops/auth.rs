//! InitiateAuth and RespondToAuthChallenge, and their admin twins AdminInitiateAuth and
//! AdminRespondToAuthChallenge (one core, [`Entry`] says which): USER_SRP_AUTH /
//! PASSWORD_VERIFIER, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH,
//! NEW_PASSWORD_REQUIRED; lockout after repeated wrong passwords. The MFA challenges that may follow a right password are in
//! [`super::mfa`]; choice-based sign-in (USER_AUTH) is in [`super::user_auth`], on the
//! password and SRP cores here.
//!
//! A password attempt is checked in two parts. The crypto (the SRP steps, the verifier
//! check of USER_PASSWORD_AUTH) runs on the crypto pool against the verifier as read when
//! the attempt started, with no transaction open. The decision is then made in one write
//! transaction ([`settle_attempt`]), on the user's row as it is at that moment: the lock,
//! the credential generation the check was made under, and the failure counter are read
//! and updated there, and the session of a successful sign-in is inserted there too. So
//! parallel guesses are counted one by one, a guess that lands in a lock is refused even
//! with the right password, and a sign-in that raced a password change, a reset, a global
//! sign-out or a disabling is refused instead of getting a session for the old
//! credential.

use std::sync::Arc;

use serde_json::{Value, json};

use rusqlite::Connection;

use super::devices::{self, AtSignIn};
use super::mfa::{self, MfaStep};
use super::session::{self, NewSession};
use super::{
    challenge_answer, challenge_expired, check_secret_hash, crypto, ensure_enabled, find_user,
    missing_param, names_user, srp_a_of,
};
use crate::attributes::{self, WriteKind};
use crate::config::{Limits, MfaMode};
use crate::error::{ApiError, ExceptionName};
use crate::password;
use crate::protocol::{Params, lookup};
use crate::srp_glue::{self, ClientProof, ServerStep, StoredVerifier};
use crate::srp_state::PendingSrp;
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, User, UserStatus};
use crate::util;

/// Cognito's answer to a flow the app client does not allow.
pub(super) fn flow_disabled(flow: &str) -> ApiError {
    ApiError::invalid_parameter(format!("{flow} flow not enabled for this client"))
}

pub(super) fn attempts_exceeded() -> ApiError {
    ApiError::not_authorized("Password attempts exceeded")
}

pub(super) fn locked(user: &User) -> bool {
    user.locked_at(util::now_ms())
}

/// Which operation checked a password: their answers differ once the user is locked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checked {
    /// A sign-in: InitiateAuth, RespondToAuthChallenge or their admin twins.
    SignIn,
    /// ChangePassword (its previous password).
    ChangePassword,
}

impl Checked {
    /// Cognito's refusal while the user is locked out.
    pub(crate) fn locked_out(self) -> ApiError {
        match self {
            Checked::SignIn => attempts_exceeded(),
            Checked::ChangePassword => ApiError::new(
                ExceptionName::LimitExceeded,
                "Attempt limit exceeded, please try after some time.",
            ),
        }
    }
}

/// Until when a user with `failed` counted failures is locked out (0: not locked):
/// from the threshold on, `lockout_base` doubling with each further failure, at most
/// `lockout_max`.
pub(crate) fn lock_until(limits: &Limits, failed: i64, now_ms: i64) -> i64 {
    let threshold = i64::from(limits.lockout_threshold);
    if failed < threshold {
        return 0;
    }
    // 0..=20: `failed >= threshold >= 0`, and the count is capped before the shift.
    let doublings = u32::try_from((failed - threshold).min(20)).unwrap_or(20);
    let lock = limits
        .lockout_base
        .saturating_mul(1u32 << doublings)
        .min(limits.lockout_max);
    now_ms.saturating_add(util::duration_ms(lock))
}

/// Decides a password attempt and records it, inside the caller's write transaction.
///
/// `right` is the verdict of the crypto, made against the verifier the user had at
/// credential generation `seen_gen`. Read here, in the same transaction that writes:
/// a disabled user is refused; a user locked out is refused without counting the attempt
/// (Cognito: attempts during a lockout "don't affect the duration of subsequent lockout
/// periods"); an attempt checked under an older generation is refused as a wrong
/// password without counting it (what it was checked against is gone); a wrong password
/// is counted and may start a lockout; a right one clears the count.
///
/// `Ok(Ok(user))`: accepted, `user` as stored now. `Ok(Err(refusal))`: refused; commit
/// the transaction anyway, as a counted failure must stay counted (`Store::write_keep`).
pub(crate) fn settle_attempt(
    c: &Connection,
    limits: &Limits,
    pool_id: &str,
    sub: &str,
    seen_gen: i64,
    right: bool,
    checked: Checked,
) -> Result<Result<User, ApiError>, ApiError> {
    let Some(mut user) = store::user_by_sub(c, pool_id, sub)? else {
        return Err(ApiError::user_not_found());
    };
    if let Err(disabled) = ensure_enabled(&user) {
        return Ok(Err(disabled));
    }
    let now = util::now_ms();
    if user.locked_at(now) {
        return Ok(Err(checked.locked_out()));
    }
    if user.cred_gen != seen_gen {
        return Ok(Err(ApiError::bad_credentials()));
    }
    if !right {
        let failed = store::add_failure(c, pool_id, sub, |failed| lock_until(limits, failed, now))?;
        return Ok(Err(if failed > i64::from(limits.lockout_threshold) {
            checked.locked_out()
        } else {
            ApiError::bad_credentials()
        }));
    }
    if user.failed != 0 || user.locked_until_ms != 0 {
        store::clear_failures(c, pool_id, sub)?;
        user.failed = 0;
        user.locked_until_ms = 0;
    }
    Ok(Ok(user))
}

/// Which operation a sign-in came through: the public calls (InitiateAuth,
/// RespondToAuthChallenge: the client id names the pool) or the admin ones
/// (AdminInitiateAuth, AdminRespondToAuthChallenge: SigV4-signed, with `UserPoolId`).
/// Everything after the pool and client are resolved is shared; only the flows each
/// accepts differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Public,
    Admin,
}

impl Entry {
    /// The app client and its pool. The admin calls name both: an unknown pool is
    /// answered first, and a client of another pool is an unknown client, as Cognito
    /// answers them.
    async fn client_and_pool(
        self,
        state: &State,
        p: &Params<'_>,
        client_id: &str,
    ) -> Result<(Arc<ClientRt>, Arc<PoolRt>), ApiError> {
        match self {
            Entry::Public => state.client_and_pool(client_id).await,
            Entry::Admin => {
                let pool = state.pool(p.req_str("UserPoolId")?).await?;
                let client = state.client(client_id).await?;
                if client.pool_id != pool.id {
                    return Err(ApiError::client_not_found(client_id));
                }
                Ok((client, pool))
            }
        }
    }
}

/// Cognito's answer to a flow of the other entry point (USER_PASSWORD_AUTH at
/// AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH at InitiateAuth).
fn method_not_supported() -> ApiError {
    ApiError::invalid_parameter("Initiate Auth method not supported.")
}

/// Whether an app client allows ADMIN_USER_PASSWORD_AUTH: `ALLOW_ADMIN_USER_PASSWORD_AUTH`,
/// or its legacy name `ADMIN_NO_SRP_AUTH`. Not in Cognito's default flows (an empty
/// list), as documented for CreateUserPoolClient.
fn allows_admin_password(client: &ClientRt) -> bool {
    client
        .config
        .explicit_auth_flows
        .iter()
        .any(|f| f == "ALLOW_ADMIN_USER_PASSWORD_AUTH" || f == "ADMIN_NO_SRP_AUTH")
}

/// InitiateAuth.
pub(crate) async fn initiate_auth(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    initiate(state, p, Entry::Public).await
}

/// AdminInitiateAuth.
pub(crate) async fn admin_initiate_auth(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    initiate(state, p, Entry::Admin).await
}

/// The start of a sign-in, for both entry points. `ContextData`, `ClientMetadata` and
/// `AnalyticsMetadata` are accepted and unused (no threat protection, no Lambda
/// triggers).
async fn initiate(state: &Arc<State>, p: Params<'_>, entry: Entry) -> Result<Value, ApiError> {
    let flow = p.req_str("AuthFlow")?;
    let client_id = p.req_str("ClientId")?;
    let params = p.str_map("AuthParameters")?.unwrap_or_default();
    let (client, pool) = entry.client_and_pool(state, &p, client_id).await?;
    let flows = client.config.flows();
    match flow {
        "USER_SRP_AUTH" => {
            if !flows.srp {
                return Err(flow_disabled("USER_SRP_AUTH"));
            }
            start_srp(state, pool, client, &params).await
        }
        "USER_PASSWORD_AUTH" => {
            if entry == Entry::Admin {
                return Err(method_not_supported());
            }
            if !flows.password {
                return Err(flow_disabled("USER_PASSWORD_AUTH"));
            }
            password_auth(state, pool, client, &params).await
        }
        "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
            if entry == Entry::Public {
                return Err(method_not_supported());
            }
            if !allows_admin_password(&client) {
                return Err(ApiError::invalid_parameter(
                    "Auth flow not enabled for this client",
                ));
            }
            password_auth(state, pool, client, &params).await
        }
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
            super::refresh::initiate_refresh(state, pool, client, &params).await
        }
        "USER_AUTH" => {
            super::user_auth::initiate(state, pool, client, &params, p.str("Session")?).await
        }
        "CUSTOM_AUTH" => Err(ApiError::invalid_parameter(format!(
            "The auth flow {flow} is not supported by the local user pool."
        ))),
        other => Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{other}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set"
        ))),
    }
}

/// Reads a user by what was typed (off the async threads).
pub(super) async fn load_user(
    state: &State,
    pool: &Arc<PoolRt>,
    name: &str,
) -> Result<Option<User>, ApiError> {
    let pool2 = pool.clone();
    let name = name.to_owned();
    state.store.read(move |c| find_user(c, &pool2, &name)).await
}

/// The first SRP step (USER_SRP_AUTH, and USER_AUTH's PASSWORD_SRP): `USERNAME`, `SRP_A`
/// and `SECRET_HASH` from `params`; answers PASSWORD_VERIFIER.
pub(super) async fn start_srp(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    let username = lookup(params, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    let srp_a = srp_a_of(params)?;
    let secret_hash = lookup(params, "SECRET_HASH");
    let user = load_user(state, &pool, username).await?;
    let Some(user) = user else {
        check_secret_hash(&client, secret_hash, &[username])?;
        if client.config.prevent_user_existence_errors {
            return fake_srp_challenge(state, &pool, username).await;
        }
        return Err(ApiError::user_not_found());
    };
    check_secret_hash(&client, secret_hash, &[username, &user.username, &user.sub])?;
    ensure_enabled(&user)?;
    if locked(&user) {
        return Err(attempts_exceeded());
    }
    let Some(verifier) = user.verifier.clone() else {
        return Err(ApiError::bad_credentials());
    };
    let generation = user.cred_gen;
    let step =
        crypto::run(move || Ok(ServerStep::start(&verifier)?.with_generation(generation))).await?;
    let salt = step.salt_hex();
    let b = step.b_hex();
    let block = state.pending.add_srp(PendingSrp {
        pool_id: pool.id.clone(),
        client_id: client.id.clone(),
        sub: user.sub.clone(),
        username: user.username.clone(),
        srp_a: srp_a.to_owned(),
        step,
        device_key: lookup(params, "DEVICE_KEY").map(str::to_owned),
        expires: util::instant_after(state.limits.srp_attempt_validity),
    })?;
    Ok(json!({
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": salt,
            "SECRET_BLOCK": block,
            "SRP_B": b,
            "USERNAME": user.username,
            "USER_ID_FOR_SRP": user.username,
        }
    }))
}

/// With PreventUserExistenceErrors, an unknown user gets a challenge that can never be
/// answered, like Cognito: a throwaway verifier that is stable per name (same SALT on every
/// call, as for a real user), costs what a real user's challenge costs and stores nothing.
async fn fake_srp_challenge(
    state: &State,
    pool: &PoolRt,
    username: &str,
) -> Result<Value, ApiError> {
    let verifier: StoredVerifier = state
        .pending
        .fake_verifier(&pool.id, &pool.key_of(username));
    let step = crypto::run(move || ServerStep::start(&verifier)).await?;
    Ok(json!({
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": step.salt_hex(),
            "SECRET_BLOCK": util::b64(&util::random_bytes::<64>()?),
            "SRP_B": step.b_hex(),
            "USERNAME": username,
            "USER_ID_FOR_SRP": username,
        }
    }))
}

/// A password sign-in (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, and USER_AUTH's
/// PASSWORD): `USERNAME`, `PASSWORD` and `SECRET_HASH` from `params`.
pub(super) async fn password_auth(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    let username = lookup(params, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    let password = lookup(params, "PASSWORD").ok_or_else(|| missing_param("PASSWORD"))?;
    let secret_hash = lookup(params, "SECRET_HASH");
    let Some(user) = load_user(state, &pool, username).await? else {
        check_secret_hash(&client, secret_hash, &[username])?;
        if client.config.prevent_user_existence_errors {
            return Err(ApiError::bad_credentials());
        }
        return Err(ApiError::user_not_found());
    };
    check_secret_hash(&client, secret_hash, &[username, &user.username, &user.sub])?;
    ensure_enabled(&user)?;
    // Answered early to save the crypto; the decision is made again in the transaction.
    if locked(&user) {
        return Err(attempts_exceeded());
    }
    let right = match user.verifier.clone() {
        Some(v) => crypto::check_password(&pool.id, &user.username, password, v).await?,
        None => false,
    };
    let seen_gen = user.cred_gen;
    #[cfg(test)]
    tests::pause_after_check(&user.sub).await;
    let device = devices::at_sign_in(state, &pool, &user, lookup(params, "DEVICE_KEY")).await?;
    finish_sign_in_on(state, pool, client, user, seen_gen, right, device).await
}

/// Decides a checked password attempt ([`settle_attempt`]) and answers: tokens (the
/// session inserted in the deciding transaction), a challenge, or a refusal. `read` is the
/// user as read when the attempt started. `device` is what the sign-in's `DEVICE_KEY`
/// names: a confirmed device of the user is asked DEVICE_SRP_AUTH instead of tokens or
/// MFA, an unknown one is refused once the password is right ([`devices`]).
async fn finish_sign_in_on(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    read: User,
    seen_gen: i64,
    right: bool,
    device: AtSignIn,
) -> Result<Value, ApiError> {
    let untracked = device == AtSignIn::Untracked;
    let new = if right {
        Some(session::new_session(&client, &read)?)
    } else {
        None
    };
    let limits = state.limits.clone();
    let (pool_id, sub) = (read.pool_id.clone(), read.sub.clone());
    let row = new.as_ref().map(|n| (n.row.clone(), n.refresh_hash));
    let mfa_config = pool.config.mfa.clone();
    let decide = state.store.write_keep(move |c| {
        let user =
            match settle_attempt(c, &limits, &pool_id, &sub, seen_gen, right, Checked::SignIn)? {
                Ok(user) => user,
                Err(refusal) => return Ok(Err(refusal)),
            };
        // Decided on the MFA settings as they are in this transaction: a second factor
        // (or the device challenge) means no session yet.
        let step = match &device {
            AtSignIn::Confirmed(key) if user.status == UserStatus::Confirmed => {
                Some(MfaStep::Device(key.clone()))
            }
            AtSignIn::Unknown => return Ok(Err(devices::device_not_found())),
            _ => mfa::decide_in(c, &mfa_config, &user)?,
        };
        let mut issued = false;
        if user.status == UserStatus::Confirmed
            && step.is_none()
            && let Some((row, hash)) = &row
        {
            store::insert_session(c, row, hash)?;
            issued = true;
        }
        Ok(Ok((user, issued, step)))
    });
    let Some(new) = new else {
        // A wrong password is always refused.
        return match decide.await {
            Err(refusal) => Err(refusal),
            Ok(_) => Err(ApiError::internal("a wrong password was accepted")),
        };
    };
    // A confirmed user with the right password almost always gets the session (unless the
    // pool has MFA): sign its tokens while the decision is written, and throw them away if
    // it is a refusal.
    let (decided, early) = if untracked
        && read.status == UserStatus::Confirmed
        && pool.config.mfa.mode == MfaMode::Off
    {
        let sign = session::authentication_result(
            state,
            &pool,
            &client,
            &read,
            &new.row,
            Some(&new.refresh_token),
        );
        let (decided, signed) = tokio::join!(decide, sign);
        (decided, Some(signed))
    } else {
        (decide.await, None)
    };
    let (user, issued, step) = decided?;
    if let Some(step) = step {
        return mfa::open_step(state, &pool, &client, &user, step);
    }
    if issued {
        let signed = match early {
            Some(signed) => signed?,
            None => {
                session::authentication_result(
                    state,
                    &pool,
                    &client,
                    &user,
                    &new.row,
                    Some(&new.refresh_token),
                )
                .await?
            }
        };
        return devices::with_new_device(state, &pool, &user, &new.row, None, signed).await;
    }
    match user.status {
        UserStatus::Unconfirmed => Err(ApiError::new(
            ExceptionName::UserNotConfirmed,
            "User is not confirmed.",
        )),
        UserStatus::ResetRequired => Err(ApiError::new(
            ExceptionName::PasswordResetRequired,
            "Password reset required for the user",
        )),
        UserStatus::ForceChangePassword => {
            if user.temp_expires_ms.is_some_and(|t| t <= util::now_ms()) {
                return Err(ApiError::not_authorized(
                    "Temporary password has expired and must be reset by an administrator.",
                ));
            }
            new_password_challenge(state, &pool, &client, &user)
        }
        // A confirmed user with the right password was issued the session above.
        UserStatus::Confirmed => Err(ApiError::internal("a confirmed sign-in got no session")),
    }
}

fn new_password_challenge(
    state: &State,
    pool: &PoolRt,
    client: &ClientRt,
    user: &User,
) -> Result<Value, ApiError> {
    let session = state.pending.add_challenge(
        &pool.id,
        &client.id,
        &user.sub,
        "NEW_PASSWORD_REQUIRED",
        user.cred_gen,
        state.session_validity(&client.config),
    )?;
    let mut user_attributes = serde_json::Map::new();
    for (name, value) in &user.attrs {
        if attributes::client_may_read(Some(&client.config), name) {
            user_attributes.insert(name.clone(), json!(value));
        }
    }
    let required: Vec<String> = pool
        .schema
        .iter()
        .filter(|d| d.required && d.name != "sub" && !user.attrs.contains_key(&d.name))
        .map(|d| format!("userAttributes.{}", d.name))
        .collect();
    Ok(json!({
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session,
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": user.username,
            "requiredAttributes": serde_json::to_string(&required).map_err(ApiError::internal)?,
            "userAttributes": Value::Object(user_attributes).to_string(),
        }
    }))
}

/// RespondToAuthChallenge.
pub(crate) async fn respond_to_auth_challenge(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    respond(state, p, Entry::Public).await
}

/// AdminRespondToAuthChallenge.
pub(crate) async fn admin_respond_to_auth_challenge(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    respond(state, p, Entry::Admin).await
}

/// A challenge answer, for both entry points. An SRP attempt or a challenge session is
/// bound to its pool and app client, not to the entry point that opened it: either
/// respond call answers it (docs/local-pool.md, "Admin sign-in").
async fn respond(state: &Arc<State>, p: Params<'_>, entry: Entry) -> Result<Value, ApiError> {
    let client_id = p.req_str("ClientId")?;
    let challenge = p.req_str("ChallengeName")?;
    let responses = p.str_map("ChallengeResponses")?.unwrap_or_default();
    let (client, pool) = entry.client_and_pool(state, &p, client_id).await?;
    match challenge {
        "PASSWORD_VERIFIER" => password_verifier(state, pool, client, &responses).await,
        "NEW_PASSWORD_REQUIRED" => {
            let session = p.str("Session")?.ok_or_else(|| missing_param("Session"))?;
            new_password(state, pool, client, session, &responses).await
        }
        // EMAIL_OTP is a second factor after a password or a first factor of USER_AUTH
        // (the session records which); one code check answers both, SMS_OTP is the latter.
        "SMS_MFA" | "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP" | "SMS_OTP" | "SELECT_MFA_TYPE"
        | "MFA_SETUP" => {
            let session = p.str("Session")?.ok_or_else(|| missing_param("Session"))?;
            mfa::respond(state, pool, client, challenge, session, &responses).await
        }
        "DEVICE_SRP_AUTH" => {
            devices::device_srp_auth(state, pool, client, p.str("Session")?, &responses).await
        }
        "DEVICE_PASSWORD_VERIFIER" => {
            devices::device_password_verifier(state, pool, client, p.str("Session")?, &responses)
                .await
        }
        "SELECT_CHALLENGE" | "PASSWORD" | "PASSWORD_SRP" | "WEB_AUTHN" => {
            let session = p.str("Session")?.ok_or_else(|| missing_param("Session"))?;
            super::user_auth::respond(state, pool, client, challenge, session, &responses).await
        }
        other => Err(ApiError::invalid_parameter(format!(
            "The challenge {other} is not supported by the local user pool."
        ))),
    }
}

async fn password_verifier(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    r: &[(String, String)],
) -> Result<Value, ApiError> {
    let username = lookup(r, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    let block_text = lookup(r, "PASSWORD_CLAIM_SECRET_BLOCK")
        .ok_or_else(|| missing_param("PASSWORD_CLAIM_SECRET_BLOCK"))?;
    let timestamp = lookup(r, "TIMESTAMP").ok_or_else(|| missing_param("TIMESTAMP"))?;
    let signature = lookup(r, "PASSWORD_CLAIM_SIGNATURE")
        .ok_or_else(|| missing_param("PASSWORD_CLAIM_SIGNATURE"))?;
    let block = srp_glue::decode_secret_block(block_text).ok_or_else(ApiError::bad_credentials)?;
    let Some(attempt) = state.pending.take_srp(&block) else {
        return Err(ApiError::bad_credentials());
    };
    if attempt.client_id != client.id || attempt.pool_id != pool.id {
        return Err(ApiError::bad_credentials());
    }
    let (pid, sub) = (pool.id.clone(), attempt.sub.clone());
    let user = state
        .store
        .read(move |c| store::user_by_sub(c, &pid, &sub))
        .await?
        .ok_or_else(ApiError::user_not_found)?;
    if !names_user(&pool, &user, username) {
        return Err(ApiError::bad_credentials());
    }
    check_secret_hash(
        &client,
        lookup(r, "SECRET_HASH"),
        &[username, &user.username, &user.sub],
    )?;
    srp_glue::check_timestamp(timestamp, state.limits.srp_timestamp_skew)?;
    ensure_enabled(&user)?;
    // Answered early to save the crypto; the decision is made again in the transaction.
    if locked(&user) {
        return Err(attempts_exceeded());
    }
    // The generation the step's verifier was read under, at InitiateAuth.
    let seen_gen = attempt.step.generation();
    // The device the sign-in names: the answer's DEVICE_KEY, else InitiateAuth's (the
    // reference client sends it in both; the later word wins if they differ).
    let device_key = lookup(r, "DEVICE_KEY")
        .map(str::to_owned)
        .or_else(|| attempt.device_key.clone());
    let pool_id = pool.id.clone();
    let (timestamp, signature) = (timestamp.to_owned(), signature.to_owned());
    let right = crypto::run(move || {
        let proof = ClientProof {
            srp_a_hex: &attempt.srp_a,
            secret_block: &block,
            timestamp: &timestamp,
            signature_b64: &signature,
        };
        attempt.step.verify(&pool_id, &attempt.username, &proof)
    })
    .await?;
    let device = devices::at_sign_in(state, &pool, &user, device_key.as_deref()).await?;
    finish_sign_in_on(state, pool, client, user, seen_gen, right, device).await
}

async fn new_password(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    session: &str,
    r: &[(String, String)],
) -> Result<Value, ApiError> {
    let (pending, user, _) =
        challenge_answer(state, &pool, &client, "NEW_PASSWORD_REQUIRED", session, r).await?;
    let opened_gen = pending.cred_gen;
    let new_password = lookup(r, "NEW_PASSWORD").ok_or_else(|| missing_param("NEW_PASSWORD"))?;
    let mut updates: Vec<(String, String)> = r
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("userAttributes.")
                .map(|n| (n.to_owned(), v.clone()))
        })
        .collect();
    attributes::accept_write(
        &pool.schema,
        &mut updates,
        WriteKind::SignUp,
        Some(&client.config),
    )?;
    for d in pool.schema.iter().filter(|d| d.required && d.name != "sub") {
        let present = user.attrs.contains_key(&d.name)
            || updates.iter().any(|(n, v)| n == &d.name && !v.is_empty());
        if !present {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid attributes given, {} is missing",
                d.name
            )));
        }
    }
    password::check_shape(new_password, "newPassword")?;
    password::check_policy(new_password, &pool.config.password_policy)?;
    let verifier = crypto::make_verifier(&pool.id, &user.username, new_password).await?;
    let new: NewSession = session::new_session(&client, &user)?;
    let (row, hash) = (new.row.clone(), new.refresh_hash);
    let pool2 = pool.clone();
    let sub = user.sub.clone();
    let user = state
        .store
        .write(move |c| {
            let mut u =
                store::user_by_sub(c, &pool2.id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            // Disabled since the challenge was opened: no session.
            ensure_enabled(&u)?;
            // A new temporary password, a reset or a disabling since the challenge was
            // opened: the temporary password it was opened with is no longer the user's.
            if u.status != UserStatus::ForceChangePassword || u.cred_gen != opened_gen {
                return Err(challenge_expired());
            }
            for (n, v) in updates {
                if (n == "email" || n == "phone_number") && u.attrs.get(&n) != Some(&v) {
                    u.attrs.insert(format!("{n}_verified"), "false".to_owned());
                }
                u.attrs.insert(n, v);
            }
            u.verifier = Some(verifier);
            u.status = UserStatus::Confirmed;
            u.temp_expires_ms = None;
            u.failed = 0;
            u.locked_until_ms = 0;
            u.modified_ms = util::now_ms();
            store::update_user(c, &u)?;
            // A new password: sign-ins still checking the temporary one are over.
            store::bump_credentials(c, &pool2.id, &u.sub)?;
            super::apply_aliases(c, &pool2, &u, false)?;
            // Read again for the bumped generation, which an MFA challenge is opened under.
            let u =
                store::user_by_sub(c, &pool2.id, &u.sub)?.ok_or_else(ApiError::user_not_found)?;
            // The new password is the first factor: the pool's MFA still comes after it.
            let step = mfa::decide_in(c, &pool2.config.mfa, &u)?;
            if step.is_none() {
                store::insert_session(c, &row, &hash)?;
            }
            Ok((u, step))
        })
        .await?;
    state.pending.close_challenge(session);
    let (user, step) = user;
    if let Some(step) = step {
        return mfa::open_step(state, &pool, &client, &user, step);
    }
    let signed = session::authentication_result(
        state,
        &pool,
        &client,
        &user,
        &new.row,
        Some(&new.refresh_token),
    )
    .await?;
    devices::with_new_device(
        state,
        &pool,
        &user,
        &new.row,
        lookup(r, "DEVICE_KEY"),
        signed,
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Mutex, PoisonError};

    use serde_json::json;
    use tokio::sync::oneshot;

    use crate::{ClientConfig, LocalPool, PoolConfig};

    /// Sign-ins to hold between their password check and their decision, by sub: the
    /// first sender says the sign-in got there, the receiver lets it go on.
    type Pauses = Mutex<HashMap<String, (oneshot::Sender<()>, oneshot::Receiver<()>)>>;

    fn pauses() -> &'static Pauses {
        static PAUSES: std::sync::OnceLock<Pauses> = std::sync::OnceLock::new();
        PAUSES.get_or_init(Pauses::default)
    }

    /// Called by USER_PASSWORD_AUTH between the check and the decision.
    pub(super) async fn pause_after_check(sub: &str) {
        let pause = pauses()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(sub);
        if let Some((reached, resume)) = pause {
            let _ = reached.send(());
            let _ = resume.await;
        }
    }

    /// Signs in with USER_PASSWORD_AUTH, runs `between` once the password has been checked
    /// and before the sign-in is decided, and returns the sign-in's answer.
    async fn password_sign_in_around(
        between: &str,
        body: impl Fn(&str) -> serde_json::Value,
    ) -> Result<serde_json::Value, crate::ApiError> {
        let server = LocalPool::builder().start().await.unwrap();
        let pool = server.create_pool(PoolConfig::new("race")).await.unwrap();
        let client = server
            .create_client(&pool.pool_id, ClientConfig::new("web").with_password_auth())
            .await
            .unwrap();
        let pw = "Corr3ct-Horse";
        let sub = server
            .create_user(
                &pool.pool_id,
                "rex",
                pw,
                &[("email", "rex@example.com"), ("email_verified", "true")],
            )
            .await
            .unwrap();
        // A session to sign out with, for GlobalSignOut.
        let sign_in = json!({
            "ClientId": client.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": { "USERNAME": "rex", "PASSWORD": pw },
        });
        let state = server.state.clone();
        let first = super::super::call(&state, "InitiateAuth", &sign_in, None)
            .await
            .unwrap();
        let access = first["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let (reached_tx, reached_rx) = oneshot::channel();
        let (resume_tx, resume_rx) = oneshot::channel();
        pauses()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(sub.clone(), (reached_tx, resume_rx));
        let racing = {
            let state = state.clone();
            tokio::spawn(
                async move { super::super::call(&state, "InitiateAuth", &sign_in, None).await },
            )
        };
        reached_rx.await.unwrap();
        let mut change = body(&access);
        change["UserPoolId"] = json!(pool.pool_id);
        super::super::call(&state, between, &change, None)
            .await
            .unwrap();
        resume_tx.send(()).unwrap();
        racing.await.unwrap()
    }

    #[tokio::test]
    async fn a_password_set_between_check_and_issue_refuses_the_sign_in() {
        let e = password_sign_in_around(
            "AdminSetUserPassword",
            |_| json!({ "Username": "rex", "Password": "N3w-Passw0rd!", "Permanent": true }),
        )
        .await
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            ("NotAuthorizedException", "Incorrect username or password.")
        );
    }

    #[tokio::test]
    async fn a_global_sign_out_between_check_and_issue_refuses_the_sign_in() {
        let e = password_sign_in_around("GlobalSignOut", |access| json!({ "AccessToken": access }))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "NotAuthorizedException");
    }

    #[tokio::test]
    async fn a_reset_between_check_and_issue_refuses_the_sign_in() {
        let e = password_sign_in_around("AdminResetUserPassword", |_| json!({ "Username": "rex" }))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "NotAuthorizedException");
    }
}
