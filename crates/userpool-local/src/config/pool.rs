//! Pool configuration: the Rust form of `CreateUserPool` (password policy, custom
//! attributes, the pool's settings) and the created pool's id.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ExceptionName};
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

/// `MfaConfiguration` of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MfaMode {
    /// No MFA (`OFF`).
    #[default]
    Off,
    /// Every sign-in needs a second factor (`ON`).
    On,
    /// Users who enabled a factor need it (`OPTIONAL`).
    Optional,
}

impl MfaMode {
    /// `OFF`, `ON` or `OPTIONAL`.
    pub fn wire(self) -> &'static str {
        match self {
            MfaMode::Off => "OFF",
            MfaMode::On => "ON",
            MfaMode::Optional => "OPTIONAL",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "OFF" => MfaMode::Off,
            "ON" => MfaMode::On,
            "OPTIONAL" => MfaMode::Optional,
            other => {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '{other}' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]"
                )));
            }
        })
    }
}

/// The MFA settings of a pool (`SetUserPoolMfaConfig`, and `MfaConfiguration` of
/// `CreateUserPool`): the mode and which factors users may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MfaConfig {
    /// `MfaConfiguration`.
    pub mode: MfaMode,
    /// SMS codes (`SmsMfaConfiguration` given).
    pub sms: bool,
    /// Authenticator apps (`SoftwareTokenMfaConfiguration.Enabled`).
    pub software_token: bool,
    /// Email codes (`EmailMfaConfiguration` given).
    pub email: bool,
    /// `SmsMfaConfiguration.SmsAuthenticationMessage`, with `{####}` for the code.
    pub sms_message: Option<String>,
    /// `EmailMfaConfiguration.Message`, with `{####}` for the code.
    pub email_message: Option<String>,
    /// `EmailMfaConfiguration.Subject`.
    pub email_subject: Option<String>,
}

impl MfaConfig {
    /// Cognito's refusals of impossible combinations.
    pub(crate) fn validate(&self) -> Result<(), ApiError> {
        let any = self.sms || self.software_token || self.email;
        match self.mode {
            MfaMode::Off if any => Err(ApiError::invalid_parameter(
                "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.",
            )),
            MfaMode::On | MfaMode::Optional if !any => Err(ApiError::invalid_parameter(
                "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.",
            )),
            _ => Ok(()),
        }
    }

    /// Whether the pool lets users use a factor (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`,
    /// `EMAIL_OTP`).
    pub(crate) fn allows(&self, factor: &str) -> bool {
        self.mode != MfaMode::Off
            && match factor {
                "SMS_MFA" => self.sms,
                "SOFTWARE_TOKEN_MFA" => self.software_token,
                "EMAIL_OTP" => self.email,
                _ => false,
            }
    }
}

/// The first factors a pool can allow for choice-based sign-in (`AuthFactorType`).
pub(crate) const FIRST_FACTORS: [&str; 4] = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"];

/// The feature plan of a pool (`UserPoolTier`). Only the sign-in policy reads it: the
/// passwordless first factors need `ESSENTIALS` or `PLUS`, as in Cognito.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PoolTier {
    /// `LITE`.
    Lite,
    /// `ESSENTIALS`, Cognito's default for new pools.
    #[default]
    Essentials,
    /// `PLUS`.
    Plus,
}

impl PoolTier {
    /// `LITE`, `ESSENTIALS` or `PLUS`.
    pub fn wire(self) -> &'static str {
        match self {
            PoolTier::Lite => "LITE",
            PoolTier::Essentials => "ESSENTIALS",
            PoolTier::Plus => "PLUS",
        }
    }

    fn parse(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "LITE" => PoolTier::Lite,
            "ESSENTIALS" => PoolTier::Essentials,
            "PLUS" => PoolTier::Plus,
            other => {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '{other}' at 'userPoolTier' failed to satisfy constraint: Member must satisfy enum value set: [LITE, ESSENTIALS, PLUS]"
                )));
            }
        })
    }
}

/// `DeviceConfiguration` of a pool: remembered devices. A pool without one does not
/// track devices (no `NewDeviceMetadata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DeviceConfig {
    /// `ChallengeRequiredOnNewDevice`: a remembered device that signs in with device
    /// authentication skips MFA; every other device still answers it.
    pub challenge_required_on_new_device: bool,
    /// `DeviceOnlyRememberedOnUserPrompt`: ConfirmDevice leaves a device not remembered
    /// until UpdateDeviceStatus remembers it (else it is remembered at once).
    pub device_only_remembered_on_user_prompt: bool,
}

/// Configuration of a user pool: the Rust form of `CreateUserPool`.
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
    /// MFA settings (off unless set).
    pub mfa: MfaConfig,
    /// `DeviceConfiguration`: remembered devices (none: devices are not tracked).
    pub device: Option<DeviceConfig>,
    /// `Policies.SignInPolicy.AllowedFirstAuthFactors`: what USER_AUTH may start with
    /// (`PASSWORD`, always present, `EMAIL_OTP`, `SMS_OTP`, `WEB_AUTHN`). Cognito's default,
    /// and what a configuration stored before this setting existed reads as: `PASSWORD`.
    pub allowed_first_auth_factors: Vec<String>,
    /// `UserPoolTier` (default `ESSENTIALS`).
    pub tier: PoolTier,
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
            mfa: MfaConfig::default(),
            device: None,
            allowed_first_auth_factors: vec!["PASSWORD".to_owned()],
            tier: PoolTier::default(),
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

    /// The same pool, tracking devices (`DeviceConfiguration`).
    pub fn with_device_tracking(
        mut self,
        challenge_required_on_new_device: bool,
        device_only_remembered_on_user_prompt: bool,
    ) -> Self {
        self.device = Some(DeviceConfig {
            challenge_required_on_new_device,
            device_only_remembered_on_user_prompt,
        });
        self
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
            // `identities` is set by the pool alone: requiring it would refuse every
            // sign-up (`sub` is required anyway, and always present).
            if r != "sub" && crate::attributes::is_pool_managed(r) {
                return Err(ApiError::invalid_parameter(format!(
                    "The attribute {r} cannot be required: only the user pool sets it."
                )));
            }
        }
        self.validate_sign_in_policy()?;
        self.mfa.validate()
    }

    /// Whether USER_AUTH may start with `factor` (`PASSWORD`, `EMAIL_OTP`, `SMS_OTP`,
    /// `WEB_AUTHN`).
    pub(crate) fn allows_first_factor(&self, factor: &str) -> bool {
        self.allowed_first_auth_factors.iter().any(|f| f == factor)
    }

    /// `SignInPolicy`: 1 to 4 known factors, `PASSWORD` among them (Cognito does not let a
    /// pool turn passwords off), and the passwordless ones only above the `LITE` plan
    /// (`FeatureUnavailableInTierException`, the exception Cognito's model gives
    /// CreateUserPool and UpdateUserPool for a feature of another plan).
    fn validate_sign_in_policy(&self) -> Result<(), ApiError> {
        let factors = &self.allowed_first_auth_factors;
        if factors.is_empty() || factors.len() > FIRST_FACTORS.len() {
            return Err(ApiError::invalid_parameter(
                "1 validation error detected: Value at 'policies.signInPolicy.allowedFirstAuthFactors' failed to satisfy constraint: Member must have length between 1 and 4",
            ));
        }
        for (i, f) in factors.iter().enumerate() {
            if !FIRST_FACTORS.contains(&f.as_str()) {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '[{f}]' at 'policies.signInPolicy.allowedFirstAuthFactors' failed to satisfy constraint: Member must satisfy enum value set: [PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN]"
                )));
            }
            if factors[..i].contains(f) {
                return Err(ApiError::invalid_parameter(format!(
                    "AllowedFirstAuthFactors lists {f} more than once."
                )));
            }
        }
        if !self.allows_first_factor("PASSWORD") {
            return Err(ApiError::invalid_parameter(
                "AllowedFirstAuthFactors must include PASSWORD.",
            ));
        }
        if self.tier == PoolTier::Lite && factors.iter().any(|f| f != "PASSWORD") {
            return Err(ApiError::new(
                ExceptionName::FeatureUnavailableInTier,
                "Passwordless first factors (EMAIL_OTP, SMS_OTP, WEB_AUTHN) are not available in the LITE feature plan.",
            ));
        }
        Ok(())
    }

    /// Parses the `CreateUserPool` request body.
    pub(crate) fn from_wire(p: &Params<'_>) -> Result<Self, ApiError> {
        let mut c = PoolConfig::new(p.req_str("PoolName")?);
        c.settings_from_wire(p)?;
        if let Some(t) = p.str("UserPoolTier")? {
            c.tier = PoolTier::parse(t)?;
        }
        if let Some(u) = p.obj("UsernameConfiguration")? {
            c.case_sensitive_usernames = u.bool("CaseSensitive")?.unwrap_or(true);
        }
        c.username_attributes = p.str_list("UsernameAttributes")?.unwrap_or_default();
        c.alias_attributes = p.str_list("AliasAttributes")?.unwrap_or_default();
        if let Some(m) = p.str("MfaConfiguration")? {
            // CreateUserPool has no factor settings (SetUserPoolMfaConfig has): ON or
            // OPTIONAL there means SMS MFA, the only factor Cognito's CreateUserPool sets up.
            c.mfa.mode = MfaMode::parse(m)?;
            c.mfa.sms = c.mfa.mode != MfaMode::Off;
            if let Some(t) = p.str("SmsAuthenticationMessage")? {
                c.mfa.sms_message = Some(t.to_owned());
            }
        }
        c.schema_from_wire(p)?;
        Ok(c)
    }

    /// Parses an `UpdateUserPool` request body into the pool's new configuration. As the
    /// API reference says, a setting the request leaves out is set to its default, not
    /// kept. What cannot change after creation is kept: the schema (custom, required and
    /// immutable attributes), the sign-in attributes (`UsernameAttributes`,
    /// `AliasAttributes`), username case sensitivity, and the name unless `PoolName` is
    /// given.
    pub(crate) fn updated_from_wire(&self, p: &Params<'_>) -> Result<Self, ApiError> {
        let mut c = PoolConfig {
            name: match p.str("PoolName")? {
                Some(n) => n.to_owned(),
                None => self.name.clone(),
            },
            username_attributes: self.username_attributes.clone(),
            alias_attributes: self.alias_attributes.clone(),
            custom_attributes: self.custom_attributes.clone(),
            required_attributes: self.required_attributes.clone(),
            immutable_attributes: self.immutable_attributes.clone(),
            case_sensitive_usernames: self.case_sensitive_usernames,
            // The plan is a billing choice, not a setting: left out, it stays.
            tier: match p.str("UserPoolTier")? {
                Some(t) => PoolTier::parse(t)?,
                None => self.tier,
            },
            ..PoolConfig::default()
        };
        c.settings_from_wire(p)?;
        // MfaConfiguration left out is OFF (its default). ON or OPTIONAL keeps the factors
        // SetUserPoolMfaConfig enabled (UpdateUserPool has no member for the authenticator
        // app or email factors), or, with none enabled, means SMS as at CreateUserPool.
        if let Some(m) = p.str("MfaConfiguration")? {
            let mode = MfaMode::parse(m)?;
            if mode != MfaMode::Off {
                let before = &self.mfa;
                let none_before = !(before.sms || before.software_token || before.email);
                c.mfa = MfaConfig {
                    mode,
                    sms: before.sms || none_before,
                    software_token: before.software_token,
                    email: before.email,
                    sms_message: p.str("SmsAuthenticationMessage")?.map(str::to_owned),
                    email_message: before.email_message.clone(),
                    email_subject: before.email_subject.clone(),
                };
            }
        }
        Ok(c)
    }

    /// The members CreateUserPool and UpdateUserPool share, each absent one left at its
    /// default.
    fn settings_from_wire(&mut self, p: &Params<'_>) -> Result<(), ApiError> {
        let c = self;
        if let Some(pol) = p.obj("Policies")?
            && let Some(sp) = pol.obj("SignInPolicy")?
            && let Some(factors) = sp.str_list("AllowedFirstAuthFactors")?
        {
            c.allowed_first_auth_factors = factors;
        }
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
        c.auto_verified_attributes = p.str_list("AutoVerifiedAttributes")?.unwrap_or_default();
        if let Some(s) = p.obj("UserAttributeUpdateSettings")? {
            c.keep_original_until_verified = s
                .str_list("AttributesRequireVerificationBeforeUpdate")?
                .unwrap_or_default();
        }
        // Present (even empty) turns device tracking on, as the API reference says; absent
        // (at UpdateUserPool too) turns it off.
        c.device = match p.obj("DeviceConfiguration")? {
            Some(d) => Some(DeviceConfig {
                challenge_required_on_new_device: d
                    .bool("ChallengeRequiredOnNewDevice")?
                    .unwrap_or(false),
                device_only_remembered_on_user_prompt: d
                    .bool("DeviceOnlyRememberedOnUserPrompt")?
                    .unwrap_or(false),
            }),
            None => None,
        };
        if let Some(a) = p.obj("AdminCreateUserConfig")? {
            c.allow_admin_create_user_only = a.bool("AllowAdminCreateUserOnly")?.unwrap_or(false);
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
        Ok(())
    }

    /// The `Schema` of CreateUserPool: standard attributes' flags and custom attributes.
    fn schema_from_wire(&mut self, p: &Params<'_>) -> Result<(), ApiError> {
        let c = self;
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
                attr.min_length = string_length(&sc, "MinLength")?;
                attr.max_length = string_length(&sc, "MaxLength")?;
            }
            if let Some(nc) = s.obj("NumberAttributeConstraints")? {
                attr.min_value = nc.num_string("MinValue")?;
                attr.max_value = nc.num_string("MaxValue")?;
            }
            c.custom_attributes.push(attr);
        }
        Ok(())
    }
}

/// A `StringAttributeConstraints` length: a number from 0 to 2048 (Cognito's largest
/// string attribute). An `as` cast would have turned `"-1"` into 4294967295 and
/// `"4294967296"` into 0.
fn string_length(constraints: &Params<'_>, member: &str) -> Result<Option<u32>, ApiError> {
    let Some(n) = constraints.num_string(member)? else {
        return Ok(None);
    };
    match u32::try_from(n) {
        Ok(len) if len <= MAX_STRING_ATTRIBUTE_LENGTH => Ok(Some(len)),
        _ => Err(ApiError::invalid_parameter(format!(
            "Invalid {member} in StringAttributeConstraints: {n} (it must be between 0 and {MAX_STRING_ATTRIBUTE_LENGTH})."
        ))),
    }
}

/// The longest string attribute value Cognito allows.
const MAX_STRING_ATTRIBUTE_LENGTH: u32 = 2048;

/// The id and name of a created pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    /// `Id`, e.g. `us-east-1_AbCdEfGhI`.
    pub pool_id: String,
    /// `Name`.
    pub name: String,
}
