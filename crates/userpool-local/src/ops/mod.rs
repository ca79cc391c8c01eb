//! The operations, one function per Cognito action, and what they share: user lookup by
//! username or alias, the alias index, SECRET_HASH checks.
//!
//! Every operation takes the request's JSON members and answers the response's JSON
//! members. Database work goes through [`crate::store::Store`] on the blocking pool;
//! SRP, password checks, verifiers and signing run on the crypto pool ([`crypto`]),
//! never on the async threads and never under a lock.

pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod codes;
pub(crate) mod crypto;
pub(crate) mod devices;
pub(crate) mod domains;
pub(crate) mod groups;
pub(crate) mod mfa;
pub(crate) mod refresh;
pub(crate) mod session;
pub(crate) mod signup;
pub(crate) mod user;
pub(crate) mod user_auth;

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::Value;

use crate::attributes;
use crate::config::ClientConfig;
use crate::error::{ApiError, ExceptionName};
use crate::protocol::{Params, attributes_json, lookup};
use crate::srp_state::PendingChallenge;
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, User};
use crate::util;

/// Runs one operation by its name (the part of `X-Amz-Target` after the dot).
/// `scope_region` is the region of the request's SigV4 credential scope, if it has one.
pub(crate) async fn call(
    state: &Arc<State>,
    op: &str,
    body: &Value,
    scope_region: Option<&str>,
) -> Result<Value, ApiError> {
    let p = Params::root(body)?;
    let result = match op {
        // Public (unsigned) operations.
        "SignUp" => signup::sign_up(state, p).await,
        "ConfirmSignUp" => signup::confirm_sign_up(state, p).await,
        "ResendConfirmationCode" => signup::resend_confirmation_code(state, p).await,
        "InitiateAuth" => auth::initiate_auth(state, p).await,
        "RespondToAuthChallenge" => auth::respond_to_auth_challenge(state, p).await,
        "GetTokensFromRefreshToken" => refresh::get_tokens_from_refresh_token(state, p).await,
        "ChangePassword" => user::change_password(state, p).await,
        "ForgotPassword" => user::forgot_password(state, p).await,
        "ConfirmForgotPassword" => user::confirm_forgot_password(state, p).await,
        "GetUser" => user::get_user(state, p).await,
        "UpdateUserAttributes" => user::update_user_attributes(state, p).await,
        "DeleteUserAttributes" => user::delete_user_attributes(state, p).await,
        "GetUserAttributeVerificationCode" => {
            user::get_user_attribute_verification_code(state, p).await
        }
        "VerifyUserAttribute" => user::verify_user_attribute(state, p).await,
        "GlobalSignOut" => user::global_sign_out(state, p).await,
        "RevokeToken" => user::revoke_token(state, p).await,
        "DeleteUser" => user::delete_user(state, p).await,
        "AssociateSoftwareToken" => mfa::associate_software_token(state, p).await,
        "VerifySoftwareToken" => mfa::verify_software_token(state, p).await,
        "SetUserMFAPreference" => mfa::set_user_mfa_preference(state, p).await,
        "ConfirmDevice" => devices::confirm_device(state, p).await,
        "GetDevice" => devices::get_device(state, p, false).await,
        "ListDevices" => devices::list_devices(state, p, false).await,
        "ForgetDevice" => devices::forget_device(state, p, false).await,
        "UpdateDeviceStatus" => devices::update_device_status(state, p, false).await,
        "GetUserAuthFactors" => user_auth::get_user_auth_factors(state, p).await,
        // Admin (SigV4-signed; any credentials are accepted) operations.
        "CreateUserPool" => admin::create_user_pool(state, p, scope_region).await,
        "DescribeUserPool" => admin::describe_user_pool(state, p).await,
        "UpdateUserPool" => admin::update_user_pool(state, p).await,
        "ListUserPools" => admin::list_user_pools(state, p).await,
        "DeleteUserPool" => admin::delete_user_pool(state, p).await,
        "CreateUserPoolClient" => admin::create_user_pool_client(state, p).await,
        "DescribeUserPoolClient" => admin::describe_user_pool_client(state, p).await,
        "UpdateUserPoolClient" => admin::update_user_pool_client(state, p).await,
        "ListUserPoolClients" => admin::list_user_pool_clients(state, p).await,
        "DeleteUserPoolClient" => admin::delete_user_pool_client(state, p).await,
        "AdminCreateUser" => admin::admin_create_user(state, p).await,
        "AdminInitiateAuth" => auth::admin_initiate_auth(state, p).await,
        "AdminRespondToAuthChallenge" => auth::admin_respond_to_auth_challenge(state, p).await,
        "AdminGetUser" => admin::admin_get_user(state, p).await,
        "AdminConfirmSignUp" => admin::admin_confirm_sign_up(state, p).await,
        "AdminSetUserPassword" => admin::admin_set_user_password(state, p).await,
        "AdminResetUserPassword" => admin::admin_reset_user_password(state, p).await,
        "AdminUpdateUserAttributes" => admin::admin_update_user_attributes(state, p).await,
        "AdminDisableUser" => admin::admin_set_enabled(state, p, false).await,
        "AdminEnableUser" => admin::admin_set_enabled(state, p, true).await,
        "AdminUserGlobalSignOut" => admin::admin_user_global_sign_out(state, p).await,
        "AdminDeleteUser" => admin::admin_delete_user(state, p).await,
        "ListUsers" => admin::list_users(state, p).await,
        "SetUserPoolMfaConfig" => mfa::set_user_pool_mfa_config(state, p).await,
        "GetUserPoolMfaConfig" => mfa::get_user_pool_mfa_config(state, p).await,
        "AdminSetUserMFAPreference" => mfa::admin_set_user_mfa_preference(state, p).await,
        "AdminGetDevice" => devices::get_device(state, p, true).await,
        "AdminListDevices" => devices::list_devices(state, p, true).await,
        "AdminForgetDevice" => devices::forget_device(state, p, true).await,
        "AdminUpdateDeviceStatus" => devices::update_device_status(state, p, true).await,
        "AdminGetUserAuthFactors" => user_auth::admin_get_user_auth_factors(state, p).await,
        "CreateGroup" => groups::create_group(state, p).await,
        "GetGroup" => groups::get_group(state, p).await,
        "UpdateGroup" => groups::update_group(state, p).await,
        "DeleteGroup" => groups::delete_group(state, p).await,
        "ListGroups" => groups::list_groups(state, p).await,
        "AdminAddUserToGroup" => groups::admin_add_user_to_group(state, p).await,
        "AdminRemoveUserFromGroup" => groups::admin_remove_user_from_group(state, p).await,
        "AdminListGroupsForUser" => groups::admin_list_groups_for_user(state, p).await,
        "ListUsersInGroup" => groups::list_users_in_group(state, p).await,
        "CreateUserPoolDomain" => domains::create_user_pool_domain(state, p).await,
        "DescribeUserPoolDomain" => domains::describe_user_pool_domain(state, p).await,
        "UpdateUserPoolDomain" => domains::update_user_pool_domain(state, p).await,
        "DeleteUserPoolDomain" => domains::delete_user_pool_domain(state, p).await,
        "CreateResourceServer" => domains::create_resource_server(state, p).await,
        "DescribeResourceServer" => domains::describe_resource_server(state, p).await,
        "ListResourceServers" => domains::list_resource_servers(state, p).await,
        "UpdateResourceServer" => domains::update_resource_server(state, p).await,
        "DeleteResourceServer" => domains::delete_resource_server(state, p).await,
        other => Err(ApiError::new(
            ExceptionName::UnknownOperation,
            format!("The operation {other} is not supported by the local user pool."),
        )),
    };
    // The dashboard's recent sign-ins and the change counter its pages poll.
    crate::dashboard::after_operation(state, op, body, &result).await;
    result
}

/// Finds a user by what was typed: the username, or (email-as-username and alias pools)
/// an email address, phone number or preferred username.
pub(crate) fn find_user(
    c: &Connection,
    pool: &PoolRt,
    name: &str,
) -> Result<Option<User>, ApiError> {
    let key = pool.key_of(name);
    if let Some(u) = store::user_by_key(c, &pool.id, &key)? {
        return Ok(Some(u));
    }
    let attrs = if pool.uses_username_attributes() {
        &pool.config.username_attributes
    } else {
        &pool.config.alias_attributes
    };
    for attr in attrs {
        if let Some(u) = store::user_by_alias(c, &pool.id, attr, &key)? {
            return Ok(Some(u));
        }
    }
    Ok(None)
}

/// True when `name` is one of the names of `user` (username, sub, or a sign-in alias).
pub(crate) fn names_user(pool: &PoolRt, user: &User, name: &str) -> bool {
    let key = pool.key_of(name);
    if key == user.username_key || name == user.sub {
        return true;
    }
    alias_entries(pool, user)
        .iter()
        .any(|(_, value_key)| *value_key == key)
}

/// The alias index entries a user should have.
fn alias_entries(pool: &PoolRt, user: &User) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for attr in &pool.config.username_attributes {
        if let Some(v) = user.attrs.get(attr) {
            out.push((attr.clone(), pool.key_of(v)));
        }
    }
    for attr in &pool.config.alias_attributes {
        if let Some(v) = user.attrs.get(attr)
            && (attr == "preferred_username" || user.is_verified(attr))
        {
            out.push((attr.clone(), pool.key_of(v)));
        }
    }
    out
}

/// Brings the alias index of a user up to date. A value owned by another user is an
/// error (`UsernameExistsException` for email-as-username pools, `AliasExistsException` for
/// alias pools) unless `force`, which moves the alias and marks the other user's attribute
/// unverified (ForceAliasCreation).
pub(crate) fn apply_aliases(
    c: &Connection,
    pool: &PoolRt,
    user: &User,
    force: bool,
) -> Result<(), ApiError> {
    let entries = alias_entries(pool, user);
    for (attr, key) in &entries {
        let Some(owner) = store::alias_owner(c, &pool.id, attr, key)? else {
            continue;
        };
        if owner == user.sub {
            continue;
        }
        if pool.uses_username_attributes() {
            return Err(ApiError::new(
                ExceptionName::UsernameExists,
                format!("An account with the given {attr} already exists."),
            ));
        }
        if !force || attr == "preferred_username" {
            return Err(ApiError::new(
                ExceptionName::AliasExists,
                format!("An account with the given {attr} already exists."),
            ));
        }
        if let Some(mut other) = store::user_by_sub(c, &pool.id, &owner)? {
            other
                .attrs
                .insert(format!("{attr}_verified"), "false".to_owned());
            other.modified_ms = util::now_ms();
            store::update_user(c, &other)?;
            let other_entries = alias_entries(pool, &other);
            store::set_aliases(c, &pool.id, &other.sub, &other_entries)?;
        }
    }
    store::set_aliases(c, &pool.id, &user.sub, &entries)
}

/// Checks the `ClientSecret` of an operation that takes the secret itself (RevokeToken,
/// GetTokensFromRefreshToken), not a SECRET_HASH.
pub(crate) fn check_client_secret(client: &ClientRt, given: Option<&str>) -> Result<(), ApiError> {
    let Some(secret) = client.secret.as_deref() else {
        return Ok(());
    };
    match given {
        None => Err(ApiError::not_authorized(format!(
            "Client {} is configured with secret but ClientSecret was not received",
            client.id
        ))),
        Some(given) if !util::ct_eq(secret, given) => Err(ApiError::not_authorized(format!(
            "Unable to verify the client secret of client {}",
            client.id
        ))),
        Some(_) => Ok(()),
    }
}

/// The `SRP_A` of a request (USER_SRP_AUTH, PASSWORD_SRP, DEVICE_SRP_AUTH): present, and
/// a hexadecimal number of at most [`userpool_srp::MAX_HEX_DIGITS`] digits, so that
/// nothing larger reaches the big-number code.
pub(crate) fn srp_a_of(params: &[(String, String)]) -> Result<&str, ApiError> {
    let srp_a = lookup(params, "SRP_A").ok_or_else(|| missing_param("SRP_A"))?;
    if srp_a.is_empty()
        || srp_a.len() > userpool_srp::MAX_HEX_DIGITS
        || !srp_a.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(ApiError::invalid_parameter(
            "SRP_A must be a hexadecimal number.",
        ));
    }
    Ok(srp_a)
}

/// Checks SECRET_HASH for clients with a secret. `names` are the usernames the hash may
/// have been computed with (what was typed, the username, the sub).
pub(crate) fn check_secret_hash(
    client: &ClientRt,
    given: Option<&str>,
    names: &[&str],
) -> Result<(), ApiError> {
    let Some(secret) = client.secret.as_deref() else {
        return Ok(());
    };
    let Some(given) = given else {
        return Err(ApiError::not_authorized(format!(
            "Client {} is configured with secret but SECRET_HASH was not received",
            client.id
        )));
    };
    let mut ok = false;
    for name in names {
        let expected = crate::srp_glue::secret_hash(secret, name, &client.id);
        ok |= util::ct_eq(&expected, given);
    }
    if ok {
        Ok(())
    } else {
        Err(ApiError::not_authorized(format!(
            "Unable to verify secret hash for client {}",
            client.id
        )))
    }
}

/// The attributes of a user a client may read, in the wire form.
pub(crate) fn readable_attributes(user: &User, client: Option<&ClientConfig>) -> Value {
    attributes_json(
        user.all_attrs()
            .into_iter()
            .filter(|(n, _)| attributes::client_may_read(client, n)),
    )
}

/// A user in the admin wire form (`UserType`), attributes under `attr_member`.
pub(crate) fn user_json(user: &User, attr_member: &str, only: Option<&[String]>) -> Value {
    let attrs = attributes_json(
        user.all_attrs()
            .into_iter()
            .filter(|(n, _)| only.is_none_or(|list| list.iter().any(|a| a == n))),
    );
    let mut v = serde_json::json!({
        "Username": user.username,
        "UserCreateDate": util::epoch_json(user.created_ms),
        "UserLastModifiedDate": util::epoch_json(user.modified_ms),
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    });
    v[attr_member] = attrs;
    v
}

/// Fails with Cognito's answer for a disabled user.
pub(crate) fn ensure_enabled(user: &User) -> Result<(), ApiError> {
    if user.enabled {
        Ok(())
    } else {
        Err(ApiError::not_authorized("User is disabled."))
    }
}

/// The "Username/client id combination not found." of the public user operations.
pub(crate) fn user_client_not_found() -> ApiError {
    ApiError::new(
        ExceptionName::UserNotFound,
        "Username/client id combination not found.",
    )
}

/// `InvalidParameterException` for a required parameter the request lacks.
pub(crate) fn missing_param(name: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Missing required parameter {name}"))
}

/// Cognito's answer to a challenge answer whose session is unknown, spent, expired, or
/// not the one this answer claims (another client, pool, challenge or user).
pub(crate) fn challenge_expired() -> ApiError {
    ApiError::not_authorized("Invalid session for the user, session is expired.")
}

/// What every RespondToAuthChallenge answer starts with: the open challenge `session` of
/// this pool and client for `challenge`, the user it was opened for (read again: it may
/// have changed since), checked against the answer's `USERNAME` and `SECRET_HASH`. Returns
/// the challenge, the user and the `USERNAME` as given.
pub(crate) async fn challenge_answer<'r>(
    state: &Arc<State>,
    pool: &PoolRt,
    client: &ClientRt,
    challenge: &str,
    session: &str,
    r: &'r [(String, String)],
) -> Result<(PendingChallenge, User, &'r str), ApiError> {
    let pending = state
        .pending
        .challenge(session)
        .ok_or_else(challenge_expired)?;
    if pending.client_id != client.id
        || pending.pool_id != pool.id
        || pending.challenge != challenge
    {
        return Err(challenge_expired());
    }
    let username = lookup(r, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    let (pid, sub) = (pool.id.clone(), pending.sub.clone());
    let user = state
        .store
        .read(move |c| store::user_by_sub(c, &pid, &sub))
        .await?
        .ok_or_else(ApiError::user_not_found)?;
    if !names_user(pool, &user, username) {
        return Err(challenge_expired());
    }
    check_secret_hash(
        client,
        lookup(r, "SECRET_HASH"),
        &[username, &user.username, &user.sub],
    )?;
    Ok((pending, user, username))
}
