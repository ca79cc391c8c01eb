//! Where a code was sent.

use serde::{Deserialize, Serialize};

/// How a code was delivered.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DeliveryMedium {
    /// By email.
    #[serde(rename = "EMAIL")]
    Email,
    /// By text message.
    #[serde(rename = "SMS")]
    Sms,
    /// A medium this version does not know, by the name the server gave.
    #[serde(untagged)]
    Other(String),
}

impl DeliveryMedium {
    /// Reads the server's name for a medium (`EMAIL`, `SMS`).
    pub fn from_name(name: &str) -> Self {
        match name {
            "EMAIL" => Self::Email,
            "SMS" => Self::Sms,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The server's name for the medium.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
            Self::Other(name) => name,
        }
    }
}

/// Where a code went: the masked destination (`a***@e***`), the medium and the attribute
/// it verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDeliveryDetails {
    /// The masked destination, as the server reports it.
    pub destination: Option<String>,
    /// Email or SMS.
    pub medium: Option<DeliveryMedium>,
    /// The attribute the code verifies (`email`, `phone_number`).
    pub attribute_name: Option<String>,
}
