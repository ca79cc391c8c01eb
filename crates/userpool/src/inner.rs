//! The client's state and the orchestration of sessions: reading the stored session,
//! storing and clearing it, refreshing it, fetching the user.
//!
//! Locks:
//! - `state` is a `std` lock, held only to read or swap a few fields, never across an
//!   `.await`. The hot path (a valid cached session) takes its read side once.
//! - `write_lock` is an async mutex that serialises every change of the stored session
//!   (load, sign-in, refresh, sign-out) so that storage and memory change together.
//!   Network calls are never made while it is held, and it is only taken inside a
//!   [`detached`] task (or the refresh's own task), so a dropped caller never leaves it
//!   held or a change half made.
//! - `refresh` and `user_fetch` share one in-flight call between concurrent callers.
//!
//! The store is the truth about who is signed in, for every process that shares it. A
//! session is read whole ([`Storage::get_many`]) and changed whole ([`Storage::apply`]),
//! on the condition that the store still holds what this process last read. Before a
//! refresh, the stored session is read again: another process may have refreshed it
//! (then it is used as it is), replaced it with another sign-in (then this process
//! follows), or signed it out (then this process is signed out too, with `signOut`).

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use futures_util::FutureExt as _;
use tracing::Instrument as _;
use userpool_hub::Hub;
use userpool_storage::{Batch, Keys, Storage, StorageError};
use userpool_transport::{AuthTokens, Transport};
use userpool_types::{
    AUTH_CHANNEL, AccessToken, AuthEvent, ClockDrift, Error, IdToken, RefreshToken, Session, User,
    Username,
};

use crate::detach::detached;

use crate::Clock;
use crate::challenge::Pending;
use crate::config::{Config, unix_seconds};
use crate::inflight::Inflight;
use crate::retry::{Replay, with_retry};

mod refresh;
#[cfg(test)]
pub(crate) use refresh::LEASE_NAME;
use refresh::{Claim, Lease, RefreshVia};

/// What is known of the signed-in user.
#[derive(Default)]
struct State {
    /// The stored session was read (or replaced) since construction.
    loaded: bool,
    /// Changes at every sign-in and sign-out, so that a refresh or a fetch that started
    /// before does not write over what came after.
    generation: u64,
    /// `LastAuthUser`: the username the keys are built from.
    username: Option<Username>,
    session: Option<Arc<Session>>,
    user: Option<Arc<User>>,
    /// A sign-in waiting for a challenge answer.
    pending: Option<Arc<Pending>>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) keys: Keys,
    pub(crate) hub: Hub<AuthEvent>,
    pub(crate) clock: Arc<dyn Clock>,
    state: RwLock<State>,
    write_lock: tokio::sync::Mutex<()>,
    refresh: Inflight<Arc<Session>>,
    /// Which operation refreshes: GetTokensFromRefreshToken until the server showed it
    /// lacks it (see [`refresh`](self::refresh)).
    refresh_via: RefreshVia,
    user_fetch: Inflight<Arc<User>>,
    /// The sign-up waiting for its confirmation to sign the user in (auto sign-in).
    pub(crate) auto_sign_in: crate::auth::AutoSignInSlot,
}

/// Why the stored session could not be read.
enum LoadProblem {
    /// The store says its data is damaged: clear it.
    Corrupt,
    /// The keys of this user hold something that is not a session: remove them (if they
    /// still hold what was read).
    Malformed { read: Read, reason: String },
    /// The store failed (I/O, a backend): report it, try again next time.
    Failed(Error),
}

impl From<StorageError> for LoadProblem {
    fn from(e: StorageError) -> Self {
        if e.is_corrupt() {
            LoadProblem::Corrupt
        } else {
            LoadProblem::Failed(storage_error(e))
        }
    }
}

/// What was read from storage.
#[derive(Default)]
struct Loaded {
    username: Option<Username>,
    session: Option<Arc<Session>>,
    user: Option<Arc<User>>,
}

/// The session keys as read, with their values: the expectations of a batch that must
/// only apply to what was read.
struct Read {
    keys: Vec<String>,
    values: Vec<Option<String>>,
}

impl Read {
    fn expect_all(&self, mut batch: Batch) -> Batch {
        for (key, value) in self.keys.iter().zip(&self.values) {
            batch = batch.expect(key.clone(), value.as_deref());
        }
        batch
    }
}

/// What the store says of the session this process holds, read before a refresh.
enum Followed {
    /// The store holds this session as this process has it.
    Unchanged,
    /// The store holds a newer form of it (refreshed by another process) or another
    /// session (signed in by another process); this process now holds that one.
    Adopted {
        generation: u64,
        username: Username,
        session: Arc<Session>,
    },
    /// The session was signed out elsewhere; this process is signed out too.
    Ended,
    /// This process signed in or out meanwhile.
    Superseded,
}

/// How storing a refreshed session went.
enum Installed {
    Yes,
    /// This process signed in or out meanwhile.
    Superseded,
    /// Another process changed the stored session during the refresh.
    StoreChanged,
}

/// Wraps a storage failure: the message says what kind, the store's own error (with its
/// path or backend message, never a value) is the `source()`.
pub(crate) fn storage_error(e: StorageError) -> Error {
    let what = if e.is_corrupt() {
        "the token store is corrupt"
    } else if e.is_locked() {
        "the token store is locked by another user of it"
    } else {
        "the token store failed"
    };
    Error::storage(what, Some(Arc::new(e)))
}

/// Decodes the stored tokens of a session; the error says which one is missing or
/// unreadable (never its value).
fn parse_stored_tokens(
    id: Option<&str>,
    access: Option<&str>,
    refresh: Option<&str>,
) -> Result<(IdToken, AccessToken, Option<RefreshToken>), String> {
    let (Some(id), Some(access)) = (id, access) else {
        return Err("the ID or access token is missing".into());
    };
    let id = IdToken::parse(id.to_owned()).map_err(|e| format!("idToken: {e}"))?;
    let access = AccessToken::parse(access.to_owned()).map_err(|e| format!("accessToken: {e}"))?;
    let refresh = match refresh {
        Some(r) if !r.is_empty() => {
            Some(RefreshToken::new(r.to_owned()).map_err(|e| format!("refreshToken: {e}"))?)
        }
        _ => None,
    };
    Ok((id, access, refresh))
}

/// Decodes the tokens of an `AuthenticationResult`.
pub(crate) fn parse_tokens(
    tokens: AuthTokens,
) -> Result<(IdToken, AccessToken, Option<RefreshToken>), Error> {
    let id = IdToken::parse(tokens.id_token)?;
    let access = AccessToken::parse(tokens.access_token)?;
    let refresh = tokens
        .refresh_token
        .filter(|r| !r.is_empty())
        .map(RefreshToken::new)
        .transpose()?;
    Ok((id, access, refresh))
}

impl Inner {
    pub(crate) fn new(
        config: Config,
        transport: Arc<dyn Transport>,
        storage: Arc<dyn Storage>,
        hub: Hub<AuthEvent>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let keys = Keys::new(config.client_id.as_str());
        Self {
            config,
            transport,
            storage,
            keys,
            hub,
            clock,
            state: RwLock::new(State::default()),
            write_lock: tokio::sync::Mutex::new(()),
            refresh: Inflight::default(),
            refresh_via: RefreshVia::default(),
            user_fetch: Inflight::default(),
            auto_sign_in: Default::default(),
        }
    }

    // A panic while the lock was held cannot leave the state half-changed (every change
    // is a few field assignments), so a poisoned lock is recovered.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now_secs(&self) -> i64 {
        unix_seconds(self.clock.now())
    }

    /// `work` within the configured deadline ([`Error::Timeout`] past it).
    pub(crate) async fn deadline<T>(
        &self,
        operation: &'static str,
        work: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        crate::detach::with_deadline(operation, self.config.deadline, work).await
    }

    /// Sends an event on the `auth` channel (never blocks).
    pub(crate) fn emit(&self, event: AuthEvent) {
        tracing::debug!(event = event.name(), "auth event");
        self.hub.dispatch(AUTH_CHANNEL, event);
    }

    /// The hot path: the cached session when it is valid at `now`, counting the margin.
    /// One read lock, one reference count increment; no storage, no copy of a token.
    #[inline]
    pub(crate) fn cached_session(&self, now: i64) -> Option<Arc<Session>> {
        let state = self.read();
        match &state.session {
            Some(s) if s.is_valid_at(now, self.config.margin_secs) => Some(Arc::clone(s)),
            _ => None,
        }
    }

    /// The session in memory, valid or not.
    pub(crate) fn any_session(&self) -> Option<Arc<Session>> {
        self.read().session.clone()
    }

    /// The username of the signed-in user, if known.
    pub(crate) fn username(&self) -> Option<Username> {
        self.read().username.clone()
    }

    pub(crate) fn is_signed_in(&self) -> bool {
        self.read().session.is_some()
    }

    pub(crate) fn pending(&self) -> Option<Arc<Pending>> {
        self.read().pending.clone()
    }

    pub(crate) fn set_pending(&self, pending: Option<Arc<Pending>>) {
        self.write().pending = pending;
    }

    /// Forgets `pending` if it is still the one waiting.
    pub(crate) fn drop_pending(&self, pending: &Arc<Pending>) {
        self.replace_pending(pending, None);
    }

    /// Puts `next` in the place of `pending` if `pending` is still the one waiting (a
    /// sign-in started meanwhile is never overwritten).
    pub(crate) fn replace_pending(&self, pending: &Arc<Pending>, next: Option<Arc<Pending>>) {
        let mut state = self.write();
        if state
            .pending
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, pending))
        {
            state.pending = next;
        }
    }

    /// The error for "no session": a pending sign-in says so.
    fn no_session_error(&self) -> Error {
        match &self.read().pending {
            Some(p) => Error::SignInPending {
                challenge: p.step.challenge().as_str().to_owned(),
            },
            None => Error::NotSignedIn,
        }
    }

    // ---------------------------------------------------------------- loading

    /// `Storage::sync`, in a task of its own (a custom store may panic or be slow).
    pub(crate) async fn sync_storage(self: &Arc<Self>) -> Result<(), Error> {
        let this = Arc::clone(self);
        detached("sync the token store", async move {
            this.storage.sync().await.map_err(storage_error)
        })
        .await
    }

    /// Reads the stored session once, on first use (after awaiting `Storage::sync`).
    pub(crate) async fn ensure_loaded(self: &Arc<Self>) -> Result<(), Error> {
        if self.read().loaded {
            return Ok(());
        }
        let this = Arc::clone(self);
        detached("load the stored session", async move {
            let _write = this.write_lock.lock().await;
            if this.read().loaded {
                return Ok(());
            }
            if let Err(e) = this.storage.sync().await {
                return Err(storage_error(e));
            }
            let loaded = this.load().await?;
            let mut state = this.write();
            state.loaded = true;
            state.username = loaded.username;
            state.session = loaded.session;
            state.user = loaded.user;
            Ok(())
        })
        .await
    }

    /// Reads the stored session; a damaged one is removed (only if it is still the one
    /// that was read) and counts as nobody signed in.
    async fn load(&self) -> Result<Loaded, Error> {
        match self.read_stored().await {
            Ok((loaded, _)) => {
                tracing::debug!(
                    restored = loaded.session.is_some(),
                    "read the stored session"
                );
                Ok(loaded)
            }
            Err(LoadProblem::Corrupt) => {
                tracing::warn!("the token store is corrupt: clearing it, nobody is signed in");
                if let Err(e) = self.storage.clear_corrupt().await {
                    tracing::warn!(error = %storage_error(e).chain(), "clearing the corrupt token store failed");
                }
                Ok(Loaded::default())
            }
            Err(LoadProblem::Malformed { read, reason }) => {
                tracing::warn!(
                    reason = reason.as_str(),
                    "the stored session cannot be read: removing it, nobody is signed in"
                );
                // Only what was read: another process may have written a good session
                // since.
                let batch = read.expect_all(Batch::new()).remove_all(read.keys.clone());
                match self.storage.apply(&batch).await {
                    Ok(true) => {}
                    Ok(false) => tracing::debug!("the unreadable session was replaced meanwhile"),
                    Err(e) => {
                        tracing::warn!(error = %storage_error(e).chain(), "removing the unreadable session failed")
                    }
                }
                Ok(Loaded::default())
            }
            Err(LoadProblem::Failed(e)) => Err(e),
        }
    }

    /// One consistent read of `LastAuthUser` and that user's session keys.
    async fn read_stored(&self) -> Result<(Loaded, Read), LoadProblem> {
        // A sign-in by another process between the read of LastAuthUser and the read of
        // its keys makes the read start again; a store that never settles is an error.
        for _ in 0..4 {
            if let Some(read) = self.read_stored_once().await? {
                return Ok(read);
            }
        }
        Err(LoadProblem::Failed(storage_error(StorageError::backend(
            std::io::Error::other("LastAuthUser kept changing while the session was read"),
        ))))
    }

    /// [`Inner::read_stored`]; `None` when `LastAuthUser` changed between its two reads.
    async fn read_stored_once(&self) -> Result<Option<(Loaded, Read)>, LoadProblem> {
        let last = self.keys.last_auth_user();
        let Some(name) = self.storage.get(&last).await? else {
            return Ok(Some((
                Loaded::default(),
                Read {
                    keys: vec![last],
                    values: vec![None],
                },
            )));
        };
        let Ok(username) = Username::new(&name) else {
            return Err(LoadProblem::Malformed {
                read: Read {
                    keys: vec![last],
                    values: vec![Some(name)],
                },
                reason: "LastAuthUser is not a username".into(),
            });
        };
        let user_keys = self.keys.user(username.as_str()).session();
        let mut keys = vec![last];
        keys.extend(user_keys);
        let names: Vec<&str> = keys.iter().map(String::as_str).collect();
        let values = self.storage.get_many(&names).await?;
        let read = Read { keys, values };
        // LastAuthUser again, from the same read as the tokens: a sign-in by another
        // process between the two reads is seen whole.
        match read.values.first() {
            Some(Some(again)) if *again == name => {}
            _ => return Ok(None),
        }
        let [_, id, access, refresh, drift, user_data] = read.values.as_slice() else {
            return Err(LoadProblem::Failed(storage_error(StorageError::backend(
                std::io::Error::other("get_many answered the wrong number of values"),
            ))));
        };
        let parsed = parse_stored_tokens(id.as_deref(), access.as_deref(), refresh.as_deref());
        let (id, access, refresh) = match parsed {
            Ok(tokens) => tokens,
            Err(reason) => return Err(LoadProblem::Malformed { read, reason }),
        };
        let format = self.config.clock_drift_format;
        let drift = match drift
            .as_deref()
            .map(|d| ClockDrift::parse_stored_as(d, format))
        {
            Some(Ok(drift)) => drift,
            Some(Err(_)) => {
                tracing::warn!("the stored clockDrift is not a number: using 0");
                ClockDrift::default()
            }
            None => ClockDrift::default(),
        };
        let user = user_data
            .as_deref()
            .and_then(|data| match User::from_user_data(data) {
                Ok(user) => Some(Arc::new(user)),
                Err(_) => {
                    tracing::debug!("the stored userData cannot be read: it will be fetched");
                    None
                }
            });
        Ok(Some((
            Loaded {
                session: Some(Arc::new(Session::new(id, access, refresh, drift))),
                username: Some(username),
                user,
            },
            read,
        )))
    }

    // ---------------------------------------------------------------- storing

    /// The entries of a session as stored: tokens and drift (and the refresh token when
    /// there is one).
    fn session_batch(&self, mut batch: Batch, username: &Username, session: &Session) -> Batch {
        let keys = self.keys.user(username.as_str());
        let drift = session
            .clock_drift()
            .to_stored_as(self.config.clock_drift_format);
        batch = batch
            .set(keys.id_token(), session.id_token().raw().expose())
            .set(keys.access_token(), session.access_token().raw().expose())
            .set(keys.clock_drift(), &drift);
        if let Some(rt) = session.refresh_token() {
            batch = batch.set(keys.refresh_token(), rt.raw().expose());
        }
        batch
    }

    /// Applies `batch`; on a corrupt store, clears it (if still corrupt) and applies
    /// `fallback`, the batch without its expectations, since the store holds nothing
    /// better than what is written.
    async fn apply_or_recover(&self, batch: &Batch, fallback: &Batch) -> Result<bool, Error> {
        match self.storage.apply(batch).await {
            Ok(applied) => Ok(applied),
            Err(e) if e.is_corrupt() => {
                tracing::warn!("the token store is corrupt: clearing it before writing");
                self.storage.clear_corrupt().await.map_err(storage_error)?;
                self.storage.apply(fallback).await.map_err(storage_error)
            }
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Stores a new session (one batch) and makes it the current one. The session keys of
    /// the user stored before (by this process or another) are removed with it.
    pub(crate) async fn store_signed_in(
        self: &Arc<Self>,
        username: &Username,
        session: Session,
    ) -> Result<Arc<Session>, Error> {
        let this = Arc::clone(self);
        let username = username.clone();
        detached("store the session", async move {
            let session = Arc::new(session);
            let _write = this.write_lock.lock().await;
            let last = this.keys.last_auth_user();
            let in_memory = this.read().username.clone();
            let user_keys = this.keys.user(username.as_str());
            let base = this
                .session_batch(
                    Batch::new().set(last.clone(), username.as_str()),
                    &username,
                    &session,
                )
                // The cached user of an earlier session is stale.
                .remove(user_keys.user_data());
            let base = if session.refresh_token().is_none() {
                base.remove(user_keys.refresh_token())
            } else {
                base
            };
            let previous_keys = |name: &str| -> Vec<String> {
                if name == username.as_str() {
                    Vec::new()
                } else {
                    this.keys.user(name).session().to_vec()
                }
            };
            let mut fallback = base.clone();
            if let Some(previous) = &in_memory {
                fallback = fallback.remove_all(previous_keys(previous.as_str()));
            }
            // Compare-and-set on LastAuthUser, so that the keys of whoever was stored
            // are removed with the same write; a few attempts, then the last writer wins.
            let mut stored = false;
            for _ in 0..3 {
                let current = match this.storage.get(&last).await {
                    Ok(current) => current,
                    Err(e) if e.is_corrupt() => {
                        this.storage.clear_corrupt().await.map_err(storage_error)?;
                        None
                    }
                    Err(e) => return Err(storage_error(e)),
                };
                let mut batch = fallback.clone().expect(last.clone(), current.as_deref());
                if let Some(current) = &current {
                    batch = batch.remove_all(previous_keys(current));
                }
                if this.apply_or_recover(&batch, &fallback).await? {
                    stored = true;
                    break;
                }
            }
            if !stored {
                this.apply_or_recover(&fallback, &fallback).await?;
            }
            let mut state = this.write();
            state.loaded = true;
            state.generation += 1;
            state.username = Some(username);
            state.session = Some(Arc::clone(&session));
            state.user = None;
            state.pending = None;
            Ok(session)
        })
        .await
    }

    /// Forgets the session in memory and removes it from storage, if the store still holds
    /// it: `LastAuthUser` names this user (and, with `rejected`, the stored refresh token
    /// is that one). A session another process stored since is left alone.
    ///
    /// With `only_generation`, does nothing (and answers false) when another sign-in or
    /// sign-out happened in this process since.
    pub(crate) async fn clear_local(
        self: &Arc<Self>,
        only_generation: Option<u64>,
        rejected: Option<RefreshToken>,
    ) -> Result<bool, Error> {
        let this = Arc::clone(self);
        detached("remove the session", async move {
            let _write = this.write_lock.lock().await;
            this.clear_locked(only_generation, rejected.as_ref()).await
        })
        .await
    }

    /// [`Inner::clear_local`], with the write lock held.
    async fn clear_locked(
        &self,
        only_generation: Option<u64>,
        rejected: Option<&RefreshToken>,
    ) -> Result<bool, Error> {
        let username = {
            let mut state = self.write();
            if only_generation.is_some_and(|g| g != state.generation) {
                return Ok(false);
            }
            state.loaded = true;
            state.generation += 1;
            state.session = None;
            state.user = None;
            state.pending = None;
            state.username.take()
        };
        let Some(username) = username else {
            return Ok(true);
        };
        let last = self.keys.last_auth_user();
        let user_keys = self.keys.user(username.as_str());
        let mut batch = Batch::new()
            .expect(last.clone(), Some(username.as_str()))
            .remove(last.clone())
            .remove_all(user_keys.session());
        if let Some(rejected) = rejected {
            batch = batch.expect(user_keys.refresh_token(), Some(rejected.raw().expose()));
        }
        match self.storage.apply(&batch).await {
            Ok(true) => {}
            Ok(false) => {
                // Another process stored another session meanwhile: keep it. The keys of
                // this user go only if LastAuthUser names someone else.
                let current = self.storage.get(&last).await.map_err(storage_error)?;
                if current.as_deref() != Some(username.as_str()) {
                    let stale = Batch::new()
                        .expect(last, current.as_deref())
                        .remove_all(user_keys.session());
                    self.storage.apply(&stale).await.map_err(storage_error)?;
                }
            }
            Err(e) if e.is_corrupt() => {
                self.storage.clear_corrupt().await.map_err(storage_error)?
            }
            Err(e) => return Err(storage_error(e)),
        }
        Ok(true)
    }

    // ---------------------------------------------------------------- sessions

    /// The current session: cached while valid, else read from storage (first use) or
    /// refreshed (once for all concurrent callers).
    pub(crate) async fn session(self: &Arc<Self>) -> Result<Arc<Session>, Error> {
        if let Some(session) = self.cached_session(self.now_secs()) {
            return Ok(session);
        }
        Box::pin(Arc::clone(self).session_slow()).await
    }

    /// The part of [`Inner::session`] that may read storage or call the server.
    pub(crate) async fn session_slow(self: Arc<Self>) -> Result<Arc<Session>, Error> {
        let span = tracing::debug_span!("userpool.current_session");
        async move {
            self.ensure_loaded().await?;
            let now = self.now_secs();
            match self.read().session.clone() {
                None => return Err(self.no_session_error()),
                Some(s) if s.is_valid_at(now, self.config.margin_secs) => return Ok(s),
                Some(_) => {}
            }
            let this = Arc::clone(&self);
            self.refresh
                .run(true, "refresh the session", move || {
                    this.refresh(false).boxed()
                })
                .await
        }
        .instrument(span)
        .await
    }

    /// Refreshes the session now, even if it is still valid (after an attribute change,
    /// or with `bypass_cache`). With `join`, shares a refresh already running.
    pub(crate) async fn force_refresh(self: &Arc<Self>, join: bool) -> Result<Arc<Session>, Error> {
        let this = Arc::clone(self);
        self.refresh
            .run(join, "refresh the session", move || {
                this.refresh(true).boxed()
            })
            .await
    }

    /// Compares the stored session with the one this process holds, and follows the
    /// store: see [`Followed`]. A store that cannot be read says nothing: the session in
    /// memory goes on.
    async fn follow_store(&self, generation: u64, old: &Arc<Session>) -> Followed {
        let _write = self.write_lock.lock().await;
        if self.read().generation != generation {
            return Followed::Superseded;
        }
        let loaded = match self.read_stored().await {
            Ok((loaded, _)) => loaded,
            Err(LoadProblem::Failed(e)) => {
                tracing::debug!(error = %e.chain(), "reading the stored session before the refresh failed");
                return Followed::Unchanged;
            }
            // Damaged: the refresh rewrites it from memory.
            Err(LoadProblem::Corrupt | LoadProblem::Malformed { .. }) => {
                return Followed::Unchanged;
            }
        };
        let (Some(username), Some(stored)) = (loaded.username, loaded.session) else {
            tracing::debug!("the session was signed out by another user of the store");
            let mut state = self.write();
            state.generation += 1;
            state.session = None;
            state.user = None;
            state.username = None;
            return Followed::Ended;
        };
        let same_user = self.read().username.as_ref() == Some(&username);
        let raw = |s: &Session| s.refresh_token().map(|t| t.raw().expose().to_owned());
        let same_lineage = same_user && raw(&stored) == raw(old);
        if same_lineage
            && stored.id_token().raw().expose() == old.id_token().raw().expose()
            && stored.access_token().raw().expose() == old.access_token().raw().expose()
        {
            return Followed::Unchanged;
        }
        tracing::debug!(
            same_user,
            "the stored session was changed by another user of the store: following it"
        );
        let mut state = self.write();
        if !same_lineage {
            state.generation += 1;
            state.user = loaded.user;
        }
        state.username = Some(username.clone());
        state.session = Some(Arc::clone(&stored));
        Followed::Adopted {
            generation: state.generation,
            username,
            session: stored,
        }
    }

    /// Signs this process out after the store said the session ended elsewhere.
    fn ended_elsewhere(&self) -> Error {
        self.emit(AuthEvent::SignOut { global: false });
        Error::NotSignedIn
    }

    /// One refresh, shared by every waiter: `GetTokensFromRefreshToken` (or
    /// `REFRESH_TOKEN_AUTH` where the server lacks it), under a claim on the stored session
    /// that other processes sharing the store respect (see [`refresh`](self::refresh)).
    /// Runs in its own task (see [`Inflight`]).
    async fn refresh(self: Arc<Self>, forced: bool) -> Result<Arc<Session>, Error> {
        let span = tracing::debug_span!("userpool.refresh_session", forced);
        async move {
            let (mut generation, mut username, old) = {
                let state = self.read();
                (
                    state.generation,
                    state.username.clone(),
                    state.session.clone(),
                )
            };
            let Some(mut old) = old else {
                return Err(self.no_session_error());
            };
            if !forced && old.is_valid_at(self.now_secs(), self.config.margin_secs) {
                // Refreshed by a call that finished just before this one started.
                return Ok(old);
            }
            match self.follow_store(generation, &old).await {
                Followed::Unchanged => {}
                Followed::Adopted {
                    generation: g,
                    username: u,
                    session,
                } => {
                    if !forced && session.is_valid_at(self.now_secs(), self.config.margin_secs) {
                        return Ok(session);
                    }
                    (generation, username, old) = (g, Some(u), session);
                }
                Followed::Ended => return Err(self.ended_elsewhere()),
                Followed::Superseded => {
                    return match self.cached_session(self.now_secs()) {
                        Some(current) => Ok(current),
                        None => Err(self.no_session_error()),
                    };
                }
            }
            // Claim the stored token's refresh for this process. Waiting for another
            // process's claim may show the session refreshed (or ended) by it; a refreshed
            // one that is valid is the answer, forced or not: it is newer than this call.
            let lease = loop {
                match self.claim_refresh(generation, &username, &old).await {
                    Claim::Held(lease) => break Some(lease),
                    Claim::Unclaimed | Claim::Changed(Followed::Unchanged) => break None,
                    Claim::Changed(Followed::Adopted {
                        generation: g,
                        username: u,
                        session,
                    }) => {
                        if session.is_valid_at(self.now_secs(), self.config.margin_secs) {
                            return Ok(session);
                        }
                        (generation, username, old) = (g, Some(u), session);
                    }
                    Claim::Changed(Followed::Ended) => return Err(self.ended_elsewhere()),
                    Claim::Changed(Followed::Superseded) => {
                        return match self.cached_session(self.now_secs()) {
                            Some(current) => Ok(current),
                            None => Err(self.no_session_error()),
                        };
                    }
                }
            };
            let Some(refresh_token) = old.refresh_token().cloned() else {
                if forced {
                    return Ok(old);
                }
                // Nothing can renew this session: it is over.
                let error = Error::NotSignedIn;
                tracing::debug!("the session expired and has no refresh token");
                let cleared = self.clear_locked_detached(generation, None).await;
                self.emit(AuthEvent::TokenRefreshFailure {
                    error: error.clone(),
                });
                if matches!(cleared, Ok(true)) {
                    self.emit(AuthEvent::SignOut { global: false });
                }
                return Err(error);
            };
            // `DeviceKey` of the remembered device, as Amplify v6 sends it (read now: another
            // process may have remembered or forgotten it).
            let device_key = match &username {
                Some(u) => self.stored_device(u).await.map(|device| device.key.clone()),
                None => None,
            };
            let tokens = self
                .request_tokens(&refresh_token, &username, device_key)
                .await
                .and_then(parse_tokens);
            match tokens {
                Ok((id, access, rotated)) => {
                    let rotated_now = rotated.is_some();
                    let session = Arc::new(old.refreshed(id, access, rotated, self.now_secs()));
                    // The rotated token is stored (and the claim given up) in one write
                    // before the session is put in memory and returned: nobody can use the
                    // new tokens while the store still holds the replaced token.
                    let installed = self
                        .install_refreshed(generation, &username, &old, &session, lease.as_ref())
                        .await;
                    if !matches!(installed, Installed::Yes)
                        && let Some(lease) = &lease
                    {
                        self.release_claim(lease).await;
                    }
                    match installed {
                        Installed::Yes => {}
                        Installed::Superseded => {
                            // Signed out, or another user signed in, meanwhile.
                            return match self.cached_session(self.now_secs()) {
                                Some(current) => Ok(current),
                                None => Err(self.no_session_error()),
                            };
                        }
                        Installed::StoreChanged => {
                            return match self.follow_store(generation, &old).await {
                                Followed::Adopted { session, .. } => Ok(session),
                                Followed::Ended => Err(self.ended_elsewhere()),
                                Followed::Unchanged | Followed::Superseded => {
                                    match self.cached_session(self.now_secs()) {
                                        Some(current) => Ok(current),
                                        None => Err(self.no_session_error()),
                                    }
                                }
                            };
                        }
                    }
                    tracing::debug!(rotated = rotated_now, "session refreshed");
                    self.emit(AuthEvent::TokenRefresh);
                    Ok(session)
                }
                Err(error) => {
                    if let Some(lease) = &lease {
                        self.release_claim(lease).await;
                    }
                    self.refresh_failed(generation, &old, refresh_token, error)
                        .await
                }
            }
        }
        .instrument(span)
        .await
    }

    /// What a refused or failed refresh does to the session: see [`Error::ends_session`].
    async fn refresh_failed(
        &self,
        generation: u64,
        old: &Arc<Session>,
        refresh_token: RefreshToken,
        error: Error,
    ) -> Result<Arc<Session>, Error> {
        if matches!(error, Error::RefreshTokenReuse { .. }) {
            // The token was replaced by rotation. Another process sharing the store may
            // hold its successor: then the session goes on with that one.
            match self.follow_store(generation, old).await {
                Followed::Unchanged => {}
                Followed::Adopted { session, .. } => {
                    tracing::debug!(
                        "the refresh token was replaced by another user of the store: following it"
                    );
                    if session.is_valid_at(self.now_secs(), self.config.margin_secs) {
                        return Ok(session);
                    }
                    // The next call refreshes with the newer token.
                    self.emit(AuthEvent::TokenRefreshFailure {
                        error: error.clone(),
                    });
                    return Err(error);
                }
                Followed::Ended => return Err(self.ended_elsewhere()),
                Followed::Superseded => {
                    return match self.cached_session(self.now_secs()) {
                        Some(current) => Ok(current),
                        None => Err(self.no_session_error()),
                    };
                }
            }
        }
        if error.ends_session() {
            // The refresh token can never work again: the user is signed out.
            tracing::debug!(error = %error.chain(), "the refresh token was refused for good: signing out");
            let cleared = match self
                .clear_locked_detached(generation, Some(refresh_token))
                .await
            {
                Ok(cleared) => cleared,
                Err(e) => {
                    tracing::warn!(error = %e.chain(), "removing the rejected session from storage failed");
                    true
                }
            };
            self.emit(AuthEvent::TokenRefreshFailure {
                error: error.clone(),
            });
            if cleared {
                self.emit(AuthEvent::SignOut { global: false });
            }
        } else {
            // Network failure, throttling, a malformed answer: keep the session.
            tracing::debug!(error = %error.chain(), "refresh failed; the session is kept");
            self.emit(AuthEvent::TokenRefreshFailure {
                error: error.clone(),
            });
        }
        Err(error)
    }

    /// [`Inner::clear_locked`] from inside the refresh's own task (which a dropped caller
    /// cannot stop), taking the write lock.
    async fn clear_locked_detached(
        &self,
        generation: u64,
        rejected: Option<RefreshToken>,
    ) -> Result<bool, Error> {
        let _write = self.write_lock.lock().await;
        self.clear_locked(Some(generation), rejected.as_ref()).await
    }

    /// Stores and installs a refreshed session, if this process did not sign in or out
    /// meanwhile and the store still holds the session that was refreshed. A storage
    /// failure is logged: the session stays usable in memory.
    ///
    /// The claim `lease` is given up in the same write (whoever holds it by then: the
    /// stored token changes with it, so a later holder's refresh is void anyway).
    async fn install_refreshed(
        &self,
        generation: u64,
        username: &Option<Username>,
        old: &Session,
        session: &Arc<Session>,
        lease: Option<&Lease>,
    ) -> Installed {
        let _write = self.write_lock.lock().await;
        if self.read().generation != generation {
            return Installed::Superseded;
        }
        if let Some(username) = username {
            let last = self.keys.last_auth_user();
            let keys = self.keys.user(username.as_str());
            let fallback = self.session_batch(
                Batch::new().set(last.clone(), username.as_str()),
                username,
                session,
            );
            let mut batch = self
                .session_batch(Batch::new(), username, session)
                .expect(last, Some(username.as_str()));
            if let Some(rt) = old.refresh_token() {
                batch = batch.expect(keys.refresh_token(), Some(rt.raw().expose()));
            }
            let (batch, fallback) = match lease {
                Some(lease) => (
                    batch.remove(lease.key.clone()),
                    fallback.remove(lease.key.clone()),
                ),
                None => (batch, fallback),
            };
            match self.apply_or_recover(&batch, &fallback).await {
                Ok(true) => {}
                Ok(false) => return Installed::StoreChanged,
                Err(e) => {
                    tracing::warn!(error = %e.chain(), "storing the refreshed session failed; it is kept in memory");
                }
            }
        }
        self.write().session = Some(Arc::clone(session));
        Installed::Yes
    }

    // ---------------------------------------------------------------- the user

    /// The signed-in user: cached, or fetched with `GetUser` (once for all concurrent
    /// callers). `bypass_cache` fetches anew and refreshes the session so that the ID
    /// token's claims are current too.
    pub(crate) async fn user(self: &Arc<Self>, bypass_cache: bool) -> Result<Arc<User>, Error> {
        self.ensure_loaded().await?;
        let session = self.session().await?;
        // Bound first: the read guard must be gone before `with_groups_of` writes.
        let cached = self.read().user.clone();
        if !bypass_cache && let Some(user) = cached {
            return Ok(self.with_groups_of(user, &session));
        }
        let this = Arc::clone(self);
        let user = self
            .user_fetch
            .run(true, "fetch the user", move || this.fetch_user().boxed())
            .await?;
        if bypass_cache {
            match self.force_refresh(true).await {
                Ok(session) => return Ok(self.with_groups_of(user, &session)),
                Err(e) => tracing::debug!(
                    error = %e.chain(),
                    "refreshing the session after fetching the user failed"
                ),
            }
        }
        Ok(self.with_groups_of(user, &session))
    }

    /// The user with the groups and roles of `session`'s tokens. GetUser does not return
    /// groups and a refresh may change them, so they are taken from the current tokens
    /// each time; the cached user is updated when they changed (and is still cached).
    fn with_groups_of(&self, user: Arc<User>, session: &Session) -> Arc<User> {
        if user.groups() == session.groups()
            && user.roles() == session.roles()
            && user.preferred_role() == session.preferred_role()
        {
            return user;
        }
        let updated = Arc::new((*user).clone().with_groups_of(session));
        let mut state = self.write();
        if state.user.as_ref().is_some_and(|u| Arc::ptr_eq(u, &user)) {
            state.user = Some(Arc::clone(&updated));
        }
        updated
    }

    /// One `GetUser`, shared by every waiter; the answer is cached in memory and stored
    /// as `userData` (only while the store still names this user).
    async fn fetch_user(self: Arc<Self>) -> Result<Arc<User>, Error> {
        let span = tracing::debug_span!("userpool.get_user");
        async move {
            let session = self.session().await?;
            let generation = self.read().generation;
            let token = session.access_token().raw().clone();
            let user = with_retry(&self.config.retry, Replay::Safe, "GetUser", || {
                self.transport.get_user(token.clone())
            })
            .await?;
            let user = Arc::new(user);
            let _write = self.write_lock.lock().await;
            let username = {
                let state = self.read();
                if state.generation != generation {
                    return Ok(user);
                }
                state.username.clone()
            };
            if let Some(username) = username {
                let key = self.keys.user(username.as_str()).user_data();
                let batch = Batch::new()
                    .expect(self.keys.last_auth_user(), Some(username.as_str()))
                    .set(key, &user.to_user_data());
                match self.storage.apply(&batch).await {
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %storage_error(e).chain(), "storing userData failed; it is kept in memory")
                    }
                }
            }
            self.write().user = Some(Arc::clone(&user));
            Ok(user)
        }
        .instrument(span)
        .await
    }

    /// Forgets the cached user (memory and `userData`).
    pub(crate) async fn invalidate_user(self: &Arc<Self>) {
        let this = Arc::clone(self);
        let done = detached("forget the cached user", async move {
            let _write = this.write_lock.lock().await;
            let username = {
                let mut state = this.write();
                state.user = None;
                state.username.clone()
            };
            if let Some(username) = username {
                let key = this.keys.user(username.as_str()).user_data();
                if let Err(e) = this.storage.remove(&key).await {
                    tracing::warn!(error = %storage_error(e).chain(), "removing the stale userData failed");
                }
            }
            Ok(())
        })
        .await;
        if let Err(e) = done {
            tracing::warn!(error = %e.chain(), "forgetting the cached user failed");
        }
    }

    /// After a change of attributes: forget the cached user, fetch it anew and refresh
    /// the session (new ID token claims), as the reference does. Failures are logged: the
    /// change itself succeeded, and the next read fetches again.
    pub(crate) async fn reload_user(self: &Arc<Self>) {
        self.invalidate_user().await;
        let this = Arc::clone(self);
        if let Err(e) = self
            .user_fetch
            .run(false, "fetch the user", move || this.fetch_user().boxed())
            .await
        {
            tracing::debug!(error = %e.chain(), "reloading the user failed");
        }
        if let Err(e) = self.force_refresh(false).await {
            tracing::debug!(error = %e.chain(), "refreshing the session after the change failed");
        }
    }
}
