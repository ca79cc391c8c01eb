//! Sign-up and sign-in results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AttributeName, Attributes, CodeDeliveryDetails, MfaType, TotpSetupDetails};

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
    /// A code sent by email.
    EmailOtp,
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
            "EMAIL_OTP" => Self::EmailOtp,
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
            Self::EmailOtp => "EMAIL_OTP",
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
///
/// The MFA steps are Amplify v6's `signInStep`s: `CONFIRM_SIGN_IN_WITH_SMS_CODE`
/// ([`SmsCode`](Self::SmsCode)), `CONFIRM_SIGN_IN_WITH_TOTP_CODE`
/// ([`TotpCode`](Self::TotpCode)), `CONFIRM_SIGN_IN_WITH_EMAIL_CODE`
/// ([`EmailCode`](Self::EmailCode)), `CONTINUE_SIGN_IN_WITH_MFA_SELECTION`
/// ([`SelectMfaType`](Self::SelectMfaType)), `CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION`
/// ([`MfaSetupSelection`](Self::MfaSetupSelection)), `CONTINUE_SIGN_IN_WITH_TOTP_SETUP`
/// ([`TotpSetup`](Self::TotpSetup)) and `CONTINUE_SIGN_IN_WITH_EMAIL_SETUP`
/// ([`EmailSetup`](Self::EmailSetup)).
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
    /// A code was sent by email.
    EmailCode {
        /// Where it went.
        delivery: CodeDeliveryDetails,
    },
    /// The user must pick the MFA method of this sign-in (`MFAS_CAN_CHOOSE`); answer
    /// with its name (`SMS`, `TOTP`, `EMAIL`).
    SelectMfaType {
        /// The methods offered.
        options: Vec<MfaType>,
    },
    /// The pool requires MFA and the user has none: they must pick which method to set
    /// up (`MFAS_CAN_SETUP` offers TOTP and email); answer with `TOTP` or `EMAIL`.
    MfaSetupSelection {
        /// The methods that can be set up during the sign-in.
        options: Vec<MfaType>,
    },
    /// The user must set up an authenticator app: show them the secret (or the URI as a
    /// QR code), then answer with a code the app shows.
    TotpSetup {
        /// The secret and the URI for the app.
        setup: TotpSetupDetails,
    },
    /// The user must set up email codes: answer with the email address to send them to.
    EmailSetup,
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
            Self::EmailCode { .. } => ChallengeName::EmailOtp,
            Self::SelectMfaType { .. } => ChallengeName::SelectMfaType,
            Self::MfaSetupSelection { .. } | Self::TotpSetup { .. } | Self::EmailSetup => {
                ChallengeName::MfaSetup
            }
            Self::CustomChallenge { .. } => ChallengeName::CustomChallenge,
        }
    }
}

/// The answer to a sign-up.
///
/// Cognito may add fields, so the struct is `#[non_exhaustive]`: a transport builds one
/// with [`new`](Self::new) and [`with_code_delivery`](Self::with_code_delivery).
///
/// ```
/// use userpool_types::{CodeDeliveryDetails, SignUpResult};
/// let result = SignUpResult::new("5f1c2e3a-sub", false)
///     .with_code_delivery(CodeDeliveryDetails::new().with_destination("a***@e***"));
/// assert!(!result.user_confirmed);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignUpResult {
    /// True when the pool confirmed the user at once (no code needed).
    pub user_confirmed: bool,
    /// The new user's `sub`.
    pub user_sub: String,
    /// Where the confirmation code went, when one was sent.
    pub code_delivery: Option<CodeDeliveryDetails>,
}

impl SignUpResult {
    /// The answer for the new user `user_sub`, confirmed at once or not; no code delivery.
    pub fn new(user_sub: impl Into<String>, user_confirmed: bool) -> Self {
        Self {
            user_confirmed,
            user_sub: user_sub.into(),
            code_delivery: None,
        }
    }

    /// Sets where the confirmation code went.
    pub fn with_code_delivery(mut self, delivery: CodeDeliveryDetails) -> Self {
        self.code_delivery = Some(delivery);
        self
    }
}
