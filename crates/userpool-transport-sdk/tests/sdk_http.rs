//! `SdkTransport` over real HTTP against a tiny in-test server that records what the SDK
//! sends and answers what Cognito would (or what a broken server would).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use userpool_transport::{
    AuthOutcome, ChallengeRequest, ChallengeResponse, InitiateAuth, Transport,
};
use userpool_transport_sdk::SdkTransport;
use userpool_types::{
    AttributeName, Attributes, ChallengeName, ClientSecret, Code, DeliveryMedium, Error, Password,
    SecretString,
};

use common::*;

// ---------------------------------------------------------------------------------------
// Request shape and answer mapping
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sign_up_request_and_answer() {
    let server = Server::start(vec![ok(json!({
        "UserConfirmed": false,
        "UserSub": "5f0a-sub",
        "CodeDeliveryDetails": {
            "Destination": "a***@e***.com",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email"
        }
    }))])
    .await;
    let result = transport(&server, None)
        .sign_up(sign_up_request())
        .await
        .unwrap();

    assert!(!result.user_confirmed);
    assert_eq!(result.user_sub, "5f0a-sub");
    let delivery = result.code_delivery.unwrap();
    assert_eq!(delivery.destination.as_deref(), Some("a***@e***.com"));
    assert_eq!(delivery.medium, Some(DeliveryMedium::Email));
    assert_eq!(delivery.attribute_name.as_deref(), Some("email"));

    let request = server.last();
    assert_eq!(request.target(), "AWSCognitoIdentityProviderService.SignUp");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(
        request.header("authorization"),
        None,
        "public operations are unsigned"
    );
    assert_eq!(request.header("x-amz-security-token"), None);
    let body = &request.body;
    assert_eq!(body["ClientId"], CLIENT_ID);
    assert_eq!(body["Username"], "alice");
    assert_eq!(body["Password"], PASSWORD);
    assert_eq!(
        body["UserAttributes"],
        json!([
            { "Name": "custom:team", "Value": "t1" },
            { "Name": "email", "Value": "alice@example.com" }
        ])
    );
    assert_eq!(
        body["ValidationData"],
        json!([{ "Name": "invite", "Value": "xyz" }])
    );
    assert_eq!(body["ClientMetadata"], json!({ "source": "test" }));
    assert!(body.get("SecretHash").is_none(), "{body}");
}

#[tokio::test]
async fn secret_hash_is_sent_and_correct() {
    // Computed independently: base64(HMAC-SHA256("cl13nt-s3cr3t-value",
    // "alice" || "7abc123clientid")).
    assert_eq!(
        expected_hash("alice"),
        "lBmBYwNkfq+NGIuzBPoQHPpGz6IcmPMmpM7q4GB49qE="
    );
    let server = Server::start(vec![ok(json!({ "UserConfirmed": true, "UserSub": "s" }))]).await;
    let result = transport(&server, Some(SECRET))
        .sign_up(sign_up_request())
        .await
        .unwrap();
    assert!(result.user_confirmed);
    assert_eq!(result.code_delivery, None);
    assert_eq!(server.last().body["SecretHash"], expected_hash("alice"));
}

/// Every call that needs SECRET_HASH carries it (with the right username), and none
/// does without a secret. Answers are `{}`: only the requests are checked here.
#[tokio::test]
async fn secret_hash_on_every_call_that_needs_it() {
    for secret in [Some(SECRET), None] {
        let server = Server::start(vec![ok(json!({}))]).await;
        let t = transport(&server, secret);
        let bob = || user("bob");
        let _ = t
            .confirm_sign_up(bob(), Code::from("123456"), true, no_metadata())
            .await;
        let _ = t.resend_confirmation_code(bob(), no_metadata()).await;
        let _ = t.forgot_password(bob(), no_metadata()).await;
        let _ = t
            .confirm_forgot_password(
                bob(),
                Code::from("654321"),
                Password::from(PASSWORD),
                no_metadata(),
            )
            .await;
        let _ = t
            .initiate_auth(
                InitiateAuth::UserSrp {
                    username: bob(),
                    srp_a: "abc123".into(),
                    device_key: None,
                },
                no_metadata(),
            )
            .await;
        let _ = t
            .initiate_auth(
                InitiateAuth::UserPassword {
                    username: bob(),
                    password: Password::from(PASSWORD),
                    device_key: None,
                },
                no_metadata(),
            )
            .await;
        let _ = t
            .initiate_auth(
                InitiateAuth::RefreshToken {
                    refresh_token: SecretString::from(REFRESH_TOKEN),
                    username: Some(user("sub-1234")),
                    device_key: Some("dev-key".into()),
                },
                no_metadata(),
            )
            .await;
        let _ = t
            .respond_to_auth_challenge(
                ChallengeRequest::new(
                    user("uid-for-srp"),
                    ChallengeResponse::SoftwareTokenMfa {
                        code: Code::from("000111"),
                    },
                )
                .with_session(Some(SecretString::from("sess"))),
            )
            .await;
        let _ = t.revoke_token(SecretString::from(REFRESH_TOKEN)).await;

        let requests = server.requests();
        let targets: Vec<&str> = requests
            .iter()
            .map(|r| {
                r.target()
                    .trim_start_matches("AWSCognitoIdentityProviderService.")
            })
            .collect();
        assert_eq!(
            targets,
            [
                "ConfirmSignUp",
                "ResendConfirmationCode",
                "ForgotPassword",
                "ConfirmForgotPassword",
                "InitiateAuth",
                "InitiateAuth",
                "InitiateAuth",
                "RespondToAuthChallenge",
                "RevokeToken"
            ]
        );
        for r in &requests {
            assert_eq!(r.header("authorization"), None, "{}", r.target());
            assert_eq!(r.body["ClientId"], CLIENT_ID, "{}", r.target());
        }
        let hash = |name: &str| secret.map(|_| Value::from(expected_hash(name)));
        let field = |v: &Value| (!v.is_null()).then(|| v.clone());
        for r in &requests[..4] {
            assert_eq!(field(&r.body["SecretHash"]), hash("bob"), "{}", r.target());
            assert_eq!(r.body["Username"], "bob");
        }
        assert_eq!(requests[0].body["ConfirmationCode"], "123456");
        assert_eq!(requests[0].body["ForceAliasCreation"], true);
        assert_eq!(requests[3].body["ConfirmationCode"], "654321");
        assert_eq!(requests[3].body["Password"], PASSWORD);

        let srp = &requests[4].body;
        assert_eq!(srp["AuthFlow"], "USER_SRP_AUTH");
        assert_eq!(srp["AuthParameters"]["USERNAME"], "bob");
        assert_eq!(srp["AuthParameters"]["SRP_A"], "abc123");
        assert_eq!(field(&srp["AuthParameters"]["SECRET_HASH"]), hash("bob"));
        let password = &requests[5].body;
        assert_eq!(password["AuthFlow"], "USER_PASSWORD_AUTH");
        assert_eq!(password["AuthParameters"]["PASSWORD"], PASSWORD);
        assert_eq!(
            field(&password["AuthParameters"]["SECRET_HASH"]),
            hash("bob")
        );
        let refresh = &requests[6].body;
        assert_eq!(refresh["AuthFlow"], "REFRESH_TOKEN_AUTH");
        assert_eq!(refresh["AuthParameters"]["REFRESH_TOKEN"], REFRESH_TOKEN);
        assert_eq!(refresh["AuthParameters"]["DEVICE_KEY"], "dev-key");
        assert!(refresh["AuthParameters"].get("USERNAME").is_none());
        assert_eq!(
            field(&refresh["AuthParameters"]["SECRET_HASH"]),
            hash("sub-1234")
        );
        let respond = &requests[7].body;
        assert_eq!(respond["ChallengeName"], "SOFTWARE_TOKEN_MFA");
        assert_eq!(respond["Session"], "sess");
        assert_eq!(respond["ChallengeResponses"]["USERNAME"], "uid-for-srp");
        assert_eq!(
            respond["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"],
            "000111"
        );
        assert_eq!(
            field(&respond["ChallengeResponses"]["SECRET_HASH"]),
            hash("uid-for-srp")
        );
        let revoke = &requests[8].body;
        assert_eq!(revoke["Token"], REFRESH_TOKEN);
        assert_eq!(
            field(&revoke["ClientSecret"]),
            secret.map(Value::from),
            "RevokeToken sends the secret itself"
        );
    }
}

#[tokio::test]
async fn refresh_with_a_secret_needs_a_username() {
    let server = Server::start(vec![ok(tokens_answer())]).await;
    let error = transport(&server, Some(SECRET))
        .initiate_auth(
            InitiateAuth::RefreshToken {
                refresh_token: SecretString::from(REFRESH_TOKEN),
                username: None,
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidInput {
                field: "username",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn initiate_auth_answers_tokens() {
    let server = Server::start(vec![ok(tokens_answer())]).await;
    let answer = transport(&server, None)
        .initiate_auth(
            InitiateAuth::UserPassword {
                username: user("alice"),
                password: Password::from(PASSWORD),
                device_key: None,
            },
            BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        )
        .await
        .unwrap();
    let AuthOutcome::Tokens(tokens) = answer else {
        panic!("expected tokens, got {answer:?}");
    };
    assert_eq!(tokens.access_token.expose(), ACCESS_TOKEN);
    assert_eq!(tokens.id_token.expose(), "eyJ.id.sig");
    assert_eq!(
        tokens.refresh_token.as_ref().map(SecretString::expose),
        Some(REFRESH_TOKEN)
    );
    assert_eq!(tokens.expires_in, Some(3600));
    assert_eq!(server.last().body["ClientMetadata"], json!({ "k": "v" }));
}

#[tokio::test]
async fn refresh_answer_without_refresh_token() {
    let server = Server::start(vec![ok(json!({
        "AuthenticationResult": {
            "AccessToken": ACCESS_TOKEN, "IdToken": "eyJ.id.sig", "ExpiresIn": 3600
        }
    }))])
    .await;
    let answer = transport(&server, None)
        .initiate_auth(
            InitiateAuth::RefreshToken {
                refresh_token: SecretString::from(REFRESH_TOKEN),
                username: None,
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap();
    let AuthOutcome::Tokens(tokens) = answer else {
        panic!("expected tokens");
    };
    assert_eq!(tokens.refresh_token, None);
}

#[tokio::test]
async fn initiate_auth_answers_a_challenge() {
    // moto's quirks: a SECRET_BLOCK that is a UUID, USER_ID_FOR_SRP = the sub.
    let server = Server::start(vec![ok(json!({
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": "session-1",
        "ChallengeParameters": {
            "SALT": "-1a2b",
            "SRP_B": "ffee",
            "SECRET_BLOCK": "0b7b2a5e-6c63-4b4b-9c84-3f4f6f1a2b3c",
            "USER_ID_FOR_SRP": "sub-1234",
            "USERNAME": "sub-1234"
        }
    }))])
    .await;
    let answer = transport(&server, None)
        .initiate_auth(
            InitiateAuth::UserSrp {
                username: user("alice@example.com"),
                srp_a: "0abc".into(),
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap();
    let AuthOutcome::Challenge(challenge) = answer else {
        panic!("expected a challenge, got {answer:?}");
    };
    assert_eq!(challenge.name, ChallengeName::PasswordVerifier);
    assert_eq!(
        challenge.session.as_ref().map(SecretString::expose),
        Some("session-1")
    );
    assert_eq!(
        challenge.parameters["SECRET_BLOCK"],
        "0b7b2a5e-6c63-4b4b-9c84-3f4f6f1a2b3c"
    );
    assert_eq!(challenge.parameters["SALT"], "-1a2b");
    assert_eq!(challenge.parameters.len(), 5);
    assert!(server.last().body.get("ClientMetadata").is_none());
}

#[tokio::test]
async fn unknown_challenge_names_are_kept() {
    let server = Server::start(vec![ok(json!({
        "ChallengeName": "BRAND_NEW_CHALLENGE", "Session": "s"
    }))])
    .await;
    let answer = transport(&server, None)
        .initiate_auth(
            InitiateAuth::UserSrp {
                username: user("a"),
                srp_a: "1".into(),
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap();
    let AuthOutcome::Challenge(challenge) = answer else {
        panic!("expected a challenge");
    };
    assert_eq!(
        challenge.name,
        ChallengeName::Other("BRAND_NEW_CHALLENGE".into())
    );
    assert!(challenge.parameters.is_empty());
}

#[tokio::test]
async fn password_verifier_and_new_password_responses() {
    let server = Server::start(vec![
        ok(json!({
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": "session-2",
            "ChallengeParameters": {
                "requiredAttributes": "[\"userAttributes.given_name\"]",
                "userAttributes": "{\"email\":\"a@b.c\"}",
                "USER_ID_FOR_SRP": "alice"
            }
        })),
        ok(tokens_answer()),
    ])
    .await;
    let t = transport(&server, Some(SECRET));
    let answer = t
        .respond_to_auth_challenge(
            ChallengeRequest::new(
                user("alice"),
                ChallengeResponse::PasswordVerifier {
                    secret_block: "0b7b2a5e-6c63-4b4b-9c84-3f4f6f1a2b3c".into(),
                    timestamp: "Tue Nov 3 12:34:56 UTC 2026".into(),
                    signature: SecretString::from("c2lnbmF0dXJl"),
                },
            )
            .with_session(Some(SecretString::from("session-1")))
            .with_device_key(Some("dk".into())),
        )
        .await
        .unwrap();
    let AuthOutcome::Challenge(challenge) = answer else {
        panic!("expected a challenge");
    };
    assert_eq!(challenge.name, ChallengeName::NewPasswordRequired);
    let verifier = server.last().body;
    assert_eq!(verifier["ChallengeName"], "PASSWORD_VERIFIER");
    assert_eq!(verifier["Session"], "session-1");
    let responses = &verifier["ChallengeResponses"];
    assert_eq!(
        responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        "0b7b2a5e-6c63-4b4b-9c84-3f4f6f1a2b3c"
    );
    assert_eq!(responses["TIMESTAMP"], "Tue Nov 3 12:34:56 UTC 2026");
    assert_eq!(responses["PASSWORD_CLAIM_SIGNATURE"], "c2lnbmF0dXJl");
    assert_eq!(responses["DEVICE_KEY"], "dk");
    assert_eq!(responses["SECRET_HASH"], expected_hash("alice"));

    let answer = t
        .respond_to_auth_challenge(
            ChallengeRequest::new(
                user("alice"),
                ChallengeResponse::NewPassword {
                    new_password: Password::from(PASSWORD),
                    attributes: Attributes::try_from([
                        ("given_name", "Alice"),
                        ("custom:team", "t"),
                    ])
                    .unwrap(),
                },
            )
            .with_session(challenge.session),
        )
        .await
        .unwrap();
    assert!(matches!(answer, AuthOutcome::Tokens(_)));
    let new_password = server.last().body;
    assert_eq!(new_password["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    assert_eq!(new_password["Session"], "session-2");
    assert_eq!(
        new_password["ChallengeResponses"],
        json!({
            "USERNAME": "alice",
            "NEW_PASSWORD": PASSWORD,
            "userAttributes.given_name": "Alice",
            "userAttributes.custom:team": "t",
            "SECRET_HASH": expected_hash("alice")
        })
    );
}

#[tokio::test]
async fn get_user_answer() {
    let server = Server::start(vec![ok(json!({
        "Username": "alice",
        "UserAttributes": [
            { "Name": "sub", "Value": "5f0a-sub" },
            { "Name": "email", "Value": "alice@example.com" },
            { "Name": "email_verified", "Value": "true" },
            { "Name": "custom:team", "Value": "t1" }
        ],
        "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
        "UserMFASettingList": ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]
    }))])
    .await;
    let user = transport(&server, None)
        .get_user(SecretString::from(ACCESS_TOKEN))
        .await
        .unwrap();
    assert_eq!(user.username().as_str(), "alice");
    assert_eq!(user.sub(), Some("5f0a-sub"));
    assert_eq!(user.email_verified(), Some(true));
    assert_eq!(user.attribute("custom:team"), Some("t1"));
    assert_eq!(user.preferred_mfa(), Some("SOFTWARE_TOKEN_MFA"));
    assert_eq!(user.mfa_methods(), ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]);
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.GetUser"
    );
    assert_eq!(request.body, json!({ "AccessToken": ACCESS_TOKEN }));
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn get_user_with_a_bad_answer_is_malformed() {
    let server = Server::start(vec![ok(json!({
        "Username": "alice",
        "UserAttributes": [{ "Name": "", "Value": "x" }]
    }))])
    .await;
    let error = transport(&server, None)
        .get_user(SecretString::from(ACCESS_TOKEN))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedResponse {
                operation: "GetUser",
                ..
            }
        ),
        "{error:?}"
    );
    let server = Server::start(vec![ok(json!({ "UserAttributes": [] }))]).await;
    let error = transport(&server, None)
        .get_user(SecretString::from(ACCESS_TOKEN))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn update_user_attributes_answer() {
    let server = Server::start(vec![
        ok(json!({
            "CodeDeliveryDetailsList": [
                { "Destination": "n***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email" },
                { "Destination": "+*******1234", "DeliveryMedium": "SMS", "AttributeName": "phone_number" }
            ]
        })),
        ok(json!({})),
    ])
    .await;
    let t = transport(&server, None);
    let attributes = Attributes::try_from([
        ("email", "new@example.com"),
        ("phone_number", "+15550001234"),
    ])
    .unwrap();
    let details = t
        .update_user_attributes(
            SecretString::from(ACCESS_TOKEN),
            attributes.clone(),
            no_metadata(),
        )
        .await
        .unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0].medium, Some(DeliveryMedium::Email));
    assert_eq!(details[1].medium, Some(DeliveryMedium::Sms));
    assert_eq!(details[1].attribute_name.as_deref(), Some("phone_number"));
    let body = server.last().body;
    assert_eq!(body["AccessToken"], ACCESS_TOKEN);
    assert_eq!(
        body["UserAttributes"],
        json!([
            { "Name": "email", "Value": "new@example.com" },
            { "Name": "phone_number", "Value": "+15550001234" }
        ])
    );
    // moto answers `{}`: no delivery details.
    let details = t
        .update_user_attributes(SecretString::from(ACCESS_TOKEN), attributes, no_metadata())
        .await
        .unwrap();
    assert!(details.is_empty());
}

#[tokio::test]
async fn token_operations_send_what_cognito_expects() {
    let server = Server::start(vec![
        ok(json!({})),
        ok(json!({})),
        ok(json!({ "CodeDeliveryDetails": { "DeliveryMedium": "SMS", "AttributeName": "phone_number" } })),
        ok(json!({})),
        ok(json!({})),
        ok(json!({})),
    ])
    .await;
    let t = transport(&server, None);
    let token = || SecretString::from(ACCESS_TOKEN);
    let name = |n: &str| AttributeName::new(n).unwrap();
    t.change_password(token(), Password::from("old-pw"), Password::from("new-pw"))
        .await
        .unwrap();
    t.delete_user_attributes(token(), vec![name("custom:team"), name("nickname")])
        .await
        .unwrap();
    let details = t
        .get_user_attribute_verification_code(token(), name("phone_number"), no_metadata())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(details.medium, Some(DeliveryMedium::Sms));
    assert_eq!(details.destination, None);
    t.verify_user_attribute(token(), name("email"), Code::from("424242"))
        .await
        .unwrap();
    t.global_sign_out(token()).await.unwrap();
    t.delete_user(token()).await.unwrap();

    let requests = server.requests();
    let expected = [
        (
            "ChangePassword",
            json!({ "AccessToken": ACCESS_TOKEN, "PreviousPassword": "old-pw", "ProposedPassword": "new-pw" }),
        ),
        (
            "DeleteUserAttributes",
            json!({ "AccessToken": ACCESS_TOKEN, "UserAttributeNames": ["custom:team", "nickname"] }),
        ),
        (
            "GetUserAttributeVerificationCode",
            json!({ "AccessToken": ACCESS_TOKEN, "AttributeName": "phone_number" }),
        ),
        (
            "VerifyUserAttribute",
            json!({ "AccessToken": ACCESS_TOKEN, "AttributeName": "email", "Code": "424242" }),
        ),
        ("GlobalSignOut", json!({ "AccessToken": ACCESS_TOKEN })),
        ("DeleteUser", json!({ "AccessToken": ACCESS_TOKEN })),
    ];
    assert_eq!(requests.len(), expected.len());
    for (request, (operation, body)) in requests.iter().zip(expected) {
        assert_eq!(
            request.target(),
            format!("AWSCognitoIdentityProviderService.{operation}")
        );
        assert_eq!(request.body, body, "{operation}");
        assert_eq!(request.header("authorization"), None, "{operation}");
    }
}

// ---------------------------------------------------------------------------------------
// Errors and retries
// ---------------------------------------------------------------------------------------

async fn sign_in_error(replies: Vec<Reply>) -> (Error, usize) {
    let server = Server::start(replies).await;
    let error = transport(&server, None)
        .initiate_auth(
            InitiateAuth::UserPassword {
                username: user("alice"),
                password: Password::from(PASSWORD),
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap_err();
    (error, server.count())
}

#[tokio::test]
async fn not_authorized_is_typed_and_never_retried() {
    let (error, requests) = sign_in_error(vec![exception(
        400,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )])
    .await;
    assert!(matches!(error, Error::NotAuthorized { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "NotAuthorizedException: Incorrect username or password."
    );
    assert_eq!(requests, 1, "NotAuthorizedException must not be retried");
}

#[tokio::test]
async fn service_exceptions_by_name() {
    let (error, requests) = sign_in_error(vec![exception(
        400,
        "CodeMismatchException",
        "Invalid code.",
    )])
    .await;
    assert!(matches!(error, Error::CodeMismatch { .. }), "{error:?}");
    assert_eq!(error.code(), Some("CodeMismatchException"));
    assert_eq!(requests, 1);

    let (error, _) = sign_in_error(vec![exception(
        400,
        "UserNotConfirmedException",
        "User is not confirmed.",
    )])
    .await;
    assert!(matches!(error, Error::UserNotConfirmed { .. }), "{error:?}");

    // The AWS JSON protocol may qualify the name.
    let (error, _) = sign_in_error(vec![exception(
        400,
        "com.amazonaws.cognito.identity.idp#UserNotFoundException",
        "User does not exist.",
    )])
    .await;
    assert!(matches!(error, Error::UserNotFound { .. }), "{error:?}");

    let (error, requests) =
        sign_in_error(vec![exception(400, "BrandNewException", "Something new.")]).await;
    match &error {
        Error::Service { code, message } => {
            assert_eq!(code, "BrandNewException");
            assert_eq!(message, "Something new.");
        }
        other => panic!("expected Error::Service, got {other:?}"),
    }
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn limit_exceeded_is_not_retried() {
    let (error, requests) = sign_in_error(vec![exception(
        400,
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )])
    .await;
    assert!(matches!(error, Error::LimitExceeded { .. }), "{error:?}");
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn one_attempt_per_call_retries_are_the_callers() {
    // Throttled: one request, a typed error the caller may retry.
    let (error, requests) = sign_in_error(vec![exception(
        429,
        "TooManyRequestsException",
        "Rate exceeded",
    )])
    .await;
    assert!(matches!(error, Error::TooManyRequests { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(requests, 1);
    // A 5xx: one request too.
    let (error, requests) = sign_in_error(vec![Reply::Raw(503, "text/plain", "busy".into())]).await;
    assert!(matches!(error, Error::InternalError { .. }), "{error:?}");
    assert_eq!(requests, 1);
}

/// An SDK client of the caller's, configured to retry, is turned to one attempt too:
/// there is one retry layer, the facade's.
#[tokio::test]
async fn a_callers_sdk_client_does_not_retry_either() {
    let server = Server::start(vec![exception(
        429,
        "TooManyRequestsException",
        "Rate exceeded",
    )])
    .await;
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest())
        .region(aws_sdk_cognitoidentityprovider::config::Region::new(
            "eu-west-1",
        ))
        .endpoint_url(server.url())
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .retry_config(
            aws_sdk_cognitoidentityprovider::config::retry::RetryConfig::standard()
                .with_max_attempts(5)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .build();
    let client = aws_sdk_cognitoidentityprovider::Client::from_conf(config);
    let t = SdkTransport::from_client(client, client_id(), None);
    let error = t
        .global_sign_out(SecretString::from(ACCESS_TOKEN))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::TooManyRequests { .. }), "{error:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn html_500_is_a_typed_error() {
    let html = "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>\
                <body><h1>Internal Server Error</h1><p>NotImplementedError: RevokeToken</p>\
                </body></html>";
    let server = Server::start(vec![Reply::Raw(
        500,
        "text/html; charset=utf-8",
        html.into(),
    )])
    .await;
    let error = transport(&server, None)
        .revoke_token(SecretString::from(REFRESH_TOKEN))
        .await
        .unwrap_err();
    match &error {
        Error::InternalError { message } => {
            assert_eq!(message, "HTTP 500 with a non-JSON body")
        }
        other => panic!("expected InternalError, got {other:?}"),
    }
    assert!(error.is_retryable());
    assert!(!format!("{error:?} {error}").contains("html"));
    assert_eq!(server.count(), 1, "one attempt: the facade retries");
}

#[tokio::test]
async fn json_500_exception_is_internal_error() {
    let (error, requests) = sign_in_error(vec![exception(
        500,
        "InternalErrorException",
        "Internal error",
    )])
    .await;
    assert!(matches!(error, Error::InternalError { .. }), "{error:?}");
    assert_eq!(requests, 1);
}

/// A 5xx whose exception name is not in the table is a service fault, retried like one
/// (it used to be an unknown `Service` error, never retried).
#[tokio::test]
async fn unknown_5xx_exceptions_are_retryable_internal_errors() {
    for (status, name) in [(500, "InternalFailure"), (503, "ServiceUnavailable")] {
        let (error, requests) =
            sign_in_error(vec![exception(status, name, "Please try again")]).await;
        match &error {
            Error::InternalError { message } => {
                assert!(
                    message.starts_with(&format!("{name} (HTTP {status})")),
                    "{message}"
                )
            }
            other => panic!("expected InternalError, got {other:?}"),
        }
        assert!(error.is_retryable());
        assert_eq!(requests, 1, "{name}");
    }
    // A 4xx with an unknown name stays what it is.
    let (error, _) = sign_in_error(vec![exception(400, "BrandNewException", "new")]).await;
    assert!(matches!(error, Error::Service { .. }), "{error:?}");
}

#[tokio::test]
async fn non_json_4xx_is_malformed() {
    let (error, requests) = sign_in_error(vec![Reply::Raw(
        404,
        "text/html",
        "<html>Not Found</html>".into(),
    )])
    .await;
    match &error {
        Error::MalformedResponse { operation, reason } => {
            assert_eq!(*operation, "InitiateAuth");
            assert_eq!(reason, "HTTP 404 with a non-JSON body");
        }
        other => panic!("expected MalformedResponse, got {other:?}"),
    }
    assert_eq!(requests, 1);

    let (error, _) =
        sign_in_error(vec![Reply::Json(400, json!({"message": "?"}).to_string())]).await;
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn malformed_json_answer() {
    let (error, requests) = sign_in_error(vec![Reply::Json(
        200,
        "{\"AuthenticationResult\": {".into(),
    )])
    .await;
    assert!(
        matches!(
            error,
            Error::MalformedResponse {
                operation: "InitiateAuth",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(requests, 1);

    let (error, _) =
        sign_in_error(vec![Reply::Raw(200, "text/html", "<html>hi</html>".into())]).await;
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );

    let (error, _) = sign_in_error(vec![ok(json!({ "AuthenticationResult": "nope" }))]).await;
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn missing_fields_are_malformed() {
    let (error, _) = sign_in_error(vec![ok(json!({
        "AuthenticationResult": { "IdToken": "eyJ.id.sig", "ExpiresIn": 3600 }
    }))])
    .await;
    match &error {
        Error::MalformedResponse { operation, reason } => {
            assert_eq!(*operation, "InitiateAuth");
            assert_eq!(reason, "AuthenticationResult without AccessToken");
        }
        other => panic!("expected MalformedResponse, got {other:?}"),
    }
    let (error, _) = sign_in_error(vec![ok(json!({
        "AuthenticationResult": { "AccessToken": ACCESS_TOKEN }
    }))])
    .await;
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
    let (error, _) = sign_in_error(vec![ok(json!({}))]).await;
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );

    let server = Server::start(vec![ok(json!({ "UserConfirmed": false }))]).await;
    let error = transport(&server, None)
        .sign_up(sign_up_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedResponse {
                operation: "SignUp",
                ..
            }
        ),
        "{error:?}"
    );
}

/// The messages of an error's sources, outermost first.
fn source_chain(error: &Error) -> Vec<String> {
    std::iter::successors(std::error::Error::source(error), |e| e.source())
        .map(ToString::to_string)
        .collect()
}

#[tokio::test]
async fn hang_up_is_a_network_error() {
    let (error, requests) = sign_in_error(vec![Reply::HangUp]).await;
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    assert!(std::error::Error::source(&error).is_some());
    // The message says what failed, the source chain why; no text is in both.
    for cause in source_chain(&error) {
        assert!(!error.to_string().contains(&cause), "{error} / {cause}");
    }
    assert!(error.is_retryable());
    assert_eq!(requests, 1, "one attempt: the facade retries");
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let t = SdkTransport::builder()
        .client_id(client_id())
        .region("eu-west-1")
        .endpoint(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let error = t
        .initiate_auth(
            InitiateAuth::UserPassword {
                username: user("alice"),
                password: Password::from(PASSWORD),
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap_err();
    match &error {
        Error::Network { reason, source } => {
            assert!(source.is_some());
            assert!(reason.starts_with("InitiateAuth: "), "{reason}");
            // The cause is in the source chain, and only there.
            let causes = source_chain(&error);
            assert!(
                causes.iter().any(|c| c.to_lowercase().contains("refused")),
                "{causes:?}"
            );
            assert!(!reason.to_lowercase().contains("refused"), "{reason}");
            for cause in &causes {
                assert!(
                    !error.to_string().contains(cause.as_str()),
                    "{error} / {cause}"
                );
            }
        }
        other => panic!("expected Network, got {other:?}"),
    }
    let shown = format!("{error:?} {error}");
    assert!(!shown.contains(PASSWORD), "{shown}");
}

#[tokio::test]
async fn silent_server_times_out() {
    let server = Server::start(vec![Reply::Silent]).await;
    let t = SdkTransport::builder()
        .client_id(client_id())
        .region("eu-west-1")
        .endpoint(server.url())
        .operation_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = t
        .get_user(SecretString::from(ACCESS_TOKEN))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    match &error {
        Error::Network { reason, source } => {
            assert_eq!(reason, "GetUser timed out");
            assert!(source.is_some());
        }
        other => panic!("expected Network, got {other:?}"),
    }
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(server.count(), 1);
}

// ---------------------------------------------------------------------------------------
// Secrets stay secret
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    let server = Server::start(vec![
        exception(
            400,
            "NotAuthorizedException",
            "Incorrect username or password.",
        ),
        Reply::HangUp,
    ])
    .await;
    let t = transport(&server, Some(SECRET));
    let shown = format!("{t:?} {t:#?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains(CLIENT_ID), "{shown}");
    assert!(shown.contains("eu-west-1"), "{shown}");
    assert!(shown.contains(&server.url()), "{shown}");
    assert!(shown.contains("has_secret: true"), "{shown}");
    let builder = SdkTransport::builder().client_secret(Some(ClientSecret::from(SECRET)));
    assert!(!format!("{builder:?}").contains(SECRET));

    let request = || InitiateAuth::UserPassword {
        username: user("alice"),
        password: Password::from(PASSWORD),
        device_key: None,
    };
    let rejected = t.initiate_auth(request(), no_metadata()).await.unwrap_err();
    let dropped = t.initiate_auth(request(), no_metadata()).await.unwrap_err();
    let refresh = t
        .initiate_auth(
            InitiateAuth::RefreshToken {
                refresh_token: SecretString::from(REFRESH_TOKEN),
                username: Some(user("alice")),
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap_err();
    for error in [rejected, dropped, refresh] {
        let mut shown = format!("{error:?} {error:#?} {error}");
        let mut source = std::error::Error::source(&error);
        while let Some(s) = source {
            shown.push_str(&format!(" {s:?} {s}"));
            source = s.source();
        }
        for secret in [SECRET, PASSWORD, REFRESH_TOKEN, &expected_hash("alice")] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------

#[test]
fn builder_requires_region_and_client_id() {
    let error = SdkTransport::builder()
        .client_id(client_id())
        .build()
        .unwrap_err();
    match &error {
        Error::Config { reason } => assert!(reason.contains("region"), "{reason}"),
        other => panic!("expected Config, got {other:?}"),
    }
    let error = SdkTransport::builder()
        .region("eu-west-1")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    for bad in [
        SdkTransport::builder()
            .client_id(client_id())
            .region("Not A Region"),
        SdkTransport::builder()
            .client_id(client_id())
            .region("eu-west-1")
            .endpoint("127.0.0.1:9229"),
    ] {
        assert!(matches!(bad.build(), Err(Error::Config { .. })));
    }
    // Building does no I/O and needs no runtime.
    let t = SdkTransport::builder()
        .client_id(client_id())
        .region("eu-west-1")
        .build()
        .unwrap();
    assert_eq!(t.region(), Some("eu-west-1"));
    assert_eq!(t.endpoint(), None);
    assert!(!t.has_secret());
    assert_eq!(t.client_id().as_str(), CLIENT_ID);
}

#[tokio::test]
async fn from_client_uses_the_given_sdk_client() {
    let server = Server::start(vec![ok(json!({}))]).await;
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest())
        .region(aws_sdk_cognitoidentityprovider::config::Region::new(
            "us-east-1",
        ))
        .endpoint_url(server.url())
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .build();
    let t = SdkTransport::from_client(
        aws_sdk_cognitoidentityprovider::Client::from_conf(config),
        client_id(),
        Some(ClientSecret::from(SECRET)),
    );
    assert_eq!(t.region(), Some("us-east-1"));
    assert!(!format!("{t:?}").contains(SECRET));
    t.confirm_sign_up(user("bob"), Code::from("1"), false, no_metadata())
        .await
        .unwrap();
    let request = server.last();
    assert_eq!(request.body["SecretHash"], expected_hash("bob"));
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn with_sdk_config_takes_region_and_endpoint() {
    let server = Server::start(vec![ok(json!({}))]).await;
    let sdk_config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(server.url())
        .build();
    let t = SdkTransport::with_sdk_config(&sdk_config, client_id(), None).unwrap();
    assert_eq!(t.region(), Some("us-east-1"));
    assert_eq!(t.endpoint(), Some(server.url().as_str()));
    t.global_sign_out(SecretString::from(ACCESS_TOKEN))
        .await
        .unwrap();
    assert_eq!(server.count(), 1);

    let no_region = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    assert!(matches!(
        SdkTransport::with_sdk_config(&no_region, client_id(), None),
        Err(Error::Config { .. })
    ));
}

/// `from_env` reads the region and the endpoint from the environment and never asks the
/// instance metadata service: the test points `AWS_EC2_METADATA_SERVICE_ENDPOINT` at a
/// local trap and checks that it gets no request, with a region and without one.
///
/// Environment variables cannot be set in-process (`set_var` is unsafe and this
/// workspace forbids unsafe code), so the test runs `from_env_child` in a child process
/// with a clean environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_env_reads_region_and_endpoint_and_never_asks_imds() {
    let imds = Server::start(vec![Reply::Raw(200, "text/plain", "eu-west-3".into())]).await;
    for (mode, region) in [("region", Some("eu-north-1")), ("none", None)] {
        let cognito = Server::start(vec![ok(json!({}))]).await;
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "from_env_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env_clear()
            .env("USERPOOL_TRANSPORT_FROM_ENV_CHILD", mode)
            .env("HOME", "/nonexistent/userpool-transport-test")
            .env(
                "AWS_CONFIG_FILE",
                "/nonexistent/userpool-transport-test/config",
            )
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/userpool-transport-test/credentials",
            )
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url())
            .env("AWS_ENDPOINT_URL", cognito.url());
        if let Some(region) = region {
            command.env("AWS_REGION", region);
        }
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap();
        assert!(
            output.status.success(),
            "child {mode} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let ran = String::from_utf8_lossy(&output.stdout);
        assert!(ran.contains("1 passed"), "{ran}");
        assert_eq!(cognito.count(), usize::from(region.is_some()), "{mode}");
    }
    assert_eq!(imds.count(), 0, "the instance metadata service was asked");
}

/// The child half of the test above; does nothing when run on its own.
#[tokio::test]
async fn from_env_child() {
    let Ok(mode) = std::env::var("USERPOOL_TRANSPORT_FROM_ENV_CHILD") else {
        return;
    };
    match mode.as_str() {
        "region" => {
            let t = SdkTransport::from_env(client_id(), None).await.unwrap();
            assert_eq!(t.region(), Some("eu-north-1"));
            let endpoint = t.endpoint().expect("AWS_ENDPOINT_URL was not read");
            // Never call anything but the local server.
            assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
            t.global_sign_out(SecretString::from(ACCESS_TOKEN))
                .await
                .unwrap();
        }
        "none" => {
            let error = SdkTransport::from_env(client_id(), None).await.unwrap_err();
            assert!(matches!(error, Error::Config { .. }), "{error:?}");
        }
        other => panic!("unknown mode {other}"),
    }
}
