//! Admin calls through the AWS SDK: creating pools and app clients, admin-created users,
//! admin confirmation and sign-out, describing a pool.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, Result, anyhow};
use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, AuthFactorType, DeviceConfigurationType, EmailMfaConfigType,
    ExplicitAuthFlowsType, FeatureType, MessageActionType, RefreshTokenRotationType,
    SchemaAttributeType, SignInPolicyType, SmsConfigurationType, SmsMfaConfigType,
    SoftwareTokenMfaConfigType, StringAttributeConstraintsType, TimeUnitsType,
    TokenValidityUnitsType, UserAttributeUpdateSettingsType, UserPoolMfaType, UserPoolPolicyType,
    UserPoolTierType, VerifiedAttributeType,
};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::backend::{AppClient, CUSTOM_ATTRIBUTE, PoolMfa, PoolOptions};

/// An SDK error as one line: the exception name and message the server sent, or the
/// failure with its causes.
pub(crate) fn sdk_error<E>(e: E) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match e.code() {
        Some(code) => anyhow!("{code}: {}", e.message().unwrap_or_default()),
        None => anyhow!("{}", DisplayErrorContext(e)),
    }
}

/// An SDK client for a local server (moto, the local pool): dummy credentials, plain
/// HTTP, no retries (a failure is a finding, not noise to retry).
pub fn local_sdk(endpoint: &str, region: &str) -> cip::Client {
    let config = cip::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "userpool-it",
            "userpool-it-dummy-secret",
            None,
            None,
            "userpool-it",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(cip::config::retry::RetryConfig::disabled())
        .build();
    cip::Client::from_conf(config)
}

/// An SDK client for AWS: the ambient credentials (environment, profile, …) and HTTPS.
pub(crate) async fn aws_sdk(region: &str) -> cip::Client {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .http_client(https)
        .load()
        .await;
    cip::Client::new(&config)
}

fn attribute(name: &str, value: &str) -> Result<AttributeType> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| anyhow!("attribute {name}: {e}"))
}

static POOLS: AtomicU64 = AtomicU64::new(0);

/// Creates a pool and an app client with `options`, in `region`.
pub(crate) async fn create_app(
    sdk: &cip::Client,
    region: &str,
    options: &PoolOptions,
) -> Result<AppClient> {
    let n = POOLS.fetch_add(1, Ordering::Relaxed);
    let mut pool = sdk
        .create_user_pool()
        .pool_name(format!("userpool-it-{n}"))
        .auto_verified_attributes(VerifiedAttributeType::Email);
    let mut schema = Vec::new();
    if options.custom_attributes {
        schema.push(
            SchemaAttributeType::builder()
                .name(CUSTOM_ATTRIBUTE)
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .string_attribute_constraints(
                    StringAttributeConstraintsType::builder()
                        .min_length("1")
                        .max_length("64")
                        .build(),
                )
                .build(),
        );
    }
    if options.required_name {
        schema.push(
            SchemaAttributeType::builder()
                .name("name")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .required(true)
                .build(),
        );
    }
    if !schema.is_empty() {
        pool = pool.set_schema(Some(schema));
    }
    if options.keep_original_until_verified {
        pool = pool.user_attribute_update_settings(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        );
    }
    if let Some(user_auth) = options.user_auth {
        let mut factors = vec![AuthFactorType::Password];
        if user_auth.email_otp {
            factors.push(AuthFactorType::EmailOtp);
        }
        if user_auth.sms_otp {
            factors.push(AuthFactorType::SmsOtp);
        }
        pool = pool
            .policies(
                UserPoolPolicyType::builder()
                    .sign_in_policy(
                        SignInPolicyType::builder()
                            .set_allowed_first_auth_factors(Some(factors))
                            .build(),
                    )
                    .build(),
            )
            .user_pool_tier(UserPoolTierType::Essentials);
    }
    if let Some(devices) = options.devices {
        pool = pool.device_configuration(
            DeviceConfigurationType::builder()
                .challenge_required_on_new_device(devices.challenge_required_on_new_device)
                .device_only_remembered_on_user_prompt(
                    devices.device_only_remembered_on_user_prompt,
                )
                .build(),
        );
    }
    let pool = pool
        .send()
        .await
        .map_err(sdk_error)
        .context("CreateUserPool")?;
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .ok_or_else(|| anyhow!("CreateUserPool answered no pool id"))?
        .to_owned();
    if let Some(mfa) = options.mfa {
        set_pool_mfa(sdk, &pool_id, mfa).await?;
    }

    let mut flows = vec![ExplicitAuthFlowsType::AllowUserSrpAuth];
    if !options.refresh_rotation {
        flows.push(ExplicitAuthFlowsType::AllowRefreshTokenAuth);
    }
    if options.password_auth {
        flows.push(ExplicitAuthFlowsType::AllowUserPasswordAuth);
    }
    if options.user_auth.is_some() {
        flows.push(ExplicitAuthFlowsType::AllowUserAuth);
    }
    let mut read = vec!["email", "email_verified", "name"];
    if options.custom_attributes {
        read.push("custom:team");
    }
    let mut client = sdk
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(format!("userpool-it-{n}"))
        .generate_secret(options.secret)
        .set_explicit_auth_flows(Some(flows))
        .set_read_attributes(Some(read.into_iter().map(str::to_owned).collect()))
        .enable_token_revocation(true);
    if options.refresh_rotation {
        client = client.refresh_token_rotation(
            RefreshTokenRotationType::builder()
                .feature(FeatureType::Enabled)
                .retry_grace_period_seconds(0)
                .build()
                .context("RefreshTokenRotation")?,
        );
    }
    if options.short_validity {
        client = client
            .access_token_validity(5)
            .id_token_validity(5)
            .token_validity_units(
                TokenValidityUnitsType::builder()
                    .access_token(TimeUnitsType::Minutes)
                    .id_token(TimeUnitsType::Minutes)
                    .build(),
            );
    }
    let client = client
        .send()
        .await
        .map_err(sdk_error)
        .context("CreateUserPoolClient")?;
    let client = client
        .user_pool_client()
        .ok_or_else(|| anyhow!("CreateUserPoolClient answered no client"))?;
    let client_id = client
        .client_id()
        .ok_or_else(|| anyhow!("CreateUserPoolClient answered no client id"))?
        .to_owned();
    let client_secret = client.client_secret().map(str::to_owned);
    if options.secret && client_secret.is_none() {
        return Err(anyhow!(
            "CreateUserPoolClient with GenerateSecret answered no secret"
        ));
    }
    Ok(AppClient {
        pool_id,
        client_id,
        client_secret,
        region: region.to_owned(),
    })
}

/// `AdminCreateUser` with a temporary password and no invitation.
pub(crate) async fn admin_create_user(
    sdk: &cip::Client,
    app: &AppClient,
    username: &str,
    temporary_password: &str,
    attributes: &[(&str, &str)],
) -> Result<()> {
    let attributes = attributes
        .iter()
        .map(|(n, v)| attribute(n, v))
        .collect::<Result<Vec<_>>>()?;
    sdk.admin_create_user()
        .user_pool_id(&app.pool_id)
        .username(username)
        .temporary_password(temporary_password)
        .message_action(MessageActionType::Suppress)
        .set_user_attributes(Some(attributes))
        .send()
        .await
        .map_err(sdk_error)
        .context("AdminCreateUser")?;
    Ok(())
}

/// `AdminConfirmSignUp`.
pub(crate) async fn admin_confirm_sign_up(
    sdk: &cip::Client,
    app: &AppClient,
    username: &str,
) -> Result<()> {
    sdk.admin_confirm_sign_up()
        .user_pool_id(&app.pool_id)
        .username(username)
        .send()
        .await
        .map_err(sdk_error)
        .context("AdminConfirmSignUp")?;
    Ok(())
}

/// `AdminUserGlobalSignOut`.
pub(crate) async fn admin_global_sign_out(
    sdk: &cip::Client,
    app: &AppClient,
    username: &str,
) -> Result<()> {
    sdk.admin_user_global_sign_out()
        .user_pool_id(&app.pool_id)
        .username(username)
        .send()
        .await
        .map_err(sdk_error)
        .context("AdminUserGlobalSignOut")?;
    Ok(())
}

/// `AdminDeleteUser`.
pub(crate) async fn admin_delete_user(
    sdk: &cip::Client,
    app: &AppClient,
    username: &str,
) -> Result<()> {
    sdk.admin_delete_user()
        .user_pool_id(&app.pool_id)
        .username(username)
        .send()
        .await
        .map_err(sdk_error)
        .context("AdminDeleteUser")?;
    Ok(())
}

/// `SetUserPoolMfaConfig`: the mode and exactly the factors of `mfa` (a factor left out
/// of the request is turned off).
pub(crate) async fn set_pool_mfa(sdk: &cip::Client, pool_id: &str, mfa: PoolMfa) -> Result<()> {
    let mode = if mfa.required {
        UserPoolMfaType::On
    } else {
        UserPoolMfaType::Optional
    };
    let mut request = sdk
        .set_user_pool_mfa_config()
        .user_pool_id(pool_id)
        .mfa_configuration(mode)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder()
                .enabled(mfa.totp)
                .build(),
        );
    if mfa.sms {
        // Cognito (and moto) refuse SMS MFA without an SMS sender: an IAM role that may
        // publish to SNS. Nothing is sent from a local server, so a made-up role will do.
        let sender = SmsConfigurationType::builder()
            .sns_caller_arn("arn:aws:iam::123456789012:role/userpool-it-sms")
            .external_id("userpool-it")
            .build();
        request = request.sms_mfa_configuration(
            SmsMfaConfigType::builder()
                .sms_authentication_message("Your userpool-it code is {####}")
                .sms_configuration(sender)
                .build(),
        );
    }
    if mfa.email {
        request = request.email_mfa_configuration(
            EmailMfaConfigType::builder()
                .message("Your userpool-it code is {####}")
                .subject("userpool-it sign-in code")
                .build(),
        );
    }
    request
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("SetUserPoolMfaConfig {mfa:?}"))?;
    Ok(())
}

/// `GetUserPoolMfaConfig`, read back as a [`PoolMfa`]; `None` when MFA is off.
pub(crate) async fn pool_mfa(sdk: &cip::Client, pool_id: &str) -> Result<Option<PoolMfa>> {
    let config = sdk
        .get_user_pool_mfa_config()
        .user_pool_id(pool_id)
        .send()
        .await
        .map_err(sdk_error)
        .context("GetUserPoolMfaConfig")?;
    let required = match config.mfa_configuration() {
        None | Some(UserPoolMfaType::Off) => return Ok(None),
        Some(UserPoolMfaType::On) => true,
        Some(_) => false,
    };
    Ok(Some(PoolMfa {
        required,
        totp: config
            .software_token_mfa_configuration()
            .is_some_and(|t| t.enabled()),
        sms: config.sms_mfa_configuration().is_some(),
        email: config.email_mfa_configuration().is_some(),
    }))
}

/// `AdminUpdateUserAttributes`.
pub(crate) async fn admin_update_user_attributes(
    sdk: &cip::Client,
    app: &AppClient,
    username: &str,
    attributes: &[(&str, &str)],
) -> Result<()> {
    let attributes = attributes
        .iter()
        .map(|(n, v)| attribute(n, v))
        .collect::<Result<Vec<_>>>()?;
    sdk.admin_update_user_attributes()
        .user_pool_id(&app.pool_id)
        .username(username)
        .set_user_attributes(Some(attributes))
        .send()
        .await
        .map_err(sdk_error)
        .context("AdminUpdateUserAttributes")?;
    Ok(())
}
