//! Verified forms of the session's tokens (feature `verify`): the client's tokens checked
//! with a [`userpool_verify::Verifier`] (signature against the pool's JWKS, issuer, kind,
//! client, expiry, the verifier's rules), for code that hands them on and wants the same
//! guarantee a service gets, or that reads claims it must be able to trust.
//!
//! Without it the facade decodes its tokens without checking their signature (it got them
//! from the pool over TLS); nothing here changes that path: verification happens only when
//! asked for.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use userpool::Auth;
//! use userpool::verify::{Pool, TokenUse, Verifier};
//!
//! let verifier = Verifier::builder()
//!     .pool(
//!         Pool::cognito("eu-west-1_AbCdEfGhI")?
//!             .token_use(TokenUse::Either)
//!             .client_id("7abc123clientid"),
//!     )
//!     .build()?;
//! let auth = Auth::builder()
//!     .user_pool_id("eu-west-1_AbCdEfGhI")
//!     .client_id("7abc123clientid")
//!     .verifier(verifier)
//!     .build()?;
//! // ... sign in ...
//! let verified = auth.verified_session().await?;
//! println!("{} is in {:?}", verified.access.sub(), verified.access.groups());
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

pub use userpool_verify::{Pool, TokenUse, VerifiedClaims, Verifier, VerifyError};

use crate::{Auth, Error, Session};

/// The session with both of its tokens verified.
#[derive(Clone)]
#[non_exhaustive]
pub struct VerifiedSession {
    /// The session the tokens are from (the same one
    /// [`current_session`](Auth::current_session) answers).
    pub session: Arc<Session>,
    /// The access token's verified claims.
    pub access: VerifiedClaims,
    /// The id token's verified claims.
    pub id: VerifiedClaims,
}

impl fmt::Debug for VerifiedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session's Debug shows no token; the claims' Debug shows a summary only.
        f.debug_struct("VerifiedSession")
            .field("access", &self.access)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Which token of a session a [`SessionVerifyError::Rejected`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionToken {
    /// The access token.
    Access,
    /// The id token.
    Id,
}

impl fmt::Display for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Access => "access",
            Self::Id => "id",
        })
    }
}

/// Why a verified form of the session could not be had. Its text never holds a token.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionVerifyError {
    /// The `Auth` was built without [`AuthBuilder::verifier`](crate::AuthBuilder::verifier).
    NoVerifier,
    /// There is no session to verify (not signed in, a refresh failed, ...): the error of
    /// [`Auth::current_session`].
    Session(Error),
    /// A token of the session did not pass the verifier.
    Rejected {
        /// Which token.
        token: SessionToken,
        /// The verifier's reason.
        source: VerifyError,
    },
}

impl fmt::Display for SessionVerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoVerifier => {
                f.write_str("no token verifier is configured (AuthBuilder::verifier)")
            }
            Self::Session(e) => write!(f, "no session to verify: {e}"),
            Self::Rejected { token, source } => {
                write!(f, "the session's {token} token did not verify: {source}")
            }
        }
    }
}

impl std::error::Error for SessionVerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NoVerifier => None,
            Self::Session(e) => Some(e),
            Self::Rejected { source, .. } => Some(source),
        }
    }
}

/// Verified forms of a [`Session`]'s tokens, with a verifier of the caller's choosing.
///
/// A trait because [`Session`] belongs to `userpool-types`; `use
/// userpool::verify::VerifySession` brings the methods in.
#[crate::async_trait]
pub trait VerifySession {
    /// The access token, verified by `verifier` (whose pool must accept access tokens).
    async fn verified_access(&self, verifier: &Verifier) -> Result<VerifiedClaims, VerifyError>;

    /// The id token, verified by `verifier` (whose pool must accept id tokens).
    async fn verified_id(&self, verifier: &Verifier) -> Result<VerifiedClaims, VerifyError>;
}

#[crate::async_trait]
impl VerifySession for Session {
    async fn verified_access(&self, verifier: &Verifier) -> Result<VerifiedClaims, VerifyError> {
        verifier.verify(self.access_token().raw().expose()).await
    }

    async fn verified_id(&self, verifier: &Verifier) -> Result<VerifiedClaims, VerifyError> {
        verifier.verify(self.id_token().raw().expose()).await
    }
}

impl Auth {
    /// The verifier given to [`AuthBuilder::verifier`](crate::AuthBuilder::verifier), if
    /// any.
    pub fn verifier(&self) -> Option<&Verifier> {
        self.inner.config.verifier.as_ref()
    }

    /// The current session ([`current_session`](Self::current_session): refreshed when
    /// needed) with both tokens verified by the configured verifier, whose pool must then
    /// accept both kinds ([`TokenUse::Either`]). The verifier fetches the pool's JWKS on
    /// first use and caches it.
    ///
    /// # Errors
    ///
    /// [`SessionVerifyError::NoVerifier`], [`SessionVerifyError::Session`] (the errors of
    /// `current_session`), [`SessionVerifyError::Rejected`] (the access token is checked
    /// first).
    pub async fn verified_session(&self) -> Result<VerifiedSession, SessionVerifyError> {
        let verifier = self.verifier().ok_or(SessionVerifyError::NoVerifier)?;
        let session = self
            .current_session()
            .await
            .map_err(SessionVerifyError::Session)?;
        let access = session.verified_access(verifier).await.map_err(|source| {
            SessionVerifyError::Rejected {
                token: SessionToken::Access,
                source,
            }
        })?;
        let id =
            session
                .verified_id(verifier)
                .await
                .map_err(|source| SessionVerifyError::Rejected {
                    token: SessionToken::Id,
                    source,
                })?;
        Ok(VerifiedSession {
            session,
            access,
            id,
        })
    }

    /// The current session's access token, verified by the configured verifier: what a
    /// service receiving it would see.
    ///
    /// # Errors
    ///
    /// As [`verified_session`](Self::verified_session), for the access token only.
    pub async fn verified_access(&self) -> Result<VerifiedClaims, SessionVerifyError> {
        let verifier = self.verifier().ok_or(SessionVerifyError::NoVerifier)?;
        let session = self
            .current_session()
            .await
            .map_err(SessionVerifyError::Session)?;
        session
            .verified_access(verifier)
            .await
            .map_err(|source| SessionVerifyError::Rejected {
                token: SessionToken::Access,
                source,
            })
    }
}
