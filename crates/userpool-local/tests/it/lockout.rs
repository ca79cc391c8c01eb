//! The lockout counter under concurrency: parallel wrong passwords over both flows are
//! decided one by one against the counter, and ChangePassword guesses count too.

use std::time::Duration;

use serde_json::json;
use userpool_local::{ClientConfig, Limits, LocalPool};

use crate::common::*;
use crate::races::{finish_srp, prepare_srp};

/// A fresh directory under the system's temporary directory.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "userpool-local-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The stored failure counter of a user, read from the database file.
fn stored_failures(dir: &std::path::Path, username: &str) -> i64 {
    let c = rusqlite::Connection::open_with_flags(
        dir.join("userpool.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open database");
    c.query_row(
        "SELECT failed FROM users WHERE username = ?1",
        [username],
        |r| r.get(0),
    )
    .expect("user row")
}

const WRONG: &str = "Wrong-Passw0rd";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_parallel_wrong_guesses_are_each_decided_against_the_counter() {
    const GUESSES: usize = 20;
    let dir = temp_dir("lockout");
    // A long first lock, so that every guess of the burst lands inside it.
    let limits =
        Limits::default().with_lockout(5, Duration::from_secs(600), Duration::from_secs(900));
    let ctx = start_with(
        LocalPool::builder().limits(limits).data_dir(&dir),
        email_pool(),
        ClientConfig::new("web").with_password_auth(),
    )
    .await;
    ctx.server
        .create_user(&ctx.pool_id, "gus", PW, &[])
        .await
        .unwrap();
    // Half of the guesses are full SRP sign-ins (InitiateAuth done up front), half
    // USER_PASSWORD_AUTH; all of them are sent at once.
    let mut prepared = Vec::new();
    for _ in 0..GUESSES / 2 {
        prepared.push(prepare_srp(&ctx, "gus", WRONG).await);
    }
    let ctx = std::sync::Arc::new(ctx);
    let mut tasks = Vec::new();
    for p in prepared {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            finish_srp(&ctx, &p).await.map(|_| ()).unwrap_err()
        }));
    }
    for _ in 0..GUESSES / 2 {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let out = call(
                ctx.server.local_addr(),
                "InitiateAuth",
                &json!({
                    "ClientId": ctx.client_id,
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": { "USERNAME": "gus", "PASSWORD": WRONG },
                }),
            )
            .await;
            let v = out.json();
            (
                v["__type"].as_str().unwrap_or("").to_owned(),
                v["message"].as_str().unwrap_or("").to_owned(),
            )
        }));
    }
    let mut incorrect = 0;
    let mut exceeded = 0;
    for t in tasks {
        let (code, message) = tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("no hang")
            .unwrap();
        assert_eq!(code, "NotAuthorizedException", "{message}");
        match message.as_str() {
            "Incorrect username or password." => incorrect += 1,
            "Password attempts exceeded" => exceeded += 1,
            other => panic!("unexpected message {other}"),
        }
    }
    // Every guess was decided with the counter as the earlier ones left it: five counted
    // failures lock the user, the other fifteen land in the lock and (as in Cognito) do
    // not lengthen it.
    assert_eq!((incorrect, exceeded), (5, GUESSES - 5));
    assert_eq!(stored_failures(&dir, "gus"), 5);
    // Locked: the right password is refused too, over both flows.
    let (_, msg) = err(password_sign_in(&ctx, "gus", PW).await);
    assert_eq!(msg, "Password attempts exceeded");
    let e = srp_sign_in(&ctx, "gus", PW).await.unwrap_err();
    assert_eq!(e.1, "Password attempts exceeded");
    assert_eq!(stored_failures(&dir, "gus"), 5);
    drop(ctx);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn wrong_previous_passwords_of_change_password_count_and_lock() {
    let limits =
        Limits::default().with_lockout(5, Duration::from_secs(600), Duration::from_secs(900));
    let ctx = start_with(
        LocalPool::builder().limits(limits),
        email_pool(),
        ClientConfig::new("web").with_password_auth(),
    )
    .await;
    ctx.server
        .create_user(&ctx.pool_id, "hal", PW, &[])
        .await
        .unwrap();
    let tokens = srp_sign_in(&ctx, "hal", PW).await.unwrap();
    let access = tokens.access_token().unwrap().to_owned();
    let change = |previous: &'static str| {
        ctx.sdk
            .change_password()
            .access_token(&access)
            .previous_password(previous)
            .proposed_password("N3w-Passw0rd!")
            .send()
    };
    for _ in 0..5 {
        let (code, msg) = err(change(WRONG).await);
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("NotAuthorizedException", "Incorrect username or password.")
        );
    }
    // Cognito's answer to ChangePassword once the attempts are used up.
    let (code, msg) = err(change(WRONG).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time."
        )
    );
    let (code, _) = err(change(PW).await);
    assert_eq!(code, "LimitExceededException");
    // The same counter locks sign-in.
    let (_, msg) = err(password_sign_in(&ctx, "hal", PW).await);
    assert_eq!(msg, "Password attempts exceeded");
}

#[tokio::test]
async fn a_right_previous_password_resets_the_counter() {
    let ctx = start(email_pool(), ClientConfig::new("web").with_password_auth()).await;
    ctx.server
        .create_user(&ctx.pool_id, "ida", PW, &[])
        .await
        .unwrap();
    let tokens = srp_sign_in(&ctx, "ida", PW).await.unwrap();
    let access = tokens.access_token().unwrap();
    for _ in 0..4 {
        let (code, _) = err(ctx
            .sdk
            .change_password()
            .access_token(access)
            .previous_password(WRONG)
            .proposed_password("N3w-Passw0rd!")
            .send()
            .await);
        assert_eq!(code, "NotAuthorizedException");
    }
    ctx.sdk
        .change_password()
        .access_token(access)
        .previous_password(PW)
        .proposed_password("N3w-Passw0rd!")
        .send()
        .await
        .unwrap();
    // Four more wrong ones do not lock: the count started again.
    for _ in 0..4 {
        let (_, msg) = err(password_sign_in(&ctx, "ida", WRONG).await);
        assert_eq!(msg, "Incorrect username or password.");
    }
    password_sign_in(&ctx, "ida", "N3w-Passw0rd!")
        .await
        .unwrap();
}
