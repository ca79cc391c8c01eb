//! Group operations: a pool's groups (CreateGroup, GetGroup, UpdateGroup, DeleteGroup,
//! ListGroups) and their members (AdminAddUserToGroup, AdminRemoveUserFromGroup,
//! AdminListGroupsForUser, ListUsersInGroup). Admin (SigV4-signed) operations.
//!
//! The groups a user is in go into the tokens of every sign-in and refresh
//! ([`token_groups`], used by [`super::session::authentication_result`]).

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::{Value, json};
use userpool_types::claims::TokenGroup;

use super::{find_user, user_json};
use crate::error::ApiError;
use crate::protocol::Params;
use crate::state::{PoolRt, State};
use crate::store::{self, Group};
use crate::util;

/// The most groups or users one list call answers (the `Limit` maximum of ListGroups,
/// AdminListGroupsForUser and ListUsersInGroup), and the default.
const MAX_LIMIT: i64 = 60;
/// Longest group name.
const MAX_NAME: usize = 128;
/// Longest description.
const MAX_DESCRIPTION: usize = 2048;
/// Shortest and longest role ARN.
const ROLE_ARN_LENGTH: std::ops::RangeInclusive<usize> = 20..=2048;
/// Largest precedence (2^31 − 1).
const MAX_PRECEDENCE: i64 = i32::MAX as i64;

fn validation(member: &str, constraint: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// A name as Cognito's pattern `[\p{L}\p{M}\p{S}\p{N}\p{P}]+` allows it: 1 to 128
/// characters, none of them white space, separators or control characters.
fn check_name(member: &str, name: &str) -> Result<(), ApiError> {
    let length = name.chars().count();
    if length == 0 {
        return Err(validation(
            member,
            "Member must have length greater than or equal to 1",
        ));
    }
    if length > MAX_NAME {
        return Err(validation(
            member,
            "Member must have length less than or equal to 128",
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(validation(
            member,
            "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
        ));
    }
    Ok(())
}

fn group_name<'a>(p: &Params<'a>) -> Result<&'a str, ApiError> {
    let name = p.req_str("GroupName")?;
    check_name("groupName", name)?;
    Ok(name)
}

fn description(p: &Params<'_>) -> Result<Option<String>, ApiError> {
    let Some(d) = p.str("Description")? else {
        return Ok(None);
    };
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(validation(
            "description",
            "Member must have length less than or equal to 2048",
        ));
    }
    Ok(Some(d.to_owned()))
}

/// A role ARN: 20 to 2048 characters of the shape `arn:<partition>:<service>:…`, as
/// Cognito's pattern requires (checked loosely: the prefix and the part count).
fn role_arn(p: &Params<'_>) -> Result<Option<String>, ApiError> {
    let Some(arn) = p.str("RoleArn")? else {
        return Ok(None);
    };
    if !ROLE_ARN_LENGTH.contains(&arn.chars().count()) {
        return Err(validation(
            "roleArn",
            "Member must have length between 20 and 2048",
        ));
    }
    let parts: Vec<&str> = arn.split(':').collect();
    let shaped = parts.len() >= 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[4].is_empty()
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty()
        && !arn.chars().any(|c| c.is_whitespace() || c.is_control());
    if !shaped {
        return Err(validation(
            "roleArn",
            "Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?",
        ));
    }
    Ok(Some(arn.to_owned()))
}

fn precedence(p: &Params<'_>) -> Result<Option<u32>, ApiError> {
    match p.int("Precedence")? {
        None => Ok(None),
        Some(n) if n < 0 => Err(validation(
            "precedence",
            "Member must have value greater than or equal to 0",
        )),
        Some(n) if n > MAX_PRECEDENCE => Err(validation(
            "precedence",
            "Member must have value less than or equal to 2147483647",
        )),
        // In 0..=2^31-1, so it fits.
        Some(n) => Ok(u32::try_from(n).ok()),
    }
}

/// `Limit` of a list call: 0 to 60, where 0 and absent mean 60.
fn limit(p: &Params<'_>) -> Result<usize, ApiError> {
    match p.int("Limit")?.unwrap_or(0) {
        n if n < 0 => Err(validation(
            "limit",
            "Member must have value greater than or equal to 0",
        )),
        n if n > MAX_LIMIT => Err(validation(
            "limit",
            "Member must have value less than or equal to 60",
        )),
        0 => Ok(MAX_LIMIT as usize),
        // In 1..=60.
        n => Ok(n as usize),
    }
}

/// A group in the wire form (`GroupType`); unset members are left out.
fn group_json(g: &Group) -> Value {
    let mut v = json!({
        "GroupName": g.name,
        "UserPoolId": g.pool_id,
        "LastModifiedDate": util::epoch_json(g.modified_ms),
        "CreationDate": util::epoch_json(g.created_ms),
    });
    if let Some(d) = &g.description {
        v["Description"] = json!(d);
    }
    if let Some(r) = &g.role_arn {
        v["RoleArn"] = json!(r);
    }
    if let Some(p) = g.precedence {
        v["Precedence"] = json!(p);
    }
    v
}

/// The groups of user `sub` as the tokens need them.
pub(crate) fn token_groups(
    c: &Connection,
    pool_id: &str,
    sub: &str,
) -> Result<Vec<TokenGroup>, ApiError> {
    Ok(store::groups_of_user(c, pool_id, sub, "", usize::MAX)?
        .into_iter()
        .map(|g| TokenGroup::new(g.name, g.precedence, g.role_arn))
        .collect())
}

/// CreateGroup.
pub(crate) async fn create_group(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let now = util::now_ms();
    let group = Group {
        pool_id: pool.id.clone(),
        name: group_name(&p)?.to_owned(),
        description: description(&p)?,
        role_arn: role_arn(&p)?,
        precedence: precedence(&p)?,
        created_ms: now,
        modified_ms: now,
    };
    let row = group.clone();
    let created = state
        .store
        .write(move |c| store::insert_group(c, &row))
        .await?;
    if !created {
        return Err(ApiError::group_exists());
    }
    Ok(json!({ "Group": group_json(&group) }))
}

/// GetGroup.
pub(crate) async fn get_group(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let name = group_name(&p)?.to_owned();
    let pool_id = pool.id.clone();
    let group = state
        .store
        .read(move |c| store::group_by_name(c, &pool_id, &name))
        .await?
        .ok_or_else(ApiError::group_not_found)?;
    Ok(json!({ "Group": group_json(&group) }))
}

/// UpdateGroup. As the API reference of the operation says ("If you don't provide a value
/// for an attribute, it will be set to the default value"), a member left out of the
/// request is reset, not kept: an update without `RoleArn` takes the group's role away.
pub(crate) async fn update_group(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let name = group_name(&p)?.to_owned();
    let new_description = description(&p)?;
    let new_role = role_arn(&p)?;
    let new_precedence = precedence(&p)?;
    let pool_id = pool.id.clone();
    let group = state
        .store
        .write(move |c| {
            let mut g =
                store::group_by_name(c, &pool_id, &name)?.ok_or_else(ApiError::group_not_found)?;
            g.description = new_description;
            g.role_arn = new_role;
            g.precedence = new_precedence;
            g.modified_ms = util::now_ms();
            store::update_group(c, &g)?;
            Ok(g)
        })
        .await?;
    Ok(json!({ "Group": group_json(&group) }))
}

/// DeleteGroup: the group and its memberships.
pub(crate) async fn delete_group(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let name = group_name(&p)?.to_owned();
    let pool_id = pool.id.clone();
    let existed = state
        .store
        .write(move |c| store::delete_group(c, &pool_id, &name))
        .await?;
    if !existed {
        return Err(ApiError::group_not_found());
    }
    Ok(json!({}))
}

/// ListGroups: in name order (case-folded), `NextToken` is the last name's key.
pub(crate) async fn list_groups(state: &Arc<State>, p: Params<'_>) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let limit = limit(&p)?;
    let after = p.str("NextToken")?.unwrap_or("").to_owned();
    let pool_id = pool.id.clone();
    // One more than asked, to know whether another page follows.
    let groups = state
        .store
        .read(move |c| store::list_groups(c, &pool_id, &after, limit + 1))
        .await?;
    Ok(group_page(groups, limit))
}

fn group_page(mut groups: Vec<Group>, limit: usize) -> Value {
    let more = groups.len() > limit;
    groups.truncate(limit);
    let mut out = json!({ "Groups": groups.iter().map(group_json).collect::<Vec<_>>() });
    if more && let Some(last) = groups.last() {
        out["NextToken"] = json!(store::group_key(&last.name));
    }
    out
}

/// Runs `f` with the user named `typed` (username or alias) and the group named `name`,
/// in one write transaction: `UserNotFoundException` or `ResourceNotFoundException`
/// ("Group not found.") when either is missing.
async fn with_user_and_group<F>(
    state: &State,
    pool: &Arc<PoolRt>,
    typed: &str,
    name: &str,
    f: F,
) -> Result<(), ApiError>
where
    F: FnOnce(&Connection, &str, &Group) -> Result<(), ApiError> + Send + 'static,
{
    let pool = pool.clone();
    let typed = typed.to_owned();
    let name = name.to_owned();
    state
        .store
        .write(move |c| {
            let user = find_user(c, &pool, &typed)?.ok_or_else(ApiError::user_not_found)?;
            let group =
                store::group_by_name(c, &pool.id, &name)?.ok_or_else(ApiError::group_not_found)?;
            f(c, &user.sub, &group)
        })
        .await
}

/// AdminAddUserToGroup: adding a member again changes nothing.
pub(crate) async fn admin_add_user_to_group(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let name = group_name(&p)?;
    let typed = p.req_str("Username")?;
    with_user_and_group(state, &pool, typed, name, |c, sub, g| {
        store::add_member(c, &g.pool_id, &g.name, sub)
    })
    .await?;
    Ok(json!({}))
}

/// AdminRemoveUserFromGroup: removing a user who is not a member changes nothing.
pub(crate) async fn admin_remove_user_from_group(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let name = group_name(&p)?;
    let typed = p.req_str("Username")?;
    with_user_and_group(state, &pool, typed, name, |c, sub, g| {
        store::remove_member(c, &g.pool_id, &g.name, sub)
    })
    .await?;
    Ok(json!({}))
}

/// AdminListGroupsForUser: the user's groups in name order, paged like ListGroups.
pub(crate) async fn admin_list_groups_for_user(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let typed = p.req_str("Username")?.to_owned();
    let limit = limit(&p)?;
    let after = p.str("NextToken")?.unwrap_or("").to_owned();
    let groups = state
        .store
        .read(move |c| {
            let user = find_user(c, &pool, &typed)?.ok_or_else(ApiError::user_not_found)?;
            store::groups_of_user(c, &pool.id, &user.sub, &after, limit + 1)
        })
        .await?;
    Ok(group_page(groups, limit))
}

/// ListUsersInGroup: the members as `UserType`s in sub order; `NextToken` is the last sub.
pub(crate) async fn list_users_in_group(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let pool = state.pool(p.req_str("UserPoolId")?).await?;
    let name = group_name(&p)?.to_owned();
    let limit = limit(&p)?;
    let after = p.str("NextToken")?.unwrap_or("").to_owned();
    let pool_id = pool.id.clone();
    let mut users = state
        .store
        .read(move |c| {
            store::group_by_name(c, &pool_id, &name)?.ok_or_else(ApiError::group_not_found)?;
            store::users_in_group(c, &pool_id, &name, &after, limit + 1)
        })
        .await?;
    let more = users.len() > limit;
    users.truncate(limit);
    let mut out = json!({
        "Users": users.iter().map(|u| user_json(u, "Attributes", None)).collect::<Vec<_>>(),
    });
    if more && let Some(last) = users.last() {
        out["NextToken"] = json!(last.sub);
    }
    Ok(out)
}
