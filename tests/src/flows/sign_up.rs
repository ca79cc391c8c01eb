//! Sign-up flows: confirmation with the code, refusals, a code sent again, wrong codes.

use anyhow::{Context as _, Result, bail, ensure};
use userpool::storage::Keys;
use userpool::{AuthEvent, DeliveryMedium, Error, SignInResult, SignUpOptions};

use super::Flow;
use super::helpers::{check, other_code, stored};
use super::{NEW_PASSWORD, PASSWORD};
use crate::backend::Purpose;
use crate::client::Ctx;

pub(super) async fn sign_up_confirm_srp(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignUpConfirmSrp.options()).await?;
    let username = ctx.username(&app, "ada");
    let email = format!("{username}@example.com");
    let mut c = ctx.client(&app)?;

    let options = SignUpOptions::default()
        .attribute("email", &email)?
        .attribute("name", "Ada Lovelace")?
        .attribute("custom:team", "engines")?;
    let signed_up = c
        .auth
        .sign_up(&username, PASSWORD, options)
        .await
        .context("sign_up")?;
    ensure!(
        !signed_up.user_confirmed,
        "a pool that verifies email confirmed the user at once"
    );
    ensure!(!signed_up.user_sub.is_empty(), "SignUp answered no sub");
    let delivery = signed_up
        .code_delivery
        .as_ref()
        .context("a pool that verifies email sent no code delivery details at sign-up")?;
    ensure!(
        delivery
            .destination
            .as_deref()
            .is_some_and(|d| !d.is_empty()),
        "the sign-up code delivery has no destination: {delivery:?}"
    );
    let events = c.expect_events(&["signUp"])?;
    match &events[0] {
        AuthEvent::SignUp {
            username: who,
            result,
        } => {
            check("signUp event username", who.as_str(), username.as_str())?;
            check("signUp event result", result, &signed_up)?;
        }
        other => bail!("expected signUp, got {other:?}"),
    }

    // Not confirmed yet: no sign-in.
    expect_err!(
        c.auth.sign_in(&username, PASSWORD).await,
        Error::UserNotConfirmed { .. }
    );
    c.expect_events(&["signIn_failure"])?;

    ctx.confirm(&mut c, &app, &username).await?;
    let result = c
        .auth
        .sign_in(&username, PASSWORD)
        .await
        .context("SRP sign-in")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    let events = c.expect_events(&["signIn"])?;
    match &events[0] {
        AuthEvent::SignIn { username: who } => {
            check("signIn event username", who.as_str(), username.as_str())?;
        }
        other => bail!("expected signIn, got {other:?}"),
    }

    let session = c.auth.current_session().await.context("current_session")?;
    let id = session.id_token().claims();
    check("id token sub", id.sub(), Some(signed_up.user_sub.as_str()))?;
    check("id token token_use", id.token_use(), Some("id"))?;
    check("id token aud", id.str("aud"), Some(app.client_id.as_str()))?;
    check(
        "id token cognito:username",
        id.str("cognito:username"),
        Some(username.as_str()),
    )?;
    check(
        "id token custom:team",
        id.str("custom:team"),
        Some("engines"),
    )?;
    let access = session.access_token().claims();
    check("access token token_use", access.token_use(), Some("access"))?;
    check(
        "access token client_id",
        access.str("client_id"),
        Some(app.client_id.as_str()),
    )?;
    check(
        "access token username",
        access.str("username"),
        Some(username.as_str()),
    )?;
    check(
        "access token sub",
        access.sub(),
        Some(signed_up.user_sub.as_str()),
    )?;
    let refresh = session
        .refresh_token()
        .context("the session has no refresh token")?;

    // The reference's key layout.
    let storage = c.auth.storage().clone();
    let keys = Keys::new(&app.client_id);
    let user_keys = keys.user(&username);
    check(
        "stored LastAuthUser",
        stored(&storage, &keys.last_auth_user()).await?,
        Some(username.clone()),
    )?;
    check(
        "stored idToken",
        stored(&storage, &user_keys.id_token()).await?.as_deref(),
        Some(session.id_token().raw().expose()),
    )?;
    check(
        "stored accessToken",
        stored(&storage, &user_keys.access_token())
            .await?
            .as_deref(),
        Some(session.access_token().raw().expose()),
    )?;
    check(
        "stored refreshToken",
        stored(&storage, &user_keys.refresh_token())
            .await?
            .as_deref(),
        Some(refresh.raw().expose()),
    )?;
    ensure!(
        stored(&storage, &user_keys.clock_drift()).await?.is_some(),
        "no clockDrift stored"
    );

    let user = c
        .auth
        .current_authenticated_user()
        .await
        .context("current_authenticated_user")?;
    check("user name", user.username().as_str(), username.as_str())?;
    check("user sub", user.sub(), Some(signed_up.user_sub.as_str()))?;
    check("user email", user.email(), Some(email.as_str()))?;
    check(
        "user name attribute",
        user.attribute("name"),
        Some("Ada Lovelace"),
    )?;
    check(
        "user custom:team",
        user.attribute("custom:team"),
        Some("engines"),
    )?;
    ensure!(
        stored(&storage, &user_keys.user_data()).await?.is_some(),
        "the fetched user was not stored as userData"
    );
    c.expect_events(&[])?;
    Ok(())
}

pub(super) async fn sign_up_rejected(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignUpRejected.options()).await?;
    let existing = ctx.confirmed_user(&app, "taken", &[]).await?;
    let mut c = ctx.client(&app)?;

    let again = SignUpOptions::default().attribute("email", &existing.email)?;
    expect_err!(
        c.auth.sign_up(&existing.username, PASSWORD, again).await,
        Error::UsernameExists { .. }
    );
    let events = c.expect_events(&["signUp_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::UsernameExists { .. })),
        "signUp_failure carries {:?}",
        events[0].error()
    );

    let weak = ctx.username(&app, "weak");
    let options = SignUpOptions::default().attribute("email", format!("{weak}@example.com"))?;
    expect_err!(
        c.auth.sign_up(&weak, "short", options).await,
        Error::InvalidPassword { .. }
    );
    c.expect_events(&["signUp_failure"])?;

    // The refused user does not exist.
    expect_err!(
        c.auth.sign_in(&weak, "short").await,
        Error::UserNotFound { .. } | Error::NotAuthorized { .. }
    );
    c.expect_events(&["signIn_failure"])?;
    Ok(())
}

pub(super) async fn resend_sign_up_code(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ResendSignUpCode.options()).await?;
    let username = ctx.username(&app, "resend");
    let email = format!("{username}@example.com");
    let mut c = ctx.client(&app)?;
    let options = SignUpOptions::default().attribute("email", &email)?;
    c.auth.sign_up(&username, PASSWORD, options).await?;
    c.expect_events(&["signUp"])?;
    let first = ctx
        .codes(&app, &username, Purpose::SignUp, 1)
        .await?
        .context("this backend cannot read sign-up codes")?;

    let delivery = c
        .auth
        .resend_sign_up_code(&username)
        .await
        .context("resend_sign_up_code")?
        .context("ResendConfirmationCode answered no delivery details")?;
    check(
        "delivery attribute",
        delivery.attribute_name.as_deref(),
        Some("email"),
    )?;
    check(
        "delivery medium",
        delivery.medium.as_ref(),
        Some(&DeliveryMedium::Email),
    )?;
    let destination = delivery.destination.as_deref().unwrap_or_default();
    ensure!(
        !destination.is_empty() && destination != email,
        "the destination should be the masked address, got {destination:?}"
    );
    let codes = ctx
        .codes(&app, &username, Purpose::SignUp, first.len() + 1)
        .await?
        .context("this backend cannot read sign-up codes")?;
    let code = codes.last().context("no code")?.clone();
    c.expect_events(&[])?;

    c.auth
        .confirm_sign_up(&username, code)
        .await
        .context("confirming with the resent code")?;
    c.expect_events(&["confirmSignUp"])?;
    // Nothing left to resend.
    expect_err!(
        c.auth.resend_sign_up_code(&username).await,
        Error::InvalidParameter { .. }
    );
    let result = c.auth.sign_in(&username, PASSWORD).await?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    Ok(())
}

pub(super) async fn wrong_code(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::WrongCode.options()).await?;
    let username = ctx.username(&app, "code");
    let mut c = ctx.client(&app)?;
    let options = SignUpOptions::default().attribute("email", format!("{username}@example.com"))?;
    c.auth.sign_up(&username, PASSWORD, options).await?;
    c.expect_events(&["signUp"])?;
    let code = ctx.code(&app, &username, Purpose::SignUp).await?;

    expect_err!(
        c.auth.confirm_sign_up(&username, other_code(&code)).await,
        Error::CodeMismatch { .. }
    );
    c.expect_events(&[])?;
    expect_err!(
        c.auth.sign_in(&username, PASSWORD).await,
        Error::UserNotConfirmed { .. }
    );
    c.expect_events(&["signIn_failure"])?;
    c.auth
        .confirm_sign_up(&username, code)
        .await
        .context("confirming with the right code after a wrong one")?;
    c.expect_events(&["confirmSignUp"])?;

    c.auth.forgot_password(&username).await?;
    c.expect_events(&["forgotPassword"])?;
    let reset = ctx.code(&app, &username, Purpose::ForgotPassword).await?;
    expect_err!(
        c.auth
            .forgot_password_submit(&username, other_code(&reset), NEW_PASSWORD)
            .await,
        Error::CodeMismatch { .. }
    );
    let events = c.expect_events(&["forgotPasswordSubmit_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::CodeMismatch { .. })),
        "forgotPasswordSubmit_failure carries {:?}",
        events[0].error()
    );
    // The password did not change.
    let result = c
        .auth
        .sign_in(&username, PASSWORD)
        .await
        .context("the old password after a refused reset")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    Ok(())
}
