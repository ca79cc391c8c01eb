//! The hosted sign-in's browser side over HTTP: `/oauth2/authorize`, the sign-in form and
//! the pages after it, the hosted session, `/logout`. The client never follows
//! redirects, so every 302 and its `Location` are checked.

use std::time::Duration;

use userpool_local::{Limits, LocalPool};

use crate::common::{self, PW, claims, email_pool, err, password_sign_in};
use crate::hosted_common::*;

#[tokio::test]
async fn the_code_flow_redirects_to_the_callback_with_a_code_and_the_state() {
    let h = start_hosted().await;
    let mut agent = h.agent();
    let mut params = h.params();
    params.scope = Some("openid email".into());
    let answer = agent.get(&params.authorize_path()).await;
    assert_eq!(answer.status, 302);
    let to = location(&answer);
    assert!(to.starts_with(&format!("/{DOMAIN}/login?")), "{to}");
    let page = agent.follow(&answer).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("frame-ancestors 'none'"))
    );
    assert!(page.body.contains("Forgot your password?"));
    let done = agent
        .submit(&page, &[("username", USER), ("password", PW)])
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    let to = location(&done);
    assert!(to.starts_with(&format!("{CALLBACK}?code=")), "{to}");
    assert_eq!(url_param(to, "state").as_deref(), Some("st-123"));
    let cookie = done
        .headers
        .iter()
        .find(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with("cognito="))
        .map(|(_, v)| v.clone())
        .expect("a hosted session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains(&format!("Path=/{DOMAIN}")), "{cookie}");

    // The shared helper drives the same flow.
    let (code, verifier) = sign_in_for_code(&h, Some("openid")).await;
    assert!(!code.is_empty() && verifier.len() >= 43);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let h = start_hosted().await;
    let mut bodies = Vec::new();
    for (user, password) in [(USER, "Wr0ng-Password!"), ("nobody", "Wr0ng-Password!")] {
        let mut agent = h.agent();
        let answer = agent.sign_in(&h.params(), user, password).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(
            answer.body.contains("Incorrect username or password."),
            "{}",
            answer.body
        );
        assert!(answer.header("location").is_none());
        // The same page, apart from the username typed and the form's tokens.
        let form = Form::of(&answer.body, Some("/login"));
        let mut body = answer.body.replace(user, "USER");
        for (_, v) in &form.hidden {
            body = body.replace(v.as_str(), "TOKEN");
        }
        bodies.push(body);
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let h = start_hosted().await;
    let mut agent = h.agent();
    let page = agent.open_sign_in(&h.params()).await;
    let form = Form::of(&page.body, Some("/login"));
    let mut fields: Vec<(String, String)> = form
        .hidden
        .iter()
        .filter(|(n, _)| n != "_csrf")
        .cloned()
        .collect();
    fields.push(("username".into(), USER.into()));
    fields.push(("password".into(), PW.into()));
    let answer = agent.post_form(&form.action, &fields).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    // A token that is not the cookie's is refused too.
    let answer = agent
        .submit_form(
            &form,
            &[
                ("_csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("username", USER),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(answer.status, 403);
}

#[tokio::test]
async fn redirect_uris_are_matched_exactly_and_refused_with_a_page() {
    let h = start_hosted().await;
    for uri in [
        "http://127.0.0.1:9/callback/extra",
        "http://127.0.0.1:9/call",
        "http://127.0.0.1:10/callback",
        "https://evil.example/callback",
    ] {
        let mut params = h.params();
        params.redirect_uri = Some(uri.into());
        let answer = h.agent().get(&params.authorize_path()).await;
        assert_eq!(answer.status, 400, "{uri}");
        assert!(answer.header("location").is_none(), "{uri}");
        assert!(answer.body.contains("redirect_mismatch"), "{uri}");
    }
    // The second registered URL is fine.
    let mut params = h.params();
    params.redirect_uri = Some(CALLBACK_2.into());
    assert_eq!(h.agent().get(&params.authorize_path()).await.status, 302);
}

#[tokio::test]
async fn an_unknown_domain_is_404_and_a_client_without_oauth_is_refused() {
    let h = start_hosted().await;
    let path = h
        .params()
        .authorize_path()
        .replace(DOMAIN, "no-such-domain");
    let answer = h.agent().get(&path).await;
    assert_eq!(answer.status, 404);

    let mut plain = oauth_client();
    plain.allowed_oauth_flows_user_pool_client = false;
    let (id, _) = h.add_client(plain).await;
    let answer = h.agent().get(&AuthParams::code(&id).authorize_path()).await;
    assert_eq!(answer.status, 400);
    assert!(answer.header("location").is_none());
    assert!(
        answer.body.contains("unauthorized_client"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn prompt_none_answers_from_the_session_or_login_required_and_logout_ends_it() {
    let h = start_hosted().await;
    let mut agent = h.agent();
    let mut params = h.params();
    params.prompt = Some("none".into());
    // No session yet.
    let answer = agent.get(&params.authorize_path()).await;
    assert_eq!(answer.status, 302);
    let to = location(&answer);
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(url_param(to, "error").as_deref(), Some("login_required"));
    assert_eq!(url_param(to, "state").as_deref(), Some("st-123"));

    let done = agent.sign_in(&h.params(), USER, PW).await;
    assert_eq!(done.status, 302);
    // With the session: a code at once, no form.
    let answer = agent.get(&params.authorize_path()).await;
    assert_eq!(answer.status, 302);
    assert!(
        url_param(location(&answer), "code").is_some(),
        "{}",
        location(&answer)
    );
    // Without prompt as well.
    let answer = agent.get(&h.params().authorize_path()).await;
    assert!(url_param(location(&answer), "code").is_some());
    // prompt=login shows the form even so.
    let mut login = h.params();
    login.prompt = Some("login".into());
    let answer = agent.get(&login.authorize_path()).await;
    assert!(location(&answer).starts_with(&format!("/{DOMAIN}/login?")));

    // A bad logout_uri is an error page and keeps the session.
    let bad = format!(
        "/{DOMAIN}/logout?client_id={}&logout_uri={}",
        h.ctx.client_id,
        encode("https://evil.example/")
    );
    let answer = agent.get(&bad).await;
    assert_eq!(answer.status, 400);
    assert!(answer.header("location").is_none());
    let logout = format!(
        "/{DOMAIN}/logout?client_id={}&logout_uri={}",
        h.ctx.client_id,
        encode(LOGOUT)
    );
    let answer = agent.get(&logout).await;
    assert_eq!(answer.status, 302);
    assert_eq!(location(&answer), LOGOUT);
    let answer = agent.get(&params.authorize_path()).await;
    assert_eq!(
        url_param(location(&answer), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn login_hint_prefills_the_username() {
    let h = start_hosted().await;
    let mut params = h.params();
    params.login_hint = Some("alice-hint".into());
    let page = h.agent().open_sign_in(&params).await;
    assert!(page.body.contains(r#"value="alice-hint""#), "{}", page.body);
}

#[tokio::test]
async fn the_implicit_flow_needs_the_client_to_allow_it() {
    let h = start_hosted().await;
    let mut params = h.params();
    params.response_type = Some("token".into());
    let answer = h.agent().get(&params.authorize_path()).await;
    assert_eq!(answer.status, 302);
    let to = location(&answer);
    assert!(to.starts_with(&format!("{CALLBACK}#")), "{to}");
    assert_eq!(
        url_param(to, "error").as_deref(),
        Some("unauthorized_client")
    );

    let mut implicit = oauth_client();
    implicit.allowed_oauth_flows = vec!["code".into(), "implicit".into()];
    let (id, _) = h.add_client(implicit).await;
    let mut params = AuthParams::code(&id);
    params.response_type = Some("token".into());
    params.scope = Some("openid".into());
    let answer = h.agent().sign_in(&params, USER, PW).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let to = location(&answer);
    assert!(to.starts_with(&format!("{CALLBACK}#")), "{to}");
    assert!(url_param(to, "access_token").is_some(), "{to}");
    assert!(url_param(to, "id_token").is_some(), "{to}");
    assert!(url_param(to, "refresh_token").is_none(), "{to}");
    assert_eq!(url_param(to, "token_type").as_deref(), Some("Bearer"));
    assert_eq!(url_param(to, "state").as_deref(), Some("st-123"));
}

#[tokio::test]
async fn a_temporary_password_leads_to_the_new_password_page_then_a_code() {
    let h = start_hosted().await;
    h.ctx
        .server
        .set_password(&h.ctx.pool_id, USER, "Temp-Passw0rd!", false)
        .await
        .unwrap();
    let mut agent = h.agent();
    let page = agent.sign_in(&h.params(), USER, "Temp-Passw0rd!").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Change Password"), "{}", page.body);
    let done = agent
        .submit(
            &page,
            &[
                ("new_password", "N3w-Passw0rd!"),
                ("confirm_password", "N3w-Passw0rd!"),
            ],
        )
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(url_param(location(&done), "code").is_some());
    // The new password is the user's now.
    let (code, _) = sign_in_for_code_with(&h, &h.params(), USER, "N3w-Passw0rd!").await;
    assert!(!code.is_empty());
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_the_code_from_the_outbox() {
    let h = start_hosted().await;
    let mut agent = h.agent();
    let page = agent.open_sign_in(&h.params()).await;
    let pending = Form::of(&page.body, Some("/login"))
        .field("pending")
        .unwrap()
        .to_owned();
    let forgot = agent
        .get(&format!("/{DOMAIN}/forgotPassword?pending={pending}"))
        .await;
    assert_eq!(forgot.status, 200, "{}", forgot.body);
    let reset = agent.submit(&forgot, &[("username", USER)]).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(reset.body.contains("Reset your password"), "{}", reset.body);
    let code = h
        .ctx
        .server
        .latest_code(&h.ctx.pool_id, USER)
        .expect("a code in the outbox");
    let signed = agent
        .submit(
            &reset,
            &[
                ("code", &code),
                ("password", "R3set-Passw0rd!"),
                ("confirm_password", "R3set-Passw0rd!"),
            ],
        )
        .await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert!(
        signed.body.contains("Your password has been reset"),
        "{}",
        signed.body
    );
    let done = agent
        .submit(
            &signed,
            &[("username", USER), ("password", "R3set-Passw0rd!")],
        )
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(url_param(location(&done), "code").is_some());
}

/// The TOTP code of a base32 secret, `steps` 30-second steps from now (RFC 6238 with
/// totp-rs, not the server's code).
fn totp_at(secret_code: &str, steps: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_code).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_ref().to_vec())
        .build()
        .expect("totp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now.saturating_add_signed(steps * 30))
        .to_string()
}

#[tokio::test]
async fn a_user_with_an_authenticator_gets_the_mfa_page_then_a_code() {
    use aws_sdk_cognitoidentityprovider::types::{
        SoftwareTokenMfaConfigType, SoftwareTokenMfaSettingsType, UserPoolMfaType,
    };
    let h = start_hosted().await;
    let sdk = &h.ctx.sdk;
    sdk.set_user_pool_mfa_config()
        .user_pool_id(&h.ctx.pool_id)
        .mfa_configuration(UserPoolMfaType::Optional)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder().enabled(true).build(),
        )
        .send()
        .await
        .unwrap();
    let tokens = crate::common::srp_sign_in(&h.ctx, USER, PW).await.unwrap();
    let access = tokens.access_token().unwrap();
    let secret = sdk
        .associate_software_token()
        .access_token(access)
        .send()
        .await
        .unwrap()
        .secret_code()
        .unwrap()
        .to_owned();
    sdk.verify_software_token()
        .access_token(access)
        // The previous step's code: the sign-in's code (of this step) is then not a replay.
        .user_code(totp_at(&secret, -1))
        .send()
        .await
        .unwrap();
    sdk.set_user_mfa_preference()
        .access_token(access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let mut agent = h.agent();
    let page = agent.sign_in(&h.params(), USER, PW).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("authenticator app"), "{}", page.body);
    let right = totp_at(&secret, 0);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let again = agent.submit(&page, &[("code", wrong)]).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("id=\"error\""), "{}", again.body);
    let done = agent
        .submit(&again, &[("code", &totp_at(&secret, 0))])
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(url_param(location(&done), "code").is_some());
}

#[tokio::test]
async fn an_unconfirmed_user_confirms_on_the_confirm_page_then_signs_in() {
    let h = start_hosted_with(email_pool(), oauth_client()).await;
    h.ctx
        .sdk
        .sign_up()
        .client_id(&h.ctx.client_id)
        .username("dana")
        .password(PW)
        .user_attributes(common::attr("email", "dana@example.com"))
        .send()
        .await
        .expect("sign up");
    let mut agent = h.agent();
    let page = agent.sign_in(&h.params(), "dana", PW).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Confirm your account"), "{}", page.body);
    // The code went to the masked address, as ResendConfirmationCode sends it.
    assert!(page.body.contains("d***@e***"), "{}", page.body);
    let code = h
        .ctx
        .server
        .latest_code(&h.ctx.pool_id, "dana")
        .expect("a code in the outbox");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let again = agent.submit(&page, &[("code", wrong)]).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(
        again
            .body
            .contains("Invalid verification code provided, please try again."),
        "{}",
        again.body
    );
    assert!(again.body.contains("Confirm your account"));
    let signed = agent.submit(&again, &[("code", &code)]).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert!(
        signed.body.contains("Your account is confirmed"),
        "{}",
        signed.body
    );
    assert!(signed.body.contains(r#"value="dana""#), "{}", signed.body);
    // The helper sends hidden fields only: the prefilled username goes as a browser sends it.
    let done = agent
        .submit(&signed, &[("username", "dana"), ("password", PW)])
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(url_param(location(&done), "code").is_some());
}

#[tokio::test]
async fn the_sign_in_form_counts_towards_the_apis_lockout() {
    let limits =
        Limits::default().with_lockout(5, Duration::from_secs(600), Duration::from_secs(900));
    let h = start_hosted_on(
        LocalPool::builder().limits(limits),
        userpool_local::PoolConfig::new("hosted"),
        oauth_client().with_password_auth(),
    )
    .await;
    const WRONG: &str = "Wrong-Passw0rd";
    // Three wrong passwords through the form, two through the API: one counter.
    for _ in 0..3 {
        let page = h.agent().sign_in(&h.params(), USER, WRONG).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Incorrect username or password."));
    }
    for _ in 0..2 {
        let (_, message) = err(password_sign_in(&h.ctx, USER, WRONG).await);
        assert_eq!(message, "Incorrect username or password.");
    }
    // Locked: the right password is refused by the form with the API's message...
    let page = h.agent().sign_in(&h.params(), USER, PW).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.header("location").is_none());
    assert!(
        page.body.contains("Password attempts exceeded"),
        "{}",
        page.body
    );
    // ...and by the API.
    let (code, message) = err(password_sign_in(&h.ctx, USER, PW).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("NotAuthorizedException", "Password attempts exceeded")
    );
}

#[tokio::test]
async fn scopes_are_checked_and_the_nonce_reaches_the_implicit_id_token() {
    let h = start_hosted().await;
    // A scope the client is not allowed: back to the app with invalid_scope, in the query
    // for the code flow.
    let mut params = h.params();
    params.scope = Some("openid phone".into());
    let answer = h.agent().get(&params.authorize_path()).await;
    assert_eq!(answer.status, 302);
    let to = location(&answer);
    assert!(to.starts_with(&format!("{CALLBACK}?")), "{to}");
    assert_eq!(url_param(to, "error").as_deref(), Some("invalid_scope"));
    assert_eq!(url_param(to, "state").as_deref(), Some("st-123"));
    // An unknown prompt value: invalid_request.
    let mut params = h.params();
    params.prompt = Some("bogus".into());
    let answer = h.agent().get(&params.authorize_path()).await;
    assert_eq!(
        url_param(location(&answer), "error").as_deref(),
        Some("invalid_request")
    );

    let mut implicit = oauth_client();
    implicit.allowed_oauth_flows = vec!["implicit".into()];
    let (id, _) = h.add_client(implicit).await;
    // The implicit flow puts its errors in the fragment too.
    let mut params = AuthParams::code(&id);
    params.response_type = Some("token".into());
    params.scope = Some("openid phone".into());
    let answer = h.agent().get(&params.authorize_path()).await;
    let to = location(&answer);
    assert!(to.starts_with(&format!("{CALLBACK}#")), "{to}");
    assert_eq!(url_param(to, "error").as_deref(), Some("invalid_scope"));
    // A client that allows only the implicit flow refuses the code flow.
    let answer = h.agent().get(&AuthParams::code(&id).authorize_path()).await;
    assert_eq!(
        url_param(location(&answer), "error").as_deref(),
        Some("unauthorized_client")
    );
    // The nonce and the granted scopes reach the tokens of the redirect.
    params.scope = Some("openid email".into());
    params.nonce = Some("n-implicit-42".into());
    let answer = h.agent().sign_in(&params, USER, PW).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let to = location(&answer);
    let id_token = url_param(to, "id_token").expect("id_token");
    let access = url_param(to, "access_token").expect("access_token");
    let i = claims(&id_token);
    assert_eq!(i["nonce"], "n-implicit-42");
    assert_eq!(i["aud"], id.as_str());
    assert_eq!(i["email"], USER_EMAIL);
    assert_eq!(claims(&access)["scope"], "openid email");
    assert_eq!(url_param(to, "expires_in").as_deref(), Some("3600"));
}

/// An app's callback on a loopback port: answers every request with a small page and
/// keeps the request targets it saw.
async fn callback_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/callback", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&head);
            if let Some(target) = text.split(' ').nth(1) {
                record.lock().expect("lock").push(target.to_owned());
            }
            let page = "<!doctype html><title>App</title>\
                <h1 id=\"callback\">The app received the redirect</h1>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn chromium_signs_in_on_the_hosted_page_and_reaches_the_callback() {
    const TEST: &str = "chromium_signs_in_on_the_hosted_page_and_reaches_the_callback";
    let Some(browser) = crate::peer::browser(TEST) else {
        return;
    };
    let h = start_hosted().await;
    let (callback, seen) = callback_server().await;
    let mut config = oauth_client();
    config.callback_urls = vec![callback.clone()];
    let (client_id, _) = h.add_client(config).await;
    let mut params = AuthParams::code(&client_id);
    params.redirect_uri = Some(callback.clone());
    params.scope = Some("openid email".into());
    let verifier = params.with_pkce();
    let authorize = format!("{}{}", h.ctx.server.endpoint(), params.authorize_path());
    let dir = crate::dashboard::screenshots_dir();
    let out = crate::peer::run_browser_script(
        &browser,
        "hosted_sign_in_chromium.js",
        &[
            &authorize,
            &callback,
            USER,
            PW,
            dir.to_str().expect("a UTF-8 path"),
        ],
    )
    .await;
    let result: serde_json::Value =
        serde_json::from_str(out.lines().last().expect("a result line")).expect("JSON");
    let sign_in_url = result["signInUrl"].as_str().unwrap_or_default();
    assert!(
        sign_in_url.contains(&format!("/{DOMAIN}/login?")),
        "{result}"
    );
    assert_eq!(
        result["refused"], "Incorrect username or password.",
        "{result}"
    );
    let callback_url = result["callbackUrl"].as_str().unwrap_or_default();
    assert!(
        callback_url.starts_with(&format!("{callback}?")),
        "{result}"
    );
    assert_eq!(url_param(callback_url, "state").as_deref(), Some("st-123"));
    let code = url_param(callback_url, "code").expect("a code in the callback URL");
    // The app's server saw the redirect itself.
    assert!(
        seen.lock()
            .expect("lock")
            .iter()
            .any(|t| t.starts_with("/callback?") && t.contains(&encode(&code))),
        "{:?}",
        seen.lock().expect("lock")
    );
    // The code is a real one: the token endpoint redeems it for the user's tokens.
    let answer = post(
        &h,
        &format!("/{DOMAIN}/oauth2/token"),
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", &callback),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id_token = answer.json()["id_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(claims(&id_token)["sub"], h.sub.as_str());
    for shot in ["hosted-sign-in.png", "hosted-callback.png"] {
        let path = dir.join(shot);
        let size = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .len();
        assert!(size > 0, "{} is empty", path.display());
    }
}
