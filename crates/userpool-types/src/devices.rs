//! Remembered devices: the device a sign-in registers ([`NewDeviceMetadata`]), a device as
//! the pool describes it ([`Device`]) and whether it is remembered
//! ([`DeviceRememberedStatus`]).
//!
//! A device is named by its key (`DEVICE_KEY`, `{region}_{uuid}`) and belongs to a device
//! group (`DEVICE_GROUP_KEY`): the key, the group key and the device's random password are
//! what device SRP uses in the user-id, pool-name and password slots. Neither key is a
//! secret (both travel in the clear as parameters); the random password is, and it never
//! appears in this module.

use std::collections::BTreeMap;
use std::fmt;

/// The attribute of a device that holds its name (`ConfirmDevice`'s `DeviceName`).
pub const DEVICE_NAME_ATTRIBUTE: &str = "device_name";

/// The attribute of a device that holds whether it is remembered (`remembered` or
/// `not_remembered`), as Cognito lists it among `DeviceAttributes`.
pub const DEVICE_REMEMBERED_STATUS_ATTRIBUTE: &str = "dev:device_remembered_status";

/// Whether a device is remembered (Cognito's `DeviceRememberedStatusType`): a remembered
/// device may sign in with device SRP and, as the pool's `DeviceConfiguration` says, skip
/// MFA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceRememberedStatus {
    /// `remembered`.
    Remembered,
    /// `not_remembered`: the device is tracked but does not count as trusted.
    NotRemembered,
}

impl DeviceRememberedStatus {
    /// Cognito's name: `remembered` or `not_remembered`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remembered => "remembered",
            Self::NotRemembered => "not_remembered",
        }
    }

    /// Reads Cognito's name; `None` for a status this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "remembered" => Some(Self::Remembered),
            "not_remembered" => Some(Self::NotRemembered),
            _ => None,
        }
    }
}

impl fmt::Display for DeviceRememberedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The device a sign-in registered (`AuthenticationResult.NewDeviceMetadata`): the client
/// confirms it with `ConfirmDevice` to remember it, and signs in with it later.
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewDeviceMetadata {
    /// `DeviceKey`.
    pub device_key: String,
    /// `DeviceGroupKey`.
    pub device_group_key: String,
}

impl NewDeviceMetadata {
    /// The device `device_key` of the group `device_group_key`.
    pub fn new(device_key: impl Into<String>, device_group_key: impl Into<String>) -> Self {
        Self {
            device_key: device_key.into(),
            device_group_key: device_group_key.into(),
        }
    }
}

/// A device of a user, as `GetDevice` and `ListDevices` describe it (`DeviceType`).
///
/// The name and the remembered status are read out of Cognito's `DeviceAttributes`
/// ([`from_attributes`](Self::from_attributes)); every other attribute (`device_status`,
/// `last_ip_used`, `dev:device_sdk`, …) is kept in [`attributes`](Self::attributes) as
/// the server sent it. [`to_attributes`](Self::to_attributes) gives the whole list back,
/// for a server that answers with it. Times are seconds since the Unix epoch (Cognito
/// sends fractions of a second; they are cut off).
///
/// `#[non_exhaustive]`, so that a field can be added; build one with [`new`](Self::new)
/// or [`from_attributes`](Self::from_attributes) and the `with_*` setters.
///
/// ```
/// use std::collections::BTreeMap;
/// use userpool_types::{Device, DeviceRememberedStatus};
/// let attributes = BTreeMap::from([
///     ("device_name".to_owned(), "Ada's laptop".to_owned()),
///     ("dev:device_remembered_status".to_owned(), "remembered".to_owned()),
///     ("last_ip_used".to_owned(), "192.0.2.1".to_owned()),
/// ]);
/// let device = Device::from_attributes("eu-west-1_0d5e…", attributes.clone());
/// assert_eq!(device.name.as_deref(), Some("Ada's laptop"));
/// assert_eq!(device.remembered_status, Some(DeviceRememberedStatus::Remembered));
/// assert_eq!(device.attributes.len(), 1);
/// assert_eq!(device.to_attributes(), attributes);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Device {
    /// `DeviceKey`.
    pub key: String,
    /// The `device_name` attribute.
    pub name: Option<String>,
    /// The `dev:device_remembered_status` attribute; `None` when it is absent or holds a
    /// status this version does not know (that value then stays in `attributes`).
    pub remembered_status: Option<DeviceRememberedStatus>,
    /// `DeviceCreateDate`, seconds since the Unix epoch.
    pub created_at: Option<i64>,
    /// `DeviceLastModifiedDate`, seconds since the Unix epoch.
    pub last_modified_at: Option<i64>,
    /// `DeviceLastAuthenticatedDate`, seconds since the Unix epoch.
    pub last_authenticated_at: Option<i64>,
    /// The other `DeviceAttributes`, by name.
    pub attributes: BTreeMap<String, String>,
}

impl Device {
    /// The device `key`, with nothing else known.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name: None,
            remembered_status: None,
            created_at: None,
            last_modified_at: None,
            last_authenticated_at: None,
            attributes: BTreeMap::new(),
        }
    }

    /// The device `key` with Cognito's `DeviceAttributes`: the name and a known
    /// remembered status are taken out, the rest is kept as it is.
    pub fn from_attributes(
        key: impl Into<String>,
        mut attributes: BTreeMap<String, String>,
    ) -> Self {
        let name = attributes.remove(DEVICE_NAME_ATTRIBUTE);
        let remembered_status = attributes
            .get(DEVICE_REMEMBERED_STATUS_ATTRIBUTE)
            .and_then(|status| DeviceRememberedStatus::parse(status));
        if remembered_status.is_some() {
            attributes.remove(DEVICE_REMEMBERED_STATUS_ATTRIBUTE);
        }
        Self {
            name,
            remembered_status,
            attributes,
            ..Self::new(key)
        }
    }

    /// All attributes as Cognito lists them: the other attributes, the name and the
    /// remembered status.
    pub fn to_attributes(&self) -> BTreeMap<String, String> {
        let mut attributes = self.attributes.clone();
        if let Some(name) = &self.name {
            attributes.insert(DEVICE_NAME_ATTRIBUTE.to_owned(), name.clone());
        }
        if let Some(status) = self.remembered_status {
            attributes.insert(
                DEVICE_REMEMBERED_STATUS_ATTRIBUTE.to_owned(),
                status.as_str().to_owned(),
            );
        }
        attributes
    }

    /// True when the device is remembered.
    pub fn is_remembered(&self) -> bool {
        self.remembered_status == Some(DeviceRememberedStatus::Remembered)
    }

    /// Sets the name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the remembered status.
    pub fn with_remembered_status(mut self, status: DeviceRememberedStatus) -> Self {
        self.remembered_status = Some(status);
        self
    }

    /// Sets when the device was created, last modified and last authenticated (seconds
    /// since the Unix epoch; `None` leaves a time out).
    pub fn with_times(
        mut self,
        created_at: Option<i64>,
        last_modified_at: Option<i64>,
        last_authenticated_at: Option<i64>,
    ) -> Self {
        self.created_at = created_at;
        self.last_modified_at = last_modified_at;
        self.last_authenticated_at = last_authenticated_at;
        self
    }

    /// Adds one other attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_status_names_round_trip() {
        for status in [
            DeviceRememberedStatus::Remembered,
            DeviceRememberedStatus::NotRemembered,
        ] {
            assert_eq!(DeviceRememberedStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.to_string(), status.as_str());
        }
        assert_eq!(DeviceRememberedStatus::parse("Remembered"), None);
        assert_eq!(DeviceRememberedStatus::parse("valid"), None);
    }

    #[test]
    fn attributes_split_and_join() {
        let attributes = BTreeMap::from([
            ("device_status".to_owned(), "valid".to_owned()),
            (DEVICE_NAME_ATTRIBUTE.to_owned(), "phone".to_owned()),
            (
                DEVICE_REMEMBERED_STATUS_ATTRIBUTE.to_owned(),
                "not_remembered".to_owned(),
            ),
        ]);
        let device = Device::from_attributes("k1", attributes.clone());
        assert_eq!(device.key, "k1");
        assert_eq!(device.name.as_deref(), Some("phone"));
        assert_eq!(
            device.remembered_status,
            Some(DeviceRememberedStatus::NotRemembered)
        );
        assert!(!device.is_remembered());
        assert_eq!(
            device.attributes,
            BTreeMap::from([("device_status".to_owned(), "valid".to_owned())])
        );
        assert_eq!(device.to_attributes(), attributes);

        // A status of a later version is not lost: it stays an attribute.
        let device = Device::from_attributes(
            "k2",
            BTreeMap::from([(
                DEVICE_REMEMBERED_STATUS_ATTRIBUTE.to_owned(),
                "half_remembered".to_owned(),
            )]),
        );
        assert_eq!(device.remembered_status, None);
        assert_eq!(
            device.attributes[DEVICE_REMEMBERED_STATUS_ATTRIBUTE],
            "half_remembered"
        );
    }

    #[test]
    fn setters_fill_the_optional_fields() {
        let device = Device::new("k")
            .with_name("laptop")
            .with_remembered_status(DeviceRememberedStatus::Remembered)
            .with_times(Some(1), Some(2), None)
            .with_attribute("last_ip_used", "192.0.2.1");
        assert!(device.is_remembered());
        assert_eq!(
            (
                device.created_at,
                device.last_modified_at,
                device.last_authenticated_at
            ),
            (Some(1), Some(2), None)
        );
        assert_eq!(device.to_attributes().len(), 3);
        let bare = Device::new("k");
        assert!(bare.to_attributes().is_empty() && bare.name.is_none());
        let metadata = NewDeviceMetadata::new("key", "group");
        assert_eq!(
            (
                metadata.device_key.as_str(),
                metadata.device_group_key.as_str()
            ),
            ("key", "group")
        );
    }
}
