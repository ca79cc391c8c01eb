//! MFA of the signed-in user: setting up an authenticator app (TOTP), and the MFA
//! preferences. The MFA steps of a sign-in are in `sign_in.rs`.

use super::*;

impl Auth {
    /// Starts setting up an authenticator app for the signed-in user
    /// (`AssociateSoftwareToken` with the access token). Amplify v6: `setUpTOTP`.
    ///
    /// Show the answer's [`shared_secret`](TotpSetupDetails::shared_secret), or its
    /// [`setup_uri`](TotpSetupDetails::setup_uri) as a QR code, then call
    /// [`verify_totp_setup`](Self::verify_totp_setup) with a code the app shows. Each
    /// call makes a new secret; only the last one can be verified.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`] / [`Error::SignInPending`], [`Error::NotAuthorized`] (the
    /// access token was revoked), [`Error::SoftwareTokenMfaNotFound`] or
    /// [`Error::InvalidUserPoolConfiguration`] (the pool has no TOTP MFA), …
    #[tracing::instrument(name = "userpool.set_up_totp", skip_all)]
    pub async fn set_up_totp(&self) -> Result<TotpSetupDetails, Error> {
        self.inner
            .deadline("set_up_totp", async {
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                let username = session
                    .access_token()
                    .username()
                    .and_then(|u| Username::new(u).ok())
                    .or_else(|| self.inner.username())
                    .ok_or(Error::NotSignedIn)?;
                // Repeating it only makes another secret, and the last answer is the one
                // returned: any retryable failure may be retried.
                let associated = self
                    .retrying(Replay::Safe, "AssociateSoftwareToken", || {
                        self.inner
                            .transport
                            .associate_software_token(SoftwareTokenAuth::AccessToken(token.clone()))
                    })
                    .await?;
                Ok(TotpSetupDetails::new(associated.secret_code, username))
            })
            .await
    }

    /// Finishes setting up the authenticator app with a code it shows
    /// (`VerifySoftwareToken` with the access token); `friendly_device_name` names the
    /// app in the user's settings. Amplify v6: `verifyTOTPSetup`.
    ///
    /// TOTP is then enabled, not preferred: make it so with
    /// [`update_mfa_preference`](Self::update_mfa_preference).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty code; [`Error::EnableSoftwareTokenMfa`] or
    /// [`Error::CodeMismatch`] for a wrong code (try again with another code; the secret
    /// stays the same), [`Error::NotSignedIn`], [`Error::NotAuthorized`], …
    #[tracing::instrument(name = "userpool.verify_totp_setup", skip_all)]
    pub async fn verify_totp_setup(
        &self,
        code: impl Into<Code>,
        friendly_device_name: Option<&str>,
    ) -> Result<(), Error> {
        let code = code.into();
        let friendly_device_name = friendly_device_name.map(str::to_owned);
        self.inner
            .deadline("verify_totp_setup", async {
                non_empty("code", code.as_secret())?;
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                self.retrying(Replay::OnlyThrottled, "VerifySoftwareToken", || {
                    self.inner.transport.verify_software_token(
                        SoftwareTokenAuth::AccessToken(token.clone()),
                        code.clone(),
                        friendly_device_name.clone(),
                    )
                })
                .await?;
                // The cached user's MFA settings are stale now.
                self.inner.invalidate_user().await;
                Ok(())
            })
            .await
    }

    /// Changes the signed-in user's MFA settings (`SetUserMFAPreference`): each method
    /// given is enabled, disabled, made preferred or not preferred; the others stay as
    /// they are. Amplify v6: `updateMFAPreference({ sms, totp, email })`.
    ///
    /// [`MfaPreference::Enabled`] keeps whether the method is the preferred one. Cognito's
    /// `PreferredMfa: false` would take the preference away, and a transport may have to
    /// send it (the AWS SDK's does), so the current settings are read first (`GetUser`)
    /// and `Enabled` is sent as `Preferred` or `NotPreferred`.
    ///
    /// ```no_run
    /// use userpool::{MfaPreference, MfaPreferenceUpdate};
    /// # async fn run(auth: userpool::Auth) -> Result<(), userpool::Error> {
    /// auth.update_mfa_preference(
    ///     MfaPreferenceUpdate::new()
    ///         .totp(MfaPreference::Preferred)
    ///         .sms(MfaPreference::Disabled),
    /// )
    /// .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the update changes nothing (nothing is sent);
    /// [`Error::InvalidParameter`] (e.g. SMS without a verified phone number),
    /// [`Error::SoftwareTokenMfaNotFound`] (TOTP not set up yet),
    /// [`Error::NotSignedIn`], [`Error::NotAuthorized`], …
    #[tracing::instrument(name = "userpool.update_mfa_preference", skip_all)]
    pub async fn update_mfa_preference(&self, update: MfaPreferenceUpdate) -> Result<(), Error> {
        self.inner
            .deadline("update_mfa_preference", async {
                if update.is_empty() {
                    return Err(Error::InvalidInput {
                        field: "update",
                        reason: "names no MFA method to change".into(),
                    });
                }
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                let keeps_preference =
                    [update.sms, update.totp, update.email].contains(&Some(MfaPreference::Enabled));
                let update = if keeps_preference {
                    let current = self.mfa_settings(&token).await?;
                    resolve_enabled(update, &current)
                } else {
                    update
                };
                // Setting the same preferences twice is harmless: retried like a read.
                self.retrying(Replay::Safe, "SetUserMFAPreference", || {
                    self.inner
                        .transport
                        .set_user_mfa_preference(token.clone(), update)
                })
                .await?;
                self.inner.invalidate_user().await;
                Ok(())
            })
            .await
    }

    /// The signed-in user's MFA settings: the enabled methods and the preferred one
    /// (`GetUser`'s `UserMFASettingList` and `PreferredMfaSetting`; always asked, never
    /// from the cache). Amplify v6: `fetchMFAPreference`.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`] / [`Error::SignInPending`], [`Error::NotAuthorized`], …
    #[tracing::instrument(name = "userpool.fetch_mfa_preference", skip_all)]
    pub async fn fetch_mfa_preference(&self) -> Result<MfaSettings, Error> {
        self.inner
            .deadline("fetch_mfa_preference", async {
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                self.mfa_settings(&token).await
            })
            .await
    }

    async fn mfa_settings(&self, access_token: &SecretString) -> Result<MfaSettings, Error> {
        let user = self
            .retrying(Replay::Safe, "GetUser", || {
                self.inner.transport.get_user(access_token.clone())
            })
            .await?;
        Ok(MfaSettings::from_cognito(
            user.preferred_mfa(),
            user.mfa_methods(),
        ))
    }
}

/// Turns each `Enabled` of `update` into `Preferred` when that method is the current
/// preferred one, else `NotPreferred`, so that the request says exactly what stays.
fn resolve_enabled(update: MfaPreferenceUpdate, current: &MfaSettings) -> MfaPreferenceUpdate {
    let resolve = |method: MfaType, change: Option<MfaPreference>| match change {
        Some(MfaPreference::Enabled) if current.preferred == Some(method) => {
            Some(MfaPreference::Preferred)
        }
        Some(MfaPreference::Enabled) => Some(MfaPreference::NotPreferred),
        other => other,
    };
    let mut resolved = MfaPreferenceUpdate::new();
    resolved.sms = resolve(MfaType::Sms, update.sms);
    resolved.totp = resolve(MfaType::Totp, update.totp);
    resolved.email = resolve(MfaType::Email, update.email);
    resolved
}
