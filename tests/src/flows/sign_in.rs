//! Sign-in flows: `USER_PASSWORD_AUTH`, wrong passwords with either flow.

use anyhow::{Context as _, Result, ensure};
use userpool::{AuthFlow, Error, SignInOptions, SignInResult};

use super::Flow;
use super::helpers::{check, password_flow};
use super::{PASSWORD, WRONG_PASSWORD};
use crate::client::Ctx;

pub(super) async fn sign_in_user_password(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignInUserPassword.options()).await?;
    let user = ctx.confirmed_user(&app, "pw", &[]).await?;
    let mut c = ctx.client(&app)?;
    let result = c
        .auth
        .sign_in_with(&user.username, PASSWORD, password_flow())
        .await
        .context("USER_PASSWORD_AUTH sign-in")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;

    let session = c.auth.current_session().await?;
    check(
        "id token sub",
        session.id_token().claims().sub(),
        Some(user.sub.as_str()),
    )?;
    check(
        "access token client_id",
        session.access_token().claims().str("client_id"),
        Some(app.client_id.as_str()),
    )?;
    ensure!(session.refresh_token().is_some(), "no refresh token");
    let fetched = c.auth.current_authenticated_user().await?;
    check("user email", fetched.email(), Some(user.email.as_str()))?;
    c.expect_events(&[])?;
    Ok(())
}

pub(super) async fn wrong_password(ctx: &Ctx<'_>, flow: AuthFlow) -> Result<()> {
    let options = if flow == AuthFlow::UserPassword {
        Flow::WrongPassword.options()
    } else {
        Flow::WrongPasswordSrp.options()
    };
    let app = ctx.app(options).await?;
    let user = ctx.confirmed_user(&app, "wrong", &[]).await?;
    let mut c = ctx.client(&app)?;
    let options = SignInOptions::default().auth_flow(flow);

    expect_err!(
        c.auth
            .sign_in_with(&user.username, WRONG_PASSWORD, options.clone())
            .await,
        Error::NotAuthorized { .. }
    );
    let events = c.expect_events(&["signIn_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::NotAuthorized { .. })),
        "signIn_failure carries {:?}",
        events[0].error()
    );
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    ensure!(
        c.auth.pending_sign_in().is_none(),
        "a refused sign-in left a pending step"
    );

    // The right password still works.
    let result = c
        .auth
        .sign_in_with(&user.username, PASSWORD, options)
        .await
        .context("signing in with the right password after a wrong one")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    c.expect_events(&["signIn"])?;
    Ok(())
}
