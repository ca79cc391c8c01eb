//! The `devices` table: the devices a sign-in handed out (`NewDeviceMetadata`) and, once
//! `ConfirmDevice` gave their verifier, the user's tracked devices; and `device_sessions`,
//! which session was signed in from which device (so that forgetting a device ends them).
//!
//! A user's rows go with the user: the schema's triggers delete them when the user's row
//! is deleted (AdminDeleteUser, DeleteUser, DeleteUserPool), whichever code deletes it.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;
use crate::srp_glue::StoredVerifier;

/// A device as stored. `verifier` is `None` until ConfirmDevice. `Debug` never shows the
/// verifier (StoredVerifier redacts itself).
#[derive(Debug, Clone)]
pub(crate) struct DeviceRow {
    pub pool_id: String,
    pub sub: String,
    pub device_key: String,
    pub group_key: String,
    /// `DeviceName` of ConfirmDevice.
    pub name: Option<String>,
    pub verifier: Option<StoredVerifier>,
    /// `dev:device_remembered_status`: remembered (true) or not_remembered.
    pub remembered: bool,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The last sign-in that authenticated with the device (DEVICE_PASSWORD_VERIFIER), or
    /// its confirmation.
    pub last_auth_ms: i64,
}

impl DeviceRow {
    /// Confirmed with ConfirmDevice: a tracked device that can sign in.
    pub(crate) fn confirmed(&self) -> bool {
        self.verifier.is_some()
    }
}

const COLUMNS: &str = "pool_id, sub, device_key, group_key, name, salt, verifier, remembered, created_ms, modified_ms, last_auth_ms";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    let salt: Option<Vec<u8>> = r.get(5)?;
    let verifier: Option<Vec<u8>> = r.get(6)?;
    Ok(DeviceRow {
        pool_id: r.get(0)?,
        sub: r.get(1)?,
        device_key: r.get(2)?,
        group_key: r.get(3)?,
        name: r.get(4)?,
        verifier: match (salt, verifier) {
            (Some(salt), Some(verifier)) => Some(StoredVerifier { salt, verifier }),
            _ => None,
        },
        remembered: r.get::<_, i64>(7)? != 0,
        created_ms: r.get(8)?,
        modified_ms: r.get(9)?,
        last_auth_ms: r.get(10)?,
    })
}

/// The device group key of a user: the one of any device of theirs, if they have one.
pub(crate) fn device_group_key(
    c: &Connection,
    pool_id: &str,
    sub: &str,
) -> Result<Option<String>, ApiError> {
    c.prepare_cached("SELECT group_key FROM devices WHERE pool_id = ?1 AND sub = ?2 LIMIT 1")
        .map_err(db_err)?
        .query_row(params![pool_id, sub], |r| r.get(0))
        .optional()
        .map_err(db_err)
}

/// Records a device handed out in `NewDeviceMetadata` (not confirmed yet), and drops the
/// user's oldest unconfirmed devices beyond `keep_unconfirmed`: every sign-in without a
/// device key hands out a new one, and most are never confirmed.
pub(crate) fn insert_device(
    c: &Connection,
    d: &DeviceRow,
    keep_unconfirmed: usize,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "INSERT INTO devices (pool_id, sub, device_key, group_key, name, remembered, created_ms, modified_ms, last_auth_ms) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6, ?6)",
    )
    .map_err(db_err)?
    .execute(params![
        d.pool_id,
        d.sub,
        d.device_key,
        d.group_key,
        d.name,
        d.created_ms
    ])
    .map_err(db_err)?;
    let keep = i64::try_from(keep_unconfirmed).unwrap_or(i64::MAX);
    c.prepare_cached(
        "DELETE FROM devices WHERE pool_id = ?1 AND sub = ?2 AND verifier IS NULL AND device_key NOT IN (SELECT device_key FROM devices WHERE pool_id = ?1 AND sub = ?2 AND verifier IS NULL ORDER BY created_ms DESC, device_key LIMIT ?3)",
    )
    .map_err(db_err)?
    .execute(params![d.pool_id, d.sub, keep])
    .map_err(db_err)?;
    Ok(())
}

/// A device of a user (confirmed or not).
pub(crate) fn device_of(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    device_key: &str,
) -> Result<Option<DeviceRow>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM devices WHERE pool_id = ?1 AND sub = ?2 AND device_key = ?3"
    ))
    .map_err(db_err)?
    .query_row(params![pool_id, sub, device_key], from_row)
    .optional()
    .map_err(db_err)
}

/// Stores ConfirmDevice's verifier, name and initial remembered status.
#[allow(clippy::too_many_arguments)]
pub(crate) fn confirm_device(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    device_key: &str,
    name: Option<&str>,
    verifier: &StoredVerifier,
    remembered: bool,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached(
            "UPDATE devices SET name = ?4, salt = ?5, verifier = ?6, remembered = ?7, modified_ms = ?8, last_auth_ms = ?8 WHERE pool_id = ?1 AND sub = ?2 AND device_key = ?3",
        )
        .map_err(db_err)?
        .execute(params![
            pool_id,
            sub,
            device_key,
            name,
            verifier.salt,
            verifier.verifier,
            i64::from(remembered),
            now_ms
        ])
        .map_err(db_err)?;
    Ok(n > 0)
}

/// A user's confirmed devices in key order after `after_key`, at most `limit`, only the
/// remembered ones when `remembered_only`.
pub(crate) fn list_devices(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    remembered_only: bool,
    after_key: &str,
    limit: usize,
) -> Result<Vec<DeviceRow>, ApiError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM devices WHERE pool_id = ?1 AND sub = ?2 AND verifier IS NOT NULL AND (remembered = 1 OR ?3 = 0) AND device_key > ?4 ORDER BY device_key LIMIT ?5"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(
            params![pool_id, sub, i64::from(remembered_only), after_key, limit],
            from_row,
        )
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

/// Sets a device's remembered status; false if the user has no such confirmed device.
pub(crate) fn set_remembered(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    device_key: &str,
    remembered: bool,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached(
            "UPDATE devices SET remembered = ?4, modified_ms = ?5 WHERE pool_id = ?1 AND sub = ?2 AND device_key = ?3 AND verifier IS NOT NULL",
        )
        .map_err(db_err)?
        .execute(params![
            pool_id,
            sub,
            device_key,
            i64::from(remembered),
            now_ms
        ])
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Records a sign-in that authenticated with the device.
pub(crate) fn touch_device(
    c: &Connection,
    pool_id: &str,
    device_key: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    c.prepare_cached("UPDATE devices SET last_auth_ms = ?3 WHERE pool_id = ?1 AND device_key = ?2")
        .map_err(db_err)?
        .execute(params![pool_id, device_key, now_ms])
        .map_err(db_err)?;
    Ok(())
}

/// Forgets a confirmed device and revokes the sessions signed in from it; false if the
/// user has no such confirmed device.
pub(crate) fn forget_device(
    c: &Connection,
    pool_id: &str,
    sub: &str,
    device_key: &str,
) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached(
            "DELETE FROM devices WHERE pool_id = ?1 AND sub = ?2 AND device_key = ?3 AND verifier IS NOT NULL",
        )
        .map_err(db_err)?
        .execute(params![pool_id, sub, device_key])
        .map_err(db_err)?;
    if n == 0 {
        return Ok(false);
    }
    c.prepare_cached(
        "UPDATE sessions SET revoked = 1 WHERE origin_jti IN (SELECT origin_jti FROM device_sessions WHERE pool_id = ?1 AND sub = ?2 AND device_key = ?3)",
    )
    .map_err(db_err)?
    .execute(params![pool_id, sub, device_key])
    .map_err(db_err)?;
    c.prepare_cached(
        "DELETE FROM device_sessions WHERE pool_id = ?1 AND sub = ?2 AND device_key = ?3",
    )
    .map_err(db_err)?
    .execute(params![pool_id, sub, device_key])
    .map_err(db_err)?;
    Ok(true)
}

/// Records that a session was signed in from a device.
pub(crate) fn link_session(
    c: &Connection,
    origin_jti: &str,
    pool_id: &str,
    sub: &str,
    device_key: &str,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO device_sessions (origin_jti, pool_id, sub, device_key) VALUES (?1, ?2, ?3, ?4)",
    )
    .map_err(db_err)?
    .execute(params![origin_jti, pool_id, sub, device_key])
    .map_err(db_err)?;
    Ok(())
}

/// The device a session was signed in from, if any (for a refresh that names its
/// device, GetTokensFromRefreshToken's `DeviceKey`).
pub(crate) fn device_of_session(
    c: &Connection,
    origin_jti: &str,
) -> Result<Option<String>, ApiError> {
    c.prepare_cached("SELECT device_key FROM device_sessions WHERE origin_jti = ?1")
        .map_err(db_err)?
        .query_row(params![origin_jti], |r| r.get(0))
        .optional()
        .map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(key: &str, created_ms: i64) -> DeviceRow {
        DeviceRow {
            pool_id: "p".into(),
            sub: "s".into(),
            device_key: key.into(),
            group_key: "-grp".into(),
            name: None,
            verifier: None,
            remembered: false,
            created_ms,
            modified_ms: created_ms,
            last_auth_ms: created_ms,
        }
    }

    #[test]
    fn an_older_database_gains_the_device_tables_and_devices_go_with_their_user() {
        let c = Connection::open_in_memory().unwrap();
        let before = super::super::SCHEMA
            .split_once("CREATE TABLE IF NOT EXISTS devices")
            .unwrap()
            .0;
        c.execute_batch(before).unwrap();
        assert!(device_of(&c, "p", "s", "k").is_err(), "no table yet");
        // What `Store::open` runs on an existing file.
        c.execute_batch(super::super::SCHEMA).unwrap();
        c.execute(
            "INSERT INTO users (pool_id, sub, username, username_key, status, enabled, attrs, pending, created_ms, modified_ms) VALUES ('p', 's', 'u', 'u', 'CONFIRMED', 1, '{}', '{}', 0, 0)",
            [],
        )
        .unwrap();
        insert_device(&c, &device("k1", 1), 10).unwrap();
        assert_eq!(
            device_group_key(&c, "p", "s").unwrap().as_deref(),
            Some("-grp")
        );
        let v = StoredVerifier {
            salt: vec![1; 16],
            verifier: vec![2; 384],
        };
        assert!(confirm_device(&c, "p", "s", "k1", Some("phone"), &v, true, 5).unwrap());
        let got = device_of(&c, "p", "s", "k1").unwrap().unwrap();
        assert_eq!(got.verifier, Some(v));
        assert!(got.remembered && got.confirmed());
        assert_eq!(list_devices(&c, "p", "s", true, "", 10).unwrap().len(), 1);
        super::super::delete_user(&c, "p", "s").unwrap();
        assert!(device_of(&c, "p", "s", "k1").unwrap().is_none());
    }

    #[test]
    fn unconfirmed_devices_are_bounded_and_forgetting_revokes_sessions() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(super::super::SCHEMA).unwrap();
        for n in 0..5 {
            insert_device(&c, &device(&format!("k{n}"), n), 3).unwrap();
        }
        let left: i64 = c
            .query_row("SELECT COUNT(*) FROM devices", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 3);
        assert!(device_of(&c, "p", "s", "k0").unwrap().is_none(), "oldest");
        assert!(device_of(&c, "p", "s", "k4").unwrap().is_some(), "newest");
        // Unconfirmed: not listed, cannot be forgotten or updated.
        assert!(
            list_devices(&c, "p", "s", false, "", 10)
                .unwrap()
                .is_empty()
        );
        assert!(!forget_device(&c, "p", "s", "k4").unwrap());
        assert!(!set_remembered(&c, "p", "s", "k4", true, 1).unwrap());

        let v = StoredVerifier {
            salt: vec![1; 16],
            verifier: vec![2; 384],
        };
        confirm_device(&c, "p", "s", "k4", None, &v, false, 9).unwrap();
        c.execute(
            "INSERT INTO sessions (origin_jti, pool_id, sub, client_id, refresh_hash, event_id, auth_time, expires_ms) VALUES ('j', 'p', 's', 'c', x'00', 'e', 0, 0)",
            [],
        )
        .unwrap();
        link_session(&c, "j", "p", "s", "k4").unwrap();
        assert_eq!(device_of_session(&c, "j").unwrap().as_deref(), Some("k4"));
        assert!(forget_device(&c, "p", "s", "k4").unwrap());
        let revoked: i64 = c
            .query_row(
                "SELECT revoked FROM sessions WHERE origin_jti = 'j'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(revoked, 1);
        assert_eq!(device_of_session(&c, "j").unwrap(), None);
    }
}
