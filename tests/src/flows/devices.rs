//! Remembered devices: a pool that tracks devices (only remembered when the user says so,
//! MFA skipped on a remembered device), and email MFA preferred by the user.
//!
//! The first sign-in registers a device, which the client confirms by itself and stores
//! in the reference key layout; it is not remembered yet, so the next sign-in answers the
//! device challenges and then asks for the MFA code, whose answer names the device so that
//! the same device stays (no new one is registered). Once remembered, a sign-in from a new
//! client on the same token file (a restart) answers the device challenges and skips MFA,
//! and a refresh names the device. Forgetting it clears the stored keys, and the next
//! sign-in asks for MFA again and registers a new device.

use anyhow::{Context as _, Result, anyhow, ensure};
use userpool::storage::{Keys, Storage};
use userpool::{MfaPreference, MfaPreferenceUpdate, NextStep, SignInResult};

use super::helpers::{TempFile, check, stored};
use super::{Flow, PASSWORD};
use crate::backend::{AppClient, Purpose};
use crate::client::{Client, Ctx, TestUser};

/// The three device keys of `username` in `storage`: deviceKey, randomPasswordKey,
/// deviceGroupKey.
async fn device_entries(
    storage: &std::sync::Arc<dyn Storage>,
    app: &AppClient,
    username: &str,
) -> Result<[Option<String>; 3]> {
    let keys = Keys::new(&app.client_id).user(username);
    Ok([
        stored(storage, &keys.device_key()).await?,
        stored(storage, &keys.random_password_key()).await?,
        stored(storage, &keys.device_group_key()).await?,
    ])
}

/// Answers the pending email MFA step with the `nth` code sent to the user (1-based).
async fn answer_email_code(
    ctx: &Ctx<'_>,
    c: &mut Client,
    app: &AppClient,
    user: &TestUser,
    nth: usize,
) -> Result<()> {
    let codes = ctx
        .codes(app, &user.username, Purpose::Mfa, nth)
        .await?
        .ok_or_else(|| anyhow!("the {} backend cannot read MFA codes", ctx.backend().name()))?;
    let code = codes
        .get(nth - 1)
        .cloned()
        .ok_or_else(|| anyhow!("no MFA code number {nth}"))?;
    let result = c
        .auth
        .confirm_sign_in(code)
        .await
        .context("confirm_sign_in with the emailed code")?;
    check(
        "sign-in result after the code",
        &result,
        &SignInResult::SignedIn,
    )?;
    c.expect_events(&["signIn"])?;
    Ok(())
}

pub(super) async fn remembered_device(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::RememberedDevice.options()).await?;
    let user = ctx.confirmed_user(&app, "device", &[]).await?;
    let file = TempFile::new(ctx, "device");
    let storage: std::sync::Arc<dyn Storage> = file.store();

    // 1. The first sign-in registers a device: confirmed and stored before `signIn`.
    let mut c = ctx.client_with(&app, storage.clone())?;
    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .context("the first sign-in")?;
    check("first sign-in", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    let first_key = c
        .auth
        .current_device_key()
        .await?
        .ok_or_else(|| anyhow!("no device was stored after the first sign-in"))?;
    let internal = c
        .auth
        .current_session()
        .await?
        .access_token()
        .username()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the access token names no username"))?;
    let [key, password, group] = device_entries(&storage, &app, &internal).await?;
    check("stored deviceKey", key.as_deref(), Some(first_key.as_str()))?;
    ensure!(
        password.as_ref().is_some_and(|p| p.len() == 56),
        "randomPasswordKey is not the reference's 56 characters"
    );
    ensure!(group.is_some(), "no deviceGroupKey stored");
    // Not remembered yet (the pool waits for the user): ListDevices does not show it.
    let devices = c.auth.fetch_devices().await.context("fetch_devices")?;
    ensure!(
        !devices.iter().any(|d| d.key == first_key),
        "a device that is not remembered was listed: {devices:?}"
    );
    c.auth
        .update_mfa_preference(MfaPreferenceUpdate::new().email(MfaPreference::Preferred))
        .await
        .context("update_mfa_preference(email: Preferred)")?;
    c.auth.sign_out().await.context("sign_out")?;
    c.expect_events(&["signOut"])?;
    let [key, ..] = device_entries(&storage, &app, &internal).await?;
    check(
        "deviceKey after the sign-out",
        key.as_deref(),
        Some(first_key.as_str()),
    )?;

    // 2. A device that is not remembered: the device challenges are answered, MFA follows.
    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .context("the sign-in with a device not remembered")?;
    ensure!(
        matches!(result.next_step(), Some(NextStep::EmailCode { .. })),
        "a device that is not remembered skipped MFA: {result:?}"
    );
    c.expect_events(&[])?;
    answer_email_code(ctx, &mut c, &app, &user, 1).await?;
    // The MFA answer names the device, so the pool links the session to it: no new
    // device is registered, and the stored one (its password too) stays.
    let [key_after_mfa, password_after_mfa, _] = device_entries(&storage, &app, &internal).await?;
    check(
        "deviceKey after the MFA sign-in",
        key_after_mfa.as_deref(),
        Some(first_key.as_str()),
    )?;
    check(
        "randomPasswordKey after the MFA sign-in",
        password_after_mfa.as_deref(),
        password.as_deref(),
    )?;
    let device_key = first_key.clone();

    // 3. Remembered: listed as such.
    c.auth.remember_device().await.context("remember_device")?;
    let devices = c.auth.fetch_devices().await.context("fetch_devices")?;
    let listed = devices
        .iter()
        .find(|d| d.key == device_key)
        .ok_or_else(|| anyhow!("the remembered device is not listed: {devices:?}"))?;
    ensure!(listed.is_remembered(), "listed as {listed:?}");
    c.auth.sign_out().await.context("sign_out")?;
    c.expect_events(&["signOut"])?;

    // 4. A new client on the same file (a restart): the device signs in, MFA is skipped,
    // and a refresh names the device (the pool binds the session to it).
    let mut c = ctx.client_with(&app, storage.clone())?;
    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .context("the sign-in with the remembered device")?;
    check(
        "sign-in with the remembered device",
        &result,
        &SignInResult::SignedIn,
    )?;
    c.expect_events(&["signIn"])?;
    check(
        "device after the restart",
        c.auth.current_device_key().await?,
        Some(device_key.clone()),
    )?;
    let session = c.auth.current_session().await?;
    c.expire(&session);
    c.auth
        .current_session()
        .await
        .context("refreshing a session signed in from the device")?;
    c.expect_events(&["tokenRefresh"])?;

    // 5. Forgotten: the keys go; the next sign-in asks for MFA and registers a new device.
    c.auth.forget_device().await.context("forget_device")?;
    check(
        "device keys after forget_device",
        device_entries(&storage, &app, &internal).await?,
        [None, None, None],
    )?;
    let mut c = ctx.client_with(&app, storage.clone())?;
    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .context("the sign-in after forget_device")?;
    ensure!(
        matches!(result.next_step(), Some(NextStep::EmailCode { .. })),
        "the sign-in after forgetting the device skipped MFA: {result:?}"
    );
    c.expect_events(&[])?;
    answer_email_code(ctx, &mut c, &app, &user, 2).await?;
    let new_key = c
        .auth
        .current_device_key()
        .await?
        .ok_or_else(|| anyhow!("no new device after forget_device"))?;
    ensure!(new_key != device_key, "the forgotten device came back");
    let devices = c.auth.fetch_devices().await.context("fetch_devices")?;
    ensure!(
        !devices.iter().any(|d| d.key == device_key),
        "the forgotten device is still listed: {devices:?}"
    );
    Ok(())
}
