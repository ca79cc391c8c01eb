//! MFA: every MFA step of a sign-in (SRP and password flows, with and without a client
//! secret), choosing a method, setting one up during a sign-in, and the signed-in user's
//! TOTP enrolment and MFA preferences.
//!
//! `SECRET_HASH` itself is computed by the transport, from the username of each request
//! (checked over HTTP in userpool-transport-sdk's `mfa_http` tests); here the username
//! every answer carries is checked to be the challenge's `USERNAME`.

use userpool_transport::{AssociatedSoftwareToken, ChallengeRequest, SoftwareTokenAuth};
use userpool_types::{
    AuthFlow, DeliveryMedium, MfaPreference, MfaPreferenceUpdate, MfaSettings, MfaType, NextStep,
};

use super::*;
use crate::{ConfirmSignInOptions, SignInResult};

const SECRET_CODE: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The challenge `name` as Cognito sends it after the password, with its delivery
/// details where it has some.
fn mfa_challenge(name: &str) -> AuthOutcome {
    match name {
        "SMS_MFA" => challenge(
            name,
            &[
                ("CODE_DELIVERY_DESTINATION", "+*******0199"),
                ("CODE_DELIVERY_DELIVERY_MEDIUM", "SMS"),
                ("USERNAME", USER_ID),
            ],
        ),
        "EMAIL_OTP" => challenge(
            name,
            &[
                ("CODE_DELIVERY_DESTINATION", "a***@e***.com"),
                ("CODE_DELIVERY_DELIVERY_MEDIUM", "EMAIL"),
                ("USERNAME", USER_ID),
            ],
        ),
        _ => challenge(name, &[("USERNAME", USER_ID)]),
    }
}

/// The code of the answer, when it answers the MFA challenge `name`.
fn answered_code<'a>(name: &str, answer: &'a ChallengeRequest) -> Option<&'a str> {
    match (name, &answer.response) {
        ("SMS_MFA", ChallengeResponse::SmsMfa { code })
        | ("SOFTWARE_TOKEN_MFA", ChallengeResponse::SoftwareTokenMfa { code })
        | ("EMAIL_OTP", ChallengeResponse::EmailOtp { code }) => Some(code.expose()),
        _ => None,
    }
}

fn session_of(answer: &ChallengeRequest) -> Option<&str> {
    answer.session.as_ref().map(SecretString::expose)
}

/// A mock whose password sign-in (by `flow`) ends with `then`.
fn mock_sign_in(flow: AuthFlow, secret: bool, then: AuthOutcome) -> MockTransport {
    let mut m = mock();
    m.expect_has_client_secret().return_const(secret);
    match flow {
        AuthFlow::UserSrp => SrpPool::new("Pa55word!").expect_sign_in(&mut m, then),
        _ => {
            m.expect_initiate_auth()
                .withf(|req, _| matches!(req, InitiateAuth::UserPassword { .. }))
                .times(1)
                .returning(move |_, _| Ok(then.clone()));
        }
    }
    m
}

fn env_for(m: MockTransport, flow: AuthFlow, secret: bool) -> Env {
    env_with(m, MemoryStore::new(), move |b| {
        let b = b.auth_flow(flow);
        if secret {
            b.client_secret("cl13nt-s3cr3t")
        } else {
            b
        }
    })
}

#[tokio::test]
async fn every_mfa_code_step_in_both_flows_with_and_without_a_secret() {
    for flow in [AuthFlow::UserSrp, AuthFlow::UserPassword] {
        for secret in [false, true] {
            for name in ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"] {
                let case = format!("{name} {flow:?} secret={secret}");
                let mut m = mock_sign_in(flow, secret, mfa_challenge(name));
                let mut seq = mockall::Sequence::new();
                let session = format!("session-of-{name}");
                let expected_session = session.clone();
                m.expect_respond_to_auth_challenge()
                    .withf(move |a| {
                        answered_code(name, a) == Some("000000")
                            && a.username.as_str() == USER_ID
                            && session_of(a) == Some(expected_session.as_str())
                    })
                    .times(1)
                    .in_sequence(&mut seq)
                    .returning(|_| Err(service("CodeMismatchException")));
                // The same session again: Cognito gives no new one after a wrong code.
                m.expect_respond_to_auth_challenge()
                    .withf(move |a| {
                        answered_code(name, a) == Some("246810")
                            && a.username.as_str() == USER_ID
                            && session_of(a) == Some(session.as_str())
                    })
                    .times(1)
                    .in_sequence(&mut seq)
                    .returning(|_| Ok(answer(&Tok::default())));
                let mut env = env_for(m, flow, secret);

                let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
                let step = r.next_step().cloned().unwrap();
                match (name, &step) {
                    ("SMS_MFA", NextStep::SmsCode { delivery }) => {
                        assert_eq!(delivery.destination.as_deref(), Some("+*******0199"));
                        assert_eq!(delivery.medium, Some(DeliveryMedium::Sms));
                    }
                    ("EMAIL_OTP", NextStep::EmailCode { delivery }) => {
                        assert_eq!(delivery.destination.as_deref(), Some("a***@e***.com"));
                        assert_eq!(delivery.medium, Some(DeliveryMedium::Email));
                        assert_eq!(delivery.attribute_name.as_deref(), Some("email"));
                    }
                    ("SOFTWARE_TOKEN_MFA", NextStep::TotpCode) => {}
                    other => panic!("{case}: unexpected {other:?}"),
                }
                assert_eq!(step.challenge().as_str(), name);

                let err = env.auth.confirm_sign_in("000000").await.unwrap_err();
                assert!(matches!(err, Error::CodeMismatch { .. }), "{case}: {err:?}");
                assert_eq!(env.auth.pending_sign_in(), Some(step), "{case}");
                assert!(matches!(
                    env.auth.current_session().await,
                    Err(Error::SignInPending { .. })
                ));

                let r = env.auth.confirm_sign_in("246810").await.unwrap();
                assert!(r.is_signed_in(), "{case}");
                assert!(env.auth.pending_sign_in().is_none());
                assert!(env.auth.current_session().await.is_ok());
                assert_eq!(env.event_names().await, ["signIn"], "{case}");
            }
        }
    }
}

#[tokio::test]
async fn select_mfa_type_then_the_chosen_method() {
    for flow in [AuthFlow::UserSrp, AuthFlow::UserPassword] {
        let mut m = mock_sign_in(
            flow,
            true,
            challenge(
                "SELECT_MFA_TYPE",
                &[
                    (
                        "MFAS_CAN_CHOOSE",
                        r#"["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]"#,
                    ),
                    ("USERNAME", USER_ID),
                ],
            ),
        );
        let mut seq = mockall::Sequence::new();
        m.expect_respond_to_auth_challenge()
            .withf(|a| {
                matches!(&a.response, ChallengeResponse::SelectMfaType { answer } if answer == "EMAIL_OTP")
                    && a.username.as_str() == USER_ID
                    && session_of(a) == Some("session-of-SELECT_MFA_TYPE")
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(mfa_challenge("EMAIL_OTP")));
        m.expect_respond_to_auth_challenge()
            .withf(|a| {
                answered_code("EMAIL_OTP", a) == Some("87654321")
                    && session_of(a) == Some("session-of-EMAIL_OTP")
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(answer(&Tok::default())));
        let mut env = env_for(m, flow, true);

        let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
        assert_eq!(
            r.next_step(),
            Some(&NextStep::SelectMfaType {
                options: vec![MfaType::Sms, MfaType::Totp, MfaType::Email]
            })
        );
        // Not a method, or a code typed too early: refused before sending, still pending.
        for wrong in ["PUSH", "123456"] {
            let err = env.auth.confirm_sign_in(wrong).await.unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput { field: "answer", reason } if !reason.contains(wrong)),
                "{err:?}"
            );
        }
        let r = env.auth.confirm_sign_in("email").await.unwrap();
        assert!(matches!(r.next_step(), Some(NextStep::EmailCode { .. })));
        assert!(
            env.auth
                .confirm_sign_in("87654321")
                .await
                .unwrap()
                .is_signed_in()
        );
        assert_eq!(env.event_names().await, ["signIn"]);
    }
}

#[tokio::test]
async fn a_method_that_was_not_offered_is_refused_before_sending() {
    let mut m = mock_sign_in(
        AuthFlow::UserPassword,
        false,
        challenge(
            "SELECT_MFA_TYPE",
            &[("MFAS_CAN_CHOOSE", r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#)],
        ),
    );
    m.expect_respond_to_auth_challenge()
        .withf(|a| matches!(&a.response, ChallengeResponse::SelectMfaType { answer } if answer == "SMS_MFA"))
        .times(1)
        .returning(|_| Ok(mfa_challenge("SMS_MFA")));
    let env = env_for(m, AuthFlow::UserPassword, false);
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    let err = env.auth.confirm_sign_in("EMAIL").await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { reason, .. } if reason.contains("SMS, TOTP")),
        "{err:?}"
    );
    let r = env.auth.confirm_sign_in("SMS_MFA").await.unwrap();
    assert!(matches!(r.next_step(), Some(NextStep::SmsCode { .. })));
}

/// MFA_SETUP for an authenticator app, wired into `m` after the password: the
/// association with the challenge's session, a wrong code, then a right one whose
/// `RespondToAuthChallenge` fails once on the network before it succeeds.
fn expect_totp_setup(m: &mut MockTransport) {
    m.expect_associate_software_token()
        .withf(|auth| {
            matches!(auth, SoftwareTokenAuth::Session(s) if s.expose() == "session-of-MFA_SETUP")
        })
        .times(1)
        .returning(|_| {
            Ok(
                AssociatedSoftwareToken::new(SecretString::from(SECRET_CODE))
                    .with_session(Some(SecretString::from("session-after-associate"))),
            )
        });
    let mut verify = mockall::Sequence::new();
    m.expect_verify_software_token()
        .withf(|auth, code, name| {
            matches!(auth, SoftwareTokenAuth::Session(s) if s.expose() == "session-after-associate")
                && code.expose() == "000000"
                && name.as_deref() == Some("Ada's phone")
        })
        .times(1)
        .in_sequence(&mut verify)
        .returning(|_, _, _| Err(service("EnableSoftwareTokenMFAException")));
    m.expect_verify_software_token()
        .withf(|auth, code, name| {
            matches!(auth, SoftwareTokenAuth::Session(s) if s.expose() == "session-after-associate")
                && code.expose() == "135790"
                && name.is_none()
        })
        .times(1)
        .in_sequence(&mut verify)
        .returning(|_, _, _| Ok(Some(SecretString::from("session-after-verify"))));
    let mut respond = mockall::Sequence::new();
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            a.response == ChallengeResponse::MfaSetup { email: None }
                && a.username.as_str() == USER_ID
                && session_of(a) == Some("session-after-verify")
        })
        .times(1)
        .in_sequence(&mut respond)
        .returning(|_| Err(Error::network("the connection was reset", None)));
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            a.response == ChallengeResponse::MfaSetup { email: None }
                && session_of(a) == Some("session-after-verify")
        })
        .times(1)
        .in_sequence(&mut respond)
        .returning(|_| Ok(answer(&Tok::default())));
}

#[tokio::test]
async fn mfa_setup_of_an_authenticator_app_during_the_sign_in() {
    for (flow, secret) in [(AuthFlow::UserSrp, true), (AuthFlow::UserPassword, false)] {
        let mut m = mock_sign_in(
            flow,
            secret,
            challenge(
                "MFA_SETUP",
                &[
                    ("MFAS_CAN_SETUP", r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#),
                    ("USERNAME", USER_ID),
                ],
            ),
        );
        expect_totp_setup(&mut m);
        let mut env = env_for(m, flow, secret);

        let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
        let Some(NextStep::TotpSetup { setup }) = r.next_step() else {
            panic!("not a TOTP setup: {r:?}");
        };
        assert_eq!(setup.shared_secret().expose(), SECRET_CODE);
        assert_eq!(setup.username().as_str(), USER_ID);
        assert_eq!(
            setup.setup_uri("Acme Corp", Some(TYPED)).expose(),
            format!(
                "otpauth://totp/Acme%20Corp:ada%40example.com?secret={SECRET_CODE}&issuer=Acme%20Corp"
            )
        );
        assert!(!format!("{r:?} {:?}", env.auth).contains(SECRET_CODE));

        // A wrong code: typed, still pending, the same step (same secret).
        let err = env
            .auth
            .confirm_sign_in_with(
                "000000",
                ConfirmSignInOptions::default().friendly_device_name("Ada's phone"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::EnableSoftwareTokenMfa { .. }),
            "{err:?}"
        );
        assert_eq!(env.auth.pending_sign_in().as_ref(), r.next_step());

        // The right code is verified; the answer after it fails on the network, and the
        // next attempt goes straight to RespondToAuthChallenge (verify expects 2 calls).
        let err = env.auth.confirm_sign_in("135790").await.unwrap_err();
        assert!(matches!(err, Error::Network { .. }), "{err:?}");
        assert!(env.auth.pending_sign_in().is_some());
        let r = env.auth.confirm_sign_in("135790").await.unwrap();
        assert_eq!(r, SignInResult::SignedIn);
        assert_eq!(env.event_names().await, ["signIn"]);
    }
}

#[tokio::test]
async fn an_expired_session_during_the_totp_setup_ends_the_sign_in() {
    let mut m = mock_sign_in(
        AuthFlow::UserPassword,
        false,
        challenge(
            "MFA_SETUP",
            &[("MFAS_CAN_SETUP", r#"["SOFTWARE_TOKEN_MFA"]"#)],
        ),
    );
    m.expect_associate_software_token().times(1).returning(|_| {
        Ok(AssociatedSoftwareToken::new(SecretString::from(
            SECRET_CODE,
        )))
    });
    m.expect_verify_software_token()
        .withf(|auth, _, _| {
            // No new session from AssociateSoftwareToken: the challenge's is used.
            matches!(auth, SoftwareTokenAuth::Session(s) if s.expose() == "session-of-MFA_SETUP")
        })
        .times(1)
        .returning(|_, _, _| Err(service("NotAuthorizedException")));
    m.expect_respond_to_auth_challenge().never();
    let env = env_for(m, AuthFlow::UserPassword, false);
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    let err = env.auth.confirm_sign_in("123456").await.unwrap_err();
    assert!(err.is_not_authorized());
    assert!(env.auth.pending_sign_in().is_none());
}

#[tokio::test]
async fn mfa_setup_selection_then_email_setup_then_the_emailed_code() {
    let mut m = mock_sign_in(
        AuthFlow::UserSrp,
        true,
        challenge(
            "MFA_SETUP",
            &[
                (
                    "MFAS_CAN_SETUP",
                    r#"["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]"#,
                ),
                ("USERNAME", USER_ID),
            ],
        ),
    );
    m.expect_associate_software_token().never();
    let mut seq = mockall::Sequence::new();
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            a.response
                == ChallengeResponse::MfaSetup {
                    email: Some("ada@example.com".into()),
                }
                && a.username.as_str() == USER_ID
                && session_of(a) == Some("session-of-MFA_SETUP")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(mfa_challenge("EMAIL_OTP")));
    m.expect_respond_to_auth_challenge()
        .withf(|a| answered_code("EMAIL_OTP", a) == Some("11223344"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(answer(&Tok::default())));
    let mut env = env_for(m, AuthFlow::UserSrp, true);

    let r = env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    assert_eq!(
        r.next_step(),
        Some(&NextStep::MfaSetupSelection {
            options: vec![MfaType::Totp, MfaType::Email]
        })
    );
    // SMS is not offered for a setup during a sign-in.
    assert!(matches!(
        env.auth.confirm_sign_in("SMS").await,
        Err(Error::InvalidInput { .. })
    ));
    // Choosing email asks nothing of Cognito yet.
    let r = env.auth.confirm_sign_in("EMAIL").await.unwrap();
    assert_eq!(r.next_step(), Some(&NextStep::EmailSetup));
    assert_eq!(env.auth.pending_sign_in(), Some(NextStep::EmailSetup));
    assert!(matches!(
        env.auth.confirm_sign_in("123456").await,
        Err(Error::InvalidInput {
            field: "answer",
            ..
        })
    ));
    let r = env.auth.confirm_sign_in(" ada@example.com ").await.unwrap();
    assert!(matches!(r.next_step(), Some(NextStep::EmailCode { .. })));
    assert!(
        env.auth
            .confirm_sign_in("11223344")
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names().await, ["signIn"]);
}

#[tokio::test]
async fn mfa_setup_selection_of_totp_associates_with_the_challenge_session() {
    let mut m = mock_sign_in(
        AuthFlow::UserPassword,
        false,
        challenge(
            "MFA_SETUP",
            &[("MFAS_CAN_SETUP", r#"["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]"#)],
        ),
    );
    m.expect_associate_software_token()
        .withf(|auth| {
            matches!(auth, SoftwareTokenAuth::Session(s) if s.expose() == "session-of-MFA_SETUP")
        })
        .times(1)
        .returning(|_| {
            Ok(
                AssociatedSoftwareToken::new(SecretString::from(SECRET_CODE))
                    .with_session(Some(SecretString::from("session-after-associate"))),
            )
        });
    m.expect_verify_software_token()
        .withf(|auth, code, _| {
            matches!(auth, SoftwareTokenAuth::Session(s) if s.expose() == "session-after-associate")
                && code.expose() == "135790"
        })
        .times(1)
        .returning(|_, _, _| Ok(Some(SecretString::from("session-after-verify"))));
    m.expect_respond_to_auth_challenge()
        .withf(|a| session_of(a) == Some("session-after-verify"))
        .times(1)
        .returning(|_| Ok(answer(&Tok::default())));
    let env = env_for(m, AuthFlow::UserPassword, false);
    env.auth.sign_in(TYPED, "Pa55word!").await.unwrap();
    let r = env.auth.confirm_sign_in("totp").await.unwrap();
    assert!(
        matches!(r.next_step(), Some(NextStep::TotpSetup { setup }) if setup.shared_secret().expose() == SECRET_CODE)
    );
    assert!(
        env.auth
            .confirm_sign_in("135790")
            .await
            .unwrap()
            .is_signed_in()
    );
}

// ---------------------------------------------------------------- signed-in user

fn access_token_is(auth: &SoftwareTokenAuth) -> bool {
    matches!(auth, SoftwareTokenAuth::AccessToken(t) if t.expose() == access_jwt(&Tok::default()))
}

#[tokio::test]
async fn set_up_totp_and_verify_it_with_the_access_token() {
    let mut m = mock();
    m.expect_associate_software_token()
        .withf(access_token_is)
        .times(1)
        .returning(|_| {
            Ok(AssociatedSoftwareToken::new(SecretString::from(
                SECRET_CODE,
            )))
        });
    let mut seq = mockall::Sequence::new();
    m.expect_verify_software_token()
        .withf(|auth, code, name| {
            access_token_is(auth) && code.expose() == "000000" && name.as_deref() == Some("phone")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(service("CodeMismatchException")));
    m.expect_verify_software_token()
        .withf(|auth, code, name| {
            access_token_is(auth) && code.expose() == "135790" && name.is_none()
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(None));
    let env = signed_in(m, Tok::default()).await;

    let setup = env.auth.set_up_totp().await.unwrap();
    assert_eq!(setup.shared_secret().expose(), SECRET_CODE);
    assert_eq!(setup.username().as_str(), USER_ID);
    assert_eq!(
        setup.setup_uri("Acme", None).expose(),
        format!("otpauth://totp/Acme:{USER_ID}?secret={SECRET_CODE}&issuer=Acme")
    );
    assert!(!format!("{setup:?}").contains(SECRET_CODE));

    let err = env
        .auth
        .verify_totp_setup("000000", Some("phone"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CodeMismatch { .. }), "{err:?}");
    env.auth.verify_totp_setup("135790", None).await.unwrap();
    assert!(matches!(
        env.auth.verify_totp_setup("", None).await,
        Err(Error::InvalidInput { field: "code", .. })
    ));
}

#[tokio::test]
async fn mfa_operations_need_a_signed_in_user() {
    let mut m = mock();
    m.expect_associate_software_token().never();
    m.expect_verify_software_token().never();
    m.expect_set_user_mfa_preference().never();
    m.expect_get_user().never();
    let env = env(m);
    assert!(matches!(
        env.auth.set_up_totp().await,
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        env.auth.verify_totp_setup("123456", None).await,
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        env.auth.fetch_mfa_preference().await,
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        env.auth
            .update_mfa_preference(MfaPreferenceUpdate::new().totp(MfaPreference::Preferred))
            .await,
        Err(Error::NotSignedIn)
    ));
}

fn user_with_mfa(preferred: Option<&str>, enabled: &[&str]) -> User {
    test_user(TYPED).with_mfa(
        preferred.map(str::to_owned),
        enabled.iter().map(|s| (*s).to_owned()).collect(),
    )
}

#[tokio::test]
async fn mfa_preferences_round_trip() {
    let mut m = mock();
    let token = access_jwt(&Tok::default());
    let mut seq = mockall::Sequence::new();
    // 1. Explicit preferences are sent as they are, without reading first.
    let t = token.clone();
    m.expect_set_user_mfa_preference()
        .withf(move |access, update| {
            access.expose() == t
                && *update
                    == MfaPreferenceUpdate::new()
                        .totp(MfaPreference::Preferred)
                        .sms(MfaPreference::Disabled)
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    // 2. Fetch: GetUser's settings, typed.
    m.expect_get_user()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(user_with_mfa(
                Some("SOFTWARE_TOKEN_MFA"),
                &["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"],
            ))
        });
    // 3. `Enabled` keeps the current preference: read, then sent explicitly.
    m.expect_get_user()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(user_with_mfa(
                Some("SOFTWARE_TOKEN_MFA"),
                &["SOFTWARE_TOKEN_MFA"],
            ))
        });
    m.expect_set_user_mfa_preference()
        .withf(|_, update| {
            *update
                == MfaPreferenceUpdate::new()
                    .totp(MfaPreference::Preferred)
                    .email(MfaPreference::NotPreferred)
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    // 4. A refused change is the server's typed error.
    m.expect_set_user_mfa_preference()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Err(service("InvalidParameterException")));
    let env = signed_in(m, Tok::default()).await;

    env.auth
        .update_mfa_preference(
            MfaPreferenceUpdate::new()
                .totp(MfaPreference::Preferred)
                .sms(MfaPreference::Disabled),
        )
        .await
        .unwrap();
    let settings = env.auth.fetch_mfa_preference().await.unwrap();
    let mut expected = MfaSettings::default();
    expected.enabled = vec![MfaType::Totp, MfaType::Email];
    expected.preferred = Some(MfaType::Totp);
    assert_eq!(settings, expected);
    env.auth
        .update_mfa_preference(
            MfaPreferenceUpdate::new()
                .totp(MfaPreference::Enabled)
                .email(MfaPreference::Enabled),
        )
        .await
        .unwrap();
    assert!(matches!(
        env.auth
            .update_mfa_preference(MfaPreferenceUpdate::new().sms(MfaPreference::Preferred))
            .await,
        Err(Error::InvalidParameter { .. })
    ));
    // Nothing to change: refused before sending (the mock allows no fifth call).
    assert!(matches!(
        env.auth
            .update_mfa_preference(MfaPreferenceUpdate::new())
            .await,
        Err(Error::InvalidInput {
            field: "update",
            ..
        })
    ));
}
