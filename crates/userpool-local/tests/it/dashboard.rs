//! The dashboard (`GET /` in a browser) over HTTP: what it shows, its actions, and what a
//! page from another origin, a foreign `Host` or a form without its CSRF token cannot do.
//! The Chromium test at the end drives it in a real browser
//! (`tests/peer/dashboard_chromium.js`).

use aws_sdk_cognitoidentityprovider::types::{
    SmsMfaConfigType, SmsMfaSettingsType, UserPoolMfaType,
};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

use crate::common::*;
use crate::hosted_common::encode;

const HTML: (&str, &str) = (
    "Accept",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
);
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const EVIL: &str = "http://evil.example";

/// A browser's session with the dashboard: its cookie and the page's CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

/// Loads the dashboard as a browser does and keeps the cookie and the token of its forms
/// (a page has forms when a pool has users).
async fn open(addr: std::net::SocketAddr) -> (Raw, Session) {
    let page = raw(addr, "GET", "/", &[HTML], b"").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let cookie = page
        .header("set-cookie")
        .expect("a cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = value_after(&page.body, r#"name="csrf" value=""#).expect("a CSRF field");
    (page, Session { cookie, csrf })
}

fn value_after(text: &str, marker: &str) -> Option<String> {
    let start = text.find(marker)? + marker.len();
    let end = text[start..].find('"')?;
    Some(text[start..start + end].to_owned())
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(n, v)| format!("{n}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An action as the dashboard's own form posts it, with `extra` headers after the
/// cookie (or instead of the same-origin `Origin` when `origin` is `None`).
async fn post(
    addr: std::net::SocketAddr,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    body: &str,
) -> Raw {
    let own = format!("http://{addr}");
    let mut headers = vec![FORM];
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    let origin = origin.map(|o| if o == "self" { own.as_str() } else { o });
    if let Some(o) = origin {
        headers.push(("Origin", o));
    }
    raw(addr, "POST", path, &headers, body.as_bytes()).await
}

async fn status_of(ctx: &Ctx, username: &str) -> String {
    ctx.sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username(username)
        .send()
        .await
        .expect("AdminGetUser")
        .user_status()
        .expect("a status")
        .as_str()
        .to_owned()
}

async fn sign_up(ctx: &Ctx, username: &str, extra: &[(&str, &str)]) {
    let mut req = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username(username)
        .password(PW)
        .user_attributes(attr("email", &format!("{username}@example.com")));
    for (n, v) in extra {
        req = req.user_attributes(attr(n, v));
    }
    req.send().await.expect("sign up");
}

fn ctx_pool() -> PoolConfig {
    let mut p = email_pool();
    p.name = "dash-pool".into();
    p
}

fn ctx_client() -> ClientConfig {
    ClientConfig::new("dash-web").with_password_auth()
}

#[tokio::test]
async fn sdks_and_curl_still_get_the_json_index() {
    let ctx = start(ctx_pool(), ctx_client()).await;
    let addr = ctx.server.local_addr();
    for headers in [
        vec![],
        vec![("Accept", "*/*")],
        vec![("Accept", "application/json")],
        vec![("Accept", "application/json, text/html")],
    ] {
        let r = raw(addr, "GET", "/", &headers, b"").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["service"], "userpool-local", "{headers:?}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(r.header("vary"), Some("Accept"));
    }
    let r = raw(addr, "GET", "/", &[HTML], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.body.starts_with("<!DOCTYPE html>"), "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn the_page_shows_pools_clients_users_codes_and_sign_ins() {
    let ctx = start(ctx_pool(), ctx_client()).await;
    let addr = ctx.server.local_addr();
    // A user with an attribute that is markup, in a group, with SMS MFA preferred.
    sign_up(
        &ctx,
        "ada",
        &[
            ("name", "<script>alert('x')</script>"),
            ("phone_number", "+15550101234"),
        ],
    )
    .await;
    let code = ctx.server.latest_code(&ctx.pool_id, "ada").expect("a code");
    ctx.sdk
        .create_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("testers")
        .send()
        .await
        .unwrap();
    ctx.sdk
        .admin_add_user_to_group()
        .user_pool_id(&ctx.pool_id)
        .username("ada")
        .group_name("testers")
        .send()
        .await
        .unwrap();
    ctx.sdk
        .set_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .mfa_configuration(UserPoolMfaType::Optional)
        .sms_mfa_configuration(
            SmsMfaConfigType::builder()
                .sms_authentication_message("Your code is {####}")
                .build(),
        )
        .send()
        .await
        .unwrap();
    ctx.sdk
        .admin_set_user_mfa_preference()
        .user_pool_id(&ctx.pool_id)
        .username("ada")
        .sms_mfa_settings(
            SmsMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // A confirmed user who signs in, and a wrong password.
    sign_up_confirmed(&ctx, "bob", PW, "bob@example.com").await;
    password_sign_in(&ctx, "bob", PW).await.expect("sign in");
    assert!(
        password_sign_in(&ctx, "bob", "Wr0ng-Password")
            .await
            .is_err()
    );

    let (page, _) = open(addr).await;
    let body = &page.body;
    for shown in [
        "dash-pool",
        ctx.pool_id.as_str(),
        "dash-web",
        ctx.client_id.as_str(),
        r#"data-user="ada""#,
        r#"data-status="UNCONFIRMED""#,
        r#"data-status="CONFIRMED""#,
        "ada@example.com",
        "testers",
        "SMS (preferred)",
        "MFA: OPTIONAL (SMS)",
        &format!(r#"data-code="{code}""#),
        &format!(r#"data-copy="{code}""#),
        "signed in",
        "NotAuthorizedException",
        "Incorrect username or password.",
        "USER_PASSWORD_AUTH",
        // The attribute is text, not markup.
        "&lt;script&gt;alert('x')&lt;/script&gt;",
        r#"name="viewport""#,
    ] {
        assert!(body.contains(shown), "{shown} not in the page:\n{body}");
    }
    assert!(!body.contains("<script>alert"), "{body}");
    // One script: the page's own, with its nonce.
    assert_eq!(body.matches("<script").count(), 1);
    // Only bob's sign-ins: no challenge, no refresh was recorded as one.
    assert_eq!(body.matches("signed in").count(), 1);
}

#[tokio::test]
async fn the_pages_carry_the_security_headers() {
    let ctx = start(ctx_pool(), ctx_client()).await;
    let addr = ctx.server.local_addr();
    sign_up(&ctx, "dora", &[]).await;
    let (page, session) = open(addr).await;
    let refused = post(
        addr,
        "/_local/dashboard/confirm",
        Some(&session.cookie),
        Some(EVIL),
        "",
    )
    .await;
    assert_eq!(refused.status, 403);
    for r in [&page, &refused] {
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
    // Inline script and style run by the answer's nonce only.
    let csp = page.header("content-security-policy").unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce");
    assert!(
        page.body.contains(&format!(r#"<script nonce="{nonce}">"#)),
        "{nonce}"
    );
    assert!(
        page.body.contains(&format!(r#"<style nonce="{nonce}">"#)),
        "{nonce}"
    );
    let cookie = page.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    // A second load with the cookie keeps it (no new one) and the same token.
    let again = raw(addr, "GET", "/", &[HTML, ("Cookie", &session.cookie)], b"").await;
    assert_eq!(again.header("set-cookie"), None);
    assert_eq!(
        value_after(&again.body, r#"name="csrf" value=""#).as_deref(),
        Some(session.csrf.as_str())
    );
}

#[tokio::test]
async fn the_actions_confirm_set_passwords_and_delete() {
    let ctx = start(ctx_pool(), ctx_client()).await;
    let addr = ctx.server.local_addr();
    sign_up(&ctx, "carol", &[]).await;
    assert_eq!(status_of(&ctx, "carol").await, "UNCONFIRMED");
    let (_, s) = open(addr).await;
    let target = |extra: &[(&str, &str)]| {
        let mut f = vec![
            ("csrf", s.csrf.as_str()),
            ("pool", ctx.pool_id.as_str()),
            ("username", "carol"),
        ];
        f.extend_from_slice(extra);
        form(&f)
    };

    let r = post(
        addr,
        "/_local/dashboard/confirm",
        Some(&s.cookie),
        Some("self"),
        &target(&[]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/?done=confirmed&user=carol"));
    assert_eq!(status_of(&ctx, "carol").await, "CONFIRMED");
    let shown = raw(
        addr,
        "GET",
        "/?done=confirmed&user=carol",
        &[HTML, ("Cookie", &s.cookie)],
        b"",
    )
    .await;
    assert!(shown.body.contains("Confirmed carol."), "{}", shown.body);
    // Confirming again is refused as AdminConfirmSignUp refuses it.
    let r = post(
        addr,
        "/_local/dashboard/confirm",
        Some(&s.cookie),
        Some("self"),
        &target(&[]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("User cannot be confirmed. Current status is CONFIRMED"),
        "{}",
        r.body
    );

    // A permanent password: the user signs in with it.
    let new_pw = "N3w-Dashboard-Pw";
    let r = post(
        addr,
        "/_local/dashboard/set-password",
        Some(&s.cookie),
        Some("self"),
        &target(&[("password", new_pw), ("permanent", "on")]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    password_sign_in(&ctx, "carol", new_pw)
        .await
        .expect("the new password signs in");
    // A temporary one (the box not ticked): FORCE_CHANGE_PASSWORD.
    let r = post(
        addr,
        "/_local/dashboard/set-password",
        Some(&s.cookie),
        Some("self"),
        &target(&[("password", "Temp-0rary-Pw")]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(status_of(&ctx, "carol").await, "FORCE_CHANGE_PASSWORD");
    // The pool's password policy applies, as for AdminSetUserPassword.
    let r = post(
        addr,
        "/_local/dashboard/set-password",
        Some(&s.cookie),
        Some("self"),
        &target(&[("password", "short"), ("permanent", "on")]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("InvalidPasswordException"), "{}", r.body);

    // Deleted.
    let r = post(
        addr,
        "/_local/dashboard/delete",
        Some(&s.cookie),
        Some("self"),
        &target(&[]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (code, _) = err(ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("carol")
        .send()
        .await);
    assert_eq!(code, "UserNotFoundException");
    // A client that is not a browser (no Origin, no Sec-Fetch-Site) with the token works.
    sign_up(&ctx, "dave", &[]).await;
    let body = form(&[
        ("csrf", &s.csrf),
        ("pool", &ctx.pool_id),
        ("username", "dave"),
    ]);
    let r = post(
        addr,
        "/_local/dashboard/confirm",
        Some(&s.cookie),
        None,
        &body,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(status_of(&ctx, "dave").await, "CONFIRMED");
}

#[tokio::test]
async fn actions_without_the_token_or_from_another_origin_are_refused() {
    let ctx = start(ctx_pool(), ctx_client()).await;
    let addr = ctx.server.local_addr();
    sign_up(&ctx, "erin", &[]).await;
    let (_, s) = open(addr).await;
    let good = form(&[
        ("csrf", &s.csrf),
        ("pool", &ctx.pool_id),
        ("username", "erin"),
    ]);
    let no_token = form(&[("pool", &ctx.pool_id), ("username", "erin")]);
    let wrong_token = form(&[
        ("csrf", &"A".repeat(43)),
        ("pool", &ctx.pool_id),
        ("username", "erin"),
    ]);
    // Another server's page: its own cookie and a token that matches it there.
    let other = start(ctx_pool(), ctx_client()).await;
    sign_up(&other, "erin", &[]).await;
    let other = other.server;
    let (_, foreign) = open(other.local_addr()).await;
    let foreign_cookie = foreign.cookie.replace(
        &format!("_{}=", other.local_addr().port()),
        &format!("_{}=", addr.port()),
    );
    let foreign_token = form(&[
        ("csrf", &foreign.csrf),
        ("pool", &ctx.pool_id),
        ("username", "erin"),
    ]);
    for path in [
        "/_local/dashboard/confirm",
        "/_local/dashboard/set-password",
        "/_local/dashboard/delete",
    ] {
        let cases: [(&str, Option<&str>, Option<&str>, &str); 7] = [
            ("no token", Some(&s.cookie), Some("self"), &no_token),
            ("wrong token", Some(&s.cookie), Some("self"), &wrong_token),
            ("no cookie", None, Some("self"), &good),
            ("cross-site origin", Some(&s.cookie), Some(EVIL), &good),
            ("opaque origin", Some(&s.cookie), Some("null"), &good),
            (
                "another port",
                Some(&s.cookie),
                Some("http://127.0.0.1:1"),
                &good,
            ),
            (
                "another server's token",
                Some(&foreign_cookie),
                Some("self"),
                &foreign_token,
            ),
        ];
        for (case, cookie, origin, body) in cases {
            let r = post(addr, path, cookie, origin, body).await;
            assert_eq!(r.status, 403, "{path}, {case}: {}", r.body);
            assert_eq!(r.header("access-control-allow-origin"), None);
        }
        // A no-cors form post from another site says so in Sec-Fetch-Site only.
        let r = raw(
            addr,
            "POST",
            path,
            &[
                FORM,
                ("Cookie", &s.cookie),
                ("Sec-Fetch-Site", "cross-site"),
            ],
            good.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    // Nothing happened to erin.
    assert_eq!(status_of(&ctx, "erin").await, "UNCONFIRMED");
    // A page from another origin cannot read the dashboard either.
    let r = raw(addr, "GET", "/", &[HTML, ("Origin", EVIL)], b"").await;
    assert_eq!(r.status, 403);
    let r = raw(
        addr,
        "GET",
        "/",
        &[
            HTML,
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Mode", "no-cors"),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
    // Following a link from another site is a navigation: the page (with no token for
    // that site) is shown.
    let r = raw(
        addr,
        "GET",
        "/",
        &[
            HTML,
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Mode", "navigate"),
            ("Sec-Fetch-Dest", "document"),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    other.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_foreign_or_remote_host_is_refused() {
    let ctx = start_with(
        LocalPool::builder().allow_host("pool.test"),
        ctx_pool(),
        ctx_client(),
    )
    .await;
    let addr = ctx.server.local_addr();
    sign_up(&ctx, "frank", &[]).await;
    let (_, s) = open(addr).await;
    let port = addr.port();
    let body = form(&[
        ("csrf", &s.csrf),
        ("pool", &ctx.pool_id),
        ("username", "frank"),
    ]);
    // DNS rebinding (refused by the server's host guard), an allowed name that is not
    // loopback, and a LAN address: the dashboard answers on loopback names only.
    for host in [
        format!("evil.example:{port}"),
        format!("pool.test:{port}"),
        format!("10.0.0.5:{port}"),
    ] {
        let r = raw_exact(addr, "GET", "/", &[("Host", &host), HTML], b"").await;
        assert_eq!(r.status, 403, "{host}: {}", r.body);
        assert!(!r.body.contains("frank"), "{host}");
        let origin = format!("http://{host}");
        let r = raw_exact(
            addr,
            "POST",
            "/_local/dashboard/confirm",
            &[
                ("Host", &host),
                FORM,
                ("Origin", &origin),
                ("Cookie", &s.cookie),
            ],
            body.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 403, "{host}: {}", r.body);
    }
    assert_eq!(status_of(&ctx, "frank").await, "UNCONFIRMED");
    // localhost is loopback.
    let host = format!("localhost:{port}");
    let r = raw_exact(addr, "GET", "/", &[("Host", &host), HTML], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("frank"));
}

#[tokio::test]
async fn the_dashboard_is_off_when_admin_calls_need_sigv4() {
    let ctx = start_with(
        LocalPool::builder().admin_credentials("AKIDDASH", "dash/secret"),
        ctx_pool(),
        ctx_client(),
    )
    .await;
    let addr = ctx.server.local_addr();
    ctx.server
        .create_user(&ctx.pool_id, "gina", PW, &[])
        .await
        .unwrap();
    let r = raw(addr, "GET", "/", &[HTML], b"").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("SigV4"), "{}", r.body);
    assert!(!r.body.contains("gina"));
    let r = post(
        addr,
        "/_local/dashboard/delete",
        None,
        Some("self"),
        &form(&[("pool", &ctx.pool_id), ("username", "gina")]),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = raw(addr, "GET", "/_local/dashboard/changes?wait=0", &[], b"").await;
    assert_eq!(r.status, 403);
    // The JSON index is not the dashboard.
    assert_eq!(raw(addr, "GET", "/", &[], b"").await.status, 200);
}

fn version(r: &Raw) -> u64 {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["version"].as_u64().expect("a version")
}

#[tokio::test]
async fn the_change_poll_answers_when_the_pool_changes() {
    let ctx = start(ctx_pool(), ctx_client()).await;
    let addr = ctx.server.local_addr();
    let path =
        |since: u64, wait: u64| format!("/_local/dashboard/changes?since={since}&wait={wait}");
    // Asked with a version it does not have: the current one at once.
    let now = version(&raw(addr, "GET", &path(u64::MAX, 25), &[], b"").await);
    // Nothing changed: the same version after the wait.
    assert_eq!(
        version(&raw(addr, "GET", &path(now, 0), &[], b"").await),
        now
    );
    // Reads change nothing.
    ctx.sdk
        .list_users()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        version(&raw(addr, "GET", &path(now, 0), &[], b"").await),
        now
    );
    // A poll waiting when a user signs up answers with a new version.
    let waiting = tokio::spawn(async move { raw(addr, "GET", &path(now, 25), &[], b"").await });
    sign_up(&ctx, "hank", &[]).await;
    let after = version(&waiting.await.unwrap());
    assert!(after > now, "{after} after {now}");
    // A sign-in refused counts too (it is shown).
    assert!(password_sign_in(&ctx, "nobody", PW).await.is_err());
    assert!(version(&raw(addr, "GET", &path(after, 0), &[], b"").await) > after);
    // Another origin may not poll.
    let r = raw(
        addr,
        "GET",
        &path(0, 0),
        &[("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "cors")],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
    let r = raw(addr, "GET", "/_local/dashboard/changes?since=x", &[], b"").await;
    assert_eq!(r.status, 400);
}

/// Where the browser tests save their screenshots: `target/screenshots` of the workspace
/// (or of `CARGO_TARGET_DIR`).
pub fn screenshots_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

#[tokio::test]
async fn chromium_reads_the_dashboard_and_confirms_a_user() {
    let Some(browser) = crate::peer::browser("chromium_reads_the_dashboard_and_confirms_a_user")
    else {
        return;
    };
    let ctx = start(ctx_pool(), ctx_client()).await;
    sign_up(&ctx, "ivy", &[("name", "Ivy <b>Tester</b>")]).await;
    sign_up_confirmed(&ctx, "jack", PW, "jack@example.com").await;
    password_sign_in(&ctx, "jack", PW).await.expect("sign in");
    let code = ctx.server.latest_code(&ctx.pool_id, "ivy").expect("a code");
    let dir = screenshots_dir();
    let out = crate::peer::run_browser_script(
        &browser,
        "dashboard_chromium.js",
        &[
            ctx.server.endpoint(),
            &ctx.pool_id,
            &ctx.client_id,
            "ivy",
            dir.to_str().expect("a UTF-8 path"),
        ],
    )
    .await;
    let result: serde_json::Value =
        serde_json::from_str(out.lines().last().expect("a result line")).expect("JSON");
    assert_eq!(result["statusBefore"], "UNCONFIRMED", "{result}");
    assert_eq!(result["code"], code.as_str(), "{result}");
    assert_eq!(result["statusAfter"], "CONFIRMED", "{result}");
    assert_eq!(result["notice"], "Confirmed ivy.", "{result}");
    assert_eq!(result["copied"], code.as_str(), "{result}");
    // The page reloaded itself when a user was made behind its back.
    assert_eq!(result["reloadedWith"], "kate", "{result}");
    // On a phone-sized screen the rows are stacked: the code and the button fit.
    assert_eq!(result["phoneFits"], true, "{result}");
    // And the pool agrees.
    assert_eq!(status_of(&ctx, "ivy").await, "CONFIRMED");
    assert_eq!(status_of(&ctx, "kate").await, "UNCONFIRMED");
    for shot in [
        "dashboard-before.png",
        "dashboard-after.png",
        "dashboard-phone.png",
    ] {
        let path = dir.join(shot);
        let size = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .len();
        assert!(size > 0, "{} is empty", path.display());
    }
}
