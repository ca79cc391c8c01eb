//! Sign-out (local with revocation, global) and deleting the user.

use userpool_types::{AuthEvent, Error};

use super::*;
use crate::SignOutOptions;

#[tokio::test]
async fn local_sign_out_revokes_the_refresh_token_when_the_token_has_origin_jti() {
    let mut m = mock();
    m.expect_revoke_token()
        .withf(|t| t.expose() == "refresh-token-1")
        .times(1)
        .returning(|_| Ok(()));
    let mut env = signed_in(
        m,
        Tok {
            origin_jti: true,
            ..Tok::default()
        },
    )
    .await;
    // A device key survives the sign-out.
    let device = env.keys().user(USER_ID).device_key();
    env.store.set(&device, "device-1").await.unwrap();
    env.auth.sign_out().await.unwrap();
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::SignOut { global: false }]
    ));
    assert_eq!(env.store.keys(), [device]);
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn local_sign_out_without_origin_jti_makes_no_call() {
    let env = signed_in(mock(), Tok::default()).await;
    env.auth.sign_out().await.unwrap();
    assert!(env.store.is_empty());
}

#[tokio::test]
async fn a_failed_revocation_still_signs_out_locally() {
    let mut m = mock();
    m.expect_revoke_token()
        .times(3)
        .returning(|_| Err(Error::network("unreachable", None)));
    let mut env = signed_in(
        m,
        Tok {
            origin_jti: true,
            ..Tok::default()
        },
    )
    .await;
    env.auth.sign_out().await.unwrap();
    assert_eq!(env.event_names().await, ["signOut"]);
    assert!(env.store.is_empty());
}

#[tokio::test]
async fn an_expired_session_is_revoked_too() {
    let mut m = mock();
    m.expect_revoke_token().times(1).returning(|_| Ok(()));
    let env = signed_in(
        m,
        Tok {
            origin_jti: true,
            ..Tok::default()
        },
    )
    .await;
    env.clock.set(T0 + 5 * HOUR);
    env.auth.sign_out().await.unwrap();
}

#[tokio::test]
async fn global_sign_out_calls_global_sign_out() {
    let mut m = mock();
    m.expect_global_sign_out()
        .withf(|t| t.expose() == access_jwt(&Tok::default()))
        .times(1)
        .returning(|_| Ok(()));
    let mut env = signed_in(m, Tok::default()).await;
    env.auth
        .sign_out_with(SignOutOptions::default().global(true))
        .await
        .unwrap();
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::SignOut { global: true }]
    ));
    assert!(env.store.is_empty());
}

#[tokio::test]
async fn a_global_sign_out_that_cannot_reach_the_server_keeps_the_session() {
    let mut m = mock();
    m.expect_global_sign_out()
        .times(3)
        .returning(|_| Err(Error::network("unreachable", None)));
    let mut env = signed_in(m, Tok::default()).await;
    let err = env
        .auth
        .sign_out_with(SignOutOptions::default().global(true))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Network { .. }));
    assert!(env.event_names().await.is_empty());
    env.auth.current_session().await.unwrap();
}

#[tokio::test]
async fn a_refused_global_sign_out_still_signs_out_locally() {
    let mut m = mock();
    m.expect_global_sign_out()
        .times(1)
        .returning(|_| Err(service("NotAuthorizedException")));
    let env = signed_in(m, Tok::default()).await;
    env.auth
        .sign_out_with(SignOutOptions::default().global(true))
        .await
        .unwrap();
    assert!(env.store.is_empty());
}

#[tokio::test]
async fn sign_out_with_nobody_signed_in_emits_sign_out() {
    let mut env = env(mock());
    env.auth.sign_out().await.unwrap();
    assert_eq!(env.event_names().await, ["signOut"]);
    env.auth
        .sign_out_with(SignOutOptions::default().global(true))
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_user_emits_user_deleted_then_sign_out() {
    let mut m = mock();
    m.expect_delete_user()
        .withf(|t| t.expose() == access_jwt(&Tok::default()))
        .times(1)
        .returning(|_| Ok(()));
    let mut env = signed_in(m, Tok::default()).await;
    env.auth.delete_user().await.unwrap();
    assert_eq!(env.event_names().await, ["userDeleted", "signOut"]);
    assert!(env.store.is_empty());
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn delete_user_after_a_network_failure_is_not_repeated_and_keeps_the_session() {
    let mut m = mock();
    m.expect_delete_user()
        .times(1)
        .returning(|_| Err(Error::network("reset", None)));
    let mut env = signed_in(m, Tok::default()).await;
    assert!(matches!(
        env.auth.delete_user().await,
        Err(Error::Network { .. })
    ));
    assert!(env.event_names().await.is_empty());
    env.auth.current_session().await.unwrap();
}

#[tokio::test]
async fn delete_user_needs_a_user() {
    let env = env(mock());
    assert!(matches!(
        env.auth.delete_user().await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn a_global_sign_out_with_a_rejected_refresh_token_signs_out_once() {
    let mut m = mock();
    expect_refresh(&mut m, 1, || Err(service("NotAuthorizedException")));
    let mut env = signed_in(m, Tok::default()).await;
    env.clock.set(T0 + 2 * HOUR);
    env.auth
        .sign_out_with(SignOutOptions::default().global(true))
        .await
        .unwrap();
    assert_eq!(env.event_names().await, ["tokenRefresh_failure", "signOut"]);
    assert!(env.store.is_empty());
}
