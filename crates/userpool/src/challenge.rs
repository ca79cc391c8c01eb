//! Reading a challenge into a typed next step, and the pending sign-in.

use std::fmt;

use serde_json::Value;
use userpool_transport::Challenge;
use userpool_types::{
    AttributeName, Attributes, ChallengeName, CodeDeliveryDetails, DeliveryMedium, Error, MfaType,
    NextStep, SecretString, Username, mfa_types_from_cognito_names,
};

/// The prefix Cognito puts before attribute names in `requiredAttributes` and in the
/// answer to `NEW_PASSWORD_REQUIRED`.
pub(crate) const USER_ATTRIBUTES_PREFIX: &str = "userAttributes.";

/// A sign-in waiting for the answer to a challenge. Not a signed-in user.
pub(crate) struct Pending {
    /// What is asked.
    pub(crate) step: NextStep,
    /// The challenge's session, passed back with the answer.
    pub(crate) session: Option<SecretString>,
    /// `USERNAME` of the challenge parameters: who answers.
    pub(crate) username: Username,
    /// For [`NextStep::TotpSetup`]: `VerifySoftwareToken` already accepted a code and
    /// `session` is the one it answered, so that an answer that failed afterwards (a
    /// network failure of `RespondToAuthChallenge`) is retried without a new code.
    pub(crate) totp_verified: bool,
    /// The challenge Cognito asked, where the step does not say it: an
    /// [`NextStep::SmsCode`] answers `SMS_MFA` or, as a first factor, `SMS_OTP`.
    pub(crate) challenge: ChallengeName,
}

impl Pending {
    /// A step waiting for its first answer.
    pub(crate) fn new(step: NextStep, session: Option<SecretString>, username: Username) -> Self {
        Self {
            challenge: step.challenge(),
            step,
            session,
            username,
            totp_verified: false,
        }
    }

    /// The same step, answering the challenge Cognito named `challenge`.
    pub(crate) fn answering(mut self, challenge: ChallengeName) -> Self {
        self.challenge = challenge;
        self
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("challenge", &self.challenge)
            .field("username", &self.username)
            .field("totp_verified", &self.totp_verified)
            .finish_non_exhaustive()
    }
}

fn malformed(operation: &'static str, reason: impl Into<String>) -> Error {
    Error::MalformedResponse {
        operation,
        reason: reason.into(),
    }
}

/// The username a challenge names: `USERNAME`, else `USER_ID_FOR_SRP`, else `fallback`.
pub(crate) fn challenge_username(challenge: &Challenge, fallback: &Username) -> Username {
    ["USERNAME", "USER_ID_FOR_SRP"]
        .iter()
        .filter_map(|k| challenge.parameters.get(*k))
        .find_map(|v| Username::new(v.as_str()).ok())
        .unwrap_or_else(|| fallback.clone())
}

/// What a challenge asks of the user, or of the client first.
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// A step to hand to the app as it is.
    Ask(NextStep),
    /// `MFA_SETUP` that can only be an authenticator app: the client must first call
    /// `AssociateSoftwareToken` with the challenge's session, whose secret goes into
    /// [`NextStep::TotpSetup`].
    SetUpTotp,
}

/// The code delivery details of an `SMS_MFA` or `EMAIL_OTP` challenge.
fn code_delivery(
    params: &std::collections::BTreeMap<String, String>,
    medium: DeliveryMedium,
    attribute: &str,
) -> CodeDeliveryDetails {
    let mut delivery = CodeDeliveryDetails::new()
        .with_medium(
            params
                .get("CODE_DELIVERY_DELIVERY_MEDIUM")
                .map_or(medium, |m| DeliveryMedium::from_name(m)),
        )
        .with_attribute_name(attribute);
    delivery.destination = params.get("CODE_DELIVERY_DESTINATION").cloned();
    delivery
}

/// The MFA methods a JSON list parameter (`MFAS_CAN_CHOOSE`, `MFAS_CAN_SETUP`) names;
/// methods this version does not know are left out, a missing parameter is no method.
fn mfa_types(
    operation: &'static str,
    challenge: &Challenge,
    name: &str,
) -> Result<Vec<MfaType>, Error> {
    Ok(match challenge.parameters.get(name) {
        None => Vec::new(),
        Some(json) => mfa_types_from_cognito_names(&parse_string_list(operation, name, json)?),
    })
}

/// Reads a challenge the user must answer into a [`NextStep`]; see [`read_step`] for
/// `MFA_SETUP` of an authenticator app, which needs a call first.
#[cfg(test)]
pub(crate) fn next_step(operation: &'static str, challenge: &Challenge) -> Result<NextStep, Error> {
    match read_step(operation, challenge)? {
        Step::Ask(step) => Ok(step),
        Step::SetUpTotp => Err(Error::UnsupportedOperation {
            message: "needs AssociateSoftwareToken first".into(),
        }),
    }
}

/// Reads a challenge the user must answer into a [`Step`].
///
/// `MFA_SETUP` follows Amplify v6: of the methods in `MFAS_CAN_SETUP`, only TOTP and email
/// can be set up during a sign-in (SMS needs a verified phone number first). Both:
/// [`NextStep::MfaSetupSelection`]; email only: [`NextStep::EmailSetup`]; TOTP only:
/// [`Step::SetUpTotp`].
///
/// # Errors
///
/// [`Error::MalformedResponse`] when a parameter that must be JSON is not;
/// [`Error::UnsupportedOperation`] for device challenges, challenges this version does
/// not know, and an `MFA_SETUP` that offers nothing this client can set up.
pub(crate) fn read_step(operation: &'static str, challenge: &Challenge) -> Result<Step, Error> {
    let params = &challenge.parameters;
    match &challenge.name {
        ChallengeName::NewPasswordRequired => {
            let required_attributes = match params.get("requiredAttributes") {
                None => Vec::new(),
                Some(json) => parse_string_list(operation, "requiredAttributes", json)?
                    .into_iter()
                    .map(|name| {
                        let bare = name
                            .strip_prefix(USER_ATTRIBUTES_PREFIX)
                            .unwrap_or(&name)
                            .to_owned();
                        AttributeName::new(bare).map_err(|_| {
                            malformed(operation, "requiredAttributes names an invalid attribute")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let user_attributes = match params.get("userAttributes") {
                None => Attributes::new(),
                Some(json) => parse_attributes(operation, json)?,
            };
            Ok(Step::Ask(NextStep::NewPasswordRequired {
                required_attributes,
                user_attributes,
            }))
        }
        ChallengeName::SmsMfa => Ok(Step::Ask(NextStep::SmsCode {
            delivery: code_delivery(params, DeliveryMedium::Sms, "phone_number"),
        })),
        ChallengeName::EmailOtp => Ok(Step::Ask(NextStep::EmailCode {
            delivery: code_delivery(params, DeliveryMedium::Email, "email"),
        })),
        ChallengeName::SmsOtp => Ok(Step::Ask(NextStep::SmsCode {
            delivery: code_delivery(params, DeliveryMedium::Sms, "phone_number"),
        })),
        ChallengeName::SelectChallenge => {
            crate::auth::first_factor_selection(operation, challenge).map(Step::Ask)
        }
        ChallengeName::WebAuthn => Err(crate::auth::web_authn_unsupported()),
        ChallengeName::SoftwareTokenMfa => Ok(Step::Ask(NextStep::TotpCode)),
        ChallengeName::SelectMfaType => Ok(Step::Ask(NextStep::SelectMfaType {
            options: mfa_types(operation, challenge, "MFAS_CAN_CHOOSE")?,
        })),
        ChallengeName::MfaSetup => {
            let offered = mfa_types(operation, challenge, "MFAS_CAN_SETUP")?;
            let options: Vec<MfaType> = offered
                .iter()
                .copied()
                .filter(|t| matches!(t, MfaType::Totp | MfaType::Email))
                .collect();
            match options.as_slice() {
                [MfaType::Totp] => Ok(Step::SetUpTotp),
                [MfaType::Email] => Ok(Step::Ask(NextStep::EmailSetup)),
                [_, _, ..] => Ok(Step::Ask(NextStep::MfaSetupSelection { options })),
                _ => Err(Error::UnsupportedOperation {
                    message: format!(
                        "the pool asks to set up MFA with {}, which cannot be set up during a                          sign-in (an SMS method needs a verified phone number first)",
                        params
                            .get("MFAS_CAN_SETUP")
                            .map_or("no method", String::as_str)
                    ),
                }),
            }
        }
        ChallengeName::CustomChallenge => Ok(Step::Ask(NextStep::CustomChallenge {
            parameters: params.clone(),
        })),
        other => Err(Error::UnsupportedOperation {
            message: format!(
                "the challenge {} is not supported by this client",
                other.as_str()
            ),
        }),
    }
}

fn parse_string_list(
    operation: &'static str,
    name: &str,
    json: &str,
) -> Result<Vec<String>, Error> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(malformed(operation, format!("{name} holds a non-string"))),
            })
            .collect(),
        _ => Err(malformed(
            operation,
            format!("{name} is not a JSON array of strings"),
        )),
    }
}

fn parse_attributes(operation: &'static str, json: &str) -> Result<Attributes, Error> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
        return Err(malformed(operation, "userAttributes is not a JSON object"));
    };
    let mut attributes = Attributes::new();
    for (name, value) in map {
        let value = match value {
            Value::String(s) => s,
            Value::Null => continue,
            other => other.to_string(),
        };
        let name = AttributeName::new(name)
            .map_err(|_| malformed(operation, "userAttributes names an invalid attribute"))?;
        attributes.insert(name, value);
    }
    Ok(attributes)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn challenge(name: &str, params: &[(&str, &str)]) -> Challenge {
        Challenge::new(ChallengeName::from_name(name))
            .with_session(Some(SecretString::from("sess")))
            .with_parameters(
                params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<BTreeMap<_, _>>(),
            )
    }

    #[test]
    fn new_password_required_strips_the_prefix() {
        let c = challenge(
            "NEW_PASSWORD_REQUIRED",
            &[
                (
                    "requiredAttributes",
                    r#"["userAttributes.given_name","userAttributes.custom:team"]"#,
                ),
                (
                    "userAttributes",
                    r#"{"email":"a@b.c","email_verified":"true","phone_number":null}"#,
                ),
            ],
        );
        let Ok(NextStep::NewPasswordRequired {
            required_attributes,
            user_attributes,
        }) = next_step("InitiateAuth", &c)
        else {
            panic!("not a new-password step");
        };
        let names: Vec<&str> = required_attributes.iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["given_name", "custom:team"]);
        assert_eq!(user_attributes.get("email"), Some("a@b.c"));
        assert_eq!(user_attributes.get("phone_number"), None);
    }

    #[test]
    fn malformed_json_parameters_are_typed_errors() {
        for (k, v) in [
            ("requiredAttributes", "not json"),
            ("requiredAttributes", "[1]"),
            ("userAttributes", "[]"),
        ] {
            let c = challenge("NEW_PASSWORD_REQUIRED", &[(k, v)]);
            assert!(
                matches!(
                    next_step("RespondToAuthChallenge", &c),
                    Err(Error::MalformedResponse {
                        operation: "RespondToAuthChallenge",
                        ..
                    })
                ),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn mfa_and_custom_steps() {
        let sms = challenge(
            "SMS_MFA",
            &[
                ("CODE_DELIVERY_DESTINATION", "+*******1234"),
                ("CODE_DELIVERY_DELIVERY_MEDIUM", "SMS"),
            ],
        );
        assert!(matches!(
            next_step("x", &sms),
            Ok(NextStep::SmsCode { delivery }) if delivery.destination.as_deref() == Some("+*******1234")
                && delivery.medium == Some(DeliveryMedium::Sms)
        ));
        assert_eq!(
            next_step("x", &challenge("SOFTWARE_TOKEN_MFA", &[])).ok(),
            Some(NextStep::TotpCode)
        );
        assert_eq!(
            next_step(
                "x",
                &challenge(
                    "SELECT_MFA_TYPE",
                    &[("MFAS_CAN_CHOOSE", r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#)]
                )
            )
            .ok(),
            Some(NextStep::SelectMfaType {
                options: vec![MfaType::Sms, MfaType::Totp]
            })
        );
        // A method of a later Cognito is left out rather than failing the sign-in.
        assert_eq!(
            next_step(
                "x",
                &challenge(
                    "SELECT_MFA_TYPE",
                    &[("MFAS_CAN_CHOOSE", r#"["EMAIL_OTP","PUSH_MFA"]"#)]
                )
            )
            .ok(),
            Some(NextStep::SelectMfaType {
                options: vec![MfaType::Email]
            })
        );
        let email = challenge(
            "EMAIL_OTP",
            &[
                ("CODE_DELIVERY_DESTINATION", "a***@e***.com"),
                ("CODE_DELIVERY_DELIVERY_MEDIUM", "EMAIL"),
            ],
        );
        assert!(matches!(
            next_step("x", &email),
            Ok(NextStep::EmailCode { delivery }) if delivery.destination.as_deref() == Some("a***@e***.com")
                && delivery.medium == Some(DeliveryMedium::Email)
                && delivery.attribute_name.as_deref() == Some("email")
        ));
        let custom = challenge("CUSTOM_CHALLENGE", &[("question", "2+2?")]);
        assert!(matches!(
            next_step("x", &custom),
            Ok(NextStep::CustomChallenge { parameters }) if parameters["question"] == "2+2?"
        ));
        assert!(matches!(
            next_step("x", &challenge("DEVICE_SRP_AUTH", &[])),
            Err(Error::UnsupportedOperation { .. })
        ));
    }

    #[test]
    fn mfa_setup_offers_what_can_be_set_up_during_a_sign_in() {
        let setup = |offered: &str| {
            read_step(
                "RespondToAuthChallenge",
                &challenge("MFA_SETUP", &[("MFAS_CAN_SETUP", offered)]),
            )
        };
        assert_eq!(
            setup(r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#).ok(),
            Some(Step::SetUpTotp)
        );
        assert_eq!(
            setup(r#"["EMAIL_OTP"]"#).ok(),
            Some(Step::Ask(NextStep::EmailSetup))
        );
        assert_eq!(
            setup(r#"["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]"#).ok(),
            Some(Step::Ask(NextStep::MfaSetupSelection {
                options: vec![MfaType::Totp, MfaType::Email]
            }))
        );
        for nothing_to_set_up in [r#"["SMS_MFA"]"#, "[]"] {
            assert!(
                matches!(
                    setup(nothing_to_set_up),
                    Err(Error::UnsupportedOperation { .. })
                ),
                "{nothing_to_set_up}"
            );
        }
        assert!(matches!(
            read_step("x", &challenge("MFA_SETUP", &[])),
            Err(Error::UnsupportedOperation { .. })
        ));
        assert!(matches!(
            setup("SOFTWARE_TOKEN_MFA"),
            Err(Error::MalformedResponse { .. })
        ));
    }

    #[test]
    fn username_comes_from_the_challenge() {
        let fallback = Username::new("typed").unwrap_or_else(|_| unreachable!());
        let c = challenge(
            "SMS_MFA",
            &[("USERNAME", "uuid-1"), ("USER_ID_FOR_SRP", "uuid-2")],
        );
        assert_eq!(challenge_username(&c, &fallback).as_str(), "uuid-1");
        let c = challenge("SMS_MFA", &[("USER_ID_FOR_SRP", "uuid-2")]);
        assert_eq!(challenge_username(&c, &fallback).as_str(), "uuid-2");
        let c = challenge("SMS_MFA", &[]);
        assert_eq!(challenge_username(&c, &fallback).as_str(), "typed");
        assert!(
            !format!(
                "{:?}",
                Pending::new(
                    NextStep::TotpCode,
                    Some(SecretString::from("secret-session")),
                    fallback
                )
            )
            .contains("secret-session")
        );
    }
}
