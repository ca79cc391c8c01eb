//! Multi-factor authentication: the MFA methods, a user's MFA settings and changes to
//! them, and the details of a TOTP (authenticator app) enrolment.
//!
//! The names follow Amplify v6: [`MfaType`] is its `AuthMFAType` (`SMS`, `TOTP`,
//! `EMAIL`), [`MfaPreference`] its `MFAPreference` (`ENABLED`, `DISABLED`, `PREFERRED`,
//! `NOT_PREFERRED`), [`MfaSettings`] the answer of `fetchMFAPreference` and
//! [`TotpSetupDetails`] the `totpSetupDetails` of `setUpTOTP`.

use std::fmt;

use crate::{SecretString, Username};

/// An MFA method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MfaType {
    /// A code sent by SMS (Cognito: `SMS_MFA`).
    Sms,
    /// A code from an authenticator app (Cognito: `SOFTWARE_TOKEN_MFA`).
    Totp,
    /// A code sent by email (Cognito: `EMAIL_OTP`).
    Email,
}

impl MfaType {
    /// Every method, in Cognito's order.
    pub const ALL: &'static [MfaType] = &[Self::Sms, Self::Totp, Self::Email];

    /// Amplify v6's name: `SMS`, `TOTP` or `EMAIL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Totp => "TOTP",
            Self::Email => "EMAIL",
        }
    }

    /// Cognito's name, as `MFAS_CAN_CHOOSE`, `MFAS_CAN_SETUP`, `UserMFASettingList` and
    /// the `ANSWER` of `SELECT_MFA_TYPE` spell it.
    pub fn cognito_name(self) -> &'static str {
        match self {
            Self::Sms => "SMS_MFA",
            Self::Totp => "SOFTWARE_TOKEN_MFA",
            Self::Email => "EMAIL_OTP",
        }
    }

    /// Reads Cognito's name (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`); `None` for a
    /// method this version does not know.
    pub fn from_cognito_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.cognito_name() == name)
    }

    /// Reads what a person or an app may type to choose a method: Amplify's names in any
    /// case (`TOTP`, `sms`) or Cognito's (`SOFTWARE_TOKEN_MFA`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str().eq_ignore_ascii_case(name) || t.cognito_name() == name)
    }
}

impl fmt::Display for MfaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a list of Cognito MFA names, skipping the ones this version does not know (a
/// method added to Cognito later must not make a sign-in or a user unreadable).
pub fn mfa_types_from_cognito_names<S: AsRef<str>>(names: &[S]) -> Vec<MfaType> {
    let mut types: Vec<MfaType> = names
        .iter()
        .filter_map(|n| MfaType::from_cognito_name(n.as_ref()))
        .collect();
    types.dedup();
    types
}

/// What to do with one MFA method of the signed-in user (`SetUserMFAPreference`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MfaPreference {
    /// Enable the method, leaving which one is preferred as it is.
    Enabled,
    /// Disable the method.
    Disabled,
    /// Enable the method and make it the preferred one.
    Preferred,
    /// Enable the method and make it not the preferred one.
    NotPreferred,
}

impl MfaPreference {
    /// Cognito's `Enabled` for this change.
    pub fn enabled(self) -> bool {
        !matches!(self, Self::Disabled)
    }

    /// Cognito's `PreferredMfa` for this change: `None` leaves it out of the request.
    pub fn preferred_mfa(self) -> Option<bool> {
        match self {
            Self::Preferred => Some(true),
            Self::NotPreferred => Some(false),
            Self::Enabled | Self::Disabled => None,
        }
    }
}

/// A change of the signed-in user's MFA settings: one optional [`MfaPreference`] per
/// method; a method left `None` is not sent, so it stays as it is.
///
/// ```
/// use userpool_types::{MfaPreference, MfaPreferenceUpdate};
/// let update = MfaPreferenceUpdate::new()
///     .totp(MfaPreference::Preferred)
///     .sms(MfaPreference::Disabled);
/// assert_eq!(update.email, None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaPreferenceUpdate {
    /// SMS codes (`SMSMfaSettings`).
    pub sms: Option<MfaPreference>,
    /// The authenticator app (`SoftwareTokenMfaSettings`).
    pub totp: Option<MfaPreference>,
    /// Email codes (`EmailMfaSettings`).
    pub email: Option<MfaPreference>,
}

impl MfaPreferenceUpdate {
    /// A change of nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the change of SMS codes.
    pub fn sms(mut self, preference: MfaPreference) -> Self {
        self.sms = Some(preference);
        self
    }

    /// Sets the change of the authenticator app.
    pub fn totp(mut self, preference: MfaPreference) -> Self {
        self.totp = Some(preference);
        self
    }

    /// Sets the change of email codes.
    pub fn email(mut self, preference: MfaPreference) -> Self {
        self.email = Some(preference);
        self
    }

    /// True when no method is changed.
    pub fn is_empty(&self) -> bool {
        self.sms.is_none() && self.totp.is_none() && self.email.is_none()
    }
}

/// The signed-in user's MFA settings, as `GetUser` reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaSettings {
    /// The methods that are enabled (`UserMFASettingList`).
    pub enabled: Vec<MfaType>,
    /// The preferred method (`PreferredMfaSetting`), if one is set.
    pub preferred: Option<MfaType>,
}

impl MfaSettings {
    /// Reads `GetUser`'s `PreferredMfaSetting` and `UserMFASettingList`; names this
    /// version does not know are left out.
    pub fn from_cognito<S: AsRef<str>>(preferred: Option<&str>, enabled: &[S]) -> Self {
        Self {
            enabled: mfa_types_from_cognito_names(enabled),
            preferred: preferred.and_then(MfaType::from_cognito_name),
        }
    }
}

/// What an authenticator app needs to be set up: the shared secret
/// (`AssociateSoftwareToken`'s `SecretCode`) and the account name it is for.
///
/// The secret is a [`SecretString`]: `Debug` never shows it, and so is the URI built
/// from it.
///
/// ```
/// use userpool_types::{SecretString, TotpSetupDetails, Username};
/// let details = TotpSetupDetails::new(
///     SecretString::from("JBSWY3DPEHPK3PXP"),
///     Username::new("ada@example.com").unwrap(),
/// );
/// let uri = details.setup_uri("My App", None);
/// assert_eq!(
///     uri.expose(),
///     "otpauth://totp/My%20App:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My%20App"
/// );
/// assert!(!format!("{details:?}").contains("JBSW"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSetupDetails {
    shared_secret: SecretString,
    username: Username,
}

impl TotpSetupDetails {
    /// The secret `shared_secret` of the user `username` (the default account name of
    /// the URI).
    pub fn new(shared_secret: SecretString, username: Username) -> Self {
        Self {
            shared_secret,
            username,
        }
    }

    /// The shared secret (base32), to show to a person who types it into their app.
    pub fn shared_secret(&self) -> &SecretString {
        &self.shared_secret
    }

    /// The user the secret is for.
    pub fn username(&self) -> &Username {
        &self.username
    }

    /// The `otpauth://totp/{issuer}:{account}?secret=…&issuer=…` URI an authenticator
    /// app reads (as a QR code): `issuer` names the app or service, `account_name` the
    /// account (the username when `None`). Both are percent-encoded, so that a space, a
    /// `:` or an `@` cannot change the URI's structure. Amplify v6:
    /// `totpSetupDetails.getSetupUri(appName, accountName)`.
    ///
    /// The URI holds the secret, so it is a [`SecretString`] too.
    pub fn setup_uri(&self, issuer: &str, account_name: Option<&str>) -> SecretString {
        let account = account_name.unwrap_or(self.username.as_str());
        let issuer = percent_encode(issuer);
        SecretString::new(format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}",
            account = percent_encode(account),
            secret = percent_encode(self.shared_secret.expose()),
        ))
    }
}

impl fmt::Debug for TotpSetupDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpSetupDetails")
            .field("shared_secret", &self.shared_secret)
            .field("username", &self.username)
            .finish()
    }
}

/// Percent-encodes every byte but RFC 3986's unreserved characters, which is safe in a
/// path segment and in a query value alike.
fn percent_encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_both_ways() {
        for &t in MfaType::ALL {
            assert_eq!(MfaType::from_cognito_name(t.cognito_name()), Some(t));
            assert_eq!(MfaType::parse(t.as_str()), Some(t));
            assert_eq!(MfaType::parse(&t.as_str().to_lowercase()), Some(t));
            assert_eq!(MfaType::parse(t.cognito_name()), Some(t));
        }
        assert_eq!(MfaType::from_cognito_name("SMS"), None);
        assert_eq!(MfaType::from_cognito_name("WEB_AUTHN"), None);
        assert_eq!(MfaType::parse("push"), None);
        assert_eq!(MfaType::parse(""), None);
    }

    #[test]
    fn unknown_methods_are_skipped() {
        assert_eq!(
            mfa_types_from_cognito_names(&["SMS_MFA", "PUSH_MFA", "EMAIL_OTP"]),
            [MfaType::Sms, MfaType::Email]
        );
        let settings = MfaSettings::from_cognito(Some("PUSH_MFA"), &["SOFTWARE_TOKEN_MFA"]);
        assert_eq!(settings.enabled, [MfaType::Totp]);
        assert_eq!(settings.preferred, None);
        let settings = MfaSettings::from_cognito::<String>(Some("SMS_MFA"), &[]);
        assert_eq!(settings.preferred, Some(MfaType::Sms));
    }

    #[test]
    fn preferences_map_to_cognito_settings() {
        use MfaPreference::*;
        let table = [
            (Enabled, true, None),
            (Disabled, false, None),
            (Preferred, true, Some(true)),
            (NotPreferred, true, Some(false)),
        ];
        for (preference, enabled, preferred) in table {
            assert_eq!(preference.enabled(), enabled, "{preference:?}");
            assert_eq!(preference.preferred_mfa(), preferred, "{preference:?}");
        }
        assert!(MfaPreferenceUpdate::new().is_empty());
        assert!(!MfaPreferenceUpdate::new().email(Disabled).is_empty());
    }

    #[test]
    fn the_setup_uri_encodes_issuer_and_account() {
        let details = TotpSetupDetails::new(
            SecretString::from("ABCDEFGH234567"),
            Username::new("user one").unwrap(),
        );
        assert_eq!(
            details.setup_uri("Acme", None).expose(),
            "otpauth://totp/Acme:user%20one?secret=ABCDEFGH234567&issuer=Acme"
        );
        assert_eq!(
            details
                .setup_uri("Acme: Inc & Co/é", Some("ada+1@example.com"))
                .expose(),
            "otpauth://totp/Acme%3A%20Inc%20%26%20Co%2F%C3%A9:ada%2B1%40example.com\
             ?secret=ABCDEFGH234567&issuer=Acme%3A%20Inc%20%26%20Co%2F%C3%A9"
        );
        assert_eq!(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(percent_encode("?#="), "%3F%23%3D");
        let shown = format!("{details:?} {:?}", details.setup_uri("Acme", None));
        assert!(!shown.contains("ABCDEFGH"), "{shown}");
    }
}
