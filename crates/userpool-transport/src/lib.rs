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
    AttributeName, Attributes, ChallengeName, ClientId, Code, CodeDeliveryDetails, Error, Password,
    SecretString, SignUpResult, User, Username,
};

/// Key–value pairs passed through to the pool's Lambda triggers.
pub type ClientMetadata = BTreeMap<String, String>;

/// A sign-up.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
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
    /// `SELECT_MFA_TYPE`.
    SelectMfaType {
        /// `SMS_MFA` or `SOFTWARE_TOKEN_MFA`.
        answer: String,
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
            Self::SelectMfaType { .. } => ChallengeName::SelectMfaType,
            Self::Custom { .. } => ChallengeName::CustomChallenge,
        }
    }
}

/// The tokens of a completed sign-in or refresh (`AuthenticationResult`), still encoded.
#[derive(Clone, Debug, PartialEq)]
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

/// A challenge the server answered with.
#[derive(Clone, PartialEq)]
pub struct Challenge {
    /// Which challenge.
    pub name: ChallengeName,
    /// The session to pass back with the answer.
    pub session: Option<SecretString>,
    /// The challenge parameters (`SRP_B`, `SALT`, `SECRET_BLOCK`, `USER_ID_FOR_SRP`,
    /// `USERNAME`, `requiredAttributes`, …).
    pub parameters: BTreeMap<String, String>,
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
}
