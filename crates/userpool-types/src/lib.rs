//! Domain types of userpool.
//!
//! This crate holds the vocabulary every other userpool crate speaks: identifiers and
//! usernames, user attributes (standard and `custom:`), code delivery details, the three
//! Cognito tokens with their decoded claims, the session and its validity rules, the user,
//! the typed next step of a sign-in, the first factors of choice-based sign-in, remembered
//! devices, the error enum and the events of the `auth` channel.
//!
//! It also holds the facts of the wire both sides must agree on, once, for the client and
//! the local pool: the exception table ([`ExceptionName`], which [`Error`] is generated
//! from), the standard attributes and who may write them ([`STANDARD_ATTRIBUTE_TABLE`]),
//! the claim names and claim sets of the tokens ([`claims`], [`ClaimsBuilder`]) and the
//! shape of a pool id ([`UserPoolId`]).
//!
//! It does no I/O, starts no runtime and names no AWS SDK type.
//!
//! # Secrets
//!
//! Passwords, tokens, client secrets and confirmation codes are held in [`SecretString`]
//! (or a newtype over it). Their `Debug` output is `"[redacted]"` and their memory is
//! wiped when they are dropped. The only way to read one is the explicit
//! [`SecretString::expose`].
//!
//! ```
//! use userpool_types::Password;
//! let password = Password::from("correct horse battery staple");
//! assert_eq!(format!("{password:?}"), "Password([redacted])");
//! assert_eq!(password.expose(), "correct horse battery staple");
//! ```
//!
//! # Tokens
//!
//! Tokens are decoded without any cryptography (the server already checked them; the
//! client only needs their claims). A malformed token is a typed error:
//!
//! ```
//! use userpool_types::{AccessToken, Error};
//! assert!(matches!(AccessToken::parse("not-a-jwt"), Err(Error::MalformedToken { .. })));
//! ```
#![warn(missing_docs)]

mod attributes;
pub mod claims;
mod delivery;
mod devices;
mod error;
mod event;
mod ids;
mod mfa;
pub mod net;
mod secret;
mod session;
mod sign_in;
mod token;
mod user;

pub use attributes::{
    AttributeName, AttributeUpdateResult, AttributeUpdateResults, Attributes,
    STANDARD_ATTRIBUTE_TABLE, STANDARD_ATTRIBUTES, StandardAttribute, StandardAttributeType,
    parse_boolean, standard_attribute,
};
pub use claims::ClaimsBuilder;
pub use delivery::{CodeDeliveryDetails, DeliveryMedium};
pub use devices::{
    DEVICE_NAME_ATTRIBUTE, DEVICE_REMEMBERED_STATUS_ATTRIBUTE, Device, DeviceRememberedStatus,
    NewDeviceMetadata,
};
pub use error::{Error, ErrorChain, ExceptionName, Result};
pub use event::{AUTH_CHANNEL, AuthEvent};
pub use ids::{ClientId, UserPoolId, Username};
pub use mfa::{
    MfaPreference, MfaPreferenceUpdate, MfaSettings, MfaType, TotpSetupDetails,
    mfa_types_from_cognito_names,
};
pub use secret::{ClientSecret, Code, Password, SecretString};
pub use session::{ClockDrift, ClockDriftFormat, Session};
pub use sign_in::{AuthFactor, AuthFlow, ChallengeName, NextStep, SignUpResult, UserAuthFactors};
pub use token::{AccessToken, Claims, IdToken, RefreshToken};
pub use user::User;

/// Helpers for tests of crates built on this one (not part of the stable API).
#[doc(hidden)]
pub mod testing {
    pub use crate::token::unsigned_jwt;
}
