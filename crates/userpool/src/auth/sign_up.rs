//! Sign-up: `SignUp`, `ConfirmSignUp`, `ResendConfirmationCode`.

use userpool_transport::ConfirmSignUpRequest;

use super::*;

impl Auth {
    /// Registers a user (`SignUp`). Amplify: `Auth.signUp`.
    ///
    /// With [`SignUpOptions::auto_sign_in`], the sign-up's session is kept in memory so
    /// that [`confirm_sign_up`](Self::confirm_sign_up) signs the user in (Amplify v6:
    /// `autoSignIn`). Only the latest sign-up is kept; a user confirmed by the pool at
    /// sign-up (a pre-sign-up trigger) has no confirmation to wait for and is not signed
    /// in by this: sign them in with [`sign_in`](Self::sign_in).
    ///
    /// Events: `signUp` with the result (without the session), or `signUp_failure`.
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
                let auto_sign_in = options.wants_auto_sign_in();
                // A new sign-up replaces what an earlier one kept, even if it fails.
                self.inner.auto_sign_in.disarm();
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
                if auto_sign_in && !result.user_confirmed {
                    self.inner
                        .auto_sign_in
                        .arm(username.clone(), result.session.clone());
                }
                Ok::<_, Error>((username, result))
            })
            .await;
        self.emit_outcome(
            result,
            |(username, result)| {
                tracing::debug!(confirmed = result.user_confirmed, "signed up");
                // The session is the caller's secret; events carry none.
                Some(AuthEvent::SignUp {
                    username: username.clone(),
                    result: result.clone().with_session(None),
                })
            },
            |error| AuthEvent::SignUpFailure { error },
        )
        .map(|(_, result)| result)
    }

    /// Confirms a sign-up with the code sent to the user (`ConfirmSignUp`). Amplify:
    /// `Auth.confirmSignUp`.
    ///
    /// When this client signed the user up with [`SignUpOptions::auto_sign_in`], the
    /// confirmation sends the sign-up's session and then signs the user in with the
    /// session Cognito answers (`InitiateAuth USER_AUTH`; the app client must allow
    /// `USER_AUTH`). Where Amplify v6 answers `COMPLETE_AUTO_SIGN_IN` and waits for
    /// `autoSignIn()`, this does it at once (the session lasts minutes and serves once):
    /// the [`ConfirmSignUpOutcome`] says whether the user is signed in. A failed automatic
    /// sign-in does not fail the confirmation: it is
    /// [`ConfirmSignUpOutcome::AutoSignInFailed`].
    ///
    /// Events: `confirmSignUp`; then, for an automatic sign-in, `signIn` and
    /// `autoSignIn`, or `autoSignIn_failure`.
    ///
    /// # Errors
    ///
    /// Of the confirmation only: [`Error::CodeMismatch`], [`Error::ExpiredCode`] (the
    /// kept session stays for a second try), [`Error::AliasExists`] (see
    /// [`ConfirmSignUpOptions::force_alias_creation`]), [`Error::UserNotFound`], …
    pub async fn confirm_sign_up(
        &self,
        username: impl AsRef<str>,
        code: impl Into<Code>,
    ) -> Result<ConfirmSignUpOutcome, Error> {
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
    ) -> Result<ConfirmSignUpOutcome, Error> {
        let confirmed = self
            .inner
            .deadline("confirm_sign_up", async {
                let username = Username::new(username.as_ref())?;
                let code = code.into();
                non_empty("code", code.as_secret())?;
                let (force, metadata) = options.into_parts();
                let Some(sign_up_session) = self.inner.auto_sign_in.kept_for(&username) else {
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
                    return Ok(None);
                };
                let request = ConfirmSignUpRequest::new(username.clone(), code)
                    .with_force_alias_creation(force)
                    .with_client_metadata(metadata.clone())
                    .with_session(sign_up_session);
                let session = self.confirm_for_auto_sign_in(request).await?;
                Ok(Some((username, session, metadata)))
            })
            .await?;
        Ok(match confirmed {
            None => ConfirmSignUpOutcome::Confirmed,
            Some((username, session, metadata)) => {
                self.auto_sign_in(username, session, metadata).await
            }
        })
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
