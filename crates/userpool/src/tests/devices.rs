//! Remembered devices: the device a sign-in registers is confirmed and stored, later
//! sign-ins answer the device challenges (checked by the SRP crate's device server),
//! remember / forget / fetch, the refresh names the device, a refused device is cleared
//! and the sign-in starts again without it, and the device password stays secret.

use userpool_srp::{
    DeviceRegistration, DeviceSecretVerifierConfig, DeviceSrpServer, DeviceVerifyRequest,
};
use userpool_transport::{ChallengeRequest, DevicePage, RefreshRequest};
use userpool_types::{Device, DeviceRememberedStatus, NewDeviceMetadata};

use super::*;

const DEVICE_KEY: &str = "eu-west-1_6c1f3f0e-2b7a-4d6e-9a55-0d3c2f1e9b01";
const GROUP_KEY: &str = "-aB3dE5gH";
const NEW_DEVICE_KEY: &str = "eu-west-1_0a9b8c7d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
const PASSWORD: &str = "Pa55word!";
const DEVICE_BLOCK: &str = "ZGV2aWNlLXNlY3JldC1ibG9jaw==";

/// Tokens that register `device_key` (`NewDeviceMetadata`).
fn registering(t: &Tok, device_key: &str) -> AuthOutcome {
    AuthOutcome::Tokens(
        tokens(t).with_new_device_metadata(NewDeviceMetadata::new(device_key, GROUP_KEY)),
    )
}

/// The pool's side of device SRP: the verifier the client confirmed, and one attempt.
#[derive(Clone, Default)]
struct DevicePool {
    verifier: Arc<Mutex<Option<PasswordVerifier>>>,
    attempt: Arc<Mutex<Option<(String, DeviceSrpServer)>>>,
    /// Every signature the client sent (to look for in logs).
    signatures: Arc<Mutex<Vec<String>>>,
    /// Every ConfirmDevice's device name.
    names: Arc<Mutex<Vec<Option<String>>>>,
}

impl DevicePool {
    /// Accepts one ConfirmDevice of `device_key` and keeps its verifier.
    fn expect_confirm(&self, m: &mut MockTransport, device_key: &'static str) {
        let pool = self.clone();
        m.expect_confirm_device()
            .withf(move |r| r.device_key == device_key)
            .times(1)
            .returning(move |r| {
                assert!(!r.access_token.is_empty(), "the sign-in's access token");
                pool.names.lock().unwrap().push(r.device_name.clone());
                let config = DeviceSecretVerifierConfig {
                    password_verifier: r.verifier.password_verifier.expose().to_owned(),
                    salt: r.verifier.salt.clone(),
                };
                *pool.verifier.lock().unwrap() = Some(config.to_password_verifier().unwrap());
                Ok(false)
            });
    }

    /// Answers DEVICE_SRP_AUTH and checks DEVICE_PASSWORD_VERIFIER like Cognito: `then`
    /// on a good proof, NotAuthorized otherwise.
    fn expect_device_challenges(&self, m: &mut MockTransport, then: AuthOutcome) {
        let pool = self.clone();
        m.expect_respond_to_auth_challenge()
            .withf(|a| matches!(a.response, ChallengeResponse::DeviceSrpAuth { .. }))
            .times(1)
            .returning(move |a| {
                let ChallengeResponse::DeviceSrpAuth { srp_a } = &a.response else {
                    unreachable!()
                };
                assert_eq!(a.device_key.as_deref(), Some(DEVICE_KEY));
                assert_eq!(a.username.as_str(), USER_ID);
                assert_eq!(
                    a.session.as_ref().map(SecretString::expose),
                    Some("session-of-DEVICE_SRP_AUTH")
                );
                let verifier = pool.verifier.lock().unwrap().clone().expect("no device");
                let server = DeviceSrpServer::new(&verifier).unwrap();
                let (b, salt) = (server.srp_b_hex().to_owned(), server.salt_hex());
                *pool.attempt.lock().unwrap() = Some((srp_a.clone(), server));
                Ok(challenge(
                    "DEVICE_PASSWORD_VERIFIER",
                    &[
                        ("SRP_B", &b),
                        ("SALT", &salt),
                        ("SECRET_BLOCK", DEVICE_BLOCK),
                        ("USERNAME", USER_ID),
                    ],
                ))
            });
        let pool = self.clone();
        m.expect_respond_to_auth_challenge()
            .withf(|a| matches!(a.response, ChallengeResponse::DevicePasswordVerifier { .. }))
            .times(1)
            .returning(move |a| pool.verify(&a, then.clone()));
    }

    fn verify(&self, a: &ChallengeRequest, then: AuthOutcome) -> Result<AuthOutcome, Error> {
        let ChallengeResponse::DevicePasswordVerifier {
            secret_block,
            timestamp,
            signature,
        } = &a.response
        else {
            unreachable!()
        };
        let device_key = a.device_key.as_deref().expect("the device's key");
        assert_eq!(device_key, DEVICE_KEY);
        assert_eq!(a.username.as_str(), USER_ID);
        assert_eq!(
            a.session.as_ref().map(SecretString::expose),
            Some("session-of-DEVICE_PASSWORD_VERIFIER")
        );
        assert_eq!(secret_block, DEVICE_BLOCK);
        self.signatures
            .lock()
            .unwrap()
            .push(signature.expose().to_owned());
        let guard = self.attempt.lock().unwrap();
        let (srp_a, server) = guard.as_ref().expect("no device attempt");
        let ok = server
            .verify(&DeviceVerifyRequest {
                device_group_key: GROUP_KEY,
                device_key,
                srp_a_hex: srp_a,
                secret_block: &decode_secret_block(secret_block).unwrap(),
                timestamp,
                signature_b64: signature.expose(),
            })
            .unwrap();
        if ok {
            Ok(then)
        } else {
            Err(Error::from_service(
                "NotAuthorizedException",
                "Incorrect username or password.",
            ))
        }
    }
}

/// Expects the user SRP leg: InitiateAuth naming `initiate_key`, the PASSWORD_VERIFIER
/// answer naming `answer_key`, answered with `then`.
fn expect_user_leg(
    m: &mut MockTransport,
    pool: &SrpPool,
    initiate_key: Option<&'static str>,
    answer_key: Option<&'static str>,
    then: Result<AuthOutcome, Error>,
) {
    let p = pool.clone();
    m.expect_initiate_auth()
        .withf(move |req, _| {
            matches!(req, InitiateAuth::UserSrp { device_key, .. } if device_key.as_deref() == initiate_key)
        })
        .times(1)
        .returning(move |req, _| p.challenge(&req));
    let p = pool.clone();
    m.expect_respond_to_auth_challenge()
        .withf(move |a| {
            matches!(&a.response, ChallengeResponse::PasswordVerifier { .. })
                && a.device_key.as_deref() == answer_key
        })
        .times(1)
        .returning(move |a| match &then {
            Ok(next) => p.verify(&a, next.clone()),
            Err(e) => Err(e.clone()),
        });
}

/// The three device keys of the test user, as stored.
async fn stored_device(env: &Env) -> [Option<String>; 3] {
    let keys = env.keys().user(USER_ID);
    [
        env.stored(&keys.device_key()).await,
        env.stored(&keys.random_password_key()).await,
        env.stored(&keys.device_group_key()).await,
    ]
}

/// Stores a device for the test user as an earlier process would have, and gives the
/// pool its verifier.
async fn seed_device(store: &dyn Storage, pool: &DevicePool) -> String {
    let registration = DeviceRegistration::generate(GROUP_KEY, DEVICE_KEY).unwrap();
    *pool.verifier.lock().unwrap() =
        Some(registration.verifier_config.to_password_verifier().unwrap());
    let keys = Keys::new(CLIENT).user(USER_ID);
    store
        .set_many(&[
            (keys.device_key().as_str(), DEVICE_KEY),
            (
                keys.random_password_key().as_str(),
                registration.random_password.as_str(),
            ),
            (keys.device_group_key().as_str(), GROUP_KEY),
        ])
        .await
        .unwrap();
    registration.random_password.as_str().to_owned()
}

#[tokio::test]
async fn a_new_device_is_confirmed_stored_and_signs_in_after_a_restart() {
    let srp = SrpPool::new(PASSWORD);
    let devices = DevicePool::default();
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        None,
        Ok(registering(&Tok::default(), DEVICE_KEY)),
    );
    devices.expect_confirm(&mut m, DEVICE_KEY);
    let mut env = env(m);
    let r = env.auth.sign_in(TYPED, PASSWORD).await.unwrap();
    assert!(r.is_signed_in());
    // Confirmed before `signIn`: the app sees the device as soon as it is signed in.
    assert_eq!(env.event_names_now(), ["signIn"]);
    let [key, password, group] = stored_device(&env).await;
    assert_eq!(key.as_deref(), Some(DEVICE_KEY));
    assert_eq!(group.as_deref(), Some(GROUP_KEY));
    let password = password.expect("randomPasswordKey");
    // The reference's form: base64 of 40 random bytes.
    assert_eq!(password.len(), 56, "{password}");
    assert!(password.ends_with("=="));
    assert_eq!(
        devices.names.lock().unwrap().as_slice(),
        [Some(format!("userpool ({})", std::env::consts::OS))]
    );
    assert_eq!(
        env.auth.current_device_key().await.unwrap().as_deref(),
        Some(DEVICE_KEY)
    );

    // A new process on the same store: the device answers the device challenges, with
    // the verifier the first process confirmed.
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        Some(DEVICE_KEY),
        Ok(challenge("DEVICE_SRP_AUTH", &[("USERNAME", USER_ID)])),
    );
    devices.expect_device_challenges(&mut m, answer(&Tok::default()));
    let mut again = env_with(m, env.store.clone(), |b| b);
    let r = again.auth.sign_in(TYPED, PASSWORD).await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
    assert_eq!(again.event_names_now(), ["signIn"]);
    assert_eq!(devices.signatures.lock().unwrap().len(), 1);
    // Still the same device (no new one was confirmed: the mock would refuse it).
    assert_eq!(stored_device(&again).await[0].as_deref(), Some(DEVICE_KEY));
}

#[tokio::test]
async fn the_device_challenges_are_answered_then_mfa_is_the_users_step() {
    let srp = SrpPool::new(PASSWORD);
    let devices = DevicePool::default();
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        Some(DEVICE_KEY),
        Ok(challenge("DEVICE_SRP_AUTH", &[("USERNAME", USER_ID)])),
    );
    // A device that is not remembered does not skip MFA: the user's step comes after.
    devices.expect_device_challenges(
        &mut m,
        challenge("SOFTWARE_TOKEN_MFA", &[("USERNAME", USER_ID)]),
    );
    // The MFA answer names the device, so the pool links the session to it: tokens
    // without NewDeviceMetadata (a ConfirmDevice would be an unexpected call).
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            matches!(&a.response, ChallengeResponse::SoftwareTokenMfa { code } if code.expose() == "123456")
                && a.device_key.as_deref() == Some(DEVICE_KEY)
                && a.username.as_str() == USER_ID
        })
        .times(1)
        .returning(|_| Ok(answer(&Tok::default())));
    let store = MemoryStore::new();
    let device_password = seed_device(&store, &devices).await;
    let mut env = env_with(m, store, |b| b);
    let r = env.auth.sign_in(TYPED, PASSWORD).await.unwrap();
    assert_eq!(r.next_step(), Some(&userpool_types::NextStep::TotpCode));
    assert!(env.event_names_now().is_empty());
    let r = env.auth.confirm_sign_in("123456").await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
    assert_eq!(env.event_names_now(), ["signIn"]);
    // The same device, with the same password: nothing was replaced.
    let [key, password, group] = stored_device(&env).await;
    assert_eq!(key.as_deref(), Some(DEVICE_KEY));
    assert_eq!(password.as_deref(), Some(device_password.as_str()));
    assert_eq!(group.as_deref(), Some(GROUP_KEY));
}

/// A challenge of the test user (`USERNAME` is the internal name) with `params`.
fn challenge_of_the_user(name: &str, params: &[(&str, &str)]) -> AuthOutcome {
    let mut all = vec![("USERNAME", USER_ID)];
    all.extend_from_slice(params);
    challenge(name, &all)
}

#[tokio::test]
async fn every_answer_of_a_password_sign_in_names_the_stored_device() {
    // USER_PASSWORD_AUTH under the typed name finds no device (it is stored under the
    // internal name); each answer looks it up under the challenge's USERNAME, as the
    // reference does, and names it whatever the challenge.
    /// Is this the answer expected?
    type Kind = fn(&ChallengeResponse) -> bool;
    /// The challenge, its parameters, what the user answers, and the answer expected.
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static str,
        Kind,
    );
    let cases: [Case; 7] = [
        (
            "SMS_MFA",
            &[
                ("CODE_DELIVERY_DELIVERY_MEDIUM", "SMS"),
                ("CODE_DELIVERY_DESTINATION", "+*******0000"),
            ],
            "123456",
            |r| matches!(r, ChallengeResponse::SmsMfa { code } if code.expose() == "123456"),
        ),
        (
            "SOFTWARE_TOKEN_MFA",
            &[],
            "123456",
            |r| matches!(r, ChallengeResponse::SoftwareTokenMfa { code } if code.expose() == "123456"),
        ),
        (
            "EMAIL_OTP",
            &[
                ("CODE_DELIVERY_DELIVERY_MEDIUM", "EMAIL"),
                ("CODE_DELIVERY_DESTINATION", "a***@e***"),
            ],
            "123456",
            |r| matches!(r, ChallengeResponse::EmailOtp { code } if code.expose() == "123456"),
        ),
        (
            "CUSTOM_CHALLENGE",
            &[("question", "6 x 7")],
            "42",
            |r| matches!(r, ChallengeResponse::Custom { answer } if answer.expose() == "42"),
        ),
        (
            "NEW_PASSWORD_REQUIRED",
            &[("requiredAttributes", "[]"), ("userAttributes", "{}")],
            "N3w-Passw0rd!",
            |r| matches!(r, ChallengeResponse::NewPassword { new_password, .. } if new_password.expose() == "N3w-Passw0rd!"),
        ),
        (
            "SELECT_MFA_TYPE",
            &[("MFAS_CAN_CHOOSE", r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#)],
            "TOTP",
            |r| matches!(r, ChallengeResponse::SelectMfaType { answer } if answer == "SOFTWARE_TOKEN_MFA"),
        ),
        (
            "MFA_SETUP",
            &[("MFAS_CAN_SETUP", r#"["EMAIL_OTP"]"#)],
            "ada@example.com",
            |r| matches!(r, ChallengeResponse::MfaSetup { email: Some(email) } if email == "ada@example.com"),
        ),
    ];
    for (name, params, reply, kind) in cases {
        let mut m = mock();
        let first = challenge_of_the_user(name, params);
        m.expect_initiate_auth()
            .withf(|req, _| {
                matches!(
                    req,
                    InitiateAuth::UserPassword {
                        device_key: None,
                        ..
                    }
                )
            })
            .times(1)
            .returning(move |_, _| Ok(first.clone()));
        let session = format!("session-of-{name}");
        m.expect_respond_to_auth_challenge()
            .withf(move |a| {
                kind(&a.response)
                    && a.device_key.as_deref() == Some(DEVICE_KEY)
                    && a.username.as_str() == USER_ID
                    && a.session.as_ref().map(SecretString::expose) == Some(session.as_str())
            })
            .times(1)
            .returning(|_| Ok(answer(&Tok::default())));
        let store = MemoryStore::new();
        seed_device(&store, &DevicePool::default()).await;
        let mut env = env_with(m, store, |b| b.auth_flow(crate::AuthFlow::UserPassword));
        let r = env.auth.sign_in(TYPED, PASSWORD).await.unwrap();
        assert!(r.next_step().is_some(), "{name}: {r:?}");
        let r = env.auth.confirm_sign_in(reply).await.unwrap();
        assert!(r.is_signed_in(), "{name}: {r:?}");
        assert_eq!(env.event_names_now(), ["signIn"], "{name}");
        assert_eq!(
            stored_device(&env).await[0].as_deref(),
            Some(DEVICE_KEY),
            "{name}"
        );
    }
}

#[tokio::test]
async fn complete_new_password_names_the_stored_device() {
    let mut m = mock();
    m.expect_initiate_auth().times(1).returning(|_, _| {
        Ok(challenge_of_the_user(
            "NEW_PASSWORD_REQUIRED",
            &[("requiredAttributes", r#"["userAttributes.given_name"]"#)],
        ))
    });
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            matches!(&a.response, ChallengeResponse::NewPassword { attributes, .. } if attributes.get("given_name") == Some("Ada"))
                && a.device_key.as_deref() == Some(DEVICE_KEY)
        })
        .times(1)
        .returning(|_| Ok(answer(&Tok::default())));
    let store = MemoryStore::new();
    seed_device(&store, &DevicePool::default()).await;
    let env = env_with(m, store, |b| b.auth_flow(crate::AuthFlow::UserPassword));
    env.auth.sign_in(TYPED, PASSWORD).await.unwrap();
    let attributes = userpool_types::Attributes::try_from([("given_name", "Ada")]).unwrap();
    let r = env
        .auth
        .complete_new_password("N3w-Passw0rd!", attributes)
        .await
        .unwrap();
    assert!(r.is_signed_in(), "{r:?}");
}

#[tokio::test]
async fn user_password_auth_names_the_device_and_answers_its_challenges() {
    let devices = DevicePool::default();
    let mut m = mock();
    m.expect_initiate_auth()
        .withf(|req, _| {
            matches!(req, InitiateAuth::UserPassword { username, device_key, .. }
                if username.as_str() == USER_ID && device_key.as_deref() == Some(DEVICE_KEY))
        })
        .times(1)
        .returning(|_, _| Ok(challenge_of_the_user("DEVICE_SRP_AUTH", &[])));
    devices.expect_device_challenges(&mut m, answer(&Tok::default()));
    let store = MemoryStore::new();
    seed_device(&store, &devices).await;
    // Typed as the internal name, under which the device is stored.
    let mut env = env_with(m, store, |b| b.auth_flow(crate::AuthFlow::UserPassword));
    let r = env.auth.sign_in(USER_ID, PASSWORD).await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
    assert_eq!(env.event_names_now(), ["signIn"]);
    assert_eq!(devices.signatures.lock().unwrap().len(), 1);
    assert_eq!(stored_device(&env).await[0].as_deref(), Some(DEVICE_KEY));
}

#[tokio::test]
async fn user_password_auth_with_a_forgotten_device_clears_it_and_starts_again() {
    let mut m = mock();
    let mut seq = mockall::Sequence::new();
    m.expect_initiate_auth()
        .withf(|req, _| {
            matches!(req, InitiateAuth::UserPassword { device_key, .. } if device_key.as_deref() == Some(DEVICE_KEY))
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| {
            Err(Error::from_service(
                "ResourceNotFoundException",
                "Device does not exist.",
            ))
        });
    m.expect_initiate_auth()
        .withf(|req, _| {
            matches!(
                req,
                InitiateAuth::UserPassword {
                    device_key: None,
                    ..
                }
            )
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(registering(&Tok::default(), NEW_DEVICE_KEY)));
    DevicePool::default().expect_confirm(&mut m, NEW_DEVICE_KEY);
    let store = MemoryStore::new();
    seed_device(&store, &DevicePool::default()).await;
    let mut env = env_with(m, store, |b| b.auth_flow(crate::AuthFlow::UserPassword));
    let r = env.auth.sign_in(USER_ID, PASSWORD).await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
    // One sign-in for the app: no failure event for the refused first attempt.
    assert_eq!(env.event_names_now(), ["signIn"]);
    assert_eq!(
        stored_device(&env).await[0].as_deref(),
        Some(NEW_DEVICE_KEY)
    );
}

#[tokio::test]
async fn an_mfa_answer_whose_device_is_refused_clears_it_and_the_code_can_be_sent_again() {
    let mut m = mock();
    m.expect_initiate_auth()
        .times(1)
        .returning(|_, _| Ok(challenge_of_the_user("SOFTWARE_TOKEN_MFA", &[])));
    let mut seq = mockall::Sequence::new();
    m.expect_respond_to_auth_challenge()
        .withf(|a| a.device_key.as_deref() == Some(DEVICE_KEY))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Err(Error::from_service(
                "ResourceNotFoundException",
                "Device does not exist.",
            ))
        });
    // The same session, now without the device: the pool registers a new one.
    m.expect_respond_to_auth_challenge()
        .withf(|a| {
            a.device_key.is_none()
                && a.session.as_ref().map(SecretString::expose)
                    == Some("session-of-SOFTWARE_TOKEN_MFA")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(registering(&Tok::default(), NEW_DEVICE_KEY)));
    DevicePool::default().expect_confirm(&mut m, NEW_DEVICE_KEY);
    let store = MemoryStore::new();
    seed_device(&store, &DevicePool::default()).await;
    let env = env_with(m, store, |b| b.auth_flow(crate::AuthFlow::UserPassword));
    env.auth.sign_in(TYPED, PASSWORD).await.unwrap();
    let err = env.auth.confirm_sign_in("123456").await.unwrap_err();
    assert!(matches!(err, Error::ResourceNotFound { .. }), "{err:?}");
    assert_eq!(stored_device(&env).await, [None, None, None]);
    assert!(env.auth.pending_sign_in().is_some(), "still pending");
    let r = env.auth.confirm_sign_in("123456").await.unwrap();
    assert!(r.is_signed_in(), "{r:?}");
    assert_eq!(
        stored_device(&env).await[0].as_deref(),
        Some(NEW_DEVICE_KEY)
    );
}

#[tokio::test]
async fn a_wrong_device_proof_is_refused_by_the_device_server() {
    // The stored password is not the confirmed one: the device server refuses the
    // signature, the device is cleared, and the sign-in starts again without it.
    let srp = SrpPool::new(PASSWORD);
    let devices = DevicePool::default();
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        Some(DEVICE_KEY),
        Ok(challenge("DEVICE_SRP_AUTH", &[("USERNAME", USER_ID)])),
    );
    devices.expect_device_challenges(&mut m, answer(&Tok::default()));
    expect_user_leg(
        &mut m,
        &srp,
        None,
        None,
        Ok(registering(&Tok::default(), NEW_DEVICE_KEY)),
    );
    let confirmed = DevicePool::default();
    confirmed.expect_confirm(&mut m, NEW_DEVICE_KEY);
    let store = MemoryStore::new();
    seed_device(&store, &devices).await;
    let keys = Keys::new(CLIENT).user(USER_ID);
    store
        .set(
            &keys.random_password_key(),
            "bm90LXRoZS1yaWdodC1wYXNzd29yZA==",
        )
        .await
        .unwrap();
    let mut env = env_with(m, store, |b| b);
    let r = env.auth.sign_in(TYPED, PASSWORD).await.unwrap();
    assert!(r.is_signed_in());
    // One sign-in for the app: no failure event for the refused first attempt.
    assert_eq!(env.event_names_now(), ["signIn"]);
    assert_eq!(
        stored_device(&env).await[0].as_deref(),
        Some(NEW_DEVICE_KEY)
    );
}

#[tokio::test]
async fn a_device_forgotten_elsewhere_is_cleared_and_the_sign_in_starts_again() {
    let srp = SrpPool::new(PASSWORD);
    let devices = DevicePool::default();
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        Some(DEVICE_KEY),
        Err(Error::from_service(
            "ResourceNotFoundException",
            "Device does not exist.",
        )),
    );
    expect_user_leg(
        &mut m,
        &srp,
        None,
        None,
        Ok(registering(&Tok::default(), NEW_DEVICE_KEY)),
    );
    devices.expect_confirm(&mut m, NEW_DEVICE_KEY);
    let store = MemoryStore::new();
    seed_device(&store, &DevicePool::default()).await;
    let mut env = env_with(m, store, |b| b);
    let r = env.auth.sign_in(TYPED, PASSWORD).await.unwrap();
    assert!(r.is_signed_in());
    assert_eq!(env.event_names_now(), ["signIn"]);
    let [key, password, group] = stored_device(&env).await;
    assert_eq!(key.as_deref(), Some(NEW_DEVICE_KEY));
    assert!(password.is_some() && group.is_some());
}

#[tokio::test]
async fn a_wrong_password_with_a_device_keeps_the_device_and_is_not_retried() {
    let srp = SrpPool::new("the-real-password");
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        Some(DEVICE_KEY),
        Ok(answer(&Tok::default())),
    );
    let store = MemoryStore::new();
    seed_device(&store, &DevicePool::default()).await;
    let mut env = env_with(m, store, |b| b);
    let err = env.auth.sign_in(TYPED, PASSWORD).await.unwrap_err();
    assert!(err.is_not_authorized(), "{err:?}");
    assert_eq!(env.event_names_now(), ["signIn_failure"]);
    assert_eq!(stored_device(&env).await[0].as_deref(), Some(DEVICE_KEY));
}

#[tokio::test]
async fn a_failed_confirm_device_still_signs_in_without_a_device() {
    let srp = SrpPool::new(PASSWORD);
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        None,
        Ok(registering(&Tok::default(), DEVICE_KEY)),
    );
    m.expect_confirm_device()
        .times(1)
        .returning(|_| Err(service("InvalidParameterException")));
    let mut env = env(m);
    assert!(
        env.auth
            .sign_in(TYPED, PASSWORD)
            .await
            .unwrap()
            .is_signed_in()
    );
    assert_eq!(env.event_names_now(), ["signIn"]);
    assert_eq!(stored_device(&env).await, [None, None, None]);
    assert_eq!(env.auth.current_device_key().await.unwrap(), None);
}

#[tokio::test]
async fn the_initiate_auth_names_the_device_stored_under_the_typed_name() {
    // The reference looks the device up under the typed name for InitiateAuth, and under
    // USER_ID_FOR_SRP for the PASSWORD_VERIFIER answer.
    let srp = SrpPool::new(PASSWORD);
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        Some(DEVICE_KEY),
        Some(DEVICE_KEY),
        Ok(challenge("DEVICE_SRP_AUTH", &[("USERNAME", USER_ID)])),
    );
    let devices = DevicePool::default();
    devices.expect_device_challenges(&mut m, answer(&Tok::default()));
    let store = MemoryStore::new();
    seed_device(&store, &devices).await;
    let typed = Keys::new(CLIENT).user(TYPED);
    store
        .set_many(&[
            (typed.device_key().as_str(), DEVICE_KEY),
            (typed.random_password_key().as_str(), "unused"),
            (typed.device_group_key().as_str(), GROUP_KEY),
        ])
        .await
        .unwrap();
    let env = env_with(m, store, |b| b);
    assert!(
        env.auth
            .sign_in(TYPED, PASSWORD)
            .await
            .unwrap()
            .is_signed_in()
    );
}

#[tokio::test]
async fn remember_forget_and_fetch() {
    let mut m = mock();
    m.expect_update_device_status()
        .withf(|token, key, status| {
            !token.is_empty() && key == DEVICE_KEY && *status == DeviceRememberedStatus::Remembered
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    m.expect_list_devices()
        .withf(|_, limit, token| *limit == Some(60) && token.is_none())
        .times(1)
        .returning(|_, _, _| {
            Ok(DevicePage::new(vec![
                Device::new(DEVICE_KEY).with_remembered_status(DeviceRememberedStatus::Remembered),
            ])
            .with_pagination_token(Some("page-2".into())))
        });
    m.expect_list_devices()
        .withf(|_, _, token| token.as_deref() == Some("page-2"))
        .times(1)
        .returning(|_, _, _| Ok(DevicePage::new(vec![Device::new("eu-west-1_other")])));
    // Another device: forgotten on the server, the stored one is kept.
    m.expect_forget_device()
        .withf(|_, key| key == "eu-west-1_other")
        .times(1)
        .returning(|_, _| Ok(()));
    m.expect_forget_device()
        .withf(|_, key| key == DEVICE_KEY)
        .times(1)
        .returning(|_, _| Ok(()));
    let env = signed_in(m, Tok::default()).await;
    seed_device(&env.store, &DevicePool::default()).await;

    env.auth.remember_device().await.unwrap();
    let devices = env.auth.fetch_devices().await.unwrap();
    let keys: Vec<&str> = devices.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, [DEVICE_KEY, "eu-west-1_other"]);
    assert!(devices[0].is_remembered());

    env.auth
        .forget_device_by_key("eu-west-1_other")
        .await
        .unwrap();
    assert_eq!(stored_device(&env).await[0].as_deref(), Some(DEVICE_KEY));
    env.auth.forget_device().await.unwrap();
    assert_eq!(stored_device(&env).await, [None, None, None]);
    // Nothing left to remember or forget: refused before any call.
    for result in [
        env.auth.remember_device().await,
        env.auth.forget_device().await,
    ] {
        assert!(
            matches!(
                result,
                Err(Error::InvalidInput {
                    field: "device",
                    ..
                })
            ),
            "{result:?}"
        );
    }
    assert!(matches!(
        env.auth.forget_device_by_key(" ").await,
        Err(Error::InvalidInput {
            field: "device_key",
            ..
        })
    ));
}

#[tokio::test]
async fn forgetting_the_current_device_by_key_or_when_already_gone_clears_it() {
    let mut m = mock();
    m.expect_forget_device().times(1).returning(|_, _| Ok(()));
    let env = signed_in(m, Tok::default()).await;
    seed_device(&env.store, &DevicePool::default()).await;
    env.auth.forget_device_by_key(DEVICE_KEY).await.unwrap();
    assert_eq!(stored_device(&env).await, [None, None, None]);

    let mut m = mock();
    m.expect_forget_device().times(1).returning(|_, _| {
        Err(Error::from_service(
            "ResourceNotFoundException",
            "Device does not exist.",
        ))
    });
    let env = signed_in(m, Tok::default()).await;
    seed_device(&env.store, &DevicePool::default()).await;
    let err = env.auth.forget_device().await.unwrap_err();
    assert!(matches!(err, Error::ResourceNotFound { .. }), "{err:?}");
    assert_eq!(stored_device(&env).await, [None, None, None]);

    // Any other failure keeps the device: it may still work.
    let mut m = mock();
    m.expect_forget_device()
        .times(1)
        .returning(|_, _| Err(service("InvalidParameterException")));
    let env = signed_in(m, Tok::default()).await;
    seed_device(&env.store, &DevicePool::default()).await;
    assert!(env.auth.forget_device().await.is_err());
    assert_eq!(stored_device(&env).await[0].as_deref(), Some(DEVICE_KEY));
}

#[tokio::test]
async fn a_server_that_pages_forever_is_a_malformed_answer() {
    let mut m = mock();
    m.expect_list_devices().times(2).returning(|_, _, _| {
        Ok(DevicePage::new(vec![]).with_pagination_token(Some("same".into())))
    });
    let env = signed_in(m, Tok::default()).await;
    let err = env.auth.fetch_devices().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MalformedResponse {
                operation: "ListDevices",
                ..
            }
        ),
        "{err:?}"
    );
    let nobody = env_with(mock(), MemoryStore::new(), |b| b);
    assert!(matches!(
        nobody.auth.fetch_devices().await,
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        nobody.auth.current_device_key().await,
        Err(Error::NotSignedIn)
    ));
}

#[tokio::test]
async fn a_refresh_names_the_stored_device() {
    let mut m = mock();
    m.expect_get_tokens_from_refresh_token()
        .withf(|r: &RefreshRequest| r.device_key.as_deref() == Some(DEVICE_KEY))
        .times(1)
        .returning(|_| {
            Ok(tokens(&Tok {
                iat: T0 + HOUR,
                exp: T0 + 2 * HOUR,
                refresh: None,
                tag: "b",
                ..Tok::default()
            }))
        });
    let store = MemoryStore::new();
    seed(&store, &Tok::default(), "0").await;
    seed_device(&store, &DevicePool::default()).await;
    let env = env_with(m, store, |b| b);
    env.clock.set(T0 + HOUR);
    let session = env.auth.current_session().await.unwrap();
    assert_eq!(session.expires_at(), T0 + 2 * HOUR);
}

#[test]
fn the_device_password_and_signature_are_in_no_log_and_no_debug() {
    let srp = SrpPool::new(PASSWORD);
    let devices = DevicePool::default();
    let mut m = mock();
    expect_user_leg(
        &mut m,
        &srp,
        None,
        Some(DEVICE_KEY),
        Ok(challenge("DEVICE_SRP_AUTH", &[("USERNAME", USER_ID)])),
    );
    devices.expect_device_challenges(&mut m, answer(&Tok::default()));
    let ((password, dump), logs) = with_captured_logs(|| async {
        let store = MemoryStore::new();
        let password = seed_device(&store, &devices).await;
        let clock = TestClock::new(T0);
        let auth = builder(m, &clock)
            .storage(Arc::new(store.clone()))
            .build()
            .unwrap();
        assert!(auth.sign_in(TYPED, PASSWORD).await.unwrap().is_signed_in());
        let stored = auth
            .inner
            .stored_device(&Username::new(USER_ID).unwrap())
            .await
            .unwrap();
        assert_eq!(stored.password.as_str(), password);
        (
            password,
            format!("{auth:?} {auth:#?} {stored:?} {stored:#?}"),
        )
    });
    assert!(
        logs.contains("device"),
        "the device steps were logged:\n{logs}"
    );
    let signatures = devices.signatures.lock().unwrap().clone();
    assert_eq!(signatures.len(), 1);
    for secret in signatures.iter().chain([&password]) {
        assert!(
            !logs.contains(secret.as_str()),
            "{secret} in the logs:\n{logs}"
        );
        assert!(!dump.contains(secret.as_str()), "{secret} in Debug: {dump}");
    }
    assert!(dump.contains("[redacted]"), "{dump}");
}
