//! Real tokens: a user of an embedded `userpool-local` pool signs in through the AWS SDK,
//! and the verifier checks the tokens against the pool's JWKS, fetched over HTTP by the
//! default fetcher.

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use userpool_local::{ClientConfig, LocalPool, PoolConfig};
use userpool_verify::{Pool, TokenUse, Verifier, VerifyError};

const PASSWORD: &str = "Corr3ct-Horse";

struct Signed {
    server: LocalPool,
    pool_id: String,
    client_id: String,
    sub: String,
    id_token: String,
    access_token: String,
}

fn sdk(endpoint: &str) -> cip::Client {
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    cip::Client::from_conf(config)
}

/// A pool, a client, user `ada` in group `admins`, and her tokens from a sign-in.
async fn signed_in() -> Signed {
    let server = LocalPool::builder().in_memory().start().await.unwrap();
    let pool_id = server
        .create_pool(PoolConfig::new("verify"))
        .await
        .unwrap()
        .pool_id;
    let client_id = server
        .create_client(&pool_id, ClientConfig::new("api").with_password_auth())
        .await
        .unwrap()
        .client_id;
    let sub = server
        .create_user(&pool_id, "ada", PASSWORD, &[("email", "ada@example.com")])
        .await
        .unwrap();
    let sdk = sdk(server.endpoint());
    sdk.create_group()
        .user_pool_id(&pool_id)
        .group_name("admins")
        .send()
        .await
        .unwrap();
    sdk.admin_add_user_to_group()
        .user_pool_id(&pool_id)
        .username("ada")
        .group_name("admins")
        .send()
        .await
        .unwrap();
    let out = sdk
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "ada")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    let tokens = out.authentication_result().unwrap();
    Signed {
        id_token: tokens.id_token().unwrap().to_owned(),
        access_token: tokens.access_token().unwrap().to_owned(),
        server,
        pool_id,
        client_id,
        sub,
    }
}

fn verifier(s: &Signed, token_use: TokenUse) -> Verifier {
    Verifier::builder()
        .pool(
            Pool::with_issuer(s.server.issuer(&s.pool_id))
                .unwrap()
                .token_use(token_use)
                .client_id(&s.client_id),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn tokens_of_a_real_sign_in_verify_against_the_pools_jwks() {
    let s = signed_in().await;
    let v = verifier(&s, TokenUse::Either);
    v.hydrate().await.unwrap();

    let access = v.verify(&s.access_token).await.unwrap();
    assert_eq!(access.sub(), s.sub);
    assert_eq!(access.username(), Some("ada"));
    assert_eq!(access.token_use(), TokenUse::Access);
    assert_eq!(access.client_id(), Some(s.client_id.as_str()));
    assert_eq!(access.groups(), ["admins"]);
    assert!(access.has_scope("aws.cognito.signin.user.admin"));
    assert_eq!(access.issuer(), s.server.issuer(&s.pool_id));

    let id = v.verify_sync(&s.id_token).unwrap();
    assert_eq!(id.token_use(), TokenUse::Id);
    assert_eq!(id.username(), Some("ada"));
    assert_eq!(
        id.get("email").and_then(|e| e.as_str()),
        Some("ada@example.com")
    );
    assert_eq!(id.client_id(), Some(s.client_id.as_str()));

    let grouped = Verifier::builder()
        .pool(
            Pool::with_issuer(s.server.issuer(&s.pool_id))
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(&s.client_id),
        )
        .require_group("admins")
        .build()
        .unwrap();
    grouped.verify(&s.access_token).await.unwrap();
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn real_tokens_are_refused_where_they_do_not_belong() {
    let s = signed_in().await;
    let access_only = verifier(&s, TokenUse::Access);
    assert!(matches!(
        access_only.verify(&s.id_token).await,
        Err(VerifyError::WrongTokenUse { .. })
    ));
    let other_client = Verifier::builder()
        .pool(
            Pool::with_issuer(s.server.issuer(&s.pool_id))
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id("another-client"),
        )
        .build()
        .unwrap();
    assert!(matches!(
        other_client.verify(&s.access_token).await,
        Err(VerifyError::WrongClient { .. })
    ));
    let other_pool = Verifier::builder()
        .pool(
            Pool::with_issuer(s.server.issuer("us-east-1_Other"))
                .unwrap()
                .token_use(TokenUse::Access)
                .any_client(),
        )
        .build()
        .unwrap();
    assert!(matches!(
        other_pool.verify(&s.access_token).await,
        Err(VerifyError::UnknownIssuer { .. })
    ));
    let staff = Verifier::builder()
        .pool(
            Pool::with_issuer(s.server.issuer(&s.pool_id))
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(&s.client_id),
        )
        .require_group("staff")
        .build()
        .unwrap();
    assert!(matches!(
        staff.verify(&s.access_token).await,
        Err(VerifyError::MissingGroup { .. })
    ));
    // One character of the signature changed.
    let mut tampered = s.access_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let err = access_only.verify(&tampered).await.unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::InvalidSignature | VerifyError::Malformed { .. }
        ),
        "{err:?}"
    );
    // Expired, an hour later (the clock moved, not the token).
    let later = access_only
        .verify_at(&s.access_token, i64::MAX / 2)
        .await
        .unwrap_err();
    assert!(matches!(later, VerifyError::Expired { .. }));
    s.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_jwks_is_an_unavailable_error() {
    let s = signed_in().await;
    let v = verifier(&s, TokenUse::Access);
    s.server.shutdown().await.unwrap();
    let err = v.verify(&s.access_token).await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
}
