//! Pool and app client configuration: the Rust form of `CreateUserPool` and
//! `CreateUserPoolClient`, their wire (JSON) forms, and the server's limits.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::protocol::Params;

/// Password policy of a pool (`Policies.PasswordPolicy`). The default is Cognito's:
/// at least 8 characters with upper case, lower case, a number and a symbol; temporary
/// passwords valid for 7 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    /// Minimum length (6 to 99).
    pub minimum_length: u32,
    /// Require an upper-case letter.
    pub require_uppercase: bool,
    /// Require a lower-case letter.
    pub require_lowercase: bool,
    /// Require a digit.
    pub require_numbers: bool,
    /// Require one of Cognito's symbol characters.
    pub require_symbols: bool,
    /// Days an administrator-set temporary password stays usable.
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

impl PasswordPolicy {
    /// A lenient policy: 6 characters, no character classes. Handy for demos.
    pub fn relaxed() -> Self {
        Self {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
            temporary_password_validity_days: 7,
        }
    }
}

/// Data type of a schema attribute (`AttributeDataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AttributeType {
    /// A string.
    #[default]
    String,
    /// An integer.
    Number,
    /// A date and time (a string).
    DateTime,
    /// `true` or `false`.
    Boolean,
}

impl AttributeType {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            AttributeType::String => "String",
            AttributeType::Number => "Number",
            AttributeType::DateTime => "DateTime",
            AttributeType::Boolean => "Boolean",
        }
    }

    fn parse(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "String" => AttributeType::String,
            "Number" => AttributeType::Number,
            "DateTime" => AttributeType::DateTime,
            "Boolean" => AttributeType::Boolean,
            other => {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid AttributeDataType: {other}"
                )));
            }
        })
    }
}

/// A custom schema attribute. Its name is given without the `custom:` prefix; users see
/// and send it as `custom:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomAttribute {
    /// Name without the `custom:` prefix (1 to 20 characters).
    pub name: String,
    /// Data type.
    pub data_type: AttributeType,
    /// Whether the value can change after the user is created.
    pub mutable: bool,
    /// Developer-only attributes can be written only by admin calls.
    pub developer_only: bool,
    /// Minimum string length.
    pub min_length: Option<u32>,
    /// Maximum string length (Cognito's default is 2048).
    pub max_length: Option<u32>,
    /// Minimum numeric value.
    pub min_value: Option<i64>,
    /// Maximum numeric value.
    pub max_value: Option<i64>,
}

impl Default for CustomAttribute {
    fn default() -> Self {
        Self {
            name: String::new(),
            data_type: AttributeType::String,
            mutable: true,
            developer_only: false,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
        }
    }
}

impl CustomAttribute {
    /// A mutable string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// A mutable number attribute.
    pub fn number(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            data_type: AttributeType::Number,
            ..Self::default()
        }
    }

    /// The same attribute, immutable after creation.
    pub fn immutable(mut self) -> Self {
        self.mutable = false;
        self
    }
}

/// Configuration of a user pool: the Rust form of `CreateUserPool`. MFA is always off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolConfig {
    /// Pool name (`PoolName`).
    pub name: String,
    /// Password policy.
    pub password_policy: PasswordPolicy,
    /// `UsernameAttributes`: `email` and/or `phone_number` serve as the username
    /// (the internal username is then the user's `sub`).
    pub username_attributes: Vec<String>,
    /// `AliasAttributes`: `email`, `phone_number`, `preferred_username` can be used to sign
    /// in once verified (preferred_username needs no verification).
    pub alias_attributes: Vec<String>,
    /// `AutoVerifiedAttributes`: `email` and/or `phone_number`; a code is sent at sign-up.
    pub auto_verified_attributes: Vec<String>,
    /// Custom attributes (`Schema` entries that are not standard attributes).
    pub custom_attributes: Vec<CustomAttribute>,
    /// Standard attributes marked `Required` in the schema.
    pub required_attributes: Vec<String>,
    /// Standard attributes marked `Mutable: false` in the schema.
    pub immutable_attributes: Vec<String>,
    /// `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`: keep the
    /// original value of these attributes (`email`, `phone_number`) until the new one is
    /// verified.
    pub keep_original_until_verified: Vec<String>,
    /// `UsernameConfiguration.CaseSensitive` (the API's default when omitted is `true`).
    pub case_sensitive_usernames: bool,
    /// `AdminCreateUserConfig.AllowAdminCreateUserOnly`: SignUp is refused.
    pub allow_admin_create_user_only: bool,
    /// Verification message with `{####}` for the code (email and SMS).
    pub verification_message: Option<String>,
    /// Subject of verification emails.
    pub verification_subject: Option<String>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            password_policy: PasswordPolicy::default(),
            username_attributes: Vec::new(),
            alias_attributes: Vec::new(),
            auto_verified_attributes: Vec::new(),
            custom_attributes: Vec::new(),
            required_attributes: Vec::new(),
            immutable_attributes: Vec::new(),
            keep_original_until_verified: Vec::new(),
            case_sensitive_usernames: true,
            allow_admin_create_user_only: false,
            verification_message: None,
            verification_subject: None,
        }
    }
}

impl PoolConfig {
    /// A pool with Cognito's defaults and the given name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ApiError> {
        if self.name.is_empty() || self.name.len() > 128 {
            return Err(ApiError::invalid_parameter(
                "1 validation error detected: Value at 'poolName' failed to satisfy constraint: Member must have length between 1 and 128",
            ));
        }
        if !self.username_attributes.is_empty() && !self.alias_attributes.is_empty() {
            return Err(ApiError::invalid_parameter(
                "Only one of the following can be specified: AliasAttributes, UsernameAttributes.",
            ));
        }
        for a in &self.username_attributes {
            if a != "email" && a != "phone_number" {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid UsernameAttributes value: {a}"
                )));
            }
        }
        for a in &self.alias_attributes {
            if a != "email" && a != "phone_number" && a != "preferred_username" {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid AliasAttributes value: {a}"
                )));
            }
        }
        for a in &self.auto_verified_attributes {
            if a != "email" && a != "phone_number" {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid AutoVerifiedAttributes value: {a}"
                )));
            }
        }
        for a in &self.keep_original_until_verified {
            if a != "email" && a != "phone_number" {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid AttributesRequireVerificationBeforeUpdate value: {a}"
                )));
            }
            if !self.auto_verified_attributes.contains(a) {
                return Err(ApiError::invalid_parameter(
                    "The attributes in AttributesRequireVerificationBeforeUpdate must also be in AutoVerifiedAttributes.",
                ));
            }
        }
        let p = &self.password_policy;
        if !(6..=99).contains(&p.minimum_length) {
            return Err(ApiError::invalid_parameter(
                "1 validation error detected: Value at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value between 6 and 99",
            ));
        }
        if p.temporary_password_validity_days > 365 {
            return Err(ApiError::invalid_parameter(
                "TemporaryPasswordValidityDays must be between 0 and 365.",
            ));
        }
        for c in &self.custom_attributes {
            if c.name.is_empty()
                || c.name.len() > 20
                || c.name.starts_with("custom:")
                || !c
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid custom attribute name: {}",
                    c.name
                )));
            }
        }
        for r in &self.required_attributes {
            if !crate::attributes::is_standard(r) {
                return Err(ApiError::invalid_parameter(
                    "Required custom attributes are not supported currently.",
                ));
            }
        }
        Ok(())
    }

    /// Parses the `CreateUserPool` request body.
    pub(crate) fn from_wire(p: &Params<'_>) -> Result<Self, ApiError> {
        let mut c = PoolConfig::new(p.req_str("PoolName")?);
        if let Some(pol) = p.obj("Policies")?
            && let Some(pp) = pol.obj("PasswordPolicy")?
        {
            {
                let d = PasswordPolicy::default();
                c.password_policy = PasswordPolicy {
                    minimum_length: pp.u32("MinimumLength")?.unwrap_or(d.minimum_length),
                    require_uppercase: pp.bool("RequireUppercase")?.unwrap_or(false),
                    require_lowercase: pp.bool("RequireLowercase")?.unwrap_or(false),
                    require_numbers: pp.bool("RequireNumbers")?.unwrap_or(false),
                    require_symbols: pp.bool("RequireSymbols")?.unwrap_or(false),
                    temporary_password_validity_days: pp
                        .u32("TemporaryPasswordValidityDays")?
                        .unwrap_or(d.temporary_password_validity_days),
                };
            }
        }
        c.username_attributes = p.str_list("UsernameAttributes")?.unwrap_or_default();
        c.alias_attributes = p.str_list("AliasAttributes")?.unwrap_or_default();
        c.auto_verified_attributes = p.str_list("AutoVerifiedAttributes")?.unwrap_or_default();
        if let Some(s) = p.obj("UserAttributeUpdateSettings")? {
            c.keep_original_until_verified = s
                .str_list("AttributesRequireVerificationBeforeUpdate")?
                .unwrap_or_default();
        }
        if let Some(u) = p.obj("UsernameConfiguration")? {
            c.case_sensitive_usernames = u.bool("CaseSensitive")?.unwrap_or(true);
        }
        if let Some(a) = p.obj("AdminCreateUserConfig")? {
            c.allow_admin_create_user_only = a.bool("AllowAdminCreateUserOnly")?.unwrap_or(false);
        }
        if let Some(m) = p.str("MfaConfiguration")?
            && m != "OFF"
        {
            return Err(ApiError::invalid_parameter(
                "MFA is not supported by the local user pool: MfaConfiguration must be OFF.",
            ));
        }
        if let Some(t) = p.obj("VerificationMessageTemplate")? {
            c.verification_message = t.str("EmailMessage")?.map(str::to_owned);
            c.verification_subject = t.str("EmailSubject")?.map(str::to_owned);
            if c.verification_message.is_none() {
                c.verification_message = t.str("SmsMessage")?.map(str::to_owned);
            }
        }
        if c.verification_message.is_none() {
            c.verification_message = p.str("EmailVerificationMessage")?.map(str::to_owned);
        }
        if c.verification_subject.is_none() {
            c.verification_subject = p.str("EmailVerificationSubject")?.map(str::to_owned);
        }
        for s in p.obj_list("Schema")?.unwrap_or_default() {
            let name = s.req_str("Name")?.to_owned();
            let data_type = match s.str("AttributeDataType")? {
                Some(t) => AttributeType::parse(t)?,
                None => AttributeType::String,
            };
            let mutable = s.bool("Mutable")?.unwrap_or(true);
            let required = s.bool("Required")?.unwrap_or(false);
            let developer_only = s.bool("DeveloperOnlyAttribute")?.unwrap_or(false);
            let bare = name.strip_prefix("custom:").unwrap_or(&name);
            if crate::attributes::is_standard(&name) {
                if required {
                    c.required_attributes.push(name.clone());
                }
                if !mutable {
                    c.immutable_attributes.push(name.clone());
                }
                continue;
            }
            if required {
                return Err(ApiError::invalid_parameter(
                    "Required custom attributes are not supported currently.",
                ));
            }
            let mut attr = CustomAttribute {
                name: bare.to_owned(),
                data_type,
                mutable,
                developer_only,
                ..CustomAttribute::default()
            };
            if let Some(sc) = s.obj("StringAttributeConstraints")? {
                attr.min_length = sc.num_string("MinLength")?.map(|v| v as u32);
                attr.max_length = sc.num_string("MaxLength")?.map(|v| v as u32);
            }
            if let Some(nc) = s.obj("NumberAttributeConstraints")? {
                attr.min_value = nc.num_string("MinValue")?;
                attr.max_value = nc.num_string("MaxValue")?;
            }
            c.custom_attributes.push(attr);
        }
        Ok(c)
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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
}

/// Auth flows an app client allows, resolved from `ExplicitAuthFlows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthFlows {
    pub srp: bool,
    pub password: bool,
    pub refresh: bool,
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

    /// The same client, with a generated secret.
    pub fn with_secret(mut self) -> Self {
        self.generate_secret = true;
        self
    }

    pub(crate) fn flows(&self) -> AuthFlows {
        if self.explicit_auth_flows.is_empty() {
            return AuthFlows {
                srp: true,
                password: false,
                refresh: true,
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
        Ok(())
    }

    /// Parses the `CreateUserPoolClient` request body.
    pub(crate) fn from_wire(p: &Params<'_>) -> Result<Self, ApiError> {
        let mut c = ClientConfig::new(p.req_str("ClientName")?);
        c.generate_secret = p.bool("GenerateSecret")?.unwrap_or(false);
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

/// The id and name of a created pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    /// `Id`, e.g. `us-east-1_AbCdEfGhI`.
    pub pool_id: String,
    /// `Name`.
    pub name: String,
}

/// Limits and durations of codes, challenges and lockouts. The defaults are Cognito's;
/// tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Validity of sign-up confirmation codes (24 hours).
    pub signup_code_validity: Duration,
    /// Validity of every other code: forgot password, attribute verification (1 hour).
    pub code_validity: Duration,
    /// Wrong guesses allowed for one code before LimitExceededException (5).
    pub code_attempts: u32,
    /// Codes that can be requested for the same purpose within `code_request_window` (5).
    pub code_requests: u32,
    /// The window of `code_requests` (1 hour).
    pub code_request_window: Duration,
    /// Wrong passwords before sign-in locks (5).
    pub lockout_threshold: u32,
    /// First lockout; each further failure doubles it (1 second, as Cognito).
    pub lockout_base: Duration,
    /// Longest lockout (15 minutes).
    pub lockout_max: Duration,
    /// Accepted clock skew of SRP TIMESTAMPs (5 minutes).
    pub srp_timestamp_skew: Duration,
    /// Lifetime of a pending SRP attempt (5 minutes).
    pub srp_attempt_validity: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            signup_code_validity: Duration::from_secs(24 * 3600),
            code_validity: Duration::from_secs(3600),
            code_attempts: 5,
            code_requests: 5,
            code_request_window: Duration::from_secs(3600),
            lockout_threshold: 5,
            lockout_base: Duration::from_secs(1),
            lockout_max: Duration::from_secs(15 * 60),
            srp_timestamp_skew: Duration::from_secs(300),
            srp_attempt_validity: Duration::from_secs(300),
        }
    }
}

impl Limits {
    /// Sets the code validities (sign-up codes and all other codes).
    pub fn with_code_validity(mut self, signup: Duration, other: Duration) -> Self {
        self.signup_code_validity = signup;
        self.code_validity = other;
        self
    }

    /// Sets the lockout schedule.
    pub fn with_lockout(mut self, threshold: u32, base: Duration, max: Duration) -> Self {
        self.lockout_threshold = threshold;
        self.lockout_base = base;
        self.lockout_max = max;
        self
    }

    /// Sets the code guess and request limits.
    pub fn with_code_limits(mut self, attempts: u32, requests: u32, window: Duration) -> Self {
        self.code_attempts = attempts;
        self.code_requests = requests;
        self.code_request_window = window;
        self
    }
}
