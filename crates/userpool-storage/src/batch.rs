//! [`Batch`]: several changes applied as one unit, on a condition.

use std::fmt;

use zeroize::Zeroizing;

/// Changes to several keys, applied together by [`Storage::apply`](crate::Storage::apply)
/// only while every expectation holds.
///
/// The client writes and removes a whole session with one batch, on the condition that the
/// store still holds what it last read (for example `LastAuthUser` and the refresh token
/// it used). Several processes sharing one store then cannot undo each other's sign-out
/// or sign-in: a refresh that finds the session gone or replaced writes nothing.
///
/// Expectations are checked first, then the removals and the writes are made (a key both
/// removed and set ends up set). `Debug` names the keys, never a value.
///
/// ```
/// use userpool_storage::Batch;
/// let batch = Batch::new()
///     .expect("c.LastAuthUser", Some("alice"))
///     .set("c.alice.idToken", "eyJ…")
///     .remove("c.alice.userData");
/// assert_eq!(batch.expectations().count(), 1);
/// assert!(!format!("{batch:?}").contains("eyJ"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Batch {
    expect: Vec<(String, Option<Zeroizing<String>>)>,
    set: Vec<(String, Zeroizing<String>)>,
    remove: Vec<String>,
}

impl Batch {
    /// An empty batch: no condition, no change.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies the batch only if `key` holds `value` (`None`: only if `key` is absent).
    pub fn expect(mut self, key: impl Into<String>, value: Option<&str>) -> Self {
        self.expect
            .push((key.into(), value.map(|v| Zeroizing::new(v.to_owned()))));
        self
    }

    /// Stores `value` under `key`.
    pub fn set(mut self, key: impl Into<String>, value: &str) -> Self {
        self.set
            .push((key.into(), Zeroizing::new(value.to_owned())));
        self
    }

    /// Removes `key` (a missing key is fine).
    pub fn remove(mut self, key: impl Into<String>) -> Self {
        self.remove.push(key.into());
        self
    }

    /// Removes every key of `keys`.
    pub fn remove_all<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.remove.extend(keys.into_iter().map(Into::into));
        self
    }

    /// The conditions: each key with the value it must hold (`None`: absent).
    pub fn expectations(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.expect
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_ref().map(|v| v.as_str())))
    }

    /// The entries to store.
    pub fn sets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.set.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The keys to remove (except those also set).
    pub fn removals(&self) -> impl Iterator<Item = &str> {
        self.remove
            .iter()
            .map(String::as_str)
            .filter(|k| !self.set.iter().any(|(s, _)| s == k))
    }

    /// True when the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }

    /// True when `read(key)` gives the expected value for every expectation.
    pub fn holds<'a>(&self, mut read: impl FnMut(&str) -> Option<&'a str>) -> bool {
        self.expectations().all(|(key, want)| read(key) == want)
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field(
                "expect",
                &self
                    .expect
                    .iter()
                    .map(|(k, v)| (k.as_str(), if v.is_some() { "<value>" } else { "<absent>" }))
                    .collect::<Vec<_>>(),
            )
            .field(
                "set",
                &self.set.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            )
            .field("remove", &self.remove)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_skip_keys_that_are_also_set() {
        let b = Batch::new().remove("a").remove("b").set("a", "1");
        assert_eq!(b.removals().collect::<Vec<_>>(), ["b"]);
        assert!(!b.is_empty());
        assert!(Batch::new().expect("x", None).is_empty());
    }

    #[test]
    fn holds_compares_values_and_absence() {
        let b = Batch::new().expect("a", Some("1")).expect("b", None);
        assert!(b.holds(|k| (k == "a").then_some("1")));
        assert!(!b.holds(|_| Some("1")));
        assert!(!b.holds(|_| None));
    }

    #[test]
    fn debug_shows_no_value() {
        let b = Batch::new()
            .expect("k1", Some("secret-1"))
            .set("k2", "secret-2");
        let dbg = format!("{b:?}");
        assert!(dbg.contains("k1") && dbg.contains("k2"), "{dbg}");
        assert!(!dbg.contains("secret"), "{dbg}");
    }
}
