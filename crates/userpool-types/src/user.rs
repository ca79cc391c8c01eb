//! The user as the pool describes them.

use serde::{Deserialize, Serialize};

use crate::{AttributeName, Attributes, Error, Username};

/// A user: username, attributes, and MFA settings, as GetUser answers, and the groups and
/// roles the session's tokens name (GetUser does not answer groups).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    username: Username,
    attributes: Attributes,
    preferred_mfa: Option<String>,
    mfa_methods: Vec<String>,
    groups: Vec<String>,
    roles: Vec<String>,
    preferred_role: Option<String>,
}

impl User {
    /// Builds a user.
    pub fn new(username: Username, attributes: Attributes) -> Self {
        Self {
            username,
            attributes,
            preferred_mfa: None,
            mfa_methods: Vec::new(),
            groups: Vec::new(),
            roles: Vec::new(),
            preferred_role: None,
        }
    }

    /// Sets the groups and roles from the session's tokens ([`Session::groups`],
    /// [`Session::roles`], [`Session::preferred_role`]).
    ///
    /// [`Session::groups`]: crate::Session::groups
    /// [`Session::roles`]: crate::Session::roles
    /// [`Session::preferred_role`]: crate::Session::preferred_role
    pub fn with_groups_of(mut self, session: &crate::Session) -> Self {
        self.groups = session.groups().to_vec();
        self.roles = session.roles().to_vec();
        self.preferred_role = session.preferred_role().map(str::to_owned);
        self
    }

    /// The user's groups (`cognito:groups` of the tokens); empty when the user is in no
    /// group, or when the user was not built from a session.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The IAM roles of the user's groups (`cognito:roles`).
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// The role of the group that takes precedence (`cognito:preferred_role`).
    pub fn preferred_role(&self) -> Option<&str> {
        self.preferred_role.as_deref()
    }

    /// Sets the MFA settings (an empty preferred method counts as none).
    pub fn with_mfa(mut self, preferred: Option<String>, methods: Vec<String>) -> Self {
        // Some servers send an empty string for "none".
        self.preferred_mfa = preferred.filter(|p| !p.is_empty());
        self.mfa_methods = methods;
        self
    }

    /// The username the pool knows the user by.
    pub fn username(&self) -> &Username {
        &self.username
    }

    /// The user's `sub`, the stable unique id.
    pub fn sub(&self) -> Option<&str> {
        self.attributes.get("sub")
    }

    /// All attributes, as the server sent them (strings).
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// One attribute.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name)
    }

    /// `email`.
    pub fn email(&self) -> Option<&str> {
        self.attributes.get("email")
    }

    /// `email_verified` as a boolean.
    pub fn email_verified(&self) -> Option<bool> {
        self.attributes.get_bool("email_verified")
    }

    /// `phone_number`.
    pub fn phone_number(&self) -> Option<&str> {
        self.attributes.get("phone_number")
    }

    /// `phone_number_verified` as a boolean.
    pub fn phone_number_verified(&self) -> Option<bool> {
        self.attributes.get_bool("phone_number_verified")
    }

    /// The attributes as JSON, with the `*_verified` flags as booleans, the way the
    /// reference presents them.
    pub fn attributes_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.attributes
            .iter()
            .map(|(name, value)| {
                let value = match (
                    name.as_str().ends_with("_verified"),
                    self.attributes.get_bool(name.as_str()),
                ) {
                    (true, Some(b)) => serde_json::Value::Bool(b),
                    _ => serde_json::Value::String(value.to_owned()),
                };
                (name.as_str().to_owned(), value)
            })
            .collect()
    }

    /// The preferred MFA method (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`), or none.
    pub fn preferred_mfa(&self) -> Option<&str> {
        self.preferred_mfa.as_deref()
    }

    /// The MFA methods the user has set up.
    pub fn mfa_methods(&self) -> &[String] {
        &self.mfa_methods
    }

    /// The reference's `userData` form (the GetUser answer), as stored under the
    /// `.userData` key. Groups and roles are not part of it: they are read from the tokens.
    pub fn to_user_data(&self) -> String {
        let data = UserData {
            username: self.username.as_str().to_owned(),
            user_attributes: self
                .attributes
                .iter()
                .map(|(name, value)| NameValue {
                    name: name.as_str().to_owned(),
                    value: value.to_owned(),
                })
                .collect(),
            preferred_mfa_setting: self.preferred_mfa.clone(),
            user_mfa_setting_list: (!self.mfa_methods.is_empty()).then(|| self.mfa_methods.clone()),
        };
        // Serializing plain strings cannot fail.
        serde_json::to_string(&data).unwrap_or_default()
    }

    /// Reads the `userData` form back. Malformed data is a typed error.
    pub fn from_user_data(json: &str) -> Result<Self, Error> {
        let bad = |reason: String| Error::Storage {
            reason: format!("userData: {reason}"),
            source: None,
        };
        let data: UserData = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        let username = Username::new(data.username).map_err(|e| bad(e.to_string()))?;
        let attributes = data
            .user_attributes
            .into_iter()
            .map(|nv| Ok((AttributeName::new(nv.name)?, nv.value)))
            .collect::<Result<Attributes, Error>>()
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self::new(username, attributes).with_mfa(
            data.preferred_mfa_setting,
            data.user_mfa_setting_list.unwrap_or_default(),
        ))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserData {
    username: String,
    #[serde(default)]
    user_attributes: Vec<NameValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preferred_mfa_setting: Option<String>,
    #[serde(
        default,
        rename = "UserMFASettingList",
        skip_serializing_if = "Option::is_none"
    )]
    user_mfa_setting_list: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameValue {
    name: String,
    value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trip() {
        let attrs = Attributes::try_from([
            ("sub", "s-1"),
            ("email", "a@b.c"),
            ("email_verified", "true"),
        ])
        .unwrap();
        let user = User::new(Username::new("ada").unwrap(), attrs);
        let json = user.to_user_data();
        assert!(
            json.contains(r#""UserAttributes":[{"Name":"email","Value":"a@b.c"}"#),
            "{json}"
        );
        let back = User::from_user_data(&json).unwrap();
        assert_eq!(back, user);
        assert_eq!(back.sub(), Some("s-1"));
        assert_eq!(back.email_verified(), Some(true));
        assert_eq!(
            back.attributes_json()["email_verified"],
            serde_json::Value::Bool(true)
        );
        assert!(User::from_user_data("{").is_err());
        assert!(User::from_user_data(r#"{"Username":""}"#).is_err());
        assert!(
            User::from_user_data(r#"{"Username":"x","UserAttributes":[{"Name":"","Value":""}]}"#)
                .is_err()
        );
    }

    #[test]
    fn groups_are_read_from_the_session() {
        use crate::token::unsigned_jwt;
        use crate::{AccessToken, IdToken, Session};
        let role = "arn:aws:iam::123456789012:role/r";
        let id = unsigned_jwt(&serde_json::json!({
            "token_use": "id", "exp": 10, "cognito:groups": ["g1", "g2"],
            "cognito:roles": [role], "cognito:preferred_role": role,
        }));
        let access = unsigned_jwt(&serde_json::json!({"token_use": "access", "exp": 10}));
        let session = Session::arrived(
            IdToken::parse(id.as_str()).unwrap(),
            AccessToken::parse(access.as_str()).unwrap(),
            None,
            0,
        );
        let attrs = Attributes::try_from([("sub", "s-1")]).unwrap();
        let plain = User::new(Username::new("ada").unwrap(), attrs);
        assert!(plain.groups().is_empty());
        let user = plain.clone().with_groups_of(&session);
        assert_eq!(user.groups(), ["g1", "g2"]);
        assert_eq!(user.roles(), [role]);
        assert_eq!(user.preferred_role(), Some(role));
        // userData holds the GetUser answer only.
        let json = user.to_user_data();
        assert!(!json.contains("g1"), "{json}");
        assert_eq!(User::from_user_data(&json).unwrap(), plain);
    }
}
