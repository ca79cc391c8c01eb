//! User and password management for Rust applications on Amazon Cognito user pools.
//!
//! `userpool` gives a Rust program what AWS Amplify JS's `Auth` category gives a web app:
//! sign-up and confirmation, sign-in (SRP by default) with its challenges (new password,
//! SMS and TOTP codes, custom challenges), sessions that refresh themselves, the user and
//! their attributes, password changes and resets, sign-out and account deletion, with the
//! same events and the same storage layout. The API is Amplify v5's, in Rust form, with
//! v6's improvements: typed next steps, per-attribute results, refreshes made once for all
//! callers, and typed errors.
//!
//! # Quick start
//!
//! ```no_run
//! use userpool::{Attributes, Auth, SignInResult, SignUpOptions};
//!
//! # async fn run() -> Result<(), userpool::Error> {
//! let auth = Auth::builder()
//!     .user_pool_id("eu-west-1_AbCdEfGhI")
//!     .client_id("7abc123clientid")
//!     .build()?;
//!
//! // Sign up, then confirm with the code the user received.
//! let attributes = Attributes::new().with("email", "ada@example.com")?;
//! let signed_up = auth
//!     .sign_up("ada", "correct horse battery staple", SignUpOptions::default().attributes(attributes))
//!     .await?;
//! if !signed_up.user_confirmed {
//!     auth.confirm_sign_up("ada", "123456").await?;
//! }
//!
//! // Sign in (SRP: the password never leaves the process).
//! match auth.sign_in("ada", "correct horse battery staple").await? {
//!     SignInResult::SignedIn => {}
//!     SignInResult::NextStep(step) => {
//!         // An MFA code, a new password, a custom challenge: answer it.
//!         println!("next: {step:?}");
//!         auth.confirm_sign_in("654321").await?;
//!     }
//!     _ => {}
//! }
//!
//! // The session refreshes itself; ask for it whenever you need a token.
//! let session = auth.current_session().await?;
//! let bearer = session.access_token().raw().expose(); // send it, never log it
//! # let _ = bearer;
//! let user = auth.current_authenticated_user().await?;
//! println!("signed in as {} ({:?})", user.username(), user.email());
//!
//! auth.sign_out().await?;
//! # Ok(())
//! # }
//! ```
//!
//! See also `examples/quickstart.rs`.
//!
//! # Configuration
//!
//! [`Auth::builder`] takes the user pool id and the app client id (required), and
//! optionally: the app client secret, the region (default: the region part of the pool
//! id), an endpoint override (a local user pool, a proxy), the [`Storage`](storage::Storage) (default
//! [`MemoryStore`]), the sign-in flow (default SRP; [`AuthFlow::UserPassword`] on
//! request), the refresh margin (default 5 s), the [`RetryPolicy`], the deadline of an
//! operation (default 30 s, retries included; [`Error::Timeout`] past it), the
//! [`ClockDriftFormat`] of a store shared with Amplify v6, a [`Hub`] to share, a
//! [`Transport`](transport::Transport) to replace the AWS SDK one, and a [`Clock`]. See [`AuthBuilder`].
//!
//! `build` emits `configured`. Nothing is read or sent until the first operation.
//!
//! # Operations
//!
//! | `Auth` method | Amplify JS (v5) | Cognito call(s) | events |
//! |---|---|---|---|
//! | [`builder`](Auth::builder)…[`build`](AuthBuilder::build) | `Auth.configure` | none | `configured` |
//! | [`sign_up`](Auth::sign_up) | `Auth.signUp` | SignUp | `signUp` / `signUp_failure` |
//! | [`confirm_sign_up`](Auth::confirm_sign_up), [`_with`](Auth::confirm_sign_up_with) | `Auth.confirmSignUp` (+ v6 `autoSignIn`) | ConfirmSignUp (+ InitiateAuth USER_AUTH after a sign-up with [`auto_sign_in`](SignUpOptions::auto_sign_in)) | `confirmSignUp` (+ `signIn`, `autoSignIn` / `autoSignIn_failure`) |
//! | [`resend_sign_up_code`](Auth::resend_sign_up_code) | `Auth.resendSignUp` | ResendConfirmationCode | |
//! | [`sign_in`](Auth::sign_in), [`_with`](Auth::sign_in_with) | `Auth.signIn` | InitiateAuth, RespondToAuthChallenge (PASSWORD_VERIFIER) | `signIn` / `signIn_failure` |
//! | [`sign_in_with_redirect`](Auth::sign_in_with_redirect), [`_with`](Auth::sign_in_with_redirect_with) | v6 `signInWithRedirect` | `/oauth2/authorize` in the browser, `/oauth2/token` (authorization_code + PKCE) | `signIn`, `signInWithRedirect` / `signInWithRedirect_failure` |
//! | [`sign_out_with_redirect`](Auth::sign_out_with_redirect) | v6 `signOut` after a redirect sign-in | as `sign_out_with`, then `/logout` in the browser | `signOut` |
//! | [`sign_in_without_password`](Auth::sign_in_without_password) | v6 `signIn` with `authFlowType: 'USER_AUTH'` | InitiateAuth (USER_AUTH), RespondToAuthChallenge (SELECT_CHALLENGE, EMAIL_OTP, SMS_OTP) | `signIn` / `signIn_failure` |
//! | [`complete_new_password`](Auth::complete_new_password) | `Auth.completeNewPassword` | RespondToAuthChallenge (NEW_PASSWORD_REQUIRED) | `signIn` / `completeNewPassword_failure` |
//! | [`confirm_sign_in`](Auth::confirm_sign_in), [`_with`](Auth::confirm_sign_in_with) | `Auth.confirmSignIn`, `Auth.sendCustomChallengeAnswer` | RespondToAuthChallenge (+ AssociateSoftwareToken, VerifySoftwareToken for an MFA setup) | `signIn` |
//! | [`set_up_totp`](Auth::set_up_totp) | `Auth.setupTOTP` (v6 `setUpTOTP`) | AssociateSoftwareToken | |
//! | [`verify_totp_setup`](Auth::verify_totp_setup) | `Auth.verifyTotpToken` (v6 `verifyTOTPSetup`) | VerifySoftwareToken | |
//! | [`update_mfa_preference`](Auth::update_mfa_preference) | v6 `updateMFAPreference` | SetUserMFAPreference (+ GetUser) | |
//! | [`fetch_mfa_preference`](Auth::fetch_mfa_preference) | v6 `fetchMFAPreference` | GetUser | |
//! | [`change_password`](Auth::change_password) | `Auth.changePassword` | ChangePassword | |
//! | [`forgot_password`](Auth::forgot_password) | `Auth.forgotPassword` | ForgotPassword | `forgotPassword` / `forgotPassword_failure` |
//! | [`forgot_password_submit`](Auth::forgot_password_submit) | `Auth.forgotPasswordSubmit` | ConfirmForgotPassword | `forgotPasswordSubmit` / `forgotPasswordSubmit_failure` |
//! | [`verify_current_user_attribute`](Auth::verify_current_user_attribute) | `Auth.verifyCurrentUserAttribute` | GetUserAttributeVerificationCode | |
//! | [`verify_current_user_attribute_submit`](Auth::verify_current_user_attribute_submit) | `Auth.verifyCurrentUserAttributeSubmit` | VerifyUserAttribute | |
//! | [`current_authenticated_user`](Auth::current_authenticated_user), [`_with`](Auth::current_authenticated_user_with) | `Auth.currentAuthenticatedUser` | none when cached; GetUser (+ refresh) when bypassing | |
//! | [`current_session`](Auth::current_session) | `Auth.currentSession` | none while valid; GetTokensFromRefreshToken when expired (InitiateAuth REFRESH_TOKEN_AUTH where the server lacks it) | `tokenRefresh` / `tokenRefresh_failure` (+ `signOut`) |
//! | [`update_user_attributes`](Auth::update_user_attributes) | `Auth.updateUserAttributes` | UpdateUserAttributes (+ GetUser, refresh) | `updateUserAttributes` / `updateUserAttributes_failure` |
//! | [`delete_user_attributes`](Auth::delete_user_attributes) | `Auth.deleteUserAttributes` | DeleteUserAttributes (+ GetUser, refresh) | |
//! | [`sign_out`](Auth::sign_out), [`sign_out_with`](Auth::sign_out_with) | `Auth.signOut({ global })` | RevokeToken (local, with `origin_jti`) or GlobalSignOut | `signOut` |
//! | [`delete_user`](Auth::delete_user) | `Auth.deleteUser` | DeleteUser | `userDeleted`, `signOut` |
//! | [`remember_device`](Auth::remember_device) | v6 `rememberDevice` | UpdateDeviceStatus (remembered) | |
//! | [`forget_device`](Auth::forget_device), [`forget_device_by_key`](Auth::forget_device_by_key) | v6 `forgetDevice` | ForgetDevice | |
//! | [`fetch_devices`](Auth::fetch_devices) | v6 `fetchDevices` | ListDevices (every page) | |
//! | [`current_device_key`](Auth::current_device_key) | none | none (the stored device) | |
//! | `verified_session`, `verified_access` (feature `verify`) | none (aws-jwt-verify) | the pool's JWKS, fetched once and on an unknown `kid` | |
//!
//! Operations whose reference takes options have a `*_with` variant taking an options
//! struct ([`SignUpOptions`], [`ConfirmSignUpOptions`], [`SignInOptions`],
//! [`RequestOptions`] for trigger metadata, [`ConfirmSignInOptions`], [`SignOutOptions`]); every options struct has
//! a `Default` and chainable setters.
//!
//! # Events
//!
//! Events are [`AuthEvent`]s on the `auth` channel ([`AUTH_CHANNEL`]) of the client's
//! [`Hub`]. [`AuthEvent::name`] gives the reference's names (`signIn`,
//! `tokenRefresh_failure`, …). Listen with a closure, or subscribe to a stream:
//!
//! ```
//! # async fn run(auth: userpool::Auth) {
//! let listener = auth.listen(|event| println!("auth event: {}", event.name()));
//! let mut events = auth.subscribe();
//! # drop(listener);
//! # let _ = events.try_recv();
//! # }
//! ```
//!
//! Dispatch only enqueues: a slow or panicking listener never delays or breaks the
//! operation that emitted the event. Events carry no token, password or code. To see
//! `configured`, pass a hub to [`AuthBuilder::hub`] and subscribe before `build`.
//!
//! # Storage
//!
//! After a sign-in, the session is written with one [`Storage::set_many`](storage::Storage::set_many), under the
//! reference's keys (so tools that know amazon-cognito-identity-js can read them):
//!
//! | key | value |
//! |---|---|
//! | `CognitoIdentityServiceProvider.<clientId>.LastAuthUser` | the username (`USER_ID_FOR_SRP`) |
//! | `CognitoIdentityServiceProvider.<clientId>.<username>.idToken` | the ID token |
//! | `….accessToken`, `….refreshToken` | the access and refresh tokens |
//! | `….clockDrift` | local time − server time at sign-in, in seconds (milliseconds are read too) |
//! | `….userData` | the cached GetUser answer, once fetched |
//! | `….deviceKey`, `….deviceGroupKey`, `….randomPasswordKey` | the remembered device: its key, its group key, and the random password its verifier was made from |
//! | `….userpoolRefreshLease` | this library's own: the claim of a refresh in progress, so that processes sharing the store never send a rotated refresh token (`<deadline ms>:<holder>`; other clients ignore it) |
//!
//! A new `Auth` on the same store (a new process) resumes the session of `LastAuthUser`
//! on first use. [`Storage::sync`](storage::Storage::sync) is awaited before that first read, before sign-out and
//! before deleting the user. A store that reports itself corrupt
//! ([`StorageError::is_corrupt`](storage::StorageError::is_corrupt)) is cleared and counts as "signed out", as do stored
//! tokens that do not decode: the answer is [`Error::NotSignedIn`], never a panic.
//!
//! The default [`MemoryStore`] forgets everything when the process ends; [`FileStore`]
//! keeps one JSON file shared safely between processes. To keep tokens elsewhere (the
//! platform keychain, a database), implement [`Storage`](storage::Storage): see [`storage`] for the
//! contract and an example.
//!
//! ```no_run
//! use userpool::{Auth, FileStore};
//! # fn main() -> Result<(), userpool::Error> {
//! let auth = Auth::builder()
//!     .user_pool_id("eu-west-1_AbCdEfGhI")
//!     .client_id("7abc123clientid")
//!     .storage(FileStore::new("/home/ada/.config/myapp/tokens.json"))
//!     .build()?;
//! # let _ = auth; Ok(())
//! # }
//! ```
//!
//! # Sessions and refresh
//!
//! - A session is valid while, for both the access and the ID token,
//!   `now − clock drift < exp − margin` (margin 5 s by default,
//!   [`AuthBuilder::refresh_margin`]).
//! - While valid, [`Auth::current_session`] answers from memory: no storage read, no
//!   call, no token copied (an [`Arc<Session>`](Session) is shared). It costs tens of
//!   nanoseconds.
//! - An expired session is refreshed with `GetTokensFromRefreshToken` (as Amplify v6 does;
//!   `REFRESH_TOKEN_AUTH` where the server lacks it, remembered for the client) **once**
//!   however many tasks ask at the same time; every one of them gets the same result,
//!   success or failure. Fetching the user (`GetUser`) is shared the same way.
//! - A rotated refresh token is stored before the new session is handed to anyone;
//!   otherwise the old one is kept.
//! - Only retryable errors are retried ([`Error::is_retryable`]: throttling, service
//!   faults, network), a few times with backoff ([`RetryPolicy`]); `NotAuthorized` never
//!   is. Calls that cannot safely be repeated (a code, a challenge answer, a password
//!   change) are retried only after throttling.
//! - A network failure, throttling or a service fault during a refresh leaves the user
//!   signed in: the error is returned and the next call tries again. Only an answer that
//!   means the refresh token can never work again ([`Error::ends_session`]: rejected,
//!   user deleted, password reset required, app client or pool gone) removes the session,
//!   with `tokenRefresh_failure` then `signOut`.
//! - Every operation has one deadline ([`AuthBuilder::deadline`]) covering its retries,
//!   back-off and storage waits; past it, [`Error::Timeout`], with the session kept.
//! - A caller that is dropped mid-call (a `timeout`, a web handler whose client went away)
//!   stops waiting, not the work: refreshes, the user fetch and every change of the stored
//!   session run in tasks of their own, so no lock is left held and no change half made. A
//!   panic in a custom [`Storage`](storage::Storage) or [`Transport`](transport::Transport) fails that one call
//!   ([`Error::Panicked`]). A Tokio runtime is required.
//! - Processes that share a store (a [`FileStore`]) share the session: it is read and
//!   changed as one unit ([`Storage::get_many`](storage::Storage::get_many), [`Storage::apply`](storage::Storage::apply)), and read again
//!   before each refresh, so a refresh never brings back a session another process signed
//!   out, and follows one it refreshed or signed in. A refresh is claimed in the store
//!   first, so that two processes never send the same refresh token (with rotation, the
//!   second would be refused): the others wait for the holder's new session.
//! - A sign-in waiting for a challenge answer is not a signed-in user:
//!   [`Error::SignInPending`].
//!
//! # Attributes
//!
//! [`Auth::update_user_attributes`] returns what happened to each attribute
//! ([`AttributeUpdateResult`]) and emits the same results: `is_updated: false` with the
//! code's delivery details for `email`/`phone_number` changes that wait for
//! verification. `sub`, `identities` and the `*_verified` flags are never sent (dropped before sending; if nothing
//! remains, [`Error::InvalidInput`]). After an update or delete the cached user is
//! reloaded and the session refreshed, so that cached attributes and ID token claims are
//! current.
//!
//! # Errors
//!
//! Every operation returns [`Error`], an enum to match on: one variant per Cognito
//! exception (`NotAuthorized`, `CodeMismatch`, `ExpiredCode`, `InvalidPassword`,
//! `UserNotConfirmed`, `UsernameExists`, `TooManyRequests`, …) and variants for this
//! side of the wire: `InvalidInput` (rejected before sending), `NotSignedIn`,
//! `SignInPending`, `MalformedToken`, `MalformedResponse`, `Network`, `Storage`, `Srp`,
//! `Config`, `Timeout`, `Panicked`. Errors are `Clone`: a failed refresh is handed to every waiter. Foreign
//! errors are reachable through [`std::error::Error::source`] only.
//!
//! # Custom transports and tests
//!
//! [`AuthBuilder::transport`] replaces the AWS SDK transport with any [`Transport`](transport::Transport): the
//! crate's own tests use `userpool_transport::MockTransport` (feature `test-util` of
//! `userpool-transport`) and never touch the network. [`AuthBuilder::clock`] injects a
//! [`Clock`] to test expiry.
//!
//! # Security
//!
//! - **Never logged.** Passwords, confirmation and MFA codes, tokens, the SRP values
//!   derived from the password, challenge sessions and the client secret never appear in
//!   a log line, an event, an error message or `Debug` output (of [`Auth`], results,
//!   sessions, tokens, errors). They are held in [`SecretString`] newtypes, whose `Debug`
//!   prints `[redacted]` and whose memory is wiped on drop; reading one takes an explicit
//!   `.expose()`. A test runs a whole flow under a `TRACE` subscriber and checks the
//!   output for every secret.
//! - **What is logged.** Each operation runs in one `tracing` span named
//!   `userpool.<operation>`, with non-secret fields: the username (which may be an email
//!   address: filter the `userpool` target if that is personal data for you), attribute
//!   names (never values), the flow, the challenge name. Errors are logged with the
//!   server's message. The AWS SDK logs request bodies at `TRACE` under
//!   `aws_smithy_runtime`: keep that target below `TRACE` in production.
//! - **Where tokens live.** In memory, in the `Arc<Session>` of the client (and the copies
//!   you take with `.expose()`); at rest, in the [`Storage`](storage::Storage) you chose, in clear text
//!   under the keys above. [`MemoryStore`] wipes values when they are replaced or removed;
//!   [`FileStore`] writes a file readable by its owner only (0600). Sign-out removes the
//!   session keys; a local sign-out also revokes the refresh token when the app client
//!   supports revocation.
//! - **Passwords.** With the default SRP flow the password never leaves the process: only
//!   a proof is sent. [`AuthFlow::UserPassword`] sends it to Cognito over TLS.
//! - **Client secrets** belong on servers: anything shipped to users' devices can be read.
//! - Tokens are decoded without checking their signature: this client got them from the
//!   server over TLS and only reads their claims. A server that receives a token from a
//!   client must verify it (`userpool-verify`). With the feature `verify`,
//!   `AuthBuilder::verifier` and `Auth::verified_session` give the session's tokens
//!   verified too (the module `userpool::verify`).
#![warn(missing_docs)]

mod auth;
mod challenge;
mod config;
mod detach;
mod inflight;
mod inner;
mod options;
mod retry;
#[cfg(feature = "verify")]
pub mod verify;

#[cfg(test)]
mod tests;

pub use auth::{Auth, ConfirmSignUpOutcome, SignInResult};
pub use auth::{
    Browser, CommandBrowser, DEFAULT_REDIRECT_PATH, DEFAULT_REDIRECT_TIMEOUT, DEFAULT_SCOPES,
    DEFAULT_SIGN_OUT_PATH, HostedConfig, RedirectSignInOptions, SystemBrowser,
};
pub use config::{
    AuthBuilder, Clock, DEFAULT_DEADLINE, DEFAULT_REFRESH_MARGIN, RetryPolicy, SystemClock,
};
pub use options::{
    ConfirmSignInOptions, ConfirmSignUpOptions, CurrentUserOptions, RequestOptions, SignInOptions,
    SignOutOptions, SignUpOptions,
};

pub use userpool_hub::{Hub, Listener, Subscription};
pub use userpool_storage::{FileStore, MemoryStore};
pub use userpool_types::{
    AUTH_CHANNEL, AccessToken, AttributeName, AttributeUpdateResult, AttributeUpdateResults,
    Attributes, AuthEvent, AuthFactor, AuthFlow, ChallengeName, Claims, ClientId, ClientSecret,
    ClockDrift, ClockDriftFormat, Code, CodeDeliveryDetails, DeliveryMedium, Device,
    DeviceRememberedStatus, Error, ErrorChain, IdToken, MfaPreference, MfaPreferenceUpdate,
    MfaSettings, MfaType, NextStep, Password, RefreshToken, Result, STANDARD_ATTRIBUTES,
    SecretString, Session, SignUpResult, TotpSetupDetails, User, UserPoolId, Username,
};

pub mod storage {
    //! Where the tokens are kept: the [`Storage`] trait to implement your own store, the
    //! [`MemoryStore`] (the default) and the [`FileStore`], the conditional [`Batch`] a
    //! store applies, and the reference key layout ([`Keys`]).
    //!
    //! How to write a store, with a whole example, is in [`userpool_storage::store`].
    pub use userpool_storage::{
        Batch, FileStore, KEY_PREFIX, Keys, MemoryStore, Storage, StorageError, UserKeys,
    };
}

pub mod transport {
    //! How the client reaches Cognito: the [`Transport`] trait and its vocabulary, to put
    //! your own transport (a proxy, a recorder, a test double) in place of the AWS SDK's.
    //!
    //! With the default feature `sdk`, `SdkTransport` is the transport on the official
    //! `aws-sdk-cognitoidentityprovider`, built by [`AuthBuilder`](crate::AuthBuilder) when
    //! no transport is given. With the feature `test-util`, `MockTransport` (mockall)
    //! lets an application test its own code against `userpool` alone. See
    //! `examples/custom_transport.rs` for a whole transport.
    //!
    //! The structs a transport receives and returns are `#[non_exhaustive]`, so that a
    //! field Cognito adds breaks no implementation: read their public fields, and build
    //! them with their constructors (the required fields) and `with_*` setters (the
    //! optional ones).
    //!
    //! ```
    //! use userpool::transport::{AuthOutcome, AuthTokens, Challenge};
    //! use userpool::{ChallengeName, CodeDeliveryDetails, DeliveryMedium, SecretString, SignUpResult};
    //!
    //! let signed_up = SignUpResult::new("5f1c2e3a-sub", false).with_code_delivery(
    //!     CodeDeliveryDetails::new()
    //!         .with_destination("a***@e***")
    //!         .with_medium(DeliveryMedium::Email)
    //!         .with_attribute_name("email"),
    //! );
    //! let tokens = AuthOutcome::Tokens(
    //!     AuthTokens::new(SecretString::from("id-jwt"), SecretString::from("access-jwt"))
    //!         .with_refresh_token(SecretString::from("refresh"))
    //!         .with_expires_in(3600),
    //! );
    //! let challenge = AuthOutcome::Challenge(
    //!     Challenge::new(ChallengeName::SoftwareTokenMfa)
    //!         .with_session(Some(SecretString::from("session")))
    //!         .with_parameter("USERNAME", "ada"),
    //! );
    //! assert_eq!(signed_up.code_delivery.unwrap().medium, Some(DeliveryMedium::Email));
    //! # let _ = (tokens, challenge);
    //! ```
    #[cfg(feature = "test-util")]
    pub use userpool_transport::MockOAuthTransport;
    #[cfg(feature = "test-util")]
    pub use userpool_transport::MockTransport;
    pub use userpool_transport::{
        AssociatedSoftwareToken, AuthOutcome, AuthTokens, Challenge, ChallengeRequest,
        ChallengeResponse, ClientMetadata, InitiateAuth, SignUpRequest, SoftwareTokenAuth,
        Transport,
    };
    pub use userpool_transport::{
        OAuthError, OAuthErrorCode, OAuthTokens, OAuthTransport, TokenGrant,
    };
    #[cfg(feature = "sdk")]
    pub use userpool_transport_sdk::HttpsOAuthTransport;
    #[cfg(feature = "sdk")]
    pub use userpool_transport_sdk::{SdkTransport, SdkTransportBuilder};
}

/// The async-trait attribute, for implementing [`Storage`](storage::Storage) or
/// [`Transport`](transport::Transport) without adding `async-trait` to your own
/// dependencies.
pub use async_trait::async_trait;
