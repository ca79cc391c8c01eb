//! Token storage for userpool: the storage trait, the reference key layout, memory and
//! file stores.
//!
//! The client keeps a signed-in user's tokens in a key–value [`Storage`]. This crate holds:
//!
//! - [`Storage`], the async trait a store implements (`set`, `get`, `remove`, `clear`, plus
//!   `sync`, `set_many`, `remove_many`, `get_many`, `apply` and `clear_corrupt` with
//!   default bodies), and [`Batch`], the conditional change `apply` takes. It is object-safe and the
//!   client holds it as `Arc<dyn Storage>`. See [`store`] for how to implement your own.
//! - [`Keys`] and [`UserKeys`], the key names of the reference client
//!   (amazon-cognito-identity-js / Amplify JS), so a store written by one can be read by
//!   tools that know the other.
//! - [`MemoryStore`], the default: a map in memory, values wiped when replaced, removed or
//!   dropped.
//! - [`FileStore`], one JSON file shared safely by several processes, replaced atomically
//!   on every write.
//!
//! This crate knows nothing of Cognito calls: it stores strings under keys.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use userpool_storage::{Keys, MemoryStore, Storage};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), userpool_storage::StorageError> {
//! let storage: Arc<dyn Storage> = Arc::new(MemoryStore::new());
//! let keys = Keys::new("7abc123clientid");
//! let alice = keys.user("alice");
//!
//! // What a sign-in stores (all at once).
//! storage
//!     .set_many(&[
//!         (keys.last_auth_user().as_str(), "alice"),
//!         (alice.id_token().as_str(), "eyJ...id"),
//!         (alice.access_token().as_str(), "eyJ...access"),
//!         (alice.refresh_token().as_str(), "eyJ...refresh"),
//!         (alice.clock_drift().as_str(), "0"),
//!     ])
//!     .await?;
//!
//! assert_eq!(
//!     alice.access_token(),
//!     "CognitoIdentityServiceProvider.7abc123clientid.alice.accessToken"
//! );
//! assert_eq!(storage.get(&keys.last_auth_user()).await?.as_deref(), Some("alice"));
//!
//! // What a sign-out removes: the session keys and LastAuthUser (device keys stay).
//! let mut gone: Vec<String> = alice.session().to_vec();
//! gone.push(keys.last_auth_user());
//! let gone: Vec<&str> = gone.iter().map(String::as_str).collect();
//! storage.remove_many(&gone).await?;
//! assert_eq!(storage.get(&alice.id_token()).await?, None);
//! # Ok(())
//! # }
//! ```
//!
//! # Security
//!
//! - Tokens are bearer credentials. No type in this crate prints a stored value in its
//!   `Debug` output, and nothing here logs one.
//! - [`MemoryStore`] wipes (zeroizes) a value's memory when it is overwritten, removed or
//!   when the store is dropped. Values returned by `get` are ordinary `String`s owned by the
//!   caller.
//! - [`FileStore`] creates the file (and its lock file) with owner-only permissions (0600)
//!   on Unix, and a directory it has to create with 0700. The tokens are stored in clear
//!   text in that file: protect it as you would an SSH key, or implement [`Storage`] over
//!   the platform's secret store.
//!
//! # Errors
//!
//! Every operation returns [`StorageError`]. A file that cannot be parsed gives
//! [`StorageError::Corrupt`] ([`StorageError::is_corrupt`]); the client treats it as
//! "signed out" and calls [`Storage::clear`], which moves the damaged file aside.
#![warn(missing_docs)]

mod batch;
mod error;
mod file;
mod keys;
mod memory;
pub mod store;

pub use batch::Batch;
pub use error::StorageError;
pub use file::FileStore;
pub use keys::{KEY_PREFIX, Keys, UserKeys};
pub use memory::MemoryStore;
pub use store::Storage;
