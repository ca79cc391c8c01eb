//! A real access token of an embedded `userpool-local` pool through the layer.

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

use super::*;

#[tokio::test]
async fn a_real_token_passes_the_layer() {
    let server = LocalPool::builder().in_memory().start().await.unwrap();
    let pool_id = server
        .create_pool(PoolConfig::new("api"))
        .await
        .unwrap()
        .pool_id;
    let client_id = server
        .create_client(&pool_id, ClientConfig::new("web").with_password_auth())
        .await
        .unwrap()
        .client_id;
    let sub = server
        .create_user(&pool_id, "ada", "Corr3ct-Horse", &[])
        .await
        .unwrap();
    let sdk = cip::Client::from_conf(
        cip::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(server.endpoint())
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    );
    let out = sdk
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "ada")
        .auth_parameters("PASSWORD", "Corr3ct-Horse")
        .send()
        .await
        .unwrap();
    let access = out
        .authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned();
    let verifier = Verifier::builder()
        .pool(
            Pool::with_issuer(server.issuer(&pool_id))
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(&client_id),
        )
        .build()
        .unwrap();
    let app = routes().layer(VerifyLayer::new(verifier));
    let answer = call(&app, "/me", Some(&format!("Bearer {access}"))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, format!("sub={sub} groups=[]"));
    assert_eq!(
        call(&app, "/admins", Some(&format!("Bearer {access}")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    server.shutdown().await.unwrap();
}
