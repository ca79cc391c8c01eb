//! Faults a review found: dropped callers, panicking plug-ins, deadlines, and which
//! refresh failures end the session.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use userpool_types::Error;

use super::concurrency::Slow;
use super::*;
use crate::{AuthFlow, SignInResult};

/// A memory store whose writes can be held at a gate, or made to panic once.
#[derive(Debug, Default, Clone)]
struct FaultyStore {
    inner: MemoryStore,
    /// While set, writes wait until it is cleared.
    gate_closed: Arc<AtomicBool>,
    /// Writes that reached the gate.
    at_gate: Arc<AtomicUsize>,
    /// The next write panics.
    panic_next_write: Arc<AtomicBool>,
}

impl FaultyStore {
    async fn before_write(&self) {
        if self.panic_next_write.swap(false, Ordering::SeqCst) {
            panic!("a custom store panicked");
        }
        if self.gate_closed.load(Ordering::SeqCst) {
            self.at_gate.fetch_add(1, Ordering::SeqCst);
            while self.gate_closed.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

#[async_trait]
impl Storage for FaultyStore {
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.before_write().await;
        self.inner.set(key, value).await
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.inner.get(key).await
    }
    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        self.before_write().await;
        self.inner.remove(key).await
    }
    async fn clear(&self) -> Result<(), StorageError> {
        self.inner.clear().await
    }
    async fn set_many(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        self.before_write().await;
        self.inner.set_many(entries).await
    }
    async fn remove_many(&self, keys: &[&str]) -> Result<(), StorageError> {
        self.before_write().await;
        self.inner.remove_many(keys).await
    }
}

const PROMPTLY: Duration = Duration::from_secs(10);

fn password_sign_in(m: &mut MockTransport, times: usize) {
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .times(times)
        .returning(|_, _| {
            Ok(answer(&Tok {
                iat: T0 + HOUR + 60,
                exp: T0 + 3 * HOUR,
                tag: "signed-in",
                ..Tok::default()
            }))
        });
}

fn refreshed() -> AuthOutcome {
    answer(&Tok {
        iat: T0 + HOUR + 60,
        exp: T0 + 2 * HOUR,
        refresh: None,
        tag: "refreshed",
        ..Tok::default()
    })
}

/// Every caller of a refresh is dropped while the refresh waits on storage with the write
/// lock held. The refresh must still finish and let go of the lock: before, the shared
/// future sat unpolled with the lock held, and sign-in and sign-out then waited forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_sign_out_finish_after_every_refresh_waiter_timed_out() {
    let store = FaultyStore::default();
    seed(&store.inner, &Tok::default(), "0").await;
    let mut m = mock();
    expect_refresh(&mut m, 1, || Ok(refreshed()));
    password_sign_in(&mut m, 1);
    m.expect_revoke_token().returning(|_| Ok(()));
    let clock = TestClock::new(T0 + HOUR + 60);
    let auth = builder(m, &clock)
        .storage(Arc::new(store.clone()))
        .auth_flow(AuthFlow::UserPassword)
        .build()
        .unwrap();
    // Load the stored (expired) session first, then close the gate on writes.
    auth.inner.ensure_loaded().await.unwrap();
    store.gate_closed.store(true, Ordering::SeqCst);
    let waiters: Vec<_> = (0..10)
        .map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_millis(50), auth.current_session()).await
            })
        })
        .collect();
    for w in waiters {
        assert!(w.await.unwrap().is_err(), "every waiter timed out");
    }
    assert!(
        store.at_gate.load(Ordering::SeqCst) >= 1,
        "the refresh reached storage"
    );
    // Nobody waits for the refresh any more. Open the gate: it must finish on its own.
    store.gate_closed.store(false, Ordering::SeqCst);
    let signed_in = tokio::time::timeout(PROMPTLY, auth.sign_in(TYPED, "Pa55word!"))
        .await
        .expect("sign_in hung on the lock of the abandoned refresh");
    assert_eq!(signed_in.unwrap(), SignInResult::SignedIn);
    tokio::time::timeout(PROMPTLY, auth.sign_out())
        .await
        .expect("sign_out hung")
        .unwrap();
    assert!(!auth.inner.is_signed_in());
}

/// A store that panics fails the call that hit the panic, with a typed error, and the
/// next call works. Before, the panic unwound through the caller, and a panic inside the
/// shared refresh left a poisoned shared future that failed every later refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_store_fails_one_call_not_the_next() {
    let store = FaultyStore::default();
    seed(&store.inner, &Tok::default(), "0").await;
    let mut m = mock();
    // One refresh call: the write that panics is the refresh claim, taken before the call.
    expect_refresh(&mut m, 1, || Ok(refreshed()));
    password_sign_in(&mut m, 2);
    let clock = TestClock::new(T0 + HOUR + 60);
    let auth = builder(m, &clock)
        .storage(Arc::new(store.clone()))
        .auth_flow(AuthFlow::UserPassword)
        .build()
        .unwrap();
    // In the shared refresh.
    store.panic_next_write.store(true, Ordering::SeqCst);
    let first = auth.current_session().await;
    assert!(
        matches!(first, Err(Error::Panicked { .. })),
        "{:?}",
        first.map(|_| ())
    );
    let second = auth.current_session().await.unwrap();
    assert_eq!(second.access_token().exp(), T0 + 2 * HOUR);
    // In a sign-in's storage write.
    store.panic_next_write.store(true, Ordering::SeqCst);
    assert!(matches!(
        auth.sign_in(TYPED, "Pa55word!").await,
        Err(Error::Panicked { .. })
    ));
    assert_eq!(
        auth.sign_in(TYPED, "Pa55word!").await.unwrap(),
        SignInResult::SignedIn
    );
}

/// A transport that panics is a typed error of that call.
#[tokio::test]
async fn a_panicking_transport_fails_one_call_not_the_next() {
    let mut inner = mock();
    inner
        .expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .returning(|_, _| Ok(answer(&Tok::default())));
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .transport(Arc::new(Slow {
            inner,
            delay: Duration::ZERO,
            panics: AtomicUsize::new(1),
        }))
        .clock(TestClock::new(T0))
        .auth_flow(AuthFlow::UserPassword)
        .build()
        .unwrap();
    assert!(matches!(
        auth.sign_in(TYPED, "Pa55word!").await,
        Err(Error::Panicked {
            operation: "InitiateAuth"
        })
    ));
    assert!(
        auth.sign_in(TYPED, "Pa55word!")
            .await
            .unwrap()
            .is_signed_in()
    );
}

/// One deadline covers the retries and their back-off: past it a typed timeout, and the
/// session is kept.
#[tokio::test(start_paused = true)]
async fn a_refresh_that_outlasts_the_deadline_times_out_and_keeps_the_session() {
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let mut m = mock();
    m.expect_initiate_auth()
        .returning(|_, _| Err(Error::network("connection reset", None)));
    let clock = TestClock::new(T0 + HOUR + 60);
    let auth = builder(m, &clock)
        .storage(Arc::new(store.clone()))
        .retry(RetryPolicy::new(100, Duration::from_secs(20)))
        .deadline(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let r = auth.current_session().await;
    assert!(
        matches!(
            r,
            Err(Error::Timeout {
                operation: "current_session",
                ..
            })
        ),
        "{:?}",
        r.map(|_| ())
    );
    assert!(started.elapsed() < Duration::from_secs(6));
    assert!(auth.inner.is_signed_in(), "the session is kept");
    let keys = Keys::new(CLIENT);
    assert!(store.get(&keys.last_auth_user()).await.unwrap().is_some());
}

/// A transport that never answers is bounded by the deadline too.
#[tokio::test(start_paused = true)]
async fn a_transport_that_never_answers_is_bounded_by_the_deadline() {
    let mut inner = mock();
    inner
        .expect_initiate_auth()
        .returning(|_, _| Ok(answer(&Tok::default())));
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .transport(Arc::new(Slow {
            inner,
            delay: Duration::from_secs(24 * 3600),
            panics: AtomicUsize::new(0),
        }))
        .clock(TestClock::new(T0))
        .auth_flow(AuthFlow::UserPassword)
        .deadline(Duration::from_secs(30))
        .build()
        .unwrap();
    let r = auth.sign_in(TYPED, "Pa55word!").await;
    assert!(matches!(
        r,
        Err(Error::Timeout {
            operation: "sign_in",
            after
        }) if after == Duration::from_secs(30)
    ));
}

/// The answers to a refresh that mean the refresh token can never work again clear the
/// session, with `tokenRefresh_failure` then `signOut`. Before, only NotAuthorized did: a
/// deleted user, a deleted app client or a forced password reset left a session that
/// failed on every call.
#[tokio::test]
async fn refresh_failures_that_end_the_session_sign_out() {
    for code in [
        "UserNotFoundException",
        "ResourceNotFoundException",
        "PasswordResetRequiredException",
        "UserNotConfirmedException",
        "NotAuthorizedException",
    ] {
        let mut m = mock();
        expect_refresh(&mut m, 1, move || Err(service(code)));
        let mut env = env(m);
        seed(&env.store, &Tok::default(), "0").await;
        env.clock.set(T0 + HOUR + 60);
        let r = env.auth.current_session().await;
        assert_eq!(
            r.err().and_then(|e| e.code().map(str::to_owned)).as_deref(),
            Some(code)
        );
        assert_eq!(
            env.event_names().await,
            ["tokenRefresh_failure", "signOut"],
            "{code}"
        );
        assert_eq!(
            env.stored(&env.keys().last_auth_user()).await,
            None,
            "{code}"
        );
        assert!(
            env.stored_user_key("refreshToken").await.is_none(),
            "{code}"
        );
        assert!(matches!(
            env.auth.current_session().await,
            Err(Error::NotSignedIn)
        ));
    }
}

/// Failures that may pass keep the session: the user stays signed in.
#[tokio::test]
async fn refresh_failures_that_may_pass_keep_the_session() {
    for error in [
        Error::network("reset", None),
        Error::from_service("TooManyRequestsException", "slow down"),
        Error::from_service("InternalErrorException", "oops"),
        Error::from_service("InvalidParameterException", "odd"),
    ] {
        let mut m = mock();
        let e = error.clone();
        m.expect_initiate_auth()
            .returning(move |_, _| Err(e.clone()));
        let mut env = env_with(m, MemoryStore::new(), |b| b.retry(RetryPolicy::none()));
        seed(&env.store, &Tok::default(), "0").await;
        env.clock.set(T0 + HOUR + 60);
        assert!(env.auth.current_session().await.is_err());
        assert_eq!(env.event_names().await, ["tokenRefresh_failure"], "{error}");
        assert!(
            env.stored(&env.keys().last_auth_user()).await.is_some(),
            "{error}"
        );
    }
}
