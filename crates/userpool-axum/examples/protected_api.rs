//! A protected API on a laptop: an embedded `userpool-local` pool, a user who signs in
//! (through the AWS SDK, as any Cognito client would), and an axum service that verifies
//! her access token with `userpool-verify` against the pool's JWKS.
//!
//! ```text
//! cargo run -p userpool-axum --example protected_api
//! ```
//!
//! It serves on a free loopback port, calls itself with and without the token, prints
//! the answers (never the token) and stops.

use std::net::SocketAddr;

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use userpool_axum::{InGroup, Verified, VerifyLayer, group};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};
use userpool_verify::{Pool, TokenUse, Verifier};

group!(Admins = "admins");

async fn me(Verified(claims): Verified) -> String {
    format!(
        "hello {} (sub {}), groups {:?}\n",
        claims.username().unwrap_or("?"),
        claims.sub(),
        claims.groups()
    )
}

async fn admin(InGroup(claims, ..): InGroup<Admins>) -> String {
    format!("{} may administer\n", claims.sub())
}

/// One GET over a fresh connection: the status line and the `WWW-Authenticate` header.
async fn get_status(addr: SocketAddr, path: &str, token: Option<&str>) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let challenge = answer
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("www-authenticate:"))
        .map(|l| format!(" [{l}]"))
        .unwrap_or_default();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default().trim();
    Ok(format!("{status}{challenge} {body}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The pool, a client that allows USER_PASSWORD_AUTH, and a user.
    let server = LocalPool::builder().in_memory().start().await?;
    let pool_id = server.create_pool(PoolConfig::new("api")).await?.pool_id;
    let client_id = server
        .create_client(&pool_id, ClientConfig::new("web").with_password_auth())
        .await?
        .client_id;
    server
        .create_user(
            &pool_id,
            "ada",
            "Corr3ct-Horse",
            &[("email", "ada@example.com")],
        )
        .await?;

    // Ada signs in as a client application would.
    let sdk = cip::Client::from_conf(
        cip::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(server.endpoint())
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    );
    let signed_in = sdk
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "ada")
        .auth_parameters("PASSWORD", "Corr3ct-Horse")
        .send()
        .await?;
    let access_token = signed_in
        .authentication_result()
        .and_then(|r| r.access_token())
        .ok_or("no access token")?
        .to_owned();

    // The service: one verifier for the pool's access tokens of this client, fetched
    // once now so that the first request does not wait for the JWKS.
    let verifier = Verifier::builder()
        .pool(
            Pool::with_issuer(server.issuer(&pool_id))?
                .token_use(TokenUse::Access)
                .client_id(&client_id),
        )
        .build()?;
    verifier.hydrate().await?;
    let app = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .layer(VerifyLayer::new(verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let api = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("protected API on http://{addr}, pool {pool_id}");

    for (path, token) in [
        ("/me", None),
        ("/me", Some("not-a-token")),
        ("/me", Some(access_token.as_str())),
        ("/admin", Some(access_token.as_str())),
    ] {
        let with = if token.is_some() {
            "with a token"
        } else {
            "without a token"
        };
        println!(
            "GET {path} {with}: {}",
            get_status(addr, path, token).await?
        );
    }

    api.abort();
    server.shutdown().await?;
    Ok(())
}
