//! The `userpool` binary against an embedded local user pool: the terminal operations
//! end to end, their output, their exit codes and their error messages.
//!
//! Each test starts a `LocalPool` on loopback, creates a pool and an app client, and runs
//! the binary with `--endpoint`, `--pool-id`, `--client-id` and a session file in a fresh
//! temporary directory. Passwords go in with `--password-stdin`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use userpool_local::{ClientConfig, CustomAttribute, LocalPool, PoolConfig};

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
        let server = LocalPool::builder().in_memory().start().await.unwrap();
        let mut config = PoolConfig::new("cli-tests");
        config.auto_verified_attributes = vec!["email".to_owned()];
        config.custom_attributes = vec![CustomAttribute::string("team")];
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

/// Runs a prepared command off the runtime (the local pool serves on it meanwhile), with
/// no `USERPOOL_*` or `RUST_LOG` from the environment.
async fn run_command(mut command: Command, stdin: &str) -> Run {
    for var in [
        "USERPOOL_POOL_ID",
        "USERPOOL_CLIENT_ID",
        "USERPOOL_CLIENT_SECRET",
        "USERPOOL_REGION",
        "USERPOOL_ENDPOINT",
        "USERPOOL_FLOW",
        "USERPOOL_STORE",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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
