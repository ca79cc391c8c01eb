//! Choice-based sign-in (`USER_AUTH`): a preferred one-time code by email or SMS, the
//! selection of the first factor answered with the password (sent, or proven by SRP), and
//! the sign-in right after a confirmed sign-up (`autoSignIn`).
//!
//! Codes are read from the backend's outbox, where the first-factor codes are filed with
//! the MFA codes ([`Purpose::Mfa`]): Cognito sends both with the same templates.

use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use userpool::{
    AuthFactor, AuthFlow, ChallengeName, ConfirmSignUpOutcome, DeliveryMedium, Error, MemoryStore,
    NextStep, SignInOptions, SignInResult, SignUpOptions,
};

use super::helpers::{check, other_code};
use super::{Flow, PASSWORD, WRONG_PASSWORD};
use crate::admin;
use crate::backend::{AppClient, Purpose};
use crate::client::{Client, Ctx, TestUser};

/// The phone number of users with SMS codes (a fictional range: nothing is sent anyway).
const PHONE: &str = "+15555550143";

/// Checks that the client's session works: the server accepts its access token, and its
/// refresh token refreshes it (`bypass_cache` does both: `tokenRefresh`).
async fn expect_signed_in_as(c: &mut Client, user: &TestUser) -> Result<()> {
    let fetched = c
        .auth
        .current_authenticated_user_with(userpool::CurrentUserOptions::default().bypass_cache())
        .await
        .context("GetUser with the new session")?;
    check(
        "the signed-in user's email",
        fetched.email(),
        Some(user.email.as_str()),
    )?;
    c.expect_events(&["tokenRefresh"])?;
    Ok(())
}

/// How many first-factor (or MFA) codes the user was sent so far.
async fn codes_sent(ctx: &Ctx<'_>, app: &AppClient, username: &str) -> Result<usize> {
    Ok(ctx
        .backend()
        .codes(app, username, Purpose::Mfa)
        .await?
        .map_or(0, |codes| codes.len()))
}

/// A one-time code as the preferred first factor: the step says where it went, a wrong
/// code leaves the sign-in pending, the emailed (or texted) code signs in.
pub(super) async fn user_auth_code(ctx: &Ctx<'_>, flow: Flow) -> Result<()> {
    let sms = flow == Flow::UserAuthSmsOtp;
    let app = ctx.app(flow.options()).await?;
    let extra: &[(&str, &str)] = if sms { &[("phone_number", PHONE)] } else { &[] };
    // The sign-up confirmation verifies the email address; the phone number is verified
    // by an admin (no SMS is ever sent here).
    let user = ctx.confirmed_user(&app, "otp", extra).await?;
    if sms {
        admin::admin_update_user_attributes(
            ctx.backend().sdk(),
            &app,
            &user.username,
            &[("phone_number_verified", "true")],
        )
        .await?;
    }
    let (factor, medium, full_destination) = if sms {
        (AuthFactor::SmsOtp, DeliveryMedium::Sms, PHONE)
    } else {
        (
            AuthFactor::EmailOtp,
            DeliveryMedium::Email,
            user.email.as_str(),
        )
    };
    let mut c = ctx.client(&app)?;
    let before = codes_sent(ctx, &app, &user.username).await?;
    let result = c
        .auth
        .sign_in_without_password(
            &user.username,
            SignInOptions::default().preferred_challenge(factor),
        )
        .await
        .with_context(|| format!("sign_in_without_password preferring {factor}"))?;
    c.expect_events(&[])?;
    let delivery = match (&result, sms) {
        (SignInResult::NextStep(NextStep::SmsCode { delivery }), true)
        | (SignInResult::NextStep(NextStep::EmailCode { delivery }), false) => delivery,
        _ => bail!("expected the {factor} code step, got {result:?}"),
    };
    check("delivery medium", delivery.medium.as_ref(), Some(&medium))?;
    let destination = delivery
        .destination
        .as_deref()
        .ok_or_else(|| anyhow!("the {factor} step names no destination"))?;
    ensure!(
        !destination.is_empty() && destination != full_destination,
        "the destination {destination:?} is not masked"
    );
    let codes = ctx
        .codes(&app, &user.username, Purpose::Mfa, before + 1)
        .await?
        .context("this backend cannot read sign-in codes")?;
    check("codes sent by the sign-in", codes.len(), before + 1)?;
    let code = codes.last().context("no code")?.clone();

    expect_err!(
        c.auth.confirm_sign_in(other_code(&code)).await,
        Error::CodeMismatch { .. }
    );
    ensure!(
        c.auth.pending_sign_in().is_some(),
        "a wrong code ended the sign-in"
    );
    expect_err!(c.auth.current_session().await, Error::SignInPending { .. });
    let result = c
        .auth
        .confirm_sign_in(code.as_str())
        .await
        .context("confirm_sign_in with the code")?;
    ensure!(
        result.is_signed_in(),
        "the code did not sign in: {result:?}"
    );
    c.expect_events(&["signIn"])?;
    expect_signed_in_as(&mut c, &user).await?;
    Ok(())
}

/// Starts a sign-in with no preference and no password: the selection of the first
/// factor, with what the user can take.
async fn selection(c: &mut Client, user: &TestUser) -> Result<Vec<ChallengeName>> {
    let result = c
        .auth
        .sign_in_without_password(&user.username, SignInOptions::default())
        .await
        .context("sign_in_without_password without a preference")?;
    c.expect_events(&[])?;
    let Some(NextStep::SelectFirstFactor {
        available_challenges,
    }) = result.next_step()
    else {
        bail!("expected the first-factor selection, got {result:?}");
    };
    Ok(available_challenges.clone())
}

/// The selection answered with a password factor (`PASSWORD` or `PASSWORD_SRP`), then the
/// password: a wrong one ends the sign-in, the right one signs in. Then the same factor
/// as a preference, with the password given up front.
pub(super) async fn user_auth_select_password(ctx: &Ctx<'_>, flow: Flow) -> Result<()> {
    let chosen = if flow == Flow::UserAuthSelectPasswordSrp {
        ChallengeName::PasswordSrp
    } else {
        ChallengeName::Password
    };
    let app = ctx.app(flow.options()).await?;
    let user = ctx.confirmed_user(&app, "select", &[]).await?;
    let mut c = ctx.client(&app)?;

    let offered = selection(&mut c, &user).await?;
    // The user's email is verified and the pool allows EMAIL_OTP: all three are offered.
    for wanted in [
        ChallengeName::Password,
        ChallengeName::PasswordSrp,
        ChallengeName::EmailOtp,
    ] {
        ensure!(
            offered.contains(&wanted),
            "the selection offers {offered:?}, without {}",
            wanted.as_str()
        );
    }
    let result = c.auth.confirm_sign_in(chosen.as_str()).await?;
    let asked = NextStep::Password {
        challenge: chosen.clone(),
    };
    check("the step after choosing", result.next_step(), Some(&asked))?;
    expect_err!(
        c.auth.confirm_sign_in(WRONG_PASSWORD).await,
        Error::NotAuthorized { .. }
    );
    ensure!(
        c.auth.pending_sign_in().is_none(),
        "the sign-in is still pending after a wrong password"
    );
    c.expect_events(&[])?;

    selection(&mut c, &user).await?;
    c.auth.confirm_sign_in(chosen.as_str()).await?;
    let result = c
        .auth
        .confirm_sign_in(PASSWORD)
        .await
        .with_context(|| format!("the password after choosing {}", chosen.as_str()))?;
    ensure!(
        result.is_signed_in(),
        "the password did not sign in: {result:?}"
    );
    c.expect_events(&["signIn"])?;
    expect_signed_in_as(&mut c, &user).await?;
    c.auth.sign_out().await?;
    c.expect_events(&["signOut"])?;

    // The same factor preferred, the password given at once: PASSWORD_SRP by default,
    // PASSWORD when the client sends passwords.
    let mut preferred = ctx.client(&app)?;
    if chosen == ChallengeName::Password {
        preferred = client_sending_passwords(ctx, &app)?;
    }
    let result = preferred
        .auth
        .sign_in_with(
            &user.username,
            PASSWORD,
            SignInOptions::default().preferred_challenge(AuthFactor::Password),
        )
        .await
        .context("sign_in_with preferring PASSWORD")?;
    ensure!(
        result.is_signed_in(),
        "the preferred password did not sign in: {result:?}"
    );
    preferred.expect_events(&["signIn"])?;
    expect_signed_in_as(&mut preferred, &user).await?;
    Ok(())
}

/// A client of `app` whose flow is `USER_PASSWORD_AUTH`: its password factor sends the
/// password (`PASSWORD`).
fn client_sending_passwords(ctx: &Ctx<'_>, app: &AppClient) -> Result<Client> {
    ctx.client_configured(app, Arc::new(MemoryStore::new()), |builder| {
        builder.auth_flow(AuthFlow::UserPassword)
    })
}

/// Sign-up with the automatic sign-in: the confirmation signs the user in
/// (`confirmSignUp`, `signIn`, `autoSignIn`), and the session works. A second client
/// that signed nobody up only confirms.
pub(super) async fn auto_sign_in(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::AutoSignIn.options()).await?;
    let username = ctx.username(&app, "auto");
    let email = format!("{username}@example.com");
    let mut c = ctx.client(&app)?;
    let options = SignUpOptions::default()
        .attribute("email", &email)?
        .auto_sign_in(true);
    let signed_up = c.auth.sign_up(&username, PASSWORD, options).await?;
    ensure!(
        signed_up.session.is_some(),
        "SignUp answered no Session for a client that allows USER_AUTH"
    );
    c.expect_events(&["signUp"])?;
    let code = ctx.code(&app, &username, Purpose::SignUp).await?;
    expect_err!(
        c.auth.confirm_sign_up(&username, other_code(&code)).await,
        Error::CodeMismatch { .. }
    );
    c.expect_events(&[])?;
    let outcome = c
        .auth
        .confirm_sign_up(&username, code.as_str())
        .await
        .context("confirm_sign_up after a sign-up with auto sign-in")?;
    ensure!(
        outcome.is_signed_in(),
        "the confirmation did not sign the user in: {outcome:?}"
    );
    c.expect_events(&["confirmSignUp", "signIn", "autoSignIn"])?;
    let user = TestUser {
        username: username.clone(),
        password: PASSWORD.to_owned(),
        email,
        sub: signed_up.user_sub,
    };
    expect_signed_in_as(&mut c, &user).await?;

    // Without the option the confirmation is only that.
    let other = ctx.username(&app, "plain");
    let mut plain = ctx.client(&app)?;
    plain
        .auth
        .sign_up(
            &other,
            PASSWORD,
            SignUpOptions::default().attribute("email", format!("{other}@example.com"))?,
        )
        .await?;
    plain.expect_events(&["signUp"])?;
    let code = ctx.code(&app, &other, Purpose::SignUp).await?;
    let outcome = plain.auth.confirm_sign_up(&other, code.as_str()).await?;
    ensure!(
        matches!(outcome, ConfirmSignUpOutcome::Confirmed),
        "a sign-up without auto sign-in answered {outcome:?}"
    );
    plain.expect_events(&["confirmSignUp"])?;
    expect_err!(plain.auth.current_session().await, Error::NotSignedIn);
    Ok(())
}
