//! Sign-in sessions: issuing the three tokens, and authenticating an access token
//! (signature, expiry, `token_use`, revocation, the user still there and enabled).
//!
//! The hosted sign-in's sessions (`hosted::issue`) are the same sessions: the same row,
//! the same keys and claims, with the OAuth scopes granted recorded beside the row
//! (`store::session_scopes`). Every token issued with such a session, at the sign-in or
//! at a refresh, carries those scopes instead of `aws.cognito.signin.user.admin`, and its
//! id token only when `openid` was granted.

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
    new_session_at(client, user, util::now_ms() / 1000)
}

/// Prepares a session for a sign-in that happened at `auth_time` (seconds since the
/// epoch): the hosted sign-in signs the user in at `/login` and issues the tokens later, at
/// `/oauth2/token`, and the tokens' `auth_time` is the sign-in's.
pub(crate) fn new_session_at(
    client: &ClientRt,
    user: &User,
    auth_time: i64,
) -> Result<NewSession, ApiError> {
    let (refresh_token, refresh_hash) = tokens::new_refresh_token()?;
    let now = util::now_ms();
    Ok(NewSession {
        row: SessionRow {
            origin_jti: util::uuid_v4()?,
            pool_id: client.pool_id.clone(),
            sub: user.sub.clone(),
            client_id: client.id.clone(),
            event_id: util::uuid_v4()?,
            auth_time,
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
/// `AuthenticationResult`. A session of the hosted sign-in gets its OAuth tokens (see
/// [`sign_session`]); `IdToken` is then left out when `openid` was not granted.
pub(crate) async fn authentication_result(
    state: &State,
    pool: &Arc<PoolRt>,
    client: &ClientRt,
    user: &User,
    session: &SessionRow,
    refresh_token: Option<&str>,
) -> Result<Value, ApiError> {
    let signed = sign_session(state, pool, client, user, session, None).await?;
    let mut result = json!({
        "AccessToken": signed.access_token,
        "ExpiresIn": signed.expires_in,
        "TokenType": "Bearer",
    });
    if let Some(id) = signed.id_token {
        result["IdToken"] = json!(id);
    }
    if let Some(r) = refresh_token {
        result["RefreshToken"] = json!(r);
    }
    Ok(json!({ "AuthenticationResult": result, "ChallengeParameters": {} }))
}

/// The signed tokens of a session.
pub(crate) struct SignedTokens {
    pub access_token: String,
    /// Absent for a session of the hosted sign-in granted no `openid`.
    pub id_token: Option<String>,
    /// The access token's validity, in seconds.
    pub expires_in: i64,
    /// The OAuth scopes of the session, for a session of the hosted sign-in.
    pub scopes: Option<Vec<String>>,
}

// By hand: the tokens are bearer secrets.
impl std::fmt::Debug for SignedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedTokens")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Signs the id and access tokens of a session (on the crypto pool).
///
/// For a session of the hosted sign-in (one with recorded scopes) the access token carries
/// the scopes and `version: 2`, the id token is issued only when `openid` was granted and
/// carries `at_hash` (OpenID Connect Core §3.1.3.6, as Cognito's hosted id tokens do) and
/// `nonce` when one is given (the first issue after `/oauth2/authorize`; a refreshed id
/// token has none, OpenID Connect Core §12.2 leaves it out).
pub(crate) async fn sign_session(
    state: &State,
    pool: &Arc<PoolRt>,
    client: &ClientRt,
    user: &User,
    session: &SessionRow,
    nonce: Option<&str>,
) -> Result<SignedTokens, ApiError> {
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
    let (pool_id, sub, jti) = (
        pool.id.clone(),
        user.sub.clone(),
        session.origin_jti.clone(),
    );
    let (groups, scopes) = state
        .store
        .read(move |c| {
            let groups = super::groups::token_groups(c, &pool_id, &sub)?;
            Ok((groups, store::session_scopes(c, &jti)?))
        })
        .await?;
    let mut claims = ClaimsBuilder::new(&user.sub, &user.username, &client.id, now)
        .issuer(iss)
        .origin_jti(&session.origin_jti)
        .event_id(&session.event_id)
        .auth_time(session.auth_time)
        .groups(groups);
    if let Some(scopes) = &scopes {
        claims = claims.scope(scopes);
        if let Some(nonce) = nonce {
            claims = claims.nonce(nonce);
        }
    }
    let wants_id = scopes
        .as_ref()
        .is_none_or(|s| s.iter().any(|s| s == OPENID_SCOPE));
    let id = wants_id
        .then(|| {
            Ok::<_, ApiError>(claims.id_token(
                now.saturating_add(id_exp),
                Some(&util::uuid_v4()?),
                readable,
            ))
        })
        .transpose()?;
    let access =
        Value::Object(claims.access_token(now.saturating_add(access_exp), Some(&util::uuid_v4()?)));

    let signer = pool.clone();
    let hosted = scopes.is_some();
    let (id_token, access_token) = super::crypto::run(move || {
        let access_token = signer.key.sign(&access)?;
        let id_token = match id {
            Some(mut id) => {
                if hosted {
                    id.insert(claim::AT_HASH.into(), json!(at_hash(&access_token)));
                }
                Some(signer.key.sign(&Value::Object(id))?)
            }
            None => None,
        };
        Ok((id_token, access_token))
    })
    .await?;
    Ok(SignedTokens {
        access_token,
        id_token,
        expires_in: access_exp,
        scopes,
    })
}

/// The OAuth scope that asks for an id token.
pub(crate) const OPENID_SCOPE: &str = "openid";

/// `at_hash` of an RS256-signed access token: the base64url of the left half of the
/// SHA-256 of its ASCII form (OpenID Connect Core §3.1.3.6).
pub(crate) fn at_hash(access_token: &str) -> String {
    let digest = util::sha256(access_token.as_bytes());
    util::b64url(&digest[..16])
}

/// A caller authenticated by an access token.
pub(crate) struct Authed {
    pub pool: Arc<PoolRt>,
    pub client: Arc<ClientRt>,
    pub user: User,
    /// The token's `scope`, split at its spaces.
    pub scopes: Vec<String>,
}

fn invalid_access() -> ApiError {
    ApiError::not_authorized("Invalid Access Token")
}

/// Authenticates an access token for the user-pool API: [`authenticate_any_scope`], and
/// the token's `scope` must include `aws.cognito.signin.user.admin`. The API's own tokens
/// always do; a token of the hosted sign-in does only when that scope was granted, and
/// Cognito refuses the others ("Access Token does not have required scopes").
pub(crate) async fn authenticate(state: &State, token: &str) -> Result<Authed, ApiError> {
    let authed = authenticate_any_scope(state, token).await?;
    if !authed.scopes.iter().any(|s| s == claim::SIGNIN_SCOPE) {
        return Err(ApiError::not_authorized(
            "Access Token does not have required scopes",
        ));
    }
    Ok(authed)
}

/// Authenticates an access token whatever its scopes (the hosted sign-in's userInfo):
/// signature with the pool's key, `exp`, `token_use`, the session (origin_jti) not
/// revoked, the user present and enabled. (Verifying an RS256 signature is a public-key
/// operation of some tens of microseconds: it stays on the async thread, unlike signing.)
pub(crate) async fn authenticate_any_scope(state: &State, token: &str) -> Result<Authed, ApiError> {
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
    let scopes: Vec<String> = str_claim(claim::SCOPE)?
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
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
    Ok(Authed {
        pool,
        client,
        user,
        scopes,
    })
}
