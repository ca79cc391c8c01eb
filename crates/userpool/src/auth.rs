//! [`Auth`]: the client, and every operation.

use std::fmt;
use std::sync::Arc;

use userpool_hub::{Hub, Listener, Subscription};
use userpool_srp::{PasswordClaimRequest, SrpClient, SrpError};
use userpool_storage::Storage;
use userpool_transport::{
    AuthAnswer, Challenge, ChallengeAnswer, ChallengeResponse, ClientMetadata, InitiateAuth,
    SignUpRequest, Transport,
};
use userpool_types::{
    AUTH_CHANNEL, AttributeName, AttributeUpdateResult, AttributeUpdateResults, Attributes,
    AuthEvent, AuthFlow, ChallengeName, ClientId, Code, CodeDeliveryDetails, Error, NextStep,
    Password, SecretString, Session, SignUpResult, User, UserPoolId, Username,
};

use crate::challenge::{self, Pending};
use crate::config::{AuthBuilder, Config};
use crate::inner::{Inner, parse_tokens};
use crate::retry::{Replay, with_retry};
use crate::{
    Clock, ConfirmSignUpOptions, RequestOptions, SignInOptions, SignOutOptions, SignUpOptions,
};

/// The outcome of a sign-in step: signed in, or what the user must answer next.
///
/// Answer a [`NextStep`] with [`Auth::confirm_sign_in`] (MFA codes, custom challenges,
/// the choice of an MFA method) or [`Auth::complete_new_password`]. Until then the sign-in
/// is *pending*: it is not a signed-in user, and [`Auth::current_session`] fails with
/// [`Error::SignInPending`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignInResult {
    /// The user is signed in; the session is stored.
    SignedIn,
    /// The sign-in waits for the answer to a challenge.
    NextStep(NextStep),
}

impl SignInResult {
    /// True when the user is signed in.
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::SignedIn)
    }

    /// What the user must answer next, when the sign-in is not complete.
    pub fn next_step(&self) -> Option<&NextStep> {
        match self {
            Self::NextStep(step) => Some(step),
            Self::SignedIn => None,
        }
    }
}

/// The client of one app client of one user pool: every operation of Amplify JS's `Auth`
/// on Cognito user pools.
///
/// Cheap to clone (the clones share one state, one session and one hub) and safe to use
/// from many tasks at once. Build one with [`Auth::builder`]. `Debug` shows the
/// configuration and who is signed in, never a secret or a token.
#[derive(Clone)]
pub struct Auth {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("config", &self.inner.config)
            .field("storage", &self.inner.storage)
            .field("signed_in", &self.inner.is_signed_in())
            .field("username", &self.inner.username())
            .field("pending_sign_in", &self.inner.pending())
            .finish_non_exhaustive()
    }
}

fn non_empty(field: &'static str, secret: &SecretString) -> Result<(), Error> {
    if secret.is_empty() {
        return Err(Error::InvalidInput {
            field,
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

fn srp_error(e: SrpError) -> Error {
    Error::Srp {
        reason: e.to_string(),
    }
}

fn no_pending(what: &str) -> Error {
    Error::InvalidInput {
        field: "sign-in",
        reason: format!("no sign-in waits for {what}; call sign_in first"),
    }
}

/// Drops the attributes only the pool sets (`sub`, `*_verified`), which Cognito refuses in
/// an update; answers what is left.
fn writable(attributes: Attributes) -> Attributes {
    attributes
        .into_iter()
        .filter(|(name, _)| {
            let keep = !name.is_server_managed();
            if !keep {
                tracing::debug!(attribute = %name, "not sent: set by the pool only");
            }
            keep
        })
        .collect()
}

impl Auth {
    /// Starts configuring a client.
    ///
    /// ```
    /// # fn main() -> Result<(), userpool::Error> {
    /// let auth = userpool::Auth::builder()
    ///     .user_pool_id("eu-west-1_AbCdEfGhI")
    ///     .client_id("7abc123clientid")
    ///     .build()?;
    /// assert_eq!(auth.region(), "eu-west-1");
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    pub(crate) fn from_parts(
        config: Config,
        transport: Arc<dyn Transport>,
        storage: Arc<dyn Storage>,
        hub: Hub<AuthEvent>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner::new(config, transport, storage, hub, clock)),
        }
    }

    // ------------------------------------------------------------ configuration

    /// The user pool id.
    pub fn user_pool_id(&self) -> &UserPoolId {
        &self.inner.config.user_pool_id
    }

    /// The app client id.
    pub fn client_id(&self) -> &ClientId {
        &self.inner.config.client_id
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.inner.config.region
    }

    /// The endpoint override, if any.
    pub fn endpoint(&self) -> Option<&str> {
        self.inner.config.endpoint.as_deref()
    }

    /// The default sign-in flow.
    pub fn auth_flow(&self) -> AuthFlow {
        self.inner.config.auth_flow
    }

    /// The token store.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    // ------------------------------------------------------------ events

    /// The hub the client emits its events on (channel [`AUTH_CHANNEL`], `"auth"`).
    pub fn hub(&self) -> &Hub<AuthEvent> {
        &self.inner.hub
    }

    /// Calls `f` with every event of the `auth` channel, until the returned [`Listener`]
    /// is dropped or removed (or detached: then for the life of the hub). `f` runs on its
    /// own worker: a slow or panicking listener never delays or breaks an operation.
    pub fn listen<F>(&self, f: F) -> Listener
    where
        F: Fn(&AuthEvent) + Send + Sync + 'static,
    {
        self.inner.hub.listen(AUTH_CHANNEL, f)
    }

    /// A stream of the events of the `auth` channel from now on.
    pub fn subscribe(&self) -> Subscription<AuthEvent> {
        self.inner.hub.subscribe(AUTH_CHANNEL)
    }

    // ------------------------------------------------------------ sign-up

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
                let request = SignUpRequest {
                    username: username.clone(),
                    password,
                    attributes,
                    validation_data,
                    client_metadata,
                };
                let result = with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "SignUp",
                    || self.inner.transport.sign_up(request.clone()),
                )
                .await?;
                Ok::<_, Error>((username, result))
            })
            .await;
        match result {
            Ok((username, result)) => {
                tracing::debug!(confirmed = result.user_confirmed, "signed up");
                self.inner.emit(AuthEvent::SignUp {
                    username,
                    result: result.clone(),
                });
                Ok(result)
            }
            Err(error) => {
                self.inner.emit(AuthEvent::SignUpFailure {
                    error: error.clone(),
                });
                Err(error)
            }
        }
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
                with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "ConfirmSignUp",
                    || {
                        self.inner.transport.confirm_sign_up(
                            username.clone(),
                            code.clone(),
                            force,
                            metadata.clone(),
                        )
                    },
                )
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
                with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "ResendConfirmationCode",
                    || {
                        self.inner
                            .transport
                            .resend_confirmation_code(username.clone(), metadata.clone())
                    },
                )
                .await
            })
            .await
    }

    // ------------------------------------------------------------ sign-in

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
        let retry = &self.inner.config.retry;
        let transport = &self.inner.transport;
        match flow {
            AuthFlow::UserSrp => {
                let srp = SrpClient::new().map_err(srp_error)?;
                let first = with_retry(retry, Replay::Safe, "InitiateAuth", || {
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
                    AuthAnswer::Challenge(c) if c.name == ChallengeName::PasswordVerifier => c,
                    other => return self.handle_answer("InitiateAuth", other, &username).await,
                };
                let answer =
                    self.password_verifier(&srp, &challenge, &password, &username, metadata)?;
                drop(srp);
                let next = with_retry(
                    retry,
                    Replay::OnlyThrottled,
                    "RespondToAuthChallenge",
                    || transport.respond_to_auth_challenge(answer.clone()),
                )
                .await?;
                self.handle_answer("RespondToAuthChallenge", next, &username)
                    .await
            }
            AuthFlow::UserPassword => {
                let answer = with_retry(retry, Replay::Safe, "InitiateAuth", || {
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
    ) -> Result<ChallengeAnswer, Error> {
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
            .map_err(srp_error)?;
        Ok(ChallengeAnswer {
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
        answer: AuthAnswer,
        typed: &Username,
    ) -> Result<SignInResult, Error> {
        match answer {
            AuthAnswer::Tokens(tokens) => {
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
            AuthAnswer::Challenge(challenge) => {
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
        let answer = ChallengeAnswer {
            session: pending.session.clone(),
            username: pending.username.clone(),
            response,
            client_metadata,
        };
        let result = with_retry(
            &self.inner.config.retry,
            Replay::OnlyThrottled,
            "RespondToAuthChallenge",
            || {
                self.inner
                    .transport
                    .respond_to_auth_challenge(answer.clone())
            },
        )
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

    // ------------------------------------------------------------ passwords

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
                with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "ChangePassword",
                    || {
                        self.inner.transport.change_password(
                            token.clone(),
                            old.clone(),
                            new.clone(),
                        )
                    },
                )
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
                let delivery = with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "ForgotPassword",
                    || {
                        self.inner
                            .transport
                            .forgot_password(username.clone(), metadata.clone())
                    },
                )
                .await?;
                Ok::<_, Error>((username, delivery))
            })
            .await;
        match result {
            Ok((username, delivery)) => {
                self.inner.emit(AuthEvent::ForgotPassword {
                    username,
                    delivery: delivery.clone(),
                });
                Ok(delivery)
            }
            Err(error) => {
                self.inner.emit(AuthEvent::ForgotPasswordFailure {
                    error: error.clone(),
                });
                Err(error)
            }
        }
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
                with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "ConfirmForgotPassword",
                    || {
                        self.inner.transport.confirm_forgot_password(
                            username.clone(),
                            code.clone(),
                            new_password.clone(),
                            metadata.clone(),
                        )
                    },
                )
                .await?;
                Ok::<_, Error>(username)
            })
            .await;
        match result {
            Ok(username) => {
                self.inner
                    .emit(AuthEvent::ForgotPasswordSubmit { username });
                Ok(())
            }
            Err(error) => {
                self.inner.emit(AuthEvent::ForgotPasswordSubmitFailure {
                    error: error.clone(),
                });
                Err(error)
            }
        }
    }

    // ------------------------------------------------------------ session and user

    /// The signed-in user's session. Amplify: `Auth.currentSession`.
    ///
    /// - While the session is valid (both tokens more than the refresh margin away from
    ///   expiry, with the clock drift), this answers from memory: no storage read, no
    ///   call, no copy of a token (the [`Arc`] is shared).
    /// - The first call after construction reads the stored session (so a new process
    ///   resumes the last user's session).
    /// - An expired session is refreshed (`InitiateAuth` with `REFRESH_TOKEN_AUTH`) once,
    ///   however many callers wait: they all get the same result. A rotated refresh token
    ///   is stored; otherwise the old one is kept.
    ///
    /// Events: `tokenRefresh`, or `tokenRefresh_failure` (and `signOut` when the server
    /// rejected the refresh token).
    ///
    /// # Errors
    ///
    /// - [`Error::NotSignedIn`]; [`Error::SignInPending`] while a sign-in waits for a
    ///   challenge answer.
    /// - [`Error::NotAuthorized`]: the server rejected the refresh token (expired,
    ///   revoked, user disabled). The session was removed: the user is signed out.
    /// - [`Error::Network`], [`Error::TooManyRequests`], [`Error::InternalError`] (after
    ///   retries), [`Error::MalformedToken`]: the refresh failed but the session is kept;
    ///   the user stays signed in and a later call tries again.
    /// - [`Error::Storage`]: the stored session could not be read (not for a corrupt
    ///   store, which is cleared and counts as signed out).
    pub async fn current_session(&self) -> Result<Arc<Session>, Error> {
        if let Some(session) = self.inner.cached_session(self.inner.now_secs()) {
            return Ok(session);
        }
        let slow = Arc::clone(&self.inner).session_slow();
        Box::pin(self.inner.deadline("current_session", slow)).await
    }

    /// The signed-in user: username, `sub`, attributes, MFA settings. Amplify:
    /// `Auth.currentAuthenticatedUser`.
    ///
    /// The user is cached (in memory and as `userData` in storage) after the first
    /// `GetUser`; concurrent callers share one `GetUser`. With `bypass_cache`, the user is
    /// fetched anew and the session refreshed, so that the ID token's claims are current
    /// too (as the reference does).
    ///
    /// # Errors
    ///
    /// Those of [`current_session`](Self::current_session), and of `GetUser`
    /// ([`Error::NotAuthorized`] for a revoked access token, …).
    #[tracing::instrument(
        name = "userpool.current_authenticated_user",
        skip_all,
        fields(bypass_cache)
    )]
    pub async fn current_authenticated_user(&self, bypass_cache: bool) -> Result<Arc<User>, Error> {
        self.inner
            .deadline("current_authenticated_user", self.inner.user(bypass_cache))
            .await
    }

    // ------------------------------------------------------------ attributes

    /// Updates the signed-in user's attributes (`UpdateUserAttributes`). Amplify:
    /// `Auth.updateUserAttributes`.
    ///
    /// `sub` and `*_verified` attributes are set by the pool only: they are dropped
    /// before sending (Cognito would refuse the whole update). If nothing is left, the
    /// answer is [`Error::InvalidInput`] and nothing is sent.
    ///
    /// The answer has one result per attribute sent: `is_updated: true`, or, for `email`
    /// and `phone_number` when the pool sent a verification code, `is_updated: false`
    /// with the code's delivery details (until verified, a pool that keeps the original
    /// value keeps it). Then the cached user is reloaded and the session refreshed.
    ///
    /// Events: `updateUserAttributes` with the same results, or
    /// `updateUserAttributes_failure`.
    pub async fn update_user_attributes(
        &self,
        attributes: Attributes,
    ) -> Result<AttributeUpdateResults, Error> {
        self.update_user_attributes_with(attributes, RequestOptions::default())
            .await
    }

    /// [`update_user_attributes`](Self::update_user_attributes) with trigger metadata.
    #[tracing::instrument(name = "userpool.update_user_attributes", skip_all, fields(attributes))]
    pub async fn update_user_attributes_with(
        &self,
        attributes: Attributes,
        options: RequestOptions,
    ) -> Result<AttributeUpdateResults, Error> {
        let result = self.inner.deadline("update_user_attributes", async {
            let attributes = writable(attributes);
            if attributes.is_empty() {
                return Err(Error::InvalidInput {
                    field: "attributes",
                    reason: "nothing to update: `sub` and `*_verified` are set by the pool and never sent".into(),
                });
            }
            let names: Vec<&str> = attributes.names().map(AttributeName::as_str).collect();
            tracing::Span::current().record("attributes", names.join(",").as_str());
            let session = self.current_session().await?;
            let token = session.access_token().raw().clone();
            let metadata = options.into_metadata();
            let deliveries = with_retry(
                &self.inner.config.retry,
                Replay::OnlyThrottled,
                "UpdateUserAttributes",
                || {
                    self.inner.transport.update_user_attributes(
                        token.clone(),
                        attributes.clone(),
                        metadata.clone(),
                    )
                },
            )
            .await?;
            let results: AttributeUpdateResults = attributes
                .names()
                .map(|name| {
                    let delivery = name
                        .needs_verification()
                        .then(|| {
                            deliveries
                                .iter()
                                .find(|d| d.attribute_name.as_deref() == Some(name.as_str()))
                        })
                        .flatten();
                    let result = AttributeUpdateResult {
                        is_updated: delivery.is_none(),
                        code_delivery: delivery.cloned(),
                    };
                    (name.clone(), result)
                })
                .collect();
            Ok(results)
        })
        .await;
        match result {
            Ok(results) => {
                self.inner.emit(AuthEvent::UpdateUserAttributes {
                    results: results.clone(),
                });
                self.inner.reload_user().await;
                Ok(results)
            }
            Err(error) => {
                self.inner.emit(AuthEvent::UpdateUserAttributesFailure {
                    error: error.clone(),
                });
                Err(error)
            }
        }
    }

    /// Deletes attributes of the signed-in user (`DeleteUserAttributes`), then reloads the
    /// cached user and refreshes the session. Amplify: `Auth.deleteUserAttributes`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for no names or an invalid name, [`Error::NotSignedIn`],
    /// [`Error::InvalidParameter`] (a required or unknown attribute), …
    #[tracing::instrument(name = "userpool.delete_user_attributes", skip_all)]
    pub async fn delete_user_attributes<I, S>(&self, names: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.inner
            .deadline("delete_user_attributes", async {
                let names = names
                    .into_iter()
                    .map(|n| AttributeName::new(n.as_ref()))
                    .collect::<Result<Vec<_>, _>>()?;
                if names.is_empty() {
                    return Err(Error::InvalidInput {
                        field: "attribute names",
                        reason: "no attribute to delete".into(),
                    });
                }
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                with_retry(
                    &self.inner.config.retry,
                    Replay::Safe,
                    "DeleteUserAttributes",
                    || {
                        self.inner
                            .transport
                            .delete_user_attributes(token.clone(), names.clone())
                    },
                )
                .await?;
                self.inner.reload_user().await;
                Ok(())
            })
            .await
    }

    /// Sends a code to verify an attribute of the signed-in user (`email`,
    /// `phone_number`) (`GetUserAttributeVerificationCode`) and says where it went (the
    /// reference drops these details). Amplify: `Auth.verifyCurrentUserAttribute`.
    pub async fn verify_current_user_attribute(
        &self,
        name: &str,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.verify_current_user_attribute_with(name, RequestOptions::default())
            .await
    }

    /// [`verify_current_user_attribute`](Self::verify_current_user_attribute) with
    /// trigger metadata.
    #[tracing::instrument(name = "userpool.verify_current_user_attribute", skip_all, fields(attribute = name))]
    pub async fn verify_current_user_attribute_with(
        &self,
        name: &str,
        options: RequestOptions,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.inner
            .deadline("verify_current_user_attribute", async {
                let name = AttributeName::new(name)?;
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                let metadata = options.into_metadata();
                with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "GetUserAttributeVerificationCode",
                    || {
                        self.inner.transport.get_user_attribute_verification_code(
                            token.clone(),
                            name.clone(),
                            metadata.clone(),
                        )
                    },
                )
                .await
            })
            .await
    }

    /// Verifies an attribute with the code sent to it (`VerifyUserAttribute`). The cached
    /// user is dropped (its `*_verified` flag changed) and fetched again on next use.
    /// Amplify: `Auth.verifyCurrentUserAttributeSubmit`.
    ///
    /// # Errors
    ///
    /// [`Error::CodeMismatch`], [`Error::ExpiredCode`], [`Error::NotSignedIn`], …
    #[tracing::instrument(name = "userpool.verify_current_user_attribute_submit", skip_all, fields(attribute = name))]
    pub async fn verify_current_user_attribute_submit(
        &self,
        name: &str,
        code: impl Into<Code>,
    ) -> Result<(), Error> {
        self.inner
            .deadline("verify_current_user_attribute_submit", async {
                let name = AttributeName::new(name)?;
                let code = code.into();
                non_empty("code", code.as_secret())?;
                let session = self.current_session().await?;
                let token = session.access_token().raw().clone();
                with_retry(
                    &self.inner.config.retry,
                    Replay::OnlyThrottled,
                    "VerifyUserAttribute",
                    || {
                        self.inner.transport.verify_user_attribute(
                            token.clone(),
                            name.clone(),
                            code.clone(),
                        )
                    },
                )
                .await?;
                self.inner.invalidate_user().await;
                Ok(())
            })
            .await
    }

    // ------------------------------------------------------------ sign-out

    /// Signs the user out of this client. Amplify: `Auth.signOut()`.
    pub async fn sign_out(&self) -> Result<(), Error> {
        self.sign_out_with(SignOutOptions::default()).await
    }

    /// Signs the user out. Amplify: `Auth.signOut({ global })`.
    ///
    /// - Local (the default): when the access token carries `origin_jti` (the app client
    ///   has token revocation), the refresh token is revoked (`RevokeToken`); a failure
    ///   to revoke is logged and does not stop the sign-out. The session is removed from
    ///   memory and storage (device keys stay).
    /// - Global: `GlobalSignOut` ends every session of the user on every device, then the
    ///   local session is removed. If `GlobalSignOut` fails with a retryable error
    ///   (network, throttling), the error is returned and the user stays signed in here,
    ///   so that the call can be repeated; any other refusal (the tokens are no longer
    ///   valid) still signs out locally.
    ///
    /// `Storage::sync` is awaited first. Event: `signOut` (also when nobody was signed
    /// in, as the reference does).
    ///
    /// # Errors
    ///
    /// See above for global sign-out; [`Error::Storage`] when the stored session could
    /// not be removed (it is gone from memory all the same).
    #[tracing::instrument(name = "userpool.sign_out", skip_all, fields(global = options.is_global()))]
    pub async fn sign_out_with(&self, options: SignOutOptions) -> Result<(), Error> {
        self.inner.deadline("sign_out", async {
        let global = options.is_global();
        if let Err(e) = self.inner.sync_storage().await {
            tracing::warn!(error = %e, "syncing the token store before sign-out failed");
        }
        if let Err(e) = self.inner.ensure_loaded().await {
            tracing::warn!(error = %e, "reading the stored session before sign-out failed");
        }
        let retry = &self.inner.config.retry;
        let transport = &self.inner.transport;
        if global {
            match self.current_session().await {
                Ok(session) => {
                    let token = session.access_token().raw().clone();
                    let signed_out = with_retry(retry, Replay::Safe, "GlobalSignOut", || {
                        transport.global_sign_out(token.clone())
                    })
                    .await;
                    match signed_out {
                        Ok(()) => {}
                        Err(e) if e.is_retryable() => return Err(e),
                        Err(e) => {
                            tracing::debug!(error = %e, "global sign-out refused; signing out locally")
                        }
                    }
                }
                Err(e) if e.is_retryable() => return Err(e),
                // The refresh token was rejected: the refresh already signed the user out
                // (and emitted `signOut`).
                Err(e) if e.is_not_authorized() => return Ok(()),
                Err(_) => {}
            }
        } else if let Some(session) = self.inner.any_session() {
            // Valid or expired: its refresh token may still be live.
            if session.access_token().claims().origin_jti().is_some()
                && let Some(refresh_token) = session.refresh_token()
            {
                let token = refresh_token.raw().clone();
                if let Err(e) = with_retry(retry, Replay::Safe, "RevokeToken", || {
                    transport.revoke_token(token.clone())
                })
                .await
                {
                    tracing::warn!(error = %e, "revoking the refresh token failed; signing out locally");
                }
            }
        }
        let cleared = self.inner.clear_local(None, None).await;
        tracing::debug!("signed out");
        self.inner.emit(AuthEvent::SignOut { global });
        cleared.map(|_| ())
        })
        .await
    }

    /// Deletes the signed-in user (`DeleteUser`) and signs out locally. Amplify:
    /// `Auth.deleteUser`.
    ///
    /// `Storage::sync` is awaited first. Events: `userDeleted`, then `signOut`.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`], [`Error::NotAuthorized`], [`Error::Network`] (the user may
    /// or may not be deleted: the call is not repeated, and the session is kept), …
    #[tracing::instrument(name = "userpool.delete_user", skip_all)]
    pub async fn delete_user(&self) -> Result<(), Error> {
        self.inner.deadline("delete_user", async {
        if let Err(e) = self.inner.sync_storage().await {
            tracing::warn!(error = %e, "syncing the token store before deleting the user failed");
        }
        let session = self.current_session().await?;
        let token = session.access_token().raw().clone();
        with_retry(
            &self.inner.config.retry,
            Replay::OnlyThrottled,
            "DeleteUser",
            || self.inner.transport.delete_user(token.clone()),
        )
        .await?;
        let cleared = self.inner.clear_local(None, None).await;
        self.inner.emit(AuthEvent::UserDeleted);
        self.inner.emit(AuthEvent::SignOut { global: false });
        cleared.map(|_| ())
        })
        .await
    }
}
