//! Reading a challenge into a typed next step, and the pending sign-in.

use std::fmt;

use serde_json::Value;
use userpool_transport::Challenge;
use userpool_types::{
    AttributeName, Attributes, ChallengeName, CodeDeliveryDetails, DeliveryMedium, Error, NextStep,
    SecretString, Username,
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
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("challenge", &self.step.challenge())
            .field("username", &self.username)
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

/// Reads a challenge the user must answer into a [`NextStep`].
///
/// # Errors
///
/// [`Error::MalformedResponse`] when a parameter that must be JSON is not;
/// [`Error::UnsupportedOperation`] for device challenges and challenges this version does
/// not know.
pub(crate) fn next_step(operation: &'static str, challenge: &Challenge) -> Result<NextStep, Error> {
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
            Ok(NextStep::NewPasswordRequired {
                required_attributes,
                user_attributes,
            })
        }
        ChallengeName::SmsMfa => Ok(NextStep::SmsCode {
            delivery: CodeDeliveryDetails {
                destination: params.get("CODE_DELIVERY_DESTINATION").cloned(),
                medium: Some(
                    params
                        .get("CODE_DELIVERY_DELIVERY_MEDIUM")
                        .map_or(DeliveryMedium::Sms, |m| DeliveryMedium::from_name(m)),
                ),
                attribute_name: Some("phone_number".to_owned()),
            },
        }),
        ChallengeName::SoftwareTokenMfa => Ok(NextStep::TotpCode),
        ChallengeName::SelectMfaType => {
            let options = match params.get("MFAS_CAN_CHOOSE") {
                None => Vec::new(),
                Some(json) => parse_string_list(operation, "MFAS_CAN_CHOOSE", json)?,
            };
            Ok(NextStep::SelectMfaType { options })
        }
        ChallengeName::MfaSetup => Ok(NextStep::MfaSetup),
        ChallengeName::CustomChallenge => Ok(NextStep::CustomChallenge {
            parameters: params.clone(),
        }),
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
        Challenge {
            name: ChallengeName::from_name(name),
            session: Some(SecretString::from("sess")),
            parameters: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
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
                options: vec!["SMS_MFA".into(), "SOFTWARE_TOKEN_MFA".into()]
            })
        );
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
                Pending {
                    step: NextStep::TotpCode,
                    session: Some(SecretString::from("secret-session")),
                    username: fallback
                }
            )
            .contains("secret-session")
        );
    }
}
