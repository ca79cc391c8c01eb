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
//! As a program: `userpool-local [--host 127.0.0.1] [--port 9229] [--data DIR | --in-memory]`
//! or `userpool local ...` (the `userpool` command of `userpool-cli`). Both print
//! `userpool-local listening on http://127.0.0.1:9229` and serve until Ctrl-C or SIGTERM.
//! The default bind address is loopback only. Both call [`serve`].
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
//!   ("Password attempts exceeded"), doubling from 1 s up to 15 min.
//! - **Tokens**: RS256 JWTs signed with a 2048-bit key per pool (`kid`, JWKS at
//!   `/<poolId>/.well-known/jwks.json`), Cognito's claims, `iss` = this server's URL + `/` +
//!   pool id, validity from the app client. Refresh tokens are opaque and stored only as a
//!   SHA-256 hash. RevokeToken, GlobalSignOut, admin password set/reset, ConfirmForgotPassword,
//!   disabling and deleting a user end the refresh tokens *and* the access tokens issued with
//!   them: every access-token operation checks signature, expiry, `token_use` and revocation.
//! - **Errors** are HTTP 400 with `{"__type", "message"}` and `x-amzn-ErrorType`, 500 only for
//!   real faults (a panic in a handler too).
//! - **Durable**: with a data directory, SQLite in WAL mode with `synchronous = NORMAL`; an
//!   acknowledged write survives a crash or `kill -9` of the process (see
//!   [`LocalPoolBuilder::data_dir`]). Database work runs on `spawn_blocking` with one writer
//!   and a few reader connections; hashing and signing never happen under a lock.
//!
//! Checked against stock clients: the AWS SDK for Rust and boto3 (tests), and
//! amazon-cognito-identity-js 6.3.21 (`tests/peer/js_flow.js`: SRP sign-in, wrong password,
//! refresh, global sign-out, alias sign-in, NEW_PASSWORD_REQUIRED).
//!
//! # What is not
//!
//! - **Admin calls accept any credentials.** Stock SDKs sign admin operations with SigV4; the
//!   local pool does not check signatures, so any access key works. Keep it on loopback.
//! - **Codes are logged.** Nothing is ever sent: every message goes to the [`Outbox`]
//!   (`LocalPool::outbox()`, `GET /_local/outbox?pool=&username=`) and to the log at info
//!   level, code included, on purpose.
//! - No MFA, hosted UI/OAuth, Lambda triggers, groups, devices, custom auth, identity
//!   providers, or the many admin operations not listed in the design
//!   (`UnknownOperationException` says so).
//! - Pending sign-ins (SRP attempts, challenge sessions) and the outbox live in memory and
//!   are forgotten on restart.
//!
//! # Module map
//!
//! `server` (HTTP and error answers) → `ops` (one function per operation) → `store`
//! (SQLite), with `tokens` (keys, JWTs), `srp_glue` + `srp_state` (SRP and pending
//! sign-ins), `outbox`, `attributes` (schema), `password` (policy), `config` (pool and client
//! settings), `protocol` (JSON member access), `error`.

#![warn(missing_docs)]

mod attributes;
mod config;
mod error;
mod ops;
mod outbox;
mod password;
mod protocol;
mod server;
mod srp_glue;
mod srp_state;
mod state;
mod store;
mod tokens;
mod util;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub use config::{
    AttributeType, ClientConfig, ClientInfo, CustomAttribute, Limits, PasswordPolicy, PoolConfig,
    PoolInfo, TimeUnit, TokenValidity,
};
pub use error::{ApiError, Error, Result};
pub use outbox::{Medium, Outbox, OutboxRecord, Purpose};

use state::State;

/// Builder of a [`LocalPool`].
#[derive(Debug, Clone)]
pub struct LocalPoolBuilder {
    data_dir: Option<PathBuf>,
    bind: SocketAddr,
    limits: Limits,
    region: String,
}

impl Default for LocalPoolBuilder {
    fn default() -> Self {
        Self {
            data_dir: None,
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            limits: Limits::default(),
            region: "us-east-1".to_owned(),
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

    /// Region prefix of new pool ids (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Opens the store, binds the address and starts serving.
    pub async fn start(self) -> Result<LocalPool> {
        let dir = self.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || store::Store::open(dir.as_deref()))
            .await
            .map_err(|e| Error::Storage(e.to_string()))??;
        let state = Arc::new(State::new(store, self.limits, self.region));
        state
            .store
            .write(|c| store::prune_sessions(c, util::now_ms()))
            .await?;
        let listener = tokio::net::TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        let host = match addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            IpAddr::V6(v6) => format!("[{v6}]"),
            IpAddr::V4(v4) => v4.to_string(),
        };
        let endpoint = format!("http://{host}:{}", addr.port());
        state.set_base_url(endpoint.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = server::router(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        tracing::debug!(%endpoint, "local user pool started");
        Ok(LocalPool {
            state,
            endpoint,
            addr,
            shutdown: Some(tx),
            task: Some(task),
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
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
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

    /// The outbox of delivered messages (codes, invitations).
    pub fn outbox(&self) -> Outbox {
        self.state.outbox.clone()
    }

    /// The code of the latest message to a user (username, sub, or destination address).
    pub fn latest_code(&self, pool_id: &str, username: &str) -> Option<String> {
        self.state.outbox.latest_code(pool_id, username)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(r) => r?,
                Err(e) => return Err(Error::Io(std::io::Error::other(e.to_string()))),
            }
        }
        Ok(())
    }
}

impl Drop for LocalPool {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// How the server program runs: `--host`, `--port`, `--data DIR` or `--in-memory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Address to bind (default `127.0.0.1`).
    pub host: String,
    /// Port (default 9229; 0 picks a free one).
    pub port: u16,
    /// Data directory; `None` keeps everything in memory.
    pub data: Option<PathBuf>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 9229,
            data: None,
        }
    }
}

/// Usage text of the `userpool-local` program.
pub const USAGE: &str =
    "usage: userpool-local [--host 127.0.0.1] [--port 9229] [--data DIR | --in-memory]

A local Amazon Cognito user pool. Admin calls accept any AWS credentials.
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
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument: {other}\n\n{USAGE}")),
            }
        }
        if in_memory && o.data.is_some() {
            return Err(format!(
                "--data and --in-memory exclude each other\n\n{USAGE}"
            ));
        }
        Ok(o)
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
    let ip: IpAddr = match options.host.as_str() {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h => h
            .parse()
            .map_err(|_| Error::Config(format!("--host must be an IP address, not {h}")))?,
    };
    let mut builder = LocalPool::builder().bind(SocketAddr::new(ip, options.port));
    if let Some(dir) = &options.data {
        builder = builder.data_dir(dir);
    }
    let pool = builder.start().await?;
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        writeln!(out, "userpool-local listening on {}", pool.endpoint())?;
        out.flush()?;
    }
    match &options.data {
        Some(dir) => tracing::info!(data = %dir.display(), "storing data durably"),
        None => tracing::info!("keeping data in memory (use --data DIR to keep it)"),
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
        assert!(args(&["--data", "x", "--in-memory"]).is_err());
        assert!(args(&["--port", "many"]).is_err());
        assert!(args(&["--bogus"]).is_err());
        assert_eq!(args(&["--help"]).unwrap_err(), USAGE);
    }
}
