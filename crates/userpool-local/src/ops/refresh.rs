//! Refreshing a session: InitiateAuth / AdminInitiateAuth `REFRESH_TOKEN_AUTH` and
//! GetTokensFromRefreshToken, two entry points over one core ([`refresh_session`]).
//!
//! Refresh-token rotation (the app client's `RefreshTokenRotation`): with it enabled, every
//! GetTokensFromRefreshToken answers a new refresh token of the same session (same
//! `origin_jti`, so GlobalSignOut and RevokeToken end it with the rest), valid for what
//! remains of the session, as Cognito documents. The token it replaces is kept as a
//! replaced token (`rotated_refresh`) and accepted again only within the client's
//! `RetryGracePeriodSeconds` after that first use, so a client that lost the answer can
//! retry; later it is refused with `RefreshTokenReuseException` and the session stays
//! (Cognito documents no family revocation on reuse; docs/local-pool.md). REFRESH_TOKEN_AUTH
//! cannot rotate, and Cognito refuses it on such a client.
//!
//! The decision and the rotation happen in one write transaction, so two refreshes racing
//! with the same token are ordered: the second sees the token already replaced and is
//! judged by the grace.

use std::sync::Arc;

use serde_json::Value;

use super::auth::flow_disabled;
use super::{
    check_client_secret, check_secret_hash, ensure_enabled, missing_param, names_user, session,
};
use crate::error::{ApiError, ExceptionName};
use crate::protocol::{Params, lookup};
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, RefreshHolder, SessionRow, User};
use crate::{tokens, util};

/// How the caller proved it is the app client, for a client with a secret.
enum ClientProof<'a> {
    /// REFRESH_TOKEN_AUTH: a `SECRET_HASH`, computed with the user's name, so it can only
    /// be checked once the token names the user. `typed_username` is the `USERNAME` the
    /// request carries, if any.
    SecretHash {
        given: Option<&'a str>,
        typed_username: Option<&'a str>,
    },
    /// GetTokensFromRefreshToken: the `ClientSecret` itself, already checked.
    ClientSecretChecked,
}

/// InitiateAuth and AdminInitiateAuth with `REFRESH_TOKEN_AUTH` (or its legacy name
/// `REFRESH_TOKEN`), with the `DEVICE_KEY` of a session signed in from a tracked device.
pub(crate) async fn initiate_refresh(
    state: &Arc<State>,
    pool: Arc<PoolRt>,
    client: Arc<ClientRt>,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    // A rotating client is one whose ALLOW_REFRESH_TOKEN_AUTH Cognito requires to be off
    // ("Refresh token rotation isn't compatible with REFRESH_TOKEN_AUTH"), so the flow is
    // refused with the answer for a flow the client does not allow, whatever the list says.
    if !client.config.flows().refresh || client.config.refresh_token_rotation.enabled {
        return Err(flow_disabled("REFRESH_TOKEN"));
    }
    let token = lookup(params, "REFRESH_TOKEN").ok_or_else(|| missing_param("REFRESH_TOKEN"))?;
    let proof = ClientProof::SecretHash {
        given: lookup(params, "SECRET_HASH"),
        typed_username: lookup(params, "USERNAME"),
    };
    let device_key = lookup(params, "DEVICE_KEY");
    refresh_session(state, &pool, &client, token, device_key, proof).await
}

/// GetTokensFromRefreshToken: `RefreshToken`, `ClientId`, `ClientSecret` (the secret
/// itself, for a client with one), `DeviceKey` (required for a session signed in from a
/// tracked device) and `ClientMetadata` (accepted and unused: no Lambda triggers). Answers `AuthenticationResult`, with a
/// new `RefreshToken` when the client rotates.
pub(crate) async fn get_tokens_from_refresh_token(
    state: &Arc<State>,
    p: Params<'_>,
) -> Result<Value, ApiError> {
    let token = p.req_str("RefreshToken")?;
    let client_id = p.req_str("ClientId")?;
    let client_secret = p.str("ClientSecret")?;
    let device_key = p.str("DeviceKey")?;
    // Read for its type only, so a malformed request is refused as Cognito would.
    p.str_map("ClientMetadata")?;
    let (client, pool) = state.client_and_pool(client_id).await?;
    // Checked before the token is looked at: without the secret, nothing is said about
    // the token.
    check_client_secret(&client, client_secret)?;
    // Without rotation this is REFRESH_TOKEN_AUTH by another name, and needs the flow the
    // same way; a rotating client is required not to list it.
    if !client.config.refresh_token_rotation.enabled && !client.config.flows().refresh {
        return Err(flow_disabled("REFRESH_TOKEN"));
    }
    let mut answer = refresh_session(
        state,
        &pool,
        &client,
        token,
        device_key,
        ClientProof::ClientSecretChecked,
    )
    .await?;
    // The response has `AuthenticationResult` only (no `ChallengeParameters`).
    if let Some(members) = answer.as_object_mut() {
        members.remove("ChallengeParameters");
    }
    Ok(answer)
}

/// The `refresh_token` grant of the hosted sign-in's `/oauth2/token`, for a client already
/// authenticated there: GetTokensFromRefreshToken's rules (the flow allowed, rotation when
/// the client rotates, as Cognito documents for the token endpoint), without a device key
/// (a session bound to a tracked device refreshes through the API, as Cognito's
/// documentation for the token endpoint says). Answers `AuthenticationResult`;
/// [`flow_disabled`] when the client may not refresh.
pub(crate) async fn oauth_refresh(
    state: &Arc<State>,
    pool: &Arc<PoolRt>,
    client: &Arc<ClientRt>,
    token: &str,
) -> Result<Value, ApiError> {
    if !client.config.refresh_token_rotation.enabled && !client.config.flows().refresh {
        return Err(flow_disabled("REFRESH_TOKEN"));
    }
    refresh_session(
        state,
        pool,
        client,
        token,
        None,
        ClientProof::ClientSecretChecked,
    )
    .await
}

fn invalid_refresh_token() -> ApiError {
    ApiError::not_authorized("Invalid Refresh Token")
}

fn revoked_refresh_token() -> ApiError {
    ApiError::not_authorized("Refresh Token has been revoked")
}

/// The answer to a replaced refresh token used after its grace. The exception is
/// Cognito's; the message is ours (Cognito's is not documented).
fn reused_refresh_token() -> ApiError {
    ApiError::new(
        ExceptionName::RefreshTokenReuse,
        "Refresh Token has been replaced by refresh token rotation",
    )
}

/// The first look at a presented token: whose it is. Unknown tokens and tokens of
/// another app client are the same answer (a client learns nothing of others' tokens).
/// A session signed in from a tracked device is bound to it: a refresh that does not name
/// that device is refused as an invalid token, as Cognito answers it ("with device
/// tracking, these tokens are linked to a single device").
fn token_owner(
    record: TokenRecord,
    client: &ClientRt,
    presented_device: Option<&str>,
) -> Result<(RefreshHolder, User), ApiError> {
    let Some(holder) = record
        .holder
        .filter(|h| holder_session(h).client_id == client.id)
    else {
        return Err(invalid_refresh_token());
    };
    if record
        .device_key
        .as_deref()
        .is_some_and(|bound| presented_device != Some(bound))
    {
        return Err(invalid_refresh_token());
    }
    // The session outlived its user only until the next prune.
    let Some(user) = record.user else {
        return Err(revoked_refresh_token());
    };
    Ok((holder, user))
}

fn holder_session(holder: &RefreshHolder) -> &SessionRow {
    match holder {
        RefreshHolder::Current(s) => s,
        RefreshHolder::Rotated { session, .. } => session,
    }
}

/// Whether the session may be refreshed now with this token: not revoked, not expired,
/// a replaced token only within its grace, the user enabled. Returns the session.
fn judge(holder: RefreshHolder, user: &User, now_ms: i64) -> Result<SessionRow, ApiError> {
    let (session, grace_until_ms) = match holder {
        RefreshHolder::Current(s) => (s, None),
        RefreshHolder::Rotated {
            session,
            grace_until_ms,
        } => (session, Some(grace_until_ms)),
    };
    if session.revoked {
        return Err(revoked_refresh_token());
    }
    if session.expires_ms <= now_ms {
        return Err(ApiError::not_authorized("Refresh Token has expired"));
    }
    if grace_until_ms.is_some_and(|until| now_ms >= until) {
        return Err(reused_refresh_token());
    }
    ensure_enabled(user)?;
    Ok(session)
}

/// What the store says of a presented token: the session holding it, its user, and the
/// device the session was signed in from (device tracking).
struct TokenRecord {
    holder: Option<RefreshHolder>,
    user: Option<User>,
    device_key: Option<String>,
}

/// Reads the token's holder, its user and its device in one go.
fn read_holder(
    c: &rusqlite::Connection,
    pool_id: &str,
    hash: &[u8],
) -> Result<TokenRecord, ApiError> {
    let Some(holder) = store::refresh_holder(c, hash)? else {
        return Ok(TokenRecord {
            holder: None,
            user: None,
            device_key: None,
        });
    };
    let session = holder_session(&holder);
    let user = store::user_by_sub(c, pool_id, &session.sub)?;
    let device_key = store::device_of_session(c, &session.origin_jti)?;
    Ok(TokenRecord {
        holder: Some(holder),
        user,
        device_key,
    })
}

/// The shared core: checks the token (and, for REFRESH_TOKEN_AUTH, the SECRET_HASH), then
/// issues new id and access tokens for its session; with rotation, a new refresh token
/// too, replacing the presented one in the same transaction as the final check.
async fn refresh_session(
    state: &Arc<State>,
    pool: &Arc<PoolRt>,
    client: &Arc<ClientRt>,
    token: &str,
    device_key: Option<&str>,
    proof: ClientProof<'_>,
) -> Result<Value, ApiError> {
    let hash = util::sha256(token.as_bytes());
    let pool_id = pool.id.clone();
    let record = state
        .store
        .read(move |c| read_holder(c, &pool_id, &hash))
        .await?;
    let (holder, user) = token_owner(record, client, device_key)?;
    if let ClientProof::SecretHash {
        given,
        typed_username,
    } = proof
    {
        let typed = typed_username.filter(|n| names_user(pool, &user, n));
        let mut names = vec![user.username.as_str(), user.sub.as_str()];
        names.extend(typed);
        check_secret_hash(client, given, &names)?;
    }
    let rotation = client.config.refresh_token_rotation;
    if !rotation.enabled {
        let session = judge(holder, &user, util::now_ms())?;
        return session::authentication_result(state, pool, client, &user, &session, None).await;
    }
    let (new_token, new_hash) = tokens::new_refresh_token()?;
    let (pool_id, client2) = (pool.id.clone(), client.clone());
    let device = device_key.map(str::to_owned);
    let (session, user) = state
        .store
        .write(move |c| {
            // Judged again on what is stored now: a racing refresh may have replaced the
            // token, a sign-out may have ended the session.
            let record = read_holder(c, &pool_id, &hash)?;
            let (holder, user) = token_owner(record, &client2, device.as_deref())?;
            let now = util::now_ms();
            let session = judge(holder, &user, now)?;
            let grace_until = now.saturating_add(rotation.grace_ms());
            store::rotate_refresh(c, &session.origin_jti, &new_hash, grace_until)?;
            Ok((session, user))
        })
        .await?;
    session::authentication_result(state, pool, client, &user, &session, Some(&new_token)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(revoked: bool, expires_ms: i64) -> SessionRow {
        SessionRow {
            origin_jti: "jti".into(),
            pool_id: "p".into(),
            sub: "s".into(),
            client_id: "c".into(),
            event_id: "e".into(),
            auth_time: 0,
            expires_ms,
            revoked,
        }
    }

    fn user(enabled: bool) -> User {
        User {
            pool_id: "p".into(),
            sub: "s".into(),
            username: "rex".into(),
            username_key: "rex".into(),
            status: crate::store::UserStatus::Confirmed,
            enabled,
            attrs: Default::default(),
            pending: Default::default(),
            verifier: None,
            temp_expires_ms: None,
            failed: 0,
            locked_until_ms: 0,
            cred_gen: 0,
            created_ms: 0,
            modified_ms: 0,
        }
    }

    #[test]
    fn a_replaced_token_works_only_before_its_grace_ends() {
        let now = 1_000_000;
        let within = RefreshHolder::Rotated {
            session: session(false, now + 10_000),
            grace_until_ms: now + 1,
        };
        assert!(judge(within, &user(true), now).is_ok());
        let at_the_end = RefreshHolder::Rotated {
            session: session(false, now + 10_000),
            grace_until_ms: now,
        };
        let e = judge(at_the_end, &user(true), now).unwrap_err();
        assert_eq!(e.kind(), "RefreshTokenReuseException");
    }

    #[test]
    fn revocation_and_expiry_come_before_the_grace() {
        let now = 1_000_000;
        let revoked = RefreshHolder::Rotated {
            session: session(true, now + 10_000),
            grace_until_ms: now - 1,
        };
        assert_eq!(
            judge(revoked, &user(true), now).unwrap_err().message(),
            "Refresh Token has been revoked"
        );
        let expired = RefreshHolder::Current(session(false, now));
        assert_eq!(
            judge(expired, &user(true), now).unwrap_err().message(),
            "Refresh Token has expired"
        );
        let disabled = RefreshHolder::Current(session(false, now + 1));
        assert_eq!(
            judge(disabled, &user(false), now).unwrap_err().message(),
            "User is disabled."
        );
    }
}
