//! The signed-in user's operations, password recovery, admin-created users, sign-out and
//! revocation, codes.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType, MessageActionType};
use serde_json::Value;
use userpool_local::{ClientConfig, CustomAttribute, Limits, LocalPool, PoolConfig};

use crate::common::*;

fn attrs_map(
    list: &[aws_sdk_cognitoidentityprovider::types::AttributeType],
) -> std::collections::BTreeMap<String, String> {
    list.iter()
        .map(|a| (a.name().to_owned(), a.value().unwrap_or("").to_owned()))
        .collect()
}

#[tokio::test]
async fn update_email_keeps_the_original_until_the_new_one_is_verified() {
    let mut pool = email_pool();
    pool.keep_original_until_verified = vec!["email".into()];
    pool.custom_attributes = vec![
        CustomAttribute::string("team"),
        CustomAttribute::number("level").immutable(),
    ];
    let ctx = start(pool, ClientConfig::new("web")).await;
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("lena")
        .password(PW)
        .user_attributes(attr("email", "lena@example.com"))
        .user_attributes(attr("custom:team", "blue"))
        .user_attributes(attr("custom:level", "3"))
        .send()
        .await
        .unwrap();
    let code = ctx.server.latest_code(&ctx.pool_id, "lena").unwrap();
    ctx.sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("lena")
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "lena", PW).await.unwrap();
    let access = t.access_token().unwrap();
    let id = claims(t.id_token().unwrap());
    assert_eq!(id["custom:team"], "blue");
    assert_eq!(id["custom:level"], "3");

    let out = ctx
        .sdk
        .update_user_attributes()
        .access_token(access)
        .user_attributes(attr("email", "lena@new.example"))
        .user_attributes(attr("custom:team", "red"))
        .send()
        .await
        .unwrap();
    let list = out.code_delivery_details_list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].attribute_name(), Some("email"));
    assert_eq!(list[0].destination(), Some("l***@n***"));

    let user = ctx
        .sdk
        .get_user()
        .access_token(access)
        .send()
        .await
        .unwrap();
    let a = attrs_map(user.user_attributes());
    assert_eq!(
        a["email"], "lena@example.com",
        "original kept until verified"
    );
    assert_eq!(a["email_verified"], "true");
    assert_eq!(a["custom:team"], "red");

    let rec = ctx.server.outbox().latest(&ctx.pool_id, "lena").unwrap();
    assert_eq!(rec.destination, "lena@new.example");
    let (code, _) = err(ctx
        .sdk
        .verify_user_attribute()
        .access_token(access)
        .attribute_name("email")
        .code(if rec.code == "999999" {
            "000000"
        } else {
            "999999"
        })
        .send()
        .await);
    assert_eq!(code, "CodeMismatchException");
    ctx.sdk
        .verify_user_attribute()
        .access_token(access)
        .attribute_name("email")
        .code(&rec.code)
        .send()
        .await
        .unwrap();
    let user = ctx
        .sdk
        .get_user()
        .access_token(access)
        .send()
        .await
        .unwrap();
    let a = attrs_map(user.user_attributes());
    assert_eq!(a["email"], "lena@new.example");
    assert_eq!(a["email_verified"], "true");

    // Schema rules.
    let (code, msg) = err(ctx
        .sdk
        .update_user_attributes()
        .access_token(access)
        .user_attributes(attr("custom:nope", "x"))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(
        msg.contains("Attribute does not exist in the schema"),
        "{msg}"
    );
    let (code, _) = err(ctx
        .sdk
        .update_user_attributes()
        .access_token(access)
        .user_attributes(attr("custom:level", "4"))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, msg) = err(ctx
        .sdk
        .update_user_attributes()
        .access_token(access)
        .user_attributes(attr("email_verified", "true"))
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    assert_eq!(msg, "A client attempted to write unauthorized attribute");

    // Delete an attribute.
    ctx.sdk
        .delete_user_attributes()
        .access_token(access)
        .user_attribute_names("custom:team")
        .send()
        .await
        .unwrap();
    let user = ctx
        .sdk
        .get_user()
        .access_token(access)
        .send()
        .await
        .unwrap();
    assert!(!attrs_map(user.user_attributes()).contains_key("custom:team"));
}

#[tokio::test]
async fn update_email_without_keep_original_is_unverified_until_verified() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(
            &ctx.pool_id,
            "mia",
            PW,
            &[("email", "mia@example.com"), ("email_verified", "true")],
        )
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "mia", PW).await.unwrap();
    let access = t.access_token().unwrap();
    let out = ctx
        .sdk
        .update_user_attributes()
        .access_token(access)
        .user_attributes(attr("email", "mia@other.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.code_delivery_details_list().len(), 1);
    let a = attrs_map(
        ctx.sdk
            .get_user()
            .access_token(access)
            .send()
            .await
            .unwrap()
            .user_attributes(),
    );
    assert_eq!(a["email"], "mia@other.example");
    assert_eq!(a["email_verified"], "false");
    // Ask for another code, then verify with it.
    let out = ctx
        .sdk
        .get_user_attribute_verification_code()
        .access_token(access)
        .attribute_name("email")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.code_delivery_details().unwrap().attribute_name(),
        Some("email")
    );
    let code = ctx.server.latest_code(&ctx.pool_id, "mia").unwrap();
    ctx.sdk
        .verify_user_attribute()
        .access_token(access)
        .attribute_name("email")
        .code(code)
        .send()
        .await
        .unwrap();
    let a = attrs_map(
        ctx.sdk
            .get_user()
            .access_token(access)
            .send()
            .await
            .unwrap()
            .user_attributes(),
    );
    assert_eq!(a["email_verified"], "true");
}

#[tokio::test]
async fn forgot_password_resets_and_ends_old_sessions() {
    let ctx = start(email_pool(), ClientConfig::new("web").with_password_auth()).await;
    sign_up_confirmed(&ctx, "nora", PW, "nora@example.com").await;
    let before = srp_sign_in(&ctx, "nora", PW).await.unwrap();
    let out = ctx
        .sdk
        .forgot_password()
        .client_id(&ctx.client_id)
        .username("nora")
        .send()
        .await
        .unwrap();
    let d = out.code_delivery_details().unwrap();
    assert_eq!(d.delivery_medium().map(|m| m.as_str()), Some("EMAIL"));
    let rec = ctx.server.outbox().latest(&ctx.pool_id, "nora").unwrap();
    assert_eq!(rec.purpose, userpool_local::Purpose::ForgotPassword);
    let (code, _) = err(ctx
        .sdk
        .confirm_forgot_password()
        .client_id(&ctx.client_id)
        .username("nora")
        .confirmation_code(&rec.code)
        .password("weak")
        .send()
        .await);
    assert_eq!(code, "InvalidPasswordException");
    let (code, _) = err(ctx
        .sdk
        .confirm_forgot_password()
        .client_id(&ctx.client_id)
        .username("nora")
        .confirmation_code(if rec.code == "123456" {
            "654321"
        } else {
            "123456"
        })
        .password("New-Passw0rd!")
        .send()
        .await);
    assert_eq!(code, "CodeMismatchException");
    ctx.sdk
        .confirm_forgot_password()
        .client_id(&ctx.client_id)
        .username("nora")
        .confirmation_code(&rec.code)
        .password("New-Passw0rd!")
        .send()
        .await
        .unwrap();
    let (code, _) = err(password_sign_in(&ctx, "nora", PW).await);
    assert_eq!(code, "NotAuthorizedException");
    srp_sign_in(&ctx, "nora", "New-Passw0rd!").await.unwrap();
    // The reset ended the sessions from before.
    let (code, msg) = err(ctx
        .sdk
        .get_user()
        .access_token(before.access_token().unwrap())
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Access Token has been revoked")
    );
    // Unknown users: Cognito's legacy answer.
    let (code, _) = err(ctx
        .sdk
        .forgot_password()
        .client_id(&ctx.client_id)
        .username("nobody")
        .send()
        .await);
    assert_eq!(code, "UserNotFoundException");
}

#[tokio::test]
async fn admin_created_user_must_choose_a_new_password() {
    let mut pool = email_pool();
    pool.required_attributes = vec!["name".into()];
    let ctx = start(pool, ClientConfig::new("web").with_password_auth()).await;
    let out = ctx
        .sdk
        .admin_create_user()
        .user_pool_id(&ctx.pool_id)
        .username("oscar")
        .temporary_password("Temp-Passw0rd!")
        .user_attributes(attr("email", "oscar@example.com"))
        .user_attributes(attr("email_verified", "true"))
        .user_attributes(attr("name", "Oscar"))
        .desired_delivery_mediums(aws_sdk_cognitoidentityprovider::types::DeliveryMediumType::Email)
        .send()
        .await
        .unwrap();
    let u = out.user().unwrap();
    assert_eq!(
        u.user_status().map(|s| s.as_str()),
        Some("FORCE_CHANGE_PASSWORD")
    );
    let invite = ctx.server.outbox().latest(&ctx.pool_id, "oscar").unwrap();
    assert_eq!(invite.purpose, userpool_local::Purpose::Invitation);
    assert_eq!(invite.code, "Temp-Passw0rd!");

    // An administrator may leave a required attribute out (Cognito's AdminCreateUser
    // reference: the user supplies it later); the challenge then asks for it.
    ctx.sdk
        .admin_create_user()
        .user_pool_id(&ctx.pool_id)
        .username("nameless")
        .temporary_password("Temp-Passw0rd!")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let out = password_sign_in(&ctx, "nameless", "Temp-Passw0rd!")
        .await
        .unwrap();
    let params = out.challenge_parameters().unwrap();
    let required: Vec<String> = serde_json::from_str(&params["requiredAttributes"]).unwrap();
    assert_eq!(required, ["userAttributes.name"], "{required:?}");
    // Sign-up still demands every required attribute.
    let (code, msg) = err(ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("nameless2@example.com")
        .password("Passw0rd!x")
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("name: The attribute is required"), "{msg}");

    let out = password_sign_in(&ctx, "oscar", "Temp-Passw0rd!")
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let session = out.session().unwrap().to_owned();
    let params = out.challenge_parameters().unwrap();
    let required: Vec<String> = serde_json::from_str(&params["requiredAttributes"]).unwrap();
    assert!(required.is_empty(), "{required:?}");
    let user_attributes: Value = serde_json::from_str(&params["userAttributes"]).unwrap();
    assert_eq!(user_attributes["email"], "oscar@example.com");
    assert_eq!(params["USER_ID_FOR_SRP"], "oscar");

    // The same over SRP.
    let e = srp_sign_in(&ctx, "oscar", "Temp-Passw0rd!")
        .await
        .unwrap_err();
    assert_eq!(e.0, "NoTokens");

    let respond = |pw: &str| {
        ctx.sdk
            .respond_to_auth_challenge()
            .client_id(&ctx.client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .session(&session)
            .challenge_responses("USERNAME", "oscar")
            .challenge_responses("NEW_PASSWORD", pw)
            .challenge_responses("userAttributes.given_name", "Ozzy")
            .send()
    };
    let (code, _) = err(respond("short").await);
    assert_eq!(code, "InvalidPasswordException");
    let out = respond("Chosen-Passw0rd!").await.unwrap();
    let t = out.authentication_result().unwrap();
    assert_eq!(claims(t.id_token().unwrap())["given_name"], "Ozzy");
    let user = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("oscar")
        .send()
        .await
        .unwrap();
    assert_eq!(user.user_status().map(|s| s.as_str()), Some("CONFIRMED"));
    srp_sign_in(&ctx, "oscar", "Chosen-Passw0rd!")
        .await
        .unwrap();
    let (code, msg) = err(respond("Chosen-Passw0rd!").await);
    assert_eq!(code, "NotAuthorizedException");
    assert_eq!(msg, "Invalid session for the user, session is expired.");
}

#[tokio::test]
async fn required_attributes_are_asked_for_in_the_challenge() {
    let mut pool = email_pool();
    pool.required_attributes = vec!["family_name".into()];
    let ctx = start(pool, ClientConfig::new("web").with_password_auth()).await;
    // Required attributes are enforced at creation, so the challenge lists none and
    // hands the user's attributes over as a JSON string.
    ctx.sdk
        .admin_create_user()
        .user_pool_id(&ctx.pool_id)
        .username("pia")
        .temporary_password("Temp-Passw0rd!")
        .user_attributes(attr("family_name", "P"))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let out = password_sign_in(&ctx, "pia", "Temp-Passw0rd!")
        .await
        .unwrap();
    let params = out.challenge_parameters().unwrap();
    assert_eq!(params["requiredAttributes"], "[]");
    let ua: Value = serde_json::from_str(&params["userAttributes"]).unwrap();
    assert_eq!(ua["family_name"], "P");
}

#[tokio::test]
async fn revoke_and_global_sign_out_end_refresh_and_access_tokens() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "quinn", PW, &[])
        .await
        .unwrap();
    let a = srp_sign_in(&ctx, "quinn", PW).await.unwrap();
    let b = srp_sign_in(&ctx, "quinn", PW).await.unwrap();
    let refresh = |t: &str| {
        ctx.sdk
            .initiate_auth()
            .client_id(&ctx.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", t)
            .send()
    };
    // Access tokens cannot be revoked with RevokeToken.
    let (code, _) = err(ctx
        .sdk
        .revoke_token()
        .client_id(&ctx.client_id)
        .token(a.access_token().unwrap())
        .send()
        .await);
    assert_eq!(code, "UnsupportedTokenTypeException");
    ctx.sdk
        .revoke_token()
        .client_id(&ctx.client_id)
        .token(a.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let (code, msg) = err(refresh(a.refresh_token().unwrap()).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Refresh Token has been revoked")
    );
    let (code, msg) = err(ctx
        .sdk
        .get_user()
        .access_token(a.access_token().unwrap())
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Access Token has been revoked")
    );
    // The other session is untouched ...
    refresh(b.refresh_token().unwrap()).await.unwrap();
    ctx.sdk
        .get_user()
        .access_token(b.access_token().unwrap())
        .send()
        .await
        .unwrap();
    // ... until a global sign-out.
    ctx.sdk
        .global_sign_out()
        .access_token(b.access_token().unwrap())
        .send()
        .await
        .unwrap();
    let (code, _) = err(ctx
        .sdk
        .get_user()
        .access_token(b.access_token().unwrap())
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    let (code, _) = err(refresh(b.refresh_token().unwrap()).await);
    assert_eq!(code, "NotAuthorizedException");
    // A new sign-in works.
    let c = srp_sign_in(&ctx, "quinn", PW).await.unwrap();
    ctx.sdk
        .get_user()
        .access_token(c.access_token().unwrap())
        .send()
        .await
        .unwrap();
    // An id token is no access token; garbage is no token.
    let (code, msg) = err(ctx
        .sdk
        .get_user()
        .access_token(c.id_token().unwrap())
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Invalid Access Token")
    );
    let (code, _) = err(ctx.sdk.get_user().access_token("a.b.c").send().await);
    assert_eq!(code, "NotAuthorizedException");
}

#[tokio::test]
async fn admin_password_set_and_delete_user_end_tokens() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "rosa", PW, &[])
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "rosa", PW).await.unwrap();
    ctx.sdk
        .admin_set_user_password()
        .user_pool_id(&ctx.pool_id)
        .username("rosa")
        .password("Other-Passw0rd!")
        .permanent(true)
        .send()
        .await
        .unwrap();
    let (code, _) = err(ctx
        .sdk
        .get_user()
        .access_token(t.access_token().unwrap())
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    let t = srp_sign_in(&ctx, "rosa", "Other-Passw0rd!").await.unwrap();
    ctx.sdk
        .delete_user()
        .access_token(t.access_token().unwrap())
        .send()
        .await
        .unwrap();
    let (code, _) = err(ctx
        .sdk
        .get_user()
        .access_token(t.access_token().unwrap())
        .send()
        .await);
    assert_eq!(code, "UserNotFoundException");
    let e = srp_sign_in(&ctx, "rosa", "Other-Passw0rd!")
        .await
        .unwrap_err();
    assert_eq!(e.0, "UserNotFoundException");
    let (code, _) = err(ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", t.refresh_token().unwrap())
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
}

#[tokio::test]
async fn codes_expire_are_single_use_and_limited() {
    let limits = Limits::default()
        .with_code_validity(Duration::from_millis(800), Duration::from_millis(800))
        .with_code_limits(3, 3, Duration::from_secs(3600));
    let ctx = start_with(
        LocalPool::builder().limits(limits),
        email_pool(),
        ClientConfig::new("web"),
    )
    .await;
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("sam")
        .password(PW)
        .user_attributes(attr("email", "sam@example.com"))
        .send()
        .await
        .unwrap();
    let first = ctx.server.latest_code(&ctx.pool_id, "sam").unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    let confirm = |code: String| {
        ctx.sdk
            .confirm_sign_up()
            .client_id(&ctx.client_id)
            .username("sam")
            .confirmation_code(code)
            .send()
    };
    let (code, msg) = err(confirm(first.clone()).await);
    assert_eq!(code, "ExpiredCodeException");
    assert_eq!(msg, "Invalid code provided, please request a code again.");

    // Two resends are allowed (3 codes in the window), the third is not.
    for _ in 0..2 {
        ctx.sdk
            .resend_confirmation_code()
            .client_id(&ctx.client_id)
            .username("sam")
            .send()
            .await
            .unwrap();
    }
    let (code, _) = err(ctx
        .sdk
        .resend_confirmation_code()
        .client_id(&ctx.client_id)
        .username("sam")
        .send()
        .await);
    assert_eq!(code, "LimitExceededException");

    // Three wrong guesses, then even the right code is refused.
    let good = ctx.server.latest_code(&ctx.pool_id, "sam").unwrap();
    let bad = if good == "000000" { "000001" } else { "000000" };
    for _ in 0..3 {
        let (code, _) = err(confirm(bad.to_owned()).await);
        assert_eq!(code, "CodeMismatchException");
    }
    let (code, msg) = err(confirm(good).await);
    assert_eq!(code, "LimitExceededException");
    assert_eq!(msg, "Attempt limit exceeded, please try after some time.");
}

#[tokio::test]
async fn outbox_is_served_over_http() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    for name in ["tom", "uma"] {
        ctx.sdk
            .sign_up()
            .client_id(&ctx.client_id)
            .username(name)
            .password(PW)
            .user_attributes(attr("email", &format!("{name}@example.com")))
            .send()
            .await
            .unwrap();
    }
    let r = raw(
        ctx.server.local_addr(),
        "GET",
        &format!("/_local/outbox?pool={}&username=uma", ctx.pool_id),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["username"], "uma");
    assert_eq!(records[0]["medium"], "EMAIL");
    assert_eq!(records[0]["destination"], "uma@example.com");
    assert_eq!(records[0]["purpose"], "SIGN_UP");
    assert_eq!(
        records[0]["code"].as_str(),
        ctx.server.latest_code(&ctx.pool_id, "uma").as_deref()
    );
    let all = raw(ctx.server.local_addr(), "GET", "/_local/outbox", &[], b"")
        .await
        .json();
    assert_eq!(all["records"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn custom_schema_from_create_user_pool_over_the_sdk() {
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeDataType, SchemaAttributeType, StringAttributeConstraintsType,
        UserAttributeUpdateSettingsType, VerifiedAttributeType,
    };
    let server = LocalPool::builder().start().await.unwrap();
    let sdk = sdk(server.endpoint());
    let pool = sdk
        .create_user_pool()
        .pool_name("sdk-made")
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .user_attribute_update_settings(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(
                    aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType::Email,
                )
                .build(),
        )
        .schema(
            SchemaAttributeType::builder()
                .name("department")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .string_attribute_constraints(
                    StringAttributeConstraintsType::builder()
                        .min_length("1")
                        .max_length("10")
                        .build(),
                )
                .build(),
        )
        .schema(
            SchemaAttributeType::builder()
                .name("email")
                .attribute_data_type(AttributeDataType::String)
                .required(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pool = pool.user_pool().unwrap();
    let pool_id = pool.id().unwrap().to_owned();
    assert!(pool_id.starts_with("us-east-1_"));
    let names: Vec<&str> = pool
        .schema_attributes()
        .iter()
        .filter_map(|s| s.name())
        .collect();
    assert!(names.contains(&"custom:department"), "{names:?}");
    let client = sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("app")
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    let (code, msg) = err(sdk
        .sign_up()
        .client_id(&client_id)
        .username("vic")
        .password(PW)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("email: The attribute is required"), "{msg}");
    let (code, _) = err(sdk
        .sign_up()
        .client_id(&client_id)
        .username("vic")
        .password(PW)
        .user_attributes(attr("email", "vic@example.com"))
        .user_attributes(attr("custom:department", "much-too-long-value"))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, msg) = err(sdk
        .sign_up()
        .client_id(&client_id)
        .username("vic")
        .password(PW)
        .user_attributes(attr("email", "vic@example.com"))
        .user_attributes(attr("unknown_thing", "x"))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(
        msg.contains("Attribute does not exist in the schema"),
        "{msg}"
    );
    sdk.sign_up()
        .client_id(&client_id)
        .username("vic")
        .password(PW)
        .user_attributes(attr("email", "vic@example.com"))
        .user_attributes(attr("custom:department", "ops"))
        .send()
        .await
        .unwrap();
    let d = sdk
        .describe_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    let d = d.user_pool().unwrap();
    assert_eq!(d.estimated_number_of_users(), 1);
    assert_eq!(
        d.user_attribute_update_settings()
            .unwrap()
            .attributes_require_verification_before_update()
            .len(),
        1
    );
}

#[tokio::test]
async fn read_and_write_attributes_of_the_app_client_apply() {
    let mut cfg = ClientConfig::new("narrow");
    cfg.read_attributes = Some(vec!["email".into(), "email_verified".into()]);
    cfg.write_attributes = Some(vec!["email".into()]);
    let ctx = start(email_pool(), cfg).await;
    ctx.server
        .create_user(
            &ctx.pool_id,
            "wes",
            PW,
            &[("email", "wes@example.com"), ("name", "Wes")],
        )
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "wes", PW).await.unwrap();
    let id = claims(t.id_token().unwrap());
    assert!(id.get("name").is_none(), "not readable: {id}");
    assert_eq!(id["email"], "wes@example.com");
    let user = ctx
        .sdk
        .get_user()
        .access_token(t.access_token().unwrap())
        .send()
        .await
        .unwrap();
    let a = attrs_map(user.user_attributes());
    assert!(a.contains_key("sub") && !a.contains_key("name"));
    let (code, msg) = err(ctx
        .sdk
        .update_user_attributes()
        .access_token(t.access_token().unwrap())
        .user_attributes(attr("name", "W"))
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "NotAuthorizedException",
            "A client attempted to write unauthorized attribute"
        )
    );
}

#[tokio::test]
async fn pool_config_rejects_an_unknown_mfa_mode_and_conflicting_settings() {
    let server = LocalPool::builder().start().await.unwrap();
    let mut both = PoolConfig::new("x");
    both.alias_attributes = vec!["email".into()];
    both.username_attributes = vec!["email".into()];
    assert!(server.create_pool(both).await.is_err());
    let sdk = sdk(server.endpoint());
    // MFA itself is supported (see mfa.rs); a mode outside OFF, ON, OPTIONAL is not.
    let (code, msg) = err(sdk
        .create_user_pool()
        .pool_name("mfa")
        .mfa_configuration(
            aws_sdk_cognitoidentityprovider::types::UserPoolMfaType::from("SOMETIMES"),
        )
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("'SOMETIMES' at 'mfaConfiguration'"), "{msg}");
}
