//! Refresh-token rotation: an app client with `RefreshTokenRotation` on answers every
//! refresh (`GetTokensFromRefreshToken`) with a new refresh token, and refuses the one it
//! replaced once the retry grace is over.

use anyhow::{Context as _, Result, bail, ensure};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
use userpool::storage::Keys;

use super::Flow;
use super::helpers::{check, stored};
use crate::client::Ctx;

pub(super) async fn refresh_token_rotation(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::RefreshTokenRotation.options()).await?;
    let user = ctx.confirmed_user(&app, "rotation", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let storage = c.auth.storage().clone();
    let keys = Keys::new(&app.client_id).user(&user.username);

    let first = c.auth.current_session().await?;
    let replaced = first
        .refresh_token()
        .context("the sign-in answered no refresh token")?
        .raw()
        .expose()
        .to_owned();
    c.expire(&first);
    let second = c
        .auth
        .current_session()
        .await
        .context("refreshing on a rotating app client")?;
    c.expect_events(&["tokenRefresh"])?;
    let newest = second
        .refresh_token()
        .context("the refreshed session has no refresh token")?
        .raw()
        .expose()
        .to_owned();
    ensure!(
        newest != replaced,
        "rotation is on, but the refresh kept the old refresh token"
    );
    check(
        "stored refreshToken after the rotation",
        stored(&storage, &keys.refresh_token()).await?.as_deref(),
        Some(newest.as_str()),
    )?;

    // The replaced token, sent by someone else: refused (the grace is 0 s).
    let sdk = ctx.backend().sdk();
    let reused = sdk
        .get_tokens_from_refresh_token()
        .client_id(&app.client_id)
        .refresh_token(&replaced)
        .set_client_secret(app.client_secret.clone())
        .send()
        .await;
    match reused {
        Ok(_) => bail!("the replaced refresh token still refreshes"),
        Err(e) => check(
            "the answer to the replaced refresh token",
            e.code(),
            Some("RefreshTokenReuseException"),
        )?,
    }

    // The newest token goes on working, and rotates again.
    c.expire(&second);
    let third = c
        .auth
        .current_session()
        .await
        .context("refreshing with the rotated refresh token")?;
    c.expect_events(&["tokenRefresh"])?;
    let third_token = third
        .refresh_token()
        .context("the second refresh has no refresh token")?
        .raw()
        .expose();
    ensure!(
        third_token != newest && third_token != replaced,
        "the second refresh did not rotate the refresh token"
    );
    check(
        "stored refreshToken after the second rotation",
        stored(&storage, &keys.refresh_token()).await?.as_deref(),
        Some(third_token),
    )?;
    let fetched = c
        .auth
        .current_authenticated_user()
        .await
        .context("GetUser with the access token of the rotated session")?;
    check("user", fetched.username().as_str(), user.username.as_str())?;
    Ok(())
}
