//! The control plane of hosted sign-in over the SDK: a pool's domain, resource servers with
//! custom scopes (with paging), and the checks of an app client's OAuth settings.

use aws_sdk_cognitoidentityprovider::types::{
    CustomDomainConfigType, OAuthFlowType, ResourceServerScopeType,
};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

use crate::common::*;

const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123";

fn scope(name: &str) -> ResourceServerScopeType {
    ResourceServerScopeType::builder()
        .scope_name(name)
        .scope_description(format!("{name} things"))
        .build()
        .unwrap()
}

async fn second_pool(ctx: &Ctx) -> String {
    ctx.sdk
        .create_user_pool()
        .pool_name("other")
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .id()
        .unwrap()
        .to_owned()
}

async fn pool_domain_members(ctx: &Ctx) -> (Option<String>, Option<String>) {
    let out = ctx
        .sdk
        .describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    let pool = out.user_pool().unwrap();
    (
        pool.domain().map(str::to_owned),
        pool.custom_domain().map(str::to_owned),
    )
}

#[tokio::test]
async fn a_prefix_domain_is_created_described_updated_and_deleted() {
    let ctx = start(PoolConfig::new("p"), ClientConfig::new("web")).await;
    assert_eq!(pool_domain_members(&ctx).await, (None, None));

    let created = ctx
        .sdk
        .create_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("my-app-dev")
        .send()
        .await
        .unwrap();
    assert_eq!(created.managed_login_version(), Some(1));
    assert_eq!(created.cloud_front_domain(), None);
    assert_eq!(
        pool_domain_members(&ctx).await,
        (Some("my-app-dev".into()), None)
    );

    let d = ctx
        .sdk
        .describe_user_pool_domain()
        .domain("my-app-dev")
        .send()
        .await
        .unwrap();
    let d = d.domain_description().unwrap();
    assert_eq!(d.user_pool_id(), Some(ctx.pool_id.as_str()));
    assert_eq!(d.domain(), Some("my-app-dev"));
    assert_eq!(d.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(d.managed_login_version(), Some(1));
    assert!(d.custom_domain_config().is_none());

    // An unknown domain is an empty description, not an error.
    let none = ctx
        .sdk
        .describe_user_pool_domain()
        .domain("nobody-has-this")
        .send()
        .await
        .unwrap();
    assert_eq!(none.domain_description().and_then(|d| d.domain()), None);

    // One domain per pool.
    let e = ctx
        .sdk
        .create_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("my-app-other")
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "InvalidParameterException".into(),
            "User pool already has a domain configured.".into()
        )
    );
    // A prefix another pool holds is refused.
    let other = second_pool(&ctx).await;
    let e = ctx
        .sdk
        .create_user_pool_domain()
        .user_pool_id(&other)
        .domain("my-app-dev")
        .send()
        .await;
    assert_eq!(
        err(e),
        (
            "InvalidParameterException".into(),
            "Domain already associated with another user pool.".into()
        )
    );

    let updated = ctx
        .sdk
        .update_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("my-app-dev")
        .managed_login_version(2)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.managed_login_version(), Some(2));
    // Another pool cannot update or delete it.
    let e = ctx
        .sdk
        .delete_user_pool_domain()
        .user_pool_id(&other)
        .domain("my-app-dev")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");

    ctx.sdk
        .delete_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("my-app-dev")
        .send()
        .await
        .unwrap();
    assert_eq!(pool_domain_members(&ctx).await, (None, None));
    // Free again: the other pool may take it now.
    ctx.sdk
        .create_user_pool_domain()
        .user_pool_id(&other)
        .domain("my-app-dev")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn domains_are_checked_as_cognito_checks_them() {
    let ctx = start(PoolConfig::new("p"), ClientConfig::new("web")).await;
    for (domain, message) in [
        ("My-App", "The domain name contains an invalid character."),
        ("a.b", "The domain name contains an invalid character."),
        ("-app", "The domain name contains an invalid character."),
        ("my-aws-app", "Domain cannot contain reserved word: aws"),
        (
            "cognito-login",
            "Domain cannot contain reserved word: cognito",
        ),
    ] {
        let e = ctx
            .sdk
            .create_user_pool_domain()
            .user_pool_id(&ctx.pool_id)
            .domain(domain)
            .send()
            .await;
        let (code, msg) = err(e);
        assert_eq!(code, "InvalidParameterException", "{domain}");
        assert!(msg.starts_with(message), "{domain}: {msg}");
    }
    let e = ctx
        .sdk
        .create_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("fine")
        .managed_login_version(3)
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");
    let e = ctx
        .sdk
        .create_user_pool_domain()
        .user_pool_id("us-east-1_nothere")
        .domain("fine")
        .send()
        .await;
    assert_eq!(err(e).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn a_custom_domain_answers_its_certificate_and_cloudfront_host() {
    let ctx = start(PoolConfig::new("p"), ClientConfig::new("web")).await;
    let config = CustomDomainConfigType::builder()
        .certificate_arn(CERT)
        .build()
        .unwrap();
    let created = ctx
        .sdk
        .create_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("auth.example.com")
        .custom_domain_config(config)
        .managed_login_version(2)
        .send()
        .await
        .unwrap();
    let host = created.cloud_front_domain().unwrap().to_owned();
    assert!(host.ends_with(".cloudfront.net"), "{host}");
    assert_eq!(created.managed_login_version(), Some(2));
    assert_eq!(
        pool_domain_members(&ctx).await,
        (None, Some("auth.example.com".into()))
    );
    let d = ctx
        .sdk
        .describe_user_pool_domain()
        .domain("auth.example.com")
        .send()
        .await
        .unwrap();
    let d = d.domain_description().unwrap();
    assert_eq!(
        d.custom_domain_config().map(|c| c.certificate_arn()),
        Some(CERT)
    );
    assert_eq!(d.cloud_front_distribution(), Some(host.as_str()));

    // A prefix domain has no certificate to update.
    let other = second_pool(&ctx).await;
    ctx.sdk
        .create_user_pool_domain()
        .user_pool_id(&other)
        .domain("plain-prefix")
        .send()
        .await
        .unwrap();
    let e = ctx
        .sdk
        .update_user_pool_domain()
        .user_pool_id(&other)
        .domain("plain-prefix")
        .custom_domain_config(
            CustomDomainConfigType::builder()
                .certificate_arn(CERT)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");
}

#[tokio::test]
async fn resource_servers_are_created_listed_in_pages_updated_and_deleted() {
    let ctx = start(PoolConfig::new("p"), ClientConfig::new("web")).await;
    let created = ctx
        .sdk
        .create_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("https://api.example.com")
        .name("Example API")
        .scopes(scope("read"))
        .scopes(scope("write"))
        .send()
        .await
        .unwrap();
    let rs = created.resource_server().unwrap();
    assert_eq!(rs.identifier(), Some("https://api.example.com"));
    assert_eq!(rs.user_pool_id(), Some(ctx.pool_id.as_str()));
    assert_eq!(rs.scopes().len(), 2);

    let e = ctx
        .sdk
        .create_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("https://api.example.com")
        .name("Again")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");
    // A scope name may not hold a slash; a name must fit its pattern.
    let e = ctx
        .sdk
        .create_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("svc")
        .name("svc")
        .scopes(scope("a/b"))
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");
    let e = ctx
        .sdk
        .create_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("svc")
        .name("bad!name")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");

    for i in 0..4 {
        ctx.sdk
            .create_resource_server()
            .user_pool_id(&ctx.pool_id)
            .identifier(format!("svc-{i}"))
            .name(format!("Service {i}"))
            .send()
            .await
            .unwrap();
    }
    let (mut ids, mut sizes, mut token) = (Vec::new(), Vec::new(), None);
    loop {
        let page = ctx
            .sdk
            .list_resource_servers()
            .user_pool_id(&ctx.pool_id)
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        sizes.push(page.resource_servers().len());
        ids.extend(
            page.resource_servers()
                .iter()
                .map(|s| s.identifier().unwrap().to_owned()),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        ids,
        [
            "https://api.example.com",
            "svc-0",
            "svc-1",
            "svc-2",
            "svc-3"
        ]
    );
    assert_eq!(sizes, [2, 2, 1]);
    let e = ctx
        .sdk
        .list_resource_servers()
        .user_pool_id(&ctx.pool_id)
        .max_results(51)
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");

    let updated = ctx
        .sdk
        .update_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("https://api.example.com")
        .name("Renamed")
        .scopes(scope("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.resource_server().unwrap().name(), Some("Renamed"));
    let d = ctx
        .sdk
        .describe_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("https://api.example.com")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = d
        .resource_server()
        .unwrap()
        .scopes()
        .iter()
        .map(|s| s.scope_name())
        .collect();
    assert_eq!(names, ["admin"]);

    ctx.sdk
        .delete_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("svc-0")
        .send()
        .await
        .unwrap();
    let e = ctx
        .sdk
        .describe_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("svc-0")
        .send()
        .await;
    assert_eq!(err(e).0, "ResourceNotFoundException");
    let e = ctx
        .sdk
        .delete_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("svc-0")
        .send()
        .await;
    assert_eq!(err(e).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn client_oauth_settings_are_checked() {
    let ctx = start(PoolConfig::new("p"), ClientConfig::new("web")).await;
    ctx.sdk
        .create_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("https://api.example.com")
        .name("API")
        .scopes(scope("read"))
        .send()
        .await
        .unwrap();

    // A browser client: code flow, loopback HTTP callback, standard and custom scopes.
    let web = ctx
        .sdk
        .create_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_name("spa")
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("https://api.example.com/read")
        .callback_urls("http://localhost:3000/cb")
        .callback_urls("https://app.example.com/cb")
        .default_redirect_uri("https://app.example.com/cb")
        .logout_urls("myapp://signed-out")
        .supported_identity_providers("COGNITO")
        .send()
        .await
        .unwrap();
    let web_id = web
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();

    // A machine client: client_credentials with a secret and custom scopes only.
    ctx.sdk
        .create_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_name("m2m")
        .generate_secret(true)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
        .allowed_o_auth_scopes("https://api.example.com/read")
        .send()
        .await
        .unwrap();

    let base = || {
        ctx.sdk
            .create_user_pool_client()
            .user_pool_id(&ctx.pool_id)
            .client_name("bad")
    };
    let cases = [
        (
            base()
                .allowed_o_auth_flows(OAuthFlowType::Code)
                .callback_urls("http://app.example.com/cb")
                .send()
                .await,
            "InvalidParameterException",
        ),
        (
            base()
                .callback_urls("https://app.example.com/cb#x")
                .send()
                .await,
            "InvalidParameterException",
        ),
        (
            base()
                .callback_urls("https://app.example.com/cb")
                .default_redirect_uri("https://app.example.com/other")
                .send()
                .await,
            "InvalidParameterException",
        ),
        (
            base()
                .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
                .allowed_o_auth_scopes("https://api.example.com/read")
                .send()
                .await,
            "InvalidOAuthFlowException",
        ),
        (
            base()
                .generate_secret(true)
                .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
                .allowed_o_auth_flows(OAuthFlowType::Code)
                .allowed_o_auth_scopes("https://api.example.com/read")
                .callback_urls("https://app.example.com/cb")
                .send()
                .await,
            "InvalidOAuthFlowException",
        ),
        (
            base()
                .generate_secret(true)
                .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
                .allowed_o_auth_scopes("openid")
                .send()
                .await,
            "InvalidOAuthFlowException",
        ),
        (
            base()
                .allowed_o_auth_scopes("https://api.example.com/delete")
                .send()
                .await,
            "ScopeDoesNotExistException",
        ),
        (
            base().allowed_o_auth_scopes("nonsense").send().await,
            "ScopeDoesNotExistException",
        ),
        (
            base().supported_identity_providers("Google").send().await,
            "InvalidParameterException",
        ),
        (
            base()
                .allowed_o_auth_flows_user_pool_client(true)
                .allowed_o_auth_scopes("openid")
                .send()
                .await,
            "InvalidOAuthFlowException",
        ),
        (
            base()
                .allowed_o_auth_flows_user_pool_client(true)
                .allowed_o_auth_flows(OAuthFlowType::Code)
                .allowed_o_auth_scopes("openid")
                .send()
                .await,
            "InvalidParameterException",
        ),
    ];
    for (i, (result, expected)) in cases.into_iter().enumerate() {
        let (code, msg) = err(result);
        assert_eq!(code, expected, "case {i}: {msg}");
    }

    // UpdateUserPoolClient checks the same: a scope of a server that does not exist.
    let e = ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&web_id)
        .allowed_o_auth_scopes("https://other.example.com/read")
        .send()
        .await;
    assert_eq!(err(e).0, "ScopeDoesNotExistException");
    let e = ctx
        .sdk
        .update_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&web_id)
        .callback_urls("http://192.168.1.5/cb")
        .send()
        .await;
    assert_eq!(err(e).0, "InvalidParameterException");
    // The client is unchanged by the refused updates.
    let c = ctx
        .sdk
        .describe_user_pool_client()
        .user_pool_id(&ctx.pool_id)
        .client_id(&web_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.user_pool_client().unwrap().allowed_o_auth_scopes(),
        ["openid", "https://api.example.com/read"]
    );
}

#[tokio::test]
async fn deleting_a_pool_frees_its_domain() {
    let ctx = start(PoolConfig::new("p"), ClientConfig::new("web")).await;
    let other = second_pool(&ctx).await;
    ctx.sdk
        .create_user_pool_domain()
        .user_pool_id(&other)
        .domain("short-lived")
        .send()
        .await
        .unwrap();
    ctx.sdk
        .delete_user_pool()
        .user_pool_id(&other)
        .send()
        .await
        .unwrap();
    let d = ctx
        .sdk
        .describe_user_pool_domain()
        .domain("short-lived")
        .send()
        .await
        .unwrap();
    assert_eq!(d.domain_description().and_then(|d| d.domain()), None);
    ctx.sdk
        .create_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("short-lived")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn domains_and_resource_servers_survive_a_restart_on_a_data_dir() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("domains-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ctx = start_with(
        LocalPool::builder().data_dir(&dir),
        PoolConfig::new("p"),
        ClientConfig::new("web"),
    )
    .await;
    ctx.sdk
        .create_user_pool_domain()
        .user_pool_id(&ctx.pool_id)
        .domain("kept-domain")
        .send()
        .await
        .unwrap();
    ctx.sdk
        .create_resource_server()
        .user_pool_id(&ctx.pool_id)
        .identifier("api")
        .name("API")
        .scopes(scope("read"))
        .send()
        .await
        .unwrap();
    let pool_id = ctx.pool_id.clone();
    ctx.server.shutdown().await.unwrap();

    let server = LocalPool::builder().data_dir(&dir).start().await.unwrap();
    let sdk = sdk(server.endpoint());
    let d = sdk
        .describe_user_pool_domain()
        .domain("kept-domain")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.domain_description().and_then(|d| d.user_pool_id()),
        Some(pool_id.as_str())
    );
    // The scope is still known: a client may allow it.
    sdk.create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("after")
        .allowed_o_auth_scopes("api/read")
        .send()
        .await
        .unwrap();
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
