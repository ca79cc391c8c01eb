//! Every flow of the design's behaviour, written once over a [`Backend`](crate::Backend),
//! through the `Auth` facade and its default transport (the AWS SDK) over real HTTP.
//!
//! Each flow checks what a user of the library relies on: the results, the typed errors
//! of the failure paths, the events on the `auth` channel (exactly, in order), what is in
//! the token store, and what the server accepts afterwards (a new password works, the old
//! one does not; a revoked refresh token no longer refreshes). A flow fails when the
//! behaviour is wrong.
//!
//! Where a flow checks that the server refuses or accepts a password, it signs in with
//! `USER_PASSWORD_AUTH`: the server then checks the password itself on every backend
//! (moto fakes SRP and accepts any proof). SRP sign-in is exercised everywhere else.

use std::future::Future;
use std::pin::Pin;

use anyhow::Result;
use userpool::AuthFlow;

use crate::backend::{PoolDevices, PoolMfa, PoolOptions, PoolUserAuth};
use crate::client::Ctx;

/// The password users sign up with (meets Cognito's default policy).
pub const PASSWORD: &str = "Correct-Horse-42";
/// The password users change to.
pub const NEW_PASSWORD: &str = "Battery-Staple-77";
/// A password that is nobody's.
pub const WRONG_PASSWORD: &str = "Wrong-Guess-13";
/// A temporary password for admin-created users.
pub const TEMPORARY_PASSWORD: &str = "Temporary-Pass-1";

/// Matches a facade result against an error pattern: the error when it matches, else a
/// failure that says what came instead.
macro_rules! expect_err {
    ($result:expr, $pattern:pat) => {
        match $result {
            Err(error) if matches!(error, $pattern) => error,
            Err(other) => anyhow::bail!(
                "{}: expected {}, got the error {other:?}",
                stringify!($result),
                stringify!($pattern)
            ),
            Ok(value) => anyhow::bail!(
                "{}: expected {}, got Ok({value:?})",
                stringify!($result),
                stringify!($pattern)
            ),
        }
    };
}

// The flows by group; the macro above is in scope in each (textual scope), and `run`
// below dispatches to them.
mod attributes;
mod devices;
mod groups;
mod helpers;
mod mfa;
mod passwords;
mod refresh;
mod sessions;
mod sign_in;
mod sign_out;
mod sign_up;
mod user_auth;

use attributes::{
    delete_attributes, email_change_verified, update_attributes, update_attributes_rejected,
};
use devices::remembered_device;
use groups::groups_in_tokens;
use mfa::{mfa_code, mfa_select_type, mfa_setup, mfa_totp};
use passwords::{
    change_password, client_secret, forgot_password, new_password_required,
    new_password_required_attributes,
};
use sessions::{
    clock_skew_restored, expired_session_refreshed, global_sign_out, refresh_token_revoked,
    session_restored_from_file,
};
use sign_in::{sign_in_user_password, wrong_password};
use sign_out::{delete_user, sign_out_revokes};
use sign_up::{resend_sign_up_code, sign_up_confirm_srp, sign_up_rejected, wrong_code};
use user_auth::{auto_sign_in, user_auth_code, user_auth_select_password};

/// One end-to-end flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Sign up with standard and custom attributes, confirm with the code, SRP sign-in;
    /// tokens, claims, the stored keys and the user.
    SignUpConfirmSrp,
    /// Sign-up refused: the username is taken, the password breaks the policy.
    SignUpRejected,
    /// The sign-up code is sent again; the new code confirms.
    ResendSignUpCode,
    /// `USER_PASSWORD_AUTH` sign-in.
    SignInUserPassword,
    /// A wrong password (`USER_PASSWORD_AUTH`): `NotAuthorized` and `signIn_failure`.
    WrongPassword,
    /// A wrong password (SRP): `NotAuthorized` and `signIn_failure`.
    WrongPasswordSrp,
    /// A wrong sign-up code and a wrong reset code: `CodeMismatch`, nothing changes.
    WrongCode,
    /// An expired session is refreshed once for concurrent callers (`tokenRefresh`).
    ExpiredSessionRefreshed,
    /// The refresh token is revoked by an admin: the next refresh signs the user out
    /// (`tokenRefresh_failure`, then `signOut`).
    RefreshTokenRevoked,
    /// A global sign-out ends the session of a second client too.
    GlobalSignOut,
    /// Attributes updated at once; the cached user and the ID token follow.
    UpdateAttributes,
    /// An update naming an unknown attribute changes nothing
    /// (`updateUserAttributes_failure`).
    UpdateAttributesRejected,
    /// A new email waits for verification (kept original, code delivered), is verified
    /// with the code, and the user is reloaded.
    EmailChangeVerified,
    /// Attributes deleted; the cached user and the ID token follow.
    DeleteAttributes,
    /// An admin-created user sets a new password at first sign-in.
    NewPasswordRequired,
    /// The new-password step lists the required attributes and refuses to complete
    /// without them.
    NewPasswordRequiredAttributes,
    /// An app client with a secret: `SECRET_HASH` on sign-up, confirmation, SRP and
    /// password sign-in, refresh, forgot password; a wrong secret is refused.
    ClientSecret,
    /// Change password: the old one is refused, the new one works.
    ChangePassword,
    /// Forgot password, then submit the code with a new password.
    ForgotPassword,
    /// A session restored by a new `Auth` on the same `FileStore` (a new process).
    SessionRestoredFromFile,
    /// A session restored on a machine whose clock is 20 minutes behind: the stored
    /// clock drift is read back, and the session expires when the server says so.
    ClockSkewRestored,
    /// A local sign-out revokes the refresh token (`RevokeToken`).
    SignOutRevokes,
    /// The user deletes themselves (`userDeleted`, `signOut`); signing in again fails.
    DeleteUser,
    /// An admin puts the user in groups: both tokens name them (`cognito:groups`,
    /// `Session::groups`), and each refresh carries the memberships of the moment.
    GroupsInTokens,
    /// An authenticator app set up while signed in (`set_up_totp`, `verify_totp_setup`)
    /// and preferred: the next sign-in asks for a TOTP code; a wrong code leaves it
    /// pending, the right one signs in, and the session works.
    MfaTotp,
    /// [`MfaTotp`](Self::MfaTotp) with an app client secret (`SECRET_HASH` on every call)
    /// and the `USER_PASSWORD_AUTH` sign-in.
    MfaTotpClientSecret,
    /// SMS MFA preferred: the sign-in says where the code went, the SMS code signs in.
    MfaSms,
    /// Email MFA preferred: the sign-in says where the code went, the emailed code signs
    /// in.
    MfaEmail,
    /// A pool that requires MFA and a user without a factor: the sign-in sets up an
    /// authenticator (MFA_SETUP), and the next sign-in asks for a TOTP code.
    MfaSetup,
    /// TOTP and SMS on, neither preferred: the sign-in offers both (SELECT_MFA_TYPE),
    /// TOTP is chosen, its code signs in.
    MfaSelectType,
    /// Choice-based sign-in preferring a code by email (EMAIL_OTP): the step says where
    /// it went, a wrong code leaves it pending, the emailed code signs in.
    UserAuthEmailOtp,
    /// [`UserAuthEmailOtp`](Self::UserAuthEmailOtp) with a code by SMS (SMS_OTP) to a
    /// verified phone number.
    UserAuthSmsOtp,
    /// Choice-based sign-in without a preference: the selection lists the factors,
    /// PASSWORD is chosen, a wrong password ends it, the right one signs in; then
    /// PASSWORD preferred by a client that sends passwords.
    UserAuthSelectPassword,
    /// [`UserAuthSelectPassword`](Self::UserAuthSelectPassword) with PASSWORD_SRP, and
    /// the password factor preferred (SRP by default).
    UserAuthSelectPasswordSrp,
    /// Sign-up with auto sign-in: the confirmation signs the user in (`confirmSignUp`,
    /// `signIn`, `autoSignIn`); without the option it only confirms.
    AutoSignIn,
    /// An app client with refresh-token rotation: each refresh stores a new refresh
    /// token, the replaced one is refused (`RefreshTokenReuseException`), the newest
    /// rotates again.
    RefreshTokenRotation,
    /// Remembered devices with email MFA: the first sign-in's device is confirmed and
    /// stored; a device not remembered still asks for MFA; remembered, a restarted client
    /// answers the device challenges, skips MFA and refreshes; forgotten, the keys go and
    /// MFA is back.
    RememberedDevice,
}

/// A boxed flow future.
pub type FlowFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

impl Flow {
    /// Every flow, in the order the runner runs them.
    pub const ALL: [Flow; 37] = [
        Flow::SignUpConfirmSrp,
        Flow::SignUpRejected,
        Flow::ResendSignUpCode,
        Flow::SignInUserPassword,
        Flow::WrongPassword,
        Flow::WrongPasswordSrp,
        Flow::WrongCode,
        Flow::ExpiredSessionRefreshed,
        Flow::RefreshTokenRevoked,
        Flow::GlobalSignOut,
        Flow::UpdateAttributes,
        Flow::UpdateAttributesRejected,
        Flow::EmailChangeVerified,
        Flow::DeleteAttributes,
        Flow::NewPasswordRequired,
        Flow::NewPasswordRequiredAttributes,
        Flow::ClientSecret,
        Flow::ChangePassword,
        Flow::ForgotPassword,
        Flow::SessionRestoredFromFile,
        Flow::ClockSkewRestored,
        Flow::SignOutRevokes,
        Flow::DeleteUser,
        Flow::GroupsInTokens,
        Flow::MfaTotp,
        Flow::MfaTotpClientSecret,
        Flow::MfaSms,
        Flow::MfaEmail,
        Flow::MfaSetup,
        Flow::MfaSelectType,
        Flow::UserAuthEmailOtp,
        Flow::UserAuthSmsOtp,
        Flow::UserAuthSelectPassword,
        Flow::UserAuthSelectPasswordSrp,
        Flow::AutoSignIn,
        Flow::RefreshTokenRotation,
        Flow::RememberedDevice,
    ];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Flow::SignUpConfirmSrp => "sign_up_confirm_srp",
            Flow::SignUpRejected => "sign_up_rejected",
            Flow::ResendSignUpCode => "resend_sign_up_code",
            Flow::SignInUserPassword => "sign_in_user_password",
            Flow::WrongPassword => "wrong_password",
            Flow::WrongPasswordSrp => "wrong_password_srp",
            Flow::WrongCode => "wrong_code",
            Flow::ExpiredSessionRefreshed => "expired_session_refreshed",
            Flow::RefreshTokenRevoked => "refresh_token_revoked",
            Flow::GlobalSignOut => "global_sign_out",
            Flow::UpdateAttributes => "update_attributes",
            Flow::UpdateAttributesRejected => "update_attributes_rejected",
            Flow::EmailChangeVerified => "email_change_verified",
            Flow::DeleteAttributes => "delete_attributes",
            Flow::NewPasswordRequired => "new_password_required",
            Flow::NewPasswordRequiredAttributes => "new_password_required_attributes",
            Flow::ClientSecret => "client_secret",
            Flow::ChangePassword => "change_password",
            Flow::ForgotPassword => "forgot_password",
            Flow::SessionRestoredFromFile => "session_restored_from_file",
            Flow::ClockSkewRestored => "clock_skew_restored",
            Flow::SignOutRevokes => "sign_out_revokes",
            Flow::DeleteUser => "delete_user",
            Flow::GroupsInTokens => "groups_in_tokens",
            Flow::MfaTotp => "mfa_totp",
            Flow::MfaTotpClientSecret => "mfa_totp_client_secret",
            Flow::MfaSms => "mfa_sms",
            Flow::MfaEmail => "mfa_email",
            Flow::MfaSetup => "mfa_setup",
            Flow::MfaSelectType => "mfa_select_type",
            Flow::UserAuthEmailOtp => "user_auth_email_otp",
            Flow::UserAuthSmsOtp => "user_auth_sms_otp",
            Flow::UserAuthSelectPassword => "user_auth_select_password",
            Flow::UserAuthSelectPasswordSrp => "user_auth_select_password_srp",
            Flow::AutoSignIn => "auto_sign_in",
            Flow::RefreshTokenRotation => "refresh_token_rotation",
            Flow::RememberedDevice => "remembered_device",
        }
    }

    /// The flow of that name.
    pub fn from_name(name: &str) -> Option<Flow> {
        Flow::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The pool and app client settings the flow needs.
    pub fn options(self) -> PoolOptions {
        let password_auth = PoolOptions {
            password_auth: true,
            ..PoolOptions::default()
        };
        let custom = PoolOptions {
            custom_attributes: true,
            ..PoolOptions::default()
        };
        let optional_mfa = |factors: PoolMfa| PoolOptions {
            mfa: Some(factors),
            ..PoolOptions::default()
        };
        let totp = PoolMfa {
            totp: true,
            ..PoolMfa::default()
        };
        match self {
            Flow::SignUpConfirmSrp
            | Flow::UpdateAttributes
            | Flow::UpdateAttributesRejected
            | Flow::DeleteAttributes => custom,
            Flow::SignInUserPassword
            | Flow::WrongPassword
            | Flow::NewPasswordRequired
            | Flow::ChangePassword
            | Flow::ForgotPassword
            | Flow::ClockSkewRestored => password_auth,
            Flow::ExpiredSessionRefreshed => PoolOptions {
                short_validity: true,
                ..PoolOptions::default()
            },
            Flow::EmailChangeVerified => PoolOptions {
                keep_original_until_verified: true,
                ..PoolOptions::default()
            },
            Flow::NewPasswordRequiredAttributes => PoolOptions {
                required_name: true,
                ..PoolOptions::default()
            },
            Flow::ClientSecret => PoolOptions {
                secret: true,
                password_auth: true,
                ..PoolOptions::default()
            },
            Flow::SignUpRejected
            | Flow::ResendSignUpCode
            | Flow::WrongPasswordSrp
            | Flow::WrongCode
            | Flow::RefreshTokenRevoked
            | Flow::GlobalSignOut
            | Flow::SessionRestoredFromFile
            | Flow::SignOutRevokes
            | Flow::DeleteUser
            | Flow::GroupsInTokens => PoolOptions::default(),
            Flow::MfaTotp => optional_mfa(totp),
            Flow::MfaTotpClientSecret => PoolOptions {
                secret: true,
                password_auth: true,
                ..optional_mfa(totp)
            },
            Flow::MfaSms => optional_mfa(PoolMfa {
                sms: true,
                ..PoolMfa::default()
            }),
            Flow::MfaEmail => optional_mfa(PoolMfa {
                email: true,
                ..PoolMfa::default()
            }),
            Flow::MfaSetup => optional_mfa(PoolMfa {
                required: true,
                ..totp
            }),
            Flow::MfaSelectType => optional_mfa(PoolMfa { sms: true, ..totp }),
            Flow::UserAuthEmailOtp
            | Flow::UserAuthSelectPassword
            | Flow::UserAuthSelectPasswordSrp => PoolOptions {
                user_auth: Some(PoolUserAuth {
                    email_otp: true,
                    ..PoolUserAuth::default()
                }),
                ..PoolOptions::default()
            },
            Flow::UserAuthSmsOtp => PoolOptions {
                user_auth: Some(PoolUserAuth {
                    sms_otp: true,
                    ..PoolUserAuth::default()
                }),
                ..PoolOptions::default()
            },
            // USER_AUTH on the client is all the sign-in after sign-up needs.
            Flow::RefreshTokenRotation => PoolOptions {
                refresh_rotation: true,
                ..PoolOptions::default()
            },
            Flow::AutoSignIn => PoolOptions {
                user_auth: Some(PoolUserAuth::default()),
                ..PoolOptions::default()
            },
            // MFA is skipped on remembered devices only, and a device is remembered only
            // when the user says so (`remember_device`).
            Flow::RememberedDevice => PoolOptions {
                devices: Some(PoolDevices {
                    challenge_required_on_new_device: true,
                    device_only_remembered_on_user_prompt: true,
                }),
                ..optional_mfa(PoolMfa {
                    email: true,
                    ..PoolMfa::default()
                })
            },
        }
    }

    /// Runs the flow in `ctx`.
    pub fn run<'a>(self, ctx: &'a Ctx<'a>) -> FlowFuture<'a> {
        match self {
            Flow::SignUpConfirmSrp => Box::pin(sign_up_confirm_srp(ctx)),
            Flow::SignUpRejected => Box::pin(sign_up_rejected(ctx)),
            Flow::ResendSignUpCode => Box::pin(resend_sign_up_code(ctx)),
            Flow::SignInUserPassword => Box::pin(sign_in_user_password(ctx)),
            Flow::WrongPassword => Box::pin(wrong_password(ctx, AuthFlow::UserPassword)),
            Flow::WrongPasswordSrp => Box::pin(wrong_password(ctx, AuthFlow::UserSrp)),
            Flow::WrongCode => Box::pin(wrong_code(ctx)),
            Flow::ExpiredSessionRefreshed => Box::pin(expired_session_refreshed(ctx)),
            Flow::RefreshTokenRevoked => Box::pin(refresh_token_revoked(ctx)),
            Flow::GlobalSignOut => Box::pin(global_sign_out(ctx)),
            Flow::UpdateAttributes => Box::pin(update_attributes(ctx)),
            Flow::UpdateAttributesRejected => Box::pin(update_attributes_rejected(ctx)),
            Flow::EmailChangeVerified => Box::pin(email_change_verified(ctx)),
            Flow::DeleteAttributes => Box::pin(delete_attributes(ctx)),
            Flow::NewPasswordRequired => Box::pin(new_password_required(ctx)),
            Flow::NewPasswordRequiredAttributes => Box::pin(new_password_required_attributes(ctx)),
            Flow::ClientSecret => Box::pin(client_secret(ctx)),
            Flow::ChangePassword => Box::pin(change_password(ctx)),
            Flow::ForgotPassword => Box::pin(forgot_password(ctx)),
            Flow::SessionRestoredFromFile => Box::pin(session_restored_from_file(ctx)),
            Flow::ClockSkewRestored => Box::pin(clock_skew_restored(ctx)),
            Flow::SignOutRevokes => Box::pin(sign_out_revokes(ctx)),
            Flow::DeleteUser => Box::pin(delete_user(ctx)),
            Flow::GroupsInTokens => Box::pin(groups_in_tokens(ctx)),
            Flow::MfaTotp => Box::pin(mfa_totp(ctx, Flow::MfaTotp)),
            Flow::MfaTotpClientSecret => Box::pin(mfa_totp(ctx, Flow::MfaTotpClientSecret)),
            Flow::MfaSms => Box::pin(mfa_code(ctx, Flow::MfaSms)),
            Flow::MfaEmail => Box::pin(mfa_code(ctx, Flow::MfaEmail)),
            Flow::MfaSetup => Box::pin(mfa_setup(ctx)),
            Flow::MfaSelectType => Box::pin(mfa_select_type(ctx)),
            Flow::UserAuthEmailOtp => Box::pin(user_auth_code(ctx, Flow::UserAuthEmailOtp)),
            Flow::UserAuthSmsOtp => Box::pin(user_auth_code(ctx, Flow::UserAuthSmsOtp)),
            Flow::UserAuthSelectPassword => {
                Box::pin(user_auth_select_password(ctx, Flow::UserAuthSelectPassword))
            }
            Flow::UserAuthSelectPasswordSrp => Box::pin(user_auth_select_password(
                ctx,
                Flow::UserAuthSelectPasswordSrp,
            )),
            Flow::AutoSignIn => Box::pin(auto_sign_in(ctx)),
            Flow::RefreshTokenRotation => Box::pin(refresh::refresh_token_rotation(ctx)),
            Flow::RememberedDevice => Box::pin(remembered_device(ctx)),
        }
    }
}
