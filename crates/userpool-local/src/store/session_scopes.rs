//! The `session_scopes` table: the OAuth scopes granted to a session of the hosted sign-in
//! (`/oauth2/authorize` then `/oauth2/token`), so that every token issued with the session
//! later (a refresh, through `/oauth2/token` or the API) carries the scopes originally
//! granted. Sessions of the user-pool API have no row: their access tokens carry
//! `aws.cognito.signin.user.admin`. A row goes with its session (a trigger in the schema).

use rusqlite::{Connection, OptionalExtension as _, params};

use super::db_err;
use crate::error::ApiError;

/// Records the scopes granted to session `origin_jti`, in the order granted. Scopes never
/// contain a space (RFC 6749 §3.3), so they are stored joined by spaces.
pub(crate) fn insert_session_scopes(
    c: &Connection,
    origin_jti: &str,
    scopes: &[String],
) -> Result<(), ApiError> {
    c.prepare_cached("INSERT INTO session_scopes (origin_jti, scopes) VALUES (?1, ?2)")
        .map_err(db_err)?
        .execute(params![origin_jti, scopes.join(" ")])
        .map_err(db_err)?;
    Ok(())
}

/// The scopes granted to session `origin_jti`, if it is a session of the hosted sign-in.
pub(crate) fn session_scopes(
    c: &Connection,
    origin_jti: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let joined: Option<String> = c
        .prepare_cached("SELECT scopes FROM session_scopes WHERE origin_jti = ?1")
        .map_err(db_err)?
        .query_row(params![origin_jti], |r| r.get(0))
        .optional()
        .map_err(db_err)?;
    Ok(joined.map(|s| {
        s.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SessionRow, insert_session, prune_sessions};

    #[test]
    fn scopes_are_kept_in_order_and_go_with_their_session() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(super::super::SCHEMA).unwrap();
        let row = SessionRow {
            origin_jti: "o-1".into(),
            pool_id: "p".into(),
            sub: "s".into(),
            client_id: "c".into(),
            event_id: "e".into(),
            auth_time: 0,
            expires_ms: 1,
            revoked: false,
        };
        insert_session(&c, &row, b"hash").unwrap();
        let scopes = vec!["openid".to_owned(), "rs/read".to_owned()];
        insert_session_scopes(&c, "o-1", &scopes).unwrap();
        assert_eq!(session_scopes(&c, "o-1").unwrap(), Some(scopes));
        assert_eq!(session_scopes(&c, "o-2").unwrap(), None);
        prune_sessions(&c, 1 + 86_400_001).unwrap();
        assert_eq!(
            session_scopes(&c, "o-1").unwrap(),
            None,
            "pruned with the session"
        );
    }
}
