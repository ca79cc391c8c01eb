//! Every flow of the design's behaviour, written once over a [`Backend`](crate::Backend),
//! through the `Auth` facade and its default transport (the AWS SDK) over real HTTP.
//!
//! Each flow checks what a user of the library relies on: the results, the typed errors
//! of the failure paths, the events on the `auth` channel (exactly, in order), what is in
//! the token store, and what the server accepts afterwards (a new password works, the old
//! one does not; a revoked refresh token no longer refreshes). A flow fails when the
//! behaviour is wrong.
//!
//! Where a flow checks that the server refuses or accepts a password, it signs in with
//! `USER_PASSWORD_AUTH`: the server then checks the password itself on every backend
//! (moto fakes SRP and accepts any proof). SRP sign-in is exercised everywhere else.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use userpool::{
    Attributes, AuthEvent, AuthFlow, DeliveryMedium, Error, FileStore, Keys, MemoryStore, NextStep,
    SignInOptions, SignInResult, SignOutOptions, SignUpOptions, Storage,
};

use crate::backend::{AppClient, PoolOptions, Purpose};
use crate::client::{Client, Ctx, TestUser};

/// The password users sign up with (meets Cognito's default policy).
pub const PASSWORD: &str = "Correct-Horse-42";
/// The password users change to.
pub const NEW_PASSWORD: &str = "Battery-Staple-77";
/// A password that is nobody's.
pub const WRONG_PASSWORD: &str = "Wrong-Guess-13";
/// A temporary password for admin-created users.
pub const TEMPORARY_PASSWORD: &str = "Temporary-Pass-1";

/// Matches a facade result against an error pattern: the error when it matches, else a
/// failure that says what came instead.
macro_rules! expect_err {
    ($result:expr, $pattern:pat) => {
        match $result {
            Err(error) if matches!(error, $pattern) => error,
            Err(other) => anyhow::bail!(
                "{}: expected {}, got the error {other:?}",
                stringify!($result),
                stringify!($pattern)
            ),
            Ok(value) => anyhow::bail!(
                "{}: expected {}, got Ok({value:?})",
                stringify!($result),
                stringify!($pattern)
            ),
        }
    };
}

/// One end-to-end flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Sign up with standard and custom attributes, confirm with the code, SRP sign-in;
    /// tokens, claims, the stored keys and the user.
    SignUpConfirmSrp,
    /// Sign-up refused: the username is taken, the password breaks the policy.
    SignUpRejected,
    /// The sign-up code is sent again; the new code confirms.
    ResendSignUpCode,
    /// `USER_PASSWORD_AUTH` sign-in.
    SignInUserPassword,
    /// A wrong password (`USER_PASSWORD_AUTH`): `NotAuthorized` and `signIn_failure`.
    WrongPassword,
    /// A wrong password (SRP): `NotAuthorized` and `signIn_failure`.
    WrongPasswordSrp,
    /// A wrong sign-up code and a wrong reset code: `CodeMismatch`, nothing changes.
    WrongCode,
    /// An expired session is refreshed once for concurrent callers (`tokenRefresh`).
    ExpiredSessionRefreshed,
    /// The refresh token is revoked by an admin: the next refresh signs the user out
    /// (`tokenRefresh_failure`, then `signOut`).
    RefreshTokenRevoked,
    /// A global sign-out ends the session of a second client too.
    GlobalSignOut,
    /// Attributes updated at once; the cached user and the ID token follow.
    UpdateAttributes,
    /// An update naming an unknown attribute changes nothing
    /// (`updateUserAttributes_failure`).
    UpdateAttributesRejected,
    /// A new email waits for verification (kept original, code delivered), is verified
    /// with the code, and the user is reloaded.
    EmailChangeVerified,
    /// Attributes deleted; the cached user and the ID token follow.
    DeleteAttributes,
    /// An admin-created user sets a new password at first sign-in.
    NewPasswordRequired,
    /// The new-password step lists the required attributes and refuses to complete
    /// without them.
    NewPasswordRequiredAttributes,
    /// An app client with a secret: `SECRET_HASH` on sign-up, confirmation, SRP and
    /// password sign-in, refresh, forgot password; a wrong secret is refused.
    ClientSecret,
    /// Change password: the old one is refused, the new one works.
    ChangePassword,
    /// Forgot password, then submit the code with a new password.
    ForgotPassword,
    /// A session restored by a new `Auth` on the same `FileStore` (a new process).
    SessionRestoredFromFile,
    /// A session restored on a machine whose clock is 20 minutes behind: the stored
    /// clock drift is read back, and the session expires when the server says so.
    ClockSkewRestored,
    /// A local sign-out revokes the refresh token (`RevokeToken`).
    SignOutRevokes,
    /// The user deletes themselves (`userDeleted`, `signOut`); signing in again fails.
    DeleteUser,
}

/// A boxed flow future.
pub type FlowFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

impl Flow {
    /// Every flow, in the order the runner runs them.
    pub const ALL: [Flow; 23] = [
        Flow::SignUpConfirmSrp,
        Flow::SignUpRejected,
        Flow::ResendSignUpCode,
        Flow::SignInUserPassword,
        Flow::WrongPassword,
        Flow::WrongPasswordSrp,
        Flow::WrongCode,
        Flow::ExpiredSessionRefreshed,
        Flow::RefreshTokenRevoked,
        Flow::GlobalSignOut,
        Flow::UpdateAttributes,
        Flow::UpdateAttributesRejected,
        Flow::EmailChangeVerified,
        Flow::DeleteAttributes,
        Flow::NewPasswordRequired,
        Flow::NewPasswordRequiredAttributes,
        Flow::ClientSecret,
        Flow::ChangePassword,
        Flow::ForgotPassword,
        Flow::SessionRestoredFromFile,
        Flow::ClockSkewRestored,
        Flow::SignOutRevokes,
        Flow::DeleteUser,
    ];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Flow::SignUpConfirmSrp => "sign_up_confirm_srp",
            Flow::SignUpRejected => "sign_up_rejected",
            Flow::ResendSignUpCode => "resend_sign_up_code",
            Flow::SignInUserPassword => "sign_in_user_password",
            Flow::WrongPassword => "wrong_password",
            Flow::WrongPasswordSrp => "wrong_password_srp",
            Flow::WrongCode => "wrong_code",
            Flow::ExpiredSessionRefreshed => "expired_session_refreshed",
            Flow::RefreshTokenRevoked => "refresh_token_revoked",
            Flow::GlobalSignOut => "global_sign_out",
            Flow::UpdateAttributes => "update_attributes",
            Flow::UpdateAttributesRejected => "update_attributes_rejected",
            Flow::EmailChangeVerified => "email_change_verified",
            Flow::DeleteAttributes => "delete_attributes",
            Flow::NewPasswordRequired => "new_password_required",
            Flow::NewPasswordRequiredAttributes => "new_password_required_attributes",
            Flow::ClientSecret => "client_secret",
            Flow::ChangePassword => "change_password",
            Flow::ForgotPassword => "forgot_password",
            Flow::SessionRestoredFromFile => "session_restored_from_file",
            Flow::ClockSkewRestored => "clock_skew_restored",
            Flow::SignOutRevokes => "sign_out_revokes",
            Flow::DeleteUser => "delete_user",
        }
    }

    /// The flow of that name.
    pub fn from_name(name: &str) -> Option<Flow> {
        Flow::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The pool and app client settings the flow needs.
    pub fn options(self) -> PoolOptions {
        let password_auth = PoolOptions {
            password_auth: true,
            ..PoolOptions::default()
        };
        let custom = PoolOptions {
            custom_attributes: true,
            ..PoolOptions::default()
        };
        match self {
            Flow::SignUpConfirmSrp
            | Flow::UpdateAttributes
            | Flow::UpdateAttributesRejected
            | Flow::DeleteAttributes => custom,
            Flow::SignInUserPassword
            | Flow::WrongPassword
            | Flow::NewPasswordRequired
            | Flow::ChangePassword
            | Flow::ForgotPassword
            | Flow::ClockSkewRestored => password_auth,
            Flow::ExpiredSessionRefreshed => PoolOptions {
                short_validity: true,
                ..PoolOptions::default()
            },
            Flow::EmailChangeVerified => PoolOptions {
                keep_original_until_verified: true,
                ..PoolOptions::default()
            },
            Flow::NewPasswordRequiredAttributes => PoolOptions {
                required_name: true,
                ..PoolOptions::default()
            },
            Flow::ClientSecret => PoolOptions {
                secret: true,
                password_auth: true,
                ..PoolOptions::default()
            },
            Flow::SignUpRejected
            | Flow::ResendSignUpCode
            | Flow::WrongPasswordSrp
            | Flow::WrongCode
            | Flow::RefreshTokenRevoked
            | Flow::GlobalSignOut
            | Flow::SessionRestoredFromFile
            | Flow::SignOutRevokes
            | Flow::DeleteUser => PoolOptions::default(),
        }
    }

    /// Runs the flow in `ctx`.
    pub fn run<'a>(self, ctx: &'a Ctx<'a>) -> FlowFuture<'a> {
        match self {
            Flow::SignUpConfirmSrp => Box::pin(sign_up_confirm_srp(ctx)),
            Flow::SignUpRejected => Box::pin(sign_up_rejected(ctx)),
            Flow::ResendSignUpCode => Box::pin(resend_sign_up_code(ctx)),
            Flow::SignInUserPassword => Box::pin(sign_in_user_password(ctx)),
            Flow::WrongPassword => Box::pin(wrong_password(ctx, AuthFlow::UserPassword)),
            Flow::WrongPasswordSrp => Box::pin(wrong_password(ctx, AuthFlow::UserSrp)),
            Flow::WrongCode => Box::pin(wrong_code(ctx)),
            Flow::ExpiredSessionRefreshed => Box::pin(expired_session_refreshed(ctx)),
            Flow::RefreshTokenRevoked => Box::pin(refresh_token_revoked(ctx)),
            Flow::GlobalSignOut => Box::pin(global_sign_out(ctx)),
            Flow::UpdateAttributes => Box::pin(update_attributes(ctx)),
            Flow::UpdateAttributesRejected => Box::pin(update_attributes_rejected(ctx)),
            Flow::EmailChangeVerified => Box::pin(email_change_verified(ctx)),
            Flow::DeleteAttributes => Box::pin(delete_attributes(ctx)),
            Flow::NewPasswordRequired => Box::pin(new_password_required(ctx)),
            Flow::NewPasswordRequiredAttributes => Box::pin(new_password_required_attributes(ctx)),
            Flow::ClientSecret => Box::pin(client_secret(ctx)),
            Flow::ChangePassword => Box::pin(change_password(ctx)),
            Flow::ForgotPassword => Box::pin(forgot_password(ctx)),
            Flow::SessionRestoredFromFile => Box::pin(session_restored_from_file(ctx)),
            Flow::ClockSkewRestored => Box::pin(clock_skew_restored(ctx)),
            Flow::SignOutRevokes => Box::pin(sign_out_revokes(ctx)),
            Flow::DeleteUser => Box::pin(delete_user(ctx)),
        }
    }
}

// ------------------------------------------------------------------ helpers

fn check<T: PartialEq + std::fmt::Debug>(what: &str, actual: T, expected: T) -> Result<()> {
    ensure!(
        actual == expected,
        "{what}: expected {expected:?}, got {actual:?}"
    );
    Ok(())
}

async fn stored(storage: &Arc<dyn Storage>, key: &str) -> Result<Option<String>> {
    storage
        .get(key)
        .await
        .map_err(|e| anyhow!("reading {key} from the store: {e}"))
}

fn user_attributes(pairs: &[(&str, &str)]) -> Result<Attributes> {
    let mut attributes = Attributes::new();
    for (name, value) in pairs {
        attributes = attributes.with(name, *value)?;
    }
    Ok(attributes)
}

fn password_flow() -> SignInOptions {
    SignInOptions::default().auth_flow(AuthFlow::UserPassword)
}

/// Signs in with `USER_PASSWORD_AUTH` from a new client: the server checks the password.
async fn password_sign_in(
    ctx: &Ctx<'_>,
    app: &AppClient,
    username: &str,
    password: &str,
) -> Result<Result<SignInResult, Error>> {
    let client = ctx.client(app)?;
    Ok(client
        .auth
        .sign_in_with(username, password, password_flow())
        .await)
}

/// Checks that the server accepts `good` and refuses `bad` for `username`.
async fn expect_password(
    ctx: &Ctx<'_>,
    app: &AppClient,
    username: &str,
    good: &str,
    bad: &str,
) -> Result<()> {
    let accepted = password_sign_in(ctx, app, username, good)
        .await?
        .context("signing in with the current password")?;
    ensure!(
        accepted.is_signed_in(),
        "signing in with the current password stopped at {accepted:?}"
    );
    expect_err!(
        password_sign_in(ctx, app, username, bad).await?,
        Error::NotAuthorized { .. }
    );
    Ok(())
}

/// A code that differs from `code` in its last character.
fn other_code(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = match last.to_digit(10) {
            Some(d) => char::from_digit((d + 1) % 10, 10).unwrap_or('0'),
            None => '0',
        };
    }
    chars.into_iter().collect()
}

/// The session keys of `username` in `storage`, with LastAuthUser.
async fn session_entries(
    storage: &Arc<dyn Storage>,
    client_id: &str,
    username: &str,
) -> Result<Vec<(String, Option<String>)>> {
    let keys = Keys::new(client_id);
    let mut names = vec![keys.last_auth_user()];
    names.extend(keys.user(username).session());
    let mut entries = Vec::new();
    for key in names {
        let value = stored(storage, &key).await?;
        entries.push((key, value));
    }
    Ok(entries)
}

/// A token file under the temporary directory, removed (with its lock file) on drop.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn new(ctx: &Ctx<'_>, tag: &str) -> Self {
        let name = ctx.unique(tag);
        Self {
            path: std::env::temp_dir().join(format!("userpool-it-{name}.json")),
        }
    }

    fn store(&self) -> Arc<FileStore> {
        Arc::new(FileStore::new(&self.path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let store = FileStore::new(&self.path);
        let _ = std::fs::remove_file(store.lock_path());
        let _ = std::fs::remove_file(&self.path);
    }
}

// ------------------------------------------------------------------ sign-up and sign-in

async fn sign_up_confirm_srp(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignUpConfirmSrp.options()).await?;
    let username = ctx.username(&app, "ada");
    let email = format!("{username}@example.com");
    let mut c = ctx.client(&app)?;

    let options = SignUpOptions::default()
        .attribute("email", &email)?
        .attribute("name", "Ada Lovelace")?
        .attribute("custom:team", "engines")?;
    let signed_up = c
        .auth
        .sign_up(&username, PASSWORD, options)
        .await
        .context("sign_up")?;
    ensure!(
        !signed_up.user_confirmed,
        "a pool that verifies email confirmed the user at once"
    );
    ensure!(!signed_up.user_sub.is_empty(), "SignUp answered no sub");
    let delivery = signed_up
        .code_delivery
        .as_ref()
        .context("a pool that verifies email sent no code delivery details at sign-up")?;
    ensure!(
        delivery
            .destination
            .as_deref()
            .is_some_and(|d| !d.is_empty()),
        "the sign-up code delivery has no destination: {delivery:?}"
    );
    let events = c.expect_events(&["signUp"])?;
    match &events[0] {
        AuthEvent::SignUp {
            username: who,
            result,
        } => {
            check("signUp event username", who.as_str(), username.as_str())?;
            check("signUp event result", result, &signed_up)?;
        }
        other => bail!("expected signUp, got {other:?}"),
    }

    // Not confirmed yet: no sign-in.
    expect_err!(
        c.auth.sign_in(&username, PASSWORD).await,
        Error::UserNotConfirmed { .. }
    );
    c.expect_events(&["signIn_failure"])?;

    ctx.confirm(&mut c, &app, &username).await?;
    let result = c
        .auth
        .sign_in(&username, PASSWORD)
        .await
        .context("SRP sign-in")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    let events = c.expect_events(&["signIn"])?;
    match &events[0] {
        AuthEvent::SignIn { username: who } => {
            check("signIn event username", who.as_str(), username.as_str())?;
        }
        other => bail!("expected signIn, got {other:?}"),
    }

    let session = c.auth.current_session().await.context("current_session")?;
    let id = session.id_token().claims();
    check("id token sub", id.sub(), Some(signed_up.user_sub.as_str()))?;
    check("id token token_use", id.token_use(), Some("id"))?;
    check("id token aud", id.str("aud"), Some(app.client_id.as_str()))?;
    check(
        "id token cognito:username",
        id.str("cognito:username"),
        Some(username.as_str()),
    )?;
    check(
        "id token custom:team",
        id.str("custom:team"),
        Some("engines"),
    )?;
    let access = session.access_token().claims();
    check("access token token_use", access.token_use(), Some("access"))?;
    check(
        "access token client_id",
        access.str("client_id"),
        Some(app.client_id.as_str()),
    )?;
    check(
        "access token username",
        access.str("username"),
        Some(username.as_str()),
    )?;
    check(
        "access token sub",
        access.sub(),
        Some(signed_up.user_sub.as_str()),
    )?;
    let refresh = session
        .refresh_token()
        .context("the session has no refresh token")?;

    // The reference's key layout.
    let storage = c.auth.storage().clone();
    let keys = Keys::new(&app.client_id);
    let user_keys = keys.user(&username);
    check(
        "stored LastAuthUser",
        stored(&storage, &keys.last_auth_user()).await?,
        Some(username.clone()),
    )?;
    check(
        "stored idToken",
        stored(&storage, &user_keys.id_token()).await?.as_deref(),
        Some(session.id_token().raw().expose()),
    )?;
    check(
        "stored accessToken",
        stored(&storage, &user_keys.access_token())
            .await?
            .as_deref(),
        Some(session.access_token().raw().expose()),
    )?;
    check(
        "stored refreshToken",
        stored(&storage, &user_keys.refresh_token())
            .await?
            .as_deref(),
        Some(refresh.raw().expose()),
    )?;
    ensure!(
        stored(&storage, &user_keys.clock_drift()).await?.is_some(),
        "no clockDrift stored"
    );

    let user = c
        .auth
        .current_authenticated_user(false)
        .await
        .context("current_authenticated_user")?;
    check("user name", user.username().as_str(), username.as_str())?;
    check("user sub", user.sub(), Some(signed_up.user_sub.as_str()))?;
    check("user email", user.email(), Some(email.as_str()))?;
    check(
        "user name attribute",
        user.attribute("name"),
        Some("Ada Lovelace"),
    )?;
    check(
        "user custom:team",
        user.attribute("custom:team"),
        Some("engines"),
    )?;
    ensure!(
        stored(&storage, &user_keys.user_data()).await?.is_some(),
        "the fetched user was not stored as userData"
    );
    c.expect_events(&[])?;
    Ok(())
}

async fn sign_up_rejected(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignUpRejected.options()).await?;
    let existing = ctx.confirmed_user(&app, "taken", &[]).await?;
    let mut c = ctx.client(&app)?;

    let again = SignUpOptions::default().attribute("email", &existing.email)?;
    expect_err!(
        c.auth.sign_up(&existing.username, PASSWORD, again).await,
        Error::UsernameExists { .. }
    );
    let events = c.expect_events(&["signUp_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::UsernameExists { .. })),
        "signUp_failure carries {:?}",
        events[0].error()
    );

    let weak = ctx.username(&app, "weak");
    let options = SignUpOptions::default().attribute("email", format!("{weak}@example.com"))?;
    expect_err!(
        c.auth.sign_up(&weak, "short", options).await,
        Error::InvalidPassword { .. }
    );
    c.expect_events(&["signUp_failure"])?;

    // The refused user does not exist.
    expect_err!(
        c.auth.sign_in(&weak, "short").await,
        Error::UserNotFound { .. } | Error::NotAuthorized { .. }
    );
    c.expect_events(&["signIn_failure"])?;
    Ok(())
}

async fn resend_sign_up_code(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ResendSignUpCode.options()).await?;
    let username = ctx.username(&app, "resend");
    let email = format!("{username}@example.com");
    let mut c = ctx.client(&app)?;
    let options = SignUpOptions::default().attribute("email", &email)?;
    c.auth.sign_up(&username, PASSWORD, options).await?;
    c.expect_events(&["signUp"])?;
    let first = ctx
        .codes(&app, &username, Purpose::SignUp, 1)
        .await?
        .context("this backend cannot read sign-up codes")?;

    let delivery = c
        .auth
        .resend_sign_up_code(&username)
        .await
        .context("resend_sign_up_code")?
        .context("ResendConfirmationCode answered no delivery details")?;
    check(
        "delivery attribute",
        delivery.attribute_name.as_deref(),
        Some("email"),
    )?;
    check(
        "delivery medium",
        delivery.medium.as_ref(),
        Some(&DeliveryMedium::Email),
    )?;
    let destination = delivery.destination.as_deref().unwrap_or_default();
    ensure!(
        !destination.is_empty() && destination != email,
        "the destination should be the masked address, got {destination:?}"
    );
    let codes = ctx
        .codes(&app, &username, Purpose::SignUp, first.len() + 1)
        .await?
        .context("this backend cannot read sign-up codes")?;
    let code = codes.last().context("no code")?.clone();
    c.expect_events(&[])?;

    c.auth
        .confirm_sign_up(&username, code)
        .await
        .context("confirming with the resent code")?;
    c.expect_events(&["confirmSignUp"])?;
    // Nothing left to resend.
    expect_err!(
        c.auth.resend_sign_up_code(&username).await,
        Error::InvalidParameter { .. }
    );
    let result = c.auth.sign_in(&username, PASSWORD).await?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    Ok(())
}

async fn sign_in_user_password(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignInUserPassword.options()).await?;
    let user = ctx.confirmed_user(&app, "pw", &[]).await?;
    let mut c = ctx.client(&app)?;
    let result = c
        .auth
        .sign_in_with(&user.username, PASSWORD, password_flow())
        .await
        .context("USER_PASSWORD_AUTH sign-in")?;
    check("sign-in result", &result, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;

    let session = c.auth.current_session().await?;
    check(
        "id token sub",
        session.id_token().claims().sub(),
        Some(user.sub.as_str()),
    )?;
    check(
        "access token client_id",
        session.access_token().claims().str("client_id"),
        Some(app.client_id.as_str()),
    )?;
    ensure!(session.refresh_token().is_some(), "no refresh token");
    let fetched = c.auth.current_authenticated_user(false).await?;
    check("user email", fetched.email(), Some(user.email.as_str()))?;
    c.expect_events(&[])?;
    Ok(())
}

async fn wrong_password(ctx: &Ctx<'_>, flow: AuthFlow) -> Result<()> {
    let options = if flow == AuthFlow::UserPassword {
        Flow::WrongPassword.options()
    } else {
        Flow::WrongPasswordSrp.options()
    };
    let app = ctx.app(options).await?;
    let user = ctx.confirmed_user(&app, "wrong", &[]).await?;
    let mut c = ctx.client(&app)?;
    let options = SignInOptions::default().auth_flow(flow);

    expect_err!(
        c.auth
            .sign_in_with(&user.username, WRONG_PASSWORD, options.clone())
            .await,
        Error::NotAuthorized { .. }
    );
    let events = c.expect_events(&["signIn_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::NotAuthorized { .. })),
        "signIn_failure carries {:?}",
        events[0].error()
    );
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    ensure!(
        c.auth.pending_sign_in().is_none(),
        "a refused sign-in left a pending step"
    );

    // The right password still works.
    let result = c
        .auth
        .sign_in_with(&user.username, PASSWORD, options)
        .await
        .context("signing in with the right password after a wrong one")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    c.expect_events(&["signIn"])?;
    Ok(())
}

async fn wrong_code(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::WrongCode.options()).await?;
    let username = ctx.username(&app, "code");
    let mut c = ctx.client(&app)?;
    let options = SignUpOptions::default().attribute("email", format!("{username}@example.com"))?;
    c.auth.sign_up(&username, PASSWORD, options).await?;
    c.expect_events(&["signUp"])?;
    let code = ctx.code(&app, &username, Purpose::SignUp).await?;

    expect_err!(
        c.auth.confirm_sign_up(&username, other_code(&code)).await,
        Error::CodeMismatch { .. }
    );
    c.expect_events(&[])?;
    expect_err!(
        c.auth.sign_in(&username, PASSWORD).await,
        Error::UserNotConfirmed { .. }
    );
    c.expect_events(&["signIn_failure"])?;
    c.auth
        .confirm_sign_up(&username, code)
        .await
        .context("confirming with the right code after a wrong one")?;
    c.expect_events(&["confirmSignUp"])?;

    c.auth.forgot_password(&username).await?;
    c.expect_events(&["forgotPassword"])?;
    let reset = ctx.code(&app, &username, Purpose::ForgotPassword).await?;
    expect_err!(
        c.auth
            .forgot_password_submit(&username, other_code(&reset), NEW_PASSWORD)
            .await,
        Error::CodeMismatch { .. }
    );
    let events = c.expect_events(&["forgotPasswordSubmit_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::CodeMismatch { .. })),
        "forgotPasswordSubmit_failure carries {:?}",
        events[0].error()
    );
    // The password did not change.
    let result = c
        .auth
        .sign_in(&username, PASSWORD)
        .await
        .context("the old password after a refused reset")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    Ok(())
}

// ------------------------------------------------------------------ sessions

async fn expired_session_refreshed(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ExpiredSessionRefreshed.options()).await?;
    let user = ctx.confirmed_user(&app, "refresh", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    let first = c.auth.current_session().await?;
    let again = c.auth.current_session().await?;
    ensure!(
        Arc::ptr_eq(&first, &again),
        "a valid session was not served from memory"
    );
    c.expect_events(&[])?;

    c.expire(&first);
    let (a, b, d, e) = tokio::join!(
        c.auth.current_session(),
        c.auth.current_session(),
        c.auth.current_session(),
        c.auth.current_session()
    );
    let (a, b, d, e) = (a.context("refreshing the expired session")?, b?, d?, e?);
    ensure!(
        Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&a, &d) && Arc::ptr_eq(&a, &e),
        "concurrent callers got different sessions"
    );
    ensure!(
        a.access_token().raw().expose() != first.access_token().raw().expose(),
        "the refreshed session has the old access token"
    );
    ensure!(
        a.is_valid_at(c.clock.now_secs(), 5),
        "the refreshed session is not valid at the client's time"
    );
    c.expect_events(&["tokenRefresh"])?;

    // Stored, and kept (or rotated) refresh token.
    let storage = c.auth.storage().clone();
    let keys = Keys::new(&app.client_id).user(&user.username);
    check(
        "stored accessToken after refresh",
        stored(&storage, &keys.access_token()).await?.as_deref(),
        Some(a.access_token().raw().expose()),
    )?;
    let refresh = a
        .refresh_token()
        .context("the refreshed session lost its refresh token")?;
    check(
        "stored refreshToken after refresh",
        stored(&storage, &keys.refresh_token()).await?.as_deref(),
        Some(refresh.raw().expose()),
    )?;

    // The new access token is accepted.
    let fetched = c
        .auth
        .current_authenticated_user(false)
        .await
        .context("GetUser with the refreshed access token")?;
    check("user", fetched.username().as_str(), user.username.as_str())?;
    let still = c.auth.current_session().await?;
    ensure!(
        Arc::ptr_eq(&a, &still),
        "the refreshed session was not kept"
    );
    c.expect_events(&[])?;
    Ok(())
}

async fn expect_signed_out_by_refresh(c: &mut Client) -> Result<()> {
    let session = c.auth.current_session().await?;
    c.expire(&session);
    expect_err!(c.auth.current_session().await, Error::NotAuthorized { .. });
    let events = c.expect_events(&["tokenRefresh_failure", "signOut"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::NotAuthorized { .. })),
        "tokenRefresh_failure carries {:?}",
        events[0].error()
    );
    ensure!(
        matches!(events[1], AuthEvent::SignOut { global: false }),
        "expected a local signOut, got {:?}",
        events[1]
    );
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    c.expect_events(&[])?;
    Ok(())
}

async fn refresh_token_revoked(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::RefreshTokenRevoked.options()).await?;
    let user = ctx.confirmed_user(&app, "revoked", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    c.auth.current_session().await?;

    ctx.backend()
        .admin_global_sign_out(&app, &user.username)
        .await?;
    expect_signed_out_by_refresh(&mut c).await?;

    // The session is gone from the store too.
    let storage = c.auth.storage().clone();
    for (key, value) in session_entries(&storage, &app.client_id, &user.username).await? {
        ensure!(
            value.is_none(),
            "{key} is still stored after the refresh token was rejected"
        );
    }
    Ok(())
}

async fn global_sign_out(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::GlobalSignOut.options()).await?;
    let user = ctx.confirmed_user(&app, "global", &[]).await?;
    let mut a = ctx.signed_in(&app, &user).await?;
    let mut b = ctx.signed_in(&app, &user).await?;
    b.auth.current_session().await?;

    a.auth
        .sign_out_with(SignOutOptions::default().global(true))
        .await
        .context("global sign-out")?;
    let events = a.expect_events(&["signOut"])?;
    ensure!(
        matches!(events[0], AuthEvent::SignOut { global: true }),
        "expected a global signOut, got {:?}",
        events[0]
    );
    expect_err!(a.auth.current_session().await, Error::NotSignedIn);

    // The second client's access token is refused...
    expect_err!(
        b.auth.current_authenticated_user(false).await,
        Error::NotAuthorized { .. }
    );
    b.expect_events(&[])?;
    // ...and so is its refresh token.
    expect_signed_out_by_refresh(&mut b).await
}

async fn session_restored_from_file(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SessionRestoredFromFile.options()).await?;
    let user = ctx.confirmed_user(&app, "file", &[]).await?;
    let file = TempFile::new(ctx, "store");

    // Process 1 signs in.
    let mut first = ctx.client_with(&app, file.store())?;
    let result = first.auth.sign_in(&user.username, PASSWORD).await?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    first.expect_events(&["signIn"])?;
    let original = first.auth.current_session().await?;
    first.auth.current_authenticated_user(false).await?;
    drop(first);

    // Process 2 resumes from the file: no sign-in, no refresh.
    let mut second = ctx.client_with(&app, file.store())?;
    let resumed = second
        .auth
        .current_session()
        .await
        .context("current_session in a new Auth on the same file")?;
    check(
        "restored access token",
        resumed.access_token().raw().expose(),
        original.access_token().raw().expose(),
    )?;
    check(
        "restored id token",
        resumed.id_token().raw().expose(),
        original.id_token().raw().expose(),
    )?;
    check(
        "restored refresh token",
        resumed.refresh_token().map(|t| t.raw().expose()),
        original.refresh_token().map(|t| t.raw().expose()),
    )?;
    let restored_user = second.auth.current_authenticated_user(false).await?;
    check(
        "restored user",
        restored_user.username().as_str(),
        user.username.as_str(),
    )?;
    second.expect_events(&[])?;

    // It refreshes, and writes the new tokens back.
    second.expire(&resumed);
    let refreshed = second
        .auth
        .current_session()
        .await
        .context("refresh after restore")?;
    second.expect_events(&["tokenRefresh"])?;
    drop(second);

    // Process 3 sees the refreshed tokens.
    let mut third = ctx.client_with(&app, file.store())?;
    let seen = third.auth.current_session().await?;
    check(
        "access token after refresh in another process",
        seen.access_token().raw().expose(),
        refreshed.access_token().raw().expose(),
    )?;
    third.expect_events(&[])?;

    // A sign-out in one process ends the session for the next.
    third.auth.sign_out().await.context("sign_out")?;
    third.expect_events(&["signOut"])?;
    let fourth = ctx.client_with(&app, file.store())?;
    expect_err!(fourth.auth.current_session().await, Error::NotSignedIn);
    Ok(())
}

async fn clock_skew_restored(ctx: &Ctx<'_>) -> Result<()> {
    const BEHIND: i64 = 20 * 60;
    let app = ctx.app(Flow::ClockSkewRestored.options()).await?;
    let user = ctx.confirmed_user(&app, "skew", &[]).await?;
    let file = TempFile::new(ctx, "skew");

    // A machine whose clock is 20 minutes behind the server's signs in.
    let first = ctx.client_with(&app, file.store())?;
    first.clock.advance(-BEHIND);
    let result = first
        .auth
        .sign_in_with(&user.username, PASSWORD, password_flow())
        .await?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    let session = first.auth.current_session().await?;
    let drift = session.clock_drift().seconds();
    ensure!(
        (drift + BEHIND).abs() <= 30,
        "the measured clock drift is {drift} s, expected about -{BEHIND} s"
    );
    drop(first);

    // The same machine, a new process.
    let mut second = ctx.client_with(&app, file.store())?;
    second.clock.advance(-BEHIND);
    let restored = second.auth.current_session().await?;
    let read_back = restored.clock_drift().seconds();
    second.expect_events(&[])?;

    // Once the server's clock passes the tokens' exp, the session must be refreshed, not
    // served as valid.
    let exp = restored.access_token().exp().min(restored.id_token().exp());
    let server_now = second.clock.now_secs() + BEHIND;
    second.clock.advance(exp - server_now + 60);
    let after = second.auth.current_session().await?;
    let events: Vec<&str> = second.events().iter().map(AuthEvent::name).collect();
    ensure!(
        after.access_token().raw().expose() != restored.access_token().raw().expose()
            && events == ["tokenRefresh"],
        "a session past its exp was served as valid (events {events:?}): the clock drift \
         was stored as {drift} s and read back as {read_back} s"
    );
    check("clock drift read back from the store", read_back, drift)?;
    Ok(())
}

// ------------------------------------------------------------------ attributes

async fn update_attributes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::UpdateAttributes.options()).await?;
    let user = ctx
        .confirmed_user(&app, "upd", &[("custom:team", "engines")])
        .await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let before = c.auth.current_authenticated_user(false).await?;
    check(
        "custom:team before",
        before.attribute("custom:team"),
        Some("engines"),
    )?;

    // `email_verified` is set by the pool only: the facade drops it instead of failing.
    let changes = user_attributes(&[
        ("name", "Grace Hopper"),
        ("custom:team", "compilers"),
        ("email_verified", "true"),
    ])?;
    let results = c
        .auth
        .update_user_attributes(changes)
        .await
        .context("update_user_attributes")?;
    let names: Vec<&str> = results.keys().map(|n| n.as_str()).collect();
    check(
        "attributes in the results",
        names,
        vec!["custom:team", "name"],
    )?;
    for (name, result) in &results {
        ensure!(
            result.is_updated && result.code_delivery.is_none(),
            "{name} was not updated at once: {result:?}"
        );
    }
    let events = c.events();
    match events.first() {
        Some(AuthEvent::UpdateUserAttributes { results: sent }) => {
            check("updateUserAttributes event results", sent, &results)?;
        }
        other => bail!("expected updateUserAttributes first, got {other:?}"),
    }
    ensure!(
        events[1..].iter().all(|e| e.name() == "tokenRefresh"),
        "unexpected events after the update: {:?}",
        events.iter().map(AuthEvent::name).collect::<Vec<_>>()
    );

    // The cached user was reloaded (no bypass) and the ID token follows.
    let after = c.auth.current_authenticated_user(false).await?;
    check("cached name", after.attribute("name"), Some("Grace Hopper"))?;
    check(
        "cached custom:team",
        after.attribute("custom:team"),
        Some("compilers"),
    )?;
    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check("id token name", claims.str("name"), Some("Grace Hopper"))?;
    check(
        "id token custom:team",
        claims.str("custom:team"),
        Some("compilers"),
    )?;

    // The server has them.
    let other = ctx.signed_in(&app, &user).await?;
    let fresh = other.auth.current_authenticated_user(true).await?;
    check("server name", fresh.attribute("name"), Some("Grace Hopper"))?;
    Ok(())
}

async fn update_attributes_rejected(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::UpdateAttributesRejected.options()).await?;
    let user = ctx
        .confirmed_user(&app, "rej", &[("custom:team", "engines")])
        .await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    let changes = user_attributes(&[("name", "Changed"), ("custom:nope", "x")])?;
    expect_err!(
        c.auth.update_user_attributes(changes).await,
        Error::InvalidParameter { .. }
    );
    let events = c.expect_events(&["updateUserAttributes_failure"])?;
    ensure!(
        matches!(events[0].error(), Some(Error::InvalidParameter { .. })),
        "updateUserAttributes_failure carries {:?}",
        events[0].error()
    );
    let fresh = c.auth.current_authenticated_user(true).await?;
    check(
        "name after a refused update",
        fresh.attribute("name"),
        Some("Integration Test"),
    )?;
    Ok(())
}

async fn email_change_verified(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::EmailChangeVerified.options()).await?;
    let user = ctx.confirmed_user(&app, "mail", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let before = c.auth.current_authenticated_user(false).await?;
    check(
        "email_verified after sign-up",
        before.email_verified(),
        Some(true),
    )?;

    let new_email = format!("{}.new@example.com", user.username);
    let changes = user_attributes(&[("email", &new_email), ("name", "Renamed")])?;
    let results = c
        .auth
        .update_user_attributes(changes)
        .await
        .context("update_user_attributes")?;
    let email_result = results
        .iter()
        .find(|(n, _)| n.as_str() == "email")
        .map(|(_, r)| r)
        .context("no result for email")?;
    ensure!(
        !email_result.is_updated,
        "a new email that needs verification was reported as updated"
    );
    let delivery = email_result
        .code_delivery
        .as_ref()
        .context("no code delivery details for the new email")?;
    check(
        "delivery attribute",
        delivery.attribute_name.as_deref(),
        Some("email"),
    )?;
    check(
        "delivery medium",
        delivery.medium.as_ref(),
        Some(&DeliveryMedium::Email),
    )?;
    let name_result = results
        .iter()
        .find(|(n, _)| n.as_str() == "name")
        .map(|(_, r)| r)
        .context("no result for name")?;
    ensure!(
        name_result.is_updated,
        "name was not updated at once: {name_result:?}"
    );
    let events = c.events();
    match events.first() {
        Some(AuthEvent::UpdateUserAttributes { results: sent }) => {
            check("updateUserAttributes event results", sent, &results)?;
        }
        other => bail!("expected updateUserAttributes first, got {other:?}"),
    }

    // Reloaded (no bypass): the new name, and the original email until verified.
    let pending = c.auth.current_authenticated_user(false).await?;
    check("cached name", pending.attribute("name"), Some("Renamed"))?;
    check(
        "email before verification",
        pending.email(),
        Some(user.email.as_str()),
    )?;

    // Ask for the code again (GetUserAttributeVerificationCode), then verify.
    let sent = ctx
        .codes(&app, &user.username, Purpose::VerifyAttribute, 1)
        .await?
        .context("this backend cannot read verification codes")?
        .len();
    let again = c
        .auth
        .verify_current_user_attribute("email")
        .await
        .context("verify_current_user_attribute")?
        .context("GetUserAttributeVerificationCode answered no delivery details")?;
    check(
        "delivery attribute",
        again.attribute_name.as_deref(),
        Some("email"),
    )?;
    let codes = ctx
        .codes(&app, &user.username, Purpose::VerifyAttribute, sent + 1)
        .await?
        .context("this backend cannot read verification codes")?;
    let code = codes.last().context("no code")?.clone();
    expect_err!(
        c.auth
            .verify_current_user_attribute_submit("email", other_code(&code))
            .await,
        Error::CodeMismatch { .. }
    );
    c.auth
        .verify_current_user_attribute_submit("email", code)
        .await
        .context("verify_current_user_attribute_submit")?;

    let verified = c.auth.current_authenticated_user(false).await?;
    check(
        "email after verification",
        verified.email(),
        Some(new_email.as_str()),
    )?;
    check(
        "email_verified after verification",
        verified.email_verified(),
        Some(true),
    )?;
    // With bypass, the session is refreshed: the ID token carries the new email.
    c.auth.current_authenticated_user(true).await?;
    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check(
        "id token email",
        claims.str("email"),
        Some(new_email.as_str()),
    )?;
    check(
        "id token email_verified",
        claims.bool("email_verified"),
        Some(true),
    )?;
    Ok(())
}

async fn delete_attributes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::DeleteAttributes.options()).await?;
    let user = ctx
        .confirmed_user(&app, "del", &[("custom:team", "engines")])
        .await?;
    let c = ctx.signed_in(&app, &user).await?;
    let before = c.auth.current_authenticated_user(false).await?;
    check(
        "custom:team before",
        before.attribute("custom:team"),
        Some("engines"),
    )?;

    c.auth
        .delete_user_attributes(["custom:team", "name"])
        .await
        .context("delete_user_attributes")?;
    let after = c.auth.current_authenticated_user(false).await?;
    check("cached custom:team", after.attribute("custom:team"), None)?;
    check("cached name", after.attribute("name"), None)?;
    check("cached email", after.email(), Some(user.email.as_str()))?;
    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check("id token custom:team", claims.str("custom:team"), None)?;
    check("id token name", claims.str("name"), None)?;
    Ok(())
}

// ------------------------------------------------------------------ passwords

async fn new_password_required(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::NewPasswordRequired.options()).await?;
    let username = ctx.username(&app, "admin");
    let email = format!("{username}@example.com");
    ctx.backend()
        .admin_create_user(
            &app,
            &username,
            TEMPORARY_PASSWORD,
            &[
                ("email", &email),
                ("email_verified", "true"),
                ("name", "Integration Test"),
            ],
        )
        .await?;
    let mut c = ctx.client(&app)?;

    let result = c
        .auth
        .sign_in(&username, TEMPORARY_PASSWORD)
        .await
        .context("signing in with the temporary password")?;
    ensure!(
        matches!(
            result.next_step(),
            Some(NextStep::NewPasswordRequired { .. })
        ),
        "expected the new-password step, got {result:?}"
    );
    c.expect_events(&[])?;
    ensure!(
        matches!(
            c.auth.pending_sign_in(),
            Some(NextStep::NewPasswordRequired { .. })
        ),
        "the new-password step is not pending"
    );
    expect_err!(c.auth.current_session().await, Error::SignInPending { .. });

    let done = c
        .auth
        .complete_new_password(NEW_PASSWORD, Attributes::new())
        .await
        .context("complete_new_password")?;
    check("after the new password", &done, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    ensure!(
        c.auth.pending_sign_in().is_none(),
        "still pending after signing in"
    );

    let session = c.auth.current_session().await?;
    let claims = session.id_token().claims();
    check(
        "id token cognito:username",
        claims.str("cognito:username"),
        Some(username.as_str()),
    )?;
    check(
        "id token email_verified",
        claims.bool("email_verified"),
        Some(true),
    )?;
    let fetched = c.auth.current_authenticated_user(false).await?;
    check("email_verified", fetched.email_verified(), Some(true))?;

    expect_password(ctx, &app, &username, NEW_PASSWORD, TEMPORARY_PASSWORD).await
}

async fn new_password_required_attributes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx
        .app(Flow::NewPasswordRequiredAttributes.options())
        .await?;
    let username = ctx.username(&app, "req");
    let email = format!("{username}@example.com");
    ctx.backend()
        .admin_create_user(
            &app,
            &username,
            TEMPORARY_PASSWORD,
            &[("email", &email), ("email_verified", "true")],
        )
        .await?;
    let mut c = ctx.client(&app)?;

    let result = c.auth.sign_in(&username, TEMPORARY_PASSWORD).await?;
    let Some(NextStep::NewPasswordRequired {
        required_attributes,
        user_attributes,
    }) = result.next_step()
    else {
        bail!("expected the new-password step, got {result:?}");
    };
    let required: Vec<&str> = required_attributes.iter().map(|a| a.as_str()).collect();
    ensure!(
        required.contains(&"name"),
        "the required attributes {required:?} do not list name"
    );
    ensure!(
        required.iter().all(|a| !a.starts_with("userAttributes.")),
        "the userAttributes. prefix was not stripped: {required:?}"
    );
    check(
        "challenge userAttributes email",
        user_attributes.get("email"),
        Some(email.as_str()),
    )?;

    // Without the required attribute: refused, and the step stays pending.
    expect_err!(
        c.auth
            .complete_new_password(NEW_PASSWORD, Attributes::new())
            .await,
        Error::InvalidParameter { .. }
    );
    c.expect_events(&["completeNewPassword_failure"])?;
    ensure!(
        c.auth.pending_sign_in().is_some(),
        "a refused answer ended the pending sign-in"
    );

    // A new sign-in, answered with the attribute.
    let result = c.auth.sign_in(&username, TEMPORARY_PASSWORD).await?;
    ensure!(
        matches!(
            result.next_step(),
            Some(NextStep::NewPasswordRequired { .. })
        ),
        "expected the new-password step again, got {result:?}"
    );
    let done = c
        .auth
        .complete_new_password(NEW_PASSWORD, user_attributes_of_name("Ada Byron")?)
        .await
        .context("complete_new_password with the required attribute")?;
    check("after the new password", &done, &SignInResult::SignedIn)?;
    c.expect_events(&["signIn"])?;
    let fetched = c.auth.current_authenticated_user(false).await?;
    check(
        "name given with the new password",
        fetched.attribute("name"),
        Some("Ada Byron"),
    )?;
    Ok(())
}

fn user_attributes_of_name(name: &str) -> Result<Attributes> {
    user_attributes(&[("name", name)])
}

async fn client_secret(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ClientSecret.options()).await?;
    ensure!(app.client_secret.is_some(), "the app client has no secret");
    let username = ctx.username(&app, "secret");
    let mut c = ctx.client(&app)?;

    // SignUp and ConfirmSignUp.
    let options = SignUpOptions::default().attribute("email", format!("{username}@example.com"))?;
    c.auth
        .sign_up(&username, PASSWORD, options)
        .await
        .context("sign_up with SECRET_HASH")?;
    c.expect_events(&["signUp"])?;
    ctx.confirm(&mut c, &app, &username).await?;

    // SRP sign-in, then a refresh.
    let result = c
        .auth
        .sign_in(&username, PASSWORD)
        .await
        .context("SRP sign-in with SECRET_HASH")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");
    c.expect_events(&["signIn"])?;
    let session = c.auth.current_session().await?;
    c.expire(&session);
    let refreshed = c
        .auth
        .current_session()
        .await
        .context("refresh with SECRET_HASH")?;
    ensure!(
        refreshed.access_token().raw().expose() != session.access_token().raw().expose(),
        "not refreshed"
    );
    c.expect_events(&["tokenRefresh"])?;

    // Password sign-in.
    let result = password_sign_in(ctx, &app, &username, PASSWORD)
        .await?
        .context("USER_PASSWORD_AUTH sign-in with SECRET_HASH")?;
    ensure!(result.is_signed_in(), "sign-in stopped at {result:?}");

    // Forgot password.
    c.auth
        .forgot_password(&username)
        .await
        .context("forgot_password with SECRET_HASH")?;
    c.expect_events(&["forgotPassword"])?;
    let code = ctx.code(&app, &username, Purpose::ForgotPassword).await?;
    c.auth
        .forgot_password_submit(&username, code, NEW_PASSWORD)
        .await
        .context("forgot_password_submit with SECRET_HASH")?;
    c.expect_events(&["forgotPasswordSubmit"])?;
    expect_password(ctx, &app, &username, NEW_PASSWORD, PASSWORD).await?;

    // The secret is checked.
    let wrong = AppClient {
        client_secret: Some("not-the-secret-of-this-app-client".to_owned()),
        ..app.clone()
    };
    let w = ctx.client(&wrong)?;
    expect_err!(
        w.auth.sign_in(&username, NEW_PASSWORD).await,
        Error::NotAuthorized { .. }
    );
    Ok(())
}

async fn change_password(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ChangePassword.options()).await?;
    let user = ctx.confirmed_user(&app, "chpw", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    expect_err!(
        c.auth.change_password(WRONG_PASSWORD, NEW_PASSWORD).await,
        Error::NotAuthorized { .. }
    );
    expect_err!(
        c.auth.change_password(PASSWORD, "weak").await,
        Error::InvalidPassword { .. }
    );
    c.auth
        .change_password(PASSWORD, NEW_PASSWORD)
        .await
        .context("change_password")?;
    c.expect_events(&[])?;
    c.auth
        .current_session()
        .await
        .context("still signed in after changing the password")?;

    expect_password(ctx, &app, &user.username, NEW_PASSWORD, PASSWORD).await?;
    let changed = TestUser {
        password: NEW_PASSWORD.to_owned(),
        ..user
    };
    ctx.signed_in(&app, &changed)
        .await
        .context("SRP sign-in with the new password")?;
    Ok(())
}

async fn forgot_password(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::ForgotPassword.options()).await?;
    let user = ctx.confirmed_user(&app, "forgot", &[]).await?;
    let mut c = ctx.client(&app)?;

    let delivery = c
        .auth
        .forgot_password(&user.username)
        .await
        .context("forgot_password")?;
    ensure!(
        delivery.is_some(),
        "ForgotPassword answered no delivery details"
    );
    let events = c.expect_events(&["forgotPassword"])?;
    match &events[0] {
        AuthEvent::ForgotPassword {
            username,
            delivery: sent,
        } => {
            check(
                "forgotPassword event username",
                username.as_str(),
                user.username.as_str(),
            )?;
            check("forgotPassword event delivery", sent, &delivery)?;
        }
        other => bail!("expected forgotPassword, got {other:?}"),
    }
    let code = ctx
        .code(&app, &user.username, Purpose::ForgotPassword)
        .await?;
    c.auth
        .forgot_password_submit(&user.username, code, NEW_PASSWORD)
        .await
        .context("forgot_password_submit")?;
    c.expect_events(&["forgotPasswordSubmit"])?;

    expect_password(ctx, &app, &user.username, NEW_PASSWORD, PASSWORD).await?;
    let changed = TestUser {
        password: NEW_PASSWORD.to_owned(),
        ..user
    };
    ctx.signed_in(&app, &changed)
        .await
        .context("SRP sign-in with the new password")?;
    Ok(())
}

// ------------------------------------------------------------------ sign-out and deletion

async fn sign_out_revokes(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::SignOutRevokes.options()).await?;
    let user = ctx.confirmed_user(&app, "out", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;
    let session = c.auth.current_session().await?;
    ensure!(
        session.access_token().claims().origin_jti().is_some(),
        "the access token has no origin_jti: the app client does not revoke tokens"
    );
    let storage = c.auth.storage().clone();
    let snapshot = session_entries(&storage, &app.client_id, &user.username).await?;

    c.auth.sign_out().await.context("sign_out")?;
    let events = c.expect_events(&["signOut"])?;
    ensure!(
        matches!(events[0], AuthEvent::SignOut { global: false }),
        "expected a local signOut, got {:?}",
        events[0]
    );
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    for (key, value) in session_entries(&storage, &app.client_id, &user.username).await? {
        ensure!(value.is_none(), "{key} is still stored after sign-out");
    }

    // A client holding the signed-out tokens (a copy of the store) can use neither the
    // access token nor the refresh token.
    let (snapshot, app) = (&snapshot, &app);
    let restore = move || async move {
        let store = Arc::new(MemoryStore::new());
        for (key, value) in snapshot {
            if let Some(value) = value {
                store
                    .set(key, value)
                    .await
                    .map_err(|e| anyhow!("restoring {key}: {e}"))?;
            }
        }
        ctx.client_with(app, store)
    };
    let copy = restore().await?;
    expect_err!(
        copy.auth.current_authenticated_user(true).await,
        Error::NotAuthorized { .. }
    );
    let mut copy = restore().await?;
    expect_signed_out_by_refresh(&mut copy).await
}

async fn delete_user(ctx: &Ctx<'_>) -> Result<()> {
    let app = ctx.app(Flow::DeleteUser.options()).await?;
    let user = ctx.confirmed_user(&app, "gone", &[]).await?;
    let mut c = ctx.signed_in(&app, &user).await?;

    c.auth.delete_user().await.context("delete_user")?;
    c.expect_events(&["userDeleted", "signOut"])?;
    expect_err!(c.auth.current_session().await, Error::NotSignedIn);
    let storage = c.auth.storage().clone();
    for (key, value) in session_entries(&storage, &app.client_id, &user.username).await? {
        ensure!(
            value.is_none(),
            "{key} is still stored after deleting the user"
        );
    }

    let mut again = ctx.client(&app)?;
    expect_err!(
        again.auth.sign_in(&user.username, PASSWORD).await,
        Error::UserNotFound { .. } | Error::NotAuthorized { .. }
    );
    again.expect_events(&["signIn_failure"])?;
    Ok(())
}
