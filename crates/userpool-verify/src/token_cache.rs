//! The verified-token cache: tokens whose signature verified, with their decoded claims,
//! so that the same token arriving again (every request of a session carries it) skips
//! the RSA operation and the decoding. Every claim check still runs on a hit.
//!
//! A fixed array of slots, each an `ArcSwapOption<Entry>`: a lookup is one keyed hash of
//! the token and at most two atomic loads (a 2-way set: the token may sit in either of
//! two slots chosen by the hash), no lock and no allocation; a store, after a successful
//! verification only, replaces one slot's entry whole. The hash only chooses the slots:
//! a hit compares the full token stored in the entry with the one given. The hasher is
//! std's `RandomState` (SipHash with a random key per process), so that no one can
//! choose tokens that crowd one slot.
//!
//! An entry remembers the issuer's key snapshot it was verified under
//! ([`KeySet::id`](crate::jwks::KeySet::id)); the verifier ignores an entry whose
//! snapshot is no longer the current one, so that a key removed by a refetch or a
//! `load_jwks` takes effect at once.

use std::fmt;
use std::hash::{BuildHasher, RandomState};

use arc_swap::ArcSwapOption;

use crate::claims::VerifiedClaims;

/// A verified token and what it verified to.
pub(crate) struct Entry {
    /// The token, whole: compared on every hit.
    token: Box<str>,
    /// The pool (its index in the verifier) of the token's issuer.
    pub pool: usize,
    /// The key snapshot the signature verified under.
    pub snapshot: u64,
    pub claims: VerifiedClaims,
}

/// The slots. `S` is the hasher (a fixed one in the tests, to force collisions).
pub(crate) struct TokenCache<S = RandomState> {
    slots: Box<[ArcSwapOption<Entry>]>,
    hasher: S,
}

impl<S> fmt::Debug for TokenCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts only: the tokens are bearer credentials.
        f.debug_struct("TokenCache")
            .field("capacity", &self.slots.len())
            .field("entries", &self.len())
            .finish()
    }
}

impl TokenCache {
    /// A cache of `capacity` entries; `None` for 0 (no cache).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        Self::with_hasher(capacity, RandomState::new())
    }
}

impl<S> TokenCache<S> {
    /// The entries held now.
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.load().is_some()).count()
    }
}

impl<S: BuildHasher> TokenCache<S> {
    pub(crate) fn with_hasher(capacity: usize, hasher: S) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let slots = (0..capacity).map(|_| ArcSwapOption::empty()).collect();
        Some(Self { slots, hasher })
    }

    /// The two slots a token may sit in (the same one twice in a cache of one).
    fn ways(&self, token: &str) -> [usize; 2] {
        let hash = self.hasher.hash_one(token.as_bytes());
        let n = self.slots.len() as u64;
        // Two halves of one 64-bit hash, each reduced to a slot.
        [(hash % n) as usize, (hash.rotate_right(32) % n) as usize]
    }

    /// Runs `f` on the entry of `token`, if it holds one: the same bytes, not only the
    /// same hash.
    pub(crate) fn get<R>(&self, token: &str, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        for way in self.ways(token) {
            let Some(slot) = self.slots.get(way) else {
                continue;
            };
            let entry = slot.load();
            if let Some(entry) = entry.as_deref()
                && *entry.token == *token
            {
                return Some(f(entry));
            }
        }
        None
    }

    /// Remembers a verified token. The slot taken is, in order: the one that holds this
    /// token already, an empty one, one whose entry `live` says is void (made under an
    /// older snapshot, expired), else the one whose token expires first.
    pub(crate) fn insert(
        &self,
        token: &str,
        pool: usize,
        snapshot: u64,
        claims: &VerifiedClaims,
        live: impl Fn(&Entry) -> bool,
    ) {
        let ways = self.ways(token);
        let mut victim: Option<(usize, u8, i64)> = None;
        for way in ways {
            let Some(slot) = self.slots.get(way) else {
                continue;
            };
            let current = slot.load();
            // Lower ranks are replaced first.
            let (rank, exp) = match current.as_deref() {
                Some(e) if *e.token == *token => (0, i64::MIN),
                None => (1, i64::MIN),
                Some(e) if !live(e) => (2, i64::MIN),
                Some(e) => (3, e.claims.exp()),
            };
            if victim.is_none_or(|(_, r, x)| (rank, exp) < (r, x)) {
                victim = Some((way, rank, exp));
            }
        }
        let Some((way, _, _)) = victim else {
            return;
        };
        if let Some(slot) = self.slots.get(way) {
            slot.store(Some(std::sync::Arc::new(Entry {
                token: token.into(),
                pool,
                snapshot,
                claims: claims.clone(),
            })));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasherDefault, Hasher};

    use userpool_types::Claims;

    use super::*;
    use crate::TokenUse;

    /// Every token hashes to 0: all share the same slots.
    #[derive(Default)]
    struct Zero;
    impl Hasher for Zero {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, _: &[u8]) {}
    }

    fn claims(sub: &str, exp: i64) -> VerifiedClaims {
        let map = serde_json::json!({"sub": sub, "exp": exp});
        let serde_json::Value::Object(map) = map else {
            unreachable!()
        };
        VerifiedClaims::new(Claims::from_map(map).unwrap(), TokenUse::Access)
    }

    fn sub_of<S: BuildHasher>(cache: &TokenCache<S>, token: &str) -> Option<String> {
        cache.get(token, |e| e.claims.sub().to_owned())
    }

    #[test]
    fn a_hit_needs_the_same_bytes_not_the_same_hash() {
        let cache = TokenCache::with_hasher(4, BuildHasherDefault::<Zero>::default()).unwrap();
        cache.insert("aaaa.bbbb.cccc", 0, 1, &claims("a", 10), |_| true);
        assert_eq!(sub_of(&cache, "aaaa.bbbb.cccc").as_deref(), Some("a"));
        // Same hash (0), one byte off: a miss.
        assert_eq!(sub_of(&cache, "aaaa.bbbb.cccd"), None);
        assert_eq!(sub_of(&cache, "aaaa.bbbb.ccc"), None);
        assert_eq!(sub_of(&cache, ""), None);
    }

    #[test]
    fn the_capacity_bounds_the_entries_and_void_ones_go_first() {
        let cache = TokenCache::new(8).unwrap();
        for i in 0..100 {
            cache.insert(&format!("token-{i}"), 0, 1, &claims("x", 10 + i), |_| true);
        }
        assert!(cache.len() <= 8, "{}", cache.len());
        assert!(cache.len() >= 2);

        // Colliding tokens: two ways, so two live entries, then the one that expires
        // first goes, unless one is void.
        let cache = TokenCache::with_hasher(4, BuildHasherDefault::<Zero>::default()).unwrap();
        cache.insert("t1", 0, 1, &claims("1", 100), |_| true);
        cache.insert("t2", 0, 1, &claims("2", 50), |_| true);
        // Same slot twice: one entry only.
        assert_eq!(cache.len(), 1);
        assert_eq!(sub_of(&cache, "t2").as_deref(), Some("2"));
        assert_eq!(cache.len(), 1);
        cache.insert("t3", 0, 1, &claims("3", 70), |e| e.snapshot == 2);
        assert_eq!(
            sub_of(&cache, "t3").as_deref(),
            Some("3"),
            "a void entry goes"
        );
        assert_eq!(sub_of(&cache, "t2"), None);
    }

    #[test]
    fn two_ways_keep_two_colliding_tokens() {
        /// Hashes whose halves differ: slot 0 and slot 1 of a cache of 4.
        #[derive(Default)]
        struct Split;
        impl Hasher for Split {
            fn finish(&self) -> u64 {
                1 << 32
            }
            fn write(&mut self, _: &[u8]) {}
        }
        let cache = TokenCache::with_hasher(4, BuildHasherDefault::<Split>::default()).unwrap();
        cache.insert("t1", 0, 1, &claims("1", 100), |_| true);
        cache.insert("t2", 0, 1, &claims("2", 50), |_| true);
        assert_eq!(cache.len(), 2);
        assert_eq!(sub_of(&cache, "t1").as_deref(), Some("1"));
        assert_eq!(sub_of(&cache, "t2").as_deref(), Some("2"));
        // A third: the entry that expires first (t2) makes room.
        cache.insert("t3", 0, 1, &claims("3", 70), |_| true);
        assert_eq!(sub_of(&cache, "t1").as_deref(), Some("1"));
        assert_eq!(sub_of(&cache, "t2"), None);
        assert_eq!(sub_of(&cache, "t3").as_deref(), Some("3"));
        // The same token again replaces itself, not its neighbour.
        cache.insert("t1", 0, 2, &claims("1b", 100), |_| true);
        assert_eq!(sub_of(&cache, "t1").as_deref(), Some("1b"));
        assert_eq!(sub_of(&cache, "t3").as_deref(), Some("3"));
    }

    #[test]
    fn debug_shows_counts_not_tokens() {
        let cache = TokenCache::new(16).unwrap();
        cache.insert("secret-token-bytes", 0, 1, &claims("user-sub", 10), |_| {
            true
        });
        let shown = format!("{cache:?}");
        assert_eq!(shown, "TokenCache { capacity: 16, entries: 1 }");
        assert!(TokenCache::new(0).is_none());
    }
}
