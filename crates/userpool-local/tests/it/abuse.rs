//! Abusive clients: slow headers and bodies (slowloris), oversized bodies from stock Python
//! clients, floods of unanswered SRP sign-ins. Each test checks the bound holds and that
//! other clients are served meanwhile. Waits are bounded to detect a hang, never timed.

use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use userpool_local::{ClientConfig, LocalPool, PendingLimits, PoolConfig};

use crate::common::*;
use crate::peer;

/// Far above the configured read timeouts: only a hang reaches it.
const HANG: Duration = Duration::from_secs(20);

fn quick_timeouts() -> userpool_local::LocalPoolBuilder {
    LocalPool::builder().read_timeouts(Duration::from_millis(800), Duration::from_millis(800))
}

/// Reads until the server closes the connection; `None` if it has not within `HANG`.
async fn read_until_closed(s: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + HANG;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn slow_headers_are_cut_off_while_others_are_served() {
    let ctx = start_with(
        quick_timeouts(),
        PoolConfig::new("slow"),
        ClientConfig::new("app"),
    )
    .await;
    let addr = ctx.server.local_addr();
    // Ten connections that send their headers a byte at a time, forever.
    let mut slow = Vec::new();
    for _ in 0..10 {
        slow.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let started = Instant::now();
            let head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools\r\nX-Padding: ";
            let mut i = 0usize;
            loop {
                let byte = head.get(i).copied().unwrap_or(b'a');
                i += 1;
                if s.write_all(&[byte]).await.is_err() {
                    break;
                }
                let mut probe = [0u8; 64];
                match tokio::time::timeout(Duration::from_millis(100), s.read(&mut probe)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => break,
                    Ok(Ok(_)) | Err(_) => {}
                }
                assert!(started.elapsed() < HANG, "a slow header connection was never closed");
            }
        }));
    }
    // Meanwhile others are served.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..5 {
        ctx.server
            .create_user(&ctx.pool_id, &format!("u{i}"), PW, &[])
            .await
            .unwrap();
        let out = ctx
            .sdk
            .list_users()
            .user_pool_id(&ctx.pool_id)
            .send()
            .await
            .unwrap();
        assert_eq!(out.users().len(), i + 1);
    }
    for t in slow {
        tokio::time::timeout(HANG + Duration::from_secs(5), t)
            .await
            .expect("slow connection task ended")
            .unwrap();
    }
}

#[tokio::test]
async fn a_body_that_never_ends_is_answered_and_closed() {
    let ctx = start_with(
        quick_timeouts(),
        PoolConfig::new("slow"),
        ClientConfig::new("app"),
    )
    .await;
    let addr = ctx.server.local_addr();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools\r\nContent-Length: 1000\r\n\r\n{\"MaxRes",
    )
    .await
    .unwrap();
    // Served meanwhile.
    ctx.sdk
        .list_user_pools()
        .max_results(5)
        .send()
        .await
        .unwrap();
    let answer = read_until_closed(&mut s)
        .await
        .expect("the connection was never closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("RequestTimeoutException"), "{text}");
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let server = quick_timeouts().start().await.unwrap();
    let mut s = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let answer = read_until_closed(&mut s)
        .await
        .expect("an idle connection stayed open");
    assert!(answer.is_empty() || String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"));
}

/// A 12 MB body sent whole before the answer is read, as Python's http.client does.
const PY_HTTP_CLIENT: &str = r#"
import http.client, json, sys
host, port = sys.argv[1], int(sys.argv[2])
body = json.dumps({"ClientId": "x", "Username": "big", "Password": "a" * (12 * 1024 * 1024)})
conn = http.client.HTTPConnection(host, port, timeout=60)
conn.request("POST", "/", body=body, headers={
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp",
})
resp = conn.getresponse()
print(resp.status)
print(resp.read().decode())
"#;

/// The same through boto3 (botocore's own HTTP stack, retries included).
const PY_BOTO3: &str = r#"
import sys, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
client = boto3.client("cognito-idp", endpoint_url=sys.argv[1], region_name="us-east-1",
    aws_access_key_id="local", aws_secret_access_key="local",
    config=Config(retries={"max_attempts": 1}))
try:
    client.sign_up(ClientId=sys.argv[2], Username="big", Password="Aa1!" + "a" * (12 * 1024 * 1024))
    print("accepted?")
except ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"])
    print(e.response["Error"]["Code"])
"#;

fn run_python(python: &str, script: &str, args: &[String]) -> (bool, String, String) {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether `python3 --version` runs.
fn python3_on_path() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

#[tokio::test]
async fn an_oversized_body_from_python_http_client_gets_the_413_json_error() {
    let server = LocalPool::builder().start().await.unwrap();
    let addr = server.local_addr();
    let args = vec![addr.ip().to_string(), addr.port().to_string()];
    // Any Python 3 will do (only the standard library is used): the peers' venv when set,
    // else `python3` from PATH.
    let python = match std::env::var(peer::BOTO3_PYTHON) {
        Ok(python) => python,
        Err(_) if python3_on_path() => "python3".to_owned(),
        Err(_) => {
            peer::missing(
                "an_oversized_body_from_python_http_client_gets_the_413_json_error",
                "no Python 3: USERPOOL_BOTO3_PYTHON is not set and python3 is not on PATH",
                peer::BOTO3_PYTHON,
            );
            return;
        }
    };
    let (ok, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_python(&python, PY_HTTP_CLIENT, &args))
            .await
            .unwrap();
    assert!(
        ok,
        "http.client failed (broken pipe?)\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("413"), "{stdout}");
    let body: serde_json::Value = serde_json::from_str(lines.next().unwrap_or("")).unwrap();
    assert_eq!(body["__type"], "RequestEntityTooLargeException");
    // The server still serves.
    let r = call(addr, "ListUserPools", &json!({"MaxResults": 1})).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn an_oversized_body_from_boto3_gets_the_413_json_error() {
    let Some(python) = peer::from_env(
        "an_oversized_body_from_boto3_gets_the_413_json_error",
        peer::BOTO3_PYTHON,
        "a Python interpreter with boto3 installed",
    ) else {
        return;
    };
    let ctx = start(PoolConfig::new("big"), ClientConfig::new("app")).await;
    let args = vec![ctx.server.endpoint().to_owned(), ctx.client_id.clone()];
    let (ok, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_python(&python, PY_BOTO3, &args))
            .await
            .unwrap();
    assert!(ok, "boto3 failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["413", "RequestEntityTooLargeException"], "{stderr}");
}

/// Starts an SRP sign-in and leaves it unanswered; answers the SECRET_BLOCK.
async fn start_srp(ctx: &Ctx, client_id: &str, username: &str) -> Result<String, String> {
    let client = userpool_srp::SrpClient::new().unwrap();
    ctx.sdk
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("SRP_A", client.srp_a_hex())
        .send()
        .await
        .map(|out| out.challenge_parameters().unwrap()["SECRET_BLOCK"].clone())
        .map_err(|e| {
            use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
            e.code().unwrap_or("").to_owned()
        })
}

#[tokio::test]
async fn a_flood_of_unanswered_srp_sign_ins_for_one_user_leaves_others_signing_in() {
    const PER_USER: usize = 4;
    const FLOOD: usize = 400;
    let ctx = start_with(
        LocalPool::builder().pending_limits(
            PendingLimits::default()
                .with_per_user(PER_USER)
                .with_per_client(50),
        ),
        PoolConfig::new("flood"),
        ClientConfig::new("app"),
    )
    .await;
    let victim = ctx
        .server
        .create_user(&ctx.pool_id, "victim", PW, &[])
        .await
        .unwrap();
    ctx.server
        .create_user(&ctx.pool_id, "bystander", PW, &[])
        .await
        .unwrap();
    // The flood, from 8 concurrent callers, while the bystander signs in.
    let mut callers = Vec::new();
    for _ in 0..8 {
        let sdk = ctx.sdk.clone();
        let client_id = ctx.client_id.clone();
        callers.push(tokio::spawn(async move {
            for _ in 0..FLOOD / 8 {
                let client = userpool_srp::SrpClient::new().unwrap();
                sdk.initiate_auth()
                    .client_id(&client_id)
                    .auth_flow(AuthFlowType::UserSrpAuth)
                    .auth_parameters("USERNAME", "victim")
                    .auth_parameters("SRP_A", client.srp_a_hex())
                    .send()
                    .await
                    .expect("a flooded user's sign-in still starts");
            }
        }));
    }
    for _ in 0..3 {
        srp_sign_in(&ctx, "bystander", PW)
            .await
            .expect("others sign in during the flood");
    }
    for c in callers {
        c.await.unwrap();
    }
    let held = ctx.server.pending_srp_attempts_of(&ctx.pool_id, &victim);
    assert!(held <= PER_USER, "{held} attempts held for one user");
    let stats = ctx.server.pending_stats();
    assert!(stats.srp_attempts <= PER_USER + 3, "{stats:?}");
    assert!(stats.srp_bytes <= (PER_USER + 3) * 8 * 1024, "{stats:?}");
    // The flooded user's own next sign-in works; so does everyone else's.
    srp_sign_in(&ctx, "victim", PW)
        .await
        .expect("the flooded user signs in");
    srp_sign_in(&ctx, "bystander", PW)
        .await
        .expect("others sign in after the flood");
}

#[tokio::test]
async fn the_per_client_bound_refuses_that_client_only() {
    let ctx = start_with(
        LocalPool::builder().pending_limits(PendingLimits::default().with_per_client(5)),
        PoolConfig::new("clients"),
        ClientConfig::new("flooded"),
    )
    .await;
    let other = ctx
        .server
        .create_client(&ctx.pool_id, ClientConfig::new("other"))
        .await
        .unwrap();
    for i in 0..6 {
        ctx.server
            .create_user(&ctx.pool_id, &format!("u{i}"), PW, &[])
            .await
            .unwrap();
    }
    for i in 0..5 {
        start_srp(&ctx, &ctx.client_id, &format!("u{i}"))
            .await
            .unwrap();
    }
    assert_eq!(
        start_srp(&ctx, &ctx.client_id, "u5").await.unwrap_err(),
        "TooManyRequestsException"
    );
    start_srp(&ctx, &other.client_id, "u5")
        .await
        .expect("another client is not refused");
}

#[tokio::test]
async fn unknown_users_get_a_stable_challenge_that_stores_nothing() {
    let mut client = ClientConfig::new("quiet");
    client.prevent_user_existence_errors = true;
    let mut pool = PoolConfig::new("fake");
    pool.case_sensitive_usernames = false;
    let ctx = start(pool, client).await;
    let salt = |name: &'static str| {
        let ctx = &ctx;
        async move {
            let c = userpool_srp::SrpClient::new().unwrap();
            let out = ctx
                .sdk
                .initiate_auth()
                .client_id(&ctx.client_id)
                .auth_flow(AuthFlowType::UserSrpAuth)
                .auth_parameters("USERNAME", name)
                .auth_parameters("SRP_A", c.srp_a_hex())
                .send()
                .await
                .unwrap();
            out.challenge_parameters().unwrap()["SALT"].clone()
        }
    };
    let first = salt("nobody").await;
    for _ in 0..20 {
        assert_eq!(
            salt("nobody").await,
            first,
            "the SALT of an unknown user changes"
        );
    }
    assert_eq!(
        salt("NOBODY").await,
        first,
        "the pool is case-insensitive: NOBODY is nobody"
    );
    assert_ne!(salt("someone-else").await, first);
    assert_eq!(ctx.server.pending_stats().srp_attempts, 0);
    // Answering it fails like a wrong password.
    let (code, message) = srp_sign_in(&ctx, "nobody", PW).await.unwrap_err();
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("NotAuthorizedException", "Incorrect username or password.")
    );
}
