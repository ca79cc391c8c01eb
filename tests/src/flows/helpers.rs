//! Helpers the flows share: checks, reads of the token store, password sign-ins, codes,
//! temporary token files.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow, ensure};
use userpool::storage::{Keys, Storage};
use userpool::{Attributes, AuthFlow, Error, FileStore, SignInOptions, SignInResult};

use crate::backend::AppClient;
use crate::client::Ctx;

pub(super) fn check<T: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: T,
    expected: T,
) -> Result<()> {
    ensure!(
        actual == expected,
        "{what}: expected {expected:?}, got {actual:?}"
    );
    Ok(())
}

pub(super) async fn stored(storage: &Arc<dyn Storage>, key: &str) -> Result<Option<String>> {
    storage
        .get(key)
        .await
        .map_err(|e| anyhow!("reading {key} from the store: {e}"))
}

pub(super) fn user_attributes(pairs: &[(&str, &str)]) -> Result<Attributes> {
    let mut attributes = Attributes::new();
    for (name, value) in pairs {
        attributes = attributes.with(name, *value)?;
    }
    Ok(attributes)
}

pub(super) fn password_flow() -> SignInOptions {
    SignInOptions::default().auth_flow(AuthFlow::UserPassword)
}

/// Signs in with `USER_PASSWORD_AUTH` from a new client: the server checks the password.
pub(super) async fn password_sign_in(
    ctx: &Ctx<'_>,
    app: &AppClient,
    username: &str,
    password: &str,
) -> Result<Result<SignInResult, Error>> {
    let client = ctx.client(app)?;
    Ok(client
        .auth
        .sign_in_with(username, password, password_flow())
        .await)
}

/// Checks that the server accepts `good` and refuses `bad` for `username`.
pub(super) async fn expect_password(
    ctx: &Ctx<'_>,
    app: &AppClient,
    username: &str,
    good: &str,
    bad: &str,
) -> Result<()> {
    let accepted = password_sign_in(ctx, app, username, good)
        .await?
        .context("signing in with the current password")?;
    ensure!(
        accepted.is_signed_in(),
        "signing in with the current password stopped at {accepted:?}"
    );
    expect_err!(
        password_sign_in(ctx, app, username, bad).await?,
        Error::NotAuthorized { .. }
    );
    Ok(())
}

/// A code that differs from `code` in its last character.
pub(super) fn other_code(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = match last.to_digit(10) {
            Some(d) => char::from_digit((d + 1) % 10, 10).unwrap_or('0'),
            None => '0',
        };
    }
    chars.into_iter().collect()
}

/// The session keys of `username` in `storage`, with LastAuthUser.
pub(super) async fn session_entries(
    storage: &Arc<dyn Storage>,
    client_id: &str,
    username: &str,
) -> Result<Vec<(String, Option<String>)>> {
    let keys = Keys::new(client_id);
    let mut names = vec![keys.last_auth_user()];
    names.extend(keys.user(username).session());
    let mut entries = Vec::new();
    for key in names {
        let value = stored(storage, &key).await?;
        entries.push((key, value));
    }
    Ok(entries)
}

/// A token file under the temporary directory, removed (with its lock file) on drop.
pub(super) struct TempFile {
    pub(super) path: PathBuf,
}

impl TempFile {
    pub(super) fn new(ctx: &Ctx<'_>, tag: &str) -> Self {
        let name = ctx.unique(tag);
        Self {
            path: std::env::temp_dir().join(format!("userpool-it-{name}.json")),
        }
    }

    pub(super) fn store(&self) -> Arc<FileStore> {
        Arc::new(FileStore::new(&self.path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let store = FileStore::new(&self.path);
        let _ = std::fs::remove_file(store.lock_path());
        let _ = std::fs::remove_file(&self.path);
    }
}
