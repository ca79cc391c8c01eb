//! The hosted sign-in's token side over HTTP: `/oauth2/token` (codes with PKCE, refresh,
//! client credentials, client authentication), `/oauth2/userInfo`, `/oauth2/revoke`, the
//! discovery document, and the hosted tokens at the user-pool API.

use aws_sdk_cognitoidentityprovider::types::ResourceServerScopeType;
use base64::Engine as _;
use serde_json::Value;
use userpool_local::PoolConfig;

use crate::common::{self, PW, Raw, claims, err, srp_sign_in};
use crate::hosted_common::{
    self as hc, AuthParams, CALLBACK, CALLBACK_2, DOMAIN, Hosted, USER, USER_EMAIL, encode,
    location, oauth_client, post, send, sign_in_for_code, sign_in_for_code_with, start_hosted,
    start_hosted_with, url_param,
};

const TOKEN: &str = "/my-app/oauth2/token";
const USERINFO: &str = "/my-app/oauth2/userInfo";
const REVOKE: &str = "/my-app/oauth2/revoke";

/// The refresh grant of the public client `client_id`.
async fn refresh_grant(h: &Hosted, client_id: &str, refresh: &str) -> Raw {
    let fields = [
        ("client_id", client_id),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
    ];
    post(h, TOKEN, &[], &fields).await
}

/// `Authorization: Basic` of a client id and secret (each form-urlencoded, RFC 6749 §2.3.1).
fn basic(id: &str, secret: &str) -> String {
    let joined = format!("{}:{}", encode(id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined)
    )
}

/// Redeems `code` for the main (public) client.
async fn redeem(h: &Hosted, code: &str, verifier: Option<&str>, redirect: &str) -> Raw {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("client_id", h.ctx.client_id.as_str()),
        ("code", code),
        ("redirect_uri", redirect),
    ];
    if let Some(v) = verifier {
        fields.push(("code_verifier", v));
    }
    post(h, TOKEN, &[], &fields).await
}

/// The RFC 6749 §5.2 error of an answer, after checking its status.
fn oauth_error(answer: &Raw, status: u16) -> String {
    assert_eq!(answer.status, status, "{}", answer.body);
    answer.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A code for the main client with `scope`, redeemed: the token answer.
async fn tokens_for(h: &Hosted, scope: &str) -> Value {
    let (code, verifier) = sign_in_for_code(h, Some(scope)).await;
    let answer = redeem(h, &code, Some(&verifier), CALLBACK).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn header_of(token: &str) -> Value {
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

async fn user_info(h: &Hosted, access: &str) -> Raw {
    let bearer = format!("Bearer {access}");
    send(h, "GET", USERINFO, &[("Authorization", &bearer)], b"").await
}

#[tokio::test]
async fn a_code_gives_the_apis_tokens_with_the_granted_scopes_and_the_nonce() {
    let h = start_hosted().await;
    let mut params = h.params();
    params.scope = Some("openid email aws.cognito.signin.user.admin".into());
    params.nonce = Some("n-0S6_WzA2Mj".into());
    let (code, verifier) = sign_in_for_code_with(&h, &params, USER, PW).await;
    let answer = redeem(&h, &code, Some(&verifier), CALLBACK).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("pragma"), Some("no-cache"));
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    let body = answer.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    let access = body["access_token"].as_str().unwrap();
    let id = body["id_token"].as_str().unwrap();
    let (a, i) = (claims(access), claims(id));
    assert_eq!(a["scope"], "openid email aws.cognito.signin.user.admin");
    assert_eq!(a["version"], 2);
    assert_eq!(a["client_id"], h.ctx.client_id.as_str());
    assert_eq!(a["sub"], h.sub.as_str());
    assert_eq!(i["aud"], h.ctx.client_id.as_str());
    assert_eq!(i["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(i["email"], USER_EMAIL);
    assert_eq!(i["origin_jti"], a["origin_jti"], "one session");
    // at_hash: the left half of the access token's SHA-256 (OIDC Core §3.1.3.6).
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(access.as_bytes());
    assert_eq!(
        i["at_hash"],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    );

    // The API's tokens of the same user: same key, same claims but the OAuth ones.
    let api = srp_sign_in(&h.ctx, USER, PW).await.unwrap();
    let api_access = api.access_token().unwrap();
    let api_id = api.id_token().unwrap();
    assert_eq!(header_of(access)["kid"], header_of(api_access)["kid"]);
    assert_eq!(header_of(id)["kid"], header_of(api_id)["kid"]);
    assert_eq!(claims(api_access)["iss"], a["iss"]);
    let mut expected_access = keys(&claims(api_access));
    expected_access.push("version".into());
    expected_access.sort();
    assert_eq!(keys(&a), expected_access);
    let mut expected_id = keys(&claims(api_id));
    expected_id.extend(["at_hash".into(), "nonce".into()]);
    expected_id.sort();
    assert_eq!(keys(&i), expected_id);
    assert_eq!(claims(api_access)["scope"], "aws.cognito.signin.user.admin");
}

#[tokio::test]
async fn without_openid_there_is_no_id_token() {
    let h = start_hosted().await;
    let body = tokens_for(&h, "email").await;
    assert!(body.get("id_token").is_none(), "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["scope"],
        "email"
    );
}

#[tokio::test]
async fn a_code_is_redeemed_once_and_only_by_its_client_and_redirect() {
    let h = start_hosted().await;
    let (code, verifier) = sign_in_for_code(&h, None).await;
    assert_eq!(
        redeem(&h, &code, Some(&verifier), CALLBACK).await.status,
        200
    );
    let again = redeem(&h, &code, Some(&verifier), CALLBACK).await;
    assert_eq!(oauth_error(&again, 400), "invalid_grant");

    // Another registered redirect than the authorization request's.
    let (code, verifier) = sign_in_for_code(&h, None).await;
    let other = redeem(&h, &code, Some(&verifier), CALLBACK_2).await;
    assert_eq!(oauth_error(&other, 400), "invalid_grant");
    // The failed attempt used the code up.
    let after = redeem(&h, &code, Some(&verifier), CALLBACK).await;
    assert_eq!(oauth_error(&after, 400), "invalid_grant");

    // Another client of the pool presenting the main client's code.
    let (other_client, _) = h.add_client(oauth_client()).await;
    let (code, verifier) = sign_in_for_code(&h, None).await;
    let answer = post(
        &h,
        TOKEN,
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &other_client),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(oauth_error(&answer, 400), "invalid_grant");

    let unknown = redeem(&h, "00000000-0000-4000-8000-000000000000", None, CALLBACK).await;
    assert_eq!(oauth_error(&unknown, 400), "invalid_grant");
}

#[tokio::test]
async fn pkce_s256_needs_the_right_verifier() {
    let h = start_hosted().await;
    let (code, _) = sign_in_for_code(&h, None).await;
    let wrong = hc::pkce_verifier();
    let answer = redeem(&h, &code, Some(&wrong), CALLBACK).await;
    assert_eq!(oauth_error(&answer, 400), "invalid_grant");

    let (code, _) = sign_in_for_code(&h, None).await;
    let answer = redeem(&h, &code, None, CALLBACK).await;
    assert_eq!(
        oauth_error(&answer, 400),
        "invalid_grant",
        "missing verifier"
    );

    // Not RFC 7636 §4.1 syntax (too short): refused before the code is spent.
    let (code, verifier) = sign_in_for_code(&h, None).await;
    let answer = redeem(&h, &code, Some("short"), CALLBACK).await;
    assert_eq!(oauth_error(&answer, 400), "invalid_request");
    assert_eq!(
        redeem(&h, &code, Some(&verifier), CALLBACK).await.status,
        200
    );
}

/// Signs in with `params` (no PKCE added) and returns the code.
async fn code_with(h: &Hosted, params: &AuthParams) -> String {
    let mut agent = h.agent();
    let answer = agent.sign_in(params, USER, PW).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    url_param(location(&answer), "code").expect("code")
}

#[tokio::test]
async fn pkce_plain_and_no_pkce() {
    let h = start_hosted().await;
    let verifier = hc::pkce_verifier();
    let mut params = h.params();
    params.code_challenge = Some(verifier.clone());
    params.code_challenge_method = Some("plain".into());
    let code = code_with(&h, &params).await;
    let answer = redeem(&h, &code, Some(&hc::pkce_verifier()), CALLBACK).await;
    assert_eq!(oauth_error(&answer, 400), "invalid_grant");
    let code = code_with(&h, &params).await;
    assert_eq!(
        redeem(&h, &code, Some(&verifier), CALLBACK).await.status,
        200
    );

    // Without a challenge no verifier is needed, and one sent anyway is refused.
    let plain = h.params();
    let code = code_with(&h, &plain).await;
    assert_eq!(redeem(&h, &code, None, CALLBACK).await.status, 200);
    let code = code_with(&h, &plain).await;
    let answer = redeem(&h, &code, Some(&verifier), CALLBACK).await;
    assert_eq!(oauth_error(&answer, 400), "invalid_grant");
}

#[tokio::test]
async fn a_secret_client_authenticates_by_basic_or_body() {
    let h = start_hosted_with(PoolConfig::new("hosted"), oauth_client().with_secret()).await;
    let id = h.ctx.client_id.clone();
    let secret = h.ctx.secret.clone().unwrap();
    let code_fields = |code: &str, verifier: &str| {
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), CALLBACK.to_owned()),
            ("code_verifier".to_owned(), verifier.to_owned()),
        ]
    };
    let as_refs = |v: &Vec<(String, String)>| -> Vec<(String, String)> { v.clone() };
    let send = |fields: Vec<(String, String)>, auth: Option<String>| {
        let h = &h;
        async move {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            match &auth {
                Some(a) => post(h, TOKEN, &[("Authorization", a)], &f).await,
                None => post(h, TOKEN, &[], &f).await,
            }
        }
    };

    // Basic.
    let (code, verifier) = sign_in_for_code(&h, None).await;
    let ok = send(code_fields(&code, &verifier), Some(basic(&id, &secret))).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Body.
    let (code, verifier) = sign_in_for_code(&h, None).await;
    let mut fields = as_refs(&code_fields(&code, &verifier));
    fields.push(("client_id".into(), id.clone()));
    fields.push(("client_secret".into(), secret.clone()));
    assert_eq!(send(fields, None).await.status, 200);

    // A wrong secret by Basic: 401 with a Basic challenge (RFC 6749 §5.2).
    let (code, verifier) = sign_in_for_code(&h, None).await;
    let wrong = send(
        code_fields(&code, &verifier),
        Some(basic(&id, "not-the-secret")),
    )
    .await;
    assert_eq!(oauth_error(&wrong, 401), "invalid_client");
    assert!(
        wrong
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    // By body: 401, no challenge.
    let mut fields = code_fields(&code, &verifier);
    fields.push(("client_id".into(), id.clone()));
    fields.push(("client_secret".into(), "not-the-secret".into()));
    let wrong = send(fields, None).await;
    assert_eq!(oauth_error(&wrong, 401), "invalid_client");
    assert!(wrong.header("www-authenticate").is_none());
    // No secret at all.
    let mut fields = code_fields(&code, &verifier);
    fields.push(("client_id".into(), id.clone()));
    assert_eq!(
        oauth_error(&send(fields, None).await, 401),
        "invalid_client"
    );
    // Two mechanisms at once.
    let mut fields = code_fields(&code, &verifier);
    fields.push(("client_secret".into(), secret.clone()));
    let both = send(fields, Some(basic(&id, &secret))).await;
    assert_eq!(oauth_error(&both, 400), "invalid_request");
    // The refused attempts did not spend the code (client authentication comes first).
    let ok = send(code_fields(&code, &verifier), Some(basic(&id, &secret))).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn malformed_requests_and_unknown_clients_are_refused() {
    let h = start_hosted().await;
    let id = h.ctx.client_id.as_str();
    let json = send(
        &h,
        "POST",
        TOKEN,
        &[("Content-Type", "application/json")],
        br#"{"grant_type":"refresh_token"}"#,
    )
    .await;
    assert_eq!(oauth_error(&json, 400), "invalid_request");
    let repeated = send(
        &h,
        "POST",
        TOKEN,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("client_id={id}&grant_type=refresh_token&grant_type=refresh_token").as_bytes(),
    )
    .await;
    assert_eq!(oauth_error(&repeated, 400), "invalid_request");
    let no_grant = post(&h, TOKEN, &[], &[("client_id", id)]).await;
    assert_eq!(oauth_error(&no_grant, 400), "invalid_request");
    let password = post(
        &h,
        TOKEN,
        &[],
        &[("client_id", id), ("grant_type", "password")],
    )
    .await;
    assert_eq!(oauth_error(&password, 400), "unsupported_grant_type");
    let no_refresh = post(
        &h,
        TOKEN,
        &[],
        &[("client_id", id), ("grant_type", "refresh_token")],
    )
    .await;
    assert_eq!(oauth_error(&no_refresh, 400), "invalid_request");
    let no_code = post(
        &h,
        TOKEN,
        &[],
        &[
            ("client_id", id),
            ("grant_type", "authorization_code"),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(oauth_error(&no_code, 400), "invalid_request");
    let unknown = post(
        &h,
        TOKEN,
        &[],
        &[
            ("client_id", "nosuchclient"),
            ("grant_type", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(oauth_error(&unknown, 401), "invalid_client");
    let anonymous = post(&h, TOKEN, &[], &[("grant_type", "refresh_token")]).await;
    assert_eq!(oauth_error(&anonymous, 401), "invalid_client");
    // A public client may not use the client-credentials grant.
    let cc = post(
        &h,
        TOKEN,
        &[],
        &[("client_id", id), ("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(oauth_error(&cc, 400), "unauthorized_client");
    // A client that is not an OAuth client.
    let (plain, _) = h.add_client(userpool_local::ClientConfig::new("api")).await;
    let answer = post(
        &h,
        TOKEN,
        &[],
        &[("client_id", &plain), ("grant_type", "refresh_token")],
    )
    .await;
    assert_eq!(oauth_error(&answer, 400), "unauthorized_client");
    // An unknown domain.
    let answer = send(
        &h,
        "POST",
        "/no-such-domain/oauth2/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"grant_type=refresh_token",
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
}

#[tokio::test]
async fn the_token_endpoints_answer_preflights_from_any_origin() {
    let h = start_hosted().await;
    for path in [TOKEN, USERINFO, REVOKE] {
        let answer = send(
            &h,
            "OPTIONS",
            path,
            &[
                ("Origin", "http://localhost:3000"),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
            ],
            b"",
        )
        .await;
        assert!(answer.status < 300, "{path}: {}", answer.status);
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
        let allowed = answer
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("content-type"));
        assert!(answer.header("access-control-allow-credentials").is_none());
    }
}

#[tokio::test]
async fn the_refresh_grant_keeps_the_granted_scopes() {
    let h = start_hosted().await;
    let first = tokens_for(&h, "openid profile").await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let id = h.ctx.client_id.as_str();
    let answer = post(
        &h,
        TOKEN,
        &[],
        &[
            ("client_id", id),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert!(
        body.get("refresh_token").is_none(),
        "no rotation: no new refresh token"
    );
    let a = claims(body["access_token"].as_str().unwrap());
    assert_eq!(a["scope"], "openid profile", "as originally granted");
    assert_eq!(
        a["origin_jti"],
        claims(first["access_token"].as_str().unwrap())["origin_jti"]
    );
    let i = claims(body["id_token"].as_str().unwrap());
    assert!(i.get("nonce").is_none());
    assert!(i.get("at_hash").is_some());

    let bad = refresh_grant(&h, id, "not-a-token").await;
    assert_eq!(oauth_error(&bad, 400), "invalid_grant");
}

#[tokio::test]
async fn a_rotating_client_gets_a_new_refresh_token() {
    let h = start_hosted_with(
        PoolConfig::new("hosted"),
        oauth_client().with_refresh_token_rotation(0),
    )
    .await;
    let first = tokens_for(&h, "openid").await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let id = h.ctx.client_id.as_str();
    let fields = [
        ("client_id", id),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
    ];
    let answer = post(&h, TOKEN, &[], &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let next = answer.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next, refresh);
    // The replaced token, after a grace of 0 seconds.
    let again = post(&h, TOKEN, &[], &fields).await;
    assert_eq!(oauth_error(&again, 400), "invalid_grant");
}

/// A pool with a domain, a resource server `api` with `read` and `write`, and a
/// client-credentials client allowed `api/read` and `api/write`: its id and secret.
async fn machine_client(h: &Hosted, scopes: &[&str]) -> (String, String) {
    h.ctx
        .sdk
        .create_resource_server()
        .user_pool_id(&h.ctx.pool_id)
        .identifier("api")
        .name("API")
        .scopes(
            ResourceServerScopeType::builder()
                .scope_name("read")
                .scope_description("r")
                .build()
                .unwrap(),
        )
        .scopes(
            ResourceServerScopeType::builder()
                .scope_name("write")
                .scope_description("w")
                .build()
                .unwrap(),
        )
        .scopes(
            ResourceServerScopeType::builder()
                .scope_name("admin")
                .scope_description("a")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("resource server");
    let mut c = userpool_local::ClientConfig::new("m2m").with_secret();
    c.allowed_oauth_flows_user_pool_client = true;
    c.allowed_oauth_flows = vec!["client_credentials".into()];
    c.allowed_oauth_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    let (id, secret) = h.add_client(c).await;
    (id, secret.unwrap())
}

#[tokio::test]
async fn client_credentials_grants_resource_server_scopes() {
    let h = start_hosted().await;
    let (id, secret) = machine_client(&h, &["api/read", "api/write"]).await;
    let auth = basic(&id, &secret);
    let grant = |scope: Option<&'static str>| {
        let (h, auth) = (&h, auth.clone());
        async move {
            let mut fields = vec![("grant_type", "client_credentials")];
            if let Some(s) = scope {
                fields.push(("scope", s));
            }
            post(h, TOKEN, &[("Authorization", &auth)], &fields).await
        }
    };
    let answer = grant(Some("api/read")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    assert_eq!(body["token_type"], "Bearer");
    let a = claims(body["access_token"].as_str().unwrap());
    assert_eq!(a["sub"], id.as_str());
    assert_eq!(a["client_id"], id.as_str());
    assert_eq!(a["token_use"], "access");
    assert_eq!(a["scope"], "api/read");
    assert_eq!(a["version"], 2);
    assert!(a.get("username").is_none() && a.get("origin_jti").is_none());
    let mut names = keys(&a);
    names.sort();
    assert_eq!(
        names,
        [
            "auth_time",
            "client_id",
            "exp",
            "iat",
            "iss",
            "jti",
            "scope",
            "sub",
            "token_use",
            "version"
        ]
    );
    // No scope: every custom scope the client allows.
    let all = grant(None).await;
    assert_eq!(
        claims(all.json()["access_token"].as_str().unwrap())["scope"],
        "api/read api/write"
    );
    // A scope of the server the client is not allowed, a standard scope, an unknown one.
    for scope in ["api/admin", "openid", "api/nope"] {
        let refused = grant(Some(scope)).await;
        assert_eq!(oauth_error(&refused, 400), "invalid_scope", "{scope}");
    }
    // A wrong secret.
    let wrong = post(
        &h,
        TOKEN,
        &[("Authorization", &basic(&id, "nope"))],
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(oauth_error(&wrong, 401), "invalid_client");
    // A machine client may not redeem codes.
    let code = post(
        &h,
        TOKEN,
        &[("Authorization", &auth)],
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(oauth_error(&code, 400), "unauthorized_client");
}

#[tokio::test]
async fn user_info_answers_what_the_scopes_allow() {
    let h = start_hosted().await;
    let body = tokens_for(&h, "openid email").await;
    let answer = user_info(&h, body["access_token"].as_str().unwrap()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    let info = answer.json();
    assert_eq!(info["sub"], h.sub.as_str());
    assert_eq!(info["username"], USER);
    assert_eq!(info["email"], USER_EMAIL);
    assert_eq!(
        info["email_verified"], "true",
        "a string, as Cognito answers it"
    );

    // POST works as GET.
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let posted = send(&h, "POST", USERINFO, &[("Authorization", &bearer)], b"").await;
    assert_eq!(posted.status, 200);

    // `profile` without `email`: no email.
    let body = tokens_for(&h, "openid profile").await;
    let info = user_info(&h, body["access_token"].as_str().unwrap())
        .await
        .json();
    assert!(info.get("email").is_none(), "{info}");
    assert_eq!(info["sub"], h.sub.as_str());

    // `openid` alone: every attribute the client may read.
    let body = tokens_for(&h, "openid").await;
    let info = user_info(&h, body["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(info["email"], USER_EMAIL);

    // Without `openid` (and the API's tokens, which never carry it): refused.
    let body = tokens_for(&h, "email aws.cognito.signin.user.admin").await;
    let refused = user_info(&h, body["access_token"].as_str().unwrap()).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    let api = srp_sign_in(&h.ctx, USER, PW).await.unwrap();
    let refused = user_info(&h, api.access_token().unwrap()).await;
    assert_eq!(refused.status, 401);
    let garbage = user_info(&h, "not.a.token").await;
    assert_eq!(garbage.status, 401);
    assert!(
        garbage
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    // No token at all: a challenge without an error code (RFC 6750 §3.1).
    let none = send(&h, "GET", USERINFO, &[], b"").await;
    assert_eq!(none.status, 401);
    let challenge = none.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("Bearer") && !challenge.contains("error="));
}

#[tokio::test]
async fn revoking_ends_the_refresh_token_and_the_access_tokens() {
    let h = start_hosted().await;
    let body = tokens_for(&h, "openid email").await;
    let (access, refresh) = (
        body["access_token"].as_str().unwrap(),
        body["refresh_token"].as_str().unwrap(),
    );
    let id = h.ctx.client_id.as_str();
    assert_eq!(user_info(&h, access).await.status, 200);
    let answer = post(&h, REVOKE, &[], &[("client_id", id), ("token", refresh)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    let refreshed = refresh_grant(&h, id, refresh).await;
    assert_eq!(oauth_error(&refreshed, 400), "invalid_grant");
    assert_eq!(user_info(&h, access).await.status, 401);
    // An unknown token is not an error (RFC 7009 §2.2).
    let unknown = post(&h, REVOKE, &[], &[("client_id", id), ("token", "unknown")]).await;
    assert_eq!(unknown.status, 200);
    // A JWT is not a refresh token.
    let jwt = post(&h, REVOKE, &[], &[("client_id", id), ("token", access)]).await;
    assert_eq!(oauth_error(&jwt, 400), "unsupported_token_type");
    let missing = post(&h, REVOKE, &[], &[("client_id", id)]).await;
    assert_eq!(oauth_error(&missing, 400), "invalid_request");
    let unknown_client = post(
        &h,
        REVOKE,
        &[],
        &[("client_id", "nosuch"), ("token", refresh)],
    )
    .await;
    assert_eq!(oauth_error(&unknown_client, 401), "invalid_client");

    // A client with token revocation off.
    let mut config = oauth_client();
    config.enable_token_revocation = false;
    let (off, _) = h.add_client(config).await;
    let answer = post(&h, REVOKE, &[], &[("client_id", &off), ("token", "x")]).await;
    assert_eq!(oauth_error(&answer, 400), "invalid_request");
}

#[tokio::test]
async fn a_secret_client_revokes_with_its_secret() {
    let h = start_hosted_with(PoolConfig::new("hosted"), oauth_client().with_secret()).await;
    let (id, secret) = (h.ctx.client_id.clone(), h.ctx.secret.clone().unwrap());
    let (code, verifier) = sign_in_for_code(&h, Some("openid")).await;
    let auth = basic(&id, &secret);
    let tokens = post(
        &h,
        TOKEN,
        &[("Authorization", &auth)],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ],
    )
    .await
    .json();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let wrong = post(
        &h,
        REVOKE,
        &[("Authorization", &basic(&id, "nope"))],
        &[("token", refresh)],
    )
    .await;
    assert_eq!(oauth_error(&wrong, 401), "invalid_client");
    assert!(wrong.header("www-authenticate").is_some());
    let ok = post(
        &h,
        REVOKE,
        &[("Authorization", &auth)],
        &[("token", refresh)],
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let refreshed = post(
        &h,
        TOKEN,
        &[("Authorization", &auth)],
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(oauth_error(&refreshed, 400), "invalid_grant");
}

#[tokio::test]
async fn the_api_takes_hosted_tokens_only_with_the_admin_scope() {
    let h = start_hosted().await;
    let with = tokens_for(&h, "openid aws.cognito.signin.user.admin").await;
    let user = h
        .ctx
        .sdk
        .get_user()
        .access_token(with["access_token"].as_str().unwrap())
        .send()
        .await
        .expect("GetUser with the admin scope");
    assert_eq!(user.username(), USER);

    let without = tokens_for(&h, "openid email").await;
    let (code, message) = err(h
        .ctx
        .sdk
        .get_user()
        .access_token(without["access_token"].as_str().unwrap())
        .send()
        .await);
    assert_eq!(code, "NotAuthorizedException");
    assert_eq!(message, "Access Token does not have required scopes");

    // GlobalSignOut with a hosted token ends the hosted sessions, as the API's.
    h.ctx
        .sdk
        .global_sign_out()
        .access_token(with["access_token"].as_str().unwrap())
        .send()
        .await
        .expect("GlobalSignOut");
    assert_eq!(
        user_info(&h, without["access_token"].as_str().unwrap())
            .await
            .status,
        401
    );
    let refreshed = refresh_grant(
        &h,
        &h.ctx.client_id,
        without["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(oauth_error(&refreshed, 400), "invalid_grant");
}

#[tokio::test]
async fn discovery_lists_the_hosted_endpoints_when_the_pool_has_a_domain() {
    let h = start_hosted().await;
    let path = format!("/{}/.well-known/openid-configuration", h.ctx.pool_id);
    let answer = send(&h, "GET", &path, &[], b"").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let doc = answer.json();
    let base = h.base_url();
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{base}/oauth2/authorize")
    );
    assert_eq!(doc["token_endpoint"], format!("{base}/oauth2/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{base}/oauth2/userInfo"));
    assert_eq!(doc["revocation_endpoint"], format!("{base}/oauth2/revoke"));
    assert_eq!(doc["end_session_endpoint"], format!("{base}/logout"));
    assert!(base.ends_with(DOMAIN));

    // The id token's issuer is the document's.
    let body = tokens_for(&h, "openid").await;
    assert_eq!(
        claims(body["id_token"].as_str().unwrap())["iss"],
        doc["issuer"]
    );

    // Without a domain: no endpoints.
    let bare = common::start(
        PoolConfig::new("bare"),
        userpool_local::ClientConfig::new("c"),
    )
    .await;
    let path = format!("/{}/.well-known/openid-configuration", bare.pool_id);
    let doc = common::raw(bare.server.local_addr(), "GET", &path, &[], b"")
        .await
        .json();
    assert!(doc.get("token_endpoint").is_none(), "{doc}");
    assert!(
        doc["jwks_uri"]
            .as_str()
            .unwrap()
            .ends_with("/.well-known/jwks.json")
    );
}
