//! Groups: the session's tokens name the groups an admin put the user in, and a refresh
//! carries the memberships of the moment.
//!
//! The flow checks the set of group names only: Cognito does not document their order in
//! `cognito:groups`. Roles (`cognito:roles`, `cognito:preferred_role`) are left to the
//! local pool's own tests, since moto's tokens have no role claims.

use anyhow::{Context as _, Result};
use userpool::Session;

use super::Flow;
use super::helpers::check;
use crate::admin::sdk_error;
use crate::backend::AppClient;
use crate::client::Ctx;

/// The group names of both tokens of a session, each sorted.
fn token_groups(session: &Session) -> (Vec<String>, Vec<String>) {
    let sorted = |names: &[String]| {
        let mut names = names.to_vec();
        names.sort();
        names
    };
    (
        sorted(session.id_token().groups()),
        sorted(session.access_token().groups()),
    )
}

fn expect_groups(what: &str, session: &Session, expected: &[&str]) -> Result<()> {
    let expected: Vec<String> = expected.iter().map(|g| (*g).to_owned()).collect();
    let (id, access) = token_groups(session);
    check(
        &format!("{what}: cognito:groups of the id token"),
        &id,
        &expected,
    )?;
    check(
        &format!("{what}: cognito:groups of the access token"),
        &access,
        &expected,
    )?;
    let mut from_session = session.groups().to_vec();
    from_session.sort();
    check(
        &format!("{what}: Session::groups"),
        &from_session,
        &expected,
    )
}

pub(super) async fn groups_in_tokens(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::GroupsInTokens.options()).await?;
    let user = ctx.confirmed_user(&app, "grouped", &[]).await?;
    let sdk = ctx.backend().sdk();
    for (name, precedence) in [("editors", 1), ("readers", 2)] {
        sdk.create_group()
            .user_pool_id(&app.pool_id)
            .group_name(name)
            .precedence(precedence)
            .send()
            .await
            .map_err(sdk_error)
            .with_context(|| format!("CreateGroup {name}"))?;
    }
    membership(ctx, &app, &user.username, "editors", true).await?;
    membership(ctx, &app, &user.username, "readers", true).await?;
    let listed = sdk
        .admin_list_groups_for_user()
        .user_pool_id(&app.pool_id)
        .username(&user.username)
        .send()
        .await
        .map_err(sdk_error)
        .context("AdminListGroupsForUser")?;
    let mut listed: Vec<&str> = listed
        .groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    listed.sort_unstable();
    check("AdminListGroupsForUser", listed, vec!["editors", "readers"])?;

    let mut c = ctx.signed_in(&app, &user).await?;
    let session = c.auth.current_session().await?;
    expect_groups("after sign-in", &session, &["editors", "readers"])?;

    // A refresh reads the memberships again.
    membership(ctx, &app, &user.username, "editors", false).await?;
    c.expire(&session);
    let refreshed = c
        .auth
        .current_session()
        .await
        .context("refreshing after leaving a group")?;
    c.expect_events(&["tokenRefresh"])?;
    expect_groups("after leaving editors", &refreshed, &["readers"])?;

    // Out of every group: no group claims at all.
    membership(ctx, &app, &user.username, "readers", false).await?;
    c.expire(&refreshed);
    let last = c
        .auth
        .current_session()
        .await
        .context("refreshing after leaving every group")?;
    c.expect_events(&["tokenRefresh"])?;
    expect_groups("after leaving every group", &last, &[])?;
    for (name, token) in [
        ("id", last.id_token().claims()),
        ("access", last.access_token().claims()),
    ] {
        check(
            &format!("cognito:groups claim of the {name} token of a user in no group"),
            token.get("cognito:groups"),
            None,
        )?;
    }
    Ok(())
}

/// Puts the user in a group (`AdminAddUserToGroup`) or takes them out of it
/// (`AdminRemoveUserFromGroup`).
async fn membership(
    ctx: &Ctx<'_>,
    app: &AppClient,
    username: &str,
    group: &str,
    member: bool,
) -> Result<()> {
    let sdk = ctx.backend().sdk();
    if member {
        sdk.admin_add_user_to_group()
            .user_pool_id(&app.pool_id)
            .username(username)
            .group_name(group)
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error)
            .with_context(|| format!("AdminAddUserToGroup {group}"))
    } else {
        sdk.admin_remove_user_from_group()
            .user_pool_id(&app.pool_id)
            .username(username)
            .group_name(group)
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error)
            .with_context(|| format!("AdminRemoveUserFromGroup {group}"))
    }
}
