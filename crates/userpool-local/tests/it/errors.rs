//! Error shapes over raw HTTP: every refusal is a JSON body with `__type` and `message`
//! and an `x-amzn-ErrorType` header; never a panic, never an HTML 500.

use serde_json::json;
use userpool_local::{ClientConfig, LocalPool};

use crate::common::*;

fn assert_error(r: &Raw, status: u16, kind: &str) -> String {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.header("x-amzn-ErrorType"), Some(kind), "{r:?}");
    assert!(
        r.header("content-type").is_some_and(|c| c.contains("json")),
        "{r:?}"
    );
    let v = r.json();
    assert_eq!(v["__type"], kind, "{r:?}");
    v["message"].as_str().expect("message").to_owned()
}

#[tokio::test]
async fn malformed_and_missing_input_gets_cognito_errors() {
    let server = LocalPool::builder().start().await.unwrap();
    let addr = server.local_addr();
    let target = ("X-Amz-Target", "AWSCognitoIdentityProviderService.SignUp");
    let ct = ("Content-Type", "application/x-amz-json-1.1");

    let r = raw(addr, "POST", "/", &[target, ct], b"{not json").await;
    assert_error(&r, 400, "SerializationException");

    let r = raw(addr, "POST", "/", &[target, ct], b"[1,2]").await;
    assert_error(&r, 400, "SerializationException");

    let r = raw(addr, "POST", "/", &[ct], b"{}").await;
    let msg = assert_error(&r, 400, "UnknownOperationException");
    assert!(msg.contains("X-Amz-Target"));

    let r = raw(
        addr,
        "POST",
        "/",
        &[
            (
                "X-Amz-Target",
                "AWSCognitoIdentityProviderService.FlyToTheMoon",
            ),
            ct,
        ],
        b"{}",
    )
    .await;
    assert_error(&r, 400, "UnknownOperationException");

    let r = raw(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "DynamoDB_20120810.ListTables"), ct],
        b"{}",
    )
    .await;
    assert_error(&r, 400, "UnknownOperationException");

    let r = raw(
        addr,
        "POST",
        "/",
        &[target, ("Content-Type", "text/html")],
        b"{}",
    )
    .await;
    assert_error(&r, 400, "SerializationException");

    let big = vec![b' '; 300 * 1024];
    let r = raw(addr, "POST", "/", &[target, ct], &big).await;
    assert_error(&r, 413, "RequestEntityTooLargeException");

    let r = call(addr, "SignUp", &json!({"Username": "x", "Password": "y"})).await;
    let msg = assert_error(&r, 400, "InvalidParameterException");
    assert_eq!(
        msg,
        "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"
    );

    let r = call(
        addr,
        "SignUp",
        &json!({"ClientId": 42, "Username": "x", "Password": "y"}),
    )
    .await;
    assert_error(&r, 400, "SerializationException");

    let r = call(
        addr,
        "SignUp",
        &json!({"ClientId": "nope", "Username": "x", "Password": "Abcdef1!"}),
    )
    .await;
    let msg = assert_error(&r, 400, "ResourceNotFoundException");
    assert_eq!(msg, "User pool client nope does not exist.");

    let r = call(
        addr,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": "x", "AuthParameters": "oops"}),
    )
    .await;
    assert_error(&r, 400, "SerializationException");

    let r = call(addr, "GetUser", &json!({"AccessToken": "garbage"})).await;
    assert_error(&r, 400, "NotAuthorizedException");

    let r = call(addr, "ListUserPools", &json!({"MaxResults": 0})).await;
    assert_error(&r, 400, "InvalidParameterException");

    let r = call(
        addr,
        "DescribeUserPool",
        &json!({"UserPoolId": "us-east-1_missing"}),
    )
    .await;
    assert_error(&r, 400, "ResourceNotFoundException");

    let r = raw(
        addr,
        "GET",
        "/us-east-1_missing/.well-known/jwks.json",
        &[],
        b"",
    )
    .await;
    assert_error(&r, 400, "ResourceNotFoundException");

    let r = raw(addr, "GET", "/no/such/path", &[], b"").await;
    assert_error(&r, 404, "ResourceNotFoundException");

    // Successful answers carry the protocol's content type and a request id.
    let r = call(addr, "ListUserPools", &json!({"MaxResults": 5})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
    assert!(r.header("x-amzn-RequestId").is_some());
}

#[tokio::test]
async fn the_sdk_maps_errors_to_its_typed_variants() {
    let ctx = start(email_pool(), ClientConfig::new("web").with_password_auth()).await;
    let e = password_sign_in(&ctx, "ghost", PW).await.unwrap_err();
    assert!(e.into_service_error().is_user_not_found_exception());
    ctx.server
        .create_user(&ctx.pool_id, "hal", PW, &[])
        .await
        .unwrap();
    let e = password_sign_in(&ctx, "hal", "Wrong-Passw0rd1")
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_not_authorized_exception());
    let e = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("hal")
        .password(PW)
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_username_exists_exception());
    let e = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("ivan")
        .password("weakpassword")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_invalid_password_exception());
}

#[tokio::test]
async fn concurrent_clients_are_served_in_parallel() {
    let ctx = start(email_pool(), ClientConfig::new("web").with_password_auth()).await;
    let ctx = std::sync::Arc::new(ctx);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("user{i}");
            sign_up_confirmed(&ctx, &name, PW, &format!("{name}@example.com")).await;
            srp_sign_in(&ctx, &name, PW).await.unwrap();
            password_sign_in(&ctx, &name, PW).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let users = ctx
        .sdk
        .list_users()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(users.users().len(), 16);
}

#[tokio::test]
async fn browsers_get_cors_answers() {
    let server = LocalPool::builder().start().await.unwrap();
    let r = raw(
        server.local_addr(),
        "OPTIONS",
        "/",
        &[
            ("Origin", "http://localhost:3000"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type,x-amz-target",
            ),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(
        r.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    // Public operations answer every origin, as Cognito does; admin operations are not
    // offered to pages (see tests/it/browser.rs).
    let r = call(
        server.local_addr(),
        "InitiateAuth",
        &json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": "nope"}),
    )
    .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = call(
        server.local_addr(),
        "ListUserPools",
        &json!({"MaxResults": 1}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}
