//! Sign-in: SRP against a real SRP server, the password flow, challenges and errors.

use userpool_transport::ChallengeResponse;
use userpool_types::{AuthEvent, AuthFlow, DeliveryMedium, Error, NextStep};

use super::*;
use crate::{Attributes, SignInOptions, SignInResult};

#[tokio::test]
async fn srp_sign_in_proves_the_password_and_stores_the_session() {
    let pool = SrpPool::new("Pa55word!");
    let mut m = mock();
    pool.expect_sign_in(&mut m, answer(&Tok::default()));
    let store = RecordingStore::default();
    let clock = TestClock::new(T0);
    let hub = Hub::new();
    let mut events = hub.subscribe(crate::AUTH_CHANNEL);
    let auth = builder(m, &clock)
        .storage(Arc::new(store.clone()))
        .hub(hub)
        .build()
        .unwrap();
    let r = auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    assert_eq!(r, SignInResult::SignedIn);
    assert!(r.next_step().is_none());

    // One set_many with the reference keys, under USER_ID_FOR_SRP.
    let writes: Vec<String> = store
        .log()
        .into_iter()
        .filter(|l| l.starts_with("set"))
        .collect();
    assert_eq!(
        writes,
        ["set_many:LastAuthUser,idToken,accessToken,clockDrift,refreshToken"]
    );
    let keys = Keys::new(CLIENT);
    let u = keys.user(USER_ID);
    let get = |k: String| {
        let store = store.inner.clone();
        async move { store.get(&k).await.unwrap() }
    };
    assert_eq!(get(keys.last_auth_user()).await.as_deref(), Some(USER_ID));
    assert_eq!(get(u.id_token()).await, Some(id_jwt(&Tok::default())));
    assert_eq!(
        get(u.access_token()).await,
        Some(access_jwt(&Tok::default()))
    );
    assert_eq!(
        get(u.refresh_token()).await.as_deref(),
        Some("refresh-token-1")
    );
    assert_eq!(get(u.clock_drift()).await.as_deref(), Some("0"));

    let session = auth.current_session().await.unwrap();
    assert_eq!(session.access_token().username(), Some(USER_ID));
    let names: Vec<&str> = std::iter::from_fn(|| events.try_recv())
        .map(|e| e.name())
        .collect();
    assert_eq!(names, ["configured", "signIn"]);
}

#[tokio::test]
async fn srp_sign_in_with_a_wrong_password_is_not_authorized_and_emits_sign_in_failure() {
    let pool = SrpPool::new("the-real-password");
    let mut m = mock();
    pool.expect_sign_in(&mut m, answer(&Tok::default()));
    let mut env = env(m);
    let err = env
        .auth
        .sign_in(TYPED, "a-wrong-password")
        .await
        .unwrap_err();
    assert!(err.is_not_authorized(), "{err:?}");
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::SignInFailure {
            error: Error::NotAuthorized { .. }
        }]
    ));
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    assert!(env.store.is_empty());
}

#[tokio::test]
async fn srp_challenge_without_srp_b_is_a_malformed_response() {
    let mut m = mock();
    m.expect_initiate_auth().times(1).returning(|_, _| {
        Ok(challenge(
            "PASSWORD_VERIFIER",
            &[
                ("SALT", "abcd"),
                ("SECRET_BLOCK", "c2Vj"),
                ("USER_ID_FOR_SRP", USER_ID),
            ],
        ))
    });
    let mut env = env(m);
    let err = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap_err();
    match &err {
        Error::MalformedResponse { operation, reason } => {
            assert_eq!(*operation, "InitiateAuth");
            assert!(reason.contains("SRP_B"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(env.event_names().await, ["signIn_failure"]);
}

#[tokio::test]
async fn srp_challenge_with_an_illegal_b_is_an_srp_error() {
    let mut m = mock();
    m.expect_initiate_auth().times(1).returning(|_, _| {
        Ok(challenge(
            "PASSWORD_VERIFIER",
            &[
                ("SRP_B", "0"),
                ("SALT", "abcd"),
                ("SECRET_BLOCK", "c2Vj"),
                ("USER_ID_FOR_SRP", USER_ID),
            ],
        ))
    });
    let env = env(m);
    let err = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap_err();
    assert!(matches!(err, Error::Srp { .. }), "{err:?}");
    // The SRP error is kept as the source, and the message does not repeat it.
    let source = std::error::Error::source(&err).expect("the SRP error is the source");
    assert!(!err.to_string().contains(&source.to_string()), "{err}");
}

#[tokio::test]
async fn password_flow_on_request_sends_the_password() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, meta| {
            matches!(req, InitiateAuth::UserPassword { username, password, device_key: None }
                if username.as_str() == TYPED && password.expose() == "Pa55word!")
                && meta.get("app") == Some(&"cli".to_owned())
        })
        .times(1)
        .returning(|_, _| Ok(answer(&Tok::default())));
    let mut env = env(m);
    assert_eq!(env.auth.auth_flow(), AuthFlow::UserSrp);
    let r = env
        .auth
        .sign_in_with(
            TYPED,
            "Pa55word!",
            SignInOptions::default()
                .auth_flow(AuthFlow::UserPassword)
                .client_metadata([("app".to_owned(), "cli".to_owned())].into()),
        )
        .await
        .unwrap();
    assert!(r.is_signed_in());
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::SignIn { username }] if username.as_str() == USER_ID
    ));
}

#[tokio::test]
async fn sign_in_user_not_confirmed() {
    let mut m = mock();
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Err(service("UserNotConfirmedException")));
    let mut env = env(m);
    let err = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap_err();
    assert!(matches!(err, Error::UserNotConfirmed { .. }));
    assert_eq!(env.event_names().await, ["signIn_failure"]);
}

#[tokio::test]
async fn sign_in_tokens_that_do_not_decode_are_malformed_tokens() {
    let mut m = mock();
    m.expect_initiate_auth().times(1).returning(|_, _| {
        Ok(AuthOutcome::Tokens(
            AuthTokens::new("not-a-jwt".into(), "nope".into()).with_refresh_token("r".into()),
        ))
    });
    let mut env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    let err = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap_err();
    assert!(matches!(err, Error::MalformedToken { .. }), "{err:?}");
    assert_eq!(env.event_names().await, ["signIn_failure"]);
    assert!(env.store.is_empty());
}

#[tokio::test]
async fn sign_in_throttled_then_succeeds() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_initiate_auth()
        .times(2)
        .in_sequence(&mut seq)
        .returning(|_, _| Err(service("TooManyRequestsException")));
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(answer(&Tok::default())));
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    assert!(
        env.auth
            .sign_in(TYPED, "Pa55word!")
            .await
            .unwrap()
            .is_signed_in()
    );
}

#[tokio::test]
async fn sign_in_network_failure_after_retries_is_a_network_error() {
    let mut m = mock();
    m.expect_initiate_auth()
        .times(3)
        .returning(|_, _| Err(Error::network("connection refused", None)));
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    let err = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }));
}

#[tokio::test]
async fn sign_in_checks_input_before_sending() {
    let env = env(mock());
    assert!(matches!(
        env.auth.sign_in(TYPED, "").await,
        Err(Error::InvalidInput {
            field: "password",
            ..
        })
    ));
    assert!(matches!(
        env.auth.sign_in("a\u{0}b", "x").await,
        Err(Error::InvalidInput {
            field: "username",
            ..
        })
    ));
}

fn new_password_challenge() -> AuthOutcome {
    challenge(
        "NEW_PASSWORD_REQUIRED",
        &[
            (
                "requiredAttributes",
                r#"["userAttributes.given_name","userAttributes.custom:team"]"#,
            ),
            (
                "userAttributes",
                r#"{"email":"ada@example.com","email_verified":"true"}"#,
            ),
            ("USER_ID_FOR_SRP", USER_ID),
        ],
    )
}

#[tokio::test]
async fn new_password_required_then_complete_new_password() {
    let pool = SrpPool::new("Temp0rary!");
    let mut m = mock();
    pool.expect_sign_in(&mut m, new_password_challenge());
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            matches!(&a.response, ChallengeResponse::NewPassword { new_password, attributes }
                if new_password.expose() == "N3w-Passw0rd!"
                    && attributes.get("given_name") == Some("Ada")
                    && attributes.get("custom:team") == Some("engines")
                    && attributes.get("sub").is_none()
                    && attributes.get("email_verified").is_none())
                && a.username.as_str() == USER_ID
                && a.session.as_ref().map(SecretString::expose)
                    == Some("session-of-NEW_PASSWORD_REQUIRED")
        })
        .times(1)
        .returning(|_| Ok(answer(&Tok::default())));
    let mut env = env(m);
    let r = env.auth.sign_in(TYPED, "Temp0rary!").await.unwrap();
    let Some(NextStep::NewPasswordRequired {
        required_attributes,
        user_attributes,
    }) = r.next_step()
    else {
        panic!("unexpected {r:?}");
    };
    let names: Vec<&str> = required_attributes.iter().map(|a| a.as_str()).collect();
    assert_eq!(names, ["given_name", "custom:team"]);
    assert_eq!(user_attributes.get("email"), Some(TYPED));
    assert!(env.event_names().await.is_empty(), "no signIn yet");

    // Pending: not a signed-in user.
    let pending = env.auth.current_session().await.unwrap_err();
    assert!(
        matches!(&pending, Error::SignInPending { challenge } if challenge == "NEW_PASSWORD_REQUIRED"),
        "{pending:?}"
    );
    assert!(matches!(
        env.auth.current_authenticated_user().await,
        Err(Error::SignInPending { .. })
    ));
    assert!(env.auth.pending_sign_in().is_some());

    let attrs = Attributes::try_from([
        ("given_name", "Ada"),
        ("custom:team", "engines"),
        ("sub", "forged"),
        ("email_verified", "true"),
    ])
    .unwrap();
    let r = env
        .auth
        .complete_new_password("N3w-Passw0rd!", attrs)
        .await
        .unwrap();
    assert!(r.is_signed_in());
    assert_eq!(env.event_names().await, ["signIn"]);
    assert!(env.auth.pending_sign_in().is_none());
    env.auth.current_session().await.unwrap();
}

#[tokio::test]
async fn complete_new_password_failure_emits_its_event_and_stays_pending() {
    let mut m = mock();
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Ok(new_password_challenge()));
    m.expect_respond_to_auth_challenge()
        .times(1)
        .returning(|_| Err(service("InvalidPasswordException")));
    let mut env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    env.auth.sign_in(TYPED, "Temp0rary!").await.unwrap();
    let err = env
        .auth
        .complete_new_password("weak", Attributes::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword { .. }));
    let events = env.events().await;
    assert!(matches!(
        events.as_slice(),
        [AuthEvent::CompleteNewPasswordFailure {
            error: Error::InvalidPassword { .. }
        }]
    ));
    assert!(env.auth.pending_sign_in().is_some());
}

#[tokio::test]
async fn complete_new_password_without_a_pending_step_is_invalid_input() {
    let mut env = env(mock());
    let err = env
        .auth
        .complete_new_password("N3w-Passw0rd!", Attributes::new())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "sign-in",
            ..
        }
    ));
    assert_eq!(env.event_names().await, ["completeNewPassword_failure"]);
    let err = env.auth.confirm_sign_in("123456").await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "sign-in",
            ..
        }
    ));
}

#[tokio::test]
async fn sms_mfa_wrong_code_stays_pending_then_the_right_code_signs_in() {
    let pool = SrpPool::new("Pa55word!");
    let mut m = mock();
    pool.expect_sign_in(
        &mut m,
        challenge(
            "SMS_MFA",
            &[
                ("CODE_DELIVERY_DESTINATION", "+*******0199"),
                ("CODE_DELIVERY_DELIVERY_MEDIUM", "SMS"),
                ("USERNAME", USER_ID),
            ],
        ),
    );
    let mut seq = mockall::Sequence::new();
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(&a.response, ChallengeResponse::SmsMfa { code } if code.expose() == "000000"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Err(service("CodeMismatchException")));
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            matches!(&a.response, ChallengeResponse::SmsMfa { code } if code.expose() == "246810")
                && a.username.as_str() == USER_ID
                && a.session.as_ref().map(SecretString::expose) == Some("session-of-SMS_MFA")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(answer(&Tok::default())));
    let mut env = env(m);
    let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    match r.next_step() {
        Some(NextStep::SmsCode { delivery }) => {
            assert_eq!(delivery.destination.as_deref(), Some("+*******0199"));
            assert_eq!(delivery.medium, Some(DeliveryMedium::Sms));
        }
        other => panic!("unexpected {other:?}"),
    }
    let err = env.auth.confirm_sign_in("000000").await.unwrap_err();
    assert!(matches!(err, Error::CodeMismatch { .. }));
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::SignInPending { .. })
    ));
    assert!(
        env.auth
            .confirm_sign_in("246810")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn totp_after_choosing_the_mfa_type() {
    let mut m = mock();
    m.expect_initiate_auth().times(1).returning(|_, _| {
        Ok(challenge(
            "SELECT_MFA_TYPE",
            &[("MFAS_CAN_CHOOSE", r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#)],
        ))
    });
    let mut seq = mockall::Sequence::new();
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(&a.response, ChallengeResponse::SelectMfaType { answer } if answer == "SOFTWARE_TOKEN_MFA"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(challenge("SOFTWARE_TOKEN_MFA", &[])));
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(&a.response, ChallengeResponse::SoftwareTokenMfa { code } if code.expose() == "135790"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(answer(&Tok::default())));
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    assert!(
        matches!(r.next_step(), Some(NextStep::SelectMfaType { options }) if options.len() == 2)
    );
    let r = env.auth.confirm_sign_in("TOTP").await.unwrap();
    assert_eq!(r.next_step(), Some(&NextStep::TotpCode));
    assert!(
        env.auth
            .confirm_sign_in("135790")
            .await
            .unwrap()
            .is_signed_in()
    );
}

#[tokio::test]
async fn custom_challenge_round_trip() {
    let mut m = mock();
    m.expect_initiate_auth().times(1).returning(|_, _| {
        Ok(challenge(
            "CUSTOM_CHALLENGE",
            &[("question", "2+2?"), ("USERNAME", USER_ID)],
        ))
    });
    let mut seq = mockall::Sequence::new();
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(&a.response, ChallengeResponse::Custom { answer } if answer.expose() == "5"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(challenge("CUSTOM_CHALLENGE", &[("question", "try again: 2+2?")])));
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(&a.response, ChallengeResponse::Custom { answer } if answer.expose() == "4"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(answer(&Tok::default())));
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    assert!(matches!(
        r.next_step(),
        Some(NextStep::CustomChallenge { parameters }) if parameters == &params(&[("question", "2+2?"), ("USERNAME", USER_ID)])
    ));
    let r = env
        .auth
        .send_custom_challenge_answer("5", crate::RequestOptions::default())
        .await
        .unwrap();
    assert!(matches!(
        r.next_step(),
        Some(NextStep::CustomChallenge { parameters }) if parameters["question"] == "try again: 2+2?"
    ));
    assert!(env.auth.confirm_sign_in("4").await.unwrap().is_signed_in());
}

#[tokio::test]
async fn an_expired_challenge_session_ends_the_pending_sign_in() {
    let mut m = mock();
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Ok(challenge("SOFTWARE_TOKEN_MFA", &[])));
    m.expect_respond_to_auth_challenge()
        .times(1)
        .returning(|_| {
            Err(Error::from_service(
                "NotAuthorizedException",
                "Invalid session for the user, session is expired.",
            ))
        });
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    let err = env.auth.confirm_sign_in("123456").await.unwrap_err();
    assert!(err.is_not_authorized());
    assert!(env.auth.pending_sign_in().is_none());
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn sms_only_mfa_setup_and_device_challenges_are_typed_errors() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    // SMS cannot be set up during a sign-in (it needs a verified phone number first).
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| {
            Ok(challenge(
                "MFA_SETUP",
                &[("MFAS_CAN_SETUP", r#"["SMS_MFA"]"#)],
            ))
        });
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(challenge("DEVICE_SRP_AUTH", &[])));
    m.expect_respond_to_auth_challenge().never();
    m.expect_associate_software_token().never();
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    assert!(matches!(
        env.auth.sign_in(TYPED, "Pa55word!").await,
        Err(Error::UnsupportedOperation { .. })
    ));
    assert!(env.auth.pending_sign_in().is_none());
    assert!(matches!(
        env.auth.confirm_sign_in("x").await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        env.auth.sign_in(TYPED, "Pa55word!").await,
        Err(Error::UnsupportedOperation { .. })
    ));
}

#[tokio::test]
async fn a_new_sign_in_replaces_the_previous_user() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(answer(&Tok::default())));
    m.expect_initiate_auth()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| {
            let other = serde_json::json!({
                "token_use": "access", "username": "grace", "iat": T0, "exp": T0 + HOUR,
            });
            let id = serde_json::json!({
                "token_use": "id", "cognito:username": "grace", "iat": T0, "exp": T0 + HOUR,
            });
            Ok(AuthOutcome::Tokens(
                AuthTokens::new(unsigned_jwt(&id).into(), unsigned_jwt(&other).into())
                    .with_refresh_token("grace-refresh".into()),
            ))
        });
    let env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    env.auth.sign_in("grace", "Pa55word!").await.unwrap();
    let keys = env.keys();
    assert_eq!(
        env.stored(&keys.last_auth_user()).await.as_deref(),
        Some("grace")
    );
    assert_eq!(
        env.stored_user_key("idToken").await,
        None,
        "old user's keys removed"
    );
    assert_eq!(
        env.stored(&keys.user("grace").refresh_token())
            .await
            .as_deref(),
        Some("grace-refresh")
    );
}
