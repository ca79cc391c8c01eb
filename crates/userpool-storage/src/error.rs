//! The error type of every storage operation.

use std::error::Error as StdError;
use std::path::PathBuf;
use std::time::Duration;

/// What went wrong in a storage operation.
///
/// The variants say what the caller can act on; the underlying error, when there is one,
/// is reachable through [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The file (or its directory, temporary file or lock file) could not be read or
    /// written.
    #[error("cannot access the token store file {}", path.display())]
    Io {
        /// The file the operation failed on.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The file exists but is not what the store writes: truncated or invalid JSON, not a
    /// JSON object, or a value that is not a string.
    ///
    /// Reads and writes both fail with this error, so that no data is lost silently;
    /// [`Storage::clear`](crate::Storage::clear) keeps a copy of the damaged file and
    /// starts afresh. See [`FileStore`](crate::FileStore).
    #[error("the token store file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Why it could not be read (no stored values are included).
        reason: String,
    },

    /// Another process or task held the store's lock for longer than the configured
    /// timeout.
    #[error("timed out after {waited:?} waiting for the lock on {}", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// How long the operation waited.
        waited: Duration,
    },

    /// An error of a user-implemented store. Build one with [`StorageError::backend`].
    #[error("the storage backend failed")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

impl StorageError {
    /// Wraps an error of a custom store's backend.
    ///
    /// ```
    /// use userpool_storage::StorageError;
    /// let e = StorageError::backend("connection refused");
    /// assert!(matches!(e, StorageError::Backend(_)));
    /// ```
    pub fn backend(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        StorageError::Backend(error.into())
    }

    /// True when the stored data is damaged ([`StorageError::Corrupt`]). The client treats
    /// it as "signed out" and clears the store.
    pub fn is_corrupt(&self) -> bool {
        matches!(self, StorageError::Corrupt { .. })
    }

    /// True when the store's lock could not be taken in time ([`StorageError::Locked`]).
    /// Retrying later may succeed.
    pub fn is_locked(&self) -> bool {
        matches!(self, StorageError::Locked { .. })
    }
}
