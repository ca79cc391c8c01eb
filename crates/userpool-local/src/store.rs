//! Durable storage in SQLite.
//!
//! With a data directory the database is `userpool.sqlite3` in WAL mode with
//! `synchronous = NORMAL`: a committed transaction is in the WAL file before the operation
//! answers, so it survives a crash or `kill -9` of the process (not a power cut of the
//! machine, which would need `FULL`). One writer connection serialises writes; a few
//! read-only connections serve reads in parallel. All database work runs on
//! `spawn_blocking`, never on the async threads, and no lock of this crate is held across
//! hashing or signing. Without a data directory the database lives in memory on a single
//! connection.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::{ApiError, Error};
use crate::srp_glue::StoredVerifier;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pools (
    id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    key_der BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    secret TEXT,
    config TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clients_pool ON clients (pool_id);
CREATE TABLE IF NOT EXISTS users (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    status TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    attrs TEXT NOT NULL,
    pending TEXT NOT NULL,
    salt BLOB,
    verifier BLOB,
    temp_expires_ms INTEGER,
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER NOT NULL DEFAULT 0,
    cred_gen INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    PRIMARY KEY (pool_id, sub)
);
CREATE UNIQUE INDEX IF NOT EXISTS users_name ON users (pool_id, username_key);
CREATE TABLE IF NOT EXISTS aliases (
    pool_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    value_key TEXT NOT NULL,
    sub TEXT NOT NULL,
    PRIMARY KEY (pool_id, attr, value_key)
);
CREATE INDEX IF NOT EXISTS aliases_sub ON aliases (pool_id, sub);
CREATE TABLE IF NOT EXISTS codes (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code TEXT NOT NULL,
    attr TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    window_start_ms INTEGER NOT NULL,
    sent_in_window INTEGER NOT NULL,
    PRIMARY KEY (pool_id, sub, purpose)
);
CREATE TABLE IF NOT EXISTS sessions (
    origin_jti TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    client_id TEXT NOT NULL,
    refresh_hash BLOB NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (pool_id, sub);
"#;

const READERS: usize = 3;

/// The database: one writer, a few readers.
pub(crate) struct Store {
    writer: Arc<Mutex<Connection>>,
    readers: Option<Arc<Readers>>,
}

struct Readers {
    conns: Mutex<Vec<Connection>>,
    permits: tokio::sync::Semaphore,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("readers", &self.readers.is_some())
            .finish()
    }
}

/// Brings a database made by an older version up to the current schema.
fn migrate(c: &Connection) -> rusqlite::Result<()> {
    let has_cred_gen: bool = c.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('users') WHERE name = 'cred_gen'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has_cred_gen {
        c.execute_batch("ALTER TABLE users ADD COLUMN cred_gen INTEGER NOT NULL DEFAULT 0")?;
    }
    Ok(())
}

fn db_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("database: {e}"))
}

impl Store {
    /// Opens (or creates) the database in `dir`, or an in-memory one.
    pub(crate) fn open(dir: Option<&Path>) -> Result<Self, Error> {
        let storage = |e: rusqlite::Error| Error::Storage(e.to_string());
        match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let path = dir.join("userpool.sqlite3");
                let writer = Connection::open(&path).map_err(storage)?;
                writer
                    .pragma_update(None, "journal_mode", "WAL")
                    .map_err(storage)?;
                writer
                    .pragma_update(None, "synchronous", "NORMAL")
                    .map_err(storage)?;
                writer
                    .busy_timeout(std::time::Duration::from_secs(10))
                    .map_err(storage)?;
                writer.execute_batch(SCHEMA).map_err(storage)?;
                migrate(&writer).map_err(storage)?;
                let mut conns = Vec::with_capacity(READERS);
                for _ in 0..READERS {
                    let r = Connection::open_with_flags(
                        &path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map_err(storage)?;
                    r.busy_timeout(std::time::Duration::from_secs(10))
                        .map_err(storage)?;
                    conns.push(r);
                }
                Ok(Self {
                    writer: Arc::new(Mutex::new(writer)),
                    readers: Some(Arc::new(Readers {
                        conns: Mutex::new(conns),
                        permits: tokio::sync::Semaphore::new(READERS),
                    })),
                })
            }
            None => {
                let writer = Connection::open_in_memory().map_err(storage)?;
                writer.execute_batch(SCHEMA).map_err(storage)?;
                Ok(Self {
                    writer: Arc::new(Mutex::new(writer)),
                    readers: None,
                })
            }
        }
    }

    /// Runs read-only work on a reader connection (on the blocking pool).
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let Some(readers) = self.readers.clone() else {
            return self.with_writer(f).await;
        };
        let _permit = readers.permits.acquire().await.map_err(db_err)?;
        let readers = readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers
                .conns
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Some(conn) = conn else {
                return Err(ApiError::internal("no reader connection available"));
            };
            let out = f(&conn);
            readers
                .conns
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            out
        })
        .await
        .map_err(join_err)?
    }

    async fn with_writer<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let conn = writer.lock().unwrap_or_else(PoisonError::into_inner);
            f(&conn)
        })
        .await
        .map_err(join_err)?
    }

    /// Runs work in one write transaction: committed when `f` returns `Ok`, rolled back
    /// otherwise.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer.lock().unwrap_or_else(PoisonError::into_inner);
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let out = f(&tx)?;
            tx.commit().map_err(db_err)?;
            Ok(out)
        })
        .await
        .map_err(join_err)?
    }
}

impl Store {
    /// Like [`Store::write`], but the inner result's error is returned *after* committing:
    /// for refusals that must still record something (a wrong code counts as a failure).
    pub(crate) async fn write_keep<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<Result<T, ApiError>, ApiError> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer.lock().unwrap_or_else(PoisonError::into_inner);
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let out = f(&tx)?;
            tx.commit().map_err(db_err)?;
            out
        })
        .await
        .map_err(join_err)?
    }
}

fn join_err(e: tokio::task::JoinError) -> ApiError {
    if e.is_panic() {
        ApiError::internal("a database task panicked")
    } else {
        ApiError::internal("a database task was cancelled")
    }
}

// ---------------------------------------------------------------------------------------
// Pools and clients

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
    for table in ["clients", "users", "aliases", "codes", "sessions"] {
        c.execute(
            &format!("DELETE FROM {table} WHERE pool_id = ?1"),
            params![id],
        )
        .map_err(db_err)?;
    }
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

// ---------------------------------------------------------------------------------------
// Users

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

    fn parse(s: &str) -> Self {
        match s {
            "CONFIRMED" => UserStatus::Confirmed,
            "FORCE_CHANGE_PASSWORD" => UserStatus::ForceChangePassword,
            "RESET_REQUIRED" => UserStatus::ResetRequired,
            _ => UserStatus::Unconfirmed,
        }
    }
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
    /// [`bump_credentials`] (through [`revoke_user_sessions`] or directly) changes it;
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

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
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
        status: UserStatus::parse(&status),
        enabled: r.get::<_, i64>(5)? != 0,
        attrs: serde_json::from_str(&attrs).unwrap_or_default(),
        pending: serde_json::from_str(&pending).unwrap_or_default(),
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

/// Deletes a user and everything that hangs off it (aliases, codes, sessions).
pub(crate) fn delete_user(c: &Connection, pool_id: &str, sub: &str) -> Result<(), ApiError> {
    for table in ["users", "aliases", "codes", "sessions"] {
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

// ---------------------------------------------------------------------------------------
// Aliases

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

// ---------------------------------------------------------------------------------------
// Codes

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

// ---------------------------------------------------------------------------------------
// Sessions (one per sign-in: the refresh token and every access token issued with it)

/// A sign-in session; `origin_jti` is in every access and id token issued with it.
#[derive(Debug, Clone)]
pub(crate) struct SessionRow {
    pub origin_jti: String,
    pub pool_id: String,
    pub sub: String,
    pub client_id: String,
    pub event_id: String,
    pub auth_time: i64,
    pub expires_ms: i64,
    pub revoked: bool,
}

pub(crate) fn insert_session(
    c: &Connection,
    s: &SessionRow,
    refresh_hash: &[u8],
) -> Result<(), ApiError> {
    c.prepare_cached(
        "INSERT INTO sessions (origin_jti, pool_id, sub, client_id, refresh_hash, event_id, auth_time, expires_ms, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
    )
    .map_err(db_err)?
    .execute(params![
        s.origin_jti,
        s.pool_id,
        s.sub,
        s.client_id,
        refresh_hash,
        s.event_id,
        s.auth_time,
        s.expires_ms
    ])
    .map_err(db_err)?;
    Ok(())
}

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        origin_jti: r.get(0)?,
        pool_id: r.get(1)?,
        sub: r.get(2)?,
        client_id: r.get(3)?,
        event_id: r.get(4)?,
        auth_time: r.get(5)?,
        expires_ms: r.get(6)?,
        revoked: r.get::<_, i64>(7)? != 0,
    })
}

const SESSION_COLUMNS: &str =
    "origin_jti, pool_id, sub, client_id, event_id, auth_time, expires_ms, revoked";

pub(crate) fn session_by_refresh(
    c: &Connection,
    hash: &[u8],
) -> Result<Option<SessionRow>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE refresh_hash = ?1"
    ))
    .map_err(db_err)?
    .query_row(params![hash], session_from_row)
    .optional()
    .map_err(db_err)
}

pub(crate) fn session_by_jti(c: &Connection, jti: &str) -> Result<Option<SessionRow>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE origin_jti = ?1"
    ))
    .map_err(db_err)?
    .query_row(params![jti], session_from_row)
    .optional()
    .map_err(db_err)
}

pub(crate) fn revoke_session(c: &Connection, jti: &str) -> Result<(), ApiError> {
    c.prepare_cached("UPDATE sessions SET revoked = 1 WHERE origin_jti = ?1")
        .map_err(db_err)?
        .execute(params![jti])
        .map_err(db_err)?;
    Ok(())
}

/// Ends every session of a user, and every sign-in of theirs still in progress (it bumps
/// the credential generation, see [`bump_credentials`]).
pub(crate) fn revoke_user_sessions(
    c: &Connection,
    pool_id: &str,
    sub: &str,
) -> Result<(), ApiError> {
    c.prepare_cached("UPDATE sessions SET revoked = 1 WHERE pool_id = ?1 AND sub = ?2")
        .map_err(db_err)?
        .execute(params![pool_id, sub])
        .map_err(db_err)?;
    bump_credentials(c, pool_id, sub)
}

/// Bumps a user's credential generation: a sign-in whose password check started under an
/// older generation is refused when it comes to write its session.
pub(crate) fn bump_credentials(c: &Connection, pool_id: &str, sub: &str) -> Result<(), ApiError> {
    c.prepare_cached("UPDATE users SET cred_gen = cred_gen + 1 WHERE pool_id = ?1 AND sub = ?2")
        .map_err(db_err)?
        .execute(params![pool_id, sub])
        .map_err(db_err)?;
    Ok(())
}

/// Forgets sessions whose refresh token expired more than a day ago (every access token
/// issued with them has expired too).
pub(crate) fn prune_sessions(c: &Connection, now_ms: i64) -> Result<usize, ApiError> {
    c.execute(
        "DELETE FROM sessions WHERE expires_ms < ?1",
        params![now_ms - 86_400_000],
    )
    .map_err(db_err)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_database_gains_the_credential_generation() {
        let c = Connection::open_in_memory().unwrap();
        // The users table as versions before the credential generation made it.
        c.execute_batch(&SCHEMA.replace("    cred_gen INTEGER NOT NULL DEFAULT 0,\n", ""))
            .unwrap();
        assert!(c.prepare("SELECT cred_gen FROM users").is_err());
        migrate(&c).unwrap();
        c.prepare("SELECT cred_gen FROM users").unwrap();
        // Running it again changes nothing.
        migrate(&c).unwrap();
    }
}
