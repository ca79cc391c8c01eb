//! The refresh call, and the claim that keeps processes sharing a store from sending the
//! same refresh token at once.
//!
//! # The call
//!
//! A session is refreshed with `GetTokensFromRefreshToken`, as Amplify JS v6 does since
//! aws-amplify 6.15 (amplify-js pull request 14427): `RefreshToken`, the `DeviceKey` of the
//! remembered device when the store holds one (`deviceKey` of the reference layout), and
//! `ClientMetadata` (empty: no caller passes any yet). With the app client's
//! `RefreshTokenRotation` on, the answer has a new refresh token, which replaces the old one
//! in the store; without it the old one is kept.
//!
//! Where the server does not know the operation, the refresh falls back to
//! `InitiateAuth(REFRESH_TOKEN_AUTH)` (with `DEVICE_KEY`, and the username for
//! `SECRET_HASH`), and this `Auth` remembers that, so no later refresh makes a failed call
//! first:
//! - at once, on a typed answer: the server named the operation unknown
//!   ([`Error::is_unknown_operation`]: `UnknownOperationException`, as the local pool did
//!   before it served the operation) or the transport lacks it
//!   ([`Error::UnsupportedOperation`], the default body of a `Transport` written before the
//!   operation existed);
//! - after a probe, on an answer that does not read as Cognito's at all: a 5xx that names
//!   no exception ([`Error::InternalError`], after the retries: moto 5.2 answers an HTML
//!   500 page for an operation it has not implemented), an exception this client does not
//!   know ([`Error::Service`]), an unreadable answer ([`Error::MalformedResponse`]). Then one
//!   `REFRESH_TOKEN_AUTH` is tried; if the server answers it (tokens, or a refusal of the
//!   token such as `NotAuthorized`), that answer stands and the fallback is remembered;
//!   otherwise the first error is returned and nothing is remembered (Cognito refuses
//!   `REFRESH_TOKEN_AUTH` on a rotating client, so an outage of Cognito never switches a
//!   rotating client's refresh to the legacy flow). A probed fallback is forgotten when the
//!   legacy flow is later refused with `InvalidParameter` (rotation turned on since), so the
//!   next refresh tries `GetTokensFromRefreshToken` again.
//!
//! # The claim (several processes, one store)
//!
//! Before it sends a refresh token, a process claims its refresh in the store: an entry
//! `CognitoIdentityServiceProvider.<clientId>.<username>.userpoolRefreshLease` (outside the
//! reference layout: Amplify and amazon-cognito-identity-js never read or remove it) holding
//! `<deadline in Unix milliseconds>:<holder id>`. It is taken with one compare-and-set
//! [`Batch`]: on the condition that the user's stored refresh token is still the one
//! about to be sent, and that the lease entry still holds what was read (absent, or a claim whose deadline has passed). So a process never sends a
//! token another process has already replaced: the replacement changes the stored token,
//! and the claim fails.
//!
//! - The holder refreshes, then stores the new tokens and removes the lease in one write
//!   (conditional on the stored token, as every refresh's write is). On failure it removes
//!   the lease if it still holds it.
//! - A process that finds the lease held waits: it reads the store every
//!   [`POLL_INTERVAL`] and adopts the session as soon as the holder stored it; when the
//!   lease is gone without a new session (the holder failed) or its deadline has passed
//!   (the holder died), it takes the lease itself. The deadline is the operation deadline
//!   ([`AuthBuilder::deadline`](crate::AuthBuilder::deadline)) plus [`LEASE_MARGIN`] from
//!   when the lease was taken, so a crashed holder blocks the others for that long at most;
//!   a waiter never waits longer than that either, measured on its own monotonic clock.
//! - A store that fails while the lease is taken or read does not stop the refresh: the
//!   refresh goes on without a claim, guarded by the conditional write as before.
//!
//! A holder slower than its deadline may be overtaken; the two then send the same token,
//! and the server decides (within the client's `RetryGracePeriodSeconds` both succeed and
//! the first stored wins; after it the second is refused with `RefreshTokenReuse`, and
//! that process adopts the stored session instead of signing out).

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use userpool_storage::Batch;
use userpool_transport::{AuthOutcome, AuthTokens, ClientMetadata, InitiateAuth, RefreshRequest};
use userpool_types::{Error, RefreshToken, Session, Username};

use super::{Followed, Inner, storage_error};
use crate::retry::{Replay, with_retry};

/// The name of the lease entry, under the user's prefix.
pub(crate) const LEASE_NAME: &str = "userpoolRefreshLease";

/// How often a process waiting for another's claim reads the store.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// Added to the operation deadline for a lease's lifetime: the holder's storage writes.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// Which operation this client refreshes with.
#[derive(Default)]
pub(crate) struct RefreshVia(AtomicU8);

/// `GetTokensFromRefreshToken`.
const CURRENT: u8 = 0;
/// `REFRESH_TOKEN_AUTH`: the server or the transport said it lacks the operation.
const LEGACY: u8 = 1;
/// `REFRESH_TOKEN_AUTH`: the server failed the operation and answered the legacy flow.
const LEGACY_PROBED: u8 = 2;

impl RefreshVia {
    fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, via: u8) {
        self.0.store(via, Ordering::Relaxed);
    }
}

/// The answer says that the server (or the transport) does not have the operation.
fn lacks_operation(error: &Error) -> bool {
    error.is_unknown_operation() || matches!(error, Error::UnsupportedOperation { .. })
}

/// The answer is not one Cognito gives for this operation: the server may lack it.
fn may_lack_operation(error: &Error) -> bool {
    matches!(
        error,
        Error::InternalError { .. } | Error::Service { .. } | Error::MalformedResponse { .. }
    )
}

/// The server answered the legacy flow: tokens, or a verdict on the token itself.
fn answered_legacy(answer: &Result<AuthTokens, Error>) -> bool {
    match answer {
        Ok(_) => true,
        Err(e) => e.ends_session(),
    }
}

/// A claim this process holds: the lease entry and the value it wrote there.
pub(crate) struct Lease {
    pub(crate) key: String,
    value: String,
}

/// How claiming a refresh went.
pub(crate) enum Claim {
    /// This process holds the claim.
    Held(Lease),
    /// No claim (no stored session to claim, or the store failed): refresh without one.
    Unclaimed,
    /// The stored session changed while the claim was sought: follow it.
    Changed(Followed),
}

/// Tells holders apart: the process, the client and the attempt.
fn holder_id(inner: &Inner) -> String {
    static ATTEMPTS: AtomicU64 = AtomicU64::new(0);
    let attempt = ATTEMPTS.fetch_add(1, Ordering::Relaxed);
    let client = std::ptr::from_ref(inner).addr();
    format!("{}-{client:x}-{attempt}", std::process::id())
}

/// The deadline of a lease value; `None` when it cannot be read (then it counts as
/// expired, so that a damaged entry never blocks a refresh).
fn lease_deadline(value: &str) -> Option<i64> {
    value.split_once(':')?.0.parse().ok()
}

impl Inner {
    fn now_millis(&self) -> i64 {
        self.clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    fn lease_lifetime(&self) -> Duration {
        self.config.deadline.saturating_add(LEASE_MARGIN)
    }

    /// Claims the refresh of `old`'s refresh token (see the module documentation), waiting
    /// while another holds it.
    pub(super) async fn claim_refresh(
        &self,
        generation: u64,
        username: &Option<Username>,
        old: &std::sync::Arc<Session>,
    ) -> Claim {
        let (Some(username), Some(token)) = (username, old.refresh_token()) else {
            // Nothing stored to claim (a session kept in memory only), or nothing to send.
            return Claim::Unclaimed;
        };
        let user_keys = self.keys.user(username.as_str());
        let key = format!("{}.{LEASE_NAME}", user_keys.prefix());
        let lifetime = self.lease_lifetime();
        let waited_since = tokio::time::Instant::now();
        loop {
            // Set when the claim could not be taken though nobody else took it: the stored
            // token is not the one held here.
            let mut token_mismatch = false;
            {
                let _write = self.write_lock.lock().await;
                if self.read().generation != generation {
                    return Claim::Changed(Followed::Superseded);
                }
                let current = match self.storage.get(&key).await {
                    Ok(current) => current,
                    Err(e) => {
                        tracing::debug!(error = %storage_error(e).chain(), "reading the refresh claim failed; refreshing without one");
                        return Claim::Unclaimed;
                    }
                };
                let free = match current.as_deref() {
                    None => true,
                    Some(value) => {
                        lease_deadline(value).is_none_or(|deadline| deadline <= self.now_millis())
                            || waited_since.elapsed() >= lifetime
                    }
                };
                if free {
                    let deadline = self
                        .now_millis()
                        .saturating_add(i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX));
                    let value = format!("{deadline}:{}", holder_id(self));
                    // `LastAuthUser` is not a condition: the stored token is the user's own,
                    // and the write of the refreshed session checks `LastAuthUser` anyway.
                    let batch = Batch::new()
                        .expect(user_keys.refresh_token(), Some(token.raw().expose()))
                        .expect(key.clone(), current.as_deref())
                        .set(key.clone(), &value);
                    match self.storage.apply(&batch).await {
                        Ok(true) => {
                            tracing::debug!("claimed the refresh of the stored session");
                            return Claim::Held(Lease { key, value });
                        }
                        // The session or the claim changed: the store says how, below.
                        Ok(false) => {
                            let claim_now = self.storage.get(&key).await.ok().flatten();
                            token_mismatch = claim_now == current;
                        }
                        Err(e) => {
                            tracing::debug!(error = %storage_error(e).chain(), "claiming the refresh failed; refreshing without a claim");
                            return Claim::Unclaimed;
                        }
                    }
                }
            }
            match self.follow_store(generation, old).await {
                Followed::Unchanged => {}
                changed => return Claim::Changed(changed),
            }
            if token_mismatch {
                // The store holds another token, yet reads as this session (it is damaged,
                // or cannot be read): there is nothing to claim, and the refresh's write
                // repairs it.
                tracing::debug!("the stored session cannot be claimed; refreshing without a claim");
                return Claim::Unclaimed;
            }
            tracing::trace!("another user of the store is refreshing this session: waiting");
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Gives up `lease` if this process still holds it (after a refresh that stored
    /// nothing). A failure is logged: the lease expires by itself.
    pub(super) async fn release_claim(&self, lease: &Lease) {
        let _write = self.write_lock.lock().await;
        let batch = Batch::new()
            .expect(lease.key.clone(), Some(&lease.value))
            .remove(lease.key.clone());
        if let Err(e) = self.storage.apply(&batch).await {
            tracing::debug!(error = %storage_error(e).chain(), "giving up the refresh claim failed; it expires by itself");
        }
    }

    /// New tokens for `refresh_token`, with the operation the server has (see the module
    /// documentation).
    pub(super) async fn request_tokens(
        &self,
        refresh_token: &RefreshToken,
        username: &Option<Username>,
        device_key: Option<String>,
    ) -> Result<AuthTokens, Error> {
        let via = self.refresh_via.get();
        if via == CURRENT {
            let request = RefreshRequest::new(refresh_token.raw().clone())
                .with_device_key(device_key.clone())
                .with_client_metadata(ClientMetadata::new());
            let answer = with_retry(
                &self.config.retry,
                Replay::Safe,
                "GetTokensFromRefreshToken",
                || {
                    self.transport
                        .get_tokens_from_refresh_token(request.clone())
                },
            )
            .await;
            match answer {
                Ok(tokens) => return Ok(tokens),
                Err(e) if lacks_operation(&e) => {
                    tracing::info!(
                        error = %e.chain(),
                        "the server has no GetTokensFromRefreshToken: refreshing with REFRESH_TOKEN_AUTH from now on"
                    );
                    self.refresh_via.set(LEGACY);
                }
                Err(e) if may_lack_operation(&e) => {
                    let legacy = self
                        .legacy_refresh(refresh_token, username, device_key)
                        .await;
                    if answered_legacy(&legacy) {
                        tracing::info!(
                            error = %e.chain(),
                            "GetTokensFromRefreshToken failed where REFRESH_TOKEN_AUTH works: refreshing with it from now on"
                        );
                        self.refresh_via.set(LEGACY_PROBED);
                        return legacy;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        let answer = self
            .legacy_refresh(refresh_token, username, device_key)
            .await;
        if via == LEGACY_PROBED && matches!(answer, Err(Error::InvalidParameter { .. })) {
            tracing::debug!(
                "REFRESH_TOKEN_AUTH was refused: trying GetTokensFromRefreshToken again next time"
            );
            self.refresh_via.set(CURRENT);
        }
        answer
    }

    /// `InitiateAuth(REFRESH_TOKEN_AUTH)`.
    async fn legacy_refresh(
        &self,
        refresh_token: &RefreshToken,
        username: &Option<Username>,
        device_key: Option<String>,
    ) -> Result<AuthTokens, Error> {
        if username.is_none() && self.transport.has_client_secret() {
            // SECRET_HASH is computed from the username: without one the call could only
            // be refused.
            return Err(Error::InvalidInput {
                field: "username",
                reason: "the app client has a secret: a refresh needs the username to \
                         compute SECRET_HASH"
                    .into(),
            });
        }
        let raw = refresh_token.raw().clone();
        let answer = with_retry(&self.config.retry, Replay::Safe, "InitiateAuth", || {
            self.transport.initiate_auth(
                InitiateAuth::RefreshToken {
                    refresh_token: raw.clone(),
                    username: username.clone(),
                    device_key: device_key.clone(),
                },
                ClientMetadata::new(),
            )
        })
        .await;
        match answer? {
            AuthOutcome::Tokens(tokens) => Ok(tokens),
            _ => Err(Error::MalformedResponse {
                operation: "InitiateAuth",
                reason: "a refresh was answered with a challenge".into(),
            }),
        }
    }
}
