//! Sign-in sessions: issuing the three tokens, and authenticating an access token
//! (signature, expiry, `token_use`, revocation, the user still there and enabled).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use userpool_types::ClaimsBuilder;
use userpool_types::claims as claim;

use crate::attributes;
use crate::error::{ApiError, ExceptionName};
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, SessionRow, User};
use crate::tokens::{self, TokenError};
use crate::util;

/// A new session, ready to be inserted, with its refresh token.
pub(crate) struct NewSession {
    pub row: SessionRow,
    pub refresh_token: String,
    pub refresh_hash: [u8; 32],
}

/// Prepares a session for a fresh sign-in.
pub(crate) fn new_session(client: &ClientRt, user: &User) -> Result<NewSession, ApiError> {
    let (refresh_token, refresh_hash) = tokens::new_refresh_token()?;
    let now = util::now_ms();
    Ok(NewSession {
        row: SessionRow {
            origin_jti: util::uuid_v4()?,
            pool_id: client.pool_id.clone(),
            sub: user.sub.clone(),
            client_id: client.id.clone(),
            event_id: util::uuid_v4()?,
            auth_time: now / 1000,
            expires_ms: now.saturating_add(util::duration_ms(
                client.config.refresh_validity().duration(),
            )),
            revoked: false,
        },
        refresh_token,
        refresh_hash,
    })
}

/// Signs the id and access tokens of a session (on the crypto pool) and builds
/// `AuthenticationResult`.
pub(crate) async fn authentication_result(
    state: &State,
    pool: &Arc<PoolRt>,
    client: &ClientRt,
    user: &User,
    session: &SessionRow,
    refresh_token: Option<&str>,
) -> Result<Value, ApiError> {
    let now = util::now_secs();
    let iss = state.issuer(&pool.id);
    // A validity is at most u32::MAX days, which fits in i64 seconds; the sums still
    // saturate, as the configuration is read back from the database.
    let seconds = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let access_exp = seconds(client.config.access_validity().duration());
    let id_exp = seconds(client.config.id_validity().duration());

    let mut readable = Map::new();
    for (name, value) in user.all_attrs() {
        if attributes::client_may_read(Some(&client.config), name) {
            readable.insert(name.to_owned(), attributes::claim_value(name, value));
        }
    }
    // Read at every issue, sign-in or refresh alike, so a refresh carries the groups the
    // user is in now, as Cognito's does.
    let (pool_id, sub) = (pool.id.clone(), user.sub.clone());
    let groups = state
        .store
        .read(move |c| super::groups::token_groups(c, &pool_id, &sub))
        .await?;
    let claims = ClaimsBuilder::new(&user.sub, &user.username, &client.id, now)
        .issuer(iss)
        .origin_jti(&session.origin_jti)
        .event_id(&session.event_id)
        .auth_time(session.auth_time)
        .groups(groups);
    let id = claims.id_token(
        now.saturating_add(id_exp),
        Some(&util::uuid_v4()?),
        readable,
    );
    let access =
        Value::Object(claims.access_token(now.saturating_add(access_exp), Some(&util::uuid_v4()?)));

    let signer = pool.clone();
    let (id_token, access_token) = super::crypto::run(move || {
        Ok((
            signer.key.sign(&Value::Object(id))?,
            signer.key.sign(&access)?,
        ))
    })
    .await?;
    let mut result = json!({
        "AccessToken": access_token,
        "ExpiresIn": access_exp,
        "TokenType": "Bearer",
        "IdToken": id_token,
    });
    if let Some(r) = refresh_token {
        result["RefreshToken"] = json!(r);
    }
    Ok(json!({ "AuthenticationResult": result, "ChallengeParameters": {} }))
}

/// A caller authenticated by an access token.
pub(crate) struct Authed {
    pub pool: Arc<PoolRt>,
    pub client: Arc<ClientRt>,
    pub user: User,
}

fn invalid_access() -> ApiError {
    ApiError::not_authorized("Invalid Access Token")
}

/// Authenticates an access token: signature with the pool's key, `exp`, `token_use`,
/// the session (origin_jti) not revoked, the user present and enabled. (Verifying an
/// RS256 signature is a public-key operation of some tens of microseconds: it stays on
/// the async thread, unlike signing.)
pub(crate) async fn authenticate(state: &State, token: &str) -> Result<Authed, ApiError> {
    let claims = tokens::peek_claims(token).ok_or_else(invalid_access)?;
    let pool_id = claims
        .get(claim::ISS)
        .and_then(Value::as_str)
        .and_then(|iss| iss.rsplit('/').next())
        .ok_or_else(invalid_access)?
        .to_owned();
    let pool = state.pool(&pool_id).await.map_err(|e| {
        if e.exception() == ExceptionName::ResourceNotFound {
            invalid_access()
        } else {
            e
        }
    })?;
    let claims = pool.key.verify(token).map_err(|_| invalid_access())?;
    match tokens::check_claims(&claims, claim::TOKEN_USE_ACCESS, util::now_secs()) {
        Ok(()) => {}
        Err(TokenError::Expired) => {
            return Err(ApiError::not_authorized("Access Token has expired"));
        }
        Err(_) => return Err(invalid_access()),
    }
    let str_claim = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(invalid_access)
    };
    let client_id = str_claim(claim::CLIENT_ID)?;
    let origin_jti = str_claim(claim::ORIGIN_JTI)?;
    let sub = str_claim(claim::SUB)?;
    let client = state
        .client(&client_id)
        .await
        .map_err(|_| invalid_access())?;
    if client.pool_id != pool.id {
        return Err(invalid_access());
    }
    let pid = pool.id.clone();
    let (session, user) = state
        .store
        .read(move |c| {
            let s = store::session_by_jti(c, &origin_jti)?;
            let u = store::user_by_sub(c, &pid, &sub)?;
            Ok((s, u))
        })
        .await?;
    let Some(user) = user else {
        return Err(ApiError::user_not_found());
    };
    if !session.is_some_and(|s| !s.revoked && s.sub == user.sub) {
        return Err(ApiError::not_authorized("Access Token has been revoked"));
    }
    super::ensure_enabled(&user)?;
    Ok(Authed { pool, client, user })
}
