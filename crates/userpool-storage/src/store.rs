//! The [`Storage`] trait, and how to implement your own storage.
//!
//! # Implementing your own storage
//!
//! The client stores tokens through an `Arc<dyn Storage>`, so any type that is
//! `Send + Sync + Debug` and implements the four required methods can hold them: the
//! platform keychain, a database, a remote key–value service. Write the `impl` under
//! [`#[async_trait::async_trait]`](https://docs.rs/async-trait) (add `async-trait` to your
//! dependencies).
//!
//! The contract:
//!
//! - `get` returns `Ok(None)` for a key that was never set or was removed; `remove` of a
//!   missing key is `Ok(())`; `clear` removes every key the store holds (for a store shared
//!   with other data, every key it owns, e.g. every key under a prefix).
//! - Values are opaque strings: tokens, numbers written as text, JSON. Store them as they
//!   are.
//! - Errors of your backend go in [`StorageError::Backend`] (see
//!   [`StorageError::backend`]). Return [`StorageError::Corrupt`] when stored data cannot
//!   be read back: the client then treats the user as signed out and calls `clear`.
//! - Never print values in `Debug` or in logs: they are bearer tokens.
//! - `sync` is awaited before the client reads the current user, before sign-out and
//!   before delete. A slow backend loads its data into a memory cache there, so that the
//!   many `get`s which follow are cheap. The default does nothing.
//! - `set_many` and `remove_many` default to one call per entry. Override them when the
//!   backend can apply several changes at once (a transaction, one file write): the client
//!   uses them to store or remove a whole session, and a crash in the middle then leaves
//!   the old session or the new one, not a mix.
//! - `get_many`, `apply` and `clear_corrupt` also have default bodies built on the
//!   methods above. They are what makes a store safe to share between processes: the
//!   client reads a session with one `get_many`, and changes it with one `apply` whose
//!   [`Batch`] says what the store must still hold (so a refresh cannot bring back a
//!   session another process signed out). The defaults are enough for a store used by one
//!   process; a store that several processes share should override them to check and
//!   change under one lock or in one transaction.
//!
//! The example keeps a memory cache in front of a (simulated) remote key–value service,
//! preloaded by `sync`:
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex, PoisonError};
//! use userpool_storage::{Storage, StorageError};
//!
//! /// Stands in for an async client of a remote key-value service.
//! #[derive(Debug, Default)]
//! struct RemoteKv {
//!     data: Mutex<HashMap<String, String>>,
//! }
//!
//! impl RemoteKv {
//!     async fn load_all(&self, prefix: &str) -> Result<HashMap<String, String>, std::io::Error> {
//!         let data = self.data.lock().unwrap_or_else(PoisonError::into_inner);
//!         Ok(data
//!             .iter()
//!             .filter(|(k, _)| k.starts_with(prefix))
//!             .map(|(k, v)| (k.clone(), v.clone()))
//!             .collect())
//!     }
//!     async fn put(&self, key: &str, value: &str) -> Result<(), std::io::Error> {
//!         let mut data = self.data.lock().unwrap_or_else(PoisonError::into_inner);
//!         data.insert(key.to_owned(), value.to_owned());
//!         Ok(())
//!     }
//!     async fn delete(&self, key: &str) -> Result<(), std::io::Error> {
//!         let mut data = self.data.lock().unwrap_or_else(PoisonError::into_inner);
//!         data.remove(key);
//!         Ok(())
//!     }
//! }
//!
//! /// Keys live remotely under `prefix`; reads come from a cache that `sync` fills.
//! struct CachedRemoteStore {
//!     remote: Arc<RemoteKv>,
//!     prefix: String,
//!     cache: Mutex<HashMap<String, String>>,
//! }
//!
//! // Debug without values: they are tokens.
//! impl std::fmt::Debug for CachedRemoteStore {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.debug_struct("CachedRemoteStore").field("prefix", &self.prefix).finish_non_exhaustive()
//!     }
//! }
//!
//! impl CachedRemoteStore {
//!     fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
//!         // A std mutex, never held across an `.await`.
//!         self.cache.lock().unwrap_or_else(PoisonError::into_inner)
//!     }
//!     fn remote_key(&self, key: &str) -> String {
//!         format!("{}{key}", self.prefix)
//!     }
//! }
//!
//! #[async_trait::async_trait]
//! impl Storage for CachedRemoteStore {
//!     async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
//!         self.remote.put(&self.remote_key(key), value).await.map_err(StorageError::backend)?;
//!         self.cache().insert(key.to_owned(), value.to_owned());
//!         Ok(())
//!     }
//!     async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
//!         Ok(self.cache().get(key).cloned())
//!     }
//!     async fn remove(&self, key: &str) -> Result<(), StorageError> {
//!         self.remote.delete(&self.remote_key(key)).await.map_err(StorageError::backend)?;
//!         self.cache().remove(key);
//!         Ok(())
//!     }
//!     async fn clear(&self) -> Result<(), StorageError> {
//!         let keys: Vec<String> = self.cache().keys().cloned().collect();
//!         for key in keys {
//!             self.remove(&key).await?;
//!         }
//!         Ok(())
//!     }
//!     async fn sync(&self) -> Result<(), StorageError> {
//!         let all = self.remote.load_all(&self.prefix).await.map_err(StorageError::backend)?;
//!         let loaded = all
//!             .into_iter()
//!             .filter_map(|(k, v)| Some((k.strip_prefix(&self.prefix)?.to_owned(), v)))
//!             .collect();
//!         *self.cache() = loaded;
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), StorageError> {
//! let remote = Arc::new(RemoteKv::default());
//! let first = CachedRemoteStore { remote: remote.clone(), prefix: "app1/".into(), cache: Default::default() };
//! first.set("CognitoIdentityServiceProvider.abc.LastAuthUser", "alice").await?;
//!
//! // Another instance (say, after a restart) sees the data once it has synced.
//! let store: Arc<dyn Storage> = Arc::new(CachedRemoteStore {
//!     remote,
//!     prefix: "app1/".into(),
//!     cache: Default::default(),
//! });
//! store.sync().await?;
//! let user = store.get("CognitoIdentityServiceProvider.abc.LastAuthUser").await?;
//! assert_eq!(user.as_deref(), Some("alice"));
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use crate::{Batch, StorageError};

/// A key–value store for tokens. The client holds it as `Arc<dyn Storage>`.
///
/// Implemented by [`MemoryStore`](crate::MemoryStore) and
/// [`FileStore`](crate::FileStore); see the [module documentation](self) to write your
/// own.
#[async_trait::async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Stores `value` under `key`, replacing any previous value.
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError>;

    /// The value under `key`, or `None` when there is none.
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError>;

    /// Removes `key`. Removing a missing key is not an error.
    async fn remove(&self, key: &str) -> Result<(), StorageError>;

    /// Removes every key of the store.
    async fn clear(&self) -> Result<(), StorageError>;

    /// Optional preload for slow backends, awaited before the client reads the current
    /// user, before sign-out and before delete. The default does nothing.
    async fn sync(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Stores several entries. The default calls [`set`](Storage::set) for each, in order,
    /// and stops at the first error; stores that can make it atomic should (the
    /// [`FileStore`](crate::FileStore) writes its file once).
    async fn set_many(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        for (key, value) in entries {
            self.set(key, value).await?;
        }
        Ok(())
    }

    /// Removes several keys. The default calls [`remove`](Storage::remove) for each, in
    /// order, and stops at the first error.
    async fn remove_many(&self, keys: &[&str]) -> Result<(), StorageError> {
        for key in keys {
            self.remove(key).await?;
        }
        Ok(())
    }

    /// Reads several keys at once; the answer has one value per key, in order. The client
    /// reads a whole session with it.
    ///
    /// The default calls [`get`](Storage::get) for each. Stores shared by several
    /// processes should answer from one consistent view (one read of a file, one
    /// transaction), so that a session written meanwhile is seen whole or not at all.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StorageError> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }

    /// Applies `batch` if every one of its expectations holds, and answers whether it did.
    /// The client stores, refreshes and removes a session with it, on the condition that
    /// the store still holds the session it last read.
    ///
    /// The default reads the expected keys with [`get_many`](Storage::get_many), then
    /// calls [`remove_many`](Storage::remove_many) and [`set_many`](Storage::set_many).
    /// That is one unit against every other caller in the process (the client serialises
    /// its own changes), not against other processes. A store that several processes
    /// share should override it and check and change under one lock or in one
    /// transaction, as [`FileStore`](crate::FileStore) does.
    async fn apply(&self, batch: &Batch) -> Result<bool, StorageError> {
        let keys: Vec<&str> = batch.expectations().map(|(k, _)| k).collect();
        if !keys.is_empty() {
            let values = self.get_many(&keys).await?;
            let holds = batch.holds(|key| {
                keys.iter()
                    .position(|k| *k == key)
                    .and_then(|i| values.get(i))
                    .and_then(|v| v.as_deref())
            });
            if !holds {
                return Ok(false);
            }
        }
        let removals: Vec<&str> = batch.removals().collect();
        if !removals.is_empty() {
            self.remove_many(&removals).await?;
        }
        let sets: Vec<(&str, &str)> = batch.sets().collect();
        if !sets.is_empty() {
            self.set_many(&sets).await?;
        }
        Ok(true)
    }

    /// Clears the store if its data still cannot be read ([`StorageError::Corrupt`]),
    /// and leaves it alone if it can: between the read that found it damaged and this
    /// call, another process may have repaired it. The client calls it instead of
    /// [`clear`](Storage::clear) after a `Corrupt` error.
    ///
    /// The default calls [`clear`](Storage::clear).
    async fn clear_corrupt(&self) -> Result<(), StorageError> {
        self.clear().await
    }
}

macro_rules! forward_storage {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl<T: Storage + ?Sized> Storage for $ty {
            async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
                (**self).set(key, value).await
            }
            async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
                (**self).get(key).await
            }
            async fn remove(&self, key: &str) -> Result<(), StorageError> {
                (**self).remove(key).await
            }
            async fn clear(&self) -> Result<(), StorageError> {
                (**self).clear().await
            }
            async fn sync(&self) -> Result<(), StorageError> {
                (**self).sync().await
            }
            async fn set_many(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
                (**self).set_many(entries).await
            }
            async fn remove_many(&self, keys: &[&str]) -> Result<(), StorageError> {
                (**self).remove_many(keys).await
            }
            async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StorageError> {
                (**self).get_many(keys).await
            }
            async fn apply(&self, batch: &Batch) -> Result<bool, StorageError> {
                (**self).apply(batch).await
            }
            async fn clear_corrupt(&self) -> Result<(), StorageError> {
                (**self).clear_corrupt().await
            }
        }
    };
}

forward_storage!(Arc<T>);
forward_storage!(Box<T>);
