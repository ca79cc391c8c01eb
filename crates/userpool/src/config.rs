//! Configuration: the builder, the clock hook and the retry policy.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use userpool_hub::Hub;
use userpool_storage::{MemoryStore, Storage};
use userpool_transport::Transport;
use userpool_types::{
    AuthEvent, AuthFlow, ClientId, ClientSecret, ClockDriftFormat, Error, UserPoolId,
};

use crate::Auth;

/// The default deadline of an operation: see [`AuthBuilder::deadline`].
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// The default refresh margin: a session counts as expired this long before the `exp` of
/// its tokens (Amplify v6 uses the same 5 seconds).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5);

/// Where the client reads the time. The default is [`SystemClock`]; tests inject a clock
/// they can move.
///
/// The clock decides when a session has expired (with the [clock drift] measured when the
/// tokens arrived) and gives the SRP timestamp.
///
/// [clock drift]: userpool_types::ClockDrift
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock ([`SystemTime::now`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// How failed calls are retried.
///
/// Only errors for which [`Error::is_retryable`] is true are retried (throttling, service
/// faults, network failures); `NotAuthorized` and every other answer of the server are
/// returned at once. A call that changes something and cannot safely be repeated (sign-up,
/// a challenge answer, a password change, a code submission, deleting the user) is retried
/// only when the server said it was throttled, because then it was not carried out; after
/// a network failure or a service fault it may have been, so the error is returned.
///
/// The delay before retry `n` (from 0) is `base_delay × 2ⁿ`, capped at `max_delay`, with
/// random jitter taking off up to half of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts in all, 100 ms then 200 ms apart (before jitter), at most 1 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts in all (at least 1), starting `base_delay`
    /// apart; the delay doubles after each attempt, up to 1 s or `base_delay`, whichever
    /// is larger.
    pub fn new(max_attempts: u32, base_delay: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            base_delay,
            max_delay: base_delay.max(Duration::from_secs(1)),
        }
    }

    /// No retry: every call is made once.
    pub fn none() -> Self {
        Self::new(1, Duration::ZERO)
    }

    /// Caps the delay between two attempts.
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Attempts in all, the first one included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay before the first retry.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest delay between two attempts.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The delay before retry `retry` (0 for the first retry), before jitter.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// The settings of an [`Auth`], as built.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) user_pool_id: UserPoolId,
    pub(crate) client_id: ClientId,
    pub(crate) has_client_secret: bool,
    pub(crate) region: String,
    pub(crate) endpoint: Option<String>,
    pub(crate) auth_flow: AuthFlow,
    pub(crate) refresh_margin: Duration,
    pub(crate) margin_secs: i64,
    pub(crate) retry: RetryPolicy,
    pub(crate) deadline: Duration,
    pub(crate) clock_drift_format: ClockDriftFormat,
    /// Verifies the session's tokens on request (`crate::verify`).
    #[cfg(feature = "verify")]
    pub(crate) verifier: Option<userpool_verify::Verifier>,
    /// Hosted sign-in (`Auth::sign_in_with_redirect`), when configured.
    pub(crate) hosted: Option<Arc<crate::auth::hosted::Hosted>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Config");
        d.field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &if self.has_client_secret {
                    Some("[redacted]")
                } else {
                    None
                },
            )
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("auth_flow", &self.auth_flow)
            .field("refresh_margin", &self.refresh_margin)
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            .field("clock_drift_format", &self.clock_drift_format)
            .field("hosted", &self.hosted);
        #[cfg(feature = "verify")]
        d.field("verifier", &self.verifier);
        d.finish()
    }
}

/// Builds an [`Auth`]. Get one from [`Auth::builder`].
///
/// Required: the user pool id and the app client id (the latter may come from an injected
/// transport). Everything else has a default:
///
/// | setting | default |
/// |---|---|
/// | [`client_secret`](Self::client_secret) | none (public app client) |
/// | [`region`](Self::region) | the region part of the user pool id |
/// | [`endpoint`](Self::endpoint) | the regional Cognito endpoint |
/// | [`storage`](Self::storage) | a [`MemoryStore`] |
/// | [`auth_flow`](Self::auth_flow) | [`AuthFlow::UserSrp`] |
/// | [`refresh_margin`](Self::refresh_margin) | 5 s |
/// | [`retry`](Self::retry) | [`RetryPolicy::default`] |
/// | [`deadline`](Self::deadline) | 30 s per operation |
/// | [`clock_drift_format`](Self::clock_drift_format) | [`ClockDriftFormat::Auto`] |
/// | [`transport`](Self::transport) | the AWS SDK transport |
/// | [`hub`](Self::hub) | a new hub |
/// | [`clock`](Self::clock) | [`SystemClock`] |
/// | `verifier` (feature `verify`) | none: the tokens are decoded, not verified |
#[derive(Default)]
pub struct AuthBuilder {
    user_pool_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    region: Option<String>,
    endpoint: Option<String>,
    storage: Option<Arc<dyn Storage>>,
    auth_flow: AuthFlow,
    refresh_margin: Option<Duration>,
    retry: Option<RetryPolicy>,
    deadline: Option<Duration>,
    clock_drift_format: ClockDriftFormat,
    transport: Option<Arc<dyn Transport>>,
    hub: Option<Hub<AuthEvent>>,
    clock: Option<Arc<dyn Clock>>,
    #[cfg(feature = "verify")]
    verifier: Option<userpool_verify::Verifier>,
    hosted: Option<crate::HostedConfig>,
}

impl fmt::Debug for AuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthBuilder")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("storage", &self.storage)
            .field("auth_flow", &self.auth_flow)
            .field("refresh_margin", &self.refresh_margin)
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            .field("clock_drift_format", &self.clock_drift_format)
            .field("transport", &self.transport)
            .field("clock", &self.clock)
            .field("hosted", &self.hosted)
            .finish_non_exhaustive()
    }
}

impl AuthBuilder {
    /// The user pool id, `<region>_<name>` (required).
    pub fn user_pool_id(mut self, id: impl Into<String>) -> Self {
        self.user_pool_id = Some(id.into());
        self
    }

    /// The app client id (required unless an injected [`transport`](Self::transport)
    /// provides it).
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The app client secret, for app clients that have one: every call then carries
    /// `SECRET_HASH`. Keep it out of code that runs on users' devices.
    pub fn client_secret(mut self, secret: impl Into<ClientSecret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The AWS region (default: the region part of the user pool id).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends every call to this endpoint (a local user pool, a proxy) instead of the
    /// regional Cognito endpoint.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Where tokens are kept (default: a [`MemoryStore`], lost when the process ends).
    /// Use a [`FileStore`](userpool_storage::FileStore) or your own
    /// [`Storage`] to stay signed in across restarts. An `Arc` of a store (also
    /// `Arc<dyn Storage>`) is a store too, to share one between clients.
    pub fn storage(mut self, storage: impl Storage + 'static) -> Self {
        self.storage = Some(Arc::new(storage));
        self
    }

    /// How [`Auth::sign_in`] proves the password (default [`AuthFlow::UserSrp`]: the
    /// password never leaves the process). A single sign-in can choose otherwise with
    /// [`SignInOptions::auth_flow`](crate::SignInOptions::auth_flow).
    pub fn auth_flow(mut self, flow: AuthFlow) -> Self {
        self.auth_flow = flow;
        self
    }

    /// How long before its tokens expire a session is refreshed (default 5 s). Whole
    /// seconds count; a fraction is rounded up.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// How failed calls are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The longest an operation may take, its retries, back-off and storage waits
    /// included (default 30 s). Past it the operation fails with [`Error::Timeout`]; the
    /// session is kept, and work it shares with other callers (a refresh, a user fetch)
    /// or a storage write it started still completes. Without it, a refresh could take
    /// three attempts of the SDK's 30 s each, and a custom transport would have no bound.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// How the store's `clockDrift` entries are read and written (default
    /// [`ClockDriftFormat::Auto`]). Say [`ClockDriftFormat::AmplifyV6`] for a store that
    /// Amplify JS v6 wrote or also reads: v6 writes milliseconds with the opposite sign.
    pub fn clock_drift_format(mut self, format: ClockDriftFormat) -> Self {
        self.clock_drift_format = format;
        self
    }

    /// Uses this transport instead of the AWS SDK one: a custom transport, or a mock in
    /// tests (an `Arc` of a transport, also `Arc<dyn Transport>`, is a transport too). The settings `client_secret`, `region` and `endpoint` are then the
    /// transport's business and are not used for calls.
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Emits events on this hub (default: a new one). Share one hub between several
    /// clients, or subscribe before [`build`](Self::build) to see the `configured` event.
    pub fn hub(mut self, hub: Hub<AuthEvent>) -> Self {
        self.hub = Some(hub);
        self
    }

    /// Reads the time from this clock (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// A token verifier (feature `verify`), for [`Auth::verified_session`] and
    /// [`Auth::verified_access`]: see [`crate::verify`].
    #[cfg(feature = "verify")]
    pub fn verifier(mut self, verifier: userpool_verify::Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Hosted sign-in in the browser ([`Auth::sign_in_with_redirect`],
    /// [`Auth::sign_out_with_redirect`]): the pool domain, the loopback redirect port,
    /// the scopes. See [`HostedConfig`](crate::HostedConfig).
    pub fn hosted(mut self, hosted: crate::HostedConfig) -> Self {
        self.hosted = Some(hosted);
        self
    }

    /// Checks the settings, builds the client and emits `configured`.
    ///
    /// Nothing is read from storage and no call is made: the stored session is read by
    /// the first operation that needs it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a malformed user pool id or client id;
    /// [`Error::Config`] when a required setting is missing, when the client id differs
    /// from the injected transport's, or when the SDK transport cannot be built.
    pub fn build(self) -> Result<Auth, Error> {
        let pool = self.user_pool_id.ok_or_else(|| Error::Config {
            reason: "the user pool id is required".into(),
        })?;
        let user_pool_id = UserPoolId::parse(&pool)?;
        let client_id = match (&self.client_id, &self.transport) {
            (Some(id), Some(t)) => {
                let id = ClientId::new(id.clone())?;
                if &id != t.client_id() {
                    return Err(Error::Config {
                        reason: format!(
                            "client id {id} differs from the transport's ({})",
                            t.client_id()
                        ),
                    });
                }
                id
            }
            (Some(id), None) => ClientId::new(id.clone())?,
            (None, Some(t)) => t.client_id().clone(),
            (None, None) => {
                return Err(Error::Config {
                    reason: "the app client id is required".into(),
                });
            }
        };
        let region = match self.region {
            Some(r) if r.is_empty() => {
                return Err(Error::Config {
                    reason: "the region must not be empty".into(),
                });
            }
            Some(r) => r,
            None => user_pool_id.region().to_owned(),
        };
        let has_client_secret = self.client_secret.is_some();
        let hosted = self
            .hosted
            .map(|h| crate::auth::hosted::resolve(h, &client_id, self.client_secret.clone()))
            .transpose()?;
        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => default_transport(
                &client_id,
                self.client_secret,
                &region,
                self.endpoint.as_deref(),
            )?,
        };
        let refresh_margin = self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN);
        let margin_secs = i64::try_from(refresh_margin.as_secs())
            .unwrap_or(i64::MAX)
            .saturating_add(i64::from(refresh_margin.subsec_nanos() > 0));
        let config = Config {
            user_pool_id,
            client_id,
            has_client_secret,
            region,
            endpoint: self.endpoint,
            auth_flow: self.auth_flow,
            refresh_margin,
            margin_secs,
            retry: self.retry.unwrap_or_default(),
            deadline: self.deadline.unwrap_or(DEFAULT_DEADLINE),
            clock_drift_format: self.clock_drift_format,
            #[cfg(feature = "verify")]
            verifier: self.verifier,
            hosted,
        };
        let storage = self.storage.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let hub = self.hub.unwrap_or_default();
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let auth = Auth::from_parts(config, transport, storage, hub, clock);
        tracing::debug!(
            user_pool_id = %auth.inner.config.user_pool_id,
            client_id = %auth.inner.config.client_id,
            "userpool client configured"
        );
        auth.inner.emit(AuthEvent::Configured);
        Ok(auth)
    }
}

/// The AWS SDK transport, built when no transport is given (feature `sdk`). It makes one
/// attempt per call: the retries are the client's (see `RetryPolicy`), which knows which
/// calls may be repeated.
#[cfg(feature = "sdk")]
fn default_transport(
    client_id: &ClientId,
    client_secret: Option<ClientSecret>,
    region: &str,
    endpoint: Option<&str>,
) -> Result<Arc<dyn Transport>, Error> {
    let mut builder = userpool_transport_sdk::SdkTransport::builder()
        .client_id(client_id.clone())
        .client_secret(client_secret)
        .region(region);
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint(endpoint);
    }
    Ok(Arc::new(builder.build()?))
}

/// Without the `sdk` feature there is no transport to build.
#[cfg(not(feature = "sdk"))]
fn default_transport(
    _client_id: &ClientId,
    _client_secret: Option<ClientSecret>,
    _region: &str,
    _endpoint: Option<&str>,
) -> Result<Arc<dyn Transport>, Error> {
    Err(Error::Config {
        reason: "no transport: set one with `AuthBuilder::transport`, or enable the `sdk` \
                 feature of userpool for the AWS SDK transport"
            .into(),
    })
}
