//! boto3, a stock client from another ecosystem, against the local pool.

use std::process::Command;

use crate::common::*;
use crate::peer;

#[tokio::test]
async fn boto3_peer_flow() {
    let Some(python) = peer::from_env(
        "boto3_peer_flow",
        peer::BOTO3_PYTHON,
        "a Python interpreter with boto3 installed",
    ) else {
        return;
    };
    let ctx = start(
        email_pool(),
        userpool_local::ClientConfig::new("boto3").with_password_auth(),
    )
    .await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peer/boto3_flow.py");
    let endpoint = ctx.server.endpoint().to_owned();
    let (pool_id, client_id) = (ctx.pool_id.clone(), ctx.client_id.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(script)
            .args([&endpoint, &pool_id, &client_id])
            .output()
            .unwrap_or_else(|e| panic!("running {python}: {e}"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 flow failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("boto3 flow ok"), "{stdout}");
    // What boto3 did is visible here too.
    let user = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username("boto-user")
        .send()
        .await
        .unwrap();
    assert_eq!(user.user_status().map(|s| s.as_str()), Some("CONFIRMED"));
}
