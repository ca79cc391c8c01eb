//! A store of your own: one file per key in a directory, as a platform keychain keeps one
//! item per secret. Run against an embedded local pool (no AWS account):
//!
//! ```text
//! cargo run -p userpool --example custom_storage
//! ```
//!
//! It signs a user in, then builds a second client on the same directory, as a restarted
//! program would, and finds the user still signed in.
//!
//! The four required methods are enough for a store that one process uses. `get_many` and
//! `apply` are overridden here so that a session is read and changed as one unit even when
//! several clients in the process share the store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use userpool::storage::{Batch, Storage, StorageError};
use userpool::{Auth, AuthFlow, async_trait};
use userpool_local::{ClientConfig, LocalPool, PoolConfig};

/// One file per key under `dir`; the key, hex-encoded, is the file name.
struct DirStore {
    dir: PathBuf,
    /// Serialises the changes of this process, so that `apply` checks and changes in one
    /// step. (A store shared by processes would take a file lock here.)
    lock: Mutex<()>,
}

// Debug without values: they are tokens.
impl std::fmt::Debug for DirStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl DirStore {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            lock: Mutex::new(()),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        let name: String = key.bytes().map(|b| format!("{b:02x}")).collect();
        self.dir.join(name)
    }

    fn locked(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self, key: &str) -> Result<Option<String>, StorageError> {
        match std::fs::read_to_string(self.path(key)) {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::backend(e)),
        }
    }

    fn write(&self, key: &str, value: &str) -> Result<(), StorageError> {
        std::fs::create_dir_all(&self.dir).map_err(StorageError::backend)?;
        // Write aside, then rename: a reader never sees half a token.
        let tmp = self.path(key).with_extension("tmp");
        std::fs::write(&tmp, value).map_err(StorageError::backend)?;
        std::fs::rename(&tmp, self.path(key)).map_err(StorageError::backend)
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        match std::fs::remove_file(self.path(key)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StorageError::backend(e)),
            _ => Ok(()),
        }
    }
}

// Plain file calls keep the example short; a real store would use `spawn_blocking` or
// `tokio::fs` so that a slow disk does not stall the runtime.
#[async_trait]
impl Storage for DirStore {
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let _one_at_a_time = self.locked();
        self.write(key, value)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.read(key)
    }

    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        let _one_at_a_time = self.locked();
        self.delete(key)
    }

    async fn clear(&self) -> Result<(), StorageError> {
        let _one_at_a_time = self.locked();
        match std::fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StorageError::backend(e)),
            _ => Ok(()),
        }
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StorageError> {
        let _one_at_a_time = self.locked();
        keys.iter().map(|k| self.read(k)).collect()
    }

    async fn apply(&self, batch: &Batch) -> Result<bool, StorageError> {
        let _one_at_a_time = self.locked();
        let mut current = BTreeMap::new();
        for (key, _) in batch.expectations() {
            current.insert(key.to_owned(), self.read(key)?);
        }
        if !batch.holds(|k| current.get(k).and_then(|v| v.as_deref())) {
            return Ok(false);
        }
        for key in batch.removals() {
            self.delete(key)?;
        }
        for (key, value) in batch.sets() {
            self.write(key, value)?;
        }
        Ok(true)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = LocalPool::builder().in_memory().start().await?;
    let pool = server.create_pool(PoolConfig::new("example")).await?;
    let client = server
        .create_client(&pool.pool_id, ClientConfig::new("app").with_password_auth())
        .await?;
    server
        .create_user(
            &pool.pool_id,
            "ada",
            "Correct-Horse-1",
            &[("email", "ada@example.com")],
        )
        .await?;

    let dir = std::env::temp_dir().join(format!("userpool-dir-store-{}", std::process::id()));
    let client_for = |dir: PathBuf| {
        Auth::builder()
            .user_pool_id(&pool.pool_id)
            .client_id(&client.client_id)
            .endpoint(server.endpoint())
            .auth_flow(AuthFlow::UserPassword)
            .storage(DirStore::new(dir))
            .build()
    };

    let auth = client_for(dir.clone())?;
    auth.sign_in("ada", "Correct-Horse-1").await?;
    println!("signed in; the session is in {}", dir.display());

    // A new client on the same directory: the session is read back whole.
    let restarted = client_for(dir.clone())?;
    let session = restarted.current_session().await?;
    println!(
        "restarted: still signed in as {}",
        session.id_token().username().unwrap_or("?")
    );
    restarted.sign_out().await?;
    println!(
        "signed out; {} files left",
        std::fs::read_dir(&dir).map_or(0, |d| d.count())
    );

    let _ = std::fs::remove_dir_all(&dir);
    server.shutdown().await?;
    Ok(())
}
