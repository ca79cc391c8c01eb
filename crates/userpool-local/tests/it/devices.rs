//! Remembered devices over the AWS SDK: NewDeviceMetadata, ConfirmDevice with the
//! verifier of userpool-srp's device registration, the device sign-in (DEVICE_SRP_AUTH,
//! DEVICE_PASSWORD_VERIFIER) with its DeviceSrpClient, MFA skipped on a remembered device,
//! the device operations and their admin forms.

use std::time::{Duration, SystemTime};

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType, DeviceConfigurationType,
    DeviceRememberedStatusType, DeviceSecretVerifierConfigType,
};
use userpool_local::{
    ClientConfig, Limits, LocalPool, LocalPoolBuilder, PendingLimits, PoolConfig,
};
use userpool_srp::{DevicePasswordClaimRequest, DeviceRegistration, DeviceSrpClient};

use crate::common::{Ctx, PW, err, start_with};

/// A device the test remembered: its keys and random password.
struct Device {
    key: String,
    group: String,
    password: String,
}

async fn ctx(pool: PoolConfig) -> Ctx {
    ctx_with(LocalPool::builder(), pool).await
}

async fn ctx_with(builder: LocalPoolBuilder, pool: PoolConfig) -> Ctx {
    let ctx = start_with(builder, pool, ClientConfig::new("web").with_password_auth()).await;
    ctx.server
        .create_user(
            &ctx.pool_id,
            "dana",
            PW,
            &[("email", "dana@example.com"), ("email_verified", "true")],
        )
        .await
        .expect("user");
    ctx
}

type Answer =
    aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput;

/// The user SRP leg, with `device_key` in both requests as the reference client sends it.
/// Returns the challenge answered after PASSWORD_VERIFIER, or the tokens.
async fn user_srp(ctx: &Ctx, device_key: Option<&str>) -> Result<Answer, (String, String)> {
    user_srp_keyed(ctx, device_key, device_key).await
}

/// The user SRP leg with `init_key` in InitiateAuth's AuthParameters and `answer_key` in
/// the PASSWORD_VERIFIER answer.
async fn user_srp_keyed(
    ctx: &Ctx,
    init_key: Option<&str>,
    answer_key: Option<&str>,
) -> Result<Answer, (String, String)> {
    let sign_in = userpool_srp::SrpSignIn::new().expect("srp client");
    let mut init = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .auth_parameters("USERNAME", "dana")
        .auth_parameters("SRP_A", sign_in.srp_a());
    if let Some(k) = init_key {
        init = init.auth_parameters("DEVICE_KEY", k);
    }
    let out = init.send().await.expect("initiate");
    let params = out.challenge_parameters().expect("parameters");
    let ts = userpool_srp::timestamp(SystemTime::now());
    let answer = sign_in
        .answer(&ctx.pool_id, PW, &ts, |k| params.get(k).map(String::as_str))
        .expect("claim");
    let mut respond = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier);
    for (name, value) in answer.responses() {
        respond = respond.challenge_responses(name, value);
    }
    if let Some(k) = answer_key {
        respond = respond.challenge_responses("DEVICE_KEY", k);
    }
    respond.send().await.map_err(|e| err::<(), _>(Err(e)))
}

/// A sign-in without a device key, then ConfirmDevice with a fresh registration.
async fn remember(ctx: &Ctx) -> (Device, AuthenticationResultType, bool) {
    let out = user_srp(ctx, None).await.expect("sign-in");
    let tokens = out.authentication_result().expect("tokens").clone();
    let meta = tokens.new_device_metadata().expect("new device metadata");
    let (key, group) = (
        meta.device_key().unwrap().to_owned(),
        meta.device_group_key().unwrap().to_owned(),
    );
    assert!(key.starts_with("us-east-1_"), "{key}");
    let reg = DeviceRegistration::generate(&group, &key).expect("registration");
    let confirmed = ctx
        .sdk
        .confirm_device()
        .access_token(tokens.access_token().unwrap())
        .device_key(&key)
        .device_name("laptop")
        .device_secret_verifier_config(
            DeviceSecretVerifierConfigType::builder()
                .salt(&reg.verifier_config.salt)
                .password_verifier(&reg.verifier_config.password_verifier)
                .build(),
        )
        .send()
        .await
        .expect("confirm device");
    let device = Device {
        key,
        group,
        password: reg.random_password.as_str().to_owned(),
    };
    (device, tokens, confirmed.user_confirmation_necessary())
}

/// The full device sign-in. `password` is the device password the client signs with.
/// Returns the final answer (tokens or an MFA challenge) or the failing call's error.
async fn device_sign_in(ctx: &Ctx, d: &Device, password: &str) -> Result<Answer, (String, String)> {
    let out = user_srp(ctx, Some(&d.key)).await?;
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::DeviceSrpAuth)
    );
    answer_device(ctx, out.session().unwrap(), d, password).await
}

/// Answers a DEVICE_SRP_AUTH challenge (`session`) as device `d`, then its
/// DEVICE_PASSWORD_VERIFIER signed with `password`.
async fn answer_device(
    ctx: &Ctx,
    session: &str,
    d: &Device,
    password: &str,
) -> Result<Answer, (String, String)> {
    let (out, client) = device_srp(ctx, session, &d.key).await?;
    device_verifier(ctx, &out, client, d, password).await
}

/// Answers a DEVICE_SRP_AUTH challenge naming `device_key`; returns the
/// DEVICE_PASSWORD_VERIFIER challenge and the device client that answers it.
async fn device_srp(
    ctx: &Ctx,
    session: &str,
    device_key: &str,
) -> Result<(Answer, DeviceSrpClient), (String, String)> {
    let client = DeviceSrpClient::new().expect("device client");
    let out = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::DeviceSrpAuth)
        .session(session)
        .challenge_responses("USERNAME", "dana")
        .challenge_responses("DEVICE_KEY", device_key)
        .challenge_responses("SRP_A", client.srp_a_hex())
        .send()
        .await
        .map_err(|e| err::<(), _>(Err(e)))?;
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::DevicePasswordVerifier)
    );
    Ok((out, client))
}

/// Answers a DEVICE_PASSWORD_VERIFIER challenge as device `d`, signed with `password`.
async fn device_verifier(
    ctx: &Ctx,
    out: &Answer,
    client: DeviceSrpClient,
    d: &Device,
    password: &str,
) -> Result<Answer, (String, String)> {
    let params = out.challenge_parameters().unwrap();
    let ts = userpool_srp::timestamp(SystemTime::now());
    let signature = client
        .password_claim(&DevicePasswordClaimRequest {
            device_group_key: &d.group,
            device_key: &d.key,
            random_password: password,
            salt_hex: &params["SALT"],
            srp_b_hex: &params["SRP_B"],
            secret_block_b64: &params["SECRET_BLOCK"],
            timestamp: &ts,
        })
        .expect("signature");
    ctx.sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::DevicePasswordVerifier)
        .session(out.session().unwrap())
        .challenge_responses("USERNAME", "dana")
        .challenge_responses("DEVICE_KEY", &d.key)
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &params["SECRET_BLOCK"])
        .challenge_responses("TIMESTAMP", ts)
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
        .send()
        .await
        .map_err(|e| err::<(), _>(Err(e)))
}

fn tracking() -> PoolConfig {
    PoolConfig::new("devices").with_device_tracking(true, false)
}

#[tokio::test]
async fn a_remembered_device_signs_in_with_device_srp_and_a_wrong_password_is_refused() {
    let ctx = ctx(tracking()).await;
    let (device, _, necessary) = remember(&ctx).await;
    assert!(
        !necessary,
        "remembered at once without the user prompt setting"
    );
    let out = device_sign_in(&ctx, &device, &device.password)
        .await
        .expect("device sign-in");
    let tokens = out.authentication_result().expect("tokens");
    assert!(tokens.new_device_metadata().is_none(), "a known device");
    assert!(tokens.refresh_token().is_some());

    let wrong = userpool_srp::DevicePassword::generate().unwrap();
    let e = device_sign_in(&ctx, &device, wrong.as_str())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        (
            "NotAuthorizedException".into(),
            "Incorrect username or password.".into()
        )
    );
    // An unknown device key: refused once the password is right.
    let e = user_srp(&ctx, Some("us-east-1_00000000-0000-4000-8000-000000000000"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        (
            "ResourceNotFoundException".into(),
            "Device does not exist.".into()
        )
    );
}

#[tokio::test]
async fn device_operations_own_and_admin() {
    let ctx = ctx(PoolConfig::new("devices").with_device_tracking(true, true)).await;
    let (device, tokens, necessary) = remember(&ctx).await;
    assert!(necessary, "DeviceOnlyRememberedOnUserPrompt");
    let access = tokens.access_token().unwrap();
    // Not remembered yet: the public forms do not show it, the admin ones do.
    let listed = ctx
        .sdk
        .list_devices()
        .access_token(access)
        .send()
        .await
        .unwrap();
    assert!(listed.devices().is_empty());
    let (code, _) = err(ctx
        .sdk
        .get_device()
        .access_token(access)
        .device_key(&device.key)
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
    let admin = ctx
        .sdk
        .admin_get_device()
        .user_pool_id(&ctx.pool_id)
        .username("dana")
        .device_key(&device.key)
        .send()
        .await
        .unwrap();
    let attr = |d: &aws_sdk_cognitoidentityprovider::types::DeviceType, name: &str| {
        d.device_attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    let d = admin.device().unwrap();
    assert_eq!(
        attr(d, "dev:device_remembered_status").as_deref(),
        Some("not_remembered")
    );
    assert_eq!(attr(d, "device_name").as_deref(), Some("laptop"));

    ctx.sdk
        .update_device_status()
        .access_token(access)
        .device_key(&device.key)
        .device_remembered_status(DeviceRememberedStatusType::Remembered)
        .send()
        .await
        .unwrap();
    let got = ctx
        .sdk
        .get_device()
        .access_token(access)
        .device_key(&device.key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attr(got.device().unwrap(), "dev:device_remembered_status").as_deref(),
        Some("remembered")
    );
    // A second device, to page through.
    let (second, _, _) = remember(&ctx).await;
    let page = ctx
        .sdk
        .admin_list_devices()
        .user_pool_id(&ctx.pool_id)
        .username("dana")
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.devices().len(), 1);
    let next = ctx
        .sdk
        .admin_list_devices()
        .user_pool_id(&ctx.pool_id)
        .username("dana")
        .limit(1)
        .pagination_token(page.pagination_token().expect("more"))
        .send()
        .await
        .unwrap();
    assert_eq!(next.devices().len(), 1);
    assert_ne!(
        page.devices()[0].device_key(),
        next.devices()[0].device_key()
    );
    assert!(next.pagination_token().is_none());

    ctx.sdk
        .admin_update_device_status()
        .user_pool_id(&ctx.pool_id)
        .username("dana")
        .device_key(&second.key)
        .device_remembered_status(DeviceRememberedStatusType::Remembered)
        .send()
        .await
        .unwrap();
    // Forgetting revokes the sessions signed in from the device.
    ctx.sdk
        .forget_device()
        .access_token(access)
        .device_key(&device.key)
        .send()
        .await
        .unwrap();
    let (code, _) = err(ctx.sdk.get_user().access_token(access).send().await);
    assert_eq!(code, "NotAuthorizedException");
    ctx.sdk
        .admin_forget_device()
        .user_pool_id(&ctx.pool_id)
        .username("dana")
        .device_key(&second.key)
        .send()
        .await
        .unwrap();
    let (code, message) = err(ctx
        .sdk
        .admin_forget_device()
        .user_pool_id(&ctx.pool_id)
        .username("dana")
        .device_key(&second.key)
        .send()
        .await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ResourceNotFoundException", "Device does not exist.")
    );
    let e = device_sign_in(&ctx, &device, &device.password)
        .await
        .unwrap_err();
    assert_eq!(e.0, "ResourceNotFoundException");
}

#[tokio::test]
async fn mfa_is_skipped_on_a_remembered_device_only() {
    let ctx = ctx(tracking()).await;
    ctx.sdk
        .set_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .mfa_configuration(aws_sdk_cognitoidentityprovider::types::UserPoolMfaType::On)
        .email_mfa_configuration(
            aws_sdk_cognitoidentityprovider::types::EmailMfaConfigType::builder().build(),
        )
        .send()
        .await
        .unwrap();
    // The device is confirmed from a sign-in that answered MFA.
    let first = user_srp(&ctx, None).await.unwrap();
    assert_eq!(first.challenge_name(), Some(&ChallengeNameType::EmailOtp));
    let code = ctx.server.latest_code(&ctx.pool_id, "dana").expect("code");
    let out = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::EmailOtp)
        .session(first.session().unwrap())
        .challenge_responses("USERNAME", "dana")
        .challenge_responses("EMAIL_OTP_CODE", code)
        .send()
        .await
        .unwrap();
    let tokens = out.authentication_result().unwrap();
    let meta = tokens.new_device_metadata().expect("metadata after MFA");
    let d = Device {
        key: meta.device_key().unwrap().to_owned(),
        group: meta.device_group_key().unwrap().to_owned(),
        password: String::new(),
    };
    let reg = DeviceRegistration::generate(&d.group, &d.key).unwrap();
    ctx.sdk
        .confirm_device()
        .access_token(tokens.access_token().unwrap())
        .device_key(&d.key)
        .device_secret_verifier_config(
            DeviceSecretVerifierConfigType::builder()
                .salt(&reg.verifier_config.salt)
                .password_verifier(&reg.verifier_config.password_verifier)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = Device {
        password: reg.random_password.as_str().to_owned(),
        ..d
    };
    let out = device_sign_in(&ctx, &d, &d.password).await.unwrap();
    assert!(out.authentication_result().is_some(), "remembered: no MFA");
    ctx.sdk
        .admin_update_device_status()
        .user_pool_id(&ctx.pool_id)
        .username("dana")
        .device_key(&d.key)
        .device_remembered_status(DeviceRememberedStatusType::NotRemembered)
        .send()
        .await
        .unwrap();
    let out = device_sign_in(&ctx, &d, &d.password).await.unwrap();
    assert_eq!(out.challenge_name(), Some(&ChallengeNameType::EmailOtp));
}

#[tokio::test]
async fn no_device_metadata_without_device_configuration_and_bad_inputs_are_typed() {
    let ctx = ctx(PoolConfig::new("plain")).await;
    let out = user_srp(&ctx, None).await.unwrap();
    let tokens = out.authentication_result().unwrap();
    assert!(tokens.new_device_metadata().is_none());
    let described = ctx
        .sdk
        .describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    assert!(
        described
            .user_pool()
            .unwrap()
            .device_configuration()
            .is_none()
    );

    let ctx = crate::devices::ctx(tracking()).await;
    let described = ctx
        .sdk
        .describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    let config = described
        .user_pool()
        .unwrap()
        .device_configuration()
        .unwrap();
    assert!(config.challenge_required_on_new_device());
    assert!(!config.device_only_remembered_on_user_prompt());
    // UpdateUserPool sets it (and leaving it out turns it off).
    ctx.sdk
        .update_user_pool()
        .user_pool_id(&ctx.pool_id)
        .device_configuration(
            DeviceConfigurationType::builder()
                .device_only_remembered_on_user_prompt(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let described = ctx
        .sdk
        .describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    let config = described
        .user_pool()
        .unwrap()
        .device_configuration()
        .unwrap();
    assert!(config.device_only_remembered_on_user_prompt());

    let out = user_srp(&ctx, None).await.unwrap();
    let tokens = out.authentication_result().unwrap();
    let meta = tokens.new_device_metadata().unwrap();
    let confirm = |salt: &str, verifier: &str, key: &str| {
        ctx.sdk
            .confirm_device()
            .access_token(tokens.access_token().unwrap())
            .device_key(key)
            .device_secret_verifier_config(
                DeviceSecretVerifierConfigType::builder()
                    .salt(salt)
                    .password_verifier(verifier)
                    .build(),
            )
            .send()
    };
    let (code, message) = err(confirm("not base64!", "AQ==", meta.device_key().unwrap()).await);
    assert_eq!(code, "InvalidParameterException", "{message}");
    let reg =
        DeviceRegistration::generate(meta.device_group_key().unwrap(), meta.device_key().unwrap())
            .unwrap();
    let (code, message) = err(confirm(
        &reg.verifier_config.salt,
        &reg.verifier_config.password_verifier,
        "us-east-1_00000000-0000-4000-8000-000000000000",
    )
    .await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ResourceNotFoundException", "Device does not exist.")
    );
    let (code, _) = err(ctx
        .sdk
        .list_devices()
        .access_token(tokens.access_token().unwrap())
        .pagination_token("garbage")
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
}

/// `(code, message)` of NotAuthorizedException with `message`.
fn not_authorized(message: &str) -> (String, String) {
    ("NotAuthorizedException".into(), message.into())
}

#[tokio::test]
async fn a_device_key_in_the_auth_parameters_alone_names_the_device() {
    let ctx = ctx(tracking()).await;
    let (device, _, _) = remember(&ctx).await;
    let unknown = "us-east-1_00000000-0000-4000-8000-000000000000";
    // USER_SRP_AUTH with DEVICE_KEY in InitiateAuth only: carried to PASSWORD_VERIFIER.
    let out = user_srp_keyed(&ctx, Some(&device.key), None).await.unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::DeviceSrpAuth)
    );
    let out = answer_device(&ctx, out.session().unwrap(), &device, &device.password)
        .await
        .unwrap();
    assert!(out.authentication_result().is_some());
    // Both given and different: the answer's wins.
    let out = user_srp_keyed(&ctx, Some(unknown), Some(&device.key))
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::DeviceSrpAuth)
    );
    let e = user_srp_keyed(&ctx, Some(&device.key), Some(unknown))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        (
            "ResourceNotFoundException".into(),
            "Device does not exist.".into()
        )
    );

    // USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH take DEVICE_KEY too.
    let out = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "dana")
        .auth_parameters("PASSWORD", PW)
        .auth_parameters("DEVICE_KEY", &device.key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::DeviceSrpAuth)
    );
    let out = answer_device(&ctx, out.session().unwrap(), &device, &device.password)
        .await
        .unwrap();
    assert!(out.authentication_result().is_some());
    let mut admin_client = ClientConfig::new("server");
    admin_client.explicit_auth_flows = vec![
        "ALLOW_ADMIN_USER_PASSWORD_AUTH".into(),
        "ALLOW_REFRESH_TOKEN_AUTH".into(),
    ];
    let admin = ctx
        .server
        .create_client(&ctx.pool_id, admin_client)
        .await
        .unwrap();
    let out = ctx
        .sdk
        .admin_initiate_auth()
        .user_pool_id(&ctx.pool_id)
        .client_id(&admin.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "dana")
        .auth_parameters("PASSWORD", PW)
        .auth_parameters("DEVICE_KEY", &device.key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::DeviceSrpAuth)
    );
}

#[tokio::test]
async fn the_device_challenge_is_bound_to_the_device_the_sign_in_named() {
    let ctx = ctx(tracking()).await;
    let (first, _, _) = remember(&ctx).await;
    let (second, _, _) = remember(&ctx).await;
    let out = user_srp(&ctx, Some(&first.key)).await.unwrap();
    let session = out.session().unwrap();
    // The other device is the user's and confirmed, but not the one this sign-in named.
    let e = device_srp(&ctx, session, &second.key).await.unwrap_err();
    assert_eq!(
        e,
        (
            "ResourceNotFoundException".into(),
            "Device does not exist.".into()
        )
    );
    // The device it was opened for still answers it.
    let out = answer_device(&ctx, session, &first, &first.password)
        .await
        .unwrap();
    assert!(out.authentication_result().is_some());
}

#[tokio::test]
async fn device_sign_ins_in_progress_are_per_server_and_bounded_per_user() {
    let builder = LocalPool::builder().pending_limits(PendingLimits::default().with_per_user(1));
    let ctx = ctx_with(builder, tracking()).await;
    let (device, _, _) = remember(&ctx).await;
    let other = ctx_with(LocalPool::builder(), tracking()).await;

    let out = user_srp(&ctx, Some(&device.key)).await.unwrap();
    let (older, older_client) = device_srp(&ctx, out.session().unwrap(), &device.key)
        .await
        .unwrap();
    assert_eq!(ctx.server.pending_stats().device_attempts, 1);
    assert!(ctx.server.pending_stats().device_bytes > 0);
    assert_eq!(other.server.pending_stats().device_attempts, 0);
    // Another server does not know the session.
    let e = other
        .sdk
        .respond_to_auth_challenge()
        .client_id(&other.client_id)
        .challenge_name(ChallengeNameType::DevicePasswordVerifier)
        .session(older.session().unwrap())
        .challenge_responses("USERNAME", "dana")
        .challenge_responses("DEVICE_KEY", &device.key)
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", "AA==")
        .challenge_responses("TIMESTAMP", "x")
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", "AA==")
        .send()
        .await;
    assert_eq!(err(e).0, "NotAuthorizedException");

    // A second device sign-in of the same user evicts the first (one per user here).
    let out = user_srp(&ctx, Some(&device.key)).await.unwrap();
    let (newer, newer_client) = device_srp(&ctx, out.session().unwrap(), &device.key)
        .await
        .unwrap();
    assert_eq!(ctx.server.pending_stats().device_attempts, 1);
    let e = device_verifier(&ctx, &older, older_client, &device, &device.password)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        not_authorized("Invalid session for the user, session is expired.")
    );
    let out = device_verifier(&ctx, &newer, newer_client, &device, &device.password)
        .await
        .unwrap();
    assert!(out.authentication_result().is_some());
    assert_eq!(ctx.server.pending_stats().device_attempts, 0);
}

#[tokio::test]
async fn wrong_device_passwords_lock_the_device_for_a_while() {
    let limits = Limits::default().with_lockout(3, Duration::from_secs(1), Duration::from_secs(2));
    let ctx = ctx_with(LocalPool::builder().limits(limits), tracking()).await;
    let (device, _, _) = remember(&ctx).await;
    let (spare, _, _) = remember(&ctx).await;
    let wrong = userpool_srp::DevicePassword::generate().unwrap();
    // A device sign-in opened before the limit is reached, answered after it.
    let early = user_srp(&ctx, Some(&device.key)).await.unwrap();
    for _ in 0..3 {
        let e = device_sign_in(&ctx, &device, wrong.as_str())
            .await
            .unwrap_err();
        assert_eq!(e, not_authorized("Incorrect username or password."));
    }
    assert_eq!(ctx.server.pending_stats().device_failures, 1);
    // Locked: even the right device password is refused, at either step.
    let e = device_sign_in(&ctx, &device, &device.password)
        .await
        .unwrap_err();
    assert_eq!(e, not_authorized("Password attempts exceeded"));
    let e = answer_device(&ctx, early.session().unwrap(), &device, &device.password)
        .await
        .unwrap_err();
    assert_eq!(e, not_authorized("Password attempts exceeded"));
    // Only that device: the user's other device and password sign-ins still work.
    let out = device_sign_in(&ctx, &spare, &spare.password).await.unwrap();
    assert!(out.authentication_result().is_some());
    let out = user_srp(&ctx, None).await.unwrap();
    assert!(out.authentication_result().is_some());
    // The count is forgotten `lockout_max` after the last failure.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let out = device_sign_in(&ctx, &device, &device.password)
        .await
        .unwrap();
    assert!(out.authentication_result().is_some());
    assert_eq!(ctx.server.pending_stats().device_failures, 0);
}

/// GetTokensFromRefreshToken with `device_key`, and REFRESH_TOKEN_AUTH with it.
async fn refresh_both(
    ctx: &Ctx,
    token: &str,
    device_key: Option<&str>,
) -> [Result<(), (String, String)>; 2] {
    let get = ctx
        .sdk
        .get_tokens_from_refresh_token()
        .client_id(&ctx.client_id)
        .refresh_token(token)
        .set_device_key(device_key.map(str::to_owned))
        .send()
        .await
        .map(|out| {
            assert!(
                out.authentication_result()
                    .unwrap()
                    .access_token()
                    .is_some()
            )
        })
        .map_err(|e| err::<(), _>(Err(e)));
    let mut init = ctx
        .sdk
        .initiate_auth()
        .client_id(&ctx.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", token);
    if let Some(k) = device_key {
        init = init.auth_parameters("DEVICE_KEY", k);
    }
    let auth = init
        .send()
        .await
        .map(|out| {
            assert!(
                out.authentication_result()
                    .unwrap()
                    .access_token()
                    .is_some()
            )
        })
        .map_err(|e| err::<(), _>(Err(e)));
    [get, auth]
}

#[tokio::test]
async fn a_refresh_of_a_device_session_needs_that_device_key() {
    let ctx = ctx(tracking()).await;
    let (device, first_tokens, _) = remember(&ctx).await;
    let (other, _, _) = remember(&ctx).await;
    let invalid = || Err(not_authorized("Invalid Refresh Token"));

    // The sign-in that handed the device out is linked to it once it is confirmed: the
    // reference client refreshes it with the new DEVICE_KEY.
    let first = first_tokens.refresh_token().unwrap();
    assert_eq!(
        refresh_both(&ctx, first, None).await,
        [invalid(), invalid()]
    );
    assert_eq!(
        refresh_both(&ctx, first, Some(&other.key)).await,
        [invalid(), invalid()]
    );
    assert_eq!(
        refresh_both(&ctx, first, Some(&device.key)).await,
        [Ok(()), Ok(())]
    );

    // A device sign-in: the same binding.
    let out = device_sign_in(&ctx, &device, &device.password)
        .await
        .unwrap();
    let token = out
        .authentication_result()
        .unwrap()
        .refresh_token()
        .unwrap();
    assert_eq!(
        refresh_both(&ctx, token, None).await,
        [invalid(), invalid()]
    );
    assert_eq!(
        refresh_both(&ctx, token, Some(&other.key)).await,
        [invalid(), invalid()]
    );
    assert_eq!(
        refresh_both(&ctx, token, Some("not-a-device")).await,
        [invalid(), invalid()]
    );
    assert_eq!(
        refresh_both(&ctx, token, Some(&device.key)).await,
        [Ok(()), Ok(())]
    );
}
