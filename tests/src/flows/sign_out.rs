//! Sign-out and deletion flows.

use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow, ensure};
use userpool::storage::Storage;
use userpool::{AuthEvent, Error, MemoryStore};

use super::helpers::session_entries;
use super::sessions::expect_signed_out_by_refresh;
use super::{Flow, PASSWORD};
use crate::client::Ctx;

pub(super) async fn sign_out_revokes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignOutRevokes.options()).await?;
    let user = ctx.confirmed_user(&app, "out", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let session = c.auth.current_session().await?;
    ensure!(
        session.access_token().claims().origin_jti().is_some(),
        "the access token has no origin_jti: the app client does not revoke tokens"
    );
    let storage = c.auth.storage().clone();
    let snapshot = session_entries(&storage, &app.client_id, &user.username).await?;

    c.auth.sign_out().await.context("sign_out")?;
    let events = c.expect_events(&["signOut"])?;
    ensure!(
        matches!(events[0], AuthEvent::SignOut { global: false }),
        "expected a local signOut, got {:?}",
        events[0]
    );
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    for (key, value) in session_entries(&storage, &app.client_id, &user.username).await? {
        ensure!(value.is_none(), "{key} is still stored after sign-out");
    }

    // A client holding the signed-out tokens (a copy of the store) can use neither the
    // access token nor the refresh token.
    let (snapshot, app) = (&snapshot, &app);
    let restore = move || async move {
        let store = Arc::new(MemoryStore::new());
        for (key, value) in snapshot {
            if let Some(value) = value {
                store
                    .set(key, value)
                    .await
                    .map_err(|e| anyhow!("restoring {key}: {e}"))?;
            }
        }
        ctx.client_with(app, store)
    };
    let copy = restore().await?;
    expect_err!(
        copy.auth
            .current_authenticated_user_with(userpool::CurrentUserOptions::default().bypass_cache())
            .await,
        Error::NotAuthorized { .. }
    );
    let mut copy = restore().await?;
    expect_signed_out_by_refresh(&mut copy).await
}

pub(super) async fn delete_user(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::DeleteUser.options()).await?;
    let user = ctx.confirmed_user(&app, "gone", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    c.auth.delete_user().await.context("delete_user")?;
    c.expect_events(&["userDeleted", "signOut"])?;
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    let storage = c.auth.storage().clone();
    for (key, value) in session_entries(&storage, &app.client_id, &user.username).await? {
        ensure!(
            value.is_none(),
            "{key} is still stored after deleting the user"
        );
    }

    let mut again = ctx.client(&app)?;
    expect_err!(
        again.auth.sign_in(&user.username, PASSWORD).await,
        Error::UserNotFound { .. } | Error::NotAuthorized { .. }
    );
    again.expect_events(&["signIn_failure"])?;
    Ok(())
}
