//! Groups and roles from the tokens, on the session and on the user.

use std::sync::Arc;

use userpool_types::claims::TokenGroup;

use super::*;

const ADMIN_ROLE: &str = "arn:aws:iam::123456789012:role/admins";

fn in_groups(t: &Tok, groups: &[(&str, u32, Option<&str>)]) -> AuthOutcome {
    let groups: Vec<TokenGroup> = groups
        .iter()
        .map(|(name, precedence, role)| {
            TokenGroup::new(*name, Some(*precedence), role.map(str::to_owned))
        })
        .collect();
    AuthOutcome::Tokens(tokens_with(t, |claims| claims.groups(groups.clone())))
}

#[tokio::test]
async fn the_user_has_the_groups_of_the_current_tokens_also_after_a_refresh() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
        .times(1)
        .returning(|_, _| {
            Ok(in_groups(
                &Tok::default(),
                &[("readers", 2, None), ("admins", 1, Some(ADMIN_ROLE))],
            ))
        });
    // GetUser returns no groups (Cognito's does not): they come from the tokens.
    m.expect_get_user()
        .times(1)
        .returning(|_| Ok(test_user(TYPED)));
    // The refresh after expiry: the user left `admins`.
    m.expect_initiate_auth()
        .withf(|req, _| matches!(req, InitiateAuth::RefreshToken { .. }))
        .times(1)
        .returning(|_, _| {
            let t = Tok {
                iat: T0 + HOUR,
                exp: T0 + 2 * HOUR,
                refresh: None,
                ..Tok::default()
            };
            Ok(in_groups(&t, &[("readers", 2, None)]))
        });
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(crate::AuthFlow::UserPassword)
    });
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();

    let session = env.auth.current_session().await.unwrap();
    assert_eq!(session.groups(), ["admins", "readers"]);
    let user = env.auth.current_authenticated_user().await.unwrap();
    assert_eq!(user.groups(), ["admins", "readers"]);
    assert_eq!(user.roles(), [ADMIN_ROLE]);
    assert_eq!(user.preferred_role(), Some(ADMIN_ROLE));
    // Cached: the same user, no second GetUser.
    let again = env.auth.current_authenticated_user().await.unwrap();
    assert!(Arc::ptr_eq(&user, &again));

    env.clock.set(T0 + HOUR);
    let session = env.auth.current_session().await.unwrap();
    assert_eq!(session.groups(), ["readers"]);
    let user = env.auth.current_authenticated_user().await.unwrap();
    assert_eq!(
        user.groups(),
        ["readers"],
        "the cached user follows the new tokens"
    );
    assert!(user.roles().is_empty());
    assert_eq!(user.preferred_role(), None);
    assert_eq!(user.email(), Some(TYPED), "the rest of the user is kept");
}
