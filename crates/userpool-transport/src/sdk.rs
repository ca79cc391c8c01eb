//! [`SdkTransport`]: the [`Transport`] on the official `aws-sdk-cognitoidentityprovider`.
//! The user-facing documentation (retries, timeouts, features, security) is the crate's.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Region, SharedHttpClient};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
    CodeDeliveryDetailsType,
};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use tracing::Instrument;
use userpool_types::{
    AttributeName, Attributes, ClientId, ClientSecret, Code, CodeDeliveryDetails, DeliveryMedium,
    Error, Password, SecretString, SignUpResult, User, Username,
};

use crate::{
    AuthAnswer, AuthTokens, Challenge, ChallengeAnswer, ChallengeResponse, ClientMetadata,
    InitiateAuth, SignUpRequest, Transport,
};

/// Attempts per call (the first one included) unless configured otherwise.
const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Time allowed for one call, retries included, unless configured otherwise.
const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed to open a connection unless configured otherwise (the SDK's default).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// The first retry waits up to this long unless configured otherwise (the SDK's default).
const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);

/// The [`Transport`] on `aws-sdk-cognitoidentityprovider`, bound to one app client.
///
/// Built with [`SdkTransport::builder`] (see the [crate documentation](crate) for an
/// example, the retry and timeout defaults and the features used), or from an SDK
/// client or `SdkConfig` of your own. Cheap to clone (the SDK client is
/// reference-counted). `Debug` shows the client id, the region, the endpoint override
/// and whether a secret is set, never the secret.
#[derive(Clone)]
pub struct SdkTransport {
    client: Client,
    client_id: ClientId,
    secret: Option<ClientSecret>,
    region: Option<String>,
    endpoint: Option<String>,
}

impl fmt::Debug for SdkTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkTransport")
            .field("client_id", &self.client_id)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("has_secret", &self.secret.is_some())
            .finish()
    }
}

/// Builds an [`SdkTransport`]; see [`SdkTransport::builder`].
#[derive(Clone)]
pub struct SdkTransportBuilder {
    client_id: Option<ClientId>,
    secret: Option<ClientSecret>,
    region: Option<String>,
    endpoint: Option<String>,
    connect_timeout: Duration,
    operation_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    max_attempts: u32,
    initial_backoff: Duration,
}

impl Default for SdkTransportBuilder {
    fn default() -> Self {
        Self {
            client_id: None,
            secret: None,
            region: None,
            endpoint: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            operation_timeout: Some(DEFAULT_OPERATION_TIMEOUT),
            attempt_timeout: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
        }
    }
}

impl fmt::Debug for SdkTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkTransportBuilder")
            .field("client_id", &self.client_id)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("has_secret", &self.secret.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .finish()
    }
}

impl SdkTransportBuilder {
    /// The app client id (required).
    pub fn client_id(mut self, client_id: ClientId) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// The app client secret, for app clients that have one: `SECRET_HASH` is then sent
    /// with every call that needs it.
    pub fn client_secret(mut self, secret: Option<ClientSecret>) -> Self {
        self.secret = secret;
        self
    }

    /// The region of the user pool, such as `eu-west-1` (required: it is never looked up
    /// from the environment or the instance metadata service).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends every call to this URL instead of Cognito's regional endpoint (a local user
    /// pool, such as `http://127.0.0.1:9229`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Time allowed to open a connection (default 3.1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one call, all attempts and backoff included (default 30 s).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// No limit on the time of one call (the connect timeout and any attempt timeout
    /// still apply).
    pub fn no_operation_timeout(mut self) -> Self {
        self.operation_timeout = None;
        self
    }

    /// Time allowed for one attempt; a timed-out attempt is retried (default: none).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Attempts per call, the first one included (default 3; 1 disables retries).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The longest wait before the first retry (default 1 s); each further retry may
    /// wait twice as long, up to 20 s. The actual wait is random below that bound.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Builds the transport. Nothing is sent and nothing is read from the environment.
    ///
    /// Fails with [`Error::Config`] when the client id or the region is missing, the
    /// region or endpoint is not well formed, or `max_attempts` is 0.
    pub fn build(self) -> Result<SdkTransport, Error> {
        let client_id = self
            .client_id
            .ok_or_else(|| config_error("a client id is required"))?;
        let region = self.region.ok_or_else(|| {
            config_error(
                "a region is required (for example \"eu-west-1\"); it is never looked up \
                 from the environment or the instance metadata service",
            )
        })?;
        check_region(&region)?;
        if let Some(endpoint) = &self.endpoint {
            check_endpoint(endpoint)?;
        }
        if self.max_attempts == 0 {
            return Err(config_error("max_attempts must be at least 1"));
        }

        let mut timeouts = TimeoutConfig::builder().connect_timeout(self.connect_timeout);
        if let Some(timeout) = self.operation_timeout {
            timeouts = timeouts.operation_timeout(timeout);
        }
        if let Some(timeout) = self.attempt_timeout {
            timeouts = timeouts.operation_attempt_timeout(timeout);
        }
        let retries = RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial_backoff);

        let mut config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .http_client(https_client())
            .timeout_config(timeouts.build())
            .retry_config(retries)
            .retry_classifier(AttemptLimitIsFinal);
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint.clone());
        }
        Ok(SdkTransport {
            client: Client::from_conf(config.build()),
            client_id,
            secret: self.secret,
            region: Some(region),
            endpoint: self.endpoint,
        })
    }
}

impl SdkTransport {
    /// Starts building a transport.
    pub fn builder() -> SdkTransportBuilder {
        SdkTransportBuilder::default()
    }

    /// Wraps an SDK client configured by the caller (region, endpoint, HTTP client,
    /// retries and timeouts are then the caller's).
    pub fn from_client(client: Client, client_id: ClientId, secret: Option<ClientSecret>) -> Self {
        let region = client.config().region().map(|r| r.as_ref().to_owned());
        Self {
            client,
            client_id,
            secret,
            region,
            endpoint: None,
        }
    }

    /// Builds a transport from a shared SDK configuration (region, endpoint, retry and
    /// timeout settings come from it). When it has no HTTP client, the transport's own
    /// (rustls on ring) is used.
    ///
    /// Fails with [`Error::Config`] when the configuration has no region.
    pub fn with_sdk_config(
        sdk_config: &aws_config::SdkConfig,
        client_id: ClientId,
        secret: Option<ClientSecret>,
    ) -> Result<Self, Error> {
        let region = sdk_config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| config_error("the SDK configuration has no region"))?;
        let mut config = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk_config)
            .retry_classifier(AttemptLimitIsFinal);
        if sdk_config.http_client().is_none() {
            config = config.http_client(https_client());
        }
        Ok(Self {
            client: Client::from_conf(config.build()),
            client_id,
            secret,
            region: Some(region),
            endpoint: sdk_config.endpoint_url().map(str::to_owned),
        })
    }

    /// Loads the shared configuration the way the AWS SDKs do (environment variables
    /// such as `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_MAX_ATTEMPTS`, and the profile
    /// files), then calls [`SdkTransport::with_sdk_config`].
    ///
    /// The region comes from `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile only,
    /// never from the instance metadata service, and it is resolved before anything else
    /// is loaded. No credentials provider is set up: every call of this transport is
    /// unsigned. Fails with [`Error::Config`] when no region is found.
    pub async fn from_env(
        client_id: ClientId,
        secret: Option<ClientSecret>,
    ) -> Result<Self, Error> {
        use aws_config::environment::EnvironmentVariableRegionProvider;
        use aws_config::meta::region::RegionProviderChain;
        use aws_config::profile::ProfileFileRegionProvider;

        // Resolved here, not by the loader: aws-config falls back to its default region
        // chain (which ends with the metadata service) wherever a region is missing.
        let region = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
            .or_else(ProfileFileRegionProvider::new())
            .region()
            .await
            .ok_or_else(|| {
                config_error(
                    "no region in AWS_REGION, AWS_DEFAULT_REGION or the profile (the \
                     instance metadata service is never asked)",
                )
            })?;
        let sdk_config = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .no_credentials()
            .http_client(https_client())
            .load()
            .await;
        Self::with_sdk_config(&sdk_config, client_id, secret)
    }

    /// The SDK client underneath.
    pub fn sdk_client(&self) -> &Client {
        &self.client
    }

    /// The region, when known.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The endpoint override, when one is set.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// True when the app client has a secret.
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// `SECRET_HASH` for `username`, when the app client has a secret.
    fn secret_hash(&self, username: &str) -> Option<String> {
        self.secret.as_ref().map(|secret| {
            userpool_srp::secret_hash(secret.expose(), username, self.client_id.as_str())
        })
    }

    /// Runs one call in its tracing span and logs its outcome (never its content).
    async fn call<T>(
        &self,
        operation: &'static str,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let span = tracing::debug_span!("cognito", operation);
        async move {
            let result = work.await;
            match &result {
                Ok(_) => tracing::debug!("done"),
                Err(error) => tracing::debug!(%error, "failed"),
            }
            result
        }
        .instrument(span)
        .await
    }
}

/// The HTTPS client: hyper 1 and rustls with the `ring` provider, native roots. Plain
/// `http://` endpoints (local servers) work too.
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

fn config_error(reason: &str) -> Error {
    Error::Config {
        reason: reason.to_owned(),
    }
}

fn check_region(region: &str) -> Result<(), Error> {
    let well_formed = !region.is_empty()
        && region.len() <= 64
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if well_formed {
        Ok(())
    } else {
        Err(Error::Config {
            reason: format!(
                "region {region:?} is not a region name (lowercase letters, digits and '-')"
            ),
        })
    }
}

fn check_endpoint(endpoint: &str) -> Result<(), Error> {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.chars().any(|c| c.is_whitespace()) => Ok(()),
        _ => Err(Error::Config {
            reason: format!("endpoint {endpoint:?} is not an http:// or https:// URL"),
        }),
    }
}

/// Retry classifier: `LimitExceededException` is final. The SDK lists it among the
/// throttling codes, but Cognito sends it for attempt limits, which retrying cannot
/// lift (and may extend).
#[derive(Debug)]
struct AttemptLimitIsFinal;

/// The error code of a failed call, read from the operation's own error type.
fn operation_error_code(ctx: &InterceptorContext) -> Option<String> {
    use aws_sdk_cognitoidentityprovider::operation as op;
    let error = ctx.output_or_error()?.err()?.as_operation_error()?;
    macro_rules! code_of {
        ($($ty:ty),* $(,)?) => {
            $( if let Some(e) = error.downcast_ref::<$ty>() {
                return e.code().map(str::to_owned);
            } )*
        };
    }
    code_of!(
        op::sign_up::SignUpError,
        op::confirm_sign_up::ConfirmSignUpError,
        op::resend_confirmation_code::ResendConfirmationCodeError,
        op::initiate_auth::InitiateAuthError,
        op::respond_to_auth_challenge::RespondToAuthChallengeError,
        op::change_password::ChangePasswordError,
        op::forgot_password::ForgotPasswordError,
        op::confirm_forgot_password::ConfirmForgotPasswordError,
        op::get_user::GetUserError,
        op::update_user_attributes::UpdateUserAttributesError,
        op::delete_user_attributes::DeleteUserAttributesError,
        op::get_user_attribute_verification_code::GetUserAttributeVerificationCodeError,
        op::verify_user_attribute::VerifyUserAttributeError,
        op::global_sign_out::GlobalSignOutError,
        op::revoke_token::RevokeTokenError,
        op::delete_user::DeleteUserError,
    );
    None
}

impl ClassifyRetry for AttemptLimitIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match operation_error_code(ctx).as_deref() {
            Some("LimitExceededException") => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "userpool: LimitExceededException is final"
    }

    fn priority(&self) -> RetryClassifierPriority {
        // After the SDK's classifiers, so that `RetryForbidden` has the last word.
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Maps an SDK failure to the domain error. Nothing of the request or of the answer's
/// body goes into the message; the SDK error is kept as `source()` only when it carries
/// no HTTP body.
fn map_sdk_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let err = service.err();
            match err.code() {
                Some(code) => {
                    let error = Error::from_service(code, err.message().unwrap_or_default());
                    match error {
                        // A fault of the service under a name the table does not know
                        // (`InternalFailure`, `ServiceUnavailable`): by its status it may
                        // pass, so it is an `InternalError`, which is retried.
                        Error::Service { code, message } if (500..600).contains(&status) => {
                            Error::InternalError {
                                message: format!("{code} (HTTP {status}): {message}"),
                            }
                        }
                        other => other,
                    }
                }
                None => unreadable_answer(operation, status, service.raw()),
            }
        }
        SdkError::TimeoutError(_) => {
            Error::network(format!("{operation} timed out"), Some(Arc::new(error)))
        }
        SdkError::DispatchFailure(ref failure) => {
            let what = if failure.is_timeout() {
                "timed out while connecting"
            } else if failure.is_io() {
                "could not connect or the connection failed"
            } else if failure.is_user() {
                "the request could not be sent"
            } else {
                "the request failed before an answer came"
            };
            let cause = root_cause(&error);
            Error::network(
                format!("{operation}: {what} ({cause})"),
                Some(Arc::new(error)),
            )
        }
        SdkError::ResponseError(ref response) => {
            let status = response.raw().status().as_u16();
            let io_failure = chain(&error).any(|e| e.is::<std::io::Error>());
            if io_failure {
                let cause = root_cause(&error);
                Error::network(
                    format!("{operation}: the answer could not be read ({cause})"),
                    None,
                )
            } else {
                unreadable_answer(operation, status, response.raw())
            }
        }
        SdkError::ConstructionFailure(_) => Error::Config {
            reason: format!(
                "the {operation} request could not be built ({})",
                root_cause(&error)
            ),
        },
        // A variant of a later SDK version: it may hold the answer, so it is not kept.
        other => Error::network(
            format!("{operation}: the SDK failed ({})", root_cause(&other)),
            None,
        ),
    }
}

/// An answer that could not be read: a 5xx becomes `InternalError`, anything else
/// `MalformedResponse`. Says what was wrong with the body, never what it held.
fn unreadable_answer(operation: &'static str, status: u16, raw: &HttpResponse) -> Error {
    let looks_like_json = raw
        .body()
        .bytes()
        .and_then(|b| b.iter().find(|c| !c.is_ascii_whitespace()))
        .is_some_and(|&c| c == b'{');
    let body = if looks_like_json {
        "an error body that names no exception"
    } else {
        "a non-JSON body"
    };
    if (500..600).contains(&status) {
        Error::InternalError {
            message: format!("HTTP {status} with {body}"),
        }
    } else if (200..300).contains(&status) {
        Error::MalformedResponse {
            operation,
            reason: "the answer is not the JSON this operation returns".into(),
        }
    } else {
        Error::MalformedResponse {
            operation,
            reason: format!("HTTP {status} with {body}"),
        }
    }
}

fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |e| {
        let e: &'a (dyn StdError + 'static) = *e;
        e.source()
    })
}

/// The innermost cause's message ("Connection refused (os error 111)").
fn root_cause(error: &(dyn StdError + 'static)) -> String {
    chain(error)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn malformed(operation: &'static str, reason: impl Into<String>) -> Error {
    Error::MalformedResponse {
        operation,
        reason: reason.into(),
    }
}

fn metadata(metadata: ClientMetadata) -> Option<HashMap<String, String>> {
    (!metadata.is_empty()).then(|| metadata.into_iter().collect())
}

fn attribute_list(attributes: &Attributes) -> Result<Vec<AttributeType>, Error> {
    attributes
        .iter()
        .map(|(name, value)| {
            AttributeType::builder()
                .name(name.as_str())
                .value(value)
                .build()
                .map_err(|e| Error::InvalidInput {
                    field: "attributes",
                    reason: e.to_string(),
                })
        })
        .collect()
}

fn delivery(details: &CodeDeliveryDetailsType) -> CodeDeliveryDetails {
    CodeDeliveryDetails {
        destination: details.destination().map(str::to_owned),
        medium: details
            .delivery_medium()
            .map(|m| DeliveryMedium::from_name(m.as_str())),
        attribute_name: details.attribute_name().map(str::to_owned),
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn tokens(operation: &'static str, result: &AuthenticationResultType) -> Result<AuthTokens, Error> {
    let access = non_empty(result.access_token())
        .ok_or_else(|| malformed(operation, "AuthenticationResult without AccessToken"))?;
    let id = non_empty(result.id_token())
        .ok_or_else(|| malformed(operation, "AuthenticationResult without IdToken"))?;
    Ok(AuthTokens {
        id_token: SecretString::new(id),
        access_token: SecretString::new(access),
        refresh_token: non_empty(result.refresh_token()).map(SecretString::new),
        expires_in: (result.expires_in() > 0).then(|| i64::from(result.expires_in())),
    })
}

fn auth_answer(
    operation: &'static str,
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    parameters: Option<&HashMap<String, String>>,
) -> Result<AuthAnswer, Error> {
    if let Some(result) = result {
        return tokens(operation, result).map(AuthAnswer::Tokens);
    }
    let Some(name) = challenge else {
        return Err(malformed(
            operation,
            "neither AuthenticationResult nor ChallengeName",
        ));
    };
    Ok(AuthAnswer::Challenge(Challenge {
        name: userpool_types::ChallengeName::from_name(name.as_str()),
        session: non_empty(session).map(SecretString::new),
        parameters: parameters
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }))
}

/// Adds `SECRET_HASH` when the app client has a secret.
fn with_secret_hash(
    mut parameters: HashMap<String, String>,
    secret_hash: Option<String>,
) -> HashMap<String, String> {
    if let Some(hash) = secret_hash {
        parameters.insert("SECRET_HASH".into(), hash);
    }
    parameters
}

#[async_trait]
impl Transport for SdkTransport {
    fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    async fn sign_up(&self, request: SignUpRequest) -> Result<SignUpResult, Error> {
        const OP: &str = "SignUp";
        self.call(OP, async {
            let username = request.username.as_str();
            let validation_data = (!request.validation_data.is_empty())
                .then(|| attribute_list(&request.validation_data))
                .transpose()?;
            let out = self
                .client
                .sign_up()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username))
                .username(username)
                .password(request.password.expose())
                .set_user_attributes(Some(attribute_list(&request.attributes)?))
                .set_validation_data(validation_data)
                .set_client_metadata(metadata(request.client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            if out.user_sub().is_empty() {
                return Err(malformed(OP, "no UserSub"));
            }
            Ok(SignUpResult {
                user_confirmed: out.user_confirmed(),
                user_sub: out.user_sub().to_owned(),
                code_delivery: out.code_delivery_details().map(delivery),
            })
        })
        .await
    }

    async fn confirm_sign_up(
        &self,
        username: Username,
        code: Code,
        force_alias_creation: bool,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        const OP: &str = "ConfirmSignUp";
        self.call(OP, async {
            self.client
                .confirm_sign_up()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username.as_str()))
                .username(username.as_str())
                .confirmation_code(code.expose())
                .force_alias_creation(force_alias_creation)
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn resend_confirmation_code(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        const OP: &str = "ResendConfirmationCode";
        self.call(OP, async {
            let out = self
                .client
                .resend_confirmation_code()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username.as_str()))
                .username(username.as_str())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out.code_delivery_details().map(delivery))
        })
        .await
    }

    async fn initiate_auth(
        &self,
        request: InitiateAuth,
        client_metadata: ClientMetadata,
    ) -> Result<AuthAnswer, Error> {
        const OP: &str = "InitiateAuth";
        self.call(OP, async {
            let mut parameters = HashMap::new();
            let (flow, hash) = match &request {
                InitiateAuth::UserSrp {
                    username,
                    srp_a,
                    device_key,
                } => {
                    parameters.insert("USERNAME".to_owned(), username.as_str().to_owned());
                    parameters.insert("SRP_A".to_owned(), srp_a.clone());
                    if let Some(key) = device_key {
                        parameters.insert("DEVICE_KEY".to_owned(), key.clone());
                    }
                    (
                        AuthFlowType::UserSrpAuth,
                        self.secret_hash(username.as_str()),
                    )
                }
                InitiateAuth::UserPassword { username, password } => {
                    parameters.insert("USERNAME".to_owned(), username.as_str().to_owned());
                    parameters.insert("PASSWORD".to_owned(), password.expose().to_owned());
                    (
                        AuthFlowType::UserPasswordAuth,
                        self.secret_hash(username.as_str()),
                    )
                }
                InitiateAuth::RefreshToken {
                    refresh_token,
                    username,
                    device_key,
                } => {
                    parameters.insert(
                        "REFRESH_TOKEN".to_owned(),
                        refresh_token.expose().to_owned(),
                    );
                    if let Some(key) = device_key {
                        parameters.insert("DEVICE_KEY".to_owned(), key.clone());
                    }
                    let hash = match (&self.secret, username) {
                        (None, _) => None,
                        (Some(_), Some(username)) => self.secret_hash(username.as_str()),
                        (Some(_), None) => {
                            return Err(Error::InvalidInput {
                                field: "username",
                                reason: "the app client has a secret: a refresh needs the \
                                         username (or sub) to compute SECRET_HASH"
                                    .into(),
                            });
                        }
                    };
                    (AuthFlowType::RefreshTokenAuth, hash)
                }
            };
            let out = self
                .client
                .initiate_auth()
                .client_id(self.client_id.as_str())
                .auth_flow(flow)
                .set_auth_parameters(Some(with_secret_hash(parameters, hash)))
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            auth_answer(
                OP,
                out.authentication_result(),
                out.challenge_name(),
                out.session(),
                out.challenge_parameters(),
            )
        })
        .await
    }

    async fn respond_to_auth_challenge(
        &self,
        answer: ChallengeAnswer,
    ) -> Result<AuthAnswer, Error> {
        const OP: &str = "RespondToAuthChallenge";
        self.call(OP, async {
            let challenge = ChallengeNameType::from(answer.response.challenge().as_str());
            let username = answer.username.as_str();
            let mut responses = HashMap::new();
            responses.insert("USERNAME".to_owned(), username.to_owned());
            match &answer.response {
                ChallengeResponse::PasswordVerifier {
                    secret_block,
                    timestamp,
                    signature,
                    device_key,
                } => {
                    responses.insert(
                        "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                        secret_block.clone(),
                    );
                    responses.insert("TIMESTAMP".to_owned(), timestamp.clone());
                    responses.insert(
                        "PASSWORD_CLAIM_SIGNATURE".to_owned(),
                        signature.expose().to_owned(),
                    );
                    if let Some(key) = device_key {
                        responses.insert("DEVICE_KEY".to_owned(), key.clone());
                    }
                }
                ChallengeResponse::NewPassword {
                    new_password,
                    attributes,
                } => {
                    responses.insert("NEW_PASSWORD".to_owned(), new_password.expose().to_owned());
                    for (name, value) in attributes.iter() {
                        responses.insert(format!("userAttributes.{name}"), value.to_owned());
                    }
                }
                ChallengeResponse::SmsMfa { code } => {
                    responses.insert("SMS_MFA_CODE".to_owned(), code.expose().to_owned());
                }
                ChallengeResponse::SoftwareTokenMfa { code } => {
                    responses.insert(
                        "SOFTWARE_TOKEN_MFA_CODE".to_owned(),
                        code.expose().to_owned(),
                    );
                }
                ChallengeResponse::SelectMfaType { answer } => {
                    responses.insert("ANSWER".to_owned(), answer.clone());
                }
                ChallengeResponse::Custom { answer } => {
                    responses.insert("ANSWER".to_owned(), answer.expose().to_owned());
                }
            }
            let out = self
                .client
                .respond_to_auth_challenge()
                .client_id(self.client_id.as_str())
                .challenge_name(challenge)
                .set_session(answer.session.as_ref().map(|s| s.expose().to_owned()))
                .set_challenge_responses(Some(with_secret_hash(
                    responses,
                    self.secret_hash(username),
                )))
                .set_client_metadata(metadata(answer.client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            auth_answer(
                OP,
                out.authentication_result(),
                out.challenge_name(),
                out.session(),
                out.challenge_parameters(),
            )
        })
        .await
    }

    async fn change_password(
        &self,
        access_token: SecretString,
        previous: Password,
        proposed: Password,
    ) -> Result<(), Error> {
        const OP: &str = "ChangePassword";
        self.call(OP, async {
            self.client
                .change_password()
                .access_token(access_token.expose())
                .previous_password(previous.expose())
                .proposed_password(proposed.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn forgot_password(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        const OP: &str = "ForgotPassword";
        self.call(OP, async {
            let out = self
                .client
                .forgot_password()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username.as_str()))
                .username(username.as_str())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out.code_delivery_details().map(delivery))
        })
        .await
    }

    async fn confirm_forgot_password(
        &self,
        username: Username,
        code: Code,
        new_password: Password,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        const OP: &str = "ConfirmForgotPassword";
        self.call(OP, async {
            self.client
                .confirm_forgot_password()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username.as_str()))
                .username(username.as_str())
                .confirmation_code(code.expose())
                .password(new_password.expose())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn get_user(&self, access_token: SecretString) -> Result<User, Error> {
        const OP: &str = "GetUser";
        self.call(OP, async {
            let out = self
                .client
                .get_user()
                .access_token(access_token.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            let username = Username::new(out.username())
                .map_err(|e| malformed(OP, format!("Username: {e}")))?;
            let attributes = out
                .user_attributes()
                .iter()
                .map(|a| {
                    let name = AttributeName::new(a.name())
                        .map_err(|e| malformed(OP, format!("UserAttributes: {e}")))?;
                    Ok((name, a.value().unwrap_or_default().to_owned()))
                })
                .collect::<Result<Attributes, Error>>()?;
            Ok(User::new(username, attributes).with_mfa(
                out.preferred_mfa_setting().map(str::to_owned),
                out.user_mfa_setting_list().to_vec(),
            ))
        })
        .await
    }

    async fn update_user_attributes(
        &self,
        access_token: SecretString,
        attributes: Attributes,
        client_metadata: ClientMetadata,
    ) -> Result<Vec<CodeDeliveryDetails>, Error> {
        const OP: &str = "UpdateUserAttributes";
        self.call(OP, async {
            let out = self
                .client
                .update_user_attributes()
                .access_token(access_token.expose())
                .set_user_attributes(Some(attribute_list(&attributes)?))
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out
                .code_delivery_details_list()
                .iter()
                .map(delivery)
                .collect())
        })
        .await
    }

    async fn delete_user_attributes(
        &self,
        access_token: SecretString,
        names: Vec<AttributeName>,
    ) -> Result<(), Error> {
        const OP: &str = "DeleteUserAttributes";
        self.call(OP, async {
            self.client
                .delete_user_attributes()
                .access_token(access_token.expose())
                .set_user_attribute_names(Some(names.into_iter().map(String::from).collect()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn get_user_attribute_verification_code(
        &self,
        access_token: SecretString,
        name: AttributeName,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        const OP: &str = "GetUserAttributeVerificationCode";
        self.call(OP, async {
            let out = self
                .client
                .get_user_attribute_verification_code()
                .access_token(access_token.expose())
                .attribute_name(name.as_str())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out.code_delivery_details().map(delivery))
        })
        .await
    }

    async fn verify_user_attribute(
        &self,
        access_token: SecretString,
        name: AttributeName,
        code: Code,
    ) -> Result<(), Error> {
        const OP: &str = "VerifyUserAttribute";
        self.call(OP, async {
            self.client
                .verify_user_attribute()
                .access_token(access_token.expose())
                .attribute_name(name.as_str())
                .code(code.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn global_sign_out(&self, access_token: SecretString) -> Result<(), Error> {
        const OP: &str = "GlobalSignOut";
        self.call(OP, async {
            self.client
                .global_sign_out()
                .access_token(access_token.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn revoke_token(&self, refresh_token: SecretString) -> Result<(), Error> {
        const OP: &str = "RevokeToken";
        self.call(OP, async {
            self.client
                .revoke_token()
                .token(refresh_token.expose())
                .client_id(self.client_id.as_str())
                .set_client_secret(self.secret.as_ref().map(|s| s.expose().to_owned()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn delete_user(&self, access_token: SecretString) -> Result<(), Error> {
        const OP: &str = "DeleteUser";
        self.call(OP, async {
            self.client
                .delete_user()
                .access_token(access_token.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_endpoints_are_checked() {
        for good in ["eu-west-1", "us-gov-west-1", "local"] {
            assert!(check_region(good).is_ok(), "{good}");
        }
        for bad in ["", "EU-WEST-1", "eu west 1", "-eu", "eu-", "a/b"] {
            assert!(check_region(bad).is_err(), "{bad:?}");
        }
        for good in [
            "http://127.0.0.1:9229",
            "https://cognito-idp.eu-west-1.amazonaws.com",
        ] {
            assert!(check_endpoint(good).is_ok(), "{good}");
        }
        for bad in ["", "127.0.0.1:9229", "http://", "ftp://x", "http://a b"] {
            assert!(check_endpoint(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn expires_in_zero_means_unknown() {
        let result = AuthenticationResultType::builder()
            .access_token("a")
            .id_token("i")
            .build();
        let tokens = tokens("InitiateAuth", &result).unwrap();
        assert_eq!(tokens.expires_in, None);
        assert_eq!(tokens.refresh_token, None);
    }
}
