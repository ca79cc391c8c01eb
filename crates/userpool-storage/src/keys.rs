//! The key layout of the reference client (the table is on [`Keys`]).

/// The first segment of every key: `CognitoIdentityServiceProvider`.
pub const KEY_PREFIX: &str = "CognitoIdentityServiceProvider";

/// The storage keys of one app client, in the layout of the reference client
/// (amazon-cognito-identity-js, used by Amplify JS v5).
///
/// | method | key |
/// |---|---|
/// | [`Keys::last_auth_user`] | `CognitoIdentityServiceProvider.<clientId>.LastAuthUser` (the value is the username, `USER_ID_FOR_SRP`) |
/// | [`UserKeys::id_token`] | `CognitoIdentityServiceProvider.<clientId>.<username>.idToken` |
/// | [`UserKeys::access_token`] | `CognitoIdentityServiceProvider.<clientId>.<username>.accessToken` |
/// | [`UserKeys::refresh_token`] | `CognitoIdentityServiceProvider.<clientId>.<username>.refreshToken` |
/// | [`UserKeys::clock_drift`] | `CognitoIdentityServiceProvider.<clientId>.<username>.clockDrift` (seconds; older writers used milliseconds) |
/// | [`UserKeys::user_data`] | `CognitoIdentityServiceProvider.<clientId>.<username>.userData` (the cached GetUser answer) |
/// | [`UserKeys::device_key`] | `CognitoIdentityServiceProvider.<clientId>.<username>.deviceKey` |
/// | [`UserKeys::random_password_key`] | `CognitoIdentityServiceProvider.<clientId>.<username>.randomPasswordKey` |
/// | [`UserKeys::device_group_key`] | `CognitoIdentityServiceProvider.<clientId>.<username>.deviceGroupKey` |
///
/// The segments are joined with `.` and not escaped, as the reference does: a username
/// that contains a dot gives keys another tool may split differently.
///
/// ```
/// use userpool_storage::Keys;
/// let keys = Keys::new("abc");
/// assert_eq!(keys.last_auth_user(), "CognitoIdentityServiceProvider.abc.LastAuthUser");
/// assert_eq!(keys.user("bob").id_token(), "CognitoIdentityServiceProvider.abc.bob.idToken");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// The keys of the app client `client_id`.
    pub fn new(client_id: impl AsRef<str>) -> Self {
        Keys {
            prefix: format!("{KEY_PREFIX}.{}", client_id.as_ref()),
        }
    }

    /// The app client id these keys were built for.
    pub fn client_id(&self) -> &str {
        self.prefix
            .strip_prefix(KEY_PREFIX)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or_default()
    }

    /// `CognitoIdentityServiceProvider.<clientId>`, the start of every key of this client.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `CognitoIdentityServiceProvider.<clientId>.LastAuthUser`: the username of the
    /// signed-in user.
    pub fn last_auth_user(&self) -> String {
        format!("{}.LastAuthUser", self.prefix)
    }

    /// The keys of one user (`username` is the value stored under
    /// [`last_auth_user`](Keys::last_auth_user)).
    pub fn user(&self, username: &str) -> UserKeys {
        UserKeys {
            prefix: format!("{}.{username}", self.prefix),
        }
    }
}

/// The keys of one user of one app client. Built by [`Keys::user`]; see [`Keys`] for the
/// table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserKeys {
    prefix: String,
}

impl UserKeys {
    fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    /// `CognitoIdentityServiceProvider.<clientId>.<username>`, the start of every key of
    /// this user.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `….<username>.idToken`
    pub fn id_token(&self) -> String {
        self.key("idToken")
    }

    /// `….<username>.accessToken`
    pub fn access_token(&self) -> String {
        self.key("accessToken")
    }

    /// `….<username>.refreshToken`
    pub fn refresh_token(&self) -> String {
        self.key("refreshToken")
    }

    /// `….<username>.clockDrift`
    pub fn clock_drift(&self) -> String {
        self.key("clockDrift")
    }

    /// `….<username>.userData`
    pub fn user_data(&self) -> String {
        self.key("userData")
    }

    /// `….<username>.deviceKey`
    pub fn device_key(&self) -> String {
        self.key("deviceKey")
    }

    /// `….<username>.randomPasswordKey`
    pub fn random_password_key(&self) -> String {
        self.key("randomPasswordKey")
    }

    /// `….<username>.deviceGroupKey`
    pub fn device_group_key(&self) -> String {
        self.key("deviceGroupKey")
    }

    /// The session keys, which a sign-out removes (with [`Keys::last_auth_user`]): id,
    /// access and refresh token, clock drift, user data.
    pub fn session(&self) -> [String; 5] {
        [
            self.id_token(),
            self.access_token(),
            self.refresh_token(),
            self.clock_drift(),
            self.user_data(),
        ]
    }

    /// The remembered-device keys, which survive a sign-out: device key, random
    /// password key, device group key.
    pub fn device(&self) -> [String; 3] {
        [
            self.device_key(),
            self.random_password_key(),
            self.device_group_key(),
        ]
    }

    /// Every key of this user: the [session](UserKeys::session) keys then the
    /// [device](UserKeys::device) keys.
    pub fn all(&self) -> [String; 8] {
        let [a, b, c, d, e] = self.session();
        let [f, g, h] = self.device();
        [a, b, c, d, e, f, g, h]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_layout_matches_reference() {
        let keys = Keys::new("client123");
        assert_eq!(keys.client_id(), "client123");
        assert_eq!(keys.prefix(), "CognitoIdentityServiceProvider.client123");
        assert_eq!(
            keys.last_auth_user(),
            "CognitoIdentityServiceProvider.client123.LastAuthUser"
        );
        let u = keys.user("alice");
        let p = "CognitoIdentityServiceProvider.client123.alice";
        assert_eq!(u.prefix(), p);
        assert_eq!(u.id_token(), format!("{p}.idToken"));
        assert_eq!(u.access_token(), format!("{p}.accessToken"));
        assert_eq!(u.refresh_token(), format!("{p}.refreshToken"));
        assert_eq!(u.clock_drift(), format!("{p}.clockDrift"));
        assert_eq!(u.user_data(), format!("{p}.userData"));
        assert_eq!(u.device_key(), format!("{p}.deviceKey"));
        assert_eq!(u.random_password_key(), format!("{p}.randomPasswordKey"));
        assert_eq!(u.device_group_key(), format!("{p}.deviceGroupKey"));
    }

    #[test]
    fn all_is_session_then_device() {
        let u = Keys::new("c").user("u-uuid-1");
        let all = u.all();
        assert_eq!(&all[..5], &u.session()[..]);
        assert_eq!(&all[5..], &u.device()[..]);
        let suffixes: Vec<&str> = all
            .iter()
            .map(|k| k.rsplit('.').next().unwrap_or_default())
            .collect();
        assert_eq!(
            suffixes,
            [
                "idToken",
                "accessToken",
                "refreshToken",
                "clockDrift",
                "userData",
                "deviceKey",
                "randomPasswordKey",
                "deviceGroupKey"
            ]
        );
    }

    #[test]
    fn usernames_are_not_escaped() {
        let u = Keys::new("c").user("a.b@example.com");
        assert_eq!(
            u.id_token(),
            "CognitoIdentityServiceProvider.c.a.b@example.com.idToken"
        );
    }
}
