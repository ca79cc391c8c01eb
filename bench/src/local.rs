//! What the criterion bench (`benches/server.rs`) and the programs `userpool-measure` and
//! `userpool-srp-flood` share: an SDK client for a local endpoint, the two sign-ins
//! through it, the server program as a child process, and the admin set-up of a pool. The RS256 signer they time is the server's own
//! (`userpool_local::bench_internals::SigningKey`).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType, MessageActionType,
};

/// An SDK client for a local pool (plain HTTP, dummy credentials).
pub fn sdk(endpoint: &str) -> cip::Client {
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    cip::Client::from_conf(config)
}

/// InitiateAuth (USER_SRP_AUTH) then RespondToAuthChallenge (PASSWORD_VERIFIER) with
/// userpool-srp's client; panics unless the sign-in succeeds.
pub async fn srp_sign_in(
    sdk: &cip::Client,
    pool_id: &str,
    client_id: &str,
    user: &str,
    password: &str,
) {
    let sign_in = userpool_srp::SrpSignIn::new().expect("srp");
    let out = sdk
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("SRP_A", sign_in.srp_a())
        .send()
        .await
        .expect("initiate");
    let p = out.challenge_parameters().expect("params");
    let ts = userpool_srp::timestamp(SystemTime::now());
    let answer = sign_in
        .answer(pool_id, password, &ts, |k| p.get(k).map(String::as_str))
        .expect("claim");
    let mut respond = sdk
        .respond_to_auth_challenge()
        .client_id(client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier);
    for (name, value) in answer.responses() {
        respond = respond.challenge_responses(name, value);
    }
    let out = respond.send().await.expect("respond");
    assert!(out.authentication_result().is_some());
}

/// One InitiateAuth (USER_PASSWORD_AUTH); panics unless the sign-in succeeds.
pub async fn password_sign_in(sdk: &cip::Client, client_id: &str, user: &str, password: &str) {
    let out = sdk
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .expect("USER_PASSWORD_AUTH");
    assert!(out.authentication_result().is_some());
}

/// The `userpool-local` server program, running in memory on a free loopback port, as
/// its own process (so that its memory and CPU time are its own). Killed on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// From spawning to the server's "listening" line.
    pub listening_after: Duration,
    clock_ticks: f64,
}

impl ServerProcess {
    /// Starts the `userpool-local` program that sits next to the running one (both are
    /// built by `cargo build --release -p userpool-bench --bins -p userpool-local`).
    pub fn start() -> Self {
        let exe = std::env::current_exe().expect("own path");
        let program = exe.with_file_name("userpool-local");
        let started = Instant::now();
        let mut child = Command::new(&program)
            .args(["--port", "0", "--in-memory"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "starting {} ({e}); build it with `cargo build --release -p userpool-local`",
                    program.display()
                )
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the server's first line");
        let listening_after = started.elapsed();
        // "userpool-local listening on http://127.0.0.1:PORT"
        let endpoint = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|e| e.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"))
            .to_owned();
        let clock_ticks = clock_ticks();
        Self {
            child,
            endpoint,
            listening_after,
            clock_ticks,
        }
    }

    /// `host:port` of the endpoint.
    pub fn addr(&self) -> &str {
        self.endpoint.trim_start_matches("http://")
    }

    /// A memory figure of `/proc/PID/status` in KiB (`"VmRSS:"`, `"VmHWM:"`); 0 if unread.
    pub fn status_kib(&self, key: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with(key))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }

    /// The server's CPU time so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        process_cpu_seconds(self.child.id(), self.clock_ticks)
    }
}

/// Clock ticks per second of `/proc/PID/stat`'s times (`getconf CLK_TCK`; 100, Linux's
/// USER_HZ, if that cannot be asked).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// The fields of a `/proc/PID/stat` line after the command name, which is in parentheses
/// and may hold spaces: the first is the state, field 3 of stat(5).
pub fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

/// CPU time (user + system) of process `pid` so far, in seconds; 0 if it cannot be read.
pub fn process_cpu_seconds(pid: u32, clock_ticks: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields = stat_fields(&stat);
    // utime and stime are fields 14 and 15 of stat(5)
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / clock_ticks
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a pool and an app client with `flows` through the admin API; returns their ids.
pub async fn create_pool_and_client(
    sdk: &cip::Client,
    name: &str,
    flows: &[ExplicitAuthFlowsType],
) -> (String, String) {
    let pool = sdk
        .create_user_pool()
        .pool_name(name)
        .send()
        .await
        .expect("CreateUserPool");
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .expect("pool id")
        .to_owned();
    let client = sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(name)
        .set_explicit_auth_flows((!flows.is_empty()).then(|| flows.to_vec()))
        .send()
        .await
        .expect("CreateUserPoolClient");
    let client_id = client
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("client id")
        .to_owned();
    (pool_id, client_id)
}

/// Makes `username` able to sign in with `password` (creating the user unless `exists`).
pub async fn confirmed_user(
    sdk: &cip::Client,
    pool_id: &str,
    username: &str,
    password: &str,
    exists: bool,
) {
    if !exists {
        sdk.admin_create_user()
            .user_pool_id(pool_id)
            .username(username)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .expect("AdminCreateUser");
    }
    sdk.admin_set_user_password()
        .user_pool_id(pool_id)
        .username(username)
        .password(password)
        .permanent(true)
        .send()
        .await
        .expect("AdminSetUserPassword");
}
