//! The server's shared state: the store, caches of pools (with their keys) and app clients,
//! sign-ins in progress, the outbox, limits, and the HTTP side's access rules.

use std::collections::HashMap;
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
use crate::tokens::PoolKey;

/// A pool as the operations use it.
#[derive(Debug)]
pub(crate) struct PoolRt {
    pub id: String,
    pub config: PoolConfig,
    pub schema: Vec<AttrDef>,
    pub key: PoolKey,
    pub created_ms: i64,
    pub modified_ms: i64,
}

impl PoolRt {
    pub(crate) fn new(
        id: String,
        config: PoolConfig,
        key: PoolKey,
        created_ms: i64,
        modified_ms: i64,
    ) -> Self {
        let schema = attributes::schema(&config);
        Self {
            id,
            config,
            schema,
            key,
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
    pools: RwLock<HashMap<String, Arc<PoolRt>>>,
    clients: RwLock<HashMap<String, Arc<ClientRt>>>,
    pub pending: Pending,
    pub outbox: Outbox,
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
            pools: RwLock::default(),
            clients: RwLock::default(),
            pending: Pending::new(pending_limits)?,
            outbox: Outbox::default(),
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
        if let Some(p) = self
            .pools
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            return Ok(p.clone());
        }
        let owned = id.to_owned();
        let loaded = self
            .store
            .read(move |c| {
                let Some(row) = store::get_pool(c, &owned)? else {
                    return Ok(None);
                };
                let config: PoolConfig =
                    serde_json::from_str(&row.config).map_err(ApiError::internal)?;
                let key = PoolKey::from_der(&row.key_der)?;
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
        self.pools
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), pool.clone());
        Ok(pool)
    }

    /// Puts a freshly created pool in the cache.
    pub(crate) fn cache_pool(&self, pool: Arc<PoolRt>) {
        self.pools
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(pool.id.clone(), pool);
    }

    /// Forgets a deleted pool and its clients.
    pub(crate) fn forget_pool(&self, id: &str) {
        self.pools
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        self.clients
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, c| c.pool_id != id);
    }

    /// An app client, from the cache or the database.
    pub(crate) async fn client(&self, id: &str) -> Result<Arc<ClientRt>, ApiError> {
        if let Some(c) = self
            .clients
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            return Ok(c.clone());
        }
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
        self.clients
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), client.clone());
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
