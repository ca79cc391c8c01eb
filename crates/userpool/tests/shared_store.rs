//! Two processes share one `FileStore`: sign-ins, sign-outs, refreshes and restarts,
//! interleaved 1,000 times, one at a time and two at once, checked against a model of
//! what the store must hold after each step.
//!
//! The processes are this test binary started again with `USERPOOL_SHARED_STORE_FILE`
//! set: `shared_store_child` then reads commands on stdin and answers on stdout. The
//! transport is a mock that plays Cognito's password sign-in and refresh.
//!
//! What is checked after every step:
//! - no signed-out session comes back (a refresh in one process after a sign-out in the
//!   other used to write the whole session back);
//! - no session is lost or switched (a refresh used to write `LastAuthUser` back to the
//!   user it had in memory; a load reading a half-changed store used to delete the keys
//!   another process had just written);
//! - the stored session is whole: `LastAuthUser` names a user whose id, access and refresh
//!   tokens are all there and belong together;
//! - each process holds what the model says, and neither ever panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use userpool::{Auth, AuthFlow, FileStore, RetryPolicy};
use userpool_transport::{AuthOutcome, AuthTokens, InitiateAuth, MockTransport, RefreshRequest};
use userpool_types::testing::unsigned_jwt;
use userpool_types::{AccessToken, Attributes, ClientId, Error, SecretString, User, Username};

const FILE_ENV: &str = "USERPOOL_SHARED_STORE_FILE";
const NAME_ENV: &str = "USERPOOL_SHARED_STORE_NAME";
const CLIENT: &str = "sharedclient";
const PREFIX: &str = "CognitoIdentityServiceProvider.sharedclient";
const STEPS: usize = 1000;
const USERS: [&str; 2] = ["alice", "bob"];

// ---------------------------------------------------------------- the child

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Tokens of session `sid` (the refresh token's value) for `user`.
fn tokens(user: &str, sid: &str, refresh: Option<String>, n: u64) -> AuthTokens {
    let (iat, exp) = (now(), now() + 3600);
    let mut tokens = AuthTokens::new(
        SecretString::new(unsigned_jwt(&json!({
            "token_use": "id", "sub": format!("sub-{user}"), "cognito:username": user,
            "aud": CLIENT, "iat": iat, "exp": exp, "sid": sid, "n": n,
        }))),
        SecretString::new(unsigned_jwt(&json!({
            "token_use": "access", "sub": format!("sub-{user}"), "username": user,
            "client_id": CLIENT, "iat": iat, "exp": exp, "sid": sid, "n": n,
        }))),
    )
    .with_expires_in(3600);
    tokens.refresh_token = refresh.map(SecretString::new);
    tokens
}

/// The refresh answer of a server without rotation: new tokens of the same session.
fn refreshed_tokens(refresh_token: &SecretString, n: u64) -> AuthTokens {
    let sid = refresh_token.expose().to_owned();
    let user = sid.split('.').nth(1).unwrap_or_default().to_owned();
    tokens(&user, &sid, None, n)
}

/// Cognito as far as this test needs it: password sign-in and refresh (no rotation).
fn transport(name: &str) -> MockTransport {
    let counter = Arc::new(AtomicU64::new(0));
    let refreshes = counter.clone();
    let pid = std::process::id();
    let name = name.to_owned();
    let mut m = MockTransport::new();
    m.expect_client_id()
        .return_const(ClientId::new(CLIENT).unwrap());
    m.expect_initiate_auth().returning(move |req, _| {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        match req {
            InitiateAuth::UserPassword { username, .. } => {
                let user = username.as_str();
                let sid = format!("rt.{user}.{name}.{pid}.{n}");
                Ok(AuthOutcome::Tokens(tokens(
                    user,
                    &sid,
                    Some(sid.clone()),
                    n,
                )))
            }
            other => panic!("unexpected {other:?}"),
        }
    });
    m.expect_get_tokens_from_refresh_token()
        .returning(move |request: RefreshRequest| {
            let n = refreshes.fetch_add(1, Ordering::Relaxed);
            Ok(refreshed_tokens(&request.refresh_token, n))
        });
    m.expect_get_user().returning(|token| {
        let access = AccessToken::parse(token)?;
        let user = access.username().unwrap_or_default().to_owned();
        Ok(User::new(Username::new(user)?, Attributes::new()))
    });
    m
}

fn client(path: &Path, name: &str) -> Auth {
    Auth::builder()
        .user_pool_id("us-east-1_Shared")
        .client_id(CLIENT)
        .transport(Arc::new(transport(name)))
        .storage(Arc::new(FileStore::new(path)))
        .auth_flow(AuthFlow::UserPassword)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// What the process holds in memory: `user:refresh token`, or `none`.
async fn peek(auth: &Auth) -> String {
    match auth.current_session().await {
        Ok(s) => format!(
            "{}:{}",
            s.id_token().username().unwrap_or("?"),
            s.refresh_token().map(|t| t.raw().expose()).unwrap_or("?")
        ),
        Err(Error::NotSignedIn) => "none".into(),
        Err(e) => format!("error:{e}"),
    }
}

fn outcome<T>(r: Result<T, Error>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(Error::NotSignedIn) => "NotSignedIn".into(),
        Err(e) => format!("error:{e}"),
    }
}

/// The child's side; a plain `cargo test` runs it as an ordinary test that returns at once.
#[test]
fn shared_store_child() {
    let Some(path) = std::env::var_os(FILE_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let name = std::env::var(NAME_ENV).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut auth = client(&path, &name);
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let line = line.unwrap();
            let mut words = line.split_whitespace();
            let result = match (words.next(), words.next()) {
                (Some("sign_in"), Some(user)) => outcome(auth.sign_in(user, "Pa55word!").await),
                (Some("sign_out"), _) => outcome(auth.sign_out().await),
                (Some("refresh"), _) => outcome(
                    auth.current_authenticated_user_with(
                        userpool::CurrentUserOptions::default().bypass_cache(),
                    )
                    .await,
                ),
                (Some("restart"), _) => {
                    auth = client(&path, &name);
                    outcome(auth.current_session().await)
                }
                (Some("quit"), _) => break,
                other => panic!("unknown command {other:?}"),
            };
            let mem = peek(&auth).await;
            println!("@@ {result} {mem}");
            std::io::stdout().flush().unwrap();
        }
    });
}

// ---------------------------------------------------------------- the parent

struct Process {
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::Receiver<String>,
}

impl Process {
    fn start(path: &Path, name: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "shared_store_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(FILE_ENV, path)
            .env(NAME_ENV, name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The test harness may have printed `test … ` before it on the line.
                if let Some((_, answer)) = line.split_once("@@ ")
                    && tx.send(answer.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            answers,
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The answer: (result, what the process holds).
    fn answer(&mut self, command: &str) -> (String, Mem) {
        let line = self
            .answers
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no answer to {command:?} ({e}): the child died or hung"));
        let (result, mem) = line.rsplit_once(' ').unwrap();
        (result.to_owned(), Mem::parse(mem))
    }

    fn finish(mut self) -> String {
        self.send("quit");
        drop(self.stdin);
        let out = self.child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "a child failed:\n{stderr}");
        stderr
    }
}

/// A session: (user, refresh token).
type Mem = Option<(String, String)>;

trait ParseMem {
    fn parse(s: &str) -> Self;
}

impl ParseMem for Mem {
    fn parse(s: &str) -> Self {
        if s == "none" {
            return None;
        }
        let (user, rt) = s
            .split_once(':')
            .unwrap_or_else(|| panic!("the process holds something odd: {s}"));
        Some((user.to_owned(), rt.to_owned()))
    }
}

/// Reads the store file as the reference layout, checking that the session is whole.
fn stored(path: &Path) -> Mem {
    let map: BTreeMap<String, String> = match std::fs::read(path) {
        Ok(bytes) if !bytes.is_empty() => serde_json::from_slice(&bytes).unwrap(),
        _ => BTreeMap::new(),
    };
    let user = map.get(&format!("{PREFIX}.LastAuthUser"))?.clone();
    let key = |name: &str| map.get(&format!("{PREFIX}.{user}.{name}"));
    let rt = key("refreshToken")
        .unwrap_or_else(|| panic!("{user} is LastAuthUser without a refresh token"))
        .clone();
    for token in ["idToken", "accessToken"] {
        let raw =
            key(token).unwrap_or_else(|| panic!("{user} is LastAuthUser without its {token}"));
        let claims = userpool_types::Claims::decode(raw).unwrap();
        assert_eq!(
            claims.str("sid"),
            Some(rt.as_str()),
            "{token} of another session"
        );
        let name = claims
            .str("cognito:username")
            .or_else(|| claims.str("username"));
        assert_eq!(name, Some(user.as_str()), "{token} of another user");
    }
    Some((user, rt))
}

/// What a command does, by the rules the client keeps: (store, process memory) after it.
fn model(command: &str, store: &Mem, mem: &Mem, signed_in_as: Option<&Mem>) -> (Mem, Mem) {
    match command.split_whitespace().next().unwrap() {
        // The new session is the one the process reports.
        "sign_in" => {
            let new = signed_in_as.cloned().flatten();
            (new.clone(), new)
        }
        // A process signs out the session of its user; one stored since for another user
        // stays.
        "sign_out" => match (mem, store) {
            (Some((u, _)), Some((s, _))) if u == s => (None, None),
            _ => (store.clone(), None),
        },
        // A refresh follows the store: it adopts what is there, or finds it signed out.
        "refresh" => match mem {
            None => (store.clone(), None),
            Some(_) => (store.clone(), store.clone()),
        },
        "restart" => (store.clone(), store.clone()),
        other => panic!("{other}"),
    }
}

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % n as u64).unwrap()
    }

    fn command(&mut self) -> String {
        match self.next(10) {
            0..=2 => format!("sign_in {}", USERS[self.next(USERS.len())]),
            3..=4 => "sign_out".into(),
            5..=8 => "refresh".into(),
            _ => "restart".into(),
        }
    }
}

#[test]
fn two_processes_share_one_file_store_without_losing_or_resurrecting_a_session() {
    let dir = std::env::temp_dir().join(format!("userpool-shared-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tokens.json");
    let mut procs = [Process::start(&path, "a"), Process::start(&path, "b")];
    let mut mems: [Mem; 2] = [None, None];
    let seed = std::env::var("USERPOOL_SHARED_STORE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_u64);
    eprintln!("seed {seed} (USERPOOL_SHARED_STORE_SEED replays it)");
    let mut rng = Lcg(seed);

    // The faults the review found, first in the order that shows each, then at random.
    let mut script: Vec<Vec<(usize, String)>> = vec![
        // A sign-out in one process, then a refresh in the other: nothing comes back.
        vec![(0, "sign_in alice".into())],
        vec![(1, "restart".into())],
        vec![(0, "sign_out".into())],
        vec![(1, "refresh".into())],
        // A sign-in in one process, then a refresh in the other: no switch back.
        vec![(1, "sign_in bob".into())],
        vec![(0, "restart".into())],
        vec![(0, "sign_in alice".into())],
        vec![(1, "refresh".into())],
        vec![(1, "sign_out".into())],
    ];
    while script.len() < STEPS {
        let p = rng.next(2);
        let step = if rng.next(3) == 0 {
            vec![(p, rng.command()), (1 - p, rng.command())]
        } else {
            vec![(p, rng.command())]
        };
        script.push(step);
    }

    let mut history: Vec<String> = Vec::new();
    for (i, step) in script.iter().enumerate() {
        let before = stored(&path);
        for (p, command) in step {
            procs[*p].send(command);
        }
        let mut answers = Vec::new();
        for (p, command) in step {
            answers.push(procs[*p].answer(command));
        }
        let after = stored(&path);
        let what = step
            .iter()
            .zip(&answers)
            .map(|((p, c), (r, m))| format!("{}:{c}={r} holds {m:?}", ["a", "b"][*p]))
            .collect::<Vec<_>>()
            .join(" | ");
        history.push(format!("{i}: {what} -> {after:?}"));
        let context = || history[history.len().saturating_sub(12)..].join("\n");
        for ((_, command), (result, _)) in step.iter().zip(&answers) {
            assert!(
                !result.starts_with("error"),
                "step {i}: {command} failed: {result}\n{}",
                context()
            );
        }
        // Every order in which the step's commands could have taken effect.
        let orders: Vec<Vec<usize>> = if step.len() == 1 {
            vec![vec![0]]
        } else {
            vec![vec![0, 1], vec![1, 0]]
        };
        let explained = orders.iter().any(|order| {
            let (mut store, mut mem) = (before.clone(), mems.clone());
            for &k in order {
                let (p, command) = &step[k];
                let reported = &answers[k].1;
                let (s, m) = model(command, &store, &mem[*p], Some(reported));
                store = s;
                mem[*p] = m;
            }
            let reported_ok = step
                .iter()
                .zip(&answers)
                .all(|((p, _), (_, m))| mem[*p] == *m);
            store == after && reported_ok
        });
        assert!(
            explained,
            "step {i}: the store or a process is not what any order of the step gives\n{}",
            context()
        );
        for ((p, _), (_, m)) in step.iter().zip(&answers) {
            mems[*p] = m.clone();
        }
    }
    for p in procs {
        let stderr = p.finish();
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- rotation

/// The folder of the rotation test's server state, for its children.
const ROTATION_ENV: &str = "USERPOOL_ROTATION_DIR";
/// How long the server takes to answer a refresh: long enough for every process of a
/// round to start its own refresh while the first one's call is in flight.
const SERVER_LATENCY: Duration = Duration::from_millis(600);

/// A server with refresh-token rotation and no retry grace, shared by the processes
/// through files in `dir`: `current` holds the one refresh token it accepts, `calls.log`
/// one line per GetTokensFromRefreshToken (`ok <token>` or `reused <token>`), under a
/// file lock so that two calls are decided one after the other.
fn rotating_transport(dir: &Path) -> MockTransport {
    let mut m = MockTransport::new();
    m.expect_client_id()
        .return_const(ClientId::new(CLIENT).unwrap());
    let at_sign_in = dir.to_owned();
    m.expect_initiate_auth().returning(move |req, _| match req {
        InitiateAuth::UserPassword { username, .. } => {
            let _lock = server_lock(&at_sign_in);
            std::fs::write(at_sign_in.join("current"), "rt.0").unwrap();
            Ok(AuthOutcome::Tokens(tokens(
                username.as_str(),
                "rt.0",
                Some("rt.0".into()),
                0,
            )))
        }
        other => panic!("unexpected {other:?}"),
    });
    let at_refresh = dir.to_owned();
    m.expect_get_tokens_from_refresh_token()
        .returning(move |request: RefreshRequest| {
            std::thread::sleep(SERVER_LATENCY);
            let _lock = server_lock(&at_refresh);
            let presented = request.refresh_token.expose().to_owned();
            let current = std::fs::read_to_string(at_refresh.join("current")).unwrap();
            let log_path = at_refresh.join("calls.log");
            let calls = std::fs::read_to_string(&log_path).unwrap_or_default();
            let n = u64::try_from(calls.lines().count()).unwrap() + 1;
            let mut log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .unwrap();
            if presented != current {
                writeln!(log, "reused {presented}").unwrap();
                return Err(Error::from_service(
                    "RefreshTokenReuseException",
                    "Refresh Token has been replaced by refresh token rotation",
                ));
            }
            let rotated = format!("rt.{n}");
            std::fs::write(at_refresh.join("current"), &rotated).unwrap();
            writeln!(log, "ok {presented}").unwrap();
            Ok(tokens("alice", &rotated, Some(rotated.clone()), n))
        });
    m.expect_get_user().returning(|token| {
        let access = AccessToken::parse(token)?;
        let user = access.username().unwrap_or_default().to_owned();
        Ok(User::new(Username::new(user)?, Attributes::new()))
    });
    m
}

/// The server's lock, held while the returned file is open.
fn server_lock(dir: &Path) -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("server.lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

/// The rotation test's child: `sign_in`, `restart`, `refresh` (forced) and `quit`.
#[test]
fn rotation_child() {
    let Some(dir) = std::env::var_os(ROTATION_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let build = || {
            Auth::builder()
                .user_pool_id("us-east-1_Shared")
                .client_id(CLIENT)
                .transport(Arc::new(rotating_transport(&dir)))
                .storage(Arc::new(FileStore::new(dir.join("tokens.json"))))
                .auth_flow(AuthFlow::UserPassword)
                .retry(RetryPolicy::none())
                .build()
                .unwrap()
        };
        let mut auth = build();
        for line in std::io::stdin().lock().lines() {
            let line = line.unwrap();
            let result = match line.trim() {
                "sign_in" => outcome(auth.sign_in("alice", "Pa55word!").await),
                "restart" => {
                    auth = build();
                    outcome(auth.current_session().await)
                }
                "refresh" => outcome(
                    auth.current_authenticated_user_with(
                        userpool::CurrentUserOptions::default().bypass_cache(),
                    )
                    .await,
                ),
                "quit" => break,
                other => panic!("unknown command {other:?}"),
            };
            let mem = peek(&auth).await;
            println!("@@ {result} {mem}");
            std::io::stdout().flush().unwrap();
        }
    });
}

/// N processes on one FileStore refresh at once, against a server that refuses a token
/// it has replaced: each round makes exactly one GetTokensFromRefreshToken, no process
/// ever sends a replaced token, and every process ends with the newest one.
#[test]
fn processes_refreshing_at_once_send_each_rotated_token_once() {
    const PROCESSES: usize = 4;
    const ROUNDS: usize = 4;
    let dir = std::env::temp_dir().join(format!("userpool-rotation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let start = |_| {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "rotation_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ROTATION_ENV, &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, answer)) = line.split_once("@@ ")
                    && tx.send(answer.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        Process {
            child,
            stdin,
            answers,
        }
    };
    let mut procs: Vec<Process> = (0..PROCESSES).map(start).collect();
    procs[0].send("sign_in");
    assert_eq!(procs[0].answer("sign_in").0, "ok");
    for p in &mut procs[1..] {
        p.send("restart");
        assert_eq!(p.answer("restart").0, "ok");
    }
    let server_log = || std::fs::read_to_string(dir.join("calls.log")).unwrap_or_default();
    for round in 1..=ROUNDS {
        for p in &mut procs {
            p.send("refresh");
        }
        let answers: Vec<(String, Mem)> = procs.iter_mut().map(|p| p.answer("refresh")).collect();
        let newest = std::fs::read_to_string(dir.join("current")).unwrap();
        let log = server_log();
        for (i, (result, mem)) in answers.iter().enumerate() {
            assert_eq!(result, "ok", "round {round}: process {i}\n{log}");
            assert_eq!(
                mem.as_ref().map(|(_, rt)| rt.as_str()),
                Some(newest.as_str()),
                "round {round}: process {i} does not hold the newest token\n{log}"
            );
        }
        assert_eq!(
            log.lines().count(),
            round,
            "round {round}: one GetTokensFromRefreshToken per round\n{log}"
        );
    }
    let log = server_log();
    assert!(!log.contains("reused"), "a replaced token was sent:\n{log}");
    let expected: Vec<String> = (0..ROUNDS).map(|n| format!("ok rt.{n}")).collect();
    assert_eq!(log.lines().collect::<Vec<_>>(), expected);
    assert_eq!(
        stored(&dir.join("tokens.json")).map(|(_, rt)| rt),
        Some(format!("rt.{ROUNDS}"))
    );
    for p in procs {
        let stderr = p.finish();
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
