//! Sign-up, confirmation, resending the code.

use userpool_transport::SignUpRequest;
use userpool_types::{AuthEvent, CodeDeliveryDetails, DeliveryMedium, Error, SignUpResult};

use super::*;
use crate::{Attributes, ConfirmSignUpOptions, RequestOptions, SignUpOptions};

fn delivery() -> CodeDeliveryDetails {
    CodeDeliveryDetails::new()
        .with_destination("a***@e***")
        .with_medium(DeliveryMedium::Email)
        .with_attribute_name("email")
}

#[tokio::test]
async fn sign_up_sends_attributes_validation_data_and_metadata() {
    let mut m = mock();
    m.expect_sign_up()
        .withf(|r: &SignUpRequest| {
            r.username.as_str() == TYPED
                && r.password.expose() == "Pa55word!"
                && r.attributes.get("email") == Some(TYPED)
                && r.attributes.get("custom:team") == Some("engines")
                && r.validation_data.get("invite") == Some("xyz")
                && r.client_metadata.get("source") == Some(&"test".to_owned())
        })
        .times(1)
        .returning(|_| Ok(SignUpResult::new(USER_ID, false).with_code_delivery(delivery())));
    let mut env = env(m);
    let options = SignUpOptions::default()
        .attribute("email", TYPED)
        .unwrap()
        .attribute("custom:team", "engines")
        .unwrap()
        .validation_data(Attributes::try_from([("invite", "xyz")]).unwrap())
        .client_metadata_entry("source", "test");
    let result = env.auth.sign_up(TYPED, "Pa55word!", options).await.unwrap();
    assert!(!result.user_confirmed);
    assert_eq!(result.user_sub, USER_ID);
    assert_eq!(result.code_delivery, Some(delivery()));
    let events = env.events().await;
    assert_eq!(events.len(), 1);
    match &events[0] {
        AuthEvent::SignUp {
            username,
            result: r,
        } => {
            assert_eq!(username.as_str(), TYPED);
            assert_eq!(r, &result);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn sign_up_password_policy_failure_emits_sign_up_failure() {
    let mut m = mock();
    m.expect_sign_up()
        .times(1)
        .returning(|_| Err(service("InvalidPasswordException")));
    let mut env = env(m);
    let err = env
        .auth
        .sign_up(TYPED, "short", SignUpOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword { .. }), "{err:?}");
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::SignUpFailure {
            error: Error::InvalidPassword { .. }
        }]
    ));
}

#[tokio::test]
async fn sign_up_username_exists_is_typed() {
    let mut m = mock();
    m.expect_sign_up()
        .times(1)
        .returning(|_| Err(service("UsernameExistsException")));
    let env = env(m);
    let err = env
        .auth
        .sign_up(TYPED, "Pa55word!", SignUpOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UsernameExists { .. }));
}

#[tokio::test]
async fn sign_up_checks_input_before_sending() {
    let mut env = env(mock());
    let err = env
        .auth
        .sign_up(TYPED, "", SignUpOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "password",
            ..
        }
    ));
    let err = env
        .auth
        .sign_up("", "Pa55word!", SignUpOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "username",
            ..
        }
    ));
    assert_eq!(
        env.event_names().await,
        ["signUp_failure", "signUp_failure"]
    );
    assert!(
        SignUpOptions::default()
            .attribute("has space", "x")
            .is_err()
    );
}

#[tokio::test]
async fn sign_up_is_not_repeated_after_a_network_failure() {
    let mut m = mock();
    m.expect_sign_up()
        .times(1)
        .returning(|_| Err(Error::network("connection reset", None)));
    let env = env(m);
    let err = env
        .auth
        .sign_up(TYPED, "Pa55word!", SignUpOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Network { .. }));
}

#[tokio::test]
async fn confirm_sign_up_forces_alias_creation_and_emits_confirm_sign_up() {
    let mut m = mock();
    m.expect_confirm_sign_up()
        .withf(|u, code, force, meta| {
            u.as_str() == TYPED && code.expose() == "123456" && *force && meta.is_empty()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut env = env(m);
    env.auth
        .confirm_sign_up_with(
            TYPED,
            "123456",
            ConfirmSignUpOptions::default().force_alias_creation(true),
        )
        .await
        .unwrap();
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::ConfirmSignUp { username }] if username.as_str() == TYPED
    ));
}

#[tokio::test]
async fn confirm_sign_up_wrong_or_expired_code() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_confirm_sign_up()
        .withf(|_, _, force, _| !*force)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(service("CodeMismatchException")));
    m.expect_confirm_sign_up()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(service("ExpiredCodeException")));
    let mut env = env(m);
    let err = env.auth.confirm_sign_up(TYPED, "000000").await.unwrap_err();
    assert!(matches!(err, Error::CodeMismatch { .. }));
    let err = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap_err();
    assert!(matches!(err, Error::ExpiredCode { .. }));
    assert!(env.event_names().await.is_empty());
    let err = env.auth.confirm_sign_up(TYPED, "").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "code", .. }));
}

#[tokio::test]
async fn resend_sign_up_code_returns_the_delivery() {
    let mut m = mock();
    m.expect_resend_confirmation_code()
        .withf(|u, meta| u.as_str() == TYPED && meta.get("k") == Some(&"v".to_owned()))
        .times(1)
        .returning(|_, _| Ok(Some(delivery())));
    let env = env(m);
    let d = env
        .auth
        .resend_sign_up_code_with(
            TYPED,
            RequestOptions::default().client_metadata_entry("k", "v"),
        )
        .await
        .unwrap();
    assert_eq!(d, Some(delivery()));
}

#[tokio::test]
async fn resend_sign_up_code_throttled_is_retried() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_resend_confirmation_code()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Err(service("TooManyRequestsException")));
    m.expect_resend_confirmation_code()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(None));
    let env = env(m);
    assert_eq!(env.auth.resend_sign_up_code(TYPED).await.unwrap(), None);
}
