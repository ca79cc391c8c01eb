//! The keys of one issuer: a snapshot read without a lock on every verification, and the
//! refetch behind it (one at a time, at most one per interval).
//!
//! The snapshot is an `Arc<KeySet>` in an [`ArcSwap`]: a verification loads it (an atomic
//! read, no lock, no allocation) and a refetch replaces it whole, so that a reader sees
//! either the old set or the new one, and a key removed from the JWKS is gone with the
//! next set. Only a miss (a `kid` the snapshot lacks) takes the refetch mutex, an async one
//! held across the fetch: callers that arrive during a fetch wait for it and then use its
//! outcome instead of fetching again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::time::Instant;

use crate::error::{JwksError, VerifyError, excerpt};
use crate::fetch::JwksFetcher;
use crate::jwks::KeySet;

/// What the refetch remembers between calls.
#[derive(Default)]
struct RefetchState {
    /// When the last fetch finished, and whether it failed.
    last: Option<(Instant, Option<JwksError>)>,
}

/// The cached keys of one issuer.
pub(crate) struct IssuerKeys {
    pub(crate) issuer: String,
    pub(crate) jwks_uri: String,
    keys: ArcSwap<KeySet>,
    refetch: tokio::sync::Mutex<RefetchState>,
    /// Fetches finished so far: a caller that read it before waiting for the mutex knows,
    /// once it holds the mutex, whether a fetch ran in between (and shares its outcome).
    fetches: AtomicU64,
}

/// How refetches are done, shared by every issuer of a verifier.
pub(crate) struct Refetch<'a> {
    pub fetcher: &'a dyn JwksFetcher,
    pub interval: Duration,
    pub timeout: Duration,
    pub max_bytes: usize,
}

impl IssuerKeys {
    pub(crate) fn new(issuer: String, jwks_uri: String, keys: Option<KeySet>) -> Self {
        Self {
            issuer,
            jwks_uri,
            keys: ArcSwap::from_pointee(keys.unwrap_or_else(KeySet::empty)),
            refetch: tokio::sync::Mutex::new(RefetchState::default()),
            fetches: AtomicU64::new(0),
        }
    }

    /// Replaces the keys (a JWKS given by the service).
    pub(crate) fn replace(&self, keys: KeySet) {
        self.keys.store(Arc::new(keys));
    }

    /// Verifies with the cached keys only; `None` when they lack `kid`.
    pub(crate) fn verify_cached(
        &self,
        kid: &str,
        signed: &[u8],
        signature: &[u8],
    ) -> Option<Result<(), VerifyError>> {
        self.keys
            .load()
            .verify(kid, signed, signature, &self.issuer)
    }

    /// The refusal of a `kid` that is not in the keys.
    pub(crate) fn unknown(&self, kid: &str) -> VerifyError {
        VerifyError::UnknownKid {
            kid: excerpt(kid),
            issuer: self.issuer.clone(),
        }
    }

    /// Verifies with the cached keys, refetching them once when they lack `kid`.
    pub(crate) async fn verify(
        &self,
        kid: &str,
        signed: &[u8],
        signature: &[u8],
        refetch: Option<&Refetch<'_>>,
    ) -> Result<(), VerifyError> {
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

    /// Fetches the keys unless a fetch finished since `seen`, or the last one finished
    /// less than the interval ago (the "penalty box": a stream of tokens with unknown
    /// `kid`s costs one fetch per interval, not one each). `satisfied` says whether the
    /// current keys already do (a caller that waited may find what it needs).
    pub(crate) async fn refresh(
        &self,
        seen: u64,
        refetch: &Refetch<'_>,
        satisfied: impl Fn(&KeySet) -> bool,
    ) -> Result<(), JwksError> {
        let mut state = self.refetch.lock().await;
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
        // Recorded only when the fetch finished: a caller dropped mid-fetch leaves no
        // trace, and the next caller fetches.
        let result = match outcome {
            Ok(keys) => {
                self.keys.store(Arc::new(keys));
                state.last = Some((Instant::now(), None));
                Ok(())
            }
            Err(error) => {
                // The previous keys stay: an unreachable JWKS does not undo what was read.
                state.last = Some((Instant::now(), Some(error.clone())));
                Err(error)
            }
        };
        self.fetches.fetch_add(1, Ordering::Release);
        result
    }

    /// Fetches finished so far.
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Acquire)
    }
}
