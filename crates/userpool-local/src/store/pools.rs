//! The `pools`, `pool_keys` and `clients` tables: each pool's configuration and signing
//! key, its earlier keys still published after a rotation, and its app clients.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;

/// A stored pool row.
pub(crate) struct PoolRow {
    pub id: String,
    pub config: String,
    pub key_der: Vec<u8>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

pub(crate) fn insert_pool(c: &Connection, row: &PoolRow) -> Result<(), ApiError> {
    c.execute(
        "INSERT INTO pools (id, config, key_der, created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.id, row.config, row.key_der, row.created_ms, row.modified_ms],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn get_pool(c: &Connection, id: &str) -> Result<Option<PoolRow>, ApiError> {
    c.prepare_cached("SELECT id, config, key_der, created_ms, modified_ms FROM pools WHERE id = ?1")
        .map_err(db_err)?
        .query_row(params![id], |r| {
            Ok(PoolRow {
                id: r.get(0)?,
                config: r.get(1)?,
                key_der: r.get(2)?,
                created_ms: r.get(3)?,
                modified_ms: r.get(4)?,
            })
        })
        .optional()
        .map_err(db_err)
}

/// `(id, config json, created, modified)` of pools with id > `after`, in id order.
pub(crate) fn list_pools(
    c: &Connection,
    after: &str,
    limit: usize,
) -> Result<Vec<(String, String, i64, i64)>, ApiError> {
    let mut st = c
        .prepare_cached(
            "SELECT id, config, created_ms, modified_ms FROM pools WHERE id > ?1 ORDER BY id LIMIT ?2",
        )
        .map_err(db_err)?;
    let rows = st
        .query_map(params![after, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

pub(crate) fn delete_pool(c: &Connection, id: &str) -> Result<bool, ApiError> {
    let n = c
        .execute("DELETE FROM pools WHERE id = ?1", params![id])
        .map_err(db_err)?;
    for table in [
        "pool_keys",
        "clients",
        "users",
        "aliases",
        "codes",
        "sessions",
        "groups",
        "group_members",
        "user_mfa",
    ] {
        c.execute(
            &format!("DELETE FROM {table} WHERE pool_id = ?1"),
            params![id],
        )
        .map_err(db_err)?;
    }
    Ok(n > 0)
}

/// Writes a pool's configuration back (SetUserPoolMfaConfig); false if the pool is gone.
pub(crate) fn update_pool_config(
    c: &Connection,
    id: &str,
    config: &str,
    modified_ms: i64,
) -> Result<bool, ApiError> {
    let n = c
        .execute(
            "UPDATE pools SET config = ?2, modified_ms = ?3 WHERE id = ?1",
            params![id, config, modified_ms],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

/// `(kid, key as PKCS#8 DER)` of the pool's earlier keys that are still published,
/// newest first.
pub(crate) fn previous_keys(
    c: &Connection,
    pool_id: &str,
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let mut st = c
        .prepare_cached(
            "SELECT kid, key_der FROM pool_keys WHERE pool_id = ?1 ORDER BY added_ms DESC, rowid DESC",
        )
        .map_err(db_err)?;
    let rows = st
        .query_map(params![pool_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

/// The key new tokens of the pool are signed with (PKCS#8 DER); `None` if the pool is gone.
pub(crate) fn active_key(c: &Connection, pool_id: &str) -> Result<Option<Vec<u8>>, ApiError> {
    c.prepare_cached("SELECT key_der FROM pools WHERE id = ?1")
        .map_err(db_err)?
        .query_row(params![pool_id], |r| r.get(0))
        .optional()
        .map_err(db_err)
}

/// Makes `new_der` the pool's signing key and keeps the one it replaces (`old_kid`,
/// `old_der`) published. Run in the transaction that read `old_der` with [`active_key`].
pub(crate) fn rotate_key(
    c: &Connection,
    pool_id: &str,
    (old_kid, old_der): (&str, &[u8]),
    new_der: &[u8],
    now_ms: i64,
) -> Result<(), ApiError> {
    c.execute(
        "INSERT OR REPLACE INTO pool_keys (pool_id, kid, key_der, added_ms) VALUES (?1, ?2, ?3, ?4)",
        params![pool_id, old_kid, old_der, now_ms],
    )
    .map_err(db_err)?;
    c.execute(
        "UPDATE pools SET key_der = ?2, modified_ms = ?3 WHERE id = ?1",
        params![pool_id, new_der, now_ms],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Stops publishing an earlier key of the pool; false if it was not one.
pub(crate) fn delete_previous_key(
    c: &Connection,
    pool_id: &str,
    kid: &str,
) -> Result<bool, ApiError> {
    let n = c
        .execute(
            "DELETE FROM pool_keys WHERE pool_id = ?1 AND kid = ?2",
            params![pool_id, kid],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

pub(crate) fn count_users(c: &Connection, pool_id: &str) -> Result<i64, ApiError> {
    c.prepare_cached("SELECT COUNT(*) FROM users WHERE pool_id = ?1")
        .map_err(db_err)?
        .query_row(params![pool_id], |r| r.get(0))
        .map_err(db_err)
}

/// A stored app client row.
pub(crate) struct ClientRow {
    pub id: String,
    pub pool_id: String,
    pub secret: Option<String>,
    pub config: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

pub(crate) fn insert_client(c: &Connection, row: &ClientRow) -> Result<(), ApiError> {
    c.execute(
        "INSERT INTO clients (id, pool_id, secret, config, created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![row.id, row.pool_id, row.secret, row.config, row.created_ms, row.modified_ms],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn get_client(c: &Connection, id: &str) -> Result<Option<ClientRow>, ApiError> {
    c.prepare_cached(
        "SELECT id, pool_id, secret, config, created_ms, modified_ms FROM clients WHERE id = ?1",
    )
    .map_err(db_err)?
    .query_row(params![id], |r| {
        Ok(ClientRow {
            id: r.get(0)?,
            pool_id: r.get(1)?,
            secret: r.get(2)?,
            config: r.get(3)?,
            created_ms: r.get(4)?,
            modified_ms: r.get(5)?,
        })
    })
    .optional()
    .map_err(db_err)
}

/// Writes an app client's configuration back (UpdateUserPoolClient); false if the client
/// is not one of `pool_id`'s.
pub(crate) fn update_client_config(
    c: &Connection,
    pool_id: &str,
    id: &str,
    config: &str,
    modified_ms: i64,
) -> Result<bool, ApiError> {
    let n = c
        .execute(
            "UPDATE clients SET config = ?3, modified_ms = ?4 WHERE id = ?1 AND pool_id = ?2",
            params![id, pool_id, config, modified_ms],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Deletes an app client of `pool_id` and its sign-in sessions, so that the refresh tokens
/// and access tokens issued to it stop working; false if there was no such client.
pub(crate) fn delete_client(c: &Connection, pool_id: &str, id: &str) -> Result<bool, ApiError> {
    let n = c
        .execute(
            "DELETE FROM clients WHERE id = ?1 AND pool_id = ?2",
            params![id, pool_id],
        )
        .map_err(db_err)?;
    if n > 0 {
        c.execute(
            "DELETE FROM sessions WHERE client_id = ?1 AND pool_id = ?2",
            params![id, pool_id],
        )
        .map_err(db_err)?;
    }
    Ok(n > 0)
}

/// `(id, config json)` of `pool_id`'s app clients with id > `after`, in id order.
pub(crate) fn list_clients(
    c: &Connection,
    pool_id: &str,
    after: &str,
    limit: usize,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut st = c
        .prepare_cached(
            "SELECT id, config FROM clients WHERE pool_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )
        .map_err(db_err)?;
    let rows = st
        .query_map(
            params![pool_id, after, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}
