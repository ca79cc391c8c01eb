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
///
/// Cognito may add fields, so the struct is `#[non_exhaustive]`: a transport builds one
/// with [`new`](Self::new) and the `with_*` setters.
///
/// ```
/// use userpool_types::{CodeDeliveryDetails, DeliveryMedium};
/// let delivery = CodeDeliveryDetails::new()
///     .with_destination("a***@e***")
///     .with_medium(DeliveryMedium::Email)
///     .with_attribute_name("email");
/// assert_eq!(delivery.destination.as_deref(), Some("a***@e***"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CodeDeliveryDetails {
    /// The masked destination, as the server reports it.
    pub destination: Option<String>,
    /// Email or SMS.
    pub medium: Option<DeliveryMedium>,
    /// The attribute the code verifies (`email`, `phone_number`).
    pub attribute_name: Option<String>,
}

impl CodeDeliveryDetails {
    /// Details with nothing known yet (every field is optional on the wire).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the masked destination.
    pub fn with_destination(mut self, destination: impl Into<String>) -> Self {
        self.destination = Some(destination.into());
        self
    }

    /// Sets the medium.
    pub fn with_medium(mut self, medium: DeliveryMedium) -> Self {
        self.medium = Some(medium);
        self
    }

    /// Sets the attribute the code verifies.
    pub fn with_attribute_name(mut self, attribute_name: impl Into<String>) -> Self {
        self.attribute_name = Some(attribute_name.into());
        self
    }
}
