//! Sign-ins in progress: pending SRP attempts (named by their SECRET_BLOCK), challenge
//! sessions (the `Session` of NEW_PASSWORD_REQUIRED, the MFA challenges, DEVICE_SRP_AUTH)
//! and pending device sign-ins (DEVICE_SRP_AUTH answered, DEVICE_PASSWORD_VERIFIER not
//! yet); and the wrong device passwords counted per device. All live in memory, expire
//! within minutes, and a pending SRP attempt or device sign-in is used at most once. A
//! restart forgets them, which only means the client starts its sign-in again (and that
//! a device's counted failures start from zero).
//!
//! The tables are bounded so that unanswered `InitiateAuth` calls cannot pin memory or lock
//! other users out ([`PendingLimits`]): per user (a new attempt evicts that user's oldest,
//! so a flood aimed at one user costs that user only), per app client and in total (count
//! and an estimate of the bytes held; beyond those, new sign-ins of that client, or of
//! everyone, are refused with `TooManyRequestsException` until entries expire). Entries are
//! kept in expiry order, so expired ones are dropped on every insert and by the server's
//! periodic sweep, not only when a table is full.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{ApiError, ExceptionName};
use crate::srp_glue::{DeviceStep, ServerStep, StoredVerifier};
use crate::util;

/// Bounds of the sign-ins kept in progress (pending SRP attempts and challenge sessions;
/// each table has its own copy of these bounds).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingLimits {
    /// Sign-ins in progress per user (pool and user); a new one evicts the user's oldest
    /// (default 10).
    pub per_user: usize,
    /// Sign-ins in progress per app client; beyond it the client's new sign-ins are refused
    /// (default 10,000).
    pub per_client: usize,
    /// Sign-ins in progress in all (default 100,000).
    pub max_entries: usize,
    /// Estimated bytes held by the sign-ins in progress (default 64 MiB).
    pub max_bytes: usize,
}

impl Default for PendingLimits {
    fn default() -> Self {
        Self {
            per_user: 10,
            per_client: 10_000,
            max_entries: 100_000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

impl PendingLimits {
    /// Sets the per-user bound (at least 1).
    pub fn with_per_user(mut self, n: usize) -> Self {
        self.per_user = n.max(1);
        self
    }

    /// Sets the per-client bound (at least 1).
    pub fn with_per_client(mut self, n: usize) -> Self {
        self.per_client = n.max(1);
        self
    }

    /// Sets the total count and byte bounds.
    pub fn with_totals(mut self, max_entries: usize, max_bytes: usize) -> Self {
        self.max_entries = max_entries.max(1);
        self.max_bytes = max_bytes;
        self
    }
}

/// How many sign-ins are in progress and what they hold (for diagnostics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PendingStats {
    /// Pending SRP attempts (InitiateAuth answered, RespondToAuthChallenge not yet).
    pub srp_attempts: usize,
    /// Estimated bytes held by the pending SRP attempts.
    pub srp_bytes: usize,
    /// Open challenge sessions (NEW_PASSWORD_REQUIRED and the MFA challenges).
    pub challenges: usize,
    /// Estimated bytes held by the challenge sessions.
    pub challenge_bytes: usize,
    /// Pending device sign-ins (DEVICE_SRP_AUTH answered, DEVICE_PASSWORD_VERIFIER not
    /// yet).
    pub device_attempts: usize,
    /// Estimated bytes held by the pending device sign-ins.
    pub device_bytes: usize,
    /// Devices with wrong device passwords counted against them.
    pub device_failures: usize,
}

/// Heap held by a `ServerStep` besides its inline size: `B` as hex (768 digits) and as a
/// number (384 bytes), the salt, allocator rounding.
const STEP_HEAP_BYTES: usize = 1_280;
/// What the indexes of one entry cost: the expiry tree node, the per-user queue slot, the
/// hash map slots and their load factor.
const INDEX_BYTES: usize = 160;

/// One SRP attempt between InitiateAuth and RespondToAuthChallenge.
#[derive(Debug)]
pub(crate) struct PendingSrp {
    pub pool_id: String,
    pub client_id: String,
    pub sub: String,
    pub username: String,
    pub srp_a: String,
    pub step: ServerStep,
    /// The `DEVICE_KEY` of InitiateAuth's AuthParameters, if any: the device the sign-in
    /// names when the PASSWORD_VERIFIER answer does not name one itself.
    pub device_key: Option<String>,
    pub expires: Instant,
}

/// One device sign-in between DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER.
#[derive(Debug)]
pub(crate) struct PendingDevice {
    pub pool_id: String,
    pub client_id: String,
    pub sub: String,
    /// The user's credential generation when the password was checked.
    pub cred_gen: i64,
    pub device_key: String,
    pub group_key: String,
    pub srp_a: String,
    /// The SECRET_BLOCK handed out with DEVICE_PASSWORD_VERIFIER, echoed by the answer.
    pub secret_block: Vec<u8>,
    pub step: DeviceStep,
    pub expires: Instant,
}

/// One challenge session (NEW_PASSWORD_REQUIRED, SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP,
/// SELECT_MFA_TYPE, MFA_SETUP).
#[derive(Debug, Clone)]
pub(crate) struct PendingChallenge {
    pub pool_id: String,
    pub client_id: String,
    pub sub: String,
    pub challenge: &'static str,
    /// The user's credential generation when the challenge was opened (`store::User`).
    pub cred_gen: i64,
    /// The code sent for SMS_MFA and EMAIL_OTP.
    pub code: Option<SentCode>,
    /// The factors SELECT_MFA_TYPE offers.
    pub choices: Vec<&'static str>,
    /// Wrong codes answered in this session so far.
    pub failures: u32,
    /// What the session stands for: the same challenge name (EMAIL_OTP) is a second factor
    /// after a password or a first factor of USER_AUTH.
    pub purpose: ChallengePurpose,
    /// For DEVICE_SRP_AUTH: the device the sign-in named, the only one its answer may
    /// name.
    pub device_key: Option<String>,
}

/// What a challenge session was opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ChallengePurpose {
    /// A step after a checked password (NEW_PASSWORD_REQUIRED, the MFA challenges).
    #[default]
    AfterPassword,
    /// A first factor of USER_AUTH (SELECT_CHALLENGE, PASSWORD, PASSWORD_SRP, EMAIL_OTP,
    /// SMS_OTP): nothing is proven yet.
    FirstFactor,
    /// The `Session` of SignUp: named again by ConfirmSignUp, answers nothing.
    SignUp,
    /// The `Session` of ConfirmSignUp: one USER_AUTH sign-in with no further proof.
    SignInAfterSignUp,
}

impl PendingChallenge {
    /// A challenge with no code and no choices.
    pub(crate) fn new(
        pool_id: &str,
        client_id: &str,
        sub: &str,
        challenge: &'static str,
        cred_gen: i64,
    ) -> Self {
        Self {
            pool_id: pool_id.to_owned(),
            client_id: client_id.to_owned(),
            sub: sub.to_owned(),
            challenge,
            cred_gen,
            code: None,
            choices: Vec::new(),
            failures: 0,
            purpose: ChallengePurpose::default(),
            device_key: None,
        }
    }
}

/// A sign-in code sent by SMS or email; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SentCode(pub String);

impl std::fmt::Debug for SentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SentCode(<redacted>)")
    }
}

type Key = [u8; 32];
/// (pool id, sub): whose sign-in it is.
type UserKey = (String, String);

#[derive(Debug)]
struct Slot<V> {
    value: V,
    user: UserKey,
    client: String,
    expires: Instant,
    seq: u64,
    bytes: usize,
}

/// Why an entry was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Client,
    Total,
}

/// A table of entries with an expiry, bounded per user, per client, in count and in bytes.
#[derive(Debug)]
struct Table<V> {
    entries: HashMap<Key, Slot<V>>,
    by_expiry: BTreeMap<(Instant, u64), Key>,
    /// Each user's entries, oldest first.
    by_user: HashMap<UserKey, VecDeque<Key>>,
    by_client: HashMap<String, usize>,
    bytes: usize,
    seq: u64,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            by_expiry: BTreeMap::new(),
            by_user: HashMap::new(),
            by_client: HashMap::new(),
            bytes: 0,
            seq: 0,
        }
    }
}

impl<V> Table<V> {
    /// Drops every entry expired at `now`; returns how many.
    fn sweep(&mut self, now: Instant) -> usize {
        let mut dropped = 0;
        while let Some((&(expires, _), &key)) = self.by_expiry.first_key_value() {
            if expires > now {
                break;
            }
            self.remove(&key);
            dropped += 1;
        }
        dropped
    }

    /// Removes an entry and its index entries.
    fn remove(&mut self, key: &Key) -> Option<Slot<V>> {
        let slot = self.entries.remove(key)?;
        self.by_expiry.remove(&(slot.expires, slot.seq));
        if let Some(queue) = self.by_user.get_mut(&slot.user) {
            queue.retain(|k| k != key);
            if queue.is_empty() {
                self.by_user.remove(&slot.user);
            }
        }
        // Saturating, as a recovered poisoned lock may show counts a panic left behind
        // (see `state`): they stay usable rather than panic again.
        if let Some(count) = self.by_client.get_mut(&slot.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.by_client.remove(&slot.client);
            }
        }
        self.bytes = self.bytes.saturating_sub(slot.bytes);
        Some(slot)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        key: Key,
        user: UserKey,
        client: &str,
        expires: Instant,
        bytes: usize,
        value: V,
        limits: &PendingLimits,
    ) -> Result<(), Refusal> {
        self.sweep(Instant::now());
        // The user's own oldest attempts make room: a flood aimed at one user stays with
        // that user.
        while let Some(oldest) = self
            .by_user
            .get(&user)
            .filter(|q| q.len() >= limits.per_user)
            .and_then(|q| q.front().copied())
        {
            self.remove(&oldest);
        }
        if self.by_client.get(client).copied().unwrap_or(0) >= limits.per_client {
            return Err(Refusal::Client);
        }
        if self.entries.len() >= limits.max_entries
            || self.bytes.saturating_add(bytes) > limits.max_bytes
        {
            return Err(Refusal::Total);
        }
        self.seq += 1;
        let seq = self.seq;
        self.by_expiry.insert((expires, seq), key);
        self.by_user.entry(user.clone()).or_default().push_back(key);
        let count = self.by_client.entry(client.to_owned()).or_default();
        *count = count.saturating_add(1);
        self.bytes = self.bytes.saturating_add(bytes);
        self.entries.insert(
            key,
            Slot {
                value,
                user,
                client: client.to_owned(),
                expires,
                seq,
                bytes,
            },
        );
        Ok(())
    }

    /// Takes a live entry out.
    fn take(&mut self, key: &Key, now: Instant) -> Option<V> {
        let slot = self.remove(key)?;
        (slot.expires > now).then_some(slot.value)
    }

    fn get_mut(&mut self, key: &Key, now: Instant) -> Option<&mut V> {
        self.entries
            .get_mut(key)
            .filter(|s| s.expires > now)
            .map(|s| &mut s.value)
    }

    fn get(&self, key: &Key, now: Instant) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|s| s.expires > now)
            .map(|s| &s.value)
    }

    fn user_count(&self, user: &UserKey) -> usize {
        self.by_user.get(user).map_or(0, VecDeque::len)
    }
}

/// The estimated bytes of an entry: inline size, its strings, its indexes.
fn entry_bytes<V>(strings: &[&str], extra_heap: usize) -> usize {
    std::mem::size_of::<Slot<V>>()
        + strings.iter().map(|s| s.len()).sum::<usize>() * 2
        + extra_heap
        + INDEX_BYTES
}

/// The key of a device's failure count: device keys are unique within a pool.
fn device_failure_key(pool_id: &str, device_key: &str) -> Key {
    util::sha256(format!("{pool_id}\n{device_key}").as_bytes())
}

fn refusal_error(r: Refusal) -> ApiError {
    match r {
        Refusal::Client => ApiError::new(
            ExceptionName::TooManyRequests,
            "Too many sign-ins in progress for this app client; try again later.",
        ),
        Refusal::Total => ApiError::new(
            ExceptionName::TooManyRequests,
            "Too many sign-ins in progress; try again later.",
        ),
    }
}

/// The in-memory tables of sign-ins in progress. `Debug` shows counts only (never the key
/// of the throwaway verifiers).
pub(crate) struct Pending {
    srp: Mutex<Table<PendingSrp>>,
    challenges: Mutex<Table<PendingChallenge>>,
    devices: Mutex<Table<PendingDevice>>,
    /// Wrong device passwords per device (by [`device_failure_key`]), each entry expiring
    /// a while after its latest failure.
    device_failures: Mutex<Table<u32>>,
    limits: PendingLimits,
    /// The bounds of `device_failures`: the totals of `limits` only. A per-user or
    /// per-client bound would let failures on some devices evict the count of another.
    failure_limits: PendingLimits,
    /// Key of the throwaway verifiers of unknown users (random per server run).
    fake_key: [u8; 32],
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("stats", &self.stats())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Pending {
    pub(crate) fn new(limits: PendingLimits) -> Result<Self, ApiError> {
        let failure_limits = PendingLimits {
            per_user: limits.max_entries,
            per_client: limits.max_entries,
            ..limits.clone()
        };
        Ok(Self {
            srp: Mutex::default(),
            challenges: Mutex::default(),
            devices: Mutex::default(),
            device_failures: Mutex::default(),
            limits,
            failure_limits,
            fake_key: util::random_bytes::<32>()?,
        })
    }

    /// Registers an SRP attempt; returns the SECRET_BLOCK (standard base64) that names it.
    pub(crate) fn add_srp(&self, attempt: PendingSrp) -> Result<String, ApiError> {
        let block = util::random_bytes::<64>()?;
        let key = util::sha256(&block);
        let bytes = entry_bytes::<PendingSrp>(
            &[
                &attempt.pool_id,
                &attempt.client_id,
                &attempt.sub,
                &attempt.username,
                &attempt.srp_a,
                attempt.device_key.as_deref().unwrap_or_default(),
            ],
            STEP_HEAP_BYTES,
        );
        let user = (attempt.pool_id.clone(), attempt.sub.clone());
        let client = attempt.client_id.clone();
        let expires = attempt.expires;
        self.srp
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, user, &client, expires, bytes, attempt, &self.limits)
            .map_err(refusal_error)?;
        Ok(util::b64(&block))
    }

    /// Takes (removes) the attempt named by a decoded SECRET_BLOCK, if it is still valid.
    pub(crate) fn take_srp(&self, secret_block: &[u8]) -> Option<PendingSrp> {
        let key = util::sha256(secret_block);
        self.srp
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(&key, Instant::now())
    }

    /// Opens a challenge session; returns the `Session` string.
    pub(crate) fn add_challenge(
        &self,
        pool_id: &str,
        client_id: &str,
        sub: &str,
        challenge: &'static str,
        cred_gen: i64,
        validity: Duration,
    ) -> Result<String, ApiError> {
        let value = PendingChallenge::new(pool_id, client_id, sub, challenge, cred_gen);
        self.open_challenge(value, validity)
    }

    /// Opens a challenge session for `value`; returns the `Session` string.
    pub(crate) fn open_challenge(
        &self,
        value: PendingChallenge,
        validity: Duration,
    ) -> Result<String, ApiError> {
        let raw = util::random_bytes::<96>()?;
        let session = util::b64(&raw);
        let key = util::sha256(session.as_bytes());
        let expires = util::instant_after(validity);
        let bytes = entry_bytes::<PendingChallenge>(
            &[
                &value.pool_id,
                &value.client_id,
                &value.sub,
                value.device_key.as_deref().unwrap_or_default(),
            ],
            value.code.as_ref().map_or(0, |c| c.0.len()) + value.choices.len() * 16,
        );
        let user = (value.pool_id.clone(), value.sub.clone());
        let client = value.client_id.clone();
        self.challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, user, &client, expires, bytes, value, &self.limits)
            .map_err(refusal_error)?;
        Ok(session)
    }

    /// Counts a wrong answer to a challenge session; at `max` wrong answers the session is
    /// closed. Returns whether it is still open.
    pub(crate) fn challenge_failed(&self, session: &str, max: u32) -> bool {
        let key = util::sha256(session.as_bytes());
        let mut table = self
            .challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(pending) = table.get_mut(&key, Instant::now()) else {
            return false;
        };
        pending.failures = pending.failures.saturating_add(1);
        if pending.failures >= max {
            table.remove(&key);
            return false;
        }
        true
    }

    /// Looks a challenge session up (it stays open until [`Self::close_challenge`]).
    pub(crate) fn challenge(&self, session: &str) -> Option<PendingChallenge> {
        let key = util::sha256(session.as_bytes());
        self.challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key, Instant::now())
            .cloned()
    }

    /// Takes (removes) a live challenge session: of two callers racing for one session,
    /// one gets it. For sessions that may be used once whatever the outcome.
    pub(crate) fn take_challenge(&self, session: &str) -> Option<PendingChallenge> {
        let key = util::sha256(session.as_bytes());
        self.challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(&key, Instant::now())
    }

    /// Closes a challenge session after it was answered.
    pub(crate) fn close_challenge(&self, session: &str) {
        let key = util::sha256(session.as_bytes());
        self.challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
    }

    /// Registers a device sign-in; returns the `Session` that names it.
    pub(crate) fn add_device(&self, attempt: PendingDevice) -> Result<String, ApiError> {
        let session = util::b64(&util::random_bytes::<96>()?);
        let key = util::sha256(session.as_bytes());
        let bytes = entry_bytes::<PendingDevice>(
            &[
                &attempt.pool_id,
                &attempt.client_id,
                &attempt.sub,
                &attempt.device_key,
                &attempt.group_key,
                &attempt.srp_a,
            ],
            STEP_HEAP_BYTES + attempt.secret_block.len(),
        );
        let user = (attempt.pool_id.clone(), attempt.sub.clone());
        let client = attempt.client_id.clone();
        let expires = attempt.expires;
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, user, &client, expires, bytes, attempt, &self.limits)
            .map_err(refusal_error)?;
        Ok(session)
    }

    /// Takes (removes) the device sign-in a `Session` names, if it is still valid: used at
    /// most once, right or wrong.
    pub(crate) fn take_device(&self, session: &str) -> Option<PendingDevice> {
        let key = util::sha256(session.as_bytes());
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(&key, Instant::now())
    }

    /// The wrong device passwords counted against a device (0 once they expired).
    pub(crate) fn device_failures(&self, pool_id: &str, device_key: &str) -> u32 {
        let key = device_failure_key(pool_id, device_key);
        self.device_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key, Instant::now())
            .copied()
            .unwrap_or(0)
    }

    /// Counts a wrong device password against the device, remembered for `memory` after
    /// this failure; returns the count. If the table is full the failure is not
    /// recorded (the answer is refused anyway): filling it takes that many devices
    /// confirmed by users whose passwords are known.
    pub(crate) fn device_failed(
        &self,
        pool_id: &str,
        sub: &str,
        device_key: &str,
        memory: Duration,
    ) -> u32 {
        let key = device_failure_key(pool_id, device_key);
        let now = Instant::now();
        let mut table = self
            .device_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = table.take(&key, now).unwrap_or(0).saturating_add(1);
        let user = (pool_id.to_owned(), sub.to_owned());
        let bytes = entry_bytes::<u32>(&[pool_id, sub], 0);
        // Refused only when full; see above.
        let _ = table.insert(
            key,
            user,
            "",
            util::instant_after(memory),
            bytes,
            count,
            &self.failure_limits,
        );
        count
    }

    /// Forgets a device's counted failures (its right password was given).
    pub(crate) fn device_succeeded(&self, pool_id: &str, device_key: &str) {
        let key = device_failure_key(pool_id, device_key);
        self.device_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
    }

    /// Drops everything expired (the server's periodic sweep); returns how many.
    pub(crate) fn sweep(&self) -> usize {
        let now = Instant::now();
        let srp = self
            .srp
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sweep(now);
        let challenges = self
            .challenges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sweep(now);
        let devices = self
            .devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sweep(now);
        let failures = self
            .device_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sweep(now);
        srp + challenges + devices + failures
    }

    /// Counts and bytes of what is in progress.
    pub(crate) fn stats(&self) -> PendingStats {
        let (srp_attempts, srp_bytes) = {
            let t = self.srp.lock().unwrap_or_else(PoisonError::into_inner);
            (t.entries.len(), t.bytes)
        };
        let (challenges, challenge_bytes) = {
            let t = self
                .challenges
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            (t.entries.len(), t.bytes)
        };
        let (device_attempts, device_bytes) = {
            let t = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
            (t.entries.len(), t.bytes)
        };
        let device_failures = self
            .device_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len();
        PendingStats {
            srp_attempts,
            srp_bytes,
            challenges,
            challenge_bytes,
            device_attempts,
            device_bytes,
            device_failures,
        }
    }

    /// Pending SRP attempts of one user.
    pub(crate) fn srp_attempts_of(&self, pool_id: &str, sub: &str) -> usize {
        self.srp
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .user_count(&(pool_id.to_owned(), sub.to_owned()))
    }

    /// The throwaway verifier of an unknown user (PreventUserExistenceErrors): derived from
    /// a per-run key, the pool and the user's lookup key, so the same name always gets the
    /// same SALT (like a real user, whose salt is stored) and no state is kept. Costs no
    /// exponentiation: the challenge built from it costs what a real user's costs (one, for
    /// `B`), so unknown names are no cheaper a lever than known ones, and nothing is stored.
    pub(crate) fn fake_verifier(&self, pool_id: &str, user_key: &str) -> StoredVerifier {
        let block = |label: u8| -> [u8; 32] {
            use hmac::{KeyInit as _, Mac as _};
            // HMAC takes keys of any length: `new_from_slice` cannot fail here.
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.fake_key)
                .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
            mac.update(&[label]);
            mac.update(pool_id.as_bytes());
            mac.update(&[0]);
            mac.update(user_key.as_bytes());
            let mut out = [0u8; 32];
            out.copy_from_slice(&mac.finalize().into_bytes());
            out
        };
        let salt = block(0)[..16].to_vec();
        // 256 bytes: below N (384 bytes), never zero in practice; only `B` derived from it is
        // ever shown, and `B` is masked by the random `g^b`.
        let mut verifier = Vec::with_capacity(256);
        for i in 1..=8u8 {
            verifier.extend_from_slice(&block(i));
        }
        verifier[0] |= 0x80;
        StoredVerifier { salt, verifier }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: usize) -> UserKey {
        ("pool".to_owned(), format!("user-{n}"))
    }

    fn key(n: u64) -> Key {
        util::sha256(&n.to_le_bytes())
    }

    fn limits(per_user: usize, per_client: usize, total: usize, bytes: usize) -> PendingLimits {
        PendingLimits::default()
            .with_per_user(per_user)
            .with_per_client(per_client)
            .with_totals(total, bytes)
    }

    #[test]
    fn a_flood_for_one_user_evicts_that_users_oldest_only() {
        let l = limits(3, 1_000, 1_000, usize::MAX);
        let mut t = Table::<u64>::default();
        let later = Instant::now() + Duration::from_secs(300);
        t.insert(key(0), user(1), "c", later, 10, 0, &l).unwrap();
        for n in 1..=500u64 {
            t.insert(key(n), user(0), "c", later, 10, n, &l).unwrap();
        }
        assert_eq!(t.user_count(&user(0)), 3);
        assert_eq!(t.entries.len(), 4);
        assert_eq!(t.bytes, 40);
        // The newest of the flooded user and the other user's attempt are still there.
        assert_eq!(t.take(&key(500), Instant::now()), Some(500));
        assert_eq!(t.take(&key(1), Instant::now()), None);
        assert_eq!(t.take(&key(0), Instant::now()), Some(0));
        assert_eq!(t.by_expiry.len(), t.entries.len());
    }

    #[test]
    fn client_count_and_byte_bounds_refuse() {
        let later = Instant::now() + Duration::from_secs(300);
        let l = limits(10, 2, 100, usize::MAX);
        let mut t = Table::<u64>::default();
        t.insert(key(1), user(1), "a", later, 1, 1, &l).unwrap();
        t.insert(key(2), user(2), "a", later, 1, 2, &l).unwrap();
        assert_eq!(
            t.insert(key(3), user(3), "a", later, 1, 3, &l),
            Err(Refusal::Client)
        );
        t.insert(key(4), user(3), "b", later, 1, 4, &l).unwrap();

        let l = limits(10, 100, 100, 25);
        let mut t = Table::<u64>::default();
        t.insert(key(1), user(1), "a", later, 10, 1, &l).unwrap();
        t.insert(key(2), user(2), "a", later, 10, 2, &l).unwrap();
        assert_eq!(
            t.insert(key(3), user(3), "a", later, 10, 3, &l),
            Err(Refusal::Total)
        );
        assert!(t.bytes <= 25);
    }

    #[test]
    fn expired_entries_go_on_sweep_and_on_insert() {
        let l = limits(10, 100, 3, usize::MAX);
        let mut t = Table::<u64>::default();
        let past = Instant::now();
        let later = past + Duration::from_secs(300);
        for n in 0..3 {
            t.insert(key(n), user(n as usize), "a", past, 1, n, &l)
                .unwrap();
        }
        // Full of expired entries: an insert sweeps them first instead of refusing.
        t.insert(key(9), user(9), "a", later, 1, 9, &l).unwrap();
        assert_eq!(t.entries.len(), 1);
        assert_eq!(t.by_user.len(), 1);
        assert_eq!(t.by_client.get("a"), Some(&1));
        t.insert(key(10), user(10), "a", past, 1, 10, &l).unwrap();
        assert_eq!(t.sweep(Instant::now()), 1);
        assert_eq!(t.entries.len(), 1);
        assert_eq!(t.bytes, 1);
    }

    #[test]
    fn device_sign_ins_and_failures_are_counted_swept_and_taken_once() {
        let p = Pending::new(PendingLimits::default()).unwrap();
        let attempt = |expires: Instant| PendingDevice {
            pool_id: "pool".into(),
            client_id: "c".into(),
            sub: "s".into(),
            cred_gen: 0,
            device_key: "us-east-1_d".into(),
            group_key: "-g".into(),
            srp_a: "0a".into(),
            secret_block: vec![7; 64],
            step: DeviceStep::start(&p.fake_verifier("pool", "d")).unwrap(),
            expires,
        };
        let live = p
            .add_device(attempt(Instant::now() + Duration::from_secs(300)))
            .unwrap();
        p.add_device(attempt(Instant::now())).unwrap();
        assert_eq!(p.stats().device_attempts, 2);
        // The janitor's sweep drops the expired one.
        assert_eq!(p.sweep(), 1);
        assert_eq!(p.stats().device_attempts, 1);
        assert!(p.take_device(&live).is_some());
        assert!(p.take_device(&live).is_none(), "used once");
        assert_eq!(p.stats().device_bytes, 0);

        let memory = Duration::from_secs(300);
        assert_eq!(p.device_failed("pool", "s", "us-east-1_d", memory), 1);
        assert_eq!(p.device_failed("pool", "s", "us-east-1_d", memory), 2);
        assert_eq!(p.device_failures("pool", "us-east-1_d"), 2);
        assert_eq!(p.device_failures("other", "us-east-1_d"), 0);
        p.device_succeeded("pool", "us-east-1_d");
        assert_eq!(p.device_failures("pool", "us-east-1_d"), 0);
        p.device_failed("pool", "s", "us-east-1_d", Duration::ZERO);
        assert_eq!(p.device_failures("pool", "us-east-1_d"), 0, "expired");
        assert_eq!(p.sweep(), 1);
        assert_eq!(p.stats(), PendingStats::default());
    }

    #[test]
    fn fake_verifiers_are_stable_per_name_and_differ_between_names() {
        let p = Pending::new(PendingLimits::default()).unwrap();
        let a = p.fake_verifier("us-east-1_x", "alice");
        assert_eq!(a, p.fake_verifier("us-east-1_x", "alice"));
        assert_ne!(a.salt, p.fake_verifier("us-east-1_x", "bob").salt);
        assert_ne!(a.salt, p.fake_verifier("us-east-1_y", "alice").salt);
        assert_eq!(a.salt.len(), 16);
        assert_eq!(a.verifier.len(), 256);
        // A challenge can be built from it; nothing is stored.
        let step = ServerStep::start(&a).unwrap();
        assert!(!step.b_hex().is_empty());
        assert_eq!(p.stats(), PendingStats::default());
    }
}
