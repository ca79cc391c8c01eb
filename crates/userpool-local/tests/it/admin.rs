//! Admin operations over the SDK (SigV4-signed with dummy credentials).

use aws_sdk_cognitoidentityprovider::types::MessageActionType;
use userpool_local::{ClientConfig, LocalPool};

use crate::common::*;

#[tokio::test]
async fn admin_operations_manage_pools_clients_and_users() {
    let server = LocalPool::builder().start().await.unwrap();
    let sdk = sdk(server.endpoint());
    let mut ids = Vec::new();
    for i in 0..3 {
        let p = sdk
            .create_user_pool()
            .pool_name(format!("pool-{i}"))
            .send()
            .await
            .unwrap();
        ids.push(p.user_pool().unwrap().id().unwrap().to_owned());
    }
    let page = sdk.list_user_pools().max_results(2).send().await.unwrap();
    assert_eq!(page.user_pools().len(), 2);
    let next = page.next_token().unwrap().to_owned();
    let page2 = sdk
        .list_user_pools()
        .max_results(2)
        .next_token(next)
        .send()
        .await
        .unwrap();
    assert_eq!(page2.user_pools().len(), 1);
    assert!(page2.next_token().is_none());

    let pool_id = ids[0].clone();
    let c = sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("admin-app")
        .generate_secret(true)
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
        )
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowRefreshTokenAuth,
        )
        .access_token_validity(10)
        .token_validity_units(
            aws_sdk_cognitoidentityprovider::types::TokenValidityUnitsType::builder()
                .access_token(aws_sdk_cognitoidentityprovider::types::TimeUnitsType::Minutes)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let c = c.user_pool_client().unwrap();
    assert!(c.client_secret().is_some());
    let client_id = c.client_id().unwrap().to_owned();
    let d = sdk
        .describe_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap();
    let d = d.user_pool_client().unwrap();
    assert_eq!(d.access_token_validity(), Some(10));
    assert_eq!(d.client_secret(), c.client_secret());
    assert_eq!(d.explicit_auth_flows().len(), 2);
    let (code, _) = err(sdk
        .describe_user_pool_client()
        .user_pool_id(&ids[1])
        .client_id(&client_id)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");

    for name in ["ann", "ben", "cat", "dan", "eve"] {
        sdk.admin_create_user()
            .user_pool_id(&pool_id)
            .username(name)
            .user_attributes(attr("email", &format!("{name}@example.com")))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    let (code, msg) = err(sdk
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("ann")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("UsernameExistsException", "User account already exists")
    );
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = sdk
            .list_users()
            .user_pool_id(&pool_id)
            .limit(2)
            .set_pagination_token(token.clone())
            .send()
            .await
            .unwrap();
        seen.extend(
            page.users()
                .iter()
                .map(|u| u.username().unwrap().to_owned()),
        );
        token = page.pagination_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["ann", "ben", "cat", "dan", "eve"]);
    let filtered = sdk
        .list_users()
        .user_pool_id(&pool_id)
        .filter("email ^= \"c\"")
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.users().len(), 1);
    assert_eq!(filtered.users()[0].username(), Some("cat"));
    let status = sdk
        .list_users()
        .user_pool_id(&pool_id)
        .filter("cognito:user_status = \"FORCE_CHANGE_PASSWORD\"")
        .send()
        .await
        .unwrap();
    assert_eq!(status.users().len(), 5);

    let u = sdk
        .admin_get_user()
        .user_pool_id(&pool_id)
        .username("ben")
        .send()
        .await
        .unwrap();
    assert_eq!(
        u.user_status().map(|s| s.as_str()),
        Some("FORCE_CHANGE_PASSWORD")
    );
    assert!(u.enabled());
    sdk.admin_set_user_password()
        .user_pool_id(&pool_id)
        .username("ben")
        .password(PW)
        .permanent(true)
        .send()
        .await
        .unwrap();
    sdk.admin_disable_user()
        .user_pool_id(&pool_id)
        .username("ben")
        .send()
        .await
        .unwrap();
    let ctx = Ctx {
        server,
        sdk: sdk.clone(),
        pool_id: pool_id.clone(),
        client_id: client_id.clone(),
        secret: c.client_secret().map(str::to_owned),
    };
    let (code, msg) = err(password_sign_in(&ctx, "ben", PW).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "User is disabled.")
    );
    sdk.admin_enable_user()
        .user_pool_id(&pool_id)
        .username("ben")
        .send()
        .await
        .unwrap();
    let t = password_sign_in(&ctx, "ben", PW).await.unwrap();
    let access = claims(t.authentication_result().unwrap().access_token().unwrap());
    assert_eq!(
        access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(),
        600
    );

    sdk.admin_delete_user()
        .user_pool_id(&pool_id)
        .username("ben")
        .send()
        .await
        .unwrap();
    let (code, msg) = err(sdk
        .admin_get_user()
        .user_pool_id(&pool_id)
        .username("ben")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("UserNotFoundException", "User does not exist.")
    );

    sdk.delete_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    let (code, _) = err(sdk.describe_user_pool().user_pool_id(&pool_id).send().await);
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = err(password_sign_in(&ctx, "ann", PW).await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn admin_reset_requires_a_new_password_and_admin_confirm() {
    let ctx = start(email_pool(), ClientConfig::new("web").with_password_auth()).await;
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("fay")
        .password(PW)
        .user_attributes(attr("email", "fay@example.com"))
        .send()
        .await
        .unwrap();
    ctx.sdk
        .admin_confirm_sign_up()
        .user_pool_id(&ctx.pool_id)
        .username("fay")
        .send()
        .await
        .unwrap();
    let (code, msg) = err(ctx
        .sdk
        .admin_confirm_sign_up()
        .user_pool_id(&ctx.pool_id)
        .username("fay")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "NotAuthorizedException",
            "User cannot be confirmed. Current status is CONFIRMED"
        )
    );
    password_sign_in(&ctx, "fay", PW).await.unwrap();
    ctx.sdk
        .admin_update_user_attributes()
        .user_pool_id(&ctx.pool_id)
        .username("fay")
        .user_attributes(attr("email_verified", "true"))
        .send()
        .await
        .unwrap();
    ctx.sdk
        .admin_reset_user_password()
        .user_pool_id(&ctx.pool_id)
        .username("fay")
        .send()
        .await
        .unwrap();
    let (code, _) = err(password_sign_in(&ctx, "fay", PW).await);
    assert_eq!(code, "PasswordResetRequiredException");
    let code = ctx.server.latest_code(&ctx.pool_id, "fay").unwrap();
    ctx.sdk
        .confirm_forgot_password()
        .client_id(&ctx.client_id)
        .username("fay")
        .confirmation_code(code)
        .password("Brand-New-Pw1!")
        .send()
        .await
        .unwrap();
    password_sign_in(&ctx, "fay", "Brand-New-Pw1!")
        .await
        .unwrap();
}
