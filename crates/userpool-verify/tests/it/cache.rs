//! The JWKS cache with a fake fetcher that counts its calls: first fetch, hydrate, the
//! refetch interval ("penalty box"), one fetch shared by concurrent callers, failures,
//! timeouts, and a key rotation followed without a restart.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use userpool_verify::test_util::TestKey;
use userpool_verify::{JwksError, JwksFetcher, Pool, TokenUse, Verifier, VerifyError, async_trait};

use crate::common::*;

/// Serves a JWKS that a test can change, after an optional delay; counts the calls.
#[derive(Debug, Default)]
struct Fake {
    jwks: Mutex<Option<String>>,
    calls: AtomicUsize,
    delay: Option<Duration>,
    uris: Mutex<Vec<String>>,
}

impl Fake {
    fn serving(keys: &[&TestKey]) -> Arc<Self> {
        let fake = Self::default();
        fake.serve(keys);
        Arc::new(fake)
    }

    fn serve(&self, keys: &[&TestKey]) {
        *self.jwks.lock().unwrap() = Some(TestKey::jwks(keys));
    }

    fn fail(&self) {
        *self.jwks.lock().unwrap() = None;
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl JwksFetcher for Fake {
    async fn fetch(&self, jwks_uri: &str, _max_bytes: usize) -> Result<Vec<u8>, JwksError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.uris.lock().unwrap().push(jwks_uri.to_owned());
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let jwks = self.jwks.lock().unwrap().clone();
        jwks.map(String::into_bytes)
            .ok_or(JwksError::Status { status: 503 })
    }
}

fn online(fake: &Arc<Fake>, interval: Duration) -> Verifier {
    Verifier::builder()
        .fetcher(fake.clone())
        .refetch_interval(interval)
        .pool(
            Pool::with_issuer(ISSUER)
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(CLIENT),
        )
        .build()
        .unwrap()
}

fn signed_by(key: &TestKey) -> String {
    key.sign(&Value::Object(access_claims()))
}

#[tokio::test(start_paused = true)]
async fn the_first_token_fetches_then_the_cache_serves() {
    let fake = Fake::serving(&[&TestKey::a()]);
    let v = online(&fake, Duration::from_secs(10));
    assert!(
        matches!(
            v.verify_sync_at(&access(), NOW),
            Err(VerifyError::UnknownKid { .. })
        ),
        "nothing cached before the first fetch"
    );
    for _ in 0..50 {
        v.verify_at(&access(), NOW).await.unwrap();
    }
    assert_eq!(fake.calls(), 1);
    assert_eq!(
        fake.uris.lock().unwrap().as_slice(),
        [format!("{ISSUER}/.well-known/jwks.json")]
    );
    v.verify_sync_at(&access(), NOW).unwrap();
}

#[tokio::test(start_paused = true)]
async fn hydrate_fetches_before_the_first_token() {
    let fake = Fake::serving(&[&TestKey::a()]);
    let v = online(&fake, Duration::from_secs(10));
    v.hydrate().await.unwrap();
    assert_eq!(fake.calls(), 1);
    v.verify_sync_at(&access(), NOW).unwrap();
    v.verify_at(&access(), NOW).await.unwrap();
    v.hydrate().await.unwrap();
    assert_eq!(
        fake.calls(),
        1,
        "hydrate within the interval does not fetch again"
    );

    fake.fail();
    tokio::time::advance(Duration::from_secs(11)).await;
    let err = v.hydrate().await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    v.verify_sync_at(&access(), NOW)
        .expect("a failed fetch keeps the keys read before");
}

#[tokio::test(start_paused = true)]
async fn unknown_kids_refetch_at_most_once_per_interval() {
    let fake = Fake::serving(&[&TestKey::a()]);
    let v = online(&fake, Duration::from_secs(10));
    v.hydrate().await.unwrap();
    let forged = TestKey::a().sign_with_header(
        &json!({"alg": "RS256", "kid": "random-kid"}),
        &Value::Object(access_claims()),
    );
    // The first miss may fetch; it comes right after hydrate, inside the interval.
    for _ in 0..100 {
        assert!(matches!(
            v.verify_at(&forged, NOW).await,
            Err(VerifyError::UnknownKid { .. })
        ));
    }
    assert_eq!(
        fake.calls(),
        1,
        "a flood of unknown kids costs no fetch inside the interval"
    );
    tokio::time::advance(Duration::from_secs(11)).await;
    for _ in 0..100 {
        assert!(v.verify_at(&forged, NOW).await.is_err());
    }
    assert_eq!(fake.calls(), 2, "one fetch per interval");
}

#[tokio::test(start_paused = true)]
async fn a_key_rotation_is_followed_without_a_restart() {
    let (a, b) = (TestKey::a(), TestKey::b());
    let fake = Fake::serving(&[&a]);
    let v = online(&fake, Duration::from_secs(10));
    v.hydrate().await.unwrap();
    // The pool publishes b beside a, and starts signing with b.
    fake.serve(&[&a, &b]);
    assert!(
        matches!(
            v.verify_at(&signed_by(&b), NOW).await,
            Err(VerifyError::UnknownKid { .. })
        ),
        "inside the interval, the new key is not fetched yet"
    );
    tokio::time::advance(Duration::from_secs(11)).await;
    v.verify_at(&signed_by(&b), NOW).await.unwrap();
    v.verify_at(&signed_by(&a), NOW).await.unwrap();
    assert_eq!(fake.calls(), 2);
    // Then a is removed: it stays cached until the next fetch, which drops it.
    fake.serve(&[&b]);
    v.verify_at(&signed_by(&a), NOW).await.unwrap();
    tokio::time::advance(Duration::from_secs(11)).await;
    let unknown = TestKey::b().sign_with_header(
        &json!({"alg": "RS256", "kid": "next-key"}),
        &Value::Object(access_claims()),
    );
    assert!(v.verify_at(&unknown, NOW).await.is_err());
    assert_eq!(fake.calls(), 3);
    assert!(
        matches!(
            v.verify_sync_at(&signed_by(&a), NOW),
            Err(VerifyError::UnknownKid { .. })
        ),
        "the removed key is gone"
    );
    v.verify_sync_at(&signed_by(&b), NOW).unwrap();
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_fetch() {
    let fake = Arc::new(Fake {
        delay: Some(Duration::from_millis(500)),
        ..Fake::default()
    });
    fake.serve(&[&TestKey::a()]);
    // No interval: only the sharing keeps it to one fetch.
    let v = online(&fake, Duration::ZERO);
    let token = access();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (v, token) = (v.clone(), token.clone());
            tokio::spawn(async move { v.verify_at(&token, NOW).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_a_failed_fetch() {
    let fake = Arc::new(Fake {
        delay: Some(Duration::from_millis(500)),
        ..Fake::default()
    });
    let v = online(&fake, Duration::ZERO);
    let token = access();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (v, token) = (v.clone(), token.clone());
            tokio::spawn(async move { v.verify_at(&token, NOW).await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(
                &err,
                VerifyError::Jwks {
                    source: JwksError::Status { status: 503 },
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(fake.calls(), 1);
    // With no interval, the next miss fetches again, and succeeds once the JWKS is back.
    fake.serve(&[&TestKey::a()]);
    v.verify_at(&token, NOW).await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_slow_fetch_times_out() {
    let fake = Arc::new(Fake {
        delay: Some(Duration::from_secs(3600)),
        ..Fake::default()
    });
    fake.serve(&[&TestKey::a()]);
    let v = Verifier::builder()
        .fetcher(fake.clone())
        .fetch_timeout(Duration::from_secs(2))
        .pool(pool(TokenUse::Access))
        .build()
        .unwrap();
    let forged = TestKey::a().sign_with_header(
        &json!({"alg": "RS256", "kid": "other"}),
        &Value::Object(access_claims()),
    );
    let err = v.verify_at(&forged, NOW).await.unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Jwks {
                source: JwksError::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    // The keys given at start-up still serve.
    v.verify_at(&access(), NOW).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_hostile_jwks_is_refused() {
    for body in [
        "not json".to_owned(),
        json!({"keys": "x"}).to_string(),
        "x".repeat(70_000),
    ] {
        let fake = Arc::new(Fake::default());
        *fake.jwks.lock().unwrap() = Some(body);
        let v = online(&fake, Duration::from_secs(10));
        let err = v.verify_at(&access(), NOW).await.unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
    }
}

#[test]
fn an_offline_verifier_follows_a_rotation_by_load_jwks() {
    let v = verifier();
    let b = TestKey::b();
    assert!(matches!(
        v.verify_sync_at(&signed_by(&b), NOW),
        Err(VerifyError::UnknownKid { .. })
    ));
    v.load_jwks(ISSUER, &TestKey::jwks(&[&TestKey::a(), &b]))
        .unwrap();
    v.verify_sync_at(&signed_by(&b), NOW).unwrap();
    assert!(v.load_jwks("https://elsewhere/x", "{}").is_err());
    assert!(v.load_jwks(ISSUER, "[]").is_err());
    v.verify_sync_at(&signed_by(&b), NOW)
        .expect("a refused JWKS changes nothing");
}

#[tokio::test]
async fn several_pools_each_with_their_keys() {
    let second = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Second";
    let v = builder()
        .pool(
            Pool::with_issuer(second)
                .unwrap()
                .token_use(TokenUse::Id)
                .client_id("client-b")
                .jwks(TestKey::jwks(&[&TestKey::b()])),
        )
        .build()
        .unwrap();
    assert_eq!(v.issuers().collect::<Vec<_>>(), [ISSUER, second]);
    let mut claims = id_claims();
    claims.insert("iss".into(), json!(second));
    claims.insert("aud".into(), json!("client-b"));
    v.verify_at(&TestKey::b().sign(&Value::Object(claims.clone())), NOW)
        .await
        .unwrap();
    // Key a belongs to the first pool only.
    assert!(matches!(
        v.verify_at(&TestKey::a().sign(&Value::Object(claims)), NOW)
            .await,
        Err(VerifyError::UnknownKid { .. })
    ));
    v.verify_at(&access(), NOW).await.unwrap();
}
