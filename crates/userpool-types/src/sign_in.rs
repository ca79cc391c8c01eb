//! Sign-up and sign-in results.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    AttributeName, Attributes, CodeDeliveryDetails, MfaSettings, MfaType, SecretString,
    TotpSetupDetails, Username,
};

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
    /// `USER_AUTH`: choice-based sign-in. The first factor is the password (by SRP, or
    /// sent), or a one-time code by email or SMS; the user or a preference chooses it
    /// among what the pool and the user allow. The app client must allow it.
    UserAuth,
}

impl AuthFlow {
    /// Cognito's name for the flow.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserSrp => "USER_SRP_AUTH",
            Self::UserPassword => "USER_PASSWORD_AUTH",
            Self::UserAuth => "USER_AUTH",
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
    /// `USER_AUTH`: the user must choose the first factor among `AvailableChallenges`.
    SelectChallenge,
    /// `USER_AUTH`: the password, as the first factor.
    Password,
    /// `USER_AUTH`: SRP with the password, as the first factor.
    PasswordSrp,
    /// `USER_AUTH`: a one-time code sent by SMS, as the first factor.
    SmsOtp,
    /// `USER_AUTH`: a passkey or security key (WebAuthn), as the first factor.
    WebAuthn,
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
            "SELECT_CHALLENGE" => Self::SelectChallenge,
            "PASSWORD" => Self::Password,
            "PASSWORD_SRP" => Self::PasswordSrp,
            "SMS_OTP" => Self::SmsOtp,
            "WEB_AUTHN" => Self::WebAuthn,
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
            Self::SelectChallenge => "SELECT_CHALLENGE",
            Self::Password => "PASSWORD",
            Self::PasswordSrp => "PASSWORD_SRP",
            Self::SmsOtp => "SMS_OTP",
            Self::WebAuthn => "WEB_AUTHN",
            Self::Other(name) => name,
        }
    }
}

/// A first factor of choice-based sign-in (`USER_AUTH`), as Cognito's `AuthFactorType`
/// names it: what a pool's `SignInPolicy.AllowedFirstAuthFactors` allows and what
/// `GetUserAuthFactors` reports in `ConfiguredUserAuthFactors`.
///
/// `PASSWORD` covers both ways of giving the password: the challenges of the sign-in are
/// `PASSWORD` and `PASSWORD_SRP` ([`ChallengeName::Password`],
/// [`ChallengeName::PasswordSrp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AuthFactor {
    /// `PASSWORD`.
    Password,
    /// `EMAIL_OTP`: a one-time code sent by email.
    EmailOtp,
    /// `SMS_OTP`: a one-time code sent by SMS.
    SmsOtp,
    /// `WEB_AUTHN`: a passkey or security key.
    WebAuthn,
}

impl AuthFactor {
    /// Every factor, in Cognito's order.
    pub const ALL: &'static [AuthFactor] =
        &[Self::Password, Self::EmailOtp, Self::SmsOtp, Self::WebAuthn];

    /// Cognito's name: `PASSWORD`, `EMAIL_OTP`, `SMS_OTP` or `WEB_AUTHN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "PASSWORD",
            Self::EmailOtp => "EMAIL_OTP",
            Self::SmsOtp => "SMS_OTP",
            Self::WebAuthn => "WEB_AUTHN",
        }
    }

    /// Reads Cognito's name; `None` for a factor this version does not know (such as
    /// `SOFTWARE_TOKEN`, which Cognito's type also holds but which is no first factor).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.as_str() == name)
    }

    /// Reads a list of Cognito names, skipping the ones this version does not know (a
    /// factor added to Cognito later must not make an answer unreadable).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Vec<Self> {
        let mut factors: Vec<Self> = names
            .iter()
            .filter_map(|n| Self::parse(n.as_ref()))
            .collect();
        factors.dedup();
        factors
    }

    /// The factor a challenge of `AvailableChallenges` offers: `PASSWORD` and
    /// `PASSWORD_SRP` are both [`Password`](Self::Password); `None` for a challenge that
    /// is no first factor.
    pub fn of_challenge(challenge: &ChallengeName) -> Option<Self> {
        match challenge {
            ChallengeName::Password | ChallengeName::PasswordSrp => Some(Self::Password),
            ChallengeName::EmailOtp => Some(Self::EmailOtp),
            ChallengeName::SmsOtp => Some(Self::SmsOtp),
            ChallengeName::WebAuthn => Some(Self::WebAuthn),
            _ => None,
        }
    }
}

impl fmt::Display for AuthFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user's sign-in factors, as `GetUserAuthFactors` answers: the MFA
/// settings (as `GetUser` reports them) and the first factors the user can sign in with.
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new)
/// and the `with_*` setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserAuthFactors {
    /// `Username`.
    pub username: Username,
    /// `PreferredMfaSetting` and `UserMFASettingList` (names this version does not know
    /// are left out).
    pub mfa: MfaSettings,
    /// `ConfiguredUserAuthFactors` (names this version does not know are left out).
    pub configured_first_factors: Vec<AuthFactor>,
}

impl UserAuthFactors {
    /// The factors of `username`: no MFA, no first factor.
    pub fn new(username: Username) -> Self {
        Self {
            username,
            mfa: MfaSettings::default(),
            configured_first_factors: Vec::new(),
        }
    }

    /// Sets the MFA settings.
    pub fn with_mfa(mut self, mfa: MfaSettings) -> Self {
        self.mfa = mfa;
        self
    }

    /// Sets the first factors.
    pub fn with_configured_first_factors(mut self, factors: Vec<AuthFactor>) -> Self {
        self.configured_first_factors = factors;
        self
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
///
/// Choice-based sign-in (`USER_AUTH`) adds `CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION`
/// ([`SelectFirstFactor`](Self::SelectFirstFactor)) and `CONFIRM_SIGN_IN_WITH_PASSWORD`
/// ([`Password`](Self::Password)); its one-time codes are the steps of the MFA codes,
/// [`EmailCode`](Self::EmailCode) (`EMAIL_OTP`) and [`SmsCode`](Self::SmsCode) (`SMS_OTP`),
/// as in Amplify v6.
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
    /// A code was sent by SMS: an MFA code (`SMS_MFA`), or the first factor of a
    /// choice-based sign-in (`SMS_OTP`).
    SmsCode {
        /// Where it went.
        delivery: CodeDeliveryDetails,
    },
    /// A code from an authenticator app is needed.
    TotpCode,
    /// A code was sent by email: an MFA code, or the first factor of a choice-based
    /// sign-in (both `EMAIL_OTP`).
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
    /// Choice-based sign-in (`SELECT_CHALLENGE`): the user must choose the first factor;
    /// answer with the name of one of `available_challenges` (`PASSWORD`,
    /// `PASSWORD_SRP`, `EMAIL_OTP`, `SMS_OTP`).
    SelectFirstFactor {
        /// What the pool offers this user, in the server's order (challenges this
        /// version does not know are left out). [`AuthFactor::of_challenge`] gives the
        /// factor of each.
        available_challenges: Vec<ChallengeName>,
    },
    /// Choice-based sign-in: the password was chosen as the first factor; answer with
    /// the password.
    Password {
        /// How it is given: [`ChallengeName::PasswordSrp`] proves it by SRP (it never
        /// leaves the client), [`ChallengeName::Password`] sends it over TLS.
        challenge: ChallengeName,
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
            // Both are answered to Cognito as SELECT_CHALLENGE (the password with it).
            Self::SelectFirstFactor { .. } | Self::Password { .. } => {
                ChallengeName::SelectChallenge
            }
        }
    }
}

/// The answer to a sign-up.
///
/// Cognito may add fields, so the struct is `#[non_exhaustive]`: a transport builds one
/// with [`new`](Self::new), [`with_code_delivery`](Self::with_code_delivery) and
/// [`with_session`](Self::with_session).
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
    /// `Session`: passed to `ConfirmSignUp`, so that its answer can sign the user in
    /// (`USER_AUTH` with the session ConfirmSignUp answers). A secret: never serialized.
    #[serde(skip)]
    pub session: Option<SecretString>,
}

impl SignUpResult {
    /// The answer for the new user `user_sub`, confirmed at once or not; no code delivery.
    pub fn new(user_sub: impl Into<String>, user_confirmed: bool) -> Self {
        Self {
            user_confirmed,
            user_sub: user_sub.into(),
            code_delivery: None,
            session: None,
        }
    }

    /// Sets where the confirmation code went.
    pub fn with_code_delivery(mut self, delivery: CodeDeliveryDetails) -> Self {
        self.code_delivery = Some(delivery);
        self
    }

    /// Sets the sign-up's session (`None` leaves it out).
    pub fn with_session(mut self, session: Option<SecretString>) -> Self {
        self.session = session;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_names_round_trip() {
        let names = [
            "PASSWORD_VERIFIER",
            "NEW_PASSWORD_REQUIRED",
            "SMS_MFA",
            "SOFTWARE_TOKEN_MFA",
            "EMAIL_OTP",
            "SELECT_MFA_TYPE",
            "MFA_SETUP",
            "CUSTOM_CHALLENGE",
            "DEVICE_SRP_AUTH",
            "DEVICE_PASSWORD_VERIFIER",
            "SELECT_CHALLENGE",
            "PASSWORD",
            "PASSWORD_SRP",
            "SMS_OTP",
            "WEB_AUTHN",
        ];
        for name in names {
            let challenge = ChallengeName::from_name(name);
            assert!(!matches!(challenge, ChallengeName::Other(_)), "{name}");
            assert_eq!(challenge.as_str(), name);
        }
        assert_eq!(
            ChallengeName::from_name("PUSH_OTP"),
            ChallengeName::Other("PUSH_OTP".into())
        );
    }

    #[test]
    fn user_auth_names_and_steps() {
        assert_eq!(AuthFlow::UserAuth.as_str(), "USER_AUTH");
        let select = NextStep::SelectFirstFactor {
            available_challenges: vec![ChallengeName::Password, ChallengeName::EmailOtp],
        };
        let password = NextStep::Password {
            challenge: ChallengeName::PasswordSrp,
        };
        // Both are answered to Cognito as SELECT_CHALLENGE.
        assert_eq!(select.challenge(), ChallengeName::SelectChallenge);
        assert_eq!(password.challenge(), ChallengeName::SelectChallenge);
    }

    #[test]
    fn auth_factors_read_cognitos_names() {
        for &factor in AuthFactor::ALL {
            assert_eq!(AuthFactor::parse(factor.as_str()), Some(factor));
            assert_eq!(factor.to_string(), factor.as_str());
        }
        assert_eq!(AuthFactor::parse("SOFTWARE_TOKEN"), None);
        assert_eq!(AuthFactor::parse("password"), None);
        assert_eq!(
            AuthFactor::from_names(&["EMAIL_OTP", "SOFTWARE_TOKEN", "PASSWORD", "PASSWORD"]),
            [AuthFactor::EmailOtp, AuthFactor::Password]
        );
        let offered = [
            (ChallengeName::Password, Some(AuthFactor::Password)),
            (ChallengeName::PasswordSrp, Some(AuthFactor::Password)),
            (ChallengeName::EmailOtp, Some(AuthFactor::EmailOtp)),
            (ChallengeName::SmsOtp, Some(AuthFactor::SmsOtp)),
            (ChallengeName::WebAuthn, Some(AuthFactor::WebAuthn)),
            (ChallengeName::SmsMfa, None),
            (ChallengeName::Other("X".into()), None),
        ];
        for (challenge, factor) in offered {
            assert_eq!(
                AuthFactor::of_challenge(&challenge),
                factor,
                "{challenge:?}"
            );
        }
    }

    #[test]
    fn the_sign_up_session_is_redacted_and_never_serialized() {
        let result = SignUpResult::new("sub-1", false)
            .with_session(Some(SecretString::from("sign-up-session-value")));
        assert_eq!(
            result.session.as_ref().map(SecretString::expose),
            Some("sign-up-session-value")
        );
        let shown = format!("{result:?}");
        assert!(!shown.contains("sign-up-session-value"), "{shown}");
        let json = serde_json::to_string(&result).unwrap();
        assert!(!json.contains("sign-up-session-value"), "{json}");
        let back: SignUpResult = serde_json::from_str(&json).unwrap();
        assert_eq!(back, SignUpResult::new("sub-1", false));
    }

    #[test]
    fn user_auth_factors_setters() {
        let username = Username::new("ada").unwrap();
        let factors = UserAuthFactors::new(username.clone());
        assert_eq!(factors.mfa, MfaSettings::default());
        assert!(factors.configured_first_factors.is_empty());
        let factors = factors
            .with_mfa(MfaSettings::from_cognito(Some("EMAIL_OTP"), &["EMAIL_OTP"]))
            .with_configured_first_factors(vec![AuthFactor::Password]);
        assert_eq!(factors.username, username);
        assert_eq!(factors.mfa.preferred, Some(MfaType::Email));
        assert_eq!(factors.configured_first_factors, [AuthFactor::Password]);
    }
}
