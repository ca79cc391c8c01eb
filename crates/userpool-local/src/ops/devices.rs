//! Remembered devices: `NewDeviceMetadata` of a sign-in, ConfirmDevice, GetDevice,
//! ListDevices, ForgetDevice, UpdateDeviceStatus and their admin forms, and the device
//! challenges of a sign-in (DEVICE_SRP_AUTH → DEVICE_PASSWORD_VERIFIER), verified for
//! real with `userpool-srp`'s device SRP (through [`crate::srp_glue::DeviceStep`]).
//!
//! Choices where Cognito documents nothing are in docs/local-pool.md ("Remembered
//! devices"). In short: one device group key per user; a sign-in without a known device
//! key gets a new device (kept unconfirmed, at most [`KEEP_UNCONFIRMED`] per user); a
//! sign-in naming a confirmed device of the user answers DEVICE_SRP_AUTH after the
//! password, one naming an unknown device `ResourceNotFoundException`; MFA is skipped only
//! after a device sign-in of a remembered device in a pool with
//! `ChallengeRequiredOnNewDevice`. The DEVICE_SRP_AUTH session is bound to the device the
//! sign-in named; device sign-ins in progress and the wrong device passwords counted per
//! device live in the server's [`crate::srp_state::Pending`].

use std::sync::Arc;

use serde_json::{Value, json};

use super::auth::{Checked, attempts_exceeded};
use super::mfa;
use super::session::{self, authenticate};
use super::{
    challenge_answer, challenge_expired, check_secret_hash, crypto, ensure_enabled, find_user,
    missing_param, names_user, srp_a_of,
};
use crate::error::{ApiError, ExceptionName};
use crate::protocol::{Params, lookup};
use crate::srp_glue::{self, ClientProof, DeviceStep};
use crate::srp_state::{PendingChallenge, PendingDevice};
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, DeviceRow, SessionRow, User, UserStatus};
use crate::util;

/// Unconfirmed devices kept per user: every sign-in without a device key hands one out.
const KEEP_UNCONFIRMED: usize = 20;
/// `ListDevices`' largest and default `Limit`.
const MAX_LIMIT: i64 = 60;
/// The longest `DeviceName` accepted.
const MAX_NAME: usize = 1024;

/// Cognito's answer for a device key that is not one of the user's (confirmed) devices.
pub(crate) fn device_not_found() -> ApiError {
    ApiError::new(ExceptionName::ResourceNotFound, "Device does not exist.")
}

/// The region a device key names: the pool's (its id's part before `_`).
fn region_of<'a>(state: &'a State, pool_id: &'a str) -> &'a str {
    match pool_id.split_once('_') {
        Some((region, _)) if !region.is_empty() => region,
        _ => &state.region,
    }
}

// ---------------------------------------------------------------------------------------
// The hooks of a sign-in

/// What a sign-in's device key names, as the sign-in core needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AtSignIn {
    /// No device key, or a pool that does not track devices.
    Untracked,
    /// A confirmed device of the user (its key): DEVICE_SRP_AUTH follows the password.
    Confirmed(String),
    /// A key that is not a confirmed device of the user: refused once the password is
    /// right.
    Unknown,
}

/// Classifies the `DEVICE_KEY` a sign-in carried (read before the password is decided).
pub(crate) async fn at_sign_in(
    state: &State,
    pool: &PoolRt,
    user: &User,
    device_key: Option<&str>,
) -> Result<AtSignIn, ApiError> {
    let (Some(_), Some(key)) = (pool.config.device, device_key) else {
        return Ok(AtSignIn::Untracked);
    };
    let (pid, sub, key) = (pool.id.clone(), user.sub.clone(), key.to_owned());
    let device = state
        .store
        .read(move |c| store::device_of(c, &pid, &sub, &key))
        .await?;
    Ok(match device {
        Some(d) if d.confirmed() => AtSignIn::Confirmed(d.device_key),
        _ => AtSignIn::Unknown,
    })
}

/// Completes the tokens of a sign-in in a pool that tracks devices: the session is linked
/// to the confirmed device of the user that `claimed_key` names, or else a new device is
/// handed out in `NewDeviceMetadata`. Pools without device tracking get `out` unchanged.
pub(crate) async fn with_new_device(
    state: &State,
    pool: &PoolRt,
    user: &User,
    session: &SessionRow,
    claimed_key: Option<&str>,
    out: Value,
) -> Result<Value, ApiError> {
    if pool.config.device.is_none() || out.get("AuthenticationResult").is_none() {
        return Ok(out);
    }
    let new_key = format!("{}_{}", region_of(state, &pool.id), util::uuid_v4()?);
    // "-" and 8 base62 characters, the shape of the group keys in AWS's examples.
    let fresh_group = format!("-{}", util::random_string(8, util::ALNUM)?);
    let (pid, sub, jti) = (
        pool.id.clone(),
        user.sub.clone(),
        session.origin_jti.clone(),
    );
    let claimed = claimed_key.map(str::to_owned);
    let issued = state
        .store
        .write(move |c| {
            if let Some(key) = claimed
                && store::device_of(c, &pid, &sub, &key)?.is_some_and(|d| d.confirmed())
            {
                store::link_session(c, &jti, &pid, &sub, &key)?;
                return Ok(None);
            }
            // One group key per user: the one of their devices, else a new one.
            let group = store::device_group_key(c, &pid, &sub)?.unwrap_or(fresh_group);
            let now = util::now_ms();
            store::insert_device(
                c,
                &DeviceRow {
                    pool_id: pid.clone(),
                    sub: sub.clone(),
                    device_key: new_key.clone(),
                    group_key: group.clone(),
                    name: None,
                    verifier: None,
                    remembered: false,
                    created_ms: now,
                    modified_ms: now,
                    last_auth_ms: now,
                },
                KEEP_UNCONFIRMED,
            )?;
            store::link_session(c, &jti, &pid, &sub, &new_key)?;
            Ok(Some((new_key, group)))
        })
        .await?;
    let mut out = out;
    if let Some((key, group)) = issued {
        out["AuthenticationResult"]["NewDeviceMetadata"] =
            json!({ "DeviceKey": key, "DeviceGroupKey": group });
    }
    Ok(out)
}

/// Opens the DEVICE_SRP_AUTH challenge that follows the password of a sign-in naming the
/// confirmed device `device_key`. The session records the device: the answer names it
/// again, and naming another one is refused.
pub(crate) fn open_device_challenge(
    state: &State,
    pool: &PoolRt,
    client: &ClientRt,
    user: &User,
    device_key: &str,
) -> Result<Value, ApiError> {
    let mut pending = PendingChallenge::new(
        &pool.id,
        &client.id,
        &user.sub,
        "DEVICE_SRP_AUTH",
        user.cred_gen,
    );
    pending.device_key = Some(device_key.to_owned());
    let session = state
        .pending
        .open_challenge(pending, state.session_validity(&client.config))?;
    Ok(json!({
        "ChallengeName": "DEVICE_SRP_AUTH",
        "Session": session,
        "ChallengeParameters": { "USERNAME": user.username, "USER_ID_FOR_SRP": user.username },
    }))
}

// ---------------------------------------------------------------------------------------
// The device challenges

/// Whether a device's challenges are refused: `lockout_threshold` wrong device passwords
/// within `lockout_max` of each other (docs/local-pool.md, "Remembered devices").
fn device_locked(state: &State, pool_id: &str, device_key: &str) -> bool {
    state.pending.device_failures(pool_id, device_key) >= state.limits.lockout_threshold.max(1)
}

/// RespondToAuthChallenge DEVICE_SRP_AUTH: `USERNAME`, `DEVICE_KEY`, `SRP_A` → the
/// DEVICE_PASSWORD_VERIFIER challenge (`SRP_B`, `SALT`, `SECRET_BLOCK`, a new Session).
pub(crate) async fn device_srp_auth(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    session: Option<&str>,
    r: &[(String, String)],
) -> Result<Value, ApiError> {
    let session = session.ok_or_else(|| missing_param("Session"))?;
    let (pending, user, _) =
        challenge_answer(state, &pool, &client, "DEVICE_SRP_AUTH", session, r).await?;
    ensure_enabled(&user)?;
    if user.cred_gen != pending.cred_gen {
        return Err(challenge_expired());
    }
    let device_key = lookup(r, "DEVICE_KEY").ok_or_else(|| missing_param("DEVICE_KEY"))?;
    // The session was opened for one device: another one, even a confirmed device of the
    // user, is answered as a device that does not exist (for this sign-in).
    if pending.device_key.as_deref() != Some(device_key) {
        return Err(device_not_found());
    }
    let srp_a = srp_a_of(r)?;
    let (pid, sub, key) = (pool.id.clone(), user.sub.clone(), device_key.to_owned());
    let device = state
        .store
        .read(move |c| store::device_of(c, &pid, &sub, &key))
        .await?;
    let Some((device, verifier)) = device.and_then(|d| d.verifier.clone().map(|v| (d, v))) else {
        return Err(device_not_found());
    };
    if device_locked(state, &pool.id, &device.device_key) {
        return Err(attempts_exceeded());
    }
    let step = crypto::run(move || DeviceStep::start(&verifier)).await?;
    let (b, salt) = (step.b_hex(), step.salt_hex());
    let secret_block = util::random_bytes::<64>()?.to_vec();
    let block_text = util::b64(&secret_block);
    state.pending.close_challenge(session);
    let next = state.pending.add_device(PendingDevice {
        pool_id: pool.id.clone(),
        client_id: client.id.clone(),
        sub: user.sub.clone(),
        cred_gen: pending.cred_gen,
        device_key: device.device_key,
        group_key: device.group_key,
        srp_a: srp_a.to_owned(),
        secret_block,
        step,
        expires: util::instant_after(state.session_validity(&client.config)),
    })?;
    Ok(json!({
        "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
        "Session": next,
        "ChallengeParameters": {
            "SRP_B": b,
            "SALT": salt,
            "SECRET_BLOCK": block_text,
            "USERNAME": user.username,
        },
    }))
}

/// RespondToAuthChallenge DEVICE_PASSWORD_VERIFIER: the device's proof, verified, gives
/// the tokens, or the MFA challenge unless the device is remembered and the pool lets a
/// remembered device stand for the second factor.
pub(crate) async fn device_password_verifier(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    session: Option<&str>,
    r: &[(String, String)],
) -> Result<Value, ApiError> {
    let session = session.ok_or_else(|| missing_param("Session"))?;
    let username = lookup(r, "USERNAME").ok_or_else(|| missing_param("USERNAME"))?;
    let device_key = lookup(r, "DEVICE_KEY").ok_or_else(|| missing_param("DEVICE_KEY"))?;
    let block_text = lookup(r, "PASSWORD_CLAIM_SECRET_BLOCK")
        .ok_or_else(|| missing_param("PASSWORD_CLAIM_SECRET_BLOCK"))?;
    let timestamp = lookup(r, "TIMESTAMP").ok_or_else(|| missing_param("TIMESTAMP"))?;
    let signature = lookup(r, "PASSWORD_CLAIM_SIGNATURE")
        .ok_or_else(|| missing_param("PASSWORD_CLAIM_SIGNATURE"))?;
    // Used at most once, right or wrong.
    let attempt = state
        .pending
        .take_device(session)
        .ok_or_else(challenge_expired)?;
    if attempt.client_id != client.id || attempt.pool_id != pool.id {
        return Err(challenge_expired());
    }
    let (pid, sub) = (pool.id.clone(), attempt.sub.clone());
    let user = state
        .store
        .read(move |c| store::user_by_sub(c, &pid, &sub))
        .await?
        .ok_or_else(ApiError::user_not_found)?;
    if !names_user(&pool, &user, username) {
        return Err(challenge_expired());
    }
    check_secret_hash(
        &client,
        lookup(r, "SECRET_HASH"),
        &[username, &user.username, &user.sub],
    )?;
    let block = srp_glue::decode_secret_block(block_text).ok_or_else(ApiError::bad_credentials)?;
    if device_key != attempt.device_key || block != attempt.secret_block {
        return Err(ApiError::bad_credentials());
    }
    srp_glue::check_timestamp(timestamp, state.limits.srp_timestamp_skew)?;
    // Sign-ins opened before the device reached its limit are refused too.
    if device_locked(state, &pool.id, &attempt.device_key) {
        return Err(attempts_exceeded());
    }
    let (timestamp, signature) = (timestamp.to_owned(), signature.to_owned());
    let PendingDevice {
        step,
        srp_a,
        secret_block,
        group_key,
        device_key,
        cred_gen,
        ..
    } = attempt;
    let key = device_key.clone();
    let right = crypto::run(move || {
        let proof = ClientProof {
            srp_a_hex: &srp_a,
            secret_block: &secret_block,
            timestamp: &timestamp,
            signature_b64: &signature,
        };
        Ok(step.verify(&group_key, &key, &proof))
    })
    .await?;
    if !right {
        // A wrong device password is counted against the device, not the user: every
        // device sign-in follows a right password, which clears the user's count. At the
        // limit the device's challenges are refused for a while (`device_locked`).
        state
            .pending
            .device_failed(&pool.id, &user.sub, &device_key, state.limits.lockout_max);
        return Err(ApiError::bad_credentials());
    }
    state.pending.device_succeeded(&pool.id, &device_key);
    let new = session::new_session(&client, &user)?;
    let (row, hash) = (new.row.clone(), new.refresh_hash);
    let mfa_config = pool.config.mfa.clone();
    let skip_mfa_if_remembered = pool
        .config
        .device
        .is_some_and(|d| d.challenge_required_on_new_device);
    let (pid, sub) = (pool.id.clone(), user.sub.clone());
    let (user, step) = state
        .store
        .write(move |c| {
            let u = store::user_by_sub(c, &pid, &sub)?.ok_or_else(ApiError::user_not_found)?;
            ensure_enabled(&u)?;
            // A new password, a reset or a sign-out since the password was checked.
            if u.cred_gen != cred_gen || u.status != UserStatus::Confirmed {
                return Err(challenge_expired());
            }
            if u.locked_at(util::now_ms()) {
                return Err(Checked::SignIn.locked_out());
            }
            let device = store::device_of(c, &pid, &sub, &device_key)?
                .filter(DeviceRow::confirmed)
                .ok_or_else(device_not_found)?;
            store::touch_device(c, &pid, &device_key, util::now_ms())?;
            let step = if device.remembered && skip_mfa_if_remembered {
                None
            } else {
                mfa::decide_in(c, &mfa_config, &u)?
            };
            if step.is_none() {
                store::insert_session(c, &row, &hash)?;
                store::link_session(c, &row.origin_jti, &pid, &sub, &device_key)?;
            }
            Ok((u, step))
        })
        .await?;
    if let Some(step) = step {
        return mfa::open_step(state, &pool, &client, &user, step);
    }
    session::authentication_result(
        state,
        &pool,
        &client,
        &user,
        &new.row,
        Some(&new.refresh_token),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// The operations

/// `DeviceType` as Cognito answers it.
fn device_json(state: &State, user: &User, d: &DeviceRow) -> Value {
    let region = region_of(state, &d.pool_id);
    let owner = format!("{}.{}", user.username, d.pool_id);
    let mut attrs = vec![json!({ "Name": "device_status", "Value": "valid" })];
    if let Some(name) = &d.name {
        attrs.push(json!({ "Name": "device_name", "Value": name }));
    }
    attrs.push(json!({
        "Name": "dev:device_arn",
        "Value": format!(
            "arn:aws:cognito-idp:{region}:000000000000:owner/{owner}/device/{}",
            d.device_key
        ),
    }));
    attrs.push(json!({ "Name": "dev:device_owner", "Value": owner }));
    attrs.push(json!({
        "Name": "dev:device_remembered_status",
        "Value": if d.remembered { "remembered" } else { "not_remembered" },
    }));
    json!({
        "DeviceKey": d.device_key,
        "DeviceAttributes": attrs,
        "DeviceCreateDate": util::epoch_json(d.created_ms),
        "DeviceLastModifiedDate": util::epoch_json(d.modified_ms),
        "DeviceLastAuthenticatedDate": util::epoch_json(d.last_auth_ms),
    })
}

/// Whose devices a call is about: the user of an access token (public forms) or of
/// `UserPoolId` and `Username` (admin forms).
struct Owner {
    pool: Arc<PoolRt>,
    user: User,
    /// The public forms see remembered devices only (GetDevice and ListDevices of a
    /// not_remembered device answer as if it did not exist); the admin forms see all.
    admin: bool,
}

async fn owner(state: &State, p: &Params<'_>, admin: bool) -> Result<Owner, ApiError> {
    if admin {
        let pool = state.pool(p.req_str("UserPoolId")?).await?;
        let typed = p.req_str("Username")?.to_owned();
        let pool2 = pool.clone();
        let user = state
            .store
            .read(move |c| find_user(c, &pool2, &typed))
            .await?
            .ok_or_else(ApiError::user_not_found)?;
        return Ok(Owner { pool, user, admin });
    }
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    Ok(Owner {
        pool: a.pool,
        user: a.user,
        admin,
    })
}

async fn confirmed_device(state: &State, o: &Owner, key: &str) -> Result<DeviceRow, ApiError> {
    let (pid, sub, key) = (o.pool.id.clone(), o.user.sub.clone(), key.to_owned());
    state
        .store
        .read(move |c| store::device_of(c, &pid, &sub, &key))
        .await?
        .filter(|d| d.confirmed() && (o.admin || d.remembered))
        .ok_or_else(device_not_found)
}

/// ConfirmDevice: stores the device's verifier. `UserConfirmationNecessary` is true when
/// the pool remembers devices only on the user's prompt (the device stays not_remembered
/// until UpdateDeviceStatus), false when it remembers them at once.
pub(crate) async fn confirm_device(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let a = authenticate(state, p.req_str("AccessToken")?).await?;
    let key = p.req_str("DeviceKey")?.to_owned();
    let config = p
        .obj("DeviceSecretVerifierConfig")?
        .ok_or_else(|| missing_param("DeviceSecretVerifierConfig"))?;
    let verifier = srp_glue::device_verifier(
        config.str("Salt")?.unwrap_or_default(),
        config.str("PasswordVerifier")?.unwrap_or_default(),
    )?;
    let name = p.str("DeviceName")?.map(str::to_owned);
    if name
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.len() > MAX_NAME)
    {
        return Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value at 'deviceName' failed to satisfy constraint: Member must have length between 1 and {MAX_NAME}"
        )));
    }
    let Some(device_config) = a.pool.config.device else {
        return Err(device_not_found());
    };
    let on_prompt = device_config.device_only_remembered_on_user_prompt;
    let (pid, sub) = (a.pool.id.clone(), a.user.sub.clone());
    let found = state
        .store
        .write(move |c| {
            store::confirm_device(
                c,
                &pid,
                &sub,
                &key,
                name.as_deref(),
                &verifier,
                !on_prompt,
                util::now_ms(),
            )
        })
        .await?;
    if !found {
        return Err(device_not_found());
    }
    Ok(json!({ "UserConfirmationNecessary": on_prompt }))
}

/// GetDevice and AdminGetDevice.
pub(crate) async fn get_device(
    state: &Arc<State>,
    p: Params<'_>,
    admin: bool,
) -> Result<Value, ApiError> {
    let o = owner(state, &p, admin).await?;
    let d = confirmed_device(state, &o, p.req_str("DeviceKey")?).await?;
    Ok(json!({ "Device": device_json(state, &o.user, &d) }))
}

/// The page token of a device list: the user and the last key answered.
fn page_token(o: &Owner, last_key: &str) -> String {
    util::b64url(format!("devices\n{}\n{}\n{last_key}", o.pool.id, o.user.sub).as_bytes())
}

fn page_after(o: &Owner, token: Option<&str>) -> Result<String, ApiError> {
    let Some(token) = token else {
        return Ok(String::new());
    };
    let decoded = util::b64url_decode(token).and_then(|b| String::from_utf8(b).ok());
    let key = decoded.as_deref().and_then(|text| {
        let mut parts = text.splitn(4, '\n');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("devices"), Some(p), Some(s), Some(key)) if p == o.pool.id && s == o.user.sub => {
                Some(key.to_owned())
            }
            _ => None,
        }
    });
    key.ok_or_else(|| {
        let shown: String = token.chars().take(64).collect();
        ApiError::invalid_parameter(format!("Paging marker {shown} is invalid for request."))
    })
}

/// ListDevices and AdminListDevices: in device key order, `Limit` 0 to 60 (default 60).
pub(crate) async fn list_devices(
    state: &Arc<State>,
    p: Params<'_>,
    admin: bool,
) -> Result<Value, ApiError> {
    let o = owner(state, &p, admin).await?;
    let limit = p.int("Limit")?.unwrap_or(MAX_LIMIT);
    if !(0..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 0 and {MAX_LIMIT}"
        )));
    }
    let limit = usize::try_from(limit).unwrap_or(0);
    let after = page_after(&o, p.str("PaginationToken")?)?;
    let (pid, sub, remembered_only) = (o.pool.id.clone(), o.user.sub.clone(), !o.admin);
    let rows = state
        .store
        .read(move |c| store::list_devices(c, &pid, &sub, remembered_only, &after, limit + 1))
        .await?;
    let more = rows.len() > limit;
    let page: Vec<&DeviceRow> = rows.iter().take(limit).collect();
    let devices: Vec<Value> = page
        .iter()
        .map(|d| device_json(state, &o.user, d))
        .collect();
    let mut out = json!({ "Devices": devices });
    if more && let Some(last) = page.last() {
        out["PaginationToken"] = json!(page_token(&o, &last.device_key));
    }
    Ok(out)
}

/// ForgetDevice and AdminForgetDevice: the device is deleted and the sessions signed in
/// from it are revoked (their refresh tokens stop working).
pub(crate) async fn forget_device(
    state: &Arc<State>,
    p: Params<'_>,
    admin: bool,
) -> Result<Value, ApiError> {
    // Both forms act on any confirmed device of the user, remembered or not.
    let o = owner(state, &p, admin).await?;
    let (pid, sub, key) = (
        o.pool.id.clone(),
        o.user.sub.clone(),
        p.req_str("DeviceKey")?.to_owned(),
    );
    let found = state
        .store
        .write(move |c| store::forget_device(c, &pid, &sub, &key))
        .await?;
    if !found {
        return Err(device_not_found());
    }
    Ok(json!({}))
}

/// UpdateDeviceStatus and AdminUpdateDeviceStatus: `remembered` or `not_remembered`.
pub(crate) async fn update_device_status(
    state: &Arc<State>,
    p: Params<'_>,
    admin: bool,
) -> Result<Value, ApiError> {
    let o = owner(state, &p, admin).await?;
    let key = p.req_str("DeviceKey")?.to_owned();
    let remembered = match p.str("DeviceRememberedStatus")? {
        Some("remembered") => true,
        Some("not_remembered") | None => false,
        Some(other) => {
            return Err(ApiError::invalid_parameter(format!(
                "1 validation error detected: Value '{other}' at 'deviceRememberedStatus' failed to satisfy constraint: Member must satisfy enum value set: [remembered, not_remembered]"
            )));
        }
    };
    let (pid, sub) = (o.pool.id.clone(), o.user.sub.clone());
    let found = state
        .store
        .write(move |c| store::set_remembered(c, &pid, &sub, &key, remembered, util::now_ms()))
        .await?;
    if !found {
        return Err(device_not_found());
    }
    Ok(json!({}))
}
