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
/// `scope` (access token): [`SIGNIN_SCOPE`] for tokens of the user-pool API; the OAuth
/// scopes granted, separated by spaces, for tokens of the hosted sign-in's `/oauth2/token`.
pub const SCOPE: &str = "scope";
/// `nonce` (id token of the hosted sign-in): the `nonce` of the authorization request,
/// repeated so the app can tie the token to its request (OpenID Connect Core §2).
pub const NONCE: &str = "nonce";
/// `at_hash` (id token of the hosted sign-in): the access token's hash, the base64url of
/// the left half of its SHA-256 (OpenID Connect Core §3.1.3.6).
pub const AT_HASH: &str = "at_hash";
/// `version` (access token of the OAuth endpoints): `2` in Cognito's tokens from
/// `/oauth2/token` and `/oauth2/authorize`; absent from the user-pool API's tokens.
pub const VERSION: &str = "version";
/// The value of [`VERSION`] in OAuth access tokens.
pub const OAUTH_ACCESS_VERSION: i64 = 2;
/// `auth_time`: when the user signed in (seconds since the Unix epoch).
pub const AUTH_TIME: &str = "auth_time";
/// `exp`: expiry (seconds since the Unix epoch).
pub const EXP: &str = "exp";
/// `iat`: issue time (seconds since the Unix epoch).
pub const IAT: &str = "iat";
/// `nbf`: not valid before (seconds since the Unix epoch). Cognito does not set it; a
/// verifier checks it when a token carries it.
pub const NBF: &str = "nbf";
/// `jti`: the token's own id.
pub const JTI: &str = "jti";
/// `cognito:groups` (id and access token): the names of the user's groups, present only
/// when the user is in at least one group.
pub const COGNITO_GROUPS: &str = "cognito:groups";
/// `cognito:roles` (id token): the IAM role ARNs of the user's groups that have one.
pub const COGNITO_ROLES: &str = "cognito:roles";
/// `cognito:preferred_role` (id token): the role ARN of the user's group with the lowest
/// precedence value among the groups that have a role.
pub const COGNITO_PREFERRED_ROLE: &str = "cognito:preferred_role";

/// `token_use` of an id token.
pub const TOKEN_USE_ID: &str = "id";
/// `token_use` of an access token.
pub const TOKEN_USE_ACCESS: &str = "access";
/// The scope of an access token issued by the user-pool API (not OAuth).
pub const SIGNIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// The `iss` of the tokens of Amazon Cognito user pool `pool_id` in `region`:
/// `https://cognito-idp.<region>.amazonaws.com/<pool id>`. Its JWKS is at this URL followed
/// by `/.well-known/jwks.json`.
pub fn cognito_issuer(region: &str, pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// The path of a pool's JWKS under its issuer: `/.well-known/jwks.json`.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

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
    groups: Vec<TokenGroup>,
    scope: Option<String>,
    nonce: Option<String>,
    extra: Map<String, Value>,
}

/// A group the user is in, as far as the tokens need it: its name, its precedence (`None`
/// when the group has none) and its IAM role ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGroup {
    /// `GroupName`.
    pub name: String,
    /// `Precedence`: lower values take precedence; `None` ranks after every value.
    pub precedence: Option<u32>,
    /// `RoleArn`.
    pub role_arn: Option<String>,
}

impl TokenGroup {
    /// A group named `name`.
    pub fn new(name: impl Into<String>, precedence: Option<u32>, role_arn: Option<String>) -> Self {
        Self {
            name: name.into(),
            precedence,
            role_arn,
        }
    }

    /// The order of groups in the claims: precedence first (a group without one after
    /// every group with one), then name.
    fn rank(&self) -> (bool, u32, &str) {
        (
            self.precedence.is_none(),
            self.precedence.unwrap_or(u32::MAX),
            &self.name,
        )
    }
}

/// The group claims of a set of groups, ordered by [`TokenGroup::rank`]: the names, the
/// distinct role ARNs, and the preferred role.
///
/// Cognito documents that the preferred role is the role of the group with the lowest
/// precedence among the groups with a role, and that when several such groups share that
/// precedence with different roles, there is no preferred role. It does not document the
/// order of the names, so they are given in the order the preferred role is chosen in.
fn group_claims(groups: &[TokenGroup]) -> (Vec<String>, Vec<String>, Option<String>) {
    let mut sorted: Vec<&TokenGroup> = groups.iter().collect();
    sorted.sort_by(|a, b| a.rank().cmp(&b.rank()));
    // A name given twice counts once, at its best rank.
    let mut seen = std::collections::BTreeSet::new();
    sorted.retain(|g| seen.insert(g.name.as_str()));
    let names = sorted.iter().map(|g| g.name.clone()).collect();
    let mut roles: Vec<String> = Vec::new();
    for role in sorted.iter().filter_map(|g| g.role_arn.as_ref()) {
        if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    let with_role: Vec<&TokenGroup> = sorted
        .iter()
        .copied()
        .filter(|g| g.role_arn.is_some())
        .collect();
    let preferred = with_role.first().and_then(|first| {
        let mut tied = with_role
            .iter()
            .filter(|g| g.precedence == first.precedence);
        let role = first.role_arn.clone();
        tied.all(|g| g.role_arn == role).then_some(role).flatten()
    });
    (names, roles, preferred)
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
            groups: Vec::new(),
            scope: None,
            nonce: None,
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

    /// The groups the user is in (any order): `cognito:groups` in both tokens, and
    /// `cognito:roles` and `cognito:preferred_role` in the id token when groups have
    /// roles. Without groups the claims are left out, as Cognito does.
    pub fn groups(mut self, groups: impl IntoIterator<Item = TokenGroup>) -> Self {
        self.groups = groups.into_iter().collect();
        self
    }

    /// The OAuth scopes granted (hosted sign-in): the access token's `scope` is them
    /// joined by single spaces, in the order given, instead of [`SIGNIN_SCOPE`], and the
    /// access token carries `version: 2`, as Cognito's OAuth access tokens do. A scope
    /// never contains a space (RFC 6749 §3.3), so the join is unambiguous.
    pub fn scope<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        let joined: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.scope = Some(joined.join(" "));
        self
    }

    /// `nonce` (id token only): the authorization request's nonce.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
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
        if !self.groups.is_empty() {
            let (names, _, _) = group_claims(&self.groups);
            base.insert(COGNITO_GROUPS.into(), names.into());
        }
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
    /// session's claims that are set, and the group claims (see [`groups`](Self::groups)).
    /// A standard claim overrides an attribute of the same name.
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
        if let Some(nonce) = &self.nonce {
            claims.insert(NONCE.into(), nonce.clone().into());
        }
        let (_, roles, preferred) = group_claims(&self.groups);
        if !roles.is_empty() {
            claims.insert(COGNITO_ROLES.into(), roles.into());
        }
        if let Some(preferred) = preferred {
            claims.insert(COGNITO_PREFERRED_ROLE.into(), preferred.into());
        }
        claims
    }

    /// The access token's claims: `sub`, `username`, `client_id`, `token_use: access`,
    /// `scope: aws.cognito.signin.user.admin` (or the OAuth scopes and `version`, see
    /// [`scope`](Self::scope)), `iat`, `exp`, `jti` when given, the session's claims that
    /// are set, and `cognito:groups` (roles are id-token claims).
    pub fn access_token(&self, exp: i64, jti: Option<&str>) -> Map<String, Value> {
        let mut claims = self.common(Map::new(), TOKEN_USE_ACCESS, exp);
        claims.insert(USERNAME.into(), self.username.clone().into());
        claims.insert(CLIENT_ID.into(), self.client_id.clone().into());
        match &self.scope {
            Some(scope) => {
                claims.insert(SCOPE.into(), scope.clone().into());
                claims.insert(VERSION.into(), OAUTH_ACCESS_VERSION.into());
            }
            None => {
                claims.insert(SCOPE.into(), SIGNIN_SCOPE.into());
            }
        }
        if let Some(jti) = jti {
            claims.insert(JTI.into(), jti.into());
        }
        claims
    }
}

/// The claims of a machine-to-machine access token (the `client_credentials` grant of
/// `/oauth2/token`), as Cognito issues them: `sub` and `client_id` are both the app client
/// id, `token_use: access`, `scope` (the granted resource-server scopes joined by spaces),
/// `auth_time` (the issue time: no user signed in), `iss`, `iat`, `exp`, `version: 2` and
/// `jti`. There is no user, so no `username`, `origin_jti`, `event_id` or groups.
pub fn machine_access_token<S: AsRef<str>>(
    client_id: &str,
    issuer: &str,
    iat: i64,
    exp: i64,
    jti: &str,
    scopes: impl IntoIterator<Item = S>,
) -> Map<String, Value> {
    let scopes: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
    let mut claims = Map::new();
    claims.insert(SUB.into(), client_id.into());
    claims.insert(CLIENT_ID.into(), client_id.into());
    claims.insert(TOKEN_USE.into(), TOKEN_USE_ACCESS.into());
    claims.insert(SCOPE.into(), scopes.join(" ").into());
    claims.insert(AUTH_TIME.into(), iat.into());
    claims.insert(ISS.into(), issuer.into());
    claims.insert(IAT.into(), iat.into());
    claims.insert(EXP.into(), exp.into());
    claims.insert(VERSION.into(), OAUTH_ACCESS_VERSION.into());
    claims.insert(JTI.into(), jti.into());
    claims
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

    #[test]
    fn oauth_scopes_and_nonce_change_only_their_claims() {
        let api = ClaimsBuilder::new("s", "u", "c", 1).auth_time(1);
        let hosted = api
            .clone()
            .scope(["openid", "email", SIGNIN_SCOPE])
            .nonce("n-1");
        let access = hosted.access_token(2, Some("j"));
        assert_eq!(
            access[SCOPE],
            json!("openid email aws.cognito.signin.user.admin")
        );
        assert_eq!(access[VERSION], json!(2));
        assert!(
            !access.contains_key(NONCE),
            "the nonce is an id-token claim"
        );
        let id = hosted.id_token(2, Some("j"), Map::new());
        assert_eq!(id[NONCE], json!("n-1"));
        // Apart from those claims, the hosted tokens are the API's.
        let mut api_access = api.access_token(2, Some("j"));
        assert!(!api_access.contains_key(VERSION));
        assert!(!api.id_token(2, None, Map::new()).contains_key(NONCE));
        api_access.insert(SCOPE.into(), access[SCOPE].clone());
        api_access.insert(VERSION.into(), json!(2));
        assert_eq!(api_access, access);
        let mut api_id = api.id_token(2, Some("j"), Map::new());
        api_id.insert(NONCE.into(), json!("n-1"));
        assert_eq!(api_id, id);
    }

    #[test]
    fn machine_tokens_name_the_client() {
        let claims =
            machine_access_token("c-1", "https://i/p", 10, 3610, "j", ["rs/read", "rs/write"]);
        assert_eq!(
            Value::Object(claims),
            json!({
                "sub": "c-1", "client_id": "c-1", "token_use": "access",
                "scope": "rs/read rs/write", "auth_time": 10, "iss": "https://i/p",
                "iat": 10, "exp": 3610, "version": 2, "jti": "j",
            })
        );
    }

    fn group(name: &str, precedence: Option<u32>, role: Option<&str>) -> TokenGroup {
        TokenGroup::new(name, precedence, role.map(str::to_owned))
    }

    #[test]
    fn groups_are_ordered_by_precedence_then_name_in_both_tokens() {
        let session = ClaimsBuilder::new("s", "u", "c", 1).groups([
            group("zeta", None, None),
            group("beta", Some(5), None),
            group("alpha", Some(5), None),
            group("omega", Some(0), None),
            group("alpha", Some(9), None),
        ]);
        let expected = json!(["omega", "alpha", "beta", "zeta"]);
        let id = session.id_token(2, None, Map::new());
        assert_eq!(id[COGNITO_GROUPS], expected);
        assert!(!id.contains_key(COGNITO_ROLES), "no group has a role");
        assert!(!id.contains_key(COGNITO_PREFERRED_ROLE));
        let access = session.access_token(2, None);
        assert_eq!(access[COGNITO_GROUPS], expected);
        assert!(
            !access.contains_key(COGNITO_ROLES),
            "roles are id-token claims"
        );
    }

    #[test]
    fn without_groups_there_are_no_group_claims() {
        let session = ClaimsBuilder::new("s", "u", "c", 1).groups([]);
        let id = session.id_token(2, None, Map::new());
        let access = session.access_token(2, None);
        for name in [COGNITO_GROUPS, COGNITO_ROLES, COGNITO_PREFERRED_ROLE] {
            assert!(!id.contains_key(name), "{name}");
            assert!(!access.contains_key(name), "{name}");
        }
    }

    #[test]
    fn the_preferred_role_is_the_lowest_precedence_role() {
        let a = "arn:aws:iam::123456789012:role/a";
        let b = "arn:aws:iam::123456789012:role/b";
        let id = |groups: Vec<TokenGroup>| {
            ClaimsBuilder::new("s", "u", "c", 1)
                .groups(groups)
                .id_token(2, None, Map::new())
        };
        // The group without a role is skipped; a group without precedence ranks last.
        let claims = id(vec![
            group("first", Some(0), None),
            group("later", None, Some(a)),
            group("second", Some(3), Some(b)),
        ]);
        assert_eq!(claims[COGNITO_ROLES], json!([b, a]));
        assert_eq!(claims[COGNITO_PREFERRED_ROLE], json!(b));
        // A tie with different roles: no preferred role, both roles listed.
        let claims = id(vec![
            group("x", Some(1), Some(a)),
            group("y", Some(1), Some(b)),
        ]);
        assert_eq!(claims[COGNITO_ROLES], json!([a, b]));
        assert!(!claims.contains_key(COGNITO_PREFERRED_ROLE));
        // A tie with the same role: that role, listed once.
        let claims = id(vec![
            group("x", Some(1), Some(a)),
            group("y", Some(1), Some(a)),
        ]);
        assert_eq!(claims[COGNITO_ROLES], json!([a]));
        assert_eq!(claims[COGNITO_PREFERRED_ROLE], json!(a));
        // Only groups without precedence: the same rule among them.
        let claims = id(vec![group("x", None, Some(a)), group("y", None, Some(b))]);
        assert!(!claims.contains_key(COGNITO_PREFERRED_ROLE));
        let claims = id(vec![group("x", None, Some(a))]);
        assert_eq!(claims[COGNITO_PREFERRED_ROLE], json!(a));
    }
}
