//! Seed files: a pool started from a seed has the seed's ids; an export started again on a
//! new data directory gives the same ids, the same domain and resource servers, and users
//! who sign in with their passwords (through the API and the hosted pages); a second start
//! with the same seed changes nothing; bad seeds are refused naming the entry; the fixed
//! code of the test mode.

use std::path::PathBuf;

use userpool_local::{Error, LocalPool, Seed};

use crate::common::*;
use crate::hosted_common::{self as hc, AuthParams, CALLBACK, Hosted};

const POOL: &str = "us-east-1_SeedPool1";
const CLIENT: &str = "seedclient0000000000000001";
const SECRET: &str = "seedsecret000000000000000000000000000000000000001";
const ALICE_PW: &str = "Alice-Passw0rd";
const BOB_TEMP: &str = "Bob-Temp0rary";
/// The public client of the hosted sign-in, allowed the seed's resource-server scope.
const HOSTED_CLIENT: &str = "seedhosted0000000000000001";

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("seeds-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn seed_json() -> String {
    serde_json::json!({
        "version": 1,
        "pools": [{
            "id": POOL,
            "config": { "name": "dev", "auto_verified_attributes": ["email"] },
            "domain": { "domain": hc::DOMAIN },
            "resource_servers": [{
                "identifier": "api",
                "name": "API",
                "scopes": [
                    { "name": "read", "description": "Read" },
                    { "name": "write", "description": "Write" }
                ]
            }],
            "clients": [{
                "id": HOSTED_CLIENT,
                "config": {
                    "name": "spa",
                    "allowed_oauth_flows_user_pool_client": true,
                    "allowed_oauth_flows": ["code"],
                    "allowed_oauth_scopes": ["openid", "email", "api/read"],
                    "callback_urls": [CALLBACK],
                    "supported_identity_providers": ["COGNITO"]
                }
            }, {
                "id": CLIENT,
                "secret": SECRET,
                "config": {
                    "name": "web",
                    "explicit_auth_flows": [
                        "ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"
                    ]
                }
            }],
            "groups": [{ "name": "admins", "precedence": 1, "description": "the admins" }],
            "users": [
                {
                    "username": "alice",
                    "password": ALICE_PW,
                    "attributes": { "email": "alice@example.com", "email_verified": "true" },
                    "groups": ["admins"]
                },
                { "username": "bob", "temporary_password": BOB_TEMP }
            ]
        }]
    })
    .to_string()
}

fn seed() -> Seed {
    Seed::from_json(&seed_json()).expect("the seed parses")
}

fn seeded(server: LocalPool) -> Ctx {
    let sdk = sdk(server.endpoint());
    Ctx {
        server,
        sdk,
        pool_id: POOL.to_owned(),
        client_id: CLIENT.to_owned(),
        secret: Some(SECRET.to_owned()),
    }
}

async fn sub_of(ctx: &Ctx, username: &str) -> String {
    let out = ctx
        .sdk
        .admin_get_user()
        .user_pool_id(&ctx.pool_id)
        .username(username)
        .send()
        .await
        .unwrap();
    out.user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .unwrap()
        .to_owned()
}

fn groups_claim(token: &str) -> Vec<String> {
    claims(token)["cognito:groups"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_export_started_on_a_new_data_dir_keeps_ids_and_passwords() {
    let first = dir("round-a");
    let server = LocalPool::builder()
        .data_dir(&first)
        .seed(seed())
        .start()
        .await
        .unwrap();
    let ctx = seeded(server);
    let t = srp_sign_in(&ctx, "alice", ALICE_PW).await.unwrap();
    assert_eq!(groups_claim(t.id_token().unwrap()), ["admins"]);
    assert_eq!(
        claims(t.id_token().unwrap())["iss"],
        ctx.server.issuer(POOL).as_str()
    );
    // bob has a temporary password: the sign-in asks for a new one.
    let bob = password_sign_in(&ctx, "bob", BOB_TEMP).await.unwrap();
    assert_eq!(
        bob.challenge_name().map(|c| c.as_str()),
        Some("NEW_PASSWORD_REQUIRED")
    );
    // A user made through the API after the seed is exported too.
    sign_up_confirmed(&ctx, "carol", PW, "carol@example.com").await;
    let subs = (sub_of(&ctx, "alice").await, sub_of(&ctx, "carol").await);

    let exported = ctx.server.export().await.unwrap();
    let file = dir("round-file");
    std::fs::create_dir_all(&file).unwrap();
    let file = file.join("seed.json");
    exported.save(&file).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains(ALICE_PW) && !text.contains(PW),
        "no password in an export"
    );
    assert!(text.contains(SECRET), "the client secret is exported");
    ctx.server.shutdown().await.unwrap();

    let second = dir("round-b");
    let server = LocalPool::builder()
        .data_dir(&second)
        .seed(Seed::load(&file).unwrap())
        .start()
        .await
        .unwrap();
    let ctx = seeded(server);
    let t = srp_sign_in(&ctx, "alice", ALICE_PW).await.unwrap();
    assert_eq!(groups_claim(t.id_token().unwrap()), ["admins"]);
    srp_sign_in(&ctx, "carol", PW).await.unwrap();
    assert_eq!(
        (sub_of(&ctx, "alice").await, sub_of(&ctx, "carol").await),
        subs
    );
    let bob = password_sign_in(&ctx, "bob", BOB_TEMP).await.unwrap();
    assert_eq!(
        bob.challenge_name().map(|c| c.as_str()),
        Some("NEW_PASSWORD_REQUIRED")
    );
    let group = ctx
        .sdk
        .get_group()
        .user_pool_id(POOL)
        .group_name("admins")
        .send()
        .await
        .unwrap();
    assert_eq!(group.group().unwrap().precedence(), Some(1));
    let domain = ctx
        .sdk
        .describe_user_pool_domain()
        .domain(hc::DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        domain.domain_description().and_then(|d| d.user_pool_id()),
        Some(POOL)
    );
    let server = ctx
        .sdk
        .describe_resource_server()
        .user_pool_id(POOL)
        .identifier("api")
        .send()
        .await
        .unwrap();
    let scopes: Vec<&str> = server
        .resource_server()
        .map(|r| r.scopes().iter().map(|s| s.scope_name()).collect())
        .unwrap_or_default();
    assert_eq!(scopes, ["read", "write"]);
    // Exporting the re-imported pool gives the same seed back.
    assert_eq!(ctx.server.export().await.unwrap(), exported);

    // The hosted sign-in works on the seeded domain: a code, then tokens with the
    // resource server's scope.
    let alice = sub_of(&ctx, "alice").await;
    let h = Hosted { ctx, sub: alice };
    let mut params = AuthParams::code(HOSTED_CLIENT);
    params.scope = Some("openid api/read".into());
    let (code, verifier) = hc::sign_in_for_code_with(&h, &params, "alice", ALICE_PW).await;
    let answer = hc::post(
        &h,
        &format!("/{}/oauth2/token", hc::DOMAIN),
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("client_id", HOSTED_CLIENT),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let tokens = answer.json();
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["scope"], "openid api/read");
    assert_eq!(access["sub"], h.sub.as_str());
    assert_eq!(access["client_id"], HOSTED_CLIENT);
}

#[tokio::test]
async fn a_second_start_with_the_same_seed_changes_nothing() {
    let data = dir("again");
    let server = LocalPool::builder()
        .data_dir(&data)
        .seed(seed())
        .start()
        .await
        .unwrap();
    // Use changes users: alice's new password must survive the next start.
    server
        .set_password(POOL, "alice", "Changed-Passw0rd", true)
        .await
        .unwrap();
    let before = server.export().await.unwrap();
    server.shutdown().await.unwrap();

    let server = LocalPool::builder()
        .data_dir(&data)
        .seed(seed())
        .start()
        .await
        .unwrap();
    assert_eq!(server.export().await.unwrap(), before);
    let ctx = seeded(server);
    srp_sign_in(&ctx, "alice", "Changed-Passw0rd")
        .await
        .unwrap();
    let (code, _) = srp_sign_in(&ctx, "alice", ALICE_PW).await.unwrap_err();
    assert_eq!(code, "NotAuthorizedException");
    ctx.server.shutdown().await.unwrap();

    // A seed whose client differs from the stored one stops the start, naming the client.
    let edited = seed_json().replace("\"web\"", "\"web2\"");
    let e = LocalPool::builder()
        .data_dir(&data)
        .seed(Seed::from_json(&edited).unwrap())
        .start()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(text.contains(&format!("client {CLIENT}")), "{text}");

    // So does one whose resource server differs, naming the server.
    let edited = seed_json().replace("\"API\"", "\"Other API\"");
    let e = LocalPool::builder()
        .data_dir(&data)
        .seed(Seed::from_json(&edited).unwrap())
        .start()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("resource server api"), "{text}");
    // And one that gives the pool another domain.
    let edited = seed_json().replace(
        &format!("\"domain\":\"{}\"", hc::DOMAIN),
        "\"domain\":\"other-app\"",
    );
    assert_ne!(edited, seed_json());
    let e = LocalPool::builder()
        .data_dir(&data)
        .seed(Seed::from_json(&edited).unwrap())
        .start()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("domain other-app"), "{text}");
}

/// Starts an in-memory pool from `seed`, expecting the start to fail with a message that
/// contains `named`.
async fn refused(seed: serde_json::Value, named: &str) -> String {
    let seed = Seed::from_json(&seed.to_string()).expect("parses");
    let e = LocalPool::builder()
        .in_memory()
        .seed(seed)
        .start()
        .await
        .expect_err("the start is refused");
    let text = e.to_string();
    assert!(text.contains(named), "{named:?} not in {text:?}");
    text
}

#[tokio::test]
async fn bad_seeds_are_refused_naming_the_entry() {
    let pool = |extra: serde_json::Value| {
        let mut p = serde_json::json!({ "id": POOL, "config": { "name": "dev" } });
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        serde_json::json!({ "pools": [p] })
    };
    refused(
        serde_json::json!({ "pools": [{ "id": "US_bad", "config": { "name": "dev" } }] }),
        "pool US_bad",
    )
    .await;
    refused(
        pool(serde_json::json!({ "users": [{ "username": "dave" }] })),
        "user dave",
    )
    .await;
    refused(
        pool(serde_json::json!({ "users": [{ "username": "erin", "password": "short" }] })),
        "user erin",
    )
    .await;
    refused(
        pool(serde_json::json!({
            "users": [{ "username": "fay", "password": ALICE_PW, "groups": ["nobody"] }]
        })),
        "user fay: the pool has no group nobody",
    )
    .await;
    refused(
        pool(serde_json::json!({
            "clients": [{ "id": "c/1", "config": { "name": "x" } }]
        })),
        "client c/1",
    )
    .await;
    refused(
        pool(serde_json::json!({
            "users": [{ "username": "gil", "password": ALICE_PW,
                        "attributes": { "custom:nope": "1" } }]
        })),
        "user gil",
    )
    .await;
    refused(
        pool(serde_json::json!({ "domain": { "domain": "Bad_Domain" } })),
        "domain Bad_Domain",
    )
    .await;
    refused(
        pool(serde_json::json!({ "domain": { "domain": "my-app", "managed_login_version": 3 } })),
        "domain my-app",
    )
    .await;
    // Two pools of one seed cannot share a domain.
    refused(
        serde_json::json!({ "pools": [
            { "id": POOL, "config": { "name": "a" }, "domain": { "domain": "shared" } },
            { "id": "us-east-1_SeedPool2", "config": { "name": "b" }, "domain": { "domain": "shared" } }
        ] }),
        "domain shared",
    )
    .await;
    refused(
        pool(serde_json::json!({
            "resource_servers": [{ "identifier": "api", "name": "API",
                "scopes": [{ "name": "a/b", "description": "slash" }] }]
        })),
        "resource server api",
    )
    .await;
    // A client scope of a resource server the seed does not have.
    let text = refused(
        pool(serde_json::json!({
            "clients": [{ "id": "c1", "config": {
                "name": "x",
                "allowed_oauth_flows_user_pool_client": true,
                "allowed_oauth_flows": ["code"],
                "allowed_oauth_scopes": ["nope/read"],
                "callback_urls": [CALLBACK]
            } }]
        })),
        "client c1",
    )
    .await;
    assert!(text.contains("nope/read"), "{text}");
    // A typo in a seed's own field names is refused, not dropped.
    let e = Seed::from_json(r#"{"pools":[{"id":"us-east-1_A","config":{},"user":[]}]}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("user"), "{e}");
}

#[tokio::test]
async fn a_fixed_code_is_every_code_sent() {
    let server = LocalPool::builder()
        .in_memory()
        .seed(seed())
        .fixed_code("424242")
        .start()
        .await
        .unwrap();
    let ctx = seeded(server);
    sign_up_confirmed(&ctx, "hana", PW, "hana@example.com").await;
    assert_eq!(
        ctx.server.latest_code(POOL, "hana").as_deref(),
        Some("424242")
    );
    ctx.sdk
        .admin_reset_user_password()
        .user_pool_id(POOL)
        .username("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ctx.server.latest_code(POOL, "alice").as_deref(),
        Some("424242")
    );

    // Without the mode codes are random: two codes that both match would happen by chance
    // once in a million million runs.
    let plain = LocalPool::builder()
        .in_memory()
        .seed(seed())
        .start()
        .await
        .unwrap();
    let plain = seeded(plain);
    sign_up_confirmed(&plain, "hana", PW, "hana@example.com").await;
    plain
        .sdk
        .admin_reset_user_password()
        .user_pool_id(POOL)
        .username("alice")
        .send()
        .await
        .unwrap();
    let codes = [
        plain.server.latest_code(POOL, "hana"),
        plain.server.latest_code(POOL, "alice"),
    ];
    assert!(
        codes.iter().all(Option::is_some),
        "both codes were sent: {codes:?}"
    );
    assert!(
        codes.iter().any(|c| c.as_deref() != Some("424242")),
        "without the test mode, codes are random: {codes:?}"
    );

    for bad in ["12345", "1234567", "12a456", ""] {
        let e = LocalPool::builder()
            .in_memory()
            .fixed_code(bad)
            .start()
            .await
            .err();
        assert!(matches!(e, Some(Error::Config(_))), "{bad:?}: {e:?}");
    }
}
