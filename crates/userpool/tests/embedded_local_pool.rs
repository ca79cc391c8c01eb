//! How an application tests its sign-in code with no AWS account: an embedded local user
//! pool, started inside the test, speaking Cognito's protocol with real SRP and real codes.
//! This file is also the example the README points to.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use userpool::{Auth, AuthEvent, SignUpOptions};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

#[tokio::test]
async fn sign_up_confirm_and_sign_in_against_an_embedded_pool() {
    // In memory, on a free loopback port; gone when the test ends.
    let server = LocalPool::builder().in_memory().start().await.unwrap();
    // Sign-up codes go to the email address, as a pool with auto-verified email does.
    let mut config = PoolConfig::new("app-under-test");
    config.auto_verified_attributes = vec!["email".to_owned()];
    let pool = server.create_pool(config).await.unwrap();
    let client = server
        .create_client(&pool.pool_id, ClientConfig::new("web"))
        .await
        .unwrap();
    let auth = Auth::builder()
        .user_pool_id(&pool.pool_id)
        .client_id(&client.client_id)
        .endpoint(server.endpoint())
        .build()
        .unwrap();
    let mut events = auth.subscribe();

    let options = SignUpOptions::default()
        .attribute("email", "ada@example.com")
        .unwrap();
    let signed_up = auth
        .sign_up("ada", "Correct-Horse-1", options)
        .await
        .unwrap();
    assert!(!signed_up.user_confirmed);
    // The code the pool "sent", read from its outbox.
    let code = server.latest_code(&pool.pool_id, "ada").expect("a code");
    auth.confirm_sign_up("ada", code).await.unwrap();

    // SRP sign-in: the password never leaves the process.
    assert!(
        auth.sign_in("ada", "Correct-Horse-1")
            .await
            .unwrap()
            .is_signed_in()
    );
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.id_token().claims().str("email"),
        Some("ada@example.com")
    );
    // A wrong password is refused as Cognito refuses it.
    let refused = auth.sign_in("ada", "wrong-password").await.unwrap_err();
    assert_eq!(refused.code(), Some("NotAuthorizedException"));

    let mut names = Vec::new();
    while let Some(event) = events.try_recv() {
        names.push(event.name());
    }
    assert_eq!(
        names,
        ["signUp", "confirmSignUp", "signIn", "signIn_failure"]
    );
    auth.sign_out().await.unwrap();
    assert!(matches!(
        events.recv().await,
        Some(AuthEvent::SignOut { global: false })
    ));
    server.shutdown().await.unwrap();
}
