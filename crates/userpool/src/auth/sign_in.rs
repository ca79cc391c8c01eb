//! Sign-in: the password flows, the challenge steps and the pending sign-in.

use super::*;

impl Auth {
    /// Signs a user in with a password, by the client's flow (SRP unless configured
    /// otherwise). Amplify: `Auth.signIn`.
    ///
    /// The answer is [`SignInResult::SignedIn`] (the session is stored) or
    /// [`SignInResult::NextStep`]: a new password, an MFA code or a custom challenge is
    /// needed, to be answered with [`complete_new_password`](Self::complete_new_password)
    /// or [`confirm_sign_in`](Self::confirm_sign_in).
    ///
    /// A sign-in replaces the session of a user signed in before.
    ///
    /// Events: `signIn` once signed in, or `signIn_failure`.
    ///
    /// # Errors
    ///
    /// [`Error::NotAuthorized`] (wrong username or password, disabled user),
    /// [`Error::UserNotConfirmed`], [`Error::PasswordResetRequired`],
    /// [`Error::UserNotFound`] (pools that reveal it), [`Error::MalformedResponse`] or
    /// [`Error::MalformedToken`] for an answer this client cannot read, [`Error::Srp`]
    /// when the server's SRP values are invalid, [`Error::Network`], …
    pub async fn sign_in(
        &self,
        username: impl AsRef<str>,
        password: impl Into<Password>,
    ) -> Result<SignInResult, Error> {
        self.sign_in_with(username, password, SignInOptions::default())
            .await
    }

    /// [`sign_in`](Self::sign_in) with options (the flow of this sign-in, trigger
    /// metadata).
    #[tracing::instrument(name = "userpool.sign_in", skip_all, fields(username = %username.as_ref(), flow))]
    pub async fn sign_in_with(
        &self,
        username: impl AsRef<str>,
        password: impl Into<Password>,
        options: SignInOptions,
    ) -> Result<SignInResult, Error> {
        let result = self
            .inner
            .deadline(
                "sign_in",
                self.sign_in_inner(username.as_ref(), password.into(), options),
            )
            .await;
        if let Err(error) = &result {
            tracing::debug!(error = %error, "sign-in failed");
            self.inner.emit(AuthEvent::SignInFailure {
                error: error.clone(),
            });
        }
        result
    }

    async fn sign_in_inner(
        &self,
        username: &str,
        password: Password,
        options: SignInOptions,
    ) -> Result<SignInResult, Error> {
        let username = Username::new(username)?;
        non_empty("password", password.as_secret())?;
        let (flow, metadata) = options.into_parts();
        let flow = flow.unwrap_or(self.inner.config.auth_flow);
        tracing::Span::current().record("flow", flow.as_str());
        self.inner.ensure_loaded().await?;
        self.inner.set_pending(None);
        let transport = &self.inner.transport;
        match flow {
            AuthFlow::UserSrp => {
                let srp = SrpClient::new()
                    .map_err(srp_error("the client's ephemeral value could not be drawn"))?;
                let first = self
                    .retrying(Replay::Safe, "InitiateAuth", || {
                        transport.initiate_auth(
                            InitiateAuth::UserSrp {
                                username: username.clone(),
                                srp_a: srp.srp_a_hex().to_owned(),
                                device_key: None,
                            },
                            metadata.clone(),
                        )
                    })
                    .await?;
                let challenge = match first {
                    AuthOutcome::Challenge(c) if c.name == ChallengeName::PasswordVerifier => c,
                    other => return self.handle_answer("InitiateAuth", other, &username).await,
                };
                let answer =
                    self.password_verifier(&srp, &challenge, &password, &username, metadata)?;
                drop(srp);
                let next = self
                    .retrying(Replay::OnlyThrottled, "RespondToAuthChallenge", || {
                        transport.respond_to_auth_challenge(answer.clone())
                    })
                    .await?;
                self.handle_answer("RespondToAuthChallenge", next, &username)
                    .await
            }
            AuthFlow::UserPassword => {
                let answer = self
                    .retrying(Replay::Safe, "InitiateAuth", || {
                        transport.initiate_auth(
                            InitiateAuth::UserPassword {
                                username: username.clone(),
                                password: password.clone(),
                            },
                            metadata.clone(),
                        )
                    })
                    .await?;
                self.handle_answer("InitiateAuth", answer, &username).await
            }
            other => Err(Error::Config {
                reason: format!("the sign-in flow {} is not supported", other.as_str()),
            }),
        }
    }

    /// Computes the answer to `PASSWORD_VERIFIER`.
    fn password_verifier(
        &self,
        srp: &SrpClient,
        challenge: &Challenge,
        password: &Password,
        typed: &Username,
        client_metadata: ClientMetadata,
    ) -> Result<ChallengeRequest, Error> {
        let param = |name: &str| {
            challenge
                .parameters
                .get(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::MalformedResponse {
                    operation: "InitiateAuth",
                    reason: format!("the PASSWORD_VERIFIER challenge has no {name}"),
                })
        };
        let srp_b = param("SRP_B")?;
        let salt = param("SALT")?;
        let secret_block = param("SECRET_BLOCK")?;
        let user_id = param("USER_ID_FOR_SRP")?;
        let timestamp = userpool_srp::timestamp(self.inner.clock.now());
        let signature = srp
            .password_claim(&PasswordClaimRequest {
                pool_name: self.inner.config.user_pool_id.pool_name(),
                user_id_for_srp: user_id,
                password: password.expose(),
                salt_hex: salt,
                srp_b_hex: srp_b,
                secret_block_b64: secret_block,
                timestamp: &timestamp,
            })
            .map_err(srp_error(
                "the server's PASSWORD_VERIFIER challenge is invalid",
            ))?;
        Ok(ChallengeRequest {
            session: challenge.session.clone(),
            username: challenge::challenge_username(challenge, typed),
            response: ChallengeResponse::PasswordVerifier {
                secret_block: secret_block.clone(),
                timestamp,
                signature: SecretString::new(signature),
                device_key: None,
            },
            client_metadata,
        })
    }

    /// Tokens: store the session and emit `signIn`. A challenge: keep it pending and
    /// return the next step.
    async fn handle_answer(
        &self,
        operation: &'static str,
        answer: AuthOutcome,
        typed: &Username,
    ) -> Result<SignInResult, Error> {
        match answer {
            AuthOutcome::Tokens(tokens) => {
                let (id, access, refresh) = parse_tokens(tokens)?;
                let username = access
                    .username()
                    .or_else(|| id.username())
                    .and_then(|u| Username::new(u).ok())
                    .unwrap_or_else(|| typed.clone());
                let session = Session::arrived(id, access, refresh, self.inner.now_secs());
                self.inner.store_signed_in(&username, session).await?;
                tracing::debug!(username = %username, "signed in");
                self.inner.emit(AuthEvent::SignIn { username });
                Ok(SignInResult::SignedIn)
            }
            AuthOutcome::Challenge(challenge) => {
                let step = challenge::next_step(operation, &challenge)?;
                let username = challenge::challenge_username(&challenge, typed);
                tracing::debug!(
                    challenge = challenge.name.as_str(),
                    "sign-in continues with a challenge"
                );
                self.inner.set_pending(Some(Arc::new(Pending {
                    step: step.clone(),
                    session: challenge.session,
                    username,
                })));
                Ok(SignInResult::NextStep(step))
            }
            _ => Err(Error::MalformedResponse {
                operation,
                reason: "neither tokens nor a challenge".into(),
            }),
        }
    }

    /// Sends the answer to the pending challenge and handles what comes back.
    async fn answer_challenge(
        &self,
        pending: Arc<Pending>,
        response: ChallengeResponse,
        client_metadata: ClientMetadata,
    ) -> Result<SignInResult, Error> {
        let answer = ChallengeRequest {
            session: pending.session.clone(),
            username: pending.username.clone(),
            response,
            client_metadata,
        };
        let result = self
            .retrying(Replay::OnlyThrottled, "RespondToAuthChallenge", || {
                self.inner
                    .transport
                    .respond_to_auth_challenge(answer.clone())
            })
            .await;
        match result {
            Ok(next) => {
                self.inner.drop_pending(&pending);
                self.handle_answer("RespondToAuthChallenge", next, &pending.username)
                    .await
            }
            Err(error) => {
                // A wrong code may be tried again with the same session; a rejected
                // session (expired, too many attempts) ends the sign-in.
                if error.is_not_authorized() {
                    self.inner.drop_pending(&pending);
                }
                Err(error)
            }
        }
    }

    /// Answers the `NEW_PASSWORD_REQUIRED` step of the pending sign-in with a new password
    /// and the required attributes (names without the `userAttributes.` prefix; `sub`
    /// and `*_verified` are dropped). Amplify: `Auth.completeNewPassword`.
    ///
    /// Events: `signIn` once signed in, or `completeNewPassword_failure`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when no new-password step is pending or the password is
    /// empty; [`Error::InvalidPassword`], [`Error::InvalidParameter`] (a required
    /// attribute is missing), [`Error::NotAuthorized`] (the challenge expired), …
    pub async fn complete_new_password(
        &self,
        new_password: impl Into<Password>,
        required_attributes: Attributes,
    ) -> Result<SignInResult, Error> {
        self.complete_new_password_with(
            new_password,
            required_attributes,
            RequestOptions::default(),
        )
        .await
    }

    /// [`complete_new_password`](Self::complete_new_password) with trigger metadata.
    #[tracing::instrument(name = "userpool.complete_new_password", skip_all)]
    pub async fn complete_new_password_with(
        &self,
        new_password: impl Into<Password>,
        required_attributes: Attributes,
        options: RequestOptions,
    ) -> Result<SignInResult, Error> {
        let result = self
            .inner
            .deadline("complete_new_password", async {
                let new_password = new_password.into();
                non_empty("new_password", new_password.as_secret())?;
                let pending = self
                    .inner
                    .pending()
                    .filter(|p| matches!(p.step, NextStep::NewPasswordRequired { .. }))
                    .ok_or_else(|| no_pending("a new password"))?;
                self.answer_challenge(
                    pending,
                    ChallengeResponse::NewPassword {
                        new_password,
                        attributes: writable(required_attributes),
                    },
                    options.into_metadata(),
                )
                .await
            })
            .await;
        if let Err(error) = &result {
            self.inner.emit(AuthEvent::CompleteNewPasswordFailure {
                error: error.clone(),
            });
        }
        result
    }

    /// Answers the pending sign-in's challenge. Amplify: `Auth.confirmSignIn` (MFA codes)
    /// and `Auth.sendCustomChallengeAnswer`; like Amplify v6's `confirmSignIn`, one
    /// method answers every step:
    ///
    /// | pending step | `answer` |
    /// |---|---|
    /// | [`NextStep::SmsCode`] | the SMS code |
    /// | [`NextStep::TotpCode`] | the code of the authenticator app |
    /// | [`NextStep::CustomChallenge`] | the answer to the custom challenge |
    /// | [`NextStep::SelectMfaType`] | `SMS_MFA` or `SOFTWARE_TOKEN_MFA` (or `SMS`, `TOTP`) |
    /// | [`NextStep::NewPasswordRequired`] | the new password (no attributes; see [`complete_new_password`](Self::complete_new_password)) |
    ///
    /// Event: `signIn` once signed in.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when no sign-in is pending or the answer is empty,
    /// [`Error::UnsupportedOperation`] for [`NextStep::MfaSetup`] (not supported by this
    /// client), [`Error::CodeMismatch`] (the sign-in stays pending: try again),
    /// [`Error::ExpiredCode`], [`Error::NotAuthorized`] (the challenge expired or too
    /// many attempts: the sign-in is over), …
    pub async fn confirm_sign_in(
        &self,
        answer: impl Into<SecretString>,
    ) -> Result<SignInResult, Error> {
        self.confirm_sign_in_with(answer, RequestOptions::default())
            .await
    }

    /// [`confirm_sign_in`](Self::confirm_sign_in) with trigger metadata.
    #[tracing::instrument(name = "userpool.confirm_sign_in", skip_all, fields(challenge))]
    pub async fn confirm_sign_in_with(
        &self,
        answer: impl Into<SecretString>,
        options: RequestOptions,
    ) -> Result<SignInResult, Error> {
        self.inner
            .deadline("confirm_sign_in", async {
                let answer = answer.into();
                non_empty("answer", &answer)?;
                let pending = self
                    .inner
                    .pending()
                    .ok_or_else(|| no_pending("an answer"))?;
                tracing::Span::current().record("challenge", pending.step.challenge().as_str());
                let response = match &pending.step {
                    NextStep::SmsCode { .. } => ChallengeResponse::SmsMfa {
                        code: Code::from(answer),
                    },
                    NextStep::TotpCode => ChallengeResponse::SoftwareTokenMfa {
                        code: Code::from(answer),
                    },
                    NextStep::CustomChallenge { .. } => ChallengeResponse::Custom { answer },
                    NextStep::SelectMfaType { .. } => ChallengeResponse::SelectMfaType {
                        answer: match answer.expose() {
                            "SMS" | "sms" => "SMS_MFA".to_owned(),
                            "TOTP" | "totp" => "SOFTWARE_TOKEN_MFA".to_owned(),
                            other => other.to_owned(),
                        },
                    },
                    NextStep::NewPasswordRequired { .. } => ChallengeResponse::NewPassword {
                        new_password: Password::from(answer),
                        attributes: Attributes::new(),
                    },
                    other => {
                        return Err(Error::UnsupportedOperation {
                            message: format!(
                                "answering {} is not supported by this client",
                                other.challenge().as_str()
                            ),
                        });
                    }
                };
                self.answer_challenge(pending, response, options.into_metadata())
                    .await
            })
            .await
    }

    /// The reference's name for answering a custom challenge: the same as
    /// [`confirm_sign_in_with`](Self::confirm_sign_in_with). Amplify:
    /// `Auth.sendCustomChallengeAnswer`.
    pub async fn send_custom_challenge_answer(
        &self,
        answer: impl Into<SecretString>,
        options: RequestOptions,
    ) -> Result<SignInResult, Error> {
        self.confirm_sign_in_with(answer, options).await
    }

    /// The step the pending sign-in waits for, if a sign-in is pending.
    pub fn pending_sign_in(&self) -> Option<NextStep> {
        self.inner.pending().map(|p| p.step.clone())
    }
}
