//! Amplify JS v6 (aws-amplify 6.x, the current Amplify) against the local pool: an SRP
//! sign-in and a forced refresh (`tests/peer/amplify_v6_refresh.js`). Amplify v6 refreshes
//! with GetTokensFromRefreshToken; the local pool once lacked it, and every Amplify v6 app
//! lost its session on its first refresh.
//!
//! That the refresh went through GetTokensFromRefreshToken is shown twice: the script
//! records the operation of every request Amplify sent, and the app client rotates refresh
//! tokens, which only GetTokensFromRefreshToken can do (REFRESH_TOKEN_AUTH is refused on a
//! rotating client), so a refresh token replaced by Amplify's refresh proves the operation
//! on the server's side too.

use serde_json::Value;
use userpool_local::ClientConfig;

use crate::common::*;
use crate::peer;

#[tokio::test]
async fn amplify_v6_signs_in_and_refreshes_with_get_tokens_from_refresh_token() {
    let test = "amplify_v6_signs_in_and_refreshes_with_get_tokens_from_refresh_token";
    let Some(modules) = peer::from_env(
        test,
        peer::AMPLIFY_V6_MODULES,
        "a node_modules folder with aws-amplify 6",
    ) else {
        return;
    };
    // Grace 0: a replaced refresh token is refused at once.
    let ctx = start(
        email_pool(),
        ClientConfig::new("amplify-v6").with_refresh_token_rotation(0),
    )
    .await;
    ctx.server
        .create_user(
            &ctx.pool_id,
            "amy",
            PW,
            &[("email", "amy@example.com"), ("email_verified", "true")],
        )
        .await
        .expect("user");
    let scratch = peer::scratch_dir("amplify_v6");
    let tokens_file = scratch.join("tokens.json");
    let stdout = peer::run_node_script(
        &modules,
        "amplify_v6_refresh.js",
        &[
            ctx.server.endpoint(),
            &ctx.pool_id,
            &ctx.client_id,
            "amy",
            PW,
            tokens_file.to_str().expect("a UTF-8 scratch path"),
        ],
    )
    .await;
    let lines: Vec<&str> = stdout.lines().collect();
    for want in [
        "sign-in: signed in true, next step DONE",
        "sign-in operations: InitiateAuth(USER_SRP_AUTH),RespondToAuthChallenge",
        // The refresh itself: one request, the operation Amplify v6 refreshes with.
        "refresh operations: GetTokensFromRefreshToken",
        "refresh: new access token true",
        "refresh: refresh token replaced true",
        "amplify v6 flow ok",
    ] {
        assert!(lines.contains(&want), "no line {want:?} in:\n{stdout}");
    }

    // The server's side: the token Amplify signed in with was replaced by rotation (only
    // GetTokensFromRefreshToken rotates), and the one it holds now is the session's.
    let text = std::fs::read_to_string(&tokens_file).expect("the tokens the script wrote");
    let tokens: Value = serde_json::from_str(&text).expect("JSON tokens");
    let _ = std::fs::remove_dir_all(&scratch);
    let (before, after, access) = (
        tokens["before"].as_str().expect("the first refresh token"),
        tokens["after"].as_str().expect("the rotated refresh token"),
        tokens["accessToken"]
            .as_str()
            .expect("the refreshed access token"),
    );
    assert_ne!(before, after);
    let reused = ctx
        .sdk
        .get_tokens_from_refresh_token()
        .client_id(&ctx.client_id)
        .refresh_token(before)
        .send()
        .await;
    assert_eq!(err(reused).0, "RefreshTokenReuseException");
    let again = ctx
        .sdk
        .get_tokens_from_refresh_token()
        .client_id(&ctx.client_id)
        .refresh_token(after)
        .send()
        .await
        .expect("the token Amplify holds refreshes");
    assert!(
        again
            .authentication_result()
            .and_then(|t| t.refresh_token())
            .is_some_and(|t| t != after),
        "rotated once more"
    );
    let user = ctx
        .sdk
        .get_user()
        .access_token(access)
        .send()
        .await
        .expect("the refreshed access token is accepted");
    assert_eq!(user.username(), "amy");
}
