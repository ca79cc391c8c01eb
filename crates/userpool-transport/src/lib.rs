//! The transport of userpool: the [`Transport`] trait, one method per Cognito call the
//! facade makes, in userpool's own vocabulary.
//!
//! The facade (`userpool::Auth`) holds an `Arc<dyn Transport>`. Its implementation on the
//! AWS SDK is `SdkTransport`, in the crate `userpool-transport-sdk` (re-exported by
//! `userpool` behind its default feature `sdk`); this crate names no AWS crate, so a
//! transport of your own, and every test through the generated `MockTransport` (feature
//! `test-util`), builds without the SDK.
//!
//! A transport is bound to one app client: it knows the client id and, for app clients
//! with a secret, computes `SECRET_HASH` for every call that needs it, from the username
//! the request carries. Answers are domain types and every failure is a
//! [`userpool_types::Error`]. A transport makes one attempt per call: retrying is the
//! facade's decision.
//!
//! # Implementing a transport
//!
//! Implement the trait under `#[async_trait]`. Methods added in later versions have
//! default bodies that answer [`Error::UnsupportedOperation`](userpool_types::Error), so
//! that a new operation never breaks an existing implementation. See
//! `crates/userpool/examples/custom_transport.rs` for a whole one.
//!
//! Only the `userpool` facade follows semantic versioning; use this crate through it.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use userpool_types::{
    AttributeName, Attributes, AuthFactor, ChallengeName, ClientId, Code, CodeDeliveryDetails,
    Device, DeviceRememberedStatus, Error, MfaPreferenceUpdate, NewDeviceMetadata, Password,
    SecretString, SignUpResult, User, UserAuthFactors, Username,
};

pub mod oauth;
#[cfg(any(test, feature = "test-util"))]
pub use oauth::MockOAuthTransport;
pub use oauth::{OAuthError, OAuthErrorCode, OAuthTokens, OAuthTransport, TokenGrant};

/// Key–value pairs passed through to the pool's Lambda triggers.
pub type ClientMetadata = BTreeMap<String, String>;

/// A sign-up.
///
/// `#[non_exhaustive]`: Cognito's `SignUp` takes more than this version sends, and a field
/// may be added. Build one with [`new`](Self::new) and the `with_*` setters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SignUpRequest {
    /// The username.
    pub username: Username,
    /// The password.
    pub password: Password,
    /// Standard and `custom:` attributes.
    pub attributes: Attributes,
    /// Validation data for a pre-sign-up trigger.
    pub validation_data: Attributes,
    /// Metadata for triggers.
    pub client_metadata: ClientMetadata,
}

impl SignUpRequest {
    /// A sign-up of `username` with `password`, with no attributes, validation data or
    /// metadata.
    pub fn new(username: Username, password: Password) -> Self {
        Self {
            username,
            password,
            attributes: Attributes::new(),
            validation_data: Attributes::new(),
            client_metadata: ClientMetadata::new(),
        }
    }

    /// Sets the attributes.
    pub fn with_attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Sets the validation data.
    pub fn with_validation_data(mut self, validation_data: Attributes) -> Self {
        self.validation_data = validation_data;
        self
    }

    /// Sets the metadata for triggers.
    pub fn with_client_metadata(mut self, client_metadata: ClientMetadata) -> Self {
        self.client_metadata = client_metadata;
        self
    }
}

/// A confirmation of a sign-up (`ConfirmSignUp`), with the sign-up's session so that the
/// answer can carry one to sign in with.
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new)
/// and the `with_*` setters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ConfirmSignUpRequest {
    /// The username.
    pub username: Username,
    /// The confirmation code.
    pub code: Code,
    /// `ForceAliasCreation`: move an email or phone alias from another user to this one.
    pub force_alias_creation: bool,
    /// Metadata for triggers.
    pub client_metadata: ClientMetadata,
    /// `Session`: the one `SignUp` answered ([`SignUpResult::session`]).
    pub session: Option<SecretString>,
}

impl ConfirmSignUpRequest {
    /// The confirmation of `username` with `code`: no alias moved, no metadata, no
    /// session.
    pub fn new(username: Username, code: Code) -> Self {
        Self {
            username,
            code,
            force_alias_creation: false,
            client_metadata: ClientMetadata::new(),
            session: None,
        }
    }

    /// Sets `ForceAliasCreation`.
    pub fn with_force_alias_creation(mut self, force_alias_creation: bool) -> Self {
        self.force_alias_creation = force_alias_creation;
        self
    }

    /// Sets the metadata for triggers.
    pub fn with_client_metadata(mut self, client_metadata: ClientMetadata) -> Self {
        self.client_metadata = client_metadata;
        self
    }

    /// Sets the sign-up's session (`None` leaves it out).
    pub fn with_session(mut self, session: Option<SecretString>) -> Self {
        self.session = session;
        self
    }
}

/// What `ConfirmSignUp` answers.
///
/// `#[non_exhaustive]`, so that a field can be added; a transport builds one with
/// [`new`](Self::new) and [`with_session`](Self::with_session).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ConfirmSignUpResult {
    /// `Session`: signs the user in once with [`InitiateAuth::UserAuth`], when the app
    /// client allows `USER_AUTH` (and the request carried the sign-up's session).
    pub session: Option<SecretString>,
}

impl ConfirmSignUpResult {
    /// An answer without a session.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the session (`None` leaves it out).
    pub fn with_session(mut self, session: Option<SecretString>) -> Self {
        self.session = session;
        self
    }
}

/// A first factor chosen for choice-based sign-in (`USER_AUTH`), with what it needs: the
/// `PREFERRED_CHALLENGE` of [`InitiateAuth::UserAuth`] and the `ANSWER` of
/// [`ChallengeResponse::SelectChallenge`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FirstFactor {
    /// `PASSWORD`, with the password (`PASSWORD`): tokens or an MFA challenge next.
    Password {
        /// The password.
        password: Password,
    },
    /// `PASSWORD_SRP`, with the client's public value (`SRP_A`): `PASSWORD_VERIFIER`
    /// next.
    PasswordSrp {
        /// `SRP_A`, lowercase hex.
        srp_a: String,
    },
    /// `EMAIL_OTP`: the pool sends a code by email; the `EMAIL_OTP` challenge next.
    EmailOtp,
    /// `SMS_OTP`: the pool sends a code by SMS; the `SMS_OTP` challenge next.
    SmsOtp,
    /// `WEB_AUTHN`: the `WEB_AUTHN` challenge with the credential request options next.
    WebAuthn,
}

impl FirstFactor {
    /// Cognito's name of the challenge this chooses (`PASSWORD`, `PASSWORD_SRP`,
    /// `EMAIL_OTP`, `SMS_OTP`, `WEB_AUTHN`).
    pub fn challenge(&self) -> ChallengeName {
        match self {
            Self::Password { .. } => ChallengeName::Password,
            Self::PasswordSrp { .. } => ChallengeName::PasswordSrp,
            Self::EmailOtp => ChallengeName::EmailOtp,
            Self::SmsOtp => ChallengeName::SmsOtp,
            Self::WebAuthn => ChallengeName::WebAuthn,
        }
    }

    /// The factor this chooses (both password forms are [`AuthFactor::Password`]).
    pub fn factor(&self) -> AuthFactor {
        match self {
            Self::Password { .. } | Self::PasswordSrp { .. } => AuthFactor::Password,
            Self::EmailOtp => AuthFactor::EmailOtp,
            Self::SmsOtp => AuthFactor::SmsOtp,
            Self::WebAuthn => AuthFactor::WebAuthn,
        }
    }
}

/// How a sign-in starts (`InitiateAuth`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InitiateAuth {
    /// `USER_SRP_AUTH` with the client's public value A.
    UserSrp {
        /// What the user typed.
        username: Username,
        /// `SRP_A`, lowercase hex.
        srp_a: String,
        /// A remembered device's key.
        device_key: Option<String>,
    },
    /// `USER_PASSWORD_AUTH`.
    UserPassword {
        /// What the user typed.
        username: Username,
        /// The password.
        password: Password,
        /// A remembered device's key: the pool asks for the device's proof
        /// (`DEVICE_SRP_AUTH`) after the password, instead of registering a new device.
        device_key: Option<String>,
    },
    /// `USER_AUTH`: choice-based sign-in. Without a preferred factor (or with one the
    /// user cannot use) the answer is `SELECT_CHALLENGE` with the available ones.
    UserAuth {
        /// What the user typed.
        username: Username,
        /// `PREFERRED_CHALLENGE` with what it needs (`PASSWORD`, `SRP_A`).
        preferred: Option<FirstFactor>,
        /// `Session`: the one `ConfirmSignUp` answered, to sign in right after sign-up
        /// without a second factor ([`ConfirmSignUpResult::session`]).
        session: Option<SecretString>,
        /// A remembered device's key.
        device_key: Option<String>,
    },
    /// `REFRESH_TOKEN_AUTH`.
    RefreshToken {
        /// The refresh token.
        refresh_token: SecretString,
        /// The username, for `SECRET_HASH` when the app client has a secret (Cognito
        /// accepts the `sub` here too).
        username: Option<Username>,
        /// A remembered device's key.
        device_key: Option<String>,
    },
}

/// An answer to a challenge (`RespondToAuthChallenge`).
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new)
/// and the `with_*` setters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ChallengeRequest {
    /// The challenge's session, passed through.
    pub session: Option<SecretString>,
    /// The username the challenge named (`USERNAME` of the challenge parameters).
    pub username: Username,
    /// The answer.
    pub response: ChallengeResponse,
    /// `DEVICE_KEY`: the device the sign-in comes from, sent with the answer to every
    /// kind of challenge. Naming a remembered device in an MFA, new-password or
    /// first-factor answer lets the pool link the session to it instead of registering
    /// a new device; in a `PASSWORD_VERIFIER` answer it asks for the device's proof. The
    /// device challenges ([`DeviceSrpAuth`](ChallengeResponse::DeviceSrpAuth),
    /// [`DevicePasswordVerifier`](ChallengeResponse::DevicePasswordVerifier)) cannot be
    /// answered without it: a transport refuses those, before sending, when it is `None`.
    ///
    /// The one place an answer names its device: no [`ChallengeResponse`] carries a key
    /// of its own.
    pub device_key: Option<String>,
    /// Metadata for triggers.
    pub client_metadata: ClientMetadata,
}

impl ChallengeRequest {
    /// The answer `response` for user `username`, without a session, device or
    /// metadata.
    pub fn new(username: Username, response: ChallengeResponse) -> Self {
        Self {
            session: None,
            username,
            response,
            device_key: None,
            client_metadata: ClientMetadata::new(),
        }
    }

    /// Sets the device the sign-in comes from (`DEVICE_KEY`; `None` leaves it out).
    pub fn with_device_key(mut self, device_key: Option<String>) -> Self {
        self.device_key = device_key;
        self
    }

    /// Sets the challenge's session (`None` leaves it out).
    pub fn with_session(mut self, session: Option<SecretString>) -> Self {
        self.session = session;
        self
    }

    /// Sets the metadata for triggers.
    pub fn with_client_metadata(mut self, client_metadata: ClientMetadata) -> Self {
        self.client_metadata = client_metadata;
        self
    }
}

/// The answer to one kind of challenge.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ChallengeResponse {
    /// `PASSWORD_VERIFIER`: the SRP proof.
    PasswordVerifier {
        /// `PASSWORD_CLAIM_SECRET_BLOCK`, verbatim from the challenge.
        secret_block: String,
        /// `TIMESTAMP`.
        timestamp: String,
        /// `PASSWORD_CLAIM_SIGNATURE`.
        signature: SecretString,
    },
    /// `NEW_PASSWORD_REQUIRED`: the new password and the required attributes (sent as
    /// `userAttributes.<name>`).
    NewPassword {
        /// The new password.
        new_password: Password,
        /// Attributes to set.
        attributes: Attributes,
    },
    /// `SMS_MFA`.
    SmsMfa {
        /// The code.
        code: Code,
    },
    /// `SOFTWARE_TOKEN_MFA`.
    SoftwareTokenMfa {
        /// The code.
        code: Code,
    },
    /// `EMAIL_OTP` (`EMAIL_OTP_CODE`): the MFA code of a password sign-in, and the
    /// first-factor code of `USER_AUTH` alike.
    EmailOtp {
        /// The code.
        code: Code,
    },
    /// `SMS_OTP` (`SMS_OTP_CODE`): the first-factor code of `USER_AUTH` sent by SMS.
    SmsOtp {
        /// The code.
        code: Code,
    },
    /// `SELECT_CHALLENGE` (`ANSWER`, and `PASSWORD` or `SRP_A` when the factor needs
    /// them): the first factor of a `USER_AUTH` sign-in, one of the challenge's
    /// [`available_challenges`](Challenge::available_challenges).
    SelectChallenge {
        /// The chosen factor.
        answer: FirstFactor,
    },
    /// `DEVICE_SRP_AUTH`: the device's SRP public value. The device is the request's
    /// [`device_key`](ChallengeRequest::device_key), which this answer requires.
    DeviceSrpAuth {
        /// `SRP_A`, lowercase hex.
        srp_a: String,
    },
    /// `DEVICE_PASSWORD_VERIFIER`: the device's SRP proof. The device is the request's
    /// [`device_key`](ChallengeRequest::device_key), which this answer requires.
    DevicePasswordVerifier {
        /// `PASSWORD_CLAIM_SECRET_BLOCK`, verbatim from the challenge.
        secret_block: String,
        /// `TIMESTAMP`.
        timestamp: String,
        /// `PASSWORD_CLAIM_SIGNATURE`.
        signature: SecretString,
    },
    /// `SELECT_MFA_TYPE`.
    SelectMfaType {
        /// Cognito's name of the chosen method: `SMS_MFA`, `SOFTWARE_TOKEN_MFA` or
        /// `EMAIL_OTP`.
        answer: String,
    },
    /// `MFA_SETUP`: after `VerifySoftwareToken` accepted a code (the request's session
    /// is the one `VerifySoftwareToken` answered), or with the email address to send
    /// codes to.
    MfaSetup {
        /// `EMAIL`: the address for email codes; `None` for an authenticator app.
        email: Option<String>,
    },
    /// `CUSTOM_CHALLENGE`.
    Custom {
        /// The answer.
        answer: SecretString,
    },
}

impl ChallengeResponse {
    /// The challenge this answers.
    pub fn challenge(&self) -> ChallengeName {
        match self {
            Self::PasswordVerifier { .. } => ChallengeName::PasswordVerifier,
            Self::NewPassword { .. } => ChallengeName::NewPasswordRequired,
            Self::SmsMfa { .. } => ChallengeName::SmsMfa,
            Self::SoftwareTokenMfa { .. } => ChallengeName::SoftwareTokenMfa,
            Self::EmailOtp { .. } => ChallengeName::EmailOtp,
            Self::SmsOtp { .. } => ChallengeName::SmsOtp,
            Self::SelectChallenge { .. } => ChallengeName::SelectChallenge,
            Self::DeviceSrpAuth { .. } => ChallengeName::DeviceSrpAuth,
            Self::DevicePasswordVerifier { .. } => ChallengeName::DevicePasswordVerifier,
            Self::SelectMfaType { .. } => ChallengeName::SelectMfaType,
            Self::MfaSetup { .. } => ChallengeName::MfaSetup,
            Self::Custom { .. } => ChallengeName::CustomChallenge,
        }
    }
}

/// The tokens of a completed sign-in or refresh (`AuthenticationResult`), still encoded.
///
/// `#[non_exhaustive]`: Cognito's `AuthenticationResult` has more than this version reads
/// (`TokenType`). A transport builds one with [`new`](Self::new) and the `with_*`
/// setters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AuthTokens {
    /// The ID token.
    pub id_token: SecretString,
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token: always present after a sign-in; after a refresh, only when the
    /// pool rotates refresh tokens.
    pub refresh_token: Option<SecretString>,
    /// Seconds until the access token expires.
    pub expires_in: Option<i64>,
    /// `NewDeviceMetadata`: the device this sign-in registered, when the pool tracks
    /// devices and the sign-in was not made with a known one.
    pub new_device_metadata: Option<NewDeviceMetadata>,
}

impl AuthTokens {
    /// The ID and access tokens, without a refresh token or an expiry.
    pub fn new(id_token: SecretString, access_token: SecretString) -> Self {
        Self {
            id_token,
            access_token,
            refresh_token: None,
            expires_in: None,
            new_device_metadata: None,
        }
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, refresh_token: SecretString) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// Sets the seconds until the access token expires.
    pub fn with_expires_in(mut self, expires_in: i64) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// Sets the device the sign-in registered.
    pub fn with_new_device_metadata(mut self, metadata: NewDeviceMetadata) -> Self {
        self.new_device_metadata = Some(metadata);
        self
    }
}

/// A challenge the server answered with.
///
/// `#[non_exhaustive]`, so that a field can be added; a transport builds one with
/// [`new`](Self::new) and the `with_*` setters.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Challenge {
    /// Which challenge.
    pub name: ChallengeName,
    /// The session to pass back with the answer.
    pub session: Option<SecretString>,
    /// The challenge parameters (`SRP_B`, `SALT`, `SECRET_BLOCK`, `USER_ID_FOR_SRP`,
    /// `USERNAME`, `requiredAttributes`, …).
    pub parameters: BTreeMap<String, String>,
    /// `AvailableChallenges`: what a `SELECT_CHALLENGE` (and a `USER_AUTH` answer in
    /// general) offers as the first factor, in the server's order; empty otherwise.
    pub available_challenges: Vec<ChallengeName>,
}

impl Challenge {
    /// The challenge `name`, without a session or parameters.
    pub fn new(name: ChallengeName) -> Self {
        Self {
            name,
            session: None,
            parameters: BTreeMap::new(),
            available_challenges: Vec::new(),
        }
    }

    /// Sets the session to pass back (`None` leaves it out).
    pub fn with_session(mut self, session: Option<SecretString>) -> Self {
        self.session = session;
        self
    }

    /// Sets all challenge parameters.
    pub fn with_parameters(mut self, parameters: BTreeMap<String, String>) -> Self {
        self.parameters = parameters;
        self
    }

    /// Adds one challenge parameter.
    pub fn with_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Sets what the challenge offers as the first factor (`AvailableChallenges`).
    pub fn with_available_challenges(mut self, challenges: Vec<ChallengeName>) -> Self {
        self.available_challenges = challenges;
        self
    }

    /// The first factors [`available_challenges`](Self::available_challenges) offers,
    /// once each (`PASSWORD` and `PASSWORD_SRP` are both [`AuthFactor::Password`]).
    pub fn available_factors(&self) -> Vec<AuthFactor> {
        let mut factors = Vec::new();
        for factor in self
            .available_challenges
            .iter()
            .filter_map(AuthFactor::of_challenge)
        {
            if !factors.contains(&factor) {
                factors.push(factor);
            }
        }
        factors
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("name", &self.name)
            .field("session", &self.session)
            .field("parameters", &self.parameters.keys().collect::<Vec<_>>())
            .field("available_challenges", &self.available_challenges)
            .finish()
    }
}

/// What authorises `AssociateSoftwareToken` and `VerifySoftwareToken`: the signed-in
/// user's access token, or the session of a sign-in's `MFA_SETUP` challenge.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SoftwareTokenAuth {
    /// `AccessToken`: a signed-in user adds an authenticator app.
    AccessToken(SecretString),
    /// `Session`: a sign-in sets one up because the pool requires MFA.
    Session(SecretString),
}

/// What `AssociateSoftwareToken` answers.
///
/// `#[non_exhaustive]`, so that a field can be added; a transport builds one with
/// [`new`](Self::new) and [`with_session`](Self::with_session).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AssociatedSoftwareToken {
    /// `SecretCode`: the shared secret (base32) for the authenticator app.
    pub secret_code: SecretString,
    /// `Session`: the session to verify the code with, when the call was made with one.
    pub session: Option<SecretString>,
}

impl AssociatedSoftwareToken {
    /// The secret `secret_code`, without a session.
    pub fn new(secret_code: SecretString) -> Self {
        Self {
            secret_code,
            session: None,
        }
    }

    /// Sets the session (`None` leaves it out).
    pub fn with_session(mut self, session: Option<SecretString>) -> Self {
        self.session = session;
        self
    }
}

/// A refresh with `GetTokensFromRefreshToken`, which refresh-token rotation needs.
///
/// Takes no `SECRET_HASH`: a transport bound to an app client with a secret sends the
/// secret itself (`ClientSecret`), so no username is needed.
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new)
/// and the `with_*` setters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RefreshRequest {
    /// `RefreshToken`.
    pub refresh_token: SecretString,
    /// `DeviceKey`: a remembered device's key (required by Cognito when the device is
    /// remembered and the pool tracks devices).
    pub device_key: Option<String>,
    /// Metadata for triggers.
    pub client_metadata: ClientMetadata,
}

impl RefreshRequest {
    /// A refresh with `refresh_token`, without a device key or metadata.
    pub fn new(refresh_token: SecretString) -> Self {
        Self {
            refresh_token,
            device_key: None,
            client_metadata: ClientMetadata::new(),
        }
    }

    /// Sets the device key (`None` leaves it out).
    pub fn with_device_key(mut self, device_key: Option<String>) -> Self {
        self.device_key = device_key;
        self
    }

    /// Sets the metadata for triggers.
    pub fn with_client_metadata(mut self, client_metadata: ClientMetadata) -> Self {
        self.client_metadata = client_metadata;
        self
    }
}

/// `ConfirmDevice`'s `DeviceSecretVerifierConfig`: the device's SRP verifier and salt,
/// both standard base64, as `userpool_srp`'s `DeviceSecretVerifierConfig` computes them.
/// (This crate depends on no SRP code: the caller copies the two strings over.)
///
/// `Debug` shows the salt but not the verifier.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct DeviceVerifierConfig {
    /// `PasswordVerifier`.
    pub password_verifier: SecretString,
    /// `Salt`.
    pub salt: String,
}

impl DeviceVerifierConfig {
    /// The verifier `password_verifier` with its `salt`.
    pub fn new(password_verifier: impl Into<SecretString>, salt: impl Into<String>) -> Self {
        Self {
            password_verifier: password_verifier.into(),
            salt: salt.into(),
        }
    }
}

impl fmt::Debug for DeviceVerifierConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceVerifierConfig")
            .field("password_verifier", &self.password_verifier)
            .field("salt", &self.salt)
            .finish()
    }
}

/// A confirmation of the device a sign-in registered (`ConfirmDevice`).
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new)
/// and [`with_device_name`](Self::with_device_name).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ConfirmDeviceRequest {
    /// `AccessToken`: the tokens of the sign-in that registered the device.
    pub access_token: SecretString,
    /// `DeviceKey` ([`NewDeviceMetadata::device_key`]).
    pub device_key: String,
    /// `DeviceSecretVerifierConfig`.
    pub verifier: DeviceVerifierConfig,
    /// `DeviceName`, shown in the user's device list.
    pub device_name: Option<String>,
}

impl ConfirmDeviceRequest {
    /// The confirmation of `device_key` with `verifier`, authorised by `access_token`,
    /// without a name.
    pub fn new(
        access_token: SecretString,
        device_key: impl Into<String>,
        verifier: DeviceVerifierConfig,
    ) -> Self {
        Self {
            access_token,
            device_key: device_key.into(),
            verifier,
            device_name: None,
        }
    }

    /// Sets the device's name (`None` leaves it out).
    pub fn with_device_name(mut self, device_name: Option<String>) -> Self {
        self.device_name = device_name;
        self
    }
}

/// One page of the user's devices (`ListDevices`).
///
/// `#[non_exhaustive]`, so that a field can be added; a transport builds one with
/// [`new`](Self::new) and [`with_pagination_token`](Self::with_pagination_token).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DevicePage {
    /// `Devices`.
    pub devices: Vec<Device>,
    /// `PaginationToken`: pass it to the next call for the next page; `None` on the last
    /// page.
    pub pagination_token: Option<String>,
}

impl DevicePage {
    /// The page `devices`, the last one.
    pub fn new(devices: Vec<Device>) -> Self {
        Self {
            devices,
            pagination_token: None,
        }
    }

    /// Sets the token of the next page (`None`: this is the last page).
    pub fn with_pagination_token(mut self, pagination_token: Option<String>) -> Self {
        self.pagination_token = pagination_token;
        self
    }
}

/// The answer of a method this transport does not implement (the default bodies).
fn unsupported_by_default(operation: &str) -> Error {
    Error::UnsupportedOperation {
        message: format!("{operation} is not implemented by this transport"),
    }
}

/// What `InitiateAuth` and `RespondToAuthChallenge` answer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// Signed in (or refreshed).
    Tokens(AuthTokens),
    /// Another challenge.
    Challenge(Challenge),
}

/// The Cognito calls userpool makes, one method each.
///
/// Implementations must be cheap to share (`Arc<dyn Transport>`) and must map every
/// failure to a [`userpool_types::Error`]: service exceptions by name, connection failures
/// to `Error::Network`, unreadable answers to `Error::MalformedResponse`. They make one
/// attempt per call: the facade decides what is retried.
///
/// Methods added after the first release have default bodies that answer
/// `Error::UnsupportedOperation`, so that a new operation never breaks an implementation.
#[cfg_attr(any(test, feature = "test-util"), mockall::automock)]
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// The app client this transport calls as.
    fn client_id(&self) -> &ClientId;

    /// True when the transport holds the app client's secret and adds `SECRET_HASH` to
    /// the calls that need it. The facade then refuses, before sending, a call that could
    /// not carry one (a refresh without the username). The default is false.
    fn has_client_secret(&self) -> bool {
        false
    }

    /// `SignUp`.
    async fn sign_up(&self, request: SignUpRequest) -> Result<SignUpResult, Error>;

    /// `ConfirmSignUp`.
    async fn confirm_sign_up(
        &self,
        username: Username,
        code: Code,
        force_alias_creation: bool,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error>;

    /// `ResendConfirmationCode`.
    async fn resend_confirmation_code(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error>;

    /// `InitiateAuth`.
    async fn initiate_auth(
        &self,
        request: InitiateAuth,
        client_metadata: ClientMetadata,
    ) -> Result<AuthOutcome, Error>;

    /// `RespondToAuthChallenge`.
    async fn respond_to_auth_challenge(
        &self,
        request: ChallengeRequest,
    ) -> Result<AuthOutcome, Error>;

    /// `ChangePassword`.
    async fn change_password(
        &self,
        access_token: SecretString,
        previous: Password,
        proposed: Password,
    ) -> Result<(), Error>;

    /// `ForgotPassword`.
    async fn forgot_password(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error>;

    /// `ConfirmForgotPassword`.
    async fn confirm_forgot_password(
        &self,
        username: Username,
        code: Code,
        new_password: Password,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error>;

    /// `GetUser`.
    async fn get_user(&self, access_token: SecretString) -> Result<User, Error>;

    /// `UpdateUserAttributes`: the delivery details of the codes sent for attributes that
    /// need verification.
    async fn update_user_attributes(
        &self,
        access_token: SecretString,
        attributes: Attributes,
        client_metadata: ClientMetadata,
    ) -> Result<Vec<CodeDeliveryDetails>, Error>;

    /// `DeleteUserAttributes`.
    async fn delete_user_attributes(
        &self,
        access_token: SecretString,
        names: Vec<AttributeName>,
    ) -> Result<(), Error>;

    /// `GetUserAttributeVerificationCode`.
    async fn get_user_attribute_verification_code(
        &self,
        access_token: SecretString,
        name: AttributeName,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error>;

    /// `VerifyUserAttribute`.
    async fn verify_user_attribute(
        &self,
        access_token: SecretString,
        name: AttributeName,
        code: Code,
    ) -> Result<(), Error>;

    /// `GlobalSignOut`.
    async fn global_sign_out(&self, access_token: SecretString) -> Result<(), Error>;

    /// `RevokeToken`.
    async fn revoke_token(&self, refresh_token: SecretString) -> Result<(), Error>;

    /// `DeleteUser`.
    async fn delete_user(&self, access_token: SecretString) -> Result<(), Error>;

    /// `AssociateSoftwareToken`: a new TOTP secret for the user, authorised by `auth`.
    /// Takes no `SECRET_HASH`.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn associate_software_token(
        &self,
        auth: SoftwareTokenAuth,
    ) -> Result<AssociatedSoftwareToken, Error> {
        let _ = auth;
        Err(unsupported_by_default("AssociateSoftwareToken"))
    }

    /// `VerifySoftwareToken`: checks a code of the authenticator app and, when it
    /// matches, enables it. Answers the new `Session` when `auth` was a session. A
    /// `Status` of `ERROR` is an error ([`Error::EnableSoftwareTokenMfa`]), never `Ok`.
    /// Takes no `SECRET_HASH`.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn verify_software_token(
        &self,
        auth: SoftwareTokenAuth,
        code: Code,
        friendly_device_name: Option<String>,
    ) -> Result<Option<SecretString>, Error> {
        let _ = (auth, code, friendly_device_name);
        Err(unsupported_by_default("VerifySoftwareToken"))
    }

    /// `SetUserMFAPreference`: the methods of `update` that are `Some` are sent
    /// (`SMSMfaSettings`, `SoftwareTokenMfaSettings`, `EmailMfaSettings`), the others
    /// are left out. The user's MFA settings are read with [`get_user`](Self::get_user)
    /// ([`User::preferred_mfa`], [`User::mfa_methods`]).
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn set_user_mfa_preference(
        &self,
        access_token: SecretString,
        update: MfaPreferenceUpdate,
    ) -> Result<(), Error> {
        let _ = (access_token, update);
        Err(unsupported_by_default("SetUserMFAPreference"))
    }

    /// `ConfirmSignUp` with the sign-up's session, answering the session to sign in
    /// with ([`InitiateAuth::UserAuth`]). Takes `SECRET_HASH`.
    ///
    /// The default calls [`confirm_sign_up`](Self::confirm_sign_up), so that a transport
    /// written before this method confirms as before: the request's session is not sent
    /// and the answer has none.
    async fn confirm_sign_up_with(
        &self,
        request: ConfirmSignUpRequest,
    ) -> Result<ConfirmSignUpResult, Error> {
        let ConfirmSignUpRequest {
            username,
            code,
            force_alias_creation,
            client_metadata,
            session: _,
        } = request;
        self.confirm_sign_up(username, code, force_alias_creation, client_metadata)
            .await?;
        Ok(ConfirmSignUpResult::new())
    }

    /// `GetTokensFromRefreshToken`: new tokens, and a new refresh token when the app
    /// client rotates them ([`AuthTokens::refresh_token`]; the old one then stops working
    /// after the client's grace period). Sends the client secret, when the transport has
    /// one, instead of a `SECRET_HASH`.
    ///
    /// A server that does not know the operation answers an error for which
    /// [`Error::is_unknown_operation`] is true; `InitiateAuth`
    /// [`RefreshToken`](InitiateAuth::RefreshToken) is the older way.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn get_tokens_from_refresh_token(
        &self,
        request: RefreshRequest,
    ) -> Result<AuthTokens, Error> {
        let _ = request;
        Err(unsupported_by_default("GetTokensFromRefreshToken"))
    }

    /// `ConfirmDevice`: remembers the device a sign-in registered. Answers
    /// `UserConfirmationNecessary`: true when the pool remembers devices only when the
    /// user agrees (`DeviceOnlyRememberedOnUserPrompt`), so that the device stays not
    /// remembered until [`update_device_status`](Self::update_device_status) says
    /// otherwise. Takes no `SECRET_HASH`.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn confirm_device(&self, request: ConfirmDeviceRequest) -> Result<bool, Error> {
        let _ = request;
        Err(unsupported_by_default("ConfirmDevice"))
    }

    /// `GetDevice`: one device of the signed-in user.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn get_device(
        &self,
        access_token: SecretString,
        device_key: String,
    ) -> Result<Device, Error> {
        let _ = (access_token, device_key);
        Err(unsupported_by_default("GetDevice"))
    }

    /// `ListDevices`: one page of the signed-in user's devices, at most `limit` of them
    /// (Cognito allows 0 to 60; `None` leaves the size to the server), from the page
    /// `pagination_token` names (`None`: the first).
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn list_devices(
        &self,
        access_token: SecretString,
        limit: Option<u32>,
        pagination_token: Option<String>,
    ) -> Result<DevicePage, Error> {
        let _ = (access_token, limit, pagination_token);
        Err(unsupported_by_default("ListDevices"))
    }

    /// `ForgetDevice`: the device is no longer tracked; its key cannot sign in again.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn forget_device(
        &self,
        access_token: SecretString,
        device_key: String,
    ) -> Result<(), Error> {
        let _ = (access_token, device_key);
        Err(unsupported_by_default("ForgetDevice"))
    }

    /// `UpdateDeviceStatus`: marks the device remembered or not remembered.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn update_device_status(
        &self,
        access_token: SecretString,
        device_key: String,
        status: DeviceRememberedStatus,
    ) -> Result<(), Error> {
        let _ = (access_token, device_key, status);
        Err(unsupported_by_default("UpdateDeviceStatus"))
    }

    /// `GetUserAuthFactors`: the signed-in user's MFA settings and the first factors of
    /// choice-based sign-in they can use.
    ///
    /// The default answers [`Error::UnsupportedOperation`].
    async fn get_user_auth_factors(
        &self,
        access_token: SecretString,
    ) -> Result<UserAuthFactors, Error> {
        let _ = access_token;
        Err(unsupported_by_default("GetUserAuthFactors"))
    }
}

/// A shared transport is a transport: `Arc<dyn Transport>` and `Arc<YourTransport>` can be
/// handed to anything that takes `impl Transport`.
#[async_trait]
impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn client_id(&self) -> &ClientId {
        (**self).client_id()
    }
    fn has_client_secret(&self) -> bool {
        (**self).has_client_secret()
    }
    async fn sign_up(&self, request: SignUpRequest) -> Result<SignUpResult, Error> {
        (**self).sign_up(request).await
    }
    async fn confirm_sign_up(
        &self,
        username: Username,
        code: Code,
        force_alias_creation: bool,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        (**self)
            .confirm_sign_up(username, code, force_alias_creation, client_metadata)
            .await
    }
    async fn resend_confirmation_code(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        (**self)
            .resend_confirmation_code(username, client_metadata)
            .await
    }
    async fn initiate_auth(
        &self,
        request: InitiateAuth,
        client_metadata: ClientMetadata,
    ) -> Result<AuthOutcome, Error> {
        (**self).initiate_auth(request, client_metadata).await
    }
    async fn respond_to_auth_challenge(
        &self,
        request: ChallengeRequest,
    ) -> Result<AuthOutcome, Error> {
        (**self).respond_to_auth_challenge(request).await
    }
    async fn change_password(
        &self,
        access_token: SecretString,
        previous: Password,
        proposed: Password,
    ) -> Result<(), Error> {
        (**self)
            .change_password(access_token, previous, proposed)
            .await
    }
    async fn forgot_password(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        (**self).forgot_password(username, client_metadata).await
    }
    async fn confirm_forgot_password(
        &self,
        username: Username,
        code: Code,
        new_password: Password,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        (**self)
            .confirm_forgot_password(username, code, new_password, client_metadata)
            .await
    }
    async fn get_user(&self, access_token: SecretString) -> Result<User, Error> {
        (**self).get_user(access_token).await
    }
    async fn update_user_attributes(
        &self,
        access_token: SecretString,
        attributes: Attributes,
        client_metadata: ClientMetadata,
    ) -> Result<Vec<CodeDeliveryDetails>, Error> {
        (**self)
            .update_user_attributes(access_token, attributes, client_metadata)
            .await
    }
    async fn delete_user_attributes(
        &self,
        access_token: SecretString,
        names: Vec<AttributeName>,
    ) -> Result<(), Error> {
        (**self).delete_user_attributes(access_token, names).await
    }
    async fn get_user_attribute_verification_code(
        &self,
        access_token: SecretString,
        name: AttributeName,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        (**self)
            .get_user_attribute_verification_code(access_token, name, client_metadata)
            .await
    }
    async fn verify_user_attribute(
        &self,
        access_token: SecretString,
        name: AttributeName,
        code: Code,
    ) -> Result<(), Error> {
        (**self)
            .verify_user_attribute(access_token, name, code)
            .await
    }
    async fn global_sign_out(&self, access_token: SecretString) -> Result<(), Error> {
        (**self).global_sign_out(access_token).await
    }
    async fn revoke_token(&self, refresh_token: SecretString) -> Result<(), Error> {
        (**self).revoke_token(refresh_token).await
    }
    async fn delete_user(&self, access_token: SecretString) -> Result<(), Error> {
        (**self).delete_user(access_token).await
    }
    async fn associate_software_token(
        &self,
        auth: SoftwareTokenAuth,
    ) -> Result<AssociatedSoftwareToken, Error> {
        (**self).associate_software_token(auth).await
    }
    async fn verify_software_token(
        &self,
        auth: SoftwareTokenAuth,
        code: Code,
        friendly_device_name: Option<String>,
    ) -> Result<Option<SecretString>, Error> {
        (**self)
            .verify_software_token(auth, code, friendly_device_name)
            .await
    }
    async fn set_user_mfa_preference(
        &self,
        access_token: SecretString,
        update: MfaPreferenceUpdate,
    ) -> Result<(), Error> {
        (**self).set_user_mfa_preference(access_token, update).await
    }
    async fn confirm_sign_up_with(
        &self,
        request: ConfirmSignUpRequest,
    ) -> Result<ConfirmSignUpResult, Error> {
        (**self).confirm_sign_up_with(request).await
    }
    async fn get_tokens_from_refresh_token(
        &self,
        request: RefreshRequest,
    ) -> Result<AuthTokens, Error> {
        (**self).get_tokens_from_refresh_token(request).await
    }
    async fn confirm_device(&self, request: ConfirmDeviceRequest) -> Result<bool, Error> {
        (**self).confirm_device(request).await
    }
    async fn get_device(
        &self,
        access_token: SecretString,
        device_key: String,
    ) -> Result<Device, Error> {
        (**self).get_device(access_token, device_key).await
    }
    async fn list_devices(
        &self,
        access_token: SecretString,
        limit: Option<u32>,
        pagination_token: Option<String>,
    ) -> Result<DevicePage, Error> {
        (**self)
            .list_devices(access_token, limit, pagination_token)
            .await
    }
    async fn forget_device(
        &self,
        access_token: SecretString,
        device_key: String,
    ) -> Result<(), Error> {
        (**self).forget_device(access_token, device_key).await
    }
    async fn update_device_status(
        &self,
        access_token: SecretString,
        device_key: String,
        status: DeviceRememberedStatus,
    ) -> Result<(), Error> {
        (**self)
            .update_device_status(access_token, device_key, status)
            .await
    }
    async fn get_user_auth_factors(
        &self,
        access_token: SecretString,
    ) -> Result<UserAuthFactors, Error> {
        (**self).get_user_auth_factors(access_token).await
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// A transport that writes only the methods without a default body. It must keep
    /// compiling: an operation added to the trait later comes with a default body, so
    /// that implementations outside this crate never break.
    #[derive(Debug)]
    struct RequiredOnly {
        client_id: ClientId,
        /// What `confirm_sign_up` was called with (username, code, force, metadata).
        confirmed: Mutex<Vec<(String, String, bool, ClientMetadata)>>,
    }

    impl RequiredOnly {
        fn new() -> Self {
            Self {
                client_id: ClientId::new("client-1").unwrap(),
                confirmed: Mutex::new(Vec::new()),
            }
        }
    }

    fn unsupported<T>() -> Result<T, Error> {
        Err(Error::UnsupportedOperation {
            message: "not implemented by this test transport".into(),
        })
    }

    #[async_trait]
    impl Transport for RequiredOnly {
        fn client_id(&self) -> &ClientId {
            &self.client_id
        }
        async fn sign_up(&self, _: SignUpRequest) -> Result<SignUpResult, Error> {
            Ok(SignUpResult::new("sub-1", true))
        }
        async fn confirm_sign_up(
            &self,
            username: Username,
            code: Code,
            force_alias_creation: bool,
            client_metadata: ClientMetadata,
        ) -> Result<(), Error> {
            if code.expose() == "000000" {
                return Err(Error::CodeMismatch {
                    message: "wrong code".into(),
                });
            }
            self.confirmed.lock().unwrap().push((
                username.as_str().to_owned(),
                code.expose().to_owned(),
                force_alias_creation,
                client_metadata,
            ));
            Ok(())
        }
        async fn resend_confirmation_code(
            &self,
            _: Username,
            _: ClientMetadata,
        ) -> Result<Option<CodeDeliveryDetails>, Error> {
            unsupported()
        }
        async fn initiate_auth(
            &self,
            _: InitiateAuth,
            _: ClientMetadata,
        ) -> Result<AuthOutcome, Error> {
            unsupported()
        }
        async fn respond_to_auth_challenge(
            &self,
            _: ChallengeRequest,
        ) -> Result<AuthOutcome, Error> {
            unsupported()
        }
        async fn change_password(
            &self,
            _: SecretString,
            _: Password,
            _: Password,
        ) -> Result<(), Error> {
            unsupported()
        }
        async fn forgot_password(
            &self,
            _: Username,
            _: ClientMetadata,
        ) -> Result<Option<CodeDeliveryDetails>, Error> {
            unsupported()
        }
        async fn confirm_forgot_password(
            &self,
            _: Username,
            _: Code,
            _: Password,
            _: ClientMetadata,
        ) -> Result<(), Error> {
            unsupported()
        }
        async fn get_user(&self, _: SecretString) -> Result<User, Error> {
            unsupported()
        }
        async fn update_user_attributes(
            &self,
            _: SecretString,
            _: Attributes,
            _: ClientMetadata,
        ) -> Result<Vec<CodeDeliveryDetails>, Error> {
            unsupported()
        }
        async fn delete_user_attributes(
            &self,
            _: SecretString,
            _: Vec<AttributeName>,
        ) -> Result<(), Error> {
            unsupported()
        }
        async fn get_user_attribute_verification_code(
            &self,
            _: SecretString,
            _: AttributeName,
            _: ClientMetadata,
        ) -> Result<Option<CodeDeliveryDetails>, Error> {
            unsupported()
        }
        async fn verify_user_attribute(
            &self,
            _: SecretString,
            _: AttributeName,
            _: Code,
        ) -> Result<(), Error> {
            unsupported()
        }
        async fn global_sign_out(&self, _: SecretString) -> Result<(), Error> {
            unsupported()
        }
        async fn revoke_token(&self, _: SecretString) -> Result<(), Error> {
            unsupported()
        }
        async fn delete_user(&self, _: SecretString) -> Result<(), Error> {
            unsupported()
        }
    }

    /// Runs a future that never waits (every method above answers at once).
    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the test transport never waits"),
        }
    }

    #[test]
    fn a_transport_of_the_required_methods_only_works_through_the_trait() {
        let transport: Arc<dyn Transport> = Arc::new(RequiredOnly::new());
        // The defaulted method answers its documented default, also through `Arc<T>`.
        assert!(!transport.has_client_secret());
        assert!(!Arc::clone(&transport).has_client_secret());
        assert_eq!(transport.client_id().as_str(), "client-1");
        let request = SignUpRequest::new(
            Username::new("ada").unwrap(),
            Password::from("correct horse"),
        );
        let result = ready(transport.sign_up(request)).unwrap();
        assert_eq!(result, SignUpResult::new("sub-1", true));
        assert!(matches!(
            ready(transport.get_user(SecretString::from("token"))),
            Err(Error::UnsupportedOperation { .. })
        ));
        // The MFA calls were added later: their default bodies answer
        // UnsupportedOperation, directly and through `Arc<T>`.
        let shared = Arc::new(Arc::clone(&transport));
        for t in [&transport, &*shared] {
            let err = ready(t.associate_software_token(SoftwareTokenAuth::AccessToken(
                SecretString::from("token"),
            )))
            .unwrap_err();
            assert!(
                matches!(&err, Error::UnsupportedOperation { message } if message.contains("AssociateSoftwareToken")),
                "{err:?}"
            );
            let err = ready(t.verify_software_token(
                SoftwareTokenAuth::Session(SecretString::from("session")),
                Code::from("123456"),
                None,
            ))
            .unwrap_err();
            assert!(
                matches!(&err, Error::UnsupportedOperation { message } if message.contains("VerifySoftwareToken")),
                "{err:?}"
            );
            let err = ready(
                t.set_user_mfa_preference(SecretString::from("token"), MfaPreferenceUpdate::new()),
            )
            .unwrap_err();
            assert!(
                matches!(&err, Error::UnsupportedOperation { message } if message.contains("SetUserMFAPreference")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn constructors_fill_the_required_fields_and_setters_the_optional_ones() {
        let username = Username::new("ada").unwrap();
        let metadata = ClientMetadata::from([("k".to_owned(), "v".to_owned())]);
        let attributes = Attributes::try_from([("email", "ada@example.com")]).unwrap();
        let sign_up = SignUpRequest::new(username.clone(), Password::from("pw"))
            .with_attributes(attributes.clone())
            .with_validation_data(attributes.clone())
            .with_client_metadata(metadata.clone());
        assert_eq!(sign_up.username, username);
        assert_eq!(sign_up.password.expose(), "pw");
        assert_eq!(sign_up.attributes, attributes);
        assert_eq!(sign_up.validation_data, attributes);
        assert_eq!(sign_up.client_metadata, metadata);
        let bare = SignUpRequest::new(username.clone(), Password::from("pw"));
        assert!(bare.attributes.is_empty() && bare.validation_data.is_empty());
        assert!(bare.client_metadata.is_empty());

        let answer = ChallengeRequest::new(
            username.clone(),
            ChallengeResponse::SelectMfaType {
                answer: "SMS_MFA".into(),
            },
        );
        assert_eq!(answer.session, None);
        assert_eq!(answer.device_key, None);
        assert!(answer.client_metadata.is_empty());
        let answer = answer
            .with_session(Some(SecretString::from("session")))
            .with_device_key(Some("eu-west-1_dk".into()))
            .with_client_metadata(metadata.clone());
        assert_eq!(answer.session.as_ref().map(|s| s.expose()), Some("session"));
        assert_eq!(answer.device_key.as_deref(), Some("eu-west-1_dk"));
        assert_eq!(answer.client_metadata, metadata);
        assert_eq!(answer.clone().with_device_key(None).device_key, None);
        assert_eq!(answer.response.challenge(), ChallengeName::SelectMfaType);

        let tokens = AuthTokens::new(SecretString::from("id"), SecretString::from("access"));
        assert_eq!(
            (tokens.refresh_token.clone(), tokens.expires_in),
            (None, None)
        );
        let tokens = tokens
            .with_refresh_token(SecretString::from("refresh"))
            .with_expires_in(3600);
        assert_eq!(tokens.id_token.expose(), "id");
        assert_eq!(tokens.access_token.expose(), "access");
        assert_eq!(
            tokens.refresh_token.as_ref().map(|t| t.expose()),
            Some("refresh")
        );
        assert_eq!(tokens.expires_in, Some(3600));

        let challenge = Challenge::new(ChallengeName::SmsMfa)
            .with_session(Some(SecretString::from("s")))
            .with_parameter("CODE_DELIVERY_DESTINATION", "+*******0000");
        assert_eq!(challenge.name, ChallengeName::SmsMfa);
        assert_eq!(challenge.session.as_ref().map(|s| s.expose()), Some("s"));
        assert_eq!(
            challenge
                .parameters
                .get("CODE_DELIVERY_DESTINATION")
                .map(String::as_str),
            Some("+*******0000")
        );
        let replaced = challenge.with_parameters(BTreeMap::new());
        assert!(replaced.parameters.is_empty());
        assert!(Challenge::new(ChallengeName::MfaSetup).session.is_none());

        let associated = AssociatedSoftwareToken::new(SecretString::from("JBSWY3DP"));
        assert_eq!(associated.session, None);
        let associated = associated.with_session(Some(SecretString::from("s2")));
        assert_eq!(associated.secret_code.expose(), "JBSWY3DP");
        assert_eq!(associated.session.as_ref().map(|s| s.expose()), Some("s2"));
        assert!(!format!("{associated:?}").contains("JBSWY3DP"));
        assert_eq!(
            ChallengeResponse::EmailOtp {
                code: Code::from("1")
            }
            .challenge(),
            ChallengeName::EmailOtp
        );
        assert_eq!(
            ChallengeResponse::MfaSetup { email: None }.challenge(),
            ChallengeName::MfaSetup
        );
    }

    /// Every operation of issue 11 was added after the first release: its default body
    /// answers UnsupportedOperation naming the operation, directly and through `Arc<T>`.
    #[test]
    fn the_operations_added_for_devices_refresh_and_user_auth_default_to_unsupported() {
        let transport: Arc<dyn Transport> = Arc::new(RequiredOnly::new());
        let shared = Arc::new(Arc::clone(&transport));
        let token = || SecretString::from("access");
        for t in [&transport, &*shared] {
            let results: [(&str, Result<(), Error>); 7] = [
                (
                    "GetTokensFromRefreshToken",
                    ready(t.get_tokens_from_refresh_token(RefreshRequest::new(
                        SecretString::from("refresh"),
                    )))
                    .map(drop),
                ),
                (
                    "ConfirmDevice",
                    ready(t.confirm_device(ConfirmDeviceRequest::new(
                        token(),
                        "eu-west-1_dev",
                        DeviceVerifierConfig::new("verifier", "salt"),
                    )))
                    .map(drop),
                ),
                (
                    "GetDevice",
                    ready(t.get_device(token(), "eu-west-1_dev".into())).map(drop),
                ),
                (
                    "ListDevices",
                    ready(t.list_devices(token(), Some(10), None)).map(drop),
                ),
                (
                    "ForgetDevice",
                    ready(t.forget_device(token(), "eu-west-1_dev".into())),
                ),
                (
                    "UpdateDeviceStatus",
                    ready(t.update_device_status(
                        token(),
                        "eu-west-1_dev".into(),
                        DeviceRememberedStatus::Remembered,
                    )),
                ),
                (
                    "GetUserAuthFactors",
                    ready(t.get_user_auth_factors(token())).map(drop),
                ),
            ];
            for (operation, result) in results {
                let err = result.unwrap_err();
                assert!(
                    matches!(&err, Error::UnsupportedOperation { message } if message.contains(operation)),
                    "{operation}: {err:?}"
                );
            }
        }
    }

    /// `confirm_sign_up_with` was added later too, but its default confirms through the
    /// older `confirm_sign_up`, so that an older transport keeps confirming sign-ups.
    #[test]
    fn confirm_sign_up_with_defaults_to_confirm_sign_up() {
        let inner = Arc::new(RequiredOnly::new());
        let transport: Arc<dyn Transport> = inner.clone();
        let metadata = ClientMetadata::from([("k".to_owned(), "v".to_owned())]);
        let request =
            ConfirmSignUpRequest::new(Username::new("ada").unwrap(), Code::from("123456"))
                .with_force_alias_creation(true)
                .with_client_metadata(metadata.clone())
                .with_session(Some(SecretString::from("sign-up-session")));
        let answer = ready(transport.confirm_sign_up_with(request.clone())).unwrap();
        assert_eq!(answer, ConfirmSignUpResult::new());
        // Through `Arc<T>` as well: the forwarding impl must not fall back to a default.
        let shared = Arc::new(Arc::clone(&transport));
        let answer =
            ready(shared.confirm_sign_up_with(request.with_force_alias_creation(false))).unwrap();
        assert_eq!(answer.session, None);
        assert_eq!(
            *inner.confirmed.lock().unwrap(),
            [
                (
                    "ada".to_owned(),
                    "123456".to_owned(),
                    true,
                    metadata.clone()
                ),
                ("ada".to_owned(), "123456".to_owned(), false, metadata),
            ]
        );
        // A refusal of the older call is the answer.
        let err = ready(transport.confirm_sign_up_with(ConfirmSignUpRequest::new(
            Username::new("ada").unwrap(),
            Code::from("000000"),
        )))
        .unwrap_err();
        assert!(matches!(err, Error::CodeMismatch { .. }), "{err:?}");
    }

    #[test]
    fn the_new_requests_have_constructors_setters_and_names() {
        let bare = ConfirmSignUpRequest::new(Username::new("ada").unwrap(), Code::from("1"));
        assert!(!bare.force_alias_creation && bare.client_metadata.is_empty());
        assert_eq!(bare.session, None);
        let refresh = RefreshRequest::new(SecretString::from("r"));
        assert_eq!(
            (refresh.device_key.clone(), refresh.client_metadata.len()),
            (None, 0)
        );
        let refresh = refresh
            .with_device_key(Some("dk".into()))
            .with_client_metadata(ClientMetadata::from([("a".to_owned(), "b".to_owned())]));
        assert_eq!(refresh.device_key.as_deref(), Some("dk"));
        assert_eq!(refresh.client_metadata.len(), 1);
        let confirm = ConfirmDeviceRequest::new(
            SecretString::from("access"),
            "dk",
            DeviceVerifierConfig::new("v", "s"),
        );
        assert_eq!(confirm.device_name, None);
        let confirm = confirm.with_device_name(Some("laptop".into()));
        assert_eq!(confirm.device_name.as_deref(), Some("laptop"));
        assert_eq!(confirm.verifier.salt, "s");
        assert_eq!(confirm.verifier.password_verifier.expose(), "v");
        let page = DevicePage::new(vec![userpool_types::Device::new("dk")]);
        assert_eq!(page.pagination_token, None);
        let page = page.with_pagination_token(Some("next".into()));
        assert_eq!(page.pagination_token.as_deref(), Some("next"));
        assert_eq!(
            ConfirmSignUpResult::new()
                .with_session(Some(SecretString::from("s")))
                .session
                .map(|s| s.expose().to_owned()),
            Some("s".to_owned())
        );

        let tokens = AuthTokens::new(SecretString::from("id"), SecretString::from("access"));
        assert_eq!(tokens.new_device_metadata, None);
        let tokens = tokens.with_new_device_metadata(NewDeviceMetadata::new("dk", "gk"));
        assert_eq!(
            tokens.new_device_metadata,
            Some(NewDeviceMetadata::new("dk", "gk"))
        );

        let factors = [
            (
                FirstFactor::Password {
                    password: Password::from("pw"),
                },
                ChallengeName::Password,
                AuthFactor::Password,
            ),
            (
                FirstFactor::PasswordSrp { srp_a: "ab".into() },
                ChallengeName::PasswordSrp,
                AuthFactor::Password,
            ),
            (
                FirstFactor::EmailOtp,
                ChallengeName::EmailOtp,
                AuthFactor::EmailOtp,
            ),
            (
                FirstFactor::SmsOtp,
                ChallengeName::SmsOtp,
                AuthFactor::SmsOtp,
            ),
            (
                FirstFactor::WebAuthn,
                ChallengeName::WebAuthn,
                AuthFactor::WebAuthn,
            ),
        ];
        for (first, challenge, factor) in factors {
            assert_eq!(first.challenge(), challenge);
            assert_eq!(first.factor(), factor);
            assert_eq!(
                ChallengeResponse::SelectChallenge { answer: first }.challenge(),
                ChallengeName::SelectChallenge
            );
        }
        let responses = [
            (
                ChallengeResponse::SmsOtp {
                    code: Code::from("1"),
                },
                ChallengeName::SmsOtp,
            ),
            (
                ChallengeResponse::DeviceSrpAuth { srp_a: "ab".into() },
                ChallengeName::DeviceSrpAuth,
            ),
            (
                ChallengeResponse::DevicePasswordVerifier {
                    secret_block: "b".into(),
                    timestamp: "t".into(),
                    signature: SecretString::from("s"),
                },
                ChallengeName::DevicePasswordVerifier,
            ),
        ];
        for (response, challenge) in responses {
            assert_eq!(response.challenge(), challenge);
        }

        let challenge =
            Challenge::new(ChallengeName::SelectChallenge).with_available_challenges(vec![
                ChallengeName::PasswordSrp,
                ChallengeName::EmailOtp,
                ChallengeName::Password,
                ChallengeName::Other("PUSH".into()),
            ]);
        assert_eq!(
            challenge.available_factors(),
            [AuthFactor::Password, AuthFactor::EmailOtp]
        );
        assert!(
            Challenge::new(ChallengeName::SmsOtp)
                .available_challenges
                .is_empty()
        );
        assert!(format!("{challenge:?}").contains("PasswordSrp"));
    }

    #[test]
    fn debug_of_the_new_vocabulary_redacts_every_secret() {
        let secrets = [
            "pw-never-shown",
            "session-never-shown",
            "code-never-shown",
            "signature-never-shown",
            "verifier-never-shown",
            "refresh-never-shown",
            "access-never-shown",
        ];
        let shown = format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            InitiateAuth::UserAuth {
                username: Username::new("ada").unwrap(),
                preferred: Some(FirstFactor::Password {
                    password: Password::from("pw-never-shown"),
                }),
                session: Some(SecretString::from("session-never-shown")),
                device_key: Some("dk".into()),
            },
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::Password {
                    password: Password::from("pw-never-shown"),
                },
            },
            ChallengeResponse::SmsOtp {
                code: Code::from("code-never-shown"),
            },
            ChallengeResponse::DevicePasswordVerifier {
                secret_block: "block".into(),
                timestamp: "Tue Jan 6 00:00:00 UTC 2026".into(),
                signature: SecretString::from("signature-never-shown"),
            },
            ConfirmDeviceRequest::new(
                SecretString::from("access-never-shown"),
                "dk",
                DeviceVerifierConfig::new("verifier-never-shown", "salt-shown"),
            ),
            RefreshRequest::new(SecretString::from("refresh-never-shown")),
            ConfirmSignUpRequest::new(
                Username::new("ada").unwrap(),
                Code::from("code-never-shown")
            )
            .with_session(Some(SecretString::from("session-never-shown"))),
            ConfirmSignUpResult::new()
                .with_session(Some(SecretString::from("session-never-shown"))),
        );
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // What is no secret stays readable.
        assert!(
            shown.contains("salt-shown") && shown.contains("dk"),
            "{shown}"
        );
    }
}
