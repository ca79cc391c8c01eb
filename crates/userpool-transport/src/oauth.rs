//! The OAuth 2.0 side of a user pool: the [`OAuthTransport`] trait, the requests of the
//! pool domain's `/oauth2/token` and `/oauth2/revoke` endpoints, their answers and their
//! errors.
//!
//! Hosted sign-in (`Auth::sign_in_with_redirect`) gets its authorization code from the
//! browser and redeems it here. Like [`Transport`](crate::Transport), this trait names no
//! HTTP client: its implementation on hyper is `HttpsOAuthTransport` in
//! `userpool-transport-sdk`, and tests use the generated `MockOAuthTransport` (feature
//! `test-util`).
//!
//! An OAuth transport is bound to one app client on one domain (the *domain base URL*,
//! `https://<prefix>.auth.<region>.amazoncognito.com` on Cognito). It sends the client id
//! with every request and, when it holds the app client's secret, authenticates with HTTP
//! Basic (RFC 6749 §2.3.1), as Cognito's token endpoint accepts.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use userpool_types::{ClientId, Error, SecretString};

/// A shared cause: [`Error`]'s sources are `Arc`s, so that errors stay `Clone`.
type BoxError = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// What a token request asks for (`grant_type`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TokenGrant {
    /// `grant_type=authorization_code`: redeems the code the authorization endpoint sent
    /// to the redirect URI, with the PKCE verifier of the authorization request
    /// (RFC 7636 §4.5).
    AuthorizationCode {
        /// `code`: single use, valid five minutes on Cognito.
        code: SecretString,
        /// `redirect_uri`: exactly the one of the authorization request.
        redirect_uri: String,
        /// `code_verifier`: the secret whose S256 hash was the `code_challenge`.
        code_verifier: SecretString,
    },
    /// `grant_type=refresh_token`: new ID and access tokens for a refresh token.
    RefreshToken {
        /// `refresh_token`.
        refresh_token: SecretString,
    },
}

impl TokenGrant {
    /// The `grant_type` value.
    pub fn grant_type(&self) -> &'static str {
        match self {
            Self::AuthorizationCode { .. } => "authorization_code",
            Self::RefreshToken { .. } => "refresh_token",
        }
    }
}

/// What the token endpoint answers (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
///
/// `#[non_exhaustive]`; a transport builds one with [`new`](Self::new) and the `with_*`
/// setters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OAuthTokens {
    /// `access_token`.
    pub access_token: SecretString,
    /// `id_token`: present when the `openid` scope was granted.
    pub id_token: Option<SecretString>,
    /// `refresh_token`: present after an authorization-code grant.
    pub refresh_token: Option<SecretString>,
    /// `token_type`: `Bearer` on Cognito.
    pub token_type: String,
    /// `expires_in`: seconds until the access token expires.
    pub expires_in: Option<i64>,
}

impl OAuthTokens {
    /// An answer with an access token of type `token_type` only.
    pub fn new(access_token: SecretString, token_type: impl Into<String>) -> Self {
        Self {
            access_token,
            id_token: None,
            refresh_token: None,
            token_type: token_type.into(),
            expires_in: None,
        }
    }

    /// Sets the ID token.
    pub fn with_id_token(mut self, id_token: SecretString) -> Self {
        self.id_token = Some(id_token);
        self
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, refresh_token: SecretString) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// Sets the seconds until the access token expires.
    pub fn with_expires_in(mut self, expires_in: i64) -> Self {
        self.expires_in = Some(expires_in);
        self
    }
}

/// The `error` of an OAuth error answer: RFC 6749 §5.2 for the token endpoint, §4.1.2.1 for
/// an authorization redirect, RFC 7009 §2.2.1 for revocation. Codes outside these lists
/// are kept as [`Other`](Self::Other).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client`: the client is unknown or its authentication failed.
    InvalidClient,
    /// `invalid_grant`: the code or refresh token is invalid, expired, revoked, already
    /// used, or was issued to another client or redirect URI (or the PKCE verifier does
    /// not match).
    InvalidGrant,
    /// `unauthorized_client`: the client may not use this grant.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`.
    InvalidScope,
    /// `access_denied` (a redirect): the user or the server refused.
    AccessDenied,
    /// `unsupported_response_type` (a redirect).
    UnsupportedResponseType,
    /// `server_error` (a redirect).
    ServerError,
    /// `temporarily_unavailable` (a redirect).
    TemporarilyUnavailable,
    /// `unsupported_token_type` (revocation).
    UnsupportedTokenType,
    /// Any other code, as sent.
    Other(String),
}

impl OAuthErrorCode {
    /// Reads an `error` value.
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "unsupported_token_type" => Self::UnsupportedTokenType,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an OAuth request failed. Converts into [`userpool_types::Error`] (see the `From`
/// impl) for the facade's callers.
///
/// No variant holds a token, code, verifier or secret: the texts come from the server's
/// `error_description` or describe this side's failure.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum OAuthError {
    /// The server answered an OAuth error (`{"error": …}`).
    Rejected {
        /// The endpoint (`/oauth2/token`, `/oauth2/revoke`).
        endpoint: &'static str,
        /// The HTTP status (400 or 401 on Cognito).
        status: u16,
        /// `error`.
        code: OAuthErrorCode,
        /// `error_description`, when sent.
        description: Option<String>,
    },
    /// A status that is neither success nor an OAuth error answer (a 5xx, a 404 of a pool
    /// without a domain, a proxy's page).
    Status {
        /// The endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
    },
    /// A success the client cannot read: not JSON, a field missing or of the wrong type.
    Malformed {
        /// The endpoint.
        endpoint: &'static str,
        /// What is wrong (never the body).
        reason: String,
    },
    /// The request did not complete: connection refused or reset, DNS, TLS.
    Network {
        /// The endpoint.
        endpoint: &'static str,
        /// What failed.
        reason: String,
        /// The underlying error.
        source: Option<BoxError>,
    },
    /// No answer within the transport's timeout.
    Timeout {
        /// The endpoint.
        endpoint: &'static str,
        /// The timeout.
        after: Duration,
    },
    /// The transport was given a URL it refuses (not HTTPS, plain HTTP to a host that is
    /// not loopback, unparsable).
    Url {
        /// Why.
        reason: String,
    },
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected {
                endpoint,
                status,
                code,
                description,
            } => {
                write!(f, "{endpoint} refused the request ({status}): {code}")?;
                if let Some(d) = description {
                    write!(f, ": {d}")?;
                }
                Ok(())
            }
            Self::Status { endpoint, status } => {
                write!(f, "{endpoint} answered HTTP {status}")
            }
            Self::Malformed { endpoint, reason } => {
                write!(f, "malformed answer of {endpoint}: {reason}")
            }
            Self::Network {
                endpoint, reason, ..
            } => write!(f, "{endpoint}: {reason}"),
            Self::Timeout { endpoint, after } => {
                write!(f, "{endpoint} did not answer within {after:?}")
            }
            Self::Url { reason } => write!(f, "refused URL: {reason}"),
        }
    }
}

impl std::error::Error for OAuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Network {
                source: Some(s), ..
            } => Some(&**s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl OAuthError {
    /// The OAuth error code, for a [`Rejected`](Self::Rejected) answer.
    pub fn code(&self) -> Option<&OAuthErrorCode> {
        match self {
            Self::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The facade's error for an OAuth failure, so that callers match on one error type:
///
/// | OAuth failure | [`Error`] |
/// |---|---|
/// | `invalid_grant`, `invalid_client`, `unauthorized_client` | `NotAuthorized` (the code, refresh token or client is refused, as the API says for the same) |
/// | any other OAuth error code | `Service { code: <the OAuth code>, message: <error_description> }` |
/// | HTTP 429 | `TooManyRequests` |
/// | HTTP 5xx | `InternalError` |
/// | another status, an unreadable answer | `MalformedResponse` |
/// | network | `Network` (this error the `source()`) |
/// | timeout | `Timeout` |
/// | refused URL | `Config` |
impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::Rejected {
                endpoint,
                code,
                description,
                ..
            } => {
                let message = match &description {
                    Some(d) => format!("{endpoint}: {code}: {d}"),
                    None => format!("{endpoint}: {code}"),
                };
                match code {
                    OAuthErrorCode::InvalidGrant
                    | OAuthErrorCode::InvalidClient
                    | OAuthErrorCode::UnauthorizedClient => Error::NotAuthorized { message },
                    other => Error::Service {
                        code: other.as_str().to_owned(),
                        message: description.unwrap_or_default(),
                    },
                }
            }
            OAuthError::Status {
                endpoint,
                status: 429,
            } => Error::TooManyRequests {
                message: format!("{endpoint} answered HTTP 429"),
            },
            OAuthError::Status { endpoint, status } if (500..600).contains(&status) => {
                Error::InternalError {
                    message: format!("{endpoint} answered HTTP {status}"),
                }
            }
            OAuthError::Status { endpoint, status } => Error::MalformedResponse {
                operation: endpoint,
                reason: format!("unexpected HTTP status {status}"),
            },
            OAuthError::Malformed { endpoint, reason } => Error::MalformedResponse {
                operation: endpoint,
                reason,
            },
            OAuthError::Network {
                endpoint, source, ..
            } => {
                // The message says what kind; the cause stays behind `source()` once.
                Error::Network {
                    reason: format!("{endpoint} could not be reached"),
                    source,
                }
            }
            OAuthError::Timeout { endpoint, after } => Error::Timeout {
                operation: endpoint,
                after,
            },
            OAuthError::Url { reason } => Error::Config { reason },
        }
    }
}

/// The token endpoint's path under the domain base URL.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// The revocation endpoint's path under the domain base URL.
pub const REVOKE_PATH: &str = "/oauth2/revoke";

/// The OAuth endpoints of one app client on one user pool domain.
///
/// Implementations make one attempt per call (the facade decides about retries), answer
/// every failure as an [`OAuthError`], and bound each request in time.
#[cfg_attr(any(test, feature = "test-util"), mockall::automock)]
#[async_trait]
pub trait OAuthTransport: Send + Sync + fmt::Debug {
    /// The app client this transport calls as.
    fn client_id(&self) -> &ClientId;

    /// `POST /oauth2/token` with `grant`.
    async fn token(&self, grant: TokenGrant) -> Result<OAuthTokens, OAuthError>;

    /// `POST /oauth2/revoke`: revokes a refresh token and the tokens issued with it.
    async fn revoke(&self, refresh_token: SecretString) -> Result<(), OAuthError>;
}

/// A shared OAuth transport is an OAuth transport.
#[async_trait]
impl<T: OAuthTransport + ?Sized> OAuthTransport for std::sync::Arc<T> {
    fn client_id(&self) -> &ClientId {
        (**self).client_id()
    }
    async fn token(&self, grant: TokenGrant) -> Result<OAuthTokens, OAuthError> {
        (**self).token(grant).await
    }
    async fn revoke(&self, refresh_token: SecretString) -> Result<(), OAuthError> {
        (**self).revoke(refresh_token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_round_trip() {
        for code in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "access_denied",
            "unsupported_response_type",
            "server_error",
            "temporarily_unavailable",
            "unsupported_token_type",
            "something_new",
        ] {
            assert_eq!(OAuthErrorCode::parse(code).as_str(), code);
        }
        assert_eq!(
            OAuthErrorCode::parse("invalid_grant"),
            OAuthErrorCode::InvalidGrant
        );
        assert_eq!(
            OAuthErrorCode::parse("x"),
            OAuthErrorCode::Other("x".into())
        );
    }

    fn rejected(code: &str) -> OAuthError {
        OAuthError::Rejected {
            endpoint: TOKEN_PATH,
            status: 400,
            code: OAuthErrorCode::parse(code),
            description: Some("why".into()),
        }
    }

    #[test]
    fn errors_map_to_the_facades() {
        assert!(matches!(
            Error::from(rejected("invalid_grant")),
            Error::NotAuthorized { message } if message.contains("invalid_grant")
        ));
        assert!(matches!(
            Error::from(rejected("invalid_client")),
            Error::NotAuthorized { .. }
        ));
        assert!(matches!(
            Error::from(rejected("invalid_scope")),
            Error::Service { code, message } if code == "invalid_scope" && message == "why"
        ));
        let status = |status| OAuthError::Status {
            endpoint: TOKEN_PATH,
            status,
        };
        assert!(matches!(
            Error::from(status(503)),
            Error::InternalError { .. }
        ));
        assert!(matches!(
            Error::from(status(429)),
            Error::TooManyRequests { .. }
        ));
        assert!(matches!(
            Error::from(status(404)),
            Error::MalformedResponse { .. }
        ));
        assert!(matches!(
            Error::from(OAuthError::Timeout {
                endpoint: TOKEN_PATH,
                after: Duration::from_secs(1)
            }),
            Error::Timeout { .. }
        ));
        assert!(matches!(
            Error::from(OAuthError::Url { reason: "x".into() }),
            Error::Config { .. }
        ));
        let network = Error::from(OAuthError::Network {
            endpoint: TOKEN_PATH,
            reason: "refused".into(),
            source: Some(std::sync::Arc::new(std::io::Error::other("refused"))),
        });
        assert!(network.is_retryable());
        assert!(std::error::Error::source(&network).is_some());
    }

    #[test]
    fn debug_of_a_grant_shows_no_secret() {
        let grant = TokenGrant::AuthorizationCode {
            code: SecretString::from("code-never-shown"),
            redirect_uri: "http://127.0.0.1:1/cb".into(),
            code_verifier: SecretString::from("verifier-never-shown"),
        };
        let tokens = OAuthTokens::new(SecretString::from("access-never-shown"), "Bearer")
            .with_refresh_token(SecretString::from("refresh-never-shown"));
        let shown = format!("{grant:?} {tokens:?}");
        for secret in [
            "code-never-shown",
            "verifier-never-shown",
            "access-never-shown",
            "refresh-never-shown",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(grant.grant_type(), "authorization_code");
    }
}
