//! Concurrent callers share one refresh and one GetUser, whatever the outcome.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use userpool_transport::{ChallengeRequest, ClientMetadata, SignUpRequest, Transport};
use userpool_types::{
    AttributeName, Attributes, Code, CodeDeliveryDetails, Error, Password, SignUpResult,
};

use super::*;

/// Delegates to a mock, after an asynchronous delay on the calls under test, so that
/// every concurrent caller arrives while the call is in flight. The next `panics`
/// `initiate_auth` calls panic instead (a custom transport's bug; a panic inside the
/// mock itself would poison it).
#[derive(Debug)]
pub(crate) struct Slow {
    pub(crate) inner: MockTransport,
    pub(crate) delay: Duration,
    pub(crate) panics: AtomicUsize,
}

#[async_trait]
impl Transport for Slow {
    fn client_id(&self) -> &ClientId {
        self.inner.client_id()
    }
    async fn sign_up(&self, r: SignUpRequest) -> Result<SignUpResult, Error> {
        self.inner.sign_up(r).await
    }
    async fn confirm_sign_up(
        &self,
        u: Username,
        c: Code,
        f: bool,
        m: ClientMetadata,
    ) -> Result<(), Error> {
        self.inner.confirm_sign_up(u, c, f, m).await
    }
    async fn resend_confirmation_code(
        &self,
        u: Username,
        m: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.inner.resend_confirmation_code(u, m).await
    }
    async fn initiate_auth(
        &self,
        r: InitiateAuth,
        m: ClientMetadata,
    ) -> Result<AuthOutcome, Error> {
        tokio::time::sleep(self.delay).await;
        let panics = self.panics.load(Ordering::SeqCst);
        if panics > 0 {
            self.panics.store(panics - 1, Ordering::SeqCst);
            panic!("a custom transport panicked");
        }
        self.inner.initiate_auth(r, m).await
    }
    async fn respond_to_auth_challenge(&self, a: ChallengeRequest) -> Result<AuthOutcome, Error> {
        self.inner.respond_to_auth_challenge(a).await
    }
    async fn change_password(
        &self,
        t: SecretString,
        p: Password,
        n: Password,
    ) -> Result<(), Error> {
        self.inner.change_password(t, p, n).await
    }
    async fn forgot_password(
        &self,
        u: Username,
        m: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.inner.forgot_password(u, m).await
    }
    async fn confirm_forgot_password(
        &self,
        u: Username,
        c: Code,
        p: Password,
        m: ClientMetadata,
    ) -> Result<(), Error> {
        self.inner.confirm_forgot_password(u, c, p, m).await
    }
    async fn get_user(&self, t: SecretString) -> Result<User, Error> {
        tokio::time::sleep(self.delay).await;
        self.inner.get_user(t).await
    }
    async fn update_user_attributes(
        &self,
        t: SecretString,
        a: Attributes,
        m: ClientMetadata,
    ) -> Result<Vec<CodeDeliveryDetails>, Error> {
        self.inner.update_user_attributes(t, a, m).await
    }
    async fn delete_user_attributes(
        &self,
        t: SecretString,
        n: Vec<AttributeName>,
    ) -> Result<(), Error> {
        self.inner.delete_user_attributes(t, n).await
    }
    async fn get_user_attribute_verification_code(
        &self,
        t: SecretString,
        n: AttributeName,
        m: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.inner
            .get_user_attribute_verification_code(t, n, m)
            .await
    }
    async fn verify_user_attribute(
        &self,
        t: SecretString,
        n: AttributeName,
        c: Code,
    ) -> Result<(), Error> {
        self.inner.verify_user_attribute(t, n, c).await
    }
    async fn global_sign_out(&self, t: SecretString) -> Result<(), Error> {
        self.inner.global_sign_out(t).await
    }
    async fn revoke_token(&self, t: SecretString) -> Result<(), Error> {
        self.inner.revoke_token(t).await
    }
    async fn delete_user(&self, t: SecretString) -> Result<(), Error> {
        self.inner.delete_user(t).await
    }
}

const CALLERS: usize = 1000;

/// A client whose stored session has expired, on a slow transport.
async fn expired_client(m: MockTransport) -> (Auth, RecordingStore) {
    let store = RecordingStore::default();
    seed(&store.inner, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + HOUR + 60);
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .transport(Arc::new(Slow {
            inner: m,
            delay: Duration::from_millis(100),
            panics: AtomicUsize::new(0),
        }))
        .clock(clock)
        .storage(Arc::new(store.clone()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    (auth, store)
}

/// Runs `CALLERS` tasks released together by a barrier.
async fn all_at_once<T, F, Fut>(auth: &Auth, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Auth) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(CALLERS));
    let mut handles = Vec::with_capacity(CALLERS);
    for _ in 0..CALLERS {
        let (auth, barrier, call) = (auth.clone(), barrier.clone(), call.clone());
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            call(auth).await
        }));
    }
    let mut out = Vec::with_capacity(CALLERS);
    for h in handles {
        out.push(h.await.expect("a caller panicked"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_make_one_refresh_and_share_its_result() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut m = mock();
    let counter = calls.clone();
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::RefreshToken { .. }))
        .times(1)
        .returning(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(answer(&Tok {
                iat: T0 + HOUR + 60,
                exp: T0 + 2 * HOUR + 60,
                refresh: None,
                tag: "b",
                ..Tok::default()
            }))
        });
    let (auth, store) = expired_client(m).await;
    let hub_events = auth.subscribe();
    let results = all_at_once(&auth, |auth| async move { auth.current_session().await }).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let first = results[0].as_ref().unwrap().clone();
    assert_eq!(first.access_token().exp(), T0 + 2 * HOUR + 60);
    for r in &results {
        assert!(
            Arc::ptr_eq(r.as_ref().unwrap(), &first),
            "every caller gets the same session"
        );
    }
    // The stored session was read at first use and once more before the one refresh
    // (another process sharing the store may have refreshed it), then written twice with
    // the condition that it is still there: the refresh claim, then the new session (which
    // releases the claim). Five reads of LastAuthUser through the default `get_many` and
    // `apply`, whatever the number of callers.
    assert_eq!(store.count("get:LastAuthUser"), 5, "{:?}", store.log());
    assert_eq!(store.count("set_many"), 2, "{:?}", store.log());
    let mut hub_events = hub_events;
    let mut names = Vec::new();
    while let Some(e) = hub_events.try_recv() {
        names.push(e.name());
    }
    assert_eq!(names, ["tokenRefresh"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_refresh_is_made_once_too_and_every_caller_gets_the_error() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut m = mock();
    let counter = calls.clone();
    m.expect_initiate_auth().times(1).returning(move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        Err(Error::from_service(
            "NotAuthorizedException",
            "Refresh Token has expired",
        ))
    });
    let (auth, _store) = expired_client(m).await;
    let mut events = auth.subscribe();
    let results = all_at_once(&auth, |auth| async move { auth.current_session().await }).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for r in &results {
        assert!(
            matches!(r, Err(Error::NotAuthorized { .. })),
            "every caller gets the refresh's error: {r:?}"
        );
    }
    let mut names = Vec::new();
    while let Some(e) = events.try_recv() {
        names.push(e.name());
    }
    assert_eq!(names, ["tokenRefresh_failure", "signOut"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_failure_is_shared_too_and_the_session_kept() {
    let mut m = mock();
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Err(Error::network("connection reset", None)));
    let (auth, store) = expired_client(m).await;
    let results = all_at_once(&auth, |auth| async move { auth.current_session().await }).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(Error::Network { .. })))
    );
    assert!(store.inner.len() >= 4, "session kept in storage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_user_reads_make_one_get_user() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut m = mock();
    let counter = calls.clone();
    m.expect_get_user().times(1).returning(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(test_user(TYPED))
    });
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let clock = TestClock::new(T0 + 60);
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .transport(Arc::new(Slow {
            inner: m,
            delay: Duration::from_millis(100),
            panics: AtomicUsize::new(0),
        }))
        .clock(clock)
        .storage(Arc::new(store))
        .build()
        .unwrap();
    let results = all_at_once(&auth, |auth| async move {
        auth.current_authenticated_user().await
    })
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let first = results[0].as_ref().unwrap().clone();
    assert!(
        results
            .iter()
            .all(|r| Arc::ptr_eq(r.as_ref().unwrap(), &first))
    );
    assert_eq!(first.email(), Some(TYPED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_get_user_is_made_once() {
    let mut m = mock();
    m.expect_get_user()
        .times(1)
        .returning(|_| Err(service("NotAuthorizedException")));
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    let auth = Auth::builder()
        .user_pool_id(POOL)
        .transport(Arc::new(Slow {
            inner: m,
            delay: Duration::from_millis(100),
            panics: AtomicUsize::new(0),
        }))
        .clock(TestClock::new(T0 + 60))
        .storage(Arc::new(store))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let results = all_at_once(&auth, |auth| async move {
        auth.current_authenticated_user().await
    })
    .await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(Error::NotAuthorized { .. })))
    );
}
