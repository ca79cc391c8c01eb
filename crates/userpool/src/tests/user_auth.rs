//! Choice-based sign-in (`USER_AUTH`) and the sign-in right after a confirmed sign-up.

use userpool_srp::SrpServer;
use userpool_transport::{
    ChallengeRequest, ConfirmSignUpRequest, ConfirmSignUpResult, FirstFactor, SignUpRequest,
};
use userpool_types::{AuthFactor, DeliveryMedium, NextStep, SignUpResult};

use super::*;
use crate::{AuthFlow, ConfirmSignUpOutcome, SignInOptions, SignInResult, SignUpOptions};

const PASSWORD: &str = "Pa55word!";

fn select_challenge(offered: &[&str]) -> AuthOutcome {
    AuthOutcome::Challenge(
        Challenge::new(ChallengeName::SelectChallenge)
            .with_session(Some(SecretString::from("session-of-SELECT_CHALLENGE")))
            .with_parameter("USERNAME", USER_ID)
            .with_available_challenges(
                offered
                    .iter()
                    .map(|name| ChallengeName::from_name(name))
                    .collect(),
            ),
    )
}

fn email_otp() -> AuthOutcome {
    challenge(
        "EMAIL_OTP",
        &[
            ("USERNAME", USER_ID),
            ("CODE_DELIVERY_DELIVERY_MEDIUM", "EMAIL"),
            ("CODE_DELIVERY_DESTINATION", "a***@e***"),
        ],
    )
}

fn sms_otp() -> AuthOutcome {
    challenge(
        "SMS_OTP",
        &[
            ("USERNAME", USER_ID),
            ("CODE_DELIVERY_DELIVERY_MEDIUM", "SMS"),
            ("CODE_DELIVERY_DESTINATION", "+*******1234"),
        ],
    )
}

fn is_user_auth(
    req: &InitiateAuth,
    wanted: impl Fn(&Option<FirstFactor>, &Option<SecretString>) -> bool,
) -> bool {
    match req {
        InitiateAuth::UserAuth {
            username,
            preferred,
            session,
            ..
        } => username.as_str() == TYPED && wanted(preferred, session),
        _ => false,
    }
}

fn session_is(request: &ChallengeRequest, session: &str) -> bool {
    request.session.as_ref().map(SecretString::expose) == Some(session)
        && request.username.as_str() == USER_ID
}

/// The `PASSWORD_VERIFIER` challenge `pool` answers an `SRP_A` with (the SELECT_CHALLENGE
/// and PREFERRED_CHALLENGE forms carry the client's value outside `USER_SRP_AUTH`).
fn srp_challenge(pool: &SrpPool, srp_a: &str) -> AuthOutcome {
    let server = SrpServer::new(&pool.verifier).unwrap();
    let b = server.srp_b_hex().to_owned();
    let salt = server.salt_hex();
    *pool.attempt.lock().unwrap() = Some((srp_a.to_owned(), server));
    challenge(
        "PASSWORD_VERIFIER",
        &[
            ("SRP_B", &b),
            ("SALT", &salt),
            ("SECRET_BLOCK", pool.secret_block),
            ("USER_ID_FOR_SRP", USER_ID),
            ("USERNAME", USER_ID),
        ],
    )
}

fn expect_tokens_for(
    m: &mut MockTransport,
    wanted: impl Fn(&ChallengeRequest) -> bool + Send + 'static,
) {
    m.expect_respond_to_auth_challenge()
        .withf(move |r| wanted(r))
        .times(1)
        .returning(|_| Ok(answer(&Tok::default())));
}

// ---------------------------------------------------------------- preferred factors

#[tokio::test]
async fn a_preferred_email_code_is_asked_for_and_answered_with_confirm_sign_in() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| {
            is_user_auth(req, |preferred, session| {
                *preferred == Some(FirstFactor::EmailOtp) && session.is_none()
            })
        })
        .times(1)
        .returning(|_, _| Ok(email_otp()));
    expect_tokens_for(&mut m, |r| {
        matches!(&r.response, ChallengeResponse::EmailOtp { code } if code.expose() == "123456")
            && session_is(r, "session-of-EMAIL_OTP")
    });
    let mut env = env(m);
    let options = SignInOptions::default().preferred_challenge(AuthFactor::EmailOtp);
    let result = env
        .auth
        .sign_in_without_password(TYPED, options)
        .await
        .unwrap();
    let Some(NextStep::EmailCode { delivery }) = result.next_step() else {
        panic!("not an email code step: {result:?}");
    };
    assert_eq!(delivery.medium, Some(DeliveryMedium::Email));
    assert_eq!(delivery.destination.as_deref(), Some("a***@e***"));
    assert!(
        env.auth.current_session().await.is_err(),
        "not signed in yet"
    );
    assert!(
        env.auth
            .confirm_sign_in("123456")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert!(env.auth.current_session().await.is_ok());
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn a_first_factor_sms_code_is_answered_as_sms_otp_not_as_sms_mfa() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| is_user_auth(req, |preferred, _| *preferred == Some(FirstFactor::SmsOtp)))
        .times(1)
        .returning(|_, _| Ok(sms_otp()));
    expect_tokens_for(&mut m, |r| {
        matches!(&r.response, ChallengeResponse::SmsOtp { code } if code.expose() == "654321")
            && session_is(r, "session-of-SMS_OTP")
    });
    let mut env = env(m);
    let options = SignInOptions::default().preferred_challenge(AuthFactor::SmsOtp);
    let result = env
        .auth
        .sign_in_without_password(TYPED, options)
        .await
        .unwrap();
    let Some(NextStep::SmsCode { delivery }) = result.next_step() else {
        panic!("not an SMS code step: {result:?}");
    };
    assert_eq!(delivery.destination.as_deref(), Some("+*******1234"));
    assert!(
        env.auth
            .confirm_sign_in("654321")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn the_password_factor_is_proven_by_srp_by_default() {
    let pool = SrpPool::new(PASSWORD);
    let mut m = mock();
    let server = pool.clone();
    m.expect_initiate_auth()
        .withf(|req, _| {
            is_user_auth(req, |preferred, _| {
                matches!(preferred, Some(FirstFactor::PasswordSrp { srp_a }) if !srp_a.is_empty())
            })
        })
        .times(1)
        .returning(move |req, _| {
            let InitiateAuth::UserAuth {
                preferred: Some(FirstFactor::PasswordSrp { srp_a }),
                ..
            } = req
            else {
                unreachable!()
            };
            Ok(srp_challenge(&server, &srp_a))
        });
    let server = pool.clone();
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(a.response, ChallengeResponse::PasswordVerifier { .. }))
        .times(1)
        .returning(move |a| server.verify(&a, answer(&Tok::default())));
    let mut env = env(m);
    // A given password with no preference prefers the password.
    let options = SignInOptions::default().auth_flow(AuthFlow::UserAuth);
    let result = env
        .auth
        .sign_in_with(TYPED, PASSWORD, options)
        .await
        .unwrap();
    assert!(result.is_signed_in(), "{result:?}");
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn a_wrong_password_by_srp_fails_the_sign_in() {
    let pool = SrpPool::new("another-password");
    let mut m = mock();
    let server = pool.clone();
    m.expect_initiate_auth()
        .times(1)
        .returning(move |req, _| match req {
            InitiateAuth::UserAuth {
                preferred: Some(FirstFactor::PasswordSrp { srp_a }),
                ..
            } => Ok(srp_challenge(&server, &srp_a)),
            other => panic!("unexpected {other:?}"),
        });
    let server = pool.clone();
    m.expect_respond_to_auth_challenge()
        .times(1)
        .returning(move |a| server.verify(&a, answer(&Tok::default())));
    let mut env = env(m);
    let options = SignInOptions::default().preferred_challenge(AuthFactor::Password);
    let err = env
        .auth
        .sign_in_with(TYPED, PASSWORD, options)
        .await
        .unwrap_err();
    assert!(err.is_not_authorized(), "{err:?}");
    assert_eq!(env.event_names().await, ["signIn_failure"]);
    assert!(env.auth.pending_sign_in().is_none());
}

#[tokio::test]
async fn the_password_factor_sends_the_password_when_the_client_flow_does() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| {
            is_user_auth(req, |preferred, _| {
                matches!(preferred, Some(FirstFactor::Password { password }) if password.expose() == PASSWORD)
            })
        })
        .times(1)
        .returning(|_, _| Ok(answer(&Tok::default())));
    let mut env = env_with(m, MemoryStore::new(), |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    let options = SignInOptions::default().preferred_challenge(AuthFactor::Password);
    let result = env
        .auth
        .sign_in_with(TYPED, PASSWORD, options)
        .await
        .unwrap();
    assert!(result.is_signed_in());
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn the_password_factor_without_a_password_and_passkeys_send_nothing() {
    // No expectation: any call fails the test.
    let mut env = env(mock());
    let err = env
        .auth
        .sign_in_without_password(
            TYPED,
            SignInOptions::default().preferred_challenge(AuthFactor::Password),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "password",
                ..
            }
        ),
        "{err:?}"
    );
    for sign_in in [
        env.auth
            .sign_in_without_password(
                TYPED,
                SignInOptions::default().preferred_challenge(AuthFactor::WebAuthn),
            )
            .await,
        env.auth
            .sign_in_with(
                TYPED,
                PASSWORD,
                SignInOptions::default().preferred_challenge(AuthFactor::WebAuthn),
            )
            .await,
    ] {
        let err = sign_in.unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedOperation { message } if message.contains("WEB_AUTHN")),
            "{err:?}"
        );
    }
    assert_eq!(
        env.event_names().await,
        ["signIn_failure", "signIn_failure", "signIn_failure"]
    );
}

// ---------------------------------------------------------------- the selection

fn expect_selection(m: &mut MockTransport, offered: &'static [&'static str]) {
    m.expect_initiate_auth()
        .withf(|req, _| {
            is_user_auth(req, |preferred, session| {
                preferred.is_none() && session.is_none()
            })
        })
        .times(1)
        .returning(move |_, _| Ok(select_challenge(offered)));
}

#[tokio::test]
async fn the_selection_lists_what_is_offered_and_a_code_factor_is_sent() {
    let mut m = mock();
    expect_selection(
        &mut m,
        &[
            "PASSWORD",
            "PASSWORD_SRP",
            "EMAIL_OTP",
            "WEB_AUTHN",
            "PUSH_OTP",
            "EMAIL_OTP",
        ],
    );
    m.expect_respond_to_auth_challenge()
        .withf(|r| {
            matches!(
                r.response,
                ChallengeResponse::SelectChallenge {
                    answer: FirstFactor::EmailOtp
                }
            ) && session_is(r, "session-of-SELECT_CHALLENGE")
        })
        .times(1)
        .returning(|_| Ok(email_otp()));
    expect_tokens_for(&mut m, |r| {
        matches!(&r.response, ChallengeResponse::EmailOtp { code } if code.expose() == "111222")
            && session_is(r, "session-of-EMAIL_OTP")
    });
    let mut env = env(m);
    let result = env
        .auth
        .sign_in_without_password(TYPED, SignInOptions::default())
        .await
        .unwrap();
    // Unknown challenges are left out, repeats too; the server's order is kept.
    assert_eq!(
        result.next_step(),
        Some(&NextStep::SelectFirstFactor {
            available_challenges: vec![
                ChallengeName::Password,
                ChallengeName::PasswordSrp,
                ChallengeName::EmailOtp,
                ChallengeName::WebAuthn,
            ]
        })
    );
    // Any case, as for the MFA methods.
    let result = env.auth.confirm_sign_in(" email_otp ").await.unwrap();
    assert!(
        matches!(result.next_step(), Some(NextStep::EmailCode { .. })),
        "{result:?}"
    );
    assert!(
        env.auth
            .confirm_sign_in("111222")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn choosing_the_password_asks_for_it_then_sends_it_with_the_selection() {
    let mut m = mock();
    expect_selection(&mut m, &["PASSWORD", "EMAIL_OTP"]);
    expect_tokens_for(&mut m, |r| {
        matches!(
            &r.response,
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::Password { password }
            } if password.expose() == PASSWORD
        ) && session_is(r, "session-of-SELECT_CHALLENGE")
    });
    let mut env = env(m);
    env.auth
        .sign_in_without_password(TYPED, SignInOptions::default())
        .await
        .unwrap();
    // Nothing is sent for the choice itself (the mock would refuse a call).
    let result = env.auth.confirm_sign_in("PASSWORD").await.unwrap();
    let step = NextStep::Password {
        challenge: ChallengeName::Password,
    };
    assert_eq!(result.next_step(), Some(&step));
    assert_eq!(env.auth.pending_sign_in(), Some(step));
    assert!(
        env.auth
            .confirm_sign_in(PASSWORD)
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn choosing_password_srp_proves_the_password_after_the_selection() {
    let pool = SrpPool::new(PASSWORD);
    let mut m = mock();
    expect_selection(&mut m, &["PASSWORD", "PASSWORD_SRP"]);
    let server = pool.clone();
    m.expect_respond_to_auth_challenge()
        .withf(|r| {
            matches!(
                &r.response,
                ChallengeResponse::SelectChallenge {
                    answer: FirstFactor::PasswordSrp { srp_a }
                } if !srp_a.is_empty()
            ) && session_is(r, "session-of-SELECT_CHALLENGE")
        })
        .times(1)
        .returning(move |r| match r.response {
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::PasswordSrp { srp_a },
            } => Ok(srp_challenge(&server, &srp_a)),
            _ => unreachable!(),
        });
    let server = pool.clone();
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(a.response, ChallengeResponse::PasswordVerifier { .. }))
        .times(1)
        .returning(move |a| server.verify(&a, answer(&Tok::default())));
    let mut env = env(m);
    env.auth
        .sign_in_without_password(TYPED, SignInOptions::default())
        .await
        .unwrap();
    let result = env.auth.confirm_sign_in("password_srp").await.unwrap();
    assert_eq!(
        result.next_step(),
        Some(&NextStep::Password {
            challenge: ChallengeName::PasswordSrp
        })
    );
    assert!(
        env.auth
            .confirm_sign_in(PASSWORD)
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn the_selection_refuses_what_is_not_offered_and_stays_pending() {
    let mut m = mock();
    expect_selection(&mut m, &["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]);
    let mut env = env(m);
    env.auth
        .sign_in_without_password(TYPED, SignInOptions::default())
        .await
        .unwrap();
    for wrong in ["SMS_OTP", "hunter2-typed-here", "SMS_MFA"] {
        let err = env.auth.confirm_sign_in(wrong).await.unwrap_err();
        let Error::InvalidInput { field, reason } = &err else {
            panic!("{wrong}: {err:?}");
        };
        assert_eq!(*field, "answer");
        assert!(
            reason.contains("PASSWORD, EMAIL_OTP, WEB_AUTHN"),
            "{reason}"
        );
        assert!(
            !reason.contains(wrong),
            "the answer is not repeated: {reason}"
        );
    }
    // A passkey is offered but not supported here: a typed error, still pending.
    let err = env.auth.confirm_sign_in("WEB_AUTHN").await.unwrap_err();
    assert!(matches!(err, Error::UnsupportedOperation { .. }), "{err:?}");
    assert!(matches!(
        env.auth.pending_sign_in(),
        Some(NextStep::SelectFirstFactor { .. })
    ));
    assert!(env.event_names().await.is_empty());
}

#[tokio::test]
async fn a_selection_without_choices_or_a_passkey_challenge_is_a_typed_error() {
    let mut m = mock();
    let mut answers = vec![
        Ok(AuthOutcome::Challenge(
            Challenge::new(ChallengeName::WebAuthn)
                .with_session(Some(SecretString::from("s")))
                .with_parameter("CREDENTIAL_REQUEST_OPTIONS", "{}"),
        )),
        Ok(select_challenge(&["PUSH_OTP"])),
        Ok(select_challenge(&[])),
    ];
    m.expect_initiate_auth()
        .times(3)
        .returning(move |_, _| answers.pop().unwrap());
    let mut env = env(m);
    let sign_in = || {
        env.auth
            .sign_in_without_password(TYPED, SignInOptions::default())
    };
    let err = sign_in().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MalformedResponse {
                operation: "InitiateAuth",
                ..
            }
        ),
        "{err:?}"
    );
    let err = sign_in().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedOperation { message } if message.contains("PUSH_OTP")),
        "{err:?}"
    );
    let err = sign_in().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedOperation { message } if message.contains("WEB_AUTHN")),
        "{err:?}"
    );
    assert!(env.auth.pending_sign_in().is_none());
    assert_eq!(
        env.event_names().await,
        ["signIn_failure", "signIn_failure", "signIn_failure"]
    );
}

// ---------------------------------------------------------------- auto sign-in

const SIGN_UP_SESSION: &str = "sign-up-session-secret";
const CONFIRM_SESSION: &str = "confirm-sign-up-session-secret";

fn expect_sign_up(m: &mut MockTransport, session: Option<&'static str>) {
    m.expect_sign_up()
        .withf(|r: &SignUpRequest| r.username.as_str() == TYPED)
        .times(1)
        .returning(move |_| {
            Ok(SignUpResult::new(USER_ID, false).with_session(session.map(SecretString::from)))
        });
}

fn expect_confirm_with(m: &mut MockTransport, answered: Option<&'static str>) {
    m.expect_confirm_sign_up_with()
        .withf(|r: &ConfirmSignUpRequest| {
            r.username.as_str() == TYPED
                && r.code.expose() == "123456"
                && r.session.as_ref().map(SecretString::expose) == Some(SIGN_UP_SESSION)
        })
        .times(1)
        .returning(move |_| {
            Ok(ConfirmSignUpResult::new().with_session(answered.map(SecretString::from)))
        });
}

async fn signed_up(env: &mut Env) {
    let result = env
        .auth
        .sign_up(TYPED, PASSWORD, SignUpOptions::default().auto_sign_in(true))
        .await
        .unwrap();
    assert_eq!(
        result.session.as_ref().map(SecretString::expose),
        Some(SIGN_UP_SESSION),
        "the caller gets the answer as it came"
    );
    let events = env.events().await;
    let [AuthEvent::SignUp { result, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert!(result.session.is_none(), "events carry no session");
}

#[tokio::test]
async fn confirming_an_auto_sign_in_sign_up_signs_the_user_in_with_the_confirmation_session() {
    let mut m = mock();
    expect_sign_up(&mut m, Some(SIGN_UP_SESSION));
    expect_confirm_with(&mut m, Some(CONFIRM_SESSION));
    m.expect_initiate_auth()
        .withf(|req, _| {
            is_user_auth(req, |preferred, session| {
                preferred.is_none()
                    && session.as_ref().map(SecretString::expose) == Some(CONFIRM_SESSION)
            })
        })
        .times(1)
        .returning(|_, _| Ok(answer(&Tok::default())));
    let mut env = env(m);
    signed_up(&mut env).await;
    // The kept session is in memory, never in Debug.
    let shown = format!("{:?} {:?}", env.auth, env.auth.inner.auto_sign_in);
    assert!(!shown.contains(SIGN_UP_SESSION), "{shown}");
    let outcome = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap();
    assert!(outcome.is_signed_in(), "{outcome:?}");
    assert!(env.auth.current_session().await.is_ok());
    let events = env.events().await;
    let names: Vec<_> = events.iter().map(AuthEvent::name).collect();
    assert_eq!(names, ["confirmSignUp", "signIn", "autoSignIn"]);
    assert!(
        matches!(&events[2], AuthEvent::AutoSignIn { username } if username.as_str() == USER_ID)
    );
    let shown = format!("{events:?}");
    assert!(!shown.contains(CONFIRM_SESSION) && !shown.contains(SIGN_UP_SESSION));
    // Used once: the next confirmation of the same user is a plain one.
    assert!(
        env.auth
            .inner
            .auto_sign_in
            .kept_for(&Username::new(TYPED).unwrap())
            .is_none()
    );
}

#[tokio::test]
async fn a_failed_auto_sign_in_leaves_the_confirmation_done() {
    let mut m = mock();
    expect_sign_up(&mut m, Some(SIGN_UP_SESSION));
    expect_confirm_with(&mut m, Some(CONFIRM_SESSION));
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Err(service("NotAuthorizedException")));
    let mut env = env(m);
    signed_up(&mut env).await;
    let outcome = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap();
    assert!(!outcome.is_signed_in());
    assert!(
        outcome
            .auto_sign_in_error()
            .is_some_and(Error::is_not_authorized),
        "{outcome:?}"
    );
    assert!(matches!(
        env.auth.current_session().await,
        Err(Error::NotSignedIn)
    ));
    let events = env.events().await;
    let names: Vec<_> = events.iter().map(AuthEvent::name).collect();
    assert_eq!(names, ["confirmSignUp", "autoSignIn_failure"]);
    assert!(events[1].error().is_some_and(Error::is_not_authorized));
}

#[tokio::test]
async fn no_session_to_sign_in_with_is_an_auto_sign_in_failure_without_a_call() {
    let mut m = mock();
    // The app client does not allow USER_AUTH: SignUp and ConfirmSignUp answer no session.
    m.expect_sign_up()
        .times(1)
        .returning(|_| Ok(SignUpResult::new(USER_ID, false)));
    m.expect_confirm_sign_up_with()
        .withf(|r: &ConfirmSignUpRequest| r.session.is_none())
        .times(1)
        .returning(|_| Ok(ConfirmSignUpResult::new()));
    let mut env = env(m);
    env.auth
        .sign_up(TYPED, PASSWORD, SignUpOptions::default().auto_sign_in(true))
        .await
        .unwrap();
    let outcome = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap();
    assert!(
        matches!(
            outcome.auto_sign_in_error(),
            Some(Error::UnsupportedOperation { message }) if message.contains("USER_AUTH")
        ),
        "{outcome:?}"
    );
    assert_eq!(
        env.event_names().await,
        ["signUp", "confirmSignUp", "autoSignIn_failure"]
    );
}

#[tokio::test]
async fn a_wrong_code_keeps_the_sign_up_session_for_the_next_try() {
    let mut m = mock();
    expect_sign_up(&mut m, Some(SIGN_UP_SESSION));
    let mut seq = mockall::Sequence::new();
    m.expect_confirm_sign_up_with()
        .withf(|r: &ConfirmSignUpRequest| r.code.expose() == "000000")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Err(service("CodeMismatchException")));
    m.expect_confirm_sign_up_with()
        .withf(|r: &ConfirmSignUpRequest| {
            r.code.expose() == "123456"
                && r.session.as_ref().map(SecretString::expose) == Some(SIGN_UP_SESSION)
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(ConfirmSignUpResult::new().with_session(Some(SecretString::from(CONFIRM_SESSION))))
        });
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Ok(answer(&Tok::default())));
    let mut env = env(m);
    signed_up(&mut env).await;
    let err = env.auth.confirm_sign_up(TYPED, "000000").await.unwrap_err();
    assert!(matches!(err, Error::CodeMismatch { .. }), "{err:?}");
    assert!(env.event_names().await.is_empty());
    let outcome = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap();
    assert!(outcome.is_signed_in(), "{outcome:?}");
}

#[tokio::test]
async fn without_auto_sign_in_or_for_another_user_the_confirmation_is_plain() {
    let mut m = mock();
    expect_sign_up(&mut m, Some(SIGN_UP_SESSION));
    // No confirm_sign_up_with, no InitiateAuth: only the plain confirmation.
    m.expect_confirm_sign_up()
        .times(2)
        .returning(|_, _, _, _| Ok(()));
    let mut env = env(m);
    signed_up(&mut env).await;
    let outcome = env
        .auth
        .confirm_sign_up("someone-else", "123456")
        .await
        .unwrap();
    assert!(
        matches!(outcome, ConfirmSignUpOutcome::Confirmed),
        "{outcome:?}"
    );
    // A sign-up without the option drops what an earlier one kept.
    let mut m2 = mock();
    m2.expect_sign_up().times(1).returning(|_| {
        Ok(SignUpResult::new(USER_ID, false).with_session(Some(SecretString::from("s"))))
    });
    let env2 = super::env(m2);
    env2.auth
        .inner
        .auto_sign_in
        .arm(Username::new(TYPED).unwrap(), None);
    env2.auth
        .sign_up(TYPED, PASSWORD, SignUpOptions::default())
        .await
        .unwrap();
    assert!(
        env2.auth
            .inner
            .auto_sign_in
            .kept_for(&Username::new(TYPED).unwrap())
            .is_none()
    );
    // And the first client's user, confirmed elsewhere, is confirmed plainly too once
    // another user signed up.
    env.auth.inner.auto_sign_in.disarm();
    let outcome = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap();
    assert!(matches!(outcome, ConfirmSignUpOutcome::Confirmed));
    assert_eq!(env.event_names().await, ["confirmSignUp", "confirmSignUp"]);
}

#[tokio::test]
async fn an_auto_sign_in_that_stops_at_a_step_is_answered_with_confirm_sign_in() {
    let mut m = mock();
    expect_sign_up(&mut m, Some(SIGN_UP_SESSION));
    expect_confirm_with(&mut m, Some(CONFIRM_SESSION));
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Ok(challenge("SOFTWARE_TOKEN_MFA", &[("USERNAME", USER_ID)])));
    expect_tokens_for(&mut m, |r| {
        matches!(&r.response, ChallengeResponse::SoftwareTokenMfa { .. })
            && session_is(r, "session-of-SOFTWARE_TOKEN_MFA")
    });
    let mut env = env(m);
    signed_up(&mut env).await;
    let outcome = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap();
    assert_eq!(
        outcome.next_step(),
        Some(&NextStep::TotpCode),
        "{outcome:?}"
    );
    assert!(matches!(
        &outcome,
        ConfirmSignUpOutcome::AutoSignIn(SignInResult::NextStep(_))
    ));
    // `autoSignIn` is for a signed-in user: none yet.
    assert_eq!(env.event_names().await, ["confirmSignUp"]);
    assert!(
        env.auth
            .confirm_sign_in("123456")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names().await, ["signIn"]);
}

// ---------------------------------------------------------------- the stored device

/// The device stored under the typed name: `InitiateAuth` names it.
const TYPED_DEVICE: &str = "eu-west-1_11111111-2222-4333-8444-555555555555";
/// The device stored under the internal name: every answer names it (the challenge's
/// `USERNAME` is the internal name).
const USER_DEVICE: &str = "eu-west-1_66666666-7777-4888-9999-000000000000";

/// A store with a device under the typed name and another under the internal name, so
/// that each request shows which name it looked the device up under.
async fn store_with_devices() -> MemoryStore {
    let store = MemoryStore::new();
    for (name, device_key) in [(TYPED, TYPED_DEVICE), (USER_ID, USER_DEVICE)] {
        let keys = Keys::new(CLIENT).user(name);
        store
            .set_many(&[
                (keys.device_key().as_str(), device_key),
                (
                    keys.random_password_key().as_str(),
                    "cmFuZG9tLXBhc3N3b3JkLW5vdC11c2VkLWhlcmU=",
                ),
                (keys.device_group_key().as_str(), "-aB3dE5gH"),
            ])
            .await
            .unwrap();
    }
    store
}

fn initiates_with_the_typed_device(req: &InitiateAuth) -> bool {
    matches!(req, InitiateAuth::UserAuth { device_key, .. } if device_key.as_deref() == Some(TYPED_DEVICE))
}

fn names_the_user_device(r: &ChallengeRequest) -> bool {
    r.device_key.as_deref() == Some(USER_DEVICE) && r.username.as_str() == USER_ID
}

#[tokio::test]
async fn a_code_first_factor_names_the_device_in_initiate_auth_and_in_the_code() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| {
            initiates_with_the_typed_device(req)
                && is_user_auth(req, |preferred, _| {
                    matches!(preferred, Some(FirstFactor::EmailOtp))
                })
        })
        .times(1)
        .returning(|_, _| Ok(email_otp()));
    expect_tokens_for(&mut m, |r| {
        matches!(&r.response, ChallengeResponse::EmailOtp { code } if code.expose() == "123456")
            && names_the_user_device(r)
    });
    let env = env_with(m, store_with_devices().await, |b| b);
    let options = SignInOptions::default().preferred_challenge(AuthFactor::EmailOtp);
    env.auth
        .sign_in_without_password(TYPED, options)
        .await
        .unwrap();
    let r = env.auth.confirm_sign_in("123456").await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
}

#[tokio::test]
async fn the_selection_and_the_code_after_it_name_the_device() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| initiates_with_the_typed_device(req))
        .times(1)
        .returning(|_, _| Ok(select_challenge(&["PASSWORD", "EMAIL_OTP"])));
    m.expect_respond_to_auth_challenge()
        .withf(|r| {
            matches!(
                &r.response,
                ChallengeResponse::SelectChallenge {
                    answer: FirstFactor::EmailOtp
                }
            ) && names_the_user_device(r)
        })
        .times(1)
        .returning(|_| Ok(email_otp()));
    expect_tokens_for(&mut m, |r| {
        matches!(&r.response, ChallengeResponse::EmailOtp { .. }) && names_the_user_device(r)
    });
    let env = env_with(m, store_with_devices().await, |b| b);
    env.auth
        .sign_in_without_password(TYPED, SignInOptions::default())
        .await
        .unwrap();
    env.auth.confirm_sign_in("EMAIL_OTP").await.unwrap();
    let r = env.auth.confirm_sign_in("123456").await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
}

#[tokio::test]
async fn choosing_the_password_sends_it_with_the_device() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| initiates_with_the_typed_device(req))
        .times(1)
        .returning(|_, _| Ok(select_challenge(&["PASSWORD"])));
    expect_tokens_for(&mut m, |r| {
        matches!(
            &r.response,
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::Password { password }
            } if password.expose() == PASSWORD
        ) && names_the_user_device(r)
    });
    let env = env_with(m, store_with_devices().await, |b| b);
    env.auth
        .sign_in_without_password(TYPED, SignInOptions::default())
        .await
        .unwrap();
    env.auth.confirm_sign_in("PASSWORD").await.unwrap();
    let r = env.auth.confirm_sign_in(PASSWORD).await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
}

#[tokio::test]
async fn the_preferred_password_names_the_device_in_initiate_auth() {
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| {
            initiates_with_the_typed_device(req)
                && is_user_auth(req, |preferred, _| {
                    matches!(preferred, Some(FirstFactor::Password { .. }))
                })
        })
        .times(1)
        .returning(|_, _| Ok(answer(&Tok::default())));
    let env = env_with(m, store_with_devices().await, |b| {
        b.auth_flow(AuthFlow::UserPassword)
    });
    let options = SignInOptions::default().auth_flow(AuthFlow::UserAuth);
    let r = env
        .auth
        .sign_in_with(TYPED, PASSWORD, options)
        .await
        .unwrap();
    assert!(r.is_signed_in(), "{r:?}");
}

#[tokio::test]
async fn password_srp_names_the_device_in_initiate_auth_and_in_the_proof() {
    let pool = SrpPool::new(PASSWORD);
    let mut m = mock();
    let server = pool.clone();
    m.expect_initiate_auth()
        .withf(|req, _| initiates_with_the_typed_device(req))
        .times(1)
        .returning(move |req, _| match req {
            InitiateAuth::UserAuth {
                preferred: Some(FirstFactor::PasswordSrp { srp_a }),
                ..
            } => Ok(srp_challenge(&server, &srp_a)),
            other => panic!("unexpected {other:?}"),
        });
    let server = pool.clone();
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            matches!(a.response, ChallengeResponse::PasswordVerifier { .. })
                && names_the_user_device(a)
        })
        .times(1)
        .returning(move |a| server.verify(&a, answer(&Tok::default())));
    let env = env_with(m, store_with_devices().await, |b| b);
    let options = SignInOptions::default().auth_flow(AuthFlow::UserAuth);
    let r = env
        .auth
        .sign_in_with(TYPED, PASSWORD, options)
        .await
        .unwrap();
    assert!(r.is_signed_in(), "{r:?}");
}

#[tokio::test]
async fn choosing_password_srp_names_the_device_in_the_selection_and_the_proof() {
    let pool = SrpPool::new(PASSWORD);
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| initiates_with_the_typed_device(req))
        .times(1)
        .returning(|_, _| Ok(select_challenge(&["PASSWORD_SRP"])));
    let server = pool.clone();
    m.expect_respond_to_auth_challenge()
        .withf(|r| {
            matches!(
                &r.response,
                ChallengeResponse::SelectChallenge {
                    answer: FirstFactor::PasswordSrp { .. }
                }
            ) && names_the_user_device(r)
        })
        .times(1)
        .returning(move |r| match r.response {
            ChallengeResponse::SelectChallenge {
                answer: FirstFactor::PasswordSrp { srp_a },
            } => Ok(srp_challenge(&server, &srp_a)),
            _ => unreachable!(),
        });
    let server = pool.clone();
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            matches!(a.response, ChallengeResponse::PasswordVerifier { .. })
                && names_the_user_device(a)
        })
        .times(1)
        .returning(move |a| server.verify(&a, answer(&Tok::default())));
    let env = env_with(m, store_with_devices().await, |b| b);
    env.auth
        .sign_in_without_password(TYPED, SignInOptions::default())
        .await
        .unwrap();
    env.auth.confirm_sign_in("PASSWORD_SRP").await.unwrap();
    let r = env.auth.confirm_sign_in(PASSWORD).await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
}

#[tokio::test]
async fn the_sign_in_after_sign_up_names_no_stored_device() {
    // The account is new: a device stored under its name is an earlier account's.
    let mut m = mock();
    expect_sign_up(&mut m, Some(SIGN_UP_SESSION));
    expect_confirm_with(&mut m, Some(CONFIRM_SESSION));
    m.expect_initiate_auth()
        .withf(|req, _| {
            matches!(
                req,
                InitiateAuth::UserAuth {
                    device_key: None,
                    session: Some(_),
                    ..
                }
            )
        })
        .times(1)
        .returning(|_, _| Ok(answer(&Tok::default())));
    let mut env = env_with(m, store_with_devices().await, |b| b);
    signed_up(&mut env).await;
    let outcome = env.auth.confirm_sign_up(TYPED, "123456").await.unwrap();
    assert!(outcome.is_signed_in(), "{outcome:?}");
}
