//! MFA over the SDK: the pool's MFA settings, authenticator apps, the user's preferences,
//! and the sign-in challenges (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE,
//! MFA_SETUP) after SRP and USER_PASSWORD_AUTH, with and without a client secret.
//!
//! TOTP codes are computed here from the SecretCode the server hands out (RFC 6238 with
//! totp-rs), not with the server's own code path.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, EmailMfaConfigType, EmailMfaSettingsType, SmsMfaConfigType,
    SmsMfaSettingsType, SoftwareTokenMfaConfigType, SoftwareTokenMfaSettingsType, UserPoolMfaType,
    VerifySoftwareTokenResponseType,
};
use userpool_local::{ClientConfig, Limits, LocalPool, PoolConfig, Purpose};

use crate::common::*;

type Failure = (String, String);

fn failure<E: ProvideErrorMetadata>(e: E) -> Failure {
    (
        e.code().unwrap_or("<none>").to_owned(),
        e.message().unwrap_or("").to_owned(),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Srp,
    Password,
}

const FLOWS: [Flow; 2] = [Flow::Srp, Flow::Password];

/// The TOTP code of a base32 secret, `steps` 30-second steps from now.
fn totp_code(secret_code: &str, steps: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_code).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_ref().to_vec())
        .build()
        .expect("totp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now.saturating_add_signed(steps * 30);
    totp.generate(at).to_string()
}

/// A 6-digit code that is not `right`.
fn other_code(right: &str) -> String {
    if right == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

/// A server with one pool (MFA set with SetUserPoolMfaConfig over the SDK) and one app
/// client with both password flows.
async fn mfa_ctx(
    builder: userpool_local::LocalPoolBuilder,
    mode: UserPoolMfaType,
    sms: bool,
    totp: bool,
    email: bool,
    secret: bool,
) -> Ctx {
    let mut client = ClientConfig::new("web").with_password_auth();
    if secret {
        client = client.with_secret();
    }
    let ctx = start_with(builder, PoolConfig::new("mfa"), client).await;
    let mut req = ctx
        .sdk
        .set_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .mfa_configuration(mode)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder().enabled(totp).build(),
        );
    if sms {
        req = req.sms_mfa_configuration(
            SmsMfaConfigType::builder()
                .sms_authentication_message("Your sign-in code is {####}")
                .build(),
        );
    }
    if email {
        req = req.email_mfa_configuration(EmailMfaConfigType::builder().build());
    }
    req.send().await.expect("SetUserPoolMfaConfig");
    ctx
}

async fn user(ctx: &Ctx, name: &str) {
    ctx.server
        .create_user(
            &ctx.pool_id,
            name,
            PW,
            &[
                ("email", &format!("{name}@example.com")),
                ("email_verified", "true"),
                ("phone_number", "+15550101234"),
                ("phone_number_verified", "true"),
            ],
        )
        .await
        .expect("user");
}

/// What a sign-in answered: tokens (the access token) or a challenge.
#[derive(Debug)]
enum Step {
    Tokens(String),
    Challenge {
        name: ChallengeNameType,
        session: String,
        params: HashMap<String, String>,
    },
}

impl Step {
    fn challenge(self) -> (ChallengeNameType, String, HashMap<String, String>) {
        match self {
            Step::Challenge {
                name,
                session,
                params,
            } => (name, session, params),
            Step::Tokens(_) => panic!("expected a challenge, got tokens"),
        }
    }

    fn access_token(self) -> String {
        match self {
            Step::Tokens(t) => t,
            other => panic!("expected tokens, got {other:?}"),
        }
    }
}

fn step_of(
    result: Option<&aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
    name: Option<&ChallengeNameType>,
    session: Option<&str>,
    params: Option<&HashMap<String, String>>,
) -> Step {
    if let Some(r) = result {
        return Step::Tokens(r.access_token().expect("access token").to_owned());
    }
    Step::Challenge {
        name: name.expect("challenge name").clone(),
        session: session.expect("session").to_owned(),
        params: params.cloned().unwrap_or_default(),
    }
}

/// Signs in with the right password, by SRP or USER_PASSWORD_AUTH.
async fn sign_in(ctx: &Ctx, flow: Flow, username: &str) -> Result<Step, Failure> {
    match flow {
        Flow::Password => {
            let out = password_sign_in(ctx, username, PW).await.map_err(failure)?;
            Ok(step_of(
                out.authentication_result(),
                out.challenge_name(),
                out.session(),
                out.challenge_parameters(),
            ))
        }
        Flow::Srp => {
            let sign_in = userpool_srp::SrpSignIn::new().expect("srp client");
            let mut init = ctx
                .sdk
                .initiate_auth()
                .client_id(&ctx.client_id)
                .auth_flow(AuthFlowType::UserSrpAuth)
                .auth_parameters("USERNAME", username)
                .auth_parameters("SRP_A", sign_in.srp_a());
            if let Some(s) = &ctx.secret {
                init =
                    init.auth_parameters("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
            }
            let out = init.send().await.map_err(failure)?;
            let params = out.challenge_parameters().expect("challenge parameters");
            let ts = userpool_srp::timestamp(SystemTime::now());
            let answer = sign_in
                .answer(&ctx.pool_id, PW, &ts, |k| params.get(k).map(String::as_str))
                .expect("claim");
            let mut respond = ctx
                .sdk
                .respond_to_auth_challenge()
                .client_id(&ctx.client_id)
                .challenge_name(ChallengeNameType::PasswordVerifier);
            for (name, value) in answer.responses() {
                respond = respond.challenge_responses(name, value);
            }
            if let Some(s) = &ctx.secret {
                respond = respond.challenge_responses(
                    "SECRET_HASH",
                    secret_hash(s, &answer.username, &ctx.client_id),
                );
            }
            let out = respond.send().await.map_err(failure)?;
            Ok(respond_step(&out))
        }
    }
}

fn respond_step(out: &RespondToAuthChallengeOutput) -> Step {
    step_of(
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
    )
}

/// Answers a challenge with USERNAME (and SECRET_HASH with a client secret) and `pairs`.
async fn answer(
    ctx: &Ctx,
    challenge: ChallengeNameType,
    session: &str,
    username: &str,
    pairs: &[(&str, &str)],
) -> Result<Step, Failure> {
    let mut req = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(challenge)
        .session(session)
        .challenge_responses("USERNAME", username);
    for (k, v) in pairs {
        req = req.challenge_responses(*k, *v);
    }
    if let Some(s) = &ctx.secret {
        req = req.challenge_responses("SECRET_HASH", secret_hash(s, username, &ctx.client_id));
    }
    let out = req.send().await.map_err(failure)?;
    Ok(respond_step(&out))
}

fn code_mismatch() -> Failure {
    (
        "CodeMismatchException".into(),
        "Invalid code or auth state for the user.".into(),
    )
}

fn session_expired() -> Failure {
    (
        "NotAuthorizedException".into(),
        "Invalid session for the user, session is expired.".into(),
    )
}

/// Enrols an authenticator with the access token: returns its SecretCode.
async fn enrol_totp(ctx: &Ctx, access: &str) -> String {
    let out = ctx
        .sdk
        .associate_software_token()
        .access_token(access)
        .send()
        .await
        .unwrap();
    assert_eq!(out.session(), None, "no session with an access token");
    let secret = out.secret_code().unwrap().to_owned();
    let out = ctx
        .sdk
        .verify_software_token()
        .access_token(access)
        .user_code(totp_code(&secret, 0))
        .friendly_device_name("phone")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.status(),
        Some(&VerifySoftwareTokenResponseType::Success)
    );
    secret
}

#[tokio::test]
async fn pool_mfa_settings_round_trip_and_impossible_ones_are_refused() {
    let ctx = start(PoolConfig::new("p"), ClientConfig::new("web")).await;
    let got = ctx
        .sdk
        .get_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.mfa_configuration(), Some(&UserPoolMfaType::Off));

    let (code, msg) = err(ctx
        .sdk
        .set_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .mfa_configuration(UserPoolMfaType::On)
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
    );
    let (code, msg) = err(ctx
        .sdk
        .set_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .mfa_configuration(UserPoolMfaType::Off)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder().enabled(true).build(),
        )
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
    );

    let set = ctx
        .sdk
        .set_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .mfa_configuration(UserPoolMfaType::Optional)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder().enabled(true).build(),
        )
        .email_mfa_configuration(
            EmailMfaConfigType::builder()
                .message("Code: {####}")
                .subject("Sign-in")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(set.mfa_configuration(), Some(&UserPoolMfaType::Optional));
    assert_eq!(
        set.software_token_mfa_configuration().map(|t| t.enabled()),
        Some(true)
    );
    assert!(set.sms_mfa_configuration().is_none());
    let got = ctx
        .sdk
        .get_user_pool_mfa_config()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.mfa_configuration(), Some(&UserPoolMfaType::Optional));
    assert_eq!(
        got.email_mfa_configuration().and_then(|e| e.subject()),
        Some("Sign-in")
    );
    let described = ctx
        .sdk
        .describe_user_pool()
        .user_pool_id(&ctx.pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.user_pool().unwrap().mfa_configuration(),
        Some(&UserPoolMfaType::Optional)
    );

    // CreateUserPool takes MfaConfiguration too (SMS MFA, the factor it sets up).
    let created = ctx
        .sdk
        .create_user_pool()
        .pool_name("required")
        .mfa_configuration(UserPoolMfaType::On)
        .send()
        .await
        .unwrap();
    let id = created.user_pool().unwrap().id().unwrap().to_owned();
    assert_eq!(
        created.user_pool().unwrap().mfa_configuration(),
        Some(&UserPoolMfaType::On)
    );
    let got = ctx
        .sdk
        .get_user_pool_mfa_config()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    assert!(got.sms_mfa_configuration().is_some());

    let (code, _) = err(ctx
        .sdk
        .get_user_pool_mfa_config()
        .user_pool_id("us-east-1_nothere00")
        .send()
        .await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn totp_enrolled_with_the_access_token_guards_every_flow() {
    for secret in [false, true] {
        let ctx = mfa_ctx(
            LocalPool::builder(),
            UserPoolMfaType::Optional,
            false,
            true,
            false,
            secret,
        )
        .await;
        for flow in FLOWS {
            let name = format!("t{}{}", flow as u8, secret as u8);
            user(&ctx, &name).await;
            // Optional MFA, nothing enrolled: tokens straight away.
            let access = sign_in(&ctx, flow, &name).await.unwrap().access_token();

            let assoc = ctx
                .sdk
                .associate_software_token()
                .access_token(&access)
                .send()
                .await
                .unwrap();
            let code = assoc.secret_code().unwrap().to_owned();
            assert_eq!(code.len(), 32);
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
            );

            // Enabling TOTP before the authenticator is verified is refused.
            let (c, m) = err(ctx
                .sdk
                .set_user_mfa_preference()
                .access_token(&access)
                .software_token_mfa_settings(
                    SoftwareTokenMfaSettingsType::builder()
                        .enabled(true)
                        .build(),
                )
                .send()
                .await);
            assert_eq!(c, "InvalidParameterException");
            assert_eq!(
                m,
                "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA"
            );

            let (c, m) = err(ctx
                .sdk
                .verify_software_token()
                .access_token(&access)
                .user_code(other_code(&totp_code(&code, 0)))
                .send()
                .await);
            assert_eq!(c, "EnableSoftwareTokenMFAException");
            assert_eq!(m, "Code mismatch and fail enable Software Token MFA");
            let ok = ctx
                .sdk
                .verify_software_token()
                .access_token(&access)
                .user_code(totp_code(&code, 0))
                .send()
                .await
                .unwrap();
            assert_eq!(ok.status(), Some(&VerifySoftwareTokenResponseType::Success));
            ctx.sdk
                .set_user_mfa_preference()
                .access_token(&access)
                .software_token_mfa_settings(
                    SoftwareTokenMfaSettingsType::builder()
                        .enabled(true)
                        .preferred_mfa(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let me = ctx
                .sdk
                .get_user()
                .access_token(&access)
                .send()
                .await
                .unwrap();
            assert_eq!(me.user_mfa_setting_list(), ["SOFTWARE_TOKEN_MFA"]);
            assert_eq!(me.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));
            let admin = ctx
                .sdk
                .admin_get_user()
                .user_pool_id(&ctx.pool_id)
                .username(&name)
                .send()
                .await
                .unwrap();
            assert_eq!(admin.user_mfa_setting_list(), ["SOFTWARE_TOKEN_MFA"]);
            assert_eq!(admin.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));

            let (challenge, session, _) = sign_in(&ctx, flow, &name).await.unwrap().challenge();
            assert_eq!(challenge, ChallengeNameType::SoftwareTokenMfa);
            // The code VerifySoftwareToken accepted is used up; the next step's is not.
            let used = totp_code(&code, 0);
            let next = totp_code(&code, 1);
            if used != next {
                let e = answer(
                    &ctx,
                    ChallengeNameType::SoftwareTokenMfa,
                    &session,
                    &name,
                    &[("SOFTWARE_TOKEN_MFA_CODE", &used)],
                )
                .await
                .unwrap_err();
                assert_eq!(e, code_mismatch(), "a code used by the verification");
            }
            // A wrong code, then the right one in the same session.
            let e = answer(
                &ctx,
                ChallengeNameType::SoftwareTokenMfa,
                &session,
                &name,
                &[("SOFTWARE_TOKEN_MFA_CODE", &other_code(&next))],
            )
            .await
            .unwrap_err();
            assert_eq!(e, code_mismatch());
            let access = answer(
                &ctx,
                ChallengeNameType::SoftwareTokenMfa,
                &session,
                &name,
                &[("SOFTWARE_TOKEN_MFA_CODE", &next)],
            )
            .await
            .unwrap()
            .access_token();
            ctx.sdk
                .get_user()
                .access_token(&access)
                .send()
                .await
                .unwrap();
            // The session is used up, and the code refused a second time.
            let e = answer(
                &ctx,
                ChallengeNameType::SoftwareTokenMfa,
                &session,
                &name,
                &[("SOFTWARE_TOKEN_MFA_CODE", &next)],
            )
            .await
            .unwrap_err();
            assert_eq!(e, session_expired());
            let (_, session, _) = sign_in(&ctx, flow, &name).await.unwrap().challenge();
            let e = answer(
                &ctx,
                ChallengeNameType::SoftwareTokenMfa,
                &session,
                &name,
                &[("SOFTWARE_TOKEN_MFA_CODE", &next)],
            )
            .await
            .unwrap_err();
            assert_eq!(e, code_mismatch(), "a replayed code");
        }
    }
}

#[tokio::test]
async fn sms_and_email_codes_go_to_the_outbox_and_answer_the_challenge() {
    for secret in [false, true] {
        let ctx = mfa_ctx(
            LocalPool::builder(),
            UserPoolMfaType::Optional,
            true,
            false,
            true,
            secret,
        )
        .await;
        for flow in FLOWS {
            let name = format!("s{}{}", flow as u8, secret as u8);
            user(&ctx, &name).await;
            ctx.sdk
                .admin_set_user_mfa_preference()
                .user_pool_id(&ctx.pool_id)
                .username(&name)
                .sms_mfa_settings(
                    SmsMfaSettingsType::builder()
                        .enabled(true)
                        .preferred_mfa(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let (challenge, session, params) =
                sign_in(&ctx, flow, &name).await.unwrap().challenge();
            assert_eq!(challenge, ChallengeNameType::SmsMfa);
            assert_eq!(params["CODE_DELIVERY_DELIVERY_MEDIUM"], "SMS");
            assert_eq!(params["CODE_DELIVERY_DESTINATION"], "+*******1234");
            let rec = ctx.server.outbox().latest(&ctx.pool_id, &name).unwrap();
            assert_eq!(rec.purpose, Purpose::Mfa);
            assert_eq!(rec.destination, "+15550101234");
            assert_eq!(rec.message, format!("Your sign-in code is {}", rec.code));
            let e = answer(
                &ctx,
                ChallengeNameType::SmsMfa,
                &session,
                &name,
                &[("SMS_MFA_CODE", &other_code(&rec.code))],
            )
            .await
            .unwrap_err();
            assert_eq!(e, code_mismatch());
            answer(
                &ctx,
                ChallengeNameType::SmsMfa,
                &session,
                &name,
                &[("SMS_MFA_CODE", &rec.code)],
            )
            .await
            .unwrap()
            .access_token();

            ctx.sdk
                .admin_set_user_mfa_preference()
                .user_pool_id(&ctx.pool_id)
                .username(&name)
                .email_mfa_settings(
                    EmailMfaSettingsType::builder()
                        .enabled(true)
                        .preferred_mfa(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let got = ctx
                .sdk
                .admin_get_user()
                .user_pool_id(&ctx.pool_id)
                .username(&name)
                .send()
                .await
                .unwrap();
            assert_eq!(got.user_mfa_setting_list(), ["SMS_MFA", "EMAIL_OTP"]);
            assert_eq!(got.preferred_mfa_setting(), Some("EMAIL_OTP"));
            let (challenge, session, params) =
                sign_in(&ctx, flow, &name).await.unwrap().challenge();
            assert_eq!(challenge, ChallengeNameType::EmailOtp);
            assert_eq!(params["CODE_DELIVERY_DELIVERY_MEDIUM"], "EMAIL");
            let rec = ctx.server.outbox().latest(&ctx.pool_id, &name).unwrap();
            assert_eq!(rec.attribute, "email");
            answer(
                &ctx,
                ChallengeNameType::EmailOtp,
                &session,
                &name,
                &[("EMAIL_OTP_CODE", &rec.code)],
            )
            .await
            .unwrap()
            .access_token();

            // Both enabled, neither preferred: the user chooses.
            ctx.sdk
                .admin_set_user_mfa_preference()
                .user_pool_id(&ctx.pool_id)
                .username(&name)
                .email_mfa_settings(
                    EmailMfaSettingsType::builder()
                        .enabled(true)
                        .preferred_mfa(false)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let (challenge, session, params) =
                sign_in(&ctx, flow, &name).await.unwrap().challenge();
            assert_eq!(challenge, ChallengeNameType::SelectMfaType);
            assert_eq!(params["MFAS_CAN_CHOOSE"], r#"["SMS_MFA","EMAIL_OTP"]"#);
            let (c, _) = answer(
                &ctx,
                ChallengeNameType::SelectMfaType,
                &session,
                &name,
                &[("ANSWER", "SOFTWARE_TOKEN_MFA")],
            )
            .await
            .unwrap_err();
            assert_eq!(c, "InvalidParameterException");
            let (challenge, session, _) = answer(
                &ctx,
                ChallengeNameType::SelectMfaType,
                &session,
                &name,
                &[("ANSWER", "EMAIL_OTP")],
            )
            .await
            .unwrap()
            .challenge();
            assert_eq!(challenge, ChallengeNameType::EmailOtp);
            let rec = ctx.server.outbox().latest(&ctx.pool_id, &name).unwrap();
            assert_eq!(rec.attribute, "email");
            answer(
                &ctx,
                ChallengeNameType::EmailOtp,
                &session,
                &name,
                &[("EMAIL_OTP_CODE", &rec.code)],
            )
            .await
            .unwrap()
            .access_token();
        }
    }
}

#[tokio::test]
async fn required_mfa_sets_up_an_authenticator_during_sign_in() {
    for secret in [false, true] {
        let ctx = mfa_ctx(
            LocalPool::builder(),
            UserPoolMfaType::On,
            false,
            true,
            false,
            secret,
        )
        .await;
        for flow in FLOWS {
            let name = format!("m{}{}", flow as u8, secret as u8);
            user(&ctx, &name).await;
            let (challenge, session, params) =
                sign_in(&ctx, flow, &name).await.unwrap().challenge();
            assert_eq!(challenge, ChallengeNameType::MfaSetup);
            assert_eq!(params["MFAS_CAN_SETUP"], r#"["SOFTWARE_TOKEN_MFA"]"#);

            let assoc = ctx
                .sdk
                .associate_software_token()
                .session(&session)
                .send()
                .await
                .unwrap();
            let code = assoc.secret_code().unwrap().to_owned();
            let session2 = assoc.session().unwrap().to_owned();
            assert_ne!(session2, session);
            // The first session was replaced.
            let (c, _) = err(ctx
                .sdk
                .associate_software_token()
                .session(&session)
                .send()
                .await);
            assert_eq!(c, "NotAuthorizedException");
            let verified = ctx
                .sdk
                .verify_software_token()
                .session(&session2)
                .user_code(totp_code(&code, 0))
                .send()
                .await
                .unwrap();
            assert_eq!(
                verified.status(),
                Some(&VerifySoftwareTokenResponseType::Success)
            );
            let session3 = verified.session().unwrap().to_owned();
            let access = answer(&ctx, ChallengeNameType::MfaSetup, &session3, &name, &[])
                .await
                .unwrap()
                .access_token();
            let me = ctx
                .sdk
                .get_user()
                .access_token(&access)
                .send()
                .await
                .unwrap();
            assert_eq!(me.user_mfa_setting_list(), ["SOFTWARE_TOKEN_MFA"]);
            assert_eq!(me.preferred_mfa_setting(), Some("SOFTWARE_TOKEN_MFA"));

            // From now on the authenticator is asked for.
            let (challenge, session, _) = sign_in(&ctx, flow, &name).await.unwrap().challenge();
            assert_eq!(challenge, ChallengeNameType::SoftwareTokenMfa);
            answer(
                &ctx,
                ChallengeNameType::SoftwareTokenMfa,
                &session,
                &name,
                &[("SOFTWARE_TOKEN_MFA_CODE", &totp_code(&code, 1))],
            )
            .await
            .unwrap()
            .access_token();
        }
    }
}

#[tokio::test]
async fn an_expired_mfa_session_is_refused() {
    let builder = LocalPool::builder()
        .limits(Limits::default().with_challenge_session_validity(Duration::from_millis(300)));
    let ctx = mfa_ctx(builder, UserPoolMfaType::On, true, false, false, false).await;
    user(&ctx, "late").await;
    // Required SMS MFA and a verified phone number: SMS_MFA without any preference.
    let (challenge, session, _) = sign_in(&ctx, Flow::Password, "late")
        .await
        .unwrap()
        .challenge();
    assert_eq!(challenge, ChallengeNameType::SmsMfa);
    let code = ctx.server.latest_code(&ctx.pool_id, "late").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let e = answer(
        &ctx,
        ChallengeNameType::SmsMfa,
        &session,
        "late",
        &[("SMS_MFA_CODE", &code)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, session_expired());
}

#[tokio::test]
async fn wrong_codes_close_the_session_and_count_towards_the_lockout() {
    let ctx = mfa_ctx(
        LocalPool::builder(),
        UserPoolMfaType::On,
        true,
        false,
        false,
        false,
    )
    .await;
    user(&ctx, "guess").await;
    let (_, session, _) = sign_in(&ctx, Flow::Password, "guess")
        .await
        .unwrap()
        .challenge();
    let code = ctx.server.latest_code(&ctx.pool_id, "guess").unwrap();
    for _ in 0..3 {
        let e = answer(
            &ctx,
            ChallengeNameType::SmsMfa,
            &session,
            "guess",
            &[("SMS_MFA_CODE", &other_code(&code))],
        )
        .await
        .unwrap_err();
        assert_eq!(e, code_mismatch());
    }
    // Three wrong codes: the session is over, even for the right code.
    let e = answer(
        &ctx,
        ChallengeNameType::SmsMfa,
        &session,
        "guess",
        &[("SMS_MFA_CODE", &code)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, session_expired());

    // With a lockout after one failure, the second wrong code locks the user out.
    let builder = LocalPool::builder().limits(Limits::default().with_lockout(
        1,
        Duration::from_secs(60),
        Duration::from_secs(60),
    ));
    let ctx = mfa_ctx(builder, UserPoolMfaType::On, true, false, false, false).await;
    user(&ctx, "locked").await;
    let (_, session, _) = sign_in(&ctx, Flow::Password, "locked")
        .await
        .unwrap()
        .challenge();
    let code = ctx.server.latest_code(&ctx.pool_id, "locked").unwrap();
    let wrong = other_code(&code);
    let e = answer(
        &ctx,
        ChallengeNameType::SmsMfa,
        &session,
        "locked",
        &[("SMS_MFA_CODE", &wrong)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, code_mismatch());
    let e = answer(
        &ctx,
        ChallengeNameType::SmsMfa,
        &session,
        "locked",
        &[("SMS_MFA_CODE", &wrong)],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        (
            "NotAuthorizedException".into(),
            "Password attempts exceeded".into()
        )
    );
    let e = sign_in(&ctx, Flow::Password, "locked").await.unwrap_err();
    assert_eq!(e.1, "Password attempts exceeded");
}

#[tokio::test]
async fn answers_need_the_secret_hash_and_the_right_user() {
    let ctx = mfa_ctx(
        LocalPool::builder(),
        UserPoolMfaType::On,
        true,
        false,
        false,
        true,
    )
    .await;
    user(&ctx, "hashy").await;
    user(&ctx, "other").await;
    let (_, session, _) = sign_in(&ctx, Flow::Password, "hashy")
        .await
        .unwrap()
        .challenge();
    let code = ctx.server.latest_code(&ctx.pool_id, "hashy").unwrap();
    let out = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::SmsMfa)
        .session(&session)
        .challenge_responses("USERNAME", "hashy")
        .challenge_responses("SMS_MFA_CODE", &code)
        .challenge_responses("SECRET_HASH", "bm90IHRoZSBoYXNo")
        .send()
        .await;
    let (c, m) = err(out);
    assert_eq!(c, "NotAuthorizedException");
    assert!(m.starts_with("Unable to verify secret hash"), "{m}");
    let out = ctx
        .sdk
        .respond_to_auth_challenge()
        .client_id(&ctx.client_id)
        .challenge_name(ChallengeNameType::SmsMfa)
        .session(&session)
        .challenge_responses("USERNAME", "hashy")
        .challenge_responses("SMS_MFA_CODE", &code)
        .send()
        .await;
    let (c, m) = err(out);
    assert_eq!(c, "NotAuthorizedException");
    assert!(m.contains("SECRET_HASH was not received"), "{m}");
    // Another user's name, or another challenge name, does not fit the session.
    let e = answer(
        &ctx,
        ChallengeNameType::SmsMfa,
        &session,
        "other",
        &[("SMS_MFA_CODE", &code)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, session_expired());
    let e = answer(
        &ctx,
        ChallengeNameType::SoftwareTokenMfa,
        &session,
        "hashy",
        &[("SOFTWARE_TOKEN_MFA_CODE", &code)],
    )
    .await
    .unwrap_err();
    assert_eq!(e, session_expired());
    // The session still works for the right answer.
    answer(
        &ctx,
        ChallengeNameType::SmsMfa,
        &session,
        "hashy",
        &[("SMS_MFA_CODE", &code)],
    )
    .await
    .unwrap()
    .access_token();
}

#[tokio::test]
async fn software_token_calls_refuse_what_cognito_refuses() {
    let ctx = mfa_ctx(
        LocalPool::builder(),
        UserPoolMfaType::Optional,
        false,
        true,
        false,
        false,
    )
    .await;
    user(&ctx, "sam").await;
    let access = sign_in(&ctx, Flow::Password, "sam")
        .await
        .unwrap()
        .access_token();
    // Nothing associated yet.
    let (c, m) = err(ctx
        .sdk
        .verify_software_token()
        .access_token(&access)
        .user_code("123456")
        .send()
        .await);
    assert_eq!(c, "SoftwareTokenMFANotFoundException");
    assert_eq!(m, "Software Token MFA does not exist for the user.");
    let (c, _) = err(ctx
        .sdk
        .associate_software_token()
        .access_token(&access)
        .session("c2Vzc2lvbg==")
        .send()
        .await);
    assert_eq!(c, "InvalidParameterException");
    let (c, _) = err(ctx.sdk.associate_software_token().send().await);
    assert_eq!(c, "InvalidParameterException");
    let (c, m) = err(ctx
        .sdk
        .associate_software_token()
        .session("bm8gc3VjaCBzZXNzaW9u")
        .send()
        .await);
    assert_eq!(
        (c.as_str(), m.as_str()),
        (
            "NotAuthorizedException",
            "Invalid session for the user, session is expired."
        )
    );
    let (c, _) = err(ctx
        .sdk
        .associate_software_token()
        .access_token("not-a-token")
        .send()
        .await);
    assert_eq!(c, "NotAuthorizedException");

    // A second association replaces the first before it is verified; the verified one
    // stays the user's until a new one is verified.
    let first = enrol_totp(&ctx, &access).await;
    let second = ctx
        .sdk
        .associate_software_token()
        .access_token(&access)
        .send()
        .await
        .unwrap()
        .secret_code()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    ctx.sdk
        .set_user_mfa_preference()
        .access_token(&access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (_, session, _) = sign_in(&ctx, Flow::Password, "sam")
        .await
        .unwrap()
        .challenge();
    let e = answer(
        &ctx,
        ChallengeNameType::SoftwareTokenMfa,
        &session,
        "sam",
        &[("SOFTWARE_TOKEN_MFA_CODE", &totp_code(&second, 1))],
    )
    .await;
    if totp_code(&second, 1) != totp_code(&first, 1) {
        assert_eq!(e.unwrap_err(), code_mismatch(), "the unverified secret");
    }

    // Two preferred factors, a factor without its attribute, an unknown user.
    let (c, _) = err(ctx
        .sdk
        .set_user_mfa_preference()
        .access_token(&access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .email_mfa_settings(
            EmailMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await);
    assert_eq!(c, "InvalidParameterException");
    let (c, _) = err(ctx
        .sdk
        .admin_set_user_mfa_preference()
        .user_pool_id(&ctx.pool_id)
        .username("nobody")
        .sms_mfa_settings(SmsMfaSettingsType::builder().enabled(true).build())
        .send()
        .await);
    assert_eq!(c, "UserNotFoundException");
    ctx.server
        .create_user(&ctx.pool_id, "nophone", PW, &[])
        .await
        .unwrap();
    let (c, m) = err(ctx
        .sdk
        .admin_set_user_mfa_preference()
        .user_pool_id(&ctx.pool_id)
        .username("nophone")
        .sms_mfa_settings(SmsMfaSettingsType::builder().enabled(true).build())
        .send()
        .await);
    assert_eq!(
        (c.as_str(), m.as_str()),
        (
            "InvalidParameterException",
            "User does not have delivery config set to turn on SMS_MFA"
        )
    );
    // Turning the factor off leaves no MFA: the next sign-in gets tokens.
    ctx.sdk
        .set_user_mfa_preference()
        .access_token(&access)
        .software_token_mfa_settings(
            SoftwareTokenMfaSettingsType::builder()
                .enabled(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let me = ctx
        .sdk
        .get_user()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    assert!(me.user_mfa_setting_list().is_empty());
    assert_eq!(me.preferred_mfa_setting(), None);
    sign_in(&ctx, Flow::Password, "sam")
        .await
        .unwrap()
        .access_token();
}

#[tokio::test]
async fn a_new_password_is_followed_by_the_pools_mfa() {
    let ctx = mfa_ctx(
        LocalPool::builder(),
        UserPoolMfaType::On,
        false,
        true,
        false,
        false,
    )
    .await;
    ctx.sdk
        .admin_create_user()
        .user_pool_id(&ctx.pool_id)
        .username("newbie")
        .temporary_password("Temp-Passw0rd!")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let out = password_sign_in(&ctx, "newbie", "Temp-Passw0rd!")
        .await
        .unwrap();
    assert_eq!(
        out.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let (challenge, session, params) = answer(
        &ctx,
        ChallengeNameType::NewPasswordRequired,
        out.session().unwrap(),
        "newbie",
        &[("NEW_PASSWORD", PW)],
    )
    .await
    .unwrap()
    .challenge();
    assert_eq!(challenge, ChallengeNameType::MfaSetup);
    assert_eq!(params["MFAS_CAN_SETUP"], r#"["SOFTWARE_TOKEN_MFA"]"#);
    // The setup session works like one opened by a password sign-in.
    let assoc = ctx
        .sdk
        .associate_software_token()
        .session(&session)
        .send()
        .await
        .unwrap();
    assert!(assoc.session().is_some());
}
