//! Sign-out and deletion of the user.

use super::*;

impl Auth {
    /// Signs the user out of this client. Amplify: `Auth.signOut()`.
    pub async fn sign_out(&self) -> Result<(), Error> {
        self.sign_out_with(SignOutOptions::default()).await
    }

    /// Signs the user out. Amplify: `Auth.signOut({ global })`.
    ///
    /// - Local (the default): when the access token carries `origin_jti` (the app client
    ///   has token revocation), the refresh token is revoked (`RevokeToken`); a failure
    ///   to revoke is logged and does not stop the sign-out. The session is removed from
    ///   memory and storage (device keys stay).
    /// - Global: `GlobalSignOut` ends every session of the user on every device, then the
    ///   local session is removed. If `GlobalSignOut` fails with a retryable error
    ///   (network, throttling), the error is returned and the user stays signed in here,
    ///   so that the call can be repeated; any other refusal (the tokens are no longer
    ///   valid) still signs out locally.
    ///
    /// `Storage::sync` is awaited first. Event: `signOut` (also when nobody was signed
    /// in, as the reference does).
    ///
    /// # Errors
    ///
    /// See above for global sign-out; [`Error::Storage`] when the stored session could
    /// not be removed (it is gone from memory all the same).
    #[tracing::instrument(name = "userpool.sign_out", skip_all, fields(global = options.is_global()))]
    pub async fn sign_out_with(&self, options: SignOutOptions) -> Result<(), Error> {
        self.inner.deadline("sign_out", async {
        let global = options.is_global();
        if let Err(e) = self.inner.sync_storage().await {
            tracing::warn!(error = %e.chain(), "syncing the token store before sign-out failed");
        }
        if let Err(e) = self.inner.ensure_loaded().await {
            tracing::warn!(error = %e.chain(), "reading the stored session before sign-out failed");
        }
        let transport = &self.inner.transport;
        if global {
            match self.current_session().await {
                Ok(session) => {
                    let token = session.access_token().raw().clone();
                    let signed_out = self.retrying(Replay::Safe, "GlobalSignOut", || {
                        transport.global_sign_out(token.clone())
                    })
                    .await;
                    match signed_out {
                        Ok(()) => {}
                        Err(e) if e.is_retryable() => return Err(e),
                        Err(e) => {
                            tracing::debug!(error = %e.chain(), "global sign-out refused; signing out locally")
                        }
                    }
                }
                Err(e) if e.is_retryable() => return Err(e),
                // The refresh token was rejected: the refresh already signed the user out
                // (and emitted `signOut`).
                Err(e) if e.is_not_authorized() => return Ok(()),
                Err(_) => {}
            }
        } else if let Some(session) = self.inner.any_session() {
            // Valid or expired: its refresh token may still be live.
            if session.access_token().claims().origin_jti().is_some()
                && let Some(refresh_token) = session.refresh_token()
            {
                let token = refresh_token.raw().clone();
                if let Err(e) = self.retrying(Replay::Safe, "RevokeToken", || {
                    transport.revoke_token(token.clone())
                })
                .await
                {
                    tracing::warn!(error = %e.chain(), "revoking the refresh token failed; signing out locally");
                }
            }
        }
        let cleared = self.inner.clear_local(None, None).await;
        tracing::debug!("signed out");
        self.inner.emit(AuthEvent::SignOut { global });
        cleared.map(|_| ())
        })
        .await
    }

    /// Deletes the signed-in user (`DeleteUser`) and signs out locally. Amplify:
    /// `Auth.deleteUser`.
    ///
    /// `Storage::sync` is awaited first. Events: `userDeleted`, then `signOut`.
    ///
    /// # Errors
    ///
    /// [`Error::NotSignedIn`], [`Error::NotAuthorized`], [`Error::Network`] (the user may
    /// or may not be deleted: the call is not repeated, and the session is kept), …
    #[tracing::instrument(name = "userpool.delete_user", skip_all)]
    pub async fn delete_user(&self) -> Result<(), Error> {
        self.inner.deadline("delete_user", async {
        if let Err(e) = self.inner.sync_storage().await {
            tracing::warn!(error = %e.chain(), "syncing the token store before deleting the user failed");
        }
        let session = self.current_session().await?;
        let token = session.access_token().raw().clone();
        self.retrying(Replay::OnlyThrottled,
            "DeleteUser",
            || self.inner.transport.delete_user(token.clone()),
        )
        .await?;
        let cleared = self.inner.clear_local(None, None).await;
        self.inner.emit(AuthEvent::UserDeleted);
        self.inner.emit(AuthEvent::SignOut { global: false });
        cleared.map(|_| ())
        })
        .await
    }
}
