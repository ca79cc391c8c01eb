//! App client configuration: the Rust form of `CreateUserPoolClient` (auth flows, token
//! validities) and the created client's ids.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::protocol::Params;

/// Unit of a token validity (`TokenValidityUnits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeUnit {
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
}

impl TimeUnit {
    fn seconds(self) -> u64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3600,
            TimeUnit::Days => 86_400,
        }
    }

    fn wire(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
        }
    }

    fn parse(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "seconds" => TimeUnit::Seconds,
            "minutes" => TimeUnit::Minutes,
            "hours" => TimeUnit::Hours,
            "days" => TimeUnit::Days,
            other => {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid TokenValidityUnits value: {other}"
                )));
            }
        })
    }
}

/// A token validity: a value and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenValidity {
    /// The amount.
    pub value: u32,
    /// The unit.
    pub unit: TimeUnit,
}

impl TokenValidity {
    /// `value` minutes.
    pub fn minutes(value: u32) -> Self {
        Self {
            value,
            unit: TimeUnit::Minutes,
        }
    }

    /// `value` hours.
    pub fn hours(value: u32) -> Self {
        Self {
            value,
            unit: TimeUnit::Hours,
        }
    }

    /// `value` days.
    pub fn days(value: u32) -> Self {
        Self {
            value,
            unit: TimeUnit::Days,
        }
    }

    /// The validity as a duration.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(u64::from(self.value) * self.unit.seconds())
    }
}

/// Configuration of an app client: the Rust form of `CreateUserPoolClient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientConfig {
    /// `ClientName`.
    pub name: String,
    /// `GenerateSecret`: the client gets a secret and every call must carry SECRET_HASH.
    pub generate_secret: bool,
    /// `ExplicitAuthFlows` (`ALLOW_USER_SRP_AUTH`, `ALLOW_USER_PASSWORD_AUTH`,
    /// `ALLOW_REFRESH_TOKEN_AUTH`, ...). Empty means Cognito's default: SRP and refresh.
    pub explicit_auth_flows: Vec<String>,
    /// Access token validity (default 1 hour; 5 minutes to 1 day).
    pub access_token_validity: Option<TokenValidity>,
    /// ID token validity (default 1 hour; 5 minutes to 1 day).
    pub id_token_validity: Option<TokenValidity>,
    /// Refresh token validity (default 30 days; 1 hour to 10 years).
    pub refresh_token_validity: Option<TokenValidity>,
    /// `AuthSessionValidity` in minutes (3 to 15, default 3): how long a challenge session lives.
    pub auth_session_validity_minutes: Option<u32>,
    /// `ReadAttributes`; `None` means every attribute.
    pub read_attributes: Option<Vec<String>>,
    /// `WriteAttributes`; `None` means every writable attribute.
    pub write_attributes: Option<Vec<String>>,
    /// `PreventUserExistenceErrors` = `ENABLED`.
    pub prevent_user_existence_errors: bool,
    /// `EnableTokenRevocation` (Cognito's default: `true`). Stored and answered; the local
    /// pool's RevokeToken works either way.
    pub enable_token_revocation: bool,
    /// `CallbackURLs`: HTTPS, or HTTP to the loopback host, or an app's own scheme; no
    /// fragment. The OAuth settings are checked as Cognito checks them when the client is
    /// created or updated (`ops::domains::check_client_oauth`, which needs the pool's
    /// resource servers) and answered by DescribeUserPoolClient.
    pub callback_urls: Vec<String>,
    /// `LogoutURLs`.
    pub logout_urls: Vec<String>,
    /// `DefaultRedirectURI`.
    pub default_redirect_uri: Option<String>,
    /// `AllowedOAuthFlows` (`code`, `implicit`, `client_credentials`).
    pub allowed_oauth_flows: Vec<String>,
    /// `AllowedOAuthScopes`.
    pub allowed_oauth_scopes: Vec<String>,
    /// `AllowedOAuthFlowsUserPoolClient`.
    pub allowed_oauth_flows_user_pool_client: bool,
    /// `SupportedIdentityProviders` (e.g. `COGNITO`).
    pub supported_identity_providers: Vec<String>,
    /// `RefreshTokenRotation`: whether GetTokensFromRefreshToken replaces the refresh
    /// token it is given, and for how long the replaced one still works. Cognito's default
    /// (and what a configuration stored before this setting existed reads as): disabled.
    pub refresh_token_rotation: RefreshTokenRotation,
}

/// `RefreshTokenRotationType`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefreshTokenRotation {
    /// `Feature` = `ENABLED`: every GetTokensFromRefreshToken answers a new refresh token
    /// and InitiateAuth's REFRESH_TOKEN_AUTH is refused.
    pub enabled: bool,
    /// `RetryGracePeriodSeconds` (0 to 60, default 0): how long a replaced refresh token
    /// still works after its first use, for a client retrying a refresh whose answer it
    /// lost. 0: not at all.
    pub retry_grace_period_seconds: u32,
}

impl RefreshTokenRotation {
    /// Rotation on, with a grace of `retry_grace_period_seconds` (at most 60).
    pub fn enabled(retry_grace_period_seconds: u32) -> Self {
        Self {
            enabled: true,
            retry_grace_period_seconds,
        }
    }

    /// The grace as a duration in milliseconds.
    pub(crate) fn grace_ms(&self) -> i64 {
        i64::from(self.retry_grace_period_seconds) * 1000
    }

    /// Parses `RefreshTokenRotation`, checking what AWS's request validation checks.
    fn from_wire(p: &Params<'_>) -> Result<Self, ApiError> {
        let enabled = match p.str("Feature")? {
            Some("ENABLED") => true,
            Some("DISABLED") => false,
            Some(other) => {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '{other}' at 'refreshTokenRotation.feature' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]"
                )));
            }
            None => {
                return Err(ApiError::invalid_parameter(
                    "1 validation error detected: Value null at 'refreshTokenRotation.feature' failed to satisfy constraint: Member must not be null",
                ));
            }
        };
        let grace = match p.int("RetryGracePeriodSeconds")? {
            None => 0,
            Some(s) if s < 0 => {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '{s}' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0"
                )));
            }
            Some(s) if s > MAX_RETRY_GRACE_SECONDS => {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '{s}' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value less than or equal to {MAX_RETRY_GRACE_SECONDS}"
                )));
            }
            // 0..=60 by the arms above.
            Some(s) => u32::try_from(s).unwrap_or(0),
        };
        Ok(Self {
            enabled,
            retry_grace_period_seconds: grace,
        })
    }

    /// The wire form, as DescribeUserPoolClient answers it (always present).
    pub(crate) fn wire(&self) -> Value {
        json!({
            "Feature": if self.enabled { "ENABLED" } else { "DISABLED" },
            "RetryGracePeriodSeconds": self.retry_grace_period_seconds,
        })
    }
}

/// The largest `RetryGracePeriodSeconds` (API reference: 0 to 60).
const MAX_RETRY_GRACE_SECONDS: i64 = 60;

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            generate_secret: false,
            explicit_auth_flows: Vec::new(),
            access_token_validity: None,
            id_token_validity: None,
            refresh_token_validity: None,
            auth_session_validity_minutes: None,
            read_attributes: None,
            write_attributes: None,
            prevent_user_existence_errors: false,
            enable_token_revocation: true,
            callback_urls: Vec::new(),
            logout_urls: Vec::new(),
            default_redirect_uri: None,
            allowed_oauth_flows: Vec::new(),
            allowed_oauth_scopes: Vec::new(),
            allowed_oauth_flows_user_pool_client: false,
            supported_identity_providers: Vec::new(),
            refresh_token_rotation: RefreshTokenRotation::default(),
        }
    }
}

/// Auth flows an app client allows, resolved from `ExplicitAuthFlows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthFlows {
    pub srp: bool,
    pub password: bool,
    pub refresh: bool,
    /// `ALLOW_USER_AUTH`: choice-based sign-in (USER_AUTH), which covers its own password
    /// and SRP steps whatever the other flows say.
    pub user_auth: bool,
}

const KNOWN_FLOWS: &[&str] = &[
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];

impl ClientConfig {
    /// A client with Cognito's defaults and the given name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// The same client, allowing USER_PASSWORD_AUTH besides SRP and refresh.
    pub fn with_password_auth(mut self) -> Self {
        self.explicit_auth_flows = vec![
            "ALLOW_USER_SRP_AUTH".into(),
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ];
        self
    }

    /// The same client, also allowing choice-based sign-in (`ALLOW_USER_AUTH`). An empty
    /// flow list (Cognito's default: SRP and refresh) is spelt out first, so those stay.
    pub fn with_user_auth(mut self) -> Self {
        if self.explicit_auth_flows.is_empty() {
            self.explicit_auth_flows = vec![
                "ALLOW_USER_SRP_AUTH".into(),
                "ALLOW_REFRESH_TOKEN_AUTH".into(),
            ];
        }
        if !self
            .explicit_auth_flows
            .iter()
            .any(|f| f == "ALLOW_USER_AUTH")
        {
            self.explicit_auth_flows.push("ALLOW_USER_AUTH".into());
        }
        self
    }

    /// The same client, with a generated secret.
    pub fn with_secret(mut self) -> Self {
        self.generate_secret = true;
        self
    }

    /// The same client, with refresh-token rotation on and a retry grace of
    /// `retry_grace_period_seconds` (0 to 60).
    pub fn with_refresh_token_rotation(mut self, retry_grace_period_seconds: u32) -> Self {
        self.refresh_token_rotation = RefreshTokenRotation::enabled(retry_grace_period_seconds);
        self
    }

    pub(crate) fn flows(&self) -> AuthFlows {
        if self.explicit_auth_flows.is_empty() {
            return AuthFlows {
                srp: true,
                password: false,
                refresh: true,
                user_auth: false,
            };
        }
        let has = |f: &str| self.explicit_auth_flows.iter().any(|x| x == f);
        let legacy_only = self
            .explicit_auth_flows
            .iter()
            .all(|f| !f.starts_with("ALLOW_"));
        AuthFlows {
            // Legacy (pre-ALLOW_) flow lists always allowed SRP and refresh.
            srp: has("ALLOW_USER_SRP_AUTH") || legacy_only,
            password: has("ALLOW_USER_PASSWORD_AUTH") || has("USER_PASSWORD_AUTH"),
            refresh: has("ALLOW_REFRESH_TOKEN_AUTH") || legacy_only,
            user_auth: has("ALLOW_USER_AUTH"),
        }
    }

    pub(crate) fn access_validity(&self) -> TokenValidity {
        self.access_token_validity
            .unwrap_or_else(|| TokenValidity::hours(1))
    }

    pub(crate) fn id_validity(&self) -> TokenValidity {
        self.id_token_validity
            .unwrap_or_else(|| TokenValidity::hours(1))
    }

    pub(crate) fn refresh_validity(&self) -> TokenValidity {
        self.refresh_token_validity
            .unwrap_or_else(|| TokenValidity::days(30))
    }

    pub(crate) fn session_validity(&self) -> Duration {
        Duration::from_secs(u64::from(self.auth_session_validity_minutes.unwrap_or(3)) * 60)
    }

    pub(crate) fn validate(&self) -> Result<(), ApiError> {
        if self.name.is_empty() || self.name.len() > 128 {
            return Err(ApiError::invalid_parameter(
                "1 validation error detected: Value at 'clientName' failed to satisfy constraint: Member must have length between 1 and 128",
            ));
        }
        for f in &self.explicit_auth_flows {
            if !KNOWN_FLOWS.contains(&f.as_str()) {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '[{f}]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy enum value set"
                )));
            }
        }
        let legacy = self
            .explicit_auth_flows
            .iter()
            .any(|f| !f.starts_with("ALLOW_"));
        let new = self
            .explicit_auth_flows
            .iter()
            .any(|f| f.starts_with("ALLOW_"));
        if legacy && new {
            return Err(ApiError::invalid_parameter(
                "The combination of legacy and new explicit auth flows is not supported.",
            ));
        }
        let secs = |v: TokenValidity| v.duration().as_secs();
        for (what, v) in [
            ("AccessTokenValidity", self.access_validity()),
            ("IdTokenValidity", self.id_validity()),
        ] {
            if !(300..=86_400).contains(&secs(v)) {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid range for token validity: {what} must be between 5 minutes and 1 day."
                )));
            }
        }
        let refresh = secs(self.refresh_validity());
        if !(3600..=315_360_000).contains(&refresh) {
            return Err(ApiError::invalid_parameter(
                "Invalid range for token validity: RefreshTokenValidity must be between 60 minutes and 10 years.",
            ));
        }
        if secs(self.access_validity()) > refresh || secs(self.id_validity()) > refresh {
            return Err(ApiError::invalid_parameter(
                "Invalid range for token validity: access and ID token validity must not exceed the refresh token validity.",
            ));
        }
        if let Some(m) = self.auth_session_validity_minutes
            && !(3..=15).contains(&m)
        {
            return Err(ApiError::invalid_parameter(
                "AuthSessionValidity must be between 3 and 15 minutes.",
            ));
        }
        for f in &self.allowed_oauth_flows {
            if !["code", "implicit", "client_credentials"].contains(&f.as_str()) {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '[{f}]' at 'allowedOAuthFlows' failed to satisfy constraint: Member must satisfy enum value set: [implicit, client_credentials, code]"
                )));
            }
        }
        if let Some(uri) = &self.default_redirect_uri
            && !self.callback_urls.contains(uri)
        {
            return Err(ApiError::invalid_parameter(
                "DefaultRedirectURI must be one of the CallbackURLs.",
            ));
        }
        // The wire form is checked when parsed; this covers a configuration built in Rust.
        let grace = self.refresh_token_rotation.retry_grace_period_seconds;
        if i64::from(grace) > MAX_RETRY_GRACE_SECONDS {
            return Err(ApiError::invalid_parameter(format!(
                "1 validation error detected: Value '{grace}' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value less than or equal to {MAX_RETRY_GRACE_SECONDS}"
            )));
        }
        Ok(())
    }

    /// Parses the `CreateUserPoolClient` request body.
    pub(crate) fn from_wire(p: &Params<'_>) -> Result<Self, ApiError> {
        let name = p.req_str("ClientName")?.to_owned();
        let generate_secret = p.bool("GenerateSecret")?.unwrap_or(false);
        Self::settings_from_wire(p, name, generate_secret)
    }

    /// Parses an `UpdateUserPoolClient` request body into the client's new configuration.
    /// As the API reference says, a setting the request leaves out is set to its default,
    /// not kept; what cannot change after creation is kept: the secret (`GenerateSecret`
    /// is not an UpdateUserPoolClient member) and, when `ClientName` is left out, the name
    /// (a client always has one; Cognito does not document a default).
    pub(crate) fn updated_from_wire(&self, p: &Params<'_>) -> Result<Self, ApiError> {
        let name = match p.str("ClientName")? {
            Some(n) => n.to_owned(),
            None => self.name.clone(),
        };
        Self::settings_from_wire(p, name, self.generate_secret)
    }

    /// The members CreateUserPoolClient and UpdateUserPoolClient share, each absent one
    /// at its default.
    fn settings_from_wire(
        p: &Params<'_>,
        name: String,
        generate_secret: bool,
    ) -> Result<Self, ApiError> {
        let mut c = ClientConfig::new(name);
        c.generate_secret = generate_secret;
        c.explicit_auth_flows = p.str_list("ExplicitAuthFlows")?.unwrap_or_default();
        let units = p.obj("TokenValidityUnits")?;
        let unit = |name: &str, default: TimeUnit| -> Result<TimeUnit, ApiError> {
            match &units {
                Some(u) => match u.str(name)? {
                    Some(s) => TimeUnit::parse(s),
                    None => Ok(default),
                },
                None => Ok(default),
            }
        };
        if let Some(v) = p.u32("AccessTokenValidity")? {
            c.access_token_validity = Some(TokenValidity {
                value: v,
                unit: unit("AccessToken", TimeUnit::Hours)?,
            });
        }
        if let Some(v) = p.u32("IdTokenValidity")? {
            c.id_token_validity = Some(TokenValidity {
                value: v,
                unit: unit("IdToken", TimeUnit::Hours)?,
            });
        }
        if let Some(v) = p.u32("RefreshTokenValidity")? {
            c.refresh_token_validity = Some(TokenValidity {
                value: v,
                unit: unit("RefreshToken", TimeUnit::Days)?,
            });
        }
        c.auth_session_validity_minutes = p.u32("AuthSessionValidity")?;
        c.read_attributes = p.str_list("ReadAttributes")?;
        c.write_attributes = p.str_list("WriteAttributes")?;
        c.prevent_user_existence_errors = match p.str("PreventUserExistenceErrors")? {
            None | Some("LEGACY") => false,
            Some("ENABLED") => true,
            Some(other) => {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid PreventUserExistenceErrors value: {other}"
                )));
            }
        };
        c.enable_token_revocation = p.bool("EnableTokenRevocation")?.unwrap_or(true);
        c.callback_urls = p.str_list("CallbackURLs")?.unwrap_or_default();
        c.logout_urls = p.str_list("LogoutURLs")?.unwrap_or_default();
        c.default_redirect_uri = p.str("DefaultRedirectURI")?.map(str::to_owned);
        c.allowed_oauth_flows = p.str_list("AllowedOAuthFlows")?.unwrap_or_default();
        c.allowed_oauth_scopes = p.str_list("AllowedOAuthScopes")?.unwrap_or_default();
        c.allowed_oauth_flows_user_pool_client =
            p.bool("AllowedOAuthFlowsUserPoolClient")?.unwrap_or(false);
        c.supported_identity_providers = p
            .str_list("SupportedIdentityProviders")?
            .unwrap_or_default();
        if let Some(rotation) = p.obj("RefreshTokenRotation")? {
            c.refresh_token_rotation = RefreshTokenRotation::from_wire(&rotation)?;
        }
        Ok(c)
    }

    pub(crate) fn validity_wire(&self) -> Value {
        let a = self.access_validity();
        let i = self.id_validity();
        let r = self.refresh_validity();
        json!({
            "AccessTokenValidity": a.value,
            "IdTokenValidity": i.value,
            "RefreshTokenValidity": r.value,
            "TokenValidityUnits": {
                "AccessToken": a.unit.wire(),
                "IdToken": i.unit.wire(),
                "RefreshToken": r.unit.wire(),
            }
        })
    }
}

/// The ids (and secret) of a created app client.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The pool the client belongs to.
    pub pool_id: String,
    /// `ClientId`.
    pub client_id: String,
    /// `ClientSecret`, when the client was created with one.
    pub client_secret: Option<String>,
}

impl fmt::Debug for ClientInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientInfo")
            .field("pool_id", &self.pool_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}
