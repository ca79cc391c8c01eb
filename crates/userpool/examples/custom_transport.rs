//! A transport of your own: this one wraps another transport and counts the Cognito calls
//! it passes on, as a metrics layer would. Run against an embedded local pool (no AWS
//! account):
//!
//! ```text
//! cargo run -p userpool --example custom_transport
//! ```
//!
//! A transport makes one attempt per call and maps every failure to a `userpool::Error`;
//! the client decides what is retried. Methods added to the trait later come with default
//! bodies, so an implementation like this one keeps compiling.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use userpool::transport::{
    AuthOutcome, ChallengeRequest, ClientMetadata, InitiateAuth, SdkTransport, SignUpRequest,
    Transport,
};
use userpool::{
    AttributeName, Attributes, Auth, AuthFlow, ClientId, Code, CodeDeliveryDetails, Error,
    Password, SecretString, SignUpResult, User, Username, async_trait,
};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

/// Counts the calls by operation, then hands them to `inner`.
#[derive(Debug)]
struct Counting<T> {
    inner: T,
    calls: Mutex<BTreeMap<&'static str, usize>>,
}

impl<T: Transport> Counting<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            calls: Mutex::new(BTreeMap::new()),
        }
    }

    fn count(&self, operation: &'static str) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        *calls.entry(operation).or_default() += 1;
    }

    fn report(&self) -> BTreeMap<&'static str, usize> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl<T: Transport> Transport for Counting<T> {
    fn client_id(&self) -> &ClientId {
        self.inner.client_id()
    }
    fn has_client_secret(&self) -> bool {
        self.inner.has_client_secret()
    }
    async fn sign_up(&self, request: SignUpRequest) -> Result<SignUpResult, Error> {
        self.count("SignUp");
        self.inner.sign_up(request).await
    }
    async fn confirm_sign_up(
        &self,
        username: Username,
        code: Code,
        force_alias_creation: bool,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        self.count("ConfirmSignUp");
        self.inner
            .confirm_sign_up(username, code, force_alias_creation, client_metadata)
            .await
    }
    async fn resend_confirmation_code(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.count("ResendConfirmationCode");
        self.inner
            .resend_confirmation_code(username, client_metadata)
            .await
    }
    async fn initiate_auth(
        &self,
        request: InitiateAuth,
        client_metadata: ClientMetadata,
    ) -> Result<AuthOutcome, Error> {
        self.count("InitiateAuth");
        self.inner.initiate_auth(request, client_metadata).await
    }
    async fn respond_to_auth_challenge(
        &self,
        request: ChallengeRequest,
    ) -> Result<AuthOutcome, Error> {
        self.count("RespondToAuthChallenge");
        self.inner.respond_to_auth_challenge(request).await
    }
    async fn change_password(
        &self,
        access_token: SecretString,
        previous: Password,
        proposed: Password,
    ) -> Result<(), Error> {
        self.count("ChangePassword");
        self.inner
            .change_password(access_token, previous, proposed)
            .await
    }
    async fn forgot_password(
        &self,
        username: Username,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.count("ForgotPassword");
        self.inner.forgot_password(username, client_metadata).await
    }
    async fn confirm_forgot_password(
        &self,
        username: Username,
        code: Code,
        new_password: Password,
        client_metadata: ClientMetadata,
    ) -> Result<(), Error> {
        self.count("ConfirmForgotPassword");
        self.inner
            .confirm_forgot_password(username, code, new_password, client_metadata)
            .await
    }
    async fn get_user(&self, access_token: SecretString) -> Result<User, Error> {
        self.count("GetUser");
        self.inner.get_user(access_token).await
    }
    async fn update_user_attributes(
        &self,
        access_token: SecretString,
        attributes: Attributes,
        client_metadata: ClientMetadata,
    ) -> Result<Vec<CodeDeliveryDetails>, Error> {
        self.count("UpdateUserAttributes");
        self.inner
            .update_user_attributes(access_token, attributes, client_metadata)
            .await
    }
    async fn delete_user_attributes(
        &self,
        access_token: SecretString,
        names: Vec<AttributeName>,
    ) -> Result<(), Error> {
        self.count("DeleteUserAttributes");
        self.inner.delete_user_attributes(access_token, names).await
    }
    async fn get_user_attribute_verification_code(
        &self,
        access_token: SecretString,
        name: AttributeName,
        client_metadata: ClientMetadata,
    ) -> Result<Option<CodeDeliveryDetails>, Error> {
        self.count("GetUserAttributeVerificationCode");
        self.inner
            .get_user_attribute_verification_code(access_token, name, client_metadata)
            .await
    }
    async fn verify_user_attribute(
        &self,
        access_token: SecretString,
        name: AttributeName,
        code: Code,
    ) -> Result<(), Error> {
        self.count("VerifyUserAttribute");
        self.inner
            .verify_user_attribute(access_token, name, code)
            .await
    }
    async fn global_sign_out(&self, access_token: SecretString) -> Result<(), Error> {
        self.count("GlobalSignOut");
        self.inner.global_sign_out(access_token).await
    }
    async fn revoke_token(&self, refresh_token: SecretString) -> Result<(), Error> {
        self.count("RevokeToken");
        self.inner.revoke_token(refresh_token).await
    }
    async fn delete_user(&self, access_token: SecretString) -> Result<(), Error> {
        self.count("DeleteUser");
        self.inner.delete_user(access_token).await
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = LocalPool::builder().in_memory().start().await?;
    let pool = server.create_pool(PoolConfig::new("example")).await?;
    let client = server
        .create_client(&pool.pool_id, ClientConfig::new("app"))
        .await?;
    server
        .create_user(
            &pool.pool_id,
            "ada",
            "Correct-Horse-1",
            &[("email", "ada@example.com")],
        )
        .await?;

    let sdk = SdkTransport::builder()
        .client_id(ClientId::new(&client.client_id)?)
        .region("us-east-1")
        .endpoint(server.endpoint())
        .build()?;
    // Shared, so that the counts can be read while the client holds the transport.
    let counting = std::sync::Arc::new(Counting::new(sdk));
    let auth = Auth::builder()
        .user_pool_id(&pool.pool_id)
        .transport(std::sync::Arc::clone(&counting))
        .auth_flow(AuthFlow::UserSrp)
        .build()?;

    auth.sign_in("ada", "Correct-Horse-1").await?;
    let user = auth.current_authenticated_user().await?;
    println!("signed in as {}", user.username());
    auth.sign_out().await?;

    for (operation, count) in counting.report() {
        println!("{operation:>24}: {count}");
    }
    server.shutdown().await?;
    Ok(())
}
