//! What a web page in the developer's browser can and cannot do to the local pool:
//! cross-origin probes of admin operations and the outbox, preflights, DNS rebinding (a
//! foreign `Host`), and SigV4 verification of admin calls once an access key is set.

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_cognitoidentityprovider::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_cognitoidentityprovider::error::BoxError;
use serde_json::json;
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

use crate::common::*;

const EVIL: &str = "http://evil.example";
const APP: &str = "http://localhost:3000";

/// An admin or public call with a browser's headers.
async fn browser_call(
    addr: std::net::SocketAddr,
    op: &str,
    origin: &str,
    body: &serde_json::Value,
) -> Raw {
    let host = addr.to_string();
    let target = format!("AWSCognitoIdentityProviderService.{op}");
    raw_exact(
        addr,
        "POST",
        "/",
        &[
            ("Host", &host),
            ("Origin", origin),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &target),
        ],
        body.to_string().as_bytes(),
    )
    .await
}

#[tokio::test]
async fn pages_from_other_origins_cannot_call_admin_operations() {
    let ctx = start(PoolConfig::new("browser"), ClientConfig::new("app")).await;
    let addr = ctx.server.local_addr();
    let r = browser_call(
        addr,
        "AdminCreateUser",
        EVIL,
        &json!({"UserPoolId": ctx.pool_id, "Username": "mallory"}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["__type"], "AccessDeniedException");
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = browser_call(addr, "CreateUserPool", EVIL, &json!({"PoolName": "x"})).await;
    assert_eq!(r.status, 403);
    let r = browser_call(
        addr,
        "DeleteUserPool",
        "null",
        &json!({"UserPoolId": ctx.pool_id}),
    )
    .await;
    assert_eq!(r.status, 403);
    // A no-cors load says where it comes from in Sec-Fetch-Site only.
    let host = addr.to_string();
    let r = raw_exact(
        addr,
        "POST",
        "/",
        &[
            ("Host", &host),
            ("Sec-Fetch-Site", "cross-site"),
            (
                "X-Amz-Target",
                "AWSCognitoIdentityProviderService.ListUserPools",
            ),
        ],
        br#"{"MaxResults": 5}"#,
    )
    .await;
    assert_eq!(r.status, 403);
    // Nothing happened; the SDK (no Origin) still manages the pool.
    let (code, _) = err(ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("mallory")
        .send()
        .await);
    assert_eq!(code, "UserNotFoundException");
    let pools = ctx
        .sdk
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(pools.user_pools().len(), 1);

    // Public operations keep Cognito's CORS for every origin.
    let r = browser_call(
        addr,
        "SignUp",
        EVIL,
        &json!({"ClientId": ctx.client_id, "Username": "web-user", "Password": PW}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(
        r.header("access-control-expose-headers")
            .unwrap()
            .contains("x-amzn-RequestId")
    );
}

#[tokio::test]
async fn allowed_origins_may_call_admin_operations() {
    let ctx = start_with(
        LocalPool::builder().allow_origin(APP),
        PoolConfig::new("browser"),
        ClientConfig::new("app"),
    )
    .await;
    let addr = ctx.server.local_addr();
    let r = browser_call(
        addr,
        "AdminCreateUser",
        APP,
        &json!({"UserPoolId": ctx.pool_id, "Username": "admin-made", "MessageAction": "SUPPRESS"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("vary"), Some("Origin"));
    let r = browser_call(addr, "ListUserPools", EVIL, &json!({"MaxResults": 5})).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn preflights_do_not_offer_signing_headers_to_other_origins() {
    let server = LocalPool::builder()
        .allow_origin(APP)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr();
    let host = addr.to_string();
    // What the JavaScript SDK asks before a signed admin call.
    let requested = "authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-security-token,x-amz-target,x-amz-user-agent";
    let preflight = |origin: &'static str| {
        let host = host.clone();
        async move {
            raw_exact(
                addr,
                "OPTIONS",
                "/",
                &[
                    ("Host", &host),
                    ("Origin", origin),
                    ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", requested),
                ],
                b"",
            )
            .await
        }
    };
    let r = preflight(EVIL).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let allowed = r.header("access-control-allow-headers").unwrap().to_owned();
    for h in ["content-type", "x-amz-target", "x-amz-user-agent"] {
        assert!(
            allowed.split(',').any(|a| a == h),
            "{h} missing from {allowed}"
        );
    }
    for h in [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
        "*",
    ] {
        assert!(
            !allowed.split(',').any(|a| a == h),
            "{h} offered to {EVIL}: {allowed}"
        );
    }
    assert!(
        r.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    let r = preflight(APP).await;
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert!(
        r.header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
}

#[tokio::test]
async fn the_outbox_is_not_readable_cross_origin() {
    let ctx = start_with(
        LocalPool::builder().allow_origin(APP),
        email_pool(),
        ClientConfig::new("app"),
    )
    .await;
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("ada")
        .password(PW)
        .user_attributes(attr("email", "ada@example.com"))
        .send()
        .await
        .unwrap();
    let code = ctx.server.latest_code(&ctx.pool_id, "ada").unwrap();
    let addr = ctx.server.local_addr();
    let host = addr.to_string();
    let get = |origin: Option<&'static str>, method: &'static str| {
        let host = host.clone();
        async move {
            let mut h = vec![("Host", host.as_str())];
            if let Some(o) = origin {
                h.push(("Origin", o));
                h.push(("Access-Control-Request-Method", "GET"));
            }
            raw_exact(addr, method, "/_local/outbox", &h, b"").await
        }
    };
    let r = get(Some(EVIL), "GET").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert!(!r.body.contains(&code));
    let r = get(Some(EVIL), "OPTIONS").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), None);
    // curl, tests, the address bar: no Origin.
    let r = get(None, "GET").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains(&code));
    // The allowed origin reads it, with CORS for that origin only.
    let r = get(Some(APP), "GET").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let r = get(Some(APP), "OPTIONS").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn a_foreign_host_is_refused_against_dns_rebinding() {
    let ctx = start_with(
        LocalPool::builder().allow_host("pool.test"),
        PoolConfig::new("rebinding"),
        ClientConfig::new("app"),
    )
    .await;
    let addr = ctx.server.local_addr();
    let port = addr.port();
    let evil_host = format!("evil.example:{port}");
    let create = |host: String| async move {
        raw_exact(
            addr,
            "POST",
            "/",
            &[
                ("Host", &host),
                ("Content-Type", "application/x-amz-json-1.1"),
                (
                    "X-Amz-Target",
                    "AWSCognitoIdentityProviderService.CreateUserPool",
                ),
            ],
            br#"{"PoolName": "rebound"}"#,
        )
        .await
    };
    // A page on evil.example whose name now resolves to 127.0.0.1 is "same-origin".
    let r = create(evil_host.clone()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["__type"], "AccessDeniedException");
    let r = raw_exact(addr, "GET", "/_local/outbox", &[("Host", &evil_host)], b"").await;
    assert_eq!(r.status, 403);
    let r = raw_exact(addr, "GET", "/", &[("Host", "localhost.evil.example")], b"").await;
    assert_eq!(r.status, 403);
    let pools = ctx
        .sdk
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(pools.user_pools().len(), 1);
    // The names the server serves.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("pool.test:{port}"),
    ] {
        let r = create(host.clone()).await;
        assert_eq!(r.status, 200, "{host}: {}", r.body);
    }
}

/// Changes the request after the SDK signed it.
#[derive(Debug)]
enum Tamper {
    Signature,
    Target,
}

impl Intercept for Tamper {
    fn name(&self) -> &'static str {
        "Tamper"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request_mut();
        match self {
            Tamper::Signature => {
                let auth = req
                    .headers()
                    .get("authorization")
                    .ok_or("unsigned")?
                    .to_owned();
                let last = auth.chars().last().ok_or("empty")?;
                let flipped = if last == '0' { '1' } else { '0' };
                let tampered = format!("{}{flipped}", &auth[..auth.len() - 1]);
                req.headers_mut().insert("authorization", tampered);
            }
            Tamper::Target => {
                // Replaying a signed DescribeUserPool as DeleteUserPool.
                req.headers_mut().insert(
                    "x-amz-target",
                    "AWSCognitoIdentityProviderService.DeleteUserPool",
                );
            }
        }
        Ok(())
    }
}

fn signed_sdk(endpoint: &str, key: &str, secret: &str, tamper: Option<Tamper>) -> cip::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let mut config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "static"))
        .http_client(http);
    if let Some(t) = tamper {
        config = config.interceptor(t);
    }
    cip::Client::from_conf(config.build())
}

#[tokio::test]
async fn sigv4_is_verified_once_an_admin_key_is_configured() {
    const KEY: &str = "AKIDLOCALPOOL";
    const SECRET: &str = "local/secret+key";
    let ctx = start_with(
        LocalPool::builder().admin_credentials(KEY, SECRET),
        PoolConfig::new("signed"),
        ClientConfig::new("app"),
    )
    .await;
    let endpoint = ctx.server.endpoint().to_owned();
    // The stock SDK signs; the signature is accepted (any region).
    let good = signed_sdk(&endpoint, KEY, SECRET, None);
    good.describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .expect("a valid signature is accepted");
    good.admin_create_user()
        .user_pool_id(&ctx.pool_id)
        .username("signed-user")
        .message_action(cip::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("signed admin call");
    // Wrong secret, unknown key, tampered signature, tampered target.
    let (code, message) = err(signed_sdk(&endpoint, KEY, "wrong", None)
        .list_user_pools()
        .max_results(5)
        .send()
        .await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        message.starts_with("The request signature we calculated does not match"),
        "{message}"
    );
    let (code, message) = err(ctx.sdk.list_user_pools().max_results(5).send().await);
    assert_eq!(code, "UnrecognizedClientException");
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );
    let (code, _) = err(signed_sdk(&endpoint, KEY, SECRET, Some(Tamper::Signature))
        .list_user_pools()
        .max_results(5)
        .send()
        .await);
    assert_eq!(code, "InvalidSignatureException");
    let r = signed_sdk(&endpoint, KEY, SECRET, Some(Tamper::Target))
        .describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await;
    assert!(
        r.is_err(),
        "a replayed signature with another target was accepted"
    );
    good.describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .expect("the pool is still there");
    // No signature at all.
    let r = call(
        ctx.server.local_addr(),
        "ListUserPools",
        &json!({"MaxResults": 5}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "MissingAuthenticationTokenException");
    // Public operations need no signature, as in Cognito.
    let r = call(
        ctx.server.local_addr(),
        "SignUp",
        &json!({"ClientId": ctx.client_id, "Username": "public", "Password": PW}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The embedded API is not an HTTP client: it is not asked for a signature.
    ctx.server
        .create_user(&ctx.pool_id, "embedded", PW, &[])
        .await
        .unwrap();
}
