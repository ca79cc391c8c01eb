//! Refresh with GetTokensFromRefreshToken: the call and what it sends, the fallback to
//! REFRESH_TOKEN_AUTH, rotation, and the claim that clients sharing a store respect.
//!
//! These tests build their clients without the "transport without the operation" default
//! of [`builder`](super::builder), so that every GetTokensFromRefreshToken is one the test
//! expects.

use std::sync::atomic::AtomicUsize;

use tokio::sync::Notify;
use userpool_transport::RefreshRequest;

use super::*;
use crate::inner::LEASE_NAME;

/// What a transport written before GetTokensFromRefreshToken answers (its default body).
/// Set last, so that an expectation of the test itself comes first.
pub(crate) fn lacks_get_tokens_from_refresh_token(m: &mut MockTransport) {
    m.expect_get_tokens_from_refresh_token().returning(|_| {
        Err(Error::UnsupportedOperation {
            message: "GetTokensFromRefreshToken is not supported by this transport".into(),
        })
    });
}

/// A client over `store` whose transport is `m` alone.
fn client(m: MockTransport, clock: &Arc<TestClock>, store: &MemoryStore) -> Auth {
    Auth::builder()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .transport(Arc::new(m))
        .clock(clock.clone())
        .retry(RetryPolicy::new(3, Duration::from_millis(1)))
        .storage(Arc::new(store.clone()))
        .build()
        .unwrap()
}

/// A client over a store holding the test session (refresh token `refresh-token-1`),
/// expired at the clock's time.
async fn expired(m: MockTransport) -> (Auth, Arc<TestClock>, MemoryStore) {
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + HOUR);
    (client(m, &clock, &store), clock, store)
}

/// The tokens of a refresh at `T0 + HOUR`, with a new refresh token when `rotated` names
/// one.
fn refreshed(rotated: Option<&str>) -> AuthTokens {
    tokens(&Tok {
        iat: T0 + HOUR,
        exp: T0 + 2 * HOUR,
        refresh: rotated.map(str::to_owned),
        tag: "b",
        ..Tok::default()
    })
}

fn user_key(name: &str) -> String {
    let keys = Keys::new(CLIENT).user(USER_ID);
    match name {
        "refreshToken" => keys.refresh_token(),
        "accessToken" => keys.access_token(),
        "lease" => format!("{}.{LEASE_NAME}", keys.prefix()),
        other => panic!("{other}"),
    }
}

async fn stored(store: &MemoryStore, name: &str) -> Option<String> {
    store.get(&user_key(name)).await.unwrap()
}

fn sent_token(request: &RefreshRequest) -> String {
    request.refresh_token.expose().to_owned()
}

#[tokio::test]
async fn an_expired_session_is_refreshed_with_get_tokens_from_refresh_token() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .withf(|r| {
            sent_token(r) == "refresh-token-1"
                && r.device_key.is_none()
                && r.client_metadata.is_empty()
        })
        .times(1)
        .returning(|_| Ok(refreshed(None)));
    m.expect_initiate_auth().never();
    let (auth, _clock, store) = expired(m).await;
    let session = auth.current_session().await.unwrap();
    assert_eq!(session.access_token().exp(), T0 + 2 * HOUR);
    assert_eq!(
        stored(&store, "accessToken").await,
        Some(access_jwt(&Tok {
            iat: T0 + HOUR,
            exp: T0 + 2 * HOUR,
            refresh: None,
            tag: "b",
            ..Tok::default()
        }))
    );
    // No claim is left behind.
    assert_eq!(stored(&store, "lease").await, None);
}

/// A server without the operation (the local pool before it, an older emulator) or a
/// transport without it: REFRESH_TOKEN_AUTH at once, and from then on without asking again.
#[tokio::test]
async fn without_the_operation_the_refresh_falls_back_once_and_remembers() {
    let lacking = [
        Error::from_service("UnknownOperationException", "GetTokensFromRefreshToken"),
        Error::UnsupportedOperation {
            message: "GetTokensFromRefreshToken is not supported by this transport".into(),
        },
    ];
    for error in lacking {
        let mut m = mock();
        let answer = error.clone();
        m.expect_get_tokens_from_refresh_token()
            .times(1)
            .returning(move |_| Err(answer.clone()));
        let legacy_calls = Arc::new(AtomicUsize::new(0));
        let counter = legacy_calls.clone();
        m.expect_initiate_auth()
            .withf(|req, _| {
                matches!(req, InitiateAuth::RefreshToken { refresh_token, username: Some(u), .. }
                    if refresh_token.expose() == "refresh-token-1" && u.as_str() == USER_ID)
            })
            .times(2)
            .returning(move |_, _| {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let n = i64::try_from(n).unwrap();
                Ok(AuthOutcome::Tokens(tokens(&Tok {
                    iat: T0 + HOUR * (n + 1),
                    exp: T0 + HOUR * (n + 2),
                    refresh: None,
                    ..Tok::default()
                })))
            });
        let (auth, clock, _store) = expired(m).await;
        assert_eq!(
            auth.current_session().await.unwrap().access_token().exp(),
            T0 + 2 * HOUR,
            "{error:?}"
        );
        // The second refresh goes straight to REFRESH_TOKEN_AUTH (the mock allows one
        // GetTokensFromRefreshToken only).
        clock.set(T0 + 2 * HOUR);
        assert_eq!(
            auth.current_session().await.unwrap().access_token().exp(),
            T0 + 3 * HOUR
        );
        assert_eq!(legacy_calls.load(Ordering::SeqCst), 2);
    }
}

/// moto answers an HTML 500 page for an operation it lacks, which the SDK transport reads
/// as an `InternalError`: after the retries, one REFRESH_TOKEN_AUTH decides.
#[tokio::test]
async fn a_server_failing_the_operation_is_probed_with_the_legacy_flow() {
    let mut m = mock();
    let fault = || Error::InternalError {
        message: "HTTP 500 with a non-JSON body".into(),
    };
    // Three attempts (the retry policy), then the probe; the second refresh asks no more.
    m.expect_get_tokens_from_refresh_token()
        .times(3)
        .returning(move |_| Err(fault()));
    let legacy_calls = Arc::new(AtomicUsize::new(0));
    let counter = legacy_calls.clone();
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::RefreshToken { .. }))
        .times(2)
        .returning(move |_, _| {
            let n = i64::try_from(counter.fetch_add(1, Ordering::SeqCst)).unwrap();
            Ok(AuthOutcome::Tokens(tokens(&Tok {
                iat: T0 + HOUR * (n + 1),
                exp: T0 + HOUR * (n + 2),
                refresh: None,
                ..Tok::default()
            })))
        });
    let (auth, clock, _store) = expired(m).await;
    auth.current_session().await.unwrap();
    clock.set(T0 + 2 * HOUR);
    assert_eq!(
        auth.current_session().await.unwrap().access_token().exp(),
        T0 + 3 * HOUR
    );
    assert_eq!(legacy_calls.load(Ordering::SeqCst), 2);
}

/// A real Cognito outage on a rotating client: the probe is refused (REFRESH_TOKEN_AUTH is
/// off on such a client), so the first error is the answer and nothing is remembered.
#[tokio::test]
async fn a_refused_probe_leaves_the_refresh_on_the_current_operation() {
    let mut m = mock();
    let outage = Arc::new(AtomicBool::new(true));
    let down = outage.clone();
    m.expect_get_tokens_from_refresh_token()
        .returning(move |_| {
            if down.load(Ordering::SeqCst) {
                Err(Error::InternalError {
                    message: "InternalFailure (HTTP 500): x".into(),
                })
            } else {
                Ok(refreshed(Some("refresh-token-2")))
            }
        });
    m.expect_initiate_auth().times(1).returning(|_, _| {
        Err(Error::from_service(
            "InvalidParameterException",
            "REFRESH_TOKEN flow not enabled for this client",
        ))
    });
    let (auth, _clock, store) = expired(m).await;
    let err = auth.current_session().await.unwrap_err();
    assert!(matches!(err, Error::InternalError { .. }), "{err:?}");
    // Kept, and refreshed with the current operation once the server is back.
    assert_eq!(
        stored(&store, "refreshToken").await.as_deref(),
        Some("refresh-token-1")
    );
    outage.store(false, Ordering::SeqCst);
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.refresh_token().unwrap().raw().expose(),
        "refresh-token-2"
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_replaces_the_stored_one() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .times(1)
        .returning(|_| Ok(refreshed(Some("refresh-token-2"))));
    let (auth, _clock, store) = expired(m).await;
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.refresh_token().unwrap().raw().expose(),
        "refresh-token-2"
    );
    assert_eq!(
        stored(&store, "refreshToken").await.as_deref(),
        Some("refresh-token-2")
    );
}

#[tokio::test]
async fn an_answer_without_a_refresh_token_keeps_the_old_one() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .times(1)
        .returning(|_| Ok(refreshed(None)));
    let (auth, _clock, store) = expired(m).await;
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.refresh_token().unwrap().raw().expose(),
        "refresh-token-1"
    );
    assert_eq!(
        stored(&store, "refreshToken").await.as_deref(),
        Some("refresh-token-1")
    );
}

#[tokio::test]
async fn not_authorized_on_refresh_ends_the_session() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .times(1)
        .returning(|_| {
            Err(Error::from_service(
                "NotAuthorizedException",
                "Refresh Token has been revoked",
            ))
        });
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + HOUR);
    let hub = Hub::new();
    let mut events = hub.subscribe(crate::AUTH_CHANNEL);
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .transport(Arc::new(m))
        .clock(clock.clone())
        .retry(RetryPolicy::new(3, Duration::from_millis(1)))
        .storage(Arc::new(store.clone()))
        .hub(hub)
        .build()
        .unwrap();
    let err = auth.current_session().await.unwrap_err();
    assert!(matches!(err, Error::NotAuthorized { .. }), "{err:?}");
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(
        store
            .get(&Keys::new(CLIENT).last_auth_user())
            .await
            .unwrap(),
        None
    );
    assert_eq!(stored(&store, "refreshToken").await, None);
    let mut names = Vec::new();
    while let Some(e) = events.try_recv() {
        names.push(e.name());
    }
    assert_eq!(names, ["configured", "tokenRefresh_failure", "signOut"]);
}

/// Amplify v6 sends the remembered device's key; so does the fallback (`DEVICE_KEY`).
#[tokio::test]
async fn the_remembered_device_key_is_sent() {
    let device = Keys::new(CLIENT).user(USER_ID);
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .withf(|r| r.device_key.as_deref() == Some("eu-west-1_device-1"))
        .times(1)
        .returning(|_| {
            Err(Error::from_service(
                "UnknownOperationException",
                "GetTokensFromRefreshToken",
            ))
        });
    m.expect_initiate_auth()
        .withf(|req, _| {
            matches!(req, InitiateAuth::RefreshToken { device_key: Some(k), .. } if k == "eu-west-1_device-1")
        })
        .times(1)
        .returning(|_, _| Ok(AuthOutcome::Tokens(refreshed(None))));
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    store
        .set_many(&[
            (&device.device_key(), "eu-west-1_device-1"),
            (&device.device_group_key(), "group-1"),
            (&device.random_password_key(), "device-password"),
        ])
        .await
        .unwrap();
    let clock = TestClock::new(T0 + HOUR);
    let auth = client(m, &clock, &store);
    auth.current_session().await.unwrap();
}

/// A store whose writes of one value wait at a gate.
#[derive(Debug, Clone, Default)]
struct GatedStore {
    inner: MemoryStore,
    /// Writes that set a value equal to this wait until the gate opens.
    hold_value: Arc<Mutex<Option<String>>>,
    reached: Arc<Notify>,
    open: Arc<Notify>,
}

#[async_trait::async_trait]
impl Storage for GatedStore {
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.inner.set(key, value).await
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.inner.get(key).await
    }
    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        self.inner.remove(key).await
    }
    async fn clear(&self) -> Result<(), StorageError> {
        self.inner.clear().await
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StorageError> {
        self.inner.get_many(keys).await
    }
    async fn apply(&self, batch: &userpool_storage::Batch) -> Result<bool, StorageError> {
        let held = self.hold_value.lock().unwrap().clone();
        if held.is_some_and(|v| batch.sets().any(|(_, value)| value == v)) {
            self.reached.notify_one();
            self.open.notified().await;
        }
        self.inner.apply(batch).await
    }
}

/// Nobody gets the new tokens while the store still holds the replaced refresh token: the
/// refresh answers only once the write is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rotated_token_is_stored_before_the_session_is_returned() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .times(1)
        .returning(|_| Ok(refreshed(Some("refresh-token-2"))));
    let store = GatedStore::default();
    seed(&store.inner, &Tok::default(), "0").await;
    *store.hold_value.lock().unwrap() = Some("refresh-token-2".into());
    let clock = TestClock::new(T0 + HOUR);
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .transport(Arc::new(m))
        .clock(clock.clone())
        .storage(Arc::new(store.clone()))
        .build()
        .unwrap();
    let first = tokio::spawn({
        let auth = auth.clone();
        async move { auth.current_session().await }
    });
    store.reached.notified().await;
    // The write waits at the gate: no caller has the new session, and the store still
    // holds the old token.
    let second = tokio::time::timeout(Duration::from_millis(100), auth.current_session()).await;
    assert!(
        second.is_err(),
        "a caller got a session before it was stored"
    );
    assert!(!first.is_finished());
    assert_eq!(
        store
            .inner
            .get(&user_key("refreshToken"))
            .await
            .unwrap()
            .as_deref(),
        Some("refresh-token-1")
    );
    store.open.notify_one();
    let session = first.await.unwrap().unwrap();
    assert_eq!(
        session.refresh_token().unwrap().raw().expose(),
        "refresh-token-2"
    );
    assert_eq!(
        store
            .inner
            .get(&user_key("refreshToken"))
            .await
            .unwrap()
            .as_deref(),
        Some("refresh-token-2")
    );
}

/// Many callers, one call, and each rotation sends the token the last one stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_make_one_call_with_the_newest_token() {
    let sent = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = sent.clone();
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .returning(move |r| {
            let mut log = log.lock().unwrap();
            let n = log.len() + 1;
            log.push(sent_token(&r));
            let n = i64::try_from(n).unwrap();
            Ok(tokens(&Tok {
                iat: T0 + HOUR * n,
                exp: T0 + HOUR * (n + 1),
                refresh: Some(format!("refresh-token-{}", n + 1)),
                ..Tok::default()
            }))
        });
    let (auth, clock, store) = expired(m).await;
    for round in 1..=3_i64 {
        clock.set(T0 + HOUR * round);
        let mut callers = Vec::new();
        for _ in 0..50 {
            let auth = auth.clone();
            callers.push(tokio::spawn(async move { auth.current_session().await }));
        }
        for caller in callers {
            let session = caller.await.unwrap().unwrap();
            assert_eq!(
                session.refresh_token().unwrap().raw().expose(),
                format!("refresh-token-{}", round + 1)
            );
        }
    }
    assert_eq!(
        *sent.lock().unwrap(),
        ["refresh-token-1", "refresh-token-2", "refresh-token-3"]
    );
    assert_eq!(
        stored(&store, "refreshToken").await.as_deref(),
        Some("refresh-token-4")
    );
}

/// Two clients on one store (as two processes on one FileStore): the second waits for the
/// first one's claim and adopts what it stored, sending nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_waits_for_another_clients_claim_and_adopts_its_refresh() {
    let (reached_tx, reached_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let mut first = mock();
    first
        .expect_get_tokens_from_refresh_token()
        .withf(|r| sent_token(r) == "refresh-token-1")
        .times(1)
        .returning(move |_| {
            reached_tx.send(()).unwrap();
            // Blocks this worker thread until the test lets the answer go.
            release_rx.lock().unwrap().recv().unwrap();
            Ok(refreshed(Some("refresh-token-2")))
        });
    let mut second = mock();
    second.expect_get_tokens_from_refresh_token().never();
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + HOUR);
    let a = client(first, &clock, &store);
    let b = client(second, &clock, &store);
    let a_task = tokio::spawn({
        let a = a.clone();
        async move { a.current_session().await }
    });
    tokio::task::spawn_blocking(move || reached_rx.recv().unwrap())
        .await
        .unwrap();
    // A holds the claim and waits for its answer; B finds the claim taken.
    assert!(stored(&store, "lease").await.is_some());
    let b_task = tokio::spawn({
        let b = b.clone();
        async move { b.current_session().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!b_task.is_finished(), "B refreshed while A held the claim");
    release_tx.send(()).unwrap();
    let from_a = a_task.await.unwrap().unwrap();
    let from_b = b_task.await.unwrap().unwrap();
    for session in [&from_a, &from_b] {
        assert_eq!(
            session.refresh_token().unwrap().raw().expose(),
            "refresh-token-2"
        );
    }
    assert_eq!(
        from_a.access_token().raw().expose(),
        from_b.access_token().raw().expose()
    );
    assert_eq!(stored(&store, "lease").await, None);
}

/// A claim whose deadline has passed (its holder died) does not block a refresh; an
/// unreadable one neither.
#[tokio::test]
async fn an_expired_or_damaged_claim_is_taken_over() {
    for lease in [format!("{}:dead-holder", T0 * 1000), "garbage".to_owned()] {
        let mut m = mock();
        m.expect_get_tokens_from_refresh_token()
            .times(1)
            .returning(|_| Ok(refreshed(Some("refresh-token-2"))));
        let (auth, _clock, store) = expired(m).await;
        store.set(&user_key("lease"), &lease).await.unwrap();
        let session = tokio::time::timeout(Duration::from_secs(5), auth.current_session())
            .await
            .expect("the dead claim blocked the refresh")
            .unwrap();
        assert_eq!(
            session.refresh_token().unwrap().raw().expose(),
            "refresh-token-2"
        );
        assert_eq!(stored(&store, "lease").await, None);
    }
}

/// A failed refresh gives its claim up, so that the next one (here or elsewhere) need not
/// wait for the deadline.
#[tokio::test]
async fn a_failed_refresh_gives_up_its_claim() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .times(3)
        .returning(|_| Err(Error::network("reset", None)));
    let (auth, _clock, store) = expired(m).await;
    assert!(matches!(
        auth.current_session().await,
        Err(Error::Network { .. })
    ));
    assert_eq!(stored(&store, "lease").await, None);
    assert_eq!(
        stored(&store, "refreshToken").await.as_deref(),
        Some("refresh-token-1"),
        "the session is kept"
    );
}

/// RefreshTokenReuse after another client sharing the store rotated the token: this one
/// follows the store instead of signing out.
#[tokio::test]
async fn a_reused_token_follows_the_store_when_it_holds_a_newer_one() {
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + HOUR - 60);
    let newer = Tok {
        iat: T0 + HOUR,
        exp: T0 + 2 * HOUR,
        refresh: Some("refresh-token-2".into()),
        tag: "b",
        ..Tok::default()
    };
    let mut m = mock();
    let (store_in_mock, newer_in_mock) = (store.clone(), newer.clone());
    m.expect_get_tokens_from_refresh_token()
        .times(1)
        .returning(move |_| {
            // Another process stored its rotation between this one's read and its call
            // (the claim cannot stop a process that ignores it).
            let store = store_in_mock.clone();
            let newer = newer_in_mock.clone();
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap()
                    .block_on(seed(&store, &newer, "0"));
            })
            .join()
            .unwrap();
            Err(Error::from_service(
                "RefreshTokenReuseException",
                "Refresh Token has been replaced by refresh token rotation",
            ))
        });
    let auth = client(m, &clock, &store);
    auth.current_session().await.unwrap();
    clock.set(T0 + HOUR);
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.refresh_token().unwrap().raw().expose(),
        "refresh-token-2"
    );
    assert_eq!(
        stored(&store, "refreshToken").await.as_deref(),
        Some("refresh-token-2")
    );
}

/// RefreshTokenReuse while the store still holds the refused token: nobody has a newer
/// one, so the session is over.
#[tokio::test]
async fn a_reused_token_ends_the_session_when_nobody_holds_a_newer_one() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .times(1)
        .returning(|_| {
            Err(Error::from_service(
                "RefreshTokenReuseException",
                "Refresh Token has been replaced by refresh token rotation",
            ))
        });
    let (auth, _clock, store) = expired(m).await;
    let err = auth.current_session().await.unwrap_err();
    assert!(matches!(err, Error::RefreshTokenReuse { .. }), "{err:?}");
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(stored(&store, "refreshToken").await, None);
}

/// A damaged store (an unreadable ID token, no refresh token) offers nothing to claim: the
/// refresh goes on without a claim instead of waiting for one.
#[tokio::test]
async fn a_damaged_store_does_not_stall_the_refresh() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .times(1)
        .returning(|_| Ok(refreshed(None)));
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + HOUR - 60);
    let auth = client(m, &clock, &store);
    auth.current_session().await.unwrap();
    let keys = Keys::new(CLIENT).user(USER_ID);
    store.set(&keys.id_token(), "not-a-jwt").await.unwrap();
    store.remove(&keys.refresh_token()).await.unwrap();
    clock.set(T0 + HOUR);
    let answer = tokio::time::timeout(Duration::from_secs(2), auth.current_session()).await;
    assert!(
        answer.is_ok(),
        "the refresh waited for a claim it can never take"
    );
}
