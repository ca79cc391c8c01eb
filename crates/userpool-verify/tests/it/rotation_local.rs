//! A running verifier follows a real key rotation of `userpool-local` without a restart:
//! the new `kid` is fetched on its first token (once the refetch interval allows), tokens
//! of the old key keep verifying while it is published, and after its retirement they are
//! refused from the first refetch on. Until that refetch the cache cannot know the key was
//! removed: a JWKS is only fetched for a `kid` it lacks (or at `hydrate`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use userpool_local::{ClientConfig, LocalPool, PoolConfig};
use userpool_verify::{
    HttpsFetcher, JwksError, JwksFetcher, Pool, TokenUse, Verifier, VerifyError, async_trait,
};

const PASSWORD: &str = "Corr3ct-Horse";
const INTERVAL: Duration = Duration::from_secs(1);
/// Slack on top of the interval when waiting it out.
const SLACK: Duration = Duration::from_millis(50);

/// The default fetcher, counting its fetches.
#[derive(Debug)]
struct Counting {
    inner: HttpsFetcher,
    fetches: Arc<AtomicUsize>,
}

#[async_trait]
impl JwksFetcher for Counting {
    async fn fetch(&self, jwks_uri: &str, max_bytes: usize) -> Result<Vec<u8>, JwksError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        self.inner.fetch(jwks_uri, max_bytes).await
    }
}

async fn access_token(endpoint: &str, client_id: &str) -> String {
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let out = cip::Client::from_conf(config)
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "ada")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    out.authentication_result()
        .unwrap()
        .access_token()
        .unwrap()
        .to_owned()
}

fn unknown_kid(result: Result<userpool_verify::VerifiedClaims, VerifyError>) -> bool {
    matches!(result, Err(VerifyError::UnknownKid { .. }))
}

#[tokio::test]
async fn a_running_verifier_follows_a_rotation_of_the_local_pool() {
    let server = LocalPool::builder().in_memory().start().await.unwrap();
    let pool_id = server
        .create_pool(PoolConfig::new("rotation"))
        .await
        .unwrap()
        .pool_id;
    let client_id = server
        .create_client(&pool_id, ClientConfig::new("api").with_password_auth())
        .await
        .unwrap()
        .client_id;
    server
        .create_user(&pool_id, "ada", PASSWORD, &[])
        .await
        .unwrap();
    let fetches = Arc::new(AtomicUsize::new(0));
    let verifier = Verifier::builder()
        .pool(
            Pool::with_issuer(server.issuer(&pool_id))
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(&client_id),
        )
        .fetcher(Counting {
            inner: HttpsFetcher::new().unwrap(),
            fetches: fetches.clone(),
        })
        .refetch_interval(INTERVAL)
        .build()
        .unwrap();
    let fetched = || fetches.load(Ordering::SeqCst);

    let old = access_token(server.endpoint(), &client_id).await;
    verifier.verify(&old).await.unwrap();
    let first_fetch = Instant::now();
    assert_eq!(fetched(), 1);

    // Rotation: the next token has a kid the cache lacks.
    server.rotate_signing_key(&pool_id).await.unwrap();
    let new = access_token(server.endpoint(), &client_id).await;
    // Within the refetch interval of the last fetch, an unknown kid is refused unfetched
    // (the penalty box). Checked only when the key generation left time for it: a slow
    // machine skips it rather than fail (the cache tests check the box exactly).
    if first_fetch.elapsed() + Duration::from_millis(200) < INTERVAL {
        assert!(unknown_kid(verifier.verify(&new).await));
        assert_eq!(fetched(), 1);
    }
    // Once it has passed, the first token of the new key fetches the JWKS.
    tokio::time::sleep_until((first_fetch + INTERVAL + SLACK).into()).await;
    verifier.verify(&new).await.unwrap();
    assert_eq!(fetched(), 2);
    // Both keys are published: the old token still verifies, from the cache.
    verifier.verify(&old).await.unwrap();
    verifier.verify_sync(&new).unwrap();
    assert_eq!(fetched(), 2);

    // Retirement: the cache cannot know until it refetches, so the old key still verifies
    // (Cognito's own clients behave the same: a JWKS is refetched for a kid it lacks).
    let old_kid = server.signing_keys(&pool_id).await.unwrap().published_kids[1].clone();
    server.retire_signing_key(&pool_id, &old_kid).await.unwrap();
    verifier.verify(&old).await.unwrap();
    assert_eq!(fetched(), 2);
    // A refetch (here `hydrate`, once the interval allows; or the first token of a kid the
    // cache lacks) replaces the keys whole: the old key is gone with it.
    tokio::time::sleep(INTERVAL + SLACK).await;
    verifier.hydrate().await.unwrap();
    assert_eq!(fetched(), 3);
    assert!(unknown_kid(verifier.verify(&old).await));
    assert!(unknown_kid(verifier.verify_sync(&old)));
    verifier.verify(&new).await.unwrap();

    // A second rotation: a token of the next key is fetched on first sight, and the
    // retired key stays refused.
    server.rotate_signing_key(&pool_id).await.unwrap();
    let newest = access_token(server.endpoint(), &client_id).await;
    tokio::time::sleep(INTERVAL + SLACK).await;
    verifier.verify(&newest).await.unwrap();
    assert_eq!(fetched(), 4);
    verifier.verify(&new).await.unwrap();
    assert!(unknown_kid(verifier.verify(&old).await));
    server.shutdown().await.unwrap();
}
