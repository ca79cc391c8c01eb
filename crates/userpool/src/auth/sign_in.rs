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
    /// metadata, the preferred first factor).
    ///
    /// With [`AuthFlow::UserAuth`] (choice-based sign-in, which
    /// [`SignInOptions::preferred_challenge`] sets too), the password is the preferred
    /// first factor unless another is preferred (the password is then not used); see
    /// [`sign_in_without_password`](Self::sign_in_without_password) for the sign-in
    /// that starts without one.
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
                self.sign_in_forgetting_a_refused_device(
                    username.as_ref(),
                    password.into(),
                    options,
                ),
            )
            .await;
        self.sign_in_failed_on(&result);
        result
    }

    /// Reports a failed sign-in start (`signIn_failure`), whichever entry point it came
    /// through.
    pub(super) fn sign_in_failed_on<T>(&self, result: &Result<T, Error>) {
        if let Err(error) = result {
            tracing::debug!(error = %error.chain(), "sign-in failed");
            self.inner.emit(AuthEvent::SignInFailure {
                error: error.clone(),
            });
        }
    }

    pub(super) async fn sign_in_inner(
        &self,
        username: &str,
        password: Password,
        options: SignInOptions,
    ) -> Result<SignInResult, Error> {
        let username = Username::new(username)?;
        non_empty("password", password.as_secret())?;
        let preferred = options.preferred();
        let (flow, metadata) = options.into_parts();
        let flow = flow.unwrap_or(self.inner.config.auth_flow);
        tracing::Span::current().record("flow", flow.as_str());
        self.inner.ensure_loaded().await?;
        self.inner.set_pending(None);
        let transport = &self.inner.transport;
        match flow {
            AuthFlow::UserSrp => {
                let srp = SrpSignIn::new()
                    .map_err(srp_error("the client's ephemeral value could not be drawn"))?;
                // A device stored under the typed name (the reference's lookup here); the
                // PASSWORD_VERIFIER answer looks up USER_ID_FOR_SRP's.
                let device_key = self.inner.device_key_of(&username).await;
                let first = self
                    .retrying(Replay::Safe, "InitiateAuth", || {
                        transport.initiate_auth(
                            InitiateAuth::UserSrp {
                                username: username.clone(),
                                srp_a: srp.srp_a().to_owned(),
                                device_key: device_key.clone(),
                            },
                            metadata.clone(),
                        )
                    })
                    .await;
                let first = self
                    .after_naming_the_device(&username, device_key.as_deref(), first)
                    .await?;
                let challenge = match first {
                    AuthOutcome::Challenge(c) if c.name == ChallengeName::PasswordVerifier => c,
                    other => return self.handle_answer("InitiateAuth", other, &username).await,
                };
                let answer =
                    self.password_verifier(&srp, &challenge, &password, &username, metadata)?;
                // The ephemeral private key is wiped as soon as the proof is computed.
                drop(srp);
                let answer = self.with_device_key(answer).await;
                let next = self
                    .retrying(Replay::OnlyThrottled, "RespondToAuthChallenge", || {
                        transport.respond_to_auth_challenge(answer.clone())
                    })
                    .await;
                let next = self.after_answer(&answer, next).await?;
                self.handle_answer("RespondToAuthChallenge", next, &username)
                    .await
            }
            AuthFlow::UserPassword => {
                // Under the typed name, as for USER_SRP_AUTH: a named device is asked for
                // its proof after the password, instead of a new device being registered.
                let device_key = self.inner.device_key_of(&username).await;
                let answer = self
                    .retrying(Replay::Safe, "InitiateAuth", || {
                        transport.initiate_auth(
                            InitiateAuth::UserPassword {
                                username: username.clone(),
                                password: password.clone(),
                                device_key: device_key.clone(),
                            },
                            metadata.clone(),
                        )
                    })
                    .await;
                let answer = self
                    .after_naming_the_device(&username, device_key.as_deref(), answer)
                    .await?;
                self.handle_answer("InitiateAuth", answer, &username).await
            }
            AuthFlow::UserAuth => {
                self.user_auth_sign_in(username, Some(password), preferred, metadata)
                    .await
            }
            other => Err(Error::Config {
                reason: format!("the sign-in flow {} is not supported", other.as_str()),
            }),
        }
    }

    /// Computes the answer to `PASSWORD_VERIFIER` with the workspace's one SRP sign-in
    /// sequence ([`SrpSignIn`]).
    pub(super) fn password_verifier(
        &self,
        srp: &SrpSignIn,
        challenge: &Challenge,
        password: &Password,
        typed: &Username,
        client_metadata: ClientMetadata,
    ) -> Result<ChallengeRequest, Error> {
        let timestamp = userpool_srp::timestamp(self.inner.clock.now());
        // An empty parameter is as useless as a missing one; both are the server's fault.
        let parameter = |name: &str| {
            challenge
                .parameters
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let answer = srp
            .answer(
                self.inner.config.user_pool_id.as_str(),
                password.expose(),
                &timestamp,
                parameter,
            )
            .map_err(|e| match e {
                SrpError::MissingParameter { field } => Error::MalformedResponse {
                    operation: "InitiateAuth",
                    reason: format!("the PASSWORD_VERIFIER challenge has no {field}"),
                },
                other => srp_error("the server's PASSWORD_VERIFIER challenge is invalid")(other),
            })?;
        // Moved, not copied: the signature's only copy ends up in a wiped `SecretString`.
        // The answer's `USERNAME` is not used: the request's username is chosen the way
        // every other challenge answer chooses it.
        let PasswordVerifierAnswer {
            secret_block,
            timestamp,
            signature,
            ..
        } = answer;
        let response = ChallengeResponse::PasswordVerifier {
            secret_block,
            timestamp,
            signature: SecretString::new(signature),
        };
        Ok(
            ChallengeRequest::new(challenge::challenge_username(challenge, typed), response)
                .with_session(challenge.session.clone())
                .with_client_metadata(client_metadata),
        )
    }

    /// Tokens: store the session and emit `signIn`. A challenge: keep it pending and
    /// return the next step.
    pub(super) async fn handle_answer(
        &self,
        operation: &'static str,
        answer: AuthOutcome,
        typed: &Username,
    ) -> Result<SignInResult, Error> {
        // The device challenges are the client's to answer, never the user's.
        let answer = self
            .through_device_challenges(operation, answer, typed)
            .await?;
        match answer {
            AuthOutcome::Tokens(tokens) => {
                let new_device = tokens.new_device_metadata.clone();
                let (id, access, refresh) = parse_tokens(tokens)?;
                let username = access
                    .username()
                    .or_else(|| id.username())
                    .and_then(|u| Username::new(u).ok())
                    .unwrap_or_else(|| typed.clone());
                let session = Session::arrived(id, access, refresh, self.inner.now_secs());
                let stored = self.inner.store_signed_in(&username, session).await?;
                // Before `signIn`, as Amplify: the app sees the device once signed in.
                if let Some(metadata) = new_device {
                    self.confirm_new_device(&username, stored.access_token().raw(), metadata)
                        .await;
                }
                tracing::debug!(username = %username, "signed in");
                self.inner.emit(AuthEvent::SignIn { username });
                Ok(SignInResult::SignedIn)
            }
            AuthOutcome::Challenge(challenge) => {
                let username = challenge::challenge_username(&challenge, typed);
                let asked = challenge.name.clone();
                tracing::debug!(
                    challenge = challenge.name.as_str(),
                    "sign-in continues with a challenge"
                );
                let (step, session) = match challenge::read_step(operation, &challenge)? {
                    Step::Ask(step) => (step, challenge.session),
                    Step::SetUpTotp => {
                        let (setup, session) = self
                            .associate_for_sign_in(operation, challenge.session, &username)
                            .await?;
                        (NextStep::TotpSetup { setup }, session)
                    }
                };
                self.inner.set_pending(Some(Arc::new(
                    Pending::new(step.clone(), session, username).answering(asked),
                )));
                Ok(SignInResult::NextStep(step))
            }
            _ => Err(Error::MalformedResponse {
                operation,
                reason: "neither tokens nor a challenge".into(),
            }),
        }
    }

    /// `AssociateSoftwareToken` with the session of an `MFA_SETUP` challenge: the secret
    /// for the app, and the session to verify its code with (Amplify v6 does the same
    /// before `CONTINUE_SIGN_IN_WITH_TOTP_SETUP`).
    async fn associate_for_sign_in(
        &self,
        operation: &'static str,
        session: Option<SecretString>,
        username: &Username,
    ) -> Result<(TotpSetupDetails, Option<SecretString>), Error> {
        let session = session.ok_or_else(|| Error::MalformedResponse {
            operation,
            reason: "the MFA_SETUP challenge has no Session".into(),
        })?;
        // The session is spent by the call: only throttling (nothing done) is retried.
        let associated = self
            .retrying(Replay::OnlyThrottled, "AssociateSoftwareToken", || {
                self.inner
                    .transport
                    .associate_software_token(SoftwareTokenAuth::Session(session.clone()))
            })
            .await?;
        let next_session = associated.session.or(Some(session));
        Ok((
            TotpSetupDetails::new(associated.secret_code, username.clone()),
            next_session,
        ))
    }

    /// The MFA method `answer` names, if it is one of `offered` (any, when the server
    /// offered none by name).
    fn chosen_mfa_type(answer: &SecretString, offered: &[MfaType]) -> Result<MfaType, Error> {
        MfaType::parse(answer.expose())
            .filter(|t| offered.is_empty() || offered.contains(t))
            .ok_or_else(|| {
                let names: Vec<&str> = if offered.is_empty() {
                    MfaType::ALL.iter().map(|t| t.as_str()).collect()
                } else {
                    offered.iter().map(|t| t.as_str()).collect()
                };
                // The answer itself is not repeated: it may be a code typed in the wrong
                // place.
                Error::InvalidInput {
                    field: "answer",
                    reason: format!("choose one of {}", names.join(", ")),
                }
            })
    }

    /// `MFA_SETUP` with a choice: TOTP calls `AssociateSoftwareToken` and asks for a code
    /// of the app; email asks for the address. Nothing is answered to Cognito yet.
    async fn choose_mfa_setup(
        &self,
        pending: Arc<Pending>,
        chosen: MfaType,
    ) -> Result<SignInResult, Error> {
        let (step, session) = match chosen {
            MfaType::Totp => {
                let associated = self
                    .associate_for_sign_in(
                        "RespondToAuthChallenge",
                        pending.session.clone(),
                        &pending.username,
                    )
                    .await;
                match associated {
                    Ok((setup, session)) => (NextStep::TotpSetup { setup }, session),
                    Err(error) => {
                        if error.is_not_authorized() {
                            self.inner.drop_pending(&pending);
                        }
                        return Err(error);
                    }
                }
            }
            MfaType::Email => (NextStep::EmailSetup, pending.session.clone()),
            other => {
                return Err(Error::InvalidInput {
                    field: "answer",
                    reason: format!("{other} cannot be set up during a sign-in"),
                });
            }
        };
        let next = Arc::new(Pending::new(
            step.clone(),
            session,
            pending.username.clone(),
        ));
        self.inner.replace_pending(&pending, Some(next));
        Ok(SignInResult::NextStep(step))
    }

    /// `MFA_SETUP` of an authenticator app: `VerifySoftwareToken` with the session and the
    /// code, then `RespondToAuthChallenge` with the session it answered. A wrong code
    /// leaves the step pending with its session, as Cognito allows a few more tries.
    async fn complete_totp_setup(
        &self,
        pending: Arc<Pending>,
        code: Code,
        friendly_device_name: Option<String>,
        client_metadata: ClientMetadata,
    ) -> Result<SignInResult, Error> {
        let pending = if pending.totp_verified {
            pending
        } else {
            let session = pending
                .session
                .clone()
                .ok_or_else(|| Error::MalformedResponse {
                    operation: "AssociateSoftwareToken",
                    reason: "no session to verify the code with".into(),
                })?;
            let verified = self
                .retrying(Replay::OnlyThrottled, "VerifySoftwareToken", || {
                    self.inner.transport.verify_software_token(
                        SoftwareTokenAuth::Session(session.clone()),
                        code.clone(),
                        friendly_device_name.clone(),
                    )
                })
                .await;
            let next_session = match verified {
                Ok(next_session) => next_session.or(Some(session)),
                Err(error) => {
                    if error.is_not_authorized() {
                        self.inner.drop_pending(&pending);
                    }
                    return Err(error);
                }
            };
            let verified = Arc::new(Pending {
                totp_verified: true,
                ..Pending::new(pending.step.clone(), next_session, pending.username.clone())
            });
            self.inner
                .replace_pending(&pending, Some(Arc::clone(&verified)));
            verified
        };
        self.answer_challenge(
            pending,
            ChallengeResponse::MfaSetup { email: None },
            client_metadata,
        )
        .await
    }

    /// Sends the answer to the pending challenge, naming the stored device, and handles
    /// what comes back.
    pub(super) async fn answer_challenge(
        &self,
        pending: Arc<Pending>,
        response: ChallengeResponse,
        client_metadata: ClientMetadata,
    ) -> Result<SignInResult, Error> {
        // The device is named in every answer, not only the password's: an MFA answer
        // that names it lets the pool link the session to it rather than register a new
        // device for it.
        let answer = self
            .with_device_key(
                ChallengeRequest::new(pending.username.clone(), response)
                    .with_session(pending.session.clone())
                    .with_client_metadata(client_metadata),
            )
            .await;
        let result = self
            .retrying(Replay::OnlyThrottled, "RespondToAuthChallenge", || {
                self.inner
                    .transport
                    .respond_to_auth_challenge(answer.clone())
            })
            .await;
        let result = self.after_answer(&answer, result).await;
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
    /// | pending step | `answer` | Cognito calls |
    /// |---|---|---|
    /// | [`NextStep::SmsCode`] | the SMS code | RespondToAuthChallenge (`SMS_MFA_CODE`; `SMS_OTP_CODE` for the first factor of a choice-based sign-in) |
    /// | [`NextStep::TotpCode`] | the code of the authenticator app | RespondToAuthChallenge (`SOFTWARE_TOKEN_MFA_CODE`) |
    /// | [`NextStep::EmailCode`] | the emailed code | RespondToAuthChallenge (`EMAIL_OTP_CODE`) |
    /// | [`NextStep::SelectMfaType`] | `SMS`, `TOTP` or `EMAIL` (any case; or `SMS_MFA`, …) | RespondToAuthChallenge (`ANSWER`) |
    /// | [`NextStep::MfaSetupSelection`] | `TOTP` or `EMAIL` | AssociateSoftwareToken for TOTP; none for email |
    /// | [`NextStep::TotpSetup`] | a code of the newly set-up app | VerifySoftwareToken, RespondToAuthChallenge (`MFA_SETUP`) |
    /// | [`NextStep::EmailSetup`] | the email address for codes | RespondToAuthChallenge (`MFA_SETUP`, `EMAIL`) |
    /// | [`NextStep::CustomChallenge`] | the answer to the custom challenge | RespondToAuthChallenge (`ANSWER`) |
    /// | [`NextStep::NewPasswordRequired`] | the new password (no attributes; see [`complete_new_password`](Self::complete_new_password)) | RespondToAuthChallenge |
    /// | [`NextStep::SelectFirstFactor`] | `PASSWORD`, `PASSWORD_SRP`, `EMAIL_OTP` or `SMS_OTP` (any case), one of those offered | RespondToAuthChallenge (`SELECT_CHALLENGE`) for a code; none for the password factors, which ask for the password next |
    /// | [`NextStep::Password`] | the password | RespondToAuthChallenge (`SELECT_CHALLENGE` with `PASSWORD`, or with `SRP_A` then `PASSWORD_VERIFIER`) |
    ///
    /// Event: `signIn` once signed in.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when no sign-in is pending, the answer is empty, or it
    /// names no offered MFA method (nothing is sent); [`Error::CodeMismatch`] (and
    /// [`Error::EnableSoftwareTokenMfa`] while setting up TOTP): the sign-in stays
    /// pending with the same session, so the code can be entered again;
    /// [`Error::ExpiredCode`]; [`Error::NotAuthorized`] (the challenge expired or too
    /// many attempts: the sign-in is over), …
    pub async fn confirm_sign_in(
        &self,
        answer: impl Into<SecretString>,
    ) -> Result<SignInResult, Error> {
        self.confirm_sign_in_with(answer, RequestOptions::default())
            .await
    }

    /// [`confirm_sign_in`](Self::confirm_sign_in) with trigger metadata and, for a TOTP
    /// setup, the name of the app ([`ConfirmSignInOptions`]; a [`RequestOptions`] works
    /// too).
    #[tracing::instrument(name = "userpool.confirm_sign_in", skip_all, fields(challenge))]
    pub async fn confirm_sign_in_with(
        &self,
        answer: impl Into<SecretString>,
        options: impl Into<ConfirmSignInOptions>,
    ) -> Result<SignInResult, Error> {
        let (metadata, friendly_device_name) = options.into().into_parts();
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
                    // The first-factor code of USER_AUTH has its own answer (SMS_OTP_CODE).
                    NextStep::SmsCode { .. } if pending.challenge == ChallengeName::SmsOtp => {
                        ChallengeResponse::SmsOtp {
                            code: Code::from(answer),
                        }
                    }
                    NextStep::SmsCode { .. } => ChallengeResponse::SmsMfa {
                        code: Code::from(answer),
                    },
                    NextStep::TotpCode => ChallengeResponse::SoftwareTokenMfa {
                        code: Code::from(answer),
                    },
                    NextStep::EmailCode { .. } => ChallengeResponse::EmailOtp {
                        code: Code::from(answer),
                    },
                    NextStep::CustomChallenge { .. } => ChallengeResponse::Custom { answer },
                    NextStep::SelectMfaType { options } => ChallengeResponse::SelectMfaType {
                        answer: Self::chosen_mfa_type(&answer, options)?
                            .cognito_name()
                            .to_owned(),
                    },
                    NextStep::MfaSetupSelection { options } => {
                        let chosen = Self::chosen_mfa_type(&answer, options)?;
                        return self.choose_mfa_setup(pending, chosen).await;
                    }
                    NextStep::TotpSetup { .. } => {
                        return self
                            .complete_totp_setup(
                                pending,
                                Code::from(answer),
                                friendly_device_name,
                                metadata,
                            )
                            .await;
                    }
                    NextStep::EmailSetup => {
                        let email = answer.expose().trim();
                        // What Amplify v6 checks too: an answer without `@` is not an
                        // address (most likely a code typed too early).
                        if !email.contains('@') {
                            return Err(Error::InvalidInput {
                                field: "answer",
                                reason: "the email address to send MFA codes to".into(),
                            });
                        }
                        ChallengeResponse::MfaSetup {
                            email: Some(email.to_owned()),
                        }
                    }
                    NextStep::SelectFirstFactor {
                        available_challenges,
                    } => {
                        let chosen = Self::chosen_first_factor(&answer, available_challenges)?;
                        return self.select_first_factor(pending, chosen, metadata).await;
                    }
                    NextStep::Password { challenge } => {
                        let challenge = challenge.clone();
                        return self
                            .answer_with_password(
                                pending,
                                &challenge,
                                Password::from(answer),
                                metadata,
                            )
                            .await;
                    }
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
                self.answer_challenge(pending, response, metadata).await
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
