//! The aws backend: a real Cognito user pool named by environment variables.
//!
//! | variable | meaning |
//! |---|---|
//! | `USERPOOL_IT_POOL_ID` | the user pool id |
//! | `USERPOOL_IT_CLIENT_ID` | an app client of that pool |
//! | `USERPOOL_IT_REGION` | the pool's region |
//! | `USERPOOL_IT_CODES` | how codes are read; `admin` (the default and only mode): sign-ups are confirmed with `AdminConfirmSignUp`, and flows that need an emailed or texted code are unsupported |
//! | `USERPOOL_IT_CLIENT_SECRET` | the app client's secret, if `DescribeUserPoolClient` may not be called |
//!
//! Admin calls use the ambient AWS credentials (environment, profile, …). The pool is
//! described once: a flow that needs a setting the pool or app client lacks (a secret,
//! `USER_PASSWORD_AUTH`, `custom:team`, token revocation, …) is unsupported, with the
//! reason. The pool's MFA cannot be changed either: an MFA flow runs only when the pool's
//! settings (`GetUserPoolMfaConfig`) are exactly the ones it needs, and the SMS and email
//! MFA flows, which need the code sent, never do. Users created by a flow are deleted
//! afterwards (`AdminDeleteUser`).
//!
//! The pool must let users sign themselves up and verify `email` automatically: sign-ups
//! then send real messages to `<username>@example.com` addresses, which bounce. Use a
//! test pool (Cognito's default email sender allows a few dozen messages a day; a run
//! sends about twenty).

use anyhow::{Context as _, Result, anyhow, bail};
use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, VerifiedAttributeType};

use crate::admin::{self, sdk_error};
use crate::backend::{AppClient, Backend, CUSTOM_ATTRIBUTE, PoolMfa, PoolOptions, Purpose};
use crate::flows::Flow;

/// The variables that name the pool.
pub const REQUIRED_VARIABLES: [&str; 3] = [
    "USERPOOL_IT_POOL_ID",
    "USERPOOL_IT_CLIENT_ID",
    "USERPOOL_IT_REGION",
];

/// The configuration of the aws backend, from the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsConfig {
    /// `USERPOOL_IT_POOL_ID`.
    pub pool_id: String,
    /// `USERPOOL_IT_CLIENT_ID`.
    pub client_id: String,
    /// `USERPOOL_IT_REGION`.
    pub region: String,
    /// `USERPOOL_IT_CLIENT_SECRET`, when set.
    pub client_secret: Option<String>,
}

impl AwsConfig {
    /// Reads the configuration with `var` (the environment in production). `Ok(None)`
    /// when none of the required variables is set; an error when only some are, or when
    /// `USERPOOL_IT_CODES` names a mode this suite does not know.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let values: Vec<Option<String>> = REQUIRED_VARIABLES
            .iter()
            .map(|name| var(name).filter(|v| !v.trim().is_empty()))
            .collect();
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        let missing: Vec<&str> = REQUIRED_VARIABLES
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            bail!(
                "the aws backend is half configured: {} missing",
                missing.join(", ")
            );
        }
        match var("USERPOOL_IT_CODES").as_deref() {
            None | Some("") | Some("admin") => {}
            Some(other) => bail!(
                "USERPOOL_IT_CODES={other:?} is not a known mode (only `admin`: confirm \
                 sign-ups with AdminConfirmSignUp)"
            ),
        }
        let mut values = values.into_iter().flatten();
        let (Some(pool_id), Some(client_id), Some(region)) =
            (values.next(), values.next(), values.next())
        else {
            bail!("unreachable: every required variable is set");
        };
        Ok(Some(Self {
            pool_id,
            client_id,
            region,
            client_secret: var("USERPOOL_IT_CLIENT_SECRET").filter(|v| !v.is_empty()),
        }))
    }

    /// [`from_vars`](Self::from_vars) on the process environment.
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_vars(|name| std::env::var(name).ok())
    }
}

/// What the configured pool and app client offer.
#[derive(Clone, Debug)]
struct Capabilities {
    password_auth: bool,
    custom_attribute: bool,
    keep_original_email: bool,
    required_name: bool,
    token_revocation: bool,
    /// The pool's MFA (`GetUserPoolMfaConfig`), or why it could not be read.
    mfa: Result<Option<PoolMfa>, String>,
}

/// A real user pool.
#[derive(Debug)]
pub struct AwsBackend {
    app: AppClient,
    sdk: cip::Client,
    can: Capabilities,
}

impl AwsBackend {
    /// Describes the configured pool and app client with the ambient credentials.
    pub async fn connect(config: AwsConfig) -> Result<Self> {
        let sdk = admin::aws_sdk(&config.region).await;
        let pool = sdk
            .describe_user_pool()
            .user_pool_id(&config.pool_id)
            .send()
            .await
            .map_err(sdk_error)
            .context("DescribeUserPool (the aws backend needs admin credentials)")?;
        let pool = pool
            .user_pool()
            .ok_or_else(|| anyhow!("DescribeUserPool answered no pool"))?;
        let client = sdk
            .describe_user_pool_client()
            .user_pool_id(&config.pool_id)
            .client_id(&config.client_id)
            .send()
            .await
            .map_err(sdk_error)
            .context("DescribeUserPoolClient")?;
        let client = client
            .user_pool_client()
            .ok_or_else(|| anyhow!("DescribeUserPoolClient answered no client"))?;

        let self_sign_up = !pool
            .admin_create_user_config()
            .is_some_and(|c| c.allow_admin_create_user_only());
        let email_verified = pool
            .auto_verified_attributes()
            .contains(&VerifiedAttributeType::Email);
        if !self_sign_up || !email_verified {
            bail!(
                "the suite needs a pool where users sign themselves up and email is verified \
                 automatically (AutoVerifiedAttributes = email); {} is not",
                config.pool_id
            );
        }
        let schema = pool.schema_attributes();
        let custom = format!("custom:{CUSTOM_ATTRIBUTE}");
        let flows = client.explicit_auth_flows();
        let can = Capabilities {
            password_auth: flows.contains(&ExplicitAuthFlowsType::AllowUserPasswordAuth)
                || flows.contains(&ExplicitAuthFlowsType::UserPasswordAuth),
            custom_attribute: schema.iter().any(|a| a.name() == Some(custom.as_str())),
            keep_original_email: pool
                .user_attribute_update_settings()
                .map(|s| s.attributes_require_verification_before_update())
                .is_some_and(|a| a.contains(&VerifiedAttributeType::Email)),
            required_name: schema
                .iter()
                .any(|a| a.name() == Some("name") && a.required() == Some(true)),
            token_revocation: client.enable_token_revocation().unwrap_or(false),
            // Only the MFA flows need it: a pool whose MFA settings may not be read still
            // runs the others.
            mfa: admin::pool_mfa(&sdk, &config.pool_id)
                .await
                .map_err(|e| format!("{e:#}")),
        };
        let client_secret = config
            .client_secret
            .clone()
            .or_else(|| client.client_secret().map(str::to_owned));
        Ok(Self {
            app: AppClient {
                pool_id: config.pool_id,
                client_id: config.client_id,
                client_secret,
                region: config.region,
            },
            sdk,
            can,
        })
    }

    fn lacks(&self, options: &PoolOptions) -> Option<String> {
        if options.secret && self.app.client_secret.is_none() {
            return Some("the configured app client has no secret".to_owned());
        }
        if options.password_auth && !self.can.password_auth {
            return Some("the configured app client does not allow USER_PASSWORD_AUTH".to_owned());
        }
        if options.custom_attributes && !self.can.custom_attribute {
            return Some("the configured pool has no custom:team attribute".to_owned());
        }
        if options.keep_original_until_verified && !self.can.keep_original_email {
            return Some(
                "the configured pool does not keep the original email until verified".to_owned(),
            );
        }
        if options.required_name && !self.can.required_name {
            return Some("the configured pool does not require `name`".to_owned());
        }
        if options.refresh_rotation {
            return Some(
                "the flow needs an app client with refresh-token rotation, which this backend \
                 does not check on the configured one"
                    .to_owned(),
            );
        }
        if options.devices.is_some() {
            return Some(
                "the flow needs a pool with a DeviceConfiguration, which this backend does \
                 not check on the configured one"
                    .to_owned(),
            );
        }
        if options.user_auth.is_some() {
            return Some(
                "the flow needs a pool with a SignInPolicy and an app client with \
                 ALLOW_USER_AUTH, which this backend does not check on the configured one"
                    .to_owned(),
            );
        }
        // The pool is fixed: an MFA flow runs only on a pool configured exactly as it
        // needs. Flows without MFA settings do not look (as before MFA flows existed).
        if let Some(wanted) = options.mfa {
            match &self.can.mfa {
                Err(e) => return Some(format!("the pool's MFA settings could not be read: {e}")),
                Ok(actual) if *actual != Some(wanted) => {
                    return Some(format!(
                        "the flow needs the pool's MFA to be {wanted:?}, the configured pool's \
                         is {actual:?} (this backend cannot change it)"
                    ));
                }
                Ok(_) => {}
            }
        }
        None
    }
}

#[async_trait::async_trait]
impl Backend for AwsBackend {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn endpoint(&self) -> Option<&str> {
        None
    }

    fn supports(&self, flow: Flow) -> Result<(), String> {
        let needs_code = match flow {
            Flow::ResendSignUpCode | Flow::WrongCode => Some("emailed sign-up"),
            Flow::ForgotPassword | Flow::ClientSecret => Some("emailed password-reset"),
            Flow::EmailChangeVerified => Some("emailed attribute verification"),
            Flow::MfaSms => Some("texted sign-in (SMS MFA)"),
            Flow::MfaEmail => Some("emailed sign-in (email MFA)"),
            _ => None,
        };
        if let Some(code) = needs_code {
            return Err(format!(
                "needs the {code} code, which USERPOOL_IT_CODES=admin cannot read"
            ));
        }
        if flow == Flow::SignOutRevokes && !self.can.token_revocation {
            return Err("the configured app client has token revocation off".to_owned());
        }
        match self.lacks(&flow.options()) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }

    fn sdk(&self) -> &cip::Client {
        &self.sdk
    }

    async fn create_app(&self, options: &PoolOptions) -> Result<AppClient> {
        if let Some(reason) = self.lacks(options) {
            bail!("{reason}");
        }
        Ok(self.app.clone())
    }

    async fn codes(
        &self,
        _app: &AppClient,
        _username: &str,
        _purpose: Purpose,
    ) -> Result<Option<Vec<String>>> {
        Ok(None)
    }

    async fn cleanup(&self, app: &AppClient, usernames: &[String]) {
        for username in usernames {
            match admin::admin_delete_user(&self.sdk, app, username).await {
                Ok(()) => {}
                // Deleted by the flow, or never created (a refused sign-up).
                Err(e) if format!("{e}").starts_with("UserNotFoundException") => {}
                Err(e) => eprintln!("cleanup: could not delete {username}: {e:#}"),
            }
        }
    }
}
