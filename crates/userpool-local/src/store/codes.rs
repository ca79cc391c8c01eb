//! The `codes` table: pending confirmation and reset codes, with their request window.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;

/// A pending code.
#[derive(Clone)]
pub(crate) struct CodeRow {
    pub code: String,
    pub attr: String,
    pub value: String,
    pub expires_ms: i64,
    pub failures: i64,
    pub window_start_ms: i64,
    pub sent_in_window: i64,
}

pub(crate) fn get_code(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    purpose: &str,
) -> Result<Option<CodeRow>, ApiError> {
    c.prepare_cached(
        "SELECT code, attr, value, expires_ms, failures, window_start_ms, sent_in_window FROM codes WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3",
    )
    .map_err(db_err)?
    .query_row(params![pool_id, sub, purpose], |r| {
        Ok(CodeRow {
            code: r.get(0)?,
            attr: r.get(1)?,
            value: r.get(2)?,
            expires_ms: r.get(3)?,
            failures: r.get(4)?,
            window_start_ms: r.get(5)?,
            sent_in_window: r.get(6)?,
        })
    })
    .optional()
    .map_err(db_err)
}

pub(crate) fn put_code(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    purpose: &str,
    row: &CodeRow,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO codes (pool_id, sub, purpose, code, attr, value, expires_ms, failures, window_start_ms, sent_in_window) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .map_err(db_err)?
    .execute(params![
        pool_id,
        sub,
        purpose,
        row.code,
        row.attr,
        row.value,
        row.expires_ms,
        row.failures,
        row.window_start_ms,
        row.sent_in_window
    ])
    .map_err(db_err)?;
    Ok(())
}

/// Marks a code used (keeps the request window so request limits still hold).
pub(crate) fn consume_code(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "UPDATE codes SET code = '', expires_ms = 0, failures = 0 WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3",
    )
    .map_err(db_err)?
    .execute(params![pool_id, sub, purpose])
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn code_failed(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "UPDATE codes SET failures = failures + 1 WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3",
    )
    .map_err(db_err)?
    .execute(params![pool_id, sub, purpose])
    .map_err(db_err)?;
    Ok(())
}

/// Forgets codes that can no longer be used (expired or used) and whose request window is
/// over (the request limit no longer needs them).
pub(crate) fn prune_codes(c: &Connection, now_ms: i64, window_ms: i64) -> Result<usize, ApiError> {
    c.execute(
        "DELETE FROM codes WHERE expires_ms < ?1 AND window_start_ms + ?2 < ?1",
        params![now_ms, window_ms],
    )
    .map_err(db_err)
}
