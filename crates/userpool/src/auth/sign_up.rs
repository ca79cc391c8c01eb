//! Sign-up: `SignUp`, `ConfirmSignUp`, `ResendConfirmationCode`.

use super::*;

impl Auth {
    /// Registers a user (`SignUp`). Amplify: `Auth.signUp`.
    ///
    /// Events: `signUp` with the result, or `signUp_failure`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an invalid username or an empty password, and the
    /// server's: [`Error::UsernameExists`], [`Error::InvalidPassword`] (password policy),
    /// [`Error::InvalidParameter`] (unknown attribute), [`Error::CodeDeliveryFailure`], a
    /// trigger's [`Error::UserLambdaValidation`], …
    #[tracing::instrument(name = "userpool.sign_up", skip_all, fields(username = %username.as_ref()))]
    pub async fn sign_up(
        &self,
        username: impl AsRef<str>,
        password: impl Into<Password>,
        options: SignUpOptions,
    ) -> Result<SignUpResult, Error> {
        let result = self
            .inner
            .deadline("sign_up", async {
                let username = Username::new(username.as_ref())?;
                let password = password.into();
                non_empty("password", password.as_secret())?;
                let (attributes, validation_data, client_metadata) = options.into_parts();
                let request = SignUpRequest::new(username.clone(), password)
                    .with_attributes(attributes)
                    .with_validation_data(validation_data)
                    .with_client_metadata(client_metadata);
                let result = self
                    .retrying(Replay::OnlyThrottled, "SignUp", || {
                        self.inner.transport.sign_up(request.clone())
                    })
                    .await?;
                Ok::<_, Error>((username, result))
            })
            .await;
        self.emit_outcome(
            result,
            |(username, result)| {
                tracing::debug!(confirmed = result.user_confirmed, "signed up");
                Some(AuthEvent::SignUp {
                    username: username.clone(),
                    result: result.clone(),
                })
            },
            |error| AuthEvent::SignUpFailure { error },
        )
        .map(|(_, result)| result)
    }

    /// Confirms a sign-up with the code sent to the user (`ConfirmSignUp`). Amplify:
    /// `Auth.confirmSignUp`.
    ///
    /// Event: `confirmSignUp`.
    ///
    /// # Errors
    ///
    /// [`Error::CodeMismatch`], [`Error::ExpiredCode`], [`Error::AliasExists`] (see
    /// [`ConfirmSignUpOptions::force_alias_creation`]), [`Error::UserNotFound`], …
    pub async fn confirm_sign_up(
        &self,
        username: impl AsRef<str>,
        code: impl Into<Code>,
    ) -> Result<(), Error> {
        self.confirm_sign_up_with(username, code, ConfirmSignUpOptions::default())
            .await
    }

    /// [`confirm_sign_up`](Self::confirm_sign_up) with options (force alias creation,
    /// trigger metadata).
    #[tracing::instrument(name = "userpool.confirm_sign_up", skip_all, fields(username = %username.as_ref()))]
    pub async fn confirm_sign_up_with(
        &self,
        username: impl AsRef<str>,
        code: impl Into<Code>,
        options: ConfirmSignUpOptions,
    ) -> Result<(), Error> {
        self.inner
            .deadline("confirm_sign_up", async {
                let username = Username::new(username.as_ref())?;
                let code = code.into();
                non_empty("code", code.as_secret())?;
                let (force, metadata) = options.into_parts();
                self.retrying(Replay::OnlyThrottled, "ConfirmSignUp", || {
                    self.inner.transport.confirm_sign_up(
                        username.clone(),
                        code.clone(),
                        force,
                        metadata.clone(),
                    )
                })
                .await?;
                self.inner.emit(AuthEvent::ConfirmSignUp { username });
                Ok(())
            })
            .await
    }

    /// Sends the sign-up confirmation code again (`ResendConfirmationCode`). Amplify:
    /// `Auth.resendSignUp`.
    pub async fn resend_sign_up_code(
        &self,
        username: impl AsRef<str>,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.resend_sign_up_code_with(username, RequestOptions::default())
            .await
    }

    /// [`resend_sign_up_code`](Self::resend_sign_up_code) with trigger metadata.
    #[tracing::instrument(name = "userpool.resend_sign_up_code", skip_all, fields(username = %username.as_ref()))]
    pub async fn resend_sign_up_code_with(
        &self,
        username: impl AsRef<str>,
        options: RequestOptions,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.inner
            .deadline("resend_sign_up_code", async {
                let username = Username::new(username.as_ref())?;
                let metadata = options.into_metadata();
                self.retrying(Replay::OnlyThrottled, "ResendConfirmationCode", || {
                    self.inner
                        .transport
                        .resend_confirmation_code(username.clone(), metadata.clone())
                })
                .await
            })
            .await
    }
}
