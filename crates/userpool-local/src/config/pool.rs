//! Pool configuration: the Rust form of `CreateUserPool` (password policy, custom
//! attributes, the pool's settings) and the created pool's id.

use serde::{Deserialize, Serialize};

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
            // `identities` is set by the pool alone: requiring it would refuse every
            // sign-up (`sub` is required anyway, and always present).
            if r != "sub" && crate::attributes::is_pool_managed(r) {
                return Err(ApiError::invalid_parameter(format!(
                    "The attribute {r} cannot be required: only the user pool sets it."
                )));
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

/// The id and name of a created pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    /// `Id`, e.g. `us-east-1_AbCdEfGhI`.
    pub pool_id: String,
    /// `Name`.
    pub name: String,
}
