//! GetTokensFromRefreshToken and refresh-token rotation over the SDK: refreshing without
//! rotation, a new refresh token on every refresh with it, the retry grace of a replaced
//! token, the client secret, sign-outs ending rotated tokens, REFRESH_TOKEN_AUTH refused on
//! a rotating client, and the `RefreshTokenRotation` setting at create, describe and update.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ExplicitAuthFlowsType, FeatureType,
    RefreshTokenRotationType,
};
use serde_json::json;
use userpool_local::ClientConfig;

use crate::common::*;

type RefreshResult = Result<
    cip::operation::get_tokens_from_refresh_token::GetTokensFromRefreshTokenOutput,
    cip::error::SdkError<
        cip::operation::get_tokens_from_refresh_token::GetTokensFromRefreshTokenError,
    >,
>;

async fn get_tokens(ctx: &Ctx, refresh_token: &str, secret: Option<&str>) -> RefreshResult {
    ctx.sdk
        .get_tokens_from_refresh_token()
        .client_id(&ctx.client_id)
        .refresh_token(refresh_token)
        .set_client_secret(secret.map(str::to_owned))
        .send()
        .await
}

/// The tokens of a successful GetTokensFromRefreshToken.
async fn refreshed(ctx: &Ctx, refresh_token: &str) -> AuthenticationResultType {
    get_tokens(ctx, refresh_token, ctx.secret.as_deref())
        .await
        .expect("refresh")
        .authentication_result()
        .expect("tokens")
        .clone()
}

/// A server whose client is `client`, with user "rex" signed in once; the tokens.
async fn signed_in(client: ClientConfig) -> (Ctx, AuthenticationResultType) {
    let ctx = start(email_pool(), client.with_password_auth()).await;
    ctx.server
        .create_user(&ctx.pool_id, "rex", PW, &[])
        .await
        .unwrap();
    let tokens = password_sign_in(&ctx, "rex", PW)
        .await
        .unwrap()
        .authentication_result()
        .unwrap()
        .clone();
    (ctx, tokens)
}

fn origin_jti(t: &AuthenticationResultType) -> serde_json::Value {
    claims(t.access_token().unwrap())["origin_jti"].clone()
}

async fn get_user(ctx: &Ctx, t: &AuthenticationResultType) -> Result<(), (String, String)> {
    match ctx
        .sdk
        .get_user()
        .access_token(t.access_token().unwrap())
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(err::<(), _>(Err(e))),
    }
}

#[tokio::test]
async fn without_rotation_a_refresh_keeps_the_refresh_token() {
    let (ctx, first) = signed_in(ClientConfig::new("web")).await;
    let rt = first.refresh_token().unwrap();
    for _ in 0..2 {
        let t = refreshed(&ctx, rt).await;
        assert!(t.refresh_token().is_none(), "no rotation, no new token");
        assert_eq!(origin_jti(&t), origin_jti(&first));
        get_user(&ctx, &t).await.unwrap();
    }
    // The answer is `AuthenticationResult` alone, as the API reference gives it.
    let raw = call(
        ctx.server.local_addr(),
        "GetTokensFromRefreshToken",
        &json!({ "ClientId": ctx.client_id, "RefreshToken": rt }),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let body = raw.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert!(body["AuthenticationResult"]["IdToken"].is_string());
    let (code, msg) = err(get_tokens(&ctx, "not-a-token", None).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Invalid Refresh Token")
    );
}

#[tokio::test]
async fn with_rotation_every_refresh_replaces_the_token() {
    let (ctx, first) = signed_in(ClientConfig::new("web").with_refresh_token_rotation(0)).await;
    let rt0 = first.refresh_token().unwrap().to_owned();
    let t1 = refreshed(&ctx, &rt0).await;
    let rt1 = t1.refresh_token().expect("a new refresh token").to_owned();
    assert_ne!(rt1, rt0);
    assert_eq!(origin_jti(&t1), origin_jti(&first), "the same session");
    get_user(&ctx, &t1).await.unwrap();
    // Grace 0: the replaced token is refused at once, and refusing it ends nothing.
    let (code, _) = err(get_tokens(&ctx, &rt0, None).await);
    assert_eq!(code, "RefreshTokenReuseException");
    let t2 = refreshed(&ctx, &rt1).await;
    let rt2 = t2.refresh_token().unwrap().to_owned();
    assert!(rt2 != rt1 && rt2 != rt0);
    assert_eq!(origin_jti(&t2), origin_jti(&first));
    let (code, _) = err(get_tokens(&ctx, &rt1, None).await);
    assert_eq!(code, "RefreshTokenReuseException");
    // Tokens of every step of the session still work.
    get_user(&ctx, &first).await.unwrap();
    get_user(&ctx, &t2).await.unwrap();
    refreshed(&ctx, &rt2).await;
}

#[tokio::test]
async fn a_replaced_token_works_again_only_within_the_grace() {
    let (ctx, first) = signed_in(ClientConfig::new("web").with_refresh_token_rotation(1)).await;
    let rt0 = first.refresh_token().unwrap().to_owned();
    let t1 = refreshed(&ctx, &rt0).await;
    // A retry of a refresh whose answer was lost: within the grace, tokens again.
    let retry = refreshed(&ctx, &rt0).await;
    let rt_retry = retry.refresh_token().unwrap().to_owned();
    assert_ne!(Some(rt_retry.as_str()), t1.refresh_token());
    assert_eq!(origin_jti(&retry), origin_jti(&first));
    // The grace counts from the first use, not from the retry.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (code, _) = err(get_tokens(&ctx, &rt0, None).await);
    assert_eq!(code, "RefreshTokenReuseException");
    // The newest token is untouched by the refused reuse.
    let t3 = refreshed(&ctx, &rt_retry).await;
    get_user(&ctx, &t3).await.unwrap();
}

#[tokio::test]
async fn a_client_with_a_secret_needs_the_secret_itself() {
    let (ctx, first) = signed_in(
        ClientConfig::new("web")
            .with_secret()
            .with_refresh_token_rotation(0),
    )
    .await;
    let secret = ctx.secret.clone().unwrap();
    let rt = first.refresh_token().unwrap();
    let (code, msg) = err(get_tokens(&ctx, rt, None).await);
    assert_eq!(code, "NotAuthorizedException");
    assert_eq!(
        msg,
        format!(
            "Client {} is configured with secret but ClientSecret was not received",
            ctx.client_id
        )
    );
    let (code, msg) = err(get_tokens(&ctx, rt, Some("wrong")).await);
    assert_eq!(code, "NotAuthorizedException");
    assert_eq!(
        msg,
        format!(
            "Unable to verify the client secret of client {}",
            ctx.client_id
        )
    );
    // A SECRET_HASH is not the secret.
    let hash = secret_hash(&secret, "rex", &ctx.client_id);
    let (code, _) = err(get_tokens(&ctx, rt, Some(&hash)).await);
    assert_eq!(code, "NotAuthorizedException");
    // The failed attempts did not spend the token.
    let t = get_tokens(&ctx, rt, Some(&secret)).await.unwrap();
    assert!(t.authentication_result().unwrap().refresh_token().is_some());
}

#[tokio::test]
async fn revoke_token_and_global_sign_out_end_rotated_tokens() {
    let (ctx, first) = signed_in(ClientConfig::new("web").with_refresh_token_rotation(60)).await;
    let rt0 = first.refresh_token().unwrap().to_owned();
    let t1 = refreshed(&ctx, &rt0).await;
    let rt1 = t1.refresh_token().unwrap().to_owned();
    // Revoking the new token ends the session: every token of it, old and new.
    ctx.sdk
        .revoke_token()
        .client_id(&ctx.client_id)
        .token(&rt1)
        .send()
        .await
        .unwrap();
    for rt in [&rt1, &rt0] {
        let (code, msg) = err(get_tokens(&ctx, rt, None).await);
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("NotAuthorizedException", "Refresh Token has been revoked")
        );
    }
    let (code, _) = get_user(&ctx, &t1).await.unwrap_err();
    assert_eq!(code, "NotAuthorizedException");

    // Revoking a replaced token (still in its grace) ends its session too.
    let second = password_sign_in(&ctx, "rex", PW).await.unwrap();
    let second = second.authentication_result().unwrap();
    let old = second.refresh_token().unwrap().to_owned();
    let newer = refreshed(&ctx, &old).await;
    ctx.sdk
        .revoke_token()
        .client_id(&ctx.client_id)
        .token(&old)
        .send()
        .await
        .unwrap();
    let (code, _) = err(get_tokens(&ctx, newer.refresh_token().unwrap(), None).await);
    assert_eq!(code, "NotAuthorizedException");

    // GlobalSignOut with a rotated session's access token ends its newest refresh token.
    let third = password_sign_in(&ctx, "rex", PW).await.unwrap();
    let rotated = refreshed(
        &ctx,
        third
            .authentication_result()
            .unwrap()
            .refresh_token()
            .unwrap(),
    )
    .await;
    ctx.sdk
        .global_sign_out()
        .access_token(rotated.access_token().unwrap())
        .send()
        .await
        .unwrap();
    let (code, msg) = err(get_tokens(&ctx, rotated.refresh_token().unwrap(), None).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Refresh Token has been revoked")
    );
}

#[tokio::test]
async fn refresh_token_auth_is_refused_on_a_rotating_client() {
    let (ctx, first) = signed_in(ClientConfig::new("web").with_refresh_token_rotation(0)).await;
    let rt = first.refresh_token().unwrap();
    let (code, msg) = err(ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", rt)
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterException",
            "REFRESH_TOKEN flow not enabled for this client"
        )
    );
    let (code, _) = err(ctx
        .sdk
        .admin_initiate_auth()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", rt)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    // The refused flow did not spend the token.
    refreshed(&ctx, rt).await;
}

#[tokio::test]
async fn the_refresh_flow_setting_governs_refresh_without_rotation_only() {
    // ALLOW_REFRESH_TOKEN_AUTH left out: without rotation, no refresh at all.
    let mut plain = ClientConfig::new("plain");
    plain.explicit_auth_flows = vec!["ALLOW_USER_PASSWORD_AUTH".into()];
    let ctx = start(email_pool(), plain).await;
    ctx.server
        .create_user(&ctx.pool_id, "rex", PW, &[])
        .await
        .unwrap();
    let t = password_sign_in(&ctx, "rex", PW).await.unwrap();
    let rt = t.authentication_result().unwrap().refresh_token().unwrap();
    let (code, _) = err(get_tokens(&ctx, rt, None).await);
    assert_eq!(code, "InvalidParameterException");

    // With rotation, Cognito wants that flow off, and the refresh works.
    let mut rotating = ClientConfig::new("rotating").with_refresh_token_rotation(0);
    rotating.explicit_auth_flows = vec!["ALLOW_USER_PASSWORD_AUTH".into()];
    let client = ctx
        .server
        .create_client(&ctx.pool_id, rotating)
        .await
        .unwrap();
    let ctx = Ctx {
        client_id: client.client_id,
        ..ctx
    };
    let t = password_sign_in(&ctx, "rex", PW).await.unwrap();
    let t = refreshed(
        &ctx,
        t.authentication_result().unwrap().refresh_token().unwrap(),
    )
    .await;
    assert!(t.refresh_token().is_some());
}

fn rotation(feature: FeatureType, grace: Option<i32>) -> RefreshTokenRotationType {
    RefreshTokenRotationType::builder()
        .feature(feature)
        .set_retry_grace_period_seconds(grace)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_setting_is_stored_answered_and_reset_by_an_update() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    let describe = |id: String| {
        let sdk = ctx.sdk.clone();
        let pool_id = ctx.pool_id.clone();
        async move {
            sdk.describe_user_pool_client()
                .user_pool_id(pool_id)
                .client_id(id)
                .send()
                .await
                .unwrap()
                .user_pool_client()
                .unwrap()
                .refresh_token_rotation()
                .cloned()
                .unwrap()
        }
    };
    // Never set: answered as DISABLED with no grace.
    let default = describe(ctx.client_id.clone()).await;
    assert_eq!(
        (default.feature(), default.retry_grace_period_seconds()),
        (&FeatureType::Disabled, Some(0))
    );
    let created = ctx
        .sdk
        .create_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_name("rotating")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .refresh_token_rotation(rotation(FeatureType::Enabled, Some(10)))
        .send()
        .await
        .unwrap();
    let created = created.user_pool_client().unwrap();
    let id = created.client_id().unwrap().to_owned();
    let answered = created.refresh_token_rotation().unwrap();
    assert_eq!(
        (answered.feature(), answered.retry_grace_period_seconds()),
        (&FeatureType::Enabled, Some(10))
    );
    let described = describe(id.clone()).await;
    assert_eq!(
        (described.feature(), described.retry_grace_period_seconds()),
        (&FeatureType::Enabled, Some(10))
    );
    // An update that leaves the setting out resets it, like every left-out setting.
    ctx.sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&id)
        .send()
        .await
        .unwrap();
    let reset = describe(id.clone()).await;
    assert_eq!(reset.feature(), &FeatureType::Disabled);
    ctx.sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&id)
        .refresh_token_rotation(rotation(FeatureType::Enabled, None))
        .send()
        .await
        .unwrap();
    let updated = describe(id).await;
    assert_eq!(
        (updated.feature(), updated.retry_grace_period_seconds()),
        (&FeatureType::Enabled, Some(0))
    );
}

#[tokio::test]
async fn bad_rotation_settings_are_refused() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    for (grace, expected) in [
        (
            61,
            "1 validation error detected: Value '61' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value less than or equal to 60",
        ),
        (
            -1,
            "1 validation error detected: Value '-1' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0",
        ),
    ] {
        let (code, msg) = err(ctx
            .sdk
            .create_user_pool_client()
            .user_pool_id(&ctx.pool_id)
            .client_name("bad")
            .refresh_token_rotation(rotation(FeatureType::Enabled, Some(grace)))
            .send()
            .await);
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("InvalidParameterException", expected)
        );
        let (code, _) = err(ctx
            .sdk
            .update_user_pool_client()
            .user_pool_id(&ctx.pool_id)
            .client_id(&ctx.client_id)
            .refresh_token_rotation(rotation(FeatureType::Enabled, Some(grace)))
            .send()
            .await);
        assert_eq!(code, "InvalidParameterException");
    }
    // What the SDK cannot send: a missing or unknown Feature.
    for (setting, expected) in [
        (
            json!({ "RetryGracePeriodSeconds": 5 }),
            "1 validation error detected: Value null at 'refreshTokenRotation.feature' failed to satisfy constraint: Member must not be null",
        ),
        (
            json!({ "Feature": "ON" }),
            "1 validation error detected: Value 'ON' at 'refreshTokenRotation.feature' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]",
        ),
    ] {
        let raw = call(
            ctx.server.local_addr(),
            "CreateUserPoolClient",
            &json!({
                "UserPoolId": ctx.pool_id,
                "ClientName": "bad",
                "RefreshTokenRotation": setting,
            }),
        )
        .await;
        assert_eq!(raw.status, 400, "{}", raw.body);
        let body = raw.json();
        assert_eq!(body["__type"], "InvalidParameterException");
        assert_eq!(body["message"], expected);
    }
    // Nothing was changed by the refusals.
    let client = ctx
        .sdk
        .describe_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .user_pool_client()
            .unwrap()
            .refresh_token_rotation()
            .unwrap()
            .feature(),
        &FeatureType::Disabled
    );
}
