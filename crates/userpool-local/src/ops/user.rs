//! The signed-in user's operations (access token) and password recovery: GetUser,
//! UpdateUserAttributes, DeleteUserAttributes, GetUserAttributeVerificationCode,
//! VerifyUserAttribute, ChangePassword, ForgotPassword, ConfirmForgotPassword,
//! GlobalSignOut, RevokeToken, DeleteUser.

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::{Value, json};

use super::auth::{Checked, settle_attempt};
use super::session::{Authed, authenticate};
use super::signup::record;
use super::{
    apply_aliases, check_client_secret, check_secret_hash, codes, crypto, find_user,
    readable_attributes, user_client_not_found,
};
use crate::attributes::{self, WriteKind};
use crate::config::Limits;
use crate::error::{ApiError, ExceptionName};
use crate::outbox::{Delivery, Purpose};
use crate::password;
use crate::protocol::{Params, delivery_json};
use crate::state::{PoolRt, State};
use crate::store::{self, User, UserStatus};
use crate::tokens;
use crate::util;

/// GetUser.
pub(crate) async fn get_user(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    let mfa = super::mfa::load_user_mfa(state, &a.user).await?;
    let mut out = json!({
        "Username": a.user.username,
        "UserAttributes": readable_attributes(&a.user, Some(&a.client.config)),
    });
    super::mfa::add_user_mfa_json(&mut out, &mfa, true);
    Ok(out)
}

/// Applies attribute changes to a user (in a transaction) and issues the verification codes
/// they need. Email and phone number changes either wait for verification (pools that keep
/// the original value) or take effect unverified; a code goes out when the attribute is
/// auto-verified. An admin may set `*_verified` directly.
pub(crate) fn update_attributes(
    c: &Connection,
    limits: &Limits,
    pool: &PoolRt,
    user: &mut User,
    updates: &[(String, String)],
    admin: bool,
) -> Result<Vec<Delivery>, ApiError> {
    let mut to_verify: Vec<(String, String)> = Vec::new();
    let explicitly_verified = |attr: &str| {
        admin
            && updates
                .iter()
                .any(|(n, v)| n == &format!("{attr}_verified") && v == "true")
    };
    for (name, value) in updates {
        if name == "email" || name == "phone_number" {
            let current = user.attrs.get(name).cloned();
            if current.as_deref() == Some(value.as_str()) {
                user.pending.remove(name);
                continue;
            }
            if explicitly_verified(name) {
                user.attrs.insert(name.clone(), value.clone());
                user.pending.remove(name);
                continue;
            }
            let keep = pool
                .config
                .keep_original_until_verified
                .iter()
                .any(|a| a == name)
                && current.is_some()
                && user.is_verified(name);
            if keep {
                user.pending.insert(name.clone(), value.clone());
            } else {
                user.attrs.insert(name.clone(), value.clone());
                user.attrs
                    .insert(format!("{name}_verified"), "false".to_owned());
                user.pending.remove(name);
            }
            if pool
                .config
                .auto_verified_attributes
                .iter()
                .any(|a| a == name)
            {
                to_verify.push((name.clone(), value.clone()));
            }
        } else if value.is_empty() && !name.ends_with("_verified") {
            user.attrs.remove(name);
        } else {
            user.attrs.insert(name.clone(), value.clone());
        }
    }
    // In email-as-username pools the new address must not belong to someone else, even
    // while it waits for verification.
    if pool.uses_username_attributes() {
        for (attr, value) in &user.pending {
            if let Some(owner) = store::alias_owner(c, &pool.id, attr, &pool.key_of(value))?
                && owner != user.sub
            {
                return Err(ApiError::new(
                    ExceptionName::AliasExists,
                    format!("An account with the given {attr} already exists."),
                ));
            }
        }
    }
    user.modified_ms = util::now_ms();
    store::update_user(c, user)?;
    apply_aliases(c, pool, user, false).map_err(|e| {
        if e.exception() == ExceptionName::UsernameExists {
            ApiError::new(ExceptionName::AliasExists, e.message())
        } else {
            e
        }
    })?;
    let mut deliveries = Vec::new();
    for (attr, value) in to_verify {
        deliveries.push(codes::issue(
            c,
            limits,
            pool,
            user,
            Purpose::VerifyAttribute,
            &attr,
            &value,
            limits.code_validity,
        )?);
    }
    Ok(deliveries)
}

/// UpdateUserAttributes.
pub(crate) async fn update_user_attributes(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let mut updates = p
        .attributes("UserAttributes")?
        .ok_or_else(|| ApiError::missing("UserAttributes"))?;
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    attributes::accept_write(
        &a.pool.schema,
        &mut updates,
        WriteKind::UserUpdate,
        Some(&a.client.config),
    )?;
    let limits = state.limits.clone();
    let pool = a.pool.clone();
    let sub = a.user.sub.clone();
    let (user, deliveries) = state
        .store
        .write(move |c| {
            let mut user =
                store::user_by_sub(c, &pool.id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            let d = update_attributes(c, &limits, &pool, &mut user, &updates, false)?;
            Ok((user, d))
        })
        .await?;
    let mut list = Vec::new();
    for d in &deliveries {
        record(state, &a.pool, &user, d);
        list.push(delivery_json(d));
    }
    Ok(json!({ "CodeDeliveryDetailsList": list }))
}

/// DeleteUserAttributes.
pub(crate) async fn delete_user_attributes(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let names = p
        .str_list("UserAttributeNames")?
        .ok_or_else(|| ApiError::missing("UserAttributeNames"))?;
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    let as_pairs: Vec<(String, String)> =
        names.iter().map(|n| (n.clone(), String::new())).collect();
    attributes::check_write(
        &a.pool.schema,
        &as_pairs,
        WriteKind::UserDelete,
        Some(&a.client.config),
    )?;
    let pool = a.pool.clone();
    let sub = a.user.sub.clone();
    state
        .store
        .write(move |c| {
            let mut user =
                store::user_by_sub(c, &pool.id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            for n in &names {
                user.attrs.remove(n);
                user.pending.remove(n);
                if n == "email" || n == "phone_number" {
                    user.attrs.remove(&format!("{n}_verified"));
                }
            }
            user.modified_ms = util::now_ms();
            store::update_user(c, &user)?;
            apply_aliases(c, &pool, &user, false)
        })
        .await?;
    Ok(json!({}))
}

fn check_verifiable(name: &str) -> Result<(), ApiError> {
    if name == "email" || name == "phone_number" {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(format!(
            "Invalid attribute name: {name} cannot be verified."
        )))
    }
}

/// GetUserAttributeVerificationCode.
pub(crate) async fn get_user_attribute_verification_code(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let name = p.req_str("AttributeName")?.to_owned();
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    check_verifiable(&name)?;
    let limits = state.limits.clone();
    let pool = a.pool.clone();
    let sub = a.user.sub.clone();
    let (user, d) = state
        .store
        .write(move |c| {
            let user =
                store::user_by_sub(c, &pool.id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            let value = user
                .pending
                .get(&name)
                .or_else(|| user.attrs.get(&name))
                .cloned()
                .ok_or_else(|| {
                    ApiError::invalid_parameter(format!(
                        "The user does not have a value for {name}."
                    ))
                })?;
            let d = codes::issue(
                c,
                &limits,
                &pool,
                &user,
                Purpose::VerifyAttribute,
                &name,
                &value,
                limits.code_validity,
            )?;
            Ok((user, d))
        })
        .await?;
    record(state, &a.pool, &user, &d);
    Ok(json!({ "CodeDeliveryDetails": delivery_json(&d) }))
}

/// VerifyUserAttribute.
pub(crate) async fn verify_user_attribute(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let name = p.req_str("AttributeName")?.to_owned();
    let code = p.req_str("Code")?.to_owned();
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    check_verifiable(&name)?;
    let limits = state.limits.clone();
    let pool = a.pool.clone();
    let sub = a.user.sub.clone();
    state
        .store
        .write_keep(move |c| {
            let mut user =
                store::user_by_sub(c, &pool.id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            let key = codes::purpose_key(Purpose::VerifyAttribute, &name);
            let row = match codes::check(c, &limits, &pool.id, &sub, &key, &code)? {
                Ok(row) => row,
                Err(refusal) => return Ok(Err(refusal)),
            };
            if user.pending.get(&name) == Some(&row.value) {
                user.pending.remove(&name);
                user.attrs.insert(name.clone(), row.value.clone());
            } else if user.attrs.get(&name) != Some(&row.value) {
                // The code was for a value the user no longer has.
                return Ok(Err(ApiError::code_mismatch()));
            }
            user.attrs
                .insert(format!("{name}_verified"), "true".to_owned());
            user.modified_ms = util::now_ms();
            store::update_user(c, &user)?;
            apply_aliases(c, &pool, &user, false).map_err(|e| {
                if e.exception() == ExceptionName::UsernameExists {
                    ApiError::new(ExceptionName::AliasExists, e.message())
                } else {
                    e
                }
            })?;
            Ok(Ok(json!({})))
        })
        .await
}

/// ChangePassword. A wrong previous password counts towards the sign-in lockout, and the
/// lockout refuses it (LimitExceededException, as Cognito), decided like a sign-in
/// attempt ([`settle_attempt`]).
pub(crate) async fn change_password(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let previous = p.req_str("PreviousPassword")?;
    let proposed = p.req_str("ProposedPassword")?;
    let a: Authed = authenticate(state, p.req_str("AccessToken")?).await?;
    // Answered early to save the crypto; the decision is made again in the transaction.
    if a.user.locked_at(util::now_ms()) {
        return Err(Checked::ChangePassword.locked_out());
    }
    let right = match a.user.verifier.clone() {
        Some(v) => crypto::check_password(&a.pool.id, &a.user.username, previous, v).await?,
        None => false,
    };
    let verifier = if right {
        password::check_shape(proposed, "proposedPassword")?;
        password::check_policy(proposed, &a.pool.config.password_policy)?;
        Some(crypto::make_verifier(&a.pool.id, &a.user.username, proposed).await?)
    } else {
        None
    };
    let limits = state.limits.clone();
    let (pool_id, sub, seen_gen) = (a.pool.id.clone(), a.user.sub.clone(), a.user.cred_gen);
    state
        .store
        .write_keep(move |c| {
            let mut user = match settle_attempt(
                c,
                &limits,
                &pool_id,
                &sub,
                seen_gen,
                right,
                Checked::ChangePassword,
            )? {
                Ok(user) => user,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let Some(verifier) = verifier else {
                return Err(ApiError::internal("a wrong password was accepted"));
            };
            user.verifier = Some(verifier);
            user.modified_ms = util::now_ms();
            store::update_user(c, &user)?;
            // Sign-ins still checking the old password are over.
            store::bump_credentials(c, &pool_id, &sub)?;
            Ok(Ok(json!({})))
        })
        .await
}

/// ForgotPassword.
pub(crate) async fn forgot_password(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let client_id = p.req_str("ClientId")?;
    let typed = p.req_str("Username")?.to_owned();
    let secret_hash = p.str("SecretHash")?.map(str::to_owned);
    let (client, pool) = state.client_and_pool(client_id).await?;
    let limits = state.limits.clone();
    let pool2 = pool.clone();
    let client2 = client.clone();
    let typed2 = typed.clone();
    let result = state
        .store
        .write(move |c| {
            let Some(user) = find_user(c, &pool2, &typed2)? else {
                check_secret_hash(&client2, secret_hash.as_deref(), &[&typed2])?;
                return Ok(None);
            };
            check_secret_hash(
                &client2,
                secret_hash.as_deref(),
                &[&typed2, &user.username, &user.sub],
            )?;
            super::ensure_enabled(&user)?;
            let (attr, dest) =
                codes::recovery_target(&user).ok_or_else(codes::no_recovery_target)?;
            let d = codes::issue(
                c,
                &limits,
                &pool2,
                &user,
                Purpose::ForgotPassword,
                &attr,
                &dest,
                limits.code_validity,
            )?;
            Ok(Some((user, d)))
        })
        .await?;
    match result {
        Some((user, d)) => {
            record(state, &pool, &user, &d);
            Ok(json!({ "CodeDeliveryDetails": delivery_json(&d) }))
        }
        None if client.config.prevent_user_existence_errors => {
            // Cognito answers as if a code went out, so callers cannot probe for users.
            let fake = if attributes::is_phone(&typed) {
                ("phone_number", "SMS", util::mask_destination(&typed, false))
            } else {
                ("email", "EMAIL", "a***@e***".to_owned())
            };
            Ok(json!({ "CodeDeliveryDetails": {
                "AttributeName": fake.0, "DeliveryMedium": fake.1, "Destination": fake.2
            }}))
        }
        None => Err(user_client_not_found()),
    }
}

/// ConfirmForgotPassword.
pub(crate) async fn confirm_forgot_password(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let client_id = p.req_str("ClientId")?;
    let typed = p.req_str("Username")?.to_owned();
    let code = p.req_str("ConfirmationCode")?.to_owned();
    let password = p.req_str("Password")?;
    let secret_hash = p.str("SecretHash")?.map(str::to_owned);
    let (client, pool) = state.client_and_pool(client_id).await?;
    let pool2 = pool.clone();
    let typed2 = typed.clone();
    let user = state
        .store
        .read(move |c| find_user(c, &pool2, &typed2))
        .await?;
    let Some(user) = user else {
        check_secret_hash(&client, secret_hash.as_deref(), &[&typed])?;
        return Err(user_client_not_found());
    };
    check_secret_hash(
        &client,
        secret_hash.as_deref(),
        &[&typed, &user.username, &user.sub],
    )?;
    password::check_shape(password, "password")?;
    password::check_policy(password, &pool.config.password_policy)?;
    let verifier = crypto::make_verifier(&pool.id, &user.username, password).await?;
    let limits = state.limits.clone();
    let pool_id = pool.id.clone();
    let sub = user.sub.clone();
    state
        .store
        .write_keep(move |c| {
            let Some(mut user) = store::user_by_sub(c, &pool_id, &sub)? else {
                return Err(user_client_not_found());
            };
            if let Err(refusal) = codes::check(c, &limits, &pool_id, &sub, "forgot", &code)? {
                return Ok(Err(refusal));
            }
            user.verifier = Some(verifier);
            if matches!(
                user.status,
                UserStatus::ResetRequired | UserStatus::ForceChangePassword
            ) {
                user.status = UserStatus::Confirmed;
                user.temp_expires_ms = None;
            }
            user.failed = 0;
            user.locked_until_ms = 0;
            user.modified_ms = util::now_ms();
            store::update_user(c, &user)?;
            store::revoke_user_sessions(c, &pool_id, &sub)?;
            Ok(Ok(json!({})))
        })
        .await
}

/// GlobalSignOut.
pub(crate) async fn global_sign_out(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    let (pool_id, sub) = (a.pool.id.clone(), a.user.sub.clone());
    state
        .store
        .write(move |c| store::revoke_user_sessions(c, &pool_id, &sub))
        .await?;
    Ok(json!({}))
}

/// RevokeToken: ends a refresh token and the access tokens issued with it.
pub(crate) async fn revoke_token(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let token = p.req_str("Token")?;
    let client_id = p.req_str("ClientId")?;
    let client_secret = p.str("ClientSecret")?;
    let client = state.client(client_id).await?;
    check_client_secret(&client, client_secret)?;
    revoke_refresh_token(state, &client, token).await?;
    Ok(json!({}))
}

/// The core of RevokeToken, shared with the hosted sign-in's `/oauth2/revoke`, for a client
/// already authenticated: a JWT is `UnsupportedTokenTypeException`; a refresh token of the
/// client ends its session (the refresh token and every access token issued with it).
pub(crate) async fn revoke_refresh_token(
    state: &State,
    client: &crate::state::ClientRt,
    token: &str,
) -> Result<(), ApiError> {
    if tokens::peek_claims(token).is_some() {
        return Err(ApiError::new(
            ExceptionName::UnsupportedTokenType,
            "The token type is not supported: only refresh tokens can be revoked.",
        ));
    }
    let hash = util::sha256(token.as_bytes());
    let client_id = client.id.clone();
    state
        .store
        .write(move |c| {
            // Unknown tokens and tokens of other clients are ignored, as RFC 7009 asks.
            if let Some(s) = store::session_by_refresh(c, &hash)?
                && s.client_id == client_id
            {
                store::revoke_session(c, &s.origin_jti)?;
            }
            Ok(())
        })
        .await
}

/// DeleteUser.
pub(crate) async fn delete_user(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    let (pool_id, sub) = (a.pool.id.clone(), a.user.sub.clone());
    state
        .store
        .write(move |c| store::delete_user(c, &pool_id, &sub))
        .await?;
    Ok(json!({}))
}
