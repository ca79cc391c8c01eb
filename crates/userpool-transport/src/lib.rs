//! The transport of userpool: one method per Cognito call the facade makes, in userpool's
//! own vocabulary, and [`SdkTransport`], its implementation on the official
//! `aws-sdk-cognitoidentityprovider`.
//!
//! The facade (`userpool::Auth`) holds an `Arc<dyn Transport>`; its unit tests use the
//! generated `MockTransport` (feature `mock`) and never touch the network.
//!
//! A transport is bound to one app client: it knows the client id and, for app clients
//! with a secret, computes `SECRET_HASH` for every call that needs it, from the username
//! the request carries. Callers never see the SDK's types: answers are domain types and
//! every failure is a [`userpool_types::Error`] (the SDK's error stays behind `source()`).
//!
//! # The SDK transport
//!
//! ```no_run
//! use std::time::Duration;
//! use userpool_transport::{SdkTransport, Transport};
//! use userpool_types::{ClientId, ClientSecret};
//!
//! # async fn demo() -> Result<(), userpool_types::Error> {
//! let transport = SdkTransport::builder()
//!     .client_id(ClientId::new("7abc123clientid")?)
//!     .client_secret(Some(ClientSecret::from("only for app clients with a secret")))
//!     .region("eu-west-1") // required
//!     .endpoint("http://127.0.0.1:9229") // optional: a local user pool
//!     .connect_timeout(Duration::from_secs(3))
//!     .operation_timeout(Duration::from_secs(20))
//!     .max_attempts(3)
//!     .build()?; // synchronous: no I/O, nothing read from the environment
//! let user = transport.get_user("access token".into()).await?;
//! # let _ = user;
//! # Ok(())
//! # }
//! ```
//!
//! Other ways in: [`SdkTransport::from_client`] wraps an SDK client configured by the
//! caller; [`SdkTransport::with_sdk_config`] starts from an `aws_config::SdkConfig`;
//! [`SdkTransport::from_env`] loads one from the environment and profile files (region
//! from `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile).
//!
//! The region is never looked up from the instance metadata service: the builder
//! requires one ([`userpool_types::Error::Config`] otherwise), and `from_env` resolves it
//! from the environment and the profile only, before aws-config loads anything else.
//!
//! ## No credentials, no signing
//!
//! Every call is one of Cognito's public user operations, which the SDK models with the
//! `noAuth` scheme only: requests go out unsigned (no `Authorization` header) and no AWS
//! credentials are needed or looked up. The app client is named by `ClientId`, the user
//! by an access token or, for app clients with a secret, by `SECRET_HASH`, which the
//! transport computes for SignUp, ConfirmSignUp, ResendConfirmationCode, ForgotPassword,
//! ConfirmForgotPassword, InitiateAuth (all three flows) and RespondToAuthChallenge, and
//! RevokeToken sends the secret itself (`ClientSecret`), as Cognito wants.
//!
//! ## Retries and timeouts
//!
//! The SDK's *standard* retry mode, with `max_attempts` attempts in all (default 3, that
//! is at most 2 retries; 1 turns retries off) and exponential backoff with full jitter
//! from `initial_backoff` (default 1 s, doubling, capped at 20 s). Retried:
//! throttling (`TooManyRequestsException` and the SDK's other throttling codes, HTTP
//! 429), server faults (HTTP 500, 502, 503, 504, whatever the body) and failures to send
//! or receive (connection refused or reset, a timed-out attempt). Everything else is
//! final at the first answer; in particular `NotAuthorizedException` is never retried.
//! `LimitExceededException`, which the SDK counts as throttling, is made final too:
//! Cognito sends it when an attempt limit is reached, which a retry seconds later cannot
//! lift.
//!
//! Timeouts: connect 3.1 s (the SDK's default), operation 30 s (all attempts and backoff
//! of one call, so that no call can hang forever), per attempt none; all configurable.
//!
//! ## Errors
//!
//! A Cognito exception becomes its `Error` variant (`Error::from_service`), an unknown
//! one `Error::Service` with its name. Connection failures and timeouts are
//! `Error::Network`. An answer that cannot be read is `Error::MalformedResponse`, or
//! `Error::InternalError` for a 5xx whose body is not a JSON exception (for instance
//! the HTML page of a server that lacks the operation: "HTTP 500 with a non-JSON body").
//! An answer missing what the operation needs (an `AuthenticationResult` without
//! `AccessToken`, a `SignUp` answer without `UserSub`) is `MalformedResponse` too.
//! Messages never contain the body of an answer.
//!
//! ## Features and build cost
//!
//! The AWS crates are built with `default-features = false`:
//! - `aws-sdk-cognitoidentityprovider`: `rt-tokio` and `behavior-version-latest`. Its
//!   defaults (`rustls`, `default-https-client`) would compile a second, legacy TLS
//!   stack (hyper 0.14 + rustls 0.21) next to the current one, and `aws-lc-rs` (a C and
//!   assembly build) as the crypto provider.
//! - `aws-smithy-http-client`: `rustls-ring`: hyper 1 + rustls on `ring`, the one TLS
//!   stack of the tree. The transport builds the HTTPS client with it explicitly and
//!   hands it to the SDK config; trusted roots are the platform's certificates. Plain
//!   `http://` endpoints (local servers) work with the same client.
//! - `aws-config`: `rt-tokio` and `behavior-version-latest` (no SSO, no credential
//!   process, no default HTTPS client), for `with_sdk_config` and `from_env`.
//!
//! Measured (2 cores, `cargo build -p userpool-transport` into an empty target dir, dev
//! profile, while other builds shared the machine): 3 min 23 s wall, 2 min 36 s of CPU
//! over 192 units. `aws-sdk-cognitoidentityprovider` alone takes 76 s and is the
//! critical path; what only `aws-config` brings (`aws-sdk-sts`, `url`/`idna`/ICU, the XML
//! and query protocols) adds 41 s of CPU that runs beside it.
//!
//! ## Security
//!
//! Passwords, codes, tokens, `SECRET_HASH` and the client secret never appear in an
//! error message, in this crate's log lines or in `Debug` output (`SdkTransport`'s
//! `Debug` shows the client id, the region, the endpoint and whether a secret is set).
//! Each call runs in one `tracing` span at debug level, `cognito{operation=…}`, that
//! carries the operation name only. The SDK's own `debug` events carry no secret either
//! (tested), but at `trace` level the SDK logs whole requests, bodies included, under
//! the `aws_smithy_runtime` target: keep that target below `trace` in production.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use userpool_types::{
    AttributeName, Attributes, ChallengeName, ClientId, Code, CodeDeliveryDetails, Error, Password,
    SecretString, SignUpResult, User, Username,
};

mod sdk;

pub use sdk::{SdkTransport, SdkTransportBuilder};

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
pub struct ChallengeAnswer {
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
pub enum AuthAnswer {
    /// Signed in (or refreshed).
    Tokens(AuthTokens),
    /// Another challenge.
    Challenge(Challenge),
}

/// The Cognito calls userpool makes, one method each.
///
/// Implementations must be cheap to share (`Arc<dyn Transport>`) and must map every
/// failure to a [`userpool_types::Error`]: service exceptions by name, connection failures
/// to `Error::Network`, unreadable answers to `Error::MalformedResponse`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// The app client this transport calls as.
    fn client_id(&self) -> &ClientId;

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
    ) -> Result<AuthAnswer, Error>;

    /// `RespondToAuthChallenge`.
    async fn respond_to_auth_challenge(&self, answer: ChallengeAnswer)
    -> Result<AuthAnswer, Error>;

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
