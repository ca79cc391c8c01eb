//! Choice-based sign-in (`USER_AUTH`) and the sign-in right after a confirmed sign-up.
//!
//! Amplify v6 is the reference: `signIn` with `authFlowType: 'USER_AUTH'` and an optional
//! `preferredChallenge`; `CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION` with the
//! `availableChallenges`, answered with a factor's name by `confirmSignIn`; the password
//! factors then ask for the password (`CONFIRM_SIGN_IN_WITH_PASSWORD`), the code factors
//! for the code (`CONFIRM_SIGN_IN_WITH_EMAIL_CODE` / `_SMS_CODE`). And `signUp`'s
//! `autoSignIn`: the sign-up's session goes to `ConfirmSignUp`, whose session signs the
//! user in with `USER_AUTH`.
//!
//! Passkeys (`WEB_AUTHN`) are not supported: choosing them is a typed error
//! ([`Error::UnsupportedOperation`]), never a step the caller cannot answer.

use std::sync::{Mutex, PoisonError};

use userpool_transport::{ConfirmSignUpRequest, FirstFactor};
use userpool_types::AuthFactor;

use super::*;

/// What [`Auth::confirm_sign_up`] did: the confirmation succeeded in every case, and the
/// variant says whether the user is now signed in too.
///
/// Amplify v6 answers `confirmSignUp` with the step `COMPLETE_AUTO_SIGN_IN` and leaves
/// the sign-in to a second call (`autoSignIn()`); here the confirmation makes that call
/// itself, because the session that signs in is short-lived (3 minutes by default) and
/// good for one use, so there is nothing useful to wait for. A sign-up without
/// [`SignUpOptions::auto_sign_in`] is [`Confirmed`](Self::Confirmed).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConfirmSignUpOutcome {
    /// Confirmed; no sign-in was asked for. Sign in with [`Auth::sign_in`].
    Confirmed,
    /// Confirmed, and the automatic sign-in answered: [`SignInResult::SignedIn`] (the
    /// session is stored; events `signIn`, then `autoSignIn`), or a step to answer with
    /// [`Auth::confirm_sign_in`].
    AutoSignIn(SignInResult),
    /// Confirmed, but the automatic sign-in failed (event `autoSignIn_failure`), for
    /// instance because the app client does not allow `USER_AUTH` (no session to sign in
    /// with) or the session expired. Sign in with [`Auth::sign_in`].
    AutoSignInFailed(Error),
}

impl ConfirmSignUpOutcome {
    /// True when the user is signed in.
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::AutoSignIn(SignInResult::SignedIn))
    }

    /// What the automatic sign-in waits for, when it stopped at a step.
    pub fn next_step(&self) -> Option<&NextStep> {
        match self {
            Self::AutoSignIn(result) => result.next_step(),
            _ => None,
        }
    }

    /// Why the automatic sign-in failed, when it did.
    pub fn auto_sign_in_error(&self) -> Option<&Error> {
        match self {
            Self::AutoSignInFailed(error) => Some(error),
            _ => None,
        }
    }
}

/// A sign-up that asked for the automatic sign-in, waiting for its confirmation.
struct AutoSignIn {
    username: Username,
    /// `SignUp`'s `Session`, for `ConfirmSignUp` (`None` when the pool gave none).
    sign_up_session: Option<SecretString>,
}

/// The one sign-up of this client waiting to sign in after its confirmation (Amplify too
/// keeps one). In memory only: the session is never stored or logged.
#[derive(Default)]
pub(crate) struct AutoSignInSlot(Mutex<Option<AutoSignIn>>);

impl AutoSignInSlot {
    // A panic while the lock was held cannot leave the slot half-changed (one
    // assignment), so a poisoned lock is recovered.
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<AutoSignIn>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `username`'s sign-up for the automatic sign-in, replacing any other.
    pub(crate) fn arm(&self, username: Username, sign_up_session: Option<SecretString>) {
        *self.lock() = Some(AutoSignIn {
            username,
            sign_up_session,
        });
    }

    /// Forgets the kept sign-up.
    pub(crate) fn disarm(&self) {
        *self.lock() = None;
    }

    /// `Some(session)` when `username`'s sign-up waits for the automatic sign-in.
    pub(crate) fn kept_for(&self, username: &Username) -> Option<Option<SecretString>> {
        self.lock()
            .as_ref()
            .filter(|kept| kept.username == *username)
            .map(|kept| kept.sign_up_session.clone())
    }

    /// Forgets `username`'s kept sign-up (and only theirs: another sign-up may have
    /// replaced it meanwhile).
    pub(crate) fn disarm_for(&self, username: &Username) {
        let mut slot = self.lock();
        if slot.as_ref().is_some_and(|kept| kept.username == *username) {
            *slot = None;
        }
    }
}

impl fmt::Debug for AutoSignInSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Who waits, never the session.
        let waiting = self.lock().as_ref().map(|kept| kept.username.clone());
        f.debug_struct("AutoSignInSlot")
            .field("waiting", &waiting)
            .finish()
    }
}

/// The error for passkeys, which this client cannot use.
pub(crate) fn web_authn_unsupported() -> Error {
    Error::UnsupportedOperation {
        message: "WEB_AUTHN (passkeys) is not supported by this client: choose another first \
                  factor"
            .into(),
    }
}

/// Reads `SELECT_CHALLENGE` into [`NextStep::SelectFirstFactor`]: the first factors of
/// `AvailableChallenges` this version knows, once each, in the server's order.
///
/// # Errors
///
/// [`Error::MalformedResponse`] when nothing is offered (Amplify fails the same way);
/// [`Error::UnsupportedOperation`] when only challenges this version does not know are.
pub(crate) fn first_factor_selection(
    operation: &'static str,
    challenge: &Challenge,
) -> Result<NextStep, Error> {
    if challenge.available_challenges.is_empty() {
        return Err(Error::MalformedResponse {
            operation,
            reason: "the SELECT_CHALLENGE challenge offers no first factor (AvailableChallenges)"
                .into(),
        });
    }
    let mut available_challenges: Vec<ChallengeName> = Vec::new();
    for offered in &challenge.available_challenges {
        if AuthFactor::of_challenge(offered).is_some() && !available_challenges.contains(offered) {
            available_challenges.push(offered.clone());
        }
    }
    if available_challenges.is_empty() {
        let names: Vec<&str> = challenge
            .available_challenges
            .iter()
            .map(ChallengeName::as_str)
            .collect();
        return Err(Error::UnsupportedOperation {
            message: format!(
                "the pool offers only first factors this client does not know: {}",
                names.join(", ")
            ),
        });
    }
    Ok(NextStep::SelectFirstFactor {
        available_challenges,
    })
}

impl Auth {
    /// Choice-based sign-in (`USER_AUTH`) without a password up front: a one-time code by
    /// email or SMS as `options` prefers ([`SignInOptions::preferred_challenge`]), or,
    /// without a preference (or with one the user cannot take), the choice of what the
    /// user can take ([`NextStep::SelectFirstFactor`]), answered with
    /// [`confirm_sign_in`](Self::confirm_sign_in). Amplify v6: `signIn({ username,
    /// options: { authFlowType: 'USER_AUTH', preferredChallenge } })` without a
    /// password.
    ///
    /// To sign in with the password as the first factor, give it:
    /// [`sign_in_with`](Self::sign_in_with) with
    /// [`SignInOptions::auth_flow`]`(`[`AuthFlow::UserAuth`]`)` (the password is then the
    /// preferred factor unless another is preferred).
    ///
    /// Events: `signIn` once signed in, or `signIn_failure`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the preference is the password (nothing is sent);
    /// [`Error::UnsupportedOperation`] for passkeys ([`AuthFactor::WebAuthn`], nothing is
    /// sent); the server's: [`Error::InvalidParameter`] (the app client does not allow
    /// `USER_AUTH`), [`Error::UserNotFound`], [`Error::NotAuthorized`], …
    #[tracing::instrument(name = "userpool.sign_in_without_password", skip_all, fields(username = %username.as_ref()))]
    pub async fn sign_in_without_password(
        &self,
        username: impl AsRef<str>,
        options: SignInOptions,
    ) -> Result<SignInResult, Error> {
        let result = self
            .inner
            .deadline("sign_in", async {
                let username = Username::new(username.as_ref())?;
                let preferred = options.preferred();
                let (_, metadata) = options.into_parts();
                if preferred == Some(AuthFactor::Password) {
                    return Err(Error::InvalidInput {
                        field: "password",
                        reason: "the password factor needs the password: use sign_in_with".into(),
                    });
                }
                self.inner.ensure_loaded().await?;
                self.inner.set_pending(None);
                self.user_auth_sign_in(username, None, preferred, metadata)
                    .await
            })
            .await;
        self.sign_in_failed_on(&result);
        result
    }

    /// `InitiateAuth USER_AUTH` with the preferred factor and what it needs. A given
    /// password with no preference prefers the password: the caller chose it by giving
    /// it. The caller has loaded the session and cleared any pending sign-in.
    pub(super) async fn user_auth_sign_in(
        &self,
        username: Username,
        password: Option<Password>,
        preferred: Option<AuthFactor>,
        metadata: ClientMetadata,
    ) -> Result<SignInResult, Error> {
        let preferred = match (preferred, &password) {
            (None, Some(_)) => Some(AuthFactor::Password),
            (preferred, _) => preferred,
        };
        let transport = &self.inner.transport;
        // Under the typed name, as the other flows: with the password factors the pool
        // asks for the device's proof after the password; the code factors name the
        // device again in their answer.
        let device_key = self.inner.device_key_of(&username).await;
        let initiate = |preferred: Option<FirstFactor>| InitiateAuth::UserAuth {
            username: username.clone(),
            preferred,
            session: None,
            device_key: device_key.clone(),
        };
        // A refusal of the named device clears it (and a password sign-in starts again
        // without it).
        let checked = |answer: Result<AuthOutcome, Error>| {
            self.after_naming_the_device(&username, device_key.as_deref(), answer)
        };
        match preferred {
            Some(AuthFactor::Password) => {
                let password = password.ok_or_else(|| Error::InvalidInput {
                    field: "password",
                    reason: "the password factor needs the password".into(),
                })?;
                if self.sends_password() {
                    let request = initiate(Some(FirstFactor::Password {
                        password: password.clone(),
                    }));
                    let answer = self
                        .retrying(Replay::Safe, "InitiateAuth", || {
                            transport.initiate_auth(request.clone(), metadata.clone())
                        })
                        .await;
                    let answer = checked(answer).await?;
                    return self.handle_answer("InitiateAuth", answer, &username).await;
                }
                let srp = SrpSignIn::new()
                    .map_err(srp_error("the client's ephemeral value could not be drawn"))?;
                let request = initiate(Some(FirstFactor::PasswordSrp {
                    srp_a: srp.srp_a().to_owned(),
                }));
                let answer = self
                    .retrying(Replay::Safe, "InitiateAuth", || {
                        transport.initiate_auth(request.clone(), metadata.clone())
                    })
                    .await;
                let answer = checked(answer).await?;
                self.finish_srp("InitiateAuth", answer, &srp, &password, &username, metadata)
                    .await
            }
            Some(AuthFactor::WebAuthn) => Err(web_authn_unsupported()),
            Some(factor @ (AuthFactor::EmailOtp | AuthFactor::SmsOtp)) => {
                let chosen = if factor == AuthFactor::EmailOtp {
                    FirstFactor::EmailOtp
                } else {
                    FirstFactor::SmsOtp
                };
                let request = initiate(Some(chosen));
                // A replay would send the user a second code for a session they never
                // see: only throttling (nothing sent) is retried.
                let answer = self
                    .retrying(Replay::OnlyThrottled, "InitiateAuth", || {
                        transport.initiate_auth(request.clone(), metadata.clone())
                    })
                    .await;
                let answer = checked(answer).await?;
                self.handle_answer("InitiateAuth", answer, &username).await
            }
            Some(other) => Err(Error::UnsupportedOperation {
                message: format!("the first factor {other} is not supported by this client"),
            }),
            None => {
                let request = initiate(None);
                let answer = self
                    .retrying(Replay::Safe, "InitiateAuth", || {
                        transport.initiate_auth(request.clone(), metadata.clone())
                    })
                    .await;
                let answer = checked(answer).await?;
                self.handle_answer("InitiateAuth", answer, &username).await
            }
        }
    }

    /// True when the password factor sends the password (`PASSWORD`) rather than proving
    /// it by SRP: the client's flow says how passwords are given.
    fn sends_password(&self) -> bool {
        self.inner.config.auth_flow == AuthFlow::UserPassword
    }

    /// After `PASSWORD_SRP` was chosen: answers `PASSWORD_VERIFIER` with the proof, and
    /// handles whatever else came as any answer.
    async fn finish_srp(
        &self,
        operation: &'static str,
        answer: AuthOutcome,
        srp: &SrpSignIn,
        password: &Password,
        typed: &Username,
        metadata: ClientMetadata,
    ) -> Result<SignInResult, Error> {
        let challenge = match answer {
            AuthOutcome::Challenge(c) if c.name == ChallengeName::PasswordVerifier => c,
            other => return self.handle_answer(operation, other, typed).await,
        };
        let proof = self.password_verifier(srp, &challenge, password, typed, metadata)?;
        // The device stored under the answering user's name, as USER_SRP_AUTH does.
        let proof = self.with_device_key(proof).await;
        let next = self
            .retrying(Replay::OnlyThrottled, "RespondToAuthChallenge", || {
                self.inner
                    .transport
                    .respond_to_auth_challenge(proof.clone())
            })
            .await;
        let next = self.after_answer(&proof, next).await?;
        self.handle_answer("RespondToAuthChallenge", next, typed)
            .await
    }

    /// The first factor `answer` names, if it is one of `offered`.
    pub(super) fn chosen_first_factor(
        answer: &SecretString,
        offered: &[ChallengeName],
    ) -> Result<ChallengeName, Error> {
        let name = answer.expose().trim().to_ascii_uppercase();
        let chosen = ChallengeName::from_name(&name);
        if AuthFactor::of_challenge(&chosen).is_some() && offered.contains(&chosen) {
            return Ok(chosen);
        }
        let names: Vec<&str> = offered.iter().map(ChallengeName::as_str).collect();
        // The answer is not repeated: it may be a password typed in the wrong place.
        Err(Error::InvalidInput {
            field: "answer",
            reason: format!("choose one of {}", names.join(", ")),
        })
    }

    /// The answer to [`NextStep::SelectFirstFactor`]: a code factor is sent
    /// (`SELECT_CHALLENGE`), the code is asked next; a password factor asks for the
    /// password first ([`NextStep::Password`]), nothing is sent yet.
    pub(super) async fn select_first_factor(
        &self,
        pending: Arc<Pending>,
        chosen: ChallengeName,
        metadata: ClientMetadata,
    ) -> Result<SignInResult, Error> {
        let answer = match chosen {
            ChallengeName::Password | ChallengeName::PasswordSrp => {
                let step = NextStep::Password { challenge: chosen };
                let next = Pending::new(
                    step.clone(),
                    pending.session.clone(),
                    pending.username.clone(),
                )
                .answering(ChallengeName::SelectChallenge);
                self.inner.replace_pending(&pending, Some(Arc::new(next)));
                return Ok(SignInResult::NextStep(step));
            }
            ChallengeName::EmailOtp => FirstFactor::EmailOtp,
            ChallengeName::SmsOtp => FirstFactor::SmsOtp,
            // The sign-in stays pending: another factor can still be chosen.
            ChallengeName::WebAuthn => return Err(web_authn_unsupported()),
            other => {
                return Err(Error::UnsupportedOperation {
                    message: format!(
                        "the first factor {} is not supported by this client",
                        other.as_str()
                    ),
                });
            }
        };
        self.answer_challenge(
            pending,
            ChallengeResponse::SelectChallenge { answer },
            metadata,
        )
        .await
    }

    /// The answer to [`NextStep::Password`]: `SELECT_CHALLENGE` with the password, or
    /// with `SRP_A` and then the `PASSWORD_VERIFIER` proof.
    pub(super) async fn answer_with_password(
        &self,
        pending: Arc<Pending>,
        challenge: &ChallengeName,
        password: Password,
        metadata: ClientMetadata,
    ) -> Result<SignInResult, Error> {
        if *challenge != ChallengeName::PasswordSrp {
            return self
                .answer_challenge(
                    pending,
                    ChallengeResponse::SelectChallenge {
                        answer: FirstFactor::Password { password },
                    },
                    metadata,
                )
                .await;
        }
        let srp = SrpSignIn::new()
            .map_err(srp_error("the client's ephemeral value could not be drawn"))?;
        let request = self
            .with_device_key(
                ChallengeRequest::new(
                    pending.username.clone(),
                    ChallengeResponse::SelectChallenge {
                        answer: FirstFactor::PasswordSrp {
                            srp_a: srp.srp_a().to_owned(),
                        },
                    },
                )
                .with_session(pending.session.clone())
                .with_client_metadata(metadata.clone()),
            )
            .await;
        let answer = self
            .retrying(Replay::OnlyThrottled, "RespondToAuthChallenge", || {
                self.inner
                    .transport
                    .respond_to_auth_challenge(request.clone())
            })
            .await;
        let answer = self.after_answer(&request, answer).await;
        match answer {
            Ok(answer) => {
                // The selection's session is spent: what follows has its own.
                self.inner.drop_pending(&pending);
                self.finish_srp(
                    "RespondToAuthChallenge",
                    answer,
                    &srp,
                    &password,
                    &pending.username,
                    metadata,
                )
                .await
            }
            Err(error) => {
                if error.is_not_authorized() {
                    self.inner.drop_pending(&pending);
                }
                Err(error)
            }
        }
    }

    /// `ConfirmSignUp` with the session kept from `username`'s sign-up: the answer's
    /// session, to sign in with. Emits `confirmSignUp`.
    pub(super) async fn confirm_for_auto_sign_in(
        &self,
        request: ConfirmSignUpRequest,
    ) -> Result<Option<SecretString>, Error> {
        let username = request.username.clone();
        let answer = self
            .retrying(Replay::OnlyThrottled, "ConfirmSignUp", || {
                self.inner.transport.confirm_sign_up_with(request.clone())
            })
            .await?;
        // Kept until the confirmation succeeds, so that a wrong code can be corrected.
        self.inner.auto_sign_in.disarm_for(&username);
        self.inner.emit(AuthEvent::ConfirmSignUp { username });
        Ok(answer.session)
    }

    /// The sign-in right after the confirmation: `InitiateAuth USER_AUTH` with the
    /// session `ConfirmSignUp` answered. Emits `autoSignIn` once signed in, or
    /// `autoSignIn_failure`.
    pub(super) async fn auto_sign_in(
        &self,
        username: Username,
        session: Option<SecretString>,
        metadata: ClientMetadata,
    ) -> ConfirmSignUpOutcome {
        let result = self
            .inner
            .deadline("auto_sign_in", async {
                let session = session.ok_or_else(|| Error::UnsupportedOperation {
                    message: "ConfirmSignUp answered no session to sign in with (the app \
                              client must allow USER_AUTH)"
                        .into(),
                })?;
                self.inner.ensure_loaded().await?;
                self.inner.set_pending(None);
                // No device is named: the user was created by this sign-up, so a device
                // stored under the name belongs to an earlier account of that name, which
                // the pool would refuse, and this one-use session cannot be tried again
                // without it. Tokens with a new device register this account's own.
                let request = InitiateAuth::UserAuth {
                    username: username.clone(),
                    preferred: None,
                    session: Some(session),
                    device_key: None,
                };
                // The session is good for one use, whatever the outcome: only throttling
                // (nothing done) is retried.
                let answer = self
                    .retrying(Replay::OnlyThrottled, "InitiateAuth", || {
                        self.inner
                            .transport
                            .initiate_auth(request.clone(), metadata.clone())
                    })
                    .await?;
                self.handle_answer("InitiateAuth", answer, &username).await
            })
            .await;
        match result {
            Ok(result) => {
                if result.is_signed_in() {
                    let username = self.inner.username().unwrap_or(username);
                    self.inner.emit(AuthEvent::AutoSignIn { username });
                }
                ConfirmSignUpOutcome::AutoSignIn(result)
            }
            Err(error) => {
                tracing::debug!(error = %error.chain(), "the sign-in after the sign-up failed");
                self.inner.emit(AuthEvent::AutoSignInFailure {
                    error: error.clone(),
                });
                ConfirmSignUpOutcome::AutoSignInFailed(error)
            }
        }
    }
}
