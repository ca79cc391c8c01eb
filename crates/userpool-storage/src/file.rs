//! The file store: one JSON object file, shared safely between processes.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::{Batch, Storage, StorageError};

/// The map as it is held in memory between reading and writing the file: values are wiped
/// when it is dropped.
type Map = BTreeMap<String, Zeroizing<String>>;

/// The largest file the store reads or writes. Tokens and a few cached answers take some
/// kilobytes; a larger file is not one this store wrote (a file from elsewhere, a sparse
/// or damaged file), and reading it whole could exhaust memory: it is corrupt.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How long an operation waits for the lock by default.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Keeps the names of temporary files of one process apart.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A store kept in one JSON file, an object of string values:
/// `{"CognitoIdentityServiceProvider.<clientId>.LastAuthUser": "alice", …}`.
///
/// Several `FileStore`s, in one process or in several, can use the same file at once: no
/// write is lost and no reader sees a half-written file.
///
/// # How it works
///
/// - **Locking.** Every operation locks a sibling lock file, `<path>.lock` (created next to
///   the file and never removed): writes take an exclusive lock, reads a shared one
///   (`std::fs::File::lock`, which is `flock` on Unix and `LockFileEx` on Windows; a
///   filesystem without locks, such as some network mounts, gives
///   [`StorageError::Io`]). An operation waits for the lock at most
///   [`lock_timeout`](FileStore::with_lock_timeout) (10 s by default), then fails with
///   [`StorageError::Locked`], so a hung process holding the lock cannot hang the caller.
/// - **Writes** (`set`, `set_many`, `remove`, `remove_many`) are read-modify-write under
///   the exclusive lock: read the file, change the map, write it to a temporary file in the
///   same directory, `fsync` it, rename it over the file, `fsync` the directory. A crash
///   leaves the old file or the new one, never a mix; `set_many` and `remove_many` change
///   the file once, so they are atomic. A removal that removes nothing does not write.
///   The directory `fsync` comes after the rename, when the change is already made and
///   visible: its failure is logged as a warning (the change may not survive a power
///   cut), not reported as a failed write.
/// - **Sessions as one unit.** [`get_many`](Storage::get_many) reads every key from one
///   read of the file; [`apply`](Storage::apply) checks a [`Batch`]'s expectations and
///   makes its changes under one exclusive lock, with one write. Two processes that share
///   the file therefore never see half a session, and a refresh in one cannot bring back
///   a session the other signed out. [`clear_corrupt`](Storage::clear_corrupt) sets the
///   file aside only if it is still corrupt under the lock, so it never removes a file
///   another process repaired in the meantime.
/// - **Blocking work** runs on `tokio::task::spawn_blocking` when called inside a Tokio
///   runtime, and inline otherwise. An operation whose future is dropped after it started
///   may still complete.
/// - **Permissions.** On Unix, the file and the lock file are created with mode 0600, and a
///   missing directory is created with 0700 (the permissions of an existing directory are
///   left alone). Values are stored in clear text.
/// - **No cache.** Every `get` reads the file: it is small, and a cache keyed on the
///   file's modification time and length could miss a change made in the same
///   timestamp tick by another process.
///
/// # Missing, empty and corrupt files
///
/// - A missing file (or directory) is an empty store. So is a file that is empty or only
///   whitespace. Only `set` and `set_many` create the directory and the file; a read
///   creates at most the lock file, and only in an existing directory.
/// - A file that is not a JSON object of string values (truncated or invalid JSON, an
///   array, a number as a value, not UTF-8…), or that is larger than 16 MiB, is
///   **corrupt**: `get` and every write fail with [`StorageError::Corrupt`], so a write
///   never replaces data it could not read. A write that would make the file larger than
///   that fails with [`StorageError::Io`] (`FileTooLarge`) and changes nothing.
///   [`clear`](Storage::clear) is the way out: it renames the damaged file to
///   `<path>.corrupt-<unix-seconds>` (kept for inspection; add `-<n>` if that exists) and
///   leaves an empty store. The client treats `Corrupt` as "signed out" and calls `clear`.
///   `clear` on a healthy file removes it.
///
/// Temporary files are named `.<file name>.tmp-<pid>-<n>` and removed when a write fails;
/// only a crash during a write can leave one behind.
///
/// ```
/// use userpool_storage::{FileStore, Storage};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = std::env::temp_dir().join(format!("userpool-doc-{}", std::process::id()));
/// let store = FileStore::new(dir.join("tokens.json"));
/// store.set_many(&[("a", "1"), ("b", "2")]).await?;
/// assert_eq!(store.get("a").await?.as_deref(), Some("1"));
/// store.clear().await?;
/// assert_eq!(store.get("a").await?, None);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
    /// Fault injection: the next directory `fsync`s fail.
    #[cfg(test)]
    fail_dir_sync: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl FileStore {
    /// A store in the file at `path`. Nothing is read or created until the first
    /// operation.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut lock = OsString::from(path.as_os_str());
        lock.push(".lock");
        FileStore {
            inner: Arc::new(Inner {
                path,
                lock_path: PathBuf::from(lock),
                lock_timeout: DEFAULT_LOCK_TIMEOUT,
                #[cfg(test)]
                fail_dir_sync: Default::default(),
            }),
        }
    }

    /// Sets how long an operation waits for the lock before it fails with
    /// [`StorageError::Locked`] (default 10 s).
    pub fn with_lock_timeout(self, timeout: Duration) -> Self {
        FileStore {
            inner: Arc::new(Inner {
                path: self.inner.path.clone(),
                lock_path: self.inner.lock_path.clone(),
                lock_timeout: timeout,
                #[cfg(test)]
                fail_dir_sync: Default::default(),
            }),
        }
    }

    /// The data file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The lock file, `<path>.lock`.
    pub fn lock_path(&self) -> &Path {
        &self.inner.lock_path
    }

    /// Runs blocking file work off the async worker threads when there is a Tokio runtime.
    async fn run<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StorageError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle
                .spawn_blocking(move || work(&inner))
                .await
                .map_err(|e| StorageError::Io {
                    path: self.inner.path.clone(),
                    source: io::Error::other(format!("file store task failed: {e}")),
                })?,
            Err(_) => work(&inner),
        }
    }

    /// Read-modify-write under the exclusive lock. `change` returns whether it changed
    /// the map; the file is written only then.
    /// Without `creates`, a missing directory means there is nothing to change.
    async fn modify<F>(&self, creates: bool, change: F) -> Result<(), StorageError>
    where
        F: FnOnce(&mut Map) -> bool + Send + 'static,
    {
        self.run(move |inner| {
            let Some(_lock) = inner.lock(true, creates)? else {
                return Ok(());
            };
            let mut map = match inner.read_map()? {
                Contents::Map(map) => map,
                Contents::Corrupt(reason) => return Err(inner.corrupt(reason)),
            };
            if change(&mut map) {
                inner.write_map(&map)?;
            }
            Ok(())
        })
        .await
    }
}

#[async_trait::async_trait]
impl Storage for FileStore {
    async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let key = key.to_owned();
        let value = Zeroizing::new(value.to_owned());
        self.modify(true, move |map| {
            map.insert(key, value);
            true
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        let key = key.to_owned();
        self.run(move |inner| {
            let Some(_lock) = inner.lock(false, false)? else {
                return Ok(None);
            };
            match inner.read_map()? {
                Contents::Map(map) => Ok(map.get(&key).map(|v| String::clone(v))),
                Contents::Corrupt(reason) => Err(inner.corrupt(reason)),
            }
        })
        .await
    }

    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        let key = key.to_owned();
        self.modify(false, move |map| map.remove(&key).is_some())
            .await
    }

    async fn clear(&self) -> Result<(), StorageError> {
        self.run(|inner| {
            let Some(_lock) = inner.lock(true, false)? else {
                return Ok(());
            };
            match inner.read_map()? {
                Contents::Map(_) => inner.remove_file(),
                Contents::Corrupt(reason) => inner.set_aside(&reason),
            }
        })
        .await
    }

    async fn set_many(&self, entries: &[(&str, &str)]) -> Result<(), StorageError> {
        if entries.is_empty() {
            return Ok(());
        }
        let entries: Vec<(String, Zeroizing<String>)> = entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Zeroizing::new((*v).to_owned())))
            .collect();
        self.modify(true, move |map| {
            map.extend(entries);
            true
        })
        .await
    }

    async fn remove_many(&self, keys: &[&str]) -> Result<(), StorageError> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        self.modify(false, move |map| {
            let mut changed = false;
            for key in &keys {
                changed |= map.remove(key).is_some();
            }
            changed
        })
        .await
    }

    /// One read of the file under the shared lock: a session is seen as one write left it.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StorageError> {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        self.run(move |inner| {
            let Some(_lock) = inner.lock(false, false)? else {
                return Ok(vec![None; keys.len()]);
            };
            match inner.read_map()? {
                Contents::Map(map) => Ok(keys
                    .iter()
                    .map(|k| map.get(k).map(|v| String::clone(v)))
                    .collect()),
                Contents::Corrupt(reason) => Err(inner.corrupt(reason)),
            }
        })
        .await
    }

    /// Check and change under the exclusive lock, with one write of the file: no other
    /// process can come between the check and the change.
    async fn apply(&self, batch: &Batch) -> Result<bool, StorageError> {
        let batch = batch.clone();
        // Only a batch that stores something creates the directory and the file.
        let creates = batch.sets().next().is_some();
        self.run(move |inner| {
            let Some(_lock) = inner.lock(true, creates)? else {
                // No directory, so no file: every key is absent and there is nothing to
                // remove.
                return Ok(batch.holds(|_| None));
            };
            let mut map = match inner.read_map()? {
                Contents::Map(map) => map,
                Contents::Corrupt(reason) => return Err(inner.corrupt(reason)),
            };
            if !batch.holds(|k| map.get(k).map(|v| v.as_str())) {
                return Ok(false);
            }
            let mut changed = false;
            for key in batch.removals() {
                changed |= map.remove(key).is_some();
            }
            for (key, value) in batch.sets() {
                map.insert(key.to_owned(), Zeroizing::new(value.to_owned()));
                changed = true;
            }
            if changed {
                inner.write_map(&map)?;
            }
            Ok(true)
        })
        .await
    }

    /// Sets the file aside only if it is still corrupt under the exclusive lock.
    async fn clear_corrupt(&self) -> Result<(), StorageError> {
        self.run(|inner| {
            let Some(_lock) = inner.lock(true, false)? else {
                return Ok(());
            };
            match inner.read_map()? {
                Contents::Map(_) => Ok(()),
                Contents::Corrupt(reason) => inner.set_aside(&reason),
            }
        })
        .await
    }
}

/// What the file holds.
enum Contents {
    Map(Map),
    /// Why the file could not be read as a map (never includes a value).
    Corrupt(String),
}

impl Inner {
    fn io(&self, path: &Path, source: io::Error) -> StorageError {
        StorageError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn corrupt(&self, reason: String) -> StorageError {
        StorageError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }

    /// The directory of the file (`.` for a bare file name).
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    fn file_name(&self) -> Result<&std::ffi::OsStr, StorageError> {
        self.path.file_name().ok_or_else(|| {
            self.io(
                &self.path,
                io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
            )
        })
    }

    fn open_lock_file(&self) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(&self.lock_path)
    }

    /// Takes the lock (exclusive for writes, shared for reads); it is released when the
    /// returned file is dropped. When the directory is missing it is created if
    /// `create_dir`, else the answer is `None`: then there is no file either, and nothing
    /// is created.
    fn lock(&self, exclusive: bool, create_dir: bool) -> Result<Option<File>, StorageError> {
        self.file_name()?;
        let dir = self.dir();
        if create_dir && !dir.exists() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir).map_err(|e| self.io(dir, e))?;
        }
        let file = match self.open_lock_file() {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !create_dir => return Ok(None),
            Err(e) => return Err(self.io(&self.lock_path, e)),
        };
        self.acquire(&file, exclusive)?;
        Ok(Some(file))
    }

    fn acquire(&self, file: &File, exclusive: bool) -> Result<(), StorageError> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let attempt = if exclusive {
                file.try_lock()
            } else {
                file.try_lock_shared()
            };
            match attempt {
                Ok(()) => return Ok(()),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(self.io(&self.lock_path, e)),
            }
            let waited = start.elapsed();
            if waited >= self.lock_timeout {
                return Err(StorageError::Locked {
                    path: self.lock_path.clone(),
                    waited,
                });
            }
            std::thread::sleep(pause.min(self.lock_timeout - waited));
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    fn read_map(&self) -> Result<Contents, StorageError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Contents::Map(Map::new())),
            Err(e) => return Err(self.io(&self.path, e)),
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > MAX_FILE_BYTES {
            return Ok(Contents::Corrupt(too_large(len)));
        }
        // Sized up front so that the buffer holding tokens is not reallocated (leaving
        // unwiped copies behind). At most MAX_FILE_BYTES + 1, so the cast cannot truncate.
        let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize + 1));
        // The length can change after `metadata` (a writer that ignores the lock): read at
        // most one byte more than the bound, to tell a file that grew past it.
        (&mut file)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io(&self.path, e))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Ok(Contents::Corrupt(too_large(bytes.len() as u64)));
        }
        Ok(parse(&bytes))
    }

    fn write_map(&self, map: &Map) -> Result<(), StorageError> {
        let view: BTreeMap<&str, &str> =
            map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let bytes = serialize(&view).map_err(|e| self.io(&self.path, e))?;
        // Never write what `read_map` would then call corrupt: that would lose it all.
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(self.io(
                &self.path,
                io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "the token store would grow to {} bytes, above its limit of {MAX_FILE_BYTES}",
                        bytes.len()
                    ),
                ),
            ));
        }

        let dir = self.dir();
        let (tmp_path, mut tmp) = self.create_temp(dir)?;
        let written = tmp.write_all(&bytes).and_then(|()| tmp.sync_all());
        drop(tmp);
        if let Err(e) = written.and_then(|()| fs::rename(&tmp_path, &self.path)) {
            let _ = fs::remove_file(&tmp_path);
            return Err(self.io(&self.path, e));
        }
        self.sync_dir();
        Ok(())
    }

    fn create_temp(&self, dir: &Path) -> Result<(PathBuf, File), StorageError> {
        let mut name = OsString::from(".");
        name.push(self.file_name()?);
        name.push(format!(".tmp-{}-", std::process::id()));
        let mut attempts = 0;
        loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut candidate = name.clone();
            candidate.push(n.to_string());
            let path = dir.join(candidate);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(&path) {
                Ok(file) => return Ok((path, file)),
                // Left by a crashed process that had the same pid: pick another name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => {
                    attempts += 1;
                }
                Err(e) => return Err(self.io(&path, e)),
            }
        }
    }

    /// Makes a rename or removal in the directory durable. It is called once the change
    /// is made and visible to every reader, so a failure here does not undo it: it is
    /// logged (the change may not survive a power cut) and the operation succeeds.
    /// Reporting it as a failed write would make the caller believe the old data is still
    /// there, and act on that.
    fn sync_dir(&self) {
        #[cfg(unix)]
        {
            let dir = self.dir();
            #[cfg(test)]
            if self.fail_dir_sync.load(Ordering::Relaxed) {
                let e = io::Error::other("injected directory fsync failure");
                tracing::warn!(path = %dir.display(), error = %e, "fsync of the token store's directory failed; the change is made but may not survive a crash");
                return;
            }
            if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
                tracing::warn!(path = %dir.display(), error = %e, "fsync of the token store's directory failed; the change is made but may not survive a crash");
            }
        }
    }

    fn remove_file(&self) -> Result<(), StorageError> {
        match fs::remove_file(&self.path) {
            Ok(()) => {
                self.sync_dir();
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(&self.path, e)),
        }
    }

    /// Renames a corrupt file to `<path>.corrupt-<unix-seconds>[-<n>]`.
    fn set_aside(&self, reason: &str) -> Result<(), StorageError> {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let base = {
            let mut s = OsString::from(self.path.as_os_str());
            s.push(format!(".corrupt-{secs}"));
            s
        };
        let mut backup = PathBuf::from(&base);
        let mut n = 1u32;
        while fs::symlink_metadata(&backup).is_ok() {
            let mut s = base.clone();
            s.push(format!("-{n}"));
            backup = PathBuf::from(s);
            n += 1;
        }
        fs::rename(&self.path, &backup).map_err(|e| self.io(&self.path, e))?;
        tracing::warn!(
            path = %self.path.display(),
            backup = %backup.display(),
            reason,
            "token store file was corrupt; kept a copy and cleared the store"
        );
        self.sync_dir();
        Ok(())
    }
}

fn too_large(len: u64) -> String {
    format!("the file has {len} bytes, more than the {MAX_FILE_BYTES} a token store holds")
}

/// Parses the file's bytes. Reasons never include a stored value.
fn parse(bytes: &[u8]) -> Contents {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Contents::Map(Map::new());
    }
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let what = match e.classify() {
                serde_json::error::Category::Eof => "truncated JSON",
                serde_json::error::Category::Syntax => "invalid JSON (or not UTF-8)",
                serde_json::error::Category::Data => "unexpected JSON data",
                serde_json::error::Category::Io => "read error",
            };
            return Contents::Corrupt(format!("{what} at line {} column {}", e.line(), e.column()));
        }
    };
    let serde_json::Value::Object(object) = value else {
        return Contents::Corrupt(format!(
            "expected a JSON object, found {}",
            json_kind(&value)
        ));
    };
    let mut map = Map::new();
    for (key, value) in object {
        match value {
            serde_json::Value::String(s) => {
                map.insert(key, Zeroizing::new(s));
            }
            other => {
                return Contents::Corrupt(format!(
                    "the value of {key:?} is {}, expected a string",
                    json_kind(&other)
                ));
            }
        }
    }
    Contents::Map(map)
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Serializes into a buffer of exactly the right size, wiped on drop.
fn serialize(view: &BTreeMap<&str, &str>) -> io::Result<Zeroizing<Vec<u8>>> {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, view)?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *bytes, view)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(bytes: &[u8]) -> Option<String> {
        match parse(bytes) {
            Contents::Corrupt(r) => Some(r),
            Contents::Map(_) => None,
        }
    }

    #[test]
    fn parse_accepts_objects_of_strings_and_blank_files() {
        assert!(reason(b"").is_none());
        assert!(reason(b" \n").is_none());
        assert!(reason(b"{}").is_none());
        match parse(br#"{"a":"1","b":"x\"y"}"#) {
            Contents::Map(m) => {
                assert_eq!(m.len(), 2);
                assert_eq!(m.get("b").map(|v| v.as_str()), Some("x\"y"));
            }
            Contents::Corrupt(r) => panic!("{r}"),
        }
    }

    #[test]
    fn parse_reasons_name_the_problem_without_values() {
        let r = reason(br#"{"a":"secret-tok"#).unwrap_or_default();
        assert!(r.starts_with("truncated JSON"), "{r}");
        let r = reason(b"hello").unwrap_or_default();
        assert!(r.starts_with("invalid JSON"), "{r}");
        let r = reason(br#"["secret-tok"]"#).unwrap_or_default();
        assert_eq!(r, "expected a JSON object, found an array");
        let r = reason(br#""secret-tok""#).unwrap_or_default();
        assert_eq!(r, "expected a JSON object, found a string");
        let r = reason(br#"{"k":"secret-tok","n":5}"#).unwrap_or_default();
        assert_eq!(r, r#"the value of "n" is a number, expected a string"#);
        let r = reason(b"{\"k\":\"\xff\xfe\"}").unwrap_or_default();
        assert!(r.starts_with("invalid JSON"), "{r}");
    }

    /// A failed directory fsync after the rename leaves the new file in place: the write
    /// succeeded and says so (it used to be reported as a failed write).
    #[tokio::test]
    async fn a_directory_fsync_failure_after_the_rename_is_not_a_failed_write()
    -> Result<(), StorageError> {
        let dir = std::env::temp_dir().join(format!(
            "userpool-fsync-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let store = FileStore::new(dir.join("tokens.json"));
        store.set("a", "1").await?;
        store.inner.fail_dir_sync.store(true, Ordering::Relaxed);
        store.set("a", "2").await?;
        assert_eq!(store.get("a").await?.as_deref(), Some("2"));
        assert!(store.apply(&Batch::new().set("b", "3")).await?);
        store.remove("a").await?;
        assert_eq!(
            store.get_many(&["a", "b"]).await?,
            [None, Some("3".to_owned())]
        );
        store.clear().await?;
        assert_eq!(store.get("b").await?, None);
        let _ = fs::remove_dir_all(&dir);
        Ok(())
    }

    #[test]
    fn serialize_is_exact_and_round_trips() -> io::Result<()> {
        let mut view = BTreeMap::new();
        view.insert("k\"1", "v\n\u{1}é");
        view.insert("k2", "");
        let bytes = serialize(&view)?;
        assert_eq!(bytes.len(), bytes.capacity());
        let back: BTreeMap<String, String> = serde_json::from_slice(&bytes)?;
        assert_eq!(back.get("k\"1").map(String::as_str), Some("v\n\u{1}é"));
        Ok(())
    }
}
