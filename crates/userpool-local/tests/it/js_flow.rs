//! amazon-cognito-identity-js (the JavaScript reference client) through the everyday flows
//! on the local pool (`tests/peer/js_flow.js`): an SRP sign-in, a wrong password refused
//! with Cognito's answer, reading attributes, a refresh, a global sign-out that ends the
//! refresh token, a sign-in with an email alias, and an admin-created user through
//! NEW_PASSWORD_REQUIRED. What the library did is then checked through the admin API.

use userpool_local::ClientConfig;

use crate::common::*;
use crate::peer;

#[tokio::test]
async fn the_reference_client_signs_in_refreshes_signs_out_and_sets_a_new_password() {
    let test = "the_reference_client_signs_in_refreshes_signs_out_and_sets_a_new_password";
    let Some(modules) = peer::from_env(
        test,
        peer::NODE_CLIENTS_MODULES,
        "a node_modules folder with amazon-cognito-identity-js",
    ) else {
        return;
    };
    let mut pool = email_pool();
    pool.alias_attributes = vec!["email".into()];
    let ctx = start(pool, ClientConfig::new("js")).await;
    ctx.server
        .create_user(
            &ctx.pool_id,
            "jsuser",
            "Js-Passw0rd!",
            &[("email", "jsemail@example.com"), ("email_verified", "true")],
        )
        .await
        .expect("jsuser");
    ctx.sdk
        .admin_create_user()
        .user_pool_id(&ctx.pool_id)
        .username("jsnew")
        .temporary_password("Temp-Passw0rd1!")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("jsnew");

    let endpoint = ctx.server.endpoint().to_owned();
    let stdout = peer::run_node_script(
        &modules,
        "js_flow.js",
        &[&endpoint, &ctx.pool_id, &ctx.client_id],
    )
    .await;
    let lines: Vec<&str> = stdout.lines().collect();
    for expected in [
        "srp ok jsuser true",
        "wrong password: NotAuthorizedException Incorrect username or password.",
        "refresh ok",
        "refresh after global sign out: NotAuthorizedException",
        "global sign out ok",
        "alias sign in: ok",
        "new password ok",
    ] {
        assert!(
            lines.contains(&expected),
            "no line {expected:?} in:\n{stdout}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("attrs ") && l.contains("email")),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("challenge NEW_PASSWORD_REQUIRED")),
        "{stdout}"
    );
    let jsnew = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("jsnew")
        .send()
        .await
        .expect("AdminGetUser");
    assert_eq!(jsnew.user_status().map(|s| s.as_str()), Some("CONFIRMED"));
}
