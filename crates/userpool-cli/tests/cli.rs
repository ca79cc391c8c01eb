//! The `userpool` binary against an embedded local user pool: the terminal operations
//! end to end, their output, their exit codes and their error messages.
//!
//! Each test starts a `LocalPool` on loopback, creates a pool and an app client, and runs
//! the binary with `--endpoint`, `--pool-id`, `--client-id` and a session file in a fresh
//! temporary directory. Passwords go in with `--password-stdin`; MFA codes are computed
//! from the TOTP secret the command prints, as an authenticator app does.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use userpool_local::{ClientConfig, CustomAttribute, LocalPool, MfaConfig, MfaMode, PoolConfig};

// The facade's browser for the hosted pages over plain HTTP (form posts), shared with its
// end-to-end test.
#[path = "../../userpool/tests/support/form_browser.rs"]
mod form_browser;

const PASSWORD: &str = "Terminal-Passw0rd!";
const WRONG: &str = "Wrong-Passw0rd!";
const RESET: &str = "Reset-Passw0rd!";
const CHANGED: &str = "Changed-Passw0rd!";

/// What a run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self
    }

    fn failed_with(self, code: i32) -> Self {
        assert_eq!(self.code, code, "expected exit code {code}: {self:#?}");
        self
    }
}

/// A local pool, one app client, and a session file of its own.
struct Fixture {
    server: LocalPool,
    pool_id: String,
    client_id: String,
    dir: PathBuf,
    /// Everything the runs printed.
    transcript: Mutex<String>,
}

impl Fixture {
    async fn new(name: &str) -> Self {
        Self::with_mfa(name, MfaConfig::default()).await
    }

    /// A fixture whose pool has this MFA configuration.
    async fn with_mfa(name: &str, mfa: MfaConfig) -> Self {
        let server = LocalPool::builder().in_memory().start().await.unwrap();
        let mut config = PoolConfig::new("cli-tests");
        config.auto_verified_attributes = vec!["email".to_owned()];
        config.custom_attributes = vec![CustomAttribute::string("team")];
        config.mfa = mfa;
        let pool = server.create_pool(config).await.unwrap();
        let client = server
            .create_client(&pool.pool_id, ClientConfig::new("cli").with_password_auth())
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "userpool-cli-{name}-{}-{}",
            std::process::id(),
            userpool_local_nonce()
        ));
        Self {
            server,
            pool_id: pool.pool_id,
            client_id: client.client_id,
            dir,
            transcript: Mutex::default(),
        }
    }

    fn store(&self) -> PathBuf {
        self.dir.join("config").join("session.json")
    }

    /// Runs `userpool <args>` with the pool settings, `stdin` on standard input.
    async fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
        command
            .args(args)
            .args(["--endpoint", self.server.endpoint()])
            .args(["--pool-id", &self.pool_id])
            .args(["--client-id", &self.client_id])
            .arg("--store")
            .arg(self.store());
        let run = run_command(command, stdin).await;
        let mut transcript = self.transcript.lock().unwrap();
        transcript.push_str(&run.stdout);
        transcript.push_str(&run.stderr);
        run
    }

    /// Runs `userpool <args>` as a person with an authenticator app would: `before` goes
    /// to standard input at once; when the command prints the `otpauth://` URI, the app's
    /// current code for its secret follows, then the end of input. Answers the run and
    /// the secret (`None` if no URI was printed).
    async fn run_with_app(&self, args: &[&str], before: &str) -> (Run, Option<String>) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
        command
            .args(args)
            .args(["--endpoint", self.server.endpoint()])
            .args(["--pool-id", &self.pool_id])
            .args(["--client-id", &self.client_id])
            .arg("--store")
            .arg(self.store());
        clean_env(&mut command);
        let before = before.to_owned();
        let (run, secret) = tokio::task::spawn_blocking(move || {
            use std::io::{BufRead as _, Read as _, Write as _};
            let mut child = command.spawn().expect("the userpool binary starts");
            let mut input = child.stdin.take().expect("piped stdin");
            let mut output = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
            let _ = input.write_all(before.as_bytes());
            let mut stdout = String::new();
            let mut secret = None;
            loop {
                let mut line = String::new();
                if output.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                stdout.push_str(&line);
                if let Some(uri) = line.trim().strip_prefix("otpauth://") {
                    secret = secret_of(uri);
                    if let Some(secret) = &secret {
                        let _ = input.write_all(format!("{}\n", totp_code(secret, 0)).as_bytes());
                    }
                    break;
                }
            }
            // The end of input: a command that asks for more fails instead of waiting.
            drop(input);
            let _ = output.read_to_string(&mut stdout);
            let rest = child.wait_with_output().expect("the userpool binary ends");
            let run = Run {
                code: rest.status.code().unwrap_or(-1),
                stdout,
                stderr: String::from_utf8_lossy(&rest.stderr).into_owned(),
            };
            (run, secret)
        })
        .await
        .unwrap();
        let mut transcript = self.transcript.lock().unwrap();
        transcript.push_str(&run.stdout);
        transcript.push_str(&run.stderr);
        (run, secret)
    }

    /// No run printed any of these (passwords go in on stdin and never come out).
    fn assert_no_secret_printed(&self, secrets: &[&str]) {
        let transcript = self.transcript.lock().unwrap();
        for secret in secrets {
            assert!(
                !transcript.contains(secret),
                "a password was printed:\n{transcript}"
            );
        }
    }

    fn code_for(&self, user: &str) -> String {
        self.server
            .latest_code(&self.pool_id, user)
            .expect("a code in the outbox")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A number that differs between fixtures of one process.
fn userpool_local_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The `secret` of the query of an `otpauth://` URI (after the scheme).
fn secret_of(uri: &str) -> Option<String> {
    let (_, query) = uri.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("secret="))
        .map(str::to_owned)
}

/// The code an authenticator app shows for `secret` (base32), `ahead` seconds from now.
fn totp_code(secret: &str, ahead: u64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).expect("a base32 secret");
    let totp = totp_rs::Builder::new()
        .with_secret(bytes)
        .build()
        .expect("an RFC 6238 secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now + ahead).to_string()
}

/// `123 456`: a code with a space in the middle.
fn spaced(code: &str) -> String {
    let (first, second) = code.split_at(code.len() / 2);
    format!("{first} {second}")
}

/// No `USERPOOL_*` or `RUST_LOG` from the environment; pipes for the three streams.
fn clean_env(command: &mut Command) {
    for var in [
        "USERPOOL_POOL_ID",
        "USERPOOL_CLIENT_ID",
        "USERPOOL_CLIENT_SECRET",
        "USERPOOL_REGION",
        "USERPOOL_ENDPOINT",
        "USERPOOL_FLOW",
        "USERPOOL_STORE",
        "USERPOOL_DOMAIN",
        "USERPOOL_REDIRECT_PORT",
        "USERPOOL_BROWSER",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
}

/// Runs a prepared command off the runtime (the local pool serves on it meanwhile), with
/// no `USERPOOL_*` or `RUST_LOG` from the environment.
async fn run_command(mut command: Command, stdin: &str) -> Run {
    clean_env(&mut command);
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut child = command.spawn().expect("the userpool binary starts");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_bytes());
        }
        let output = child.wait_with_output().expect("the userpool binary ends");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_to_sign_out_at_a_terminal() {
    let f = Fixture::new("flow").await;

    let run = f
        .run(
            &[
                "sign-up",
                "alice",
                "-a",
                "email=alice@example.com",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        )
        .await
        .ok();
    assert!(run.stdout.contains("signed up alice"), "{run:#?}");
    assert!(run.stdout.contains("by EMAIL to"), "{run:#?}");
    assert!(run.stdout.contains("userpool confirm alice"), "{run:#?}");

    // Before confirmation: a clear refusal with a hint.
    let run = f
        .run(
            &["sign-in", "alice", "--password-stdin"],
            &format!("{PASSWORD}\n"),
        )
        .await
        .failed_with(1);
    assert!(run.stderr.contains("UserNotConfirmed"), "{run:#?}");
    assert!(run.stderr.contains("hint: confirm the sign-up"), "{run:#?}");

    let code = f.code_for("alice");
    f.run(&["confirm", "alice", "--code", &code], "").await.ok();

    let run = f
        .run(
            &["sign-in", "alice", "--password-stdin"],
            &format!("{PASSWORD}\n"),
        )
        .await
        .ok();
    assert!(run.stdout.contains("signed in as alice"), "{run:#?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(f.store()).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the session file is for its owner only"
        );
    }

    let run = f.run(&["whoami"], "").await.ok();
    assert!(run.stdout.starts_with("alice\n"), "{run:#?}");
    assert!(run.stdout.contains("alice@example.com"), "{run:#?}");
    assert!(run.stdout.contains("sub"), "{run:#?}");

    let run = f.run(&["whoami", "--fresh", "--json"], "").await.ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["username"], "alice");
    assert_eq!(doc["attributes"]["email"], "alice@example.com");
    assert_eq!(doc["attributes"]["email_verified"], true);

    let run = f.run(&["session"], "").await.ok();
    assert!(run.stdout.contains("signed in as alice"), "{run:#?}");
    assert!(run.stdout.contains("valid until"), "{run:#?}");
    assert!(run.stdout.contains("exp"), "{run:#?}");
    assert!(run.stdout.contains("token_use"), "{run:#?}");
    assert!(
        !run.stdout.contains("eyJ"),
        "no token without --show-tokens: {run:#?}"
    );

    let run = f.run(&["session", "--json"], "").await.ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["idToken"]["cognito:username"], "alice");
    assert!(doc.get("tokens").is_none());
    let run = f.run(&["session", "--show-tokens"], "").await.ok();
    assert!(
        run.stdout.contains("eyJ"),
        "--show-tokens prints them: {run:#?}"
    );

    let run = f
        .run(
            &[
                "attributes",
                "set",
                "given_name=Alice",
                "custom:team=engines",
            ],
            "",
        )
        .await
        .ok();
    assert!(run.stdout.contains("custom:team"), "{run:#?}");
    assert!(run.stdout.contains("updated"), "{run:#?}");

    let run = f
        .run(&["attributes", "get", "given_name", "custom:team"], "")
        .await
        .ok();
    assert!(run.stdout.contains("given_name"), "{run:#?}");
    assert!(run.stdout.contains("Alice"), "{run:#?}");
    assert!(run.stdout.contains("engines"), "{run:#?}");

    let run = f.run(&["sign-out"], "").await.ok();
    assert!(run.stdout.contains("signed out"), "{run:#?}");

    let run = f.run(&["whoami"], "").await.failed_with(3);
    assert!(run.stderr.contains("no user is signed in"), "{run:#?}");
    assert!(run.stderr.contains("hint: sign in first"), "{run:#?}");

    // A wrong password: the pool's refusal, its message, a hint.
    let run = f
        .run(
            &["sign-in", "alice", "--password-stdin"],
            &format!("{WRONG}\n"),
        )
        .await
        .failed_with(1);
    assert!(
        run.stderr
            .contains("NotAuthorizedException: Incorrect username or password."),
        "{run:#?}"
    );
    assert!(
        run.stderr
            .contains("hint: check the username and the password")
    );

    f.assert_no_secret_printed(&[PASSWORD, WRONG]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_codes_attributes_and_deletion() {
    let f = Fixture::new("passwords").await;
    f.run(
        &[
            "sign-up",
            "bob",
            "-a",
            "email=bob@example.com",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await
    .ok();
    // A new code, then a wrong one, then the right one.
    let run = f.run(&["resend-code", "bob"], "").await.ok();
    assert!(run.stdout.contains("a code was sent"), "{run:#?}");
    let run = f
        .run(&["confirm", "bob", "--code", "000000"], "")
        .await
        .failed_with(1);
    assert!(run.stderr.contains("CodeMismatch"), "{run:#?}");
    assert!(run.stderr.contains("resend-code"), "{run:#?}");
    // The code can come on standard input too.
    let code = f.code_for("bob");
    f.run(&["confirm", "bob"], &format!("{code}\n")).await.ok();

    // Forgot and reset: code on stdin, then the new password.
    let run = f.run(&["forgot", "bob"], "").await.ok();
    assert!(run.stdout.contains("userpool reset bob"), "{run:#?}");
    let code = f.code_for("bob");
    f.run(
        &["reset", "bob", "--password-stdin"],
        &format!("{code}\n{RESET}\n"),
    )
    .await
    .ok();
    f.run(
        &["sign-in", "bob", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    )
    .await
    .failed_with(1);
    f.run(
        &["sign-in", "bob", "--password-stdin", "--flow", "password"],
        &format!("{RESET}\n"),
    )
    .await
    .ok();

    // Change the password: current, then new.
    f.run(
        &["passwd", "--password-stdin"],
        &format!("{RESET}\n{CHANGED}\n"),
    )
    .await
    .ok();
    let run = f
        .run(
            &["passwd", "--password-stdin"],
            &format!("{RESET}\n{CHANGED}\n"),
        )
        .await
        .failed_with(1);
    assert!(
        run.stderr.contains("the current password is wrong"),
        "{run:#?}"
    );

    // Verify the email again: without --code and without a terminal, a code is sent and
    // the command says how to finish.
    let run = f.run(&["attributes", "verify", "email"], "").await.ok();
    assert!(run.stdout.contains("--code CODE"), "{run:#?}");
    let code = f.code_for("bob");
    let run = f
        .run(&["attributes", "verify", "email", "--code", &code], "")
        .await
        .ok();
    assert!(run.stdout.contains("email verified"), "{run:#?}");

    f.run(&["attributes", "set", "custom:team=engines"], "")
        .await
        .ok();
    f.run(&["attributes", "delete", "custom:team"], "")
        .await
        .ok();
    let run = f
        .run(&["attributes", "get", "--json", "custom:team"], "")
        .await
        .ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["custom:team"], serde_json::Value::Null, "{run:#?}");

    // Deleting asks first; with no terminal to ask on, it refuses without --yes.
    let run = f.run(&["delete"], "y\n").await.failed_with(2);
    assert!(run.stderr.contains("--yes"), "{run:#?}");
    let run = f.run(&["delete", "--yes"], "").await.ok();
    assert!(run.stdout.contains("deleted the user bob"), "{run:#?}");
    f.run(&["whoami"], "").await.failed_with(3);
    f.run(
        &["sign-in", "bob", "--password-stdin"],
        &format!("{CHANGED}\n"),
    )
    .await
    .failed_with(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_created_user_chooses_a_password_at_sign_in() {
    let f = Fixture::new("admin").await;
    f.server
        .create_user(
            &f.pool_id,
            "erin",
            PASSWORD,
            &[("email", "erin@example.com"), ("email_verified", "true")],
        )
        .await
        .unwrap();
    f.server
        .set_password(&f.pool_id, "erin", PASSWORD, false)
        .await
        .unwrap();
    // The temporary password, then the new one (NEW_PASSWORD_REQUIRED).
    let run = f
        .run(
            &["sign-in", "erin", "--password-stdin"],
            &format!("{PASSWORD}\n{CHANGED}\n"),
        )
        .await
        .ok();
    assert!(run.stderr.contains("NEW_PASSWORD_REQUIRED"), "{run:#?}");
    assert!(run.stdout.contains("signed in as erin"), "{run:#?}");
    f.run(&["sign-out", "--global"], "").await.ok();
    // The temporary password no longer works; the new one does.
    f.run(
        &["sign-in", "erin", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    )
    .await
    .failed_with(1);
    f.run(
        &["sign-in", "erin", "--password-stdin"],
        &format!("{CHANGED}\n"),
    )
    .await
    .ok();
    f.assert_no_secret_printed(&[PASSWORD, CHANGED]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_network_failures_have_their_exit_codes() {
    // No pool settings at all.
    let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
    command.args([
        "whoami",
        "--store",
        "/nonexistent/userpool-test/session.json",
    ]);
    let run = run_command(command, "").await.failed_with(2);
    assert!(run.stderr.contains("--pool-id"), "{run:#?}");
    assert!(run.stderr.contains("USERPOOL_POOL_ID"), "{run:#?}");

    // An unknown flag: clap's usage error.
    let command = {
        let mut c = Command::new(env!("CARGO_BIN_EXE_userpool"));
        c.args(["sign-in", "--bogus"]);
        c
    };
    run_command(command, "").await.failed_with(2);

    // Nothing listens there: a network failure, with the endpoint in the hint.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let endpoint = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("userpool-cli-net-{}", std::process::id()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
    command
        .args(["sign-in", "carol", "--password-stdin"])
        .args(["--pool-id", "us-east-1_abcdefghi", "--client-id", "client1"])
        .args(["--endpoint", &endpoint])
        .arg("--store")
        .arg(dir.join("session.json"));
    let run = run_command(command, &format!("{PASSWORD}\n"))
        .await
        .failed_with(4);
    assert!(run.stderr.contains(&endpoint), "{run:#?}");
    let _ = std::fs::remove_dir_all(dir);

    // The help documents the exit codes.
    let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
    command.arg("--help");
    let run = run_command(command, "").await.ok();
    assert!(run.stdout.contains("Exit codes:"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mfa_setup_then_sign_in_with_the_apps_codes() {
    let f = Fixture::with_mfa(
        "mfa",
        MfaConfig {
            mode: MfaMode::Optional,
            software_token: true,
            email: true,
            ..MfaConfig::default()
        },
    )
    .await;
    f.server
        .create_user(
            &f.pool_id,
            "dana",
            PASSWORD,
            &[("email", "dana@example.com"), ("email_verified", "true")],
        )
        .await
        .unwrap();
    let sign_in = ["sign-in", "dana", "--password-stdin"];
    // No factor yet: MFA is optional, the password is enough.
    f.run(&sign_in, &format!("{PASSWORD}\n")).await.ok();
    let run = f.run(&["mfa", "status"], "").await.ok();
    assert!(run.stdout.contains("enabled:   none"), "{run:#?}");
    assert!(run.stdout.contains("preferred: none"), "{run:#?}");

    // The URI and a QR code, then the app's code on standard input.
    let (run, secret) = f
        .run_with_app(
            &[
                "mfa",
                "setup",
                "--issuer",
                "Cli Tests",
                "--device-name",
                "phone",
            ],
            "",
        )
        .await;
    let run = run.ok();
    let secret = secret.expect("the command printed an otpauth:// URI");
    assert_eq!(secret.len(), 32, "{run:#?}");
    assert!(
        run.stdout.contains(&format!(
            "otpauth://totp/Cli%20Tests:dana?secret={secret}&issuer=Cli%20Tests"
        )),
        "{run:#?}"
    );
    assert!(run.stdout.contains("Scan this QR code"), "{run:#?}");
    assert!(
        run.stdout.contains('█') && run.stdout.contains('▀'),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("the authenticator app is set up"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("preferred: TOTP"), "{run:#?}");
    let run = f.run(&["mfa", "status", "--json"], "").await.ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"enabled": ["TOTP"], "preferred": "TOTP"})
    );

    // Signing in now takes the app's code after the password. The code of the next step
    // is accepted (one step of skew) and differs from the one the setup used.
    f.run(&["sign-out"], "").await.ok();
    let used = totp_code(&secret, 30);
    let run = f.run(&sign_in, &format!("{PASSWORD}\n{used}\n")).await.ok();
    assert!(run.stdout.contains("signed in as dana"), "{run:#?}");

    // Changing the methods: a second one, then no preferred one.
    let run = f.run(&["mfa", "enable", "email"], "").await.ok();
    assert!(run.stdout.contains("enabled:   TOTP, EMAIL"), "{run:#?}");
    assert!(run.stdout.contains("preferred: TOTP"), "{run:#?}");
    let run = f.run(&["mfa", "disable", "totp"], "").await.ok();
    assert!(run.stdout.contains("enabled:   EMAIL"), "{run:#?}");
    assert!(run.stdout.contains("preferred: none"), "{run:#?}");
    let run = f.run(&["mfa", "enable", "totp"], "").await.ok();
    assert!(run.stdout.contains("enabled:   TOTP, EMAIL"), "{run:#?}");
    assert!(run.stdout.contains("preferred: none"), "{run:#?}");
    // dana has no phone number: the pool refuses, the hint says what is missing.
    let run = f.run(&["mfa", "prefer", "sms"], "").await.failed_with(1);
    assert!(run.stderr.contains("InvalidParameterException"), "{run:#?}");
    assert!(run.stderr.contains("phone_number"), "{run:#?}");
    f.run(&["sign-out"], "").await.ok();

    // Two methods and no preferred one: the sign-in asks which (SELECT_MFA_TYPE).
    let run = f
        .run(&sign_in, &format!("{PASSWORD}\npush\n"))
        .await
        .failed_with(2);
    assert!(run.stderr.contains("choose one of TOTP, EMAIL"), "{run:#?}");
    // A code already accepted is refused.
    let run = f
        .run(&sign_in, &format!("{PASSWORD}\ntotp\n{used}\n"))
        .await
        .failed_with(1);
    assert!(run.stderr.contains("CodeMismatchException"), "{run:#?}");
    assert!(run.stderr.contains("hint: the code is wrong"), "{run:#?}");
    assert!(run.stderr.contains("sign in again"), "{run:#?}");
    f.run(&["whoami"], "").await.failed_with(3);
    // Email: the code is sent to the masked address; here input ends at its prompt.
    let run = f
        .run(&sign_in, &format!("{PASSWORD}\nEMAIL\n"))
        .await
        .failed_with(2);
    assert!(
        run.stderr
            .contains("the answer to \"MFA code sent by EMAIL to d"),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("dana@example.com"), "{run:#?}");
    let code = f.code_for("dana");
    assert_eq!(code.len(), 6, "an MFA code went to the outbox");
    f.assert_no_secret_printed(&[PASSWORD]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_that_requires_mfa_sets_up_the_app_during_sign_in() {
    let f = Fixture::with_mfa(
        "mfa-on",
        MfaConfig {
            mode: MfaMode::On,
            software_token: true,
            email: true,
            ..MfaConfig::default()
        },
    )
    .await;
    // No email: of the two methods the pool allows, erin has neither yet.
    f.server
        .create_user(&f.pool_id, "erin", PASSWORD, &[])
        .await
        .unwrap();
    let sign_in = ["sign-in", "erin", "--password-stdin"];
    let (run, secret) = f
        .run_with_app(
            &[
                &sign_in[..],
                &["--qr", "off", "--device-name", "erin's phone"],
            ]
            .concat(),
            &format!("{PASSWORD}\nTOTP\n"),
        )
        .await;
    let run = run.ok();
    let secret = secret.expect("the sign-in printed an otpauth:// URI");
    assert!(run.stderr.contains("MFA_SETUP"), "{run:#?}");
    assert!(
        run.stdout.contains(&format!(
            "otpauth://totp/userpool:erin?secret={secret}&issuer=userpool"
        )),
        "{run:#?}"
    );
    assert!(
        !run.stdout.contains('█'),
        "--qr off draws no QR code: {run:#?}"
    );
    assert!(run.stdout.contains("signed in as erin"), "{run:#?}");
    let run = f.run(&["mfa", "status"], "").await.ok();
    assert!(run.stdout.contains("enabled:   TOTP"), "{run:#?}");

    // The next sign-in asks for the app's code straight away.
    f.run(&["sign-out"], "").await.ok();
    let run = f
        .run(
            &sign_in,
            // Typed as some apps show it: `123 456`.
            &format!("{PASSWORD}\n{}\n", spaced(&totp_code(&secret, 30))),
        )
        .await
        .ok();
    assert!(run.stdout.contains("signed in as erin"), "{run:#?}");
    f.assert_no_secret_printed(&[PASSWORD]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_seed_export_and_fixed_code_flags() {
    let dir = std::env::temp_dir().join(format!("userpool-cli-seed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        r#"{"pools":[{"id":"us-east-1_CliSeed1","config":{"name":"dev"},
            "clients":[{"id":"cliclient1","secret":"clisecret1","config":{"name":"web"}}],
            "users":[{"username":"ivy","password":"Ivy-Passw0rd"}]}]}"#,
    )
    .unwrap();
    let out = dir.join("export.json");

    // --seed with --export (in memory): the seed is applied, exported, and nothing served.
    let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
    command
        .args(["local", "--port", "0", "--fixed-code", "424242", "--seed"])
        .arg(&seed)
        .arg("--export")
        .arg(&out);
    let run = run_command(command, "").await.ok();
    assert!(
        run.stdout.contains("exported 1 pool(s) and 1 user(s)"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("TEST MODE"), "{run:#?}");
    let exported = std::fs::read_to_string(&out).unwrap();
    for fixed in ["us-east-1_CliSeed1", "cliclient1", "clisecret1", "ivy"] {
        assert!(exported.contains(fixed), "{fixed} not in {exported}");
    }
    assert!(!exported.contains("Ivy-Passw0rd"), "{exported}");

    // A bad seed entry stops the start, named.
    std::fs::write(
        &seed,
        r#"{"pools":[{"id":"nope","config":{"name":"dev"}}]}"#,
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
    command.args(["local", "--port", "0", "--seed"]).arg(&seed);
    let run = run_command(command, "").await;
    assert_ne!(run.code, 0, "{run:#?}");
    assert!(run.stderr.contains("pool nope"), "{run:#?}");

    // --export without anything to export from.
    let mut command = Command::new(env!("CARGO_BIN_EXE_userpool"));
    command.args(["local", "--export"]).arg(&out);
    let run = run_command(command, "").await;
    assert_ne!(run.code, 0, "{run:#?}");
    assert!(run.stderr.contains("--export needs --data"), "{run:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------- login --hosted

/// A pool with the domain `my-app`, an OAuth app client whose callback is a free loopback
/// port, and the user alice: the server, the pool and client ids, the port.
async fn hosted_pool() -> (LocalPool, String, String, u16) {
    let server = LocalPool::builder().in_memory().start().await.unwrap();
    let pool = server.create_pool(PoolConfig::new("hosted")).await.unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = ClientConfig::new("cli");
    config.allowed_oauth_flows_user_pool_client = true;
    config.allowed_oauth_flows = vec!["code".into()];
    config.allowed_oauth_scopes = ["openid", "email", "aws.cognito.signin.user.admin"]
        .map(String::from)
        .to_vec();
    config.callback_urls = vec![format!("http://127.0.0.1:{port}/callback")];
    config.supported_identity_providers = vec!["COGNITO".into()];
    let client = server.create_client(&pool.pool_id, config).await.unwrap();
    let body = serde_json::json!({ "Domain": "my-app", "UserPoolId": pool.pool_id }).to_string();
    let made = form_browser::request(
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
    assert_eq!(made.status, 200, "{}", made.body);
    server
        .create_user(
            &pool.pool_id,
            "alice",
            PASSWORD,
            &[("email", "alice@example.com"), ("email_verified", "true")],
        )
        .await
        .unwrap();
    (server, pool.pool_id, client.client_id, port)
}

/// `userpool login --hosted` with `--browser` naming a script that writes the URL it is
/// given to a file: the test then plays the person at the browser (form posts), while
/// the command waits on its loopback port.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_hosted_signs_in_in_the_browser_and_keeps_the_session() {
    use std::os::unix::fs::PermissionsExt as _;

    let (server, pool_id, client_id, port) = hosted_pool().await;
    let dir = std::env::temp_dir().join(format!(
        "userpool-cli-hosted-{}-{}",
        std::process::id(),
        userpool_local_nonce()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url_file = dir.join("url.txt");
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            url_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = dir.join("session.json");
    let domain = format!("{}/my-app", server.endpoint());
    let command = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_userpool"));
        c.args(args)
            .args(["--endpoint", server.endpoint()])
            .args(["--pool-id", &pool_id])
            .args(["--client-id", &client_id])
            .arg("--store")
            .arg(&store);
        c
    };

    let mut login = command(&["login", "--hosted", "--domain", &domain, "--timeout", "30"]);
    login
        .args(["--redirect-port", &port.to_string()])
        .arg("--browser")
        .arg(&browser);
    let running = tokio::spawn(run_command(login, ""));
    // The browser got the authorize URL; the person signs in.
    let mut url = None;
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(&url_file) {
            url = Some(text);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let url = url.expect("the browser program was run with the URL");
    assert!(
        url.starts_with(&format!("{domain}/oauth2/authorize?")),
        "{url}"
    );
    let person = form_browser::FormBrowser::default();
    let page = person
        .work(url, form_browser::Plan::SignIn("alice", PASSWORD))
        .await
        .unwrap();
    assert!(page.body.contains("close this window"), "{}", page.body);
    let run = tokio::time::timeout(std::time::Duration::from_secs(30), running)
        .await
        .expect("login ends")
        .unwrap()
        .ok();
    assert!(run.stdout.contains("signed in as alice"), "{run:#?}");
    assert!(
        run.stderr
            .contains(&format!("http://127.0.0.1:{port}/callback")),
        "{run:#?}"
    );

    // The session is in the session file: the next command uses it.
    let run = run_command(command(&["whoami"]), "").await.ok();
    assert!(run.stdout.contains("alice@example.com"), "{run:#?}");
    run_command(command(&["sign-out"]), "").await.ok();

    // Without the domain: a usage error that says what to pass.
    let run = run_command(
        command(&["login", "--hosted", "--redirect-port", &port.to_string()]),
        "",
    )
    .await
    .failed_with(2);
    assert!(run.stderr.contains("--domain"), "{run:#?}");
    // A browser that never comes back: the wait ends, with a hint.
    let mut login = command(&["login", "--hosted", "--domain", &domain, "--timeout", "1"]);
    login
        .args(["--redirect-port", &port.to_string()])
        .args(["--browser", "true"]);
    let run = run_command(login, "").await.failed_with(1);
    assert!(run.stderr.contains("--timeout"), "{run:#?}");
    // A username and --hosted do not go together.
    run_command(command(&["login", "alice", "--hosted"]), "")
        .await
        .failed_with(2);
    let _ = std::fs::remove_dir_all(dir);
    server.shutdown().await.unwrap();
}
