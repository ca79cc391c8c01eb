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
    AttributeName, Attributes, ChallengeName, ClientId, Code, CodeDeliveryDetails, Error,
    MfaPreferenceUpdate, Password, SecretString, SignUpResult, User, Username,
};

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
    /// Metadata for triggers.
    pub client_metadata: ClientMetadata,
}

impl ChallengeRequest {
    /// The answer `response` for user `username`, without a session or metadata.
    pub fn new(username: Username, response: ChallengeResponse) -> Self {
        Self {
            session: None,
            username,
            response,
            client_metadata: ClientMetadata::new(),
        }
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
        /// A remembered device's key.
        device_key: Option<String>,
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
    /// `EMAIL_OTP`.
    EmailOtp {
        /// The code.
        code: Code,
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
            Self::SelectMfaType { .. } => ChallengeName::SelectMfaType,
            Self::MfaSetup { .. } => ChallengeName::MfaSetup,
            Self::Custom { .. } => ChallengeName::CustomChallenge,
        }
    }
}

/// The tokens of a completed sign-in or refresh (`AuthenticationResult`), still encoded.
///
/// `#[non_exhaustive]`: Cognito's `AuthenticationResult` has more than this version reads
/// (`TokenType`, `NewDeviceMetadata`). A transport builds one with [`new`](Self::new) and
/// the `with_*` setters.
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
}

impl AuthTokens {
    /// The ID and access tokens, without a refresh token or an expiry.
    pub fn new(id_token: SecretString, access_token: SecretString) -> Self {
        Self {
            id_token,
            access_token,
            refresh_token: None,
            expires_in: None,
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
}

impl Challenge {
    /// The challenge `name`, without a session or parameters.
    pub fn new(name: ChallengeName) -> Self {
        Self {
            name,
            session: None,
            parameters: BTreeMap::new(),
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
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("name", &self.name)
            .field("session", &self.session)
            .field("parameters", &self.parameters.keys().collect::<Vec<_>>())
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
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// A transport that writes only the methods without a default body. It must keep
    /// compiling: an operation added to the trait later comes with a default body, so
    /// that implementations outside this crate never break.
    #[derive(Debug)]
    struct RequiredOnly {
        client_id: ClientId,
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
            _: Username,
            _: Code,
            _: bool,
            _: ClientMetadata,
        ) -> Result<(), Error> {
            unsupported()
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
        let transport: Arc<dyn Transport> = Arc::new(RequiredOnly {
            client_id: ClientId::new("client-1").unwrap(),
        });
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
        assert!(answer.client_metadata.is_empty());
        let answer = answer
            .with_session(Some(SecretString::from("session")))
            .with_client_metadata(metadata.clone());
        assert_eq!(answer.session.as_ref().map(|s| s.expose()), Some("session"));
        assert_eq!(answer.client_metadata, metadata);
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
}
