//! Sign-up, confirmation, SRP, USER_PASSWORD_AUTH, refresh, lockout, tokens.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use rsa::traits::PublicKeyParts as _;
use serde_json::Value;
use userpool_local::{ClientConfig, Limits, LocalPool, PoolConfig};

use crate::common::*;

#[tokio::test]
async fn sign_up_confirm_with_outbox_code_and_srp_sign_in() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    let out = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("alice")
        .password(PW)
        .user_attributes(attr("email", "alice@example.com"))
        .send()
        .await
        .unwrap();
    assert!(!out.user_confirmed());
    let sub = out.user_sub().to_owned();
    let d = out.code_delivery_details().unwrap();
    assert_eq!(d.destination(), Some("a***@e***"));
    assert_eq!(d.attribute_name(), Some("email"));

    let rec = ctx.server.outbox().latest(&ctx.pool_id, "alice").unwrap();
    assert_eq!(rec.destination, "alice@example.com");
    assert_eq!(rec.code.len(), 6);
    assert!(rec.message.contains(&rec.code));

    // Unconfirmed: the right password says so, a wrong one does not.
    let e = srp_sign_in(&ctx, "alice", PW).await.unwrap_err();
    assert_eq!(e.0, "UserNotConfirmedException");

    let wrong = if rec.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (code, _) = err(ctx
        .sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("alice")
        .confirmation_code(wrong)
        .send()
        .await);
    assert_eq!(code, "CodeMismatchException");
    ctx.sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("alice")
        .confirmation_code(&rec.code)
        .send()
        .await
        .unwrap();
    // Single use.
    let (code, msg) = err(ctx
        .sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("alice")
        .confirmation_code(&rec.code)
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    assert_eq!(msg, "User cannot be confirmed. Current status is CONFIRMED");

    let tokens = srp_sign_in(&ctx, "alice", PW).await.unwrap();
    let id = claims(tokens.id_token().unwrap());
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["sub"], sub.as_str());
    assert_eq!(id["aud"], ctx.client_id.as_str());
    assert_eq!(id["cognito:username"], "alice");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], Value::Bool(true));
    assert_eq!(
        id["iss"],
        format!("{}/{}", ctx.server.endpoint(), ctx.pool_id)
    );
    for c in ["auth_time", "iat", "exp", "jti", "origin_jti", "event_id"] {
        assert!(id.get(c).is_some(), "id token lacks {c}");
    }
    let access = claims(tokens.access_token().unwrap());
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], ctx.client_id.as_str());
    assert_eq!(access["username"], "alice");
    assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(access["origin_jti"], id["origin_jti"]);
    assert_eq!(
        access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(),
        3600
    );
    assert!(tokens.refresh_token().is_some());
    assert_eq!(tokens.expires_in(), 3600);
    assert_eq!(tokens.token_type(), Some("Bearer"));
}

#[tokio::test]
async fn srp_rejects_wrong_password_bad_timestamps_and_replays() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "bob", PW, &[("email", "bob@example.com")])
        .await
        .unwrap();
    let e = srp_sign_in(&ctx, "bob", "Wrong-Passw0rd")
        .await
        .unwrap_err();
    assert_eq!(
        e,
        (
            "NotAuthorizedException".into(),
            "Incorrect username or password.".into()
        )
    );

    // Zero-padded day of month: not canonical.
    let padded = |ts: &str| {
        let mut parts: Vec<String> = ts.split(' ').map(str::to_owned).collect();
        parts[2] = format!("{:0>2}", parts[2]);
        parts.join(" ")
    };
    let e = srp_sign_in_with(&ctx, "bob", PW, padded).await;
    // Days 10..31 are already two digits; then the padded form is the canonical one.
    let today_two_digits = userpool_srp::timestamp(std::time::SystemTime::now())
        .split(' ')
        .nth(2)
        .is_some_and(|d| d.len() == 2);
    if !today_two_digits {
        assert_eq!(e.unwrap_err().0, "InvalidParameterException");
    }

    // Ten minutes old.
    let stale =
        |_: &str| userpool_srp::timestamp(std::time::SystemTime::now() - Duration::from_secs(600));
    let e = srp_sign_in_with(&ctx, "bob", PW, stale).await.unwrap_err();
    assert_eq!(e.0, "NotAuthorizedException");

    // A good answer works once; replaying the same SECRET_BLOCK does not.
    let sign_in = userpool_srp::SrpSignIn::new().unwrap();
    let out = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "bob")
        .auth_parameters("SRP_A", sign_in.srp_a())
        .send()
        .await
        .unwrap();
    let p = out.challenge_parameters().unwrap();
    assert_eq!(p["USER_ID_FOR_SRP"], "bob");
    let ts = userpool_srp::timestamp(std::time::SystemTime::now());
    let answer = sign_in
        .answer(&ctx.pool_id, PW, &ts, |k| p.get(k).map(String::as_str))
        .unwrap();
    assert_eq!(answer.username, "bob");
    let respond = || {
        let mut request = ctx
            .sdk
            .respond_to_auth_challenge()
            .client_id(&ctx.client_id)
            .challenge_name(
                aws_sdk_cognitoidentityprovider::types::ChallengeNameType::PasswordVerifier,
            );
        for (name, value) in answer.responses() {
            request = request.challenge_responses(name, value);
        }
        request.send()
    };
    assert!(respond().await.unwrap().authentication_result().is_some());
    let (code, _) = err(respond().await);
    assert_eq!(code, "NotAuthorizedException");
}

#[tokio::test]
async fn user_password_auth_only_when_the_client_allows_it() {
    let server = LocalPool::builder().start().await.unwrap();
    let pool = server.create_pool(email_pool()).await.unwrap();
    server
        .create_user(&pool.pool_id, "carol", PW, &[])
        .await
        .unwrap();
    let srp_only = server
        .create_client(&pool.pool_id, ClientConfig::new("srp-only"))
        .await
        .unwrap();
    let both = server
        .create_client(
            &pool.pool_id,
            ClientConfig::new("both").with_password_auth(),
        )
        .await
        .unwrap();
    let sdk = sdk(server.endpoint());
    let (code, msg) = err(sdk
        .initiate_auth()
        .client_id(&srp_only.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "carol")
        .auth_parameters("PASSWORD", PW)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(msg, "USER_PASSWORD_AUTH flow not enabled for this client");

    let ctx = Ctx {
        server,
        sdk,
        pool_id: pool.pool_id.clone(),
        client_id: both.client_id.clone(),
        secret: None,
    };
    let out = password_sign_in(&ctx, "carol", PW).await.unwrap();
    assert!(
        out.authentication_result()
            .unwrap()
            .access_token()
            .is_some()
    );
    let (code, msg) = err(password_sign_in(&ctx, "carol", "Nope-Passw0rd").await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Incorrect username or password.")
    );
    let (code, _) = err(password_sign_in(&ctx, "nobody", PW).await);
    assert_eq!(code, "UserNotFoundException");
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_user_for_a_growing_while() {
    let limits =
        Limits::default().with_lockout(5, Duration::from_millis(1500), Duration::from_secs(60));
    let ctx = start_with(
        LocalPool::builder().limits(limits),
        email_pool(),
        ClientConfig::new("web").with_password_auth(),
    )
    .await;
    ctx.server
        .create_user(&ctx.pool_id, "dave", PW, &[])
        .await
        .unwrap();
    for _ in 0..5 {
        let (_, msg) = err(password_sign_in(&ctx, "dave", "Wrong-Passw0rd").await);
        assert_eq!(msg, "Incorrect username or password.");
    }
    // Locked: even the right password is refused, over SRP as well.
    let (code, msg) = err(password_sign_in(&ctx, "dave", PW).await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Password attempts exceeded")
    );
    let e = srp_sign_in(&ctx, "dave", PW).await.unwrap_err();
    assert_eq!(e.1, "Password attempts exceeded");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    // After the lock, one more wrong password locks again for twice as long.
    let (_, msg) = err(password_sign_in(&ctx, "dave", "Wrong-Passw0rd").await);
    assert_eq!(msg, "Password attempts exceeded");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let (_, msg) = err(password_sign_in(&ctx, "dave", PW).await);
    assert_eq!(msg, "Password attempts exceeded");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    password_sign_in(&ctx, "dave", PW).await.unwrap();
    // Success resets the count.
    let (_, msg) = err(password_sign_in(&ctx, "dave", "Wrong-Passw0rd").await);
    assert_eq!(msg, "Incorrect username or password.");
}

#[tokio::test]
async fn refresh_issues_new_tokens_of_the_same_session() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "erin", PW, &[])
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "erin", PW).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", t.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let r = out.authentication_result().unwrap();
    assert!(r.refresh_token().is_none(), "no rotation, as Cognito");
    let (old, new) = (
        claims(t.access_token().unwrap()),
        claims(r.access_token().unwrap()),
    );
    assert_eq!(old["origin_jti"], new["origin_jti"]);
    assert_eq!(old["auth_time"], new["auth_time"]);
    assert_ne!(old["jti"], new["jti"]);
    assert!(new["iat"].as_i64() > old["iat"].as_i64());
    let (code, msg) = err(ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", "not-a-token")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("NotAuthorizedException", "Invalid Refresh Token")
    );
}

#[tokio::test]
async fn secret_hash_is_enforced_everywhere() {
    let ctx = start(
        email_pool(),
        ClientConfig::new("backend")
            .with_secret()
            .with_password_auth(),
    )
    .await;
    let secret = ctx.secret.clone().unwrap();
    let (code, msg) = err(ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("frank")
        .password(PW)
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    assert_eq!(
        msg,
        format!(
            "Client {} is configured with secret but SECRET_HASH was not received",
            ctx.client_id
        )
    );
    let (_, msg) = err(ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("frank")
        .password(PW)
        .secret_hash(secret_hash(&secret, "someone-else", &ctx.client_id))
        .send()
        .await);
    assert_eq!(
        msg,
        format!("Unable to verify secret hash for client {}", ctx.client_id)
    );

    sign_up_confirmed(&ctx, "frank", PW, "frank@example.com").await;
    let out = password_sign_in(&ctx, "frank", PW).await.unwrap();
    let tokens = out.authentication_result().unwrap();
    let (code, _) = err(ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "frank")
        .auth_parameters("PASSWORD", PW)
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    srp_sign_in(&ctx, "frank", PW).await.unwrap();

    // Refresh: the hash of the username or of the sub, checked against the token's user.
    let sub = claims(tokens.access_token().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in ["frank", sub.as_str()] {
        ctx.sdk
            .initiate_auth()
            .client_id(&ctx.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
            .auth_parameters("SECRET_HASH", secret_hash(&secret, name, &ctx.client_id))
            .send()
            .await
            .unwrap();
    }
    let (code, _) = err(ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
        .auth_parameters(
            "SECRET_HASH",
            secret_hash(&secret, "mallory", &ctx.client_id),
        )
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    let (code, _) = err(ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");

    // ForgotPassword needs it too; RevokeToken needs the client secret itself.
    let (code, _) = err(ctx
        .sdk
        .forgot_password()
        .client_id(&ctx.client_id)
        .username("frank")
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    let (code, _) = err(ctx
        .sdk
        .revoke_token()
        .client_id(&ctx.client_id)
        .token(tokens.refresh_token().unwrap())
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    ctx.sdk
        .revoke_token()
        .client_id(&ctx.client_id)
        .client_secret(&secret)
        .token(tokens.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
}

/// GET over raw HTTP, JSON answer.
async fn get_json(server: &LocalPool, path: &str) -> Value {
    let r = raw(server.local_addr(), "GET", path, &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[tokio::test]
async fn issued_tokens_verify_against_the_jwks() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "gina", PW, &[])
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "gina", PW).await.unwrap();
    let jwks = get_json(
        &ctx.server,
        &format!("/{}/.well-known/jwks.json", ctx.pool_id),
    )
    .await;
    let key = &jwks["keys"][0];
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    let b64 = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    let n = rsa::BoxedUint::from_be_slice_vartime(&b64(&key["n"]));
    let e = rsa::BoxedUint::from_be_slice_vartime(&b64(&key["e"]));
    let public = rsa::PublicKey::new(n, e).unwrap();
    assert_eq!(public.size(), 256, "2048-bit key");
    for token in [t.id_token().unwrap(), t.access_token().unwrap()] {
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let header: Value = {
            use base64::Engine as _;
            let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(signed.split('.').next().unwrap())
                .unwrap();
            serde_json::from_slice(&h).unwrap()
        };
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], key["kid"]);
        public
            .pkcs1v15_verify::<rsa::sha2::Sha256>(signed.as_bytes(), &b64(&Value::from(sig)))
            .expect("signature verifies");
        let mut tampered = signed.to_owned();
        tampered.push('x');
        assert!(
            public
                .pkcs1v15_verify::<rsa::sha2::Sha256>(tampered.as_bytes(), &b64(&Value::from(sig)))
                .is_err()
        );
    }
    let oidc = get_json(
        &ctx.server,
        &format!("/{}/.well-known/openid-configuration", ctx.pool_id),
    )
    .await;
    assert_eq!(oidc["issuer"], claims(t.id_token().unwrap())["iss"]);
    assert!(
        oidc["jwks_uri"]
            .as_str()
            .unwrap()
            .ends_with("/.well-known/jwks.json")
    );
}

#[tokio::test]
async fn email_as_username_pool_uses_the_sub_for_srp() {
    let mut pool = email_pool();
    pool.username_attributes = vec!["email".into()];
    pool.case_sensitive_usernames = false;
    let ctx = start(pool, ClientConfig::new("web")).await;
    let out = ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("Hana@Example.com")
        .password(PW)
        .send()
        .await
        .unwrap();
    let sub = out.user_sub().to_owned();
    let code = ctx
        .server
        .latest_code(&ctx.pool_id, "Hana@Example.com")
        .unwrap();
    ctx.sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("hana@example.com")
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    let (code, _) = err(ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("hana@example.com")
        .password(PW)
        .send()
        .await);
    assert_eq!(code, "UsernameExistsException");
    let (code, msg) = err(ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("not-an-email")
        .password(PW)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("email"), "{msg}");

    let t = srp_sign_in(&ctx, "hana@example.com", PW).await.unwrap();
    let id = claims(t.id_token().unwrap());
    assert_eq!(id["cognito:username"], sub.as_str());
    assert_eq!(id["email"], "Hana@Example.com");
    let user = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("hana@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(user.username(), sub);
}

#[tokio::test]
async fn alias_pool_signs_in_with_a_verified_email_only() {
    let mut pool = email_pool();
    pool.alias_attributes = vec!["email".into(), "preferred_username".into()];
    let ctx = start(pool, ClientConfig::new("web").with_password_auth()).await;
    let (code, msg) = err(ctx
        .sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("ivy@example.com")
        .password(PW)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("email alias"), "{msg}");
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("ivy")
        .password(PW)
        .user_attributes(attr("email", "ivy@example.com"))
        .send()
        .await
        .unwrap();
    // Not verified yet: the email is no alias.
    let (code, _) = err(password_sign_in(&ctx, "ivy@example.com", PW).await);
    assert_eq!(code, "UserNotFoundException");
    let code = ctx.server.latest_code(&ctx.pool_id, "ivy").unwrap();
    ctx.sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("ivy")
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "ivy@example.com", PW).await.unwrap();
    assert_eq!(claims(t.id_token().unwrap())["cognito:username"], "ivy");
    password_sign_in(&ctx, "ivy@example.com", PW).await.unwrap();

    // A second user with the same email cannot confirm it without ForceAliasCreation.
    ctx.sdk
        .sign_up()
        .client_id(&ctx.client_id)
        .username("ivy2")
        .password(PW)
        .user_attributes(attr("email", "ivy@example.com"))
        .send()
        .await
        .unwrap();
    let code2 = ctx.server.latest_code(&ctx.pool_id, "ivy2").unwrap();
    let (code, msg) = err(ctx
        .sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("ivy2")
        .confirmation_code(&code2)
        .send()
        .await);
    assert_eq!(code, "AliasExistsException");
    assert_eq!(msg, "An account with the given email already exists.");
    ctx.sdk
        .confirm_sign_up()
        .client_id(&ctx.client_id)
        .username("ivy2")
        .confirmation_code(&code2)
        .force_alias_creation(true)
        .send()
        .await
        .unwrap();
    let t = password_sign_in(&ctx, "ivy@example.com", PW).await.unwrap();
    assert_eq!(
        claims(t.authentication_result().unwrap().id_token().unwrap())["cognito:username"],
        "ivy2"
    );
}

#[tokio::test]
async fn password_policy_is_enforced_with_cognito_messages() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    let cases = [
        (
            "Sh0rt!",
            "Password did not conform with policy: Password not long enough",
        ),
        (
            "lowercase-only1",
            "Password did not conform with policy: Password must have uppercase characters",
        ),
        (
            "UPPERCASE-ONLY1",
            "Password did not conform with policy: Password must have lowercase characters",
        ),
        (
            "No-Numbers-Here",
            "Password did not conform with policy: Password must have numeric characters",
        ),
        (
            "NoSymbols123",
            "Password did not conform with policy: Password must have symbol characters",
        ),
    ];
    for (pw, expected) in cases {
        let (code, msg) = err(ctx
            .sdk
            .sign_up()
            .client_id(&ctx.client_id)
            .username("jack")
            .password(pw)
            .send()
            .await);
        assert_eq!(code, "InvalidPasswordException", "{pw}");
        assert_eq!(msg, expected);
    }
    // A relaxed pool accepts what the default one refuses.
    let mut relaxed = PoolConfig::new("relaxed");
    relaxed.password_policy = userpool_local::PasswordPolicy::relaxed();
    let p = ctx.server.create_pool(relaxed).await.unwrap();
    let c = ctx
        .server
        .create_client(&p.pool_id, ClientConfig::new("x"))
        .await
        .unwrap();
    ctx.sdk
        .sign_up()
        .client_id(&c.client_id)
        .username("jack")
        .password("simple")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn pool_key_and_tokens_survive_a_restart_on_a_data_dir() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ctx = start_with(
        LocalPool::builder().data_dir(&dir),
        email_pool(),
        ClientConfig::new("web"),
    )
    .await;
    ctx.server
        .create_user(&ctx.pool_id, "kim", PW, &[])
        .await
        .unwrap();
    let t = srp_sign_in(&ctx, "kim", PW).await.unwrap();
    let (pool_id, client_id) = (ctx.pool_id.clone(), ctx.client_id.clone());
    ctx.server.shutdown().await.unwrap();

    let server = LocalPool::builder().data_dir(&dir).start().await.unwrap();
    let sdk = sdk(server.endpoint());
    // The access token from before the restart is still accepted (same key, same session).
    let user = sdk
        .get_user()
        .access_token(t.access_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(user.username(), "kim");
    sdk.initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", t.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let ctx = Ctx {
        server,
        sdk,
        pool_id,
        client_id,
        secret: None,
    };
    srp_sign_in(&ctx, "kim", PW).await.unwrap();
    ctx.server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
