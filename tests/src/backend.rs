//! What a flow needs from a server, besides the facade itself.

use std::fmt;

use anyhow::Result;
use aws_sdk_cognitoidentityprovider as cip;

use crate::admin;
use crate::flows::Flow;

/// The custom attribute that flows needing one use (`custom:team`, a mutable string).
pub const CUSTOM_ATTRIBUTE: &str = "team";

/// The settings of the pool and app client a flow needs.
///
/// Every pool verifies `email` automatically (a code is sent at sign-up) and keeps
/// Cognito's default password policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolOptions {
    /// The app client has a secret: every call carries `SECRET_HASH`.
    pub secret: bool,
    /// The app client allows `USER_PASSWORD_AUTH` (besides SRP and refresh).
    pub password_auth: bool,
    /// Access and ID tokens live 5 minutes, the shortest Cognito allows (default 1 hour).
    pub short_validity: bool,
    /// The pool's schema has the custom attribute `custom:team`.
    pub custom_attributes: bool,
    /// Changing `email` keeps the original value until the new one is verified.
    pub keep_original_until_verified: bool,
    /// The schema marks `name` as required.
    pub required_name: bool,
    /// The pool's MFA (`SetUserPoolMfaConfig` after the pool is created); `None` leaves
    /// it off, as `CreateUserPool` does.
    pub mfa: Option<PoolMfa>,
    /// Choice-based sign-in (`USER_AUTH`); `None` leaves it off, as `CreateUserPool`
    /// does.
    pub user_auth: Option<PoolUserAuth>,
    /// The app client rotates refresh tokens (`RefreshTokenRotation`: `ENABLED`, no retry
    /// grace), and so does not allow `REFRESH_TOKEN_AUTH`, which Cognito requires off with
    /// rotation.
    pub refresh_rotation: bool,
    /// The pool's `DeviceConfiguration` (device tracking); `None` leaves it off, as
    /// `CreateUserPool` does.
    pub devices: Option<PoolDevices>,
}

/// A pool's `DeviceConfiguration`: it tracks the devices users sign in from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolDevices {
    /// `ChallengeRequiredOnNewDevice`: MFA is asked on devices that are not remembered
    /// (and skipped on remembered ones).
    pub challenge_required_on_new_device: bool,
    /// `DeviceOnlyRememberedOnUserPrompt`: a confirmed device is remembered only when the
    /// user says so (`UpdateDeviceStatus`).
    pub device_only_remembered_on_user_prompt: bool,
}

/// Choice-based sign-in: the app client allows `USER_AUTH` (`ALLOW_USER_AUTH`, which also
/// makes SignUp and ConfirmSignUp answer the sessions of the sign-in after sign-up), and
/// the pool's `SignInPolicy.AllowedFirstAuthFactors` is `PASSWORD` plus the one-time codes
/// named here, on the `ESSENTIALS` tier the codes need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUserAuth {
    /// `EMAIL_OTP`: a code by email as the first factor.
    pub email_otp: bool,
    /// `SMS_OTP`: a code by SMS as the first factor.
    pub sms_otp: bool,
}

/// The MFA settings of a pool: whether a second factor is required, and which factors
/// the pool offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolMfa {
    /// `ON`: every user must sign in with a second factor (and set one up at sign-in if
    /// they have none); otherwise `OPTIONAL`: users who turned a factor on use it.
    pub required: bool,
    /// Authenticator apps (`SoftwareTokenMfaConfiguration`).
    pub totp: bool,
    /// Codes by SMS (`SmsMfaConfiguration`).
    pub sms: bool,
    /// Codes by email (`EmailMfaConfiguration`).
    pub email: bool,
}

/// An app client of a pool, ready for [`userpool::Auth::builder`].
#[derive(Clone, PartialEq, Eq)]
pub struct AppClient {
    /// The pool id (`<region>_<name>`).
    pub pool_id: String,
    /// The app client id.
    pub client_id: String,
    /// The app client secret, when it has one.
    pub client_secret: Option<String>,
    /// The region to configure.
    pub region: String,
}

impl fmt::Debug for AppClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppClient")
            .field("pool_id", &self.pool_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("region", &self.region)
            .finish()
    }
}

/// Why a code was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Sign-up confirmation (SignUp, ResendConfirmationCode).
    SignUp,
    /// Password reset (ForgotPassword).
    ForgotPassword,
    /// Attribute verification (UpdateUserAttributes, GetUserAttributeVerificationCode).
    VerifyAttribute,
    /// A sign-in's second factor sent by SMS or email (the SMS_MFA and EMAIL_OTP
    /// challenges), and the first-factor codes of `USER_AUTH` (EMAIL_OTP, SMS_OTP), which
    /// Cognito sends with the same templates.
    Mfa,
}

/// A server the flows run against.
///
/// Admin operations go through the AWS SDK's admin calls: dummy credentials for local
/// servers, ambient ones for AWS.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// `local`, `moto` or `aws`.
    fn name(&self) -> &'static str;

    /// The endpoint to give [`userpool::AuthBuilder::endpoint`]; `None` for Cognito's
    /// regional endpoint.
    fn endpoint(&self) -> Option<&str>;

    /// `Ok` when the flow can run here; `Err(reason)` when this server lacks what it
    /// needs. Decided from what the server is known to implement, never by running it.
    fn supports(&self, flow: Flow) -> Result<(), String>;

    /// The SDK client the admin calls go through.
    fn sdk(&self) -> &cip::Client;

    /// A pool and app client with these settings.
    async fn create_app(&self, options: &PoolOptions) -> Result<AppClient>;

    /// Creates a user with a temporary password, no invitation sent
    /// (`AdminCreateUser`, `MessageAction=SUPPRESS`): the user must choose a new password
    /// at first sign-in.
    async fn admin_create_user(
        &self,
        app: &AppClient,
        username: &str,
        temporary_password: &str,
        attributes: &[(&str, &str)],
    ) -> Result<()> {
        admin::admin_create_user(self.sdk(), app, username, temporary_password, attributes).await
    }

    /// Confirms a signed-up user without a code (`AdminConfirmSignUp`).
    async fn admin_confirm_sign_up(&self, app: &AppClient, username: &str) -> Result<()> {
        admin::admin_confirm_sign_up(self.sdk(), app, username).await
    }

    /// Ends every session of a user (`AdminUserGlobalSignOut`): refresh tokens stop
    /// working.
    async fn admin_global_sign_out(&self, app: &AppClient, username: &str) -> Result<()> {
        admin::admin_global_sign_out(self.sdk(), app, username).await
    }

    /// The codes sent to a user for `purpose`, oldest first; `None` when this backend
    /// cannot read them (then a flow confirms through an admin call when it can).
    async fn codes(
        &self,
        app: &AppClient,
        username: &str,
        purpose: Purpose,
    ) -> Result<Option<Vec<String>>>;

    /// The latest code sent to a user for `purpose`; `None` when there is none yet or
    /// this backend cannot read codes.
    async fn latest_code(
        &self,
        app: &AppClient,
        username: &str,
        purpose: Purpose,
    ) -> Result<Option<String>> {
        Ok(self
            .codes(app, username, purpose)
            .await?
            .and_then(|mut codes| codes.pop()))
    }

    /// Removes what a flow left behind (users on a real pool). Best effort.
    async fn cleanup(&self, _app: &AppClient, _usernames: &[String]) {}
}
