//! SignUp, ConfirmSignUp, ResendConfirmationCode, and the rules for a new user's name
//! (usernames, email-as-username, alias pools).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{apply_aliases, check_secret_hash, codes, find_user, user_client_not_found};
use crate::attributes::{self, WriteKind};
use crate::error::{ApiError, ExceptionName};
use crate::outbox::{Delivery, Purpose};
use crate::password;
use crate::protocol::{Params, delivery_json};
use crate::srp_state::{ChallengePurpose, PendingChallenge};
use crate::state::{PoolRt, State};
use crate::store::{self, User, UserStatus};
use crate::util;

/// Validates what was typed as a username and builds the new user's identity: in
/// email-as-username pools the internal username is the sub and the email (or phone)
/// attribute is set from what was typed.
pub(crate) fn new_user(
    pool: &PoolRt,
    typed: &str,
    mut attrs: Vec<(String, String)>,
    status: UserStatus,
) -> Result<User, ApiError> {
    let len = typed.chars().count();
    if len == 0 || len > 128 || typed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::invalid_parameter(
            "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
        ));
    }
    let sub = util::uuid_v4()?;
    let username = if pool.uses_username_attributes() {
        let ua = &pool.config.username_attributes;
        let attr = if ua.iter().any(|a| a == "email") && attributes::is_email(typed) {
            "email"
        } else if ua.iter().any(|a| a == "phone_number") && attributes::is_phone(typed) {
            "phone_number"
        } else if ua.len() == 1 && ua[0] == "email" {
            return Err(ApiError::invalid_parameter("Username should be an email."));
        } else if ua.len() == 1 {
            return Err(ApiError::invalid_parameter(
                "Username should be a phone number.",
            ));
        } else {
            return Err(ApiError::invalid_parameter(
                "Username should be either an email or a phone number.",
            ));
        };
        if let Some((_, v)) = attrs.iter().find(|(n, _)| n == attr)
            && pool.key_of(v) != pool.key_of(typed)
        {
            return Err(ApiError::invalid_parameter(format!(
                "The {attr} attribute must match the username."
            )));
        }
        attrs.retain(|(n, _)| n != attr);
        attrs.push((attr.to_owned(), typed.to_owned()));
        sub.clone()
    } else {
        for (attr, check) in [
            ("email", attributes::is_email as fn(&str) -> bool),
            ("phone_number", attributes::is_phone),
        ] {
            if pool.config.alias_attributes.iter().any(|a| a == attr) && check(typed) {
                let what = if attr == "email" {
                    "email"
                } else {
                    "phone number"
                };
                return Err(ApiError::invalid_parameter(format!(
                    "Username cannot be of {what} format, since user pool is configured for {what} alias."
                )));
            }
        }
        typed.to_owned()
    };
    // Sign-up must carry every required attribute. An administrator may leave some out:
    // Cognito asks the user for them in the NEW_PASSWORD_REQUIRED challenge.
    if status == UserStatus::Unconfirmed {
        attributes::check_required(&pool.schema, &attrs)?;
    }
    let now = util::now_ms();
    let attrs: BTreeMap<String, String> = attrs.into_iter().collect();
    Ok(User {
        pool_id: pool.id.clone(),
        username_key: pool.key_of(&username),
        username,
        sub,
        status,
        enabled: true,
        attrs,
        pending: BTreeMap::new(),
        verifier: None,
        temp_expires_ms: None,
        failed: 0,
        locked_until_ms: 0,
        cred_gen: 0,
        created_ms: now,
        modified_ms: now,
    })
}

/// SignUp.
pub(crate) async fn sign_up(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let client_id = p.req_str("ClientId")?;
    let typed = p.req_str("Username")?;
    let password = p.req_str("Password")?;
    let mut attrs = p.attributes("UserAttributes")?.unwrap_or_default();
    let (client, pool) = state.client_and_pool(client_id).await?;
    check_secret_hash(&client, p.str("SecretHash")?, &[typed])?;
    if pool.config.allow_admin_create_user_only {
        return Err(ApiError::not_authorized(
            "SignUp is not permitted for this user pool",
        ));
    }
    attributes::accept_write(
        &pool.schema,
        &mut attrs,
        WriteKind::SignUp,
        Some(&client.config),
    )?;
    password::check_shape(password, "password")?;
    password::check_policy(password, &pool.config.password_policy)?;
    let mut user = new_user(&pool, typed, attrs, UserStatus::Unconfirmed)?;
    user.verifier = Some(super::crypto::make_verifier(&pool.id, &user.username, password).await?);
    let target = codes::signup_target(&pool, &user);
    let limits = state.limits.clone();
    let pool2 = pool.clone();
    let u = user.clone();
    let delivery = state
        .store
        .write(move |c| {
            if store::user_by_key(c, &pool2.id, &u.username_key)?.is_some() {
                return Err(ApiError::new(
                    ExceptionName::UsernameExists,
                    "User already exists",
                ));
            }
            store::insert_user(c, &u)?;
            apply_aliases(c, &pool2, &u, false)?;
            match &target {
                Some((attr, dest)) => codes::issue(
                    c,
                    &limits,
                    &pool2,
                    &u,
                    Purpose::SignUp,
                    attr,
                    dest,
                    limits.signup_code_validity,
                )
                .map(Some),
                None => Ok(None),
            }
        })
        .await?;
    let mut out = json!({ "UserConfirmed": false, "UserSub": user.sub });
    if let Some(d) = delivery {
        state.outbox.record(&pool.id, &user.username, &user.sub, &d);
        out["CodeDeliveryDetails"] = delivery_json(&d);
    }
    // For the client to hand to ConfirmSignUp on its way to the sign-in after sign-up. It
    // proves nothing by itself and lives as long as the sign-up code.
    if client.config.flows().user_auth {
        let mut pending =
            PendingChallenge::new(&pool.id, &client.id, &user.sub, "SIGN_UP", user.cred_gen);
        pending.purpose = ChallengePurpose::SignUp;
        out["Session"] = json!(
            state
                .pending
                .open_challenge(pending, state.limits.signup_code_validity)?
        );
    }
    Ok(out)
}

/// ConfirmSignUp.
pub(crate) async fn confirm_sign_up(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let client_id = p.req_str("ClientId")?;
    let typed = p.req_str("Username")?.to_owned();
    let code = p.req_str("ConfirmationCode")?.to_owned();
    let force = p.bool("ForceAliasCreation")?.unwrap_or(false);
    let secret_hash = p.str("SecretHash")?.map(str::to_owned);
    let sign_up_session = p.str("Session")?;
    let (client, pool) = state.client_and_pool(client_id).await?;
    let limits = state.limits.clone();
    let pool2 = pool.clone();
    let client2 = client.clone();
    let user = state
        .store
        .write_keep(move |c| {
            let client = client2;
            let Some(mut user) = find_user(c, &pool2, &typed)? else {
                check_secret_hash(&client, secret_hash.as_deref(), &[&typed])?;
                return Err(user_client_not_found());
            };
            check_secret_hash(
                &client,
                secret_hash.as_deref(),
                &[&typed, &user.username, &user.sub],
            )?;
            if user.status != UserStatus::Unconfirmed {
                return Err(ApiError::not_authorized(format!(
                    "User cannot be confirmed. Current status is {}",
                    user.status.as_str()
                )));
            }
            let row = match codes::check(c, &limits, &pool2.id, &user.sub, "signup", &code)? {
                Ok(row) => row,
                Err(refusal) => return Ok(Err(refusal)),
            };
            user.status = UserStatus::Confirmed;
            if user.attrs.get(&row.attr) == Some(&row.value) {
                user.attrs
                    .insert(format!("{}_verified", row.attr), "true".to_owned());
            }
            user.modified_ms = util::now_ms();
            store::update_user(c, &user)?;
            apply_aliases(c, &pool2, &user, force)?;
            Ok(Ok(user))
        })
        .await?;
    // The request's `Session` (SignUp's) is optional: a confirmation never fails for a
    // session that expired while the user looked for the code. Given, it is spent.
    if let Some(s) = sign_up_session
        && state.pending.challenge(s).is_some_and(|p| {
            p.purpose == ChallengePurpose::SignUp && p.sub == user.sub && p.client_id == client.id
        })
    {
        state.pending.close_challenge(s);
    }
    if !client.config.flows().user_auth {
        return Ok(json!({}));
    }
    let session = super::user_auth::open_sign_in_after_sign_up(state, &client, &user)?;
    Ok(json!({ "Session": session }))
}

/// ResendConfirmationCode.
pub(crate) async fn resend_confirmation_code(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let client_id = p.req_str("ClientId")?;
    let typed = p.req_str("Username")?.to_owned();
    let secret_hash = p.str("SecretHash")?.map(str::to_owned);
    let (client, pool) = state.client_and_pool(client_id).await?;
    let limits = state.limits.clone();
    let pool2 = pool.clone();
    let (user, delivery) = state
        .store
        .write(move |c| {
            let Some(user) = find_user(c, &pool2, &typed)? else {
                check_secret_hash(&client, secret_hash.as_deref(), &[&typed])?;
                return Err(user_client_not_found());
            };
            check_secret_hash(
                &client,
                secret_hash.as_deref(),
                &[&typed, &user.username, &user.sub],
            )?;
            if user.status != UserStatus::Unconfirmed {
                return Err(ApiError::invalid_parameter("User is already confirmed."));
            }
            let Some((attr, dest)) = codes::signup_target(&pool2, &user) else {
                return Err(ApiError::invalid_parameter(
                    "Auto verification not turned on.",
                ));
            };
            let d = codes::issue(
                c,
                &limits,
                &pool2,
                &user,
                Purpose::SignUp,
                &attr,
                &dest,
                limits.signup_code_validity,
            )?;
            Ok((user, d))
        })
        .await?;
    record(state, &pool, &user, &delivery);
    Ok(json!({ "CodeDeliveryDetails": delivery_json(&delivery) }))
}

/// Records a committed delivery in the outbox.
pub(crate) fn record(state: &State, pool: &PoolRt, user: &User, d: &Delivery) {
    state.outbox.record(&pool.id, &user.username, &user.sub, d);
}
