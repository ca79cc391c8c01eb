//! Input the server must survive without a panic or a wrong answer: configured durations
//! as large as `Duration::MAX`, rows of the database damaged behind its back, schema
//! constraints outside `u32`, paths and query strings axum cannot decode. Each test fed
//! the old code into a panic (an `InternalErrorException` or a dropped connection) or a
//! silently wrong result, and states what is answered now.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
use serde_json::json;
use userpool_local::{ClientConfig, Limits, LocalPool, PoolConfig};

use crate::common::*;

/// A fresh data directory under the target's temporary directory.
fn data_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hostile-{name}-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A second connection to the server's database, to damage rows as a disk fault or a
/// hand edit would.
fn database(dir: &std::path::Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.join("userpool.sqlite3")).expect("open database");
    c.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    c
}

#[tokio::test]
async fn an_srp_attempt_validity_of_duration_max_is_honoured() {
    // `Instant::now() + validity` panicked: every SRP sign-in was a 500.
    let mut limits = Limits::default();
    limits.srp_attempt_validity = Duration::MAX;
    let ctx = start_with(
        LocalPool::builder().limits(limits),
        PoolConfig::new("long"),
        ClientConfig::new("app"),
    )
    .await;
    ctx.server
        .create_user(&ctx.pool_id, "ann", PW, &[])
        .await
        .unwrap();
    let tokens = srp_sign_in(&ctx, "ann", PW).await.expect("SRP sign-in");
    assert!(tokens.access_token().is_some());
}

#[tokio::test]
async fn a_lockout_of_duration_max_locks_the_user() {
    // The lock's milliseconds were cast with `as i64`: Duration::MAX became -1 ms, a lock
    // that ended before it began, and the right password was accepted again at once.
    let limits = Limits::default().with_lockout(1, Duration::MAX, Duration::MAX);
    let ctx = start_with(
        LocalPool::builder().limits(limits),
        PoolConfig::new("locked"),
        ClientConfig::new("app").with_password_auth(),
    )
    .await;
    ctx.server
        .create_user(&ctx.pool_id, "bob", PW, &[])
        .await
        .unwrap();
    for _ in 0..2 {
        let (code, _) = err(password_sign_in(&ctx, "bob", "Wrong-Passw0rd").await);
        assert_eq!(code, "NotAuthorizedException");
    }
    let (code, message) = err(password_sign_in(&ctx, "bob", PW).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("NotAuthorizedException", "Password attempts exceeded")
    );
}

#[tokio::test]
async fn codes_valid_for_duration_max_can_be_used() {
    // Same cast: a code valid "forever" had expired a millisecond before it was sent.
    let limits = Limits::default().with_code_validity(Duration::MAX, Duration::MAX);
    let ctx = start_with(
        LocalPool::builder().limits(limits),
        email_pool(),
        ClientConfig::new("app").with_password_auth(),
    )
    .await;
    sign_up_confirmed(&ctx, "cat", PW, "cat@example.com").await;
    password_sign_in(&ctx, "cat", PW)
        .await
        .expect("a confirmed user signs in");
}

#[tokio::test]
async fn a_request_window_of_duration_max_still_limits_requests() {
    // Same cast: a window of -1 ms was always over, so the request limit never applied.
    let limits = Limits::default().with_code_limits(5, 1, Duration::MAX);
    let ctx = start_with(
        LocalPool::builder().limits(limits),
        email_pool(),
        ClientConfig::new("app"),
    )
    .await;
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("dan")
        .password(PW)
        .user_attributes(attr("email", "dan@example.com"))
        .send()
        .await
        .expect("sign up sends the one code allowed");
    let (code, _) = err(ctx
        .sdk
        .resend_confirmation_code()
        .client_id(&ctx.client_id)
        .username("dan")
        .send()
        .await);
    assert_eq!(code, "LimitExceededException");
}

#[tokio::test]
async fn a_body_timeout_of_duration_max_serves_requests() {
    // `Instant::now() + timeout` panicked in the handler: the connection was dropped
    // without an answer.
    let server = LocalPool::builder()
        .read_timeouts(Duration::from_secs(30), Duration::MAX)
        .start()
        .await
        .unwrap();
    let out = call(
        server.local_addr(),
        "ListUserPools",
        &json!({"MaxResults": 5}),
    )
    .await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.json()["UserPools"].is_array(), "{}", out.body);
}

#[tokio::test]
async fn string_constraints_outside_the_schema_range_are_refused() {
    // `v as u32` stored "-1" as 4294967295 and "4294967296" as 0.
    let server = LocalPool::builder().start().await.unwrap();
    let addr = server.local_addr();
    let pool_with = |member: &str, value: &str| {
        json!({
            "PoolName": "schema",
            "Schema": [{
                "Name": "team",
                "AttributeDataType": "String",
                "StringAttributeConstraints": { member: value },
            }],
        })
    };
    for (member, value) in [
        ("MinLength", "-1"),
        ("MaxLength", "4294967296"),
        ("MaxLength", "2049"),
    ] {
        let out = call(addr, "CreateUserPool", &pool_with(member, value)).await;
        assert_eq!(out.status, 400, "{member} {value}: {}", out.body);
        let body = out.json();
        assert_eq!(body["__type"], "InvalidParameterException", "{}", out.body);
        assert!(
            body["message"].as_str().unwrap_or("").contains(member),
            "{}",
            out.body
        );
    }
    let out = call(addr, "CreateUserPool", &pool_with("MaxLength", "2048")).await;
    assert_eq!(out.status, 200, "{}", out.body);
}

#[tokio::test]
async fn a_damaged_user_row_is_an_error_and_is_not_overwritten() {
    // Unreadable attributes were read as none; the next update wrote `{}` over them.
    let dir = data_dir("user-row");
    let ctx = start_with(
        LocalPool::builder().data_dir(&dir),
        PoolConfig::new("damaged"),
        ClientConfig::new("app"),
    )
    .await;
    ctx.server
        .create_user(&ctx.pool_id, "eve", PW, &[("email", "eve@example.com")])
        .await
        .unwrap();
    let db = database(&dir);
    let damaged = r#"{"email":"eve@exa"#;
    db.execute(
        "UPDATE users SET attrs = ?1 WHERE username = 'eve'",
        [damaged],
    )
    .unwrap();

    let got = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("eve")
        .send()
        .await;
    let e = got.expect_err("a damaged row is not a user without attributes");
    assert_eq!(e.code(), Some("InternalErrorException"), "{e:?}");
    let updated = ctx
        .sdk
        .admin_update_user_attributes()
        .user_pool_id(&ctx.pool_id)
        .username("eve")
        .user_attributes(attr("name", "Eve"))
        .send()
        .await;
    let e = updated.expect_err("an update of a damaged row is refused");
    assert_eq!(e.code(), Some("InternalErrorException"), "{e:?}");
    let stored: String = db
        .query_row("SELECT attrs FROM users WHERE username = 'eve'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, damaged, "the damaged value is kept for repair");

    // An unknown status was read as UNCONFIRMED, and written back as such.
    db.execute(
        "UPDATE users SET attrs = '{}', status = 'SUSPENDED' WHERE username = 'eve'",
        [],
    )
    .unwrap();
    let e = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("eve")
        .send()
        .await
        .expect_err("an unknown status is not UNCONFIRMED");
    assert_eq!(e.code(), Some("InternalErrorException"), "{e:?}");
    drop(ctx);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_damaged_code_window_does_not_break_resending() {
    // `now - window_start_ms` overflowed for a stored i64::MIN: every resend was a 500.
    let dir = data_dir("code-row");
    let ctx = start_with(
        LocalPool::builder().data_dir(&dir),
        email_pool(),
        ClientConfig::new("app"),
    )
    .await;
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("fay")
        .password(PW)
        .user_attributes(attr("email", "fay@example.com"))
        .send()
        .await
        .unwrap();
    let changed = database(&dir)
        .execute("UPDATE codes SET window_start_ms = ?1", [i64::MIN])
        .unwrap();
    assert_eq!(changed, 1);
    ctx.sdk
        .resend_confirmation_code()
        .client_id(&ctx.client_id)
        .username("fay")
        .send()
        .await
        .expect("a new window starts");
    let code = ctx.server.latest_code(&ctx.pool_id, "fay").unwrap();
    ctx.sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("fay")
        .confirmation_code(code)
        .send()
        .await
        .expect("the resent code confirms");
    drop(ctx);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn undecodable_paths_and_queries_are_answered_in_json() {
    // axum's own refusals are plain text; a client reading `__type` got nothing.
    let server = LocalPool::builder().start().await.unwrap();
    let addr = server.local_addr();
    for path in [
        "/_local/outbox?pool=a&pool=b",
        "/%FF%FE/.well-known/jwks.json",
        "/%FF%FE/.well-known/openid-configuration",
    ] {
        let out = raw(addr, "GET", path, &[], b"").await;
        assert_eq!(out.status, 400, "{path}: {}", out.body);
        assert_eq!(
            out.header("x-amzn-errortype"),
            Some("InvalidParameterException"),
            "{path}"
        );
        assert_eq!(
            out.json()["__type"],
            "InvalidParameterException",
            "{path}: {}",
            out.body
        );
    }
    // The well-formed forms still work.
    let out = raw(addr, "GET", "/_local/outbox?pool=a", &[], b"").await;
    assert_eq!(out.status, 200, "{}", out.body);
}
