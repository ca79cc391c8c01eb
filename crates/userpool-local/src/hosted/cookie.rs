//! The browser side's server-held records and the cookies that name them: the hosted
//! session (who signed in on this domain, for an hour, so that a second authorization
//! request is answered without the form, as Cognito's session cookie does), the sign-ins in
//! progress (the authorization request and the step reached, so the pages' hidden fields
//! carry only an id that cannot be tampered with), and the CSRF token of every form.
//!
//! Cookies are `HttpOnly`, `SameSite=Lax` and scoped to `Path=/{domain}`, so two pools'
//! domains on one local server never see each other's. They are not `Secure`: the local
//! pool serves plain HTTP, where a browser would drop a `Secure` cookie.
//!
//! Both stores are in memory, bounded ([`MAX_SESSIONS`], [`MAX_PENDING`]) and expiring: a
//! full store forgets expired records first, then the one closest to expiry; a flood of
//! page loads never grows memory without bound. A restart signs everybody out, which a
//! local pool can afford.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};

use crate::error::ApiError;
use crate::util;

/// The hosted session cookie (Cognito's name for it).
pub(crate) const SESSION_COOKIE: &str = "cognito";
/// The CSRF cookie and the form field that must repeat it (the names Cognito's hosted UI
/// uses).
pub(crate) const CSRF_COOKIE: &str = "XSRF-TOKEN";
pub(crate) const CSRF_FIELD: &str = "_csrf";
/// How long a hosted session lasts: an hour, as Cognito's.
pub(crate) const SESSION_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// How long a sign-in in progress waits for its next form (a choice: long enough to fetch
/// a code from the outbox, short enough to be forgotten soon).
pub(crate) const PENDING_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Most hosted sessions held at once, all pools together.
pub(crate) const MAX_SESSIONS: usize = 10_000;
/// Most sign-ins in progress held at once.
pub(crate) const MAX_PENDING: usize = 10_000;

/// A random id for a record or a token: 32 bytes, base64url (43 characters).
pub(crate) fn random_id() -> Result<String, ApiError> {
    Ok(util::b64url(&util::random_bytes::<32>()?))
}

/// Whether `text` has the shape of [`random_id`]'s ids (so a cookie of any other shape is
/// not looked up at all).
fn id_shaped(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Records by random id, each with an expiry; at most `max` of them.
pub(crate) struct Bounded<V> {
    max: usize,
    lifetime: Duration,
    inner: Mutex<HashMap<String, (V, Instant)>>,
}

// The ids are bearer secrets (a session id is a signed-in browser): only the count shows.
impl<V> std::fmt::Debug for Bounded<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bounded")
            .field(
                "held",
                &self
                    .inner
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
            )
            .field("max", &self.max)
            .finish()
    }
}

impl<V: Clone> Bounded<V> {
    pub(crate) fn new(max: usize, lifetime: Duration) -> Self {
        Self {
            max,
            lifetime,
            inner: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (V, Instant)>> {
        // Every change is one map operation: a panic cannot leave a half-made record.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `value` under a new random id, which it returns.
    pub(crate) fn insert(&self, value: V) -> Result<String, ApiError> {
        let id = random_id()?;
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= self.max {
            map.retain(|_, (_, expires)| *expires > now);
        }
        while map.len() >= self.max {
            let Some(soonest) = map
                .iter()
                .min_by_key(|(_, (_, expires))| *expires)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            map.remove(&soonest);
        }
        map.insert(id.clone(), (value, now + self.lifetime));
        Ok(id)
    }

    /// The record `id`, unless it expired (then it is forgotten).
    pub(crate) fn get(&self, id: &str) -> Option<V> {
        if !id_shaped(id) {
            return None;
        }
        let mut map = self.lock();
        match map.get(id) {
            Some((v, expires)) if *expires > Instant::now() => Some(v.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Replaces the record `id` (its expiry unchanged); `false` when it is gone.
    pub(crate) fn replace(&self, id: &str, value: V) -> bool {
        match self.lock().get_mut(id) {
            Some(entry) => {
                entry.0 = value;
                true
            }
            None => false,
        }
    }

    /// Forgets the record `id`.
    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// How many records are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// A hosted session: a user signed in on a domain.
#[derive(Debug, Clone)]
pub(crate) struct HostedSession {
    pub pool_id: String,
    pub domain: String,
    pub sub: String,
    /// When the user signed in (seconds since the epoch): the `auth_time` of every token
    /// issued on this session.
    pub auth_time: i64,
}

/// The browser side's records, in the server's state.
#[derive(Debug)]
pub(crate) struct HostedState {
    pub sessions: Bounded<HostedSession>,
    pub pending: Bounded<super::login::Pending>,
}

impl Default for HostedState {
    fn default() -> Self {
        Self {
            sessions: Bounded::new(MAX_SESSIONS, SESSION_LIFETIME),
            pending: Bounded::new(MAX_PENDING, PENDING_LIFETIME),
        }
    }
}

impl HostedState {
    /// The session the request's cookie names, if it is a live session of `domain`.
    pub(crate) fn session_of(&self, headers: &HeaderMap, domain: &str) -> Option<HostedSession> {
        let id = cookie(headers, SESSION_COOKIE)?;
        self.sessions.get(&id).filter(|s| s.domain == domain)
    }

    /// Ends the session the request's cookie names (if any).
    pub(crate) fn end_session(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, SESSION_COOKIE) {
            self.sessions.remove(&id);
        }
    }
}

/// The value of the request's cookie `name` (the first, if several are sent).
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_owned())
}

fn set_cookie(text: String) -> Option<HeaderValue> {
    HeaderValue::from_str(&text).ok()
}

/// The `Set-Cookie` of a new hosted session.
pub(crate) fn session_cookie(domain: &str, id: &str) -> Option<HeaderValue> {
    set_cookie(format!(
        "{SESSION_COOKIE}={id}; Path=/{domain}; Max-Age={}; HttpOnly; SameSite=Lax",
        SESSION_LIFETIME.as_secs()
    ))
}

/// The `Set-Cookie` that removes the hosted session cookie.
pub(crate) fn clear_session_cookie(domain: &str) -> Option<HeaderValue> {
    set_cookie(format!(
        "{SESSION_COOKIE}=; Path=/{domain}; Max-Age=0; HttpOnly; SameSite=Lax"
    ))
}

/// The CSRF token of a page: the browser's `XSRF-TOKEN` cookie if it has a well-formed
/// one, else a new token and the `Set-Cookie` that gives it to the browser. Forms repeat
/// the token in [`CSRF_FIELD`]; a page on another site can neither read the cookie nor
/// set it for this path, so it cannot make a form that passes [`csrf_ok`] (double submit).
pub(crate) fn csrf_token(
    headers: &HeaderMap,
    domain: &str,
) -> Result<(String, Option<HeaderValue>), ApiError> {
    if let Some(token) = cookie(headers, CSRF_COOKIE).filter(|t| id_shaped(t)) {
        return Ok((token, None));
    }
    let token = random_id()?;
    let header = set_cookie(format!(
        "{CSRF_COOKIE}={token}; Path=/{domain}; HttpOnly; SameSite=Lax"
    ));
    Ok((token, header))
}

/// Whether a form's CSRF field matches the request's CSRF cookie.
pub(crate) fn csrf_ok(headers: &HeaderMap, field: Option<&str>) -> bool {
    match (cookie(headers, CSRF_COOKIE), field) {
        (Some(cookie), Some(field)) => id_shaped(&cookie) && util::ct_eq(&cookie, field),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_store_forgets_the_record_closest_to_expiry() {
        let store = Bounded::new(3, Duration::from_secs(60));
        let first = store.insert(1).unwrap();
        let others: Vec<String> = (2..=4).map(|v| store.insert(v).unwrap()).collect();
        assert_eq!(store.len(), 3);
        assert_eq!(store.get(&first), None, "the oldest went");
        assert!(others.iter().all(|id| store.get(id).is_some()));
    }

    #[test]
    fn an_expired_record_is_not_answered() {
        let store = Bounded::new(3, Duration::ZERO);
        let id = store.insert(1).unwrap();
        assert_eq!(store.get(&id), None);
        assert_eq!(store.get("not-an-id"), None);
    }

    #[test]
    fn csrf_needs_the_cookie_and_the_same_field() {
        let token = random_id().unwrap();
        let mut headers = HeaderMap::new();
        assert!(!csrf_ok(&headers, Some(&token)));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {CSRF_COOKIE}={token}")).unwrap(),
        );
        assert!(csrf_ok(&headers, Some(&token)));
        assert!(!csrf_ok(&headers, None));
        assert!(!csrf_ok(&headers, Some(&random_id().unwrap())));
        let (same, set) = csrf_token(&headers, "d").unwrap();
        assert_eq!((same, set), (token, None));
    }

    #[test]
    fn debug_shows_no_ids() {
        let store = Bounded::new(3, Duration::from_secs(60));
        let id = store.insert(1).unwrap();
        assert!(!format!("{store:?}").contains(&id));
    }
}
