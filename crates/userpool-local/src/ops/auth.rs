//! InitiateAuth and RespondToAuthChallenge: USER_SRP_AUTH / PASSWORD_VERIFIER,
//! USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH, NEW_PASSWORD_REQUIRED; lockout after repeated
//! wrong passwords.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::session::{self, NewSession};
use super::{check_secret_hash, ensure_enabled, find_user, names_user};
use crate::attributes::{self, WriteKind};
use crate::error::ApiError;
use crate::password;
use crate::protocol::{Params, lookup};
use crate::srp_glue::{self, ClientProof, ServerStep, StoredVerifier};
use crate::srp_state::PendingSrp;
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, User, UserStatus};
use crate::util;

fn missing_param(name: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Missing required parameter {name}"))
}

fn flow_disabled(flow: &str) -> ApiError {
    ApiError::invalid_parameter(format!("{flow} flow not enabled for this client"))
}

fn attempts_exceeded() -> ApiError {
    ApiError::not_authorized("Password attempts exceeded")
}

fn locked(user: &User) -> bool {
    user.locked_until_ms > util::now_ms()
}

/// InitiateAuth.
pub(crate) async fn initiate_auth(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let flow = p.req_str("AuthFlow")?;
    let client_id = p.req_str("ClientId")?;
    let params = p.str_map("AuthParameters")?.unwrap_or_default();
    let (client, pool) = state.client_and_pool(client_id).await?;
    let flows = client.config.flows();
    match flow {
        "USER_SRP_AUTH" => {
            if !flows.srp {
                return Err(flow_disabled("USER_SRP_AUTH"));
            }
            start_srp(state, pool, client, &params).await
        }
        "USER_PASSWORD_AUTH" => {
            if !flows.password {
                return Err(flow_disabled("USER_PASSWORD_AUTH"));
            }
            password_auth(state, pool, client, &params).await
        }
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
            if !flows.refresh {
                return Err(flow_disabled("REFRESH_TOKEN"));
            }
            refresh(state, pool, client, &params).await
        }
        "CUSTOM_AUTH" | "USER_AUTH" | "ADMIN_NO_SRP_AUTH" | "ADMIN_USER_PASSWORD_AUTH" => {
            Err(ApiError::invalid_parameter(format!(
                "The auth flow {flow} is not supported by the local user pool."
            )))
        }
        other => Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{other}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set"
        ))),
    }
}

/// Reads a user by what was typed (off the async threads).
async fn load_user(
    state: &State,
    pool: &Arc<PoolRt>,
    name: &str,
) -> Result<Option<User>, ApiError> {
    let pool2 = pool.clone();
    let name = name.to_owned();
    state.store.read(move |c| find_user(c, &pool2, &name)).await
}

async fn start_srp(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    let username = lookup(params, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    let srp_a = lookup(params, "SRP_A").ok_or_else(|| missing_param("SRP_A"))?;
    if srp_a.is_empty()
        || srp_a.len() > userpool_srp::MAX_HEX_DIGITS
        || !srp_a.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(ApiError::invalid_parameter(
            "SRP_A must be a hexadecimal number.",
        ));
    }
    let secret_hash = lookup(params, "SECRET_HASH");
    let user = load_user(state, &pool, username).await?;
    let Some(user) = user else {
        check_secret_hash(&client, secret_hash, &[username])?;
        if client.config.prevent_user_existence_errors {
            return fake_srp_challenge(&pool, username);
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
    let step = ServerStep::start(&verifier)?;
    let salt = step.salt_hex();
    let b = step.b_hex();
    let block = state.pending.add_srp(PendingSrp {
        pool_id: pool.id.clone(),
        client_id: client.id.clone(),
        sub: user.sub.clone(),
        username: user.username.clone(),
        srp_a: srp_a.to_owned(),
        step,
        expires: Instant::now() + state.limits.srp_attempt_validity,
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
/// answered (a throwaway verifier), like Cognito.
fn fake_srp_challenge(pool: &PoolRt, username: &str) -> Result<Value, ApiError> {
    let junk = util::hex(&util::random_bytes::<32>()?);
    let verifier: StoredVerifier = srp_glue::make_verifier(&pool.id, username, &junk)?;
    let step = ServerStep::start(&verifier)?;
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

/// Records a wrong password and answers with the right refusal.
async fn wrong_password(state: &State, user: &User) -> ApiError {
    let limits = state.limits.clone();
    let pool_id = user.pool_id.clone();
    let sub = user.sub.clone();
    let result = state
        .store
        .write(move |c| {
            let now = util::now_ms();
            store::add_failure(c, &pool_id, &sub, |failed| {
                let threshold = i64::from(limits.lockout_threshold);
                if failed < threshold {
                    return 0;
                }
                let doublings = (failed - threshold).min(20) as u32;
                let lock = limits
                    .lockout_base
                    .saturating_mul(1u32 << doublings)
                    .min(limits.lockout_max);
                now + lock.as_millis() as i64
            })
        })
        .await;
    match result {
        Ok(failed) if failed > i64::from(state.limits.lockout_threshold) => attempts_exceeded(),
        Ok(_) => ApiError::bad_credentials(),
        Err(e) => e,
    }
}

async fn password_auth(
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
    if locked(&user) {
        return Err(attempts_exceeded());
    }
    let good = match &user.verifier {
        Some(v) => srp_glue::check_password(&pool.id, &user.username, password, v)?,
        None => false,
    };
    if !good {
        return Err(wrong_password(state, &user).await);
    }
    signed_in(state, pool, client, user).await
}

/// The password was right: answer by status (tokens, a challenge, or a refusal).
async fn signed_in(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    user: User,
) -> Result<Value, ApiError> {
    match user.status {
        UserStatus::Unconfirmed => {
            clear_failures(state, &user).await?;
            Err(ApiError::new(
                "UserNotConfirmedException",
                "User is not confirmed.",
            ))
        }
        UserStatus::ResetRequired => {
            clear_failures(state, &user).await?;
            Err(ApiError::new(
                "PasswordResetRequiredException",
                "Password reset required for the user",
            ))
        }
        UserStatus::ForceChangePassword => {
            clear_failures(state, &user).await?;
            if user.temp_expires_ms.is_some_and(|t| t <= util::now_ms()) {
                return Err(ApiError::not_authorized(
                    "Temporary password has expired and must be reset by an administrator.",
                ));
            }
            new_password_challenge(state, &pool, &client, &user)
        }
        UserStatus::Confirmed => {
            let new = session::new_session(&client, &user)?;
            let row = new.row.clone();
            let hash = new.refresh_hash;
            let (pool_id, sub, had_failures) =
                (user.pool_id.clone(), user.sub.clone(), user.failed != 0);
            // Sign while the session is being written.
            let write = {
                let state = state.clone();
                tokio::spawn(async move {
                    state
                        .store
                        .write(move |c| {
                            if had_failures {
                                store::clear_failures(c, &pool_id, &sub)?;
                            }
                            store::insert_session(c, &row, &hash)
                        })
                        .await
                })
            };
            let result = session::authentication_result(
                state,
                &pool,
                &client,
                &user,
                &new.row,
                Some(&new.refresh_token),
            );
            write
                .await
                .map_err(|_| ApiError::internal("session write task failed"))??;
            result
        }
    }
}

async fn clear_failures(state: &State, user: &User) -> Result<(), ApiError> {
    if user.failed == 0 {
        return Ok(());
    }
    let (pool_id, sub) = (user.pool_id.clone(), user.sub.clone());
    state
        .store
        .write(move |c| store::clear_failures(c, &pool_id, &sub))
        .await
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
        client.config.session_validity(),
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

async fn refresh(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    let token = lookup(params, "REFRESH_TOKEN").ok_or_else(|| missing_param("REFRESH_TOKEN"))?;
    let hash = util::sha256(token.as_bytes());
    let pool_id = pool.id.clone();
    let (session, user) = state
        .store
        .read(move |c| {
            let Some(s) = store::session_by_refresh(c, &hash)? else {
                return Ok((None, None));
            };
            let u = store::user_by_sub(c, &pool_id, &s.sub)?;
            Ok((Some(s), u))
        })
        .await?;
    let Some(session) = session.filter(|s| s.client_id == client.id) else {
        return Err(ApiError::not_authorized("Invalid Refresh Token"));
    };
    let Some(user) = user else {
        return Err(ApiError::not_authorized("Refresh Token has been revoked"));
    };
    let typed = lookup(params, "USERNAME").filter(|n| names_user(&pool, &user, n));
    let mut names = vec![user.username.as_str(), user.sub.as_str()];
    names.extend(typed);
    check_secret_hash(&client, lookup(params, "SECRET_HASH"), &names)?;
    if session.revoked {
        return Err(ApiError::not_authorized("Refresh Token has been revoked"));
    }
    if session.expires_ms <= util::now_ms() {
        return Err(ApiError::not_authorized("Refresh Token has expired"));
    }
    ensure_enabled(&user)?;
    session::authentication_result(state, &pool, &client, &user, &session, None)
}

/// RespondToAuthChallenge.
pub(crate) async fn respond_to_auth_challenge(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let client_id = p.req_str("ClientId")?;
    let challenge = p.req_str("ChallengeName")?;
    let responses = p.str_map("ChallengeResponses")?.unwrap_or_default();
    let (client, pool) = state.client_and_pool(client_id).await?;
    match challenge {
        "PASSWORD_VERIFIER" => password_verifier(state, pool, client, &responses).await,
        "NEW_PASSWORD_REQUIRED" => {
            let session = p.str("Session")?.ok_or_else(|| missing_param("Session"))?;
            new_password(state, pool, client, session, &responses).await
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
    if locked(&user) {
        return Err(attempts_exceeded());
    }
    let proof = ClientProof {
        srp_a_hex: &attempt.srp_a,
        secret_block: &block,
        timestamp,
        signature_b64: signature,
    };
    if !attempt.step.verify(&pool.id, &attempt.username, &proof)? {
        return Err(wrong_password(state, &user).await);
    }
    signed_in(state, pool, client, user).await
}

async fn new_password(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    session: &str,
    r: &[(String, String)],
) -> Result<Value, ApiError> {
    let expired = || ApiError::not_authorized("Invalid session for the user, session is expired.");
    let pending = state.pending.challenge(session).ok_or_else(expired)?;
    if pending.client_id != client.id
        || pending.pool_id != pool.id
        || pending.challenge != "NEW_PASSWORD_REQUIRED"
    {
        return Err(expired());
    }
    let username = lookup(r, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    let new_password = lookup(r, "NEW_PASSWORD").ok_or_else(|| missing_param("NEW_PASSWORD"))?;
    let (pid, sub) = (pool.id.clone(), pending.sub.clone());
    let user = state
        .store
        .read(move |c| store::user_by_sub(c, &pid, &sub))
        .await?
        .ok_or_else(ApiError::user_not_found)?;
    if !names_user(&pool, &user, username) {
        return Err(expired());
    }
    check_secret_hash(
        &client,
        lookup(r, "SECRET_HASH"),
        &[username, &user.username, &user.sub],
    )?;
    let updates: Vec<(String, String)> = r
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("userAttributes.")
                .map(|n| (n.to_owned(), v.clone()))
        })
        .collect();
    attributes::check_write(
        &pool.schema,
        &updates,
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
    let verifier = srp_glue::make_verifier(&pool.id, &user.username, new_password)?;
    let new: NewSession = session::new_session(&client, &user)?;
    let (row, hash) = (new.row.clone(), new.refresh_hash);
    let pool2 = pool.clone();
    let sub = user.sub.clone();
    let user = state
        .store
        .write(move |c| {
            let mut u =
                store::user_by_sub(c, &pool2.id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            if u.status != UserStatus::ForceChangePassword {
                return Err(ApiError::not_authorized(
                    "Invalid session for the user, session is expired.",
                ));
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
            super::apply_aliases(c, &pool2, &u, false)?;
            store::insert_session(c, &row, &hash)?;
            Ok(u)
        })
        .await?;
    state.pending.close_challenge(session);
    session::authentication_result(
        state,
        &pool,
        &client,
        &user,
        &new.row,
        Some(&new.refresh_token),
    )
}
