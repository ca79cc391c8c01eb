//! The error type of every userpool operation.

use std::error::Error as StdError;
use std::sync::Arc;

/// A shareable source error (kept behind `source()`, never part of the message).
pub type BoxError = Arc<dyn StdError + Send + Sync + 'static>;

/// The result of a userpool operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The exception table: every Cognito exception name both sides of the wire know, once.
///
/// The first list has a variant of [`Error`] each (named after the exception without its
/// `Exception` suffix) and generates [`Error::from_service`] and [`Error::code`]; the second
/// list (after `;`) holds the protocol-level exceptions the local pool answers with that the
/// client has no variant for (they reach it as [`Error::Service`]). Both lists generate
/// [`ExceptionName`], which the local pool builds its errors from, so that a misspelt
/// exception is a compile error there.
macro_rules! service_errors {
    (
        $( $(#[$doc:meta])* $variant:ident => $code:literal, )*
        ;
        $( $(#[$wire_doc:meta])* $wire:ident => $wire_code:literal, )*
    ) => {
        /// A Cognito exception name, as `__type` and `x-amzn-ErrorType` carry it.
        ///
        /// The variants are the exceptions of [`Error`] (same names) and the protocol-level
        /// ones of the JSON 1.1 protocol (`SerializationException`, SigV4 failures…).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ExceptionName {
            $( $(#[$doc])* $variant, )*
            $( $(#[$wire_doc])* $wire, )*
        }

        impl ExceptionName {
            /// Every name in the table.
            pub const ALL: &'static [ExceptionName] = &[
                $( ExceptionName::$variant, )*
                $( ExceptionName::$wire, )*
            ];

            /// The full exception name, e.g. `NotAuthorizedException`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )*
                    $( Self::$wire => $wire_code, )*
                }
            }

            /// The name for its exact text (`NotAuthorizedException`), if the table has it.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|e| e.as_str() == name)
            }

            /// The HTTP status Cognito answers this exception with when nothing more
            /// specific applies: 500 for `InternalErrorException`, the status the AWS JSON
            /// protocol gives the protocol-level faults (403 `AccessDeniedException`, 408
            /// `RequestTimeoutException`, 413 `RequestEntityTooLargeException`), 400 for
            /// every other (client) error.
            pub const fn http_status(self) -> u16 {
                match self {
                    Self::InternalError => 500,
                    Self::AccessDenied => 403,
                    Self::RequestTimeout => 408,
                    Self::RequestEntityTooLarge => 413,
                    _ => 400,
                }
            }
        }

        impl std::fmt::Display for ExceptionName {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Everything that can go wrong, as values a caller can match on.
        ///
        /// Cognito's exceptions each have a variant named after the exception (without the
        /// `Exception` suffix) carrying the server's message; an exception this version does
        /// not know arrives as [`Error::Service`] with its name. Errors on this side of the
        /// wire (bad input, no signed-in user, a malformed answer, the network, storage) have
        /// variants of their own. The underlying error of a foreign library is reachable
        /// only through [`std::error::Error::source`].
        ///
        /// `Error` is `Clone` (sources are shared), so one failed refresh can be handed to
        /// every caller that waited for it, and carried by events.
        ///
        /// Messages never contain passwords, codes or tokens.
        #[derive(Clone, Debug, thiserror::Error)]
        #[non_exhaustive]
        pub enum Error {
            $(
                $(#[$doc])*
                #[error("{}: {message}", $code)]
                $variant {
                    /// The server's message.
                    message: String,
                },
            )*
            /// A Cognito exception this version has no variant for.
            #[error("{code}: {message}")]
            Service {
                /// The exception name, such as `InvalidOAuthFlowException`.
                code: String,
                /// The server's message.
                message: String,
            },
            /// An argument was rejected before anything was sent.
            #[error("invalid {field}: {reason}")]
            InvalidInput {
                /// What was wrong.
                field: &'static str,
                /// Why.
                reason: String,
            },
            /// The client is not configured correctly.
            #[error("configuration: {reason}")]
            Config {
                /// Why.
                reason: String,
            },
            /// No user is signed in (or the session could not be restored).
            #[error("no user is signed in")]
            NotSignedIn,
            /// A sign-in waits for the answer to a challenge; the user is not signed in yet.
            #[error("a sign-in is pending: answer its challenge ({challenge}) first")]
            SignInPending {
                /// The challenge that waits for an answer.
                challenge: String,
            },
            /// A token could not be decoded.
            #[error("malformed token: {reason}")]
            MalformedToken {
                /// Why.
                reason: String,
            },
            /// The server answered something this client cannot read.
            #[error("malformed answer to {operation}: {reason}")]
            MalformedResponse {
                /// The operation that was called.
                operation: &'static str,
                /// Why; never includes the body of the answer.
                reason: String,
            },
            /// The request did not complete: connection refused or reset, DNS, TLS, timeout.
            /// The session is kept.
            #[error("network error: {reason}")]
            Network {
                /// What failed.
                reason: String,
                /// The underlying error.
                #[source]
                source: Option<BoxError>,
            },
            /// The token store failed.
            #[error("storage error: {reason}")]
            Storage {
                /// What failed.
                reason: String,
                /// The underlying error.
                #[source]
                source: Option<BoxError>,
            },
            /// The SRP computation failed: the server's challenge was invalid, or no
            /// random value could be drawn. The SRP error is the `source()`.
            #[error("SRP: {reason}")]
            Srp {
                /// What failed.
                reason: String,
                /// The underlying SRP error.
                #[source]
                source: Option<BoxError>,
            },
            /// The operation did not finish within the client's deadline (retries,
            /// back-off and storage waits included). Nothing was given up for it: the
            /// session is kept, and work already under way (a shared refresh, a storage
            /// write) still completes.
            #[error("{operation} did not finish within {after:?}")]
            Timeout {
                /// The operation that was called.
                operation: &'static str,
                /// The deadline.
                after: std::time::Duration,
            },
            /// Code run by the operation panicked: a custom `Transport` or `Storage`, or a
            /// bug in userpool. Only this call fails; the client stays usable.
            #[error("{operation} failed: a panic in a transport, a store or the client")]
            Panicked {
                /// The operation that was called.
                operation: &'static str,
            },
        }

        impl Error {
            /// Builds the variant for a Cognito exception name (with or without the
            /// `Exception` suffix, and with or without a `prefix#`).
            pub fn from_service(code: &str, message: impl Into<String>) -> Self {
                let message = message.into();
                let code = code.rsplit('#').next().unwrap_or(code);
                let code = code.split(':').next().unwrap_or(code);
                let bare = code.strip_suffix("Exception").unwrap_or(code);
                match bare {
                    $( c if c == $code.strip_suffix("Exception").unwrap_or($code) => Self::$variant { message }, )*
                    _ => Self::Service { code: code.to_owned(), message },
                }
            }

            /// The Cognito exception name, for service errors.
            pub fn code(&self) -> Option<&str> {
                match self {
                    $( Self::$variant { .. } => Some($code), )*
                    Self::Service { code, .. } => Some(code),
                    _ => None,
                }
            }
        }
    };
}

service_errors! {
    /// Wrong username or password, a disabled user, too many attempts, or a token that is
    /// expired, revoked or otherwise not accepted.
    NotAuthorized => "NotAuthorizedException",
    /// No such user.
    UserNotFound => "UserNotFoundException",
    /// The username is taken.
    UsernameExists => "UsernameExistsException",
    /// The password breaks the pool's password policy.
    InvalidPassword => "InvalidPasswordException",
    /// The code is wrong.
    CodeMismatch => "CodeMismatchException",
    /// The code has expired.
    ExpiredCode => "ExpiredCodeException",
    /// Too many attempts or requests of this kind for now.
    LimitExceeded => "LimitExceededException",
    /// The service is throttling requests.
    TooManyRequests => "TooManyRequestsException",
    /// Too many failed attempts.
    TooManyFailedAttempts => "TooManyFailedAttemptsException",
    /// The user has not confirmed the sign-up yet.
    UserNotConfirmed => "UserNotConfirmedException",
    /// An administrator asked for a password reset.
    PasswordResetRequired => "PasswordResetRequiredException",
    /// A parameter was rejected by the server (unknown or read-only attribute, …).
    InvalidParameter => "InvalidParameterException",
    /// An alias (email or phone) is already used by another user.
    AliasExists => "AliasExistsException",
    /// The code could not be delivered.
    CodeDeliveryFailure => "CodeDeliveryFailureException",
    /// The pool, app client or other resource does not exist.
    ResourceNotFound => "ResourceNotFoundException",
    /// The pool is not configured for this request.
    InvalidUserPoolConfiguration => "InvalidUserPoolConfigurationException",
    /// A Lambda trigger rejected the request.
    UserLambdaValidation => "UserLambdaValidationException",
    /// A Lambda trigger answered something invalid.
    InvalidLambdaResponse => "InvalidLambdaResponseException",
    /// A Lambda trigger failed.
    UnexpectedLambda => "UnexpectedLambdaException",
    /// The MFA method is not set up.
    MfaMethodNotFound => "MFAMethodNotFoundException",
    /// TOTP is not set up for the user.
    SoftwareTokenMfaNotFound => "SoftwareTokenMFANotFoundException",
    /// The TOTP code did not match while setting up the authenticator app
    /// (`VerifySoftwareToken`): the secret is not verified yet; try another code.
    EnableSoftwareTokenMfa => "EnableSoftwareTokenMFAException",
    /// The token type is not supported here.
    UnsupportedTokenType => "UnsupportedTokenTypeException",
    /// The operation is not supported by this pool or client.
    UnsupportedOperation => "UnsupportedOperationException",
    /// The request is forbidden (web ACL).
    Forbidden => "ForbiddenException",
    /// The operation or flow is not turned on for this pool or app client (refresh-token
    /// rotation, `USER_AUTH`, a first factor, device tracking).
    OperationNotEnabled => "OperationNotEnabledException",
    /// The pool's feature plan does not include the feature (`ConfirmDevice`, choice-based
    /// sign-in on some plans).
    FeatureUnavailableInTier => "FeatureUnavailableInTierException",
    /// `ConfirmDevice`: the device key is already confirmed.
    DeviceKeyExists => "DeviceKeyExistsException",
    /// WebAuthn (passkeys) is not turned on for the pool.
    WebAuthnNotEnabled => "WebAuthnNotEnabledException",
    /// No WebAuthn challenge is waiting for this answer (expired or never issued).
    WebAuthnChallengeNotFound => "WebAuthnChallengeNotFoundException",
    /// The pool's WebAuthn settings are missing (relying party, managed login domain).
    WebAuthnConfigurationMissing => "WebAuthnConfigurationMissingException",
    /// The WebAuthn credential was made for another app client.
    WebAuthnClientMismatch => "WebAuthnClientMismatchException",
    /// The authenticator's kind of credential is not supported.
    WebAuthnCredentialNotSupported => "WebAuthnCredentialNotSupportedException",
    /// The WebAuthn answer comes from an origin the pool does not allow.
    WebAuthnOriginNotAllowed => "WebAuthnOriginNotAllowedException",
    /// The WebAuthn answer names another relying party.
    WebAuthnRelyingPartyMismatch => "WebAuthnRelyingPartyMismatchException",
    /// A refresh token that refresh-token rotation replaced, used after its retry grace
    /// (`GetTokensFromRefreshToken`): it can never work again, but the session it belonged
    /// to may go on with the newer token (another process sharing the store may hold it).
    RefreshTokenReuse => "RefreshTokenReuseException",
    /// The service failed (HTTP 5xx).
    InternalError => "InternalErrorException",
    ;
    /// The request body is not valid JSON or has a wrong type.
    Serialization => "SerializationException",
    /// `X-Amz-Target` names no operation of the service.
    UnknownOperation => "UnknownOperationException",
    /// The user is not in the state the operation needs.
    UnsupportedUserState => "UnsupportedUserStateException",
    /// A group of that name already exists in the pool (CreateGroup).
    GroupExists => "GroupExistsException",
    /// The app client's OAuth flows do not go together or with the client
    /// (CreateUserPoolClient, UpdateUserPoolClient).
    InvalidOAuthFlow => "InvalidOAuthFlowException",
    /// An OAuth scope of the app client is neither a standard scope nor one of a resource
    /// server of the pool.
    ScopeDoesNotExist => "ScopeDoesNotExistException",
    /// A signed (admin) request carries no signature.
    MissingAuthenticationToken => "MissingAuthenticationTokenException",
    /// The SigV4 signature is incomplete.
    IncompleteSignature => "IncompleteSignatureException",
    /// The SigV4 signature does not match, or is out of date.
    InvalidSignature => "InvalidSignatureException",
    /// The access key is not known.
    UnrecognizedClient => "UnrecognizedClientException",
    /// The request was refused (origin, host).
    AccessDenied => "AccessDeniedException",
    /// The request body is too large.
    RequestEntityTooLarge => "RequestEntityTooLargeException",
    /// The request body did not arrive in time.
    RequestTimeout => "RequestTimeoutException",
}

impl Error {
    /// Wraps a network failure.
    pub fn network(reason: impl Into<String>, source: Option<BoxError>) -> Self {
        Self::Network {
            reason: reason.into(),
            source,
        }
    }

    /// Wraps a storage failure.
    pub fn storage(reason: impl Into<String>, source: Option<BoxError>) -> Self {
        Self::Storage {
            reason: reason.into(),
            source,
        }
    }

    /// True when trying again later may succeed: throttling, service faults and network
    /// failures. Never true for `NotAuthorized`: a rejected password or token stays
    /// rejected.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::TooManyRequests { .. }
                | Self::InternalError { .. }
                | Self::Network { .. }
                | Self::Timeout { .. }
        )
    }

    /// True when this answer to a refresh means that the refresh token can never work
    /// again, so the session is over: the token was rejected (`NotAuthorized`: expired,
    /// revoked, user disabled), the user was deleted (`UserNotFound`) or must reset the
    /// password (`PasswordResetRequired`) or confirm again (`UserNotConfirmed`), or the app
    /// client or the pool no longer exists (`ResourceNotFound`), or the token was replaced by
    /// refresh-token rotation (`RefreshTokenReuse`: a newer token of the session may still
    /// be in a store another process shares, which the client reads before signing out).
    ///
    /// Network failures, throttling and service faults are not: the session is kept and a
    /// later call tries again.
    pub fn ends_session(&self) -> bool {
        matches!(
            self,
            Self::NotAuthorized { .. }
                | Self::UserNotFound { .. }
                | Self::PasswordResetRequired { .. }
                | Self::UserNotConfirmed { .. }
                | Self::ResourceNotFound { .. }
                | Self::RefreshTokenReuse { .. }
        )
    }

    /// True when the server does not know the operation at all
    /// (`UnknownOperationException`: an older server or emulator), as opposed to knowing
    /// it and refusing this request. A caller may then fall back to an older operation
    /// (`InitiateAuth REFRESH_TOKEN_AUTH` for `GetTokensFromRefreshToken`).
    pub fn is_unknown_operation(&self) -> bool {
        self.code() == Some(ExceptionName::UnknownOperation.as_str())
    }

    /// True when the server refused the credentials or token (`NotAuthorizedException`).
    pub fn is_not_authorized(&self) -> bool {
        matches!(self, Self::NotAuthorized { .. })
    }

    /// The message followed by the message of each cause (each
    /// [`source`](StdError::source) in turn), `: `-separated, each text once: what a log
    /// line or a report shows, so that the cause ("Connection refused") is not lost. As
    /// safe to log as the message: no source holds a password, code or token (see
    /// [`ErrorChain`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use userpool_types::Error;
    /// let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let error = Error::network("GetUser: could not connect", Some(Arc::new(refused)));
    /// assert_eq!(error.to_string(), "network error: GetUser: could not connect");
    /// assert_eq!(
    ///     error.chain().to_string(),
    ///     "network error: GetUser: could not connect: refused"
    /// );
    /// ```
    pub fn chain(&self) -> ErrorChain<'_> {
        ErrorChain::new(self)
    }
}

/// An error and its causes as one line: its message, then the message of each
/// [`source`](StdError::source), `: `-separated, each text once.
///
/// [`Error`]'s message says what failed and leaves why ("Connection refused (os error
/// 111)") to its source, so a log line or a report that shows only the message loses the
/// cause; this shows both. A foreign error often prints its own source too (`tcp connect
/// error: Connection refused`), so a cause whose text an earlier message already contains
/// is left out, as is an empty one.
///
/// Safe to log, as the messages are: the sources [`Error`] can carry hold no request and
/// no answer body, so no password, code or token. A network error's source is either the
/// SDK's connection or timeout error (which holds neither the request nor the answer) or,
/// when the SDK error would hold the answer, only the text of its innermost (I/O) cause; a
/// storage error's source is the store's own error, which names the file or key and never
/// a stored value; an SRP error's source names the protocol field at fault, never its
/// value. A custom `Storage` or `Transport` that wraps an error of its own must keep the
/// same promise.
#[derive(Clone, Copy, Debug)]
pub struct ErrorChain<'a> {
    error: &'a (dyn StdError + 'static),
}

impl<'a> ErrorChain<'a> {
    /// At most this many causes are followed: a bound, should a `source()` chain loop.
    const MAX_CAUSES: usize = 16;

    /// The chain of any error (for a `userpool` [`Error`], [`Error::chain`] says the same).
    pub fn new(error: &'a (dyn StdError + 'static)) -> Self {
        Self { error }
    }
}

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.error.to_string();
        f.write_str(&first)?;
        // The texts written so far; a skipped cause is part of one of them, so comparing
        // with the written ones alone loses nothing.
        let mut shown = vec![first];
        let causes = std::iter::successors(self.error.source(), |&e| e.source());
        for cause in causes.take(Self::MAX_CAUSES) {
            let text = cause.to_string();
            if text.trim().is_empty() || shown.iter().any(|s| s.contains(text.as_str())) {
                continue;
            }
            write!(f, ": {text}")?;
            shown.push(text);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_codes_round_trip() {
        let e = Error::from_service("NotAuthorizedException", "Incorrect username or password.");
        assert!(matches!(e, Error::NotAuthorized { .. }));
        assert_eq!(e.code(), Some("NotAuthorizedException"));
        assert_eq!(
            e.to_string(),
            "NotAuthorizedException: Incorrect username or password."
        );
        let e = Error::from_service("CodeMismatch", "bad");
        assert!(matches!(e, Error::CodeMismatch { .. }));
        let e = Error::from_service(
            "com.amazonaws.cognito#UserNotFoundException:http://internal",
            "nope",
        );
        assert!(matches!(e, Error::UserNotFound { .. }), "{e:?}");
        let e = Error::from_service("MFAMethodNotFoundException", "x");
        assert!(matches!(e, Error::MfaMethodNotFound { .. }));
        // The names of issue 11's operations (refresh, devices, USER_AUTH, WebAuthn).
        let e = Error::from_service("OperationNotEnabledException", "USER_AUTH is off");
        assert!(matches!(e, Error::OperationNotEnabled { .. }), "{e:?}");
        let e = Error::from_service("DeviceKeyExistsException", "x");
        assert!(matches!(e, Error::DeviceKeyExists { .. }), "{e:?}");
        let e = Error::from_service("FeatureUnavailableInTierException", "x");
        assert!(matches!(e, Error::FeatureUnavailableInTier { .. }), "{e:?}");
        let e = Error::from_service("WebAuthnNotEnabledException", "x");
        assert!(matches!(e, Error::WebAuthnNotEnabled { .. }), "{e:?}");
        assert_eq!(
            ExceptionName::WebAuthnRelyingPartyMismatch.as_str(),
            "WebAuthnRelyingPartyMismatchException"
        );
        let e = Error::from_service("BrandNewException", "x");
        assert_eq!(e.code(), Some("BrandNewException"));
        assert!(matches!(e, Error::Service { .. }));
    }

    #[test]
    fn exception_names_are_one_table() {
        for &name in ExceptionName::ALL {
            let text = name.as_str();
            assert!(text.ends_with("Exception"), "{text}");
            assert_eq!(ExceptionName::parse(text), Some(name));
            assert_eq!(name.to_string(), text);
            // An exception of the first list maps to its own variant, a wire-only one to
            // `Service` with the name kept: either way the name comes back.
            assert_eq!(Error::from_service(text, "m").code(), Some(text));
        }
        assert_eq!(
            ExceptionName::NotAuthorized.as_str(),
            "NotAuthorizedException"
        );
        assert_eq!(
            ExceptionName::MfaMethodNotFound.as_str(),
            "MFAMethodNotFoundException"
        );
        assert!(matches!(
            Error::from_service(ExceptionName::UnknownOperation.as_str(), "m"),
            Error::Service { .. }
        ));
        assert_eq!(ExceptionName::InternalError.http_status(), 500);
        assert_eq!(ExceptionName::NotAuthorized.http_status(), 400);
        assert_eq!(ExceptionName::parse("NotAuthorized"), None);
    }

    #[test]
    fn retryable() {
        assert!(Error::from_service("TooManyRequestsException", "").is_retryable());
        assert!(Error::network("reset", None).is_retryable());
        assert!(!Error::from_service("NotAuthorizedException", "").is_retryable());
        assert!(!Error::NotSignedIn.is_retryable());
        let timeout = Error::Timeout {
            operation: "GetUser",
            after: std::time::Duration::from_secs(30),
        };
        assert!(timeout.is_retryable());
        assert_eq!(timeout.to_string(), "GetUser did not finish within 30s");
        for code in [
            "NotAuthorizedException",
            "UserNotFoundException",
            "PasswordResetRequiredException",
            "UserNotConfirmedException",
            "ResourceNotFoundException",
            "RefreshTokenReuseException",
        ] {
            assert!(Error::from_service(code, "").ends_session(), "{code}");
        }
        for e in [
            Error::from_service("TooManyRequestsException", ""),
            Error::from_service("InternalErrorException", ""),
            Error::network("reset", None),
            timeout,
            Error::from_service("InvalidParameterException", ""),
        ] {
            assert!(!e.ends_session(), "{e}");
        }
        assert!(Error::NotSignedIn.code().is_none());
        assert!(Error::from_service("UnknownOperationException", "").is_unknown_operation());
        assert!(!Error::from_service("UnsupportedOperationException", "").is_unknown_operation());
        assert!(!Error::NotSignedIn.is_unknown_operation());
    }

    /// The message says what failed and the source says why; a reporter that prints the
    /// chain must not show the cause twice.
    #[test]
    fn a_message_never_repeats_its_source() {
        let cause = || -> BoxError {
            Arc::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            ))
        };
        let errors = [
            Error::network("InitiateAuth: could not connect", Some(cause())),
            Error::storage("the token store failed", Some(cause())),
            Error::Srp {
                reason: "the server's PASSWORD_VERIFIER challenge is invalid".into(),
                source: Some(cause()),
            },
        ];
        for error in errors {
            let source = StdError::source(&error).expect("the source is kept");
            let (message, cause) = (error.to_string(), source.to_string());
            assert!(!message.contains(&cause), "{message:?} repeats {cause:?}");
            assert!(!message.contains("refused"), "{message:?}");
        }
    }

    /// A foreign error with a message and perhaps a source, as the SDK's and the
    /// stores' errors are.
    #[derive(Debug)]
    struct Foreign {
        message: &'static str,
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    }

    impl std::fmt::Display for Foreign {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.message)
        }
    }

    impl StdError for Foreign {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.source
                .as_deref()
                .map(|e| e as &(dyn StdError + 'static))
        }
    }

    fn foreign(
        message: &'static str,
        source: impl Into<Option<Box<dyn StdError + Send + Sync + 'static>>>,
    ) -> Foreign {
        Foreign {
            message,
            source: source.into(),
        }
    }

    fn refused() -> Box<dyn StdError + Send + Sync + 'static> {
        Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        ))
    }

    #[test]
    fn the_chain_of_a_network_error_shows_every_cause() {
        let dispatch = foreign(
            "dispatch failure",
            Some(foreign("io error", refused()).into()),
        );
        let error = Error::network("InitiateAuth: could not connect", Some(Arc::new(dispatch)));
        assert_eq!(
            error.chain().to_string(),
            "network error: InitiateAuth: could not connect: dispatch failure: io error: \
             Connection refused (os error 111)"
        );
        // The message alone still leaves the cause out.
        assert_eq!(
            error.to_string(),
            "network error: InitiateAuth: could not connect"
        );
    }

    #[test]
    fn the_chain_shows_a_repeated_cause_once() {
        // hyper-style: the outer error prints its source as well.
        let connect = foreign(
            "tcp connect error: Connection refused (os error 111)",
            refused(),
        );
        let error = Error::network("GetUser: could not connect", Some(Arc::new(connect)));
        assert_eq!(
            error.chain().to_string(),
            "network error: GetUser: could not connect: tcp connect error: Connection refused \
             (os error 111)"
        );
        // A cause already in the top message, an empty one and a blank one are left out;
        // the cause after them is not.
        let deep = foreign(
            "",
            Some(foreign("  ", Some(foreign("the disk is full", None).into())).into()),
        );
        let error = Error::storage(
            "the token store failed",
            Some(Arc::new(foreign("token store", Some(deep.into())))),
        );
        assert_eq!(
            error.chain().to_string(),
            "storage error: the token store failed: the disk is full"
        );
    }

    #[test]
    fn the_chain_of_an_error_without_source_is_its_message() {
        for error in [
            Error::NotSignedIn,
            Error::network("reset", None),
            Error::from_service("NotAuthorizedException", "Incorrect username or password."),
        ] {
            assert_eq!(error.chain().to_string(), error.to_string());
        }
        let io = std::io::Error::other("plain");
        assert_eq!(ErrorChain::new(&io).to_string(), "plain");
    }

    /// An error that is its own source: a chain that never ends.
    #[derive(Debug)]
    struct Looping;

    impl std::fmt::Display for Looping {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("looping")
        }
    }

    impl StdError for Looping {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(self)
        }
    }

    #[test]
    fn a_looping_chain_ends() {
        let error = Error::Srp {
            reason: "the challenge is invalid".into(),
            source: Some(Arc::new(Looping)),
        };
        assert_eq!(
            error.chain().to_string(),
            "SRP: the challenge is invalid: looping"
        );
    }

    #[test]
    fn source_is_reachable_and_clone_shares_it() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let e = Error::network("connection reset", Some(Arc::new(io)));
        let e2 = e.clone();
        assert!(StdError::source(&e2).is_some());
    }
}
