//! [`Auth`]: the client, and every operation, one module per group of operations.

mod attributes;
mod devices;
pub(crate) mod hosted;
mod mfa;
mod passwords;
mod session;
mod sign_in;
mod sign_out;
mod sign_up;
mod user_auth;

pub use hosted::{
    Browser, CommandBrowser, DEFAULT_REDIRECT_PATH, DEFAULT_REDIRECT_TIMEOUT, DEFAULT_SCOPES,
    DEFAULT_SIGN_OUT_PATH, HostedConfig, RedirectSignInOptions, SystemBrowser,
};
pub use user_auth::ConfirmSignUpOutcome;
pub(crate) use user_auth::{AutoSignInSlot, first_factor_selection, web_authn_unsupported};

use std::fmt;
use std::sync::Arc;

use userpool_hub::{Hub, Listener, Subscription};
use userpool_srp::{PasswordVerifierAnswer, SrpError, SrpSignIn};
use userpool_storage::Storage;
use userpool_transport::{
    AuthOutcome, Challenge, ChallengeRequest, ChallengeResponse, ClientMetadata, InitiateAuth,
    SignUpRequest, SoftwareTokenAuth, Transport,
};
use userpool_types::{
    AUTH_CHANNEL, AttributeName, AttributeUpdateResult, AttributeUpdateResults, Attributes,
    AuthEvent, AuthFlow, ChallengeName, ClientId, Code, CodeDeliveryDetails, Error, MfaPreference,
    MfaPreferenceUpdate, MfaSettings, MfaType, NextStep, Password, SecretString, Session,
    SignUpResult, TotpSetupDetails, User, UserPoolId, Username,
};

use crate::challenge::{self, Pending, Step};
use crate::config::{AuthBuilder, Config};
use crate::inner::{Inner, parse_tokens};
use crate::retry::{Replay, with_retry};
use crate::{
    Clock, ConfirmSignInOptions, ConfirmSignUpOptions, CurrentUserOptions, RequestOptions,
    SignInOptions, SignOutOptions, SignUpOptions,
};

/// The outcome of a sign-in step: signed in, or what the user must answer next.
///
/// Answer a [`NextStep`] with [`Auth::confirm_sign_in`] (MFA codes, custom challenges,
/// the choice of an MFA method) or [`Auth::complete_new_password`]. Until then the sign-in
/// is *pending*: it is not a signed-in user, and [`Auth::current_session`] fails with
/// [`Error::SignInPending`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignInResult {
    /// The user is signed in; the session is stored.
    SignedIn,
    /// The sign-in waits for the answer to a challenge.
    NextStep(NextStep),
}

impl SignInResult {
    /// True when the user is signed in.
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::SignedIn)
    }

    /// What the user must answer next, when the sign-in is not complete.
    pub fn next_step(&self) -> Option<&NextStep> {
        match self {
            Self::NextStep(step) => Some(step),
            Self::SignedIn => None,
        }
    }
}

/// The client of one app client of one user pool: every operation of Amplify JS's `Auth`
/// on Cognito user pools.
///
/// Cheap to clone (the clones share one state, one session and one hub) and safe to use
/// from many tasks at once. Build one with [`Auth::builder`]. `Debug` shows the
/// configuration and who is signed in, never a secret or a token.
#[derive(Clone)]
pub struct Auth {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("config", &self.inner.config)
            .field("storage", &self.inner.storage)
            .field("signed_in", &self.inner.is_signed_in())
            .field("username", &self.inner.username())
            .field("pending_sign_in", &self.inner.pending())
            .finish_non_exhaustive()
    }
}

fn non_empty(field: &'static str, secret: &SecretString) -> Result<(), Error> {
    if secret.is_empty() {
        return Err(Error::InvalidInput {
            field,
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

/// An SRP failure: `what` says which step, the SRP error stays the `source()`.
fn srp_error(what: &'static str) -> impl FnOnce(SrpError) -> Error {
    move |e| Error::Srp {
        reason: what.to_owned(),
        source: Some(Arc::new(e)),
    }
}

fn no_pending(what: &str) -> Error {
    Error::InvalidInput {
        field: "sign-in",
        reason: format!("no sign-in waits for {what}; call sign_in first"),
    }
}

/// Drops the attributes only the pool sets (`sub`, `identities`, `email_verified`, `phone_number_verified`), which Cognito refuses in
/// an update; answers what is left.
fn writable(attributes: Attributes) -> Attributes {
    attributes
        .into_iter()
        .filter(|(name, _)| {
            let keep = !name.is_server_managed();
            if !keep {
                tracing::debug!(attribute = %name, "not sent: set by the pool only");
            }
            keep
        })
        .collect()
}

impl Auth {
    /// Starts configuring a client.
    ///
    /// ```
    /// # fn main() -> Result<(), userpool::Error> {
    /// let auth = userpool::Auth::builder()
    ///     .user_pool_id("eu-west-1_AbCdEfGhI")
    ///     .client_id("7abc123clientid")
    ///     .build()?;
    /// assert_eq!(auth.region(), "eu-west-1");
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    pub(crate) fn from_parts(
        config: Config,
        transport: Arc<dyn Transport>,
        storage: Arc<dyn Storage>,
        hub: Hub<AuthEvent>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner::new(config, transport, storage, hub, clock)),
        }
    }

    /// One Cognito call through the transport, retried as the client's [`RetryPolicy`]
    /// and `replay` allow.
    ///
    /// [`RetryPolicy`]: crate::RetryPolicy
    pub(crate) async fn retrying<T, F, Fut>(
        &self,
        replay: Replay,
        operation: &'static str,
        call: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        with_retry(&self.inner.config.retry, replay, operation, call).await
    }

    /// Emits `success(&value)` or `failure(error)` for the outcome of an operation, and
    /// hands the outcome back.
    pub(crate) fn emit_outcome<T>(
        &self,
        result: Result<T, Error>,
        success: impl FnOnce(&T) -> Option<AuthEvent>,
        failure: impl FnOnce(Error) -> AuthEvent,
    ) -> Result<T, Error> {
        match &result {
            Ok(value) => {
                if let Some(event) = success(value) {
                    self.inner.emit(event);
                }
            }
            Err(error) => self.inner.emit(failure(error.clone())),
        }
        result
    }

    // ------------------------------------------------------------ configuration

    /// The user pool id.
    pub fn user_pool_id(&self) -> &UserPoolId {
        &self.inner.config.user_pool_id
    }

    /// The app client id.
    pub fn client_id(&self) -> &ClientId {
        &self.inner.config.client_id
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.inner.config.region
    }

    /// The endpoint override, if any.
    pub fn endpoint(&self) -> Option<&str> {
        self.inner.config.endpoint.as_deref()
    }

    /// The default sign-in flow.
    pub fn auth_flow(&self) -> AuthFlow {
        self.inner.config.auth_flow
    }

    /// The token store.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    // ------------------------------------------------------------ events

    /// The hub the client emits its events on (channel [`AUTH_CHANNEL`], `"auth"`).
    pub fn hub(&self) -> &Hub<AuthEvent> {
        &self.inner.hub
    }

    /// Calls `f` with every event of the `auth` channel, until the returned [`Listener`]
    /// is dropped or removed (or detached: then for the life of the hub). `f` runs on its
    /// own worker: a slow or panicking listener never delays or breaks an operation.
    pub fn listen<F>(&self, f: F) -> Listener
    where
        F: Fn(&AuthEvent) + Send + Sync + 'static,
    {
        self.inner.hub.listen(AUTH_CHANNEL, f)
    }

    /// A stream of the events of the `auth` channel from now on.
    pub fn subscribe(&self) -> Subscription<AuthEvent> {
        self.inner.hub.subscribe(AUTH_CHANNEL)
    }
}
