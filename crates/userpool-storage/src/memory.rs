//! The in-memory store.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use zeroize::Zeroizing;

use crate::{Batch, Storage, StorageError};

type Map = HashMap<String, Zeroizing<String>>;

/// The default store: a map in memory, lost when the process ends.
///
/// - Clones share the same map.
/// - A value's memory is wiped (zeroized) when it is overwritten, removed, cleared, or when
///   the last clone is dropped. Values returned by [`get`](Storage::get) are copies owned
///   by the caller.
/// - `Debug` prints the number of entries and the key names, never the values.
/// - The lock is a `std` lock held only for the map operation, never across an `.await`;
///   every method completes without yielding.
///
/// ```
/// use userpool_storage::{MemoryStore, Storage};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), userpool_storage::StorageError> {
/// let store = MemoryStore::new();
/// store.set("k", "secret").await?;
/// assert_eq!(store.get("k").await?.as_deref(), Some("secret"));
/// assert!(!format!("{store:?}").contains("secret"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    map: Arc<RwLock<Map>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// True when the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.read().keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    // A panic elsewhere while the lock was held cannot leave the map half-updated (every
    // change is one map operation), so a poisoned lock is recovered.
    fn read(&self) -> RwLockReadGuard<'_, Map> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Map> {
        self.map.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.keys();
        f.debug_struct("MemoryStore")
            .field("len", &keys.len())
            .field("keys", &keys)
            .finish()
    }
}

#[async_trait::async_trait]
impl Storage for MemoryStore {
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        // The replaced value, if any, is dropped (and wiped) here.
        self.write()
            .insert(key.to_owned(), Zeroizing::new(value.to_owned()));
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(self.read().get(key).map(|v| String::clone(v)))
    }

    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        self.write().remove(key);
        Ok(())
    }

    async fn clear(&self) -> Result<(), StorageError> {
        self.write().clear();
        Ok(())
    }

    async fn set_many(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        let mut map = self.write();
        for (key, value) in entries {
            map.insert((*key).to_owned(), Zeroizing::new((*value).to_owned()));
        }
        Ok(())
    }

    async fn remove_many(&self, keys: &[&str]) -> Result<(), StorageError> {
        let mut map = self.write();
        for key in keys {
            map.remove(*key);
        }
        Ok(())
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StorageError> {
        let map = self.read();
        Ok(keys
            .iter()
            .map(|k| map.get(*k).map(|v| String::clone(v)))
            .collect())
    }

    /// Checks and changes under one write lock: clones of the store used by several
    /// clients in the process see the batch whole or not at all.
    async fn apply(&self, batch: &Batch) -> Result<bool, StorageError> {
        let mut map = self.write();
        if !batch.holds(|k| map.get(k).map(|v| v.as_str())) {
            return Ok(false);
        }
        for key in batch.removals() {
            map.remove(key);
        }
        for (key, value) in batch.sets() {
            map.insert(key.to_owned(), Zeroizing::new(value.to_owned()));
        }
        Ok(true)
    }

    /// A memory store is never corrupt: nothing to clear.
    async fn clear_corrupt(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn set_get_overwrite_remove() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        assert_eq!(s.get("a").await?, None);
        s.set("a", "1").await?;
        assert_eq!(s.get("a").await?.as_deref(), Some("1"));
        s.set("a", "2").await?;
        assert_eq!(s.get("a").await?.as_deref(), Some("2"));
        s.remove("a").await?;
        assert_eq!(s.get("a").await?, None);
        s.remove("a").await?; // missing key is fine
        assert!(s.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn set_many_remove_many_clear() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        s.set_many(&[("a", "1"), ("b", "2"), ("c", "3")]).await?;
        assert_eq!(s.len(), 3);
        s.remove_many(&["a", "c", "missing"]).await?;
        assert_eq!(s.keys(), ["b"]);
        s.clear().await?;
        assert!(s.is_empty());
        assert_eq!(s.get("b").await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn apply_checks_then_changes_and_get_many_reads_in_order() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        s.set_many(&[("user", "alice"), ("alice.token", "t1")])
            .await?;
        let refresh = Batch::new()
            .expect("user", Some("alice"))
            .set("alice.token", "t2");
        assert!(s.apply(&refresh).await?);
        assert_eq!(
            s.get_many(&["alice.token", "missing", "user"]).await?,
            [Some("t2".to_owned()), None, Some("alice".to_owned())]
        );
        // Signed out meanwhile: the same batch writes nothing.
        s.remove("user").await?;
        let again = Batch::new()
            .expect("user", Some("alice"))
            .set("alice.token", "t3");
        assert!(!s.apply(&again).await?);
        assert_eq!(s.get("alice.token").await?.as_deref(), Some("t2"));
        assert!(
            s.apply(&Batch::new().expect("user", None).remove("alice.token"))
                .await?
        );
        assert!(s.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn sync_is_a_no_op() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        s.set("a", "1").await?;
        s.sync().await?;
        assert_eq!(s.get("a").await?.as_deref(), Some("1"));
        Ok(())
    }

    #[tokio::test]
    async fn clones_share_the_map() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        let t = s.clone();
        s.set("a", "1").await?;
        assert_eq!(t.get("a").await?.as_deref(), Some("1"));
        t.clear().await?;
        assert!(s.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn debug_shows_keys_and_count_not_values() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        s.set(
            "CognitoIdentityServiceProvider.c.u.idToken",
            "eyJ-very-secret",
        )
        .await?;
        s.set("b", "other-secret").await?;
        let dbg = format!("{s:?}");
        assert!(
            dbg.contains("CognitoIdentityServiceProvider.c.u.idToken"),
            "{dbg}"
        );
        assert!(dbg.contains("len: 2"), "{dbg}");
        assert!(!dbg.contains("secret"), "{dbg}");
        let pretty = format!("{s:#?}");
        assert!(!pretty.contains("secret"), "{pretty}");
        Ok(())
    }

    #[tokio::test]
    async fn usable_as_dyn_storage() -> Result<(), StorageError> {
        let s: Arc<dyn Storage> = Arc::new(MemoryStore::new());
        s.set_many(&[("x", "1")]).await?;
        // The Arc<T> forwarding impl.
        let again: Arc<Arc<dyn Storage>> = Arc::new(s.clone());
        assert_eq!(again.get("x").await?.as_deref(), Some("1"));
        Ok(())
    }

    #[tokio::test]
    async fn default_set_many_and_remove_many_call_each() -> Result<(), StorageError> {
        // A store with only the required methods uses the default bodies.
        #[derive(Debug, Default)]
        struct Minimal(MemoryStore);
        #[async_trait::async_trait]
        impl Storage for Minimal {
            async fn set(&self, k: &str, v: &str) -> Result<(), StorageError> {
                self.0.set(k, v).await
            }
            async fn get(&self, k: &str) -> Result<Option<String>, StorageError> {
                self.0.get(k).await
            }
            async fn remove(&self, k: &str) -> Result<(), StorageError> {
                if k == "fail" {
                    return Err(StorageError::backend("refused"));
                }
                self.0.remove(k).await
            }
            async fn clear(&self) -> Result<(), StorageError> {
                self.0.clear().await
            }
        }
        let m = Minimal::default();
        m.sync().await?;
        m.set_many(&[("a", "1"), ("b", "2")]).await?;
        assert_eq!(m.0.keys(), ["a", "b"]);
        m.remove_many(&["a"]).await?;
        assert_eq!(m.0.keys(), ["b"]);
        let err = m.remove_many(&["fail", "b"]).await;
        assert!(matches!(err, Err(StorageError::Backend(_))));
        assert_eq!(m.0.keys(), ["b"], "stops at the first error");
        Ok(())
    }
}
