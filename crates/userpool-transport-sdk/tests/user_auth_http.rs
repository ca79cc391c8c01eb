//! `SdkTransport`'s choice-based sign-in (`USER_AUTH`), sign-in after sign-up and
//! `GetUserAuthFactors` over real HTTP against the recording in-test server: the exact
//! JSON Cognito receives and how its answers are read.

mod common;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use userpool_transport::{
    AuthOutcome, ChallengeRequest, ChallengeResponse, ConfirmSignUpRequest, FirstFactor,
    InitiateAuth, Transport,
};
use userpool_types::{AuthFactor, ChallengeName, Code, Error, MfaType, Password, SecretString};

use common::*;

const SRP_A: &str = "0a1b2c3d";

fn select_challenge() -> Value {
    json!({
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": "session-select",
        "ChallengeParameters": { "USERNAME": "alice" },
        "AvailableChallenges": ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
    })
}

fn user_auth(preferred: Option<FirstFactor>) -> InitiateAuth {
    InitiateAuth::UserAuth {
        username: user("alice"),
        preferred,
        session: None,
        device_key: None,
    }
}

// ---------------------------------------------------------------------------------------
// InitiateAuth USER_AUTH
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn user_auth_without_a_preference_answers_the_selection() {
    let server = Server::start(vec![ok(select_challenge())]).await;
    let outcome = transport(&server, None)
        .initiate_auth(user_auth(None), no_metadata())
        .await
        .unwrap();
    let AuthOutcome::Challenge(challenge) = outcome else {
        panic!("expected a challenge");
    };
    assert_eq!(challenge.name, ChallengeName::SelectChallenge);
    assert_eq!(
        challenge.session.as_ref().map(SecretString::expose),
        Some("session-select")
    );
    assert_eq!(
        challenge.available_challenges,
        [
            ChallengeName::PasswordSrp,
            ChallengeName::Password,
            ChallengeName::EmailOtp,
            ChallengeName::SmsOtp,
            ChallengeName::WebAuthn,
        ]
    );
    assert_eq!(
        challenge.available_factors(),
        [
            AuthFactor::Password,
            AuthFactor::EmailOtp,
            AuthFactor::SmsOtp,
            AuthFactor::WebAuthn
        ]
    );
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.InitiateAuth"
    );
    assert_eq!(
        request.body,
        json!({
            "AuthFlow": "USER_AUTH",
            "ClientId": CLIENT_ID,
            "AuthParameters": { "USERNAME": "alice" }
        })
    );
}

#[tokio::test]
async fn user_auth_sends_the_preferred_factor_with_what_it_needs() {
    let server = Server::start(vec![ok(tokens_answer())]).await;
    let t = transport(&server, Some(SECRET));
    let hash = expected_hash("alice");
    let cases = [
        (
            FirstFactor::Password {
                password: Password::from(PASSWORD),
            },
            json!({
                "USERNAME": "alice",
                "PREFERRED_CHALLENGE": "PASSWORD",
                "PASSWORD": PASSWORD,
                "SECRET_HASH": hash
            }),
        ),
        (
            FirstFactor::PasswordSrp {
                srp_a: SRP_A.into(),
            },
            json!({
                "USERNAME": "alice",
                "PREFERRED_CHALLENGE": "PASSWORD_SRP",
                "SRP_A": SRP_A,
                "SECRET_HASH": hash
            }),
        ),
        (
            FirstFactor::EmailOtp,
            json!({ "USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP", "SECRET_HASH": hash }),
        ),
        (
            FirstFactor::SmsOtp,
            json!({ "USERNAME": "alice", "PREFERRED_CHALLENGE": "SMS_OTP", "SECRET_HASH": hash }),
        ),
        (
            FirstFactor::WebAuthn,
            json!({ "USERNAME": "alice", "PREFERRED_CHALLENGE": "WEB_AUTHN", "SECRET_HASH": hash }),
        ),
    ];
    for (factor, parameters) in cases {
        let name = factor.challenge();
        t.initiate_auth(user_auth(Some(factor)), no_metadata())
            .await
            .unwrap();
        let body = server.last().body;
        assert_eq!(body["AuthFlow"], "USER_AUTH", "{name:?}");
        assert_eq!(body["AuthParameters"], parameters, "{name:?}");
        assert!(body.get("Session").is_none(), "{body}");
    }
}

#[tokio::test]
async fn sign_in_after_sign_up_sends_the_session_and_the_device() {
    let server = Server::start(vec![ok(tokens_answer())]).await;
    let outcome = transport(&server, None)
        .initiate_auth(
            InitiateAuth::UserAuth {
                username: user("alice"),
                preferred: None,
                session: Some(SecretString::from("session-of-confirm-sign-up")),
                device_key: Some("eu-west-1_dev".into()),
            },
            BTreeMap::from([("app".to_owned(), "t".to_owned())]),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, AuthOutcome::Tokens(_)), "{outcome:?}");
    assert_eq!(
        server.last().body,
        json!({
            "AuthFlow": "USER_AUTH",
            "ClientId": CLIENT_ID,
            "AuthParameters": { "USERNAME": "alice", "DEVICE_KEY": "eu-west-1_dev" },
            "Session": "session-of-confirm-sign-up",
            "ClientMetadata": { "app": "t" }
        })
    );
}

#[tokio::test]
async fn user_auth_refusals_are_typed() {
    let server = Server::start(vec![
        exception(
            400,
            "OperationNotEnabledException",
            "USER_AUTH is not enabled for this client",
        ),
        exception(
            400,
            "WebAuthnNotEnabledException",
            "WebAuthn is not enabled",
        ),
        exception(
            400,
            "FeatureUnavailableInTierException",
            "Choice-based sign-in needs the Essentials tier",
        ),
        exception(
            400,
            "WebAuthnConfigurationMissingException",
            "No relying party",
        ),
    ])
    .await;
    let t = transport(&server, None);
    let error = t
        .initiate_auth(user_auth(None), no_metadata())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::OperationNotEnabled { .. }),
        "{error:?}"
    );
    let error = t
        .initiate_auth(user_auth(Some(FirstFactor::WebAuthn)), no_metadata())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::WebAuthnNotEnabled { .. }),
        "{error:?}"
    );
    let error = t
        .initiate_auth(user_auth(None), no_metadata())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::FeatureUnavailableInTier { .. }),
        "{error:?}"
    );
    let error = t
        .initiate_auth(user_auth(Some(FirstFactor::WebAuthn)), no_metadata())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::WebAuthnConfigurationMissing { .. }),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------
// SELECT_CHALLENGE and the code challenges
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn select_challenge_answers_carry_the_factor_and_what_it_needs() {
    let server = Server::start(vec![ok(json!({
        "ChallengeName": "SMS_OTP",
        "Session": "session-code",
        "ChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
            "CODE_DELIVERY_DESTINATION": "+*******0000",
            "USERNAME": "alice"
        }
    }))])
    .await;
    let t = transport(&server, Some(SECRET));
    let hash = expected_hash("alice");
    let cases = [
        (
            FirstFactor::Password {
                password: Password::from(PASSWORD),
            },
            json!({ "USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD, "SECRET_HASH": hash }),
        ),
        (
            FirstFactor::PasswordSrp {
                srp_a: SRP_A.into(),
            },
            json!({ "USERNAME": "alice", "ANSWER": "PASSWORD_SRP", "SRP_A": SRP_A, "SECRET_HASH": hash }),
        ),
        (
            FirstFactor::EmailOtp,
            json!({ "USERNAME": "alice", "ANSWER": "EMAIL_OTP", "SECRET_HASH": hash }),
        ),
        (
            FirstFactor::SmsOtp,
            json!({ "USERNAME": "alice", "ANSWER": "SMS_OTP", "SECRET_HASH": hash }),
        ),
        (
            FirstFactor::WebAuthn,
            json!({ "USERNAME": "alice", "ANSWER": "WEB_AUTHN", "SECRET_HASH": hash }),
        ),
    ];
    for (answer, responses) in cases {
        let name = answer.challenge();
        let outcome = t
            .respond_to_auth_challenge(
                ChallengeRequest::new(user("alice"), ChallengeResponse::SelectChallenge { answer })
                    .with_session(Some(SecretString::from("session-select"))),
            )
            .await
            .unwrap();
        let AuthOutcome::Challenge(challenge) = outcome else {
            panic!("expected a challenge");
        };
        assert_eq!(challenge.name, ChallengeName::SmsOtp);
        assert!(challenge.available_challenges.is_empty());
        let body = server.last().body;
        assert_eq!(body["ChallengeName"], "SELECT_CHALLENGE", "{name:?}");
        assert_eq!(body["Session"], "session-select");
        assert_eq!(body["ChallengeResponses"], responses, "{name:?}");
    }
}

#[tokio::test]
async fn one_time_code_answers_use_cognitos_names() {
    let server = Server::start(vec![ok(tokens_answer())]).await;
    let t = transport(&server, None);
    let cases = [
        (
            ChallengeResponse::SmsOtp {
                code: Code::from("12345678"),
            },
            "SMS_OTP",
            json!({ "USERNAME": "alice", "SMS_OTP_CODE": "12345678" }),
        ),
        // The first-factor email code and the MFA email code are one challenge.
        (
            ChallengeResponse::EmailOtp {
                code: Code::from("87654321"),
            },
            "EMAIL_OTP",
            json!({ "USERNAME": "alice", "EMAIL_OTP_CODE": "87654321" }),
        ),
    ];
    for (response, name, responses) in cases {
        let outcome = t
            .respond_to_auth_challenge(
                ChallengeRequest::new(user("alice"), response)
                    .with_session(Some(SecretString::from("session-code"))),
            )
            .await
            .unwrap();
        assert!(matches!(outcome, AuthOutcome::Tokens(_)));
        let body = server.last().body;
        assert_eq!(body["ChallengeName"], name);
        assert_eq!(body["ChallengeResponses"], responses, "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Sign-in after sign-up: the sessions of SignUp and ConfirmSignUp
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sign_up_answers_its_session() {
    let server = Server::start(vec![
        ok(json!({ "UserConfirmed": false, "UserSub": "sub-1", "Session": "session-of-sign-up" })),
        ok(json!({ "UserConfirmed": false, "UserSub": "sub-2" })),
    ])
    .await;
    let t = transport(&server, None);
    let result = t.sign_up(sign_up_request()).await.unwrap();
    assert_eq!(
        result.session.as_ref().map(SecretString::expose),
        Some("session-of-sign-up")
    );
    assert!(!format!("{result:?}").contains("session-of-sign-up"));
    let result = t.sign_up(sign_up_request()).await.unwrap();
    assert_eq!(result.session, None);
}

#[tokio::test]
async fn confirm_sign_up_with_the_session_answers_one() {
    let server = Server::start(vec![
        ok(json!({ "Session": "session-of-confirm-sign-up" })),
        ok(json!({})),
        exception(
            400,
            "CodeMismatchException",
            "Invalid verification code provided",
        ),
    ])
    .await;
    let t = transport(&server, Some(SECRET));

    let result = t
        .confirm_sign_up_with(
            ConfirmSignUpRequest::new(user("alice"), Code::from("123456"))
                .with_force_alias_creation(true)
                .with_client_metadata(BTreeMap::from([("app".to_owned(), "t".to_owned())]))
                .with_session(Some(SecretString::from("session-of-sign-up"))),
        )
        .await
        .unwrap();
    assert_eq!(
        result.session.as_ref().map(SecretString::expose),
        Some("session-of-confirm-sign-up")
    );
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.ConfirmSignUp"
    );
    assert_eq!(
        request.body,
        json!({
            "ClientId": CLIENT_ID,
            "SecretHash": expected_hash("alice"),
            "Username": "alice",
            "ConfirmationCode": "123456",
            "ForceAliasCreation": true,
            "ClientMetadata": { "app": "t" },
            "Session": "session-of-sign-up"
        })
    );

    // The older call sends the same request, without a session.
    t.confirm_sign_up(user("alice"), Code::from("123456"), false, no_metadata())
        .await
        .unwrap();
    assert_eq!(
        server.last().body,
        json!({
            "ClientId": CLIENT_ID,
            "SecretHash": expected_hash("alice"),
            "Username": "alice",
            "ConfirmationCode": "123456",
            "ForceAliasCreation": false
        })
    );

    let error = t
        .confirm_sign_up_with(ConfirmSignUpRequest::new(user("alice"), Code::from("1")))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::CodeMismatch { .. }), "{error:?}");
}

// ---------------------------------------------------------------------------------------
// GetUserAuthFactors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_user_auth_factors_request_and_answers() {
    let server = Server::start(vec![
        ok(json!({
            "Username": "alice",
            "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
            "UserMFASettingList": ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"],
            "ConfiguredUserAuthFactors": ["PASSWORD", "EMAIL_OTP", "SOFTWARE_TOKEN", "PUSH"]
        })),
        ok(json!({ "Username": "bob", "PreferredMfaSetting": "" })),
        ok(json!({})),
        exception(400, "NotAuthorizedException", "Access Token has expired"),
    ])
    .await;
    let t = transport(&server, Some(SECRET));
    let access = || SecretString::from(ACCESS_TOKEN);

    let factors = t.get_user_auth_factors(access()).await.unwrap();
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.GetUserAuthFactors"
    );
    assert_eq!(request.body, json!({ "AccessToken": ACCESS_TOKEN }));
    assert_eq!(factors.username.as_str(), "alice");
    assert_eq!(factors.mfa.preferred, Some(MfaType::Totp));
    assert_eq!(factors.mfa.enabled, [MfaType::Totp, MfaType::Email]);
    // Names this version does not know as a first factor are left out.
    assert_eq!(
        factors.configured_first_factors,
        [AuthFactor::Password, AuthFactor::EmailOtp]
    );

    let factors = t.get_user_auth_factors(access()).await.unwrap();
    assert_eq!(factors.username.as_str(), "bob");
    assert_eq!(factors.mfa.preferred, None);
    assert!(factors.mfa.enabled.is_empty() && factors.configured_first_factors.is_empty());

    let error = t.get_user_auth_factors(access()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedResponse {
                operation: "GetUserAuthFactors",
                ..
            }
        ),
        "{error:?}"
    );
    let error = t.get_user_auth_factors(access()).await.unwrap_err();
    assert!(error.is_not_authorized(), "{error:?}");
}
