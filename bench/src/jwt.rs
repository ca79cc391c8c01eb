//! Unsigned but well-formed JWTs for seeding a token store (clients decode stored tokens,
//! they do not verify them), and rewriting the `exp` of a real one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use userpool_types::ClaimsBuilder;

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("JSON"))
}

/// `header.claims.signature` with a fixed RS256 header and a dummy signature.
pub fn unsigned(claims: &Value) -> String {
    let header = json!({ "kid": "bench-key", "alg": "RS256" });
    format!(
        "{}.{}.{}",
        b64(&header),
        b64(claims),
        URL_SAFE_NO_PAD.encode(b"not-a-signature")
    )
}

/// Id and access tokens shaped like Cognito's, expiring at `exp`; the same claims as
/// `xtask/peers/node-clients/amplify_common.js` writes.
pub fn tokens(
    pool_id: &str,
    client_id: &str,
    username: &str,
    sub: &str,
    exp: i64,
) -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let iat = now.min(exp - 60);
    let iss = format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}");
    let session = ClaimsBuilder::new(sub, username, client_id, iat)
        .issuer(iss)
        .origin_jti("5b0c4b86-0d59-4b3c-8a8e-1f2d3c4b5a69")
        .event_id("a5c1a2b7-6a4f-4ab9-9ac3-8d7c6b5a4f3e")
        .auth_time(iat);
    let mut attributes = serde_json::Map::new();
    attributes.insert("email_verified".into(), json!(true));
    attributes.insert("email".into(), json!(format!("{username}@example.com")));
    let id = unsigned(&Value::Object(session.id_token(
        exp,
        Some("3c7d2f4a-1b5e-4c6d-8e9f-0a1b2c3d4e5f"),
        attributes,
    )));
    let access = unsigned(&Value::Object(
        session.access_token(exp, Some("9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b")),
    ));
    (id, access)
}

/// The same token with `exp` (and `iat`, `auth_time` an hour before it) replaced; the
/// header and the (now invalid) signature are kept.
pub fn with_exp(token: &str, exp: i64) -> Option<String> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()?).ok()?;
    let obj = claims.as_object_mut()?;
    obj.insert("exp".into(), json!(exp));
    obj.insert("iat".into(), json!(exp - 3600));
    obj.insert("auth_time".into(), json!(exp - 3600));
    Some(format!("{h}.{}.{s}", b64(&claims)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_exp_only() {
        let (id, _) = tokens("us-east-1_X", "c", "u", "s", 2_000_000_000);
        let old = with_exp(&id, 1000).expect("a JWT");
        let p = old.split('.').nth(1).expect("claims");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).expect("b64")).expect("json");
        assert_eq!(claims["exp"], 1000);
        assert_eq!(claims["cognito:username"], "u");
        assert_eq!(old.split('.').next(), id.split('.').next());
    }
}
