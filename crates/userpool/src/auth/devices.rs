//! Remembered devices: the device a sign-in registers is confirmed at once and kept in the
//! reference key layout (`deviceKey`, `deviceGroupKey`, `randomPasswordKey`), later
//! sign-ins name it and answer its challenges, and the user remembers, forgets and lists
//! devices. Amplify v6: `signIn`'s handling of `NewDeviceMetadata`, `rememberDevice`,
//! `forgetDevice`, `fetchDevices`.
//!
//! What the client does by itself, as Amplify v6 does:
//! - A sign-in whose tokens carry `NewDeviceMetadata` confirms that device
//!   (`ConfirmDevice` with a fresh random password and its verifier) before `signIn` is
//!   emitted, and stores the three keys under the signed-in user's name. A failure there
//!   is logged and the sign-in stays good, without a device.
//! - A sign-in of a user with a stored device sends `DEVICE_KEY` with every request of
//!   the sign-in: `InitiateAuth` (`USER_SRP_AUTH`, `USER_PASSWORD_AUTH`, `USER_AUTH`) and
//!   the answer to every challenge (`PASSWORD_VERIFIER`, the MFA codes, a new password, a
//!   custom answer, the first-factor choice). Cognito's `ChallengeResponses`
//!   documentation asks for the key "for device authentication" in every answer, and the
//!   older reference client (amazon-cognito-identity-js) sends it with its MFA answers;
//!   Amplify v6 names it in the `PASSWORD_VERIFIER` answer (and the refresh) only. An
//!   answer that names the device lets the pool link the session to it rather than
//!   register a new device. The client answers `DEVICE_SRP_AUTH` and
//!   `DEVICE_PASSWORD_VERIFIER` itself; the app never sees these steps.
//! - A refresh sends the device key (Cognito binds a session signed in from a tracked
//!   device to that device).
//! - The device keys survive a sign-out (they name the device, not the session).
//!
//! A device the server refuses: Amplify v6 clears the stored device and tries the step
//! once more without it when the answer is `ResourceNotFoundException` "Device does not
//! exist." (the device was forgotten, by this user elsewhere or by an admin). This client
//! does the same for that answer, and also when a device challenge itself is refused
//! (`NotAuthorizedException` on `DEVICE_SRP_AUTH` / `DEVICE_PASSWORD_VERIFIER`: the
//! device password no longer matches, so the stored device could never sign in again;
//! Amplify keeps it and fails every later sign-in). "Once more" here is the whole
//! password sign-in from `InitiateAuth` with a fresh SRP value, not the refused step: a
//! challenge session that the server refused is not assumed reusable. The new sign-in
//! registers and confirms a new device.

use std::cell::Cell;
use std::fmt;

use userpool_srp::{DevicePassword, DeviceRegistration, DeviceSrpSignIn};
use userpool_storage::Batch;
use userpool_transport::{ConfirmDeviceRequest, DeviceVerifierConfig};
use userpool_types::{Device, DeviceRememberedStatus, NewDeviceMetadata};

use super::*;
use crate::inner::storage_error;

/// `ListDevices` page size: the most Cognito allows.
const DEVICE_PAGE_SIZE: u32 = 60;

/// The most `ListDevices` pages [`Auth::fetch_devices`] follows (6,000 devices): a server
/// that keeps answering a next page must not keep the client busy forever.
const MAX_DEVICE_PAGES: usize = 100;

tokio::task_local! {
    /// Within one [`Auth::sign_in`] attempt: set when a device step was refused and the
    /// stored device was cleared, so that the sign-in is tried once more without it.
    static DEVICE_REFUSED: Cell<bool>;
}

/// Notes, for the sign-in attempt running in this task (if any), that its device was
/// refused.
fn note_device_refused() {
    // Outside a sign-in attempt (an MFA answer, say) there is nothing to retry.
    let _ = DEVICE_REFUSED.try_with(|refused| refused.set(true));
}

/// The device remembered for one user, as stored in the reference key layout.
pub(crate) struct StoredDevice {
    /// `deviceKey`.
    pub(crate) key: String,
    /// `deviceGroupKey`.
    pub(crate) group_key: String,
    /// `randomPasswordKey`: whoever holds it can sign in as this device. Wiped on drop.
    pub(crate) password: DevicePassword,
}

impl fmt::Debug for StoredDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredDevice")
            .field("key", &self.key)
            .field("group_key", &self.group_key)
            .field("password", &format_args!("[redacted]"))
            .finish()
    }
}

/// The name a confirmed device gets (`DeviceName`, shown in the user's device list).
/// Amplify sends the browser's user agent; a library has none, so this names the
/// library and the operating system.
fn device_name() -> String {
    format!("userpool ({})", std::env::consts::OS)
}

/// True when `error` says the server does not know the device (forgotten elsewhere, or
/// by an admin): Cognito's `ResourceNotFoundException: Device does not exist.`
fn device_unknown(error: &Error) -> bool {
    matches!(error, Error::ResourceNotFound { message } if message.to_ascii_lowercase().contains("device"))
}

fn no_device() -> Error {
    Error::InvalidInput {
        field: "device",
        reason: "no device is stored for the signed-in user (the pool tracks no devices, or \
                 the device was forgotten)"
            .into(),
    }
}

impl Inner {
    /// The device stored for `username`, when all three keys are there. A store that
    /// fails is logged and counts as no device: a sign-in works without one.
    pub(crate) async fn stored_device(&self, username: &Username) -> Option<StoredDevice> {
        let keys = self.keys.user(username.as_str()).device();
        let names: Vec<&str> = keys.iter().map(String::as_str).collect();
        let values = match self.storage.get_many(&names).await {
            Ok(values) => values,
            Err(e) => {
                tracing::debug!(error = %storage_error(e).chain(), "reading the stored device failed");
                return None;
            }
        };
        match <[Option<String>; 3]>::try_from(values) {
            Ok([Some(key), Some(password), Some(group_key)])
                if !key.is_empty() && !password.is_empty() && !group_key.is_empty() =>
            {
                Some(StoredDevice {
                    key,
                    group_key,
                    password: DevicePassword::new(password),
                })
            }
            Ok([None, None, None]) => None,
            _ => {
                tracing::debug!("the stored device is incomplete: ignored");
                None
            }
        }
    }

    /// The key of the device stored for `username`, for `DEVICE_KEY` in a sign-in (only a
    /// whole device: a key without its password could not answer the device challenges).
    /// The refresh sends the same whole device's key (`inner/refresh.rs`).
    pub(crate) async fn device_key_of(&self, username: &Username) -> Option<String> {
        self.stored_device(username).await.map(|device| device.key)
    }

    /// Stores `device` for `username` (one batch: the three keys change together).
    async fn store_device(&self, username: &Username, device: &StoredDevice) -> Result<(), Error> {
        let keys = self.keys.user(username.as_str());
        let batch = Batch::new()
            .set(keys.device_key(), &device.key)
            .set(keys.random_password_key(), device.password.as_str())
            .set(keys.device_group_key(), &device.group_key);
        self.storage
            .apply(&batch)
            .await
            .map(drop)
            .map_err(storage_error)
    }

    /// Removes the device stored for `username`, if it is still `device_key` (a device
    /// confirmed meanwhile by another sign-in is kept). Failures are logged.
    pub(crate) async fn clear_device(&self, username: &Username, device_key: &str) {
        let keys = self.keys.user(username.as_str());
        let batch = Batch::new()
            .expect(keys.device_key(), Some(device_key))
            .remove_all(keys.device());
        match self.storage.apply(&batch).await {
            Ok(true) => tracing::debug!(device_key, "the stored device was cleared"),
            Ok(false) => tracing::debug!("the stored device changed meanwhile: kept"),
            Err(e) => {
                tracing::warn!(error = %storage_error(e).chain(), "clearing the stored device failed")
            }
        }
    }
}

impl Auth {
    // ------------------------------------------------------------ the public operations

    /// The access token and the name of the signed-in user.
    async fn signed_in_user(&self) -> Result<(SecretString, Username), Error> {
        let session = self.inner.session().await?;
        let username = self.inner.username().ok_or(Error::NotSignedIn)?;
        Ok((session.access_token().raw().clone(), username))
    }

    /// Marks this device remembered (`UpdateDeviceStatus` `remembered`), so that the pool
    /// treats it as trusted (it may skip MFA on it, as the pool's `DeviceConfiguration`
    /// says). Amplify: `rememberDevice`.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`]; [`Error::InvalidInput`] when no device is stored for the
    /// user (the pool tracks no devices); [`Error::ResourceNotFound`] (the device was
    /// forgotten), …
    #[tracing::instrument(name = "userpool.remember_device", skip_all)]
    pub async fn remember_device(&self) -> Result<(), Error> {
        self.inner
            .deadline("remember_device", async {
                let (token, username) = self.signed_in_user().await?;
                let device = self
                    .inner
                    .stored_device(&username)
                    .await
                    .ok_or_else(no_device)?;
                self.retrying(Replay::Safe, "UpdateDeviceStatus", || {
                    self.inner.transport.update_device_status(
                        token.clone(),
                        device.key.clone(),
                        DeviceRememberedStatus::Remembered,
                    )
                })
                .await
            })
            .await
    }

    /// Forgets this device (`ForgetDevice`) and clears its stored keys: the next sign-in
    /// registers a new device. Amplify: `forgetDevice()`.
    ///
    /// The pool revokes what was signed in from the forgotten device (Cognito binds such
    /// sessions to it), so the current session may stop working too: sign in again.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`]; [`Error::InvalidInput`] when no device is stored for the
    /// user; [`Error::ResourceNotFound`] (already forgotten: the stored keys are cleared
    /// all the same), …
    #[tracing::instrument(name = "userpool.forget_device", skip_all)]
    pub async fn forget_device(&self) -> Result<(), Error> {
        self.inner
            .deadline("forget_device", async {
                let (token, username) = self.signed_in_user().await?;
                let device = self
                    .inner
                    .stored_device(&username)
                    .await
                    .ok_or_else(no_device)?;
                self.forget(token, &username, &device.key, true).await
            })
            .await
    }

    /// Forgets the device `device_key` of the signed-in user (one of
    /// [`fetch_devices`](Self::fetch_devices)); when it is this device, its stored keys
    /// are cleared as with [`forget_device`](Self::forget_device). Amplify:
    /// `forgetDevice({ device })`.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`]; [`Error::InvalidInput`] for an empty key;
    /// [`Error::ResourceNotFound`] (no such device), …
    #[tracing::instrument(name = "userpool.forget_device", skip_all)]
    pub async fn forget_device_by_key(&self, device_key: impl AsRef<str>) -> Result<(), Error> {
        let device_key = device_key.as_ref().to_owned();
        self.inner
            .deadline("forget_device", async {
                if device_key.trim().is_empty() {
                    return Err(Error::InvalidInput {
                        field: "device_key",
                        reason: "must not be empty".into(),
                    });
                }
                let (token, username) = self.signed_in_user().await?;
                let current = self.inner.device_key_of(&username).await;
                let is_current = current.as_deref() == Some(device_key.as_str());
                self.forget(token, &username, &device_key, is_current).await
            })
            .await
    }

    /// `ForgetDevice`; for this device, the stored keys go too (also when the server no
    /// longer knows it: then there is nothing left to sign in with).
    async fn forget(
        &self,
        token: SecretString,
        username: &Username,
        device_key: &str,
        is_current: bool,
    ) -> Result<(), Error> {
        // A replay after a lost answer would be refused as unknown: only throttling (the
        // call was not carried out) is retried.
        let result = self
            .retrying(Replay::OnlyThrottled, "ForgetDevice", || {
                self.inner
                    .transport
                    .forget_device(token.clone(), device_key.to_owned())
            })
            .await;
        let gone = match &result {
            Ok(()) => true,
            Err(error) => device_unknown(error),
        };
        if is_current && gone {
            self.inner.clear_device(username, device_key).await;
        }
        result
    }

    /// The signed-in user's remembered devices (`ListDevices`, every page). Amplify:
    /// `fetchDevices` (which reads the first 60 only).
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`]; [`Error::MalformedResponse`] when the server keeps
    /// answering a next page (more than 6,000 devices, or the same page token twice), …
    #[tracing::instrument(name = "userpool.fetch_devices", skip_all)]
    pub async fn fetch_devices(&self) -> Result<Vec<Device>, Error> {
        self.inner
            .deadline("fetch_devices", async {
                let (token, _) = self.signed_in_user().await?;
                let mut devices = Vec::new();
                let mut next: Option<String> = None;
                let mut seen = std::collections::HashSet::new();
                for _ in 0..MAX_DEVICE_PAGES {
                    let page = self
                        .retrying(Replay::Safe, "ListDevices", || {
                            self.inner.transport.list_devices(
                                token.clone(),
                                Some(DEVICE_PAGE_SIZE),
                                next.clone(),
                            )
                        })
                        .await?;
                    devices.extend(page.devices);
                    match page.pagination_token.filter(|t| !t.is_empty()) {
                        None => return Ok(devices),
                        Some(token) if !seen.insert(token.clone()) => {
                            return Err(Error::MalformedResponse {
                                operation: "ListDevices",
                                reason: "the same page token came twice".into(),
                            });
                        }
                        Some(token) => next = Some(token),
                    }
                }
                Err(Error::MalformedResponse {
                    operation: "ListDevices",
                    reason: format!("more than {MAX_DEVICE_PAGES} pages of devices"),
                })
            })
            .await
    }

    /// The key of the device stored for the signed-in user, if any (not a secret: it
    /// travels in the clear as `DEVICE_KEY`). Amplify keeps it internal; it is here so
    /// that an app can tell this device in [`fetch_devices`](Self::fetch_devices).
    pub async fn current_device_key(&self) -> Result<Option<String>, Error> {
        self.inner.ensure_loaded().await?;
        let username = self.inner.username().ok_or(Error::NotSignedIn)?;
        Ok(self.inner.device_key_of(&username).await)
    }

    // ------------------------------------------------------------ within a sign-in

    /// [`sign_in_inner`](Self::sign_in_inner), once more when the stored device was
    /// refused (and so cleared) during the attempt: see the module's comment.
    pub(super) async fn sign_in_forgetting_a_refused_device(
        &self,
        username: &str,
        password: Password,
        options: SignInOptions,
    ) -> Result<SignInResult, Error> {
        let (first, refused) = DEVICE_REFUSED
            .scope(Cell::new(false), async {
                let result = self
                    .sign_in_inner(username, password.clone(), options.clone())
                    .await;
                (result, DEVICE_REFUSED.with(Cell::get))
            })
            .await;
        match first {
            Err(error) if refused => {
                tracing::debug!(
                    error = %error.chain(),
                    "the pool refused the stored device: it was cleared, signing in again without it"
                );
                self.sign_in_inner(username, password, options).await
            }
            other => other,
        }
    }

    /// Names the device stored for the answering user in a challenge answer
    /// (`DEVICE_KEY`), whatever the challenge; an answer that names one already keeps it.
    pub(super) async fn with_device_key(&self, answer: ChallengeRequest) -> ChallengeRequest {
        if answer.device_key.is_some() {
            return answer;
        }
        let device_key = self.inner.device_key_of(&answer.username).await;
        answer.with_device_key(device_key)
    }

    /// After a request that named the device `device_key` stored for `username` (an
    /// `InitiateAuth` or a challenge answer): a refusal of that device
    /// (`ResourceNotFoundException: Device does not exist.`) clears the stored device, and
    /// a sign-in attempt in this task starts again without it.
    pub(super) async fn after_naming_the_device(
        &self,
        username: &Username,
        device_key: Option<&str>,
        result: Result<AuthOutcome, Error>,
    ) -> Result<AuthOutcome, Error> {
        if let Err(error) = &result
            && device_unknown(error)
            && let Some(device_key) = device_key
        {
            self.inner.clear_device(username, device_key).await;
            note_device_refused();
        }
        result
    }

    /// [`after_naming_the_device`](Self::after_naming_the_device) for a challenge answer.
    pub(super) async fn after_answer(
        &self,
        answer: &ChallengeRequest,
        result: Result<AuthOutcome, Error>,
    ) -> Result<AuthOutcome, Error> {
        self.after_naming_the_device(&answer.username, answer.device_key.as_deref(), result)
            .await
    }

    /// Answers `DEVICE_SRP_AUTH` and then `DEVICE_PASSWORD_VERIFIER` with the stored
    /// device, and hands back what follows (tokens, or a challenge for the user such as
    /// MFA). Any other answer is handed back as it is.
    pub(super) async fn through_device_challenges(
        &self,
        operation: &'static str,
        answer: AuthOutcome,
        typed: &Username,
    ) -> Result<AuthOutcome, Error> {
        let challenge = match answer {
            AuthOutcome::Challenge(c) if c.name == ChallengeName::DeviceSrpAuth => c,
            other => return Ok(other),
        };
        let username = challenge::challenge_username(&challenge, typed);
        let Some(device) = self.inner.stored_device(&username).await else {
            // No device was named (or another process cleared it since): this client
            // cannot prove a device it does not have, and nothing it cleared would make
            // a new attempt differ.
            return Err(Error::UnsupportedOperation {
                message: format!(
                    "the pool asked for a device's proof ({}) in answer to {operation}, but \
                     no device is stored for the user",
                    challenge.name.as_str()
                ),
            });
        };
        tracing::debug!(
            device_key = device.key.as_str(),
            "answering the device challenges"
        );
        let srp = DeviceSrpSignIn::new()
            .map_err(srp_error("the device's ephemeral value could not be drawn"))?;
        let start = ChallengeRequest::new(
            username.clone(),
            ChallengeResponse::DeviceSrpAuth {
                srp_a: srp.srp_a().to_owned(),
            },
        )
        .with_session(challenge.session.clone())
        .with_device_key(Some(device.key.clone()));
        let next = self.device_step(&username, &device, start).await?;
        let verifier = match next {
            AuthOutcome::Challenge(c) if c.name == ChallengeName::DevicePasswordVerifier => c,
            other => return Ok(other),
        };
        let timestamp = userpool_srp::timestamp(self.inner.clock.now());
        let parameter = |name: &str| {
            verifier
                .parameters
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let proof = srp
            .answer(
                &device.group_key,
                &device.key,
                &device.password,
                username.as_str(),
                &timestamp,
                parameter,
            )
            .map_err(|e| match e {
                SrpError::MissingParameter { field } => Error::MalformedResponse {
                    operation: "RespondToAuthChallenge",
                    reason: format!("the DEVICE_PASSWORD_VERIFIER challenge has no {field}"),
                },
                other => {
                    srp_error("the server's DEVICE_PASSWORD_VERIFIER challenge is invalid")(other)
                }
            })?;
        // The ephemeral private key is wiped as soon as the proof is computed.
        drop(srp);
        let answer_username = Username::new(proof.username.as_str()).unwrap_or(username.clone());
        let response = ChallengeResponse::DevicePasswordVerifier {
            secret_block: proof.secret_block,
            timestamp: proof.timestamp,
            signature: SecretString::new(proof.signature),
        };
        let answer = ChallengeRequest::new(answer_username, response)
            .with_session(verifier.session.clone())
            .with_device_key(Some(device.key.clone()));
        self.device_step(&username, &device, answer).await
    }

    /// One device challenge answer; a refusal clears the stored device.
    async fn device_step(
        &self,
        username: &Username,
        device: &StoredDevice,
        answer: ChallengeRequest,
    ) -> Result<AuthOutcome, Error> {
        let result = self
            .retrying(Replay::OnlyThrottled, "RespondToAuthChallenge", || {
                self.inner
                    .transport
                    .respond_to_auth_challenge(answer.clone())
            })
            .await;
        if let Err(error) = &result
            && (device_unknown(error) || error.is_not_authorized())
        {
            self.inner.clear_device(username, &device.key).await;
            note_device_refused();
        }
        result
    }

    /// After a sign-in whose tokens carry `NewDeviceMetadata`: confirms the device with a
    /// fresh random password and stores it for `username`. Never fails the sign-in (as
    /// Amplify): a failure is logged and the user is signed in without a device.
    pub(super) async fn confirm_new_device(
        &self,
        username: &Username,
        access_token: &SecretString,
        metadata: NewDeviceMetadata,
    ) {
        let NewDeviceMetadata {
            device_key,
            device_group_key,
            ..
        } = metadata;
        let registration = match DeviceRegistration::generate(&device_group_key, &device_key) {
            Ok(registration) => registration,
            Err(e) => {
                tracing::warn!(error = %e, "the device's random password could not be drawn: no device is remembered");
                return;
            }
        };
        let DeviceRegistration {
            random_password,
            verifier_config,
        } = registration;
        let request = ConfirmDeviceRequest::new(
            access_token.clone(),
            device_key.clone(),
            DeviceVerifierConfig::new(verifier_config.password_verifier, verifier_config.salt),
        )
        .with_device_name(Some(device_name()));
        let confirmed = self
            .retrying(Replay::OnlyThrottled, "ConfirmDevice", || {
                self.inner.transport.confirm_device(request.clone())
            })
            .await;
        match confirmed {
            Ok(user_confirmation_necessary) => {
                let device = StoredDevice {
                    key: device_key,
                    group_key: device_group_key,
                    password: random_password,
                };
                match self.inner.store_device(username, &device).await {
                    Ok(()) => tracing::debug!(
                        device_key = device.key.as_str(),
                        user_confirmation_necessary,
                        "the new device was confirmed and stored"
                    ),
                    Err(e) => tracing::warn!(
                        error = %e.chain(),
                        "storing the confirmed device failed: the next sign-in registers another"
                    ),
                }
            }
            Err(e) => tracing::warn!(
                error = %e.chain(),
                "confirming the new device failed: signed in without a remembered device"
            ),
        }
    }
}
