//! The token verification measurement's inputs, shared by the harness, the program
//! `userpool-bench-verify` and the criterion bench `benches/verify.rs`: real access tokens
//! from sign-ins against a local pool, with the pool's issuer, app client and JWKS, written
//! to one JSON file that both verifiers (userpool-verify and aws-jwt-verify) read, so that
//! they verify the very same tokens.

use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType};
use serde_json::{Value, json};
use userpool_verify::{Pool, TokenUse, Verifier};

use crate::http::{Client, Endpoint};
use crate::local::{confirmed_user, create_pool_and_client, sdk};

const PASSWORD: &str = "Bench-Passw0rd!";

/// Access tokens of one pool and what verifying them needs.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// `iss` of the tokens (the local pool's URL and pool id).
    pub issuer: String,
    /// The app client the tokens were issued to (`client_id`).
    pub client_id: String,
    /// The pool's JWKS document, as served.
    pub jwks: String,
    /// The access tokens (each from its own sign-in).
    pub tokens: Vec<String>,
}

impl TokenSet {
    /// Signs `users` users in `per_user` times each against the local pool at `endpoint`
    /// (a fresh pool and client made through the admin API), and reads the pool's JWKS.
    pub async fn from_sign_ins(endpoint: &str, users: usize, per_user: usize) -> Result<Self> {
        let sdk = sdk(endpoint);
        let (pool_id, client_id) = create_pool_and_client(
            &sdk,
            "bench-verify",
            &[
                ExplicitAuthFlowsType::AllowUserPasswordAuth,
                ExplicitAuthFlowsType::AllowRefreshTokenAuth,
            ],
        )
        .await;
        let mut tokens = Vec::with_capacity(users * per_user);
        for u in 0..users {
            let name = format!("verify{u}");
            confirmed_user(&sdk, &pool_id, &name, PASSWORD, false).await;
            for _ in 0..per_user {
                let out = sdk
                    .initiate_auth()
                    .client_id(&client_id)
                    .auth_flow(AuthFlowType::UserPasswordAuth)
                    .auth_parameters("USERNAME", &name)
                    .auth_parameters("PASSWORD", PASSWORD)
                    .send()
                    .await
                    .context("USER_PASSWORD_AUTH")?;
                let access = out
                    .authentication_result()
                    .and_then(|r| r.access_token())
                    .ok_or_else(|| anyhow!("a sign-in without an access token"))?;
                tokens.push(access.to_owned());
            }
        }
        // The signature row measures tokens not seen before: each must be its own.
        let distinct: std::collections::HashSet<&String> = tokens.iter().collect();
        if distinct.len() != tokens.len() {
            bail!(
                "{} of {} access tokens are repeats: the sign-ins must give distinct tokens",
                tokens.len() - distinct.len(),
                tokens.len()
            );
        }
        let issuer = format!("{}/{pool_id}", endpoint.trim_end_matches('/'));
        let mut http = Client::new(Endpoint::parse(endpoint)?);
        let path = format!("/{pool_id}{}", userpool_types::claims::JWKS_PATH);
        let answer = http.request("GET", &path, &[], b"").await?;
        if answer.status != 200 {
            bail!("GET {path}: {}", answer.status);
        }
        let jwks = String::from_utf8(answer.body).context("the JWKS is not UTF-8")?;
        Ok(Self {
            issuer,
            client_id,
            jwks,
            tokens,
        })
    }

    /// The JSON file both verifiers read.
    pub fn to_json(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "client_id": self.client_id,
            "jwks": self.jwks,
            "tokens": self.tokens,
        })
    }

    /// Reads a file written from [`Self::to_json`].
    pub fn read(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let v: Value = serde_json::from_str(&text).context("the token file is not JSON")?;
        let s = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("the token file lacks {k:?}"))
        };
        let tokens: Vec<String> = v["tokens"]
            .as_array()
            .ok_or_else(|| anyhow!("the token file lacks \"tokens\""))?
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        if tokens.is_empty() {
            bail!("the token file has no tokens");
        }
        Ok(Self {
            issuer: s("issuer")?,
            client_id: s("client_id")?,
            jwks: s("jwks")?,
            tokens,
        })
    }

    /// A verifier with the checks a service makes of these tokens (issuer, access tokens
    /// of this client), offline, its JWKS cache warm from the JWKS given at start-up.
    /// `token_cache`: [`TokenCache::Off`] measures the signature path (every
    /// verification checks the RS256 signature), [`TokenCache::On`] the default verifier,
    /// whose verified-token cache serves a token seen before.
    pub fn verifier(&self, token_cache: TokenCache) -> Result<Verifier> {
        let builder = Verifier::builder()
            .pool(
                Pool::with_issuer(&self.issuer)?
                    .token_use(TokenUse::Access)
                    .client_id(&self.client_id)
                    .jwks(&self.jwks),
            )
            .offline();
        let builder = match token_cache {
            TokenCache::Off => builder.no_token_cache(),
            // The default capacity (4096) holds every token of the bench.
            TokenCache::On => builder,
        };
        Ok(builder.build()?)
    }
}

/// Whether the verifier measured keeps verified tokens ([`TokenSet::verifier`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCache {
    /// Off: every verification is a signature check (the "signature path").
    Off,
    /// On (the default of `userpool-verify`), warm: every verification is a hit.
    On,
}
