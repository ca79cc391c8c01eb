//! Minting the hosted sign-in's tokens: what `/oauth2/token` answers for a code, and what
//! `/oauth2/authorize` puts in the redirect of the implicit flow.
//!
//! They are the user-pool API's tokens: the session row, the keys and the claim set are
//! the ones `ops::session` makes for a sign-in through the API, so refresh, RevokeToken,
//! GlobalSignOut and the API's access-token checks treat a hosted session as any other.
//! What differs is recorded with the session, the OAuth scopes granted
//! (`store::session_scopes`), and follows from them: the access token's `scope` is the
//! granted scopes (`aws.cognito.signin.user.admin` among them only when granted) with
//! `version: 2`, the id token is issued only when `openid` is granted and carries `at_hash`
//! and the request's `nonce`.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::ops::{ensure_enabled, session};
use crate::state::{ClientRt, PoolRt, State};
use crate::store;

/// What to mint tokens for: who signed in to which client, with which grant.
pub(crate) struct IssueRequest<'a> {
    pub pool: &'a Arc<PoolRt>,
    pub client: &'a ClientRt,
    /// The user's `sub`. The user is read again when the session is written, so a user
    /// deleted or disabled since the sign-in gets no tokens.
    pub sub: &'a str,
    /// The scopes granted (requested ∩ allowed), in the order requested.
    pub scopes: &'a [String],
    /// The authorization request's `nonce`, repeated in the id token.
    pub nonce: Option<&'a str>,
    /// When the user signed in (seconds since the epoch): the tokens' `auth_time`.
    pub auth_time: i64,
    /// Whether to answer a refresh token: yes for the code flow, no for the implicit flow
    /// (RFC 6749 §4.2.2: "The authorization server MUST NOT issue a refresh token").
    pub with_refresh: bool,
}

/// The tokens of a hosted sign-in.
pub(crate) struct HostedTokens {
    pub access_token: String,
    /// Present when `openid` was granted.
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    /// The access token's validity, in seconds.
    pub expires_in: i64,
}

// By hand: the tokens are bearer secrets.
impl std::fmt::Debug for HostedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedTokens")
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl HostedTokens {
    /// The body of a successful `/oauth2/token` answer (RFC 6749 §5.1, Cognito's names):
    /// `access_token`, `id_token` (when `openid` was granted), `refresh_token` (when
    /// issued), `token_type: Bearer`, `expires_in`.
    pub(crate) fn token_response(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        });
        if let Some(id) = &self.id_token {
            body["id_token"] = json!(id);
        }
        if let Some(refresh) = &self.refresh_token {
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

/// Opens a session for the sign-in `req` describes and signs its tokens.
///
/// The session row and its scopes are written in one transaction, after the user is read
/// again there (deleted: `UserNotFoundException`; disabled: `NotAuthorizedException`); a
/// session is written for the implicit flow too, without handing out its refresh token, so
/// that its access token passes the API's checks and GlobalSignOut ends it.
pub(crate) async fn issue(state: &State, req: IssueRequest<'_>) -> Result<HostedTokens, ApiError> {
    let (pool_id, sub) = (req.pool.id.clone(), req.sub.to_owned());
    let user = state
        .store
        .read(move |c| store::user_by_sub(c, &pool_id, &sub))
        .await?
        .ok_or_else(ApiError::user_not_found)?;
    let new = session::new_session_at(req.client, &user, req.auth_time)?;
    let (row, hash) = (new.row.clone(), new.refresh_hash);
    let scopes = req.scopes.to_vec();
    let (pool_id, sub) = (req.pool.id.clone(), req.sub.to_owned());
    let user = state
        .store
        .write(move |c| {
            let user =
                store::user_by_sub(c, &pool_id, &sub)?.ok_or_else(ApiError::user_not_found)?;
            ensure_enabled(&user)?;
            store::insert_session(c, &row, &hash)?;
            store::insert_session_scopes(c, &row.origin_jti, &scopes)?;
            Ok(user)
        })
        .await?;
    let signed =
        session::sign_session(state, req.pool, req.client, &user, &new.row, req.nonce).await?;
    Ok(HostedTokens {
        access_token: signed.access_token,
        id_token: signed.id_token,
        refresh_token: req.with_refresh.then_some(new.refresh_token),
        expires_in: signed.expires_in,
    })
}
