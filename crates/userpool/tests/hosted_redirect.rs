//! Hosted sign-in end to end, without a person: an embedded local pool with a domain and
//! an OAuth app client whose callback is a loopback port, and `Auth::sign_in_with_redirect`
//! with a [`Browser`] that does what a person in a browser would do. Two browsers:
//!
//! - [`FormBrowser`], plain HTTP: it GETs the authorize URL, follows the redirects to the
//!   sign-in page, reads the form (its action and hidden fields, the CSRF token among
//!   them), posts the credentials with the pool's cookies, and follows the 302 to the
//!   loopback port, where the client is waiting.
//! - headless Chromium through playwright-core (the browser peer of the local pool's tests,
//!   whose skip-or-fail rule this file shares), filling in the same form.
//!
//! Every wait is bounded: the client's `HostedConfig::timeout`, and a timeout around each
//! step of the test's browser.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use userpool::{Auth, AuthEvent, Clock, Error, HostedConfig, SignOutOptions, Subscription};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

#[path = "support/form_browser.rs"]
mod form_browser;

use form_browser::{FormBrowser, Plan, request, url_param};

// The local pool's peer rules (which variables, skip loudly, fail under CI), shared rather
// than written a second time. Only `browser` is used here.
#[allow(dead_code)]
#[path = "../../userpool-local/tests/it/peer.rs"]
mod peer;

const DOMAIN: &str = "my-app";
const USER: &str = "alice";
const EMAIL: &str = "alice@example.com";
const PASSWORD: &str = "Correct-Horse-1";

// ------------------------------------------------------------------ the pool

/// The server, the ids, and the loopback port registered as the app client's callback.
struct Pool {
    server: LocalPool,
    pool_id: String,
    client_id: String,
    port: u16,
    sub: String,
}

impl Pool {
    /// `http://127.0.0.1:<port>/my-app`.
    fn domain_url(&self) -> String {
        format!("{}/{DOMAIN}", self.server.endpoint())
    }

    /// A client of this pool with hosted sign-in through `browser`; the clock is the
    /// system's moved by `clock`'s offset.
    fn auth(&self, browser: impl userpool::Browser + 'static, clock: Arc<OffsetClock>) -> Auth {
        Auth::builder()
            .user_pool_id(&self.pool_id)
            .client_id(&self.client_id)
            .endpoint(self.server.endpoint())
            .clock(clock)
            .hosted(
                HostedConfig::new(self.domain_url())
                    .redirect_port(self.port)
                    .scopes(["openid", "email", "aws.cognito.signin.user.admin"])
                    .timeout(Duration::from_secs(20))
                    .browser(browser),
            )
            .build()
            .unwrap()
    }
}

/// A free loopback port, to register before the client listens on it (Cognito matches
/// callback URLs exactly, so the port is chosen before the app client is made).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_pool() -> Pool {
    let server = LocalPool::builder().in_memory().start().await.unwrap();
    let pool = server.create_pool(PoolConfig::new("hosted")).await.unwrap();
    let port = free_port();
    let mut config = ClientConfig::new("native-app");
    config.allowed_oauth_flows_user_pool_client = true;
    config.allowed_oauth_flows = vec!["code".into()];
    config.allowed_oauth_scopes = ["openid", "email", "aws.cognito.signin.user.admin"]
        .map(String::from)
        .to_vec();
    config.callback_urls = vec![format!("http://127.0.0.1:{port}/callback")];
    config.logout_urls = vec![format!("http://127.0.0.1:{port}/signed-out")];
    config.supported_identity_providers = vec!["COGNITO".into()];
    let client = server.create_client(&pool.pool_id, config).await.unwrap();
    // The domain through the API, as an administrator makes it (unsigned admin calls are
    // accepted by a pool started without admin credentials).
    let body = serde_json::json!({ "Domain": DOMAIN, "UserPoolId": pool.pool_id }).to_string();
    let made = request(
        server.local_addr(),
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            (
                "X-Amz-Target",
                "AWSCognitoIdentityProviderService.CreateUserPoolDomain",
            ),
        ],
        body.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(made.status, 200, "CreateUserPoolDomain: {}", made.body);
    let sub = server
        .create_user(
            &pool.pool_id,
            USER,
            PASSWORD,
            &[("email", EMAIL), ("email_verified", "true")],
        )
        .await
        .unwrap();
    Pool {
        server,
        pool_id: pool.pool_id,
        client_id: client.client_id,
        port,
        sub,
    }
}

/// The system clock, moved forward by hand (to make the session look expired).
#[derive(Debug, Default)]
struct OffsetClock(AtomicI64);

impl Clock for OffsetClock {
    fn now(&self) -> SystemTime {
        let offset = Duration::from_secs(u64::try_from(self.0.load(Ordering::SeqCst)).unwrap());
        SystemTime::now() + offset
    }
}

/// The names of the events received so far.
fn event_names(events: &mut Subscription<AuthEvent>) -> Vec<&'static str> {
    let mut names = Vec::new();
    while let Some(e) = events.try_recv() {
        names.push(e.name());
    }
    names
}

// ------------------------------------------------------------------ tests over HTTP

#[tokio::test]
async fn a_redirect_sign_in_through_the_pages_gives_a_working_session() {
    let pool = start_pool().await;
    let browser = FormBrowser::default();
    let clock = Arc::new(OffsetClock::default());
    let auth = pool.auth(browser.clone(), clock.clone());
    let mut events = auth.subscribe();
    event_names(&mut events);

    browser.plan(Plan::SignIn(USER, PASSWORD));
    auth.sign_in_with_redirect().await.unwrap();
    let last = browser.last_outcome().await;
    let last = last.unwrap();
    assert_eq!(last.status, 200, "{}", last.body);
    assert!(last.body.contains("close this window"), "{}", last.body);
    assert_eq!(event_names(&mut events), ["signIn", "signInWithRedirect"]);
    let opened = browser.opened();
    assert!(
        opened[0].starts_with(&format!("{}/oauth2/authorize?", pool.domain_url())),
        "{opened:?}"
    );
    assert_eq!(
        url_param(&opened[0], "redirect_uri").as_deref(),
        Some(format!("http://127.0.0.1:{}/callback", pool.port).as_str())
    );

    // The session is the pool's: its tokens name the user and carry the hosted scopes.
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.id_token().claims().str("sub"),
        Some(pool.sub.as_str())
    );
    assert_eq!(session.id_token().claims().str("email"), Some(EMAIL));
    let scope = session.access_token().claims().str("scope").unwrap_or("");
    assert!(scope.contains("aws.cognito.signin.user.admin"), "{scope}");
    assert!(session.refresh_token().is_some());

    // The access token authorises the user operations: GetUser answers the attributes.
    let user = auth.current_authenticated_user().await.unwrap();
    assert_eq!(user.attributes().get("email"), Some(EMAIL));
    assert_eq!(user.attributes().get("sub"), Some(pool.sub.as_str()));

    // Two hours on, the tokens are expired for the client: the hosted refresh token gets
    // new ones from the pool.
    let before = session
        .access_token()
        .claims()
        .str("jti")
        .map(str::to_owned);
    clock.0.store(2 * 3600, Ordering::SeqCst);
    let refreshed = auth.current_session().await.unwrap();
    assert_ne!(
        refreshed
            .access_token()
            .claims()
            .str("jti")
            .map(str::to_owned),
        before,
        "a new access token"
    );
    assert_eq!(
        refreshed.id_token().claims().str("sub"),
        Some(pool.sub.as_str())
    );
    assert_eq!(event_names(&mut events), ["tokenRefresh"]);

    // Signing out with the redirect ends the local session and the pages' own: the next
    // authorize request shows the sign-in form again instead of a code.
    browser.plan(Plan::Follow);
    auth.sign_out_with_redirect(SignOutOptions::default())
        .await
        .unwrap();
    let last = browser.last_outcome().await.unwrap();
    assert_eq!(last.status, 200, "{}", last.body);
    assert!(last.body.contains("Signed out"), "{}", last.body);
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(event_names(&mut events), ["signOut"]);
    let logout = browser.opened().pop().unwrap();
    assert!(
        logout.starts_with(&format!("{}/logout?", pool.domain_url())),
        "{logout}"
    );
    let (_, page) = browser.navigate(&opened[0]).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("name=\"password\""), "{}", page.body);

    pool.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_second_sign_in_uses_the_pages_session_without_a_password() {
    let pool = start_pool().await;
    let browser = FormBrowser::default();
    let auth = pool.auth(browser.clone(), Arc::default());
    browser.plan(Plan::SignIn(USER, PASSWORD));
    auth.sign_in_with_redirect().await.unwrap();
    auth.sign_out().await.unwrap();

    // Without `sign_out_with_redirect` the pages still know the browser: following the
    // authorize request is enough, no form is filled in.
    browser.plan(Plan::Follow);
    auth.sign_in_with_redirect().await.unwrap();
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.id_token().claims().str("sub"),
        Some(pool.sub.as_str())
    );
    pool.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_keeps_the_browser_on_the_page_and_the_client_times_out() {
    let pool = start_pool().await;
    let browser = FormBrowser::default();
    let auth = Auth::builder()
        .user_pool_id(&pool.pool_id)
        .client_id(&pool.client_id)
        .endpoint(pool.server.endpoint())
        .hosted(
            HostedConfig::new(pool.domain_url())
                .redirect_port(pool.port)
                .timeout(Duration::from_secs(2))
                .browser(browser.clone()),
        )
        .build()
        .unwrap();
    let mut events = auth.subscribe();
    event_names(&mut events);
    browser.plan(Plan::SignIn(USER, "not-the-password"));
    let e = auth.sign_in_with_redirect().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    // The form was refused with the page shown again (not a redirect to the app).
    let outcome = browser.last_outcome().await;
    assert!(
        matches!(&outcome, Err(why) if why.contains("the sign-in form's answer: 200")),
        "{outcome:?}"
    );
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(event_names(&mut events), ["signInWithRedirect_failure"]);
    // The port is free again: the next sign-in listens on it.
    browser.plan(Plan::SignIn(USER, PASSWORD));
    auth.sign_in_with_redirect().await.unwrap();
    pool.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused() {
    let pool = start_pool().await;
    let browser = FormBrowser::default();
    let auth = pool.auth(browser.clone(), Arc::default());
    let mut events = auth.subscribe();
    event_names(&mut events);
    browser.plan(Plan::SignInWithState(USER, PASSWORD, "forged-state"));
    let e = auth.sign_in_with_redirect().await.unwrap_err();
    assert!(
        matches!(&e, Error::NotAuthorized { message } if message.contains("state")),
        "{e:?}"
    );
    let last = browser.last_outcome().await.unwrap();
    assert_eq!(
        last.status, 400,
        "the app's page says it failed: {}",
        last.body
    );
    assert!(matches!(
        auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert_eq!(event_names(&mut events), ["signInWithRedirect_failure"]);
    pool.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_cancelled_sign_in_is_access_denied() {
    let pool = start_pool().await;
    let browser = FormBrowser::default();
    let auth = pool.auth(browser.clone(), Arc::default());
    let mut events = auth.subscribe();
    event_names(&mut events);
    browser.plan(Plan::Cancel);
    let e = auth.sign_in_with_redirect().await.unwrap_err();
    assert!(
        matches!(&e, Error::Service { code, message }
            if code == "access_denied" && message == "The user cancelled the sign-in"),
        "{e:?}"
    );
    assert_eq!(event_names(&mut events), ["signInWithRedirect_failure"]);
    pool.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_scope_the_client_may_not_ask_for_comes_back_as_invalid_scope() {
    let pool = start_pool().await;
    let browser = FormBrowser::default();
    let auth = Auth::builder()
        .user_pool_id(&pool.pool_id)
        .client_id(&pool.client_id)
        .endpoint(pool.server.endpoint())
        .hosted(
            HostedConfig::new(pool.domain_url())
                .redirect_port(pool.port)
                .scopes(["openid", "phone"])
                .timeout(Duration::from_secs(20))
                .browser(browser.clone()),
        )
        .build()
        .unwrap();
    // The pool redirects to the app with the error at once; the person does nothing.
    browser.plan(Plan::Follow);
    let e = auth.sign_in_with_redirect().await.unwrap_err();
    assert_eq!(e.code(), Some("invalid_scope"), "{e:?}");
    pool.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_browser_that_never_comes_back_times_out_and_frees_the_port() {
    let pool = start_pool().await;
    let browser = FormBrowser::default();
    let auth = Auth::builder()
        .user_pool_id(&pool.pool_id)
        .client_id(&pool.client_id)
        .endpoint(pool.server.endpoint())
        .hosted(
            HostedConfig::new(pool.domain_url())
                .redirect_port(pool.port)
                .timeout(Duration::from_millis(500))
                .browser(browser.clone()),
        )
        .build()
        .unwrap();
    browser.plan(Plan::WalkAway);
    let started = std::time::Instant::now();
    let e = auth.sign_in_with_redirect().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Nothing listens on the callback port any more.
    std::net::TcpListener::bind(("127.0.0.1", pool.port)).unwrap();
    pool.server.shutdown().await.unwrap();
}

// ------------------------------------------------------------------ Chromium

/// Chromium as the browser: `open` starts the playwright script that opens the URL and
/// fills in the sign-in form, and keeps its output for the test.
#[derive(Clone)]
struct Chromium {
    peer: Arc<peer::Browser>,
    shots: std::path::PathBuf,
    output: Arc<Mutex<Option<tokio::task::JoinHandle<std::io::Result<std::process::Output>>>>>,
}

/// The script, beside the local pool's browser scripts (it shares their launcher).
fn chromium_script() -> String {
    format!(
        "{}/../userpool-local/tests/peer/hosted_redirect_chromium.js",
        env!("CARGO_MANIFEST_DIR")
    )
}

impl userpool::Browser for Chromium {
    fn open(&self, url: &str) -> Result<(), Error> {
        let mut command = std::process::Command::new("node");
        command
            .env("NODE_PATH", &self.peer.node_modules)
            .env(peer::CHROMIUM, &self.peer.chromium)
            .arg(chromium_script())
            .arg(url)
            .arg(USER)
            .arg(PASSWORD)
            .arg(&self.shots);
        // Waited for on a blocking thread: `open` returns at once, as it must.
        let running = tokio::task::spawn_blocking(move || command.output());
        *self.output.lock().unwrap() = Some(running);
        Ok(())
    }
}

#[tokio::test]
async fn a_redirect_sign_in_in_headless_chromium() {
    let test = "a_redirect_sign_in_in_headless_chromium";
    let Some(peer) = peer::browser(test) else {
        return;
    };
    let pool = start_pool().await;
    let shots = peer::scratch_dir(test);
    let chromium = Chromium {
        peer: Arc::new(peer),
        shots: shots.clone(),
        output: Arc::default(),
    };
    let auth = Auth::builder()
        .user_pool_id(&pool.pool_id)
        .client_id(&pool.client_id)
        .endpoint(pool.server.endpoint())
        .hosted(
            HostedConfig::new(pool.domain_url())
                .redirect_port(pool.port)
                .timeout(Duration::from_secs(60))
                .browser(chromium.clone()),
        )
        .build()
        .unwrap();
    let mut events = auth.subscribe();
    event_names(&mut events);
    let signed_in = auth.sign_in_with_redirect().await;
    let running = chromium
        .output
        .lock()
        .unwrap()
        .take()
        .expect("node started");
    let out = tokio::time::timeout(Duration::from_secs(60), running)
        .await
        .expect("the script ends")
        .unwrap()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Chromium script failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    signed_in.unwrap();
    let result: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    assert_eq!(
        result["final_url"]
            .as_str()
            .and_then(|u| u.split('?').next()),
        Some(format!("http://127.0.0.1:{}/callback", pool.port).as_str()),
        "{result}"
    );
    assert!(
        result["final_text"]
            .as_str()
            .is_some_and(|t| t.contains("close this window")),
        "{result}"
    );
    assert!(shots.join("hosted-sign-in.png").exists());
    assert_eq!(event_names(&mut events), ["signIn", "signInWithRedirect"]);
    let session = auth.current_session().await.unwrap();
    assert_eq!(
        session.id_token().claims().str("sub"),
        Some(pool.sub.as_str())
    );
    let user = auth.current_authenticated_user().await.unwrap();
    assert_eq!(user.attributes().get("email"), Some(EMAIL));
    pool.server.shutdown().await.unwrap();
}
