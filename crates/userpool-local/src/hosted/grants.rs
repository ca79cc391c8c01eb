//! Authorization codes: what `/oauth2/authorize` grants after a sign-in and
//! `/oauth2/token` redeems, once.
//!
//! Held in memory only, as Cognito's are short-lived: a code lives five minutes
//! ([`CODE_LIFETIME`], Cognito's documented validity) and is forgotten at its first
//! redemption, whether that succeeds or not (RFC 6749 §4.1.2: "The client MUST NOT use the
//! authorization code more than once"). Codes are UUIDs, as Cognito's are. The store holds
//! at most [`MAX_CODES`]; a flood of sign-ins evicts the oldest codes first, never grows
//! memory without bound.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::util;

/// How long a code may be redeemed.
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Most codes held at once, all pools together.
pub(crate) const MAX_CODES: usize = 10_000;

/// The PKCE challenge of an authorization request (RFC 7636).
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum CodeChallenge {
    /// `code_challenge_method=S256`: BASE64URL(SHA256(verifier)).
    S256(String),
    /// `code_challenge_method=plain` (or none given): the verifier itself.
    Plain(String),
}

/// What a code grants: who signed in, for which client and redirect, with which scopes.
#[derive(Clone)]
pub(crate) struct CodeGrant {
    pub pool_id: String,
    pub client_id: String,
    /// The user's `sub`.
    pub sub: String,
    /// The `redirect_uri` of the authorization request, which the token request must repeat.
    pub redirect_uri: String,
    /// The scopes granted (requested and allowed), in the order requested.
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub challenge: Option<CodeChallenge>,
    /// When the user signed in (seconds since the epoch): the tokens' `auth_time`.
    pub auth_time: i64,
}

// By hand: the nonce and the PKCE challenge stay out of logs.
impl std::fmt::Debug for CodeGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeGrant")
            .field("pool_id", &self.pool_id)
            .field("client_id", &self.client_id)
            .field("sub", &self.sub)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("nonce", &self.nonce.as_ref().map(|_| "<redacted>"))
            .field("challenge", &self.challenge.as_ref().map(|_| "<redacted>"))
            .field("auth_time", &self.auth_time)
            .finish()
    }
}

struct Entry {
    grant: CodeGrant,
    expires: Instant,
}

#[derive(Default)]
struct Inner {
    codes: HashMap<String, Entry>,
    /// Codes in the order issued, for eviction; may name codes already redeemed.
    order: VecDeque<String>,
}

/// The codes not yet redeemed.
#[derive(Default)]
pub(crate) struct Grants {
    inner: Mutex<Inner>,
}

// The codes are bearer secrets: only their count is shown.
impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants")
            .field("held", &self.lock().codes.len())
            .finish()
    }
}

impl Grants {
    /// Issues a code for `grant`.
    pub(crate) fn issue(&self, grant: CodeGrant) -> Result<String, ApiError> {
        let code = util::uuid_v4()?;
        self.insert(code.clone(), grant, Instant::now() + CODE_LIFETIME);
        Ok(code)
    }

    fn insert(&self, code: String, grant: CodeGrant, expires: Instant) {
        let mut inner = self.lock();
        while inner.codes.len() >= MAX_CODES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            inner.codes.remove(&oldest);
        }
        // Redeemed codes leave stale names in `order`: drop them once they outnumber the
        // live ones, so `order` stays within twice the live count.
        if inner.order.len() > 2 * inner.codes.len() + 64 {
            let Inner { codes, order } = &mut *inner;
            order.retain(|c| codes.contains_key(c));
        }
        inner.order.push_back(code.clone());
        inner.codes.insert(code, Entry { grant, expires });
    }

    /// Takes the code out of the store: its grant if it was issued and has not expired.
    /// A second redemption of the same code finds nothing.
    pub(crate) fn redeem(&self, code: &str) -> Option<CodeGrant> {
        let entry = self.lock().codes.remove(code)?;
        (Instant::now() < entry.expires).then_some(entry.grant)
    }

    /// Forgets expired codes (the janitor's round).
    pub(crate) fn prune(&self) {
        let now = Instant::now();
        let mut inner = self.lock();
        let Inner { codes, order } = &mut *inner;
        codes.retain(|_, e| e.expires > now);
        order.retain(|c| codes.contains_key(c));
    }

    /// How many codes are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().codes.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while the lock was held leaves whole entries only: go on with them.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(sub: &str) -> CodeGrant {
        CodeGrant {
            pool_id: "local_pool".into(),
            client_id: "client".into(),
            sub: sub.into(),
            redirect_uri: "http://127.0.0.1:1/cb".into(),
            scopes: vec!["openid".into()],
            nonce: Some("n".into()),
            challenge: Some(CodeChallenge::S256("c".into())),
            auth_time: 1,
        }
    }

    #[test]
    fn a_code_is_redeemed_once() {
        let grants = Grants::default();
        let code = grants.issue(grant("alice")).unwrap();
        assert_eq!(
            grants.redeem(&code).map(|g| g.sub),
            Some("alice".to_owned())
        );
        assert!(grants.redeem(&code).is_none(), "a second redemption");
        assert!(grants.redeem("not-a-code").is_none());
    }

    #[test]
    fn an_expired_code_is_refused_and_pruned() {
        let grants = Grants::default();
        let past = Instant::now() - Duration::from_secs(1);
        grants.insert("old".into(), grant("a"), past);
        grants.insert("new".into(), grant("b"), Instant::now() + CODE_LIFETIME);
        grants.prune();
        assert_eq!(grants.len(), 1);
        assert!(grants.redeem("old").is_none());
        assert!(grants.redeem("new").is_some());
    }

    #[test]
    fn a_flood_evicts_the_oldest_codes() {
        let grants = Grants::default();
        let first = grants.issue(grant("first")).unwrap();
        for _ in 0..MAX_CODES {
            let c = grants.issue(grant("x")).unwrap();
            // Redeeming half of them leaves stale names that must not grow the order list.
            if c.as_bytes()[0] % 2 == 0 {
                grants.redeem(&c);
            }
        }
        assert!(grants.len() <= MAX_CODES);
        assert!(grants.lock().order.len() <= 2 * MAX_CODES + 64);
        // Still there unless evicted; the store never exceeds its bound either way.
        let _ = grants.redeem(&first);
    }

    #[test]
    fn debug_hides_the_nonce_and_challenge() {
        let text = format!("{:?}", grant("alice"));
        assert!(text.contains("<redacted>"));
        assert!(!text.contains("nonce: Some(\"n\")"));
    }
}
