//! Helpers shared by the integration tests: a server, an SDK client pointed at it, SRP
//! sign-in with userpool-srp's client, raw HTTP.

#![allow(dead_code)]

use std::time::SystemTime;

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
};
use base64::Engine as _;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

/// A server with one pool and one app client, and an SDK client.
pub struct Ctx {
    pub server: LocalPool,
    pub sdk: cip::Client,
    pub pool_id: String,
    pub client_id: String,
    pub secret: Option<String>,
}

pub fn sdk(endpoint: &str) -> cip::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .http_client(http)
        .build();
    cip::Client::from_conf(config)
}

pub async fn start(pool: PoolConfig, client: ClientConfig) -> Ctx {
    start_with(LocalPool::builder(), pool, client).await
}

pub async fn start_with(
    builder: userpool_local::LocalPoolBuilder,
    pool: PoolConfig,
    client: ClientConfig,
) -> Ctx {
    let server = builder.start().await.expect("server starts");
    let p = server.create_pool(pool).await.expect("pool");
    let c = server
        .create_client(&p.pool_id, client)
        .await
        .expect("client");
    let sdk = sdk(server.endpoint());
    Ctx {
        server,
        sdk,
        pool_id: p.pool_id,
        client_id: c.client_id,
        secret: c.client_secret,
    }
}

pub fn attr(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("attribute")
}

/// The exception name and message of a failed call.
pub fn err<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, E>,
) -> (String, String) {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => (
            e.code().unwrap_or("<none>").to_owned(),
            e.message().unwrap_or("").to_owned(),
        ),
    }
}

pub fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    userpool_srp::secret_hash(secret, username, client_id)
}

/// The decoded claims of a JWT (no verification).
pub fn claims(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("claims part");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

/// A full SRP sign-in with userpool-srp's client. Returns the tokens, or the error of the
/// first failing call as (code, message).
pub async fn srp_sign_in(
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<AuthenticationResultType, (String, String)> {
    srp_sign_in_with(ctx, username, password, |ts| ts.to_owned()).await
}

pub async fn srp_sign_in_with(
    ctx: &Ctx,
    username: &str,
    password: &str,
    timestamp: impl Fn(&str) -> String,
) -> Result<AuthenticationResultType, (String, String)> {
    let sign_in = userpool_srp::SrpSignIn::new().expect("srp client");
    let mut init = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("SRP_A", sign_in.srp_a());
    if let Some(s) = &ctx.secret {
        init = init.auth_parameters("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
    }
    let out = init.send().await.map_err(|e| {
        (
            e.code().unwrap_or("").to_owned(),
            e.message().unwrap_or("").to_owned(),
        )
    })?;
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::PasswordVerifier)
    );
    let params = out.challenge_parameters().expect("challenge parameters");
    let ts = timestamp(&userpool_srp::timestamp(SystemTime::now()));
    let answer = sign_in
        .answer(&ctx.pool_id, password, &ts, |k| {
            params.get(k).map(String::as_str)
        })
        .expect("claim");
    let mut respond = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier);
    for (name, value) in answer.responses() {
        respond = respond.challenge_responses(name, value);
    }
    if let Some(s) = &ctx.secret {
        respond = respond.challenge_responses(
            "SECRET_HASH",
            secret_hash(s, &answer.username, &ctx.client_id),
        );
    }
    let out = respond.send().await.map_err(|e| {
        (
            e.code().unwrap_or("").to_owned(),
            e.message().unwrap_or("").to_owned(),
        )
    })?;
    out.authentication_result()
        .cloned()
        .ok_or_else(|| ("NoTokens".to_owned(), format!("{:?}", out.challenge_name())))
}

pub async fn password_sign_in(
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> Result<
    cip::operation::initiate_auth::InitiateAuthOutput,
    cip::error::SdkError<cip::operation::initiate_auth::InitiateAuthError>,
> {
    let mut req = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password);
    if let Some(s) = &ctx.secret {
        req = req.auth_parameters("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
    }
    req.send().await
}

/// Signs a user up and confirms them with the code from the outbox.
pub async fn sign_up_confirmed(ctx: &Ctx, username: &str, password: &str, email: &str) {
    let mut req = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username(username)
        .password(password)
        .user_attributes(attr("email", email));
    if let Some(s) = &ctx.secret {
        req = req.secret_hash(secret_hash(s, username, &ctx.client_id));
    }
    req.send().await.expect("sign up");
    match ctx.server.latest_code(&ctx.pool_id, username) {
        Some(code) => {
            let mut req = ctx
                .sdk
                .confirm_sign_up()
                .client_id(&ctx.client_id)
                .username(username)
                .confirmation_code(code);
            if let Some(s) = &ctx.secret {
                req = req.secret_hash(secret_hash(s, username, &ctx.client_id));
            }
            req.send().await.expect("confirm");
        }
        None => {
            ctx.sdk
                .admin_confirm_sign_up()
                .user_pool_id(&ctx.pool_id)
                .username(username)
                .send()
                .await
                .expect("admin confirm");
        }
    }
}

/// A pool that auto-verifies email, with a relaxed-enough policy.
pub fn email_pool() -> PoolConfig {
    let mut p = PoolConfig::new("test");
    p.auto_verified_attributes = vec!["email".into()];
    p
}

pub const PW: &str = "Corr3ct-Horse";

/// The answer of a raw HTTP request.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request over a fresh connection, with `Host: <addr>`.
pub async fn raw(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Raw {
    let host = addr.to_string();
    let mut all = vec![("Host", host.as_str())];
    all.extend_from_slice(headers);
    raw_exact(addr, method, path, &all, body).await
}

/// One HTTP/1.1 request over a fresh connection with exactly these headers (no `Host`
/// unless given: for the tests of a foreign or missing `Host`).
pub async fn raw_exact(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Raw {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).await.expect("write");
    // A server may answer (413) before reading a large body: ignore write errors then.
    let _ = s.write_all(body).await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").expect("http head");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Raw {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n..];
        s = s.strip_prefix("\r\n").unwrap_or(s);
    }
    out
}

/// A Cognito API call over raw HTTP.
pub async fn call(addr: std::net::SocketAddr, op: &str, body: &Value) -> Raw {
    let target = format!("AWSCognitoIdentityProviderService.{op}");
    raw(
        addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &target),
        ],
        body.to_string().as_bytes(),
    )
    .await
}
