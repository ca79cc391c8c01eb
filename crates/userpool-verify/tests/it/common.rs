//! Tokens of a fixed key and an offline verifier that trusts it.

#![allow(dead_code)]

use serde_json::{Map, Value};
use userpool_types::ClaimsBuilder;
use userpool_types::claims::TokenGroup;
use userpool_verify::test_util::TestKey;
use userpool_verify::{Pool, TokenUse, Verifier, VerifierBuilder};

pub const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";
pub const CLIENT: &str = "client-one";
/// The verifiers' clock in these tests.
pub const NOW: i64 = 1_750_000_000;

/// A session's claims as Cognito issues them (the types crate's builder), issued a minute
/// before [`NOW`], in groups `staff`.
pub fn session() -> ClaimsBuilder {
    ClaimsBuilder::new("sub-1", "ada", CLIENT, NOW - 60)
        .issuer(ISSUER)
        .auth_time(NOW - 60)
        .origin_jti("o-1")
        .groups([TokenGroup::new("staff", Some(1), None)])
}

pub fn access_claims() -> Map<String, Value> {
    session().access_token(NOW + 3600, Some("j-1"))
}

pub fn id_claims() -> Map<String, Value> {
    session().id_token(NOW + 3600, Some("j-2"), Map::new())
}

/// An access token signed by key `a`, with `edit` applied to its claims.
pub fn access_with(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut claims = access_claims();
    edit(&mut claims);
    TestKey::a().sign(&Value::Object(claims))
}

pub fn access() -> String {
    access_with(|_| {})
}

pub fn id() -> String {
    TestKey::a().sign(&Value::Object(id_claims()))
}

/// An offline builder that trusts key `a` for [`ISSUER`], access and id tokens of
/// [`CLIENT`].
pub fn builder() -> VerifierBuilder {
    Verifier::builder().offline().pool(pool(TokenUse::Either))
}

pub fn pool(token_use: TokenUse) -> Pool {
    Pool::with_issuer(ISSUER)
        .unwrap()
        .token_use(token_use)
        .client_id(CLIENT)
        .jwks(TestKey::jwks(&[&TestKey::a()]))
}

pub fn verifier() -> Verifier {
    builder().build().unwrap()
}
