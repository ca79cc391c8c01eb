//! Sign-ins racing a credential change: an SRP sign-in started before a password change,
//! a password reset or a global sign-out must not be issued a session with the old
//! credential once the change has landed.

use serde_json::{Value, json};
use userpool_local::ClientConfig;

use crate::common::*;

/// An SRP sign-in between its two steps: InitiateAuth is done, the answer to
/// PASSWORD_VERIFIER is computed (for `password`) and not sent yet.
pub struct PreparedSrp {
    pub respond: Value,
}

/// Runs USER_SRP_AUTH for `username` over raw HTTP and computes the PASSWORD_VERIFIER
/// answer for `password`, without sending it.
pub async fn prepare_srp(ctx: &Ctx, username: &str, password: &str) -> PreparedSrp {
    prepare_srp_at(
        ctx.server.local_addr(),
        &ctx.pool_id,
        &ctx.client_id,
        username,
        password,
    )
    .await
}

/// [`prepare_srp`] against a server known by its address, pool and client.
pub async fn prepare_srp_at(
    addr: std::net::SocketAddr,
    pool_id: &str,
    client_id: &str,
    username: &str,
    password: &str,
) -> PreparedSrp {
    let sign_in = userpool_srp::SrpSignIn::new().expect("srp client");
    let init = call(
        addr,
        "InitiateAuth",
        &json!({
            "ClientId": client_id,
            "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": { "USERNAME": username, "SRP_A": sign_in.srp_a() },
        }),
    )
    .await;
    assert_eq!(init.status, 200, "InitiateAuth: {}", init.body);
    let p = init.json()["ChallengeParameters"].clone();
    let ts = userpool_srp::timestamp(std::time::SystemTime::now());
    let answer = sign_in
        .answer(pool_id, password, &ts, |k| p[k].as_str())
        .expect("claim");
    let responses: serde_json::Map<String, Value> = answer
        .responses()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), json!(value)))
        .collect();
    PreparedSrp {
        respond: json!({
            "ClientId": client_id,
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeResponses": responses,
        }),
    }
}

/// Sends the prepared answer; `Ok(tokens)` or `Err((__type, message))`.
pub async fn finish_srp(ctx: &Ctx, prepared: &PreparedSrp) -> Result<Value, (String, String)> {
    let out = call(
        ctx.server.local_addr(),
        "RespondToAuthChallenge",
        &prepared.respond,
    )
    .await;
    let v = out.json();
    if out.status == 200 {
        Ok(v["AuthenticationResult"].clone())
    } else {
        Err((
            v["__type"].as_str().unwrap_or("").to_owned(),
            v["message"].as_str().unwrap_or("").to_owned(),
        ))
    }
}

fn refused_with_old_password() -> (String, String) {
    (
        "NotAuthorizedException".to_owned(),
        "Incorrect username or password.".to_owned(),
    )
}

#[tokio::test]
async fn srp_started_before_admin_set_password_cannot_finish_with_the_old_password() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "ann", PW, &[])
        .await
        .unwrap();
    let control = prepare_srp(&ctx, "ann", PW).await;
    let raced = prepare_srp(&ctx, "ann", PW).await;
    // Nothing changed yet: a prepared answer is good.
    assert!(finish_srp(&ctx, &control).await.is_ok());
    ctx.server
        .set_password(&ctx.pool_id, "ann", "N3w-Passw0rd!", true)
        .await
        .unwrap();
    assert_eq!(
        finish_srp(&ctx, &raced).await.unwrap_err(),
        refused_with_old_password()
    );
    // The new password works.
    srp_sign_in(&ctx, "ann", "N3w-Passw0rd!").await.unwrap();
}

#[tokio::test]
async fn srp_started_before_confirm_forgot_password_cannot_finish() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(
            &ctx.pool_id,
            "ben",
            PW,
            &[("email", "ben@example.com"), ("email_verified", "true")],
        )
        .await
        .unwrap();
    let raced = prepare_srp(&ctx, "ben", PW).await;
    ctx.sdk
        .forgot_password()
        .client_id(&ctx.client_id)
        .username("ben")
        .send()
        .await
        .unwrap();
    let code = ctx.server.latest_code(&ctx.pool_id, "ben").unwrap();
    ctx.sdk
        .confirm_forgot_password()
        .client_id(&ctx.client_id)
        .username("ben")
        .confirmation_code(code)
        .password("N3w-Passw0rd!")
        .send()
        .await
        .unwrap();
    assert_eq!(
        finish_srp(&ctx, &raced).await.unwrap_err(),
        refused_with_old_password()
    );
}

#[tokio::test]
async fn srp_started_before_global_sign_out_is_not_issued_a_session() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "cat", PW, &[])
        .await
        .unwrap();
    let tokens = srp_sign_in(&ctx, "cat", PW).await.unwrap();
    let raced = prepare_srp(&ctx, "cat", PW).await;
    ctx.sdk
        .global_sign_out()
        .access_token(tokens.access_token().unwrap())
        .send()
        .await
        .unwrap();
    let (code, _) = finish_srp(&ctx, &raced).await.unwrap_err();
    assert_eq!(code, "NotAuthorizedException");
    // A sign-in started after the sign-out is fine.
    srp_sign_in(&ctx, "cat", PW).await.unwrap();
}

#[tokio::test]
async fn srp_started_before_admin_global_sign_out_or_disable_is_not_issued_a_session() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "dan", PW, &[])
        .await
        .unwrap();
    let raced = prepare_srp(&ctx, "dan", PW).await;
    ctx.sdk
        .admin_user_global_sign_out()
        .user_pool_id(&ctx.pool_id)
        .username("dan")
        .send()
        .await
        .unwrap();
    let (code, _) = finish_srp(&ctx, &raced).await.unwrap_err();
    assert_eq!(code, "NotAuthorizedException");

    let raced = prepare_srp(&ctx, "dan", PW).await;
    ctx.sdk
        .admin_disable_user()
        .user_pool_id(&ctx.pool_id)
        .username("dan")
        .send()
        .await
        .unwrap();
    ctx.sdk
        .admin_enable_user()
        .user_pool_id(&ctx.pool_id)
        .username("dan")
        .send()
        .await
        .unwrap();
    let (code, _) = finish_srp(&ctx, &raced).await.unwrap_err();
    assert_eq!(code, "NotAuthorizedException");
}

#[tokio::test]
async fn srp_started_before_the_user_is_deleted_is_not_issued_a_session() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "eve", PW, &[])
        .await
        .unwrap();
    let raced = prepare_srp(&ctx, "eve", PW).await;
    ctx.sdk
        .admin_delete_user()
        .user_pool_id(&ctx.pool_id)
        .username("eve")
        .send()
        .await
        .unwrap();
    let (code, _) = finish_srp(&ctx, &raced).await.unwrap_err();
    assert_eq!(code, "UserNotFoundException");
}

#[tokio::test]
async fn a_new_password_challenge_answered_after_the_user_is_disabled_gets_no_session() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "fay", PW, &[])
        .await
        .unwrap();
    // A temporary password: the sign-in ends in NEW_PASSWORD_REQUIRED.
    ctx.server
        .set_password(&ctx.pool_id, "fay", "T3mp-Passw0rd!", false)
        .await
        .unwrap();
    let (code, _) = srp_sign_in(&ctx, "fay", "T3mp-Passw0rd!")
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(code, "NoTokens");
    let prepared = prepare_srp(&ctx, "fay", "T3mp-Passw0rd!").await;
    let challenge = call(
        ctx.server.local_addr(),
        "RespondToAuthChallenge",
        &prepared.respond,
    )
    .await
    .json();
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    ctx.sdk
        .admin_disable_user()
        .user_pool_id(&ctx.pool_id)
        .username("fay")
        .send()
        .await
        .unwrap();
    let answer = call(
        ctx.server.local_addr(),
        "RespondToAuthChallenge",
        &json!({
            "ClientId": ctx.client_id,
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": challenge["Session"],
            "ChallengeResponses": { "USERNAME": "fay", "NEW_PASSWORD": "N3w-Passw0rd!" },
        }),
    )
    .await;
    let v = answer.json();
    assert_eq!(
        (v["__type"].as_str(), v["message"].as_str()),
        (Some("NotAuthorizedException"), Some("User is disabled."))
    );
}

#[tokio::test]
async fn a_new_password_challenge_opened_before_a_new_temporary_password_is_expired() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "gil", PW, &[])
        .await
        .unwrap();
    ctx.server
        .set_password(&ctx.pool_id, "gil", "T3mp-Passw0rd!", false)
        .await
        .unwrap();
    let prepared = prepare_srp(&ctx, "gil", "T3mp-Passw0rd!").await;
    let challenge = call(
        ctx.server.local_addr(),
        "RespondToAuthChallenge",
        &prepared.respond,
    )
    .await
    .json();
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    // The administrator issues another temporary password meanwhile.
    ctx.server
        .set_password(&ctx.pool_id, "gil", "Oth3r-Temp0rary!", false)
        .await
        .unwrap();
    let answer = call(
        ctx.server.local_addr(),
        "RespondToAuthChallenge",
        &json!({
            "ClientId": ctx.client_id,
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": challenge["Session"],
            "ChallengeResponses": { "USERNAME": "gil", "NEW_PASSWORD": "N3w-Passw0rd!" },
        }),
    )
    .await;
    let v = answer.json();
    assert_eq!(
        (v["__type"].as_str(), v["message"].as_str()),
        (
            Some("NotAuthorizedException"),
            Some("Invalid session for the user, session is expired.")
        )
    );
}
