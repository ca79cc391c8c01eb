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

/// Serves a JWKS that a test can change, after an optional delay; counts the calls, and
/// the calls that ended (finished, or dropped mid-way).
#[derive(Debug, Default)]
struct Fake {
    jwks: Mutex<Option<String>>,
    calls: AtomicUsize,
    ended: Arc<AtomicUsize>,
    delay: Option<Duration>,
    uris: Mutex<Vec<String>>,
}

/// Counts a fetch as ended when its future finishes or is dropped.
struct Ends(Arc<AtomicUsize>);

impl Drop for Ends {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Fake {
    fn serving(keys: &[&TestKey]) -> Arc<Self> {
        let fake = Self::default();
        fake.serve(keys);
        Arc::new(fake)
    }

    /// A fetcher that answers each fetch only after `delay` (none served yet).
    fn slow(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            delay: Some(delay),
            ..Self::default()
        })
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

    fn ended(&self) -> usize {
        self.ended.load(Ordering::SeqCst)
    }

    /// Waits (in paused time: lets the other tasks run) until `n` calls were made.
    async fn wait_for_calls(&self, n: usize) {
        for _ in 0..1000 {
            if self.calls() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("{} fetches, not {n}", self.calls());
    }
}

#[async_trait]
impl JwksFetcher for Fake {
    async fn fetch(&self, jwks_uri: &str, _max_bytes: usize) -> Result<Vec<u8>, JwksError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _ends = Ends(self.ended.clone());
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
    let fake = Fake::slow(Duration::from_millis(500));
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
    let fake = Fake::slow(Duration::from_millis(500));
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
    let fake = Fake::slow(Duration::from_secs(3600));
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

fn aging(fake: &Arc<Fake>, max_age: Option<Duration>) -> Verifier {
    Verifier::builder()
        .fetcher(fake.clone())
        .refetch_interval(Duration::from_secs(10))
        .jwks_max_age(max_age)
        .pool(
            Pool::with_issuer(ISSUER)
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(CLIENT),
        )
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_removed_key_stops_verifying_once_the_max_age_has_passed() {
    let (a, b) = (TestKey::a(), TestKey::b());
    let fake = Fake::slow(Duration::from_secs(5));
    fake.serve(&[&a, &b]);
    let v = aging(&fake, Some(Duration::from_secs(60)));
    let old = signed_by(&a);
    v.verify_at(&old, NOW).await.unwrap();
    assert!(v.is_cached(&old));
    // The pool removes a.
    fake.serve(&[&b]);
    tokio::time::advance(Duration::from_secs(30)).await;
    v.verify_at(&old, NOW).await.unwrap();
    assert_eq!(fake.calls(), 1, "younger than the max age: no fetch");
    tokio::time::advance(Duration::from_secs(31)).await;
    // Stale: this verification starts the refetch and does not wait for it (the fetch
    // takes 5 s; a wait would hit this 1 ms limit, the clock being paused).
    let stale = tokio::time::timeout(Duration::from_millis(1), v.verify_at(&old, NOW)).await;
    stale
        .expect("the stale keys answer at once")
        .expect("and still verify the old token");
    v.verify_sync_at(&old, NOW)
        .expect("until the refetch ends, the stale keys serve");
    fake.wait_for_calls(2).await;
    assert_eq!(
        fake.calls(),
        2,
        "one background fetch, however many verifications"
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(!v.is_cached(&old), "the new keys void the cached entry");
    let err = v.verify_at(&old, NOW).await.unwrap_err();
    assert!(matches!(err, VerifyError::UnknownKid { .. }), "{err:?}");
    v.verify_at(&signed_by(&b), NOW).await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn without_a_max_age_the_keys_are_kept_until_an_unknown_kid() {
    let (a, b) = (TestKey::a(), TestKey::b());
    let fake = Fake::serving(&[&a, &b]);
    let v = aging(&fake, None);
    let old = signed_by(&a);
    v.verify_at(&old, NOW).await.unwrap();
    fake.serve(&[&b]);
    tokio::time::advance(Duration::from_secs(7200)).await;
    for _ in 0..3 {
        v.verify_at(&old, NOW).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_background_refetch_keeps_the_keys_and_is_retried_after_the_interval() {
    let a = TestKey::a();
    let fake = Fake::serving(&[&a]);
    let v = aging(&fake, Some(Duration::from_secs(60)));
    let token = signed_by(&a);
    v.verify_at(&token, NOW).await.unwrap();
    fake.fail();
    tokio::time::advance(Duration::from_secs(61)).await;
    v.verify_at(&token, NOW).await.unwrap();
    fake.wait_for_calls(2).await;
    // The refetch failed: the keys stay, the cached entry too, and no fetch is made
    // again inside the interval, however many verifications.
    for _ in 0..20 {
        v.verify_at(&token, NOW).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(v.is_cached(&token));
    assert_eq!(fake.calls(), 2);
    tokio::time::advance(Duration::from_secs(9)).await;
    fake.serve(&[&a]);
    v.verify_at(&token, NOW).await.unwrap();
    fake.wait_for_calls(3).await;
    // An identical JWKS keeps the snapshot: the entry stays valid.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(v.is_cached(&token));
    // Fresh again: the next fetch is a max age away.
    tokio::time::advance(Duration::from_secs(30)).await;
    v.verify_at(&token, NOW).await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_caller_does_not_cancel_the_fetch_the_others_wait_for() {
    let fake = Fake::slow(Duration::from_millis(500));
    fake.serve(&[&TestKey::a()]);
    // No interval: were the fetch cancelled with its caller, a waiter would fetch again.
    let v = online(&fake, Duration::ZERO);
    let token = access();
    let spawn = || {
        let (v, token) = (v.clone(), token.clone());
        tokio::spawn(async move { v.verify_at(&token, NOW).await })
    };
    let first = spawn();
    fake.wait_for_calls(1).await;
    let others: Vec<_> = (0..10).map(|_| spawn()).collect();
    tokio::time::sleep(Duration::from_millis(10)).await;
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    for other in others {
        other.await.unwrap().unwrap();
    }
    assert_eq!(fake.calls(), 1, "the first caller's fetch served them all");
    assert_eq!(fake.ended(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_fetch_without_any_waiter_left_still_ends() {
    // It completes: its keys are stored though no one waits for them.
    let fake = Fake::slow(Duration::from_millis(500));
    fake.serve(&[&TestKey::a()]);
    let v = online(&fake, Duration::ZERO);
    let (v2, token) = (v.clone(), access());
    let caller = tokio::spawn(async move { v2.verify_at(&token, NOW).await });
    fake.wait_for_calls(1).await;
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.ended(), 1);
    v.verify_sync_at(&access(), NOW)
        .expect("the abandoned fetch stored its keys");
    assert_eq!(fake.calls(), 1);

    // It hangs: the fetch timeout ends it, and the next miss fetches again.
    let fake = Fake::slow(Duration::from_secs(3600));
    fake.serve(&[&TestKey::a()]);
    let v = Verifier::builder()
        .fetcher(fake.clone())
        .refetch_interval(Duration::ZERO)
        .fetch_timeout(Duration::from_secs(2))
        .pool(
            Pool::with_issuer(ISSUER)
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(CLIENT),
        )
        .build()
        .unwrap();
    let (v2, token) = (v.clone(), access());
    let caller = tokio::spawn(async move { v2.verify_at(&token, NOW).await });
    fake.wait_for_calls(1).await;
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.ended(), 1, "the timeout dropped the hanging fetch");
    let err = v.verify_at(&access(), NOW).await.unwrap_err();
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
    assert_eq!(fake.calls(), 2, "nothing was left in flight");
}

/// Polls a future once, outside any runtime.
fn poll_once<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => Some(out),
        std::task::Poll::Pending => None,
    }
}

#[test]
fn outside_a_tokio_runtime_a_fetch_is_refused_not_a_panic() {
    let fake = Fake::serving(&[&TestKey::a()]);
    let v = online(&fake, Duration::ZERO);
    let err = poll_once(v.verify_at(&access(), NOW))
        .expect("refused at once")
        .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Jwks {
                source: JwksError::NoRuntime,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.calls(), 0);
}
