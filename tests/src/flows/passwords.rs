//! Password flows: new password at first sign-in, app client secrets, change and forgot
//! password.

use anyhow::{Context as _, Result, bail, ensure};
use userpool::{Attributes, AuthEvent, Error, NextStep, SignInResult, SignUpOptions};

use super::Flow;
use super::helpers::{check, expect_password, password_sign_in, user_attributes};
use super::{NEW_PASSWORD, PASSWORD, TEMPORARY_PASSWORD, WRONG_PASSWORD};
use crate::backend::{AppClient, Purpose};
use crate::client::{Ctx, TestUser};

pub(super) async fn new_password_required(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::NewPasswordRequired.options()).await?;
    let username = ctx.username(&app, "admin");
    let email = format!("{username}@example.com");
    ctx.backend()
        .admin_create_user(
            &app,
            &username,
            TEMPORARY_PASSWORD,
            &[
                ("email", &email),
                ("email_verified", "true"),
                ("name", "Integration Test"),
            ],
        )
        .await?;
    let mut c = ctx.client(&app)?;

    let result = c
        .auth
        .sign_in(&username, TEMPORARY_PASSWORD)
        .await
        .context("signing in with the temporary password")?;
    ensure!(
        matches!(
            result.next_step(),
            Some(NextStep::NewPasswordRequired { .. })
        ),
        "expected the new-password step, got {result:?}"
    );
    c.expect_events(&[])?;
    ensure!(
        matches!(
            c.auth.pending_sign_in(),
            Some(NextStep::NewPasswordRequired { .. })
        ),
        "the new-password step is not pending"
    );
    expect_err!(c.auth.current_session().await, Error::SignInPending { .. });

    let done = c
        .auth
        .complete_new_password(NEW_PASSWORD, Attributes::new())
        .await
        .context("complete_new_password")?;
    check("after the new password", &done, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    ensure!(
        c.auth.pending_sign_in().is_none(),
        "still pending after signing in"
    );

    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check(
        "id token cognito:username",
        claims.str("cognito:username"),
        Some(username.as_str()),
    )?;
    check(
        "id token email_verified",
        claims.bool("email_verified"),
        Some(true),
    )?;
    let fetched = c.auth.current_authenticated_user().await?;
    check("email_verified", fetched.email_verified(), Some(true))?;

    expect_password(ctx, &app, &username, NEW_PASSWORD, TEMPORARY_PASSWORD).await
}

pub(super) async fn new_password_required_attributes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx
        .app(Flow::NewPasswordRequiredAttributes.options())
        .await?;
    let username = ctx.username(&app, "req");
    let email = format!("{username}@example.com");
    ctx.backend()
        .admin_create_user(
            &app,
            &username,
            TEMPORARY_PASSWORD,
            &[("email", &email), ("email_verified", "true")],
        )
        .await?;
    let mut c = ctx.client(&app)?;

    let result = c.auth.sign_in(&username, TEMPORARY_PASSWORD).await?;
    let Some(NextStep::NewPasswordRequired {
        required_attributes,
        user_attributes,
    }) = result.next_step()
    else {
        bail!("expected the new-password step, got {result:?}");
    };
    let required: Vec<&str> = required_attributes.iter().map(|a| a.as_str()).collect();
    ensure!(
        required.contains(&"name"),
        "the required attributes {required:?} do not list name"
    );
    ensure!(
        required.iter().all(|a| !a.starts_with("userAttributes.")),
        "the userAttributes. prefix was not stripped: {required:?}"
    );
    check(
        "challenge userAttributes email",
        user_attributes.get("email"),
        Some(email.as_str()),
    )?;

    // Without the required attribute: refused, and the step stays pending.
    expect_err!(
        c.auth
            .complete_new_password(NEW_PASSWORD, Attributes::new())
            .await,
        Error::InvalidParameter { .. }
    );
    c.expect_events(&["completeNewPassword_failure"])?;
    ensure!(
        c.auth.pending_sign_in().is_some(),
        "a refused answer ended the pending sign-in"
    );

    // A new sign-in, answered with the attribute.
    let result = c.auth.sign_in(&username, TEMPORARY_PASSWORD).await?;
    ensure!(
        matches!(
            result.next_step(),
            Some(NextStep::NewPasswordRequired { .. })
        ),
        "expected the new-password step again, got {result:?}"
    );
    let done = c
        .auth
        .complete_new_password(NEW_PASSWORD, user_attributes_of_name("Ada Byron")?)
        .await
        .context("complete_new_password with the required attribute")?;
    check("after the new password", &done, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    let fetched = c.auth.current_authenticated_user().await?;
    check(
        "name given with the new password",
        fetched.attribute("name"),
        Some("Ada Byron"),
    )?;
    Ok(())
}

pub(super) fn user_attributes_of_name(name: &str) -> Result<Attributes> {
    user_attributes(&[("name", name)])
}

pub(super) async fn client_secret(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ClientSecret.options()).await?;
    ensure!(app.client_secret.is_some(), "the app client has no secret");
    let username = ctx.username(&app, "secret");
    let mut c = ctx.client(&app)?;

    // SignUp and ConfirmSignUp.
    let options = SignUpOptions::default().attribute("email", format!("{username}@example.com"))?;
    c.auth
        .sign_up(&username, PASSWORD, options)
        .await
        .context("sign_up with SECRET_HASH")?;
    c.expect_events(&["signUp"])?;
    ctx.confirm(&mut c, &app, &username).await?;

    // SRP sign-in, then a refresh.
    let result = c
        .auth
        .sign_in(&username, PASSWORD)
        .await
        .context("SRP sign-in with SECRET_HASH")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    c.expect_events(&["signIn"])?;
    let session = c.auth.current_session().await?;
    c.expire(&session);
    let refreshed = c
        .auth
        .current_session()
        .await
        .context("refresh with SECRET_HASH")?;
    ensure!(
        refreshed.access_token().raw().expose() != session.access_token().raw().expose(),
        "not refreshed"
    );
    c.expect_events(&["tokenRefresh"])?;

    // Password sign-in.
    let result = password_sign_in(ctx, &app, &username, PASSWORD)
        .await?
        .context("USER_PASSWORD_AUTH sign-in with SECRET_HASH")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");

    // Forgot password.
    c.auth
        .forgot_password(&username)
        .await
        .context("forgot_password with SECRET_HASH")?;
    c.expect_events(&["forgotPassword"])?;
    let code = ctx.code(&app, &username, Purpose::ForgotPassword).await?;
    c.auth
        .forgot_password_submit(&username, code, NEW_PASSWORD)
        .await
        .context("forgot_password_submit with SECRET_HASH")?;
    c.expect_events(&["forgotPasswordSubmit"])?;
    expect_password(ctx, &app, &username, NEW_PASSWORD, PASSWORD).await?;

    // The secret is checked.
    let wrong = AppClient {
        client_secret: Some("not-the-secret-of-this-app-client".to_owned()),
        ..app.clone()
    };
    let w = ctx.client(&wrong)?;
    expect_err!(
        w.auth.sign_in(&username, NEW_PASSWORD).await,
        Error::NotAuthorized { .. }
    );
    Ok(())
}

pub(super) async fn change_password(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ChangePassword.options()).await?;
    let user = ctx.confirmed_user(&app, "chpw", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    expect_err!(
        c.auth.change_password(WRONG_PASSWORD, NEW_PASSWORD).await,
        Error::NotAuthorized { .. }
    );
    expect_err!(
        c.auth.change_password(PASSWORD, "weak").await,
        Error::InvalidPassword { .. }
    );
    c.auth
        .change_password(PASSWORD, NEW_PASSWORD)
        .await
        .context("change_password")?;
    c.expect_events(&[])?;
    c.auth
        .current_session()
        .await
        .context("still signed in after changing the password")?;

    expect_password(ctx, &app, &user.username, NEW_PASSWORD, PASSWORD).await?;
    let changed = TestUser {
        password: NEW_PASSWORD.to_owned(),
        ..user
    };
    ctx.signed_in(&app, &changed)
        .await
        .context("SRP sign-in with the new password")?;
    Ok(())
}

pub(super) async fn forgot_password(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ForgotPassword.options()).await?;
    let user = ctx.confirmed_user(&app, "forgot", &[]).await?;
    let mut c = ctx.client(&app)?;

    let delivery = c
        .auth
        .forgot_password(&user.username)
        .await
        .context("forgot_password")?;
    ensure!(
        delivery.is_some(),
        "ForgotPassword answered no delivery details"
    );
    let events = c.expect_events(&["forgotPassword"])?;
    match &events[0] {
        AuthEvent::ForgotPassword {
            username,
            delivery: sent,
        } => {
            check(
                "forgotPassword event username",
                username.as_str(),
                user.username.as_str(),
            )?;
            check("forgotPassword event delivery", sent, &delivery)?;
        }
        other => bail!("expected forgotPassword, got {other:?}"),
    }
    let code = ctx
        .code(&app, &user.username, Purpose::ForgotPassword)
        .await?;
    c.auth
        .forgot_password_submit(&user.username, code, NEW_PASSWORD)
        .await
        .context("forgot_password_submit")?;
    c.expect_events(&["forgotPasswordSubmit"])?;

    expect_password(ctx, &app, &user.username, NEW_PASSWORD, PASSWORD).await?;
    let changed = TestUser {
        password: NEW_PASSWORD.to_owned(),
        ..user
    };
    ctx.signed_in(&app, &changed)
        .await
        .context("SRP sign-in with the new password")?;
    Ok(())
}
