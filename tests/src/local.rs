//! The local backend: an embedded `userpool-local` server, in memory, on loopback.

use anyhow::{Context as _, Result};
use aws_sdk_cognitoidentityprovider as cip;
use userpool_local::LocalPool;

use crate::admin;
use crate::backend::{AppClient, Backend, PoolOptions, Purpose};
use crate::flows::Flow;

/// The local user pool, started by the suite (127.0.0.1, a free port, in memory). Codes
/// come from its outbox. It supports every flow.
#[derive(Debug)]
pub struct LocalBackend {
    server: LocalPool,
    sdk: cip::Client,
}

impl LocalBackend {
    /// Starts a local pool server.
    pub async fn start() -> Result<Self> {
        let server = LocalPool::builder()
            .in_memory()
            .start()
            .await
            .context("starting the local user pool")?;
        let sdk = admin::local_sdk(server.endpoint(), "us-east-1");
        Ok(Self { server, sdk })
    }

    /// The running server.
    pub fn server(&self) -> &LocalPool {
        &self.server
    }
}

#[async_trait::async_trait]
impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn endpoint(&self) -> Option<&str> {
        Some(self.server.endpoint())
    }

    fn supports(&self, _flow: Flow) -> Result<(), String> {
        Ok(())
    }

    fn sdk(&self) -> &cip::Client {
        &self.sdk
    }

    async fn create_app(&self, options: &PoolOptions) -> Result<AppClient> {
        admin::create_app(&self.sdk, "us-east-1", options).await
    }

    async fn codes(
        &self,
        app: &AppClient,
        username: &str,
        purpose: Purpose,
    ) -> Result<Option<Vec<String>>> {
        let wanted = match purpose {
            Purpose::SignUp => userpool_local::Purpose::SignUp,
            Purpose::ForgotPassword => userpool_local::Purpose::ForgotPassword,
            Purpose::VerifyAttribute => userpool_local::Purpose::VerifyAttribute,
            Purpose::Mfa => userpool_local::Purpose::Mfa,
        };
        let codes = self
            .server
            .outbox()
            .filtered(Some(&app.pool_id), Some(username))
            .into_iter()
            .filter(|r| r.purpose == wanted)
            .map(|r| r.code)
            .collect();
        Ok(Some(codes))
    }
}
