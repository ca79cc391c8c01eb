//! The `users` table: one row per user of a pool, with its status, attributes, password
//! verifier and sign-in failure count.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;
use crate::srp_glue::StoredVerifier;

/// A user's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
    ResetRequired,
}

impl UserStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ResetRequired => "RESET_REQUIRED",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "UNCONFIRMED" => UserStatus::Unconfirmed,
            "CONFIRMED" => UserStatus::Confirmed,
            "FORCE_CHANGE_PASSWORD" => UserStatus::ForceChangePassword,
            "RESET_REQUIRED" => UserStatus::ResetRequired,
            _ => return None,
        })
    }
}

/// Why a stored column could not be read back (the column's value is not included: it may
/// be an attribute or a password verifier).
#[derive(Debug)]
struct Damaged(&'static str);

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a user's stored {} cannot be read", self.0)
    }
}

impl std::error::Error for Damaged {}

/// A damaged column of the row: the read fails (an `InternalErrorException`) instead of
/// reading it as empty, which the next update of the user would have written back over
/// the data.
fn damaged(column: usize, what: &'static str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        Box::new(Damaged(what)),
    )
}

fn string_map(
    text: &str,
    column: usize,
    what: &'static str,
) -> rusqlite::Result<BTreeMap<String, String>> {
    serde_json::from_str(text).map_err(|_| damaged(column, what))
}

/// A user as stored. `attrs` holds every attribute but `sub`.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub pool_id: String,
    pub sub: String,
    pub username: String,
    pub username_key: String,
    pub status: UserStatus,
    pub enabled: bool,
    pub attrs: BTreeMap<String, String>,
    pub pending: BTreeMap<String, String>,
    pub verifier: Option<StoredVerifier>,
    pub temp_expires_ms: Option<i64>,
    pub failed: i64,
    pub locked_until_ms: i64,
    /// The credential generation: bumped whenever what a sign-in in progress was checked
    /// against stops being valid (new password, reset, global sign-out, disabling). Only
    /// [`bump_credentials`](super::bump_credentials) (through
    /// [`revoke_user_sessions`](super::revoke_user_sessions) or directly) changes it;
    /// [`update_user`] leaves it alone.
    pub cred_gen: i64,
    pub created_ms: i64,
    pub modified_ms: i64,
}

impl User {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        if name == "sub" {
            return Some(&self.sub);
        }
        self.attrs.get(name).map(String::as_str)
    }

    /// Locked out at `now_ms` (epoch milliseconds)?
    pub(crate) fn locked_at(&self, now_ms: i64) -> bool {
        self.locked_until_ms > now_ms
    }

    pub(crate) fn is_verified(&self, attr: &str) -> bool {
        self.attrs
            .get(&format!("{attr}_verified"))
            .map(String::as_str)
            == Some("true")
    }

    /// Every attribute including `sub`, `sub` first.
    pub(crate) fn all_attrs(&self) -> Vec<(&str, &str)> {
        let mut v = Vec::with_capacity(self.attrs.len() + 1);
        v.push(("sub", self.sub.as_str()));
        v.extend(self.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        v
    }
}

const USER_COLUMNS: &str = "pool_id, sub, username, username_key, status, enabled, attrs, pending, salt, verifier, temp_expires_ms, failed, locked_until_ms, created_ms, modified_ms, cred_gen";

/// The user columns, each qualified by `table` (for joins), in the order [`user_from_row`]
/// reads them.
pub(super) fn user_columns_of(table: &str) -> String {
    USER_COLUMNS
        .split(", ")
        .map(|col| format!("{table}.{col}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let attrs: String = r.get(6)?;
    let pending: String = r.get(7)?;
    let salt: Option<Vec<u8>> = r.get(8)?;
    let verifier: Option<Vec<u8>> = r.get(9)?;
    let status: String = r.get(4)?;
    Ok(User {
        pool_id: r.get(0)?,
        sub: r.get(1)?,
        username: r.get(2)?,
        username_key: r.get(3)?,
        status: UserStatus::parse(&status).ok_or_else(|| damaged(4, "status"))?,
        enabled: r.get::<_, i64>(5)? != 0,
        attrs: string_map(&attrs, 6, "attributes")?,
        pending: string_map(&pending, 7, "pending attribute changes")?,
        verifier: match (salt, verifier) {
            (Some(salt), Some(verifier)) => Some(StoredVerifier { salt, verifier }),
            _ => None,
        },
        temp_expires_ms: r.get(10)?,
        failed: r.get(11)?,
        locked_until_ms: r.get(12)?,
        created_ms: r.get(13)?,
        modified_ms: r.get(14)?,
        cred_gen: r.get(15)?,
    })
}

fn json_map(m: &BTreeMap<String, String>) -> Result<String, ApiError> {
    serde_json::to_string(m).map_err(ApiError::internal)
}

pub(crate) fn insert_user(c: &Connection, u: &User) -> Result<(), ApiError> {
    c.prepare_cached(&format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))
    .map_err(db_err)?
    .execute(params![
        u.pool_id,
        u.sub,
        u.username,
        u.username_key,
        u.status.as_str(),
        u.enabled as i64,
        json_map(&u.attrs)?,
        json_map(&u.pending)?,
        u.verifier.as_ref().map(|v| v.salt.clone()),
        u.verifier.as_ref().map(|v| v.verifier.clone()),
        u.temp_expires_ms,
        u.failed,
        u.locked_until_ms,
        u.created_ms,
        u.modified_ms,
        u.cred_gen,
    ])
    .map_err(db_err)?;
    Ok(())
}

/// Writes every mutable column of a user back, but the credential generation.
pub(crate) fn update_user(c: &Connection, u: &User) -> Result<(), ApiError> {
    c.prepare_cached(
        "UPDATE users SET status = ?3, enabled = ?4, attrs = ?5, pending = ?6, salt = ?7, verifier = ?8, temp_expires_ms = ?9, failed = ?10, locked_until_ms = ?11, modified_ms = ?12 WHERE pool_id = ?1 AND sub = ?2",
    )
    .map_err(db_err)?
    .execute(params![
        u.pool_id,
        u.sub,
        u.status.as_str(),
        u.enabled as i64,
        json_map(&u.attrs)?,
        json_map(&u.pending)?,
        u.verifier.as_ref().map(|v| v.salt.clone()),
        u.verifier.as_ref().map(|v| v.verifier.clone()),
        u.temp_expires_ms,
        u.failed,
        u.locked_until_ms,
        u.modified_ms,
    ])
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn user_by_key(
    c: &Connection,
    pool_id: &str,
    key: &str,
) -> Result<Option<User>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND username_key = ?2"
    ))
    .map_err(db_err)?
    .query_row(params![pool_id, key], user_from_row)
    .optional()
    .map_err(db_err)
}

pub(crate) fn user_by_sub(
    c: &Connection,
    pool_id: &str,
    sub: &str,
) -> Result<Option<User>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND sub = ?2"
    ))
    .map_err(db_err)?
    .query_row(params![pool_id, sub], user_from_row)
    .optional()
    .map_err(db_err)
}

pub(crate) fn user_by_alias(
    c: &Connection,
    pool_id: &str,
    attr: &str,
    key: &str,
) -> Result<Option<User>, ApiError> {
    let sub: Option<String> = c
        .prepare_cached(
            "SELECT sub FROM aliases WHERE pool_id = ?1 AND attr = ?2 AND value_key = ?3",
        )
        .map_err(db_err)?
        .query_row(params![pool_id, attr, key], |r| r.get(0))
        .optional()
        .map_err(db_err)?;
    match sub {
        Some(sub) => user_by_sub(c, pool_id, &sub),
        None => Ok(None),
    }
}

/// Users of a pool in sub order after `after`.
pub(crate) fn list_users(
    c: &Connection,
    pool_id: &str,
    after: &str,
    limit: usize,
) -> Result<Vec<User>, ApiError> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND sub > ?2 ORDER BY sub LIMIT ?3"
        ))
        .map_err(db_err)?;
    let rows = st
        .query_map(params![pool_id, after, limit as i64], user_from_row)
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

/// Deletes a user and everything that hangs off it (aliases, codes, sessions, group
/// memberships, MFA settings).
pub(crate) fn delete_user(c: &Connection, pool_id: &str, sub: &str) -> Result<(), ApiError> {
    for table in [
        "users",
        "aliases",
        "codes",
        "sessions",
        "group_members",
        "user_mfa",
    ] {
        c.prepare_cached(&format!(
            "DELETE FROM {table} WHERE pool_id = ?1 AND sub = ?2"
        ))
        .map_err(db_err)?
        .execute(params![pool_id, sub])
        .map_err(db_err)?;
    }
    Ok(())
}

/// Records a wrong password; returns the new failure count. Call it inside the write
/// transaction that also read the lock state the refusal is decided on.
pub(crate) fn add_failure(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    locked_until: impl Fn(i64) -> i64,
) -> Result<i64, ApiError> {
    let failed: i64 = c
        .prepare_cached(
            "UPDATE users SET failed = failed + 1 WHERE pool_id = ?1 AND sub = ?2 RETURNING failed",
        )
        .map_err(db_err)?
        .query_row(params![pool_id, sub], |r| r.get(0))
        .optional()
        .map_err(db_err)?
        .unwrap_or(0);
    let until = locked_until(failed);
    if until > 0 {
        c.prepare_cached("UPDATE users SET locked_until_ms = ?3 WHERE pool_id = ?1 AND sub = ?2")
            .map_err(db_err)?
            .execute(params![pool_id, sub, until])
            .map_err(db_err)?;
    }
    Ok(failed)
}

/// Clears the failure count after a good password.
pub(crate) fn clear_failures(c: &Connection, pool_id: &str, sub: &str) -> Result<(), ApiError> {
    c.prepare_cached(
        "UPDATE users SET failed = 0, locked_until_ms = 0 WHERE pool_id = ?1 AND sub = ?2 AND failed <> 0",
    )
    .map_err(db_err)?
    .execute(params![pool_id, sub])
    .map_err(db_err)?;
    Ok(())
}
