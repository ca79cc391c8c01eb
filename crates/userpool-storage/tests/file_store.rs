//! Tests of `FileStore` against the real filesystem, including two processes on one file.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use userpool_storage::{FileStore, Storage, StorageError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The environment variable that turns `child_process_writer` into the child's work.
const CHILD_ENV: &str = "USERPOOL_STORAGE_TEST_CHILD_PATH";
const CHILD_WRITES: usize = 40;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "userpool-storage-test-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn file(&self) -> PathBuf {
        self.0.join("tokens.json")
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .expect("read dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn read_json(path: &Path) -> BTreeMap<String, String> {
    let bytes = fs::read(path).expect("read store file");
    serde_json::from_slice(&bytes).expect("store file is a JSON object of strings")
}

#[tokio::test]
async fn missing_file_is_an_empty_store_and_reading_creates_nothing() -> TestResult {
    let dir = TempDir::new();
    let nested = dir.path().join("not").join("there").join("tokens.json");
    let store = FileStore::new(&nested);
    assert_eq!(store.get("a").await?, None);
    store.remove("a").await?;
    store.remove_many(&["a", "b"]).await?;
    store.set_many(&[]).await?;
    assert!(!dir.path().join("not").exists(), "nothing is created");

    let store = FileStore::new(dir.file());
    assert_eq!(store.get("a").await?, None);
    store.remove("a").await?;
    store.clear().await?;
    assert!(
        !dir.file().exists(),
        "a removal that removes nothing does not write"
    );
    Ok(())
}

#[tokio::test]
async fn set_get_overwrite_remove_clear() -> TestResult {
    let dir = TempDir::new();
    let store = FileStore::new(dir.file());
    store.set("a", "1").await?;
    store.set("b", "2").await?;
    assert_eq!(store.get("a").await?.as_deref(), Some("1"));
    store.set("a", "one").await?;
    assert_eq!(store.get("a").await?.as_deref(), Some("one"));
    store.remove("a").await?;
    assert_eq!(store.get("a").await?, None);
    assert_eq!(store.get("b").await?.as_deref(), Some("2"));
    store.sync().await?;
    store.clear().await?;
    assert_eq!(store.get("b").await?, None);
    assert!(!dir.file().exists(), "clear removes the file");
    assert!(store.lock_path().exists(), "the lock file stays");
    Ok(())
}

#[tokio::test]
async fn set_many_and_remove_many() -> TestResult {
    let dir = TempDir::new();
    let store = FileStore::new(dir.file());
    store
        .set_many(&[("a", "1"), ("b", "2"), ("c", "3"), ("a", "last wins")])
        .await?;
    let on_disk = read_json(&dir.file());
    assert_eq!(on_disk.len(), 3);
    assert_eq!(on_disk["a"], "last wins");
    store.remove_many(&["a", "c", "missing"]).await?;
    assert_eq!(
        read_json(&dir.file()).into_keys().collect::<Vec<_>>(),
        ["b"]
    );
    Ok(())
}

#[tokio::test]
async fn values_with_any_characters_round_trip() -> TestResult {
    let dir = TempDir::new();
    let store = FileStore::new(dir.file());
    let odd = "quote\" backslash\\ newline\n nul\u{0} é 🦀 {\"json\": [1]}";
    store.set("odd key.\"x\"", odd).await?;
    store.set("empty", "").await?;
    let again = FileStore::new(dir.file());
    assert_eq!(again.get("odd key.\"x\"").await?.as_deref(), Some(odd));
    assert_eq!(again.get("empty").await?.as_deref(), Some(""));
    Ok(())
}

#[tokio::test]
async fn reads_a_file_written_by_another_tool_and_keeps_unknown_keys() -> TestResult {
    let dir = TempDir::new();
    fs::write(
        dir.file(),
        r#"{
  "CognitoIdentityServiceProvider.c.LastAuthUser": "alice",
  "other.tool.setting": "keep me"
}
"#,
    )?;
    let store = FileStore::new(dir.file());
    assert_eq!(
        store
            .get("CognitoIdentityServiceProvider.c.LastAuthUser")
            .await?
            .as_deref(),
        Some("alice")
    );
    store.set("new", "v").await?;
    let on_disk = read_json(&dir.file());
    assert_eq!(on_disk["other.tool.setting"], "keep me");
    assert_eq!(on_disk["new"], "v");
    Ok(())
}

#[tokio::test]
async fn empty_or_blank_file_is_an_empty_store() -> TestResult {
    let dir = TempDir::new();
    fs::write(dir.file(), "")?;
    let store = FileStore::new(dir.file());
    assert_eq!(store.get("a").await?, None);
    fs::write(dir.file(), " \n\t")?;
    assert_eq!(store.get("a").await?, None);
    store.set("a", "1").await?;
    assert_eq!(store.get("a").await?.as_deref(), Some("1"));
    Ok(())
}

#[tokio::test]
async fn atomic_replace_leaves_no_temp_files() -> TestResult {
    let dir = TempDir::new();
    let store = FileStore::new(dir.file());
    for i in 0..20 {
        store.set(&format!("k{i}"), "v").await?;
    }
    store.remove("k3").await?;
    store.set_many(&[("x", "1"), ("y", "2")]).await?;
    store.remove_many(&["x", "k4"]).await?;
    assert_eq!(dir.entries(), ["tokens.json", "tokens.json.lock"]);
    assert_eq!(read_json(&dir.file()).len(), 19);

    #[cfg(unix)]
    {
        // The file is replaced (a new inode), not rewritten in place: a reader that had it
        // open keeps reading the complete old version.
        use std::io::Read;
        use std::os::unix::fs::MetadataExt;
        let mut old = fs::File::open(dir.file())?;
        let ino = old.metadata()?.ino();
        store.set("z", "3").await?;
        assert_ne!(fs::metadata(dir.file())?.ino(), ino);
        let mut text = String::new();
        old.read_to_string(&mut text)?;
        let old_map: BTreeMap<String, String> = serde_json::from_str(&text)?;
        assert!(!old_map.contains_key("z"));
        assert!(read_json(&dir.file()).contains_key("z"));
    }
    Ok(())
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_owner_only() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777);

    let dir = TempDir::new();
    let created = dir.path().join("app").join("state");
    let store = FileStore::new(created.join("tokens.json"));
    store.set("a", "1").await?;
    assert_eq!(mode(&created.join("tokens.json"))?, 0o600);
    assert_eq!(mode(&created.join("tokens.json.lock"))?, 0o600);
    assert_eq!(mode(&created)?, 0o700);
    assert_eq!(mode(&dir.path().join("app"))?, 0o700);

    // An existing file with wider permissions is replaced by an owner-only one.
    fs::write(dir.file(), "{}")?;
    fs::set_permissions(dir.file(), fs::Permissions::from_mode(0o644))?;
    let store = FileStore::new(dir.file());
    store.set("a", "1").await?;
    assert_eq!(mode(&dir.file())?, 0o600);
    Ok(())
}

/// Writes `bytes` as the store file and checks every operation's answer to it.
async fn check_corrupt(bytes: &[u8], expected_reason: &str) -> TestResult {
    let dir = TempDir::new();
    fs::write(dir.file(), bytes)?;
    let store = FileStore::new(dir.file());

    let err = store.get("a").await.expect_err("get on a corrupt file");
    assert!(err.is_corrupt(), "{err:?}");
    match &err {
        StorageError::Corrupt { path, reason } => {
            assert_eq!(path, &dir.file());
            assert!(
                reason.contains(expected_reason),
                "reason {reason:?} should contain {expected_reason:?}"
            );
            assert!(!reason.contains("secret"), "no value in {reason:?}");
            assert!(!err.to_string().contains("secret"), "no value in {err}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }

    // Writes refuse too, and leave the file as it was.
    for result in [
        store.set("a", "1").await,
        store.set_many(&[("a", "1"), ("b", "2")]).await,
        store.remove("a").await,
        store.remove_many(&["a"]).await,
    ] {
        let err = result.expect_err("write on a corrupt file");
        assert!(err.is_corrupt(), "{err:?}");
    }
    assert_eq!(
        fs::read(dir.file())?,
        bytes,
        "the corrupt file is untouched"
    );

    // clear() keeps a copy and starts afresh.
    store.clear().await?;
    assert!(!dir.file().exists());
    let backups: Vec<String> = dir
        .entries()
        .into_iter()
        .filter(|n| n.starts_with("tokens.json.corrupt-"))
        .collect();
    assert_eq!(backups.len(), 1, "{:?}", dir.entries());
    assert_eq!(fs::read(dir.path().join(&backups[0]))?, bytes);
    assert_eq!(store.get("a").await?, None);
    store.set("a", "1").await?;
    assert_eq!(store.get("a").await?.as_deref(), Some("1"));
    Ok(())
}

#[tokio::test]
async fn truncated_json_is_corrupt() -> TestResult {
    check_corrupt(br#"{"a":"secret-token","b":"sec"#, "truncated JSON").await
}

#[tokio::test]
async fn not_json_is_corrupt() -> TestResult {
    check_corrupt(b"secret = \"token\"\n", "invalid JSON").await
}

#[tokio::test]
async fn not_utf8_is_corrupt() -> TestResult {
    check_corrupt(b"{\"a\":\"secret\xff\xfe\"}", "invalid JSON").await
}

#[tokio::test]
async fn json_array_is_corrupt() -> TestResult {
    check_corrupt(
        br#"["secret-token"]"#,
        "expected a JSON object, found an array",
    )
    .await
}

#[tokio::test]
async fn json_string_is_corrupt() -> TestResult {
    check_corrupt(
        br#""secret-token""#,
        "expected a JSON object, found a string",
    )
    .await
}

#[tokio::test]
async fn wrong_value_types_are_corrupt() -> TestResult {
    check_corrupt(br#"{"a":"secret","n":1}"#, r#""n" is a number"#).await?;
    check_corrupt(br#"{"a":"secret","n":null}"#, r#""n" is null"#).await?;
    check_corrupt(br#"{"a":"secret","n":true}"#, r#""n" is a boolean"#).await?;
    check_corrupt(br#"{"a":"secret","n":{"x":"y"}}"#, r#""n" is an object"#).await?;
    check_corrupt(br#"{"a":"secret","n":["y"]}"#, r#""n" is an array"#).await
}

#[tokio::test]
async fn a_huge_file_is_corrupt_and_is_not_read_into_memory() -> TestResult {
    // A sparse 1 TiB file costs no disk. The store sized its buffer from the file's length
    // and read it whole: the allocation failed and aborted the process.
    let dir = TempDir::new();
    fs::File::create(dir.file())?.set_len(1 << 40)?;
    let store = FileStore::new(dir.file());
    let err = store.get("a").await.expect_err("get on a 1 TiB file");
    match &err {
        StorageError::Corrupt { reason, .. } => {
            assert!(reason.contains("1099511627776 bytes"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let err = store
        .set("a", "1")
        .await
        .expect_err("write on a 1 TiB file");
    assert!(err.is_corrupt(), "{err:?}");
    assert_eq!(fs::metadata(dir.file())?.len(), 1 << 40, "left as it was");
    // clear() sets it aside like any corrupt file.
    store.clear().await?;
    assert!(!dir.file().exists());
    assert_eq!(store.get("a").await?, None);
    Ok(())
}

#[tokio::test]
async fn a_write_beyond_the_size_bound_fails_and_changes_nothing() -> TestResult {
    // Written, such a file would read back as corrupt: everything in it would be lost.
    let dir = TempDir::new();
    let store = FileStore::new(dir.file());
    store.set("kept", "1").await?;
    let before = fs::read(dir.file())?;
    let big = "x".repeat(16 * 1024 * 1024);
    let err = store.set("big", &big).await.expect_err("a 16 MiB value");
    match &err {
        StorageError::Io { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::FileTooLarge, "{source}");
        }
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(fs::read(dir.file())?, before, "the file is untouched");
    assert_eq!(store.get("kept").await?.as_deref(), Some("1"));
    assert_eq!(store.get("big").await?, None);
    // Just below the bound is fine.
    let fits = "y".repeat(16 * 1024 * 1024 - 64);
    store.set("fits", &fits).await?;
    assert_eq!(store.get("fits").await?.map(|v| v.len()), Some(fits.len()));
    Ok(())
}

#[tokio::test]
async fn clearing_corrupt_files_twice_keeps_both_copies() -> TestResult {
    let dir = TempDir::new();
    let store = FileStore::new(dir.file());
    fs::write(dir.file(), "first[")?;
    store.clear().await?;
    fs::write(dir.file(), "second[")?;
    store.clear().await?;
    let mut copies: Vec<Vec<u8>> = dir
        .entries()
        .into_iter()
        .filter(|n| n.starts_with("tokens.json.corrupt-"))
        .map(|n| fs::read(dir.path().join(n)).unwrap_or_default())
        .collect();
    copies.sort();
    assert_eq!(copies, [b"first[".to_vec(), b"second[".to_vec()]);
    Ok(())
}

#[tokio::test]
async fn unusable_paths_give_io_errors() -> TestResult {
    let dir = TempDir::new();
    // The parent "directory" is a regular file.
    fs::write(dir.path().join("plain"), "x")?;
    let store = FileStore::new(dir.path().join("plain").join("tokens.json"));
    let err = store
        .set("a", "1")
        .await
        .expect_err("cannot create a dir under a file");
    assert!(matches!(err, StorageError::Io { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());

    // The data path is a directory.
    fs::create_dir(dir.file())?;
    let store = FileStore::new(dir.file());
    assert!(matches!(store.get("a").await, Err(StorageError::Io { .. })));
    assert!(matches!(
        store.set("a", "1").await,
        Err(StorageError::Io { .. })
    ));

    // No file name at all.
    let store = FileStore::new("/");
    assert!(matches!(store.get("a").await, Err(StorageError::Io { .. })));
    Ok(())
}

#[tokio::test]
async fn a_held_lock_times_out_with_locked() -> TestResult {
    let dir = TempDir::new();
    let store = FileStore::new(dir.file()).with_lock_timeout(Duration::from_millis(150));
    store.set("a", "1").await?;

    let holder = fs::OpenOptions::new().write(true).open(store.lock_path())?;
    holder.lock()?;
    let started = Instant::now();
    let err = store.set("a", "2").await.expect_err("lock is held");
    assert!(err.is_locked(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    let err = store
        .get("a")
        .await
        .expect_err("shared lock waits for exclusive");
    assert!(matches!(err, StorageError::Locked { .. }), "{err:?}");

    holder.unlock()?;
    // A shared holder lets reads through but keeps writes out.
    holder.lock_shared()?;
    assert_eq!(store.get("a").await?.as_deref(), Some("1"));
    assert!(store.set("a", "2").await.is_err());
    drop(holder);
    store.set("a", "2").await?;
    assert_eq!(store.get("a").await?.as_deref(), Some("2"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_from_two_instances_lose_nothing() -> TestResult {
    let dir = TempDir::new();
    let stores = [FileStore::new(dir.file()), FileStore::new(dir.file())];
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = stores[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            let k1 = format!("task{i}.a");
            let k2 = format!("task{i}.b");
            store.set_many(&[(&k1, "1"), (&k2, "2")]).await?;
            store.set(&format!("task{i}.c"), "3").await?;
            store.remove(&k2).await
        }));
    }
    for task in tasks {
        task.await??;
    }
    let on_disk = read_json(&dir.file());
    for i in 0..40 {
        assert_eq!(
            on_disk.get(&format!("task{i}.a")).map(String::as_str),
            Some("1")
        );
        assert_eq!(
            on_disk.get(&format!("task{i}.c")).map(String::as_str),
            Some("3")
        );
        assert!(!on_disk.contains_key(&format!("task{i}.b")));
    }
    assert_eq!(on_disk.len(), 80);
    assert_eq!(dir.entries(), ["tokens.json", "tokens.json.lock"]);
    Ok(())
}

/// In the child process (started by `concurrent_writes_from_two_processes_lose_nothing`
/// with the environment variable set), writes `CHILD_WRITES` keys; otherwise does nothing.
#[test]
fn child_process_writer() -> TestResult {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return Ok(());
    };
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    runtime.block_on(async {
        let store = FileStore::new(PathBuf::from(path));
        for i in 0..CHILD_WRITES {
            let key = format!("child.{i}");
            store
                .set_many(&[(key.as_str(), "c"), ("last", "child")])
                .await?;
        }
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_from_two_processes_lose_nothing() -> TestResult {
    let dir = TempDir::new();
    let mut child = Command::new(std::env::current_exe()?)
        .args(["child_process_writer", "--exact", "--test-threads=1"])
        .env(CHILD_ENV, dir.file())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;

    // Write until the child is done, so that the two overlap whatever the start-up time.
    let store = FileStore::new(dir.file());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut parent_writes = 0usize;
    let status = loop {
        let key = format!("parent.{parent_writes}");
        store
            .set_many(&[(key.as_str(), "p"), ("last", "parent")])
            .await?;
        parent_writes += 1;
        if let Some(status) = child.try_wait()? {
            break status;
        }
        assert!(Instant::now() < deadline, "child did not finish");
    };
    eprintln!("the parent wrote {parent_writes} times while the child wrote {CHILD_WRITES} times");
    let output = child.wait_with_output()?;
    assert!(
        status.success(),
        "child failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child ran the writer"
    );

    let on_disk = read_json(&dir.file());
    for i in 0..CHILD_WRITES {
        assert!(
            on_disk.contains_key(&format!("child.{i}")),
            "lost child.{i}"
        );
    }
    for i in 0..parent_writes {
        assert!(
            on_disk.contains_key(&format!("parent.{i}")),
            "lost parent.{i}"
        );
    }
    assert_eq!(on_disk.len(), CHILD_WRITES + parent_writes + 1);
    assert_eq!(dir.entries(), ["tokens.json", "tokens.json.lock"]);
    Ok(())
}

#[test]
fn works_without_a_tokio_runtime() -> TestResult {
    // Outside a runtime the blocking work runs inline: the future is ready on first poll.
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    fn now<T>(fut: impl Future<Output = T>) -> T {
        let mut fut = std::pin::pin!(fut);
        match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("file store future was pending outside a runtime"),
        }
    }
    let dir = TempDir::new();
    let store = FileStore::new(dir.file());
    now(store.set("a", "1"))?;
    assert_eq!(now(store.get("a"))?.as_deref(), Some("1"));
    now(store.clear())?;
    Ok(())
}

#[test]
fn debug_prints_the_path_only() {
    let store = FileStore::new("/some/dir/tokens.json");
    assert_eq!(
        format!("{store:?}"),
        r#"FileStore { path: "/some/dir/tokens.json" }"#
    );
    assert_eq!(store.path(), Path::new("/some/dir/tokens.json"));
    assert_eq!(store.lock_path(), Path::new("/some/dir/tokens.json.lock"));
}

#[tokio::test]
async fn usable_as_dyn_storage() -> TestResult {
    let dir = TempDir::new();
    let store: std::sync::Arc<dyn Storage> = std::sync::Arc::new(FileStore::new(dir.file()));
    store.set("a", "1").await?;
    assert_eq!(store.get("a").await?.as_deref(), Some("1"));
    Ok(())
}
