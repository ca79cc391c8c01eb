//! Secrets: redacted in `Debug`, wiped on drop.

use std::fmt;

use zeroize::Zeroizing;

/// A string that must never be logged: its `Debug` prints `[redacted]` and its memory is
/// overwritten with zeros when it is dropped.
///
/// There is deliberately no `Display` and no `Deref<Target = str>`: reading the value takes
/// an explicit call to [`SecretString::expose`], which is easy to find in review.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret value. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// True when the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The length of the value in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

macro_rules! secret_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq, Eq)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(SecretString::new(value))
            }

            /// The secret value. Keep the borrow short and never log it.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }

            /// The value as a [`SecretString`].
            pub fn as_secret(&self) -> &SecretString {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<SecretString> for $name {
            fn from(value: SecretString) -> Self {
                Self(value)
            }
        }
    };
}

secret_newtype!(
    /// A user's password (current, new or temporary).
    Password
);
secret_newtype!(
    /// An app client secret: used only to compute `SECRET_HASH`.
    ClientSecret
);
secret_newtype!(
    /// A one-time code sent by email or SMS (sign-up, password reset, attribute
    /// verification, MFA).
    Code
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::from("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
        let p = Password::from("hunter2");
        assert_eq!(format!("{p:?}"), "Password([redacted])");
        let c = Code::from("123456");
        assert!(!format!("{c:?} {c:#?}").contains("123456"));
        let k = ClientSecret::from("s3cr3t");
        assert!(!format!("{k:?}").contains("s3cr3t"));
        assert_eq!(k.expose(), "s3cr3t");
    }
}
