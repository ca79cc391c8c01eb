//! A local Amazon Cognito user pool: real SRP, real codes and real signed tokens.
//!
//! `userpool-local` is a server that speaks Cognito's own wire protocol (AWS JSON 1.1:
//! `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`), so the
//! product's demo and tests run without an AWS account, and stock clients (the AWS SDKs,
//! boto3, the AWS CLI, amazon-cognito-identity-js) talk to it as they talk to Cognito.
//!
//! # Starting it
//!
//! Embedded, from Rust (tests, the demo):
//!
//! ```no_run
//! # async fn demo() -> userpool_local::Result<()> {
//! use userpool_local::{ClientConfig, LocalPool, PoolConfig};
//!
//! let server = LocalPool::builder().in_memory().start().await?; // 127.0.0.1, random port
//! let pool = server.create_pool(PoolConfig::new("demo")).await?;
//! let client = server
//!     .create_client(&pool.pool_id, ClientConfig::new("app").with_password_auth())
//!     .await?;
//! // Point any Cognito client at server.endpoint(), e.g. http://127.0.0.1:40123
//! println!("{} {} {}", server.endpoint(), pool.pool_id, client.client_id);
//! // Codes that would have been emailed or texted:
//! let code = server.latest_code(&pool.pool_id, "alice");
//! server.shutdown().await?;
//! # let _ = code; Ok(()) }
//! ```
//!
//! As a program: `userpool-local [--host 127.0.0.1] [--port 9229] [--data DIR | --in-memory]
//! [--allow-origin ORIGIN]... [--allow-host NAME]... [--admin-access-key-id ID
//! --admin-secret-access-key SECRET]` or `userpool local ...` (the `userpool` command of
//! `userpool-cli`). Both print `userpool-local listening on http://127.0.0.1:9229` and serve
//! until Ctrl-C or SIGTERM. The default bind address is loopback only. Both call [`serve`].
//!
//! # Security of the local pool
//!
//! Any web page open in the developer's browser can send requests to the server, so:
//!
//! - **Browser origins.** Public operations (those Cognito serves without SigV4) answer
//!   every origin with `Access-Control-Allow-Origin: *`, as Cognito does. Admin operations
//!   (names starting with `Admin`, the pool and client control plane, unknown names) and
//!   `GET /_local/outbox` refuse browser requests (an `Origin` header, or `Sec-Fetch-Site`
//!   `cross-site`/`same-site`) with `403 AccessDeniedException` unless the origin is
//!   allowed ([`LocalPoolBuilder::allow_origin`], `--allow-origin`). Preflights never
//!   offer the SigV4 headers to an origin that is not allowed. SDKs and curl send no
//!   `Origin` and are not affected.
//! - **DNS rebinding.** A request whose `Host` is not an IP address, `localhost`,
//!   `*.localhost` or a name allowed with [`LocalPoolBuilder::allow_host`] (`--allow-host`)
//!   is refused with 403.
//! - **SigV4.** With [`LocalPoolBuilder::admin_credentials`] (`--admin-access-key-id`,
//!   `--admin-secret-access-key`, or `USERPOOL_LOCAL_ADMIN_*` in the environment), admin
//!   calls must carry a valid AWS Signature Version 4 made with that key (service
//!   `cognito-idp`, any region, 15 minutes of clock skew), refused as AWS refuses them
//!   (`MissingAuthenticationTokenException`, `UnrecognizedClientException`,
//!   `InvalidSignatureException`, `IncompleteSignatureException`). Without a key, admin
//!   calls accept any credentials.
//! - **Slow or large requests.** Headers and bodies must arrive within 30 s each
//!   ([`LocalPoolBuilder::read_timeouts`]); a body over 256 KiB gets `413` after the rest
//!   (up to 32 MiB) is read and discarded, so clients that write the whole body first get
//!   the JSON error.
//! - **Sign-ins in progress** are bounded per user (a new one evicts the user's oldest),
//!   per app client, in count and in bytes ([`PendingLimits`]); the fake challenge of an
//!   unknown user stores nothing.
//! - **Pruning.** Expired sessions, spent codes and expired sign-ins are forgotten every
//!   minute while the server runs ([`LocalPoolBuilder::prune_interval`]).
//!
//! `docs/local-pool.md` says all of it in detail.
//!
//! # What is faithful
//!
//! - **SRP** (USER_SRP_AUTH → PASSWORD_VERIFIER) is Cognito's SRP-6a, computed by
//!   `userpool-srp`: only a salt and verifier are stored, never the password; the signature
//!   is compared in constant time; the TIMESTAMP must be in Cognito's canonical format and
//!   within 5 minutes of the server clock. The SRP state lives server side, named by the
//!   opaque SECRET_BLOCK, and is single use. The verifier check is also the password check
//!   of USER_PASSWORD_AUTH.
//! - **Auth flows** follow the app client's `ExplicitAuthFlows` (default: SRP and refresh),
//!   **SECRET_HASH** is enforced for clients with a secret, with Cognito's messages.
//! - **Password policy**, **user statuses** (UNCONFIRMED, CONFIRMED, FORCE_CHANGE_PASSWORD,
//!   RESET_REQUIRED), admin-created users with a temporary password and the
//!   NEW_PASSWORD_REQUIRED challenge, **email-as-username** and **alias** pools, the
//!   **schema** with `custom:` attributes and mutability, `AutoVerifiedAttributes`, **keep
//!   original value until verified**.
//! - **Codes**: 6 random digits, single use, expiring (sign-up 24 h, others 1 h), limited
//!   guesses and requests (LimitExceededException). **Lockout** after 5 wrong passwords
//!   ("Password attempts exceeded"), doubling from 1 s up to 15 min; attempts during a lock
//!   are refused and not counted, wrong previous passwords of ChangePassword count too. Each
//!   attempt is decided and recorded in one transaction, and a sign-in that raced a
//!   password change, reset, global sign-out or disabling gets no session (see
//!   `docs/local-pool.md`, "Passwords, lockout and races").
//! - **Tokens**: RS256 JWTs signed with a 2048-bit key per pool (`kid`, JWKS at
//!   `/<poolId>/.well-known/jwks.json`), Cognito's claims, `iss` = this server's URL + `/` +
//!   pool id, validity from the app client. The key can be rotated and the old one retired
//!   ([`LocalPool::rotate_signing_key`], [`LocalPool::retire_signing_key`], or `POST
//!   /_local/signing-keys/{rotate,retire}`). Refresh tokens are opaque and stored only as a
//!   SHA-256 hash. RevokeToken, GlobalSignOut, admin password set/reset, ConfirmForgotPassword,
//!   disabling and deleting a user end the refresh tokens *and* the access tokens issued with
//!   them: every access-token operation checks signature, expiry, `token_use` and revocation.
//! - **Errors** are HTTP 400 with `{"__type", "message"}` and `x-amzn-ErrorType`, 500 only for
//!   real faults (a panic in a handler too).
//! - **Durable**: with a data directory, SQLite in WAL mode with `synchronous = NORMAL`; an
//!   acknowledged write survives a crash or `kill -9` of the process (see
//!   [`LocalPoolBuilder::data_dir`]). Database work runs on `spawn_blocking` with one writer
//!   and a few reader connections; SRP, password checks, verifiers and RS256 signing run
//!   on the blocking threads too, at most one per core, never under a lock, so they never
//!   stall the runtime's worker threads.
//!
//! - **MFA** (SMS, email and TOTP codes; OFF, ON and OPTIONAL pools), **groups** (and their
//!   `cognito:groups` / role claims), **remembered devices** (ConfirmDevice with the device
//!   verifier, DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER checked for real, MFA skipped
//!   on a remembered device, refreshes bound to their device), **refresh-token rotation**
//!   (GetTokensFromRefreshToken, the client's `RefreshTokenRotation` and its grace),
//!   **choice-based sign-in** (USER_AUTH: PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP,
//!   SELECT_CHALLENGE) and the **sign-in after sign-up**. `docs/local-pool.md` has a
//!   section on each, with what had to be inferred.
//!
//! Checked against stock clients by the test suite: the AWS SDK for Rust, boto3 (TOTP
//! codes from pyotp, an implementation independent of the server's),
//! amazon-cognito-identity-js 6.3.21 (device remembering and a device sign-in:
//! `tests/peer/js_devices.js`) and Amplify JS v6 (sign-in and a refresh through
//! GetTokensFromRefreshToken: `tests/peer/amplify_v6_refresh.js`).
//!
//! # What is not
//!
//! - **Admin calls accept any credentials** unless an admin key is configured (see above).
//!   Keep the server on loopback otherwise.
//! - **Codes are logged.** Nothing is ever sent: every message goes to the [`Outbox`]
//!   (`LocalPool::outbox()`, `GET /_local/outbox?pool=&username=`) and to the log at info
//!   level, code included, on purpose.
//! - No hosted UI/OAuth, Lambda triggers, custom auth, WebAuthn (passkeys: asking for them
//!   is an `UnsupportedOperationException`), identity providers, or the admin operations
//!   not listed in `docs/local-pool.md` (`UnknownOperationException` says so).
//! - Pending sign-ins (SRP attempts, challenge sessions, device sign-ins) and the outbox
//!   live in memory and are forgotten on restart.
//!
//! # Module map
//!
//! `server` (accept loop, HTTP and error answers) with `guard` (public vs admin operations,
//! origins, hosts) and `sigv4` (signature checks) → `ops` (one function per operation) →
//! `store` (SQLite), with `tokens` (keys, JWTs), `srp_glue` + `srp_state` (SRP and pending
//! sign-ins), `janitor` (pruning while running), `outbox`, `attributes` (schema),
//! `password` (policy), `config` (pool and client settings), `protocol` (JSON member
//! access), `error`.

#![warn(missing_docs)]

mod attributes;
mod config;
mod dashboard;
mod error;
mod guard;
mod hosted;
mod janitor;
mod ops;
mod outbox;
mod password;
mod protocol;
mod seed;
mod server;
mod sigv4;
mod srp_glue;
mod srp_state;
mod state;
mod store;
mod tokens;
mod util;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use config::{
    AttributeType, ClientConfig, ClientInfo, CustomAttribute, DeviceConfig, Limits, MfaConfig,
    MfaMode, PasswordPolicy, PoolConfig, PoolInfo, PoolTier, RefreshTokenRotation, TimeUnit,
    TokenValidity,
};
pub use error::{ApiError, Error, ExceptionName, Result};
pub use outbox::{Medium, Outbox, OutboxRecord, Purpose};
pub use seed::{
    Seed, SeedClient, SeedDomain, SeedGroup, SeedPool, SeedResourceServer, SeedScope, SeedSecret,
    SeedUser, SeedVerifier,
};
pub use srp_state::{PendingLimits, PendingStats};
pub use tokens::{MAX_PUBLISHED_KEYS, SigningKeys};

/// The crate-private paths that `bench/` times, so that the benchmarks measure the
/// product rather than a copy of it. Not part of the API: no stability, no docs.
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_internals {
    /// A pool's RS256 signing key, as the server signs tokens with it.
    #[derive(Debug)]
    pub struct SigningKey(crate::tokens::PoolKey);

    impl SigningKey {
        /// A fresh 2048-bit key (slow).
        pub fn generate() -> crate::Result<Self> {
            Ok(Self(crate::tokens::PoolKey::generate()?))
        }

        /// Signs `claims` into a compact RS256 JWT, exactly as the server does.
        pub fn sign(&self, claims: &serde_json::Value) -> crate::Result<String> {
            Ok(self.0.sign(claims)?)
        }
    }
}

use state::{Access, State};

/// Default time a client has to send a request's headers (also how long an idle
/// keep-alive connection stays open).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a client has to send a request's body once its headers are in.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default period of the sweep that forgets expired sessions, codes and sign-ins.
pub const DEFAULT_PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// Builder of a [`LocalPool`].
#[derive(Debug, Clone)]
pub struct LocalPoolBuilder {
    data_dir: Option<PathBuf>,
    bind: SocketAddr,
    limits: Limits,
    region: String,
    pending_limits: PendingLimits,
    allow_origins: Vec<String>,
    allow_hosts: Vec<String>,
    admin_key: Option<sigv4::AdminKey>,
    header_timeout: Duration,
    body_timeout: Duration,
    prune_interval: Duration,
    seeds: Vec<Seed>,
    fixed_code: Option<String>,
}

impl Default for LocalPoolBuilder {
    fn default() -> Self {
        Self {
            data_dir: None,
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            limits: Limits::default(),
            region: "us-east-1".to_owned(),
            pending_limits: PendingLimits::default(),
            allow_origins: Vec::new(),
            allow_hosts: Vec::new(),
            admin_key: None,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            prune_interval: DEFAULT_PRUNE_INTERVAL,
            seeds: Vec::new(),
            fixed_code: None,
        }
    }
}

impl LocalPoolBuilder {
    /// Keep everything in memory (the default).
    pub fn in_memory(mut self) -> Self {
        self.data_dir = None;
        self
    }

    /// Keep pools, clients, users and sessions in `dir/userpool.sqlite3`.
    ///
    /// SQLite runs in WAL mode with `synchronous = NORMAL`: every operation's transaction is
    /// committed to the write-ahead log before the answer is sent, so a crash or `kill -9` of
    /// the process loses no acknowledged write. (A power cut of the machine may lose the last
    /// transactions; that would need `synchronous = FULL`.)
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The address to listen on (default `127.0.0.1:0`: loopback, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Code, lockout and SRP limits (default: Cognito's).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Region prefix of new pool ids (default `us-east-1`). A CreateUserPool signed with
    /// SigV4 uses the region of its credential scope instead.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Bounds of the sign-ins kept in progress (default: 10 per user, 10,000 per app
    /// client, 100,000 and 64 MiB in all).
    pub fn pending_limits(mut self, limits: PendingLimits) -> Self {
        self.pending_limits = limits;
        self
    }

    /// Lets pages from a browser origin (`scheme://host[:port]`, e.g.
    /// `http://localhost:3000`; `*` for any) call admin operations and read the outbox.
    /// Without it, browser requests (those with an `Origin` header) to admin operations and
    /// `/_local/outbox` are refused with 403; public operations are open to every origin,
    /// as in Cognito. Checked by [`Self::start`].
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.allow_origins.push(origin.into());
        self
    }

    /// Serves a host name besides IP addresses, `localhost` and `*.localhost` (`*` for
    /// any). A request whose `Host` names anything else is refused with 403, which defeats
    /// DNS rebinding. Checked by [`Self::start`].
    pub fn allow_host(mut self, name: impl Into<String>) -> Self {
        self.allow_hosts.push(name.into());
        self
    }

    /// Requires admin operations to carry a valid AWS SigV4 signature made with this access
    /// key (service `cognito-idp`, any region, `X-Amz-Date` within 15 minutes). Without
    /// it, admin calls are accepted with any credentials or none.
    pub fn admin_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.admin_key = Some(sigv4::AdminKey::new(
            access_key_id.into(),
            secret_access_key.into(),
        ));
        self
    }

    /// How long a client may take to send a request's headers (default 30 s; also the
    /// idle time after which a keep-alive connection is closed) and its body (default 30
    /// s). A connection that is too slow is closed; other clients are not held up.
    pub fn read_timeouts(mut self, header: Duration, body: Duration) -> Self {
        self.header_timeout = header;
        self.body_timeout = body;
        self
    }

    /// How often expired sessions (refresh tokens), spent codes and expired sign-ins in
    /// progress are forgotten while the server runs (default every minute).
    pub fn prune_interval(mut self, every: Duration) -> Self {
        self.prune_interval = every;
        self
    }

    /// Creates the seed's pools, app clients, groups and users, with their fixed ids, when
    /// the server starts and before it accepts connections (repeatable: seeds apply in
    /// order). Idempotent: what the store has already is compared, not created again; a
    /// stored pool, client or group that differs from the seed fails [`Self::start`], a
    /// stored user is kept as it is (see [`Seed`] and `docs/local-pool.md`).
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seeds.push(seed);
        self
    }

    /// Test mode: every code the pool sends (sign-up confirmation, password reset,
    /// attribute verification, SMS and email MFA, one-time passwords) is `code`, six
    /// digits, instead of a random one. Off by default; each code sent with it logs a
    /// warning. Never for a pool reachable by others: anyone can then confirm any account.
    pub fn fixed_code(mut self, code: impl Into<String>) -> Self {
        self.fixed_code = Some(code.into());
        self
    }

    /// Opens the store, binds the address and starts serving.
    pub async fn start(mut self) -> Result<LocalPool> {
        let guard =
            guard::Guard::new(&self.allow_origins, &self.allow_hosts).map_err(Error::Config)?;
        if self.header_timeout.is_zero() || self.body_timeout.is_zero() {
            return Err(Error::Config("read timeouts must be above zero".to_owned()));
        }
        if self.prune_interval.is_zero() {
            return Err(Error::Config(
                "the prune interval must be above zero".to_owned(),
            ));
        }
        // Pool ids are `<region>_<name>`: a region that cannot start one (upper case, `_`)
        // would make pools no client could sign in to.
        userpool_types::UserPoolId::from_parts(&self.region, "x").map_err(|_| {
            Error::Config(format!(
                "region {:?} cannot start a user pool id: lowercase ASCII letters, digits and '-' only",
                self.region
            ))
        })?;
        if let Some(key) = &self.admin_key
            && key.access_key_id.is_empty()
        {
            return Err(Error::Config("the admin access key id is empty".to_owned()));
        }
        if let Some(code) = &self.fixed_code {
            // Six digits, the shape of Cognito's codes, which client-side validation
            // (Amplify UI, form masks) may insist on.
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::Config(
                    "the fixed code must be six digits".to_owned(),
                ));
            }
            tracing::warn!(
                "TEST MODE: every code this pool sends is the fixed code; never expose this server"
            );
        }
        self.limits.fixed_code = self.fixed_code.take();
        let access = Access {
            guard,
            admin_key: self.admin_key,
            body_timeout: self.body_timeout,
        };
        let dir = self.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || store::Store::open(dir.as_deref()))
            .await
            .map_err(|e| Error::Storage(e.to_string()))??;
        let state = Arc::new(State::new(
            store,
            self.limits,
            self.region,
            self.pending_limits,
            access,
        )?);
        janitor::prune_once(&state).await?;
        for seed in &self.seeds {
            seed::apply(&state, seed).await?;
        }
        let listener = tokio::net::TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        let host = match addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            IpAddr::V6(v6) => format!("[{v6}]"),
            IpAddr::V4(v4) => v4.to_string(),
        };
        let endpoint = format!("http://{host}:{}", addr.port());
        state.set_base_url(endpoint.clone());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let app = server::router(state.clone());
        let task = tokio::spawn(server::serve(
            listener,
            app,
            self.header_timeout,
            stop_rx.clone(),
        ));
        let janitor = tokio::spawn(janitor::run(state.clone(), self.prune_interval, stop_rx));
        tracing::debug!(%endpoint, "local user pool started");
        Ok(LocalPool {
            state,
            endpoint,
            addr,
            shutdown: Some(stop_tx),
            task: Some(task),
            janitor: Some(janitor),
        })
    }
}

/// A running local user pool server.
///
/// Dropping it stops the server too; [`LocalPool::shutdown`] waits for it to finish.
#[derive(Debug)]
pub struct LocalPool {
    state: Arc<State>,
    endpoint: String,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    janitor: Option<tokio::task::JoinHandle<()>>,
}

impl LocalPool {
    /// A builder: in memory, `127.0.0.1:0`, Cognito's limits.
    pub fn builder() -> LocalPoolBuilder {
        LocalPoolBuilder::default()
    }

    /// The base URL to give clients as their endpoint, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `iss` of a pool's tokens (`endpoint` + `/` + pool id).
    pub fn issuer(&self, pool_id: &str) -> String {
        self.state.issuer(pool_id)
    }

    /// Creates a user pool (like CreateUserPool).
    pub async fn create_pool(&self, config: PoolConfig) -> Result<PoolInfo> {
        let pool = ops::admin::create_pool(&self.state, config).await?;
        Ok(PoolInfo {
            pool_id: pool.id.clone(),
            name: pool.config.name.clone(),
        })
    }

    /// Creates an app client (like CreateUserPoolClient); the secret is returned when one
    /// was asked for.
    pub async fn create_client(&self, pool_id: &str, config: ClientConfig) -> Result<ClientInfo> {
        Ok(ops::admin::create_client(&self.state, pool_id, config).await?)
    }

    /// Creates a CONFIRMED user with a permanent password (like AdminCreateUser with
    /// MessageAction SUPPRESS followed by AdminSetUserPassword Permanent). Attributes are
    /// `(name, value)` pairs, e.g. `("email", "a@example.com")`, `("email_verified", "true")`.
    /// Returns the user's `sub`.
    pub async fn create_user(
        &self,
        pool_id: &str,
        username: &str,
        password: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String> {
        let pool = self.state.pool(pool_id).await?;
        let attrs = attributes
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let spec = ops::admin::NewUserSpec {
            typed: username,
            attrs,
            password: Some(password),
            permanent: true,
            mediums: None,
            force_alias: false,
        };
        let user = ops::admin::create_user(&self.state, &pool, spec).await?;
        Ok(user.sub)
    }

    /// Sets a user's password (like AdminSetUserPassword).
    pub async fn set_password(
        &self,
        pool_id: &str,
        username: &str,
        password: &str,
        permanent: bool,
    ) -> Result<()> {
        let pool = self.state.pool(pool_id).await?;
        Ok(ops::admin::set_password(&self.state, &pool, username, password, permanent).await?)
    }

    /// Rotates a pool's signing key: tokens issued from now on are signed with a fresh key
    /// (a new `kid`), and the key it replaces stays in the pool's JWKS, so that the tokens
    /// already issued keep verifying, until [`Self::retire_signing_key`]. Durable with a
    /// data directory. Refused (`LimitExceededException`) when the pool already publishes
    /// [`MAX_PUBLISHED_KEYS`] keys. Also `POST /_local/signing-keys/rotate` with
    /// `{"UserPoolId": ID}` (see `docs/local-pool.md`).
    pub async fn rotate_signing_key(&self, pool_id: &str) -> Result<SigningKeys> {
        Ok(tokens::rotate(&self.state, pool_id).await?)
    }

    /// Removes an earlier signing key from the pool's JWKS: tokens signed with it no longer
    /// verify, and the pool's access-token operations refuse them (`NotAuthorizedException`,
    /// "Invalid Access Token", as Cognito answers for a key it does not publish). The key
    /// that signs new tokens cannot be retired (`InvalidParameterException`: rotate
    /// first); a kid the pool does not publish is `ResourceNotFoundException`. Also `POST
    /// /_local/signing-keys/retire` with `{"UserPoolId": ID, "Kid": KID}`.
    pub async fn retire_signing_key(&self, pool_id: &str, kid: &str) -> Result<SigningKeys> {
        Ok(tokens::retire(&self.state, pool_id, kid).await?)
    }

    /// The kids a pool publishes and the one that signs (`GET
    /// /_local/signing-keys?pool=ID`).
    pub async fn signing_keys(&self, pool_id: &str) -> Result<SigningKeys> {
        Ok(tokens::signing_keys(&self.state, pool_id).await?)
    }

    /// Every pool as a seed ([`Seed::save`] writes it): pools, app clients with their
    /// secrets, groups, and users with their status, attributes, groups and password
    /// verifier (the SRP salt and verifier; passwords are never stored, so the verifier is
    /// what keeps them across an export and an import). Starting a pool with a new data
    /// directory from the export gives the same ids, and every user signs in with the
    /// password it had. MFA settings and devices are not exported.
    pub async fn export(&self) -> Result<Seed> {
        seed::export(&self.state).await
    }

    /// The outbox of delivered messages (codes, invitations).
    pub fn outbox(&self) -> Outbox {
        self.state.outbox.clone()
    }

    /// The code of the latest message to a user (username, sub, or destination address).
    pub fn latest_code(&self, pool_id: &str, username: &str) -> Option<String> {
        self.state.outbox.latest_code(pool_id, username)
    }

    /// How many sign-ins are in progress and the bytes they hold.
    pub fn pending_stats(&self) -> PendingStats {
        self.state.pending.stats()
    }

    /// Pending SRP attempts of one user (by `sub`).
    pub fn pending_srp_attempts_of(&self, pool_id: &str, sub: &str) -> usize {
        self.state.pending.srp_attempts_of(pool_id, sub)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> Result<()> {
        // Open dashboard polls answer now: the server waits for requests in flight.
        self.state.dashboard.close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(janitor) = self.janitor.take() {
            let _ = janitor.await;
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(r) => r?,
                Err(e) => return Err(Error::Io(std::io::Error::other(e.to_string()))),
            }
        }
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn state(&self) -> &Arc<State> {
        &self.state
    }
}

impl Drop for LocalPool {
    fn drop(&mut self) {
        // Open dashboard polls answer now: the server waits for requests in flight.
        self.state.dashboard.close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
    }
}

/// A secret given on the command line or in the environment (the admin secret access key).
/// `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminSecret(String);

impl AdminSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AdminSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminSecret(<redacted>)")
    }
}

/// The environment variable read for `--admin-access-key-id` when the flag is absent.
pub const ENV_ADMIN_ACCESS_KEY_ID: &str = "USERPOOL_LOCAL_ADMIN_ACCESS_KEY_ID";
/// The environment variable read for `--admin-secret-access-key` when the flag is absent
/// (better than the flag: command lines are visible to every user of the machine).
pub const ENV_ADMIN_SECRET_ACCESS_KEY: &str = "USERPOOL_LOCAL_ADMIN_SECRET_ACCESS_KEY";

/// How the server program runs: `--host`, `--port`, `--data DIR` or `--in-memory`, the
/// allowed browser origins and host names, the admin access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Address to bind (default `127.0.0.1`).
    pub host: String,
    /// Port (default 9229; 0 picks a free one).
    pub port: u16,
    /// Data directory; `None` keeps everything in memory.
    pub data: Option<PathBuf>,
    /// Browser origins allowed to call admin operations and read the outbox
    /// (`--allow-origin`, repeatable; see [`LocalPoolBuilder::allow_origin`]).
    pub allow_origins: Vec<String>,
    /// Host names served besides IP addresses and `localhost` (`--allow-host`, repeatable;
    /// see [`LocalPoolBuilder::allow_host`]).
    pub allow_hosts: Vec<String>,
    /// Access key id admin calls must be signed with (`--admin-access-key-id`).
    pub admin_access_key_id: Option<String>,
    /// Its secret (`--admin-secret-access-key`).
    pub admin_secret_access_key: Option<AdminSecret>,
    /// A JSON seed file applied at start-up (`--seed FILE`, see [`LocalPoolBuilder::seed`]).
    pub seed: Option<PathBuf>,
    /// Writes the data directory's pools as a seed to this file and exits instead of
    /// serving (`--export FILE`, see [`LocalPool::export`]).
    pub export: Option<PathBuf>,
    /// Test mode: the code every message carries (`--fixed-code CODE`).
    pub fixed_code: Option<String>,
    /// Opens the dashboard in the browser once listening (`--open`; `$BROWSER` when set,
    /// else `xdg-open`, `open` or `start`).
    pub open: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 9229,
            data: None,
            allow_origins: Vec::new(),
            allow_hosts: Vec::new(),
            admin_access_key_id: None,
            admin_secret_access_key: None,
            seed: None,
            export: None,
            fixed_code: None,
            open: false,
        }
    }
}

/// Usage text of the `userpool-local` program.
pub const USAGE: &str =
    "usage: userpool-local [--host 127.0.0.1] [--port 9229] [--data DIR | --in-memory]
                      [--allow-origin ORIGIN]... [--allow-host NAME]...
                      [--admin-access-key-id ID --admin-secret-access-key SECRET]
                      [--seed FILE] [--export FILE] [--fixed-code CODE] [--open]

A local Amazon Cognito user pool.
  --allow-origin ORIGIN   let pages from ORIGIN (e.g. http://localhost:3000, or *) call admin
                          operations and read the outbox; public operations are open to all
  --allow-host NAME       serve requests whose Host is NAME (IP addresses and localhost always
                          are; other names are refused against DNS rebinding; * for any)
  --admin-access-key-id ID, --admin-secret-access-key SECRET
                          require admin calls to be SigV4-signed with this key (also from
                          USERPOOL_LOCAL_ADMIN_ACCESS_KEY_ID and
                          USERPOOL_LOCAL_ADMIN_SECRET_ACCESS_KEY); without them admin calls
                          accept any credentials
  --seed FILE             create the pools, app clients, groups and users of a JSON seed
                          file, with its fixed ids, at start-up (again at every start: what
                          exists is kept; a stored pool, client or group that differs from
                          the seed stops the start)
  --export FILE           write the pools of --data DIR (with --seed: after applying it) as
                          a seed file, then exit instead of serving
  --fixed-code CODE       TEST MODE: every code sent is CODE (six digits) instead of a
                          random one; never on a server others can reach
  --open                  open the dashboard (GET / in a browser) once listening
Codes that would be emailed or texted are logged and served at GET /_local/outbox.";

impl ServeOptions {
    /// Parses program arguments (without the program name). `Err` carries a message to
    /// print; `--help` yields `Err(USAGE)`.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> std::result::Result<Self, String> {
        let mut o = ServeOptions::default();
        let mut in_memory = false;
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (arg.clone(), None),
            };
            let mut value = |what: &str| {
                inline
                    .clone()
                    .or_else(|| it.next())
                    .ok_or_else(|| format!("{what} needs a value\n\n{USAGE}"))
            };
            match name.as_str() {
                "--host" => o.host = value("--host")?,
                "--port" => {
                    o.port = value("--port")?
                        .parse()
                        .map_err(|_| format!("--port must be a number\n\n{USAGE}"))?;
                }
                "--data" => o.data = Some(PathBuf::from(value("--data")?)),
                "--in-memory" => in_memory = true,
                "--allow-origin" => o.allow_origins.push(value("--allow-origin")?),
                "--allow-host" => o.allow_hosts.push(value("--allow-host")?),
                "--admin-access-key-id" => {
                    o.admin_access_key_id = Some(value("--admin-access-key-id")?);
                }
                "--admin-secret-access-key" => {
                    o.admin_secret_access_key =
                        Some(AdminSecret::new(value("--admin-secret-access-key")?));
                }
                "--seed" => o.seed = Some(PathBuf::from(value("--seed")?)),
                "--export" => o.export = Some(PathBuf::from(value("--export")?)),
                "--fixed-code" => o.fixed_code = Some(value("--fixed-code")?),
                "--open" => o.open = true,
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument: {other}\n\n{USAGE}")),
            }
        }
        if o.export.is_some() && o.data.is_none() && o.seed.is_none() {
            return Err(format!(
                "--export needs --data DIR (or --seed FILE) to export from\n\n{USAGE}"
            ));
        }
        if in_memory && o.data.is_some() {
            return Err(format!(
                "--data and --in-memory exclude each other\n\n{USAGE}"
            ));
        }
        Ok(o)
    }

    /// Fills the admin access key id and secret from [`ENV_ADMIN_ACCESS_KEY_ID`] and
    /// [`ENV_ADMIN_SECRET_ACCESS_KEY`] (through `lookup`, e.g. `std::env::var(..).ok()`)
    /// where the command line did not give them.
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        if self.admin_access_key_id.is_none() {
            self.admin_access_key_id = lookup(ENV_ADMIN_ACCESS_KEY_ID).filter(|v| !v.is_empty());
        }
        if self.admin_secret_access_key.is_none() {
            self.admin_secret_access_key = lookup(ENV_ADMIN_SECRET_ACCESS_KEY)
                .filter(|v| !v.is_empty())
                .map(AdminSecret::new);
        }
        self
    }

    /// The builder these options describe (bind address, data directory, origins, hosts,
    /// admin key, seed file, fixed code). Reads the seed file.
    pub fn builder(&self) -> Result<LocalPoolBuilder> {
        let ip: IpAddr = match self.host.as_str() {
            "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
            h => h
                .parse()
                .map_err(|_| Error::Config(format!("--host must be an IP address, not {h}")))?,
        };
        let mut builder = LocalPool::builder().bind(SocketAddr::new(ip, self.port));
        if let Some(dir) = &self.data {
            builder = builder.data_dir(dir);
        }
        for o in &self.allow_origins {
            builder = builder.allow_origin(o);
        }
        for h in &self.allow_hosts {
            builder = builder.allow_host(h);
        }
        match (&self.admin_access_key_id, &self.admin_secret_access_key) {
            (Some(id), Some(secret)) => {
                builder = builder.admin_credentials(id, secret.expose());
            }
            (None, None) => {}
            _ => {
                return Err(Error::Config(
                    "--admin-access-key-id and --admin-secret-access-key go together".to_owned(),
                ));
            }
        }
        if let Some(path) = &self.seed {
            builder = builder.seed(Seed::load(path)?);
        }
        if let Some(code) = &self.fixed_code {
            builder = builder.fixed_code(code);
        }
        Ok(builder)
    }
}

/// Runs the server program: sets up logging (info level unless `RUST_LOG` says otherwise,
/// on stderr), starts the pool, prints `userpool-local listening on <url>` on stdout, and
/// serves until Ctrl-C or SIGTERM. Both `userpool-local` and `userpool local` call this.
pub async fn serve(options: ServeOptions) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    if let Some(path) = &options.export {
        // Exporting serves nothing: the pool is opened on a free loopback port only long
        // enough to read it, so a server already running on the configured port (and on
        // the same data directory: SQLite lets two processes share it) is not disturbed.
        let pool = options
            .builder()?
            .bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .start()
            .await?;
        let seed = pool.export().await?;
        seed.save(path)?;
        pool.shutdown().await?;
        let users: usize = seed.pools.iter().map(|p| p.users.len()).sum();
        println!(
            "userpool-local exported {} pool(s) and {users} user(s) to {}",
            seed.pools.len(),
            path.display()
        );
        return Ok(());
    }
    let pool = options.builder()?.start().await?;
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        writeln!(out, "userpool-local listening on {}", pool.endpoint())?;
        out.flush()?;
    }
    if options.open {
        let url = dashboard::dashboard_url(pool.local_addr());
        match dashboard::open_browser(&url) {
            Ok(()) => tracing::info!(%url, "opening the dashboard in the browser"),
            Err(e) => {
                tracing::warn!(%url, error = %e, "could not start a browser: open the dashboard yourself")
            }
        }
    }
    match &options.data {
        Some(dir) => tracing::info!(data = %dir.display(), "storing data durably"),
        None => tracing::info!("keeping data in memory (use --data DIR to keep it)"),
    }
    match &options.admin_access_key_id {
        Some(id) => tracing::info!(access_key_id = %id, "admin calls must be SigV4-signed"),
        None => tracing::info!("admin calls accept any credentials"),
    }
    if let Some(path) = &options.seed {
        tracing::info!(seed = %path.display(), "seed applied");
    }
    if options.fixed_code.is_some() {
        tracing::warn!("TEST MODE (--fixed-code): every code sent is the fixed code");
    }
    if !options.allow_origins.is_empty() {
        tracing::info!(origins = ?options.allow_origins, "browser origins allowed to call admin operations");
    }
    wait_for_signal().await;
    tracing::info!("shutting down");
    pool.shutdown().await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> std::result::Result<ServeOptions, String> {
        ServeOptions::from_args(a.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn program_arguments() {
        assert_eq!(args(&[]).unwrap(), ServeOptions::default());
        let o = args(&["--host", "0.0.0.0", "--port=0", "--data", "/tmp/x"]).unwrap();
        assert_eq!(o.host, "0.0.0.0");
        assert_eq!(o.port, 0);
        assert_eq!(o.data, Some(PathBuf::from("/tmp/x")));
        assert!(args(&["--in-memory"]).unwrap().data.is_none());
        assert!(args(&["--open"]).unwrap().open);
        assert!(args(&["--data", "x", "--in-memory"]).is_err());
        assert!(args(&["--port", "many"]).is_err());
        assert!(args(&["--bogus"]).is_err());
        assert_eq!(args(&["--help"]).unwrap_err(), USAGE);
        let o = args(&[
            "--allow-origin",
            "http://localhost:3000",
            "--allow-origin=http://a.test",
            "--allow-host",
            "pool.test",
            "--admin-access-key-id",
            "AKID",
            "--admin-secret-access-key=s3cret",
        ])
        .unwrap();
        assert_eq!(o.allow_origins, ["http://localhost:3000", "http://a.test"]);
        assert_eq!(o.allow_hosts, ["pool.test"]);
        assert_eq!(o.admin_access_key_id.as_deref(), Some("AKID"));
        assert_eq!(
            o.admin_secret_access_key.as_ref().map(AdminSecret::expose),
            Some("s3cret")
        );
        assert!(!format!("{o:?}").contains("s3cret"));
        assert!(o.builder().is_ok());
        let half = args(&["--admin-access-key-id", "AKID"]).unwrap();
        assert!(half.builder().is_err());
        let env = args(&[]).unwrap().with_env(|k| match k {
            ENV_ADMIN_ACCESS_KEY_ID => Some("ENVID".to_owned()),
            ENV_ADMIN_SECRET_ACCESS_KEY => Some("envsecret".to_owned()),
            _ => None,
        });
        assert_eq!(env.admin_access_key_id.as_deref(), Some("ENVID"));
        assert!(env.builder().is_ok());
        let seeded = args(&[
            "--seed",
            "s.json",
            "--export=e.json",
            "--fixed-code",
            "123456",
        ])
        .unwrap();
        assert_eq!(seeded.seed, Some(PathBuf::from("s.json")));
        assert_eq!(seeded.export, Some(PathBuf::from("e.json")));
        assert_eq!(seeded.fixed_code.as_deref(), Some("123456"));
        assert!(args(&["--export", "e.json"]).is_err());
        let flag_wins = o.clone().with_env(|_| Some("other".to_owned()));
        assert_eq!(flag_wins.admin_access_key_id.as_deref(), Some("AKID"));
    }

    #[tokio::test]
    async fn a_region_that_cannot_start_a_pool_id_is_refused() {
        for region in ["US-EAST-1", "us_east_1", "", "us east"] {
            let e = LocalPool::builder()
                .in_memory()
                .region(region)
                .start()
                .await
                .err();
            assert!(matches!(e, Some(Error::Config(_))), "{region:?}: {e:?}");
        }
    }

    #[test]
    fn pool_id_shape_is_the_same_for_the_client_and_srp() {
        for id in [
            "us-east-1_AbCdEfGhI",
            "eu-west-2_x",
            "US_abc",
            "us-east-1_a_b",
            "us-east-1_a-b",
            "_abc",
            "us-east-1_",
            "us-east-1",
            "",
        ] {
            assert_eq!(
                userpool_types::UserPoolId::parse(id).is_ok(),
                userpool_srp::pool_name(id).is_ok(),
                "{id:?}"
            );
        }
    }
}
