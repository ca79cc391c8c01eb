//! Changing and resetting passwords.

use userpool_types::{AuthEvent, CodeDeliveryDetails, DeliveryMedium, Error};

use super::*;
use crate::RequestOptions;

#[tokio::test]
async fn change_password_sends_the_access_token() {
    let mut m = mock();
    m.expect_change_password()
        .withf(|t, old, new| {
            t.expose() == access_jwt(&Tok::default())
                && old.expose() == "Pa55word!"
                && new.expose() == "N3w-Passw0rd!"
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut env = signed_in(m, Tok::default()).await;
    env.auth
        .change_password("Pa55word!", "N3w-Passw0rd!")
        .await
        .unwrap();
    assert!(env.event_names().await.is_empty());
}

#[tokio::test]
async fn change_password_errors() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_change_password()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(service("NotAuthorizedException")));
    m.expect_change_password()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(service("InvalidPasswordException")));
    m.expect_change_password()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(Error::network("reset", None)));
    let env = signed_in(m, Tok::default()).await;
    assert!(matches!(
        env.auth.change_password("wrong", "N3w-Passw0rd!").await,
        Err(Error::NotAuthorized { .. })
    ));
    assert!(matches!(
        env.auth.change_password("Pa55word!", "weak").await,
        Err(Error::InvalidPassword { .. })
    ));
    // Not repeated: it may have been applied.
    assert!(matches!(
        env.auth.change_password("Pa55word!", "N3w-Passw0rd!").await,
        Err(Error::Network { .. })
    ));
    assert!(matches!(
        env.auth.change_password("", "x").await,
        Err(Error::InvalidInput {
            field: "old_password",
            ..
        })
    ));
    // Still signed in: a refused password change is not a refused session.
    env.auth.current_session().await.unwrap();
}

fn delivery() -> CodeDeliveryDetails {
    CodeDeliveryDetails::new()
        .with_destination("a***@e***")
        .with_medium(DeliveryMedium::Email)
        .with_attribute_name("email")
}

#[tokio::test]
async fn forgot_password_emits_forgot_password_with_the_delivery() {
    let mut m = mock();
    m.expect_forgot_password()
        .withf(|u, meta| u.as_str() == TYPED && meta.get("a") == Some(&"b".to_owned()))
        .times(1)
        .returning(|_, _| Ok(Some(delivery())));
    let mut env = env(m);
    let d = env
        .auth
        .forgot_password_with(
            TYPED,
            RequestOptions::default().client_metadata_entry("a", "b"),
        )
        .await
        .unwrap();
    assert_eq!(d, Some(delivery()));
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::ForgotPassword { username, delivery: Some(_) }] if username.as_str() == TYPED
    ));
}

#[tokio::test]
async fn forgot_password_failure_event() {
    let mut m = mock();
    m.expect_forgot_password()
        .times(1)
        .returning(|_, _| Err(service("LimitExceededException")));
    let mut env = env(m);
    assert!(matches!(
        env.auth.forgot_password(TYPED).await,
        Err(Error::LimitExceeded { .. })
    ));
    assert_eq!(env.event_names().await, ["forgotPassword_failure"]);
}

#[tokio::test]
async fn forgot_password_submit_success_and_bad_codes() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_confirm_forgot_password()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(service("CodeMismatchException")));
    m.expect_confirm_forgot_password()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(service("ExpiredCodeException")));
    m.expect_confirm_forgot_password()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(service("InvalidPasswordException")));
    m.expect_confirm_forgot_password()
        .withf(|u, code, p, _| {
            u.as_str() == TYPED && code.expose() == "777777" && p.expose() == "N3w-Passw0rd!"
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(()));
    let mut env = env(m);
    let submit = |code: &'static str, p: &'static str| {
        let auth = env.auth.clone();
        async move { auth.forgot_password_submit(TYPED, code, p).await }
    };
    assert!(matches!(
        submit("1", "N3w-Passw0rd!").await,
        Err(Error::CodeMismatch { .. })
    ));
    assert!(matches!(
        submit("2", "N3w-Passw0rd!").await,
        Err(Error::ExpiredCode { .. })
    ));
    assert!(matches!(
        submit("3", "weak").await,
        Err(Error::InvalidPassword { .. })
    ));
    submit("777777", "N3w-Passw0rd!").await.unwrap();
    assert_eq!(
        env.event_names().await,
        [
            "forgotPasswordSubmit_failure",
            "forgotPasswordSubmit_failure",
            "forgotPasswordSubmit_failure",
            "forgotPasswordSubmit"
        ]
    );
}
