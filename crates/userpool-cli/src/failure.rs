//! Errors as the command reports them: a message, a hint for the common ones, and an exit
//! code that says which kind of failure it was.

use std::process::ExitCode;

use userpool::Error;

/// The user pool refused the request or failed.
pub(crate) const EXIT_POOL: u8 = 1;
/// Bad arguments or missing settings (clap uses 2 for usage errors too).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Nobody is signed in.
pub(crate) const EXIT_NOT_SIGNED_IN: u8 = 3;
/// The user pool could not be reached.
pub(crate) const EXIT_NETWORK: u8 = 4;
/// A failure on this machine: the session file, the terminal, a cancelled confirmation.
pub(crate) const EXIT_LOCAL: u8 = 5;

/// The exit codes, for `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  the user pool refused the request or failed (wrong password, wrong code, policy, ...)
  2  usage: bad arguments, missing settings (--pool-id, --client-id), no terminal to ask on
  3  not signed in (no session in the session file, or it was revoked)
  4  network: the user pool could not be reached
  5  local failure: the session file, the terminal, or a cancelled confirmation";

/// What the command failed with: a message, perhaps a hint, and the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    message: String,
    hint: Option<String>,
    code: u8,
}

impl Failure {
    /// A failure with this message and exit code.
    pub(crate) fn new(message: impl Into<String>, code: u8) -> Self {
        Self {
            message: message.into(),
            hint: None,
            code,
        }
    }

    /// A usage failure (exit code 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(message, EXIT_USAGE)
    }

    /// A failure on this machine (exit code 5).
    pub(crate) fn local(message: impl Into<String>) -> Self {
        Self::new(message, EXIT_LOCAL)
    }

    /// A failed operation of `command` (`sign-in`, `attributes verify`, …): the error's
    /// message with its causes, the hint that fits the command, and the exit code of the
    /// error's kind. `target` names where the calls went (for network failures).
    pub(crate) fn auth(error: &Error, command: &str, target: &str) -> Self {
        Self {
            // The message says what failed, its sources why ("Connection refused"): a
            // person needs both.
            message: error.chain().to_string(),
            hint: hint(error, command, target),
            code: exit_code_of(error),
        }
    }

    /// The same failure with a hint.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The exit code.
    pub(crate) fn exit_code(&self) -> u8 {
        self.code
    }

    /// The message, without the hint.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The hint, if any.
    pub(crate) fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Prints `userpool: <message>` and `hint: <hint>` on stderr and returns the exit code.
    pub(crate) fn report(&self) -> ExitCode {
        eprintln!("userpool: {}", self.message());
        if let Some(hint) = self.hint() {
            eprintln!("hint: {hint}");
        }
        ExitCode::from(self.exit_code())
    }
}

/// The exit code of a client error.
pub(crate) fn exit_code_of(error: &Error) -> u8 {
    match error {
        Error::NotSignedIn | Error::SignInPending { .. } => EXIT_NOT_SIGNED_IN,
        Error::Network { .. } => EXIT_NETWORK,
        Error::InvalidInput { .. } | Error::Config { .. } => EXIT_USAGE,
        Error::Storage { .. } => EXIT_LOCAL,
        _ => EXIT_POOL,
    }
}

/// How to get a new code, by command.
fn new_code(command: &str) -> &'static str {
    match command {
        "confirm" => "`userpool resend-code USERNAME` sends a new one",
        "reset" => "`userpool forgot USERNAME` sends a new one",
        "attributes verify" => "`userpool attributes verify NAME` (without --code) sends a new one",
        // An MFA code belongs to one sign-in: a new sign-in sends (or the app shows) another.
        "sign-in" => "sign in again for a new one (or type the app's current code)",
        _ => "ask for a new one",
    }
}

/// What to tell a person about `error`, when there is something useful to say.
pub(crate) fn hint(error: &Error, command: &str, target: &str) -> Option<String> {
    let text = match error {
        Error::NotAuthorized { message } => {
            if message.contains("SECRET_HASH") {
                "this app client has a secret: set USERPOOL_CLIENT_SECRET (or --client-secret)"
                    .to_owned()
            } else if message.contains("attempts exceeded") {
                "too many wrong passwords: sign-in is locked for a while; wait and try again"
                    .to_owned()
            } else if command == "sign-in" {
                "check the username and the password (both are case-sensitive); after several \
                 wrong passwords in a row, sign-in is locked for a while"
                    .to_owned()
            } else if command == "login --hosted" {
                "the redirect was not this sign-in's, or the pool refused its code: run `userpool \
                 login --hosted` again"
                    .to_owned()
            } else if command == "passwd" {
                "the current password is wrong, or the session was revoked (then sign in again)"
                    .to_owned()
            } else {
                "if the session was revoked (signed out everywhere, password reset), sign in \
                 again: `userpool sign-in USERNAME`"
                    .to_owned()
            }
        }
        Error::UserNotConfirmed { .. } => "confirm the sign-up first: `userpool confirm USERNAME \
             --code CODE`; `userpool resend-code USERNAME` sends a new code"
            .to_owned(),
        Error::CodeMismatch { .. } => {
            format!("the code is wrong: check it; {}", new_code(command))
        }
        Error::ExpiredCode { .. } => format!(
            "the code has expired or was already used: {}",
            new_code(command)
        ),
        Error::UserNotFound { .. } => {
            "no such user in this pool: check the username, or sign up first".to_owned()
        }
        Error::UsernameExists { .. } => {
            "that username is taken: choose another one, or sign in".to_owned()
        }
        Error::PasswordResetRequired { .. } => "an administrator asked for a password reset: \
             `userpool forgot USERNAME`, then `userpool reset USERNAME`"
            .to_owned(),
        Error::ResourceNotFound { .. } => "check --pool-id and --client-id (USERPOOL_POOL_ID, \
             USERPOOL_CLIENT_ID): the pool or the app client does not exist there"
            .to_owned(),
        Error::InvalidParameter { message } if message.contains("USER_PASSWORD_AUTH") => {
            "this app client does not allow --flow password: use the default, --flow srp".to_owned()
        }
        // Cognito: "User does not have delivery config set to turn on SMS_MFA".
        Error::InvalidParameter { message } if message.contains("delivery config") => {
            "SMS codes need a verified phone_number, email codes a verified email, TOTP an \
             authenticator app: `userpool attributes verify NAME`, or `userpool mfa setup`"
                .to_owned()
        }
        Error::EnableSoftwareTokenMfa { .. } => "the code from the app is wrong or too old: \
             check that the phone's clock is right, then type the current code (run `userpool \
             mfa setup` again for a new secret)"
            .to_owned(),
        Error::SoftwareTokenMfaNotFound { .. } => {
            "no authenticator app is set up for this user: `userpool mfa setup`".to_owned()
        }
        Error::InvalidUserPoolConfiguration { .. } | Error::MfaMethodNotFound { .. } => {
            "the pool's MFA configuration does not allow this method".to_owned()
        }
        Error::UnsupportedOperation { message } if command == "sign-in" => format!(
            "this sign-in needs a step the client cannot take ({message}); an administrator \
             may have to set up the user's MFA"
        ),
        Error::LimitExceeded { .. } | Error::TooManyRequests { .. } => {
            "too many attempts or requests for now: wait a while and try again".to_owned()
        }
        Error::Network { .. } => format!(
            "could not reach the user pool at {target}: check the network and --endpoint \
             (USERPOOL_ENDPOINT); for a local pool, start one with `userpool local`"
        ),
        Error::Timeout { .. } if command == "login --hosted" => {
            "the browser did not come back in time: finish signing in sooner or pass --timeout \
             SECONDS; the app client must list http://127.0.0.1:PORT/callback (the \
             --redirect-port) among its callback URLs"
                .to_owned()
        }
        Error::Service { code, .. } if command == "login --hosted" => {
            if code == "access_denied" {
                "the sign-in was cancelled or refused in the browser".to_owned()
            } else {
                format!(
                    "the hosted pages answered {code}: check the app client's OAuth settings \
                     (flows, scopes, callback URLs, identity providers)"
                )
            }
        }
        Error::NotSignedIn => "sign in first: `userpool sign-in USERNAME`".to_owned(),
        Error::Config { .. } => "see `userpool --help` for the settings and their environment \
             variables"
            .to_owned(),
        Error::Storage { .. } => {
            "check the session file and its permissions, or choose another one with --store \
             PATH (USERPOOL_STORE)"
                .to_owned()
        }
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_by_kind() {
        let pool = Error::from_service("NotAuthorizedException", "Incorrect username or password.");
        assert_eq!(exit_code_of(&pool), EXIT_POOL);
        assert_eq!(exit_code_of(&Error::NotSignedIn), EXIT_NOT_SIGNED_IN);
        assert_eq!(
            exit_code_of(&Error::network("connection refused", None)),
            EXIT_NETWORK
        );
        assert_eq!(
            exit_code_of(&Error::Config { reason: "x".into() }),
            EXIT_USAGE
        );
        assert_eq!(exit_code_of(&Error::storage("disk", None)), EXIT_LOCAL);
        assert_eq!(Failure::usage("x").exit_code(), EXIT_USAGE);
        assert_eq!(Failure::local("x").exit_code(), EXIT_LOCAL);
    }

    #[test]
    fn hints_for_the_common_errors() {
        let wrong =
            Error::from_service("NotAuthorizedException", "Incorrect username or password.");
        let f = Failure::auth(&wrong, "sign-in", "http://127.0.0.1:9229");
        assert!(f.hint().unwrap().contains("password"), "{f:?}");
        assert_eq!(
            f.message(),
            "NotAuthorizedException: Incorrect username or password."
        );

        let secret = Error::from_service(
            "NotAuthorizedException",
            "Client 123 is configured with secret but SECRET_HASH was not received",
        );
        assert!(
            hint(&secret, "sign-in", "x")
                .unwrap()
                .contains("USERPOOL_CLIENT_SECRET")
        );

        let unconfirmed =
            Error::from_service("UserNotConfirmedException", "User is not confirmed.");
        assert!(
            hint(&unconfirmed, "sign-in", "x")
                .unwrap()
                .contains("userpool confirm")
        );

        let mismatch = Error::from_service("CodeMismatchException", "Invalid code");
        assert!(
            hint(&mismatch, "confirm", "x")
                .unwrap()
                .contains("resend-code")
        );
        assert!(hint(&mismatch, "reset", "x").unwrap().contains("forgot"));
        assert!(
            hint(&mismatch, "sign-in", "x")
                .unwrap()
                .contains("sign in again")
        );
        let totp = Error::from_service("EnableSoftwareTokenMFAException", "Code mismatch");
        assert!(hint(&totp, "mfa setup", "x").unwrap().contains("mfa setup"));
        let none = Error::from_service("SoftwareTokenMFANotFoundException", "no token");
        assert!(
            hint(&none, "mfa prefer", "x")
                .unwrap()
                .contains("userpool mfa setup")
        );
        let no_phone = Error::from_service(
            "InvalidParameterException",
            "User does not have delivery config set to turn on SMS_MFA",
        );
        assert!(
            hint(&no_phone, "mfa prefer", "x")
                .unwrap()
                .contains("phone_number")
        );

        let network = Error::network("connection refused", None);
        assert_eq!(
            Failure::auth(&network, "whoami", "x").message(),
            "network error: connection refused"
        );
        assert!(
            hint(&network, "whoami", "http://127.0.0.1:1")
                .unwrap()
                .contains("http://127.0.0.1:1")
        );
        assert!(
            hint(&Error::NotSignedIn, "whoami", "x")
                .unwrap()
                .contains("sign-in")
        );
        assert!(
            hint(
                &Error::from_service("InternalErrorException", "boom"),
                "x",
                "x"
            )
            .is_none()
        );
    }

    /// A connector error that, as hyper's do, prints its own source too.
    #[derive(Debug)]
    struct Connect(std::io::Error);

    impl std::fmt::Display for Connect {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "tcp connect error: {}", self.0)
        }
    }

    impl std::error::Error for Connect {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn the_message_shows_the_causes_once() {
        let refused = || {
            std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            )
        };
        let error = Error::network(
            "InitiateAuth: could not connect",
            Some(std::sync::Arc::new(refused())),
        );
        let f = Failure::auth(&error, "sign-in", "http://127.0.0.1:1");
        assert_eq!(
            f.message(),
            "network error: InitiateAuth: could not connect: Connection refused (os error 111)"
        );
        assert_eq!(f.exit_code(), EXIT_NETWORK);

        let error = Error::network(
            "GetUser: could not connect",
            Some(std::sync::Arc::new(Connect(refused()))),
        );
        assert_eq!(
            Failure::auth(&error, "whoami", "x").message(),
            "network error: GetUser: could not connect: tcp connect error: Connection refused \
             (os error 111)"
        );
    }
}
