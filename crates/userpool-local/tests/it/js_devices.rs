//! amazon-cognito-identity-js (the JavaScript reference client) remembering a device on the
//! local pool and signing in with it (`tests/peer/js_devices.js`, one run per phase), the
//! pool checked through the admin API between the phases: the device the library
//! confirmed and remembered is known, the second sign-in went through device SRP (the
//! library answered DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER, and the device's
//! `DeviceLastAuthenticatedDate` moved: after ConfirmDevice only a device sign-in sets it),
//! and the device the library forgot is gone, the next sign-in confirming a new one.

use aws_sdk_cognitoidentityprovider::primitives::DateTime;
use aws_sdk_cognitoidentityprovider::types::DeviceType;
use userpool_local::{ClientConfig, PoolConfig};

use crate::common::*;
use crate::peer;

const USER: &str = "jsdev";

/// The value of the device attribute `name`.
fn attribute<'a>(device: &'a DeviceType, name: &str) -> Option<&'a str> {
    device
        .device_attributes()
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.value())
}

/// Every device of the user, through AdminListDevices.
async fn admin_devices(ctx: &Ctx) -> Vec<DeviceType> {
    ctx.sdk
        .admin_list_devices()
        .user_pool_id(&ctx.pool_id)
        .username(USER)
        .send()
        .await
        .expect("AdminListDevices")
        .devices()
        .to_vec()
}

fn last_authenticated(device: &DeviceType) -> DateTime {
    *device
        .device_last_authenticated_date()
        .expect("DeviceLastAuthenticatedDate")
}

/// The line of `stdout` that starts with `prefix`, without it.
fn line_after<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{stdout}"))
}

#[tokio::test]
async fn the_reference_client_remembers_a_device_signs_in_with_it_and_forgets_it() {
    let test = "the_reference_client_remembers_a_device_signs_in_with_it_and_forgets_it";
    let Some(modules) = peer::from_env(
        test,
        peer::NODE_CLIENTS_MODULES,
        "a node_modules folder with amazon-cognito-identity-js",
    ) else {
        return;
    };
    // Remembered only on the user's prompt: the device stays not_remembered until the
    // library's setDeviceStatusRemembered, so a remembered device shows that call worked.
    let ctx = start(
        PoolConfig::new("js-devices").with_device_tracking(false, true),
        ClientConfig::new("js"),
    )
    .await;
    ctx.server
        .create_user(
            &ctx.pool_id,
            USER,
            PW,
            &[("email", "jsdev@example.com"), ("email_verified", "true")],
        )
        .await
        .expect("user");
    let scratch = peer::scratch_dir("js_devices");
    let storage = scratch.join("storage.json");
    let storage = storage.to_str().expect("a UTF-8 scratch path");
    let endpoint = ctx.server.endpoint().to_owned();
    let run = |phase: &'static str| {
        let (modules, endpoint) = (modules.clone(), endpoint.clone());
        let (pool_id, client_id, storage) = (
            ctx.pool_id.clone(),
            ctx.client_id.clone(),
            storage.to_owned(),
        );
        async move {
            let stdout = peer::run_node_script(
                &modules,
                "js_devices.js",
                &[phase, &endpoint, &pool_id, &client_id, USER, PW, &storage],
            )
            .await;
            assert!(
                stdout.lines().any(|l| l == format!("phase {phase} ok")),
                "{stdout}"
            );
            stdout
        }
    };

    // 1. The SRP sign-in hands out a new device, which the library confirms by itself.
    let stdout = run("remember").await;
    assert_eq!(
        line_after(&stdout, "sign-in operations: "),
        "InitiateAuth,RespondToAuthChallenge(PASSWORD_VERIFIER),ConfirmDevice",
        "{stdout}"
    );
    assert_eq!(line_after(&stdout, "user confirmation necessary: "), "true");
    let key = line_after(&stdout, "device key: ").to_owned();
    let devices = admin_devices(&ctx).await;
    assert_eq!(devices.len(), 1, "{devices:?}");
    let device = &devices[0];
    assert_eq!(device.device_key(), Some(key.as_str()));
    assert_eq!(
        attribute(device, "dev:device_remembered_status"),
        Some("remembered")
    );
    assert!(
        attribute(device, "device_name").is_some_and(|n| !n.is_empty()),
        "the library names the device: {device:?}"
    );
    let confirmed_at = last_authenticated(device);

    // 2. A new user object on the same storage: a device sign-in, no new device.
    let stdout = run("device-sign-in").await;
    assert_eq!(
        line_after(&stdout, "sign-in operations: "),
        "InitiateAuth,RespondToAuthChallenge(PASSWORD_VERIFIER),\
         RespondToAuthChallenge(DEVICE_SRP_AUTH),RespondToAuthChallenge(DEVICE_PASSWORD_VERIFIER)",
        "{stdout}"
    );
    assert_eq!(line_after(&stdout, "same device: "), "true");
    assert_eq!(
        line_after(&stdout, "refresh operations: "),
        "InitiateAuth",
        "{stdout}"
    );
    assert_eq!(line_after(&stdout, "refreshed: "), "true");
    assert_eq!(
        line_after(&stdout, "devices: "),
        format!("1 [{key}:remembered]")
    );
    let devices = admin_devices(&ctx).await;
    assert_eq!(devices.len(), 1, "still one device: {devices:?}");
    let signed_in_at = last_authenticated(&devices[0]);
    assert!(
        signed_in_at.to_millis().unwrap() > confirmed_at.to_millis().unwrap(),
        "the device sign-in moved DeviceLastAuthenticatedDate ({confirmed_at} → {signed_in_at})"
    );

    // 3. The session kept in the storage forgets the device; the next sign-in is a new
    // device's.
    let stdout = run("forget").await;
    assert_eq!(
        line_after(&stdout, "forgotten; device key still stored: "),
        "false"
    );
    assert_eq!(
        line_after(&stdout, "sign-in operations: "),
        "InitiateAuth,RespondToAuthChallenge(PASSWORD_VERIFIER),ConfirmDevice",
        "{stdout}"
    );
    let new_key = line_after(&stdout, "new device key: ");
    assert_ne!(new_key, key);
    let forgotten = ctx
        .sdk
        .admin_get_device()
        .user_pool_id(&ctx.pool_id)
        .username(USER)
        .device_key(&key)
        .send()
        .await;
    assert_eq!(err(forgotten).0, "ResourceNotFoundException");
    let devices = admin_devices(&ctx).await;
    assert_eq!(
        devices
            .iter()
            .map(|d| (d.device_key(), attribute(d, "dev:device_remembered_status")))
            .collect::<Vec<_>>(),
        [(Some(new_key), Some("not_remembered"))],
        "only the new device, not remembered before the prompt"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
