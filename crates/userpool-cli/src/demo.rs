//! `userpool demo`: the whole mission against an embedded local user pool, narrated.
//!
//! The demo starts a [`LocalPool`] in this process (in memory, on a free loopback port),
//! creates a pool with `custom:` attributes and two app clients (one public, one with a
//! secret), then runs every operation of the client through the real AWS SDK transport,
//! over HTTP, and says what happened at each step. Every event of the `auth` channel is
//! printed by a listener as it fires (`  event: signIn`); after each step the narration
//! waits until the listener has printed that step's events, so the output reads in order.
//!
//! Codes are read from the local pool's outbox and printed masked (`12****`); passwords
//! and tokens are never printed. The authenticator app is played by the demo itself: it
//! computes TOTP codes from the secret (RFC 6238, with `totp-rs`), and prints the secret
//! and the codes masked. The demo checks itself: a step whose result or events
//! are not the expected ones stops it with a message and a non-zero exit code.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use tokio::sync::watch;
use userpool::{
    AUTH_CHANNEL, Attributes, Auth, AuthEvent, Error, Hub, Listener, MfaPreference,
    MfaPreferenceUpdate, MfaType, NextStep, Session, SignInResult, SignUpOptions, Subscription,
    User,
};
use userpool_local::{ClientConfig, CustomAttribute, LocalPool, MfaConfig, MfaMode, PoolConfig};

use crate::failure::{self, EXIT_POOL, Failure};
use crate::show;

/// The demo's users and passwords (throwaway values for an in-memory pool).
const ALICE: &str = "alice";
const GRACE: &str = "grace";
const ALICE_PASSWORD: &str = "Demo-Passw0rd!";
const ALICE_WRONG: &str = "Wrong-Passw0rd!";
const ALICE_CHANGED: &str = "Changed-Passw0rd!";
const ALICE_RESET: &str = "Reset-Passw0rd!";
const GRACE_TEMPORARY: &str = "Temp-Passw0rd1!";
const GRACE_NEW: &str = "Grace-Passw0rd2!";

/// Every password the demo uses (for the tests that check none is printed).
#[cfg(test)]
const PASSWORDS: &[&str] = &[
    ALICE_PASSWORD,
    ALICE_WRONG,
    ALICE_CHANGED,
    ALICE_RESET,
    GRACE_TEMPORARY,
    GRACE_NEW,
];

/// How long the narration waits for the listener to print a step's events.
const EVENT_WAIT: Duration = Duration::from_secs(10);

/// Where the narration goes; shared with the event listener, which runs on its own
/// worker. One line is written at a time.
#[derive(Clone)]
pub(crate) struct Out(Arc<Mutex<Box<dyn Write + Send>>>);

impl Out {
    /// Standard output.
    pub(crate) fn stdout() -> Self {
        Self::to(std::io::stdout())
    }

    /// Any writer.
    pub(crate) fn to(writer: impl Write + Send + 'static) -> Self {
        Self(Arc::new(Mutex::new(Box::new(writer))))
    }

    /// Writes one line (and flushes, so that the order on a terminal is the order here).
    pub(crate) fn line(&self, text: impl AsRef<str>) {
        let mut w = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = writeln!(w, "{}", text.as_ref());
        let _ = w.flush();
    }
}

/// The secrets the demo handled, collected for the tests that check the output holds
/// none of them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Secrets(Option<Arc<Mutex<Vec<String>>>>);

impl Secrets {
    /// Collects.
    #[cfg(test)]
    pub(crate) fn collecting() -> Self {
        Self(Some(Arc::default()))
    }

    fn keep(&self, secret: &str) {
        if let Some(all) = &self.0 {
            all.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(secret.to_owned());
        }
    }

    fn keep_session(&self, session: &Session) {
        self.keep(session.id_token().raw().expose());
        self.keep(session.access_token().raw().expose());
        if let Some(refresh) = session.refresh_token() {
            self.keep(refresh.raw().expose());
        }
    }

    /// What was collected.
    #[cfg(test)]
    pub(crate) fn all(&self) -> Vec<String> {
        self.0
            .as_ref()
            .map(|all| all.lock().unwrap_or_else(PoisonError::into_inner).clone())
            .unwrap_or_default()
    }
}

/// A short, secret-free detail for an event line.
fn event_detail(event: &AuthEvent) -> String {
    match event {
        AuthEvent::SignUp { username, .. }
        | AuthEvent::ConfirmSignUp { username }
        | AuthEvent::SignIn { username }
        | AuthEvent::ForgotPassword { username, .. }
        | AuthEvent::ForgotPasswordSubmit { username } => format!(" ({username})"),
        AuthEvent::SignOut { global: true } => " (global)".to_owned(),
        AuthEvent::UpdateUserAttributes { results } => {
            let parts: Vec<String> = results
                .iter()
                .map(|(name, r)| {
                    let state = if r.is_updated { "updated" } else { "to verify" };
                    format!("{name} {state}")
                })
                .collect();
            format!(" ({})", parts.join(", "))
        }
        other => match other.error().and_then(Error::code) {
            Some(code) => format!(" ({code})"),
            None => String::new(),
        },
    }
}

/// Prints every event of the `auth` channel as it fires, and lets the narration wait
/// until a step's events are printed.
///
/// The listener prints; a subscription on the same channel counts what was dispatched.
/// Both are registered before anything is emitted, and an operation dispatches its events
/// before it returns, so after a step the subscription holds exactly that step's events,
/// and waiting for the listener's count to reach the total puts them on screen before the
/// next line of narration.
struct EventTap {
    _listener: Listener,
    subscription: Subscription<AuthEvent>,
    printed: watch::Receiver<usize>,
    dispatched: usize,
}

impl EventTap {
    fn new(hub: &Hub<AuthEvent>, out: Out) -> Self {
        let (count, printed) = watch::channel(0usize);
        let listener = hub.listen(AUTH_CHANNEL, move |event: &AuthEvent| {
            out.line(format!("  event: {}{}", event.name(), event_detail(event)));
            count.send_modify(|n| *n += 1);
        });
        Self {
            _listener: listener,
            subscription: hub.subscribe(AUTH_CHANNEL),
            printed,
            dispatched: 0,
        }
    }

    /// Waits until the events dispatched so far are printed; answers their names.
    async fn settle(&mut self) -> anyhow::Result<Vec<&'static str>> {
        let mut names = Vec::new();
        while let Some(event) = self.subscription.try_recv() {
            names.push(event.name());
            self.dispatched += 1;
        }
        let target = self.dispatched;
        tokio::time::timeout(EVENT_WAIT, self.printed.wait_for(|n| *n >= target))
            .await
            .map_err(|_| anyhow!("the event listener did not print {names:?} in time"))?
            .map_err(|_| anyhow!("the event listener stopped"))?;
        Ok(names)
    }
}

/// True when `expected` appear in `seen` in this order (other events may come between).
fn in_order(seen: &[&str], expected: &[&str]) -> bool {
    let mut rest = seen.iter();
    expected.iter().all(|e| rest.any(|s| s == e))
}

/// The narrator: numbered steps, indented results, and the events in between.
struct Narrator {
    out: Out,
    tap: EventTap,
    secrets: Secrets,
    step: usize,
    title: String,
}

impl Narrator {
    fn step(&mut self, title: &str) {
        self.step += 1;
        self.title = title.to_owned();
        self.out.line("");
        self.out.line(format!("{:>2}. {title}", self.step));
    }

    /// The call being made, as Rust.
    fn call(&self, code: &str) {
        self.out.line(format!("    > {code}"));
    }

    /// What came back.
    fn say(&self, text: impl AsRef<str>) {
        self.out.line(format!("    {}", text.as_ref()));
    }

    /// Waits for this step's events and checks the expected ones fired, in order.
    async fn events(&mut self, expected: &[&str]) -> anyhow::Result<()> {
        let seen = self.tap.settle().await?;
        if !in_order(&seen, expected) {
            bail!("expected the events {expected:?} in this order, but saw {seen:?}");
        }
        Ok(())
    }

    fn user(&self, user: &User) {
        self.say(format!("username: {}", user.username()));
        for line in show::attribute_lines(user, "      ", &[]) {
            self.out.line(line);
        }
    }

    /// Reads the latest code sent to `user` from the outbox, and says so (masked).
    fn outbox_code(&self, server: &LocalPool, pool_id: &str, user: &str) -> anyhow::Result<String> {
        let record = server
            .outbox()
            .latest(pool_id, user)
            .with_context(|| format!("the outbox has no message for {user}"))?;
        self.secrets.keep(&record.code);
        self.say(format!(
            "code from the outbox ({} message, {} to {}): {}",
            record.purpose.name(),
            record.medium.wire(),
            record.destination,
            show::mask_code(&record.code)
        ));
        Ok(record.code)
    }
}

/// `userpool demo`: runs the demo on standard output.
pub(crate) async fn run_cli() -> Result<(), Failure> {
    run(Out::stdout(), Secrets::default()).await
}

/// Runs the demo, narrating to `out`. On failure the answer says which step failed, why,
/// and what to do, with the exit code of the error's kind.
pub(crate) async fn run(out: Out, secrets: Secrets) -> Result<(), Failure> {
    let started = Instant::now();
    out.line("userpool demo: the whole mission, against a local user pool in this process.");
    out.line("No AWS account and no network: a LocalPool on 127.0.0.1 plays Amazon Cognito,");
    out.line("and the client talks to it over HTTP with the AWS SDK, as it would to Cognito.");
    out.line("Passwords and tokens are never shown; codes are shown masked.");

    let server = LocalPool::builder()
        .in_memory()
        .start()
        .await
        .map_err(|e| Failure::local(format!("cannot start the local user pool: {e}")))?;
    let hub = Hub::<AuthEvent>::new();
    let mut narrator = Narrator {
        tap: EventTap::new(&hub, out.clone()),
        out: out.clone(),
        secrets,
        step: 0,
        title: "setting up the local pool".to_owned(),
    };
    let result = script(&mut narrator, &server, &hub).await;
    let shutdown = server.shutdown().await;
    match result {
        Ok(()) => {
            shutdown.map_err(|e| Failure::local(format!("stopping the local user pool: {e}")))?;
            out.line("");
            out.line(format!(
                "Done in {:.1} s: every step worked and every event fired.",
                started.elapsed().as_secs_f64()
            ));
            Ok(())
        }
        Err(error) => {
            let (code, hint) = match error.downcast_ref::<Error>() {
                Some(e) => (
                    failure::exit_code_of(e),
                    failure::hint(e, "demo", server_name()),
                ),
                None => (EXIT_POOL, None),
            };
            let mut failure = Failure::new(
                format!(
                    "demo failed at step {} ({}): {error:#}",
                    narrator.step, narrator.title
                ),
                code.max(EXIT_POOL),
            );
            if let Some(hint) = hint {
                failure = failure.with_hint(hint);
            }
            Err(failure)
        }
    }
}

fn server_name() -> &'static str {
    "the embedded local pool"
}

/// The steps.
async fn script(n: &mut Narrator, server: &LocalPool, hub: &Hub<AuthEvent>) -> anyhow::Result<()> {
    // ------------------------------------------------------------ the pool
    n.out.line("");
    n.out.line("Setting up");
    n.say(format!(
        "local user pool listening on {} (in memory)",
        server.endpoint()
    ));
    let mut config = PoolConfig::new("userpool-demo");
    config.auto_verified_attributes = vec!["email".to_owned()];
    config.keep_original_until_verified = vec!["email".to_owned()];
    config.custom_attributes = vec![
        CustomAttribute::string("team"),
        CustomAttribute::number("level"),
    ];
    // OPTIONAL: only users who turned a factor on are asked for it, so every sign-in
    // before alice enrols an authenticator app (and grace's) goes through without one.
    config.mfa = MfaConfig {
        mode: MfaMode::Optional,
        software_token: true,
        ..MfaConfig::default()
    };
    let pool = server.create_pool(config).await?;
    let pool_id = pool.pool_id.as_str();
    n.say(format!(
        "pool {pool_id}: Cognito's password policy; custom:team (string) and custom:level"
    ));
    n.say("    (number) in the schema; emails verified by code, the old address kept until");
    n.say("    the new one is verified; MFA OPTIONAL with authenticator apps (TOTP) allowed,");
    n.say("    as SetUserPoolMfaConfig sets it");
    let app = server
        .create_client(pool_id, ClientConfig::new("demo-app"))
        .await?;
    n.say(format!(
        "app client {} (public: no secret, SRP sign-in)",
        app.client_id
    ));
    let backend = server
        .create_client(pool_id, ClientConfig::new("demo-backend").with_secret())
        .await?;
    let backend_secret = backend
        .client_secret
        .clone()
        .context("the local pool made no secret for the second app client")?;
    n.secrets.keep(&backend_secret);
    n.say(format!(
        "app client {} (with a secret: every call carries a SECRET_HASH)",
        backend.client_id
    ));

    // ------------------------------------------------------------ configure
    n.step("Configure the client, and listen to its events");
    n.call("let listener = hub.listen(AUTH_CHANNEL, |e| println!(\"  event: {}\", e.name()));");
    n.call(&format!(
        "let auth = Auth::builder().user_pool_id(\"{pool_id}\").client_id(\"{}\")",
        app.client_id
    ));
    n.call(&format!(
        "    .endpoint(\"{}\").hub(hub.clone()).build()?;",
        server.endpoint()
    ));
    let auth = Auth::builder()
        .user_pool_id(pool_id)
        .client_id(app.client_id.as_str())
        .endpoint(server.endpoint())
        .hub(hub.clone())
        .build()?;
    n.events(&["configured"]).await?;
    n.say("auth.listen(…) does the same on a built client; the hub goes to the builder here");
    n.say("so that the listener sees `configured`. Tokens are kept in a MemoryStore.");

    // ------------------------------------------------------------ sign-up
    n.step("Sign up alice, with standard and custom attributes");
    n.call("auth.sign_up(\"alice\", password, SignUpOptions::default()");
    n.call(
        "    .attribute(\"email\", \"alice@example.com\")?.attribute(\"given_name\", \"Alice\")?",
    );
    n.call(
        "    .attribute(\"custom:team\", \"engines\")?.attribute(\"custom:level\", \"3\")?).await?",
    );
    let options = SignUpOptions::default()
        .attribute("email", "alice@example.com")?
        .attribute("given_name", "Alice")?
        .attribute("custom:team", "engines")?
        .attribute("custom:level", "3")?;
    let signed_up = auth.sign_up(ALICE, ALICE_PASSWORD, options).await?;
    n.events(&["signUp"]).await?;
    n.say(format!(
        "user_confirmed: {}, user_sub: {}",
        signed_up.user_confirmed, signed_up.user_sub
    ));
    n.say(show::code_sent(signed_up.code_delivery.as_ref()));
    if signed_up.user_confirmed {
        bail!("the pool confirmed alice without a code");
    }

    // ------------------------------------------------------------ confirm
    n.step("Confirm the sign-up with the code from the outbox");
    let code = n.outbox_code(server, pool_id, ALICE)?;
    n.call("auth.confirm_sign_up(\"alice\", code).await?");
    auth.confirm_sign_up(ALICE, code).await?;
    n.events(&["confirmSignUp"]).await?;
    n.say("confirmed: alice can sign in");

    // ------------------------------------------------------------ wrong password
    n.step("A wrong password is refused, with a typed error");
    n.call("auth.sign_in(\"alice\", wrong_password).await");
    let refused = auth.sign_in(ALICE, ALICE_WRONG).await;
    n.events(&["signIn_failure"]).await?;
    match refused {
        Err(e @ Error::NotAuthorized { .. }) => n.say(format!("Err(Error::NotAuthorized): {e}")),
        Err(e) => return Err(anyhow!(e).context("a wrong password gave another error")),
        Ok(_) => bail!("a wrong password was accepted"),
    }

    // ------------------------------------------------------------ SRP sign-in
    n.step("Sign in with SRP");
    n.call("auth.sign_in(\"alice\", password).await?");
    let signed_in = auth.sign_in(ALICE, ALICE_PASSWORD).await?;
    n.events(&["signIn"]).await?;
    if !signed_in.is_signed_in() {
        bail!("alice was not signed in: {signed_in:?}");
    }
    n.say("SignedIn: InitiateAuth (USER_SRP_AUTH) sent SRP_A, RespondToAuthChallenge");
    n.say("(PASSWORD_VERIFIER) sent the proof; the password itself never left this process");

    // ------------------------------------------------------------ user and session
    n.step("The current user");
    n.call("auth.current_authenticated_user().await?");
    let user = auth.current_authenticated_user().await?;
    n.events(&[]).await?;
    n.user(&user);

    n.step("The current session (its claims: the tokens themselves are never printed)");
    n.call("auth.current_session().await?");
    let session = auth.current_session().await?;
    n.events(&[]).await?;
    n.secrets.keep_session(&session);
    let id = session.id_token().claims();
    let access = session.access_token().claims();
    n.say(format!("sub:              {}", id.sub().unwrap_or("?")));
    n.say(format!(
        "cognito:username: {}",
        session.id_token().username().unwrap_or("?")
    ));
    n.say(format!(
        "email:            {} (verified: {})",
        id.str("email").unwrap_or("?"),
        id.bool("email_verified").unwrap_or(false)
    ));
    n.say(format!(
        "custom:team:      {}",
        id.str("custom:team").unwrap_or("?")
    ));
    n.say(format!(
        "iss:              {}",
        id.str("iss").unwrap_or("?")
    ));
    n.say(format!(
        "id token:         token_use {}, aud {}",
        id.token_use().unwrap_or("?"),
        id.str("aud").unwrap_or("?"),
    ));
    n.say(format!("                  exp {}", show::when(id.exp())));
    n.say(format!(
        "access token:     token_use {}, scope {}",
        access.token_use().unwrap_or("?"),
        access.str("scope").unwrap_or("?"),
    ));
    n.say(format!(
        "                  exp {}",
        show::when(access.exp())
    ));
    n.say(format!(
        "refresh token:    {}",
        if session.refresh_token().is_some() {
            "present (opaque)"
        } else {
            "absent"
        }
    ));
    n.say("the session answers from memory while valid, and refreshes itself 5 s before exp");

    // ------------------------------------------------------------ attributes
    n.step("Update the email (a code goes to the new address) and custom:level");
    n.call("auth.update_user_attributes(Attributes::new()");
    n.call("    .with(\"email\", \"alice@example.org\")?.with(\"custom:level\", \"4\")?).await?");
    let results = auth
        .update_user_attributes(
            Attributes::new()
                .with("email", "alice@example.org")?
                .with("custom:level", "4")?,
        )
        .await?;
    n.events(&["updateUserAttributes"]).await?;
    for (name, result) in &results {
        if result.is_updated {
            n.say(format!("{name}: updated"));
        } else {
            n.say(format!(
                "{name}: waits for verification; {}",
                show::code_sent(result.code_delivery.as_ref())
            ));
        }
    }
    match results.get("email") {
        Some(r) if !r.is_updated => {}
        other => bail!("the email change should wait for verification: {other:?}"),
    }
    n.call("auth.current_authenticated_user().await?  // reloaded after the update");
    let user = auth.current_authenticated_user().await?;
    n.events(&[]).await?;
    n.say(format!(
        "until the new one is verified, the pool keeps email = {}",
        user.email().unwrap_or("?")
    ));

    n.step("Verify the new email with its code");
    let code = n.outbox_code(server, pool_id, ALICE)?;
    n.call("auth.verify_current_user_attribute_submit(\"email\", code).await?");
    auth.verify_current_user_attribute_submit("email", code)
        .await?;
    n.events(&[]).await?;
    n.call("auth.current_authenticated_user_with(userpool::CurrentUserOptions::default().bypass_cache()).await?  // bypass the cache");
    let user = auth
        .current_authenticated_user_with(userpool::CurrentUserOptions::default().bypass_cache())
        .await?;
    n.events(&[]).await?;
    n.say(format!(
        "email = {}, email_verified = {}",
        user.email().unwrap_or("?"),
        user.email_verified().unwrap_or(false)
    ));
    if user.email() != Some("alice@example.org") || user.email_verified() != Some(true) {
        bail!("the new email is not in effect after verification");
    }

    // ------------------------------------------------------------ passwords
    n.step("Change the password");
    n.call("auth.change_password(old_password, new_password).await?");
    auth.change_password(ALICE_PASSWORD, ALICE_CHANGED).await?;
    n.events(&[]).await?;
    n.say("changed (ChangePassword, with the access token)");

    n.step("Sign out");
    n.call("auth.sign_out().await?");
    auth.sign_out().await?;
    n.events(&["signOut"]).await?;
    n.say("the refresh token is revoked and the session removed from storage");
    n.call("auth.current_session().await");
    match auth.current_session().await {
        Err(e @ Error::NotSignedIn) => n.say(format!("Err(Error::NotSignedIn): {e}")),
        Err(e) => return Err(anyhow!(e).context("after sign-out")),
        Ok(_) => bail!("a session is still there after sign-out"),
    }
    n.events(&[]).await?;

    n.step("Forgot password: a reset code, then a new password");
    n.call("auth.forgot_password(\"alice\").await?");
    let delivery = auth.forgot_password(ALICE).await?;
    n.events(&["forgotPassword"]).await?;
    n.say(show::code_sent(delivery.as_ref()));
    let code = n.outbox_code(server, pool_id, ALICE)?;
    n.call("auth.forgot_password_submit(\"alice\", code, new_password).await?");
    auth.forgot_password_submit(ALICE, code, ALICE_RESET)
        .await?;
    n.events(&["forgotPasswordSubmit"]).await?;
    n.say("password reset");
    n.call("auth.sign_in(\"alice\", new_password).await?");
    let signed_in = auth.sign_in(ALICE, ALICE_RESET).await?;
    n.events(&["signIn"]).await?;
    if !signed_in.is_signed_in() {
        bail!("alice could not sign in with the new password: {signed_in:?}");
    }
    n.secrets.keep_session(&*auth.current_session().await?);
    n.say("signed in with the new password");

    // ------------------------------------------------------------ MFA
    let totp = enrol_totp(n, &auth).await?;
    sign_in_with_totp(n, &auth, &totp).await?;

    // ------------------------------------------------------------ admin-created user
    n.step("An administrator creates grace with a temporary password");
    n.call("server.create_user(pool, \"grace\", temporary, &[(\"email\", …), …]).await?");
    n.call("server.set_password(pool, \"grace\", temporary, false).await?  // not permanent");
    server
        .create_user(
            pool_id,
            GRACE,
            GRACE_TEMPORARY,
            &[
                ("email", "grace@example.com"),
                ("email_verified", "true"),
                ("given_name", "Grace"),
            ],
        )
        .await?;
    server
        .set_password(pool_id, GRACE, GRACE_TEMPORARY, false)
        .await?;
    n.say("grace exists with status FORCE_CHANGE_PASSWORD, as after AdminCreateUser");

    n.step("grace signs in through the app client with a secret: NEW_PASSWORD_REQUIRED");
    n.call(&format!(
        "let backend = Auth::builder()…client_id(\"{}\").client_secret(secret)…build()?;",
        backend.client_id
    ));
    let backend_auth = Auth::builder()
        .user_pool_id(pool_id)
        .client_id(backend.client_id.as_str())
        .client_secret(backend_secret.as_str())
        .endpoint(server.endpoint())
        .hub(hub.clone())
        .build()?;
    n.events(&["configured"]).await?;
    n.call("backend.sign_in(\"grace\", temporary).await?");
    let first = backend_auth.sign_in(GRACE, GRACE_TEMPORARY).await?;
    n.events(&[]).await?;
    match first {
        SignInResult::NextStep(NextStep::NewPasswordRequired {
            required_attributes,
            user_attributes,
        }) => {
            let required: Vec<&str> = required_attributes.iter().map(|a| a.as_str()).collect();
            let current: Vec<&str> = user_attributes.names().map(|a| a.as_str()).collect();
            n.say("NextStep(NewPasswordRequired): not signed in yet; a new password is needed");
            n.say(format!(
                "required attributes: {}; the challenge reports {}",
                if required.is_empty() {
                    "none".to_owned()
                } else {
                    required.join(", ")
                },
                current.join(", ")
            ));
        }
        other => bail!("grace's first sign-in should ask for a new password: {other:?}"),
    }
    n.call("backend.complete_new_password(new_password, Attributes::new()).await?");
    let done = backend_auth
        .complete_new_password(GRACE_NEW, Attributes::new())
        .await?;
    n.events(&["signIn"]).await?;
    if !done.is_signed_in() {
        bail!("grace is not signed in after choosing a password: {done:?}");
    }
    n.secrets
        .keep_session(&*backend_auth.current_session().await?);
    let grace = backend_auth.current_authenticated_user().await?;
    n.events(&[]).await?;
    n.say(format!(
        "signed in as {} ({}); every call carried a SECRET_HASH",
        grace.username(),
        grace.email().unwrap_or("?")
    ));
    n.call("backend.sign_out().await?");
    backend_auth.sign_out().await?;
    n.events(&["signOut"]).await?;

    // ------------------------------------------------------------ deletions
    n.step("Back to alice: delete an attribute");
    n.call("auth.delete_user_attributes([\"custom:team\"]).await?");
    auth.delete_user_attributes(["custom:team"]).await?;
    n.events(&[]).await?;
    let user = auth.current_authenticated_user().await?;
    n.events(&[]).await?;
    if user.attribute("custom:team").is_some() {
        bail!("custom:team is still there after deletion");
    }
    n.say("custom:team is gone; alice's attributes now:");
    for line in show::attribute_lines(&user, "      ", &[]) {
        n.out.line(line);
    }

    n.step("Delete the user");
    n.call("auth.delete_user().await?");
    auth.delete_user().await?;
    n.events(&["userDeleted", "signOut"]).await?;
    n.say("alice is deleted and signed out");
    n.call("auth.sign_in(\"alice\", new_password).await");
    let refused = auth.sign_in(ALICE, ALICE_RESET).await;
    n.events(&["signIn_failure"]).await?;
    match refused {
        Err(e) => n.say(format!("refused: {e}")),
        Ok(_) => bail!("a deleted user could sign in"),
    }
    Ok(())
}

/// The demo's authenticator app: TOTP codes of the secret the pool gave (RFC 6238 as
/// Cognito uses it: HMAC-SHA-1, 6 digits, 30-second steps).
struct AuthenticatorApp {
    totp: totp_rs::Totp,
}

impl AuthenticatorApp {
    /// Reads the base32 secret of `AssociateSoftwareToken`.
    fn new(secret: &str) -> anyhow::Result<Self> {
        let bytes = totp_rs::Secret::try_from_base32(secret)
            .map_err(|e| anyhow!("the pool's TOTP secret is not base32: {e}"))?;
        let totp = totp_rs::Builder::new()
            .with_secret(bytes)
            .build()
            .map_err(|e| anyhow!("the pool's TOTP secret is unusable: {e}"))?;
        Ok(Self { totp })
    }

    /// The code shown `ahead` seconds from now.
    fn code_in(&self, ahead: u64) -> String {
        let now = u64::try_from(show::now_secs()).unwrap_or(0);
        self.totp.generate(now.saturating_add(ahead)).to_string()
    }
}

/// `JBSW…` (32 characters): enough of a secret to recognise it, not to use it.
fn mask_secret(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!("{shown}… ({} characters)", secret.chars().count())
}

/// alice sets up an authenticator app and makes it her preferred MFA method.
async fn enrol_totp(n: &mut Narrator, auth: &Auth) -> anyhow::Result<AuthenticatorApp> {
    n.step("Set up an authenticator app (TOTP) for alice");
    n.call("let setup = auth.set_up_totp().await?;  // AssociateSoftwareToken");
    let setup = auth.set_up_totp().await?;
    n.events(&[]).await?;
    let secret = setup.shared_secret().expose();
    n.secrets.keep(secret);
    n.secrets
        .keep(setup.setup_uri("userpool demo", None).expose());
    n.say(format!("shared secret: {}", mask_secret(secret)));
    n.say("an app reads it from setup.setup_uri(\"userpool demo\", None), an otpauth URI");
    n.say("shown as a QR code (`userpool mfa setup` draws one); here the demo plays the app");
    let app = AuthenticatorApp::new(secret)?;
    let code = app.code_in(0);
    n.secrets.keep(&code);
    n.say(format!(
        "the app shows {} (RFC 6238: HMAC-SHA-1 of the 30-second step, 6 digits)",
        show::mask_code(&code)
    ));
    n.call("auth.verify_totp_setup(code, Some(\"demo phone\")).await?  // VerifySoftwareToken");
    auth.verify_totp_setup(code, Some("demo phone")).await?;
    n.events(&[]).await?;
    n.call("auth.update_mfa_preference(MfaPreferenceUpdate::new().totp(MfaPreference::Preferred)).await?");
    auth.update_mfa_preference(MfaPreferenceUpdate::new().totp(MfaPreference::Preferred))
        .await?;
    n.events(&[]).await?;
    n.call("auth.fetch_mfa_preference().await?");
    let settings = auth.fetch_mfa_preference().await?;
    n.events(&[]).await?;
    let enabled: Vec<&str> = settings.enabled.iter().map(|m| m.as_str()).collect();
    n.say(format!(
        "enabled: [{}], preferred: {}",
        enabled.join(", "),
        settings.preferred.map_or("none", MfaType::as_str)
    ));
    if settings.preferred != Some(MfaType::Totp) {
        bail!("TOTP is not alice's preferred MFA method after setting it up: {settings:?}");
    }
    Ok(app)
}

/// alice signs out and in again: after the password, the pool asks for the app's code.
async fn sign_in_with_totp(
    n: &mut Narrator,
    auth: &Auth,
    app: &AuthenticatorApp,
) -> anyhow::Result<()> {
    n.step("Sign in again: after the password, the pool asks for the app's TOTP code");
    n.call("auth.sign_out().await?");
    auth.sign_out().await?;
    n.events(&["signOut"]).await?;
    n.call("auth.sign_in(\"alice\", new_password).await?");
    let first = auth.sign_in(ALICE, ALICE_RESET).await?;
    n.events(&[]).await?;
    match first {
        SignInResult::NextStep(NextStep::TotpCode) => {
            n.say("NextStep(TotpCode): the password was right (SOFTWARE_TOKEN_MFA); not signed");
            n.say("in until the code is given");
        }
        other => bail!("alice's sign-in should ask for her TOTP code: {other:?}"),
    }
    // The pool accepts a code once, and one step either way of now: the code of the next
    // step is never the one just used for the setup, and is accepted now.
    let code = app.code_in(30);
    n.secrets.keep(&code);
    n.say(format!(
        "the app's code for the next 30-second step: {} (the setup's code cannot be used",
        show::mask_code(&code)
    ));
    n.say("twice, and the pool allows one step of clock skew either way)");
    n.call("auth.confirm_sign_in(code).await?  // RespondToAuthChallenge SOFTWARE_TOKEN_MFA_CODE");
    let done = auth.confirm_sign_in(code).await?;
    n.events(&["signIn"]).await?;
    if !done.is_signed_in() {
        bail!("alice is not signed in after her TOTP code: {done:?}");
    }
    n.secrets.keep_session(&*auth.current_session().await?);
    n.say("signed in with the password and the authenticator app");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// True when `word` occurs in `text` not flanked by letters or digits (so that a
    /// six-digit code is not "found" inside a longer number or an id).
    fn contains_word(text: &str, word: &str) -> bool {
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    }

    #[test]
    fn words() {
        assert!(contains_word("code: 123456.", "123456"));
        assert!(!contains_word("port 91234567", "123456"));
        assert!(contains_word("Passw0rd!", "Passw0rd!"));
    }

    #[test]
    fn events_in_order() {
        assert!(in_order(&["configured"], &["configured"]));
        assert!(in_order(
            &["updateUserAttributes", "tokenRefresh", "signOut"],
            &["updateUserAttributes", "signOut"]
        ));
        assert!(!in_order(
            &["signOut", "userDeleted"],
            &["userDeleted", "signOut"]
        ));
        assert!(in_order(&["tokenRefresh"], &[]));
    }

    /// The whole demo, in process: every step and every expected event is narrated in
    /// order, and no password, code, token or client secret appears in the output.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_narrates_every_step_and_event_without_secrets() {
        let buffer = Buffer::default();
        let secrets = Secrets::collecting();
        let result = run(Out::to(buffer.clone()), secrets.clone()).await;
        let text = buffer.text();
        if let Err(failure) = &result {
            panic!("demo failed: {}\n{text}", failure.message());
        }

        let steps = [
            "Configure the client",
            "Sign up alice",
            "Confirm the sign-up with the code from the outbox",
            "A wrong password is refused",
            "Sign in with SRP",
            "The current user",
            "The current session",
            "Update the email",
            "Verify the new email",
            "Change the password",
            "Sign out",
            "Forgot password",
            "Set up an authenticator app (TOTP)",
            "the pool asks for the app's TOTP code",
            "NextStep(TotpCode)",
            "An administrator creates grace",
            "NEW_PASSWORD_REQUIRED",
            "delete an attribute",
            "Delete the user",
            "Done in",
        ];
        let mut from = 0;
        for step in steps {
            let at = text[from..]
                .find(step)
                .unwrap_or_else(|| panic!("step {step:?} missing or out of order:\n{text}"));
            from += at;
        }

        let events: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("  event: "))
            .map(|l| l.split(' ').next().unwrap_or(l))
            .collect();
        let expected = [
            "configured",
            "signUp",
            "confirmSignUp",
            "signIn_failure",
            "signIn",
            "updateUserAttributes",
            "signOut",
            "forgotPassword",
            "forgotPasswordSubmit",
            "signIn",
            "signOut",
            "signIn",
            "configured",
            "signIn",
            "signOut",
            "userDeleted",
            "signOut",
            "signIn_failure",
        ];
        assert!(
            in_order(&events, &expected),
            "events {events:?} lack {expected:?} in order:\n{text}"
        );

        assert!(text.contains("code from the outbox"), "{text}");
        assert!(text.contains("enabled: [TOTP], preferred: TOTP"), "{text}");
        assert!(
            !text.contains("otpauth://"),
            "the setup URI is printed:\n{text}"
        );
        assert!(text.contains("sub:"), "{text}");
        assert!(text.contains("exp "), "{text}");
        let collected = secrets.all();
        assert!(
            collected.len() >= 10,
            "too few secrets collected: {}",
            collected.len()
        );
        for secret in collected
            .iter()
            .map(String::as_str)
            .chain(PASSWORDS.iter().copied())
        {
            assert!(
                !contains_word(&text, secret),
                "a secret ({} characters) is in the output:\n{text}",
                secret.len()
            );
        }
        assert!(!text.contains("eyJ"), "a JWT is in the output:\n{text}");
    }
}
