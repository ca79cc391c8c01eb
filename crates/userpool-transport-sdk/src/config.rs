//! Building an [`SdkTransport`]: the builder, the SDK client and its settings.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Region, SharedHttpClient};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use tracing::Instrument;
use userpool_types::{ClientId, ClientSecret, Error};

/// Time allowed for one call unless configured otherwise.
const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed to open a connection unless configured otherwise (the SDK's default).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// The [`Transport`](userpool_transport::Transport) on `aws-sdk-cognitoidentityprovider`, bound to one app client.
///
/// Built with [`SdkTransport::builder`] (see the [crate documentation](crate) for an
/// example, the timeout defaults and the features used), or from an SDK
/// client or `SdkConfig` of your own. Cheap to clone (the SDK client is
/// reference-counted). `Debug` shows the client id, the region, the endpoint override
/// and whether a secret is set, never the secret.
#[derive(Clone)]
pub struct SdkTransport {
    pub(crate) client: Client,
    pub(crate) client_id: ClientId,
    pub(crate) secret: Option<ClientSecret>,
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

    /// Time allowed for one call (default 30 s).
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

    /// Builds the transport. Nothing is sent and nothing is read from the environment.
    ///
    /// Fails with [`Error::Config`] when the client id or the region is missing, the
    /// region or endpoint is not well formed.
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

        let mut timeouts = TimeoutConfig::builder().connect_timeout(self.connect_timeout);
        if let Some(timeout) = self.operation_timeout {
            timeouts = timeouts.operation_timeout(timeout);
        }

        let mut config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .http_client(https_client())
            .timeout_config(timeouts.build())
            // One attempt: retries are the caller's (userpool's `RetryPolicy`), which
            // knows which calls may be repeated.
            .retry_config(RetryConfig::disabled());
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

    /// Wraps an SDK client configured by the caller (region, endpoint, HTTP client and
    /// timeouts are then the caller's). Its retries are turned off: they are the
    /// caller's (userpool's `RetryPolicy`), which knows which calls may be repeated.
    pub fn from_client(client: Client, client_id: ClientId, secret: Option<ClientSecret>) -> Self {
        let region = client.config().region().map(|r| r.as_ref().to_owned());
        let config = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Self {
            client: Client::from_conf(config),
            client_id,
            secret,
            region,
            endpoint: None,
        }
    }

    /// Builds a transport from a shared SDK configuration (region, endpoint and timeout
    /// settings come from it; retries are turned off, as for every `SdkTransport`). When it has no HTTP client, the transport's own
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
            .retry_config(RetryConfig::disabled());
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
    pub(crate) fn secret_hash(&self, username: &str) -> Option<String> {
        self.secret.as_ref().map(|secret| {
            userpool_srp::secret_hash(secret.expose(), username, self.client_id.as_str())
        })
    }

    /// Runs one call in its tracing span and logs its outcome (never its content).
    pub(crate) async fn call<T>(
        &self,
        operation: &'static str,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let span = tracing::debug_span!("cognito", operation);
        async move {
            let result = work.await;
            match &result {
                Ok(_) => tracing::debug!("done"),
                // With its causes, or a refused connection reads as "could not connect"
                // alone. Safe to log: `map_sdk_error` keeps as a source only SDK errors
                // that hold neither the request nor the answer.
                Err(error) => tracing::debug!(error = %error.chain(), "failed"),
            }
            result
        }
        .instrument(span)
        .await
    }
}

/// The HTTPS client: hyper 1 and rustls with the `ring` provider, native roots. Plain
/// `http://` endpoints (local servers) work too.
pub(crate) fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

pub(crate) fn config_error(reason: &str) -> Error {
    Error::Config {
        reason: reason.to_owned(),
    }
}

pub(crate) fn check_region(region: &str) -> Result<(), Error> {
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

pub(crate) fn check_endpoint(endpoint: &str) -> Result<(), Error> {
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
}
