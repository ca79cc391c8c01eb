//! Hand-made tokens, each failing one check, and the error each must give: never the
//! token in an error's text.

use std::time::Duration;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use userpool_verify::test_util::TestKey;
use userpool_verify::{Pool, TokenUse, Verifier, VerifyError};

use crate::common::*;

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Verifies offline at [`NOW`], and checks that the error's texts do not hold the token.
fn refuse(verifier: &Verifier, token: &str) -> VerifyError {
    let err = verifier
        .verify_sync_at(token, NOW)
        .expect_err("the token must be refused");
    let signature = token.rsplit('.').next().unwrap_or_default();
    for text in [
        err.to_string(),
        format!("{err:?}"),
        err.description().to_owned(),
    ] {
        // (A token of a few characters is found in any text.)
        if token.len() > 8 {
            assert!(!text.contains(token), "an error shows the token: {text}");
        }
        if signature.len() > 16 {
            assert!(
                !text.contains(signature),
                "an error shows the signature: {text}"
            );
        }
    }
    err
}

#[test]
fn genuine_tokens_pass_with_their_claims() {
    let v = verifier();
    let claims = v.verify_sync_at(&access(), NOW).unwrap();
    assert_eq!(claims.sub(), "sub-1");
    assert_eq!(claims.username(), Some("ada"));
    assert_eq!(claims.token_use(), TokenUse::Access);
    assert_eq!(claims.client_id(), Some(CLIENT));
    assert_eq!(claims.groups(), ["staff"]);
    assert!(claims.has_group("staff") && !claims.has_group("admins"));
    assert_eq!(claims.scopes(), ["aws.cognito.signin.user.admin"]);
    assert_eq!(claims.exp(), NOW + 3600);
    assert_eq!(claims.iat(), Some(NOW - 60));
    assert_eq!(claims.auth_time(), Some(NOW - 60));
    assert_eq!(claims.issuer(), ISSUER);
    assert_eq!(claims.get("origin_jti"), Some(&json!("o-1")));
    assert!(claims.claims().contains_key("jti"));

    let claims = v.verify_sync_at(&id(), NOW).unwrap();
    assert_eq!(claims.token_use(), TokenUse::Id);
    assert_eq!(claims.username(), Some("ada"));
    assert_eq!(claims.client_id(), Some(CLIENT));
    assert!(claims.scopes().is_empty());
    assert!(!format!("{claims:?}").contains("staff"), "Debug is short");
}

#[test]
fn a_signature_by_another_key_is_refused() {
    // Key b signs, the header names key a.
    let forged = TestKey::b().sign_with_header(
        &json!({"alg": "RS256", "kid": "test-key-a"}),
        &Value::Object(access_claims()),
    );
    assert!(matches!(
        refuse(&verifier(), &forged),
        VerifyError::InvalidSignature
    ));
    // A genuine token whose claims were changed after signing.
    let genuine = access();
    let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
    let mut claims = access_claims();
    claims.insert("cognito:groups".into(), json!(["admins"]));
    parts[1] = b64(Value::Object(claims).to_string());
    assert!(matches!(
        refuse(&verifier(), &parts.join(".")),
        VerifyError::InvalidSignature
    ));
}

#[test]
fn alg_none_and_hmac_are_refused_before_anything_else() {
    let claims = b64(Value::Object(access_claims()).to_string());
    let none = format!("{}.{claims}.", b64(r#"{"alg":"none","kid":"test-key-a"}"#));
    assert!(matches!(
        refuse(&verifier(), &none),
        VerifyError::UnsupportedAlgorithm { alg } if alg == "none"
    ));
    // The classic confusion: HS256 with the public key (its JWK text, or its modulus) as
    // the HMAC secret.
    let key = TestKey::a();
    for secret in [
        key.jwk().to_string().into_bytes(),
        key.public_components().0,
    ] {
        let signing_input = format!("{}.{claims}", b64(r#"{"alg":"HS256","kid":"test-key-a"}"#));
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &secret),
            signing_input.as_bytes(),
        );
        let token = format!("{signing_input}.{}", b64(tag.as_ref()));
        assert!(matches!(
            refuse(&verifier(), &token),
            VerifyError::UnsupportedAlgorithm { alg } if alg == "HS256"
        ));
    }
    for alg in ["RS512", "PS256", "ES256", "RS256 ", ""] {
        let token = key.sign_with_header(
            &json!({"alg": alg, "kid": "test-key-a"}),
            &Value::Object(access_claims()),
        );
        assert!(
            matches!(
                refuse(&verifier(), &token),
                VerifyError::UnsupportedAlgorithm { .. }
            ),
            "{alg}"
        );
    }
}

#[test]
fn keys_are_checked() {
    let claims = Value::Object(access_claims());
    let key = TestKey::a();
    let unknown = key.sign_with_header(&json!({"alg": "RS256", "kid": "rotated-away"}), &claims);
    assert!(matches!(
        refuse(&verifier(), &unknown),
        VerifyError::UnknownKid { kid, .. } if kid == "rotated-away"
    ));
    let no_kid = key.sign_with_header(&json!({"alg": "RS256"}), &claims);
    assert!(matches!(
        refuse(&verifier(), &no_kid),
        VerifyError::MissingKid
    ));
    let crit = key.sign_with_header(
        &json!({"alg": "RS256", "kid": "test-key-a", "crit": ["exp"]}),
        &claims,
    );
    assert!(matches!(
        refuse(&verifier(), &crit),
        VerifyError::CriticalHeader
    ));

    // A JWKS whose key of that kid is short, or not for RS256.
    let mut short = key.jwk();
    let (n, _) = key.public_components();
    short["n"] = json!(b64(&n[..128]));
    let mut hs = key.jwk();
    hs["alg"] = json!("HS256");
    for (jwk, expected) in [(short, "WeakKey"), (hs, "UnusableKey")] {
        let v = Verifier::builder()
            .offline()
            .pool(pool(TokenUse::Access).jwks(json!({"keys": [jwk]}).to_string()))
            .build()
            .unwrap();
        let err = refuse(&v, &access());
        assert!(format!("{err:?}").starts_with(expected), "{err:?}");
        if let VerifyError::WeakKey { bits, .. } = err {
            assert_eq!(bits, 1024);
        }
    }
}

#[test]
fn the_issuer_must_be_a_configured_pool() {
    let wrong = access_with(|c| {
        c.insert(
            "iss".into(),
            json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"),
        );
    });
    assert!(matches!(
        refuse(&verifier(), &wrong),
        VerifyError::UnknownIssuer { .. }
    ));
    let slash = access_with(|c| {
        c.insert("iss".into(), json!(format!("{ISSUER}/")));
    });
    assert!(matches!(
        refuse(&verifier(), &slash),
        VerifyError::UnknownIssuer { .. }
    ));
    let none = access_with(|c| {
        c.remove("iss");
    });
    assert!(matches!(
        refuse(&verifier(), &none),
        VerifyError::MissingClaim { claim: "iss" }
    ));
    let number = access_with(|c| {
        c.insert("iss".into(), json!(7));
    });
    assert!(matches!(
        refuse(&verifier(), &number),
        VerifyError::InvalidClaim { claim: "iss", .. }
    ));
}

#[test]
fn token_use_and_client_are_checked() {
    let access_only = Verifier::builder()
        .offline()
        .pool(pool(TokenUse::Access))
        .build()
        .unwrap();
    assert!(matches!(
        refuse(&access_only, &id()),
        VerifyError::WrongTokenUse { expected: TokenUse::Access, found } if found == "id"
    ));
    let id_only = Verifier::builder()
        .offline()
        .pool(pool(TokenUse::Id))
        .build()
        .unwrap();
    assert!(matches!(
        refuse(&id_only, &access()),
        VerifyError::WrongTokenUse { .. }
    ));
    let refresh = access_with(|c| {
        c.insert("token_use".into(), json!("refresh"));
    });
    assert!(matches!(
        refuse(&verifier(), &refresh),
        VerifyError::WrongTokenUse { .. }
    ));
    let none = access_with(|c| {
        c.remove("token_use");
    });
    assert!(matches!(
        refuse(&verifier(), &none),
        VerifyError::MissingClaim { claim: "token_use" }
    ));

    let other = access_with(|c| {
        c.insert("client_id".into(), json!("client-two"));
    });
    assert!(matches!(
        refuse(&verifier(), &other),
        VerifyError::WrongClient { client_id } if client_id == "client-two"
    ));
    // An access token's client is its client_id, never its aud.
    let aud_only = access_with(|c| {
        c.remove("client_id");
        c.insert("aud".into(), json!(CLIENT));
    });
    assert!(matches!(
        refuse(&verifier(), &aud_only),
        VerifyError::MissingClaim { claim: "client_id" }
    ));
    let mut id_claims = id_claims();
    id_claims.insert("aud".into(), json!(["elsewhere", "client-two"]));
    let id_other = TestKey::a().sign(&Value::Object(id_claims.clone()));
    assert!(matches!(
        refuse(&verifier(), &id_other),
        VerifyError::WrongClient { .. }
    ));
    id_claims.insert("aud".into(), json!(["elsewhere", CLIENT]));
    let id_listed = TestKey::a().sign(&Value::Object(id_claims));
    assert!(
        verifier().verify_sync_at(&id_listed, NOW).is_ok(),
        "one allowed aud is enough"
    );

    // Several clients, or any.
    let two = Verifier::builder()
        .offline()
        .pool(pool(TokenUse::Access).client_id("client-two"))
        .build()
        .unwrap();
    assert!(two.verify_sync_at(&other, NOW).is_ok());
    let any = Verifier::builder()
        .offline()
        .pool(
            Pool::with_issuer(ISSUER)
                .unwrap()
                .token_use(TokenUse::Access)
                .any_client()
                .jwks(TestKey::jwks(&[&TestKey::a()])),
        )
        .build()
        .unwrap();
    assert!(any.verify_sync_at(&other, NOW).is_ok());
}

#[test]
fn times_are_checked_with_the_leeway() {
    let v = verifier();
    let expired = access_with(|c| {
        c.insert("exp".into(), json!(NOW - 5));
    });
    assert!(matches!(
        refuse(&v, &expired),
        VerifyError::Expired { exp, now: NOW, leeway: 0 } if exp == NOW - 5
    ));
    let at_exp = access_with(|c| {
        c.insert("exp".into(), json!(NOW));
    });
    assert!(
        matches!(refuse(&v, &at_exp), VerifyError::Expired { .. }),
        "exp is exclusive"
    );
    let not_yet = access_with(|c| {
        c.insert("nbf".into(), json!(NOW + 5));
    });
    assert!(matches!(
        refuse(&v, &not_yet),
        VerifyError::NotYetValid { .. }
    ));
    let future_iat = access_with(|c| {
        c.insert("iat".into(), json!(NOW + 5));
    });
    assert!(matches!(
        refuse(&v, &future_iat),
        VerifyError::IssuedInFuture { .. }
    ));
    let future_auth = access_with(|c| {
        c.insert("auth_time".into(), json!(NOW + 5));
    });
    assert!(matches!(
        refuse(&v, &future_auth),
        VerifyError::AuthTimeInFuture { .. }
    ));

    let lenient = builder().leeway(Duration::from_secs(10)).build().unwrap();
    for token in [&expired, &not_yet, &future_iat, &future_auth] {
        assert!(lenient.verify_sync_at(token, NOW).is_ok());
        assert!(lenient.verify_sync_at(token, NOW - 20).is_err() || token == &expired);
    }
    assert!(matches!(
        lenient.verify_sync_at(&expired, NOW + 10),
        Err(VerifyError::Expired { leeway: 10, .. })
    ));

    for (claim, value) in [
        ("exp", json!("soon")),
        ("iat", json!(null)),
        ("nbf", json!([1])),
    ] {
        let token = access_with(|c| {
            c.insert(claim.into(), value);
        });
        assert!(
            matches!(refuse(&v, &token), VerifyError::InvalidClaim { claim: c, .. } if c == claim),
            "{claim}"
        );
    }
    for claim in ["exp", "iat", "sub"] {
        let token = access_with(|c| {
            c.remove(claim);
        });
        assert!(
            matches!(refuse(&v, &token), VerifyError::MissingClaim { claim: c } if c == claim),
            "{claim}"
        );
    }
}

#[test]
fn groups_scopes_and_the_custom_check() {
    let admins = builder().require_group("admins").build().unwrap();
    assert!(matches!(
        refuse(&admins, &access()),
        VerifyError::MissingGroup { required } if required == ["admins"]
    ));
    let either = builder()
        .require_any_group(["admins", "staff"])
        .build()
        .unwrap();
    assert!(either.verify_sync_at(&access(), NOW).is_ok());
    let both = builder()
        .require_group("staff")
        .require_group("admins")
        .build()
        .unwrap();
    assert!(matches!(
        refuse(&both, &access()),
        VerifyError::MissingGroup { .. }
    ));

    let scoped = builder().require_scope("orders/write").build().unwrap();
    let err = refuse(&scoped, &access());
    assert!(matches!(err, VerifyError::MissingScope { .. }) && err.is_insufficient());
    let with_scope = access_with(|c| {
        c.insert("scope".into(), json!("openid orders/write"));
    });
    let claims = scoped.verify_sync_at(&with_scope, NOW).unwrap();
    assert_eq!(claims.scopes(), ["openid", "orders/write"]);
    assert!(claims.has_scope("orders/write"));
    assert!(
        matches!(refuse(&scoped, &id()), VerifyError::MissingScope { .. }),
        "id tokens have no scope"
    );

    let custom = builder()
        .custom_check(|claims| {
            if claims.sub() == "sub-1" {
                Err("sub-1 is suspended".into())
            } else {
                Ok(())
            }
        })
        .build()
        .unwrap();
    let err = refuse(&custom, &access());
    assert!(matches!(err, VerifyError::CustomCheck(_)));
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "sub-1 is suspended"
    );
}

#[test]
fn truncated_and_oversized_tokens_are_malformed() {
    let token = access();
    let v = verifier();
    for cut in [
        0,
        1,
        10,
        token.find('.').unwrap(),
        token.find('.').unwrap() + 1,
        token.len() / 2,
        token.rfind('.').unwrap() + 1,
        token.len() - 1,
    ] {
        let err = refuse(&v, &token[..cut]);
        assert!(
            matches!(
                err,
                VerifyError::Malformed { .. } | VerifyError::InvalidSignature
            ),
            "cut at {cut}: {err:?}"
        );
    }
    let huge = access_with(|c| {
        c.insert("padding".into(), json!("x".repeat(20_000)));
    });
    assert!(matches!(
        refuse(&v, &huge),
        VerifyError::TooLarge { max: 16384, .. }
    ));
    let tight = builder().max_token_bytes(100).build().unwrap();
    assert!(matches!(
        refuse(&tight, &token),
        VerifyError::TooLarge { .. }
    ));
    for junk in [
        "",
        "...",
        "a.b.c",
        "Bearer x",
        &format!("{token}.x"),
        &token.replace('.', ""),
    ] {
        assert!(
            matches!(refuse(&v, junk), VerifyError::Malformed { .. }),
            "{junk:.30}"
        );
    }
}

#[test]
fn error_texts_are_cut_and_quoted() {
    let long_kid = format!("kid\n{}", "k".repeat(500));
    let token = TestKey::a().sign_with_header(
        &json!({"alg": "RS256", "kid": long_kid}),
        &Value::Object(access_claims()),
    );
    let text = refuse(&verifier(), &token).to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(text.len() < 250, "{text}");
}
