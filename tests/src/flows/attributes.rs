//! Attribute flows: updates, refusals, a verified email change, deletions.

use anyhow::{Context as _, Result, bail, ensure};
use userpool::{AuthEvent, DeliveryMedium, Error};

use super::Flow;
use super::helpers::{check, other_code, user_attributes};
use crate::backend::Purpose;
use crate::client::Ctx;

pub(super) async fn update_attributes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::UpdateAttributes.options()).await?;
    let user = ctx
        .confirmed_user(&app, "upd", &[("custom:team", "engines")])
        .await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let before = c.auth.current_authenticated_user().await?;
    check(
        "custom:team before",
        before.attribute("custom:team"),
        Some("engines"),
    )?;

    // `email_verified` is set by the pool only: the facade drops it instead of failing.
    let changes = user_attributes(&[
        ("name", "Grace Hopper"),
        ("custom:team", "compilers"),
        ("email_verified", "true"),
    ])?;
    let results = c
        .auth
        .update_user_attributes(changes)
        .await
        .context("update_user_attributes")?;
    let names: Vec<&str> = results.keys().map(|n| n.as_str()).collect();
    check(
        "attributes in the results",
        names,
        vec!["custom:team", "name"],
    )?;
    for (name, result) in &results {
        ensure!(
            result.is_updated && result.code_delivery.is_none(),
            "{name} was not updated at once: {result:?}"
        );
    }
    let events = c.events();
    match events.first() {
        Some(AuthEvent::UpdateUserAttributes { results: sent }) => {
            check("updateUserAttributes event results", sent, &results)?;
        }
        other => bail!("expected updateUserAttributes first, got {other:?}"),
    }
    ensure!(
        events[1..].iter().all(|e| e.name() == "tokenRefresh"),
        "unexpected events after the update: {:?}",
        events.iter().map(AuthEvent::name).collect::<Vec<_>>()
    );

    // The cached user was reloaded (no bypass) and the ID token follows.
    let after = c.auth.current_authenticated_user().await?;
    check("cached name", after.attribute("name"), Some("Grace Hopper"))?;
    check(
        "cached custom:team",
        after.attribute("custom:team"),
        Some("compilers"),
    )?;
    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check("id token name", claims.str("name"), Some("Grace Hopper"))?;
    check(
        "id token custom:team",
        claims.str("custom:team"),
        Some("compilers"),
    )?;

    // The server has them.
    let other = ctx.signed_in(&app, &user).await?;
    let fresh = other
        .auth
        .current_authenticated_user_with(userpool::CurrentUserOptions::default().bypass_cache())
        .await?;
    check("server name", fresh.attribute("name"), Some("Grace Hopper"))?;
    Ok(())
}

pub(super) async fn update_attributes_rejected(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::UpdateAttributesRejected.options()).await?;
    let user = ctx
        .confirmed_user(&app, "rej", &[("custom:team", "engines")])
        .await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    let changes = user_attributes(&[("name", "Changed"), ("custom:nope", "x")])?;
    expect_err!(
        c.auth.update_user_attributes(changes).await,
        Error::InvalidParameter { .. }
    );
    let events = c.expect_events(&["updateUserAttributes_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::InvalidParameter { .. })),
        "updateUserAttributes_failure carries {:?}",
        events[0].error()
    );
    let fresh = c
        .auth
        .current_authenticated_user_with(userpool::CurrentUserOptions::default().bypass_cache())
        .await?;
    check(
        "name after a refused update",
        fresh.attribute("name"),
        Some("Integration Test"),
    )?;
    Ok(())
}

pub(super) async fn email_change_verified(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::EmailChangeVerified.options()).await?;
    let user = ctx.confirmed_user(&app, "mail", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let before = c.auth.current_authenticated_user().await?;
    check(
        "email_verified after sign-up",
        before.email_verified(),
        Some(true),
    )?;

    let new_email = format!("{}.new@example.com", user.username);
    let changes = user_attributes(&[("email", &new_email), ("name", "Renamed")])?;
    let results = c
        .auth
        .update_user_attributes(changes)
        .await
        .context("update_user_attributes")?;
    let email_result = results
        .iter()
        .find(|(n, _)| n.as_str() == "email")
        .map(|(_, r)| r)
        .context("no result for email")?;
    ensure!(
        !email_result.is_updated,
        "a new email that needs verification was reported as updated"
    );
    let delivery = email_result
        .code_delivery
        .as_ref()
        .context("no code delivery details for the new email")?;
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
    let name_result = results
        .iter()
        .find(|(n, _)| n.as_str() == "name")
        .map(|(_, r)| r)
        .context("no result for name")?;
    ensure!(
        name_result.is_updated,
        "name was not updated at once: {name_result:?}"
    );
    let events = c.events();
    match events.first() {
        Some(AuthEvent::UpdateUserAttributes { results: sent }) => {
            check("updateUserAttributes event results", sent, &results)?;
        }
        other => bail!("expected updateUserAttributes first, got {other:?}"),
    }

    // Reloaded (no bypass): the new name, and the original email until verified.
    let pending = c.auth.current_authenticated_user().await?;
    check("cached name", pending.attribute("name"), Some("Renamed"))?;
    check(
        "email before verification",
        pending.email(),
        Some(user.email.as_str()),
    )?;

    // Ask for the code again (GetUserAttributeVerificationCode), then verify.
    let sent = ctx
        .codes(&app, &user.username, Purpose::VerifyAttribute, 1)
        .await?
        .context("this backend cannot read verification codes")?
        .len();
    let again = c
        .auth
        .verify_current_user_attribute("email")
        .await
        .context("verify_current_user_attribute")?
        .context("GetUserAttributeVerificationCode answered no delivery details")?;
    check(
        "delivery attribute",
        again.attribute_name.as_deref(),
        Some("email"),
    )?;
    let codes = ctx
        .codes(&app, &user.username, Purpose::VerifyAttribute, sent + 1)
        .await?
        .context("this backend cannot read verification codes")?;
    let code = codes.last().context("no code")?.clone();
    expect_err!(
        c.auth
            .verify_current_user_attribute_submit("email", other_code(&code))
            .await,
        Error::CodeMismatch { .. }
    );
    c.auth
        .verify_current_user_attribute_submit("email", code)
        .await
        .context("verify_current_user_attribute_submit")?;

    let verified = c.auth.current_authenticated_user().await?;
    check(
        "email after verification",
        verified.email(),
        Some(new_email.as_str()),
    )?;
    check(
        "email_verified after verification",
        verified.email_verified(),
        Some(true),
    )?;
    // With bypass, the session is refreshed: the ID token carries the new email.
    c.auth
        .current_authenticated_user_with(userpool::CurrentUserOptions::default().bypass_cache())
        .await?;
    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check(
        "id token email",
        claims.str("email"),
        Some(new_email.as_str()),
    )?;
    check(
        "id token email_verified",
        claims.bool("email_verified"),
        Some(true),
    )?;
    Ok(())
}

pub(super) async fn delete_attributes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::DeleteAttributes.options()).await?;
    let user = ctx
        .confirmed_user(&app, "del", &[("custom:team", "engines")])
        .await?;
    let c = ctx.signed_in(&app, &user).await?;
    let before = c.auth.current_authenticated_user().await?;
    check(
        "custom:team before",
        before.attribute("custom:team"),
        Some("engines"),
    )?;

    c.auth
        .delete_user_attributes(["custom:team", "name"])
        .await
        .context("delete_user_attributes")?;
    let after = c.auth.current_authenticated_user().await?;
    check("cached custom:team", after.attribute("custom:team"), None)?;
    check("cached name", after.attribute("name"), None)?;
    check("cached email", after.email(), Some(user.email.as_str()))?;
    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check("id token custom:team", claims.str("custom:team"), None)?;
    check("id token name", claims.str("name"), None)?;
    Ok(())
}
