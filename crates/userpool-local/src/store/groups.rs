//! The `groups` and `group_members` tables: a pool's groups (name, description, role,
//! precedence) and which users are in them.
//!
//! A group is keyed by its name folded to lower case (`name_key`): Cognito refuses a group
//! whose name differs from an existing one only in case, so the two are one group here,
//! found by either spelling; the name is answered as it was created.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{User, db_err, user_columns_of, user_from_row};
use crate::error::ApiError;

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub pool_id: String,
    pub name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<u32>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// The key a group name is unique under.
pub(crate) fn group_key(name: &str) -> String {
    name.to_lowercase()
}

const GROUP_COLUMNS: &str =
    "pool_id, name, description, role_arn, precedence, created_ms, modified_ms";

fn group_columns_of(table: &str) -> String {
    GROUP_COLUMNS
        .split(", ")
        .map(|col| format!("{table}.{col}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn group_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Group> {
    // Precedence is checked to fit 0..=2^31-1 before it is written; a stored value out of
    // that range is a damaged row, not a group without precedence.
    let precedence: Option<i64> = r.get(4)?;
    let precedence = precedence
        .map(|p| {
            u32::try_from(p).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    4,
                    rusqlite::types::Type::Integer,
                    Box::new(e),
                )
            })
        })
        .transpose()?;
    Ok(Group {
        pool_id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        role_arn: r.get(3)?,
        precedence,
        created_ms: r.get(5)?,
        modified_ms: r.get(6)?,
    })
}

/// Inserts a group; `false` when the pool already has a group of that name (in any case).
pub(crate) fn insert_group(c: &Connection, g: &Group) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached(&format!(
            "INSERT OR IGNORE INTO groups (name_key, {GROUP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ))
        .map_err(db_err)?
        .execute(params![
            group_key(&g.name),
            g.pool_id,
            g.name,
            g.description,
            g.role_arn,
            g.precedence,
            g.created_ms,
            g.modified_ms,
        ])
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Writes the description, role, precedence and modification time of a group back.
pub(crate) fn update_group(c: &Connection, g: &Group) -> Result<(), ApiError> {
    c.prepare_cached(
        "UPDATE groups SET description = ?3, role_arn = ?4, precedence = ?5, modified_ms = ?6 WHERE pool_id = ?1 AND name_key = ?2",
    )
    .map_err(db_err)?
    .execute(params![
        g.pool_id,
        group_key(&g.name),
        g.description,
        g.role_arn,
        g.precedence,
        g.modified_ms,
    ])
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn group_by_name(
    c: &Connection,
    pool_id: &str,
    name: &str,
) -> Result<Option<Group>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {GROUP_COLUMNS} FROM groups WHERE pool_id = ?1 AND name_key = ?2"
    ))
    .map_err(db_err)?
    .query_row(params![pool_id, group_key(name)], group_from_row)
    .optional()
    .map_err(db_err)
}

/// Deletes a group and its memberships; `false` when there was no such group.
pub(crate) fn delete_group(c: &Connection, pool_id: &str, name: &str) -> Result<bool, ApiError> {
    let key = group_key(name);
    let n = c
        .prepare_cached("DELETE FROM groups WHERE pool_id = ?1 AND name_key = ?2")
        .map_err(db_err)?
        .execute(params![pool_id, key])
        .map_err(db_err)?;
    c.prepare_cached("DELETE FROM group_members WHERE pool_id = ?1 AND name_key = ?2")
        .map_err(db_err)?
        .execute(params![pool_id, key])
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Groups of a pool whose key sorts after `after_key`, in key order.
pub(crate) fn list_groups(
    c: &Connection,
    pool_id: &str,
    after_key: &str,
    limit: usize,
) -> Result<Vec<Group>, ApiError> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE pool_id = ?1 AND name_key > ?2 ORDER BY name_key LIMIT ?3"
        ))
        .map_err(db_err)?;
    let rows = st
        .query_map(params![pool_id, after_key, limit as i64], group_from_row)
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

/// Adds a user to a group (nothing happens when the user is in it already).
pub(crate) fn add_member(
    c: &Connection,
    pool_id: &str,
    name: &str,
    sub: &str,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO group_members (pool_id, name_key, sub) VALUES (?1, ?2, ?3)",
    )
    .map_err(db_err)?
    .execute(params![pool_id, group_key(name), sub])
    .map_err(db_err)?;
    Ok(())
}

/// Removes a user from a group (nothing happens when the user is not in it).
pub(crate) fn remove_member(
    c: &Connection,
    pool_id: &str,
    name: &str,
    sub: &str,
) -> Result<(), ApiError> {
    c.prepare_cached("DELETE FROM group_members WHERE pool_id = ?1 AND name_key = ?2 AND sub = ?3")
        .map_err(db_err)?
        .execute(params![pool_id, group_key(name), sub])
        .map_err(db_err)?;
    Ok(())
}

/// The groups a user is in whose key sorts after `after_key`, in key order; with
/// `usize::MAX` every group (for the tokens).
pub(crate) fn groups_of_user(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    after_key: &str,
    limit: usize,
) -> Result<Vec<Group>, ApiError> {
    let columns = group_columns_of("g");
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {columns} FROM group_members m JOIN groups g ON g.pool_id = m.pool_id AND g.name_key = m.name_key WHERE m.pool_id = ?1 AND m.sub = ?2 AND m.name_key > ?3 ORDER BY m.name_key LIMIT ?4"
        ))
        .map_err(db_err)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = st
        .query_map(params![pool_id, sub, after_key, limit], group_from_row)
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

/// The users of a group whose sub sorts after `after_sub`, in sub order.
pub(crate) fn users_in_group(
    c: &Connection,
    pool_id: &str,
    name: &str,
    after_sub: &str,
    limit: usize,
) -> Result<Vec<User>, ApiError> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {} FROM group_members m JOIN users u ON u.pool_id = m.pool_id AND u.sub = m.sub WHERE m.pool_id = ?1 AND m.name_key = ?2 AND m.sub > ?3 ORDER BY m.sub LIMIT ?4",
            user_columns_of("u")
        ))
        .map_err(db_err)?;
    let rows = st
        .query_map(
            params![pool_id, group_key(name), after_sub, limit as i64],
            user_from_row,
        )
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}
