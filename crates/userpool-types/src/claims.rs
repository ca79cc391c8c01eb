//! The claims of Cognito's id and access tokens: their names, and a builder of the two claim
//! sets as Cognito issues them after a sign-in or a refresh.
//!
//! The local pool signs what [`ClaimsBuilder`] builds; the client's test fixtures and the
//! benchmarks build their unsigned tokens with it, so every side agrees on the names.

use serde_json::{Map, Value};

/// `sub`: the user's immutable id (a UUID).
pub const SUB: &str = "sub";
/// `iss`: the issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
pub const ISS: &str = "iss";
/// `aud` (id token): the app client id.
pub const AUD: &str = "aud";
/// `client_id` (access token): the app client id.
pub const CLIENT_ID: &str = "client_id";
/// `cognito:username` (id token): the user's username.
pub const COGNITO_USERNAME: &str = "cognito:username";
/// `username` (access token): the user's username.
pub const USERNAME: &str = "username";
/// `origin_jti`: the sign-in session; tokens that carry it can be revoked with RevokeToken.
pub const ORIGIN_JTI: &str = "origin_jti";
/// `event_id`: the sign-in event.
pub const EVENT_ID: &str = "event_id";
/// `token_use`: [`TOKEN_USE_ID`] or [`TOKEN_USE_ACCESS`].
pub const TOKEN_USE: &str = "token_use";
/// `scope` (access token): [`SIGNIN_SCOPE`] for tokens of the user-pool API.
pub const SCOPE: &str = "scope";
/// `auth_time`: when the user signed in (seconds since the Unix epoch).
pub const AUTH_TIME: &str = "auth_time";
/// `exp`: expiry (seconds since the Unix epoch).
pub const EXP: &str = "exp";
/// `iat`: issue time (seconds since the Unix epoch).
pub const IAT: &str = "iat";
/// `jti`: the token's own id.
pub const JTI: &str = "jti";

/// `token_use` of an id token.
pub const TOKEN_USE_ID: &str = "id";
/// `token_use` of an access token.
pub const TOKEN_USE_ACCESS: &str = "access";
/// The scope of an access token issued by the user-pool API (not OAuth).
pub const SIGNIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// The id and access token claims of one sign-in session.
///
/// The claims every token of the session shares are given once (`sub`, username, app
/// client, issue time, and optionally issuer, `origin_jti`, `event_id`, `auth_time`);
/// [`id_token`](Self::id_token) and [`access_token`](Self::access_token) then add each
/// token's own (`token_use`, `exp`, `jti`, `aud` or `client_id` and `scope`). A claim left
/// unset is left out of the token. Claims are JSON objects with sorted keys, so the same
/// inputs give the same bytes.
#[derive(Clone, Debug)]
pub struct ClaimsBuilder {
    sub: String,
    username: String,
    client_id: String,
    iat: i64,
    issuer: Option<String>,
    origin_jti: Option<String>,
    event_id: Option<String>,
    auth_time: Option<i64>,
    extra: Map<String, Value>,
}

impl ClaimsBuilder {
    /// The claims of a session of user `sub` (`username`) with app client `client_id`,
    /// issued at `iat`.
    pub fn new(
        sub: impl Into<String>,
        username: impl Into<String>,
        client_id: impl Into<String>,
        iat: i64,
    ) -> Self {
        Self {
            sub: sub.into(),
            username: username.into(),
            client_id: client_id.into(),
            iat,
            issuer: None,
            origin_jti: None,
            event_id: None,
            auth_time: None,
            extra: Map::new(),
        }
    }

    /// `iss`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// `origin_jti`.
    pub fn origin_jti(mut self, origin_jti: impl Into<String>) -> Self {
        self.origin_jti = Some(origin_jti.into());
        self
    }

    /// `event_id`.
    pub fn event_id(mut self, event_id: impl Into<String>) -> Self {
        self.event_id = Some(event_id.into());
        self
    }

    /// `auth_time`.
    pub fn auth_time(mut self, auth_time: i64) -> Self {
        self.auth_time = Some(auth_time);
        self
    }

    /// Any other claim, in both tokens (a test's marker, say). The claims this builder
    /// sets itself take precedence.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// The claims shared by both tokens, over `base`.
    fn common(
        &self,
        mut base: Map<String, Value>,
        token_use: &str,
        exp: i64,
    ) -> Map<String, Value> {
        base.extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        base.insert(SUB.into(), self.sub.clone().into());
        base.insert(TOKEN_USE.into(), token_use.into());
        base.insert(IAT.into(), self.iat.into());
        base.insert(EXP.into(), exp.into());
        let optional = [
            (ISS, self.issuer.clone().map(Value::from)),
            (ORIGIN_JTI, self.origin_jti.clone().map(Value::from)),
            (EVENT_ID, self.event_id.clone().map(Value::from)),
            (AUTH_TIME, self.auth_time.map(Value::from)),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                base.insert(name.into(), value);
            }
        }
        base
    }

    /// The id token's claims: the user's readable attributes as `attributes` gives them
    /// (already in claim form: Booleans, `address` as an object…), then `sub`,
    /// `cognito:username`, `aud`, `token_use: id`, `iat`, `exp`, `jti` when given, and the
    /// session's claims that are set. A standard claim overrides an attribute of the same
    /// name.
    pub fn id_token(
        &self,
        exp: i64,
        jti: Option<&str>,
        attributes: Map<String, Value>,
    ) -> Map<String, Value> {
        let mut claims = self.common(attributes, TOKEN_USE_ID, exp);
        claims.insert(COGNITO_USERNAME.into(), self.username.clone().into());
        claims.insert(AUD.into(), self.client_id.clone().into());
        if let Some(jti) = jti {
            claims.insert(JTI.into(), jti.into());
        }
        claims
    }

    /// The access token's claims: `sub`, `username`, `client_id`, `token_use: access`,
    /// `scope: aws.cognito.signin.user.admin`, `iat`, `exp`, `jti` when given, and the
    /// session's claims that are set.
    pub fn access_token(&self, exp: i64, jti: Option<&str>) -> Map<String, Value> {
        let mut claims = self.common(Map::new(), TOKEN_USE_ACCESS, exp);
        claims.insert(USERNAME.into(), self.username.clone().into());
        claims.insert(CLIENT_ID.into(), self.client_id.clone().into());
        claims.insert(SCOPE.into(), SIGNIN_SCOPE.into());
        if let Some(jti) = jti {
            claims.insert(JTI.into(), jti.into());
        }
        claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claim_sets_are_cognitos() {
        let session = ClaimsBuilder::new("s-1", "ada", "client-1", 1000)
            .issuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X")
            .origin_jti("o-1")
            .event_id("e-1")
            .auth_time(990);
        let mut attributes = Map::new();
        attributes.insert("email".into(), json!("ada@example.com"));
        attributes.insert("email_verified".into(), json!(true));
        attributes.insert("sub".into(), json!("s-1"));
        let id = session.id_token(4600, Some("j-1"), attributes);
        assert_eq!(
            Value::Object(id),
            json!({
                "sub": "s-1", "email": "ada@example.com", "email_verified": true,
                "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
                "cognito:username": "ada", "origin_jti": "o-1", "aud": "client-1",
                "event_id": "e-1", "token_use": "id", "auth_time": 990, "exp": 4600,
                "iat": 1000, "jti": "j-1",
            })
        );
        let access = session.access_token(4600, Some("j-2"));
        assert_eq!(
            Value::Object(access),
            json!({
                "sub": "s-1",
                "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
                "client_id": "client-1", "origin_jti": "o-1", "event_id": "e-1",
                "token_use": "access", "scope": "aws.cognito.signin.user.admin",
                "auth_time": 990, "exp": 4600, "iat": 1000, "jti": "j-2", "username": "ada",
            })
        );
    }

    #[test]
    fn unset_claims_are_left_out_and_extras_yield() {
        let session = ClaimsBuilder::new("s", "u", "c", 1)
            .claim("tag", "a")
            .claim(TOKEN_USE, "forged");
        let access = session.access_token(2, None);
        assert_eq!(
            Value::Object(access),
            json!({
                "sub": "s", "username": "u", "client_id": "c", "token_use": "access",
                "scope": SIGNIN_SCOPE, "iat": 1, "exp": 2, "tag": "a",
            })
        );
    }
}
