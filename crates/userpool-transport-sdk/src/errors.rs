//! Cognito's answers as domain errors: exceptions by name, network failures, unreadable
//! answers. Nothing of a request or of an answer's body goes into a message.
//!
//! A message says what failed; the cause ("Connection refused (os error 111)") is left to
//! the `source()` chain, never repeated in the message, so that a reporter that prints the
//! chain shows each text once.

use std::error::Error as StdError;
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use userpool_types::Error;

/// Maps an SDK failure to the domain error. Nothing of the request or of the answer's
/// body goes into the message; the SDK error is kept as `source()` only when it carries
/// no HTTP body, otherwise only the text of its innermost cause is (as [`RootCause`]).
pub(crate) fn map_sdk_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let err = service.err();
            match err.code() {
                Some(code) => {
                    let error = Error::from_service(code, err.message().unwrap_or_default());
                    match error {
                        // A fault of the service under a name the table does not know
                        // (`InternalFailure`, `ServiceUnavailable`): by its status it may
                        // pass, so it is an `InternalError`, which is retried.
                        Error::Service { code, message } if (500..600).contains(&status) => {
                            Error::InternalError {
                                message: format!("{code} (HTTP {status}): {message}"),
                            }
                        }
                        other => other,
                    }
                }
                None => unreadable_answer(operation, status, service.raw()),
            }
        }
        SdkError::TimeoutError(_) => {
            Error::network(format!("{operation} timed out"), Some(Arc::new(error)))
        }
        SdkError::DispatchFailure(ref failure) => {
            let what = if failure.is_timeout() {
                "timed out while connecting"
            } else if failure.is_io() {
                "could not connect or the connection failed"
            } else if failure.is_user() {
                "the request could not be sent"
            } else {
                "the request failed before an answer came"
            };
            Error::network(format!("{operation}: {what}"), Some(Arc::new(error)))
        }
        SdkError::ResponseError(ref response) => {
            let status = response.raw().status().as_u16();
            let io_failure = chain(&error).any(|e| e.is::<std::io::Error>());
            if io_failure {
                Error::network(
                    format!("{operation}: the answer could not be read"),
                    Some(RootCause::of(&error)),
                )
            } else {
                unreadable_answer(operation, status, response.raw())
            }
        }
        SdkError::ConstructionFailure(_) => Error::Config {
            reason: format!(
                "the {operation} request could not be built ({})",
                root_cause(&error)
            ),
        },
        // A variant of a later SDK version: it may hold the answer, so it is not kept.
        other => Error::network(
            format!("{operation}: the SDK failed"),
            Some(RootCause::of(&other)),
        ),
    }
}

/// An answer that could not be read: a 5xx becomes `InternalError`, anything else
/// `MalformedResponse`. Says what was wrong with the body, never what it held.
fn unreadable_answer(operation: &'static str, status: u16, raw: &HttpResponse) -> Error {
    let looks_like_json = raw
        .body()
        .bytes()
        .and_then(|b| b.iter().find(|c| !c.is_ascii_whitespace()))
        .is_some_and(|&c| c == b'{');
    let body = if looks_like_json {
        "an error body that names no exception"
    } else {
        "a non-JSON body"
    };
    if (500..600).contains(&status) {
        Error::InternalError {
            message: format!("HTTP {status} with {body}"),
        }
    } else if (200..300).contains(&status) {
        Error::MalformedResponse {
            operation,
            reason: "the answer is not the JSON this operation returns".into(),
        }
    } else {
        Error::MalformedResponse {
            operation,
            reason: format!("HTTP {status} with {body}"),
        }
    }
}

fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |e| {
        let e: &'a (dyn StdError + 'static) = *e;
        e.source()
    })
}

/// The innermost cause of an SDK error, by its text alone: the source of an error whose
/// SDK error cannot be kept because it holds the HTTP answer (and so perhaps its body).
#[derive(Debug)]
struct RootCause(String);

impl RootCause {
    fn of(error: &(dyn StdError + 'static)) -> Arc<Self> {
        Arc::new(Self(root_cause(error)))
    }
}

impl std::fmt::Display for RootCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for RootCause {}

/// The innermost cause's message ("Connection refused (os error 111)").
fn root_cause(error: &(dyn StdError + 'static)) -> String {
    chain(error)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

pub(crate) fn malformed(operation: &'static str, reason: impl Into<String>) -> Error {
    Error::MalformedResponse {
        operation,
        reason: reason.into(),
    }
}
