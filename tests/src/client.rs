//! What a flow works with: a context per flow run (unique names, the backend, clean-up)
//! and clients (an `Auth` with a movable clock and its recorded events).

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use userpool::storage::Storage;
use userpool::{
    AUTH_CHANNEL, Auth, AuthBuilder, AuthEvent, Clock, MemoryStore, Session, SignUpOptions,
    Subscription,
};

use crate::backend::{AppClient, Backend, PoolOptions, Purpose};

/// A clock that runs with the system clock, shifted by an offset the test moves: expiring
/// a session without waiting for it.
#[derive(Debug, Default)]
pub struct TestClock {
    offset_secs: AtomicI64,
}

impl TestClock {
    /// Moves the clock forward by `secs` seconds.
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }

    /// Now, as this clock tells it, in seconds since the epoch.
    pub fn now_secs(&self) -> i64 {
        unix(self.now())
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        let offset = self.offset_secs.load(Ordering::SeqCst);
        let now = SystemTime::now();
        let shift = Duration::from_secs(offset.unsigned_abs());
        if offset >= 0 {
            now + shift
        } else {
            now - shift
        }
    }
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// An `Auth` configured for an app client, with its own clock and a subscription to its
/// `auth` events.
#[derive(Debug)]
pub struct Client {
    /// The facade under test.
    pub auth: Auth,
    /// Its clock.
    pub clock: Arc<TestClock>,
    events: Subscription<AuthEvent>,
}

impl Client {
    /// The events emitted since the last call, in order. Events are enqueued before the
    /// operation that emits them returns, so nothing is waited for.
    pub fn events(&mut self) -> Vec<AuthEvent> {
        std::iter::from_fn(|| self.events.try_recv()).collect()
    }

    /// Checks that the events since the last call are exactly `expected` (by name), and
    /// returns them.
    pub fn expect_events(&mut self, expected: &[&str]) -> Result<Vec<AuthEvent>> {
        let events = self.events();
        let names: Vec<&str> = events.iter().map(AuthEvent::name).collect();
        ensure!(
            names == expected,
            "expected the events {expected:?}, got {names:?}"
        );
        Ok(events)
    }

    /// Moves this client's clock past the expiry of `session` (and its refresh margin).
    pub fn expire(&self, session: &Session) {
        let remaining = session.expires_at() - self.clock.now_secs();
        self.clock.advance(remaining.max(0) + 60);
    }
}

/// A user the flow created.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// The username.
    pub username: String,
    /// The current password.
    pub password: String,
    /// The email address.
    pub email: String,
    /// The `sub` SignUp answered.
    pub sub: String,
}

/// The context of one flow run on one backend.
#[derive(Debug)]
pub struct Ctx<'a> {
    backend: &'a dyn Backend,
    prefix: String,
    counter: AtomicU32,
    created: Mutex<Vec<(AppClient, String)>>,
}

static RUNS: AtomicU32 = AtomicU32::new(0);

impl<'a> Ctx<'a> {
    /// A context for one run of `flow_name`; usernames are unique to it (and, with the
    /// time and the process id in them, to this run on a shared pool).
    pub fn new(backend: &'a dyn Backend, flow_name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        let short: String = flow_name
            .split('_')
            .filter_map(|w| w.chars().next())
            .collect();
        Self {
            backend,
            prefix: format!(
                "it{short}{:x}{:x}{run}",
                (nanos % 0xff_ffff_ffff) as u64,
                std::process::id()
            ),
            counter: AtomicU32::new(0),
            created: Mutex::new(Vec::new()),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &'a dyn Backend {
        self.backend
    }

    /// A pool and app client with these settings.
    pub async fn app(&self, options: PoolOptions) -> Result<AppClient> {
        self.backend
            .create_app(&options)
            .await
            .with_context(|| format!("creating a pool and app client with {options:?}"))
    }

    /// A name no other flow or run uses.
    pub fn unique(&self, tag: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}{tag}{n}", self.prefix)
    }

    /// A username no other flow or run uses, recorded for clean-up.
    pub fn username(&self, app: &AppClient, tag: &str) -> String {
        let name = self.unique(tag);
        self.created
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((app.clone(), name.clone()));
        name
    }

    /// A new client of `app` with a memory store.
    pub fn client(&self, app: &AppClient) -> Result<Client> {
        self.client_with(app, Arc::new(MemoryStore::new()))
    }

    /// A new client of `app` with this store.
    pub fn client_with(&self, app: &AppClient, storage: Arc<dyn Storage>) -> Result<Client> {
        self.client_configured(app, storage, |builder| builder)
    }

    /// A new client of `app` with this store and `configure`'s further settings (the
    /// sign-in flow, say).
    pub fn client_configured(
        &self,
        app: &AppClient,
        storage: Arc<dyn Storage>,
        configure: impl FnOnce(AuthBuilder) -> AuthBuilder,
    ) -> Result<Client> {
        let clock = Arc::new(TestClock::default());
        let mut builder = Auth::builder()
            .user_pool_id(&app.pool_id)
            .client_id(&app.client_id)
            .region(&app.region)
            .storage(storage)
            .clock(clock.clone());
        if let Some(secret) = &app.client_secret {
            builder = builder.client_secret(secret.clone());
        }
        if let Some(endpoint) = self.backend.endpoint() {
            builder = builder.endpoint(endpoint);
        }
        let auth = configure(builder)
            .build()
            .context("building the Auth client")?;
        let events = auth.hub().subscribe(AUTH_CHANNEL);
        Ok(Client {
            auth,
            clock,
            events,
        })
    }

    /// The codes sent to `username` for `purpose` (oldest first), waiting up to 5 s for
    /// at least `at_least` of them; `None` when the backend cannot read codes.
    pub async fn codes(
        &self,
        app: &AppClient,
        username: &str,
        purpose: Purpose,
        at_least: usize,
    ) -> Result<Option<Vec<String>>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let codes = self.backend.codes(app, username, purpose).await?;
            match codes {
                None => return Ok(None),
                Some(codes) if codes.len() >= at_least => return Ok(Some(codes)),
                Some(codes) if tokio::time::Instant::now() >= deadline => bail!(
                    "expected at least {at_least} {purpose:?} code(s) for {username}, found {}",
                    codes.len()
                ),
                Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// The latest code sent to `username` for `purpose`; an error when the backend cannot
    /// read codes (flows that need one are unsupported there).
    pub async fn code(&self, app: &AppClient, username: &str, purpose: Purpose) -> Result<String> {
        self.codes(app, username, purpose, 1)
            .await?
            .and_then(|mut codes| codes.pop())
            .ok_or_else(|| {
                anyhow!(
                    "the {} backend cannot read {purpose:?} codes",
                    self.backend.name()
                )
            })
    }

    /// Confirms a signed-up user: with the code through the facade (checking the
    /// `confirmSignUp` event), or, where codes cannot be read, with `AdminConfirmSignUp`.
    pub async fn confirm(
        &self,
        client: &mut Client,
        app: &AppClient,
        username: &str,
    ) -> Result<()> {
        client.events();
        match self.codes(app, username, Purpose::SignUp, 1).await? {
            Some(mut codes) => {
                let code = codes.pop().ok_or_else(|| anyhow!("no sign-up code"))?;
                client
                    .auth
                    .confirm_sign_up(username, code)
                    .await
                    .context("confirm_sign_up with the code")?;
                client.expect_events(&["confirmSignUp"])?;
            }
            None => self.backend.admin_confirm_sign_up(app, username).await?,
        }
        Ok(())
    }

    /// Signs a user up through the facade (email, name, plus `extra` attributes) and
    /// confirms them.
    pub async fn confirmed_user(
        &self,
        app: &AppClient,
        tag: &str,
        extra: &[(&str, &str)],
    ) -> Result<TestUser> {
        let username = self.username(app, tag);
        let email = format!("{username}@example.com");
        let mut options = SignUpOptions::default()
            .attribute("email", &email)?
            .attribute("name", "Integration Test")?;
        for (name, value) in extra {
            options = options.attribute(name, *value)?;
        }
        let mut client = self.client(app)?;
        let result = client
            .auth
            .sign_up(&username, crate::flows::PASSWORD, options)
            .await
            .with_context(|| format!("sign_up {username}"))?;
        self.confirm(&mut client, app, &username).await?;
        Ok(TestUser {
            username,
            password: crate::flows::PASSWORD.to_owned(),
            email,
            sub: result.user_sub,
        })
    }

    /// A new client of `app` with `user` signed in (SRP).
    pub async fn signed_in(&self, app: &AppClient, user: &TestUser) -> Result<Client> {
        let mut client = self.client(app)?;
        let result = client
            .auth
            .sign_in(&user.username, user.password.as_str())
            .await
            .with_context(|| format!("sign_in {}", user.username))?;
        ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
        client.expect_events(&["signIn"])?;
        Ok(client)
    }

    /// Removes what the flow created (users on a real pool).
    pub async fn cleanup(&self) {
        let created =
            std::mem::take(&mut *self.created.lock().unwrap_or_else(PoisonError::into_inner));
        let mut by_app: Vec<(AppClient, Vec<String>)> = Vec::new();
        for (app, user) in created {
            match by_app.iter_mut().find(|(a, _)| *a == app) {
                Some((_, users)) => users.push(user),
                None => by_app.push((app, vec![user])),
            }
        }
        for (app, users) in by_app {
            self.backend.cleanup(&app, &users).await;
        }
    }
}
