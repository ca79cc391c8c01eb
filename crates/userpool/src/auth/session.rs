//! The session and the user: `current_session`, `current_authenticated_user`.

use super::*;

impl Auth {
    /// The signed-in user's session. Amplify: `Auth.currentSession`.
    ///
    /// - While the session is valid (both tokens more than the refresh margin away from
    ///   expiry, with the clock drift), this answers from memory: no storage read, no
    ///   call, no copy of a token (the [`Arc`] is shared).
    /// - The first call after construction reads the stored session (so a new process
    ///   resumes the last user's session).
    /// - An expired session is refreshed (`InitiateAuth` with `REFRESH_TOKEN_AUTH`) once,
    ///   however many callers wait: they all get the same result. A rotated refresh token
    ///   is stored; otherwise the old one is kept.
    ///
    /// Events: `tokenRefresh`, or `tokenRefresh_failure` (and `signOut` when the server
    /// rejected the refresh token).
    ///
    /// # Errors
    ///
    /// - [`Error::NotSignedIn`]; [`Error::SignInPending`] while a sign-in waits for a
    ///   challenge answer.
    /// - [`Error::NotAuthorized`]: the server rejected the refresh token (expired,
    ///   revoked, user disabled). The session was removed: the user is signed out.
    /// - [`Error::Network`], [`Error::TooManyRequests`], [`Error::InternalError`] (after
    ///   retries), [`Error::MalformedToken`]: the refresh failed but the session is kept;
    ///   the user stays signed in and a later call tries again.
    /// - [`Error::Storage`]: the stored session could not be read (not for a corrupt
    ///   store, which is cleared and counts as signed out).
    pub async fn current_session(&self) -> Result<Arc<Session>, Error> {
        if let Some(session) = self.inner.cached_session(self.inner.now_secs()) {
            return Ok(session);
        }
        let slow = Arc::clone(&self.inner).session_slow();
        Box::pin(self.inner.deadline("current_session", slow)).await
    }

    /// The signed-in user: username, `sub`, attributes, MFA settings. Amplify:
    /// `Auth.currentAuthenticatedUser()`.
    ///
    /// The user is cached (in memory and as `userData` in storage) after the first
    /// `GetUser`; concurrent callers share one `GetUser`. To fetch it anew, see
    /// [`current_authenticated_user_with`](Self::current_authenticated_user_with).
    ///
    /// # Errors
    ///
    /// Those of [`current_session`](Self::current_session), and of `GetUser`
    /// ([`Error::NotAuthorized`] for a revoked access token, …).
    pub async fn current_authenticated_user(&self) -> Result<Arc<User>, Error> {
        self.current_authenticated_user_with(CurrentUserOptions::default())
            .await
    }

    /// [`current_authenticated_user`](Self::current_authenticated_user) with options:
    /// [`CurrentUserOptions::bypass_cache`] fetches the user anew and refreshes the
    /// session, so that the ID token's claims are current too (as the reference does with
    /// `{ bypassCache: true }`).
    #[tracing::instrument(
        name = "userpool.current_authenticated_user",
        skip_all,
        fields(bypass_cache = options.bypasses_cache())
    )]
    pub async fn current_authenticated_user_with(
        &self,
        options: CurrentUserOptions,
    ) -> Result<Arc<User>, Error> {
        self.inner
            .deadline(
                "current_authenticated_user",
                self.inner.user(options.bypasses_cache()),
            )
            .await
    }
}
