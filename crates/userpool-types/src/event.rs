//! The events of the `auth` channel.

use crate::{AttributeUpdateResults, CodeDeliveryDetails, Error, SignUpResult, Username};

/// The channel that carries [`AuthEvent`]s.
pub const AUTH_CHANNEL: &str = "auth";

/// An event on the `auth` channel. [`AuthEvent::name`] gives the reference's name
/// (`signIn`, `tokenRefresh_failure`, …) so code ported from Amplify reads the same.
///
/// Events carry no tokens, passwords or codes.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AuthEvent {
    /// The client was configured (`configured`).
    Configured,
    /// A user signed up (`signUp`).
    SignUp {
        /// Who.
        username: Username,
        /// The server's answer.
        result: SignUpResult,
    },
    /// A sign-up failed (`signUp_failure`).
    SignUpFailure {
        /// Why.
        error: Error,
    },
    /// A sign-up was confirmed (`confirmSignUp`).
    ConfirmSignUp {
        /// Who.
        username: Username,
    },
    /// A user confirmed with [`SignUp`](Self::SignUp)'s auto sign-in was signed in
    /// right after the confirmation (`autoSignIn`; a `signIn` comes first).
    AutoSignIn {
        /// Who (the username the pool returned).
        username: Username,
    },
    /// The sign-in right after a confirmed sign-up failed (`autoSignIn_failure`); the
    /// confirmation itself succeeded.
    AutoSignInFailure {
        /// Why.
        error: Error,
    },
    /// A user signed in (`signIn`).
    SignIn {
        /// Who (the username the pool returned).
        username: Username,
    },
    /// A sign-in failed (`signIn_failure`).
    SignInFailure {
        /// Why.
        error: Error,
    },
    /// A sign-in through the hosted pages completed (`signInWithRedirect`, Amplify v6's
    /// name): the session is stored, and a `signIn` came first.
    SignInWithRedirect {
        /// Who (the username of the tokens).
        username: Username,
    },
    /// A sign-in through the hosted pages failed (`signInWithRedirect_failure`): the
    /// redirect was refused, timed out, or its code could not be redeemed.
    SignInWithRedirectFailure {
        /// Why.
        error: Error,
    },
    /// Answering the new-password challenge failed (`completeNewPassword_failure`).
    CompleteNewPasswordFailure {
        /// Why.
        error: Error,
    },
    /// A password-reset code was sent (`forgotPassword`).
    ForgotPassword {
        /// Who.
        username: Username,
        /// Where the code went.
        delivery: Option<CodeDeliveryDetails>,
    },
    /// Asking for a password-reset code failed (`forgotPassword_failure`).
    ForgotPasswordFailure {
        /// Why.
        error: Error,
    },
    /// A password was reset with a code (`forgotPasswordSubmit`).
    ForgotPasswordSubmit {
        /// Who.
        username: Username,
    },
    /// Resetting a password with a code failed (`forgotPasswordSubmit_failure`).
    ForgotPasswordSubmitFailure {
        /// Why.
        error: Error,
    },
    /// The session was refreshed (`tokenRefresh`).
    TokenRefresh,
    /// Refreshing the session failed (`tokenRefresh_failure`).
    TokenRefreshFailure {
        /// Why.
        error: Error,
    },
    /// Attributes were updated (`updateUserAttributes`), with the per-attribute results.
    UpdateUserAttributes {
        /// What happened to each attribute.
        results: AttributeUpdateResults,
    },
    /// An attribute update failed (`updateUserAttributes_failure`).
    UpdateUserAttributesFailure {
        /// Why.
        error: Error,
    },
    /// The user was signed out (`signOut`): by request, or because the server no longer
    /// accepts the refresh token.
    SignOut {
        /// True for a global sign-out (every device).
        global: bool,
    },
    /// The user was deleted (`userDeleted`); a `signOut` follows.
    UserDeleted,
}

impl AuthEvent {
    /// The reference's name for the event.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Configured => "configured",
            Self::SignUp { .. } => "signUp",
            Self::SignUpFailure { .. } => "signUp_failure",
            Self::ConfirmSignUp { .. } => "confirmSignUp",
            Self::AutoSignIn { .. } => "autoSignIn",
            Self::AutoSignInFailure { .. } => "autoSignIn_failure",
            Self::SignIn { .. } => "signIn",
            Self::SignInFailure { .. } => "signIn_failure",
            Self::SignInWithRedirect { .. } => "signInWithRedirect",
            Self::SignInWithRedirectFailure { .. } => "signInWithRedirect_failure",
            Self::CompleteNewPasswordFailure { .. } => "completeNewPassword_failure",
            Self::ForgotPassword { .. } => "forgotPassword",
            Self::ForgotPasswordFailure { .. } => "forgotPassword_failure",
            Self::ForgotPasswordSubmit { .. } => "forgotPasswordSubmit",
            Self::ForgotPasswordSubmitFailure { .. } => "forgotPasswordSubmit_failure",
            Self::TokenRefresh => "tokenRefresh",
            Self::TokenRefreshFailure { .. } => "tokenRefresh_failure",
            Self::UpdateUserAttributes { .. } => "updateUserAttributes",
            Self::UpdateUserAttributesFailure { .. } => "updateUserAttributes_failure",
            Self::SignOut { .. } => "signOut",
            Self::UserDeleted => "userDeleted",
        }
    }

    /// The error of a `*_failure` event.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Self::SignUpFailure { error }
            | Self::SignInFailure { error }
            | Self::SignInWithRedirectFailure { error }
            | Self::AutoSignInFailure { error }
            | Self::CompleteNewPasswordFailure { error }
            | Self::ForgotPasswordFailure { error }
            | Self::ForgotPasswordSubmitFailure { error }
            | Self::TokenRefreshFailure { error }
            | Self::UpdateUserAttributesFailure { error } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_reference() {
        assert_eq!(
            AuthEvent::TokenRefreshFailure {
                error: Error::NotSignedIn
            }
            .name(),
            "tokenRefresh_failure"
        );
        assert_eq!(AuthEvent::SignOut { global: false }.name(), "signOut");
        assert_eq!(AuthEvent::UserDeleted.name(), "userDeleted");
        assert!(
            AuthEvent::SignInFailure {
                error: Error::NotSignedIn
            }
            .error()
            .is_some()
        );
        assert!(AuthEvent::TokenRefresh.error().is_none());
        let ada = Username::new("ada").unwrap();
        assert_eq!(AuthEvent::AutoSignIn { username: ada }.name(), "autoSignIn");
        let failure = AuthEvent::AutoSignInFailure {
            error: Error::NotSignedIn,
        };
        assert_eq!(failure.name(), "autoSignIn_failure");
        let redirect = AuthEvent::SignInWithRedirectFailure {
            error: Error::NotSignedIn,
        };
        assert_eq!(redirect.name(), "signInWithRedirect_failure");
        assert!(redirect.error().is_some());
        assert_eq!(
            AuthEvent::SignInWithRedirect {
                username: Username::new("ada").unwrap()
            }
            .name(),
            "signInWithRedirect"
        );
        assert!(matches!(failure.error(), Some(Error::NotSignedIn)));
    }
}
