//! The session: answered from memory while valid, refreshed ahead of expiry, rotation,
//! failures that keep or end the session.

use userpool_types::{AuthEvent, Error};

use super::*;

/// A second pair of tokens, as a refresh answers (no refresh token unless rotated).
fn refreshed(rotated: Option<&str>) -> Tok {
    Tok {
        iat: T0 + HOUR,
        exp: T0 + 2 * HOUR,
        refresh: rotated.map(str::to_owned),
        tag: "b",
        ..Tok::default()
    }
}

#[tokio::test]
async fn a_valid_session_is_answered_from_memory_without_copying() {
    let store = RecordingStore::default();
    seed(&store.inner, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + 60);
    let auth = builder(mock(), &clock)
        .storage(Arc::new(store.clone()))
        .build()
        .unwrap();
    let first = auth.current_session().await.unwrap();
    let reads = store.log();
    assert_eq!(reads.first().map(String::as_str), Some("sync"));
    assert!(reads.iter().any(|l| l == "get:LastAuthUser"));
    store.reset();
    for _ in 0..100 {
        let again = auth.current_session().await.unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the same Arc, no copy");
    }
    assert!(
        store.log().is_empty(),
        "no storage access: {:?}",
        store.log()
    );
}

#[tokio::test]
async fn a_new_client_resumes_the_stored_session() {
    let mut env = signed_in(mock(), Tok::default()).await;
    // A new process: a new client on the same store.
    let clock = TestClock::new(T0 + 10);
    let auth2 = builder(mock(), &clock)
        .storage(Arc::new(env.store.clone()))
        .build()
        .unwrap();
    let s = auth2.current_session().await.unwrap();
    assert_eq!(s.access_token().username(), Some(USER_ID));
    assert_eq!(s.refresh_token().unwrap().raw().expose(), "refresh-token-1");
    assert!(env.event_names().await.is_empty());
}

#[tokio::test]
async fn nobody_signed_in() {
    let env = env(mock());
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        env.auth.current_authenticated_user().await,
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        env.auth.change_password("a", "b").await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn refresh_happens_the_margin_before_expiry() {
    let mut m = mock();
    expect_refresh(&mut m, 1, || Ok(answer(&refreshed(None))));
    let mut env = signed_in(m, Tok::default()).await;
    // 6 s before exp: still valid with the 5 s margin.
    env.clock.set(T0 + HOUR - 6);
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.access_token().exp(), T0 + HOUR);
    // 5 s before exp: counts as expired.
    env.clock.set(T0 + HOUR - 5);
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.access_token().exp(), T0 + 2 * HOUR);
    assert_eq!(env.event_names().await, ["tokenRefresh"]);
}

#[tokio::test]
async fn the_margin_is_configurable() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .returning(|_, _| Ok(answer(&Tok::default())));
    expect_refresh(&mut m, 1, || Ok(answer(&refreshed(None))));
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(crate::AuthFlow::UserPassword)
            .refresh_margin(Duration::from_secs(300))
    });
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    env.clock.set(T0 + HOUR - 301);
    assert_eq!(
        env.auth
            .current_session()
            .await
            .unwrap()
            .access_token()
            .exp(),
        T0 + HOUR
    );
    env.clock.set(T0 + HOUR - 300);
    assert_eq!(
        env.auth
            .current_session()
            .await
            .unwrap()
            .access_token()
            .exp(),
        T0 + 2 * HOUR
    );
}

#[tokio::test]
async fn refresh_keeps_the_old_refresh_token_when_none_is_returned() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| {
            matches!(req, InitiateAuth::RefreshToken { refresh_token, username, .. }
                if refresh_token.expose() == "refresh-token-1"
                    && username.as_ref().map(Username::as_str) == Some(USER_ID))
        })
        .times(1)
        .returning(|_, _| Ok(answer(&refreshed(None))));
    let env = signed_in(m, Tok::default()).await;
    env.clock.set(T0 + HOUR);
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.refresh_token().unwrap().raw().expose(), "refresh-token-1");
    assert_eq!(
        env.stored_user_key("refreshToken").await.as_deref(),
        Some("refresh-token-1")
    );
    assert_eq!(
        env.stored_user_key("accessToken").await,
        Some(access_jwt(&refreshed(None)))
    );
}

#[tokio::test]
async fn refresh_stores_a_rotated_refresh_token() {
    let mut m = mock();
    expect_refresh(&mut m, 1, || {
        Ok(answer(&refreshed(Some("refresh-token-2"))))
    });
    let env = signed_in(m, Tok::default()).await;
    env.clock.set(T0 + HOUR);
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.refresh_token().unwrap().raw().expose(), "refresh-token-2");
    assert_eq!(
        env.stored_user_key("refreshToken").await.as_deref(),
        Some("refresh-token-2")
    );
}

#[tokio::test]
async fn a_rejected_refresh_token_signs_the_user_out() {
    let mut m = mock();
    // Exactly one call: NotAuthorized is never retried.
    expect_refresh(&mut m, 1, || {
        Err(Error::from_service(
            "NotAuthorizedException",
            "Refresh Token has been revoked",
        ))
    });
    let mut env = signed_in(m, Tok::default()).await;
    env.clock.set(T0 + HOUR);
    let err = env.auth.current_session().await.unwrap_err();
    assert!(err.is_not_authorized(), "{err:?}");
    let events = env.events().await;
    assert!(
        matches!(
            events.as_slice(),
            [
                AuthEvent::TokenRefreshFailure {
                    error: Error::NotAuthorized { .. }
                },
                AuthEvent::SignOut { global: false }
            ]
        ),
        "{events:?}"
    );
    assert!(
        env.store.is_empty(),
        "storage cleared: {:?}",
        env.store.keys()
    );
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn a_network_failure_keeps_the_user_signed_in() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(answer(&Tok::default())));
    // Retried (bounded): 3 attempts, all fail.
    m.expect_initiate_auth()
        .times(3)
        .in_sequence(&mut seq)
        .returning(|_, _| Err(Error::network("connection reset", None)));
    // Later, the network is back.
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(answer(&refreshed(None))));
    let mut env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(crate::AuthFlow::UserPassword)
    });
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    env.event_names_now();
    env.clock.set(T0 + HOUR);
    let err = env.auth.current_session().await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }));
    let events = env.events().await;
    assert!(
        matches!(
            events.as_slice(),
            [AuthEvent::TokenRefreshFailure {
                error: Error::Network { .. }
            }]
        ),
        "no signOut: {events:?}"
    );
    assert_eq!(
        env.stored_user_key("refreshToken").await.as_deref(),
        Some("refresh-token-1"),
        "session kept in storage"
    );
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.access_token().exp(), T0 + 2 * HOUR);
    assert_eq!(env.event_names().await, ["tokenRefresh"]);
}

#[tokio::test]
async fn a_throttled_refresh_is_retried() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(answer(&Tok::default())));
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Err(service("TooManyRequestsException")));
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Err(service("InternalErrorException")));
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(answer(&refreshed(None))));
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(crate::AuthFlow::UserPassword)
    });
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    env.clock.set(T0 + HOUR);
    assert!(env.auth.current_session().await.is_ok());
}

#[tokio::test]
async fn malformed_refresh_answers_keep_the_session() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(answer(&Tok::default())));
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| {
            Ok(AuthOutcome::Tokens(AuthTokens::new(
                "garbage".into(),
                "garbage".into(),
            )))
        });
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(challenge("SMS_MFA", &[])));
    let mut env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(crate::AuthFlow::UserPassword)
    });
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    env.event_names_now();
    env.clock.set(T0 + HOUR);
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::MalformedToken { .. })
    ));
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::MalformedResponse {
            operation: "InitiateAuth",
            ..
        })
    ));
    assert_eq!(
        env.event_names().await,
        ["tokenRefresh_failure", "tokenRefresh_failure"]
    );
    assert!(env.stored_user_key("refreshToken").await.is_some());
}

#[tokio::test]
async fn an_expired_session_without_refresh_token_is_over() {
    let mut env = signed_in(
        mock(),
        Tok {
            refresh: None,
            ..Tok::default()
        },
    )
    .await;
    env.clock.set(T0 + HOUR);
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(env.event_names().await, ["tokenRefresh_failure", "signOut"]);
    assert!(env.store.is_empty());
}

#[tokio::test]
async fn clock_drift_is_measured_stored_in_seconds_and_used() {
    // The server's clock is 1000 s behind this machine's.
    let t = Tok {
        iat: T0 - 1000,
        exp: T0 - 1000 + HOUR,
        ..Tok::default()
    };
    let mut m = mock();
    expect_refresh(&mut m, 1, || Ok(answer(&refreshed(None))));
    let env = signed_in(m, t).await;
    assert_eq!(
        env.stored_user_key("clockDrift").await.as_deref(),
        Some("1000.0"),
        "a drift of 1000 s or more is written with a decimal point so it is not read as ms"
    );
    // Local T0 + HOUR - 10 is server time T0 - 1000 + HOUR - 10: still valid.
    env.clock.set(T0 + HOUR - 10);
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.clock_drift().seconds(), 1000);
    assert_eq!(s.access_token().exp(), T0 - 1000 + HOUR);
    env.clock.set(T0 + HOUR - 4);
    assert_eq!(
        env.auth
            .current_session()
            .await
            .unwrap()
            .access_token()
            .exp(),
        T0 + 2 * HOUR
    );
}

#[tokio::test]
async fn a_drift_stored_in_milliseconds_is_read() {
    let store = MemoryStore::new();
    // Written by Amplify v6, whose cacheCognitoTokens stores `iat·1000 − Date.now()`: a
    // local clock 1000 s ahead of the server writes −1 000 000.
    let t = Tok {
        iat: T0 - 1000,
        exp: T0 - 1000 + HOUR,
        ..Tok::default()
    };
    seed(&store, &t, "-1000000").await;
    let clock = TestClock::new(T0 + HOUR - 10);
    let auth = builder(mock(), &clock)
        .storage(Arc::new(store))
        .build()
        .unwrap();
    // Without the drift this session would be expired (and the mock would fail the refresh).
    let s = auth.current_session().await.unwrap();
    assert_eq!(s.clock_drift().seconds(), 1000);
}

#[tokio::test]
async fn a_refresh_for_a_restored_session_sends_the_stored_username() {
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| {
            matches!(req, InitiateAuth::RefreshToken { username: Some(u), .. } if u.as_str() == USER_ID)
        })
        .times(1)
        .returning(|_, _| Ok(answer(&refreshed(None))));
    let clock = TestClock::new(T0 + 2 * HOUR);
    let auth = builder(m, &clock).storage(Arc::new(store)).build().unwrap();
    assert_eq!(
        auth.current_session().await.unwrap().access_token().exp(),
        T0 + 2 * HOUR
    );
}

/// An Amplify v6 drift under one second cannot be told from v5 seconds by its value: the
/// application says which format its store holds.
#[tokio::test]
async fn an_amplify_v6_store_is_read_in_its_own_format() {
    let t = Tok::default();
    // 200 s before the tokens expire; v6 wrote a drift of 0.4 s (local ahead).
    let clock = TestClock::new(T0 + HOUR - 200);
    let store = MemoryStore::new();
    seed(&store, &t, "-400").await;
    let auth = builder(mock(), &clock)
        .storage(Arc::new(store.clone()))
        .clock_drift_format(crate::ClockDriftFormat::AmplifyV6)
        .build()
        .unwrap();
    let s = auth.current_session().await.unwrap();
    assert_eq!(s.clock_drift().seconds(), 0);
    // Read as seconds, the same value is 400 s of drift: the session looks expired and a
    // refresh is attempted (the mock has none to give).
    let auth = builder(mock(), &clock)
        .storage(Arc::new(store.clone()))
        .retry(crate::RetryPolicy::none())
        .build()
        .unwrap();
    assert!(auth.current_session().await.is_err());
    // Written back in v6's format after a sign-in through a v6-format client.
    let keys = Keys::new(CLIENT);
    let mut m = mock();
    m.expect_initiate_auth().returning(|_, _| {
        Ok(answer(&Tok {
            iat: T0 + HOUR - 230,
            exp: T0 + 2 * HOUR,
            ..Tok::default()
        }))
    });
    let auth = builder(m, &clock)
        .storage(Arc::new(store.clone()))
        .clock_drift_format(crate::ClockDriftFormat::AmplifyV6)
        .auth_flow(crate::AuthFlow::UserPassword)
        .build()
        .unwrap();
    auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    let drift = store.get(&keys.user(USER_ID).clock_drift()).await.unwrap();
    // Local is 30 s ahead of the server's iat: v6 writes iat − now = −30 000 ms.
    assert_eq!(drift.as_deref(), Some("-30000"));
}
