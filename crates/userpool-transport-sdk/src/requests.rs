//! The [`Transport`] calls: each operation's request, its SECRET_HASH, and the answer in
//! userpool's vocabulary.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
    CodeDeliveryDetailsType, DeviceRememberedStatusType, DeviceSecretVerifierConfigType,
    DeviceType, EmailMfaSettingsType, SmsMfaSettingsType, SoftwareTokenMfaSettingsType,
    VerifySoftwareTokenResponseType,
};
use userpool_transport::{
    AssociatedSoftwareToken, AuthOutcome, AuthTokens, Challenge, ChallengeRequest,
    ChallengeResponse, ClientMetadata, ConfirmDeviceRequest, ConfirmSignUpRequest,
    ConfirmSignUpResult, DevicePage, FirstFactor, InitiateAuth, RefreshRequest, SignUpRequest,
    SoftwareTokenAuth, Transport,
};
use userpool_types::{
    AttributeName, Attributes, AuthFactor, ChallengeName, ClientId, Code, CodeDeliveryDetails,
    DeliveryMedium, Device, DeviceRememberedStatus, Error, MfaPreference, MfaPreferenceUpdate,
    MfaSettings, NewDeviceMetadata, Password, SecretString, SignUpResult, User, UserAuthFactors,
    Username,
};

use crate::SdkTransport;
use crate::errors::{malformed, map_sdk_error};

/// A request of a newer vocabulary than this transport knows.
fn unsupported(operation: &'static str, request: &impl std::fmt::Debug) -> Error {
    // `Debug` of the vocabulary redacts every secret.
    Error::UnsupportedOperation {
        message: format!("{operation}: this transport cannot send {request:?}"),
    }
}

fn metadata(metadata: ClientMetadata) -> Option<HashMap<String, String>> {
    (!metadata.is_empty()).then(|| metadata.into_iter().collect())
}

fn attribute_list(attributes: &Attributes) -> Result<Vec<AttributeType>, Error> {
    attributes
        .iter()
        .map(|(name, value)| {
            AttributeType::builder()
                .name(name.as_str())
                .value(value)
                .build()
                .map_err(|e| Error::InvalidInput {
                    field: "attributes",
                    reason: e.to_string(),
                })
        })
        .collect()
}

fn delivery(details: &CodeDeliveryDetailsType) -> CodeDeliveryDetails {
    let mut delivery = CodeDeliveryDetails::new();
    delivery.destination = details.destination().map(str::to_owned);
    delivery.medium = details
        .delivery_medium()
        .map(|m| DeliveryMedium::from_name(m.as_str()));
    delivery.attribute_name = details.attribute_name().map(str::to_owned);
    delivery
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn tokens(operation: &'static str, result: &AuthenticationResultType) -> Result<AuthTokens, Error> {
    let access = non_empty(result.access_token())
        .ok_or_else(|| malformed(operation, "AuthenticationResult without AccessToken"))?;
    let id = non_empty(result.id_token())
        .ok_or_else(|| malformed(operation, "AuthenticationResult without IdToken"))?;
    let mut tokens = AuthTokens::new(SecretString::new(id), SecretString::new(access));
    tokens.refresh_token = non_empty(result.refresh_token()).map(SecretString::new);
    tokens.expires_in = (result.expires_in() > 0).then(|| i64::from(result.expires_in()));
    // A device is usable only with both keys; half a registration is left out rather
    // than failing a sign-in that did succeed.
    tokens.new_device_metadata = result.new_device_metadata().and_then(|device| {
        Some(NewDeviceMetadata::new(
            non_empty(device.device_key())?,
            non_empty(device.device_group_key())?,
        ))
    });
    Ok(tokens)
}

/// Cognito's `DeviceType` as a [`Device`]: a device without a key cannot be named again,
/// so it is an unreadable answer.
fn device(operation: &'static str, device: &DeviceType) -> Result<Device, Error> {
    let key = non_empty(device.device_key())
        .ok_or_else(|| malformed(operation, "a device without DeviceKey"))?;
    let attributes = device
        .device_attributes()
        .iter()
        .map(|a| {
            (
                a.name().to_owned(),
                a.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Ok(Device::from_attributes(key, attributes).with_times(
        device.device_create_date().map(|t| t.secs()),
        device.device_last_modified_date().map(|t| t.secs()),
        device.device_last_authenticated_date().map(|t| t.secs()),
    ))
}

/// `PREFERRED_CHALLENGE` (or `ANSWER`) and what the factor needs (`PASSWORD`, `SRP_A`).
fn first_factor_parameters(
    operation: &'static str,
    parameters: &mut HashMap<String, String>,
    name_key: &str,
    factor: &FirstFactor,
) -> Result<(), Error> {
    match factor {
        FirstFactor::Password { password } => {
            parameters.insert("PASSWORD".to_owned(), password.expose().to_owned());
        }
        FirstFactor::PasswordSrp { srp_a } => {
            parameters.insert("SRP_A".to_owned(), srp_a.clone());
        }
        FirstFactor::EmailOtp | FirstFactor::SmsOtp | FirstFactor::WebAuthn => {}
        other => return Err(unsupported(operation, other)),
    }
    parameters.insert(name_key.to_owned(), factor.challenge().as_str().to_owned());
    Ok(())
}

fn auth_answer(
    operation: &'static str,
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    parameters: Option<&HashMap<String, String>>,
    available_challenges: &[ChallengeNameType],
) -> Result<AuthOutcome, Error> {
    if let Some(result) = result {
        return tokens(operation, result).map(AuthOutcome::Tokens);
    }
    let Some(name) = challenge else {
        return Err(malformed(
            operation,
            "neither AuthenticationResult nor ChallengeName",
        ));
    };
    Ok(AuthOutcome::Challenge(
        Challenge::new(ChallengeName::from_name(name.as_str()))
            .with_session(non_empty(session).map(SecretString::new))
            .with_parameters(
                parameters
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            )
            .with_available_challenges(
                available_challenges
                    .iter()
                    .map(|c| ChallengeName::from_name(c.as_str()))
                    .collect(),
            ),
    ))
}

/// The access token or the session of a software-token call, as the SDK's two setters
/// take them.
fn software_token_auth(auth: &SoftwareTokenAuth) -> (Option<String>, Option<String>) {
    match auth {
        SoftwareTokenAuth::AccessToken(token) => (Some(token.expose().to_owned()), None),
        SoftwareTokenAuth::Session(session) => (None, Some(session.expose().to_owned())),
        // A kind of authorisation of a later vocabulary: sent as neither, so that
        // Cognito refuses the call instead of this transport guessing.
        _ => (None, None),
    }
}

/// Cognito's `Enabled` and `PreferredMfa` for one method. The SDK's settings types hold
/// `PreferredMfa` as a plain `bool`, so it is always sent: `Enabled` and `Disabled` go
/// out as `PreferredMfa: false`. (The `userpool` facade turns `Enabled` into `Preferred`
/// or `NotPreferred` from the user's current settings, so that it never clears a
/// preference by accident.)
fn mfa_flags(preference: MfaPreference) -> (Option<bool>, Option<bool>) {
    (Some(preference.enabled()), preference.preferred_mfa())
}

/// Adds `DEVICE_KEY` when a device is named. An empty key names no device (Cognito would
/// refuse it as a malformed parameter), so it is left out like a missing one.
fn insert_device_key(parameters: &mut HashMap<String, String>, device_key: Option<&str>) {
    if let Some(key) = non_empty(device_key) {
        parameters.insert("DEVICE_KEY".to_owned(), key.to_owned());
    }
}

/// Adds `SECRET_HASH` when the app client has a secret.
fn with_secret_hash(
    mut parameters: HashMap<String, String>,
    secret_hash: Option<String>,
) -> HashMap<String, String> {
    if let Some(hash) = secret_hash {
        parameters.insert("SECRET_HASH".into(), hash);
    }
    parameters
}

#[async_trait]
impl Transport for SdkTransport {
    fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    fn has_client_secret(&self) -> bool {
        self.secret.is_some()
    }

    async fn sign_up(&self, request: SignUpRequest) -> Result<SignUpResult, Error> {
        const OP: &str = "SignUp";
        self.call(OP, async {
            let username = request.username.as_str();
            let validation_data = (!request.validation_data.is_empty())
                .then(|| attribute_list(&request.validation_data))
                .transpose()?;
            let out = self
                .client
                .sign_up()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username))
                .username(username)
                .password(request.password.expose())
                .set_user_attributes(Some(attribute_list(&request.attributes)?))
                .set_validation_data(validation_data)
                .set_client_metadata(metadata(request.client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            if out.user_sub().is_empty() {
                return Err(malformed(OP, "no UserSub"));
            }
            let mut result = SignUpResult::new(out.user_sub(), out.user_confirmed())
                .with_session(non_empty(out.session()).map(SecretString::new));
            result.code_delivery = out.code_delivery_details().map(delivery);
            Ok(result)
        })
        .await
    }

    async fn confirm_sign_up(
        &self,
        username: Username,
        code: Code,
        force_alias_creation: bool,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        // One request builder for both forms: without a session, the same JSON.
        let request = ConfirmSignUpRequest::new(username, code)
            .with_force_alias_creation(force_alias_creation)
            .with_client_metadata(client_metadata);
        self.confirm_sign_up_with(request).await.map(drop)
    }

    async fn resend_confirmation_code(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        const OP: &str = "ResendConfirmationCode";
        self.call(OP, async {
            let out = self
                .client
                .resend_confirmation_code()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username.as_str()))
                .username(username.as_str())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out.code_delivery_details().map(delivery))
        })
        .await
    }

    async fn initiate_auth(
        &self,
        request: InitiateAuth,
        client_metadata: ClientMetadata,
    ) -> Result<AuthOutcome, Error> {
        const OP: &str = "InitiateAuth";
        self.call(OP, async {
            let mut parameters = HashMap::new();
            let mut session = None;
            let (flow, hash) = match &request {
                InitiateAuth::UserSrp {
                    username,
                    srp_a,
                    device_key,
                } => {
                    parameters.insert("USERNAME".to_owned(), username.as_str().to_owned());
                    parameters.insert("SRP_A".to_owned(), srp_a.clone());
                    insert_device_key(&mut parameters, device_key.as_deref());
                    (
                        AuthFlowType::UserSrpAuth,
                        self.secret_hash(username.as_str()),
                    )
                }
                InitiateAuth::UserPassword {
                    username,
                    password,
                    device_key,
                } => {
                    parameters.insert("USERNAME".to_owned(), username.as_str().to_owned());
                    parameters.insert("PASSWORD".to_owned(), password.expose().to_owned());
                    insert_device_key(&mut parameters, device_key.as_deref());
                    (
                        AuthFlowType::UserPasswordAuth,
                        self.secret_hash(username.as_str()),
                    )
                }
                InitiateAuth::UserAuth {
                    username,
                    preferred,
                    session: sign_up_session,
                    device_key,
                } => {
                    parameters.insert("USERNAME".to_owned(), username.as_str().to_owned());
                    if let Some(factor) = preferred {
                        first_factor_parameters(
                            OP,
                            &mut parameters,
                            "PREFERRED_CHALLENGE",
                            factor,
                        )?;
                    }
                    insert_device_key(&mut parameters, device_key.as_deref());
                    session = sign_up_session.as_ref().map(|s| s.expose().to_owned());
                    (AuthFlowType::UserAuth, self.secret_hash(username.as_str()))
                }
                InitiateAuth::RefreshToken {
                    refresh_token,
                    username,
                    device_key,
                } => {
                    parameters.insert(
                        "REFRESH_TOKEN".to_owned(),
                        refresh_token.expose().to_owned(),
                    );
                    insert_device_key(&mut parameters, device_key.as_deref());
                    let hash = match (&self.secret, username) {
                        (None, _) => None,
                        (Some(_), Some(username)) => self.secret_hash(username.as_str()),
                        (Some(_), None) => {
                            return Err(Error::InvalidInput {
                                field: "username",
                                reason: "the app client has a secret: a refresh needs the \
                                         username (or sub) to compute SECRET_HASH"
                                    .into(),
                            });
                        }
                    };
                    (AuthFlowType::RefreshTokenAuth, hash)
                }
                other => return Err(unsupported("InitiateAuth", other)),
            };
            let out = self
                .client
                .initiate_auth()
                .client_id(self.client_id.as_str())
                .auth_flow(flow)
                .set_auth_parameters(Some(with_secret_hash(parameters, hash)))
                .set_session(session)
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            auth_answer(
                OP,
                out.authentication_result(),
                out.challenge_name(),
                out.session(),
                out.challenge_parameters(),
                out.available_challenges(),
            )
        })
        .await
    }

    async fn respond_to_auth_challenge(
        &self,
        answer: ChallengeRequest,
    ) -> Result<AuthOutcome, Error> {
        const OP: &str = "RespondToAuthChallenge";
        self.call(OP, async {
            let challenge = ChallengeNameType::from(answer.response.challenge().as_str());
            let username = answer.username.as_str();
            let device_key = non_empty(answer.device_key.as_deref());
            // The device challenges prove a device: without its key there is nothing to
            // send (Cognito would answer a bare InvalidParameterException).
            if device_key.is_none()
                && matches!(
                    answer.response,
                    ChallengeResponse::DeviceSrpAuth { .. }
                        | ChallengeResponse::DevicePasswordVerifier { .. }
                )
            {
                return Err(Error::InvalidInput {
                    field: "device_key",
                    reason: format!(
                        "the answer to {} needs the device's key",
                        answer.response.challenge().as_str()
                    ),
                });
            }
            let mut responses = HashMap::new();
            responses.insert("USERNAME".to_owned(), username.to_owned());
            // Every answer names the device the sign-in comes from, whatever the challenge.
            insert_device_key(&mut responses, device_key);
            match &answer.response {
                ChallengeResponse::PasswordVerifier {
                    secret_block,
                    timestamp,
                    signature,
                } => {
                    responses.insert(
                        "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                        secret_block.clone(),
                    );
                    responses.insert("TIMESTAMP".to_owned(), timestamp.clone());
                    responses.insert(
                        "PASSWORD_CLAIM_SIGNATURE".to_owned(),
                        signature.expose().to_owned(),
                    );
                }
                ChallengeResponse::NewPassword {
                    new_password,
                    attributes,
                } => {
                    responses.insert("NEW_PASSWORD".to_owned(), new_password.expose().to_owned());
                    for (name, value) in attributes.iter() {
                        responses.insert(format!("userAttributes.{name}"), value.to_owned());
                    }
                }
                ChallengeResponse::SmsMfa { code } => {
                    responses.insert("SMS_MFA_CODE".to_owned(), code.expose().to_owned());
                }
                ChallengeResponse::SoftwareTokenMfa { code } => {
                    responses.insert(
                        "SOFTWARE_TOKEN_MFA_CODE".to_owned(),
                        code.expose().to_owned(),
                    );
                }
                ChallengeResponse::EmailOtp { code } => {
                    responses.insert("EMAIL_OTP_CODE".to_owned(), code.expose().to_owned());
                }
                ChallengeResponse::SmsOtp { code } => {
                    responses.insert("SMS_OTP_CODE".to_owned(), code.expose().to_owned());
                }
                ChallengeResponse::SelectChallenge { answer } => {
                    first_factor_parameters(OP, &mut responses, "ANSWER", answer)?;
                }
                ChallengeResponse::DeviceSrpAuth { srp_a } => {
                    responses.insert("SRP_A".to_owned(), srp_a.clone());
                }
                ChallengeResponse::DevicePasswordVerifier {
                    secret_block,
                    timestamp,
                    signature,
                } => {
                    responses.insert(
                        "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                        secret_block.clone(),
                    );
                    responses.insert("TIMESTAMP".to_owned(), timestamp.clone());
                    responses.insert(
                        "PASSWORD_CLAIM_SIGNATURE".to_owned(),
                        signature.expose().to_owned(),
                    );
                }
                ChallengeResponse::SelectMfaType { answer } => {
                    responses.insert("ANSWER".to_owned(), answer.clone());
                }
                ChallengeResponse::MfaSetup { email } => {
                    // An authenticator app needs nothing but the session VerifySoftwareToken
                    // answered; email codes need the address.
                    if let Some(email) = email {
                        responses.insert("EMAIL".to_owned(), email.clone());
                    }
                }
                ChallengeResponse::Custom { answer } => {
                    responses.insert("ANSWER".to_owned(), answer.expose().to_owned());
                }
                other => return Err(unsupported("RespondToAuthChallenge", other)),
            }
            let out = self
                .client
                .respond_to_auth_challenge()
                .client_id(self.client_id.as_str())
                .challenge_name(challenge)
                .set_session(answer.session.as_ref().map(|s| s.expose().to_owned()))
                .set_challenge_responses(Some(with_secret_hash(
                    responses,
                    self.secret_hash(username),
                )))
                .set_client_metadata(metadata(answer.client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            auth_answer(
                OP,
                out.authentication_result(),
                out.challenge_name(),
                out.session(),
                out.challenge_parameters(),
                out.available_challenges(),
            )
        })
        .await
    }

    async fn change_password(
        &self,
        access_token: SecretString,
        previous: Password,
        proposed: Password,
    ) -> Result<(), Error> {
        const OP: &str = "ChangePassword";
        self.call(OP, async {
            self.client
                .change_password()
                .access_token(access_token.expose())
                .previous_password(previous.expose())
                .proposed_password(proposed.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn forgot_password(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        const OP: &str = "ForgotPassword";
        self.call(OP, async {
            let out = self
                .client
                .forgot_password()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username.as_str()))
                .username(username.as_str())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out.code_delivery_details().map(delivery))
        })
        .await
    }

    async fn confirm_forgot_password(
        &self,
        username: Username,
        code: Code,
        new_password: Password,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        const OP: &str = "ConfirmForgotPassword";
        self.call(OP, async {
            self.client
                .confirm_forgot_password()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username.as_str()))
                .username(username.as_str())
                .confirmation_code(code.expose())
                .password(new_password.expose())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn get_user(&self, access_token: SecretString) -> Result<User, Error> {
        const OP: &str = "GetUser";
        self.call(OP, async {
            let out = self
                .client
                .get_user()
                .access_token(access_token.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            let username = Username::new(out.username())
                .map_err(|e| malformed(OP, format!("Username: {e}")))?;
            let attributes = out
                .user_attributes()
                .iter()
                .map(|a| {
                    let name = AttributeName::new(a.name())
                        .map_err(|e| malformed(OP, format!("UserAttributes: {e}")))?;
                    Ok((name, a.value().unwrap_or_default().to_owned()))
                })
                .collect::<Result<Attributes, Error>>()?;
            Ok(User::new(username, attributes).with_mfa(
                out.preferred_mfa_setting().map(str::to_owned),
                out.user_mfa_setting_list().to_vec(),
            ))
        })
        .await
    }

    async fn update_user_attributes(
        &self,
        access_token: SecretString,
        attributes: Attributes,
        client_metadata: ClientMetadata,
    ) -> Result<Vec<CodeDeliveryDetails>, Error> {
        const OP: &str = "UpdateUserAttributes";
        self.call(OP, async {
            let out = self
                .client
                .update_user_attributes()
                .access_token(access_token.expose())
                .set_user_attributes(Some(attribute_list(&attributes)?))
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out
                .code_delivery_details_list()
                .iter()
                .map(delivery)
                .collect())
        })
        .await
    }

    async fn delete_user_attributes(
        &self,
        access_token: SecretString,
        names: Vec<AttributeName>,
    ) -> Result<(), Error> {
        const OP: &str = "DeleteUserAttributes";
        self.call(OP, async {
            self.client
                .delete_user_attributes()
                .access_token(access_token.expose())
                .set_user_attribute_names(Some(names.into_iter().map(String::from).collect()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn get_user_attribute_verification_code(
        &self,
        access_token: SecretString,
        name: AttributeName,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        const OP: &str = "GetUserAttributeVerificationCode";
        self.call(OP, async {
            let out = self
                .client
                .get_user_attribute_verification_code()
                .access_token(access_token.expose())
                .attribute_name(name.as_str())
                .set_client_metadata(metadata(client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out.code_delivery_details().map(delivery))
        })
        .await
    }

    async fn verify_user_attribute(
        &self,
        access_token: SecretString,
        name: AttributeName,
        code: Code,
    ) -> Result<(), Error> {
        const OP: &str = "VerifyUserAttribute";
        self.call(OP, async {
            self.client
                .verify_user_attribute()
                .access_token(access_token.expose())
                .attribute_name(name.as_str())
                .code(code.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn global_sign_out(&self, access_token: SecretString) -> Result<(), Error> {
        const OP: &str = "GlobalSignOut";
        self.call(OP, async {
            self.client
                .global_sign_out()
                .access_token(access_token.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn revoke_token(&self, refresh_token: SecretString) -> Result<(), Error> {
        const OP: &str = "RevokeToken";
        self.call(OP, async {
            self.client
                .revoke_token()
                .token(refresh_token.expose())
                .client_id(self.client_id.as_str())
                .set_client_secret(self.secret.as_ref().map(|s| s.expose().to_owned()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn delete_user(&self, access_token: SecretString) -> Result<(), Error> {
        const OP: &str = "DeleteUser";
        self.call(OP, async {
            self.client
                .delete_user()
                .access_token(access_token.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn associate_software_token(
        &self,
        auth: SoftwareTokenAuth,
    ) -> Result<AssociatedSoftwareToken, Error> {
        const OP: &str = "AssociateSoftwareToken";
        self.call(OP, async {
            let (access_token, session) = software_token_auth(&auth);
            let out = self
                .client
                .associate_software_token()
                .set_access_token(access_token)
                .set_session(session)
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            let secret = non_empty(out.secret_code())
                .ok_or_else(|| malformed(OP, "the answer has no SecretCode"))?;
            Ok(AssociatedSoftwareToken::new(SecretString::new(secret))
                .with_session(non_empty(out.session()).map(SecretString::new)))
        })
        .await
    }

    async fn verify_software_token(
        &self,
        auth: SoftwareTokenAuth,
        code: Code,
        friendly_device_name: Option<String>,
    ) -> Result<Option<SecretString>, Error> {
        const OP: &str = "VerifySoftwareToken";
        self.call(OP, async {
            let (access_token, session) = software_token_auth(&auth);
            let out = self
                .client
                .verify_software_token()
                .set_access_token(access_token)
                .set_session(session)
                .user_code(code.expose())
                .set_friendly_device_name(friendly_device_name.filter(|n| !n.is_empty()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            // Cognito answers a wrong code with an exception; a `Status` of `ERROR` is
            // read the same way, so that `Ok` always means "verified".
            if matches!(out.status(), Some(VerifySoftwareTokenResponseType::Error)) {
                return Err(Error::EnableSoftwareTokenMfa {
                    message: "VerifySoftwareToken answered the status ERROR".into(),
                });
            }
            Ok(non_empty(out.session()).map(SecretString::new))
        })
        .await
    }

    async fn set_user_mfa_preference(
        &self,
        access_token: SecretString,
        update: MfaPreferenceUpdate,
    ) -> Result<(), Error> {
        const OP: &str = "SetUserMFAPreference";
        self.call(OP, async {
            let sms = update.sms.map(|p| {
                let (enabled, preferred) = mfa_flags(p);
                SmsMfaSettingsType::builder()
                    .set_enabled(enabled)
                    .set_preferred_mfa(preferred)
                    .build()
            });
            let totp = update.totp.map(|p| {
                let (enabled, preferred) = mfa_flags(p);
                SoftwareTokenMfaSettingsType::builder()
                    .set_enabled(enabled)
                    .set_preferred_mfa(preferred)
                    .build()
            });
            let email = update.email.map(|p| {
                let (enabled, preferred) = mfa_flags(p);
                EmailMfaSettingsType::builder()
                    .set_enabled(enabled)
                    .set_preferred_mfa(preferred)
                    .build()
            });
            self.client
                .set_user_mfa_preference()
                .access_token(access_token.expose())
                .set_sms_mfa_settings(sms)
                .set_software_token_mfa_settings(totp)
                .set_email_mfa_settings(email)
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn confirm_sign_up_with(
        &self,
        request: ConfirmSignUpRequest,
    ) -> Result<ConfirmSignUpResult, Error> {
        const OP: &str = "ConfirmSignUp";
        self.call(OP, async {
            let username = request.username.as_str();
            let out = self
                .client
                .confirm_sign_up()
                .client_id(self.client_id.as_str())
                .set_secret_hash(self.secret_hash(username))
                .username(username)
                .confirmation_code(request.code.expose())
                .force_alias_creation(request.force_alias_creation)
                .set_session(request.session.as_ref().map(|s| s.expose().to_owned()))
                .set_client_metadata(metadata(request.client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(ConfirmSignUpResult::new()
                .with_session(non_empty(out.session()).map(SecretString::new)))
        })
        .await
    }

    async fn get_tokens_from_refresh_token(
        &self,
        request: RefreshRequest,
    ) -> Result<AuthTokens, Error> {
        const OP: &str = "GetTokensFromRefreshToken";
        self.call(OP, async {
            // This operation takes the client secret itself, not a SECRET_HASH.
            let out = self
                .client
                .get_tokens_from_refresh_token()
                .client_id(self.client_id.as_str())
                .refresh_token(request.refresh_token.expose())
                .set_client_secret(self.secret.as_ref().map(|s| s.expose().to_owned()))
                .set_device_key(request.device_key.filter(|k| !k.is_empty()))
                .set_client_metadata(metadata(request.client_metadata))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            let result = out
                .authentication_result()
                .ok_or_else(|| malformed(OP, "no AuthenticationResult"))?;
            tokens(OP, result)
        })
        .await
    }

    async fn confirm_device(&self, request: ConfirmDeviceRequest) -> Result<bool, Error> {
        const OP: &str = "ConfirmDevice";
        self.call(OP, async {
            let verifier = DeviceSecretVerifierConfigType::builder()
                .password_verifier(request.verifier.password_verifier.expose())
                .salt(request.verifier.salt.as_str())
                .build();
            let out = self
                .client
                .confirm_device()
                .access_token(request.access_token.expose())
                .device_key(request.device_key.as_str())
                .device_secret_verifier_config(verifier)
                .set_device_name(request.device_name.filter(|n| !n.is_empty()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(out.user_confirmation_necessary())
        })
        .await
    }

    async fn get_device(
        &self,
        access_token: SecretString,
        device_key: String,
    ) -> Result<Device, Error> {
        const OP: &str = "GetDevice";
        self.call(OP, async {
            let out = self
                .client
                .get_device()
                .access_token(access_token.expose())
                .device_key(device_key)
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            let found = out.device().ok_or_else(|| malformed(OP, "no Device"))?;
            device(OP, found)
        })
        .await
    }

    async fn list_devices(
        &self,
        access_token: SecretString,
        limit: Option<u32>,
        pagination_token: Option<String>,
    ) -> Result<DevicePage, Error> {
        const OP: &str = "ListDevices";
        self.call(OP, async {
            // Cognito allows 0 to 60; a larger limit is sent as it is (clamped to the wire
            // type), so that Cognito, not this transport, says what is allowed.
            let limit = limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX));
            let out = self
                .client
                .list_devices()
                .access_token(access_token.expose())
                .set_limit(limit)
                .set_pagination_token(pagination_token.filter(|t| !t.is_empty()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            let devices = out
                .devices()
                .iter()
                .map(|d| device(OP, d))
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(DevicePage::new(devices)
                .with_pagination_token(non_empty(out.pagination_token()).map(str::to_owned)))
        })
        .await
    }

    async fn forget_device(
        &self,
        access_token: SecretString,
        device_key: String,
    ) -> Result<(), Error> {
        const OP: &str = "ForgetDevice";
        self.call(OP, async {
            self.client
                .forget_device()
                .access_token(access_token.expose())
                .device_key(device_key)
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn update_device_status(
        &self,
        access_token: SecretString,
        device_key: String,
        status: DeviceRememberedStatus,
    ) -> Result<(), Error> {
        const OP: &str = "UpdateDeviceStatus";
        self.call(OP, async {
            self.client
                .update_device_status()
                .access_token(access_token.expose())
                .device_key(device_key)
                .device_remembered_status(DeviceRememberedStatusType::from(status.as_str()))
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            Ok(())
        })
        .await
    }

    async fn get_user_auth_factors(
        &self,
        access_token: SecretString,
    ) -> Result<UserAuthFactors, Error> {
        const OP: &str = "GetUserAuthFactors";
        self.call(OP, async {
            let out = self
                .client
                .get_user_auth_factors()
                .access_token(access_token.expose())
                .send()
                .await
                .map_err(|e| map_sdk_error(OP, e))?;
            let username = Username::new(out.username())
                .map_err(|e| malformed(OP, format!("Username: {e}")))?;
            let factors: Vec<&str> = out
                .configured_user_auth_factors()
                .iter()
                .map(|f| f.as_str())
                .collect();
            Ok(UserAuthFactors::new(username)
                .with_mfa(MfaSettings::from_cognito(
                    non_empty(out.preferred_mfa_setting()),
                    out.user_mfa_setting_list(),
                ))
                .with_configured_first_factors(AuthFactor::from_names(&factors)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_zero_means_unknown() {
        let result = AuthenticationResultType::builder()
            .access_token("a")
            .id_token("i")
            .build();
        let tokens = tokens("InitiateAuth", &result).unwrap();
        assert_eq!(tokens.expires_in, None);
        assert_eq!(tokens.refresh_token, None);
    }
}
