//! Groups over the SDK: the group operations, membership, pagination, Cognito's errors, and
//! the group claims of the tokens after a sign-in and after a refresh.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use serde_json::{Value, json};
use userpool_local::ClientConfig;

use crate::common::*;

const ROLE_A: &str = "arn:aws:iam::123456789012:role/admins";
const ROLE_B: &str = "arn:aws:iam::123456789012:role/staff";

async fn create_group(ctx: &Ctx, name: &str, precedence: Option<i32>, role: Option<&str>) {
    ctx.sdk
        .create_group()
        .user_pool_id(&ctx.pool_id)
        .group_name(name)
        .set_precedence(precedence)
        .set_role_arn(role.map(str::to_owned))
        .send()
        .await
        .unwrap();
}

async fn add(ctx: &Ctx, user: &str, group: &str) {
    ctx.sdk
        .admin_add_user_to_group()
        .user_pool_id(&ctx.pool_id)
        .username(user)
        .group_name(group)
        .send()
        .await
        .unwrap();
}

async fn remove(ctx: &Ctx, user: &str, group: &str) {
    ctx.sdk
        .admin_remove_user_from_group()
        .user_pool_id(&ctx.pool_id)
        .username(user)
        .group_name(group)
        .send()
        .await
        .unwrap();
}

/// Every group name of ListGroups, page by page with `limit`; also the page sizes.
async fn all_group_names(ctx: &Ctx, limit: i32) -> (Vec<String>, Vec<usize>) {
    let (mut names, mut sizes, mut token) = (Vec::new(), Vec::new(), None);
    loop {
        let page = ctx
            .sdk
            .list_groups()
            .user_pool_id(&ctx.pool_id)
            .limit(limit)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        sizes.push(page.groups().len());
        names.extend(
            page.groups()
                .iter()
                .map(|g| g.group_name().unwrap().to_owned()),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return (names, sizes);
        }
    }
}

async fn groups_of(ctx: &Ctx, user: &str, limit: i32) -> (Vec<String>, Vec<usize>) {
    let (mut names, mut sizes, mut token) = (Vec::new(), Vec::new(), None);
    loop {
        let page = ctx
            .sdk
            .admin_list_groups_for_user()
            .user_pool_id(&ctx.pool_id)
            .username(user)
            .limit(limit)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        sizes.push(page.groups().len());
        names.extend(
            page.groups()
                .iter()
                .map(|g| g.group_name().unwrap().to_owned()),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return (names, sizes);
        }
    }
}

async fn members_of(ctx: &Ctx, group: &str, limit: i32) -> (BTreeSet<String>, Vec<usize>) {
    let (mut names, mut sizes, mut token) = (BTreeSet::new(), Vec::new(), None);
    loop {
        let page = ctx
            .sdk
            .list_users_in_group()
            .user_pool_id(&ctx.pool_id)
            .group_name(group)
            .limit(limit)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        sizes.push(page.users().len());
        for u in page.users() {
            assert!(
                names.insert(u.username().unwrap().to_owned()),
                "a user twice"
            );
            assert!(u.attributes().iter().any(|a| a.name() == "sub"));
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return (names, sizes);
        }
    }
}

#[tokio::test]
async fn a_group_is_created_read_updated_and_deleted() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    let created = ctx
        .sdk
        .create_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("Admins")
        .description("the admins")
        .role_arn(ROLE_A)
        .precedence(1)
        .send()
        .await
        .unwrap();
    let g = created.group().unwrap();
    assert_eq!(g.group_name(), Some("Admins"));
    assert_eq!(g.user_pool_id(), Some(ctx.pool_id.as_str()));
    assert_eq!(g.description(), Some("the admins"));
    assert_eq!(g.role_arn(), Some(ROLE_A));
    assert_eq!(g.precedence(), Some(1));
    assert!(g.creation_date().is_some() && g.last_modified_date().is_some());

    let got = ctx
        .sdk
        .get_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("Admins")
        .send()
        .await
        .unwrap();
    assert_eq!(got.group(), created.group());

    // A group without the optional members answers without them.
    create_group(&ctx, "plain", None, None).await;
    let plain = ctx
        .sdk
        .get_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("plain")
        .send()
        .await
        .unwrap();
    let plain = plain.group().unwrap();
    assert_eq!(
        (plain.description(), plain.role_arn(), plain.precedence()),
        (None, None, None)
    );

    tokio::time::sleep(Duration::from_millis(20)).await;
    let updated = ctx
        .sdk
        .update_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("Admins")
        .description("new words")
        .precedence(7)
        .send()
        .await
        .unwrap();
    let u = updated.group().unwrap();
    assert_eq!(u.description(), Some("new words"));
    assert_eq!(u.precedence(), Some(7));
    // As the API reference says, a member left out is set to its default: no role now.
    assert_eq!(u.role_arn(), None, "a member not given is reset");
    assert_eq!(u.creation_date(), g.creation_date());
    assert!(u.last_modified_date() > g.last_modified_date());
    let got = ctx
        .sdk
        .get_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("Admins")
        .send()
        .await
        .unwrap();
    assert_eq!(got.group(), updated.group(), "the update is stored");

    ctx.sdk
        .delete_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("Admins")
        .send()
        .await
        .unwrap();
    let not_found = (
        "ResourceNotFoundException".to_owned(),
        "Group not found.".to_owned(),
    );
    assert_eq!(
        err(ctx
            .sdk
            .get_group()
            .user_pool_id(&ctx.pool_id)
            .group_name("Admins")
            .send()
            .await),
        not_found
    );
    assert_eq!(
        err(ctx
            .sdk
            .delete_group()
            .user_pool_id(&ctx.pool_id)
            .group_name("Admins")
            .send()
            .await),
        not_found
    );
    assert_eq!(
        err(ctx
            .sdk
            .update_group()
            .user_pool_id(&ctx.pool_id)
            .group_name("Admins")
            .precedence(1)
            .send()
            .await),
        not_found
    );
    // A name can be used again once its group is gone.
    create_group(&ctx, "admins", None, None).await;
}

#[tokio::test]
async fn a_taken_group_name_is_group_exists_in_any_case() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    create_group(&ctx, "Staff", Some(2), None).await;
    for again in ["Staff", "STAFF", "staff"] {
        let (code, msg) = err(ctx
            .sdk
            .create_group()
            .user_pool_id(&ctx.pool_id)
            .group_name(again)
            .send()
            .await);
        assert_eq!(
            (code.as_str(), msg.as_str()),
            (
                "GroupExistsException",
                "A group with the name already exists."
            ),
            "{again}"
        );
    }
    // The refused creations changed nothing.
    let g = ctx
        .sdk
        .get_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("staff")
        .send()
        .await
        .unwrap();
    assert_eq!(g.group().unwrap().group_name(), Some("Staff"));
    assert_eq!(g.group().unwrap().precedence(), Some(2));
}

#[tokio::test]
async fn group_requests_are_validated_as_cognito_does() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    let create = || {
        ctx.sdk
            .create_group()
            .user_pool_id(&ctx.pool_id)
            .group_name("ok")
    };
    let cases = [
        (
            create().group_name("has space"),
            "Value at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
        (
            create().group_name("x".repeat(129)),
            "Value at 'groupName' failed to satisfy constraint: Member must have length less than or equal to 128",
        ),
        (
            create().group_name(""),
            "Value at 'groupName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            create().precedence(-1),
            "Value at 'precedence' failed to satisfy constraint: Member must have value greater than or equal to 0",
        ),
        (
            create().role_arn("not-an-arn-but-long-enough"),
            "Value at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
        (
            create().role_arn("arn:aws"),
            "Value at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048",
        ),
        (
            create().description("d".repeat(2049)),
            "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048",
        ),
    ];
    for (request, expected) in cases {
        let (code, msg) = err(request.send().await);
        assert_eq!(code, "InvalidParameterException", "{msg}");
        assert!(
            msg.starts_with("1 validation error detected: ") && msg.contains(expected),
            "{msg}"
        );
    }
    let (code, msg) = err(ctx
        .sdk
        .list_groups()
        .user_pool_id(&ctx.pool_id)
        .limit(61)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert!(
        msg.contains("Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"),
        "{msg}"
    );
    let (code, msg) = err(ctx
        .sdk
        .create_group()
        .user_pool_id("us-east-1_Nowhere00")
        .group_name("g")
        .send()
        .await);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "User pool us-east-1_Nowhere00 does not exist."
        )
    );
    // Nothing was created by the refused requests.
    assert!(all_group_names(&ctx, 0).await.0.is_empty());
}

#[tokio::test]
async fn list_groups_pages_through_every_group_once() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    for name in ["echo", "Alpha", "delta", "charlie", "Bravo"] {
        create_group(&ctx, name, None, None).await;
    }
    let (names, sizes) = all_group_names(&ctx, 2).await;
    assert_eq!(names, ["Alpha", "Bravo", "charlie", "delta", "echo"]);
    assert_eq!(sizes, [2, 2, 1]);
    // Exactly one full page: no NextToken after it.
    let (_, sizes) = all_group_names(&ctx, 5).await;
    assert_eq!(sizes, [5]);
    // 0 or no limit: up to 60.
    let (names, sizes) = all_group_names(&ctx, 0).await;
    assert_eq!((names.len(), sizes), (5, vec![5]));
}

#[tokio::test]
async fn members_are_added_listed_and_removed() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    for user in ["ann", "ben", "cat", "dan", "eve"] {
        ctx.server
            .create_user(&ctx.pool_id, user, PW, &[])
            .await
            .unwrap();
    }
    for group in ["g1", "g2", "g3"] {
        create_group(&ctx, group, None, None).await;
    }
    for user in ["ann", "ben", "cat", "dan", "eve"] {
        add(&ctx, user, "g1").await;
    }
    add(&ctx, "ann", "g1").await; // again: still one membership
    add(&ctx, "ann", "G2").await; // any case names the group
    add(&ctx, "ann", "g3").await;

    let (members, sizes) = members_of(&ctx, "g1", 2).await;
    assert_eq!(members.len(), 5);
    assert_eq!(sizes, [2, 2, 1]);
    let (groups, sizes) = groups_of(&ctx, "ann", 2).await;
    assert_eq!(groups, ["g1", "g2", "g3"]);
    assert_eq!(sizes, [2, 1]);
    assert!(groups_of(&ctx, "ben", 0).await.0 == ["g1"]);

    remove(&ctx, "ann", "g2").await;
    remove(&ctx, "ann", "g2").await; // not a member any more: nothing to do
    assert_eq!(groups_of(&ctx, "ann", 0).await.0, ["g1", "g3"]);

    // Deleting a user removes their memberships.
    ctx.sdk
        .admin_delete_user()
        .user_pool_id(&ctx.pool_id)
        .username("ben")
        .send()
        .await
        .unwrap();
    let (members, _) = members_of(&ctx, "g1", 0).await;
    assert_eq!(
        members.into_iter().collect::<Vec<_>>(),
        ["ann", "cat", "dan", "eve"]
    );
    // A user of the same name later is not in the old user's groups.
    ctx.server
        .create_user(&ctx.pool_id, "ben", PW, &[])
        .await
        .unwrap();
    assert!(groups_of(&ctx, "ben", 0).await.0.is_empty());

    // Deleting a group removes its memberships; a new group of that name starts empty.
    ctx.sdk
        .delete_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("g1")
        .send()
        .await
        .unwrap();
    assert_eq!(groups_of(&ctx, "ann", 0).await.0, ["g3"]);
    create_group(&ctx, "g1", None, None).await;
    assert!(members_of(&ctx, "g1", 0).await.0.is_empty());
}

#[tokio::test]
async fn membership_errors_are_cognitos() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "ann", PW, &[])
        .await
        .unwrap();
    create_group(&ctx, "g", None, None).await;
    let user_not_found = (
        "UserNotFoundException".to_owned(),
        "User does not exist.".to_owned(),
    );
    let group_not_found = (
        "ResourceNotFoundException".to_owned(),
        "Group not found.".to_owned(),
    );
    let add = |user: &str, group: &str| {
        ctx.sdk
            .admin_add_user_to_group()
            .user_pool_id(&ctx.pool_id)
            .username(user)
            .group_name(group)
            .send()
    };
    assert_eq!(err(add("nobody", "g").await), user_not_found);
    assert_eq!(err(add("ann", "nothing").await), group_not_found);
    let remove = |user: &str, group: &str| {
        ctx.sdk
            .admin_remove_user_from_group()
            .user_pool_id(&ctx.pool_id)
            .username(user)
            .group_name(group)
            .send()
    };
    assert_eq!(err(remove("nobody", "g").await), user_not_found);
    assert_eq!(err(remove("ann", "nothing").await), group_not_found);
    assert_eq!(
        err(ctx
            .sdk
            .admin_list_groups_for_user()
            .user_pool_id(&ctx.pool_id)
            .username("nobody")
            .send()
            .await),
        user_not_found
    );
    assert_eq!(
        err(ctx
            .sdk
            .list_users_in_group()
            .user_pool_id(&ctx.pool_id)
            .group_name("nothing")
            .send()
            .await),
        group_not_found
    );
    let (code, _) = err(ctx
        .sdk
        .admin_list_groups_for_user()
        .user_pool_id(&ctx.pool_id)
        .username("ann")
        .limit(61)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, _) = err(ctx
        .sdk
        .list_users_in_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("g")
        .limit(61)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
}

fn claim<'a>(token: &'a Value, name: &str) -> Option<&'a Value> {
    token.get(name)
}

#[tokio::test]
async fn tokens_carry_the_groups_after_sign_in_and_refresh() {
    let ctx = start(email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "erin", PW, &[])
        .await
        .unwrap();

    // In no group: no group claims at all.
    let t = srp_sign_in(&ctx, "erin", PW).await.unwrap();
    let (id, access) = (
        claims(t.id_token().unwrap()),
        claims(t.access_token().unwrap()),
    );
    for name in ["cognito:groups", "cognito:roles", "cognito:preferred_role"] {
        assert_eq!(claim(&id, name), None, "{name}");
        assert_eq!(claim(&access, name), None, "{name}");
    }

    create_group(&ctx, "zz-no-precedence", None, Some(ROLE_B)).await;
    create_group(&ctx, "staff", Some(5), Some(ROLE_B)).await;
    create_group(&ctx, "admins", Some(1), Some(ROLE_A)).await;
    create_group(&ctx, "readers", Some(0), None).await;
    for g in ["zz-no-precedence", "staff", "admins", "readers"] {
        add(&ctx, "erin", g).await;
    }
    let t = srp_sign_in(&ctx, "erin", PW).await.unwrap();
    let (id, access) = (
        claims(t.id_token().unwrap()),
        claims(t.access_token().unwrap()),
    );
    let expected_groups = json!(["readers", "admins", "staff", "zz-no-precedence"]);
    assert_eq!(claim(&id, "cognito:groups"), Some(&expected_groups));
    assert_eq!(claim(&access, "cognito:groups"), Some(&expected_groups));
    assert_eq!(claim(&id, "cognito:roles"), Some(&json!([ROLE_A, ROLE_B])));
    // readers (precedence 0) has no role: admins (1) is the preferred one.
    assert_eq!(claim(&id, "cognito:preferred_role"), Some(&json!(ROLE_A)));
    assert_eq!(
        claim(&access, "cognito:roles"),
        None,
        "roles are id-token claims"
    );
    assert_eq!(claim(&access, "cognito:preferred_role"), None);

    // Changes show after a refresh of the same session.
    remove(&ctx, "erin", "admins").await;
    let refresh = || {
        ctx.sdk
            .initiate_auth()
            .client_id(&ctx.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", t.refresh_token().unwrap())
            .send()
    };
    let r = refresh().await.unwrap();
    let r = r.authentication_result().unwrap();
    let (id, access) = (
        claims(r.id_token().unwrap()),
        claims(r.access_token().unwrap()),
    );
    let expected_groups = json!(["readers", "staff", "zz-no-precedence"]);
    assert_eq!(claim(&id, "cognito:groups"), Some(&expected_groups));
    assert_eq!(claim(&access, "cognito:groups"), Some(&expected_groups));
    assert_eq!(claim(&id, "cognito:roles"), Some(&json!([ROLE_B])));
    assert_eq!(claim(&id, "cognito:preferred_role"), Some(&json!(ROLE_B)));

    // An updated precedence reorders; a deleted group leaves the tokens.
    ctx.sdk
        .update_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("zz-no-precedence")
        .precedence(3)
        .role_arn(ROLE_A)
        .send()
        .await
        .unwrap();
    ctx.sdk
        .delete_group()
        .user_pool_id(&ctx.pool_id)
        .group_name("readers")
        .send()
        .await
        .unwrap();
    let r = refresh().await.unwrap();
    let id = claims(r.authentication_result().unwrap().id_token().unwrap());
    assert_eq!(
        claim(&id, "cognito:groups"),
        Some(&json!(["zz-no-precedence", "staff"]))
    );
    assert_eq!(claim(&id, "cognito:roles"), Some(&json!([ROLE_A, ROLE_B])));
    assert_eq!(claim(&id, "cognito:preferred_role"), Some(&json!(ROLE_A)));

    // Out of every group: the claims are gone again.
    remove(&ctx, "erin", "staff").await;
    remove(&ctx, "erin", "zz-no-precedence").await;
    let r = refresh().await.unwrap();
    let r = r.authentication_result().unwrap();
    let (id, access) = (
        claims(r.id_token().unwrap()),
        claims(r.access_token().unwrap()),
    );
    for name in ["cognito:groups", "cognito:roles", "cognito:preferred_role"] {
        assert_eq!(claim(&id, name), None, "{name}");
        assert_eq!(claim(&access, name), None, "{name}");
    }
}

#[tokio::test]
async fn groups_survive_a_restart_on_a_data_dir() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("groups-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let builder = || userpool_local::LocalPool::builder().data_dir(&dir);
    let ctx = start_with(builder(), email_pool(), ClientConfig::new("web")).await;
    ctx.server
        .create_user(&ctx.pool_id, "ann", PW, &[])
        .await
        .unwrap();
    create_group(&ctx, "kept", Some(4), Some(ROLE_A)).await;
    add(&ctx, "ann", "kept").await;
    let pool_id = ctx.pool_id.clone();
    ctx.server.shutdown().await.unwrap();

    let server = builder().start().await.unwrap();
    let sdk = sdk(server.endpoint());
    let g = sdk
        .get_group()
        .user_pool_id(&pool_id)
        .group_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(g.group().unwrap().precedence(), Some(4));
    assert_eq!(g.group().unwrap().role_arn(), Some(ROLE_A));
    let groups = sdk
        .admin_list_groups_for_user()
        .user_pool_id(&pool_id)
        .username("ann")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.groups().len(), 1);
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
