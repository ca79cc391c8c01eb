//! Seed files: pools (with their hosted sign-in domain and resource servers), app clients,
//! groups and users with fixed ids, created at start-up
//! (`--seed FILE`, [`LocalPoolBuilder::seed`](crate::LocalPoolBuilder::seed)) and written
//! back from a pool ([`LocalPool::export`](crate::LocalPool::export), `--export FILE`).
//!
//! Applying a seed is idempotent: what the store lacks is created, what it has is compared.
//! A stored pool, domain, resource server, app client or group that differs from its seed
//! entry is refused (start-up
//! fails and the error names the entry) rather than overwritten, because the difference is
//! either a change made through the API since (which an overwrite would silently undo) or a
//! seed edited against an old data directory. Users are different: they change through
//! normal use (a new password, a confirmation), so a stored user is left as it is and only
//! missing users are created (with their groups). `docs/local-pool.md` documents the format.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::attributes::{self, WriteKind};
use crate::config::{ClientConfig, PoolConfig};
use crate::error::{ApiError, Error, Result};
use crate::ops::{admin, apply_aliases, crypto, domains, find_user};
use crate::srp_glue::StoredVerifier;
use crate::state::{PoolRt, State};
use crate::store::{self, DomainRow, Group, UserStatus};
use crate::util;

/// The only seed format version so far.
const VERSION: u32 = 1;

/// A seed: the pools to create, each with its app clients, groups and users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Format version (1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// The pools.
    #[serde(default)]
    pub pools: Vec<SeedPool>,
}

fn version_one() -> u32 {
    VERSION
}

impl Default for Seed {
    fn default() -> Self {
        Self {
            version: VERSION,
            pools: Vec::new(),
        }
    }
}

/// A pool of a seed, under a fixed id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPool {
    /// The pool id, `<region>_<letters and digits>`, e.g. `us-east-1_Dev000001`.
    pub id: String,
    /// The pool's settings (the fields of [`PoolConfig`], all optional but `name`).
    pub config: PoolConfig,
    /// The pool's hosted sign-in domain (CreateUserPoolDomain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<SeedDomain>,
    /// Resource servers with their custom scopes, created before the app clients (whose
    /// `allowed_oauth_scopes` may name them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_servers: Vec<SeedResourceServer>,
    /// App clients.
    #[serde(default)]
    pub clients: Vec<SeedClient>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    /// Users.
    #[serde(default)]
    pub users: Vec<SeedUser>,
}

/// The hosted sign-in domain of a seed's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDomain {
    /// A prefix (`my-app`) or, with `certificate_arn`, a custom domain (`auth.example.com`).
    pub domain: String,
    /// The ACM certificate of a custom domain (`CustomDomainConfig.CertificateArn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// `ManagedLoginVersion`: 1 (the classic hosted UI, the default) or 2.
    #[serde(default = "login_version_one")]
    pub managed_login_version: u8,
}

fn login_version_one() -> u8 {
    1
}

/// A resource server of a seed's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedResourceServer {
    /// The identifier, the first part of its scopes' names (`api` in `api/read`).
    pub identifier: String,
    /// The name.
    pub name: String,
    /// The custom scopes.
    #[serde(default)]
    pub scopes: Vec<SeedScope>,
}

/// A custom scope of a resource server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedScope {
    /// The scope name (`read`).
    pub name: String,
    /// Its description.
    pub description: String,
}

impl SeedResourceServer {
    fn row(&self, pool_id: &str) -> store::ResourceServer {
        store::ResourceServer {
            pool_id: pool_id.to_owned(),
            identifier: self.identifier.clone(),
            name: self.name.clone(),
            scopes: self
                .scopes
                .iter()
                .map(|s| store::Scope {
                    name: s.name.clone(),
                    description: s.description.clone(),
                })
                .collect(),
        }
    }
}

/// An app client of a seed, under a fixed id (and secret, if given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedClient {
    /// The client id: 1 to 128 letters, digits, `_` or `+`.
    pub id: String,
    /// The client secret (1 to 64 letters, digits, `_` or `+`); giving one makes the
    /// client a client with a secret. Absent with `generate_secret`: a random one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SeedSecret>,
    /// The client's settings (the fields of [`ClientConfig`]).
    pub config: ClientConfig,
}

/// A group of a seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    /// The group name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// IAM role ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Precedence (0 to 2^31-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precedence: Option<u32>,
}

/// A user of a seed. Exactly one of `password`, `temporary_password` and
/// `password_verifier` gives the user's password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// The username (in an email- or phone-as-username pool: the email or phone number).
    pub username: String,
    /// The user's `sub` (a UUID); absent: a random one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// A permanent password (the user is CONFIRMED, or `status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SeedSecret>,
    /// A temporary password (the user is FORCE_CHANGE_PASSWORD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<SeedSecret>,
    /// The stored SRP salt and verifier of the password, as an export writes them (the
    /// password itself is never stored, so an export cannot write it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_verifier: Option<SeedVerifier>,
    /// `CONFIRMED`, `UNCONFIRMED`, `RESET_REQUIRED` or `FORCE_CHANGE_PASSWORD` (default:
    /// CONFIRMED with a password or verifier, FORCE_CHANGE_PASSWORD with a temporary one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Attributes (`email`, `email_verified`, `custom:...`; not `sub`).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// False: the user is disabled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Names of the pool's groups the user is in.
    #[serde(default)]
    pub groups: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A password's SRP salt and verifier, base64 (standard alphabet). They are bound to the
/// pool id and the user's internal username, which a seed keeps fixed. As sensitive as a
/// password hash: anyone with it can try passwords offline.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedVerifier {
    /// The salt.
    pub salt: String,
    /// The verifier.
    pub verifier: String,
}

impl fmt::Debug for SeedVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeedVerifier(<redacted>)")
    }
}

/// A password or client secret of a seed; `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeedSecret(String);

impl SeedSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SeedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeedSecret(<redacted>)")
    }
}

impl Seed {
    /// Parses a seed from JSON. Unknown fields of the seed's own entries are refused (a
    /// typo would otherwise be dropped silently).
    pub fn from_json(text: &str) -> Result<Self> {
        let seed: Seed =
            serde_json::from_str(text).map_err(|e| Error::Config(format!("seed file: {e}")))?;
        if seed.version != VERSION {
            return Err(Error::Config(format!(
                "seed file: version {} is not supported (only {VERSION})",
                seed.version
            )));
        }
        Ok(seed)
    }

    /// Reads a JSON seed file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!("cannot read the seed file {}: {e}", path.display()))
        })?;
        Self::from_json(&text).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// The seed as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Config(e.to_string()))
    }

    /// Writes the seed as JSON to `path` (readable by its owner only on Unix: it holds
    /// client secrets and password verifiers).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        use std::io::Write as _;
        let path = path.as_ref();
        let mut text = self.to_json()?;
        text.push('\n');
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        Ok(())
    }
}

/// What went wrong with one entry: the entry's path (`pool us-east-1_X / user alice`) and
/// the reason.
fn refuse(entry: &str, why: impl fmt::Display) -> Error {
    Error::Config(format!("seed {entry}: {why}"))
}

/// Cognito's ClientIdType and ClientSecretType: `[\w+]+` of bounded length.
fn check_token(entry: &str, what: &str, value: &str, max: usize) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+');
    if ok {
        Ok(())
    } else {
        Err(refuse(
            entry,
            format!("the {what} must be 1 to {max} letters, digits, '_' or '+'"),
        ))
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Checks what can be checked without the store, so that a bad file is refused before
/// anything of it is created.
fn check(seed: &Seed) -> Result<()> {
    let mut pool_ids = std::collections::BTreeSet::new();
    let mut client_ids = std::collections::BTreeSet::new();
    let mut domains = std::collections::BTreeSet::new();
    for p in &seed.pools {
        let entry = format!("pool {}", p.id);
        userpool_types::UserPoolId::parse(&p.id)
            .map_err(|_| refuse(&entry, "the id must be <region>_<letters and digits>"))?;
        if !pool_ids.insert(p.id.as_str()) {
            return Err(refuse(&entry, "the pool is listed twice"));
        }
        p.config.validate().map_err(|e| refuse(&entry, e))?;
        if let Some(d) = &p.domain {
            let entry = format!("pool {} / domain {}", p.id, d.domain);
            match &d.certificate_arn {
                Some(arn) => domains::check_custom(&d.domain)
                    .and_then(|()| domains::check_certificate_arn(arn)),
                None => domains::check_prefix(&d.domain),
            }
            .map_err(|e| refuse(&entry, e))?;
            domains::check_managed_login_version(i64::from(d.managed_login_version))
                .map_err(|e| refuse(&entry, e))?;
            if !domains.insert(d.domain.as_str()) {
                return Err(refuse(&entry, "the domain is another pool's too"));
            }
        }
        if i64::try_from(p.resource_servers.len()).unwrap_or(i64::MAX)
            > domains::MAX_RESOURCE_SERVERS
        {
            return Err(refuse(&entry, domains::too_many_servers()));
        }
        let mut identifiers = std::collections::BTreeSet::new();
        for r in &p.resource_servers {
            let entry = format!("pool {} / resource server {}", p.id, r.identifier);
            let row = r.row(&p.id);
            domains::check_identifier(&row.identifier)
                .and_then(|()| domains::check_server_name(&row.name))
                .and_then(|()| domains::check_scopes(&row.scopes))
                .map_err(|e| refuse(&entry, e))?;
            if !identifiers.insert(r.identifier.as_str()) {
                return Err(refuse(&entry, "the resource server is listed twice"));
            }
        }
        for c in &p.clients {
            let entry = format!("pool {} / client {}", p.id, c.id);
            check_token(&entry, "client id", &c.id, 128)?;
            if let Some(s) = &c.secret {
                check_token(&entry, "client secret", s.expose(), 64)?;
            }
            if !client_ids.insert(c.id.as_str()) {
                return Err(refuse(&entry, "the client id is listed twice"));
            }
            c.config.validate().map_err(|e| refuse(&entry, e))?;
        }
        let mut group_keys = std::collections::BTreeSet::new();
        for g in &p.groups {
            let entry = format!("pool {} / group {}", p.id, g.name);
            let len = g.name.chars().count();
            if len == 0 || len > 128 || g.name.chars().any(char::is_control) {
                return Err(refuse(&entry, "a group name is 1 to 128 characters"));
            }
            if g.precedence.is_some_and(|n| n > i32::MAX as u32) {
                return Err(refuse(&entry, "the precedence must be 0 to 2147483647"));
            }
            if g.description
                .as_ref()
                .is_some_and(|d| d.chars().count() > 2048)
            {
                return Err(refuse(&entry, "the description is at most 2048 characters"));
            }
            if !group_keys.insert(store::group_key(&g.name)) {
                return Err(refuse(&entry, "the group is listed twice"));
            }
        }
        for u in &p.users {
            let entry = format!("pool {} / user {}", p.id, u.username);
            let given = [
                u.password.is_some(),
                u.temporary_password.is_some(),
                u.password_verifier.is_some(),
            ];
            if given.iter().filter(|g| **g).count() != 1 {
                return Err(refuse(
                    &entry,
                    "give exactly one of password, temporary_password and password_verifier",
                ));
            }
            if let Some(sub) = &u.sub
                && !is_uuid(sub)
            {
                return Err(refuse(&entry, "the sub must be a UUID"));
            }
            status_of(&entry, u)?;
        }
    }
    Ok(())
}

fn status_of(entry: &str, u: &SeedUser) -> Result<UserStatus> {
    let named = match u.status.as_deref() {
        None => None,
        Some("CONFIRMED") => Some(UserStatus::Confirmed),
        Some("UNCONFIRMED") => Some(UserStatus::Unconfirmed),
        Some("RESET_REQUIRED") => Some(UserStatus::ResetRequired),
        Some("FORCE_CHANGE_PASSWORD") => Some(UserStatus::ForceChangePassword),
        Some(other) => return Err(refuse(entry, format!("unknown status {other:?}"))),
    };
    match (named, u.temporary_password.is_some()) {
        (None, true) | (Some(UserStatus::ForceChangePassword), true) => {
            Ok(UserStatus::ForceChangePassword)
        }
        (Some(_), true) => Err(refuse(
            entry,
            "a user with a temporary password is FORCE_CHANGE_PASSWORD",
        )),
        (Some(UserStatus::ForceChangePassword), false) if u.password.is_some() => Err(refuse(
            entry,
            "a FORCE_CHANGE_PASSWORD user needs a temporary_password, not a password",
        )),
        (None, false) => Ok(UserStatus::Confirmed),
        (Some(s), false) => Ok(s),
    }
}

/// Applies a seed to the store (see the module comment for what is idempotent and what is
/// refused). Runs before the server accepts connections.
pub(crate) async fn apply(state: &State, seed: &Seed) -> Result<()> {
    check(seed)?;
    for p in &seed.pools {
        let pool = apply_pool(state, p).await?;
        let entry = |what: String| format!("pool {} / {what}", p.id);
        if let Some(d) = &p.domain {
            apply_domain(state, &pool, d, &entry(format!("domain {}", d.domain))).await?;
        }
        for r in &p.resource_servers {
            let named = entry(format!("resource server {}", r.identifier));
            apply_resource_server(state, &pool, r, &named).await?;
        }
        for c in &p.clients {
            apply_client(state, &pool, c, &entry(format!("client {}", c.id))).await?;
        }
        for g in &p.groups {
            apply_group(state, &pool, g, &entry(format!("group {}", g.name))).await?;
        }
        for u in &p.users {
            apply_user(state, &pool, u, &entry(format!("user {}", u.username))).await?;
        }
    }
    Ok(())
}

async fn apply_pool(state: &State, p: &SeedPool) -> Result<Arc<PoolRt>> {
    let entry = format!("pool {}", p.id);
    let id = p.id.clone();
    let stored = state.store.read(move |c| store::get_pool(c, &id)).await?;
    match stored {
        Some(row) => {
            let config: PoolConfig = serde_json::from_str(&row.config)
                .map_err(|e| refuse(&entry, format!("the stored pool cannot be read ({e})")))?;
            if config != p.config {
                return Err(refuse(
                    &entry,
                    "the stored pool's settings differ from the seed's (changed through the \
                     API, or the seed was edited): start with a new data directory, or export \
                     the pool again to update the seed",
                ));
            }
            Ok(state.pool(&p.id).await?)
        }
        None => {
            let pool = admin::create_pool_with_id(state, p.config.clone(), &p.id)
                .await
                .map_err(|e| refuse(&entry, e))?;
            tracing::info!(pool_id = %p.id, "seed: pool created");
            Ok(pool)
        }
    }
}

async fn apply_domain(state: &State, pool: &PoolRt, d: &SeedDomain, entry: &str) -> Result<()> {
    let now = util::now_ms();
    let cloudfront = match d.certificate_arn {
        Some(_) => Some(domains::cloudfront_host().map_err(|e| refuse(entry, e))?),
        None => None,
    };
    let row = DomainRow {
        domain: d.domain.clone(),
        pool_id: pool.id.clone(),
        certificate_arn: d.certificate_arn.clone(),
        cloudfront,
        managed_login_version: d.managed_login_version,
        created_ms: now,
        modified_ms: now,
    };
    let pool_id = pool.id.clone();
    let (stored, conflict) = state
        .store
        .write(move |c| match store::domain_of_pool(c, &pool_id)? {
            Some(stored) => Ok((Some(stored), None)),
            None => Ok((None, store::insert_domain(c, &row)?)),
        })
        .await?;
    match (stored, conflict) {
        (None, None) => {
            tracing::info!(pool_id = %pool.id, domain = %d.domain, "seed: domain created");
            Ok(())
        }
        (None, Some(conflict)) => Err(refuse(entry, domains::conflict_error(conflict))),
        (Some(s), _)
            if s.domain == d.domain
                && s.certificate_arn == d.certificate_arn
                && s.managed_login_version == d.managed_login_version =>
        {
            Ok(())
        }
        (Some(_), _) => Err(refuse(
            entry,
            "the pool's stored domain differs from the seed's (name, certificate or managed \
             login version): start with a new data directory, or export the pool again",
        )),
    }
}

async fn apply_resource_server(
    state: &State,
    pool: &PoolRt,
    r: &SeedResourceServer,
    entry: &str,
) -> Result<()> {
    let row = r.row(&pool.id);
    let wanted = row.clone();
    let stored = state
        .store
        .write(move |c| {
            if let Some(stored) = store::resource_server(c, &row.pool_id, &row.identifier)? {
                return Ok(Some(stored));
            }
            if store::count_resource_servers(c, &row.pool_id)? >= domains::MAX_RESOURCE_SERVERS {
                return Err(domains::too_many_servers());
            }
            store::insert_resource_server(c, &row)?;
            Ok(None)
        })
        .await
        .map_err(|e| refuse(entry, e))?;
    match stored {
        None => {
            tracing::info!(pool_id = %pool.id, identifier = %r.identifier, "seed: resource server created");
            Ok(())
        }
        Some(s) if s == wanted => Ok(()),
        Some(_) => Err(refuse(
            entry,
            "the stored resource server differs from the seed's (name or scopes): start \
             with a new data directory, or export the pool again",
        )),
    }
}

async fn apply_client(state: &State, pool: &PoolRt, c: &SeedClient, entry: &str) -> Result<()> {
    // A given secret makes the client one with a secret, whatever `generate_secret` says.
    let mut config = c.config.clone();
    if c.secret.is_some() {
        config.generate_secret = true;
    }
    let id = c.id.clone();
    let stored = state
        .store
        .read(move |conn| store::get_client(conn, &id))
        .await?;
    let Some(row) = stored else {
        admin::create_client_as(
            state,
            &pool.id,
            config,
            Some(&c.id),
            c.secret.as_ref().map(SeedSecret::expose),
        )
        .await
        .map_err(|e| refuse(entry, e))?;
        tracing::info!(pool_id = %pool.id, client_id = %c.id, "seed: app client created");
        return Ok(());
    };
    if row.pool_id != pool.id {
        return Err(refuse(
            entry,
            format!("the client id is taken by a client of pool {}", row.pool_id),
        ));
    }
    let stored_config: ClientConfig = serde_json::from_str(&row.config)
        .map_err(|e| refuse(entry, format!("the stored client cannot be read ({e})")))?;
    let secret_differs = match &c.secret {
        Some(s) => row.secret.as_deref() != Some(s.expose()),
        None => false,
    };
    if stored_config != config || secret_differs {
        return Err(refuse(
            entry,
            "the stored app client differs from the seed's (settings or secret): start \
             with a new data directory, or export the pool again to update the seed",
        ));
    }
    Ok(())
}

async fn apply_group(state: &State, pool: &PoolRt, g: &SeedGroup, entry: &str) -> Result<()> {
    let now = util::now_ms();
    let row = Group {
        pool_id: pool.id.clone(),
        name: g.name.clone(),
        description: g.description.clone(),
        role_arn: g.role_arn.clone(),
        precedence: g.precedence,
        created_ms: now,
        modified_ms: now,
    };
    let stored = state
        .store
        .write(move |c| {
            if let Some(stored) = store::group_by_name(c, &row.pool_id, &row.name)? {
                return Ok(Some(stored));
            }
            store::insert_group(c, &row)?;
            Ok(None)
        })
        .await?;
    match stored {
        None => {
            tracing::info!(pool_id = %pool.id, group = %g.name, "seed: group created");
            Ok(())
        }
        Some(s)
            if s.name == g.name
                && s.description == g.description
                && s.role_arn == g.role_arn
                && s.precedence == g.precedence =>
        {
            Ok(())
        }
        Some(_) => Err(refuse(
            entry,
            "the stored group differs from the seed's (name, description, role or \
             precedence): start with a new data directory, or export the pool again",
        )),
    }
}

fn decode(entry: &str, what: &str, text: &str) -> Result<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| refuse(entry, format!("the verifier's {what} is not base64")))?;
    if bytes.is_empty() {
        return Err(refuse(entry, format!("the verifier's {what} is empty")));
    }
    Ok(bytes)
}

async fn apply_user(state: &State, pool: &Arc<PoolRt>, u: &SeedUser, entry: &str) -> Result<()> {
    let status = status_of(entry, u)?;
    let typed = u.username.clone();
    let pool2 = pool.clone();
    let existing = state
        .store
        .read(move |c| find_user(c, &pool2, &typed))
        .await?;
    if let Some(existing) = existing {
        // Users change through use (passwords, statuses): a stored one is kept as it is.
        if u.sub.as_ref().is_some_and(|sub| *sub != existing.sub) {
            return Err(refuse(
                entry,
                "a stored user of that name has another sub: start with a new data directory",
            ));
        }
        return Ok(());
    }
    let mut attrs: Vec<(String, String)> = u
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    attributes::accept_write(&pool.schema, &mut attrs, WriteKind::AdminCreate, None)
        .map_err(|e| refuse(entry, e))?;
    let mut user = crate::ops::signup::new_user(pool, &u.username, attrs, status)
        .map_err(|e| refuse(entry, e))?;
    if let Some(sub) = &u.sub {
        let sub = sub.to_ascii_lowercase();
        // In an email- or phone-as-username pool the internal username is the sub.
        if user.username == user.sub {
            user.username = sub.clone();
            user.username_key = pool.key_of(&sub);
        }
        user.sub = sub;
    }
    let password = u
        .password
        .as_ref()
        .or(u.temporary_password.as_ref())
        .map(SeedSecret::expose);
    user.verifier = Some(match (password, &u.password_verifier) {
        (Some(pw), _) => {
            crate::password::check_policy(pw, &pool.config.password_policy)
                .map_err(|e| refuse(entry, e))?;
            crypto::make_verifier(&pool.id, &user.username, pw).await?
        }
        (None, Some(v)) => StoredVerifier {
            salt: decode(entry, "salt", &v.salt)?,
            verifier: decode(entry, "verifier", &v.verifier)?,
        },
        (None, None) => return Err(refuse(entry, "no password")),
    });
    if status == UserStatus::ForceChangePassword {
        user.temp_expires_ms = Some(admin::temp_expiry(pool));
    }
    user.enabled = u.enabled;
    let pool2 = pool.clone();
    let groups = u.groups.clone();
    let entry2 = entry.to_owned();
    state
        .store
        .write(move |c| {
            if store::user_by_sub(c, &pool2.id, &user.sub)?.is_some() {
                return Err(ApiError::invalid_parameter(format!(
                    "seed {entry2}: the sub is another user's"
                )));
            }
            store::insert_user(c, &user)?;
            apply_aliases(c, &pool2, &user, false)?;
            for g in &groups {
                if store::group_by_name(c, &pool2.id, g)?.is_none() {
                    return Err(ApiError::invalid_parameter(format!(
                        "seed {entry2}: the pool has no group {g}"
                    )));
                }
                store::add_member(c, &pool2.id, g, &user.sub)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Config(e.to_string()))?;
    tracing::info!(pool_id = %pool.id, username = %u.username, "seed: user created");
    Ok(())
}

const PAGE: usize = 500;

/// Writes every pool of the store as a seed: pools, app clients with their secrets, groups,
/// and users with their password verifiers (the passwords themselves are not stored).
pub(crate) async fn export(state: &State) -> Result<Seed> {
    let mut seed = Seed::default();
    let mut after = String::new();
    loop {
        let from = after.clone();
        let page = state
            .store
            .read(move |c| store::list_pools(c, &from, PAGE))
            .await?;
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        for (id, ..) in &page {
            seed.pools.push(export_pool(state, id).await?);
        }
        if page.len() < PAGE {
            break;
        }
    }
    Ok(seed)
}

async fn export_pool(state: &State, id: &str) -> Result<SeedPool> {
    let pool = state.pool(id).await?;
    let pool2 = pool.clone();
    let (domain, servers, clients, groups, users) = state
        .store
        .read(move |c| {
            let pool_id = pool2.id.as_str();
            let domain = store::domain_of_pool(c, pool_id)?;
            let mut servers = Vec::new();
            let mut after = String::new();
            loop {
                let page = store::list_resource_servers(c, pool_id, &after, PAGE)?;
                let full = page.len() == PAGE;
                if let Some(last) = page.last() {
                    after = last.identifier.clone();
                }
                servers.extend(page);
                if !full {
                    break;
                }
            }
            let mut clients = Vec::new();
            let mut after = String::new();
            loop {
                let page = store::list_clients(c, pool_id, &after, PAGE)?;
                for (client_id, _) in &page {
                    if let Some(row) = store::get_client(c, client_id)? {
                        clients.push(row);
                    }
                }
                match page.last() {
                    Some(last) if page.len() == PAGE => after = last.0.clone(),
                    _ => break,
                }
            }
            let mut groups = Vec::new();
            let mut after = String::new();
            loop {
                let page = store::list_groups(c, pool_id, &after, PAGE)?;
                let full = page.len() == PAGE;
                if let Some(last) = page.last() {
                    after = store::group_key(&last.name);
                }
                groups.extend(page);
                if !full {
                    break;
                }
            }
            let mut users = Vec::new();
            let mut after = String::new();
            loop {
                let page = store::list_users(c, pool_id, &after, PAGE)?;
                let full = page.len() == PAGE;
                for u in page {
                    after = u.sub.clone();
                    let member_of = store::groups_of_user(c, pool_id, &u.sub, "", usize::MAX)?;
                    users.push((u, member_of));
                }
                if !full {
                    break;
                }
            }
            Ok((domain, servers, clients, groups, users))
        })
        .await?;
    let mut out = SeedPool {
        id: pool.id.clone(),
        config: pool.config.clone(),
        domain: domain.map(|d| SeedDomain {
            domain: d.domain,
            certificate_arn: d.certificate_arn,
            managed_login_version: d.managed_login_version,
        }),
        resource_servers: servers
            .into_iter()
            .map(|s| SeedResourceServer {
                identifier: s.identifier,
                name: s.name,
                scopes: s
                    .scopes
                    .into_iter()
                    .map(|sc| SeedScope {
                        name: sc.name,
                        description: sc.description,
                    })
                    .collect(),
            })
            .collect(),
        clients: Vec::new(),
        groups: Vec::new(),
        users: Vec::new(),
    };
    for row in clients {
        let config: ClientConfig = serde_json::from_str(&row.config)
            .map_err(|e| Error::Storage(format!("client {}: {e}", row.id)))?;
        out.clients.push(SeedClient {
            id: row.id,
            secret: row.secret.map(SeedSecret),
            config,
        });
    }
    out.groups = groups
        .into_iter()
        .map(|g| SeedGroup {
            name: g.name,
            description: g.description,
            role_arn: g.role_arn,
            precedence: g.precedence,
        })
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD;
    for (u, member_of) in users {
        let Some(v) = &u.verifier else {
            // Every way of creating a user stores a verifier; one without cannot sign in
            // and cannot be seeded, so it is left out rather than written half.
            tracing::warn!(pool_id = %pool.id, username = %u.username, "export: user without a password left out");
            continue;
        };
        // The name a seed gives is the one typed at sign-in: in an email- or
        // phone-as-username pool that is the attribute, the internal username being the
        // sub.
        let username = if pool.uses_username_attributes() {
            let ua = &pool.config.username_attributes;
            ["email", "phone_number"]
                .iter()
                .filter(|a| ua.iter().any(|x| x == *a))
                .find_map(|a| u.attrs.get(*a).cloned())
                .unwrap_or_else(|| u.username.clone())
        } else {
            u.username.clone()
        };
        out.users.push(SeedUser {
            username,
            sub: Some(u.sub.clone()),
            password: None,
            temporary_password: None,
            password_verifier: Some(SeedVerifier {
                salt: b64.encode(&v.salt),
                verifier: b64.encode(&v.verifier),
            }),
            status: Some(u.status.as_str().to_owned()),
            attributes: u.attrs.clone(),
            enabled: u.enabled,
            groups: member_of.into_iter().map(|g| g.name).collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let text = r#"{"pools":[{"id":"us-east-1_Seed1","config":{"name":"p"},
            "clients":[{"id":"c1","secret":"topsecret1","config":{"name":"a"}}],
            "users":[{"username":"al","password":"Passw0rd!x"}]}]}"#;
        let seed = Seed::from_json(text).unwrap();
        let shown = format!("{seed:?}");
        assert!(!shown.contains("topsecret1") && !shown.contains("Passw0rd!x"));
    }

    #[test]
    fn bad_entries_are_named() {
        let cases = [
            (
                r#"{"pools":[{"id":"nope","config":{"name":"p"}}]}"#,
                "pool nope",
            ),
            (
                r#"{"pools":[{"id":"us-east-1_A","config":{"name":"p"},"clients":[{"id":"a b","config":{"name":"c"}}]}]}"#,
                "client a b",
            ),
            (
                r#"{"pools":[{"id":"us-east-1_A","config":{"name":"p"},"users":[{"username":"bob"}]}]}"#,
                "user bob",
            ),
            (
                r#"{"pools":[{"id":"us-east-1_A","config":{"name":"p"},"users":[{"username":"bob","password":"x","sub":"zz"}]}]}"#,
                "user bob",
            ),
        ];
        for (text, named) in cases {
            let seed = Seed::from_json(text).unwrap();
            let e = check(&seed).unwrap_err().to_string();
            assert!(e.contains(named), "{text}: {e}");
        }
        assert!(Seed::from_json(r#"{"pools":[],"extra":1}"#).is_err());
        assert!(Seed::from_json(r#"{"version":2}"#).is_err());
    }
}
