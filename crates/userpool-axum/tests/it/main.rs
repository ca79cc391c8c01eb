//! The extractor, the layer and the guards through `tower::ServiceExt::oneshot`: offline
//! verifiers trusting the verifier crate's test keys, and one real token of an embedded
//! `userpool-local` pool.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{Request, StatusCode, header};
use serde_json::{Map, Value, json};
use tower::ServiceExt as _;
use userpool_axum::{InGroup, Verified, VerifyLayer, WithScope, group, scope};
use userpool_types::ClaimsBuilder;
use userpool_types::claims::TokenGroup;
use userpool_verify::test_util::TestKey;
use userpool_verify::{Pool, TokenUse, Verifier};

mod local_pool;

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";
const CLIENT: &str = "client-one";

group!(Admins = "admins");
group!(Staff = "staff");
scope!(SignIn = "aws.cognito.signin.user.admin");
scope!(OrdersWrite = "orders/write");

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(exp_in: i64) -> Map<String, Value> {
    ClaimsBuilder::new("sub-1", "ada", CLIENT, now() - 10)
        .issuer(ISSUER)
        .groups([TokenGroup::new("staff", None, None)])
        .access_token(now() + exp_in, None)
}

fn token() -> String {
    TestKey::a().sign(&Value::Object(claims(3600)))
}

fn verifier() -> Verifier {
    Verifier::builder()
        .offline()
        .pool(
            Pool::with_issuer(ISSUER)
                .unwrap()
                .token_use(TokenUse::Access)
                .client_id(CLIENT)
                .jwks(TestKey::jwks(&[&TestKey::a()])),
        )
        .build()
        .unwrap()
}

async fn me(Verified(claims): Verified) -> String {
    format!("sub={} groups={:?}", claims.sub(), claims.groups())
}

async fn maybe(verified: Option<Verified>) -> String {
    match verified {
        Some(Verified(claims)) => format!("user {}", claims.sub()),
        None => "anonymous".to_owned(),
    }
}

async fn admins(InGroup(claims, ..): InGroup<Admins>) -> String {
    format!("admin {}", claims.sub())
}

async fn staff(InGroup(claims, ..): InGroup<Staff>) -> String {
    format!("staff {}", claims.sub())
}

async fn signin_scope(WithScope(claims, ..): WithScope<SignIn>) -> String {
    format!("scoped {}", claims.sub())
}

async fn orders(WithScope(claims, ..): WithScope<OrdersWrite>) -> String {
    format!("orders {}", claims.sub())
}

async fn by_hand(verified: Verified) -> Result<String, userpool_axum::AuthRejection> {
    verified.require_group("admins")?;
    Ok("never".to_owned())
}

fn routes() -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .route("/admins", get(admins))
        .route("/staff", get(staff))
        .route("/scoped", get(signin_scope))
        .route("/orders", get(orders))
        .route("/by-hand", get(by_hand))
}

struct Answer {
    status: StatusCode,
    www_authenticate: Option<String>,
    body: String,
}

async fn call(app: &Router, path: &str, authorization: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let www_authenticate = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    Answer {
        status,
        www_authenticate,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// Both ways of wiring the verifier.
fn apps() -> [Router; 2] {
    [
        routes().layer(Extension(verifier())),
        routes().layer(VerifyLayer::new(verifier())),
    ]
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler() {
    let bearer = format!("Bearer {}", token());
    for app in apps() {
        let answer = call(&app, "/me", Some(&bearer)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body, r#"sub=sub-1 groups=["staff"]"#);
        let answer = call(&app, "/maybe", Some(&bearer)).await;
        assert_eq!(answer.body, "user sub-1");
        assert_eq!(
            call(&app, "/staff", Some(&bearer)).await.body,
            "staff sub-1"
        );
        assert_eq!(
            call(&app, "/scoped", Some(&bearer)).await.body,
            "scoped sub-1"
        );
        let lower = format!("bearer {}", token());
        assert_eq!(call(&app, "/me", Some(&lower)).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn no_token_is_a_401_with_a_bare_challenge() {
    for app in apps() {
        for authorization in [None, Some("Basic YTpi"), Some("Bearer ")] {
            let answer = call(&app, "/me", authorization).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
            assert_eq!(answer.www_authenticate.as_deref(), Some("Bearer"));
        }
    }
    // Without the layer, an optional extractor lets anonymous requests through.
    let [extension, layered] = apps();
    assert_eq!(call(&extension, "/maybe", None).await.body, "anonymous");
    assert_eq!(
        call(&layered, "/maybe", None).await.status,
        StatusCode::UNAUTHORIZED,
        "the layer refuses before any handler"
    );
}

#[tokio::test]
async fn a_refused_token_is_a_401_that_does_not_echo_it() {
    let expired = TestKey::a().sign(&Value::Object(claims(-60)));
    let forged = TestKey::b().sign_with_header(
        &json!({"alg": "RS256", "kid": "test-key-a"}),
        &Value::Object(claims(3600)),
    );
    let garbage = "not-a-token-at-all-but-long-enough".to_owned();
    let cases = [
        (expired.clone(), "the token has expired"),
        (forged.clone(), "the token's signature is invalid"),
        (garbage.clone(), "the token is malformed"),
    ];
    for app in apps() {
        for (token, description) in &cases {
            let answer = call(&app, "/me", Some(&format!("Bearer {token}"))).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
            let challenge = answer.www_authenticate.unwrap();
            assert_eq!(
                challenge,
                format!(r#"Bearer error="invalid_token", error_description="{description}""#)
            );
            let signature = token.rsplit('.').next().unwrap();
            for text in [&challenge, &answer.body] {
                assert!(
                    !text.contains(token.as_str()) && !text.contains(signature),
                    "{text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_missing_group_or_scope_is_a_403() {
    let bearer = format!("Bearer {}", token());
    for app in apps() {
        for path in ["/admins", "/orders", "/by-hand"] {
            let answer = call(&app, path, Some(&bearer)).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
            assert!(
                answer
                    .www_authenticate
                    .unwrap()
                    .starts_with(r#"Bearer error="insufficient_scope""#),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn a_route_without_a_verifier_is_a_500() {
    let answer = call(&routes(), "/me", Some(&format!("Bearer {}", token()))).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn an_unavailable_jwks_is_a_503() {
    // A pool whose keys cannot be fetched: nothing listens on port 9 of loopback.
    let verifier = Verifier::builder()
        .pool(
            Pool::with_issuer("http://127.0.0.1:9/eu-west-1_Test")
                .unwrap()
                .token_use(TokenUse::Access)
                .any_client(),
        )
        .build()
        .unwrap();
    let mut claims = claims(3600);
    claims.insert("iss".into(), json!("http://127.0.0.1:9/eu-west-1_Test"));
    let token = TestKey::a().sign(&Value::Object(claims));
    let app = routes().layer(VerifyLayer::new(verifier));
    let answer = call(&app, "/me", Some(&format!("Bearer {token}"))).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.www_authenticate, None);
}
