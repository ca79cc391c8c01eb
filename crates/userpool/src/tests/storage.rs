//! The stored session: corrupt stores, malformed tokens, `sync` ordering, key layout.

use userpool_types::Error;

use super::*;
use crate::SignOutOptions;

#[tokio::test]
async fn a_corrupt_store_counts_as_signed_out_and_is_cleared() {
    let store = Arc::new(CorruptStore::default());
    let auth = builder(mock(), &TestClock::new(T0))
        .storage(store.clone())
        .build()
        .unwrap();
    let err = auth.current_session().await.unwrap_err();
    assert!(matches!(err, Error::NotSignedIn), "{err:?}");
    assert!(store.healed.load(Ordering::SeqCst), "clear() was called");
    assert!(matches!(
        auth.current_authenticated_user_with(crate::CurrentUserOptions::default().bypass_cache())
            .await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn a_store_that_turns_corrupt_is_cleared_before_a_sign_in_writes() {
    let mut m = mock();
    m.expect_initiate_auth()
        .returning(|_, _| Ok(answer(&Tok::default())));
    let store = Arc::new(CorruptStore::default());
    store.healed.store(true, Ordering::SeqCst);
    let auth = builder(m, &TestClock::new(T0))
        .storage(store.clone())
        .auth_flow(crate::AuthFlow::UserPassword)
        .build()
        .unwrap();
    // Load while healthy, then damage the file behind the client's back.
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    store.healed.store(false, Ordering::SeqCst);
    assert!(
        auth.sign_in(TYPED, "Pa55word!")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert!(store.healed.load(Ordering::SeqCst));
    assert_eq!(store.inner.len(), 5);
}

#[tokio::test]
async fn malformed_stored_tokens_count_as_signed_out_and_are_removed() {
    let store = MemoryStore::new();
    let keys = Keys::new(CLIENT);
    let u = keys.user(USER_ID);
    store
        .set_many(&[
            (keys.last_auth_user().as_str(), USER_ID),
            (u.id_token().as_str(), "definitely.not.ajwt"),
            (
                u.access_token().as_str(),
                access_jwt(&Tok::default()).as_str(),
            ),
            (u.refresh_token().as_str(), "r"),
            (u.device_key().as_str(), "device-1"),
        ])
        .await
        .unwrap();
    let auth = builder(mock(), &TestClock::new(T0))
        .storage(Arc::new(store.clone()))
        .build()
        .unwrap();
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(
        store.keys(),
        [u.device_key()],
        "session keys removed, device key kept"
    );
}

#[tokio::test]
async fn a_missing_token_or_bad_last_auth_user_counts_as_signed_out() {
    let store = MemoryStore::new();
    let keys = Keys::new(CLIENT);
    store.set(&keys.last_auth_user(), USER_ID).await.unwrap();
    let auth = builder(mock(), &TestClock::new(T0))
        .storage(Arc::new(store.clone()))
        .build()
        .unwrap();
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert!(store.is_empty());

    let store = MemoryStore::new();
    store
        .set(&keys.last_auth_user(), "bad\nname")
        .await
        .unwrap();
    let auth = builder(mock(), &TestClock::new(T0))
        .storage(Arc::new(store.clone()))
        .build()
        .unwrap();
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn unreadable_clock_drift_and_user_data_are_tolerated() {
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "soon").await;
    store
        .set(&Keys::new(CLIENT).user(USER_ID).user_data(), "{not json")
        .await
        .unwrap();
    let mut m = mock();
    m.expect_get_user()
        .times(1)
        .returning(|_| Ok(test_user(TYPED)));
    let auth = builder(m, &TestClock::new(T0 + 1))
        .storage(Arc::new(store))
        .build()
        .unwrap();
    assert_eq!(
        auth.current_session()
            .await
            .unwrap()
            .clock_drift()
            .seconds(),
        0
    );
    assert_eq!(
        auth.current_authenticated_user().await.unwrap().email(),
        Some(TYPED)
    );
}

/// A store whose reads fail (an unreachable backend).
#[derive(Debug)]
struct DownStore;

#[async_trait::async_trait]
impl Storage for DownStore {
    async fn set(&self, _: &str, _: &str) -> Result<(), StorageError> {
        Err(StorageError::backend("backend down"))
    }
    async fn get(&self, _: &str) -> Result<Option<String>, StorageError> {
        Err(StorageError::backend("backend down"))
    }
    async fn remove(&self, _: &str) -> Result<(), StorageError> {
        Err(StorageError::backend("backend down"))
    }
    async fn clear(&self) -> Result<(), StorageError> {
        Err(StorageError::backend("backend down"))
    }
}

#[tokio::test]
async fn a_failing_store_is_a_typed_storage_error() {
    let mut m = mock();
    m.expect_initiate_auth()
        .returning(|_, _| Ok(answer(&Tok::default())));
    let auth = builder(m, &TestClock::new(T0))
        .storage(Arc::new(DownStore))
        .auth_flow(crate::AuthFlow::UserPassword)
        .build()
        .unwrap();
    let err = auth.current_session().await.unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    let err = auth.sign_in(TYPED, "Pa55word!").await.unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
}

#[tokio::test]
async fn sync_is_awaited_before_reading_the_user_signing_out_and_deleting() {
    let mut m = mock();
    m.expect_get_user().returning(|_| Ok(test_user(TYPED)));
    m.expect_delete_user().times(1).returning(|_| Ok(()));
    let store = RecordingStore::default();
    seed(&store.inner, &Tok::default(), "0").await;
    let auth = builder(m, &TestClock::new(T0 + 1))
        .storage(Arc::new(store.clone()))
        .build()
        .unwrap();

    auth.current_authenticated_user().await.unwrap();
    let log = store.log();
    assert_eq!(log[0], "sync", "{log:?}");
    assert_eq!(log[1], "get:LastAuthUser", "{log:?}");

    store.reset();
    auth.delete_user().await.unwrap();
    assert_eq!(store.log()[0], "sync", "{:?}", store.log());

    store.reset();
    auth.sign_out_with(SignOutOptions::default().global(false))
        .await
        .unwrap();
    assert_eq!(store.log()[0], "sync", "{:?}", store.log());
}

#[tokio::test]
async fn keys_follow_the_reference_layout() {
    let env = signed_in(mock(), Tok::default()).await;
    let mut keys = env.store.keys();
    keys.sort();
    let prefix = format!("CognitoIdentityServiceProvider.{CLIENT}");
    assert_eq!(
        keys,
        [
            format!("{prefix}.{USER_ID}.accessToken"),
            format!("{prefix}.{USER_ID}.clockDrift"),
            format!("{prefix}.{USER_ID}.idToken"),
            format!("{prefix}.{USER_ID}.refreshToken"),
            format!("{prefix}.LastAuthUser"),
        ]
    );
}

#[tokio::test]
async fn a_store_that_turns_corrupt_before_a_refresh_gets_the_whole_session_back() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|r, _| matches!(r, InitiateAuth::UserPassword { .. }))
        .returning(|_, _| Ok(answer(&Tok::default())));
    expect_refresh(&mut m, 1, || {
        Ok(answer(&Tok {
            iat: T0 + HOUR,
            exp: T0 + 2 * HOUR,
            refresh: None,
            ..Tok::default()
        }))
    });
    let store = Arc::new(CorruptStore::default());
    store.healed.store(true, Ordering::SeqCst);
    let clock = TestClock::new(T0);
    let auth = builder(m, &clock)
        .storage(store.clone())
        .auth_flow(crate::AuthFlow::UserPassword)
        .build()
        .unwrap();
    auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    store.healed.store(false, Ordering::SeqCst);
    clock.set(T0 + HOUR);
    auth.current_session().await.unwrap();
    assert!(store.healed.load(Ordering::SeqCst), "cleared");
    // A new process resumes the refreshed session, old refresh token included.
    let auth2 = builder(mock(), &clock)
        .storage(store.clone())
        .build()
        .unwrap();
    let s = auth2.current_session().await.unwrap();
    assert_eq!(s.access_token().exp(), T0 + 2 * HOUR);
    assert_eq!(s.refresh_token().unwrap().raw().expose(), "refresh-token-1");
}
