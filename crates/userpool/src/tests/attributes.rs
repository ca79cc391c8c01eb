//! The user and their attributes.

use userpool_types::{AuthEvent, CodeDeliveryDetails, DeliveryMedium, Error};

use super::*;
use crate::{AttributeName, Attributes};

fn email_delivery() -> CodeDeliveryDetails {
    CodeDeliveryDetails::new()
        .with_destination("n***@e***")
        .with_medium(DeliveryMedium::Email)
        .with_attribute_name("email")
}

fn refreshed() -> Tok {
    Tok {
        iat: T0 + 10,
        exp: T0 + 10 + HOUR,
        refresh: None,
        tag: "after-update",
        email: "new@example.com",
        ..Tok::default()
    }
}

#[tokio::test]
async fn the_user_is_fetched_once_then_cached_and_stored() {
    let mut m = mock();
    m.expect_get_user()
        .withf(|t| t.expose() == access_jwt(&Tok::default()))
        .times(1)
        .returning(|_| Ok(test_user(TYPED)));
    let env = signed_in(m, Tok::default()).await;
    let u1 = env.auth.current_authenticated_user().await.unwrap();
    let u2 = env.auth.current_authenticated_user().await.unwrap();
    assert!(Arc::ptr_eq(&u1, &u2));
    assert_eq!(u1.username().as_str(), USER_ID);
    assert_eq!(u1.sub(), Some(USER_ID));
    assert_eq!(u1.email_verified(), Some(true));
    assert_eq!(
        u1.attributes_json()["email_verified"],
        serde_json::json!(true)
    );
    let stored = env.stored_user_key("userData").await.unwrap();
    assert_eq!(User::from_user_data(&stored).unwrap(), *u1);

    // A new process reads userData: no GetUser.
    let auth2 = builder(mock(), &env.clock)
        .storage(Arc::new(env.store.clone()))
        .build()
        .unwrap();
    assert_eq!(
        auth2.current_authenticated_user().await.unwrap().email(),
        Some(TYPED)
    );
}

#[tokio::test]
async fn bypass_cache_fetches_the_user_and_refreshes_the_session() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_get_user()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(test_user(TYPED)));
    m.expect_get_user()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(test_user("new@example.com")));
    expect_refresh(&mut m, 1, || Ok(answer(&refreshed())));
    let env = signed_in(m, Tok::default()).await;
    assert_eq!(
        env.auth.current_authenticated_user().await.unwrap().email(),
        Some(TYPED)
    );
    let u = env
        .auth
        .current_authenticated_user_with(crate::CurrentUserOptions::default().bypass_cache())
        .await
        .unwrap();
    assert_eq!(u.email(), Some("new@example.com"));
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.id_token().claims().str("email"), Some("new@example.com"));
    assert_eq!(
        env.auth.current_authenticated_user().await.unwrap().email(),
        Some("new@example.com")
    );
}

#[tokio::test]
async fn update_returns_per_attribute_results_emits_them_and_reloads_the_user() {
    let mut m = mock();
    m.expect_update_user_attributes()
        .withf(|token, attrs, _| {
            token.expose() == access_jwt(&Tok::default())
                && attrs.len() == 3
                && attrs.get("sub").is_none()
                && attrs.get("email_verified").is_none()
        })
        .times(1)
        .returning(|_, _, _| Ok(vec![email_delivery()]));
    m.expect_get_user()
        .times(1)
        .returning(|_| Ok(test_user("new@example.com")));
    expect_refresh(&mut m, 1, || Ok(answer(&refreshed())));
    let mut env = signed_in(m, Tok::default()).await;
    let attrs = Attributes::try_from([
        ("email", "new@example.com"),
        ("given_name", "Ada"),
        ("phone_number", "+15550100"),
        ("sub", "forged"),
        ("email_verified", "true"),
    ])
    .unwrap();
    let results = env.auth.update_user_attributes(attrs).await.unwrap();
    let email = &results[&AttributeName::new("email").unwrap()];
    assert!(!email.is_updated);
    assert_eq!(email.code_delivery, Some(email_delivery()));
    let name = &results[&AttributeName::new("given_name").unwrap()];
    assert!(name.is_updated && name.code_delivery.is_none());
    // Needs verification in principle, but no code was sent: updated.
    assert!(results[&AttributeName::new("phone_number").unwrap()].is_updated);
    assert_eq!(results.len(), 3);

    let events = env.events().await;
    let updated: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AuthEvent::UpdateUserAttributes { results } => Some(results.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        updated,
        std::slice::from_ref(&results),
        "the same map: {events:?}"
    );
    assert!(events.iter().any(|e| e.name() == "tokenRefresh"));

    // Reloaded: no further GetUser (times(1) above), fresh ID token claims.
    let u = env.auth.current_authenticated_user().await.unwrap();
    assert_eq!(u.email(), Some("new@example.com"));
    let s = env.auth.current_session().await.unwrap();
    assert_eq!(s.id_token().claims().str("tag"), Some("after-update"));
}

#[tokio::test]
async fn only_server_managed_attributes_is_invalid_input_and_nothing_is_sent() {
    let mut env = signed_in(mock(), Tok::default()).await;
    let attrs = Attributes::try_from([("sub", "x"), ("phone_number_verified", "true")]).unwrap();
    let err = env.auth.update_user_attributes(attrs).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "attributes",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(env.event_names().await, ["updateUserAttributes_failure"]);
}

#[tokio::test]
async fn a_refused_update_emits_the_failure_event() {
    let mut m = mock();
    m.expect_update_user_attributes()
        .times(1)
        .returning(|_, _, _| Err(service("InvalidParameterException")));
    let mut env = signed_in(m, Tok::default()).await;
    let err = env
        .auth
        .update_user_attributes(Attributes::try_from([("custom:unknown", "x")]).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }));
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::UpdateUserAttributesFailure {
            error: Error::InvalidParameter { .. }
        }]
    ));
}

#[tokio::test]
async fn an_update_whose_reload_fails_still_succeeds() {
    let mut m = mock();
    m.expect_update_user_attributes()
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    m.expect_get_user()
        .times(3)
        .returning(|_| Err(Error::network("reset", None)));
    expect_refresh(&mut m, 3, || Err(Error::network("reset", None)));
    let env = signed_in(m, Tok::default()).await;
    let results = env
        .auth
        .update_user_attributes(Attributes::try_from([("given_name", "Ada")]).unwrap())
        .await
        .unwrap();
    assert!(results.values().all(|r| r.is_updated));
    assert_eq!(env.stored_user_key("userData").await, None);
    // Still signed in with the old session.
    env.auth.current_session().await.unwrap();
}

#[tokio::test]
async fn delete_user_attributes_reloads_the_user() {
    let mut m = mock();
    m.expect_delete_user_attributes()
        .withf(|_, names| {
            names
                .iter()
                .map(AttributeName::as_str)
                .eq(["custom:team", "nickname"])
        })
        .times(1)
        .returning(|_, _| Ok(()));
    m.expect_get_user()
        .times(1)
        .returning(|_| Ok(test_user(TYPED)));
    expect_refresh(&mut m, 1, || Ok(answer(&refreshed())));
    let env = signed_in(m, Tok::default()).await;
    env.auth
        .delete_user_attributes(["custom:team", "nickname"])
        .await
        .unwrap();
    assert!(env.stored_user_key("userData").await.is_some());
    assert!(matches!(
        env.auth.delete_user_attributes(Vec::<&str>::new()).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        env.auth.delete_user_attributes(["bad name"]).await,
        Err(Error::InvalidInput { .. })
    ));
}

#[tokio::test]
async fn verify_current_user_attribute_returns_the_delivery() {
    let mut m = mock();
    m.expect_get_user_attribute_verification_code()
        .withf(|_, name, _| name.as_str() == "email")
        .times(1)
        .returning(|_, _, _| Ok(Some(email_delivery())));
    let env = signed_in(m, Tok::default()).await;
    assert_eq!(
        env.auth
            .verify_current_user_attribute("email")
            .await
            .unwrap(),
        Some(email_delivery())
    );
}

#[tokio::test]
async fn verify_submit_checks_the_code_and_drops_the_cached_user() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_verify_user_attribute()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(service("CodeMismatchException")));
    m.expect_verify_user_attribute()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(service("ExpiredCodeException")));
    m.expect_verify_user_attribute()
        .withf(|_, name, code| name.as_str() == "email" && code.expose() == "424242")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(()));
    m.expect_get_user()
        .times(2)
        .returning(|_| Ok(test_user(TYPED)));
    let env = signed_in(m, Tok::default()).await;
    env.auth.current_authenticated_user().await.unwrap();
    assert!(matches!(
        env.auth
            .verify_current_user_attribute_submit("email", "1")
            .await,
        Err(Error::CodeMismatch { .. })
    ));
    assert!(matches!(
        env.auth
            .verify_current_user_attribute_submit("email", "2")
            .await,
        Err(Error::ExpiredCode { .. })
    ));
    env.auth
        .verify_current_user_attribute_submit("email", "424242")
        .await
        .unwrap();
    assert_eq!(env.stored_user_key("userData").await, None);
    // Fetched again (the second GetUser).
    env.auth.current_authenticated_user().await.unwrap();
}
