//! What every hosted endpoint does first: the `{domain}` path segment to its pool, the
//! domain base URL, and the app client of the request checked against that pool and its
//! OAuth settings. Shared by the browser pages (authorize, login, logout) and the token
//! endpoints, so the two sides refuse the same clients for the same reasons.

use std::sync::Arc;

use crate::error::{ApiError, ExceptionName};
use crate::ops::domains::STANDARD_SCOPES;
use crate::state::{ClientRt, PoolRt, State};
use crate::store::{self, DomainRow};

/// The identity provider of the pool's own users, as `SupportedIdentityProviders` names it.
pub(crate) const COGNITO_PROVIDER: &str = "COGNITO";

/// A domain and the pool it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Hosted {
    pub domain: DomainRow,
    pub pool: Arc<PoolRt>,
}

/// Why a `{domain}` segment resolves to no pool, or a client is refused.
#[derive(Debug)]
pub(crate) enum HostedError {
    /// No pool has this domain (answered 404).
    UnknownDomain,
    /// No app client with that id in the domain's pool (a client of another pool is
    /// unknown here too, as it would be on that pool's own domain in Cognito).
    UnknownClient,
    /// The client exists but does not use OAuth: `AllowedOAuthFlowsUserPoolClient` is off,
    /// or it has no `AllowedOAuthFlows`.
    NotOAuthClient,
    /// The store failed.
    Internal(ApiError),
}

impl From<ApiError> for HostedError {
    fn from(e: ApiError) -> Self {
        HostedError::Internal(e)
    }
}

/// Looks `domain` up: the pool whose prefix or custom domain it is.
pub(crate) async fn resolve(state: &State, domain: &str) -> Result<Hosted, HostedError> {
    // Domains are lower-case DNS names: anything else cannot be one, and is not worth a
    // database read (the segment may be any text a browser sends).
    if domain.is_empty()
        || domain.len() > 253
        || !domain
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(HostedError::UnknownDomain);
    }
    let name = domain.to_owned();
    let row = state
        .store
        .read(move |c| store::domain_by_name(c, &name))
        .await?
        .ok_or(HostedError::UnknownDomain)?;
    let pool = match state.pool(&row.pool_id).await {
        Ok(pool) => pool,
        // The pool went between the two reads: its domain went with it.
        Err(e) if e.exception() == ExceptionName::ResourceNotFound => {
            return Err(HostedError::UnknownDomain);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Hosted { domain: row, pool })
}

/// The domain base URL: what an app configures where it would configure
/// `https://<prefix>.auth.<region>.amazoncognito.com` (see [`super`]).
pub(crate) fn base_url(state: &State, domain: &str) -> String {
    format!("{}/{}", state.base_url(), domain)
}

/// The app client `client_id` of `pool`, if it is an OAuth client: it belongs to the pool
/// and has `AllowedOAuthFlowsUserPoolClient` on with at least one allowed flow. Which flow
/// (`code`, `implicit`, `client_credentials`) and whether it may use the sign-in pages
/// ([`signs_in_with_cognito`]) is for the endpoint to check.
pub(crate) async fn oauth_client(
    state: &State,
    pool: &PoolRt,
    client_id: &str,
) -> Result<Arc<ClientRt>, HostedError> {
    if client_id.is_empty() || client_id.len() > 128 {
        return Err(HostedError::UnknownClient);
    }
    let client = match state.client(client_id).await {
        Ok(c) => c,
        Err(e) if e.exception() == ExceptionName::ResourceNotFound => {
            return Err(HostedError::UnknownClient);
        }
        Err(e) => return Err(e.into()),
    };
    if client.pool_id != pool.id {
        return Err(HostedError::UnknownClient);
    }
    if !client.config.allowed_oauth_flows_user_pool_client
        || client.config.allowed_oauth_flows.is_empty()
    {
        return Err(HostedError::NotOAuthClient);
    }
    Ok(client)
}

/// Whether the client allows the OAuth flow `flow` (`code`, `implicit`,
/// `client_credentials`).
pub(crate) fn allows_flow(client: &ClientRt, flow: &str) -> bool {
    client.config.allowed_oauth_flows.iter().any(|f| f == flow)
}

/// Whether the pool's own users may sign in to the client on the hosted pages:
/// `SupportedIdentityProviders` names `COGNITO`.
pub(crate) fn signs_in_with_cognito(client: &ClientRt) -> bool {
    client
        .config
        .supported_identity_providers
        .iter()
        .any(|p| p == COGNITO_PROVIDER)
}

/// A requested scope the client may not have (RFC 6749 `invalid_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidScope;

/// The scopes granted for a request's `scope` parameter (space separated): each requested
/// scope must be one of the client's `AllowedOAuthScopes` (a scope that is unknown or not
/// allowed refuses the request, as Cognito refuses it with `invalid_scope`); repeated ones
/// count once, in the order first requested. No `scope` parameter (or an empty one) grants
/// every allowed scope, as Cognito does.
pub(crate) fn grant_scopes(
    client: &ClientRt,
    requested: Option<&str>,
) -> Result<Vec<String>, InvalidScope> {
    let allowed = &client.config.allowed_oauth_scopes;
    let words: Vec<&str> = requested
        .map(|s| s.split(' ').filter(|w| !w.is_empty()).collect())
        .unwrap_or_default();
    if words.is_empty() {
        return Ok(allowed.clone());
    }
    let mut granted: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        if !allowed.iter().any(|a| a == word) {
            return Err(InvalidScope);
        }
        if !granted.iter().any(|g| g == word) {
            granted.push(word.to_owned());
        }
    }
    Ok(granted)
}

/// Whether `scope` is one of the scopes every pool knows (`openid`, `email`, `phone`,
/// `profile`, `aws.cognito.signin.user.admin`) rather than a resource server's.
pub(crate) fn is_standard_scope(scope: &str) -> bool {
    STANDARD_SCOPES.contains(&scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn client(scopes: &[&str]) -> ClientRt {
        let mut config = ClientConfig::new("web");
        config.allowed_oauth_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        ClientRt {
            id: "c".into(),
            pool_id: "p".into(),
            secret: None,
            config,
            created_ms: 0,
            modified_ms: 0,
        }
    }

    #[test]
    fn no_scope_grants_every_allowed_scope() {
        let c = client(&["openid", "email", "api/read"]);
        assert_eq!(
            grant_scopes(&c, None).unwrap(),
            vec!["openid", "email", "api/read"]
        );
        assert_eq!(grant_scopes(&c, Some("  ")).unwrap().len(), 3);
    }

    #[test]
    fn requested_scopes_are_granted_once_in_order_and_must_be_allowed() {
        let c = client(&["openid", "email", "api/read"]);
        assert_eq!(
            grant_scopes(&c, Some("api/read openid api/read")).unwrap(),
            vec!["api/read", "openid"]
        );
        assert_eq!(grant_scopes(&c, Some("openid phone")), Err(InvalidScope));
        assert_eq!(grant_scopes(&c, Some("api/write")), Err(InvalidScope));
        assert!(is_standard_scope("openid"));
        assert!(!is_standard_scope("api/read"));
    }
}
