//! `SdkTransport`'s refresh with `GetTokensFromRefreshToken` and its device calls over
//! real HTTP against the recording in-test server: the exact JSON Cognito receives and
//! how its answers (`NewDeviceMetadata`, `DeviceType`, pages, exceptions) are read.

mod common;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use userpool_transport::{
    AuthOutcome, ChallengeRequest, ChallengeResponse, ConfirmDeviceRequest, DeviceVerifierConfig,
    InitiateAuth, RefreshRequest, Transport,
};
use userpool_types::{
    DEVICE_REMEMBERED_STATUS_ATTRIBUTE, DeviceRememberedStatus, Error, NewDeviceMetadata,
    SecretString,
};

use common::*;

const DEVICE_KEY: &str = "eu-west-1_0d5e5e0c-1b2a-4c3d-9e8f-0123456789ab";
const GROUP_KEY: &str = "-Qh2Z1XyQ";
const ROTATED: &str = "eyJ.rotated-refresh-token-never-logged.sig";

fn access() -> SecretString {
    SecretString::from(ACCESS_TOKEN)
}

fn tokens_with_device(refresh_token: Option<&str>) -> Value {
    let mut result = json!({
        "AccessToken": ACCESS_TOKEN,
        "IdToken": "eyJ.id.sig",
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
        "NewDeviceMetadata": { "DeviceKey": DEVICE_KEY, "DeviceGroupKey": GROUP_KEY }
    });
    if let Some(token) = refresh_token {
        result["RefreshToken"] = json!(token);
    }
    json!({ "AuthenticationResult": result })
}

fn device_json(key: &str, status: &str) -> Value {
    json!({
        "DeviceKey": key,
        "DeviceAttributes": [
            { "Name": "device_status", "Value": "valid" },
            { "Name": "device_name", "Value": "Ada's laptop" },
            { "Name": "last_ip_used", "Value": "192.0.2.1" },
            { "Name": "dev:device_remembered_status", "Value": status }
        ],
        "DeviceCreateDate": 1715100742.022,
        "DeviceLastModifiedDate": 1723233651.167,
        "DeviceLastAuthenticatedDate": 1715100742.0
    })
}

// ---------------------------------------------------------------------------------------
// GetTokensFromRefreshToken
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn refresh_sends_the_client_secret_and_reads_a_rotated_token() {
    let server = Server::start(vec![ok(tokens_with_device(Some(ROTATED)))]).await;
    let tokens = transport(&server, Some(SECRET))
        .get_tokens_from_refresh_token(
            RefreshRequest::new(SecretString::from(REFRESH_TOKEN))
                .with_device_key(Some(DEVICE_KEY.into()))
                .with_client_metadata(BTreeMap::from([("app".to_owned(), "t".to_owned())])),
        )
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose(), ACCESS_TOKEN);
    assert_eq!(tokens.id_token.expose(), "eyJ.id.sig");
    assert_eq!(
        tokens.refresh_token.as_ref().map(SecretString::expose),
        Some(ROTATED)
    );
    assert_eq!(tokens.expires_in, Some(3600));

    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken"
    );
    assert_eq!(request.header("authorization"), None, "a public operation");
    // The secret itself, never a SECRET_HASH (the operation has no such field).
    assert_eq!(
        request.body,
        json!({
            "ClientId": CLIENT_ID,
            "RefreshToken": REFRESH_TOKEN,
            "ClientSecret": SECRET,
            "DeviceKey": DEVICE_KEY,
            "ClientMetadata": { "app": "t" }
        })
    );
}

#[tokio::test]
async fn refresh_without_secret_or_device_sends_the_token_alone() {
    let server = Server::start(vec![ok(json!({
        "AuthenticationResult": {
            "AccessToken": ACCESS_TOKEN,
            "IdToken": "eyJ.id.sig",
            "ExpiresIn": 3600
        }
    }))])
    .await;
    let tokens = transport(&server, None)
        .get_tokens_from_refresh_token(
            RefreshRequest::new(SecretString::from(REFRESH_TOKEN)).with_device_key(Some("".into())),
        )
        .await
        .unwrap();
    // Not rotated: no new refresh token, and no device registered.
    assert_eq!(tokens.refresh_token, None);
    assert_eq!(tokens.new_device_metadata, None);
    assert_eq!(
        server.last().body,
        json!({ "ClientId": CLIENT_ID, "RefreshToken": REFRESH_TOKEN })
    );
}

#[tokio::test]
async fn refresh_failures_are_typed() {
    let server = Server::start(vec![
        exception(
            400,
            "RefreshTokenReuseException",
            "Refresh token has been used",
        ),
        exception(
            400,
            "UnknownOperationException",
            "GetTokensFromRefreshToken",
        ),
        exception(400, "NotAuthorizedException", "Invalid Refresh Token"),
        exception(
            400,
            "OperationNotEnabledException",
            "Refresh token rotation is not enabled",
        ),
        ok(json!({})),
        ok(json!({ "AuthenticationResult": { "IdToken": "eyJ.id.sig" } })),
    ])
    .await;
    let t = transport(&server, None);
    let refresh =
        || t.get_tokens_from_refresh_token(RefreshRequest::new(SecretString::from(REFRESH_TOKEN)));

    let reused = refresh().await.unwrap_err();
    assert_eq!(
        reused.code(),
        Some("RefreshTokenReuseException"),
        "{reused:?}"
    );
    assert!(!reused.is_retryable());
    let unknown = refresh().await.unwrap_err();
    assert!(unknown.is_unknown_operation(), "{unknown:?}");
    assert!(
        !unknown.ends_session(),
        "an older server says nothing of the token"
    );
    let refused = refresh().await.unwrap_err();
    assert!(refused.ends_session(), "{refused:?}");
    let off = refresh().await.unwrap_err();
    assert!(matches!(off, Error::OperationNotEnabled { .. }), "{off:?}");
    for _ in 0..2 {
        let malformed = refresh().await.unwrap_err();
        assert!(
            matches!(
                malformed,
                Error::MalformedResponse {
                    operation: "GetTokensFromRefreshToken",
                    ..
                }
            ),
            "{malformed:?}"
        );
    }
    assert_eq!(server.count(), 6, "one attempt per call");
}

// ---------------------------------------------------------------------------------------
// NewDeviceMetadata on every answer with tokens
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn new_device_metadata_is_read_from_every_answer_with_tokens() {
    let server = Server::start(vec![ok(tokens_with_device(Some(REFRESH_TOKEN)))]).await;
    let t = transport(&server, None);
    let expected = Some(NewDeviceMetadata::new(DEVICE_KEY, GROUP_KEY));

    let outcome = t
        .initiate_auth(
            InitiateAuth::UserPassword {
                username: user("alice"),
                password: PASSWORD.into(),
                device_key: None,
            },
            no_metadata(),
        )
        .await
        .unwrap();
    let AuthOutcome::Tokens(tokens) = outcome else {
        panic!("expected tokens");
    };
    assert_eq!(tokens.new_device_metadata, expected);

    let outcome = t
        .respond_to_auth_challenge(
            ChallengeRequest::new(
                user("alice"),
                ChallengeResponse::SmsMfa {
                    code: "123456".into(),
                },
            )
            .with_session(Some("s".into())),
        )
        .await
        .unwrap();
    let AuthOutcome::Tokens(tokens) = outcome else {
        panic!("expected tokens");
    };
    assert_eq!(tokens.new_device_metadata, expected);

    let tokens = t
        .get_tokens_from_refresh_token(RefreshRequest::new(REFRESH_TOKEN.into()))
        .await
        .unwrap();
    assert_eq!(tokens.new_device_metadata, expected);
}

#[tokio::test]
async fn half_a_device_registration_is_left_out() {
    let half = |metadata: Value| {
        ok(json!({
            "AuthenticationResult": {
                "AccessToken": ACCESS_TOKEN,
                "IdToken": "eyJ.id.sig",
                "NewDeviceMetadata": metadata
            }
        }))
    };
    let server = Server::start(vec![
        half(json!({ "DeviceKey": DEVICE_KEY })),
        half(json!({ "DeviceKey": "", "DeviceGroupKey": GROUP_KEY })),
    ])
    .await;
    let t = transport(&server, None);
    for _ in 0..2 {
        let tokens = t
            .get_tokens_from_refresh_token(RefreshRequest::new(REFRESH_TOKEN.into()))
            .await
            .unwrap();
        assert_eq!(tokens.access_token.expose(), ACCESS_TOKEN);
        assert_eq!(tokens.new_device_metadata, None);
    }
}

// ---------------------------------------------------------------------------------------
// ConfirmDevice
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn confirm_device_request_and_answers() {
    let server = Server::start(vec![
        ok(json!({ "UserConfirmationNecessary": true })),
        ok(json!({})),
        exception(400, "DeviceKeyExistsException", "Device key already exists"),
        exception(400, "InvalidPasswordException", "bad verifier"),
    ])
    .await;
    // With a secret: ConfirmDevice takes no SECRET_HASH, so none is sent.
    let t = transport(&server, Some(SECRET));
    let request = |name: Option<&str>| {
        ConfirmDeviceRequest::new(
            access(),
            DEVICE_KEY,
            DeviceVerifierConfig::new("dmVyaWZpZXI=", "c2FsdA=="),
        )
        .with_device_name(name.map(str::to_owned))
    };

    assert!(
        t.confirm_device(request(Some("Ada's laptop")))
            .await
            .unwrap()
    );
    let sent = server.last();
    assert_eq!(
        sent.target(),
        "AWSCognitoIdentityProviderService.ConfirmDevice"
    );
    assert_eq!(
        sent.body,
        json!({
            "AccessToken": ACCESS_TOKEN,
            "DeviceKey": DEVICE_KEY,
            "DeviceSecretVerifierConfig": {
                "PasswordVerifier": "dmVyaWZpZXI=",
                "Salt": "c2FsdA=="
            },
            "DeviceName": "Ada's laptop"
        })
    );

    // No name (an empty one alike) is left out; an answer without the flag is false.
    assert!(!t.confirm_device(request(Some(""))).await.unwrap());
    assert!(server.last().body.get("DeviceName").is_none());

    let error = t.confirm_device(request(None)).await.unwrap_err();
    assert!(matches!(error, Error::DeviceKeyExists { .. }), "{error:?}");
    let error = t.confirm_device(request(None)).await.unwrap_err();
    assert!(matches!(error, Error::InvalidPassword { .. }), "{error:?}");
}

// ---------------------------------------------------------------------------------------
// GetDevice, ListDevices
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_device_reads_names_status_and_times() {
    let server = Server::start(vec![
        ok(json!({ "Device": device_json(DEVICE_KEY, "remembered") })),
        ok(json!({ "Device": device_json(DEVICE_KEY, "some_later_status") })),
        ok(json!({})),
        ok(json!({ "Device": { "DeviceAttributes": [] } })),
        exception(400, "ResourceNotFoundException", "Device does not exist."),
    ])
    .await;
    let t = transport(&server, None);

    let device = t.get_device(access(), DEVICE_KEY.into()).await.unwrap();
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.GetDevice"
    );
    assert_eq!(
        request.body,
        json!({ "AccessToken": ACCESS_TOKEN, "DeviceKey": DEVICE_KEY })
    );
    assert_eq!(device.key, DEVICE_KEY);
    assert_eq!(device.name.as_deref(), Some("Ada's laptop"));
    assert_eq!(
        device.remembered_status,
        Some(DeviceRememberedStatus::Remembered)
    );
    assert!(device.is_remembered());
    assert_eq!(device.created_at, Some(1715100742));
    assert_eq!(device.last_modified_at, Some(1723233651));
    assert_eq!(device.last_authenticated_at, Some(1715100742));
    assert_eq!(
        device.attributes,
        BTreeMap::from([
            ("device_status".to_owned(), "valid".to_owned()),
            ("last_ip_used".to_owned(), "192.0.2.1".to_owned()),
        ])
    );

    // A status this version does not know is kept as an attribute.
    let device = t.get_device(access(), DEVICE_KEY.into()).await.unwrap();
    assert_eq!(device.remembered_status, None);
    assert_eq!(
        device.attributes[DEVICE_REMEMBERED_STATUS_ATTRIBUTE],
        "some_later_status"
    );

    // No device, or a device without its key, is no answer to read.
    for _ in 0..2 {
        let error = t.get_device(access(), DEVICE_KEY.into()).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::MalformedResponse {
                    operation: "GetDevice",
                    ..
                }
            ),
            "{error:?}"
        );
    }
    let error = t.get_device(access(), DEVICE_KEY.into()).await.unwrap_err();
    assert!(matches!(error, Error::ResourceNotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn list_devices_pages() {
    let server = Server::start(vec![
        ok(json!({
            "Devices": [
                device_json("eu-west-1_a", "remembered"),
                device_json("eu-west-1_b", "not_remembered")
            ],
            "PaginationToken": "page-2"
        })),
        ok(json!({ "Devices": [device_json("eu-west-1_c", "remembered")] })),
        ok(json!({})),
        ok(json!({ "Devices": [{ "DeviceAttributes": [] }] })),
    ])
    .await;
    let t = transport(&server, Some(SECRET));

    let page = t.list_devices(access(), Some(2), None).await.unwrap();
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.ListDevices"
    );
    assert_eq!(
        request.body,
        json!({ "AccessToken": ACCESS_TOKEN, "Limit": 2 })
    );
    let keys: Vec<&str> = page.devices.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["eu-west-1_a", "eu-west-1_b"]);
    assert_eq!(
        page.devices[1].remembered_status,
        Some(DeviceRememberedStatus::NotRemembered)
    );
    assert_eq!(page.pagination_token.as_deref(), Some("page-2"));

    let page = t
        .list_devices(access(), Some(2), page.pagination_token)
        .await
        .unwrap();
    assert_eq!(
        server.last().body,
        json!({ "AccessToken": ACCESS_TOKEN, "Limit": 2, "PaginationToken": "page-2" })
    );
    assert_eq!(page.devices.len(), 1);
    assert_eq!(page.pagination_token, None, "the last page");

    // No limit and an empty token are left out; an empty answer is an empty last page.
    let page = t
        .list_devices(access(), None, Some(String::new()))
        .await
        .unwrap();
    assert_eq!(server.last().body, json!({ "AccessToken": ACCESS_TOKEN }));
    assert!(page.devices.is_empty() && page.pagination_token.is_none());

    let error = t.list_devices(access(), None, None).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedResponse {
                operation: "ListDevices",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_limit_beyond_the_wire_type_is_sent_clamped_not_panicked_on() {
    let server = Server::start(vec![exception(
        400,
        "InvalidParameterException",
        "1 validation error detected: Value at 'limit' failed to satisfy constraint",
    )])
    .await;
    let error = transport(&server, None)
        .list_devices(access(), Some(u32::MAX), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidParameter { .. }), "{error:?}");
    assert_eq!(server.last().body["Limit"], i64::from(i32::MAX));
}

// ---------------------------------------------------------------------------------------
// ForgetDevice, UpdateDeviceStatus
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn forget_and_update_status_requests() {
    let server = Server::start(vec![
        ok(json!({})),
        ok(json!({})),
        ok(json!({})),
        exception(
            400,
            "NotAuthorizedException",
            "Access Token has been revoked",
        ),
        exception(
            400,
            "OperationNotEnabledException",
            "Device tracking is off",
        ),
    ])
    .await;
    let t = transport(&server, Some(SECRET));

    t.forget_device(access(), DEVICE_KEY.into()).await.unwrap();
    let request = server.last();
    assert_eq!(
        request.target(),
        "AWSCognitoIdentityProviderService.ForgetDevice"
    );
    assert_eq!(
        request.body,
        json!({ "AccessToken": ACCESS_TOKEN, "DeviceKey": DEVICE_KEY })
    );

    for (status, name) in [
        (DeviceRememberedStatus::Remembered, "remembered"),
        (DeviceRememberedStatus::NotRemembered, "not_remembered"),
    ] {
        t.update_device_status(access(), DEVICE_KEY.into(), status)
            .await
            .unwrap();
        let request = server.last();
        assert_eq!(
            request.target(),
            "AWSCognitoIdentityProviderService.UpdateDeviceStatus"
        );
        assert_eq!(
            request.body,
            json!({
                "AccessToken": ACCESS_TOKEN,
                "DeviceKey": DEVICE_KEY,
                "DeviceRememberedStatus": name
            })
        );
    }

    let error = t
        .forget_device(access(), DEVICE_KEY.into())
        .await
        .unwrap_err();
    assert!(error.is_not_authorized(), "{error:?}");
    let error = t
        .update_device_status(
            access(),
            DEVICE_KEY.into(),
            DeviceRememberedStatus::Remembered,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::OperationNotEnabled { .. }),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Device challenges
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn device_challenge_answers_carry_cognitos_names_and_the_secret_hash() {
    let server = Server::start(vec![
        ok(json!({
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": "session-2",
            "ChallengeParameters": {
                "SRP_B": "ab12",
                "SALT": "cd34",
                "SECRET_BLOCK": "c2VjcmV0",
                "USERNAME": "alice-sub",
                "DEVICE_KEY": DEVICE_KEY
            }
        })),
        ok(common::tokens_answer()),
    ])
    .await;
    let t = transport(&server, Some(SECRET));
    let hash = expected_hash("alice-sub");

    let outcome = t
        .respond_to_auth_challenge(
            ChallengeRequest::new(
                user("alice-sub"),
                ChallengeResponse::DeviceSrpAuth {
                    srp_a: "0a1b2c".into(),
                },
            )
            .with_session(Some("session-1".into()))
            .with_device_key(Some(DEVICE_KEY.into())),
        )
        .await
        .unwrap();
    let AuthOutcome::Challenge(challenge) = outcome else {
        panic!("expected a challenge");
    };
    assert_eq!(
        challenge.name,
        userpool_types::ChallengeName::DevicePasswordVerifier
    );
    assert_eq!(challenge.parameters["SECRET_BLOCK"], "c2VjcmV0");
    let body = server.last().body;
    assert_eq!(body["ChallengeName"], "DEVICE_SRP_AUTH");
    assert_eq!(body["Session"], "session-1");
    assert_eq!(
        body["ChallengeResponses"],
        json!({
            "USERNAME": "alice-sub",
            "SRP_A": "0a1b2c",
            "DEVICE_KEY": DEVICE_KEY,
            "SECRET_HASH": hash
        })
    );

    let outcome = t
        .respond_to_auth_challenge(
            ChallengeRequest::new(
                user("alice-sub"),
                ChallengeResponse::DevicePasswordVerifier {
                    secret_block: "c2VjcmV0".into(),
                    timestamp: "Tue Jan 6 09:05:03 UTC 2026".into(),
                    signature: "c2lnbmF0dXJl".into(),
                },
            )
            .with_session(challenge.session.clone())
            .with_device_key(Some(DEVICE_KEY.into())),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, AuthOutcome::Tokens(_)));
    let body = server.last().body;
    assert_eq!(body["ChallengeName"], "DEVICE_PASSWORD_VERIFIER");
    assert_eq!(body["Session"], "session-2");
    assert_eq!(
        body["ChallengeResponses"],
        json!({
            "USERNAME": "alice-sub",
            "PASSWORD_CLAIM_SECRET_BLOCK": "c2VjcmV0",
            "TIMESTAMP": "Tue Jan 6 09:05:03 UTC 2026",
            "PASSWORD_CLAIM_SIGNATURE": "c2lnbmF0dXJl",
            "DEVICE_KEY": DEVICE_KEY,
            "SECRET_HASH": hash
        })
    );
}
