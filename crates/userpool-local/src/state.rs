//! The server's shared state: the store, caches of pools (with their keys) and app clients,
//! sign-ins in progress, the outbox, limits, and the HTTP side's access rules.
//!
//! Locks: every `Mutex` and `RwLock` of this crate (the caches here, the sign-ins in
//! progress, the outbox, the database connections) takes a poisoned guard back with
//! `PoisonError::into_inner` instead of failing every later request. What they guard
//! cannot be left half-changed by a panic: the caches and the outbox change by one map or
//! queue operation, the sign-in tables' bookkeeping saturates instead of panicking, and a
//! database transaction that a panic interrupts is rolled back when it is dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use crate::attributes::{self, AttrDef};
use crate::config::{ClientConfig, Limits, PoolConfig};
use crate::error::{ApiError, ExceptionName};
use crate::guard::Guard;
use crate::outbox::Outbox;
use crate::sigv4::AdminKey;
use crate::srp_state::{Pending, PendingLimits};
use crate::store::{self, Store};
use crate::tokens::PoolKeys;

/// A pool as the operations use it.
#[derive(Debug)]
pub(crate) struct PoolRt {
    pub id: String,
    pub config: PoolConfig,
    pub schema: Vec<AttrDef>,
    /// The signing key and the earlier keys still published (see `tokens`, key rotation).
    pub key: PoolKeys,
    pub created_ms: i64,
    pub modified_ms: i64,
}

impl PoolRt {
    pub(crate) fn new(
        id: String,
        config: PoolConfig,
        key: impl Into<PoolKeys>,
        created_ms: i64,
        modified_ms: i64,
    ) -> Self {
        let schema = attributes::schema(&config);
        Self {
            id,
            config,
            schema,
            key: key.into(),
            created_ms,
            modified_ms,
        }
    }

    /// The lookup key of a username (lower case unless the pool is case sensitive).
    pub(crate) fn key_of(&self, name: &str) -> String {
        if self.config.case_sensitive_usernames {
            name.to_owned()
        } else {
            name.to_lowercase()
        }
    }

    /// Email and/or phone number are the username (the internal username is the sub).
    pub(crate) fn uses_username_attributes(&self) -> bool {
        !self.config.username_attributes.is_empty()
    }
}

/// An app client as the operations use it. Debug hides the secret.
pub(crate) struct ClientRt {
    pub id: String,
    pub pool_id: String,
    pub secret: Option<String>,
    pub config: ClientConfig,
    pub created_ms: i64,
    pub modified_ms: i64,
}

impl std::fmt::Debug for ClientRt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRt")
            .field("id", &self.id)
            .field("pool_id", &self.pool_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("config", &self.config)
            .finish()
    }
}

/// How the HTTP side treats requests: allowed browser origins and hosts, the key admin
/// calls must be signed with (none: any credentials), how long a body may take.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    pub guard: Guard,
    pub admin_key: Option<AdminKey>,
    pub body_timeout: Duration,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct State {
    pub store: Store,
    pools: ReadThrough<PoolRt>,
    clients: ReadThrough<ClientRt>,
    pub pending: Pending,
    pub outbox: Outbox,
    /// Authorization codes of the hosted sign-in, not yet redeemed.
    pub grants: crate::hosted::grants::Grants,
    /// Hosted sessions and sign-ins in progress of the hosted pages.
    pub hosted: crate::hosted::cookie::HostedState,
    /// The dashboard's CSRF key, change counter and recent sign-ins.
    pub dashboard: crate::dashboard::Live,
    pub limits: Limits,
    pub region: String,
    pub access: Access,
    base_url: OnceLock<String>,
}

impl State {
    pub(crate) fn new(
        store: Store,
        limits: Limits,
        region: String,
        pending_limits: PendingLimits,
        access: Access,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            store,
            pools: ReadThrough::default(),
            clients: ReadThrough::default(),
            pending: Pending::new(pending_limits)?,
            outbox: Outbox::default(),
            grants: Default::default(),
            hosted: Default::default(),
            dashboard: crate::dashboard::Live::new()?,
            limits,
            region,
            access,
            base_url: OnceLock::new(),
        })
    }

    /// Sets the URL the server answers on (once, when bound).
    pub(crate) fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    /// The server's URL, e.g. `http://127.0.0.1:9229`.
    pub(crate) fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://localhost")
    }

    /// `iss` of the pool's tokens: this server's URL plus the pool id.
    pub(crate) fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{}", self.base_url(), pool_id)
    }

    /// A pool, from the cache or the database.
    pub(crate) async fn pool(&self, id: &str) -> Result<Arc<PoolRt>, ApiError> {
        if let Some(p) = self.pools.get(id) {
            return Ok(p);
        }
        let seen = self.pools.changes();
        let owned = id.to_owned();
        let loaded = self
            .store
            .read(move |c| {
                let Some(row) = store::get_pool(c, &owned)? else {
                    return Ok(None);
                };
                let config: PoolConfig =
                    serde_json::from_str(&row.config).map_err(ApiError::internal)?;
                let key = PoolKeys::load(c, &row.id, &row.key_der)?;
                Ok(Some(PoolRt::new(
                    row.id,
                    config,
                    key,
                    row.created_ms,
                    row.modified_ms,
                )))
            })
            .await?;
        let Some(pool) = loaded else {
            return Err(ApiError::pool_not_found(id));
        };
        let pool = Arc::new(pool);
        self.pools.insert_if_unchanged(id, pool.clone(), seen);
        Ok(pool)
    }

    /// Puts a freshly created pool in the cache.
    pub(crate) fn cache_pool(&self, pool: Arc<PoolRt>) {
        self.pools.insert(&pool.id.clone(), pool);
    }

    /// Stores a new configuration of the pool `id` and drops the pool from the cache, so
    /// that the next [`Self::pool`] reads the new one. The pool not found (deleted
    /// meanwhile) is `ResourceNotFoundException`.
    pub(crate) async fn replace_pool_config(
        &self,
        id: &str,
        config: &PoolConfig,
    ) -> Result<(), ApiError> {
        let text = serde_json::to_string(config).map_err(ApiError::internal)?;
        let owned = id.to_owned();
        let found = self
            .store
            .write(move |c| store::update_pool_config(c, &owned, &text, crate::util::now_ms()))
            .await?;
        self.uncache_pool(id);
        if found {
            Ok(())
        } else {
            Err(ApiError::pool_not_found(id))
        }
    }

    /// Drops a pool from the cache (its configuration or keys changed in the database): the
    /// next [`Self::pool`] reads it again.
    pub(crate) fn uncache_pool(&self, id: &str) {
        self.pools.remove(id);
    }

    /// How long a challenge session of `client` lives: its `AuthSessionValidity`, unless
    /// the limits override it.
    pub(crate) fn session_validity(&self, client: &ClientConfig) -> Duration {
        self.limits
            .challenge_session_validity
            .unwrap_or_else(|| client.session_validity())
    }

    /// Forgets a deleted pool and its clients.
    pub(crate) fn forget_pool(&self, id: &str) {
        self.pools.remove(id);
        self.clients.remove_where(|c| c.pool_id == id);
    }

    /// Drops an app client from the cache (its settings changed in the database, or it was
    /// deleted): the next [`Self::client`] reads it again.
    pub(crate) fn uncache_client(&self, id: &str) {
        self.clients.remove(id);
    }

    /// An app client, from the cache or the database.
    pub(crate) async fn client(&self, id: &str) -> Result<Arc<ClientRt>, ApiError> {
        if let Some(c) = self.clients.get(id) {
            return Ok(c);
        }
        let seen = self.clients.changes();
        let owned = id.to_owned();
        let loaded = self
            .store
            .read(move |c| store::get_client(c, &owned))
            .await?;
        let Some(row) = loaded else {
            return Err(ApiError::client_not_found(id));
        };
        let config: ClientConfig = serde_json::from_str(&row.config).map_err(ApiError::internal)?;
        let client = Arc::new(ClientRt {
            id: row.id,
            pool_id: row.pool_id,
            secret: row.secret,
            config,
            created_ms: row.created_ms,
            modified_ms: row.modified_ms,
        });
        self.clients.insert_if_unchanged(id, client.clone(), seen);
        Ok(client)
    }

    /// A client and its pool.
    pub(crate) async fn client_and_pool(
        &self,
        client_id: &str,
    ) -> Result<(Arc<ClientRt>, Arc<PoolRt>), ApiError> {
        let client = self.client(client_id).await?;
        let pool = self.pool(&client.pool_id).await.map_err(|e| {
            if e.exception() == ExceptionName::ResourceNotFound {
                ApiError::client_not_found(client_id)
            } else {
                e
            }
        })?;
        Ok((client, pool))
    }
}

/// A cache of rows read from the database on a miss. A change to a row drops its entry;
/// a read that started before a change never puts its (possibly old) row back, so the
/// cache cannot hold settings older than the database's.
#[derive(Debug)]
struct ReadThrough<V> {
    map: RwLock<HashMap<String, Arc<V>>>,
    /// Bumped by every [`ReadThrough::remove`].
    changes: AtomicU64,
}

impl<V> Default for ReadThrough<V> {
    fn default() -> Self {
        Self {
            map: RwLock::default(),
            changes: AtomicU64::new(0),
        }
    }
}

impl<V> ReadThrough<V> {
    fn get(&self, id: &str) -> Option<Arc<V>> {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// The change count to give [`Self::insert_if_unchanged`]: read it before reading
    /// the database.
    fn changes(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Caches a row read while the change count was `seen`, unless a change came since.
    fn insert_if_unchanged(&self, id: &str, value: Arc<V>, seen: u64) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        // Under the write lock: a `remove` either ran before this check (the count moved)
        // or runs after the insert (and removes it).
        if self.changes.load(Ordering::SeqCst) == seen {
            map.insert(id.to_owned(), value);
        }
    }

    /// Caches a row just written (a new pool): nothing older can exist.
    fn insert(&self, id: &str, value: Arc<V>) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), value);
    }

    /// Drops a row that changed in the database; the next read loads it again.
    fn remove(&self, id: &str) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        self.changes.fetch_add(1, Ordering::SeqCst);
        map.remove(id);
    }

    /// Drops every row `gone` picks (the clients of a deleted pool), as [`Self::remove`]
    /// drops one.
    fn remove_where(&self, gone: impl Fn(&V) -> bool) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        self.changes.fetch_add(1, Ordering::SeqCst);
        map.retain(|_, v| !gone(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_from_before_a_change_is_not_cached_after_it() {
        let cache = ReadThrough::<&str>::default();
        // A request reads the row...
        let seen = cache.changes();
        // ...a change is written and drops the entry meanwhile...
        cache.remove("pool");
        // ...then the first request finishes with the old row: it must not be cached.
        cache.insert_if_unchanged("pool", Arc::new("old settings"), seen);
        assert!(cache.get("pool").is_none());

        // A read with no change in between is cached.
        let seen = cache.changes();
        cache.insert_if_unchanged("pool", Arc::new("new settings"), seen);
        assert_eq!(cache.get("pool").as_deref(), Some(&"new settings"));
        cache.remove("pool");
        assert!(cache.get("pool").is_none());
    }
}
