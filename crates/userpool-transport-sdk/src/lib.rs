//! [`SdkTransport`]: userpool's [`Transport`](userpool_transport::Transport) on the
//! official `aws-sdk-cognitoidentityprovider`.
//!
//! This is the only crate of userpool that names the AWS SDK: the trait and its
//! vocabulary live in `userpool-transport`, which builds without it, and the `userpool`
//! facade re-exports this crate behind its default feature `sdk`. SDK types appear only
//! here ([`SdkTransport::from_client`], [`SdkTransport::with_sdk_config`],
//! [`SdkTransport::sdk_client`]); callers see domain types, and every failure is a
//! [`userpool_types::Error`] (the SDK's error stays behind `source()`).
//!
//! Only the `userpool` facade follows semantic versioning; use this crate through it.
//!
//! ```no_run
//! use std::time::Duration;
//! use userpool_transport::Transport;
//! use userpool_transport_sdk::SdkTransport;
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
//! ConfirmForgotPassword, InitiateAuth (every flow) and RespondToAuthChallenge, and
//! RevokeToken and GetTokensFromRefreshToken send the secret itself (`ClientSecret`), as
//! Cognito wants.
//!
//! ## Retries and timeouts
//!
//! None of its own: every call is one attempt. Retrying is the caller's decision, because
//! only the caller knows whether a call may be repeated (a sign-up, a code or a challenge
//! answer may have been carried out when the answer was lost); `userpool`'s
//! `RetryPolicy` is the one retry layer. The SDK's retries are turned off for a transport
//! built by [`SdkTransport::builder`], [`SdkTransport::from_client`] and
//! [`SdkTransport::with_sdk_config`] alike.
//!
//! Timeouts: connect 3.1 s (the SDK's default), operation 30 s (so that no call can hang
//! forever); both configurable.
//!
//! ## Errors
//!
//! A Cognito exception becomes its `Error` variant (`Error::from_service`), an unknown
//! one `Error::Service` with its name. Connection failures and timeouts are
//! `Error::Network`. An answer that cannot be read is `Error::MalformedResponse`, or
//! `Error::InternalError` for a 5xx whose body is not a JSON exception or names an
//! exception the table does not know (`InternalFailure`, `ServiceUnavailable`), (for instance
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
//! Measured (2 cores, `cargo build -p userpool-transport-sdk` into an empty target dir, dev
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

mod config;
mod errors;
mod oauth;
mod requests;

pub use config::{SdkTransport, SdkTransportBuilder};
pub use oauth::{DEFAULT_OAUTH_TIMEOUT, HttpsOAuthTransport};
