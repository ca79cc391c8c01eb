//! The `aliases` table: which user owns a verified email or phone number used as an alias.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;

/// Owner of an alias value, if any.
pub(crate) fn alias_owner(
    c: &Connection,
    pool_id: &str,
    attr: &str,
    key: &str,
) -> Result<Option<String>, ApiError> {
    c.prepare_cached("SELECT sub FROM aliases WHERE pool_id = ?1 AND attr = ?2 AND value_key = ?3")
        .map_err(db_err)?
        .query_row(params![pool_id, attr, key], |r| r.get(0))
        .optional()
        .map_err(db_err)
}

/// Replaces the alias entries of a user. The caller has checked for conflicts.
pub(crate) fn set_aliases(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    entries: &[(String, String)],
) -> Result<(), ApiError> {
    c.prepare_cached("DELETE FROM aliases WHERE pool_id = ?1 AND sub = ?2")
        .map_err(db_err)?
        .execute(params![pool_id, sub])
        .map_err(db_err)?;
    let mut st = c
        .prepare_cached(
            "INSERT OR REPLACE INTO aliases (pool_id, attr, value_key, sub) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(db_err)?;
    for (attr, key) in entries {
        st.execute(params![pool_id, attr, key, sub])
            .map_err(db_err)?;
    }
    Ok(())
}
