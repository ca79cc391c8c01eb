//! Sign-ins in progress: pending SRP attempts (named by their SECRET_BLOCK) and challenge
//! sessions (the `Session` of NEW_PASSWORD_REQUIRED). Both live in memory, expire within
//! minutes, and a pending SRP attempt is used at most once. A restart forgets them, which
//! only means the client starts its sign-in again.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::srp_glue::ServerStep;
use crate::util;

/// Most pending sign-ins kept at once; beyond that new ones are refused.
const CAPACITY: usize = 200_000;

/// One SRP attempt between InitiateAuth and RespondToAuthChallenge.
#[derive(Debug)]
pub(crate) struct PendingSrp {
    pub pool_id: String,
    pub client_id: String,
    pub sub: String,
    pub username: String,
    pub srp_a: String,
    pub step: ServerStep,
    pub expires: Instant,
}

/// One challenge session (NEW_PASSWORD_REQUIRED).
#[derive(Debug, Clone)]
pub(crate) struct PendingChallenge {
    pub pool_id: String,
    pub client_id: String,
    pub sub: String,
    pub challenge: &'static str,
    pub expires: Instant,
}

/// The in-memory table of sign-ins in progress.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    srp: Mutex<HashMap<[u8; 32], PendingSrp>>,
    challenges: Mutex<HashMap<[u8; 32], PendingChallenge>>,
}

fn too_many() -> ApiError {
    ApiError::new(
        "TooManyRequestsException",
        "Too many sign-ins in progress; try again later.",
    )
}

impl Pending {
    /// Registers an SRP attempt; returns the SECRET_BLOCK (standard base64) that names it.
    pub(crate) fn add_srp(&self, attempt: PendingSrp) -> Result<String, ApiError> {
        let block = util::random_bytes::<64>()?;
        let key = util::sha256(&block);
        let mut map = self.srp.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= CAPACITY {
            let now = Instant::now();
            map.retain(|_, p| p.expires > now);
            if map.len() >= CAPACITY {
                return Err(too_many());
            }
        } else if map.len() % 256 == 255 {
            let now = Instant::now();
            map.retain(|_, p| p.expires > now);
        }
        map.insert(key, attempt);
        Ok(util::b64(&block))
    }

    /// Takes (removes) the attempt named by a decoded SECRET_BLOCK, if it is still valid.
    pub(crate) fn take_srp(&self, secret_block: &[u8]) -> Option<PendingSrp> {
        let key = util::sha256(secret_block);
        let attempt = self
            .srp
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key)?;
        (attempt.expires > Instant::now()).then_some(attempt)
    }

    /// Opens a challenge session; returns the `Session` string.
    pub(crate) fn add_challenge(
        &self,
        pool_id: &str,
        client_id: &str,
        sub: &str,
        challenge: &'static str,
        validity: Duration,
    ) -> Result<String, ApiError> {
        let raw = util::random_bytes::<96>()?;
        let session = util::b64(&raw);
        let key = util::sha256(session.as_bytes());
        let now = Instant::now();
        let mut map = self
            .challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= CAPACITY || map.len() % 256 == 255 {
            map.retain(|_, p| p.expires > now);
            if map.len() >= CAPACITY {
                return Err(too_many());
            }
        }
        map.insert(
            key,
            PendingChallenge {
                pool_id: pool_id.to_owned(),
                client_id: client_id.to_owned(),
                sub: sub.to_owned(),
                challenge,
                expires: now + validity,
            },
        );
        Ok(session)
    }

    /// Looks a challenge session up (it stays open until [`Self::close_challenge`]).
    pub(crate) fn challenge(&self, session: &str) -> Option<PendingChallenge> {
        let key = util::sha256(session.as_bytes());
        let map = self
            .challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(&key)
            .filter(|p| p.expires > Instant::now())
            .cloned()
    }

    /// Closes a challenge session after it was answered.
    pub(crate) fn close_challenge(&self, session: &str) {
        let key = util::sha256(session.as_bytes());
        self.challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
    }
}
