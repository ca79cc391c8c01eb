//! Unit tests of the client, end to end through a mocked transport.
//!
//! Every Cognito call goes to `MockTransport`; the SRP tests make the mock play a real
//! server (userpool-srp's server side), so the client's proof is checked for real.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attributes;
mod concurrency;
mod config;
mod devices;
mod groups;
mod hardening;
mod hosted;
mod mfa;
mod passwords;
mod refresh;
mod security;
mod session;
mod sign_in;
mod sign_out;
mod sign_up;
mod storage;
mod user_auth;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use userpool_srp::{
    PasswordVerifier, SrpServer, VerifyRequest, decode_secret_block, make_verifier,
};
use userpool_transport::{
    AuthOutcome, AuthTokens, Challenge, ChallengeResponse, InitiateAuth, MockTransport,
};
use userpool_types::testing::unsigned_jwt;
use userpool_types::{
    AuthEvent, ChallengeName, ClaimsBuilder, ClientId, Error, SecretString, User, Username,
};

use crate::storage::{Keys, Storage, StorageError};
use crate::{Auth, AuthBuilder, Clock, Hub, MemoryStore, RetryPolicy, Subscription};

pub(crate) const POOL: &str = "eu-west-1_TestPool1";
pub(crate) const POOL_NAME: &str = "TestPool1";
pub(crate) const CLIENT: &str = "client123";
/// USER_ID_FOR_SRP (the internal username) of the test user.
pub(crate) const USER_ID: &str = "8f0e6d4c-7a9b-4c2d-9e1f-000000000001";
/// What the user types.
pub(crate) const TYPED: &str = "ada@example.com";
/// Local time at the start of every test (seconds since the epoch).
pub(crate) const T0: i64 = 1_700_000_000;
/// Token lifetime.
pub(crate) const HOUR: i64 = 3600;

// ---------------------------------------------------------------- clock

/// A clock the test moves by hand.
#[derive(Debug)]
pub(crate) struct TestClock(AtomicI64);

impl TestClock {
    pub(crate) fn new(secs: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(secs)))
    }
    pub(crate) fn set(&self, secs: i64) {
        self.0.store(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(u64::try_from(self.0.load(Ordering::SeqCst)).unwrap())
    }
}

// ---------------------------------------------------------------- tokens

/// Options of the test tokens.
#[derive(Clone, Debug)]
pub(crate) struct Tok {
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) refresh: Option<String>,
    pub(crate) origin_jti: bool,
    pub(crate) tag: &'static str,
    pub(crate) email: &'static str,
}

impl Default for Tok {
    fn default() -> Self {
        Self {
            iat: T0,
            exp: T0 + HOUR,
            refresh: Some("refresh-token-1".into()),
            origin_jti: false,
            tag: "a",
            email: TYPED,
        }
    }
}

/// The claims both test tokens share, from the builder the local pool issues tokens with.
fn session_claims(t: &Tok) -> ClaimsBuilder {
    ClaimsBuilder::new(USER_ID, USER_ID, CLIENT, t.iat).claim("tag", t.tag)
}

pub(crate) fn id_jwt(t: &Tok) -> String {
    id_jwt_of(t, session_claims(t))
}

fn id_jwt_of(t: &Tok, claims: ClaimsBuilder) -> String {
    let mut attributes = serde_json::Map::new();
    attributes.insert("email".into(), json!(t.email));
    let claims = claims.id_token(t.exp, None, attributes);
    unsigned_jwt(&serde_json::Value::Object(claims))
}

pub(crate) fn access_jwt(t: &Tok) -> String {
    access_jwt_of(t, session_claims(t))
}

fn access_jwt_of(t: &Tok, mut claims: ClaimsBuilder) -> String {
    if t.origin_jti {
        claims = claims.origin_jti("jti-1");
    }
    unsigned_jwt(&serde_json::Value::Object(claims.access_token(t.exp, None)))
}

pub(crate) fn tokens(t: &Tok) -> AuthTokens {
    tokens_with(t, |claims| claims)
}

/// The test tokens with more claims (groups, say) set on both.
pub(crate) fn tokens_with(t: &Tok, edit: impl Fn(ClaimsBuilder) -> ClaimsBuilder) -> AuthTokens {
    let mut tokens = AuthTokens::new(
        SecretString::new(id_jwt_of(t, edit(session_claims(t)))),
        SecretString::new(access_jwt_of(t, edit(session_claims(t)))),
    )
    .with_expires_in(t.exp - t.iat);
    tokens.refresh_token = t.refresh.clone().map(SecretString::new);
    tokens
}

pub(crate) fn answer(t: &Tok) -> AuthOutcome {
    AuthOutcome::Tokens(tokens(t))
}

pub(crate) fn challenge(name: &str, params: &[(&str, &str)]) -> AuthOutcome {
    AuthOutcome::Challenge(
        Challenge::new(ChallengeName::from_name(name))
            .with_session(Some(SecretString::new(format!("session-of-{name}"))))
            .with_parameters(
                params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
    )
}

pub(crate) fn service(code: &str) -> Error {
    Error::from_service(code, "the server said no")
}

pub(crate) fn test_user(email: &str) -> User {
    let attrs = crate::Attributes::try_from([
        ("sub", USER_ID),
        ("email", email),
        ("email_verified", "true"),
    ])
    .unwrap();
    User::new(Username::new(USER_ID).unwrap(), attrs)
}

// ---------------------------------------------------------------- the client

/// A mock that knows its client id.
pub(crate) fn mock() -> MockTransport {
    let mut m = MockTransport::new();
    m.expect_client_id()
        .return_const(ClientId::new(CLIENT).unwrap());
    m
}

/// Everything a test needs.
pub(crate) struct Env {
    pub(crate) auth: Auth,
    pub(crate) clock: Arc<TestClock>,
    pub(crate) store: MemoryStore,
    pub(crate) events: Subscription<AuthEvent>,
}

pub(crate) fn builder(mut m: MockTransport, clock: &Arc<TestClock>) -> AuthBuilder {
    // The tests written before GetTokensFromRefreshToken play a transport without it (so
    // they refresh with REFRESH_TOKEN_AUTH); refresh.rs tests the operation itself.
    refresh::lacks_get_tokens_from_refresh_token(&mut m);
    Auth::builder()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .transport(Arc::new(m))
        .clock(clock.clone())
        .retry(RetryPolicy::new(3, Duration::from_millis(1)))
}

pub(crate) fn env(m: MockTransport) -> Env {
    env_with(m, MemoryStore::new(), |b| b)
}

pub(crate) fn env_with(
    m: MockTransport,
    store: MemoryStore,
    configure: impl FnOnce(AuthBuilder) -> AuthBuilder,
) -> Env {
    let clock = TestClock::new(T0);
    let hub = Hub::new();
    let events = hub.subscribe(crate::AUTH_CHANNEL);
    let auth = configure(builder(m, &clock).storage(Arc::new(store.clone())).hub(hub))
        .build()
        .unwrap();
    let mut env = Env {
        auth,
        clock,
        store,
        events,
    };
    // `configured` is checked by its own test.
    assert_eq!(env.event_names_now(), ["configured"]);
    env
}

impl Env {
    /// The events emitted so far (dispatch only enqueues, so they are all there).
    pub(crate) fn event_names_now(&mut self) -> Vec<&'static str> {
        let mut names = Vec::new();
        while let Some(e) = self.events.try_recv() {
            names.push(e.name());
        }
        names
    }

    /// Collects events until none arrives for a short while.
    pub(crate) async fn events(&mut self) -> Vec<AuthEvent> {
        let mut out = Vec::new();
        while let Ok(Some(e)) =
            tokio::time::timeout(Duration::from_millis(50), self.events.recv()).await
        {
            out.push(e);
        }
        out
    }

    pub(crate) async fn event_names(&mut self) -> Vec<&'static str> {
        self.events().await.iter().map(AuthEvent::name).collect()
    }

    pub(crate) fn keys(&self) -> Keys {
        Keys::new(CLIENT)
    }

    pub(crate) async fn stored(&self, key: &str) -> Option<String> {
        self.store.get(key).await.unwrap()
    }

    pub(crate) async fn stored_user_key(&self, suffix: &str) -> Option<String> {
        let k = self.keys().user(USER_ID);
        let key = match suffix {
            "idToken" => k.id_token(),
            "accessToken" => k.access_token(),
            "refreshToken" => k.refresh_token(),
            "clockDrift" => k.clock_drift(),
            "userData" => k.user_data(),
            "deviceKey" => k.device_key(),
            other => panic!("unknown key {other}"),
        };
        self.stored(&key).await
    }
}

/// Writes a session into `store` as a previous process would have.
pub(crate) async fn seed(store: &dyn Storage, t: &Tok, drift: &str) {
    let keys = Keys::new(CLIENT);
    let u = keys.user(USER_ID);
    let mut entries = vec![
        (keys.last_auth_user(), USER_ID.to_owned()),
        (u.id_token(), id_jwt(t)),
        (u.access_token(), access_jwt(t)),
        (u.clock_drift(), drift.to_owned()),
    ];
    if let Some(r) = &t.refresh {
        entries.push((u.refresh_token(), r.clone()));
    }
    let refs: Vec<(&str, &str)> = entries
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    store.set_many(&refs).await.unwrap();
}

/// Expects one refresh answered by `result`.
pub(crate) fn expect_refresh(
    m: &mut MockTransport,
    times: usize,
    result: impl Fn() -> Result<AuthOutcome, Error> + Send + 'static,
) {
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::RefreshToken { .. }))
        .times(times)
        .returning(move |_, _| result());
}

/// Signs the test user in with the password flow (one InitiateAuth answered with `t`).
pub(crate) async fn signed_in(mut m: MockTransport, t: Tok) -> Env {
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .times(1)
        .returning(move |_, _| Ok(answer(&t)));
    let mut env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(crate::AuthFlow::UserPassword)
    });
    let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    assert!(r.is_signed_in());
    assert_eq!(env.event_names_now(), ["signIn"]);
    env
}

// ---------------------------------------------------------------- SRP server

/// A user pool's SRP side for one user, played inside mock expectations.
#[derive(Clone)]
pub(crate) struct SrpPool {
    verifier: Arc<PasswordVerifier>,
    attempt: Arc<Mutex<Option<(String, SrpServer)>>>,
    pub(crate) secret_block: &'static str,
}

impl SrpPool {
    pub(crate) fn new(password: &str) -> Self {
        Self {
            verifier: Arc::new(make_verifier(POOL_NAME, USER_ID, password)),
            attempt: Arc::new(Mutex::new(None)),
            secret_block: "c2VjcmV0LWJsb2NrLW9mLXRoZS1zZXJ2ZXI=",
        }
    }

    /// Answers InitiateAuth(USER_SRP_AUTH) with a PASSWORD_VERIFIER challenge.
    pub(crate) fn challenge(&self, req: &InitiateAuth) -> Result<AuthOutcome, Error> {
        let InitiateAuth::UserSrp {
            username, srp_a, ..
        } = req
        else {
            panic!("not an SRP start: {req:?}");
        };
        assert_eq!(username.as_str(), TYPED);
        let server = SrpServer::new(&self.verifier).unwrap();
        let b = server.srp_b_hex().to_owned();
        let salt = server.salt_hex();
        *self.attempt.lock().unwrap() = Some((srp_a.clone(), server));
        Ok(challenge(
            "PASSWORD_VERIFIER",
            &[
                ("SRP_B", &b),
                ("SALT", &salt),
                ("SECRET_BLOCK", self.secret_block),
                ("USER_ID_FOR_SRP", USER_ID),
                ("USERNAME", USER_ID),
            ],
        ))
    }

    /// Checks the client's proof like Cognito: `then` on success, NotAuthorized otherwise.
    pub(crate) fn verify(
        &self,
        answer: &userpool_transport::ChallengeRequest,
        then: AuthOutcome,
    ) -> Result<AuthOutcome, Error> {
        let ChallengeResponse::PasswordVerifier {
            secret_block,
            timestamp,
            signature,
            ..
        } = &answer.response
        else {
            panic!("not a PASSWORD_VERIFIER answer");
        };
        assert_eq!(
            answer.username.as_str(),
            USER_ID,
            "USERNAME = the challenge's"
        );
        assert_eq!(
            answer.session.as_ref().map(SecretString::expose),
            Some("session-of-PASSWORD_VERIFIER")
        );
        assert_eq!(secret_block, self.secret_block);
        let guard = self.attempt.lock().unwrap();
        let (srp_a, server) = guard.as_ref().expect("no SRP attempt");
        let ok = server
            .verify(&VerifyRequest {
                pool_name: POOL_NAME,
                user_id_for_srp: answer.username.as_str(),
                srp_a_hex: srp_a,
                secret_block: &decode_secret_block(secret_block).unwrap(),
                timestamp,
                signature_b64: signature.expose(),
            })
            .unwrap();
        if ok {
            Ok(then)
        } else {
            Err(Error::from_service(
                "NotAuthorizedException",
                "Incorrect username or password.",
            ))
        }
    }

    /// Wires both calls into the mock; the sign-in ends with `then`.
    pub(crate) fn expect_sign_in(&self, m: &mut MockTransport, then: AuthOutcome) {
        let pool = self.clone();
        m.expect_initiate_auth()
            .withf(|req, _| matches!(req, InitiateAuth::UserSrp { .. }))
            .times(1)
            .returning(move |req, _| pool.challenge(&req));
        let pool = self.clone();
        m.expect_respond_to_auth_challenge()
            .withf(|a| matches!(a.response, ChallengeResponse::PasswordVerifier { .. }))
            .times(1)
            .returning(move |a| pool.verify(&a, then.clone()));
    }
}

// ---------------------------------------------------------------- stores

/// A memory store that records every call, for ordering and counting checks.
#[derive(Debug, Default, Clone)]
pub(crate) struct RecordingStore {
    pub(crate) inner: MemoryStore,
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

impl RecordingStore {
    fn note(&self, what: impl Into<String>) {
        self.log.lock().unwrap().push(what.into());
    }
    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
    pub(crate) fn count(&self, prefix: &str) -> usize {
        self.log().iter().filter(|l| l.starts_with(prefix)).count()
    }
    pub(crate) fn reset(&self) {
        self.log.lock().unwrap().clear();
    }
}

fn suffix(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

#[async_trait::async_trait]
impl Storage for RecordingStore {
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.note(format!("set:{}", suffix(key)));
        self.inner.set(key, value).await
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.note(format!("get:{}", suffix(key)));
        self.inner.get(key).await
    }
    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        self.note(format!("remove:{}", suffix(key)));
        self.inner.remove(key).await
    }
    async fn clear(&self) -> Result<(), StorageError> {
        self.note("clear");
        self.inner.clear().await
    }
    async fn sync(&self) -> Result<(), StorageError> {
        self.note("sync");
        Ok(())
    }
    async fn set_many(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        let names: Vec<&str> = entries.iter().map(|(k, _)| suffix(k)).collect();
        self.note(format!("set_many:{}", names.join(",")));
        self.inner.set_many(entries).await
    }
    async fn remove_many(&self, keys: &[&str]) -> Result<(), StorageError> {
        self.note(format!("remove_many:{}", keys.len()));
        self.inner.remove_many(keys).await
    }
}

/// A store whose data is damaged until it is cleared.
#[derive(Debug, Default)]
pub(crate) struct CorruptStore {
    pub(crate) inner: MemoryStore,
    pub(crate) healed: AtomicBool,
}

impl CorruptStore {
    fn check(&self) -> Result<(), StorageError> {
        if self.healed.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(StorageError::Corrupt {
                path: PathBuf::from("/tmp/tokens.json"),
                reason: "truncated JSON".into(),
            })
        }
    }
}

#[async_trait::async_trait]
impl Storage for CorruptStore {
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.check()?;
        self.inner.set(key, value).await
    }
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.check()?;
        self.inner.get(key).await
    }
    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        self.check()?;
        self.inner.remove(key).await
    }
    async fn clear(&self) -> Result<(), StorageError> {
        self.healed.store(true, Ordering::SeqCst);
        self.inner.clear().await
    }
    async fn set_many(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        self.check()?;
        self.inner.set_many(entries).await
    }
}

/// The parameters of a challenge, as a map (for custom challenge checks).
pub(crate) fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// ---------------------------------------------------------------- logs

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs the future `run` makes on a runtime of its own, with every event and span (enter,
/// exit, close) of every level written to a buffer: the future's output and the log text,
/// for the tests that look for secrets in the logs.
pub(crate) fn with_captured_logs<F: std::future::Future>(
    run: impl FnOnce() -> F,
) -> (F::Output, String) {
    let buffer = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    // tracing-core caches each callsite's interest globally; with a single registered
    // dispatcher it computes that interest from the *registering thread's* default, so a
    // test running in parallel without a subscriber would switch our callsites off. A
    // second live dispatcher makes it ask every dispatcher instead.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let output = tracing::subscriber::with_default(subscriber, || {
        tracing::callsite::rebuild_interest_cache();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(run())
    });
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (output, logs)
}
