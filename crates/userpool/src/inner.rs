//! The client's state and the orchestration of sessions: reading the stored session,
//! storing and clearing it, refreshing it, fetching the user.
//!
//! Locks:
//! - `state` is a `std` lock, held only to read or swap a few fields, never across an
//!   `.await`. The hot path (a valid cached session) takes its read side once.
//! - `write_lock` is an async mutex that serialises every change of the stored session
//!   (load, sign-in, refresh, sign-out) so that storage and memory change together.
//!   Network calls are never made while it is held.
//! - `refresh` and `user_fetch` share one in-flight call between concurrent callers.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use futures_util::FutureExt as _;
use tracing::Instrument as _;
use userpool_hub::Hub;
use userpool_storage::{Keys, Storage, StorageError};
use userpool_transport::{AuthAnswer, AuthTokens, ClientMetadata, InitiateAuth, Transport};
use userpool_types::{
    AUTH_CHANNEL, AccessToken, AuthEvent, ClockDrift, Error, IdToken, RefreshToken, Session, User,
    Username,
};

use crate::Clock;
use crate::challenge::Pending;
use crate::config::{Config, unix_seconds};
use crate::inflight::Inflight;
use crate::retry::{Replay, with_retry};

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
    refresh: Inflight<Result<Arc<Session>, Error>>,
    user_fetch: Inflight<Result<Arc<User>, Error>>,
}

/// Why the stored session could not be read.
enum LoadProblem {
    /// The store says its data is damaged: clear it.
    Corrupt,
    /// The keys of this user hold something that is not a session: remove them.
    Malformed {
        username: Option<Username>,
        reason: String,
    },
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

/// Wraps a storage failure; the message names the store's problem, never a value.
pub(crate) fn storage_error(e: StorageError) -> Error {
    Error::storage(e.to_string(), Some(Arc::new(e)))
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
            user_fetch: Inflight::default(),
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
        let mut state = self.write();
        if state
            .pending
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, pending))
        {
            state.pending = None;
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

    /// Reads the stored session once, on first use (after awaiting `Storage::sync`).
    pub(crate) async fn ensure_loaded(&self) -> Result<(), Error> {
        if self.read().loaded {
            return Ok(());
        }
        let _write = self.write_lock.lock().await;
        if self.read().loaded {
            return Ok(());
        }
        let loaded = self.load().await?;
        let mut state = self.write();
        state.loaded = true;
        state.username = loaded.username;
        state.session = loaded.session;
        state.user = loaded.user;
        Ok(())
    }

    async fn load(&self) -> Result<Loaded, Error> {
        match self.read_stored().await {
            Ok(loaded) => {
                tracing::debug!(
                    restored = loaded.session.is_some(),
                    "read the stored session"
                );
                Ok(loaded)
            }
            Err(LoadProblem::Corrupt) => {
                tracing::warn!("the token store is corrupt: clearing it, nobody is signed in");
                if let Err(e) = self.storage.clear().await {
                    tracing::warn!(error = %e, "clearing the corrupt token store failed");
                }
                Ok(Loaded::default())
            }
            Err(LoadProblem::Malformed { username, reason }) => {
                tracing::warn!(
                    reason = reason.as_str(),
                    "the stored session cannot be read: removing it, nobody is signed in"
                );
                if let Err(e) = self.remove_session_keys(username.as_ref()).await {
                    tracing::warn!(error = %e, "removing the unreadable session failed");
                }
                Ok(Loaded::default())
            }
            Err(LoadProblem::Failed(e)) => Err(e),
        }
    }

    async fn read_stored(&self) -> Result<Loaded, LoadProblem> {
        self.storage.sync().await?;
        let Some(name) = self.storage.get(&self.keys.last_auth_user()).await? else {
            return Ok(Loaded::default());
        };
        let username = Username::new(name).map_err(|_| LoadProblem::Malformed {
            username: None,
            reason: "LastAuthUser is not a username".into(),
        })?;
        let keys = self.keys.user(username.as_str());
        let malformed = |reason: String| LoadProblem::Malformed {
            username: Some(username.clone()),
            reason,
        };
        let id = self.storage.get(&keys.id_token()).await?;
        let access = self.storage.get(&keys.access_token()).await?;
        let refresh = self.storage.get(&keys.refresh_token()).await?;
        let drift = self.storage.get(&keys.clock_drift()).await?;
        let user_data = self.storage.get(&keys.user_data()).await?;
        let (Some(id), Some(access)) = (id, access) else {
            return Err(malformed("the ID or access token is missing".into()));
        };
        let id = IdToken::parse(id).map_err(|e| malformed(format!("idToken: {e}")))?;
        let access =
            AccessToken::parse(access).map_err(|e| malformed(format!("accessToken: {e}")))?;
        let refresh = match refresh {
            Some(r) if !r.is_empty() => {
                Some(RefreshToken::new(r).map_err(|e| malformed(format!("refreshToken: {e}")))?)
            }
            _ => None,
        };
        let drift = match drift.as_deref().map(ClockDrift::parse_stored) {
            Some(Ok(drift)) => drift,
            Some(Err(_)) => {
                tracing::warn!("the stored clockDrift is not a number: using 0");
                ClockDrift::default()
            }
            None => ClockDrift::default(),
        };
        let user = user_data.and_then(|data| match User::from_user_data(&data) {
            Ok(user) => Some(Arc::new(user)),
            Err(_) => {
                tracing::debug!("the stored userData cannot be read: it will be fetched");
                None
            }
        });
        Ok(Loaded {
            session: Some(Arc::new(Session::new(id, access, refresh, drift))),
            username: Some(username),
            user,
        })
    }

    // ---------------------------------------------------------------- storing

    /// Removes `LastAuthUser` and the session keys of `username` (device keys stay).
    async fn remove_session_keys(&self, username: Option<&Username>) -> Result<(), Error> {
        let mut keys = vec![self.keys.last_auth_user()];
        if let Some(username) = username {
            keys.extend(self.keys.user(username.as_str()).session());
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        match self.storage.remove_many(&keys).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_corrupt() => self.storage.clear().await.map_err(storage_error),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Writes `entries` and removes `stale`. With `clear_if_corrupt` (when `entries` is a
    /// whole session), a corrupt store is cleared and written anew.
    async fn write_entries(
        &self,
        entries: &[(&str, &str)],
        stale: &[&str],
        clear_if_corrupt: bool,
    ) -> Result<(), Error> {
        let first = async {
            self.storage.set_many(entries).await?;
            if !stale.is_empty() {
                self.storage.remove_many(stale).await?;
            }
            Ok::<_, StorageError>(())
        };
        match first.await {
            Ok(()) => Ok(()),
            Err(e) if clear_if_corrupt && e.is_corrupt() => {
                tracing::warn!("the token store is corrupt: clearing it before writing");
                self.storage.clear().await.map_err(storage_error)?;
                self.storage.set_many(entries).await.map_err(storage_error)
            }
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Stores a new session (one `set_many`) and makes it the current one.
    pub(crate) async fn store_signed_in(
        &self,
        username: &Username,
        session: Session,
    ) -> Result<Arc<Session>, Error> {
        let session = Arc::new(session);
        let last = self.keys.last_auth_user();
        let keys = self.keys.user(username.as_str());
        let (id_key, access_key, refresh_key) =
            (keys.id_token(), keys.access_token(), keys.refresh_token());
        let (drift_key, user_key) = (keys.clock_drift(), keys.user_data());
        let drift = session.clock_drift().to_stored();
        let mut entries: Vec<(&str, &str)> = vec![
            (&last, username.as_str()),
            (&id_key, session.id_token().raw().expose()),
            (&access_key, session.access_token().raw().expose()),
            (&drift_key, &drift),
        ];
        // The cached user of an earlier session is stale.
        let mut stale: Vec<&str> = vec![&user_key];
        match session.refresh_token() {
            Some(rt) => entries.push((&refresh_key, rt.raw().expose())),
            None => stale.push(&refresh_key),
        }

        let _write = self.write_lock.lock().await;
        let previous = self.read().username.clone();
        self.write_entries(&entries, &stale, true).await?;
        if let Some(previous) = previous.filter(|p| p != username) {
            let old = self.keys.user(previous.as_str()).session();
            let old: Vec<&str> = old.iter().map(String::as_str).collect();
            if let Err(e) = self.storage.remove_many(&old).await {
                tracing::warn!(error = %e, "removing the previous user's session failed");
            }
        }
        let mut state = self.write();
        state.loaded = true;
        state.generation += 1;
        state.username = Some(username.clone());
        state.session = Some(Arc::clone(&session));
        state.user = None;
        state.pending = None;
        Ok(session)
    }

    /// Forgets the session in memory and in storage. With `only_generation`, does nothing
    /// (and answers false) when another sign-in or sign-out happened since.
    pub(crate) async fn clear_local(&self, only_generation: Option<u64>) -> Result<bool, Error> {
        let _write = self.write_lock.lock().await;
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
        self.remove_session_keys(username.as_ref()).await?;
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
                .run(true, move || this.refresh(false).boxed())
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
            .run(join, move || this.refresh(true).boxed())
            .await
    }

    /// One refresh: `InitiateAuth(REFRESH_TOKEN_AUTH)`, shared by every waiter.
    async fn refresh(self: Arc<Self>, forced: bool) -> Result<Arc<Session>, Error> {
        let span = tracing::debug_span!("userpool.refresh_session", forced);
        async move {
            let (generation, username, old) = {
                let state = self.read();
                (
                    state.generation,
                    state.username.clone(),
                    state.session.clone(),
                )
            };
            let Some(old) = old else {
                return Err(self.no_session_error());
            };
            if !forced && old.is_valid_at(self.now_secs(), self.config.margin_secs) {
                // Refreshed by a call that finished just before this one started.
                return Ok(old);
            }
            let Some(refresh_token) = old.refresh_token() else {
                if forced {
                    return Ok(old);
                }
                // Nothing can renew this session: it is over.
                let error = Error::NotSignedIn;
                tracing::debug!("the session expired and has no refresh token");
                let cleared = self.clear_local(Some(generation)).await;
                self.emit(AuthEvent::TokenRefreshFailure {
                    error: error.clone(),
                });
                if matches!(cleared, Ok(true)) {
                    self.emit(AuthEvent::SignOut { global: false });
                }
                return Err(error);
            };
            let raw = refresh_token.raw().clone();
            let answer = with_retry(&self.config.retry, Replay::Safe, "InitiateAuth", || {
                self.transport.initiate_auth(
                    InitiateAuth::RefreshToken {
                        refresh_token: raw.clone(),
                        username: username.clone(),
                        device_key: None,
                    },
                    ClientMetadata::new(),
                )
            })
            .await;
            let tokens = match answer {
                Ok(AuthAnswer::Tokens(tokens)) => parse_tokens(tokens),
                Ok(_) => Err(Error::MalformedResponse {
                    operation: "InitiateAuth",
                    reason: "a refresh was answered with a challenge".into(),
                }),
                Err(e) => Err(e),
            };
            match tokens {
                Ok((id, access, rotated)) => {
                    let rotated_now = rotated.is_some();
                    let session = Arc::new(old.refreshed(id, access, rotated, self.now_secs()));
                    if !self.install_refreshed(generation, &username, &session).await {
                        // Signed out, or another user signed in, meanwhile.
                        return match self.cached_session(self.now_secs()) {
                            Some(current) => Ok(current),
                            None => Err(self.no_session_error()),
                        };
                    }
                    tracing::debug!(rotated = rotated_now, "session refreshed");
                    self.emit(AuthEvent::TokenRefresh);
                    Ok(session)
                }
                Err(error) if error.is_not_authorized() => {
                    // The server no longer accepts the refresh token: the user is signed out.
                    tracing::debug!(error = %error, "the refresh token was rejected: signing out");
                    let cleared = match self.clear_local(Some(generation)).await {
                        Ok(cleared) => cleared,
                        Err(e) => {
                            tracing::warn!(error = %e, "removing the rejected session from storage failed");
                            true
                        }
                    };
                    self.emit(AuthEvent::TokenRefreshFailure {
                        error: error.clone(),
                    });
                    if cleared {
                        self.emit(AuthEvent::SignOut { global: false });
                    }
                    Err(error)
                }
                Err(error) => {
                    // Network failure, throttling, a malformed answer: keep the session.
                    tracing::debug!(error = %error, "refresh failed; the session is kept");
                    self.emit(AuthEvent::TokenRefreshFailure {
                        error: error.clone(),
                    });
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Stores and installs a refreshed session, unless the generation changed. A storage
    /// failure is logged: the session stays usable in memory.
    async fn install_refreshed(
        &self,
        generation: u64,
        username: &Option<Username>,
        session: &Arc<Session>,
    ) -> bool {
        let _write = self.write_lock.lock().await;
        if self.read().generation != generation {
            return false;
        }
        if let Some(username) = username {
            // The whole session (as the reference does): after a corrupt store was
            // cleared, the new file still holds a complete session.
            let last = self.keys.last_auth_user();
            let keys = self.keys.user(username.as_str());
            let (id_key, access_key, refresh_key, drift_key) = (
                keys.id_token(),
                keys.access_token(),
                keys.refresh_token(),
                keys.clock_drift(),
            );
            let drift = session.clock_drift().to_stored();
            let mut entries: Vec<(&str, &str)> = vec![
                (&last, username.as_str()),
                (&id_key, session.id_token().raw().expose()),
                (&access_key, session.access_token().raw().expose()),
                (&drift_key, &drift),
            ];
            if let Some(rt) = session.refresh_token() {
                entries.push((&refresh_key, rt.raw().expose()));
            }
            if let Err(e) = self.write_entries(&entries, &[], true).await {
                tracing::warn!(error = %e, "storing the refreshed session failed; it is kept in memory");
            }
        }
        self.write().session = Some(Arc::clone(session));
        true
    }

    // ---------------------------------------------------------------- the user

    /// The signed-in user: cached, or fetched with `GetUser` (once for all concurrent
    /// callers). `bypass_cache` fetches anew and refreshes the session so that the ID
    /// token's claims are current too.
    pub(crate) async fn user(self: &Arc<Self>, bypass_cache: bool) -> Result<Arc<User>, Error> {
        self.ensure_loaded().await?;
        self.session().await?;
        if !bypass_cache && let Some(user) = self.read().user.clone() {
            return Ok(user);
        }
        let this = Arc::clone(self);
        let user = self
            .user_fetch
            .run(true, move || this.fetch_user().boxed())
            .await?;
        if bypass_cache && let Err(e) = self.force_refresh(true).await {
            tracing::debug!(error = %e, "refreshing the session after fetching the user failed");
        }
        Ok(user)
    }

    /// One `GetUser`, shared by every waiter; the answer is cached in memory and stored
    /// as `userData`.
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
                if let Err(e) = self
                    .write_entries(&[(&key, &user.to_user_data())], &[], false)
                    .await
                {
                    tracing::warn!(error = %e, "storing userData failed; it is kept in memory");
                }
            }
            self.write().user = Some(Arc::clone(&user));
            Ok(user)
        }
        .instrument(span)
        .await
    }

    /// Forgets the cached user (memory and `userData`).
    pub(crate) async fn invalidate_user(&self) {
        let _write = self.write_lock.lock().await;
        let username = {
            let mut state = self.write();
            state.user = None;
            state.username.clone()
        };
        if let Some(username) = username {
            let key = self.keys.user(username.as_str()).user_data();
            if let Err(e) = self.storage.remove(&key).await {
                tracing::warn!(error = %e, "removing the stale userData failed");
            }
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
            .run(false, move || this.fetch_user().boxed())
            .await
        {
            tracing::debug!(error = %e, "reloading the user failed");
        }
        if let Err(e) = self.force_refresh(false).await {
            tracing::debug!(error = %e, "refreshing the session after the change failed");
        }
    }
}
