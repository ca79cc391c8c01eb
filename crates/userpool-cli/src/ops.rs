//! The operations for a person at a terminal: `sign-up`, `confirm`, `resend-code`,
//! `sign-in` (with its MFA steps), `whoami`, `session`, `passwd`, `forgot`, `reset`,
//! `attributes …`, `sign-out`, `delete`. The `mfa …` commands are in `mfa.rs`.
//!
//! Each has its arguments (`#[derive(Args)]`, with the pool settings flattened in) and an
//! async function that runs it. The session lives in the session file between commands.

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use userpool::{
    Attributes, Auth, ConfirmSignInOptions, ConfirmSignUpOptions, Error, NextStep, SignInResult,
    SignOutOptions, SignUpOptions,
};

use crate::failure::Failure;
use crate::hosted::HostedArgs;
use crate::input::Input;
use crate::mfa::{self, AppSetupArgs};
use crate::pool::{Client, PoolArgs};
use crate::show;

/// `name=value`, as given to `--attribute` and `attributes set`.
fn name_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

/// Builds attributes from `name=value` pairs, checking the names.
fn attributes(pairs: &[(String, String)]) -> Result<Attributes, Failure> {
    pairs
        .iter()
        .try_fold(Attributes::new(), |attrs, (name, value)| {
            attrs
                .with(name, value.as_str())
                .map_err(|e| Failure::usage(format!("attribute {name:?}: {e}")))
        })
}

impl Client {
    /// The failure of an operation of `command`.
    fn fail(&self, command: &'static str) -> impl Fn(Error) -> Failure + '_ {
        move |e| Failure::auth(&e, command, &self.target)
    }
}

// ---------------------------------------------------------------- sign-up and confirm

/// Arguments of `userpool sign-up`.
#[derive(Debug, Args)]
pub(crate) struct SignUpArgs {
    /// The username (an email address, in pools that sign in by email).
    username: String,
    /// An attribute, standard or custom (repeat for several): `-a email=ada@example.com
    /// -a custom:team=engines`.
    #[arg(short = 'a', long = "attribute", value_name = "NAME=VALUE", value_parser = name_value)]
    attributes: Vec<(String, String)>,
    /// Read the password from standard input (one line) instead of the terminal.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool sign-up`.
pub(crate) async fn sign_up(args: SignUpArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let attributes = attributes(&args.attributes)?;
    let password = Input::new(args.password_stdin).new_password("Password: ")?;
    let result = client
        .auth
        .sign_up(
            &args.username,
            password,
            SignUpOptions::default().attributes(attributes),
        )
        .await
        .map_err(client.fail("sign-up"))?;
    println!("signed up {} (sub {})", args.username, result.user_sub);
    if result.user_confirmed {
        println!("the pool confirmed the user at once");
        println!("next: userpool sign-in {}", args.username);
    } else {
        println!("{}", show::code_sent(result.code_delivery.as_ref()));
        println!("next: userpool confirm {} --code CODE", args.username);
    }
    Ok(())
}

/// Arguments of `userpool confirm`.
#[derive(Debug, Args)]
pub(crate) struct ConfirmArgs {
    /// The username.
    username: String,
    /// The confirmation code (asked for when missing).
    #[arg(long)]
    code: Option<String>,
    /// Move the email or phone alias to this user if another user has it.
    #[arg(long)]
    force_alias_creation: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool confirm`.
pub(crate) async fn confirm(args: ConfirmArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let code = match args.code {
        Some(code) => code,
        None => Input::new(false).answer("Confirmation code: ")?,
    };
    client
        .auth
        .confirm_sign_up_with(
            &args.username,
            code,
            ConfirmSignUpOptions::default().force_alias_creation(args.force_alias_creation),
        )
        .await
        .map_err(client.fail("confirm"))?;
    println!("confirmed {}", args.username);
    println!("next: userpool sign-in {}", args.username);
    Ok(())
}

/// Arguments of `userpool resend-code`.
#[derive(Debug, Args)]
pub(crate) struct ResendCodeArgs {
    /// The username.
    username: String,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool resend-code`.
pub(crate) async fn resend_code(args: ResendCodeArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let delivery = client
        .auth
        .resend_sign_up_code(&args.username)
        .await
        .map_err(client.fail("resend-code"))?;
    println!("{}", show::code_sent(delivery.as_ref()));
    println!("next: userpool confirm {} --code CODE", args.username);
    Ok(())
}

// ---------------------------------------------------------------- sign-in

/// Arguments of `userpool sign-in`.
#[derive(Debug, Args)]
pub(crate) struct SignInArgs {
    /// The username (or a verified alias: email, phone number, preferred username); not
    /// with --hosted, where it is typed in the browser.
    #[arg(required_unless_present = "hosted", conflicts_with = "hosted")]
    username: Option<String>,
    /// Read the password from standard input (one line) instead of the terminal; a new
    /// password, when the pool asks for one, is read from the next line.
    #[arg(long)]
    password_stdin: bool,
    /// How an authenticator app set up during the sign-in (MFA_SETUP) is shown and named.
    #[command(flatten)]
    app: AppSetupArgs,
    #[command(flatten)]
    hosted: HostedArgs,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool sign-in` (`userpool login`): signs in and answers the challenges that
/// follow, or with `--hosted` signs in in the browser.
pub(crate) async fn sign_in(args: SignInArgs) -> Result<(), Failure> {
    let Some(username) = args.username.as_deref().filter(|_| !args.hosted.hosted) else {
        return sign_in_hosted(&args).await;
    };
    let client = args.pool.client()?;
    let mut input = Input::new(args.password_stdin);
    let password = input.password("Password: ")?;
    let fail = client.fail("sign-in");
    let mut result = client
        .auth
        .sign_in(username, password)
        .await
        .map_err(&fail)?;
    // Wrong codes typed for the current step; a wrong code leaves the step pending.
    let mut wrong_codes = 0;
    while let SignInResult::NextStep(step) = &result {
        let again = wrong_codes > 0;
        match answer_step(&client.auth, step, &mut input, &args.app, again).await? {
            Ok(next) => {
                result = next;
                wrong_codes = 0;
            }
            Err(e)
                if mfa::is_wrong_code(&e)
                    && input.is_interactive()
                    && wrong_codes + 1 < mfa::CODE_TRIES =>
            {
                wrong_codes += 1;
                eprintln!("that code was refused ({e}); try again");
            }
            Err(e) => return Err(fail(e)),
        }
    }
    if !result.is_signed_in() {
        return Err(Failure::new(
            "the sign-in ended in a state this command does not know",
            crate::failure::EXIT_POOL,
        ));
    }
    signed_in(&client, Some(username), fail).await
}

/// `userpool login --hosted`: the hosted pages in the browser, the redirect to the
/// loopback port, the session kept as after a password sign-in.
async fn sign_in_hosted(args: &SignInArgs) -> Result<(), Failure> {
    let config = args.hosted.config()?;
    let client = args.pool.client_with(|b| b.hosted(config))?;
    let fail = client.fail("login --hosted");
    eprintln!(
        "opening the sign-in page in the browser; waiting for it to come back to \
         http://127.0.0.1:{}/callback",
        args.hosted.port().unwrap_or_default()
    );
    client.auth.sign_in_with_redirect().await.map_err(&fail)?;
    signed_in(&client, None, fail).await
}

/// Says who is signed in and until when.
async fn signed_in(
    client: &Client,
    typed: Option<&str>,
    fail: impl Fn(Error) -> Failure,
) -> Result<(), Failure> {
    let session = client.auth.current_session().await.map_err(&fail)?;
    let name = session
        .access_token()
        .username()
        .or(typed)
        .unwrap_or("the user")
        .to_owned();
    println!(
        "signed in as {name}; the session is valid until {} and refreshes itself",
        show::when(session.expires_at())
    );
    Ok(())
}

/// Asks the person for what `step` needs and sends it; `again` after a wrong code (the
/// step's explanation is not repeated). The outer `Result` is for input failures, the
/// inner one the answer of the pool.
async fn answer_step(
    auth: &Auth,
    step: &NextStep,
    input: &mut Input,
    app: &AppSetupArgs,
    again: bool,
) -> Result<Result<SignInResult, Error>, Failure> {
    Ok(match step {
        NextStep::NewPasswordRequired {
            required_attributes,
            ..
        } => {
            eprintln!("The pool asks for a new password (NEW_PASSWORD_REQUIRED).");
            let password = input.new_password("New password: ")?;
            let mut attributes = Attributes::new();
            for name in required_attributes {
                let value = input.answer(&format!("{name}: "))?;
                attributes.insert(name.clone(), value);
            }
            auth.complete_new_password(password, attributes).await
        }
        NextStep::SmsCode { delivery } | NextStep::EmailCode { delivery } => {
            let prompt = format!("MFA code sent {}: ", show::delivery(delivery));
            auth.confirm_sign_in(input.code(&prompt)?).await
        }
        NextStep::TotpCode => {
            auth.confirm_sign_in(input.code("Code from your authenticator app: ")?)
                .await
        }
        NextStep::SelectMfaType { options } => {
            eprintln!("The pool asks which MFA method to use for this sign-in (SELECT_MFA_TYPE).");
            let method = mfa::choose_method(input, options)?;
            auth.confirm_sign_in(method.as_str()).await
        }
        NextStep::MfaSetupSelection { options } => {
            eprintln!("The pool requires MFA and this user has none yet (MFA_SETUP).");
            let method = mfa::choose_method(input, options)?;
            auth.confirm_sign_in(method.as_str()).await
        }
        NextStep::TotpSetup { setup } => {
            if !again {
                eprintln!("The pool asks this user to set up an authenticator app (MFA_SETUP).");
                for line in app.lines(setup) {
                    println!("{line}");
                }
            }
            let code = input.code("Code from the app: ")?;
            let mut options = ConfirmSignInOptions::default();
            if let Some(name) = app.device_name() {
                options = options.friendly_device_name(name);
            }
            auth.confirm_sign_in_with(code, options).await
        }
        NextStep::EmailSetup => {
            eprintln!("The pool asks for an email address to send MFA codes to (MFA_SETUP).");
            auth.confirm_sign_in(input.answer("Email address for MFA codes: ")?)
                .await
        }
        NextStep::CustomChallenge { parameters } => {
            for (name, value) in parameters {
                eprintln!("  {name}: {value}");
            }
            auth.confirm_sign_in(input.answer("Answer to the challenge: ")?)
                .await
        }
        other => {
            return Err(Failure::new(
                format!(
                    "this command cannot answer the {} challenge",
                    other.challenge().as_str()
                ),
                crate::failure::EXIT_POOL,
            ));
        }
    })
}

// ---------------------------------------------------------------- who and session

/// Arguments of `userpool whoami`.
#[derive(Debug, Args)]
pub(crate) struct WhoamiArgs {
    /// Ask the pool (GetUser) instead of reading the cached user.
    #[arg(long)]
    fresh: bool,
    /// Print JSON (`{"username": …, "attributes": {…}}`).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool whoami`.
pub(crate) async fn whoami(args: WhoamiArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let user = client
        .auth
        .current_authenticated_user_with(current_user_options(args.fresh))
        .await
        .map_err(client.fail("whoami"))?;
    if args.json {
        let doc = json!({
            "username": user.username().as_str(),
            "attributes": Value::Object(user.attributes_json()),
        });
        println!("{doc:#}");
    } else {
        println!("{}", user.username());
        for line in show::attribute_lines(&user, "  ", &[]) {
            println!("{line}");
        }
    }
    Ok(())
}

/// Arguments of `userpool session`.
#[derive(Debug, Args)]
pub(crate) struct SessionArgs {
    /// Also print the raw tokens. They are bearer credentials: anyone who sees them can
    /// act as the user until they expire.
    #[arg(long)]
    show_tokens: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// Claims that hold a Unix time.
const TIME_CLAIMS: &[&str] = &["auth_time", "exp", "iat", "nbf"];

fn claim_text(name: &str, value: &Value) -> String {
    match value.as_i64() {
        Some(t) if TIME_CLAIMS.contains(&name) => format!(
            "{t} ({}, {})",
            show::utc(t),
            show::relative(t, show::now_secs())
        ),
        _ => show::json_text(value),
    }
}

fn claim_lines(claims: &serde_json::Map<String, Value>) -> Vec<String> {
    let width = claims.keys().map(String::len).max().unwrap_or(0);
    claims
        .iter()
        .map(|(name, value)| format!("    {name:<width$}  {}", claim_text(name, value)))
        .collect()
}

/// `userpool session`: the claims and expiry; the tokens only with `--show-tokens`.
pub(crate) async fn session(args: SessionArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let session = client
        .auth
        .current_session()
        .await
        .map_err(client.fail("session"))?;
    let id = session.id_token().claims().as_map();
    let access = session.access_token().claims().as_map();
    let username = session
        .access_token()
        .username()
        .or_else(|| session.id_token().username())
        .unwrap_or("(unknown)");
    if args.json {
        let mut doc = json!({
            "username": username,
            "expiresAt": session.expires_at(),
            "clockDriftSeconds": session.clock_drift().seconds(),
            "hasRefreshToken": session.refresh_token().is_some(),
            "idToken": Value::Object(id.clone()),
            "accessToken": Value::Object(access.clone()),
        });
        if args.show_tokens {
            doc["tokens"] = json!({
                "idToken": session.id_token().raw().expose(),
                "accessToken": session.access_token().raw().expose(),
                "refreshToken": session.refresh_token().map(|t| t.raw().expose()),
            });
        }
        println!("{doc:#}");
        return Ok(());
    }
    println!("signed in as {username}");
    println!(
        "  valid until {}; refreshed automatically after that",
        show::when(session.expires_at())
    );
    println!(
        "  clock drift {} s; refresh token {}",
        session.clock_drift().seconds(),
        if session.refresh_token().is_some() {
            "present"
        } else {
            "absent"
        }
    );
    println!("  id token claims:");
    for line in claim_lines(id) {
        println!("{line}");
    }
    println!("  access token claims:");
    for line in claim_lines(access) {
        println!("{line}");
    }
    if args.show_tokens {
        println!("  id token:      {}", session.id_token().raw().expose());
        println!("  access token:  {}", session.access_token().raw().expose());
        if let Some(refresh) = session.refresh_token() {
            println!("  refresh token: {}", refresh.raw().expose());
        }
    } else {
        println!("  (the tokens are not shown; --show-tokens prints them)");
    }
    Ok(())
}

// ---------------------------------------------------------------- passwords

/// Arguments of `userpool passwd`.
#[derive(Debug, Args)]
pub(crate) struct PasswdArgs {
    /// Read the current and the new password from standard input, one line each.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool passwd`: changes the signed-in user's password.
pub(crate) async fn passwd(args: PasswdArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let fail = client.fail("passwd");
    // Fail before asking for passwords when nobody is signed in.
    client.auth.current_session().await.map_err(&fail)?;
    let mut input = Input::new(args.password_stdin);
    let old = input.password("Current password: ")?;
    let new = input.new_password("New password: ")?;
    client.auth.change_password(old, new).await.map_err(&fail)?;
    println!("password changed");
    Ok(())
}

/// Arguments of `userpool forgot`.
#[derive(Debug, Args)]
pub(crate) struct ForgotArgs {
    /// The username.
    username: String,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool forgot`: asks for a password-reset code.
pub(crate) async fn forgot(args: ForgotArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let delivery = client
        .auth
        .forgot_password(&args.username)
        .await
        .map_err(client.fail("forgot"))?;
    println!("{}", show::code_sent(delivery.as_ref()));
    println!("next: userpool reset {} --code CODE", args.username);
    Ok(())
}

/// Arguments of `userpool reset`.
#[derive(Debug, Args)]
pub(crate) struct ResetArgs {
    /// The username.
    username: String,
    /// The reset code from `userpool forgot` (asked for when missing).
    #[arg(long)]
    code: Option<String>,
    /// Read the new password from standard input (after the code, when `--code` is not
    /// given).
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool reset`: sets a new password with a reset code.
pub(crate) async fn reset(args: ResetArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let mut input = Input::new(args.password_stdin);
    let code = match args.code {
        Some(code) => code,
        None => input.answer("Reset code: ")?,
    };
    let password = input.new_password("New password: ")?;
    client
        .auth
        .forgot_password_submit(&args.username, code, password)
        .await
        .map_err(client.fail("reset"))?;
    println!("password reset for {}", args.username);
    println!("next: userpool sign-in {}", args.username);
    Ok(())
}

// ---------------------------------------------------------------- attributes

/// `userpool attributes …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AttributesCommand {
    /// Show the signed-in user's attributes (all, or the ones named).
    Get(AttributesGetArgs),
    /// Set attributes: `userpool attributes set given_name=Ada custom:team=engines`.
    Set(AttributesSetArgs),
    /// Delete attributes: `userpool attributes delete custom:team`.
    Delete(AttributesDeleteArgs),
    /// Verify `email` or `phone_number`: without --code, have a code sent (and asked for,
    /// on a terminal); with --code, submit it.
    Verify(AttributesVerifyArgs),
}

/// Arguments of `userpool attributes get`.
#[derive(Debug, Args)]
pub(crate) struct AttributesGetArgs {
    /// Attribute names (default: all).
    names: Vec<String>,
    /// Ask the pool (GetUser) instead of reading the cached user.
    #[arg(long)]
    fresh: bool,
    /// Print a JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// Arguments of `userpool attributes set`.
#[derive(Debug, Args)]
pub(crate) struct AttributesSetArgs {
    /// `name=value` pairs.
    #[arg(required = true, value_name = "NAME=VALUE", value_parser = name_value)]
    pairs: Vec<(String, String)>,
    #[command(flatten)]
    pool: PoolArgs,
}

/// Arguments of `userpool attributes delete`.
#[derive(Debug, Args)]
pub(crate) struct AttributesDeleteArgs {
    /// Attribute names.
    #[arg(required = true)]
    names: Vec<String>,
    #[command(flatten)]
    pool: PoolArgs,
}

/// Arguments of `userpool attributes verify`.
#[derive(Debug, Args)]
pub(crate) struct AttributesVerifyArgs {
    /// `email` or `phone_number`.
    name: String,
    /// The code that was sent; without it, a code is sent.
    #[arg(long)]
    code: Option<String>,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool attributes …`.
pub(crate) async fn attributes_command(command: AttributesCommand) -> Result<(), Failure> {
    match command {
        AttributesCommand::Get(args) => attributes_get(args).await,
        AttributesCommand::Set(args) => attributes_set(args).await,
        AttributesCommand::Delete(args) => attributes_delete(args).await,
        AttributesCommand::Verify(args) => attributes_verify(args).await,
    }
}

async fn attributes_get(args: AttributesGetArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let user = client
        .auth
        .current_authenticated_user_with(current_user_options(args.fresh))
        .await
        .map_err(client.fail("attributes get"))?;
    if args.json {
        let all = user.attributes_json();
        let selected: serde_json::Map<String, Value> = if args.names.is_empty() {
            all
        } else {
            args.names
                .iter()
                .map(|n| (n.clone(), all.get(n).cloned().unwrap_or(Value::Null)))
                .collect()
        };
        println!("{:#}", Value::Object(selected));
    } else {
        for line in show::attribute_lines(&user, "", &args.names) {
            println!("{line}");
        }
    }
    Ok(())
}

async fn attributes_set(args: AttributesSetArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let attributes = attributes(&args.pairs)?;
    let results = client
        .auth
        .update_user_attributes(attributes)
        .await
        .map_err(client.fail("attributes set"))?;
    let width = results.keys().map(|n| n.as_str().len()).max().unwrap_or(0);
    for (name, result) in &results {
        if result.is_updated {
            println!("{:<width$}  updated", name.as_str());
        } else {
            println!(
                "{:<width$}  waits for verification: {}",
                name.as_str(),
                show::code_sent(result.code_delivery.as_ref())
            );
            println!(
                "{:<width$}  next: userpool attributes verify {name} --code CODE",
                ""
            );
        }
    }
    Ok(())
}

async fn attributes_delete(args: AttributesDeleteArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    client
        .auth
        .delete_user_attributes(&args.names)
        .await
        .map_err(client.fail("attributes delete"))?;
    println!("deleted {}", args.names.join(", "));
    Ok(())
}

async fn attributes_verify(args: AttributesVerifyArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let fail = client.fail("attributes verify");
    let code = match args.code {
        Some(code) => code,
        None => {
            let delivery = client
                .auth
                .verify_current_user_attribute(&args.name)
                .await
                .map_err(&fail)?;
            println!("{}", show::code_sent(delivery.as_ref()));
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                println!("next: userpool attributes verify {} --code CODE", args.name);
                return Ok(());
            }
            Input::new(false).answer("Code: ")?
        }
    };
    client
        .auth
        .verify_current_user_attribute_submit(&args.name, code)
        .await
        .map_err(&fail)?;
    println!("{} verified", args.name);
    Ok(())
}

// ---------------------------------------------------------------- sign-out and delete

/// Arguments of `userpool sign-out`.
#[derive(Debug, Args)]
pub(crate) struct SignOutArgs {
    /// Sign out on every device (GlobalSignOut), not only here.
    #[arg(long)]
    global: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool sign-out`.
pub(crate) async fn sign_out(args: SignOutArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    client
        .auth
        .sign_out_with(SignOutOptions::default().global(args.global))
        .await
        .map_err(client.fail("sign-out"))?;
    if args.global {
        println!("signed out on every device");
    } else {
        println!("signed out");
    }
    Ok(())
}

/// Arguments of `userpool delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    pool: PoolArgs,
}

/// `userpool delete`: deletes the signed-in user, after confirmation.
pub(crate) async fn delete(args: DeleteArgs) -> Result<(), Failure> {
    let client = args.pool.client()?;
    let fail = client.fail("delete");
    let user = client
        .auth
        .current_authenticated_user()
        .await
        .map_err(&fail)?;
    let name = user.username().as_str().to_owned();
    if !args.yes {
        let question = format!("Delete the user {name} from the pool, for good?");
        if !Input::new(false).confirm(&question)? {
            return Err(Failure::local(format!("cancelled: {name} was not deleted")));
        }
    }
    client.auth.delete_user().await.map_err(&fail)?;
    println!("deleted the user {name}; signed out");
    Ok(())
}

/// `--fresh` fetches the user anew (GetUser) instead of reading the cached one.
fn current_user_options(fresh: bool) -> userpool::CurrentUserOptions {
    let options = userpool::CurrentUserOptions::default();
    if fresh {
        options.bypass_cache()
    } else {
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_value_pairs() {
        assert_eq!(
            name_value("custom:team=engines").unwrap(),
            ("custom:team".to_owned(), "engines".to_owned())
        );
        assert_eq!(
            name_value("note=a=b").unwrap(),
            ("note".to_owned(), "a=b".to_owned())
        );
        assert_eq!(name_value("empty=").unwrap().1, "");
        assert!(name_value("=x").is_err());
        assert!(name_value("novalue").is_err());
        assert!(attributes(&[("bad name".into(), "x".into())]).is_err());
    }

    #[test]
    fn time_claims_are_readable() {
        let text = claim_text("exp", &json!(0));
        assert!(text.starts_with("0 (1970-01-01 00:00:00 UTC"), "{text}");
        assert_eq!(claim_text("sub", &json!("abc")), "abc");
    }
}
