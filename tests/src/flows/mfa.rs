//! MFA: an authenticator app (TOTP) set up while signed in, codes by SMS and by email, the
//! TOTP setup a pool that requires MFA asks for at sign-in (MFA_SETUP), and the choice of
//! a method (SELECT_MFA_TYPE).
//!
//! The flows compute TOTP codes themselves, as the user's app would (RFC 6238: HMAC-SHA-1,
//! 6 digits, 30-second steps), and read SMS and email codes from the backend's outbox.
//! The local pool accepts each TOTP code once, so a sign-in that follows the setup answers
//! with the code of the next step (`now + 30 s`): that step is always later than the one
//! the setup used, and the local pool allows one step of clock skew (RFC 6238's
//! recommendation). moto allows none, one reason the TOTP flows are unsupported there.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use userpool::{
    ConfirmSignInOptions, DeliveryMedium, Error, MfaPreference, MfaPreferenceUpdate, MfaType,
    NextStep, SecretString, SignInOptions, SignInResult,
};

use super::helpers::{check, other_code, password_flow};
use super::{Flow, PASSWORD};
use crate::admin;
use crate::backend::{AppClient, Purpose};
use crate::client::{Client, Ctx, TestUser};

/// The phone number of users with SMS MFA (a fictional range: nothing is sent anyway).
const PHONE: &str = "+15555550142";
/// The name given to the authenticator app.
const DEVICE_NAME: &str = "userpool-it phone";
/// The issuer of the setup URIs.
const ISSUER: &str = "userpool-it";
/// Seconds of one TOTP step.
const STEP_SECS: u64 = 30;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The code an authenticator app shows at `at` (seconds since the epoch) for the base32
/// `secret` that AssociateSoftwareToken answered.
fn totp_code(secret: &SecretString, at: u64) -> Result<String> {
    // Apps read the secret without padding and in any case.
    let normalized = secret.expose().trim_end_matches('=').to_ascii_uppercase();
    let bytes = totp_rs::Secret::try_from_base32(&normalized)
        .map_err(|_| anyhow!("the TOTP secret the server answered is not base32"))?;
    // `build` would refuse a secret shorter than 128 bits (RFC 4226's minimum), and moto
    // hands out a 60-bit one; an app computes codes from it all the same. The algorithm,
    // digits and step are the builder's defaults (SHA-1, 6, 30 s), for which generating a
    // code cannot panic.
    let totp = totp_rs::Builder::new()
        .with_secret(bytes)
        .build_noncompliant();
    Ok(totp.generate(at).to_string())
}

/// A six-digit code that is not the code of any step within two of `at`'s: wrong for a
/// server that allows up to two steps of clock skew either way.
fn wrong_totp_code(secret: &SecretString, at: u64) -> Result<String> {
    let mut window = Vec::new();
    for offset in 0..=4u64 {
        window.push(totp_code(
            secret,
            (at + offset * STEP_SECS).saturating_sub(2 * STEP_SECS),
        )?);
    }
    let mut candidate = totp_code(secret, at)?;
    // Each turn changes the last digit: at most 5 of the 10 are taken.
    for _ in 0..10 {
        candidate = other_code(&candidate);
        if !window.contains(&candidate) {
            return Ok(candidate);
        }
    }
    bail!("no wrong TOTP code found (unreachable: at most 5 of 10 last digits are taken)")
}

fn expect_pending(c: &Client, what: &str, matches: impl Fn(&NextStep) -> bool) -> Result<()> {
    let pending = c.auth.pending_sign_in();
    ensure!(
        pending.as_ref().is_some_and(matches),
        "{what}: expected the sign-in to wait for that step, it waits for {pending:?}"
    );
    Ok(())
}

/// Checks that a pending sign-in is not a session yet.
async fn expect_not_signed_in(c: &Client) -> Result<()> {
    expect_err!(c.auth.current_session().await, Error::SignInPending { .. });
    Ok(())
}

/// Sets up an authenticator app for the signed-in user: `set_up_totp`, a wrong code
/// refused, then the right one. Returns the secret.
async fn set_up_authenticator(c: &mut Client, user: &TestUser) -> Result<SecretString> {
    let setup = c.auth.set_up_totp().await.context("set_up_totp")?;
    check(
        "set_up_totp username",
        setup.username().as_str(),
        user.username.as_str(),
    )?;
    let secret = setup.shared_secret().clone();
    ensure!(
        !secret.expose().is_empty(),
        "AssociateSoftwareToken answered an empty secret"
    );
    ensure!(
        !format!("{setup:?}").contains(secret.expose()),
        "the TOTP secret is in the Debug output of the setup details"
    );
    let uri = setup.setup_uri(ISSUER, None);
    let expected_start = format!("otpauth://totp/{ISSUER}:");
    ensure!(
        uri.expose().starts_with(&expected_start)
            && uri
                .expose()
                .contains(&format!("secret={}", secret.expose())),
        "the setup URI has not the shape otpauth://totp/{ISSUER}:<account>?secret=<secret>…"
    );

    let now = now_secs();
    expect_err!(
        c.auth
            .verify_totp_setup(wrong_totp_code(&secret, now)?, Some(DEVICE_NAME))
            .await,
        Error::EnableSoftwareTokenMfa { .. } | Error::CodeMismatch { .. }
    );
    c.auth
        .verify_totp_setup(totp_code(&secret, now)?, Some(DEVICE_NAME))
        .await
        .context("verify_totp_setup with the right code")?;
    c.expect_events(&[])?;
    Ok(secret)
}

/// Checks what the signed-in user's MFA settings are.
async fn expect_mfa_settings(
    c: &Client,
    what: &str,
    enabled: &[MfaType],
    preferred: Option<MfaType>,
) -> Result<()> {
    let settings = c
        .auth
        .fetch_mfa_preference()
        .await
        .with_context(|| format!("fetch_mfa_preference {what}"))?;
    let mut actual = settings.enabled.clone();
    actual.sort();
    let mut enabled = enabled.to_vec();
    enabled.sort();
    check(&format!("{what}: enabled MFA methods"), actual, enabled)?;
    check(
        &format!("{what}: preferred MFA method"),
        settings.preferred,
        preferred,
    )
}

/// The session an MFA sign-in made is the user's and works: the access token is accepted
/// (GetUser) and the refresh token refreshes.
async fn expect_session_works(c: &mut Client, user: &TestUser, method: MfaType) -> Result<()> {
    let session = c.auth.current_session().await.context("current_session")?;
    check(
        "id token sub after the MFA sign-in",
        session.id_token().claims().sub(),
        Some(user.sub.as_str()),
    )?;
    ensure!(
        session.refresh_token().is_some(),
        "the MFA sign-in gave no refresh token"
    );
    let settings = c
        .auth
        .fetch_mfa_preference()
        .await
        .context("GetUser with the access token of the MFA sign-in")?;
    ensure!(
        settings.enabled.contains(&method),
        "{method} signed the user in but is not among the enabled methods {:?}",
        settings.enabled
    );
    c.expire(&session);
    let refreshed = c
        .auth
        .current_session()
        .await
        .context("refreshing the session of the MFA sign-in")?;
    c.expect_events(&["tokenRefresh"])?;
    check(
        "id token sub after the refresh",
        refreshed.id_token().claims().sub(),
        Some(user.sub.as_str()),
    )
}

/// Checks how many MFA codes (SMS or email) were sent to `username` so far, where the
/// backend can read them.
async fn expect_codes_sent(
    ctx: &Ctx<'_>,
    app: &AppClient,
    username: &str,
    what: &str,
    expected: usize,
) -> Result<()> {
    match ctx.backend().codes(app, username, Purpose::Mfa).await? {
        Some(codes) => check(what, codes.len(), expected),
        None => Ok(()),
    }
}

/// TOTP set up while signed in, then preferred: the next sign-in asks for a code, a wrong
/// one leaves it pending, the right one signs in. `MfaTotpClientSecret` does the same
/// with an app client secret (`SECRET_HASH` on every call) and the password flow.
pub(super) async fn mfa_totp(ctx: &Ctx<'_>, flow: Flow) -> Result<()> {
    let options = flow.options();
    let app = ctx.app(options.clone()).await?;
    ensure!(
        app.client_secret.is_some() == options.secret,
        "the app client's secret is not as the flow asked"
    );
    let user = ctx.confirmed_user(&app, "totp", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    expect_mfa_settings(&c, "before any setup", &[], None).await?;
    let secret = set_up_authenticator(&mut c, &user).await?;
    c.auth
        .update_mfa_preference(MfaPreferenceUpdate::new().totp(MfaPreference::Preferred))
        .await
        .context("update_mfa_preference(totp: Preferred)")?;
    expect_mfa_settings(
        &c,
        "after preferring TOTP",
        &[MfaType::Totp],
        Some(MfaType::Totp),
    )
    .await?;
    c.expect_events(&[])?;
    c.auth.sign_out().await.context("sign_out")?;
    c.expect_events(&["signOut"])?;

    let sign_in = if options.password_auth {
        password_flow()
    } else {
        SignInOptions::default()
    };
    let result = c
        .auth
        .sign_in_with(&user.username, PASSWORD, sign_in)
        .await
        .context("sign-in of a user with TOTP preferred")?;
    check(
        "sign-in result",
        &result,
        &SignInResult::NextStep(NextStep::TotpCode),
    )?;
    c.expect_events(&[])?;
    expect_not_signed_in(&c).await?;

    let now = now_secs();
    expect_err!(
        c.auth.confirm_sign_in(wrong_totp_code(&secret, now)?).await,
        Error::CodeMismatch { .. }
    );
    c.expect_events(&[])?;
    expect_pending(&c, "after a wrong TOTP code", |s| *s == NextStep::TotpCode)?;
    expect_not_signed_in(&c).await?;

    let result = c
        .auth
        .confirm_sign_in(totp_code(&secret, now + STEP_SECS)?)
        .await
        .context("confirm_sign_in with the right TOTP code")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    ensure!(
        c.auth.pending_sign_in().is_none(),
        "a completed sign-in is still pending"
    );
    expect_session_works(&mut c, &user, MfaType::Totp).await
}

/// A code sent by SMS (`MfaSms`) or email (`MfaEmail`): the user's phone number or email
/// address is verified and the method preferred; the sign-in says where the code went,
/// the backend's outbox has it, a wrong code leaves the sign-in pending, the right one
/// signs in.
pub(super) async fn mfa_code(ctx: &Ctx<'_>, flow: Flow) -> Result<()> {
    let method = if flow == Flow::MfaSms {
        MfaType::Sms
    } else {
        MfaType::Email
    };
    let app = ctx.app(flow.options()).await?;
    let extra: &[(&str, &str)] = if method == MfaType::Sms {
        &[("phone_number", PHONE)]
    } else {
        &[]
    };
    // The sign-up confirmation verifies the email address.
    let user = ctx.confirmed_user(&app, "code", extra).await?;
    if method == MfaType::Sms {
        admin::admin_update_user_attributes(
            ctx.backend().sdk(),
            &app,
            &user.username,
            &[("phone_number_verified", "true")],
        )
        .await?;
    }
    let mut c = ctx.signed_in(&app, &user).await?;
    let update = if method == MfaType::Sms {
        MfaPreferenceUpdate::new().sms(MfaPreference::Preferred)
    } else {
        MfaPreferenceUpdate::new().email(MfaPreference::Preferred)
    };
    c.auth
        .update_mfa_preference(update)
        .await
        .with_context(|| format!("update_mfa_preference({method}: Preferred)"))?;
    expect_mfa_settings(
        &c,
        &format!("after preferring {method}"),
        &[method],
        Some(method),
    )
    .await?;
    c.auth.sign_out().await.context("sign_out")?;
    c.expect_events(&["signOut"])?;
    expect_codes_sent(
        ctx,
        &app,
        &user.username,
        "MFA codes sent before the MFA sign-in",
        0,
    )
    .await?;

    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .with_context(|| format!("sign-in of a user with {method} preferred"))?;
    c.expect_events(&[])?;
    let (delivery, full_destination, medium) = match (&result, method) {
        (SignInResult::NextStep(NextStep::SmsCode { delivery }), MfaType::Sms) => {
            (delivery, PHONE, DeliveryMedium::Sms)
        }
        (SignInResult::NextStep(NextStep::EmailCode { delivery }), MfaType::Email) => {
            (delivery, user.email.as_str(), DeliveryMedium::Email)
        }
        _ => bail!("expected the {method} code step, got {result:?}"),
    };
    check("delivery medium", delivery.medium.as_ref(), Some(&medium))?;
    let destination = delivery
        .destination
        .as_deref()
        .ok_or_else(|| anyhow!("the {method} code step names no destination"))?;
    ensure!(
        !destination.is_empty() && destination != full_destination,
        "the destination {destination:?} is not masked"
    );
    if method == MfaType::Sms {
        // Masked as Cognito does: the last four digits stay.
        ensure!(
            destination.ends_with(&PHONE[PHONE.len() - 4..]),
            "the masked phone number {destination:?} does not end with its last four digits"
        );
    }
    expect_not_signed_in(&c).await?;

    let codes = ctx
        .codes(&app, &user.username, Purpose::Mfa, 1)
        .await?
        .ok_or_else(|| anyhow!("the {} backend cannot read MFA codes", ctx.backend().name()))?;
    check("MFA codes sent by the sign-in", codes.len(), 1)?;
    let code = codes.into_iter().next().unwrap_or_default();

    expect_err!(
        c.auth.confirm_sign_in(other_code(&code)).await,
        Error::CodeMismatch { .. }
    );
    c.expect_events(&[])?;
    expect_pending(&c, "after a wrong code", |s| Some(s) == result.next_step())?;

    let result = c
        .auth
        .confirm_sign_in(code)
        .await
        .with_context(|| format!("confirm_sign_in with the {method} code"))?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    expect_codes_sent(
        ctx,
        &app,
        &user.username,
        "MFA codes sent in all (a wrong answer sends none)",
        1,
    )
    .await?;
    expect_session_works(&mut c, &user, method).await
}

/// A pool that requires MFA, offering only TOTP, and a user without any factor: the
/// sign-in asks to set up an authenticator (the secret comes with the step), a wrong code
/// leaves it pending, the right one signs in; the next sign-in asks for a TOTP code.
pub(super) async fn mfa_setup(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::MfaSetup.options()).await?;
    let user = ctx.confirmed_user(&app, "setup", &[]).await?;
    let mut c = ctx.client(&app)?;
    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .context("sign-in of a user without a factor on a pool that requires MFA")?;
    let SignInResult::NextStep(NextStep::TotpSetup { setup }) = result else {
        bail!("expected the TOTP setup step, got {result:?}");
    };
    c.expect_events(&[])?;
    check(
        "setup username",
        setup.username().as_str(),
        user.username.as_str(),
    )?;
    let secret = setup.shared_secret().clone();
    ensure!(
        !secret.expose().is_empty(),
        "the setup step carries an empty secret"
    );
    expect_not_signed_in(&c).await?;

    let now = now_secs();
    expect_err!(
        c.auth.confirm_sign_in(wrong_totp_code(&secret, now)?).await,
        Error::EnableSoftwareTokenMfa { .. } | Error::CodeMismatch { .. }
    );
    c.expect_events(&[])?;
    expect_pending(&c, "after a wrong setup code", |s| {
        matches!(s, NextStep::TotpSetup { .. })
    })?;

    let result = c
        .auth
        .confirm_sign_in_with(
            totp_code(&secret, now)?,
            ConfirmSignInOptions::default().friendly_device_name(DEVICE_NAME),
        )
        .await
        .context("confirm_sign_in with the code of the new authenticator")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    let settings = c
        .auth
        .fetch_mfa_preference()
        .await
        .context("fetch_mfa_preference after the setup")?;
    ensure!(
        settings.enabled.contains(&MfaType::Totp),
        "TOTP is not enabled after the setup at sign-in: {settings:?}"
    );
    c.auth.sign_out().await.context("sign_out")?;
    c.expect_events(&["signOut"])?;

    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .context("the sign-in after the setup")?;
    check(
        "sign-in result after the setup",
        &result,
        &SignInResult::NextStep(NextStep::TotpCode),
    )?;
    c.expect_events(&[])?;
    let result = c
        .auth
        .confirm_sign_in(totp_code(&secret, now_secs() + STEP_SECS)?)
        .await
        .context("confirm_sign_in with the next TOTP code")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    expect_session_works(&mut c, &user, MfaType::Totp).await
}

/// TOTP and SMS both on and neither preferred: the sign-in offers both; a method not
/// offered is refused before anything is sent; choosing TOTP asks for its code (no SMS
/// is sent), which signs in.
pub(super) async fn mfa_select_type(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::MfaSelectType.options()).await?;
    let user = ctx
        .confirmed_user(&app, "select", &[("phone_number", PHONE)])
        .await?;
    admin::admin_update_user_attributes(
        ctx.backend().sdk(),
        &app,
        &user.username,
        &[("phone_number_verified", "true")],
    )
    .await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let secret = set_up_authenticator(&mut c, &user).await?;
    c.auth
        .update_mfa_preference(
            MfaPreferenceUpdate::new()
                .totp(MfaPreference::NotPreferred)
                .sms(MfaPreference::NotPreferred),
        )
        .await
        .context("update_mfa_preference(totp, sms: NotPreferred)")?;
    expect_mfa_settings(
        &c,
        "after enabling TOTP and SMS",
        &[MfaType::Sms, MfaType::Totp],
        None,
    )
    .await?;
    c.auth.sign_out().await.context("sign_out")?;
    c.expect_events(&["signOut"])?;

    let result = c
        .auth
        .sign_in(&user.username, PASSWORD)
        .await
        .context("sign-in of a user with two methods and no preference")?;
    let SignInResult::NextStep(NextStep::SelectMfaType { options }) = &result else {
        bail!("expected the MFA choice, got {result:?}");
    };
    let mut offered = options.clone();
    offered.sort();
    check(
        "methods offered",
        offered,
        vec![MfaType::Sms, MfaType::Totp],
    )?;
    c.expect_events(&[])?;
    expect_not_signed_in(&c).await?;

    expect_err!(
        c.auth.confirm_sign_in("EMAIL").await,
        Error::InvalidInput { .. }
    );
    expect_pending(&c, "after choosing a method not offered", |s| {
        matches!(s, NextStep::SelectMfaType { .. })
    })?;

    let result = c
        .auth
        .confirm_sign_in("TOTP")
        .await
        .context("choosing TOTP")?;
    check(
        "step after choosing TOTP",
        &result,
        &SignInResult::NextStep(NextStep::TotpCode),
    )?;
    c.expect_events(&[])?;
    expect_codes_sent(
        ctx,
        &app,
        &user.username,
        "MFA codes sent (choosing TOTP sends no SMS)",
        0,
    )
    .await?;

    let result = c
        .auth
        .confirm_sign_in(totp_code(&secret, now_secs() + STEP_SECS)?)
        .await
        .context("confirm_sign_in with the TOTP code")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    expect_session_works(&mut c, &user, MfaType::Totp).await
}
