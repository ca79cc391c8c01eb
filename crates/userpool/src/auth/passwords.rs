//! Passwords: `ChangePassword`, `ForgotPassword`, `ConfirmForgotPassword`.

use super::*;

impl Auth {
    /// Changes the signed-in user's password (`ChangePassword`). Amplify:
    /// `Auth.changePassword`.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`], [`Error::NotAuthorized`] (wrong old password),
    /// [`Error::InvalidPassword`] (policy), [`Error::LimitExceeded`], …
    #[tracing::instrument(name = "userpool.change_password", skip_all)]
    pub async fn change_password(
        &self,
        old_password: impl Into<Password>,
        new_password: impl Into<Password>,
    ) -> Result<(), Error> {
        self.inner
            .deadline("change_password", async {
                let (old, new) = (old_password.into(), new_password.into());
                non_empty("old_password", old.as_secret())?;
                non_empty("new_password", new.as_secret())?;
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                self.retrying(Replay::OnlyThrottled, "ChangePassword", || {
                    self.inner
                        .transport
                        .change_password(token.clone(), old.clone(), new.clone())
                })
                .await
            })
            .await
    }

    /// Asks for a password-reset code (`ForgotPassword`). Amplify: `Auth.forgotPassword`.
    ///
    /// Events: `forgotPassword` with the delivery details, or `forgotPassword_failure`.
    pub async fn forgot_password(
        &self,
        username: impl AsRef<str>,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.forgot_password_with(username, RequestOptions::default())
            .await
    }

    /// [`forgot_password`](Self::forgot_password) with trigger metadata.
    #[tracing::instrument(name = "userpool.forgot_password", skip_all, fields(username = %username.as_ref()))]
    pub async fn forgot_password_with(
        &self,
        username: impl AsRef<str>,
        options: RequestOptions,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        let result = self
            .inner
            .deadline("forgot_password", async {
                let username = Username::new(username.as_ref())?;
                let metadata = options.into_metadata();
                let delivery = self
                    .retrying(Replay::OnlyThrottled, "ForgotPassword", || {
                        self.inner
                            .transport
                            .forgot_password(username.clone(), metadata.clone())
                    })
                    .await?;
                Ok::<_, Error>((username, delivery))
            })
            .await;
        self.emit_outcome(
            result,
            |(username, delivery)| {
                Some(AuthEvent::ForgotPassword {
                    username: username.clone(),
                    delivery: delivery.clone(),
                })
            },
            |error| AuthEvent::ForgotPasswordFailure { error },
        )
        .map(|(_, delivery)| delivery)
    }

    /// Sets a new password with a reset code (`ConfirmForgotPassword`). Amplify:
    /// `Auth.forgotPasswordSubmit`.
    ///
    /// Events: `forgotPasswordSubmit`, or `forgotPasswordSubmit_failure`.
    ///
    /// # Errors
    ///
    /// [`Error::CodeMismatch`], [`Error::ExpiredCode`], [`Error::InvalidPassword`], …
    pub async fn forgot_password_submit(
        &self,
        username: impl AsRef<str>,
        code: impl Into<Code>,
        new_password: impl Into<Password>,
    ) -> Result<(), Error> {
        self.forgot_password_submit_with(username, code, new_password, RequestOptions::default())
            .await
    }

    /// [`forgot_password_submit`](Self::forgot_password_submit) with trigger metadata.
    #[tracing::instrument(name = "userpool.forgot_password_submit", skip_all, fields(username = %username.as_ref()))]
    pub async fn forgot_password_submit_with(
        &self,
        username: impl AsRef<str>,
        code: impl Into<Code>,
        new_password: impl Into<Password>,
        options: RequestOptions,
    ) -> Result<(), Error> {
        let result = self
            .inner
            .deadline("forgot_password_submit", async {
                let username = Username::new(username.as_ref())?;
                let code = code.into();
                let new_password = new_password.into();
                non_empty("code", code.as_secret())?;
                non_empty("new_password", new_password.as_secret())?;
                let metadata = options.into_metadata();
                self.retrying(Replay::OnlyThrottled, "ConfirmForgotPassword", || {
                    self.inner.transport.confirm_forgot_password(
                        username.clone(),
                        code.clone(),
                        new_password.clone(),
                        metadata.clone(),
                    )
                })
                .await?;
                Ok::<_, Error>(username)
            })
            .await;
        self.emit_outcome(
            result,
            |username| {
                Some(AuthEvent::ForgotPasswordSubmit {
                    username: username.clone(),
                })
            },
            |error| AuthEvent::ForgotPasswordSubmitFailure { error },
        )
        .map(|_| ())
    }
}
