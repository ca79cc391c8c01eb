//! Sign-up and sign-in results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AttributeName, Attributes, CodeDeliveryDetails};

/// How a password sign-in is carried out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFlow {
    /// `USER_SRP_AUTH`: the password never leaves the client (the default).
    #[default]
    UserSrp,
    /// `USER_PASSWORD_AUTH`: the password is sent to the server over TLS. The app client
    /// must allow it.
    UserPassword,
}

impl AuthFlow {
    /// Cognito's name for the flow.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserSrp => "USER_SRP_AUTH",
            Self::UserPassword => "USER_PASSWORD_AUTH",
        }
    }
}

/// A challenge Cognito can answer a sign-in with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChallengeName {
    /// SRP: prove knowledge of the password.
    PasswordVerifier,
    /// The user must choose a new password (admin-created users).
    NewPasswordRequired,
    /// A code sent by SMS.
    SmsMfa,
    /// A TOTP code from an authenticator app.
    SoftwareTokenMfa,
    /// The user must pick an MFA method.
    SelectMfaType,
    /// The user must set up MFA.
    MfaSetup,
    /// A custom (Lambda-driven) challenge.
    CustomChallenge,
    /// Device SRP.
    DeviceSrpAuth,
    /// Device password verifier.
    DevicePasswordVerifier,
    /// A challenge this version does not know.
    Other(String),
}

impl ChallengeName {
    /// Reads Cognito's name.
    pub fn from_name(name: &str) -> Self {
        match name {
            "PASSWORD_VERIFIER" => Self::PasswordVerifier,
            "NEW_PASSWORD_REQUIRED" => Self::NewPasswordRequired,
            "SMS_MFA" => Self::SmsMfa,
            "SOFTWARE_TOKEN_MFA" => Self::SoftwareTokenMfa,
            "SELECT_MFA_TYPE" => Self::SelectMfaType,
            "MFA_SETUP" => Self::MfaSetup,
            "CUSTOM_CHALLENGE" => Self::CustomChallenge,
            "DEVICE_SRP_AUTH" => Self::DeviceSrpAuth,
            "DEVICE_PASSWORD_VERIFIER" => Self::DevicePasswordVerifier,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Cognito's name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::PasswordVerifier => "PASSWORD_VERIFIER",
            Self::NewPasswordRequired => "NEW_PASSWORD_REQUIRED",
            Self::SmsMfa => "SMS_MFA",
            Self::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            Self::SelectMfaType => "SELECT_MFA_TYPE",
            Self::MfaSetup => "MFA_SETUP",
            Self::CustomChallenge => "CUSTOM_CHALLENGE",
            Self::DeviceSrpAuth => "DEVICE_SRP_AUTH",
            Self::DevicePasswordVerifier => "DEVICE_PASSWORD_VERIFIER",
            Self::Other(name) => name,
        }
    }
}

/// What a sign-in needs next when it is not done yet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextStep {
    /// The user must choose a new password, and give the required attributes that are
    /// still missing (names without the `userAttributes.` prefix).
    NewPasswordRequired {
        /// Attributes that must be given with the new password.
        required_attributes: Vec<AttributeName>,
        /// The user's current attributes, as the challenge reports them.
        user_attributes: Attributes,
    },
    /// A code was sent by SMS.
    SmsCode {
        /// Where it went.
        delivery: CodeDeliveryDetails,
    },
    /// A code from an authenticator app is needed.
    TotpCode,
    /// The user must pick an MFA method from these (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`).
    SelectMfaType {
        /// The methods offered.
        options: Vec<String>,
    },
    /// The user must set up MFA first.
    MfaSetup,
    /// A custom challenge, with the parameters the server sent.
    CustomChallenge {
        /// The challenge parameters.
        parameters: BTreeMap<String, String>,
    },
}

impl NextStep {
    /// The challenge this step answers.
    pub fn challenge(&self) -> ChallengeName {
        match self {
            Self::NewPasswordRequired { .. } => ChallengeName::NewPasswordRequired,
            Self::SmsCode { .. } => ChallengeName::SmsMfa,
            Self::TotpCode => ChallengeName::SoftwareTokenMfa,
            Self::SelectMfaType { .. } => ChallengeName::SelectMfaType,
            Self::MfaSetup => ChallengeName::MfaSetup,
            Self::CustomChallenge { .. } => ChallengeName::CustomChallenge,
        }
    }
}

/// The answer to a sign-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpResult {
    /// True when the pool confirmed the user at once (no code needed).
    pub user_confirmed: bool,
    /// The new user's `sub`.
    pub user_sub: String,
    /// Where the confirmation code went, when one was sent.
    pub code_delivery: Option<CodeDeliveryDetails>,
}
