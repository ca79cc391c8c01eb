//! Signing-key rotation: a new key is published beside the old one (new tokens carry its
//! `kid`, old tokens still work), then the old one is retired (its tokens are refused as
//! Cognito refuses a token whose key it does not publish). Through the Rust API, through
//! `/_local/signing-keys` over HTTP (admin only, never for browsers; SigV4-signed once an
//! admin key is configured), and across a restart on a data directory.

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_cognitoidentityprovider::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_cognitoidentityprovider::error::BoxError;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use base64::Engine as _;
use serde_json::{Value, json};
use userpool_local::{ClientConfig, LocalPool, MAX_PUBLISHED_KEYS, PoolConfig};

use crate::common::*;

/// The `kid` in a JWT's header.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().expect("header part");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64url");
    let header: Value = serde_json::from_slice(&bytes).expect("json");
    header["kid"].as_str().expect("kid").to_owned()
}

/// The kids of the pool's JWKS, as served over HTTP.
async fn jwks_kids(ctx: &Ctx) -> Vec<String> {
    let path = format!("/{}/.well-known/jwks.json", ctx.pool_id);
    let answer = raw(ctx.server.local_addr(), "GET", &path, &[], b"").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// `GetUser` with an access token: the username, or the error as (code, message).
async fn get_user(ctx: &Ctx, access_token: &str) -> Result<String, (String, String)> {
    let r = ctx.sdk.get_user().access_token(access_token).send().await;
    match r {
        Ok(out) => Ok(out.username().to_owned()),
        Err(_) => Err(err(r)),
    }
}

async fn ctx_with_user(builder: userpool_local::LocalPoolBuilder) -> Ctx {
    let ctx = start_with(builder, PoolConfig::new("keys"), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "kim", PW, &[])
        .await
        .unwrap();
    ctx
}

fn invalid_access_token() -> (String, String) {
    (
        "NotAuthorizedException".to_owned(),
        "Invalid Access Token".to_owned(),
    )
}

#[tokio::test]
async fn a_rotated_key_is_published_beside_the_old_one_until_the_old_one_is_retired() {
    let ctx = ctx_with_user(LocalPool::builder()).await;
    let before = srp_sign_in(&ctx, "kim", PW).await.unwrap();
    let old_access = before.access_token().unwrap().to_owned();
    let old_kid = kid_of(&old_access);
    assert_eq!(kid_of(before.id_token().unwrap()), old_kid);
    assert_eq!(jwks_kids(&ctx).await, [old_kid.as_str()]);
    let keys = ctx.server.signing_keys(&ctx.pool_id).await.unwrap();
    assert_eq!(keys.signing_kid, old_kid);

    // Rotation: the new key signs, both are published, old tokens still work.
    let rotated = ctx.server.rotate_signing_key(&ctx.pool_id).await.unwrap();
    let new_kid = rotated.signing_kid.clone();
    assert_ne!(new_kid, old_kid);
    assert_eq!(rotated.published_kids, [new_kid.clone(), old_kid.clone()]);
    assert_eq!(jwks_kids(&ctx).await, [new_kid.clone(), old_kid.clone()]);
    assert_eq!(get_user(&ctx, &old_access).await.unwrap(), "kim");
    let after = srp_sign_in(&ctx, "kim", PW).await.unwrap();
    let new_access = after.access_token().unwrap().to_owned();
    assert_eq!(kid_of(&new_access), new_kid);
    assert_eq!(kid_of(after.id_token().unwrap()), new_kid);
    assert_eq!(get_user(&ctx, &new_access).await.unwrap(), "kim");

    // Retirement: the old key leaves the JWKS and its tokens are refused as Cognito
    // refuses a token it cannot verify.
    let retired = ctx
        .server
        .retire_signing_key(&ctx.pool_id, &old_kid)
        .await
        .unwrap();
    assert_eq!(retired.signing_kid, new_kid);
    assert_eq!(retired.published_kids, [new_kid.as_str()]);
    assert_eq!(jwks_kids(&ctx).await, [new_kid.as_str()]);
    assert_eq!(
        get_user(&ctx, &old_access).await.unwrap_err(),
        invalid_access_token()
    );
    assert_eq!(get_user(&ctx, &new_access).await.unwrap(), "kim");

    // The refresh token of the first session is opaque: it survives, and its new tokens
    // are signed with the new key.
    let refreshed = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", before.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let refreshed_access = refreshed
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap();
    assert_eq!(kid_of(refreshed_access), new_kid);
    assert_eq!(get_user(&ctx, refreshed_access).await.unwrap(), "kim");
}

#[tokio::test]
async fn the_signing_key_an_unknown_kid_and_an_unknown_pool_are_refused() {
    let ctx = ctx_with_user(LocalPool::builder()).await;
    let signing = ctx.server.signing_keys(&ctx.pool_id).await.unwrap();
    let e = ctx
        .server
        .retire_signing_key(&ctx.pool_id, &signing.signing_kid)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("InvalidParameterException"), "{e}");
    let e = ctx
        .server
        .retire_signing_key(&ctx.pool_id, "no-such-kid")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("ResourceNotFoundException"), "{e}");
    let e = ctx
        .server
        .rotate_signing_key("us-east-1_NoSuchPool")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("ResourceNotFoundException"), "{e}");
    // Nothing changed.
    assert_eq!(
        ctx.server.signing_keys(&ctx.pool_id).await.unwrap(),
        signing
    );

    // At most MAX_PUBLISHED_KEYS keys at once: retire one to rotate again.
    for _ in 1..MAX_PUBLISHED_KEYS {
        ctx.server.rotate_signing_key(&ctx.pool_id).await.unwrap();
    }
    let full = ctx.server.signing_keys(&ctx.pool_id).await.unwrap();
    assert_eq!(full.published_kids.len(), MAX_PUBLISHED_KEYS);
    let e = ctx
        .server
        .rotate_signing_key(&ctx.pool_id)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("LimitExceededException"), "{e}");
    assert_eq!(ctx.server.signing_keys(&ctx.pool_id).await.unwrap(), full);
    let oldest = full.published_kids.last().unwrap();
    assert_eq!(oldest, &signing.signing_kid);
    ctx.server
        .retire_signing_key(&ctx.pool_id, oldest)
        .await
        .unwrap();
    ctx.server.rotate_signing_key(&ctx.pool_id).await.unwrap();
}

async fn post_local(ctx: &Ctx, path: &str, headers: &[(&str, &str)], body: &Value) -> Raw {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    raw(
        ctx.server.local_addr(),
        "POST",
        path,
        &all,
        body.to_string().as_bytes(),
    )
    .await
}

#[tokio::test]
async fn keys_rotate_and_retire_over_http_for_tests_in_any_language() {
    // An allowed origin, to show that even it may not touch the keys.
    let ctx = ctx_with_user(LocalPool::builder().allow_origin("http://localhost:3000")).await;
    let old_access = srp_sign_in(&ctx, "kim", PW)
        .await
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned();
    let old_kid = kid_of(&old_access);
    let pool = json!({ "UserPoolId": ctx.pool_id });

    for origin in [
        [("Origin", "http://localhost:3000")],
        [("Origin", "http://evil.example")],
        [("Sec-Fetch-Site", "cross-site")],
    ] {
        let refused = post_local(&ctx, "/_local/signing-keys/rotate", &origin, &pool).await;
        assert_eq!(refused.status, 403, "{origin:?}: {}", refused.body);
        assert_eq!(refused.json()["__type"], "AccessDeniedException");
        assert!(refused.header("access-control-allow-origin").is_none());
        let path = format!("/_local/signing-keys?pool={}", ctx.pool_id);
        let refused = raw(ctx.server.local_addr(), "GET", &path, &origin, b"").await;
        assert_eq!(refused.status, 403, "{origin:?}: {}", refused.body);
    }
    assert_eq!(jwks_kids(&ctx).await, [old_kid.as_str()]);

    let rotated = post_local(&ctx, "/_local/signing-keys/rotate", &[], &pool).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_kid = rotated.json()["SigningKid"].as_str().unwrap().to_owned();
    assert_eq!(rotated.json()["PublishedKids"], json!([new_kid, old_kid]));
    let path = format!("/_local/signing-keys?pool={}", ctx.pool_id);
    let listed = raw(ctx.server.local_addr(), "GET", &path, &[], b"").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json(), rotated.json());
    assert_eq!(get_user(&ctx, &old_access).await.unwrap(), "kim");

    // Bad requests answer JSON errors.
    let missing = post_local(&ctx, "/_local/signing-keys/retire", &[], &pool).await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert_eq!(missing.json()["__type"], "InvalidParameterException");
    let not_json = raw(
        ctx.server.local_addr(),
        "POST",
        "/_local/signing-keys/rotate",
        &[],
        b"{",
    )
    .await;
    assert_eq!(not_json.status, 400, "{}", not_json.body);
    let unknown = post_local(
        &ctx,
        "/_local/signing-keys/retire",
        &[],
        &json!({ "UserPoolId": ctx.pool_id, "Kid": "nope" }),
    )
    .await;
    assert_eq!(unknown.json()["__type"], "ResourceNotFoundException");

    let retired = post_local(
        &ctx,
        "/_local/signing-keys/retire",
        &[],
        &json!({ "UserPoolId": ctx.pool_id, "Kid": old_kid }),
    )
    .await;
    assert_eq!(retired.status, 200, "{}", retired.body);
    assert_eq!(retired.json()["PublishedKids"], json!([new_kid]));
    assert_eq!(
        get_user(&ctx, &old_access).await.unwrap_err(),
        invalid_access_token()
    );
}

#[tokio::test]
async fn with_an_admin_key_the_key_endpoints_need_a_signature() {
    let ctx = ctx_with_user(LocalPool::builder().admin_credentials("AKIDLOCAL", "s3cret")).await;
    let before = ctx.server.signing_keys(&ctx.pool_id).await.unwrap();
    let pool = json!({ "UserPoolId": ctx.pool_id });
    let unsigned = post_local(&ctx, "/_local/signing-keys/rotate", &[], &pool).await;
    assert_eq!(unsigned.status, 400, "{}", unsigned.body);
    assert_eq!(
        unsigned.json()["__type"],
        "MissingAuthenticationTokenException"
    );
    let forged = post_local(
        &ctx,
        "/_local/signing-keys/rotate",
        &[(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20250101/us-east-1/cognito-idp/aws4_request, \
             SignedHeaders=host, Signature=00",
        )],
        &pool,
    )
    .await;
    assert_ne!(forged.status, 200, "{}", forged.body);
    assert_eq!(ctx.server.signing_keys(&ctx.pool_id).await.unwrap(), before);
}

#[tokio::test]
async fn a_rotation_and_a_retirement_survive_a_restart_on_a_data_dir() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("keys-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ctx = ctx_with_user(LocalPool::builder().data_dir(&dir)).await;
    let old_access = srp_sign_in(&ctx, "kim", PW)
        .await
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned();
    let rotated = ctx.server.rotate_signing_key(&ctx.pool_id).await.unwrap();
    let (pool_id, client_id) = (ctx.pool_id.clone(), ctx.client_id.clone());
    ctx.server.shutdown().await.unwrap();

    let restart = || async {
        let server = LocalPool::builder().data_dir(&dir).start().await.unwrap();
        let sdk = sdk(server.endpoint());
        Ctx {
            server,
            sdk,
            pool_id: pool_id.clone(),
            client_id: client_id.clone(),
            secret: None,
        }
    };
    let ctx = restart().await;
    assert_eq!(
        ctx.server.signing_keys(&ctx.pool_id).await.unwrap(),
        rotated
    );
    assert_eq!(jwks_kids(&ctx).await, rotated.published_kids);
    assert_eq!(get_user(&ctx, &old_access).await.unwrap(), "kim");
    let new_access = srp_sign_in(&ctx, "kim", PW)
        .await
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned();
    assert_eq!(kid_of(&new_access), rotated.signing_kid);
    ctx.server
        .retire_signing_key(&ctx.pool_id, &kid_of(&old_access))
        .await
        .unwrap();
    ctx.server.shutdown().await.unwrap();

    let ctx = restart().await;
    assert_eq!(jwks_kids(&ctx).await, [rotated.signing_kid.as_str()]);
    assert_eq!(
        get_user(&ctx, &old_access).await.unwrap_err(),
        invalid_access_token()
    );
    assert_eq!(get_user(&ctx, &new_access).await.unwrap(), "kim");
    ctx.server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends the SDK's request to a `/_local/signing-keys` endpoint instead: the method, path
/// and body are replaced before the SDK signs, so the request reaching the server carries
/// a signature made by the stock AWS signer over exactly what it receives.
#[derive(Debug)]
struct ToKeyEndpoint {
    method: &'static str,
    /// Path and query.
    target: String,
    body: Vec<u8>,
}

impl Intercept for ToKeyEndpoint {
    fn name(&self) -> &'static str {
        "ToKeyEndpoint"
    }

    fn modify_before_signing(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request_mut();
        let origin = {
            let uri = req.uri();
            let path = uri.find("://").map_or(0, |i| i + 3);
            let end = uri[path..].find('/').map_or(uri.len(), |i| path + i);
            uri[..end].to_owned()
        };
        req.set_uri(format!("{origin}{}", self.target))?;
        req.set_method(self.method)?;
        req.headers_mut().remove("x-amz-target");
        req.headers_mut()
            .insert("content-length", self.body.len().to_string());
        *req.body_mut() = self.body.clone().into();
        Ok(())
    }
}

/// A client signing with `key`/`secret` whose every call goes to `method target` with
/// `body` (the SDK operation called only carries it; its answer is read from the pool).
fn signed_key_call(
    ctx: &Ctx,
    key: &str,
    secret: &str,
    method: &'static str,
    target: String,
    body: &Value,
) -> cip::Client {
    let body = if method == "GET" {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .endpoint_url(ctx.server.endpoint())
        .credentials_provider(Credentials::new(key, secret, None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .interceptor(ToKeyEndpoint {
            method,
            target,
            body,
        })
        .build();
    cip::Client::from_conf(config)
}

#[tokio::test]
async fn with_an_admin_key_a_signed_key_request_is_accepted() {
    const KEY: &str = "AKIDLOCALKEYS";
    const SECRET: &str = "keys/secret+value";
    let ctx = ctx_with_user(LocalPool::builder().admin_credentials(KEY, SECRET)).await;
    let before = ctx.server.signing_keys(&ctx.pool_id).await.unwrap();
    let pool = json!({ "UserPoolId": ctx.pool_id });
    // Any operation will do: the interceptor sends its signed request elsewhere, and the
    // SDK reads the JSON answer as that operation's output (unknown members ignored).
    let call = |method, target: String, body: &Value, secret: &str| {
        let client = signed_key_call(&ctx, KEY, secret, method, target, body);
        let pool_id = ctx.pool_id.clone();
        async move {
            client
                .describe_user_pool()
                .user_pool_id(pool_id)
                .send()
                .await
        }
    };

    let rotate = "/_local/signing-keys/rotate".to_owned();
    call("POST", rotate.clone(), &pool, SECRET)
        .await
        .expect("a signed rotation is accepted");
    let rotated = ctx.server.signing_keys(&ctx.pool_id).await.unwrap();
    assert_ne!(rotated.signing_kid, before.signing_kid);
    assert_eq!(
        rotated.published_kids,
        [rotated.signing_kid.clone(), before.signing_kid.clone()]
    );

    // The listing: a signed GET whose query is part of the canonical request.
    let list = format!("/_local/signing-keys?pool={}", ctx.pool_id);
    call("GET", list, &Value::Null, SECRET)
        .await
        .expect("a signed listing is accepted");

    // The same request signed with another secret changes nothing.
    let (code, _) = err(call("POST", rotate, &pool, "not-the-secret").await);
    assert_eq!(code, "InvalidSignatureException");
    assert_eq!(
        ctx.server.signing_keys(&ctx.pool_id).await.unwrap(),
        rotated
    );

    let retire = json!({ "UserPoolId": ctx.pool_id, "Kid": before.signing_kid });
    call(
        "POST",
        "/_local/signing-keys/retire".to_owned(),
        &retire,
        SECRET,
    )
    .await
    .expect("a signed retirement is accepted");
    assert_eq!(
        ctx.server
            .signing_keys(&ctx.pool_id)
            .await
            .unwrap()
            .published_kids,
        [rotated.signing_kid]
    );
}
