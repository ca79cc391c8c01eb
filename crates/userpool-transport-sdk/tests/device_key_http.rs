//! `DEVICE_KEY` on every sign-in request `SdkTransport` sends, over real HTTP against the
//! recording in-test server: each kind of challenge answer names the device of
//! `ChallengeRequest::device_key` (the one place an answer names it), `USER_PASSWORD_AUTH`
//! names it in its parameters, an empty key is left out like a missing one, and the
//! device challenges are refused before sending without a key. The exact JSON Cognito
//! receives.

mod common;

use serde_json::{Value, json};
use userpool_transport::{
    ChallengeRequest, ChallengeResponse, FirstFactor, InitiateAuth, Transport,
};
use userpool_types::{Attributes, Code, Error, Password, SecretString};

use common::*;

const DEVICE_KEY: &str = "eu-west-1_0d5e5e0c-1b2a-4c3d-9e8f-0123456789ab";

/// Every kind of answer with its `ChallengeName` and the `ChallengeResponses` it sends
/// besides `USERNAME`, `DEVICE_KEY` and `SECRET_HASH`.
fn every_answer() -> Vec<(ChallengeResponse, &'static str, Value)> {
    vec![
        (
            ChallengeResponse::SmsMfa {
                code: Code::from("111111"),
            },
            "SMS_MFA",
            json!({ "SMS_MFA_CODE": "111111" }),
        ),
        (
            ChallengeResponse::SoftwareTokenMfa {
                code: Code::from("222222"),
            },
            "SOFTWARE_TOKEN_MFA",
            json!({ "SOFTWARE_TOKEN_MFA_CODE": "222222" }),
        ),
        (
            ChallengeResponse::EmailOtp {
                code: Code::from("333333"),
            },
            "EMAIL_OTP",
            json!({ "EMAIL_OTP_CODE": "333333" }),
        ),
        (
            ChallengeResponse::SmsOtp {
                code: Code::from("444444"),
            },
            "SMS_OTP",
            json!({ "SMS_OTP_CODE": "444444" }),
        ),
        (
            ChallengeResponse::NewPassword {
                new_password: Password::from(PASSWORD),
                attributes: Attributes::try_from([("given_name", "Alice")]).unwrap(),
            },
            "NEW_PASSWORD_REQUIRED",
            json!({ "NEW_PASSWORD": PASSWORD, "userAttributes.given_name": "Alice" }),
        ),
        (
            ChallengeResponse::Custom {
                answer: SecretString::from("forty-two"),
            },
            "CUSTOM_CHALLENGE",
            json!({ "ANSWER": "forty-two" }),
        ),
        (
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::Password {
                    password: Password::from(PASSWORD),
                },
            },
            "SELECT_CHALLENGE",
            json!({ "ANSWER": "PASSWORD", "PASSWORD": PASSWORD }),
        ),
        (
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::PasswordSrp {
                    srp_a: "0a1b2c".into(),
                },
            },
            "SELECT_CHALLENGE",
            json!({ "ANSWER": "PASSWORD_SRP", "SRP_A": "0a1b2c" }),
        ),
        (
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::EmailOtp,
            },
            "SELECT_CHALLENGE",
            json!({ "ANSWER": "EMAIL_OTP" }),
        ),
        (
            ChallengeResponse::SelectMfaType {
                answer: "SMS_MFA".into(),
            },
            "SELECT_MFA_TYPE",
            json!({ "ANSWER": "SMS_MFA" }),
        ),
        (
            ChallengeResponse::MfaSetup { email: None },
            "MFA_SETUP",
            json!({}),
        ),
        (
            ChallengeResponse::MfaSetup {
                email: Some("alice@example.com".into()),
            },
            "MFA_SETUP",
            json!({ "EMAIL": "alice@example.com" }),
        ),
        (
            ChallengeResponse::PasswordVerifier {
                secret_block: "c2VjcmV0".into(),
                timestamp: "Tue Jan 6 09:05:03 UTC 2026".into(),
                signature: SecretString::from("c2lnbmF0dXJl"),
            },
            "PASSWORD_VERIFIER",
            json!({
                "PASSWORD_CLAIM_SECRET_BLOCK": "c2VjcmV0",
                "TIMESTAMP": "Tue Jan 6 09:05:03 UTC 2026",
                "PASSWORD_CLAIM_SIGNATURE": "c2lnbmF0dXJl"
            }),
        ),
        (
            ChallengeResponse::DeviceSrpAuth {
                srp_a: "0d0e0f".into(),
            },
            "DEVICE_SRP_AUTH",
            json!({ "SRP_A": "0d0e0f" }),
        ),
        (
            ChallengeResponse::DevicePasswordVerifier {
                secret_block: "ZGV2aWNl".into(),
                timestamp: "Tue Jan 6 09:05:04 UTC 2026".into(),
                signature: SecretString::from("ZGV2LXNpZw=="),
            },
            "DEVICE_PASSWORD_VERIFIER",
            json!({
                "PASSWORD_CLAIM_SECRET_BLOCK": "ZGV2aWNl",
                "TIMESTAMP": "Tue Jan 6 09:05:04 UTC 2026",
                "PASSWORD_CLAIM_SIGNATURE": "ZGV2LXNpZw=="
            }),
        ),
    ]
}

/// True for the answers that prove a device, which cannot be sent without its key.
fn proves_a_device(response: &ChallengeResponse) -> bool {
    matches!(
        response,
        ChallengeResponse::DeviceSrpAuth { .. } | ChallengeResponse::DevicePasswordVerifier { .. }
    )
}

/// `fields` with `more` added (both JSON objects).
fn with(fields: &Value, more: Value) -> Value {
    let mut merged = fields.clone();
    for (name, value) in more.as_object().unwrap() {
        merged[name] = value.clone();
    }
    merged
}

#[tokio::test]
async fn every_challenge_answer_names_the_device_of_the_request() {
    let answers = every_answer();
    let server = Server::start(vec![ok(tokens_answer()); answers.len()]).await;
    let t = transport(&server, Some(SECRET));
    for (response, name, fields) in answers {
        t.respond_to_auth_challenge(
            ChallengeRequest::new(user("alice-sub"), response)
                .with_session(Some(SecretString::from("session-1")))
                .with_device_key(Some(DEVICE_KEY.into())),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let body = server.last().body;
        assert_eq!(body["ChallengeName"], name);
        assert_eq!(body["Session"], "session-1", "{name}");
        assert_eq!(
            body["ChallengeResponses"],
            with(
                &fields,
                json!({
                    "USERNAME": "alice-sub",
                    "DEVICE_KEY": DEVICE_KEY,
                    "SECRET_HASH": expected_hash("alice-sub")
                })
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_answer_without_a_device_or_with_an_empty_key_names_none() {
    let answers: Vec<_> = every_answer()
        .into_iter()
        .filter(|(response, ..)| !proves_a_device(response))
        .collect();
    let server = Server::start(vec![ok(tokens_answer()); 2 * answers.len()]).await;
    let t = transport(&server, None);
    for (response, name, fields) in answers {
        for device_key in [None, Some(String::new())] {
            t.respond_to_auth_challenge(
                ChallengeRequest::new(user("alice"), response.clone())
                    .with_session(Some(SecretString::from("session-1")))
                    .with_device_key(device_key.clone()),
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(
                server.last().body["ChallengeResponses"],
                with(&fields, json!({ "USERNAME": "alice" })),
                "{name} with {device_key:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_device_challenge_without_the_devices_key_is_refused_before_sending() {
    let server = Server::start(vec![]).await;
    let t = transport(&server, Some(SECRET));
    for (response, name, _) in every_answer()
        .into_iter()
        .filter(|(response, ..)| proves_a_device(response))
    {
        for device_key in [None, Some(String::new())] {
            let error = t
                .respond_to_auth_challenge(
                    ChallengeRequest::new(user("alice"), response.clone())
                        .with_session(Some(SecretString::from("session-1")))
                        .with_device_key(device_key.clone()),
                )
                .await
                .unwrap_err();
            assert!(
                matches!(
                    &error,
                    Error::InvalidInput { field: "device_key", reason } if reason.contains(name)
                ),
                "{name} with {device_key:?}: {error:?}"
            );
        }
    }
    assert_eq!(server.count(), 0, "nothing was sent");
}

#[tokio::test]
async fn user_password_auth_names_the_device() {
    let server = Server::start(vec![ok(tokens_answer()); 3]).await;
    let t = transport(&server, Some(SECRET));
    let hash = expected_hash("alice");
    for (device_key, expected) in [
        (
            Some(DEVICE_KEY.to_owned()),
            json!({
                "USERNAME": "alice",
                "PASSWORD": PASSWORD,
                "DEVICE_KEY": DEVICE_KEY,
                "SECRET_HASH": hash
            }),
        ),
        (
            None,
            json!({ "USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": hash }),
        ),
        (
            Some(String::new()),
            json!({ "USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": hash }),
        ),
    ] {
        t.initiate_auth(
            InitiateAuth::UserPassword {
                username: user("alice"),
                password: Password::from(PASSWORD),
                device_key: device_key.clone(),
            },
            no_metadata(),
        )
        .await
        .unwrap();
        let body = server.last().body;
        assert_eq!(body["AuthFlow"], "USER_PASSWORD_AUTH");
        assert_eq!(body["AuthParameters"], expected, "{device_key:?}");
    }
}

#[tokio::test]
async fn an_empty_device_key_is_left_out_of_every_initiate_auth() {
    let server = Server::start(vec![ok(tokens_answer()); 3]).await;
    let t = transport(&server, None);
    let requests = [
        InitiateAuth::UserSrp {
            username: user("alice"),
            srp_a: "0a1b".into(),
            device_key: Some(String::new()),
        },
        InitiateAuth::UserAuth {
            username: user("alice"),
            preferred: None,
            session: None,
            device_key: Some(String::new()),
        },
        InitiateAuth::RefreshToken {
            refresh_token: SecretString::from(REFRESH_TOKEN),
            username: None,
            device_key: Some(String::new()),
        },
    ];
    for request in requests {
        let shown = format!("{request:?}");
        t.initiate_auth(request, no_metadata()).await.unwrap();
        let parameters = &server.last().body["AuthParameters"];
        assert!(
            parameters.get("DEVICE_KEY").is_none(),
            "{shown}: {parameters}"
        );
    }
}
