//! The moto backend: a running `moto_server` (Python), an independent Cognito emulator.
//!
//! `cargo xtask it --backend moto` installs it in `target/peers/moto-venv` (pinned in
//! `xtask/peers/moto.txt`), starts it on loopback and passes its URL with `--endpoint`.

use anyhow::{Context as _, Result, anyhow};
use aws_sdk_cognitoidentityprovider as cip;
use serde_json::Value;

use crate::admin;
use crate::backend::{AppClient, Backend, PoolOptions, Purpose};
use crate::flows::Flow;
use crate::http;

/// Any code confirms a sign-up on moto; the flows send this one.
const ANY_SIGN_UP_CODE: &str = "123456";

/// moto's region: unsigned calls carry none, and some operations (GlobalSignOut) only
/// find pools of us-east-1.
const REGION: &str = "us-east-1";

/// A running moto server. Pools are created in us-east-1. moto accepts any sign-up code;
/// the password-reset code is read from `GET /moto-api/data.json` (moto also sends it in
/// the `x-moto-forgot-password-confirmation-code` header, which the facade does not
/// expose). moto sends no MFA codes (SMS or email), so there are none to read.
#[derive(Debug)]
pub struct MotoBackend {
    endpoint: String,
    sdk: cip::Client,
}

impl MotoBackend {
    /// Connects to the moto server at `endpoint` and resets its state
    /// (`POST /moto-api/reset`).
    pub async fn connect(endpoint: &str) -> Result<Self> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        http::request_ok(&endpoint, "POST", "/moto-api/reset", None)
            .await
            .with_context(|| format!("resetting the moto server at {endpoint}"))?;
        let sdk = admin::local_sdk(&endpoint, REGION);
        Ok(Self { endpoint, sdk })
    }

    async fn forgot_password_code(&self, app: &AppClient, username: &str) -> Result<Vec<String>> {
        let body = http::request_ok(&self.endpoint, "GET", "/moto-api/data.json", None).await?;
        let data: Value = serde_json::from_str(&body).context("moto's data.json is not JSON")?;
        let users = data
            .pointer("/cognitoidp/CognitoIdpUser")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("moto's data.json has no cognitoidp.CognitoIdpUser"))?;
        let user = users.iter().find(|u| {
            u.get("user_pool_id").and_then(Value::as_str) == Some(app.pool_id.as_str())
                && u.get("username").and_then(Value::as_str) == Some(username)
        });
        Ok(user
            .and_then(|u| u.get("confirmation_code"))
            .and_then(Value::as_str)
            .map(|code| vec![code.to_owned()])
            .unwrap_or_default())
    }
}

#[async_trait::async_trait]
impl Backend for MotoBackend {
    fn name(&self) -> &'static str {
        "moto"
    }

    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn supports(&self, flow: Flow) -> Result<(), String> {
        let reason = match flow {
            Flow::ResendSignUpCode => "moto lacks ResendConfirmationCode",
            Flow::WrongPasswordSrp => {
                "moto fakes SRP and accepts any PASSWORD_CLAIM_SIGNATURE: a wrong password signs in"
            }
            Flow::WrongCode => {
                "moto's ConfirmSignUp accepts any code, and its ConfirmForgotPassword answers a \
                 wrong code with ExpiredCodeException"
            }
            Flow::UpdateAttributesRejected => {
                "moto does not check attribute names against the pool's schema"
            }
            Flow::EmailChangeVerified => {
                "moto lacks GetUserAttributeVerificationCode and VerifyUserAttribute (and its \
                 UpdateUserAttributes sends no code)"
            }
            Flow::DeleteAttributes => "moto lacks DeleteUserAttributes",
            Flow::NewPasswordRequiredAttributes => {
                "moto's NEW_PASSWORD_REQUIRED challenge lists no requiredAttributes and ignores \
                 userAttributes.*"
            }
            Flow::SignOutRevokes => "moto lacks RevokeToken",
            Flow::DeleteUser => "moto lacks DeleteUser",
            // moto 5.2.5 (cognitoidp/models.py, checked by running with --run-unsupported).
            Flow::MfaTotp | Flow::MfaTotpClientSecret => {
                "moto checks no TOTP code unless its server runs with \
                 MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true (a wrong code is accepted), and \
                 then allows no clock skew, so the next step's code a sign-in after the setup \
                 needs is refused"
            }
            Flow::MfaSms => {
                "moto's SMS_MFA challenge has no CODE_DELIVERY_* parameters (nowhere to say \
                 where the code went), sends no code, and accepts any code"
            }
            Flow::MfaEmail => "moto lacks EMAIL_OTP: SetUserMFAPreference ignores EmailMfaSettings",
            Flow::MfaSetup => {
                "moto's MFA_SETUP challenge sends MFAS_CAN_SETUP as a Python list repr \
                 (['SOFTWARE_TOKEN_MFA']), not the JSON array Cognito sends, and does not turn \
                 TOTP on when the setup completes"
            }
            Flow::MfaSelectType => {
                "moto never answers SELECT_MFA_TYPE: with TOTP and SMS both on it asks for \
                 TOTP"
            }
            // moto 5.2.5 (cognitoidp/models.py): InitiateAuth accepts no USER_AUTH flow,
            // SignUp and ConfirmSignUp answer no Session, SignInPolicy is not kept.
            Flow::UserAuthEmailOtp
            | Flow::UserAuthSmsOtp
            | Flow::UserAuthSelectPassword
            | Flow::UserAuthSelectPasswordSrp
            | Flow::AutoSignIn => {
                "moto lacks choice-based sign-in: InitiateAuth refuses the USER_AUTH flow, and \
                 SignUp and ConfirmSignUp answer no Session to sign in with"
            }
            // moto 5.2.5: GetTokensFromRefreshToken is not implemented (an HTML 500 page:
            // the facade falls back to REFRESH_TOKEN_AUTH there, which every other session
            // flow goes through), and CreateUserPoolClient ignores RefreshTokenRotation.
            Flow::RefreshTokenRotation => {
                "moto lacks refresh-token rotation: no GetTokensFromRefreshToken (the facade \
                 refreshes with REFRESH_TOKEN_AUTH there) and no RefreshTokenRotation setting"
            }
            // moto 5.2.5 (cognitoidp/responses.py) has no device operation at all.
            Flow::RememberedDevice => {
                "moto lacks remembered devices: no NewDeviceMetadata, ConfirmDevice, \
                 ListDevices, ForgetDevice or UpdateDeviceStatus, no device challenges"
            }
            _ => return Ok(()),
        };
        Err(reason.to_owned())
    }

    fn sdk(&self) -> &cip::Client {
        &self.sdk
    }

    async fn create_app(&self, options: &PoolOptions) -> Result<AppClient> {
        admin::create_app(&self.sdk, REGION, options).await
    }

    async fn codes(
        &self,
        app: &AppClient,
        username: &str,
        purpose: Purpose,
    ) -> Result<Option<Vec<String>>> {
        match purpose {
            Purpose::SignUp => Ok(Some(vec![ANY_SIGN_UP_CODE.to_owned()])),
            Purpose::ForgotPassword => self.forgot_password_code(app, username).await.map(Some),
            Purpose::VerifyAttribute | Purpose::Mfa => Ok(None),
        }
    }
}
