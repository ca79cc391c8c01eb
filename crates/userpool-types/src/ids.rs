//! Identifiers: user pool ids, app client ids and usernames.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A user pool id, `<region>_<name>` (for example `us-east-1_AbCdEfGhI`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserPoolId {
    value: String,
    split: usize,
}

impl UserPoolId {
    /// Parses and checks a user pool id: a region, one `_`, and a non-empty name of ASCII
    /// letters and digits.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidInput {
            field: "user_pool_id",
            reason: format!("{reason} (expected <region>_<name>, got {value:?})"),
        };
        let split = value.find('_').ok_or_else(|| invalid("missing '_'"))?;
        let (region, name) = (&value[..split], &value[split + 1..]);
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid("the region part is not a region name"));
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid("the name part must be ASCII letters and digits"));
        }
        Ok(Self {
            value: value.to_owned(),
            split,
        })
    }

    /// The id of pool `name` in `region` (`us-east-1` and `AbC` make `us-east-1_AbC`),
    /// checked as [`parse`](Self::parse) checks it: what a server that makes pool ids
    /// calls, so that every id it makes is one the client (and SRP) accepts.
    pub fn from_parts(region: &str, name: &str) -> Result<Self, Error> {
        Self::parse(&format!("{region}_{name}"))
    }

    /// The whole id.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The region part (`us-east-1`).
    pub fn region(&self) -> &str {
        &self.value[..self.split]
    }

    /// The part after `_`, which SRP hashes as the pool name.
    pub fn pool_name(&self) -> &str {
        &self.value[self.split + 1..]
    }
}

impl FromStr for UserPoolId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for UserPoolId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::parse(&s)
    }
}

impl From<UserPoolId> for String {
    fn from(id: UserPoolId) -> String {
        id.value
    }
}

impl fmt::Debug for UserPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.value, f)
    }
}

impl fmt::Display for UserPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps a value: not empty, at most 128 bytes, no control characters.
            pub fn new(value: impl Into<String>) -> Result<Self, Error> {
                let value = value.into();
                if value.is_empty() {
                    return Err(Error::InvalidInput { field: $field, reason: "must not be empty".into() });
                }
                if value.len() > 128 {
                    return Err(Error::InvalidInput { field: $field, reason: "longer than 128 bytes".into() });
                }
                if value.chars().any(char::is_control) {
                    return Err(Error::InvalidInput { field: $field, reason: "contains a control character".into() });
                }
                Ok(Self(value))
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An app client id.
    ClientId,
    "client_id"
);
string_id!(
    /// A username as Cognito knows it: what the user typed (a name, or an email or phone
    /// number in alias and email-as-username pools), or the internal name a sign-in
    /// returns.
    Username,
    "username"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_id_parts() {
        let id = UserPoolId::parse("us-east-1_AbCdEfGhI").unwrap();
        assert_eq!(id.region(), "us-east-1");
        assert_eq!(id.pool_name(), "AbCdEfGhI");
        assert_eq!(id.to_string(), "us-east-1_AbCdEfGhI");
        let made = UserPoolId::from_parts("eu-west-2", "Xy9").unwrap();
        assert_eq!((made.region(), made.pool_name()), ("eu-west-2", "Xy9"));
        for (region, name) in [("us_east", "x"), ("US", "x"), ("", "x"), ("us-east-1", "")] {
            assert!(
                UserPoolId::from_parts(region, name).is_err(),
                "{region:?} {name:?}"
            );
        }
    }

    #[test]
    fn pool_id_rejects_bad_input() {
        for bad in [
            "",
            "_",
            "us-east-1",
            "us-east-1_",
            "_abc",
            "US_abc",
            "us-east-1_a-b",
            "us east_1",
        ] {
            assert!(UserPoolId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames_are_checked() {
        assert!(Username::new("").is_err());
        assert!(Username::new("a\nb").is_err());
        assert!(Username::new("x".repeat(129)).is_err());
        assert_eq!(
            Username::new("alice@example.com").unwrap().as_str(),
            "alice@example.com"
        );
        let json = serde_json::to_string(&Username::new("bob").unwrap()).unwrap();
        assert_eq!(json, "\"bob\"");
        assert!(serde_json::from_str::<Username>("\"\"").is_err());
    }
}
