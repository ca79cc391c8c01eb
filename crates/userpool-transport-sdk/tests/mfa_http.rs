//! `SdkTransport`'s MFA calls over real HTTP against the recording in-test server: the
//! exact JSON Cognito receives (field names, what is left out, SECRET_HASH) and how its
//! answers are read.

mod common;

use serde_json::json;
use userpool_transport::{
    AuthOutcome, ChallengeRequest, ChallengeResponse, SoftwareTokenAuth, Transport,
};
use userpool_types::{
    ChallengeName, Code, Error, MfaPreference, MfaPreferenceUpdate, SecretString,
};

use common::*;

#[tokio::test]
async fn associate_software_token_with_an_access_token_or_a_session() {
    let server = Server::start(vec![
        ok(json!({ "SecretCode": "JBSWY3DPEHPK3PXP" })),
        ok(json!({ "SecretCode": "KRSXG5CTMVRXEZLU", "Session": "session-after-associate" })),
    ])
    .await;
    // With a secret: AssociateSoftwareToken takes no SECRET_HASH, so none is sent.
    let t = transport(&server, Some(SECRET));

    let associated = t
        .associate_software_token(SoftwareTokenAuth::AccessToken(SecretString::from(
            ACCESS_TOKEN,
        )))
        .await
        .unwrap();
    assert_eq!(associated.secret_code.expose(), "JBSWY3DPEHPK3PXP");
    assert_eq!(associated.session, None);
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.AssociateSoftwareToken"
    );
    assert_eq!(request.body, json!({ "AccessToken": ACCESS_TOKEN }));

    let associated = t
        .associate_software_token(SoftwareTokenAuth::Session(SecretString::from(
            "session-of-MFA_SETUP",
        )))
        .await
        .unwrap();
    assert_eq!(associated.secret_code.expose(), "KRSXG5CTMVRXEZLU");
    assert_eq!(
        associated.session.as_ref().map(SecretString::expose),
        Some("session-after-associate")
    );
    assert_eq!(
        server.last().body,
        json!({ "Session": "session-of-MFA_SETUP" })
    );
}

#[tokio::test]
async fn associate_software_token_without_a_secret_is_malformed() {
    let server = Server::start(vec![ok(json!({ "Session": "s" }))]).await;
    let error = transport(&server, None)
        .associate_software_token(SoftwareTokenAuth::AccessToken(SecretString::from(
            ACCESS_TOKEN,
        )))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedResponse {
                operation: "AssociateSoftwareToken",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn verify_software_token_request_and_answers() {
    let server = Server::start(vec![
        ok(json!({ "Status": "SUCCESS", "Session": "session-after-verify" })),
        ok(json!({ "Status": "SUCCESS" })),
        ok(json!({ "Status": "ERROR" })),
        exception(
            400,
            "EnableSoftwareTokenMFAException",
            "Code mismatch and fail enable Software Token MFA",
        ),
        exception(400, "CodeMismatchException", "Invalid code received."),
    ])
    .await;
    let t = transport(&server, Some(SECRET));

    let session = t
        .verify_software_token(
            SoftwareTokenAuth::Session(SecretString::from("session-after-associate")),
            Code::from("123456"),
            Some("Ada's phone".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        session.as_ref().map(SecretString::expose),
        Some("session-after-verify")
    );
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.VerifySoftwareToken"
    );
    assert_eq!(
        request.body,
        json!({
            "Session": "session-after-associate",
            "UserCode": "123456",
            "FriendlyDeviceName": "Ada's phone"
        })
    );

    // With the access token and no (or an empty) device name: the name is left out.
    let session = t
        .verify_software_token(
            SoftwareTokenAuth::AccessToken(SecretString::from(ACCESS_TOKEN)),
            Code::from("654321"),
            Some(String::new()),
        )
        .await
        .unwrap();
    assert_eq!(session, None);
    assert_eq!(
        server.last().body,
        json!({ "AccessToken": ACCESS_TOKEN, "UserCode": "654321" })
    );

    // A status of ERROR is never `Ok`.
    let error = t
        .verify_software_token(
            SoftwareTokenAuth::AccessToken(SecretString::from(ACCESS_TOKEN)),
            Code::from("000000"),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::EnableSoftwareTokenMfa { .. }),
        "{error:?}"
    );
    // Cognito's two ways of saying "wrong code" are typed.
    let error = t
        .verify_software_token(
            SoftwareTokenAuth::AccessToken(SecretString::from(ACCESS_TOKEN)),
            Code::from("000000"),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::EnableSoftwareTokenMfa { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("EnableSoftwareTokenMFAException"));
    let error = t
        .verify_software_token(
            SoftwareTokenAuth::AccessToken(SecretString::from(ACCESS_TOKEN)),
            Code::from("000000"),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::CodeMismatch { .. }), "{error:?}");
    assert_eq!(server.count(), 5, "one attempt per call");
}

#[tokio::test]
async fn set_user_mfa_preference_sends_only_the_changed_methods() {
    let server = Server::start(vec![ok(json!({})), ok(json!({})), ok(json!({}))]).await;
    let t = transport(&server, Some(SECRET));

    t.set_user_mfa_preference(
        SecretString::from(ACCESS_TOKEN),
        MfaPreferenceUpdate::new()
            .totp(MfaPreference::Preferred)
            .sms(MfaPreference::NotPreferred)
            .email(MfaPreference::Disabled),
    )
    .await
    .unwrap();
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.SetUserMFAPreference"
    );
    assert_eq!(
        request.body,
        json!({
            "AccessToken": ACCESS_TOKEN,
            "SMSMfaSettings": { "Enabled": true, "PreferredMfa": false },
            "SoftwareTokenMfaSettings": { "Enabled": true, "PreferredMfa": true },
            "EmailMfaSettings": { "Enabled": false, "PreferredMfa": false }
        })
    );

    // The SDK always sends `PreferredMfa` (a plain bool in its types): `Enabled` goes
    // out as not preferred. The facade resolves `Enabled` before it gets here.
    t.set_user_mfa_preference(
        SecretString::from(ACCESS_TOKEN),
        MfaPreferenceUpdate::new().email(MfaPreference::Enabled),
    )
    .await
    .unwrap();
    assert_eq!(
        server.last().body,
        json!({
            "AccessToken": ACCESS_TOKEN,
            "EmailMfaSettings": { "Enabled": true, "PreferredMfa": false }
        })
    );

    t.set_user_mfa_preference(SecretString::from(ACCESS_TOKEN), MfaPreferenceUpdate::new())
        .await
        .unwrap();
    assert_eq!(server.last().body, json!({ "AccessToken": ACCESS_TOKEN }));
}

#[tokio::test]
async fn mfa_challenge_answers_carry_cognitos_names_and_the_secret_hash() {
    let next = || {
        ok(json!({
            "ChallengeName": "EMAIL_OTP",
            "Session": "session-next",
            "ChallengeParameters": {
                "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                "CODE_DELIVERY_DESTINATION": "a***@e***.com",
                "USERNAME": "alice"
            }
        }))
    };
    let server = Server::start(vec![next(), next(), next(), next(), next()]).await;
    let t = transport(&server, Some(SECRET));
    let answer = |response| {
        ChallengeRequest::new(user("alice"), response)
            .with_session(Some(SecretString::from("session-1")))
    };

    let outcome = t
        .respond_to_auth_challenge(answer(ChallengeResponse::SelectMfaType {
            answer: "EMAIL_OTP".into(),
        }))
        .await
        .unwrap();
    let AuthOutcome::Challenge(challenge) = outcome else {
        panic!("expected a challenge");
    };
    assert_eq!(challenge.name, ChallengeName::EmailOtp);
    assert_eq!(
        challenge.parameters["CODE_DELIVERY_DESTINATION"],
        "a***@e***.com"
    );
    let hash = expected_hash("alice");
    let body = server.last().body;
    assert_eq!(body["ChallengeName"], "SELECT_MFA_TYPE");
    assert_eq!(body["Session"], "session-1");
    assert_eq!(
        body["ChallengeResponses"],
        json!({ "USERNAME": "alice", "ANSWER": "EMAIL_OTP", "SECRET_HASH": hash })
    );

    let cases = [
        (
            ChallengeResponse::EmailOtp {
                code: Code::from("11111111"),
            },
            "EMAIL_OTP",
            json!({ "USERNAME": "alice", "EMAIL_OTP_CODE": "11111111", "SECRET_HASH": hash }),
        ),
        (
            ChallengeResponse::SmsMfa {
                code: Code::from("222222"),
            },
            "SMS_MFA",
            json!({ "USERNAME": "alice", "SMS_MFA_CODE": "222222", "SECRET_HASH": hash }),
        ),
        (
            ChallengeResponse::MfaSetup { email: None },
            "MFA_SETUP",
            json!({ "USERNAME": "alice", "SECRET_HASH": hash }),
        ),
        (
            ChallengeResponse::MfaSetup {
                email: Some("alice@example.com".into()),
            },
            "MFA_SETUP",
            json!({ "USERNAME": "alice", "EMAIL": "alice@example.com", "SECRET_HASH": hash }),
        ),
    ];
    for (response, name, responses) in cases {
        t.respond_to_auth_challenge(answer(response)).await.unwrap();
        let body = server.last().body;
        assert_eq!(body["ChallengeName"], name);
        assert_eq!(body["ChallengeResponses"], responses, "{name}");
    }
}
