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
//!
//! This module holds the schema and the connections; the queries live in one submodule per
//! table (`pools` with `pool_keys` and `clients`, `users`, `aliases`, `codes`, `sessions` with
//! `rotated_refresh`, `groups` with `group_members`, `domains` with `resource_servers`) and are
//! re-exported here, so callers write `store::user_by_sub`.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

use crate::error::{ApiError, Error};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pools (
    id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    key_der BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
-- A pool's earlier signing keys, still published in its JWKS after a rotation (the key
-- new tokens are signed with is `pools.key_der`) until they are retired.
CREATE TABLE IF NOT EXISTS pool_keys (
    pool_id TEXT NOT NULL,
    kid TEXT NOT NULL,
    key_der BLOB NOT NULL,
    added_ms INTEGER NOT NULL,
    PRIMARY KEY (pool_id, kid)
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
CREATE TABLE IF NOT EXISTS groups (
    pool_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    role_arn TEXT,
    precedence INTEGER,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name_key)
);
CREATE TABLE IF NOT EXISTS group_members (
    pool_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    sub TEXT NOT NULL,
    PRIMARY KEY (pool_id, name_key, sub)
);
CREATE INDEX IF NOT EXISTS group_members_sub ON group_members (pool_id, sub);
CREATE TABLE IF NOT EXISTS user_mfa (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    totp_secret BLOB,
    totp_pending BLOB,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    totp_name TEXT,
    sms_enabled INTEGER NOT NULL DEFAULT 0,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    email_enabled INTEGER NOT NULL DEFAULT 0,
    preferred TEXT,
    PRIMARY KEY (pool_id, sub)
);
CREATE TABLE IF NOT EXISTS rotated_refresh (
    refresh_hash BLOB PRIMARY KEY,
    origin_jti TEXT NOT NULL,
    grace_until_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rotated_refresh_session ON rotated_refresh (origin_jti);
CREATE TABLE IF NOT EXISTS devices (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    device_key TEXT NOT NULL,
    group_key TEXT NOT NULL,
    name TEXT,
    salt BLOB,
    verifier BLOB,
    remembered INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    last_auth_ms INTEGER NOT NULL,
    PRIMARY KEY (pool_id, device_key)
);
CREATE INDEX IF NOT EXISTS devices_user ON devices (pool_id, sub, device_key);
CREATE TABLE IF NOT EXISTS device_sessions (
    origin_jti TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    device_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS device_sessions_device ON device_sessions (pool_id, sub, device_key);
-- A user's devices go with the user's row, whichever operation deletes it.
CREATE TRIGGER IF NOT EXISTS users_delete_devices AFTER DELETE ON users BEGIN
    DELETE FROM devices WHERE pool_id = OLD.pool_id AND sub = OLD.sub;
    DELETE FROM device_sessions WHERE pool_id = OLD.pool_id AND sub = OLD.sub;
END;
-- A pruned session needs no device link.
CREATE TRIGGER IF NOT EXISTS sessions_delete_device_link AFTER DELETE ON sessions BEGIN
    DELETE FROM device_sessions WHERE origin_jti = OLD.origin_jti;
END;
CREATE TABLE IF NOT EXISTS domains (
    domain TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL UNIQUE,
    certificate_arn TEXT,
    cloudfront TEXT,
    managed_login_version INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS resource_servers (
    pool_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    PRIMARY KEY (pool_id, identifier)
);
-- The OAuth scopes of a session of the hosted sign-in (store/session_scopes.rs).
CREATE TABLE IF NOT EXISTS session_scopes (
    origin_jti TEXT PRIMARY KEY,
    scopes TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS sessions_delete_scopes AFTER DELETE ON sessions BEGIN
    DELETE FROM session_scopes WHERE origin_jti = OLD.origin_jti;
END;
-- A pool's domain and resource servers go with the pool's row.
CREATE TRIGGER IF NOT EXISTS pools_delete_domains AFTER DELETE ON pools BEGIN
    DELETE FROM domains WHERE pool_id = OLD.id;
    DELETE FROM resource_servers WHERE pool_id = OLD.id;
END;
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

/// Brings a database made by an older version up to the current schema. Tables added
/// since (`pool_keys`, `groups`, `group_members`, `user_mfa`, `rotated_refresh`, `devices`, `device_sessions`, `domains`, `resource_servers`, `session_scopes`) need nothing here: [`SCHEMA`] creates whatever is
/// missing on every open; this handles columns added to existing tables.
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

// One module per table; callers use `store::name` as before.
mod aliases;
mod codes;
mod devices;
mod domains;
mod groups;
mod mfa;
mod pools;
mod session_scopes;
mod sessions;
mod users;

pub(crate) use aliases::*;
pub(crate) use codes::*;
pub(crate) use devices::*;
pub(crate) use domains::*;
pub(crate) use groups::*;
pub(crate) use mfa::*;
pub(crate) use pools::*;
pub(crate) use session_scopes::*;
pub(crate) use sessions::*;
pub(crate) use users::*;

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

    #[test]
    fn an_older_database_gains_the_group_tables() {
        let c = Connection::open_in_memory().unwrap();
        let before_groups = SCHEMA
            .split_once("CREATE TABLE IF NOT EXISTS groups")
            .unwrap()
            .0;
        c.execute_batch(before_groups).unwrap();
        c.execute(
            "INSERT INTO users (pool_id, sub, username, username_key, status, enabled, attrs, pending, created_ms, modified_ms) VALUES ('p', 's', 'u', 'u', 'CONFIRMED', 1, '{}', '{}', 0, 0)",
            [],
        )
        .unwrap();
        assert!(c.prepare("SELECT name FROM groups").is_err());
        // What `Store::open` runs on an existing file.
        c.execute_batch(SCHEMA).unwrap();
        migrate(&c).unwrap();
        let g = Group {
            pool_id: "p".into(),
            name: "Admins".into(),
            description: None,
            role_arn: None,
            precedence: Some(1),
            created_ms: 0,
            modified_ms: 0,
        };
        assert!(insert_group(&c, &g).unwrap());
        add_member(&c, "p", "admins", "s").unwrap();
        let groups = groups_of_user(&c, "p", "s", "", usize::MAX).unwrap();
        assert_eq!(groups, vec![g]);
        // The user's row is still there and still readable.
        assert!(user_by_sub(&c, "p", "s").unwrap().is_some());
        // Deleting the user removes the membership.
        delete_user(&c, "p", "s").unwrap();
        assert!(
            groups_of_user(&c, "p", "s", "", usize::MAX)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_older_database_gains_the_rotated_refresh_tokens() {
        let c = Connection::open_in_memory().unwrap();
        let before_rotation = SCHEMA
            .split_once("CREATE TABLE IF NOT EXISTS rotated_refresh")
            .unwrap()
            .0;
        c.execute_batch(before_rotation).unwrap();
        let session = SessionRow {
            origin_jti: "jti".into(),
            pool_id: "p".into(),
            sub: "s".into(),
            client_id: "c".into(),
            event_id: "e".into(),
            auth_time: 0,
            expires_ms: 10_000,
            revoked: false,
        };
        insert_session(&c, &session, b"old").unwrap();
        assert!(c.prepare("SELECT 1 FROM rotated_refresh").is_err());
        // What `Store::open` runs on an existing file.
        c.execute_batch(SCHEMA).unwrap();
        migrate(&c).unwrap();
        // The session made before is refreshed and rotated like a new one.
        assert!(matches!(
            refresh_holder(&c, b"old").unwrap(),
            Some(RefreshHolder::Current(_))
        ));
        rotate_refresh(&c, "jti", b"new", 5_000).unwrap();
        assert!(matches!(
            refresh_holder(&c, b"new").unwrap(),
            Some(RefreshHolder::Current(_))
        ));
        assert!(matches!(
            refresh_holder(&c, b"old").unwrap(),
            Some(RefreshHolder::Rotated {
                grace_until_ms: 5_000,
                ..
            })
        ));
        // Both tokens name the session (RevokeToken with either ends it).
        assert_eq!(
            session_by_refresh(&c, b"old").unwrap().unwrap().origin_jti,
            "jti"
        );
        assert_eq!(
            session_by_refresh(&c, b"new").unwrap().unwrap().origin_jti,
            "jti"
        );
        // A later rotation keeps the first replaced token's deadline.
        rotate_refresh(&c, "jti", b"newest", 9_000).unwrap();
        assert!(matches!(
            refresh_holder(&c, b"old").unwrap(),
            Some(RefreshHolder::Rotated {
                grace_until_ms: 5_000,
                ..
            })
        ));
        assert!(matches!(
            refresh_holder(&c, b"new").unwrap(),
            Some(RefreshHolder::Rotated {
                grace_until_ms: 9_000,
                ..
            })
        ));
        // Pruning the session forgets its replaced tokens.
        prune_sessions(&c, 10_000 + 86_400_001).unwrap();
        assert!(refresh_holder(&c, b"old").unwrap().is_none());
        let left: i64 = c
            .query_row("SELECT COUNT(*) FROM rotated_refresh", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn group_names_are_unique_in_any_case_and_deleting_a_group_removes_members() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(SCHEMA).unwrap();
        let g = |name: &str| Group {
            pool_id: "p".into(),
            name: name.into(),
            description: None,
            role_arn: None,
            precedence: None,
            created_ms: 0,
            modified_ms: 0,
        };
        assert!(insert_group(&c, &g("Staff")).unwrap());
        assert!(!insert_group(&c, &g("STAFF")).unwrap());
        assert_eq!(
            group_by_name(&c, "p", "staff").unwrap().unwrap().name,
            "Staff"
        );
        add_member(&c, "p", "Staff", "s1").unwrap();
        add_member(&c, "p", "Staff", "s1").unwrap();
        let members: i64 = c
            .query_row("SELECT COUNT(*) FROM group_members", [], |r| r.get(0))
            .unwrap();
        assert_eq!(members, 1, "adding twice is one membership");
        assert!(delete_group(&c, "p", "staff").unwrap());
        assert!(!delete_group(&c, "p", "staff").unwrap());
        let members: i64 = c
            .query_row("SELECT COUNT(*) FROM group_members", [], |r| r.get(0))
            .unwrap();
        assert_eq!(members, 0);
    }
}
