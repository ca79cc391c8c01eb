//! The keys of one issuer: a snapshot read without a lock on every verification, and the
//! refetch behind it (one at a time, at most one per interval, in a task of its own).
//!
//! The snapshot is an `Arc<KeySet>` in an [`ArcSwap`]: a verification loads it (an atomic
//! read, no lock, no allocation) and a refetch replaces it whole, so that a reader sees
//! either the old set or the new one, and a key removed from the JWKS is gone with the
//! next set.
//!
//! A fetch runs in a spawned task, not in the future of the caller that needed it: callers
//! that miss while it runs wait on a `watch` channel for its outcome, and a caller that
//! is cancelled (its future dropped, e.g. an HTTP request whose client went away) cancels
//! neither the fetch nor the others' wait. The task ends on its own, bounded by the fetch
//! timeout, even when every waiter is gone. The state behind it (the last outcome, the
//! fetch in flight) is a plain mutex held for a few instructions, never across an await,
//! and taken only on a miss or when the keys have gone stale.
//!
//! With a maximum age, the keys go stale that long after the fetch that brought them; the
//! next verification starts a refetch in the background and goes on with the stale keys
//! (stale-while-revalidate), so that the hot path still never waits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::{JwksError, VerifyError, excerpt};
use crate::fetch::JwksFetcher;
use crate::jwks::KeySet;

/// A fetch's outcome as its waiters see it: `None` until it ends.
type Outcome = Option<Result<(), JwksError>>;

/// `stale_at` when the keys never go stale (no max age), or while a revalidation is under
/// way (its end sets the next time).
const NEVER: u64 = u64::MAX;

/// What the refetch remembers between calls.
#[derive(Default)]
struct RefetchState {
    /// When the last fetch finished, and whether it failed.
    last: Option<(Instant, Option<JwksError>)>,
    /// The fetch running now, if any: a caller that misses meanwhile waits on it.
    inflight: Option<watch::Receiver<Outcome>>,
}

/// The cached keys of one issuer.
pub(crate) struct IssuerKeys {
    pub(crate) issuer: String,
    pub(crate) jwks_uri: String,
    keys: ArcSwap<KeySet>,
    state: Mutex<RefetchState>,
    /// Fetches finished so far: a caller that read it before taking the state knows
    /// whether a fetch finished in between (and shares its outcome).
    fetches: AtomicU64,
    /// The origin of `stale_at`.
    epoch: Instant,
    /// When the keys go stale, in nanoseconds since `epoch` ([`NEVER`]: not now). An
    /// atomic, so that the hot path reads it without a lock.
    stale_at: AtomicU64,
}

/// How refetches are done, shared by every issuer of a verifier.
#[derive(Clone)]
pub(crate) struct Refetch {
    pub fetcher: Arc<dyn JwksFetcher>,
    pub interval: Duration,
    pub timeout: Duration,
    pub max_bytes: usize,
    /// `None`: the keys never go stale; a refetch happens for an unknown `kid` only.
    pub max_age: Option<Duration>,
}

/// Ends a fetch that did not finish (its task dropped, as when its runtime shuts down):
/// the next caller fetches again instead of waiting on it forever.
struct Unfinished<'a> {
    keys: &'a IssuerKeys,
    retry_in: Duration,
    finished: bool,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.keys.lock().inflight = None;
            self.keys.stale_in(Some(self.retry_in));
        }
    }
}

impl IssuerKeys {
    /// The keys of `issuer`; `keys` given at start-up go stale after `max_age`, like
    /// fetched ones.
    pub(crate) fn new(
        issuer: String,
        jwks_uri: String,
        keys: Option<KeySet>,
        max_age: Option<Duration>,
    ) -> Self {
        let given = keys.is_some();
        let this = Self {
            issuer,
            jwks_uri,
            keys: ArcSwap::from_pointee(keys.unwrap_or_else(KeySet::empty)),
            state: Mutex::new(RefetchState::default()),
            fetches: AtomicU64::new(0),
            epoch: Instant::now(),
            stale_at: AtomicU64::new(NEVER),
        };
        if given {
            this.stale_in(max_age);
        }
        this
    }

    /// The state. A panic cannot leave it half-changed (each change is one assignment),
    /// so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, RefetchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn nanos_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(NEVER - 1)
    }

    /// The keys go stale `after` from now (never, for `None`).
    fn stale_in(&self, after: Option<Duration>) {
        let at = after.map_or(NEVER, |d| {
            self.nanos_at(Instant::now())
                .saturating_add(u64::try_from(d.as_nanos()).unwrap_or(NEVER))
                .min(NEVER - 1)
        });
        self.stale_at.store(at, Ordering::Release);
    }

    /// Replaces the keys (a JWKS given by the service): as fresh as a fetched one.
    pub(crate) fn replace(&self, keys: KeySet, max_age: Option<Duration>) {
        self.keys.store(Arc::new(keys));
        self.stale_in(max_age);
    }

    /// The number of the current snapshot ([`KeySet::id`]).
    pub(crate) fn snapshot(&self) -> u64 {
        self.keys.load().id()
    }

    /// Verifies with the cached keys only: the number of the snapshot whose key verified
    /// the signature, or `None` when the keys lack `kid`.
    pub(crate) fn verify_cached(
        &self,
        kid: &str,
        signed: &[u8],
        signature: &[u8],
    ) -> Option<Result<u64, VerifyError>> {
        let keys = self.keys.load();
        keys.verify(kid, signed, signature, &self.issuer)
            .map(|outcome| outcome.map(|()| keys.id()))
    }

    /// The refusal of a `kid` that is not in the keys.
    pub(crate) fn unknown(&self, kid: &str) -> VerifyError {
        VerifyError::UnknownKid {
            kid: excerpt(kid),
            issuer: self.issuer.clone(),
        }
    }

    /// Verifies with the cached keys, refetching them once when they lack `kid`; the
    /// number of the snapshot that verified.
    pub(crate) async fn verify(
        self: &Arc<Self>,
        kid: &str,
        signed: &[u8],
        signature: &[u8],
        refetch: Option<&Refetch>,
    ) -> Result<u64, VerifyError> {
        // Read before the snapshot: a fetch that finishes after this read is one this
        // caller may share.
        let seen = self.fetches.load(Ordering::Acquire);
        if let Some(outcome) = self.verify_cached(kid, signed, signature) {
            return outcome;
        }
        let Some(refetch) = refetch else {
            return Err(self.unknown(kid));
        };
        self.refresh(seen, refetch, |keys| keys.contains(kid))
            .await
            .map_err(|source| VerifyError::Jwks {
                issuer: self.issuer.clone(),
                source,
            })?;
        self.verify_cached(kid, signed, signature)
            .unwrap_or_else(|| Err(self.unknown(kid)))
    }

    /// Fetches the keys and waits for the outcome, unless a fetch finished since `seen`,
    /// or the last one finished less than the interval ago (the "penalty box": a stream of
    /// tokens with unknown `kid`s costs one fetch per interval, not one each), or
    /// `satisfied` says the current keys already do. A fetch already running is joined.
    pub(crate) async fn refresh(
        self: &Arc<Self>,
        seen: u64,
        refetch: &Refetch,
        satisfied: impl Fn(&KeySet) -> bool,
    ) -> Result<(), JwksError> {
        let mut running = {
            let mut state = self.lock();
            match &state.inflight {
                Some(running) => running.clone(),
                None => {
                    let shared = self.fetches.load(Ordering::Acquire) != seen;
                    let boxed = state
                        .last
                        .as_ref()
                        .is_some_and(|(at, _)| at.elapsed() < refetch.interval);
                    if shared || boxed || satisfied(&self.keys.load()) {
                        return match &state.last {
                            Some((_, Some(error))) => Err(error.clone()),
                            _ => Ok(()),
                        };
                    }
                    self.start_fetch(&mut state, refetch)
                        .ok_or(JwksError::NoRuntime)?
                }
            }
        };
        // The task always sends before it ends; a closed channel without an outcome is a
        // task dropped unfinished (its runtime shut down).
        match running.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or(Err(JwksError::NoRuntime)),
            Err(_closed) => Err(JwksError::NoRuntime),
        }
    }

    /// When the keys are older than the max age, starts a refetch in the background and
    /// returns at once: the caller goes on with the keys it has. Lock-free unless the
    /// keys are stale, and then for one caller only.
    pub(crate) fn revalidate_if_stale(self: &Arc<Self>, refetch: &Refetch) {
        if refetch.max_age.is_none() {
            return;
        }
        let due = self.stale_at.load(Ordering::Acquire);
        if due == NEVER || self.nanos_at(Instant::now()) < due {
            return;
        }
        // One caller wins the revalidation; the others go on without it.
        if self
            .stale_at
            .compare_exchange(due, NEVER, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let mut state = self.lock();
        if state.inflight.is_some() {
            // Its end sets the next time.
            return;
        }
        if let Some((at, _)) = &state.last
            && at.elapsed() < refetch.interval
        {
            // The penalty box: a failed (or very recent) fetch is retried when it ends.
            // Set only if nothing else set it meanwhile.
            let retry = at
                .checked_add(refetch.interval)
                .map_or(NEVER - 1, |end| self.nanos_at(end).min(NEVER - 1));
            let _ =
                self.stale_at
                    .compare_exchange(NEVER, retry, Ordering::AcqRel, Ordering::Acquire);
            return;
        }
        if self.start_fetch(&mut state, refetch).is_none() {
            // No runtime to fetch on (`verify_sync` outside Tokio): try again later.
            drop(state);
            self.stale_in(Some(refetch.interval));
        }
    }

    /// Starts a fetch in a task of its own, recorded as the one in flight; `None` without
    /// a Tokio runtime to run it on.
    fn start_fetch(
        self: &Arc<Self>,
        state: &mut RefetchState,
        refetch: &Refetch,
    ) -> Option<watch::Receiver<Outcome>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (done, running) = watch::channel(None);
        state.inflight = Some(running.clone());
        let keys = Arc::clone(self);
        let refetch = refetch.clone();
        // Detached on purpose: it ends by itself (fetch_timeout), waited on or not.
        drop(runtime.spawn(async move { keys.fetch(&refetch, &done).await }));
        Some(running)
    }

    /// The fetch task: fetch within the timeout, then record the outcome and tell the
    /// waiters.
    async fn fetch(&self, refetch: &Refetch, done: &watch::Sender<Outcome>) {
        let mut unfinished = Unfinished {
            keys: self,
            retry_in: refetch.interval,
            finished: false,
        };
        let outcome = match tokio::time::timeout(
            refetch.timeout,
            refetch.fetcher.fetch(&self.jwks_uri, refetch.max_bytes),
        )
        .await
        {
            Ok(Ok(body)) => KeySet::parse(&body, refetch.max_bytes),
            Ok(Err(error)) => Err(error),
            Err(_elapsed) => Err(JwksError::Timeout),
        };
        let result = {
            let mut state = self.lock();
            let result = match outcome {
                Ok(keys) => {
                    // Unchanged keys keep the snapshot, and so the verified-token cache.
                    if !self.keys.load().same_keys(&keys) {
                        self.keys.store(Arc::new(keys));
                    }
                    self.stale_in(refetch.max_age);
                    state.last = Some((Instant::now(), None));
                    Ok(())
                }
                Err(error) => {
                    // The previous keys stay: an unreachable JWKS does not undo what was
                    // read. The next background attempt waits out the interval.
                    self.stale_in(refetch.max_age.map(|_| refetch.interval));
                    state.last = Some((Instant::now(), Some(error.clone())));
                    Err(error)
                }
            };
            state.inflight = None;
            self.fetches.fetch_add(1, Ordering::Release);
            result
        };
        unfinished.finished = true;
        // Stored even when no one waits any more.
        done.send_replace(Some(result));
    }

    /// Fetches finished so far.
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Acquire)
    }
}
