//! Session flows: refresh, revoked refresh tokens, global sign-out, sessions restored
//! from a file and under clock skew.

use std::sync::Arc;

use anyhow::{Context as _, Result, ensure};
use userpool::storage::Keys;
use userpool::{AuthEvent, Error, SignOutOptions};

use super::helpers::{TempFile, check, password_flow, session_entries, stored};
use super::{Flow, PASSWORD};
use crate::client::{Client, Ctx};

pub(super) async fn expired_session_refreshed(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ExpiredSessionRefreshed.options()).await?;
    let user = ctx.confirmed_user(&app, "refresh", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    let first = c.auth.current_session().await?;
    let again = c.auth.current_session().await?;
    ensure!(
        Arc::ptr_eq(&first, &again),
        "a valid session was not served from memory"
    );
    c.expect_events(&[])?;

    c.expire(&first);
    let (a, b, d, e) = tokio::join!(
        c.auth.current_session(),
        c.auth.current_session(),
        c.auth.current_session(),
        c.auth.current_session()
    );
    let (a, b, d, e) = (a.context("refreshing the expired session")?, b?, d?, e?);
    ensure!(
        Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&a, &d) && Arc::ptr_eq(&a, &e),
        "concurrent callers got different sessions"
    );
    ensure!(
        a.access_token().raw().expose() != first.access_token().raw().expose(),
        "the refreshed session has the old access token"
    );
    ensure!(
        a.is_valid_at(c.clock.now_secs(), 5),
        "the refreshed session is not valid at the client's time"
    );
    c.expect_events(&["tokenRefresh"])?;

    // Stored, and kept (or rotated) refresh token.
    let storage = c.auth.storage().clone();
    let keys = Keys::new(&app.client_id).user(&user.username);
    check(
        "stored accessToken after refresh",
        stored(&storage, &keys.access_token()).await?.as_deref(),
        Some(a.access_token().raw().expose()),
    )?;
    let refresh = a
        .refresh_token()
        .context("the refreshed session lost its refresh token")?;
    check(
        "stored refreshToken after refresh",
        stored(&storage, &keys.refresh_token()).await?.as_deref(),
        Some(refresh.raw().expose()),
    )?;

    // The new access token is accepted.
    let fetched = c
        .auth
        .current_authenticated_user()
        .await
        .context("GetUser with the refreshed access token")?;
    check("user", fetched.username().as_str(), user.username.as_str())?;
    let still = c.auth.current_session().await?;
    ensure!(
        Arc::ptr_eq(&a, &still),
        "the refreshed session was not kept"
    );
    c.expect_events(&[])?;
    Ok(())
}

pub(super) async fn expect_signed_out_by_refresh(c: &mut Client) -> Result<()> {
    let session = c.auth.current_session().await?;
    c.expire(&session);
    expect_err!(c.auth.current_session().await, Error::NotAuthorized { .. });
    let events = c.expect_events(&["tokenRefresh_failure", "signOut"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::NotAuthorized { .. })),
        "tokenRefresh_failure carries {:?}",
        events[0].error()
    );
    ensure!(
        matches!(events[1], AuthEvent::SignOut { global: false }),
        "expected a local signOut, got {:?}",
        events[1]
    );
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    c.expect_events(&[])?;
    Ok(())
}

pub(super) async fn refresh_token_revoked(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::RefreshTokenRevoked.options()).await?;
    let user = ctx.confirmed_user(&app, "revoked", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    c.auth.current_session().await?;

    ctx.backend()
        .admin_global_sign_out(&app, &user.username)
        .await?;
    expect_signed_out_by_refresh(&mut c).await?;

    // The session is gone from the store too.
    let storage = c.auth.storage().clone();
    for (key, value) in session_entries(&storage, &app.client_id, &user.username).await? {
        ensure!(
            value.is_none(),
            "{key} is still stored after the refresh token was rejected"
        );
    }
    Ok(())
}

pub(super) async fn global_sign_out(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::GlobalSignOut.options()).await?;
    let user = ctx.confirmed_user(&app, "global", &[]).await?;
    let mut a = ctx.signed_in(&app, &user).await?;
    let mut b = ctx.signed_in(&app, &user).await?;
    b.auth.current_session().await?;

    a.auth
        .sign_out_with(SignOutOptions::default().global(true))
        .await
        .context("global sign-out")?;
    let events = a.expect_events(&["signOut"])?;
    ensure!(
        matches!(events[0], AuthEvent::SignOut { global: true }),
        "expected a global signOut, got {:?}",
        events[0]
    );
    expect_err!(a.auth.current_session().await, Error::NotSignedIn);

    // The second client's access token is refused...
    expect_err!(
        b.auth.current_authenticated_user().await,
        Error::NotAuthorized { .. }
    );
    b.expect_events(&[])?;
    // ...and so is its refresh token.
    expect_signed_out_by_refresh(&mut b).await
}

pub(super) async fn session_restored_from_file(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SessionRestoredFromFile.options()).await?;
    let user = ctx.confirmed_user(&app, "file", &[]).await?;
    let file = TempFile::new(ctx, "store");

    // Process 1 signs in.
    let mut first = ctx.client_with(&app, file.store())?;
    let result = first.auth.sign_in(&user.username, PASSWORD).await?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    first.expect_events(&["signIn"])?;
    let original = first.auth.current_session().await?;
    first.auth.current_authenticated_user().await?;
    drop(first);

    // Process 2 resumes from the file: no sign-in, no refresh.
    let mut second = ctx.client_with(&app, file.store())?;
    let resumed = second
        .auth
        .current_session()
        .await
        .context("current_session in a new Auth on the same file")?;
    check(
        "restored access token",
        resumed.access_token().raw().expose(),
        original.access_token().raw().expose(),
    )?;
    check(
        "restored id token",
        resumed.id_token().raw().expose(),
        original.id_token().raw().expose(),
    )?;
    check(
        "restored refresh token",
        resumed.refresh_token().map(|t| t.raw().expose()),
        original.refresh_token().map(|t| t.raw().expose()),
    )?;
    let restored_user = second.auth.current_authenticated_user().await?;
    check(
        "restored user",
        restored_user.username().as_str(),
        user.username.as_str(),
    )?;
    second.expect_events(&[])?;

    // It refreshes, and writes the new tokens back.
    second.expire(&resumed);
    let refreshed = second
        .auth
        .current_session()
        .await
        .context("refresh after restore")?;
    second.expect_events(&["tokenRefresh"])?;
    drop(second);

    // Process 3 sees the refreshed tokens.
    let mut third = ctx.client_with(&app, file.store())?;
    let seen = third.auth.current_session().await?;
    check(
        "access token after refresh in another process",
        seen.access_token().raw().expose(),
        refreshed.access_token().raw().expose(),
    )?;
    third.expect_events(&[])?;

    // A sign-out in one process ends the session for the next.
    third.auth.sign_out().await.context("sign_out")?;
    third.expect_events(&["signOut"])?;
    let fourth = ctx.client_with(&app, file.store())?;
    expect_err!(fourth.auth.current_session().await, Error::NotSignedIn);
    Ok(())
}

pub(super) async fn clock_skew_restored(ctx: &Ctx<'_>) -> Result<()> {
    const BEHIND: i64 = 20 * 60;
    let app = ctx.app(Flow::ClockSkewRestored.options()).await?;
    let user = ctx.confirmed_user(&app, "skew", &[]).await?;
    let file = TempFile::new(ctx, "skew");

    // A machine whose clock is 20 minutes behind the server's signs in.
    let first = ctx.client_with(&app, file.store())?;
    first.clock.advance(-BEHIND);
    let result = first
        .auth
        .sign_in_with(&user.username, PASSWORD, password_flow())
        .await?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    let session = first.auth.current_session().await?;
    let drift = session.clock_drift().seconds();
    ensure!(
        (drift + BEHIND).abs() <= 30,
        "the measured clock drift is {drift} s, expected about -{BEHIND} s"
    );
    drop(first);

    // The same machine, a new process.
    let mut second = ctx.client_with(&app, file.store())?;
    second.clock.advance(-BEHIND);
    let restored = second.auth.current_session().await?;
    let read_back = restored.clock_drift().seconds();
    second.expect_events(&[])?;

    // Once the server's clock passes the tokens' exp, the session must be refreshed, not
    // served as valid.
    let exp = restored.access_token().exp().min(restored.id_token().exp());
    let server_now = second.clock.now_secs() + BEHIND;
    second.clock.advance(exp - server_now + 60);
    let after = second.auth.current_session().await?;
    let events: Vec<&str> = second.events().iter().map(AuthEvent::name).collect();
    ensure!(
        after.access_token().raw().expose() != restored.access_token().raw().expose()
            && events == ["tokenRefresh"],
        "a session past its exp was served as valid (events {events:?}): the clock drift \
         was stored as {drift} s and read back as {read_back} s"
    );
    check("clock drift read back from the store", read_back, drift)?;
    Ok(())
}
