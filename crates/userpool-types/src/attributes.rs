//! User attributes: names (standard and `custom:`), values, and update results.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{CodeDeliveryDetails, Error};

/// The data type of a standard attribute, as `AttributeDataType` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandardAttributeType {
    /// `String`.
    String,
    /// `Boolean` (`email_verified`, `phone_number_verified`).
    Boolean,
    /// `Number` (`updated_at`).
    Number,
}

/// One standard attribute of a Cognito user pool and what may write it: the one table the
/// client (which attributes it never sends) and the local pool (its schema checks) share.
///
/// `#[non_exhaustive]`: Cognito's schema knows more about an attribute (mutable, required,
/// constraints) than this table holds yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StandardAttribute {
    /// The name, e.g. `given_name`.
    pub name: &'static str,
    /// Its data type.
    pub data_type: StandardAttributeType,
    /// Set by the pool alone, never through the API: `sub` (the user's id) and
    /// `identities` (the linked identity-provider accounts of a federated user).
    pub pool_managed: bool,
    /// A `*_verified` flag: set by the pool when a code is confirmed, otherwise only by an
    /// administrator or an app client given explicit write permission for it.
    pub verified_flag: bool,
}

impl StandardAttribute {
    /// True for the attributes a user-side client never sends in a write: the pool-managed
    /// ones and the verified flags.
    pub const fn is_server_managed(&self) -> bool {
        self.pool_managed || self.verified_flag
    }
}

const fn standard(
    name: &'static str,
    data_type: StandardAttributeType,
    pool_managed: bool,
    verified_flag: bool,
) -> StandardAttribute {
    StandardAttribute {
        name,
        data_type,
        pool_managed,
        verified_flag,
    }
}

const fn text(name: &'static str) -> StandardAttribute {
    standard(name, StandardAttributeType::String, false, false)
}

const fn verified(name: &'static str) -> StandardAttribute {
    standard(name, StandardAttributeType::Boolean, false, true)
}

/// The standard attributes of a Cognito user pool (OpenID Connect claims plus Cognito's
/// own), in the order `DescribeUserPool` lists them in `SchemaAttributes`.
pub const STANDARD_ATTRIBUTE_TABLE: &[StandardAttribute] = &[
    standard("sub", StandardAttributeType::String, true, false),
    text("name"),
    text("given_name"),
    text("family_name"),
    text("middle_name"),
    text("nickname"),
    text("preferred_username"),
    text("profile"),
    text("picture"),
    text("website"),
    text("email"),
    verified("email_verified"),
    text("gender"),
    text("birthdate"),
    text("zoneinfo"),
    text("locale"),
    text("phone_number"),
    verified("phone_number_verified"),
    text("address"),
    standard("updated_at", StandardAttributeType::Number, false, false),
    standard("identities", StandardAttributeType::String, true, false),
];

const fn standard_names<const N: usize>(table: &[StandardAttribute]) -> [&'static str; N] {
    let mut names = [""; N];
    let mut i = 0;
    while i < N {
        names[i] = table[i].name;
        i += 1;
    }
    names
}

/// The names of [`STANDARD_ATTRIBUTE_TABLE`], in its order.
pub const STANDARD_ATTRIBUTES: &[&str] =
    &standard_names::<{ STANDARD_ATTRIBUTE_TABLE.len() }>(STANDARD_ATTRIBUTE_TABLE);

/// The entry of [`STANDARD_ATTRIBUTE_TABLE`] for a name, if it is a standard attribute.
pub fn standard_attribute(name: &str) -> Option<&'static StandardAttribute> {
    STANDARD_ATTRIBUTE_TABLE.iter().find(|a| a.name == name)
}

/// A Boolean attribute value as Cognito reads it: `true` or `false` in any case (clients
/// send `"True"`, Cognito answers lower case). Anything else is not a Boolean.
pub fn parse_boolean(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

const CUSTOM_PREFIX: &str = "custom:";
const DEV_PREFIX: &str = "dev:custom:";

/// The name of a user attribute: a standard name (`email`, `given_name`, …) or a custom
/// one with the `custom:` prefix (`custom:team`).
///
/// Names are checked the way Cognito checks them: 1 to 32 characters with no white space
/// or control characters, and a custom name of 1 to 20 characters after its prefix.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttributeName(String);

impl AttributeName {
    /// Checks and wraps a name.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        let invalid = |reason: &str| Error::InvalidInput {
            field: "attribute name",
            reason: format!("{name:?}: {reason}"),
        };
        if name.is_empty() || name.chars().count() > 32 {
            return Err(invalid("must be 1 to 32 characters"));
        }
        if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                "must not contain white space or control characters",
            ));
        }
        let custom = name
            .strip_prefix(DEV_PREFIX)
            .or_else(|| name.strip_prefix(CUSTOM_PREFIX));
        if let Some(rest) = custom
            && (rest.is_empty() || rest.chars().count() > 20)
        {
            return Err(invalid(
                "a custom name must have 1 to 20 characters after its prefix",
            ));
        }
        Ok(Self(name))
    }

    /// A custom attribute: `custom:<name>`. The prefix is added; `name` must not carry it.
    pub fn custom(name: &str) -> Result<Self, Error> {
        Self::new(format!("{CUSTOM_PREFIX}{name}"))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `custom:` (and `dev:custom:`) attributes.
    pub fn is_custom(&self) -> bool {
        self.0.starts_with(CUSTOM_PREFIX) || self.0.starts_with(DEV_PREFIX)
    }

    /// True for the names in [`STANDARD_ATTRIBUTES`].
    pub fn is_standard(&self) -> bool {
        standard_attribute(&self.0).is_some()
    }

    /// True for the attributes a client must never send in an update: `sub` and
    /// `identities`, which only the pool sets, and the `*_verified` flags
    /// ([`StandardAttribute::is_server_managed`]).
    pub fn is_server_managed(&self) -> bool {
        standard_attribute(&self.0).is_some_and(|a| a.is_server_managed())
    }

    /// True for the attributes whose change needs a code sent to the new value.
    pub fn needs_verification(&self) -> bool {
        self.0 == "email" || self.0 == "phone_number"
    }
}

impl FromStr for AttributeName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for AttributeName {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<&str> for AttributeName {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl From<AttributeName> for String {
    fn from(name: AttributeName) -> String {
        name.0
    }
}

impl Borrow<str> for AttributeName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AttributeName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set of user attributes, ordered by name.
///
/// ```
/// use userpool_types::Attributes;
/// let attrs = Attributes::new()
///     .with("email", "ada@example.com")?
///     .with("custom:team", "engines")?;
/// assert_eq!(attrs.get("email"), Some("ada@example.com"));
/// # Ok::<(), userpool_types::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attributes(BTreeMap<AttributeName, String>);

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces one attribute, checking its name.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Result<Self, Error> {
        self.insert(AttributeName::new(name)?, value);
        Ok(self)
    }

    /// Adds or replaces one attribute.
    pub fn insert(&mut self, name: AttributeName, value: impl Into<String>) -> Option<String> {
        self.0.insert(name, value.into())
    }

    /// Removes one attribute.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// The value of one attribute.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A `*_verified`-style flag read as a boolean ([`parse_boolean`]).
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        parse_boolean(self.get(name)?)
    }

    /// Iterates in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&AttributeName, &str)> {
        self.0.iter().map(|(k, v)| (k, v.as_str()))
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &AttributeName> {
        self.0.keys()
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl FromIterator<(AttributeName, String)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (AttributeName, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl IntoIterator for Attributes {
    type Item = (AttributeName, String);
    type IntoIter = std::collections::btree_map::IntoIter<AttributeName, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a AttributeName, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, AttributeName, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl TryFrom<&[(&str, &str)]> for Attributes {
    type Error = Error;
    fn try_from(pairs: &[(&str, &str)]) -> Result<Self, Error> {
        pairs
            .iter()
            .map(|(k, v)| Ok((AttributeName::new(*k)?, (*v).to_owned())))
            .collect()
    }
}

impl<const N: usize> TryFrom<[(&str, &str); N]> for Attributes {
    type Error = Error;
    fn try_from(pairs: [(&str, &str); N]) -> Result<Self, Error> {
        Self::try_from(&pairs[..])
    }
}

/// What happened to one attribute of an update.
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new)
/// and [`with_code_delivery`](Self::with_code_delivery).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AttributeUpdateResult {
    /// True when the new value is in effect now; false when it waits for a code.
    pub is_updated: bool,
    /// Where the verification code went, when the new value must be verified.
    pub code_delivery: Option<CodeDeliveryDetails>,
}

impl AttributeUpdateResult {
    /// The result for an attribute whose new value is in effect now (`is_updated`) or
    /// waits for a code; no delivery details.
    pub fn new(is_updated: bool) -> Self {
        Self {
            is_updated,
            code_delivery: None,
        }
    }

    /// Sets where the verification code went.
    pub fn with_code_delivery(mut self, delivery: CodeDeliveryDetails) -> Self {
        self.code_delivery = Some(delivery);
        self
    }
}

/// The per-attribute results of an update, by attribute name.
pub type AttributeUpdateResults = BTreeMap<AttributeName, AttributeUpdateResult>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_table_names_each_attribute_once() {
        assert_eq!(STANDARD_ATTRIBUTES.len(), STANDARD_ATTRIBUTE_TABLE.len());
        let mut sorted = STANDARD_ATTRIBUTES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), STANDARD_ATTRIBUTES.len());
        for (name, entry) in STANDARD_ATTRIBUTES.iter().zip(STANDARD_ATTRIBUTE_TABLE) {
            assert_eq!(*name, entry.name);
            assert_eq!(standard_attribute(name), Some(entry));
        }
    }

    #[test]
    fn identities_is_set_by_the_pool_only() {
        // Cognito fills `identities` for federated users; no client writes it.
        let identities = AttributeName::new("identities").unwrap();
        assert!(identities.is_standard());
        assert!(identities.is_server_managed());
        assert!(standard_attribute("identities").unwrap().pool_managed);
    }

    #[test]
    fn names() {
        let custom = AttributeName::custom("team").unwrap();
        assert_eq!(custom.as_str(), "custom:team");
        assert!(custom.is_custom() && !custom.is_standard());
        assert!(AttributeName::new("email").unwrap().is_standard());
        assert!(
            AttributeName::new("email_verified")
                .unwrap()
                .is_server_managed()
        );
        assert!(AttributeName::new("sub").unwrap().is_server_managed());
        assert!(!AttributeName::new("email").unwrap().is_server_managed());
        assert!(
            AttributeName::new("phone_number")
                .unwrap()
                .needs_verification()
        );
        for bad in [
            "",
            "custom:",
            "has space",
            "custom:aaaaaaaaaaaaaaaaaaaaa",
            "x\u{0}",
        ] {
            assert!(AttributeName::new(bad).is_err(), "{bad:?}");
        }
        assert!(AttributeName::new("a".repeat(33)).is_err());
    }

    #[test]
    fn attribute_sets() {
        let attrs = Attributes::try_from([("email", "a@b.c"), ("email_verified", "TRUE")]).unwrap();
        assert_eq!(attrs.get_bool("email_verified"), Some(true));
        assert_eq!(attrs.get_bool("email"), None);
        assert_eq!(attrs.len(), 2);
        let json = serde_json::to_string(&attrs).unwrap();
        assert_eq!(json, r#"{"email":"a@b.c","email_verified":"TRUE"}"#);
        assert!(serde_json::from_str::<Attributes>(r#"{"":"x"}"#).is_err());
    }
}
