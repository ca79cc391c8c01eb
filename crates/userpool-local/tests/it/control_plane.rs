//! The pool and app client control plane over the SDK: UpdateUserPool and
//! UpdateUserPoolClient (a setting left out goes back to its default, and the next request
//! sees the change), ListUserPoolClients, DeleteUserPoolClient, the page tokens of the three
//! lists, and the region of a created pool's id.

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AttributeDataType, AuthFlowType, ExplicitAuthFlowsType,
    MessageActionType, OAuthFlowType, PasswordPolicyType, PreventUserExistenceErrorTypes,
    SchemaAttributeType, TimeUnitsType, TokenValidityUnitsType, UserPoolMfaType,
    UserPoolPolicyType, VerifiedAttributeType,
};
use serde_json::json;
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

use crate::common::*;

/// An SDK client for `endpoint` configured with `region` (and so signing for it).
fn sdk_in(endpoint: &str, region: &'static str) -> cip::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .http_client(http)
        .build();
    cip::Client::from_conf(config)
}

fn policy(min: i32, classes: bool) -> UserPoolPolicyType {
    UserPoolPolicyType::builder()
        .password_policy(
            PasswordPolicyType::builder()
                .minimum_length(min)
                .require_uppercase(classes)
                .require_lowercase(classes)
                .require_numbers(classes)
                .require_symbols(classes)
                .build(),
        )
        .build()
}

async fn sign_up(ctx: &Ctx, username: &str, password: &str) -> Result<(), (String, String)> {
    let r = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username(username)
        .password(password)
        .user_attributes(attr("email", &format!("{username}@example.com")))
        .send()
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) => Err(err::<(), _>(Err(e))),
    }
}

#[tokio::test]
async fn update_user_pool_resets_what_it_leaves_out_and_applies_at_once() {
    let server = LocalPool::builder().start().await.unwrap();
    let sdk = sdk(server.endpoint());
    let created = sdk
        .create_user_pool()
        .pool_name("strict")
        .policies(policy(12, true))
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(true)
                .build(),
        )
        .schema(
            SchemaAttributeType::builder()
                .name("team")
                .attribute_data_type(AttributeDataType::String)
                .build(),
        )
        .mfa_configuration(UserPoolMfaType::Optional)
        .email_verification_message("Code {####}")
        .send()
        .await
        .unwrap();
    let pool_id = created.user_pool().unwrap().id().unwrap().to_owned();
    let c = server
        .create_client(&pool_id, ClientConfig::new("web"))
        .await
        .unwrap();
    let ctx = Ctx {
        sdk: sdk.clone(),
        pool_id: pool_id.clone(),
        client_id: c.client_id.clone(),
        secret: None,
        server,
    };
    let (code, msg) = sign_up(&ctx, "early", "Long-enough-1").await.unwrap_err();
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "NotAuthorizedException",
            "SignUp is not permitted for this user pool"
        )
    );
    let (code, _) = err(sdk
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("early")
        .temporary_password("short1")
        .message_action(MessageActionType::Suppress)
        .send()
        .await);
    assert_eq!(code, "InvalidPasswordException");

    // Only the password policy is given: everything else goes back to its default.
    sdk.update_user_pool()
        .user_pool_id(&pool_id)
        .policies(policy(6, false))
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
    assert_eq!(d.name(), Some("strict"), "the name is kept");
    let pp = d.policies().unwrap().password_policy().unwrap();
    assert_eq!(pp.minimum_length(), Some(6));
    assert!(!pp.require_symbols());
    assert!(d.auto_verified_attributes().is_empty());
    assert!(
        !d.admin_create_user_config()
            .unwrap()
            .allow_admin_create_user_only()
    );
    assert_eq!(d.mfa_configuration(), Some(&UserPoolMfaType::Off));
    assert!(d.verification_message_template().is_none());
    assert!(
        d.schema_attributes()
            .iter()
            .any(|a| a.name() == Some("custom:team")),
        "the schema cannot change through UpdateUserPool"
    );

    // The next SignUp sees the new settings: sign-up is open and 6 plain characters do.
    sign_up(&ctx, "later", "short1").await.unwrap();
    assert!(
        ctx.server.latest_code(&pool_id, "later").is_none(),
        "email is no longer auto-verified"
    );
    let (code, msg) = sign_up(&ctx, "tiny", "five5").await.unwrap_err();
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidPasswordException",
            "Password did not conform with policy: Password not long enough"
        )
    );

    // MfaConfiguration given: it is set; left out again: OFF.
    sdk.update_user_pool()
        .user_pool_id(&pool_id)
        .mfa_configuration(UserPoolMfaType::On)
        .send()
        .await
        .unwrap();
    let d = sdk
        .describe_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.user_pool().unwrap().mfa_configuration(),
        Some(&UserPoolMfaType::On)
    );
    let pp = d
        .user_pool()
        .unwrap()
        .policies()
        .unwrap()
        .password_policy()
        .unwrap();
    assert_eq!(
        pp.minimum_length(),
        Some(8),
        "the policy went back to its default"
    );
    assert!(pp.require_symbols());
    sdk.update_user_pool()
        .user_pool_id(&pool_id)
        .pool_name("renamed")
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
    assert_eq!(d.name(), Some("renamed"));
    assert_eq!(d.mfa_configuration(), Some(&UserPoolMfaType::Off));

    // Errors.
    let (code, msg) = err(sdk
        .update_user_pool()
        .user_pool_id("us-east-1_missing")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "User pool us-east-1_missing does not exist."
        )
    );
    let (code, msg) = err(sdk
        .update_user_pool()
        .user_pool_id(&pool_id)
        .policies(policy(5, false))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("minimumLength"), "{msg}");
    let (code, _) = err(sdk
        .update_user_pool()
        .user_pool_id(&pool_id)
        .auto_verified_attributes(VerifiedAttributeType::PhoneNumber)
        .user_attribute_update_settings(
            aws_sdk_cognitoidentityprovider::types::UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        )
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    // A refused update changes nothing.
    let d = sdk
        .describe_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(d.user_pool().unwrap().name(), Some("renamed"));
}

#[tokio::test]
async fn update_user_pool_client_resets_what_it_leaves_out_and_applies_at_once() {
    let ctx = start(email_pool(), ClientConfig::new("web").with_password_auth()).await;
    ctx.server
        .create_user(&ctx.pool_id, "ada", PW, &[])
        .await
        .unwrap();
    password_sign_in(&ctx, "ada", PW).await.unwrap();

    let full = ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .client_name("web-2")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .access_token_validity(10)
        .token_validity_units(
            TokenValidityUnitsType::builder()
                .access_token(TimeUnitsType::Minutes)
                .build(),
        )
        .read_attributes("email")
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
        .auth_session_validity(10)
        .enable_token_revocation(false)
        .callback_urls("https://app.example.com/cb")
        .default_redirect_uri("https://app.example.com/cb")
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_flows_user_pool_client(true)
        .supported_identity_providers("COGNITO")
        .send()
        .await
        .unwrap();
    let c = full.user_pool_client().unwrap();
    assert_eq!(c.client_name(), Some("web-2"));
    assert_eq!(c.access_token_validity(), Some(10));
    assert_eq!(c.read_attributes(), ["email"]);
    assert_eq!(c.auth_session_validity(), Some(10));
    assert_eq!(c.enable_token_revocation(), Some(false));
    assert_eq!(c.callback_urls(), ["https://app.example.com/cb"]);
    assert_eq!(c.default_redirect_uri(), Some("https://app.example.com/cb"));
    assert_eq!(c.allowed_o_auth_flows(), [OAuthFlowType::Code]);
    assert_eq!(c.allowed_o_auth_flows_user_pool_client(), Some(true));

    // USER_PASSWORD_AUTH is no longer in the flows: the very next sign-in is refused.
    let e = password_sign_in(&ctx, "ada", PW).await;
    let (code, msg) = err(e);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterException",
            "USER_PASSWORD_AUTH flow not enabled for this client"
        )
    );
    srp_sign_in(&ctx, "ada", PW).await.unwrap();

    // Only the name given: every other setting goes back to its default.
    let bare = ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await
        .unwrap();
    let c = bare.user_pool_client().unwrap();
    assert_eq!(
        c.client_name(),
        Some("web-2"),
        "the name is kept when left out"
    );
    assert_eq!(
        c.explicit_auth_flows(),
        [
            ExplicitAuthFlowsType::AllowRefreshTokenAuth,
            ExplicitAuthFlowsType::AllowUserSrpAuth
        ]
    );
    assert_eq!(c.access_token_validity(), Some(1));
    assert_eq!(
        c.token_validity_units().unwrap().access_token(),
        Some(&TimeUnitsType::Hours)
    );
    assert!(c.read_attributes().is_empty());
    assert_eq!(
        c.prevent_user_existence_errors(),
        Some(&PreventUserExistenceErrorTypes::Legacy)
    );
    assert_eq!(c.auth_session_validity(), Some(3));
    assert_eq!(c.enable_token_revocation(), Some(true));
    assert!(c.callback_urls().is_empty());
    assert_eq!(c.default_redirect_uri(), None);
    assert_eq!(c.allowed_o_auth_flows_user_pool_client(), Some(false));
    // DescribeUserPoolClient answers the same (the cache does not keep the old client).
    let d = ctx
        .sdk
        .describe_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.user_pool_client().unwrap().auth_session_validity(),
        Some(3)
    );

    // Errors.
    let (code, msg) = err(ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id("nope")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "User pool client nope does not exist."
        )
    );
    let other = ctx
        .server
        .create_pool(PoolConfig::new("other"))
        .await
        .unwrap();
    let (code, msg) = err(ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&other.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        format!("User pool client {} does not exist.", ctx.client_id)
    );
    let (code, msg) = err(ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .read_attributes("custom:nope")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterException",
            "Invalid read or write attribute: custom:nope"
        )
    );
    let (code, _) = err(ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::UserPasswordAuth)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, _) = err(ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .auth_session_validity(16)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    // A refused update changes nothing.
    let d = ctx
        .sdk
        .describe_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await
        .unwrap();
    assert!(d.user_pool_client().unwrap().read_attributes().is_empty());
}

/// Every client id of ListUserPoolClients, page by page.
async fn all_client_ids(sdk: &cip::Client, pool_id: &str, max: i32) -> (Vec<String>, usize) {
    let (mut ids, mut pages, mut token) = (Vec::new(), 0, None);
    loop {
        let page = sdk
            .list_user_pool_clients()
            .user_pool_id(pool_id)
            .max_results(max)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.user_pool_clients().len() <= max as usize);
        for c in page.user_pool_clients() {
            assert_eq!(c.user_pool_id(), Some(pool_id));
            assert!(c.client_name().is_some_and(|n| n.starts_with("app-")));
            ids.push(c.client_id().unwrap().to_owned());
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return (ids, pages);
        }
    }
}

#[tokio::test]
async fn list_user_pool_clients_pages_and_delete_user_pool_client_ends_its_tokens() {
    let ctx = start(
        email_pool(),
        ClientConfig::new("app-0").with_password_auth(),
    )
    .await;
    let mut expected = vec![ctx.client_id.clone()];
    for i in 1..5 {
        let c = ctx
            .server
            .create_client(&ctx.pool_id, ClientConfig::new(format!("app-{i}")))
            .await
            .unwrap();
        expected.push(c.client_id);
    }
    // Another pool's clients are not listed.
    let other = ctx
        .server
        .create_pool(PoolConfig::new("other"))
        .await
        .unwrap();
    ctx.server
        .create_client(&other.pool_id, ClientConfig::new("app-x"))
        .await
        .unwrap();
    expected.sort();
    let (ids, pages) = all_client_ids(&ctx.sdk, &ctx.pool_id, 2).await;
    assert_eq!(ids, expected, "id order, every client once");
    assert_eq!(pages, 3);
    let (ids, pages) = all_client_ids(&ctx.sdk, &ctx.pool_id, 60).await;
    assert_eq!((ids.len(), pages), (5, 1));

    let page = ctx
        .sdk
        .list_user_pool_clients()
        .user_pool_id(&ctx.pool_id)
        .max_results(2)
        .send()
        .await
        .unwrap();
    let token = page.next_token().unwrap().to_owned();
    assert!(!expected.contains(&token), "the token is opaque");
    for bad in ["garbage", expected[1].as_str()] {
        let (code, msg) = err(ctx
            .sdk
            .list_user_pool_clients()
            .user_pool_id(&ctx.pool_id)
            .next_token(bad)
            .send()
            .await);
        assert_eq!(
            (code.as_str(), msg.as_str()),
            (
                "InvalidParameterException",
                format!("Paging marker {bad} is invalid for request.").as_str()
            )
        );
    }
    // A token of one pool's list does not continue another's.
    let (code, _) = err(ctx
        .sdk
        .list_user_pool_clients()
        .user_pool_id(&other.pool_id)
        .next_token(&token)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, msg) = err(ctx
        .sdk
        .list_user_pool_clients()
        .user_pool_id(&ctx.pool_id)
        .max_results(61)
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterException",
            "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60"
        )
    );
    let (code, msg) = err(ctx
        .sdk
        .list_user_pool_clients()
        .user_pool_id("us-east-1_missing")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "User pool us-east-1_missing does not exist."
        )
    );

    // A signed-in session of the client, then the client is deleted.
    ctx.server
        .create_user(&ctx.pool_id, "ada", PW, &[])
        .await
        .unwrap();
    let tokens = password_sign_in(&ctx, "ada", PW).await.unwrap();
    let tokens = tokens.authentication_result().unwrap();
    let access = tokens.access_token().unwrap().to_owned();
    let refresh = tokens.refresh_token().unwrap().to_owned();
    ctx.sdk
        .get_user()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    // Deleting it through another pool is refused and deletes nothing.
    let (code, _) = err(ctx
        .sdk
        .delete_user_pool_client()
        .user_pool_id(&other.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    ctx.sdk
        .get_user()
        .access_token(&access)
        .send()
        .await
        .unwrap();

    ctx.sdk
        .delete_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await
        .unwrap();
    let (code, msg) = err(ctx.sdk.get_user().access_token(&access).send().await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Invalid Access Token")
    );
    let (code, _) = err(ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &refresh)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    let (code, msg) = err(password_sign_in(&ctx, "ada", PW).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            format!("User pool client {} does not exist.", ctx.client_id).as_str()
        )
    );
    let (code, _) = err(ctx
        .sdk
        .describe_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    let (code, msg) = err(ctx
        .sdk
        .delete_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&ctx.client_id)
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            format!("User pool client {} does not exist.", ctx.client_id).as_str()
        )
    );
    let (ids, _) = all_client_ids(&ctx.sdk, &ctx.pool_id, 60).await;
    assert_eq!(ids.len(), 4);
    assert!(!ids.contains(&ctx.client_id));
}

#[tokio::test]
async fn list_user_pools_and_list_users_page_with_opaque_tokens() {
    let server = LocalPool::builder().start().await.unwrap();
    let sdk = sdk(server.endpoint());
    let mut expected = Vec::new();
    for i in 0..5 {
        let p = server
            .create_pool(PoolConfig::new(format!("pool-{i}")))
            .await
            .unwrap();
        expected.push(p.pool_id);
    }
    expected.sort();
    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let page = sdk
            .list_user_pools()
            .max_results(2)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.user_pools().iter().map(|p| p.id().unwrap().to_owned()));
        token = page.next_token().map(str::to_owned);
        if let Some(t) = &token {
            assert!(!expected.contains(t), "the token is opaque");
        } else {
            break;
        }
    }
    assert_eq!((seen, pages), (expected.clone(), 3));
    let pools_token = sdk
        .list_user_pools()
        .max_results(1)
        .send()
        .await
        .unwrap()
        .next_token()
        .unwrap()
        .to_owned();
    let (code, msg) = err(sdk
        .list_user_pools()
        .max_results(2)
        .next_token("not-a-token")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterException",
            "Paging marker not-a-token is invalid for request."
        )
    );
    // MaxResults is required: Cognito reads a missing one as 0.
    let r = call(server.local_addr(), "ListUserPools", &json!({})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "InvalidParameterException");
    assert_eq!(
        r.json()["message"],
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );

    // ListUsers: pages of a filtered list, in a stable order, tokens bound to the pool.
    let pool_id = expected[0].clone();
    for name in ["ann", "ben", "cat", "dan", "eve", "fay", "gus"] {
        let mail = if name < "e" {
            "team.example"
        } else {
            "else.example"
        };
        sdk.admin_create_user()
            .user_pool_id(&pool_id)
            .username(name)
            .user_attributes(attr("email", &format!("{name}@{mail}")))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    let list = |limit: i32, token: Option<String>, filter: Option<&str>| {
        sdk.list_users()
            .user_pool_id(&pool_id)
            .limit(limit)
            .set_pagination_token(token)
            .set_filter(filter.map(str::to_owned))
            .send()
    };
    let (mut all, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let page = list(3, token.clone(), None).await.unwrap();
        pages += 1;
        all.extend(
            page.users()
                .iter()
                .map(|u| u.username().unwrap().to_owned()),
        );
        token = page.pagination_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((all.len(), pages), (7, 3));
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "every user once");
    let (mut team, mut token) = (Vec::new(), None::<String>);
    loop {
        let page = list(1, token.clone(), Some("email ^= \"a\""))
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        team.extend(
            page.users()
                .iter()
                .map(|u| u.username().unwrap().to_owned()),
        );
        token = page.pagination_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(team, ["ann"]);
    let first = list(2, None, None).await.unwrap();
    let users_token = first.pagination_token().unwrap().to_owned();
    // The same token twice answers the same page.
    let again_a = list(2, Some(users_token.clone()), None).await.unwrap();
    let again_b = list(2, Some(users_token.clone()), None).await.unwrap();
    let names = |o: &cip::operation::list_users::ListUsersOutput| -> Vec<String> {
        o.users()
            .iter()
            .map(|u| u.username().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&again_a), names(&again_b));
    assert_eq!(names(&again_a), all[2..4].to_vec());
    for bad in ["garbage", pools_token.as_str()] {
        let (code, msg) = err(list(2, Some(bad.to_owned()), None).await);
        assert_eq!(code, "InvalidParameterException");
        assert_eq!(msg, format!("Paging marker {bad} is invalid for request."));
    }
    // Another pool's users token is refused too, and so is a pool list's token reused.
    let (code, _) = err(sdk
        .list_users()
        .user_pool_id(&expected[1])
        .pagination_token(&users_token)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, _) = err(sdk
        .list_user_pools()
        .max_results(2)
        .next_token(&users_token)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, msg) = err(list(61, None, None).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "InvalidParameterException",
            "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
        )
    );
    // Limit 0 is the most, as absent.
    assert_eq!(list(0, None, None).await.unwrap().users().len(), 7);
}

#[tokio::test]
async fn a_pool_id_names_the_region_the_request_was_signed_for() {
    // Signed and verified (an admin key is configured) and accepted without a key alike.
    for keyed in [false, true] {
        let mut builder = LocalPool::builder().region("ap-south-1");
        if keyed {
            builder = builder.admin_credentials("local", "local");
        }
        let server = builder.start().await.unwrap();
        let eu = sdk_in(server.endpoint(), "eu-west-1");
        let us = sdk_in(server.endpoint(), "us-east-1");
        let p = eu.create_user_pool().pool_name("eu").send().await.unwrap();
        let p = p.user_pool().unwrap();
        let eu_id = p.id().unwrap().to_owned();
        assert!(eu_id.starts_with("eu-west-1_"), "{eu_id}");
        assert_eq!(
            p.arn(),
            Some(format!("arn:aws:cognito-idp:eu-west-1:000000000000:userpool/{eu_id}").as_str())
        );
        userpool_types::UserPoolId::parse(&eu_id).unwrap();
        let us_id = us
            .create_user_pool()
            .pool_name("us")
            .send()
            .await
            .unwrap()
            .user_pool()
            .unwrap()
            .id()
            .unwrap()
            .to_owned();
        assert!(us_id.starts_with("us-east-1_"), "{us_id}");
        // Pools of both regions coexist and work.
        let listed = us.list_user_pools().max_results(60).send().await.unwrap();
        let mut ids: Vec<&str> = listed.user_pools().iter().filter_map(|p| p.id()).collect();
        ids.sort();
        let mut want = vec![eu_id.as_str(), us_id.as_str()];
        want.sort();
        assert_eq!(ids, want);
        let c = eu
            .create_user_pool_client()
            .user_pool_id(&eu_id)
            .client_name("app")
            .send()
            .await
            .unwrap();
        assert_eq!(
            c.user_pool_client().unwrap().user_pool_id(),
            Some(eu_id.as_str())
        );
        // The Rust API and unsigned requests use the configured region.
        let own = server.create_pool(PoolConfig::new("own")).await.unwrap();
        assert!(own.pool_id.starts_with("ap-south-1_"), "{}", own.pool_id);
        if !keyed {
            let r = call(
                server.local_addr(),
                "CreateUserPool",
                &json!({"PoolName": "unsigned"}),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let id = r.json()["UserPool"]["Id"].as_str().unwrap().to_owned();
            assert!(id.starts_with("ap-south-1_"), "{id}");
            // A scope whose region cannot start a pool id is refused, not replaced.
            let r = raw(
                server.local_addr(),
                "POST",
                "/",
                &[
                    ("Content-Type", "application/x-amz-json-1.1"),
                    (
                        "X-Amz-Target",
                        "AWSCognitoIdentityProviderService.CreateUserPool",
                    ),
                    (
                        "Authorization",
                        "AWS4-HMAC-SHA256 Credential=local/20250101/EU_WEST/cognito-idp/aws4_request, SignedHeaders=host, Signature=00",
                    ),
                ],
                br#"{"PoolName":"bad-region"}"#,
            )
            .await;
            assert_eq!(r.status, 400, "{}", r.body);
            assert_eq!(r.json()["__type"], "InvalidParameterException");
            assert!(
                r.json()["message"].as_str().unwrap().contains("'EU_WEST'"),
                "{}",
                r.body
            );
        }
        server.shutdown().await.unwrap();
    }
}
