//! The `sessions` table: one row per sign-in, the refresh token and every access token
//! issued with it; and `rotated_refresh`: the refresh tokens that rotation replaced, each
//! naming its session, kept until the session is pruned so that a reused one can be told
//! from a token that never existed.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;

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

/// The session a refresh token was issued for, whether it is the session's current token
/// or one that rotation replaced (RevokeToken with a replaced token still ends its
/// session).
pub(crate) fn session_by_refresh(
    c: &Connection,
    hash: &[u8],
) -> Result<Option<SessionRow>, ApiError> {
    Ok(refresh_holder(c, hash)?.map(|h| match h {
        RefreshHolder::Current(s) => s,
        RefreshHolder::Rotated { session, .. } => session,
    }))
}

/// Where a refresh token stands.
#[derive(Debug, Clone)]
pub(crate) enum RefreshHolder {
    /// The current refresh token of this session.
    Current(SessionRow),
    /// A token of this session that rotation replaced; it is accepted again only before
    /// `grace_until_ms`.
    Rotated {
        session: SessionRow,
        grace_until_ms: i64,
    },
}

/// Finds a refresh token, current or replaced. A replaced token whose session is gone
/// (deleted user or client, not yet pruned) is not found.
pub(crate) fn refresh_holder(
    c: &Connection,
    hash: &[u8],
) -> Result<Option<RefreshHolder>, ApiError> {
    let current = c
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE refresh_hash = ?1"
        ))
        .map_err(db_err)?
        .query_row(params![hash], session_from_row)
        .optional()
        .map_err(db_err)?;
    if let Some(s) = current {
        return Ok(Some(RefreshHolder::Current(s)));
    }
    let rotated: Option<(String, i64)> = c
        .prepare_cached(
            "SELECT origin_jti, grace_until_ms FROM rotated_refresh WHERE refresh_hash = ?1",
        )
        .map_err(db_err)?
        .query_row(params![hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(db_err)?;
    let Some((jti, grace_until_ms)) = rotated else {
        return Ok(None);
    };
    Ok(
        session_by_jti(c, &jti)?.map(|session| RefreshHolder::Rotated {
            session,
            grace_until_ms,
        }),
    )
}

/// Rotation: the session's current refresh token is replaced by `new_hash`, and is kept
/// as a replaced token accepted until `grace_until_ms`. A token replaced earlier keeps the
/// deadline it got then.
pub(crate) fn rotate_refresh(
    c: &Connection,
    jti: &str,
    new_hash: &[u8],
    grace_until_ms: i64,
) -> Result<(), ApiError> {
    c.prepare_cached(
        "INSERT INTO rotated_refresh (refresh_hash, origin_jti, grace_until_ms) SELECT refresh_hash, origin_jti, ?2 FROM sessions WHERE origin_jti = ?1",
    )
    .map_err(db_err)?
    .execute(params![jti, grace_until_ms])
    .map_err(db_err)?;
    let changed = c
        .prepare_cached("UPDATE sessions SET refresh_hash = ?2 WHERE origin_jti = ?1")
        .map_err(db_err)?
        .execute(params![jti, new_hash])
        .map_err(db_err)?;
    if changed != 1 {
        return Err(ApiError::internal(
            "rotated the refresh token of no session",
        ));
    }
    Ok(())
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
/// The replaced refresh tokens of sessions that are gone (pruned here, or deleted with
/// their user, client or pool) are forgotten too.
pub(crate) fn prune_sessions(c: &Connection, now_ms: i64) -> Result<usize, ApiError> {
    let sessions = c
        .execute(
            "DELETE FROM sessions WHERE expires_ms < ?1",
            params![now_ms - 86_400_000],
        )
        .map_err(db_err)?;
    c.execute(
        "DELETE FROM rotated_refresh WHERE origin_jti NOT IN (SELECT origin_jti FROM sessions)",
        [],
    )
    .map_err(db_err)?;
    Ok(sessions)
}
