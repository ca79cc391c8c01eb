//! Boolean attribute values as Cognito reads them: `true`/`false` in any case from admin
//! writes, stored and returned in lower case.

use userpool_local::{AttributeType, ClientConfig, CustomAttribute, PoolConfig};

use crate::common::*;

fn pool_with_boolean_attribute() -> PoolConfig {
    let mut p = email_pool();
    p.custom_attributes.push(CustomAttribute {
        name: "beta".into(),
        data_type: AttributeType::Boolean,
        ..CustomAttribute::default()
    });
    p
}

async fn admin_attribute(ctx: &Ctx, username: &str, name: &str) -> Option<String> {
    let out = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username(username)
        .send()
        .await
        .unwrap();
    out.user_attributes()
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.value().map(str::to_owned))
}

#[tokio::test]
async fn admin_create_user_accepts_booleans_in_any_case() {
    let ctx = start(
        pool_with_boolean_attribute(),
        ClientConfig::new("web").with_password_auth(),
    )
    .await;
    let out = ctx
        .sdk
        .admin_create_user()
        .user_pool_id(&ctx.pool_id)
        .username("jo")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .user_attributes(attr("email", "jo@example.com"))
        .user_attributes(attr("email_verified", "True"))
        .user_attributes(attr("phone_number", "+15551234567"))
        .user_attributes(attr("phone_number_verified", "FALSE"))
        .user_attributes(attr("custom:beta", "tRuE"))
        .send()
        .await
        .unwrap();
    let returned: Vec<(String, String)> = out
        .user()
        .unwrap()
        .attributes()
        .iter()
        .map(|a| (a.name().to_owned(), a.value().unwrap_or("").to_owned()))
        .collect();
    assert!(returned.contains(&("email_verified".into(), "true".into())));
    assert_eq!(
        admin_attribute(&ctx, "jo", "email_verified")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        admin_attribute(&ctx, "jo", "phone_number_verified")
            .await
            .as_deref(),
        Some("false")
    );
    assert_eq!(
        admin_attribute(&ctx, "jo", "custom:beta").await.as_deref(),
        Some("true")
    );
    // Verified means verified: the address can receive a password reset code.
    ctx.sdk
        .admin_set_user_password()
        .user_pool_id(&ctx.pool_id)
        .username("jo")
        .password(PW)
        .permanent(true)
        .send()
        .await
        .unwrap();
    let tokens = password_sign_in(&ctx, "jo", PW).await.unwrap();
    let id = claims(tokens.authentication_result().unwrap().id_token().unwrap());
    assert_eq!(id["email_verified"], serde_json::Value::Bool(true));
    assert_eq!(id["phone_number_verified"], serde_json::Value::Bool(false));
}

#[tokio::test]
async fn admin_update_user_attributes_accepts_booleans_in_any_case() {
    let ctx = start(pool_with_boolean_attribute(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "kim", PW, &[("email", "kim@example.com")])
        .await
        .unwrap();
    ctx.sdk
        .admin_update_user_attributes()
        .user_pool_id(&ctx.pool_id)
        .username("kim")
        .user_attributes(attr("email", "kim2@example.com"))
        .user_attributes(attr("email_verified", "TRUE"))
        .user_attributes(attr("custom:beta", "False"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        admin_attribute(&ctx, "kim", "email").await.as_deref(),
        Some("kim2@example.com")
    );
    assert_eq!(
        admin_attribute(&ctx, "kim", "email_verified")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        admin_attribute(&ctx, "kim", "custom:beta").await.as_deref(),
        Some("false")
    );
    // Anything else is still refused with the schema message.
    for bad in ["yes", "1", "truee"] {
        let (code, msg) = err(ctx
            .sdk
            .admin_update_user_attributes()
            .user_pool_id(&ctx.pool_id)
            .username("kim")
            .user_attributes(attr("custom:beta", bad))
            .send()
            .await);
        assert_eq!(code, "InvalidParameterException", "{bad}: {msg}");
    }
}
