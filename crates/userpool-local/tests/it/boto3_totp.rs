//! pyotp, a TOTP implementation independent of the server's, enrols authenticators and
//! answers the SOFTWARE_TOKEN_MFA and MFA_SETUP challenges through boto3
//! (`tests/peer/boto3_totp.py`); the Rust SDK then looks at what it left behind.

use aws_sdk_cognitoidentityprovider::types::UserPoolMfaType;
use serde_json::Value;
use userpool_local::LocalPool;

use crate::common::*;
use crate::peer;

#[tokio::test]
async fn boto3_totp_peer_enrols_and_signs_in_with_pyotp() {
    let Some(python) = peer::from_env(
        "boto3_totp_peer_enrols_and_signs_in_with_pyotp",
        peer::BOTO3_PYTHON,
        "a Python interpreter with boto3 and pyotp installed",
    ) else {
        return;
    };
    // The script makes its own pools: their MFA settings are part of what it checks.
    let server = LocalPool::builder().start().await.expect("server starts");
    let stdout = peer::run_script(&python, "boto3_totp.py", &[server.endpoint()]).await;
    let last = stdout.lines().last().unwrap_or("");
    let result: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("the last line is not JSON ({e}):\n{stdout}"));
    assert_eq!(result["result"], "ok", "{stdout}");

    let sdk = sdk(server.endpoint());
    for (which, mode) in [
        ("optional", UserPoolMfaType::Optional),
        ("required", UserPoolMfaType::On),
    ] {
        let pool_id = result[which]["pool_id"].as_str().expect("pool_id");
        let username = result[which]["username"].as_str().expect("username");
        let config = sdk
            .get_user_pool_mfa_config()
            .user_pool_id(pool_id)
            .send()
            .await
            .unwrap();
        assert_eq!(config.mfa_configuration(), Some(&mode), "{which}");
        let user = sdk
            .admin_get_user()
            .user_pool_id(pool_id)
            .username(username)
            .send()
            .await
            .unwrap();
        assert_eq!(
            user.user_mfa_setting_list(),
            ["SOFTWARE_TOKEN_MFA"],
            "{which}"
        );
        // Preferred by SetUserMFAPreference in the OPTIONAL pool; what MFA_SETUP leaves
        // preferred is the server's choice, not checked here.
        if which == "optional" {
            assert_eq!(user.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));
        }
    }
}
