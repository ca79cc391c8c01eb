//! Errors: the Cognito exceptions the wire protocol answers with, and the library's own
//! error type for the embedded API.

use std::fmt;

pub use userpool_types::ExceptionName;

/// A Cognito exception as it goes over the wire: an exception name (`__type` in the body and
/// the `x-amzn-ErrorType` header), a message, and an HTTP status (400 for client errors,
/// 500 for real faults).
///
/// The name is an [`ExceptionName`] of the table in `userpool-types` that the client's
/// `Error` is generated from, so both sides spell every exception the same way.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiError {
    kind: ExceptionName,
    message: String,
    status: u16,
}

impl ApiError {
    /// An error with the exception's usual HTTP status ([`ExceptionName::http_status`]:
    /// 400 for client errors).
    pub fn new(kind: ExceptionName, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: kind.http_status(),
        }
    }

    /// An error with a chosen HTTP status.
    pub fn with_status(kind: ExceptionName, message: impl Into<String>, status: u16) -> Self {
        Self {
            kind,
            message: message.into(),
            status,
        }
    }

    /// The exception name, e.g. `NotAuthorizedException`.
    pub fn kind(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The exception, as a value to compare.
    pub fn exception(&self) -> ExceptionName {
        self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The JSON body Cognito answers with: `{"__type": ..., "message": ...}`.
    pub fn body(&self) -> String {
        serde_json::json!({ "__type": self.kind.as_str(), "message": self.message }).to_string()
    }

    pub(crate) fn internal(context: impl fmt::Display) -> Self {
        tracing::error!(error = %context, "internal error");
        Self::with_status(
            ExceptionName::InternalError,
            "An internal error occurred in the local user pool.",
            500,
        )
    }

    pub(crate) fn not_authorized(message: impl Into<String>) -> Self {
        Self::new(ExceptionName::NotAuthorized, message)
    }

    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ExceptionName::InvalidParameter, message)
    }

    pub(crate) fn bad_credentials() -> Self {
        Self::not_authorized("Incorrect username or password.")
    }

    pub(crate) fn user_not_found() -> Self {
        Self::new(ExceptionName::UserNotFound, "User does not exist.")
    }

    pub(crate) fn pool_not_found(pool_id: &str) -> Self {
        Self::new(
            ExceptionName::ResourceNotFound,
            format!("User pool {pool_id} does not exist."),
        )
    }

    pub(crate) fn client_not_found(client_id: &str) -> Self {
        Self::new(
            ExceptionName::ResourceNotFound,
            format!("User pool client {client_id} does not exist."),
        )
    }

    /// The answer for a group name that names no group of the pool.
    pub(crate) fn group_not_found() -> Self {
        Self::new(ExceptionName::ResourceNotFound, "Group not found.")
    }

    /// CreateGroup's answer for a name the pool already has (in any case).
    pub(crate) fn group_exists() -> Self {
        Self::new(
            ExceptionName::GroupExists,
            "A group with the name already exists.",
        )
    }

    pub(crate) fn code_mismatch() -> Self {
        Self::new(
            ExceptionName::CodeMismatch,
            "Invalid verification code provided, please try again.",
        )
    }

    pub(crate) fn code_expired() -> Self {
        Self::new(
            ExceptionName::ExpiredCode,
            "Invalid code provided, please request a code again.",
        )
    }

    pub(crate) fn limit_exceeded() -> Self {
        Self::new(
            ExceptionName::LimitExceeded,
            "Attempt limit exceeded, please try after some time.",
        )
    }

    /// `1 validation error detected: Value null at 'x' failed to satisfy constraint: ...`
    pub(crate) fn missing(field: &str) -> Self {
        Self::invalid_parameter(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_camel(field)
        ))
    }

    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::new(ExceptionName::Serialization, message)
    }
}

/// AWS validation messages name members in lowerCamelCase (`userPoolId`).
fn lower_camel(field: &str) -> String {
    let mut chars = field.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Errors of the embedded Rust API ([`crate::LocalPool`] and friends).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation was refused the way Cognito would refuse it.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// The server could not bind its address or serve.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The data directory's database could not be opened or migrated.
    #[error("storage error: {0}")]
    Storage(String),
    /// A configuration value is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Result alias for the embedded API.
pub type Result<T, E = Error> = std::result::Result<T, E>;
